/* bench_ingest.c: times mql_table_read on one CSV (scripts/bench's ingest section) and reports
 * throughput and the table's in-memory size, apart from any command's other work.
 *
 *   bench_ingest FILE     prints one line of key=value figures to stdout */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "mqlcal/common.h"
#include "mqlcal/table.h"

/* Bytes held by the table's column arrays and level strings (malloc overhead not counted). */
static size_t table_bytes(const mql_table *t)
{
    size_t total = t->n_cols * sizeof *t->cols;
    for (size_t j = 0; j < t->n_cols; j++) {
        const mql_column *c = &t->cols[j];
        if (c->num)
            total += t->n_rows * sizeof *c->num;
        if (c->code)
            total += t->n_rows * sizeof *c->code;
        if (c->levels) {
            total += c->n_levels * (sizeof *c->levels + sizeof *c->level_count);
            for (size_t k = 0; k < c->n_levels; k++)
                total += strlen(c->levels[k]) + 1;
        }
    }
    return total;
}

static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

int main(int argc, char **argv)
{
    if (argc != 2 || strcmp(argv[1], "--help") == 0) {
        fprintf(argc == 2 ? stdout : stderr, "usage: bench_ingest FILE\n"
                "  reads FILE with mql_table_read and prints rows, bytes, seconds, MB/s, rows/s\n"
                "  and the table's in-memory size\n");
        return argc == 2 ? MQL_OK : MQL_EUSAGE;
    }
    mql_table *t = NULL;
    mql_err err = {{0}};
    double t0 = now_seconds();
    int status = mql_table_read(argv[1], NULL, &t, &err);
    double secs = now_seconds() - t0;
    if (status != MQL_OK) {
        fprintf(stderr, "bench_ingest: %s\n", err.msg);
        return status;
    }
    size_t mem = table_bytes(t);
    double mb = (double)t->n_bytes / 1e6;
    printf("rows=%zu cols=%zu bytes=%zu seconds=%.3f MB/s=%.1f rows/s=%.0f table_MB=%.1f"
           " bytes/row=%.1f\n",
           t->n_rows, t->n_cols, t->n_bytes, secs, secs > 0 ? mb / secs : 0.0,
           secs > 0 ? (double)t->n_rows / secs : 0.0, (double)mem / 1e6,
           t->n_rows ? (double)mem / (double)t->n_rows : 0.0);
    mql_table_free(t);
    return MQL_OK;
}
