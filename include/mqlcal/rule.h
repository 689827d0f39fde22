/* rule.h: one rule of a points model (conditions ANDed across features, points, group) and the
 * single definition of how a condition matches a lead's cell, shared by every scoring path (the
 * scorer, the self-check, the backtests, generated SQL). */
#ifndef MQLCAL_RULE_H
#define MQLCAL_RULE_H

#include <stddef.h>

#include "mqlcal/common.h"
#include "mqlcal/design.h"
#include "mqlcal/value.h"

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

/* ---- the matching rule (one definition for every scoring path) ------------------------------
 * Cells and their equality are value.h's. A condition matches a cell:
 *   missing           iff the cell is missing; every other operator never matches a missing cell;
 *   = v               iff the cell equals v (mql_cell_eq: numbers numerically, booleans as 1/0,
 *                     texts ignoring case and surrounding blanks);
 *   != v              iff = v does not match; in a|b iff = matches one of the values;
 *   >=, >, <=, <, between   iff the cell is numeric and inside the bound(s).
 * (Exclusivity of rules: see mql_rule below.) */
/* ---- conditions ------------------------------------------------------------------------- */

/* One condition: a feature (column name), an operator and its value. */
typedef struct mql_cond {
    char *feature;        /* column name */
    mql_op op;
    char *value;          /* the value field as written: "Director|VP", "3..5", "yes", "" */
    char **values;        /* =, !=, in: the parsed values (n_values >= 1) */
    size_t n_values;
    mql_cell *vcells;     /* =, !=, in: values[k] read as cells (text points into values[k]) */
    size_t *vindex;       /* in with many values: the vcells in search order, the n_vnum numeric
                             ones by value, then the texts ignoring case (NULL: few values, a
                             linear scan) */
    size_t n_vnum;
    double lo, hi;        /* >=, >, <=, <: the bound in lo; between: [lo, hi] */
} mql_cond;

/* Initialises *c from its text fields: parses the operator and value; na[0..n_na) (NULL: the
 * defaults) decides which values are placeholders ("= Select" is refused with the defaults:
 * "'Select' is a missing-value placeholder; use the operator 'missing'"). Returns MQL_OK, or
 * MQL_EDATA with err saying what is wrong ("unknown operator '=>'", "between needs lo..hi with
 * lo <= hi, not '5..3'", "empty feature name"), or MQL_ENOMEM. On failure *c holds nothing to
 * free. The caller frees a success with mql_cond_clear (NULL-safe). */
int mql_cond_init(mql_cond *c, const char *feature, const char *op, const char *value,
                  const char *const *na, size_t n_na, mql_err *err);
void mql_cond_clear(mql_cond *c);

/* Whether condition c matches the cell, by the definition above. */
int mql_cond_match(const mql_cond *c, const mql_cell *cell);

/* The condition in words into buf: "job_level = VP", "job_level in Director|VP",
 * "pricing_page_visits 3-5", "days_since_last_activity > 90", "job_level missing". */
const char *mql_cond_text(const mql_cond *c, char *buf, size_t cap);

/* Whether two conditions (on one feature) could match the same cell; when they can, writes an
 * example of such a cell into witness ("3", "VP", "any other value", "a missing cell"). */
int mql_conds_overlap(const mql_cond *a, const mql_cond *b, char *witness, size_t cap);

/* ---- rules ------------------------------------------------------------------------------
 * A rule is one or more conditions on different features, ANDed, and the points a lead gets
 * when all of them match. A one-condition rule is a version 1 rule ("job_level in Director|VP:
 * +25"); a compound rule has more ("job_level in Director|VP|C-Level and employees >= 100:
 * +25"). The rule's feature set is the set of its conditions' features (order does not matter).
 * Exclusivity: rules with the same feature set are mutually exclusive (the readers reject two
 * that one lead could both match), so a lead matches at most one rule per feature set; rules
 * with different feature sets add up independently (a VP at 500 employees gets both a
 * "job_level = VP" rule and a "job_level in Director|VP|C-Level and employees >= 100" rule).
 * So the score never depends on rule order. */
typedef struct mql_rule {
    mql_cond *cond;       /* n_cond >= 1 conditions, ANDed, in the order written; no two on the
                             same feature */
    size_t n_cond;
    char *name;           /* the rules CSV's 'rule' cell (version 2), NULL when none; fitted
                             compound rules are named after their design term */
    long points;          /* integer points, may be negative */
    mql_group group;      /* fit or engagement */
    long term;            /* fitted models: the design term the rule stands for, -1 otherwise */
    size_t line;          /* line in the rules CSV of its first row; 0 when built */
} mql_rule;

/* Initialises *r as a one-condition rule (see mql_cond_init for the errors). On failure *r holds
 * nothing to free. The caller frees a success with mql_rule_clear (NULL-safe; leaves *r empty
 * with term -1). */
int mql_rule_init(mql_rule *r, const char *feature, const char *op, const char *value,
                  long points, mql_group group, mql_err *err);
/* Like mql_rule_init with the placeholder list na[0..n_na) (NULL: the defaults). */
int mql_rule_init_na(mql_rule *r, const char *feature, const char *op, const char *value,
                     long points, mql_group group, const char *const *na, size_t n_na,
                     mql_err *err);
void mql_rule_clear(mql_rule *r);

/* Appends a condition to an initialised rule (making it compound). MQL_EDATA when the rule
 * already has a condition on that feature or the condition is malformed; *r is unchanged on
 * failure. */
int mql_rule_add_cond(mql_rule *r, const char *feature, const char *op, const char *value,
                      mql_err *err);
int mql_rule_add_cond_na(mql_rule *r, const char *feature, const char *op, const char *value,
                         const char *const *na, size_t n_na, mql_err *err);
/* Sets (a copy of) the rule's name; NULL or "" clears it. MQL_OK or MQL_ENOMEM. */
int mql_rule_set_name(mql_rule *r, const char *name, mql_err *err);
/* Deep copy of src into dst (uninitialised), parsed fields recomputed with the placeholder list
 * na[0..n_na) (NULL: the defaults). On failure dst holds nothing to free. */
int mql_rule_copy(mql_rule *dst, const mql_rule *src, const char *const *na, size_t n_na,
                  mql_err *err);

/* Whether r matches a lead: cells[k] is the lead's cell of r->cond[k].feature, k < n_cond (for
 * a one-condition rule, a pointer to the one cell). */
int mql_rule_match(const mql_rule *r, const mql_cell *cells);

/* Index of r's condition on feature, or -1. */
long mql_rule_cond_of(const mql_rule *r, const char *feature);

/* Whether a and b have the same feature set. */
int mql_rules_same_features(const mql_rule *a, const mql_rule *b);

/* The rule in words into buf: its conditions joined by " and " ("job_level in
 * Director|VP|C-Level and employees >= 100"). Returns buf. */
const char *mql_rule_text(const mql_rule *r, char *buf, size_t cap);

/* Whether two rules with the same feature set could match the same lead (for every feature,
 * their conditions overlap); 0 for rules with different feature sets. When they can, writes an
 * example into witness: the cell for one-condition rules ("3", "any other value"), else
 * "job_level = VP, employees = 100". */
int mql_rules_overlap(const mql_rule *a, const mql_rule *b, char *witness, size_t cap);

/* One column of the rule for tables (compare, review): which = 0 feature, 1 operator, 2 value;
 * a compound rule's conditions joined by " & " ("job_level & employees", "in & >=",
 * "Director|VP|C-Level & 100"). Returns buf. */
const char *mql_rule_field(const mql_rule *r, int which, char *buf, size_t cap);

/* A reason in words: "+25 job_level = VP", "+25 job_level in Director|VP|C-Level and
 * employees >= 100". Returns buf. */
const char *mql_reason_text(const mql_rule *r, char *buf, size_t cap);

/* The group named by s ("fit" or "engagement", any case, blanks ignored); empty s: the group the
 * feature's name suggests (mql_group_guess). Returns 0, or -1 for any other text. */
int mql_group_parse(const char *s, const char *feature, mql_group *g);

#endif
