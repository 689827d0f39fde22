/* test_review.c: the review pipeline (review.h) and its writer (report_review.h) on the bundled
 * synthetic export, with the hand-written current model and an SDR capacity: the pieces a report
 * needs are there, the texts agree with the tables, and the error paths return a status.
 * Structural checks only; the numbers themselves are tested in test_evaluate.c, test_backtest.c
 * and test_funnel.c against R and scikit-learn. */
#include "testutil.h"
#include "testutil_table.h"

#include <sys/stat.h>
#include <unistd.h>

#include "mqlcal/report_review.h"
#include "mqlcal/review.h"

#define LEADS "datasets/synthetic-leads.csv"
#define CURRENT "datasets/current-model.rules.csv"
#define CAPACITY 150.0

typedef struct fixture {
    mql_table *t;
    unsigned char *y, *sql, *skip;
    mql_screen *screen;
    mql_model *cur;
    mql_design_opts design;
    mql_review_spec spec;
    mql_review *r;              /* the out-of-time review with capacity, run once */
} fixture;

static const char *const notes[] = {
    "lead_id: identifier-like: 20000 distinct of 20000 filled; not a feature"};

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    mql_err err;
    if (!f || mql_table_read(LEADS, NULL, &f->t, &err) ||
        mql_model_load_any(CURRENT, &f->cur, &err))
        return -1;
    f->y = table_flag(f->t, "closed_won");
    f->sql = table_flag(f->t, "became_sql");
    /* acv is filled only for won leads and not given a role here: screening finds it a
     * leakage suspect the review must leave out. */
    f->skip = calloc(f->t->n_cols, 1);
    f->skip[mql_table_find(f->t, "closed_won")] = f->skip[mql_table_find(f->t, "became_sql")] = 1;
    if (mql_screen_run(f->t, f->y, mql_table_find(f->t, "created_date"), f->skip, &f->screen,
                       &err))
        return -1;
    mql_design_opts_init(&f->design);
    const char *const roles[] = {"closed_won", "became_sql", "created_date"};
    for (size_t k = 0; k < 3; k++)
        if (mql_design_opts_add_role(&f->design, roles[k], &err))
            return -1;
    double day;
    mql_date_parse("2025-06-30", 10, &day, NULL);
    mql_review_spec s = {.file = LEADS, .table = f->t, .y = f->y, .sql = f->sql,
                         .date_col = mql_table_find(f->t, "created_date"),
                         .acv_col = mql_table_find(f->t, "acv"), .outcome_label = "closed_won",
                         .outcome_column = "closed_won", .column_notes = notes,
                         .n_column_notes = 1, .screen = f->screen,
                         .current = f->cur, .design = &f->design,
                         .created = "2025-01-01T00:00:00Z",
                         .split = MQL_REVIEW_TRAIN_UNTIL, .train_until = (long)day,
                         .maturity = 45, .capacity = CAPACITY};
    mql_glm_opts_default(&s.glm);
    mql_points_opts_default(&s.points);
    f->spec = s;
    if (mql_review_run(&f->spec, &f->r, &err)) {
        fprintf(stderr, "%s\n", err.msg);
        return -1;
    }
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    mql_review_free(f->r);
    mql_model_free(f->cur);
    mql_design_opts_clear(&f->design);
    mql_table_free(f->t);
    mql_screen_free(f->screen);
    free(f->y), free(f->sql), free(f->skip), free(f);
    return 0;
}

/* The value of key in the summary table (column 1 full precision, column 2 as shown). */
static const char *summary_cell(const mql_review *r, const char *key, size_t col)
{
    for (size_t i = 0; i < mql_tab_rows(r->summary); i++)
        if (strcmp(mql_tab_cell(r->summary, i, 0, NULL), key) == 0)
            return mql_tab_cell(r->summary, i, col, NULL);
    fail_msg("no key %s in the summary", key);
    return NULL;
}

static size_t tab_col(const mql_tab *t, const char *name)
{
    for (size_t j = 0; j < mql_tab_cols(t); j++)
        if (strcmp(mql_tab_name(t, j), name) == 0)
            return j;
    fail_msg("no column %s", name);
    return 0;
}

static double cell_num(const mql_tab *t, size_t i, size_t j)
{
    return strtod(mql_tab_cell(t, i, j, NULL), NULL);
}

/* Every piece of a review with a current model, a split, dates and SQL is computed. */
static void test_pieces(void **state)
{
    const fixture *f = *state;
    const mql_review *r = f->r;
    assert_non_null(r->model);
    assert_non_null(r->model->points);
    assert_string_equal(r->model->created, "2025-01-01T00:00:00Z");
    assert_non_null(r->role);
    assert_true(r->n_train > 0 && r->n_eval > 0);
    assert_int_equal(r->n_train + r->n_eval, f->t->n_rows);
    assert_int_equal(r->new_s->n, r->n_eval);
    assert_int_equal(r->cur_all->n, f->t->n_rows);
    const mql_tab *tabs[] = {r->summary, r->t_thr, r->t_thr_cur, r->t_cal, r->t_cal_cur,
                             r->t_bands, r->t_gains, r->t_gains_cur, r->t_hist, r->t_grades,
                             r->t_psi, r->t_cmp, r->t_mig, r->t_rules_diff, r->t_rules,
                             r->t_metrics, r->t_metrics_cur};
    for (size_t k = 0; k < sizeof tabs / sizeof tabs[0]; k++) {
        assert_non_null(tabs[k]);
        assert_true(mql_tab_rows(tabs[k]) > 0);
    }
    assert_null(r->plan);
    assert_null(r->t_plan);
    assert_int_equal(mql_tab_rows(r->t_grades), 16);
    assert_int_equal(mql_tab_rows(r->t_rules), r->model->points->n_rules);
    assert_int_equal(mql_tab_rows(r->t_thr), r->new_sw->n_rows);
    assert_string_equal(r->split_text, "Out-of-time: fitted on leads created up to 2025-06-30, "
                                       "evaluated on the later ones");
    assert_int_equal(r->n_warnings, 0);
}

/* The recommendation is the lowest threshold within the capacity, and the summary, the
 * thresholds table and the row the HTML page highlights all name that row. */
static void test_recommendation(void **state)
{
    const fixture *f = *state;
    const mql_review *r = f->r;
    const mql_bt_row *rr = &r->new_sw->rows[r->rec];
    assert_true(rr->mqls_per_month <= CAPACITY);
    assert_true(r->rec > 0 && r->new_sw->rows[r->rec - 1].mqls_per_month > CAPACITY);
    assert_close(strtod(summary_cell(r, "recommended_threshold", 1), NULL), rr->threshold, 0, 0);
    /* The same row of thresholds.csv: same threshold, the volume the summary quotes. */
    size_t jt = tab_col(r->t_thr, "threshold"), jm = tab_col(r->t_thr, "mqls_per_month");
    assert_close(cell_num(r->t_thr, r->rec, jt), rr->threshold, 0, 0);
    char shown[64];
    snprintf(shown, sizeof shown, "%.1f", cell_num(r->t_thr, r->rec, jm));
    assert_string_equal(summary_cell(r, "recommended_mqls_per_month", 2), shown);
    /* The highlighted row of the page's threshold table. */
    char *html = NULL;
    size_t len = 0;
    FILE *mem = open_memstream(&html, &len);
    assert_non_null(mem);
    mql_err err;
    assert_int_equal(mql_review_write_html(r, mem, &err), MQL_OK);
    fclose(mem);
    const char *sec = strstr(html, "<section id=\"thresholds\"");
    assert_non_null(sec);
    const char *hl = strstr(sec, "<tr class=\"hl\"><td class=\"num\">");
    assert_non_null(hl);
    assert_close(strtod(hl + strlen("<tr class=\"hl\"><td class=\"num\">"), NULL), rr->threshold,
                 0, 0);
    static const char *const ids[] = {"diagnosis", "data", "models", "points", "thresholds",
                                      "reliability", "distribution", "gains", "grades", "plan"};
    for (size_t k = 0; k < 10; k++) {
        char want[64];
        snprintf(want, sizeof want, "<section id=\"%s\"", ids[k]);
        assert_non_null(strstr(html, want));
    }
    free(html);
}

/* Findings and data notes are complete items; the skipped-columns note names each column once
 * (the profile's note wins); the leakage suspect is out of the new model and named. */
static void test_findings_and_notes(void **state)
{
    const fixture *f = *state;
    const mql_review *r = f->r;
    assert_true(r->n_findings >= 5);
    for (size_t k = 0; k < r->n_findings; k++) {
        const mql_review_item *it = &r->findings[k];
        assert_true(it->title && it->title[0] && it->text && it->text[0]);
        assert_true(it->kind == MQL_REVIEW_INFO || it->kind == MQL_REVIEW_WARNING ||
                    it->kind == MQL_REVIEW_GOOD);
    }
    int cols = 0, leak = 0, censored = 0;
    for (size_t k = 0; k < r->n_data_notes; k++) {
        const mql_review_item *it = &r->data_notes[k];
        assert_true(it->title && it->title[0] && it->text && it->text[0]);
        if (strcmp(it->title, "Columns skipped or flagged") == 0) {
            cols++;
            const char *a = strstr(it->text, "lead_id:");
            assert_non_null(a);
            assert_ptr_equal(a, it->text);   /* the profile's note, first */
            assert_null(strstr(a + 1, "lead_id:"));
            assert_non_null(strstr(it->text, "sql_date: date, not a feature"));
        }
        leak += strcmp(it->title, "Leakage suspects") == 0 &&
                strstr(it->text, "suspects: acv (a candidate feature") != NULL;
        censored += strcmp(it->title, "Censored leads") == 0;
    }
    assert_int_equal(cols, 1);
    assert_int_equal(leak, 1);
    assert_int_equal(censored, 1);
    assert_int_equal(r->n_leak, 1);
    assert_string_equal(r->leak_names, "acv");
    /* ... and said first, before any figure, with its evidence. */
    assert_true(r->findings[0].lead);
    assert_string_equal(r->findings[0].title, "Leakage suspects left out of the new model");
    assert_non_null(strstr(r->findings[0].text, "acv (single-feature AUC 1.000 (95% interval "));
    assert_non_null(strstr(r->findings[0].text, "being filled on 1251 rows, 100.0% of them won"));
    for (size_t k = 1; k < r->n_findings; k++)
        assert_true(!r->findings[k].lead || r->findings[k - 1].lead);
    assert_false(r->weak);
    assert_true(r->has_rec);
    for (size_t k = 0; k < r->model->points->n_rules; k++)
        assert_string_not_equal(r->model->points->rules[k].cond[0].feature, "acv");
    /* The spec's design options are left as they were (the suspect went into a copy). */
    assert_int_equal(f->design.n_roles, 3);
}

/* The directory writer produces every file the report cites, the marker included. */
static void test_write_dir(void **state)
{
    const fixture *f = *state;
    char dir[] = "/tmp/mqlcal-test-review-XXXXXX";
    assert_non_null(mkdtemp(dir));
    mql_err err;
    assert_int_equal(mql_review_write_dir(f->r, dir, &err), MQL_OK);
    static const char *const files[] = {
        "index.html", "summary.md", "summary.csv", "model.json", "rules.csv", "thresholds.csv",
        "thresholds_current.csv", "calibration.csv", "calibration_current.csv", "bands.csv",
        "gains.csv", "gains_current.csv", "histogram.csv", "grades.csv", "psi.csv",
        "compare.csv", "migration.csv", "rules_diff.csv", "metrics.csv", "metrics_current.csv",
        "groups.csv", "screening.csv", MQL_REVIEW_MARKER};
    size_t n = sizeof files / sizeof files[0];
    for (size_t k = 0; k < n; k++) {
        char p[512];
        struct stat sb;
        snprintf(p, sizeof p, "%s/%s", dir, files[k]);
        assert_int_equal(stat(p, &sb), 0);
        assert_true(sb.st_size > 0);
        unlink(p);
    }
    assert_int_equal(rmdir(dir), 0);   /* nothing else was written */
    /* A directory that does not exist: an I/O error naming the file. */
    assert_int_equal(mql_review_write_dir(f->r, "/nonexistent-mqlcal-dir", &err), MQL_EIO);
    assert_non_null(strstr(err.msg, "/nonexistent-mqlcal-dir/summary.csv: cannot create"));
}

/* In-sample, no current model, no capacity: the new model's own threshold is recommended and
 * the texts say the figures are in-sample. */
static void test_in_sample(void **state)
{
    const fixture *f = *state;
    mql_review_spec s = f->spec;
    s.current = NULL;
    s.split = MQL_REVIEW_IN_SAMPLE;
    s.capacity = 0;
    s.maturity = 0;
    mql_review *r = NULL;
    mql_err err;
    assert_int_equal(mql_review_run(&s, &r, &err), MQL_OK);
    assert_null(r->role);
    assert_int_equal(r->n_train, f->t->n_rows);
    assert_int_equal(r->n_eval, f->t->n_rows);
    assert_null(r->t_thr_cur);
    assert_null(r->t_cmp);
    assert_true(r->new_sw->rows[r->rec].threshold >= (double)r->model->points->threshold);
    assert_true(r->rec == 0 ||
                r->new_sw->rows[r->rec - 1].threshold < (double)r->model->points->threshold);
    assert_non_null(strstr(r->split_text, "(in-sample)"));
    assert_non_null(strstr(r->rec_text, "The new model's own threshold"));
    mql_review_free(r);
}

/* The column counts the parts of a split carry, which the fit reads (rows, missing cells,
 * distinct values), equal in a and b column by column. */
static void same_part_counts(const mql_table *a, const mql_table *b)
{
    assert_int_equal(a->n_rows, b->n_rows);
    assert_int_equal(a->n_cols, b->n_cols);
    for (size_t j = 0; j < a->n_cols; j++) {
        assert_string_equal(a->cols[j].name, b->cols[j].name);
        assert_int_equal(a->cols[j].type, b->cols[j].type);
        assert_int_equal(a->cols[j].n_rows, b->cols[j].n_rows);
        assert_int_equal(a->cols[j].n_missing, b->cols[j].n_missing);
        assert_int_equal(a->cols[j].n_distinct, b->cols[j].n_distinct);
    }
}

/* The split's parts see an identifier nothing reads (lead_id) without its values, and the new
 * model, its evaluation and the parts' counts are those of the plain path, taken when the
 * current model reads the identifier (a rule on lead_id that matches no lead leaves its scores
 * as they were). */
static void test_idle_identifier(void **state)
{
    const fixture *f = *state;
    size_t id = (size_t)mql_table_find(f->t, "lead_id");
    assert_int_equal(f->t->cols[id].type, MQL_COL_ID);
    assert_int_equal(f->r->train_t->cols[id].no_values, MQL_NO_VALUES_ID);
    assert_int_equal(f->r->eval_t->cols[id].no_values, MQL_NO_VALUES_ID);
    mql_err err;
    mql_model *cur = NULL;
    mql_rule rule;
    assert_int_equal(mql_model_load_any(CURRENT, &cur, &err), MQL_OK);
    assert_int_equal(mql_rule_init(&rule, "lead_id", "=", "no such lead", 5, MQL_GROUP_FIT,
                                   &err), MQL_OK);
    assert_int_equal(mql_points_add_rule(cur->points, &rule, &err), MQL_OK);
    mql_rule_clear(&rule);
    mql_review_spec s = f->spec;
    s.current = cur;
    mql_review *r = NULL;
    assert_int_equal(mql_review_run(&s, &r, &err), MQL_OK);
    /* the plain path: the parts hold their share of the keys */
    assert_int_equal(r->train_t->cols[id].no_values, 0);
    assert_int_equal(r->train_t->cols[id].n_levels, r->n_train);
    assert_int_equal(r->eval_t->cols[id].n_levels, r->n_eval);
    same_part_counts(f->r->train_t, r->train_t);
    same_part_counts(f->r->eval_t, r->eval_t);
    const mql_points *a = f->r->model->points, *b = r->model->points;
    assert_int_equal(a->n_rules, b->n_rules);
    for (size_t k = 0; k < a->n_rules; k++)
        assert_int_equal(a->rules[k].points, b->rules[k].points);
    assert_int_equal(a->threshold, b->threshold);
    assert_memory_equal(&f->r->new_sum.auc, &r->new_sum.auc, sizeof r->new_sum.auc);
    assert_memory_equal(&f->r->cur_sum.auc, &r->cur_sum.auc, sizeof r->cur_sum.auc);
    assert_int_equal(f->r->new_sw->n_rows, r->new_sw->n_rows);
    assert_int_equal(f->r->rec, r->rec);
    assert_int_equal(f->r->diag.n_notes, r->diag.n_notes);
    for (size_t q = 0; q < r->diag.n_notes; q++)
        assert_string_equal(f->r->diag.notes[q], r->diag.notes[q]);
    mql_review_free(r);
    mql_model_free(cur);
}

/* Tables a and b hold the same cells. */
static void same_tab(const mql_tab *a, const mql_tab *b)
{
    assert_non_null(a);
    assert_non_null(b);
    assert_int_equal(mql_tab_rows(a), mql_tab_rows(b));
    assert_int_equal(mql_tab_cols(a), mql_tab_cols(b));
    for (size_t i = 0; i < mql_tab_rows(a); i++)
        for (size_t j = 0; j < mql_tab_cols(a); j++) {
            const char *x = mql_tab_cell(a, i, j, NULL), *y = mql_tab_cell(b, i, j, NULL);
            assert_true((x == NULL) == (y == NULL));
            if (x)
                assert_string_equal(x, y);
        }
}

/* The tables the review measures on both cores are those made one after the other from its
 * scored sets and sweeps. */
static void test_tables_in_parallel(void **state)
{
    const fixture *f = *state;
    const mql_review *r = f->r;
    mql_err err;
    mql_tab *t = NULL;
    double *cuts = NULL;
    size_t n_cuts = 0;
    const mql_scored *sets[2] = {r->new_s, r->cur_s};
    mql_tab *const cal[2] = {r->t_cal, r->t_cal_cur}, *const gains[2] = {r->t_gains,
                                                                         r->t_gains_cur};
    mql_tab *const thr[2] = {r->t_thr, r->t_thr_cur};
    const mql_bt_sweep *sw[2] = {r->new_sw, r->cur_sw};
    for (size_t k = 0; k < 2; k++) {
        assert_int_equal(mql_eval_score_cuts(sets[k], 10, &cuts, &n_cuts, &err), MQL_OK);
        assert_int_equal(mql_eval_reliability_bands(sets[k], cuts, n_cuts, &t, &err), MQL_OK);
        free(cuts);
        same_tab(cal[k], t);
        mql_tab_free(t);
        assert_int_equal(mql_eval_gains(sets[k], &t, &err), MQL_OK);
        same_tab(gains[k], t);
        mql_tab_free(t);
        t = mql_eval_thresholds_tab(sw[k], sets[k], NULL, 0);
        same_tab(thr[k], t);
        mql_tab_free(t);
    }
    assert_int_equal(mql_eval_bands(r->new_s, &t, &err), MQL_OK);
    same_tab(r->t_bands, t);
    mql_tab_free(t);
    assert_int_equal(mql_eval_histogram(r->new_s, 24, &t, &err), MQL_OK);
    same_tab(r->t_hist, t);
    mql_tab_free(t);
    assert_int_equal(mql_eval_grades(r->new_s, &t, &err), MQL_OK);
    same_tab(r->t_grades, t);
    mql_tab_free(t);
}

/* Errors come back as a status with the message, and no result. */
static void test_errors(void **state)
{
    const fixture *f = *state;
    mql_err err;
    mql_review *r = (mql_review *)1;
    /* No table. */
    mql_review_spec s = {0};
    assert_int_equal(mql_review_run(&s, &r, &err), MQL_EUSAGE);
    assert_null(r);
    /* A split date after every lead: nothing to evaluate. */
    s = f->spec;
    s.train_until += 3650;
    assert_int_equal(mql_review_run(&s, &r, &err), MQL_EDATA);
    assert_null(r);
    assert_non_null(strstr(err.msg, "--train-until "));
    assert_non_null(strstr(err.msg, ": no lead is dated after it"));
    assert_null(strstr(err.msg, "--train-until: --train-until"));   /* the option named once */
    /* A current model with a feature the leads do not have. */
    char path[64];
    assert_non_null(write_temp(path, sizeof path,
                               "feature,operator,value,points\nno_such_column,=,x,5\n"
                               "threshold,,,5\n"));
    mql_model *bad = NULL;
    assert_int_equal(mql_model_load_any(path, &bad, &err), MQL_OK);
    unlink(path);
    s = f->spec;
    s.current = bad;
    assert_int_equal(mql_review_run(&s, &r, &err), MQL_EDATA);
    assert_null(r);
    assert_non_null(strstr(err.msg, "no_such_column"));
    mql_model_free(bad);
    mql_review_free(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pieces),     cmocka_unit_test(test_recommendation),
        cmocka_unit_test(test_findings_and_notes), cmocka_unit_test(test_write_dir),
        cmocka_unit_test(test_in_sample),  cmocka_unit_test(test_idle_identifier),
        cmocka_unit_test(test_tables_in_parallel), cmocka_unit_test(test_errors),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
