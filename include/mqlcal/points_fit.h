/* points_fit.h: a fitted logistic regression turned into an integer points model (scale, value
 * steps, score map, default threshold, rounding cost), and the model's own scores of its training
 * rows. */
#ifndef MQLCAL_POINTS_FIT_H
#define MQLCAL_POINTS_FIT_H

#include "mqlcal/design.h"
#include "mqlcal/points.h"
#include "mqlcal/table_cache.h"

/* Bounds of the scale options (the front end checks them; the conversion refuses a rule whose
 * points reach MQL_POINTS_MAX). */
#define MQL_PDO_MIN 1.0
#define MQL_PDO_MAX 10000.0
#define MQL_MAX_POINTS_MIN 10.0
#define MQL_MAX_POINTS_MAX 100000.0
#define MQL_POINTS_MAX 1e9

typedef struct mql_points_opts {
    double pdo;           /* points to double the odds; NAN: derive from max_points */
    double max_points;    /* the best possible lead scores about this many points (default 100) */
    long threshold;       /* LONG_MIN: choose (documented rule) */
    int by_strength;      /* 1 (default): with pdo NAN, mql_model_add_points scales max_points by
                             the fit's strength (mql_points_strength); 0: max_points as given */
    long cap_fit, cap_engagement, cap_total;   /* caps the platform applies (MQL_NO_CAP: none);
                                                  stored in the model, and with pdo NAN they
                                                  choose the scale (see below) */
    int full_check;       /* mql_model_add_points: 1 = self-check every training lead through the
                             exported rules; 0 (default) = every lead up to
                             MQL_SELFCHECK_FULL_ROWS (points_cost.h), the sampled check above */
    const mql_cache_opts *cache;  /* mql_model_add_points: the points cache (points_cache.h);
                                     NULL (default): none. Not part of the result. */
} mql_points_opts;
void mql_points_opts_default(mql_points_opts *o);

/* The share of max_points a fitted model's default points use, so points show how much the
 * model knows rather than always reaching 100: min(1, Gini / 0.5) with Gini = 2 auc_exact - 1
 * (the unrounded model's AUC on its training leads; a model ranking at AUC 0.75 or better keeps
 * the full scale), at most 0.1 when the likelihood-ratio test of the fit is not significant at
 * 5% (lr_p >= 0.05: the features do not beat a constant), and at least 0.1. NAN auc_exact or
 * lr_p count as strong (1 and significant). */
double mql_points_strength(double auc_exact, double lr_p);

/* Converts a fitted logistic regression into a points model.
 *  factor = pdo / ln 2 points per unit of log-odds (so pdo points double the odds). Default pdo:
 *  the one that puts the best possible lead max_points above the baseline lead, where "best" sums
 *  over features the largest positive exact contribution (a feature with none adds 0); when no
 *  contribution is positive, the largest |contribution| is used instead.
 *  Each indicator term (categorical level, pooled "(other)", boolean true value, bin, missing)
 *  becomes one rule of round(beta * factor) points: "job_level,=,VP", "job_level,in,a|b" (pooled
 *  names; separate = rules when a name holds '|'), "webinar_attended,=,<true label>",
 *  "visits,between,3..5" (integer data; fractional: between a..nextafter(b, -inf)), the top bin
 *  ">= c", "job_level,missing,". NAN (aliased) betas score 0.
 *  A LINEAR term becomes step rules from the training values (needs b): when the column is
 *  integer with at most 12 distinct values, one step per distinct value v covering
 *  [v, next value); else about 6 quantile steps (cuts as in design --bins 6). The representative
 *  value of a step is the mean of the training values in it, so the step scores the average
 *  exact contribution of its leads (on datasets/synthetic-leads.csv the mean kept 0.0017 more
 *  AUC than the median). The base step, which scores 0 (the absent signal), is the one holding the value 0
 *  (the lowest step when every value is positive); step k scores round(beta * factor * (rep_k - rep_base)), and beta * rep_base moves into the
 *  map intercept. The lowest step is open downwards (<= / <), the highest upwards (>=).
 *  Rules with 0 points are dropped (they change nothing).
 *  The map is the model's own: b = 1 / factor, a = beta0 + sum of beta * rep_base, so a + b S
 *  is the unrounded model at the step representatives when S is the unrounded score.
 *  Threshold (o->threshold = LONG_MIN): one doubling of the odds above the average training lead:
 *  the achievable integer score whose mapped probability is closest to 2p / (1 + p), the
 *  probability at twice the base odds (p the training base rate: mean of y; without y the mean
 *  fitted probability, which equals it at a maximum-likelihood fit; about 2p when p is small and
 *  below 100% at any p), ties to the lower score, then kept inside the training leads' scores (at
 *  most the highest, above the lowest); 0 without data. m->threshold_rule says which applied.
 *  Rounding cost (with b and y): AUC and log loss on the training rows of the unrounded model
 *  (eta = x beta) and of the integer score through the map; stored in auc_* / logloss_*.
 * b (the training binding: its table must hold the design's columns) and y (n_rows 0/1 outcomes)
 * may be NULL; without b a LINEAR term is MQL_EDATA. Returns MQL_OK with *out (free with
 * mql_points_free), MQL_EDATA, MQL_ENOMEM. */
int mql_points_from_fit_data(const mql_design *d, const double *beta,
                             const mql_design_binding *b, const unsigned char *y,
                             const mql_points_opts *o, mql_points **out, mql_err *err);
/*  Interactions (d->ix): each interaction cell with non-zero points becomes a compound rule
 *  of round(beta * factor) points: the two terms' conditions ANDed (alternatives of a pooled
 *  "(other)" whose names hold '|' give one rule each), named after the term's label, in the
 *  engagement group when either feature is engagement, else fit. The "best lead" of the
 *  default scale adds each interaction's largest positive cell.
 *  Caps (o->cap_*, with b and pdo NAN): the scale is instead the largest under which at most 1%
 *  of the training leads would exceed a cap before rounding: min over the caps given of
 *  cap / (99th percentile of the exact fit, engagement or total score at one point per unit
 *  of log-odds), over percentiles > 0. The rounding cost is then measured on the score before
 *  the caps, and the cap cost (auc_capped, logloss_capped, share_capped) on the capped score.
 *  Internal scores (and so the self-check) apply the caps. */
/* mql_points_from_fit_data on weighted rows (frequency weights w, NULL: 1 each), e.g. a count
 * table's won and lost rows: the base rate of the default threshold and the rounding cost are
 * weighted, so they are those of the leads the rows stand for. LINEAR terms need one row per lead
 * (their steps come from the values): MQL_EUSAGE with w. */
int mql_points_from_fit_weighted(const mql_design *d, const double *beta,
                                 const mql_design_binding *b, const unsigned char *y,
                                 const double *w, const mql_points_opts *o, mql_points **out,
                                 mql_err *err);
/* mql_points_from_fit_weighted that also hands over the internal scores it computed (with b:
 * *scores receives b->n_rows scores, exactly mql_points_internal_scores of the result, for the
 * self-check to reuse; caller frees; NULL without b or on failure). scores may be NULL. */
int mql_points_from_fit_scored(const mql_design *d, const double *beta,
                               const mql_design_binding *b, const unsigned char *y,
                               const double *w, const mql_points_opts *o, mql_points **out,
                               long **scores, mql_err *err);
/* Optional inputs and outputs of mql_points_from_fit_ex. */
typedef struct mql_points_extra {
    const double *eta;    /* in: b->n_rows linear predictor x beta of the training rows at these
                             coefficients (the fit's last IRLS pass: mql_glm_opts.keep_eta), so
                             the rounding cost needs no design rows; NULL: computed here */
    int eta_writable;     /* in: 1 = eta is the caller's scratch (not needed after the call): the
                             AUC of the exact model sorts it in place instead of a copy */
    double *scratch;      /* in: NULL, or b->n_rows doubles the exact model's costs may
                             overwrite (mql_exact_costs_init), instead of fresh memory */
    int have_exact;       /* in: 1 = auc_exact and logloss_exact are known from an earlier call
                             on the same fit and eta (say, one rescaled by strength) */
    double auc_exact, logloss_exact;
    int want_scores;      /* in: hand back every row's internal score in scores */
    int want_check;       /* in: hand back the rows the sampled self-check scores (see
                             points_cost.h) in check_rows */
    int threads;          /* in: 0 = two threads on large tables, else one; 1 or 2 = that many
                             (tests: the result does not depend on it) */
    long *scores;         /* out: b->n_rows internal scores or NULL; caller frees */
    size_t *check_rows;   /* out: ascending distinct rows or NULL; caller frees */
    size_t n_check;
    long *check_scores;   /* out: n_check internal scores of check_rows or NULL; caller frees */
} mql_points_extra;
/* mql_points_from_fit_weighted with extras (ex may be NULL). With ex->eta the exact model's AUC
 * and log loss are those of the given linear predictor. */
int mql_points_from_fit_ex(const mql_design *d, const double *beta, const mql_design_binding *b,
                           const unsigned char *y, const double *w, const mql_points_opts *o,
                           mql_points_extra *ex, mql_points **out, mql_err *err);
/* mql_points_from_fit_data without training data (designs without LINEAR terms). */
int mql_points_from_fit(const mql_design *d, const double *beta, const mql_points_opts *o,
                        mql_points **out, mql_err *err);

/* The model's own ("internal") integer score of every row of b, and optionally the exact linear
 * predictor: per row the term_points of the indicator terms mql_design_fill sets (interaction
 * columns included), plus the step points of LINEAR terms at the filled value (unless its
 * missing term is set), summed per group and capped (mql_points_apply_caps); eta = x beta
 * (beta may be NULL when eta is NULL). score and eta are b->n_rows long, caller-owned. Large
 * tables are scored on two threads; the result does not depend on the split. Returns MQL_OK,
 * MQL_ENOMEM, or the design fill's error. */
int mql_points_internal_scores(const mql_design *d, const mql_design_binding *b,
                               const mql_points *m, const double *beta, long *score, double *eta,
                               mql_err *err);

#endif
