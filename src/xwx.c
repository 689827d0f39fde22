/* xwx.c: X'WX and X'Wz of one IRLS pass from per-level sums (xwx.h). A coded slot puts a 1 in at
 * most one design column per row, so its share of X'WX is sums of W over the rows where a
 * column (or a pair of columns) is 1. Rows with the same tuple of slot columns add the same
 * pairs, so they are first summed per tuple (a hash table keyed on the tuple) and each tuple
 * adds its k (k + 1) / 2 pairs once at the end of the pass; a row then costs a hash lookup and
 * md + 2 additions instead of the p (p + 1) / 2 products of a dense row. The first pass also
 * notes each row's tuple (2 bytes a row), so later passes need neither the slots nor the hash:
 * a row's coded share of eta is its tuple's, and its sums go to its tuple's. */
#include "mqlcal/xwx.h"

#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_cblas.h>

#define TUPLE_BYTES ((size_t)4 << 20)   /* the tuple table's keys and sums, at most */
#define TUPLES_MAX 16384                /* ids fit in 16 bits */

/* Sums over rows, W the IRLS weight of a row, c the column shifts (glm.c centres every
 * non-intercept column on c so X'WX stays well conditioned), column index p standing for "no
 * column" (its sums are kept and ignored, so the loops need no test):
 *   dd[a][b]  sum W (x_a - c_a)(x_b - c_b) over dense columns a <= b (upper triangle)
 *   cd[j][a]  sum W (x_a - c_a) over rows whose coded column j is 1
 *   cc[j][l]  sum W over rows where j is 1 in an earlier slot than l; cc[j][j]: rows with j
 *   bd[a]     sum W z (x_a - c_a)
 *   bc[j]     sum W z over rows with j
 * Tuple e (key[e * k ..]) holds sum W, sum W z and sum W (x_a - c_a) in val[e * (md + 2) ..]
 * until mql_xwx_assemble (or a full table) spreads it into cd, cc and bc. */
struct mql_xwx {
    size_t p, k, md;
    size_t *dense;             /* md design columns of the dense values, increasing */
    long *dpos;                /* p: position of each column in dense[], -1 for coded ones */
    double *dd, *cd, *cc, *bd, *bc;
    double *cdense;            /* md: the dense columns' shifts, scratch of mql_xwx_add */
    double *wx;                /* md: a row's W (x - c), scratch of mql_xwx_add */
    size_t cap, mask;          /* tuples before a spread; hash slots - 1 (a power of two - 1) */
    uint32_t *slot;            /* mask + 1 hash slots: tuple index + 1, 0 = empty */
    uint32_t *key;             /* cap x k */
    double *val;               /* cap x (md + 2) */
    size_t used;
    int direct;                /* 1: rows add their pairs themselves (too many distinct tuples) */
    uint16_t *id;              /* n_rows: each row's tuple, once indexed (NULL when direct) */
    size_t n_rows, n_indexed;  /* rows of this part; rows whose tuple the first pass noted */
    int indexed;               /* 1: id[] is complete, passes read it instead of the slots */
    double *etat;              /* cap: each tuple's sum of coefficients (indexed passes) */
};

void mql_xwx_free(mql_xwx *a)
{
    if (!a)
        return;
    free(a->dense);
    free(a->dpos);
    free(a->dd);
    free(a->cd);
    free(a->cc);
    free(a->bd);
    free(a->bc);
    free(a->cdense);
    free(a->wx);
    free(a->slot);
    free(a->key);
    free(a->val);
    free(a->id);
    free(a->etat);
    free(a);
}

mql_xwx *mql_xwx_new(size_t p, size_t k, size_t md, const size_t *dense, size_t n_rows)
{
    mql_xwx *a = calloc(1, sizeof *a);
    if (!a)
        return NULL;
    size_t P = p + 1, m1 = md ? md : 1;
    a->p = p;
    a->k = k;
    a->md = md;
    a->cap = TUPLES_MAX;
    while (a->cap > 64 && a->cap * (k * sizeof *a->key + (md + 2) * sizeof *a->val) > TUPLE_BYTES)
        a->cap /= 2;
    a->mask = 2 * a->cap - 1;
    a->dense = malloc(m1 * sizeof *a->dense);
    a->dpos = malloc(p * sizeof *a->dpos);
    a->dd = malloc(m1 * m1 * sizeof *a->dd);
    a->cd = malloc(P * m1 * sizeof *a->cd);
    a->cc = malloc(P * P * sizeof *a->cc);
    a->bd = malloc(m1 * sizeof *a->bd);
    a->bc = malloc(P * sizeof *a->bc);
    a->cdense = malloc(m1 * sizeof *a->cdense);
    a->wx = malloc(m1 * sizeof *a->wx);
    a->slot = calloc(a->mask + 1, sizeof *a->slot);
    a->key = malloc(a->cap * (k ? k : 1) * sizeof *a->key);
    a->val = malloc(a->cap * (md + 2) * sizeof *a->val);
    a->etat = malloc(a->cap * sizeof *a->etat);
    a->n_rows = n_rows;
    a->id = malloc((n_rows ? n_rows : 1) * sizeof *a->id);
    if (!a->etat || !a->id || !a->dense || !a->dpos || !a->dd || !a->cd || !a->cc || !a->bd ||
        !a->bc || !a->cdense || !a->wx || !a->slot || !a->key || !a->val) {
        mql_xwx_free(a);
        return NULL;
    }
    for (size_t j = 0; j < p; j++)
        a->dpos[j] = -1;
    for (size_t i = 0; i < md; i++) {
        a->dense[i] = dense[i];
        if (dense[i] < p)
            a->dpos[dense[i]] = (long)i;
    }
    mql_xwx_begin(a, NULL);
    return a;
}

void mql_xwx_begin(mql_xwx *a, const double *beta)
{
    size_t P = a->p + 1, m1 = a->md ? a->md : 1;
    memset(a->dd, 0, m1 * m1 * sizeof *a->dd);
    memset(a->cd, 0, P * m1 * sizeof *a->cd);
    memset(a->cc, 0, P * P * sizeof *a->cc);
    memset(a->bd, 0, m1 * sizeof *a->bd);
    memset(a->bc, 0, P * sizeof *a->bc);
    size_t k = a->k;
    memset(a->val, 0, a->used * (a->md + 2) * sizeof *a->val);
    for (size_t e = 0; beta && a->indexed && e < a->used; e++) {
        double v = 0.0;
        for (size_t i = 0; i < k; i++)
            v += beta[a->key[e * k + i]];
        a->etat[e] = v;
    }
}

int mql_xwx_indexed(const mql_xwx *a)
{
    return a->indexed;
}

void mql_xwx_eta(const mql_xwx *a, size_t r0, size_t m, const uint32_t *idx, const double *xd,
                 const double *beta, double *eta)
{
    size_t k = a->k, md = a->md;
    for (size_t r = 0; r < m; r++) {
        double e = 0.0;
        for (size_t d = 0; d < md; d++)
            e += xd[r * md + d] * beta[a->dense[d]];
        if (a->indexed)
            e += a->etat[a->id[r0 + r]];
        else
            for (size_t i = 0; i < k; i++)
                e += beta[idx[r * k + i]];
        eta[r] = e;
    }
}

/* One row's (or tuple's) share: W = w, W z = wz, W (x - c) = wx[0..md). */
static void add_pairs(mql_xwx *a, const uint32_t *ir, double w, double wz, const double *wx)
{
    size_t k = a->k, md = a->md, P = a->p + 1;
    for (size_t i = 0; i < k; i++) {
        size_t j = ir[i];
        double *restrict u = a->cd + j * md;
        for (size_t d = 0; d < md; d++)
            u[d] += wx[d];
        a->bc[j] += wz;
        double *restrict cj = a->cc + j * P;
        cj[j] += w;
        for (size_t l = i + 1; l < k; l++)
            cj[ir[l]] += w;
    }
}

/* Spreads the tuples' sums into the per-column sums. */
static void spread(mql_xwx *a)
{
    size_t k = a->k, v = a->md + 2;
    for (size_t e = 0; e < a->used; e++)
        add_pairs(a, a->key + e * k, a->val[e * v], a->val[e * v + 1], a->val + e * v + 2);
}

/* More distinct tuples than the table holds: spread what it has and sum row by row from now
 * on (this part, every pass). */
static void go_direct(mql_xwx *a)
{
    spread(a);
    a->direct = 1;
    a->used = 0;
    free(a->id);
    a->id = NULL;
}

static uint64_t tuple_hash(const uint32_t *ir, size_t k)
{
    uint64_t h = 0x243f6a8885a308d3u;
    for (size_t i = 0; i < k; i++)
        h = (h ^ ir[i]) * 0x9e3779b97f4a7c15u;
    return h ^ (h >> 29);
}

/* The index of tuple ir (a new entry with zero sums when unseen), or -1 when the table is full. */
static long tuple_of(mql_xwx *a, const uint32_t *ir)
{
    size_t k = a->k, v = a->md + 2;
    size_t h = (size_t)tuple_hash(ir, k) & a->mask;
    for (;;) {
        uint32_t e = a->slot[h];
        if (e == 0)
            break;
        const uint32_t *key = a->key + (size_t)(e - 1) * k;
        uint32_t diff = 0;
        for (size_t i = 0; i < k; i++)
            diff |= key[i] ^ ir[i];
        if (diff == 0)
            return (long)e - 1;
        h = (h + 1) & a->mask;
    }
    if (a->used == a->cap)
        return -1;
    size_t e = a->used++;
    a->slot[h] = (uint32_t)(e + 1);
    memcpy(a->key + e * k, ir, k * sizeof *ir);
    memset(a->val + e * v, 0, v * sizeof *a->val);
    return (long)e;
}

void mql_xwx_add(mql_xwx *a, size_t r0, size_t m, const uint32_t *idx, double *xd,
                 const double *s, const double *wz, const double *c)
{
    size_t k = a->k, md = a->md, v = md + 2;
    double *restrict cdn = a->cdense;
    for (size_t d = 0; d < md; d++)
        cdn[d] = c[a->dense[d]];
    double *restrict wx = a->wx;
    for (size_t r = 0; r < m; r++) {
        double sr = s[r];
        double *restrict xr = xd + r * md;
        for (size_t d = 0; d < md; d++)
            xr[d] = (xr[d] - cdn[d]) * sr;
        long e = -1;
        if (a->indexed) {
            e = a->id[r0 + r];
        } else if (!a->direct) {
            /* every row gets its tuple, weighted or not, so eta is the tuple's on every row */
            if ((e = tuple_of(a, idx + r * k)) < 0)
                go_direct(a);
            else
                a->id[r0 + r] = (uint16_t)e;
        }
        if (sr == 0.0)
            continue;
        double w = sr * sr, wzr = sr * wz[r];
        if (e >= 0) {
            double *restrict sv = a->val + (size_t)e * v;
            sv[0] += w;
            sv[1] += wzr;
            for (size_t d = 0; d < md; d++)
                sv[2 + d] += sr * xr[d];
            continue;
        }
        for (size_t d = 0; d < md; d++)
            wx[d] = sr * xr[d];
        add_pairs(a, idx + r * k, w, wzr, wx);
    }
    if (!a->indexed && !a->direct && (a->n_indexed += m) == a->n_rows)
        a->indexed = 1;   /* takes effect at the next pass, whose begin computes etat */
    if (md) {
        cblas_dsyrk(CblasRowMajor, CblasUpper, CblasTrans, (int)md, (int)m, 1.0, xd, (int)md, 1.0,
                    a->dd, (int)md);
        cblas_dgemv(CblasRowMajor, CblasTrans, (int)m, (int)md, 1.0, xd, (int)md, wz, 1, 1.0,
                    a->bd, 1);
    }
}

/* The shifted sums from the raw ones, with S_j = sum W x_j, S_jl = sum W x_j x_l (0/1 columns)
 * and S_0 = sum W (the intercept's dd[0][0]; dd[0][a] = sum W (x_a - c_a), bd[0] = sum W z):
 *   coded j, l:        S_jl - c_l S_j - c_j S_l + c_j c_l S_0,
 *   coded j:           (1 - c_j)^2 S_j + c_j^2 (S_0 - S_j)   (the same, in non-negative parts),
 *   coded j, dense a:  cd[j][a] - c_j dd[0][a],     b_j = bc[j] - c_j bd[0]. */
void mql_xwx_assemble(mql_xwx *a, const double *c, double *A, double *b)
{
    spread(a);
    size_t p = a->p, md = a->md, P = p + 1;
    memset(A, 0, p * p * sizeof *A);
    double s0 = md ? a->dd[0] : 0.0, b0 = md ? a->bd[0] : 0.0;
    for (size_t i = 0; i < md; i++) {
        for (size_t i2 = i; i2 < md; i2++)
            A[a->dense[i] * p + a->dense[i2]] = a->dd[i * md + i2];
        b[a->dense[i]] = a->bd[i];
    }
    for (size_t j = 0; j < p; j++) {
        if (a->dpos[j] >= 0)
            continue;
        double cj = c[j], sj = a->cc[j * P + j];
        for (size_t i = 0; i < md; i++) {
            size_t d = a->dense[i];
            double v = a->cd[j * md + i] - cj * a->dd[i];
            A[j < d ? j * p + d : d * p + j] = v;
        }
        A[j * p + j] = (1.0 - cj) * (1.0 - cj) * sj + cj * cj * (s0 - sj);
        for (size_t l = j + 1; l < p; l++) {
            if (a->dpos[l] >= 0)
                continue;
            double sjl = a->cc[j * P + l] + a->cc[l * P + j], sl = a->cc[l * P + l];
            A[j * p + l] = sjl - c[l] * sj - cj * sl + cj * c[l] * s0;
        }
        b[j] = a->bc[j] - cj * b0;
    }
}
