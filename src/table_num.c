/* table_num.c: the numbers the table reader reads in a cell (decimal and exponent forms,
 * unambiguous thousands separators, decimal commas, NaN / inf and out-of-range spellings) and the
 * shortest text that reads back as a number; also mql_truthy, an outcome cell's truth. */
#include "table_num.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mqlcal/table.h"
#include "mqlcal/value.h"

const double mql_pow10_exact[23] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
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

int mql_parse_num_general(const char *s, size_t n, double *out)
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
        v = exp10 < 0 ? v / mql_pow10_exact[-exp10] : v * mql_pow10_exact[exp10];
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
    return mql_parse_num_general(buf, o, out);
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

void mql_num_text(double v, char *buf, size_t cap)
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
