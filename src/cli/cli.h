/* cli.h: the subcommands and the helpers they share (messages, options, atomic output).
 * Only main.c, cli.c and cmd_*.c include this: they are the only code that prints or exits. */
#ifndef MQLCAL_CLI_H
#define MQLCAL_CLI_H

#include <stdio.h>
#include "mqlcal/common.h"
#include "mqlcal/design.h"
#include "mqlcal/glm.h"
#include "mqlcal/model.h"
#include "mqlcal/plan.h"
#include "mqlcal/report_table.h"
#include "mqlcal/table.h"

struct mql_points;

/* One entry per subcommand, each in src/cmd_NAME.c. Each returns an exit code (mql_status). */
int cmd_inspect(int argc, char **argv);
int cmd_plan(int argc, char **argv);
int cmd_fit(int argc, char **argv);
int cmd_backtest(int argc, char **argv);
int cmd_calibrate(int argc, char **argv);
int cmd_compare(int argc, char **argv);
int cmd_rules(int argc, char **argv);
int cmd_score(int argc, char **argv);
int cmd_sql(int argc, char **argv);
int cmd_review(int argc, char **argv);

/* Prints "mqlcal: " + message + newline to stderr. */
void cli_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Prints "mqlcal: warning: " + message to stderr. */
void cli_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* With MQLCAL_TIMINGS=1, prints the seconds since the previous call as phase `done` (NULL: only
 * starts the clock) and the process's peak memory so far. */
void cli_phase(const char *done);
/* Whether MQLCAL_TIMINGS asks for timings (set and not "0"). */
int cli_timings(void);
/* For commands that allocate and free lead-sized arrays in many rounds (review, backtest): freed
 * memory stays with the process for the next round instead of going back to the system, whose
 * fresh pages cost a fault and a zeroing each (a quarter of a review's CPU time on 1M leads). */
void cli_reuse_freed_memory(void);

/* Matches argv[*i] against "--name VALUE" or "--name=VALUE". On a match sets *val, advances *i past
 * the value and returns 1; returns -1 (after printing a usage error) when the value is missing;
 * 0 when argv[*i] is another option. */
int cli_opt(int argc, char **argv, int *i, const char *name, const char **val);

/* 1 when a is "-h" or "--help". */
int cli_is_help(const char *a);

/* Matches "--format F" at argv[*i] like cli_opt (1 / 0 / -1) and parses F into *fmt: table, csv,
 * json, and md when with_md is non-zero (fit has no Markdown form). A bad value is a usage error
 * naming the accepted values. */
int cli_format_opt(int argc, char **argv, int *i, mql_format *fmt, int with_md);

/* Matches "--maturity DAYS" like cli_opt: whole days from 0 to 36500 (0 censors nothing). */
int cli_maturity_opt(int argc, char **argv, int *i, long *days);

/* The positional arguments of one command, collected while parsing. Set cmd (for messages),
 * expect (the positionals as the usage names them, "MODEL and LEADS.csv"; NULL for a command
 * without any), min and max (at most 4); v[0..n) are argv strings (not owned). */
typedef struct cli_pos {
    const char *cmd;
    const char *expect;
    int min, max;
    int n;
    const char *v[4];
} cli_pos;

/* Takes argv[*i], which no option matched: an unknown option ("-x"; "-" alone is stdin) or one
 * argument more than p->max is a usage error, printed with the command's name and what it
 * expects; otherwise the argument is stored and *i advanced. Returns MQL_OK or MQL_EUSAGE. */
int cli_pos_take(cli_pos *p, char **argv, int *i);

/* After parsing: fewer than p->min positionals is a usage error (printed). MQL_OK or
 * MQL_EUSAGE. */
int cli_pos_check(const cli_pos *p);

/* A command's option matcher, called at each argument: like cli_opt it returns 1 when it
 * consumed argv[*i] (and its value; *i advanced), 0 when argv[*i] is none of its options, -1
 * after printing an error. opts is the command's options struct. */
typedef int (*cli_match_fn)(void *opts, int argc, char **argv, int *i);

/* The argument loop of every command: "-h" / "--help" prints usage(stdout) and returns -1 (the
 * command then exits 0); every other argument goes to match, and what it does not take to
 * cli_pos_take; cli_pos_check ends it. Returns MQL_OK, -1, or MQL_EUSAGE (error printed). */
int cli_parse(int argc, char **argv, void (*usage)(FILE *), cli_match_fn match, void *opts,
              cli_pos *pos);

/* Output files (out.c). cli_out_open gives a FILE* for path ("-" or NULL = stdout):
 *  - a regular file or a new name: a temporary file PATH.mqlcal-tmp-PID-XXXXXX beside it, which
 *    cli_out_close flushes, checks for write errors, fsyncs, renames over path (fsyncing the
 *    directory) or, when ok == 0, removes; a SIGINT/SIGTERM/SIGHUP/SIGPIPE meanwhile removes it
 *    too. Leftovers of a run killed outright (SIGKILL) are recognised by that name and a later
 *    run writing the same path warns about them;
 *  - a symbolic link: the same for the file it points to (the link stays a link);
 *  - an existing device, FIFO or socket: written in place (never replaced), where a write error
 *    is an error like any other;
 *  - a directory: an error.
 * Each returns MQL_OK, MQL_EIO or MQL_ENOMEM after printing the error. */
typedef struct cli_out {
    FILE *f;
    char *path;               /* as given, for messages; NULL for stdout */
    char *target;             /* the file replaced (path with symlinks followed) */
    char *tmp;                /* NULL when written in place */
} cli_out;
int cli_out_open(cli_out *o, const char *path);
int cli_out_close(cli_out *o, int ok);

/* The command line's check that no -o / --output FILE (also -o=FILE, --output=FILE) is a file
 * another argument names (the same file by device and inode: through "./", a hard link or a
 * symbolic link too; "-" is standard input): argv[0..argc) are the command's arguments.
 * Returns MQL_OK, or MQL_EUSAGE after printing the error. */
int cli_out_not_input(int argc, char **argv);

/* The end of a command that wrote its report to o: closes o when it is open (keeping the output
 * only when st is MQL_OK) and returns st, or the close's error when st was MQL_OK. */
int cli_out_finish(cli_out *o, int st);

/* Installs the handlers that remove the temporary files and directories of unfinished outputs
 * on SIGINT, SIGTERM, SIGHUP and SIGPIPE, then let the signal take its default course. Called
 * once by main. */
void cli_signals_init(void);
/* Removes the temporary files and directories of outputs not yet finished, as the signal
 * handler does (async-signal-safe). */
void cli_remove_temps(void);

/* Registers / forgets a temporary path for removal on those signals (a directory is removed
 * with its files). At most 8 at a time; returns 0 or -1 when the table is full. */
int cli_tmp_register(const char *path, int is_dir);
void cli_tmp_forget(const char *path);

/* "PATH.mqlcal-tmp-PID-XXXXXX": a fresh malloc'd template for mkstemp / mkdtemp, NULL when out
 * of memory. Warns (once per path) about leftovers PATH.mqlcal-tmp-PID-* whose process is
 * gone. */
char *cli_tmp_name(const char *path);

/* fsync of a file by name and of the directory holding path; 0 or -1 (errno set). File
 * systems that cannot sync a directory (EINVAL) count as success. */
int cli_fsync_path(const char *path);
int cli_fsync_parent(const char *path);

/* Replaces directory dir by directory tmp in one step when the system can (Linux renameat2
 * RENAME_EXCHANGE): afterwards dir holds the new contents and tmp the old. Returns 0, or -1
 * with errno (ENOSYS, EINVAL: not supported here, use two renames). */
int cli_dir_exchange(const char *tmp, const char *dir);

/* The lead-file options every data command shares (DESIGN section 3). Fields hold argv strings
 * (not owned); NULL when not given. */
#define CLI_MAX_LOOKUPS 8
typedef struct cli_leads {
    const char *path;         /* the leads CSV ("-" = stdin) */
    const char *outcome;      /* --outcome COL or COL=VALUE */
    const char *sql;          /* --sql COL or COL=VALUE */
    const char *date;         /* --date COL */
    const char *acv;          /* --acv COL */
    const char *join;         /* --join FILE: outcome = key found in FILE */
    const char *key;          /* --key COL */
    const char *na;           /* --na "a,b" replaces the missing-value placeholders, "+a,b" adds
                                 to the defaults, "-a,b" keeps those defaults as answers */
    const char *delim;        /* --delim ',' ';' tab */
    const char *categorical;  /* --categorical a,b */
    const char *numeric;      /* --numeric a,b: numbers stay numbers (no codes) */
    const char *exclude;      /* --exclude a,b */
    const char *features;     /* --features a,b */
    const mql_na_list *model_na; /* without --na: the placeholders of the MODEL the command
                                    evaluates (its training file's), NULL for the defaults */
    const char *activity;     /* --activity FILE (set by commands that take an activity log:
                                 then --key names the lead id, read as text) */
    int no_cache;             /* --no-cache: read the CSV, never read or write the table cache */
    const char *lost;         /* --lost A,B: outcome values of deals closed without a win */
    const char *open;         /* --open C,D: outcome values of deals not closed yet */
    const char *months;       /* --months N: the months the file covers (no date column) */
    const char *date_format;  /* --date-format mdy|dmy */
    const char *lookup[CLI_MAX_LOOKUPS];   /* --lookup FILE, in order; --on COL[=LCOL] pairs */
    const char *on[CLI_MAX_LOOKUPS];       /*   with the lookup of the same rank */
    size_t n_lookup, n_on;
    const char *count;        /* --count COL: the file is a count table, COL leads per row */
    const char *won;          /* --won COL: of which won (the outcome of a count table) */
    int count_compact;        /* set by the caller: keep a count table compact (a won and a lost
                                 row per cell, weights in cli_data.w) instead of expanding it */
    int ids_unused;           /* set by commands that read no identifier's values (fit): with
                                 the table cache off, and no --join, --key, --activity, --lookup
                                 or --count, identifier-like columns that no role option names
                                 are read without their values (mql_read_opts.ids_unused) */
    const struct mql_points *uses[2];  /* set by commands that evaluate saved models (no refit):
                                 only the columns their rules read and the role options name are
                                 typed and stored; the others are tokenised and checked only */
} cli_leads;

/* The cache options of l (README "Table cache"): the directory is NULL (no cache) with
 * --no-cache, with MQLCAL_NO_CACHE set to anything but "" or "0", or when no cache directory can
 * be named; MQLCAL_CACHE_DIR overrides the XDG directory, MQLCAL_CACHE_MAX_MB the size limit
 * (2048), MQLCAL_CACHE_MIN_BYTES the smallest CSV file (and the smallest fit's design, n x p
 * doubles) cached (1 MiB). co->dir is malloc'd: the caller frees it. */
void cli_cache_opts(const cli_leads *l, mql_cache_opts *co);

/* "off", "hit", "miss", "stale", "not stored". */
const char *cli_cache_result_name(mql_cache_result r);

/* With MQLCAL_CACHE_TRACE=1 or MQLCAL_TIMINGS=1: "mqlcal: WHAT cache: hit" (or miss, ...) on
 * stderr, what the fit or screen cache did (WHAT: "fit", "screen"). */
void cli_cache_note(const char *what, mql_cache_result r);

/* Matches one leads option at argv[*i]: 1 consumed (and *i advanced past its value), 0 not a
 * leads option, -1 error already printed. */
int cli_leads_opt(cli_leads *l, int argc, char **argv, int *i);

/* Usage checks on the leads options, printed as "CMD: ..." (no prefix when cmd is NULL).
 * cli_require_outcome: --outcome or --join must be given. cli_require_date: opt (e.g.
 * "--maturity") needs --date. Each returns MQL_OK or MQL_EUSAGE. */
int cli_require_outcome(const char *cmd, const cli_leads *l);
int cli_require_date(const char *cmd, const char *opt, const cli_leads *l);

/* Both checks of a command that rates leads against an outcome (calibrate, compare, plan with
 * data): an outcome, and --date when maturity (--maturity DAYS) is above 0. */
int cli_require_roles(const char *cmd, const cli_leads *l, long maturity);

/* Parses a --delim value into *out: ',', ';', '|', or 'tab' (also "\t"); NULL gives 0 (detect).
 * Prints the usage error; returns MQL_OK or MQL_EUSAGE. */
int cli_delim_parse(const char *s, char *out);

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
    long count_col;           /* --count column, -1; with --count the table is the expanded one
                                 (one row per lead), outcome_col the --won column and sql_col
                                 the --sql count column */
    double *w;                /* compact count tables: the rows' weights (leads), else NULL */
    size_t n_pos;             /* rows with y = 1 */
    size_t n_sql;             /* rows with sql = 1 */
    unsigned char *feature;   /* n_cols: 1 when the column is a model feature (not a role, not
                                 identifier-like, not excluded; or listed in --features) */
    char *outcome_label;      /* "won", "Status=Won", "key in deals.csv" for messages */
    unsigned char *open;      /* 1: the outcome is still open (--open / --lost); NULL: none */
    size_t n_open;            /* rows with open = 1 (y is 0 there) */
    char *open_label;         /* "deal_stage Engaging, Prospecting or empty" for messages */
    size_t months;            /* --months N (0: not given) */
} cli_data;

/* Before loading: everything that the options asking for volumes per month or a data plan
 * lack, in one usage error: per_month[0..n) names the options given that need MQLs per month
 * ("--capacity", "the plan (--revenue)"); they need --date or --months. plan (NULL: none) needs
 * its MQL-to-SQL and SQL-to-won rates from --sql or from flags. Prints the error; returns
 * MQL_OK or MQL_EUSAGE. */
int cli_check_needs(const char *cmd, const cli_leads *l, const char *const *per_month, size_t n,
                    const mql_dplan_in *plan);

/* The note every command prints about open outcomes ("open: 2,089 leads whose deal_stage is
 * Engaging or Prospecting: counted in volume, left out of fitting and of every rate"), or
 * nothing when no lead is open. what: "left out of the fit" or "counted in volume, ...". */
void cli_open_note(FILE *f, const cli_data *d, const char *what);

/* The subset of d's closed leads (open ones dropped) for fitting: *t, *y and *w (w only when
 * w_in is not NULL) are new (free with mql_table_free / free); when no lead is open they are
 * d's own table, y and w_in, and *owned is 0. Prints its error; returns the exit code. */
int cli_closed_subset(const cli_data *d, const double *w_in, mql_table **t, unsigned char **y,
                      double **w, int *owned);

/* A comma-separated list split into trimmed strings (owned). */
typedef struct cli_names {
    char **v;
    size_t n;
} cli_names;

/* Splits s (NULL: an empty list) into l. Returns 0, or -1 when out of memory (l empty). */
int cli_names_split(const char *s, cli_names *l);
void cli_names_free(cli_names *l);

/* The warning about a totals row at the end of an export (mql_table_totals_row,
 * mql_totals_row_cells): "PATH:LINE: the last row looks like a totals row ('Total' in column
 * 'lead_id', 7 of its 8 other cells empty), not a lead, but it is VERB as one: ...", VERB "read"
 * (the lead table) or "scored" (leads.c). */
void cli_warn_totals_row(const char *path, size_t line, const char *label, const char *col,
                         size_t n_empty, size_t n_other, const char *verb);

/* Reads l->path and evaluates the roles (leads.c). need_outcome: an outcome is required. Prints its errors
 * and returns the exit code (MQL_OK on success). An outcome with no positive or no negative row
 * is a data error (1); an unknown column a usage error (2). Free with cli_data_free. */
int cli_leads_load(const cli_leads *l, cli_data *d, int need_outcome);
void cli_data_free(cli_data *d);

/* cli_model_load (below), keeping only the points table: *out is the caller's to free with
 * mql_points_free. */
struct mql_points;
int cli_model_points(const char *path, struct mql_points **out);

/* The help text of the leads options, for each command's --help. */
extern const char *const cli_leads_usage;

/* The design and fit options of every command that fits a model (`fit`, `backtest`, `review`):
 * --min-level-count, --reference, --bins, --cuts, --fit, --engagement, --l2, --firth, --no-flic,
 * --profile, --max-iter, --tol,
 * --weight. One parser, so the commands accept the same spellings and give the same errors. */
struct mql_screen;
typedef struct cli_fit_opts {
    mql_design_opts design;
    mql_glm_opts glm;
    const char *weight;       /* --weight COL (argv string, not owned), NULL: none */
    mql_points_opts points;   /* --pdo, --max-points, --threshold: the points scale */
    const char *keep;         /* --keep a,b: screened columns kept as features (argv string) */
    /* Set by cli_fit_prepare: the screening of the leads (leakage.h; NULL without an outcome)
     * and keep_col[j] = 1 for a column the user asked for (--keep, or listed in --features):
     * screening never leaves it out. Both owned, freed by cli_fit_opts_clear. */
    struct mql_screen *screen;
    unsigned char *keep_col;
    /* Set by the command before cli_fit_prepare (not owned): screen only the leads with
     * screen_rows[i] = 1 (the training leads of a split), so that the evaluation leads never
     * decide what is left out; NULL: every lead. */
    const unsigned char *screen_rows;
    int no_flic, profile_given;   /* --no-flic, --profile seen (they need --firth) */
    int l2_given;             /* --l2 seen: the method is the user's, no automatic Firth */
    mql_cache_opts cache;     /* set by cli_fit_opts_finish (cli_cache_opts of the leads; dir
                                 owned): the fit cache, which glm.cache points at */
} cli_fit_opts;

/* Defaults (mql_design_opts_init, mql_glm_opts_default); _clear frees the design options. */
void cli_fit_opts_init(cli_fit_opts *o);
void cli_fit_opts_clear(cli_fit_opts *o);

/* Matches one design / fit option at argv[*i]: 1 consumed (*i advanced), 0 not one of them,
 * -1 error already printed (a bad value is a usage error). */
int cli_fit_opt(cli_fit_opts *o, int argc, char **argv, int *i);

/* After parsing: applies the leads options --features and --exclude to the design options,
 * and their cache options to the fit (glm.cache; --no-cache turns the fit cache off too).
 * Prints its error; returns MQL_OK or MQL_EUSAGE. */
int cli_fit_opts_finish(cli_fit_opts *o, const cli_leads *l);

/* After loading: marks the role columns of d (outcome, SQL, date, ACV, key, weight) as never
 * features, with --weight reads the frequency weights into *w (malloc'd, caller frees; NULL
 * without --weight), screens the other columns (o->screen) and leaves identifier-like numbers
 * out of the design unless asked for (--keep, --features; the design notes each one). Leakage
 * suspects stay: `fit` warns about them, `review` leaves them out itself, `backtest` through
 * cli_fit_leave_out_suspects. o->screen_rows, when set, limits the screening to those leads
 * (figures and flags of the training leads of a split). An unknown --keep
 * column is a usage error. Prints its error; returns the exit code. */
int cli_fit_prepare(cli_fit_opts *o, const cli_data *d, double **w);

/* The training leads of a split, for o->screen_rows: *rows (malloc'd, caller frees) marks the
 * leads up to until_day (by_date; d's date column) or the first 1 - holdout of the rows, open
 * leads excluded. *rows is NULL when the split cannot be made (the command reports it). Returns
 * MQL_OK or MQL_ENOMEM (printed). */
int cli_train_rows(const cli_data *d, int by_date, long until_day, double holdout,
                   unsigned char **rows);

/* After cli_fit_prepare, for the refits of `backtest`: leaves the leakage suspects of o->screen
 * out of the design as `review` leaves them out of its new model (candidate features not kept
 * with --keep or --features, not dates, not already left out as identifiers), and warns naming
 * each with its evidence. Returns the exit code (printed). */
int cli_fit_leave_out_suspects(cli_fit_opts *o, const cli_data *d);

/* The help text of the design and fit options. */
extern const char *const cli_fit_usage;

/* Loads MODEL: a model JSON written by mqlcal (it must hold a points table) or a hand-written
 * rules CSV (wrapped in a model with no design or fit). Prints its error; returns the exit code.
 * Free *out with mql_model_free. */
int cli_model_load(const char *path, mql_model **out);

/* The placeholder list of a loaded model's points (for cli_leads.model_na): NULL when m is NULL,
 * has no points or uses the defaults. */
const mql_na_list *cli_model_na(const mql_model *m);

/* Writes m as model JSON to path ("-" = stdout) atomically. Prints its error; returns the exit
 * code. */
int cli_model_save(const char *path, const mql_model *m);

/* SOURCE_DATE_EPOCH (reproducible files) as "YYYY-MM-DDTHH:MM:SSZ" in buf, or NULL when it is
 * unset or not a valid epoch. */
const char *cli_source_date(char *buf, size_t cap);

/* Sets m->created from cli_source_date when there is one; leaves it alone otherwise. Returns
 * MQL_OK or MQL_ENOMEM (printed). */
int cli_model_stamp(mql_model *m);

/* A model written anew from one that was read (calibrate -o): m->created becomes now, or
 * cli_source_date when there is one, and m->tool_version this mqlcal. Returns MQL_OK or
 * MQL_ENOMEM (printed). */
int cli_model_restamp(mql_model *m);

/* The pipeline-plan options shared by `plan` and `review`: --revenue, --acv, --win-rate,
 * --sql-to-opp, --mql-to-sql, --period, --cycle-days, --start (argv strings, not owned). */
typedef struct cli_plan_opts {
    const char *revenue, *acv, *win, *s2o, *m2s, *period, *cycle, *start;
} cli_plan_opts;

/* Matches one plan option at argv[*i]: 1 consumed, 0 not one, -1 error printed. */
int cli_plan_opt(cli_plan_opts *o, int argc, char **argv, int *i);

/* Parses and validates the plan options into *in (rates as fractions "0.25", "25%" or
 * "RATE,LO,HI"). data == 0: every figure is a flag (revenue, ACV and the three rates required).
 * data != 0 (rates from a lead history): only --revenue and --acv are required; --acv that is not
 * a number names the ACV column (*acv_col, else NULL); --win-rate and --sql-to-opp go together.
 * Prints its error and returns MQL_EUSAGE; MQL_OK otherwise. */
int cli_plan_build(const cli_plan_opts *o, int data, mql_dplan_in *in, const char **acv_col);

/* The column profile of `inspect` (types, missing shares, levels, ranges, notes), shared with
 * `review`: tab has one row per column; warn the notes worth a warning ("col: note"); leak[j] is
 * 1 for a leakage suspect. screen is the screening to report (leakage.h; borrowed, e.g.
 * cli_fit_opts.screen), or NULL: cli_inspect_columns screens every column but the roles itself.
 * Prints its error and returns the exit code; free with cli_inspect_free (NULL-safe, zeroes). */
typedef struct cli_inspect {
    mql_tab *tab;
    char **warn;
    size_t n_warn;
    unsigned char *leak;
    const struct mql_screen *screen;
    struct mql_screen *own_screen;
} cli_inspect;
int cli_inspect_columns(const cli_data *d, const struct mql_screen *screen, cli_inspect *r);
void cli_inspect_free(cli_inspect *r);

/* Writes a points table readably (table or md: group, rule in words, points; then the
 * threshold, score range, score map, bands and rounding cost). few (NULL: none) follows each
 * AUC of the training leads: " on 3 won and 2 lost leads: too few to judge ..." when they are
 * too few (mql_few_note). Returns 0 or -1. */
int cli_points_print(FILE *f, const struct mql_points *m, mql_format fmt, const char *few);

/* Report output shared by backtest, calibrate and compare. cli_tab_print writes one titled
 * table as text ("title:" line) or Markdown ("### title"), followed by a blank line. The JSON
 * writer streams one object: cli_json_begin, then members (each call after the first writes the
 * separating comma), then cli_json_end. Values: a table (array of row objects), a string, a
 * number (NAN as null). All return 0 or -1 on a write error (also checked at cli_out_close). */
int cli_tab_print(FILE *f, mql_format fmt, const char *title, const mql_tab *t);
typedef struct cli_json {
    FILE *f;
    int n;
} cli_json;
void cli_json_begin(cli_json *j, FILE *f);
void cli_json_tab(cli_json *j, const char *key, const mql_tab *t);
void cli_json_str(cli_json *j, const char *key, const char *s);
void cli_json_num(cli_json *j, const char *key, double v);
void cli_json_end(cli_json *j);

#endif
