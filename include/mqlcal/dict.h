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
    /* Index-less mode (raw): no slot table; every value added is a new entry (repeats too),
     * its text in blocks of an arena instead of a malloc each. Identifier columns take it once
     * their first rows are nearly all distinct; raw_finish makes the entries distinct levels. */
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
 * (its hash entries not set); mql_dict_unraw gives it its index and hashes back (each level its
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

/* A fast non-cryptographic hash of short strings, 8 bytes at a time. */
static inline uint32_t mql_str_hash(const char *s, size_t n)
{
    uint64_t h = UINT64_C(0x9E3779B97F4A7C15) ^ n;
    while (n >= 8) {
        uint64_t w;
        memcpy(&w, s, 8);
        h = (h ^ w) * UINT64_C(0xBF58476D1CE4E5B9);
        h ^= h >> 31;
        s += 8;
        n -= 8;
    }
    uint64_t w = 0;
    for (size_t i = 0; i < n; i++)
        w |= (uint64_t)(unsigned char)s[i] << (8 * i);
    h = (h ^ w) * UINT64_C(0x94D049BB133111EB);
    h ^= h >> 29;
    h *= UINT64_C(0xBF58476D1CE4E5B9);
    return (uint32_t)(h >> 32);
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
