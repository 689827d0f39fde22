/* bench_backtest.c: times mql_bt_sweep_run on 1,000,000 leads with random integer scores 0..200,
 * dates over 24 months, SQL, ACV and 5% censoring, over all distinct scores; prints the median
 * wall time of 5 sweeps. Not part of the test suite (timings depend on the machine).
 * Usage: build/tools/bench_backtest [N] */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <math.h>
#include <gsl/gsl_rng.h>
#include "mqlcal/backtest.h"

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static int cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
    long n = 1000000;
    if (argc > 1 && mql_parse_long(argv[1], 1, 100000000, &n) != 0) {
        fprintf(stderr, "bench_backtest: N must be an integer in [1, 1e8]\n");
        return 2;
    }
    size_t nn = (size_t)n;
    double *score = malloc(nn * sizeof *score), *acv = malloc(nn * sizeof *acv);
    unsigned char *won = malloc(nn), *sql = malloc(nn), *cens = malloc(nn);
    long *month = malloc(nn * sizeof *month);
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    if (!score || !acv || !won || !sql || !cens || !month || !r) {
        fprintf(stderr, "bench_backtest: out of memory\n");
        return 5;
    }
    gsl_rng_set(r, 42);
    for (size_t i = 0; i < nn; i++) {
        long s = (long)gsl_rng_uniform_int(r, 201);
        double p = 0.005 + 0.3 * (double)s / 200.0;
        score[i] = (double)s;
        sql[i] = gsl_rng_uniform(r) < 2 * p;
        won[i] = sql[i] && gsl_rng_uniform(r) < 0.5;
        acv[i] = won[i] ? 5000 + 20000 * gsl_rng_uniform(r) : NAN;
        month[i] = 648 + (long)gsl_rng_uniform_int(r, 24);   /* 2024-01 .. 2025-12 */
        cens[i] = month[i] == 671 && gsl_rng_uniform(r) < 0.6;
    }
    gsl_rng_free(r);
    mql_bt_input in = {nn, score, won, sql, month, acv, cens};
    double t[5];
    size_t rows = 0;
    for (int k = 0; k < 5; k++) {
        mql_bt_sweep *s;
        mql_err err;
        double t0 = now();
        if (mql_bt_sweep_run(&in, NULL, 0, &s, &err)) {
            fprintf(stderr, "bench_backtest: %s\n", err.msg);
            return 1;
        }
        t[k] = now() - t0;
        rows = s->n_rows;
        mql_bt_sweep_free(s);
    }
    qsort(t, 5, sizeof *t, cmp);
    printf("sweep of %zu leads over %zu distinct thresholds: median %.1f ms of 5 (min %.1f, max "
           "%.1f)\n",
           nn, rows, 1e3 * t[2], 1e3 * t[0], 1e3 * t[4]);
    free(score);
    free(acv);
    free(won);
    free(sql);
    free(cens);
    free(month);
    return 0;
}
