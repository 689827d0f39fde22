/* rule.h: one rule of a points model (feature, operator, value, points, group) and the single
 * definition of how a rule matches a lead's cell, shared by every scoring path (the scorer, the
 * self-check, the backtests). */
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
 * Cells and their equality are value.h's. A rule matches a cell:
 *   missing           iff the cell is missing; every other operator never matches a missing cell;
 *   = v               iff the cell equals v (mql_cell_eq: numbers numerically, booleans as 1/0,
 *                     texts ignoring case and surrounding blanks);
 *   != v              iff = v does not match; in a|b iff = matches one of the values;
 *   >=, >, <=, <, between   iff the cell is numeric and inside the bound(s).
 * Points tables are mutually exclusive per feature: the reader rejects two rules of one feature
 * that some cell could both match, so every lead matches at most one rule per feature and the
 * score does not depend on rule order. */
typedef struct mql_rule {
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
/* Like mql_rule_init with the placeholder list na[0..n_na) (NULL: the defaults) deciding which
 * values are placeholders: "= Select" is refused with the defaults ("'Select' is a missing-value
 * placeholder; use the operator 'missing'") and a value when Select is kept as an answer. */
int mql_rule_init_na(mql_rule *r, const char *feature, const char *op, const char *value,
                     long points, mql_group group, const char *const *na, size_t n_na,
                     mql_err *err);
void mql_rule_clear(mql_rule *r);

/* The rule in words into buf: "job_level = VP", "pricing_page_visits 3-5",
 * "days_since_last_activity > 90", "job_level missing". Returns buf. */
const char *mql_rule_text(const mql_rule *r, char *buf, size_t cap);

/* Whether two rules of one feature could match the same cell; when they can, writes an example
 * of such a cell into witness ("3", "any other value"). */
int mql_rules_overlap(const mql_rule *a, const mql_rule *b, char *witness, size_t cap);

/* A reason in words: "+25 job_level = VP". Returns buf. */
const char *mql_reason_text(const mql_rule *r, char *buf, size_t cap);

/* The group named by s ("fit" or "engagement", any case, blanks ignored); empty s: the group the
 * feature's name suggests (mql_group_guess). Returns 0, or -1 for any other text. */
int mql_group_parse(const char *s, const char *feature, mql_group *g);

#endif
