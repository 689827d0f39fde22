/* common.h: status codes, the caller-owned error message, and small helpers every module shares.
 * Library modules return an mql_status and describe failures in an mql_err; only cmd_*.c print. */
#ifndef MQLCAL_COMMON_H
#define MQLCAL_COMMON_H

#include <stddef.h>
#include <stdint.h>

#define MQL_VERSION "0.1.0"

/* Status codes double as the process exit codes (see README "Exit codes"). */
typedef enum mql_status {
    MQL_OK = 0,
    MQL_EDATA = 1,    /* the data or a model is invalid: bad CSV, missing column, no positives... */
    MQL_EUSAGE = 2,   /* bad command line */
    MQL_EIO = 3,      /* a file could not be opened, read or written */
    MQL_ENOCONV = 4,  /* the fit did not converge */
    MQL_ENOMEM = 5    /* out of memory or an internal limit */
} mql_status;

/* A caller-owned error message. Modules fill it with context such as
 * "leads.csv:42: column 'acv': 'twelve' is not a number". */
typedef struct mql_err {
    char msg[1024];
} mql_err;

/* Formats into err (NULL-safe) and returns status, so callers can write
 * `return mql_err_set(err, MQL_EDATA, "...", ...);`. */
int mql_err_set(mql_err *err, int status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Prefixes an existing message: "context: old message". */
int mql_err_prefix(mql_err *err, int status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* strdup that returns NULL on NULL input (and on failure). */
char *mql_strdup(const char *s);
char *mql_strndup(const char *s, size_t n);

/* Case-insensitive ASCII comparison (locale independent). */
int mql_strcasecmp(const char *a, const char *b);

/* Blanks (space, tab) around [s, s+n) trimmed: sets *start and returns the trimmed length.
 * Inline: cell reading and rule matching call it for every cell scored. */
static inline size_t mql_trim_span(const char *s, size_t n, const char **start)
{
    while (n && (*s == ' ' || *s == '\t'))
        s++, n--;
    while (n && (s[n - 1] == ' ' || s[n - 1] == '\t'))
        n--;
    *start = s;
    return n;
}
/* A trimmed copy of s (NULL on allocation failure). */
char *mql_trim_dup(const char *s);
/* Whether [a, a+na) and [b, b+nb) are equal ignoring ASCII case (inline: per-cell hot path). */
static inline int mql_span_ieq(const char *a, size_t na, const char *b, size_t nb)
{
    if (na != nb)
        return 0;
    for (size_t i = 0; i < na; i++) {
        unsigned char x = (unsigned char)a[i], y = (unsigned char)b[i];
        if (x != y && (x | 0x20) != (y | 0x20))
            return 0;
        if (x != y && !((x | 0x20) >= 'a' && (x | 0x20) <= 'z'))
            return 0;
    }
    return 1;
}

/* The shortest "%.Ng" (15 <= N <= 17) that reads back as v: 3, 2.5, 9.9999999999999982. */
void mql_fmt_shortest(double v, char *buf, size_t cap);
/* Whether v is an integer that a double holds exactly (|v| < 2^53). */
int mql_is_integral(double v);
/* 1 / (1 + exp(-eta)) without overflow for large |eta|. */
double mql_logistic(double eta);

/* Parses a whole string as a double with strtod semantics: returns 0 and sets *out only when the
 * entire string (after optional surrounding blanks) is a finite number. */
int mql_parse_double(const char *s, double *out);

/* Parses a whole string as a long in [lo, hi]; returns 0 on success. */
int mql_parse_long(const char *s, long lo, long hi, long *out);

/* XXH64 with seed 0 (Y. Collet's xxHash, 64-bit variant; `xxh64sum FILE` prints the same value):
 * the training-data fingerprint of a file's bytes. It takes 32 bytes a step on four independent
 * lanes, about 20 times faster than FNV-1a's byte-at-a-time multiply chain. Streaming use:
 * mql_xxh64_init, mql_xxh64_update with the bytes in order (any split gives the same result),
 * mql_xxh64_digest (which leaves the state usable). */
typedef struct mql_xxh64_state {
    uint64_t v[4];
    uint64_t total;          /* bytes seen */
    unsigned char buf[32];   /* a partial stripe */
    size_t n_buf;
} mql_xxh64_state;
void mql_xxh64_init(mql_xxh64_state *s);
void mql_xxh64_update(mql_xxh64_state *s, const void *data, size_t n);
uint64_t mql_xxh64_digest(const mql_xxh64_state *s);
/* One shot: XXH64 of n bytes at data. */
uint64_t mql_xxh64(const void *data, size_t n);

/* v rounded to a whole number with thousands separators ("-1,234,567") into buf; returns buf.
 * Counts up to 2^53 pass through exactly. For display only (machine output keeps full digits). */
const char *mql_fmt_grouped(double v, char *buf, size_t cap);

/* Sorts n finite or infinite doubles ascending (no NaN; -0 and +0 compare equal, and a -0 comes
 * back as +0) by an LSD radix sort on the IEEE bit patterns: O(n), about 27 ms per million
 * values here, allocation included, against about 100 ms for qsort. Returns 0, or -1 when the
 * n-element scratch buffer cannot be allocated (v is then unchanged). */
int mql_sort_doubles(double *v, size_t n);
/* The order key of a non-NaN double: keys compare as unsigned integers in the doubles' order,
 * -0 as +0. */
uint64_t mql_sort_key(double d);
/* Sorts the keys a[0..n) ascending (LSD radix, bytes every key shares skipped) with scratch b
 * (n keys); the result ends in a. Returns 0 or -1 (no memory). */
int mql_sort_keys(uint64_t *a, uint64_t *b, size_t n);

/* The stable ascending order of n doubles (no NaN; -0 and +0 compare equal): fills order[0..n)
 * with the indices of v so that v[order[0]] <= v[order[1]] <= ..., equal values in index order,
 * which is the order a stable comparison sort (glibc's merge-sort qsort) gives. The same radix
 * sort as mql_sort_doubles carrying the indices along. sorted (NULL: not wanted) receives the
 * values in that order (a -0 as +0), saving callers a gather through order. Returns 0, or -1
 * when scratch cannot be allocated (order then holds 0..n-1, sorted is unset). */
int mql_order_doubles(const double *v, size_t n, size_t *order, double *sorted);

/* Makes sure a GSL error cannot abort the process: when GSL's error handler is still its default
 * (print and abort), installs GSL's no-op handler; a handler the program set is kept. Called
 * by every library function before it calls GSL, so a program linking the library need not
 * know about GSL's global handler. Thread-safe; does the work once. */
void mql_gsl_quiet(void);

/* malloc for large arrays: from MQL_BIG_BYTES on, whole 2 MiB pages, aligned and marked for
 * transparent huge pages before the first touch, so filling it costs a page fault per 2 MiB rather than per
 * 4 KiB (on a virtual machine a fault costs microseconds; a million-row table touches hundreds of
 * MB). Freed with free(). */
#define MQL_BIG_BYTES ((size_t)2 << 20)
void *mql_alloc_big(size_t bytes);
/* mql_alloc_big with every byte set to fill. */
void *mql_alloc_big_filled(size_t bytes, int fill);
/* Resizes p (old bytes, from malloc or mql_alloc_big) to bytes, keeping the first min(old,
 * bytes); large sizes move to a fresh mql_alloc_big block. NULL on failure (p is kept). */
void *mql_realloc_big(void *p, size_t old, size_t bytes);

/* Runs work(ctx, j) for j = 0 .. n-1 on up to n_threads threads (at most 8, the caller's thread
 * among them), each taking the next j as it finishes: for items whose costs differ by orders of
 * magnitude (an identifier column against a 0/1 flag). work returns nonzero on failure; so does
 * this when some item failed (every item is still run). A thread that cannot be started leaves its
 * share to the others. */
int mql_parallel_for(size_t n, size_t n_threads, int (*work)(void *ctx, size_t j), void *ctx);
/* Online CPUs, between 1 and 8. */
size_t mql_cpu_count(void);

#endif
