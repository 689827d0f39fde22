/* value_runs.h: the sorted non-missing values of a numeric column as runs of equal values
 * (value_runs.c), the form in which the points step reads a LINEAR term's order statistics and
 * step means, and the exact sum of a value added many times over. */
#ifndef MQLCAL_VALUE_RUNS_H
#define MQLCAL_VALUE_RUNS_H
#include <stddef.h>

/* Distinct values u[0] < ... < u[nd-1], u[j] occurring c[j] times; nv = sum of c. Everything
 * the steps of a LINEAR term need from the sorted values (order statistics, the values of each
 * step summed in ascending order) can be read off the runs, and a column with few distinct
 * values gives its runs without sorting its rows. -0 is read as +0 (one run of zero). */
typedef struct mql_value_runs {
    double *u;
    size_t *c;
    size_t nd, nv;
    size_t row_min, row_max;   /* the first row holding u[0] and u[nd - 1], when the route
                                  learns it on the way (digits); SIZE_MAX: not known */
} mql_value_runs;

/* Frees u and c (NULL-safe) and sets them to NULL. */
void mql_runs_free(mql_value_runs *r);

/* The runs of x[0..n) (NaN: missing, skipped) by sorting a copy. Returns 0, or -1 when out of
 * memory. r's arrays are the caller's (mql_runs_free). */
int mql_runs_by_sort(const double *x, size_t n, mql_value_runs *r);

/* The same runs by counting the values in a hash table of at most `limit` distinct values.
 * Returns 0, 1 when the column has more distinct values (r untouched), -1 when out of memory. */
int mql_runs_by_hash(const double *x, size_t n, size_t limit, mql_value_runs *r);

/* The same runs (bit for bit those of mql_runs_by_sort) by counting the written digits of a
 * column of plain decimals with at most dec digits after the point (mql_column.plain_decimal):
 * value * 10^dec is within a rounding of an integer, so a count per integer between the
 * smallest and the largest gives the runs in ascending order without sorting the rows. Each
 * run's value is rebuilt as integer / 10^dec, the same correctly rounded quotient the reader
 * computed, and zero as +0 (earlier versions kept -0 when the column had one: the sort never
 * did). Returns 0, 1 when dec is out of 0..15 or the span is too wide for counting (r
 * untouched), -1 when out of memory. */
int mql_runs_by_digits(const double *x, size_t n, int dec, mql_value_runs *r);

/* mql_runs_by_digits when the range [lo, hi] of the column's values is known beforehand (the
 * design's scan of the column, mql_feature.range_lo/hi): one pass over the rows instead of two.
 * The first rows of the end values are noted while counting (row_min when a value equals lo,
 * row_max when one equals hi; SIZE_MAX otherwise). With lo and hi the smallest and largest
 * value the runs are mql_runs_by_digits' bit for bit, first rows included. Returns 0, 1 when
 * mql_runs_by_digits would decline or a value lies outside [lo, hi] (the range is not the
 * column's: r untouched), -1 when out of memory. */
int mql_runs_by_digits_range(const double *x, size_t n, int dec, double lo, double hi,
                             mql_value_runs *r);

/* The value at position i (< nv) of the sorted values. */
double mql_runs_at(const mql_value_runs *r, size_t i);

/* s after c additions s += v made one by one in double precision, bit for bit, in about one
 * step per binade the sum passes through instead of c (a run of one value added to a step's
 * sum). */
double mql_sum_repeated(double s, double v, size_t c);

/* s after the runs v[0] added c[0] times, then v[1] c[1] times, ... v[k-1] c[k-1] times, each
 * addition made one by one in double precision, bit for bit (mql_sum_repeated run by run), with
 * the sum decoded once per binade it passes through rather than once per run (a step's values
 * summed in ascending order). */
double mql_sum_runs(double s, const double *v, const size_t *c, size_t k);

#endif
