/* cmd_plan.c: `mqlcal plan`: pipeline math from a revenue target and ACV back to the deals,
 * opportunities, SQLs and MQLs needed per month and quarter (DESIGN section 5), each figure with
 * how it was computed, and the month by which the MQLs must be created. With --model and --leads
 * the rates missing from the flags come from the lead history at each threshold (plan.h), and
 * the answer names the threshold whose history meets the target. */
#include <string.h>

#include "cli.h"
#include "mqlcal/evaluate.h"
#include "mqlcal/funnel.h"
#include "mqlcal/plan.h"
#include "mqlcal/report_table.h"
#include "mqlcal/table.h"

static void usage(FILE *f)
{
    fprintf(f,
            "usage: mqlcal plan --revenue R --acv A --win-rate W --sql-to-opp S --mql-to-sql M\n"
            "                   [--period month|quarter] [--cycle-days D] [--start YYYY-MM-DD]\n"
            "                   [--format table|csv|json|md]\n"
            "       mqlcal plan --revenue R --model MODEL --leads LEADS.csv --outcome COL --sql COL\n"
            "                   --date COL [--acv A|COL] [rates as above, each optional]\n"
            "                   [--maturity DAYS] [lead file options] [--by-threshold]\n"
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
            "with data (rates from history; MODEL is a model JSON or a rules CSV):\n"
            "  --model MODEL        the points model whose thresholds are planned\n"
            "  --leads FILE         the lead history, scored by MODEL\n"
            "  --acv A|COL          a number is the ACV; otherwise a column whose mean over the\n"
            "                       matured won leads is the ACV\n"
            "  --maturity DAYS      leads younger than DAYS at the data's end are censored:\n"
            "                       counted in volume, not in rates\n"
            "  --by-threshold       print the table per threshold (csv/json/md/table) instead\n"
            "                       of the funnel at the chosen threshold\n"
            "  At each threshold t (a lead is an MQL when its score >= t), over matured MQLs:\n"
            "  MQL-to-SQL = SQL-flagged / matured MQLs unless --mql-to-sql is given; SQL-to-won\n"
            "  = won SQL-flagged / SQL-flagged MQLs unless both --win-rate and --sql-to-opp are\n"
            "  given. Data rates carry Wilson 95%% intervals into an MQL range. The answer is the\n"
            "  highest threshold whose MQLs per month in history reach the MQLs it needs (and,\n"
            "  with --mql-to-sql, whose history converts at least that well), or how far the\n"
            "  closest one falls short.\n"
            "%s"
            "\n"
            "exit codes: 0 ok, 1 invalid data (no SQL or won leads behind a rate, a model\n"
            "feature missing from the leads), 2 usage (missing or invalid option: rates outside\n"
            "(0, 1], revenue or ACV <= 0, unknown period), 3 file cannot be read\n",
            cli_leads_usage);
}

typedef struct plan_opts {
    cli_plan_opts plan;
    const char *model;
    long maturity;
    mql_format format;
    int by_threshold;
    cli_leads leads;
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

static int flush_stdout(void)
{
    if (fflush(stdout) != 0 || ferror(stdout)) {
        cli_error("cannot write to standard output");
        return MQL_EIO;
    }
    return MQL_OK;
}

static void print_create_by(const mql_funnel_in *in, const mql_funnel_out *out)
{
    if (out->has_create_by) {
        char d0[16];
        mql_date_format((double)in->start_day, 0, d0, sizeof d0);
        printf("Sales cycle %ld days: MQLs for deals closing from %s must be created by "
               "%04d-%02d (%ld days earlier).\n",
               in->cycle_days, d0, out->create_by_year, out->create_by_month, in->cycle_days);
    } else if (in->has_cycle) {
        printf("Sales cycle %ld days: MQLs must be created about %.1f months before the "
               "deals they feed close (give --start for the calendar month).\n",
               in->cycle_days, (double)in->cycle_days / (365.2425 / 12));
    }
}

/* Every figure from flags. */
static int plan_flags(const mql_funnel_in *inp, mql_format fmt)
{
    const mql_funnel_in in = *inp;
    mql_funnel_out out;
    mql_err err;
    int st;
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
    mql_fmt_grouped(in.revenue, a, sizeof a);
    snprintf(how, sizeof how, "target %s per %s%s", a,
             in.period == MQL_PERIOD_MONTH ? "month" : "quarter",
             in.period == MQL_PERIOD_MONTH ? "; a quarter is 3 months" : "; a month is a third");
    int e = add_stage(t, "revenue", rev_m, rev_m, rev_m * 3, rev_m * 3, how);
    mql_fmt_grouped(in.acv, b, sizeof b);
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
        print_create_by(&in, &out);
    } else {
        mql_tab_write(t, stdout, fmt);
    }
    mql_tab_free(t);
    return flush_stdout();
}

/* Rates not given come from the lead history scored by the model (plan.h). */
static int plan_data(plan_opts *o, mql_dplan_in *in, mql_format fmt)
{
    mql_model *m = NULL;
    cli_data d = {0};
    mql_scored *s = NULL;
    mql_bt_sweep *sw = NULL;
    mql_dplan *p = NULL;
    mql_tab *t = NULL;
    mql_err err;
    int st;
    if ((st = cli_model_load(o->model, &m)) ||
        (o->leads.model_na = cli_model_na(m), o->leads.uses[0] = m->points,
         st = cli_leads_load(&o->leads, &d, 1)))
        goto done;
    mql_eval_roles roles = {.y = d.y, .sql = d.sql, .date_col = d.date_col,
                            .acv_col = d.acv_col, .maturity_days = o->maturity,
                            .open = d.open, .months = d.months};
    if ((st = mql_scored_new(m->points, d.table, &roles, &s, &err))) {
        cli_error("%s", err.msg);
        goto done;
    }
    if ((st = mql_eval_sweep(s, NULL, 0, &sw, &err)) || (st = mql_dplan_run(s, sw, in, &p, &err))) {
        cli_error("%s", err.msg);
        goto done;
    }
    t = o->by_threshold ? mql_dplan_thresholds_tab(p) : mql_dplan_stages_tab(p);
    if (!t) {
        cli_error("out of memory");
        st = MQL_ENOMEM;
        goto done;
    }
    if (fmt == MQL_FMT_TABLE || fmt == MQL_FMT_MD) {
        const char *h = fmt == MQL_FMT_MD ? "## " : "";
        printf("%sPipeline plan from %s on %s (%zu leads, %zu months", h, o->model,
               o->leads.path, s->n, p->n_months);
        if (s->n_censored > s->n_open)
            printf(", %zu censored younger than %ld days: counted in volume, not in rates",
                   s->n_censored - s->n_open, o->maturity);
        if (s->n_open)
            printf(", %zu open (%s): counted in volume, not in rates", s->n_open,
                   d.open_label ? d.open_label : "outcome open");
        printf(")\n\n");
        if (s->prob_platt)
            printf("note: %s\n\n", MQL_EVAL_PLATT_NOTE);
        if (!o->by_threshold)
            printf("the funnel at threshold %g:\n\n", p->pick.threshold);
        mql_tab_write(t, stdout, fmt);
        char buf[1024];
        mql_dplan_sentence(p, buf, sizeof buf);
        printf("\n%s\n", buf);
        print_create_by(&in->base, &p->funnel);
    } else {
        mql_tab_write(t, stdout, fmt);
    }
    st = flush_stdout();
done:
    mql_tab_free(t);
    mql_dplan_free(p);
    mql_bt_sweep_free(sw);
    mql_scored_free(s);
    cli_data_free(&d);
    mql_model_free(m);
    return st;
}

static int match(void *vo, int argc, char **argv, int *i)
{
    plan_opts *o = vo;
    if (strcmp(argv[*i], "--by-threshold") == 0) {
        o->by_threshold = 1;
        (*i)++;
        return 1;
    }
    /* Plan options first: --acv is a number or the ACV column. */
    int r = cli_plan_opt(&o->plan, argc, argv, i);
    if (r == 0)
        r = cli_format_opt(argc, argv, i, &o->format, 1);
    if (r == 0)
        r = cli_opt(argc, argv, i, "--model", &o->model);
    if (r == 0)
        r = cli_opt(argc, argv, i, "--leads", &o->leads.path);
    if (r == 0)
        r = cli_maturity_opt(argc, argv, i, &o->maturity);
    if (r == 0)
        r = cli_leads_opt(&o->leads, argc, argv, i);
    return r;
}

int cmd_plan(int argc, char **argv)
{
    plan_opts o = {.format = MQL_FMT_TABLE};
    cli_pos none = {.cmd = "plan"};   /* no positionals: --model and --leads name the files */
    int st = cli_parse(argc, argv, usage, match, &o, &none);
    if (st)
        return st < 0 ? MQL_OK : st;
    int data = o.model || o.leads.path;
    if (data && (!o.model || !o.leads.path)) {
        cli_error("plan: --model and --leads go together");
        return MQL_EUSAGE;
    }
    if (!data && (o.leads.outcome || o.leads.sql || o.leads.date || o.maturity ||
                  o.by_threshold)) {
        cli_error("plan: lead options, --maturity and --by-threshold need --model and --leads");
        return MQL_EUSAGE;
    }
    if (data && cli_require_roles("plan", &o.leads, o.maturity))
        return MQL_EUSAGE;
    mql_dplan_in in;
    const char *acv_col = NULL;
    st = cli_plan_build(&o.plan, data, &in, &acv_col);
    if (st)
        return st;
    const char *need = "the plan";
    if (data && (st = cli_check_needs("plan", &o.leads, &need, 1, &in)))
        return st;
    if (!data)
        return plan_flags(&in.base, o.format);
    o.leads.acv = acv_col;
    return plan_data(&o, &in, o.format);
}
