/* test_compound.c: compound rules (rule.h), caps (points.h), the rules CSV version 2
 * (rules_csv.h), the points JSON with compound rules and caps, design interactions (design.h)
 * and the interaction cells (interact.h). Expected values are hand calculations stated beside
 * each check. */
#include "testutil.h"

#include <unistd.h>

#include "mqlcal/interact.h"
#include "mqlcal/model.h"
#include "mqlcal/points.h"
#include "mqlcal/points_fit.h"
#include "mqlcal/rules_csv.h"
#include "mqlcal/score.h"
#include "mqlcal/selfcheck.h"

static mql_points *read_text(const char *text, int want_rc, mql_err *err)
{
    FILE *f = fmemopen((void *)text, strlen(text), "r");
    assert_non_null(f);
    mql_points *m = NULL;
    int rc = mql_points_read_stream(f, "rules.csv", &m, err);
    fclose(f);
    if (rc != want_rc)
        fail_msg("read: rc %d (want %d): %s", rc, want_rc, rc ? err->msg : "");
    return m;
}

/* A rule of two conditions: matching, words, overlap with the same feature set only. */
static void test_rule_api(void **state)
{
    (void)state;
    mql_err err;
    mql_rule a, b, c;
    assert_int_equal(mql_rule_init(&a, "job_level", "in", "Director|VP", 25, MQL_GROUP_FIT, &err),
                     MQL_OK);
    assert_int_equal(mql_rule_add_cond(&a, "employees", ">=", "100", &err), MQL_OK);
    assert_int_equal(a.n_cond, 2);
    /* a second condition on one feature is refused and leaves the rule as it was */
    assert_int_equal(mql_rule_add_cond(&a, "job_level", "=", "CEO", &err), MQL_EDATA);
    assert_non_null(strstr(err.msg, "second condition on 'job_level'"));
    assert_int_equal(a.n_cond, 2);
    char buf[256];
    assert_string_equal(mql_reason_text(&a, buf, sizeof buf),
                        "+25 job_level in Director|VP and employees >= 100");
    assert_string_equal(mql_rule_field(&a, 0, buf, sizeof buf), "job_level & employees");
    assert_string_equal(mql_rule_field(&a, 2, buf, sizeof buf), "Director|VP & 100");
    mql_cell cells[2];
    mql_cell_from_text(&cells[0], "vp", NULL, 0);
    mql_cell_from_text(&cells[1], "100", NULL, 0);
    assert_true(mql_rule_match(&a, cells));
    mql_cell_from_text(&cells[1], "99", NULL, 0);
    assert_false(mql_rule_match(&a, cells));
    mql_cell_from_text(&cells[1], "", NULL, 0);
    assert_false(mql_rule_match(&a, cells));   /* missing never meets >= */
    /* b: the same features in the other order, overlapping at VP and > 500 */
    assert_int_equal(mql_rule_init(&b, "employees", ">", "500", 10, MQL_GROUP_FIT, &err), MQL_OK);
    assert_int_equal(mql_rule_add_cond(&b, "job_level", "=", "VP", &err), MQL_OK);
    assert_true(mql_rules_same_features(&a, &b));
    assert_true(mql_rules_overlap(&a, &b, buf, sizeof buf));
    assert_non_null(strstr(buf, "job_level = VP, employees = "));
    /* c: same features, disjoint on employees: no overlap */
    assert_int_equal(mql_rule_init(&c, "job_level", "=", "VP", 5, MQL_GROUP_FIT, &err), MQL_OK);
    assert_int_equal(mql_rule_add_cond(&c, "employees", "<", "100", &err), MQL_OK);
    assert_false(mql_rules_overlap(&a, &c, buf, sizeof buf));
    /* a one-condition rule on job_level has another feature set: never an overlap */
    mql_rule d;
    assert_int_equal(mql_rule_init(&d, "job_level", "=", "VP", 5, MQL_GROUP_FIT, &err), MQL_OK);
    assert_false(mql_rules_same_features(&a, &d));
    assert_false(mql_rules_overlap(&a, &d, buf, sizeof buf));
    /* copies are deep */
    mql_rule e;
    assert_int_equal(mql_rule_set_name(&a, "senior", &err), MQL_OK);
    assert_int_equal(mql_rule_copy(&e, &a, NULL, 0, &err), MQL_OK);
    mql_rule_clear(&a);
    assert_int_equal(e.n_cond, 2);
    assert_string_equal(e.name, "senior");
    assert_string_equal(e.cond[1].feature, "employees");
    assert_int_equal(e.points, 25);
    mql_rule_clear(&b), mql_rule_clear(&c), mql_rule_clear(&d), mql_rule_clear(&e);
    mql_rule_clear(NULL);
}

/* The cap order: group sums (negatives included), group caps, then the total cap. */
static void test_apply_caps(void **state)
{
    (void)state;
    mql_points *m = mql_points_new();
    assert_non_null(m);
    long f, e, t;
    assert_int_equal(mql_points_apply_caps(m, 130, 40, &f, &e, &t), 0);
    assert_true(f == 130 && e == 40 && t == 170);
    m->cap_fit = 100;
    m->cap_engagement = 30;
    m->cap_total = 110;
    /* fit 130 - already net of negatives - capped at 100; engagement 40 -> 30; total 130 -> 110 */
    unsigned b = mql_points_apply_caps(m, 130, 40, &f, &e, &t);
    assert_int_equal(b, MQL_CAP_FIT | MQL_CAP_ENGAGEMENT | MQL_CAP_TOTAL);
    assert_true(f == 100 && e == 30 && t == 110);
    /* a cap never raises: negative sums pass through */
    b = mql_points_apply_caps(m, -20, 35, &f, &e, &t);
    assert_int_equal(b, MQL_CAP_ENGAGEMENT);
    assert_true(f == -20 && e == 30 && t == 10);
    /* exactly at the cap is not "bound" */
    assert_int_equal(mql_points_apply_caps(m, 100, 10, NULL, NULL, &t), 0);
    assert_int_equal(t, 110);
    mql_points_free(m);
}

static const char *const v2_text =
    "feature,operator,value,points,group,rule\n"
    "job_level,in,Director|VP|C-Level,25,fit,big\n"
    "pricing_page_visits,>=,1,20,engagement,\n"
    "employees,>=,100,,,big\n"
    "days_since_last_activity,>,90,-10,engagement,\n"
    "cap,,,20,fit,\n"
    "cap,,,15,engagement,\n"
    "cap,,,30,total,\n"
    "threshold,,,30,,\n";

/* Version 2 read (non-adjacent rows of one rule), caps, write, read back: same model; the range
 * is capped; JSON round trip keeps the conditions and caps. */
static void test_v2_round_trip(void **state)
{
    (void)state;
    mql_err err;
    mql_points *m = read_text(v2_text, MQL_OK, &err);
    assert_int_equal(m->n_rules, 3);
    assert_int_equal(m->rules[0].n_cond, 2);
    assert_string_equal(m->rules[0].name, "big");
    assert_string_equal(m->rules[0].cond[1].feature, "employees");
    assert_int_equal(m->rules[0].line, 2);
    assert_true(m->cap_fit == 20 && m->cap_engagement == 15 && m->cap_total == 30);
    assert_true(mql_points_is_v2(m));
    long lo, hi;
    mql_points_range(m, &lo, &hi);
    /* fit 0..25 -> 0..20, engagement -10..20 -> -10..15; total -10..35 -> -10..30 */
    assert_int_equal(lo, -10);
    assert_int_equal(hi, 30);
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    assert_int_equal(mql_points_write_csv(m, f), MQL_OK);
    fclose(f);
    assert_non_null(strstr(buf, "feature,operator,value,points,group,rule\n"));
    assert_non_null(strstr(buf, "job_level,in,Director|VP|C-Level,25,fit,big\n"
                                "employees,>=,100,,,big\n"));
    assert_non_null(strstr(buf, "cap,,,20,fit,\ncap,,,15,engagement,\ncap,,,30,total,\n"));
    mql_points *back = read_text(buf, MQL_OK, &err);
    free(buf);
    assert_int_equal(back->n_rules, 3);
    assert_int_equal(back->rules[0].n_cond, 2);
    assert_int_equal(back->cap_total, 30);
    json_t *j = mql_points_to_json(m);
    assert_non_null(j);
    mql_points *jb = NULL;
    assert_int_equal(mql_points_from_json(j, &jb, &err), MQL_OK);
    json_decref(j);
    assert_int_equal(jb->rules[0].n_cond, 2);
    assert_string_equal(jb->rules[0].cond[1].value, "100");
    assert_string_equal(jb->rules[0].name, "big");
    assert_true(jb->cap_fit == 20 && jb->cap_engagement == 15 && jb->cap_total == 30);
    /* a version 1 model writes no rule column and no caps key */
    mql_points *v1 = read_text("feature,operator,value,points\nx,=,a,3\nthreshold,,,1\n", MQL_OK,
                               &err);
    assert_false(mql_points_is_v2(v1));
    json_t *j1 = mql_points_to_json(v1);
    assert_null(json_object_get(j1, "caps"));
    assert_null(json_object_get(json_array_get(json_object_get(j1, "rules"), 0), "and"));
    json_decref(j1);
    mql_points_free(v1);
    mql_points_free(jb);
    mql_points_free(back);
    mql_points_free(m);
}

/* Scoring through both scorer paths: rows of a table and raw fields, with caps. */
static void test_score_caps(void **state)
{
    (void)state;
    mql_err err;
    mql_points *m = read_text(v2_text, MQL_OK, &err);
    static const char *const leads =
        "job_level,employees,pricing_page_visits,days_since_last_activity\n"
        "VP,500,2,100\n"      /* fit 25 -> 20; engagement 20 - 10 = 10; total 30 */
        "VP,50,2,5\n"         /* fit 0; engagement 20 -> 15; total 15 */
        "Manager,500,0,200\n" /* fit 0; engagement -10; total -10 */
        "C-Level,100,3,1\n";  /* fit 20 (cap), engagement 15 (cap), total 35 -> 30 */
    char path[64];
    assert_non_null(write_temp(path, sizeof path, leads));
    mql_table *t = NULL;
    assert_int_equal(mql_table_read(path, NULL, &t, &err), MQL_OK);
    mql_scorer *s = NULL;
    assert_int_equal(mql_scorer_bind(m, t, &s, &err), MQL_OK);
    long sc[4], fi[4], en[4];
    assert_int_equal(mql_scorer_score_all(s, sc, fi, en, &err), MQL_OK);
    const long want[4][3] = {{30, 20, 10}, {15, 0, 15}, {-10, 0, -10}, {30, 20, 15}};
    for (size_t r = 0; r < 4; r++) {
        assert_int_equal(sc[r], want[r][0]);
        assert_int_equal(fi[r], want[r][1]);
        assert_int_equal(en[r], want[r][2]);
        mql_score_result res;
        mql_scorer_score_row(s, r, &res);
        assert_int_equal(res.score, want[r][0]);
        assert_int_equal(res.fit, want[r][1]);
    }
    mql_score_result res;
    mql_scorer_score_row(s, 3, &res);
    assert_int_equal(res.uncapped, 25 + 20);
    assert_int_equal(res.capped, MQL_CAP_FIT | MQL_CAP_ENGAGEMENT | MQL_CAP_TOTAL);
    size_t binds[3];
    assert_int_equal(mql_scorer_cap_stats(s, NULL, binds, &err), MQL_OK);
    assert_true(binds[0] == 2 && binds[1] == 2 && binds[2] == 1);
    /* the streaming path gives the same */
    char *names[] = {"job_level", "employees", "pricing_page_visits",
                     "days_since_last_activity"};
    mql_scorer *h = NULL;
    assert_int_equal(mql_scorer_bind_header(m, names, 4, "x.csv", NULL, 0, &h, &err), MQL_OK);
    const char *row[] = {"C-Level", "100", "3", "1"};
    mql_scorer_score_fields(h, row, 4, &res);
    assert_int_equal(res.score, 30);
    assert_int_equal(res.reason[0], 0);   /* the compound +25 first */
    /* a model naming a column the leads lack */
    char *few[] = {"job_level", "pricing_page_visits", "days_since_last_activity"};
    mql_scorer *h2 = NULL;
    assert_int_equal(mql_scorer_bind_header(m, few, 3, "x.csv", NULL, 0, &h2, &err), MQL_EDATA);
    assert_non_null(strstr(err.msg, "x.csv has no column 'employees' that the model needs"));
    mql_scorer_free(h);
    mql_scorer_free(s);
    mql_table_free(t);
    unlink(path);
    mql_points_free(m);
}

/* Design interactions: labels, product fill, copy, the cells rule, and the fitted points
 * becoming compound rules that pass the self-check. */
static void test_design_interactions(void **state)
{
    (void)state;
    mql_err err;
    /* 40 leads: level a/b/c by row % 3 (a the most frequent, so the reference), flag by row % 2;
     * won when (level b and flag yes) on most rows, a few others */
    char text[4096] = "level,flag,won\n";
    for (int r = 0; r < 60; r++) {
        const char *lv = r % 3 == 0 ? "a" : r % 3 == 1 ? "b" : "c";
        const char *fl = r % 2 ? "yes" : "no";
        int won = (r % 3 == 1 && r % 2) ? r % 5 != 0 : r % 7 == 0 && !(r % 3 == 2 && r % 2);
        char line[32];
        snprintf(line, sizeof line, "%s,%s,%d\n", lv, fl, won);
        strcat(text, line);
    }
    char path[64];
    assert_non_null(write_temp(path, sizeof path, text));
    mql_table *t = NULL;
    assert_int_equal(mql_table_read(path, NULL, &t, &err), MQL_OK);
    unsigned char y[60];
    long wc = mql_table_find(t, "won");
    for (size_t r = 0; r < 60; r++)
        y[r] = t->cols[wc].num[r] != 0;
    mql_design_opts o;
    mql_design_opts_init(&o);
    o.min_level_count = 0;
    assert_int_equal(mql_design_opts_add_role(&o, "won", &err), MQL_OK);
    assert_int_equal(mql_design_opts_parse_interactions(&o, "level:flag", &err), MQL_OK);
    assert_int_equal(mql_design_opts_parse_interactions(&o, "level", &err), MQL_EUSAGE);
    mql_design *d = NULL;
    assert_int_equal(mql_design_build(t, &o, &d, &err), MQL_OK);
    assert_int_equal(d->p, 4);   /* intercept, level=b, level=c, flag */
    mql_design_binding *b = NULL;
    assert_int_equal(mql_design_bind(d, t, &b, &err), MQL_OK);
    mql_interaction ix;
    /* cells: b x yes (10 leads, 8 won) and c x yes (10 leads, 0 won: separates, dropped) */
    assert_int_equal(mql_ix_cells(b, y, NULL, 0, 1, 5, &ix, &err), MQL_OK);
    assert_int_equal(ix.n_cells, 1);
    assert_string_equal(d->labels[d->features[0].term0 + ix.ta[0]], "level=b");
    mql_interaction none;
    assert_int_equal(mql_ix_cells(b, y, NULL, 0, 1, 11, &none, &err), MQL_OK);
    assert_int_equal(none.n_cells, 0);   /* 10 leads a cell: under 11 */
    free(none.ta);
    free(none.tb);
    mql_design_binding_free(b);
    assert_int_equal(mql_design_set_interactions(d, &ix, 1, &err), MQL_OK);
    free(ix.ta);
    free(ix.tb);
    assert_int_equal(d->p, 5);
    assert_string_equal(d->labels[4], "level=b:flag");
    assert_string_equal(d->texts[4], "level = b and flag = yes");
    assert_int_equal(d->term_ix[4], 0);
    assert_int_equal(d->term_feature[4], -1);
    mql_design *cp = NULL;
    assert_int_equal(mql_design_copy(d, &cp, &err), MQL_OK);
    assert_int_equal(cp->p, 5);
    assert_string_equal(cp->labels[4], "level=b:flag");
    mql_design_free(cp);
    assert_int_equal(mql_design_bind(d, t, &b, &err), MQL_OK);
    double x[3 * 5];
    assert_int_equal(mql_design_fill(b, 0, 3, x, &err), MQL_OK);
    /* row 1: level b, flag yes -> product 1; row 0: a, no; row 2: c, no */
    assert_true(x[1 * 5 + 4] == 1.0 && x[0 * 5 + 4] == 0.0 && x[2 * 5 + 4] == 0.0);
    /* a fitted-looking beta: the interaction cell scores 20 points at pdo ln2 * 10 */
    double beta[5] = {-2.0, 0.1, -0.2, 0.3, 2.0};
    mql_points_opts po;
    mql_points_opts_default(&po);
    po.pdo = 10 * log(2.0);   /* factor 10 points per unit of log-odds */
    mql_points *m = NULL;
    assert_int_equal(mql_points_from_fit_data(d, beta, b, y, &po, &m, &err), MQL_OK);
    const mql_rule *r = &m->rules[m->n_rules - 1];
    assert_int_equal(r->n_cond, 2);
    assert_int_equal(r->points, 20);
    assert_string_equal(r->name, "level=b:flag");
    char words[128];
    assert_string_equal(mql_rule_text(r, words, sizeof words), "level = b and flag = yes");
    assert_int_equal(mql_points_self_check(d, b, m, &err), MQL_OK);
    /* with a total cap the self-check still holds and the caps are in the model */
    mql_points *mc = NULL;
    po.cap_total = 5;
    assert_int_equal(mql_points_from_fit_data(d, beta, b, y, &po, &mc, &err), MQL_OK);
    assert_int_equal(mc->cap_total, 5);
    assert_true(mc->share_capped > 0);
    assert_int_equal(mql_points_self_check(d, b, mc, &err), MQL_OK);
    mql_points_free(mc);
    mql_points_free(m);
    /* bad interactions are refused and leave none */
    mql_interaction bad = {1, 0, 0, NULL, NULL, 0};
    assert_int_equal(mql_design_set_interactions(d, &bad, 1, &err), MQL_EDATA);
    assert_int_equal(d->n_ix, 0);
    assert_int_equal(d->p, 4);
    mql_design_binding_free(b);
    mql_design_free(d);
    mql_design_opts_clear(&o);
    mql_table_free(t);
    unlink(path);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rule_api),
        cmocka_unit_test(test_apply_caps),
        cmocka_unit_test(test_v2_round_trip),
        cmocka_unit_test(test_score_caps),
        cmocka_unit_test(test_design_interactions),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
