/* cache_entry.c: what the result caches (fit_cache.c, screen_cache.c) share: their keys' data
 * hashes and their entries' layout, writing and checks (cache_file.h). */
#define _DEFAULT_SOURCE     /* utimensat's AT_FDCWD */
#include "cache_file.h"

#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mqlcal/table_cache.h"

#define ENDIAN_MARK 0x01020304u
#define HEADER_BYTES 64

/* ======================================================================== data hashes ==== */

typedef struct hash_part {
    mql_cache_seg *s;
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

void mql_cache_hash_segs(mql_cache_seg *s, size_t n)
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

int mql_cache_on(const mql_cache_opts *cache, double bytes)
{
    return cache && cache->dir && bytes >= (double)cache->min_file_bytes;
}

int mql_cache_key_finish(mql_wbuf *kb, mql_cache_seg *s, size_t ns, mql_fit_key *key)
{
    mql_wb_u64(kb, ns);
    for (size_t k = 0; k < ns; k++) {
        mql_wb_u64(kb, s[k].bytes);
        mql_wb_u64(kb, s[k].sum);
    }
    free(s);
    if (kb->failed) {
        free(kb->p);
        return -1;
    }
    key->text = kb->p;
    key->len = kb->n;
    key->hash = mql_xxh64(kb->p, kb->n);
    return 0;
}

mql_cache_seg mql_cache_column_seg(const mql_column *c, int by_code, size_t n)
{
    const void *p = by_code ? (const void *)c->code : (const void *)c->num;
    mql_cache_seg s = {p, n * (by_code ? sizeof *c->code : sizeof *c->num), 0, 0};
    if (c->sum_of && c->sum_of == p && c->borrowed && c->sum_rows == n && c->n_rows == n) {
        s.sum = c->sum;
        s.known = 1;
    }
    return s;
}

mql_cache_seg *mql_cache_data_segs(const mql_design_binding *b, size_t n, const void *y,
                                   size_t y_bytes, const double *w, const double *eta,
                                   size_t *ns)
{
    const mql_design *d = b->design;
    mql_cache_seg *s = calloc(d->n_features + 3, sizeof *s);
    size_t k = 0;
    if (!s)
        return NULL;
    for (size_t f = 0; f < d->n_features; f++)
        s[k++] = mql_cache_column_seg(b->f[f].col, b->f[f].by_code, n);
    s[k++] = (mql_cache_seg){y, y_bytes, 0, 0};
    if (w)
        s[k++] = (mql_cache_seg){w, n * sizeof *w, 0, 0};
    if (eta)
        s[k++] = (mql_cache_seg){eta, n * sizeof *eta, 0, 0};
    mql_cache_hash_segs(s, k);
    *ns = k;
    return s;
}

char *mql_cache_key_path(const char *dir, uint64_t hash, const char *suffix)
{
    size_t n = strlen(dir) + strlen(suffix) + 19;
    char *p = malloc(n);
    if (p)
        snprintf(p, n, "%s/%016llx%s", dir, (unsigned long long)hash, suffix);
    return p;
}

/* ======================================================================== entries ==== */

typedef struct header {
    char magic[8];
    uint32_t version;
    uint32_t endian;
    uint64_t key_hash;
    uint64_t key_len;
    uint64_t body_len;        /* the body, without the tail */
    uint64_t body_sum;        /* XXH64 of the key text and the body */
    uint64_t tail_len;        /* bytes after the body (0: none) */
    uint64_t sum;             /* XXH64 of the 56 bytes above */
} header;

_Static_assert(sizeof(header) == HEADER_BYTES, "cache entry header is 64 bytes");

int mql_cache_entry_store(const char *dir, const char *path, uint64_t max_bytes,
                          const char magic[8], uint32_t version, const mql_fit_key *key,
                          const mql_wbuf *body, const void *tail, uint64_t tail_len)
{
    if (!max_bytes)
        max_bytes = MQL_TABLE_CACHE_MAX_DEFAULT;
    char *tmp = NULL;
    int ok = 0, fd = -1;
    header h = {.version = version, .endian = ENDIAN_MARK, .key_hash = key->hash,
                .key_len = key->len, .body_len = body->n, .tail_len = tail_len};
    memcpy(h.magic, magic, 8);
    mql_xxh64_state s;
    mql_xxh64_init(&s);
    mql_xxh64_update(&s, key->text, key->len);
    mql_xxh64_update(&s, body->p, body->n);
    h.body_sum = mql_xxh64_digest(&s);
    h.sum = mql_xxh64(&h, offsetof(header, sum));
    if (body->failed || HEADER_BYTES + key->len + body->n + tail_len > max_bytes ||
        mql_cache_make_dir(dir) || (fd = mql_cache_temp_open(dir, &tmp)) < 0)
        goto done;
    ok = !(mql_cache_write_all(fd, &h, sizeof h) ||
           mql_cache_write_all(fd, key->text, key->len) ||
           mql_cache_write_all(fd, body->p, body->n) ||
           (tail_len && mql_cache_write_all(fd, tail, tail_len)));
done:
    return mql_cache_temp_finish(fd, tmp, path, dir, max_bytes, ok);
}

int mql_cache_entry_open(const char *path, const char magic[8], uint32_t version,
                         const mql_fit_key *key, char **buf, uint64_t *body_len,
                         uint64_t *tail_len, int *stale)
{
    *stale = 0;
    *buf = NULL;
    int fd = path ? open(path, O_RDONLY) : -1;
    if (fd < 0)
        return -1;
    *stale = 1;
    struct stat st;
    header h;
    if (fstat(fd, &st) != 0 || mql_cache_read_all(fd, &h, sizeof h) ||
        memcmp(h.magic, magic, 8) != 0 || h.version != version || h.endian != ENDIAN_MARK ||
        h.sum != mql_xxh64(&h, offsetof(header, sum)) || h.key_hash != key->hash ||
        h.key_len != key->len || h.body_len > (uint64_t)st.st_size ||
        h.tail_len > (uint64_t)st.st_size ||
        (uint64_t)st.st_size != HEADER_BYTES + h.key_len + h.body_len + h.tail_len)
        goto bad;
    if (!(*buf = malloc(h.key_len + h.body_len + 1)) ||
        mql_cache_read_all(fd, *buf, h.key_len + h.body_len) ||
        memcmp(*buf, key->text, key->len) != 0 ||
        mql_xxh64(*buf, h.key_len + h.body_len) != h.body_sum)
        goto bad;
    *body_len = h.body_len;
    *tail_len = h.tail_len;
    *stale = 0;
    return fd;
bad:
    free(*buf);
    *buf = NULL;
    close(fd);
    return -1;
}

void mql_cache_entry_touch(const char *path)
{
    utimensat(AT_FDCWD, path, NULL, 0);
}
