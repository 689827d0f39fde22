/* cmd_sql.c: `mqlcal sql`: prints the SQL a warehouse runs for mqlcal: the scoring query of a
 * model, its score-by-period count table, or the cell count table of a design (from a model or
 * from a sample of the leads with the fit's encoding options). */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "mqlcal/design.h"
#include "mqlcal/points.h"
#include "mqlcal/sql.h"

static void usage(FILE *f)
{
    fprintf(f,
            "usage: mqlcal sql MODEL --dialect D --table T [--columns LIST] [--threshold N]\n"
            "       mqlcal sql MODEL --counts --dialect D --table T --outcome COL [roles]\n"
            "       mqlcal sql MODEL --cells --dialect D --table T --outcome COL [roles]\n"
            "       mqlcal sql --fit-design SAMPLE.csv --dialect D --table T --outcome COL\n"
            "                  [roles] [lead file options] [design options]\n"
            "\n"
            "Prints SQL for a warehouse, so the engine does the pass over every lead:\n"
            "  MODEL               the scoring query: per lead of T the --columns, then score,\n"
            "                      fit_score, engagement_score, probability, band, is_mql (1/0)\n"
            "                      and reason_1..reason_3, exactly as `mqlcal score` gives them\n"
            "  MODEL --counts      leads (n), won, sql and acv by score (and period): the table\n"
            "                      backtests and calibration need for a fixed model\n"
            "  MODEL --cells       leads and wins by cell of the model's design (a model JSON\n"
            "                      written by fit): the table a refit needs\n"
            "  --fit-design SAMPLE the same cell table for the design that `fit` would build\n"
            "                      from SAMPLE.csv with the same options (SAMPLE may be a sample\n"
            "                      of the leads; its column types decide how roles are read)\n"
            "Fit, backtest, calibrate or review a cell table with `--count n --won won` (and\n"
            "`--sql sql --acv acv --date COL` when given): the rows stand for the leads they\n"
            "count, so the estimates, intervals and tables are those of the raw rows.\n"
            "\n"
            "  --dialect D          postgres, sqlite (needs REGEXP: the sqlite3 shell has it),\n"
            "                       bigquery, snowflake or spark (Spark SQL / Databricks)\n"
            "  --table T            the leads table; 'schema.table' parts are quoted apart\n"
            "  --columns LIST       scoring: columns copied into the output (e.g. lead_id)\n"
            "  --threshold N        scoring: MQL threshold instead of the model's (bands move)\n"
            "  --counts, --cells    the count tables above\n"
            "  --fit-design FILE    cells of the design built from the sample FILE\n"
            "  --outcome COL[=VALUE], --sql COL[=VALUE]  roles of the count tables: won and sql\n"
            "                       count the leads whose cell is positive (see `fit --help`)\n"
            "  --date COL           group by the month of COL (YYYY-MM-01), or the day with\n"
            "  --period day         (a day table keeps --maturity and mid-month splits exact)\n"
            "  --acv COL            acv = the sum of COL over won leads\n"
            "  --na LIST            placeholders read as missing (default: the model's list, or\n"
            "                       the defaults): LIST replaces, +LIST adds, -LIST keeps\n"
            "                       defaults as answers (as for score and fit)\n"
            "  --min-level-count N, --reference R, --bins B, --cuts C, --fit LIST,\n"
            "  --engagement LIST, --delim C, --categorical LIST, --numeric LIST, --exclude LIST,\n"
            "  --features LIST      with --fit-design: the design options of `fit`. Pass the\n"
            "                       printed --cuts (and --categorical, --numeric) to the fit of\n"
            "                       the table\n"
            "  -o FILE              write to FILE (atomically) instead of standard output\n"
            "  -h, --help           this help\n"
            "\n"
            "Every value is a literal escaped for the dialect and every name a quoted identifier,\n"
            "so level names with quotes, backslashes or any UTF-8 are safe.\n"
            "\n"
            "exit codes: 0 ok, 1 invalid model or sample, 2 usage, 3 I/O\n");
}

typedef struct sql_opts {
    cli_leads leads;
    mql_design_opts design;
    const char *dialect, *table, *columns, *threshold, *fit_design, *period, *out;
    int counts, cells, bad;
} sql_opts;

static int design_opt(sql_opts *o, int argc, char **argv, int *i)
{
    static const char *const names[] = {"--min-level-count", "--reference", "--bins", "--cuts",
                                        "--fit", "--engagement"};
    for (size_t k = 0; k < sizeof names / sizeof names[0]; k++) {
        const char *val;
        int r = cli_opt(argc, argv, i, names[k], &val);
        if (r <= 0) {
            if (r < 0)
                return r;
            continue;
        }
        mql_err err;
        int st;
        switch (k) {
        case 0: st = mql_design_opts_parse_min_level_count(&o->design, val, &err); break;
        case 1: st = mql_design_opts_parse_reference(&o->design, val, &err); break;
        case 2: st = mql_design_opts_parse_bins(&o->design, val, &err); break;
        case 3: st = mql_design_opts_parse_cuts(&o->design, val, &err); break;
        case 4: st = mql_design_opts_parse_group(&o->design, MQL_GROUP_FIT, val, &err); break;
        default: st = mql_design_opts_parse_group(&o->design, MQL_GROUP_ENGAGEMENT, val, &err);
        }
        if (st) {
            cli_error("%s", err.msg);
            return -1;
        }
        return 1;
    }
    return 0;
}

static int match(void *vo, int argc, char **argv, int *i)
{
    sql_opts *o = vo;
    if (strcmp(argv[*i], "--counts") == 0) {
        o->counts = 1;
        (*i)++;
        return 1;
    }
    if (strcmp(argv[*i], "--cells") == 0) {
        o->cells = 1;
        (*i)++;
        return 1;
    }
    struct {
        const char *name;
        const char **slot;
    } opts[] = {
        {"--dialect", &o->dialect}, {"--table", &o->table}, {"--columns", &o->columns},
        {"--threshold", &o->threshold}, {"--fit-design", &o->fit_design},
        {"--period", &o->period}, {"-o", &o->out}, {"--output", &o->out},
    };
    for (size_t k = 0; k < sizeof opts / sizeof opts[0]; k++) {
        int r = cli_opt(argc, argv, i, opts[k].name, opts[k].slot);
        if (r)
            return r;
    }
    int r = cli_leads_opt(&o->leads, argc, argv, i);
    return r ? r : design_opt(o, argc, argv, i);
}

/* "a,b" -> trimmed names (the list and its strings malloc'd), n set. NULL on no memory. */
static char **split_list(const char *s, size_t *n)
{
    size_t cap = 2;
    for (const char *p = s; *p; p++)
        cap += *p == ',';
    char **v = calloc(cap, sizeof *v);
    if (!v)
        return NULL;
    *n = 0;
    for (const char *p = s;;) {
        const char *e = strchr(p, ',');
        const char *b;
        size_t len = mql_trim_span(p, e ? (size_t)(e - p) : strlen(p), &b);
        if (!(v[(*n)++] = mql_strndup(b, len)))
            goto fail;
        if (!e)
            break;
        p = e + 1;
    }
    return v;
fail:
    for (size_t k = 0; k < *n; k++)
        free(v[k]);
    free(v);
    return NULL;
}

static void free_list(char **v, size_t n)
{
    for (size_t k = 0; v && k < n; k++)
        free(v[k]);
    free(v);
}

/* Splits COL[=VALUE] into spec (strings owned by the flag spec fs). */
static int role_flag(const char *opt, const char *text, mql_flag_spec *fs, mql_sql_flag *f)
{
    if (!text)
        return MQL_OK;
    mql_err err;
    if (mql_flag_spec_parse(text, fs, &err)) {
        cli_error("%s: %s", opt, err.msg);
        return MQL_EUSAGE;
    }
    f->column = fs->column;
    f->value = fs->value;
    return MQL_OK;
}

/* The role types from the sample (how mql_flag_eval reads them). */
static int sample_type(const mql_table *t, const char *opt, mql_sql_flag *f)
{
    if (!f->column)
        return MQL_OK;
    long j = mql_table_find(t, f->column);
    if (j < 0) {
        cli_error("%s: the sample has no column '%s'", opt, f->column);
        return MQL_EUSAGE;
    }
    f->type = (int)t->cols[j].type;
    if (f->type == MQL_COL_DATE && f->value) {
        cli_error("%s %s=%s: a date column is positive when filled; sql cannot compare dates to "
                  "a value", opt, f->column, f->value);
        return MQL_EUSAGE;
    }
    return MQL_OK;
}

static int check_usage(const sql_opts *o, const cli_pos *pos, mql_sql_opts *so)
{
    if (!o->dialect || mql_sql_dialect_parse(o->dialect, &so->dialect)) {
        cli_error("sql: --dialect postgres|sqlite|bigquery|snowflake|spark is needed%s%s%s",
                  o->dialect ? " (got '" : "", o->dialect ? o->dialect : "",
                  o->dialect ? "')" : "");
        return MQL_EUSAGE;
    }
    if (!o->table) {
        cli_error("sql: --table T is needed (the leads table)");
        return MQL_EUSAGE;
    }
    if ((pos->n == 1) == (o->fit_design != NULL)) {
        cli_error("sql: give MODEL or --fit-design SAMPLE.csv, not %s", pos->n ? "both" : "neither");
        return MQL_EUSAGE;
    }
    if (o->counts && o->cells) {
        cli_error("sql: --counts and --cells are two tables: give one");
        return MQL_EUSAGE;
    }
    if (o->fit_design && (o->counts || o->cells || o->columns || o->threshold)) {
        cli_error("sql: --fit-design prints the cell table; --counts, --cells, --columns and "
                  "--threshold go with MODEL");
        return MQL_EUSAGE;
    }
    int agg = o->counts || o->cells || o->fit_design;
    if (agg && !o->leads.outcome) {
        cli_error("sql: a count table needs --outcome COL");
        return MQL_EUSAGE;
    }
    if (!agg && (o->leads.outcome || o->leads.sql || o->leads.date || o->leads.acv)) {
        cli_error("sql: --outcome, --sql, --date and --acv are for the count tables (--counts, "
                  "--cells, --fit-design)");
        return MQL_EUSAGE;
    }
    if (agg && o->columns) {
        cli_error("sql: --columns is for the scoring query");
        return MQL_EUSAGE;
    }
    if (o->leads.join || o->leads.key) {
        cli_error("sql: --join and --key are not supported: join the outcome in the warehouse");
        return MQL_EUSAGE;
    }
    if (o->period && strcmp(o->period, "month") != 0 && strcmp(o->period, "day") != 0) {
        cli_error("--period: month or day, not '%s'", o->period);
        return MQL_EUSAGE;
    }
    if (o->period && !o->leads.date) {
        cli_error("sql: --period needs --date COL");
        return MQL_EUSAGE;
    }
    if (!o->fit_design && (o->design.n_cuts || o->design.bins || o->design.n_col_bins ||
                           o->design.n_ref || o->design.n_fit || o->design.n_engagement ||
                           o->leads.categorical || o->leads.numeric || o->leads.exclude ||
                           o->leads.features ||
                           o->leads.delim)) {
        cli_error("sql: the design options go with --fit-design (a model has its design)");
        return MQL_EUSAGE;
    }
    so->table = o->table;
    so->date = o->leads.date;
    so->acv = o->leads.acv;
    so->by_day = o->period && strcmp(o->period, "day") == 0;
    return MQL_OK;
}

/* The design of --fit-design: `fit`'s design from the sample. */
static int sample_design(sql_opts *o, mql_sql_opts *so, cli_data *d, mql_design **out)
{
    mql_err err;
    cli_leads l = o->leads;
    l.path = o->fit_design;
    int st = cli_leads_load(&l, d, 1);
    if (st)
        return st;
    const char *roles[] = {l.outcome, l.sql, l.date, l.acv};
    for (size_t k = 0; k < 4; k++) {
        char *col = roles[k] ? mql_strdup(roles[k]) : NULL;
        if (col && strchr(col, '=') && k < 2)
            *strchr(col, '=') = '\0';
        if (roles[k] && (!col || mql_design_opts_add_role(&o->design, col, &err))) {
            free(col);
            cli_error("out of memory");
            return MQL_ENOMEM;
        }
        free(col);
    }
    if (l.features && (st = mql_design_opts_parse_features(&o->design, l.features, &err)))
        goto bad;
    if (l.exclude && (st = mql_design_opts_parse_exclude(&o->design, l.exclude, &err)))
        goto bad;
    if ((st = sample_type(d->table, "--outcome", &so->outcome)) ||
        (st = sample_type(d->table, "--sql", &so->sql)))
        return st;
    if ((st = mql_design_build(d->table, &o->design, out, &err)))
        goto bad;
    return MQL_OK;
bad:
    cli_error("%s", err.msg);
    return st;
}

/* The rules (with --threshold applied) of MODEL, or the model when its design is needed. */
static int load_model(const char *path, const sql_opts *o, mql_model **m)
{
    int st = cli_model_load(path, m);
    if (st)
        return st;
    if (o->cells && !(*m)->design) {
        cli_error("%s: --cells needs a model JSON written by fit (a rules file has no design); "
                  "use --fit-design SAMPLE.csv", path);
        return MQL_EDATA;
    }
    if (o->threshold) {
        long t;
        mql_err err;
        if (mql_parse_long(o->threshold, LONG_MIN / 4, LONG_MAX / 4, &t)) {
            cli_error("--threshold: expected an integer score, got '%s'", o->threshold);
            return MQL_EUSAGE;
        }
        (*m)->points->threshold = t;
        if ((st = mql_points_make_bands((*m)->points, &err))) {
            cli_error("%s", err.msg);
            return st;
        }
    }
    return MQL_OK;
}

int cmd_sql(int argc, char **argv)
{
    sql_opts o = {0};
    mql_design_opts_init(&o.design);
    cli_pos pos = {.cmd = "sql", .expect = "MODEL", .min = 0, .max = 1};
    mql_sql_opts so;
    mql_sql_opts_init(&so);
    mql_flag_spec fo = {0}, fs = {0};
    char **keys = NULL;
    size_t n_keys = 0;
    mql_na_list na = {0};
    cli_data d = {0};
    mql_model *m = NULL;
    mql_design *design = NULL;
    char *text = NULL;
    mql_err err;
    int st = cli_parse(argc, argv, usage, match, &o, &pos);
    if (st) {
        st = st < 0 ? MQL_OK : st;
        goto done;
    }
    if ((st = check_usage(&o, &pos, &so)) ||
        (st = role_flag("--outcome", o.leads.outcome, &fo, &so.outcome)) ||
        (st = role_flag("--sql", o.leads.sql, &fs, &so.sql)))
        goto done;
    if (o.columns && !(keys = split_list(o.columns, &n_keys))) {
        cli_error("out of memory");
        st = MQL_ENOMEM;
        goto done;
    }
    if (o.leads.na && (st = mql_na_parse(o.leads.na, &na, &err))) {
        cli_error("--na: %s", err.msg);
        goto done;
    }
    so.keys = (const char *const *)keys;
    so.n_keys = n_keys;
    so.na = o.leads.na ? (const char *const *)na.v : NULL;
    so.n_na = o.leads.na ? na.n : 0;
    if (o.fit_design) {
        if ((st = sample_design(&o, &so, &d, &design)))
            goto done;
        for (size_t k = 0; k < design->n_notes; k++)
            fprintf(stderr, "mqlcal: note: %s\n", design->notes[k]);
        st = mql_sql_cells(design, &so, &text, &err);
    } else {
        if ((st = load_model(pos.v[0], &o, &m)))
            goto done;
        if (!o.leads.na) {   /* the model's own placeholders (those of its training file) */
            so.na = mql_points_na(m->points);
            so.n_na = m->points->na.n;
        }
        if (o.cells)
            st = mql_sql_cells(m->design, &so, &text, &err);
        else if (o.counts)
            st = mql_sql_score_counts(m->points, &so, &text, &err);
        else
            st = mql_sql_score(m->points, &so, &text, &err);
    }
    if (st) {
        cli_error("%s", err.msg);
        goto done;
    }
    const mql_design *dz = design ? design : o.cells ? m->design : NULL;
    cli_out out;
    if ((st = cli_out_open(&out, o.out)))
        goto done;
    int bad = fputs(text, out.f) == EOF;
    /* how to read the cell table back: the count columns and the encoding a fit must be given
     * to rebuild the same design (the cuts; the rest follows from the counts) */
    if (dz) {
        bad |= fprintf(out.f, "-- read the result with: --count n --won won%s%s%s%s",
                       o.leads.sql ? " --sql sql" : "", o.leads.acv ? " --acv acv" : "",
                       o.leads.date ? " --date " : "", o.leads.date ? o.leads.date : "") < 0;
        for (size_t f = 0; f < dz->n_features && !bad; f++) {
            const mql_feature *ft = &dz->features[f];
            if (ft->enc != MQL_ENC_BINNED)
                continue;
            bad |= fprintf(out.f, " --cuts %s=", ft->name) < 0;
            for (size_t k = 0; k < ft->n_cuts && !bad; k++) {
                char buf[40];
                mql_fmt_shortest(ft->cuts[k], buf, sizeof buf);
                bad |= fprintf(out.f, "%s%s", k ? "," : "", buf) < 0;
            }
        }
        bad |= fputc('\n', out.f) == EOF;
    }
    if (bad) {
        int e = errno;   /* the failed write's reason, as cli_out_close gives a later one */
        cli_error("%s: write error: %s", o.out && strcmp(o.out, "-") ? o.out : "standard output",
                  e ? strerror(e) : "unknown");
        cli_out_close(&out, 0);
        st = MQL_EIO;
        goto done;
    }
    st = cli_out_close(&out, 1);
done:
    free(text);
    mql_design_free(design);
    mql_model_free(m);
    if (d.table)
        cli_data_free(&d);
    free_list(keys, n_keys);
    mql_na_clear(&na);
    mql_flag_spec_clear(&fo);
    mql_flag_spec_clear(&fs);
    mql_design_opts_clear(&o.design);
    return st;
}
