/* firth.h: Firth's bias-reduced (Jeffreys-prior penalized) logistic regression, with the FLIC
 * intercept correction, profile penalized-likelihood intervals and penalized likelihood-ratio
 * tests: finite estimates under separation, on the same data and design as mql_glm_fit. */
#ifndef MQLCAL_FIRTH_H
#define MQLCAL_FIRTH_H

#include "mqlcal/glm.h"

/* Rows up to which MQL_FIRTH_PROFILE_AUTO computes profile intervals and LR tests (each term
 * costs a few dozen passes over the data; beyond this many rows the penalty is negligible
 * against the likelihood and Wald intervals from the penalized information are given). */
#define MQL_FIRTH_PROFILE_ROWS 10000

enum { MQL_FIRTH_PROFILE_AUTO = -1, MQL_FIRTH_PROFILE_OFF = 0, MQL_FIRTH_PROFILE_ON = 1 };

/* Firth (1993), Heinze & Schemper (2002): maximises the penalized log-likelihood
 *     l*(beta) = l(beta) + 1/2 log det I(beta),   I(beta) = X'WX,  W = diag(w mu (1 - mu)),
 * l(beta) = sum_i w_i (y_i log mu_i + (1 - y_i) log(1 - mu_i)) with frequency weights w, by
 * Newton steps on the modified score U*(beta) = X'(w (y - mu) + h (1/2 - mu)), where
 * h_i = w_i mu_i (1 - mu_i) x_i' I^-1 x_i is the hat-matrix diagonal (computed per chunk of rows,
 * never as an n x n matrix), halving a step while l* does not rise (logistf's algorithm). The
 * standard errors are the square roots of diag I(beta)^-1 at the estimate (the penalized
 * information, as logistf and brglm2 report). Converged when every Newton step is below tol
 * standard errors.
 * FLIC (Puhr, Heinze, Nold, Lusa & Geroldinger 2017): the intercept is refitted by maximum
 * likelihood with the Firth linear predictor minus its intercept as an offset, so the mean
 * fitted probability equals the observed event rate; its SE is that of the offset fit.
 * Profile intervals (logistf's definition): for each term j, the values b where
 *     2 (l*(beta_hat) - max_{beta_-j} l*(beta | beta_j = b)) = qchisq(0.95, 1),
 * the penalty kept at the full model's information; the penalized likelihood-ratio p-value is
 * that statistic at b = 0 against chi-square(1). Not computed for the intercept (with FLIC its
 * interval is the offset fit's Wald interval). */
typedef struct mql_firth_opts {
    int max_iter;             /* Newton iterations (default 50) */
    double tol;               /* default 1e-8, see above */
    int flic;                 /* 1 (default): FLIC intercept */
    int profile;              /* MQL_FIRTH_PROFILE_AUTO (default): profile when n <=
                                 MQL_FIRTH_PROFILE_ROWS; _ON always; _OFF never */
    double alias_tol;         /* as mql_glm_opts.alias_tol (default 1e-7) */
    int threads;              /* as mql_glm_opts.threads (0 = auto) */
    size_t warm_rows;         /* as mql_glm_opts.warm_rows (default 50000; 0 = never): with
                                 n >= 4 * warm_rows the Newton iterations start from Firth's fit
                                 of about warm_rows spread-out rows (finite where a plain fit of
                                 them would separate) instead of R's starting values and their
                                 first step; they still run to tol, so the estimate is the same
                                 maximum to rounding, in fewer passes */
    int keep_eta;             /* 1: result.eta keeps the linear predictor at the reported
                                 coefficients (FLIC's intercept when flic), each row's slope terms
                                 summed in column order as the points step sums them
                                 (points_fit.c), from the final information pass; 0 (default):
                                 not kept */
    double escape_cells;      /* rows x kept terms up to which the estimate is checked for a
                                 saddle point of l* by a restart nearby (default 1e7; beyond, l*
                                 is close to concave). Unchecked and on more than
                                 MQL_FIRTH_PROFILE_ROWS rows, the estimate is the point of the
                                 last pass, whose step fell below tol, and no pass follows */
    int stats_threads;        /* threads for the per-row work of FLIC's intercept and the final
                                 statistics (exp, log1p): 0 (default) two when the fit runs on
                                 two or more, 1 one. Their sums run in row order either way, so
                                 the results are the same bit for bit */
} mql_firth_opts;

void mql_firth_opts_default(mql_firth_opts *o);

/* Fits d (column 0 the intercept, all ones) by Firth's method. On MQL_OK or MQL_ENOCONV *out
 * holds a result with method MQL_GLM_METHOD_FIRTH: beta, se, cov (Firth's, with FLIC's intercept
 * and its variance in row/column 0 when flic; the intercept's covariances with the other terms
 * are the Firth ones), aliased terms as mql_glm_fit drops them, pen_loglik, logdet, beta0_firth,
 * ci_lo / ci_hi / lr_p when profiled; deviance, loglik and aic of the reported coefficients;
 * state MQL_GLM_CONVERGED or _NOT_CONVERGED (separation does not stop Firth); separated all 0.
 * Errors as mql_glm_fit's (MQL_EUSAGE, MQL_EDATA, the fill callback's status, MQL_ENOMEM) with
 * *out NULL. The caller frees with mql_glm_result_free. */
int mql_firth_fit(const mql_glm_data *d, const mql_firth_opts *o, mql_glm_result **out,
                  mql_err *err);

#endif
