/* test_csv_guess.c: the parallel reader's parts that start at a guessed boundary (the first LF
 * after their floor) before the boundary scan reaches them (csv.c). Every read is compared, record
 * by record and line by line, with the one-thread reader: guesses inside a multi-line quoted
 * field (the part starts again), on the LF of a CRLF pair, on blank lines, a quote-heavy first
 * half, and errors in a part, whose message must name the line the one-thread reader names. */
#include "testutil.h"

#include <unistd.h>

#include "mqlcal/csv.h"
#include "mqlcal/table.h"

/* A growing text. */
typedef struct text {
    char *s;
    size_t n, cap;
} text;

static void put(text *t, const char *s, size_t n)
{
    if (t->n + n + 1 > t->cap) {
        t->cap = (t->n + n + 1) * 2;
        t->s = realloc(t->s, t->cap);
        assert_non_null(t->s);
    }
    memcpy(t->s + t->n, s, n);
    t->n += n;
    t->s[t->n] = '\0';
}

static void puts_(text *t, const char *s)
{
    put(t, s, strlen(s));
}

/* One part's data records in cell mode: each record's fields ("|f1|f2") in fields, from offset
 * at[i], with its line kept apart so that begin can shift it. */
typedef struct part_log {
    text fields;
    size_t *line, *at;
    size_t n_rec, cap_rec;
    size_t open_at;          /* where the record being read starts in fields */
    size_t begins, resets;
    size_t early;            /* records handed on before begin, in the attempt that counted */
    size_t shift;            /* the last begin's shift */
} part_log;

static int log_header(const mql_csv_row *row, void *ctx, mql_err *err)
{
    (void)row, (void)ctx, (void)err;
    return MQL_OK;
}

static int log_cell(void *ctx, size_t j, const char *s, size_t n, mql_csv_reader *rd,
                    mql_err *err)
{
    (void)j, (void)err;
    part_log *p = ctx;
    int st = mql_csv_cell_check(rd, s, n);
    if (st)
        return st;
    assert_int_equal(strlen(s), n);
    puts_(&p->fields, "|");
    put(&p->fields, s, n);
    return MQL_OK;
}

static int log_end(void *ctx, size_t n_fields, size_t line, mql_err *err)
{
    (void)n_fields, (void)err;
    part_log *p = ctx;
    if (p->n_rec == p->cap_rec) {
        p->cap_rec = p->cap_rec ? 2 * p->cap_rec : 64;
        p->line = realloc(p->line, p->cap_rec * sizeof *p->line);
        p->at = realloc(p->at, p->cap_rec * sizeof *p->at);
        assert_true(p->line && p->at);
    }
    p->line[p->n_rec] = line;
    p->at[p->n_rec++] = p->open_at;
    p->open_at = p->fields.n;
    return MQL_OK;
}

static int log_begin(void *ctx, size_t data_line, size_t part_line, size_t shift, int in_record,
                     mql_err *err)
{
    (void)data_line, (void)part_line, (void)err;
    part_log *p = ctx;
    /* a record is open exactly when cells were handed on after the last complete record */
    assert_int_equal(in_record != 0, p->fields.n > p->open_at);
    p->begins++;
    p->early = p->n_rec;
    p->shift = shift;
    for (size_t i = 0; i < p->n_rec; i++)
        p->line[i] += shift;
    return MQL_OK;
}

static void log_reset(void *ctx)
{
    part_log *p = ctx;
    p->resets++;
    p->n_rec = 0;
    p->fields.n = p->open_at = 0;
}

static void log_free(part_log *p)
{
    free(p->fields.s);
    free(p->line);
    free(p->at);
}

/* Appends the records of p as "line|f1|f2\n". */
static void log_dump(const part_log *p, text *out)
{
    for (size_t i = 0; i < p->n_rec; i++) {
        char num[32];
        snprintf(num, sizeof num, "%zu", p->line[i]);
        puts_(out, num);
        size_t end = i + 1 < p->n_rec ? p->at[i + 1] : p->fields.n;
        put(out, p->fields.s + p->at[i], end - p->at[i]);
        puts_(out, "\n");
    }
}

static int one_row(const mql_csv_row *row, void *ctx, mql_err *err)
{
    (void)err;
    text *out = ctx;
    if (row->index == 0)
        return MQL_OK;
    char num[32];
    snprintf(num, sizeof num, "%zu", row->line);
    puts_(out, num);
    for (size_t j = 0; j < row->n_fields; j++) {
        puts_(out, "|");
        put(out, row->field[j], row->len[j]);
    }
    puts_(out, "\n");
    return MQL_OK;
}

/* What one read in parts did. */
typedef struct outcome {
    size_t n_parts;
    size_t resets;           /* parts started again after a wrong guess */
    size_t guessed;          /* parts that started from a guess (begin with a shift) */
    size_t early;            /* records handed on before their lines were known */
    int status;
    char msg[sizeof ((mql_err *)0)->msg];
} outcome;

/* Reads s in n_ways parts in cell mode and checks the records and lines against the one-thread
 * reader's, or, when the file has an error, that the parts report the one-thread reader's
 * message or fall back (no parts). */
static outcome check_parts(const char *s, size_t n_ways)
{
    static const mql_csv_cell_fns fns = {log_cell, log_end, log_begin, log_reset};
    char path[64];
    assert_non_null(write_temp(path, sizeof path, s));
    text want = {0};
    mql_err err1 = {{0}}, err = {{0}};
    mql_csv_info i1, ik;
    int st1 = mql_csv_read(path, NULL, one_row, &want, &i1, &err1);
    part_log logs[16];
    memset(logs, 0, sizeof logs);
    void *ctx[16];
    for (size_t k = 0; k < 16; k++)
        ctx[k] = &logs[k];
    mql_csv_part parts[16];
    outcome o = {0};
    o.status = mql_csv_read_parts(path, NULL, n_ways, 0, log_header, &fns, ctx, parts,
                                  &o.n_parts, &ik, &err);
    unlink(path);
    snprintf(o.msg, sizeof o.msg, "%s", err.msg);
    if (st1) {
        /* an error: the same message, or no parts (the caller reads on one thread) */
        if (o.status == MQL_OK)
            assert_int_equal(o.n_parts, 0);
        else if (o.status != st1 || strcmp(err.msg, err1.msg) != 0)
            fail_msg("parts: %d '%s'; one thread: %d '%s'", o.status, err.msg, st1, err1.msg);
    } else {
        assert_int_equal(o.status, MQL_OK);
        assert_true(o.n_parts >= 1);
        text got = {0};
        for (size_t k = 0; k < o.n_parts; k++) {
            log_dump(&logs[k], &got);
            if (k)
                assert_true(parts[k].offset == parts[k - 1].end);
            assert_int_equal(parts[k].n_records, logs[k].n_rec);
        }
        if (strcmp(got.s ? got.s : "", want.s ? want.s : "") != 0)
            fail_msg("%zu parts differ from the one-thread reader", o.n_parts);
        assert_true(ik.hash == i1.hash && ik.n_records == i1.n_records);
        free(got.s);
    }
    for (size_t k = 0; k < 16; k++) {
        o.resets += logs[k].resets;
        o.guessed += logs[k].shift > 0;
        o.early += logs[k].early;
        log_free(&logs[k]);
    }
    free(want.s);
    return o;
}

/* The byte after the first LF at or after the floor of part k's end (k < n_ways - 1), as the
 * reader places its guesses: the floors split the bytes after the header evenly. */
static size_t floor_of(const char *s, size_t n_ways, size_t k)
{
    size_t h_end = (size_t)(strchr(s, '\n') - s) + 1, data = strlen(s) - h_end;
    return h_end + data / n_ways * (k + 1);
}

static int quotes_odd_before(const char *s, size_t at)
{
    size_t q = 0;
    for (size_t i = 0; i < at; i++)
        q += s[i] == '"';
    return q % 2 == 1;
}

/* Every record holds a quoted note of many lines, which most of the bytes are in: nearly every
 * floor falls inside one, the first LF after it is inside quotes, and the part started there
 * must start again at the true boundary. */
static void test_guess_inside_quoted_field(void **state)
{
    (void)state;
    size_t inside = 0, resets = 0;
    for (int variant = 0; variant < 6; variant++) {
        text t = {0};
        puts_(&t, "id,note,amount\n");
        for (int i = 0; i < 40 + variant; i++) {
            char head[64];
            snprintf(head, sizeof head, "L%03d,\"", i);
            puts_(&t, head);
            for (int l = 0; l < 12; l++)
                puts_(&t, l % 3 == 1 ? "called, \"\"left a message\"\"\r\n" : "note line\n");
            snprintf(head, sizeof head, "end\",%d.5\n", i % 7);
            puts_(&t, head);
        }
        for (size_t w = 2; w <= 5; w++) {
            for (size_t k = 0; k + 1 < w; k++) {
                const char *lf = strchr(t.s + floor_of(t.s, w, k), '\n');
                inside += lf && quotes_odd_before(t.s, (size_t)(lf - t.s));
            }
            outcome o = check_parts(t.s, w);
            assert_int_equal(o.n_parts, w);
            resets += o.resets;
        }
        free(t.s);
    }
    assert_true(inside > 0);
    assert_int_equal(resets, inside);   /* each wrong guess, and only those, started again */
}

/* CRLF line ends: with the first record's length varied, floors fall on every byte of a line,
 * including the LF of a CRLF pair (the guess is the byte after it) and the CR before it. */
static void test_guess_on_crlf(void **state)
{
    (void)state;
    size_t on_lf = 0, on_cr = 0, guessed = 0;
    for (int pad = 0; pad < 24; pad++) {
        text t = {0};
        puts_(&t, "id,source\r\nL,");
        for (int p = 0; p < pad; p++)
            puts_(&t, "x");
        puts_(&t, "\r\n");
        for (int i = 0; i < 60; i++) {
            char rec[64];
            snprintf(rec, sizeof rec, "L%04d,%s\r\n", i, i % 5 ? "web" : "\"paid, ads\"");
            puts_(&t, rec);
        }
        for (size_t w = 2; w <= 4; w++) {
            for (size_t k = 0; k + 1 < w; k++) {
                size_t f = floor_of(t.s, w, k);
                on_lf += t.s[f] == '\n';
                on_cr += t.s[f] == '\r';
            }
            outcome o = check_parts(t.s, w);
            assert_int_equal(o.n_parts, w);
            assert_int_equal(o.resets, 0);
            guessed += o.guessed;
        }
        free(t.s);
    }
    assert_true(on_lf > 0 && on_cr > 0 && guessed > 0);
}

/* Blank lines (LF and CRLF) between the records: guesses land on them and parts start with
 * them, which count as lines but hold no record. */
static void test_guess_on_blank_lines(void **state)
{
    (void)state;
    size_t blank_start = 0;
    for (int pad = 0; pad < 16; pad++) {
        text t = {0};
        puts_(&t, "id,v\nR,");
        for (int p = 0; p < pad; p++)
            puts_(&t, "y");
        puts_(&t, "\n");
        for (int i = 0; i < 50; i++) {
            char rec[64];
            snprintf(rec, sizeof rec, "R%d,%d\n%s", i, i * 3, i % 3 == 0 ? "\n\r\n\n" : "");
            puts_(&t, rec);
        }
        for (size_t w = 2; w <= 4; w++) {
            for (size_t k = 0; k + 1 < w; k++) {
                const char *lf = strchr(t.s + floor_of(t.s, w, k), '\n');
                blank_start += lf && (lf[1] == '\n' || lf[1] == '\r');
            }
            outcome o = check_parts(t.s, w);
            assert_int_equal(o.n_parts, w);
        }
        free(t.s);
    }
    assert_true(blank_start > 0);
}

/* The first half is all quoted fields with separators, doubled quotes and line breaks; the
 * second half plain. */
static void test_quote_heavy_first_half(void **state)
{
    (void)state;
    text t = {0};
    puts_(&t, "id,a,b,c\n");
    for (int i = 0; i < 300; i++) {
        char rec[160];
        if (i < 150)
            snprintf(rec, sizeof rec, "\"Q%d\",\"x, \"\"y\"\"\n%d\",\"\",\"z\r\nw\"\n", i, i);
        else
            snprintf(rec, sizeof rec, "P%d,%d,,z\n", i, i);
        puts_(&t, rec);
    }
    for (size_t w = 2; w <= 6; w++) {
        outcome o = check_parts(t.s, w);
        assert_int_equal(o.n_parts, w);
    }
    free(t.s);
}

/* Errors in part 0, part 1 or both: the parts report the one-thread reader's message (the
 * first error in file order, with its line) or fall back; the table reader, which reads on one
 * thread after a fall back, gives the one-thread message every time. */
static void test_error_in_a_part(void **state)
{
    (void)state;
    static const char *const bad[] = {"R%d,1,2\n", "R%d,\"open\"x\n", "R%d,\xFF\n"};
    for (size_t e = 0; e < 3; e++)
        for (int where = 0; where < 3; where++) {
            text t = {0};
            puts_(&t, "id,v\n");
            for (int i = 0; i < 400; i++) {
                char rec[64];
                int broken = (where != 1 && i == 120) || (where != 0 && (i == 210 || i == 330));
                snprintf(rec, sizeof rec, broken ? bad[e] : i % 9 ? "R%d,%d\n" : "R%d,\"%d\n\"\n",
                         i, i);
                puts_(&t, rec);
            }
            for (size_t w = 2; w <= 4; w++) {
                outcome o = check_parts(t.s, w);
                assert_int_not_equal(o.status == MQL_OK && o.n_parts > 0, 1);
            }
            char path[64];
            assert_non_null(write_temp(path, sizeof path, t.s));
            mql_err e1 = {{0}}, e2 = {{0}};
            mql_table *tb = NULL;
            mql_read_opts o1 = {0}, o2 = {0};
            o1.threads = 1;
            o2.threads = 3;
            int s1 = mql_table_read(path, &o1, &tb, &e1);
            mql_table_free(tb);
            int s2 = mql_table_read(path, &o2, &tb, &e2);
            mql_table_free(tb);
            unlink(path);
            assert_int_not_equal(s1, MQL_OK);
            assert_int_equal(s1, s2);
            assert_string_equal(e1.msg, e2.msg);
            free(t.s);
        }
}

/* A larger file (about 6 MiB, two parts): part 1 has usually handed on records before the scan
 * has reached it, whose lines are then shifted. The records equal the one-thread reader's every
 * time. */
static void test_records_before_the_scan(void **state)
{
    (void)state;
    text t = {0};
    puts_(&t, "id,note,amount,when\n");
    for (int i = 0; i < 120000; i++) {
        char rec[96];
        snprintf(rec, sizeof rec, i % 97 ? "L%06d,plain note,%d.25,2024-01-%02d\n"
                                         : "L%06d,\"two\nlines\",%d.25,2024-01-%02d\n",
                 i, i % 1000, 1 + i % 28);
        puts_(&t, rec);
    }
    size_t early = 0;
    for (int run = 0; run < 2; run++) {
        outcome o = check_parts(t.s, 2);
        assert_int_equal(o.n_parts, 2);
        early += o.early;
    }
    print_message("records handed on before their lines were known: %zu\n", early);
    free(t.s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_guess_inside_quoted_field),
        cmocka_unit_test(test_guess_on_crlf),
        cmocka_unit_test(test_guess_on_blank_lines),
        cmocka_unit_test(test_quote_heavy_first_half),
        cmocka_unit_test(test_error_in_a_part),
        cmocka_unit_test(test_records_before_the_scan),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
