/* report_table.c: a small row/column result written as text, CSV, JSON or Markdown, so every
 * command offers the same --format choices with the same quoting and number rules. */
#include "mqlcal/report_table.h"

#include <math.h>
#include <stdarg.h>
#include <stdint.h>
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

/* Code points a terminal draws in no column: combining marks, zero-width spaces and joiners,
 * direction marks, variation selectors, emoji skin-tone modifiers, the byte order mark. */
static const uint32_t zero_width[][2] = {
    {0x0300, 0x036F}, {0x0483, 0x0489}, {0x0591, 0x05BD}, {0x0610, 0x061A}, {0x064B, 0x065F},
    {0x0E31, 0x0E31}, {0x0E34, 0x0E3A}, {0x0E47, 0x0E4E}, {0x1AB0, 0x1AFF}, {0x1DC0, 0x1DFF},
    {0x200B, 0x200F}, {0x202A, 0x202E}, {0x2060, 0x2064}, {0x20D0, 0x20FF}, {0xFE00, 0xFE0F},
    {0xFE20, 0xFE2F}, {0xFEFF, 0xFEFF}, {0x1F3FB, 0x1F3FF}, {0xE0000, 0xE007F},
    {0xE0100, 0xE01EF},
};
/* Code points drawn two columns wide (Unicode's East Asian Wide and Fullwidth, which include the
 * emoji shown as pictures by default). */
static const uint32_t double_width[][2] = {
    {0x1100, 0x115F}, {0x231A, 0x231B}, {0x2329, 0x232A}, {0x23E9, 0x23EC}, {0x23F0, 0x23F0},
    {0x23F3, 0x23F3}, {0x25FD, 0x25FE}, {0x2614, 0x2615}, {0x2648, 0x2653}, {0x267F, 0x267F},
    {0x2693, 0x2693}, {0x26A1, 0x26A1}, {0x26AA, 0x26AB}, {0x26BD, 0x26BE}, {0x26C4, 0x26C5},
    {0x26CE, 0x26CE}, {0x26D4, 0x26D4}, {0x26EA, 0x26EA}, {0x26F2, 0x26F3}, {0x26F5, 0x26F5},
    {0x26FA, 0x26FA}, {0x26FD, 0x26FD}, {0x2705, 0x2705}, {0x270A, 0x270B}, {0x2728, 0x2728},
    {0x274C, 0x274C}, {0x274E, 0x274E}, {0x2753, 0x2755}, {0x2757, 0x2757}, {0x2795, 0x2797},
    {0x27B0, 0x27B0}, {0x27BF, 0x27BF}, {0x2B1B, 0x2B1C}, {0x2B50, 0x2B50}, {0x2B55, 0x2B55},
    {0x2E80, 0x303E}, {0x3041, 0x33FF}, {0x3400, 0x4DBF}, {0x4E00, 0x9FFF}, {0xA000, 0xA4CF},
    {0xA960, 0xA97F}, {0xAC00, 0xD7A3}, {0xF900, 0xFAFF}, {0xFE10, 0xFE19}, {0xFE30, 0xFE6F},
    {0xFF00, 0xFF60}, {0xFFE0, 0xFFE6}, {0x16FE0, 0x16FE4}, {0x17000, 0x18CFF},
    {0x1AFF0, 0x1B2FF}, {0x1F004, 0x1F004}, {0x1F0CF, 0x1F0CF}, {0x1F18E, 0x1F18E},
    {0x1F191, 0x1F19A}, {0x1F200, 0x1F2FF}, {0x1F300, 0x1F320}, {0x1F32D, 0x1F335},
    {0x1F337, 0x1F37C}, {0x1F37E, 0x1F393}, {0x1F3A0, 0x1F3CA}, {0x1F3CF, 0x1F3D3},
    {0x1F3E0, 0x1F3F0}, {0x1F3F4, 0x1F3F4}, {0x1F3F8, 0x1F43E}, {0x1F440, 0x1F440},
    {0x1F442, 0x1F4FC}, {0x1F4FF, 0x1F53D}, {0x1F54B, 0x1F54E}, {0x1F550, 0x1F567},
    {0x1F57A, 0x1F57A}, {0x1F595, 0x1F596}, {0x1F5A4, 0x1F5A4}, {0x1F5FB, 0x1F64F},
    {0x1F680, 0x1F6C5}, {0x1F6CC, 0x1F6CC}, {0x1F6D0, 0x1F6D2}, {0x1F6D5, 0x1F6D7},
    {0x1F6DC, 0x1F6DF}, {0x1F6EB, 0x1F6EC}, {0x1F6F4, 0x1F6FC}, {0x1F7E0, 0x1F7EB},
    {0x1F7F0, 0x1F7F0}, {0x1F90C, 0x1F93A}, {0x1F93C, 0x1F945}, {0x1F947, 0x1F9FF},
    {0x1FA70, 0x1FAFF}, {0x20000, 0x2FFFD}, {0x30000, 0x3FFFD},
};

static int in_ranges(uint32_t c, const uint32_t (*r)[2], size_t n)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (c < r[mid][0])
            hi = mid;
        else if (c > r[mid][1])
            lo = mid + 1;
        else
            return 1;
    }
    return 0;
}

/* Decodes one UTF-8 sequence at s (not at its end): the code point in *c and the bytes it takes.
 * A byte that does not start a well-formed sequence is taken alone as U+FFFD, as terminals draw
 * it (a Latin-1 byte in a name, say). */
static size_t utf8_next(const unsigned char *s, uint32_t *c)
{
    unsigned char b = s[0];
    size_t len = b < 0x80 ? 1 : b >= 0xC2 && b < 0xE0 ? 2 : b >= 0xE0 && b < 0xF0 ? 3
               : b >= 0xF0 && b < 0xF5 ? 4 : 0;
    if (len == 0) {
        *c = 0xFFFD;
        return 1;
    }
    uint32_t v = len == 1 ? b : (uint32_t)(b & (0x7F >> len));
    for (size_t k = 1; k < len; k++) {
        if ((s[k] & 0xC0) != 0x80) {
            *c = 0xFFFD;
            return 1;
        }
        v = v << 6 | (s[k] & 0x3F);
    }
    static const uint32_t least[5] = {0, 0, 0x80, 0x800, 0x10000};
    if (v < least[len] || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF)) {
        *c = 0xFFFD;
        return 1;
    }
    *c = v;
    return len;
}

/* Display width in terminal columns: wide characters and emoji count two, combining marks and
 * other zero-width code points none, and a picture joined to the one before it by a zero-width
 * joiner (U+200D, the family and profession emoji) none, since the sequence draws as one. */
static size_t width(const char *str)
{
    const unsigned char *s = (const unsigned char *)str;
    size_t w = 0;
    uint32_t prev = 0;
    while (*s) {
        uint32_t c;
        s += utf8_next(s, &c);
        if (in_ranges(c, zero_width, sizeof zero_width / sizeof *zero_width))
            ;
        else if (in_ranges(c, double_width, sizeof double_width / sizeof *double_width))
            w += prev == 0x200D ? 0 : 2;
        else
            w += 1;
        prev = c;
    }
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
