/* table.c: the columnar lead table. Columns are typed while the CSV streams past (numbers and
 * dates as doubles, text dictionary-encoded), then inferred as numeric / boolean / date /
 * categorical / identifier-like; also the outcome flags and joins of DESIGN section 3. */
#define _DEFAULT_SOURCE     /* madvise(MADV_HUGEPAGE) */
#include "mqlcal/table.h"

#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#ifdef __GLIBC__
#include <malloc.h>       /* malloc_trim */
#endif

#include "dates.h"
#include "mqlcal/csv.h"
#include "mqlcal/dict.h"
#include "mqlcal/value.h"


const char *mql_coltype_name(mql_coltype t)
{
    switch (t) {
    case MQL_COL_NUMERIC: return "numeric";
    case MQL_COL_BOOLEAN: return "boolean";
    case MQL_COL_CATEGORICAL: return "categorical";
    case MQL_COL_DATE: return "date";
    case MQL_COL_ID: return "id";
    }
    return "?";
}

/* ======================================================================== values ==== */

static const double pow10_exact[23] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                                       1e8,  1e9,  1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
                                       1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};

static int is_digit(char c)
{
    return c >= '0' && c <= '9';
}

/* Thousands separators are accepted only where they cannot be a decimal comma: two or more
 * groups ("1,234,567") or groups followed by a decimal point ("12,500.50"). Copies the number
 * without commas into buf; returns 0 when s matches the pattern. */
static int strip_thousands(const char *s, size_t n, char *buf, size_t cap)
{
    size_t i = 0, o = 0, groups = 0;
    if (n + 1 > cap)
        return -1;
    if (s[i] == '-' || s[i] == '+')
        buf[o++] = s[i++];
    size_t lead = 0;
    while (i < n && is_digit(s[i]) && lead < 4)
        buf[o++] = s[i++], lead++;
    if (lead == 0 || lead > 3)
        return -1;
    while (i < n && s[i] == ',') {
        if (i + 4 > n || !is_digit(s[i + 1]) || !is_digit(s[i + 2]) || !is_digit(s[i + 3]))
            return -1;
        memcpy(buf + o, s + i + 1, 3);
        o += 3;
        i += 4;
        groups++;
    }
    int frac = 0;
    if (i < n && s[i] == '.') {
        buf[o++] = s[i++];
        while (i < n && is_digit(s[i]))
            buf[o++] = s[i++], frac = 1;
        if (!frac)
            return -1;
    }
    if (i != n || groups == 0 || (groups < 2 && !frac))
        return -1;
    buf[o] = '\0';
    return 0;
}

static int parse_num_general(const char *s, size_t n, double *out);

/* Parses a decimal number (sign, digits, '.', exponent, unambiguous thousands separators).
 * Exact fast path when the mantissa fits 2^53 and the power of ten is at most 22 (both then
 * exact doubles, so one multiply or divide rounds correctly); strtod otherwise. s must be
 * NUL-terminated at s[n]. Returns 0 and sets *out, or -1. */
static inline int parse_num_dec(const char *s, size_t n, double *out, int *dec);

static inline int parse_num(const char *s, size_t n, double *out)
{
    int dec;
    return parse_num_dec(s, n, out, &dec);
}

/* parse_num, also saying how the number was written: *dec is the count of digits after the
 * point of a plain decimal ([sign] digits [. digits], so *out times 10^*dec is an integer below
 * 2^53 in magnitude), 99 for any other form. */
static inline int parse_num_dec(const char *s, size_t n, double *out, int *dec)
{
    /* The common short forms first: [sign] digits [. digits], at most 19 digits (so m cannot
     * overflow), exact under the same condition as below. */
    size_t i = 0;
    int neg = 0;
    if (n && (s[0] == '-' || s[0] == '+'))
        neg = s[i++] == '-';
    uint64_t m = 0;
    size_t d0 = i;
    while (i < n && (unsigned char)(s[i] - '0') < 10)
        m = m * 10 + (uint64_t)(s[i++] - '0');
    size_t nd = i - d0, nf = 0;
    if (i < n && s[i] == '.') {
        size_t f0 = ++i;
        while (i < n && (unsigned char)(s[i] - '0') < 10)
            m = m * 10 + (uint64_t)(s[i++] - '0');
        nf = i - f0;
    }
    if (i == n && nd + nf > 0 && nd + nf <= 19 && m <= (UINT64_C(1) << 53) && nf <= 22) {
        double v = nf ? (double)m / pow10_exact[nf] : (double)m;
        *out = neg ? -v : v;
        *dec = (int)nf;
        return 0;
    }
    *dec = 99;
    return parse_num_general(s, n, out);
}

/* parse_num's general path: long mantissas, exponents, thousands separators. */
static int parse_num_general(const char *s, size_t n, double *out)
{
    size_t i = 0;
    int neg = 0;
    if (i < n && (s[i] == '-' || s[i] == '+'))
        neg = s[i++] == '-';
    uint64_t m = 0;
    int nd = 0, exp10 = 0, digits = 0;
    for (; i < n && is_digit(s[i]); i++, digits++)
        if (nd < 19) {
            m = m * 10 + (uint64_t)(s[i] - '0');
            nd += m != 0;
        } else {
            exp10++;
            nd = 99;
        }
    if (i < n && s[i] == ',') {
        char buf[96];
        if (strip_thousands(s, n, buf, sizeof buf))
            return -1;
        return parse_num(buf, strlen(buf), out);
    }
    if (i < n && s[i] == '.') {
        i++;
        for (; i < n && is_digit(s[i]); i++, digits++)
            if (nd < 19) {
                m = m * 10 + (uint64_t)(s[i] - '0');
                nd += m != 0;
                exp10--;
            } else {
                nd = 99;
            }
    }
    if (!digits)
        return -1;
    if (i < n && (s[i] == 'e' || s[i] == 'E')) {
        i++;
        int eneg = 0, e = 0, ed = 0;
        if (i < n && (s[i] == '-' || s[i] == '+'))
            eneg = s[i++] == '-';
        for (; i < n && is_digit(s[i]); i++, ed++)
            if (e < 10000)
                e = e * 10 + (s[i] - '0');
        if (!ed)
            return -1;
        exp10 += eneg ? -e : e;
    }
    if (i != n)
        return -1;
    if (nd <= 19 && m <= (UINT64_C(1) << 53) && exp10 >= -22 && exp10 <= 22) {
        double v = (double)m;
        v = exp10 < 0 ? v / pow10_exact[-exp10] : v * pow10_exact[exp10];
        *out = neg ? -v : v;
        return 0;
    }
    /* The syntax is plain decimal, so strtod reads exactly these bytes. */
    char *end;
    double v = strtod(s, &end);
    if (end != s + n || !isfinite(v))
        return -1;
    *out = v;
    return 0;
}

int mql_parse_number(const char *s, size_t n, double *out)
{
    char small[128];
    char *buf = n < sizeof small ? small : malloc(n + 1);
    if (!buf)
        return -1;
    memcpy(buf, s, n);
    buf[n] = '\0';
    int rc = parse_num(buf, n, out);
    if (buf != small)
        free(buf);
    return rc;
}

/* The length of a thousands separator of decimal-comma locales at s (n bytes): '.', a blank,
 * a no-break space (U+00A0) or a narrow no-break space (U+202F), as French, German and Nordic
 * spreadsheets write them; 0 when there is none. *blank says whether it is a kind of space. */
static size_t group_sep(const char *s, size_t n, int *blank)
{
    *blank = 1;
    if (n >= 1 && s[0] == ' ')
        return 1;
    if (n >= 2 && (unsigned char)s[0] == 0xC2 && (unsigned char)s[1] == 0xA0)
        return 2;
    if (n >= 3 && (unsigned char)s[0] == 0xE2 && (unsigned char)s[1] == 0x80 &&
        (unsigned char)s[2] == 0xAF)
        return 3;
    *blank = 0;
    return n >= 1 && s[0] == '.';
}

/* A decimal comma, the form of ';'-separated exports: [sign] digits [',' digits] with optional
 * thousands groups of one separator, '.' or a kind of space ("8170,38", "1.234.567,89", "-0,5",
 * "1.234.567", "1 234,50", "12 500"), and an exponent after the fraction. A comma, a space group
 * or two '.' groups must be present (one '.' group is parse_num's decimal point). Returns 0 and
 * sets *out, or -1. */
static int parse_num_comma(const char *s, size_t n, double *out)
{
    char buf[96];
    size_t i = 0, o = 0, groups = 0, sl, first_sl = 0;
    int blank = 0, first_blank = 0;
    if (n + 1 > sizeof buf)
        return -1;
    if (i < n && (s[i] == '-' || s[i] == '+'))
        buf[o++] = s[i++];
    size_t lead = 0;
    while (i < n && is_digit(s[i]))
        buf[o++] = s[i++], lead++;
    if (lead == 0)
        return -1;
    while (i < n && (sl = group_sep(s + i, n - i, &blank)) > 0) {
        if (groups == 0) {
            first_sl = sl;
            first_blank = blank;
        } else if (sl != first_sl || blank != first_blank ||
                   (blank && memcmp(s + i, s + i - 3 - sl, sl) != 0)) {
            return -1;           /* one separator throughout */
        }
        if (lead > 3 || i + sl + 3 > n || !is_digit(s[i + sl]) || !is_digit(s[i + sl + 1]) ||
            !is_digit(s[i + sl + 2]) || (i + sl + 3 < n && is_digit(s[i + sl + 3])))
            return -1;
        memcpy(buf + o, s + i + sl, 3);
        o += 3;
        i += sl + 3;
        groups++;
    }
    int comma = 0;
    if (i < n && s[i] == ',') {
        comma = 1;
        buf[o++] = '.';
        i++;
        size_t f = 0;
        while (i < n && is_digit(s[i]))
            buf[o++] = s[i++], f++;
        if (!f)
            return -1;
        if (i < n && (s[i] == 'e' || s[i] == 'E')) {
            buf[o++] = s[i++];
            if (i < n && (s[i] == '-' || s[i] == '+'))
                buf[o++] = s[i++];
            size_t e = 0;
            while (i < n && is_digit(s[i]))
                buf[o++] = s[i++], e++;
            if (!e)
                return -1;
        }
    }
    if (i != n || (!comma && groups < (first_blank ? 1u : 2u)))
        return -1;
    buf[o] = '\0';
    return parse_num_general(buf, o, out);
}

static int nonfinite_num(const char *s, size_t n);

int mql_is_nonfinite_number(const char *s, size_t n)
{
    return nonfinite_num(s, n);
}

int mql_parse_decimal_comma(const char *s, size_t n, double *out)
{
    return parse_num_comma(s, n, out);
}

/* Whether s is a number without a finite value: NaN, inf, infinity (any case, signed), or a
 * decimal number beyond the double range (1e400). Such cells are missing in a numeric column. */
static int nonfinite_num(const char *s, size_t n)
{
    static const char *const words[] = {"nan", "inf", "infinity", "-nan", "-inf", "-infinity",
                                        "+inf", "+infinity", "+nan"};
    if (n == 0 || n > 64)
        return 0;
    for (size_t k = 0; k < sizeof words / sizeof words[0]; k++) {
        size_t m = strlen(words[k]), i = 0;
        while (m == n && i < n && (s[i] | 0x20) == words[k][i])
            i++;
        if (m == n && i == n)
            return 1;
    }
    /* Plain decimal syntax only (no hex, no words), then strtod decides the range. */
    size_t i = 0, d = 0;
    if (s[i] == '-' || s[i] == '+')
        i++;
    while (i < n && is_digit(s[i]))
        i++, d++;
    if (i < n && s[i] == '.')
        for (i++; i < n && is_digit(s[i]); i++)
            d++;
    if (!d || i >= n || (s[i] != 'e' && s[i] != 'E'))
        return 0;
    i++;
    if (i < n && (s[i] == '-' || s[i] == '+'))
        i++;
    size_t e = 0;
    while (i < n && is_digit(s[i]))
        i++, e++;
    if (!e || i != n)
        return 0;
    char buf[72];
    memcpy(buf, s, n);
    buf[n] = '\0';
    return isinf(strtod(buf, NULL)) != 0;
}

/* Shortest "%.{15,16,17}g" text that reads back as v exactly; integers without exponent. */
static void num_text(double v, char *buf, size_t cap)
{
    if (v == floor(v) && fabs(v) < 1e15) {
        snprintf(buf, cap, "%.0f", v == 0 ? 0.0 : v);
        return;
    }
    for (int prec = 15; prec <= 17; prec++) {
        snprintf(buf, cap, "%.*g", prec, v);
        if (strtod(buf, NULL) == v)
            return;
    }
}

int mql_truthy(const char *s)
{
    static const char *const blank[] = {""};
    if (!s)
        return 0;
    mql_cell c;
    mql_cell_from_text(&c, s, blank, 1);
    return mql_cell_truth(&c) == 1 || mql_value_eq(s, "won");
}

/* ======================================================================== reading ==== */

typedef enum cmode { M_EMPTY, M_NUM, M_DATE, M_TEXT } cmode;

/* A column being built while the file streams. */
typedef struct colb {
    cmode mode;
    cmode origin;            /* the mode the first value chose */
    size_t switch_row;       /* when origin is NUM or DATE and mode TEXT: the row whose value
                                turned the column to text (earlier rows hold canonical text) */
    int forced;              /* --categorical: text from the first value */
    long out;                /* index among the stored columns, -1 when not stored */
    double *num;
    uint32_t *code;
    mql_dict d;
    uint32_t hash;           /* mql_str_hash of the current cell (text mode) */
    int has_time;
    int dec;                 /* NUM: the most digits after the point of the values read, 99
                                when some value was not a plain decimal (parse_num_dec) */
    size_t n_bad;            /* NUM / DATE: cells of the column's form without a value */
    size_t bad_row;          /*   (mql_column.n_unreadable): the first one's row and text */
    char *bad_text;
    int shared;              /* num / code lie in the parts' shared arrays (slabs): never freed
                                or reallocated through this column */
    int unnamed;             /* no name in the header: never stored, and every cell must be
                                blank (the empty columns a spreadsheet leaves at the right) */
} colb;

/* The column arrays the parts of a parallel read share: one array of doubles and one of codes
 * per file column, each made when a part first needs it, of cap rows. Part k writes its row i at
 * row base_k + i, where base_k (mql_csv_cell_fns.begin) bounds the rows of the parts before it,
 * so the parts never overlap, and when every record is one line the rows are already where the
 * table wants them: the merge moves nothing into fresh memory. */
typedef struct slabs {
    pthread_mutex_t mu;
    size_t cap;
    size_t n_cols;
    double **num;
    uint32_t **code;
} slabs;

typedef struct builder {
    const char *path;
    const mql_read_opts *opts;
    mql_table *t;
    colb *cb;
    size_t n_file_cols;
    size_t n_rows;                   /* data rows taken */
    size_t cap_rows;
    size_t cap_hint;                 /* rows to make room for at first (an estimate; 0: none) */
    size_t *line;                    /* the physical line of each row taken (cap_rows), or NULL
                                        while every row i so far is on line line0 + i (one line
                                        per record, no blank lines: nearly every export) */
    size_t line0;                    /* the line of row 0 (0: no row yet) */
    int dec_comma;                   /* ';' file: numbers may have a decimal comma */
    int secondary;                   /* a later part's builder: the table belongs to part 0's */
    slabs *sl;                       /* parallel read: the shared arrays (NULL: none) */
    size_t base;                     /* the row of the shared arrays this part's row 0 is at */
    int placed;                      /* new arrays go to the shared ones at base (cap_rows is the
                                        room left there); 0: arrays of its own */
    const char *const *na;
    size_t n_na;
    size_t *na_len;
    unsigned char na_first[256];     /* lower-cased first bytes of the placeholders */
    uint64_t na_lens;                /* bit k: some placeholder has length k (< 64) */
    int na_empty;                    /* "" is a placeholder */
    size_t n_unnamed;                /* columns without a name in the header (colb.unnamed) */
    size_t unnamed_bad;              /* cell mode: 1 + the unnamed column with a value in the
                                        record being read (0: none), reported at its end */
    char unnamed_text[48];           /*   ... and the start of that value */
} builder;

static int lower(int c)
{
    return c >= 'A' && c <= 'Z' ? c + 32 : c;
}

/* Whether field s (n bytes) is a missing-value placeholder; most fields are rejected on their
 * length or first byte without a comparison. */
static int is_na(const builder *b, const char *s, size_t n)
{
    if (n && (s[0] == ' ' || s[0] == '\t' || s[n - 1] == ' ' || s[n - 1] == '\t'))
        n = mql_trim_span(s, n, &s);    /* " NA " is NA, as value.h reads it */
    if (n == 0)
        return b->na_empty;
    if (n >= 64 || !(b->na_lens >> n & 1) || !b->na_first[(unsigned char)lower(s[0])])
        return 0;
    for (size_t k = 0; k < b->n_na; k++) {
        if (b->na_len[k] != n)
            continue;
        size_t i = 0;
        while (i < n && lower((unsigned char)s[i]) == lower((unsigned char)b->na[k][i]))
            i++;
        if (i == n)
            return 1;
    }
    return 0;
}

static int in_list(const char *name, const char *const *list, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(name, list[i]) == 0)
            return 1;
    return 0;
}

static int on_header(builder *b, const mql_csv_row *row, mql_err *err)
{
    const mql_read_opts *o = b->opts;
    b->n_file_cols = row->n_fields;
    b->dec_comma = row->delim == ';';
    b->cb = calloc(row->n_fields, sizeof *b->cb);
    if (!b->cb)
        return mql_err_set(err, MQL_ENOMEM, "out of memory");
    size_t n_store = 0;
    for (size_t j = 0; j < row->n_fields; j++) {
        const char *name = row->field[j];
        b->cb[j].out = -1;
        if (!row->len[j]) {
            b->cb[j].unnamed = 1;
            b->n_unnamed++;
            continue;
        }
        for (size_t k = 0; k < j; k++)
            if (row->len[k] && strcmp(row->field[k], name) == 0)
                return mql_err_set(err, MQL_EDATA,
                                   "%s:%zu: duplicate column name '%s' (columns %zu and %zu): "
                                   "rename one of them in the header line",
                                   b->path, row->line, name, k + 1, j + 1);
        if (!o || !o->only || in_list(name, o->only, o->n_only))
            b->cb[j].out = (long)n_store++;
        b->cb[j].forced = o && o->categorical && in_list(name, o->categorical, o->n_categorical);
    }
    if (b->n_unnamed == row->n_fields)
        return mql_err_set(err, MQL_EDATA, "%s:%zu: the header line has no column names: the "
                           "column names must be the first line of the file", b->path,
                           row->line);
    /* The parts' headers are handled one after another on one thread: the first makes the
     * table of shared arrays. */
    if (b->sl && !b->sl->num) {
        b->sl->n_cols = row->n_fields;
        if (!(b->sl->num = calloc(row->n_fields, sizeof *b->sl->num)) ||
            !(b->sl->code = calloc(row->n_fields, sizeof *b->sl->code)))
            return mql_err_set(err, MQL_ENOMEM, "out of memory");
    }
    if (b->secondary)
        return MQL_OK;
    const char *const *lists[2] = {o ? o->only : NULL, o ? o->categorical : NULL};
    size_t nl[2] = {o ? o->n_only : 0, o ? o->n_categorical : 0};
    for (int l = o && o->only_if_present ? 1 : 0; l < 2; l++)
        for (size_t i = 0; lists[l] && i < nl[l]; i++) {
            size_t j = 0;
            while (j < row->n_fields && strcmp(row->field[j], lists[l][i]) != 0)
                j++;
            if (j == row->n_fields) {
                char cols[640];
                mql_name_list((const char *const *)row->field, row->n_fields, sizeof(char *), cols,
                              sizeof cols);
                const char *near = mql_nearest_name(lists[l][i], (const char *const *)row->field,
                                                    row->n_fields, sizeof(char *));
                return mql_err_set(err, MQL_EUSAGE, "no column '%s' in %s%s%s%s%s (columns: %s)",
                                   lists[l][i], b->path, near ? "; did you mean '" : "",
                                   near ? near : "", near ? "'?" : "",
                                   mql_name_lookalike(lists[l][i], near), cols);
            }
        }
    mql_table *t = b->t;
    t->cols = calloc(n_store ? n_store : 1, sizeof *t->cols);
    if (!t->cols)
        return mql_err_set(err, MQL_ENOMEM, "out of memory");
    t->n_cols = n_store;
    for (size_t j = 0; j < row->n_fields; j++)
        if (b->cb[j].out >= 0 && !(t->cols[b->cb[j].out].name = mql_strdup(row->field[j])))
            return mql_err_set(err, MQL_ENOMEM, "out of memory");
    return MQL_OK;
}

/* Rewrites a numeric or date column as text: the n_rows values seen so far become their text;
 * the code array gets room for cap rows, or is into (a window of the shared arrays, which also
 * hold the values: they are left there). */
static int to_text(colb *c, size_t n_rows, size_t cap, uint32_t *into)
{
    uint32_t *code =
        into ? into : mql_alloc_big((cap > n_rows ? cap : n_rows ? n_rows : 1) * sizeof *code);
    if (!code)
        return -1;
    for (size_t i = 0; i < n_rows; i++) {
        double v = c->num[i];
        if (isnan(v)) {
            code[i] = MQL_NA_CODE;
            continue;
        }
        char buf[64];
        if (c->mode == M_DATE)
            mql_date_format(v, v != floor(v), buf, sizeof buf);
        else
            num_text(v, buf, sizeof buf);
        if (mql_dict_add(&c->d, buf, strlen(buf), &code[i])) {
            if (!into)
                free(code);
            return -1;
        }
    }
    if (!into)
        free(c->num);
    c->num = NULL;
    c->code = code;
    c->mode = M_TEXT;
    c->switch_row = n_rows;
    return 0;
}

/* Array p (of elem-byte entries) with room for cap entries, its first keep kept; an array in
 * the shared ones is copied out and left there (other parts may still read it). NULL when out
 * of memory (p is then unchanged). */
static void *array_reserve(void *p, int shared, size_t elem, size_t keep, size_t cap)
{
    if (!shared)
        return mql_realloc_big(p, keep * elem, cap * elem);
    void *q = mql_alloc_big(cap * elem);
    if (q)
        memcpy(q, p, keep * elem);
    return q;
}

/* Makes room for cap rows in column c's array, keeping its first keep rows; the column then has
 * an array of its own. Returns 0 or -1. */
static int col_reserve(colb *c, size_t keep, size_t cap)
{
    if (c->num) {
        double *q = array_reserve(c->num, c->shared, sizeof *q, keep, cap);
        if (!q)
            return -1;
        c->num = q;
    }
    if (c->code) {
        /* (a column holds one array: there is no shared num left behind to lose track of) */
        uint32_t *q = array_reserve(c->code, c->shared, sizeof *q, keep, cap);
        if (!q)
            return -1;
        c->code = q;
    }
    c->shared = 0;
    return 0;
}

/* Makes room for row i in every stored column. A placed part that has filled its room in the
 * shared arrays (the row estimate was low) goes on in arrays of its own. */
static int ensure_rows(builder *b, size_t i)
{
    if (i < b->cap_rows)
        return 0;
    size_t cap = b->cap_rows ? 2 * b->cap_rows : b->cap_hint > 4096 ? b->cap_hint : 4096;
    size_t old = b->cap_rows;
    if (b->line) {
        size_t *ln = mql_realloc_big(b->line, old * sizeof *ln, cap * sizeof *ln);
        if (!ln)
            return -1;
        b->line = ln;
    }
    for (size_t j = 0; j < b->n_file_cols; j++)
        if (col_reserve(&b->cb[j], i, cap))
            return -1;
    b->cap_rows = cap;
    b->placed = 0;
    return 0;
}

/* Column c's window (at the builder's base) in the shared array of doubles or of codes, which
 * the first part to need it makes. NULL when out of memory. */
static double *slab_num(builder *b, const colb *c)
{
    slabs *sl = b->sl;
    size_t j = (size_t)(c - b->cb);
    pthread_mutex_lock(&sl->mu);
    if (!sl->num[j])
        sl->num[j] = mql_alloc_big(sl->cap * sizeof *sl->num[j]);
    double *p = sl->num[j];
    pthread_mutex_unlock(&sl->mu);
    return p ? p + b->base : NULL;
}

static uint32_t *slab_code(builder *b, const colb *c)
{
    slabs *sl = b->sl;
    size_t j = (size_t)(c - b->cb);
    pthread_mutex_lock(&sl->mu);
    if (!sl->code[j])
        sl->code[j] = mql_alloc_big(sl->cap * sizeof *sl->code[j]);
    uint32_t *p = sl->code[j];
    pthread_mutex_unlock(&sl->mu);
    return p ? p + b->base : NULL;
}

/* A new array for column c of builder b, room for b->cap_rows rows: its window in the shared
 * arrays when b is placed. NULL when out of memory. */
static double *col_new_num(builder *b, colb *c)
{
    double *p = b->placed ? slab_num(b, c) : mql_alloc_big(b->cap_rows * sizeof *p);
    c->shared = b->placed;
    return p;
}

static uint32_t *col_new_code(builder *b, colb *c)
{
    uint32_t *p = b->placed ? slab_code(b, c) : mql_alloc_big(b->cap_rows * sizeof *p);
    c->shared = b->placed;
    return p;
}

/* to_text for column c of builder b, whose first n_rows rows are read. */
static int col_to_text(builder *b, colb *c, size_t n_rows)
{
    uint32_t *into = NULL;
    if (b->placed && !(into = slab_code(b, c)))
        return -1;
    return to_text(c, n_rows, b->cap_rows, into);
}

/* The lines of rows 0 .. n - 1 when they are line0, line0 + 1, ...: the array, with room for cap
 * rows. Returns it or NULL (no memory). */
static size_t *lines_materialise(size_t line0, size_t n, size_t cap)
{
    size_t *ln = mql_alloc_big((cap > n ? cap : n ? n : 1) * sizeof *ln);
    for (size_t i = 0; ln && i < n; i++)
        ln[i] = line0 + i;
    return ln;
}

/* Records that row i (just taken, room made) is on line `line`. Returns 0 or -1. */
static int note_line(builder *b, size_t i, size_t line)
{
    if (i == 0)
        b->line0 = line;
    if (!b->line) {
        if (line == b->line0 + i)
            return 0;
        if (!(b->line = lines_materialise(b->line0, i, b->cap_rows)))
            return -1;
    }
    b->line[i] = line;
    return 0;
}

/* The first non-missing value of a column picks its mode; earlier rows become missing. */
static int start_mode(builder *b, colb *c, const char *s, size_t n, size_t i)
{
    double v;
    int ht;
    if (!c->forced && (parse_num(s, n, &v) == 0 ||
                       (b->dec_comma && parse_num_comma(s, n, &v) == 0) || nonfinite_num(s, n)))
        c->mode = M_NUM;
    else if (!c->forced && (mql_date_parse(s, n, &v, &ht) == 0 || mql_date_iso_shaped(s, n)))
        c->mode = M_DATE;
    else
        c->mode = M_TEXT;
    c->origin = c->mode;
    if (c->mode == M_TEXT) {
        if (!(c->code = col_new_code(b, c)))
            return -1;
        for (size_t k = 0; k < i; k++)
            c->code[k] = MQL_NA_CODE;
    } else {
        if (!(c->num = col_new_num(b, c)))
            return -1;
        for (size_t k = 0; k < i; k++)
            c->num[k] = NAN;
    }
    return 0;
}

/* Records cell s of row i as one without a value of the column's type: missing, counted. */
static int note_bad(colb *c, size_t i, const char *s, size_t n)
{
    c->num[i] = NAN;
    if (c->n_bad++ == 0) {
        c->bad_row = i;
        if (!(c->bad_text = mql_strndup(s, n)))
            return -1;
    }
    return 0;
}

/* Stores cell s (n bytes) in row i of column c: the one-thread typing rule (the first value
 * picks the mode; a value the mode cannot read turns the column to text). The caller has made
 * room for row i; c->hash must hold mql_str_hash(s) when c is text with a large dictionary.
 * Returns 0 or -1 (no memory). */
static int put_cell(builder *b, colb *c, size_t i, const char *s, size_t n)
{
    if (is_na(b, s, n)) {
        if (c->mode == M_TEXT)
            c->code[i] = MQL_NA_CODE;
        else if (c->mode != M_EMPTY)
            c->num[i] = NAN;
        return 0;
    }
    if (c->mode == M_EMPTY && start_mode(b, c, s, n, i))
        return -1;
    int ht;
    switch (c->mode) {
    case M_NUM: {
        int dec;
        if (parse_num_dec(s, n, &c->num[i], &dec) == 0) {
            c->dec = dec > c->dec ? dec : c->dec;
            return 0;
        }
        if (b->dec_comma && parse_num_comma(s, n, &c->num[i]) == 0) {
            c->dec = 99;
            return 0;
        }
        if (nonfinite_num(s, n))
            return note_bad(c, i, s, n);
        break;
    }
    case M_DATE:
        if (mql_date_parse(s, n, &c->num[i], &ht) == 0) {
            c->has_time |= ht;
            return 0;
        }
        if (mql_date_iso_shaped(s, n))
            return note_bad(c, i, s, n);
        break;
    default:
        break;
    }
    if (c->mode != M_TEXT) {
        if (col_to_text(b, c, i))
            return -1;
        c->hash = mql_str_hash(s, n);
    } else if (c->d.raw) {
        return mql_dict_raw_add(&c->d, s, n, &c->code[i]);
    } else if (c->d.mask < 4095) {
        c->hash = mql_str_hash(s, n);
    }
    /* A dictionary that has grown with nearly every row is an identifier's: from here on its
     * values are kept without an index (a hash table of millions of keys misses the cache on
     * every row), and mql_dict_raw_finish makes them distinct levels once the file is read. */
    if (c->d.n == 16384 && i < 17000 && mql_dict_to_raw(&c->d) == 0 &&
        (b->cap_hint <= c->d.cap || mql_dict_room(&c->d, b->cap_hint) == 0))
        return mql_dict_raw_add(&c->d, s, n, &c->code[i]);
    if (c->d.raw)
        return -1;               /* mql_dict_to_raw ran out of memory */
    return mql_dict_add_hashed(&c->d, s, n, c->hash, &c->code[i]);
}

/* The error for a value in column j, which has no name in the header. */
static int unnamed_error(const builder *b, size_t line, size_t j, const char *s, size_t n,
                         mql_err *err)
{
    return mql_err_set(err, MQL_EDATA,
                       "%s:%zu: column %zu has no name in the header but holds '%.*s%s' here: "
                       "name it in the header line (and if a title or note stands above the "
                       "column names, delete it: they must be the first line)",
                       b->path, line, j + 1, (int)(n > 40 ? 40 : n), s, n > 40 ? "..." : "");
}

/* Whether s (n bytes) holds anything but blanks. */
static int nonblank(const char *s, size_t n)
{
    const char *t;
    return mql_trim_span(s, n, &t) > 0;
}

static int on_row(const mql_csv_row *row, void *ctx, mql_err *err)
{
    builder *b = ctx;
    if (row->index == 0)
        return on_header(b, row, err);
    if (b->n_unnamed)
        for (size_t j = 0; j < b->n_file_cols && j < row->n_fields; j++)
            if (b->cb[j].unnamed && nonblank(row->field[j], row->len[j]))
                return unnamed_error(b, row->line, j, row->field[j], row->len[j], err);
    size_t i = b->n_rows;
    if (ensure_rows(b, i))
        return mql_err_set(err, MQL_ENOMEM, "%s: out of memory at row %zu", b->path, i + 1);
    /* Hash the cells of text columns with large dictionaries (identifiers) first and prefetch
     * their slots, so the cache misses overlap with the other columns' work. */
    for (size_t j = 0; j < b->n_file_cols; j++) {
        colb *c = &b->cb[j];
        if (c->mode == M_TEXT && c->d.mask >= 4095) {
            c->hash = mql_str_hash(row->field[j], row->len[j]);
            mql_dict_prefetch(&c->d, c->hash);
        }
    }
    for (size_t j = 0; j < b->n_file_cols; j++) {
        colb *c = &b->cb[j];
        if (c->out >= 0 && put_cell(b, c, i, row->field[j], row->len[j]))
            return mql_err_set(err, MQL_ENOMEM, "%s: out of memory at row %zu", b->path, i + 1);
    }
    if (note_line(b, i, row->line))
        return mql_err_set(err, MQL_ENOMEM, "%s: out of memory at row %zu", b->path, i + 1);
    b->n_rows++;
    return MQL_OK;
}

/* Cell mode of the parallel reader: each cell is typed as libcsv hands it over. */
static int on_cell(void *ctx, size_t j, const char *s, size_t n, mql_err *err)
{
    builder *b = ctx;
    size_t i = b->n_rows;
    if (j == 0 && ensure_rows(b, i))
        return mql_err_set(err, MQL_ENOMEM, "%s: out of memory at row %zu", b->path, i + 1);
    if (j < b->n_file_cols && b->cb[j].unnamed && !b->unnamed_bad && nonblank(s, n)) {
        b->unnamed_bad = j + 1;  /* reported at the record's end, where its line is known */
        size_t k = n < sizeof b->unnamed_text - 1 ? n : sizeof b->unnamed_text - 1;
        memcpy(b->unnamed_text, s, k);
        b->unnamed_text[k] = '\0';
    }
    if (j >= b->n_file_cols || b->cb[j].out < 0)
        return MQL_OK;           /* an extra field: the record's field count check fails */
    colb *c = &b->cb[j];
    if (c->mode == M_TEXT && c->d.mask >= 4095)
        c->hash = mql_str_hash(s, n);
    if (put_cell(b, c, i, s, n))
        return mql_err_set(err, MQL_ENOMEM, "%s: out of memory at row %zu", b->path, i + 1);
    return MQL_OK;
}

/* The start of a part of the parallel reader: its rows go to the shared arrays from row
 * part_line - data_line on (csv.h), when that is within them. */
static int on_part_begin(void *ctx, size_t data_line, size_t part_line, mql_err *err)
{
    builder *b = ctx;
    (void)err;
    b->base = part_line - data_line;
    b->placed = b->sl && b->base < b->sl->cap;
    b->cap_rows = b->placed ? b->sl->cap - b->base : 0;
    return MQL_OK;
}

static int on_record_end(void *ctx, size_t n_fields, size_t line, mql_err *err)
{
    builder *b = ctx;
    (void)n_fields;
    if (b->unnamed_bad)
        return unnamed_error(b, line, b->unnamed_bad - 1, b->unnamed_text,
                             strlen(b->unnamed_text), err);
    if (note_line(b, b->n_rows, line))
        return mql_err_set(err, MQL_ENOMEM, "%s: out of memory at row %zu", b->path,
                           b->n_rows + 1);
    b->n_rows++;
    return MQL_OK;
}

/* ======================================================================== inference ==== */

/* Slot of a double's bits: mixes the high bits (where integer-valued doubles differ) down. */
static inline size_t bits_slot(uint64_t x, size_t mask)
{
    x ^= x >> 33;
    x *= UINT64_C(0xFF51AFD7ED558CCD);
    x ^= x >> 33;
    return (size_t)x & mask;
}

/* Distinct non-NAN values of v (n entries); also the number of NANs, whether every value is an
 * integer and whether all are 0 or 1, and the range. Integers spanning fewer than 2^24 values
 * (counts, flags, days) are counted in a bitmap, and so are decimals when dec (0 .. 15) says every
 * value was written with at most dec digits after the point and their hundredths, thousandths...
 * span fewer than 2^24 steps (amounts, rates, scores); other values by hashing their bits.
 * Returns (size_t)-1 when out of memory. */
static size_t count_distinct(const double *v, size_t n, int dec, size_t *miss, int *all_int,
                             int *all01, double *lo, double *hi)
{
    size_t nan = 0;
    int frac = 0, not01 = 0;
    double mn = INFINITY, mx = -INFINITY;
    for (size_t i = 0; i < n; i++) {
        double x = v[i];
        if (isnan(x)) {
            nan++;
            continue;
        }
        frac |= x != floor(x);
        not01 |= x != 0 && x != 1;
        mn = x < mn ? x : mn;
        mx = x > mx ? x : mx;
    }
    *miss = nan;
    *all_int = !frac;
    *all01 = !not01;
    *lo = mn;
    *hi = mx;
    if (nan == n)
        return 0;
    /* Scaled by 10^dec, each value is within a rounding of the integer it was written as (its
     * digits without the point, below 2^53), so x * scale - base + 0.5 truncates to that integer
     * minus base's (the rounding errors stay below 0.5 under 2^50): one bit per written value,
     * and distinct doubles are distinct integers. */
    double scale = !frac ? 1 : dec >= 1 && dec <= 15 ? pow10_exact[dec] : 0;
    if (scale > 0 && mx * scale - mn * scale < 16777216.0 && fabs(mn * scale) < 0x1p50 &&
        fabs(mx * scale) < 0x1p50) {
        double base = round(mn * scale);
        size_t words = (size_t)(round(mx * scale) - base) / 64 + 1, used = 0;
        uint64_t *bits = calloc(words, sizeof *bits);
        if (!bits)
            return (size_t)-1;
        for (size_t i = 0; i < n; i++) {
            double x = v[i];
            if (isnan(x))
                continue;
            size_t k = (size_t)(x * scale - base + 0.5);
            uint64_t bit = UINT64_C(1) << (k % 64);
            used += !(bits[k / 64] & bit);
            bits[k / 64] |= bit;
        }
        free(bits);
        return used;
    }
    /* All-ones bits are a NaN, never inserted (NaN cells are skipped), so they mark empty. */
    const uint64_t empty = UINT64_MAX;
    size_t cap = 64, used = 0;
    uint64_t *set = mql_alloc_big_filled(cap * sizeof *set, 0xFF);
    if (!set)
        return (size_t)-1;
    for (size_t i = 0; i < n; i++) {
        double x = v[i];
        if (isnan(x))
            continue;
        if (x == 0)
            x = 0.0;          /* -0 and 0 are one value */
        uint64_t bits;
        memcpy(&bits, &x, 8);
        size_t mask = cap - 1, k = bits_slot(bits, mask);
        while (set[k] != empty && set[k] != bits)
            k = (k + 1) & mask;
        if (set[k] == bits)
            continue;
        set[k] = bits;
        if (2 * ++used > cap) {
            size_t nc = 2 * cap;
            uint64_t *ns = mql_alloc_big_filled(nc * sizeof *ns, 0xFF);
            if (!ns) {
                free(set);
                return (size_t)-1;
            }
            for (size_t q = 0; q < cap; q++)
                if (set[q] != empty) {
                    size_t r = bits_slot(set[q], nc - 1);
                    while (ns[r] != empty)
                        r = (r + 1) & (nc - 1);
                    ns[r] = set[q];
                }
            free(set);
            set = ns;
            cap = nc;
        }
    }
    free(set);
    return used;
}

size_t mql_num_distinct(const double *v, size_t n, int dec)
{
    size_t miss;
    int all_int, all01;
    double lo, hi;
    return count_distinct(v, n, dec >= 0 ? dec : 99, &miss, &all_int, &all01, &lo, &hi);
}

/* Column names that announce an identifier: id, *_id, "* id", *-id, camelCase *Id. */
static int id_like_name(const char *name)
{
    size_t n = strlen(name);
    if (mql_strcasecmp(name, "id") == 0)
        return 1;
    if (n < 3)
        return 0;
    const char *e = name + n - 3;
    if ((e[0] == '_' || e[0] == ' ' || e[0] == '-' || e[0] == '.') && lower(e[1]) == 'i' &&
        lower(e[2]) == 'd')
        return 1;
    return e[0] >= 'a' && e[0] <= 'z' && e[1] == 'I' && (e[2] == 'd' || e[2] == 'D');
}

/* The identifier rule: at least 20 filled rows with >= 95% distinct values, or an id-like name
 * with every value distinct. */
static int id_rule(const char *name, size_t distinct, size_t filled)
{
    if (filled >= 20 && (double)distinct >= 0.95 * (double)filled)
        return 1;
    return filled > 0 && distinct == filled && id_like_name(name);
}

int mql_id_like(const char *name, size_t distinct, size_t filled)
{
    return id_rule(name, distinct, filled);
}

/* Moves the dictionary into the column's levels. */
static void take_levels(mql_column *col, mql_dict *d)
{
    col->levels = d->lev;
    col->level_count = d->count;
    col->n_levels = col->n_distinct = d->n;
    col->level_blocks = d->blk;
    col->n_level_blocks = d->n_blk;
    d->blk = NULL;
    d->n_blk = 0;
    d->lev = NULL;
    d->count = NULL;
    d->n = 0;
    mql_dict_free(d);
}

/* Spelling records of the groups with more than one member: grp[k] is level k's group, best[g]
 * the group's label level. Grouped by group, most rows first. */
static int record_spellings(mql_column *col, const mql_dict *d, const uint32_t *grp,
                            const size_t *size, size_t n_groups)
{
    size_t m = 0;
    for (size_t k = 0; k < d->n; k++)
        m += size[grp[k]] > 1;
    if (m == 0)
        return 0;
    mql_spelling *sp = calloc(m, sizeof *sp);
    if (!sp)
        return -1;
    size_t o = 0;
    for (size_t g = 0; g < n_groups; g++) {
        if (size[g] < 2)
            continue;
        size_t first = o;
        for (size_t k = 0; k < d->n; k++) {
            if (grp[k] != g)
                continue;
            sp[o] = (mql_spelling){(uint32_t)g, mql_strndup(d->lev[k], d->len[k]), d->count[k]};
            if (!sp[o].text) {
                for (size_t q = 0; q < o; q++)
                    free(sp[q].text);
                free(sp);
                return -1;
            }
            /* insertion by rows, descending; stable for equal counts (first seen first) */
            for (size_t q = o; q > first && sp[q - 1].count < sp[q].count; q--) {
                mql_spelling t = sp[q - 1];
                sp[q - 1] = sp[q];
                sp[q] = t;
            }
            o++;
        }
    }
    col->spellings = sp;
    col->n_spellings = m;
    return 0;
}

/* The levels of a text column, merged by value.h's equality ("Google" = "google", "1" = "1.0",
 * "yes" = "y"): each value keeps the position of its first-seen spelling, is labelled by its most
 * frequent spelling (the first seen of equally frequent ones) trimmed, and the rows' codes are
 * renumbered. Every spelling of a merged value is recorded in col->spellings. Consumes d. */
static int merge_levels_equal(mql_column *col, mql_dict *d, size_t n, const char *const *na,
                              size_t n_na)
{
    size_t L = d->n, maxlen = 0;
    for (size_t k = 0; k < L; k++)
        maxlen = d->len[k] > maxlen ? d->len[k] : maxlen;
    uint32_t *grp = malloc((L ? L : 1) * sizeof *grp);
    char *key = malloc(maxlen + 40);
    mql_dict kd = {0};
    int rc = -1;
    size_t *size = NULL, *best = NULL;
    if (!grp || !key)
        goto done;
    for (size_t k = 0; k < L; k++) {
        mql_cell cell;
        mql_cell_from_span(&cell, d->lev[k], d->len[k], na, n_na);
        size_t kl = mql_cell_key(&cell, key, maxlen + 40);
        if (cell.missing)   /* cannot happen: ingest read placeholders as missing */
            kl = (size_t)snprintf(key, maxlen + 40, "m:%zu", k);
        if (mql_dict_add(&kd, key, kl, &grp[k]))
            goto done;
    }
    if (kd.n == L) {            /* every value has one spelling */
        take_levels(col, d);
        rc = 0;
        goto done;
    }
    size_t G = kd.n;
    size = calloc(G, sizeof *size);
    best = malloc(G * sizeof *best);
    char **lev = calloc(G, sizeof *lev);
    size_t *cnt = calloc(G, sizeof *cnt);
    if (!size || !best || !lev || !cnt) {
        free(lev);
        free(cnt);
        goto done;
    }
    for (size_t k = 0; k < L; k++) {
        uint32_t g = grp[k];
        if (size[g]++ == 0 || d->count[k] > d->count[best[g]])
            best[g] = k;
        cnt[g] += d->count[k];
    }
    for (size_t g = 0; g < G; g++) {
        const char *b;
        size_t bl = mql_trim_span(d->lev[best[g]], d->len[best[g]], &b);
        if (!(lev[g] = mql_strndup(b, bl))) {
            for (size_t q = 0; q < g; q++)
                free(lev[q]);
            free(lev);
            free(cnt);
            goto done;
        }
    }
    if (record_spellings(col, d, grp, size, G)) {
        for (size_t g = 0; g < G; g++)
            free(lev[g]);
        free(lev);
        free(cnt);
        goto done;
    }
    for (size_t i = 0; i < n; i++)
        if (col->code[i] != MQL_NA_CODE)
            col->code[i] = grp[col->code[i]];
    col->levels = lev;
    col->level_count = cnt;
    col->n_levels = col->n_distinct = G;
    mql_dict_free(d);
    rc = 0;
done:
    mql_dict_free(&kd);
    free(grp);
    free(key);
    free(size);
    free(best);
    return rc;
}

/* A categorical column whose values are all true or false spellings (value.h: 1/true/yes/y/t and
 * 0/false/no/n/f in any case, after merging), both present, becomes BOOLEAN with the levels'
 * labels. Returns 0 (also when it stays categorical) or -1 (no memory). */
static int to_boolean(mql_column *col, size_t n)
{
    long tcode = -1, fcode = -1;
    if (col->n_levels != 2)
        return 0;
    for (size_t k = 0; k < 2; k++) {
        mql_cell cell;
        mql_cell_from_text(&cell, col->levels[k], NULL, 0);
        int t = mql_cell_truth(&cell);
        if (t == 1)
            tcode = (long)k;
        else if (t == 0)
            fcode = (long)k;
    }
    if (tcode < 0 || fcode < 0)
        return 0;
    double *num = mql_alloc_big((n ? n : 1) * sizeof *num);
    if (!num)
        return -1;
    for (size_t i = 0; i < n; i++)
        num[i] = col->code[i] == MQL_NA_CODE ? NAN : col->code[i] == (uint32_t)tcode;
    col->type = MQL_COL_BOOLEAN;
    col->n_distinct = 2;
    col->true_label = col->levels[tcode];
    col->false_label = col->levels[fcode];
    for (size_t k = 0; k < col->n_spellings; k++)
        col->spellings[k].level = col->spellings[k].level == (uint32_t)tcode;
    free(col->levels);
    free(col->level_count);
    free(col->code);
    col->levels = NULL;
    col->level_count = NULL;
    col->code = NULL;
    col->n_levels = 0;
    col->num = num;
    return 0;
}

/* A text column whose every value is a date (10/20/2016, 20.10.2016, 10/20/2016 10:00 AM, or
 * ISO) becomes a date column, the order of day and month decided as mql_date_order says. A
 * value of that shape that is no day in the chosen order is a missing cell counted in
 * n_unreadable. Returns 1 when converted, 0 when the column stays text (col->date_ambiguous set
 * when only the order is in doubt), -1 when out of memory. */
static int levels_to_dates(colb *c, mql_column *col, size_t n, mql_date_order order)
{
    mql_dict *d = &c->d;
    size_t n_shaped = 0;
    int a_big = 0, b_big = 0, all_dots = 1;
    for (size_t k = 0; k < d->n; k++) {
        double v, t;
        int ht, a, b;
        long y;
        char sep = 0;
        if (mql_date_parse(d->lev[k], d->len[k], &v, &ht) == 0)
            continue;
        if (mql_date_dmy_shape(d->lev[k], d->len[k], &a, &b, &y, &t, &ht, &sep))
            return 0;
        n_shaped++;
        a_big |= a > 12;
        b_big |= b > 12;
        all_dots &= sep == '.';
    }
    if (n_shaped == 0)
        return 0;
    if (order == MQL_DATE_AUTO) {
        if (a_big != b_big)
            order = a_big ? MQL_DATE_DMY : MQL_DATE_MDY;
        else if (!a_big && all_dots)
            order = MQL_DATE_DMY;
        else if (!a_big) {
            col->date_ambiguous = 1;
            return 0;
        } else {
            /* Both fields exceed 12 somewhere: the order that reads more rows wins. */
            size_t rows[2] = {0, 0};
            for (size_t k = 0; k < d->n; k++) {
                double v, t;
                int ht, a, b;
                long y;
                char sep = 0;
                if (mql_date_dmy_shape(d->lev[k], d->len[k], &a, &b, &y, &t, &ht, &sep))
                    continue;
                rows[0] += mql_date_civil_days(y, a, b, &v) == 0 ? d->count[k] : 0;
                rows[1] += mql_date_civil_days(y, b, a, &v) == 0 ? d->count[k] : 0;
            }
            order = rows[1] > rows[0] ? MQL_DATE_DMY : MQL_DATE_MDY;
        }
    }
    double *day = malloc((d->n ? d->n : 1) * sizeof *day);
    double *num = malloc((n ? n : 1) * sizeof *num);
    if (!day || !num) {
        free(day);
        free(num);
        return -1;
    }
    for (size_t k = 0; k < d->n; k++) {
        double t;
        int ht, a, b;
        long y;
        char sep = 0;
        if (mql_date_parse(d->lev[k], d->len[k], &day[k], &ht) == 0) {
            col->has_time |= ht;
            continue;
        }
        mql_date_dmy_shape(d->lev[k], d->len[k], &a, &b, &y, &t, &ht, &sep);
        if (order == MQL_DATE_DMY ? mql_date_civil_days(y, b, a, &day[k])
                                  : mql_date_civil_days(y, a, b, &day[k]))
            day[k] = NAN;
        else {
            day[k] += t;
            col->has_time |= ht;
        }
    }
    for (size_t i = 0; i < n; i++) {
        uint32_t k = c->code[i];
        num[i] = k == MQL_NA_CODE ? NAN : day[k];
        if (k != MQL_NA_CODE && isnan(day[k])) {
            if (col->n_unreadable++ == 0) {
                col->unreadable_row = i;
                if (!(col->unreadable_text = mql_strdup(d->lev[k]))) {
                    free(day);
                    free(num);
                    return -1;
                }
            }
        }
    }
    size_t miss, nd;
    int all_int, all01;
    double lo, hi;
    if ((nd = count_distinct(num, n, 99, &miss, &all_int, &all01, &lo, &hi)) == (size_t)-1) {
        free(day);
        free(num);
        return -1;
    }
    free(day);
    col->type = MQL_COL_DATE;
    col->num = num;
    col->n_missing = miss;
    col->n_distinct = nd;
    mql_dict_free(d);
    return 1;
}

static int finish_column(const builder *b, colb *c, mql_column *col, size_t n)
{
    col->has_time = c->has_time;
    col->n_rows = n;
    col->n_unreadable = c->n_bad;
    col->unreadable_row = c->bad_row;
    col->unreadable_text = c->bad_text;
    c->bad_text = NULL;
    if (c->mode == M_EMPTY) {          /* every cell missing: a constant categorical */
        col->type = MQL_COL_CATEGORICAL;
        col->code = malloc((n ? n : 1) * sizeof *col->code);
        if (!col->code)
            return -1;
        for (size_t i = 0; i < n; i++)
            col->code[i] = MQL_NA_CODE;
        col->n_missing = n;
        return 0;
    }
    if (c->mode == M_NUM || c->mode == M_DATE) {
        int all_int, all01;
        double lo, hi;
        size_t miss;
        int dec = c->mode == M_NUM ? c->dec : 99;
        size_t nd = count_distinct(c->num, n, dec, &miss, &all_int, &all01, &lo, &hi);
        if (nd == (size_t)-1)
            return -1;
        col->n_missing = miss;
        col->n_distinct = nd;
        if (c->mode == M_DATE) {
            col->type = MQL_COL_DATE;
        } else if (all01 && nd == 2) {
            col->type = MQL_COL_BOOLEAN;
            if (!(col->true_label = mql_strdup("1")) || !(col->false_label = mql_strdup("0")))
                return -1;
        } else if (all_int && id_rule(col->name, nd, n - miss) &&
                   (id_like_name(col->name) || hi - lo + 1 <= 2.0 * (double)nd)) {
            /* Integer identifiers: besides the distinct share, the values must be dense (an
             * auto-increment key) or the name must say id, so amounts in whole dollars with
             * mostly distinct values stay numeric. */
            if ((n >= 65536 && mql_dict_to_raw(&c->d)) || to_text(c, n, n, NULL) ||
                (c->d.raw && mql_dict_raw_finish(&c->d, c->code, n)))
                return -1;
            col->type = MQL_COL_ID;
            col->code = c->code;
            c->code = NULL;
            take_levels(col, &c->d);
            return 0;
        } else {
            col->type = MQL_COL_NUMERIC;
            col->plain_decimal = dec <= 15;
            col->decimals = dec <= 15 ? dec : 0;
        }
        col->num = c->num;
        c->num = NULL;
        return 0;
    }
    /* text: what the column's number or date phase counted does not apply */
    col->n_unreadable = 0;
    free(col->unreadable_text);
    col->unreadable_text = NULL;
    size_t miss = 0;
    for (size_t i = 0; i < n; i++)
        miss += c->code[i] == MQL_NA_CODE;
    col->n_missing = miss;
    mql_dict *d = &c->d;
    if (d->raw) {          /* distinct levels; an index again unless the column is an identifier */
        if (mql_dict_raw_finish(d, c->code, n))
            return -1;
        if ((c->forced || !id_rule(col->name, d->n, n - miss)) && mql_dict_unraw(d))
            return -1;
    }
    if (!c->forced) {      /* dates like 10/20/2016 (before the identifier rule: timestamps) */
        int r = levels_to_dates(c, col, n, b->opts ? b->opts->date_order : MQL_DATE_AUTO);
        if (r)
            return r < 0 ? -1 : 0;
    }
    if (!c->forced && id_rule(col->name, d->n, n - miss)) {
        col->type = MQL_COL_ID;     /* keys keep their spellings: joins match them exactly */
        col->code = c->code;
        c->code = NULL;
        take_levels(col, d);
        return 0;
    }
    col->type = MQL_COL_CATEGORICAL;
    col->code = c->code;
    c->code = NULL;
    if (merge_levels_equal(col, d, n, b->na, b->n_na))
        return -1;
    if (!c->forced && to_boolean(col, n))
        return -1;
    return 0;
}

/* ======================================================================== parallel parts ==== */

/* Marks rows [from, to) of c missing. */
static void col_fill_missing(colb *c, size_t from, size_t to)
{
    for (size_t i = from; i < to && c->num; i++)
        c->num[i] = NAN;
    for (size_t i = from; i < to && c->code; i++)
        c->code[i] = MQL_NA_CODE;
}

/* Whether part B's column can be appended to the accumulated column A without the cells' text:
 * otherwise A must take B's first rows again from the file (replay), because B read them in a
 * mode A would not have been in, and kept only their numbers or canonical text. */
static int needs_replay(const colb *A, const colb *B)
{
    if (A->mode == M_EMPTY || B->mode == M_EMPTY)
        return 0;
    if (A->mode == B->mode && A->mode != M_TEXT)
        return 0;
    if (B->mode == M_TEXT && (B->origin == M_TEXT || (A->mode != M_TEXT && B->origin == A->mode)))
        return 0;
    return 1;
}

/* Rows of B to replay: those it did not hold as their own text. */
static size_t replay_rows(const colb *B, size_t nk)
{
    return B->mode == M_TEXT ? B->switch_row : nk;
}

/* Appends B's levels to A's dictionary in B's first-seen order (moving the strings) and writes
 * B's rows [from, nk) as A's rows n0 + from ... Valid when every row of B from 'from' on holds
 * its own text and B's level order is their first-seen order there. */
static int merge_levels(colb *A, size_t n0, colb *B, size_t nk)
{
    mql_dict *d = &B->d;
    uint32_t *map = malloc((d->n ? d->n : 1) * sizeof *map);
    if (!map)
        return -1;
    for (size_t k = 0; k < d->n; k++) {
        if (k + 16 < d->n)          /* an identifier's table misses the cache: load ahead */
            mql_dict_prefetch(&A->d, d->hash[k + 16]);
        if (mql_dict_put(&A->d, d->lev[k], d->len[k], d->hash[k], d->count[k], d->lev[k],
                         &map[k])) {
            free(map);
            return -1;
        }
        d->lev[k] = NULL;            /* A's now, or freed */
    }
    for (size_t i = 0; i < nk; i++) {
        uint32_t c = B->code[i];
        A->code[n0 + i] = c == MQL_NA_CODE ? MQL_NA_CODE : map[c];
    }
    free(map);
    return 0;
}

/* After a replay of rows [0, from): adds B's rows [from, nk) to A in row order, so a level seen
 * first in B's replayed (canonical) rows takes its place where it first appears as text. */
static int merge_rows(colb *A, size_t n0, colb *B, size_t from, size_t nk)
{
    mql_dict *d = &B->d;
    uint32_t *map = malloc((d->n ? d->n : 1) * sizeof *map);
    if (!map)
        return -1;
    for (size_t k = 0; k < d->n; k++)
        map[k] = MQL_NA_CODE;
    for (size_t i = from; i < nk; i++) {
        uint32_t c = B->code[i];
        if (c == MQL_NA_CODE) {
            A->code[n0 + i] = MQL_NA_CODE;
        } else if (map[c] != MQL_NA_CODE) {
            A->code[n0 + i] = map[c];
            A->d.count[map[c]]++;
        } else {
            if (mql_dict_add_hashed(&A->d, d->lev[c], d->len[c], d->hash[c], &map[c])) {
                free(map);
                return -1;
            }
            A->code[n0 + i] = map[c];
        }
    }
    free(map);
    return 0;
}

/* Adds B's rows [from, nk) to A's rows n0 + from ... when either dictionary is index-less: A
 * becomes index-less and takes B's entries whole when B is index-less and no row was replayed,
 * else each row's text as an entry (mql_dict_raw_finish merges repeats either way). */
static int raw_merge(colb *A, size_t n0, colb *B, size_t from, size_t nk)
{
    if (!A->d.raw && mql_dict_to_raw(&A->d))
        return -1;
    if (from == 0 && B->d.raw) {
        /* B's entries, text and all, become A's: its codes are shifted, nothing is copied */
        size_t at;
        if (mql_dict_raw_append(&A->d, &B->d, &at))
            return -1;
        for (size_t i = 0; i < nk; i++) {
            uint32_t c = B->code[i];
            A->code[n0 + i] = c == MQL_NA_CODE ? MQL_NA_CODE : (uint32_t)(at + c);
        }
        return 0;
    }
    for (size_t i = from; i < nk; i++) {
        uint32_t c = B->code[i];
        if (c == MQL_NA_CODE)
            A->code[n0 + i] = MQL_NA_CODE;
        else if (mql_dict_raw_add(&A->d, B->d.lev[c], B->d.len[c], &A->code[n0 + i]))
            return -1;
    }
    return 0;
}

/* One column of part k merged into part 0's builder, which holds n0 rows and has room for all. */
typedef struct merge_ctx {
    builder *b0, *bk;
    size_t n0, nk;
    unsigned char *replayed;         /* per file column: its first rows were replayed */
} merge_ctx;

static int merge_column1(merge_ctx *m, size_t j);

/* Adds B's count of cells without a value to A's (B's rows follow A's n0 rows): the first such
 * cell is A's when A has one. */
static void merge_bad(colb *A, size_t n0, colb *B)
{
    if (!B->n_bad)
        return;
    if (!A->n_bad) {
        A->bad_row = n0 + B->bad_row;
        free(A->bad_text);
        A->bad_text = B->bad_text;
        B->bad_text = NULL;
    }
    A->n_bad += B->n_bad;
}

/* Merges column j and frees part k's copy of it at once, so that the parts and the merged table
 * are not all held at the same time. */
static int merge_column(void *arg, size_t j)
{
    merge_ctx *m = arg;
    colb *B = &m->bk->cb[j];
    int r = merge_column1(m, j);
    int own = !B->shared && (B->num || B->code);
    if (!B->shared) {
        free(B->num);
        free(B->code);
    }
    free(B->bad_text);
    B->num = NULL;
    B->code = NULL;
    B->shared = 0;
    B->bad_text = NULL;
    mql_dict_free(&B->d);
#ifdef __GLIBC__
    /* glibc keeps the freed arrays of a part thread's arena (below its mmap threshold, which
     * rises as blocks are freed): hand the pages back, or the copy would double the peak. */
    if (own)
        malloc_trim(0);
#endif
    return r;
}

static int merge_column1(merge_ctx *m, size_t j)
{
    colb *A = &m->b0->cb[j], *B = &m->bk->cb[j];
    size_t n0 = m->n0, nk = m->nk;
    if (A->out < 0)
        return 0;
    if (m->replayed[j]) {
        size_t from = replay_rows(B, nk);
        /* A replay of B's first rows always leaves A text when B turned to text later: B's
         * first value was read in B's first mode, which A (in another mode or text) cannot. */
        if (from >= nk)
            return 0;
        return A->d.raw || B->d.raw ? raw_merge(A, n0, B, from, nk)
                                    : merge_rows(A, n0, B, from, nk);
    }
    if (B->mode == M_EMPTY) {
        col_fill_missing(A, n0, n0 + nk);
        return 0;
    }
    if (A->mode == M_EMPTY) {
        /* The first value is in this part: A becomes B after n0 missing rows. B's rows may lie
         * in the same shared array as A's, from row n0 on: memmove. */
        if (B->num && !(A->num = col_new_num(m->b0, A)))
            return -1;
        if (B->code && !(A->code = col_new_code(m->b0, A)))
            return -1;
        col_fill_missing(A, 0, n0);
        if (B->num && A->num + n0 != B->num)
            memmove(A->num + n0, B->num, nk * sizeof *B->num);
        if (B->code && A->code + n0 != B->code)
            memmove(A->code + n0, B->code, nk * sizeof *B->code);
        A->mode = B->mode;
        A->origin = B->origin;
        A->switch_row = n0 + B->switch_row;
        A->has_time = B->has_time;
        A->dec = B->dec;
        merge_bad(A, n0, B);
        mql_dict_free(&A->d);
        A->d = B->d;
        memset(&B->d, 0, sizeof B->d);
        return 0;
    }
    A->has_time |= B->has_time;
    A->dec = B->dec > A->dec ? B->dec : A->dec;
    if (A->mode == B->mode && A->mode != M_TEXT) {
        if (A->num + n0 != B->num)     /* not in place already (a record spans lines) */
            memmove(A->num + n0, B->num, nk * sizeof *B->num);
        merge_bad(A, n0, B);
        return 0;
    }
    /* B is text from its first value on, or from a value A's mode could not read either: A
     * turns to text where the one-thread reader would, and B's levels follow A's. */
    if (A->mode != M_TEXT && col_to_text(m->b0, A, n0))
        return -1;
    return A->d.raw || B->d.raw ? raw_merge(A, n0, B, 0, nk) : merge_levels(A, n0, B, nk);
}

/* Replaying: part k's first rows, cell by cell into part 0's builder, for the columns flagged. */
typedef struct replay_ctx {
    builder *b0, *bk;
    size_t n0, nk;
    unsigned char *replayed;
    size_t max_rows;
} replay_ctx;

#define REPLAY_DONE 0x5250           /* private status: every replayed column has its rows */

static int replay_row(const mql_csv_row *row, void *ctx, mql_err *err)
{
    replay_ctx *r = ctx;
    size_t i = row->index - 1;
    if (i >= r->max_rows)
        return REPLAY_DONE;
    for (size_t j = 0; j < r->b0->n_file_cols; j++) {
        colb *A = &r->b0->cb[j];
        if (!r->replayed[j] || i >= replay_rows(&r->bk->cb[j], r->nk))
            continue;
        if (A->mode == M_TEXT && A->d.mask >= 4095)
            A->hash = mql_str_hash(row->field[j], row->len[j]);
        if (put_cell(r->b0, A, r->n0 + i, row->field[j], row->len[j]))
            return mql_err_set(err, MQL_ENOMEM, "%s: out of memory at row %zu", r->b0->path,
                               r->n0 + i + 1);
    }
    return MQL_OK;
}

/* Appends part k's builder to part 0's: replays what must be replayed (one thread, reading the
 * part's bytes again), then merges the columns on n_threads threads. */
static int merge_part(builder *b0, builder *bk, const char *path, char delim,
                      const mql_csv_part *part, size_t n_threads, mql_err *err)
{
    size_t n0 = b0->n_rows, nk = bk->n_rows;
    unsigned char *replayed = calloc(b0->n_file_cols ? b0->n_file_cols : 1, 1);
    if (!replayed)
        return mql_err_set(err, MQL_ENOMEM, "out of memory");
    replay_ctx rc = {b0, bk, n0, nk, replayed, 0};
    for (size_t j = 0; j < b0->n_file_cols; j++)
        if (b0->cb[j].out >= 0 && needs_replay(&b0->cb[j], &bk->cb[j])) {
            replayed[j] = 1;
            size_t r = replay_rows(&bk->cb[j], nk);
            if (r > rc.max_rows)
                rc.max_rows = r;
        }
    int st = MQL_OK;
    if (rc.max_rows) {
        st = mql_csv_read_range(path, delim, part, replay_row, &rc, err);
        if (st == REPLAY_DONE)
            st = MQL_OK;
    }
    merge_ctx mc = {b0, bk, n0, nk, replayed};
    if (!st && mql_parallel_for(b0->n_file_cols, n_threads, merge_column, &mc))
        st = mql_err_set(err, MQL_ENOMEM, "%s: out of memory", b0->path);
    free(replayed);
    if (!st)
        b0->n_rows = n0 + nk;
    return st;
}

static int finish_one(void *arg, size_t j)
{
    builder *b = arg;
    return b->cb[j].out >= 0 && finish_column(b, &b->cb[j], &b->t->cols[b->cb[j].out], b->n_rows);
}

static void builder_free(builder *b)
{
    if (b->cb)
        for (size_t j = 0; j < b->n_file_cols; j++) {
            if (!b->cb[j].shared) {     /* the shared arrays are freed with the slabs */
                free(b->cb[j].num);
                free(b->cb[j].code);
            }
            free(b->cb[j].bad_text);
            mql_dict_free(&b->cb[j].d);
        }
    free(b->cb);
    free(b->line);
    b->line = NULL;
    b->cb = NULL;
    b->n_file_cols = b->n_rows = b->cap_rows = 0;
}

/* Frees the shared arrays, except those part 0's builder b0 (when not NULL) holds: they become
 * its own. */
static void slabs_free(slabs *sl, builder *b0)
{
    for (size_t j = 0; j < sl->n_cols && sl->num; j++) {
        colb *c = b0 && b0->cb && j < b0->n_file_cols ? &b0->cb[j] : NULL;
        if (c && c->shared) {        /* part 0's rows start each array (its base is 0) */
            if (c->num == sl->num[j])
                sl->num[j] = NULL;
            if (c->code == sl->code[j])
                sl->code[j] = NULL;
            c->shared = 0;
        }
        free(sl->num[j]);
        free(sl->code[j]);
    }
    free(sl->num);
    free(sl->code);
    sl->num = NULL;
    sl->code = NULL;
    pthread_mutex_destroy(&sl->mu);
}

/* Merges parts 1 .. n_parts - 1 (their rows counted) into part 0's builder. */
static int merge_parts(builder *bs, size_t n_parts, const mql_csv_part *parts, const char *path,
                       char delim, mql_err *err)
{
    int st;
    size_t total = 0;
    for (size_t k = 0; k < n_parts; k++)
        total += bs[k].n_rows;
    builder *b0 = &bs[0];
    if (b0->cap_rows < total) {       /* part 0's room was estimated for the whole file */
        for (size_t j = 0; j < b0->n_file_cols; j++)
            if (col_reserve(&b0->cb[j], b0->n_rows, total))
                return mql_err_set(err, MQL_ENOMEM, "%s: out of memory", b0->path);
        if (b0->line) {
            size_t *ln = mql_realloc_big(b0->line, b0->cap_rows * sizeof *ln, total * sizeof *ln);
            if (!ln)
                return mql_err_set(err, MQL_ENOMEM, "%s: out of memory", b0->path);
            b0->line = ln;
        }
        b0->cap_rows = total;
        b0->placed = 0;
    }
    /* The lines stay implicit when every part's are and each part starts on the line after the
     * previous part's last row. */
    int regular = b0->line == NULL;
    for (size_t k = 1, at = b0->n_rows; regular && k < n_parts; at += bs[k].n_rows, k++)
        regular = bs[k].n_rows == 0 || (!bs[k].line && bs[k].line0 == b0->line0 + at);
    if (!regular && !b0->line &&
        !(b0->line = lines_materialise(b0->line0, b0->n_rows, b0->cap_rows)))
        return mql_err_set(err, MQL_ENOMEM, "%s: out of memory", b0->path);
    for (size_t k = 1, at = b0->n_rows; !regular && k < n_parts; at += bs[k].n_rows, k++)
        for (size_t i = 0; i < bs[k].n_rows; i++)
            b0->line[at + i] = bs[k].line ? bs[k].line[i] : bs[k].line0 + i;
    for (size_t k = 1; k < n_parts; k++) {
        if ((st = merge_part(b0, &bs[k], path, delim, &parts[k], n_parts, err)))
            return st;
        builder_free(&bs[k]);
    }
    return MQL_OK;
}

/* Reads the file in parts on several threads into builders bs[0 .. max_parts) and merges them
 * into bs[0]. The parts write into shared arrays (slabs) as far as the row estimate (bs[0]'s
 * cap_hint) reaches. *split is 0 when the file could not be split (the builders are then reset
 * and the caller reads it on one thread). */
static int read_parts(builder *bs, size_t max_parts, uint64_t min_part_bytes, const char *path,
                      const mql_csv_opts *co, mql_csv_info *info, int *split, mql_err *err)
{
    void *ctx[16];
    mql_csv_part parts[16];
    size_t n_parts = 0;
    slabs sl = {.cap = bs[0].cap_hint};
    pthread_mutex_init(&sl.mu, NULL);
    for (size_t k = 0; k < max_parts; k++) {
        ctx[k] = &bs[k];
        bs[k].sl = sl.cap ? &sl : NULL;
    }
    *split = 0;
    static const mql_csv_cell_fns cells = {on_cell, on_record_end, on_part_begin};
    int st = mql_csv_read_parts(path, co, max_parts, min_part_bytes, on_row, &cells, ctx, parts,
                                &n_parts, info, err);
    if (!st && n_parts == 0) {
        for (size_t k = 0; k < max_parts; k++)
            builder_free(&bs[k]);
        if (bs[0].t->cols) {
            for (size_t j = 0; j < bs[0].t->n_cols; j++)
                free(bs[0].t->cols[j].name);
            free(bs[0].t->cols);
            bs[0].t->cols = NULL;
            bs[0].t->n_cols = 0;
        }
    } else if (!st) {
        *split = 1;
        st = merge_parts(bs, n_parts, parts, path, info->delim, err);
    }
    /* Part 0's builder keeps its arrays (on success), none is shared any more. */
    slabs_free(&sl, st ? NULL : &bs[0]);
    for (size_t k = 0; k < max_parts; k++) {
        bs[k].sl = NULL;
        bs[k].placed = 0;
        bs[k].base = 0;
    }
    return st;
}

/* The data rows of a regular file, estimated from the line ends in its first 256 KiB (0 when
 * not known): the builders make room for them at once instead of growing by doubling. */
static size_t rows_estimate(const char *path)
{
    struct stat st;
    if (strcmp(path, "-") == 0 || stat(path, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size <= 0)
        return 0;
    FILE *f = fopen(path, "rb");
    if (!f)
        return 0;
    static const size_t sample = (size_t)256 << 10;
    char *buf = malloc(sample);
    size_t got = buf ? fread(buf, 1, sample, f) : 0, lines = 0;
    fclose(f);
    for (const char *q = buf, *e = buf + got; q && (q = memchr(q, '\n', (size_t)(e - q))); q++)
        lines++;
    free(buf);
    if (lines < 2 || got == 0)
        return 0;
    return (size_t)((double)st.st_size * (double)lines / (double)got);
}

/* Parts to read a file in: opts->threads, or for 0 one per online CPU (at most 8) when the file
 * is at least 8 MiB (smaller files gain nothing from the extra threads). */
static size_t part_count(const mql_read_opts *opts, uint64_t *min_part_bytes)
{
    size_t threads = opts ? opts->threads : 0;
    *min_part_bytes = 0;
    if (threads)
        return threads > 16 ? 16 : threads;
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    *min_part_bytes = (uint64_t)4 << 20;
    return cpus < 1 ? 1 : cpus > 8 ? 8 : (size_t)cpus;
}

int mql_table_read(const char *path, const mql_read_opts *opts, mql_table **out, mql_err *err)
{
    *out = NULL;
    builder bs[16];
    uint64_t min_part_bytes;
    size_t n_parts = part_count(opts, &min_part_bytes);
    size_t *na_len = NULL;
    mql_table *t = calloc(1, sizeof *t);
    builder proto = {.path = strcmp(path, "-") == 0 ? "<stdin>" : path, .opts = opts, .t = t};
    proto.na = opts && opts->na ? opts->na : mql_default_na;
    proto.n_na = opts && opts->na ? opts->n_na : mql_n_default_na;
    na_len = calloc(proto.n_na ? proto.n_na : 1, sizeof *na_len);
    for (size_t k = 0; k < 16; k++)
        bs[k] = proto;
    int st;
    if (!t || !na_len || !(t->source = mql_strdup(path)) ||
        (opts && opts->na && !mql_na_is_default(opts->na, opts->n_na) &&
         mql_na_copy(opts->na, opts->n_na, &t->na))) {
        st = mql_err_set(err, MQL_ENOMEM, "out of memory");
        goto fail;
    }
    proto.na_len = na_len;
    for (size_t k = 0; k < proto.n_na; k++) {
        size_t n = na_len[k] = strlen(proto.na[k]);
        if (n == 0)
            proto.na_empty = 1;
        else if (n < 64) {
            proto.na_lens |= UINT64_C(1) << n;
            proto.na_first[(unsigned char)lower((unsigned char)proto.na[k][0])] = 1;
        }
    }
    for (size_t k = 0; k < 16; k++) {
        bs[k] = proto;
        bs[k].secondary = k > 0;
    }
    /* Room for the estimated rows: part 0 for the whole file (it receives the other parts), the
     * others for their share; 10% over, since untouched room costs address space only. */
    size_t est = rows_estimate(path);
    for (size_t k = 0; k < 16; k++)
        bs[k].cap_hint = k == 0 || n_parts < 2 ? est + est / 10 : est / n_parts + est / 10;
    mql_csv_opts co = {opts ? opts->delim : 0, 0};
    mql_csv_info info;
    int split = 0;
    if (n_parts >= 2 &&
        (st = read_parts(bs, n_parts, min_part_bytes, path, &co, &info, &split, err)))
        goto fail;
    if (!split && (st = mql_csv_read(path, &co, on_row, &bs[0], &info, err)))
        goto fail;
    builder *b = &bs[0];
    t->n_rows = b->n_rows;
    if (t->n_rows == 0) {
        st = mql_err_set(err, MQL_EDATA, "%s: no data rows (only a header line)", b->path);
        goto fail;
    }
    t->delim = info.delim;
    t->n_bytes = info.n_bytes;
    /* No line array when row i is on line i + 2 (mql_table.line NULL means that). */
    if (!b->line && b->line0 != 2 && !(b->line = lines_materialise(b->line0, b->n_rows, 0))) {
        st = mql_err_set(err, MQL_ENOMEM, "%s: out of memory", b->path);
        goto fail;
    }
    t->line = b->line;
    b->line = NULL;
    t->hash = info.hash;
    /* Inference (distinct counts over up to millions of values) runs on two or more threads,
     * each taking the next column. */
    if (mql_parallel_for(b->n_file_cols, n_parts > 2 ? n_parts : 2, finish_one, b)) {
        st = mql_err_set(err, MQL_ENOMEM, "%s: out of memory", b->path);
        goto fail;
    }
    for (size_t k = 0; k < 16; k++)
        builder_free(&bs[k]);
    free(na_len);
    *out = t;
    return MQL_OK;
fail:
    for (size_t k = 0; k < 16; k++)
        builder_free(&bs[k]);
    free(na_len);
    mql_table_free(t);
    return st;
}

void mql_column_free_levels(mql_column *c)
{
    if (c->levels && !c->level_blocks)
        for (size_t k = 0; k < c->n_levels; k++)
            free(c->levels[k]);
    for (size_t k = 0; k < c->n_level_blocks; k++)
        free(c->level_blocks[k]);
    free(c->level_blocks);
    free(c->levels);
    free(c->level_count);
    c->level_blocks = NULL;
    c->n_level_blocks = 0;
    c->levels = NULL;
    c->level_count = NULL;
    c->n_levels = 0;
}

static void column_clear(mql_column *c)
{
    free(c->name);
    if (!c->borrowed) {
        free(c->num);
        free(c->code);
    }
    mql_column_free_levels(c);
    free(c->true_label);
    free(c->false_label);
    for (size_t k = 0; k < c->n_spellings; k++)
        free(c->spellings[k].text);
    free(c->spellings);
    free(c->unreadable_text);
}

static void table_free_cols(mql_table *t)
{
    if (t->cols)
        for (size_t j = 0; j < t->n_cols; j++)
            column_clear(&t->cols[j]);
    free(t->cols);
    t->cols = NULL;
}

void mql_table_free(mql_table *t)
{
    if (!t)
        return;
    table_free_cols(t);
    if (t->map)
        munmap(t->map, t->map_len);
    free(t->line);
    free(t->source);
    mql_na_clear(&t->na);
    free(t);
}

size_t mql_table_line(const mql_table *t, size_t r)
{
    return t->line ? t->line[r] : r + 2;
}

const char *const *mql_table_na(const mql_table *t)
{
    return t && t->na.v ? (const char *const *)t->na.v : NULL;
}

long mql_table_find(const mql_table *t, const char *name)
{
    for (size_t j = 0; t && name && j < t->n_cols; j++)
        if (strcmp(t->cols[j].name, name) == 0)
            return (long)j;
    return -1;
}

int mql_cell_missing(const mql_column *c, size_t row)
{
    if (c->code)
        return c->code[row] == MQL_NA_CODE;
    return c->num ? isnan(c->num[row]) : 1;
}

const char *mql_cell_text(const mql_column *c, size_t row, char *buf, size_t cap)
{
    if (cap == 0)
        return buf;
    buf[0] = '\0';
    if (mql_cell_missing(c, row))
        return buf;
    switch (c->type) {
    case MQL_COL_CATEGORICAL:
    case MQL_COL_ID:
        snprintf(buf, cap, "%s", c->levels[c->code[row]]);
        break;
    case MQL_COL_BOOLEAN:
        snprintf(buf, cap, "%s", c->num[row] != 0 ? c->true_label : c->false_label);
        break;
    case MQL_COL_DATE:
        mql_date_format(c->num[row], c->has_time, buf, cap);
        break;
    case MQL_COL_NUMERIC:
        num_text(c->num[row], buf, cap);
        break;
    }
    return buf;
}

const char *mql_spellings_text(const mql_column *c, size_t first, size_t *next, char *buf,
                               size_t cap)
{
    size_t k = first, o = 0;
    if (cap)
        buf[0] = '\0';
    while (k < c->n_spellings && c->spellings[k].level == c->spellings[first].level)
        k++;
    *next = k;
    for (size_t q = first; q < k && o < cap; q++) {
        const mql_spelling *s = &c->spellings[q];
        char rows[32];
        const char *sep = q == first ? "" : q + 1 == k ? " and " : ", ";
        int w = snprintf(buf + o, cap - o, "%s'%s' (%s%s)", sep, s->text,
                         mql_fmt_grouped((double)s->count, rows, sizeof rows),
                         q == first ? " rows" : "");
        o += w > 0 ? (size_t)w : 0;
    }
    size_t lv = c->spellings[first].level;
    const char *label = c->type == MQL_COL_BOOLEAN ? (lv ? c->true_label : c->false_label)
                        : lv < c->n_levels         ? c->levels[lv]
                                                   : "";
    if (o < cap)
        snprintf(buf + o, cap - o, " are one value, '%s'", label);
    return buf;
}

typedef struct value_count {
    size_t count;
    size_t order;        /* level index, or position among the ascending distinct values */
    double v;
} value_count;

static int cmp_count_desc(const void *a, const void *b)
{
    const value_count *x = a, *y = b;
    if (x->count != y->count)
        return x->count > y->count ? -1 : 1;
    return (x->order > y->order) - (x->order < y->order);
}

const char *mql_column_top_values(const mql_column *c, size_t k, char *buf, size_t cap)
{
    size_t n = c->n_rows, m = 0, o = 0;
    if (cap)
        buf[0] = '\0';
    value_count *vc = NULL;
    if (c->code) {
        vc = malloc((c->n_levels ? c->n_levels : 1) * sizeof *vc);
        for (size_t q = 0; vc && q < c->n_levels; q++)
            vc[m++] = (value_count){c->level_count ? c->level_count[q] : 0, q, NAN};
    } else if (c->num) {
        double *v = malloc((n ? n : 1) * sizeof *v);
        size_t nv = 0;
        for (size_t i = 0; v && i < n; i++)
            if (!isnan(c->num[i]))
                v[nv++] = c->num[i];
        if (v && mql_sort_doubles(v, nv) == 0 && (vc = malloc((nv ? nv : 1) * sizeof *vc)))
            for (size_t i = 0; i < nv; i++) {
                if (m && vc[m - 1].v == v[i])
                    vc[m - 1].count++;
                else
                    vc[m] = (value_count){1, m, v[i]}, m++;
            }
        free(v);
    }
    if (!vc) {
        snprintf(buf, cap, "(out of memory)");
        return buf;
    }
    qsort(vc, m, sizeof *vc, cmp_count_desc);
    for (size_t q = 0; q < m && q < k && o < cap; q++) {
        char text[200], rows[32];
        if (c->code)
            snprintf(text, sizeof text, "%s", c->levels[vc[q].order]);
        else if (c->type == MQL_COL_BOOLEAN)
            snprintf(text, sizeof text, "%s", vc[q].v != 0 ? c->true_label : c->false_label);
        else if (c->type == MQL_COL_DATE)
            mql_date_format(vc[q].v, c->has_time, text, sizeof text);
        else
            num_text(vc[q].v, text, sizeof text);
        int w = snprintf(buf + o, cap - o, "%s'%s' (%s)", q ? ", " : "", text,
                         mql_fmt_grouped((double)vc[q].count, rows, sizeof rows));
        o += w > 0 ? (size_t)w : 0;
    }
    if (m > k && o < cap) {
        int w = snprintf(buf + o, cap - o, " and %zu more", m - k);
        o += w > 0 ? (size_t)w : 0;
    }
    if (m == 0 && o < cap) {
        int w = snprintf(buf + o, cap - o, "no values");
        o += w > 0 ? (size_t)w : 0;
    }
    if (c->n_missing && o < cap) {
        char rows[32];
        snprintf(buf + o, cap - o, ", %s missing", mql_fmt_grouped((double)c->n_missing, rows,
                                                                     sizeof rows));
    }
    free(vc);
    return buf;
}

int mql_column_to_categorical(mql_column *c, mql_err *err)
{
    if (c->type == MQL_COL_CATEGORICAL)
        return MQL_OK;
    if (c->type == MQL_COL_ID) {
        c->type = MQL_COL_CATEGORICAL;
        return MQL_OK;
    }
    size_t n = c->n_rows;
    if (c->borrowed) {           /* the values are replaced (and freed) below: own them first */
        double *own = mql_alloc_big((n ? n : 1) * sizeof *own);
        if (!own)
            return mql_err_set(err, MQL_ENOMEM, "out of memory");
        memcpy(own, c->num, n * sizeof *own);
        c->num = own;
        c->borrowed = 0;
    }
    colb b = {.mode = c->type == MQL_COL_DATE ? M_DATE : M_NUM, .num = c->num};
    if (c->type == MQL_COL_BOOLEAN) {
        if (!(b.code = malloc((n ? n : 1) * sizeof *b.code)))
            return mql_err_set(err, MQL_ENOMEM, "out of memory");
        for (size_t i = 0; i < n; i++) {
            if (isnan(c->num[i])) {
                b.code[i] = MQL_NA_CODE;
                continue;
            }
            const char *s = c->num[i] != 0 ? c->true_label : c->false_label;
            if (mql_dict_add(&b.d, s, strlen(s), &b.code[i])) {
                free(b.code);
                mql_dict_free(&b.d);
                return mql_err_set(err, MQL_ENOMEM, "out of memory");
            }
        }
        for (size_t k = 0; k < c->n_spellings; k++) {   /* truth -> the label's level */
            const char *s = c->spellings[k].level ? c->true_label : c->false_label;
            long lv = mql_dict_find(&b.d, s, strlen(s));
            c->spellings[k].level = lv < 0 ? 0 : (uint32_t)lv;
        }
        free(c->num);
        free(c->true_label);
        free(c->false_label);
        c->true_label = c->false_label = NULL;
    } else if (to_text(&b, n, n, NULL)) {
        free(b.code);
        mql_dict_free(&b.d);
        return mql_err_set(err, MQL_ENOMEM, "out of memory");
    }
    c->num = NULL;
    c->code = b.code;
    c->type = MQL_COL_CATEGORICAL;
    take_levels(c, &b.d);
    return MQL_OK;
}
