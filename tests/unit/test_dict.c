/* test_dict.c: the index-less (raw) dictionary identifier columns are read in, against the
 * indexed dictionary on the same rows: mql_dict_raw_finish (levels in first-seen order, counts,
 * codes), its all-distinct route and mql_dict_raw_append (a later part's entries taken whole,
 * as the parallel reader merges); mql_keys_distinct, which partitions keys in place, against a
 * sort of a copy; the string hash's word-wise tail against the byte loop it replaced, and
 * mql_span_eq. */
#include "testutil.h"

#include "mqlcal/dict.h"
#include "mqlcal/table.h"

/* The text of row i for a scheme: every row its own value except the rows `dup` names, which
 * repeat an earlier row's value. */
static void row_text(char *buf, size_t cap, size_t i, size_t n, int scheme)
{
    size_t v = i;
    if (scheme == 1 && i == n - 1)
        v = 3;                      /* one repeat, far from its first occurrence */
    else if (scheme == 2 && i % 7 == 6)
        v = i / 3;                  /* many repeats, at every distance */
    snprintf(buf, cap, "id-%zu", v);
}

/* Builds the rows [from, to) into d: the first `indexed` through the index, then raw. */
static void fill(mql_dict *d, uint32_t *code, size_t from, size_t to, size_t n, int scheme,
                 size_t indexed)
{
    char buf[64];
    for (size_t i = from; i < to; i++) {
        if (i - from == indexed) {
            assert_int_equal(mql_dict_to_raw(d), 0);
            assert_null(d->hash);       /* an identifier's entries carry no hash */
        }
        row_text(buf, sizeof buf, i, n, scheme);
        assert_int_equal(mql_dict_add(d, buf, strlen(buf), &code[i]), 0);
    }
    if (to - from <= indexed)
        assert_int_equal(mql_dict_to_raw(d), 0);
}

/* d (after raw_finish, codes c) equals the indexed dictionary e (codes ce) on n rows. */
static void assert_same(const mql_dict *d, const uint32_t *c, const mql_dict *e,
                        const uint32_t *ce, size_t n)
{
    assert_int_equal(d->n, e->n);
    for (size_t k = 0; k < d->n; k++) {
        assert_int_equal(d->len[k], e->len[k]);
        assert_memory_equal(d->lev[k], e->lev[k], e->len[k]);
        assert_int_equal(d->count[k], e->count[k]);
    }
    for (size_t i = 0; i < n; i++)
        if (c[i] != ce[i])
            fail_msg("row %zu: level %u against %u", i, c[i], ce[i]);
}

static void check(size_t n, int scheme, size_t split, size_t indexed)
{
    uint32_t *c = malloc(n * sizeof *c), *ce = malloc(n * sizeof *ce);
    assert_non_null(c);
    assert_non_null(ce);
    mql_dict e = {0};
    char buf[64];
    for (size_t i = 0; i < n; i++) {
        row_text(buf, sizeof buf, i, n, scheme);
        assert_int_equal(mql_dict_add(&e, buf, strlen(buf), &ce[i]), 0);
    }
    mql_dict a = {0}, b = {0};
    fill(&a, c, 0, split, n, scheme, indexed);
    if (split < n) {            /* a second part, merged as the parallel reader does */
        fill(&b, c, split, n, n, scheme, indexed);
        size_t at;
        assert_int_equal(mql_dict_raw_append(&a, &b, &at), 0);
        assert_int_equal(b.n, 0);
        for (size_t i = split; i < n; i++)
            c[i] += (uint32_t)at;
    }
    assert_int_equal(mql_dict_raw_finish(&a, c, n), 0);
    assert_same(&a, c, &e, ce, n);
    /* the index back: every level found where it is */
    assert_int_equal(mql_dict_unraw(&a), 0);
    for (size_t k = 0; k < a.n; k += 997)
        assert_int_equal(mql_dict_find(&a, a.lev[k], a.len[k]), (long)k);
    mql_dict_free(&a);
    mql_dict_free(&b);
    mql_dict_free(&e);
    free(c);
    free(ce);
}

/* Enough rows (300,000) that the all-distinct check (mql_keys_distinct) partitions the hashes
 * by their top byte before it checks a bucket with its table; a repeat far from its first
 * occurrence must meet it in one bucket. */
static void test_raw_finish(void **state)
{
    (void)state;
    enum { N = 300000 };
    for (int scheme = 0; scheme < 3; scheme++)
        check(N, scheme, N, 100);
}

static void test_raw_append(void **state)
{
    (void)state;
    enum { N = 120000 };
    for (int scheme = 0; scheme < 3; scheme++) {
        check(N, scheme, N / 2, 100);       /* both parts index-less after 100 rows */
        check(N, scheme, N / 3, 30000);     /* long indexed stretches (counts above 1) */
    }
    check(N, 2, N, 100);
    check(1000, 2, 0, 10);                  /* part 0 without rows */
}

/* ---- mql_keys_distinct ---- */

/* The next of a fixed sequence of well-mixed 64-bit words (splitmix64, Steele, Lea and Flood
 * 2014): keys like mql_xxh64's, the same on every run. */
static uint64_t splitmix(uint64_t *s)
{
    uint64_t z = (*s += UINT64_C(0x9E3779B97F4A7C15));
    z = (z ^ (z >> 30)) * UINT64_C(0xBF58476D1CE4E5B9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94D049BB133111EB);
    return z ^ (z >> 31);
}

static int cmp_key(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

/* mql_keys_distinct on key[0..m) (what's names the case) equals the answer of a sorted copy
 * (two equal neighbours: not distinct), which is what the two 16-bit passes with m keys of
 * scratch it replaced answered, and leaves the same keys, reordered. */
static void check_keys(uint64_t *key, size_t m, const char *what)
{
    uint64_t *want = malloc((m ? m : 1) * sizeof *want);
    assert_non_null(want);
    memcpy(want, key, m * sizeof *key);
    qsort(want, m, sizeof *want, cmp_key);
    int distinct = 1;
    for (size_t k = 1; k < m; k++)
        distinct = distinct && want[k] != want[k - 1];
    int got = mql_keys_distinct(key, m);
    if (got != distinct)
        fail_msg("%s, %zu keys: %d, expected %d", what, m, got, distinct);
    qsort(key, m, sizeof *key, cmp_key);
    if (m && memcmp(key, want, m * sizeof *key) != 0)
        fail_msg("%s, %zu keys: the keys changed", what, m);
    free(want);
}

/* Sizes on either side of each route: pairwise (under 16 keys), one table (up to 32768), one
 * partition by the top byte (a few hundred thousand); keys all distinct, with one repeat (the
 * last key the same as one a third of the way in, or the first two the same) and with many
 * (every 7th key an earlier one). */
static void test_keys_distinct_random(void **state)
{
    (void)state;
    static const size_t sizes[] = {0, 1, 2, 3, 15, 16, 17, 1000, 32768, 32769, 300000};
    uint64_t *key = malloc(300000 * sizeof *key);
    assert_non_null(key);
    for (size_t z = 0; z < sizeof sizes / sizeof *sizes; z++) {
        size_t m = sizes[z];
        for (int scheme = 0; scheme < 4; scheme++) {
            uint64_t s = 42 + m;
            for (size_t k = 0; k < m; k++)
                key[k] = splitmix(&s);
            if (scheme == 1 && m >= 2)
                key[m - 1] = key[m / 3];
            if (scheme == 2 && m >= 2)
                key[1] = key[0];
            if (scheme == 3)
                for (size_t k = 6; k < m; k += 7)
                    key[k] = key[k / 3];
            char what[32];
            snprintf(what, sizeof what, "scheme %d", scheme);
            check_keys(key, m, what);
        }
    }
    free(key);
}

/* Keys that a partition by the top byte does not separate: 65536 keys sharing their top six
 * bytes (partitioned down to the second-lowest byte before the tables; distinct, then with one
 * repeat), 40000 sharing their high 32 bits (the old check's runs), 40000 equal keys (below the
 * lowest byte: not distinct), the extreme keys 0 and 2^64 - 1 among others, and a repeat in
 * the top byte's first bucket and in its last. */
static void test_keys_distinct_shared(void **state)
{
    (void)state;
    enum { M = 65536 };
    uint64_t *key = malloc(M * sizeof *key);
    assert_non_null(key);
    uint64_t high = UINT64_C(0xA5C3E1F00F1E) << 16;
    for (size_t k = 0; k < M; k++)
        key[k] = high | (uint64_t)((k * 40503u) & 0xFFFF);      /* (a permutation of 0..65535) */
    check_keys(key, M, "top six bytes shared");
    for (size_t k = 0; k < M; k++)
        key[k] = high | (uint64_t)((k * 40503u) & 0xFFFF);
    key[M - 1] = key[17];
    check_keys(key, M, "top six bytes shared, one repeat");
    for (size_t k = 0; k < 40000; k++)
        key[k] = (UINT64_C(0x12345678) << 32) | (uint64_t)(k * 2654435761u);
    check_keys(key, 40000, "high halves shared");
    key[39999] = key[0];
    check_keys(key, 40000, "high halves shared, one repeat");
    for (size_t k = 0; k < 40000; k++)
        key[k] = UINT64_C(0x0123456789ABCDEF);
    check_keys(key, 40000, "all equal");
    uint64_t s = 7;
    for (size_t k = 0; k < 40000; k++)
        key[k] = splitmix(&s);
    key[100] = 0;
    key[30000] = UINT64_MAX;
    check_keys(key, 40000, "0 and 2^64 - 1 among them");
    key[39000] = 0;
    check_keys(key, 40000, "0 twice");
    for (int top = 0; top < 256; top += 255) {      /* a repeat in the first and last bucket */
        s = 9;
        for (size_t k = 0; k < 40000; k++)
            key[k] = splitmix(&s);
        key[7] = (key[7] & ~(UINT64_C(0xFF) << 56)) | (uint64_t)top << 56;
        key[39999] = key[7];
        check_keys(key, 40000, top ? "a repeat in the last bucket" : "a repeat in the first");
    }
    free(key);
}

/* mql_str_hash as it was written before its tail was read in whole words: the tail's bytes
 * shifted in one at a time. The word loads must give the same hash (the levels' slots, and so
 * nothing else, depend on it, but a different word would be a different function). */
static uint32_t hash_bytewise(const char *s, size_t n)
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

/* Every length from 0 to 40 at every alignment, bytes above 0x7f included, so each route of the
 * tail (one to three bytes, four to seven, the overlapping word after whole words) is taken. */
static void test_hash_tail(void **state)
{
    (void)state;
    char buf[64];
    for (size_t i = 0; i < sizeof buf; i++)
        buf[i] = (char)(0x9d * (i + 1) ^ 0x5a);
    for (size_t off = 0; off < 8; off++)
        for (size_t n = 0; n + off <= 48; n++)
            if (mql_str_hash(buf + off, n) != hash_bytewise(buf + off, n))
                fail_msg("length %zu at offset %zu: %08x against %08x", n, off,
                         mql_str_hash(buf + off, n), hash_bytewise(buf + off, n));
}

/* mql_span_eq finds a difference in any one byte of spans of 0 to 40 bytes, the high bit too,
 * and nothing when the spans are equal but at different addresses. */
static void test_span_eq(void **state)
{
    (void)state;
    char a[48], b[48];
    for (size_t i = 0; i < sizeof a; i++)
        a[i] = (char)('a' + i % 26);
    for (size_t n = 0; n <= 40; n++) {
        memcpy(b + 3, a, n);
        assert_true(mql_span_eq(a, b + 3, n));
        for (size_t p = 0; p < n; p++) {
            for (int bit = 0; bit < 8; bit += 7) {
                b[3 + p] = (char)(a[p] ^ (1 << bit));
                if (mql_span_eq(a, b + 3, n) || mql_span_eq(b + 3, a, n))
                    fail_msg("length %zu: byte %zu (bit %d) differs, found equal", n, p, bit);
                b[3 + p] = a[p];
            }
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_raw_finish),
        cmocka_unit_test(test_raw_append),
        cmocka_unit_test(test_keys_distinct_random),
        cmocka_unit_test(test_keys_distinct_shared),
        cmocka_unit_test(test_hash_tail),
        cmocka_unit_test(test_span_eq),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
