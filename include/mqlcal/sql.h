/* sql.h: SQL that a warehouse runs so mqlcal need not see every lead: the scoring query of a
 * points model (the same scores, bands, MQL flags and reasons as `mqlcal score`), and the
 * GROUP BY queries whose count tables (cells of a design with leads and wins; score by period
 * for a model) `fit`, `backtest`, `calibrate` and `review` read with --count / --won. Five
 * dialects: PostgreSQL, SQLite, BigQuery, Snowflake, Spark SQL. */
#ifndef MQLCAL_SQL_H
#define MQLCAL_SQL_H

#include <stddef.h>

#include "mqlcal/common.h"
#include "mqlcal/design.h"
#include "mqlcal/points.h"
#include "mqlcal/table.h"

typedef enum mql_sql_dialect {
    MQL_SQL_POSTGRES = 0,
    MQL_SQL_SQLITE,
    MQL_SQL_BIGQUERY,
    MQL_SQL_SNOWFLAKE,
    MQL_SQL_SPARK
} mql_sql_dialect;

/* "postgres" (also "postgresql"), "sqlite", "bigquery", "snowflake", "spark" (also
 * "databricks"), any case. Returns 0 and sets *d, or -1. */
int mql_sql_dialect_parse(const char *name, mql_sql_dialect *d);
const char *mql_sql_dialect_name(mql_sql_dialect d);

/* How a 0/1 role column (outcome, SQL stage) is read, mirroring mql_flag_eval: by the column's
 * type in a sample of the leads (date: filled; numeric: equal to 1 or VALUE; boolean: the true
 * or the named value), else (categories, or -1 = auto without a sample) positive when the cell is
 * a true value (1, 1.0, true, yes, y, t) or reads "won", or with VALUE equals it (value.h). */
typedef struct mql_sql_flag {
    const char *column;      /* NULL: none */
    const char *value;       /* COL=VALUE: positive when equal (case-insensitive / numerically) */
    int type;                /* mql_coltype, or -1 for auto */
} mql_sql_flag;

typedef struct mql_sql_opts {
    mql_sql_dialect dialect;
    const char *table;             /* the leads table; "schema.table" parts are quoted apart */
    const char *const *keys;       /* scoring: columns copied into the output (e.g. lead_id) */
    size_t n_keys;
    const char *const *na;         /* placeholders read as missing; NULL: the default list (an
                                      empty cell is always missing) */
    size_t n_na;
    mql_sql_flag outcome;          /* count tables: won = leads with the outcome */
    mql_sql_flag sql;              /* count tables: sql = leads that reached the SQL stage */
    const char *date;              /* count tables: group by the period of this date column */
    int by_day;                    /* period = the day (YYYY-MM-DD); else the month (YYYY-MM-01) */
    const char *acv;               /* count tables: acv = sum of this column over won leads */
} mql_sql_opts;

/* Defaults: PostgreSQL, no table, keys, roles; default placeholders; months. */
void mql_sql_opts_init(mql_sql_opts *o);

/* The scoring query of m: one row per lead of o->table with the key columns, then score,
 * fit_score, engagement_score, probability (NULL without a score map), band ('' without bands),
 * is_mql (1 / 0) and reason_1..reason_3 (NULL when fewer rules matched), by the cell and
 * matching definition of rule.h: every column is read as text (CAST), trimmed of blanks, missing
 * when empty or a placeholder (ASCII case-insensitive), numeric by strtod's decimal syntax,
 * unambiguous thousands separators and the boolean words, compared case-insensitively (ASCII).
 * On success *out is a malloc'd NUL-terminated statement (caller frees). MQL_EDATA when the model
 * has no rules, MQL_EUSAGE for an empty or control-character identifier (err names it),
 * MQL_ENOMEM. */
int mql_sql_score(const mql_points *m, const mql_sql_opts *o, char **out, mql_err *err);

/* The score table of m for backtests and calibration: GROUP BY score (and the period of o->date)
 * giving n (leads), won, sql and acv (the roles given). Same errors; MQL_EUSAGE without
 * o->outcome.column. */
int mql_sql_score_counts(const mql_points *m, const mql_sql_opts *o, char **out, mql_err *err);

/* The count table of design d: GROUP BY every feature's cell as mql_table_read types it
 * (categorical and boolean cells and linear numbers by their text, binned numbers by their bin,
 * shown as the smallest text of the bin's values; missing as NULL) and the period of o->date,
 * giving n, won, sql and acv. Read back with `--count n --won won`, the rows stand for exactly the
 * leads they count, so a fit with the same encoding options gives the row-level estimates.
 * Same errors. */
int mql_sql_cells(const mql_design *d, const mql_sql_opts *o, char **out, mql_err *err);

/* A string literal / a quoted identifier in dialect dd (malloc'd; NULL on allocation failure or,
 * for identifiers, an empty name or one with a control character). Exposed for the tests. */
char *mql_sql_literal(mql_sql_dialect dd, const char *s);
char *mql_sql_ident(mql_sql_dialect dd, const char *name);

#endif
