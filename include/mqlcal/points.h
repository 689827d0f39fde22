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

/* ---- cells and the matching rule (one definition for every scoring path) -------------------
 * A cell is one lead's value of one column. It is missing when empty (after trimming blanks) or
 * a placeholder of the NA list (case-insensitive; the default list is the one mql_table_read
 * uses: "", NA, N/A, null, Select, unknown, none, -). A non-missing cell is numeric when it
 * parses as a finite decimal number (strtod on the whole text, no hexadecimal; thousands
 * separators where table.c accepts them: "1,234,567", "12,500.50"), or when it is a boolean
 * spelling table.c reads as boolean: true, yes, y, t as 1 and false, no, n, f as 0
 * (case-insensitive). So "100.0" = 100, "Yes" = True = 1.
 * A rule matches a cell:
 *   missing           iff the cell is missing; every other operator never matches a missing cell;
 *   = v               iff both are numeric and equal, or else their texts are equal ignoring case;
 *   != v              iff = v does not match; in a|b iff = matches one of the values;
 *   >=, >, <=, <, between   iff the cell is numeric and inside the bound(s).
 * Points tables are mutually exclusive per feature: the reader rejects two rules of one feature
 * that some cell could both match, so every lead matches at most one rule per feature and the
 * score does not depend on rule order. */
typedef struct mql_cell {
    const char *text;     /* trimmed text (not NUL-terminated: see len); NULL when only the number
                             is known (numeric and boolean table columns) */
    size_t len;
    int missing;
    int is_num;
    double num;
} mql_cell;

/* The default NA placeholder list (the one table.c uses). */
extern const char *const mql_default_na[];
extern const size_t mql_n_default_na;

/* Fills c from text (borrowed; c->text points into it). na/n_na: placeholder list, NULL for the
 * default one. */
void mql_cell_from_text(mql_cell *c, const char *text, const char *const *na, size_t n_na);

typedef struct mql_rule {
    char *feature;        /* column name */
    mql_op op;
    char *value;          /* the value field as written: "Director|VP", "3..5", "yes", "" */
    char **values;        /* =, !=, in: the parsed values (n_values >= 1) */
    size_t n_values;
    mql_cell *vcells;     /* =, !=, in: values[k] read as cells (text points into values[k]) */
    double lo, hi;        /* >=, >, <=, <: the bound in lo; between: [lo, hi] */
    long points;          /* integer points, may be negative */
    mql_group group;      /* fit or engagement */
    long term;            /* fitted models: the design term the rule stands for, -1 otherwise */
    size_t line;          /* line in the rules CSV it was read from; 0 when built */
} mql_rule;

/* Whether rule r matches cell c, by the definition above. */
int mql_rule_match(const mql_rule *r, const mql_cell *c);

/* Initialises *r from its text fields (feature, operator, value) with the given points and group:
 * parses the operator and value. Returns MQL_OK, or MQL_EDATA with err saying what is wrong
 * ("unknown operator '=>'", "between needs lo..hi with lo <= hi, not '5..3'"), or MQL_ENOMEM.
 * On failure *r holds nothing to free. The caller frees a success with mql_rule_clear. */
int mql_rule_init(mql_rule *r, const char *feature, const char *op, const char *value,
                  long points, mql_group group, mql_err *err);
void mql_rule_clear(mql_rule *r);

/* The rule in words into buf: "job_level = VP", "pricing_page_visits 3-5",
 * "days_since_last_activity > 90", "job_level missing". Returns buf. */
const char *mql_rule_text(const mql_rule *r, char *buf, size_t cap);

/* Whether two rules of one feature could match the same cell; when they can, writes an example
 * of such a cell into witness ("3", "any other value"). */
int mql_rules_overlap(const mql_rule *a, const mql_rule *b, char *witness, size_t cap);

typedef struct mql_band {
    char *name;           /* "A", "B", ... */
    long lo, hi;          /* score range [lo, hi]; LONG_MIN / LONG_MAX for open ends */
    double p_lo, p_hi;    /* probability at the ends by the score map (NAN without a map); open
                             ends use the lowest / highest score the rules can give */
} mql_band;

/* Step table of a LINEAR design term (fitted models): the value axis is cut at lower bounds
 * lo[1] < ... < lo[n-1]; step k holds [lo[k], lo[k+1]) (step 0 extends to -inf, the last to
 * +inf) and scores points[k]. rep[k] is the step's representative value (the mean of the
 * training values in it). Kept so the self-check can score the model from its own definition,
 * independently of the rules text. */
typedef struct mql_points_step {
    size_t term;          /* design column */
    size_t n;
    double *lo;           /* n; lo[0] = -INFINITY */
    double *rep;          /* n */
    long *points;         /* n */
} mql_points_step;

typedef struct mql_points {
    mql_rule *rules;      /* in reading / building order */
    size_t n_rules;
    long threshold;       /* MQL when score >= threshold */
    int has_map;          /* the exact map P(won | score) = 1 / (1 + exp(-(map_a + map_b * score))) */
    double map_a, map_b;
    char *map_method;     /* "model" (from the fit), "platt", "isotonic"; NULL without a map */
    double *iso_x, *iso_y;/* isotonic map knots (score, probability) when map_method = isotonic */
    size_t n_iso;
    double pdo;           /* points to double the odds (fitted models; NAN otherwise) */
    mql_band *bands;
    size_t n_bands;
    double auc_exact, auc_points;          /* rounding cost on the training data (NAN: unknown) */
    double logloss_exact, logloss_points;
    /* fitted models only (0 / NULL for rules read from a CSV): */
    size_t n_terms;       /* design columns p */
    long *term_points;    /* p: integer points of each indicator term (0 for the intercept, for
                             linear terms and for terms whose points round to 0) */
    mql_points_step *steps;
    size_t n_steps;
} mql_points;

/* An empty model (no rules, threshold 0, no map, pdo and rounding costs NAN), or NULL. */
mql_points *mql_points_new(void);
void mql_points_free(mql_points *m);

/* Appends a deep copy of *r (NULL-safe strings; parsed fields recomputed). Returns MQL_OK or
 * MQL_ENOMEM. */
int mql_points_add_rule(mql_points *m, const mql_rule *r, mql_err *err);

/* Probability for a score by the model's map: logistic (a + b score), or the isotonic knots
 * (clipped to the knot range, linear between knots). NAN when the model has no map. */
double mql_points_prob(const mql_points *m, double score);

/* Lowest and highest score the rules can give: per feature the smallest / largest of 0 (no rule
 * matches) and its rules' points, summed over features. */
void mql_points_range(const mql_points *m, long *min_score, long *max_score);

/* Recomputes the bands from the threshold. The rule: width w = round(ln 2 / map_b) points (one
 * doubling of the odds; = round(pdo) for fitted models) when the model has a logistic map with
 * b > 0, else max(1, round(|threshold| / 4)); A = [t + w, inf), B = [t, t + w - 1],
 * C = [t - w, t - 1], D = (-inf, t - w - 1]. So A and B are MQLs, and an A lead has at least
 * twice the odds of a lead at the threshold. Returns MQL_OK or MQL_ENOMEM. */
int mql_points_make_bands(mql_points *m, mql_err *err);

/* Name of the band holding score (owned by m), or "" when the model has no bands. */
const char *mql_points_band(const mql_points *m, long score);

/* ---- rules CSV --------------------------------------------------------------------------- */

/* Reads a rules CSV: header feature,operator,value,points[,group]; one rule a row; a row
 * threshold,,,N; comment lines starting with '#' are ignored except those mqlcal writes:
 * "# score_map: logistic a=A b=B", "# score_map: isotonic S:P S:P ..." and "# pdo: X".
 * Fields may be quoted ("Director, Sales"); a quoted field cannot span lines. The group is "fit"
 * or "engagement" (empty: fit). Errors (MQL_EDATA, "PATH:LINE: ..."): unknown operator, a
 * non-integer points value, a bad number or range, an empty feature, an unknown group, overlapping
 * rules on one feature (both lines named, with a value both match), no threshold row or two of
 * them. MQL_EIO when the file cannot be read. The caller frees *out with mql_points_free. */
int mql_points_read_csv(const char *path, mql_points **out, mql_err *err);
/* The same from an open stream; name is used in messages. */
int mql_points_read_stream(FILE *f, const char *name, mql_points **out, mql_err *err);

/* Writes the rules CSV (C locale; non-integer numbers in shortest round-trip form, map
 * parameters with %.17g), so read(write(m)) has the same rules (term and line aside), threshold,
 * map and pdo. Returns MQL_OK or MQL_EIO on a write error. */
int mql_points_write_csv(const mql_points *m, FILE *f);

/* ---- JSON (inside the model file) -------------------------------------------------------- */

/* Every field of m as a JSON object (new reference; NULL on allocation failure). */
json_t *mql_points_to_json(const mql_points *m);
/* Reads what mql_points_to_json writes. MQL_EDATA naming the bad key ("points: key 'rules'[3]
 * 'points' must be an integer") for a missing key or a value of the wrong type, and for rules
 * that fail the same checks as the CSV reader (overlap, bad operator). */
int mql_points_from_json(const json_t *j, mql_points **out, mql_err *err);

/* ---- from a fitted model ----------------------------------------------------------------- */
typedef struct mql_points_opts {
    double pdo;           /* points to double the odds; NAN: derive from max_points */
    double max_points;    /* the best possible lead scores about this many points (default 100) */
    long threshold;       /* LONG_MIN: choose (documented rule) */
} mql_points_opts;
void mql_points_opts_default(mql_points_opts *o);

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
 *  Threshold (o->threshold = LONG_MIN): the achievable integer score whose mapped probability is
 *  closest to twice the training base rate (mean of y; without y the mean fitted probability,
 *  which equals it at a maximum-likelihood fit), ties to the lower score; 0 without data.
 *  Rounding cost (with b and y): AUC and log loss on the training rows of the unrounded model
 *  (eta = x beta) and of the integer score through the map; stored in auc_* / logloss_*.
 * b (the training binding: its table must hold the design's columns) and y (n_rows 0/1 outcomes)
 * may be NULL; without b a LINEAR term is MQL_EDATA. Returns MQL_OK with *out (free with
 * mql_points_free), MQL_EDATA, MQL_ENOMEM. */
int mql_points_from_fit_data(const mql_design *d, const double *beta,
                             const mql_design_binding *b, const unsigned char *y,
                             const mql_points_opts *o, mql_points **out, mql_err *err);
/* mql_points_from_fit_data without training data (designs without LINEAR terms). */
int mql_points_from_fit(const mql_design *d, const double *beta, const mql_points_opts *o,
                        mql_points **out, mql_err *err);

/* Self-check: scores every row of the binding's table twice, (1) inside the model: per row the
 * sum of term_points of the indicator terms that mql_design_fill sets, plus the step points of
 * LINEAR terms at the filled value (unless its missing term is set), and (2) through the
 * exported rules: the rules CSV written to memory, read back with the reader, bound to the table
 * and scored. Returns MQL_OK when every row agrees, MQL_EDATA naming the first lead that differs
 * ("self-check failed: lead on line 12 scores 45 by the exported rules and 50 inside the model";
 * line = row + 2, the header being line 1), or the reader's / binder's error. */
int mql_points_self_check(const mql_design *d, const mql_design_binding *b, const mql_points *m,
                          mql_err *err);

/* ---- scoring ----------------------------------------------------------------------------- */
typedef struct mql_scorer mql_scorer;

#define MQL_N_REASONS 3

typedef struct mql_score_result {
    long score, fit, engagement;     /* fit + engagement = score */
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
/* Scores one record of raw text fields (a header-bound scorer; n_fields as in the header). Gives
 * exactly what mql_scorer_score_row gives for the same lead. */
void mql_scorer_score_fields(mql_scorer *s, const char *const *fields, size_t n_fields,
                             mql_score_result *r);

/* Scores every row: score, fit and engagement sub-scores (any may be NULL; each n_rows long). */
int mql_scorer_score_all(const mql_scorer *s, long *score, long *fit, long *engagement,
                         mql_err *err);

/* Cells of feature k (in mql_scorer_feature order) that were not missing and matched no rule
 * (the reference level, or a level the model has never seen: both score 0 for that feature).
 * Table-bound scorers count all rows on the first call (so binding, which the self-check does on
 * every fit, costs no pass over the rows); header-bound ones count as rows are scored. */
size_t mql_scorer_n_features(const mql_scorer *s);
const char *mql_scorer_feature(const mql_scorer *s, size_t k);
size_t mql_scorer_unmatched(const mql_scorer *s, size_t k);

/* A reason in words: "+25 job_level = VP". Returns buf. */
const char *mql_reason_text(const mql_rule *r, char *buf, size_t cap);

#endif
