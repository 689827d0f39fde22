/* points_cost.h: the points step's one pass over the training leads (points_cost.c): each lead's
 * integer score from per-feature lookup tables (no design rows), and from it the threshold's
 * score range, the rounding and cap costs, and the leads the sampled self-check scores. */
#ifndef MQLCAL_POINTS_COST_H
#define MQLCAL_POINTS_COST_H

#include <pthread.h>

#include "mqlcal/design.h"
#include "mqlcal/points.h"

/* Leads up to this count are always self-checked in full (every lead through the exported
 * rules); larger tables check the sample of mql_points_pass.check_rows unless asked for all. */
#define MQL_SELFCHECK_FULL_ROWS 100000
/* Random leads added to the sampled self-check (fixed seed). */
#define MQL_SELFCHECK_SAMPLE 10000

/* What the pass returns besides the costs it stores in the points model. */
typedef struct mql_points_pass {
    double base_rate;          /* weighted mean of y (mean fitted probability without y); NAN
                                  without rows */
    long lo, hi;               /* lowest and highest (capped) score of a lead; hi < lo: no rows */
    long *scores;              /* with want_scores: every lead's (capped) score, caller frees */
    size_t *check_rows;        /* with want_check: ascending distinct rows, caller frees */
    size_t n_check;
    long *check_scores;        /* with want_check: the (capped) score of each check row, as
                                  mql_points_inside_rows gives it, caller frees */
} mql_points_pass;

/* The pass's inputs besides the data. */
typedef struct mql_points_pass_in {
    const double *eta;         /* b->n_rows linear predictor at the fitted coefficients */
    int eta_writable;          /* 1: eta is the caller's scratch: the pass keeps the scores in
                                  its memory, and the exact model's AUC may sort it in place
                                  (unweighted rows its buckets cannot count), saving a copy */
    int have_exact;            /* 1: auc_exact and logloss_exact below are the exact model's
                                  (a second pass on the same fit): eta is not read with y */
    double auc_exact, logloss_exact;
    int want_scores, want_check;
    int threads;               /* threads that score the leads: 0 = two on large tables (100000
                                  rows or more), else one; 1 or 2 = that many (tests) */
} mql_points_pass_in;

/* One pass over the rows of b for the points model m made from design d:
 *  - each lead's score exactly as mql_points_internal_scores gives it (term points of the terms
 *    mql_design_fill would set, step points of LINEAR terms, interaction cells, caps), computed
 *    per feature from the table's level codes and values;
 *  - with y: the rounding cost (auc_exact and logloss_exact of eta, auc_points and
 *    logloss_points of the score before the caps, weighted by w) and with caps the cap cost
 *    (unweighted), stored in m; the sums run in row order, so they are bit for bit those of
 *    mql_auc and mql_logloss on materialised arrays (the AUC of an integer score adds its
 *    weights per score value, as mql_auc does; the AUC of eta counts its pairs by buckets or
 *    sorts the won and the other values apart, which is exact in any order);
 *  - with want_check: the self-check's rows: for every feature the first row of every table
 *    level (and of missing), for a numeric feature the first row of the lowest and of the highest
 *    value in every step or bin (the values either side of every cut), for every interaction the
 *    first row of every pair of terms, and MQL_SELFCHECK_SAMPLE rows drawn with a fixed seed.
 * The leads are scored in blocks of rows on in->threads threads into a score per row (in eta's
 * memory when it is writable: the exact model's costs are computed first, or brought with
 * have_exact), then the costs are summed from those scores in row order by one thread, so the
 * result does not depend on the threads. Unweighted leads without caps over a span of at most
 * 65,536 scores are also counted per score and outcome by the scoring threads: the AUC's weights,
 * the class totals and the log loss term of each score come from the counts (exact integers),
 * and the one thread only adds each lead's term in row order. Returns MQL_OK or MQL_ENOMEM; out->scores and
 * out->check_rows are NULL on failure. */
int mql_points_cost_pass(const mql_design *d, const mql_design_binding *b, mql_points *m,
                         const mql_points_pass_in *in, const unsigned char *y, const double *w,
                         mql_points_pass *out, mql_err *err);

/* The exact model's rounding-cost terms from the linear predictor eta of n rows with outcomes y
 * (weights w, NULL: 1 each): *auc is mql_auc of eta and *logloss mql_logloss of mql_logistic(eta)
 * bit for bit, NAN where they are undefined (no rows, one class, a bad weight or probability).
 * With eta_writable (eta is the caller's scratch) and w NULL the AUC may sort eta in place
 * (when mql_auc_area2_buckets declines): its contents are then lost. */
void mql_points_exact_costs(const double *eta, int eta_writable, const unsigned char *y,
                            const double *w, size_t n, double *auc, double *logloss);

/* mql_points_exact_costs as jobs that up to two threads take in turn (the points step runs them
 * beside its value steps): jobs 0 .. jobs - 2 each compute the log loss terms of a block of
 * rows (and the block's class count and range of eta); the last job waits for those, adds the
 * terms in row order and counts the AUC's pairs (mql_auc_area2_buckets). The results are
 * mql_points_exact_costs's bit for bit, whatever thread runs which job. Usage: _init, then
 * every job of _jobs once (the last job after or beside the others, never before one has
 * started), then _finish, which frees what _init took. Out of memory, the last job alone does
 * it all, as mql_points_exact_costs did on one thread. The fields are private. */
typedef struct mql_exact_block {
    double lo, hi;             /* the least and greatest finite eta of the block */
    size_t np;                 /* its rows with y != 0 */
    int bad, nonfinite;        /* a bad weight or probability; an eta that is not finite */
} mql_exact_block;

typedef struct mql_exact_costs {
    const double *eta;
    const unsigned char *y;
    const double *w;
    size_t n, blk, n_blocks;
    int writable;
    double *term;              /* n: each row's log loss term, then the AUC's scratch */
    int own_term;              /* 1: term was allocated by _init (and _finish frees it) */
    mql_exact_block *blocks;
    pthread_mutex_t lock;
    pthread_cond_t done;
    size_t n_done;             /* blocks finished (under lock) */
    double auc, ll;
    int auc_rc, ll_rc;
} mql_exact_costs;

/* scratch: NULL, or n doubles of the caller's that the jobs may overwrite (the caller frees
 * them after _finish), which spares a fresh block as large. */
void mql_exact_costs_init(mql_exact_costs *x, const double *eta, int eta_writable,
                          double *scratch, const unsigned char *y, const double *w, size_t n);
size_t mql_exact_costs_jobs(const mql_exact_costs *x);
void mql_exact_costs_run(mql_exact_costs *x, size_t job);
void mql_exact_costs_finish(mql_exact_costs *x, double *auc, double *logloss);
/* The internal score (capped) of rows[0..k) of b, as mql_points_cost_pass computes it (rows
 * NULL: rows 0..k-1). score has k entries, caller-owned. Returns MQL_OK or MQL_ENOMEM. */
int mql_points_inside_rows(const mql_design *d, const mql_design_binding *b,
                           const mql_points *m, const size_t *rows, size_t k, long *score,
                           mql_err *err);

#endif
