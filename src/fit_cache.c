/* fit_cache.c: logistic fits cached in the table cache's directory for repeat runs
 * (fit_cache.h). */
#define _DEFAULT_SOURCE     /* utimensat's AT_FDCWD */
#include "mqlcal/fit_cache.h"
#include "cache_file.h"

#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAGIC "MQLFIT\0\x1a"
#define ENDIAN_MARK 0x01020304u
#define HEADER_BYTES 64

/* OpenBLAS's build and core (a weak reference: GSL's reference CBLAS has none). */
extern char *openblas_get_config(void) __attribute__((weak));

/* ======================================================================== the key ==== */

/* The data arrays of the key, each by its XXH64: the one a table cache hit checked when there is
 * one (mql_column.sum_of), else hashed here, the arrays split between two threads where half the
 * bytes are behind (1M x 20 numbers are 160 MB, about 20 ms of XXH64 on one core). */
typedef struct seg {
    const void *p;
    size_t bytes;
    uint64_t sum;
    int known;
} seg;

typedef struct hash_part {
    seg *s;
    size_t lo, hi;
} hash_part;

static void *hash_run(void *arg)
{
    hash_part *h = arg;
    for (size_t k = h->lo; k < h->hi; k++)
        if (!h->s[k].known)
            h->s[k].sum = mql_xxh64(h->s[k].p, h->s[k].bytes);
    return NULL;
}

static void hash_segs(seg *s, size_t n)
{
    size_t total = 0, half = 0, cut = 0;
    for (size_t k = 0; k < n; k++)
        total += s[k].known ? 0 : s[k].bytes;
    for (; cut < n; cut++) {
        size_t b = s[cut].known ? 0 : s[cut].bytes;
        if (half + b / 2 >= total / 2)
            break;
        half += b;
    }
    hash_part a = {s, 0, cut}, b = {s, cut, n};
    pthread_t tid;
    int threaded = total >= ((size_t)8 << 20) && cut > 0 && cut < n &&
                   pthread_create(&tid, NULL, hash_run, &b) == 0;
    hash_run(&a);
    if (threaded)
        pthread_join(tid, NULL);
    else
        hash_run(&b);
}

/* A bound column's array over the key's n rows, with the checked hash when it has one. */
static seg column_seg(const mql_column *c, int by_code, size_t n)
{
    const void *p = by_code ? (const void *)c->code : (const void *)c->num;
    seg s = {p, n * (by_code ? sizeof *c->code : sizeof *c->num), 0, 0};
    if (c->sum_of && c->sum_of == p && c->borrowed && c->sum_rows == n && c->n_rows == n) {
        s.sum = c->sum;
        s.known = 1;
    }
    return s;
}

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

/* The design as the fill reads it, feature by feature with its binding. */
static void put_design(mql_wbuf *b, const mql_design_binding *bd)
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
    const mql_design *d = b->design;
    size_t n = gd->n, ns = 0;
    seg *s = calloc(d->n_features + 2, sizeof *s);
    if (!s)
        return -1;
    for (size_t k = 0; k < d->n_features; k++)
        s[ns++] = column_seg(b->f[k].col, b->f[k].by_code, n);
    s[ns++] = (seg){gd->y, n * sizeof *gd->y, 0, 0};
    if (gd->w)
        s[ns++] = (seg){gd->w, n * sizeof *gd->w, 0, 0};
    hash_segs(s, ns);

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
    put_design(&kb, b);
    mql_wb_u32(&kb, gd->w != NULL);
    mql_wb_u64(&kb, ns);
    for (size_t k = 0; k < ns; k++) {
        mql_wb_u64(&kb, s[k].bytes);
        mql_wb_u64(&kb, s[k].sum);
    }
    free(s);
    if (kb.failed) {
        free(kb.p);
        return -1;
    }
    key->text = kb.p;
    key->len = kb.n;
    key->hash = mql_xxh64(kb.p, kb.n);
    return 0;
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
    size_t n = strlen(dir) + 24;
    char *p = malloc(n);
    if (p)
        snprintf(p, n, "%s/%016llx" MQL_FIT_CACHE_SUFFIX, dir, (unsigned long long)key->hash);
    return p;
}

/* ======================================================================== the entry ==== */

typedef struct header {
    char magic[8];
    uint32_t version;
    uint32_t endian;
    uint64_t key_hash;
    uint64_t key_len;
    uint64_t body_len;        /* the body, without eta */
    uint64_t body_sum;        /* XXH64 of the key text and the body */
    uint64_t eta_len;         /* bytes of eta after the body (0: none) */
    uint64_t sum;             /* XXH64 of the 56 bytes above */
} header;

_Static_assert(sizeof(header) == HEADER_BYTES, "fit cache header is 64 bytes");

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
    if (!max_bytes)
        max_bytes = MQL_TABLE_CACHE_MAX_DEFAULT;
    mql_wbuf body;
    char *path = NULL, *tmp = NULL;
    int rc = -1, fd = -1;
    if (build_body(r, status, &body))
        goto done;
    header h = {.version = MQL_FIT_CACHE_VERSION, .endian = ENDIAN_MARK, .key_hash = key->hash,
                .key_len = key->len, .body_len = body.n,
                .eta_len = r->eta ? r->n * sizeof *r->eta : 0};
    memcpy(h.magic, MAGIC, 8);
    mql_xxh64_state s;
    mql_xxh64_init(&s);
    mql_xxh64_update(&s, key->text, key->len);
    mql_xxh64_update(&s, body.p, body.n);
    h.body_sum = mql_xxh64_digest(&s);
    h.sum = mql_xxh64(&h, offsetof(header, sum));
    if (HEADER_BYTES + key->len + body.n + h.eta_len > max_bytes || mql_cache_make_dir(dir) ||
        !(path = mql_fit_cache_path(dir, key)) || (fd = mql_cache_temp_open(dir, &tmp)) < 0)
        goto done;
    if (mql_cache_write_all(fd, &h, sizeof h) || mql_cache_write_all(fd, key->text, key->len) ||
        mql_cache_write_all(fd, body.p, body.n) ||
        (r->eta && mql_cache_write_all(fd, r->eta, h.eta_len)))
        goto done;
    int closed = close(fd);
    fd = -1;
    if (closed != 0 || rename(tmp, path) != 0)
        goto done;
    rc = 0;
    mql_cache_trim(dir, max_bytes, path);
done:
    if (fd >= 0)
        close(fd);
    if (rc && tmp)
        unlink(tmp);
    free(tmp);
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
    *stale = 0;
    char *path = mql_fit_cache_path(dir, key), *buf = NULL;
    int fd = path ? open(path, O_RDONLY) : -1;
    if (fd < 0) {
        free(path);
        return NULL;
    }
    *stale = 1;
    mql_glm_result *r = NULL;
    struct stat st;
    header h;
    uint64_t eta_sum = 0;
    if (fstat(fd, &st) != 0 || mql_cache_read_all(fd, &h, sizeof h) ||
        memcmp(h.magic, MAGIC, 8) != 0 || h.version != MQL_FIT_CACHE_VERSION ||
        h.endian != ENDIAN_MARK || h.sum != mql_xxh64(&h, offsetof(header, sum)) ||
        h.key_hash != key->hash || h.key_len != key->len ||
        h.body_len > (uint64_t)st.st_size || h.eta_len > (uint64_t)st.st_size ||
        (uint64_t)st.st_size != HEADER_BYTES + h.key_len + h.body_len + h.eta_len)
        goto out;
    if (!(buf = malloc(h.key_len + h.body_len)) ||
        mql_cache_read_all(fd, buf, h.key_len + h.body_len) ||
        memcmp(buf, key->text, key->len) != 0 ||
        mql_xxh64(buf, h.key_len + h.body_len) != h.body_sum)
        goto out;
    if (!(r = parse_body(buf + h.key_len, h.body_len, h.eta_len, status, &eta_sum)))
        goto out;
    if (h.eta_len) {
        if (!(r->eta = mql_alloc_big(h.eta_len)) || mql_cache_read_all(fd, r->eta, h.eta_len) ||
            mql_xxh64(r->eta, h.eta_len) != eta_sum) {
            mql_glm_result_free(r);
            r = NULL;
            goto out;
        }
    }
    *stale = 0;
    utimensat(AT_FDCWD, path, NULL, 0);       /* most recently used */
out:
    close(fd);
    free(buf);
    free(path);
    return r;
}
