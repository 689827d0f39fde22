/* dates.h: the date forms the table reader tells apart, shared by table.c and dates.c (not part
 * of the library's interface; mql_date_parse and mql_date_format are, in mqlcal/table.h). */
#ifndef MQLCAL_SRC_DATES_H
#define MQLCAL_SRC_DATES_H

#include <stddef.h>

/* Whether s has the shape of an ISO date, digits in every place of YYYY-MM-DD or YYYY/MM/DD (the
 * rest is not looked at): a value of that shape that mql_date_parse refuses is an impossible
 * date. */
int mql_date_iso_shaped(const char *s, size_t n);
/* Reads a day-first or month-first date: A SEP B SEP YYYY with A, B of one or two digits and SEP
 * one of '/', '.', '-' (the same twice), then optionally " HH:MM[:SS]" and " AM"/" PM". *a and *b
 * receive the two fields. Returns 0 when s has that shape (whether or not it is a possible date
 * in either order), -1 otherwise. *time is the time of day as a fraction (0 without one). */
int mql_date_dmy_shape(const char *s, size_t n, int *a, int *b, long *year, double *time,
                       int *has_time, char *sep);
/* Days since 1970-01-01 of y-m-d into *days; -1 when there is no such day. */
int mql_date_civil_days(long y, int m, int d, double *days);

#endif
