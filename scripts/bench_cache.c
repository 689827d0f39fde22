/* bench_cache.c: times the table cache (scripts/bench's cache section): RUNS plain reads of a
 * CSV (mql_table_read), one store, RUNS cache hits (mql_table_read_cached), and the XXH64 pass
 * over the CSV that every hit begins with. Prints medians of wall and CPU seconds (CPU time is
 * the steadier figure on a shared machine).
 *
 *   bench_cache FILE CACHE_DIR [RUNS]     prints key=value lines to stdout */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench_time.h"
#include "mqlcal/common.h"
#include "mqlcal/table.h"
#include "mqlcal/table_cache.h"

int main(int argc, char **argv)
{
    if (argc < 3 || argc > 4) {
        fprintf(stderr, "usage: bench_cache FILE CACHE_DIR [RUNS]\n");
        return 2;
    }
    int runs = argc == 4 ? atoi(argv[3]) : 5;
    if (runs < 1 || runs > 100)
        runs = 5;
    double wall[3][100], cpu[3][100];
    mql_cache_opts co = {argv[2], 0, 0};
    mql_err err;
    for (int phase = 0; phase < 3; phase++) {
        if (phase == 2) {                     /* the store between the cold reads and the hits */
            mql_table *t = NULL;
            mql_cache_result res;
            if (mql_table_read_cached(argv[1], NULL, &co, &t, &res, &err)) {
                fprintf(stderr, "bench_cache: %s\n", err.msg);
                return 1;
            }
            mql_table_free(t);
        }
        for (int r = 0; r < runs; r++) {
            double w0 = bench_clock(CLOCK_MONOTONIC), c0 = bench_clock(CLOCK_PROCESS_CPUTIME_ID);
            mql_table *t = NULL;
            mql_cache_result res = MQL_CACHE_HIT;
            int st = MQL_OK;
            uint64_t h, n;
            if (phase == 0)
                st = mql_table_read(argv[1], NULL, &t, &err);
            else if (phase == 1)
                st = mql_file_xxh64(argv[1], &h, &n, &err);
            else
                st = mql_table_read_cached(argv[1], NULL, &co, &t, &res, &err);
            wall[phase][r] = bench_clock(CLOCK_MONOTONIC) - w0;
            cpu[phase][r] = bench_clock(CLOCK_PROCESS_CPUTIME_ID) - c0;
            if (st || res != MQL_CACHE_HIT) {
                fprintf(stderr, "bench_cache: %s\n", st ? err.msg : "not a cache hit");
                return 1;
            }
            mql_table_free(t);
        }
    }
    static const char *const name[3] = {"csv_read", "csv_xxh64", "cache_hit"};
    for (int phase = 0; phase < 3; phase++)
        printf("%s wall_s=%.3f cpu_s=%.3f\n", name[phase], bench_median(wall[phase], runs),
               bench_median(cpu[phase], runs));
    return 0;
}
