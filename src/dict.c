/* dict.c: the text-column dictionary of dict.h: an indexed dictionary of distinct strings, and
 * the index-less (raw) mode identifier columns are read in. */
#define _DEFAULT_SOURCE
#include "mqlcal/dict.h"

#include <stdlib.h>
#include <string.h>

#include "mqlcal/common.h"
#include "mqlcal/table.h"     /* MQL_NA_CODE */

void mql_dict_free(mql_dict *d)
{
    if (d->lev && !d->blk)
        for (size_t i = 0; i < d->n; i++)
            free(d->lev[i]);
    for (size_t k = 0; k < d->n_blk; k++)
        free(d->blk[k]);
    free(d->blk);
    free(d->lev);
    free(d->slot);
    free(d->len);
    free(d->hash);
    free(d->count);
    memset(d, 0, sizeof *d);
}

static int dict_rehash(mql_dict *d, size_t n_slot)
{
    uint64_t *slot = mql_alloc_big_filled(n_slot * sizeof *slot, 0);
    if (!slot)
        return -1;
    size_t mask = n_slot - 1;
    for (size_t k = 0; k < d->n; k++) {
        size_t i = d->hash[k] & mask;
        while (slot[i])
            i = (i + 1) & mask;
        slot[i] = (uint64_t)d->hash[k] << 32 | (k + 1);
    }
    free(d->slot);
    d->slot = slot;
    d->mask = mask;
    return 0;
}

/* Index of s in d, or -1. */
long mql_dict_find(const mql_dict *d, const char *s, size_t n)
{
    return mql_dict_lookup(d, s, n, mql_str_hash(s, n));
}

/* Room for c levels in the level arrays (c > d->cap; large arrays in huge pages); a raw d has no
 * hashes to make room for. */
int mql_dict_room(mql_dict *d, size_t c)
{
    size_t n = d->n;
    char **l = mql_realloc_big(d->lev, n * sizeof *l, c * sizeof *l);
    if (!l)
        return -1;
    d->lev = l;
    uint32_t *ln = mql_realloc_big(d->len, n * sizeof *ln, c * sizeof *ln);
    if (!ln)
        return -1;
    d->len = ln;
    uint32_t *hs = d->raw ? NULL : mql_realloc_big(d->hash, n * sizeof *hs, c * sizeof *hs);
    if (!hs && !d->raw)
        return -1;
    d->hash = hs;
    size_t *cn = mql_realloc_big(d->count, n * sizeof *cn, c * sizeof *cn);
    if (!cn)
        return -1;
    d->count = cn;
    d->cap = c;
    return 0;
}

/* Room for one more level in the level arrays. Returns 0 or -1. */
static int dict_grow(mql_dict *d)
{
    if (d->n >= UINT32_MAX - 1)
        return -1;
    if (d->n < d->cap)
        return 0;
    return mql_dict_room(d, d->cap ? 2 * d->cap : 8);
}

/* Adds cnt occurrences of s (n bytes) whose mql_str_hash is h: *code receives its level. The
 * string is copied, or when owned is not NULL (a copy of s from malloc) taken over or freed.
 * Returns 0 or -1 (no memory; owned is then still the caller's). */
int mql_dict_put(mql_dict *d, const char *s, size_t n, uint32_t h, size_t cnt, char *owned,
                 uint32_t *code)
{
    if (!d->slot && dict_rehash(d, 16))
        return -1;
    size_t i = h & d->mask;
    for (; d->slot[i]; i = (i + 1) & d->mask) {
        uint64_t e = d->slot[i];
        uint32_t k = (uint32_t)e - 1;
        if ((uint32_t)(e >> 32) == h && d->len[k] == n && mql_span_eq(d->lev[k], s, n)) {
            d->count[k] += cnt;
            *code = k;
            free(owned);
            return 0;
        }
    }
    if (dict_grow(d))
        return -1;
    char *copy = owned ? owned : mql_strndup(s, n);
    if (!copy)
        return -1;
    size_t k = d->n++;
    d->lev[k] = copy;
    d->len[k] = (uint32_t)n;
    d->hash[k] = h;
    d->count[k] = cnt;
    d->slot[i] = (uint64_t)h << 32 | (k + 1);
    *code = (uint32_t)k;
    if (2 * d->n > d->mask + 1 && dict_rehash(d, 2 * (d->mask + 1)))
        return -1;
    return 0;
}

/* Adds one occurrence of s (n bytes) whose mql_str_hash is h: *code receives its level. Returns
 * 0 or -1 (no memory). */
int mql_dict_add_hashed(mql_dict *d, const char *s, size_t n, uint32_t h, uint32_t *code)
{
    return mql_dict_put(d, s, n, h, 1, NULL, code);
}

int mql_dict_add(mql_dict *d, const char *s, size_t n, uint32_t *code)
{
    if (d->raw)
        return mql_dict_raw_add(d, s, n, code);
    return mql_dict_add_hashed(d, s, n, mql_str_hash(s, n), code);
}

/* ---- index-less dictionaries (identifier columns) ------------------------------------------- */

#define RAW_BLOCK ((size_t)4 << 20)

/* A copy of s (n bytes, NUL added) in d's arena; NULL when out of memory. */
static char *raw_store(mql_dict *d, const char *s, size_t n)
{
    if (!d->n_blk || d->blk_used + n + 1 > d->blk_cap) {
        size_t cap = n + 1 > RAW_BLOCK ? n + 1 : RAW_BLOCK;
        char **b = realloc(d->blk, (d->n_blk + 1) * sizeof *b);
        if (!b)
            return NULL;
        d->blk = b;
        if (!(b[d->n_blk] = mql_alloc_big(cap)))
            return NULL;
        d->n_blk++;
        d->blk_used = 0;
        d->blk_cap = cap;
    }
    char *p = d->blk[d->n_blk - 1] + d->blk_used;
    memcpy(p, s, n);
    p[n] = '\0';
    d->blk_used += n + 1;
    return p;
}

/* Adds s as a new entry of the raw dictionary d (repeats included): *code receives it. */
int mql_dict_raw_add(mql_dict *d, const char *s, size_t n, uint32_t *code)
{
    char *p;
    if (dict_grow(d) || !(p = raw_store(d, s, n)))
        return -1;
    size_t k = d->n++;
    d->lev[k] = p;
    d->len[k] = (uint32_t)n;
    d->count[k] = 1;
    *code = (uint32_t)k;
    return 0;
}

int mql_dict_raw_append(mql_dict *d, mql_dict *from, size_t *at)
{
    size_t need = d->n + from->n;
    if (need >= UINT32_MAX - 1 || (need > d->cap && mql_dict_room(d, need)))
        return -1;
    if (from->n_blk) {
        char **b = realloc(d->blk, (d->n_blk + from->n_blk) * sizeof *b);
        if (!b)
            return -1;
        d->blk = b;
        memcpy(b + d->n_blk, from->blk, from->n_blk * sizeof *b);
        d->n_blk += from->n_blk;
        d->blk_used = from->blk_used;      /* from's last block is d's last now */
        d->blk_cap = from->blk_cap;
    }
    memcpy(d->lev + d->n, from->lev, from->n * sizeof *d->lev);
    memcpy(d->len + d->n, from->len, from->n * sizeof *d->len);
    memcpy(d->count + d->n, from->count, from->n * sizeof *d->count);
    *at = d->n;
    d->n = need;
    free(from->blk);           /* the blocks are d's: from is left empty */
    from->blk = NULL;
    from->n_blk = 0;
    from->n = 0;
    mql_dict_free(from);
    return 0;
}

/* Turns d index-less: its levels move to the arena, its slot table and hashes go (an
 * identifier's entries would otherwise carry 4 bytes each of nothing). Returns 0 or -1. */
int mql_dict_to_raw(mql_dict *d)
{
    for (size_t k = 0; k < d->n; k++) {
        char *p = raw_store(d, d->lev[k], d->len[k]);
        if (!p)
            return -1;
        free(d->lev[k]);
        d->lev[k] = p;
    }
    free(d->slot);
    free(d->hash);
    d->slot = NULL;
    d->hash = NULL;
    d->mask = 0;
    d->raw = 1;
    return 0;
}

/* Stable LSD radix sort of key[0..m) carrying idx (when not NULL), by bytes (a byte all keys
 * share is skipped); tk, ti are scratch of m entries. */
static void radix_u64(uint64_t *key, uint32_t *idx, uint64_t *tk, uint32_t *ti, size_t m)
{
    for (int byte = 0; byte < 8; byte++) {
        size_t cnt[256] = {0};
        int shift = 8 * byte;
        for (size_t k = 0; k < m; k++)
            cnt[(key[k] >> shift) & 0xFF]++;
        if (m && cnt[(key[0] >> shift) & 0xFF] == m)
            continue;
        size_t at = 0;
        for (int b = 0; b < 256; b++) {
            size_t c = cnt[b];
            cnt[b] = at;
            at += c;
        }
        for (size_t k = 0; k < m; k++) {
            size_t o = cnt[(key[k] >> shift) & 0xFF]++;
            tk[o] = key[k];
            if (idx)
                ti[o] = idx[k];
        }
        memcpy(key, tk, m * sizeof *key);
        if (idx)
            memcpy(idx, ti, m * sizeof *idx);
    }
}

/* ---- whether keys are distinct, sorted in place ---- */

/* A bucket of at most this many keys is checked with a table of at most 2^16 two-byte slots
 * (128 KiB, within the second-level cache) rather than partitioned further. */
#define KEYS_SMALL 32768

/* Whether the m <= KEYS_SMALL keys are pairwise distinct: each goes into an open-addressed
 * table (linear probing) of the least power of two >= 2m slots, a slot holding a key's
 * position + 1 (0: empty), from the top bits of the key's Fibonacci hash (its product with
 * 2^64 over the golden ratio), which mixes in every bit: the keys of one bucket share their high
 * bytes. slot has room for 2 * KEYS_SMALL. A handful of keys are compared pairwise. */
static int keys_distinct_small(const uint64_t *key, size_t m, uint16_t *slot)
{
    if (m < 16) {
        for (size_t q = 1; q < m; q++)
            for (size_t r = 0; r < q; r++)
                if (key[q] == key[r])
                    return 0;
        return 1;
    }
    unsigned lg = 5;
    while (((size_t)1 << lg) < 2 * m)
        lg++;
    size_t mask = ((size_t)1 << lg) - 1;
    memset(slot, 0, (mask + 1) * sizeof *slot);
    for (size_t k = 0; k < m; k++) {
        size_t h = (size_t)((key[k] * UINT64_C(0x9E3779B97F4A7C15)) >> (64 - lg));
        for (; slot[h]; h = (h + 1) & mask)
            if (key[slot[h] - 1] == key[k])
                return 0;
        slot[h] = (uint16_t)(k + 1);
    }
    return 1;
}

/* Whether the m keys, which agree above bit shift + 8, are pairwise distinct: partitioned in
 * place by their byte at shift (American flag sort: McIlroy, Bostic and McIlroy, "Engineering
 * radix sort", Computing Systems 6(1), 1993), then each byte's bucket on its own, since equal
 * keys share one: by the table when it is small enough, else by the next byte down (below the
 * lowest byte a bucket's keys are equal). Recurses at most 8 deep. */
static int keys_distinct_from(uint64_t *key, size_t m, int shift, uint16_t *slot)
{
    if (m <= KEYS_SMALL)
        return keys_distinct_small(key, m, slot);
    if (shift < 0)
        return 0;
    size_t head[256] = {0}, end[256];
    for (size_t k = 0; k < m; k++)
        head[(key[k] >> shift) & 0xFF]++;
    size_t at = 0;
    for (size_t b = 0; b < 256; b++) {
        size_t c = head[b];
        head[b] = at;
        at += c;
        end[b] = at;
    }
    /* head[b]: bucket b's first place not yet filled. The key there moves to its own bucket's
     * head, displacing the key it finds, and so on until a key belongs in b. Each step loads
     * from the head the last one named, so a bucket's next cache line is fetched a line ahead:
     * with 256 heads the hardware prefetcher does not follow them, and the chain of dependent
     * misses made the partition of 5M keys twice as slow. */
    for (size_t b = 0; b < 256; b++)
        while (head[b] < end[b]) {
            uint64_t v = key[head[b]];
            size_t d;
            while ((d = (v >> shift) & 0xFF) != b) {
                uint64_t t = key[head[d]];
                if (head[d] + 8 < end[d])
                    __builtin_prefetch(key + head[d] + 8, 1);
                key[head[d]++] = v;
                v = t;
            }
            key[head[b]++] = v;
        }
    int rc = 1;
    for (size_t b = 0, a = 0; b < 256 && rc; a = end[b++])
        rc = keys_distinct_from(key + a, end[b] - a, shift - 8, slot);
    return rc;
}

int mql_keys_distinct(uint64_t *key, size_t m)
{
    uint16_t *slot = malloc(2 * KEYS_SMALL * sizeof *slot);
    if (!slot)
        return -1;
    int rc = keys_distinct_from(key, m, 56, slot);
    free(slot);
    return rc;
}

/* Whether the entries of raw d are pairwise distinct by their 64-bit hashes (then their texts
 * differ): the hashes alone, 8 bytes per entry instead of the 28 of the full grouping
 * (mql_keys_distinct). Returns 1, 0 (some hashes are equal: the full grouping decides), -1 (no
 * memory). */
static int raw_hashes_distinct(const mql_dict *d)
{
    size_t m = d->n;
    uint64_t *key = mql_alloc_big((m ? m : 1) * sizeof *key);
    if (!key)
        return -1;
    for (size_t k = 0; k < m; k++)
        key[k] = mql_xxh64(d->lev[k], d->len[k]);
    int rc = mql_keys_distinct(key, m);
    free(key);
    return rc;
}

/* Makes the entries of a raw dictionary distinct levels in first-seen order (entries are added
 * in row order, so the first of equal entries is the first occurrence): equal texts are found by
 * sorting their 64-bit hashes and comparing the texts of equal hashes; code[0..n_rows) is
 * renumbered and counts are summed. d stays index-less (mql_dict_unraw makes it an ordinary one).
 * Returns 0 or -1. */
int mql_dict_raw_finish(mql_dict *d, uint32_t *code, size_t n_rows)
{
    size_t m = d->n;
    /* An identifier column: every entry its own level, codes unchanged, counts 1. */
    int distinct = raw_hashes_distinct(d);
    if (distinct < 0)
        return -1;
    if (distinct)
        return 0;
    uint64_t *key = mql_alloc_big((m ? m : 1) * sizeof *key);
    uint64_t *tk = mql_alloc_big((m ? m : 1) * sizeof *tk);
    uint32_t *idx = mql_alloc_big((m ? m : 1) * sizeof *idx);
    uint32_t *ti = mql_alloc_big((m ? m : 1) * sizeof *ti);
    uint32_t *rep = mql_alloc_big((m ? m : 1) * sizeof *rep);
    int rc = -1;
    if (!key || !tk || !idx || !ti || !rep)
        goto out;
    for (size_t k = 0; k < m; k++) {
        key[k] = mql_xxh64(d->lev[k], d->len[k]);
        idx[k] = (uint32_t)k;
    }
    radix_u64(key, idx, tk, ti, m);
    /* rep[k]: the first entry equal to k. Within a run of equal hashes the entries ascend (the
     * sort is stable); each is compared with the run's distinct texts so far (nearly always
     * one). */
    for (size_t a = 0; a < m;) {
        size_t b = a + 1;
        while (b < m && key[b] == key[a])
            b++;
        for (size_t q = a; q < b; q++) {
            uint32_t k = idx[q];
            rep[k] = k;
            for (size_t r = a; r < q; r++) {
                uint32_t e = idx[r];
                if (rep[e] == e && d->len[e] == d->len[k] &&
                    memcmp(d->lev[e], d->lev[k], d->len[k]) == 0) {
                    rep[k] = e;
                    break;
                }
            }
        }
        a = b;
    }
    /* Levels in entry order; in place, since a level's slot is never after its first entry. */
    uint32_t *lvl = ti;
    size_t L = 0;
    for (size_t k = 0; k < m; k++) {
        if (rep[k] == k) {
            lvl[k] = (uint32_t)L;
            d->lev[L] = d->lev[k];
            d->len[L] = d->len[k];
            d->count[L] = d->count[k];
            L++;
        } else {
            lvl[k] = lvl[rep[k]];
            d->count[lvl[k]] += d->count[k];
        }
    }
    d->n = L;
    for (size_t i = 0; i < n_rows; i++)
        if (code[i] != MQL_NA_CODE)
            code[i] = lvl[code[i]];
    rc = 0;
out:
    free(key);
    free(tk);
    free(idx);
    free(ti);
    free(rep);
    return rc;
}

/* An ordinary dictionary again (each level its own string, the slot table rebuilt) from a raw
 * one that mql_dict_raw_finish made distinct. Returns 0 or -1. */
int mql_dict_unraw(mql_dict *d)
{
    char **own = malloc((d->cap ? d->cap : 1) * sizeof *own);
    uint32_t *hash = mql_alloc_big((d->cap ? d->cap : 1) * sizeof *hash);
    size_t k = 0;
    while (own && hash && k < d->n && (own[k] = mql_strndup(d->lev[k], d->len[k])))
        k++;
    if (!own || !hash || k < d->n) {
        while (own && k)
            free(own[--k]);
        free(own);
        free(hash);
        return -1;
    }
    for (k = 0; k < d->n; k++)     /* (raw entries carry no hash) */
        hash[k] = mql_str_hash(d->lev[k], d->len[k]);
    free(d->hash);
    d->hash = hash;
    free(d->lev);
    d->lev = own;
    for (size_t b = 0; b < d->n_blk; b++)
        free(d->blk[b]);
    free(d->blk);
    d->blk = NULL;
    d->n_blk = d->blk_used = d->blk_cap = 0;
    d->raw = 0;
    size_t slots = 16;
    while (slots <= 2 * d->n)
        slots *= 2;
    return dict_rehash(d, slots);
}
