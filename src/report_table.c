/* report_table.c: a small row/column result written as text, CSV, JSON or Markdown, so every
 * command offers the same --format choices with the same quoting and number rules. */
#include "mqlcal/report_table.h"

#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "mqlcal/csv.h"

typedef struct cell {
    char *text;      /* display text (text and Markdown) */
    char *exact;     /* machine text (CSV and JSON): full precision; NULL = same as text */
    int numeric;     /* right-aligned, unquoted in JSON */
    int missing;
} cell;

struct mql_tab {
    size_t n_cols, n_rows, cap_rows, cur_col;
    char **names;
    cell *cells;     /* n_rows x n_cols */
};

int mql_format_parse(const char *s, mql_format *out)
{
    static const char *const names[] = {"table", "csv", "json", "md"};
    for (int i = 0; i < 4; i++)
        if (s && strcmp(s, names[i]) == 0) {
            *out = (mql_format)i;
            return 0;
        }
    return -1;
}

mql_tab *mql_tab_new(size_t n_cols, const char *const *names)
{
    mql_tab *t = calloc(1, sizeof *t);
    if (!t)
        return NULL;
    t->n_cols = n_cols;
    t->names = calloc(n_cols, sizeof *t->names);
    if (!t->names) {
        mql_tab_free(t);
        return NULL;
    }
    for (size_t j = 0; j < n_cols; j++)
        if (!(t->names[j] = mql_strdup(names[j]))) {
            mql_tab_free(t);
            return NULL;
        }
    return t;
}

void mql_tab_free(mql_tab *t)
{
    if (!t)
        return;
    for (size_t i = 0; i < t->n_rows * t->n_cols; i++) {
        free(t->cells[i].text);
        free(t->cells[i].exact);
    }
    free(t->cells);
    if (t->names)
        for (size_t j = 0; j < t->n_cols; j++)
            free(t->names[j]);
    free(t->names);
    free(t);
}

size_t mql_tab_rows(const mql_tab *t)
{
    return t->n_rows;
}

size_t mql_tab_cols(const mql_tab *t)
{
    return t->n_cols;
}

const char *mql_tab_name(const mql_tab *t, size_t j)
{
    return j < t->n_cols ? t->names[j] : NULL;
}

const char *mql_tab_cell(const mql_tab *t, size_t i, size_t j, int *numeric)
{
    if (i >= t->n_rows || j >= t->n_cols)
        return NULL;
    const cell *c = &t->cells[i * t->n_cols + j];
    if (numeric)
        *numeric = c->numeric;
    return c->text ? c->text : "";
}

int mql_tab_row(mql_tab *t)
{
    if (t->n_rows == t->cap_rows) {
        size_t cap = t->cap_rows ? 2 * t->cap_rows : 16;
        cell *c = realloc(t->cells, cap * t->n_cols * sizeof *c);
        if (!c)
            return -1;
        t->cells = c;
        t->cap_rows = cap;
    }
    memset(&t->cells[t->n_rows * t->n_cols], 0, t->n_cols * sizeof(cell));
    t->n_rows++;
    t->cur_col = 0;
    return 0;
}

/* Next free cell of the current row, or NULL when the row is full (a caller bug reported as -1). */
static cell *next_cell(mql_tab *t)
{
    if (t->n_rows == 0 || t->cur_col >= t->n_cols)
        return NULL;
    return &t->cells[(t->n_rows - 1) * t->n_cols + t->cur_col++];
}

int mql_tab_add_str(mql_tab *t, const char *s)
{
    cell *c = next_cell(t);
    if (!c)
        return -1;
    c->missing = (s == NULL);
    c->text = mql_strdup(s ? s : "");
    return c->text ? 0 : -1;
}

int mql_tab_add_fmt(mql_tab *t, const char *fmt, ...)
{
    char buf[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    return mql_tab_add_str(t, buf);
}

/* Shortest "%.{15,16,17}g" text that reads back as v exactly. */
static void exact_text(double v, char *buf, size_t cap)
{
    for (int prec = 15; prec <= 17; prec++) {
        snprintf(buf, cap, "%.*g", prec, v);
        if (strtod(buf, NULL) == v)
            return;
    }
}

int mql_tab_add_num(mql_tab *t, double v, const char *fmt)
{
    cell *c = next_cell(t);
    if (!c)
        return -1;
    c->numeric = 1;
    if (isnan(v)) {
        c->missing = 1;
        c->text = mql_strdup("");
        return c->text ? 0 : -1;
    }
    char buf[64];
    snprintf(buf, sizeof buf, fmt ? fmt : "%g", v);
    /* a value that rounds to zero reads 0.0000, not -0.0000 */
    if (buf[0] == '-' && strspn(buf + 1, "0.") == strlen(buf + 1))
        memmove(buf, buf + 1, strlen(buf));
    c->text = mql_strdup(buf);
    exact_text(v, buf, sizeof buf);
    c->exact = mql_strdup(buf);
    return c->text && c->exact ? 0 : -1;
}

int mql_tab_add_int(mql_tab *t, long long v)
{
    cell *c = next_cell(t);
    if (!c)
        return -1;
    char buf[32];
    snprintf(buf, sizeof buf, "%lld", v);
    c->numeric = 1;
    c->text = mql_strdup(buf);
    return c->text ? 0 : -1;
}

static const char *machine(const cell *c)
{
    return c->exact ? c->exact : (c->text ? c->text : "");
}

/* Display width in characters: counts UTF-8 lead bytes only. */
static size_t width(const char *s)
{
    size_t w = 0;
    for (; *s; s++)
        w += ((unsigned char)*s & 0xC0) != 0x80;
    return w;
}

static void json_string(FILE *f, const char *s)
{
    fputc('"', f);
    for (; *s; s++) {
        unsigned char ch = (unsigned char)*s;
        if (ch == '"' || ch == '\\')
            fprintf(f, "\\%c", ch);
        else if (ch == '\n')
            fputs("\\n", f);
        else if (ch == '\r')
            fputs("\\r", f);
        else if (ch == '\t')
            fputs("\\t", f);
        else if (ch < 0x20)
            fprintf(f, "\\u%04x", ch);
        else
            fputc(ch, f);
    }
    fputc('"', f);
}

/* The width of s as written by put_text: in Markdown a '|' is written "\|". */
static size_t text_width(const char *s, int markdown)
{
    size_t w = width(s);
    for (; markdown && *s; s++)
        w += *s == '|';
    return w;
}

/* Writes s as one table cell: a line break as a blank (it would end the row), and in Markdown a
 * '|' as "\|" (it would end the cell: `job_level in Director|VP`). */
static void put_text(FILE *f, const char *s, int markdown)
{
    for (; *s; s++) {
        if (*s == '\n' || *s == '\r')
            fputc(' ', f);
        else if (*s == '|' && markdown)
            fputs("\\|", f);
        else
            fputc(*s, f);
    }
}

static void write_text(const mql_tab *t, FILE *f, int markdown)
{
    size_t *w = calloc(t->n_cols, sizeof *w);
    if (!w)
        return;
    for (size_t j = 0; j < t->n_cols; j++)
        w[j] = text_width(t->names[j], markdown);
    for (size_t i = 0; i < t->n_rows; i++)
        for (size_t j = 0; j < t->n_cols; j++) {
            const cell *c = &t->cells[i * t->n_cols + j];
            size_t cw = c->text ? text_width(c->text, markdown) : 0;
            if (cw > w[j])
                w[j] = cw;
        }
    const char *sep = markdown ? " | " : "  ";
    for (size_t j = 0; j < t->n_cols; j++) {
        fputs(j ? sep : (markdown ? "| " : ""), f);
        put_text(f, t->names[j], markdown);
        fprintf(f, "%*s", (int)(w[j] - text_width(t->names[j], markdown)), "");
    }
    fputs(markdown ? " |\n" : "\n", f);
    for (size_t j = 0; j < t->n_cols; j++) {
        fputs(j ? (markdown ? "-|-" : "  ") : (markdown ? "|-" : ""), f);
        for (size_t k = 0; k < w[j]; k++)
            fputc('-', f);
    }
    fputs(markdown ? "-|\n" : "\n", f);
    for (size_t i = 0; i < t->n_rows; i++) {
        for (size_t j = 0; j < t->n_cols; j++) {
            const cell *c = &t->cells[i * t->n_cols + j];
            const char *s = c->text ? c->text : "";
            int pad = (int)(w[j] - text_width(s, markdown));
            fputs(j ? sep : (markdown ? "| " : ""), f);
            if (c->numeric) {
                fprintf(f, "%*s", pad, "");
                put_text(f, s, markdown);
            } else {
                put_text(f, s, markdown);
                if (j + 1 < t->n_cols || markdown)
                    fprintf(f, "%*s", pad, "");
            }
        }
        fputs(markdown ? " |\n" : "\n", f);
    }
    free(w);
}

int mql_tab_write(const mql_tab *t, FILE *f, mql_format fmt)
{
    switch (fmt) {
    case MQL_FMT_TABLE:
    case MQL_FMT_MD:
        write_text(t, f, fmt == MQL_FMT_MD);
        break;
    case MQL_FMT_CSV:
        for (size_t j = 0; j < t->n_cols; j++) {
            if (j)
                fputc(',', f);
            mql_csv_put(f, t->names[j], ',');
        }
        fputc('\n', f);
        for (size_t i = 0; i < t->n_rows; i++) {
            for (size_t j = 0; j < t->n_cols; j++) {
                if (j)
                    fputc(',', f);
                mql_csv_put(f, machine(&t->cells[i * t->n_cols + j]), ',');
            }
            fputc('\n', f);
        }
        break;
    case MQL_FMT_JSON:
        fputs("[", f);
        for (size_t i = 0; i < t->n_rows; i++) {
            fputs(i ? ",\n  {" : "\n  {", f);
            for (size_t j = 0; j < t->n_cols; j++) {
                const cell *c = &t->cells[i * t->n_cols + j];
                if (j)
                    fputs(", ", f);
                json_string(f, t->names[j]);
                fputs(": ", f);
                if (c->missing)
                    fputs("null", f);
                else if (c->numeric)
                    fputs(machine(c), f);
                else
                    json_string(f, machine(c));
            }
            fputc('}', f);
        }
        fputs(t->n_rows ? "\n]\n" : "]\n", f);
        break;
    }
    return ferror(f) ? -1 : 0;
}
