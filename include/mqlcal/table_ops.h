/* table_ops.h: operations that derive a new lead table from an existing one (row subsets for
 * time splits and cross-validation folds). */
#ifndef MQLCAL_TABLE_OPS_H
#define MQLCAL_TABLE_OPS_H

#include "mqlcal/common.h"
#include "mqlcal/table.h"

/* A new table holding the rows i of t with mask[i] != 0 (mask has t->n_rows entries), in order,
 * with the same columns, types and level lists (level codes keep their meaning, so a level may
 * have a zero count in the subset). n_missing and level_count are recounted on the subset; for
 * code columns n_distinct is the number of levels present, for numeric and date columns it is
 * the source table's (an upper bound). source, n_bytes, hash and delim are the source's. An empty
 * subset is allowed. Returns MQL_OK with *out set (free with mql_table_free) or MQL_ENOMEM. */
int mql_table_subset(const mql_table *t, const unsigned char *mask, mql_table **out,
                     mql_err *err);

/* As mql_table_subset, but when the rows kept are one run (a time split of a file in date order,
 * a holdout of its last rows) the new table's numeric and code arrays point into t's own
 * (mql_column.borrowed) instead of being copied: nothing lead-sized is allocated except the
 * renumbered codes of an identifier column. t must then outlive *out and keep its arrays
 * unchanged; the columns' own operations (mql_column_to_categorical, retyping) copy before they
 * write. Other masks are copied as by mql_table_subset. The result is the same either way. */
int mql_table_subset_view(const mql_table *t, const unsigned char *mask, mql_table **out,
                          mql_err *err);

/* A new table holding rows idx[0..n) of t in that order (an index may repeat: one lead seen at
 * several moments), otherwise as mql_table_subset. Returns MQL_OK with *out or MQL_ENOMEM. */
int mql_table_gather(const mql_table *t, const size_t *idx, size_t n, mql_table **out,
                     mql_err *err);

/* Appends a NUMERIC column called name with values v (t->n_rows of them; NULL: all 0; NAN is
 * missing). MQL_EDATA when t has a column of that name, MQL_ENOMEM. */
int mql_table_add_numeric(mql_table *t, const char *name, const double *v, mql_err *err);

/* Turns a NUMERIC column whose filled values are all dates written as numbers into a DATE column
 * (days since 1970-01-01): Excel serial day numbers (45292 is 2024-01-01), Unix seconds or Unix
 * milliseconds, each recognised only when every value lies between 1990 and 2100. *form names the
 * form found ("Excel serial day numbers"). MQL_EDATA (column unchanged) when the values fit none
 * of them; MQL_ENOMEM. A borrowed column gets an array of its own. */
int mql_column_numeric_to_date(mql_column *c, const char **form);

/* Whether the last row of t looks like the totals row a spreadsheet adds below the data rather
 * than a lead: its first column reads Total, Totals, Grand Total, Subtotal or Sum (any case, a
 * trailing colon allowed) and at least half of its other cells are missing (*n_empty of them).
 * Returns 1 or 0. */
int mql_table_totals_row(const mql_table *t, size_t *n_empty);
/* Whether cell s (n bytes) reads Total, Totals, Grand Total(s), Subtotal or Sum (any case;
 * blanks, a trailing colon and a count in parentheses allowed: "Grand Totals (2,000 records)"):
 * the first cell of a totals row. */
int mql_totals_label(const char *s, size_t n);
/* The same rule on a record's cells: whether a row whose first cell is first (n bytes) and
 * n_empty of whose n_other other cells are missing is a totals row (`score` reads records, not a
 * table). Returns 1 or 0. */
int mql_totals_row_cells(const char *first, size_t n, size_t n_empty, size_t n_other);

/* Whether a row of t holds every column's own name, as the header line does: two exports joined
 * into one file (`cat a.csv b.csv`) repeat it among the data, where it turns every column into
 * text. Sets *row to the first such row and returns 1, or returns 0. */
int mql_table_header_row(const mql_table *t, size_t *row);

/* Whether cell s (n bytes) reads header name h, alone or after a UTF-8 byte order mark (the
 * second export's own, in a file joined with cat). */
int mql_header_cell_is(const char *s, size_t n, const char *h);
/* The error for such a row at line of path (`score` finds it among the records): MQL_EDATA. */
int mql_header_row_error(const char *path, size_t line, mql_err *err);

/* The cells of categorical column c that read \N, the NULL of a database's text export (MySQL's
 * SELECT INTO OUTFILE, Postgres's COPY, Hive): not a placeholder by default (--na +\N makes it
 * one), so such a column of numbers is read as text. 0 when there is none. */
size_t mql_column_db_nulls(const mql_column *c);

/* Whether categorical column c holds numbers written with a unit that makes them text: 1 when
 * at least 90% of its levels are percentages ("65%"), 2 when they are amounts with a currency
 * sign or code ("$1,234.50", "1.234,50 EUR"), 0 otherwise (at least two levels needed). */
int mql_column_formatted_numbers(const mql_column *c);

/* Recounts n_missing and n_distinct of a NUMERIC or DATE column after its values changed. */
void mql_column_recount(mql_column *c);

/* A new table in which row i of t appears rep[i] times (0 drops it), in order: a count table
 * (one row per cell with its number of leads) expanded to one row per lead. Columns, levels and
 * labels as mql_table_subset keeps them; an identifier-like column (mql_table_read's rule on the
 * count table's few rows) is retyped by the same rule on the expanded rows, numeric when its
 * levels are numbers, else categorical, so the result types its columns as the lead file would.
 * Returns MQL_OK with *out (free with mql_table_free), MQL_EDATA when the counts overflow,
 * MQL_ENOMEM. */
int mql_table_repeat(const mql_table *t, const size_t *rep, mql_table **out, mql_err *err);

/* The compact form of a count table for weighted fitting: per row i of t a won row (y = 1,
 * weight won_i) and a lost row (y = 0, weight count_i - won_i), each only when its weight is
 * positive. With the weights as mql_model_train's frequency weights (which mql_design_build also
 * counts levels by) the fit has the estimates of the leads the table counts, at a cost that grows
 * with the cells, not the leads. count_col and won_col are numeric columns of t. Returns MQL_OK
 * with *out, *y and *w (caller frees: mql_table_free, free, free), MQL_EDATA when a won count is
 * negative or above its count, MQL_ENOMEM. */
int mql_table_counts_compact(const mql_table *t, long count_col, long won_col, mql_table **out,
                             unsigned char **y, double **w, mql_err *err);

#endif
