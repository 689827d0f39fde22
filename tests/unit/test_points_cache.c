/* test_points_cache.c: the points cache (issue 17). A repeat points step of the same model on
 * the same data hits and gives the step's points table: the same JSON, threshold rule, strength
 * and the bits of the rounding and cap costs; every input the step reads changes the key: y,
 * the weights, each points option, a coefficient, a level's text, where a bin's rule ends, the
 * fit's deviance. A corrupt or truncated entry is stale (the step runs, the entry is
 * rewritten); no directory or a design under the minimum writes nothing; the size limit trims
 * points entries too. */
#include "testutil.h"
#include "testutil_cache.h"
#include "testutil_table.h"

#include <jansson.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mqlcal/model.h"
#include "mqlcal/points_cache.h"

static int setup(void **state)
{
    (void)state;
    return cache_dir_setup("ptscache");
}

/* Points entries in the directory, and the path of the last one seen. */
static size_t points_entries(char *last, size_t cap)
{
    return cache_entries(".mqlp", last, cap);
}

/* 600 leads: a count, a measure, a five-level category, a flag, an outcome and weights. */
static mql_table *leads(void)
{
    gen_text g = {0};
    add(&g, "visits,score,industry,webinar,won,w\n");
    uint64_t s = 4242;
    for (size_t i = 0; i < 600; i++) {
        s = s * 6364136223846793005ULL + 1442695040888963407ULL;
        int visits = (int)((s >> 33) % 21);
        double score = (double)((s >> 17) % 1000) / 100.0;
        char ind = (char)('A' + (s >> 45) % 5);
        int web = (s >> 50) % 3 == 0;
        double eta = -2.0 + 0.15 * visits + 0.1 * score + (ind == 'C' ? 0.8 : 0.0) + 0.5 * web;
        double u = (double)((s >> 11) % 100000) / 100000.0;
        add(&g, "%d,%.2f,%c,%s,%d,%d\n", visits, score, ind, web ? "yes" : "no",
            u < 1.0 / (1.0 + exp(-eta)), 1 + (int)(i % 3));
    }
    mql_table *t = table_from_text(g.s, NULL);
    free(g.s);
    return t;
}

/* A model of t (binned score: no linear term, so weighted rows are allowed) without points. */
static mql_model *train(const mql_table *t, const unsigned char *y)
{
    mql_design_opts dopts;
    mql_design_opts_init(&dopts);
    mql_err err;
    assert_int_equal(mql_design_opts_add_role(&dopts, "won", &err), MQL_OK);
    assert_int_equal(mql_design_opts_add_role(&dopts, "w", &err), MQL_OK);
    dopts.bins = 5;
    mql_model *m = NULL;
    if (mql_model_train(t, y, NULL, &dopts, NULL, &m, NULL, &err) != MQL_OK)
        fail_msg("train: %s", err.msg);
    mql_design_opts_clear(&dopts);
    return m;
}

static char *json_of(const mql_points *p)
{
    json_t *j = mql_points_to_json(p);
    char *s = json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(17));
    json_decref(j);
    return s;
}

static void assert_same_points(const mql_points *a, const mql_points *b)
{
    char *x = json_of(a), *z = json_of(b);
    assert_string_equal(x, z);
    free(x);
    free(z);
    if ((a->threshold_rule == NULL) != (b->threshold_rule == NULL) ||
        (a->threshold_rule && strcmp(a->threshold_rule, b->threshold_rule) != 0))
        fail_msg("threshold rule differs");
    const double da[] = {a->strength, a->pdo, a->map_a, a->map_b, a->auc_exact, a->auc_points,
                         a->logloss_exact, a->logloss_points, a->auc_capped, a->logloss_capped,
                         a->share_capped};
    const double db[] = {b->strength, b->pdo, b->map_a, b->map_b, b->auc_exact, b->auc_points,
                         b->logloss_exact, b->logloss_points, b->auc_capped, b->logloss_capped,
                         b->share_capped};
    assert_memory_equal(da, db, sizeof da);
    assert_int_equal(a->n_terms, b->n_terms);
    assert_memory_equal(a->term_points, b->term_points, a->n_terms * sizeof *a->term_points);
}

/* The points step of m on t through the cache co (NULL: the test directory); *r what it did.
 * Returns m's points table. */
static const mql_points *step(mql_model *m, const mql_table *t, const unsigned char *y,
                              const double *w, mql_points_opts po, const mql_cache_opts *co,
                              mql_cache_result *r)
{
    mql_cache_opts here = {dir, 0, 0};
    po.cache = co ? co : &here;
    mql_err err;
    if (mql_model_add_points_cached(m, t, y, w, &po, r, &err) != MQL_OK)
        fail_msg("points: %s", err.msg);
    return m->points;
}

typedef struct fixture {
    mql_table *t;
    unsigned char *y;
    double *w;
    mql_model *m;
    mql_points_opts po;
} fixture;

static void fixture_make(fixture *f)
{
    f->t = leads();
    f->y = table_flag(f->t, "won");
    f->w = f->t->cols[mql_table_find(f->t, "w")].num;
    f->m = train(f->t, f->y);
    mql_points_opts_default(&f->po);
    f->po.cap_total = 40;   /* cap costs computed */
}

/* The model trained again: its linear predictor, which a step frees, is back. */
static void fresh(fixture *f)
{
    mql_model_free(f->m);
    f->m = train(f->t, f->y);
}

static void fixture_free(fixture *f)
{
    mql_model_free(f->m);
    mql_table_free(f->t);
    free(f->y);
}

static void test_hit_same_points(void **state)
{
    (void)state;
    empty_dir();
    fixture f;
    fixture_make(&f);
    mql_cache_result r;
    step(f.m, f.t, f.y, NULL, f.po, NULL, &r);
    assert_int_equal(r, MQL_CACHE_MISS);
    mql_points *cold = f.m->points;
    f.m->points = NULL;
    fresh(&f);
    assert_non_null(f.m->fit->eta);
    const mql_points *hot = step(f.m, f.t, f.y, NULL, f.po, NULL, &r);
    assert_int_equal(r, MQL_CACHE_HIT);
    assert_non_null(cold->threshold_rule);
    assert_true(isfinite(cold->auc_capped));
    assert_same_points(cold, hot);
    mql_points_free(cold);
    fixture_free(&f);
}

/* Each input of the step: a miss, and the table a step without the cache makes. */
static void test_inputs_miss(void **state)
{
    (void)state;
    empty_dir();
    fixture f;
    fixture_make(&f);
    mql_cache_result r;
    mql_cache_opts none = {NULL, 0, 0};
    step(f.m, f.t, f.y, NULL, f.po, NULL, &r);
    /* the step freed the fit's linear predictor: the steps below go without it, as this one */
    assert_null(f.m->fit->eta);
    step(f.m, f.t, f.y, NULL, f.po, NULL, &r);
    assert_int_equal(r, MQL_CACHE_MISS);
    step(f.m, f.t, f.y, NULL, f.po, NULL, &r);
    assert_int_equal(r, MQL_CACHE_HIT);
    unsigned char *y2 = malloc(f.t->n_rows);
    memcpy(y2, f.y, f.t->n_rows);
    y2[7] ^= 1;
    for (int k = 0; k < 10; k++) {
        mql_points_opts po = f.po;
        const unsigned char *y = f.y;
        const double *w = NULL;
        double keep = 0;
        char *lv = NULL;
        switch (k) {
        case 0: y = y2; break;
        case 1: w = f.w; break;
        case 2: po.max_points = 60; break;
        case 3: po.threshold = 30; break;
        case 4: po.cap_fit = 35; break;
        case 5: po.pdo = 20; break;
        case 6: keep = f.m->fit->beta[1]; f.m->fit->beta[1] = nextafter(keep, 1e9); break;
        case 7: keep = f.m->fit->deviance; f.m->fit->deviance = keep * 1.01; break;
        case 8: {   /* a level's text: the same codes, another rule value */
            const mql_design *d = f.m->design;
            for (size_t i = 0; i < d->n_features && !lv; i++)
                if (d->features[i].n_levels > 1) {
                    lv = d->features[i].levels[1];
                    d->features[i].levels[1] = strdup("Z renamed");
                    keep = (double)i;
                }
            break;
        }
        case 9: {   /* where a bin's rule ends ("between a..top"): not in the term labels */
            const mql_design *d = f.m->design;
            for (size_t i = 0; i < d->n_features && !lv; i++)
                if (d->features[i].cut_top) {
                    keep = (double)i;
                    lv = (char *)d->features[i].cut_top;
                    d->features[i].cut_top[0] = nextafter(d->features[i].cut_top[0], -1e9);
                }
            assert_non_null(lv);
            break;
        }
        }
        step(f.m, f.t, y, w, po, NULL, &r);
        if (r != MQL_CACHE_MISS)
            fail_msg("input %d: not a miss (%d)", k, (int)r);
        mql_points *got = f.m->points;
        f.m->points = NULL;
        step(f.m, f.t, y, w, po, &none, &r);
        assert_same_points(got, f.m->points);
        mql_points_free(got);
        if (k == 6)
            f.m->fit->beta[1] = keep;
        if (k == 7)
            f.m->fit->deviance = keep;
        if (k == 9) {
            double *ct = f.m->design->features[(size_t)keep].cut_top;
            ct[0] = nextafter(ct[0], 1e9);
        }
        if (k == 8) {
            mql_feature *ft = &f.m->design->features[(size_t)keep];
            free(ft->levels[1]);
            ft->levels[1] = lv;
        }
    }
    assert_int_equal(points_entries(NULL, 0), 12);
    free(y2);
    fixture_free(&f);
}

static void test_corrupt_entry(void **state)
{
    (void)state;
    empty_dir();
    fixture f;
    fixture_make(&f);
    mql_cache_result r;
    mql_cache_opts none = {NULL, 0, 0};
    step(f.m, f.t, f.y, NULL, f.po, &none, &r);
    mql_points *ref = f.m->points;
    f.m->points = NULL;
    fresh(&f);
    step(f.m, f.t, f.y, NULL, f.po, NULL, &r);
    char e[512];
    assert_int_equal(points_entries(e, sizeof e), 1);
    struct stat st;
    assert_int_equal(stat(e, &st), 0);
    const long at_of[] = {20, 200, (long)st.st_size - 200, (long)st.st_size - 3};
    for (int round = 0; round < 5; round++) {
        if (round < 4) {
            FILE *fp = fopen(e, "r+b");
            assert_non_null(fp);
            fseek(fp, at_of[round], SEEK_SET);
            int c = fgetc(fp);
            fseek(fp, at_of[round], SEEK_SET);
            fputc(c ^ 0x20, fp);
            fclose(fp);
        } else {
            assert_int_equal(truncate(e, st.st_size - 11), 0);
        }
        fresh(&f);
        assert_same_points(ref, step(f.m, f.t, f.y, NULL, f.po, NULL, &r));
        assert_int_equal(r, MQL_CACHE_STALE);
        fresh(&f);
        assert_same_points(ref, step(f.m, f.t, f.y, NULL, f.po, NULL, &r));
        assert_int_equal(r, MQL_CACHE_HIT);
    }
    mql_points_free(ref);
    fixture_free(&f);
}

static void test_off_writes_nothing(void **state)
{
    (void)state;
    empty_dir();
    fixture f;
    fixture_make(&f);
    mql_cache_opts none = {NULL, 0, 0}, big = {dir, 0, (uint64_t)1 << 20};
    mql_cache_result r;
    step(f.m, f.t, f.y, NULL, f.po, &none, &r);
    assert_int_equal(r, MQL_CACHE_OFF);
    fresh(&f);
    step(f.m, f.t, f.y, NULL, f.po, &big, &r);
    assert_int_equal(r, MQL_CACHE_OFF);
    assert_int_equal(points_entries(NULL, 0), 0);
    fixture_free(&f);
}

static void test_trim_points_entries(void **state)
{
    (void)state;
    empty_dir();
    fixture f;
    fixture_make(&f);
    mql_cache_result r;
    step(f.m, f.t, f.y, NULL, f.po, NULL, &r);
    char e[512];
    assert_int_equal(points_entries(e, sizeof e), 1);
    struct stat st;
    assert_int_equal(stat(e, &st), 0);
    mql_cache_opts one = {dir, (uint64_t)st.st_size + 100, 0};
    mql_points_opts po = f.po;
    po.max_points = 70;
    step(f.m, f.t, f.y, NULL, po, &one, &r);
    assert_int_equal(r, MQL_CACHE_MISS);
    assert_int_equal(points_entries(NULL, 0), 1);
    fresh(&f);
    step(f.m, f.t, f.y, NULL, f.po, NULL, &r);   /* the first step's entry went */
    assert_int_equal(r, MQL_CACHE_MISS);
    fixture_free(&f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hit_same_points),
        cmocka_unit_test(test_inputs_miss),
        cmocka_unit_test(test_corrupt_entry),
        cmocka_unit_test(test_off_writes_nothing),
        cmocka_unit_test(test_trim_points_entries),
    };
    return cmocka_run_group_tests(tests, setup, cache_dir_teardown);
}
