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

/* A new table holding rows idx[0..n) of t in that order (an index may repeat: one lead seen at
 * several moments), otherwise as mql_table_subset. Returns MQL_OK with *out or MQL_ENOMEM. */
int mql_table_gather(const mql_table *t, const size_t *idx, size_t n, mql_table **out,
                     mql_err *err);

/* Appends a NUMERIC column called name with values v (t->n_rows of them; NULL: all 0; NAN is
 * missing). MQL_EDATA when t has a column of that name, MQL_ENOMEM. */
int mql_table_add_numeric(mql_table *t, const char *name, const double *v, mql_err *err);

/* Recounts n_missing and n_distinct of a NUMERIC or DATE column after its values changed. */
void mql_column_recount(mql_column *c);

#endif
