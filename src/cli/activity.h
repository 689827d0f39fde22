/* activity.h (front end): the activity-log options of `fit`, `score` and `review`, and turning
 * a loaded lead file into snapshot rows with decayed event features. Private to src/cli/. */
#ifndef MQLCAL_CLI_ACTIVITY_H
#define MQLCAL_CLI_ACTIVITY_H

#include "cli.h"
#include "mqlcal/activity_fit.h"

typedef struct cli_activity {
    const char *path;          /* --activity FILE */
    const char *event_key;     /* --event-key COL (default: the --key name) */
    const char *event_type;    /* --event-type COL */
    const char *event_time;    /* --event-time COL */
    const char *event_count;   /* --event-count COL */
    const char *as_of_days;    /* --as-of-days D */
    const char *as_of;         /* --as-of DATE (score) */
    const char *every;         /* --snapshot-every DAYS */
    const char *horizon;       /* --horizon-days DAYS */
    const char *decay;         /* --decay SPEC | TYPE=SPEC,... */
    const char *won_date;      /* --won-date COL */
} cli_activity;

extern const char *const cli_activity_usage;

/* Matches one activity option like cli_opt (1 consumed, 0 not one, -1 missing value). */
int cli_activity_opt(cli_activity *a, int argc, char **argv, int *i);

/* What the activity step did, for the command's summary. */
typedef struct cli_activity_run {
    mql_activity *log;
    mql_activity_setup setup;  /* after cli_activity_apply: leads NULL (replaced by the
                                  snapshot table), y = lead_y */
    mql_activity_data *data;   /* owns the snapshot table until handed to the cli_data */
    double *won_day;
    unsigned char *lead_y;     /* the leads' outcome, per lead (the table is replaced) */
    unsigned char *fit_mask;   /* per type: 1 when --decay says fit (NULL: nothing to fit) */
    int fitted;                /* the decays were fitted (cli_activity_fit) */
    mql_decay_report report;
    char mode_text[160];       /* "as of 14 days after creation", ... */
} cli_activity_run;

void cli_activity_run_free(cli_activity_run *r);

/* After cli_leads_load: reads the activity log, builds the snapshots and replaces d's table,
 * outcome and SQL stage by the snapshot rows with one engagement column per event type. The
 * decay of each type: from model (its per-event rules) when given, else --decay ('fit' types
 * start at none and are fitted by cli_activity_fit). The event columns join fo's engagement
 * group (fo may be NULL). Prints what it left out (stderr). Returns an exit code; on failure it
 * has printed the error. */
int cli_activity_apply(const cli_activity *a, const cli_leads *l, cli_data *d,
                       const struct mql_points *model, cli_fit_opts *fo, cli_activity_run *run);

/* After cli_fit_prepare: fits the decay of the types --decay marks 'fit' (nothing to do
 * otherwise). Returns an exit code, the error printed. */
int cli_activity_fit(cli_activity_run *run, cli_data *d, cli_fit_opts *fo);

/* The fitted decays, their intervals and the held-out comparison, for the fit summary. */
void cli_activity_print_fit(FILE *f, const cli_activity_run *run, const cli_data *d);

/* After the points step: records each event feature's decay (and the per-event points of the
 * fitted linear term) in the model's points table, so the rules and `score` carry them. */
int cli_activity_annotate(const cli_activity_run *run, const cli_data *d, mql_model *m);

/* Writes the snapshot table the model was fitted on (CSV: snapshot_at, snapshot_y, the lead's
 * columns, the event features with every digit) to path, atomically; for references (R glm on
 * the same rows) and audits. Returns an exit code, the error printed. */
int cli_activity_write_table(const char *path, const cli_activity_run *run, const cli_data *d);

/* The leads not won, each looked at once on the moment at (days since 1970-01-01) with the
 * model's decays and again with none: *n_mql are MQLs by model m then, *n_stale more would be if
 * engagement never decayed. Returns an exit code, the error printed. */
int cli_activity_stale(const cli_activity_run *run, const cli_data *d, const struct mql_points *m,
                       double at, size_t *n_mql, size_t *n_stale);

#endif
