/* plan.h: the data-driven plan (DESIGN section 5): pipeline math whose rates come from a scored
 * lead history at each candidate threshold, with Wilson intervals carried through to a range of
 * MQLs, and the threshold whose historical volume and conversion meet the target. `plan --model`
 * and `review` both use it, so they print the same numbers.
 *
 * Rates at threshold t, over the matured ("rated", uncensored) MQLs with score >= t:
 *   MQL-to-SQL = SQL-flagged MQLs / rated MQLs                       (unless given as a flag)
 *   SQL-to-won = won SQL-flagged MQLs / SQL-flagged MQLs             (unless --win-rate and
 *                --sql-to-opp are both given: then their product, the opportunity stage in between)
 * so MQL-to-won is (won and SQL) / rated: a won deal without the SQL flag does not count (the
 * funnel runs through SQL). Each data rate carries its Wilson 95% interval; the MQL range takes
 * every rate at its interval ends (a bound, not a joint interval: mql_funnel_compute). ACV is the
 * flag value, or the mean of the ACV column over rated won leads with a value. */
#ifndef MQLCAL_PLAN_H
#define MQLCAL_PLAN_H

#include <stddef.h>
#include "mqlcal/backtest.h"
#include "mqlcal/common.h"
#include "mqlcal/evaluate.h"
#include "mqlcal/funnel.h"
#include "mqlcal/report_table.h"

typedef struct mql_dplan_in {
    mql_funnel_in base;       /* revenue, period, cycle, start; acv and rates when given below */
    int acv_given;            /* base.acv is the --acv number; else the data's mean won ACV */
    int m2s_given;            /* base.mql_to_sql given; else from the SQL flag */
    int s2w_given;            /* base.win_rate and base.sql_to_opp given; else SQL-to-won from
                                 the data (base.win_rate / sql_to_opp ignored) */
} mql_dplan_in;

typedef struct mql_dplan_row {
    double threshold;
    double mqls_per_month;    /* historical volume (all MQLs, censored included) */
    size_t mqls, rated, sqls, sql_won;   /* rated: matured MQLs; sqls, sql_won among them */
    double hist_m2s, hist_m2s_lo, hist_m2s_hi;   /* the data's MQL-to-SQL (NAN without SQL) */
    int ok;                   /* 1: every rate is usable (no zero count), need computed */
    mql_rate m2s, s2w;        /* the rates planned with at this threshold (data or flags) */
    double m2w;               /* m2s * s2w */
    double need, need_lo, need_hi;   /* MQLs per month needed: point, optimistic, pessimistic */
    int meets;                /* volume >= need (and history supports a flag MQL-to-SQL) */
    int meets_pessimistic;    /* volume >= need_hi as well */
} mql_dplan_row;

typedef struct mql_dplan {
    mql_dplan_in in;
    double acv;               /* used ACV */
    size_t acv_n;             /* won leads behind a data ACV (0 when given) */
    double deals_per_month;   /* revenue per month / ACV */
    size_t n_months;          /* months of history behind the volumes */
    size_t n_rows;
    mql_dplan_row *rows;      /* increasing threshold */
    mql_threshold_pick pick;  /* mql_threshold_for_needs over the rows */
    mql_funnel_out funnel;    /* the full funnel at the picked threshold */
} mql_dplan;

/* Runs the plan on a scored history s and its sweep sw (mql_eval_sweep over s; thresholds are
 * the sweep's rows). MQL_EUSAGE naming the option when revenue / ACV / a given rate is invalid,
 * or when a rate must come from the data and s has no SQL flag ("--mql-to-sql or --sql");
 * MQL_EDATA when the history has no months (volumes per month need --date), no won lead with an
 * ACV (and --acv not given as a number), or no threshold with usable rates. Free with
 * mql_dplan_free. */
int mql_dplan_run(const mql_scored *s, const mql_bt_sweep *sw, const mql_dplan_in *in,
                  mql_dplan **out, mql_err *err);
void mql_dplan_free(mql_dplan *p);

/* One row per threshold: threshold, mqls_per_month, rated, sqls, mql_to_sql, mql_to_sql_lo,
 * mql_to_sql_hi, sql_won, sql_to_won, sql_to_won_lo, sql_to_won_hi, mql_to_won, need_per_month,
 * need_optimistic, need_pessimistic, meets (yes / no / empty when the rates are not usable). */
mql_tab *mql_dplan_thresholds_tab(const mql_dplan *p);

/* The funnel at the picked threshold: stage, per_month, per_month_whole, per_quarter,
 * per_quarter_whole, computed_as (each figure's computation in words, with the counts behind
 * every data rate), then the range rows and the historical volume. */
mql_tab *mql_dplan_stages_tab(const mql_dplan *p);

/* The answer in one or two sentences into buf: the threshold that meets the plan, its volume
 * against the need and its conversion; or that none does and by how much. Returns the full
 * length (as snprintf). */
size_t mql_dplan_sentence(const mql_dplan *p, char *buf, size_t cap);

#endif
