/* test_design_scan.c: the numeric columns' scan before encoding (design_scan.c): counts with
 * and without frequency weights (fractions rounded, zero and negative weights), missing cells,
 * whole numbers, the range; several columns, so that the second thread takes some, each column
 * against a hand count. Then the scan the reader keeps (table_infer.c) against a pass over the
 * same values, and the designs built from it against designs built by passes: a plain read in
 * one and several parts, subsets and views, weights, a cache hit. */
#include "testutil_table.h"
#include "testutil_cache.h"

#include "mqlcal/design_scan.h"

#include <string.h>

#include "mqlcal/common.h"
#include "mqlcal/design.h"
#include "mqlcal/table_cache.h"
#include "mqlcal/table_ops.h"

static void test_scan_counts(void **state)
{
    (void)state;
    double a[6] = {1.0, NAN, -3.0, 2.0, NAN, 7.0};          /* whole */
    double b[6] = {0.5, 2.0, NAN, -1e300, 4.0, 3.0};        /* one fraction */
    double c[6] = {NAN, NAN, NAN, NAN, NAN, NAN};           /* all missing */
    double d[6] = {9007199254740992.0, 1.0, 2.0, 3.0, 4.0, 5.0};   /* 2^53: not whole here */
    double w[6] = {1.0, 2.4, 0.0, 2.6, -1.0, 0.2};          /* leads: 1 2 0 3 0 0 */
    mql_column cols[4] = {{.name = "a", .num = a}, {.name = "b", .num = b},
                          {.name = "c", .num = c}, {.name = "d", .num = d}};
    mql_numeric_scan sc[8];
    for (size_t k = 0; k < 8; k++)
        sc[k] = (mql_numeric_scan){.col = &cols[k % 4], .n_rows = 6, .w = k < 4 ? NULL : w};
    mql_design_scan_numeric(sc, 8);
    /* unweighted */
    assert_int_equal(sc[0].nv, 4);
    assert_int_equal(sc[0].na, 2);
    assert_int_equal(sc[0].integer, 1);
    assert_true(sc[0].lo == -3.0 && sc[0].hi == 7.0);
    assert_int_equal(sc[1].nv, 5);
    assert_int_equal(sc[1].integer, 0);
    assert_true(sc[1].lo == -1e300 && sc[1].hi == 4.0);
    assert_int_equal(sc[2].nv, 0);
    assert_int_equal(sc[2].na, 6);
    assert_true(isinf(sc[2].lo) && sc[2].lo > 0 && isinf(sc[2].hi) && sc[2].hi < 0);
    assert_int_equal(sc[3].integer, 0);
    /* weighted: a value counts its rounded weight, a weight-0 row only when missing (0 leads) */
    assert_int_equal(sc[4].nv, 1 + 3);          /* rows 0 and 3; rows 2 and 5 weigh 0 */
    assert_int_equal(sc[4].na, 2 + 0);          /* rows 1 and 4 */
    assert_true(sc[4].lo == 1.0 && sc[4].hi == 2.0);
    assert_int_equal(sc[5].nv, 1 + 2 + 3);      /* rows 0, 1, 3 */
    assert_int_equal(sc[5].integer, 0);         /* 0.5 */
    assert_true(sc[5].lo == -1e300 && sc[5].hi == 2.0);
    assert_int_equal(sc[6].na, 1 + 2 + 0 + 3 + 0 + 0);
    assert_int_equal(sc[7].nv, 1 + 2 + 3);
    assert_int_equal(sc[7].integer, 0);         /* row 0 counts, 2^53 */
    /* one column: no thread */
    mql_numeric_scan one = {.col = &cols[0], .n_rows = 6};
    mql_design_scan_numeric(&one, 1);
    assert_int_equal(one.nv, 4);
    assert_int_equal(mql_design_row_weight(w, 1), 2);
    assert_int_equal(mql_design_row_weight(w, 4), 0);
    assert_int_equal(mql_design_row_weight(NULL, 4), 1);
}

/* The scan before design_scan.c's unweighted route (scan_plain): one loop, mql_is_integral per
 * value until the first fraction. */
static mql_numeric_scan old_scan(const double *v, size_t n)
{
    mql_numeric_scan sc = {.nv = 0, .na = 0, .integer = 1, .lo = INFINITY, .hi = -INFINITY};
    for (size_t r = 0; r < n; r++) {
        double x = v[r];
        if (isnan(x)) {
            sc.na++;
            continue;
        }
        sc.nv++;
        if (sc.integer && !mql_is_integral(x))
            sc.integer = 0;
        sc.lo = x < sc.lo ? x : sc.lo;
        sc.hi = x > sc.hi ? x : sc.hi;
    }
    return sc;
}

/* The unweighted route against the old scan, bit for bit (the extremes' zero signs too), on
 * columns whose one odd value sits in any block: whole numbers at and around 2^52 and 2^53
 * (whole below 2^53, "not whole" from 2^53 on, as mql_is_integral says), halves that round
 * to even, -0 and 0 in either order, missing cells, lengths around the 1,024-row blocks. */
static void test_plain_route_equals_old(void **state)
{
    (void)state;
    const double odd[] = {0.5, -0.5, 1.5, 2.5, 4503599627370495.5, 4503599627370496.0,
                          4503599627370497.0, 9007199254740991.0, 9007199254740992.0,
                          -9007199254740992.0, 1e300, -1e300, 1e-300, -0.0, 0.0, NAN,
                          3.0000000000000004, 123456789.0, -7.0};
    const size_t lens[] = {0, 1, 3, 1023, 1024, 1025, 3000};
    const size_t nodd = sizeof odd / sizeof *odd, nlens = sizeof lens / sizeof *lens;
    double *v = malloc(3000 * sizeof *v);
    assert_non_null(v);
    uint64_t seed = 17;
    size_t checked = 0;
    for (size_t L = 0; L < nlens; L++)
        for (size_t o = 0; o <= nodd; o++)
            for (size_t at = 0; at < 3; at++) {
                size_t n = lens[L];
                for (size_t r = 0; r < n; r++) {
                    seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
                    unsigned u = (unsigned)(seed >> 33);
                    v[r] = u % 11 == 0 ? NAN : (double)(u % 2001) - 1000.0;
                }
                if (o < nodd && n > 0)   /* o == nodd: whole numbers and missing cells only */
                    v[at == 0 ? 0 : at == 1 ? n / 2 : n - 1] = odd[o];
                if (o < nodd && n > 2 && odd[o] == 0.0)
                    v[n - 2] = -odd[o];   /* the other zero later */
                mql_column col = {.name = "x", .num = v};
                mql_numeric_scan sc[2] = {{.col = &col, .n_rows = n}, {.col = &col, .n_rows = n}};
                mql_design_scan_numeric(sc, 2);
                mql_numeric_scan ref = old_scan(v, n);
                for (size_t k = 0; k < 2; k++) {
                    assert_int_equal(sc[k].nv, ref.nv);
                    assert_int_equal(sc[k].na, ref.na);
                    assert_int_equal(sc[k].integer, ref.integer);
                    assert_memory_equal(&sc[k].lo, &ref.lo, sizeof ref.lo);
                    assert_memory_equal(&sc[k].hi, &ref.hi, sizeof ref.hi);
                }
                checked++;
            }
    assert_int_equal(checked, nlens * (nodd + 1) * 3);
    free(v);
}

/* ---------------------------------------------------------------- the reader's scan */

/* A file whose numeric columns test the reader's scan: whole numbers with blanks, fractions,
 * -0 and 0 as the low or the high extreme (which zero comes first depends on the seed), a whole
 * number beyond 2^53 and whole numbers between 2^52 and 2^53, exponent forms, NaN, inf and NA
 * cells, one leading-zero code among many numbers (read as numbers again: their counts are taken
 * afresh), a column whose first half is blank, and notes on several lines (a part of the
 * parallel read guessed inside one starts again). rows rows; the values come from seed; readable:
 * no NaN or inf cell (the table cache stores no table read with such cells). */
static char *scan_file(size_t rows, uint64_t seed, int readable)
{
    gen_text g = {0};
    add(&g, "whole,frac,zlo,zhi,big,big52,expo,odd,lead,late,won,note\n");
    size_t big_at = (size_t)(seed % rows), odd_at = (size_t)((seed / 7) % rows);
    for (size_t r = 0; r < rows; r++) {
        uint64_t z = (seed += 0x9E3779B97F4A7C15ULL);     /* splitmix64 */
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
        unsigned u = (unsigned)((z ^ (z >> 31)) >> 32);
        static const char *const zl[] = {"0", "-0", "3", "7", "-0.0", "0.00"};
        static const char *const zh[] = {"-5", "-0", "0", "-2.5", "0.0"};
        static const char *const ex[] = {"1.5e3", "2e0", "-4E2", "12"};
        static const char *const od[] = {"inf", "NaN", "NA", "-Infinity", "3.25", "17"};
        static const char *const od_ok[] = {"NA", "3.25", "17"};
        add(&g, u % 9 == 0 ? "," : "%d,", (int)(u % 2001) - 1000);
        add(&g, "%d.%02u,", (int)(u % 41) - 20, u % 100);
        add(&g, "%s,%s,", zl[(u >> 3) % 6], zh[(u >> 7) % 5]);
        add(&g, "%s,", r == big_at ? "9007199254740993" : "42");
        add(&g, "%.0f,", 4503599627370496.0 + (double)(u % 1000));
        add(&g, "%s,", r == odd_at ? "2.5e-1" : ex[(u >> 11) % 4]);
        add(&g, "%s,", readable ? od_ok[(u >> 13) % 3] : od[(u >> 13) % 6]);
        add(&g, "%s,", r == rows / 2 ? "050" : u % 3 ? "5" : "123");
        add(&g, r < rows / 2 ? "," : "%u,", u % 50);
        /* a note on several lines now and then: a part may start inside it, and again */
        add(&g, "%u,%s\n", (u >> 17) % 2, u % 23 == 0 ? "\"called,\nno answer\n\"" : "ok");
    }
    return g.s;
}

/* A pass over column c's first n values (design_scan.c's own route: the column without its
 * kept scan), and the old one-loop scan of the same values. */
static void assert_scan_is_pass(const mql_column *c, size_t n)
{
    mql_column bare = *c;
    bare.scan_of = NULL;
    mql_numeric_scan kept = {.col = c, .n_rows = n}, pass = {.col = &bare, .n_rows = n};
    mql_design_scan_numeric(&kept, 1);
    mql_design_scan_numeric(&pass, 1);
    mql_numeric_scan ref = old_scan(c->num, n);
    const mql_numeric_scan *both[2] = {&pass, &ref};
    for (size_t k = 0; k < 2; k++) {
        if (kept.nv != both[k]->nv || kept.na != both[k]->na ||
            kept.integer != both[k]->integer ||
            memcmp(&kept.lo, &both[k]->lo, sizeof kept.lo) != 0 ||
            memcmp(&kept.hi, &both[k]->hi, sizeof kept.hi) != 0)
            fail_msg("%s, %zu rows: kept %zu/%zu int %d [%g, %g] against %zu/%zu int %d [%g, %g]",
                     c->name, n, kept.nv, kept.na, kept.integer, kept.lo, kept.hi, both[k]->nv,
                     both[k]->na, both[k]->integer, both[k]->lo, both[k]->hi);
    }
}

/* Every numeric column mql_table_read makes keeps its scan, for its own array and all rows, on
 * one thread and in parts, and it is the pass's, bit for bit (which zero is the extreme, whole
 * numbers beyond 2^53, exponent forms, unreadable cells, a column counted afresh). */
static void test_reader_scan_equals_pass(void **state)
{
    (void)state;
    static const size_t ways[] = {1, 2, 3, 7};
    size_t checked = 0, zero_lo = 0, zero_hi = 0, neg_zero = 0;
    for (uint64_t seed = 1; seed <= 6; seed++) {
        char *text = scan_file(seed % 2 ? 3000 : 701, seed * 977, 0);
        for (size_t w = 0; w < sizeof ways / sizeof *ways; w++) {
            mql_read_opts o = {.threads = ways[w]};
            mql_table *t = table_from_text(text, &o);
            size_t numeric = 0;
            for (size_t j = 0; j < t->n_cols; j++) {
                const mql_column *c = &t->cols[j];
                if (c->type != MQL_COL_NUMERIC)
                    continue;
                numeric++;
                assert_ptr_equal(c->scan_of, c->num);
                assert_int_equal(c->scan_rows, t->n_rows);
                assert_int_equal(c->scan_na, c->n_missing);
                assert_scan_is_pass(c, t->n_rows);
                assert_scan_is_pass(c, t->n_rows / 2);   /* fewer rows: a pass */
                zero_lo += c->scan_lo == 0;
                zero_hi += c->scan_hi == 0;
                neg_zero += (c->scan_lo == 0 && signbit(c->scan_lo)) ||
                            (c->scan_hi == 0 && signbit(c->scan_hi));
                checked++;
            }
            assert_int_equal(numeric, 10);   /* won is boolean */
            mql_table_free(t);
        }
        free(text);
    }
    /* the zero cases happened, with -0 as the extreme in some */
    assert_true(zero_lo > 0 && zero_hi > 0 && neg_zero > 0);
    assert_int_equal(checked, 6 * 4 * 10);
}

/* The features of two designs are the same, numbers bit for bit, and so are their notes. */
static void assert_designs_equal(const mql_design *a, const mql_design *b)
{
    assert_int_equal(a->n_features, b->n_features);
    assert_int_equal(a->p, b->p);
    for (size_t k = 0; k < a->n_features; k++) {
        const mql_feature *x = &a->features[k], *y = &b->features[k];
        assert_string_equal(x->name, y->name);
        assert_int_equal(x->enc, y->enc);
        assert_int_equal(x->integer, y->integer);
        assert_int_equal(x->has_missing, y->has_missing);
        assert_int_equal(x->missing_count, y->missing_count);
        assert_int_equal(x->has_range, y->has_range);
        assert_memory_equal(&x->range_lo, &y->range_lo, sizeof x->range_lo);
        assert_memory_equal(&x->range_hi, &y->range_hi, sizeof x->range_hi);
        assert_int_equal(x->n_cuts, y->n_cuts);
        if (x->n_cuts)
            assert_memory_equal(x->cuts, y->cuts, x->n_cuts * sizeof *x->cuts);
        assert_int_equal(x->bin_count == NULL, y->bin_count == NULL);
        if (x->bin_count)
            assert_memory_equal(x->bin_count, y->bin_count,
                                (x->n_cuts + 1) * sizeof *x->bin_count);
    }
    for (size_t j = 0; j < a->p; j++)
        assert_string_equal(a->labels[j], b->labels[j]);
    assert_int_equal(a->n_notes, b->n_notes);
    for (size_t k = 0; k < a->n_notes; k++)
        assert_string_equal(a->notes[k], b->notes[k]);
}

static mql_design *design_of(const mql_table *t, size_t bins, const double *w)
{
    static char won[] = "won";
    static char *roles[] = {won};
    mql_design_opts o;
    mql_design_opts_init(&o);
    o.roles = roles;
    o.n_roles = 1;
    o.bins = bins;
    o.w = w;
    mql_design *d = NULL;
    mql_err err;
    if (mql_design_build(t, &o, &d, &err))
        fail_msg("design: %s", err.msg);
    return d;
}

/* Designs of t from the kept scans and from passes (the scans dropped), linear and in quantile
 * bins (whose value array is sized by the scan's count), unweighted and weighted. */
static void assert_design_as_by_pass(mql_table *t)
{
    double *w = malloc((t->n_rows ? t->n_rows : 1) * sizeof *w);
    assert_non_null(w);
    for (size_t i = 0; i < t->n_rows; i++)
        w[i] = i % 3 == 0 ? 0.0 : 2.0;
    mql_design *kept[3] = {design_of(t, 0, NULL), design_of(t, 5, NULL), design_of(t, 0, w)};
    const double **of = calloc(t->n_cols, sizeof *of);
    assert_non_null(of);
    for (size_t j = 0; j < t->n_cols; j++) {
        of[j] = t->cols[j].scan_of;
        t->cols[j].scan_of = NULL;
    }
    mql_design *pass[3] = {design_of(t, 0, NULL), design_of(t, 5, NULL), design_of(t, 0, w)};
    for (size_t j = 0; j < t->n_cols; j++)
        t->cols[j].scan_of = of[j];
    for (size_t k = 0; k < 3; k++) {
        assert_designs_equal(kept[k], pass[k]);
        mql_design_free(kept[k]);
        mql_design_free(pass[k]);
    }
    free(of);
    free(w);
}

/* The design of column `name` of t, unweighted and linear, against the old scan of its values. */
static void assert_feature_is_scan(const mql_table *t, const char *name)
{
    long j = mql_table_find(t, name);
    assert_true(j >= 0);
    mql_numeric_scan ref = old_scan(t->cols[j].num, t->n_rows);
    mql_design *d = design_of(t, 0, NULL);
    const mql_feature *f = NULL;
    for (size_t k = 0; k < d->n_features; k++)
        if (strcmp(d->features[k].name, name) == 0)
            f = &d->features[k];
    assert_non_null(f);
    assert_int_equal(f->missing_count, ref.na);
    assert_int_equal(f->integer, ref.integer);
    assert_memory_equal(&f->range_lo, &ref.lo, sizeof ref.lo);
    assert_memory_equal(&f->range_hi, &ref.hi, sizeof ref.hi);
    mql_design_free(d);
}

/* The design from the reader's scans equals the design from passes: on the plain read (in
 * parts too), and on subsets of it, where the kept scan describes other rows: a view of the
 * first rows (the very array, fewer rows), a view of later rows and a copied subset. */
static void test_design_from_reader_scan(void **state)
{
    (void)state;
    char *text = scan_file(3000, 4242, 0);
    for (size_t parts = 1; parts <= 3; parts += 2) {
        mql_read_opts o = {.threads = parts};
        mql_table *t = table_from_text(text, &o);
        assert_design_as_by_pass(t);
        /* the kept scan is what the design reads: changed, the design says so */
        long j = mql_table_find(t, "whole");
        double lo = t->cols[j].scan_lo;
        t->cols[j].scan_lo = -12345.0;
        mql_design *d = design_of(t, 0, NULL);
        assert_true(d->features[0].range_lo == -12345.0);
        mql_design_free(d);
        t->cols[j].scan_lo = lo;
        /* subsets: the first 1,000 rows (a view of the same array), rows 1,000-2,999 (a view),
         * every third row (copied); the extremes of whole and big differ from the table's */
        unsigned char *mask = malloc(t->n_rows);
        assert_non_null(mask);
        for (int kind = 0; kind < 3; kind++) {
            for (size_t i = 0; i < t->n_rows; i++)
                mask[i] = kind == 0 ? i < 1000 : kind == 1 ? i >= 1000 : i % 3 == 1;
            mql_table *sub = NULL;
            mql_err err;
            assert_int_equal(mql_table_subset_view(t, mask, &sub, &err), MQL_OK);
            if (kind == 0)
                assert_ptr_equal(sub->cols[j].num, t->cols[j].num);
            assert_design_as_by_pass(sub);
            assert_feature_is_scan(sub, "whole");
            assert_feature_is_scan(sub, "zlo");
            assert_feature_is_scan(sub, "frac");
            mql_table_free(sub);
        }
        free(mask);
        mql_table_free(t);
    }
    free(text);
}

/* A cache hit's scans (table_cache.c) give the same design as the plain read's and as passes. */
static void test_design_from_cache_hit(void **state)
{
    (void)state;
    char *text = scan_file(3000, 99, 1);
    char path[64];
    assert_non_null(write_temp(path, sizeof path, text));
    free(text);
    mql_cache_opts co = {dir, 0, 0};
    mql_table *t[3] = {NULL, NULL, NULL};
    mql_cache_result want[3] = {MQL_CACHE_OFF, MQL_CACHE_MISS, MQL_CACHE_HIT}, res;
    mql_err err;
    for (int k = 0; k < 3; k++) {
        int st = k == 0 ? mql_table_read(path, NULL, &t[k], &err)
                        : mql_table_read_cached(path, NULL, &co, &t[k], &res, &err);
        if (st)
            fail_msg("read: %s", err.msg);
        if (k > 0)
            assert_int_equal(res, want[k]);
    }
    size_t kept = 0;
    for (size_t j = 0; j < t[2]->n_cols; j++)
        if (t[2]->cols[j].type == MQL_COL_NUMERIC) {
            assert_true(t[2]->cols[j].borrowed);
            assert_ptr_equal(t[2]->cols[j].scan_of, t[2]->cols[j].num);
            kept++;
        }
    assert_int_equal(kept, 10);
    assert_design_as_by_pass(t[2]);
    for (int b = 0; b < 2; b++) {
        mql_design *d0 = design_of(t[0], b ? 5 : 0, NULL), *d2 = design_of(t[2], b ? 5 : 0, NULL);
        assert_designs_equal(d0, d2);
        mql_design_free(d0);
        mql_design_free(d2);
    }
    for (int k = 0; k < 3; k++)
        mql_table_free(t[k]);
    unlink(path);
    empty_dir();
}

static int group_setup(void **state)
{
    (void)state;
    return cache_dir_setup("scan");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_scan_counts),
        cmocka_unit_test(test_plain_route_equals_old),
        cmocka_unit_test(test_reader_scan_equals_pass),
        cmocka_unit_test(test_design_from_reader_scan),
        cmocka_unit_test(test_design_from_cache_hit),
    };
    return cmocka_run_group_tests(tests, group_setup, cache_dir_teardown);
}
