/* cmd_backtest.c: `mqlcal backtest`: threshold sweep of a model on leads with a recommendation
 * under a stated constraint, and the out-of-time forms (train-until, walk-forward by quarter,
 * holdout of the last rows, K-fold cross-validation) that fit on one part and test on another. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "mqlcal/backtest.h"
#include "cli.h"
#include "mqlcal/backtest_runs.h"
#include "mqlcal/evaluate.h"

static void usage(FILE *f)
{
    fprintf(f,
            "usage: mqlcal backtest MODEL LEADS.csv --outcome COL [options]\n"
            "       mqlcal backtest LEADS.csv --outcome COL --train-until DATE [fit options]\n"
            "       mqlcal backtest LEADS.csv --outcome COL --walk-forward|--holdout-last F|\n"
            "                       --folds K [--seed S] [fit options]\n"
            "\n"
            "Sweeps MQL thresholds (a lead is an MQL when score >= threshold) and reports, for\n"
            "each: MQLs, share, MQLs per month, MQL-to-SQL and MQL-to-won with Wilson 95%%\n"
            "intervals, recall of won deals, lift, F1 and ACV captured; then recommends a\n"
            "threshold under the constraint given. MODEL is a model JSON from 'mqlcal fit' or a\n"
            "hand-written rules CSV. With LEADS only, a model is fitted on one part of the\n"
            "leads and tested on another (out of time), so the figures are honest; as in\n"
            "'review', the refits leave leakage suspects and identifier-like numbers out\n"
            "(screened on the training leads with --train-until or --holdout-last; --keep COL\n"
            "keeps one) and the warning names them. Evaluated leads with no won deal get no\n"
            "recommendation.\n"
            "\n"
            "%s"
            "\n"
            "thresholds and constraint:\n"
            "  --thresholds SPEC    a:b:step or a list 50,60,75 (default: every distinct score)\n"
            "  --capacity N         SDR capacity: at most N MQLs per month (needs --date)\n"
            "  --min-rate R         MQL-to-SQL (or --rate-of won) of at least R (0-1)\n"
            "  --rate-of sql|won    the rate of --min-rate (default sql with --sql, else won)\n"
            "  --lower-bound        --min-rate compares the Wilson 95%% lower bound\n"
            "  --target-volume N    the threshold whose MQLs per month is closest to N\n"
            "  --bands              two cuts: MQL / nurture / reject (needs a constraint; the\n"
            "                       nurture band keeps at least half the MQL band's win rate)\n"
            "  --maturity DAYS      leads younger than DAYS at the data's end date are censored:\n"
            "                       counted in volume, excluded from rates (needs --date)\n"
            "\n"
            "out of time and cross-validation:\n"
            "  --train-until DATE   train on leads created on or before DATE, test on later ones\n"
            "                       (with MODEL: evaluate it on the later leads; the earlier ones\n"
            "                       are shown too, so in-sample optimism is visible)\n"
            "  --walk-forward       per quarter: fit on every earlier lead, test on the quarter\n"
            "                       (with MODEL: the fixed model per quarter, no refit)\n"
            "  --holdout-last F     files without dates: fit on the first 1-F of the rows (file\n"
            "                       order), test on the last F\n"
            "  --folds K            K-fold cross-validation (stratified by outcome), pooled and\n"
            "                       per-fold AUC, Brier and log loss; --seed S (default 1)\n"
            "\n"
            "%s"
            "\n"
            "output:\n"
            "  --format F           table (default), csv (the thresholds, or the per-part table,\n"
            "                       with every row), json (everything), md\n"
            "  -h, --help           this help\n"
            "\n"
            "exit codes: 0 ok, 1 invalid data, 2 usage, 3 I/O, 4 no convergence\n",
            cli_leads_usage, cli_fit_usage);
}

typedef struct bt_opts {
    cli_leads leads;
    cli_fit_opts fit;
    cli_pos pos;              /* [MODEL] LEADS.csv */
    const char *thresholds;
    int has_goal;
    mql_bt_constraint goal;
    const char *rate_of;
    int lower_bound, bands, walk_forward;
    long maturity;
    const char *train_until;
    double holdout;
    long folds;
    unsigned long seed;
    mql_format format;
} bt_opts;

static int set_goal(bt_opts *o, mql_bt_goal g, const char *name, const char *val)
{
    if (o->has_goal) {
        cli_error("backtest: give one constraint (--capacity, --min-rate or --target-volume)");
        return MQL_EUSAGE;
    }
    if (mql_parse_double(val, &o->goal.value) || !(o->goal.value > 0)) {
        cli_error("%s: expected a number > 0, got '%s'", name, val);
        return MQL_EUSAGE;
    }
    if (g == MQL_GOAL_MIN_RATE && o->goal.value > 1) {
        cli_error("%s: expected a rate between 0 and 1, got '%s'", name, val);
        return MQL_EUSAGE;
    }
    o->has_goal = 1;
    o->goal.goal = g;
    return MQL_OK;
}

static int match(void *vo, int argc, char **argv, int *i)
{
    bt_opts *o = vo;
    const char *a = argv[*i], *val;
    if (strcmp(a, "--lower-bound") == 0 || strcmp(a, "--bands") == 0 ||
        strcmp(a, "--walk-forward") == 0) {
        *(a[2] == 'l' ? &o->lower_bound : a[2] == 'b' ? &o->bands : &o->walk_forward) = 1;
        (*i)++;
        return 1;
    }
    int r = cli_leads_opt(&o->leads, argc, argv, i);
    if (r == 0)
        r = cli_fit_opt(&o->fit, argc, argv, i);
    if (r == 0)
        r = cli_format_opt(argc, argv, i, &o->format, 1);
    if (r == 0)
        r = cli_maturity_opt(argc, argv, i, &o->maturity);
    if (r == 0)
        r = cli_opt(argc, argv, i, "--thresholds", &o->thresholds);
    if (r == 0)
        r = cli_opt(argc, argv, i, "--train-until", &o->train_until);
    if (r != 0)
        return r;
    int st = MQL_OK;
    if ((r = cli_opt(argc, argv, i, "--capacity", &val)) > 0) {
        st = set_goal(o, MQL_GOAL_CAPACITY, "--capacity", val);
    } else if (r == 0 && (r = cli_opt(argc, argv, i, "--min-rate", &val)) > 0) {
        st = set_goal(o, MQL_GOAL_MIN_RATE, "--min-rate", val);
    } else if (r == 0 && (r = cli_opt(argc, argv, i, "--target-volume", &val)) > 0) {
        st = set_goal(o, MQL_GOAL_TARGET_VOLUME, "--target-volume", val);
    } else if (r == 0 && (r = cli_opt(argc, argv, i, "--rate-of", &val)) > 0) {
        if (strcmp(val, "sql") != 0 && strcmp(val, "won") != 0) {
            cli_error("--rate-of: expected sql or won, got '%s'", val);
            st = MQL_EUSAGE;
        }
        o->rate_of = val;
    } else if (r == 0 && (r = cli_opt(argc, argv, i, "--holdout-last", &val)) > 0) {
        if (mql_parse_double(val, &o->holdout) || !(o->holdout > 0 && o->holdout < 1)) {
            cli_error("--holdout-last: expected a fraction between 0 and 1, got '%s'", val);
            st = MQL_EUSAGE;
        }
    } else if (r == 0 && (r = cli_opt(argc, argv, i, "--folds", &val)) > 0) {
        if (mql_parse_long(val, 2, 100, &o->folds)) {
            cli_error("--folds: expected an integer from 2 to 100, got '%s'", val);
            st = MQL_EUSAGE;
        }
    } else if (r == 0 && (r = cli_opt(argc, argv, i, "--seed", &val)) > 0) {
        long s;
        if (mql_parse_long(val, 0, 4294967295L, &s)) {
            cli_error("--seed: expected an integer from 0 to 4294967295, got '%s'", val);
            st = MQL_EUSAGE;
        } else {
            o->seed = (unsigned long)s;
        }
    }
    return st ? -1 : r;
}

static int parse_args(int argc, char **argv, bt_opts *o)
{
    o->pos = (cli_pos){.cmd = "backtest", .expect = "[MODEL] LEADS.csv", .min = 1, .max = 2};
    int st = cli_parse(argc, argv, usage, match, o, &o->pos);
    if (st)
        return st;
    if (cli_require_outcome("backtest", &o->leads))
        return MQL_EUSAGE;
    o->leads.path = o->pos.v[o->pos.n - 1];
    int splits = (o->train_until != NULL) + o->walk_forward + (o->holdout > 0) + (o->folds > 0);
    if (splits > 1) {
        cli_error("backtest: choose one of --train-until, --walk-forward, --holdout-last, "
                  "--folds");
        return MQL_EUSAGE;
    }
    if (o->pos.n == 1 && splits == 0) {
        cli_error("backtest: with LEADS only, say how to split them: --train-until DATE, "
                  "--walk-forward, --holdout-last F or --folds K (or give a MODEL first)");
        return MQL_EUSAGE;
    }
    if (o->pos.n == 2 && o->folds) {
        cli_error("backtest: --folds refits the model on each fold; give LEADS only");
        return MQL_EUSAGE;
    }
    if ((o->maturity || o->walk_forward || o->train_until) &&
        cli_require_date("backtest", o->maturity ? "--maturity"
                                     : o->walk_forward ? "--walk-forward"
                                                       : "--train-until", &o->leads))
        return MQL_EUSAGE;
    if (o->lower_bound && !(o->has_goal && o->goal.goal == MQL_GOAL_MIN_RATE)) {
        cli_error("backtest: --lower-bound goes with --min-rate");
        return MQL_EUSAGE;
    }
    if (o->rate_of && !(o->has_goal && o->goal.goal == MQL_GOAL_MIN_RATE)) {
        cli_error("backtest: --rate-of goes with --min-rate");
        return MQL_EUSAGE;
    }
    if (o->bands && !o->has_goal) {
        cli_error("backtest: --bands needs a constraint (--capacity, --min-rate or "
                  "--target-volume) to place the MQL cut");
        return MQL_EUSAGE;
    }
    o->goal.use_lower_bound = o->lower_bound;
    if (o->has_goal && (o->goal.goal == MQL_GOAL_CAPACITY ||
                        o->goal.goal == MQL_GOAL_TARGET_VOLUME)) {
        const char *need = o->goal.goal == MQL_GOAL_CAPACITY ? "--capacity" : "--target-volume";
        if (cli_check_needs("backtest", &o->leads, &need, 1, NULL))
            return MQL_EUSAGE;
    }
    o->goal.rate = o->rate_of ? (strcmp(o->rate_of, "sql") == 0 ? MQL_RATE_SQL : MQL_RATE_WON)
                   : o->leads.sql ? MQL_RATE_SQL
                                  : MQL_RATE_WON;
    if (o->goal.goal == MQL_GOAL_MIN_RATE && o->goal.rate == MQL_RATE_SQL && !o->leads.sql) {
        cli_error("backtest: --min-rate on MQL-to-SQL needs --sql COL (or --rate-of won)");
        return MQL_EUSAGE;
    }
    return cli_fit_opts_finish(&o->fit, &o->leads);
}

/* ---- the thresholds table in text form ---- */

/* Rows shown in the text table: all when few; else every step-th row, the first and last, and
 * the focus row with 5 either side. Returns the count written into idx (capacity n). */
static size_t pick_rows(size_t n, size_t focus, int has_focus, size_t *idx, size_t *step_out)
{
    size_t step = n <= 40 ? 1 : (n + 19) / 20, k = 0;
    for (size_t i = 0; i < n; i++) {
        int near = has_focus && i + 5 >= focus && i <= focus + 5;
        if (i % step == 0 || i == n - 1 || near)
            idx[k++] = i;
    }
    *step_out = step;
    return k;
}

/* The compact text table: the columns a reader scans; csv/json carry all of them. */
static mql_tab *text_thresholds(const mql_bt_sweep *sw, const mql_scored *s, const size_t *idx,
                                size_t k, long mark)
{
    static const char *const cols[] = {"",           "threshold",  "P(won)",    "MQLs",
                                       "MQLs/month", "MQL-to-SQL", "MQL-to-won", "95% CI",
                                       "recall",     "lift",       "ACV share"};
    mql_tab *t = mql_tab_new(11, cols);
    int fail = !t;
    for (size_t j = 0; j < k && !fail; j++) {
        const mql_bt_row *r = &sw->rows[idx[j]];
        double p = s->prob_platt ? mql_platt_predict(&s->platt, r->threshold)
                   : s->model    ? mql_points_prob(s->model, r->threshold)
                                 : NAN;
        fail = mql_tab_row(t) || mql_tab_add_str(t, (long)idx[j] == mark ? ">" : "") ||
               mql_tab_add_num(t, r->threshold, "%.10g") || mql_tab_add_num(t, p, "%.3f") ||
               mql_tab_add_int(t, (long long)r->mqls) ||
               mql_tab_add_num(t, r->mqls_per_month, "%.1f") ||
               mql_tab_add_num(t, r->sql_rate * 100, "%.1f%%") ||
               mql_tab_add_num(t, r->won_rate * 100, "%.1f%%") ||
               (isnan(r->won_lo) ? mql_tab_add_str(t, NULL)
                                 : mql_tab_add_fmt(t, "%.1f-%.1f%%", 100 * r->won_lo,
                                                   100 * r->won_hi)) ||
               mql_tab_add_num(t, r->recall * 100, "%.1f%%") ||
               mql_tab_add_num(t, r->lift, "%.2f") ||
               mql_tab_add_num(t, r->acv_share * 100, "%.1f%%");
    }
    if (fail) {
        mql_tab_free(t);
        return NULL;
    }
    return t;
}

/* ---- banding ---- */

static mql_tab *bands_tab(const mql_banding *b)
{
    static const char *const cols[] = {"band",     "scores",   "leads",    "per_month",
                                       "censored", "sqls",     "sql_rate", "won",
                                       "won_rate", "won_lo",   "won_hi",   "won_share"};
    static const char *const names[] = {"MQL", "nurture", "reject"};
    mql_tab *t = mql_tab_new(12, cols);
    int fail = !t;
    for (int k = 0; k < 3 && !fail; k++) {
        const mql_bt_band *d = &b->band[k];
        fail = mql_tab_row(t) || mql_tab_add_str(t, names[k]) ||
               (k == 0   ? mql_tab_add_fmt(t, ">= %.10g", b->hi)
                : k == 1 ? mql_tab_add_fmt(t, "%.10g to < %.10g", b->lo, b->hi)
                         : mql_tab_add_fmt(t, "< %.10g", b->lo)) ||
               mql_tab_add_int(t, (long long)d->leads) ||
               mql_tab_add_num(t, d->per_month, "%.1f") ||
               mql_tab_add_int(t, (long long)d->censored) ||
               (b->totals.has_sql ? mql_tab_add_int(t, (long long)d->sqls)
                                  : mql_tab_add_str(t, NULL)) ||
               mql_tab_add_num(t, d->sql_rate, "%.4f") || mql_tab_add_int(t, (long long)d->won) ||
               mql_tab_add_num(t, d->won_rate, "%.4f") || mql_tab_add_num(t, d->won_lo, "%.4f") ||
               mql_tab_add_num(t, d->won_hi, "%.4f") || mql_tab_add_num(t, d->won_share, "%.4f");
    }
    if (fail) {
        mql_tab_free(t);
        return NULL;
    }
    return t;
}

/* ---- main ---- */

/* The report tables a backtest may build. */
enum { T_SPLIT, T_ALL, T_BANDS, T_TEXT, T_RUNS, T_N };

typedef struct bt_state {
    bt_opts o;
    cli_data d;
    mql_model *model;           /* loaded MODEL, or NULL */
    double *w;
    mql_split_eval *split;      /* --train-until / --holdout-last */
    unsigned char *screen_rows; /* the training leads the refit's screening sees (NULL: all) */
    mql_scored *own_ev;         /* the evaluated set when there is no split */
    const mql_scored *ev;       /* the evaluated leads: own_ev or split->test */
    mql_eval_runs *runs;
    mql_bt_sweep *sweep;
    double *thr;
    size_t n_thr;
    mql_tab *tabs[T_N];         /* owned report tables, freed by bt_free */
    mql_fit_choice choice;      /* what the automatic Firth choice did over the refits */
} bt_state;

static void bt_free(bt_state *b)
{
    mql_model_free(b->model);
    free(b->w);
    free(b->screen_rows);
    mql_split_eval_free(b->split);
    mql_scored_free(b->own_ev);
    mql_eval_runs_free(b->runs);
    mql_bt_sweep_free(b->sweep);
    free(b->thr);
    for (size_t k = 0; k < T_N; k++)
        mql_tab_free(b->tabs[k]);
    cli_data_free(&b->d);
    cli_fit_opts_clear(&b->o.fit);
}

static int fail_err(int st, const mql_err *err)
{
    cli_error("%s", err->msg);
    return st;
}

static mql_train_spec spec_of(bt_state *b)
{
    mql_train_spec spec = {.design = &b->o.fit.design, .glm = &b->o.fit.glm, .w = b->w,
                           .points = b->o.fit.points, .auto_firth = !b->o.fit.l2_given,
                           .choice = &b->choice};
    return spec;
}

/* Says which refits used Firth's method and why (stderr). */
static void firth_note(const bt_state *b)
{
    const mql_fit_choice *c = &b->choice;
    size_t nf = c->n_separation + c->n_few_events;
    if (nf == 0)
        return;
    fprintf(stderr, "mqlcal: note: %zu of %zu refit%s used Firth's penalized likelihood with the "
            "FLIC intercept (%zu: the plain fit separates; %zu: fewer than %.0f events per "
            "parameter); --firth or --l2 chooses the method explicitly\n", nf, c->n_fits,
            c->n_fits == 1 ? "" : "s", c->n_separation, c->n_few_events, MQL_MIN_EPV);
}

static void print_header(FILE *f, const bt_state *b, const mql_scored *s, const char *what)
{
    const bt_opts *o = &b->o;
    const mql_points *m = b->model->points;
    fprintf(f, "backtest of %s\n", what);
    fprintf(f, "data      %s: %zu leads, outcome %s", o->leads.path, b->d.table->n_rows,
            b->d.outcome_label ? b->d.outcome_label : "");
    if (o->leads.date) {
        const double *dt = b->d.table->cols[b->d.date_col].num;
        double lo = INFINITY, hi = -INFINITY;
        for (size_t i = 0; i < b->d.table->n_rows; i++)
            if (!isnan(dt[i])) {
                lo = dt[i] < lo ? dt[i] : lo;
                hi = dt[i] > hi ? dt[i] : hi;
            }
        char a[32], c[32];
        if (lo <= hi) {
            mql_date_format(lo, 0, a, sizeof a);
            mql_date_format(hi, 0, c, sizeof c);
            fprintf(f, ", created %s to %s", a, c);
        }
    }
    fprintf(f, "\nmodel     %s: %zu rules, threshold %ld, %s\n",
            o->pos.n == 2 ? o->pos.v[0] : "fitted on the training part", m->n_rules, m->threshold,
            s->prob_platt ? MQL_EVAL_PLATT_NOTE : "probabilities from the model's score map");
    if (s->n_censored > s->n_open) {
        char e[32];
        mql_date_format(s->end_day, 0, e, sizeof e);
        fprintf(f, "censored  %zu leads younger than %ld days at the data's end %s: counted in "
                   "volume, excluded from rates\n", s->n_censored - s->n_open, s->maturity_days,
                e);
    } else if (s->maturity_days) {
        fprintf(f, "censored  0 leads (--maturity %ld)\n", s->maturity_days);
    }
    if (s->n_open)
        cli_open_note(f, &b->d, "counted in volume, excluded from rates (not closed yet)");
    if (s->months)
        fprintf(f, "period    %zu months as stated (--months): volumes per month divide by it\n",
                s->months);
}

static void print_base_rates(FILE *f, const mql_bt_sweep *sw)
{
    const mql_bt_totals *t = &sw->totals;
    if (!t->n_rated)
        fprintf(f, "base rate won n/a (no rated lead: all %zu are censored)", t->n_censored);
    else
        fprintf(f, "base rate won %.2f%% (%zu of %zu rated leads)", 100 * t->base_won_rate,
                t->won, t->n_rated);
    if (t->has_sql && t->n_rated)
        fprintf(f, ", SQL %.2f%% (%zu)", 100 * t->base_sql_rate, t->sqls);
    if (t->has_months)
        fprintf(f, "; %zu months", t->n_months);
    fputs("\n\n", f);
}

/* Opens the JSON report with what every form of it starts with. */
static void json_head(cli_json *j, FILE *f, const bt_opts *o, const char *what)
{
    cli_json_begin(j, f);
    cli_json_str(j, "data", o->leads.path);
    cli_json_str(j, "model", o->pos.n == 2 ? o->pos.v[0] : NULL);
    cli_json_str(j, "evaluated", what);
}

/* Evaluates the test set b->ev: sweep, recommendation, bands; writes everything. */
static int report_sweep(bt_state *b, FILE *f, const char *what, const mql_tab *split)
{
    const bt_opts *o = &b->o;
    mql_err err;
    int st;
    if (o->thresholds &&
        (st = mql_thresholds_parse(o->thresholds, "--thresholds", &b->thr, &b->n_thr, &err)))
        return fail_err(st, &err);
    if ((st = mql_eval_sweep(b->ev, b->thr, b->n_thr, &b->sweep, &err)))
        return fail_err(st, &err);
    const mql_bt_sweep *sw = b->sweep;
    mql_bt_rec rec;
    char sentence[512] = "";
    long mark = -1;
    /* No won rated lead: no rate to weigh volume against, so no threshold can be judged. */
    int judge = sw->totals.won > 0;
    if (!judge) {
        snprintf(sentence, sizeof sentence, "no recommendation: the evaluated leads hold no won "
                 "deal (too few: 0 won, %zu lost), so no threshold can be judged; recall and "
                 "lift are n/a", sw->totals.n_rated);
    } else if (o->has_goal) {
        if ((st = mql_bt_recommend(sw, &o->goal, &rec, &err)))
            return fail_err(st, &err);
        mql_bt_rec_sentence(sw, &o->goal, &rec, sentence, sizeof sentence);
        mark = (long)rec.index;
        char few[112];   /* rates on a handful of won or lost leads judge nothing: say so */
        if (mql_few_note(sw->totals.won, sw->totals.n_rated - sw->totals.won, few, sizeof few)) {
            size_t used = strlen(sentence);
            snprintf(sentence + used, sizeof sentence - used, "; judged %s", few);
        }
    } else {
        /* Without a constraint, the model's own threshold is the row to look at: the first row
         * at or above it holds exactly the leads with score >= threshold. */
        for (size_t i = sw->n_rows; i-- > 0;)
            if (sw->rows[i].threshold >= (double)b->ev->threshold)
                mark = (long)i;
        if (mark >= 0) {
            const mql_bt_row *r = &sw->rows[mark];
            char month[64] = "", won[64] = "no rated MQL";
            if (isfinite(r->mqls_per_month))
                snprintf(month, sizeof month, " (%.1f per month)", r->mqls_per_month);
            if (isfinite(r->won_rate))
                snprintf(won, sizeof won, "MQL-to-won %.1f%%", 100 * r->won_rate);
            snprintf(sentence, sizeof sentence,
                     "no constraint given: the model's threshold %ld gives %zu MQLs%s, %s, "
                     "recall %.1f%%; add --capacity, --min-rate or --target-volume for a "
                     "recommendation", b->ev->threshold, r->mqls, month, won, 100 * r->recall);
        } else {
            snprintf(sentence, sizeof sentence,
                     "no constraint given: no lead scores at or above the model's threshold %ld; "
                     "add --capacity, --min-rate or --target-volume for a recommendation",
                     b->ev->threshold);
        }
    }
    mql_banding bd;
    mql_band_choice ch;
    int has_bands = 0;
    if (o->bands && !judge) {
        cli_warn("--bands: the evaluated leads hold no won deal; no bands");
    } else if (o->bands) {
        if ((st = mql_banding_choose(sw, &o->goal, NAN, &ch, &err)))
            return fail_err(st, &err);
        mql_bt_input in = mql_scored_bt_input(b->ev);
        if (!ch.found) {
            cli_warn("--bands: no lower cut keeps the nurture band at %.1f%% MQL-to-won; "
                     "nurture is empty", 100 * ch.floor);
            ch.lo = ch.hi - 1;
            for (size_t i = 0; i < sw->n_rows; i++)
                if (sw->rows[i].threshold < ch.hi)
                    ch.lo = sw->rows[i].threshold;
        }
        if ((st = mql_banding_compute(&in, ch.hi, ch.lo, &bd, &err)))
            return fail_err(st, &err);
        has_bands = 1;
    }
    mql_tab *all = mql_eval_thresholds_tab(sw, b->ev, NULL, 0);
    mql_tab *btab = has_bands ? bands_tab(&bd) : NULL;
    b->tabs[T_ALL] = all;
    b->tabs[T_BANDS] = btab;
    if (!all || (has_bands && !btab)) {
        cli_error("out of memory");
        return MQL_ENOMEM;
    }
    if (o->format == MQL_FMT_CSV) {
        mql_tab_write(all, f, MQL_FMT_CSV);
        return MQL_OK;
    }
    if (o->format == MQL_FMT_JSON) {
        cli_json j;
        json_head(&j, f, o, what);
        cli_json_num(&j, "leads", (double)b->ev->n);
        cli_json_num(&j, "censored", (double)b->ev->n_censored);
        cli_json_num(&j, "base_won_rate", sw->totals.base_won_rate);
        cli_json_num(&j, "base_sql_rate", sw->totals.base_sql_rate);
        cli_json_str(&j, "probabilities", b->ev->prob_platt ? MQL_EVAL_PLATT_NOTE : "model map");
        if (split)
            cli_json_tab(&j, "split", split);
        cli_json_tab(&j, "thresholds", all);
        if (btab)
            cli_json_tab(&j, "bands", btab);
        if (o->has_goal && judge)
            cli_json_num(&j, "recommended_threshold", sw->rows[rec.index].threshold);
        cli_json_str(&j, "recommendation", sentence);
        cli_json_end(&j);
        return MQL_OK;
    }
    print_header(f, b, b->ev, what);
    print_base_rates(f, sw);
    if (split)
        cli_tab_print(f, o->format, "in-sample vs out-of-time (the gap is the optimism of "
                                    "scoring a model on its own training leads)", split);
    size_t *idx = malloc(sw->n_rows * sizeof *idx), step = 1;
    if (!idx) {
        cli_error("out of memory");
        return MQL_ENOMEM;
    }
    size_t k = pick_rows(sw->n_rows, mark >= 0 ? (size_t)mark : 0, mark >= 0, idx, &step);
    mql_tab *txt = text_thresholds(sw, b->ev, idx, k, mark);
    free(idx);
    if (!(b->tabs[T_TEXT] = txt)) {
        cli_error("out of memory");
        return MQL_ENOMEM;
    }
    char title[256];
    if (!judge)
        snprintf(title, sizeof title, "thresholds (%zu of %zu shown; no recommendation, no row "
                 "marked; --format csv or json lists all with every column)", k, sw->n_rows);
    else if (k == sw->n_rows)
        snprintf(title, sizeof title, "thresholds (all %zu; > marks the %s)", k,
                 o->has_goal ? "recommendation" : "model's threshold");
    else
        snprintf(title, sizeof title,
                 "thresholds (%zu of %zu shown: every %zu%s, 5 either side of the %s marked >; "
                 "--format csv or json lists all with every column)", k, sw->n_rows, step,
                 step == 2 ? "nd" : step == 3 ? "rd" : "th",
                 o->has_goal ? "recommendation" : "model's threshold");
    cli_tab_print(f, o->format, title, txt);
    if (btab) {
        snprintf(title, sizeof title, "bands (nurture floor: MQL-to-won %.1f%%)",
                 100 * ch.floor);
        cli_tab_print(f, o->format, title, btab);
    }
    fprintf(f, "%s%s\n", o->has_goal && judge ? "recommendation: " : "", sentence);
    return MQL_OK;
}

/* Per-part output (walk-forward, folds). */
static int report_runs(bt_state *b, FILE *f, const char *what)
{
    const bt_opts *o = &b->o;
    int pooled = o->folds > 0;
    mql_tab *t = mql_eval_runs_tab(b->runs, pooled);
    if (!(b->tabs[T_RUNS] = t)) {
        cli_error("out of memory");
        return MQL_ENOMEM;
    }
    if (o->format == MQL_FMT_CSV)
        return mql_tab_write(t, f, MQL_FMT_CSV) ? MQL_EIO : MQL_OK;
    if (o->format == MQL_FMT_JSON) {
        cli_json j;
        json_head(&j, f, o, what);
        cli_json_tab(&j, "parts", t);
        cli_json_end(&j);
        return MQL_OK;
    }
    fprintf(f, "backtest: %s\ndata      %s: %zu leads, outcome %s\n", what, o->leads.path,
            b->d.table->n_rows, b->d.outcome_label ? b->d.outcome_label : "");
    const mql_scored *ps = b->runs->pooled;
    if (ps && ps->n_censored > ps->n_open)
        fprintf(f, "censored  %zu tested leads younger than %ld days: counted in volume, "
                   "excluded from rates\n", ps->n_censored - ps->n_open, o->maturity);
    if (ps && ps->n_open)
        fprintf(f, "open      %zu tested leads still open: counted in volume, excluded from "
                   "rates; open leads are never fitted\n", ps->n_open);
    fputc('\n', f);
    cli_tab_print(f, o->format,
                  pooled ? "per fold (threshold, MQLs and rates at each fold model's own "
                           "threshold; pooled: every held-out lead by its fold model's "
                           "probability)"
                         : "per quarter (AUC, volume and conversion at the tested model's "
                           "threshold)", t);
    return MQL_OK;
}

int cmd_backtest(int argc, char **argv)
{
    bt_state b;
    cli_out out = {0};
    memset(&b, 0, sizeof b);
    b.o.format = MQL_FMT_TABLE;
    b.o.seed = 1;
    cli_fit_opts_init(&b.o.fit);
    mql_err err;
    int st = parse_args(argc, argv, &b.o);
    if (st) {
        st = st < 0 ? MQL_OK : st;
        goto done;
    }
    bt_opts *o = &b.o;
    if (o->pos.n == 2 && (st = cli_model_load(o->pos.v[0], &b.model)))
        goto done;
    o->leads.model_na = cli_model_na(b.model);
    if (b.model)                  /* a saved model is not refitted: only its columns are read */
        o->leads.uses[0] = b.model->points;
    if ((st = cli_leads_load(&o->leads, &b.d, 1)))
        goto done;
    const mql_table *t = b.d.table;
    mql_eval_roles roles = {.y = b.d.y, .sql = b.d.sql, .date_col = b.d.date_col,
                            .acv_col = b.d.acv_col, .maturity_days = o->maturity,
                            .open = b.d.open, .months = b.d.months};
    /* Refits leave leakage suspects out as review does; with --train-until / --holdout-last
     * only the training leads are screened. */
    long until_day = 0;
    if (o->train_until) {
        double day;
        int has_time;
        if (mql_date_parse(o->train_until, strlen(o->train_until), &day, &has_time)) {
            cli_error("--train-until: expected a date YYYY-MM-DD, got '%s'", o->train_until);
            st = MQL_EUSAGE;
            goto done;
        }
        until_day = (long)floor(day);
    }
    if (o->pos.n == 1 && (o->train_until || o->holdout > 0) &&
        (st = cli_train_rows(&b.d, o->train_until != NULL, until_day, o->holdout,
                             &b.screen_rows)))
        goto done;
    o->fit.screen_rows = b.screen_rows;
    if (o->pos.n == 1 && ((st = cli_fit_prepare(&o->fit, &b.d, &b.w)) ||
                          (st = cli_fit_leave_out_suspects(&o->fit, &b.d))))
        goto done;
    mql_train_spec spec = spec_of(&b);
    char what[256];
    if ((st = cli_out_open(&out, "-")))
        goto done;
    FILE *f = out.f;

    const mql_points *fixed = b.model ? b.model->points : NULL;
    if (o->walk_forward || o->folds) {
        if (o->walk_forward) {
            snprintf(what, sizeof what, "walk-forward by quarter, %s",
                     b.model ? "the fixed model (no refit)"
                             : "refitted on every earlier lead before each quarter");
            st = mql_eval_walk_forward(t, &roles, b.d.date_col, fixed, &spec, &b.runs, &err);
        } else {
            snprintf(what, sizeof what, "%ld-fold cross-validation (seed %lu), refitted on "
                     "the other folds", o->folds, o->seed);
            st = mql_eval_kfold(t, &roles, (size_t)o->folds, o->seed, fixed, &spec, &b.runs,
                                &err);
        }
        if (st) {
            cli_error("%s", err.msg);
            goto done;
        }
        firth_note(&b);
        st = report_runs(&b, f, what);
        goto done;
    }

    mql_tab *split = NULL;
    if (o->train_until || o->holdout > 0) {
        mql_split_how how = {.holdout = o->holdout, .date_col = b.d.date_col,
                             .by_date = o->train_until != NULL, .until_day = until_day};
        if ((st = mql_split_eval_run(t, &roles, b.w, &how, fixed, &spec, &b.split, &err)) ||
            (st = mql_split_eval_tab(b.split, &b.tabs[T_SPLIT], &err))) {
            cli_error("%s", err.msg);
            goto done;
        }
        firth_note(&b);
        split = b.tabs[T_SPLIT];
        b.ev = b.split->test;
        snprintf(what, sizeof what, "%s on the leads %s",
                 o->pos.n == 2 ? "the saved model" : "a model fitted on the earlier part",
                 b.split->test_label);
        if (b.split->model) {
            b.model = b.split->model;   /* the report reads the evaluated model from b.model */
            b.split->model = NULL;
        }
    } else {
        if ((st = mql_scored_new(b.model->points, t, &roles, &b.own_ev, &err))) {
            cli_error("%s", err.msg);
            goto done;
        }
        b.ev = b.own_ev;
        snprintf(what, sizeof what, "%s on every lead (in-sample if the model was trained on "
                 "them)", o->pos.v[0]);
    }
    st = report_sweep(&b, f, what, split);
done:
    st = cli_out_finish(&out, st);
    bt_free(&b);
    return st;
}
