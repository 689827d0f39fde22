/* cli.h: the subcommands and the helpers they share (messages, options, atomic output).
 * Only main.c, cli.c and cmd_*.c include this: they are the only code that prints or exits. */
#ifndef MQLCAL_CLI_H
#define MQLCAL_CLI_H

#include <stdio.h>
#include "mqlcal/common.h"
#include "mqlcal/table.h"

/* One entry per subcommand, each in src/cmd_NAME.c. Each returns an exit code (mql_status). */
int cmd_inspect(int argc, char **argv);
int cmd_fit(int argc, char **argv);
int cmd_plan(int argc, char **argv);
int cmd_rules(int argc, char **argv);
int cmd_score(int argc, char **argv);

/* Prints "mqlcal: " + message + newline to stderr. */
void cli_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Prints "mqlcal: warning: " + message to stderr. */
void cli_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Matches argv[*i] against "--name VALUE" or "--name=VALUE". On a match sets *val, advances *i past
 * the value and returns 1; returns -1 (after printing a usage error) when the value is missing;
 * 0 when argv[*i] is another option. */
int cli_opt(int argc, char **argv, int *i, const char *name, const char **val);

/* Atomic output: cli_out_open gives a FILE* for path ("-" or NULL = stdout) that writes to a
 * temporary file beside path; cli_out_close flushes, checks for write errors, and renames it over
 * path (or removes it when ok == 0). Returns MQL_OK or MQL_EIO after printing the error. */
typedef struct cli_out {
    FILE *f;
    char *path;
    char *tmp;
} cli_out;
int cli_out_open(cli_out *o, const char *path);
int cli_out_close(cli_out *o, int ok);

/* The lead-file options every data command shares (DESIGN section 3). Fields hold argv strings
 * (not owned); NULL when not given. */
typedef struct cli_leads {
    const char *path;         /* the leads CSV ("-" = stdin) */
    const char *outcome;      /* --outcome COL or COL=VALUE */
    const char *sql;          /* --sql COL or COL=VALUE */
    const char *date;         /* --date COL */
    const char *acv;          /* --acv COL */
    const char *join;         /* --join FILE: outcome = key found in FILE */
    const char *key;          /* --key COL */
    const char *na;           /* --na "a,b": replaces the missing-value placeholders */
    const char *delim;        /* --delim ',' ';' tab */
    const char *categorical;  /* --categorical a,b */
    const char *exclude;      /* --exclude a,b */
    const char *features;     /* --features a,b */
} cli_leads;

/* Matches one leads option at argv[*i]: 1 consumed (and *i advanced past its value), 0 not a
 * leads option, -1 error already printed. */
int cli_leads_opt(cli_leads *l, int argc, char **argv, int *i);

/* A loaded lead file with its roles. Arrays have table->n_rows entries (y, sql) or n_cols
 * (feature). */
typedef struct cli_data {
    mql_table *table;
    unsigned char *y;         /* outcome 0/1, NULL without --outcome / --join */
    unsigned char *sql;       /* SQL stage 0/1, NULL without --sql */
    long outcome_col;         /* column of --outcome, -1 for --join or none */
    long sql_col;
    long date_col;            /* -1 when not given */
    long acv_col;
    long key_col;             /* --key column, -1 */
    size_t n_pos;             /* rows with y = 1 */
    size_t n_sql;             /* rows with sql = 1 */
    unsigned char *feature;   /* n_cols: 1 when the column is a model feature (not a role, not
                                 identifier-like, not excluded; or listed in --features) */
    char *outcome_label;      /* "won", "Status=Won", "key in deals.csv" for messages */
} cli_data;

/* Reads l->path and evaluates the roles. need_outcome: an outcome is required. Prints its errors
 * and returns the exit code (MQL_OK on success). An outcome with no positive or no negative row
 * is a data error (1); an unknown column a usage error (2). Free with cli_data_free. */
int cli_leads_load(const cli_leads *l, cli_data *d, int need_outcome);
void cli_data_free(cli_data *d);

/* Loads MODEL (a model JSON written by mqlcal, or a hand-written rules CSV) with
 * mql_model_load_any and hands over its points table in *out (the caller frees it with
 * mql_points_free). Prints the error and returns the exit code: 1 for a bad or newer-format file
 * or a model without a points table, 3 when it cannot be read. */
struct mql_points;
int cli_model_points(const char *path, struct mql_points **out);

/* The help text of the leads options, for each command's --help. */
extern const char *const cli_leads_usage;

#endif
