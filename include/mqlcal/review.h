/* review.h: the quarterly review pipeline (DESIGN section 6) as one library call: split the leads,
 * fit the new model, score and evaluate it and the current one, backtest, recommend a threshold,
 * plan, and read the results into findings. `mqlcal review` loads the leads, calls mql_review_run,
 * writes the result with report_review.h and prints; nothing here prints or touches files. */
#ifndef MQLCAL_REVIEW_H
#define MQLCAL_REVIEW_H

#include <stddef.h>
#include "mqlcal/backtest.h"
#include "mqlcal/common.h"
#include "mqlcal/design.h"
#include "mqlcal/evaluate.h"
#include "mqlcal/glm.h"
#include "mqlcal/leakage.h"
#include "mqlcal/model.h"
#include "mqlcal/plan.h"
#include "mqlcal/points_fit.h"
#include "mqlcal/report_table.h"
#include "mqlcal/table.h"

/* How the leads are split between fitting the new model and evaluating both models. */
typedef enum mql_review_split {
    MQL_REVIEW_IN_SAMPLE = 0,   /* no split: fit and evaluate on every lead (said in the texts) */
    MQL_REVIEW_TRAIN_UNTIL,     /* fit on leads created on or before train_until (needs date_col) */
    MQL_REVIEW_HOLDOUT_LAST     /* fit on the first rows, evaluate on the last fraction holdout */
} mql_review_split;

/* What the review is asked to do. Everything is borrowed: the table, the arrays, the current
 * model and the columns table must outlive the result (the result points into them). */
typedef struct mql_review_spec {
    /* The leads and their roles (arrays of table->n_rows entries). */
    const char *file;                 /* the lead file as given: texts and the model's record */
    const mql_table *table;
    const unsigned char *y;           /* outcome (won) 0/1, required */
    const unsigned char *sql;         /* SQL stage 0/1, or NULL */
    long date_col, acv_col;           /* -1: none */
    const double *w;                  /* frequency weights, or NULL */
    const char *outcome_label;        /* the outcome in words ("closed_won"), or NULL */
    /* The new model's training record: role column names as given (NULL: none). */
    const char *outcome_column, *sql_column, *acv_column, *date_column, *weight_column;
    /* The column profile (inspect): one row per column, written as columns.csv (may be NULL);
     * notes "col: note" for the report; feature[j] 1 for a candidate feature (NULL: every
     * column). screen: the screening of the columns (leakage.h; NULL: none): leakage suspects
     * and identifier-like numbers among the candidates are left out of the new model unless
     * keep[j] is 1 (--keep, or listed in --features; keep NULL: none kept). */
    const mql_tab *columns;
    const char *const *column_notes;
    size_t n_column_notes;
    const unsigned char *feature;
    const mql_screen *screen;
    const unsigned char *keep;
    /* The models. */
    const mql_model *current;         /* the model in production (needs points), or NULL */
    const mql_design_opts *design;    /* the new model's design (NULL: defaults); leakage
                                         suspects are added to a copy's roles, not to it */
    mql_glm_opts glm;
    int l2_given;                     /* 1: --l2 was given: no automatic Firth refit (with
                                         glm.method Firth there is none either); 0: a plain fit
                                         that separates or has fewer than MQL_MIN_EPV events per
                                         parameter is refitted by Firth's method with FLIC */
    mql_points_opts points;
    const char *created;              /* the new model's "created" stamp (e.g. from
                                         SOURCE_DATE_EPOCH), or NULL for now */
    /* Split, censoring, recommendation, plan. */
    mql_review_split split;
    long train_until;                 /* TRAIN_UNTIL: the last training day (days since
                                         1970-01-01) */
    double holdout;                   /* HOLDOUT_LAST: the evaluated fraction, 0 < f < 1 */
    long maturity;                    /* > 0: censor leads younger than this many days */
    const unsigned char *open;        /* 1: the outcome is still open: not fitted, censored in
                                         every rate (NULL: none) */
    const char *open_label;           /* those leads in words ("deal_stage is Engaging"), or NULL */
    size_t months;                    /* > 0: the months the file covers when it has no dates */
    double capacity;                  /* > 0: SDR capacity in MQLs per month; 0: none */
    const mql_dplan_in *plan;         /* the pipeline plan, or NULL */
} mql_review_spec;

/* A finding or a note for the reader: how to show it (kind), a short title and the text. */
typedef enum mql_review_kind {
    MQL_REVIEW_INFO = 0,
    MQL_REVIEW_WARNING,
    MQL_REVIEW_GOOD
} mql_review_kind;

typedef struct mql_review_item {
    mql_review_kind kind;
    char *title;
    char *text;
    int lead;         /* 1: read before any figure (leakage, a model too good or no better than
                         chance); such findings come first in `findings` */
} mql_review_item;

/* Engagement decay of a review whose leads were looked at through an activity log (optional;
 * filled by the front end after mql_review_run, borrowed by the writer). */
typedef struct mql_review_decay {
    size_t n;                         /* event features */
    const char *const *feature;       /* their names (columns of the new model) */
    const mql_decay *decay;           /* the decay of each */
    const mql_decay_fit *fit;         /* per feature, or NULL when the decays were stated */
    const unsigned char *fitted;      /* per feature: 1 when fit[k] was fitted (fit != NULL) */
    double logloss_none, logloss_window, logloss_fitted;   /* held-out (fit != NULL) */
    char as_of[32];                   /* the data's end: when the stale count looks */
    size_t n_mql;                     /* MQLs by the new model as of then */
    size_t n_stale;                   /* more leads that would be MQLs if nothing decayed */
} mql_review_decay;

/* Everything the review computed. Owned pointers are freed by mql_review_free; the borrowed ones
 * (marked) point into the spec's objects. */
typedef struct mql_review {
    /* The input, for the texts. */
    char *file, *outcome_label;       /* copies ("" when none) */
    const mql_table *table;           /* borrowed */
    const mql_tab *columns;           /* borrowed (may be NULL) */
    const mql_model *current;         /* borrowed (NULL: no current model) */
    int has_sql;                      /* the leads have an SQL stage */
    long maturity;
    /* The split. role: 1 train, 2 evaluation, 0 neither; NULL when in-sample (then the subsets
     * and their arrays are NULL and n_train = n_eval = every lead). */
    unsigned char *role;
    size_t n_train, n_eval;
    char split_text[256];             /* the split in one sentence (no final full stop) */
    mql_table *train_t, *eval_t;
    unsigned char *y_train, *y_eval, *sql_eval;
    unsigned char *open_eval;         /* open leads among the evaluation leads (NULL: none) */
    double *w_train;
    /* The new model and how it was fitted. */
    mql_model *model;
    mql_fit_diag diag;
    mql_fit_choice choice;            /* reason != MQL_FIRTH_NOT_USED: the plain fit separated
                                         or had too few events per parameter; Firth was used */
    size_t n_leak;                    /* leakage suspects left out of the new model */
    char leak_names[512];
    size_t n_idlike;                  /* identifier-like numbers left out of the new model */
    int too_good;                     /* AUC > 0.95 or McFadden R2 > 0.6: see the findings */
    int weak;                         /* the new model does not beat chance (evaluation AUC
                                         interval holds 0.5, or its LR test p >= 0.05): no
                                         threshold is recommended (rec is still the row the
                                         tables would mark; has_rec is 0) */
    int has_rec;                      /* 1: rec is a recommendation (0 also when the evaluation
                                         leads hold fewer than 2 won or 2 lost: nothing can be
                                         judged) */
    char no_rec_why[160];             /* !has_rec: why, e.g. "the new model does not beat
                                         chance" */
    double lr_p;                      /* the new model's likelihood-ratio test p (training) */
    /* The evaluation (on the evaluation leads; cur_all: the current model on every lead). */
    mql_scored *cur_s, *new_s, *cur_all;
    mql_eval_summary cur_sum, new_sum;
    mql_compare *cmp;
    mql_bt_sweep *new_sw, *cur_sw;
    size_t rec;                       /* the recommended row of new_sw */
    size_t cur_row;                   /* the current threshold's row of cur_sw */
    char rec_text[512];               /* the recommendation in words */
    int has_psi;
    mql_eval_psi psi;                 /* the current score's drift (has_psi) */
    mql_dplan *plan;                  /* NULL without a plan */
    char plan_msg[512];               /* a plan was asked for but the evaluation leads cannot
                                         carry one (no won lead, no usable rate): why; else "" */
    double capacity;                  /* the spec's SDR capacity (0: none) */
    int plan_over_capacity;           /* the plan's threshold needs more MQLs a month than the
                                         capacity */
    double eng_share_cur, eng_share_new;   /* share of score variance from engagement points */
    int flat_group;                   /* 1: the new model's fit or engagement sub-score has no
                                         spread on the evaluation leads (grades cannot tell) */
    /* The tables, each the content of one CSV file (NULL when not computed). summary holds the
     * key figures: key, value (full precision), shown (as quoted in the texts). */
    mql_tab *summary;
    mql_tab *t_thr, *t_thr_cur, *t_cal, *t_cal_cur, *t_bands, *t_gains, *t_gains_cur, *t_hist,
        *t_grades, *t_psi, *t_cmp, *t_mig, *t_rules_diff, *t_rules, *t_metrics, *t_metrics_cur,
        *t_plan, *t_plan_thr;
    mql_tab *t_groups;                /* every feature's group and why (groups.csv) */
    mql_tab *t_screen;                /* the screening of every column (screening.csv; NULL
                                         without a screen) */
    /* The texts: the diagnosis, the notes about the data (censoring, leakage, separation, fit
     * warnings, skipped columns: each column once), and the warnings a front end should also
     * tell the user at once. */
    mql_review_item *findings;
    size_t n_findings;
    mql_review_item *data_notes;
    size_t n_data_notes;
    char **warnings;
    size_t n_warnings;
    const mql_review_decay *decay;    /* borrowed, set by the caller; NULL: no activity log */
    double step_seconds[6];     /* wall seconds of the steps: leakage, split, fit, evaluate,
                                   tables, findings (with key figures and alerts) */
    double step_cpu[6];         /* the process's CPU seconds (every thread) in each step */
} mql_review;

/* Runs the review described by spec. The recommendation: with a capacity, the lowest threshold
 * within it; else the plan's threshold; else the threshold keeping the current model's MQL volume;
 * else the new model's own threshold. Errors (err filled, *out NULL): MQL_EDATA (e.g. a feature
 * of the current model missing from the table, a fit that separates with l2_given, no won lead in
 * a part), MQL_EUSAGE (a split or plan the data cannot serve), MQL_ENOCONV, MQL_ENOMEM. Messages
 * start with the option they concern ("--train-until: ...", "fit: ...", "plan: ..."). On success
 * *out is the caller's to free with mql_review_free. */
int mql_review_run(const mql_review_spec *spec, mql_review **out, mql_err *err);

/* Frees r and everything it owns. NULL-safe. */
void mql_review_free(mql_review *r);

/* The least span of the grade heatmap's colour scale: the larger of 10 percentage points and
 * half the evaluation leads' won rate, so cells that differ by less than that never take the
 * whole colour range (docs/DESIGN-NOTES.md). */
double mql_review_heat_span(const mql_review *r);

#endif
