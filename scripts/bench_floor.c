/* bench_floor.c: the floor under `fit` on this machine (scripts/bench's floor section): what the
 * unavoidable pieces of parse + fit cost when nothing else is done, each timed alone (median of
 * RUNS, CPU seconds of one thread):
 *
 *   csv_bytes   libcsv's byte loop over the file with callbacks that do nothing (the parser the
 *               product keeps; the file is in memory, so no I/O)
 *   fresh_mem   faulting in and zeroing the table's memory (rows x columns doubles), what the
 *               kernel does for every fresh page the reader fills
 *   irls_pass   one IRLS pass over rows x columns doubles already in memory: the linear
 *               predictor (dgemv), the weights (exp, log), X'WX by dsyrk in 4,096-row chunks
 *
 * The floor printed is (csv_bytes + fresh_mem) / cores + 3 passes x irls_pass / cores: a
 * two-core reader and the fewest IRLS passes the warm start reaches, with typing, screening,
 * points and the output taken as free.
 *
 *   bench_floor FILE ROWS COLS [RUNS]     prints key=value lines to stdout */
#include <csv.h>
#include <gsl/gsl_cblas.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bench_time.h"
#include "mqlcal/common.h"

static size_t fields;

static void on_field(void *s, size_t n, void *ctx)
{
    (void)s, (void)n, (void)ctx;
    fields++;
}

static void on_row(int c, void *ctx)
{
    (void)c, (void)ctx;
}

int main(int argc, char **argv)
{
    if (argc < 4 || argc > 5) {
        fprintf(stderr, "usage: bench_floor FILE ROWS COLS [RUNS]\n");
        return 2;
    }
    size_t rows = strtoul(argv[2], NULL, 10), cols = strtoul(argv[3], NULL, 10);
    int runs = argc == 5 ? atoi(argv[4]) : 5;
    if (runs < 1 || runs > 50)
        runs = 5;
    FILE *f = fopen(argv[1], "rb");
    if (!f) {
        perror(argv[1]);
        return 3;
    }
    fseek(f, 0, SEEK_END);
    long size = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *buf = malloc(size > 0 ? (size_t)size : 1);
    if (!buf || fread(buf, 1, (size_t)size, f) != (size_t)size) {
        fprintf(stderr, "bench_floor: cannot read %s\n", argv[1]);
        return 3;
    }
    fclose(f);
    double t[50];
    /* libcsv's byte loop alone */
    for (int r = 0; r < runs; r++) {
        struct csv_parser p;
        csv_init(&p, CSV_STRICT | CSV_APPEND_NULL);
        fields = 0;
        double t0 = bench_clock(CLOCK_PROCESS_CPUTIME_ID);
        csv_parse(&p, buf, (size_t)size, on_field, on_row, NULL);
        csv_fini(&p, on_field, on_row, NULL);
        t[r] = bench_clock(CLOCK_PROCESS_CPUTIME_ID) - t0;
        csv_free(&p);
    }
    double csv_t = bench_median(t, runs);
    printf("csv_bytes cpu_s=%.3f fields=%zu MB=%.1f\n", csv_t, fields, (double)size / 1e6);
    free(buf);
    /* fresh memory for the table, faulted in and zeroed */
    size_t bytes = rows * cols * sizeof(double);
    for (int r = 0; r < runs; r++) {
        double t0 = bench_clock(CLOCK_PROCESS_CPUTIME_ID);
        double *m = mql_alloc_big(bytes);
        if (!m)
            return 5;
        for (size_t i = 0; i < bytes / sizeof *m; i += 512)   /* one store per 4 KiB */
            m[i] = 1.0;
        t[r] = bench_clock(CLOCK_PROCESS_CPUTIME_ID) - t0;
        free(m);
    }
    /* The first run takes pages the process never had; later runs may get the same pages
     * back from the kernel, already backed by the host on a virtual machine: the first is the
     * reader's case. */
    double mem_t = t[0], mem_again = runs > 1 ? bench_median(t + 1, runs - 1) : t[0];
    printf("fresh_mem cpu_s=%.3f MB=%.1f (again: %.3f)\n", mem_t, (double)bytes / 1e6, mem_again);
    /* one IRLS pass over an in-memory design */
    double *x = mql_alloc_big(bytes), *eta = malloc(rows * sizeof *eta);
    double *w = malloc(rows * sizeof *w), *beta = malloc(cols * sizeof *beta);
    double *xtx = calloc(cols * cols, sizeof *xtx), *xw = malloc(4096 * cols * sizeof *xw);
    if (!x || !eta || !w || !beta || !xtx || !xw)
        return 5;
    uint64_t g = 88172645463325252ULL;
    for (size_t i = 0; i < rows * cols; i++) {
        g ^= g << 13, g ^= g >> 7, g ^= g << 17;
        x[i] = (double)(g >> 11) / 9007199254740992.0 - 0.5;
    }
    for (size_t j = 0; j < cols; j++)
        beta[j] = 0.1 / (double)(j + 1);
    double dev = 0;
    for (int r = 0; r < runs; r++) {
        double t0 = bench_clock(CLOCK_PROCESS_CPUTIME_ID);
        cblas_dgemv(CblasRowMajor, CblasNoTrans, (int)rows, (int)cols, 1.0, x, (int)cols, beta, 1,
                    0.0, eta, 1);
        for (size_t i = 0; i < rows; i++) {
            double mu = 1 / (1 + exp(-eta[i]));
            w[i] = mu * (1 - mu);
            dev -= log(i % 2 ? mu : 1 - mu);
        }
        memset(xtx, 0, cols * cols * sizeof *xtx);
        for (size_t r0 = 0; r0 < rows; r0 += 4096) {
            size_t m = rows - r0 < 4096 ? rows - r0 : 4096;
            for (size_t i = 0; i < m; i++) {
                double sw = sqrt(w[r0 + i]);
                for (size_t j = 0; j < cols; j++)
                    xw[i * cols + j] = x[(r0 + i) * cols + j] * sw;
            }
            cblas_dsyrk(CblasRowMajor, CblasLower, CblasTrans, (int)cols, (int)m, 1.0, xw,
                        (int)cols, 1.0, xtx, (int)cols);
        }
        t[r] = bench_clock(CLOCK_PROCESS_CPUTIME_ID) - t0;
    }
    double pass = bench_median(t, runs);
    printf("irls_pass cpu_s=%.3f rows=%zu cols=%zu (deviance %.3g)\n", pass, rows, cols, dev);
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    cores = cores < 1 ? 1 : cores > 2 ? 2 : cores;   /* the reader and IRLS use two threads */
    printf("floor wall_s=%.3f (cores=%ld: (csv_bytes + fresh_mem) / cores + 3 irls_pass / "
           "cores)\n", (csv_t + mem_t) / (double)cores + 3 * pass / (double)cores, cores);
    free(x), free(eta), free(w), free(beta), free(xtx), free(xw);
    return 0;
}
