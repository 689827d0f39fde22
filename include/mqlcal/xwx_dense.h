/* xwx_dense.h: one IRLS chunk's share of eta, X'WX and X'Wz from dense rows held column-major
 * (glm.h's mql_glm_fill_cols_fn), as glm.c's dense passes form them; xwx.h does the same from
 * the coded layout. */
#ifndef MQLCAL_XWX_DENSE_H
#define MQLCAL_XWX_DENSE_H

#include <stddef.h>

/* eta = X beta for an m x p chunk x, column-major with leading dimension ld >= m (column j of
 * row r at x[j * ld + r]); beta has p entries (none NaN). */
void mql_xwx_dense_eta(const double *x, size_t m, size_t p, size_t ld, const double *beta,
                       double *eta);

/* Overwrites x (as above) with sqrt(W) (x - c) row by row (s: m values sqrt(W), 0 for a row
 * that adds nothing; c: p column shifts, c[0] = 0 for the intercept) and adds
 * (X - 1c)' W (X - 1c) to the upper triangle of the row-major p x p matrix a (its lower
 * triangle is not touched) and (X - 1c)' W z to b, with wz (m) holding sqrt(W) z. */
void mql_xwx_dense_add(double *x, size_t m, size_t p, size_t ld, const double *c,
                       const double *s, const double *wz, double *a, double *b);

/* The weights of m common rows (weight 1, y 0 or 1, |eta| <= 30), for either layout's passes:
 * s = sqrt(me) (me: mu.eta = W there), wz = s wz (wz: z on entry), and me then holds the
 * argument of the unit deviance's log, 1 - mu for y = 0 and mu otherwise. The arrays do not
 * overlap. mql_xwx_root_weights_scalar: the same one row at a time, for the unit test that holds
 * the two to the same bits. */
void mql_xwx_root_weights(size_t m, const double *y, const double *mu, double *me, double *s,
                          double *wz);
void mql_xwx_root_weights_scalar(size_t m, const double *y, const double *mu, double *me,
                                 double *s, double *wz);

/* Adds X'X to the upper triangle of the row-major p x p matrix a (a[j p + i] for j <= i; the
 * rest is not touched) for an m x p chunk x laid out as above: what dsyrk would add. Up to 40
 * columns the sums run in one fixed order (xwx_dense.c), the same bits whichever code path the
 * CPU takes; above that this is dsyrk, whose order depends on OpenBLAS's kernel. */
void mql_xwx_dense_gram(const double *x, size_t m, size_t p, size_t ld, double *a);

/* The fixed-order sums (any p) by the code compiled for the baseline instruction set only,
 * whatever the CPU offers: for the unit test that holds the two paths to the same bits. */
void mql_xwx_dense_gram_baseline(const double *x, size_t m, size_t p, size_t ld, double *a);

#endif
