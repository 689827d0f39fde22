/* test_fit_cache.c: the fit cache (issue 17). A repeat train step on the same data hits and gives
 * the fit's result bit for bit (every field and array, eta included); the key follows the data
 * the fit reads, not the table's identity (a copy of the table hits, a changed value under the
 * same file hash misses), and every input that changes the fit misses: y, weights, a row subset,
 * l2, Firth, --exclude, --min-level-count. A corrupt or truncated entry is stale (refitted,
 * rewritten); no directory writes nothing; the size limit trims fit entries too. */
#include "testutil.h"
#include "testutil_cache.h"
#include "testutil_table.h"

#include <sys/stat.h>
#include <unistd.h>

#include "mqlcal/fit_cache.h"
#include "mqlcal/model.h"

static int setup(void **state)
{
    (void)state;
    return cache_dir_setup("fitcache");
}

/* Fit entries in the directory, and the path of the last one seen. */
static size_t fit_entries(char *last, size_t cap)
{
    return cache_entries(".mqlf", last, cap);
}

/* 600 leads: a count, a measure with decimals, a five-level category and an outcome drawn from
 * a logistic model of them (a fixed LCG, so the file is the same every run). skip: a row left
 * out (SIZE_MAX: none); bump: a row whose measure is changed. */
static mql_table *leads(size_t skip, size_t bump)
{
    gen_text g = {0};
    add(&g, "visits,score,industry,won,w\n");
    uint64_t s = 12345;
    for (size_t i = 0; i < 600; i++) {
        s = s * 6364136223846793005ULL + 1442695040888963407ULL;
        int visits = (int)((s >> 33) % 21);
        double score = (double)((s >> 17) % 1000) / 100.0 + (i == bump ? 0.5 : 0.0);
        char ind = (char)('A' + (s >> 45) % 5);
        double eta = -2.0 + 0.15 * visits + 0.1 * score + (ind == 'C' ? 0.8 : 0.0);
        double u = (double)((s >> 11) % 100000) / 100000.0;
        int won = u < 1.0 / (1.0 + exp(-eta));
        if (i != skip)
            add(&g, "%d,%.2f,%c,%d,%d\n", visits, score, ind, won, 1 + (int)(i % 3));
    }
    mql_table *t = table_from_text(g.s, NULL);
    free(g.s);
    return t;
}

typedef struct run_opts {
    double l2;
    int firth;
    const char *exclude;
    size_t min_level_count;
    int weighted;
    const unsigned char *y;        /* NULL: the won column */
    const mql_cache_opts *cache;   /* NULL: the test directory, no minimum */
} run_opts;

/* One train step of t through the cache; *res says what the cache did. */
static mql_model *train(const mql_table *t, const run_opts *ro, mql_cache_result *res)
{
    mql_cache_opts co = {dir, 0, 0};
    mql_design_opts dopts;
    mql_design_opts_init(&dopts);
    mql_err err;
    assert_int_equal(mql_design_opts_add_role(&dopts, "won", &err), MQL_OK);
    assert_int_equal(mql_design_opts_add_role(&dopts, "w", &err), MQL_OK);
    if (ro->exclude)
        assert_int_equal(mql_design_opts_parse_exclude(&dopts, ro->exclude, &err), MQL_OK);
    if (ro->min_level_count)
        dopts.min_level_count = ro->min_level_count;
    mql_glm_opts g;
    mql_glm_opts_default(&g);
    g.l2 = ro->l2;
    g.method = ro->firth ? MQL_GLM_METHOD_FIRTH : MQL_GLM_METHOD_ML;
    g.cache = ro->cache ? ro->cache : &co;
    unsigned char *y = ro->y ? NULL : table_flag(t, "won");
    double *w = NULL;
    if (ro->weighted) {
        long j = mql_table_find(t, "w");
        assert_true(j >= 0);
        w = t->cols[j].num;
    }
    mql_fit_diag dg;
    mql_model *m = NULL;
    int st = mql_model_train(t, ro->y ? ro->y : y, w, &dopts, &g, &m, &dg, &err);
    if (st != MQL_OK)
        fail_msg("train: %s", err.msg);
    *res = dg.fit_cache;
    mql_fit_diag_clear(&dg);
    mql_design_opts_clear(&dopts);
    free(y);
    return m;
}

static void same_doubles(const double *a, const double *b, size_t n, const char *what)
{
    if ((a == NULL) != (b == NULL))
        fail_msg("%s: one is NULL", what);
    if (a && memcmp(a, b, n * sizeof *a) != 0)
        fail_msg("%s differs", what);
}

/* Every field of the two results, numbers by their bits. */
static void assert_same_fit(const mql_glm_result *a, const mql_glm_result *b)
{
    size_t p = a->p;
    assert_int_equal(a->n, b->n);
    assert_int_equal(p, b->p);
    assert_int_equal(a->rank, b->rank);
    const double sa[] = {a->deviance, a->null_deviance, a->df_residual, a->df_null, a->loglik,
                         a->aic, a->n_weighted, a->events, a->pen_loglik, a->logdet,
                         a->beta0_firth};
    const double sb[] = {b->deviance, b->null_deviance, b->df_residual, b->df_null, b->loglik,
                         b->aic, b->n_weighted, b->events, b->pen_loglik, b->logdet,
                         b->beta0_firth};
    same_doubles(sa, sb, sizeof sa / sizeof *sa, "scalars");
    assert_int_equal(a->iterations, b->iterations);
    assert_int_equal(a->warm_iterations, b->warm_iterations);
    assert_int_equal(a->last_passes, b->last_passes);
    assert_int_equal(a->last_misses, b->last_misses);
    assert_int_equal(a->converged, b->converged);
    assert_int_equal(a->state, b->state);
    assert_int_equal(a->n_extreme, b->n_extreme);
    assert_int_equal(a->method, b->method);
    assert_int_equal(a->flic, b->flic);
    same_doubles(a->beta, b->beta, p, "beta");
    same_doubles(a->se, b->se, p, "se");
    assert_memory_equal(a->aliased, b->aliased, p);
    assert_memory_equal(a->separated, b->separated, p);
    same_doubles(a->cov->data, b->cov->data, p * p, "cov");
    same_doubles(a->ci_lo, b->ci_lo, p, "ci_lo");
    same_doubles(a->ci_hi, b->ci_hi, p, "ci_hi");
    same_doubles(a->lr_p, b->lr_p, p, "lr_p");
    same_doubles(a->eta, b->eta, a->n, "eta");
}

static void test_hit_same_result(void **state)
{
    (void)state;
    empty_dir();
    mql_table *t = leads(SIZE_MAX, SIZE_MAX);
    run_opts ro = {0};
    mql_cache_result r1, r2;
    mql_model *a = train(t, &ro, &r1);
    assert_int_equal(r1, MQL_CACHE_MISS);
    assert_int_equal(fit_entries(NULL, 0), 1);
    mql_model *b = train(t, &ro, &r2);
    assert_int_equal(r2, MQL_CACHE_HIT);
    assert_non_null(a->fit->eta);
    assert_same_fit(a->fit, b->fit);
    /* Firth's arrays (profile intervals) come back too */
    ro.firth = 1;
    mql_model *c = train(t, &ro, &r1), *d = train(t, &ro, &r2);
    assert_int_equal(r1, MQL_CACHE_MISS);
    assert_int_equal(r2, MQL_CACHE_HIT);
    assert_non_null(c->fit->ci_lo);
    assert_same_fit(c->fit, d->fit);
    mql_model_free(a);
    mql_model_free(b);
    mql_model_free(c);
    mql_model_free(d);
    mql_table_free(t);
}

/* The key is the data's: a second copy of the table hits; the same file hash over other values
 * (a table changed after it was read) misses. */
static void test_key_is_the_data(void **state)
{
    (void)state;
    empty_dir();
    mql_table *t = leads(SIZE_MAX, SIZE_MAX), *copy = leads(SIZE_MAX, SIZE_MAX);
    mql_table *bumped = leads(SIZE_MAX, 17);
    bumped->hash = t->hash;
    bumped->n_bytes = t->n_bytes;
    run_opts ro = {0};
    mql_cache_result r;
    mql_model_free(train(t, &ro, &r));
    mql_model_free(train(copy, &ro, &r));
    assert_int_equal(r, MQL_CACHE_HIT);
    mql_model_free(train(bumped, &ro, &r));
    assert_int_equal(r, MQL_CACHE_MISS);
    mql_table_free(t);
    mql_table_free(copy);
    mql_table_free(bumped);
}

/* Each input that changes the fit misses once, then hits. */
static void miss_then_hit(const mql_table *t, const run_opts *ro, const char *what)
{
    mql_cache_result r;
    mql_model_free(train(t, ro, &r));
    if (r != MQL_CACHE_MISS)
        fail_msg("%s: %d, expected a miss", what, (int)r);
    mql_model_free(train(t, ro, &r));
    if (r != MQL_CACHE_HIT)
        fail_msg("%s: %d, expected a hit the second time", what, (int)r);
}

static void test_inputs_miss(void **state)
{
    (void)state;
    empty_dir();
    mql_table *t = leads(SIZE_MAX, SIZE_MAX), *sub = leads(300, SIZE_MAX);
    run_opts ro = {0};
    miss_then_hit(t, &ro, "first");
    unsigned char *y = table_flag(t, "won");
    y[42] = !y[42];
    run_opts ry = {.y = y};
    miss_then_hit(t, &ry, "one outcome flipped");
    run_opts rw = {.weighted = 1};
    miss_then_hit(t, &rw, "weights");
    long j = mql_table_find(t, "w");
    t->cols[j].num[5] += 1;
    miss_then_hit(t, &rw, "one weight changed");
    miss_then_hit(sub, &ro, "a row left out");
    run_opts rl = {.l2 = 1.0};
    miss_then_hit(t, &rl, "l2");
    rl.l2 = 2.0;
    miss_then_hit(t, &rl, "another l2");
    run_opts rf = {.firth = 1};
    miss_then_hit(t, &rf, "firth");
    run_opts rx = {.exclude = "score"};
    miss_then_hit(t, &rx, "exclude");
    run_opts rm = {.min_level_count = 200};
    miss_then_hit(t, &rm, "min level count");
    assert_int_equal(fit_entries(NULL, 0), 10);
    free(y);
    mql_table_free(t);
    mql_table_free(sub);
}

/* A flipped byte or a cut entry is stale: refitted, the same result, the entry rewritten. */
static void test_corrupt_entry(void **state)
{
    (void)state;
    empty_dir();
    mql_table *t = leads(SIZE_MAX, SIZE_MAX);
    run_opts ro = {0};
    mql_cache_result r;
    mql_model *a = train(t, &ro, &r);
    char e[512];
    assert_int_equal(fit_entries(e, sizeof e), 1);
    struct stat st;
    assert_int_equal(stat(e, &st), 0);
    /* the header, the key text, the body (before eta's 600 doubles), eta */
    const long at_of[] = {20, 200, (long)st.st_size - 600 * 8 - 40, (long)st.st_size - 8};
    for (int round = 0; round < 4; round++) {
        FILE *f = fopen(e, "r+b");
        assert_non_null(f);
        long at = at_of[round];
        fseek(f, at, SEEK_SET);
        int c = fgetc(f);
        fseek(f, at, SEEK_SET);
        fputc(c ^ 0x20, f);
        fclose(f);
        mql_model *b = train(t, &ro, &r);
        assert_int_equal(r, MQL_CACHE_STALE);
        assert_same_fit(a->fit, b->fit);
        mql_model_free(b);
        b = train(t, &ro, &r);
        assert_int_equal(r, MQL_CACHE_HIT);
        mql_model_free(b);
    }
    assert_int_equal(truncate(e, st.st_size - 100), 0);
    mql_model *b = train(t, &ro, &r);
    assert_int_equal(r, MQL_CACHE_STALE);
    assert_same_fit(a->fit, b->fit);
    mql_model_free(b);
    assert_int_equal(stat(e, &st), 0);
    b = train(t, &ro, &r);
    assert_int_equal(r, MQL_CACHE_HIT);
    mql_model_free(b);
    mql_model_free(a);
    mql_table_free(t);
}

/* No directory: nothing read or written. A design under the minimum size: not cached. */
static void test_off_writes_nothing(void **state)
{
    (void)state;
    empty_dir();
    mql_table *t = leads(SIZE_MAX, SIZE_MAX);
    mql_cache_opts none = {NULL, 0, 0}, big = {dir, 0, (uint64_t)1 << 20};
    run_opts ro = {.cache = &none};
    mql_cache_result r;
    mql_model_free(train(t, &ro, &r));
    assert_int_equal(r, MQL_CACHE_OFF);
    ro.cache = &big;
    mql_model_free(train(t, &ro, &r));
    assert_int_equal(r, MQL_CACHE_OFF);
    assert_int_equal(fit_entries(NULL, 0), 0);
    mql_table_free(t);
}

/* The size limit counts fit entries: with room for one, the older fit's entry goes. */
static void test_trim_fit_entries(void **state)
{
    (void)state;
    empty_dir();
    mql_table *t = leads(SIZE_MAX, SIZE_MAX);
    run_opts ro = {0};
    mql_cache_result r;
    mql_model_free(train(t, &ro, &r));
    char e[512];
    assert_int_equal(fit_entries(e, sizeof e), 1);
    struct stat st;
    assert_int_equal(stat(e, &st), 0);
    mql_cache_opts one = {dir, (uint64_t)st.st_size + 1000, 0};
    run_opts rl = {.l2 = 1.0, .cache = &one};
    mql_model_free(train(t, &rl, &r));
    assert_int_equal(r, MQL_CACHE_MISS);
    assert_int_equal(fit_entries(NULL, 0), 1);
    mql_model_free(train(t, &ro, &r));        /* the first fit's entry went */
    assert_int_equal(r, MQL_CACHE_MISS);
    mql_table_free(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hit_same_result),
        cmocka_unit_test(test_key_is_the_data),
        cmocka_unit_test(test_inputs_miss),
        cmocka_unit_test(test_corrupt_entry),
        cmocka_unit_test(test_off_writes_nothing),
        cmocka_unit_test(test_trim_fit_entries),
    };
    return cmocka_run_group_tests(tests, setup, cache_dir_teardown);
}
