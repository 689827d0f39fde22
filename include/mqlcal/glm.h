/* glm.h: binomial logistic regression by IRLS (Newton) on GSL, with R's convergence rule,
 * optional ridge penalty, frequency weights, aliasing (R's NA coefficients) and separation checks.
 * The design matrix is read through a fill callback, chunk by chunk, so a 1M-row fit never holds
 * a second n x p copy. */
#ifndef MQLCAL_GLM_H
#define MQLCAL_GLM_H

#include <stddef.h>
#include <stdint.h>
#include <gsl/gsl_matrix.h>
#include "mqlcal/common.h"

/* Fills rows [row0, row0 + m) of the n x p design matrix into x, row-major (x[r * p + j]).
 * Returns MQL_OK or a status with err filled. It is called once per IRLS iteration for every row
 * and must return the same values each time. With opts.threads > 1 (the default for large n) it
 * is called concurrently from worker threads for disjoint row ranges, each with its own x and
 * err, so it must only read ctx. */
typedef int (*mql_glm_fill_fn)(void *ctx, size_t row0, size_t m, double *x, mql_err *err);

/* The same rows column-major, optionally every step-th: rows row0 + r * step (r < m) with
 * column j of the r-th at x[j * ld + r] (ld >= m), under mql_glm_fill_fn's rules, the values
 * those of fill. The dense IRLS passes read a chunk this way when it is given (each column a
 * contiguous run, scaled in place and handed to the BLAS as is), and the warm start's
 * subsample with step > 1. */
typedef int (*mql_glm_fill_cols_fn)(void *ctx, size_t row0, size_t m, size_t step, double *x,
                                    size_t ld, mql_err *err);

/* The same rows in a coded layout: each row as k slots, each naming the one design column it
 * sets to 1 (or p: none), plus md dense columns. fill writes rows [row0, row0 + m) as idx (m x k
 * column indices, row-major; idx NULL: the dense values only) and xd (m x md values), under
 * mql_glm_fill_fn's rules (same values each call, concurrent calls on disjoint rows). Every
 * design column is either dense or set by exactly one slot (0 otherwise); the values must equal
 * those of mql_glm_data.fill. */
typedef int (*mql_glm_coded_fill_fn)(void *ctx, size_t row0, size_t m, uint32_t *idx, double *xd,
                                     mql_err *err);

typedef struct mql_glm_coded {
    size_t k;                 /* slots per row */
    size_t md;                /* dense columns */
    const size_t *dense;      /* md design columns, increasing; dense[0] = 0 (the intercept) */
    mql_glm_coded_fill_fn fill;
    void *ctx;
} mql_glm_coded;

typedef struct mql_glm_data {
    size_t n;                 /* rows */
    size_t p;                 /* columns, intercept included (column 0 by convention) */
    mql_glm_fill_fn fill;
    void *ctx;
    const double *y;          /* n responses in [0, 1]: 0/1, or successes / trials with w = trials */
    const double *w;          /* n prior (frequency) weights >= 0, or NULL for all 1 */
    const mql_glm_coded *coded;   /* optional (NULL: fill only): mql_glm_fit's passes read the
                                     coded layout when it has a coded column (md < p; xwx.h),
                                     agreeing with the dense passes to rounding; Firth's fit
                                     reads fill_cols (or fill), the separation checks fill */
    mql_glm_fill_cols_fn fill_cols;   /* optional (NULL: the passes transpose fill's rows) */
} mql_glm_data;

/* Convenience: a fill callback over an in-memory gsl_matrix (ctx = the matrix). */
int mql_glm_fill_matrix(void *ctx, size_t row0, size_t m, double *x, mql_err *err);

/* Ridge (opts.l2 = lambda > 0) minimises the penalised deviance
 *     D(beta) + lambda * sum_{j in P} beta_j^2,   D = -2 * loglik + const (R's deviance),
 * where P is every column except the intercept (with intercept = 1) or every column (intercept = 0).
 * The Hessian of D is 2 X'WX and that of the penalty 2 lambda I_P, so each Newton step solves
 *     (X'WX + lambda I_P) beta_new = X'W z,   z = eta + (y - mu) / (mu (1 - mu)),  W = w mu (1 - mu),
 * and the reported covariance is (X'WX + lambda I_P)^-1. Convergence and step halving use the
 * penalised deviance; result.deviance, loglik and aic are the unpenalised ones (aic counts rank
 * parameters, not ridge's effective degrees of freedom). */
typedef struct mql_glm_opts {
    int max_iter;             /* default 25 (R) */
    double tol;               /* default 1e-8: |dev - dev_old| / (|dev| + 0.1) < tol (R) */
    double l2;                /* ridge lambda >= 0 (see above); 0 = none (default) */
    int intercept;            /* 1 when column 0 is the intercept, all ones (default 1) */
    double alias_tol;         /* default 1e-7: a column is aliased when the norm of its residual
                                 on the kept earlier columns is below alias_tol times its norm */
    int threads;              /* worker threads for the passes over X; 0 = auto (default: 2 when
                                 n >= 32768, else 1). Results are deterministic for a given n and
                                 thread count. */
    size_t warm_rows;         /* warm start: with n >= 4 * warm_rows (and warm_rows > 0), the full
                                 fit starts from a fit on every k-th row, k = n / warm_rows (about
                                 warm_rows spread-out rows), instead of R's mustart; the full-data
                                 iterations then run to R's convergence rule as usual, so the result
                                 is the same maximum to rounding (deviance ~1e-12 relative).
                                 Default 50000; 0 = always R's start. Smaller n never takes it. */
    int keep_eta;             /* 1: result.eta keeps the linear predictor X beta of the last pass,
                                 the one at the final coefficients (default 0: not kept) */
    double last_margin;       /* a pass whose Newton step predicts (by its decrement, the change
                                 of the quadratic model) a relative change of the penalised
                                 deviance below last_margin * tol is expected to be the last: it
                                 evaluates the deviance (and eta) without the next system, which
                                 a converged fit never solves. When the fit then goes on, the pass
                                 is run again in full at the same coefficients, so the results
                                 are the same either way (dense passes and the coded layout's,
                                 whose per-level sums such a pass leaves alone). Default 0.5,
                                 0 = every pass in full. */
    /* Read by mql_model_train (model.h), not by mql_glm_fit: */
    int method;               /* MQL_GLM_METHOD_ML (default) or MQL_GLM_METHOD_FIRTH (firth.h) */
    int flic;                 /* Firth: 1 (default) = FLIC intercept */
    int profile;              /* Firth: MQL_FIRTH_PROFILE_* (default -1: auto) */
    int unit_start;           /* 0 (default): R's starting values (w y + 0.5) / (w + 1); 1: those
                                 of the unit rows a frequency weight stands for, (y + 0.5) / 2,
                                 so weighted rows follow the IRLS path of their expansion (same
                                 iterations, and the same last weights behind the standard errors) */
    const struct mql_cache_opts *cache;   /* the fit cache (fit_cache.h; borrowed): NULL or a
                                 NULL dir: every fit runs. Never part of the result. */
} mql_glm_opts;

void mql_glm_opts_default(mql_glm_opts *o);

typedef enum mql_glm_state {
    MQL_GLM_CONVERGED = 0,
    MQL_GLM_NOT_CONVERGED,    /* hit max_iter */
    MQL_GLM_SEPARATED         /* converged or not, the maximum-likelihood estimate may not exist
                                 (l2 = 0 only): fitted probabilities numerically 0 or 1
                                 (n_extreme > 0, a sign only), or a kept 0/1 column whose x = 1
                                 rows are all events or all non-events (separated[j] != 0,
                                 certain). mql_model_train decides the first case exactly with
                                 mql_separation_check (separation.h). */
} mql_glm_state;

typedef struct mql_glm_result {
    size_t n, p;
    size_t rank;              /* columns kept (p minus aliased) */
    double *beta;             /* p; NAN for aliased columns */
    double *se;               /* p; NAN for aliased columns */
    unsigned char *aliased;   /* p; 1 = dropped as a linear combination of earlier columns */
    gsl_matrix *cov;          /* p x p covariance (inverse penalised Fisher information);
                                 rows/columns of aliased terms are NAN */
    double deviance, null_deviance;
    double df_residual, df_null;   /* weighted n minus rank (R: sum of w > 0 rows) */
    double loglik, aic;
    double n_weighted, events;     /* sum w, sum w*y */
    int iterations;           /* full-data Newton iterations (after the warm start, if any) */
    int warm_iterations;      /* iterations of the subsample fit the warm start used, 0 = none */
    int last_passes;          /* passes that skipped the system (opts.last_margin) */
    int last_misses;          /* ... and were run again in full because the fit went on */
    int converged;
    mql_glm_state state;
    double *eta;              /* n: X beta at the final coefficients as the last IRLS pass computed
                                 it (opts.keep_eta), or NULL; freed with the result */
    signed char *separated;   /* p; as mql_glm_separation_check's sep, 0 for aliased columns */
    size_t n_extreme;         /* rows with w > 0 and fitted p < eps or > 1 - eps, eps = 10 *
                                 DBL_EPSILON (R's "fitted probabilities numerically 0 or 1") */
    /* Firth's penalized likelihood (firth.h; method MQL_GLM_FIRTH only, else 0 / NAN / NULL): */
    int method;               /* MQL_GLM_METHOD_ML (plain or ridge) or MQL_GLM_METHOD_FIRTH */
    int flic;                 /* 1: beta[0] and se[0] are the FLIC intercept and its SE */
    double pen_loglik;        /* l(beta) + 1/2 log det I(beta) at the Firth estimate */
    double logdet;            /* log det I(beta) at the Firth estimate */
    double beta0_firth;       /* the Firth estimate's own intercept (= beta[0] without FLIC) */
    double *ci_lo, *ci_hi;    /* p: profile penalized-likelihood 95% interval, or NULL when not
                                 profiled; NAN for aliased terms and the intercept */
    double *lr_p;             /* p: penalized likelihood-ratio p-value of beta_j = 0, or NULL;
                                 NAN for aliased terms and the intercept */
} mql_glm_result;

enum { MQL_GLM_METHOD_ML = 0, MQL_GLM_METHOD_FIRTH = 1 };

/* Fits the model (see mql_glm_opts for the objective). On MQL_OK or MQL_ENOCONV *out holds a
 * result (with converged = 0 for ENOCONV); on other errors *out is NULL. Errors: MQL_EUSAGE for
 * bad arguments or options, MQL_EDATA for invalid data (y outside [0, 1], negative or non-finite
 * weights, all weights zero, n or p zero, non-finite X, a column 0 that is not all ones with
 * intercept = 1, a singular system after aliasing), a fill callback's own status otherwise.
 * Row and column indices in messages are 0-based. The caller frees with mql_glm_result_free. */
int mql_glm_fit(const mql_glm_data *d, const mql_glm_opts *o, mql_glm_result **out, mql_err *err);
void mql_glm_result_free(mql_glm_result *r);

/* Quasi-complete separation by one binary column: for each column j that takes only the values
 * 0 and 1 (on rows with w > 0), counts the weighted events and non-events among rows with x_j = 1.
 * sep[j] is set to +1 when all such rows are events, -1 when none is, 0 otherwise (and for
 * non-binary columns and columns with no x_j = 1 row); cnt[j] receives the weighted row count
 * with x_j = 1 (0 for non-binary columns). Column 0 (intercept) is skipped (sep[0] = 0,
 * cnt[0] = 0). sep and cnt are caller-owned arrays of length p. Returns MQL_OK, MQL_EUSAGE for
 * bad arguments, MQL_EDATA for invalid y or w, or the fill callback's status. */
int mql_glm_separation_check(const mql_glm_data *d, signed char *sep, double *cnt, mql_err *err);

/* The worker threads a fit of n rows runs its passes on for opts.threads = threads (0: auto, 2
 * from 32768 rows), at most n; mql_glm_fit may take fewer when the BLAS's buffers do not fit in
 * memory (and then fails with MQL_ENOMEM at one). Firth's fit takes as many. */
size_t mql_glm_threads(size_t n, int threads);

/* OpenBLAS single-threaded for a fit (glm.c, firth.c): our passes thread themselves, and its
 * kernels only see small per-chunk products. Sets one thread when the setting is not one already
 * (a set restarts a pool the CLI stopped at start, whose worker then spins) and returns the
 * setting for mql_blas_restore: 0 when there is nothing to restore or OpenBLAS is not the BLAS. */
int mql_blas_single(void);
void mql_blas_restore(int threads);

/* 1 when no limit on memory can make malloc refuse (RLIMIT_AS and RLIMIT_DATA unlimited, the
 * kernel not in strict overcommit). */
int mql_memory_unlimited(void);

/* Whether the fits may call the BLAS from several threads at once: 1 (yes), 0 (only from the
 * calling thread, whose work buffer this has made sure of: under a memory limit OpenBLAS would
 * retry a refused buffer for ever), -1 (not even that buffer: out of memory). Fits are run from
 * one thread, the same each time. */
int mql_blas_parallel(void);

/* The beat of a fit running under a memory limit (mql_blas_parallel 0): its thread calls
 * mql_blas_beat(1) at each chunk and iteration of its passes and mql_blas_beat(0) when the fit
 * ends. mql_blas_stall_seconds: the seconds since the last beat, 0 when no fit runs. OpenBLAS
 * can still wait for ever for a buffer the limit refuses (rarely; docs/RELIABILITY.md): a
 * caller's watchdog thread may end such a run. */
void mql_blas_beat(int on);
double mql_blas_stall_seconds(void);

/* Linear predictor for one row x (length p) given beta; aliased (NAN) betas count as 0. The
 * probability is mql_logistic (common.h) of it. */
double mql_glm_eta(const double *x, const double *beta, size_t p);

#endif
