/* test_dict.c: the index-less (raw) dictionary identifier columns are read in, against the
 * indexed dictionary on the same rows: mql_dict_raw_finish (levels in first-seen order, counts,
 * codes), its all-distinct route (the hashes sorted by their high halves) and
 * mql_dict_raw_append (a later part's entries taken whole, as the parallel reader merges); the
 * string hash's word-wise tail against the byte loop it replaced, and mql_span_eq. */
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

/* Enough rows (300,000) that the buckets of one 16-bit pass hold several hashes each: a repeat
 * far from its first occurrence is only found when the sort uses all 32 high bits. */
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
        cmocka_unit_test(test_hash_tail),
        cmocka_unit_test(test_span_eq),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
