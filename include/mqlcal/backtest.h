/* backtest.h: the numeric core of `mqlcal backtest` (DESIGN.md section 4 "Thresholds"): threshold
 * sweeps, a recommendation under a stated constraint, two-cut banding, and the time helpers
 * (months, quarters, maturity censoring, walk-forward / train-until / holdout / K-fold splits).
 *
 * Conventions shared by every function here:
 *  - A lead is an MQL at threshold t when score >= t. Scores are doubles: integer points from a
 *    points model stored as doubles, or probabilities.
 *  - Censored leads (too young to have converted, see mql_censor_mask) count in volume (MQLs,
 *    share of leads, MQLs per month, leads below) but are excluded from every rate and from every
 *    count of SQLs, won deals and ACV: MQL-to-SQL, MQL-to-won, recall, lift, precision, F1, ACV
 *    captured and won missed all use uncensored ("rated") leads only.
 *  - Proportions carry Wilson 95% intervals (mql_wilson, z = 1.959963984540054).
 *  - Inputs are caller-owned arrays; results go into caller-owned structs, or into objects the
 *    function allocates and the caller frees with the named _free function.
 *  - Return MQL_OK, or MQL_EDATA (bad data), MQL_EUSAGE (a bad option value; the message names the
 *    option or the constraint), MQL_ENOMEM, with err filled (err may be NULL). */
#ifndef MQLCAL_BACKTEST_H
#define MQLCAL_BACKTEST_H

#include <limits.h>
#include <stddef.h>
#include "mqlcal/common.h"

/* Month index of a lead with no date. */
#define MQL_NO_MONTH LONG_MIN

/* The leads of one backtest: n rows, every array of length n, all caller-owned. */
typedef struct mql_bt_input {
    size_t n;
    const double *score;             /* finite; -0.0 and 0.0 are the same score */
    const unsigned char *won;        /* 0/1 (non-zero counts as 1) */
    const unsigned char *sql;        /* 0/1, or NULL: no SQL stage (SQL figures are NAN) */
    const long *month;               /* months since 1970-01 (mql_month_index), MQL_NO_MONTH for a
                                      * lead without a date; NULL: no date column (per month NAN) */
    const double *acv;               /* deal value, NAN for none; NULL: no ACV column */
    const unsigned char *censored;   /* 1 = censored; NULL: none censored */
    size_t months;                   /* month NULL: the months the leads cover, as stated
                                      * (--months); 0: unknown (per month NAN) */
} mql_bt_input;

/* Whole-data figures behind the rates of every row. */
typedef struct mql_bt_totals {
    size_t n;                 /* leads */
    size_t n_censored;        /* censored leads (counted in volume only) */
    size_t n_rated;           /* n - n_censored: the denominator of every base rate */
    size_t won, sqls;         /* among rated leads */
    double base_won_rate;     /* won / n_rated */
    double base_sql_rate;     /* sqls / n_rated (NAN without SQL) */
    double acv_won;           /* sum of finite acv over rated won leads (0 without ACV) */
    size_t won_without_acv;   /* rated won leads whose acv is NAN (all of them without ACV) */
    int has_sql, has_months, has_acv;
    long first_month, last_month;   /* over leads with a month (has_months) */
    size_t n_months;          /* last - first + 1: months spanned, inclusive; 0 without months */
    size_t n_no_month;        /* leads with MQL_NO_MONTH (counted as leads, not in the span) */
} mql_bt_totals;

/* One candidate threshold. "rated" = uncensored. */
typedef struct mql_bt_row {
    double threshold;
    size_t mqls;              /* leads with score >= threshold, censored included */
    double share;             /* mqls / n */
    double mqls_per_month;    /* mqls / totals.n_months; NAN without months */
    size_t censored;          /* censored MQLs */
    size_t rated;             /* mqls - censored: denominator of the MQL rates */
    size_t sqls, won;         /* among rated MQLs */
    double sql_rate, sql_lo, sql_hi;   /* MQL-to-SQL and Wilson 95%; NAN without SQL or rated 0 */
    double won_rate, won_lo, won_hi;   /* MQL-to-won (= precision); NAN when rated == 0 */
    double recall;            /* won / totals.won; NAN when totals.won == 0 */
    double lift;              /* won_rate / totals.base_won_rate; NAN when rated == 0 or
                                 totals.won == 0 */
    double precision;         /* won / rated, the same number as won_rate; NAN when rated == 0 */
    double f1;                /* 2 P R / (P + R) = 2 won / (rated + totals.won); 0 when won == 0,
                                 NAN when rated + totals.won == 0 */
    double acv_won;           /* sum of acv over rated won MQLs */
    double acv_share;         /* acv_won / totals.acv_won; NAN when that total is 0 */
    size_t below;             /* n - mqls: leads below the threshold */
    size_t won_missed;        /* totals.won - won: rated won leads below the threshold */
} mql_bt_row;

/* A sweep: totals and rows in increasing threshold order (rows[0] is the loosest). */
typedef struct mql_bt_sweep {
    mql_bt_totals totals;
    size_t n_rows;
    mql_bt_row *rows;
} mql_bt_sweep;

/* Sweeps thresholds over the leads. Candidates: thresholds[0..n_thresholds) in any order
 * (duplicates are merged), or, with thresholds == NULL, every distinct score. Rows come out in
 * increasing threshold order. Algorithm: one stable radix sort of the leads by score, descending,
 * then a single linear pass accumulating counts; a row is emitted when the pass crosses a
 * candidate, so the cost is O(n + m log m) after the sort (1M leads: see scripts/bench_backtest.c).
 * EDATA when n == 0 or a score is not finite. With no won rated lead every rate is 0 and recall,
 * lift and the bands' won share are NAN; with no rated lead at all (every lead censored) the base
 * rates, every rate and F1 are NAN too; EUSAGE when a given threshold is not finite or n_thresholds == 0 with
 * thresholds != NULL. On success *out is a new sweep the caller frees with mql_bt_sweep_free. */
int mql_bt_sweep_run(const mql_bt_input *in, const double *thresholds, size_t n_thresholds,
                     mql_bt_sweep **out, mql_err *err);
void mql_bt_sweep_free(mql_bt_sweep *s);

/* Parses a --thresholds value: "a:b:step" (a, a + step, ... up to b inclusive, b included when
 * within 1e-9 step of the grid) or a comma-separated list "50,60,75". Grid values are rounded to
 * the decimals written in a and step, so "0.1:0.5:0.1" gives exactly the doubles 0.1, 0.2, 0.3,
 * 0.4, 0.5 (not 0.30000000000000004, which would wrongly exclude a score of 0.3). At most 100000
 * values. EUSAGE, with the message starting with opt (e.g. "--thresholds"), when a part is not a
 * number, step <= 0, a > b, or the grid is too long. On success *out is malloc'd (caller frees
 * with free()) and *n_out is its length. */
int mql_thresholds_parse(const char *spec, const char *opt, double **out, size_t *n_out,
                         mql_err *err);

/* ---- recommendation --------------------------------------------------------------------------- */

typedef enum mql_bt_goal {
    MQL_GOAL_CAPACITY = 0,    /* value = max MQLs per month (SDR capacity) */
    MQL_GOAL_MIN_RATE,        /* value = minimum rate R in (0, 1] on `rate` */
    MQL_GOAL_TARGET_VOLUME    /* value = target MQLs per month */
} mql_bt_goal;

typedef enum mql_bt_rate_kind { MQL_RATE_SQL = 0, MQL_RATE_WON } mql_bt_rate_kind;

typedef struct mql_bt_constraint {
    mql_bt_goal goal;
    double value;
    mql_bt_rate_kind rate;    /* MIN_RATE: which rate */
    int use_lower_bound;      /* MIN_RATE: compare the Wilson 95% lower bound, not the estimate */
} mql_bt_constraint;

typedef enum mql_bt_rec_status {
    MQL_REC_MET = 0,          /* a threshold meets the constraint */
    MQL_REC_OVER,             /* CAPACITY / TARGET_VOLUME: even the strictest threshold is over */
    MQL_REC_SHORT_RATE,       /* MIN_RATE: no threshold reaches the rate */
    MQL_REC_SHORT_VOLUME      /* TARGET_VOLUME: even the loosest threshold is under the target */
} mql_bt_rec_status;

typedef struct mql_bt_rec {
    mql_bt_rec_status status;
    size_t index;             /* row chosen (MET) or the closest row (strictest for OVER, best
                               * rate for SHORT_RATE, loosest for SHORT_VOLUME) */
    int has_above;            /* TARGET_VOLUME, MET: the next looser row (volume above target) */
    size_t above;
    double achieved;          /* at index: MQLs per month, or the rate (or its lower bound) */
    double shortfall;         /* 0 when MET; OVER: MQLs/month above the limit; SHORT_RATE: rate
                               * points below R (100 * (R - best)); SHORT_VOLUME: MQLs/month short */
} mql_bt_rec;

/* Recommends a row of the sweep under one constraint:
 *  CAPACITY: the lowest threshold (most won deals captured, since recall never falls as the
 *    threshold falls) with MQLs/month <= capacity; OVER when even the strictest row exceeds it.
 *  MIN_RATE: the lowest threshold whose rate (or Wilson lower bound) is >= R; rates are not
 *    monotone in the threshold, so every row is checked; rows with no rated MQL never qualify.
 *    SHORT_RATE names the row with the best rate (the strictest among equals).
 *  TARGET_VOLUME: the row whose MQLs/month is closest to N from below (the lowest threshold with
 *    volume <= N) and, when there is one, the next looser row (volume > N); OVER when every row is
 *    above N, SHORT_VOLUME when every row is below N (the loosest row is then named).
 * EUSAGE when capacity or target is not > 0, R is not in (0, 1]; EDATA when the sweep has no rows,
 * a volume goal meets a sweep without months, an SQL rate one without SQL data, or no row has a
 * rate at all. */
int mql_bt_recommend(const mql_bt_sweep *s, const mql_bt_constraint *c, mql_bt_rec *out,
                     mql_err *err);

/* Writes the recommendation as one sentence into buf (always NUL-terminated when cap > 0), worded
 * the same for every front end, e.g. "even the strictest threshold 95 gives 212 MQLs/month, 12 over
 * capacity 200" or "the best MQL-to-SQL is 21.3% at threshold 90, 3.7 points short of 25%".
 * Numbers: thresholds in shortest round-trip form; volumes, capacity and target with at most two
 * decimals (trailing zeros dropped: 212, 1.83); rates and rate gaps in percent with one decimal;
 * the required rate R in percent with at most two decimals (25%, 12.5%). Returns the sentence's
 * full length (as snprintf does), so a result >= cap means it was truncated. */
size_t mql_bt_rec_sentence(const mql_bt_sweep *s, const mql_bt_constraint *c,
                           const mql_bt_rec *r, char *buf, size_t cap);

/* ---- two-cut banding -------------------------------------------------------------------------- */

typedef enum mql_band_id { MQL_BAND_MQL = 0, MQL_BAND_NURTURE, MQL_BAND_REJECT } mql_band_id;

typedef struct mql_bt_band {
    size_t leads, censored, rated;
    size_t sqls, won;         /* among rated leads */
    double share;             /* leads / n */
    double per_month;         /* leads / months spanned; NAN without months */
    double sql_rate, sql_lo, sql_hi;   /* NAN without SQL or rated 0 */
    double won_rate, won_lo, won_hi;   /* NAN when rated 0 */
    double won_share;         /* won / all rated won */
    double acv_won;           /* sum of acv over rated won leads of the band */
} mql_bt_band;

typedef struct mql_banding {
    double hi, lo;
    mql_bt_band band[3];      /* indexed by mql_band_id: >= hi, [lo, hi), < lo */
    mql_bt_totals totals;
} mql_banding;

/* Bands the leads by two cuts hi > lo: MQL (score >= hi), nurture (lo <= score < hi), reject
 * (score < lo). EUSAGE unless both cuts are finite and hi > lo; EDATA as mql_bt_sweep_run. */
int mql_banding_compute(const mql_bt_input *in, double hi, double lo, mql_banding *out,
                        mql_err *err);

typedef struct mql_band_choice {
    mql_bt_rec rec;           /* the constraint's recommendation: hi = rows[rec.index] (used even
                               * when not met, so the bands exist; rec.status says so) */
    size_t hi_index, lo_index;  /* rows of the sweep */
    double hi, lo;
    double floor;             /* the floor used */
    int found;                /* 0: no lower row keeps the nurture band at the floor; lo = hi */
    size_t nurture_rated, nurture_won;
    double nurture_rate;      /* the nurture band's MQL-to-won at lo (NAN when !found) */
} mql_band_choice;

/* Chooses the two cuts from a sweep. hi is the threshold mql_bt_recommend picks under c. lo is the
 * lowest threshold below hi whose nurture band [lo, hi), taken as a whole, still converts to won at
 * >= floor: below lo, adding leads would pull the band's MQL-to-won under the floor. The band is
 * judged as a whole rather than by the marginal rate at each score because a single score's few
 * leads make a noisy rate. floor_rate NAN means half the MQL band's MQL-to-won rate at hi.
 * EUSAGE when floor_rate is given and not in (0, 1]; EDATA when the MQL band has no rated lead
 * (no default floor) or as mql_bt_recommend. */
int mql_banding_choose(const mql_bt_sweep *s, const mql_bt_constraint *c, double floor_rate,
                       mql_band_choice *out, mql_err *err);

/* ---- time helpers ----------------------------------------------------------------------------- */

/* Month index (months since 1970-01, so 2024-07 is 54 * 12 + 6 = 654) of a date in days since
 * 1970-01-01 (a fraction is the time of day). MQL_NO_MONTH for NAN or infinite days. */
long mql_month_index(double day);

/* Quarter index ((year - 1970) * 4 + quarter - 1) of a date; LONG_MIN for NAN. */
long mql_quarter_index(double day);
/* The same of a month index: mql_quarter_index(day) is mql_quarter_of_month(mql_month_index(day))
 * (LONG_MIN for MQL_NO_MONTH), for arrays that hold the months already (mql_scored.month). */
long mql_quarter_of_month(long month);

/* First day (days since 1970-01-01) of a month / quarter index. */
long mql_month_start_day(long month);
long mql_quarter_start_day(long quarter);

/* Labels "2024-07" and "2024Q3" into buf; returns buf. */
const char *mql_month_label(long month, char *buf, size_t cap);
const char *mql_quarter_label(long quarter, char *buf, size_t cap);

/* Maturity censoring. The data's end date is the latest date (whole days); a lead is censored
 * when it was created fewer than maturity_days whole days before that end: floor(end) -
 * floor(date) < maturity_days. A lead without a date (NAN) is not censored: its age is unknown
 * and it is counted in *n_no_date. maturity_days = 0 censors nothing. out (length n, caller-
 * allocated) receives 0/1; *end_day (optional) the end date, *n_censored (optional) the count.
 * EUSAGE when maturity_days < 0 ("--maturity"); EDATA when no lead has a date. */
int mql_censor_mask(const double *date, size_t n, long maturity_days, unsigned char *out,
                    size_t *n_censored, size_t *n_no_date, double *end_day, mql_err *err);

/* A time split: train rows have date < train_end, test rows test_start <= date < test_end
 * (test_end may be INFINITY); rows without a date belong to neither. */
typedef struct mql_time_split {
    long quarter;             /* walk-forward: the test quarter's index; LONG_MIN otherwise */
    double train_end;
    double test_start, test_end;
    size_t n_train, n_test;
} mql_time_split;

/* Walk-forward by quarter: the quarters present in the data (with at least one dated lead), in
 * order q_0 < q_1 < ... < q_m; for each q_j, j >= 1: train = dates before q_j's first day, test =
 * dates in q_j. Quarters with no leads are skipped, so a gap never yields an empty test set.
 * EDATA when fewer than two quarters are present. On success *out (malloc'd, caller frees with
 * free()) holds *n_out = m splits. */
int mql_walk_forward(const double *date, size_t n, mql_time_split **out, size_t *n_out,
                     mql_err *err);

/* --train-until D (days since 1970-01-01, whole day): train = date on or before D, test = after.
 * EDATA when either side is empty (the message gives the data's date range). */
int mql_train_until(const double *date, size_t n, long until_day, mql_time_split *out,
                    mql_err *err);

/* Row roles of a time split: role[i] = 1 train, 2 test, 0 neither (no date or after the test
 * window). role has n entries, caller-allocated. */
void mql_split_roles(const mql_time_split *s, const double *date, size_t n, unsigned char *role);

/* Holdout of the last rows in file order: the last ceil(fraction * n) rows are test (role 2), the
 * rest train (role 1). EUSAGE when fraction is not in (0, 1) ("--holdout"); EDATA when either
 * side would be empty. */
int mql_holdout_last(size_t n, double fraction, unsigned char *role, mql_err *err);

/* K-fold assignment: fold[i] in 0..k-1. The rows are shuffled by gsl_ran_shuffle with GSL's
 * mt19937 seeded by gsl_rng_set(r, seed) (GSL maps seed 0 to its default 4357), then dealt to
 * folds round-robin, so fold sizes differ by at most one and the result depends only on (n, k,
 * seed, strata). With strata (0/1 per row, e.g. won; NULL for none) the shuffled rows are dealt
 * class 1 first, then class 0, continuing the same round-robin, so every fold also gets its share
 * (within one) of each class. EUSAGE when k < 2 or k > n ("--folds"); ENOMEM. */
int mql_kfold_assign(size_t n, size_t k, unsigned long seed, const unsigned char *strata,
                     size_t *fold, mql_err *err);

#endif
