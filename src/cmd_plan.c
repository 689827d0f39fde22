/* cmd_plan.c: `mqlcal plan`: pipeline math from a revenue target and ACV back to the deals,
 * opportunities, SQLs and MQLs needed per month and quarter (DESIGN section 5), each figure with
 * how it was computed, and the month by which the MQLs must be created. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "mqlcal/cli.h"
#include "mqlcal/funnel.h"
#include "mqlcal/report_table.h"
#include "mqlcal/table.h"

static void usage(FILE *f)
{
    fprintf(f,
            "usage: mqlcal plan --revenue R --acv A --win-rate W --sql-to-opp S --mql-to-sql M\n"
            "                   [--period month|quarter] [--cycle-days D] [--start YYYY-MM-DD]\n"
            "                   [--format table|csv|json|md]\n"
            "\n"
            "Back-solves the funnel: deals = revenue / ACV; opportunities = deals / win rate;\n"
            "SQLs = opportunities / SQL-to-opp rate; MQLs = SQLs / MQL-to-SQL rate; per month and\n"
            "per quarter (a month is a third of a quarter). Fractions are kept; the whole numbers\n"
            "in brackets round each stage up.\n"
            "\n"
            "options:\n"
            "  --revenue R          revenue target for one period (> 0)\n"
            "  --period P           the period --revenue covers: month (default) or quarter\n"
            "  --acv A              average contract value of a won deal (> 0)\n"
            "  --win-rate W         opportunity -> won\n"
            "  --sql-to-opp S       SQL -> opportunity\n"
            "  --mql-to-sql M       MQL -> SQL\n"
            "                       Rates are fractions (0.25) or percentages (25%%), in (0, 1].\n"
            "                       RATE,LO,HI adds an interval (e.g. 25%%,20%%,31%%): the plan then\n"
            "                       shows the MQL range from the interval ends (a bound from the\n"
            "                       endpoints, not a joint confidence interval)\n"
            "  --cycle-days D       days from lead creation to close (0-3650)\n"
            "  --start DATE         first day of the target period; with --cycle-days gives the\n"
            "                       date by which the MQLs must be created\n"
            "  --format F           table (default), csv, json or md\n"
            "  -h, --help           this help\n"
            "\n"
            "exit codes: 0 ok, 2 usage (missing or invalid option: rates outside (0, 1],\n"
            "revenue or ACV <= 0, unknown period)\n");
}

/* Parses "0.25", "25%", optionally followed by ",LO,HI" in the same units. Returns 0 or -1. */
static int parse_fraction(const char *s, double *out)
{
    char buf[64];
    size_t n = strlen(s);
    if (n == 0 || n >= sizeof buf)
        return -1;
    memcpy(buf, s, n + 1);
    double scale = 1.0;
    if (buf[n - 1] == '%') {
        buf[n - 1] = '\0';
        scale = 0.01;
    }
    if (mql_parse_double(buf, out) != 0)
        return -1;
    *out *= scale;
    return 0;
}

static int parse_rate(const char *opt, const char *s, mql_rate *r)
{
    char buf[192];
    if (strlen(s) >= sizeof buf) {
        cli_error("%s: value too long", opt);
        return MQL_EUSAGE;
    }
    memcpy(buf, s, strlen(s) + 1);
    char *parts[3] = {buf, NULL, NULL};
    size_t k = 1;
    for (char *c = buf; *c; c++)
        if (*c == ',') {
            if (k == 3)
                goto bad;
            *c = '\0';
            parts[k++] = c + 1;
        }
    if (k == 2)
        goto bad;
    memset(r, 0, sizeof *r);
    if (parse_fraction(parts[0], &r->value) != 0)
        goto bad;
    if (k == 3) {
        if (parse_fraction(parts[1], &r->lo) != 0 || parse_fraction(parts[2], &r->hi) != 0)
            goto bad;
        r->has_interval = 1;
    }
    return MQL_OK;
bad:
    cli_error("%s: '%s' is not a rate (use 0.25, 25%% or RATE,LO,HI such as 25%%,20%%,31%%)", opt,
              s);
    return MQL_EUSAGE;
}

static int parse_positive(const char *opt, const char *s, double *out)
{
    if (mql_parse_double(s, out) != 0) {
        cli_error("%s: '%s' is not a number", opt, s);
        return MQL_EUSAGE;
    }
    return MQL_OK;
}

/* "12,345.67" style with thousands separators for readability in the text table. */
static void money(double v, char *buf, size_t cap)
{
    char raw[64];
    snprintf(raw, sizeof raw, "%.0f", v);
    size_t n = strlen(raw), o = 0;
    size_t start = raw[0] == '-' ? 1 : 0;
    if (start)
        buf[o++] = '-';
    for (size_t i = start; i < n && o + 2 < cap; i++) {
        if (i > start && (n - i) % 3 == 0)
            buf[o++] = ',';
        buf[o++] = raw[i];
    }
    buf[o] = '\0';
}

typedef struct plan_opts {
    const char *revenue, *acv, *win, *s2o, *m2s, *period, *cycle, *start, *format;
} plan_opts;

/* Adds one funnel stage row: name, per month, per quarter (each with the rounded-up count),
 * and the computation in words. */
static int add_stage(mql_tab *t, const char *name, double m, double mc, double q, double qc,
                     const char *how)
{
    int e = mql_tab_row(t);
    e |= mql_tab_add_str(t, name);
    e |= mql_tab_add_num(t, m, "%.2f");
    e |= mql_tab_add_num(t, mc, "%.0f");
    e |= mql_tab_add_num(t, q, "%.2f");
    e |= mql_tab_add_num(t, qc, "%.0f");
    e |= mql_tab_add_str(t, how);
    return e;
}

int cmd_plan(int argc, char **argv)
{
    plan_opts o = {0};
    mql_format fmt = MQL_FMT_TABLE;
    for (int i = 1; i < argc;) {
        const char *a = argv[i];
        if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            usage(stdout);
            return MQL_OK;
        }
        struct {
            const char *name;
            const char **dst;
        } opts[] = {{"--revenue", &o.revenue},   {"--acv", &o.acv},
                    {"--win-rate", &o.win},      {"--sql-to-opp", &o.s2o},
                    {"--mql-to-sql", &o.m2s},    {"--period", &o.period},
                    {"--cycle-days", &o.cycle},  {"--start", &o.start},
                    {"--format", &o.format}};
        int hit = 0;
        for (size_t k = 0; k < sizeof opts / sizeof opts[0] && !hit; k++) {
            int r = cli_opt(argc, argv, &i, opts[k].name, opts[k].dst);
            if (r < 0)
                return MQL_EUSAGE;
            hit = r;
        }
        if (!hit) {
            cli_error("plan: unknown option or argument '%s' (see 'mqlcal plan --help')", a);
            return MQL_EUSAGE;
        }
    }
    if (o.format && mql_format_parse(o.format, &fmt) != 0) {
        cli_error("--format: '%s' is not one of table, csv, json, md", o.format);
        return MQL_EUSAGE;
    }
    const char *need[][2] = {{"--revenue", o.revenue},   {"--acv", o.acv},
                             {"--win-rate", o.win},      {"--sql-to-opp", o.s2o},
                             {"--mql-to-sql", o.m2s}};
    for (size_t k = 0; k < sizeof need / sizeof need[0]; k++)
        if (!need[k][1]) {
            cli_error("plan: %s is required (see 'mqlcal plan --help')", need[k][0]);
            return MQL_EUSAGE;
        }

    mql_funnel_in in = {0};
    int st;
    if ((st = parse_positive("--revenue", o.revenue, &in.revenue)) ||
        (st = parse_positive("--acv", o.acv, &in.acv)) ||
        (st = parse_rate("--win-rate", o.win, &in.win_rate)) ||
        (st = parse_rate("--sql-to-opp", o.s2o, &in.sql_to_opp)) ||
        (st = parse_rate("--mql-to-sql", o.m2s, &in.mql_to_sql)))
        return st;
    in.period = MQL_PERIOD_MONTH;
    if (o.period) {
        if (strcmp(o.period, "month") == 0)
            in.period = MQL_PERIOD_MONTH;
        else if (strcmp(o.period, "quarter") == 0)
            in.period = MQL_PERIOD_QUARTER;
        else {
            cli_error("--period: '%s' is not month or quarter", o.period);
            return MQL_EUSAGE;
        }
    }
    if (o.cycle) {
        long d;
        if (mql_parse_long(o.cycle, 0, 3650, &d) != 0) {
            cli_error("--cycle-days: '%s' is not a whole number of days from 0 to 3650", o.cycle);
            return MQL_EUSAGE;
        }
        in.cycle_days = d;
        in.has_cycle = 1;
    }
    if (o.start) {
        double day;
        int has_time;
        if (mql_date_parse(o.start, strlen(o.start), &day, &has_time) != 0 || has_time) {
            cli_error("--start: '%s' is not a date YYYY-MM-DD", o.start);
            return MQL_EUSAGE;
        }
        in.start_day = (long)floor(day);
        in.has_start = 1;
    }

    mql_funnel_out out;
    mql_err err;
    if ((st = mql_funnel_compute(&in, &out, &err)) != MQL_OK) {
        cli_error("%s", err.msg);
        return st;
    }

    static const char *const cols[] = {"stage",       "per_month",    "per_month_whole",
                                       "per_quarter", "per_quarter_whole", "computed_as"};
    mql_tab *t = mql_tab_new(6, cols);
    if (!t) {
        cli_error("out of memory");
        return MQL_ENOMEM;
    }
    char how[256], a[64], b[64];
    const mql_funnel_stage *m = &out.month, *q = &out.quarter;
    double rev_m = in.period == MQL_PERIOD_MONTH ? in.revenue : in.revenue / 3;
    money(in.revenue, a, sizeof a);
    snprintf(how, sizeof how, "target %s per %s%s", a,
             in.period == MQL_PERIOD_MONTH ? "month" : "quarter",
             in.period == MQL_PERIOD_MONTH ? "; a quarter is 3 months" : "; a month is a third");
    int e = add_stage(t, "revenue", rev_m, rev_m, rev_m * 3, rev_m * 3, how);
    money(in.acv, b, sizeof b);
    snprintf(how, sizeof how, "revenue / ACV %s", b);
    e |= add_stage(t, "deals", m->deals, m->deals_ceil, q->deals, q->deals_ceil, how);
    snprintf(how, sizeof how, "deals / win rate %.1f%%", 100 * in.win_rate.value);
    e |= add_stage(t, "opportunities", m->opps, m->opps_ceil, q->opps, q->opps_ceil, how);
    snprintf(how, sizeof how, "opportunities / SQL-to-opp %.1f%%", 100 * in.sql_to_opp.value);
    e |= add_stage(t, "SQLs", m->sqls, m->sqls_ceil, q->sqls, q->sqls_ceil, how);
    snprintf(how, sizeof how, "SQLs / MQL-to-SQL %.1f%%", 100 * in.mql_to_sql.value);
    e |= add_stage(t, "MQLs", m->mqls, m->mqls_ceil, q->mqls, q->mqls_ceil, how);
    if (out.has_range) {
        e |= add_stage(t, "MQLs (optimistic)", out.month_optimistic.mqls,
                       out.month_optimistic.mqls_ceil, out.quarter_optimistic.mqls,
                       out.quarter_optimistic.mqls_ceil,
                       "every rate at the upper end of its interval");
        e |= add_stage(t, "MQLs (pessimistic)", out.month_pessimistic.mqls,
                       out.month_pessimistic.mqls_ceil, out.quarter_pessimistic.mqls,
                       out.quarter_pessimistic.mqls_ceil,
                       "every rate at the lower end of its interval");
    }
    if (e) {
        mql_tab_free(t);
        cli_error("out of memory");
        return MQL_ENOMEM;
    }

    if (fmt == MQL_FMT_TABLE || fmt == MQL_FMT_MD) {
        printf("%sPipeline plan\n\n", fmt == MQL_FMT_MD ? "## " : "");
        mql_tab_write(t, stdout, fmt);
        printf("\nMQL-to-won = %.1f%% x %.1f%% x %.1f%% = %.2f%%: one MQL in %.1f becomes a deal.\n",
               100 * in.mql_to_sql.value, 100 * in.sql_to_opp.value, 100 * in.win_rate.value,
               100 * out.mql_to_won, 1 / out.mql_to_won);
        if (out.has_create_by) {
            char d0[16];
            mql_date_format((double)in.start_day, 0, d0, sizeof d0);
            printf("Sales cycle %ld days: MQLs for deals closing from %s must be created by "
                   "%04d-%02d (%ld days earlier).\n",
                   in.cycle_days, d0, out.create_by_year, out.create_by_month, in.cycle_days);
        } else if (in.has_cycle) {
            printf("Sales cycle %ld days: MQLs must be created about %.1f months before the "
                   "deals they feed close (give --start for the calendar month).\n",
                   in.cycle_days, (double)in.cycle_days / (365.2425 / 12));
        }
    } else {
        mql_tab_write(t, stdout, fmt);
    }
    mql_tab_free(t);
    if (fflush(stdout) != 0 || ferror(stdout)) {
        cli_error("cannot write to standard output");
        return MQL_EIO;
    }
    return MQL_OK;
}
