/* test_firth.c: Firth's penalized logistic regression (firth.c) and the exact separation check
 * (separation.c) against R references (tests/fixtures/firth/NAME.ref from scripts/ref_firth.R:
 * brglm2's brglmFit AS_mean, or a step-halving Newton on the modified score where brglm2 does not
 * converge; each fixture says which).
 * Tolerances: coefficients, SEs, FLIC intercept and its SE relative 1e-6 (absolute 1e-8 near
 * zero); penalized log-likelihood and log det I relative 1e-8; profile interval ends relative
 * 1e-5 (absolute 1e-6); penalized LR p-values relative 1e-5 (absolute 1e-9). */
#include "testutil.h"

#include "mqlcal/firth.h"
#include "mqlcal/model.h"
#include "mqlcal/separation.h"

#define FIX "tests/fixtures/firth/"

typedef struct ref_term {
    char label[128];
    double beta, se, lo, hi, p;     /* NAN for NA */
} ref_term;

typedef struct ref_firth {
    char reference[256];
    double loglik, logdet, pll, flic, flic_se;
    ref_term terms[128];
    size_t n;
} ref_firth;

static double num(const char *s)
{
    return !s || strcmp(s, "NA") == 0 ? NAN : strtod(s, NULL);
}

static void ref_load(const char *path, ref_firth *r)
{
    FILE *f = fopen(path, "r");
    if (!f)
        fail_msg("cannot open %s", path);
    char line[1024];
    memset(r, 0, sizeof *r);
    while (fgets(line, sizeof line, f)) {
        line[strcspn(line, "\r\n")] = '\0';
        if (line[0] == '#')
            continue;
        char *a = strtok(line, "\t"), *b = strtok(NULL, "\t");
        if (!a || !b)
            continue;
        if (strcmp(a, "reference") == 0)
            snprintf(r->reference, sizeof r->reference, "%s", b);
        else if (strcmp(a, "loglik") == 0)
            r->loglik = num(b);
        else if (strcmp(a, "logdet") == 0)
            r->logdet = num(b);
        else if (strcmp(a, "penalized_loglik") == 0)
            r->pll = num(b);
        else if (strcmp(a, "flic_intercept") == 0)
            r->flic = num(b);
        else if (strcmp(a, "flic_se") == 0)
            r->flic_se = num(b);
        else if (strcmp(a, "term") == 0) {
            assert_true(r->n < 128);
            ref_term *t = &r->terms[r->n++];
            snprintf(t->label, sizeof t->label, "%s", b);
            t->beta = num(strtok(NULL, "\t"));
            t->se = num(strtok(NULL, "\t"));
            t->lo = num(strtok(NULL, "\t"));
            t->hi = num(strtok(NULL, "\t"));
            t->p = num(strtok(NULL, "\t"));
        }
    }
    fclose(f);
    assert_true(r->n > 0);
}

typedef struct loaded {
    mql_table *t;
    unsigned char *y;
    mql_design_opts o;
} loaded;

static void load(const char *path, const char *outcome, const char *role, const char *exclude,
                 const char *min_count, loaded *L)
{
    mql_err err;
    if (mql_table_read(path, NULL, &L->t, &err))
        fail_msg("%s", err.msg);
    mql_flag_spec spec;
    assert_int_equal(mql_flag_spec_parse(outcome, &spec, &err), MQL_OK);
    L->y = malloc(L->t->n_rows);
    assert_non_null(L->y);
    assert_int_equal(mql_flag_eval(L->t, &spec, L->y, &err), MQL_OK);
    mql_flag_spec_clear(&spec);
    mql_design_opts_init(&L->o);
    assert_int_equal(mql_design_opts_add_role(&L->o, role, &err), MQL_OK);
    if (exclude)
        assert_int_equal(mql_design_opts_parse_exclude(&L->o, exclude, &err), MQL_OK);
    if (min_count)
        assert_int_equal(mql_design_opts_parse_min_level_count(&L->o, min_count, &err), MQL_OK);
}

static void unload(loaded *L)
{
    mql_table_free(L->t);
    free(L->y);
    mql_design_opts_clear(&L->o);
}

/* Firth's fit of L with the warm start from warm_rows (mql_glm_opts.warm_rows) */
static mql_model *train_rows(loaded *L, int flic, int profile, size_t warm_rows,
                             mql_fit_diag *dg)
{
    mql_glm_opts g;
    mql_glm_opts_default(&g);
    g.method = MQL_GLM_METHOD_FIRTH;
    g.flic = flic;
    g.profile = profile;
    g.warm_rows = warm_rows;
    mql_model *m = NULL;
    mql_err err;
    int st = mql_model_train(L->t, L->y, NULL, &L->o, &g, &m, dg, &err);
    if (st)
        fail_msg("train: %s", err.msg);
    assert_int_equal(m->fit->method, MQL_GLM_METHOD_FIRTH);
    assert_true(m->fit->converged);
    return m;
}

static mql_model *train(loaded *L, int flic, int profile, mql_fit_diag *dg)
{
    mql_glm_opts g;
    mql_glm_opts_default(&g);
    return train_rows(L, flic, profile, g.warm_rows, dg);
}

static long term_index(const mql_model *m, const char *label)
{
    for (size_t j = 0; j < m->design->p; j++)
        if (strcmp(m->design->labels[j], label) == 0)
            return (long)j;
    return -1;
}

/* Firth's estimate (no FLIC) against R: every term (but skip, when given), SEs, l*, log det I;
 * profiles when asked. */
static void compare_except(const mql_model *m, const ref_firth *r, int profiles,
                           const char *skip, const char *loose)
{
    const mql_glm_result *g = m->fit;
    assert_int_equal(m->design->p, r->n);
    for (size_t k = 0; k < r->n; k++) {
        const ref_term *t = &r->terms[k];
        long j = term_index(m, t->label);
        if (j < 0)
            fail_msg("R term '%s' missing from the model", t->label);
        if (isnan(t->beta)) {
            assert_true(g->aliased[j]);
            continue;
        }
        if (skip && strcmp(t->label, skip) == 0)
            continue;
        assert_false(g->aliased[j]);
        assert_close(g->beta[j], t->beta, 1e-6, 1e-8);
        assert_close(g->se[j], t->se, 1e-6, 1e-8);
        if (profiles && j > 0 && !isnan(t->lo)) {
            double tol = loose && strcmp(t->label, loose) == 0 ? 5e-3 : 1e-5;
            assert_non_null(g->ci_lo);
            assert_close(g->ci_lo[j], t->lo, tol, 1e-6);
            assert_close(g->ci_hi[j], t->hi, tol, 1e-6);
            assert_close(g->lr_p[j], t->p, 1e-5, 1e-9);
            assert_true(g->ci_lo[j] < g->beta[j] && g->beta[j] < g->ci_hi[j]);
        }
    }
    assert_close(g->pen_loglik, r->pll, 1e-8, 0);
    assert_close(g->logdet, r->logdet, 1e-8, 0);
    assert_close(g->pen_loglik - 0.5 * g->logdet, r->loglik, 1e-8, 0);
}

static void compare(const mql_model *m, const ref_firth *r, int profiles)
{
    compare_except(m, r, profiles, NULL, NULL);
}

/* FLIC: the intercept and its SE against R's offset glm; the slopes are Firth's; the mean fitted
 * probability equals the event rate (FLIC's defining property). */
static void compare_flic(const mql_model *m, const mql_model *plain, const ref_firth *r,
                         const loaded *L)
{
    const mql_glm_result *g = m->fit;
    assert_true(g->flic);
    assert_close(g->beta[0], r->flic, 1e-6, 1e-8);
    assert_close(g->se[0], r->flic_se, 1e-6, 1e-8);
    assert_close(g->beta0_firth, plain->fit->beta[0], 1e-12, 1e-12);
    for (size_t j = 1; j < g->p; j++)
        if (!g->aliased[j])
            assert_close(g->beta[j], plain->fit->beta[j], 1e-12, 1e-12);
    mql_design_binding *b = NULL;
    mql_err err;
    assert_int_equal(mql_design_bind(m->design, L->t, &b, &err), MQL_OK);
    double *x = malloc(m->design->p * sizeof *x), sum = 0.0, events = 0.0;
    assert_non_null(x);
    for (size_t i = 0; i < L->t->n_rows; i++) {
        assert_int_equal(mql_design_fill(b, i, 1, x, &err), MQL_OK);
        sum += mql_logistic(mql_glm_eta(x, g->beta, g->p));
        events += L->y[i];
    }
    assert_close(sum, events, 1e-9, 0);
    free(x);
    mql_design_binding_free(b);
}

/* (a) B2B opportunities, no pooling: the plain fit separates, Firth does not. */
static void test_b2b(void **state)
{
    (void)state;
    loaded L;
    load("datasets/b2b-opportunities/B2B_dataset.csv", "Status=Won", "Status", NULL, "0", &L);
    ref_firth r;
    ref_load(FIX "b2b.ref", &r);
    mql_fit_diag dg;
    mql_model *m = train(&L, 0, MQL_FIRTH_PROFILE_ON, &dg);
    /* Up_sale's upper end: the constrained l* has two local maxima there (at b = 2.8647 the
     * profile statistic is 3.8415 on one, 3.8150 on the other, scripts/ref_firth.R's restarts
     * show); R's path reaches the higher and puts the end at 2.8722, mqlcal's stays on the lower
     * (2.8647, 0.26% short). A known limit, docs/FIRTH.md: compared to 5e-3 there. */
    compare_except(m, &r, 1, NULL, "Up_sale");
    /* separation is reported as a warning naming the terms and Firth */
    assert_true(dg.n_separated > 0);
    int said = 0;
    for (size_t k = 0; k < dg.n_warnings; k++)
        said |= strstr(dg.warnings[k], "separation:") &&
                strstr(dg.warnings[k], "Firth's penalized likelihood keeps");
    assert_true(said);
    mql_fit_diag_clear(&dg);
    mql_model *f = train(&L, 1, MQL_FIRTH_PROFILE_OFF, &dg);
    assert_null(f->fit->ci_lo);
    compare_flic(f, m, &r, &L);
    mql_fit_diag_clear(&dg);

    /* the plain fit: separation by definition, MQL_EDATA, and the message points to --firth */
    mql_model *p = NULL;
    mql_err err;
    assert_int_equal(mql_model_train(L.t, L.y, NULL, &L.o, NULL, &p, &dg, &err), MQL_EDATA);
    assert_non_null(strstr(err.msg, "--firth"));
    assert_int_equal(dg.state, MQL_GLM_SEPARATED);
    mql_fit_diag_clear(&dg);
    mql_model_free(p);
    mql_model_free(m);
    mql_model_free(f);
    unload(&L);
}

/* (a') The same file with the default pooling. Fisher scoring alone stops at a saddle point of
 * l* here (l* = -165.123, where the maximum R's Newton reaches is -164.804), and constrained fits
 * of the profiled terms have lower stationary points beside their maxima: the estimate, l* and
 * the four profiles must be the maxima's (firth.c's escape_saddle). Att_t_client=(other), two
 * leads (one won), lies along a ridge of l* (R and mqlcal stop at different points of it with the
 * same l* to 14 digits), so its coefficient is not compared. */
static void test_b2b_pooled(void **state)
{
    (void)state;
    loaded L;
    load("datasets/b2b-opportunities/B2B_dataset.csv", "Status=Won", "Status", NULL, NULL, &L);
    ref_firth r;
    ref_load(FIX "b2b_pooled.ref", &r);
    mql_fit_diag dg;
    mql_model *m = train(&L, 0, MQL_FIRTH_PROFILE_ON, &dg);
    compare_except(m, &r, 1, "Att_t_client=(other)", NULL);
    mql_fit_diag_clear(&dg);
    mql_model_free(m);
    unload(&L);
}

/* (b) Bank Marketing with default (3 leads with default=yes, none converted). */
static void test_bank(void **state)
{
    (void)state;
    loaded L;
    load("datasets/bank-marketing/bank-additional-full.csv", "y", "y", "duration", NULL, &L);
    ref_firth r;
    ref_load(FIX "bank.ref", &r);
    mql_fit_diag dg;
    mql_model *m = train(&L, 0, MQL_FIRTH_PROFILE_AUTO, &dg);
    assert_null(m->fit->ci_lo);     /* 41,188 rows: above MQL_FIRTH_PROFILE_ROWS (10,000) */
    compare(m, &r, 0);
    mql_fit_diag_clear(&dg);
    mql_model *f = train(&L, 1, MQL_FIRTH_PROFILE_OFF, &dg);
    compare_flic(f, m, &r, &L);
    mql_fit_diag_clear(&dg);
    mql_model_free(m);
    mql_model_free(f);
    unload(&L);
}

/* The warm start (mql_firth_opts.warm_rows, taken here on the bank file by a small warm_rows):
 * the iterations start from Firth's fit of every k-th row and still run to tol, so the estimate
 * is the cold one to rounding and still R's; a warm_rows the rows cannot take four times leaves
 * the fit cold, bit for bit. */
static mql_model *train_warm(loaded *L, size_t warm_rows)
{
    return train_rows(L, 0, MQL_FIRTH_PROFILE_OFF, warm_rows, NULL);
}

static void test_warm_start(void **state)
{
    (void)state;
    loaded L;
    load("datasets/bank-marketing/bank-additional-full.csv", "y", "y", "duration", NULL, &L);
    ref_firth r;
    ref_load(FIX "bank.ref", &r);
    mql_model *cold = train_warm(&L, 0), *warm = train_warm(&L, 10000);
    mql_model *big = train_warm(&L, L.t->n_rows);   /* n < 4 warm_rows: never warm */
    assert_int_equal(cold->fit->warm_iterations, 0);
    assert_int_equal(big->fit->warm_iterations, 0);
    assert_true(warm->fit->warm_iterations > 0);
    compare(warm, &r, 0);
    const mql_glm_result *a = cold->fit, *b = warm->fit, *c = big->fit;
    assert_int_equal(a->rank, b->rank);
    for (size_t j = 0; j < a->p; j++) {
        assert_int_equal(a->aliased[j], b->aliased[j]);
        if (a->aliased[j])
            continue;
        /* both stop within tol = 1e-8 standard errors of the maximum */
        assert_close(b->beta[j], a->beta[j], 0, 1e-7 * a->se[j]);
        assert_close(b->se[j], a->se[j], 1e-6, 0);
    }
    assert_close(b->pen_loglik, a->pen_loglik, 1e-13, 0);
    assert_memory_equal(c->beta, a->beta, a->p * sizeof *a->beta);
    assert_memory_equal(c->se, a->se, a->p * sizeof *a->se);
    assert_int_equal(c->iterations, a->iterations);
    mql_model_free(cold);
    mql_model_free(warm);
    mql_model_free(big);
    unload(&L);
}

/* The passes read the rows column-major: through fill_cols when the data has one, else fill's
 * rows transposed. Both routes give the same numbers bit for bit, on two threads, with weights
 * (zero weights included) and the warm start taken. */
typedef struct colgen {
    size_t n;
    const double *x;    /* n x 4, row-major */
} colgen;

static int colgen_fill(void *ctx, size_t row0, size_t m, double *x, mql_err *err)
{
    (void)err;
    const colgen *g = ctx;
    memcpy(x, g->x + row0 * 4, m * 4 * sizeof *x);
    return MQL_OK;
}

static int colgen_fill_cols(void *ctx, size_t row0, size_t m, size_t step, double *x, size_t ld,
                            mql_err *err)
{
    (void)err;
    const colgen *g = ctx;
    for (size_t j = 0; j < 4; j++)
        for (size_t r = 0; r < m; r++)
            x[j * ld + r] = g->x[(row0 + r * step) * 4 + j];
    return MQL_OK;
}

/* n rows of an intercept, a uniform, a 0/1 and a count column (row-major), y drawn from a
 * logistic model, every fifth row weightless. */
static void colgen_make(size_t n, double **xp, double **yp, double **wp)
{
    double *x = malloc(n * 4 * sizeof *x), *y = malloc(n * sizeof *y), *w = malloc(n * sizeof *w);
    assert_true(x && y && w);
    uint64_t s = 42;
    for (size_t i = 0; i < n; i++) {
        double u[3];
        for (int j = 0; j < 3; j++)
            u[j] = lcg_uniform(&s);
        x[i * 4] = 1.0;
        x[i * 4 + 1] = u[0] * 4.0 - 2.0;
        x[i * 4 + 2] = u[1] < 0.3;
        x[i * 4 + 3] = (double)(i % 7);
        double eta = -1.0 + 0.8 * x[i * 4 + 1] + 0.5 * x[i * 4 + 2] - 0.1 * x[i * 4 + 3];
        y[i] = u[2] < 1.0 / (1.0 + exp(-eta));
        w[i] = (double)(i % 5);   /* every fifth row weightless */
    }
    *xp = x;
    *yp = y;
    *wp = w;
}

static void test_fill_routes(void **state)
{
    (void)state;
    size_t n = 40000;
    double *x, *y, *w;
    colgen_make(n, &x, &y, &w);
    colgen g = {n, x};
    mql_glm_data rows = {n, 4, colgen_fill, &g, y, w, NULL, NULL};
    mql_glm_data cols = rows;
    cols.fill_cols = colgen_fill_cols;
    mql_firth_opts o;
    mql_firth_opts_default(&o);
    o.threads = 2;
    o.warm_rows = 5000;
    mql_glm_result *a = NULL, *b = NULL;
    mql_err err;
    assert_int_equal(mql_firth_fit(&rows, &o, &a, &err), MQL_OK);
    assert_int_equal(mql_firth_fit(&cols, &o, &b, &err), MQL_OK);
    assert_true(a->warm_iterations > 0 && a->converged);
    assert_memory_equal(a->beta, b->beta, 4 * sizeof *a->beta);
    assert_memory_equal(a->se, b->se, 4 * sizeof *a->se);
    assert_true(a->pen_loglik == b->pen_loglik && a->deviance == b->deviance);
    assert_int_equal(a->iterations, b->iterations);
    /* and the estimate is the cold one's (a fit of R's start) to tol */
    mql_glm_result *c = NULL;
    o.warm_rows = 0;
    assert_int_equal(mql_firth_fit(&cols, &o, &c, &err), MQL_OK);
    assert_int_equal(c->warm_iterations, 0);
    for (size_t j = 0; j < 4; j++)
        assert_close(b->beta[j], c->beta[j], 0, 1e-7 * c->se[j]);
    mql_glm_result_free(a);
    mql_glm_result_free(b);
    mql_glm_result_free(c);
    free(x);
    free(y);
    free(w);
}

/* (c) complete separation: won exactly when visits >= 5. */
static void test_complete(void **state)
{
    (void)state;
    loaded L;
    load(FIX "complete.csv", "won", "won", NULL, "0", &L);
    ref_firth r;
    ref_load(FIX "complete.ref", &r);
    mql_fit_diag dg;
    mql_model *m = train(&L, 0, MQL_FIRTH_PROFILE_ON, &dg);
    compare(m, &r, 1);
    mql_fit_diag_clear(&dg);
    mql_model *f = train(&L, 1, MQL_FIRTH_PROFILE_OFF, &dg);
    compare_flic(f, m, &r, &L);
    mql_fit_diag_clear(&dg);
    /* no 0/1 column separates here: the linear program finds the direction (visits) */
    mql_model *p = NULL;
    mql_err err;
    assert_int_equal(mql_model_train(L.t, L.y, NULL, &L.o, NULL, &p, &dg, &err), MQL_EDATA);
    assert_int_equal(dg.n_separated, 0);
    assert_true(dg.sep_checked);
    assert_non_null(strstr(err.msg, "a combination of terms (visits"));
    assert_non_null(strstr(err.msg, "leads perfectly"));
    mql_fit_diag_clear(&dg);
    mql_model_free(p);
    mql_model_free(m);
    mql_model_free(f);
    unload(&L);
}

/* ---- the separation check on its own ---- */

typedef struct gen {
    size_t n;
    double *x1;
} gen;

static int gen_fill(void *ctx, size_t row0, size_t m, double *x, mql_err *err)
{
    (void)err;
    const gen *g = ctx;
    for (size_t r = 0; r < m; r++) {
        x[2 * r] = 1.0;
        x[2 * r + 1] = g->x1[row0 + r];
    }
    return MQL_OK;
}

/* 300,000 leads with one huge company: the plain fit puts that lead at p = 1 to machine
 * precision (n_extreme = 1), yet the data is not separated; a single flipped outcome at the top
 * of an otherwise overlapping range is, and the direction is the slope. */
static void test_separation_check(void **state)
{
    (void)state;
    size_t n = 300000;
    gen g = {n, malloc(n * sizeof(double))};
    double *y = malloc(n * sizeof *y);
    assert_true(g.x1 && y);
    uint64_t s = 12345;
    for (size_t i = 0; i < n; i++) {
        double u = lcg_uniform(&s);
        double v = lcg_uniform(&s);
        g.x1[i] = 2000.0 * u;
        y[i] = v < mql_logistic(-3.0 + 0.002 * g.x1[i]);
    }
    g.x1[17] = 60000.0;     /* eta = 117: fitted at 1 */
    y[17] = 1.0;
    mql_glm_data d = {n, 2, gen_fill, &g, y, NULL};
    mql_glm_result *r = NULL;
    mql_err err;
    assert_int_equal(mql_glm_fit(&d, NULL, &r, &err), MQL_OK);
    assert_int_equal(r->n_extreme, 1);
    mql_separation sep;
    assert_int_equal(mql_separation_check(&d, r->aliased, &sep, &err), MQL_OK);
    assert_false(sep.separated);
    free(sep.direction);
    mql_glm_result_free(r);

    /* separated: y = 1 exactly when x1 > 1000 */
    for (size_t i = 0; i < n; i++)
        y[i] = g.x1[i] > 1000.0;
    assert_int_equal(mql_separation_check(&d, NULL, &sep, &err), MQL_OK);
    assert_true(sep.separated);
    assert_true(sep.direction[1] > 0.0);
    assert_true(sep.rows >= (double)n - 2 && sep.rows <= (double)n);
    free(sep.direction);

    /* quasi-complete: one lead on the boundary with each outcome still leaves a direction */
    g.x1[3] = 1000.0;
    y[3] = 0.0;
    g.x1[4] = 1000.0;
    y[4] = 1.0;
    assert_int_equal(mql_separation_check(&d, NULL, &sep, &err), MQL_OK);
    assert_true(sep.separated);
    free(sep.direction);

    /* one outcome flipped at the top overlaps the classes: not separated */
    y[17] = 0.0;
    assert_int_equal(mql_separation_check(&d, NULL, &sep, &err), MQL_OK);
    assert_false(sep.separated);
    free(sep.direction);

    double bad = 0.5;
    const double *keep = d.y;
    y[0] = bad;
    assert_int_equal(mql_separation_check(&d, NULL, &sep, &err), MQL_EDATA);
    assert_non_null(strstr(err.msg, "row 0"));
    d.y = keep;
    assert_int_equal(mql_separation_check(NULL, NULL, &sep, &err), MQL_EUSAGE);
    free(g.x1);
    free(y);
}

/* Large data not checked for a saddle point (escape_cells 0 here): the estimate is the point of
 * the last pass, whose information, l* and linear predictor are the final ones, with no pass
 * after it. It is the checked fit's estimate to tol; the kept linear predictor is beta_0 plus
 * beta_j x_j added in column order (the points step's, bit for bit) at the reported
 * coefficients, FLIC's intercept included, and the deviance is that predictor's. */
static void test_stay(void **state)
{
    (void)state;
    size_t n = 40000;
    double *x, *y, *w;
    colgen_make(n, &x, &y, &w);
    colgen g = {n, x};
    mql_glm_data cols = {n, 4, colgen_fill, &g, y, w, NULL, colgen_fill_cols};
    mql_firth_opts o;
    mql_firth_opts_default(&o);
    o.threads = 2;
    o.keep_eta = 1;
    mql_glm_result *a = NULL, *b = NULL;
    mql_err err;
    assert_int_equal(mql_firth_fit(&cols, &o, &a, &err), MQL_OK);   /* checked: n x 4 <= 1e7 */
    o.escape_cells = 0;
    assert_int_equal(mql_firth_fit(&cols, &o, &b, &err), MQL_OK);
    assert_true(a->converged && b->converged && b->flic);
    for (size_t j = 0; j < 4; j++) {
        assert_close(b->beta[j], a->beta[j], 0, 1e-7 * a->se[j]);
        assert_close(b->se[j], a->se[j], 1e-6, 0);
    }
    assert_close(b->pen_loglik, a->pen_loglik, 1e-13, 0);
    double dev = 0.0;
    for (size_t i = 0; i < n; i++) {
        const double *xr = x + i * 4;
        double e = 0.0;
        for (size_t j = 1; j < 4; j++)
            e += b->beta[j] * xr[j];
        e = b->beta[0] + e;
        assert_memory_equal(&b->eta[i], &e, sizeof e);
        double mu = 1.0 / (1.0 + exp(-e));
        dev -= 2.0 * w[i] * (y[i] ? log(mu) : log1p(-mu));
    }
    assert_close(b->deviance, dev, 1e-10, 0);
    mql_glm_result_free(a);
    mql_glm_result_free(b);
    free(x);
    free(y);
    free(w);
}

static double ylogy(double y, double mu)
{
    return y != 0.0 ? y * log(y / mu) : 0.0;
}

/* FLIC's intercept and the final statistics do their per-row work on two threads and sum in row
 * order: the same bits as on one (stats_threads = 1), with FLIC and without, zero weights and
 * fractional outcomes included, an odd row count (the second thread takes one row more). The
 * null deviance is the per-row formula's, summed in row order. */
static void test_stats_split(void **state)
{
    (void)state;
    size_t n = 40001;
    double *x, *y, *w;
    colgen_make(n, &x, &y, &w);
    for (size_t i = 0; i < n; i += 11)
        y[i] = 0.25;
    colgen g = {n, x};
    mql_glm_data cols = {n, 4, colgen_fill, &g, y, w, NULL, colgen_fill_cols};
    double sw = 0.0, ev = 0.0;
    for (size_t i = 0; i < n; i++) {
        sw += w[i];
        ev += w[i] * y[i];
    }
    double mu0 = ev / sw, nd = 0.0;
    for (size_t i = 0; i < n; i++)
        if (w[i] > 0.0)
            nd += 2.0 * w[i] * (ylogy(y[i], mu0) + ylogy(1.0 - y[i], 1.0 - mu0));
    for (int flic = 1; flic >= 0; flic--) {
        mql_firth_opts o;
        mql_firth_opts_default(&o);
        o.threads = 2;
        o.keep_eta = 1;
        o.flic = flic;
        mql_glm_result *a = NULL, *b = NULL;
        mql_err err;
        assert_int_equal(mql_firth_fit(&cols, &o, &a, &err), MQL_OK);
        o.stats_threads = 1;
        assert_int_equal(mql_firth_fit(&cols, &o, &b, &err), MQL_OK);
        assert_int_equal(a->flic, flic);
        assert_memory_equal(a->beta, b->beta, 4 * sizeof *a->beta);
        assert_memory_equal(a->se, b->se, 4 * sizeof *a->se);
        assert_memory_equal(&a->loglik, &b->loglik, sizeof a->loglik);
        assert_memory_equal(&a->deviance, &b->deviance, sizeof a->deviance);
        assert_memory_equal(a->eta, b->eta, n * sizeof *a->eta);
        assert_int_equal(a->n_extreme, b->n_extreme);
        assert_memory_equal(&a->null_deviance, &nd, sizeof nd);
        assert_memory_equal(&b->null_deviance, &nd, sizeof nd);
        mql_glm_result_free(a);
        mql_glm_result_free(b);
    }
    free(x);
    free(y);
    free(w);
}

/* Option and data errors of mql_firth_fit. */
static void test_errors(void **state)
{
    (void)state;
    double xs[] = {1, 0, 1, 1, 1, 2, 1, 3};
    gsl_matrix_view X = gsl_matrix_view_array(xs, 4, 2);
    double y[] = {0, 1, 0, 1};
    mql_glm_data d = {4, 2, mql_glm_fill_matrix, &X.matrix, y, NULL};
    mql_firth_opts o;
    mql_glm_result *r = NULL;
    mql_err err;
    mql_firth_opts_default(&o);
    o.max_iter = 0;
    assert_int_equal(mql_firth_fit(&d, &o, &r, &err), MQL_EUSAGE);
    assert_null(r);
    mql_firth_opts_default(&o);
    o.profile = 3;
    assert_int_equal(mql_firth_fit(&d, &o, &r, &err), MQL_EUSAGE);
    mql_firth_opts_default(&o);
    o.stats_threads = 2;
    assert_int_equal(mql_firth_fit(&d, &o, &r, &err), MQL_EUSAGE);
    assert_non_null(strstr(err.msg, "stats_threads"));
    y[1] = 2.0;
    assert_int_equal(mql_firth_fit(&d, NULL, &r, &err), MQL_EDATA);
    assert_non_null(strstr(err.msg, "row 1"));
    y[1] = 1.0;
    xs[2] = 2.0;    /* intercept column not all ones */
    assert_int_equal(mql_firth_fit(&d, NULL, &r, &err), MQL_EDATA);
    assert_non_null(strstr(err.msg, "intercept"));
    xs[2] = 1.0;
    xs[5] = INFINITY;   /* the first bad row is named, not a later one */
    xs[7] = NAN;
    assert_int_equal(mql_firth_fit(&d, NULL, &r, &err), MQL_EDATA);
    assert_non_null(strstr(err.msg, "design row 2, column 1: value inf is not finite"));
    xs[5] = 2.0;
    xs[7] = 3.0;
    assert_int_equal(mql_firth_fit(NULL, NULL, &r, &err), MQL_EUSAGE);
    /* a tiny fit works, and all-zero outcomes still give finite estimates */
    assert_int_equal(mql_firth_fit(&d, NULL, &r, &err), MQL_OK);
    assert_true(isfinite(r->beta[1]) && r->converged);
    mql_glm_result_free(r);
    y[1] = y[3] = 0.0;
    assert_int_equal(mql_firth_fit(&d, NULL, &r, &err), MQL_OK);
    assert_true(isfinite(r->beta[0]) && isfinite(r->beta[1]));
    mql_glm_result_free(r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_b2b),
        cmocka_unit_test(test_b2b_pooled),
        cmocka_unit_test(test_bank),
        cmocka_unit_test(test_complete),
        cmocka_unit_test(test_warm_start),
        cmocka_unit_test(test_fill_routes),
        cmocka_unit_test(test_stay),
        cmocka_unit_test(test_stats_split),
        cmocka_unit_test(test_separation_check),
        cmocka_unit_test(test_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
