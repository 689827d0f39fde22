/* value.c: the one definition of "the same value" (cells, placeholders, equality, the key that
 * merges equal spellings at ingest) and the short decimal bounds of rules people type. */
#include "mqlcal/value.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ==== placeholders ========================================================================= */

/* The CRM placeholders, then the error values Excel and Google Sheets write into a cell whose
 * formula failed (an export of a spreadsheet keeps them as text). */
const char *const mql_default_na[] = {"",        "NA",      "N/A",   "null",   "Select",
                                      "unknown", "none",    "-",     "#N/A",   "#DIV/0!",
                                      "#VALUE!", "#REF!",   "#NAME?", "#NUM!", "#NULL!",
                                      "#ERROR!"};
const size_t mql_n_default_na = sizeof mql_default_na / sizeof mql_default_na[0];

/* lengths of mql_default_na, so the per-cell test needs no strlen (scoring streams millions) */
static const size_t default_na_len[] = {0, 2, 3, 4, 6, 7, 4, 1, 4, 7, 7, 5, 6, 5, 6, 7};
_Static_assert(sizeof default_na_len / sizeof default_na_len[0] ==
                   sizeof mql_default_na / sizeof mql_default_na[0],
               "one length per default placeholder");

void mql_na_clear(mql_na_list *l)
{
    if (!l)
        return;
    for (size_t i = 0; i < l->n; i++)
        free(l->v[i]);
    free(l->v);
    l->v = NULL;
    l->n = 0;
}

/* Appends a copy of s (n bytes, trimmed) unless the list holds it already (ignoring case). */
static int na_push(mql_na_list *l, const char *s, size_t n)
{
    n = mql_trim_span(s, n, &s);
    for (size_t i = 0; i < l->n; i++)
        if (mql_span_ieq(l->v[i], strlen(l->v[i]), s, n))
            return 0;
    char **v = realloc(l->v, (l->n + 1) * sizeof *v);
    if (!v)
        return -1;
    l->v = v;
    if (!(v[l->n] = mql_strndup(s, n)))
        return -1;
    l->n++;
    return 0;
}

int mql_na_copy(const char *const *na, size_t n, mql_na_list *out)
{
    out->v = NULL;
    out->n = 0;
    if (!na) {
        na = mql_default_na;
        n = mql_n_default_na;
    }
    for (size_t i = 0; i < n; i++)
        if (na_push(out, na[i], strlen(na[i]))) {
            mql_na_clear(out);
            return MQL_ENOMEM;
        }
    if (na_push(out, "", 0)) {
        mql_na_clear(out);
        return MQL_ENOMEM;
    }
    return MQL_OK;
}

int mql_na_parse(const char *spec, mql_na_list *out, mql_err *err)
{
    out->v = NULL;
    out->n = 0;
    const char *s = spec ? spec : "";
    while (*s == ' ' || *s == '\t')   /* "# na: -Select" in a hand-written rules file */
        s++;
    int mode = 0;    /* 0 replace, '+' add, '-' remove */
    if (s[0] == '+' || (s[0] == '-' && s[1] && s[1] != ','))
        mode = *s++;
    if (mode && mql_na_copy(NULL, 0, out))
        return mql_err_set(err, MQL_ENOMEM, "out of memory");
    for (const char *p = s;;) {
        const char *e = strchr(p, ',');
        size_t len = e ? (size_t)(e - p) : strlen(p);
        const char *b;
        size_t tl = mql_trim_span(p, len, &b);
        if (mode != '-') {
            if (na_push(out, b, tl)) {
                mql_na_clear(out);
                return mql_err_set(err, MQL_ENOMEM, "out of memory");
            }
        } else if (tl > 0) {
            size_t k = 0;
            while (k < out->n && !mql_span_ieq(out->v[k], strlen(out->v[k]), b, tl))
                k++;
            if (k == out->n) {
                char defaults[256];
                mql_na_format(NULL, 0, defaults, sizeof defaults);
                mql_na_clear(out);
                return mql_err_set(err, MQL_EUSAGE,
                                   "'%.*s' is not a default placeholder, so there is nothing to "
                                   "keep (the defaults: %s)", (int)tl, b, defaults);
            }
            free(out->v[k]);
            memmove(out->v + k, out->v + k + 1, (out->n - k - 1) * sizeof *out->v);
            out->n--;
        }
        if (!e)
            break;
        p = e + 1;
    }
    if (na_push(out, "", 0)) {
        mql_na_clear(out);
        return mql_err_set(err, MQL_ENOMEM, "out of memory");
    }
    return MQL_OK;
}

int mql_na_match(const char *s, size_t n, const char *const *na, size_t n_na)
{
    const size_t *len = NULL;
    if (!na) {
        na = mql_default_na;
        n_na = mql_n_default_na;
        len = default_na_len;
    }
    n = mql_trim_span(s, n, &s);
    if (n == 0)
        return 1;
    /* the non-empty defaults are 1 to 7 bytes long, and those of 5 start with '#': most cells
     * differ in length or first byte */
    if (len && (n > 7 || (n == 5 && s[0] != '#')))
        return 0;
    /* and they begin with N, S or U (either case), '-' or '#': a number or most words is ruled
     * out by its first byte */
    unsigned char x = (unsigned char)s[0];
    if (len && (x | 0x20) != 'n' && (x | 0x20) != 's' && (x | 0x20) != 'u' && x != '-' &&
        x != '#')
        return 0;
    /* a first byte that differs (as mql_span_ieq compares it) rules a placeholder out before
     * its length is taken: most cells are no placeholder's */
    for (size_t i = 0; i < n_na; i++) {
        unsigned char y = (unsigned char)na[i][0];
        if (x != y && (x | 0x20) != (y | 0x20))
            continue;
        if (mql_span_ieq(s, n, na[i], len ? len[i] : strlen(na[i])))
            return 1;
    }
    return 0;
}

int mql_na_is_default(const char *const *na, size_t n)
{
    if (!na)
        return 1;
    for (size_t i = 0; i < mql_n_default_na; i++)
        if (!mql_na_match(mql_default_na[i], default_na_len[i], na, n))
            return 0;
    for (size_t i = 0; i < n; i++)
        if (!mql_na_match(na[i], strlen(na[i]), NULL, 0))
            return 0;
    return 1;
}

const char *mql_na_format(const char *const *na, size_t n, char *buf, size_t cap)
{
    if (!na) {
        na = mql_default_na;
        n = mql_n_default_na;
    }
    size_t o = 0;
    if (cap)
        buf[0] = '\0';
    for (size_t i = 0; i < n && o < cap; i++) {
        if (!na[i][0])
            continue;
        int w = snprintf(buf + o, cap - o, "%s%s", o ? "," : "", na[i]);
        if (w < 0)
            break;
        o += (size_t)w;
    }
    return buf;
}

/* ==== cells ================================================================================ */

void mql_cell_from_span(mql_cell *c, const char *s, size_t n, const char *const *na, size_t n_na)
{
    static const char *const yes[] = {"true", "yes", "y", "t"};
    static const char *const no[] = {"false", "no", "n", "f"};
    static const size_t yes_len[] = {4, 3, 1, 1}, no_len[] = {5, 2, 1, 1};
    if (!s)
        s = "", n = 0;
    n = mql_trim_span(s, n, &s);
    c->text = s;
    c->len = n;
    c->is_num = 0;
    c->num = NAN;
    c->missing = mql_na_match(s, n, na, n_na);
    if (c->missing)
        return;
    for (size_t i = 0; i < 4 && n <= 5; i++) {
        if (mql_span_ieq(s, n, yes[i], yes_len[i]) || mql_span_ieq(s, n, no[i], no_len[i])) {
            c->is_num = 1;
            c->num = mql_span_ieq(s, n, yes[i], yes_len[i]) ? 1.0 : 0.0;
            return;
        }
    }
    /* The number syntax is the table's, through the one parser both use (any length). */
    double v;
    if (n && mql_parse_number(s, n, &v) == 0) {
        c->is_num = 1;
        c->num = v;
    }
}

void mql_cell_from_text(mql_cell *c, const char *text, const char *const *na, size_t n_na)
{
    const char *s = text ? text : "";
    mql_cell_from_span(c, s, strlen(s), na, n_na);
}

int mql_cell_eq(const mql_cell *a, const mql_cell *b)
{
    if (a->missing || b->missing)
        return 0;
    if (a->is_num && b->is_num)
        return a->num == b->num;
    if (a->is_num != b->is_num || !a->text || !b->text)
        return 0;
    return mql_span_ieq(a->text, a->len, b->text, b->len);
}

int mql_value_eq(const char *a, const char *b)
{
    mql_cell x, y;
    mql_cell_from_text(&x, a, NULL, 0);
    mql_cell_from_text(&y, b, NULL, 0);
    return mql_cell_eq(&x, &y);
}

size_t mql_cell_key(const mql_cell *c, char *buf, size_t cap)
{
    if (cap == 0)
        return 0;
    buf[0] = '\0';
    if (c->missing)
        return 0;
    if (c->is_num) {
        int w = snprintf(buf, cap, "n:%.17g", c->num == 0 ? 0.0 : c->num);
        return w < 0 ? 0 : (size_t)w < cap ? (size_t)w : cap - 1;
    }
    size_t n = c->text ? c->len : 0, o = 0;
    if (cap < 3)
        return 0;
    buf[o++] = 't';
    buf[o++] = ':';
    for (size_t i = 0; i < n && o + 1 < cap; i++)
        buf[o++] = (char)tolower((unsigned char)c->text[i]);
    buf[o] = '\0';
    return o;
}

int mql_cell_truth(const mql_cell *c)
{
    if (c->missing || !c->is_num)
        return -1;
    return c->num == 1.0 ? 1 : c->num == 0.0 ? 0 : -1;
}

/* ==== numbers a person can type ============================================================ */

static const double pow10_tab[16] = {1e0, 1e1, 1e2, 1e3, 1e4,  1e5,  1e6,  1e7,
                                     1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15};

/* Whether v is the double nearest to some decimal with d digits after the point: N / 10^d with
 * N = round(v 10^d) (IEEE division rounds the exact quotient, as strtod rounds the decimal). */
static int has_decimals(double v, int d, double *N)
{
    double p = pow10_tab[d], r = nearbyint(v * p);
    if (!(fabs(r) < 9007199254740992.0))
        return 0;
    if (N)
        *N = r;
    return r / p == v;
}

int mql_decimals(double v)
{
    if (!isfinite(v))
        return -1;
    for (int d = 0; d <= 6; d++)
        if (has_decimals(v, d, NULL))
            return d;
    return -1;
}

int mql_cut_bounds(double below, double above, int decimals, double *hi, double *lo)
{
    if (decimals >= 0 && decimals <= 15) {
        double N;
        if (has_decimals(above, decimals, &N)) {
            double p = pow10_tab[decimals], h = (N - 1) / p;
            if (below <= h && h < above) {
                *hi = h;
                *lo = above;
                return decimals;
            }
        }
    }
    /* the shortest: for e = 0, 1, ... the largest e-digit decimal at or under above, and the one
     * before it, until that one is not under below */
    for (int e = 0; e <= 15; e++) {
        double p = pow10_tab[e], N = floor(above * p);
        if (!(fabs(N) < 9007199254740992.0))
            break;
        /* v * p may round: step N until N / p <= above < (N + 1) / p */
        while (N / p > above)
            N -= 1;
        while ((N + 1) / p <= above)
            N += 1;
        double l = N / p, h = (N - 1) / p;
        if (below <= h && h < l && l <= above) {
            *hi = h;
            *lo = l;
            return e;
        }
    }
    *lo = above;
    *hi = nextafter(above, -INFINITY);
    return -1;
}

/* ==== names ================================================================================ */

static int name_sep(char c)
{
    return c == ' ' || c == '_' || c == '-' || c == '\t' || c == '.';
}

/* Equal ignoring case and separators. */
static int loose_eq(const char *a, const char *b)
{
    for (;;) {
        while (*a && name_sep(*a))
            a++;
        while (*b && name_sep(*b))
            b++;
        if (!*a || !*b)
            return !*a && !*b;
        if (tolower((unsigned char)*a) != tolower((unsigned char)*b))
            return 0;
        a++, b++;
    }
}

/* Levenshtein distance ignoring case, or cap + 1 when it exceeds cap (names are short). */
static size_t edit_distance(const char *a, const char *b, size_t cap)
{
    size_t na = strlen(a), nb = strlen(b);
    if (na > 200 || nb > 200)
        return cap + 1;
    if ((na > nb ? na - nb : nb - na) > cap)
        return cap + 1;
    size_t row[201];
    for (size_t j = 0; j <= nb; j++)
        row[j] = j;
    for (size_t i = 1; i <= na; i++) {
        size_t diag = row[0];
        row[0] = i;
        for (size_t j = 1; j <= nb; j++) {
            size_t up = row[j];
            size_t sub = diag + (tolower((unsigned char)a[i - 1]) !=
                                 tolower((unsigned char)b[j - 1]));
            size_t best = sub;
            if (up + 1 < best)
                best = up + 1;
            if (row[j - 1] + 1 < best)
                best = row[j - 1] + 1;
            row[j] = best;
            diag = up;
        }
    }
    return row[nb];
}

void mql_name_list(const char *const *names, size_t n, size_t stride, char *buf, size_t cap)
{
    size_t o = 0;
    buf[0] = '\0';
    for (size_t j = 0; j < n; j++) {
        const char *nm = *(const char *const *)((const char *)names + j * stride);
        size_t need = strlen(nm) + 2;
        if (o + need + 6 >= cap) {
            snprintf(buf + o, cap - o, "%s...", j ? ", " : "");
            return;
        }
        o += (size_t)snprintf(buf + o, cap - o, "%s%s", j ? ", " : "", nm);
    }
}

const char *mql_name_lookalike(const char *name, const char *near)
{
    static const struct {
        const char *utf8, *note;
    } look[] = {
        {"\xc2\xa0", " (the file's name holds a non-breaking space, U+00A0, where it shows a "
                     "blank: rename the column in the file)"},
        {"\xe2\x80\xaf", " (the file's name holds a narrow non-breaking space, U+202F: rename the "
                         "column in the file)"},
        {"\xe2\x80\x8b", " (the file's name holds an invisible zero-width space, U+200B: rename "
                         "the column in the file)"},
        {"\xef\xbb\xbf", " (the file's name holds an invisible byte-order mark, U+FEFF: rename "
                         "the column in the file)"},
    };
    for (size_t k = 0; near && k < sizeof look / sizeof *look; k++)
        if (strstr(near, look[k].utf8) && !strstr(name, look[k].utf8))
            return look[k].note;
    return "";
}

const char *mql_nearest_name(const char *name, const char *const *names, size_t n, size_t stride)
{
    if (!name || !names)
        return NULL;
    const char *best = NULL;
    size_t len = strlen(name);
    size_t cap = len / 3;
    if (cap < 1)
        cap = 1;
    if (cap > 3)
        cap = 3;
    size_t best_d = cap + 1;
    for (size_t i = 0; i < n; i++) {
        const char *c = *(const char *const *)((const char *)names + i * stride);
        if (!c)
            continue;
        if (loose_eq(name, c))
            return c;
        size_t dist = edit_distance(name, c, cap);
        if (dist < best_d) {
            best_d = dist;
            best = c;
        }
    }
    return best;
}
