/* common.c: error messages, string and number helpers shared by every module. */
#define _DEFAULT_SOURCE     /* madvise(MADV_HUGEPAGE) */
#include "mqlcal/common.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <pthread.h>
#include <sys/mman.h>
#include <unistd.h>
#include <gsl/gsl_errno.h>

int mql_err_set(mql_err *err, int status, const char *fmt, ...)
{
    if (err) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err->msg, sizeof err->msg, fmt, ap);
        va_end(ap);
    }
    return status;
}

int mql_err_prefix(mql_err *err, int status, const char *fmt, ...)
{
    if (err) {
        char head[512], old[sizeof err->msg];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(head, sizeof head, fmt, ap);
        va_end(ap);
        memcpy(old, err->msg, sizeof old);
        snprintf(err->msg, sizeof err->msg, "%.400s: %.600s", head, old);
    }
    return status;
}

char *mql_strdup(const char *s)
{
    return s ? mql_strndup(s, strlen(s)) : NULL;
}

char *mql_strndup(const char *s, size_t n)
{
    if (!s)
        return NULL;
    char *d = malloc(n + 1);
    if (d) {
        memcpy(d, s, n);
        d[n] = '\0';
    }
    return d;
}

char *mql_trim_dup(const char *s)
{
    const char *b;
    size_t n = mql_trim_span(s, strlen(s), &b);
    return mql_strndup(b, n);
}

void mql_fmt_shortest(double v, char *buf, size_t cap)
{
    for (int prec = 15; prec <= 17; prec++) {
        snprintf(buf, cap, "%.*g", prec, v);
        if (strtod(buf, NULL) == v)
            return;
    }
}

/* The conversion is floor's answer below 2^53, without a call to floor (a library call unless
 * the target has SSE4.1): the design's scan tests every value of a numeric column. */
int mql_is_integral(double v)
{
    return fabs(v) < 9007199254740992.0 && (double)(int64_t)v == v;
}

double mql_logistic(double eta)
{
    if (eta >= 0.0)
        return 1.0 / (1.0 + exp(-eta));
    double e = exp(eta);
    return e / (1.0 + e);
}


int mql_strcasecmp(const char *a, const char *b)
{
    for (;; a++, b++) {
        int ca = tolower((unsigned char)*a), cb = tolower((unsigned char)*b);
        if (ca != cb || !ca)
            return ca - cb;
    }
}

int mql_parse_double(const char *s, double *out)
{
    if (!s)
        return -1;
    while (*s == ' ' || *s == '\t')
        s++;
    if (!*s)
        return -1;
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    /* ERANGE on overflow gives +-HUGE_VAL (caught by isfinite); on underflow strtod returns the
     * correctly rounded subnormal or zero, which is the value written (mqlcal itself writes
     * bounds such as -4.9406564584124654e-324 for "below 0"). */
    if (end == s || !isfinite(v))
        return -1;
    while (*end == ' ' || *end == '\t')
        end++;
    if (*end)
        return -1;
    *out = v;
    return 0;
}

int mql_parse_long(const char *s, long lo, long hi, long *out)
{
    if (!s || !*s)
        return -1;
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (end == s || *end || errno == ERANGE || v < lo || v > hi)
        return -1;
    *out = v;
    return 0;
}

/* XXH64 as specified in xxHash's doc/xxhash_spec.md (version 0.1.1), seed 0. */
#define XXH_P1 UINT64_C(0x9E3779B185EBCA87)
#define XXH_P2 UINT64_C(0xC2B2AE3D27D4EB4F)
#define XXH_P3 UINT64_C(0x165667B19E3779F9)
#define XXH_P4 UINT64_C(0x85EBCA77C2B2AE63)
#define XXH_P5 UINT64_C(0x27D4EB2F165667C5)

static inline uint64_t xxh_rotl(uint64_t x, int r)
{
    return (x << r) | (x >> (64 - r));
}

/* Little-endian loads whatever the host's byte order. */
static inline uint64_t xxh_read64(const unsigned char *p)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    uint64_t v;
    memcpy(&v, p, 8);       /* one load */
    return v;
#else
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--)
        v = v << 8 | p[i];
    return v;
#endif
}

static inline uint32_t xxh_read32(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static inline uint64_t xxh_round(uint64_t acc, uint64_t lane)
{
    acc += lane * XXH_P2;
    acc = xxh_rotl(acc, 31);
    return acc * XXH_P1;
}

static inline uint64_t xxh_merge(uint64_t acc, uint64_t v)
{
    acc ^= xxh_round(0, v);
    return acc * XXH_P1 + XXH_P4;
}

void mql_xxh64_init(mql_xxh64_state *s)
{
    memset(s, 0, sizeof *s);
    s->v[0] = XXH_P1 + XXH_P2;
    s->v[1] = XXH_P2;
    s->v[2] = 0;
    s->v[3] = (uint64_t)0 - XXH_P1;
}

static void xxh_stripes(uint64_t v[4], const unsigned char *p, size_t n_stripes)
{
    uint64_t a = v[0], b = v[1], c = v[2], d = v[3];
    for (size_t i = 0; i < n_stripes; i++, p += 32) {
        a = xxh_round(a, xxh_read64(p));
        b = xxh_round(b, xxh_read64(p + 8));
        c = xxh_round(c, xxh_read64(p + 16));
        d = xxh_round(d, xxh_read64(p + 24));
    }
    v[0] = a, v[1] = b, v[2] = c, v[3] = d;
}

void mql_xxh64_update(mql_xxh64_state *s, const void *data, size_t n)
{
    const unsigned char *p = data;
    s->total += n;
    if (s->n_buf) {
        size_t take = 32 - s->n_buf < n ? 32 - s->n_buf : n;
        memcpy(s->buf + s->n_buf, p, take);
        s->n_buf += take;
        p += take;
        n -= take;
        if (s->n_buf < 32)
            return;
        xxh_stripes(s->v, s->buf, 1);
        s->n_buf = 0;
    }
    xxh_stripes(s->v, p, n / 32);
    p += n / 32 * 32;
    n %= 32;
    memcpy(s->buf, p, n);
    s->n_buf = n;
}

uint64_t mql_xxh64_digest(const mql_xxh64_state *s)
{
    uint64_t h;
    if (s->total >= 32) {
        const uint64_t *v = s->v;
        h = xxh_rotl(v[0], 1) + xxh_rotl(v[1], 7) + xxh_rotl(v[2], 12) + xxh_rotl(v[3], 18);
        for (int k = 0; k < 4; k++)
            h = xxh_merge(h, v[k]);
    } else {
        h = XXH_P5;     /* seed + P5 */
    }
    h += s->total;
    const unsigned char *p = s->buf;
    size_t n = s->n_buf;
    for (; n >= 8; p += 8, n -= 8) {
        h ^= xxh_round(0, xxh_read64(p));
        h = xxh_rotl(h, 27) * XXH_P1 + XXH_P4;
    }
    if (n >= 4) {
        h ^= (uint64_t)xxh_read32(p) * XXH_P1;
        h = xxh_rotl(h, 23) * XXH_P2 + XXH_P3;
        p += 4;
        n -= 4;
    }
    for (; n > 0; p++, n--) {
        h ^= (uint64_t)*p * XXH_P5;
        h = xxh_rotl(h, 11) * XXH_P1;
    }
    h ^= h >> 33;
    h *= XXH_P2;
    h ^= h >> 29;
    h *= XXH_P3;
    h ^= h >> 32;
    return h;
}

uint64_t mql_xxh64(const void *data, size_t n)
{
    mql_xxh64_state s;
    mql_xxh64_init(&s);
    mql_xxh64_update(&s, data, n);
    return mql_xxh64_digest(&s);
}

const char *mql_fmt_grouped(double v, char *buf, size_t cap)
{
    char raw[400];
    snprintf(raw, sizeof raw, "%.0f", v);
    size_t n = strlen(raw), o = 0, start = raw[0] == '-';
    if (cap == 0)
        return buf;
    if (start && o + 1 < cap)
        buf[o++] = '-';
    for (size_t i = start; i < n && o + 2 < cap; i++) {
        if (i > start && (n - i) % 3 == 0)
            buf[o++] = ',';
        buf[o++] = raw[i];
    }
    buf[o] = '\0';
    return buf;
}

/* An order-preserving key: flip all bits of negatives, set the sign bit of non-negatives, so
 * unsigned order equals numeric order. -0.0 is mapped to +0.0's key. */
uint64_t mql_sort_key(double d)
{
    uint64_t u;
    if (d == 0)
        d = 0.0;
    memcpy(&u, &d, sizeof u);
    return (u >> 63) ? ~u : u | UINT64_C(0x8000000000000000);
}

/* Histograms of all eight key bytes in one pass over the keys (the scatter passes then only
 * read the keys once each), and whether each byte varies at all: a byte every key shares
 * needs no pass. */
static void radix_counts(const uint64_t *a, size_t n, size_t count[8][257], int skip[8])
{
    memset(count, 0, 8 * 257 * sizeof count[0][0]);
    for (size_t i = 0; i < n; i++) {
        uint64_t k = a[i];
        for (int d = 0; d < 8; d++)
            count[d][((k >> (8 * d)) & 0xFF) + 1]++;
    }
    for (int d = 0; d < 8; d++) {
        skip[d] = count[d][((a[0] >> (8 * d)) & 0xFF) + 1] == n;
        for (int k = 0; k < 256; k++)
            count[d][k + 1] += count[d][k];
    }
}

static double key_double(uint64_t k)
{
    uint64_t u = (k >> 63) ? k & ~UINT64_C(0x8000000000000000) : ~k;
    double d;
    memcpy(&d, &u, sizeof d);
    return d;
}

int mql_sort_keys(uint64_t *a, uint64_t *b, size_t n)
{
    if (n < 2)
        return 0;
    size_t(*count)[257] = malloc(8 * sizeof *count);
    if (!count)
        return -1;
    int skip[8];
    uint64_t *src = a, *dst = b;
    radix_counts(a, n, count, skip);
    for (int d = 0; d < 8; d++) {
        if (skip[d])
            continue;
        size_t *c = count[d];
        int shift = 8 * d;
        for (size_t i = 0; i < n; i++)
            dst[c[(src[i] >> shift) & 0xFF]++] = src[i];
        uint64_t *t = src;
        src = dst;
        dst = t;
    }
    if (src != a)
        memcpy(a, src, n * sizeof *a);
    free(count);
    return 0;
}

int mql_sort_doubles(double *v, size_t n)
{
    if (n < 2)
        return 0;
    uint64_t *a = mql_alloc_big(n * sizeof *a), *b = mql_alloc_big(n * sizeof *b);
    int rc = a && b ? 0 : -1;
    for (size_t i = 0; rc == 0 && i < n; i++)
        a[i] = mql_sort_key(v[i]);
    if (rc == 0)
        rc = mql_sort_keys(a, b, n);
    for (size_t i = 0; rc == 0 && i < n; i++)
        v[i] = key_double(a[i]);
    free(a);
    free(b);
    return rc;
}

void *mql_alloc_big(size_t bytes)
{
    if (bytes < MQL_BIG_BYTES)
        return malloc(bytes ? bytes : 1);
    /* Whole 2 MiB pages: a partial last page would be filled in 4 KiB pages. */
    const size_t huge = (size_t)2 << 20;
    size_t padded = (bytes + huge - 1) / huge * huge;
    void *p = NULL;
    if (posix_memalign(&p, huge, padded) != 0)
        return NULL;
#ifdef MADV_HUGEPAGE
    madvise(p, padded, MADV_HUGEPAGE);   /* a hint: failure only costs speed */
#endif
    return p;
}

void *mql_alloc_big_filled(size_t bytes, int fill)
{
    void *p = mql_alloc_big(bytes);
    if (p)
        memset(p, fill, bytes);
    return p;
}

void *mql_realloc_big(void *p, size_t old, size_t bytes)
{
    if (bytes < MQL_BIG_BYTES)
        return realloc(p, bytes ? bytes : 1);
    void *q = mql_alloc_big(bytes);
    if (!q)
        return NULL;
    if (p)
        memcpy(q, p, old < bytes ? old : bytes);
    free(p);
    return q;
}

int mql_order_doubles(const double *v, size_t n, size_t *order, double *sorted)
{
    for (size_t i = 0; i < n; i++)
        order[i] = i;
    if (n < 2) {
        for (size_t i = 0; sorted && i < n; i++)
            sorted[i] = v[i] == 0 ? 0.0 : v[i];
        return 0;
    }
    uint64_t *a = mql_alloc_big(n * sizeof *a), *b = mql_alloc_big(n * sizeof *b);
    size_t *ib = mql_alloc_big(n * sizeof *ib);
    size_t(*count)[257] = malloc(8 * sizeof *count);
    if (!a || !b || !ib || !count) {
        free(a);
        free(b);
        free(ib);
        free(count);
        return -1;
    }
    int skip[8];
    for (size_t i = 0; i < n; i++)
        a[i] = mql_sort_key(v[i]);
    radix_counts(a, n, count, skip);
    size_t *ia = order, *ob = ib;
    for (int d = 0; d < 8; d++) {
        if (skip[d])
            continue;
        size_t *c = count[d];
        int shift = 8 * d;
        for (size_t i = 0; i < n; i++) {
            size_t at = c[(a[i] >> shift) & 0xFF]++;
            b[at] = a[i];
            ob[at] = ia[i];
        }
        uint64_t *t = a;
        a = b;
        b = t;
        size_t *u = ia;
        ia = ob;
        ob = u;
    }
    if (ia != order)
        memcpy(order, ia, n * sizeof *order);
    for (size_t i = 0; sorted && i < n; i++)
        sorted[i] = key_double(a[i]);
    free(a);
    free(b);
    free(ib);
    free(count);
    return 0;
}

/* GSL reports an error by calling its handler, whose default prints and calls abort(). Every GSL
 * status is checked where it is returned, so the library replaces that default (NULL) with
 * GSL's no-op handler once, the first time it is about to call GSL; a handler the program
 * installed itself is put back untouched. */
static void gsl_quiet_once(void)
{
    gsl_error_handler_t *prev = gsl_set_error_handler_off();
    if (prev)
        gsl_set_error_handler(prev);
}

void mql_gsl_quiet(void)
{
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    pthread_once(&once, gsl_quiet_once);
}

/* ---- parallel work items (mql_parallel_for) ---------------------------------------------- */

typedef struct col_pool {
    pthread_mutex_t mu;
    size_t next, n;
    int (*work)(void *ctx, size_t j);
    void *ctx;
    int failed;
} col_pool;

static void *pool_worker(void *arg)
{
    col_pool *p = arg;
    for (;;) {
        pthread_mutex_lock(&p->mu);
        size_t j = p->next++;
        pthread_mutex_unlock(&p->mu);
        if (j >= p->n)
            return NULL;
        if (p->work(p->ctx, j)) {
            pthread_mutex_lock(&p->mu);
            p->failed = 1;
            pthread_mutex_unlock(&p->mu);
        }
    }
}

int mql_parallel_for(size_t n, size_t n_threads, int (*work)(void *ctx, size_t j), void *ctx)
{
    col_pool p = {.n = n, .work = work, .ctx = ctx};
    pthread_mutex_init(&p.mu, NULL);
    pthread_t th[8];
    size_t started = 0;
    if (n_threads > 8)
        n_threads = 8;
    if (n_threads > n)
        n_threads = n;
    while (started + 1 < n_threads && pthread_create(&th[started], NULL, pool_worker, &p) == 0)
        started++;
    pool_worker(&p);
    for (size_t k = 0; k < started; k++)
        pthread_join(th[k], NULL);
    pthread_mutex_destroy(&p.mu);
    return p.failed;
}

size_t mql_cpu_count(void)
{
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    return cpus < 1 ? 1 : cpus > 8 ? 8 : (size_t)cpus;
}
