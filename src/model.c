/* model.c: the model object and the train step (design -> binding -> logistic fit -> checks) that
 * fit, backtest and review share, with the diagnostics the user is told about. */
#include "mqlcal/model.h"


#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/resource.h>
#include <unistd.h>

#include <gsl/gsl_cdf.h>

#include "mqlcal/firth.h"
#include "mqlcal/fit_cache.h"
#include "mqlcal/points_cache.h"
#include "mqlcal/points_cost.h"
#include "mqlcal/points_fit.h"
#include "mqlcal/separation.h"
#include "mqlcal/selfcheck.h"

int mql_model_stamp_now(mql_model *m)
{
    char buf[32];
    time_t now = time(NULL);
    struct tm tmv;
    if (!gmtime_r(&now, &tmv) || !strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tmv))
        snprintf(buf, sizeof buf, "1970-01-01T00:00:00Z");
    char *c = mql_strdup(buf), *t = mql_strdup("mqlcal " MQL_VERSION);
    if (!c || !t) {
        free(c);
        free(t);
        return MQL_ENOMEM;
    }
    free(m->created);
    m->created = c;
    free(m->tool_version);
    m->tool_version = t;
    return MQL_OK;
}

mql_model *mql_model_new(void)
{
    mql_model *m = calloc(1, sizeof *m);
    if (!m)
        return NULL;
    m->train.events = NAN;
    if (mql_model_stamp_now(m) != MQL_OK) {
        mql_model_free(m);
        return NULL;
    }
    return m;
}

void mql_model_free(mql_model *m)
{
    if (!m)
        return;
    free(m->spare);
    free(m->created);
    free(m->tool_version);
    mql_training *t = &m->train;
    free(t->file);
    free(t->date_column);
    free(t->date_min);
    free(t->date_max);
    free(t->outcome);
    free(t->sql_column);
    free(t->acv_column);
    free(t->weight_column);
    mql_design_free(m->design);
    mql_glm_result_free(m->fit);
    mql_points_free(m->points);
    free(m);
}

/* ---- diagnostics ---- */

void mql_fit_diag_init(mql_fit_diag *diag)
{
    memset(diag, 0, sizeof *diag);
}

void mql_fit_diag_clear(mql_fit_diag *diag)
{
    if (!diag)
        return;
    for (size_t k = 0; k < diag->n_notes; k++)
        free(diag->notes[k]);
    free(diag->notes);
    for (size_t k = 0; k < diag->n_warnings; k++)
        free(diag->warnings[k]);
    free(diag->warnings);
    free(diag->aliased);
    free(diag->separated);
    mql_ix_report_clear(&diag->ix);
    memset(diag, 0, sizeof *diag);
}

/* Appends a formatted sentence to *list (n entries). Returns -1 when out of memory. */
static int diag_add(char ***list, size_t *n, const char *fmt, va_list ap0)
{
    va_list ap;
    va_copy(ap, ap0);
    int len = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    char *s = len >= 0 ? malloc((size_t)len + 1) : NULL;
    char **v = s ? realloc(*list, (*n + 1) * sizeof *v) : NULL;
    if (!v) {
        free(s);
        return -1;
    }
    *list = v;
    va_copy(ap, ap0);
    vsnprintf(s, (size_t)len + 1, fmt, ap);
    va_end(ap);
    v[(*n)++] = s;
    return 0;
}

static int diag_warn(mql_fit_diag *diag, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int diag_warn(mql_fit_diag *diag, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int rc = diag_add(&diag->warnings, &diag->n_warnings, fmt, ap);
    va_end(ap);
    return rc;
}

static int diag_note(mql_fit_diag *diag, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int diag_note(mql_fit_diag *diag, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int rc = diag_add(&diag->notes, &diag->n_notes, fmt, ap);
    va_end(ap);
    return rc;
}

/* Growing text buffer for the separation message. */
typedef struct sbuf {
    char *s;
    size_t len, cap;
    int fail;
} sbuf;

static void sb_printf(sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void sb_printf(sbuf *b, const char *fmt, ...)
{
    if (b->fail)
        return;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0 || b->len + (size_t)n + 1 > b->cap) {
        size_t cap = (b->len + (size_t)(n < 0 ? 0 : n) + 1) * 2;
        char *s = n < 0 ? NULL : realloc(b->s, cap);
        if (!s) {
            b->fail = 1;
            return;
        }
        b->s = s;
        b->cap = cap;
    }
    va_start(ap, fmt);
    vsnprintf(b->s + b->len, b->cap - b->len, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
}

/* "demo_request=yes" for a boolean term, otherwise the term label. */
static void term_phrase(const mql_design *d, size_t j, char *buf, size_t cap)
{
    long fi = d->term_feature[j];
    const mql_feature *f = fi >= 0 ? &d->features[fi] : NULL;
    if (f && f->enc == MQL_ENC_BOOLEAN && strcmp(d->labels[j], f->name) == 0)
        snprintf(buf, cap, "%s=%s", f->name, f->true_label ? f->true_label : "true");
    else
        snprintf(buf, cap, "%s", d->labels[j]);
}

static void count_text(double c, char *buf, size_t cap)
{
    if (c == floor(c) && fabs(c) < 1e15)
        snprintf(buf, cap, "%.0f", c);
    else
        snprintf(buf, cap, "%.4g", c);
}

/* ---- the checks after the fit ---- */

#define SCAN_CHUNK 256

/* For every aliased term, finds an earlier kept non-intercept column with exactly the same
 * values on every row with positive weight (R's alias() would show the full combination; one
 * identical column is what users can act on). */
static int find_identical(const mql_glm_data *gd, const mql_glm_result *r, mql_fit_diag *diag,
                          mql_err *err)
{
    size_t p = gd->p, na = diag->n_aliased;
    if (na == 0)
        return MQL_OK;
    unsigned char *alive = malloc(na * p);
    double *x = malloc(SCAN_CHUNK * p * sizeof *x);
    int st = MQL_OK;
    if (!alive || !x) {
        st = mql_err_set(err, MQL_ENOMEM, "out of memory");
        goto out;
    }
    for (size_t a = 0; a < na; a++)
        for (size_t k = 0; k < p; k++)
            alive[a * p + k] = k > 0 && k < diag->aliased[a].term && !r->aliased[k];
    for (size_t r0 = 0; r0 < gd->n; r0 += SCAN_CHUNK) {
        size_t m = gd->n - r0 < SCAN_CHUNK ? gd->n - r0 : SCAN_CHUNK;
        if ((st = gd->fill(gd->ctx, r0, m, x, err)) != MQL_OK)
            goto out;
        for (size_t i = 0; i < m; i++) {
            if (gd->w && !(gd->w[r0 + i] > 0))
                continue;
            const double *row = x + i * p;
            for (size_t a = 0; a < na; a++) {
                double v = row[diag->aliased[a].term];
                unsigned char *al = alive + a * p;
                for (size_t k = 1; k < diag->aliased[a].term; k++)
                    al[k] &= row[k] == v;
            }
        }
    }
    for (size_t a = 0; a < na; a++) {
        diag->aliased[a].identical_to = -1;
        for (size_t k = 1; k < diag->aliased[a].term; k++)
            if (alive[a * p + k]) {
                diag->aliased[a].identical_to = (long)k;
                break;
            }
    }
out:
    free(alive);
    free(x);
    return st;
}

/* Separation, decided by its definition (mql_separation_check, unless a 0/1 term already shows it):
 * sets *separated, and describes it: the 0/1 terms whose leads all converted or none did, with
 * counts from mql_glm_separation_check, or the terms of the LP's separating direction. The
 * message goes into err (MQL_EDATA) for a plain fit; a warning for ridge and Firth, whose
 * estimates stay finite. A plain fit with extreme fitted probabilities but no separation gets a
 * note instead. */
static int separation_report(const mql_glm_data *gd, const mql_design *d,
                             const mql_glm_result *r, const mql_glm_opts *go, int *separated,
                             mql_fit_diag *diag, mql_err *err)
{
    size_t p = gd->p;
    signed char *sep = calloc(p, 1);
    double *cnt = calloc(p, sizeof *cnt);
    mql_separation lp = {0};
    sbuf b = {0};
    int st = MQL_OK, firth = go->method == MQL_GLM_METHOD_FIRTH;
    *separated = 0;
    if (!sep || !cnt || !(diag->separated = calloc(p, sizeof *diag->separated))) {
        st = mql_err_set(err, MQL_ENOMEM, "out of memory");
        goto out;
    }
    if ((st = mql_glm_separation_check(gd, sep, cnt, err)) != MQL_OK)
        goto out;
    for (size_t j = 1; j < p; j++)
        if (sep[j] && !r->aliased[j])
            diag->separated[diag->n_separated++] = (mql_sep_note){j, sep[j], cnt[j]};
    if (diag->n_separated == 0) {
        if ((st = mql_separation_check(gd, r->aliased, &lp, err)) != MQL_OK)
            goto out;
        diag->sep_checked = 1;
        if (!lp.separated) {
            if (r->n_extreme > 0 && !firth && go->l2 == 0.0 &&
                diag_note(diag, "%zu lead%s fitted at probability 0 or 1 to machine precision; "
                          "not separation (no direction in which the likelihood keeps rising: "
                          "checked by linear programming), so the estimates are finite",
                          r->n_extreme, r->n_extreme == 1 ? " is" : "s are"))
                st = mql_err_set(err, MQL_ENOMEM, "out of memory");
            goto out;
        }
    }
    *separated = 1;
    diag->state = MQL_GLM_SEPARATED;
    const size_t show = 6;
    for (size_t k = 0; k < diag->n_separated && k < show; k++) {
        const mql_sep_note *s = &diag->separated[k];
        char ph[256], c[32];
        term_phrase(d, s->term, ph, sizeof ph);
        count_text(s->count, c, sizeof c);
        const char *sepr = k ? "; " : "";
        if (s->count == 1)
            sb_printf(&b, "%sthe only lead with %s %s", sepr, ph,
                      s->direction > 0 ? "converted" : "did not convert");
        else
            sb_printf(&b, "%s%s %s leads with %s converted", sepr,
                      s->direction > 0 ? "all" : "none of the", c, ph);
    }
    if (diag->n_separated > show)
        sb_printf(&b, "; and %zu more term%s", diag->n_separated - show,
                  diag->n_separated - show == 1 ? "" : "s");
    if (diag->n_separated == 0) {
        char c[32];
        count_text(lp.rows, c, sizeof c);
        sb_printf(&b, "a combination of terms (");
        size_t named = 0, more = 0;
        for (size_t j = 1; j < p; j++)
            if (lp.direction[j] != 0.0) {
                if (named < show)
                    sb_printf(&b, "%s%s", named++ ? ", " : "", d->labels[j]);
                else
                    more++;
            }
        if (more)
            sb_printf(&b, " and %zu more", more);
        sb_printf(&b, ") predicts the outcome of %s lead%s perfectly", c,
                  lp.rows == 1 ? "" : "s");
    }
    if (b.fail) {
        st = mql_err_set(err, MQL_ENOMEM, "out of memory");
        goto out;
    }
    int one = diag->n_separated == 1;
    if (firth) {
        if (diag_warn(diag, "separation: %s; Firth's penalized likelihood keeps %s finite", b.s,
                      one ? "its coefficient" : "the coefficients"))
            st = mql_err_set(err, MQL_ENOMEM, "out of memory");
    } else if (go->l2 == 0.0) {
        st = mql_err_set(err, MQL_EDATA,
                         "separation: %s; %s maximum-likelihood coefficient%s infinite, so the "
                         "model is not saved. --firth (Firth's penalized likelihood) gives "
                         "finite estimates; or pool rare levels (--min-level-count N), drop the "
                         "term%s, or add a ridge penalty (--l2)",
                         b.s, one ? "its" : "their", one ? " is" : "s are", one ? "" : "s");
        if (diag_warn(diag, "%s", err->msg))
            st = mql_err_set(err, MQL_ENOMEM, "out of memory");
    } else if (diag_warn(diag, "separation: %s; the ridge penalty (--l2 %g) keeps %s finite",
                         b.s, go->l2, one ? "its coefficient" : "the coefficients")) {
        st = mql_err_set(err, MQL_ENOMEM, "out of memory");
    }
out:
    free(lp.direction);
    free(sep);
    free(cnt);
    free(b.s);
    return st;
}

static int copy_notes(const mql_design *d, mql_fit_diag *diag)
{
    if (d->n_notes == 0)
        return 0;
    if (!(diag->notes = calloc(d->n_notes, sizeof *diag->notes)))
        return -1;
    for (size_t k = 0; k < d->n_notes; k++, diag->n_notes++)
        if (!(diag->notes[k] = mql_strdup(d->notes[k])))
            return -1;
    return 0;
}

/* The memory the fit of a design with p columns on n rows needs, in bytes: the p x p
 * cross-product per thread and four more p x p matrices (the sum, the system, its inverse, the
 * covariance), plus the design chunk per thread. */
static double fit_bytes(size_t n, size_t p, int threads)
{
    double pp = (double)p * (double)p * sizeof(double);
    return (threads + 4) * pp + threads * 4096.0 * (double)p * sizeof(double) + 16.0 * n;
}

/* The memory a fit may have: physical memory, or the address-space limit when lower. */
static double memory_limit(void)
{
    long pages = sysconf(_SC_PHYS_PAGES), psize = sysconf(_SC_PAGE_SIZE);
    double lim = pages > 0 && psize > 0 ? (double)pages * (double)psize : INFINITY;
    struct rlimit rl;
    if (getrlimit(RLIMIT_AS, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY &&
        (double)rl.rlim_cur < lim)
        lim = (double)rl.rlim_cur;
    return lim;
}

/* Size before allocation: a design too large for this machine is refused before the fit
 * allocates (with --min-level-count 0 a 50,000-level column asked for about 20 GB and grew
 * until the system killed it), naming the widest feature and the options that help. */
static int check_size(const mql_design *d, size_t n, const mql_glm_opts *g, mql_err *err)
{
    int threads = (int)mql_glm_threads(n, g->threads);
    double need = fit_bytes(n, d->p, threads), have = memory_limit();
    if (need <= have)
        return MQL_OK;
    size_t wide = 0;
    for (size_t k = 1; k < d->n_features; k++)
        if (d->features[k].n_terms > d->features[wide].n_terms)
            wide = k;
    return mql_err_set(err, MQL_ENOMEM,
                       "the design has %zu columns ('%s' alone has %zu): the fit would need "
                       "about %.1f GB of memory and %.1f GB are available; pool rare levels "
                       "with --min-level-count N (levels with fewer than N leads join "
                       "'(other)'), or leave the column out with --exclude",
                       d->p, d->n_features ? d->features[wide].name : "?",
                       d->n_features ? d->features[wide].n_terms : 0, need / 1e9, have / 1e9);
}

/* The fit itself: mql_firth_fit with Firth's options from g, or mql_glm_fit; either keeps the
 * linear predictor at its coefficients when g->keep_eta (the points step reads it). */
static int fit_run(const mql_glm_data *gd, const mql_glm_opts *g, mql_glm_result **r,
                   mql_err *err)
{
    if (g->method != MQL_GLM_METHOD_FIRTH)
        return mql_glm_fit(gd, g, r, err);
    mql_firth_opts fo;
    mql_firth_opts_default(&fo);
    fo.max_iter = 4 * g->max_iter;   /* Newton steps (default 100); tol: firth.h's */
    fo.flic = g->flic;
    fo.profile = g->profile;
    fo.alias_tol = g->alias_tol;
    fo.threads = g->threads;
    fo.warm_rows = g->warm_rows;
    fo.keep_eta = g->keep_eta;
    return mql_firth_fit(gd, &fo, r, err);
}

/* fit_run through the fit cache (fit_cache.h): a stored result for the same key, else the fit,
 * stored when it ended with a result (MQL_OK or MQL_ENOCONV; errors are never stored). The
 * cache is off without a directory, for designs under cache->min_file_bytes (n x p doubles:
 * the fit costs less than the entry). A cache that cannot be read or written is never an error.
 * *cres says what happened. */
static int fit_cached(const mql_design_binding *bind, const mql_glm_data *gd,
                      const mql_glm_opts *gopts, mql_glm_result **r, mql_cache_result *cres,
                      mql_err *err)
{
    mql_glm_opts go = *gopts;
    go.keep_eta = 1;
    const mql_cache_opts *co = gopts->cache;
    mql_fit_key key;
    int stale = 0, st;
    *cres = MQL_CACHE_OFF;
    if (!mql_cache_on(co, (double)gd->n * (double)gd->p * sizeof(double)) ||
        mql_fit_key_make(bind, gd, &go, &key))
        return fit_run(gd, &go, r, err);
    if ((*r = mql_fit_cache_load(co->dir, &key, &st, &stale))) {
        *cres = MQL_CACHE_HIT;
    } else if ((st = fit_run(gd, &go, r, err)) == MQL_OK || st == MQL_ENOCONV) {
        *cres = mql_fit_cache_store(co->dir, co->max_bytes, &key, *r, st) ? MQL_CACHE_NOT_STORED
                : stale ? MQL_CACHE_STALE : MQL_CACHE_MISS;
    }
    mql_fit_key_clear(&key);
    return st;
}

/* y as the doubles mql_glm_fit reads (0 or 1). The array is fresh memory, whose first write
 * costs the kernel its zeroing (1.5-3 ms a MB here, docs/PERFORMANCE.md): on a large table a
 * second thread writes the upper half meanwhile. The same values either way. */
typedef struct y_part {
    const unsigned char *y;
    double *yd;
    size_t n;
} y_part;

static void *y_fill(void *arg)
{
    const y_part *h = arg;
    for (size_t i = 0; i < h->n; i++)
        h->yd[i] = h->y[i] ? 1.0 : 0.0;
    return NULL;
}

static void y_doubles(const unsigned char *y, double *yd, size_t n)
{
    size_t half = n >= ((size_t)1 << 16) ? n / 2 : n;
    y_part lo = {y, yd, half}, hi = {y + half, yd + half, n - half};
    pthread_t tid;
    int threaded = half < n && pthread_create(&tid, NULL, y_fill, &hi) == 0;
    y_fill(&lo);
    if (threaded)
        pthread_join(tid, NULL);
    else
        y_fill(&hi);
}

int mql_model_train(const mql_table *t, const unsigned char *y, const double *w,
                    const mql_design_opts *dopts, const mql_glm_opts *gopts, mql_model **out,
                    mql_fit_diag *diag, mql_err *err)
{
    *out = NULL;
    mql_fit_diag local;
    if (!diag)
        diag = &local;
    mql_fit_diag_init(diag);
    mql_glm_opts gdef;
    if (!gopts) {
        mql_glm_opts_default(&gdef);
        gopts = &gdef;
    }
    mql_model *m = NULL;
    mql_design_binding *bind = NULL;
    mql_glm_result *r = NULL;
    double *yd = NULL;
    mql_design *d = NULL;
    /* the design counts levels in leads: the weights, when the rows are weighted */
    mql_design_opts dw;
    if (!dopts) {
        mql_design_opts_init(&dw);
        dw.w = w;
    } else {
        dw = *dopts;
        if (w)
            dw.w = w;
    }
    int st = mql_design_build(t, &dw, &d, err);
    if (st != MQL_OK)
        goto out;
    if (copy_notes(d, diag)) {
        st = mql_err_set(err, MQL_ENOMEM, "out of memory");
        goto out;
    }
    if (dopts && (dopts->interactions_auto || dopts->n_interactions) &&
        (st = mql_interactions_choose(t, y, w, d, dopts, gopts, &diag->ix, err)) != MQL_OK)
        goto out;
    if ((st = check_size(d, t->n_rows, gopts, err)) != MQL_OK)
        goto out;
    if ((st = mql_design_bind(d, t, &bind, err)) != MQL_OK)
        goto out;
    for (size_t k = 0; k < d->n_features; k++) {
        diag->n_unseen_levels += bind->f[k].n_unseen_levels;
        diag->n_unseen_rows += bind->f[k].n_unseen;
    }
    if (!(yd = mql_alloc_big((t->n_rows ? t->n_rows : 1) * sizeof *yd))) {
        st = mql_err_set(err, MQL_ENOMEM, "out of memory");
        goto out;
    }
    y_doubles(y, yd, t->n_rows);
    /* The coded layout lets the IRLS passes skip the dense rows (xwx.h); without one (an
     * interaction listing a cell twice, no memory for its tables) they read the dense rows. */
    mql_glm_coded coded;
    mql_err cerr;
    mql_glm_data gd = {t->n_rows, d->p, mql_design_fill, bind, yd, w, NULL,
                       mql_design_fill_cols};
    if (mql_design_coded(bind, &coded, &cerr) == MQL_OK)
        gd.coded = &coded;
    int firth = gopts->method == MQL_GLM_METHOD_FIRTH, fit_st;
    if (firth && gopts->l2 > 0.0) {
        st = mql_err_set(err, MQL_EUSAGE, "Firth's method and a ridge penalty (l2) exclude "
                         "each other");
        goto out;
    }
    fit_st = fit_cached(bind, &gd, gopts, &r, &diag->fit_cache, err);
    if (fit_st != MQL_OK && fit_st != MQL_ENOCONV) {
        st = fit_st;
        goto out;
    }
    diag->state = r->state;
    diag->n_extreme = r->n_extreme;
    diag->events = r->events;
    diag->non_events = r->n_weighted - r->events;
    diag->n_params = r->rank > 0 ? r->rank - 1 : 0;
    double minor = diag->events < diag->non_events ? diag->events : diag->non_events;
    diag->epv = diag->n_params ? minor / (double)diag->n_params : INFINITY;

    /* Aliasing, named like R's NA coefficients. */
    for (size_t j = 0; j < d->p; j++)
        diag->n_aliased += r->aliased[j] != 0;
    if (diag->n_aliased) {
        if (!(diag->aliased = calloc(diag->n_aliased, sizeof *diag->aliased))) {
            st = mql_err_set(err, MQL_ENOMEM, "out of memory");
            goto out;
        }
        size_t a = 0;
        for (size_t j = 0; j < d->p; j++)
            if (r->aliased[j])
                diag->aliased[a++] = (mql_alias_note){j, -1};
        if ((st = find_identical(&gd, r, diag, err)) != MQL_OK)
            goto out;
        for (size_t k = 0; k < diag->n_aliased; k++) {
            const mql_alias_note *al = &diag->aliased[k];
            int bad = al->identical_to >= 0
                ? diag_warn(diag, "%s is aliased with earlier terms (identical to %s) and was "
                                  "dropped", d->labels[al->term], d->labels[al->identical_to])
                : diag_warn(diag, "%s is aliased with earlier terms (a linear combination of "
                                  "them) and was dropped", d->labels[al->term]);
            if (bad) {
                st = mql_err_set(err, MQL_ENOMEM, "out of memory");
                goto out;
            }
        }
    }
    /* Separation by its definition: certain when a 0/1 term shows it; otherwise the LP decides
     * whenever the fit shows a sign of it, and always on data small enough to check cheaply. */
    int any_sep = 0, final = MQL_OK, separated = 0;
    for (size_t j = 0; j < d->p; j++)
        any_sep |= r->separated[j] != 0;
    int cheap = (double)t->n_rows * (double)r->rank <= MQL_SEP_CHECK_CELLS;
    if (any_sep || r->n_extreme > 0 || !r->converged || cheap) {
        /* MQL_EDATA (plain fit, message in err) is the policy's verdict, not a failure here. */
        final = separation_report(&gd, d, r, gopts, &separated, diag, err);
        if (final != MQL_OK && final != MQL_EDATA) {
            st = final;
            goto out;
        }
    }
    if (!firth && gopts->l2 == 0.0 && separated)
        r->state = MQL_GLM_SEPARATED;
    else if (r->state == MQL_GLM_SEPARATED)
        r->state = r->converged ? MQL_GLM_CONVERGED : MQL_GLM_NOT_CONVERGED;
    diag->state = r->state;
    if (!firth && diag->n_params && diag->epv < MQL_MIN_EPV &&
        diag_warn(diag, "only %.1f events per parameter (%.0f %s, %zu parameters); below %.0f "
                        "the coefficients are unstable: use fewer features, pool levels with "
                        "--min-level-count, or fit with --firth", diag->epv, minor,
                        diag->events <= diag->non_events ? "events" : "non-events",
                        diag->n_params, MQL_MIN_EPV)) {
        st = mql_err_set(err, MQL_ENOMEM, "out of memory");
        goto out;
    }
    /* Separation explains a failure to converge, so it takes precedence. */
    if (final == MQL_OK && fit_st == MQL_ENOCONV) {
        final = mql_err_set(err, MQL_ENOCONV,
                            "the fit did not converge in %d iterations (deviance %.10g); the "
                            "model is not saved. Raise --max-iter, or simplify the model "
                            "(%s--min-level-count, fewer features)", r->iterations,
                            r->deviance, firth ? "" : "--firth, ");
        if (diag_warn(diag, "%s", err->msg)) {
            st = mql_err_set(err, MQL_ENOMEM, "out of memory");
            goto out;
        }
    }
    st = final;
    if (!(m = mql_model_new())) {
        st = mql_err_set(err, MQL_ENOMEM, "out of memory");
        goto out;
    }
    m->design = d;
    m->fit = r;
    m->l2 = gopts->l2;
    m->train.rows = t->n_rows;
    m->train.bytes = t->n_bytes;
    m->train.hash = t->hash;
    m->train.events = r->events;
    /* y's doubles go with the linear predictor to the points step, whose exact model needs as
     * many doubles of scratch: one block touched once instead of a second one faulted in fresh
     * (this VM's largest cost, docs/PERFORMANCE.md). The peak is unchanged: the points step
     * would hold its own block where this one is now. */
    if (r->eta) {
        m->spare = yd;
        yd = NULL;
    }
    d = NULL;
    r = NULL;
    *out = m;
out:
    free(yd);
    mql_design_binding_free(bind);
    mql_glm_result_free(r);
    mql_design_free(d);
    if (diag == &local)
        mql_fit_diag_clear(&local);
    return st;
}

int mql_model_add_points(mql_model *m, const mql_table *t, const unsigned char *y,
                         const mql_points_opts *po, mql_err *err)
{
    return mql_model_add_points_weighted(m, t, y, NULL, po, err);
}

int mql_model_add_points_weighted(mql_model *m, const mql_table *t, const unsigned char *y,
                                  const double *w, const mql_points_opts *po, mql_err *err)
{
    return mql_model_add_points_cached(m, t, y, w, po, NULL, err);
}

int mql_model_add_points_cached(mql_model *m, const mql_table *t, const unsigned char *y,
                                const double *w, const mql_points_opts *po,
                                mql_cache_result *cres, mql_err *err)
{
    mql_cache_result local;
    if (!cres)
        cres = &local;
    *cres = MQL_CACHE_OFF;
    if (!m->design || !m->fit)
        return mql_err_set(err, MQL_EDATA, "the model has no fit to turn into points");
    mql_points_opts def;
    if (!po) {
        mql_points_opts_default(&def);
        po = &def;
    }
    /* The fit's own linear predictor when t is the table it was fitted on; the self-check on
     * every lead of small tables (or when asked), else on the rows the points step picks. */
    const double *eta = m->fit->eta && m->fit->n == t->n_rows && m->train.hash == t->hash &&
                                m->train.bytes == t->n_bytes
                            ? m->fit->eta : NULL;
    int full = po->full_check || t->n_rows <= MQL_SELFCHECK_FULL_ROWS;
    /* eta is freed after this step: the exact model's AUC may sort it in place, and the train
     * step's spare block is its scratch */
    mql_points_extra ex = {.eta = eta, .eta_writable = eta != NULL,
                           .scratch = eta ? m->spare : NULL, .auc_exact = NAN,
                           .logloss_exact = NAN, .want_scores = full, .want_check = !full};
    mql_design_binding *b = NULL;
    mql_points *pts = NULL;
    int st = mql_design_bind(m->design, t, &b, err);
    /* The points cache (points_cache.h): off as the fit cache is, for designs under
     * min_file_bytes of n x p doubles. */
    const mql_cache_opts *co = po->cache;
    mql_fit_key key = {0};
    int keyed = st == MQL_OK &&
                mql_cache_on(co, (double)t->n_rows * (double)m->design->p * sizeof(double)) &&
                mql_points_key_make(m, b, y, w, po, eta, full, &key) == 0, stale = 0;
    if (keyed && (pts = mql_points_cache_load(co->dir, &key, &stale))) {
        *cres = MQL_CACHE_HIT;
        goto hit;
    }
    if (st == MQL_OK)
        st = mql_points_from_fit_ex(m->design, m->fit->beta, b, y, w, po, &ex, &pts, err);
    /* The default scale follows the fit's strength: a weak model is re-scaled to fewer points. */
    if (st == MQL_OK && po->by_strength && isnan(po->pdo)) {
        const mql_glm_result *g = m->fit;
        double lr = g->null_deviance - g->deviance, df = g->df_null - g->df_residual;
        double lr_p = df > 0 && lr >= 0 ? gsl_cdf_chisq_Q(lr, df) : NAN;
        double s = mql_points_strength(pts->auc_exact, lr_p);
        if (s < 1) {
            mql_points_opts o2 = *po;
            o2.max_points = fmax(10, po->max_points * s);
            free(ex.scores);
            free(ex.check_rows);
            free(ex.check_scores);
            /* the exact model is unchanged by the scale (and eta may be sorted by now) */
            ex.have_exact = 1;
            ex.auc_exact = pts->auc_exact;
            ex.logloss_exact = pts->logloss_exact;
            mql_points_free(pts);
            pts = NULL;
            st = mql_points_from_fit_ex(m->design, m->fit->beta, b, y, w, &o2, &ex, &pts, err);
        }
        if (st == MQL_OK)
            pts->strength = s;
    }
    if (st == MQL_OK)
        st = full ? mql_points_self_check_scored(m->design, b, pts, ex.scores, err)
                  : mql_points_self_check_rows_scored(m->design, b, pts, ex.check_rows,
                                                      ex.n_check, ex.check_scores, err);
    if (keyed && st == MQL_OK)
        *cres = mql_points_cache_store(co->dir, co->max_bytes, &key, pts)
                    ? MQL_CACHE_NOT_STORED
                    : stale ? MQL_CACHE_STALE : MQL_CACHE_MISS;
hit:
    mql_fit_key_clear(&key);
    free(ex.scores);
    free(ex.check_rows);
    free(ex.check_scores);
    mql_design_binding_free(b);
    /* the linear predictor and the spare block have served their one use: their memory goes
     * back now */
    if (eta) {
        free(m->fit->eta);
        m->fit->eta = NULL;
    }
    free(m->spare);
    m->spare = NULL;
    if (st) {
        mql_points_free(pts);
        return st;
    }
    mql_points_free(m->points);
    m->points = pts;
    return MQL_OK;
}
