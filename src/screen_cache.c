/* screen_cache.c: screens cached in the table cache's directory for repeat runs
 * (screen_cache.h). */
#include "mqlcal/screen_cache.h"
#include "cache_file.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAGIC "MQLSCR\0\x1a"


/* The rule set: its version and every threshold. */
static void put_rules(mql_wbuf *b)
{
    mql_wb_u32(b, MQL_SCREEN_RULES_VERSION);
    const double th[] = {MQL_SCREEN_AUC_LO, MQL_AUC_MIN_CLASS, MQL_SCREEN_LEVEL_MIN,
                         MQL_SCREEN_BINS, MQL_SCREEN_PURE, MQL_SCREEN_PURE_COVER,
                         MQL_SCREEN_PURE_MIN, MQL_SCREEN_DATE_LATER, MQL_SCREEN_DATE_ONAFTER,
                         MQL_SCREEN_UNIQUE, MQL_SCREEN_MONOTONE, MQL_SCREEN_MIN_ROWS,
                         MQL_NAME_WORD};
    mql_wb_put(b, th, sizeof th);
}

/* A column's description as the screen reads it (its data are in the segments). */
static void put_column(mql_wbuf *b, const mql_column *c)
{
    mql_wb_str(b, c->name);
    mql_wb_u64(b, c->n_rows);
    mql_wb_u64(b, c->n_missing);
    mql_wb_u64(b, c->n_distinct);
    mql_wb_u32(b, (uint32_t)c->plain_decimal);
    mql_wb_u32(b, (uint32_t)c->decimals);
    mql_wb_str(b, c->true_label);
    mql_wb_str(b, c->false_label);
    mql_wb_u64(b, c->levels ? c->n_levels : 0);
    for (size_t l = 0; c->levels && l < c->n_levels; l++)
        mql_wb_str(b, c->levels[l]);
    mql_wb_u32(b, c->level_count != NULL);
    if (c->level_count)
        mql_wb_put(b, c->level_count, c->n_levels * sizeof *c->level_count);
}

int mql_screen_key_make(const mql_table *t, const unsigned char *rows, const unsigned char *y,
                        long date_col, const unsigned char *skip, mql_fit_key *key)
{
    memset(key, 0, sizeof *key);
    size_t n = t->n_rows, ns = 0;
    const mql_column *created = date_col >= 0 && (size_t)date_col < t->n_cols &&
                                        t->cols[date_col].type == MQL_COL_DATE
                                    ? &t->cols[date_col]
                                    : NULL;
    mql_cache_seg *s = calloc(2 * t->n_cols + 3, sizeof *s);
    if (!s)
        return -1;
    if (y)
        s[ns++] = (mql_cache_seg){y, n, 0, 0};
    if (rows)
        s[ns++] = (mql_cache_seg){rows, n, 0, 0};
    if (created)
        s[ns++] = mql_cache_column_seg(created, 0, n);
    for (size_t j = 0; j < t->n_cols; j++) {
        const mql_column *c = &t->cols[j];
        if (!mql_screen_reads(t, j, date_col, skip))
            continue;
        if (c->num)
            s[ns++] = mql_cache_column_seg(c, 0, n);
        if (c->code)
            s[ns++] = mql_cache_column_seg(c, 1, n);
    }
    mql_cache_hash_segs(s, ns);

    mql_wbuf kb = {0};
    mql_wb_str(&kb, "mqlcal-screen");
    mql_cache_put_build(&kb, MQL_SCREEN_CACHE_VERSION);
    put_rules(&kb);
    mql_wb_u64(&kb, n);
    mql_wb_u64(&kb, t->n_cols);
    mql_wb_u64(&kb, (uint64_t)date_col);
    mql_wb_u32(&kb, skip != NULL);
    if (skip)
        mql_wb_put(&kb, skip, t->n_cols);
    mql_wb_u32(&kb, y != NULL);
    mql_wb_u32(&kb, rows != NULL);
    mql_wb_u32(&kb, created != NULL);
    if (created)
        mql_wb_str(&kb, created->name);
    for (size_t j = 0; j < t->n_cols; j++) {
        const mql_column *c = &t->cols[j];
        mql_wb_u32(&kb, (uint32_t)c->type);
        int reads = mql_screen_reads(t, j, date_col, skip);
        mql_wb_u32(&kb, (uint32_t)reads);
        if (reads) {
            put_column(&kb, c);
            mql_wb_u32(&kb, c->num != NULL);
            mql_wb_u32(&kb, c->code != NULL);
        }
    }
    return mql_cache_key_finish(&kb, s, ns, key);
}

char *mql_screen_cache_path(const char *dir, const mql_fit_key *key)
{
    return mql_cache_key_path(dir, key->hash, MQL_SCREEN_CACHE_SUFFIX);
}

int mql_screen_cache_store(const char *dir, uint64_t max_bytes, const mql_fit_key *key,
                           const mql_screen *s)
{
    mql_wbuf body = {0};
    mql_wb_u64(&body, s->n_cols);
    for (size_t j = 0; j < s->n_cols; j++) {
        const mql_screen_col *c = &s->col[j];
        mql_wb_u32(&body, c->flags);
        mql_wb_u32(&body, (uint32_t)c->screened);
        const double a[] = {c->auc, c->auc_lo, c->auc_hi};
        mql_wb_put(&body, a, sizeof a);
        mql_wb_str(&body, c->evidence);
    }
    char *path = mql_screen_cache_path(dir, key);
    int rc = path ? mql_cache_entry_store(dir, path, max_bytes, MAGIC, MQL_SCREEN_CACHE_VERSION,
                                          key, &body, NULL, 0)
                  : -1;
    free(path);
    free(body.p);
    return rc;
}

/* The screen in a body that passed its checksum (bounds still checked). */
static mql_screen *parse_body(const char *p, size_t n)
{
    mql_rbuf rb = {p, n, 0, 0};
    mql_screen *s = calloc(1, sizeof *s);
    size_t nc = mql_rb_u64(&rb);
    if (!s || rb.bad || nc > n || !(s->col = calloc(nc ? nc : 1, sizeof *s->col)))
        goto bad;
    s->n_cols = nc;
    for (size_t j = 0; j < nc && !rb.bad; j++) {
        mql_screen_col *c = &s->col[j];
        c->flags = mql_rb_u32(&rb);
        c->screened = (int)mql_rb_u32(&rb);
        double a[3];
        mql_rb_get(&rb, a, sizeof a);
        c->auc = a[0];
        c->auc_lo = a[1];
        c->auc_hi = a[2];
        uint32_t len = mql_rb_u32(&rb);
        if (len >= sizeof c->evidence)
            goto bad;
        mql_rb_get(&rb, c->evidence, len);
        c->evidence[len] = '\0';
    }
    if (rb.bad || rb.at != rb.n)
        goto bad;
    return s;
bad:
    mql_screen_free(s);
    return NULL;
}

mql_screen *mql_screen_cache_load(const char *dir, const mql_fit_key *key, int *stale)
{
    char *path = mql_screen_cache_path(dir, key), *buf = NULL;
    uint64_t body_len = 0, tail_len = 0;
    int fd = mql_cache_entry_open(path, MAGIC, MQL_SCREEN_CACHE_VERSION, key, &buf, &body_len,
                                  &tail_len, stale);
    mql_screen *s = NULL;
    if (fd >= 0) {
        close(fd);
        s = tail_len ? NULL : parse_body(buf + key->len, body_len);
        *stale = !s;
        if (s)
            mql_cache_entry_touch(path);
    }
    free(buf);
    free(path);
    return s;
}

int mql_screen_run_cached(const mql_table *t, const unsigned char *rows, const unsigned char *y,
                          long date_col, const unsigned char *skip, const mql_cache_opts *co,
                          mql_screen **out, mql_cache_result *cres, mql_err *err)
{
    mql_fit_key key;
    int stale = 0;
    *cres = MQL_CACHE_OFF;
    if (!mql_cache_on(co, (double)t->n_rows * (double)t->n_cols * sizeof(double)) ||
        mql_screen_key_make(t, rows, y, date_col, skip, &key))
        return mql_screen_run_rows(t, rows, y, date_col, skip, out, err);
    int st = MQL_OK;
    if ((*out = mql_screen_cache_load(co->dir, &key, &stale)) && (*out)->n_cols == t->n_cols) {
        *cres = MQL_CACHE_HIT;
    } else {
        mql_screen_free(*out);
        *out = NULL;
        if ((st = mql_screen_run_rows(t, rows, y, date_col, skip, out, err)) == MQL_OK)
            *cres = mql_screen_cache_store(co->dir, co->max_bytes, &key, *out)
                        ? MQL_CACHE_NOT_STORED
                        : stale ? MQL_CACHE_STALE : MQL_CACHE_MISS;
    }
    mql_fit_key_clear(&key);
    return st;
}
