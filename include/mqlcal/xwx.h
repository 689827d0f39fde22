/* xwx.h: one IRLS pass's X'WX and X'Wz from a design's coded layout (glm.h's mql_glm_coded):
 * the 0/1 columns of coded features as per-level sums of the weights, BLAS only for the few
 * dense columns. glm.c uses it for the plain IRLS passes; see docs/DESIGN-NOTES.md. */
#ifndef MQLCAL_XWX_H
#define MQLCAL_XWX_H

#include <stddef.h>
#include <stdint.h>

/* The sums of one pass (opaque): rows are gathered by their tuple of slot columns (a lead
 * file has a few thousand distinct tuples), each tuple's weights summed, and the tuples spread
 * into the per-column and per-pair sums when the pass ends; a part of the data with too many
 * distinct tuples is summed row by row instead. */
typedef struct mql_xwx mql_xwx;

/* Accumulators for n_rows rows (a thread's part of the data, rows 0..n_rows-1 below) of a
 * p-column design with k coded slots per row and md dense columns (dense[] is copied). Returns
 * NULL when out of memory. Free with mql_xwx_free (NULL-safe). */
mql_xwx *mql_xwx_new(size_t p, size_t k, size_t md, const size_t *dense, size_t n_rows);
void mql_xwx_free(mql_xwx *a);

/* Starts a pass: zeroes every sum; beta (p + 1 coefficients on the unshifted columns, the last
 * 0 for "no column"; NULL when the pass computes no eta) is what mql_xwx_eta will be asked
 * for. */
void mql_xwx_begin(mql_xwx *a, const double *beta);

/* 1 when a complete pass has noted every row's tuple: mql_xwx_eta and mql_xwx_add then take
 * idx NULL (the fill need not write the slots); 0 when they need idx. */
int mql_xwx_indexed(const mql_xwx *a);

/* eta = X beta for rows [r0, r0 + m): xd (m x md) the dense values, idx (m x k) the slots or
 * NULL when indexed, beta as given to mql_xwx_begin. */
void mql_xwx_eta(const mql_xwx *a, size_t r0, size_t m, const uint32_t *idx, const double *xd,
                 const double *beta, double *eta);

/* Adds rows [r0, r0 + m), each pass's rows in the same order: idx (m x k, row-major) holds each
 * slot's design column with value 1, or p for none (NULL when indexed); xd (m x md) the dense
 * columns' values, overwritten with sqrt(W) (x - c); s (m) sqrt(W) of each row (0: the row adds
 * nothing); wz (m) sqrt(W) z; c (p) the column shifts. A coded column must come from one slot
 * only and never be dense. */
void mql_xwx_add(mql_xwx *a, size_t r0, size_t m, const uint32_t *idx, double *xd,
                 const double *s, const double *wz, const double *c);

/* Writes the sums as the p x p matrix (X - 1c')' W (X - 1c') (upper triangle, row-major, the
 * lower triangle zeroed) to A and (X - 1c')' W z to b, as glm.c's dense pass forms them. When
 * any c_j is non-zero, dense[0] must be column 0 and hold 1 on every row (the intercept), with
 * c_0 = 0: its sums give sum W and sum W z. */
void mql_xwx_assemble(mql_xwx *a, const double *c, double *A, double *b);

#endif
