/* test_backtest_runs.c: the out-of-sample runs of `backtest` as library calls: walk-forward
 * parts are the data's quarters, K folds partition the leads, a train-until split trains on the
 * earlier leads only and labels its parts, and bad splits are named. Counts are exact; the AUC
 * bounds are loose sanity checks on the bundled synthetic data (true AUC about 0.78). */
#include "testutil.h"

#include "mqlcal/backtest_runs.h"

typedef struct fx {
    mql_table *t;
    unsigned char *y;
    mql_design_opts dopts;
    mql_train_spec spec;
    mql_eval_roles r;
} fx;

static void fx_load(fx *f)
{
    mql_err err;
    const char *const only[] = {"job_level", "pricing_page_visits", "created_date",
                                "closed_won"};
    mql_read_opts ro = {.only = only, .n_only = 4};
    assert_int_equal(mql_table_read("datasets/synthetic-leads.csv", &ro, &f->t, &err), MQL_OK);
    size_t n = f->t->n_rows;
    f->y = malloc(n);
    long yc = mql_table_find(f->t, "closed_won");
    for (size_t i = 0; i < n; i++)
        f->y[i] = f->t->cols[yc].num[i] == 1;
    mql_design_opts_init(&f->dopts);
    assert_int_equal(mql_design_opts_add_role(&f->dopts, "closed_won", &err), MQL_OK);
    assert_int_equal(mql_design_opts_add_role(&f->dopts, "created_date", &err), MQL_OK);
    f->spec = (mql_train_spec){.design = &f->dopts};
    mql_points_opts_default(&f->spec.points);
    f->r = (mql_eval_roles){.y = f->y, .date_col = mql_table_find(f->t, "created_date"),
                            .acv_col = -1};
}

static void fx_free(fx *f)
{
    mql_design_opts_clear(&f->dopts);
    free(f->y);
    mql_table_free(f->t);
}

static void test_walk_forward_quarters(void **state)
{
    (void)state;
    fx f;
    fx_load(&f);
    mql_err err;
    mql_eval_runs *runs = NULL;
    assert_int_equal(mql_eval_walk_forward(f.t, &f.r, f.r.date_col, NULL, &f.spec, &runs, &err),
                     MQL_OK);
    /* The synthetic export spans 2023Q3..2025Q4 (demo: 7 tested quarters); each part is a
     * quarter label tested on a model trained on every earlier lead. */
    assert_true(runs->n_parts >= 5);
    size_t prev_train = 0;
    for (size_t j = 0; j < runs->n_parts; j++) {
        const mql_eval_part *p = &runs->parts[j];
        assert_int_equal(strlen(p->label), 6);
        assert_int_equal(p->label[4], 'Q');
        assert_true(p->n_train > prev_train);   /* the training set grows quarter by quarter */
        prev_train = p->n_train;
        assert_true(p->auc > 0.6 && p->auc < 0.95);
    }
    mql_eval_runs_free(runs);
    /* Without a date column there is no walk-forward. */
    assert_int_equal(mql_eval_walk_forward(f.t, &f.r, -1, NULL, &f.spec, &runs, &err),
                     MQL_EUSAGE);
    assert_null(runs);
    fx_free(&f);
}

static void test_kfold_partitions(void **state)
{
    (void)state;
    fx f;
    fx_load(&f);
    mql_err err;
    mql_eval_runs *runs = NULL;
    assert_int_equal(mql_eval_kfold(f.t, &f.r, 4, 7, NULL, &f.spec, &runs, &err), MQL_OK);
    assert_int_equal(runs->n_parts, 4);
    size_t tested = 0;
    for (size_t j = 0; j < 4; j++) {
        char want[16];
        snprintf(want, sizeof want, "fold %zu", j + 1);
        assert_string_equal(runs->parts[j].label, want);
        assert_int_equal(runs->parts[j].n_train + runs->parts[j].n_test, f.t->n_rows);
        tested += runs->parts[j].n_test;
    }
    assert_int_equal(tested, f.t->n_rows);
    mql_eval_runs_free(runs);
    fx_free(&f);
}

static void test_split_train_until(void **state)
{
    (void)state;
    fx f;
    fx_load(&f);
    mql_err err;
    double day;
    int has_time;
    assert_int_equal(mql_date_parse("2025-06-30", 10, &day, &has_time), 0);
    mql_split_how how = {.by_date = 1, .until_day = (long)day, .date_col = f.r.date_col};
    mql_split_eval *s = NULL;
    assert_int_equal(mql_split_eval_run(f.t, &f.r, NULL, &how, NULL, &f.spec, &s, &err), MQL_OK);
    assert_string_equal(s->train_label, "created on or before 2025-06-30");
    assert_string_equal(s->test_label, "created after 2025-06-30");
    assert_non_null(s->model);
    const double *date = f.t->cols[f.r.date_col].num;
    size_t n_train = 0, n_test = 0;
    for (size_t i = 0; i < f.t->n_rows; i++) {
        assert_int_equal(s->role[i], date[i] <= day ? 1 : 2);
        n_train += s->role[i] == 1;
        n_test += s->role[i] == 2;
    }
    assert_int_equal(s->train->n, n_train);
    assert_int_equal(s->test->n, n_test);
    assert_int_equal(s->all->n, f.t->n_rows);
    /* The model was trained on the earlier part only: its fingerprint counts those rows. */
    assert_int_equal(s->model->fit->n, n_train);
    mql_tab *tab = NULL;
    assert_int_equal(mql_split_eval_tab(s, &tab, &err), MQL_OK);
    assert_int_equal(mql_tab_rows(tab), 2);
    assert_string_equal(mql_tab_cell(tab, 0, 0, NULL), "in-sample");
    assert_string_equal(mql_tab_cell(tab, 1, 0, NULL), "out-of-time");
    /* Out of time is harder than in-sample (leakage-free data still loses a little). */
    assert_true(atof(mql_tab_cell(tab, 0, 5, NULL)) > atof(mql_tab_cell(tab, 1, 5, NULL)));
    mql_tab_free(tab);
    mql_split_eval_free(s);

    /* A date after every lead leaves nothing to test: the error says so, nothing is returned. */
    assert_int_equal(mql_date_parse("2030-01-01", 10, &day, &has_time), 0);
    how.until_day = (long)day;
    s = NULL;
    assert_int_not_equal(mql_split_eval_run(f.t, &f.r, NULL, &how, NULL, &f.spec, &s, &err),
                         MQL_OK);
    assert_null(s);
    /* A holdout fraction outside (0, 1) is refused. */
    how = (mql_split_how){.holdout = 1.5};
    assert_int_not_equal(mql_split_eval_run(f.t, &f.r, NULL, &how, NULL, &f.spec, &s, &err),
                         MQL_OK);
    assert_null(s);
    fx_free(&f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_walk_forward_quarters),
        cmocka_unit_test(test_kfold_partitions),
        cmocka_unit_test(test_split_train_until),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
