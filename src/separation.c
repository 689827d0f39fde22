/* separation.c: does the maximum-likelihood estimate of a logistic regression exist? The linear
 * program of Konis (2007) (see separation.h), solved by cutting planes over the rows with a small
 * dense simplex, so a file of millions of leads never builds an n-row LP. */
#include "mqlcal/separation.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define SEP_CHUNK 1024
#define SEP_MAX_ROWS 20000      /* rows the LP may hold */
#define SEP_MAX_ROUNDS 400
#define SEP_EPS 1e-12           /* pivot and reduced-cost tolerance (entries are scaled to <= 1) */
#define SEP_FEAS 1e-10          /* a row with x~'d >= -SEP_FEAS satisfies the direction */
#define SEP_POS 1e-8            /* a row with x~'d > SEP_POS is fitted perfectly */

/* ---------------------------------------------------------------- the simplex */

/* Tucker tableau T ((m + 1) x (n + 1), row-major) of  max c'z, A z <= b, z >= 0, b >= 0: row i < m
 * reads basic_i = T[i][n] - sum_j T[i][j] nonbasic_j, row m reads f = T[m][n] - sum_j T[m][j]
 * nonbasic_j (so T[m][j] = -c_j at the start). Bland's rule (smallest label enters and leaves)
 * cannot cycle on the degenerate vertex z = 0 these LPs start at. Returns 0 at the optimum, -1
 * when unbounded or out of pivots (neither happens with the box constraints). */
static int simplex(double *T, size_t m, size_t n, size_t *basic, size_t *nonb)
{
    size_t w = n + 1;
    for (long piv = 0; piv < 1000000; piv++) {
        size_t s = n;
        for (size_t j = 0; j < n; j++)
            if (T[m * w + j] < -SEP_EPS && (s == n || nonb[j] < nonb[s]))
                s = j;
        if (s == n)
            return 0;
        size_t r = m;
        double best = INFINITY;
        for (size_t i = 0; i < m; i++) {
            double a = T[i * w + s];
            if (a <= SEP_EPS)
                continue;
            double ratio = T[i * w + n] / a;
            if (ratio < best - 1e-14 || (ratio <= best + 1e-14 && r < m && basic[i] < basic[r])) {
                if (ratio < best)
                    best = ratio;
                r = i;
            }
        }
        if (r == m)
            return -1;
        double pv = T[r * w + s];
        double *tr = T + r * w;
        for (size_t j = 0; j <= n; j++)
            if (j != s)
                tr[j] /= pv;
        tr[s] = 1.0 / pv;
        for (size_t i = 0; i <= m; i++) {
            if (i == r)
                continue;
            double *ti = T + i * w, f = ti[s];
            if (f == 0.0)
                continue;
            for (size_t j = 0; j <= n; j++)
                if (j != s)
                    ti[j] -= f * tr[j];
            ti[s] = -f * tr[s];
            if (fabs(ti[n]) < 1e-15)
                ti[n] = 0.0;
        }
        size_t t = basic[r];
        basic[r] = nonb[s];
        nonb[s] = t;
    }
    return -1;
}

/* max s'd over -1 <= d <= 1 and rows' d >= 0 (rows: nr x k, row-major) with d = z+ - z-.
 * Writes d (k) and returns the optimum, or NAN when the simplex fails or memory runs out. */
static double solve_lp(const double *s, const double *rows, size_t nr, size_t k, double *d)
{
    size_t m = k + nr, n = 2 * k, w = n + 1;
    double *T = calloc((m + 1) * w, sizeof *T);
    size_t *basic = malloc(m * sizeof *basic), *nonb = malloc(n * sizeof *nonb);
    double val = NAN;
    if (!T || !basic || !nonb)
        goto out;
    for (size_t j = 0; j < k; j++) {          /* z+_j + z-_j <= 1 */
        T[j * w + j] = 1.0;
        T[j * w + k + j] = 1.0;
        T[j * w + n] = 1.0;
    }
    for (size_t i = 0; i < nr; i++) {          /* -x~'z+ + x~'z- <= 0 */
        double *t = T + (k + i) * w;
        for (size_t j = 0; j < k; j++) {
            t[j] = -rows[i * k + j];
            t[k + j] = rows[i * k + j];
        }
    }
    for (size_t j = 0; j < k; j++) {
        T[m * w + j] = -s[j];
        T[m * w + k + j] = s[j];
    }
    for (size_t j = 0; j < n; j++)
        nonb[j] = j;
    for (size_t i = 0; i < m; i++)
        basic[i] = n + i;
    if (simplex(T, m, n, basic, nonb))
        goto out;
    memset(d, 0, k * sizeof *d);
    for (size_t i = 0; i < m; i++)
        if (basic[i] < n) {
            double v = T[i * w + n];
            if (basic[i] < k)
                d[basic[i]] += v;
            else
                d[basic[i] - k] -= v;
        }
    val = T[m * w + n];
out:
    free(T);
    free(basic);
    free(nonb);
    return val;
}

/* ---------------------------------------------------------------- the rows */

typedef struct sep_ctx {
    const mql_glm_data *d;
    size_t p, k;
    const size_t *kept;
    double *scale;              /* k: 1 / max |x_j| */
    double *x;                  /* SEP_CHUNK x p */
} sep_ctx;

/* Row i's (2 y - 1) x on the kept columns, scaled, into out (k). */
static void signed_row(const sep_ctx *c, const double *xr, double y, double *out)
{
    double sg = y > 0.5 ? 1.0 : -1.0;
    for (size_t q = 0; q < c->k; q++)
        out[q] = sg * xr[c->kept[q]] * c->scale[q];
}

/* The worst-violated rows of a pass: up to cap rows, each with its value. */
typedef struct worst {
    size_t cap, n;
    double *v, *rows;           /* cap, cap x k */
} worst;

static void worst_add(worst *w, size_t k, double v, const double *row)
{
    size_t at = w->n;
    if (w->n == w->cap) {
        at = 0;                 /* replace the least violated when this one is worse */
        for (size_t i = 1; i < w->n; i++)
            if (w->v[i] > w->v[at])
                at = i;
        if (!(v < w->v[at]))
            return;
    } else {
        w->n++;
    }
    w->v[at] = v;
    memcpy(w->rows + at * k, row, k * sizeof *row);
}

int mql_separation_check(const mql_glm_data *d, const unsigned char *aliased, mql_separation *out,
                         mql_err *err)
{
    if (!d || !d->fill || !d->y || !out || d->p == 0)
        return mql_err_set(err, MQL_EUSAGE, "separation check: missing data or output");
    memset(out, 0, sizeof *out);
    size_t p = d->p, k = 0;
    sep_ctx c = {.d = d, .p = p};
    size_t *kept = malloc(p * sizeof *kept);
    double *scale = calloc(p, sizeof *scale), *s = calloc(p, sizeof *s);
    double *dir = calloc(p, sizeof *dir), *row = malloc(p * sizeof *row);
    double *x = malloc(SEP_CHUNK * p * sizeof *x);
    double *lp = NULL, *ext = NULL, *extv = NULL;
    worst wv = {0};
    int st = MQL_OK;
    out->direction = calloc(p, sizeof *out->direction);
    if (!kept || !scale || !s || !dir || !row || !x || !out->direction) {
        st = mql_err_set(err, MQL_ENOMEM, "separation check: out of memory");
        goto done;
    }
    for (size_t j = 0; j < p; j++)
        if (!aliased || !aliased[j])
            kept[k++] = j;
    c.k = k;
    c.kept = kept;
    c.scale = scale;
    c.x = x;
    /* Pass 1: column scales, s, and per column and class the rows with the smallest and largest
     * value (4 k rows that already pin down most directions). */
    ext = malloc(4 * k * p * sizeof *ext);
    extv = malloc(4 * k * sizeof *extv);
    if (!ext || !extv) {
        st = mql_err_set(err, MQL_ENOMEM, "separation check: out of memory");
        goto done;
    }
    for (size_t e = 0; e < 4 * k; e++)
        extv[e] = (e & 1) ? -INFINITY : INFINITY;
    for (size_t r0 = 0; r0 < d->n; r0 += SEP_CHUNK) {
        size_t m = d->n - r0 < SEP_CHUNK ? d->n - r0 : SEP_CHUNK;
        if ((st = d->fill(d->ctx, r0, m, x, err)) != MQL_OK)
            goto done;
        for (size_t i = 0; i < m; i++) {
            double w = d->w ? d->w[r0 + i] : 1.0, y = d->y[r0 + i];
            if (!(w > 0.0))
                continue;
            if (y != 0.0 && y != 1.0) {
                st = mql_err_set(err, MQL_EDATA, "separation check: row %zu: response %g is "
                                 "not 0 or 1", r0 + i, y);
                goto done;
            }
            const double *xr = x + i * p;
            double sg = y > 0.5 ? 1.0 : -1.0;
            size_t cls = y > 0.5 ? 1 : 0;
            for (size_t q = 0; q < k; q++) {
                double v = xr[kept[q]];
                if (fabs(v) > scale[q])
                    scale[q] = fabs(v);
                s[q] += w * sg * v;
                size_t e = 4 * q + 2 * cls;
                if (v < extv[e]) {
                    extv[e] = v;
                    memcpy(ext + e * p, xr, p * sizeof *xr);
                }
                if (v > extv[e + 1]) {
                    extv[e + 1] = v;
                    memcpy(ext + (e + 1) * p, xr, p * sizeof *xr);
                }
            }
        }
    }
    for (size_t q = 0; q < k; q++) {
        scale[q] = scale[q] > 0.0 ? 1.0 / scale[q] : 1.0;
        s[q] *= scale[q];
    }
    lp = malloc(SEP_MAX_ROWS * k * sizeof *lp);
    wv.cap = 8 * k < 64 ? 64 : 8 * k;
    wv.v = malloc(wv.cap * sizeof *wv.v);
    wv.rows = malloc(wv.cap * k * sizeof *wv.rows);
    if (!lp || !wv.v || !wv.rows) {
        st = mql_err_set(err, MQL_ENOMEM, "separation check: out of memory");
        goto done;
    }
    size_t nr = 0;
    for (size_t e = 0; e < 4 * k; e++)
        if (isfinite(extv[e]))
            signed_row(&c, ext + e * p, (e / 2) % 2 ? 1.0 : 0.0, lp + k * nr++);

    for (int round = 1; round <= SEP_MAX_ROUNDS; round++) {
        out->rounds = round;
        double val = solve_lp(s, lp, nr, k, dir);
        if (isnan(val)) {
            st = mql_err_set(err, MQL_ENOMEM, "separation check: the linear program failed "
                             "(%zu rows)", nr);
            goto done;
        }
        if (val <= SEP_POS)
            break;                      /* even the relaxation has optimum 0: not separated */
        /* one pass: the rows the direction violates most, and the rows it fits perfectly */
        wv.n = 0;
        double pos = 0.0;
        for (size_t r0 = 0; r0 < d->n; r0 += SEP_CHUNK) {
            size_t m = d->n - r0 < SEP_CHUNK ? d->n - r0 : SEP_CHUNK;
            if ((st = d->fill(d->ctx, r0, m, x, err)) != MQL_OK)
                goto done;
            for (size_t i = 0; i < m; i++) {
                double w = d->w ? d->w[r0 + i] : 1.0;
                if (!(w > 0.0))
                    continue;
                signed_row(&c, x + i * p, d->y[r0 + i], row);
                double v = 0.0;
                for (size_t q = 0; q < k; q++)
                    v += row[q] * dir[q];
                if (v < -SEP_FEAS)
                    worst_add(&wv, k, v, row);
                else if (v > SEP_POS)
                    pos += w;
            }
        }
        if (wv.n == 0) {
            out->separated = pos > 0.0;
            out->rows = pos;
            break;
        }
        if (nr + wv.n > SEP_MAX_ROWS) {
            st = mql_err_set(err, MQL_ENOMEM, "separation check: more than %d rows needed in "
                             "the linear program", SEP_MAX_ROWS);
            goto done;
        }
        memcpy(lp + nr * k, wv.rows, wv.n * k * sizeof *lp);
        nr += wv.n;
        if (round == SEP_MAX_ROUNDS) {
            st = mql_err_set(err, MQL_ENOMEM, "separation check: no answer after %d rounds",
                             SEP_MAX_ROUNDS);
            goto done;
        }
    }
    if (out->separated)
        for (size_t q = 0; q < k; q++)
            out->direction[kept[q]] = fabs(dir[q]) > 1e-9 ? dir[q] * scale[q] : 0.0;
done:
    if (st != MQL_OK) {
        free(out->direction);
        out->direction = NULL;
    }
    free(kept);
    free(scale);
    free(s);
    free(dir);
    free(row);
    free(x);
    free(lp);
    free(ext);
    free(extv);
    free(wv.v);
    free(wv.rows);
    return st;
}
