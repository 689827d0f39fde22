/* test_scored_part.c: the review evaluation's faster routes against the old ones, bit for bit.
 * - mql_scored_part (the current model's evaluation leads taken from its scores on every lead)
 *   against mql_scored_new on the part's own table: runs of rows (borrowed arrays) and scattered
 *   rows (copied), with the in-sample Platt map and with a score map, with and without maturity
 *   censoring and open leads; lent date and acv columns (mql_eval_roles.lend_columns).
 * - mql_compare_run_summarized against mql_compare_run.
 * - Hosmer-Lemeshow from the probabilities' distinct values against the sorted rows (written here
 *   as metrics.c wrote it), and the reliability bands' score bounds in one pass against a pass
 *   per band; the probabilities from a table of the map at each whole score against the map
 *   per lead; the sweep's order of the leads by counting whole scores against the radix sort;
 *   the score cuts from counted scores against a sorted copy. */
#include "testutil.h"
#include "testutil_table.h"

#include "mqlcal/backtest.h"
#include "mqlcal/evaluate.h"
#include "mqlcal/metrics.h"
#include "mqlcal/model.h"
#include "mqlcal/table_ops.h"

#define LEADS "datasets/synthetic-leads.csv"
#define CURRENT "datasets/current-model.rules.csv"
#define CAPPED "tests/fixtures/compound/capped.rules.csv"

typedef struct fixture {
    mql_table *t;
    unsigned char *y, *sql, *open;
    long date_col, acv_col;
    mql_model *platt, *map, *capped;   /* map: the current rules with a score map set by hand */
} fixture;

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    mql_err err;
    if (!f || mql_table_read(LEADS, NULL, &f->t, &err) ||
        mql_model_load_any(CURRENT, &f->platt, &err) ||
        mql_model_load_any(CURRENT, &f->map, &err) ||
        mql_model_load_any(CAPPED, &f->capped, &err))
        return -1;
    f->map->points->has_map = 1;
    f->map->points->map_a = -3.1;
    f->map->points->map_b = 0.047;
    f->y = table_flag(f->t, "closed_won");
    f->sql = table_flag(f->t, "became_sql");
    f->date_col = mql_table_find(f->t, "created_date");
    f->acv_col = mql_table_find(f->t, "acv");
    /* open leads: some lost ones, scattered */
    f->open = malloc(f->t->n_rows);
    for (size_t i = 0; i < f->t->n_rows; i++)
        f->open[i] = !f->y[i] && i % 11 == 3;
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    mql_table_free(f->t);
    mql_model_free(f->platt), mql_model_free(f->map), mql_model_free(f->capped);
    free(f->y), free(f->sql), free(f->open);
    free(f);
    return 0;
}

static void same_bytes(const void *a, const void *b, size_t bytes)
{
    assert_true((a == NULL) == (b == NULL));
    if (a)
        assert_memory_equal(a, b, bytes);
}

/* Every array and figure of got equals want's. */
static void same_set(const mql_scored *got, const mql_scored *want)
{
    size_t n = want->n;
    assert_int_equal(got->n, n);
    same_bytes(got->score, want->score, n * sizeof(double));
    same_bytes(got->prob, want->prob, n * sizeof(double));
    same_bytes(got->fit, want->fit, n * sizeof(double));
    same_bytes(got->eng, want->eng, n * sizeof(double));
    same_bytes(got->y, want->y, n);
    same_bytes(got->sql, want->sql, n);
    same_bytes(got->date, want->date, n * sizeof(double));
    same_bytes(got->month, want->month, n * sizeof(long));
    same_bytes(got->acv, want->acv, n * sizeof(double));
    same_bytes(got->censored, want->censored, n);
    same_bytes(got->open, want->open, n);
    assert_null(got->uncapped);
    assert_null(want->uncapped);
    assert_int_equal(got->n_censored, want->n_censored);
    assert_int_equal(got->n_open, want->n_open);
    assert_int_equal(got->months, want->months);
    assert_int_equal(got->maturity_days, want->maturity_days);
    assert_memory_equal(&got->end_day, &want->end_day, sizeof got->end_day);
    assert_int_equal(got->prob_platt, want->prob_platt);
    assert_int_equal(got->no_prob, want->no_prob);
    assert_memory_equal(&got->platt.a, &want->platt.a, sizeof got->platt.a);
    assert_memory_equal(&got->platt.b, &want->platt.b, sizeof got->platt.b);
    assert_int_equal(got->threshold, want->threshold);
    assert_ptr_equal(got->model, want->model);
    assert_memory_equal(got->cap_binds, want->cap_binds, sizeof got->cap_binds);
}

/* The part of kind `kind` (0: the last fifth, 1: a run in the middle, 2: every third row,
 * 3: every lead) marked 2 in part (the review's evaluation role); returns how many. */
static size_t make_part(size_t n, int kind, unsigned char *part)
{
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        int in = kind == 0   ? i >= n - n / 5
                 : kind == 1 ? i >= 3 * n / 10 && i < n / 2
                 : kind == 2 ? i % 3 == 1
                             : 1;
        part[i] = in ? 2 : (unsigned char)(i % 2);
        k += in;
    }
    return k;
}

/* mql_scored_part against mql_scored_new on the part's table, for one model, part, maturity and
 * open flags; returns whether the part borrowed all's arrays. */
static int check_part(const fixture *f, const mql_model *m, int kind, long maturity, int open)
{
    size_t n = f->t->n_rows;
    unsigned char *part = malloc(n), *keep = malloc(n);
    size_t k = make_part(n, kind, part);
    unsigned char *y = malloc(k), *sql = malloc(k), *op = malloc(k);
    for (size_t i = 0, j = 0; i < n; i++) {
        keep[i] = part[i] == 2;
        if (keep[i]) {
            y[j] = f->y[i];
            sql[j] = f->sql[i];
            op[j++] = f->open[i];
        }
    }
    mql_err err;
    mql_table *sub;
    assert_int_equal(mql_table_subset(f->t, keep, &sub, &err), MQL_OK);
    mql_eval_roles whole = {.y = f->y, .sql = f->sql, .date_col = f->date_col,
                            .acv_col = f->acv_col, .maturity_days = maturity,
                            .open = open ? f->open : NULL};
    mql_eval_roles of_part = whole;
    of_part.y = y;
    of_part.sql = sql;
    of_part.open = open ? op : NULL;
    mql_scored *all, *want, *got;
    assert_int_equal(mql_scored_new(m->points, f->t, &whole, &all, &err), MQL_OK);
    assert_int_equal(mql_scored_new(m->points, sub, &of_part, &want, &err), MQL_OK);
    assert_int_equal(mql_scored_part(all, kind == 3 ? NULL : part, 2, &of_part, &got, &err),
                     MQL_OK);
    same_set(got, want);
    int borrowed = got->borrows;
    assert_int_equal(got->borrows_prob, borrowed && m->points->has_map);
    mql_scored_free(got);   /* before all: it may borrow all's arrays (ASan checks both) */
    mql_scored_free(want);
    mql_scored_free(all);
    mql_table_free(sub);
    free(part), free(keep), free(y), free(sql), free(op);
    return borrowed;
}

static void test_part_equals_scoring(void **state)
{
    fixture *f = *state;
    const mql_model *models[] = {f->platt, f->map};
    for (int mi = 0; mi < 2; mi++)
        for (int kind = 0; kind < 4; kind++)
            for (int mat = 0; mat < 2; mat++)
                for (int open = 0; open < 2; open++) {
                    int borrowed = check_part(f, models[mi], kind, mat ? 45 : 0, open);
                    assert_int_equal(borrowed, kind != 2);   /* runs borrow, scattered copy */
                }
}

/* The censoring's end date is the part's own: a part that ends before the data's last day
 * censors fewer leads than the same rows of the whole set would. */
static void test_part_own_end_day(void **state)
{
    fixture *f = *state;
    size_t n = f->t->n_rows;
    mql_eval_roles whole = {.y = f->y, .sql = f->sql, .date_col = f->date_col,
                            .acv_col = f->acv_col, .maturity_days = 45};
    mql_scored *all, *got;
    mql_err err;
    unsigned char *part = malloc(n);
    make_part(n, 1, part);   /* a run in the middle of a file in date order */
    assert_int_equal(mql_scored_new(f->platt->points, f->t, &whole, &all, &err), MQL_OK);
    assert_int_equal(mql_scored_part(all, part, 2, &whole, &got, &err), MQL_OK);
    assert_true(got->end_day < all->end_day);
    assert_true(got->n_censored > 0 && got->n_censored < all->n_censored);
    mql_scored_free(got);
    mql_scored_free(all);
    free(part);
}

static void test_part_refused(void **state)
{
    fixture *f = *state;
    size_t n = f->t->n_rows;
    mql_eval_roles whole = {.y = f->y, .date_col = f->date_col, .acv_col = -1};
    mql_scored *all, *got = NULL, *got2;
    mql_err err;
    /* caps: their binds are counted by scoring */
    assert_int_equal(mql_scored_new(f->capped->points, f->t, &whole, &all, &err), MQL_OK);
    assert_non_null(all->uncapped);
    assert_int_equal(mql_scored_part(all, NULL, 2, &whole, &got, &err), MQL_EUSAGE);
    assert_null(got);
    mql_scored_free(all);
    /* an empty part; a part of a part */
    unsigned char *part = calloc(n, 1);
    assert_int_equal(mql_scored_new(f->platt->points, f->t, &whole, &all, &err), MQL_OK);
    assert_int_equal(mql_scored_part(all, part, 2, &whole, &got, &err), MQL_EDATA);
    assert_int_equal(mql_scored_part(all, NULL, 2, &whole, &got, &err), MQL_OK);
    assert_int_equal(mql_scored_part(got, NULL, 2, &whole, &got2, &err), MQL_EUSAGE);
    mql_scored_free(got);
    mql_scored_free(all);
    free(part);
}

/* The compare with both summaries given equals the compare that computes them. */
static void test_compare_summarized(void **state)
{
    fixture *f = *state;
    mql_eval_roles whole = {.y = f->y, .sql = f->sql, .date_col = f->date_col,
                            .acv_col = f->acv_col, .maturity_days = 45, .open = f->open};
    mql_scored *a, *b;
    mql_err err;
    assert_int_equal(mql_scored_new(f->platt->points, f->t, &whole, &a, &err), MQL_OK);
    assert_int_equal(mql_scored_new(f->map->points, f->t, &whole, &b, &err), MQL_OK);
    mql_eval_summary sa, sb;
    assert_int_equal(mql_eval_summarize(a, &sa, &err), MQL_OK);
    assert_int_equal(mql_eval_summarize(b, &sb, &err), MQL_OK);
    mql_bt_sweep *wa, *wb;
    assert_int_equal(mql_eval_sweep(a, NULL, 0, &wa, &err), MQL_OK);
    assert_int_equal(mql_eval_sweep(b, NULL, 0, &wb, &err), MQL_OK);
    mql_compare *c1, *c2;
    assert_int_equal(mql_compare_run(a, b, &c1, &err), MQL_OK);
    assert_int_equal(mql_compare_run_summarized(a, &sa, wa, b, &sb, wb, &c2, &err), MQL_OK);
    for (int k = 0; k < 2; k++) {   /* the one-row sweeps: from the full sweeps' rows */
        const mql_bt_sweep *x1 = k ? c1->new_at : c1->old_at, *x2 = k ? c2->new_at : c2->old_at;
        assert_int_equal(x2->n_rows, 1);
        const mql_bt_totals *t1 = &x1->totals, *t2 = &x2->totals;
        assert_int_equal(t1->n, t2->n);
        assert_int_equal(t1->n_censored, t2->n_censored);
        assert_int_equal(t1->won, t2->won);
        assert_int_equal(t1->sqls, t2->sqls);
        assert_memory_equal(&t1->acv_won, &t2->acv_won, sizeof t1->acv_won);
        assert_int_equal(t1->n_months, t2->n_months);
        assert_memory_equal(&x1->rows[0], &x2->rows[0], sizeof x1->rows[0]);
    }
    size_t at = 0;   /* the full sweep has a row at the threshold: the copy was taken */
    while (at < wa->n_rows && wa->rows[at].threshold != (double)a->threshold)
        at++;
    assert_true(at < wa->n_rows);
    const mql_eval_summary *x[2] = {&c1->old_sum, &c1->new_sum}, *z[2] = {&c2->old_sum,
                                                                           &c2->new_sum};
    for (int k = 0; k < 2; k++) {
        assert_int_equal(x[k]->n_rated, z[k]->n_rated);
        assert_int_equal(x[k]->events, z[k]->events);
        assert_memory_equal(&x[k]->auc, &z[k]->auc, sizeof x[k]->auc);
        assert_memory_equal(&x[k]->ks, &z[k]->ks, sizeof x[k]->ks);
        assert_memory_equal(&x[k]->brier, &z[k]->brier, sizeof x[k]->brier);
        assert_memory_equal(&x[k]->logloss, &z[k]->logloss, sizeof x[k]->logloss);
        assert_memory_equal(&x[k]->calib, &z[k]->calib, sizeof x[k]->calib);
        assert_memory_equal(&x[k]->hl, &z[k]->hl, sizeof x[k]->hl);
        assert_string_equal(x[k]->few_msg, z[k]->few_msg);
    }
    assert_memory_equal(c1->move, c2->move, sizeof c1->move);
    assert_memory_equal(c1->move_rated, c2->move_rated, sizeof c1->move_rated);
    assert_memory_equal(c1->move_won, c2->move_won, sizeof c1->move_won);
    assert_int_equal(c1->n_rules, c2->n_rules);
    mql_compare_free(c1);
    mql_compare_free(c2);
    mql_bt_sweep_free(wa);
    mql_bt_sweep_free(wb);
    mql_scored_free(a);
    mql_scored_free(b);
}

/* Lent columns: the date and acv arrays are the table's, every figure the same as with copies. */
static void test_lend_columns(void **state)
{
    fixture *f = *state;
    mql_eval_roles r = {.y = f->y, .sql = f->sql, .date_col = f->date_col, .acv_col = f->acv_col,
                        .maturity_days = 45, .open = f->open};
    mql_scored *a, *b;
    mql_err err;
    assert_int_equal(mql_scored_new(f->platt->points, f->t, &r, &a, &err), MQL_OK);
    r.lend_columns = 1;
    assert_int_equal(mql_scored_new(f->platt->points, f->t, &r, &b, &err), MQL_OK);
    assert_ptr_equal(b->date, f->t->cols[f->date_col].num);
    assert_ptr_equal(b->acv, f->t->cols[f->acv_col].num);
    assert_true(b->borrows_columns && !a->borrows_columns);
    same_set(b, a);
    mql_scored_free(b);   /* leaves the table's columns alone (ASan) */
    mql_scored_free(a);
    assert_false(isnan(f->t->cols[f->date_col].num[0]));
}

/* The old route of mql_hosmer_lemeshow: rows sorted by p (stably), breaks at R's type-7
 * quantiles, a group per break interval, sums in the sorted order. */
typedef struct hl_row {
    double p;
    size_t i;
    unsigned char y;
} hl_row;

static int hl_row_cmp(const void *a, const void *b)
{
    const hl_row *x = a, *z = b;
    return x->p < z->p ? -1 : x->p > z->p ? 1 : (x->i > z->i) - (x->i < z->i);
}

static double r7(const hl_row *r, size_t n, double prob)
{
    double index = 1.0 + (double)(n - 1) * prob, lo = floor(index), hi = ceil(index);
    double qs = r[(size_t)lo - 1].p, xh = r[(size_t)hi - 1].p;
    if (index > lo && xh != qs)
        qs = (1 - (index - lo)) * qs + (index - lo) * xh;
    return qs;
}

static int dcmp(const void *a, const void *b)
{
    double x = *(const double *)a, z = *(const double *)b;
    return (x > z) - (x < z);
}

static size_t hl_sorted_here(const double *p, const unsigned char *y, size_t n,
                             mql_hl_group *groups, double *chisq)
{
    hl_row *r = malloc(n * sizeof *r);
    for (size_t i = 0; i < n; i++)
        r[i] = (hl_row){p[i], i, y[i] != 0};
    qsort(r, n, sizeof *r, hl_row_cmp);
    double br[11];
    for (size_t i = 0; i <= 10; i++)
        br[i] = r7(r, n, fmin((double)i * 0.1, 1.0));
    qsort(br, 11, sizeof *br, dcmp);
    size_t nb = 0;
    for (size_t i = 0; i < 11; i++)
        if (nb == 0 || br[i] != br[nb - 1])
            br[nb++] = br[i];
    size_t used = 0, i = 0;
    *chisq = 0;
    for (size_t k = 0; k + 1 < nb; k++) {
        mql_hl_group gr = {br[k], br[k + 1], 0, 0, 0, 0, 0};
        for (; i < n && (k + 2 == nb || r[i].p <= br[k + 1]); i++) {
            gr.n++;
            gr.obs1 += r[i].y;
            gr.obs0 += 1 - r[i].y;
            gr.exp1 += r[i].p;
            gr.exp0 += 1 - r[i].p;
        }
        if (gr.n == 0)
            continue;
        *chisq += (gr.obs1 - gr.exp1) * (gr.obs1 - gr.exp1) / gr.exp1 +
                  (gr.obs0 - gr.exp0) * (gr.obs0 - gr.exp0) / gr.exp0;
        groups[used++] = gr;
    }
    free(r);
    return used;
}

static void test_hl_counted_route(void **state)
{
    fixture *f = *state;
    mql_eval_roles r = {.y = f->y, .date_col = -1, .acv_col = -1, .maturity_days = 0};
    const mql_model *models[] = {f->platt, f->map};
    for (int mi = 0; mi < 2; mi++) {
        mql_scored *s;
        mql_err err;
        assert_int_equal(mql_scored_new(models[mi]->points, f->t, &r, &s, &err), MQL_OK);
        mql_hl_group g1[10], g2[10];
        mql_hl hl;
        double chisq;
        assert_int_equal(mql_hosmer_lemeshow(s->prob, s->y, s->n, 10, g1, &hl, &err), MQL_OK);
        size_t used = hl_sorted_here(s->prob, s->y, s->n, g2, &chisq);
        assert_int_equal(hl.groups_used, used);
        assert_true(used >= 3);
        assert_memory_equal(&hl.chisq, &chisq, sizeof chisq);
        for (size_t k = 0; k < used; k++) {
            assert_memory_equal(&g1[k].lo, &g2[k].lo, sizeof(double));
            assert_memory_equal(&g1[k].hi, &g2[k].hi, sizeof(double));
            assert_int_equal(g1[k].n, g2[k].n);
            assert_memory_equal(&g1[k].obs1, &g2[k].obs1, sizeof(double));
            assert_memory_equal(&g1[k].obs0, &g2[k].obs0, sizeof(double));
            assert_memory_equal(&g1[k].exp1, &g2[k].exp1, sizeof(double));
            assert_memory_equal(&g1[k].exp0, &g2[k].exp0, sizeof(double));
        }
        mql_scored_free(s);
    }
    /* more distinct probabilities than the counted route takes: the sorted route, same figures */
    enum { N = 20000 };
    static double p[N];
    static unsigned char y[N];
    uint64_t g = 5;
    for (size_t i = 0; i < N; i++) {
        g = g * 6364136223846793005ULL + 1442695040888963407ULL;
        p[i] = (double)((g >> 33) % 9000 + 500) / 10000.0;
        y[i] = (double)((g >> 20) % 1000) / 1000.0 < p[i];
    }
    mql_hl_group g1[10], g2[10];
    mql_hl hl;
    mql_err err;
    double chisq;
    assert_int_equal(mql_hosmer_lemeshow(p, y, N, 10, g1, &hl, &err), MQL_OK);
    assert_int_equal(hl.groups_used, hl_sorted_here(p, y, N, g2, &chisq));
    assert_memory_equal(&hl.chisq, &chisq, sizeof chisq);
    /* a few rows: breaks fall between distinct values (the quantiles interpolate) */
    for (size_t n = 23; n <= 41; n += 6) {
        for (size_t i = 0; i < n; i++) {
            p[i] = 0.02 + 0.029 * (double)((i * 7) % 31);
            y[i] = i % 3 == 0 || p[i] > 0.6;
        }
        assert_int_equal(mql_hosmer_lemeshow(p, y, n, 10, g1, &hl, &err), MQL_OK);
        assert_int_equal(hl.groups_used, hl_sorted_here(p, y, n, g2, &chisq));
        assert_memory_equal(&hl.chisq, &chisq, sizeof chisq);
        for (size_t k = 0; k < hl.groups_used; k++) {
            assert_memory_equal(&g1[k].lo, &g2[k].lo, sizeof(double));
            assert_memory_equal(&g1[k].hi, &g2[k].hi, sizeof(double));
        }
    }
    /* all equal: the same error from the counted route */
    for (size_t i = 0; i < N; i++)
        p[i] = 0.25;
    assert_int_equal(mql_hosmer_lemeshow(p, y, N, 10, g1, &hl, &err), MQL_EDATA);
    assert_non_null(strstr(err.msg, "all predicted probabilities are equal (0.25)"));
}

/* The reliability bands' score bounds: the least and greatest score of each band's rated
 * leads, as a pass per band finds them. */
static void test_band_bounds(void **state)
{
    fixture *f = *state;
    mql_eval_roles r = {.y = f->y, .date_col = f->date_col, .acv_col = -1, .maturity_days = 45};
    mql_scored *s;
    mql_err err;
    assert_int_equal(mql_scored_new(f->platt->points, f->t, &r, &s, &err), MQL_OK);
    double *cuts;
    size_t m;
    assert_int_equal(mql_eval_score_cuts(s, 10, &cuts, &m, &err), MQL_OK);
    assert_true(m >= 4);
    mql_tab *t;
    assert_int_equal(mql_eval_reliability_bands(s, cuts, m, &t, &err), MQL_OK);
    assert_int_equal(mql_tab_rows(t), m + 1);
    for (size_t j = 0; j <= m; j++) {
        double lo = INFINITY, hi = -INFINITY;
        for (size_t i = 0; i < s->n; i++) {
            double x = s->score[i];
            if (s->censored[i] || !((j == 0 || x >= cuts[j - 1]) && (j == m || x < cuts[j])))
                continue;
            lo = x < lo ? x : lo;
            hi = x > hi ? x : hi;
        }
        int num;
        char want[64];
        snprintf(want, sizeof want, "%.17g", lo);
        assert_string_equal(mql_tab_cell(t, j, 1, &num), want);
        snprintf(want, sizeof want, "%.17g", hi);
        assert_string_equal(mql_tab_cell(t, j, 2, &num), want);
    }
    mql_tab_free(t);
    free(cuts);
    mql_scored_free(s);
}

/* The probabilities read from a table of the map at each whole score equal the map called per
 * lead, for the Platt map and for a score map. */
static void test_prob_table(void **state)
{
    fixture *f = *state;
    mql_eval_roles r = {.y = f->y, .date_col = f->date_col, .acv_col = -1, .maturity_days = 45};
    const mql_model *models[] = {f->platt, f->map};
    for (int mi = 0; mi < 2; mi++) {
        mql_scored *s;
        mql_err err;
        assert_int_equal(mql_scored_new(models[mi]->points, f->t, &r, &s, &err), MQL_OK);
        assert_true(s->n >= 8192);   /* the table route */
        for (size_t i = 0; i < s->n; i++) {
            double want = mi == 0 ? mql_platt_predict(&s->platt, s->score[i])
                                  : mql_points_prob(models[mi]->points, s->score[i]);
            assert_memory_equal(&s->prob[i], &want, sizeof want);
        }
        mql_scored_free(s);
    }
}

/* The sweep's order of the leads by counting whole scores against the radix sort: the same
 * scores moved by a half (not whole: the radix route) give the same rows but for the threshold,
 * bit for bit (ACV sums add in the same order), for every distinct score and for a list. */
static void test_sweep_count_route(void **state)
{
    (void)state;
    enum { N = 40000 };
    static double s[N], h[N], acv[N];
    static unsigned char won[N], sql[N], cens[N];
    static long month[N];
    uint64_t g = 77;
    for (size_t i = 0; i < N; i++) {
        g = g * 6364136223846793005ULL + 1442695040888963407ULL;
        s[i] = (double)((g >> 33) % 150) - 50.0;
        if (i % 5000 == 7)
            s[i] = -0.0;
        h[i] = s[i] + 0.5;
        won[i] = (g >> 45) % 6 == 0 || (s[i] > 60 && (g >> 50) % 2);
        sql[i] = won[i] || (g >> 52) % 4 == 0;
        cens[i] = (g >> 40) % 9 == 0;
        month[i] = 660 + (long)(i * 24 / N);
        acv[i] = won[i] ? 1000.0 + (double)((g >> 20) % 100000) / 7.0 : NAN;
    }
    mql_bt_input a = {.n = N, .score = s, .won = won, .sql = sql, .month = month, .acv = acv,
                      .censored = cens};
    mql_bt_input b = a;
    b.score = h;
    const double list[] = {-20, 0, 13, 40, 99};
    double hlist[5];
    for (int k = 0; k < 5; k++)
        hlist[k] = list[k] + 0.5;
    for (int pass = 0; pass < 2; pass++) {
        mql_bt_sweep *x, *z;
        mql_err err;
        assert_int_equal(mql_bt_sweep_run(&a, pass ? list : NULL, pass ? 5 : 0, &x, &err), MQL_OK);
        assert_int_equal(mql_bt_sweep_run(&b, pass ? hlist : NULL, pass ? 5 : 0, &z, &err),
                         MQL_OK);
        assert_int_equal(x->n_rows, z->n_rows);
        assert_true(x->n_rows >= 5);
        for (size_t k = 0; k < x->n_rows; k++) {
            mql_bt_row r = z->rows[k];
            assert_true(r.threshold == x->rows[k].threshold + 0.5);
            r.threshold = x->rows[k].threshold;
            assert_memory_equal(&r, &x->rows[k], sizeof r);
        }
        mql_bt_sweep_free(x);
        mql_bt_sweep_free(z);
    }
}

/* The score cuts from the scores counted per value against a sorted copy (the old route, written
 * here): the same cuts, bit for bit, on whole scores (counted) and on scores with a fraction or a
 * -0 (sorted). */
static double q7(const double *x, size_t n, double q)
{
    double h = (double)(n - 1) * q;
    size_t lo = (size_t)floor(h);
    if (lo + 1 >= n)
        return x[n - 1];
    return x[lo] + (h - (double)lo) * (x[lo + 1] - x[lo]);
}

static void test_cuts_counted_route(void **state)
{
    (void)state;
    enum { N = 30001 };
    static double sc[N], x[N];
    static unsigned char y[N];
    uint64_t g = 99;
    for (int kind = 0; kind < 5; kind++) {
        /* kinds 3 and 4: a few leads of spread scores, so the quantiles fall between ranks and
         * between different values */
        size_t n = kind < 3 ? N : kind == 3 ? 13 : 58;
        for (size_t i = 0; i < n; i++) {
            g = g * 6364136223846793005ULL + 1442695040888963407ULL;
            sc[i] = (double)((g >> 33) % 97) - 31.0 + (kind == 1 ? 0.25 : 0.0);
            if (kind == 2 && sc[i] == 0)
                sc[i] = -0.0;
            if (kind >= 3)
                sc[i] = (double)((i * 37) % 101) * 3.0 - 20.0;
            y[i] = (g >> 45) % 4 == 0 || i % 5 == 0;
        }
        mql_scored *s;
        mql_err err;
        assert_int_equal(mql_scored_from_arrays(n, sc, NULL, y, NULL, NULL, NULL, 10, &s, &err),
                         MQL_OK);
        for (size_t bands = 2; bands <= 40; bands += 19) {
            double *cuts;
            size_t m;
            assert_int_equal(mql_eval_score_cuts(s, bands, &cuts, &m, &err), MQL_OK);
            memcpy(x, sc, n * sizeof *x);
            qsort(x, n, sizeof *x, dcmp);
            double want[64];
            size_t k = 0;
            for (size_t b = 1; b < bands; b++) {
                double q = ceil(q7(x, n, (double)b / (double)bands) - 1e-9);
                if (q > x[0] && (k == 0 || q > want[k - 1]))
                    want[k++] = q;
            }
            assert_int_equal(m, k);
            assert_true(m >= 1);
            assert_memory_equal(cuts, want, m * sizeof *cuts);
            free(cuts);
        }
        mql_scored_free(s);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_part_equals_scoring),
        cmocka_unit_test(test_part_own_end_day),
        cmocka_unit_test(test_part_refused),
        cmocka_unit_test(test_compare_summarized),
        cmocka_unit_test(test_lend_columns),
        cmocka_unit_test(test_hl_counted_route),
        cmocka_unit_test(test_band_bounds),
        cmocka_unit_test(test_prob_table),
        cmocka_unit_test(test_sweep_count_route),
        cmocka_unit_test(test_cuts_counted_route),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
