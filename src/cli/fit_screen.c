/* fit_screen.c: the screening of the commands that refit a model on part of the leads (`review`
 * and `backtest` with a split): which leads are screened, and leakage suspects left out. */
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "mqlcal/backtest.h"
#include "mqlcal/leakage.h"

int cli_train_rows(const cli_data *d, int by_date, long until_day, double holdout,
                   unsigned char **rows)
{
    const mql_table *t = d->table;
    size_t n = t->n_rows;
    unsigned char *role = calloc(n ? n : 1, 1);
    *rows = NULL;
    if (!role) {
        cli_error("out of memory");
        return MQL_ENOMEM;
    }
    mql_err err;
    mql_time_split ts;
    int ok;
    if (by_date) {
        const double *date = d->date_col >= 0 && t->cols[d->date_col].type == MQL_COL_DATE
                                 ? t->cols[d->date_col].num
                                 : NULL;
        ok = date && mql_train_until(date, n, until_day, &ts, &err) == MQL_OK;
        if (ok)
            mql_split_roles(&ts, date, n, role);
    } else {
        ok = mql_holdout_last(n, holdout, role, &err) == MQL_OK;
    }
    if (!ok) {   /* the command reports a split that cannot be made */
        free(role);
        return MQL_OK;
    }
    for (size_t i = 0; i < n; i++)   /* the leads a model is fitted on: open ones never are */
        role[i] = role[i] == 1 && !(d->open && d->open[i]);
    *rows = role;
    return MQL_OK;
}

int cli_fit_leave_out_suspects(cli_fit_opts *o, const cli_data *d)
{
    const mql_table *t = d->table;
    const mql_screen *s = o->screen;
    if (!s)
        return MQL_OK;
    size_t cap = 1, k = 0, len = 0;
    for (size_t j = 0; j < t->n_cols; j++)
        cap += strlen(t->cols[j].name) + strlen(s->col[j].evidence) + 8;
    char *list = malloc(cap);
    if (!list) {
        cli_error("out of memory");
        return MQL_ENOMEM;
    }
    list[0] = '\0';
    int st = MQL_OK;
    for (size_t j = 0; j < t->n_cols && !st; j++) {
        const mql_screen_col *c = &s->col[j];
        /* As review: a candidate feature, not kept, not a date, not already left out as an
         * identifier. */
        if (!(c->flags & MQL_SCREEN_LEAK) || (c->flags & MQL_SCREEN_IDLIKE) || o->keep_col[j] ||
            !d->feature[j] || t->cols[j].type == MQL_COL_DATE)
            continue;
        char why[700];
        mql_err err;
        snprintf(why, sizeof why, "leakage suspect (%s)", c->evidence);
        if ((st = mql_design_opts_add_skip(&o->design, t->cols[j].name, why, &err)))
            cli_error("%s", err.msg);
        len += (size_t)snprintf(list + len, cap - len, "%s%s (%s)", k++ ? "; " : "",
                                t->cols[j].name, c->evidence);
    }
    if (!st && k)
        cli_warn("leakage suspects left out of the refitted model%s: %zu column%s look%s filled "
                 "during or after the sales process: %s. If a column is known when a lead is "
                 "scored, keep it with --keep COL", "s", k, k > 1 ? "s" : "", k > 1 ? "" : "s",
                 list);
    free(list);
    return st;
}
