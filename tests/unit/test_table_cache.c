/* test_table_cache.c: the table cache (issue 17). A hit gives the table mql_table_read gives,
 * cell by cell and in everything else the table carries (levels and their counts, merged
 * spellings, boolean labels, placeholder list, delimiter, hash); a changed file or option
 * misses; a corrupt, truncated or foreign entry is a miss that reads the CSV and replaces the
 * entry; the directory is trimmed to its size limit, least recently used first. */
#include "testutil.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mqlcal/design_scan.h"
#include "mqlcal/table_cache.h"

#include "../../src/cache_file.h"   /* the entries' byte buffer (not public) */

static char dir[64];

static int setup(void **state)
{
    (void)state;
    snprintf(dir, sizeof dir, "/tmp/mqlcal-cache-XXXXXX");
    return mkdtemp(dir) ? 0 : -1;
}

static void empty_dir(void)
{
    DIR *d = opendir(dir);
    struct dirent *de;
    char p[512];
    while (d && (de = readdir(d)))
        if (de->d_name[0] != '.' || strncmp(de->d_name, ".tmp", 4) == 0) {
            snprintf(p, sizeof p, "%s/%s", dir, de->d_name);
            unlink(p);
        }
    if (d)
        closedir(d);
}

static int teardown(void **state)
{
    (void)state;
    empty_dir();
    rmdir(dir);
    return 0;
}

static size_t entries(void)
{
    DIR *d = opendir(dir);
    struct dirent *de;
    size_t n = 0;
    while (d && (de = readdir(d)))
        n += strstr(de->d_name, ".mqlt") != NULL;
    if (d)
        closedir(d);
    return n;
}

static void same_str(const char *a, const char *b, const char *what)
{
    if ((a == NULL) != (b == NULL) || (a && strcmp(a, b) != 0))
        fail_msg("%s: '%s' vs '%s'", what, a ? a : "(null)", b ? b : "(null)");
}

/* Everything the table carries, compared field by field (numbers bit for bit). */
static void assert_tables_equal(const mql_table *a, const mql_table *b)
{
    assert_int_equal(a->n_rows, b->n_rows);
    assert_int_equal(a->n_cols, b->n_cols);
    assert_int_equal(a->delim, b->delim);
    assert_int_equal(a->n_bytes, b->n_bytes);
    assert_true(a->hash == b->hash);
    same_str(a->source, b->source, "source");
    assert_int_equal(a->na.n, b->na.n);
    assert_int_equal(a->na.v == NULL, b->na.v == NULL);
    for (size_t k = 0; k < a->na.n; k++)
        same_str(a->na.v[k], b->na.v[k], "na");
    for (size_t j = 0; j < a->n_cols; j++) {
        const mql_column *x = &a->cols[j], *y = &b->cols[j];
        same_str(x->name, y->name, "name");
        assert_int_equal(x->type, y->type);
        assert_int_equal(x->n_missing, y->n_missing);
        assert_int_equal(x->n_levels, y->n_levels);
        assert_int_equal(x->n_distinct, y->n_distinct);
        assert_int_equal(x->has_time, y->has_time);
        assert_int_equal(x->n_rows, y->n_rows);
        assert_int_equal(x->num == NULL, y->num == NULL);
        assert_int_equal(x->code == NULL, y->code == NULL);
        if (x->num)
            assert_memory_equal(x->num, y->num, a->n_rows * sizeof *x->num);
        if (x->code)
            assert_memory_equal(x->code, y->code, a->n_rows * sizeof *x->code);
        assert_int_equal(x->level_count == NULL, y->level_count == NULL);
        for (size_t k = 0; k < x->n_levels; k++) {
            same_str(x->levels[k], y->levels[k], "level");
            if (x->level_count)
                assert_int_equal(x->level_count[k], y->level_count[k]);
        }
        same_str(x->true_label, y->true_label, "true_label");
        same_str(x->false_label, y->false_label, "false_label");
        assert_int_equal(x->n_spellings, y->n_spellings);
        for (size_t k = 0; k < x->n_spellings; k++) {
            assert_int_equal(x->spellings[k].level, y->spellings[k].level);
            same_str(x->spellings[k].text, y->spellings[k].text, "spelling");
            assert_int_equal(x->spellings[k].count, y->spellings[k].count);
        }
        /* and the display text of every cell */
        for (size_t i = 0; i < a->n_rows; i++) {
            char bx[128], by[128];
            same_str(mql_cell_text(x, i, bx, sizeof bx), mql_cell_text(y, i, by, sizeof by),
                     "cell");
        }
    }
}

static mql_table *read_via(const char *path, const mql_read_opts *o, uint64_t max_bytes,
                           mql_cache_result want)
{
    mql_cache_opts co = {dir, max_bytes, 0};
    mql_table *t = NULL;
    mql_cache_result res = MQL_CACHE_OFF;
    mql_err err;
    int st = mql_table_read_cached(path, o, &co, &t, &res, &err);
    if (st)
        fail_msg("read %s: %s", path, err.msg);
    if (res != want)
        fail_msg("%s: cache result %d, expected %d", path, (int)res, (int)want);
    return t;
}

static mql_table *read_plain(const char *path, const mql_read_opts *o)
{
    mql_table *t = NULL;
    mql_err err;
    if (mql_table_read(path, o, &t, &err))
        fail_msg("read %s: %s", path, err.msg);
    return t;
}

/* Misses, then hits with a table equal to the plain read. */
static void round_trip(const char *path, const mql_read_opts *o)
{
    mql_table *plain = read_plain(path, o);
    mql_table *miss = read_via(path, o, 0, MQL_CACHE_MISS);
    mql_table *hit = read_via(path, o, 0, MQL_CACHE_HIT);
    assert_tables_equal(plain, miss);
    assert_tables_equal(plain, hit);
    mql_table_free(plain);
    mql_table_free(miss);
    mql_table_free(hit);
}

/* Every column type, booleans from text and from 0/1, times, an all-missing column, text and
 * integer identifiers, merged spellings, placeholders, quoted commas. */
static const char *const mixed =
    "lead_id,num_id,created,amount,flag,yn,source,empty,note\n"
    "A1,101,2024-01-01,\"1,234,567\",1,Yes,Google,,\"a, b\"\n"
    "A2,102,2024-01-02 10:30:00,12.5,0,no,google,NA,c\n"
    "A3,103,2024-01-03,NA,1,YES,Partner,,c\n"
    "A4,104,,-3e2,0,N/A,Google ,null,\n"
    "A5,105,2024-02-29,7,1,no,Select,,d\n";

static void test_hit_identical(void **state)
{
    (void)state;
    char path[64];
    assert_non_null(write_temp(path, sizeof path, mixed));
    round_trip(path, NULL);
    const char *cat[] = {"num_id", "amount"};
    mql_read_opts o = {.categorical = cat, .n_categorical = 2};
    round_trip(path, &o);                                /* forced categorical */
    const char *na[] = {"", "NA", "null"};
    mql_read_opts o2 = {.na = na, .n_na = 3};            /* "Select", "N/A" become answers */
    round_trip(path, &o2);
    const char *only[] = {"source", "created"};
    mql_read_opts o3 = {.only = only, .n_only = 2, .delim = ','};
    round_trip(path, &o3);
    unlink(path);
    /* the export fixtures: merged spellings, placeholder lists, decimals */
    round_trip("tests/fixtures/exports/spellings.csv", NULL);
    round_trip("tests/fixtures/exports/placeholders.csv", &o2);
    round_trip("tests/fixtures/exports/decimals.csv", NULL);
    round_trip("tests/fixtures/leads_semicolon.csv", NULL);
    /* the parallel reader's table is the one cached: threads is not part of the key */
    mql_read_opts t1 = {.threads = 1}, t3 = {.threads = 3};
    mql_table *a = read_plain("tests/fixtures/exports/spellings.csv", &t1);
    mql_table *b = read_via("tests/fixtures/exports/spellings.csv", &t3, 0, MQL_CACHE_HIT);
    assert_tables_equal(a, b);
    mql_table_free(a);
    mql_table_free(b);
    empty_dir();
}

/* A hit keeps every column's levels in one block of the column's own (the identifier lead_id's
 * 5,000 values are one allocation): each level lies inside level_blocks[0], one after the other
 * with its NUL, and the table equals the plain read's. */
static void test_hit_levels_one_block(void **state)
{
    (void)state;
    const char *path = "datasets/synthetic-leads.csv";
    mql_table *plain = read_plain(path, NULL);
    mql_table_free(read_via(path, NULL, 0, MQL_CACHE_MISS));
    mql_table *hit = read_via(path, NULL, 0, MQL_CACHE_HIT);
    assert_tables_equal(plain, hit);
    size_t with_levels = 0, big = 0;
    for (size_t j = 0; j < hit->n_cols; j++) {
        const mql_column *c = &hit->cols[j];
        if (c->n_levels == 0)
            continue;
        with_levels++;
        big += c->n_levels >= 1000;
        assert_int_equal(c->n_level_blocks, 1);
        const char *at = c->level_blocks[0];
        for (size_t k = 0; k < c->n_levels; k++) {
            if (c->levels[k] != at)
                fail_msg("%s: level %zu not where the block's walk is", c->name, k);
            at += strlen(at) + 1;
        }
    }
    assert_true(with_levels >= 4);    /* the categoricals and lead_id */
    assert_int_equal(big, 1);         /* lead_id */
    mql_table_free(plain);
    mql_table_free(hit);
    empty_dir();
}

/* A hit's arrays lie in a private mapping of the entry: written in place they change the table,
 * not the entry (the next hit reads the stored values); columns turned categorical or retyped
 * own their new arrays; freeing such a table releases everything (ASan build). */
static void test_hit_mapped(void **state)
{
    (void)state;
    char path[64];
    assert_non_null(write_temp(path, sizeof path, mixed));
    mql_table *plain = read_plain(path, NULL);
    mql_table_free(read_via(path, NULL, 0, MQL_CACHE_MISS));
    mql_table *t = read_via(path, NULL, 0, MQL_CACHE_HIT);
    assert_non_null(t->map);
    size_t borrowed = 0;
    mql_err err;
    for (size_t j = 0; j < t->n_cols; j++) {
        mql_column *c = &t->cols[j];
        borrowed += c->borrowed;
        if (c->num) {
            c->num[0] = 12345.0;                         /* copy-on-write */
            assert_int_equal(mql_column_to_categorical(c, &err), MQL_OK);
            assert_int_equal(c->borrowed, 0);
        }
    }
    assert_true(borrowed >= 4);
    mql_table_free(t);
    t = read_via(path, NULL, 0, MQL_CACHE_HIT);
    assert_tables_equal(plain, t);
    mql_table_free(t);
    mql_table_free(plain);
    unlink(path);
    empty_dir();
}

static void test_file_hash(void **state)
{
    (void)state;
    const char *p = "tests/fixtures/exports/decimals.csv";
    mql_table *t = read_plain(p, NULL);
    uint64_t h, n;
    assert_int_equal(mql_file_xxh64(p, &h, &n, NULL), MQL_OK);
    assert_true(h == t->hash);
    assert_int_equal(n, t->n_bytes);
    mql_table_free(t);
}

static void test_changes_miss(void **state)
{
    (void)state;
    char path[64];
    assert_non_null(write_temp(path, sizeof path, mixed));
    mql_table_free(read_via(path, NULL, 0, MQL_CACHE_MISS));
    mql_table_free(read_via(path, NULL, 0, MQL_CACHE_HIT));
    const char *cat[] = {"num_id"};
    mql_read_opts o = {.categorical = cat, .n_categorical = 1};
    mql_table *t = read_via(path, &o, 0, MQL_CACHE_MISS);     /* another option: another entry */
    assert_int_equal(t->cols[1].type, MQL_COL_CATEGORICAL);
    mql_table_free(t);
    const char *na[] = {"", "NA"};
    mql_read_opts o2 = {.na = na, .n_na = 2};
    mql_table_free(read_via(path, &o2, 0, MQL_CACHE_MISS));
    mql_read_opts o3 = {.delim = ','};                        /* given vs detected */
    mql_table_free(read_via(path, &o3, 0, MQL_CACHE_MISS));
    assert_int_equal(entries(), 4);
    /* the same file changed in place: its content hash differs */
    FILE *f = fopen(path, "a");
    fputs("A6,106,2024-03-01,8,0,yes,Google,,e\n", f);
    fclose(f);
    t = read_via(path, NULL, 0, MQL_CACHE_MISS);
    assert_int_equal(t->n_rows, 6);
    mql_table_free(t);
    unlink(path);
    empty_dir();
}

/* Rewrites byte at off (from the end when off < 0) of the only entry, or truncates it to len. */
static void damage(const char *csv, long off, long truncate_to)
{
    uint64_t h, n;
    assert_int_equal(mql_file_xxh64(csv, &h, &n, NULL), MQL_OK);
    char *e = mql_table_cache_path(dir, h, n, NULL);
    assert_non_null(e);
    int fd = open(e, O_RDWR);
    assert_true(fd >= 0);
    struct stat st;
    assert_int_equal(fstat(fd, &st), 0);
    if (truncate_to >= 0) {
        assert_int_equal(ftruncate(fd, truncate_to), 0);
    } else {
        off_t at = off >= 0 ? off : st.st_size + off;
        unsigned char c;
        assert_int_equal(pread(fd, &c, 1, at), 1);
        c ^= 0x5a;
        assert_int_equal(pwrite(fd, &c, 1, at), 1);
    }
    close(fd);
    free(e);
}

static void test_corrupt_ignored(void **state)
{
    (void)state;
    char path[64];
    assert_non_null(write_temp(path, sizeof path, mixed));
    mql_table *plain = read_plain(path, NULL);
    struct {
        long off, truncate_to;
    } cases[] = {
        {0, -1},        /* magic */
        {9, -1},        /* version byte */
        {20, -1},       /* CSV hash in the header (header checksum) */
        {100, -1},      /* metadata (its checksum) */
        {-1, -1},       /* last byte of the last column (column checksum) */
        {-9, -1},       /* a column array */
        {0, 30},        /* truncated in the header */
        {0, 200},       /* truncated in the metadata */
        {-1, 0},        /* empty */
    };
    mql_table_free(read_via(path, NULL, 0, MQL_CACHE_MISS));
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        damage(path, cases[k].off, cases[k].truncate_to);
        mql_table *t = read_via(path, NULL, 0, MQL_CACHE_STALE);   /* read from the CSV */
        assert_tables_equal(plain, t);
        mql_table_free(t);
        t = read_via(path, NULL, 0, MQL_CACHE_HIT);                /* and stored again */
        assert_tables_equal(plain, t);
        mql_table_free(t);
    }
    /* a byte appended after the last column */
    uint64_t h, n;
    mql_file_xxh64(path, &h, &n, NULL);
    char *e = mql_table_cache_path(dir, h, n, NULL);
    FILE *f = fopen(e, "a");
    fputc('x', f);
    fclose(f);
    free(e);
    mql_table_free(read_via(path, NULL, 0, MQL_CACHE_STALE));
    mql_table_free(plain);
    unlink(path);
    empty_dir();
}

/* An entry large enough for its columns to be checked on two threads (8 MB and more): a hit
 * equals the plain read, and a byte changed in any column, the first thread's or the second's,
 * is found. Columns: two of 4.8 MB of doubles, then 2.4 MB of codes, at the entry's end. */
static void test_corrupt_large(void **state)
{
    (void)state;
    size_t rows = 600000, cap = rows * 32 + 64, at = 0;
    char *text = malloc(cap), path[64];
    assert_non_null(text);
    at += (size_t)snprintf(text, cap, "x,y,c\n");
    for (size_t i = 0; i < rows; i++)
        at += (size_t)snprintf(text + at, cap - at, "%zu.%zu,%zu,%c\n", i % 977, i % 10, i % 31,
                               "abc"[i % 3]);
    assert_non_null(write_temp(path, sizeof path, text));
    free(text);
    mql_table *plain = read_plain(path, NULL);
    mql_table *t = read_via(path, NULL, 0, MQL_CACHE_MISS);
    mql_table_free(t);
    t = read_via(path, NULL, 0, MQL_CACHE_HIT);
    assert_tables_equal(plain, t);
    mql_table_free(t);
    const long offs[] = {-9, -(long)(rows * 4 + 100), -(long)(rows * 12 + 100)};
    for (size_t k = 0; k < sizeof offs / sizeof *offs; k++) {
        damage(path, offs[k], -1);
        t = read_via(path, NULL, 0, MQL_CACHE_STALE);
        assert_tables_equal(plain, t);
        mql_table_free(t);
        mql_table_free(read_via(path, NULL, 0, MQL_CACHE_HIT));
    }
    mql_table_free(plain);
    unlink(path);
    empty_dir();
}

static void test_size_limit(void **state)
{
    (void)state;
    char p1[64], p2[64], p3[64];
    assert_non_null(write_temp(p1, sizeof p1, mixed));
    assert_non_null(write_temp(p2, sizeof p2, "a,b\n1,x\n2,y\n3,x\n"));
    assert_non_null(write_temp(p3, sizeof p3, "a,b\n1,x\n2,y\n4,x\n"));
    /* an entry larger than the limit is not stored */
    mql_table_free(read_via(p1, NULL, 100, MQL_CACHE_NOT_STORED));
    assert_int_equal(entries(), 0);
    uint64_t h, n;
    struct stat st;
    mql_table_free(read_via(p1, NULL, 0, MQL_CACHE_MISS));
    mql_file_xxh64(p1, &h, &n, NULL);
    char *e1 = mql_table_cache_path(dir, h, n, NULL);
    assert_int_equal(stat(e1, &st), 0);
    uint64_t big = (uint64_t)st.st_size;
    free(e1);
    empty_dir();
    /* room for two small entries: the third evicts the least recently used */
    mql_table_free(read_via(p2, NULL, 0, MQL_CACHE_MISS));
    mql_file_xxh64(p2, &h, &n, NULL);
    char *e2 = mql_table_cache_path(dir, h, n, NULL);
    assert_int_equal(stat(e2, &st), 0);
    uint64_t one = (uint64_t)st.st_size;
    mql_table_free(read_via(p3, NULL, 0, MQL_CACHE_MISS));
    struct timespec old[2] = {{1000, 0}, {1000, 0}};
    utimensat(AT_FDCWD, e2, old, 0);                    /* p2's entry used long ago */
    mql_table_free(read_via(p1, NULL, big + one + one / 2, MQL_CACHE_MISS));
    assert_int_equal(entries(), 2);
    assert_int_not_equal(stat(e2, &st), 0);             /* p2's went */
    mql_table_free(read_via(p3, NULL, 0, MQL_CACHE_HIT));
    mql_table_free(read_via(p1, NULL, 0, MQL_CACHE_HIT));
    free(e2);
    /* below the smallest file cached, and stdin: off, nothing written */
    empty_dir();
    mql_cache_opts co = {dir, 0, 1 << 20};
    mql_table *t;
    mql_cache_result res;
    mql_err err;
    assert_int_equal(mql_table_read_cached(p2, NULL, &co, &t, &res, &err), MQL_OK);
    assert_int_equal(res, MQL_CACHE_OFF);
    mql_table_free(t);
    assert_int_equal(entries(), 0);
    unlink(p1);
    unlink(p2);
    unlink(p3);
}

static void test_read_error_not_cached(void **state)
{
    (void)state;
    char path[64];
    empty_dir();
    assert_non_null(write_temp(path, sizeof path, "a,b\n1,2\n3\n"));
    mql_cache_opts co = {dir, 0, 0};
    mql_table *t = NULL;
    mql_cache_result res;
    mql_err err;
    assert_int_equal(mql_table_read_cached(path, NULL, &co, &t, &res, &err), MQL_EDATA);
    assert_null(t);
    assert_int_equal(entries(), 0);
    unlink(path);
}

static void test_dir_default(void **state)
{
    (void)state;
    setenv("XDG_CACHE_HOME", "/x/cache", 1);
    char *d = mql_cache_dir_default();
    assert_string_equal(d, "/x/cache/mqlcal");
    free(d);
    setenv("XDG_CACHE_HOME", "relative", 1);    /* XDG: relative paths are ignored */
    setenv("HOME", "/home/u", 1);
    d = mql_cache_dir_default();
    assert_string_equal(d, "/home/u/.cache/mqlcal");
    free(d);
}

/* ---------------------------------------------------------------- the scan kept by a hit */

/* The scan of each numeric column (mql_design_scan_numeric, unweighted) of tables a, by a pass
 * (without the scan a's reader kept), and b. */
static void assert_scans_equal(const mql_table *a, const mql_table *b, size_t n_rows)
{
    for (size_t j = 0; j < a->n_cols; j++) {
        if (a->cols[j].type != MQL_COL_NUMERIC)
            continue;
        mql_column bare = a->cols[j];
        bare.scan_of = NULL;
        mql_numeric_scan x = {.col = &bare, .n_rows = n_rows};
        mql_numeric_scan y = {.col = &b->cols[j], .n_rows = n_rows};
        mql_design_scan_numeric(&x, 1);
        mql_design_scan_numeric(&y, 1);
        assert_int_equal(x.nv, y.nv);
        assert_int_equal(x.na, y.na);
        assert_int_equal(x.integer, y.integer);
        assert_memory_equal(&x.lo, &y.lo, sizeof x.lo);     /* bit for bit: -0 is not 0 */
        assert_memory_equal(&x.hi, &y.hi, sizeof x.hi);
    }
}

/* A hit keeps each numeric column's scan, taken while its checksum was checked, and the design's
 * scan uses it: the same outputs as a plain read's (missing cells, whole and fractional columns,
 * -0 and 0, columns over several 64 KiB blocks). It is not used for fewer rows, nor once the
 * column has another array. (A plain read keeps the scan its reader counted: test_design_scan.c
 * checks that one against passes.) */
static void test_hit_keeps_scan(void **state)
{
    (void)state;
    size_t rows = 30000, cap = rows * 48 + 64, at = 0;
    char *text = malloc(cap), path[64];
    assert_non_null(text);
    at += (size_t)snprintf(text, cap, "whole,frac,gaps,zeros,big,tag\n");
    for (size_t i = 0; i < rows; i++) {
        const char *z = i % 7 == 3 ? "-0" : i % 5 == 1 ? "0" : "-2";
        at += (size_t)snprintf(text + at, cap - at, "%zu,%zu.%zu,%s,%s,%s,%c\n", i % 977,
                               i % 31, i % 10, i % 9 == 0 ? "" : "5", z,
                               i == 20000 ? "9007199254740993" : "12", "abc"[i % 3]);
    }
    assert_non_null(write_temp(path, sizeof path, text));
    free(text);
    mql_table *plain = read_plain(path, NULL);
    for (size_t j = 0; j < plain->n_cols; j++)
        assert_true(plain->cols[j].type == MQL_COL_NUMERIC
                        ? plain->cols[j].scan_of == plain->cols[j].num
                        : plain->cols[j].scan_of == NULL);
    mql_table_free(read_via(path, NULL, 0, MQL_CACHE_MISS));
    mql_table *hit = read_via(path, NULL, 0, MQL_CACHE_HIT);
    size_t kept = 0;
    for (size_t j = 0; j < hit->n_cols; j++)
        if (hit->cols[j].type == MQL_COL_NUMERIC) {
            assert_ptr_equal(hit->cols[j].scan_of, hit->cols[j].num);
            kept++;
        }
    assert_int_equal(kept, 5);
    assert_scans_equal(plain, hit, rows);
    /* fewer rows than were scanned: a pass over those rows */
    assert_scans_equal(plain, hit, rows / 3);
    /* the kept scan is the only source: changed to say so, it is what the design gets ... */
    mql_column *c = &hit->cols[0];
    double lo = c->scan_lo;
    c->scan_lo = -12345.0;
    mql_numeric_scan x = {.col = c, .n_rows = rows};
    mql_design_scan_numeric(&x, 1);
    assert_true(x.lo == -12345.0);
    /* ... until the column has an array of its own (the same values): a pass again */
    double *own = malloc(rows * sizeof *own);
    memcpy(own, c->num, rows * sizeof *own);
    const double *mapped = c->num;
    c->num = own;
    c->borrowed = 0;
    mql_design_scan_numeric(&x, 1);
    assert_true(x.lo == lo);
    c->num = (double *)mapped;
    c->borrowed = 1;
    free(own);
    c->scan_lo = lo;
    /* weighted rows: always a pass */
    double *w = malloc(rows * sizeof *w);
    for (size_t i = 0; i < rows; i++)
        w[i] = i % 2 ? 2.0 : 0.0;
    mql_numeric_scan a = {.col = &plain->cols[0], .n_rows = rows, .w = w};
    mql_numeric_scan b = {.col = c, .n_rows = rows, .w = w};
    mql_design_scan_numeric(&a, 1);
    mql_design_scan_numeric(&b, 1);
    assert_int_equal(a.nv, b.nv);
    assert_true(a.lo == b.lo && a.hi == b.hi);
    free(w);
    mql_table_free(hit);
    mql_table_free(plain);
    unlink(path);
    empty_dir();
}

/* ---------------------------------------------------------------- the identity index */

static size_t records(void)
{
    DIR *d = opendir(dir);
    struct dirent *de;
    size_t n = 0;
    while (d && (de = readdir(d)))
        n += strstr(de->d_name, ".mqli") != NULL;
    if (d)
        closedir(d);
    return n;
}

/* The only identity record's path (static buffer), or fails. */
static const char *record_path(void)
{
    static char p[512];
    DIR *d = opendir(dir);
    struct dirent *de;
    p[0] = '\0';
    while (d && (de = readdir(d)))
        if (strstr(de->d_name, ".mqli"))
            snprintf(p, sizeof p, "%s/%s", dir, de->d_name);
    if (d)
        closedir(d);
    assert_true(p[0] != '\0');
    return p;
}

static mql_table *read_traced(const char *path, mql_cache_result want,
                              mql_cache_candidate want_cand)
{
    mql_cache_opts co = {dir, 0, 0};
    mql_table *t = NULL;
    mql_cache_trace tr = {MQL_CACHE_OFF, MQL_CACHE_NO_CANDIDATE};
    mql_err err;
    if (mql_table_read_cached_traced(path, NULL, &co, &t, &tr, &err))
        fail_msg("read %s: %s", path, err.msg);
    if (tr.result != want || tr.candidate != want_cand)
        fail_msg("%s: cache result %d/%d, expected %d/%d", path, (int)tr.result,
                 (int)tr.candidate, (int)want, (int)want_cand);
    return t;
}

/* Rewrites the file's bytes in place (same inode, same size) and puts its modification time
 * back, so its identity record still matches. */
static void rewrite_same_identity(const char *path, const char *text)
{
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    int fd = open(path, O_WRONLY);
    assert_true(fd >= 0);
    assert_int_equal(pwrite(fd, text, strlen(text), 0), (ssize_t)strlen(text));
    close(fd);
    struct timespec ts[2] = {st.st_atim, st.st_mtim};
    assert_int_equal(utimensat(AT_FDCWD, path, ts, 0), 0);
    struct stat now;
    assert_int_equal(stat(path, &now), 0);
    assert_int_equal(now.st_size, st.st_size);
    assert_true(now.st_ino == st.st_ino && now.st_mtim.tv_sec == st.st_mtim.tv_sec &&
                now.st_mtim.tv_nsec == st.st_mtim.tv_nsec);
}

/* A store records the file's identity; the next read checks the entry it points at while the
 * CSV is hashed. The entry is used only when the CSV's hash is the one it was stored under: a file
 * changed behind the same inode, size and time is read again (its old entry, intact and
 * checksum-clean, is never used), a damaged candidate is stale, a damaged or foreign record is
 * ignored and rewritten; a record whose entries are all gone is removed at the next trim. */
static void test_identity_index(void **state)
{
    (void)state;
    char path[64];
    assert_non_null(write_temp(path, sizeof path, mixed));
    mql_table *plain = read_plain(path, NULL);
    mql_table *t = read_traced(path, MQL_CACHE_MISS, MQL_CACHE_NO_CANDIDATE);
    assert_tables_equal(plain, t);
    mql_table_free(t);
    assert_int_equal(records(), 1);
    t = read_traced(path, MQL_CACHE_HIT, MQL_CACHE_CANDIDATE_CONFIRMED);
    assert_tables_equal(plain, t);
    mql_table_free(t);
    mql_table_free(plain);

    /* the same identity, other bytes: the record's entry is rejected, the CSV read */
    char *changed = mql_strdup(mixed);
    char *a5 = strstr(changed, "A5,105");
    assert_non_null(a5);
    memcpy(a5, "A9,905", 6);
    rewrite_same_identity(path, changed);
    plain = read_plain(path, NULL);
    t = read_traced(path, MQL_CACHE_MISS, MQL_CACHE_CANDIDATE_REJECTED);
    assert_tables_equal(plain, t);
    mql_table_free(t);
    assert_int_equal(entries(), 2);
    assert_int_equal(records(), 1);                     /* the record now holds the new hash */
    t = read_traced(path, MQL_CACHE_HIT, MQL_CACHE_CANDIDATE_CONFIRMED);
    assert_tables_equal(plain, t);
    mql_table_free(t);
    /* and back: the first entry is found by its hash again, the record updated */
    rewrite_same_identity(path, mixed);
    mql_table *first = read_plain(path, NULL);
    t = read_traced(path, MQL_CACHE_HIT, MQL_CACHE_CANDIDATE_REJECTED);
    assert_tables_equal(first, t);
    mql_table_free(t);
    t = read_traced(path, MQL_CACHE_HIT, MQL_CACHE_CANDIDATE_CONFIRMED);
    mql_table_free(t);

    /* a damaged candidate: stale, read from the CSV, stored again */
    damage(path, -9, -1);
    t = read_traced(path, MQL_CACHE_STALE, MQL_CACHE_CANDIDATE_CONFIRMED);
    assert_tables_equal(first, t);
    mql_table_free(t);
    mql_table_free(read_traced(path, MQL_CACHE_HIT, MQL_CACHE_CANDIDATE_CONFIRMED));

    /* a damaged record (each byte in turn), and a foreign one: ignored, then rewritten */
    const char *rp = record_path();
    unsigned char rec[72];
    int fd = open(rp, O_RDONLY);
    assert_int_equal(read(fd, rec, sizeof rec), (ssize_t)sizeof rec);
    close(fd);
    for (size_t k = 0; k < sizeof rec; k += 7) {
        unsigned char bad[72];
        memcpy(bad, rec, sizeof bad);
        bad[k] ^= 0x21;
        fd = open(rp, O_WRONLY | O_TRUNC);
        assert_int_equal(write(fd, bad, sizeof bad), (ssize_t)sizeof bad);
        close(fd);
        t = read_traced(path, MQL_CACHE_HIT, MQL_CACHE_NO_CANDIDATE);
        assert_tables_equal(first, t);
        mql_table_free(t);
        mql_table_free(read_traced(path, MQL_CACHE_HIT, MQL_CACHE_CANDIDATE_CONFIRMED));
    }
    fd = open(rp, O_WRONLY | O_TRUNC);
    assert_int_equal(write(fd, "not a record\n", 13), 13);
    close(fd);
    mql_table_free(read_traced(path, MQL_CACHE_HIT, MQL_CACHE_NO_CANDIDATE));
    mql_table_free(read_traced(path, MQL_CACHE_HIT, MQL_CACHE_CANDIDATE_CONFIRMED));

    /* a record whose entries are gone: removed when the next store trims the directory */
    DIR *d = opendir(dir);
    struct dirent *de;
    char p[512];
    while (d && (de = readdir(d)))
        if (strstr(de->d_name, ".mqlt")) {
            snprintf(p, sizeof p, "%s/%s", dir, de->d_name);
            unlink(p);
        }
    if (d)
        closedir(d);
    assert_int_equal(records(), 1);
    char other[64];
    assert_non_null(write_temp(other, sizeof other, "a,b\n1,x\n2,y\n3,x\n"));
    mql_table_free(read_traced(other, MQL_CACHE_MISS, MQL_CACHE_NO_CANDIDATE));
    assert_int_equal(records(), 1);                     /* only the other file's */
    assert_int_equal(entries(), 1);
    mql_table_free(read_traced(path, MQL_CACHE_MISS, MQL_CACHE_NO_CANDIDATE));
    assert_int_equal(records(), 2);
    mql_table_free(first);
    mql_table_free(plain);
    free(changed);
    unlink(other);
    unlink(path);
    empty_dir();
}

/* A length with no 32-bit form (a cell of 4 GiB or more; the readers count in size_t) fails the
 * buffer, so the entry holding it is not stored, instead of stored with its length cut to 32
 * bits or read back as the NULL marker. */
static void test_length_beyond_u32(void **state)
{
    (void)state;
    mql_wbuf b = {0};
    mql_wb_len(&b, 7);
    assert_false(b.failed);
    assert_int_equal(b.n, 4);
    uint32_t v;
    memcpy(&v, b.p, 4);
    assert_int_equal(v, 7);
    mql_wb_len(&b, (size_t)UINT32_MAX - 1);
    assert_false(b.failed);
    mql_wb_len(&b, (size_t)UINT32_MAX);          /* the NULL marker's value */
    assert_true(b.failed);
    free(b.p);
    mql_wbuf c = {0};
    mql_wb_len(&c, (size_t)UINT32_MAX + 8);      /* would be 7 once cut to 32 bits */
    assert_true(c.failed);
    mql_wb_put(&c, "x", 1);                      /* later puts are ignored */
    assert_int_equal(c.n, 0);
    free(c.p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hit_identical),   cmocka_unit_test(test_file_hash),
        cmocka_unit_test(test_changes_miss),    cmocka_unit_test(test_corrupt_ignored),
        cmocka_unit_test(test_corrupt_large),
        cmocka_unit_test(test_size_limit),      cmocka_unit_test(test_hit_mapped),      cmocka_unit_test(test_read_error_not_cached),
        cmocka_unit_test(test_dir_default),
        cmocka_unit_test(test_identity_index),
        cmocka_unit_test(test_hit_keeps_scan),
        cmocka_unit_test(test_hit_levels_one_block),
        cmocka_unit_test(test_length_beyond_u32),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
