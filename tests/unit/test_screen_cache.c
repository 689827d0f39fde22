/* test_screen_cache.c: the screen cache (issue 17). A repeat screen of the same data hits and
 * gives mql_screen_run_rows's result field for field; every input the screen reads changes the
 * key: y, the row subset, the skip flags, the created date column, a value, a level's text
 * (evidence names levels) and a column's name. A corrupt or truncated entry is stale (screened
 * again, rewritten); no directory or a table under the minimum writes nothing; the size limit
 * trims screen entries too. */
#include "testutil.h"
#include "testutil_cache.h"
#include "testutil_table.h"

#include <sys/stat.h>
#include <unistd.h>

#include "mqlcal/screen_cache.h"

static int setup(void **state)
{
    (void)state;
    return cache_dir_setup("screencache");
}

/* Screen entries in the directory, and the path of the last one seen. */
static size_t screen_entries(char *last, size_t cap)
{
    return cache_entries(".mqls", last, cap);
}

/* 400 leads: an id, a created date, a count, a stage whose level 'Won' is nearly always won (so
 * its evidence names it), a later date and the outcome. stage_won: the text of that level;
 * bump: a row whose count is changed. */
static mql_table *leads(const char *stage_won, size_t bump)
{
    gen_text g = {0};
    add(&g, "id,created,visits,stage,decided,won\n");
    uint64_t s = 777;
    for (size_t i = 0; i < 400; i++) {
        s = s * 6364136223846793005ULL + 1442695040888963407ULL;
        int visits = (int)((s >> 33) % 15) + (i == bump);
        int won = (s >> 20) % 4 == 0;
        const char *stage = won && i % 3 ? stage_won : (s >> 40) % 2 ? "Open" : "Lost";
        add(&g, "%zu,2024-%02zu-%02zu,%d,%s,2024-%02zu-28,%d\n", 1000 + i, 1 + i % 6,
            1 + i % 27, visits, stage, 7 + i % 6, won);
    }
    mql_table *t = table_from_text(g.s, NULL);
    free(g.s);
    return t;
}

typedef struct screen_in {
    const mql_table *t;
    const unsigned char *rows, *y, *skip;
    long date_col;
} screen_in;

static mql_screen *screen(const screen_in *in, const mql_cache_opts *co, mql_cache_result *r)
{
    mql_screen *s = NULL;
    mql_err err;
    assert_int_equal(mql_screen_run_cached(in->t, in->rows, in->y, in->date_col, in->skip, co,
                                           &s, r, &err),
                     MQL_OK);
    return s;
}

static void assert_same_screen(const mql_screen *a, const mql_screen *b)
{
    assert_int_equal(a->n_cols, b->n_cols);
    for (size_t j = 0; j < a->n_cols; j++) {
        const mql_screen_col *x = &a->col[j], *z = &b->col[j];
        assert_int_equal(x->flags, z->flags);
        assert_int_equal(x->screened, z->screened);
        const double dx[] = {x->auc, x->auc_lo, x->auc_hi}, dz[] = {z->auc, z->auc_lo, z->auc_hi};
        assert_memory_equal(dx, dz, sizeof dx);
        assert_string_equal(x->evidence, z->evidence);
    }
}

/* The reference: the screen without a cache. */
static mql_screen *plain(const screen_in *in)
{
    mql_screen *s = NULL;
    mql_err err;
    assert_int_equal(mql_screen_run_rows(in->t, in->rows, in->y, in->date_col, in->skip, &s,
                                         &err),
                     MQL_OK);
    return s;
}

typedef struct fixture {
    mql_table *t;
    unsigned char *y, *rows, skip[6];
    screen_in in;
} fixture;

static void fixture_make(fixture *f, const char *stage_won, size_t bump)
{
    memset(f, 0, sizeof *f);
    f->t = leads(stage_won, bump);
    f->y = table_flag(f->t, "won");
    f->rows = malloc(f->t->n_rows);
    for (size_t i = 0; i < f->t->n_rows; i++)
        f->rows[i] = i % 5 != 0;
    f->skip[5] = 1;
    f->in = (screen_in){f->t, NULL, f->y, f->skip, mql_table_find(f->t, "created")};
}

static void fixture_free(fixture *f)
{
    mql_table_free(f->t);
    free(f->y);
    free(f->rows);
}

static void test_hit_same_screen(void **state)
{
    (void)state;
    empty_dir();
    mql_cache_opts co = {dir, 0, 0};
    fixture f;
    fixture_make(&f, "Won", SIZE_MAX);
    for (int sub = 0; sub < 2; sub++) {
        f.in.rows = sub ? f.rows : NULL;
        mql_screen *ref = plain(&f.in);
        mql_cache_result r;
        mql_screen *a = screen(&f.in, &co, &r), *b;
        assert_int_equal(r, MQL_CACHE_MISS);
        b = screen(&f.in, &co, &r);
        assert_int_equal(r, MQL_CACHE_HIT);
        assert_same_screen(ref, a);
        assert_same_screen(ref, b);
        /* the evidence names the level */
        assert_non_null(strstr(b->col[3].evidence, "'Won'"));
        mql_screen_free(ref);
        mql_screen_free(a);
        mql_screen_free(b);
    }
    fixture_free(&f);
}

/* Each input the screen reads: another key, and the screen of those inputs. */
static void test_inputs_miss(void **state)
{
    (void)state;
    empty_dir();
    mql_cache_opts co = {dir, 0, 0};
    fixture f, g, h;
    fixture_make(&f, "Won", SIZE_MAX);
    fixture_make(&g, "Closed Won", SIZE_MAX);
    fixture_make(&h, "Won", 17);
    mql_cache_result r;
    mql_screen_free(screen(&f.in, &co, &r));
    unsigned char *y2 = malloc(f.t->n_rows);
    memcpy(y2, f.y, f.t->n_rows);
    y2[3] ^= 1;
    unsigned char skip2[6] = {0, 0, 0, 1, 0, 1};
    screen_in v[] = {f.in, f.in, f.in, f.in, g.in, h.in};
    v[0].y = y2;
    v[1].rows = f.rows;
    v[2].skip = skip2;
    v[3].date_col = -1;
    for (size_t k = 0; k < sizeof v / sizeof *v; k++) {
        mql_screen *ref = plain(&v[k]), *a = screen(&v[k], &co, &r);
        if (r != MQL_CACHE_MISS)
            fail_msg("input %zu: not a miss (%d)", k, (int)r);
        assert_same_screen(ref, a);
        mql_screen_free(ref);
        mql_screen_free(a);
    }
    assert_int_equal(screen_entries(NULL, 0), 1 + sizeof v / sizeof *v);
    /* a column's name */
    free(g.t->cols[2].name);
    g.t->cols[2].name = strdup("visit_count");
    mql_screen_free(screen(&g.in, &co, &r));
    assert_int_equal(r, MQL_CACHE_MISS);
    free(y2);
    fixture_free(&f);
    fixture_free(&g);
    fixture_free(&h);
}

static void flip_byte(const char *path, long at)
{
    FILE *fp = fopen(path, "r+b");
    assert_non_null(fp);
    fseek(fp, at, SEEK_SET);
    int c = fgetc(fp);
    fseek(fp, at, SEEK_SET);
    fputc(c ^ 0x20, fp);
    fclose(fp);
}

static void test_corrupt_entry(void **state)
{
    (void)state;
    empty_dir();
    mql_cache_opts co = {dir, 0, 0};
    fixture f;
    fixture_make(&f, "Won", SIZE_MAX);
    mql_screen *ref = plain(&f.in);
    mql_cache_result r;
    mql_screen_free(screen(&f.in, &co, &r));
    char e[512];
    assert_int_equal(screen_entries(e, sizeof e), 1);
    struct stat st;
    assert_int_equal(stat(e, &st), 0);
    const long at_of[] = {20, 200, (long)st.st_size - 30};   /* header, key text, body */
    for (int round = 0; round < 4; round++) {
        if (round < 3)
            flip_byte(e, at_of[round]);
        else
            assert_int_equal(truncate(e, st.st_size - 9), 0);
        mql_screen *b = screen(&f.in, &co, &r);
        assert_int_equal(r, MQL_CACHE_STALE);
        assert_same_screen(ref, b);
        mql_screen_free(b);
        b = screen(&f.in, &co, &r);
        assert_int_equal(r, MQL_CACHE_HIT);
        assert_same_screen(ref, b);
        mql_screen_free(b);
    }
    mql_screen_free(ref);
    fixture_free(&f);
}

/* No directory: nothing read or written. A table under the minimum size: not cached. */
static void test_off_writes_nothing(void **state)
{
    (void)state;
    empty_dir();
    mql_cache_opts none = {NULL, 0, 0}, big = {dir, 0, (uint64_t)1 << 20};
    fixture f;
    fixture_make(&f, "Won", SIZE_MAX);
    mql_cache_result r;
    mql_screen_free(screen(&f.in, &none, &r));
    assert_int_equal(r, MQL_CACHE_OFF);
    mql_screen_free(screen(&f.in, &big, &r));
    assert_int_equal(r, MQL_CACHE_OFF);
    assert_int_equal(screen_entries(NULL, 0), 0);
    fixture_free(&f);
}

/* The size limit counts screen entries: with room for one, the older screen's entry goes. */
static void test_trim_screen_entries(void **state)
{
    (void)state;
    empty_dir();
    mql_cache_opts co = {dir, 0, 0};
    fixture f;
    fixture_make(&f, "Won", SIZE_MAX);
    mql_cache_result r;
    mql_screen_free(screen(&f.in, &co, &r));
    char e[512];
    assert_int_equal(screen_entries(e, sizeof e), 1);
    struct stat st;
    assert_int_equal(stat(e, &st), 0);
    mql_cache_opts one = {dir, (uint64_t)st.st_size + 100, 0};
    f.in.rows = f.rows;
    mql_screen_free(screen(&f.in, &one, &r));
    assert_int_equal(r, MQL_CACHE_MISS);
    assert_int_equal(screen_entries(NULL, 0), 1);
    f.in.rows = NULL;
    mql_screen_free(screen(&f.in, &co, &r));       /* the first screen's entry went */
    assert_int_equal(r, MQL_CACHE_MISS);
    fixture_free(&f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hit_same_screen),
        cmocka_unit_test(test_inputs_miss),
        cmocka_unit_test(test_corrupt_entry),
        cmocka_unit_test(test_off_writes_nothing),
        cmocka_unit_test(test_trim_screen_entries),
    };
    return cmocka_run_group_tests(tests, setup, cache_dir_teardown);
}
