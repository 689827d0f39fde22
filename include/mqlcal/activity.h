/* activity.h: engagement from an activity log (one row per event: lead key, event type,
 * timestamp, optional count, the shape of HubSpot and Marketo activity exports), turned into
 * time-honest features: a lead is looked at as of a moment, only events strictly before that
 * moment count, and an event's weight falls with its age (decay).
 *
 * Snapshots (the observations a model is fitted on):
 *  - as of a fixed offset from creation (`--as-of-days D`): one row per lead at created + D;
 *  - a panel (`--snapshot-every E --horizon-days H`): rows at created, created + E, ... while
 *    the lead is open (not yet converted), each with the outcome "converted within H days after
 *    the snapshot". This is a discrete-time model of conversion: each open lead-period is one
 *    observation, the outcome is the event in the following window, and the rows of one lead are
 *    treated as independent given their features (the usual discrete-time hazard assumption;
 *    standard errors that ignore the within-lead correlation are somewhat optimistic);
 *  - as of one date for every lead (`score --as-of DATE`).
 * A snapshot whose outcome window is not over at the data's end date is censored: counted,
 * excluded from fitting and from every rate, as --maturity does for leads. */
#ifndef MQLCAL_ACTIVITY_H
#define MQLCAL_ACTIVITY_H

#include <stddef.h>
#include <stdint.h>

#include "mqlcal/common.h"
#include "mqlcal/table.h"

/* ---- decay ---------------------------------------------------------------------------------- */

typedef enum mql_decay_kind {
    MQL_DECAY_NONE = 0,       /* weight 1 at every age */
    MQL_DECAY_WINDOW,         /* weight 1 while age <= days, then 0 */
    MQL_DECAY_HALF_LIFE       /* weight 2^(-age / days) */
} mql_decay_kind;

typedef struct mql_decay {
    mql_decay_kind kind;
    double days;              /* window length or half-life, > 0 (unused for NONE) */
} mql_decay;

/* Parses "none", "window:N" or "half-life:D" (days; a trailing "d" is allowed; N and D finite,
 * 0 < N, D <= 36500). Returns MQL_OK or MQL_EUSAGE with err naming the text. */
int mql_decay_parse(const char *text, mql_decay *d, mql_err *err);

/* The weight of an event of the given age in days (age >= 0). */
double mql_decay_weight(const mql_decay *d, double age_days);

/* The spec as mql_decay_parse reads it back ("half-life:14", "window:30", "none"). Returns buf. */
const char *mql_decay_spec(const mql_decay *d, char *buf, size_t cap);

/* The decay in words with the platform equivalent: "half-life 14 days: an event loses 4.8% of
 * its points a day, 77.3% a month (30.4 days)", "counts for 30 days", "never decays". */
const char *mql_decay_text(const mql_decay *d, char *buf, size_t cap);

/* The share of its points an event loses per period of `days` days (HubSpot's "decay by X% per
 * month" with days = 30.4375): 1 - 2^(-days / half-life); 0 for none; NAN for a window. */
double mql_decay_loss_per(const mql_decay *d, double days);

/* ---- the activity log ----------------------------------------------------------------------- */

typedef struct mql_activity_spec {
    const char *path;         /* the events CSV */
    const char *key;          /* the lead key column in the leads table */
    const char *event_key;    /* its name in the events file (NULL: the same as key) */
    const char *type_col;     /* event type column (NULL: detect: event_type, activity_type,
                                 type, event, activity, in that order) */
    const char *time_col;     /* timestamp column (NULL: detect: timestamp, occurred_at,
                                 event_time, time, date, created_at; else the only date column) */
    const char *count_col;    /* optional count column (NULL: "count" when present, else 1 per
                                 row) */
    char delim;               /* 0: detect */
} mql_activity_spec;

struct mql_key_index;

/* Events linked to the leads of one table, grouped by lead and sorted by time. */
typedef struct mql_activity {
    struct mql_key_index *keys;   /* lead key text -> lead (mql_activity_lookup) */
    char *source;             /* the events file, for messages */
    size_t n_types;
    char **types;             /* event type names, sorted (byte order), distinct */
    size_t n_leads;           /* rows of the leads table */
    size_t *start;            /* n_leads + 1: events of lead i are [start[i], start[i + 1]) */
    double *time;             /* event time, days since 1970-01-01 (fraction: time of day) */
    uint32_t *type;           /* index into types */
    double *count;            /* events the row stands for (>= 0) */
    size_t n_events;          /* linked events */
    /* what was left out or is worth saying (counted, reported by the caller): */
    size_t n_rows;            /* rows in the events file */
    size_t n_unknown_key;     /* key not in the leads table */
    char unknown_example[64]; /* the first such key */
    size_t unknown_line;      /* its line in the events file */
    size_t n_no_key, n_no_time, n_no_type;   /* rows with that cell missing */
    size_t n_before_created;  /* linked events earlier than their lead's created date (kept:
                                 anonymous activity later attributed to the lead) */
    double first_day, last_day;   /* range of linked event times (NAN: none) */
} mql_activity;

/* Reads the events file and links its rows to the leads of t by key (text as written, blanks
 * trimmed, compared exactly; both key columns are read as text). t may be NULL: then the leads
 * are the log's distinct keys (streaming scorers look them up with mql_activity_lookup). created_col is the leads' DATE
 * column (-1: none; then n_before_created stays 0). Errors (MQL_EUSAGE / MQL_EDATA, "events.csv:
 * ..."): a missing column (with the columns present), a time column that is not a date, a
 * negative or non-numeric count, a duplicate lead key in t (both rows named), no event linked to
 * any lead. MQL_EIO when the file cannot be read. Free *out with mql_activity_free. */
int mql_activity_load(const mql_activity_spec *spec, const mql_table *t, long created_col,
                      mql_activity **out, mql_err *err);
void mql_activity_free(mql_activity *a);

/* Index of the event type called name, or -1. */
long mql_activity_type(const mql_activity *a, const char *name);

/* The lead (row of the leads table) whose key is key (blanks trimmed), or -1. */
long mql_activity_lookup(const mql_activity *a, const char *key);

/* Feature values are decayed event counts rounded to 1 / MQL_ACTIVITY_RESOLUTION of an event
 * (nearbyint: ties to even), so rules on them, written at the data's precision, tile the axis. */
#define MQL_ACTIVITY_RESOLUTION 1000.0

/* The decayed count of lead's events of type k strictly before the moment at (days since
 * 1970-01-01): sum of count * weight(at - time), rounded as above. */
double mql_activity_value(const mql_activity *a, size_t lead, size_t k, const mql_decay *d,
                          double at);

/* ---- snapshots -------------------------------------------------------------------------------- */

typedef enum mql_snap_mode {
    MQL_SNAP_AS_OF_DAYS = 0,  /* one per lead at created + as_of_days */
    MQL_SNAP_AS_OF_DATE,      /* one per lead at the fixed moment as_of (and not before created) */
    MQL_SNAP_PANEL            /* every `every` days from created while open, outcome within
                                 `horizon` days */
} mql_snap_mode;

typedef struct mql_snap_spec {
    mql_snap_mode mode;
    double as_of_days;        /* AS_OF_DAYS: >= 0 */
    double as_of;             /* AS_OF_DATE: days since 1970-01-01 */
    double every;             /* PANEL: > 0 */
    double horizon;           /* PANEL: > 0 */
    double end_day;           /* the data's end (NAN: no censoring): a snapshot whose moment is
                                 after it is not made; a PANEL row whose window ends after it, or
                                 an AS_OF_DAYS row of a lead that has not converted and whose
                                 moment + horizon (horizon > 0) ends after it, is censored */
} mql_snap_spec;

typedef struct mql_snapshots {
    size_t n;
    size_t *lead;             /* leads-table row of each snapshot */
    double *at;               /* the moment (days since 1970-01-01) */
    unsigned char *y;         /* outcome of the row: the lead's outcome (AS_OF_*), or converted
                                 within the horizon (PANEL) */
    unsigned char *censored;  /* 1: outcome not known yet (excluded from fitting and rates) */
    size_t n_censored;
    size_t n_converted_before;/* leads (AS_OF_DAYS) that had converted before their moment:
                                 left out, as they were no longer open to be scored */
    size_t n_no_date;         /* leads without a created date: left out */
} mql_snapshots;

/* Builds snapshots of the leads of t. created_col: DATE column (required for AS_OF_DAYS and
 * PANEL). y: the leads' outcome (n_rows). won_day: per lead the day it converted (NAN: never or
 * unknown), needed by PANEL (MQL_EUSAGE without it) and used by AS_OF_DAYS to leave out leads
 * converted before their moment; may be NULL otherwise. Free with mql_snapshots_free. */
int mql_snapshots_build(const mql_table *t, long created_col, const unsigned char *y,
                        const double *won_day, const mql_snap_spec *spec, mql_snapshots **out,
                        mql_err *err);
void mql_snapshots_free(mql_snapshots *s);

/* Feature of event type k at every snapshot: x[s] = sum over the lead's events of type k with
 * time < at[s] of count * weight(at[s] - time), rounded as mql_activity_value. Events at or after the moment never count. x has
 * snaps->n entries, caller-owned. */
void mql_activity_feature(const mql_activity *a, const mql_snapshots *snaps, size_t k,
                          const mql_decay *d, double *x);

/* ---- fitting the decay -------------------------------------------------------------------- */

/* The log-likelihood of the model with the decay of event type k set to d (the other types at
 * their current decay), maximised over the regression coefficients. Returns MQL_OK or a status
 * with err filled. */
typedef int (*mql_decay_loglik_fn)(void *ctx, size_t k, const mql_decay *d, double *ll,
                                   mql_err *err);

typedef struct mql_decay_fit {
    mql_decay best;           /* the fitted half-life (or NONE when no decay fits best) */
    double loglik;            /* at best */
    double lo, hi;            /* likelihood-ratio 95% interval of the half-life in days:
                                 {h : 2 (loglik - ll(h)) <= 3.841}; hi = INFINITY when it reaches
                                 "no decay", lo = the grid's floor when it reaches it */
    int lo_open, hi_open;     /* the interval reached the grid's end on that side */
    double loglik_none;       /* no decay */
    mql_decay best_window;    /* the best window on the same grid */
    double loglik_window;
    size_t n_evals;
} mql_decay_fit;

/* The half-life grid searched (days): 1 to 1000, 24 points evenly spaced on the log scale, and
 * "none". */
#define MQL_DECAY_MIN_DAYS 1.0
#define MQL_DECAY_MAX_DAYS 1000.0

/* Profile likelihood of event type k's half-life: ll on the grid, then a golden-section search
 * on log(half-life) around the best grid point (to 0.5% of the half-life), then the interval
 * ends by bisection on log(half-life) (to 0.5%); no decay is the limit of an infinite half-life
 * and is compared directly. The best window is searched on the same grid. The callback is
 * called with type k only; what the other types use is the caller's state. Returns MQL_OK or
 * the callback's status. */
int mql_decay_profile(mql_decay_loglik_fn ll, void *ctx, size_t k, mql_decay_fit *out,
                      mql_err *err);

#endif
