/* test_xwx.c: the coded layout of a design (design_fill.c) and X'WX from per-level sums (xwx.c)
 * against the dense rows they replace; the column-major dense chunks (mql_design_fill_cols,
 * xwx_dense.c) against the rows and a plain computation. The data are generated (a fixed LCG): categoricals with a
 * pooled rare level, missing cells and an unseen level, a boolean with missing cells (read as
 * 0/1 and, in a second table, as text), a linear numeric with missing cells, a binned numeric,
 * a numeric with a large mean, frequency weights with zeros and fractions, and an interaction.
 * Tolerances: the layout's rows equal the dense ones exactly; X'WX, X'Wz and eta agree to 1e-12
 * relative per entry (absolute floor 1e-12 times sum W: entries that cancel to near 0); a fit
 * reading the coded layout reaches the dense fit's deviance to 1e-12 relative and its
 * coefficients and standard errors to 1e-9 relative, with the same iterations and flags. */
#include "testutil.h"
#include "testutil_table.h"

#include <gsl/gsl_cblas.h>

#include "mqlcal/design.h"
#include "mqlcal/glm.h"
#include "mqlcal/table.h"
#include "mqlcal/xwx.h"
#include "mqlcal/xwx_dense.h"

#define NROWS 40000

static uint64_t lcg_state;

static double unif(void)
{
    return lcg_uniform(&lcg_state);
}

/* Writes the generated leads to a temporary CSV and reads it back. text_flag: the flag column
 * as yes / no / maybe text (a CATEGORICAL column a BOOLEAN feature can bind to). many: five
 * extra 8-level categoricals, so the rows hold more distinct tuples than the sums table keeps. */
static mql_table *gen_table(uint64_t seed, int text_flag, int many, double *y, double *w)
{
    static const char *const jobs[] = {"Manager", "Director", "VP", "Analyst", "C-Level", "Intern",
                                       "Student"};
    static const char *const srcs[] = {"Web", "Event", "Referral", "Paid"};
    lcg_state = seed;
    size_t cap = (size_t)NROWS * 160 + 256, len = 0;
    char *text = malloc(cap);
    assert_non_null(text);
    len += (size_t)snprintf(text + len, cap - len,
                            "job,src,flag,visits,employees,score%s,won,weight\n",
                            many ? ",m1,m2,m3,m4,m5" : "");
    for (size_t r = 0; r < NROWS; r++) {
        double u = unif();
        /* "Student" (5 rows) pools into (other); "Intern" appears in the second table only */
        size_t jk = r % 8000 == 7 ? 6 : text_flag && r % 1000 == 11 ? 5
                                      : u < 0.04 ? 7 : (size_t)(unif() * 5.0);
        const char *job = jk == 7 ? "" : jobs[jk];
        const char *src = srcs[(size_t)(unif() * 4.0)];
        double f = unif();
        const char *flag = f < 0.05 ? "" : f < 0.5 ? (text_flag ? "yes" : "1")
                                                   : (text_flag ? (f < 0.52 ? "maybe" : "no")
                                                                : "0");
        char visits[32] = "", emp[32] = "";
        if (unif() > 0.07)
            snprintf(visits, sizeof visits, "%d", (int)(unif() * 9.0));
        if (unif() > 0.03)
            snprintf(emp, sizeof emp, "%d", 5 + (int)(unif() * 2000.0));
        double score = 1000.0 + 40.0 * (unif() - 0.5);
        double eta = -1.0 + 0.6 * (jk == 1) + 0.9 * (jk == 2) - 0.4 * (jk == 3) +
                     0.5 * (src[0] == 'R') + 0.7 * (flag[0] == '1' || flag[0] == 'y') +
                     0.15 * (visits[0] ? atof(visits) : 0.0) + 0.01 * (score - 1000.0);
        double yy = unif() < 1.0 / (1.0 + exp(-eta));
        double ww = r % 50 == 3 ? 0.0 : r % 20 == 1 ? 2.5 : r % 7 == 2 ? 3.0 : 1.0;
        if (y)
            y[r] = yy;
        if (w)
            w[r] = ww;
        len += (size_t)snprintf(text + len, cap - len, "%s,%s,%s,%s,%s,%.3f", job, src, flag,
                                visits, emp, score);
        for (int m = 0; many && m < 5; m++)
            len += (size_t)snprintf(text + len, cap - len, ",L%d", (int)(unif() * 8.0));
        len += (size_t)snprintf(text + len, cap - len, ",%d,%g\n", (int)yy, ww);
        assert_true(len < cap);
    }
    mql_table *t = table_from_text(text, NULL);
    free(text);
    return t;
}

/* The design of the generated table: every column a feature but won and weight, employees cut
 * at 100 and 500, and the interaction job x flag on four cells (two of them missing terms). */
static mql_design *gen_design(const mql_table *t)
{
    mql_err err;
    mql_design_opts o;
    mql_design_opts_init(&o);
    assert_int_equal(mql_design_opts_add_role(&o, "won", &err), MQL_OK);
    assert_int_equal(mql_design_opts_add_role(&o, "weight", &err), MQL_OK);
    assert_int_equal(mql_design_opts_parse_cuts(&o, "employees=100,500", &err), MQL_OK);
    mql_design *d = NULL;
    assert_int_equal(mql_design_build(t, &o, &d, &err), MQL_OK);
    mql_design_opts_clear(&o);
    long a = mql_design_find(d, "job"), b = mql_design_find(d, "flag");
    assert_true(a >= 0 && b > a);
    const mql_feature *fa = &d->features[a], *fb = &d->features[b];
    assert_int_equal(fa->enc, MQL_ENC_CATEGORICAL);
    assert_int_equal(fb->enc, MQL_ENC_BOOLEAN);
    assert_true(fa->has_missing && fa->n_pooled == 1 && fb->has_missing);
    size_t ta[4] = {0, 1, fa->n_terms - 1, 2}, tb[4] = {0, 0, 0, 1};
    mql_interaction ix = {(size_t)a, (size_t)b, 4, ta, tb, 0};
    assert_int_equal(mql_design_set_interactions(d, &ix, 1, &err), MQL_OK);
    return d;
}

/* Dense row r of the coded layout: zeros, the slots' ones, the dense values. */
static void expand(const mql_glm_coded *cx, size_t p, const uint32_t *idx, const double *xd,
                   double *x)
{
    memset(x, 0, p * sizeof *x);
    for (size_t i = 0; i < cx->k; i++)
        if (idx[i] < p) {
            assert_true(x[idx[i]] == 0.0);   /* one slot per column */
            x[idx[i]] = 1.0;
        }
    for (size_t a = 0; a < cx->md; a++)
        x[cx->dense[a]] = xd[a];
}

/* The coded layout writes the dense fill's rows exactly, on the training table and on a table
 * whose boolean is text with an unseen spelling and whose categorical has an unseen level. */
static void test_layout_equals_dense(void **state)
{
    (void)state;
    mql_err err;
    mql_table *t = gen_table(7, 0, 0, NULL, NULL);
    mql_design *d = gen_design(t);
    mql_table *t2 = gen_table(8, 1, 0, NULL, NULL);
    const mql_table *tabs[2] = {t, t2};
    size_t p = d->p;
    for (int which = 0; which < 2; which++) {
        mql_design_binding *b = NULL;
        assert_int_equal(mql_design_bind(d, tabs[which], &b, &err), MQL_OK);
        if (which == 1)
            assert_true(b->f[mql_design_find(d, "flag")].by_code &&
                        b->f[mql_design_find(d, "flag")].n_unseen > 0 &&
                        b->f[mql_design_find(d, "job")].n_unseen > 0);
        mql_glm_coded cx;
        assert_int_equal(mql_design_coded(b, &cx, &err), MQL_OK);
        /* slots: job, src, flag, visits=(missing), employees, score has no missing: none, the
         * interaction; dense: intercept, visits, score */
        assert_int_equal(cx.k, 6);
        assert_int_equal(cx.md, 3);
        assert_int_equal(cx.dense[0], 0);
        assert_string_equal(d->labels[cx.dense[1]], "visits");
        assert_string_equal(d->labels[cx.dense[2]], "score");
        size_t m = 1000;
        double *x = malloc(m * p * sizeof *x), *xd = malloc(m * cx.md * sizeof *xd);
        double *xd2 = malloc(m * cx.md * sizeof *xd2), *row = malloc(p * sizeof *row);
        uint32_t *idx = malloc(m * cx.k * sizeof *idx);
        size_t ones_ix = 0;
        for (size_t r0 = 0; r0 < NROWS; r0 += m) {
            assert_int_equal(mql_design_fill(b, r0, m, x, &err), MQL_OK);
            assert_int_equal(cx.fill(cx.ctx, r0, m, idx, xd, &err), MQL_OK);
            assert_int_equal(cx.fill(cx.ctx, r0, m, NULL, xd2, &err), MQL_OK);
            assert_memory_equal(xd, xd2, m * cx.md * sizeof *xd);
            for (size_t r = 0; r < m; r++) {
                expand(&cx, p, idx + r * cx.k, xd + r * cx.md, row);
                assert_memory_equal(row, x + r * p, p * sizeof *row);
                ones_ix += idx[r * cx.k + cx.k - 1] < p;
            }
        }
        assert_true(ones_ix > 1000);   /* the interaction's cells do occur */
        assert_int_equal(cx.fill(cx.ctx, NROWS - 10, 11, idx, xd, &err), MQL_EDATA);
        assert_non_null(strstr(err.msg, "out of range"));
        free(x);
        free(xd);
        free(xd2);
        free(row);
        free(idx);
        mql_design_binding_free(b);
    }
    mql_design_free(d);
    mql_table_free(t);
    mql_table_free(t2);
}

/* An interaction listing a cell twice has no coded layout (two equal columns). */
static void test_layout_duplicate_cell(void **state)
{
    (void)state;
    mql_err err;
    mql_table *t = gen_table(7, 0, 0, NULL, NULL);
    mql_design *d = gen_design(t);
    size_t ta[2] = {1, 1}, tb[2] = {0, 0};
    mql_interaction ix = {d->ix[0].a, d->ix[0].b, 2, ta, tb, 0};
    assert_int_equal(mql_design_set_interactions(d, &ix, 1, &err), MQL_OK);
    mql_design_binding *b = NULL;
    assert_int_equal(mql_design_bind(d, t, &b, &err), MQL_OK);
    mql_glm_coded cx;
    assert_int_equal(mql_design_coded(b, &cx, &err), MQL_EDATA);
    assert_non_null(strstr(err.msg, "cell twice"));
    mql_design_binding_free(b);
    mql_design_free(d);
    mql_table_free(t);
}

static void assert_entry(double got, double want, double floor)
{
    assert_close(got, want, 1e-12, 1e-12 * floor);
}

/* Three passes with different weights through mql_xwx (hashing the tuples, then reading the
 * noted tuples, then again) against the dense sums of the shifted rows, and eta against X beta.
 * many: more distinct tuples than the table holds, so one part is summed row by row. */
static void check_sums(int many)
{
    mql_err err;
    mql_table *t = gen_table(11, 0, many, NULL, NULL);
    mql_design *d = gen_design(t);
    mql_design_binding *b = NULL;
    assert_int_equal(mql_design_bind(d, t, &b, &err), MQL_OK);
    mql_glm_coded cx;
    assert_int_equal(mql_design_coded(b, &cx, &err), MQL_OK);
    size_t p = d->p, k = cx.k, md = cx.md, m = 4096;
    double *c = calloc(p, sizeof *c), *beta = malloc((p + 1) * sizeof *beta);
    double *x = malloc(m * p * sizeof *x), *xd = malloc(m * md * sizeof *xd);
    double *s = malloc(m * sizeof *s), *wz = malloc(m * sizeof *wz), *eta = malloc(m * sizeof *eta);
    double *A = malloc(p * p * sizeof *A), *bb = malloc(p * sizeof *bb);
    double *A0 = malloc(p * p * sizeof *A0), *b0 = malloc(p * sizeof *b0);
    uint32_t *idx = malloc(m * k * sizeof *idx);
    /* shifts like glm.c's: column means over the first rows (the intercept's 0) */
    assert_int_equal(mql_design_fill(b, 0, m, x, &err), MQL_OK);
    for (size_t j = 1; j < p; j++) {
        for (size_t r = 0; r < m; r++)
            c[j] += x[r * p + j];
        c[j] /= (double)m;
    }
    mql_xwx *xa = mql_xwx_new(p, k, md, cx.dense, NROWS);
    assert_non_null(xa);
    for (int pass = 0; pass < 3; pass++) {
        lcg_state = 100 + (uint64_t)pass;
        for (size_t j = 0; j < p; j++)
            beta[j] = unif() - 0.5;
        beta[p] = 0.0;
        mql_xwx_begin(xa, beta);
        assert_int_equal(mql_xwx_indexed(xa), pass > 0 && !many);
        memset(A0, 0, p * p * sizeof *A0);
        memset(b0, 0, p * sizeof *b0);
        double sw = 0.0;
        for (size_t r0 = 0; r0 < NROWS; r0 += m) {
            size_t mm = NROWS - r0 < m ? NROWS - r0 : m;
            int ix = mql_xwx_indexed(xa);
            assert_int_equal(mql_design_fill(b, r0, mm, x, &err), MQL_OK);
            assert_int_equal(cx.fill(cx.ctx, r0, mm, ix ? NULL : idx, xd, &err), MQL_OK);
            mql_xwx_eta(xa, r0, mm, ix ? NULL : idx, xd, beta, eta);
            for (size_t r = 0; r < mm; r++) {
                double e = 0.0, scale = 0.0;
                for (size_t j = 0; j < p; j++) {
                    e += x[r * p + j] * beta[j];
                    scale += fabs(x[r * p + j] * beta[j]);
                }
                assert_entry(eta[r], e, scale);
                double u = unif();
                s[r] = r % 37 == 5 ? 0.0 : sqrt(0.05 + 0.2 * u);
                wz[r] = s[r] * (4.0 * unif() - 2.0);
                sw += s[r] * s[r];
                for (size_t i = 0; i < p; i++) {
                    double xi = (x[r * p + i] - c[i]) * s[r];
                    b0[i] += xi * wz[r];
                    for (size_t j = i; j < p; j++)
                        A0[i * p + j] += xi * (x[r * p + j] - c[j]) * s[r];
                }
            }
            mql_xwx_add(xa, r0, mm, ix ? NULL : idx, xd, s, wz, c);
        }
        mql_xwx_assemble(xa, c, A, bb);
        for (size_t i = 0; i < p; i++) {
            assert_entry(bb[i], b0[i], sw);
            for (size_t j = 0; j < p; j++)
                assert_entry(A[i * p + j], j >= i ? A0[i * p + j] : 0.0, sw);
        }
    }
    mql_xwx_free(xa);
    mql_xwx_free(NULL);
    free(c);
    free(beta);
    free(x);
    free(xd);
    free(s);
    free(wz);
    free(eta);
    free(A);
    free(bb);
    free(A0);
    free(b0);
    free(idx);
    mql_design_binding_free(b);
    mql_design_free(d);
    mql_table_free(t);
}

static void test_sums_tuples(void **state)
{
    (void)state;
    check_sums(0);
}

static void test_sums_row_by_row(void **state)
{
    (void)state;
    check_sums(1);
}

/* mql_glm_fit reading the coded layout against the same fit on dense rows: one and two
 * threads, with and without the warm start, with a ridge penalty. */
static void test_fit_coded_vs_dense(void **state)
{
    (void)state;
    mql_err err;
    double *y = malloc(NROWS * sizeof *y), *w = malloc(NROWS * sizeof *w);
    mql_table *t = gen_table(23, 0, 0, y, w);
    mql_design *d = gen_design(t);
    mql_design_binding *b = NULL;
    assert_int_equal(mql_design_bind(d, t, &b, &err), MQL_OK);
    mql_glm_coded cx;
    assert_int_equal(mql_design_coded(b, &cx, &err), MQL_OK);
    static const struct { int threads; size_t warm; double l2; } cases[] = {
        {1, 0, 0.0}, {2, 0, 0.0}, {2, 5000, 0.0}, {1, 5000, 0.5}};
    for (size_t ci = 0; ci < sizeof cases / sizeof cases[0]; ci++) {
        mql_glm_opts o;
        mql_glm_opts_default(&o);
        o.threads = cases[ci].threads;
        o.warm_rows = cases[ci].warm;
        o.l2 = cases[ci].l2;
        mql_glm_data dense = {NROWS, d->p, mql_design_fill, b, y, w, NULL};
        mql_glm_data coded = {NROWS, d->p, mql_design_fill, b, y, w, &cx};
        mql_glm_data cols = {NROWS, d->p, mql_design_fill, b, y, w, NULL, mql_design_fill_cols};
        mql_glm_result *r0 = NULL, *r1 = NULL, *r2 = NULL;
        assert_int_equal(mql_glm_fit(&dense, &o, &r0, &err), MQL_OK);
        assert_int_equal(mql_glm_fit(&coded, &o, &r1, &err), MQL_OK);
        /* column-major chunks from fill_cols or from fill's rows transposed: the same values
         * through the same sums, so the same fit to the last bit; keeping eta (whose buffer
         * then also holds the warm start's subsample) changes nothing either */
        mql_glm_opts ok = o;
        ok.keep_eta = 1;
        assert_int_equal(mql_glm_fit(&cols, &ok, &r2, &err), MQL_OK);
        double *row = malloc(d->p * sizeof *row);
        for (size_t i = 0; i < NROWS; i += 97) {
            assert_int_equal(mql_design_fill(b, i, 1, row, &err), MQL_OK);
            double want = 0.0;
            for (size_t j = 0; j < d->p; j++)
                want += r2->aliased[j] ? 0.0 : row[j] * r2->beta[j];
            assert_close(r2->eta[i], want, 1e-12, 1e-12);
        }
        free(row);
        assert_true(r2->deviance == r0->deviance);
        assert_int_equal(r2->iterations, r0->iterations);
        assert_int_equal(r2->warm_iterations, r0->warm_iterations);
        assert_memory_equal(r2->beta, r0->beta, d->p * sizeof *r0->beta);
        assert_memory_equal(r2->se, r0->se, d->p * sizeof *r0->se);
        mql_glm_result_free(r2);
        assert_close(r1->deviance, r0->deviance, 1e-12, 0.0);
        assert_close(r1->loglik, r0->loglik, 1e-12, 0.0);
        assert_int_equal(r1->iterations, r0->iterations);
        assert_int_equal(r1->warm_iterations, r0->warm_iterations);
        assert_int_equal(r1->rank, r0->rank);
        assert_int_equal(r1->state, r0->state);
        assert_int_equal(r1->n_extreme, r0->n_extreme);
        if (cases[ci].warm)
            assert_true(r1->warm_iterations > 0);
        for (size_t j = 0; j < d->p; j++) {
            assert_int_equal(r1->aliased[j], r0->aliased[j]);
            assert_int_equal(r1->separated[j], r0->separated[j]);
            if (r0->aliased[j])
                continue;
            assert_close(r1->beta[j], r0->beta[j], 1e-9, 1e-12);
            assert_close(r1->se[j], r0->se[j], 1e-9, 1e-12);
        }
        mql_glm_result_free(r0);
        mql_glm_result_free(r1);
    }
    mql_design_binding_free(b);
    mql_design_free(d);
    mql_table_free(t);
    free(y);
    free(w);
}

/* The coded layout's last pass skips the per-level sums (mql_glm_opts.last_margin): the fit is
 * the one of full passes bit for bit, whether the prediction holds (margin 0.5) or fails on every
 * pass and the pass runs again in full (a huge margin); with the tuples noted and with more
 * tuples than the table keeps (row-by-row sums), one and two threads, a warm start, weights. */
static void test_coded_last_pass(void **state)
{
    (void)state;
    static const struct { int many, threads; size_t warm; int weighted; } cases[] = {
        {0, 1, 0, 1}, {0, 2, 0, 0}, {0, 2, 5000, 1}, {1, 2, 0, 1}};
    for (size_t ci = 0; ci < sizeof cases / sizeof cases[0]; ci++) {
        mql_err err;
        double *y = malloc(NROWS * sizeof *y), *w = malloc(NROWS * sizeof *w);
        mql_table *t = gen_table(31, 0, cases[ci].many, y, w);
        mql_design *d = gen_design(t);
        mql_design_binding *b = NULL;
        assert_int_equal(mql_design_bind(d, t, &b, &err), MQL_OK);
        mql_glm_coded cx;
        assert_int_equal(mql_design_coded(b, &cx, &err), MQL_OK);
        assert_true(cx.md < d->p);
        mql_glm_data coded = {NROWS, d->p, mql_design_fill, b, y,
                              cases[ci].weighted ? w : NULL, &cx};
        const double margin[3] = {0.0, 0.5, 1e300};
        mql_glm_result *r[3] = {NULL, NULL, NULL};
        for (int k = 0; k < 3; k++) {
            mql_glm_opts o;
            mql_glm_opts_default(&o);
            o.threads = cases[ci].threads;
            o.warm_rows = cases[ci].warm;
            o.last_margin = margin[k];
            o.keep_eta = 1;
            assert_int_equal(mql_glm_fit(&coded, &o, &r[k], &err), MQL_OK);
        }
        assert_int_equal(r[0]->last_passes, 0);
        assert_true(r[1]->last_passes >= 1);
        assert_int_equal(r[1]->last_misses, 0);
        assert_true(r[2]->last_misses >= 1);
        for (int k = 1; k < 3; k++) {
            assert_int_equal(r[k]->iterations, r[0]->iterations);
            assert_int_equal(r[k]->warm_iterations, r[0]->warm_iterations);
            assert_int_equal(r[k]->state, r[0]->state);
            assert_int_equal(r[k]->n_extreme, r[0]->n_extreme);
            assert_memory_equal(r[k]->beta, r[0]->beta, d->p * sizeof *r[0]->beta);
            assert_memory_equal(r[k]->se, r[0]->se, d->p * sizeof *r[0]->se);
            assert_memory_equal(r[k]->cov->data, r[0]->cov->data, d->p * d->p * sizeof(double));
            assert_memory_equal(r[k]->eta, r[0]->eta, NROWS * sizeof *r[0]->eta);
            assert_memory_equal(&r[k]->deviance, &r[0]->deviance, sizeof(double));
            assert_memory_equal(&r[k]->loglik, &r[0]->loglik, sizeof(double));
        }
        if (cases[ci].warm)
            assert_true(r[0]->warm_iterations > 0);
        for (int k = 0; k < 3; k++)
            mql_glm_result_free(r[k]);
        mql_design_binding_free(b);
        mql_design_free(d);
        mql_table_free(t);
        free(y);
        free(w);
    }
}

/* ---- a hand-made coded layout: the checks of the first pass ------------------------------- */

typedef struct toy {
    double bad;                /* written as row 5's dense value 1 */
    double icpt;               /* written as every row's intercept */
    int fail;                  /* the fill fails */
} toy;

static const size_t toy_dense[2] = {0, 3};

/* 40 rows, p = 4: columns 1 and 2 from one slot (row % 3: column 1, 2, none), 3 dense. */
static int toy_fill(void *ctx, size_t row0, size_t m, uint32_t *idx, double *xd, mql_err *err)
{
    const toy *c = ctx;
    if (c->fail)
        return mql_err_set(err, MQL_EDATA, "toy: no rows today");
    for (size_t r = 0; r < m; r++) {
        size_t i = row0 + r;
        if (idx)
            idx[r] = i % 3 == 2 ? 4 : (uint32_t)(1 + i % 3);
        xd[r * 2] = c->icpt;
        xd[r * 2 + 1] = i == 5 ? c->bad : (double)(i % 5);
    }
    return MQL_OK;
}

static int toy_dense_fill(void *ctx, size_t row0, size_t m, double *x, mql_err *err)
{
    uint32_t idx[64];
    double xd[128];
    int st = toy_fill(ctx, row0, m, idx, xd, err);
    for (size_t r = 0; st == MQL_OK && r < m; r++) {
        x[r * 4] = xd[r * 2];
        x[r * 4 + 1] = idx[r] == 1;
        x[r * 4 + 2] = idx[r] == 2;
        x[r * 4 + 3] = xd[r * 2 + 1];
    }
    return st;
}

static void test_first_pass_checks(void **state)
{
    (void)state;
    double y[40], w[40];
    for (size_t i = 0; i < 40; i++) {
        y[i] = (i * 7 + i / 3) % 4 == 0;
        w[i] = 1.0;
    }
    toy c = {1.0, 1.0, 0};
    mql_glm_coded cx = {1, 2, toy_dense, toy_fill, &c};
    mql_glm_data d = {40, 4, toy_dense_fill, &c, y, w, &cx};
    mql_glm_data dd = {40, 4, toy_dense_fill, &c, y, w, NULL};
    mql_glm_result *r = NULL, *r0 = NULL;
    mql_err err;
    assert_int_equal(mql_glm_fit(&d, NULL, &r, &err), MQL_OK);
    assert_int_equal(mql_glm_fit(&dd, NULL, &r0, &err), MQL_OK);
    assert_close(r->deviance, r0->deviance, 1e-12, 0.0);
    mql_glm_result_free(r);
    mql_glm_result_free(r0);
    c.bad = INFINITY;
    assert_int_equal(mql_glm_fit(&d, NULL, &r, &err), MQL_EDATA);
    assert_string_equal(err.msg, "design row 5, column 3: value inf is not finite");
    assert_null(r);
    c.bad = 1.0;
    c.icpt = 2.0;
    assert_int_equal(mql_glm_fit(&d, NULL, &r, &err), MQL_EDATA);
    assert_string_equal(err.msg, "design row 0, column 0: intercept column holds 2, not 1");
    c.icpt = 1.0;
    c.fail = 1;
    assert_int_equal(mql_glm_fit(&d, NULL, &r, &err), MQL_EDATA);
    assert_string_equal(err.msg, "toy: no rows today");
    c.fail = 0;
    /* column 1 separates (every row with it is an event): flagged by either layout */
    for (size_t i = 0; i < 40; i++)
        y[i] = i % 3 == 0 ? 1.0 : (i % 4 == 1);
    int st = mql_glm_fit(&d, NULL, &r, &err);
    assert_int_equal(mql_glm_fit(&dd, NULL, &r0, &err), st);
    assert_non_null(r);
    assert_int_equal(r->state, MQL_GLM_SEPARATED);
    assert_int_equal(r->separated[1], 1);
    assert_memory_equal(r->separated, r0->separated, 4);
    mql_glm_result_free(r);
    mql_glm_result_free(r0);
}

/* ---- column-major dense chunks ------------------------------------------------------------- */

/* mql_design_fill_cols writes mql_design_fill's values column-major, for consecutive rows and
 * for every step-th row, with a leading dimension above m (rows below m untouched). */
static void test_fill_cols_equals_rows(void **state)
{
    (void)state;
    mql_err err;
    double *y = malloc(NROWS * sizeof *y), *w = malloc(NROWS * sizeof *w);
    mql_table *t = gen_table(41, 0, 0, y, w);
    mql_design *d = gen_design(t);
    mql_design_binding *b = NULL;
    assert_int_equal(mql_design_bind(d, t, &b, &err), MQL_OK);
    size_t p = d->p, m = 300, ld = m + 5;
    double *rows = malloc(p * sizeof *rows), *cols = malloc(ld * p * sizeof *cols);
    static const struct { size_t row0, step; } cases[] = {{0, 1}, {1234, 1}, {NROWS - 300, 1},
                                                         {17, 7}, {5, NROWS / 300}};
    for (size_t ci = 0; ci < sizeof cases / sizeof cases[0]; ci++) {
        for (size_t k = 0; k < ld * p; k++)
            cols[k] = -7.0;
        assert_int_equal(mql_design_fill_cols(b, cases[ci].row0, m, cases[ci].step, cols, ld,
                                              &err), MQL_OK);
        for (size_t r = 0; r < m; r++) {
            assert_int_equal(mql_design_fill(b, cases[ci].row0 + r * cases[ci].step, 1, rows,
                                             &err), MQL_OK);
            for (size_t j = 0; j < p; j++)
                assert_true(cols[j * ld + r] == rows[j]);
        }
        for (size_t j = 0; j < p; j++)
            for (size_t r = m; r < ld; r++)
                assert_true(cols[j * ld + r] == -7.0);
    }
    /* the last row in range, one past it, step 0, ld below m */
    assert_int_equal(mql_design_fill_cols(b, NROWS - 1, 1, 3, cols, ld, &err), MQL_OK);
    assert_int_equal(mql_design_fill_cols(b, 1, 2, NROWS - 1, cols, ld, &err), MQL_EDATA);
    assert_non_null(strstr(err.msg, "out of range"));
    assert_int_equal(mql_design_fill_cols(b, NROWS, 1, 1, cols, ld, &err), MQL_EDATA);
    assert_int_equal(mql_design_fill_cols(b, 0, 3, 0, cols, ld, &err), MQL_EUSAGE);
    assert_int_equal(mql_design_fill_cols(b, 0, m, 1, cols, m - 1, &err), MQL_EUSAGE);
    free(rows);
    free(cols);
    mql_design_binding_free(b);
    mql_design_free(d);
    mql_table_free(t);
    free(y);
    free(w);
}

/* xwx_dense.c on a small chunk against plain loops, to 1e-12 relative: eta = X beta, and after
 * shifting and scaling, X'WX (upper triangle added to what a held; the lower triangle left
 * alone) and X'Wz (added to b). The chunk has an intercept (shift 0), a column with a large mean,
 * rows of weight 0 (s = 0) and a leading dimension above m. */
static void test_dense_chunk_sums(void **state)
{
    (void)state;
    enum { M = 37, P = 5, LD = 41 };
    double x[LD * P], x0[M * P], c[P] = {0.0, 0.3, 1000.0, -2.0, 0.5}, s[M], wz[M];
    double beta[P] = {-1.5, 0.25, 0.001, -0.75, 2.0}, eta[M];
    lcg_state = 99;
    for (size_t r = 0; r < M; r++) {
        for (size_t j = 0; j < P; j++) {
            double v = j == 0 ? 1.0 : j == 2 ? 1000.0 + 50.0 * (unif() - 0.5)
                                             : 4.0 * unif() - 2.0;
            x[j * LD + r] = v;
            x0[r * P + j] = v;
        }
        double wr = r % 6 == 4 ? 0.0 : 0.5 + 2.0 * unif();   /* W of the row */
        s[r] = sqrt(wr);
        wz[r] = s[r] * (3.0 * unif() - 1.0);
    }
    mql_xwx_dense_eta(x, M, P, LD, beta, eta);
    for (size_t r = 0; r < M; r++) {
        double want = 0.0;
        for (size_t j = 0; j < P; j++)
            want += x0[r * P + j] * beta[j];
        assert_close(eta[r], want, 1e-12, 1e-12);
    }
    double a[P * P], b[P], a0[P * P], b0[P];
    for (size_t k = 0; k < P * P; k++)
        a[k] = a0[k] = 0.125 * (double)k;
    for (size_t j = 0; j < P; j++)
        b[j] = b0[j] = -0.5 * (double)j;
    mql_xwx_dense_add(x, M, P, LD, c, s, wz, a, b);
    for (size_t i = 0; i < P; i++) {
        double wb = b0[i];
        for (size_t r = 0; r < M; r++)
            wb += (x0[r * P + i] - c[i]) * s[r] * wz[r];
        assert_close(b[i], wb, 1e-12, 1e-12);
        for (size_t j = 0; j < P; j++) {
            if (j < i) {
                assert_true(a[i * P + j] == a0[i * P + j]);
                continue;
            }
            double wa = a0[i * P + j];
            for (size_t r = 0; r < M; r++)
                wa += (x0[r * P + i] - c[i]) * (x0[r * P + j] - c[j]) * s[r] * s[r];
            assert_close(a[i * P + j], wa, 1e-12, 1e-12);
        }
    }
    /* the chunk now holds sqrt(W) (x - c): zero on the weight-0 rows */
    for (size_t r = 0; r < M; r++)
        for (size_t j = 0; j < P; j++)
            assert_close(x[j * LD + r], (x0[r * P + j] - c[j]) * s[r], 1e-15, 0.0);
    assert_true(x[2 * LD + 4] == 0.0 && x[0 * LD + 10] == 0.0);
}

/* The chunk's X'X by mql_xwx_dense_gram against the order xwx_dense.c states, bit for bit: four
 * lanes per entry (lane k the rows k, k + 4, ... of the whole quads), (lane 0 + lane 1) +
 * (lane 2 + lane 3), then the last m % 4 rows in turn, then added to a. The baseline build of
 * the kernel (SSE2) gives the same bits as the path the CPU takes (AVX here). Against dsyrk the
 * sums differ in the last bits only: within 1e-13 of sum |x_j x_i| + |a|, a bound on both
 * routes' rounding (m eps sum |x_j x_i| is 4.5e-13 of it at m = 4,096, far above what random
 * signs reach). Every block shape and remainder: p = 1 to 9, 13, 21 and 40 columns, m = 0 to
 * 7, 37 and 4,096 rows, the leading dimension above m; the lower triangle is left alone. Above
 * 40 columns the chunk is dsyrk's, to the bit. */
static void test_dense_gram(void **state)
{
    (void)state;
    static const size_t ps[] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 13, 21, 40, 41};
    static const size_t ms[] = {0, 1, 2, 3, 4, 5, 6, 7, 37, 4096};
    enum { PMAX = 41, MMAX = 4096, LD_EXTRA = 3 };
    double *x = malloc((MMAX + LD_EXTRA) * PMAX * sizeof *x);
    double *a = malloc(PMAX * PMAX * sizeof *a), *a0 = malloc(PMAX * PMAX * sizeof *a0);
    double *ab = malloc(PMAX * PMAX * sizeof *ab), *as = malloc(PMAX * PMAX * sizeof *as);
    assert_true(x && a && a0 && ab && as);
    lcg_state = 5;
    for (size_t pi = 0; pi < sizeof ps / sizeof ps[0]; pi++)
        for (size_t mi = 0; mi < sizeof ms / sizeof ms[0]; mi++) {
            size_t p = ps[pi], m = ms[mi], ld = m + LD_EXTRA, m4 = m - m % 4;
            for (size_t k = 0; k < ld * p; k++)       /* mixed signs and scales, some zeros */
                x[k] = k % 11 == 3 ? 0.0 : (unif() - 0.4) * (double)(1 + k % 5);
            for (size_t k = 0; k < p * p; k++)
                a0[k] = 0.25 * (double)k - 3.0;
            memcpy(a, a0, p * p * sizeof *a);
            memcpy(ab, a0, p * p * sizeof *a);
            memcpy(as, a0, p * p * sizeof *a);
            mql_xwx_dense_gram(x, m, p, ld, a);
            cblas_dsyrk(CblasColMajor, CblasLower, CblasTrans, (int)p, (int)m, 1.0, x, (int)ld,
                        1.0, as, (int)p);
            if (p > 40) {
                assert_memory_equal(a, as, p * p * sizeof *a);
                continue;
            }
            mql_xwx_dense_gram_baseline(x, m, p, ld, ab);
            assert_memory_equal(a, ab, p * p * sizeof *a);
            for (size_t j = 0; j < p; j++)
                for (size_t i = 0; i < p; i++) {
                    if (i < j) {
                        assert_true(a[j * p + i] == a0[j * p + i]);
                        continue;
                    }
                    const double *xj = x + j * ld, *xi = x + i * ld;
                    double lane[4] = {0.0, 0.0, 0.0, 0.0}, bound = fabs(a0[j * p + i]);
                    for (size_t r = 0; r < m4; r++)
                        lane[r % 4] += xj[r] * xi[r];
                    double want = (lane[0] + lane[1]) + (lane[2] + lane[3]);
                    for (size_t r = m4; r < m; r++)
                        want += xj[r] * xi[r];
                    want = a0[j * p + i] + want;
                    assert_memory_equal(&a[j * p + i], &want, sizeof want);
                    for (size_t r = 0; r < m; r++)
                        bound += fabs(xj[r] * xi[r]);
                    assert_true(fabs(a[j * p + i] - as[j * p + i]) <= 1e-13 * bound);
                }
        }
    free(x);
    free(a);
    free(a0);
    free(ab);
    free(as);
}

/* A fit on dense column-major chunks (X'WX by mql_xwx_dense_gram) against the same fit on the
 * coded layout, whose X'WX block for the dense columns is dsyrk's (xwx.c) and whose level
 * columns come from per-level sums: the sums differ in their order only, so the deviance agrees
 * to 1e-13 relative and the coefficients and standard errors to 1e-12 relative, after the same
 * iterations. Ten numeric columns, one with a large mean, and a three-level categorical: p = 13,
 * three groups of four and one column over; one and two threads, with and without weights and
 * the warm start. */
static void test_fit_gram_vs_dsyrk(void **state)
{
    (void)state;
    enum { NC = 10 };
    size_t cap = (size_t)NROWS * 16 * (NC + 2) + 256, len = 0;
    char *text = malloc(cap);
    double *y = malloc(NROWS * sizeof *y), *w = malloc(NROWS * sizeof *w);
    assert_true(text && y && w);
    len += (size_t)snprintf(text + len, cap - len, "x0,x1,x2,x3,x4,x5,x6,x7,x8,x9,src,won\n");
    lcg_state = 31;
    for (size_t r = 0; r < NROWS; r++) {
        double v[NC], eta = -0.5;
        for (size_t j = 0; j < NC; j++) {
            v[j] = j == 3 ? 1000.0 + 40.0 * (unif() - 0.5) : 4.0 * unif() - 2.0;
            eta += (j == 3 ? 0.01 * (v[j] - 1000.0) : 0.1 * (double)j * v[j]);
            len += (size_t)snprintf(text + len, cap - len, "%.4f,", v[j]);
        }
        size_t src = (size_t)(unif() * 3.0);
        eta += 0.4 * (double)src;
        y[r] = unif() < 1.0 / (1.0 + exp(-eta));
        w[r] = r % 9 == 4 ? 2.0 : r % 31 == 0 ? 0.0 : 1.0;
        len += (size_t)snprintf(text + len, cap - len, "%c,%d\n", "ABC"[src], (int)y[r]);
        assert_true(len < cap);
    }
    mql_table *t = table_from_text(text, NULL);
    free(text);
    mql_err err;
    mql_design_opts o;
    mql_design_opts_init(&o);
    assert_int_equal(mql_design_opts_add_role(&o, "won", &err), MQL_OK);
    mql_design *d = NULL;
    assert_int_equal(mql_design_build(t, &o, &d, &err), MQL_OK);
    mql_design_opts_clear(&o);
    assert_int_equal(d->p, NC + 3);
    mql_design_binding *b = NULL;
    assert_int_equal(mql_design_bind(d, t, &b, &err), MQL_OK);
    mql_glm_coded cx;
    assert_int_equal(mql_design_coded(b, &cx, &err), MQL_OK);
    /* the numeric columns dense (their X'WX block dsyrk's), src coded (the passes read the
     * coded layout only when it has a coded column) */
    assert_int_equal(cx.md, NC + 1);
    assert_int_equal(cx.k, 1);
    static const struct { int threads; size_t warm; int weighted; } cases[] = {
        {1, 0, 0}, {2, 0, 1}, {2, 5000, 0}};
    for (size_t ci = 0; ci < sizeof cases / sizeof cases[0]; ci++) {
        mql_glm_opts go;
        mql_glm_opts_default(&go);
        go.threads = cases[ci].threads;
        go.warm_rows = cases[ci].warm;
        double *wv = cases[ci].weighted ? w : NULL;
        mql_glm_data cols = {NROWS, d->p, mql_design_fill, b, y, wv, NULL, mql_design_fill_cols};
        mql_glm_data coded = {NROWS, d->p, mql_design_fill, b, y, wv, &cx};
        mql_glm_result *r0 = NULL, *r1 = NULL;
        assert_int_equal(mql_glm_fit(&cols, &go, &r0, &err), MQL_OK);
        assert_int_equal(mql_glm_fit(&coded, &go, &r1, &err), MQL_OK);
        assert_close(r0->deviance, r1->deviance, 1e-13, 0.0);
        assert_close(r0->loglik, r1->loglik, 1e-13, 0.0);
        assert_int_equal(r0->iterations, r1->iterations);
        assert_int_equal(r0->warm_iterations, r1->warm_iterations);
        for (size_t j = 0; j < d->p; j++) {
            assert_close(r0->beta[j], r1->beta[j], 1e-12, 0.0);
            assert_close(r0->se[j], r1->se[j], 1e-12, 0.0);
        }
        mql_glm_result_free(r0);
        mql_glm_result_free(r1);
    }
    mql_design_binding_free(b);
    mql_design_free(d);
    mql_table_free(t);
    free(y);
    free(w);
}

/* The common rows' weights two at a time (mql_xwx_root_weights) against one at a time: the same
 * bits in every output, for m = 0 to 9 and 4,096 rows (odd counts end with a scalar row), y 0, 1
 * and -0.0, mu.eta from tiny to 1/4 (square roots that are not exact). */
static void test_root_weights(void **state)
{
    (void)state;
    enum { MMAX = 4096 };
    static const size_t ms[] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, MMAX};
    double *y = malloc(MMAX * sizeof *y), *mu = malloc(MMAX * sizeof *mu);
    double *me[2], *s[2], *wz[2];
    for (int k = 0; k < 2; k++) {
        me[k] = malloc(MMAX * sizeof *me[k]);
        s[k] = malloc(MMAX * sizeof *s[k]);
        wz[k] = malloc(MMAX * sizeof *wz[k]);
        assert_true(me[k] && s[k] && wz[k]);
    }
    assert_true(y && mu);
    lcg_state = 9;
    for (size_t mi = 0; mi < sizeof ms / sizeof ms[0]; mi++) {
        size_t m = ms[mi];
        for (size_t r = 0; r < m; r++) {
            double u = unif();
            y[r] = r % 3 == 0 ? 0.0 : r % 3 == 1 ? 1.0 : -0.0;
            mu[r] = r % 17 == 5 ? 1e-300 : u;
            me[0][r] = me[1][r] = mu[r] * (1.0 - mu[r]);
            wz[0][r] = wz[1][r] = (unif() - 0.5) * 40.0;
            s[0][r] = s[1][r] = NAN;
        }
        mql_xwx_root_weights(m, y, mu, me[0], s[0], wz[0]);
        mql_xwx_root_weights_scalar(m, y, mu, me[1], s[1], wz[1]);
        assert_memory_equal(me[0], me[1], m * sizeof *me[0]);
        assert_memory_equal(s[0], s[1], m * sizeof *s[0]);
        assert_memory_equal(wz[0], wz[1], m * sizeof *wz[0]);
        for (size_t r = 0; r < m; r++) {
            assert_true(me[0][r] == (y[r] == 0.0 ? 1.0 - mu[r] : mu[r]));
            assert_true(s[0][r] == sqrt(mu[r] * (1.0 - mu[r])));
        }
    }
    for (int k = 0; k < 2; k++) {
        free(me[k]);
        free(s[k]);
        free(wz[k]);
    }
    free(y);
    free(mu);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_layout_equals_dense),
        cmocka_unit_test(test_layout_duplicate_cell),
        cmocka_unit_test(test_sums_tuples),
        cmocka_unit_test(test_sums_row_by_row),
        cmocka_unit_test(test_fit_coded_vs_dense),
        cmocka_unit_test(test_coded_last_pass),
        cmocka_unit_test(test_first_pass_checks),
        cmocka_unit_test(test_fill_cols_equals_rows),
        cmocka_unit_test(test_dense_chunk_sums),
        cmocka_unit_test(test_dense_gram),
        cmocka_unit_test(test_root_weights),
        cmocka_unit_test(test_fit_gram_vs_dsyrk),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
