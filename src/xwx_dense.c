/* xwx_dense.c: a dense chunk's share of an IRLS pass (xwx_dense.h). The chunk is column-major,
 * so shifting and scaling run down contiguous columns and the BLAS reads the chunk as it lies,
 * with no transpose anywhere between the table's columns and dsyrk. */
#include "mqlcal/xwx_dense.h"

#include <gsl/gsl_cblas.h>

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
    /* column-major lower = row-major upper */
    cblas_dsyrk(CblasColMajor, CblasLower, CblasTrans, (int)p, (int)m, 1.0, x, (int)ld, 1.0, a,
                (int)p);
    cblas_dgemv(CblasColMajor, CblasTrans, (int)m, (int)p, 1.0, x, (int)ld, wz, 1, 1.0, b, 1);
}
