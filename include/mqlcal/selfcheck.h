/* selfcheck.h: the check that a fitted points model scores from its own exported rules table. */
#ifndef MQLCAL_SELFCHECK_H
#define MQLCAL_SELFCHECK_H

#include "mqlcal/design.h"
#include "mqlcal/points.h"

/* Self-check: scores every row of the binding's table twice, (1) inside the model: per row the
 * sum of term_points of the indicator terms that mql_design_fill sets, plus the step points of
 * LINEAR terms at the filled value (unless its missing term is set), and (2) through the
 * exported rules: the rules CSV written to memory, read back with the reader, bound to the table
 * and scored. Returns MQL_OK when every row agrees, MQL_EDATA naming the first lead that differs
 * ("self-check failed: lead on line 12 scores 45 by the exported rules and 50 inside the model";
 * line = row + 2, the header being line 1), or the reader's / binder's error. */
int mql_points_self_check(const mql_design *d, const mql_design_binding *b, const mql_points *m,
                          mql_err *err);
/* mql_points_self_check with the inside scores already known (inside: b->n_rows scores from
 * mql_points_internal_scores or mql_points_from_fit_scored; NULL: computed here), so the check
 * after the points step does not score every lead inside the model a second time. */
int mql_points_self_check_scored(const mql_design *d, const mql_design_binding *b,
                                 const mql_points *m, const long *inside, mql_err *err);
/* The sampled self-check: the same comparison on rows[0..k) only (ascending, distinct, below
 * b->n_rows, else MQL_EUSAGE), the inside scores from mql_points_inside_rows. The points step
 * picks the rows (mql_points_extra.check_rows: every level, the values either side of every cut,
 * every interaction cell, a fixed-seed sample; see points_cost.h); a failure reads as the full
 * check's, naming the first checked lead that differs. */
int mql_points_self_check_rows(const mql_design *d, const mql_design_binding *b,
                               const mql_points *m, const size_t *rows, size_t k, mql_err *err);
/* mql_points_self_check_rows with the inside scores of rows[0..k) already known (inside: k
 * scores, mql_points_extra.check_scores from the pass that scored every lead; NULL: computed
 * here by mql_points_inside_rows). */
int mql_points_self_check_rows_scored(const mql_design *d, const mql_design_binding *b,
                                      const mql_points *m, const size_t *rows, size_t k,
                                      const long *inside, mql_err *err);

#endif
