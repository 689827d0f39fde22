/* evaluate.c: a points model applied to leads and everything measured on the result (scored
 * set, summary, recalibration, thresholds, reliability, bands, gains, PSI, histogram, grades), as
 * structs plus mql_tab tables shared by every front end. The comparison of two models is in
 * evaluate_compare.c, the out-of-sample runs in evaluate_runs.c. */
#include "mqlcal/evaluate.h"

#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "mqlcal/table_ops.h"
#include "evaluate_scored.h"

static const double Z95 = 1.959963984540054;

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* The values of an array in ascending order, read by rank: whole numbers over a short span with
 * no -0 (integer points) are counted per value (cum[k]: the values <= lo + k), the k-th smallest
 * then being lo + j for the first j with cum[j] > k, the same double as a sorted copy's x[k];
 * other values are a sorted copy. */
typedef struct ranked {
    double *x;                  /* the sorted copy; NULL when counted */
    size_t *cum;
    size_t m;
    double lo;
} ranked;

static int ranked_make(const double *v, size_t n, ranked *r)
{
    *r = (ranked){0};
    double lo = INFINITY, hi = -INFINITY;
    int whole = n > 0;
    for (size_t i = 0; whole && i < n; i++) {
        double x = v[i];
        if (!(fabs(x) < 0x1p52) || x != floor(x) || (x == 0 && signbit(x)))
            whole = 0;
        lo = x < lo ? x : lo;
        hi = x > hi ? x : hi;
    }
    if (whole && hi - lo + 1 <= 2.0 * (double)n + 65536.0 && hi - lo + 1 <= 16777216.0) {
        r->m = (size_t)(hi - lo) + 1;
        r->lo = lo;
        if ((r->cum = calloc(r->m, sizeof *r->cum))) {
            for (size_t i = 0; i < n; i++)
                r->cum[(size_t)(v[i] - lo)]++;
            for (size_t k = 1; k < r->m; k++)
                r->cum[k] += r->cum[k - 1];
            return MQL_OK;
        }
    }
    if (!(r->x = malloc((n ? n : 1) * sizeof *r->x)))
        return MQL_ENOMEM;
    memcpy(r->x, v, n * sizeof *r->x);
    if (mql_sort_doubles(r->x, n))
        qsort(r->x, n, sizeof *r->x, cmp_double);
    return MQL_OK;
}

static double ranked_at(const ranked *r, size_t k)
{
    if (r->x)
        return r->x[k];
    size_t a = 0, b = r->m - 1;   /* the first j with cum[j] > k */
    while (a < b) {
        size_t mid = a + (b - a) / 2;
        if (r->cum[mid] > k)
            b = mid;
        else
            a = mid + 1;
    }
    return r->lo + (double)a;
}

static void ranked_free(ranked *r)
{
    free(r->x);
    free(r->cum);
}

/* R's type-7 quantile at probability q of the n ranked values. */
static double ranked_quantile7(const ranked *r, size_t n, double q)
{
    double h = (double)(n - 1) * q;
    size_t lo = (size_t)floor(h);
    if (lo + 1 >= n)
        return ranked_at(r, n - 1);
    double a = ranked_at(r, lo);
    return a + (h - (double)lo) * (ranked_at(r, lo + 1) - a);
}

/* ================================================================================================
 * the scored set
 * ============================================================================================== */

void mql_scored_free(mql_scored *s)
{
    if (!s)
        return;
    if (!s->borrows) {
        free(s->score);
        free(s->fit);
        free(s->eng);
        free(s->y);
        free(s->sql);
        free(s->month);
        if (!s->borrows_columns) {
            free(s->date);
            free(s->acv);
        }
    }
    if (!s->borrows_prob)
        free(s->prob);
    free(s->censored);
    free(s->open);
    free(s->uncapped);
    free(s);
}

mql_scored *mql_scored_alloc(size_t n, int with_sub, int with_sql, int with_date,
                             int with_acv, int with_cens)
{
    mql_scored *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    size_t m = n ? n : 1;
    s->n = n;
    s->end_day = NAN;
    s->score = malloc(m * sizeof *s->score);
    s->prob = malloc(m * sizeof *s->prob);
    s->y = malloc(m);
    int fail = !s->score || !s->prob || !s->y;
    if (with_sub) {
        s->fit = malloc(m * sizeof *s->fit);
        s->eng = malloc(m * sizeof *s->eng);
        fail |= !s->fit || !s->eng;
    }
    if (with_sql)
        fail |= !(s->sql = malloc(m));
    if (with_date) {
        s->date = malloc(m * sizeof *s->date);
        s->month = malloc(m * sizeof *s->month);
        fail |= !s->date || !s->month;
    }
    if (with_acv)
        fail |= !(s->acv = malloc(m * sizeof *s->acv));
    if (with_cens)
        fail |= !(s->censored = calloc(m, 1));
    if (fail) {
        mql_scored_free(s);
        return NULL;
    }
    return s;
}

/* prob[i] = the map at score[i] for every lead: the Platt map (platt non-NULL) or the model's
 * map. Whole scores over a short span (integer points) read a table of the map at each whole
 * score between the least and the greatest, the same doubles as calling it per lead (the same
 * argument; -0 and +0 give the same value); other scores call it per lead. */
static void fill_probs(mql_scored *s, const mql_platt *platt, const mql_points *m)
{
    enum { SPAN = 4096 };
    size_t n = s->n;
    double lo = INFINITY, hi = -INFINITY;
    int whole = n >= 2 * SPAN;
    for (size_t i = 0; whole && i < n; i++) {
        double x = s->score[i];
        if (!(fabs(x) < 0x1p52) || x != floor(x))
            whole = 0;
        lo = x < lo ? x : lo;
        hi = x > hi ? x : hi;
    }
    double *tab = whole && hi - lo < SPAN ? malloc(SPAN * sizeof *tab) : NULL;
    if (tab) {
        for (size_t k = 0; k <= (size_t)(hi - lo); k++)
            tab[k] = platt ? mql_platt_predict(platt, lo + (double)k)
                           : mql_points_prob(m, lo + (double)k);
        for (size_t i = 0; i < n; i++)
            s->prob[i] = tab[(size_t)(s->score[i] - lo)];
        free(tab);
        return;
    }
    for (size_t i = 0; i < n; i++)
        s->prob[i] = platt ? mql_platt_predict(platt, s->score[i])
                           : mql_points_prob(m, s->score[i]);
}

/* The in-sample Platt map on the rated rows; fills prob for every row. The rated scores are
 * gathered in prob itself, which the map's probabilities then replace (no n-sized scratch). */
static int scored_platt(mql_scored *s, mql_err *err)
{
    double *sc = s->prob;
    unsigned char *yy = malloc(s->n ? s->n : 1);
    if (!yy)
        return oom(err);
    size_t k = 0;
    for (size_t i = 0; i < s->n; i++)
        if (!s->censored || !s->censored[i]) {
            sc[k] = s->score[i];
            yy[k++] = s->y[i] != 0;
        }
    size_t won = 0;
    for (size_t i = 0; i < k; i++)
        won += yy[i];
    /* Without a won and a lost rated lead no map can be fitted: the probabilities are unknown
     * (NAN, no_prob) and every figure built on them reads n/a; the rest is still reported. */
    int st = won == 0 || won == k ? MQL_OK : mql_platt_fit(sc, yy, NULL, k, &s->platt, err);
    free(yy);
    if (st)
        return mql_err_prefix(err, st, "in-sample Platt map for a model without a score map");
    s->prob_platt = 1;
    s->no_prob = won == 0 || won == k;
    if (s->no_prob) {
        s->platt.a = s->platt.b = NAN;
        for (size_t i = 0; i < s->n; i++)
            s->prob[i] = NAN;
        return MQL_OK;
    }
    fill_probs(s, &s->platt, NULL);
    return MQL_OK;
}

static void fill_months(mql_scored *s)
{
    for (size_t i = 0; i < s->n; i++)
        s->month[i] = mql_month_index(s->date[i]);
}

static int apply_censoring(mql_scored *s, long maturity, mql_err *err)
{
    if (maturity <= 0)
        return MQL_OK;
    if (!s->date)
        return mql_err_set(err, MQL_EUSAGE, "--maturity needs a date column (--date)");
    if (!(s->censored = calloc(s->n ? s->n : 1, 1)))
        return oom(err);
    s->maturity_days = maturity;
    return mql_censor_mask(s->date, s->n, maturity, s->censored, &s->n_censored, NULL,
                           &s->end_day, err);
}

/* Open leads (their outcome not known yet) are censored like young ones. */
static int apply_open(mql_scored *s, const unsigned char *open, mql_err *err)
{
    size_t n = s->n, k = 0;
    for (size_t i = 0; open && i < n; i++)
        k += open[i] != 0;
    if (!k)
        return MQL_OK;
    if (!(s->open = malloc(n)) || (!s->censored && !(s->censored = calloc(n, 1))))
        return oom(err);
    s->n_censored = 0;
    for (size_t i = 0; i < n; i++) {
        s->open[i] = open[i] != 0;
        s->censored[i] |= s->open[i];
        s->n_censored += s->censored[i];
    }
    s->n_open = k;
    return MQL_OK;
}

/* v holds n longs (as the scorer wrote them): each becomes its value as a double. */
static void longs_to_doubles(double *v, size_t n)
{
    const unsigned char *p = (const unsigned char *)v;
    for (size_t i = 0; i < n; i++) {
        long x;
        memcpy(&x, p + i * sizeof x, sizeof x);
        v[i] = (double)x;
    }
}

/* The roles mql_scored_new attaches after the scores, in its order: censoring, open leads, the
 * stated months, the probabilities (the model's map, else the in-sample Platt map). */
static int scored_finish(mql_scored *s, const mql_points *m, const mql_eval_roles *r,
                         mql_err *err)
{
    int st;
    if ((st = apply_censoring(s, r->maturity_days, err)) || (st = apply_open(s, r->open, err)))
        return st;
    s->months = r->months;
    if (!m->has_map)
        return scored_platt(s, err);
    if (!s->borrows_prob)
        fill_probs(s, NULL, m);
    return MQL_OK;
}

int mql_scored_new(const mql_points *m, const mql_table *t, const mql_eval_roles *r,
                   mql_scored **out, mql_err *err)
{
    *out = NULL;
    if (!r->y)
        return mql_err_set(err, MQL_EUSAGE, "evaluation needs an outcome (--outcome)");
    if (r->date_col >= 0 && t->cols[r->date_col].type != MQL_COL_DATE)
        return mql_err_set(err, MQL_EDATA, "%s: column '%s' is not a date column", t->source,
                           t->cols[r->date_col].name);
    if (r->acv_col >= 0 && t->cols[r->acv_col].type != MQL_COL_NUMERIC)
        return mql_err_set(err, MQL_EDATA, "%s: column '%s' (ACV) is not numeric", t->source,
                           t->cols[r->acv_col].name);
    mql_scorer *sc = NULL;
    int st = mql_scorer_bind(m, t, &sc, err);
    if (st)
        return st;
    size_t n = t->n_rows, cap = n ? n : 1;
    /* lent columns: the date and acv arrays are the table's (no fresh memory for their copies) */
    int lend = r->lend_columns != 0;
    mql_scored *s = mql_scored_alloc(n, 1, r->sql != NULL, r->date_col >= 0 && !lend,
                                     r->acv_col >= 0 && !lend, 0);
    if (s && lend) {
        s->borrows_columns = 1;
        s->acv = r->acv_col >= 0 ? t->cols[r->acv_col].num : NULL;
        if (r->date_col >= 0) {
            s->date = t->cols[r->date_col].num;
            if (!(s->month = malloc(cap * sizeof *s->month))) {
                mql_scored_free(s);
                s = NULL;
            }
        }
    }
    if (!s) {
        st = oom(err);
        goto fail;
    }
    /* The integer scores land in the arrays of their doubles, each turned into its double in
     * place: no lead-sized array of longs besides (fresh memory costs more than the copy). */
    _Static_assert(sizeof(long) == sizeof(double), "a score's long fits in its double's place");
    if ((st = mql_scorer_score_all(sc, (long *)s->score, (long *)s->fit, (long *)s->eng, err)))
        goto fail;
    longs_to_doubles(s->score, n);
    longs_to_doubles(s->fit, n);
    longs_to_doubles(s->eng, n);
    if (mql_points_has_caps(m)) {
        /* the score before the caps, for the cap cost (turned into doubles in place too) */
        if (!(s->uncapped = malloc(cap * sizeof *s->uncapped))) {
            st = oom(err);
            goto fail;
        }
        if ((st = mql_scorer_cap_stats(sc, (long *)s->uncapped, s->cap_binds, err)))
            goto fail;
        longs_to_doubles(s->uncapped, n);
    }
    s->model = m;
    s->threshold = m->threshold;
    for (size_t i = 0; i < n; i++) {
        s->y[i] = r->y[i] != 0;
        if (s->sql)
            s->sql[i] = r->sql[i] != 0;
        if (s->date && !lend)
            s->date[i] = t->cols[r->date_col].num[i];
        if (s->acv && !lend)
            s->acv[i] = t->cols[r->acv_col].num[i];
    }
    if (s->date)
        fill_months(s);
    if ((st = scored_finish(s, m, r, err)))
        goto fail;
    mql_scorer_free(sc);
    *out = s;
    return MQL_OK;
fail:
    mql_scorer_free(sc);
    mql_scored_free(s);
    return st;
}

int mql_scored_part(const mql_scored *all, const unsigned char *part, unsigned char which,
                    const mql_eval_roles *r, mql_scored **out, mql_err *err)
{
    *out = NULL;
    if (!all->model || !all->fit || all->uncapped || all->borrows)
        return mql_err_set(err, MQL_EUSAGE, "a part of scored leads needs a whole set scored "
                           "by a model without caps");
    size_t n = all->n, k = 0, first = 0, last = 0;
    for (size_t i = 0; i < n; i++)
        if (!part || part[i] == which) {
            first = k ? first : i;
            last = i;
            k++;
        }
    if (k == 0)
        return mql_err_set(err, MQL_EDATA, "no leads in the evaluated part");
    const mql_points *m = all->model;
    mql_scored *s;
    if (last - first + 1 == k) {
        /* one run: the lead arrays are all's at an offset; prob too when a map gives it */
        if (!(s = calloc(1, sizeof *s)))
            return oom(err);
        s->n = k;
        s->end_day = NAN;
        s->borrows = 1;
        s->score = all->score + first;
        s->fit = all->fit + first;
        s->eng = all->eng + first;
        s->y = all->y + first;
        s->sql = all->sql ? all->sql + first : NULL;
        s->date = all->date ? all->date + first : NULL;
        s->month = all->month ? all->month + first : NULL;
        s->acv = all->acv ? all->acv + first : NULL;
        if (m->has_map) {
            s->prob = all->prob + first;
            s->borrows_prob = 1;
        } else if (!(s->prob = malloc(k * sizeof *s->prob))) {
            mql_scored_free(s);
            return oom(err);
        }
    } else {
        if (!(s = mql_scored_alloc(k, 1, all->sql != NULL, all->date != NULL, all->acv != NULL, 0)))
            return oom(err);
        for (size_t i = first, j = 0; i <= last; i++) {
            if (part[i] != which)
                continue;
            s->score[j] = all->score[i];
            s->fit[j] = all->fit[i];
            s->eng[j] = all->eng[i];
            s->y[j] = all->y[i];
            if (s->sql)
                s->sql[j] = all->sql[i];
            if (s->date) {
                s->date[j] = all->date[i];
                s->month[j] = all->month[i];
            }
            if (s->acv)
                s->acv[j] = all->acv[i];
            j++;
        }
    }
    s->model = m;
    s->threshold = m->threshold;
    int st = scored_finish(s, m, r, err);
    if (st) {
        mql_scored_free(s);
        return st;
    }
    *out = s;
    return MQL_OK;
}

int mql_scored_from_arrays(size_t n, const double *score, const double *prob,
                           const unsigned char *y, const unsigned char *sql, const double *date,
                           const double *acv, long threshold, mql_scored **out, mql_err *err)
{
    *out = NULL;
    if (n == 0)
        return mql_err_set(err, MQL_EDATA, "no leads to evaluate");
    mql_scored *s = mql_scored_alloc(n, 0, sql != NULL, date != NULL, acv != NULL, 0);
    if (!s)
        return oom(err);
    s->threshold = threshold;
    memcpy(s->score, score, n * sizeof *score);
    for (size_t i = 0; i < n; i++)
        s->y[i] = y[i] != 0;
    if (sql)
        for (size_t i = 0; i < n; i++)
            s->sql[i] = sql[i] != 0;
    if (date) {
        memcpy(s->date, date, n * sizeof *date);
        fill_months(s);
    }
    if (acv)
        memcpy(s->acv, acv, n * sizeof *acv);
    int st = MQL_OK;
    if (prob)
        memcpy(s->prob, prob, n * sizeof *prob);
    else
        st = scored_platt(s, err);
    if (st) {
        mql_scored_free(s);
        return st;
    }
    *out = s;
    return MQL_OK;
}

/* Copies lead i of s into row j of o, for every array o has (o's optional arrays are a subset of
 * s's); keeps o->n_censored counting. */
void mql_scored_copy_row(mql_scored *o, size_t j, const mql_scored *s, size_t i)
{
    o->score[j] = s->score[i];
    o->prob[j] = s->prob[i];
    o->y[j] = s->y[i];
    if (o->fit) {
        o->fit[j] = s->fit[i];
        o->eng[j] = s->eng[i];
    }
    if (o->sql)
        o->sql[j] = s->sql[i];
    if (o->date) {
        o->date[j] = s->date[i];
        o->month[j] = s->month[i];
    }
    if (o->acv)
        o->acv[j] = s->acv[i];
    if (o->censored) {
        o->censored[j] = s->censored ? s->censored[i] : 0;
        o->n_censored += o->censored[j] != 0;
    }
    if (o->open) {
        o->open[j] = s->open ? s->open[i] : 0;
        o->n_open += o->open[j] != 0;
    }
}

int mql_scored_subset(const mql_scored *s, const unsigned char *mask, mql_scored **out,
                      mql_err *err)
{
    *out = NULL;
    size_t k = 0;
    for (size_t i = 0; i < s->n; i++)
        k += mask[i] != 0;
    if (k == 0)
        return mql_err_set(err, MQL_EDATA, "no leads in the evaluated part");
    mql_scored *o = mql_scored_alloc(k, s->fit != NULL, s->sql != NULL, s->date != NULL,
                                     s->acv != NULL, s->censored != NULL);
    if (!o)
        return oom(err);
    o->threshold = s->threshold;
    o->model = s->model;
    o->maturity_days = s->maturity_days;
    o->end_day = s->end_day;
    o->months = s->months;
    if (s->open && !(o->open = malloc(k))) {
        mql_scored_free(o);
        return oom(err);
    }
    o->platt = s->platt;
    size_t j = 0;
    for (size_t i = 0; i < s->n; i++) {
        if (!mask[i])
            continue;
        mql_scored_copy_row(o, j++, s, i);
    }
    int st = s->prob_platt ? scored_platt(o, err) : MQL_OK;
    if (st) {
        mql_scored_free(o);
        return st;
    }
    *out = o;
    return MQL_OK;
}

mql_bt_input mql_scored_bt_input(const mql_scored *s)
{
    mql_bt_input in = {.n = s->n, .score = s->score, .won = s->y, .sql = s->sql,
                       .month = s->month, .acv = s->acv, .censored = s->censored,
                       .months = s->months};
    return in;
}

/* Copies of the rated rows' score, prob and y (censored dropped). *k is their count. */
int mql_scored_rated_arrays(const mql_scored *s, double **score, double **prob, unsigned char **y,
                            size_t *k, mql_err *err)
{
    size_t cap = s->n ? s->n : 1;
    *score = malloc(cap * sizeof **score);
    *prob = malloc(cap * sizeof **prob);
    *y = malloc(cap);
    if (!*score || !*prob || !*y) {
        free(*score);
        free(*prob);
        free(*y);
        *score = *prob = NULL;
        *y = NULL;
        return oom(err);
    }
    size_t j = 0;
    for (size_t i = 0; i < s->n; i++)
        if (!s->censored || !s->censored[i]) {
            (*score)[j] = s->score[i];
            (*prob)[j] = s->prob[i];
            (*y)[j++] = s->y[i];
        }
    *k = j;
    return MQL_OK;
}

/* ================================================================================================
 * summary
 * ============================================================================================== */

/* The cap cost of a model with caps: AUC and log loss of the uncapped score over the rated
 * leads, probabilities through the same map (the model's, or the in-sample Platt map). */
static int summarize_caps(const mql_scored *s, mql_eval_summary *out, mql_err *err)
{
    out->has_caps = 1;
    memcpy(out->cap_binds, s->cap_binds, sizeof out->cap_binds);
    size_t n = s->n, k = 0;
    double *u = malloc((n ? n : 1) * sizeof *u), *pu = malloc((n ? n : 1) * sizeof *pu);
    unsigned char *y = malloc(n ? n : 1);
    int st = u && pu && y ? MQL_OK : oom(err);
    for (size_t i = 0; st == MQL_OK && i < n; i++) {
        if (s->censored && s->censored[i])
            continue;
        u[k] = s->uncapped[i];
        pu[k] = s->prob_platt ? mql_platt_predict(&s->platt, u[k])
                : s->model    ? mql_points_prob(s->model, u[k])
                              : NAN;
        y[k++] = s->y[i];
    }
    size_t won = 0;
    for (size_t i = 0; i < k; i++)
        won += y[i];
    out->auc_uncapped = out->logloss_uncapped = NAN;   /* n/a on a window without both classes */
    if (st == MQL_OK && won > 0 && won < k)
        st = mql_auc(u, y, NULL, k, &out->auc_uncapped, err);
    if (st == MQL_OK && k && !s->no_prob)
        st = mql_logloss(pu, y, NULL, k, &out->logloss_uncapped, err);
    free(u);
    free(pu);
    free(y);
    return st;
}

int mql_eval_summarize(const mql_scored *s, mql_eval_summary *out, mql_err *err)
{
    memset(out, 0, sizeof *out);
    double *sc, *p;
    unsigned char *y;
    size_t k;
    int st = mql_scored_rated_arrays(s, &sc, &p, &y, &k, err);
    if (st)
        return st;
    out->n = s->n;
    out->n_censored = s->n_censored;
    out->n_rated = k;
    for (size_t i = 0; i < k; i++)
        out->events += y[i];
    out->base_rate = k ? (double)out->events / (double)k : NAN;
    out->prob_platt = s->prob_platt;
    out->threshold = (double)s->threshold;
    out->threshold_prob = s->prob_platt ? mql_platt_predict(&s->platt, out->threshold)
                          : s->model ? mql_points_prob(s->model, out->threshold)
                                     : NAN;
    size_t lost = k - out->events;
    snprintf(out->few_msg, sizeof out->few_msg, "n/a (too few: %zu won, %zu lost)", out->events,
             lost);
    out->auc = (mql_auc_interval){NAN, NAN, NAN, NAN, NAN, NAN, NAN, out->events, lost};
    out->ks = (mql_ks_result){NAN, NAN, NAN, NAN};
    out->brier = out->logloss = NAN;
    out->has_auc = out->events >= 2 && lost >= 2;
    out->few = mql_few_note(out->events, lost, out->few_note, sizeof out->few_note);
    out->has_ks = out->events >= 1 && lost >= 1;
    out->no_prob = s->no_prob;
    if ((out->has_auc && (st = mql_auc_ci(sc, y, k, 0.95, &out->auc, err))) ||
        (out->has_ks && (st = mql_ks(sc, y, NULL, k, &out->ks, err))) ||
        (k && !s->no_prob && (st = mql_brier(p, y, NULL, k, &out->brier, err))) ||
        (k && !s->no_prob && (st = mql_logloss(p, y, NULL, k, &out->logloss, err))))
        goto done;
    if (s->uncapped && (st = summarize_caps(s, out, err)))
        goto done;
    mql_err e2;
    if (s->no_prob || !out->has_ks) {   /* one class: say why rather than quote a NAN */
        snprintf(out->calib_msg, sizeof out->calib_msg, "%s", out->few_msg);
        if (s->no_prob || !k) {
            snprintf(out->hl_msg, sizeof out->hl_msg, "%s", out->few_msg);
            goto done;
        }
    } else if (mql_calibration(p, y, NULL, k, &out->calib, &e2) == MQL_OK) {
        out->has_calib = 1;
    } else {
        snprintf(out->calib_msg, sizeof out->calib_msg, "%.150s", e2.msg);
    }
    if (mql_hosmer_lemeshow(p, y, k, 10, out->hl_groups, &out->hl, &e2) == MQL_OK)
        out->has_hl = 1;
    else
        snprintf(out->hl_msg, sizeof out->hl_msg, "%.150s", e2.msg);
done:
    free(sc);
    free(p);
    free(y);
    return st;
}

static int sum_row(mql_tab *t, const char *metric, double v, const char *fmt, double lo,
                   double hi, const char *note)
{
    return mql_tab_row(t) || mql_tab_add_str(t, metric) || mql_tab_add_num(t, v, fmt) ||
           mql_tab_add_num(t, lo, fmt) || mql_tab_add_num(t, hi, fmt) || mql_tab_add_str(t, note);
}

mql_tab *mql_eval_summary_tab(const mql_eval_summary *m)
{
    static const char *const cols[] = {"metric", "value", "lo", "hi", "note"};
    mql_tab *t = mql_tab_new(5, cols);
    if (!t)
        return NULL;
    char note[256], auc_note[160], gini_note[160];
    /* A figure on too few leads says so beside its usual note. */
    snprintf(auc_note, sizeof auc_note, "DeLong 95%% interval%s%s", m->few ? "; " : "",
             m->few_note);
    snprintf(gini_note, sizeof gini_note, "2 AUC - 1%s%s", m->few ? "; " : "", m->few_note);
    int fail = sum_row(t, "leads", (double)m->n, "%.0f", NAN, NAN, NULL) ||
               sum_row(t, "censored", (double)m->n_censored, "%.0f", NAN, NAN,
                       m->n_censored ? "counted in volume, excluded from rates and metrics"
                                     : NULL) ||
               sum_row(t, "rated leads", (double)m->n_rated, "%.0f", NAN, NAN, NULL) ||
               sum_row(t, "won", (double)m->events, "%.0f", NAN, NAN, NULL) ||
               sum_row(t, "base rate", m->base_rate, "%.4f", NAN, NAN, NULL) ||
               sum_row(t, "AUC", m->auc.auc, "%.4f", m->auc.lo, m->auc.hi,
                       m->has_auc ? auc_note : m->few_msg) ||
               sum_row(t, "Gini", m->auc.gini, "%.4f", m->auc.gini_lo, m->auc.gini_hi,
                       m->has_auc ? gini_note : m->few_msg);
    if (m->has_ks)
        snprintf(note, sizeof note, "at score >= %.10g: TPR %.3f, FPR %.3f", m->ks.threshold,
                 m->ks.tpr, m->ks.fpr);
    else
        snprintf(note, sizeof note, "%s", m->few_msg);
    fail = fail || sum_row(t, "KS", m->ks.ks, "%.4f", NAN, NAN, note);
    const char *pn = m->no_prob || !m->n_rated ? m->few_msg
                     : m->prob_platt          ? MQL_EVAL_PLATT_NOTE
                                              : "probabilities from the model's map";
    fail = fail || sum_row(t, "Brier", m->brier, "%.5f", NAN, NAN, pn) ||
           sum_row(t, "log loss", m->logloss, "%.5f", NAN, NAN, pn);
    if (m->has_calib) {
        char ci[160], cs[160];
        snprintf(ci, sizeof ci, "0 = calibrated in the large%s%s", m->few ? "; " : "",
                 m->few_note);
        snprintf(cs, sizeof cs, "1 = calibrated spread%s%s", m->few ? "; " : "", m->few_note);
        fail = fail ||
               sum_row(t, "calibration intercept", m->calib.citl, "%.4f",
                       m->calib.citl - Z95 * m->calib.citl_se,
                       m->calib.citl + Z95 * m->calib.citl_se, ci) ||
               sum_row(t, "calibration slope", m->calib.slope, "%.4f",
                       m->calib.slope - Z95 * m->calib.slope_se,
                       m->calib.slope + Z95 * m->calib.slope_se, cs);
    } else {
        fail = fail || sum_row(t, "calibration slope", NAN, "%.4f", NAN, NAN, m->calib_msg);
    }
    if (m->has_hl) {
        snprintf(note, sizeof note, "Hosmer-Lemeshow, %zu groups used of %zu, df %d%s%s",
                 m->hl.groups_used, m->hl.groups_asked, m->hl.df, m->few ? "; " : "",
                 m->few_note);
        fail = fail || sum_row(t, "HL chi-square", m->hl.chisq, "%.3f", NAN, NAN, note) ||
               sum_row(t, "HL p", m->hl.p_value, "%.4g", NAN, NAN, NULL);
    } else {
        fail = fail || sum_row(t, "HL chi-square", NAN, "%.3f", NAN, NAN, m->hl_msg);
    }
    if (m->has_caps) {
        static const char *const cn[] = {"leads capped: fit", "leads capped: engagement",
                                         "leads capped: total"};
        for (int k = 0; k < 3; k++)
            fail = fail || sum_row(t, cn[k], (double)m->cap_binds[k], "%.0f", NAN, NAN,
                                   "leads whose points before the cap exceed it");
        fail = fail ||
               sum_row(t, "AUC without caps", m->auc_uncapped, "%.4f", NAN, NAN,
                       "the cap cost: against AUC above") ||
               sum_row(t, "log loss without caps", m->logloss_uncapped, "%.5f", NAN, NAN,
                       "the cap cost: against log loss above");
    }
    if (fail) {
        mql_tab_free(t);
        return NULL;
    }
    return t;
}

/* "6.8%" style: one decimal, or two below 1%. */
static void pct(char *buf, size_t cap, double p)
{
    double v = 100.0 * p;
    snprintf(buf, cap, v < 1.0 ? "%.2f%%" : "%.1f%%", v);
}

int mql_eval_calib_reading(const mql_eval_summary *m, double *stated, double *observed)
{
    *stated = *observed = NAN;
    if (!m->has_calib)
        return -1;
    double p = m->threshold_prob;
    if (!(p > 0 && p < 1))
        p = m->base_rate;
    *stated = p;
    *observed = 1.0 / (1.0 + exp(-(m->calib.slope_a + m->calib.slope * log(p / (1 - p)))));
    return 0;
}

size_t mql_eval_calib_sentence(const mql_eval_summary *m, char *buf, size_t cap)
{
    double p, obs;
    if (mql_eval_calib_reading(m, &p, &obs))
        return (size_t)snprintf(buf, cap, "calibration could not be estimated: %s",
                                m->calib_msg);
    char a[32], b[32];
    pct(a, sizeof a, p);
    pct(b, sizeof b, obs);
    const char *lead = obs < p * 0.95   ? "scores overstate conversion"
                       : obs > p * 1.05 ? "scores understate conversion"
                                        : "scores match conversion";
    const char *spread = m->calib.slope < 0.9   ? "; slope below 1: the scores spread leads too "
                                                  "far apart (typical of an overfitted or "
                                                  "out-of-date model)"
                         : m->calib.slope > 1.1 ? "; slope above 1: the scores separate leads "
                                                  "less than the outcomes do"
                                                : "";
    return (size_t)snprintf(buf, cap, "%s: a lead the model gives %s converts at %s%s%s%s%s",
                            lead, a, b, spread, m->few ? " (" : "", m->few_note,
                            m->few ? ")" : "");
}

/* ================================================================================================
 * recalibration
 * ============================================================================================== */

int mql_eval_recalibrate(const mql_scored *s, mql_points *m, mql_recal_method method,
                         mql_err *err)
{
    double *sc, *p;
    unsigned char *y;
    size_t k;
    int st = mql_scored_rated_arrays(s, &sc, &p, &y, &k, err);
    if (st)
        return st;
    mql_platt pl;
    mql_isotonic *iso = NULL;
    char *name = mql_strdup(method == MQL_RECAL_PLATT ? "platt" : "isotonic");
    double *ix = NULL, *iy = NULL;
    if (!name)
        st = oom(err);
    else if (method == MQL_RECAL_PLATT)
        st = mql_platt_fit(sc, y, NULL, k, &pl, err);
    else if (!(st = mql_isotonic_fit(sc, y, NULL, k, &iso, err))) {
        ix = malloc(iso->k * sizeof *ix);
        iy = malloc(iso->k * sizeof *iy);
        if (!ix || !iy)
            st = oom(err);
        else {
            memcpy(ix, iso->x, iso->k * sizeof *ix);
            memcpy(iy, iso->y, iso->k * sizeof *iy);
        }
    }
    free(sc);
    free(p);
    free(y);
    if (st) {
        free(name);
        free(ix);
        free(iy);
        mql_isotonic_free(iso);
        return st;
    }
    free(m->map_method);
    free(m->iso_x);
    free(m->iso_y);
    m->map_method = name;
    m->has_map = 1;
    if (method == MQL_RECAL_PLATT) {
        m->map_a = pl.a;
        m->map_b = pl.b;
        m->iso_x = m->iso_y = NULL;
        m->n_iso = 0;
    } else {
        /* No logistic map goes with the knots (written as null). */
        m->map_a = m->map_b = NAN;
        m->iso_x = ix;
        m->iso_y = iy;
        m->n_iso = iso->k;
        mql_isotonic_free(iso);
    }
    return mql_points_make_bands(m, err);
}

/* ================================================================================================
 * thresholds
 * ============================================================================================== */

int mql_eval_sweep(const mql_scored *s, const double *thresholds, size_t n_thresholds,
                   mql_bt_sweep **out, mql_err *err)
{
    mql_bt_input in = mql_scored_bt_input(s);
    return mql_bt_sweep_run(&in, thresholds, n_thresholds, out, err);
}

static double thr_prob(const mql_scored *s, double thr)
{
    if (s->prob_platt)
        return mql_platt_predict(&s->platt, thr);
    return s->model ? mql_points_prob(s->model, thr) : NAN;
}

mql_tab *mql_eval_thresholds_tab(const mql_bt_sweep *sw, const mql_scored *s,
                                 const size_t *rows, size_t n_rows)
{
    static const char *const cols[] = {
        "threshold", "prob",     "mqls",   "share",    "mqls_per_month", "censored",
        "sqls",      "sql_rate", "sql_lo", "sql_hi",   "won",            "won_rate",
        "won_lo",    "won_hi",   "recall", "lift",     "f1",             "acv_won",
        "acv_share", "below",    "won_missed"};
    mql_tab *t = mql_tab_new(sizeof cols / sizeof cols[0], cols);
    if (!t)
        return NULL;
    size_t m = rows ? n_rows : sw->n_rows;
    int fail = 0;
    for (size_t k = 0; k < m && !fail; k++) {
        const mql_bt_row *r = &sw->rows[rows ? rows[k] : k];
        int has_sql = sw->totals.has_sql;
        fail = mql_tab_row(t) || mql_tab_add_num(t, r->threshold, "%.10g") ||
               mql_tab_add_num(t, s ? thr_prob(s, r->threshold) : NAN, "%.4f") ||
               mql_tab_add_int(t, (long long)r->mqls) || mql_tab_add_num(t, r->share, "%.4f") ||
               mql_tab_add_num(t, r->mqls_per_month, "%.1f") ||
               mql_tab_add_int(t, (long long)r->censored) ||
               (has_sql ? mql_tab_add_int(t, (long long)r->sqls) : mql_tab_add_str(t, NULL)) ||
               mql_tab_add_num(t, r->sql_rate, "%.4f") || mql_tab_add_num(t, r->sql_lo, "%.4f") ||
               mql_tab_add_num(t, r->sql_hi, "%.4f") || mql_tab_add_int(t, (long long)r->won) ||
               mql_tab_add_num(t, r->won_rate, "%.4f") || mql_tab_add_num(t, r->won_lo, "%.4f") ||
               mql_tab_add_num(t, r->won_hi, "%.4f") || mql_tab_add_num(t, r->recall, "%.4f") ||
               mql_tab_add_num(t, r->lift, "%.2f") || mql_tab_add_num(t, r->f1, "%.4f") ||
               mql_tab_add_num(t, sw->totals.has_acv ? r->acv_won : NAN, "%.0f") ||
               mql_tab_add_num(t, r->acv_share, "%.4f") ||
               mql_tab_add_int(t, (long long)r->below) ||
               mql_tab_add_int(t, (long long)r->won_missed);
    }
    if (fail) {
        mql_tab_free(t);
        return NULL;
    }
    return t;
}

/* ================================================================================================
 * reliability, bands, gains
 * ============================================================================================== */

int mql_eval_score_cuts(const mql_scored *s, size_t n_bands, double **cuts, size_t *n_cuts,
                        mql_err *err)
{
    *cuts = NULL;
    *n_cuts = 0;
    if (n_bands < 2 || n_bands > 1000)
        return mql_err_set(err, MQL_EUSAGE, "--bands: expected 2 to 1000 bands, got %zu",
                           n_bands);
    double *c = malloc((n_bands ? n_bands : 1) * sizeof *c);
    ranked x;
    if (!c || ranked_make(s->score, s->n, &x)) {
        free(c);
        return oom(err);
    }
    size_t m = 0;
    double x0 = ranked_at(&x, 0);
    for (size_t k = 1; k < n_bands; k++) {
        /* Cuts at whole scores (integer points): ceil keeps "score >= cut" a real threshold. */
        double q = ceil(ranked_quantile7(&x, s->n, (double)k / (double)n_bands) - 1e-9);
        if (q > x0 && (m == 0 || q > c[m - 1]))
            c[m++] = q;
    }
    ranked_free(&x);
    *cuts = c;
    *n_cuts = m;
    return MQL_OK;
}

static int rel_tab_rows(mql_tab *t, const mql_rel_bin *b, size_t m, int score_bounds)
{
    int fail = 0;
    for (size_t k = 0; k < m && !fail; k++) {
        fail = mql_tab_row(t) || mql_tab_add_int(t, (long long)k + 1) ||
               mql_tab_add_num(t, b[k].lo, score_bounds ? "%.10g" : "%.4f") ||
               mql_tab_add_num(t, b[k].hi, score_bounds ? "%.10g" : "%.4f") ||
               mql_tab_add_int(t, (long long)b[k].n) || mql_tab_add_num(t, b[k].events, "%.0f") ||
               mql_tab_add_num(t, b[k].mean_pred, "%.4f") || mql_tab_add_num(t, b[k].rate, "%.4f") ||
               mql_tab_add_num(t, b[k].rate_lo, "%.4f") || mql_tab_add_num(t, b[k].rate_hi, "%.4f");
    }
    return fail;
}

int mql_eval_reliability_bands(const mql_scored *s, const double *cuts, size_t n_cuts,
                               mql_tab **out, mql_err *err)
{
    static const char *const cols[] = {"band",      "score_lo", "score_hi",
                                       "leads",     "won",      "predicted",
                                       "observed",  "observed_lo", "observed_hi"};
    *out = NULL;
    double *sc, *p;
    unsigned char *y;
    size_t k;
    int st = mql_scored_rated_arrays(s, &sc, &p, &y, &k, err);
    if (st)
        return st;
    mql_rel_bin *b = malloc((n_cuts + 1) * sizeof *b);
    mql_tab *t = mql_tab_new(9, cols);
    if (!b || !t)
        st = oom(err);
    else if (!(st = mql_reliability_bands(sc, s->no_prob ? NULL : p, y, k, cuts, n_cuts, b,
                                          err))) {
        /* The score bands hold whole points: [lo, hi) reads as lo .. hi - 1 for integer cuts,
         * so the table shows the bounds of the band's leads instead of the open ends. One pass:
         * a lead's band is the number of cuts at or below its score (the cuts increase
         * strictly, mql_reliability_bands checked them); a NAN score is in no band. */
        for (size_t j = 0; j <= n_cuts; j++) {
            b[j].lo = INFINITY;
            b[j].hi = -INFINITY;
        }
        for (size_t i = 0; i < k; i++) {
            double x = sc[i];
            if (isnan(x))
                continue;
            size_t lo = 0, hi = n_cuts;   /* the first cut above x */
            while (lo < hi) {
                size_t mid = lo + (hi - lo) / 2;
                if (cuts[mid] <= x)
                    lo = mid + 1;
                else
                    hi = mid;
            }
            b[lo].lo = x < b[lo].lo ? x : b[lo].lo;
            b[lo].hi = x > b[lo].hi ? x : b[lo].hi;
        }
        for (size_t j = 0; j <= n_cuts; j++)
            if (!(b[j].lo <= b[j].hi))
                b[j].lo = b[j].hi = NAN;
        if (rel_tab_rows(t, b, n_cuts + 1, 1))
            st = oom(err);
    }
    free(b);
    free(sc);
    free(p);
    free(y);
    if (st) {
        mql_tab_free(t);
        return st;
    }
    *out = t;
    return MQL_OK;
}

int mql_eval_reliability_quantile(const mql_scored *s, size_t n_bins, mql_tab **out,
                                  mql_err *err)
{
    static const char *const cols[] = {"bin",      "p_lo",     "p_hi",        "leads",
                                       "won",      "predicted", "observed",   "observed_lo",
                                       "observed_hi"};
    *out = NULL;
    double *sc, *p;
    unsigned char *y;
    size_t k, used = 0;
    int st = mql_scored_rated_arrays(s, &sc, &p, &y, &k, err);
    if (st)
        return st;
    mql_rel_bin *b = malloc((n_bins ? n_bins : 1) * sizeof *b);
    mql_tab *t = mql_tab_new(9, cols);
    if (!b || !t)
        st = oom(err);
    else if (!(st = mql_reliability_quantile(p, y, k, n_bins, b, &used, err)) &&
             rel_tab_rows(t, b, used, 0))
        st = oom(err);
    free(b);
    free(sc);
    free(p);
    free(y);
    if (st) {
        mql_tab_free(t);
        return st;
    }
    *out = t;
    return MQL_OK;
}

int mql_eval_bands(const mql_scored *s, mql_tab **out, mql_err *err)
{
    static const char *const cols[] = {"band", "score_lo", "score_hi", "leads",  "censored",
                                       "won",  "rate",     "rate_lo",  "rate_hi", "predicted"};
    *out = NULL;
    const mql_points *m = s->model;
    if (!m || m->n_bands == 0)
        return mql_err_set(err, MQL_EDATA, "the model has no score bands");
    mql_tab *t = mql_tab_new(10, cols);
    if (!t)
        return oom(err);
    int fail = 0;
    for (size_t b = 0; b < m->n_bands && !fail; b++) {
        const mql_band *bd = &m->bands[b];
        size_t leads = 0, cens = 0, won = 0;
        double psum = 0;
        for (size_t i = 0; i < s->n; i++) {
            long v = (long)s->score[i];
            if ((bd->lo != LONG_MIN && v < bd->lo) || (bd->hi != LONG_MAX && v > bd->hi))
                continue;
            leads++;
            if (s->censored && s->censored[i]) {
                cens++;
                continue;
            }
            won += s->y[i];
            psum += s->prob[i];
        }
        size_t rated = leads - cens;
        double lo = NAN, hi = NAN;
        if (rated)
            mql_wilson((double)won, (double)rated, Z95, &lo, &hi);
        fail = mql_tab_row(t) || mql_tab_add_str(t, bd->name) ||
               mql_tab_add_num(t, bd->lo == LONG_MIN ? NAN : (double)bd->lo, "%.0f") ||
               mql_tab_add_num(t, bd->hi == LONG_MAX ? NAN : (double)bd->hi, "%.0f") ||
               mql_tab_add_int(t, (long long)leads) || mql_tab_add_int(t, (long long)cens) ||
               mql_tab_add_int(t, (long long)won) ||
               mql_tab_add_num(t, rated ? (double)won / (double)rated : NAN, "%.4f") ||
               mql_tab_add_num(t, lo, "%.4f") || mql_tab_add_num(t, hi, "%.4f") ||
               mql_tab_add_num(t, rated ? psum / (double)rated : NAN, "%.4f");
    }
    if (fail) {
        mql_tab_free(t);
        return oom(err);
    }
    *out = t;
    return MQL_OK;
}

int mql_eval_gains(const mql_scored *s, mql_tab **out, mql_err *err)
{
    static const char *const cols[] = {"decile",  "score_min", "score_max", "leads",
                                       "won",     "rate",      "cum_leads", "cum_won",
                                       "capture", "lift",      "cum_lift"};
    *out = NULL;
    double *sc, *p;
    unsigned char *y;
    size_t k, nr = 0;
    int st = mql_scored_rated_arrays(s, &sc, &p, &y, &k, err);
    if (st)
        return st;
    mql_gains_row g[10];
    mql_tab *t = NULL;
    size_t won = 0;
    for (size_t i = 0; i < k; i++)
        won += y[i];
    if (!won) {   /* no won rated lead: capture and lift are n/a; the table has no row */
        if (!(t = mql_tab_new(11, cols)))
            st = oom(err);
    } else if (!(st = mql_gains_table(sc, y, k, g, &nr, err))) {
        if (!(t = mql_tab_new(11, cols)))
            st = oom(err);
        for (size_t j = 0; !st && j < nr; j++)
            if (mql_tab_row(t) || mql_tab_add_int(t, (long long)j + 1) ||
                mql_tab_add_num(t, g[j].min_score, "%.10g") ||
                mql_tab_add_num(t, g[j].max_score, "%.10g") ||
                mql_tab_add_int(t, (long long)g[j].leads) ||
                mql_tab_add_int(t, (long long)g[j].events) ||
                mql_tab_add_num(t, g[j].rate, "%.4f") ||
                mql_tab_add_int(t, (long long)g[j].cum_leads) ||
                mql_tab_add_int(t, (long long)g[j].cum_events) ||
                mql_tab_add_num(t, g[j].cum_share_events, "%.4f") ||
                mql_tab_add_num(t, g[j].lift, "%.2f") || mql_tab_add_num(t, g[j].cum_lift, "%.2f"))
                st = oom(err);
    }
    free(sc);
    free(p);
    free(y);
    if (st) {
        mql_tab_free(t);
        return st;
    }
    *out = t;
    return MQL_OK;
}

/* ================================================================================================
 * PSI
 * ============================================================================================== */

long mql_scored_quarter(const mql_scored *s, size_t i)
{
    /* The month the set holds beside the date (mql_scored.month) gives it by a division, where
     * the date would need the calendar. */
    return s->month ? mql_quarter_of_month(s->month[i]) : mql_quarter_index(s->date[i]);
}

int mql_eval_psi_compute(const mql_scored *s, mql_eval_psi *out, mql_err *err)
{
    memset(out, 0, sizeof *out);
    long q0 = LONG_MAX, q1 = LONG_MIN;
    if (s->date)
        for (size_t i = 0; i < s->n; i++) {
            long q = mql_scored_quarter(s, i);
            if (q == LONG_MIN)
                continue;
            q0 = q < q0 ? q : q0;
            q1 = q > q1 ? q : q1;
        }
    /* the two periods' scores in arrays of their own sizes (counted first: fresh memory costs
     * more than a second look at the dates) */
    int by_quarter = q0 != LONG_MAX && q1 > q0;
    size_t mb = s->n / 2, mc = s->n - s->n / 2;
    if (by_quarter) {
        mb = mc = 0;
        for (size_t i = 0; i < s->n; i++) {
            long q = mql_scored_quarter(s, i);
            mb += q == q0;
            mc += q == q1;
        }
    }
    double *base = malloc((mb ? mb : 1) * sizeof *base);
    double *cur = malloc((mc ? mc : 1) * sizeof *cur);
    if (!base || !cur) {
        free(base);
        free(cur);
        return oom(err);
    }
    size_t nb = 0, nc = 0;
    if (by_quarter) {
        out->by_quarter = 1;
        mql_quarter_label(q0, out->base_label, sizeof out->base_label);
        mql_quarter_label(q1, out->cur_label, sizeof out->cur_label);
        for (size_t i = 0; i < s->n; i++) {
            long q = mql_scored_quarter(s, i);
            if (q == q0)
                base[nb++] = s->score[i];
            else if (q == q1)
                cur[nc++] = s->score[i];
        }
    } else {
        size_t h = s->n / 2;
        snprintf(out->base_label, sizeof out->base_label, "rows 1-%zu", h);
        snprintf(out->cur_label, sizeof out->cur_label, "rows %zu-%zu", h + 1, s->n);
        for (size_t i = 0; i < s->n; i++) {
            if (i < h)
                base[nb++] = s->score[i];
            else
                cur[nc++] = s->score[i];
        }
    }
    out->n_base = nb;
    out->n_cur = nc;
    int st = mql_psi_compute(base, nb, cur, nc, NULL, 0, out->bins, &out->psi, err);
    free(base);
    free(cur);
    return st;
}

mql_tab *mql_eval_psi_tab(const mql_eval_psi *p)
{
    static const char *const cols[] = {"bin",        "score_lo",  "score_hi",
                                       "base_leads", "cur_leads", "base_share",
                                       "cur_share",  "term"};
    mql_tab *t = mql_tab_new(8, cols);
    if (!t)
        return NULL;
    int fail = 0;
    for (size_t k = 0; k < p->psi.n_bins && !fail; k++) {
        const mql_psi_bin *b = &p->bins[k];
        fail = mql_tab_row(t) || mql_tab_add_int(t, (long long)k + 1) ||
               mql_tab_add_num(t, isfinite(b->lo) ? b->lo : NAN, "%.10g") ||
               mql_tab_add_num(t, isfinite(b->hi) ? b->hi : NAN, "%.10g") ||
               mql_tab_add_int(t, (long long)b->n_base) ||
               mql_tab_add_int(t, (long long)b->n_cur) ||
               mql_tab_add_num(t, b->share_base, "%.4f") ||
               mql_tab_add_num(t, b->share_cur, "%.4f") || mql_tab_add_num(t, b->term, "%.5f");
    }
    if (fail) {
        mql_tab_free(t);
        return NULL;
    }
    return t;
}

/* ================================================================================================
 * histogram and grades
 * ============================================================================================== */

int mql_eval_histogram(const mql_scored *s, size_t n_bins, mql_tab **out, mql_err *err)
{
    static const char *const cols[] = {"bin_lo", "bin_hi", "won", "lost", "won_share",
                                       "lost_share"};
    *out = NULL;
    if (n_bins == 0 || n_bins > 1000)
        return mql_err_set(err, MQL_EUSAGE, "histogram: 1 to 1000 bins, not %zu", n_bins);
    double lo = INFINITY, hi = -INFINITY;
    size_t won = 0, lost = 0;
    for (size_t i = 0; i < s->n; i++) {
        if (s->censored && s->censored[i])
            continue;
        lo = s->score[i] < lo ? s->score[i] : lo;
        hi = s->score[i] > hi ? s->score[i] : hi;
        if (s->y[i])
            won++;
        else
            lost++;
    }
    if (!(lo <= hi)) {   /* no rated lead (every one censored): a table without rows */
        *out = mql_tab_new(6, cols);
        return *out ? MQL_OK : oom(err);
    }
    /* Whole-point bins: width = ceil(range / n_bins), at least 1, starting at floor(lo). */
    double start = floor(lo), width = ceil((hi - start + 1) / (double)n_bins);
    if (width < 1)
        width = 1;
    size_t m = (size_t)((hi - start) / width) + 1;
    size_t *cw = calloc(m, sizeof *cw), *cl = calloc(m, sizeof *cl);
    mql_tab *t = mql_tab_new(6, cols);
    if (!cw || !cl || !t) {
        free(cw);
        free(cl);
        mql_tab_free(t);
        return oom(err);
    }
    for (size_t i = 0; i < s->n; i++) {
        if (s->censored && s->censored[i])
            continue;
        size_t b = (size_t)((s->score[i] - start) / width);
        if (b >= m)
            b = m - 1;
        if (s->y[i])
            cw[b]++;
        else
            cl[b]++;
    }
    int fail = 0;
    for (size_t b = 0; b < m && !fail; b++) {
        double a = start + (double)b * width;
        fail = mql_tab_row(t) || mql_tab_add_num(t, a, "%.10g") ||
               mql_tab_add_num(t, a + width, "%.10g") || mql_tab_add_int(t, (long long)cw[b]) ||
               mql_tab_add_int(t, (long long)cl[b]) ||
               mql_tab_add_num(t, won ? (double)cw[b] / (double)won : NAN, "%.4f") ||
               mql_tab_add_num(t, lost ? (double)cl[b] / (double)lost : NAN, "%.4f");
    }
    free(cw);
    free(cl);
    if (fail) {
        mql_tab_free(t);
        return oom(err);
    }
    *out = t;
    return MQL_OK;
}

/* Grade 0 (top) .. 3 of v by the quartiles q[0] <= q[1] <= q[2]. */
static int quart_grade(double v, const double *q)
{
    return v >= q[2] ? 0 : v >= q[1] ? 1 : v >= q[0] ? 2 : 3;
}

static int quartiles(const double *v, size_t n, double *q, mql_err *err)
{
    ranked x;
    if (ranked_make(v, n, &x))
        return oom(err);
    for (int k = 0; k < 3; k++)
        q[k] = ranked_quantile7(&x, n, 0.25 * (k + 1));
    ranked_free(&x);
    return MQL_OK;
}

int mql_eval_grades(const mql_scored *s, mql_tab **out, mql_err *err)
{
    static const char *const cols[] = {"grade", "fit_grade", "engagement", "leads",
                                       "won",   "rate",      "rate_lo",    "rate_hi"};
    *out = NULL;
    if (!s->fit || !s->eng)
        return mql_err_set(err, MQL_EDATA, "grades need the fit and engagement sub-scores");
    double qf[3], qe[3];
    int st;
    if ((st = quartiles(s->fit, s->n, qf, err)) || (st = quartiles(s->eng, s->n, qe, err)))
        return st;
    size_t leads[16] = {0}, rated[16] = {0}, won[16] = {0};
    for (size_t i = 0; i < s->n; i++) {
        int c = quart_grade(s->fit[i], qf) * 4 + quart_grade(s->eng[i], qe);
        leads[c]++;
        if (!s->censored || !s->censored[i]) {
            rated[c]++;
            won[c] += s->y[i];
        }
    }
    mql_tab *t = mql_tab_new(8, cols);
    if (!t)
        return oom(err);
    int fail = 0;
    for (int c = 0; c < 16 && !fail; c++) {
        char g[4] = {(char)('A' + c / 4), (char)('1' + c % 4), 0, 0}, fg[2] = {g[0], 0};
        double lo = NAN, hi = NAN;
        if (rated[c])
            mql_wilson((double)won[c], (double)rated[c], Z95, &lo, &hi);
        fail = mql_tab_row(t) || mql_tab_add_str(t, g) || mql_tab_add_str(t, fg) ||
               mql_tab_add_int(t, c % 4 + 1) || mql_tab_add_int(t, (long long)leads[c]) ||
               mql_tab_add_int(t, (long long)won[c]) ||
               mql_tab_add_num(t, rated[c] ? (double)won[c] / (double)rated[c] : NAN, "%.4f") ||
               mql_tab_add_num(t, lo, "%.4f") || mql_tab_add_num(t, hi, "%.4f");
    }
    if (fail) {
        mql_tab_free(t);
        return oom(err);
    }
    *out = t;
    return MQL_OK;
}

