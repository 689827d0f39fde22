/* points_cache.c: points tables cached in the table cache's directory for repeat runs
 * (points_cache.h). */
#include "mqlcal/points_cache.h"
#include "cache_file.h"

#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAGIC "MQLPTS\0\x1a"
#define JSON_FLAGS (JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(17))

static void put_strs(mql_wbuf *b, char *const *v, size_t n)
{
    mql_wb_u64(b, v ? n : 0);
    for (size_t i = 0; v && i < n; i++)
        mql_wb_str(b, v[i]);
}

static void put_counts(mql_wbuf *b, const size_t *v, size_t n)
{
    mql_wb_u32(b, v != NULL);
    if (v)
        mql_wb_put(b, v, n * sizeof *v);
}

/* What the rules and bands print of each feature, beyond the fill's view of the design. */
static void put_feature_text(mql_wbuf *b, const mql_design *d)
{
    for (size_t k = 0; k < d->n_features; k++) {
        const mql_feature *f = &d->features[k];
        mql_wb_u32(b, (uint32_t)f->group);
        put_strs(b, f->levels, f->n_levels);
        put_counts(b, f->level_count, f->n_levels);
        put_strs(b, f->pooled, f->n_pooled);
        mql_wb_u64(b, f->other_count);
        mql_wb_u64(b, f->missing_count);
        put_counts(b, f->bin_count, f->cuts ? f->n_cuts + 1 : 0);
        mql_wb_u32(b, f->cut_top != NULL);
        if (f->cut_top)
            mql_wb_put(b, f->cut_top, f->n_cuts * sizeof *f->cut_top);
        put_strs(b, f->bin_text, f->bin_text ? f->n_cuts + 1 : 0);
        mql_wb_u32(b, (uint32_t)f->integer);
        mql_wb_u32(b, (uint32_t)f->has_range);
        const double r[] = {f->range_lo, f->range_hi};
        mql_wb_put(b, r, sizeof r);
        mql_wb_str(b, f->true_label);
        mql_wb_str(b, f->false_label);
    }
}

int mql_points_key_make(const mql_model *m, const mql_design_binding *b, const unsigned char *y,
                        const double *w, const mql_points_opts *po, const double *eta, int full,
                        mql_fit_key *key)
{
    memset(key, 0, sizeof *key);
    const mql_design *d = m->design;
    const mql_glm_result *r = m->fit;
    const mql_table *t = b->table;
    size_t n = t->n_rows, ns;
    mql_cache_seg *s = mql_cache_data_segs(b, n, y, n * sizeof *y, w, eta, &ns);
    if (!s)
        return -1;

    mql_wbuf kb = {0};
    mql_wb_str(&kb, "mqlcal-points");
    mql_cache_put_build(&kb, MQL_POINTS_CACHE_VERSION);
    mql_wb_u64(&kb, (uint64_t)mql_cpu_count());
    const double od[] = {po->pdo, po->max_points};
    mql_wb_put(&kb, od, sizeof od);
    const int64_t oi[] = {po->threshold, po->by_strength, po->cap_fit, po->cap_engagement,
                          po->cap_total, po->full_check, full};
    mql_wb_put(&kb, oi, sizeof oi);
    mql_wb_u64(&kb, n);
    mql_cache_put_design(&kb, b);
    put_feature_text(&kb, d);
    put_strs(&kb, (char *const *)mql_table_na(t), t->na.n);
    mql_wb_u64(&kb, r->p);
    mql_wb_put(&kb, r->beta, r->p * sizeof *r->beta);
    const double fd[] = {r->deviance, r->null_deviance, r->df_null, r->df_residual};
    mql_wb_put(&kb, fd, sizeof fd);
    mql_wb_u32(&kb, w != NULL);
    mql_wb_u32(&kb, eta != NULL);
    return mql_cache_key_finish(&kb, s, ns, key);
}

char *mql_points_cache_path(const char *dir, const mql_fit_key *key)
{
    return mql_cache_key_path(dir, key->hash, MQL_POINTS_CACHE_SUFFIX);
}

/* The fields the JSON leaves out (threshold_rule, strength) or might round (the rest). */
#define N_BITS 11
static void bits_of(const mql_points *p, double *v)
{
    const double a[N_BITS] = {p->strength, p->pdo, p->map_a, p->map_b, p->auc_exact,
                              p->auc_points, p->logloss_exact, p->logloss_points,
                              p->auc_capped, p->logloss_capped, p->share_capped};
    memcpy(v, a, sizeof a);
}

static void set_bits(mql_points *p, const double *v)
{
    p->strength = v[0];
    p->pdo = v[1];
    p->map_a = v[2];
    p->map_b = v[3];
    p->auc_exact = v[4];
    p->auc_points = v[5];
    p->logloss_exact = v[6];
    p->logloss_points = v[7];
    p->auc_capped = v[8];
    p->logloss_capped = v[9];
    p->share_capped = v[10];
}

/* The points table of a JSON text and the extra fields; NULL when it does not read. */
static mql_points *points_of(const char *text, size_t len, const char *rule, const double *bits)
{
    json_error_t je;
    json_t *j = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je);
    mql_points *p = NULL;
    mql_err err;
    if (!j || mql_points_from_json(j, &p, &err) != MQL_OK)
        p = NULL;
    json_decref(j);
    if (p && rule && !(p->threshold_rule = mql_strdup(rule))) {
        mql_points_free(p);
        return NULL;
    }
    if (p)
        set_bits(p, bits);
    return p;
}

static char *json_text(const mql_points *p)
{
    json_t *j = mql_points_to_json(p);
    char *s = j ? json_dumps(j, JSON_FLAGS) : NULL;
    json_decref(j);
    return s;
}

int mql_points_cache_store(const char *dir, uint64_t max_bytes, const mql_fit_key *key,
                           const mql_points *pts)
{
    double bits[N_BITS];
    bits_of(pts, bits);
    char *js = json_text(pts), *again = NULL, *path = NULL;
    int rc = -1;
    /* only what reads back to the same table is stored */
    mql_points *back = js ? points_of(js, strlen(js), pts->threshold_rule, bits) : NULL;
    if (!back || !(again = json_text(back)) || strcmp(js, again) != 0)
        goto done;
    mql_wbuf body = {0};
    mql_wb_str(&body, js);
    mql_wb_str(&body, pts->threshold_rule);
    mql_wb_put(&body, bits, sizeof bits);
    if ((path = mql_points_cache_path(dir, key)))
        rc = mql_cache_entry_store(dir, path, max_bytes, MAGIC, MQL_POINTS_CACHE_VERSION, key,
                                   &body, NULL, 0);
    free(body.p);
done:
    mql_points_free(back);
    free(js);
    free(again);
    free(path);
    return rc;
}

mql_points *mql_points_cache_load(const char *dir, const mql_fit_key *key, int *stale)
{
    char *path = mql_points_cache_path(dir, key), *buf = NULL, *js = NULL, *rule = NULL;
    uint64_t body_len = 0, tail_len = 0;
    int fd = mql_cache_entry_open(path, MAGIC, MQL_POINTS_CACHE_VERSION, key, &buf, &body_len,
                                  &tail_len, stale);
    mql_points *p = NULL;
    if (fd >= 0) {
        close(fd);
        mql_rbuf rb = {buf + key->len, body_len, 0, 0};
        double bits[N_BITS];
        if (!tail_len && !mql_rb_str(&rb, &js) && js && !mql_rb_str(&rb, &rule)) {
            mql_rb_get(&rb, bits, sizeof bits);
            if (!rb.bad && rb.at == rb.n)
                p = points_of(js, strlen(js), rule, bits);
        }
        *stale = !p;
        if (p)
            mql_cache_entry_touch(path);
    }
    free(js);
    free(rule);
    free(buf);
    free(path);
    return p;
}
