/* cmd_compare.c: `mqlcal compare OLD NEW LEADS.csv`: the quarterly diff of two models on the
 * same leads: discrimination and accuracy, volume and conversion at each model's threshold, the
 * points changed per rule, and the leads that move into or out of MQL. */

#include "cli.h"
#include "mqlcal/evaluate.h"

static void usage(FILE *f)
{
    fprintf(f,
            "usage: mqlcal compare OLD NEW LEADS.csv --outcome COL [lead file options]\n"
            "                      [--maturity DAYS] [--format table|csv|json|md]\n"
            "\n"
            "Scores the same leads with two models (each a model JSON or a rules CSV) and\n"
            "shows: AUC, Gini, KS, Brier and log loss of each; MQLs, MQLs per month, MQL-to-won,\n"
            "MQL-to-SQL and recall at each model's own threshold; the rules matched by feature,\n"
            "operator and value with their old and new points (same / changed / added /\n"
            "removed); and the migration: leads that stay MQL, become MQL, stop being MQL or\n"
            "stay below, with how many of them closed. A model without a score map (a rules\n"
            "CSV) gets in-sample Platt probabilities for Brier and log loss, and the output\n"
            "says so.\n"
            "\n"
            "%s"
            "\n"
            "options:\n"
            "  --maturity DAYS      censor leads younger than DAYS (needs --date)\n"
            "  --format F           table (default), csv (the metrics table), json, md\n"
            "  -h, --help           this help\n"
            "\n"
            "exit codes: 0 ok, 1 invalid data, 2 usage, 3 I/O\n",
            cli_leads_usage);
}

typedef struct cmp_opts {
    cli_leads leads;
    cli_pos pos;              /* OLD, NEW, LEADS.csv */
    long maturity;
    mql_format format;
} cmp_opts;

static int match(void *vo, int argc, char **argv, int *i)
{
    cmp_opts *o = vo;
    int r = cli_leads_opt(&o->leads, argc, argv, i);
    if (r == 0)
        r = cli_format_opt(argc, argv, i, &o->format, 1);
    if (r == 0)
        r = cli_maturity_opt(argc, argv, i, &o->maturity);
    return r;
}

static int parse_args(int argc, char **argv, cmp_opts *o)
{
    o->pos = (cli_pos){.cmd = "compare", .expect = "OLD NEW LEADS.csv", .min = 3, .max = 3};
    int st = cli_parse(argc, argv, usage, match, o, &o->pos);
    if (st)
        return st;
    if (cli_require_roles("compare", &o->leads, o->maturity))
        return MQL_EUSAGE;
    o->leads.path = o->pos.v[2];
    return MQL_OK;
}

int cmd_compare(int argc, char **argv)
{
    cmp_opts o = {.format = MQL_FMT_TABLE};
    cli_data d = {0};
    mql_model *mo = NULL, *mn = NULL;
    mql_scored *so = NULL, *sn = NULL;
    mql_compare *c = NULL;
    mql_tab *tm = NULL, *tr = NULL, *tg = NULL;
    cli_out out = {0};
    mql_err err;
    int st = parse_args(argc, argv, &o);
    if (st) {
        st = st < 0 ? MQL_OK : st;
        goto done;
    }
    if ((st = cli_model_load(o.pos.v[0], &mo)) || (st = cli_model_load(o.pos.v[1], &mn)) ||
        (o.leads.model_na = cli_model_na(mn), o.leads.uses[0] = mo->points,
         o.leads.uses[1] = mn->points, st = cli_leads_load(&o.leads, &d, 1)))
        goto done;
    mql_eval_roles roles = {.y = d.y, .sql = d.sql, .date_col = d.date_col,
                            .acv_col = d.acv_col, .maturity_days = o.maturity,
                            .open = d.open, .months = d.months};
    if ((st = mql_scored_new(mo->points, d.table, &roles, &so, &err)) ||
        (st = mql_scored_new(mn->points, d.table, &roles, &sn, &err)) ||
        (st = mql_compare_run(so, sn, &c, &err))) {
        cli_error("%s", err.msg);
        goto done;
    }
    if (!(tm = mql_compare_metrics_tab(c)) || !(tr = mql_compare_rules_tab(c)) ||
        !(tg = mql_compare_migration_tab(c))) {
        cli_error("out of memory");
        st = MQL_ENOMEM;
        goto done;
    }
    size_t changed = 0, added = 0, removed = 0, same = 0;
    for (size_t k = 0; k < c->n_rules; k++) {
        mql_rule_change ch = c->rules[k].change;
        changed += ch == MQL_RULE_CHANGED;
        added += ch == MQL_RULE_ADDED;
        removed += ch == MQL_RULE_REMOVED;
        same += ch == MQL_RULE_SAME;
    }
    char verdict[512];
    double da = c->new_sum.auc.auc - c->old_sum.auc.auc;
    if (!c->new_sum.has_auc) {
        snprintf(verdict, sizeof verdict,
                 "the leads cannot rank the models (AUC %s); at their thresholds %zu leads "
                 "become MQL (%zu won) and %zu stop being MQL (%zu won)", c->new_sum.few_msg,
                 c->move[1], c->move_won[1], c->move[2], c->move_won[2]);
    } else if (c->new_sum.few) {
        snprintf(verdict, sizeof verdict,
                 "the leads cannot rank the models (AUC %.4f, the old %.4f, %s); at their "
                 "thresholds %zu leads become MQL (%zu won) and %zu stop being MQL (%zu won)",
                 c->new_sum.auc.auc, c->old_sum.auc.auc, c->new_sum.few_note, c->move[1],
                 c->move_won[1], c->move[2], c->move_won[2]);
    } else {
        snprintf(verdict, sizeof verdict,
                 "the new model ranks leads %s the old one (AUC %.4f, the old %.4f, %+.4f); at "
                 "their thresholds %zu leads become MQL (%zu won) and %zu stop being MQL (%zu "
                 "won)",
                 da > 0.005 ? "better than" : da < -0.005 ? "worse than" : "about as well as",
                 c->new_sum.auc.auc, c->old_sum.auc.auc, da, c->move[1], c->move_won[1],
                 c->move[2], c->move_won[2]);
    }
    if ((st = cli_out_open(&out, "-")))
        goto done;
    FILE *f = out.f;
    if (o.format == MQL_FMT_CSV) {
        mql_tab_write(tm, f, MQL_FMT_CSV);
    } else if (o.format == MQL_FMT_JSON) {
        cli_json j;
        cli_json_begin(&j, f);
        cli_json_str(&j, "data", o.leads.path);
        cli_json_str(&j, "old", o.pos.v[0]);
        cli_json_str(&j, "new", o.pos.v[1]);
        cli_json_str(&j, "old_probabilities", so->prob_platt ? MQL_EVAL_PLATT_NOTE : "model map");
        cli_json_str(&j, "new_probabilities", sn->prob_platt ? MQL_EVAL_PLATT_NOTE : "model map");
        cli_json_tab(&j, "metrics", tm);
        cli_json_tab(&j, "rules", tr);
        cli_json_tab(&j, "migration", tg);
        cli_json_str(&j, "verdict", verdict);
        cli_json_end(&j);
    } else {
        fprintf(f, "compare on %s (%zu leads", o.leads.path, so->n);
        if (so->n_censored > so->n_open)
            fprintf(f, ", %zu censored: counted in volume, excluded from rates",
                    so->n_censored - so->n_open);
        if (so->n_open)
            fprintf(f, ", %zu open (%s): counted in volume, excluded from rates", so->n_open,
                    d.open_label ? d.open_label : "outcome open");
        fprintf(f, ")\nold  %s: %zu rules, threshold %ld%s\nnew  %s: %zu rules, threshold "
                   "%ld%s\n\n",
                o.pos.v[0], mo->points->n_rules, mo->points->threshold,
                so->prob_platt ? " (" MQL_EVAL_PLATT_NOTE ")" : "", o.pos.v[1],
                mn->points->n_rules, mn->points->threshold,
                sn->prob_platt ? " (" MQL_EVAL_PLATT_NOTE ")" : "");
        cli_tab_print(f, o.format, "metrics (volume and rates at each model's own threshold)",
                      tm);
        char title[160];
        snprintf(title, sizeof title, "rules (%zu changed, %zu added, %zu removed, %zu the same)",
                 changed, added, removed, same);
        cli_tab_print(f, o.format, title, tr);
        cli_tab_print(f, o.format, "migration (MQL = score at or above the model's threshold; "
                                   "won among rated leads)", tg);
        fprintf(f, "%s\n", verdict);
    }
done:
    st = cli_out_finish(&out, st);
    mql_tab_free(tm);
    mql_tab_free(tr);
    mql_tab_free(tg);
    mql_compare_free(c);
    mql_scored_free(so);
    mql_scored_free(sn);
    mql_model_free(mo);
    mql_model_free(mn);
    cli_data_free(&d);
    return st;
}
