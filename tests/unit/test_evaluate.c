/* test_evaluate.c: the evaluate module against references and hand calculations.
 * References: tests/fixtures/eval/ref_py.txt (scikit-learn, scripts/ref_eval.py) and ref_r.txt
 * (R, scripts/ref_eval.R), computed on tests/fixtures/eval/ (the two score files), which
 * scripts/make_eval_fixture.sh made with build/mqlcal from the bundled datasets.
 * Tolerances: 1e-9 absolute for AUC, Brier, log loss and the reliability table; 1e-8 relative for
 * Hosmer-Lemeshow and Wilson; counts exact. */
#include "testutil.h"

#include "mqlcal/evaluate.h"
#include "mqlcal/rules_csv.h"
#include "mqlcal/table_ops.h"

#define FIX "tests/fixtures/eval/"

/* ---- fixture helpers ---- */

typedef struct ref {
    size_t n;
    char (*name)[64];
    double *v;
} ref;

static void ref_load(ref *r, const char *path)
{
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    r->n = 0;
    r->name = malloc(4096 * sizeof *r->name);
    r->v = malloc(4096 * sizeof *r->v);
    char line[256];
    while (fgets(line, sizeof line, f)) {
        if (line[0] == '#')
            continue;
        assert_true(r->n < 4096);
        assert_int_equal(sscanf(line, "%63s %lf", r->name[r->n], &r->v[r->n]), 2);
        r->n++;
    }
    fclose(f);
}

static double ref_get(const ref *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static double ref_get(const ref *r, const char *fmt, ...)
{
    char key[64];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(key, sizeof key, fmt, ap);
    va_end(ap);
    for (size_t i = 0; i < r->n; i++)
        if (strcmp(r->name[i], key) == 0)
            return r->v[i];
    fail_msg("reference %s not found", key);
    return NAN;
}

static void ref_free(ref *r)
{
    free(r->name);
    free(r->v);
}

/* Reads columns (y, score, prob) = (0, sc, pc) of a scores fixture. */
static size_t load_scores(const char *path, int sc, int pc, double **score, double **prob,
                          unsigned char **y)
{
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    size_t cap = 50000, n = 0;
    *score = malloc(cap * sizeof **score);
    *prob = malloc(cap * sizeof **prob);
    *y = malloc(cap);
    char line[256];
    assert_non_null(fgets(line, sizeof line, f));
    while (fgets(line, sizeof line, f)) {
        assert_true(n < cap);
        double v[5];
        int k = 0;
        for (char *p = line, *end; k < 5 && *p; k++, p = end + (*end == ',')) {
            v[k] = strtod(p, &end);
            if (end == p)
                break;
        }
        (*y)[n] = v[0] != 0;
        (*score)[n] = v[sc];
        (*prob)[n] = v[pc];
        n++;
    }
    fclose(f);
    return n;
}

/* A table written as CSV to a temporary file and read back as rows of doubles (text cells NAN). */
static double *tab_numbers(const mql_tab *t, size_t *rows, size_t *cols)
{
    FILE *f = tmpfile();
    assert_non_null(f);
    assert_int_equal(mql_tab_write(t, f, MQL_FMT_CSV), 0);
    rewind(f);
    *rows = mql_tab_rows(t);
    *cols = mql_tab_cols(t);
    double *v = malloc(*rows * *cols * sizeof *v);
    char line[4096];
    assert_non_null(fgets(line, sizeof line, f));
    for (size_t i = 0; i < *rows; i++) {
        assert_non_null(fgets(line, sizeof line, f));
        char *p = line;
        for (size_t j = 0; j < *cols; j++) {
            char *end;
            v[i * *cols + j] = strtod(p, &end);
            if (end == p)
                v[i * *cols + j] = NAN;
            p = strchr(p, ',');
            p = p ? p + 1 : line + strlen(line);
        }
    }
    fclose(f);
    return v;
}

/* ---- references ---- */

static void check_set(const char *tag, const char *file, int sc, int pc, const double *cuts,
                      size_t n_cuts)
{
    ref py, rr;
    ref_load(&py, FIX "ref_py.txt");
    ref_load(&rr, FIX "ref_r.txt");
    double *score, *prob;
    unsigned char *y;
    size_t n = load_scores(file, sc, pc, &score, &prob, &y);
    assert_int_equal(n, (size_t)ref_get(&py, "%s_n", tag));
    mql_scored *s = NULL;
    mql_err err;
    assert_int_equal(mql_scored_from_arrays(n, score, prob, y, NULL, NULL, NULL, 75, &s, &err),
                     MQL_OK);
    mql_eval_summary m;
    assert_int_equal(mql_eval_summarize(s, &m, &err), MQL_OK);
    assert_close(m.auc.auc, ref_get(&py, "%s_auc", tag), 0, 1e-9);
    assert_close(m.auc.gini, 2 * ref_get(&py, "%s_auc", tag) - 1, 0, 2e-9);
    assert_close(m.brier, ref_get(&py, "%s_brier", tag), 0, 1e-9);
    assert_close(m.logloss, ref_get(&py, "%s_logloss", tag), 0, 1e-9);
    assert_true(m.has_hl);
    assert_close(m.hl.chisq, ref_get(&rr, "%s_hl_chisq", tag), 1e-8, 0);
    assert_close(m.hl.p_value, ref_get(&rr, "%s_hl_p", tag), 1e-8, 0);
    assert_int_equal(m.hl.df, (int)ref_get(&rr, "%s_hl_df", tag));
    assert_int_equal(m.hl.groups_used, (size_t)ref_get(&rr, "%s_hl_groups", tag));

    /* Reliability by quantile bins = sklearn calibration_curve(strategy='quantile'). */
    mql_tab *t = NULL;
    assert_int_equal(mql_eval_reliability_quantile(s, 10, &t, &err), MQL_OK);
    size_t rows, cols;
    double *v = tab_numbers(t, &rows, &cols);
    assert_int_equal(rows, (size_t)ref_get(&py, "%s_rel_bins", tag));
    for (size_t k = 0; k < rows; k++) {
        assert_close(v[k * cols + 5], ref_get(&py, "%s_rel_%zu_pred", tag, k), 0, 1e-9);
        assert_close(v[k * cols + 6], ref_get(&py, "%s_rel_%zu_true", tag, k), 0, 1e-9);
        assert_int_equal((size_t)v[k * cols + 3], (size_t)ref_get(&py, "%s_rel_%zu_n", tag, k));
    }
    free(v);
    mql_tab_free(t);

    /* Reliability by score bands with Wilson intervals = R prop.test(correct = FALSE). */
    assert_int_equal(mql_eval_reliability_bands(s, cuts, n_cuts, &t, &err), MQL_OK);
    v = tab_numbers(t, &rows, &cols);
    assert_int_equal(rows, n_cuts + 1);
    for (size_t k = 0; k < rows; k++) {
        assert_int_equal((size_t)v[k * cols + 3], (size_t)ref_get(&rr, "%s_band_%zu_n", tag, k));
        assert_int_equal((size_t)v[k * cols + 4],
                         (size_t)ref_get(&rr, "%s_band_%zu_won", tag, k));
        assert_close(v[k * cols + 5], ref_get(&rr, "%s_band_%zu_pred", tag, k), 0, 1e-9);
        assert_close(v[k * cols + 7], ref_get(&rr, "%s_band_%zu_lo", tag, k), 1e-8, 0);
        assert_close(v[k * cols + 8], ref_get(&rr, "%s_band_%zu_hi", tag, k), 1e-8, 0);
    }
    free(v);
    mql_tab_free(t);
    mql_scored_free(s);
    free(score);
    free(prob);
    free(y);
    ref_free(&py);
    ref_free(&rr);
}

static void test_ref_synthetic_rules(void **state)
{
    (void)state;
    const double cuts[] = {56, 75, 94};
    check_set("syn_rules", FIX "synthetic-scores.csv", 1, 2, cuts, 3);
}

static void test_ref_synthetic_fit(void **state)
{
    (void)state;
    const double cuts[] = {0, 10, 20};
    check_set("syn_fit", FIX "synthetic-scores.csv", 3, 4, cuts, 3);
}

static void test_ref_bank_fit(void **state)
{
    (void)state;
    const double cuts[] = {10, 20, 30};
    check_set("bank_fit", FIX "bank-scores.csv", 1, 2, cuts, 3);
}

/* The in-sample Platt map of a rules model equals the map `mqlcal calibrate -o` fitted for the
 * fixture (whose probabilities are printed to 6 significant digits by `mqlcal score`). */
static void test_in_sample_platt(void **state)
{
    (void)state;
    double *score, *prob;
    unsigned char *y;
    size_t n = load_scores(FIX "synthetic-scores.csv", 1, 2, &score, &prob, &y);
    mql_scored *s = NULL;
    mql_err err;
    assert_int_equal(mql_scored_from_arrays(n, score, NULL, y, NULL, NULL, NULL, 75, &s, &err),
                     MQL_OK);
    assert_true(s->prob_platt);
    assert_true(s->platt.b > 0);
    for (size_t i = 0; i < n; i += 97)
        assert_close(s->prob[i], prob[i], 6e-6, 0);
    mql_eval_summary m;
    assert_int_equal(mql_eval_summarize(s, &m, &err), MQL_OK);
    assert_true(m.prob_platt);
    mql_tab *t = mql_eval_summary_tab(&m);
    int found = 0;
    for (size_t i = 0; i < mql_tab_rows(t); i++)
        found |= strcmp(mql_tab_cell(t, i, 4, NULL), MQL_EVAL_PLATT_NOTE) == 0;
    assert_true(found);
    mql_tab_free(t);
    mql_scored_free(s);
    free(score);
    free(prob);
    free(y);
}

/* ---- hand-calculated cases on a tiny lead file ---- */

static const char *const tiny_csv =
    "id,created,level,visits,won,sql\n"
    "1,2024-01-05,VP,5,1,1\n"
    "2,2024-01-20,VP,0,0,1\n"
    "3,2024-02-03,Staff,4,1,1\n"
    "4,2024-02-10,Staff,0,0,0\n"
    "5,2024-03-01,VP,2,0,1\n"
    "6,2024-04-15,VP,4,0,0\n"
    "7,2024-05-20,VP,6,1,1\n"
    "8,2024-06-28,Staff,0,0,0\n";

static const char *const old_rules =
    "feature,operator,value,points,group\n"
    "level,=,VP,20,fit\n"
    "visits,>=,3,30,engagement\n"
    "threshold,,,40,\n";

static const char *const new_rules =
    "feature,operator,value,points,group\n"
    "level,=,VP,10,fit\n"
    "visits,>=,3,30,engagement\n"
    "visits,between,1..2,5,engagement\n"
    "threshold,,,30,\n";

typedef struct tiny {
    char csv[64], r1[64], r2[64];
    mql_table *t;
    mql_points *p1, *p2;
    unsigned char y[8], sql[8];
} tiny;

static void tiny_load(tiny *k)
{
    mql_err err;
    assert_non_null(write_temp(k->csv, sizeof k->csv, tiny_csv));
    assert_non_null(write_temp(k->r1, sizeof k->r1, old_rules));
    assert_non_null(write_temp(k->r2, sizeof k->r2, new_rules));
    assert_int_equal(mql_table_read(k->csv, NULL, &k->t, &err), MQL_OK);
    assert_int_equal(mql_points_read_csv(k->r1, &k->p1, &err), MQL_OK);
    assert_int_equal(mql_points_read_csv(k->r2, &k->p2, &err), MQL_OK);
    long yc = mql_table_find(k->t, "won"), sc = mql_table_find(k->t, "sql");
    for (size_t i = 0; i < 8; i++) {
        k->y[i] = k->t->cols[yc].num[i] == 1;
        k->sql[i] = k->t->cols[sc].num[i] == 1;
    }
}

static void tiny_free(tiny *k)
{
    mql_table_free(k->t);
    mql_points_free(k->p1);
    mql_points_free(k->p2);
    remove(k->csv);
    remove(k->r1);
    remove(k->r2);
}

static void test_scored_and_compare(void **state)
{
    (void)state;
    tiny k;
    tiny_load(&k);
    mql_err err;
    mql_eval_roles r = {.y = k.y, .sql = k.sql, .date_col = mql_table_find(k.t, "created"),
                        .acv_col = -1};
    mql_scored *a = NULL, *b = NULL;
    assert_int_equal(mql_scored_new(k.p1, k.t, &r, &a, &err), MQL_OK);
    assert_int_equal(mql_scored_new(k.p2, k.t, &r, &b, &err), MQL_OK);
    /* old: VP 20 + visits >= 3 30; new: VP 10 + visits >= 3 30 + visits 1-2 5 */
    const double want_old[] = {50, 20, 30, 0, 20, 50, 50, 0};
    const double want_new[] = {40, 10, 30, 0, 15, 40, 40, 0};
    for (size_t i = 0; i < 8; i++) {
        assert_true(a->score[i] == want_old[i]);
        assert_true(b->score[i] == want_new[i]);
        assert_true(a->fit[i] + a->eng[i] == a->score[i]);
    }
    assert_true(a->prob_platt);           /* rules CSVs carry no map */
    assert_int_equal(a->month[0], 54 * 12);   /* 2024-01 */

    mql_compare *c = NULL;
    assert_int_equal(mql_compare_run(a, b, &c, &err), MQL_OK);
    /* old MQL (>= 40): leads 1, 6, 7. new MQL (>= 30): leads 1, 3, 6, 7. */
    assert_int_equal(c->move[0], 3);      /* stay */
    assert_int_equal(c->move[1], 1);      /* become: lead 3 (won) */
    assert_int_equal(c->move_won[1], 1);
    assert_int_equal(c->move[2], 0);
    assert_int_equal(c->move[3], 4);
    assert_int_equal(c->old_at->rows[0].mqls, 3);
    assert_int_equal(c->new_at->rows[0].mqls, 4);
    assert_close(c->new_at->rows[0].won_rate, 0.75, 0, 1e-15);
    /* rules: level=VP changed 20 -> 10, visits>=3 same, visits between added */
    assert_int_equal(c->n_rules, 3);
    assert_int_equal(c->rules[0].change, MQL_RULE_CHANGED);
    assert_int_equal(c->rules[0].old_points, 20);
    assert_int_equal(c->rules[0].new_points, 10);
    assert_int_equal(c->rules[1].change, MQL_RULE_SAME);
    assert_int_equal(c->rules[2].change, MQL_RULE_ADDED);
    mql_tab *t = mql_compare_rules_tab(c);
    assert_string_equal(mql_tab_cell(t, 2, 5, NULL), "added");
    mql_tab_free(t);
    t = mql_compare_migration_tab(c);
    assert_string_equal(mql_tab_cell(t, 1, 0, NULL), "become MQL");
    mql_tab_free(t);
    mql_compare_free(c);

    /* Grades: fit (VP 20 x5 / Staff 0 x3) type-7 quartiles 0, 20, 20 -> VP = A, Staff = C;
     * engagement (30 x4 / 0 x4) quartiles 0, 15, 30 -> 30 = 1, 0 = 3. Cells A1 (leads 1, 6,
     * 7; 2 won), A3 (2, 5), C1 (3), C3 (4, 8; none won). */
    assert_int_equal(mql_eval_grades(a, &t, &err), MQL_OK);
    assert_string_equal(mql_tab_cell(t, 0, 0, NULL), "A1");
    assert_string_equal(mql_tab_cell(t, 0, 3, NULL), "3");
    assert_string_equal(mql_tab_cell(t, 0, 4, NULL), "2");
    assert_string_equal(mql_tab_cell(t, 2, 3, NULL), "2");   /* A3 */
    assert_string_equal(mql_tab_cell(t, 8, 3, NULL), "1");   /* C1 */
    assert_string_equal(mql_tab_cell(t, 10, 3, NULL), "2");  /* C3 */
    assert_string_equal(mql_tab_cell(t, 10, 4, NULL), "0");
    mql_tab_free(t);

    /* Bands of the old model: threshold 40, width round(40 / 4) = 10: A >= 50, B 40-49,
     * C 30-39, D <= 29. */
    assert_int_equal(mql_eval_bands(a, &t, &err), MQL_OK);
    assert_string_equal(mql_tab_cell(t, 0, 0, NULL), "A");
    assert_string_equal(mql_tab_cell(t, 0, 3, NULL), "3");
    assert_string_equal(mql_tab_cell(t, 1, 3, NULL), "0");
    assert_string_equal(mql_tab_cell(t, 2, 3, NULL), "1");
    assert_string_equal(mql_tab_cell(t, 3, 3, NULL), "4");
    mql_tab_free(t);

    /* PSI by quarter: 2024Q1 (leads 1-5) vs 2024Q2 (6-8). */
    mql_eval_psi psi;
    assert_int_equal(mql_eval_psi_compute(a, &psi, &err), MQL_OK);
    assert_true(psi.by_quarter);
    assert_string_equal(psi.base_label, "2024Q1");
    assert_string_equal(psi.cur_label, "2024Q2");
    assert_int_equal(psi.n_base, 5);
    assert_int_equal(psi.n_cur, 3);
    assert_true(psi.psi.psi > 0);
    /* The quarters read from the set's months are those of its dates: the same PSI without
     * the months (the route by the calendar), one lead's date made missing in both. */
    a->date[1] = NAN;
    a->month[1] = mql_month_index(NAN);
    mql_eval_psi by_month, by_date;
    assert_int_equal(mql_eval_psi_compute(a, &by_month, &err), MQL_OK);
    long *months = a->month;
    a->month = NULL;
    for (size_t i = 0; i < a->n; i++)
        assert_true(mql_scored_quarter(a, i) == (months[i] == MQL_NO_MONTH ? LONG_MIN
                                                                            : months[i] / 3));
    assert_int_equal(mql_eval_psi_compute(a, &by_date, &err), MQL_OK);
    a->month = months;
    assert_int_equal(by_month.n_base, 4);
    assert_memory_equal(&by_month, &by_date, sizeof by_month);

    mql_scored_free(a);
    mql_scored_free(b);
    tiny_free(&k);
}

static void test_censoring_and_sweep(void **state)
{
    (void)state;
    tiny k;
    tiny_load(&k);
    mql_err err;
    /* End date 2024-06-28; maturity 60 days censors leads 7 (39 days) and 8 (0 days). */
    mql_eval_roles r = {.y = k.y, .sql = k.sql, .date_col = mql_table_find(k.t, "created"),
                        .acv_col = -1, .maturity_days = 60};
    mql_scored *a = NULL;
    assert_int_equal(mql_scored_new(k.p1, k.t, &r, &a, &err), MQL_OK);
    assert_int_equal(a->n_censored, 2);
    assert_true(a->censored[6] && a->censored[7]);
    mql_bt_sweep *sw = NULL;
    double thr = 40;
    assert_int_equal(mql_eval_sweep(a, &thr, 1, &sw, &err), MQL_OK);
    /* leads 1, 6 and 7 (censored, counted in volume); rated 1 and 6, one won */
    assert_int_equal(sw->rows[0].mqls, 3);
    assert_int_equal(sw->rows[0].rated, 2);
    assert_close(sw->rows[0].won_rate, 0.5, 0, 1e-15);
    mql_tab *t = mql_eval_thresholds_tab(sw, a, NULL, 0);
    assert_int_equal(mql_tab_cols(t), 21);
    assert_string_equal(mql_tab_name(t, 5), "censored");
    assert_string_equal(mql_tab_cell(t, 0, 5, NULL), "1");
    mql_tab_free(t);
    mql_bt_sweep_free(sw);
    mql_eval_summary m;
    assert_int_equal(mql_eval_summarize(a, &m, &err), MQL_OK);
    assert_int_equal(m.n_rated, 6);
    assert_int_equal(m.events, 2);
    mql_scored_free(a);

    /* Errors: maturity without a date; a column the model needs is missing. */
    r.date_col = -1;
    assert_int_equal(mql_scored_new(k.p1, k.t, &r, &a, &err), MQL_EUSAGE);
    assert_null(a);
    assert_non_null(strstr(err.msg, "--maturity"));
    r.maturity_days = 0;
    unsigned char mask[8] = {1, 1, 1, 1, 1, 1, 1, 1};
    mql_table *sub = NULL;
    assert_int_equal(mql_table_subset(k.t, mask, &sub, &err), MQL_OK);
    free(sub->cols[3].name);
    sub->cols[3].name = mql_strdup("pages");   /* "visits" is gone */
    assert_int_equal(mql_scored_new(k.p1, sub, &r, &a, &err), MQL_EDATA);
    assert_non_null(strstr(err.msg, "visits"));
    mql_table_free(sub);
    tiny_free(&k);
}

static void test_histogram_cuts_gains(void **state)
{
    (void)state;
    const double sc[] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11};
    const unsigned char y[] = {0, 0, 0, 1, 0, 0, 1, 0, 1, 1, 0, 1};
    mql_scored *s = NULL;
    mql_err err;
    assert_int_equal(mql_scored_from_arrays(12, sc, NULL, y, NULL, NULL, NULL, 6, &s, &err),
                     MQL_OK);
    mql_tab *t = NULL;
    /* 4 bins of width ceil(12 / 4) = 3: [0,3) 0 won 3 lost, [3,6) 1/2, [6,9) 2/1, [9,12) 2/1 */
    assert_int_equal(mql_eval_histogram(s, 4, &t, &err), MQL_OK);
    assert_int_equal(mql_tab_rows(t), 4);
    assert_string_equal(mql_tab_cell(t, 0, 3, NULL), "3");
    assert_string_equal(mql_tab_cell(t, 2, 2, NULL), "2");
    assert_string_equal(mql_tab_cell(t, 3, 1, NULL), "12");
    mql_tab_free(t);
    /* Quartile cuts of 0..11 (type 7): 2.75, 5.5, 8.25 -> ceil: 3, 6, 9. */
    double *cuts;
    size_t nc;
    assert_int_equal(mql_eval_score_cuts(s, 4, &cuts, &nc, &err), MQL_OK);
    assert_int_equal(nc, 3);
    assert_true(cuts[0] == 3 && cuts[1] == 6 && cuts[2] == 9);
    free(cuts);
    assert_int_equal(mql_eval_score_cuts(s, 1, &cuts, &nc, &err), MQL_EUSAGE);
    assert_int_equal(mql_eval_histogram(s, 0, &t, &err), MQL_EUSAGE);
    assert_int_equal(mql_eval_gains(s, &t, &err), MQL_OK);
    /* decile = floor(10 r / 12), r = leads scoring higher: 11 and 10 share the top decile */
    assert_string_equal(mql_tab_cell(t, 0, 1, NULL), "10");
    assert_string_equal(mql_tab_cell(t, 0, 2, NULL), "11");
    mql_tab_free(t);
    /* Recalibration of a points model: Platt map then isotonic knots. */
    mql_points *p = mql_points_new();
    p->threshold = 6;
    assert_int_equal(mql_eval_recalibrate(s, p, MQL_RECAL_PLATT, &err), MQL_OK);
    assert_true(p->has_map);
    assert_string_equal(p->map_method, "platt");
    assert_close(p->map_a, s->platt.a, 0, 1e-12);
    assert_close(p->map_b, s->platt.b, 0, 1e-12);
    assert_int_equal(mql_eval_recalibrate(s, p, MQL_RECAL_ISOTONIC, &err), MQL_OK);
    assert_string_equal(p->map_method, "isotonic");
    assert_true(p->n_iso >= 2);
    /* PAV on 0..11: the first three scores pool to 0, the last block to 2/3 or more. */
    assert_close(mql_points_prob(p, 0), 0.0, 0, 1e-15);
    assert_true(mql_points_prob(p, 11) >= mql_points_prob(p, 5));
    mql_points_free(p);
    /* PSI without dates: first half vs second half of the rows. */
    mql_eval_psi psi;
    assert_int_equal(mql_eval_psi_compute(s, &psi, &err), MQL_OK);
    assert_false(psi.by_quarter);
    assert_string_equal(psi.base_label, "rows 1-6");
    assert_string_equal(psi.cur_label, "rows 7-12");
    assert_true(psi.psi.empty_cur > 0);   /* the halves do not overlap: empty bins */
    mql_scored_free(s);
}

static void test_errors(void **state)
{
    (void)state;
    mql_err err;
    mql_scored *s = NULL, *o = NULL;
    const double sc[] = {1, 1, 1, 1};
    const double p[] = {0.1, 0.2, 0.3, 0.4};
    const unsigned char y[] = {0, 1, 0, 1};
    assert_int_equal(mql_scored_from_arrays(0, sc, p, y, NULL, NULL, NULL, 0, &s, &err),
                     MQL_EDATA);
    /* Platt on equal scores cannot be fitted. */
    assert_int_not_equal(mql_scored_from_arrays(4, sc, NULL, y, NULL, NULL, NULL, 0, &s, &err),
                         MQL_OK);
    assert_null(s);
    assert_non_null(strstr(err.msg, "Platt"));
    assert_int_equal(mql_scored_from_arrays(4, sc, p, y, NULL, NULL, NULL, 0, &s, &err), MQL_OK);
    unsigned char none[4] = {0};
    assert_int_equal(mql_scored_subset(s, none, &o, &err), MQL_EDATA);
    mql_scored *s3 = NULL;
    assert_int_equal(mql_scored_from_arrays(3, sc, p, y, NULL, NULL, NULL, 0, &s3, &err),
                     MQL_OK);
    mql_compare *c = NULL;
    assert_int_equal(mql_compare_run(s, s3, &c, &err), MQL_EDATA);
    assert_null(c);
    /* Summary with a class of one row (1 won, 2 lost): DeLong needs two of each, so AUC and
     * Gini read n/a with the counts; KS, Brier and log loss are still computed. */
    mql_eval_summary m;
    assert_int_equal(mql_eval_summarize(s3, &m, &err), MQL_OK);
    assert_int_equal(m.has_auc, 0);
    assert_int_equal(m.has_ks, 1);
    assert_true(isnan(m.auc.auc) && isfinite(m.ks.ks) && isfinite(m.brier));
    assert_string_equal(m.few_msg, "n/a (too few: 1 won, 2 lost)");
    mql_tab *t = mql_eval_summary_tab(&m);
    assert_non_null(t);
    for (size_t i = 0; i < mql_tab_rows(t); i++)
        if (strcmp(mql_tab_cell(t, i, 0, NULL), "AUC") == 0) {
            assert_string_equal(mql_tab_cell(t, i, 1, NULL), "");
            assert_string_equal(mql_tab_cell(t, i, 4, NULL), "n/a (too few: 1 won, 2 lost)");
        }
    mql_tab_free(t);
    t = NULL;
    assert_int_equal(mql_eval_grades(s, &t, &err), MQL_EDATA);     /* no sub-scores */
    assert_int_equal(mql_eval_bands(s, &t, &err), MQL_EDATA);      /* no model */
    mql_scored_free(s);
    mql_scored_free(s3);
}

/* A window with one class (issue 11): no in-sample Platt map can be fitted, so the probabilities
 * are unknown (NAN, no_prob) and every figure built on them reads n/a with the counts; the sweep
 * rates are 0 with recall and lift n/a; gains have no row; nothing fails. */
static void test_one_class_window(void **state)
{
    (void)state;
    mql_err err;
    mql_scored *s = NULL;
    const double sc[] = {5, 3, 8, 1, 3};
    const unsigned char lost[] = {0, 0, 0, 0, 0};
    assert_int_equal(mql_scored_from_arrays(5, sc, NULL, lost, NULL, NULL, NULL, 4, &s, &err),
                     MQL_OK);
    assert_int_equal(s->no_prob, 1);
    assert_int_equal(s->prob_platt, 1);
    for (size_t i = 0; i < 5; i++)
        assert_true(isnan(s->prob[i]));
    mql_eval_summary m;
    assert_int_equal(mql_eval_summarize(s, &m, &err), MQL_OK);
    assert_string_equal(m.few_msg, "n/a (too few: 0 won, 5 lost)");
    assert_int_equal(m.has_auc, 0);
    assert_int_equal(m.has_ks, 0);
    assert_int_equal(m.has_calib, 0);
    assert_int_equal(m.has_hl, 0);
    assert_true(isnan(m.brier) && isnan(m.logloss));
    assert_string_equal(m.calib_msg, "n/a (too few: 0 won, 5 lost)");
    mql_tab *t = mql_eval_summary_tab(&m);
    assert_non_null(t);
    for (size_t i = 0; i < mql_tab_rows(t); i++)
        if (strcmp(mql_tab_cell(t, i, 0, NULL), "Brier") == 0) {
            assert_string_equal(mql_tab_cell(t, i, 1, NULL), "");
            assert_string_equal(mql_tab_cell(t, i, 4, NULL), "n/a (too few: 0 won, 5 lost)");
        }
    mql_tab_free(t);
    assert_int_equal(mql_eval_gains(s, &t, &err), MQL_OK);
    assert_int_equal(mql_tab_rows(t), 0);
    mql_tab_free(t);
    double *cuts = NULL;
    size_t n_cuts = 0;
    assert_int_equal(mql_eval_score_cuts(s, 4, &cuts, &n_cuts, &err), MQL_OK);
    assert_int_equal(mql_eval_reliability_bands(s, cuts, n_cuts, &t, &err), MQL_OK);
    for (size_t i = 0; i < mql_tab_rows(t); i++)   /* predicted: empty, observed: 0 */
        assert_string_equal(mql_tab_cell(t, i, 5, NULL), "");
    mql_tab_free(t);
    free(cuts);
    mql_bt_sweep *sw = NULL;
    assert_int_equal(mql_eval_sweep(s, NULL, 0, &sw, &err), MQL_OK);
    assert_true(sw->rows[0].won_rate == 0 && isnan(sw->rows[0].recall));
    mql_bt_sweep_free(sw);
    mql_scored_free(s);
    /* Eleven won and one lost: Brier and KS are computed, AUC and calibration are not. */
    const double sc12[] = {9, 8, 8, 7, 7, 6, 6, 5, 5, 4, 3, 2};
    const unsigned char y12[] = {1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 1};
    double p12[12];
    for (size_t i = 0; i < 12; i++)
        p12[i] = 0.05 * sc12[i];
    assert_int_equal(mql_scored_from_arrays(12, sc12, p12, y12, NULL, NULL, NULL, 5, &s, &err),
                     MQL_OK);
    assert_int_equal(mql_eval_summarize(s, &m, &err), MQL_OK);
    assert_string_equal(m.few_msg, "n/a (too few: 11 won, 1 lost)");
    assert_int_equal(m.has_auc, 0);
    assert_int_equal(m.has_ks, 1);
    assert_true(isfinite(m.brier));
    /* calibration has both classes here (one lost lead): it is attempted, not refused */
    assert_true(m.has_calib || m.calib_msg[0]);
    mql_scored_free(s);
}

/* K-fold runs refit the model on the other folds: every lead is tested once, and the held-out
 * AUC of the synthetic leads lies below the in-sample one. */
static void test_run_parts_folds(void **state)
{
    (void)state;
    mql_err err;
    mql_table *t = NULL;
    const char *const only[] = {"job_level", "email_domain_type", "pricing_page_visits",
                                "closed_won"};
    mql_read_opts ro = {.only = only, .n_only = 4};
    assert_int_equal(mql_table_read("datasets/synthetic-leads.csv", &ro, &t, &err), MQL_OK);
    size_t n = t->n_rows;
    unsigned char *y = malloc(n);
    long yc = mql_table_find(t, "closed_won");
    for (size_t i = 0; i < n; i++)
        y[i] = t->cols[yc].num[i] == 1;
    size_t *fold = malloc(n * sizeof *fold);
    long *part = malloc(n * sizeof *part);
    assert_int_equal(mql_kfold_assign(n, 3, 5, y, fold, &err), MQL_OK);
    for (size_t i = 0; i < n; i++)
        part[i] = (long)fold[i];
    mql_design_opts dopts;
    mql_design_opts_init(&dopts);
    assert_int_equal(mql_design_opts_add_role(&dopts, "closed_won", &err), MQL_OK);
    mql_train_spec spec = {.design = &dopts};
    mql_points_opts_default(&spec.points);
    mql_eval_roles r = {.y = y, .date_col = -1, .acv_col = -1};
    const char *const labels[] = {"fold 1", "fold 2", "fold 3"};
    mql_eval_runs *runs = NULL;
    assert_int_equal(mql_eval_run_parts(t, &r, part, 3, labels, MQL_SPLIT_OTHERS, NULL, &spec,
                                        &runs, &err), MQL_OK);
    assert_int_equal(runs->n_parts, 3);
    size_t tested = 0;
    for (size_t j = 0; j < 3; j++) {
        tested += runs->parts[j].n_test;
        assert_int_equal(runs->parts[j].n_train + runs->parts[j].n_test, n);
        assert_true(runs->parts[j].auc > 0.6 && runs->parts[j].auc < 0.9);
    }
    assert_int_equal(tested, n);
    assert_int_equal(runs->pooled->n, n);
    /* In-sample AUC of the same model on all rows. */
    mql_model *m = NULL;
    assert_int_equal(mql_eval_train(t, y, NULL, &spec, &m, NULL, &err), MQL_OK);
    mql_scored *s = NULL;
    assert_int_equal(mql_scored_new(m->points, t, &r, &s, &err), MQL_OK);
    mql_eval_summary sum;
    assert_int_equal(mql_eval_summarize(s, &sum, &err), MQL_OK);
    assert_true(sum.auc.auc > runs->pooled_part.auc);
    mql_tab *tab = mql_eval_runs_tab(runs, 1);
    assert_int_equal(mql_tab_rows(tab), 4);
    assert_string_equal(mql_tab_cell(tab, 3, 0, NULL), "pooled");
    mql_tab_free(tab);
    /* An empty training part is named. */
    for (size_t i = 0; i < n; i++)
        part[i] = 1;
    mql_eval_runs_free(runs);
    runs = NULL;
    assert_int_equal(mql_eval_run_parts(t, &r, part, 2, labels, MQL_SPLIT_BEFORE, NULL, &spec,
                                        &runs, &err), MQL_EDATA);
    assert_non_null(strstr(err.msg, "fold 2"));
    mql_scored_free(s);
    mql_model_free(m);
    mql_design_opts_clear(&dopts);
    free(y);
    free(fold);
    free(part);
    mql_table_free(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ref_synthetic_rules), cmocka_unit_test(test_ref_synthetic_fit),
        cmocka_unit_test(test_ref_bank_fit),        cmocka_unit_test(test_in_sample_platt),
        cmocka_unit_test(test_scored_and_compare),  cmocka_unit_test(test_censoring_and_sweep),
        cmocka_unit_test(test_histogram_cuts_gains), cmocka_unit_test(test_errors),
        cmocka_unit_test(test_run_parts_folds),     cmocka_unit_test(test_one_class_window),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
