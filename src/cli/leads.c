/* leads.c: the lead-file options (--outcome, --join, --na, --lookup, --count, ...), loading the
 * file through the table cache with their checks and warnings, and the outcome read as won, lost
 * or open (cli_leads_load, cli_data). */
#include "cli.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "mqlcal/leakage.h"
#include "mqlcal/lookup.h"
#include "mqlcal/outcome.h"
#include "mqlcal/table_cache.h"
#include "mqlcal/table_ops.h"

/* ---- leads options ---- */

const char *const cli_leads_usage =
    "lead file options:\n"
    "  --outcome COL        outcome: positive when the cell is 1/true/yes/y/won (any case);\n"
    "                       a date column is positive when filled\n"
    "  --outcome COL=VALUE  positive when the cell equals VALUE (any case; numbers compare\n"
    "                       as numbers)\n"
    "  --join FILE --key COL  outcome from a second file: positive when the lead's COL value\n"
    "                       appears in FILE's column COL (e.g. closed deals by lead id)\n"
    "  --lost LIST          outcome values of deals closed without a win (e.g. Lost)\n"
    "  --open LIST          outcome values of deals not closed yet (e.g. Engaging,\n"
    "                       Prospecting): left out of fitting and of every rate, counted in\n"
    "                       volume; with --lost or --open an empty outcome cell is open, and\n"
    "                       with --lost every value must be won, lost or open\n"
    "  --lookup FILE --on COL[=FCOL]  brings FILE's columns into each lead whose COL equals\n"
    "                       FILE's column FCOL (default COL): a left join, repeatable (the\n"
    "                       n-th --on goes with the n-th --lookup, at most 8)\n"
    "  --sql COL[=VALUE]    an earlier stage (SQL / accepted by sales), same rules\n"
    "  --date COL           lead created date (2016-10-20[ 10:00:00], 2016-10-20T10:00:00Z,\n"
    "                       10/20/2016, 20.10.2016)\n"
    "  --date-format F      how dates like 03/04/2016 read: mdy (month first) or dmy (day\n"
    "                       first); needed only when no value of a column decides it\n"
    "  --months N           the months the file covers, for volumes per month (MQLs/month,\n"
    "                       --capacity, the plan) when it has no date column\n"
    "  --acv COL            deal value of won deals (numeric)\n"
    "  --na LIST            placeholders read as missing (any case, blanks around ignored):\n"
    "                       LIST (comma-separated) replaces the defaults\n"
    "                       NA,N/A,null,Select,unknown,none,- and the spreadsheet errors #N/A,\n"
    "                       #DIV/0!,#VALUE!,#REF!,#NAME?,#NUM!,#NULL!,#ERROR!; +LIST adds to\n"
    "                       them; -LIST keeps those defaults as answers (--na -Select). Empty\n"
    "                       cells are always missing. The list travels with the model and its\n"
    "                       rules CSV; with a MODEL, its list is the default\n"
    "  --delim C            separator: ',', ';', '|' or 'tab' (default: detected from the header)\n"
    "  --categorical LIST   columns read as categories even when they hold numbers\n"
    "  --numeric LIST       columns read as numbers even when their name says codes (zip,\n"
    "                       phone, naics, ...) or their values have leading zeros (02134)\n"
    "  --exclude LIST       columns that are not features\n"
    "  --features LIST      use only these columns as features\n"
    "  --no-cache           read the CSV and compute afresh: neither use nor write the cache of\n"
    "                       tables, screens, fits and points tables ($XDG_CACHE_HOME/mqlcal or\n"
    "                       ~/.cache/mqlcal; README \"Table cache\" and \"Fit cache\")\n"
    "  --count COL --won COL  the file is a count table (e.g. from `mqlcal sql --cells`):\n"
    "                       each row stands for COL leads of which --won COL won (integers,\n"
    "                       0 <= won <= count); --sql COL and --acv COL are then the row's\n"
    "                       SQL count and ACV sum. Every estimate and table is that of the\n"
    "                       leads the rows count (they are expanded to one row per lead)\n";

int cli_leads_opt(cli_leads *l, int argc, char **argv, int *i)
{
    struct {
        const char *name;
        const char **slot;
    } opts[] = {
        {"--outcome", &l->outcome}, {"--sql", &l->sql}, {"--date", &l->date},
        {"--acv", &l->acv}, {"--join", &l->join}, {"--key", &l->key}, {"--na", &l->na},
        {"--delim", &l->delim}, {"--categorical", &l->categorical}, {"--numeric", &l->numeric},
        {"--exclude", &l->exclude},
        {"--features", &l->features}, {"--lost", &l->lost}, {"--open", &l->open},
        {"--months", &l->months}, {"--date-format", &l->date_format},
        {"--features", &l->features}, {"--count", &l->count}, {"--won", &l->won},
    };
    if (strcmp(argv[*i], "--no-cache") == 0) {
        l->no_cache = 1;
        (*i)++;
        return 1;
    }
    const char *v = NULL;
    int r = cli_opt(argc, argv, i, "--lookup", &v);
    if (!r && (r = cli_opt(argc, argv, i, "--on", &v)) > 0) {
        if (l->n_on == CLI_MAX_LOOKUPS) {
            cli_error("--on: at most %d lookups", CLI_MAX_LOOKUPS);
            return -1;
        }
        l->on[l->n_on++] = v;
        return 1;
    }
    if (r > 0) {
        if (l->n_lookup == CLI_MAX_LOOKUPS) {
            cli_error("--lookup: at most %d lookups", CLI_MAX_LOOKUPS);
            return -1;
        }
        l->lookup[l->n_lookup++] = v;
        return 1;
    }
    if (r < 0)
        return r;
    for (size_t k = 0; k < sizeof opts / sizeof opts[0]; k++)
        if ((r = cli_opt(argc, argv, i, opts[k].name, opts[k].slot)))
            return r;
    return 0;
}

/* Column index for an option's column, or -1 after printing a usage error. */
static long role_column(const mql_table *t, const char *opt, const char *name)
{
    long j;
    mql_err err;
    if (mql_table_require(t, name, &j, &err))
        cli_error("%s: %s", opt, err.msg);
    return j;
}

/* Evaluates --outcome / --sql into *out with its positive count. */
static int eval_flag(const mql_table *t, const char *opt, const char *text, unsigned char **out,
                     size_t *n_pos, long *col)
{
    mql_flag_spec spec;
    mql_err err;
    int st = mql_flag_spec_parse(text, &spec, &err);
    if (st) {
        cli_error("%s: %s", opt, err.msg);
        return st;
    }
    *col = mql_table_find(t, spec.column);
    if (!(*out = malloc(t->n_rows ? t->n_rows : 1))) {
        mql_flag_spec_clear(&spec);
        cli_error("out of memory");
        return MQL_ENOMEM;
    }
    st = mql_flag_eval(t, &spec, *out, &err);
    mql_flag_spec_clear(&spec);
    if (st) {
        cli_error("%s: %s", opt, err.msg);
        return st;
    }
    size_t k = 0;
    for (size_t i = 0; i < t->n_rows; i++)
        k += (*out)[i];
    *n_pos = k;
    return MQL_OK;
}

int cli_delim_parse(const char *s, char *out)
{
    *out = 0;
    if (!s)
        return MQL_OK;
    if (strcmp(s, "tab") == 0 || strcmp(s, "\\t") == 0 || strcmp(s, "\t") == 0)
        *out = '\t';
    else if (strcmp(s, ",") == 0 || strcmp(s, ";") == 0 || strcmp(s, "|") == 0)
        *out = s[0];
    else {
        cli_error("--delim: expected ',', ';', '|' or 'tab', got '%s'", s);
        return MQL_EUSAGE;
    }
    return MQL_OK;
}

int cli_require_outcome(const char *cmd, const cli_leads *l)
{
    if (l->outcome || l->join || l->won)
        return MQL_OK;
    cli_error("%s%san outcome is required: --outcome COL[=VALUE], --join FILE --key COL, or "
              "--count COL --won COL",
              cmd ? cmd : "", cmd ? ": " : "");
    return MQL_EUSAGE;
}

int cli_require_date(const char *cmd, const char *opt, const cli_leads *l)
{
    if (l->date)
        return MQL_OK;
    cli_error("%s: %s needs --date COL (the lead created date)", cmd, opt);
    return MQL_EUSAGE;
}

int cli_require_roles(const char *cmd, const cli_leads *l, long maturity)
{
    if (cli_require_outcome(cmd, l) || (maturity > 0 && cli_require_date(cmd, "--maturity", l)))
        return MQL_EUSAGE;
    return MQL_OK;
}

/* An environment variable's value as a whole number >= 0, or def when unset or not a number. */
static uint64_t env_u64(const char *name, uint64_t def)
{
    const char *v = getenv(name);
    char *end;
    if (!v || !*v)
        return def;
    errno = 0;
    unsigned long long n = strtoull(v, &end, 10);
    return errno || *end || v[0] == '-' ? def : (uint64_t)n;
}

void cli_cache_opts(const cli_leads *l, mql_cache_opts *co)
{
    const char *off = getenv("MQLCAL_NO_CACHE");
    const char *dir_env = getenv("MQLCAL_CACHE_DIR");
    char *dir = NULL;
    if (!l->no_cache && !(off && *off && strcmp(off, "0") != 0))
        dir = dir_env && *dir_env ? mql_strdup(dir_env) : mql_cache_dir_default();
    *co = (mql_cache_opts){dir, env_u64("MQLCAL_CACHE_MAX_MB", 2048) << 20,
                           env_u64("MQLCAL_CACHE_MIN_BYTES", MQL_TABLE_CACHE_MIN_DEFAULT)};
}

const char *cli_cache_result_name(mql_cache_result r)
{
    static const char *const names[] = {"off", "hit", "miss", "stale", "not stored"};
    return (unsigned)r < sizeof names / sizeof *names ? names[r] : "?";
}

void cli_cache_note(const char *what, mql_cache_result r)
{
    const char *trace = getenv("MQLCAL_CACHE_TRACE");
    if ((trace && strcmp(trace, "1") == 0) || cli_timings())
        fprintf(stderr, "mqlcal: %s cache: %s\n", what, cli_cache_result_name(r));
}

/* Reads the leads through the table cache (README "Table cache"; cli_cache_opts).
 * MQLCAL_CACHE_TRACE=1 prints the outcome (hit, miss, stale, not stored, off) and the identity
 * index's part on stderr, for tests. */
static int read_table(const cli_leads *l, const mql_read_opts *ro, mql_table **out, mql_err *err)
{
    mql_cache_opts co;
    cli_cache_opts(l, &co);
    mql_cache_trace tr;
    int st = mql_table_read_cached_traced(l->path, ro, &co, out, &tr, err);
    const char *trace = getenv("MQLCAL_CACHE_TRACE");
    static const char *const routes[] = {"", " (entry found by the file's identity)",
                                         " (identity record's entry rejected: content changed)"};
    if (trace && strcmp(trace, "1") == 0 && st == MQL_OK)
        fprintf(stderr, "mqlcal: table cache: %s%s\n", cli_cache_result_name(tr.result),
                routes[tr.candidate]);
    free((char *)co.dir);
    return st;
}

/* A numeric count column of a count table: integers >= 0, none missing. */
static int count_column(const mql_table *t, const char *opt, const char *name, long *col)
{
    if ((*col = role_column(t, opt, name)) < 0)
        return MQL_EUSAGE;
    const mql_column *c = &t->cols[*col];
    if (c->type != MQL_COL_NUMERIC && c->type != MQL_COL_BOOLEAN) {
        cli_error("%s: column '%s' is %s, not a count", opt, name, mql_coltype_name(c->type));
        return MQL_EDATA;
    }
    for (size_t i = 0; i < t->n_rows; i++) {
        double v = c->num[i];
        if (!(v >= 0) || !mql_is_integral(v)) {
            cli_error("%s: line %zu: column '%s': %s; counts are whole numbers >= 0", t->source,
                      mql_table_line(t, i), name, isnan(v) ? "missing" : "not a whole number >= 0");
            return MQL_EDATA;
        }
    }
    return MQL_OK;
}

/* --count / --won: checks the count columns of the table read into d->table and replaces it by
 * its expansion to one row per lead: row i becomes count_i rows, of which the first won_i have
 * y = 1 and the first sql_i have sql = 1; a won row carries acv_i / won_i as its ACV. */
static int load_counts(const cli_leads *l, cli_data *d)
{
    const mql_table *t = d->table;
    mql_err err;
    long jn, jw, js = -1, ja = -1;
    int st;
    if ((st = count_column(t, "--count", l->count, &jn)) ||
        (st = count_column(t, "--won", l->won, &jw)) ||
        (l->sql && (st = count_column(t, "--sql", l->sql, &js))))
        return st;
    if (l->acv && (ja = role_column(t, "--acv", l->acv)) < 0)
        return MQL_EUSAGE;
    const double *n = t->cols[jn].num, *w = t->cols[jw].num, *q = js >= 0 ? t->cols[js].num : NULL;
    size_t *rep = malloc((t->n_rows ? t->n_rows : 1) * sizeof *rep);
    if (!rep) {
        cli_error("out of memory");
        return MQL_ENOMEM;
    }
    for (size_t i = 0; i < t->n_rows; i++) {
        if (w[i] > n[i] || (q && q[i] > n[i])) {
            cli_error("%s: line %zu: %s %.0f is more than the %.0f leads in column '%s'",
                      t->source, i + 2, w[i] > n[i] ? l->won : l->sql, w[i] > n[i] ? w[i] : q[i],
                      n[i], l->count);
            free(rep);
            return MQL_EDATA;
        }
        rep[i] = (size_t)n[i];
    }
    if (l->count_compact) {
        free(rep);
        /* the fit's form: a won and a lost row per cell, weighted by their leads */
        mql_table *c;
        if ((st = mql_table_counts_compact(t, jn, jw, &c, &d->y, &d->w, &err))) {
            cli_error("%s", err.msg);
            return st;
        }
        for (size_t i = 0; i < t->n_rows; i++)
            d->n_pos += (size_t)w[i];
        mql_table_free(d->table);
        d->table = c;
        d->count_col = jn;
        d->outcome_col = jw;
        d->sql_col = js;
        return MQL_OK;
    }
    mql_table *x;
    if ((st = mql_table_repeat(t, rep, &x, &err))) {
        free(rep);
        cli_error("%s", err.msg);
        return st;
    }
    d->y = malloc(x->n_rows ? x->n_rows : 1);
    d->sql = q ? malloc(x->n_rows ? x->n_rows : 1) : NULL;
    if (!d->y || (q && !d->sql)) {
        free(rep);
        mql_table_free(x);
        cli_error("out of memory");
        return MQL_ENOMEM;
    }
    double *acv = ja >= 0 ? x->cols[ja].num : NULL;
    size_t r = 0;
    for (size_t i = 0; i < t->n_rows; i++) {
        double a = acv && w[i] > 0 ? t->cols[ja].num[i] / w[i] : NAN;
        for (size_t k = 0; k < rep[i]; k++, r++) {
            d->y[r] = k < (size_t)w[i];
            if (q)
                d->sql[r] = k < (size_t)q[i];
            if (acv)
                acv[r] = d->y[r] ? a : NAN;
        }
        d->n_pos += (size_t)w[i];
        d->n_sql += q ? (size_t)q[i] : 0;
    }
    free(rep);
    mql_table_free(d->table);
    d->table = x;
    d->count_col = jn;
    d->outcome_col = jw;
    d->sql_col = js;
    return MQL_OK;
}

void cli_warn_totals_row(const char *path, size_t line, const char *label, const char *col,
                         size_t n_empty, size_t n_other, const char *verb)
{
    cli_warn("%s:%zu: the last row looks like a totals row ('%s' in column '%s', %zu of its %zu "
             "other cells empty), not a lead, but it is %s as one: delete it from the export",
             path, line, label, col, n_empty, n_other, verb);
}

/* The option whose column the reader's "no column 'x' ..." error names: --numeric when x is
 * one of num's, else --categorical. */
static const char *names_option(const cli_names *num, const char *msg)
{
    char want[300];
    for (size_t k = 0; k < num->n; k++) {
        snprintf(want, sizeof want, "no column '%s' ", num->v[k]);
        if (strncmp(msg, want, strlen(want)) == 0)
            return "--numeric";
    }
    return "--categorical";
}

/* Whether level text s is a whole number written with a leading zero (02134). */
static int zero_code(const char *s)
{
    if (s[0] != '0' || !s[1])
        return 0;
    for (s++; *s; s++)
        if (*s < '0' || *s > '9')
            return 0;
    return 1;
}

/* The note on a column of numbers read as codes (mql_code_rule). */
static void code_note(const mql_table *t, const mql_column *c)
{
    char why[400], g1[32], g2[32];
    const char *q = strpbrk(c->name, " ,;'\"()") ? "'" : "";
    if (c->code_rule == MQL_CODE_NAME) {
        char word[64];
        mql_code_name(c->name, word, sizeof word);
        snprintf(why, sizeof why, "its name says '%s' (ZIP/postal, phone and industry codes are "
                 "labels: a range of them matches unrelated leads)", word);
    } else {
        size_t zeros = 0;            /* rows spelled with a leading zero, merged ones included */
        const char *first = NULL;
        for (size_t k = 0; k < c->n_spellings; k++)
            if (zero_code(c->spellings[k].text)) {
                zeros += c->spellings[k].count;
                first = first ? first : c->spellings[k].text;
            }
        for (size_t k = 0; k < c->n_levels; k++) {
            int spelled = 0;
            for (size_t s = 0; s < c->n_spellings && !spelled; s++)
                spelled = c->spellings[s].level == k;
            if (!spelled && zero_code(c->levels[k])) {
                zeros += c->level_count ? c->level_count[k] : 1;
                first = first ? first : c->levels[k];
            }
        }
        snprintf(why, sizeof why, "%s of its %s values %s written with a leading zero (such "
                 "as '%s')", mql_fmt_grouped((double)zeros, g1, sizeof g1),
                 mql_fmt_grouped((double)(t->n_rows - c->n_missing), g2, sizeof g2),
                 zeros == 1 ? "is a whole number" : "are whole numbers", first ? first : "");
    }
    fprintf(stderr, "mqlcal: note: %s: column '%s' is read as codes (%s, %s values), not "
            "numbers: %s; --numeric %s%s%s reads it as numbers\n", t->source, c->name,
            mql_coltype_name(c->type), mql_fmt_grouped((double)c->n_distinct, g1, sizeof g1),
            why, q, c->name, q);
}

/* The error for a header line repeated among the data rows of t (mql_table_header_row), read
 * from path (for --lookup: "--lookup FILE: "); MQL_OK when there is none. */
static int header_row_check(const mql_table *t, const char *what)
{
    size_t r;
    mql_err err;
    if (!mql_table_header_row(t, &r))
        return MQL_OK;
    int st = mql_header_row_error(t->source, mql_table_line(t, r), &err);
    cli_error("%s%s", what, err.msg);
    return st;
}

/* Warnings about cells read as missing because they had no value of their column's type, and
 * about columns of dates whose order of day and month no value decides; notes on columns of
 * numbers read as codes. */
static void table_warnings(const mql_table *t)
{
    size_t n_empty;
    if (mql_table_totals_row(t, &n_empty)) {
        const mql_column *c = &t->cols[0];
        size_t last = t->n_rows - 1;
        cli_warn_totals_row(t->source, mql_table_line(t, last), c->levels[c->code[last]],
                            c->name, n_empty, t->n_cols - 1, "read");
    }
    for (size_t j = 0; j < t->n_cols; j++) {
        const mql_column *c = &t->cols[j];
        if (c->n_unreadable && c->unreadable_text) {
            size_t r = c->unreadable_row;
            size_t line = mql_table_line(t, r);
            char g[32];
            const char *why = c->type == MQL_COL_DATE ? "not a day of the calendar"
                                                      : "NaN, inf or beyond the double range";
            cli_warn("%s:%zu: column '%s': %s cell%s %s %s (the first is '%s', here): read as "
                     "missing, the column stays %s", t->source, line, c->name,
                     mql_fmt_grouped((double)c->n_unreadable, g, sizeof g),
                     c->n_unreadable == 1 ? "" : "s", c->n_unreadable == 1 ? "is" : "are", why,
                     c->unreadable_text, mql_coltype_name(c->type));
        }
        size_t n_null = mql_column_db_nulls(c);
        if (n_null) {
            char g[32];
            cli_warn("%s: column '%s' holds '\\N' in %s cell%s, a database's NULL (MySQL, "
                     "Postgres, Hive exports), which is text to mqlcal: the column is read as "
                     "categories; --na '+\\N' reads those cells as missing", t->source, c->name,
                     mql_fmt_grouped((double)n_null, g, sizeof g), n_null == 1 ? "" : "s");
        }
        int fmt = mql_column_formatted_numbers(c);
        if (fmt)
            cli_warn("%s: column '%s' holds %s such as '%s', which are text to mqlcal: read as "
                     "%zu categories; export the column as plain numbers (%s) to use it as a "
                     "number", t->source, c->name, fmt == 1 ? "percentages" : "amounts with a "
                     "currency", c->levels[0], c->n_levels, fmt == 1 ? "65 or 0.65" : "1234.50");
        if (c->code_rule && (c->type == MQL_COL_CATEGORICAL || c->type == MQL_COL_ID))
            code_note(t, c);
        if (c->date_ambiguous && c->n_levels)
            cli_warn("%s: column '%s' holds dates such as %s that read both as month/day/year "
                     "and day/month/year: read as text; give --date-format mdy or dmy",
                     t->source, c->name, c->levels[0]);
    }
}

/* Reads lookup file path with its key column as text and joins it into d->table on spec
 * ("COL" or "COL=FCOL"), printing what the join did. Returns the exit code. */
static int load_lookup(cli_data *d, const cli_leads *l, const char *path, const char *spec,
                       const mql_read_opts *lead_ro)
{
    mql_err err;
    const char *eq = strchr(spec, '=');
    char key[256], fkey[256];
    snprintf(key, sizeof key, "%.*s", eq ? (int)(eq - spec) : (int)strlen(spec), spec);
    snprintf(fkey, sizeof fkey, "%s", eq ? eq + 1 : spec);
    if (!*key || !*fkey) {
        cli_error("--on: expected COL or COL=FILECOL, got '%s'", spec);
        return MQL_EUSAGE;
    }
    const char *cat[1] = {fkey};
    mql_read_opts ro = *lead_ro;
    ro.categorical = cat;
    ro.n_categorical = 1;
    ro.numeric = NULL;
    ro.n_numeric = 0;
    ro.only = NULL;
    ro.n_only = 0;
    ro.delim = 0;
    mql_table *lk = NULL;
    int st = mql_table_read(path, &ro, &lk, &err);
    if (st) {
        cli_error("--lookup %s: %s", path, err.msg);
        return st;
    }
    char what[300];
    snprintf(what, sizeof what, "--lookup %s: ", path);
    if ((st = header_row_check(lk, what))) {
        mql_table_free(lk);
        return st;
    }
    table_warnings(lk);
    mql_lookup_report rep;
    st = mql_table_lookup(d->table, key, lk, fkey, &rep, &err);
    mql_table_free(lk);
    if (st) {
        cli_error("--lookup %s --on %s: %s", path, spec, err.msg);
        return st;
    }
    (void)l;
    char g1[32], g2[32];
    for (size_t k = 0; k < rep.n_renamed; k++)
        cli_warn("--lookup %s: column %s (the name is taken)", path, rep.renamed[k]);
    if (rep.n_matched == 0) {
        cli_error("--lookup %s --on %s: no lead's %s is a key in %s (leads hold e.g. '%s'); "
                  "check the key column", path, spec, key, path,
                  rep.n_miss ? rep.miss[0].key : "");
        mql_lookup_report_clear(&rep);
        return MQL_EDATA;
    }
    if (rep.n_unmatched || rep.n_no_key) {
        char keys[768];
        size_t o = 0;
        keys[0] = '\0';
        for (size_t k = 0; k < rep.n_miss && k < 5 && o + 1 < sizeof keys; k++) {
            const mql_lookup_miss *m = &rep.miss[k];
            char near[300] = "";
            if (m->near)
                snprintf(near, sizeof near, " (near '%s' in %s: same but for blanks, case or "
                         "punctuation)", m->near, path);
            int w = snprintf(keys + o, sizeof keys - o, "%s'%s' %s lead%s%s", k ? ", " : "",
                             m->key, mql_fmt_grouped((double)m->rows, g1, sizeof g1),
                             m->rows == 1 ? "" : "s", near);
            if (w < 0 || (size_t)w >= sizeof keys - o)
                break;
            o += (size_t)w;
        }
        if (rep.n_miss > 5)
            snprintf(keys + o, sizeof keys - o, ", and %zu more keys", rep.n_miss - 5);
        char nokey[400] = "";
        if (rep.n_no_key)
            snprintf(nokey, sizeof nokey, "%s%s lead%s with no %s", rep.n_unmatched ? "; " : "",
                     mql_fmt_grouped((double)rep.n_no_key, g2, sizeof g2),
                     rep.n_no_key == 1 ? "" : "s", key);
        char total[32];
        mql_fmt_grouped((double)(rep.n_unmatched + rep.n_no_key), total, sizeof total);
        cli_warn("--lookup %s: %s of %s leads have no match, so its columns are missing there: "
                 "%s%s", path, total, mql_fmt_grouped((double)rep.n_rows, g2, sizeof g2),
                 keys, nokey);
    }
    mql_lookup_report_clear(&rep);
    return MQL_OK;
}

/* Evaluates --outcome with --lost / --open into d. Returns the exit code (printed). */
static int eval_outcome(const cli_leads *l, cli_data *d)
{
    cli_names lost = {0}, open = {0};
    mql_err err;
    int st = MQL_OK;
    if (cli_names_split(l->lost, &lost) || cli_names_split(l->open, &open)) {
        cli_names_free(&lost);
        cli_error("out of memory");
        return MQL_ENOMEM;
    }
    mql_outcome_spec spec = {l->outcome, (const char *const *)lost.v, lost.n,
                             (const char *const *)open.v, open.n};
    mql_outcome o;
    if ((st = mql_outcome_eval(d->table, &spec, &o, &err))) {
        cli_error("%s", err.msg);
        goto done;
    }
    d->y = o.y;
    d->open = o.open;
    d->n_pos = o.n_pos;
    d->n_open = o.n_open;
    d->outcome_col = o.col;
    if (o.n_missing_lost) {
        /* A lead export's stage or won flag is empty for leads that never got a deal and for
         * deals a CRM has not closed: both are read as lost unless a list says otherwise, which
         * turns open deals into losses without a word. Say how many and how to change it. */
        const mql_column *c = &d->table->cols[o.col];
        char g[32];
        fprintf(stderr, "mqlcal: note: --outcome %s: %s lead%s with an empty '%s' counted as "
                "lost%s\n", l->outcome, mql_fmt_grouped((double)o.n_missing_lost, g, sizeof g),
                o.n_missing_lost == 1 ? "" : "s", c->name,
                c->type == MQL_COL_BOOLEAN
                    ? " (not won)"
                    : " (not won); if some are deals not closed yet, name the lost values "
                      "(--lost A,B): empty cells are then left out as open");
    }
    if (o.n_open) {
        const char *col = d->table->cols[o.col].name;
        size_t n = strlen(col) + (l->open ? strlen(l->open) : 0) +
                   (l->lost ? strlen(l->lost) : 0) + strlen(l->outcome) + 64;
        if ((d->open_label = malloc(n))) {
            if (o.n_open == o.n_open_missing)
                snprintf(d->open_label, n, "%s is empty", col);
            else if (l->open) {
                /* "deal_stage is Engaging or Prospecting" */
                size_t k = (size_t)snprintf(d->open_label, n, "%s is ", col);
                for (size_t q = 0; q < open.n && k < n; q++)
                    k += (size_t)snprintf(d->open_label + k, n - k, "%s%s",
                                          q == 0 ? "" : q + 1 == open.n && !o.n_open_missing
                                                            ? " or " : ", ", open.v[q]);
                if (o.n_open_missing && k < n)
                    snprintf(d->open_label + k, n - k, " or empty");
            }
            else
                snprintf(d->open_label, n, "%s is neither won nor %s", col, l->lost);
        }
    }
done:
    cli_names_free(&lost);
    cli_names_free(&open);
    return st;
}

int cli_check_needs(const char *cmd, const cli_leads *l, const char *const *per_month, size_t n,
                    const mql_dplan_in *plan)
{
    char msg[1024] = "", opts[256] = "";
    size_t o = 0, k = 0;
    int gaps = 0;
    for (size_t q = 0; q < n; q++)
        o += (size_t)snprintf(opts + o, o < sizeof opts ? sizeof opts - o : 0, "%s%s",
                              q == 0 ? "" : q + 1 == n ? " and " : ", ", per_month[q]);
    if (n && !l->date && !l->months) {
        k += (size_t)snprintf(msg + k, sizeof msg - k, "(%d) %s need%s MQLs per month, and the "
                              "file's period is unknown: give --date COL (the lead created "
                              "date) or --months N (the months the file covers)", ++gaps, opts,
                              n == 1 ? "s" : "");
    }
    if (plan && !l->sql && (!plan->m2s_given || !plan->s2w_given) && k < sizeof msg)
        k += (size_t)snprintf(msg + k, sizeof msg - k, "%s(%d) the plan needs MQL-to-SQL and "
                              "SQL-to-won: give --sql COL (rates from the data) or %s",
                              gaps ? "; " : "", gaps + 1,
                              !plan->m2s_given && !plan->s2w_given
                                  ? "--mql-to-sql, --win-rate and --sql-to-opp"
                              : !plan->m2s_given ? "--mql-to-sql"
                                                 : "--win-rate and --sql-to-opp"),
            gaps++;
    if (!gaps)
        return MQL_OK;
    if (gaps == 1 && msg[0] == '(')
        memmove(msg, msg + 4, strlen(msg + 4) + 1);
    cli_error("%s: %s%s", cmd, gaps > 1 ? "missing: " : "", msg);
    return MQL_EUSAGE;
}

void cli_open_note(FILE *f, const cli_data *d, const char *what)
{
    if (!d->n_open)
        return;
    char g[32];
    fprintf(f, "open      %s leads whose %s: %s\n", mql_fmt_grouped((double)d->n_open, g, sizeof g),
            d->open_label ? d->open_label : "outcome is open", what);
}

int cli_closed_subset(const cli_data *d, const double *w_in, mql_table **t, unsigned char **y,
                      double **w, int *owned)
{
    *owned = 0;
    *t = d->table;
    *y = d->y;
    *w = (double *)w_in;
    if (!d->open)
        return MQL_OK;
    size_t n = d->table->n_rows, k = 0;
    unsigned char *keep = malloc(n ? n : 1);
    mql_err err;
    if (!keep) {
        cli_error("out of memory");
        return MQL_ENOMEM;
    }
    for (size_t i = 0; i < n; i++)
        keep[i] = !d->open[i];
    int st = mql_table_subset_view(d->table, keep, t, &err);
    if (st) {
        free(keep);
        *t = d->table;
        cli_error("%s", err.msg);
        return st;
    }
    size_t m = (*t)->n_rows;
    *y = malloc(m ? m : 1);
    *w = w_in ? malloc((m ? m : 1) * sizeof **w) : NULL;
    if (!*y || (w_in && !*w)) {
        free(*y);
        free(*w);
        free(keep);
        mql_table_free(*t);
        *t = d->table;
        cli_error("out of memory");
        return MQL_ENOMEM;
    }
    for (size_t i = 0; i < n; i++)
        if (keep[i]) {
            (*y)[k] = d->y[i];
            if (w_in)
                (*w)[k] = w_in[i];
            k++;
        }
    free(keep);
    *owned = 1;
    return MQL_OK;
}

/* Adds name (n bytes; up to a '=' when cut_eq) to l unless it is there. Returns 0 or -1. */
static int used_add(cli_names *l, const char *name, int cut_eq)
{
    if (!name || !*name)
        return 0;
    size_t n = strlen(name);
    const char *eq = cut_eq ? strchr(name, '=') : NULL;
    if (eq)
        n = (size_t)(eq - name);
    for (size_t k = 0; k < l->n; k++)
        if (strlen(l->v[k]) == n && strncmp(l->v[k], name, n) == 0)
            return 0;
    char **v = realloc(l->v, (l->n + 1) * sizeof *v);
    if (!v)
        return -1;
    l->v = v;
    return (l->v[l->n] = mql_strndup(name, n)) ? (l->n++, 0) : -1;
}

/* Whether list l holds name. */
static int names_have(const cli_names *l, const char *name)
{
    for (size_t k = 0; k < l->n; k++)
        if (strcmp(l->v[k], name) == 0)
            return 1;
    return 0;
}

/* The columns a command evaluating saved models reads: every column a rule of l->uses names, and
 * those of the role options (outcome, SQL, date, ACV, key, count table, lookup keys, and the
 * --features / --exclude lists, which are checked against the file). unread (when not NULL)
 * gets the --exclude'd columns no other option names, whose values nothing reads. */
static int used_columns(const cli_leads *l, cli_names *out, cli_names *unread)
{
    int bad = 0;
    for (int m = 0; m < 2; m++) {
        const mql_points *p = l->uses[m];
        for (size_t k = 0; p && k < p->n_rules; k++)
            for (size_t c = 0; c < p->rules[k].n_cond; c++)
                bad |= used_add(out, p->rules[k].cond[c].feature, 0);
    }
    const char *roles[] = {l->outcome, l->sql};
    for (size_t k = 0; k < 2; k++) {
        mql_flag_spec spec;
        mql_err err;
        if (roles[k] && mql_flag_spec_parse(roles[k], &spec, &err) == MQL_OK) {
            bad |= used_add(out, spec.column, 0);
            mql_flag_spec_clear(&spec);
        } else {
            bad |= used_add(out, roles[k], 1);
        }
    }
    const char *plain[] = {l->date, l->acv, l->key, l->count, l->won};
    for (size_t k = 0; k < sizeof plain / sizeof plain[0]; k++)
        bad |= used_add(out, plain[k], 0);
    for (size_t k = 0; k < l->n_on; k++)
        bad |= used_add(out, l->on[k], 1);
    cli_names lists[2] = {{0}, {0}};
    bad |= cli_names_split(l->features, &lists[0]) || cli_names_split(l->exclude, &lists[1]);
    for (size_t j = 0; j < 2; j++) {
        for (size_t k = 0; k < lists[j].n; k++) {
            if (j == 1 && unread && !names_have(out, lists[j].v[k]))
                bad |= used_add(unread, lists[j].v[k], 0);
            bad |= used_add(out, lists[j].v[k], 0);
        }
        cli_names_free(&lists[j]);
    }
    if (bad) {
        cli_names_free(out);
        if (unread)
            cli_names_free(unread);
        cli_error("out of memory");
        return MQL_ENOMEM;
    }
    return MQL_OK;
}

/* The first and last day of DATE column c, YYYY-MM-DD, into lo and hi (32 bytes each). */
static void date_range(const mql_column *c, char *lo, char *hi)
{
    double a = INFINITY, b = -INFINITY;
    for (size_t i = 0; i < c->n_rows; i++)
        if (!isnan(c->num[i])) {
            a = c->num[i] < a ? c->num[i] : a;
            b = c->num[i] > b ? c->num[i] : b;
        }
    mql_date_format(a, 0, lo, 32);
    mql_date_format(b, 0, hi, 32);
}

/* The most common value of text column c, or NULL. */
static const char *common_level(const mql_column *c)
{
    if (!c->levels || !c->n_levels)
        return NULL;
    size_t best = 0;
    for (size_t k = 1; k < c->n_levels; k++)
        if (c->level_count && c->level_count[k] > c->level_count[best])
            best = k;
    return c->levels[best];
}

/* Whether outcome column c holds one value, a lost spelling (0, false, no, n, f, lost). */
static int single_lost_value(const mql_column *c)
{
    if (c->n_distinct != 1)
        return 0;
    if (c->type == MQL_COL_BOOLEAN)
        return 1;
    if (c->type == MQL_COL_NUMERIC) {
        for (size_t i = 0; i < c->n_rows; i++)
            if (!isnan(c->num[i]))
                return c->num[i] == 0;
        return 0;
    }
    if (c->type != MQL_COL_CATEGORICAL || !c->n_levels)
        return 0;
    static const char *const blank[] = {""};
    mql_cell v;
    mql_cell_from_text(&v, c->levels[0], blank, 1);
    return mql_cell_truth(&v) == 0 || mql_value_eq(c->levels[0], "lost");
}

/* --date on a column that is not a date: what it holds and the forms mqlcal reads. */
static void date_column_error(const mql_column *c)
{
    const char *v = common_level(c);
    char what[200];
    if (c->type == MQL_COL_NUMERIC) {
        double a = INFINITY, b = -INFINITY;
        for (size_t i = 0; i < c->n_rows; i++)
            if (!isnan(c->num[i])) {
                a = c->num[i] < a ? c->num[i] : a;
                b = c->num[i] > b ? c->num[i] : b;
            }
        if (a <= b)
            snprintf(what, sizeof what, "numbers (%.15g to %.15g; read as dates only when all "
                     "are Excel serial days, Unix seconds or milliseconds of 1990-2100)", a, b);
        else
            snprintf(what, sizeof what, "numeric with no value");
    } else if (v) {
        snprintf(what, sizeof what, "%s (values such as '%.60s')", mql_coltype_name(c->type), v);
    } else {
        snprintf(what, sizeof what, "%s%s", mql_coltype_name(c->type),
                 c->n_missing == c->n_rows ? " with no value" : "");
    }
    cli_error("--date: column '%s' is %s, not a date; mqlcal reads 2024-03-05 or 2024/03/05 "
              "(with a time and zone: 2024-03-05T10:22:31Z, 2024-03-05 10:22:31.123+01:00) and "
              "a day and month around a four-digit year (03/05/2024, 05.03.2024, with a time "
              "such as 1:30 PM); export the column in one of these forms", c->name, what);
}

/* --acv on a column that is not numeric: what it holds, and how to make it a number. */
static void acv_column_error(const mql_column *c)
{
    const char *v = common_level(c);
    static const char *const money_marks[] = {"$", "\xe2\x82\xac", "\xc2\xa3", "EUR", "USD",
                                              "GBP", "CHF"};
    int money = 0;
    for (size_t k = 0; v && k < sizeof money_marks / sizeof *money_marks; k++)
        money |= strstr(v, money_marks[k]) != NULL;
    if (v)
        cli_error("--acv: column '%s' is %s (values such as '%.60s'), not numeric%s", c->name,
                  mql_coltype_name(c->type), v,
                  money ? ": amounts with a currency sign or code are text to mqlcal; export "
                          "the column as plain numbers (1234.50, or 1234,50 in a ';' file)"
                        : "");
    else
        cli_error("--acv: column '%s' is %s, not numeric", c->name, mql_coltype_name(c->type));
}

int cli_leads_load(const cli_leads *l, cli_data *d, int need_outcome)
{
    memset(d, 0, sizeof *d);
    d->outcome_col = d->sql_col = d->date_col = d->acv_col = d->key_col = d->count_col = -1;
    cli_names cat = {0}, num = {0}, excl = {0}, feat = {0}, used = {0}, unread = {0};
    mql_na_list na = {0};
    mql_read_opts ro = {0};
    mql_err err;
    int st = MQL_OK;
    if (!l->path) {
        cli_error("no lead file given");
        return MQL_EUSAGE;
    }
    if (cli_delim_parse(l->delim, &ro.delim))
        return MQL_EUSAGE;
    if (l->outcome && l->join) {
        cli_error("--outcome and --join both set the outcome: give one");
        return MQL_EUSAGE;
    }
    if ((l->count != NULL) != (l->won != NULL)) {
        cli_error("--count COL and --won COL go together (a count table)");
        return MQL_EUSAGE;
    }
    if (l->count && (l->outcome || l->join)) {
        cli_error("--count: the outcome of a count table is --won COL, not %s",
                  l->outcome ? "--outcome" : "--join");
        return MQL_EUSAGE;
    }
    if ((l->join || l->activity) && !l->key) {
        cli_error("--%s FILE needs --key COL (the lead id column)", l->join ? "join" : "activity");
        return MQL_EUSAGE;
    }
    if (l->key && !l->join && !l->activity) {
        cli_error("--key COL goes with --join FILE or --activity FILE");
        return MQL_EUSAGE;
    }
    if (need_outcome && cli_require_outcome(NULL, l))
        return MQL_EUSAGE;
    if ((l->lost || l->open) && !l->outcome) {
        cli_error("%s needs --outcome COL[=VALUE] (the column whose values it names)",
                  l->lost ? "--lost" : "--open");
        return MQL_EUSAGE;
    }
    if (l->n_lookup != l->n_on) {
        cli_error("--lookup FILE and --on COL go together: %zu --lookup, %zu --on", l->n_lookup,
                  l->n_on);
        return MQL_EUSAGE;
    }
    if (l->date_format) {
        const char *f = l->date_format;
        if (mql_strcasecmp(f, "mdy") == 0 || mql_strcasecmp(f, "MM/DD/YYYY") == 0)
            ro.date_order = MQL_DATE_MDY;
        else if (mql_strcasecmp(f, "dmy") == 0 || mql_strcasecmp(f, "DD/MM/YYYY") == 0 ||
                 mql_strcasecmp(f, "DD.MM.YYYY") == 0)
            ro.date_order = MQL_DATE_DMY;
        else {
            cli_error("--date-format: expected mdy (10/20/2016) or dmy (20/10/2016), got '%s'",
                      f);
            return MQL_EUSAGE;
        }
    }
    if (l->months) {
        long m;
        if (mql_parse_long(l->months, 1, 1200, &m)) {
            cli_error("--months: expected whole months from 1 to 1200, got '%s'", l->months);
            return MQL_EUSAGE;
        }
        if (l->date) {
            cli_error("--months states the period of a file without dates; with --date %s the "
                      "months come from the dates: give one", l->date);
            return MQL_EUSAGE;
        }
        d->months = (size_t)m;
    }
    if (l->na && (st = mql_na_parse(l->na, &na, &err))) {
        cli_error("--na: %s", err.msg);
        goto done;
    }
    if (cli_names_split(l->categorical, &cat) || cli_names_split(l->numeric, &num) ||
        cli_names_split(l->exclude, &excl) || cli_names_split(l->features, &feat)) {
        cli_error("out of memory");
        st = MQL_ENOMEM;
        goto done;
    }
    if (l->na) {                  /* mql_na_parse keeps "" in: empty cells stay missing */
        ro.na = (const char *const *)na.v;
        ro.n_na = na.n;
    } else if (l->model_na && l->model_na->v) {
        ro.na = (const char *const *)l->model_na->v;   /* the model's training placeholders */
        ro.n_na = l->model_na->n;
    }
    if (l->activity && l->key) {
        /* The lead key is compared as written with the activity log's keys: read it as text. */
        char **v = realloc(cat.v, (cat.n + 1) * sizeof *v);
        if (!v || !(v[cat.n] = mql_strdup(l->key))) {
            if (v)
                cat.v = v;
            cli_error("out of memory");
            st = MQL_ENOMEM;
            goto done;
        }
        cat.v = v;
        cat.n++;
    }
    ro.categorical = (const char *const *)cat.v;
    ro.n_categorical = cat.n;
    ro.numeric = (const char *const *)num.v;
    ro.n_numeric = num.n;
    for (size_t a = 0; a < num.n; a++)
        for (size_t k = 0; k < cat.n; k++)
            if (strcmp(num.v[a], cat.v[k]) == 0) {
                cli_error("--numeric %s: the column is also %s: one or the other", num.v[a],
                          l->key && strcmp(l->key, num.v[a]) == 0 && l->activity
                              ? "the lead key (--key), read as text"
                              : "given to --categorical");
                st = MQL_EUSAGE;
                goto done;
            }
    int uses = l->uses[0] || l->uses[1];
    mql_cache_opts co;
    cli_cache_opts(l, &co);
    /* Identifiers' values are read only where something may: a role, a join or the cache
     * (which keeps the table for the next command). */
    int ids_unused = l->ids_unused && !co.dir && !l->join && !l->key && !l->activity &&
                     !l->n_lookup && !l->count;
    free((char *)co.dir);
    if ((uses || ids_unused) && (st = used_columns(l, &used, ids_unused ? &unread : NULL)))
        goto done;
    if (used.v && uses) {
        ro.only = (const char *const *)used.v;
        ro.n_only = used.n;
        ro.only_if_present = 1;   /* a model column the file lacks is reported when bound */
    }
    if (ids_unused) {
        /* The columns the fit leaves out (--exclude, or every column --features does not list)
         * are only tokenised: the model never reads them, nor does anything the fit prints. */
        ro.ids_unused = 1;
        ro.used = (const char *const *)used.v;
        ro.n_used = used.n;
        ro.unread = (const char *const *)unread.v;
        ro.n_unread = unread.n;
        ro.unread_rest = l->features && *l->features;
    }
    if ((st = read_table(l, &ro, &d->table, &err))) {
        if (st == MQL_EUSAGE)
            cli_error("%s: %s", names_option(&num, err.msg), err.msg);
        else
            cli_error("%s", err.msg);
        goto done;
    }
    if ((st = header_row_check(d->table, "")))
        goto done;
    table_warnings(d->table);
    for (size_t k = 0; k < l->n_lookup; k++)
        if ((st = load_lookup(d, l, l->lookup[k], l->on[k], &ro)))
            goto done;
    if (l->count && (st = load_counts(l, d)))
        goto done;
    const mql_table *t = d->table;
    if (l->outcome && (st = eval_outcome(l, d)))
        goto done;
    if (l->join) {
        if ((d->key_col = role_column(t, "--key", l->key)) < 0) {
            st = MQL_EUSAGE;
            goto done;
        }
        if (!(d->y = malloc(t->n_rows ? t->n_rows : 1))) {
            cli_error("out of memory");
            st = MQL_ENOMEM;
            goto done;
        }
        if ((st = mql_join_eval(t, l->key, l->join, 0, d->y, &err))) {
            cli_error("%s%s", st == MQL_EUSAGE ? "--key: " : "", err.msg);
            goto done;
        }
        for (size_t i = 0; i < t->n_rows; i++)
            d->n_pos += d->y[i];
        if (d->n_pos < t->n_rows && 2 * d->n_pos > t->n_rows) {
            /* A join file lists the won leads; one that most leads are in is more likely a
             * table of attributes (accounts by account), which --lookup brings in. */
            char g1[32], g2[32];
            cli_warn("--join %s: %s of %s leads (%.1f%%) have their %s there, so %.1f%% count "
                     "as won; a --join file lists won leads only (closed deals by lead id): to "
                     "bring its columns in as features use --lookup %s --on %s instead",
                     l->join, mql_fmt_grouped((double)d->n_pos, g1, sizeof g1),
                     mql_fmt_grouped((double)t->n_rows, g2, sizeof g2),
                     100.0 * (double)d->n_pos / (double)t->n_rows, l->key,
                     100.0 * (double)d->n_pos / (double)t->n_rows, l->join, l->key);
        }
    } else if (l->activity && (d->key_col = role_column(t, "--key", l->key)) < 0) {
        st = MQL_EUSAGE;
        goto done;
    }
    const char *out1 = l->outcome ? l->outcome : l->won ? l->won : l->key;
    size_t n_out = strlen(out1 ? out1 : "") + strlen(l->join ? l->join : "") + 16;
    if ((l->outcome || l->join || l->won) && (d->outcome_label = malloc(n_out)))
        snprintf(d->outcome_label, n_out, l->join ? "%s in %s" : "%s", out1,
                 l->join ? l->join : "");
    size_t n_leads = t->n_rows;
    if (d->w) {
        n_leads = 0;
        for (size_t i = 0; i < t->n_rows; i++)
            n_leads += (size_t)d->w[i];
    }
    if (d->y && d->n_pos == 0 && l->won) {
        cli_error("--won %s: no won leads (0 of %zu)", l->won, n_leads);
        st = MQL_EDATA;
        goto done;
    }
    if (d->y && d->n_pos == n_leads && l->won) {
        cli_error("--won %s: every lead won (%zu of %zu); the outcome needs both won and not won "
                  "leads", l->won, d->n_pos, n_leads);
        st = MQL_EDATA;
        goto done;
    }
    if (d->y && d->n_pos == 0 && l->outcome && d->outcome_col >= 0) {
        char top[600];
        const mql_column *c = &t->cols[d->outcome_col];
        mql_column_top_values(c, 5, top, sizeof top);
        const char *eq = strchr(l->outcome, '=');
        if (eq)
            cli_error("--outcome %s: no positive rows (0 of %zu): no cell of '%s' equals '%s' "
                      "(ignoring case, blanks and number spelling); its most common values: %s",
                      l->outcome, t->n_rows, c->name, eq + 1, top);
        else if (single_lost_value(c))
            cli_error("--outcome %s: no positive rows (0 of %zu): every filled cell of '%s' "
                      "reads as lost (%s), so the file holds no won deal; a model needs won and "
                      "lost leads: export a longer period or check the outcome column",
                      l->outcome, t->n_rows, c->name, top);
        else
            cli_error("--outcome %s: no positive rows (0 of %zu); positive means "
                      "1/true/yes/y/won, or use --outcome COL=VALUE with one of its most common "
                      "values: %s", l->outcome, t->n_rows, top);
        st = MQL_EDATA;
        goto done;
    }
    if (d->y && d->n_pos == 0) {
        cli_error("%s %s: no positive rows (0 of %zu); positive means 1/true/yes/y/won, or use "
                  "--outcome COL=VALUE", l->outcome ? "--outcome" : "--join",
                  l->outcome ? l->outcome : l->join, t->n_rows);
        st = MQL_EDATA;
        goto done;
    }
    if (d->y && d->n_pos == t->n_rows - d->n_open) {
        cli_error("%s %s: only positive rows (%zu of %zu); the outcome needs both won and not "
                  "won leads", l->outcome ? "--outcome" : "--join",
                  l->outcome ? l->outcome : l->join, d->n_pos, t->n_rows);
        st = MQL_EDATA;
        goto done;
    }
    if (l->sql && !l->count &&
        (st = eval_flag(t, "--sql", l->sql, &d->sql, &d->n_sql, &d->sql_col)))
        goto done;
    if (l->date) {
        if ((d->date_col = role_column(t, "--date", l->date)) < 0) {
            st = MQL_EUSAGE;
            goto done;
        }
        const mql_column *c = &t->cols[d->date_col];
        if (c->type != MQL_COL_DATE && c->date_ambiguous) {
            cli_error("--date: column '%s' holds dates such as %s that read both as "
                      "month/day/year and day/month/year: give --date-format mdy or dmy",
                      c->name, c->levels[0]);
            st = MQL_EDATA;
            goto done;
        }
        const char *form = NULL;
        if (c->type == MQL_COL_NUMERIC) {
            /* Excel writes a date cell formatted as General as its serial day number, and
             * warehouses write epoch timestamps: named by --date, such numbers are dates. */
            int cs = mql_column_numeric_to_date(&d->table->cols[d->date_col], &form);
            if (cs == MQL_ENOMEM) {
                cli_error("out of memory");
                st = cs;
                goto done;
            }
        }
        if (form) {
            char lo[32], hi[32];
            date_range(c, lo, hi);
            fprintf(stderr, "mqlcal: note: --date: column '%s' holds %s, read as dates (%s to "
                    "%s)\n", c->name, form, lo, hi);
        } else if (c->type != MQL_COL_DATE) {
            date_column_error(c);
            st = MQL_EDATA;
            goto done;
        }
    }
    if (l->acv) {
        if ((d->acv_col = role_column(t, "--acv", l->acv)) < 0) {
            st = MQL_EUSAGE;
            goto done;
        }
        const mql_column *c = &t->cols[d->acv_col];
        if (c->type != MQL_COL_NUMERIC) {
            acv_column_error(c);
            st = MQL_EDATA;
            goto done;
        }
        /* A refund or a credit note exported as a deal: summed as it is, it lowers the ACV
         * captured and the plan's ACV, so say so. */
        size_t n_neg = 0, first = 0;
        for (size_t i = 0; i < t->n_rows; i++)
            if (c->num[i] < 0 && n_neg++ == 0)
                first = i;
        if (n_neg)
            cli_warn("%s:%zu: --acv: %zu deal value%s negative (the first is %g, here): summed as "
                     "%s in ACV captured and the plan's average; check for refunds or credits",
                     t->source, mql_table_line(t, first), n_neg, n_neg == 1 ? " is" : "s are",
                     c->num[first], n_neg == 1 ? "it is" : "they are");

    }
    const cli_names *lists[2] = {&excl, &feat};
    const char *lname[2] = {"--exclude", "--features"};
    for (int q = 0; q < 2; q++)
        for (size_t k = 0; k < lists[q]->n; k++)
            if (role_column(t, lname[q], lists[q]->v[k]) < 0) {
                st = MQL_EUSAGE;
                goto done;
            }
    if (!(d->feature = calloc(t->n_cols ? t->n_cols : 1, 1))) {
        cli_error("out of memory");
        st = MQL_ENOMEM;
        goto done;
    }
    for (size_t j = 0; j < t->n_cols; j++) {
        long jj = (long)j;
        int role = jj == d->outcome_col || jj == d->sql_col || jj == d->date_col ||
                   jj == d->acv_col || jj == d->key_col || jj == d->count_col;
        int listed = 0, excluded = 0;
        for (size_t k = 0; k < feat.n; k++)
            listed |= strcmp(feat.v[k], t->cols[j].name) == 0;
        for (size_t k = 0; k < excl.n; k++)
            excluded |= strcmp(excl.v[k], t->cols[j].name) == 0;
        if (feat.n)
            d->feature[j] = listed && !excluded && !role;
        else
            d->feature[j] = !role && !excluded && t->cols[j].type != MQL_COL_ID;
    }
done:
    mql_na_clear(&na);
    cli_names_free(&cat);
    cli_names_free(&num);
    cli_names_free(&excl);
    cli_names_free(&feat);
    cli_names_free(&used);
    cli_names_free(&unread);
    if (st)
        cli_data_free(d);
    return st;
}

void cli_data_free(cli_data *d)
{
    if (!d)
        return;
    mql_table_free(d->table);
    free(d->y);
    free(d->sql);
    free(d->w);
    free(d->feature);
    free(d->outcome_label);
    free(d->open);
    free(d->open_label);
    memset(d, 0, sizeof *d);
    d->outcome_col = d->sql_col = d->date_col = d->acv_col = d->key_col = d->count_col = -1;
}
