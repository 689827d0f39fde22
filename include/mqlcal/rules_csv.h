/* rules_csv.h: the rules CSV of DESIGN section 3, read and written (the format people type into
 * a CRM and mqlcal writes back). */
#ifndef MQLCAL_RULES_CSV_H
#define MQLCAL_RULES_CSV_H

#include <stdio.h>

#include "mqlcal/points.h"

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

#endif
