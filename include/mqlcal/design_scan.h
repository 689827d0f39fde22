/* design_scan.h: one pass over each numeric feature column before mql_design_build chooses its
 * encoding (design_scan.c): counts, whole numbers, range; the columns on two threads. */
#ifndef MQLCAL_DESIGN_SCAN_H
#define MQLCAL_DESIGN_SCAN_H

#include <stddef.h>
#include "mqlcal/table.h"

typedef struct mql_numeric_scan {
    const mql_column *col;     /* in: a NUMERIC column */
    size_t n_rows;             /* in: its rows */
    const double *w;           /* in: n_rows frequency weights, or NULL (each row one lead) */
    size_t nv, na;             /* out: leads with a value (weight > 0), leads without one */
    int integer;               /* out: 1 when every counted value is a whole number */
    double lo, hi;             /* out: the counted values' range (INFINITY, -INFINITY: none) */
} mql_numeric_scan;

/* The unweighted scan over consecutive blocks of one column (the same outputs as one pass):
 * the table cache takes it block by block while it checksums a hit's columns. */
typedef struct mql_scan_acc {
    size_t na;
    double lo, hi;
    int integer;
} mql_scan_acc;

void mql_scan_acc_init(mql_scan_acc *a);
void mql_scan_acc_add(mql_scan_acc *a, const double *v, size_t n);

/* Fills the outputs of sc[0..n): from the column's own scan (mql_column.scan_of, kept by the
 * reader or a cache hit) when it describes sc's very array and rows and the rows are
 * unweighted, else by a pass, the second half of such columns on a thread of its own when one
 * can be had (the same values either way). */
void mql_design_scan_numeric(mql_numeric_scan *sc, size_t n);

/* Leads a training row stands for: its frequency weight rounded (0 when not positive), 1
 * without weights. */
size_t mql_design_row_weight(const double *w, size_t r);

#endif
