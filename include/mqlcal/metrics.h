/* metrics.h: evaluation statistics for a score or probability against 0/1 outcomes: AUC with
 * DeLong interval, KS, Brier, log loss, Wilson intervals, Hosmer-Lemeshow, calibration intercept and
 * slope, reliability tables, PSI, gains/lift, isotonic regression and Platt scaling.
 *
 * Conventions shared by every function here:
 *  - Inputs are caller-owned arrays of length n: score or p (double), y (unsigned char, 0 or 1;
 *    any non-zero value counts as 1) and, where accepted, w (prior weights >= 0, NULL = all 1).
 *  - Results go into caller-owned structs or caller-allocated arrays whose capacity is stated.
 *  - Each function sorts at most once (O(n log n)) and allocates its scratch once, up front.
 *  - Return MQL_OK, or MQL_EDATA (bad input: non-finite value, a class missing, ...), MQL_ENOMEM,
 *    MQL_ENOCONV (a Newton fit did not converge), with err filled (err may be NULL). */
#ifndef MQLCAL_METRICS_H
#define MQLCAL_METRICS_H

#include <stddef.h>
#include "mqlcal/common.h"

/* ---- discrimination ------------------------------------------------------------------------- */

/* The Mann-Whitney area behind mql_auc, for callers that hold the scores grouped: each positive
 * counts the negatives below it and half the tied ones. From ascending order keys of the won
 * and the other scores (mql_sort_key); from weights per score value gpos/gneg[0..range),
 * ascending. The AUC is the area over (positives x negatives). */
double mql_auc_area_keys(const uint64_t *pos, size_t np, const uint64_t *neg, size_t nn);
double mql_auc_area_hist(const double *gpos, const double *gneg, size_t range);

/* Twice the unweighted Mann-Whitney area of v[0..n) (each won value counts the other values
 * below it twice and the tied ones once: an exact integer, so area = 0.5 * *area2 is the
 * area mql_auc_area_keys sums, bit for bit) without sorting every value: v is bucketed over
 * [lo, hi] (its least and greatest values) in n / 8 buckets; pairs across buckets follow from
 * the counts per bucket and class, and only values sharing a bucket are compared. np: the rows
 * with y[i] != 0. scratch: n doubles the function may overwrite, or NULL (it then allocates).
 * Returns 0, or -1 (nothing computed) when a class is empty, np * (n - np) >= 2^51, n does
 * not fit in 32 bits, hi - lo is not positive and finite (a single value, or a span too wide
 * to bucket), or out of memory: the caller then sorts. v must be finite. */
int mql_auc_area2_buckets(const double *v, const unsigned char *y, size_t n, size_t np,
                          double lo, double hi, double *scratch, uint64_t *area2);

/* Mann-Whitney AUC: P(score_pos > score_neg) + 0.5 P(tie), weighted by w_pos * w_neg when w is
 * given. Equals sklearn.metrics.roc_auc_score(y, score, sample_weight=w). EDATA when a class has
 * no (positive-weight) rows or a score is not finite. */
int mql_auc(const double *score, const unsigned char *y, const double *w, size_t n, double *auc,
            mql_err *err);

/* An AUC, a calibration fit or a Hosmer-Lemeshow test judges a model only on at least this many
 * won and this many lost leads: below it every output that shows one says so (mql_few_note).
 * The screen's single-feature AUC (leakage.h) needs as many. */
#define MQL_AUC_MIN_CLASS 10

/* When won or lost is under MQL_AUC_MIN_CLASS: writes "on 2 won and 7 lost leads: too few to
 * judge (at least 10 of each needed)" to buf and returns 1; else writes "" and returns 0. */
int mql_few_note(size_t won, size_t lost, char *buf, size_t cap);

typedef struct mql_auc_interval {
    double auc, se;           /* AUC and its DeLong standard error */
    double lo, hi;            /* AUC +- z se, clipped to [0, 1] */
    double gini, gini_lo, gini_hi;   /* 2 AUC - 1 and the same transform of lo, hi */
    size_t n_pos, n_neg;
} mql_auc_interval;

/* AUC with the DeLong, DeLong & Clarke-Pearson (1988) variance, computed with the midrank
 * algorithm of Sun & Xu (2014, IEEE SPL 21:1389) in one sort; interval at level (e.g. 0.95) with
 * z = Phi^-1(1 - (1 - level) / 2) (pROC ci.auc(method = "delong") form). Unweighted. EDATA when a
 * class has fewer than 2 rows (the variance needs 2 per class) or level is not in (0, 1). */
int mql_auc_ci(const double *score, const unsigned char *y, size_t n, double level,
               mql_auc_interval *out, mql_err *err);

typedef struct mql_ks_result {
    double ks;                /* max over thresholds t of |TPR(t) - FPR(t)| */
    double threshold;         /* the t where it first occurs, scanning t from high to low */
    double tpr, fpr;          /* at that threshold */
} mql_ks_result;

/* Kolmogorov-Smirnov separation: a row is predicted positive when score >= t, t running over the
 * distinct scores (ties grouped, so a tie never splits); TPR and FPR are weighted shares of
 * positives and negatives. Equals max |tpr - fpr| of sklearn roc_curve(drop_intermediate=False)
 * and scipy ks_2samp's statistic. EDATA as for mql_auc. */
int mql_ks(const double *score, const unsigned char *y, const double *w, size_t n,
           mql_ks_result *out, mql_err *err);

/* ---- probability accuracy ------------------------------------------------------------------- */

/* Brier score: sum w (y - p)^2 / sum w (= sklearn brier_score_loss). p must lie in [0, 1]. */
int mql_brier(const double *p, const unsigned char *y, const double *w, size_t n, double *out,
              mql_err *err);

/* Log loss: -sum w [y ln q + (1 - y) ln(1 - q)] / sum w with q = clip(p, eps, 1 - eps) and
 * eps = DBL_EPSILON (2.22e-16). This is what the installed scikit-learn 1.2.1 does with its default
 * eps="auto" (np.finfo(float64).eps; older releases used 1e-15). p must lie in [0, 1]. */
int mql_logloss(const double *p, const unsigned char *y, const double *w, size_t n, double *out,
                mql_err *err);

/* Wilson score interval for k successes in n trials at normal quantile z (1.959963984540054 for
 * 95%), without continuity correction: exactly R prop.test(k, n, correct = FALSE)$conf.int, whose
 * interval is the Wilson interval (including its rule lo = 0 at k = 0 and hi = 1 at k = n).
 * k and n may be weighted (non-integer). Returns MQL_OK, or MQL_EDATA with lo = hi = NAN when
 * n <= 0, k < 0, k > n, z <= 0 or a value is not finite. */
int mql_wilson(double k, double n, double z, double *lo, double *hi);

/* z for a two-sided interval at level (0.95 -> 1.959963984540054). */
double mql_z_for_level(double level);

/* ---- calibration ---------------------------------------------------------------------------- */

typedef struct mql_hl_group {
    double lo, hi;            /* group's break points: (lo, hi], the first group [lo, hi] */
    size_t n;
    double obs1, exp1;        /* observed events, sum of p */
    double obs0, exp0;        /* n - obs1, sum of (1 - p) */
} mql_hl_group;

typedef struct mql_hl {
    double chisq, p_value;
    int df;                   /* groups_used - 2 */
    size_t groups_used;       /* non-empty groups after duplicate breaks were removed */
    size_t groups_asked;
} mql_hl;

/* Hosmer-Lemeshow test as ResourceSelection::hoslem.test(y, p, g) defines it: breaks =
 * unique(quantile(p, seq(0, 1, 1/g))) with R's type-7 quantiles; groups = cut(p, breaks,
 * include.lowest = TRUE) (right-closed, so tied p stay together); statistic = sum over groups and
 * over both cells (y = 1, y = 0) of (obs - exp)^2 / exp, which equals
 * sum_g (O_g - E_g)^2 / (E_g (1 - E_g / n_g)); df = G - 2 with G the non-empty groups; p from
 * gsl_cdf_chisq_Q. groups (capacity g) receives the G groups in increasing p. EDATA when g < 3,
 * fewer than 3 groups remain (hoslem.test would report df <= 0), an expected cell is 0, or p is
 * outside [0, 1]. Unweighted. */
int mql_hosmer_lemeshow(const double *p, const unsigned char *y, size_t n, size_t g,
                        mql_hl_group *groups, mql_hl *out, mql_err *err);

typedef struct mql_calib {
    double citl, citl_se;     /* a in logit P(y) = a + offset(logit p) */
    double slope_a, slope_a_se; /* a in logit P(y) = a + b logit p */
    double slope, slope_se;   /* b */
    int iter_citl, iter_slope;
} mql_calib;

/* Logistic recalibration of the logit (Cox 1958; Steyerberg, Clinical Prediction Models, ch. 15):
 * calibration-in-the-large = R glm(y ~ offset(qlogis(p)), binomial, weights = w) intercept;
 * slope = R glm(y ~ qlogis(p), binomial) coefficient. Both are maximum-likelihood fits by Newton's
 * method (centred predictor, step halving) run until the step is below 1e-10 relative, SEs from
 * the inverse Fisher information at the estimate. Perfect calibration is intercept 0, slope 1. EDATA when a p is not in (0, 1) (the
 * logit must be finite) or a class is missing; ENOCONV when Newton fails (separation). */
int mql_calibration(const double *p, const unsigned char *y, const double *w, size_t n,
                    mql_calib *out, mql_err *err);

typedef struct mql_rel_bin {
    double lo, hi;            /* bin bounds (see the function for which end is closed) */
    size_t n;
    double events;            /* rows with y = 1 */
    double mean_pred;         /* mean p in the bin (NAN when p is NULL or the bin is empty) */
    double rate;              /* events / n (NAN when empty) */
    double rate_lo, rate_hi;  /* Wilson 95% interval of rate (NAN when empty) */
} mql_rel_bin;

/* Reliability table as sklearn.calibration.calibration_curve(y, p, n_bins, strategy='quantile'):
 * edges = np.percentile(p, linspace(0, 1, n_bins + 1) * 100) (numpy's linear method, reproduced
 * to the last bit), bin = np.searchsorted(inner edges, p, side='left'), i.e. bins (e_k, e_k+1]
 * with the first one closed; empty bins are dropped. bins has capacity n_bins; *n_used is set to
 * the bins written. Adds n, events and the Wilson 95% interval per bin. EDATA when p is outside
 * [0, 1] (sklearn's check) or n_bins == 0. */
int mql_reliability_quantile(const double *p, const unsigned char *y, size_t n, size_t n_bins,
                             mql_rel_bin *bins, size_t *n_used, mql_err *err);

/* Reliability table over caller-given score bands for reports: cuts t_1 < ... < t_m define m + 1
 * bands (-inf, t_1), [t_1, t_2), ..., [t_m, +inf), so a band's lower cut works like an MQL
 * threshold (score >= t). Rows are banded by score; mean_pred averages p (p may be NULL). Empty
 * bands are kept (n = 0, rates NAN) so every band of the report appears. bins has capacity m + 1.
 * EDATA when cuts are not strictly increasing or a value is not finite. */
int mql_reliability_bands(const double *score, const double *p, const unsigned char *y, size_t n,
                          const double *cuts, size_t m, mql_rel_bin *bins, mql_err *err);

/* ---- stability ------------------------------------------------------------------------------ */

typedef struct mql_psi_bin {
    double lo, hi;
    size_t n_base, n_cur;
    double share_base, share_cur;   /* after the empty-bin rule */
    double term;                    /* (share_cur - share_base) ln(share_cur / share_base) */
} mql_psi_bin;

typedef struct mql_psi {
    double psi;
    size_t n_bins;
    size_t empty_base, empty_cur;   /* bins with no row in the baseline / current sample */
} mql_psi;

/* Population stability index sum_i (c_i - b_i) ln(c_i / b_i) between a baseline and a current
 * sample of scores. Bins: with cuts == NULL, the baseline's deciles: inner breaks R
 * quantile(base, 1:9 / 10) (type 7), duplicates removed so tied scores stay together, bins
 * (-inf, q1], (q1, q2], ..., (qk, +inf) as R cut() would make them. With cuts (m strictly
 * increasing values), the score bands of mql_reliability_bands: (-inf, t_1), [t_1, t_2), ...
 * Empty-bin rule: a bin with no row in a sample gets the share 0.5 / n of that sample (half a
 * row), so the logarithm stays finite; the counts of such bins are returned. bins has capacity
 * 10 (deciles) or m + 1. EDATA when a sample is empty or a value is not finite. */
int mql_psi_compute(const double *base, size_t n_base, const double *cur, size_t n_cur,
                    const double *cuts, size_t m, mql_psi_bin *bins, mql_psi *out, mql_err *err);

/* ---- gains ---------------------------------------------------------------------------------- */

typedef struct mql_gains_row {
    double min_score, max_score;
    size_t leads, events;
    size_t cum_leads, cum_events;
    double rate;              /* events / leads */
    double cum_share_events;  /* cum_events / all events (cumulative gains, "capture") */
    double lift;              /* rate / overall rate */
    double cum_lift;          /* (cum_events / cum_leads) / overall rate */
} mql_gains_row;

/* Cumulative gains and lift by score decile, highest scores first. A row's decile is
 * floor(10 * r / n) where r is the number of rows with a strictly higher score, so a tie group
 * falls wholly into the decile where its first member would; deciles left empty by large ties are
 * skipped. rows has capacity 10; *n_rows is set. EDATA when there are no events or a score is not
 * finite. */
int mql_gains_table(const double *score, const unsigned char *y, size_t n, mql_gains_row *rows,
                    size_t *n_rows, mql_err *err);

/* ---- recalibration maps --------------------------------------------------------------------- */

/* A fitted isotonic (non-decreasing) map: knots x[0] < ... < x[k-1] and their fitted values. */
typedef struct mql_isotonic {
    size_t k;
    double *x;
    double *y;
} mql_isotonic;

/* Weighted isotonic regression of y on x by pool-adjacent-violators, minimising
 * sum w (y - f(x))^2 over non-decreasing f. Rows with equal x are first merged into their weighted
 * mean (sklearn's _make_unique), zero-weight rows are dropped. Equals
 * sklearn IsotonicRegression(increasing=True, out_of_bounds='clip').fit(x, y, w). On success *out
 * is a new object the caller frees with mql_isotonic_free. EDATA on empty input, a non-finite x,
 * a negative weight or no positive weight. */
int mql_isotonic_fit(const double *x, const unsigned char *y, const double *w, size_t n,
                     mql_isotonic **out, mql_err *err);

/* The fitted map at x: x clipped to [x[0], x[k-1]], then linear interpolation between knots
 * (sklearn's transform with out_of_bounds='clip', via scipy interp1d). NAN for NAN. */
double mql_isotonic_predict(const mql_isotonic *m, double x);

void mql_isotonic_free(mql_isotonic *m);

typedef struct mql_platt {
    double a, b;              /* P(y = 1 | s) = 1 / (1 + exp(-(a + b s))) */
    double se_a, se_b, cov_ab;
    int iter;
} mql_platt;

/* Platt scaling as a plain maximum-likelihood logistic regression of y on the score, i.e. R
 * glm(y ~ score, binomial, weights = w); NOT Platt's (1999) smoothed targets (N+ + 1) / (N+ + 2)
 * that sklearn's CalibratedClassifierCV(method='sigmoid') uses. Newton to full convergence.
 * EDATA when a class is missing or the scores are all equal, ENOCONV on separation. */
int mql_platt_fit(const double *score, const unsigned char *y, const double *w, size_t n,
                  mql_platt *out, mql_err *err);

double mql_platt_predict(const mql_platt *m, double score);

#endif
