/* bench_glm.c: times mql_glm_fit on simulated leads (GSL's mt19937, fixed seed): n rows, an
 * intercept plus k columns (half N(0,1), a quarter N(50,10), a quarter 0/1). Prints the median
 * of 5 fits and the peak RSS; --csv FILE also writes the data for timing R on the same rows.
 *   build/tools/bench_glm [--n N] [--k K] [--threads T] [--csv FILE] */
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

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
    long n = 1000000, k = 20, threads = 0;
    const char *csv = NULL;
    for (int i = 1; i < argc; i++) {
        if (i + 1 < argc && strcmp(argv[i], "--n") == 0)
            mql_parse_long(argv[++i], 1, 100000000, &n);
        else if (i + 1 < argc && strcmp(argv[i], "--k") == 0)
            mql_parse_long(argv[++i], 1, 1000, &k);
        else if (i + 1 < argc && strcmp(argv[i], "--threads") == 0)
            mql_parse_long(argv[++i], 0, 16, &threads);
        else if (i + 1 < argc && strcmp(argv[i], "--csv") == 0)
            csv = argv[++i];
        else {
            fprintf(stderr, "usage: bench_glm [--n N] [--k K] [--threads T] [--csv FILE]\n");
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
    double t[5];
    mql_glm_result *r = NULL;
    for (int rep = 0; rep < 5; rep++) {
        mql_err e;
        mql_glm_result_free(r);
        double t0 = now();
        int st = mql_glm_fit(&d, &o, &r, &e);
        t[rep] = now() - t0;
        if (st != MQL_OK) {
            fprintf(stderr, "bench_glm: %s\n", e.msg);
            return st;
        }
    }
    qsort(t, 5, sizeof t[0], cmp_double);
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    printf("n=%ld p=%zu threads=%ld iterations=%d deviance=%.10g\n", n, p, threads,
           r->iterations, r->deviance);
    printf("fit: median %.3f s (min %.3f, max %.3f) of 5; peak RSS %.1f MB (X alone %.1f MB)\n",
           t[2], t[0], t[4], (double)ru.ru_maxrss / 1024.0,
           (double)n * (double)p * 8.0 / 1048576.0);
    printf("beta[1..3] = %.10g %.10g %.10g\n", r->beta[1], r->beta[2], r->beta[3]);
    mql_glm_result_free(r);
    gsl_matrix_free(X);
    free(y);
    gsl_rng_free(rng);
    return 0;
}
