/* activity_fit.h: a lead table turned into snapshot rows with decayed event features, the decay
 * of each event type fitted by profile likelihood over refits of the logistic model, and the
 * held-out comparison of no decay, a window and the fitted half-lives. */
#ifndef MQLCAL_ACTIVITY_FIT_H
#define MQLCAL_ACTIVITY_FIT_H

#include "mqlcal/activity.h"
#include "mqlcal/design.h"
#include "mqlcal/glm.h"
#include "mqlcal/model.h"

/* What to build. */
typedef struct mql_activity_setup {
    const mql_table *leads;
    long created_col;           /* DATE column of leads */
    const unsigned char *y;     /* the leads' outcome (n_rows) */
    const double *won_day;      /* per lead the conversion day (NAN: never/unknown) or NULL */
    const mql_activity *act;
    mql_snap_spec snap;
} mql_activity_setup;

/* The snapshot table: one row per uncensored snapshot, the lead's columns followed by one
 * NUMERIC column per event type (named as the type, or "events_TYPE" when the leads already
 * have a column of that name). */
typedef struct mql_activity_data {
    mql_snapshots *snaps;       /* every snapshot, censored ones included */
    size_t *row_snap;           /* per table row, its snapshot */
    mql_table *table;
    unsigned char *y;           /* per table row */
    size_t first_col;           /* table column of event type 0 */
    size_t n_types;
    mql_decay *decay;           /* per type: the decay the columns hold now */
} mql_activity_data;

/* Builds the snapshot table with the given decay per type (decay: n_types entries; NULL: none
 * for all). Free with mql_activity_data_free. */
int mql_activity_data_build(const mql_activity_setup *s, const mql_decay *decay,
                            mql_activity_data **out, mql_err *err);
void mql_activity_data_free(mql_activity_data *d);

/* Recomputes event type k's column with decay d. */
void mql_activity_data_set(mql_activity_data *d, const mql_activity_setup *s, size_t k,
                           const mql_decay *dec);

/* Per type results of mql_activity_fit_decay, and the held-out comparison. */
typedef struct mql_decay_report {
    mql_decay_fit *fits;        /* n_types (profile of each type, the others at their best) */
    size_t n_types;
    size_t n_train, n_test;     /* held-out split: snapshots by moment, earliest 80% train */
    double logloss_none;        /* held-out log loss with no decay for any type */
    double logloss_window;      /* with each type's best window */
    double logloss_fitted;      /* with the fitted decays */
    size_t n_fits;              /* logistic refits spent */
} mql_decay_report;

/* Fits the decay of the event types with fit[k] set (fit NULL: every type): a profile likelihood
 * (mql_decay_profile) for each in turn with the others at their current decay, twice round when
 * more than one type is fitted (coordinate ascent; the second round starts from the first's
 * estimates), then the held-out comparison, in which the types not fitted keep their decay. On
 * success d's columns hold the fitted decays (d->decay); rep->fits[k] is zero for types not
 * fitted, except best = their decay. dopts/gopts as mql_model_train. Free rep with
 * mql_decay_report_clear. */
int mql_activity_fit_decay(mql_activity_data *d, const mql_activity_setup *s,
                           const unsigned char *fit, const mql_design_opts *dopts,
                           const mql_glm_opts *gopts, mql_decay_report *rep, mql_err *err);
void mql_decay_report_clear(mql_decay_report *rep);

/* Held-out log loss of the model with the decays d holds now: trained on the earliest 80% of
 * rows by snapshot moment, evaluated on the rest. */
int mql_activity_holdout_logloss(const mql_activity_data *d, const mql_design_opts *dopts,
                                 const mql_glm_opts *gopts, double *logloss, size_t *n_train,
                                 size_t *n_test, mql_err *err);

#endif
