/* score.h: applying a points model to leads: scores, fit / engagement sub-scores, probability,
 * band, MQL flag and reasons, for a loaded table or streamed CSV records. */
#ifndef MQLCAL_SCORE_H
#define MQLCAL_SCORE_H

#include "mqlcal/points.h"
#include "mqlcal/table.h"

typedef struct mql_scorer mql_scorer;

#define MQL_N_REASONS 3

typedef struct mql_score_result {
    long score, fit, engagement;     /* the capped total and sub-scores (mql_points_apply_caps):
                                        fit + engagement = score unless the total cap bound */
    long uncapped;                   /* the sum of the matched rules' points before any cap */
    unsigned capped;                 /* the caps that bound: MQL_CAP_FIT | _ENGAGEMENT | _TOTAL */
    double probability;              /* NAN without a map */
    const char *band;                /* owned by the points model; "" without bands */
    int is_mql;                      /* score >= threshold */
    size_t n_reasons;
    size_t reason[MQL_N_REASONS];    /* rule indices: matched rules with non-zero points by
                                        |points| descending, ties in rule order */
} mql_score_result;

/* Binds the rules to a table's columns by name (a missing column is MQL_EDATA: "leads.csv has no
 * column 'x' that the model needs"). Categorical columns are matched once per level, not per
 * row. m and t are borrowed and must outlive the scorer. */
int mql_scorer_bind(const mql_points *m, const mql_table *t, mql_scorer **out, mql_err *err);

/* Binds the rules to a CSV header (streaming: see mql_scorer_score_fields). source names the
 * file in messages; na/n_na is the placeholder list (NULL: the default one). */
int mql_scorer_bind_header(const mql_points *m, char *const *names, size_t n_names,
                           const char *source, const char *const *na, size_t n_na,
                           mql_scorer **out, mql_err *err);
void mql_scorer_free(mql_scorer *s);

/* Scores table row `row` (a table-bound scorer). A scorer keeps one row's scratch, so one
 * scorer serves one thread at a time. */
void mql_scorer_score_row(const mql_scorer *s, size_t row, mql_score_result *r);
/* The score of table rows rows[0..k) into score[0..k): each mql_scorer_score_row's r->score
 * (the same matches and sums, without the probability, band and reasons). Scattered rows, such
 * as the sampled self-check's, cost a cache miss per cell: read column by column in blocks of
 * rows (ascending rows best), those misses fall on the pages the previous row's did. */
void mql_scorer_score_rows(const mql_scorer *s, const size_t *rows, size_t k, long *score);
/* Scores one record of raw text fields (a header-bound scorer; n_fields as in the header). Gives
 * exactly what mql_scorer_score_row gives for the same lead: for a ';'-separated file say so
 * with mql_scorer_set_delim, so decimal commas read as the table reader reads them. */
void mql_scorer_set_delim(mql_scorer *s, char delim);
void mql_scorer_score_fields(mql_scorer *s, const char *const *fields, size_t n_fields,
                             mql_score_result *r);
/* The same with each field's length given (lens[k] == strlen(fields[k])), so none is measured. */
void mql_scorer_score_spans(mql_scorer *s, const char *const *fields, const size_t *lens,
                            size_t n_fields, mql_score_result *r);

/* Scores every row: score, fit and engagement sub-scores, capped as in mql_score_result (any may
 * be NULL; each n_rows long). */
int mql_scorer_score_all(const mql_scorer *s, long *score, long *fit, long *engagement,
                         mql_err *err);

/* Models with caps: the score of every row before the caps (uncapped, n_rows, may be NULL) and
 * the number of rows each cap binds (binds[0] fit, [1] engagement, [2] total). A table-bound
 * scorer; MQL_OK or MQL_EDATA. */
int mql_scorer_cap_stats(const mql_scorer *s, long *uncapped, size_t binds[3], mql_err *err);

/* Features of the one-condition rules (compound rules' features are not listed unless a
 * one-condition rule names them too).
 * Cells of feature k (in mql_scorer_feature order) that were not missing and matched no rule
 * (the reference level, or a level the model has never seen: both score 0 for that feature).
 * Table-bound scorers count all rows on the first call (so binding, which the self-check does on
 * every fit, costs no pass over the rows); header-bound ones count as rows are scored. */
size_t mql_scorer_n_features(const mql_scorer *s);
const char *mql_scorer_feature(const mql_scorer *s, size_t k);
size_t mql_scorer_unmatched(const mql_scorer *s, size_t k);

#endif
