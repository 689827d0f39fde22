/* backtest.c: threshold sweeps (one radix sort, one linear pass), recommendations under a
 * capacity / rate / volume constraint, two-cut banding, and the time helpers of `mqlcal backtest`. */
#include "mqlcal/backtest.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>
#include "mqlcal/funnel.h"
#include "mqlcal/metrics.h"

#define Z95 1.959963984540054

/* ================================================================================================
 * Validation and totals
 * ============================================================================================== */

/* Checks the input and fills the whole-data totals shared by the sweep and the banding. */
static int totals_compute(const mql_bt_input *in, mql_bt_totals *t, mql_err *err)
{
    memset(t, 0, sizeof *t);
    if (!in || in->n == 0)
        return mql_err_set(err, MQL_EDATA, "backtest: no leads");
    if (!in->score || !in->won)
        return mql_err_set(err, MQL_EDATA, "backtest: scores and outcomes are required");
    size_t n = in->n;
    t->n = n;
    t->has_sql = in->sql != NULL;
    t->has_acv = in->acv != NULL;
    t->first_month = LONG_MAX;
    t->last_month = LONG_MIN;
    for (size_t i = 0; i < n; i++) {
        if (!isfinite(in->score[i]))
            return mql_err_set(err, MQL_EDATA, "backtest: lead %zu: score %g is not finite", i + 1,
                               in->score[i]);
        if (in->month) {
            long m = in->month[i];
            if (m == MQL_NO_MONTH) {
                t->n_no_month++;
            } else {
                if (m < t->first_month)
                    t->first_month = m;
                if (m > t->last_month)
                    t->last_month = m;
            }
        }
        if (in->censored && in->censored[i]) {
            t->n_censored++;
            continue;
        }
        if (in->sql && in->sql[i])
            t->sqls++;
        if (in->won[i]) {
            t->won++;
            if (in->acv && isfinite(in->acv[i]))
                t->acv_won += in->acv[i];
            else
                t->won_without_acv++;
        }
    }
    t->n_rated = n - t->n_censored;
    /* No won lead: every rate is 0, and recall, lift and the won share are n/a (NAN). No rated
     * lead (all censored: a window younger than the maturity): every rate is n/a too. */
    t->base_won_rate = t->n_rated ? (double)t->won / (double)t->n_rated : NAN;
    t->base_sql_rate = t->has_sql && t->n_rated ? (double)t->sqls / (double)t->n_rated : NAN;
    if (in->month && t->first_month <= t->last_month) {
        t->has_months = 1;
        t->n_months = (size_t)(t->last_month - t->first_month) + 1;
    } else if (!in->month && in->months) {
        t->has_months = 1;
        t->n_months = in->months;
        t->first_month = t->last_month = MQL_NO_MONTH;
    } else {
        t->first_month = t->last_month = MQL_NO_MONTH;
    }
    return MQL_OK;
}

/* A rate k / n with its Wilson interval; all NAN when n == 0 or the stage is absent. */
static void rate_ci(int present, size_t k, size_t n, double *rate, double *lo, double *hi)
{
    if (!present || n == 0) {
        *rate = *lo = *hi = NAN;
        return;
    }
    *rate = (double)k / (double)n;
    mql_wilson((double)k, (double)n, Z95, lo, hi);
}

/* ================================================================================================
 * Sorting: a stable LSD radix sort of the scores, descending
 * ============================================================================================== */

typedef struct sort_item {
    uint64_t key;             /* ascending key order = descending score order */
    size_t idx;
} sort_item;

/* Maps a finite double to a key whose unsigned order is the reverse of the numeric order.
 * -0.0 becomes 0.0 first, so the two zeros tie. */
static uint64_t desc_key(double x)
{
    if (x == 0)
        x = 0.0;
    uint64_t b;
    memcpy(&b, &x, sizeof b);
    b = (b & UINT64_C(0x8000000000000000)) ? ~b : b ^ UINT64_C(0x8000000000000000);
    return ~b;
}

#define RADIX_BITS 11
#define RADIX_SIZE (1u << RADIX_BITS)
#define RADIX_PASSES 6        /* ceil(64 / 11) */

/* Sorts items by key, stably, with one histogram pass and up to six scatter passes; a pass whose
 * digit is the same for every key (common: integer points leave the low mantissa bits zero) is
 * skipped. tmp has n entries. Returns the array holding the result (items or tmp). */
static sort_item *radix_sort(sort_item *items, sort_item *tmp, size_t n)
{
    static const unsigned shifts[RADIX_PASSES] = {0, 11, 22, 33, 44, 55};
    size_t (*hist)[RADIX_SIZE] = calloc(RADIX_PASSES, sizeof *hist);
    if (!hist)
        return NULL;
    for (size_t i = 0; i < n; i++)
        for (int p = 0; p < RADIX_PASSES; p++)
            hist[p][(items[i].key >> shifts[p]) & (RADIX_SIZE - 1)]++;
    sort_item *src = items, *dst = tmp;
    for (int p = 0; p < RADIX_PASSES; p++) {
        size_t *h = hist[p];
        if (h[(src[0].key >> shifts[p]) & (RADIX_SIZE - 1)] == n)
            continue;
        size_t sum = 0;
        for (size_t b = 0; b < RADIX_SIZE; b++) {
            size_t c = h[b];
            h[b] = sum;
            sum += c;
        }
        for (size_t i = 0; i < n; i++)
            dst[h[(src[i].key >> shifts[p]) & (RADIX_SIZE - 1)]++] = src[i];
        sort_item *s = src;
        src = dst;
        dst = s;
    }
    free(hist);
    return src;
}

/* The order radix_sort gives the leads (score descending, ties in input order), for whole
 * scores over a short span (integer points), by counting the leads per score instead: out (n
 * entries) holds every lead's key and index in that order. Returns out, or NULL when the scores
 * are not such or the counts find no memory (radix_sort then). */
static sort_item *count_sort(const double *score, size_t n, sort_item *out)
{
    double lo = INFINITY, hi = -INFINITY;
    for (size_t i = 0; i < n; i++) {
        double x = score[i];
        if (!(fabs(x) < 0x1p52) || x != floor(x))
            return NULL;
        lo = x < lo ? x : lo;
        hi = x > hi ? x : hi;
    }
    if (n == 0 || hi - lo + 1 > 2.0 * (double)n + 65536.0 || hi - lo + 1 > 16777216.0)
        return NULL;
    size_t m = (size_t)(hi - lo) + 1;
    size_t *at = calloc(m, sizeof *at);   /* at[k]: leads of score hi - k, then where they go */
    if (!at)
        return NULL;
    for (size_t i = 0; i < n; i++)
        at[(size_t)(hi - score[i])]++;
    for (size_t k = 0, sum = 0; k < m; k++) {
        size_t c = at[k];
        at[k] = sum;
        sum += c;
    }
    for (size_t i = 0; i < n; i++)
        out[at[(size_t)(hi - score[i])]++] = (sort_item){desc_key(score[i]), i};
    free(at);
    return out;
}

/* ================================================================================================
 * Sweep
 * ============================================================================================== */

/* Running counts over the leads passed so far (all with score >= the current threshold). */
typedef struct acc {
    size_t mqls, censored, sqls, won;
    double acv_won;
} acc;

static void acc_add(acc *a, const mql_bt_input *in, size_t i)
{
    a->mqls++;
    if (in->censored && in->censored[i]) {
        a->censored++;
        return;
    }
    if (in->sql && in->sql[i])
        a->sqls++;
    if (in->won[i]) {
        a->won++;
        if (in->acv && isfinite(in->acv[i]))
            a->acv_won += in->acv[i];
    }
}

static void row_fill(mql_bt_row *r, double threshold, const acc *a, const mql_bt_totals *t)
{
    r->threshold = threshold;
    r->mqls = a->mqls;
    r->share = (double)a->mqls / (double)t->n;
    r->mqls_per_month = t->has_months ? (double)a->mqls / (double)t->n_months : NAN;
    r->censored = a->censored;
    r->rated = a->mqls - a->censored;
    r->sqls = a->sqls;
    r->won = a->won;
    rate_ci(t->has_sql, a->sqls, r->rated, &r->sql_rate, &r->sql_lo, &r->sql_hi);
    rate_ci(1, a->won, r->rated, &r->won_rate, &r->won_lo, &r->won_hi);
    r->recall = t->won ? (double)a->won / (double)t->won : NAN;
    r->lift = t->won ? r->won_rate / t->base_won_rate : NAN;
    r->precision = r->won_rate;
    r->f1 = r->rated + t->won ? 2.0 * (double)a->won / (double)(r->rated + t->won) : NAN;
    r->acv_won = a->acv_won;
    r->acv_share = t->acv_won > 0 ? a->acv_won / t->acv_won : NAN;
    r->below = t->n - a->mqls;
    r->won_missed = t->won - a->won;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

void mql_bt_sweep_free(mql_bt_sweep *s)
{
    if (!s)
        return;
    free(s->rows);
    free(s);
}

int mql_bt_sweep_run(const mql_bt_input *in, const double *thresholds, size_t n_thresholds,
                     mql_bt_sweep **out, mql_err *err)
{
    *out = NULL;
    mql_bt_totals tot;
    int rc = totals_compute(in, &tot, err);
    if (rc)
        return rc;
    if (thresholds && n_thresholds == 0)
        return mql_err_set(err, MQL_EUSAGE, "--thresholds: no threshold given");
    for (size_t j = 0; thresholds && j < n_thresholds; j++)
        if (!isfinite(thresholds[j]))
            return mql_err_set(err, MQL_EUSAGE, "--thresholds: threshold %g is not finite",
                               thresholds[j]);
    size_t n = in->n;
    mql_bt_sweep *s = calloc(1, sizeof *s);
    sort_item *items = malloc(n * sizeof *items), *tmp = NULL;
    double *thr = NULL;
    if (!s || !items)
        goto nomem;
    s->totals = tot;
    sort_item *sorted = count_sort(in->score, n, items);
    if (!sorted) {
        if (!(tmp = malloc(n * sizeof *tmp)))
            goto nomem;
        for (size_t i = 0; i < n; i++) {
            items[i].key = desc_key(in->score[i]);
            items[i].idx = i;
        }
        if (!(sorted = radix_sort(items, tmp, n)))
            goto nomem;
    }

    acc a = {0};
    if (!thresholds) {
        size_t m = 1;
        for (size_t i = 1; i < n; i++)
            m += sorted[i].key != sorted[i - 1].key;
        if (!(s->rows = malloc(m * sizeof *s->rows)))
            goto nomem;
        s->n_rows = m;
        /* Highest score first; each tie group ends in one row, written from the back so rows
         * come out in increasing threshold order. */
        size_t j = m;
        for (size_t i = 0; i < n; i++) {
            acc_add(&a, in, sorted[i].idx);
            if (i + 1 == n || sorted[i + 1].key != sorted[i].key) {
                double t = in->score[sorted[i].idx];
                row_fill(&s->rows[--j], t == 0 ? 0.0 : t, &a, &tot);
            }
        }
    } else {
        if (!(thr = malloc(n_thresholds * sizeof *thr)))
            goto nomem;
        memcpy(thr, thresholds, n_thresholds * sizeof *thr);
        qsort(thr, n_thresholds, sizeof *thr, cmp_double);
        size_t m = 0;
        for (size_t j = 0; j < n_thresholds; j++)
            if (m == 0 || thr[j] != thr[m - 1])
                thr[m++] = thr[j] == 0 ? 0.0 : thr[j];
        if (!(s->rows = malloc(m * sizeof *s->rows)))
            goto nomem;
        s->n_rows = m;
        size_t i = 0;
        for (size_t j = m; j-- > 0;) {
            uint64_t kt = desc_key(thr[j]);
            while (i < n && sorted[i].key <= kt)     /* score >= threshold */
                acc_add(&a, in, sorted[i++].idx);
            row_fill(&s->rows[j], thr[j], &a, &tot);
        }
    }
    free(thr);
    free(items);
    free(tmp);
    *out = s;
    return MQL_OK;
nomem:
    free(thr);
    free(items);
    free(tmp);
    mql_bt_sweep_free(s);
    return mql_err_set(err, MQL_ENOMEM, "backtest: out of memory for %zu leads", n);
}

/* ================================================================================================
 * --thresholds parser
 * ============================================================================================== */

#define MAX_THRESHOLDS 100000

/* Decimals written after the point in a plain decimal number, or -1 with an exponent. */
static int decimals_of(const char *s)
{
    if (strchr(s, 'e') || strchr(s, 'E'))
        return -1;
    const char *dot = strchr(s, '.');
    if (!dot)
        return 0;
    int d = 0;
    for (const char *p = dot + 1; *p >= '0' && *p <= '9'; p++)
        d++;
    return d;
}

static int parse_part(const char *spec, const char *part, size_t len, const char *opt, double *v,
                      int *decimals, mql_err *err)
{
    char *text = mql_strndup(part, len);
    if (!text)
        return mql_err_set(err, MQL_ENOMEM, "%s: out of memory", opt);
    int bad = mql_parse_double(text, v) != 0;
    if (bad)
        mql_err_set(err, MQL_EUSAGE, "%s: '%s' in '%s' is not a number", opt, text, spec);
    else if (decimals)
        *decimals = decimals_of(text);
    free(text);
    return bad ? MQL_EUSAGE : MQL_OK;
}

int mql_thresholds_parse(const char *spec, const char *opt, double **out, size_t *n_out,
                         mql_err *err)
{
    *out = NULL;
    *n_out = 0;
    if (!opt)
        opt = "--thresholds";
    if (!spec || !*spec)
        return mql_err_set(err, MQL_EUSAGE, "%s: empty value", opt);
    const char *c1 = strchr(spec, ':');
    if (c1) {
        const char *c2 = strchr(c1 + 1, ':');
        if (!c2 || strchr(c2 + 1, ':'))
            return mql_err_set(err, MQL_EUSAGE, "%s: '%s' is not of the form start:end:step", opt,
                               spec);
        double a, b, step;
        int da, ds, rc;
        if ((rc = parse_part(spec, spec, (size_t)(c1 - spec), opt, &a, &da, err)) ||
            (rc = parse_part(spec, c1 + 1, (size_t)(c2 - c1 - 1), opt, &b, NULL, err)) ||
            (rc = parse_part(spec, c2 + 1, strlen(c2 + 1), opt, &step, &ds, err)))
            return rc;
        if (!(step > 0))
            return mql_err_set(err, MQL_EUSAGE, "%s: step must be > 0 in '%s' (got %g)", opt, spec,
                               step);
        if (a > b)
            return mql_err_set(err, MQL_EUSAGE, "%s: start %g is above end %g in '%s'", opt, a, b,
                               spec);
        double span = (b - a) / step;
        if (!(span < MAX_THRESHOLDS))
            return mql_err_set(err, MQL_EUSAGE, "%s: '%s' gives more than %d thresholds", opt,
                               spec, MAX_THRESHOLDS);
        size_t m = (size_t)floor(span + 1e-9) + 1;
        double *v = malloc(m * sizeof *v);
        if (!v)
            return mql_err_set(err, MQL_ENOMEM, "%s: out of memory", opt);
        int dec = (da < 0 || ds < 0) ? -1 : (da > ds ? da : ds);
        for (size_t i = 0; i < m; i++) {
            v[i] = a + (double)i * step;
            if (dec >= 0 && dec <= 15) {
                /* Back to the decimal the user meant: 0.1 + 2 * 0.1 -> "0.300" -> 0.3. */
                char buf[64];
                snprintf(buf, sizeof buf, "%.*f", dec, v[i]);
                v[i] = strtod(buf, NULL);
            }
        }
        *out = v;
        *n_out = m;
        return MQL_OK;
    }
    size_t m = 1;
    for (const char *p = spec; *p; p++)
        m += *p == ',';
    if (m > MAX_THRESHOLDS)
        return mql_err_set(err, MQL_EUSAGE, "%s: more than %d thresholds", opt, MAX_THRESHOLDS);
    double *v = malloc(m * sizeof *v);
    if (!v)
        return mql_err_set(err, MQL_ENOMEM, "%s: out of memory", opt);
    const char *p = spec;
    for (size_t i = 0; i < m; i++) {
        const char *e = strchr(p, ',');
        size_t len = e ? (size_t)(e - p) : strlen(p);
        int rc = parse_part(spec, p, len, opt, &v[i], NULL, err);
        if (rc) {
            free(v);
            return rc;
        }
        p += len + 1;
    }
    *out = v;
    *n_out = m;
    return MQL_OK;
}

/* ================================================================================================
 * Recommendation
 * ============================================================================================== */

static const char *rate_name(mql_bt_rate_kind k)
{
    return k == MQL_RATE_SQL ? "MQL-to-SQL" : "MQL-to-won";
}

/* The rate (or its Wilson lower bound) a MIN_RATE constraint compares; NAN when absent. */
static double row_rate(const mql_bt_row *r, const mql_bt_constraint *c)
{
    if (c->rate == MQL_RATE_SQL)
        return c->use_lower_bound ? r->sql_lo : r->sql_rate;
    return c->use_lower_bound ? r->won_lo : r->won_rate;
}

int mql_bt_recommend(const mql_bt_sweep *s, const mql_bt_constraint *c, mql_bt_rec *out,
                     mql_err *err)
{
    memset(out, 0, sizeof *out);
    if (!s || s->n_rows == 0)
        return mql_err_set(err, MQL_EDATA, "recommendation: the sweep has no thresholds");
    const mql_bt_row *rows = s->rows;
    size_t m = s->n_rows;
    double v = c->value;
    switch (c->goal) {
    case MQL_GOAL_CAPACITY:
    case MQL_GOAL_TARGET_VOLUME: {
        const char *what = c->goal == MQL_GOAL_CAPACITY ? "capacity" : "target volume";
        if (!isfinite(v) || !(v > 0))
            return mql_err_set(err, MQL_EUSAGE, "%s: %g MQLs/month must be a number > 0", what,
                               v);
        if (!s->totals.has_months)
            return mql_err_set(err, MQL_EDATA,
                               "%s: MQLs per month need a date column (--date)", what);
        /* Volume never rises with the threshold, so the first row (from the loosest) within v
         * is the lowest threshold within v. */
        size_t j = 0;
        while (j < m && rows[j].mqls_per_month > v)
            j++;
        if (j == m) {
            out->status = MQL_REC_OVER;
            out->index = m - 1;
            out->achieved = rows[m - 1].mqls_per_month;
            out->shortfall = out->achieved - v;
            return MQL_OK;
        }
        out->index = j;
        out->achieved = rows[j].mqls_per_month;
        if (c->goal == MQL_GOAL_TARGET_VOLUME) {
            if (j > 0) {
                out->has_above = 1;
                out->above = j - 1;
            } else if (rows[0].mqls_per_month < v) {
                out->status = MQL_REC_SHORT_VOLUME;
                out->shortfall = v - rows[0].mqls_per_month;
                return MQL_OK;
            }
        }
        out->status = MQL_REC_MET;
        return MQL_OK;
    }
    case MQL_GOAL_MIN_RATE: {
        if (!isfinite(v) || !(v > 0) || v > 1)
            return mql_err_set(err, MQL_EUSAGE, "minimum %s rate: %g is not in (0, 1]",
                               rate_name(c->rate), v);
        if (c->rate == MQL_RATE_SQL && !s->totals.has_sql)
            return mql_err_set(err, MQL_EDATA,
                               "minimum MQL-to-SQL rate: needs an SQL stage column (--sql)");
        size_t best = m;
        for (size_t j = 0; j < m; j++) {
            double r = row_rate(&rows[j], c);
            if (isnan(r))
                continue;
            if (r >= v) {
                out->status = MQL_REC_MET;
                out->index = j;
                out->achieved = r;
                return MQL_OK;
            }
            if (best == m || r >= row_rate(&rows[best], c))
                best = j;
        }
        if (best == m)
            return mql_err_set(err, MQL_EDATA,
                               "minimum %s rate: no threshold has a matured MQL to rate",
                               rate_name(c->rate));
        out->status = MQL_REC_SHORT_RATE;
        out->index = best;
        out->achieved = row_rate(&rows[best], c);
        out->shortfall = 100.0 * (v - out->achieved);
        return MQL_OK;
    }
    }
    return mql_err_set(err, MQL_EUSAGE, "recommendation: unknown constraint %d", (int)c->goal);
}

/* Shortest text that reads back as x (thresholds must be shown exactly: 0.35 not 0.350000). */
static void fmt_exact(double x, char *buf, size_t cap)
{
    if (x == floor(x) && fabs(x) < 1e15) {   /* points: "80", never "8e+01" */
        snprintf(buf, cap, "%.0f", x == 0 ? 0.0 : x);
        return;
    }
    for (int p = 1; p <= 17; p++) {
        snprintf(buf, cap, "%.*g", p, x);
        if (strtod(buf, NULL) == x)
            return;
    }
}

/* x with at most `dec` decimals, trailing zeros and point dropped: 212.0 -> "212". */
static void fmt_trim(double x, int dec, char *buf, size_t cap)
{
    snprintf(buf, cap, "%.*f", dec, x);
    if (strchr(buf, '.')) {
        size_t len = strlen(buf);
        while (len > 0 && buf[len - 1] == '0')
            buf[--len] = '\0';
        if (len > 0 && buf[len - 1] == '.')
            buf[--len] = '\0';
    }
    if (strcmp(buf, "-0") == 0)
        snprintf(buf, cap, "0");
}

size_t mql_bt_rec_sentence(const mql_bt_sweep *s, const mql_bt_constraint *c,
                           const mql_bt_rec *r, char *buf, size_t cap)
{
    char thr[40], vol[40], lim[40], gap[40], thr2[40], vol2[40];
    const mql_bt_row *row = &s->rows[r->index];
    int len = 0;
    fmt_exact(row->threshold, thr, sizeof thr);
    fmt_trim(row->mqls_per_month, 2, vol, sizeof vol);
    if (c->goal == MQL_GOAL_MIN_RATE)
        fmt_trim(100.0 * c->value, 2, lim, sizeof lim);
    else
        fmt_trim(c->value, 2, lim, sizeof lim);
    fmt_trim(r->shortfall, 2, gap, sizeof gap);
    const char *rn = rate_name(c->rate);
    switch (r->status) {
    case MQL_REC_OVER:
        len = snprintf(buf, cap, "even the strictest threshold %s gives %s MQLs/month, %s over %s %s",
                       thr, vol, gap, c->goal == MQL_GOAL_CAPACITY ? "capacity" : "the target",
                       lim);
        break;
    case MQL_REC_SHORT_VOLUME:
        len = snprintf(buf, cap,
                       "even the loosest threshold %s gives only %s MQLs/month, %s short of the "
                       "target %s",
                       thr, vol, gap, lim);
        break;
    case MQL_REC_SHORT_RATE:
        len = snprintf(buf, cap, "the best %s%s is %.1f%% at threshold %s, %.1f points short of %s%%",
                       c->use_lower_bound ? "lower 95% bound of " : "", rn, 100.0 * r->achieved,
                       thr, r->shortfall, lim);
        break;
    case MQL_REC_MET:
        if (c->goal == MQL_GOAL_CAPACITY && s->totals.won == 0) {
            len = snprintf(buf, cap, "threshold %s gives %s MQLs/month, within capacity %s; "
                           "the rated leads hold no won deal, so recall is n/a", thr, vol, lim);
        } else if (c->goal == MQL_GOAL_CAPACITY && row->mqls == s->totals.n) {
            /* The capacity does not bind: the loosest threshold passes every lead, which is no
             * selection at all, and "captures 100% of won deals" would read as a success. */
            len = snprintf(buf, cap,
                           "capacity %s is at or above the whole volume (%s leads/month), so it "
                           "does not limit the threshold: threshold %s, the lowest score, makes "
                           "every lead an MQL (MQL-to-won %.1f%%, the base rate); choose the "
                           "threshold by a minimum rate (--min-rate) or the plan instead",
                           lim, vol, thr, 100.0 * row->won_rate);
        } else if (c->goal == MQL_GOAL_CAPACITY) {
            len = snprintf(buf, cap,
                           "threshold %s gives %s MQLs/month, within capacity %s, and captures "
                           "%.1f%% of won deals (%zu of %zu)",
                           thr, vol, lim, 100.0 * row->recall, row->won, s->totals.won);
        } else if (c->goal == MQL_GOAL_MIN_RATE) {
            double rate = c->rate == MQL_RATE_SQL ? row->sql_rate : row->won_rate;
            double lo = c->rate == MQL_RATE_SQL ? row->sql_lo : row->won_lo;
            double hi = c->rate == MQL_RATE_SQL ? row->sql_hi : row->won_hi;
            len = snprintf(buf, cap,
                           "threshold %s is the loosest whose %s%s is at least %s%%: %.1f%% "
                           "(95%% CI %.1f-%.1f%%) on %zu matured MQLs",
                           thr, rn, c->use_lower_bound ? " lower 95% bound" : "", lim,
                           100.0 * rate, 100.0 * lo, 100.0 * hi, row->rated);
        } else if (r->has_above) {
            const mql_bt_row *up = &s->rows[r->above];
            fmt_exact(up->threshold, thr2, sizeof thr2);
            fmt_trim(up->mqls_per_month, 2, vol2, sizeof vol2);
            len = snprintf(buf, cap,
                           "threshold %s gives %s MQLs/month, the closest to the target %s from "
                           "below; the next looser threshold %s gives %s",
                           thr, vol, lim, thr2, vol2);
        } else {
            len = snprintf(buf, cap,
                           "threshold %s gives %s MQLs/month, the closest to the target %s from "
                           "below",
                           thr, vol, lim);
        }
        break;
    }
    if (len < 0) {
        if (cap > 0)
            buf[0] = '\0';
        return 0;
    }
    return (size_t)len;
}

/* ================================================================================================
 * Banding
 * ============================================================================================== */

int mql_banding_compute(const mql_bt_input *in, double hi, double lo, mql_banding *out,
                        mql_err *err)
{
    memset(out, 0, sizeof *out);
    if (!isfinite(hi) || !isfinite(lo) || !(hi > lo))
        return mql_err_set(err, MQL_EUSAGE,
                           "--bands: the MQL cut %g must be above the nurture cut %g", hi, lo);
    int rc = totals_compute(in, &out->totals, err);
    if (rc)
        return rc;
    const mql_bt_totals *t = &out->totals;
    out->hi = hi;
    out->lo = lo;
    acc a[3] = {{0}};
    for (size_t i = 0; i < in->n; i++) {
        double x = in->score[i];
        acc_add(&a[x >= hi ? MQL_BAND_MQL : x >= lo ? MQL_BAND_NURTURE : MQL_BAND_REJECT], in, i);
    }
    for (int b = 0; b < 3; b++) {
        mql_bt_band *d = &out->band[b];
        d->leads = a[b].mqls;
        d->censored = a[b].censored;
        d->rated = a[b].mqls - a[b].censored;
        d->sqls = a[b].sqls;
        d->won = a[b].won;
        d->share = (double)d->leads / (double)t->n;
        d->per_month = t->has_months ? (double)d->leads / (double)t->n_months : NAN;
        rate_ci(t->has_sql, d->sqls, d->rated, &d->sql_rate, &d->sql_lo, &d->sql_hi);
        rate_ci(1, d->won, d->rated, &d->won_rate, &d->won_lo, &d->won_hi);
        d->won_share = t->won ? (double)d->won / (double)t->won : NAN;
        d->acv_won = a[b].acv_won;
    }
    return MQL_OK;
}

int mql_banding_choose(const mql_bt_sweep *s, const mql_bt_constraint *c, double floor_rate,
                       mql_band_choice *out, mql_err *err)
{
    memset(out, 0, sizeof *out);
    if (!isnan(floor_rate) && (!isfinite(floor_rate) || !(floor_rate > 0) || floor_rate > 1))
        return mql_err_set(err, MQL_EUSAGE, "--nurture-floor: %g is not in (0, 1]", floor_rate);
    int rc = mql_bt_recommend(s, c, &out->rec, err);
    if (rc)
        return rc;
    size_t h = out->rec.index;
    const mql_bt_row *top = &s->rows[h];
    if (isnan(floor_rate)) {
        if (top->rated == 0)
            return mql_err_set(err, MQL_EDATA,
                               "banding: the MQL band at threshold %g has no matured lead, so it "
                               "has no MQL-to-won rate to halve; give the floor explicitly",
                               top->threshold);
        floor_rate = top->won_rate / 2;
    }
    out->floor = floor_rate;
    out->hi_index = out->lo_index = h;
    out->hi = out->lo = top->threshold;
    out->nurture_rate = NAN;
    for (size_t j = 0; j < h; j++) {
        size_t nr = s->rows[j].rated - top->rated, nw = s->rows[j].won - top->won;
        if (nr > 0 && (double)nw / (double)nr >= floor_rate) {
            out->found = 1;
            out->lo_index = j;
            out->lo = s->rows[j].threshold;
            out->nurture_rated = nr;
            out->nurture_won = nw;
            out->nurture_rate = (double)nw / (double)nr;
            break;
        }
    }
    return MQL_OK;
}

/* ================================================================================================
 * Time helpers
 * ============================================================================================== */

/* Days since 1970-01-01 of a civil date (Howard Hinnant's days_from_civil). */
static long days_from_civil(long y, long m, long d)
{
    y -= m <= 2;
    long era = (y >= 0 ? y : y - 399) / 400;
    long yoe = y - era * 400;
    long doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    long doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static long floor_div(long a, long b)
{
    long q = a / b;
    return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

/* Dates beyond +-1e9 days (2.7 million years) are treated as no date: not a CRM export. */
static int date_ok(double day)
{
    return isfinite(day) && fabs(day) < 1e9;
}

long mql_month_index(double day)
{
    /* Leads come in runs of the same month (a file in date order): the last month's days are
     * remembered, per thread, and a day inside them needs no calendar arithmetic. The bounds
     * are whole days, so the day itself is compared with them (its floor would compare the
     * same, and a day outside every month, NAN included, fails the test). */
    static _Thread_local double memo_lo = 1, memo_hi = 0;
    static _Thread_local long memo_month;
    if (day >= memo_lo && day < memo_hi)
        return memo_month;
    if (!date_ok(day))
        return MQL_NO_MONTH;
    long dn = (long)floor(day);
    int y, m, d;
    mql_civil_from_days(dn, &y, &m, &d);
    long month = ((long)y - 1970) * 12 + (m - 1);
    memo_lo = (double)(dn - (d - 1));
    memo_hi = (double)mql_month_start_day(month + 1);
    memo_month = month;
    return month;
}

long mql_quarter_index(double day)
{
    return mql_quarter_of_month(mql_month_index(day));
}

long mql_quarter_of_month(long month)
{
    return month == MQL_NO_MONTH ? LONG_MIN : floor_div(month, 3);
}

long mql_month_start_day(long month)
{
    long y = 1970 + floor_div(month, 12);
    return days_from_civil(y, month - floor_div(month, 12) * 12 + 1, 1);
}

long mql_quarter_start_day(long quarter)
{
    return mql_month_start_day(quarter * 3);
}

const char *mql_month_label(long month, char *buf, size_t cap)
{
    long y = 1970 + floor_div(month, 12);
    snprintf(buf, cap, "%04ld-%02ld", y, month - floor_div(month, 12) * 12 + 1);
    return buf;
}

const char *mql_quarter_label(long quarter, char *buf, size_t cap)
{
    long y = 1970 + floor_div(quarter, 4);
    snprintf(buf, cap, "%04ldQ%ld", y, quarter - floor_div(quarter, 4) * 4 + 1);
    return buf;
}

static void day_text(long day, char *buf, size_t cap)
{
    int y, m, d;
    mql_civil_from_days(day, &y, &m, &d);
    snprintf(buf, cap, "%04d-%02d-%02d", y, m, d);
}

int mql_censor_mask(const double *date, size_t n, long maturity_days, unsigned char *out,
                    size_t *n_censored, size_t *n_no_date, double *end_day, mql_err *err)
{
    if (maturity_days < 0)
        return mql_err_set(err, MQL_EUSAGE, "--maturity: %ld days is negative", maturity_days);
    long end = LONG_MIN;
    size_t none = 0, cens = 0;
    for (size_t i = 0; i < n; i++) {
        if (!date_ok(date[i])) {
            none++;
            continue;
        }
        long d = (long)floor(date[i]);
        if (d > end)
            end = d;
    }
    if (end == LONG_MIN)
        return mql_err_set(err, MQL_EDATA, "--maturity: no lead has a date");
    for (size_t i = 0; i < n; i++) {
        out[i] = date_ok(date[i]) && end - (long)floor(date[i]) < maturity_days;
        cens += out[i];
    }
    if (n_censored)
        *n_censored = cens;
    if (n_no_date)
        *n_no_date = none;
    if (end_day)
        *end_day = (double)end;
    return MQL_OK;
}

static int cmp_long(const void *a, const void *b)
{
    long x = *(const long *)a, y = *(const long *)b;
    return (x > y) - (x < y);
}

int mql_walk_forward(const double *date, size_t n, mql_time_split **out, size_t *n_out,
                     mql_err *err)
{
    *out = NULL;
    *n_out = 0;
    long *q = malloc((n ? n : 1) * sizeof *q);
    if (!q)
        return mql_err_set(err, MQL_ENOMEM, "walk-forward: out of memory");
    size_t nd = 0;
    for (size_t i = 0; i < n; i++)
        if (date_ok(date[i]))
            q[nd++] = mql_quarter_index(date[i]);
    qsort(q, nd, sizeof *q, cmp_long);
    size_t nq = 0;
    for (size_t i = 0; i < nd; i++)
        nq += i == 0 || q[i] != q[i - 1];
    if (nq < 2) {
        free(q);
        return mql_err_set(err, MQL_EDATA,
                           "walk-forward: the dates span %zu quarter%s; it needs at least 2", nq,
                           nq == 1 ? "" : "s");
    }
    mql_time_split *s = malloc((nq - 1) * sizeof *s);
    if (!s) {
        free(q);
        return mql_err_set(err, MQL_ENOMEM, "walk-forward: out of memory");
    }
    /* Runs of the sorted quarter list: leads before a run are its training set. */
    size_t k = 0, start = 0;
    for (size_t i = 1; i <= nd; i++) {
        if (i < nd && q[i] == q[start])
            continue;
        if (start > 0) {
            mql_time_split *t = &s[k++];
            t->quarter = q[start];
            t->train_end = t->test_start = (double)mql_quarter_start_day(q[start]);
            t->test_end = (double)mql_quarter_start_day(q[start] + 1);
            t->n_train = start;
            t->n_test = i - start;
        }
        start = i;
    }
    free(q);
    *out = s;
    *n_out = nq - 1;
    return MQL_OK;
}

int mql_train_until(const double *date, size_t n, long until_day, mql_time_split *out,
                    mql_err *err)
{
    memset(out, 0, sizeof *out);
    out->quarter = LONG_MIN;
    out->train_end = out->test_start = (double)until_day + 1;
    out->test_end = INFINITY;
    long lo = LONG_MAX, hi = LONG_MIN;
    for (size_t i = 0; i < n; i++) {
        if (!date_ok(date[i]))
            continue;
        long d = (long)floor(date[i]);
        lo = d < lo ? d : lo;
        hi = d > hi ? d : hi;
        if (date[i] < out->train_end)
            out->n_train++;
        else
            out->n_test++;
    }
    char u[32], a[32], b[32];
    day_text(until_day, u, sizeof u);
    if (lo > hi)
        return mql_err_set(err, MQL_EDATA, "--train-until %s: no lead has a date", u);
    if (out->n_train == 0 || out->n_test == 0) {
        day_text(lo, a, sizeof a);
        day_text(hi, b, sizeof b);
        return mql_err_set(err, MQL_EDATA,
                           "--train-until %s: no lead is dated %s it (dates run %s to %s)", u,
                           out->n_train == 0 ? "on or before" : "after", a, b);
    }
    return MQL_OK;
}

void mql_split_roles(const mql_time_split *s, const double *date, size_t n, unsigned char *role)
{
    for (size_t i = 0; i < n; i++) {
        double d = date[i];
        if (!date_ok(d))
            role[i] = 0;
        else if (d < s->train_end)
            role[i] = 1;
        else if (d >= s->test_start && d < s->test_end)
            role[i] = 2;
        else
            role[i] = 0;
    }
}

int mql_holdout_last(size_t n, double fraction, unsigned char *role, mql_err *err)
{
    if (!isfinite(fraction) || !(fraction > 0) || !(fraction < 1))
        return mql_err_set(err, MQL_EUSAGE, "--holdout: %g is not in (0, 1)", fraction);
    /* ceil, but 0.3 * 10 = 3.0000000000000004 stays 3 */
    double x = fraction * (double)n, f = floor(x);
    size_t n_test = (size_t)(x - f > 1e-9 * fmax(1.0, x) ? f + 1 : f);
    if (n_test == 0 || n_test >= n)
        return mql_err_set(err, MQL_EDATA,
                           "--holdout %g: %zu leads leave %zu for training and %zu for testing; "
                           "both need at least one",
                           fraction, n, n - n_test, n_test);
    for (size_t i = 0; i < n; i++)
        role[i] = i < n - n_test ? 1 : 2;
    return MQL_OK;
}

int mql_kfold_assign(size_t n, size_t k, unsigned long seed, const unsigned char *strata,
                     size_t *fold, mql_err *err)
{
    if (k < 2 || k > n)
        return mql_err_set(err, MQL_EUSAGE, "--folds: %zu folds for %zu leads; need 2 <= K <= %zu",
                           k, n, n);
    size_t *perm = malloc(n * sizeof *perm);
    mql_gsl_quiet();
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    if (!perm || !r) {
        free(perm);
        gsl_rng_free(r);
        return mql_err_set(err, MQL_ENOMEM, "--folds: out of memory");
    }
    gsl_rng_set(r, seed);
    for (size_t i = 0; i < n; i++)
        perm[i] = i;
    gsl_ran_shuffle(r, perm, n, sizeof *perm);
    gsl_rng_free(r);
    size_t j = 0;
    if (strata) {
        for (size_t i = 0; i < n; i++)
            if (strata[perm[i]])
                fold[perm[i]] = j++ % k;
        for (size_t i = 0; i < n; i++)
            if (!strata[perm[i]])
                fold[perm[i]] = j++ % k;
    } else {
        for (size_t i = 0; i < n; i++)
            fold[perm[i]] = j++ % k;
    }
    free(perm);
    return MQL_OK;
}
