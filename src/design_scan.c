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

/* The unweighted scan (every row one lead), scan_one's loop in blocks with the whole-number
 * test taken out of it: a block at a time, by the 2^52 rounding (no conversion, no test per
 * value to wait for the one before). The same outputs as scan_one, the extremes included (the
 * same comparisons in the same order keep the same zero when -0 and 0 both occur), whatever
 * the blocks the values are given in. */
void mql_scan_acc_init(mql_scan_acc *a)
{
    *a = (mql_scan_acc){0, INFINITY, -INFINITY, 1};
}

void mql_scan_acc_add(mql_scan_acc *a, const double *v, size_t n)
{
    enum { BLOCK = 1024 };
    size_t na = a->na;
    double lo = a->lo, hi = a->hi;
    int integer = a->integer;
    for (size_t b0 = 0; b0 < n; b0 += BLOCK) {
        size_t b1 = n - b0 < BLOCK ? n : b0 + BLOCK;
        for (size_t r = b0; r < b1; r++) {
            double x = v[r];
            if (isnan(x)) {
                na++;
                continue;
            }
            lo = x < lo ? x : lo;
            hi = x > hi ? x : hi;
        }
        /* mql_is_integral(x): below 2^52, adding and taking away 2^52 rounds |x| to a whole
         * number, which equals |x| exactly when |x| is one; from 2^52 to 2^53 every double is
         * whole; from 2^53 on mql_is_integral says no. A NaN is not a counted value. */
        int bad = 0;
        for (size_t r = b0; integer && r < b1; r++) {
            double x = v[r], m = fabs(x);
            int whole = m < 0x1p52 ? (m + 0x1p52) - 0x1p52 == m : m < 0x1p53;
            bad |= (x == x) & !whole;
        }
        integer &= !bad;
    }
    *a = (mql_scan_acc){na, lo, hi, integer};
}

/* Whether sc's column carries a scan kept by the reader (table_infer.c) or a cache hit
 * (table_cache.c) for this very array and all of sc's rows. A column of fewer rows (a subset, a
 * time split's training part, a view at another offset) has another array or another length;
 * the derived tables' columns (table_ops.c, lookup.c) start without one. */
static int kept_scan(const mql_numeric_scan *sc)
{
    const mql_column *c = sc->col;
    return c->type == MQL_COL_NUMERIC && c->scan_of && c->scan_of == c->num &&
           c->scan_rows == sc->n_rows && c->n_rows == sc->n_rows;
}

static void scan_plain(mql_numeric_scan *sc)
{
    const mql_column *c = sc->col;
    mql_scan_acc a;
    if (kept_scan(sc)) {
        a = (mql_scan_acc){c->scan_na, c->scan_lo, c->scan_hi, c->scan_integer};
    } else {
        mql_scan_acc_init(&a);
        mql_scan_acc_add(&a, c->num, sc->n_rows);
    }
    sc->nv = sc->n_rows - a.na;
    sc->na = a.na;
    sc->integer = a.integer;
    sc->lo = a.lo;
    sc->hi = a.hi;
}

/* Whether sc needs a pass over its column (no weights and a kept scan: none). */
static int needs_pass(const mql_numeric_scan *sc)
{
    return sc->w || !kept_scan(sc);
}

/* The passes lo .. hi - 1 among the n scans of sc (counted in order among those that need
 * one). */
typedef struct scan_part {
    mql_numeric_scan *sc;
    size_t n, lo, hi;
} scan_part;

static void *scan_part_run(void *arg)
{
    scan_part *pt = arg;
    for (size_t i = 0, k = 0; i < pt->n && k < pt->hi; i++) {
        if (!needs_pass(&pt->sc[i]))
            continue;
        if (k++ < pt->lo)
            continue;
        if (pt->sc[i].w)
            scan_one(&pt->sc[i]);
        else
            scan_plain(&pt->sc[i]);
    }
    return NULL;
}

void mql_design_scan_numeric(mql_numeric_scan *sc, size_t n)
{
    /* The kept scans at once; the passes, when two or more, half on a thread of their own. */
    size_t passes = 0;
    for (size_t i = 0; i < n; i++) {
        if (needs_pass(&sc[i]))
            passes++;
        else
            scan_plain(&sc[i]);
    }
    scan_part half = {sc, n, passes / 2, passes};
    pthread_t tid;
    int threaded = passes >= 2 && pthread_create(&tid, NULL, scan_part_run, &half) == 0;
    scan_part rest = {sc, n, 0, threaded ? passes / 2 : passes};
    scan_part_run(&rest);
    if (threaded)
        pthread_join(tid, NULL);
}
