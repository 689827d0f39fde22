/* separation.h: the exact check for (quasi-)complete separation in a logistic regression, by
 * linear programming (Albert & Anderson 1984; Konis 2007, as brglm2::detect_separation does):
 * the maximum-likelihood estimate exists unless some direction d != 0 has
 *     (2 y_i - 1) x_i' d >= 0 for every row with w_i > 0 (and > 0 for at least one row),
 * i.e. a direction in which the likelihood keeps rising. One lead fitted at p = 0 or 1 among
 * millions is not separation; this check decides. */
#ifndef MQLCAL_SEPARATION_H
#define MQLCAL_SEPARATION_H

#include "mqlcal/glm.h"

typedef struct mql_separation {
    int separated;            /* 1: a separating direction exists (the MLE is infinite) */
    double *direction;        /* p: the direction found (columns scaled to max |x| = 1, then
                                 back to the design's units); 0 for aliased columns; all 0 when
                                 not separated. Terms with a nonzero entry are the ones whose
                                 estimates diverge. */
    double rows;              /* weighted rows fitted perfectly along the direction (x~'d > 0) */
    int rounds;               /* cutting-plane rounds (passes over the rows) used */
} mql_separation;

/* Decides whether some d != 0 has x~_i'd >= 0 for all rows with w_i > 0 and s'd > 0, with
 * x~_i = (2 y_i - 1) x_i (y must be 0 or 1 on such rows) and s = sum_i w_i x~_i, over the columns
 * with aliased[j] == 0 (aliased may be NULL: all columns); s'd > 0 makes at least one row strict,
 * so this is separation exactly (the LP  max s'd, x~'d >= 0, |d_j| <= 1  has optimum > 0). By
 * Farkas' lemma no such d exists exactly when -s is a nonnegative combination of the x~_i; that is
 * tested by nonnegative least squares (Lawson & Hanson's active set), whose residual is a
 * separating direction when it is not 0. The rows enter by cutting planes: the per-column extreme
 * rows of each class first, then each round (one pass over the data) the rows the current
 * direction violates most, until the direction satisfies every row (separated) or -s lies in the
 * cone of the rows so far (not separated). Columns are scaled to max |x| = 1; tolerances: a row
 * with x~'d >= -1e-10 is satisfied, the residual is 0 below 1e-9 (1 + |s|). Fills *out (caller
 * frees out->direction with free()). Returns MQL_OK, MQL_EUSAGE, MQL_EDATA (y not 0/1 on a
 * weighted row), MQL_ENOMEM (also when more than 20,000 rows or 400 rounds would be needed), or
 * the fill callback's status. */
int mql_separation_check(const mql_glm_data *d, const unsigned char *aliased, mql_separation *out,
                         mql_err *err);

#endif
