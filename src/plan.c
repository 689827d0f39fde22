/* plan.c: the data-driven plan: funnel rates from a scored lead history at every candidate
 * threshold, the MQLs each threshold would need, and the threshold that meets the target. */
#include "mqlcal/plan.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mqlcal/metrics.h"

void mql_dplan_free(mql_dplan *p)
{
    if (!p)
        return;
    free(p->rows);
    free(p);
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Number of values in sorted v[0..n) that are >= t. */
static size_t count_at_least(const double *v, size_t n, double t)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (v[mid] < t)
            lo = mid + 1;
        else
            hi = mid;
    }
    return n - lo;
}

/* The funnel input at one row: the flags, with data rates where the flags are absent. */
static mql_funnel_in row_input(const mql_dplan *p, const mql_dplan_row *r)
{
    mql_funnel_in in = p->in.base;
    in.acv = p->acv;
    in.mql_to_sql = r->m2s;
    if (!p->in.s2w_given) {
        in.win_rate = r->s2w;
        in.sql_to_opp = (mql_rate){.value = 1.0};
    }
    return in;
}

int mql_dplan_run(const mql_scored *s, const mql_bt_sweep *sw, const mql_dplan_in *in,
                  mql_dplan **out, mql_err *err)
{
    *out = NULL;
    int has_sql = s->sql != NULL;
    if ((!in->m2s_given || !in->s2w_given) && !has_sql)
        return mql_err_set(err, MQL_EUSAGE,
                           "the plan needs MQL-to-SQL and SQL-to-won: give --sql COL (rates "
                           "from the data) or --mql-to-sql, --win-rate and --sql-to-opp");
    if (!sw->totals.has_months || sw->totals.n_months == 0)
        return mql_err_set(err, MQL_EDATA, "the plan needs MQLs per month: give --date COL");
    if (sw->n_rows == 0)
        return mql_err_set(err, MQL_EDATA, "no candidate thresholds");
    mql_dplan *p = calloc(1, sizeof *p);
    if (!p || !(p->rows = calloc(sw->n_rows, sizeof *p->rows))) {
        free(p);
        return mql_err_set(err, MQL_ENOMEM, "out of memory");
    }
    p->in = *in;
    p->n_rows = sw->n_rows;
    p->n_months = sw->totals.n_months;
    int st = MQL_OK;
    double *sw_scores = NULL, *need = NULL;
    mql_threshold_hist *hist = NULL;

    /* ACV */
    if (in->acv_given) {
        p->acv = in->base.acv;
    } else {
        double sum = 0;
        size_t k = 0;
        for (size_t i = 0; s->acv && i < s->n; i++)
            if (s->y[i] && !(s->censored && s->censored[i]) && isfinite(s->acv[i])) {
                sum += s->acv[i];
                k++;
            }
        if (k == 0) {
            st = mql_err_set(err, MQL_EDATA, "--acv: no won lead has a deal value in the ACV "
                             "column; give --acv as a number");
            goto fail;
        }
        p->acv = sum / (double)k;
        p->acv_n = k;
    }
    /* Validate revenue, ACV, period and the given rates once (data rates set to 1). */
    {
        mql_dplan_row probe = {.m2s = {.value = 1.0}, .s2w = {.value = 1.0}};
        if (in->m2s_given)
            probe.m2s = in->base.mql_to_sql;
        mql_funnel_in fi = row_input(p, &probe);
        mql_funnel_out fo;
        if ((st = mql_funnel_compute(&fi, &fo, err)))
            goto fail;
        p->deals_per_month = fo.month.deals;
    }

    /* Scores of rated leads that were SQL and won, sorted, for the per-threshold counts. */
    size_t n_sw = 0;
    if (has_sql) {
        if (!(sw_scores = malloc((s->n ? s->n : 1) * sizeof *sw_scores))) {
            st = mql_err_set(err, MQL_ENOMEM, "out of memory");
            goto fail;
        }
        for (size_t i = 0; i < s->n; i++)
            if (s->y[i] && s->sql[i] && !(s->censored && s->censored[i]))
                sw_scores[n_sw++] = s->score[i];
        qsort(sw_scores, n_sw, sizeof *sw_scores, cmp_double);
    }
    need = malloc(p->n_rows * sizeof *need);
    hist = malloc(p->n_rows * sizeof *hist);
    if (!need || !hist) {
        st = mql_err_set(err, MQL_ENOMEM, "out of memory");
        goto fail;
    }
    for (size_t k = 0; k < p->n_rows; k++) {
        const mql_bt_row *b = &sw->rows[k];
        mql_dplan_row *r = &p->rows[k];
        r->threshold = b->threshold;
        r->mqls_per_month = b->mqls_per_month;
        r->mqls = b->mqls;
        r->rated = b->rated;
        r->sqls = has_sql ? b->sqls : 0;
        r->sql_won = has_sql ? count_at_least(sw_scores, n_sw, b->threshold) : 0;
        r->hist_m2s = has_sql ? b->sql_rate : NAN;
        r->hist_m2s_lo = has_sql ? b->sql_lo : NAN;
        r->hist_m2s_hi = has_sql ? b->sql_hi : NAN;
        r->ok = 1;
        mql_err e2;
        if (in->m2s_given)
            r->m2s = in->base.mql_to_sql;
        else if (mql_rate_from_counts((double)r->sqls, (double)r->rated, &r->m2s, &e2))
            r->ok = 0;
        if (in->s2w_given) {
            r->s2w.value = in->base.win_rate.value * in->base.sql_to_opp.value;
        } else if (mql_rate_from_counts((double)r->sql_won, (double)r->sqls, &r->s2w, &e2)) {
            r->ok = 0;
        }
        r->m2w = r->ok ? r->m2s.value * r->s2w.value : NAN;
        r->need = r->need_lo = r->need_hi = need[k] = NAN;
        if (r->ok) {
            mql_funnel_in fi = row_input(p, r);
            mql_funnel_out fo;
            if ((st = mql_funnel_compute(&fi, &fo, err)))
                goto fail;
            r->need = need[k] = fo.month.mqls;
            r->need_lo = fo.has_range ? fo.month_optimistic.mqls : fo.month.mqls;
            r->need_hi = fo.has_range ? fo.month_pessimistic.mqls : fo.month.mqls;
        }
        hist[k] = (mql_threshold_hist){.threshold = r->threshold,
                                       .mqls_per_month = r->mqls_per_month,
                                       .converted = (double)r->sqls,
                                       .matured = (double)r->rated};
    }
    /* A flag MQL-to-SQL is an assumption history must support; data rates support themselves. */
    double need_rate = in->m2s_given && has_sql ? in->base.mql_to_sql.value : NAN;
    if ((st = mql_threshold_for_needs(hist, need, p->n_rows, need_rate, 0, &p->pick, err))) {
        if (st == MQL_EDATA)
            mql_err_prefix(err, st, "plan: no threshold has a non-zero MQL-to-SQL and "
                           "SQL-to-won in the data");
        goto fail;
    }
    for (size_t k = 0; k < p->n_rows; k++) {
        mql_dplan_row *r = &p->rows[k];
        int rate_ok = isnan(need_rate) || (r->rated > 0 && r->hist_m2s >= need_rate);
        r->meets = r->ok && r->mqls_per_month >= r->need && rate_ok;
        r->meets_pessimistic = r->meets && r->mqls_per_month >= r->need_hi;
    }
    {
        mql_funnel_in fi = row_input(p, &p->rows[p->pick.index]);
        if (!p->rows[p->pick.index].ok) {
            st = mql_err_set(err, MQL_EDATA, "plan: the chosen threshold has no usable rates");
            goto fail;
        }
        if ((st = mql_funnel_compute(&fi, &p->funnel, err)))
            goto fail;
    }
    free(sw_scores);
    free(need);
    free(hist);
    *out = p;
    return MQL_OK;
fail:
    free(sw_scores);
    free(need);
    free(hist);
    mql_dplan_free(p);
    return st;
}

/* ---- tables and sentence -------------------------------------------------------------------- */

static int add_rate(mql_tab *t, double v, double lo, double hi, int interval)
{
    return mql_tab_add_num(t, v, "%.4f") | mql_tab_add_num(t, interval ? lo : NAN, "%.4f") |
           mql_tab_add_num(t, interval ? hi : NAN, "%.4f");
}

mql_tab *mql_dplan_thresholds_tab(const mql_dplan *p)
{
    static const char *const cols[] = {
        "threshold",   "mqls_per_month", "rated",         "sqls",          "mql_to_sql",
        "mql_to_sql_lo", "mql_to_sql_hi", "sql_won",      "sql_to_won",    "sql_to_won_lo",
        "sql_to_won_hi", "mql_to_won",    "need_per_month", "need_optimistic",
        "need_pessimistic", "meets"};
    mql_tab *t = mql_tab_new(sizeof cols / sizeof cols[0], cols);
    int e = !t;
    for (size_t k = 0; !e && k < p->n_rows; k++) {
        const mql_dplan_row *r = &p->rows[k];
        e |= mql_tab_row(t) | mql_tab_add_num(t, r->threshold, "%g") |
             mql_tab_add_num(t, r->mqls_per_month, "%.1f") | mql_tab_add_int(t, (long long)r->rated) |
             mql_tab_add_int(t, (long long)r->sqls);
        double nan = NAN;
        e |= r->ok ? add_rate(t, r->m2s.value, r->m2s.lo, r->m2s.hi, r->m2s.has_interval)
                   : add_rate(t, nan, nan, nan, 0);
        e |= mql_tab_add_int(t, (long long)r->sql_won);
        e |= r->ok ? add_rate(t, r->s2w.value, r->s2w.lo, r->s2w.hi, r->s2w.has_interval)
                   : add_rate(t, nan, nan, nan, 0);
        e |= mql_tab_add_num(t, r->m2w, "%.4f") | mql_tab_add_num(t, r->need, "%.1f") |
             mql_tab_add_num(t, r->need_lo, "%.1f") | mql_tab_add_num(t, r->need_hi, "%.1f") |
             mql_tab_add_str(t, !r->ok ? NULL : r->meets ? "yes" : "no");
    }
    if (e) {
        mql_tab_free(t);
        return NULL;
    }
    return t;
}

static int stage(mql_tab *t, const char *name, double m, double mc, double q, double qc,
                 const char *fmt, ...) __attribute__((format(printf, 7, 8)));
static int stage(mql_tab *t, const char *name, double m, double mc, double q, double qc,
                 const char *fmt, ...)
{
    char how[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(how, sizeof how, fmt, ap);
    va_end(ap);
    return mql_tab_row(t) | mql_tab_add_str(t, name) | mql_tab_add_num(t, m, "%.2f") |
           mql_tab_add_num(t, mc, "%.0f") | mql_tab_add_num(t, q, "%.2f") |
           mql_tab_add_num(t, qc, "%.0f") | mql_tab_add_str(t, how);
}

mql_tab *mql_dplan_stages_tab(const mql_dplan *p)
{
    static const char *const cols[] = {"stage",       "per_month",         "per_month_whole",
                                       "per_quarter", "per_quarter_whole", "computed_as"};
    mql_tab *t = mql_tab_new(6, cols);
    if (!t)
        return NULL;
    const mql_dplan_row *r = &p->rows[p->pick.index];
    const mql_funnel_out *f = &p->funnel;
    const mql_funnel_stage *m = &f->month, *q = &f->quarter;
    const mql_funnel_in *b = &p->in.base;
    char a[64], c[64];
    double rev_m = b->period == MQL_PERIOD_MONTH ? b->revenue : b->revenue / 3;
    mql_fmt_grouped(b->revenue, a, sizeof a);
    int e = stage(t, "revenue", rev_m, rev_m, 3 * rev_m, 3 * rev_m, "target %s per %s%s", a,
                  b->period == MQL_PERIOD_MONTH ? "month" : "quarter",
                  b->period == MQL_PERIOD_MONTH ? "; a quarter is 3 months"
                                                : "; a month is a third");
    if (p->in.acv_given)
        snprintf(c, sizeof c, "--acv");
    else
        snprintf(c, sizeof c, "mean deal value of %zu won leads", p->acv_n);
    mql_fmt_grouped(p->acv, a, sizeof a);
    e |= stage(t, "deals", m->deals, m->deals_ceil, q->deals, q->deals_ceil,
               "revenue / ACV %s (%s)", a, c);
    if (p->in.s2w_given) {
        e |= stage(t, "opportunities", m->opps, m->opps_ceil, q->opps, q->opps_ceil,
                   "deals / win rate %.1f%% (--win-rate)", 100 * b->win_rate.value);
        e |= stage(t, "SQLs", m->sqls, m->sqls_ceil, q->sqls, q->sqls_ceil,
                   "opportunities / SQL-to-opp %.1f%% (--sql-to-opp)",
                   100 * b->sql_to_opp.value);
    } else {
        e |= stage(t, "SQLs", m->sqls, m->sqls_ceil, q->sqls, q->sqls_ceil,
                   "deals / SQL-to-won %.1f%% (%zu won of %zu SQLs among matured MQLs at "
                   "threshold %g; 95%% Wilson %.1f%%-%.1f%%)",
                   100 * r->s2w.value, r->sql_won, r->sqls, r->threshold, 100 * r->s2w.lo,
                   100 * r->s2w.hi);
    }
    if (p->in.m2s_given)
        e |= stage(t, "MQLs", m->mqls, m->mqls_ceil, q->mqls, q->mqls_ceil,
                   "SQLs / MQL-to-SQL %.1f%% (--mql-to-sql)", 100 * r->m2s.value);
    else
        e |= stage(t, "MQLs", m->mqls, m->mqls_ceil, q->mqls, q->mqls_ceil,
                   "SQLs / MQL-to-SQL %.1f%% (%zu SQLs of %zu matured MQLs at threshold %g; "
                   "95%% Wilson %.1f%%-%.1f%%)",
                   100 * r->m2s.value, r->sqls, r->rated, r->threshold, 100 * r->m2s.lo,
                   100 * r->m2s.hi);
    if (f->has_range) {
        e |= stage(t, "MQLs (optimistic)", f->month_optimistic.mqls,
                   f->month_optimistic.mqls_ceil, f->quarter_optimistic.mqls,
                   f->quarter_optimistic.mqls_ceil,
                   "every rate at the upper end of its 95%% interval");
        e |= stage(t, "MQLs (pessimistic)", f->month_pessimistic.mqls,
                   f->month_pessimistic.mqls_ceil, f->quarter_pessimistic.mqls,
                   f->quarter_pessimistic.mqls_ceil,
                   "every rate at the lower end of its 95%% interval");
    }
    e |= stage(t, "MQLs in history", r->mqls_per_month, floor(r->mqls_per_month + 1e-9),
               3 * r->mqls_per_month, floor(3 * r->mqls_per_month + 1e-9),
               "%zu leads scored >= %g over %zu months", r->mqls, r->threshold, p->n_months);
    if (e) {
        mql_tab_free(t);
        return NULL;
    }
    return t;
}

size_t mql_dplan_sentence(const mql_dplan *p, char *buf, size_t cap)
{
    const mql_threshold_pick *k = &p->pick;
    const mql_dplan_row *r = &p->rows[k->index];
    char range[160] = "";
    if (p->funnel.has_range)
        snprintf(range, sizeof range, " (%.1f-%.1f with every rate at an end of its 95%% "
                 "interval)", r->need_lo, r->need_hi);
    switch (k->status) {
    case MQL_PICK_MET: {
        char tail[200] = "";
        if (!r->meets_pessimistic)
            snprintf(tail, sizeof tail, " With every rate at the low end of its interval it "
                     "would be %.1f MQLs/month short.", r->need_hi - r->mqls_per_month);
        return (size_t)snprintf(buf, cap,
                                "Threshold %g meets the plan: it produced %.1f MQLs/month in "
                                "history against %.1f needed%s, at MQL-to-SQL %.1f%% and "
                                "MQL-to-won %.2f%%.%s",
                                r->threshold, r->mqls_per_month, r->need, range,
                                100 * r->m2s.value, 100 * r->m2w, tail);
    }
    case MQL_PICK_SHORT_RATE:
        return (size_t)snprintf(buf, cap,
                                "No threshold meets the plan: the thresholds with enough volume "
                                "convert MQL-to-SQL at %.1f%% at best (threshold %g, %.1f "
                                "MQLs/month), %.1f points short of the %.1f%% the plan assumes.",
                                100 * r->hist_m2s, r->threshold, r->mqls_per_month,
                                k->rate_short_points, 100 * p->in.base.mql_to_sql.value);
    case MQL_PICK_SHORT_VOLUME:
    default:
        return (size_t)snprintf(buf, cap,
                                "No threshold meets the plan: the closest, threshold %g, "
                                "produced %.1f MQLs/month in history against %.1f needed%s at "
                                "its MQL-to-won %.2f%%: %.1f MQLs/month short (or MQL-to-won "
                                "would have to be %.2f%% at that volume).",
                                r->threshold, r->mqls_per_month, r->need, range, 100 * r->m2w,
                                k->volume_short, 100 * p->deals_per_month / r->mqls_per_month);
    }
}
