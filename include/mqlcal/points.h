/* points.h: the integer points model people read and type into HubSpot or Marketo: rules
 * (feature, operator, value, points, group), an MQL threshold, the exact score -> probability map
 * and score bands. Read from / written to the rules CSV of DESIGN section 3, built from a fitted
 * logistic regression, and applied to leads (scores, fit / engagement sub-scores, reasons). */
#ifndef MQLCAL_POINTS_H
#define MQLCAL_POINTS_H

#include <stdio.h>
#include <jansson.h>

#include "mqlcal/common.h"
#include "mqlcal/design.h"
#include "mqlcal/table.h"

typedef enum mql_op {
    MQL_OP_EQ = 0,   /* =        value (text, case-insensitive; numbers compared numerically) */
    MQL_OP_NE,       /* !=       value (a missing cell does not match) */
    MQL_OP_IN,       /* in       a|b|c */
    MQL_OP_GE,       /* >=       number */
    MQL_OP_GT,       /* >        number */
    MQL_OP_LE,       /* <=       number */
    MQL_OP_LT,       /* <        number */
    MQL_OP_BETWEEN,  /* between  lo..hi, both inclusive */
    MQL_OP_MISSING   /* missing  (value empty) */
} mql_op;

const char *mql_op_name(mql_op op);   /* "=", "!=", "in", ... */

typedef struct mql_rule {
    char *feature;        /* column name */
    mql_op op;
    char *value;          /* the value field as written: "Director|VP", "3..5", "yes", "" */
    char **values;        /* =, !=, in: the parsed values (n_values >= 1) */
    size_t n_values;
    double lo, hi;        /* >=, >, <=, <: the bound in lo; between: [lo, hi] */
    long points;          /* integer points, may be negative */
    mql_group group;      /* fit or engagement */
    long term;            /* fitted models: the design term the rule stands for, -1 otherwise */
    size_t line;          /* line in the rules CSV it was read from; 0 when built */
} mql_rule;

typedef struct mql_band {
    char *name;           /* "A", "B", ... */
    long lo, hi;          /* score range [lo, hi]; LONG_MIN / LONG_MAX for open ends */
    double p_lo, p_hi;    /* probability at the ends by the score map (NAN without a map) */
} mql_band;

typedef struct mql_points {
    mql_rule *rules;      /* in reading / building order */
    size_t n_rules;
    long threshold;       /* MQL when score >= threshold */
    int has_map;          /* the exact map P(won | score) = 1 / (1 + exp(-(map_a + map_b * score))) */
    double map_a, map_b;
    char *map_method;     /* "model" (from the fit), "platt", "isotonic" */
    double *iso_x, *iso_y;/* isotonic map knots (score, probability) when map_method = isotonic */
    size_t n_iso;
    double pdo;           /* points to double the odds (fitted models; NAN otherwise) */
    mql_band *bands;
    size_t n_bands;
    double auc_exact, auc_points;          /* rounding cost on the training data (NAN: unknown) */
    double logloss_exact, logloss_points;
} mql_points;

void mql_points_free(mql_points *m);

/* Probability for a score by the model's map (NAN when it has none). */
double mql_points_prob(const mql_points *m, double score);

/* ---- rules CSV --------------------------------------------------------------------------- */

/* Reads a rules CSV: header feature,operator,value,points[,group]; one rule a row; a row
 * threshold,,,N; optional comment lines "# score_map: logistic a=.. b=.." written by mqlcal.
 * Errors (MQL_EDATA, "rules.csv:LINE: ..."): unknown operator, a non-integer points value, a bad
 * number or range, overlapping rules on one feature (both lines named), no threshold row. */
int mql_points_read_csv(const char *path, mql_points **out, mql_err *err);
int mql_points_write_csv(const mql_points *m, FILE *f);

/* ---- JSON (inside the model file) -------------------------------------------------------- */
json_t *mql_points_to_json(const mql_points *m);
int mql_points_from_json(const json_t *j, mql_points **out, mql_err *err);

/* ---- from a fitted model ----------------------------------------------------------------- */
typedef struct mql_points_opts {
    double pdo;           /* points to double the odds; NAN: derive from max_points */
    double max_points;    /* the best possible lead scores about this many points (default 100) */
    long threshold;       /* LONG_MIN: choose (documented rule) */
} mql_points_opts;
void mql_points_opts_default(mql_points_opts *o);

int mql_points_from_fit(const mql_design *d, const double *beta, const mql_points_opts *o,
                        mql_points **out, mql_err *err);

/* ---- scoring ----------------------------------------------------------------------------- */
typedef struct mql_scorer mql_scorer;

/* Binds the rules to a table's columns by name (a missing column is MQL_EDATA naming it). */
int mql_scorer_bind(const mql_points *m, const mql_table *t, mql_scorer **out, mql_err *err);
void mql_scorer_free(mql_scorer *s);

/* Scores every row: score, fit and engagement sub-scores (any may be NULL). */
int mql_scorer_score_all(const mql_scorer *s, long *score, long *fit, long *engagement,
                         mql_err *err);

#endif
