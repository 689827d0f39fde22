/* evaluate.h: applying a points model to a lead set and evaluating it (DESIGN sections 4 and 6):
 * the scored set, summary metrics, thresholds, reliability, bands, gains, PSI, score histogram,
 * fit x engagement grades, model comparison and out-of-time / cross-validated runs. Every result
 * comes as a struct and as an mql_tab, so `backtest`, `calibrate`, `compare` and `review` (and
 * its HTML report) show the same numbers.
 *
 * Conventions:
 *  - Censored leads (too young, --maturity) count in volumes and are excluded from every rate and
 *    every metric (AUC, Brier, calibration, ...): their outcome is not known yet.
 *  - A model without a score -> probability map (a hand-written rules CSV) gets probabilities from
 *    an in-sample Platt fit of won on the score (mql_platt_fit over the rated leads); the scored
 *    set says so (prob_platt) and every front end prints MQL_EVAL_PLATT_NOTE.
 *  - Functions return MQL_OK or MQL_EDATA / MQL_EUSAGE / MQL_ENOMEM / MQL_ENOCONV with err filled
 *    (err may be NULL); objects are freed with the named _free (NULL-safe). mql_tab results are
 *    NULL on allocation failure. */
#ifndef MQLCAL_EVALUATE_H
#define MQLCAL_EVALUATE_H

#include <stddef.h>
#include "mqlcal/backtest.h"
#include "mqlcal/common.h"
#include "mqlcal/design.h"
#include "mqlcal/glm.h"
#include "mqlcal/metrics.h"
#include "mqlcal/model.h"
#include "mqlcal/points_fit.h"
#include "mqlcal/score.h"
#include "mqlcal/report_table.h"
#include "mqlcal/table.h"

#define MQL_EVAL_PLATT_NOTE \
    "probabilities from an in-sample Platt fit: the rules file has no score map"
#define MQL_EVAL_PSI_RULE \
    "empty-bin rule: a bin with no lead in a period gets the share 0.5/n of that period " \
    "(half a lead), so the logarithm stays finite"

/* ---- the scored set ----------------------------------------------------------------------- */

/* The roles of the leads being scored: arrays have the table's n_rows entries. */
typedef struct mql_eval_roles {
    const unsigned char *y;     /* outcome (won) 0/1; required */
    const unsigned char *sql;   /* SQL stage 0/1, or NULL */
    long date_col;              /* created date column (DATE), -1 for none */
    long acv_col;               /* deal value column (NUMERIC), -1 for none */
    long maturity_days;         /* > 0: censor leads younger than this (needs date_col) */
    const unsigned char *open;  /* 1: outcome still open (--open): censored like a young lead;
                                   NULL: none open */
    size_t months;              /* > 0: the months the leads cover when there is no date
                                   (--months): the divisor of every per-month volume */
    int lend_columns;           /* 1: the scored set's date and acv arrays are the table's
                                   columns, not copies (the table must outlive the set) */
} mql_eval_roles;

/* A model applied to leads. Every array has n entries and is owned by the set. */
typedef struct mql_scored {
    size_t n;
    double *score;              /* integer points (as doubles) */
    double *prob;               /* P(won) by the model's map, or by the in-sample Platt map */
    double *fit, *eng;          /* fit and engagement sub-scores; NULL when built from arrays */
    unsigned char *y;
    unsigned char *sql;         /* NULL without an SQL stage */
    double *date;               /* days since 1970-01-01 (NAN: none); NULL without a date */
    long *month;                /* mql_month_index of date; NULL without a date */
    double *acv;                /* NULL without ACV */
    unsigned char *censored;    /* NULL when nothing is censored (young or open) */
    size_t n_censored;          /* young (--maturity) or open leads */
    unsigned char *open;        /* the open leads among them; NULL when none */
    size_t n_open;
    size_t months;              /* stated months (--months), 0 when not stated */
    long maturity_days;         /* 0: none */
    double end_day;             /* the data's end date used for censoring (NAN: none) */
    int prob_platt;             /* 1: prob comes from the in-sample Platt fit below */
    int no_prob;                /* 1: no map could be fitted (the rated leads hold no won or no
                                   lost lead): every prob is NAN, platt.a and platt.b too */
    mql_platt platt;
    long threshold;             /* the model's MQL threshold */
    const mql_points *model;    /* borrowed; NULL when built from arrays */
    double *uncapped;           /* models with caps: the score before any cap; NULL otherwise */
    size_t cap_binds[3];        /* leads the fit, engagement and total cap bound */
    /* A run of another set's leads (mql_scored_part): these arrays point into that set, which
     * outlives this one, and are not freed with it. */
    unsigned char borrows;      /* score, fit, eng, y, sql, date, month and acv */
    unsigned char borrows_prob; /* prob (a model with a map: the same probability per score) */
    unsigned char borrows_columns; /* date and acv: the table's (mql_eval_roles.lend_columns) */
} mql_scored;

/* Scores every row of t with model m (through mql_scorer_bind, so a missing column is
 * MQL_EDATA naming it) and attaches the roles. Maturity censoring as mql_censor_mask. A model
 * without a map gets the in-sample Platt map (EDATA / ENOCONV when it cannot be fitted: all
 * scores equal, or separation; when the rated leads hold no won or no lost lead there is no map:
 * no_prob = 1 and every prob is NAN). m and t are borrowed only during the call, except that
 * out->model keeps pointing at m. Free with mql_scored_free. */
int mql_scored_new(const mql_points *m, const mql_table *t, const mql_eval_roles *r,
                   mql_scored **out, mql_err *err);

/* A scored set from plain arrays (tests, other scorers): prob NULL means in-sample Platt. sql,
 * date and acv may be NULL; threshold is the MQL threshold. Arrays are copied. */
int mql_scored_from_arrays(size_t n, const double *score, const double *prob,
                           const unsigned char *y, const unsigned char *sql, const double *date,
                           const double *acv, long threshold, mql_scored **out, mql_err *err);

/* The quarter index of lead i of s (mql_quarter_index of its date; LONG_MIN without one), read
 * from s->month when the set has it. s must have a date. */
long mql_scored_quarter(const mql_scored *s, size_t i);

/* The rows with mask[i] != 0, in order (the Platt map, when used, is refitted on the subset).
 * EDATA when the subset is empty. */
int mql_scored_subset(const mql_scored *s, const unsigned char *mask, mql_scored **out,
                      mql_err *err);

/* The leads of all that part marks with which (part NULL: every lead), as mql_scored_new scores
 * them on the table of just those rows: all comes from mql_scored_new on the whole table, and
 * of r only open (indexed by the kept leads), maturity_days and months are read, applied to the
 * part as mql_scored_new applies them (the censoring's end date is the part's own; a model
 * without a map gets the Platt map of the part's rated leads). Every array and figure equals
 * mql_scored_new's on the subset table, without scoring again. When the kept leads are one run
 * the set borrows all's arrays (all must outlive it); otherwise they are copied. EUSAGE for a
 * model with caps (their binds are counted by scoring: use mql_scored_new) or a set not from
 * mql_scored_new; EDATA when no lead is kept. */
int mql_scored_part(const mql_scored *all, const unsigned char *part, unsigned char which,
                    const mql_eval_roles *r, mql_scored **out, mql_err *err);
void mql_scored_free(mql_scored *s);

/* The backtest input view of s (arrays borrowed from s). */
mql_bt_input mql_scored_bt_input(const mql_scored *s);

/* ---- summary metrics ---------------------------------------------------------------------- */

typedef struct mql_eval_summary {
    size_t n, n_censored, n_rated, events;
    double base_rate;           /* events / n_rated */
    mql_auc_interval auc;       /* DeLong 95% on the integer score; NAN when !has_auc */
    mql_ks_result ks;           /* NAN when !has_ks */
    int has_auc;                /* 0: fewer than 2 won or 2 lost rated leads (few_msg says so) */
    int has_ks;                 /* 0: no won or no lost rated lead */
    char few_msg[96];           /* "n/a (too few: 11 won, 1 lost)" when a metric is not computed */
    int few;                    /* fewer than MQL_AUC_MIN_CLASS won or lost rated leads: an AUC,
                                   calibration or HL computed is shown with few_note */
    char few_note[112];         /* "on 2 won and 7 lost leads: too few to judge (at least 10 of
                                   each needed)" (mql_few_note), "" when !few */
    double brier, logloss;      /* of prob */
    int has_calib;              /* 0 when the recalibration fit failed (calib_msg says why) */
    mql_calib calib;
    char calib_msg[160];
    int has_hl;                 /* 0 when HL could not be computed (hl_msg says why) */
    mql_hl hl;
    mql_hl_group hl_groups[10];
    char hl_msg[160];
    int prob_platt;
    int no_prob;                /* the scored set's no_prob: Brier, log loss, calibration n/a */
    double threshold;           /* the model's threshold and its probability */
    double threshold_prob;
    int has_caps;               /* the model has caps: */
    size_t cap_binds[3];        /*   leads (all, censored included) the fit / engagement / total
                                     cap bound */
    double auc_uncapped;        /*   the cap cost: AUC and log loss of the score before the caps
                                     (rated leads; log loss through the same map), against auc /
                                     logloss of the capped score */
    double logloss_uncapped;
} mql_eval_summary;

/* Computes the summary over the rated leads (censored excluded). HL uses g = 10 groups of prob
 * (mql_hosmer_lemeshow); calibration intercept and slope by mql_calibration. A small window never
 * fails: AUC and its interval need two rated leads of each class (else has_auc = 0), KS one of
 * each (else has_ks = 0), Brier and log loss one rated lead (else NAN); few_msg then reads
 * "n/a (too few: W won, L lost)"; HL and calibration failures are recorded in their messages.
 * Under MQL_AUC_MIN_CLASS won or lost leads the figures computed carry few_note (few = 1). */
int mql_eval_summarize(const mql_scored *s, mql_eval_summary *out, mql_err *err);

/* Rows metric,value,lo,hi,note: leads, censored, rated, won, base rate, AUC, Gini, KS, Brier,
 * log loss, calibration intercept, calibration slope, HL chi-square, HL p; for a model with
 * caps also "leads capped: fit / engagement / total", "AUC without caps", "log loss without
 * caps". */
mql_tab *mql_eval_summary_tab(const mql_eval_summary *m);

/* One sentence reading calibration in plain language into buf, e.g. "scores overstate
 * conversion: a lead the model gives 10% converts at 6.8%" (evaluated at the threshold's
 * probability through the recalibration a + b logit p), followed by the slope's reading. */
size_t mql_eval_calib_sentence(const mql_eval_summary *m, char *buf, size_t cap);

/* The two probabilities that sentence quotes: *stated, the model's probability at its threshold
 * (the base rate when that is not in (0, 1)), and *observed, what leads stated so convert by the
 * recalibration. Returns 0, or -1 (both NAN) without a calibration fit. */
int mql_eval_calib_reading(const mql_eval_summary *m, double *stated, double *observed);

/* ---- recalibration ------------------------------------------------------------------------ */

typedef enum mql_recal_method { MQL_RECAL_PLATT = 0, MQL_RECAL_ISOTONIC } mql_recal_method;

/* Replaces the score -> probability map of m (the points, threshold and rules untouched) with one
 * fitted on the rated leads of s (s scored by m): Platt = maximum-likelihood logistic regression
 * of won on the score (mql_platt_fit: map_a, map_b, method "platt"); isotonic = pool-adjacent-
 * violators on the score (mql_isotonic_fit: knots, method "isotonic"). The bands are recomputed
 * by mql_points_make_bands so their probabilities follow the new map. On failure m is unchanged.
 * EDATA / ENOCONV as the fits, ENOMEM. */
int mql_eval_recalibrate(const mql_scored *s, mql_points *m, mql_recal_method method,
                         mql_err *err);

/* ---- thresholds ---------------------------------------------------------------------------- */

/* The sweep over s (thresholds NULL: every distinct score), as mql_bt_sweep_run. */
int mql_eval_sweep(const mql_scored *s, const double *thresholds, size_t n_thresholds,
                   mql_bt_sweep **out, mql_err *err);

/* Every column DESIGN section 4 lists, one row per threshold: threshold, prob (the map's
 * probability at the threshold; empty without a model), mqls, share, mqls_per_month, censored,
 * sqls, sql_rate, sql_lo, sql_hi, won, won_rate, won_lo, won_hi, recall, lift, f1, acv_won,
 * acv_share, below, won_missed. rows: indices into sw->rows to include (NULL: all). */
mql_tab *mql_eval_thresholds_tab(const mql_bt_sweep *sw, const mql_scored *s,
                                 const size_t *rows, size_t n_rows);

/* ---- reliability and bands ------------------------------------------------------------------ */

/* Score cuts for n_bands bands of roughly equal size: the distinct type-7 quantiles of the
 * scores at k / n_bands, k = 1..n_bands-1, above the minimum score. *cuts is malloc'd (free()).
 * EUSAGE when n_bands < 2. Fewer cuts result when scores tie heavily. */
int mql_eval_score_cuts(const mql_scored *s, size_t n_bands, double **cuts, size_t *n_cuts,
                        mql_err *err);

/* Reliability by score bands [cut_k, cut_k+1) over the rated leads: band, score_lo, score_hi,
 * leads, won, predicted (mean prob), observed, observed_lo, observed_hi (Wilson 95%). */
int mql_eval_reliability_bands(const mql_scored *s, const double *cuts, size_t n_cuts,
                               mql_tab **out, mql_err *err);

/* Reliability by 10 quantile bins of prob (sklearn calibration_curve strategy='quantile'):
 * bin, p_lo, p_hi, leads, won, predicted, observed, observed_lo, observed_hi. */
int mql_eval_reliability_quantile(const mql_scored *s, size_t n_bins, mql_tab **out,
                                  mql_err *err);

/* The model's bands (A-D from mql_points_make_bands): band, score_lo, score_hi, leads,
 * censored, won, rate, rate_lo, rate_hi, predicted. EDATA when s has no model with bands. */
int mql_eval_bands(const mql_scored *s, mql_tab **out, mql_err *err);

/* Cumulative gains by score decile: decile, score_min, score_max, leads, won, rate, cum_leads,
 * cum_won, capture, lift, cum_lift (rated leads). No row when no rated lead is won. */
int mql_eval_gains(const mql_scored *s, mql_tab **out, mql_err *err);

/* ---- stability ------------------------------------------------------------------------------ */

typedef struct mql_eval_psi {
    int by_quarter;             /* 1: earliest vs latest quarter; 0: first vs last half (rows) */
    char base_label[32], cur_label[32];   /* "2024Q1", "rows 1-10000" */
    size_t n_base, n_cur;
    mql_psi psi;
    mql_psi_bin bins[10];
} mql_eval_psi;

/* PSI of the score between the earliest and the latest period: the first and last quarters with
 * leads when s has dates (at least two quarters), else the first and second half of the rows in
 * file order. Bins: the baseline's deciles (mql_psi_compute, cuts NULL); the empty-bin rule is
 * MQL_EVAL_PSI_RULE. All leads count (PSI is about the score's population, not outcomes). */
int mql_eval_psi_compute(const mql_scored *s, mql_eval_psi *out, mql_err *err);
/* Rows bin, score_lo, score_hi, base_leads, cur_leads, base_share, cur_share, term. */
mql_tab *mql_eval_psi_tab(const mql_eval_psi *p);

/* ---- distribution and grades ---------------------------------------------------------------- */

/* Score histogram of won vs lost (rated leads) over about n_bins equal-width bins of whole
 * points: bin_lo, bin_hi, won, lost, won_share, lost_share. No row when no lead is rated. */
int mql_eval_histogram(const mql_scored *s, size_t n_bins, mql_tab **out, mql_err *err);

/* Fit x engagement grade matrix: fit grade A (top) .. D by the fit sub-score's type-7 quartiles
 * (A: fit >= Q3, B: Q2 <= fit < Q3, C: Q1 <= fit < Q2, D: fit < Q1), engagement 1 (top) .. 4 by
 * the engagement sub-score's the same way. Rows for all 16 cells: grade ("A1"), fit_grade,
 * engagement, leads, won, rate, rate_lo, rate_hi (rates over rated leads). EDATA without
 * sub-scores. */
int mql_eval_grades(const mql_scored *s, mql_tab **out, mql_err *err);

/* ---- model comparison ------------------------------------------------------------------------ */

typedef enum mql_rule_change {
    MQL_RULE_SAME = 0, MQL_RULE_CHANGED, MQL_RULE_ADDED, MQL_RULE_REMOVED
} mql_rule_change;

typedef struct mql_rule_diff {
    const mql_rule *old_rule, *new_rule;  /* borrowed; one is NULL for added / removed */
    mql_rule_change change;
    long old_points, new_points;          /* 0 for the absent side */
} mql_rule_diff;

typedef struct mql_compare {
    mql_eval_summary old_sum, new_sum;
    mql_bt_sweep *old_at, *new_at;        /* one-row sweeps at each model's threshold */
    size_t move[4];                       /* stay MQL, become MQL, stop being MQL, stay non-MQL */
    size_t move_rated[4], move_won[4];
    mql_rule_diff *rules;
    size_t n_rules;
    const mql_points *old_model, *new_model;   /* borrowed from the scored sets (may be NULL) */
} mql_compare;

/* Compares two scored sets of the same leads (same n and y): summaries, volume and conversion
 * at each model's threshold, migration (score >= threshold under each model), and the rules
 * diff (rules matched by feature, operator and value, case-insensitive: same / changed points /
 * added / removed). EDATA when the sets differ in n. Free with mql_compare_free. */
int mql_compare_run(const mql_scored *olds, const mql_scored *news, mql_compare **out,
                    mql_err *err);
/* mql_compare_run with either summary already computed (mql_eval_summarize of that set; NULL:
 * computed here), copied instead of computed again, and either set's sweep over its distinct
 * scores (mql_eval_sweep; NULL: none), whose row at exactly the model's threshold, when it has
 * one, is the one-row sweep at that threshold. */
int mql_compare_run_summarized(const mql_scored *olds, const mql_eval_summary *old_sum,
                               const mql_bt_sweep *old_sw, const mql_scored *news,
                               const mql_eval_summary *new_sum, const mql_bt_sweep *new_sw,
                               mql_compare **out, mql_err *err);
void mql_compare_free(mql_compare *c);
/* metric, old, new, change: AUC, Gini, KS, Brier, log loss, threshold, MQLs, MQLs/month,
 * MQL-to-won, MQL-to-SQL, recall; when either model has caps, the leads each cap binds
 * ("leads the fit cap binds", engagement, total; empty for a model without that cap). */
mql_tab *mql_compare_metrics_tab(const mql_compare *c);
/* movement, leads, rated, won, won_rate. */
mql_tab *mql_compare_migration_tab(const mql_compare *c);
/* feature, operator, value, old_points, new_points, change. */
mql_tab *mql_compare_rules_tab(const mql_compare *c);

/* ---- training and out-of-sample runs ---------------------------------------------------------- */

/* Why an automatic refit used Firth's method. */
typedef enum mql_firth_reason {
    MQL_FIRTH_NOT_USED = 0,
    MQL_FIRTH_SEPARATION,       /* the plain fit separates: its MLE is infinite */
    MQL_FIRTH_FEW_EVENTS        /* fewer than MQL_MIN_EPV events per parameter */
} mql_firth_reason;

/* What the automatic choice did: the last refit's method and reason, and counts over every refit
 * made with the same spec (the parts of a backtest). */
typedef struct mql_fit_choice {
    mql_firth_reason reason;    /* of the last refit */
    double epv;                 /* its events per parameter */
    char why[1100];             /* its plain fit's separation message, or the EPV sentence */
    size_t n_fits, n_separation, n_few_events;
} mql_fit_choice;

/* What a refit needs: design and glm options (NULL: defaults), points options, weights. */
typedef struct mql_train_spec {
    const mql_design_opts *design;
    const mql_glm_opts *glm;
    const double *w;            /* frequency weights for the whole table, or NULL */
    mql_points_opts points;
    int auto_firth;             /* 1: a plain fit (glm method ML, l2 = 0) that separates or has
                                   fewer than MQL_MIN_EPV events per parameter is refitted by
                                   Firth's method with FLIC (no profile intervals) */
    mql_fit_choice *choice;     /* may be NULL: receives what auto_firth did */
} mql_train_spec;

/* The train step plus the points step: mql_model_train on t (y, w with t's n_rows entries),
 * then mql_points_from_fit_data with the training binding, filling out->points. Separation
 * of a plain fit is MQL_EDATA (unless spec->auto_firth, which refits by Firth's method and
 * records why in spec->choice), no convergence MQL_ENOCONV (with *out NULL: such a model is not
 * for use). diag (may be NULL) describes the fit that was kept. */
int mql_eval_train(const mql_table *t, const unsigned char *y, const double *w,
                   const mql_train_spec *spec, mql_model **out, mql_fit_diag *diag,
                   mql_err *err);

typedef enum mql_split_mode {
    MQL_SPLIT_BEFORE = 0,       /* part j is tested on a model trained on parts < j (j >= 1) */
    MQL_SPLIT_OTHERS            /* part j is tested on a model trained on every other part */
} mql_split_mode;

/* One tested part. Metrics are on the test leads' rated rows (NAN when a class is missing). */
typedef struct mql_eval_part {
    char label[40];             /* "2024Q3", "fold 2", "after 2024-06-30" */
    size_t n_train, n_test, test_rated, test_won;
    double auc, brier, logloss;
    double threshold;           /* the tested model's own threshold */
    size_t mqls;
    double mqls_per_month, won_rate, sql_rate, recall;
} mql_eval_part;

typedef struct mql_eval_runs {
    size_t n_parts;
    mql_eval_part *parts;
    mql_scored *pooled;         /* every tested lead, with the probability of the model that
                                   tested it (score = that probability, so pooled AUC compares
                                   probabilities across refits) */
    mql_eval_part pooled_part;  /* the same metrics over pooled (label "pooled") */
} mql_eval_runs;

/* Out-of-sample evaluation. part[i] (t->n_rows entries) puts each row in part 0..n_parts-1, or
 * -1 for none; labels[j] names part j. For each tested part (mode above), either the fixed model
 * (fixed != NULL: no refit; hand-written rules) or a model trained by mql_eval_train on the
 * training rows scores the whole table and is evaluated on the part's rows. Censoring of r
 * applies. EDATA when a training or test part is empty or the train step fails (the message
 * names the part). Free with mql_eval_runs_free. */
int mql_eval_run_parts(const mql_table *t, const mql_eval_roles *r, const long *part,
                       size_t n_parts, const char *const *labels, mql_split_mode mode,
                       const mql_points *fixed, const mql_train_spec *spec,
                       mql_eval_runs **out, mql_err *err);
void mql_eval_runs_free(mql_eval_runs *runs);
/* part, n_train, n_test, rated, won, auc, brier, logloss, threshold, mqls, mqls_per_month,
 * won_rate, sql_rate, recall; the pooled row last when with_pooled. */
mql_tab *mql_eval_runs_tab(const mql_eval_runs *runs, int with_pooled);

#endif
