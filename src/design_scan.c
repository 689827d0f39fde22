/* design_scan.c: the numeric feature columns' pass before mql_design_build encodes them
 * (design_scan.h). A pass reads 8 MB a column on 1M rows, so the columns are shared between two
 * threads. */
#include "mqlcal/design_scan.h"

#include <math.h>
#include <pthread.h>

#include "mqlcal/common.h"

size_t mql_design_row_weight(const double *w, size_t r)
{
    return w ? (size_t)llround(w[r] > 0 ? w[r] : 0) : 1;
}

static void scan_one(mql_numeric_scan *sc)
{
    size_t nv = 0, na = 0;
    int integer = 1;
    double lo = INFINITY, hi = -INFINITY;
    const double *v = sc->col->num;
    for (size_t r = 0; r < sc->n_rows; r++) {
        double x = v[r];
        size_t wr = mql_design_row_weight(sc->w, r);
        if (isnan(x)) {
            na += wr;
            continue;
        }
        if (wr == 0)
            continue;
        nv += wr;
        if (integer && !mql_is_integral(x))
            integer = 0;   /* no test once a value has a fraction */
        lo = x < lo ? x : lo;
        hi = x > hi ? x : hi;
    }
    sc->nv = nv;
    sc->na = na;
    sc->integer = integer;
    sc->lo = lo;
    sc->hi = hi;
}

typedef struct scan_part {
    mql_numeric_scan *sc;
    size_t n;
} scan_part;

static void *scan_part_run(void *arg)
{
    scan_part *pt = arg;
    for (size_t i = 0; i < pt->n; i++)
        scan_one(&pt->sc[i]);
    return NULL;
}

void mql_design_scan_numeric(mql_numeric_scan *sc, size_t n)
{
    scan_part half = {sc + n / 2, n - n / 2};
    pthread_t tid;
    int threaded = n >= 2 && pthread_create(&tid, NULL, scan_part_run, &half) == 0;
    scan_part rest = {sc, threaded ? n / 2 : n};
    scan_part_run(&rest);
    if (threaded)
        pthread_join(tid, NULL);
}
