/* funnel.c: pipeline math from revenue target to MQLs per month and per quarter, the date MQLs
 * must be created by, and the threshold whose history meets the plan. */
#include "mqlcal/funnel.h"

#include <math.h>
#include <stdlib.h>
#include "mqlcal/metrics.h"

int mql_rate_from_counts(double k, double n, mql_rate *out, mql_err *err)
{
    if (!isfinite(n) || !(n > 0))
        return mql_err_set(err, MQL_EDATA, "rate: no leads behind the rate (n = %g)", n);
    if (!isfinite(k) || k < 0 || k > n)
        return mql_err_set(err, MQL_EDATA, "rate: %g conversions out of %g is impossible", k, n);
    if (k == 0)
        return mql_err_set(err, MQL_EDATA,
                           "rate: 0 conversions out of %g; a zero rate cannot be planned with", n);
    out->value = k / n;
    out->has_interval = 1;
    mql_wilson(k, n, mql_z_for_level(0.95), &out->lo, &out->hi);
    return MQL_OK;
}

static int check_rate(const mql_rate *r, const char *opt, mql_err *err)
{
    if (!isfinite(r->value) || !(r->value >= MQL_FUNNEL_RATE_MIN) || r->value > 1)
        return mql_err_set(err, MQL_EUSAGE, "%s: rate %g is not in [%g, 1]", opt, r->value,
                           MQL_FUNNEL_RATE_MIN);
    if (r->has_interval) {
        if (!isfinite(r->lo) || !isfinite(r->hi) || !(r->lo >= MQL_FUNNEL_RATE_MIN) || r->hi > 1)
            return mql_err_set(err, MQL_EUSAGE, "%s: interval [%g, %g] is not inside [%g, 1]",
                               opt, r->lo, r->hi, MQL_FUNNEL_RATE_MIN);
        if (!(r->lo <= r->value && r->value <= r->hi))
            return mql_err_set(err, MQL_EUSAGE,
                               "%s: interval [%g, %g] does not contain the rate %g", opt, r->lo,
                               r->hi, r->value);
    }
    return MQL_OK;
}

/* Rounds up, but not for float noise: 400 * (1 + 1e-15) stays 400. */
static double ceil_count(double x)
{
    double f = floor(x);
    return x - f <= 1e-9 * fmax(1.0, fabs(x)) ? f : f + 1;
}

static void chain(double revenue, double acv, double win, double s2o, double m2s,
                  mql_funnel_stage *st)
{
    st->deals = revenue / acv;
    st->opps = st->deals / win;
    st->sqls = st->opps / s2o;
    st->mqls = st->sqls / m2s;
    st->deals_ceil = ceil_count(st->deals);
    st->opps_ceil = ceil_count(st->opps);
    st->sqls_ceil = ceil_count(st->sqls);
    st->mqls_ceil = ceil_count(st->mqls);
}

/* Revenue per month and per quarter from the target's own period. */
static void per_period(const mql_funnel_in *in, double *rev_month, double *rev_quarter)
{
    if (in->period == MQL_PERIOD_QUARTER) {
        *rev_quarter = in->revenue;
        *rev_month = in->revenue / 3.0;
    } else {
        *rev_month = in->revenue;
        *rev_quarter = in->revenue * 3.0;
    }
}

void mql_civil_from_days(long day, int *year, int *month, int *mday)
{
    /* Howard Hinnant's civil_from_days: eras of 400 years = 146097 days. */
    long z = day + 719468;
    long era = (z >= 0 ? z : z - 146096) / 146097;
    long doe = z - era * 146097;
    long yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    long doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    long mp = (5 * doy + 2) / 153;
    long d = doy - (153 * mp + 2) / 5 + 1;
    long m = mp < 10 ? mp + 3 : mp - 9;
    *year = (int)(yoe + era * 400 + (m <= 2));
    *month = (int)m;
    *mday = (int)d;
}

int mql_funnel_compute(const mql_funnel_in *in, mql_funnel_out *out, mql_err *err)
{
    int rc;
    if (!(in->revenue >= MQL_FUNNEL_AMOUNT_MIN && in->revenue <= MQL_FUNNEL_AMOUNT_MAX))
        return mql_err_set(err, MQL_EUSAGE, "--revenue: %g is not an amount from %g to %g",
                           in->revenue, MQL_FUNNEL_AMOUNT_MIN, MQL_FUNNEL_AMOUNT_MAX);
    if (!(in->acv >= MQL_FUNNEL_AMOUNT_MIN && in->acv <= MQL_FUNNEL_AMOUNT_MAX))
        return mql_err_set(err, MQL_EUSAGE, "--acv: %g is not an amount from %g to %g", in->acv,
                           MQL_FUNNEL_AMOUNT_MIN, MQL_FUNNEL_AMOUNT_MAX);
    if ((rc = check_rate(&in->win_rate, "--win-rate", err)) ||
        (rc = check_rate(&in->sql_to_opp, "--sql-to-opp", err)) ||
        (rc = check_rate(&in->mql_to_sql, "--mql-to-sql", err)))
        return rc;
    if (in->has_cycle && (in->cycle_days < 0 || in->cycle_days > 3650))
        return mql_err_set(err, MQL_EUSAGE, "--cycle-days: %ld is not in 0..3650 days",
                           in->cycle_days);
    if (in->period != MQL_PERIOD_MONTH && in->period != MQL_PERIOD_QUARTER)
        return mql_err_set(err, MQL_EUSAGE, "period must be month or quarter");

    double rm, rq;
    per_period(in, &rm, &rq);
    const mql_rate *w = &in->win_rate, *s = &in->sql_to_opp, *m = &in->mql_to_sql;
    chain(rm, in->acv, w->value, s->value, m->value, &out->month);
    chain(rq, in->acv, w->value, s->value, m->value, &out->quarter);
    out->mql_to_won = w->value * s->value * m->value;

    out->has_range = w->has_interval || s->has_interval || m->has_interval;
    if (out->has_range) {
        double wl = w->has_interval ? w->lo : w->value, wh = w->has_interval ? w->hi : w->value;
        double sl = s->has_interval ? s->lo : s->value, sh = s->has_interval ? s->hi : s->value;
        double ml = m->has_interval ? m->lo : m->value, mh = m->has_interval ? m->hi : m->value;
        chain(rm, in->acv, wh, sh, mh, &out->month_optimistic);
        chain(rm, in->acv, wl, sl, ml, &out->month_pessimistic);
        chain(rq, in->acv, wh, sh, mh, &out->quarter_optimistic);
        chain(rq, in->acv, wl, sl, ml, &out->quarter_pessimistic);
    }

    out->has_create_by = in->has_start && in->has_cycle;
    if (out->has_create_by) {
        int d;
        out->create_by_day = in->start_day - in->cycle_days;
        mql_civil_from_days(out->create_by_day, &out->create_by_year, &out->create_by_month, &d);
    }
    return MQL_OK;
}

int mql_threshold_for_plan(const mql_threshold_hist *hist, size_t n, double need_per_month,
                           double need_rate, int use_lower_bound, mql_threshold_pick *out,
                           mql_err *err)
{
    if (!isfinite(need_per_month) || !(need_per_month > 0))
        return mql_err_set(err, MQL_EUSAGE, "required MQLs per month %g is not positive",
                           need_per_month);
    if (!isfinite(need_rate))
        return mql_err_set(err, MQL_EUSAGE, "required conversion %g is not in (0, 1]", need_rate);
    if (n == 0)
        return mql_err_set(err, MQL_EDATA, "no candidate thresholds");
    double *need = malloc(n * sizeof *need);
    if (!need)
        return mql_err_set(err, MQL_ENOMEM, "out of memory");
    for (size_t i = 0; i < n; i++)
        need[i] = need_per_month;
    int st = mql_threshold_for_needs(hist, need, n, need_rate, use_lower_bound, out, err);
    free(need);
    return st;
}

int mql_threshold_for_needs(const mql_threshold_hist *hist, const double *need_per_month,
                            size_t n, double need_rate, int use_lower_bound,
                            mql_threshold_pick *out, mql_err *err)
{
    int check_rate_ = isfinite(need_rate);
    if (check_rate_ && (!(need_rate > 0) || need_rate > 1))
        return mql_err_set(err, MQL_EUSAGE, "required conversion %g is not in (0, 1]", need_rate);
    if (n == 0)
        return mql_err_set(err, MQL_EDATA, "no candidate thresholds");
    size_t n_finite = 0;
    for (size_t i = 0; i < n; i++) {
        const mql_threshold_hist *h = &hist[i];
        if (!isfinite(h->threshold) || !isfinite(h->mqls_per_month) || h->mqls_per_month < 0 ||
            !isfinite(h->matured) || h->matured < 0 || !isfinite(h->converted) ||
            h->converted < 0 || h->converted > h->matured)
            return mql_err_set(err, MQL_EDATA,
                               "threshold %g: invalid history (volume %g, %g of %g converted)",
                               h->threshold, h->mqls_per_month, h->converted, h->matured);
        if (isnan(need_per_month[i]))
            continue;
        if (!(need_per_month[i] > 0) || !isfinite(need_per_month[i]))
            return mql_err_set(err, MQL_EUSAGE, "threshold %g: required MQLs per month %g is "
                               "not positive", h->threshold, need_per_month[i]);
        n_finite++;
    }
    if (n_finite == 0)
        return mql_err_set(err, MQL_EDATA, "no candidate threshold has rates to plan with");
    const double z = mql_z_for_level(0.95);
    /* best: highest threshold meeting both; close: largest volume / need; rbest: best rate among
     * rows with enough volume (ties towards the higher threshold). */
    size_t best = n, close = n, rbest = n;
    double close_ratio = -1, rbest_val = -1;
    for (size_t i = 0; i < n; i++) {
        const mql_threshold_hist *h = &hist[i];
        double need = need_per_month[i];
        if (isnan(need))
            continue;
        double ratio = h->mqls_per_month / need;
        if (ratio > close_ratio ||
            (ratio == close_ratio && h->threshold > hist[close].threshold)) {
            close_ratio = ratio;
            close = i;
        }
        if (h->mqls_per_month < need)
            continue;
        double judged = INFINITY;
        if (check_rate_) {
            if (h->matured <= 0)
                continue;
            double lo, hi;
            mql_wilson(h->converted, h->matured, z, &lo, &hi);
            judged = use_lower_bound ? lo : h->converted / h->matured;
            if (judged > rbest_val ||
                (judged == rbest_val && h->threshold > hist[rbest].threshold)) {
                rbest_val = judged;
                rbest = i;
            }
            if (judged < need_rate)
                continue;
        }
        if (best == n || h->threshold > hist[best].threshold)
            best = i;
    }
    size_t pick;
    out->volume_short = 0;
    out->rate_short_points = 0;
    if (best < n) {
        out->status = MQL_PICK_MET;
        pick = best;
    } else if (rbest < n) {
        out->status = MQL_PICK_SHORT_RATE;
        pick = rbest;
        out->rate_short_points = (need_rate - rbest_val) * 100.0;
    } else {
        out->status = MQL_PICK_SHORT_VOLUME;
        pick = close;
        /* 0 when the volume is there but only at thresholds with no matured MQL to rate */
        out->volume_short = fmax(0, need_per_month[close] - hist[close].mqls_per_month);
    }
    const mql_threshold_hist *h = &hist[pick];
    out->index = pick;
    out->threshold = h->threshold;
    out->volume = h->mqls_per_month;
    if (h->matured > 0) {
        out->rate = h->converted / h->matured;
        mql_wilson(h->converted, h->matured, z, &out->rate_lo, &out->rate_hi);
    } else {
        out->rate = out->rate_lo = out->rate_hi = NAN;
    }
    return MQL_OK;
}
