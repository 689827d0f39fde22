/* xwx_dense.c: a dense chunk's share of an IRLS pass (xwx_dense.h). The chunk is column-major,
 * so shifting and scaling run down contiguous columns and the BLAS reads the chunk as it lies,
 * with no transpose anywhere between the table's columns and the sums. */
#include "mqlcal/xwx_dense.h"

#include <math.h>
#include <string.h>

#include <gsl/gsl_cblas.h>

#ifdef __SSE2__
#include <emmintrin.h>
#endif

void mql_xwx_dense_eta(const double *x, size_t m, size_t p, size_t ld, const double *beta,
                       double *eta)
{
    cblas_dgemv(CblasColMajor, CblasNoTrans, (int)m, (int)p, 1.0, x, (int)ld, beta, 1, 0.0, eta,
                1);
}

void mql_xwx_dense_add(double *x, size_t m, size_t p, size_t ld, const double *c,
                       const double *s, const double *wz, double *a, double *b)
{
    /* four rows a step: gcc's -O2 vectorises this form (same values as one at a time) */
    for (size_t j = 0; j < p; j++) {
        double *xj = x + j * ld;
        const double cj = c[j];
        size_t r = 0;
        for (; r + 4 <= m; r += 4) {
            double a0 = (xj[r] - cj) * s[r], a1 = (xj[r + 1] - cj) * s[r + 1];
            double a2 = (xj[r + 2] - cj) * s[r + 2], a3 = (xj[r + 3] - cj) * s[r + 3];
            xj[r] = a0;
            xj[r + 1] = a1;
            xj[r + 2] = a2;
            xj[r + 3] = a3;
        }
        for (; r < m; r++)
            xj[r] = (xj[r] - cj) * s[r];
    }
    mql_xwx_dense_gram(x, m, p, ld, a);
    cblas_dgemv(CblasColMajor, CblasTrans, (int)m, (int)p, 1.0, x, (int)ld, wz, 1, 1.0, b, 1);
}

/* ================================================================ sqrt(W) of common rows === */

void mql_xwx_root_weights_scalar(size_t m, const double *y, const double *mu, double *me,
                                 double *s, double *wz)
{
    for (size_t r = 0; r < m; r++) {
        double sr = sqrt(me[r]);
        me[r] = y[r] == 0.0 ? 1.0 - mu[r] : mu[r];
        wz[r] = sr * wz[r];
        s[r] = sr;
    }
}

/* Two rows a step with SSE2 (the x86-64 baseline): gcc does not vectorise sqrt under errno's
 * rules, and the scalar square root was the pass's largest cost outside the BLAS, exp and log
 * in profiles. sqrtpd rounds each lane as sqrtsd does (IEEE's correctly rounded square root),
 * and the pick of 1 - mu or mu is the scalar comparison's (-0.0 == 0.0 included), so every
 * value is mql_xwx_root_weights_scalar's; the unit test holds them to that. */
void mql_xwx_root_weights(size_t m, const double *y, const double *mu, double *me, double *s,
                          double *wz)
{
    size_t r = 0;
#ifdef __SSE2__
    const __m128d one = _mm_set1_pd(1.0), zero = _mm_setzero_pd();
    for (; r + 2 <= m; r += 2) {
        __m128d sr = _mm_sqrt_pd(_mm_loadu_pd(me + r));
        __m128d mu2 = _mm_loadu_pd(mu + r), is0 = _mm_cmpeq_pd(_mm_loadu_pd(y + r), zero);
        __m128d arg = _mm_or_pd(_mm_and_pd(is0, _mm_sub_pd(one, mu2)), _mm_andnot_pd(is0, mu2));
        _mm_storeu_pd(me + r, arg);
        _mm_storeu_pd(wz + r, _mm_mul_pd(sr, _mm_loadu_pd(wz + r)));
        _mm_storeu_pd(s + r, sr);
    }
#endif
    mql_xwx_root_weights_scalar(m - r, y + r, mu + r, me + r, s + r, wz + r);
}

/* ================================================================ X'X's upper triangle ==== */

/* The Gram kernel below replaces dsyrk for a chunk of 4,096 rows and up to GRAM_MAX_P columns.
 * OpenBLAS computes dsyrk's diagonal blocks whole and packs the chunk first; for p = 21 that is
 * about twice the arithmetic the triangle needs. Here each entry is a dot product down two
 * contiguous columns, formed in register blocks (one group of four columns against itself, or
 * against one or two further columns), so that a column loaded once serves four to eight
 * products.
 *
 * The order of every sum is fixed: four lanes per entry (lane k adds rows k, k + 4, k + 8, ...
 * of the whole quads of rows, each product rounded before it is added), then (lane 0 + lane 1)
 * + (lane 2 + lane 3), then the last m % 4 rows one by one, and last the sum is added to a. The
 * same source is compiled twice: for the baseline (SSE2 on x86-64, where gcc splits each
 * four-lane operation in two) and for AVX (which has no fused multiply-add), taken when the CPU
 * has it. Lane-wise operations round alike in both, so the two give the same bits; the unit
 * test holds them to that. */

/* Up to this many columns the kernel beats dsyrk on a 4,096-row chunk (4096 x 21: 0.06 ms
 * against 0.10; 33 columns: 0.14 against 0.19; 41: 0.25 against 0.29; 49: even). Each block
 * reads its columns down the whole chunk, so once the chunk outgrows the L2 cache (1 MB here:
 * 32 columns) the kernel waits on memory and dsyrk's packing pays for itself. */
#define GRAM_MAX_P 40

typedef double gram_v4 __attribute__((vector_size(32)));

#define GRAM_INLINE static inline __attribute__((always_inline))

/* Four rows of column x from row r (x + r need not be aligned). */
#define GRAM_LOAD(v, x, r) gram_v4 v; memcpy(&v, (x) + (r), sizeof v)
#define GRAM_LANES(v) (((v)[0] + (v)[1]) + ((v)[2] + (v)[3]))

/* The ten products of columns xa[0..3] with each other (u <= v, by u then v) over the first m4
 * rows (a multiple of 4), each reduced over its lanes. */
GRAM_INLINE void gram_tri4(const double *const xa[4], size_t m4, double out[10])
{
    gram_v4 c00 = {0}, c01 = {0}, c02 = {0}, c03 = {0}, c11 = {0}, c12 = {0}, c13 = {0};
    gram_v4 c22 = {0}, c23 = {0}, c33 = {0};
    for (size_t r = 0; r < m4; r += 4) {
        GRAM_LOAD(a0, xa[0], r);
        GRAM_LOAD(a1, xa[1], r);
        GRAM_LOAD(a2, xa[2], r);
        GRAM_LOAD(a3, xa[3], r);
        c00 += a0 * a0;
        c01 += a0 * a1;
        c02 += a0 * a2;
        c03 += a0 * a3;
        c11 += a1 * a1;
        c12 += a1 * a2;
        c13 += a1 * a3;
        c22 += a2 * a2;
        c23 += a2 * a3;
        c33 += a3 * a3;
    }
    out[0] = GRAM_LANES(c00);
    out[1] = GRAM_LANES(c01);
    out[2] = GRAM_LANES(c02);
    out[3] = GRAM_LANES(c03);
    out[4] = GRAM_LANES(c11);
    out[5] = GRAM_LANES(c12);
    out[6] = GRAM_LANES(c13);
    out[7] = GRAM_LANES(c22);
    out[8] = GRAM_LANES(c23);
    out[9] = GRAM_LANES(c33);
}

/* The products of columns xa[0..3] with columns xb and xc (out[2 u] with xb, out[2 u + 1] with
 * xc), as gram_tri4. */
GRAM_INLINE void gram_4x2(const double *const xa[4], const double *xb, const double *xc,
                          size_t m4, double out[8])
{
    gram_v4 c0b = {0}, c0c = {0}, c1b = {0}, c1c = {0}, c2b = {0}, c2c = {0}, c3b = {0};
    gram_v4 c3c = {0};
    for (size_t r = 0; r < m4; r += 4) {
        GRAM_LOAD(b, xb, r);
        GRAM_LOAD(c, xc, r);
        GRAM_LOAD(a0, xa[0], r);
        GRAM_LOAD(a1, xa[1], r);
        GRAM_LOAD(a2, xa[2], r);
        GRAM_LOAD(a3, xa[3], r);
        c0b += a0 * b;
        c0c += a0 * c;
        c1b += a1 * b;
        c1c += a1 * c;
        c2b += a2 * b;
        c2c += a2 * c;
        c3b += a3 * b;
        c3c += a3 * c;
    }
    out[0] = GRAM_LANES(c0b);
    out[1] = GRAM_LANES(c0c);
    out[2] = GRAM_LANES(c1b);
    out[3] = GRAM_LANES(c1c);
    out[4] = GRAM_LANES(c2b);
    out[5] = GRAM_LANES(c2c);
    out[6] = GRAM_LANES(c3b);
    out[7] = GRAM_LANES(c3c);
}

/* The products of columns xa[0..3] with column xb, as gram_tri4. */
GRAM_INLINE void gram_4x1(const double *const xa[4], const double *xb, size_t m4, double out[4])
{
    gram_v4 c0 = {0}, c1 = {0}, c2 = {0}, c3 = {0};
    for (size_t r = 0; r < m4; r += 4) {
        GRAM_LOAD(b, xb, r);
        GRAM_LOAD(a0, xa[0], r);
        GRAM_LOAD(a1, xa[1], r);
        GRAM_LOAD(a2, xa[2], r);
        GRAM_LOAD(a3, xa[3], r);
        c0 += a0 * b;
        c1 += a1 * b;
        c2 += a2 * b;
        c3 += a3 * b;
    }
    out[0] = GRAM_LANES(c0);
    out[1] = GRAM_LANES(c1);
    out[2] = GRAM_LANES(c2);
    out[3] = GRAM_LANES(c3);
}

/* Adds to a[j p + i] (j <= i, columns j and i of x) the quads' sum v and the rows m4..m-1. */
GRAM_INLINE void gram_put(const double *x, size_t m4, size_t m, size_t p, size_t ld, size_t j,
                          size_t i, double v, double *a)
{
    const double *xj = x + j * ld, *xi = x + i * ld;
    for (size_t r = m4; r < m; r++)
        v += xj[r] * xi[r];
    a[j * p + i] += v;
}

/* The triangle in groups of four columns: each group against itself (gram_tri4), then against
 * the columns after it two at a time. The last p % 4 columns form a group padded with copies
 * of its last column, whose products are computed and dropped. */
GRAM_INLINE void gram_body(const double *x, size_t m, size_t p, size_t ld, double *a)
{
    size_t m4 = m - m % 4;
    double out[10];
    for (size_t jb = 0; jb < p; jb += 4) {
        size_t nj = p - jb < 4 ? p - jb : 4;
        const double *xa[4];
        for (size_t u = 0; u < 4; u++)
            xa[u] = x + (jb + (u < nj ? u : nj - 1)) * ld;
        gram_tri4(xa, m4, out);
        for (size_t u = 0, k = 0; u < 4; u++)
            for (size_t v = u; v < 4; v++, k++)
                if (v < nj)
                    gram_put(x, m4, m, p, ld, jb + u, jb + v, out[k], a);
        size_t i = jb + 4;
        for (; i + 2 <= p; i += 2) {
            gram_4x2(xa, x + i * ld, x + (i + 1) * ld, m4, out);
            for (size_t u = 0; u < 4; u++) {
                gram_put(x, m4, m, p, ld, jb + u, i, out[2 * u], a);
                gram_put(x, m4, m, p, ld, jb + u, i + 1, out[2 * u + 1], a);
            }
        }
        if (i < p) {
            gram_4x1(xa, x + i * ld, m4, out);
            for (size_t u = 0; u < 4; u++)
                gram_put(x, m4, m, p, ld, jb + u, i, out[u], a);
        }
    }
}

void mql_xwx_dense_gram_baseline(const double *x, size_t m, size_t p, size_t ld, double *a)
{
    gram_body(x, m, p, ld, a);
}

#if defined(__x86_64__) || defined(__i386__)
__attribute__((target("avx"))) static void gram_avx(const double *x, size_t m, size_t p,
                                                    size_t ld, double *a)
{
    gram_body(x, m, p, ld, a);
}
#endif

/* The CPU is asked on every call: __builtin_cpu_supports reads what libgcc's constructor noted
 * at start-up (a load and a test per 4,096-row chunk), so no state is shared between threads. */
void mql_xwx_dense_gram(const double *x, size_t m, size_t p, size_t ld, double *a)
{
    if (p > GRAM_MAX_P) {
        /* column-major lower = row-major upper */
        cblas_dsyrk(CblasColMajor, CblasLower, CblasTrans, (int)p, (int)m, 1.0, x, (int)ld, 1.0,
                    a, (int)p);
        return;
    }
#if defined(__x86_64__) || defined(__i386__)
    if (__builtin_cpu_supports("avx")) {
        gram_avx(x, m, p, ld, a);
        return;
    }
#endif
    gram_body(x, m, p, ld, a);
}
