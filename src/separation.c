/* separation.c: does the maximum-likelihood estimate of a logistic regression exist? The linear
 * program of Konis (2007) (see separation.h), decided through its Farkas alternative by
 * nonnegative least squares on a growing subset of rows (cutting planes), so a file of millions
 * of leads never builds an n-row LP. */
#include "mqlcal/separation.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_linalg.h>

#define SEP_CHUNK 1024
#define SEP_MAX_ROWS 20000      /* rows the LP may hold */
#define SEP_MAX_ROUNDS 400
#define SEP_FEAS 1e-10          /* a row with x~'d >= -SEP_FEAS satisfies the direction */
#define SEP_POS 1e-8            /* a row with x~'d > SEP_POS is fitted perfectly */

/* ---------------------------------------------------------------- the cone test */

/* By Farkas' lemma exactly one holds for the rows A (nr x k) and s: (1) some d has A d >= 0 and
 * s'd > 0; (2) -s = A' lambda for some lambda >= 0. Nonnegative least squares decides which:
 * min |A' lambda + s| over lambda >= 0 (Lawson & Hanson 1974, active set, finite); at its
 * solution r = A' lambda + s satisfies A r >= 0 and s'r = |r|^2 (the KKT conditions), so r = 0
 * is (2) and otherwise d = r is a direction of (1). Works on the k-dimensional cone, never on
 * a degenerate LP vertex. Writes r into d and returns |r|, or NAN when out of memory. */
static double cone_test(const double *A, size_t nr, size_t k, const double *s, double *d)
{
    double *lam = calloc(nr ? nr : 1, sizeof *lam), *z = calloc(nr ? nr : 1, sizeof *z);
    double *g = malloc((nr ? nr : 1) * sizeof *g);
    size_t *P = malloc((k + 1) * sizeof *P);
    unsigned char *in = calloc(nr ? nr : 1, 1);
    double *N = malloc((k + 1) * (k + 1) * sizeof *N), *rhs = malloc((k + 1) * sizeof *rhs);
    double res = NAN, sn = 0.0;
    size_t np = 0;
    if (!lam || !z || !g || !P || !in || !N || !rhs)
        goto out;
    for (size_t q = 0; q < k; q++)
        sn += s[q] * s[q];
    sn = sqrt(sn);
    for (int outer = 0; outer < 10000; outer++) {
        /* r = A' lambda + s; g = -A r (the descent direction of each lambda) */
        for (size_t q = 0; q < k; q++)
            d[q] = s[q];
        for (size_t i = 0; i < nr; i++)
            if (lam[i] != 0.0)
                for (size_t q = 0; q < k; q++)
                    d[q] += lam[i] * A[i * k + q];
        size_t best = nr;
        double gbest = 1e-12 * (1.0 + sn);
        for (size_t i = 0; i < nr; i++) {
            if (in[i])
                continue;
            double v = 0.0;
            for (size_t q = 0; q < k; q++)
                v -= A[i * k + q] * d[q];
            if (v > gbest) {
                gbest = v;
                best = i;
            }
        }
        if (best == nr || np == k)
            break;
        in[best] = 1;
        P[np++] = best;
        for (;;) {
            /* unconstrained least squares on the passive rows: (A_P A_P') z = -A_P s */
            for (size_t a = 0; a < np; a++) {
                const double *ra = A + P[a] * k;
                double v = 0.0;
                for (size_t q = 0; q < k; q++)
                    v -= ra[q] * s[q];
                rhs[a] = v;
                for (size_t b = 0; b <= a; b++) {
                    const double *rb = A + P[b] * k;
                    double t = 0.0;
                    for (size_t q = 0; q < k; q++)
                        t += ra[q] * rb[q];
                    N[a * np + b] = N[b * np + a] = t;
                }
            }
            gsl_matrix_view Nv = gsl_matrix_view_array(N, np, np);
            gsl_vector_view rv = gsl_vector_view_array(rhs, np);
            if (gsl_linalg_cholesky_decomp1(&Nv.matrix) != GSL_SUCCESS ||
                gsl_linalg_cholesky_svx(&Nv.matrix, &rv.vector) != GSL_SUCCESS) {
                /* the new row is dependent on the passive ones: drop it from the search */
                in[P[--np]] = 2;
                break;
            }
            int all_pos = 1;
            for (size_t a = 0; a < np; a++) {
                z[P[a]] = rhs[a];
                all_pos &= rhs[a] > 0.0;
            }
            if (all_pos) {
                for (size_t a = 0; a < np; a++)
                    lam[P[a]] = z[P[a]];
                break;
            }
            double alpha = INFINITY;
            for (size_t a = 0; a < np; a++) {
                size_t i = P[a];
                if (z[i] <= 0.0) {
                    double t = lam[i] / (lam[i] - z[i]);
                    alpha = t < alpha ? t : alpha;
                }
            }
            for (size_t a = 0; a < np; a++) {
                size_t i = P[a];
                lam[i] += alpha * (z[i] - lam[i]);
            }
            size_t keep = 0;
            for (size_t a = 0; a < np; a++) {
                size_t i = P[a];
                if (lam[i] <= 1e-15) {
                    lam[i] = 0.0;
                    in[i] = 0;
                } else {
                    P[keep++] = i;
                }
            }
            np = keep;
            if (np == 0)
                break;
        }
    }
    for (size_t q = 0; q < k; q++)
        d[q] = s[q];
    for (size_t i = 0; i < nr; i++)
        if (lam[i] != 0.0)
            for (size_t q = 0; q < k; q++)
                d[q] += lam[i] * A[i * k + q];
    res = 0.0;
    for (size_t q = 0; q < k; q++)
        res += d[q] * d[q];
    res = sqrt(res);
out:
    free(lam);
    free(z);
    free(g);
    free(P);
    free(in);
    free(N);
    free(rhs);
    return res;
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
    double snorm = 0.0;
    for (size_t q = 0; q < k; q++) {
        scale[q] = scale[q] > 0.0 ? 1.0 / scale[q] : 1.0;
        s[q] *= scale[q];
        snorm += s[q] * s[q];
    }
    snorm = sqrt(snorm);
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
        double res = cone_test(lp, nr, k, s, dir);
        if (isnan(res)) {
            st = mql_err_set(err, MQL_ENOMEM, "separation check: out of memory");
            goto done;
        }
        if (res <= 1e-9 * (1.0 + snorm))
            break;                      /* -s is in the rows' cone: not separated */
        for (size_t q = 0; q < k; q++)
            dir[q] /= res;
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
