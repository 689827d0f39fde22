/* fit_cache.c: logistic fits cached in the table cache's directory for repeat runs
 * (fit_cache.h). */
#include "mqlcal/fit_cache.h"
#include "cache_file.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAGIC "MQLFIT\0\x1a"

/* OpenBLAS's build and core (a weak reference: GSL's reference CBLAS has none). */
extern char *openblas_get_config(void) __attribute__((weak));

/* ======================================================================== the key ==== */

static void put_f64(mql_wbuf *b, double v)
{
    mql_wb_put(b, &v, sizeof v);
}

/* The options that change the result (the cache pointer does not). */
static void put_opts(mql_wbuf *b, const mql_glm_opts *o, size_t n)
{
    mql_wb_u32(b, (uint32_t)o->max_iter);
    put_f64(b, o->tol);
    put_f64(b, o->l2);
    mql_wb_u32(b, (uint32_t)o->intercept);
    put_f64(b, o->alias_tol);
    mql_wb_u64(b, mql_glm_threads(n, o->threads));
    mql_wb_u64(b, o->warm_rows);
    mql_wb_u32(b, (uint32_t)o->keep_eta);
    put_f64(b, o->last_margin);
    mql_wb_u32(b, (uint32_t)o->method);
    mql_wb_u32(b, (uint32_t)o->flic);
    mql_wb_u32(b, (uint32_t)o->profile);
    mql_wb_u32(b, (uint32_t)o->unit_start);
}

void mql_cache_put_design(mql_wbuf *b, const mql_design_binding *bd)
{
    const mql_design *d = bd->design;
    mql_wb_u64(b, d->p);
    for (size_t j = 0; j < d->p; j++)
        mql_wb_str(b, d->labels[j]);
    mql_wb_u64(b, d->n_features);
    for (size_t k = 0; k < d->n_features; k++) {
        const mql_feature *f = &d->features[k];
        const mql_bound_feature *bf = &bd->f[k];
        mql_wb_str(b, f->name);
        mql_wb_u32(b, (uint32_t)f->type);
        mql_wb_u32(b, (uint32_t)f->enc);
        mql_wb_u64(b, f->term0);
        mql_wb_u64(b, f->n_terms);
        mql_wb_u32(b, (uint32_t)f->has_missing);
        mql_wb_u64(b, f->n_cuts);
        mql_wb_put(b, f->cuts, f->n_cuts * sizeof *f->cuts);
        mql_wb_u32(b, (uint32_t)bf->by_code);
        mql_wb_u64(b, bf->n_codes);
        mql_wb_put(b, bf->code_term, bf->code_term ? bf->n_codes * sizeof *bf->code_term : 0);
        mql_wb_u32(b, (uint32_t)bf->na_term);
    }
    mql_wb_u64(b, d->n_ix);
    for (size_t k = 0; k < d->n_ix; k++) {
        const mql_interaction *ix = &d->ix[k];
        mql_wb_u64(b, ix->a);
        mql_wb_u64(b, ix->b);
        mql_wb_u64(b, ix->term0);
        mql_wb_u64(b, ix->n_cells);
        for (size_t c = 0; c < ix->n_cells; c++) {
            mql_wb_u64(b, ix->ta[c]);
            mql_wb_u64(b, ix->tb[c]);
        }
    }
}

int mql_fit_key_make(const mql_design_binding *b, const mql_glm_data *gd, const mql_glm_opts *o,
                     mql_fit_key *key)
{
    memset(key, 0, sizeof *key);
    size_t n = gd->n, ns;
    mql_cache_seg *s = mql_cache_data_segs(b, n, gd->y, n * sizeof *gd->y, gd->w, NULL, &ns);
    if (!s)
        return -1;

    mql_wbuf kb = {0};
    mql_wb_str(&kb, "mqlcal-fit");
    mql_cache_put_build(&kb, MQL_FIT_CACHE_VERSION);
    mql_wb_str(&kb, openblas_get_config ? openblas_get_config() : "gsl cblas");
    put_opts(&kb, o, n);
    mql_wb_u64(&kb, n);
    mql_wb_u64(&kb, gd->p);
    mql_wb_u32(&kb, gd->coded != NULL);
    mql_wb_u64(&kb, gd->coded ? gd->coded->k : 0);
    mql_wb_u64(&kb, gd->coded ? gd->coded->md : 0);
    mql_cache_put_design(&kb, b);
    mql_wb_u32(&kb, gd->w != NULL);
    return mql_cache_key_finish(&kb, s, ns, key);
}

void mql_fit_key_clear(mql_fit_key *key)
{
    if (!key)
        return;
    free(key->text);
    memset(key, 0, sizeof *key);
}

char *mql_fit_cache_path(const char *dir, const mql_fit_key *key)
{
    return mql_cache_key_path(dir, key->hash, MQL_FIT_CACHE_SUFFIX);
}

/* ======================================================================== the entry ==== */

/* An optional array of p doubles: a presence flag, then the values. */
static void put_opt_array(mql_wbuf *b, const double *v, size_t p)
{
    mql_wb_u32(b, v != NULL);
    if (v)
        mql_wb_put(b, v, p * sizeof *v);
}

static int build_body(const mql_glm_result *r, int status, mql_wbuf *b)
{
    memset(b, 0, sizeof *b);
    size_t p = r->p;
    mql_wb_u32(b, (uint32_t)status);
    mql_wb_u64(b, r->n);
    mql_wb_u64(b, p);
    mql_wb_u64(b, r->rank);
    const double sc[] = {r->deviance, r->null_deviance, r->df_residual, r->df_null, r->loglik,
                         r->aic, r->n_weighted, r->events, r->pen_loglik, r->logdet,
                         r->beta0_firth};
    mql_wb_put(b, sc, sizeof sc);
    const int32_t in[] = {r->iterations, r->warm_iterations, r->last_passes, r->last_misses,
                          r->converged, (int32_t)r->state, r->method, r->flic};
    mql_wb_put(b, in, sizeof in);
    mql_wb_u64(b, r->n_extreme);
    mql_wb_put(b, r->beta, p * sizeof *r->beta);
    mql_wb_put(b, r->se, p * sizeof *r->se);
    mql_wb_put(b, r->aliased, p);
    mql_wb_put(b, r->separated, p);
    mql_wb_u32(b, r->cov != NULL);
    for (size_t i = 0; r->cov && i < p; i++)
        mql_wb_put(b, gsl_matrix_const_ptr(r->cov, i, 0), p * sizeof(double));
    put_opt_array(b, r->ci_lo, p);
    put_opt_array(b, r->ci_hi, p);
    put_opt_array(b, r->lr_p, p);
    mql_wb_u64(b, r->eta ? mql_xxh64(r->eta, r->n * sizeof *r->eta) : 0);
    return b->failed ? -1 : 0;
}

int mql_fit_cache_store(const char *dir, uint64_t max_bytes, const mql_fit_key *key,
                        const mql_glm_result *r, int status)
{
    mql_wbuf body;
    char *path = NULL;
    int rc = -1;
    if (!build_body(r, status, &body) && (path = mql_fit_cache_path(dir, key)))
        rc = mql_cache_entry_store(dir, path, max_bytes, MAGIC, MQL_FIT_CACHE_VERSION, key, &body,
                                   r->eta, r->eta ? r->n * sizeof *r->eta : 0);
    free(path);
    free(body.p);
    return rc;
}

/* An array of n bytes from the body into a new block *out (NULL when absent: flag 0). */
static int get_array(mql_rbuf *rb, void **out, size_t bytes, int optional)
{
    *out = NULL;
    if (optional && !mql_rb_u32(rb))
        return rb->bad ? -1 : 0;
    if (rb->bad || rb->n - rb->at < bytes || !(*out = malloc(bytes ? bytes : 1)))
        return -1;
    mql_rb_get(rb, *out, bytes);
    return 0;
}

/* The result in a body that passed its checksum (bounds and values still checked). */
static mql_glm_result *parse_body(const char *p, size_t n, uint64_t eta_len, int *status,
                                  uint64_t *eta_sum)
{
    mql_rbuf rb = {p, n, 0, 0};
    mql_glm_result *r = calloc(1, sizeof *r);
    if (!r)
        return NULL;
    *status = (int)mql_rb_u32(&rb);
    r->n = mql_rb_u64(&rb);
    size_t pp = r->p = mql_rb_u64(&rb);
    r->rank = mql_rb_u64(&rb);
    double sc[11];
    int32_t in[8];
    mql_rb_get(&rb, sc, sizeof sc);
    mql_rb_get(&rb, in, sizeof in);
    r->deviance = sc[0];
    r->null_deviance = sc[1];
    r->df_residual = sc[2];
    r->df_null = sc[3];
    r->loglik = sc[4];
    r->aic = sc[5];
    r->n_weighted = sc[6];
    r->events = sc[7];
    r->pen_loglik = sc[8];
    r->logdet = sc[9];
    r->beta0_firth = sc[10];
    r->iterations = in[0];
    r->warm_iterations = in[1];
    r->last_passes = in[2];
    r->last_misses = in[3];
    r->converged = in[4];
    r->state = (mql_glm_state)in[5];
    r->method = in[6];
    r->flic = in[7];
    r->n_extreme = mql_rb_u64(&rb);
    if (rb.bad || (*status != MQL_OK && *status != MQL_ENOCONV) || pp == 0 ||
        pp > n / sizeof(double) || r->rank > pp || in[5] < 0 || in[5] > MQL_GLM_SEPARATED ||
        (eta_len && eta_len != r->n * sizeof(double)))
        goto bad;
    if (get_array(&rb, (void **)&r->beta, pp * sizeof(double), 0) ||
        get_array(&rb, (void **)&r->se, pp * sizeof(double), 0) ||
        get_array(&rb, (void **)&r->aliased, pp, 0) ||
        get_array(&rb, (void **)&r->separated, pp, 0))
        goto bad;
    if (mql_rb_u32(&rb)) {
        if (rb.bad || rb.n - rb.at < pp * pp * sizeof(double) ||
            !(r->cov = gsl_matrix_alloc(pp, pp)))
            goto bad;
        for (size_t i = 0; i < pp; i++)
            mql_rb_get(&rb, gsl_matrix_ptr(r->cov, i, 0), pp * sizeof(double));
    }
    if (get_array(&rb, (void **)&r->ci_lo, pp * sizeof(double), 1) ||
        get_array(&rb, (void **)&r->ci_hi, pp * sizeof(double), 1) ||
        get_array(&rb, (void **)&r->lr_p, pp * sizeof(double), 1))
        goto bad;
    *eta_sum = mql_rb_u64(&rb);
    if (rb.bad || rb.at != rb.n)
        goto bad;
    return r;
bad:
    mql_glm_result_free(r);
    return NULL;
}

mql_glm_result *mql_fit_cache_load(const char *dir, const mql_fit_key *key, int *status,
                                   int *stale)
{
    char *path = mql_fit_cache_path(dir, key), *buf = NULL;
    uint64_t body_len = 0, eta_len = 0, eta_sum = 0;
    int fd = mql_cache_entry_open(path, MAGIC, MQL_FIT_CACHE_VERSION, key, &buf, &body_len,
                                  &eta_len, stale);
    mql_glm_result *r = NULL;
    if (fd < 0)
        goto out;
    *stale = 1;
    if (!(r = parse_body(buf + key->len, body_len, eta_len, status, &eta_sum)))
        goto out;
    if (eta_len && (!(r->eta = mql_alloc_big(eta_len)) ||
                    mql_cache_read_all(fd, r->eta, eta_len) ||
                    mql_xxh64(r->eta, eta_len) != eta_sum)) {
        mql_glm_result_free(r);
        r = NULL;
        goto out;
    }
    *stale = 0;
    mql_cache_entry_touch(path);       /* most recently used */
out:
    if (fd >= 0)
        close(fd);
    free(buf);
    free(path);
    return r;
}
