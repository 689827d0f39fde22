/* table_num.h: the numbers the table reader reads in a cell (table_num.c), shared by table.c,
 * table_infer.c and table_column.c (not part of the library's interface: mql_parse_number and
 * the other public forms are in mqlcal/value.h and mqlcal/table.h). parse_num_dec is here, static
 * inline, because the reader calls it for every numeric cell. */
#ifndef MQLCAL_SRC_TABLE_NUM_H
#define MQLCAL_SRC_TABLE_NUM_H

#include <stddef.h>
#include <stdint.h>

#include "mqlcal/common.h"

/* 1e0 .. 1e22: the powers of ten that are exact doubles. */
extern const double mql_pow10_exact[23];

/* parse_num's general path: long mantissas, exponents, thousands separators. */
int mql_parse_num_general(const char *s, size_t n, double *out);

/* Shortest "%.{15,16,17}g" text that reads back as v exactly; integers without exponent. */
void mql_num_text(double v, char *buf, size_t cap);

/* Whether s (n bytes) is a whole number written with a leading zero ("02134", "007"): a code
 * (ZIP, account, product), not a quantity. Such a value is text to the typing, so its column is
 * categorical and no range rule groups unrelated codes ("zip 7030-10000"); its cells still
 * compare as numbers (value.h), so '2134' is the same value as '02134'. mql_colb_finish reads
 * them as numbers again when they are too few (mql_code_rule). */
static inline int lead_zero_code(const char *s, size_t n)
{
    n = mql_trim_span(s, n, &s);
    if (n < 2 || s[0] != '0')
        return 0;
    for (size_t k = 1; k < n; k++)
        if ((unsigned char)(s[k] - '0') >= 10)
            return 0;
    return 1;
}

/* Parses a decimal number (sign, digits, '.', exponent, unambiguous thousands separators).
 * Exact fast path when the mantissa fits 2^53 and the power of ten is at most 22 (both then
 * exact doubles, so one multiply or divide rounds correctly); strtod otherwise. s must be
 * NUL-terminated at s[n]. Returns 0 and sets *out, or -1. */
static inline int parse_num_dec(const char *s, size_t n, double *out, int *dec);
static inline int parse_num_plain(const char *s, size_t n, double *out, int *dec);

static inline int parse_num(const char *s, size_t n, double *out)
{
    int dec;
    return parse_num_dec(s, n, out, &dec);
}

/* parse_num_dec's first step, the common short forms: [sign] digits [. digits], at most 19
 * digits (so the mantissa cannot overflow), exact under the same condition as the general path.
 * s must be NUL-terminated at s[n]: the NUL ends the digit loops, which then need no bound test
 * (an earlier NUL or any other byte ends them too, and the form is refused unless they reached
 * s[n]). The table reader runs this for nearly every cell of a numeric file. Returns 0 and sets
 * *out and *dec (the digits after the point), or -1 for any other form (which the general path
 * may still read). */
static inline int parse_num_plain(const char *s, size_t n, double *out, int *dec)
{
    const unsigned char *p = (const unsigned char *)s;
    int neg = p[0] == '-';
    p += neg | (p[0] == '+');
    const unsigned char *d0 = p;
    uint64_t m = 0;
    unsigned d;
    while ((d = (unsigned)*p - '0') < 10) {
        m = m * 10 + d;
        p++;
    }
    size_t nd = (size_t)(p - d0), nf = 0;
    if (*p == '.') {
        const unsigned char *f0 = ++p;
        while ((d = (unsigned)*p - '0') < 10) {
            m = m * 10 + d;
            p++;
        }
        nf = (size_t)(p - f0);
    }
    if (p == (const unsigned char *)s + n && nd + nf > 0 && nd + nf <= 19 &&
        m <= (UINT64_C(1) << 53)) {
        double v = nf ? (double)m / mql_pow10_exact[nf] : (double)m;
        *out = neg ? -v : v;
        *dec = (int)nf;
        return 0;
    }
    return -1;
}

/* parse_num, also saying how the number was written: *dec is the count of digits after the
 * point of a plain decimal ([sign] digits [. digits], so *out times 10^*dec is an integer below
 * 2^53 in magnitude), 99 for any other form. */
static inline int parse_num_dec(const char *s, size_t n, double *out, int *dec)
{
    if (parse_num_plain(s, n, out, dec) == 0)
        return 0;
    *dec = 99;
    return mql_parse_num_general(s, n, out);
}

#endif
