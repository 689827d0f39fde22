/* test_screen_route.c: the screen's counting routes (leakage.c) against the general ones. A
 * column of plain decimals finds its numeric quantile group from its written digits (a table
 * over the cut integers, the sample sorted by those integers); every column can search the cut
 * values instead. Both must give the same groups, so the same AUC bit for bit, and both must
 * equal an independent grouping written here (qsort of the sample, a linear count of the cuts
 * per row) scored through metrics.c's mql_auc_ci (to 1e-12, as test_leakage.c). The whole
 * screen must not change when the table's plain-decimal knowledge is taken away. */
#include "testutil_table.h"

#include "mqlcal/leakage.h"
#include "mqlcal/metrics.h"
#include "mqlcal/table_ops.h"


static uint64_t rng_state;
static uint64_t rnd(void)
{
    rng_state = rng_state * 6364136223846793005ULL + 1442695040888963407ULL;
    return rng_state >> 33;
}
static double unif(void) { return (double)rnd() / 2147483648.0; }

/* Appends to a growing buffer. */
typedef struct buf {
    char *p;
    size_t len, cap;
} buf;
static void put(buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void put(buf *b, const char *fmt, ...)
{
    if (b->cap - b->len < 512) {
        b->cap = 2 * b->cap + 4096;
        b->p = realloc(b->p, b->cap);
        assert_non_null(b->p);
    }
    va_list ap;
    va_start(ap, fmt);
    b->len += (size_t)vsnprintf(b->p + b->len, b->cap - b->len, fmt, ap);
    va_end(ap);
}

/* n leads: numbers with ties, negatives, mixed decimals, missing cells, a constant, a span too
 * wide for the digit table, small integers, unique integers (identifier-like), a category, a
 * boolean, created dates out of row order and an outcome that follows the numbers (so that a
 * row in the wrong group moves the AUC). */
static mql_table *make_leads(size_t n, uint64_t seed)
{
    rng_state = seed;
    buf b = {0};
    put(&b, "dec2,dec4,mixed,ints,wide,constant,uniq,segment,flag,created,note,closed_won\n");
    for (size_t i = 0; i < n; i++) {
        double d2 = (double)((long)(rnd() % 1001) - 500) / 100;   /* -5.00 .. 5.00, ties */
        double d4 = (unif() + unif() + unif() - 1.5) * 2;
        long ints = (long)(rnd() % 7);
        int mix = (int)(rnd() % 6);
        const char *mixed[] = {"-0", "0", "0.5", "-1.25", "2.125", "3"};
        const char *seg[] = {"smb", "mid", "ent", "gov", "edu", "rare1", "rare2"};
        size_t s = rnd() % 100;
        size_t sk = s < 30 ? 0 : s < 55 ? 1 : s < 75 ? 2 : s < 90 ? 3 : s < 98 ? 4 : 5 + s % 2;
        double logit = 1.2 * d2 / 5 + 0.8 * d4 + 0.3 * (double)ints + 0.2 * mix - 2;
        int won = unif() < 1 / (1 + exp(-logit));
        char d4s[32] = "", wide[40];
        if (rnd() % 10)   /* 10% missing */
            snprintf(d4s, sizeof d4s, "%.4f", d4);
        snprintf(wide, sizeof wide, "%.2f", (unif() - 0.5) * 2e8 + (won ? 2e7 : 0));
        const char *note = won && rnd() % 10 < 6 ? "signed" : rnd() % 2 ? "called" : "";
        put(&b, "%.2f,%s,%s,%ld,%s,3.25,%zu,%s,%s,2024-%02zu-%02zu,%s,%d\n", d2, d4s,
            mixed[mix], ints, wide, 7 * i + 3, seg[sk], rnd() % 2 ? "yes" : "no",
            1 + (size_t)(rnd() % 12), 1 + (size_t)(rnd() % 28), note, won);
    }
    mql_table *t = table_from_text(b.p, NULL);
    free(b.p);
    return t;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* The AUC rule's groups written plainly: every step-th filled value sorted by qsort, the cuts
 * at b / MQL_SCREEN_BINS above the smallest, a row's group the number of cuts at or below it
 * (missing its own), each row scored by its group's win rate, mql_auc_ci on those scores. */
static mql_auc_interval reference_auc(const mql_column *c, const unsigned char *y, size_t n)
{
    size_t filled = 0;
    for (size_t i = 0; i < n; i++)
        filled += !isnan(c->num[i]);
    size_t step = filled / 65536 + 1, m = 0, nc = 0;
    double *s = malloc((filled + 1) * sizeof *s), cuts[MQL_SCREEN_BINS];
    for (size_t i = 0, f = 0; i < n; i++)
        if (!isnan(c->num[i]) && f++ % step == 0)
            s[m++] = c->num[i];
    qsort(s, m, sizeof *s, cmp_double);
    for (size_t q = 1; q < MQL_SCREEN_BINS; q++) {
        double v = s[q * m / MQL_SCREEN_BINS];
        if (v > s[0] && (nc == 0 || v > cuts[nc - 1]))
            cuts[nc++] = v;
    }
    double pos[MQL_SCREEN_BINS + 2] = {0}, all[MQL_SCREEN_BINS + 2] = {0};
    size_t *g = malloc(n * sizeof *g);
    double *score = malloc(n * sizeof *score);
    for (size_t i = 0; i < n; i++) {
        size_t k = 0;
        while (k < nc && cuts[k] <= c->num[i])
            k++;
        g[i] = isnan(c->num[i]) ? nc + 1 : k;
        pos[g[i]] += y[i];
        all[g[i]] += 1;
    }
    for (size_t i = 0; i < n; i++)
        score[i] = pos[g[i]] / all[g[i]];
    mql_auc_interval ci;
    mql_err err;
    assert_int_equal(mql_auc_ci(score, y, n, 0.95, &ci, &err), MQL_OK);
    free(s), free(g), free(score);
    return ci;
}

static void assert_same_bits(double a, double b)
{
    if (memcmp(&a, &b, sizeof a) != 0)
        fail_msg("%.17g and %.17g differ", a, b);
}

/* Both routes, on columns of plain decimals, against each other and the plain grouping. */
static void check_routes(size_t n, uint64_t seed)
{
    mql_table *t = make_leads(n, seed);
    unsigned char *y = table_flag(t, "closed_won");
    const char *cols[] = {"dec2", "dec4", "mixed", "ints", "wide", "constant"};
    for (size_t q = 0; q < sizeof cols / sizeof *cols; q++) {
        const mql_column *c = &t->cols[mql_table_find(t, cols[q])];
        assert_int_equal(c->type, MQL_COL_NUMERIC);
        assert_true(c->plain_decimal);   /* else the digit route would not be tested */
        double a[3], g[3];
        assert_int_equal(mql_screen_auc(c, y, n, 0, &a[0], &a[1], &a[2]), 0);
        assert_int_equal(mql_screen_auc(c, y, n, 1, &g[0], &g[1], &g[2]), 0);
        for (int k = 0; k < 3; k++)
            assert_same_bits(a[k], g[k]);
        if (q == 5) {   /* one value: one group and missing, an AUC of one half */
            assert_close(a[0], 0.5, 0, 1e-15);
            continue;
        }
        mql_auc_interval ci = reference_auc(c, y, n);
        assert_close(a[0], ci.auc, 0, 1e-12);
        assert_close(a[1], ci.lo, 0, 1e-12);
        assert_close(a[2], ci.hi, 0, 1e-12);
        assert_true(a[0] > 0.52);   /* the outcome follows every column but the constant */
    }
    free(y);
    mql_table_free(t);
}

static void test_routes_small(void **state)
{
    (void)state;
    check_routes(400, 11);   /* every value sampled */
}

static void test_routes_sampled(void **state)
{
    (void)state;
    check_routes(150000, 12);   /* every 3rd filled value sampled; 10% missing in dec4 */
}

/* A hand-made column: -0 and 0 one value, negatives, mixed decimals, missing, ties at the cuts;
 * the digit route's table against the search on every row's group (through the AUC), and a
 * column whose cuts are too far apart for a table (the digit sample falls back). */
static void test_routes_edges(void **state)
{
    (void)state;
    buf b = {0};
    put(&b, "x,far,closed_won\n");
    rng_state = 5;
    for (int i = 0; i < 2000; i++) {
        static const char *v[] = {"-0", "0", "0.0", "-3.5", "-3.25", "1", "1.125", "", "7.75",
                                  "-0.001", "12", "12.5"};
        static const char *far[] = {"-9e0", "1000000000.5", "-2000000000.25", "3", "", "0.75"};
        size_t k = rnd() % 12, f = rnd() % 6;
        int won = (k == 5 || k == 8 || k == 11 || f == 1) ? rnd() % 3 != 0 : rnd() % 5 == 0;
        put(&b, "%s,%s,%d\n", v[k], far[f], won);
    }
    mql_table *t = table_from_text(b.p, NULL);
    free(b.p);
    unsigned char *y = table_flag(t, "closed_won");
    const mql_column *x = &t->cols[0], *far = &t->cols[1];
    assert_true(x->plain_decimal);
    assert_int_equal(x->decimals, 3);
    assert_false(far->plain_decimal);   /* "-9e0" has an exponent: the general route only */
    for (int q = 0; q < 2; q++) {
        const mql_column *c = q ? far : x;
        double a[3], g[3];
        assert_int_equal(mql_screen_auc(c, y, t->n_rows, 0, &a[0], &a[1], &a[2]), 0);
        assert_int_equal(mql_screen_auc(c, y, t->n_rows, 1, &g[0], &g[1], &g[2]), 0);
        mql_auc_interval ci = reference_auc(c, y, t->n_rows);
        for (int k = 0; k < 3; k++)
            assert_same_bits(a[k], g[k]);
        assert_close(a[0], ci.auc, 0, 1e-12);
        assert_close(a[1], ci.lo, 0, 1e-12);
    }
    /* the same wide values as plain decimals: the cut integers span too much for a table */
    b = (buf){0};
    put(&b, "far,closed_won\n");
    for (int i = 0; i < 3000; i++) {
        double v = (double)((long)(rnd() % 4000001) - 2000000) * 1000.25;
        put(&b, "%.2f,%d\n", v, v > 1e8 ? rnd() % 4 != 0 : rnd() % 4 == 0);
    }
    mql_table *w = table_from_text(b.p, NULL);
    free(b.p);
    unsigned char *yw = table_flag(w, "closed_won");
    assert_true(w->cols[0].plain_decimal);
    double a[3], g[3];
    assert_int_equal(mql_screen_auc(&w->cols[0], yw, w->n_rows, 0, &a[0], &a[1], &a[2]), 0);
    assert_int_equal(mql_screen_auc(&w->cols[0], yw, w->n_rows, 1, &g[0], &g[1], &g[2]), 0);
    for (int k = 0; k < 3; k++)
        assert_same_bits(a[k], g[k]);
    assert_close(a[0], reference_auc(&w->cols[0], yw, w->n_rows).auc, 0, 1e-12);
    free(yw);
    mql_table_free(w);
    free(y);
    mql_table_free(t);
}

/* Column c's AUC and interval by the screen's plain-decimal route and by its general route: the
 * same bits, and the reference's values to 1e-12. */
static void check_column_routes(const mql_column *c, const unsigned char *y, size_t n)
{
    double a[3], g[3];
    assert_int_equal(mql_screen_auc(c, y, n, 0, &a[0], &a[1], &a[2]), 0);
    assert_int_equal(mql_screen_auc(c, y, n, 1, &g[0], &g[1], &g[2]), 0);
    for (int k = 0; k < 3; k++)
        assert_same_bits(a[k], g[k]);
    mql_auc_interval ci = reference_auc(c, y, n);
    assert_close(a[0], ci.auc, 0, 1e-12);
    assert_close(a[1], ci.lo, 0, 1e-12);
    assert_close(a[2], ci.hi, 0, 1e-12);
}

/* The sample's ranks counted in buckets (leakage.c's ranks_of_keys) where one bucket cannot
 * tell them apart: most values in a narrow range beside a few far ones (the ranks' bucket is
 * counted again, twice, in narrower buckets), a mass of one value (ties at every cut) beside
 * values spread over a wide range, missing cells, -0 and 0, and a sample of two values. The
 * cuts stay close enough for the digit table, so the ranks found decide the groups; a wrong
 * rank moves the AUC away from the general route's and from the qsort of the sample. */
static void test_routes_ranks(void **state)
{
    (void)state;
    buf b = {0};
    put(&b, "narrow,lumpy,two,closed_won\n");
    rng_state = 41;
    size_t n = 140000;   /* every 3rd filled value sampled */
    for (size_t i = 0; i < n; i++) {
        long k = (long)(rnd() % 20001) - 10000;               /* -1.0000 .. 1.0000 */
        long far = (long)(rnd() % 900000001) + 100000000;     /* 10,000 .. 100,000 */
        int out = rnd() % 50 == 0, lump = rnd() % 10 < 7, miss = rnd() % 17 == 0;
        int won = rnd() % 100 < (k > 2000 ? 40 : k > -3000 ? 20 : 8);
        if (out)
            put(&b, "%s%ld.%04ld,", k < 0 ? "-" : "", far / 10000, far % 10000);
        else
            put(&b, "%s%ld.%04ld,", k < 0 ? "-" : "", labs(k) / 10000, labs(k) % 10000);
        if (miss)
            put(&b, ",");
        else if (lump)
            put(&b, "%s,", i % 2 ? "0.00" : "-0.00");
        else
            put(&b, "%ld.%02ld,", labs(k) * 37 / 100, labs(k) % 100);
        put(&b, "%s,%d\n", i % 70000 == 0 ? "2.5" : i % 3 ? "" : "1.5", won);
    }
    mql_table *t = table_from_text(b.p, NULL);
    free(b.p);
    unsigned char *y = table_flag(t, "closed_won");
    for (size_t j = 0; j < 3; j++) {
        const mql_column *c = &t->cols[j];
        assert_true(c->plain_decimal);
        check_column_routes(c, y, n);
    }
    free(y);
    mql_table_free(t);
}

/* Columns of few written integers, tallied in one pass that samples as it counts (leakage.c's
 * tally_small_span), with missing cells and every 3rd filled value sampled: ratings 1-5, a
 * span of exactly 1024 integers (the most it takes) and one of 1025 (the two-pass route), -0
 * beside 0 and 2, and one value. Against the general route and the qsort of the sample. */
static void test_routes_small_span(void **state)
{
    (void)state;
    buf b = {0};
    put(&b, "rating,limit,over,zeros,single,closed_won\n");
    rng_state = 43;
    size_t n = 140000;
    for (size_t i = 0; i < n; i++) {
        long r = (long)(rnd() % 5) + 1, k = (long)(rnd() % 1024), z = (long)(rnd() % 3);
        int won = (long)(rnd() % 100) < 5 + 6 * r + k / 64;
        const char *miss = rnd() % 12 == 0 ? "" : NULL;
        put(&b, "%s,", miss ? miss : (char[2]){(char)('0' + r), 0});
        put(&b, "%ld.%ld,", k / 10, k % 10);                                 /* 0.0 .. 102.3 */
        if (i == 7)
            put(&b, "102.4,");                                    /* 0.0 .. 102.4 */
        else
            put(&b, "%ld.%ld,", k / 10, k % 10);
        put(&b, "%s,", rnd() % 9 == 0 ? "" : z == 0 ? "-0" : z == 1 ? "0" : "2");
        put(&b, "%s,%d\n", i % 5 ? "3.25" : "", won);
    }
    mql_table *t = table_from_text(b.p, NULL);
    free(b.p);
    unsigned char *y = table_flag(t, "closed_won");
    for (size_t j = 0; j < 5; j++) {
        const mql_column *c = &t->cols[j];
        if (!c->plain_decimal || c->type != MQL_COL_NUMERIC)
            fail_msg("%s: type %d plain %d", c->name, c->type, c->plain_decimal);
        check_column_routes(c, y, n);
    }
    free(y);
    mql_table_free(t);
}

/* The whole screen (every rule, every column type) is the same with the table's plain-decimal
 * knowledge taken away: flags, evidence and the AUC bits. */
static void test_screen_unchanged(void **state)
{
    (void)state;
    mql_table *t = make_leads(120000, 21);
    unsigned char *y = table_flag(t, "closed_won");
    long date = mql_table_find(t, "created");
    unsigned char skip[16] = {0};
    skip[mql_table_find(t, "closed_won")] = 1;
    mql_screen *fast = NULL, *general = NULL;
    mql_err err;
    assert_int_equal(mql_screen_run(t, y, date, skip, &fast, &err), MQL_OK);
    for (size_t j = 0; j < t->n_cols; j++)
        t->cols[j].plain_decimal = 0;
    assert_int_equal(mql_screen_run(t, y, date, skip, &general, &err), MQL_OK);
    for (size_t j = 0; j < t->n_cols; j++) {
        const mql_screen_col *a = &fast->col[j], *b = &general->col[j];
        assert_int_equal(a->flags, b->flags);
        assert_int_equal(a->screened, b->screened);
        assert_string_equal(a->evidence, b->evidence);
        assert_same_bits(a->auc, b->auc);
        assert_same_bits(a->auc_lo, b->auc_lo);
        assert_same_bits(a->auc_hi, b->auc_hi);
    }
    /* what the rules find here: the unique integers are identifier-like, 'signed' is nearly
     * always won, the numbers do not leak */
    const mql_screen_col *u = &fast->col[mql_table_find(t, "uniq")];
    assert_true(u->flags & MQL_SCREEN_F_UNIQUE);
    assert_true(u->flags & MQL_SCREEN_F_MONOTONE);
    assert_non_null(strstr(u->evidence, "120000 distinct integers in 120000 filled rows"));
    assert_false(fast->col[mql_table_find(t, "dec2")].flags);
    const mql_screen_col *note = &fast->col[mql_table_find(t, "note")];
    assert_true(note->flags & MQL_SCREEN_F_PURE);
    assert_non_null(strstr(note->evidence, "'signed' on "));
    assert_true(isnan(fast->col[date].auc));
    mql_screen_free(fast);
    mql_screen_free(general);
    free(y);
    mql_table_free(t);
}

/* Part of the leads (review's training rows): mql_screen_run_rows equals mql_screen_run on a
 * table of those leads (mql_table_subset, numbers recounted, as the command line did before),
 * including a column unique only among those leads (the whole column's distinct count is just
 * an upper bound) and one empty among them; the rows scattered (gathered per column) or one run
 * (the columns' own arrays). */
static void check_rows(int one_run)
{
    rng_state = 31;
    buf b = {0};
    size_t n = 90000;
    put(&b, "x,ids,late,cat,created,closed_won\n");
    for (size_t i = 0; i < n; i++) {
        int in = one_run ? i >= 1000 && i < 64000 : i % 10 < 7, won = rnd() % 5 == 0;
        put(&b, "%.3f,%zu,%s,%s,2024-%02zu-%02zu,%d\n", (double)(rnd() % 5000) / 1000 + won,
            in ? 5 * i : 1, in ? "" : "2.5", rnd() % 3 ? "a" : won ? "b" : "c",
            1 + (size_t)(rnd() % 12), 1 + (size_t)(rnd() % 28), won);
    }
    mql_table *t = table_from_text(b.p, NULL);
    free(b.p);
    unsigned char *y = table_flag(t, "closed_won"), *mask = malloc(n), *y_sub = malloc(n);
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        if ((mask[i] = one_run ? i >= 1000 && i < 64000 : i % 10 < 7))
            y_sub[k++] = y[i];
    assert_int_equal(k, 63000);
    long date = mql_table_find(t, "created");
    unsigned char skip[8] = {0};
    skip[mql_table_find(t, "closed_won")] = 1;
    mql_table *sub = NULL;
    mql_err err;
    assert_int_equal(mql_table_subset(t, mask, &sub, &err), MQL_OK);
    for (size_t j = 0; j < sub->n_cols; j++)
        if (sub->cols[j].num && !sub->cols[j].code)
            mql_column_recount(&sub->cols[j]);
    mql_screen *want = NULL, *got = NULL;
    assert_int_equal(mql_screen_run(sub, y_sub, date, skip, &want, &err), MQL_OK);
    assert_int_equal(mql_screen_run_rows(t, mask, y, date, skip, &got, &err), MQL_OK);
    for (size_t j = 0; j < t->n_cols; j++) {
        const mql_screen_col *a = &got->col[j], *w = &want->col[j];
        assert_int_equal(a->flags, w->flags);
        assert_int_equal(a->screened, w->screened);
        assert_string_equal(a->evidence, w->evidence);
        assert_same_bits(a->auc, w->auc);
        assert_same_bits(a->auc_lo, w->auc_lo);
        assert_same_bits(a->auc_hi, w->auc_hi);
    }
    const mql_screen_col *ids = &got->col[mql_table_find(t, "ids")];
    assert_true(ids->flags & MQL_SCREEN_F_UNIQUE);
    assert_non_null(strstr(ids->evidence, "63000 distinct integers in 63000 filled rows"));
    assert_true(isnan(got->col[mql_table_find(t, "late")].auc));   /* empty among them */
    assert_true(got->col[mql_table_find(t, "x")].auc > 0.6);
    mql_screen_free(want);
    mql_screen_free(got);
    mql_table_free(sub);
    free(mask), free(y_sub), free(y);
    mql_table_free(t);
}

static void test_rows_as_subset(void **state)
{
    (void)state;
    check_rows(0);
    check_rows(1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_routes_small),
        cmocka_unit_test(test_routes_sampled),
        cmocka_unit_test(test_routes_edges),
        cmocka_unit_test(test_routes_ranks),
        cmocka_unit_test(test_routes_small_span),
        cmocka_unit_test(test_screen_unchanged),
        cmocka_unit_test(test_rows_as_subset),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
