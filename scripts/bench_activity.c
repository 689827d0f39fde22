/* bench_activity.c: times the activity-log path of scripts/bench apart from any fit: reading and
 * linking the log (mql_activity_load) and building the snapshot table with decayed features
 * (mql_activity_data_build: one row per lead 30 days after creation, half-lives 14 and 60 days).
 *
 *   bench_activity LEADS.csv EVENTS.csv   prints one line of key=value figures to stdout */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "mqlcal/activity_fit.h"

static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: bench_activity LEADS.csv EVENTS.csv (as gen_leads --activity "
                "writes them)\n");
        return MQL_EUSAGE;
    }
    mql_err err = {{0}};
    mql_table *t = NULL;
    const char *const cat[] = {"lead_id"};
    mql_read_opts ro = {.categorical = cat, .n_categorical = 1};
    double t0 = now_seconds();
    int st = mql_table_read(argv[1], &ro, &t, &err);
    double t1 = now_seconds();
    mql_activity *a = NULL;
    mql_activity_data *d = NULL;
    unsigned char *y = NULL;
    if (!st) {
        mql_activity_spec sp = {.path = argv[2], .key = "lead_id"};
        st = mql_activity_load(&sp, t, mql_table_find(t, "created_date"), &a, &err);
    }
    double t2 = now_seconds();
    if (!st) {
        long yc = mql_table_find(t, "closed_won");
        y = malloc(t->n_rows ? t->n_rows : 1);
        for (size_t i = 0; y && i < t->n_rows; i++)
            y[i] = t->cols[yc].num[i] == 1;
        mql_decay dec[2] = {{MQL_DECAY_HALF_LIFE, 60}, {MQL_DECAY_HALF_LIFE, 14}};
        mql_activity_setup s = {.leads = t, .created_col = mql_table_find(t, "created_date"),
                                .y = y, .act = a,
                                .snap = {.mode = MQL_SNAP_AS_OF_DAYS, .as_of_days = 30,
                                         .end_day = NAN}};
        st = mql_activity_data_build(&s, dec, &d, &err);
    }
    double t3 = now_seconds();
    if (st) {
        fprintf(stderr, "bench_activity: %s\n", err.msg);
        return st;
    }
    printf("leads=%zu events=%zu types=%zu read_leads_s=%.3f load_log_s=%.3f snapshot_s=%.3f "
           "log_plus_snapshot_s=%.3f\n", t->n_rows, a->n_events, a->n_types, t1 - t0, t2 - t1,
           t3 - t2, t3 - t1);
    mql_activity_data_free(d);
    mql_activity_free(a);
    free(y);
    mql_table_free(t);
    return MQL_OK;
}
