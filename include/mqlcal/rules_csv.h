/* rules_csv.h: the rules CSV of DESIGN section 3, read and written (the format people type into
 * a CRM and mqlcal writes back). */
#ifndef MQLCAL_RULES_CSV_H
#define MQLCAL_RULES_CSV_H

#include <stdio.h>

#include "mqlcal/points.h"

/* Reads a rules CSV. Version 1: header feature,operator,value,points[,group]; one rule a row.
 * Version 2: header feature,operator,value,points,group,rule; rows with the same (non-empty)
 * 'rule' cell are the conditions of one compound rule, ANDed; they need not be adjacent; the
 * points (and group) are given on one of its rows, or repeated with the same value; an empty
 * 'rule' cell is a one-condition rule as in version 1. Both versions: a row threshold,,,N; cap
 * rows cap,,,N,fit|engagement|total (at most one each; see mql_points_apply_caps); comment lines
 * starting with '#' are ignored except those mqlcal writes: "# score_map: logistic a=A b=B",
 * "# score_map: isotonic S:P S:P ..." and "# pdo: X". Fields may be quoted ("Director, Sales");
 * a quoted field cannot span lines. The group is "fit" or "engagement" (empty: guessed from the
 * first condition's feature name). Errors (MQL_EDATA, "PATH:LINE: ..."): unknown operator, a
 * non-integer points value, a bad number or range, an empty feature, an unknown group, a rule
 * with two conditions on one feature, points or groups that disagree within a rule, a rule
 * without points, overlapping rules of one feature set (both lines named, with a lead both
 * match), no threshold row or two of them, two caps of one kind. MQL_EIO when the file cannot
 * be read. The caller frees *out with mql_points_free. */
int mql_points_read_csv(const char *path, mql_points **out, mql_err *err);
/* The same from an open stream; name is used in messages. */
int mql_points_read_stream(FILE *f, const char *name, mql_points **out, mql_err *err);

/* Writes the rules CSV (C locale; non-integer numbers in shortest round-trip form, map
 * parameters with %.17g), so read(write(m)) has the same rules (term and line aside), threshold,
 * caps, map and pdo. Version 1 when the model has no compound rule and no cap (byte for byte
 * what earlier versions wrote), else version 2 (compound rules one row per condition, named;
 * an unnamed compound rule gets "rule N", N its position). Returns MQL_OK or MQL_EIO. */
int mql_points_write_csv(const mql_points *m, FILE *f);

#endif
