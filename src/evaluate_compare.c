/* evaluate_compare.c: two points models compared on the same leads (summaries, volume and
 * conversion at each model's threshold, MQL migration, the rules diff) as structs and mql_tabs. */
#include "mqlcal/evaluate.h"

#include <math.h>
#include <stdlib.h>

#include "evaluate_scored.h"

/* ================================================================================================
 * comparison
 * ============================================================================================== */

void mql_compare_free(mql_compare *c)
{
    if (!c)
        return;
    mql_bt_sweep_free(c->old_at);
    mql_bt_sweep_free(c->new_at);
    free(c->rules);
    free(c);
}

/* Same conditions (feature, operator and value text each; order of conditions aside). */
static int same_rule(const mql_rule *a, const mql_rule *b)
{
    if (a->n_cond != b->n_cond)
        return 0;
    for (size_t k = 0; k < a->n_cond; k++) {
        const mql_cond *x = &a->cond[k], *y = NULL;
        for (size_t j = 0; j < b->n_cond && !y; j++)
            if (mql_strcasecmp(x->feature, b->cond[j].feature) == 0)
                y = &b->cond[j];
        if (!y || x->op != y->op ||
            mql_strcasecmp(x->value ? x->value : "", y->value ? y->value : "") != 0)
            return 0;
    }
    return 1;
}

static int diff_rules(const mql_points *o, const mql_points *n, mql_compare *c, mql_err *err)
{
    size_t no = o ? o->n_rules : 0, nn = n ? n->n_rules : 0;
    if (!(c->rules = calloc(no + nn + 1, sizeof *c->rules)))
        return oom(err);
    unsigned char *used = calloc(nn + 1, 1);
    if (!used)
        return oom(err);
    for (size_t i = 0; i < no; i++) {
        mql_rule_diff *d = &c->rules[c->n_rules++];
        d->old_rule = &o->rules[i];
        d->old_points = o->rules[i].points;
        d->change = MQL_RULE_REMOVED;
        for (size_t j = 0; j < nn; j++)
            if (!used[j] && same_rule(&o->rules[i], &n->rules[j])) {
                used[j] = 1;
                d->new_rule = &n->rules[j];
                d->new_points = n->rules[j].points;
                d->change = d->new_points == d->old_points ? MQL_RULE_SAME : MQL_RULE_CHANGED;
                break;
            }
    }
    for (size_t j = 0; j < nn; j++)
        if (!used[j]) {
            mql_rule_diff *d = &c->rules[c->n_rules++];
            d->new_rule = &n->rules[j];
            d->new_points = n->rules[j].points;
            d->change = MQL_RULE_ADDED;
        }
    free(used);
    return MQL_OK;
}

int mql_compare_run(const mql_scored *olds, const mql_scored *news, mql_compare **out,
                    mql_err *err)
{
    return mql_compare_run_summarized(olds, NULL, NULL, news, NULL, NULL, out, err);
}

/* The one-row sweep of s at threshold thr: the row of sweep sw at exactly thr when sw has one
 * (the same leads added in the same order, the same totals), else swept. */
static int sweep_at(const mql_scored *s, const mql_bt_sweep *sw, double thr, mql_bt_sweep **out,
                    mql_err *err)
{
    for (size_t k = 0; sw && k < sw->n_rows; k++) {
        if (sw->rows[k].threshold != thr)
            continue;
        mql_bt_sweep *o = calloc(1, sizeof *o);
        if (!o || !(o->rows = malloc(sizeof *o->rows))) {
            free(o);
            return oom(err);
        }
        o->totals = sw->totals;
        o->n_rows = 1;
        o->rows[0] = sw->rows[k];
        *out = o;
        return MQL_OK;
    }
    return mql_eval_sweep(s, &thr, 1, out, err);
}

int mql_compare_run_summarized(const mql_scored *olds, const mql_eval_summary *old_sum,
                               const mql_bt_sweep *old_sw, const mql_scored *news,
                               const mql_eval_summary *new_sum, const mql_bt_sweep *new_sw,
                               mql_compare **out, mql_err *err)
{
    *out = NULL;
    if (olds->n != news->n)
        return mql_err_set(err, MQL_EDATA, "compare: the scored sets differ in size (%zu, %zu)",
                           olds->n, news->n);
    mql_compare *c = calloc(1, sizeof *c);
    if (!c)
        return oom(err);
    double to = (double)olds->threshold, tn = (double)news->threshold;
    c->old_model = olds->model;
    c->new_model = news->model;
    int st;
    if (old_sum)
        c->old_sum = *old_sum;
    if (new_sum)
        c->new_sum = *new_sum;
    if ((!old_sum && (st = mql_eval_summarize(olds, &c->old_sum, err))) ||
        (!new_sum && (st = mql_eval_summarize(news, &c->new_sum, err))) ||
        (st = sweep_at(olds, old_sw, to, &c->old_at, err)) ||
        (st = sweep_at(news, new_sw, tn, &c->new_at, err)) ||
        (st = diff_rules(olds->model, news->model, c, err))) {
        mql_compare_free(c);
        return st;
    }
    for (size_t i = 0; i < olds->n; i++) {
        int a = olds->score[i] >= to, b = news->score[i] >= tn;
        int k = a && b ? 0 : !a && b ? 1 : a ? 2 : 3;
        c->move[k]++;
        if (!olds->censored || !olds->censored[i]) {
            c->move_rated[k]++;
            c->move_won[k] += olds->y[i];
        }
    }
    *out = c;
    return MQL_OK;
}

/* A row of the comparison; note (NULL: none) says when the figures rest on too few leads. */
static int cmp_note(mql_tab *t, const char *metric, double a, double b, const char *fmt,
                    const char *note)
{
    return mql_tab_row(t) || mql_tab_add_str(t, metric) || mql_tab_add_num(t, a, fmt) ||
           mql_tab_add_num(t, b, fmt) || mql_tab_add_num(t, b - a, fmt) ||
           mql_tab_add_str(t, note);
}

static int cmp_row(mql_tab *t, const char *metric, double a, double b, const char *fmt)
{
    return cmp_note(t, metric, a, b, fmt, NULL);
}

mql_tab *mql_compare_metrics_tab(const mql_compare *c)
{
    static const char *const cols[] = {"metric", "old", "new", "change", "note"};
    mql_tab *t = mql_tab_new(5, cols);
    if (!t)
        return NULL;
    const mql_eval_summary *o = &c->old_sum, *n = &c->new_sum;
    const mql_bt_row *ro = &c->old_at->rows[0], *rn = &c->new_at->rows[0];
    /* Both models are scored on the same leads: one count of won and lost. */
    const char *few = n->has_auc && n->few ? n->few_note : NULL;
    int fail = cmp_note(t, "AUC", o->auc.auc, n->auc.auc, "%.4f", few) ||
               cmp_note(t, "Gini", o->auc.gini, n->auc.gini, "%.4f", few) ||
               cmp_row(t, "KS", o->ks.ks, n->ks.ks, "%.4f") ||
               cmp_row(t, "Brier", o->brier, n->brier, "%.5f") ||
               cmp_row(t, "log loss", o->logloss, n->logloss, "%.5f") ||
               cmp_row(t, "threshold", ro->threshold, rn->threshold, "%.10g") ||
               cmp_row(t, "MQLs", (double)ro->mqls, (double)rn->mqls, "%.0f") ||
               cmp_row(t, "MQLs per month", ro->mqls_per_month, rn->mqls_per_month, "%.1f") ||
               cmp_row(t, "MQL-to-won", ro->won_rate, rn->won_rate, "%.4f") ||
               cmp_row(t, "MQL-to-SQL", ro->sql_rate, rn->sql_rate, "%.4f") ||
               cmp_row(t, "recall of won", ro->recall, rn->recall, "%.4f");
    if (!fail && (o->has_caps || n->has_caps)) {
        static const char *const cn[] = {"leads the fit cap binds",
                                         "leads the engagement cap binds",
                                         "leads the total cap binds"};
        const mql_points *mo = c->old_model, *mn = c->new_model;
        for (int k = 0; k < 3 && !fail; k++) {
            long co = !mo ? MQL_NO_CAP : k == 0 ? mo->cap_fit : k == 1 ? mo->cap_engagement
                                                                      : mo->cap_total;
            long cw = !mn ? MQL_NO_CAP : k == 0 ? mn->cap_fit : k == 1 ? mn->cap_engagement
                                                                      : mn->cap_total;
            fail = cmp_row(t, cn[k], co == MQL_NO_CAP ? NAN : (double)o->cap_binds[k],
                           cw == MQL_NO_CAP ? NAN : (double)n->cap_binds[k], "%.0f");
        }
    }
    if (fail) {
        mql_tab_free(t);
        return NULL;
    }
    return t;
}

mql_tab *mql_compare_migration_tab(const mql_compare *c)
{
    static const char *const cols[] = {"movement", "leads", "rated", "won", "won_rate"};
    static const char *const names[] = {"stay MQL", "become MQL", "stop being MQL",
                                        "stay non-MQL"};
    mql_tab *t = mql_tab_new(5, cols);
    if (!t)
        return NULL;
    int fail = 0;
    for (int k = 0; k < 4 && !fail; k++)
        fail = mql_tab_row(t) || mql_tab_add_str(t, names[k]) ||
               mql_tab_add_int(t, (long long)c->move[k]) ||
               mql_tab_add_int(t, (long long)c->move_rated[k]) ||
               mql_tab_add_int(t, (long long)c->move_won[k]) ||
               mql_tab_add_num(t, c->move_rated[k] ? (double)c->move_won[k] /
                                                         (double)c->move_rated[k]
                                                   : NAN,
                               "%.4f");
    if (fail) {
        mql_tab_free(t);
        return NULL;
    }
    return t;
}

mql_tab *mql_compare_rules_tab(const mql_compare *c)
{
    static const char *const cols[] = {"feature", "operator", "value", "old_points", "new_points",
                                       "change"};
    static const char *const ch[] = {"same", "changed", "added", "removed"};
    mql_tab *t = mql_tab_new(6, cols);
    if (!t)
        return NULL;
    int fail = 0;
    for (size_t k = 0; k < c->n_rules && !fail; k++) {
        const mql_rule_diff *d = &c->rules[k];
        const mql_rule *r = d->old_rule ? d->old_rule : d->new_rule;
        char fb[512], ob[128], vb[1024];
        fail = mql_tab_row(t) || mql_tab_add_str(t, mql_rule_field(r, 0, fb, sizeof fb)) ||
               mql_tab_add_str(t, mql_rule_field(r, 1, ob, sizeof ob)) ||
               mql_tab_add_str(t, mql_rule_field(r, 2, vb, sizeof vb)) ||
               (d->old_rule ? mql_tab_add_int(t, d->old_points) : mql_tab_add_str(t, NULL)) ||
               (d->new_rule ? mql_tab_add_int(t, d->new_points) : mql_tab_add_str(t, NULL)) ||
               mql_tab_add_str(t, ch[d->change]);
    }
    if (fail) {
        mql_tab_free(t);
        return NULL;
    }
    return t;
}
