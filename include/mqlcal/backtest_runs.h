/* backtest_runs.h: the out-of-sample runs of `backtest`, as library calls: walk-forward by
 * quarter, K-fold cross-validation, and one train/test split (train-until a date, or a holdout of
 * the last rows) with the model trained on the first part and scored on both. The command only
 * parses options and prints; `review` builds its own split around the same primitives. */
#ifndef MQLCAL_BACKTEST_RUNS_H
#define MQLCAL_BACKTEST_RUNS_H

#include <stddef.h>

#include "mqlcal/evaluate.h"

/* Walk-forward by quarter: every quarter after the first is tested on a model trained on every
 * earlier lead (or on `fixed`, a model that is not refitted). Rows without a date belong to no
 * part. date_col must be a DATE column of t. Results as mql_eval_run_parts (labels "2024Q3").
 * Free *out with mql_eval_runs_free. */
int mql_eval_walk_forward(const mql_table *t, const mql_eval_roles *r, long date_col,
                          const mql_points *fixed, const mql_train_spec *spec,
                          mql_eval_runs **out, mql_err *err);

/* K-fold cross-validation (k >= 2), folds stratified by the outcome with the given seed
 * (mql_kfold_assign): fold j is tested on a model trained on the other folds. Labels "fold 1".. */
int mql_eval_kfold(const mql_table *t, const mql_eval_roles *r, size_t k, unsigned long seed,
                   const mql_points *fixed, const mql_train_spec *spec, mql_eval_runs **out,
                   mql_err *err);

/* How to split the rows into a training and a test part. */
typedef struct mql_split_how {
    int by_date;                /* 1: train on leads created up to until_day, test on later ones */
    long until_day;             /* days since 1970-01-01 (by_date) */
    long date_col;              /* DATE column of t (by_date) */
    double holdout;             /* by_date 0: test on the last fraction (0, 1) of rows */
} mql_split_how;

/* One train/test split evaluated. */
typedef struct mql_split_eval {
    unsigned char *role;        /* per row of t: 1 train, 2 test, 0 neither (no date) */
    mql_model *model;           /* the model trained on the training part; NULL when a fixed
                                   model was evaluated */
    mql_scored *all;            /* every row of t scored by the evaluated model */
    mql_scored *train, *test;   /* its training and test rows */
    char train_label[64];       /* "created on or before 2025-06-30", "first 0.8 of the rows" */
    char test_label[64];        /* "created after 2025-06-30", "last 0.2 of the rows" */
} mql_split_eval;

/* Splits t as `how` says, trains a model on the training rows with spec (y from r->y; w: weights
 * with t's n_rows entries, or NULL) unless `fixed` is given, and scores every row with it.
 * MQL_EDATA / MQL_EUSAGE with err naming the part for an empty part or a failed fit ("training on
 * the leads created on or before ...: ..."). Free *out with mql_split_eval_free. */
int mql_split_eval_run(const mql_table *t, const mql_eval_roles *r, const double *w,
                       const mql_split_how *how, const mql_points *fixed,
                       const mql_train_spec *spec, mql_split_eval **out, mql_err *err);
void mql_split_eval_free(mql_split_eval *s);

/* The split table: one row per part ("in-sample", "out-of-time") with part, rows, leads, won,
 * base_rate, auc, auc_lo, auc_hi, brier, logloss. Returns MQL_OK with *out (free with
 * mql_tab_free), or the status of a part whose metrics cannot be computed (err names the part),
 * or MQL_ENOMEM. */
int mql_split_eval_tab(const mql_split_eval *s, mql_tab **out, mql_err *err);

#endif
