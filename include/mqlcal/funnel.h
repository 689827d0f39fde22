/* funnel.h: pipeline math (DESIGN.md section 5): back-solves from a revenue target and ACV through
 * win, SQL-to-opportunity and MQL-to-SQL rates to the MQLs needed per month and per quarter, and
 * picks the score threshold whose history delivers that volume at that conversion. */
#ifndef MQLCAL_FUNNEL_H
#define MQLCAL_FUNNEL_H

#include <stddef.h>
#include "mqlcal/common.h"

typedef enum mql_period { MQL_PERIOD_MONTH = 0, MQL_PERIOD_QUARTER = 1 } mql_period;

/* A conversion rate with an optional interval (e.g. a Wilson 95% interval from history). */
typedef struct mql_rate {
    double value;
    double lo, hi;            /* used only when has_interval */
    int has_interval;
} mql_rate;

/* A rate k / n with its Wilson 95% interval (mql_wilson). Returns MQL_EDATA with err naming
 * what when n <= 0 or k is outside [0, n], or when k == 0 (a zero rate cannot be planned with). */
int mql_rate_from_counts(double k, double n, mql_rate *out, mql_err *err);

typedef struct mql_funnel_in {
    double revenue;           /* --revenue: target for one period */
    mql_period period;        /* the period the revenue target covers */
    double acv;               /* --acv: average contract value of a won deal */
    mql_rate win_rate;        /* --win-rate: opportunity -> won */
    mql_rate sql_to_opp;      /* --sql-to-opp */
    mql_rate mql_to_sql;      /* --mql-to-sql */
    long cycle_days;          /* --cycle-days: lead creation to close */
    int has_cycle;            /* cycle_days given */
    long start_day;           /* target period's first day, days since 1970-01-01 */
    int has_start;            /* start_day given */
} mql_funnel_in;

/* One pass down the funnel. Fractional values are kept exactly; the *_ceil counts round each
 * stage's own fractional value up (ignoring float noise below 1e-9 relative, so 400.0000000001
 * MQLs stay 400), they are not re-chained from rounded upstream counts. */
typedef struct mql_funnel_stage {
    double deals, opps, sqls, mqls;
    double deals_ceil, opps_ceil, sqls_ceil, mqls_ceil;
} mql_funnel_stage;

typedef struct mql_funnel_out {
    mql_funnel_stage month, quarter;          /* at the point rates */
    double mql_to_won;                        /* product of the three rates */
    /* Range from interval endpoints: optimistic = every rate at its upper end (fewest MQLs),
     * pessimistic = every rate at its lower end (most MQLs). This is a bound from the endpoints,
     * not a joint confidence interval: the three errors are not all extreme at once. Rates without
     * an interval enter at their point value. */
    int has_range;
    mql_funnel_stage month_optimistic, month_pessimistic;
    mql_funnel_stage quarter_optimistic, quarter_pessimistic;
    /* Latest date MQLs can be created and still close inside the target period: start - cycle. */
    int has_create_by;
    long create_by_day;                       /* days since 1970-01-01 */
    int create_by_year, create_by_month;      /* the calendar month of create_by_day */
} mql_funnel_out;

/* Bounds that keep every figure of a plan finite and printable: amounts (revenue, ACV) from a
 * cent to a trillion, rates from 0.01% (so at most 1e26 MQLs, never inf). */
#define MQL_FUNNEL_AMOUNT_MIN 0.01
#define MQL_FUNNEL_AMOUNT_MAX 1e12
#define MQL_FUNNEL_RATE_MIN 1e-4

/* Validates in and computes out. Per month = per quarter / 3. Validation (MQL_EUSAGE, err names
 * the option): --revenue and --acv in [MQL_FUNNEL_AMOUNT_MIN, MQL_FUNNEL_AMOUNT_MAX]; each rate
 * in [MQL_FUNNEL_RATE_MIN, 1]; with an interval, MIN <= lo <= rate <= hi <= 1; --cycle-days in
 * [0, 3650] when given. The create-by date needs both the cycle and the start day. */
int mql_funnel_compute(const mql_funnel_in *in, mql_funnel_out *out, mql_err *err);

/* Civil date of a day number (days since 1970-01-01), proleptic Gregorian. */
void mql_civil_from_days(long day, int *year, int *month, int *mday);

/* ---- threshold meeting a plan --------------------------------------------------------------- */

/* History at one candidate threshold (a lead is an MQL when score >= threshold). */
typedef struct mql_threshold_hist {
    double threshold;
    double mqls_per_month;    /* historical MQL volume per month */
    double converted;         /* matured MQLs that converted (to won, or to SQL: caller's choice) */
    double matured;           /* matured MQLs behind the rate */
} mql_threshold_hist;

typedef enum mql_pick_status {
    MQL_PICK_MET = 0,         /* a threshold meets volume and conversion */
    MQL_PICK_SHORT_VOLUME,    /* no threshold yields the volume */
    MQL_PICK_SHORT_RATE       /* some yield the volume, none of those converts well enough */
} mql_pick_status;

typedef struct mql_threshold_pick {
    mql_pick_status status;
    size_t index;             /* chosen candidate (MET) or the closest one (SHORT_*) */
    double threshold;
    double volume;            /* its MQLs per month */
    double rate, rate_lo, rate_hi;   /* its conversion and Wilson 95% interval */
    double volume_short;      /* required - best available volume, per month (SHORT_VOLUME) */
    double rate_short_points; /* (required - best rate at enough volume) * 100 (SHORT_RATE) */
} mql_threshold_pick;

/* Finds the highest threshold (fewest, best MQLs) whose volume >= need_per_month and whose
 * conversion meets need_rate: the point estimate, or with use_lower_bound its Wilson lower bound.
 * When none does: SHORT_VOLUME names the highest-volume candidate and how far short it is;
 * SHORT_RATE names, among candidates with enough volume, the best-converting one and the gap in
 * percentage points. Candidates may come in any order; rows with matured == 0 have no rate and
 * never meet it. MQL_EUSAGE when need_per_month <= 0 or need_rate is not in (0, 1]; MQL_EDATA when
 * n == 0 or a row is invalid (negative or non-finite volume, converted outside [0, matured]). */
int mql_threshold_for_plan(const mql_threshold_hist *hist, size_t n, double need_per_month,
                           double need_rate, int use_lower_bound, mql_threshold_pick *out,
                           mql_err *err);

/* The same question when each candidate has its own requirement: need_per_month[i] is the MQL
 * volume candidate i must deliver given the conversion rates it is planned with (rates taken from
 * the data at that threshold make the need differ per threshold). A candidate meets the plan when
 * its volume >= need_per_month[i] and, when need_rate is finite, its historical conversion
 * (converted / matured, or its Wilson lower bound with use_lower_bound) >= need_rate (a rate the
 * plan assumed, e.g. --mql-to-sql, which history must support). need_per_month[i] NAN marks a
 * candidate that cannot be planned with (a zero rate): it never meets. The highest meeting
 * threshold is chosen. When none does: SHORT_RATE when some candidate has the volume but not the
 * conversion (the best converting of those, gap in points), else SHORT_VOLUME naming the
 * candidate closest to its need (largest volume / need) with volume_short = need - volume.
 * mql_threshold_for_plan is this with one constant need. Errors as mql_threshold_for_plan
 * (need_rate, when finite, in (0, 1]; a finite need must be > 0); EDATA when no candidate has a
 * finite need. */
int mql_threshold_for_needs(const mql_threshold_hist *hist, const double *need_per_month,
                            size_t n, double need_rate, int use_lower_bound,
                            mql_threshold_pick *out, mql_err *err);

#endif
