/* model.h: the saved model (format "mqlcal-model" version 1 or 2): where it was trained, its design,
 * its logistic fit and its points table; and the train step every command reuses. */
#ifndef MQLCAL_MODEL_H
#define MQLCAL_MODEL_H

#include <stdio.h>
#include <stdint.h>

#include "mqlcal/common.h"
#include "mqlcal/design.h"
#include "mqlcal/glm.h"
#include "mqlcal/interact.h"
#include "mqlcal/points_fit.h"
#include "mqlcal/table.h"
#include "mqlcal/table_cache.h"

#define MQL_MODEL_FORMAT "mqlcal-model"
#define MQL_MODEL_VERSION 2   /* the newest version read; written: 1, or 2 when the model has
                                 interactions, compound rules or caps (which version 1 readers
                                 would silently drop) */

struct mql_points;

/* Where and how the model was trained, so a report can say which export it came from. Every
 * string is owned by the model (NULL when unknown / not given). */
typedef struct mql_training {
    char *file;               /* the leads file as given on the command line */
    size_t rows;              /* rows in the training table */
    size_t bytes;             /* bytes of the file */
    uint64_t hash;            /* XXH64 of the file's bytes (written as 16 hex digits) */
    char *date_column;        /* --date */
    char *date_min, *date_max;/* YYYY-MM-DD range of the date column over the training rows */
    char *outcome;            /* the outcome spec as given: "closed_won", "Status=Won" */
    char *sql_column;         /* --sql spec */
    char *acv_column;         /* --acv */
    char *weight_column;      /* --weight */
    double events;            /* weighted positive rows */
} mql_training;

typedef struct mql_model {
    char *created;            /* UTC ISO 8601, "2025-01-31T12:00:00Z" */
    char *tool_version;       /* "mqlcal 0.1.0" */
    mql_training train;
    mql_design *design;       /* NULL for a points-only model (a hand-written rules CSV) */
    mql_glm_result *fit;      /* NULL for a points-only model; fit->p == design->p */
    double l2;                /* the ridge lambda of the fit (0: none) */
    struct mql_points *points;/* NULL until the points step */
    double *spare;            /* NULL, or fit->n doubles the train step is done with (the outcome
                                 as doubles, in memory already), kept with fit->eta for the
                                 points step to use as scratch instead of fresh memory: it frees
                                 both (so does mql_model_free). Never written to a file. */
} mql_model;

/* An empty model with created and tool_version set (created = now, UTC). NULL when out of
 * memory. Free with mql_model_free (NULL-safe; frees design, fit and points). */
mql_model *mql_model_new(void);

/* Stamps m as made now by this mqlcal: `created` the current UTC time, `tool` this version (a
 * model written anew from one that was read). Returns MQL_OK or MQL_ENOMEM (m unchanged). */
int mql_model_stamp_now(mql_model *m);
void mql_model_free(mql_model *m);

/* ---- the train step ---------------------------------------------------------------------- */

typedef struct mql_alias_note {
    size_t term;              /* design column */
    long identical_to;        /* an earlier kept design column with exactly the same values on
                                 every training row, or -1 (a combination of several columns) */
} mql_alias_note;

typedef struct mql_sep_note {
    size_t term;              /* design column of a 0/1 term */
    int direction;            /* +1: every lead with the term converted; -1: none did */
    double count;             /* (weighted) leads with the term */
} mql_sep_note;

/* What the caller should tell the user about a training run. The sentences in warnings are the
 * ready-made text (no "warning:" prefix); the structured fields carry the same facts. */
typedef struct mql_fit_diag {
    char **notes;             /* the design's notes (skipped or specially encoded columns) */
    size_t n_notes;
    mql_alias_note *aliased;
    size_t n_aliased;
    mql_sep_note *separated;
    size_t n_separated;
    size_t n_extreme;         /* rows fitted at probability 0 or 1 (from the glm) */
    double events, non_events;/* weighted */
    size_t n_params;          /* kept parameters besides the intercept (rank - 1) */
    double epv;               /* events per parameter: min(events, non-events) / n_params
                                 (Peduzzi et al. 1996; INFINITY when n_params is 0) */
    size_t n_unseen_levels;   /* over all features, from the binding (0 when the design was
                                 built on the same table) */
    size_t n_unseen_rows;
    mql_glm_state state;      /* the verdict after the exact separation check */
    int sep_checked;          /* 1: mql_separation_check (linear programming) was run */
    char **warnings;          /* aliasing, separation, low EPV, no convergence */
    size_t n_warnings;
    mql_ix_report ix;         /* --interactions: every pair tried and why kept or not */
    mql_cache_result fit_cache;   /* the fit cache (fit_cache.h): MQL_CACHE_HIT when the fit's
                                 result was the stored one, OFF when there was no cache */
} mql_fit_diag;

/* Zeroes diag; mql_fit_diag_clear frees what it holds and zeroes it again (NULL-safe). */
void mql_fit_diag_init(mql_fit_diag *diag);
void mql_fit_diag_clear(mql_fit_diag *diag);

/* The EPV below which the train step warns (Peduzzi et al. 1996: 10 events per variable). */
#define MQL_MIN_EPV 10.0

/* The train step always runs the exact separation check (separation.h) when rows x kept terms is
 * at most this; above it, only when the fit shows a sign (a separated 0/1 term, a fitted
 * probability of 0 or 1 to machine precision, no convergence). */
#define MQL_SEP_CHECK_CELLS 4e6

/* Trains a model on table t: builds the design with dopts (NULL: defaults), binds it to t, fits
 * the logistic regression with gopts (NULL: defaults) on outcome y (n_rows bytes, 0/1) and
 * optional frequency weights w (n_rows values, NULL = all 1), and fills a new model's design
 * and fit (the training fingerprint and points are the caller's to fill). diag (may be NULL)
 * receives the notes and warnings, including for the failing statuses below.
 *
 * Policy:
 *  - separation (a 0/1 term whose leads all converted or none did, or fitted probabilities of
 *    exactly 0 or 1) with gopts->l2 == 0: returns MQL_EDATA with *out set to the fitted model,
 *    so the caller can print the summary, but the caller must not save it; err names the
 *    separated terms with their counts and suggests --l2 (e.g. --l2 1) and --min-level-count.
 *    With l2 > 0 the ridge estimate exists and the fit proceeds (MQL_OK).
 *  - no convergence within gopts->max_iter: MQL_ENOCONV, *out set (not to be saved), err says so.
 *  - EPV below MQL_MIN_EPV: a warning only.
 *  - aliased terms are dropped (coefficient NAN, as R's NA) with a warning naming the identical
 *    earlier term when there is one.
 * Other errors (bad options MQL_EUSAGE, no usable feature MQL_EDATA, MQL_ENOMEM) leave *out
 * NULL. The caller frees *out with mql_model_free and diag with mql_fit_diag_clear. */
int mql_model_train(const mql_table *t, const unsigned char *y, const double *w,
                    const mql_design_opts *dopts, const mql_glm_opts *gopts, mql_model **out,
                    mql_fit_diag *diag, mql_err *err);

/* The points step after a successful train: binds the model's design to the training table t,
 * converts the coefficients into the integer points table (mql_points_from_fit_data with po, NULL
 * for the defaults; y is the training outcome for the rounding cost and the default threshold)
 * and runs the self-check (mql_points_self_check: the exported rules must score every training
 * lead exactly as the model does, else MQL_EDATA naming the first lead). Sets m->points (freeing
 * any earlier table). Returns MQL_OK, MQL_EUSAGE for bad points options, MQL_EDATA, MQL_ENOMEM. */
int mql_model_add_points(mql_model *m, const mql_table *t, const unsigned char *y,
                         const mql_points_opts *po, mql_err *err);
/* mql_model_add_points on weighted training rows (a count table's compact form, see
 * mql_table_counts_compact): threshold and rounding cost weighted (mql_points_from_fit_weighted). */
int mql_model_add_points_weighted(mql_model *m, const mql_table *t, const unsigned char *y,
                                  const double *w, const mql_points_opts *po, mql_err *err);
/* mql_model_add_points_weighted through the points cache po->cache (points_cache.h; NULL, no
 * directory, or n x p doubles under its min_file_bytes: no cache; a cache that cannot be read
 * or written is never an error); a hit skips the step and its self-check (passed when it was
 * stored). *cres (may be NULL) says what the cache did. */
int mql_model_add_points_cached(mql_model *m, const mql_table *t, const unsigned char *y,
                                const double *w, const mql_points_opts *po,
                                mql_cache_result *cres, mql_err *err);

/* ---- model files (model_io.c) ------------------------------------------------------------ */

/* Writes m as JSON (keys in a fixed order, C locale, doubles with 17 significant digits so they
 * read back exactly; NAN as null). Returns MQL_OK, MQL_EIO on a write error, MQL_ENOMEM. */
int mql_model_write(const mql_model *m, FILE *f, mql_err *err);

/* Reads a model JSON written by mql_model_write ("points" may be null; a model needs a fit or
 * points or both). Errors are MQL_EDATA with the file and, for
 * malformed JSON, the line ("model.json: line 3: ..."); a newer format version is refused
 * ("format version 2 is newer than this mqlcal (reads 1)"); missing or mistyped keys are named.
 * MQL_EIO when the file cannot be read. The caller frees *out with mql_model_free. */
int mql_model_read(const char *path, mql_model **out, mql_err *err);

/* Reads a model JSON (the first non-blank byte is '{' and it has a "format" key), a bare points
 * JSON as `mqlcal rules --format json` writes it, or a hand-written rules CSV; the last two give
 * a points-only model: design and fit NULL, training.file the path, created = now. Errors as the
 * readers' (mql_model_read, mql_points_from_json, mql_points_read_csv). The caller frees *out. */
int mql_model_load_any(const char *path, mql_model **out, mql_err *err);

#endif
