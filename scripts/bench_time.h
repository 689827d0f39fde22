/* bench_time.h: the clock and the median the timing tools in scripts/ share (header-only: each
 * tool is built from its one .c file). */
#ifndef MQLCAL_BENCH_TIME_H
#define MQLCAL_BENCH_TIME_H

#include <stdlib.h>
#include <time.h>

/* Seconds on clock id (CLOCK_MONOTONIC for wall time, CLOCK_PROCESS_CPUTIME_ID for CPU). */
static inline double bench_clock(clockid_t id)
{
    struct timespec ts;
    clock_gettime(id, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static inline int bench_cmp_d(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* The median of v[0..n) (the lower middle for even n); sorts v. */
static inline double bench_median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof *v, bench_cmp_d);
    return v[(n - 1) / 2];
}

#endif
