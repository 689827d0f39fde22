/* bench_glm.c: times mql_glm_fit on simulated leads (GSL's mt19937, fixed seed): n rows, an
 * intercept plus k columns (half N(0,1), a quarter N(50,10), a quarter 0/1). Prints the median
 * of 5 fits and the peak RSS; --csv FILE also writes the data for timing R on the same rows.
 * --warm-rows W sets the warm start's subsample size (0 = R's start throughout); --compare also
 * fits once from R's start and prints the largest coefficient and deviance differences.
 *   build/tools/bench_glm [--n N] [--k K] [--threads T] [--warm-rows W] [--compare] [--csv FILE] */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include <gsl/gsl_errno.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>

#include "mqlcal/glm.h"

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static double cpu(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
    long n = 1000000, k = 20, threads = 0, warm = 50000;
    int compare = 0;
    const char *csv = NULL;
    for (int i = 1; i < argc; i++) {
        if (i + 1 < argc && strcmp(argv[i], "--n") == 0)
            mql_parse_long(argv[++i], 1, 100000000, &n);
        else if (i + 1 < argc && strcmp(argv[i], "--k") == 0)
            mql_parse_long(argv[++i], 1, 1000, &k);
        else if (i + 1 < argc && strcmp(argv[i], "--threads") == 0)
            mql_parse_long(argv[++i], 0, 16, &threads);
        else if (i + 1 < argc && strcmp(argv[i], "--warm-rows") == 0)
            mql_parse_long(argv[++i], 0, 100000000, &warm);
        else if (strcmp(argv[i], "--compare") == 0)
            compare = 1;
        else if (i + 1 < argc && strcmp(argv[i], "--csv") == 0)
            csv = argv[++i];
        else {
            fprintf(stderr, "usage: bench_glm [--n N] [--k K] [--threads T] [--warm-rows W] [--compare] "
                    "[--csv FILE]\n");
            return 2;
        }
    }
    gsl_set_error_handler_off();
    size_t p = (size_t)k + 1;
    gsl_matrix *X = gsl_matrix_alloc((size_t)n, p);
    double *y = malloc((size_t)n * sizeof *y);
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    if (!X || !y || !rng)
        return 5;
    gsl_rng_set(rng, 20240611);
    for (size_t i = 0; i < (size_t)n; i++) {
        double *x = gsl_matrix_ptr(X, i, 0), eta = -1.0;
        x[0] = 1.0;
        for (size_t j = 1; j < p; j++) {
            if (j <= (size_t)k / 2)
                x[j] = gsl_ran_gaussian(rng, 1.0);
            else if (j <= 3 * (size_t)k / 4)
                x[j] = 50.0 + gsl_ran_gaussian(rng, 10.0);
            else
                x[j] = gsl_rng_uniform(rng) < 0.3;
            double c = x[j] - (j > (size_t)k / 2 && j <= 3 * (size_t)k / 4 ? 50.0 : 0.0);
            eta += (0.3 / (double)j) * (j % 2 ? 1.0 : -1.0) * c;
        }
        y[i] = gsl_rng_uniform(rng) < 1.0 / (1.0 + exp(-eta));
    }
    if (csv) {
        FILE *f = fopen(csv, "w");
        if (!f)
            return 3;
        for (size_t j = 1; j < p; j++)
            fprintf(f, "x%zu,", j);
        fprintf(f, "y\n");
        for (size_t i = 0; i < (size_t)n; i++) {
            for (size_t j = 1; j < p; j++)
                fprintf(f, "%.17g,", gsl_matrix_get(X, i, j));
            fprintf(f, "%g\n", y[i]);
        }
        if (fclose(f) != 0)
            return 3;
    }
    mql_glm_data d = {(size_t)n, p, mql_glm_fill_matrix, X, y, NULL};
    mql_glm_opts o;
    mql_glm_opts_default(&o);
    o.threads = (int)threads;
    o.warm_rows = (size_t)warm;
    double t[5], u[5];
    mql_glm_result *r = NULL;
    for (int rep = 0; rep < 5; rep++) {
        mql_err e;
        mql_glm_result_free(r);
        double t0 = now(), c0 = cpu();
        int st = mql_glm_fit(&d, &o, &r, &e);
        t[rep] = now() - t0;
        u[rep] = cpu() - c0;
        if (st != MQL_OK) {
            fprintf(stderr, "bench_glm: %s\n", e.msg);
            return st;
        }
    }
    qsort(t, 5, sizeof t[0], cmp_double);
    qsort(u, 5, sizeof u[0], cmp_double);
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    printf("n=%ld p=%zu threads=%ld warm_rows=%ld iterations=%d (+%d on the subsample) "
           "deviance=%.10g\n", n, p, threads, warm, r->iterations, r->warm_iterations,
           r->deviance);
    printf("fit: median %.3f s (min %.3f, max %.3f) of 5, CPU (all threads) median %.3f s; "
           "peak RSS %.1f MB (X alone %.1f MB)\n", t[2], t[0], t[4], u[2], (double)ru.ru_maxrss / 1024.0,
           (double)n * (double)p * 8.0 / 1048576.0);
    printf("beta[1..3] = %.10g %.10g %.10g\n", r->beta[1], r->beta[2], r->beta[3]);
    if (compare) {
        mql_glm_result *c = NULL;
        mql_err e;
        o.warm_rows = 0;
        double t0 = now();
        if (mql_glm_fit(&d, &o, &c, &e) != MQL_OK) {
            fprintf(stderr, "bench_glm: %s\n", e.msg);
            return 1;
        }
        double tc = now() - t0, db = 0.0, dse = 0.0;
        for (size_t j = 0; j < p; j++) {
            double rel = fabs(r->beta[j] - c->beta[j]) / fmax(fabs(c->beta[j]), 1e-300);
            double rse = fabs(r->se[j] - c->se[j]) / c->se[j];
            db = rel > db ? rel : db;
            dse = rse > dse ? rse : dse;
        }
        printf("R's start: %.3f s, %d iterations, deviance %.17g\n", tc, c->iterations,
               c->deviance);
        printf("warm vs R's start: deviance rel diff %.3g, max coefficient rel diff %.3g, "
               "max SE rel diff %.3g\n", fabs(r->deviance - c->deviance) / c->deviance, db, dse);
        mql_glm_result_free(c);
    }
    mql_glm_result_free(r);
    gsl_matrix_free(X);
    free(y);
    gsl_rng_free(rng);
    return 0;
}
