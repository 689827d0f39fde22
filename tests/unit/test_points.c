/* test_points.c: the points model: conversion from known betas (exact integer points, worked by
 * hand below), rules CSV round trip and every reader error, the matching semantics, overlap
 * detection, scoring with sub-scores and reasons (table and streaming paths), JSON round trip,
 * and the self-check catching an inconsistent model. */
#include "testutil.h"

#include <ctype.h>
#include <limits.h>
#include <pthread.h>
#include <unistd.h>

#include "mqlcal/design.h"
#include "mqlcal/glm.h"
#include "mqlcal/metrics.h"
#include "mqlcal/points_cost.h"
#include "mqlcal/points_fit.h"
#include "mqlcal/rules_csv.h"
#include "mqlcal/score.h"
#include "mqlcal/selfcheck.h"
#include "mqlcal/table.h"

/* 20 leads: job_level Manager x8 (reference), VP x5, Director x4, missing x3; webinar True/False;
 * visits 0..3 (integer, 4 distinct values: LINEAR steps at each value). */
static const char *train_csv =
    "job_level,webinar,visits,won\n"
    "Manager,True,0,0\nManager,False,1,0\nManager,False,2,1\nManager,True,3,0\n"
    "Manager,False,0,0\nManager,False,1,0\nManager,True,0,1\nManager,False,2,0\n"
    "VP,True,3,1\nVP,False,0,0\nVP,True,1,1\nVP,False,2,0\nVP,False,0,1\n"
    "Director,True,1,0\nDirector,False,3,1\nDirector,False,0,0\nDirector,True,2,0\n"
    ",False,0,0\n,True,1,0\n,False,3,1\n";

typedef struct fixture {
    char path[64];
    mql_table *t;
    mql_design *d;
    mql_design_binding *b;
    unsigned char y[20];
    double beta[8];
} fixture;

static double beta_for(const char *label)
{
    static const struct { const char *l; double b; } tab[] = {
        {"(Intercept)", -2.0}, {"job_level=VP", 1.24}, {"job_level=Director", 0.61},
        {"job_level=(missing)", -0.33}, {"webinar", 0.87}, {"visits", 0.4}};
    for (size_t i = 0; i < sizeof tab / sizeof tab[0]; i++)
        if (strcmp(tab[i].l, label) == 0)
            return tab[i].b;
    fail_msg("unexpected term %s", label);
    return 0;
}

static int setup(void **state)
{
    fixture *fx = calloc(1, sizeof *fx);
    mql_err err;
    assert_non_null(write_temp(fx->path, sizeof fx->path, train_csv));
    assert_int_equal(mql_table_read(fx->path, NULL, &fx->t, &err), MQL_OK);
    mql_design_opts o;
    mql_design_opts_init(&o);
    o.min_level_count = 0;
    assert_int_equal(mql_design_opts_add_role(&o, "won", &err), MQL_OK);
    assert_int_equal(mql_design_build(fx->t, &o, &fx->d, &err), MQL_OK);
    mql_design_opts_clear(&o);
    assert_int_equal(fx->d->p, 6);
    for (size_t j = 0; j < fx->d->p; j++)
        fx->beta[j] = beta_for(fx->d->labels[j]);
    assert_int_equal(mql_design_bind(fx->d, fx->t, &fx->b, &err), MQL_OK);
    long won = mql_table_find(fx->t, "won");
    for (size_t r = 0; r < 20; r++)
        fx->y[r] = fx->t->cols[won].num[r] != 0;
    *state = fx;
    return 0;
}

static int teardown(void **state)
{
    fixture *fx = *state;
    mql_design_binding_free(fx->b);
    mql_design_free(fx->d);
    mql_table_free(fx->t);
    unlink(fx->path);
    free(fx);
    return 0;
}

static void assert_rule(const mql_rule *r, const char *feature, mql_op op, const char *value,
                        long points)
{
    const mql_cond *c = &r->cond[0];
    if (r->n_cond != 1 || strcmp(c->feature, feature) || c->op != op || strcmp(c->value, value) ||
        r->points != points)
        fail_msg("rule %s %s '%s' %ld, expected %s %s '%s' %ld", c->feature, mql_op_name(c->op),
                 c->value, r->points, feature, mql_op_name(op), value, points);
}

/* pdo = 10 ln 2, so factor = 10 points per unit of log-odds: points = round(10 beta):
 * VP 12.4 -> 12, Director 6.1 -> 6, missing -3.3 -> -3, webinar 8.7 -> 9; visits steps at
 * v = 1, 2, 3 (base step holds 0): round(10 * 0.4 * v) = 4, 8, 12, the top one open (>= 3). */
static void test_convert_fixed_pdo(void **state)
{
    fixture *fx = *state;
    mql_points_opts o;
    mql_points_opts_default(&o);
    o.pdo = 10 * log(2.0);
    mql_points *m;
    mql_err err;
    assert_int_equal(mql_points_from_fit_data(fx->d, fx->beta, fx->b, fx->y, &o, &m, &err), MQL_OK);
    assert_int_equal(m->n_rules, 7);
    assert_rule(&m->rules[0], "job_level", MQL_OP_EQ, "VP", 12);
    assert_rule(&m->rules[1], "job_level", MQL_OP_EQ, "Director", 6);
    assert_rule(&m->rules[2], "job_level", MQL_OP_MISSING, "", -3);
    assert_rule(&m->rules[3], "webinar", MQL_OP_EQ, "True", 9);
    assert_rule(&m->rules[4], "visits", MQL_OP_EQ, "1", 4);
    assert_rule(&m->rules[5], "visits", MQL_OP_EQ, "2", 8);
    assert_rule(&m->rules[6], "visits", MQL_OP_GE, "3", 12);
    /* groups as the design infers them from the names */
    assert_int_equal(m->rules[0].group, MQL_GROUP_FIT);
    assert_int_equal(m->rules[4].group, MQL_GROUP_ENGAGEMENT);
    /* map: b = 1 / factor, a = beta0 (the base visits step has representative 0) */
    assert_close(m->map_b, 0.1, 1e-15, 0);
    assert_close(m->map_a, -2.0, 0, 0);
    assert_close(m->pdo, 10 * log(2.0), 1e-15, 0);
    /* threshold: base rate 7/20 (odds 7/13); twice the odds 14/13 is P = 14/27 = 0.5185 =
     * logistic(-2 + s / 10) -> s = 10 (2 + logit 0.5185) = 20.74; 21 (P = 0.525) beats
     * 20 (P = 0.500). */
    assert_int_equal(m->threshold, 21);
    assert_non_null(strstr(m->threshold_rule, "closest to 51.9%, the probability at twice the "
                                              "average odds of the training leads (base rate "
                                              "35.0%)"));
    /* bands: width round(ln 2 / 0.1) = 7: A >= 28, B 21..27, C 14..20, D <= 13 */
    assert_int_equal(m->n_bands, 4);
    assert_int_equal(m->bands[0].lo, 28);
    assert_int_equal(m->bands[1].hi, 27);
    assert_int_equal(m->bands[2].lo, 14);
    assert_int_equal(m->bands[3].hi, 13);
    assert_true(m->bands[3].lo == LONG_MIN && m->bands[0].hi == LONG_MAX);
    assert_close(m->bands[1].p_lo, 1 / (1 + exp(-(-2.0 + 2.1))), 1e-14, 0);
    /* the open ends use the score range [-3, 33] */
    assert_close(m->bands[0].p_hi, 1 / (1 + exp(-(-2.0 + 3.3))), 1e-14, 0);
    assert_close(m->bands[3].p_lo, 1 / (1 + exp(-(-2.0 - 0.3))), 1e-14, 0);
    assert_string_equal(mql_points_band(m, 25), "B");
    /* rounding cost is measured (values depend only on the fixture) */
    assert_true(m->auc_exact > 0.5 && m->auc_points > 0.5);
    assert_true(isfinite(m->logloss_exact) && isfinite(m->logloss_points));
    assert_int_equal(mql_points_self_check(fx->d, fx->b, m, &err), MQL_OK);
    mql_points_free(m);
}

/* Default scale: the best lead sits max_points = 100 above baseline. Largest positive exact
 * contributions: job_level 1.24, webinar 0.87, visits 0.4 * 3 = 1.2, sum 3.31, so
 * factor = 100 / 3.31 = 30.2115: VP 37.46 -> 37, Director 18.43 -> 18, missing -9.97 -> -10,
 * webinar 26.28 -> 26, visits 12.08 -> 12, 24.17 -> 24, 36.25 -> 36 (best lead 99). */
static void test_convert_default_scale(void **state)
{
    fixture *fx = *state;
    mql_points *m;
    mql_err err;
    assert_int_equal(mql_points_from_fit_data(fx->d, fx->beta, fx->b, NULL, NULL, &m, &err), MQL_OK);
    long want[] = {37, 18, -10, 26, 12, 24, 36};
    assert_int_equal(m->n_rules, 7);
    for (size_t i = 0; i < 7; i++)
        assert_int_equal(m->rules[i].points, want[i]);
    assert_close(m->pdo, 100 / 3.31 * log(2.0), 1e-12, 0);
    long lo, hi;
    mql_points_range(m, &lo, &hi);
    assert_int_equal(lo, -10);
    assert_int_equal(hi, 99);
    /* without y the rounding cost is unknown */
    assert_true(isnan(m->auc_exact));
    mql_points_free(m);
    /* aliased (NAN) beta: no rule for that term */
    double beta[8];
    memcpy(beta, fx->beta, sizeof beta);
    for (size_t j = 0; j < fx->d->p; j++)
        if (strcmp(fx->d->labels[j], "webinar") == 0)
            beta[j] = NAN;
    assert_int_equal(mql_points_from_fit_data(fx->d, beta, fx->b, NULL, NULL, &m, &err), MQL_OK);
    for (size_t i = 0; i < m->n_rules; i++)
        assert_string_not_equal(m->rules[i].cond[0].feature, "webinar");
    mql_points_free(m);
    /* a linear term without the training data */
    assert_int_equal(mql_points_from_fit(fx->d, fx->beta, NULL, &m, &err), MQL_EDATA);
    assert_non_null(strstr(err.msg, "'visits' is a linear term"));
    assert_null(m);
}

static mql_points *read_text(const char *text, int want_rc, mql_err *err)
{
    FILE *f = fmemopen((void *)text, strlen(text), "r");
    assert_non_null(f);
    mql_points *m = NULL;
    int rc = mql_points_read_stream(f, "rules.csv", &m, err);
    fclose(f);
    if (rc != want_rc)
        fail_msg("read: status %d, wanted %d (%s)", rc, want_rc, rc ? err->msg : "");
    return m;
}

static void test_round_trip(void **state)
{
    fixture *fx = *state;
    mql_points_opts o;
    mql_points_opts_default(&o);
    o.pdo = 17.3;   /* non-integer map parameters that must survive %.17g */
    mql_points *m;
    mql_err err;
    assert_int_equal(mql_points_from_fit_data(fx->d, fx->beta, fx->b, fx->y, &o, &m, &err), MQL_OK);
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    assert_int_equal(mql_points_write_csv(m, f), MQL_OK);
    fclose(f);
    mql_points *back = read_text(buf, MQL_OK, &err);
    assert_int_equal(back->n_rules, m->n_rules);
    for (size_t i = 0; i < m->n_rules; i++) {
        assert_rule(&back->rules[i], m->rules[i].cond[0].feature, m->rules[i].cond[0].op,
                    m->rules[i].cond[0].value,
                    m->rules[i].points);
        assert_int_equal(back->rules[i].group, m->rules[i].group);
    }
    assert_int_equal(back->threshold, m->threshold);
    assert_true(back->has_map);
    assert_true(back->map_a == m->map_a && back->map_b == m->map_b && back->pdo == m->pdo);
    assert_string_equal(back->map_method, "model");
    mql_points_free(back);
    free(buf);
    mql_points_free(m);
    /* isotonic knots and quoting survive too */
    const char *iso = "# score_map: isotonic 0:0.01 10:0.125 40:0.5\n"
                      "feature,operator,value,points,group\n"
                      "industry,=,\"Media, Entertainment\",-11,fit\n"
                      "\"#tag\",=,x,2,engagement\nthreshold,,,20\n";
    m = read_text(iso, MQL_OK, &err);
    assert_string_equal(m->rules[0].cond[0].value, "Media, Entertainment");
    assert_close(mql_points_prob(m, 5), 0.0675, 1e-15, 0);   /* 0.01 + (0.125 - 0.01) / 2 */
    assert_close(mql_points_prob(m, 99), 0.5, 0, 0);          /* clipped */
    buf = NULL;
    f = open_memstream(&buf, &len);
    assert_int_equal(mql_points_write_csv(m, f), MQL_OK);
    fclose(f);
    back = read_text(buf, MQL_OK, &err);
    assert_string_equal(back->rules[0].cond[0].value, "Media, Entertainment");
    assert_string_equal(back->rules[1].cond[0].feature, "#tag");
    assert_int_equal(back->n_iso, 3);
    assert_true(back->iso_y[1] == 0.125 && back->iso_x[2] == 40);
    mql_points_free(back);
    mql_points_free(m);
    free(buf);
}

static void test_reader_errors(void **state)
{
    (void)state;
    static const struct { const char *text, *msg; } cases[] = {
        {"feature,operator,value,points\nx,=>,3,5\nthreshold,,,1\n",
         "rules.csv:2: unknown operator '=>'"},
        {"feature,operator,value,points\nx,>=,3,12.5\nthreshold,,,1\n",
         "rules.csv:2: points '12.5' is not an integer"},
        {"feature,operator,value,points\nx,>=,abc,1\nthreshold,,,1\n",
         "rules.csv:2: '>=' needs a number, not 'abc'"},
        {"feature,operator,value,points\nx,between,5..3,1\nthreshold,,,1\n",
         "rules.csv:2: between needs lo..hi with lo <= hi, not '5..3'"},
        {"feature,operator,value,points\nx,between,5,1\nthreshold,,,1\n",
         "rules.csv:2: between needs lo..hi"},
        {"feature,operator,value,points\n,=,a,1\nthreshold,,,1\n", "rules.csv:2: empty feature"},
        {"feature,operator,value,points\nx,=,a,1\n", "rules.csv: no threshold row"},
        {"feature,operator,value,points\nthreshold,,,1\nx,=,a,1\nthreshold,,,2\n",
         "rules.csv:4: a second threshold row (the first is on line 2)"},
        {"feature,operator,value,points,group\nx,=,a,1,sales\nthreshold,,,1\n",
         "rules.csv:2: group 'sales' is neither fit nor engagement"},
        {"feature,op,value,points\nthreshold,,,1\n", "rules.csv:1: the header must be"},
        {"feature,operator,value,points\nx,=,\"a,1\nthreshold,,,1\n",
         "rules.csv:2: unterminated quote"},
        {"feature,operator,value,points\nx,=,a\nthreshold,,,1\n", "rules.csv:2: 3 fields"},
        {"feature,operator,value,points\nx,in,a||b,1\nthreshold,,,1\n",
         "rules.csv:2: 'in' needs a value between every '|'"},
        {"feature,operator,value,points\nx,=,N/A,1\nthreshold,,,1\n",
         "'N/A' is a missing-value placeholder"},
        {"feature,operator,value,points\nx,missing,0,1\nthreshold,,,1\n",
         "'missing' takes no value"},
        {"# score_map: logistic a=1\nfeature,operator,value,points\nthreshold,,,1\n",
         "rules.csv:1: bad '# score_map:' line"},
        {"# comment\nthreshold,,,1\n", "rules.csv:2: the header must be"},
        {"# only comments\n", "rules.csv: no header line"},
        {"feature,operator,value,points\n"
         "pricing_page_visits,>=,1,20\n# a comment\npricing_page_visits,>=,3,5\nthreshold,,,1\n",
         "rules.csv:4: overlaps line 2 (pricing_page_visits >= 1 and pricing_page_visits >= 3 "
         "both match 3)"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        mql_err err;
        assert_null(read_text(cases[i].text, MQL_EDATA, &err));
        if (!strstr(err.msg, cases[i].msg))
            fail_msg("case %zu: '%s' lacks '%s'", i, err.msg, cases[i].msg);
    }
    mql_points *m;
    mql_err err;
    assert_int_equal(mql_points_read_csv("tests/fixtures/no-such-rules.csv", &m, &err), MQL_EIO);
    assert_non_null(strstr(err.msg, "no-such-rules.csv"));
}

static mql_rule mk(const char *op, const char *value)
{
    mql_rule r;
    mql_err err;
    if (mql_rule_init(&r, "x", op, value, 1, MQL_GROUP_FIT, &err))
        fail_msg("rule %s %s: %s", op, value, err.msg);
    return r;
}

static void test_matching(void **state)
{
    (void)state;
    static const struct { const char *op, *value, *cell; int want; } cases[] = {
        {"=", "VP", "vp", 1},        {"=", "VP", " VP ", 1},     {"=", "VP", "VPs", 0},
        {"=", "100", "100.0", 1},    {"=", "100", "1e2", 1},     {"=", "100", "100,000", 0},
        {"=", "100000", "100,000", 0}, {"=", "1234567", "1,234,567", 1},
        {"=", "True", "yes", 1},     {"=", "True", "Y", 1},      {"=", "True", "1", 1},
        {"=", "True", "t", 1},       {"=", "True", "no", 0},     {"=", "False", "no", 1},
        {"=", "no", "0", 1},         {"=", "no", "0.0", 1},      {"=", "yes", "2", 0},
        {"=", "0x10", "16", 0},      {"=", "VP", "", 0},         {"=", "VP", "Select", 0},
        {"!=", "VP", "Director", 1}, {"!=", "VP", "vp", 0},      {"!=", "VP", "NA", 0},
        {"in", "Director|VP", "vp", 1}, {"in", "Director | VP", "director", 1},
        {"in", "Director|VP", "Manager", 0},
        {">=", "3", "3", 1},         {">=", "3", "2.99", 0},     {">=", "3", "abc", 0},
        {">", "90", "90", 0},        {">", "90", "90.5", 1},     {"<=", "2", "2", 1},
        {"<", "2", "2", 0},          {"<", "2", "-7", 1},        {">=", "1", "yes", 1},
        {"between", "3..5", "3", 1}, {"between", "3..5", "5", 1}, {"between", "3..5", "5.01", 0},
        {"between", "-2..-1", "-1.5", 1}, {">=", "3", "", 0},
        {"missing", "", "", 1},      {"missing", "", "unknown", 1}, {"missing", "", "n/a", 1},
        {"missing", "", "0", 0},     {"missing", "", "none", 1}, {"missing", "", "x", 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        mql_rule r = mk(cases[i].op, cases[i].value);
        mql_cell c;
        mql_cell_from_text(&c, cases[i].cell, NULL, 0);
        if (mql_rule_match(&r, &c) != cases[i].want)
            fail_msg("case %zu: x %s %s on '%s' should %smatch", i, cases[i].op, cases[i].value,
                     cases[i].cell, cases[i].want ? "" : "not ");
        mql_rule_clear(&r);
    }
    /* a custom NA list replaces the default one */
    const char *na[] = {"", "tbd"};
    mql_cell c;
    mql_cell_from_text(&c, "TBD", na, 2);
    assert_true(c.missing);
    mql_cell_from_text(&c, "unknown", na, 2);
    assert_false(c.missing);
}

static void test_overlap(void **state)
{
    (void)state;
    static const struct { const char *op1, *v1, *op2, *v2; int want; const char *witness; } cases[] = {
        {">=", "1", ">=", "3", 1, "3"},          {"between", "1..2", "between", "3..5", 0, ""},
        {"between", "1..3", "between", "3..5", 1, "3"}, {"<", "3", ">=", "3", 0, ""},
        {"<=", "3", ">=", "3", 1, "3"},          {"<", "3", ">", "2", 1, "2.5"},
        {"=", "4", "between", "3..5", 1, "4"},   {"=", "6", "between", "3..5", 0, ""},
        {"=", "VP", "=", "vp", 1, "VP"},         {"=", "True", "=", "yes", 1, "True"},
        {"=", "yes", ">=", "1", 1, "yes"},       {"in", "a|b", "in", "c|B", 1, "b"},
        {"in", "a|b", "in", "c|d", 0, ""},       {"!=", "a", "=", "a", 0, ""},
        {"!=", "a", "in", "a|b", 1, "b"},        {"!=", "a", "!=", "b", 1, "any other value"},
        {"!=", "5", "between", "5..5", 0, ""},   {"!=", "5", "between", "5..6", 1, "6"},
        {"!=", "a", ">=", "3", 1, "3"},          {"missing", "", "missing", "", 1, "a missing cell"},
        {"missing", "", "!=", "a", 0, ""},       {"missing", "", "<", "0", 0, ""},
        {"=", "100", "=", "100.0", 1, "100"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        mql_rule a = mk(cases[i].op1, cases[i].v1), b = mk(cases[i].op2, cases[i].v2);
        char w[64] = "";
        int got = mql_rules_overlap(&a, &b, w, sizeof w);
        char w2[64] = "";
        int got2 = mql_rules_overlap(&b, &a, w2, sizeof w2);
        if (got != cases[i].want || got2 != cases[i].want)
            fail_msg("case %zu: x %s %s vs x %s %s: overlap %d/%d, wanted %d", i, cases[i].op1,
                     cases[i].v1, cases[i].op2, cases[i].v2, got, got2, cases[i].want);
        if (got && strcmp(w, cases[i].witness) != 0)
            fail_msg("case %zu: witness '%s', wanted '%s'", i, w, cases[i].witness);
        mql_rule_clear(&a);
        mql_rule_clear(&b);
    }
}

/* Scores worked by hand from the rules below:
 *  row 1 VP, visits 4, webinar yes, days 120: 25 + 20 + 10 - 10 = 45 (fit 25, engagement 20);
 *    reasons +25 job_level, +20 visits (|20| before |10|), then +10 webinar before -10 days
 *    (tie at 10: rule order).
 *  row 2 student, missing job level, visits 0: -30 - 5 = -35, reasons -30, -5.
 *  row 3 Director, 1,200.0 employees (thousands separator), visits 2, webinar no: 25 + 10 + 8
 *    = 43.
 *  row 4 unseen level "Intern", visits 12: 0 + 20 = 20, one reason. */
static const char *score_rules =
    "# score_map: logistic a=-3 b=0.05\n"
    "feature,operator,value,points,group\n"
    "job_level,in,Director|VP,25,fit\n"
    "job_level,missing,,-5,fit\n"
    "email_domain_type,=,student,-30,fit\n"
    "employees,>=,1000,10,fit\n"
    "pricing_page_visits,between,1..2,8,engagement\n"
    "pricing_page_visits,>=,3,20,engagement\n"
    "webinar,=,True,10,engagement\n"
    "days,>,90,-10,engagement\n"
    "threshold,,,40\n";
static const char *score_leads =
    "job_level,email_domain_type,employees,pricing_page_visits,webinar,days\n"
    "VP,business,50,4,yes,120\n"
    ",student,10,0,no,3\n"
    "Director,business,\"1,200.0\",2,no,30\n"
    "Intern,business,20,12,no,10\n";

static void test_score(void **state)
{
    (void)state;
    mql_err err;
    mql_points *m = read_text(score_rules, MQL_OK, &err);
    char path[64];
    mql_table *t;
    assert_non_null(write_temp(path, sizeof path, score_leads));
    assert_int_equal(mql_table_read(path, NULL, &t, &err), MQL_OK);
    unlink(path);
    mql_scorer *s;
    assert_int_equal(mql_scorer_bind(m, t, &s, &err), MQL_OK);
    long want[] = {45, -35, 43, 20}, want_fit[] = {25, -35, 35, 0};
    long sc[4], fit[4], eng[4];
    assert_int_equal(mql_scorer_score_all(s, sc, fit, eng, &err), MQL_OK);
    for (size_t r = 0; r < 4; r++) {
        assert_int_equal(sc[r], want[r]);
        assert_int_equal(fit[r], want_fit[r]);
        assert_int_equal(eng[r], want[r] - want_fit[r]);
    }
    mql_score_result res;
    mql_scorer_score_row(s, 0, &res);
    assert_int_equal(res.n_reasons, 3);
    char buf[256];
    assert_string_equal(mql_reason_text(&m->rules[res.reason[0]], buf, sizeof buf),
                        "+25 job_level in Director|VP");
    assert_string_equal(mql_reason_text(&m->rules[res.reason[1]], buf, sizeof buf),
                        "+20 pricing_page_visits >= 3");
    assert_string_equal(mql_reason_text(&m->rules[res.reason[2]], buf, sizeof buf),
                        "+10 webinar = True");
    assert_close(res.probability, 1 / (1 + exp(-(-3 + 0.05 * 45))), 1e-15, 0);
    assert_true(res.is_mql);
    assert_string_equal(res.band, "B");   /* w = round(ln 2 / 0.05) = 14: B = 40..53 */
    mql_scorer_score_row(s, 1, &res);
    assert_false(res.is_mql);
    assert_int_equal(res.n_reasons, 2);
    assert_string_equal(mql_reason_text(&m->rules[res.reason[1]], buf, sizeof buf),
                        "-5 job_level missing");
    assert_string_equal(res.band, "D");
    /* "Intern" and "business" matched no rule */
    assert_string_equal(mql_scorer_feature(s, 0), "job_level");
    assert_int_equal(mql_scorer_unmatched(s, 0), 1);
    assert_int_equal(mql_scorer_unmatched(s, 1), 3);
    /* the streaming path gives the same results row by row */
    mql_scorer *hs;
    char *names[] = {"job_level", "email_domain_type", "employees", "pricing_page_visits",
                     "webinar", "days"};
    const char *rows[4][6] = {{"VP", "business", "50", "4", "yes", "120"},
                              {"", "student", "10", "0", "no", "3"},
                              {"Director", "business", "1,200.0", "2", "no", "30"},
                              {"Intern", "business", "20", "12", "no", "10"}};
    assert_int_equal(mql_scorer_bind_header(m, names, 6, "leads.csv", NULL, 0, &hs, &err), MQL_OK);
    for (size_t r = 0; r < 4; r++) {
        mql_score_result a, b;
        mql_scorer_score_row(s, r, &a);
        mql_scorer_score_fields(hs, rows[r], 6, &b);
        assert_int_equal(a.score, b.score);
        assert_int_equal(a.fit, b.fit);
        assert_int_equal(a.n_reasons, b.n_reasons);
        for (size_t k = 0; k < a.n_reasons; k++)
            assert_int_equal(a.reason[k], b.reason[k]);
        assert_string_equal(a.band, b.band);
    }
    assert_int_equal(mql_scorer_unmatched(hs, 0), 1);
    mql_scorer_free(hs);
    /* a column the model needs is missing */
    assert_int_equal(mql_scorer_bind_header(m, names, 5, "leads.csv", NULL, 0, &hs, &err),
                     MQL_EDATA);
    assert_string_equal(err.msg, "leads.csv has no column 'days' that the model needs");
    mql_scorer_free(s);
    mql_table_free(t);
    mql_points_free(m);
}

static void test_json(void **state)
{
    fixture *fx = *state;
    mql_points *m, *back;
    mql_err err;
    assert_int_equal(mql_points_from_fit_data(fx->d, fx->beta, fx->b, fx->y, NULL, &m, &err), MQL_OK);
    json_t *j = mql_points_to_json(m);
    assert_non_null(j);
    char *text = json_dumps(j, JSON_COMPACT);
    json_decref(j);
    json_error_t je;
    json_t *j2 = json_loads(text, 0, &je);
    free(text);
    assert_int_equal(mql_points_from_json(j2, &back, &err), MQL_OK);
    assert_int_equal(back->n_rules, m->n_rules);
    for (size_t i = 0; i < m->n_rules; i++) {
        assert_rule(&back->rules[i], m->rules[i].cond[0].feature, m->rules[i].cond[0].op,
                    m->rules[i].cond[0].value,
                    m->rules[i].points);
        assert_int_equal(back->rules[i].term, m->rules[i].term);
    }
    assert_true(back->map_a == m->map_a && back->map_b == m->map_b && back->pdo == m->pdo);
    assert_true(back->auc_exact == m->auc_exact && back->logloss_points == m->logloss_points);
    assert_int_equal(back->n_bands, 4);
    assert_true(back->bands[0].hi == LONG_MAX && back->bands[3].lo == LONG_MIN);
    assert_true(back->bands[1].p_lo == m->bands[1].p_lo);
    assert_int_equal(back->n_terms, m->n_terms);
    assert_int_equal(back->n_steps, 1);
    assert_int_equal(back->steps[0].n, 4);
    assert_int_equal(back->steps[0].points[3], m->steps[0].points[3]);
    /* the model read from JSON still passes the self-check */
    assert_int_equal(mql_points_self_check(fx->d, fx->b, back, &err), MQL_OK);
    mql_points_free(back);
    /* type errors name the key */
    json_object_set_new(json_array_get(json_object_get(j2, "rules"), 2), "points",
                        json_string("12"));
    assert_int_equal(mql_points_from_json(j2, &back, &err), MQL_EDATA);
    assert_string_equal(err.msg, "points: rules[2]: key 'points' must be an integer");
    json_object_del(j2, "threshold");
    assert_int_equal(mql_points_from_json(j2, &back, &err), MQL_EDATA);
    assert_string_equal(err.msg, "points: key 'threshold' is missing");
    json_decref(j2);
    mql_points_free(m);
}

/* The points step hands over its own scores of the training rows: exactly the internal scores
 * of the model it made, so the self-check reuses them; the reused scores are checked as
 * strictly as recomputed ones (a corrupted rule, or a corrupted inside score, fails the same). */
static void test_self_check_reuses_scores(void **state)
{
    fixture *fx = *state;
    mql_points_opts o;
    mql_points_opts_default(&o);
    o.pdo = 10 * log(2.0);
    mql_points *m;
    long *sc = NULL;
    mql_err err;
    assert_int_equal(mql_points_from_fit_scored(fx->d, fx->beta, fx->b, fx->y, NULL, &o, &m, &sc,
                                                &err), MQL_OK);
    assert_non_null(sc);
    size_t n = fx->b->n_rows;
    long *ref = malloc(n * sizeof *ref);
    assert_non_null(ref);
    assert_int_equal(mql_points_internal_scores(fx->d, fx->b, m, NULL, ref, NULL, &err), MQL_OK);
    for (size_t r = 0; r < n; r++)
        assert_int_equal(sc[r], ref[r]);
    assert_int_equal(mql_points_self_check_scored(fx->d, fx->b, m, sc, &err), MQL_OK);
    /* line 10 (VP, webinar, 3 visits) is 33 inside the model; the rule edited to 13 gives 34 */
    assert_int_equal(sc[8], 33);
    m->rules[0].points = 13;
    assert_int_equal(mql_points_self_check_scored(fx->d, fx->b, m, sc, &err), MQL_EDATA);
    assert_string_equal(err.msg, "self-check failed: lead on line 10 scores 34 by the exported "
                                 "rules and 33 inside the model: 'job_level' = 'VP' gets +13 by "
                                 "the rule 'job_level = VP' and +12 inside the model; likely "
                                 "cause: the rule's points differ from the model's (was the table "
                                 "edited after the fit?)");
    m->rules[0].points = 12;
    sc[8] = 32;   /* a wrong score handed in is caught too */
    assert_int_equal(mql_points_self_check_scored(fx->d, fx->b, m, sc, &err), MQL_EDATA);
    assert_string_equal(err.msg, "self-check failed: lead on line 10 scores 33 by the exported "
                                 "rules and 32 inside the model");
    free(ref);
    free(sc);
    mql_points_free(m);
}

/* The self-check compares the model's own scores with the exported rules' scores. */
static void test_self_check(void **state)
{
    fixture *fx = *state;
    mql_points_opts o;
    mql_points_opts_default(&o);
    o.pdo = 10 * log(2.0);
    mql_points *m;
    mql_err err;
    assert_int_equal(mql_points_from_fit_data(fx->d, fx->beta, fx->b, fx->y, &o, &m, &err), MQL_OK);
    assert_int_equal(mql_points_self_check(fx->d, fx->b, m, &err), MQL_OK);
    /* a rule whose points disagree with the term: the first VP lead (line 10: VP, webinar,
     * 3 visits: 12 + 9 + 12 = 33 inside the model) differs */
    m->rules[0].points = 13;
    assert_int_equal(mql_points_self_check(fx->d, fx->b, m, &err), MQL_EDATA);
    assert_string_equal(err.msg, "self-check failed: lead on line 10 scores 34 by the exported "
                                 "rules and 33 inside the model: 'job_level' = 'VP' gets +13 by "
                                 "the rule 'job_level = VP' and +12 inside the model; likely "
                                 "cause: the rule's points differ from the model's (was the table "
                                 "edited after the fit?)");
    m->rules[0].points = 12;
    /* a step table that disagrees with its rules (visits 2 scores 8 by the rules) */
    m->steps[0].points[2] = 7;
    assert_int_equal(mql_points_self_check(fx->d, fx->b, m, &err), MQL_EDATA);
    assert_string_equal(err.msg, "self-check failed: lead on line 4 scores 8 by the exported "
                                 "rules and 7 inside the model: 'visits' = '2' gets +8 by the "
                                 "rule 'visits = 2' and +7 inside the model; likely cause: the "
                                 "rule's points differ from the model's (was the table edited "
                                 "after the fit?)");
    mql_points_free(m);

    /* "VP" and "vp" are one value: ingest makes them one level, and the check holds. Split
     * again by hand (a table not read by mql_table_read), they are two levels to the design but
     * one value to the rules, so the exported rules overlap and the message names the cause. */
    char path[64];
    assert_non_null(write_temp(path, sizeof path,
                               "job_level,won\nVP,1\nvp,0\nManager,0\nManager,1\nVP,0\nvp,1\n"));
    mql_table *t;
    mql_design *d;
    mql_design_binding *b;
    mql_design_opts dopt;
    mql_design_opts_init(&dopt);
    dopt.min_level_count = 0;
    assert_int_equal(mql_design_opts_add_role(&dopt, "won", &err), MQL_OK);
    assert_int_equal(mql_table_read(path, NULL, &t, &err), MQL_OK);
    unlink(path);
    mql_column *jl = &t->cols[0];
    assert_int_equal(jl->n_levels, 2);
    assert_int_equal(jl->n_spellings, 2);
    char **lv = realloc(jl->levels, 3 * sizeof *lv);
    size_t *lc = realloc(jl->level_count, 3 * sizeof *lc);
    assert_non_null(lv);
    assert_non_null(lc);
    jl->levels = lv;
    jl->level_count = lc;
    lv[2] = strdup("vp");
    jl->code[1] = jl->code[5] = 2;
    lc[0] = 2;
    lc[2] = 2;
    jl->n_levels = jl->n_distinct = 3;
    assert_int_equal(mql_design_build(t, &dopt, &d, &err), MQL_OK);
    mql_design_opts_clear(&dopt);
    assert_int_equal(mql_design_bind(d, t, &b, &err), MQL_OK);
    assert_int_equal(d->p, 3);
    double beta[3] = {-1, 0.8, 0.5};
    assert_int_equal(mql_points_from_fit_data(d, beta, b, NULL, &o, &m, &err), MQL_OK);
    assert_int_equal(mql_points_self_check(d, b, m, &err), MQL_EDATA);
    assert_non_null(strstr(err.msg, "self-check failed"));
    assert_non_null(strstr(err.msg, "overlaps line"));
    assert_non_null(strstr(err.msg, "likely cause: 'job_level' has the levels 'VP' and 'vp', "
                                    "which are one value to the rules"));
    mql_points_free(m);
    mql_design_binding_free(b);
    mql_design_free(d);
    mql_table_free(t);
}

/* The sampled self-check scores its rows through the read-back rules on two threads from 4,096
 * rows on, half each (selfcheck.c): every row is compared, so a wrong inside score in either
 * half fails the check and is named by its line. */
/* Reads the CSV at path (then removed), with "won" as the outcome and every level kept, and
 * binds its design to it. */
static void read_bound(const char *path, mql_table **t, mql_design **d, mql_design_binding **b)
{
    mql_err err;
    mql_design_opts dopt;
    mql_design_opts_init(&dopt);
    dopt.min_level_count = 0;
    assert_int_equal(mql_design_opts_add_role(&dopt, "won", &err), MQL_OK);
    assert_int_equal(mql_table_read(path, NULL, t, &err), MQL_OK);
    unlink(path);
    assert_int_equal(mql_design_build(*t, &dopt, d, &err), MQL_OK);
    mql_design_opts_clear(&dopt);
    assert_int_equal(mql_design_bind(*d, *t, b, &err), MQL_OK);
}

static void test_self_check_rows_halves(void **state)
{
    (void)state;
    enum { N = 6000 };
    static const char *const tier[] = {"Gold", "Silver", "Bronze", ""};
    size_t cap = 32 * N, len = 0;
    char *csv = malloc(cap), path[64];
    assert_non_null(csv);
    len += (size_t)snprintf(csv + len, cap - len, "tier,visits,won\n");
    for (size_t r = 0; r < N; r++)
        len += (size_t)snprintf(csv + len, cap - len, "%s,%zu,%d\n", tier[r % 4], r % 11,
                                (int)(r % 3 == 0 || r % 7 == 0));
    assert_non_null(write_temp(path, sizeof path, csv));
    free(csv);
    mql_err err;
    mql_table *t;
    mql_design *d;
    mql_design_binding *b;
    read_bound(path, &t, &d, &b);
    double beta[16];
    assert_true(d->p <= 16);
    for (size_t j = 0; j < d->p; j++)
        beta[j] = j == 0 ? -1.0 : 0.3 * (double)j;
    mql_points_opts o;
    mql_points_opts_default(&o);
    o.pdo = 10 * log(2.0);
    mql_points *m;
    long *sc = NULL;
    assert_int_equal(mql_points_from_fit_scored(d, beta, b, NULL, NULL, &o, &m, &sc, &err),
                     MQL_OK);
    size_t *rows = malloc(N * sizeof *rows);
    assert_non_null(rows);
    for (size_t r = 0; r < N; r++)
        rows[r] = r;
    assert_int_equal(mql_points_self_check_rows_scored(d, b, m, rows, N, sc, &err), MQL_OK);
    static const size_t bad[] = {100, 2999, 3000, 5999};
    for (size_t q = 0; q < sizeof bad / sizeof bad[0]; q++) {
        char want[64];
        sc[bad[q]]++;
        assert_int_equal(mql_points_self_check_rows_scored(d, b, m, rows, N, sc, &err),
                         MQL_EDATA);
        snprintf(want, sizeof want, "lead on line %zu scores %ld by", bad[q] + 2, sc[bad[q]] - 1);
        if (!strstr(err.msg, want))
            fail_msg("expected '%s' in: %s", want, err.msg);
        sc[bad[q]]--;
    }
    free(rows);
    free(sc);
    mql_points_free(m);
    mql_design_binding_free(b);
    mql_design_free(d);
    mql_table_free(t);
}

static void inside_rows_at_cuts(int plain);

/* The points pass's step lookups (score_chunk through mql_points_inside_rows: the table of
 * points by written integer, and the per-cut counts) against the row-by-row reference,
 * mql_points_internal_scores, on values exactly at, just below and just above every cut, far
 * outside the cuts and missing. A decimal column with a missing cell (its missing term) and an
 * integer column without one (a missing value there scores as 0 does); the values are set after
 * the fit, so the cuts stay the fit's. The table reads infinities as missing, so no column
 * holds one. Twice: the decimals one written unit (0.001) either side of each cut, as a plain
 * decimal column holds them (the table by integer), then the doubles next to each cut, which
 * no plain decimal column holds (the column marked as not plain: the points added per cut by
 * difference). Through the row list of the self-check and through the whole pass in row order. */
static void test_inside_rows_at_cuts(void **state)
{
    (void)state;
    for (int plain = 1; plain >= 0; plain--)
        inside_rows_at_cuts(plain);
}

static void inside_rows_at_cuts(int plain)
{
    char csv[4096], path[64];
    size_t len = (size_t)snprintf(csv, sizeof csv, "amt,visits,won\n");
    enum { N = 80 };
    for (size_t r = 0; r < N; r++)
        len += (size_t)snprintf(csv + len, sizeof csv - len, "%s,%zu,%d\n",
                                r == 7 ? "" : r % 9 == 0 ? "-1.75" : r % 5 == 0 ? "2.125" : "0.5",
                                r % 9, (int)(r % 3 == 0 || r % 7 == 0));
    assert_non_null(write_temp(path, sizeof path, csv));
    mql_err err;
    mql_table *t;
    mql_design *d;
    mql_design_binding *b;
    read_bound(path, &t, &d, &b);
    double beta[16];
    assert_true(d->p <= 16);
    for (size_t j = 0; j < d->p; j++)
        beta[j] = j == 0 ? -1.0 : 0.45 + 0.3 * (double)j;
    unsigned char y[N];
    long won = mql_table_find(t, "won");
    for (size_t r = 0; r < N; r++)
        y[r] = t->cols[won].num[r] != 0;
    mql_points_opts o;
    mql_points_opts_default(&o);
    o.pdo = 10 * log(2.0);
    mql_points *m;
    assert_int_equal(mql_points_from_fit_data(d, beta, b, y, &o, &m, &err), MQL_OK);
    /* both columns score through steps with more than one cut */
    int seen[2] = {0, 0};
    for (size_t k = 0; k < m->n_steps; k++) {
        const mql_points_step *st = &m->steps[k];
        size_t fi = strcmp(d->labels[st->term], "amt") == 0 ? 0 : 1;
        assert_true(st->n > 2);
        seen[fi] = 1;
        mql_column *col = &t->cols[mql_table_find(t, fi ? "visits" : "amt")];
        assert_true(col->plain_decimal);
        assert_int_equal(col->decimals, fi ? 0 : 3);
        if (!fi)
            col->plain_decimal = plain;
        size_t r = 0;
        for (size_t c = 1; c < st->n; c++) {
            double cut = st->lo[c], w = round(cut * 1000);
            assert_true(fi || w / 1000 == cut);   /* a cut at the data's precision */
            double v[3] = {cut, fi ? cut - 1 : plain ? (w - 1) / 1000 : nextafter(cut, -INFINITY),
                           fi ? cut + 1 : plain ? (w + 1) / 1000 : nextafter(cut, INFINITY)};
            for (int q = 0; q < 3; q++)
                col->num[r++] = v[q];
        }
        col->num[r++] = -1e300;
        col->num[r++] = 1e300;
        col->num[r++] = fi ? -7 : -123.456;   /* beyond the table's ends, as written */
        col->num[r++] = fi ? 20 : 99.999;
        col->num[r++] = fi ? -1000 : -0.0;
        col->num[r++] = fi ? 1000 : 0.0;
        col->num[r++] = NAN;
        assert_true(r <= N);
        /* the missing cells as the reader counts them (the pass reads a column without any
         * without testing its values) */
        col->n_missing = 0;
        for (size_t q = 0; q < N; q++)
            col->n_missing += isnan(col->num[q]);
    }
    assert_true(seen[0] && seen[1]);
    long ref[N], got[N];
    size_t rows[N];
    for (size_t r = 0; r < N; r++)
        rows[r] = N - 1 - r;
    assert_int_equal(mql_points_internal_scores(d, b, m, NULL, ref, NULL, &err), MQL_OK);
    assert_int_equal(mql_points_inside_rows(d, b, m, rows, N, got, &err), MQL_OK);
    for (size_t r = 0; r < N; r++)
        if (got[r] != ref[rows[r]])
            fail_msg("row %zu (amt %.17g, visits %.17g): %ld by the pass, %ld by the reference",
                     rows[r], t->cols[0].num[rows[r]], t->cols[1].num[rows[r]], got[r],
                     ref[rows[r]]);
    /* the pass itself over every row in order (its loops without a row list) */
    double eta[N] = {0};
    mql_points_pass_in pin = {eta, 0, 0, NAN, NAN, 1, 0, 1};
    mql_points_pass pass;
    assert_int_equal(mql_points_cost_pass(d, b, m, &pin, y, NULL, &pass, &err), MQL_OK);
    for (size_t r = 0; r < N; r++)
        if (pass.scores[r] != ref[r])
            fail_msg("row %zu (amt %.17g, visits %.17g): %ld by the whole pass, %ld by the "
                     "reference", r, t->cols[0].num[r], t->cols[1].num[r], pass.scores[r],
                     ref[r]);
    free(pass.scores);
    free(pass.check_rows);
    free(pass.check_scores);
    mql_points_free(m);
    mql_design_binding_free(b);
    mql_design_free(d);
    mql_table_free(t);
}

/* The target: on datasets/synthetic-leads.csv (closed_won, default design: linear
 * numerics, so every numeric becomes point steps) with the default scale, the integer score
 * loses at most 0.005 AUC against the unrounded model (measured: 0.7864 -> 0.7826), and the
 * exported rules pass the self-check. */
static void test_synthetic_target(void **state)
{
    (void)state;
    mql_err err;
    mql_table *t;
    assert_int_equal(mql_table_read("datasets/synthetic-leads.csv", NULL, &t, &err), MQL_OK);
    mql_design_opts o;
    mql_design_opts_init(&o);
    const char *roles[] = {"closed_won", "became_sql", "sql_date", "close_date", "acv",
                           "created_date", "lead_id"};
    for (size_t i = 0; i < 7; i++)
        assert_int_equal(mql_design_opts_add_role(&o, roles[i], &err), MQL_OK);
    mql_design *d;
    mql_design_binding *b;
    assert_int_equal(mql_design_build(t, &o, &d, &err), MQL_OK);
    mql_design_opts_clear(&o);
    assert_int_equal(mql_design_bind(d, t, &b, &err), MQL_OK);
    size_t n = t->n_rows;
    unsigned char *y = malloc(n);
    double *yd = malloc(n * sizeof *yd);
    long won = mql_table_find(t, "closed_won");
    for (size_t r = 0; r < n; r++)
        yd[r] = y[r] = t->cols[won].num[r] != 0;
    mql_glm_data gd = {n, d->p, mql_design_fill, b, yd, NULL};
    mql_glm_result *g;
    assert_int_equal(mql_glm_fit(&gd, NULL, &g, &err), MQL_OK);
    mql_points *m;
    assert_int_equal(mql_points_from_fit_data(d, g->beta, b, y, NULL, &m, &err), MQL_OK);
    assert_true(m->auc_exact - m->auc_points <= 0.005);
    assert_true(m->auc_points > 0.75);
    long lo, hi;
    mql_points_range(m, &lo, &hi);
    assert_true(hi >= 90 && hi <= 110);   /* "about max_points" above the baseline */
    assert_int_equal(mql_points_self_check(d, b, m, &err), MQL_OK);
    mql_points_free(m);
    mql_glm_result_free(g);
    free(y);
    free(yd);
    mql_design_binding_free(b);
    mql_design_free(d);
    mql_table_free(t);
}

/* ---- the scorer's numeric lookup against rule-by-rule matching ----------------------------
 * The scorer finds a numeric cell's rule in a breakpoint table; the reference here tries every
 * rule with mql_rule_match (the definition). Exact integer comparison of every feature's points
 * on values at, just beside and between every bound, -0 / +0, integers and fractions, huge and
 * subnormal numbers, missing cells. */
static const char *fast_rules =
    "feature,operator,value,points,group\n"
    "a,<,-2,1,fit\n"
    "a,between,-2..-1,2,fit\n"
    "a,=,0,4,fit\n"
    "a,between,0.5..0.75,8,fit\n"
    "a,>=,3,16,engagement\n"
    "a,missing,,32,fit\n"
    "b,!=,5,64,fit\n"
    "c,in,1|2.5|-0,128,engagement\n"
    "c,=,abc,256,fit\n"
    "c,>,100,512,fit\n"
    "d,<=,0,1024,fit\n"
    "d,>,0.1,2048,engagement\n"
    "e,=,True,4096,fit\n"
    "e,missing,,8192,engagement\n"
    "f,<=,2,16384,fit\n"
    "f,between,3..3.0000000000000004,32768,fit\n"
    "g,in,-7|-5|-3|-1|1|3|5|7|9|11|13|15|17|19|21|23|25,65536,engagement\n"
    "g,between,26..30,131072,fit\n"
    "g,<,-7,262144,fit\n"
    "threshold,,,10\n";

/* The first rule of `feature` that matches c, by mql_rule_match; NULL when none. */
static const mql_rule *ref_rule(const mql_points *m, const char *feature, const mql_cell *c)
{
    for (size_t i = 0; i < m->n_rules; i++)
        if (strcmp(m->rules[i].cond[0].feature, feature) == 0 && mql_rule_match(&m->rules[i], c))
            return &m->rules[i];
    return NULL;
}

static void test_score_numeric_lookup(void **state)
{
    (void)state;
    mql_err err;
    mql_points *m = read_text(fast_rules, MQL_OK, &err);
    /* g has 19 breakpoints (the binary search; the others are counted) */
    static const char *names[] = {"a", "b", "c", "d", "e", "f", "g"};
    enum { NF = 7 };
    double special[] = {-2, -1, 0, -0.0, 0.5, 0.75, 3, 5, 1, 2.5, 100, 0.1, 2,
                        3.0000000000000004, 1e300, -1e300, 4.9e-324, -4.9e-324, 2.2250738585072014e-308,
                        -3, 4, 7, 0.25, 0.6, 1.5, -1.5, 2.4999999999999996, 99.5,
                        -7, -5, 9, 11, 13, 17, 19, 21, 23, 25, 26, 30, 29.5, 12, -6};
    size_t ns = sizeof special / sizeof special[0];
    /* every special value, its neighbours, and NaN (missing) */
    size_t nv = 3 * ns + 1, n = nv * NF;
    double *vals = malloc(nv * sizeof *vals);
    assert_non_null(vals);
    for (size_t i = 0; i < ns; i++) {
        vals[3 * i] = special[i];
        vals[3 * i + 1] = nextafter(special[i], -INFINITY);
        vals[3 * i + 2] = nextafter(special[i], INFINITY);
    }
    vals[3 * ns] = NAN;
    /* the table: row r holds vals[(r + k * 7) % nv] in column k, so values meet in many
     * combinations; column e is boolean (0 / 1 / missing) */
    mql_table t = {.source = "mem", .n_rows = n, .n_cols = NF};
    mql_column cols[NF];
    memset(cols, 0, sizeof cols);
    t.cols = cols;
    for (size_t k = 0; k < NF; k++) {
        cols[k].name = (char *)names[k];
        cols[k].type = k == 4 ? MQL_COL_BOOLEAN : MQL_COL_NUMERIC;
        cols[k].n_rows = n;
        assert_non_null(cols[k].num = malloc(n * sizeof(double)));
        for (size_t r = 0; r < n; r++) {
            double v = vals[(r + k * 7) % nv];
            cols[k].num[r] = k == 4 ? (isnan(v) ? NAN : (double)(r % 2)) : v;
        }
    }
    mql_scorer *s;
    assert_int_equal(mql_scorer_bind(m, &t, &s, &err), MQL_OK);
    assert_int_equal(mql_scorer_n_features(s), NF);
    long *sc = malloc(n * sizeof *sc), *fit = malloc(n * sizeof *fit);
    assert_non_null(sc);
    assert_non_null(fit);
    assert_int_equal(mql_scorer_score_all(s, sc, fit, NULL, &err), MQL_OK);
    size_t unmatched[NF] = {0};
    for (size_t r = 0; r < n; r++) {
        long want = 0, want_fit = 0;
        for (size_t k = 0; k < NF; k++) {
            double v = cols[k].num[r];
            mql_cell c = {NULL, 0, isnan(v), !isnan(v), v};
            const mql_rule *ru = ref_rule(m, names[k], &c);
            want += ru ? ru->points : 0;
            want_fit += ru && ru->group == MQL_GROUP_FIT ? ru->points : 0;
            unmatched[k] += !ru && !isnan(v);
        }
        if (sc[r] != want || fit[r] != want_fit)
            fail_msg("row %zu (a=%.17g b=%.17g c=%.17g d=%.17g f=%.17g): score %ld fit %ld, "
                     "rule by rule %ld fit %ld", r, cols[0].num[r], cols[1].num[r],
                     cols[2].num[r], cols[3].num[r], cols[5].num[r], sc[r], fit[r], want,
                     want_fit);
        mql_score_result res;
        mql_scorer_score_row(s, r, &res);
        assert_int_equal(res.score, want);
    }
    for (size_t k = 0; k < NF; k++)
        assert_int_equal(mql_scorer_unmatched(s, k), unmatched[k]);
    mql_scorer_free(s);

    /* the streaming path: the same values as text ("%.17g"; "-0", subnormals, "NA") */
    char *hdr[NF];
    for (size_t k = 0; k < NF; k++)
        hdr[k] = (char *)names[k];
    assert_int_equal(mql_scorer_bind_header(m, hdr, NF, "mem", NULL, 0, &s, &err), MQL_OK);
    char text[NF][40];
    const char *fields[NF];
    size_t unmatched_text[NF] = {0};   /* a subnormal may read as text here, not as a number */
    for (size_t r = 0; r < n; r++) {
        long want = 0;
        for (size_t k = 0; k < NF; k++) {
            double v = cols[k].num[r];
            if (isnan(v))
                snprintf(text[k], sizeof text[k], "NA");
            else if (k == 4)
                snprintf(text[k], sizeof text[k], "%s", v != 0 ? "yes" : "False");
            else
                snprintf(text[k], sizeof text[k], "%.17g", v);
            fields[k] = text[k];
            mql_cell c;
            mql_cell_from_text(&c, text[k], NULL, 0);
            const mql_rule *ru = ref_rule(m, names[k], &c);
            want += ru ? ru->points : 0;
            unmatched_text[k] += !ru && !c.missing;
        }
        mql_score_result res;
        mql_scorer_score_fields(s, fields, NF, &res);
        if (res.score != want)
            fail_msg("record %zu (a=%s c=%s d=%s f=%s): score %ld, rule by rule %ld", r,
                     text[0], text[2], text[3], text[5], res.score, want);
    }
    for (size_t k = 0; k < NF; k++)
        assert_int_equal(mql_scorer_unmatched(s, k), unmatched_text[k]);
    mql_scorer_free(s);
    for (size_t k = 0; k < NF; k++)
        free(cols[k].num);
    free(sc);
    free(fit);
    free(vals);
    mql_points_free(m);
}

/* ---- the streaming scorer's memo of cell texts ------------------------------------------------
 * A header-bound scorer remembers the rule each recent cell text matched (score.c, memo_rule).
 * Over 30,000 records, texts that differ only past the eighth or sixteenth byte (more of them
 * than memo slots), by a trailing blank or by case, texts too long for the memo, placeholders,
 * and a number column with thousands of distinct values (its memo is switched off part way)
 * must score as a scorer that has never seen them (a freshly bound one), with ',' and then ';'
 * as the delimiter. After mql_scorer_set_delim the remembered texts no longer hold ("1,5" is the
 * number 1.5 in a ';' file only). */
static const char memo_rules[] =
    "feature,operator,value,points,group\n"
    "job,=,Individual Contributor,1,fit\n"
    "job,=,Individual Contributors,2,fit\n"
    "job,=,Individual Contributor and Team Lead,4,fit\n"
    "job,=,vp,8,fit\n"
    "job,missing,,16,fit\n"
    "n,>=,697,32,fit\n"
    "n,=,1.5,64,engagement\n"
    "n,missing,,128,fit\n"
    "threshold,,,10\n";

/* The score a freshly bound scorer gives the record {job, n}. */
static long cold_score(const mql_points *m, char *const *hdr, const char *job, const char *n,
                       char delim)
{
    mql_err err;
    mql_scorer *c;
    assert_int_equal(mql_scorer_bind_header(m, hdr, 2, "mem", NULL, 0, &c, &err), MQL_OK);
    mql_scorer_set_delim(c, delim);
    const char *fields[] = {job, n};
    mql_score_result res;
    mql_scorer_score_fields(c, fields, 2, &res);
    mql_scorer_free(c);
    return res.score;
}

static void test_score_memo(void **state)
{
    (void)state;
    mql_err err;
    mql_points *m = read_text(memo_rules, MQL_OK, &err);
    static const char *jobs[] = {
        "Individual Contributor", "Individual Contributors", "Individual Contributor ",
        " Individual Contributor", "individual contributor", "Individual ContributoR",
        "Individual Contributor and Team Lead", "Individual Contributor and Team Leads",
        "Individual Contributor and Team Lea", "VP", "vp", "Vp ", "V", "VPs", "", " ", "NA",
        "na", "Select", "-", "x", "Individual", "Individual Contributo"};
    static const char *nums[] = {"1,5", "1.5", "697", "696.99", " 697 ", "NaN", "", "1.50",
                                 "6.97e2", "1,500", "n/a"};
    enum { NJ = sizeof jobs / sizeof jobs[0], NN = sizeof nums / sizeof nums[0] };
    char *hdr[] = {"job", "n"};
    mql_scorer *s;
    assert_int_equal(mql_scorer_bind_header(m, hdr, 2, "mem", NULL, 0, &s, &err), MQL_OK);
    for (int pass = 0; pass < 2; pass++) {
        char delim = pass ? ';' : ',';
        /* each listed text's points by a fresh scorer ("1" and "x" match no rule) */
        long pj[NJ], pn[NN];
        for (size_t j = 0; j < NJ; j++)
            pj[j] = cold_score(m, hdr, jobs[j], "1", delim);
        for (size_t i = 0; i < NN; i++)
            pn[i] = cold_score(m, hdr, "x", nums[i], delim);
        mql_scorer_set_delim(s, delim);
        for (size_t r = 0; r < 30000; r++) {
            /* every other job one of 1,500 texts (no rule's) of the length of "Individual
             * Contributor" and with its first bytes: more texts than memo slots, so texts share
             * slots; two numbers in three one of thousands of whole numbers (so the column's
             * memo is switched off), else a listed text */
            char job[64], num[32];
            long want = 0;
            if (r % 2) {
                snprintf(job, sizeof job, "Individual Contrib%04zu", (r * 31) % 1500);
            } else {
                snprintf(job, sizeof job, "%s", jobs[(r / 2 * 5) % NJ]);
                want += pj[(r / 2 * 5) % NJ];
            }
            if (r % 3 != 2) {
                size_t v = (r * 7919) % 20000;
                snprintf(num, sizeof num, "%zu", v);
                want += v >= 697 ? 32 : 0;
            } else {
                snprintf(num, sizeof num, "%s", nums[(r / 3) % NN]);
                want += pn[(r / 3) % NN];
            }
            const char *fields[] = {job, num};
            mql_score_result res;
            mql_scorer_score_fields(s, fields, 2, &res);
            if (res.score != want)
                fail_msg("pass %d record %zu ('%s', '%s'): score %ld, a fresh scorer %ld", pass,
                         r, job, num, res.score, want);
        }
    }
    mql_scorer_free(s);
    /* a remembered text does not outlive a change of delimiter: "1,5" is 1.5 in a ';' file only */
    assert_int_equal(mql_scorer_bind_header(m, hdr, 2, "mem", NULL, 0, &s, &err), MQL_OK);
    const char *dc[] = {"vp", "1,5"};
    mql_score_result res;
    mql_scorer_score_fields(s, dc, 2, &res);
    assert_int_equal(res.score, 8);
    mql_scorer_set_delim(s, ';');
    mql_scorer_score_fields(s, dc, 2, &res);
    assert_int_equal(res.score, 8 + 64);
    mql_scorer_set_delim(s, ',');
    mql_scorer_score_fields(s, dc, 2, &res);
    assert_int_equal(res.score, 8);
    mql_scorer_free(s);
    mql_points_free(m);
}

/* ---- LINEAR steps from counted vs sorted values ---------------------------------------------
 * Column u repeats 37 short decimals (few distinct values: counted in a hash table) and column w
 * has 2,000 distinct fractions (sorted). Either way the steps must be the header's rule applied to
 * the sorted values: cuts v[floor(k n / 6)] (moved up from the minimum), representative = the
 * values of the step added in ascending order / their count; compared exactly with that rule
 * computed here by qsort. A cut of values without a short decimal form (w) then moves down to
 * the shortest decimal above the value below it (mql_cut_bounds), which keeps every value in its
 * step, and each step's rule ends at top[k] with no value in (top[k], lo[k + 1]). */
static int cmp_dbl(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static void expect_steps(const double *col, size_t n, const mql_points_step *st)
{
    double *v = malloc(n * sizeof *v);
    assert_non_null(v);
    size_t nv = 0;
    for (size_t i = 0; i < n; i++)
        if (!isnan(col[i]))
            v[nv++] = col[i];
    qsort(v, nv, sizeof *v, cmp_dbl);
    double lo[8] = {-INFINITY};
    size_t ns = 1, above = 0;
    while (above < nv && v[above] <= v[0])
        above++;
    for (size_t k = 1; k < 6; k++) {
        double c = v[k * nv / 6];
        if (c <= v[0]) {
            if (above >= nv)
                continue;
            c = v[above];
        }
        if (c > lo[ns - 1])
            lo[ns++] = c;
    }
    assert_int_equal(st->n, ns);
    int dec = 0;
    for (size_t q = 0; q < nv && dec >= 0; q++) {
        int dq = mql_decimals(v[q]);
        dec = dq < 0 ? -1 : dq > dec ? dq : dec;
    }
    size_t i = 0;
    for (size_t k = 0; k < ns; k++) {
        double sum = 0;
        size_t i0 = i;
        while (i < nv && (k + 1 == ns || v[i] < lo[k + 1]))
            sum += v[i++];
        double rep = i > i0 ? sum / (double)(i - i0) : lo[k];
        double want_lo = lo[k];
        if (k > 0 && i0 > 0) {
            double hi, l2;
            mql_cut_bounds(v[i0 - 1], lo[k], dec, &hi, &l2);
            want_lo = l2;
            assert_true(st->top[k - 1] == hi);
            assert_true(v[i0 - 1] <= hi && hi < l2 && l2 <= v[i0]);
        }
        if (st->lo[k] != want_lo || st->rep[k] != rep)
            fail_msg("step %zu: lo %.17g rep %.17g, expected lo %.17g rep %.17g", k, st->lo[k],
                     st->rep[k], want_lo, rep);
    }
    free(v);
}

static void test_linear_steps_counted_and_sorted(void **state)
{
    (void)state;
    enum { N = 2000 };
    size_t cap = 64 * N;
    char *csv = malloc(cap), path[64];
    assert_non_null(csv);
    size_t len = (size_t)snprintf(csv, cap, "u,w,won\n");
    uint64_t g = 12345;
    for (size_t r = 0; r < N; r++) {
        g = g * 6364136223846793005ULL + 1442695040888963407ULL;
        long k = (long)((g >> 33) % 37) - 3;    /* -3..33: no quantile cut falls on 0 */
        double w = ((double)(g >> 11) / 9007199254740992.0) * 50 - 10;
        const char *u_text = k == 0 ? (r % 2 ? "-0.0" : "0") : NULL;
        char ub[32];
        if (!u_text) {
            snprintf(ub, sizeof ub, "%.2f", k * 0.37);
            u_text = ub;
        }
        len += (size_t)snprintf(csv + len, cap - len, "%s,%.17g,%d\n", r % 97 == 5 ? "" : u_text,
                                w, (int)((g >> 20) % 3 == 0));
    }
    assert_non_null(write_temp(path, sizeof path, csv));
    free(csv);
    mql_err err;
    mql_table *t;
    assert_int_equal(mql_table_read(path, NULL, &t, &err), MQL_OK);
    unlink(path);
    mql_design_opts o;
    mql_design_opts_init(&o);
    assert_int_equal(mql_design_opts_add_role(&o, "won", &err), MQL_OK);
    mql_design *d;
    assert_int_equal(mql_design_build(t, &o, &d, &err), MQL_OK);
    mql_design_opts_clear(&o);
    mql_design_binding *b;
    assert_int_equal(mql_design_bind(d, t, &b, &err), MQL_OK);
    double *beta = calloc(d->p, sizeof *beta);
    assert_non_null(beta);
    for (size_t j = 0; j < d->p; j++)
        beta[j] = j == 0 ? -1.0 : 0.3 / (double)j;
    mql_points *m;
    assert_int_equal(mql_points_from_fit_data(d, beta, b, NULL, NULL, &m, &err), MQL_OK);
    assert_int_equal(m->n_steps, 2);
    long cu = mql_table_find(t, "u"), cw = mql_table_find(t, "w");
    assert_true(t->cols[cu].n_distinct <= 37);
    assert_int_equal(t->cols[cw].n_distinct, N);
    /* u's steps come from counting its written digits (2 decimals), w's from sorting */
    assert_int_equal(t->cols[cu].plain_decimal, 1);
    assert_int_equal(t->cols[cu].decimals, 2);
    assert_int_equal(t->cols[cw].plain_decimal, 0);
    expect_steps(t->cols[cu].num, N, &m->steps[0]);
    expect_steps(t->cols[cw].num, N, &m->steps[1]);
    assert_int_equal(mql_points_self_check(d, b, m, &err), MQL_OK);
    mql_points_free(m);
    free(beta);
    mql_design_binding_free(b);
    mql_design_free(d);
    mql_table_free(t);
}

/* Every default placeholder reads as missing in any case and with blanks around it; words that
 * only start like one do not (the reader keeps the placeholders' lengths in a table). */
static void test_default_placeholders(void **state)
{
    (void)state;
    mql_cell c;
    for (size_t i = 0; i < mql_n_default_na; i++) {
        char buf[32];
        snprintf(buf, sizeof buf, " %s\t", mql_default_na[i]);
        for (char *p = buf; *p; p++)
            *p = (char)(i % 2 ? toupper((unsigned char)*p) : *p);
        mql_cell_from_text(&c, buf, NULL, 0);
        if (!c.missing)
            fail_msg("'%s' should be missing", buf);
    }
    static const char *const not_na[] = {"NAN", "nulls", "Selected", "unknow", "--", "N/", "nonE1",
                                         "yes!", "truth"};
    for (size_t i = 0; i < sizeof not_na / sizeof not_na[0]; i++) {
        mql_cell_from_text(&c, not_na[i], NULL, 0);
        if (c.missing || c.is_num)
            fail_msg("'%s' should be a non-missing text", not_na[i]);
    }
    mql_cell_from_text(&c, " FALSE ", NULL, 0);
    assert_true(c.is_num && c.num == 0.0 && !c.missing);
    mql_cell_from_text(&c, "Y", NULL, 0);
    assert_true(c.is_num && c.num == 1.0);
}

/* Bands stay inside the score range and ascend for any threshold: rules f1 = 10 and f2 = 20
 * give scores 0..30; the map doubles the odds every 10 points (w = 10). */
static void check_bands(long t, const long *lo, const long *hi)
{
    static const char csv[] = "feature,operator,value,points\nf1,=,a,10\nf2,=,b,20\n"
                              "threshold,,,0\n";
    FILE *f = fmemopen((void *)csv, sizeof csv - 1, "r");
    assert_non_null(f);
    mql_points *m;
    mql_err err;
    assert_int_equal(mql_points_read_stream(f, "bands.csv", &m, &err), MQL_OK);
    fclose(f);
    m->has_map = 1;
    m->map_a = -1.0;
    m->map_b = log(2.0) / 10;
    m->threshold = t;
    assert_int_equal(mql_points_make_bands(m, &err), MQL_OK);
    assert_int_equal(m->n_bands, 4);
    for (size_t i = 0; i < 4; i++) {
        assert_int_equal(m->bands[i].lo, lo[i]);
        assert_int_equal(m->bands[i].hi, hi[i]);
        assert_true(m->bands[i].p_lo <= m->bands[i].p_hi);
        if (i > 0)
            assert_true(m->bands[i].p_hi <= m->bands[i - 1].p_lo);
    }
    mql_points_free(m);
}

static void test_bands_inside_range(void **state)
{
    (void)state;
    /* room for a full doubling either side: A >= 25, B 15..24, C 5..14, D <= 4 */
    check_bands(15, (const long[]){25, 15, 5, LONG_MIN}, (const long[]){LONG_MAX, 24, 14, 4});
    /* threshold 28 near the best score 30: B 28..29 and A from 30 (was A >= 38: no score) */
    check_bands(28, (const long[]){30, 28, 18, LONG_MIN}, (const long[]){LONG_MAX, 29, 27, 17});
    /* threshold 30 = the best score: B holds it, A (31..) cannot hold any */
    check_bands(30, (const long[]){31, 30, 20, LONG_MIN}, (const long[]){LONG_MAX, 30, 29, 19});
    /* threshold 3 near the worst score 0: C 2..2 and D ends at 1 (was C -7..2, D <= -8) */
    check_bands(3, (const long[]){13, 3, 2, LONG_MIN}, (const long[]){LONG_MAX, 12, 2, 1});
    /* a hand-set threshold above every score keeps its bands; probabilities still ascend */
    check_bands(45, (const long[]){55, 45, 35, LONG_MIN}, (const long[]){LONG_MAX, 54, 44, 34});
}

/* At a 63% base rate "twice the base rate" is 126%; twice the odds is 77.3%, and the threshold
 * is a score some training lead reached. Two leads: scores 0 and 30 (f1 and f2 both), base rate
 * from y; the map puts 77.3% beyond 30 when a = 0 and b = 0.02, so the top score is taken. */
static void test_threshold_high_base_rate(void **state)
{
    fixture *fx = *state;
    mql_points_opts o;
    mql_points_opts_default(&o);
    o.pdo = 10 * log(2.0);
    unsigned char y[20];
    for (size_t r = 0; r < 20; r++)
        y[r] = r < 13;   /* 65% won */
    mql_points *m;
    mql_err err;
    assert_int_equal(mql_points_from_fit_data(fx->d, fx->beta, fx->b, y, &o, &m, &err), MQL_OK);
    /* target 2 (0.65) / 1.65 = 78.8% = logistic(-2 + s / 10) -> s = 33.1: the best score 33
     * (a training lead has it), which was "twice the base rate" = 130%, unreachable, before */
    long best = LONG_MIN, worst = LONG_MAX;
    long score[20];
    assert_int_equal(mql_points_internal_scores(fx->d, fx->b, m, NULL, score, NULL, &err), MQL_OK);
    for (size_t r = 0; r < 20; r++) {
        best = score[r] > best ? score[r] : best;
        worst = score[r] < worst ? score[r] : worst;
    }
    assert_int_equal(best, 33);
    assert_int_equal(m->threshold, 33);
    assert_non_null(strstr(m->threshold_rule, "closest to 78.8%"));
    /* B holds the threshold; A (34..) cannot hold a score; C 26..32, D <= 25 */
    assert_int_equal(m->bands[1].lo, 33);
    assert_int_equal(m->bands[1].hi, 33);
    assert_int_equal(m->bands[2].lo, 26);
    assert_int_equal(m->bands[3].hi, 25);
    for (size_t i = 0; i < 4; i++)
        assert_true(m->bands[i].p_lo <= m->bands[i].p_hi);
    mql_points_free(m);
}

/* A placeholder kept as an answer (the table read with --na NA) scores as a level end to end: the
 * fitted model takes the table's list, the rules CSV carries it on a '# na:' line the reader
 * honours, the JSON keeps it, and "= Select" is a value rule. Without the list the rules do not
 * read back and the self-check names the cause. */
static void test_kept_placeholder(void **state)
{
    (void)state;
    char path[64];
    char text[4096] = "city,won\n";
    for (int i = 0; i < 60; i++)
        strcat(text, i % 3 == 0 ? "Select,1\n" : i % 3 == 1 ? "Mumbai,0\n" : i % 2 ? "NA,1\n" : "Mumbai,1\n");
    assert_non_null(write_temp(path, sizeof path, text));
    const char *na[] = {"NA", ""};
    mql_read_opts ro = {.na = na, .n_na = 2};
    mql_err err;
    mql_table *t;
    assert_int_equal(mql_table_read(path, &ro, &t, &err), MQL_OK);
    unlink(path);
    assert_non_null(mql_table_na(t));
    mql_design_opts dopt;
    mql_design_opts_init(&dopt);
    assert_int_equal(mql_design_opts_add_role(&dopt, "won", &err), MQL_OK);
    mql_design *d;
    mql_design_binding *b;
    assert_int_equal(mql_design_build(t, &dopt, &d, &err), MQL_OK);
    mql_design_opts_clear(&dopt);
    assert_int_equal(mql_design_bind(d, t, &b, &err), MQL_OK);
    assert_int_equal(d->p, 3);                   /* Mumbai (reference), Select, (missing) */
    double beta[3] = {-0.5, 1.0, 0.7};
    mql_points_opts o;
    mql_points_opts_default(&o);
    mql_points *m;
    assert_int_equal(mql_points_from_fit_data(d, beta, b, NULL, &o, &m, &err), MQL_OK);
    assert_int_equal(m->na.n, 2);
    int has_select = 0;
    for (size_t k = 0; k < m->n_rules; k++)
        has_select |= m->rules[k].cond[0].op == MQL_OP_EQ &&
                      strcmp(m->rules[k].cond[0].value, "Select") == 0;
    assert_true(has_select);
    assert_int_equal(mql_points_self_check(d, b, m, &err), MQL_OK);

    /* the rules CSV: '# na: NA' first, read back with it */
    char *buf = NULL;
    size_t len = 0;
    FILE *mem = open_memstream(&buf, &len);
    assert_int_equal(mql_points_write_csv(m, mem), MQL_OK);
    fclose(mem);
    assert_non_null(strstr(buf, "\n# na: NA\n"));
    mql_points *back = read_text(buf, MQL_OK, &err);
    assert_int_equal(back->na.n, 2);
    assert_int_equal(back->n_rules, m->n_rules);
    mql_points_free(back);
    /* a '# na:' line after the rules is refused: it would change values already read */
    size_t cap = len + 64;
    char *late = malloc(cap);
    snprintf(late, cap, "%s# na: NA\n", buf);
    back = read_text(late, MQL_EDATA, &err);
    assert_non_null(strstr(err.msg, "the '# na:' line must come before the rules"));
    free(late);
    free(buf);

    /* the JSON keeps the list */
    json_t *j = mql_points_to_json(m);
    assert_non_null(json_object_get(j, "na"));
    assert_int_equal(mql_points_from_json(j, &back, &err), MQL_OK);
    assert_int_equal(back->na.n, 2);
    mql_points_free(back);
    json_decref(j);

    /* without the list the rules refuse "= Select" and the self-check says why */
    assert_int_equal(mql_points_set_na(m, NULL, 0, &err), MQL_OK);
    assert_int_equal(mql_points_self_check(d, b, m, &err), MQL_EDATA);
    assert_non_null(strstr(err.msg, "'Select' is a missing-value placeholder"));
    assert_non_null(strstr(err.msg, "likely cause: the training file kept it as a value (--na)"));
    mql_points_free(m);
    mql_design_binding_free(b);
    mql_design_free(d);
    mql_table_free(t);
}

/* Runs the last job of the exact costs (on a second thread: it must wait for the blocks). */
static void *last_job(void *arg)
{
    mql_exact_costs *x = arg;
    mql_exact_costs_run(x, mql_exact_costs_jobs(x) - 1);
    return NULL;
}

/* The exact model's costs in row blocks (points_cost.h) are mql_logloss of mql_logistic(eta)
 * and mql_auc of eta bit for bit: on one thread in order, with the blocks in reverse order
 * while a second thread already waits in the last job (in their own memory or the caller's
 * scratch), weighted, with eta writable, and NAN for one class (AUC) and for no rows (both). 200,000 rows: four blocks, the last a short one;
 * eta with ties (a grid) and continuous values. */
static void test_exact_costs_jobs(void **state)
{
    (void)state;
    enum { N = 200000 };
    double *eta = malloc(N * sizeof *eta), *p = malloc(N * sizeof *p);
    double *w = malloc(N * sizeof *w), *copy = malloc(N * sizeof *copy);
    unsigned char *y = malloc(N);
    assert_non_null(eta && p && w && copy && y);
    uint64_t g = 5;
    for (size_t i = 0; i < N; i++) {
        g = g * 6364136223846793005ULL + 1442695040888963407ULL;
        double u = (double)(g >> 11) * 0x1p-53;
        eta[i] = i % 4 == 0 ? (double)((g >> 40) % 50) / 8.0 - 4.0 : 9.0 * u - 6.0;
        /* and the logistic's edges: a signed zero, tiny values, and probabilities that round
         * to 0 or 1 (the loss clamps them), the exponential underflowing at the last two */
        static const double edge[] = {-0.0, 0.0, 1e-300, -1e-300, 40, -40, 800, -800};
        if (i >= 1000 && i < 1000 + 16 * 8 && i % 16 == 1)
            eta[i] = edge[(i - 1000) / 16];
        p[i] = mql_logistic(eta[i]);
        w[i] = 0.25 + (double)((g >> 20) % 100) / 64.0;
        y[i] = (g >> 45) % 8 == 0 || (eta[i] > 0.5 && (g >> 50) % 2);
    }
    mql_err err;
    double auc_ref, ll_ref, aucw_ref, llw_ref, auc, ll;
    assert_int_equal(mql_auc(eta, y, NULL, N, &auc_ref, &err), MQL_OK);
    assert_int_equal(mql_logloss(p, y, NULL, N, &ll_ref, &err), MQL_OK);
    assert_int_equal(mql_auc(eta, y, w, N, &aucw_ref, &err), MQL_OK);
    assert_int_equal(mql_logloss(p, y, w, N, &llw_ref, &err), MQL_OK);
    assert_true(auc_ref > 0.55 && auc_ref < 0.95);

    mql_points_exact_costs(eta, 0, y, NULL, N, &auc, &ll);
    assert_memory_equal(&auc, &auc_ref, sizeof auc);
    assert_memory_equal(&ll, &ll_ref, sizeof ll);
    mql_points_exact_costs(eta, 0, y, w, N, &auc, &ll);
    assert_memory_equal(&auc, &aucw_ref, sizeof auc);
    assert_memory_equal(&ll, &llw_ref, sizeof ll);
    memcpy(copy, eta, N * sizeof *copy);
    mql_points_exact_costs(copy, 1, y, NULL, N, &auc, &ll);
    assert_memory_equal(&auc, &auc_ref, sizeof auc);
    assert_memory_equal(&ll, &ll_ref, sizeof ll);

    /* in their own memory, then in the caller's scratch (what the train step hands over),
     * which holds garbage to begin with, weighted too; the scratch stays the caller's */
    for (int own = 1; own >= 0; own--)
        for (int weighted = 0; weighted < 2 - own; weighted++) {
            for (size_t i = 0; i < N; i++)
                copy[i] = (double)i * -1e300;
            mql_exact_costs x;
            mql_exact_costs_init(&x, eta, 0, own ? NULL : copy, y, weighted ? w : NULL, N);
            size_t jobs = mql_exact_costs_jobs(&x);
            assert_int_equal(jobs, 5);
            assert_true(own ? x.term != copy : x.term == copy);
            pthread_t th;
            assert_int_equal(pthread_create(&th, NULL, last_job, &x), 0);
            for (size_t k = jobs - 1; k-- > 0;)
                mql_exact_costs_run(&x, k);
            pthread_join(th, NULL);
            mql_exact_costs_finish(&x, &auc, &ll);
            assert_memory_equal(&auc, weighted ? &aucw_ref : &auc_ref, sizeof auc);
            assert_memory_equal(&ll, weighted ? &llw_ref : &ll_ref, sizeof ll);
        }

    memset(y, 0, N);
    mql_points_exact_costs(eta, 0, y, NULL, N, &auc, &ll);
    assert_true(isnan(auc) && isfinite(ll));
    mql_points_exact_costs(eta, 0, y, NULL, 0, &auc, &ll);
    assert_true(isnan(auc) && isnan(ll));
    free(eta), free(p), free(w), free(copy), free(y);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_convert_fixed_pdo, setup, teardown),
        cmocka_unit_test_setup_teardown(test_convert_default_scale, setup, teardown),
        cmocka_unit_test_setup_teardown(test_round_trip, setup, teardown),
        cmocka_unit_test(test_reader_errors),
        cmocka_unit_test(test_matching),
        cmocka_unit_test(test_overlap),
        cmocka_unit_test(test_score),
        cmocka_unit_test(test_score_numeric_lookup),
        cmocka_unit_test(test_score_memo),
        cmocka_unit_test(test_default_placeholders),
        cmocka_unit_test(test_linear_steps_counted_and_sorted),
        cmocka_unit_test_setup_teardown(test_json, setup, teardown),
        cmocka_unit_test_setup_teardown(test_self_check, setup, teardown),
        cmocka_unit_test(test_kept_placeholder),
        cmocka_unit_test(test_synthetic_target),
        cmocka_unit_test(test_bands_inside_range),
        cmocka_unit_test_setup_teardown(test_threshold_high_base_rate, setup, teardown),
        cmocka_unit_test_setup_teardown(test_self_check_reuses_scores, setup, teardown),
        cmocka_unit_test(test_exact_costs_jobs),
        cmocka_unit_test(test_inside_rows_at_cuts),
        cmocka_unit_test(test_self_check_rows_halves),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
