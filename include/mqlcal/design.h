/* design.h: encoding a lead table as a logistic-regression design matrix (DESIGN section 3-4):
 * feature selection, reference levels, pooled rare levels, missing levels, linear or binned
 * numerics, fit/engagement groups; and binding a built encoding to any table to fill rows. */
#ifndef MQLCAL_DESIGN_H
#define MQLCAL_DESIGN_H

#include <stddef.h>
#include <stdint.h>
#include "mqlcal/common.h"
#include "mqlcal/glm.h"
#include "mqlcal/table.h"

/* ---- options ----------------------------------------------------------------------------- */

typedef enum mql_group {
    MQL_GROUP_FIT = 0,         /* who the lead is: firmographics, job level, source */
    MQL_GROUP_ENGAGEMENT       /* what the lead did: visits, downloads, e-mail clicks */
} mql_group;

/* The group of a column, from the whole words of its name (split at non-alphanumerics and at
 * lower-to-upper case changes, so "Interview" is not "view") and the nature of its values (c may
 * be NULL: the name alone), checked in this order:
 *  1. consent and contact permission ("do not", consent, opt, unsubscribe, gdpr, ...): fit;
 *  2. time on site ("time" with spent, site, website, page or session): engagement;
 *  3. days since the last activity ("days" with since or last): engagement;
 *  4. an activity word (visits, views, opens, clicks, downloads, webinar, event, attended,
 *     session, demo, trial, form, activity, engagement, reply, chat, call, touch, ...):
 *     engagement;
 *  5. an attribute word (title, level, seniority, role, job, industry, size, employees, revenue,
 *     country, region, city, location, source, origin, channel, campaign, company, domain, ...):
 *     fit;
 *  6. a count word (count, number, num, total, times) on a column of whole numbers from 0:
 *     engagement (an activity count);
 *  7. otherwise fit (an attribute of the lead).
 * Writes the reason in words to why (cap bytes) when given. design.c's mql_design_group applies
 * --fit / --engagement first; a rules file's group column overrides both. */
mql_group mql_group_infer(const char *name, const mql_column *c, char *why, size_t cap);

/* mql_group_infer on the name alone (rules files without a group column). */
mql_group mql_group_guess(const char *name);

typedef enum mql_ref_rule {
    MQL_REF_FREQUENT = 0,      /* most frequent non-missing level (ties: byte-order first) */
    MQL_REF_FIRST              /* byte-order first level, like R's factor() in the C locale */
} mql_ref_rule;

typedef struct mql_ref_spec {  /* --reference COL=LEVEL */
    char *column;
    char *level;
} mql_ref_spec;

typedef struct mql_bins_spec { /* --bins COL=N */
    char *column;
    size_t n_bins;
} mql_bins_spec;

typedef struct mql_cuts_spec { /* --cuts COL=a,b,c (strictly increasing) */
    char *column;
    double *cuts;
    size_t n_cuts;
} mql_cuts_spec;

/* Every string and array here is owned by the options and freed by mql_design_opts_clear.
 * Fill them with the parsers below (or by hand with malloc'd copies). */
typedef struct mql_design_opts {
    char **features;           /* --features: only these columns (NULL: every eligible column) */
    size_t n_features;
    char **exclude;            /* --exclude */
    size_t n_exclude;
    char **roles;              /* outcome, SQL, date, ACV, join key: never features; names not in */
    size_t n_roles;            /*   the table are ignored (the caller has validated them) */
    size_t min_level_count;    /* levels with fewer training rows pool into "(other)"; 0/1: off */
    mql_ref_rule reference;
    mql_ref_spec *ref;         /* per-column reference levels */
    size_t n_ref;
    size_t bins;               /* --bins N: quantile bins for every numeric column; 0: linear */
    mql_bins_spec *col_bins;   /* --bins COL=N */
    size_t n_col_bins;
    mql_cuts_spec *cuts;       /* --cuts COL=a,b,c */
    size_t n_cuts;
    char **fit;                /* --fit: forced into the fit group */
    size_t n_fit;
    char **engagement;         /* --engagement: forced into the engagement group */
    size_t n_engagement;
    char **skip;               /* left out by screening (identifier-like; leakage.h), each with */
    char **skip_why;           /*   the reason noted in the design's notes */
    size_t n_skip;
    int interactions_auto;     /* --interactions auto (see interact.h) */
    char **interactions;       /* --interactions a:b,c:d: explicit pairs "a:b" */
    size_t n_interactions;
    const double *w;           /* frequency weights of the training rows (borrowed; NULL: 1 each):
                                  levels, missing cells and bins are counted in leads, so the
                                  reference level, pooling and constant columns are those of the
                                  rows the weights stand for. Quantile --bins need w NULL */
} mql_design_opts;

/* Sets the defaults: everything empty, min_level_count 10, most-frequent reference, linear. */
void mql_design_opts_init(mql_design_opts *o);
/* Frees everything the options own and re-initialises them. NULL-safe. */
void mql_design_opts_clear(mql_design_opts *o);

/* CLI spellings. Each parses one option value, appends to o, and returns MQL_OK, or MQL_EUSAGE
 * (err names the option and the bad text) or MQL_ENOMEM. Column names are checked against the
 * table later, by mql_design_build, which reports unknown ones as MQL_EUSAGE naming the option.
 *  _reference:  "first" | "frequent" | "COL=LEVEL" (the first '=' splits; both sides non-empty);
 *               a column given twice is an error.
 *  _cuts:       "COL=a,b,c": finite, strictly increasing numbers (last '=' splits); repeatable.
 *  _bins:       "N" (all numeric columns) or "COL=N", N an integer in [2, 100].
 *  _group:      "a,b" for --fit (g = MQL_GROUP_FIT) or --engagement; a column in both groups is
 *               an error.
 *  _features / _exclude: "a,b,c".
 *  _min_level_count: a non-negative integer.
 * Comma lists reject empty names ("a,,b"). */
int mql_design_opts_parse_reference(mql_design_opts *o, const char *text, mql_err *err);
int mql_design_opts_parse_cuts(mql_design_opts *o, const char *text, mql_err *err);
int mql_design_opts_parse_bins(mql_design_opts *o, const char *text, mql_err *err);
int mql_design_opts_parse_group(mql_design_opts *o, mql_group g, const char *text, mql_err *err);
int mql_design_opts_parse_features(mql_design_opts *o, const char *text, mql_err *err);
int mql_design_opts_parse_exclude(mql_design_opts *o, const char *text, mql_err *err);
int mql_design_opts_parse_min_level_count(mql_design_opts *o, const char *text, mql_err *err);
/*  _interactions: "auto", or "a:b[,c:d]" (each a pair of column names). */
int mql_design_opts_parse_interactions(mql_design_opts *o, const char *text, mql_err *err);
/* Adds a role column name (outcome, SQL, date, ACV, join key). Returns MQL_OK or MQL_ENOMEM. */
int mql_design_opts_add_role(mql_design_opts *o, const char *name, mql_err *err);
/* Leaves a column out of the features because screening flagged it; the design notes
 * "NAME: WHY; not a feature (--keep NAME keeps it)". Returns MQL_OK or MQL_ENOMEM. */
int mql_design_opts_add_skip(mql_design_opts *o, const char *name, const char *why,
                             mql_err *err);
/* The group of column c under o: --fit / --engagement first (why: "--fit" / "--engagement"),
 * else mql_group_infer. */
mql_group mql_design_group(const mql_design_opts *o, const mql_column *c, char *why, size_t cap);

/* ---- the design -------------------------------------------------------------------------- */

typedef enum mql_encoding {
    MQL_ENC_CATEGORICAL = 0,   /* treatment coding against levels[0] */
    MQL_ENC_BOOLEAN,           /* one indicator of the true value; false is the reference */
    MQL_ENC_LINEAR,            /* the value itself, missing imputed 0 */
    MQL_ENC_BINNED             /* indicators of bins 1..n_cuts; bin 0 (below cuts[0]) is the
                                  reference */
} mql_encoding;

/* One feature. "in" fields define the encoding (what a saved model stores); "derived" fields are
 * computed by mql_design_from_parts (ignored on input). Terms of a feature, in order:
 *  CATEGORICAL: "col=level" for levels[1..n_levels), then "col=(other)" when n_pooled > 0,
 *               then "col=(missing)" when has_missing;
 *  BOOLEAN:     "col", then "col=(missing)";
 *  LINEAR:      "col", then "col=(missing)";
 *  BINNED:      "col=[cuts[k-1],cuts[k])" for bins k = 1..n_cuts (the last "[c,inf)"), then
 *               "col=(missing)".
 * Bins: bin 0 is (-inf, cuts[0]), bin k is [cuts[k-1], cuts[k]), bin n_cuts is
 * [cuts[n_cuts-1], inf). */
typedef struct mql_feature {
    char *name;                /* in: column name */
    mql_coltype type;          /* in: NUMERIC, BOOLEAN or CATEGORICAL */
    mql_encoding enc;          /* in: CATEGORICAL for CATEGORICAL, BOOLEAN for BOOLEAN, LINEAR or
                                  BINNED for NUMERIC */
    mql_group group;           /* in */
    char **levels;             /* in, CATEGORICAL: levels[0] is the reference, the rest have terms;
                                  built order: reference, then descending training count, ties in
                                  byte order (strcmp) */
    size_t n_levels;
    size_t *level_count;       /* in, optional (may be NULL): training rows per level */
    char **pooled;             /* in, CATEGORICAL: rare levels pooled into "(other)" */
    size_t n_pooled;
    size_t other_count;        /* in, optional: training rows in pooled levels */
    int has_missing;           /* in: a "(missing)" term (training data had missing cells) */
    size_t missing_count;      /* in, optional: training rows missing */
    double *cuts;              /* in, BINNED: strictly increasing, n_cuts >= 1 */
    size_t n_cuts;
    size_t *bin_count;         /* in, optional (may be NULL), BINNED: n_cuts + 1 training counts */
    double *cut_top;           /* built only (NULL when read back), BINNED: n_cuts; cut_top[k] is
                                  where the bin below cuts[k] ends in a rule ("between a..top"):
                                  a short decimal at the data's precision with no training value
                                  in (cut_top[k], cuts[k]) (value.h's mql_cut_bounds) */
    int integer;               /* in, NUMERIC: the training values were all integers, so bins
                                  read "3-5" */
    int has_range;             /* built only (0 when read back or given), LINEAR: range_lo and
                                  range_hi are the smallest and largest training value of the
                                  table the design was built from (its scan), which the points
                                  step's value runs start from (a hint: checked on the values) */
    double range_lo, range_hi;
    char *true_label;          /* in, BOOLEAN, optional: spellings, e.g. "yes" / "no" */
    char *false_label;
    long table_col;            /* in, informational: column index in the training table, or -1 */
    char **bin_text;           /* derived, BINNED: n_cuts + 1 human labels: "below 3", "3-5",
                                  "6+"; "2.5 to under 10" for fractional cuts or data */
    size_t term0;              /* derived: first design column of this feature */
    size_t n_terms;            /* derived: design columns of this feature */
} mql_feature;

/* A two-way interaction between two features that are CATEGORICAL, BOOLEAN or BINNED (the ones
 * a points table scores by level or range): one design column per kept cell, the product of
 * term ta[c] of feature a and term tb[c] of feature b (offsets within each feature's terms, so
 * a cell is "job_level=VP" x "employees=[100,inf)"). With both main effects in the model this
 * is R's a:b under treatment coding, restricted to the kept cells. Interaction columns follow
 * every feature's terms, interactions in order, cells in order; their label is the two term
 * labels joined by ':' ("job_level=VP:employees=[100,inf)"), their text the two texts joined
 * by " and ". */
typedef struct mql_interaction {
    size_t a, b;               /* in: feature indices, a < b */
    size_t n_cells;
    size_t *ta, *tb;           /* in: n_cells term offsets within feature a / b */
    size_t term0;              /* derived: first design column */
} mql_interaction;

typedef struct mql_design {
    size_t n_features;
    mql_feature *features;     /* in table order */
    mql_interaction *ix;       /* interactions (see mql_design_set_interactions); NULL, 0: none */
    size_t n_ix;
    size_t p;                  /* design columns, intercept (column 0) included */
    char **labels;             /* p term labels: "(Intercept)", "job_level=VP", "visits=[3,6)" */
    char **texts;              /* p terms in words: "baseline", "job_level = VP", "visits 3-5" */
    long *term_feature;        /* p: feature index of each term, -1 for the intercept and for
                                  interaction columns */
    long *term_ix;             /* p: interaction index of each term, -1 for the others */
    char **notes;              /* why columns were skipped or encoded specially, in table order: */
    size_t n_notes;            /*   "lead_id: identifier-like, not a feature" */
} mql_design;

/* Chooses the encoding from the training table t (DESIGN section 3). Eligible features are the
 * NUMERIC, BOOLEAN and CATEGORICAL columns that are not roles or excluded (and are listed, when
 * o->features is set); ID and DATE columns, constant columns and all-missing ones are skipped
 * with a note. Term order is deterministic: features in table order, then the terms listed at
 * mql_feature. o may be NULL (defaults). Returns MQL_OK with *out set (free with
 * mql_design_free); MQL_EUSAGE when an option names an unknown column, a level the column lacks,
 * or a column of the wrong type (err names the option); MQL_EDATA when no feature remains;
 * MQL_ENOMEM. On failure *out is NULL. */
int mql_design_build(const mql_table *t, const mql_design_opts *o, mql_design **out,
                     mql_err *err);

/* Rebuilds a design from saved features (e.g. a model JSON): deep-copies the "in" fields of
 * features[0..n) and computes term0, n_terms, bin_text, labels and texts. Returns MQL_OK, or
 * MQL_EDATA when the parts are inconsistent (unknown encoding for the type, no levels, duplicate
 * levels or feature names, cuts not strictly increasing), or MQL_ENOMEM. The result has no notes.
 * The caller frees *out with mql_design_free; features stays the caller's. */
int mql_design_from_parts(const mql_feature *features, size_t n, mql_design **out, mql_err *err);

void mql_design_free(mql_design *d);

/* Whether feature f can take part in an interaction (CATEGORICAL, BOOLEAN or BINNED). */
int mql_feature_interactable(const mql_feature *f);

/* Replaces d's interactions with deep copies of ix[0..n) ("in" fields) and recomputes p, labels,
 * texts, term_feature and term_ix. MQL_EDATA when an interaction names a feature that cannot
 * interact, a == b or a > b, or a term offset out of range; MQL_ENOMEM. Any binding of d must
 * be made again afterwards (p changed). On failure d keeps no interactions. */
int mql_design_set_interactions(mql_design *d, const mql_interaction *ix, size_t n,
                                mql_err *err);

/* A deep copy of d (features, interactions; notes too). The caller frees *out. */
int mql_design_copy(const mql_design *d, mql_design **out, mql_err *err);

/* Term label / words for design column j (< d->p), or NULL when out of range. Owned by d. */
const char *mql_design_label(const mql_design *d, size_t j);
const char *mql_design_term_text(const mql_design *d, size_t j);

/* Index of the feature called name, or -1. */
long mql_design_find(const mql_design *d, const char *name);

/* ---- binding a design to a table --------------------------------------------------------- */

/* Per-feature state of a binding. The counts let the caller warn about unfamiliar data. */
typedef struct mql_bound_feature {
    const mql_column *col;     /* the table column feeding this feature */
    size_t col_index;
    int32_t *code_term;        /* code-mapped features: table level code -> term offset within
                                  the feature, -1 = reference (all zeros) */
    size_t n_codes;
    int32_t na_term;           /* term offset for missing cells, -1 = reference */
    int by_code;               /* 1: the fill reads code[] through code_term; 0: reads num[] */
    size_t n_unseen_levels;    /* table levels unknown to the model */
    size_t n_unseen;           /* rows with such levels: scored as "(other)" when the feature has
                                  one, else as the reference */
    size_t n_missing_as_ref;   /* missing cells scored as the reference (no "(missing)" term) */
} mql_bound_feature;

typedef struct mql_design_binding {
    const mql_design *design;  /* borrowed: must outlive the binding */
    const mql_table *table;    /* borrowed: must outlive the binding */
    size_t n_rows;
    size_t p;
    mql_bound_feature *f;      /* design->n_features */
    struct mql_design_slots *slots;   /* mql_design_coded's layout, built on its first call */
} mql_design_binding;

/* Binds d to table t (the training table, a test period, or new leads): finds every feature's
 * column by name and maps the table's level codes to terms once per level. A model CATEGORICAL
 * feature accepts a CATEGORICAL or ID column; BOOLEAN a BOOLEAN column, or a CATEGORICAL one
 * whose levels read as true/false (matching the saved labels or true/false, yes/no, y/n, 1/0,
 * case-insensitive; anything else counts as unseen and scores as false); NUMERIC a NUMERIC or
 * BOOLEAN column. Returns MQL_OK with *out set (free with mql_design_binding_free), MQL_EDATA for
 * a missing column ("leads.csv has no column 'job_level' that the model needs") or a type
 * mismatch naming the column, or MQL_ENOMEM. */
int mql_design_bind(const mql_design *d, const mql_table *t, mql_design_binding **out,
                    mql_err *err);
void mql_design_binding_free(mql_design_binding *b);

/* mql_glm_fill_fn over a binding (ctx = the mql_design_binding): writes rows [row0, row0 + m)
 * row-major into x (m * p doubles), intercept 1 in column 0, interaction columns last. No allocation and no string work
 * per row. Returns MQL_OK, or MQL_EDATA when the rows are out of range. */
int mql_design_fill(void *ctx, size_t row0, size_t m, double *x, mql_err *err);

/* mql_glm_fill_cols_fn over a binding (ctx = the mql_design_binding): the same values as
 * mql_design_fill, column-major (column j of the r-th row at x[j * ld + r]) for the rows
 * row0 + r * step, r < m. Returns MQL_OK, MQL_EUSAGE for step 0 or ld < m, or MQL_EDATA when a
 * row is out of range. */
int mql_design_fill_cols(void *ctx, size_t row0, size_t m, size_t step, double *x, size_t ld,
                         mql_err *err);

/* glm.h's coded layout of the same rows (design_fill.c): one slot per CATEGORICAL, BOOLEAN or
 * BINNED feature (its term for the row, none for the reference), one per "(missing)" term of a
 * LINEAR feature and one per interaction (its cell); the dense columns are the intercept and the
 * LINEAR values. Sets *out to read b through mql_design_fill_coded (ctx = b; the pointers stay
 * b's, valid while b lives). The slot values are those mql_design_fill writes, so a fit reading
 * either layout fits the same matrix. Returns MQL_OK, MQL_EDATA when an interaction lists a
 * cell twice (the layout cannot hold two equal columns: read the dense rows), or MQL_ENOMEM. */
int mql_design_coded(mql_design_binding *b, mql_glm_coded *out, mql_err *err);

/* mql_glm_coded_fill_fn over a binding on which mql_design_coded succeeded (ctx = the
 * binding); idx may be NULL (the dense values only). Returns MQL_OK, or MQL_EDATA when the rows are out of range. */
int mql_design_fill_coded(void *ctx, size_t row0, size_t m, uint32_t *idx, double *xd,
                          mql_err *err);

/* Frees a binding's coded layout (mql_design_binding_free calls it). NULL-safe. */
void mql_design_slots_free(struct mql_design_slots *s);

/* The bin of v under n increasing cuts: the number of cuts <= v. */
size_t mql_design_bin_of(const double *cuts, size_t n, double v);

/* Every feature of d with its group and the reason (group.c): a table feature, group, reason,
 * in design order, the reason recomputed from o (NULL: defaults) and the feature's column in t
 * (t may be NULL: the name alone). Returns NULL when out of memory; free with mql_tab_free. */
struct mql_tab;
struct mql_tab *mql_design_groups_tab(const mql_design *d, const mql_table *t,
                                      const mql_design_opts *o);

#endif
