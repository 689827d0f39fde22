/* glm_warm.h: the warm start of large IRLS fits (glm_warm.c), for glm.c's mql_glm_fit. */
#ifndef MQLCAL_GLM_WARM_H
#define MQLCAL_GLM_WARM_H

#include <stddef.h>
#include "mqlcal/glm.h"

/* Fits every k-th row of d (k = n / o->warm_rows) and writes the coefficients, in the shifted
 * parametrisation (columns centred on shift, shift[0] = 0), to beta (p). cx: the coded layout
 * mql_glm_fit's passes read, or NULL for dense rows. scratch: n_scratch doubles the caller
 * overwrites afterwards (NULL: none), which the dense subsample uses when it fits in them
 * (m (p + 2) doubles). Returns the subsample fit's iteration count, or 0 when it gives no
 * usable start (beta then unspecified). */
int mql_glm_warm_start(const mql_glm_data *d, const mql_glm_opts *o, const mql_glm_coded *cx,
                       const double *shift, double *scratch, size_t n_scratch, double *beta);

#endif
