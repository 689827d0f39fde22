/* evaluate_scored.h: the scored-set helpers evaluate.c (scored set, summary, measures),
 * evaluate_compare.c (comparison) and evaluate_runs.c (out-of-sample runs) share; not part of
 * the library's interface. */
#ifndef MQLCAL_SRC_EVALUATE_SCORED_H
#define MQLCAL_SRC_EVALUATE_SCORED_H

#include <stddef.h>

#include "mqlcal/common.h"
#include "mqlcal/evaluate.h"

static inline int oom(mql_err *err)
{
    return mql_err_set(err, MQL_ENOMEM, "out of memory");
}

/* A scored set of n leads with score, prob and y, plus fit/eng (with_sub), sql, date and month,
 * acv and censored (zeroed) when asked; end_day NAN. NULL when out of memory. Free with
 * mql_scored_free. */
mql_scored *mql_scored_alloc(size_t n, int with_sub, int with_sql, int with_date, int with_acv,
                             int with_cens);

/* Copies lead i of s into row j of o, for every array o has (o's optional arrays are a subset of
 * s's); keeps o->n_censored counting. */
void mql_scored_copy_row(mql_scored *o, size_t j, const mql_scored *s, size_t i);

/* Copies of the rated rows' score, prob and y (censored dropped). *k is their count. The caller
 * frees the three arrays; on failure they are NULL. */
int mql_scored_rated_arrays(const mql_scored *s, double **score, double **prob, unsigned char **y,
                            size_t *k, mql_err *err);

#endif
