/* test_sort.c: the radix sorts of common.c (mql_sort_doubles, mql_order_doubles) against a
 * comparison sort with explicit index tie-breaks, on values chosen to hit every key byte: signs,
 * -0 / +0, infinities, subnormals, long runs of ties, integers stored as doubles. Exact
 * comparisons (a sort has no tolerance). */
#include "testutil.h"
#include "mqlcal/common.h"

#include <float.h>

typedef struct vi {
    double v;
    size_t i;
} vi;

/* Ascending by value (-0 == +0), ties by index: the stable order. */
static int vi_cmp(const void *a, const void *b)
{
    const vi *x = a, *y = b;
    if (x->v < y->v)
        return -1;
    if (x->v > y->v)
        return 1;
    return (x->i > y->i) - (x->i < y->i);
}

/* A deterministic mix (LCG) of the awkward values and ordinary ones. */
static void make_values(double *v, size_t n, unsigned seed)
{
    static const double special[] = {0.0, -0.0, 1.0, -1.0, INFINITY, -INFINITY, DBL_MIN,
                                     -DBL_MIN, 4.9e-324, -4.9e-324, DBL_MAX, -DBL_MAX, 0.5,
                                     3.0, 3.0000000000000004, 2.9999999999999996, 1e300, -1e-300};
    uint64_t s = seed;
    for (size_t i = 0; i < n; i++) {
        s = s * 6364136223846793005ULL + 1442695040888963407ULL;
        unsigned k = (unsigned)(s >> 33) % 4;
        if (k == 0)
            v[i] = special[(s >> 40) % (sizeof special / sizeof special[0])];
        else if (k == 1)
            v[i] = (double)((long)((s >> 20) % 41) - 20);     /* many ties */
        else
            v[i] = ((double)(s >> 11) / 9007199254740992.0 - 0.5) * 1e6;
    }
}

static void check_order(size_t n, unsigned seed)
{
    double *v = malloc((n ? n : 1) * sizeof *v), *w = malloc((n ? n : 1) * sizeof *w);
    size_t *ord = malloc((n ? n : 1) * sizeof *ord);
    vi *ref = malloc((n ? n : 1) * sizeof *ref);
    assert_non_null(v);
    assert_non_null(w);
    assert_non_null(ord);
    assert_non_null(ref);
    make_values(v, n, seed);
    for (size_t i = 0; i < n; i++)
        ref[i] = (vi){v[i], i};
    qsort(ref, n, sizeof *ref, vi_cmp);
    assert_int_equal(mql_order_doubles(v, n, ord, w), 0);
    for (size_t i = 0; i < n; i++)
        if (!(w[i] == v[ref[i].i]) || (w[i] == 0 && signbit(w[i])))
            fail_msg("n=%zu seed=%u: sorted[%zu] = %g, expected %g", n, seed, i, w[i], v[ref[i].i]);
    for (size_t i = 0; i < n; i++)
        if (ord[i] != ref[i].i)
            fail_msg("n=%zu seed=%u: order[%zu] = %zu, expected %zu (value %g)", n, seed, i,
                     ord[i], ref[i].i, ref[i].v);
    /* mql_sort_doubles: the values in that order (a -0 comes back as +0: equal values) */
    memcpy(w, v, n * sizeof *w);
    assert_int_equal(mql_sort_doubles(w, n), 0);
    for (size_t i = 0; i < n; i++)
        if (!(w[i] == v[ref[i].i]) || (w[i] == 0 && signbit(w[i])))
            fail_msg("n=%zu seed=%u: sorted[%zu] = %g, expected %g", n, seed, i, w[i],
                     v[ref[i].i]);
    free(v), free(w), free(ord), free(ref);
}

static void test_order_small(void **state)
{
    (void)state;
    for (size_t n = 0; n <= 40; n++)
        check_order(n, (unsigned)n + 1);
}

static void test_order_large(void **state)
{
    (void)state;
    check_order(100000, 7);
    check_order(65537, 11);
}

/* Every key byte equal but one: the skipped passes must not lose the order. */
static void test_order_one_byte_varies(void **state)
{
    (void)state;
    double v[6] = {3.0, 1.0, 2.0, 1.0, -0.0, 0.0};
    size_t ord[6];
    size_t want[6] = {4, 5, 1, 3, 2, 0};
    assert_int_equal(mql_order_doubles(v, 6, ord, NULL), 0);
    for (size_t i = 0; i < 6; i++)
        assert_int_equal(ord[i], want[i]);
    double same[4] = {2.5, 2.5, 2.5, 2.5};
    assert_int_equal(mql_order_doubles(same, 4, ord, NULL), 0);
    for (size_t i = 0; i < 4; i++)
        assert_int_equal(ord[i], i);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_order_small),
        cmocka_unit_test(test_order_large),
        cmocka_unit_test(test_order_one_byte_varies),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
