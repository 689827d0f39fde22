/* value_runs.c: the sorted non-missing values of a column as runs of equal values, by counting
 * written digits, by hashing or by sorting (one result whichever way), and sums over runs that
 * add each value one by one without looping once per lead. */
#include "mqlcal/value_runs.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mqlcal/common.h"

void mql_runs_free(mql_value_runs *r)
{
    free(r->u);
    free(r->c);
    r->u = NULL;
    r->c = NULL;
}

static uint64_t runs_bits(double x)
{
    uint64_t k;
    if (x == 0)
        x = 0.0;
    memcpy(&k, &x, sizeof k);
    return k;
}

int mql_runs_by_hash(const double *x, size_t n, size_t limit, mql_value_runs *r)
{
    /* key and count side by side: one cache line per probe */
    typedef struct slot {
        uint64_t key;
        size_t cnt;
    } slot;
    const uint64_t empty = UINT64_MAX;   /* a NaN pattern: never a key */
    size_t cap = 16;
    int bits = 4;
    while (cap < 2 * limit)
        cap *= 2, bits++;
    slot *tab = malloc(cap * sizeof *tab);
    if (!tab)
        return -1;
    for (size_t i = 0; i < cap; i++)
        tab[i] = (slot){empty, 0};
    size_t nd = 0, nv = 0;
    for (size_t i = 0; i < n; i++) {
        if (isnan(x[i]))
            continue;
        uint64_t k = runs_bits(x[i]);
        size_t h = (size_t)((k * UINT64_C(0x9E3779B97F4A7C15)) >> (64 - bits));
        while (tab[h].key != k && tab[h].key != empty)
            h = (h + 1) & (cap - 1);
        if (tab[h].key == empty) {
            if (nd == limit) {
                free(tab);
                return 1;
            }
            tab[h].key = k;
            nd++;
        }
        tab[h].cnt++;
        nv++;
    }
    double *u = malloc((nd ? nd : 1) * sizeof *u), *uu = malloc((nd ? nd : 1) * sizeof *uu);
    size_t *c = malloc((nd ? nd : 1) * sizeof *c), *cc = malloc((nd ? nd : 1) * sizeof *cc);
    size_t *ord = malloc((nd ? nd : 1) * sizeof *ord);
    int rc = u && uu && c && cc && ord ? 0 : -1;
    if (rc == 0) {
        size_t j = 0;
        for (size_t h = 0; h < cap; h++)
            if (tab[h].key != empty) {
                memcpy(&uu[j], &tab[h].key, sizeof uu[j]);
                cc[j++] = tab[h].cnt;
            }
        rc = mql_order_doubles(uu, nd, ord, NULL);
    }
    if (rc == 0) {
        for (size_t j = 0; j < nd; j++) {
            u[j] = uu[ord[j]];
            c[j] = cc[ord[j]];
        }
        *r = (mql_value_runs){u, c, nd, nv, SIZE_MAX, SIZE_MAX};
        u = NULL;
        c = NULL;
    }
    free(tab), free(u), free(uu), free(c), free(cc), free(ord);
    return rc;
}

int mql_runs_by_sort(const double *x, size_t n, mql_value_runs *r)
{
    double *v = malloc((n ? n : 1) * sizeof *v);
    if (!v)
        return -1;
    size_t nv = 0, nd = 0;
    for (size_t i = 0; i < n; i++)
        if (!isnan(x[i]))
            v[nv++] = x[i];
    if (mql_sort_doubles(v, nv)) {
        free(v);
        return -1;
    }
    for (size_t i = 0; i < nv; i++)
        nd += i == 0 || v[i] != v[i - 1];
    double *u = malloc((nd ? nd : 1) * sizeof *u);
    size_t *c = malloc((nd ? nd : 1) * sizeof *c);
    if (!u || !c) {
        free(v), free(u), free(c);
        return -1;
    }
    size_t j = 0;
    for (size_t i = 0; i < nv; i++) {
        if (i == 0 || v[i] != v[i - 1]) {
            u[j] = v[i];
            c[j++] = 0;
        }
        c[j - 1]++;
    }
    free(v);
    *r = (mql_value_runs){u, c, nd, nv, SIZE_MAX, SIZE_MAX};
    return 0;
}

/* 10^dec for the written decimals dec = 0 .. 15 of the digit routes */
static const double p10[16] = {1e0, 1e1, 1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                               1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15};

/* The runs from per-integer counts cnt[0..m) of the integers base .. base + m - 1. Frees cnt.
 * Returns 0 or -1 when out of memory (cnt freed either way). */
static int runs_from_counts(uint32_t *cnt, size_t m, double base, double scale, size_t nv,
                            size_t rmin, size_t rmax, mql_value_runs *r)
{
    size_t nd = 0;
    for (size_t k = 0; k < m; k++)
        nd += cnt[k] != 0;
    double *u = malloc((nd ? nd : 1) * sizeof *u);
    size_t *c = malloc((nd ? nd : 1) * sizeof *c);
    if (!u || !c) {
        free(cnt), free(u), free(c);
        return -1;
    }
    for (size_t k = 0, j = 0; k < m; k++) {
        if (!cnt[k])
            continue;
        double w = base + (double)k;
        u[j] = w == 0 ? 0.0 : w / scale;   /* the sort's key reads -0 as +0 */
        c[j++] = cnt[k];
    }
    free(cnt);
    *r = (mql_value_runs){u, c, nd, nv, rmin, rmax};
    return 0;
}

int mql_runs_by_digits(const double *x, size_t n, int dec, mql_value_runs *r)
{
    if (dec < 0 || dec > 15 || n > UINT32_MAX)
        return 1;
    double scale = p10[dec], mn = INFINITY, mx = -INFINITY;
    size_t rmin = SIZE_MAX, rmax = SIZE_MAX;   /* the first row of each (a new extreme is rare) */
    for (size_t i = 0; i < n; i++) {
        if (x[i] < mn) {                 /* NaN compares false: skipped */
            mn = x[i];
            rmin = i;
        }
        if (x[i] > mx) {
            mx = x[i];
            rmax = i;
        }
    }
    if (!(mn <= mx))
        return 1;                        /* no value: mql_runs_by_sort's empty runs */
    if (!(fabs(mn * scale) < 0x1p50 && fabs(mx * scale) < 0x1p50))
        return 1;
    double base = round(mn * scale), span = round(mx * scale) - base + 1;
    if (span > 2.0 * (double)n + 65536.0 || span > 16777216.0)
        return 1;
    size_t m = (size_t)span;
    uint32_t *cnt = calloc(m, sizeof *cnt);
    if (!cnt)
        return -1;
    size_t nv = 0;
    for (size_t i = 0; i < n; i++) {
        double v = x[i];
        if (isnan(v))
            continue;
        cnt[(size_t)(v * scale - base + 0.5)]++;
        nv++;
    }
    return runs_from_counts(cnt, m, base, scale, nv, rmin, rmax, r);
}

int mql_runs_by_digits_range(const double *x, size_t n, int dec, double lo, double hi,
                             mql_value_runs *r)
{
    if (dec < 0 || dec > 15 || n > UINT32_MAX || !(lo <= hi))
        return 1;
    double scale = p10[dec];
    if (!(fabs(lo * scale) < 0x1p50 && fabs(hi * scale) < 0x1p50))
        return 1;
    /* the bounds mql_runs_by_digits computes from the column's extremes */
    double base = round(lo * scale), span = round(hi * scale) - base + 1;
    if (span > 2.0 * (double)n + 65536.0 || span > 16777216.0)
        return 1;
    size_t m = (size_t)span, last = m - 1;
    uint32_t *cnt = calloc(m, sizeof *cnt);
    if (!cnt)
        return -1;
    size_t nv = 0, rmin = SIZE_MAX, rmax = SIZE_MAX;
    for (size_t i = 0; i < n; i++) {
        double q = x[i] * scale - base + 0.5;   /* NaN for a missing value */
        if (!(q >= 0 && q < span)) {
            if (q != q)
                continue;
            free(cnt);                           /* outside [lo, hi]: not the column's range */
            return 1;
        }
        size_t k = (size_t)(long)q;
        /* the first row of each end value: the test on the row first (false once it is
         * known: a predicted branch), as the lowest value may be most of the column */
        if (rmin == SIZE_MAX && k == 0)
            rmin = i;
        if (rmax == SIZE_MAX && k == last)
            rmax = i;
        cnt[k]++;
    }
    for (size_t k = 0; k < m; k++)
        nv += cnt[k];
    return runs_from_counts(cnt, m, base, scale, nv, rmin, rmax, r);
}

double mql_runs_at(const mql_value_runs *r, size_t i)
{
    size_t j = 0;
    while (i >= r->c[j])
        i -= r->c[j++];
    return r->u[j];
}

/* Why a jump is exact: s = S u with u the unit in the last place of s's binade and S an integer,
 * 2^52 <= |S| < 2^53 (S and u read off s's bits). When v / u = q lies nearer to an integer D than
 * half a unit (not a tie), and S + D stays at least one unit inside the binade, s + v rounds to
 * (S + D) u: the representable numbers there are the multiples of u, and S + q is within half a
 * unit of S + D only. The next addition starts from another multiple of u in the same binade, so
 * k additions give (S + k D) u as long as every S + j D (j <= k) stays inside. Near a binade's
 * edges, at zero, for a tie and outside the normal range the additions are made one by one. */
double mql_sum_repeated(double s, double v, size_t c)
{
    const int64_t lo = ((int64_t)1 << 52) + 1, hi = ((int64_t)1 << 53) - 1;
    while (c > 0) {
        uint64_t bits;
        memcpy(&bits, &s, sizeof bits);
        int ex = (int)((bits >> 52) & 0x7FF);   /* s = S 2^(ex - 1075) */
        if (c >= 4 && ex >= 53 && ex < 2040 && isfinite(v)) {
            uint64_t ub = (uint64_t)(ex - 52) << 52, ib = (uint64_t)(2098 - ex) << 52;
            double u, inv;
            memcpy(&u, &ub, sizeof u);
            memcpy(&inv, &ib, sizeof inv);
            double q = v * inv;                  /* v / u, exact: a power of two */
            if (fabs(q) < 0x1p51) {
                /* q to the nearest integer, ties to even (exact below 2^51) */
                double dq = q >= 0 ? (q + 0x1.8p52) - 0x1.8p52 : (q - 0x1.8p52) + 0x1.8p52;
                if (fabs(q - dq) != 0.5) {
                    int64_t a = (int64_t)((bits & ((UINT64_C(1) << 52) - 1)) | (UINT64_C(1) << 52));
                    int64_t step = (int64_t)dq * (s < 0 ? -1 : 1);
                    size_t k = 0;
                    if (c < ((size_t)1 << 11) && a + (int64_t)c * step >= lo &&
                        a + (int64_t)c * step <= hi && (step >= 0 || a >= lo))
                        k = c;                   /* the whole run stays inside */
                    else if (step > 0)
                        k = (size_t)((hi - a) / step);
                    else if (step < 0)
                        k = a < lo ? 0 : (size_t)((a - lo) / -step);
                    else
                        k = a >= lo ? c : 0;
                    k = k < c ? k : c;
                    if (k > 0) {
                        double mag = (double)(a + (int64_t)k * step);
                        s = (s < 0 ? -mag : mag) * u;
                        c -= k;
                        continue;
                    }
                }
            }
        }
        double t = s + v;
        c--;
        if (memcmp(&t, &s, sizeof t) == 0)
            break;                               /* a fixed point: every later addition too */
        s = t;
    }
    return s;
}

/* mql_sum_repeated's jump run after run: while the sum stays inside one binade, each run is an
 * integer step of the sum's significand (the same test per run as there: not a tie, the whole
 * run one unit inside the binade), so the sum is decoded once per binade and rebuilt once when
 * it leaves, not once per run; a run that would leave the binade goes as far as it can, then
 * its next addition is made by hand, as mql_sum_repeated does. */
double mql_sum_runs(double s, const double *v, const size_t *c, size_t k)
{
    const int64_t lo = ((int64_t)1 << 52) + 1, hi = ((int64_t)1 << 53) - 1;
    size_t j = 0, left = k ? c[0] : 0;   /* run j's additions not yet made */
    while (j < k) {
        if (left == 0) {
            if (++j < k)
                left = c[j];
            continue;
        }
        uint64_t bits;
        memcpy(&bits, &s, sizeof bits);
        int ex = (int)((bits >> 52) & 0x7FF);   /* s = S 2^(ex - 1075) */
        if (ex >= 53 && ex < 2040) {
            uint64_t ub = (uint64_t)(ex - 52) << 52, ib = (uint64_t)(2098 - ex) << 52;
            double u, inv;
            memcpy(&u, &ub, sizeof u);
            memcpy(&inv, &ib, sizeof inv);
            int64_t a = (int64_t)((bits & ((UINT64_C(1) << 52) - 1)) | (UINT64_C(1) << 52));
            int neg = s < 0;
            size_t moved = 0;
            while (j < k) {
                double vj = v[j];
                if (!isfinite(vj))
                    break;
                double q = vj * inv;                 /* v / u, exact: a power of two */
                if (!(fabs(q) < 0x1p51))
                    break;
                double dq = q >= 0 ? (q + 0x1.8p52) - 0x1.8p52 : (q - 0x1.8p52) + 0x1.8p52;
                if (fabs(q - dq) == 0.5)
                    break;
                int64_t step = (int64_t)dq * (neg ? -1 : 1);
                size_t m;
                if (left < ((size_t)1 << 11) && a + (int64_t)left * step >= lo &&
                    a + (int64_t)left * step <= hi && (step >= 0 || a >= lo))
                    m = left;                        /* the whole run stays inside */
                else if (step > 0)
                    m = (size_t)((hi - a) / step);
                else if (step < 0)
                    m = a < lo ? 0 : (size_t)((a - lo) / -step);
                else
                    m = a >= lo ? left : 0;
                m = m < left ? m : left;
                a += (int64_t)m * step;
                left -= m;
                moved += m;
                if (left)
                    break;                           /* the run leaves the binade */
                if (++j < k)
                    left = c[j];
            }
            if (moved) {
                double mag = (double)a;
                s = (neg ? -mag : mag) * u;
                continue;
            }
        }
        double t = s + v[j];
        left--;
        if (memcmp(&t, &s, sizeof t) == 0)
            left = 0;                                /* a fixed point: the rest of the run too */
        s = t;
    }
    return s;
}
