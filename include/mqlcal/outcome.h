/* outcome.h: the outcome of each lead from its column, with the values named closed-lost and the
 * values still open (an opportunity export's stages: Won, Lost, Engaging, Prospecting). Open
 * leads are neither won nor lost: they are left out of fitting and of every rate, and counted in
 * volume, like leads too young to have converted (DESIGN section 4, maturity censoring). */
#ifndef MQLCAL_OUTCOME_H
#define MQLCAL_OUTCOME_H

#include <stddef.h>
#include "mqlcal/common.h"
#include "mqlcal/table.h"

/* How the outcome is read. Lists hold values as the user typed them (compared ignoring case, as
 * numbers in a numeric column); NULL / 0 when not given. */
typedef struct mql_outcome_spec {
    const char *text;                 /* --outcome: "COL" or "COL=VALUE" */
    const char *const *lost;          /* --lost: values of a deal closed without a win */
    size_t n_lost;
    const char *const *open;          /* --open: values of a deal not closed yet */
    size_t n_open;
} mql_outcome_spec;

/* The evaluated outcome. Arrays have the table's n_rows entries and are owned by the struct. */
typedef struct mql_outcome {
    long col;                         /* the outcome column */
    unsigned char *y;                 /* 1 won, 0 lost or open */
    unsigned char *open;              /* 1 open; NULL when no lead is open */
    size_t n_pos, n_lost, n_open;
    size_t n_open_missing;            /* of n_open: leads whose outcome cell is missing */
    size_t n_missing_lost;            /* of n_lost: leads whose outcome cell is missing, lost
                                         because no list was given (never for a date column,
                                         whose empty cell is the outcome's own 'not won') */
} mql_outcome;

/* Evaluates spec on every row of t. Positives follow mql_flag_eval. The other values:
 *  - a value in --open is open; with --open or --lost given, a missing cell is open too;
 *  - a value in --lost is lost; with --open given and no --lost, every other value is lost;
 *  - with neither list, a column of two values (COL=VALUE), or of the words 0/false/no/n/f/lost
 *    (COL alone), is read as before: the other value is lost, a missing cell lost;
 *  - any other value is an error (MQL_EDATA) listing the values no rule places, with their
 *    counts, and naming --lost and --open; except when no value is won at all (n_pos 0, every
 *    other value lost): the caller reports that instead.
 * Boolean and date columns take no lists (positive when true / filled). A listed value that
 * the column does not hold, or one in two roles, is MQL_EUSAGE. Free with mql_outcome_clear. */
int mql_outcome_eval(const mql_table *t, const mql_outcome_spec *spec, mql_outcome *out,
                     mql_err *err);
void mql_outcome_clear(mql_outcome *o);

#endif
