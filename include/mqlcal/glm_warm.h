/* glm_warm.h: the warm start of large IRLS fits (glm_warm.c), for glm.c's mql_glm_fit, and the
 * subsample gathering it shares with Firth's warm start (firth.c). */
#ifndef MQLCAL_GLM_WARM_H
#define MQLCAL_GLM_WARM_H

#include <stddef.h>
#include "mqlcal/glm.h"

/* m rows of a design held column-major (row r of column j at x[j * m + r]): the data of a fit
 * on a subsample gathered once (ctx of the two callbacks below). */
typedef struct mql_glm_rows {
    size_t m, p;
    const double *x;
} mql_glm_rows;

/* mql_glm_data.fill and .fill_cols over an mql_glm_rows. */
int mql_glm_rows_fill(void *ctx, size_t row0, size_t m, double *x, mql_err *err);
int mql_glm_rows_fill_cols(void *ctx, size_t row0, size_t m, size_t step, double *x, size_t ld,
                           mql_err *err);

/* Gathers m rows of d, every k-th from row off, into x column-major (leading dimension m):
 * through d->fill_cols (the upper half of the rows on a second thread from 8,192 rows), else
 * d->fill's rows one at a time. Returns the fill callback's status. */
int mql_glm_gather_rows(const mql_glm_data *d, size_t off, size_t k, size_t m, double *x,
                        mql_err *err);

/* mql_glm_fit's workspace (glm.c), opaque here: mql_glm_work_alloc gives one for dense passes
 * over d on nthreads threads (NULL when out of memory or nthreads is not 1..16), which
 * mql_glm_work_free frees (NULL-safe). */
struct mql_glm_work;
struct mql_glm_work *mql_glm_work_alloc(const mql_glm_data *d, size_t nthreads);
void mql_glm_work_free(struct mql_glm_work *ws);

/* mql_glm_fit, whose dense passes may use the chunk buffers of lend (NULL: none), the
 * workspace of a fit that runs no pass until this call returns; the same results as
 * mql_glm_fit. The warm start's subsample fit takes its caller's. */
int mql_glm_fit_lent(const mql_glm_data *d, const mql_glm_opts *o,
                     const struct mql_glm_work *lend, mql_glm_result **out, mql_err *err);

/* Fits every k-th row of d (k = n / o->warm_rows) and writes the coefficients, in the shifted
 * parametrisation (columns centred on shift, shift[0] = 0), to beta (p). cx: the coded layout
 * mql_glm_fit's passes read, or NULL for dense rows. scratch: n_scratch doubles the caller
 * overwrites afterwards (NULL: none), which the dense subsample uses when it fits in them
 * (m (p + 2) doubles). lend: the caller's workspace, lent to the subsample fit
 * (mql_glm_fit_lent), or NULL. Returns the subsample fit's iteration count, or 0 when it gives
 * no usable start (beta then unspecified). */
int mql_glm_warm_start(const mql_glm_data *d, const mql_glm_opts *o, const mql_glm_coded *cx,
                       const double *shift, double *scratch, size_t n_scratch,
                       const struct mql_glm_work *lend, double *beta);

#endif
