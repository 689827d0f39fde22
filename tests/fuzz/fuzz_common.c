/* fuzz_common.c: scratch files, generated leads and the two-scorer comparison shared by the fuzz
 * harnesses (see fuzz_common.h). */
#include "fuzz_common.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mqlcal/csv.h"
#include "mqlcal/table.h"

void fuzz_fail(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("fuzz: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    abort();
}

/* ---- scratch files ---- */

enum { MAX_SCRATCH = 4 };
static struct {
    char tag[16];
    char path[512];
} scratch[MAX_SCRATCH];

static void remove_scratch(void)
{
    for (int i = 0; i < MAX_SCRATCH; i++)
        if (scratch[i].path[0])
            unlink(scratch[i].path);
}

const char *fuzz_write_file(const char *tag, const void *data, size_t n)
{
    int i = 0;
    while (i < MAX_SCRATCH && scratch[i].path[0] && strcmp(scratch[i].tag, tag) != 0)
        i++;
    if (i == MAX_SCRATCH)
        return NULL;
    if (!scratch[i].path[0]) {
        const char *dir = getenv("TMPDIR");
        snprintf(scratch[i].path, sizeof scratch[i].path, "%s/mqlcal-fuzz-%s-XXXXXX",
                 dir && *dir ? dir : "/tmp", tag);
        int fd = mkstemp(scratch[i].path);
        if (fd < 0) {
            scratch[i].path[0] = '\0';
            return NULL;
        }
        close(fd);
        snprintf(scratch[i].tag, sizeof scratch[i].tag, "%s", tag);
        static int registered;
        if (!registered++)
            atexit(remove_scratch);
    }
    FILE *f = fopen(scratch[i].path, "wb");
    if (!f)
        return NULL;
    int bad = n && fwrite(data, 1, n, f) != n;
    bad |= fclose(f) != 0;
    return bad ? NULL : scratch[i].path;
}

/* ---- the two scorers ---- */

static void same_result(const mql_points *m, const mql_score_result *a,
                        const mql_score_result *b, size_t row, const char *what)
{
    int same = a->score == b->score && a->fit == b->fit && a->engagement == b->engagement &&
               a->is_mql == b->is_mql && strcmp(a->band, b->band) == 0 &&
               a->n_reasons == b->n_reasons &&
               ((isnan(a->probability) && isnan(b->probability)) ||
                a->probability == b->probability);
    for (size_t k = 0; same && k < a->n_reasons; k++)
        same = a->reason[k] == b->reason[k];
    if (!same)
        fuzz_fail("%s: lead %zu scores %ld (fit %ld, engagement %ld, %zu reasons, first rule "
                  "%ld) one way and %ld (fit %ld, engagement %ld, %zu reasons, first rule %ld) "
                  "the other; %zu rules",
                  what, row, a->score, a->fit, a->engagement, a->n_reasons,
                  a->n_reasons ? (long)a->reason[0] : -1L, b->score, b->fit, b->engagement,
                  b->n_reasons, b->n_reasons ? (long)b->reason[0] : -1L, m->n_rules);
}

typedef struct stream_ctx {
    const mql_points *m;
    const mql_table *t;
    const mql_scorer *ts;     /* table-bound */
    int table_bind;           /* status of the table binding */
    mql_scorer *hs;           /* header-bound */
    size_t rows;
} stream_ctx;

static int on_record(const mql_csv_row *row, void *vctx, mql_err *err)
{
    stream_ctx *c = vctx;
    if (row->index == 0) {
        int st = mql_scorer_bind_header(c->m, row->field, row->n_fields, c->t->source, NULL, 0,
                                        &c->hs, err);
        if ((st == MQL_OK) != (c->table_bind == MQL_OK))
            fuzz_fail("the table binder returns %d and the header binder %d (%s)", c->table_bind,
                      st, err->msg);
        return st ? st : MQL_OK;
    }
    if (row->index > c->t->n_rows)
        fuzz_fail("the stream has more records (%zu) than the table (%zu rows)", row->index,
                  c->t->n_rows);
    mql_score_result a, b;
    mql_scorer_score_row(c->ts, row->index - 1, &a);
    mql_scorer_score_fields(c->hs, (const char *const *)row->field, row->n_fields, &b);
    same_result(c->m, &a, &b, row->index, "table scorer vs streaming scorer");
    c->rows++;
    return MQL_OK;
}

mql_table *fuzz_read_leads(const char *path)
{
    mql_read_opts ro = {0};
    ro.threads = 1;
    mql_table *t = NULL;
    mql_err err;
    return mql_table_read(path, &ro, &t, &err) == MQL_OK ? t : NULL;
}

void fuzz_compare_scorers(const mql_points *m, const mql_table *t, const char *path)
{
    mql_err err;
    mql_scorer *ts = NULL;
    stream_ctx c = {m, t, NULL, MQL_OK, NULL, 0};
    c.table_bind = mql_scorer_bind(m, t, &ts, &err);
    c.ts = ts;
    mql_csv_opts co = {t->delim, 0};
    int st = mql_csv_read(path, &co, on_record, &c, NULL, &err);
    if (st == MQL_OK && c.table_bind == MQL_OK && c.rows != t->n_rows)
        fuzz_fail("the stream scored %zu leads, the table has %zu", c.rows, t->n_rows);
    if (st != MQL_OK && c.table_bind == MQL_OK && st != MQL_ENOMEM)
        fuzz_fail("the table reads but streaming it fails: %s", err.msg);
    /* score_all agrees with score_row */
    if (c.table_bind == MQL_OK && t->n_rows) {
        long *sc = calloc(t->n_rows, sizeof *sc), *fi = calloc(t->n_rows, sizeof *fi);
        if (sc && fi && mql_scorer_score_all(ts, sc, fi, NULL, &err) == MQL_OK)
            for (size_t i = 0; i < t->n_rows; i++) {
                mql_score_result r;
                mql_scorer_score_row(ts, i, &r);
                if (r.score != sc[i] || r.fit != fi[i])
                    fuzz_fail("score_all gives row %zu %ld (fit %ld), score_row %ld (fit %ld)", i,
                              sc[i], fi[i], r.score, r.fit);
            }
        free(sc);
        free(fi);
    }
    mql_scorer_free(c.hs);
    mql_scorer_free(ts);
}

void fuzz_compare_models(const mql_points *a, const mql_points *b, const mql_table *t)
{
    mql_err err;
    mql_scorer *sa = NULL, *sb = NULL;
    int ra = mql_scorer_bind(a, t, &sa, &err), rb = mql_scorer_bind(b, t, &sb, &err);
    if (ra != rb)
        fuzz_fail("a model and its copy bind differently (%d vs %d)", ra, rb);
    for (size_t i = 0; ra == MQL_OK && i < t->n_rows; i++) {
        mql_score_result x, y;
        mql_scorer_score_row(sa, i, &x);
        mql_scorer_score_row(sb, i, &y);
        same_result(a, &x, &y, i + 1, "model vs its round trip");
    }
    mql_scorer_free(sa);
    mql_scorer_free(sb);
}

/* ---- generated leads ---- */

typedef struct grid {
    char **name;              /* distinct features */
    size_t n_cols;
    char **cell;              /* n_rows x n_cols, NULL = empty */
    size_t n_rows, cap_rows;
} grid;

enum { MAX_COLS = 24, MAX_ROWS = 400 };

static long col_of(grid *g, const char *name)
{
    for (size_t j = 0; j < g->n_cols; j++)
        if (strcmp(g->name[j], name) == 0)
            return (long)j;
    if (g->n_cols == MAX_COLS)
        return -1;
    g->name[g->n_cols] = strdup(name);
    return (long)g->n_cols++;
}

static void add_row(grid *g, long col, const char *text)
{
    if (col < 0 || g->n_rows == MAX_ROWS)
        return;
    char **r = g->cell + g->n_rows * MAX_COLS;
    memset(r, 0, MAX_COLS * sizeof *r);
    r[col] = strdup(text);
    g->n_rows++;
}

static void add_number(grid *g, long col, double v)
{
    char buf[64];
    if (!isfinite(v))
        return;
    snprintf(buf, sizeof buf, "%.17g", v);
    add_row(g, col, buf);
    if (v == floor(v) && fabs(v) < 1e15) {
        snprintf(buf, sizeof buf, "%.0f", v);
        add_row(g, col, buf);
    }
}

const char *fuzz_leads_for(const mql_points *m, const uint8_t *extra, size_t n)
{
    if (!m->n_rules)
        return NULL;
    grid g = {0};
    g.name = calloc(MAX_COLS, sizeof *g.name);
    g.cell = calloc((size_t)MAX_ROWS * MAX_COLS, sizeof *g.cell);
    if (!g.name || !g.cell)
        fuzz_fail("out of memory");
    for (size_t k = 0; k < m->n_rules; k++)
        for (size_t ci = 0; ci < m->rules[k].n_cond; ci++) {
        const mql_cond *r = &m->rules[k].cond[ci];
        long c = col_of(&g, r->feature);
        switch (r->op) {
        case MQL_OP_EQ:
        case MQL_OP_NE:
        case MQL_OP_IN:
            for (size_t v = 0; v < r->n_values && v < 4; v++) {
                const char *s = r->values[v];
                add_row(&g, c, s);
                char *dec = malloc(strlen(s) + 3);
                if (!dec)
                    fuzz_fail("out of memory");
                sprintf(dec, " %s ", s);
                for (char *p = dec; *p; p++)
                    if (*p >= 'a' && *p <= 'z')
                        *p = (char)(*p - 'a' + 'A');
                add_row(&g, c, dec);
                free(dec);
            }
            break;
        case MQL_OP_BETWEEN:
            add_number(&g, c, r->hi);
            add_number(&g, c, nextafter(r->hi, INFINITY));
            add_number(&g, c, r->hi + 1);
            /* FALLTHROUGH: the low bound like the one-sided operators */
            __attribute__((fallthrough));
        case MQL_OP_GE:
        case MQL_OP_GT:
        case MQL_OP_LE:
        case MQL_OP_LT:
            add_number(&g, c, r->lo);
            add_number(&g, c, nextafter(r->lo, INFINITY));
            add_number(&g, c, nextafter(r->lo, -INFINITY));
            add_number(&g, c, r->lo - 1);
            add_number(&g, c, r->lo + 1);
            break;
        case MQL_OP_MISSING:
            add_row(&g, c, "");
            add_row(&g, c, "NA");
            break;
        }
    }
    /* a few cells from the input itself: up to 8 chunks split at '\n' */
    for (size_t i = 0, start = 0, k = 0; extra && i <= n && k < 8; i++)
        if (i == n || extra[i] == '\n') {
            char *s = strndup((const char *)extra + start, i - start);
            if (s && g.n_cols && !memchr(extra + start, '\0', i - start))
                add_row(&g, (long)(k % g.n_cols), s);
            free(s);
            start = i + 1;
            k++;
        }
    /* a lead with every column empty, and one filled with the first value of each column */
    add_row(&g, 0, "");
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (!f)
        fuzz_fail("out of memory");
    for (size_t j = 0; j < g.n_cols; j++) {
        if (j)
            putc(',', f);
        mql_csv_put(f, g.name[j], ',');
    }
    putc('\n', f);
    for (size_t i = 0; i < g.n_rows; i++) {
        for (size_t j = 0; j < g.n_cols; j++) {
            if (j)
                putc(',', f);
            const char *s = g.cell[i * MAX_COLS + j];
            mql_csv_put(f, s ? s : "", ',');
        }
        putc('\n', f);
    }
    fclose(f);
    const char *path = fuzz_write_file("leads", buf, len);
    free(buf);
    for (size_t j = 0; j < g.n_cols; j++)
        free(g.name[j]);
    for (size_t i = 0; i < (size_t)MAX_ROWS * MAX_COLS; i++)
        free(g.cell[i]);
    free(g.name);
    free(g.cell);
    return path;
}
