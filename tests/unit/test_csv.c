/* test_csv.c: the streaming CSV reader: BOM, CRLF, delimiters, quoting, line numbers across
 * chunk boundaries, every error path, and the writing helpers. */
#include "testutil.h"

#include <unistd.h>

#include "mqlcal/csv.h"

/* Collects every record as "line|f1|f2|..." lines into one string. */
typedef struct collect {
    char buf[8192];
    size_t n_rows;
    int stop_at;         /* > 0: fail on this record index */
} collect;

static int collect_row(const mql_csv_row *row, void *ctx, mql_err *err)
{
    collect *c = ctx;
    if (c->stop_at && (int)row->index == c->stop_at)
        return mql_err_set(err, MQL_EDATA, "stopped at %zu", row->index);
    size_t o = strlen(c->buf);
    o += (size_t)snprintf(c->buf + o, sizeof c->buf - o, "%zu", row->line);
    for (size_t j = 0; j < row->n_fields; j++) {
        assert_int_equal(strlen(row->field[j]), row->len[j]);
        o += (size_t)snprintf(c->buf + o, sizeof c->buf - o, "|%s", row->field[j]);
    }
    snprintf(c->buf + o, sizeof c->buf - o, "\n");
    c->n_rows++;
    return MQL_OK;
}

static int read_text(const char *text, collect *c, mql_csv_info *info, mql_err *err)
{
    char path[64];
    assert_non_null(write_temp(path, sizeof path, text));
    int st = mql_csv_read(path, NULL, collect_row, c, info, err);
    unlink(path);
    return st;
}

static void test_bom_crlf_no_final_newline(void **state)
{
    (void)state;
    collect c = {0};
    mql_csv_info info;
    mql_err err;
    const char *text = "\xEF\xBB\xBFlead id,source\r\nL1,web\r\nL2,\"ads, paid\"";
    assert_int_equal(read_text(text, &c, &info, &err), MQL_OK);
    assert_string_equal(c.buf, "1|lead id|source\n2|L1|web\n3|L2|ads, paid\n");
    assert_int_equal(info.n_records, 2);
    assert_int_equal(info.delim, ',');
    assert_int_equal(info.n_bytes, strlen(text));
    /* the fingerprint covers every byte, BOM included */
    assert_true(info.hash == mql_xxh64(text, strlen(text)));
}

static void test_quoted_newlines_keep_line_numbers(void **state)
{
    (void)state;
    collect c = {0};
    mql_err err;
    /* record 2 spans lines 2-4; a blank line (6) is skipped; record 4 starts on line 7 */
    const char *text = "a,b\n1,\"x\ny\nz\"\n2,\"q\"\"uote\"\n\n3,last\n";
    assert_int_equal(read_text(text, &c, NULL, &err), MQL_OK);
    assert_string_equal(c.buf, "1|a|b\n2|1|x\ny\nz\n5|2|q\"uote\n7|3|last\n");
}

static void test_delimiter_detection(void **state)
{
    (void)state;
    collect c = {0};
    mql_csv_info info;
    mql_err err;
    assert_int_equal(read_text("a;b;\"c,d,e\"\n1;2;3\n", &c, &info, &err), MQL_OK);
    assert_int_equal(info.delim, ';');   /* commas inside quotes do not count */
    memset(&c, 0, sizeof c);
    assert_int_equal(read_text("a\tb c\td\n1\t2\t3\n", &c, &info, &err), MQL_OK);
    assert_int_equal(info.delim, '\t');
    assert_string_equal(c.buf, "1|a|b c|d\n2|1|2|3\n");
    memset(&c, 0, sizeof c);
    assert_int_equal(read_text("a;b,c\n1;2,3\n", &c, &info, &err), MQL_OK);
    assert_int_equal(info.delim, ',');   /* a tie goes to ',' */
    memset(&c, 0, sizeof c);
    assert_int_equal(read_text("single\nx\n", &c, &info, &err), MQL_OK);
    assert_int_equal(info.delim, ',');   /* none found */
}

static void test_forced_delimiter_and_ragged(void **state)
{
    (void)state;
    char path[64];
    collect c = {0};
    mql_err err;
    mql_csv_opts o = {';', 1};
    assert_non_null(write_temp(path, sizeof path, "a,b;c\n1,2;3;4\n5\n"));
    assert_int_equal(mql_csv_read(path, &o, collect_row, &c, NULL, &err), MQL_OK);
    unlink(path);
    assert_string_equal(c.buf, "1|a,b|c\n2|1,2|3|4\n3|5\n");
}

/* A file of more than two 1 MiB chunks: records, including a multi-line quoted one, must come
 * out whole and with their line numbers wherever the chunk boundaries fall. */
typedef struct big_check {
    size_t rows, bad;
} big_check;

static int big_row(const mql_csv_row *row, void *ctx, mql_err *err)
{
    (void)err;
    big_check *b = ctx;
    if (row->index == 0)
        return MQL_OK;
    size_t i = row->index;
    char want[64];
    snprintf(want, sizeof want, "row %zu has a long enough text field", i);
    /* records before 20000 are one line each after the header; record 20000 has a 3-line
     * field, so later records start two lines further down */
    size_t line = i + 1 + (i > 20000 ? 2 : 0);
    if (row->n_fields != 3 || strcmp(row->field[1], want) != 0 || row->line != line)
        b->bad++;
    if (i == 20000 && strcmp(row->field[2], "a\nb\nc") != 0)
        b->bad++;
    b->rows++;
    return MQL_OK;
}

static void test_chunk_boundaries(void **state)
{
    (void)state;
    char path[64] = "/tmp/mqlcal-test-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    FILE *f = fdopen(fd, "w");
    fprintf(f, "id,text,extra\n");
    for (size_t i = 1; i <= 60000; i++)
        fprintf(f, "%zu,\"row %zu has a long enough text field\",%s\n", i, i,
                i == 20000 ? "\"a\nb\nc\"" : "plain");
    fclose(f);
    big_check b = {0};
    mql_csv_info info;
    mql_err err;
    assert_int_equal(mql_csv_read(path, NULL, big_row, &b, &info, &err), MQL_OK);
    unlink(path);
    assert_int_equal(b.rows, 60000);
    assert_int_equal(b.bad, 0);
    assert_int_equal(info.n_records, 60000);
    assert_true(info.n_bytes > 2u << 20);
}

static void expect_error(const char *text, int status, const char *needle)
{
    collect c = {0};
    mql_err err = {{0}};
    char path[64];
    assert_non_null(write_temp(path, sizeof path, text));
    int st = mql_csv_read(path, NULL, collect_row, &c, NULL, &err);
    unlink(path);
    assert_int_equal(st, status);
    if (!strstr(err.msg, needle))
        fail_msg("message '%s' lacks '%s'", err.msg, needle);
    assert_non_null(strstr(err.msg, path));
}

static void test_errors(void **state)
{
    (void)state;
    expect_error("a,b\n1,2\n3,\"open\n4,5\n", MQL_EDATA,
                 ":3: unterminated quoted field starting here");
    expect_error("a,b\n1,2\n3,4,5\n", MQL_EDATA, ":3: 3 fields, header has 2");
    expect_error("a,b,c\n\"x\ny\",2,3\n3,4\n", MQL_EDATA, ":4: 2 fields, header has 3");
    expect_error("", MQL_EDATA, "empty file");
    expect_error("\n\n", MQL_EDATA, "empty file");
    expect_error("id,industry\n1,ok\n2,Sant\xE9\n", MQL_EDATA,
                 ":3: column 2 'industry': invalid UTF-8 byte 0xE9 (save the export as UTF-8)");
    expect_error("id,t\n1,\xC0\xAF\n", MQL_EDATA, "invalid UTF-8 byte 0xC0");   /* overlong */
    expect_error("id,t\n1,ab\"c\n", MQL_EDATA, ":2: column 2 't': malformed quoting");
    /* valid multi-byte UTF-8 passes */
    collect c = {0};
    mql_err err;
    assert_int_equal(read_text("id,t\n1,S\xC3\xA3o Paulo \xE2\x82\xAC \xF0\x9F\x98\x80\n", &c,
                               NULL, &err), MQL_OK);
}

static void test_io_errors_and_callback_stop(void **state)
{
    (void)state;
    collect c = {0};
    mql_err err;
    assert_int_equal(mql_csv_read("/nonexistent/leads.csv", NULL, collect_row, &c, NULL, &err),
                     MQL_EIO);
    assert_non_null(strstr(err.msg, "/nonexistent/leads.csv: cannot open: No such file"));
    assert_int_equal(mql_csv_read("/tmp", NULL, collect_row, &c, NULL, &err), MQL_EIO);
    assert_non_null(strstr(err.msg, "/tmp: cannot read: Is a directory"));
    collect s = {.stop_at = 2};
    assert_int_equal(read_text("a\n1\n2\n3\n", &s, NULL, &err), MQL_EDATA);
    assert_string_equal(err.msg, "stopped at 2");
    assert_int_equal(s.n_rows, 2);
}

static void test_put(void **state)
{
    (void)state;
    char *buf = NULL;
    size_t n = 0;
    FILE *f = open_memstream(&buf, &n);
    mql_csv_put(f, "plain", ',');
    fputc('|', f);
    mql_csv_put(f, "a,b", ',');
    fputc('|', f);
    mql_csv_put(f, "say \"hi\"", ';');
    fputc('|', f);
    mql_csv_put(f, " lead", ',');
    fputc('|', f);
    mql_csv_put(f, "a;b", ',');
    fputc('|', f);
    mql_csv_put_double(f, 0.1);
    fputc('|', f);
    mql_csv_put_double(f, 1.0 / 3.0);
    fputc('|', f);
    mql_csv_put_double(f, NAN);
    fputc('|', f);
    mql_csv_put_double(f, 1e22);
    fclose(f);
    assert_string_equal(buf, "plain|\"a,b\"|\"say \"\"hi\"\"\"|\" lead\"|a;b|0.1|"
                             "0.3333333333333333||1e+22");
    free(buf);
}

/* XXH64 (seed 0) of prefixes of a fixed text against xxh64sum's digests (scripts/ref_xxh64.sh),
 * at lengths that reach every branch; the streaming form must agree whatever the update sizes. */
static void test_xxh64_reference(void **state)
{
    (void)state;
    static const struct { size_t n; uint64_t h; } ref[] = {
        {0, UINT64_C(0xef46db3751d8e999)},  {1, UINT64_C(0xf88dba187615c755)},
        {3, UINT64_C(0xa920298d7fa12cea)},  {4, UINT64_C(0x535d15b2c3a38a0b)},
        {7, UINT64_C(0xab77f76a1d137c5d)},  {8, UINT64_C(0x36269b03919a5289)},
        {31, UINT64_C(0x9135b1a3ed207bec)}, {32, UINT64_C(0xf99004446782149d)},
        {33, UINT64_C(0xa44b1039f86a5c74)}, {63, UINT64_C(0x78be8f48d314721e)},
        {64, UINT64_C(0x5fde9b9551d99143)}, {100, UINT64_C(0x3a46e067f87e6fd3)},
        {1000, UINT64_C(0x6110d3b92dd79e14)},
    };
    char text[1001];
    for (int k = 0; k < 25; k++)
        memcpy(text + 40 * k, "lead_id,created,score\nL01,2024-01-01,75\n", 40);
    for (size_t i = 0; i < sizeof ref / sizeof ref[0]; i++) {
        assert_true(mql_xxh64(text, ref[i].n) == ref[i].h);
        for (size_t step = 1; step <= 33; step += 4) {
            mql_xxh64_state s;
            mql_xxh64_init(&s);
            for (size_t o = 0; o < ref[i].n; o += step)
                mql_xxh64_update(&s, text + o, ref[i].n - o < step ? ref[i].n - o : step);
            assert_true(mql_xxh64_digest(&s) == ref[i].h);
        }
    }
}

/* mql_csv_read_parts: every part's records, with their lines, equal the one-thread reader's;
 * the header reaches every context; mql_csv_read_range reads a part again. */
static void test_read_parts(void **state)
{
    (void)state;
    char text[6000] = "id,note\r\n";
    for (int i = 0; i < 60; i++)
        snprintf(text + strlen(text), sizeof text - strlen(text),
                 i % 4 ? "%d,plain\r\n" : "%d,\"two\r\nlines, \"\"quoted\"\"\"\r\n", i);
    char path[64];
    assert_non_null(write_temp(path, sizeof path, text));
    collect one = {0};
    mql_csv_info i1, i3;
    mql_err err;
    assert_int_equal(mql_csv_read(path, NULL, collect_row, &one, &i1, &err), MQL_OK);
    collect c[3] = {{{0}}};
    void *ctx[3] = {&c[0], &c[1], &c[2]};
    mql_csv_part parts[3];
    size_t n = 0;
    assert_int_equal(mql_csv_read_parts(path, NULL, 3, 0, collect_row, NULL, ctx, parts, &n, &i3, &err),
                     MQL_OK);
    assert_int_equal(n, 3);
    char joined[8192] = "";
    for (size_t k = 0; k < 3; k++) {
        assert_true(strncmp(c[k].buf, "1|id|note\n", 10) == 0);
        strcat(joined, k ? c[k].buf + 10 : c[k].buf);
    }
    assert_string_equal(joined, one.buf);
    assert_int_equal(i3.n_records, 60);
    assert_int_equal(parts[0].n_records + parts[1].n_records + parts[2].n_records, 60);
    assert_true(parts[0].end == parts[1].offset && parts[1].end == parts[2].offset);
    assert_true(parts[2].end == strlen(text));
    assert_true(i3.hash == i1.hash && i3.n_bytes == i1.n_bytes && i3.delim == ',');
    collect again = {0};
    assert_int_equal(mql_csv_read_range(path, ',', &parts[1], collect_row, &again, &err), MQL_OK);
    assert_string_equal(again.buf, c[1].buf + 10);
    /* stdin and max_parts < 2 are not split */
    assert_int_equal(mql_csv_read_parts("-", NULL, 3, 0, collect_row, NULL, ctx, parts, &n, NULL, &err),
                     MQL_OK);
    assert_int_equal(n, 0);
    assert_int_equal(mql_csv_read_parts(path, NULL, 1, 0, collect_row, NULL, ctx, parts, &n, NULL, &err),
                     MQL_OK);
    assert_int_equal(n, 0);
    unlink(path);
}

/* Cell mode: the header (collect_row, hence the first member) and the count of cells and of
 * their bytes. */
typedef struct cell_count {
    collect header;
    size_t cells, bytes;
} cell_count;

static int count_cell(void *ctx, size_t j, const char *s, size_t n, mql_csv_reader *rd,
                      mql_err *err)
{
    (void)j, (void)err;
    cell_count *c = ctx;
    int st = mql_csv_cell_check(rd, s, n);
    if (st)
        return st;
    c->cells++;
    c->bytes += strlen(s) == n ? n : 0;
    return MQL_OK;
}

static int count_end(void *ctx, size_t n_fields, size_t line, mql_err *err)
{
    (void)ctx, (void)n_fields, (void)line, (void)err;
    return MQL_OK;
}

/* Cell mode checks every byte of a field in place, a word at a time where it can: for fields of
 * 1 to 20 bytes (after 20 plain records, so the file is read in two parts), an invalid byte at
 * each position is found and named with its line and column, and a valid two-byte letter at
 * each position passes. */
static void test_cell_bytes_checked(void **state)
{
    (void)state;
    static const mql_csv_cell_fns fns = {count_cell, count_end, NULL};
    for (size_t len = 1; len <= 20; len++)
        for (size_t pos = 0; pos < len; pos++)
            for (int bad = 0; bad < 2; bad++) {
                char field[32], text[512] = "id,v\n";
                for (int r = 1; r <= 20; r++)
                    snprintf(text + strlen(text), sizeof text - strlen(text), "%d,plain\n", r);
                memset(field, '7', len);
                field[len] = '\0';
                if (bad)
                    field[pos] = (char)0xFF;
                else if (pos + 1 < len)
                    memcpy(field + pos, "\xC3\xA9", 2);
                snprintf(text + strlen(text), sizeof text - strlen(text), "21,%s\n", field);
                char path[64];
                assert_non_null(write_temp(path, sizeof path, text));
                cell_count got[2] = {{{{0}}}};
                void *ctx[2] = {&got[0], &got[1]};
                mql_csv_part parts[2];
                size_t n_parts = 0;
                mql_err err = {{0}};
                int st = mql_csv_read_parts(path, NULL, 2, 0, collect_row, &fns, ctx, parts,
                                            &n_parts, NULL, &err);
                unlink(path);
                if (bad) {
                    assert_int_equal(st, MQL_EDATA);
                    if (!strstr(err.msg, ":22: column 2 'v': invalid UTF-8 byte 0xFF"))
                        fail_msg("length %zu, byte %zu: '%s'", len, pos, err.msg);
                } else {
                    if (st != MQL_OK)
                        fail_msg("length %zu, byte %zu: '%s'", len, pos, err.msg);
                    assert_int_equal(n_parts, 2);
                    assert_int_equal(got[0].cells + got[1].cells, 42);
                    assert_int_equal(got[0].bytes + got[1].bytes, 9 + 2 * 12 + 20 * 5 + len);
                }
            }
}

/* mql_csv_join equals joining the fields quoted one by one (mql_csv_quote), for records laid
 * out as the readers hand them over (fields one after the other, NUL-terminated) with and
 * without fields that need quotes, long plain records (the 8-byte steps), and fields that are
 * not adjacent. */
static void test_join(void **state)
{
    (void)state;
    static const char *const recs[][5] = {
        {"L0001", "Director", "", "42", "2024-01-01"},
        {"a long plain field of many bytes", "another long one", "x", "", "y"},
        {"has,comma", "b", "c", "d", "e"},
        {"has \"quote\"", "b", "", "", ""},
        {" leading", "trailing ", "tab\t", "ok", "z"},
        {"line\nbreak", "cr\r", "", "q", "w"},
        {"", "", "", "", ""},
        {"semi;colon", "b", "c", "d", "e"},
    };
    for (size_t r = 0; r < sizeof recs / sizeof recs[0]; r++)
        for (int delim = 0; delim < 2; delim++) {
            char d = delim ? ';' : ',';
            char arena[512], want[1024], got[1024];
            char *field[5];
            size_t len[5], at = 0, w = 0;
            for (size_t k = 0; k < 5; k++) {
                len[k] = strlen(recs[r][k]);
                field[k] = arena + at;
                memcpy(arena + at, recs[r][k], len[k] + 1);
                at += len[k] + 1;
                if (k)
                    want[w++] = d;
                w += mql_csv_quote(want + w, recs[r][k], len[k], d);
            }
            mql_csv_row row = {1, 2, 5, field, len, d};
            size_t g = mql_csv_join(got, &row, d);
            assert_int_equal(g, w);
            assert_memory_equal(got, want, w);
            /* the same fields, not adjacent: field 2 moved */
            char other[128];
            memcpy(other, recs[r][2], len[2] + 1);
            field[2] = other;
            g = mql_csv_join(got, &row, d);
            assert_int_equal(g, w);
            assert_memory_equal(got, want, w);
        }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bom_crlf_no_final_newline),
        cmocka_unit_test(test_quoted_newlines_keep_line_numbers),
        cmocka_unit_test(test_delimiter_detection),
        cmocka_unit_test(test_forced_delimiter_and_ragged),
        cmocka_unit_test(test_chunk_boundaries),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_io_errors_and_callback_stop),
        cmocka_unit_test(test_put),
        cmocka_unit_test(test_xxh64_reference),
        cmocka_unit_test(test_read_parts),
        cmocka_unit_test(test_join),
        cmocka_unit_test(test_cell_bytes_checked),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
