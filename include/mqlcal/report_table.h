/* report_table.h: one tabular result (a header and rows of cells) written as an aligned text
 * table, CSV, JSON (array of objects) or Markdown. Every command's --format goes through here. */
#ifndef MQLCAL_REPORT_TABLE_H
#define MQLCAL_REPORT_TABLE_H

#include <stdio.h>
#include "mqlcal/common.h"

typedef enum mql_format { MQL_FMT_TABLE, MQL_FMT_CSV, MQL_FMT_JSON, MQL_FMT_MD } mql_format;

/* Parses "table", "csv", "json", "md"; returns 0 or -1. */
int mql_format_parse(const char *s, mql_format *out);

typedef struct mql_tab mql_tab;

/* A table with n_cols named columns. Returns NULL on allocation failure. Free with mql_tab_free. */
mql_tab *mql_tab_new(size_t n_cols, const char *const *names);
void mql_tab_free(mql_tab *t);

/* Appends a row; cells are then set left to right with the add_* calls (each returns 0 or -1 on
 * allocation failure). add_num prints with printf format fmt for text/markdown (e.g. "%.4f") and
 * in full precision ("%.17g" shortest) for CSV and JSON; NAN is empty / null. add_str(NULL) is
 * empty / null. add_int is an integer count. */
int mql_tab_row(mql_tab *t);
int mql_tab_add_str(mql_tab *t, const char *s);
int mql_tab_add_num(mql_tab *t, double v, const char *fmt);
int mql_tab_add_int(mql_tab *t, long long v);
int mql_tab_add_fmt(mql_tab *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

size_t mql_tab_rows(const mql_tab *t);
size_t mql_tab_cols(const mql_tab *t);
/* Column name j, or NULL when out of range. */
const char *mql_tab_name(const mql_tab *t, size_t j);
/* Display text of cell (i, j) as printed in the text table ("" when missing, NULL when out of
 * range); *numeric (may be NULL) says whether it was added as a number. */
const char *mql_tab_cell(const mql_tab *t, size_t i, size_t j, int *numeric);

/* Writes the table; numbers right-aligned in text form. Returns 0 or -1 on a write error. */
int mql_tab_write(const mql_tab *t, FILE *f, mql_format fmt);

#endif
