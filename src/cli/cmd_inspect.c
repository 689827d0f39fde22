/* cmd_inspect.c: `mqlcal inspect`: profiles a lead export (types, missing shares, levels, ranges),
 * the outcome base rate with its Wilson interval, and warnings (constant, identifier-like and
 * leakage-suspect columns). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "mqlcal/leakage.h"
#include "mqlcal/metrics.h"
#include "mqlcal/report_table.h"
#include "mqlcal/table.h"
#include "mqlcal/value_runs.h"

static void usage(FILE *f)
{
    fprintf(f,
            "usage: mqlcal inspect LEADS.csv [lead file options] [--format table|csv|json|md]\n"
            "\n"
            "Profiles the columns of a lead export: inferred type (numeric, boolean, date,\n"
            "categorical, id), missing share, distinct values, the top 3 levels with counts\n"
            "(categorical, boolean), min / median / max (numeric), the date range (date), and\n"
            "with --outcome or --join the base rate with its Wilson 95%% interval. LEADS.csv '-'\n"
            "is standard input.\n"
            "\n"
            "Warnings: constant columns; identifier-like columns (>= 95%% distinct over >= 20\n"
            "filled rows, or named id / *_id with every value distinct; integers also need dense\n"
            "values or an id name); they are not used as features. Screening (the same in fit\n"
            "and review, which leaves suspects out of its new model): %s.\n"
            "\n"
            "%s"
            "\n"
            "output:\n"
            "  --format F           table (default) or md: summary, column table and warnings;\n"
            "                       csv: the column table only; json: one object with all of it\n"
            "  -h, --help           this help\n"
            "\n"
            "exit codes: 0 ok, 1 invalid data (bad CSV, outcome without positives or negatives),\n"
            "2 usage (unknown option or column), 3 file cannot be read\n",
            mql_screen_rule, cli_leads_usage);
}

static void swap_d(double *a, double *b)
{
    double t = *a;
    *a = *b;
    *b = t;
}

/* k-th smallest of v[0..n) (Hoare's quickselect, median-of-three pivot); reorders v. */
static double select_kth(double *v, size_t n, size_t k)
{
    size_t lo = 0, hi = n - 1;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (v[mid] < v[lo])
            swap_d(&v[mid], &v[lo]);
        if (v[hi] < v[lo])
            swap_d(&v[hi], &v[lo]);
        if (v[hi] < v[mid])
            swap_d(&v[hi], &v[mid]);
        double pivot = v[mid];
        size_t i = lo, j = hi;
        while (i <= j) {
            while (v[i] < pivot)
                i++;
            while (v[j] > pivot)
                j--;
            if (i <= j) {
                swap_d(&v[i], &v[j]);
                i++;
                if (j == 0)
                    break;
                j--;
            }
        }
        if (k <= j)
            hi = j;
        else if (k >= i)
            lo = i;
        else
            return v[k];
    }
    return v[k];
}

/* Min, median (R's: mean of the two middle values for an even count) and max of the filled
 * values; NAN when none. */
/* Minimum, median and maximum of a numeric column. A column of plain decimals over a span its
 * written digits can count (mql_runs_by_digits) gives the middle values from its runs, without a
 * copy or a selection; otherwise *scratch (n values, allocated at the first call and kept for
 * the next column: fresh pages cost a fault and a zeroing each) holds the values for the
 * selection. A zero median reads 0, never -0, either way. */
static int num_summary(const mql_column *c, size_t n, double **scratch, double *mn, double *med,
                       double *mx)
{
    mql_value_runs vr = {0};
    int by_runs = c->plain_decimal ? mql_runs_by_digits(c->num, n, c->decimals, &vr) : 1;
    if (by_runs < 0)
        return -1;
    if (by_runs == 0) {
        /* the extremes from the values, not the runs: the runs read -0 as 0, and a minimum or
         * maximum of -0 prints as written */
        double lo = INFINITY, hi = -INFINITY;
        for (size_t i = 0; i < n; i++) {
            double x = c->num[i];   /* NaN compares false */
            lo = x < lo ? x : lo;
            hi = x > hi ? x : hi;
        }
        size_t m = vr.nv;
        *mn = m ? lo : NAN;
        *mx = m ? hi : NAN;
        *med = m == 0       ? NAN
               : m % 2      ? mql_runs_at(&vr, m / 2)
                            : (mql_runs_at(&vr, m / 2 - 1) + mql_runs_at(&vr, m / 2)) / 2;
        *med = *med == 0 ? 0.0 : *med;
        mql_runs_free(&vr);
        return 0;
    }
    if (!*scratch && !(*scratch = mql_alloc_big((n ? n : 1) * sizeof **scratch)))
        return -1;
    double *v = *scratch, lo = INFINITY, hi = -INFINITY;
    size_t m = 0;
    for (size_t i = 0; i < n; i++) {
        double x = c->num[i];
        if (isnan(x))
            continue;
        v[m++] = x;
        lo = x < lo ? x : lo;
        hi = x > hi ? x : hi;
    }
    *mn = lo;
    *mx = hi;
    if (m == 0) {
        *mn = *med = *mx = NAN;
    } else {
        double upper = select_kth(v, m, m / 2);
        if (m % 2) {
            *med = upper;
        } else {
            double lower = -INFINITY;       /* the largest value left of the upper middle */
            for (size_t i = 0; i < m / 2; i++)
                lower = v[i] > lower ? v[i] : lower;
            *med = (lower + upper) / 2;
        }
        *med = *med == 0 ? 0.0 : *med;
    }
    return 0;
}

static void top_levels(const mql_column *c, size_t n_rows, char *buf, size_t cap)
{
    size_t best[3] = {0}, nb = 0;
    for (size_t k = 0; k < c->n_levels; k++) {
        size_t pos = nb < 3 ? nb++ : 3;
        while (pos > 0 && c->level_count[best[pos - 1]] < c->level_count[k]) {
            if (pos < 3)
                best[pos] = best[pos - 1];
            pos--;
        }
        if (pos < 3)
            best[pos] = k;
    }
    size_t o = 0;
    buf[0] = '\0';
    for (size_t q = 0; q < nb && o < cap; q++) {
        size_t k = best[q];
        o += (size_t)snprintf(buf + o, cap - o, "%s%.40s %zu (%.1f%%)", q ? ", " : "",
                              c->levels[k], c->level_count[k],
                              100.0 * (double)c->level_count[k] / (double)n_rows);
    }
    if (c->n_levels > nb && o < cap)
        snprintf(buf + o, cap - o, ", +%zu more", c->n_levels - nb);
    for (char *p = buf; *p; p++)     /* a level with a line break must not break the table */
        if ((unsigned char)*p < 0x20)
            *p = ' ';
}

static void json_str(FILE *f, const char *s)
{
    fputc('"', f);
    for (; *s; s++) {
        unsigned char ch = (unsigned char)*s;
        if (ch == '"' || ch == '\\')
            fprintf(f, "\\%c", ch);
        else if (ch < 0x20)
            fprintf(f, "\\u%04x", ch);
        else
            fputc(ch, f);
    }
    fputc('"', f);
}

typedef struct inspect_opts {
    cli_leads leads;
    mql_format format;
} inspect_opts;

static int match(void *vo, int argc, char **argv, int *i)
{
    inspect_opts *o = vo;
    int r = cli_leads_opt(&o->leads, argc, argv, i);
    if (r == 0)
        r = cli_format_opt(argc, argv, i, &o->format, 1);
    return r;
}

static int parse_args(int argc, char **argv, inspect_opts *o)
{
    cli_pos pos = {.cmd = "inspect", .expect = "LEADS.csv", .min = 1, .max = 1};
    int st = cli_parse(argc, argv, usage, match, o, &pos);
    if (!st)
        o->leads.path = pos.v[0];
    return st;
}

static const char *delim_name(char d)
{
    return d == '\t' ? "tab" : d == ';' ? ";" : d == '|' ? "|" : ",";
}

void cli_inspect_free(cli_inspect *r)
{
    if (!r)
        return;
    for (size_t k = 0; k < r->n_warn; k++)
        free(r->warn[k]);
    free(r->warn);
    free(r->leak);
    mql_screen_free(r->own_screen);
    mql_tab_free(r->tab);
    memset(r, 0, sizeof *r);
}

int cli_inspect_columns(const cli_data *dp, const mql_screen *screen, cli_inspect *r)
{
    const cli_data d = *dp;
    const mql_table *t = d.table;
    static const char *const names[] = {"column", "type", "missing", "missing_pct", "distinct",
                                        "min", "median", "max", "top_levels", "note"};
    memset(r, 0, sizeof *r);
    mql_tab *tab = r->tab = mql_tab_new(10, names);
    char **warn = r->warn = calloc(t->n_cols ? t->n_cols : 1, sizeof *warn);
    r->leak = calloc(t->n_cols ? t->n_cols : 1, 1);
    unsigned char *role = calloc(t->n_cols ? t->n_cols : 1, 1);
    const long roles[] = {d.outcome_col, d.key_col, d.sql_col, d.acv_col, d.date_col};
    for (size_t k = 0; role && k < sizeof roles / sizeof *roles; k++)
        if (roles[k] >= 0)
            role[roles[k]] = 1;
    mql_err err;
    int sst = !tab || !warn || !r->leak || !role ? MQL_ENOMEM
              : screen                            ? MQL_OK
                  : mql_screen_run(t, d.y, d.date_col, role, &r->own_screen, &err);
    r->screen = screen ? screen : r->own_screen;
    free(role);
    if (!tab || !warn || !r->leak || sst) {
        cli_inspect_free(r);
        cli_error("out of memory");
        return MQL_ENOMEM;
    }
    int oom = 0;
    double *scratch = NULL;
    for (size_t j = 0; j < t->n_cols; j++) {
        const mql_column *c = &t->cols[j];
        char note[768] = "", top[512] = "", buf[64];
        double mn = NAN, med = NAN, mx = NAN;
        long jj = (long)j;
        oom |= mql_tab_row(tab) | mql_tab_add_str(tab, c->name) |
               mql_tab_add_str(tab, mql_coltype_name(c->type)) |
               mql_tab_add_int(tab, (long long)c->n_missing) |
               mql_tab_add_num(tab, 100.0 * (double)c->n_missing / (double)t->n_rows, "%.1f") |
               mql_tab_add_int(tab, (long long)c->n_distinct);
        if (c->type == MQL_COL_NUMERIC && num_summary(c, t->n_rows, &scratch, &mn, &med, &mx))
            oom = 1;
        if (c->type == MQL_COL_NUMERIC) {
            oom |= mql_tab_add_num(tab, mn, "%.6g") | mql_tab_add_num(tab, med, "%.6g") |
                   mql_tab_add_num(tab, mx, "%.6g");
        } else if (c->type == MQL_COL_DATE && c->n_distinct) {
            double lo = INFINITY, hi = -INFINITY;
            for (size_t i = 0; i < t->n_rows; i++) {
                double x = c->num[i];   /* NaN compares false */
                lo = x < lo ? x : lo;
                hi = x > hi ? x : hi;
            }
            mql_date_format(lo, 0, buf, sizeof buf);
            oom |= mql_tab_add_str(tab, buf) | mql_tab_add_str(tab, NULL);
            mql_date_format(hi, 0, buf, sizeof buf);
            oom |= mql_tab_add_str(tab, buf);
        } else {
            oom |= mql_tab_add_str(tab, NULL) | mql_tab_add_str(tab, NULL) |
                   mql_tab_add_str(tab, NULL);
        }
        if (c->type == MQL_COL_CATEGORICAL || c->type == MQL_COL_ID) {
            top_levels(c, t->n_rows, top, sizeof top);
        } else if (c->type == MQL_COL_BOOLEAN) {
            size_t k1 = 0;
            for (size_t i = 0; i < t->n_rows; i++)
                k1 += c->num[i] == 1.0;
            size_t k0 = t->n_rows - c->n_missing - k1;
            snprintf(top, sizeof top, "%.40s %zu (%.1f%%), %.40s %zu (%.1f%%)", c->true_label,
                     k1, 100.0 * (double)k1 / (double)t->n_rows, c->false_label, k0,
                     100.0 * (double)k0 / (double)t->n_rows);
        }
        oom |= mql_tab_add_str(tab, top[0] ? top : NULL);
        if (jj == d.outcome_col)
            snprintf(note, sizeof note, "outcome");
        else if (jj == d.key_col)
            snprintf(note, sizeof note, "join key");
        else if (jj == d.sql_col)
            snprintf(note, sizeof note, "SQL stage (--sql)");
        else if (jj == d.acv_col)
            snprintf(note, sizeof note, "deal value (--acv): filled for won deals by design");
        else if (jj == d.date_col)
            snprintf(note, sizeof note, "lead created date (--date)");
        else if (c->n_distinct == 0)
            snprintf(note, sizeof note, "constant: every cell is missing");
        else if (c->n_distinct == 1 && c->n_missing == 0)
            snprintf(note, sizeof note, "constant: one value");
        else if (c->type == MQL_COL_ID)
            snprintf(note, sizeof note, "identifier-like: %zu distinct of %zu filled; not a "
                     "feature", c->n_distinct, t->n_rows - c->n_missing);
        else if (r->screen->col[j].flags) {
            const mql_screen_col *sc = &r->screen->col[j];
            r->leak[j] = (sc->flags & MQL_SCREEN_LEAK) != 0;
            snprintf(note, sizeof note, "%s%s", r->leak[j] ? "leakage suspect: " : "",
                     sc->evidence);
        }
        oom |= mql_tab_add_str(tab, note[0] ? note : NULL);
        if (note[0] && jj != d.outcome_col && jj != d.key_col && jj != d.sql_col &&
            jj != d.acv_col && jj != d.date_col) {
            size_t n = strlen(c->name) + strlen(note) + 4;
            if ((warn[r->n_warn] = malloc(n)))
                snprintf(warn[r->n_warn++], n, "%s: %s", c->name, note);
            else
                oom = 1;
        }
    }
    free(scratch);
    if (oom) {
        cli_inspect_free(r);
        cli_error("out of memory");
        return MQL_ENOMEM;
    }
    return MQL_OK;
}

int cmd_inspect(int argc, char **argv)
{
    inspect_opts o = {.format = MQL_FMT_TABLE};
    int st = parse_args(argc, argv, &o);
    if (st)
        return st < 0 ? MQL_OK : st;
    cli_data d;
    if ((st = cli_leads_load(&o.leads, &d, 0)))
        return st;
    const mql_table *t = d.table;
    cli_inspect ins;
    cli_out out = {0};
    if ((st = cli_inspect_columns(&d, NULL, &ins))) {
        cli_data_free(&d);
        return st;
    }
    mql_tab *tab = ins.tab;
    char **warn = ins.warn;
    size_t n_warn = ins.n_warn;
    double lo = NAN, hi = NAN, rate = NAN;
    size_t closed = t->n_rows - d.n_open;     /* open leads have no outcome yet */
    if (d.y) {
        rate = (double)d.n_pos / (double)closed;
        mql_wilson((double)d.n_pos, (double)closed, mql_z_for_level(0.95), &lo, &hi);
    }
    if ((st = cli_out_open(&out, "-")))
        goto done;
    FILE *f = out.f;
    char b1[32], b2[32];
    if (o.format == MQL_FMT_CSV) {
        mql_tab_write(tab, f, MQL_FMT_CSV);
    } else if (o.format == MQL_FMT_JSON) {
        fputs("{\"file\": ", f);
        json_str(f, t->source);
        fprintf(f, ", \"rows\": %zu, \"columns\": %zu, \"delimiter\": ", t->n_rows, t->n_cols);
        json_str(f, delim_name(t->delim));
        fprintf(f, ", \"bytes\": %zu, \"xxh64\": \"%016llx\",\n \"outcome\": ", t->n_bytes,
                (unsigned long long)t->hash);
        if (d.y) {
            fputs("{\"spec\": ", f);
            json_str(f, d.outcome_label ? d.outcome_label : "");
            fprintf(f, ", \"positives\": %zu, \"rows\": %zu, \"rate\": %.17g, "
                       "\"wilson95_low\": %.17g, \"wilson95_high\": %.17g, \"open\": %zu}",
                    d.n_pos, closed, rate, lo, hi, d.n_open);
        } else {
            fputs("null", f);
        }
        fputs(",\n \"screening_rule\": ", f);
        json_str(f, mql_screen_rule);
        fputs(",\n \"warnings\": [", f);
        for (size_t k = 0; k < n_warn; k++) {
            fputs(k ? ", " : "", f);
            json_str(f, warn[k]);
        }
        fputs("],\n \"merged_spellings\": [", f);
        int first = 1;
        for (size_t j = 0; j < t->n_cols; j++) {
            const mql_column *c = &t->cols[j];
            for (size_t k = 0; k < c->n_spellings;) {
                size_t next = k;
                while (next < c->n_spellings && c->spellings[next].level == c->spellings[k].level)
                    next++;
                fputs(first ? "\n  {\"column\": " : ",\n  {\"column\": ", f);
                first = 0;
                json_str(f, c->name);
                fputs(", \"value\": ", f);
                json_str(f, c->type == MQL_COL_BOOLEAN
                                ? (c->spellings[k].level ? c->true_label : c->false_label)
                                : c->levels[c->spellings[k].level]);
                fputs(", \"spellings\": [", f);
                for (size_t q = k; q < next; q++) {
                    fputs(q > k ? ", {\"text\": " : "{\"text\": ", f);
                    json_str(f, c->spellings[q].text);
                    fprintf(f, ", \"rows\": %zu}", c->spellings[q].count);
                }
                fputs("]}", f);
                k = next;
            }
        }
        fputs("],\n \"column_table\": ", f);
        mql_tab_write(tab, f, MQL_FMT_JSON);
        fputs("}\n", f);
    } else {
        int md = o.format == MQL_FMT_MD;
        fprintf(f, "%sfile       %s\n", md ? "    " : "", t->source);
        fprintf(f, "%srows       %s\n", md ? "    " : "",
                mql_fmt_grouped((double)t->n_rows, b1, sizeof b1));
        fprintf(f, "%scolumns    %zu\n", md ? "    " : "", t->n_cols);
        fprintf(f, "%sdelimiter  '%s'\n", md ? "    " : "", delim_name(t->delim));
        if (d.y)
            fprintf(f, "%soutcome    %s: %s positive of %s%s = %.2f%% (95%% Wilson interval "
                       "%.2f%% to %.2f%%)\n", md ? "    " : "",
                    d.outcome_label ? d.outcome_label : "",
                    mql_fmt_grouped((double)d.n_pos, b1, sizeof b1),
                    mql_fmt_grouped((double)closed, b2, sizeof b2), d.n_open ? " closed" : "",
                    100 * rate, 100 * lo, 100 * hi);
        if (d.n_open) {
            if (md)
                fputs("    ", f);
            cli_open_note(f, &d, "counted as rows, in no rate (not closed yet)");
        }
        fputc('\n', f);
        mql_tab_write(tab, f, o.format);
        if (n_warn) {
            fprintf(f, "\nwarnings:\n");
            for (size_t k = 0; k < n_warn; k++)
                fprintf(f, "%s%s\n", md ? "- " : "  ", warn[k]);
        }
        int merged = 0;
        for (size_t j = 0; j < t->n_cols; j++) {
            const mql_column *c = &t->cols[j];
            for (size_t k = 0; k < c->n_spellings;) {
                char buf[600];
                if (!merged++)
                    fprintf(f, "\nmerged spellings (one value written several ways: case, blanks, "
                               "number or yes/no spelling):\n");
                mql_spellings_text(c, k, &k, buf, sizeof buf);
                fprintf(f, "%s%s: %s\n", md ? "- " : "  ", c->name, buf);
            }
        }
        fprintf(f, "\nscreening rule: %s.\n", mql_screen_rule);
    }
    st = cli_out_close(&out, 1);
done:
    cli_inspect_free(&ins);
    cli_data_free(&d);
    return st;
}
