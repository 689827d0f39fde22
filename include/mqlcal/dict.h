/* dict.h: the dictionary a text column is built in while a CSV is read (table.c): distinct
 * strings in first-seen order with their counts, behind an open-addressing index, or, for
 * identifier columns, without one (raw mode: one entry per value, made distinct once the file
 * is read). Library-internal: table.c is its user. */
#ifndef MQLCAL_DICT_H
#define MQLCAL_DICT_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* Distinct strings in first-seen order with an open-addressing index. A slot holds the string's
 * hash (high 32 bits) and level + 1 (low 32 bits, 0 = empty), so probing a long table of
 * identifiers compares hashes without touching the level arrays. */
typedef struct mql_dict {
    uint64_t *slot;
    size_t mask;
    char **lev;
    uint32_t *len, *hash;
    size_t *count;
    size_t n, cap;
    /* Index-less mode (raw): no slot table and no hashes (hash is NULL); every value added is
     * a new entry (repeats too), its text in blocks of an arena instead of a malloc each.
     * Identifier columns take it once their first rows are nearly all distinct; raw_finish
     * makes the entries distinct levels. */
    int raw;
    char **blk;
    size_t n_blk, blk_used, blk_cap;
} mql_dict;

/* Frees everything d holds and zeroes it. */
void mql_dict_free(mql_dict *d);
/* Index of s (n bytes) in an indexed d, or -1. */
long mql_dict_find(const mql_dict *d, const char *s, size_t n);
/* Room for c levels in the level arrays (c > d->cap). Returns 0 or -1. */
int mql_dict_room(mql_dict *d, size_t c);
/* Adds cnt occurrences of s (n bytes) whose mql_str_hash is h to an indexed d: *code receives
 * its level. The string is copied, or when owned is not NULL (a malloc'd copy of s) taken over
 * or freed. Returns 0 or -1 (no memory; owned is then still the caller's). */
int mql_dict_put(mql_dict *d, const char *s, size_t n, uint32_t h, size_t cnt, char *owned,
                 uint32_t *code);
/* One occurrence of s (with its hash h, or hashed here). mql_dict_add also serves a raw d (a new
 * entry, as mql_dict_raw_add). Returns 0 or -1. */
int mql_dict_add_hashed(mql_dict *d, const char *s, size_t n, uint32_t h, uint32_t *code);
int mql_dict_add(mql_dict *d, const char *s, size_t n, uint32_t *code);

/* Raw mode. mql_dict_to_raw drops the index (levels move to the arena); mql_dict_raw_add adds s
 * as a new entry, repeats included; mql_dict_raw_finish makes the entries distinct levels in
 * first-seen order (equal texts found by a radix sort of 64-bit hashes, texts of equal hashes
 * compared), renumbering code[0..n_rows) and summing counts, the dictionary staying index-less
 * (without hashes); mql_dict_unraw gives it its index and hashes back (each level its
 * own string). Each returns 0 or -1. */
int mql_dict_to_raw(mql_dict *d);
int mql_dict_raw_add(mql_dict *d, const char *s, size_t n, uint32_t *code);
int mql_dict_raw_finish(mql_dict *d, uint32_t *code, size_t n_rows);
int mql_dict_unraw(mql_dict *d);
/* Appends the entries of raw dictionary from (every text in its arena) to raw d, in from's
 * order, taking over from's arena, which is left empty: from's entry k is d's entry *at + k.
 * What mql_dict_raw_finish makes of d is what it would make of one entry per row of from's
 * rows, since from's entries are in first-seen order and carry their counts. Returns 0 or -1
 * (no memory; both unchanged). */
int mql_dict_raw_append(mql_dict *d, mql_dict *from, size_t *at);

/* Whether the m 64-bit keys (text hashes, mql_xxh64) are pairwise distinct: partitioned in place
 * by their high bytes until a bucket (equal keys share one) has at most 32768 keys, each such
 * bucket then checked with a hash table of its positions, so no scratch grows with m (128 KiB
 * in all): the caller's keys are often a column's own array, which a copy as large would only
 * have added fresh memory to. key is left reordered. Returns 1, 0 (two keys are equal) or -1
 * (no memory; key unchanged). */
int mql_keys_distinct(uint64_t *key, size_t m);

/* The n < 8 bytes at s as a little-endian word (byte i in bits 8i .. 8i + 7, the rest 0), where
 * whole is the length of the string they end (the 8 bytes before s + n are in it when whole is
 * 8 or more). Read with at most three loads instead of a loop of n shifts, which was a third of
 * the hash of a category such as "Individual Contributor": the 8 bytes that end at s + n,
 * shifted, when the string has them, else loads of 4 or 1 bytes that overlap. The word is the
 * same either way; other byte orders keep the loop. */
static inline uint64_t mql_tail_word(const char *s, size_t n, size_t whole)
{
    uint64_t w = 0;
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    if (n == 0)
        return 0;
    if (whole >= 8) {
        memcpy(&w, s + n - 8, 8);
        return w >> (64 - 8 * n);
    }
    if (n >= 4) {
        uint32_t lo, hi;
        memcpy(&lo, s, 4);
        memcpy(&hi, s + n - 4, 4);
        return (uint64_t)lo | (uint64_t)hi << (8 * (n - 4));
    }
    return (uint64_t)(unsigned char)s[0] | (uint64_t)(unsigned char)s[n / 2] << (8 * (n / 2)) |
           (uint64_t)(unsigned char)s[n - 1] << (8 * (n - 1));
#else
    (void)whole;
    for (size_t i = 0; i < n; i++)
        w |= (uint64_t)(unsigned char)s[i] << (8 * i);
    return w;
#endif
}

/* A fast non-cryptographic hash of short strings, 8 bytes at a time. */
static inline uint32_t mql_str_hash(const char *s, size_t n)
{
    size_t whole = n;
    uint64_t h = UINT64_C(0x9E3779B97F4A7C15) ^ n;
    while (n >= 8) {
        uint64_t w;
        memcpy(&w, s, 8);
        h = (h ^ w) * UINT64_C(0xBF58476D1CE4E5B9);
        h ^= h >> 31;
        s += 8;
        n -= 8;
    }
    uint64_t w = mql_tail_word(s, n, whole);
    h = (h ^ w) * UINT64_C(0x94D049BB133111EB);
    h ^= h >> 29;
    h *= UINT64_C(0xBF58476D1CE4E5B9);
    return (uint32_t)(h >> 32);
}

/* Whether the n bytes at a and b are equal: compared 8 bytes at a time (the last 8 overlapping),
 * or 4 and 1 at a time below 8, inline, where memcmp costs a call per cell for a category's
 * dozen bytes. Reads nothing outside the n bytes. */
static inline int mql_span_eq(const char *a, const char *b, size_t n)
{
    uint64_t x, y;
    if (n >= 8) {
        for (size_t i = 0; i + 8 < n; i += 8) {
            memcpy(&x, a + i, 8);
            memcpy(&y, b + i, 8);
            if (x != y)
                return 0;
        }
        memcpy(&x, a + n - 8, 8);
        memcpy(&y, b + n - 8, 8);
        return x == y;
    }
    if (n >= 4) {
        uint32_t p, q, r, t;
        memcpy(&p, a, 4);
        memcpy(&q, b, 4);
        memcpy(&r, a + n - 4, 4);
        memcpy(&t, b + n - 4, 4);
        return p == q && r == t;
    }
    return n == 0 || (a[0] == b[0] && a[n / 2] == b[n / 2] && a[n - 1] == b[n - 1]);
}

/* The level of s (n bytes, mql_str_hash h) in indexed d, or -1 when it has none: the probe of
 * mql_dict_put without its call, for the cells of a category that is already a level (nearly
 * all of them). */
static inline long mql_dict_lookup(const mql_dict *d, const char *s, size_t n, uint32_t h)
{
    if (!d->slot)
        return -1;
    for (size_t i = h & d->mask; d->slot[i]; i = (i + 1) & d->mask) {
        uint64_t e = d->slot[i];
        size_t k = (uint32_t)e - 1;
        if ((uint32_t)(e >> 32) == h && d->len[k] == n && mql_span_eq(d->lev[k], s, n))
            return (long)k;
    }
    return -1;
}

/* Starts loading the slot where s will be looked up, when the table is too big for the cache. */
static inline void mql_dict_prefetch(const mql_dict *d, uint32_t h)
{
#if defined(__GNUC__)
    if (d->mask >= 4095)
        __builtin_prefetch(&d->slot[h & d->mask]);
#else
    (void)d;
    (void)h;
#endif
}

#endif
