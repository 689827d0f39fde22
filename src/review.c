/* review.c: the quarterly review pipeline (review.h): split, fit, evaluate both models, backtest,
 * recommend, plan, and read the numbers into findings. Computes only; report_review.c writes. */
#include <limits.h>
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <gsl/gsl_cdf.h>

#include "mqlcal/glm.h"
#include "mqlcal/metrics.h"
#include "mqlcal/review.h"
#include "mqlcal/table_ops.h"

/* MQL-to-SQL band commonly quoted in practice (benchmark, not data). */
#define BENCH_SQL_LO 0.13
#define BENCH_SQL_HI 0.27
/* PSI rule of thumb from credit scoring practice: < 0.1 stable, 0.1-0.25 moderate, > 0.25 major. */
#define PSI_MODERATE 0.10
#define PSI_MAJOR 0.25

static int oom(mql_err *err)
{
    return mql_err_set(err, MQL_ENOMEM, "out of memory");
}

/* "context: message", keeping as much of the message as fits (mql_err_prefix caps it at 600). */
static int prefix(mql_err *err, int st, const char *context)
{
    size_t cap = sizeof err->msg, c = strlen(context), m = strnlen(err->msg, cap - 1);
    if (c + 3 > cap)
        return st;
    if (m > cap - 1 - c - 2)
        m = cap - 1 - c - 2;
    memmove(err->msg + c + 2, err->msg, m);
    memcpy(err->msg, context, c);
    err->msg[c] = ':';
    err->msg[c + 1] = ' ';
    err->msg[c + 2 + m] = '\0';
    return st;
}

/* Appends an item (copies of title and text) to *v. Returns MQL_OK or MQL_ENOMEM. */
static int item_add(mql_review_item **v, size_t *n, mql_review_kind kind, const char *title,
                    const char *text)
{
    mql_review_item *p = realloc(*v, (*n + 1) * sizeof *p);
    if (!p)
        return MQL_ENOMEM;
    *v = p;
    p[*n] = (mql_review_item){kind, mql_strdup(title), mql_strdup(text), 0};
    if (!p[*n].title || !p[*n].text) {
        free(p[*n].title);
        free(p[*n].text);
        return MQL_ENOMEM;
    }
    (*n)++;
    return MQL_OK;
}

/* A key figure: its full value and the text quoted in the report (printf fmt). A non-finite
 * value (e.g. per month without dates) is not reported. Returns 0, or -1 when out of memory. */
static int kv(mql_review *r, const char *key, double value, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static int kv(mql_review *r, const char *key, double value, const char *fmt, ...)
{
    if (!isfinite(value))
        return 0;
    char buf[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    if (mql_tab_row(r->summary) || mql_tab_add_str(r->summary, key) ||
        mql_tab_add_num(r->summary, value, "%.6g") || mql_tab_add_str(r->summary, buf))
        return -1;
    return 0;
}

/* A finding of the diagnosis (text truncated at 1023 bytes). */
static int finding(mql_review *r, mql_err *err, mql_review_kind kind, const char *title,
                   const char *fmt, ...) __attribute__((format(printf, 5, 6)));
static int finding(mql_review *r, mql_err *err, mql_review_kind kind, const char *title,
                   const char *fmt, ...)
{
    char text[4096];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    if (item_add(&r->findings, &r->n_findings, kind, title, text))
        return oom(err);
    return MQL_OK;
}

static double variance(const double *x, size_t n)
{
    if (!x || n < 2)
        return NAN;
    double m = 0, s = 0;
    for (size_t i = 0; i < n; i++)
        m += x[i];
    m /= (double)n;
    for (size_t i = 0; i < n; i++)
        s += (x[i] - m) * (x[i] - m);
    return s / (double)(n - 1);
}

/* Share of the score's spread carried by engagement points: Var(engagement sub-score) /
 * (Var(fit sub-score) + Var(engagement sub-score)). */
static double eng_share(const mql_scored *s)
{
    double vf = variance(s->fit, s->n), ve = variance(s->eng, s->n);
    return vf + ve > 0 ? ve / (vf + ve) : NAN;
}

static void pct(char *buf, size_t cap, double p)
{
    if (!isfinite(p))
        snprintf(buf, cap, "-");
    else
        snprintf(buf, cap, "%.1f%%", 100 * p);
}

/* Row of the sweep at threshold thr (the first row >= thr; the last row when none). */
static size_t row_at(const mql_bt_sweep *sw, double thr)
{
    for (size_t k = 0; k < sw->n_rows; k++)
        if (sw->rows[k].threshold >= thr)
            return k;
    return sw->n_rows - 1;
}

/* The sweep over every distinct score of s plus the threshold thr, so that a model's own
 * threshold has a row of its own (the first row at or above it would name another threshold, or,
 * above every score, count the top score's leads as MQLs). */
static int sweep_with(const mql_scored *s, double thr, mql_bt_sweep **out, mql_err *err)
{
    int st = mql_eval_sweep(s, NULL, 0, out, err);
    if (st || (*out)->rows[row_at(*out, thr)].threshold == thr)
        return st;
    size_t n = (*out)->n_rows + 1;
    double *c = malloc(n * sizeof *c);
    if (!c)
        return oom(err);
    for (size_t k = 0; k + 1 < n; k++)
        c[k] = (*out)->rows[k].threshold;
    c[n - 1] = thr;
    mql_bt_sweep_free(*out);
    *out = NULL;
    st = mql_eval_sweep(s, c, n, out, err);
    free(c);
    return st;
}

/* ---- steps ---------------------------------------------------------------------------------- */

/* Whether the parts of the split may see column j of the leads without its values: an
 * identifier (the new model never takes one as a feature: its design notes the column and leaves
 * it out) whose every cell is filled and distinct, that no fit option beyond the roles, --features
 * and --exclude could name (the rule `fit` follows for mql_read_opts.ids_unused) and no rule of
 * the current model reads (with caps, the current model scores the evaluation part itself). */
static int idle_id(const mql_review_spec *sp, size_t j)
{
    const mql_column *c = &sp->table->cols[j];
    const mql_design_opts *o = sp->design;
    if (c->type != MQL_COL_ID || c->no_values || !c->code || c->n_missing ||
        c->n_distinct != c->n_rows || (sp->keep && sp->keep[j]) || sp->weight_column ||
        (o && (o->n_ref || o->n_col_bins || o->n_cuts || o->n_fit || o->n_engagement ||
               o->n_interactions)))
        return 0;
    const mql_points *p = sp->current ? sp->current->points : NULL;
    for (size_t k = 0; p && k < p->n_rules; k++)
        for (size_t q = 0; q < p->rules[k].n_cond; q++)
            if (strcmp(p->rules[k].cond[q].feature, c->name) == 0)
                return 0;
    return 1;
}

/* The leads as the parts of the split see them: sp->table's columns, each idle identifier
 * (idle_id) without its values, as the reader leaves such a column when nothing reads it
 * (mql_column.no_values MQL_NO_VALUES_ID: filled and distinct, as any share of it is). A part
 * then holds no copy of its share of the keys: for a million leads those copies were most of
 * the split's time and 30 MB. *v shares everything with sp->table but its cols array (*cols,
 * the caller frees it, never the columns); *cols is NULL when no column is idle and *v is then
 * sp->table itself. Returns MQL_OK or MQL_ENOMEM. */
static int parts_source(const mql_review_spec *sp, mql_table *v, mql_column **cols,
                        mql_err *err)
{
    const mql_table *t = sp->table;
    *v = *t;
    *cols = NULL;
    for (size_t j = 0; j < t->n_cols; j++) {
        if (!idle_id(sp, j))
            continue;
        if (!*cols) {
            if (!(*cols = malloc(t->n_cols * sizeof **cols)))
                return oom(err);
            memcpy(*cols, t->cols, t->n_cols * sizeof **cols);
            v->cols = *cols;
        }
        mql_column *c = &(*cols)[j];
        c->no_values = MQL_NO_VALUES_ID;
        c->code = NULL;
        c->levels = NULL;
        c->level_count = NULL;
        c->n_levels = 0;
    }
    return MQL_OK;
}

/* mql_table_subset_view of the leads as parts_source shows them. */
static int part_view(const mql_review_spec *sp, const unsigned char *mask, mql_table **out,
                     mql_err *err)
{
    mql_table v;
    mql_column *cols;
    int st = parts_source(sp, &v, &cols, err);
    if (!st)
        st = mql_table_subset_view(&v, mask, out, err);
    free(cols);
    return st;
}

/* In-sample with open leads: the model is fitted on the closed ones (train_t), evaluated on
 * every lead. */
static int closed_train(const mql_review_spec *sp, mql_review *r, mql_err *err)
{
    const mql_table *t = sp->table;
    size_t n = t->n_rows;
    unsigned char *keep = malloc(n ? n : 1);
    if (!keep)
        return oom(err);
    r->n_train = 0;
    for (size_t i = 0; i < n; i++)
        r->n_train += keep[i] = !sp->open[i];
    int st = part_view(sp, keep, &r->train_t, err);
    r->y_train = malloc(r->n_train ? r->n_train : 1);
    if (sp->w)
        r->w_train = malloc((r->n_train ? r->n_train : 1) * sizeof *r->w_train);
    if (!st && (!r->y_train || (sp->w && !r->w_train)))
        st = oom(err);
    for (size_t i = 0, a = 0; !st && i < n; i++)
        if (keep[i]) {
            r->y_train[a] = sp->y[i];
            if (sp->w)
                r->w_train[a] = sp->w[i];
            a++;
        }
    free(keep);
    return st;
}

static int step_split(const mql_review_spec *sp, mql_review *r, mql_err *err)
{
    const mql_table *t = sp->table;
    size_t n = t->n_rows;
    if (sp->split == MQL_REVIEW_IN_SAMPLE) {
        snprintf(r->split_text, sizeof r->split_text,
                 "No split: the new model is fitted and evaluated on the same %zu leads "
                 "(in-sample), so its figures are optimistic; use --train-until or "
                 "--holdout-last for an honest test", n);
        r->n_train = r->n_eval = n;
        return sp->open ? closed_train(sp, r, err) : MQL_OK;
    }
    if (!(r->role = calloc(n ? n : 1, 1)))
        return oom(err);
    int st;
    if (sp->split == MQL_REVIEW_TRAIN_UNTIL) {
        if (sp->date_col < 0 || (size_t)sp->date_col >= t->n_cols)
            return mql_err_set(err, MQL_EUSAGE, "--train-until needs the lead created date");
        mql_time_split ts;
        const double *date = t->cols[sp->date_col].num;
        if ((st = mql_train_until(date, n, sp->train_until, &ts, err)))
            return st;           /* its messages start with "--train-until DATE:" */
        mql_split_roles(&ts, date, n, r->role);
        char day[32];
        mql_date_format((double)sp->train_until, 0, day, sizeof day);
        snprintf(r->split_text, sizeof r->split_text,
                 "Out-of-time: fitted on leads created up to %s, evaluated on the later ones",
                 day);
    } else {
        if ((st = mql_holdout_last(n, sp->holdout, r->role, err)))
            return prefix(err, st, "--holdout-last");
        snprintf(r->split_text, sizeof r->split_text,
                 "Holdout: fitted on the first rows in file order, evaluated on the last %g%%",
                 100 * sp->holdout);
    }
    unsigned char *mtrain = malloc(n ? n : 1), *meval = malloc(n ? n : 1);
    if (!mtrain || !meval) {
        free(mtrain);
        free(meval);
        return oom(err);
    }
    for (size_t i = 0; i < n; i++) {
        mtrain[i] = r->role[i] == 1 && !(sp->open && sp->open[i]);   /* open: not fitted */
        meval[i] = r->role[i] == 2;
        r->n_train += mtrain[i];
        r->n_eval += meval[i];
    }
    st = part_view(sp, mtrain, &r->train_t, err);
    if (!st)
        st = part_view(sp, meval, &r->eval_t, err);
    r->y_train = malloc(r->n_train ? r->n_train : 1);
    r->y_eval = malloc(r->n_eval ? r->n_eval : 1);
    if (sp->sql)
        r->sql_eval = malloc(r->n_eval ? r->n_eval : 1);
    if (sp->open)
        r->open_eval = malloc(r->n_eval ? r->n_eval : 1);
    if (sp->w)
        r->w_train = malloc((r->n_train ? r->n_train : 1) * sizeof *r->w_train);
    if (!st && (!r->y_train || !r->y_eval || (sp->sql && !r->sql_eval) ||
                (sp->open && !r->open_eval) ||
                (sp->w && !r->w_train)))
        st = MQL_ENOMEM;
    for (size_t i = 0, a = 0, b = 0; !st && i < n; i++) {
        if (mtrain[i]) {
            r->y_train[a] = sp->y[i];
            if (sp->w)
                r->w_train[a] = sp->w[i];
            a++;
        } else if (meval[i]) {
            r->y_eval[b] = sp->y[i];
            if (r->sql_eval)
                r->sql_eval[b] = sp->sql[i];
            if (r->open_eval)
                r->open_eval[b] = sp->open[i];
            b++;
        }
    }
    free(mtrain);
    free(meval);
    if (st)
        return oom(err);
    /* A small window is reported with what it allows: a metric that needs won and lost leads
     * reads "n/a (too few: N won, M lost)" and the rest is reported (issue 11). */
    return MQL_OK;
}

/* A screened candidate the new model leaves out: a leakage suspect or an identifier-like number
 * (mask), a candidate feature, not kept, not a date (dates are never features). */
static int left_out(const mql_review_spec *sp, size_t j, unsigned mask)
{
    const mql_table *t = sp->table;
    return sp->screen && (sp->screen->col[j].flags & mask) && (!sp->feature || sp->feature[j]) &&
           (!sp->keep || !sp->keep[j]) && t->cols[j].type != MQL_COL_DATE;
}

/* Leakage suspects and identifier-like numbers (leakage.h) are not features of the new model
 * unless kept: they join the roles of *design, a copy of the spec's options whose roles array
 * (*roles, the caller frees it, not its strings) is new. */
static int step_leakage(const mql_review_spec *sp, mql_review *r, mql_design_opts *design,
                        char ***roles, mql_err *err)
{
    const mql_table *t = sp->table;
    if (sp->design)
        *design = *sp->design;
    else
        mql_design_opts_init(design);
    *roles = NULL;
    if (!sp->screen)
        return MQL_OK;
    char **v = malloc((design->n_roles + t->n_cols + 1) * sizeof *v);
    if (!v)
        return oom(err);
    for (size_t k = 0; k < design->n_roles; k++)
        v[k] = design->roles[k];
    design->roles = *roles = v;
    size_t o = 0;
    for (size_t j = 0; j < t->n_cols; j++) {
        int leak = left_out(sp, j, MQL_SCREEN_LEAK), id = left_out(sp, j, MQL_SCREEN_IDLIKE);
        if (!leak && !id)
            continue;
        v[design->n_roles++] = t->cols[j].name;
        r->n_idlike += !leak;
        if (!leak)
            continue;
        if (o < sizeof r->leak_names)
            o += (size_t)snprintf(r->leak_names + o, sizeof r->leak_names - o, "%s%s",
                                  r->n_leak ? ", " : "", t->cols[j].name);
        if (o >= sizeof r->leak_names)
            o = sizeof r->leak_names;
        r->n_leak++;
    }
    return MQL_OK;
}

static int step_fit(const mql_review_spec *sp, mql_review *r, const mql_design_opts *design,
                    mql_err *err)
{
    const mql_table *t = r->train_t ? r->train_t : sp->table;
    const unsigned char *y = r->train_t ? r->y_train : sp->y;
    const double *w = r->train_t ? r->w_train : sp->w;
    mql_glm_opts glm = sp->glm;
    mql_train_spec spec = {.design = design, .glm = &glm, .w = w, .points = sp->points,
                           .auto_firth = !sp->l2_given, .choice = &r->choice};
    int st = mql_eval_train(t, y, w, &spec, &r->model, &r->diag, err);
    if (st)
        return prefix(err, st, "fit");
    if (!(r->t_groups = mql_design_groups_tab(r->model->design, t, design)))
        return oom(err);
    mql_training *tr = &r->model->train;
    const char *outcome = sp->outcome_column ? sp->outcome_column : sp->outcome_label;
    int fail = !(tr->file = mql_strdup(sp->file)) ||
               (outcome && !(tr->outcome = mql_strdup(outcome))) ||
               (sp->sql_column && !(tr->sql_column = mql_strdup(sp->sql_column))) ||
               (sp->acv_column && !(tr->acv_column = mql_strdup(sp->acv_column))) ||
               (sp->date_column && !(tr->date_column = mql_strdup(sp->date_column))) ||
               (sp->weight_column && !(tr->weight_column = mql_strdup(sp->weight_column)));
    tr->rows = t->n_rows;
    tr->bytes = sp->table->n_bytes;
    tr->hash = sp->table->hash;
    if (!fail && sp->created) {
        free(r->model->created);
        fail = !(r->model->created = mql_strdup(sp->created));
    }
    if (!fail && r->choice.reason)
        fail = !(r->warnings = malloc(sizeof *r->warnings)) ||
               !(r->warnings[r->n_warnings++] = mql_strdup(
                     r->choice.reason == MQL_FIRTH_SEPARATION
                         ? "the plain fit separates; fitted by Firth's method (--firth) with the "
                           "FLIC intercept instead (see the report)"
                         : "fewer than 10 events per parameter; fitted by Firth's method "
                           "(--firth) with the FLIC intercept instead (see the report)"));
    return fail ? oom(err) : MQL_OK;
}

/* Scores the evaluation leads (all = 0) or every lead (all = 1) with m. */
static int score(const mql_review_spec *sp, mql_review *r, const mql_points *m, int all,
                 mql_scored **out, mql_err *err)
{
    const mql_table *t = all || !r->eval_t ? sp->table : r->eval_t;
    int sub = !all && r->eval_t;
    mql_eval_roles roles = {.y = sub ? r->y_eval : sp->y,
                            .sql = sub ? r->sql_eval : sp->sql,
                            .date_col = sp->date_col,
                            .acv_col = sp->acv_col,
                            .maturity_days = sp->maturity,
                            .open = sub ? r->open_eval : sp->open,
                            .months = sp->months,
                            .lend_columns = 1};   /* the tables outlive the review's sets */
    return mql_scored_new(m, t, &roles, out, err);
}

/* The new model's AUC in words: "0.550 on the evaluation leads (95% interval 0.487-0.613, which
 * holds 0.5: a coin)", "0.070 on the evaluation leads (95% interval ...; on 2 won and 7 lost
 * leads: too few to judge (at least 10 of each needed))", or "n/a (too few: 11 won, 1 lost) on
 * the evaluation leads". */
static void auc_words(const mql_review *r, char *buf, size_t cap)
{
    const mql_eval_summary *m = &r->new_sum;
    const char *where = r->role ? "on the evaluation leads" : "in-sample";
    if (!m->has_auc)
        snprintf(buf, cap, "%s %s", m->few_msg, where);
    else
        snprintf(buf, cap, "%.3f %s (95%% interval %.3f-%.3f%s%s%s)", m->auc.auc, where,
                 m->auc.lo, m->auc.hi, m->auc.lo <= 0.5 ? ", which holds 0.5: a coin" : "",
                 m->few ? "; " : "", m->few_note);
}

/* The current model's side of the evaluation, which needs nothing from the new model: scored on
 * every lead (cur_all, for the drift by period), its evaluation leads taken from those scores
 * instead of scoring them again (mql_scored_part; scored when it cannot: a model with caps),
 * their summary and sweep, and the PSI. Into r's cur_* fields; on failure they stay as made so
 * far, and cur_side_clear empties them. */
static int cur_side(const mql_review_spec *sp, mql_review *r, mql_err *err)
{
    const mql_points *p = sp->current->points;
    int st, sub = r->eval_t != NULL;
    mql_eval_roles roles = {.open = sub ? r->open_eval : sp->open, .maturity_days = sp->maturity,
                            .months = sp->months};
    if ((st = score(sp, r, p, 1, &r->cur_all, err)))
        return st;
    if (mql_scored_part(r->cur_all, sub ? r->role : NULL, 2, &roles, &r->cur_s, err) &&
        (st = score(sp, r, p, 0, &r->cur_s, err)))
        return st;
    if ((st = mql_eval_summarize(r->cur_s, &r->cur_sum, err)) ||
        (st = sweep_with(r->cur_s, (double)p->threshold, &r->cur_sw, err)))
        return st;
    mql_err psi_err;
    r->has_psi = mql_eval_psi_compute(r->cur_all, &r->psi, &psi_err) == MQL_OK;
    return MQL_OK;
}

static void cur_side_clear(mql_review *r)
{
    mql_scored_free(r->cur_s), mql_scored_free(r->cur_all);
    mql_bt_sweep_free(r->cur_sw);
    r->cur_s = r->cur_all = NULL;
    r->cur_sw = NULL;
    memset(&r->cur_sum, 0, sizeof r->cur_sum);
    memset(&r->psi, 0, sizeof r->psi);
    r->has_psi = 0;
}

/* The current model's side (cur_side) run on a thread of its own while the new model is fitted:
 * it needs the split and nothing of the new model, and the fit leaves part of the second core
 * idle. Its result lands in r's cur_* fields; cur_wait returns its status. */
typedef struct cur_run {
    const mql_review_spec *sp;
    mql_review *r;
    int pending;                /* started and not yet waited for */
    int threaded;               /* running on th; else cur_wait runs it */
    pthread_t th;
    int st;
    mql_err err;                /* its message; the review reports it only through the old
                                   order (step_evaluate) */
} cur_run;

static void *cur_run_main(void *arg)
{
    cur_run *c = arg;
    c->st = cur_side(c->sp, c->r, &c->err);
    return NULL;
}

/* Under a memory limit the current side keeps the old order (cur_wait runs it after the fit):
 * its allocations beside the fit could take the room the fit has just made sure of for its BLAS
 * buffer, which OpenBLAS would then retry for ever (mql_blas_parallel; docs/RELIABILITY.md). */
static void cur_begin(cur_run *c)
{
    c->pending = 1;
    c->threaded = mql_memory_unlimited() && pthread_create(&c->th, NULL, cur_run_main, c) == 0;
}

/* Waits for the current side (runs it here when no thread could be started). Returns its
 * status; MQL_OK when it was never started. */
static int cur_wait(cur_run *c)
{
    if (c->pending) {
        if (c->threaded)
            pthread_join(c->th, NULL);
        else
            cur_run_main(c);
        c->pending = c->threaded = 0;
    }
    return c->st;
}

/* The new model's evaluation leads, summary and sweep. */
static int new_side(const mql_review_spec *sp, mql_review *r, mql_err *err)
{
    int st;
    if ((st = score(sp, r, r->model->points, 0, &r->new_s, err)) ||
        (st = mql_eval_summarize(r->new_s, &r->new_sum, err)))
        return st;
    return sweep_with(r->new_s, (double)r->model->points->threshold, &r->new_sw, err);
}

static void new_side_clear(mql_review *r)
{
    mql_scored_free(r->new_s);
    mql_bt_sweep_free(r->new_sw);
    r->new_s = NULL;
    r->new_sw = NULL;
    memset(&r->new_sum, 0, sizeof r->new_sum);
}

/* Every step of the evaluation in the order the review reports their errors in. */
static int both_sides_in_order(const mql_review_spec *sp, mql_review *r, mql_err *err)
{
    int st;
    const mql_model *cur = sp->current;
    if (cur) {
        if ((st = score(sp, r, cur->points, 0, &r->cur_s, err)) ||
            (st = score(sp, r, cur->points, 1, &r->cur_all, err)))
            return st;
    }
    if ((st = score(sp, r, r->model->points, 0, &r->new_s, err)))
        return st;
    if ((st = mql_eval_summarize(r->new_s, &r->new_sum, err)) ||
        (cur && (st = mql_eval_summarize(r->cur_s, &r->cur_sum, err))) ||
        (st = sweep_with(r->new_s, (double)r->model->points->threshold, &r->new_sw, err)) ||
        (cur && (st = sweep_with(r->cur_s, (double)cur->points->threshold, &r->cur_sw, err))) ||
        (cur && (st = mql_compare_run(r->cur_s, r->new_s, &r->cmp, err))))
        return st;
    mql_err psi_err;
    if (r->cur_all && mql_eval_psi_compute(r->cur_all, &r->psi, &psi_err) == MQL_OK)
        r->has_psi = 1;
    return MQL_OK;
}

/* The evaluation; with a current model, its side (cur_side) was started beside the fit (cr). */
static int step_evaluate(const mql_review_spec *sp, mql_review *r, cur_run *cr, mql_err *err)
{
    int st;
    const mql_model *cur = sp->current;
    if (!cur) {
        st = both_sides_in_order(sp, r, err);
    } else {
        /* The new side runs while the current side may still finish. The old order ran it
         * after every current-side step that can fail before them: its error counts only when
         * the current side succeeded, and a failed current side is reported as before, with
         * everything again in the old order. */
        int st_new = new_side(sp, r, err);
        if (cur_wait(cr) == MQL_OK) {
            if (!(st = st_new))
                st = mql_compare_run_summarized(r->cur_s, &r->cur_sum, r->cur_sw, r->new_s,
                                                &r->new_sum, r->new_sw, &r->cmp, err);
        } else {
            new_side_clear(r);
            cur_side_clear(r);
            st = both_sides_in_order(sp, r, err);
        }
    }
    if (st)
        return st;
    if (cur)
        r->cur_row = row_at(r->cur_sw, (double)cur->points->threshold);
    if (sp->plan && r->role && r->new_sw->totals.won == 0) {
        /* A plan divides by the won rate: with no won evaluation lead there is none. */
        snprintf(r->plan_msg, sizeof r->plan_msg, "No plan: a plan needs the MQL-to-won rate, "
                 "and the evaluation leads hold no won deal (%s).", r->new_sum.few_msg);
    } else if (sp->plan && (st = mql_dplan_run(r->new_s, r->new_sw, sp->plan, &r->plan, err))) {
        if (st != MQL_EDATA || !r->role)
            return prefix(err, st, "plan");
        /* The data of a small evaluation window cannot carry a plan: say why, report the rest. */
        snprintf(r->plan_msg, sizeof r->plan_msg, "No plan: on the evaluation leads (%zu won, "
                 "%zu lost) %.400s.", r->new_sum.events, r->new_sum.n_rated - r->new_sum.events,
                 strncmp(err->msg, "plan: ", 6) == 0 ? err->msg + 6 : err->msg);
        st = MQL_OK;
    }
    r->capacity = sp->capacity;
    r->plan_over_capacity = r->plan && sp->capacity > 0 &&
                            r->plan->rows[r->plan->pick.index].need > sp->capacity;
    /* The recommendation. */
    const mql_bt_sweep *sw = r->new_sw;
    /* A capacity at or above the whole volume passes every lead at the lowest score: no
     * selection. The threshold then comes from the plan, the current model or the model. */
    char cap_note[200] = "";
    int by_capacity = sp->capacity > 0;
    if (by_capacity) {
        mql_bt_constraint c = {.goal = MQL_GOAL_CAPACITY, .value = sp->capacity};
        mql_bt_rec rec;
        if ((st = mql_bt_recommend(sw, &c, &rec, err)))
            return prefix(err, st, "--capacity");
        if (rec.status == MQL_REC_MET && sw->rows[rec.index].mqls == sw->totals.n) {
            by_capacity = 0;
            snprintf(cap_note, sizeof cap_note, "Capacity %g is at or above the whole volume "
                     "(%.1f leads/month), so it does not limit the threshold. ", sp->capacity,
                     sw->rows[rec.index].mqls_per_month);
        }
    }
    if (by_capacity) {
        mql_bt_constraint c = {.goal = MQL_GOAL_CAPACITY, .value = sp->capacity};
        mql_bt_rec rec;
        if ((st = mql_bt_recommend(sw, &c, &rec, err)))
            return prefix(err, st, "--capacity");
        r->rec = rec.index;
        size_t o = mql_bt_rec_sentence(sw, &c, &rec, r->rec_text, sizeof r->rec_text);
        if (r->plan && o < sizeof r->rec_text) {
            const mql_dplan_row *pr = &r->plan->rows[r->plan->pick.index];
            if (r->plan->pick.status == MQL_PICK_MET && pr->threshold < sw->rows[r->rec].threshold)
                snprintf(r->rec_text + o, sizeof r->rec_text - o,
                         ". The revenue plan needs threshold %g (%.1f MQLs/month needed, %.1f in "
                         "history): more than the capacity of %g allows, so either capacity or "
                         "the target has to move.", pr->threshold, pr->need, pr->mqls_per_month,
                         sp->capacity);
            else if (r->plan->pick.status == MQL_PICK_MET)
                snprintf(r->rec_text + o, sizeof r->rec_text - o,
                         ". The revenue plan is met within capacity (its threshold %g needs "
                         "%.1f MQLs/month).", pr->threshold, pr->need);
        }
    } else if (r->plan) {
        r->rec = r->plan->pick.index;
        mql_dplan_sentence(r->plan, r->rec_text, sizeof r->rec_text);
    } else if (cur && isfinite(r->cur_sw->rows[r->cur_row].mqls_per_month) &&
               r->cur_sw->rows[r->cur_row].mqls_per_month > 0) {
        mql_bt_constraint c = {.goal = MQL_GOAL_TARGET_VOLUME,
                               .value = r->cur_sw->rows[r->cur_row].mqls_per_month};
        mql_bt_rec rec;
        if ((st = mql_bt_recommend(sw, &c, &rec, err)))
            return st;
        r->rec = rec.index;
        char s[400];
        mql_bt_rec_sentence(sw, &c, &rec, s, sizeof s);
        snprintf(r->rec_text, sizeof r->rec_text, "Keeping the current model's MQL volume (%s): "
                 "%s", cap_note[0] ? "the capacity does not bind" : "no --capacity given", s);
    } else {
        r->rec = row_at(sw, (double)r->model->points->threshold);
        const mql_points *np = r->model->points;
        snprintf(r->rec_text, sizeof r->rec_text,
                 "The new model's own threshold %ld (%s; no %s, plan or current model to set "
                 "the volume).", np->threshold,
                 np->threshold_rule ? np->threshold_rule : "as the model file gives it",
                 cap_note[0] ? "binding --capacity" : "--capacity");
    }
    if (cap_note[0]) {
        size_t nn = strlen(cap_note), nt = strlen(r->rec_text);
        if (nn + nt >= sizeof r->rec_text)
            nt = sizeof r->rec_text - nn - 1;
        memmove(r->rec_text + nn, r->rec_text, nt);
        memcpy(r->rec_text, cap_note, nn);
        r->rec_text[nn + nt] = '\0';
    }
    /* Does the new model beat chance? Its evaluation AUC interval must exclude 0.5 and its
     * likelihood-ratio test on the training leads must be significant at 5%. */
    const mql_glm_result *g = r->model->fit;
    double lr = g->null_deviance - g->deviance, df = g->df_null - g->df_residual;
    r->lr_p = df > 0 && lr >= 0 ? gsl_cdf_chisq_Q(lr, df) : NAN;
    /* An AUC on too few leads judges nothing either way: the window is too small (below). */
    r->weak = (r->new_sum.has_auc && !r->new_sum.few && r->new_sum.auc.lo <= 0.5) ||
              r->lr_p >= 0.05;
    /* Rates at a threshold on fewer than MQL_AUC_MIN_CLASS won or lost leads judge nothing. */
    r->has_rec = !r->weak && r->new_sum.has_auc && !r->new_sum.few;
    char a[200];
    auc_words(r, a, sizeof a);
    if (r->weak) {
        snprintf(r->no_rec_why, sizeof r->no_rec_why, "the new model does not beat chance");
        snprintf(r->rec_text, sizeof r->rec_text,
                 "No new threshold is recommended: the new model does not beat chance (AUC %s; "
                 "likelihood-ratio test p = %.2g), so it should not replace the current one.", a,
                 r->lr_p);
    } else if (!r->has_rec) {
        /* Too few won or lost evaluation leads to rank them: no threshold can be judged. */
        snprintf(r->no_rec_why, sizeof r->no_rec_why, "the evaluation window is too small: %s",
                 r->new_sum.has_auc ? r->new_sum.few_note : r->new_sum.few_msg);
        snprintf(r->rec_text, sizeof r->rec_text,
                 "No threshold is recommended: the evaluation leads are too few to judge one "
                 "(AUC %s). Widen the window (an earlier --train-until or a larger "
                 "--holdout-last).", a);
    }
    r->eng_share_new = eng_share(r->new_s);
    r->eng_share_cur = cur ? eng_share(r->cur_s) : NAN;
    r->flat_group = !(variance(r->new_s->eng, r->new_s->n) > 0) ||
                    !(variance(r->new_s->fit, r->new_s->n) > 0);
    return MQL_OK;
}

/* The tables measured on the scored leads (thresholds, reliability, bands, gains, histogram,
 * grades), each a function of a finished scored set alone: made as work items on every core
 * (mql_parallel_for), each with its status and message, which step_tables reports in its order.
 * The largest come first, so the last items to start are short. */
enum { TAB_CAL, TAB_CAL_CUR, TAB_GRADES, TAB_GAINS, TAB_GAINS_CUR, TAB_THR, TAB_THR_CUR,
       TAB_BANDS, TAB_HIST, N_TABS };

typedef struct tab_jobs {
    mql_review *r;
    int st[N_TABS];
    mql_err err[N_TABS];
} tab_jobs;

/* The reliability table of s by its score deciles. */
static int reliability_tab(const mql_scored *s, mql_tab **out, mql_err *err)
{
    double *cuts = NULL;
    size_t n_cuts = 0;
    int st = mql_eval_score_cuts(s, 10, &cuts, &n_cuts, err);
    if (!st)
        st = mql_eval_reliability_bands(s, cuts, n_cuts, out, err);
    free(cuts);
    return st;
}

static int tab_job(void *ctx, size_t k)
{
    tab_jobs *j = ctx;
    mql_review *r = j->r;
    mql_err *e = &j->err[k];
    int st = MQL_OK;
    if (!r->current && (k == TAB_CAL_CUR || k == TAB_GAINS_CUR || k == TAB_THR_CUR))
        return 0;
    switch (k) {
    case TAB_CAL: st = reliability_tab(r->new_s, &r->t_cal, e); break;
    case TAB_CAL_CUR: st = reliability_tab(r->cur_s, &r->t_cal_cur, e); break;
    case TAB_GRADES: st = mql_eval_grades(r->new_s, &r->t_grades, e); break;
    case TAB_GAINS: st = mql_eval_gains(r->new_s, &r->t_gains, e); break;
    case TAB_GAINS_CUR: st = mql_eval_gains(r->cur_s, &r->t_gains_cur, e); break;
    case TAB_THR:
        if (!(r->t_thr = mql_eval_thresholds_tab(r->new_sw, r->new_s, NULL, 0)))
            st = oom(e);
        break;
    case TAB_THR_CUR:
        if (!(r->t_thr_cur = mql_eval_thresholds_tab(r->cur_sw, r->cur_s, NULL, 0)))
            st = oom(e);
        break;
    case TAB_BANDS: st = mql_eval_bands(r->new_s, &r->t_bands, e); break;
    case TAB_HIST: st = mql_eval_histogram(r->new_s, 24, &r->t_hist, e); break;
    }
    j->st[k] = st;
    return 0;
}

/* The status of work item k; its message into err when it failed. */
static int tab_status(const tab_jobs *j, size_t k, mql_err *err)
{
    if (j->st[k])
        *err = j->err[k];
    return j->st[k];
}

/* Every table of the report, each written to its CSV and rendered from the same object. */
static int step_tables(const mql_review_spec *sp, mql_review *r, mql_err *err)
{
    int st;
    tab_jobs jobs = {.r = r};
    mql_parallel_for(N_TABS, mql_cpu_count(), tab_job, &jobs);
    static const char *const rules_cols[] = {"rule", "points", "group"};
    if (tab_status(&jobs, TAB_THR, err) || !(r->t_metrics = mql_eval_summary_tab(&r->new_sum)) ||
        !(r->t_rules = mql_tab_new(3, rules_cols)))
        return oom(err);
    static const size_t new_items[] = {TAB_CAL, TAB_BANDS, TAB_GAINS, TAB_HIST, TAB_GRADES};
    for (size_t q = 0; q < sizeof new_items / sizeof new_items[0]; q++)
        if ((st = tab_status(&jobs, new_items[q], err)))
            return st;
    const mql_points *p = r->model->points;
    for (size_t k = 0; k < p->n_rules; k++) {
        const mql_rule *u = &p->rules[k];
        char words[1024];
        if (mql_tab_row(r->t_rules) ||
            mql_tab_add_str(r->t_rules, mql_rule_text(u, words, sizeof words)) ||
            mql_tab_add_int(r->t_rules, u->points) ||
            mql_tab_add_str(r->t_rules, u->group == MQL_GROUP_FIT ? "fit" : "engagement"))
            return oom(err);
    }
    /* caps, in the order they apply (mql_points_apply_caps) */
    static const char *const cap_words[] = {"cap: the fit score is at most",
                                            "cap: the engagement score is at most",
                                            "cap: the total score (after the group caps) is at most"};
    static const char *const cap_group[] = {"fit", "engagement", "total"};
    const long caps[] = {p->cap_fit, p->cap_engagement, p->cap_total};
    for (size_t k = 0; k < 3; k++)
        if (caps[k] != MQL_NO_CAP &&
            (mql_tab_row(r->t_rules) || mql_tab_add_str(r->t_rules, cap_words[k]) ||
             mql_tab_add_int(r->t_rules, caps[k]) || mql_tab_add_str(r->t_rules, cap_group[k])))
            return oom(err);
    if (sp->current) {
        if (tab_status(&jobs, TAB_THR_CUR, err) ||
            !(r->t_metrics_cur = mql_eval_summary_tab(&r->cur_sum)) ||
            !(r->t_cmp = mql_compare_metrics_tab(r->cmp)) ||
            !(r->t_mig = mql_compare_migration_tab(r->cmp)) ||
            !(r->t_rules_diff = mql_compare_rules_tab(r->cmp)))
            return oom(err);
        if ((st = tab_status(&jobs, TAB_CAL_CUR, err)) ||
            (st = tab_status(&jobs, TAB_GAINS_CUR, err)))
            return st;
        if (r->has_psi && !(r->t_psi = mql_eval_psi_tab(&r->psi)))
            return oom(err);
    }
    if (sp->screen) {
        static const char *const sc[] = {"column", "leakage_suspect", "identifier_like",
                                         "left_out", "single_feature_auc", "auc_lo", "auc_hi",
                                         "evidence"};
        const mql_table *t = sp->table;
        int bad = !(r->t_screen = mql_tab_new(8, sc));
        for (size_t j = 0; !bad && j < t->n_cols; j++) {
            const mql_screen_col *c = &sp->screen->col[j];
            if (!c->screened)
                continue;
            int out = left_out(sp, j, MQL_SCREEN_LEAK | MQL_SCREEN_IDLIKE);
            bad = mql_tab_row(r->t_screen) || mql_tab_add_str(r->t_screen, t->cols[j].name) ||
                  mql_tab_add_str(r->t_screen, c->flags & MQL_SCREEN_LEAK ? "yes" : "no") ||
                  mql_tab_add_str(r->t_screen, c->flags & MQL_SCREEN_IDLIKE ? "yes" : "no") ||
                  mql_tab_add_str(r->t_screen, out ? "yes" : "no") ||
                  mql_tab_add_num(r->t_screen, c->auc, "%.4f") ||
                  mql_tab_add_num(r->t_screen, c->auc_lo, "%.4f") ||
                  mql_tab_add_num(r->t_screen, c->auc_hi, "%.4f") ||
                  mql_tab_add_str(r->t_screen, c->evidence[0] ? c->evidence : NULL);
        }
        if (bad)
            return oom(err);
    }
    if (r->plan && (!(r->t_plan = mql_dplan_stages_tab(r->plan)) ||
                    !(r->t_plan_thr = mql_dplan_thresholds_tab(r->plan))))
        return oom(err);
    return MQL_OK;
}

/* ---- key figures and diagnosis ---------------------------------------------------------------- */

static int step_key_figures(mql_review *r, mql_err *err)
{
    static const char *const cols[] = {"key", "value", "shown"};
    if (!(r->summary = mql_tab_new(3, cols)))
        return oom(err);
    const mql_model *cur = r->current;
    const mql_bt_totals *tot = &r->new_sw->totals;
    const mql_bt_row *rr = &r->new_sw->rows[r->rec];
    const mql_points *np = r->model->points;
    int bad = 0;
    bad |= kv(r, "leads", (double)r->table->n_rows, "%zu", r->table->n_rows);
    bad |= kv(r, "train_leads", (double)r->n_train, "%zu", r->n_train);
    bad |= kv(r, "eval_leads", (double)r->n_eval, "%zu", r->n_eval);
    bad |= kv(r, "censored", (double)tot->n_censored, "%zu", tot->n_censored);
    bad |= kv(r, "base_won_rate", tot->base_won_rate, "%.1f%%", 100 * tot->base_won_rate);
    if (isfinite(tot->base_sql_rate))
        bad |= kv(r, "base_sql_rate", tot->base_sql_rate, "%.1f%%", 100 * tot->base_sql_rate);
    bad |= kv(r, "new_auc", r->new_sum.auc.auc, "%.3f", r->new_sum.auc.auc);
    bad |= kv(r, "new_brier", r->new_sum.brier, "%.4f", r->new_sum.brier);
    if (cur) {
        bad |= kv(r, "current_auc", r->cur_sum.auc.auc, "%.3f", r->cur_sum.auc.auc);
        bad |= kv(r, "current_brier", r->cur_sum.brier, "%.4f", r->cur_sum.brier);
        bad |= kv(r, "current_threshold", (double)cur->points->threshold, "%ld",
                  cur->points->threshold);
        const mql_bt_row *c = &r->cur_sw->rows[r->cur_row];
        bad |= kv(r, "current_mqls_per_month", c->mqls_per_month, "%.1f", c->mqls_per_month);
        bad |= kv(r, "current_mql_to_sql", c->sql_rate, "%.1f%%", 100 * c->sql_rate);
        bad |= kv(r, "current_mql_to_won", c->won_rate, "%.1f%%", 100 * c->won_rate);
    }
    if (isfinite(np->auc_exact) && isfinite(np->auc_points)) {
        bad |= kv(r, "new_auc_unrounded", np->auc_exact, "%.4f", np->auc_exact);
        bad |= kv(r, "new_auc_points", np->auc_points, "%.4f", np->auc_points);
    }
    if (isfinite(np->auc_capped)) {
        bad |= kv(r, "new_auc_capped", np->auc_capped, "%.4f", np->auc_capped);
        bad |= kv(r, "new_logloss_points", np->logloss_points, "%.4f", np->logloss_points);
        bad |= kv(r, "new_logloss_capped", np->logloss_capped, "%.4f", np->logloss_capped);
        bad |= kv(r, "new_share_capped", np->share_capped, "%.2f%%", 100 * np->share_capped);
    }
    if (cur && r->cur_sum.has_caps) {
        bad |= kv(r, "current_cap_fit_binds", (double)r->cur_sum.cap_binds[0], "%zu",
                  r->cur_sum.cap_binds[0]);
        bad |= kv(r, "current_cap_engagement_binds", (double)r->cur_sum.cap_binds[1], "%zu",
                  r->cur_sum.cap_binds[1]);
        bad |= kv(r, "current_cap_total_binds", (double)r->cur_sum.cap_binds[2], "%zu",
                  r->cur_sum.cap_binds[2]);
        bad |= kv(r, "current_auc_uncapped", r->cur_sum.auc_uncapped, "%.4f",
                  r->cur_sum.auc_uncapped);
    }
    if (r->has_rec) {   /* a model that does not beat chance recommends nothing */
        bad |= kv(r, "recommended_threshold", rr->threshold, "%g", rr->threshold);
        bad |= kv(r, "recommended_mqls_per_month", rr->mqls_per_month, "%.1f",
                  rr->mqls_per_month);
        bad |= kv(r, "recommended_mql_to_sql", rr->sql_rate, "%.1f%%", 100 * rr->sql_rate);
        bad |= kv(r, "recommended_mql_to_won", rr->won_rate, "%.1f%%", 100 * rr->won_rate);
        bad |= kv(r, "recommended_recall", rr->recall, "%.1f%%", 100 * rr->recall);
        bad |= kv(r, "recommended_mqls", (double)rr->mqls, "%zu", rr->mqls);
    }
    bad |= kv(r, "new_model_beats_chance", !r->weak, "%s", r->weak ? "no" : "yes");
    bad |= kv(r, "new_points_strength", np->strength, "%.0f%%", 100 * np->strength);
    bad |= kv(r, "new_lr_test_p", r->lr_p, "%.2g", r->lr_p);
    bad |= kv(r, "new_model_threshold", (double)np->threshold, "%ld", np->threshold);
    bad |= kv(r, "l2", r->model->l2, "%g", r->model->l2);
    int firth = r->model->fit && r->model->fit->method == MQL_GLM_METHOD_FIRTH;
    bad |= kv(r, "firth", firth, "%s", firth ? (r->choice.reason == MQL_FIRTH_SEPARATION
                                                    ? "yes (the plain fit separates)"
                                                : r->choice.reason == MQL_FIRTH_FEW_EVENTS
                                                    ? "yes (fewer than 10 events per parameter)"
                                                    : "yes (--firth)")
                                             : "no");
    if (r->plan) {
        const mql_dplan_row *pr = &r->plan->rows[r->plan->pick.index];
        bad |= kv(r, "plan_threshold", pr->threshold, "%g", pr->threshold);
        bad |= kv(r, "plan_mqls_needed_per_month", pr->need, "%.1f", pr->need);
        bad |= kv(r, "plan_mqls_history_per_month", pr->mqls_per_month, "%.1f",
                  pr->mqls_per_month);
        bad |= kv(r, "plan_met", r->plan->pick.status == MQL_PICK_MET, "%s",
                  r->plan->pick.status == MQL_PICK_MET ? "yes" : "no");
    }
    if (isfinite(r->eng_share_new))
        bad |= kv(r, "engagement_share_new", r->eng_share_new, "%.0f%%", 100 * r->eng_share_new);
    if (cur && isfinite(r->eng_share_cur))
        bad |= kv(r, "engagement_share_current", r->eng_share_cur, "%.0f%%",
                  100 * r->eng_share_cur);
    if (r->has_psi)
        bad |= kv(r, "current_psi", r->psi.psi.psi, "%.3f", r->psi.psi.psi);
    if (r->new_sum.has_calib) {
        bad |= kv(r, "new_calibration_intercept", r->new_sum.calib.citl, "%.3f",
                  r->new_sum.calib.citl);
        bad |= kv(r, "new_calibration_slope", r->new_sum.calib.slope, "%.3f",
                  r->new_sum.calib.slope);
    }
    if (cur && r->cur_sum.has_calib) {
        bad |= kv(r, "current_calibration_intercept", r->cur_sum.calib.citl, "%.3f",
                  r->cur_sum.calib.citl);
        bad |= kv(r, "current_calibration_slope", r->cur_sum.calib.slope, "%.3f",
                  r->cur_sum.calib.slope);
    }
    return bad ? oom(err) : MQL_OK;
}

/* The figures of a calibration sentence (mql_eval_calib_sentence) as key figures. */
static int calib_kv(mql_review *r, const char *who, const mql_eval_summary *m)
{
    double stated, observed;
    char k1[64], k2[64];
    if (mql_eval_calib_reading(m, &stated, &observed))
        return 0;
    snprintf(k1, sizeof k1, "%s_calibration_stated_p", who);
    snprintf(k2, sizeof k2, "%s_calibration_observed_p", who);
    return kv(r, k1, stated, "%.1f%%", 100 * stated) |
           kv(r, k2, observed, "%.1f%%", 100 * observed);
}

double mql_review_heat_span(const mql_review *r)
{
    double base = r->new_sw ? r->new_sw->totals.base_won_rate : NAN;
    return isfinite(base) ? fmax(0.10, 0.5 * base) : 0.10;
}

/* The findings read before any figure (lead = 1), first in the list: leakage suspects and
 * identifiers left out, a model too good to be true, a model that does not beat chance. */
static int step_alerts(const mql_review_spec *sp, mql_review *r, mql_err *err)
{
    const mql_table *t = sp->table;
    int st = MQL_OK;
    size_t cap = 256;
    for (size_t j = 0; j < t->n_cols; j++)
        cap += strlen(t->cols[j].name) + (sp->screen ? strlen(sp->screen->col[j].evidence) : 0) + 8;
    char *list = malloc(cap);
    if (!list)
        return oom(err);
    for (int pass = 0; pass < 2 && !st; pass++) {
        unsigned mask = pass == 0 ? MQL_SCREEN_LEAK : MQL_SCREEN_IDLIKE;
        size_t o = 0, k = 0;
        list[0] = '\0';
        for (size_t j = 0; j < t->n_cols; j++) {
            if (!left_out(sp, j, mask) || (pass == 1 && left_out(sp, j, MQL_SCREEN_LEAK)))
                continue;
            const char *ev = sp->screen->col[j].evidence;
            if (pass == 1 && strncmp(ev, "identifier-like: ", 17) == 0)
                ev += 17;
            o += (size_t)snprintf(list + o, cap - o, "%s%s (%s)", k++ ? "; " : "",
                                  t->cols[j].name, ev);
        }
        if (!k)
            continue;
        if (pass == 0)
            st = finding(r, err, MQL_REVIEW_WARNING, "Leakage suspects left out of the new model",
                         "%zu column%s look%s filled during or after the sales process, so the "
                         "new model leaves %s out: %s. A model fitted on such columns scores "
                         "closed leads well and new leads badly, because new leads do not have "
                         "them yet. If a column is known when a lead is scored, keep it with "
                         "--keep COL.", k, k > 1 ? "s" : "", k > 1 ? "" : "s",
                         k > 1 ? "them" : "it", list);
        else
            st = finding(r, err, MQL_REVIEW_WARNING, "Identifier-like numbers left out",
                         "%s: %s number%s leads rather than describing them, so the new model "
                         "does not use %s as a feature (--keep COL keeps one).", list,
                         k > 1 ? "these" : "this column", k > 1 ? "" : "s",
                         k > 1 ? "them" : "it");
        if (!st)
            r->findings[r->n_findings - 1].lead = 1;
    }
    free(list);
    const mql_glm_result *g = r->model->fit;
    double mcf = g->null_deviance > 0 ? 1 - g->deviance / g->null_deviance : NAN;
    if (!st && (r->new_sum.auc.auc > 0.95 || mcf > 0.6)) {
        char who[600], a[200];
        mql_screen_carriers(sp->screen, sp->table, r->model->design, who, sizeof who);
        auc_words(r, a, sizeof a);
        r->too_good = 1;
        st = finding(r, err, MQL_REVIEW_WARNING, "Too good to be true",
                     "The new model's AUC is %s and its McFadden R2 %.3f: lead scoring "
                     "on what is known when a lead arrives rarely passes AUC 0.95 or R2 0.6. "
                     "Such a fit usually means a column records the outcome. It rests on %s: "
                     "check when each is filled before using the model.", a, mcf, who);
        if (!st)
            r->findings[r->n_findings - 1].lead = 1;
    }
    if (!st && r->weak) {
        char a[200];
        auc_words(r, a, sizeof a);
        const mql_points *p = r->model->points;
        char pts[160];
        if (p->strength < 1)
            snprintf(pts, sizeof pts, "Its points are scaled to its weak signal (%.0f%% of the "
                     "usual scale, so no rule looks decisive), and", 100 * p->strength);
        else
            snprintf(pts, sizeof pts, "Its points follow the scale given (--max-points or "
                     "--pdo), and");
        st = finding(r, err, MQL_REVIEW_WARNING, "The new model does not beat chance",
                     "Its AUC is %s and the likelihood-ratio "
                     "test of its features on the training leads gives p = %.2g%s. It should "
                     "not replace the current model, and no new threshold is recommended. %s "
                     "the grade heatmap's colours span at least %.0f percentage points, so small "
                     "differences look small.", a, r->lr_p,
                     r->lr_p >= 0.05 ? " (not significant at 5%)" : "", pts,
                     100 * mql_review_heat_span(r));
        if (!st)
            r->findings[r->n_findings - 1].lead = 1;
    }
    return st;
}

/* The diagnosis: plain-language findings, with the figures they quote added to the summary. */
static int step_findings(mql_review *r, mql_err *err)
{
    const mql_model *cur = r->current;
    const mql_bt_row *rr = &r->new_sw->rows[r->rec];
    char a[64];
    int st = MQL_OK, bad = 0;
    /* Diagnosis 0: has the outcome rate moved between the training and the evaluation part? */
    if (r->role) {
        double k0 = 0, n0 = 0;
        for (size_t i = 0; i < r->n_train; i++)
            k0 += r->y_train[i];
        n0 = (double)r->n_train;
        const mql_bt_totals *te = &r->new_sw->totals;
        double k1 = (double)te->won, n1 = (double)te->n_rated, lo0, hi0, lo1, hi1;
        double z = mql_z_for_level(0.95);
        if (n0 > 0 && n1 > 0) {
            mql_wilson(k0, n0, z, &lo0, &hi0);
            mql_wilson(k1, n1, z, &lo1, &hi1);
            bad |= kv(r, "train_won_rate", k0 / n0, "%.1f%%", 100 * k0 / n0);
            bad |= kv(r, "train_won_rate_lo", lo0, "%.1f%%", 100 * lo0);
            bad |= kv(r, "train_won_rate_hi", hi0, "%.1f%%", 100 * hi0);
            bad |= kv(r, "eval_won_rate", k1 / n1, "%.1f%%", 100 * k1 / n1);
            bad |= kv(r, "eval_won_rate_lo", lo1, "%.1f%%", 100 * lo1);
            bad |= kv(r, "eval_won_rate_hi", hi1, "%.1f%%", 100 * hi1);
            if (hi0 < lo1 || hi1 < lo0)
                st = finding(r, err, MQL_REVIEW_WARNING, "The outcome rate moved",
                             "%.1f%% of the training leads converted (95%% interval "
                             "%.1f-%.1f%%) against %.1f%% of the evaluation leads (%.1f-%.1f%%). "
                             "A model fitted on the earlier leads states probabilities for "
                             "their rate: expect it to be off in level on the later ones even "
                             "when it ranks them well.", 100 * k0 / n0, 100 * lo0, 100 * hi0,
                             100 * k1 / n1, 100 * lo1, 100 * hi1);
        }
    }
    /* Diagnosis 1: MQL-to-SQL against the band quoted in practice. */
    struct {
        const char *who;
        const mql_bt_row *row;
    } at[2] = {{"the recommended threshold", r->has_rec ? rr : NULL},
               {"the current threshold", cur ? &r->cur_sw->rows[r->cur_row] : NULL}};
    /* The band assumes that few leads reach SQL at all; where the file's own SQL rate over all
     * leads is already inside or above it (a list of late-stage leads, a 63% base rate), any
     * threshold clears the band and it says nothing: the rate is set against the base instead. */
    double base_sql = r->new_sw->totals.base_sql_rate;
    for (int k = 0; k < 2 && !st; k++) {
        const mql_bt_row *w = at[k].row;
        if (!w || !isfinite(w->sql_rate))
            continue;
        pct(a, sizeof a, w->sql_rate);
        if (isfinite(base_sql) && base_sql >= BENCH_SQL_LO) {
            char b[32];
            pct(b, sizeof b, base_sql);
            st = finding(r, err, MQL_REVIEW_INFO, "MQL-to-SQL against this file's own rate",
                         "At %s (%g) MQL-to-SQL is %s against %s for all leads (%.1f times). "
                         "The 13-27%% band quoted in practice assumes far fewer leads reach SQL "
                         "than here, so it is not applied.", at[k].who, w->threshold, a, b,
                         base_sql > 0 ? w->sql_rate / base_sql : NAN);
        } else if (w->sql_rate < BENCH_SQL_LO)
            st = finding(r, err, MQL_REVIEW_WARNING, "Threshold too loose",
                         "At %s (%g) MQL-to-SQL is %s, below the 13-27%% band commonly quoted "
                         "in practice: sales receives many leads it does not accept. A higher "
                         "threshold would pass fewer, better leads.", at[k].who, w->threshold, a);
        else if (w->sql_rate > BENCH_SQL_HI)
            st = finding(r, err, MQL_REVIEW_INFO, "Threshold tight",
                         "At %s (%g) MQL-to-SQL is %s, above the 13-27%% band commonly quoted "
                         "in practice: sales accepts most MQLs, so good leads may be held back "
                         "below the threshold (%zu won deals scored under it).", at[k].who,
                         w->threshold, a, w->won_missed);
        else
            st = finding(r, err, MQL_REVIEW_GOOD, "MQL-to-SQL in the usual band",
                         "At %s (%g) MQL-to-SQL is %s, inside the 13-27%% band commonly "
                         "quoted in practice.", at[k].who, w->threshold, a);
    }
    /* Diagnosis 2: engagement points outweighing their predictive weight. */
    if (!st && cur && isfinite(r->eng_share_cur) && isfinite(r->eng_share_new)) {
        double gap = r->eng_share_cur - r->eng_share_new;
        if (gap > 0.10)
            st = finding(r, err, MQL_REVIEW_WARNING, "Engagement points outweigh their signal",
                         "Engagement points carry %.0f%% of the spread of the current score "
                         "but %.0f%% of the fitted model's (share of score variance from the "
                         "engagement sub-score): the current model rewards activity more than "
                         "activity predicts deals, the pattern behind strong MQL volume with a "
                         "weak pipeline.", 100 * r->eng_share_cur, 100 * r->eng_share_new);
        else if (gap < -0.10)
            st = finding(r, err, MQL_REVIEW_INFO, "Engagement under-weighted",
                         "Engagement points carry %.0f%% of the spread of the current score "
                         "but %.0f%% of the fitted model's: activity predicts deals more than "
                         "the current points give it credit for.", 100 * r->eng_share_cur,
                         100 * r->eng_share_new);
        else
            st = finding(r, err, MQL_REVIEW_GOOD, "Fit and engagement balanced",
                         "Engagement points carry %.0f%% of the spread of the current score "
                         "and %.0f%% of the fitted model's: the balance matches the data.",
                         100 * r->eng_share_cur, 100 * r->eng_share_new);
    }
    /* Diagnosis 3: do the current scores still mean what they did? */
    if (!st && cur && r->has_psi) {
        double v = r->psi.psi.psi;
        const char *level = v > PSI_MAJOR ? "a major shift" : v > PSI_MODERATE ? "a moderate shift"
                                                                                 : "stable";
        bad |= kv(r, "psi_base_leads", (double)r->psi.n_base, "%zu (%s)", r->psi.n_base,
                  r->psi.base_label);
        bad |= kv(r, "psi_latest_leads", (double)r->psi.n_cur, "%zu (%s)", r->psi.n_cur,
                  r->psi.cur_label);
        st = finding(r, err, v > PSI_MODERATE ? MQL_REVIEW_WARNING : MQL_REVIEW_GOOD,
                     "Score population drift",
                     "PSI of the current score between %s (%zu leads) and %s (%zu leads) is "
                     "%.3f: %s by the rule of thumb from practice (< 0.1 stable, 0.1-0.25 "
                     "moderate, > 0.25 major).%s", r->psi.base_label, r->psi.n_base,
                     r->psi.cur_label, r->psi.n_cur, v, level,
                     v > PSI_MODERATE ? " The same score now describes a different mix of "
                                        "leads, so its conversion rates need re-checking."
                                      : "");
    }
    /* Calibration by period: the current score's stated probability against what happened in
     * the earliest and the latest quarter (rated leads). */
    if (!st && cur && r->cur_all->date) {
        const mql_scored *s = r->cur_all;
        long q0 = LONG_MAX, q1 = LONG_MIN;
        for (size_t i = 0; i < s->n; i++) {
            long q = mql_scored_quarter(s, i);
            if (q == LONG_MIN)
                continue;
            q0 = q < q0 ? q : q0;
            q1 = q > q1 ? q : q1;
        }
        double pred[2] = {0, 0}, won[2] = {0, 0}, cnt[2] = {0, 0};
        for (size_t i = 0; q0 < q1 && i < s->n; i++) {
            long q = mql_scored_quarter(s, i);
            if ((q != q0 && q != q1) || (s->censored && s->censored[i]))
                continue;
            int k = q == q1;
            pred[k] += s->prob[i];
            won[k] += s->y[i];
            cnt[k] += 1;
        }
        if (q0 < q1 && cnt[0] > 0 && cnt[1] > 0) {
            char l0[16], l1[16];
            double lo[2], hi[2];
            int off = 0;
            for (int k = 0; k < 2; k++) {
                mql_wilson(won[k], cnt[k], mql_z_for_level(0.95), &lo[k], &hi[k]);
                pred[k] /= cnt[k];
                off |= pred[k] < lo[k] || pred[k] > hi[k];
            }
            mql_quarter_label(q0, l0, sizeof l0);
            mql_quarter_label(q1, l1, sizeof l1);
            bad |= kv(r, "current_pred_first_quarter", pred[0], "%.1f%%", 100 * pred[0]);
            bad |= kv(r, "current_obs_first_quarter", won[0] / cnt[0], "%.1f%%",
                      100 * won[0] / cnt[0]);
            bad |= kv(r, "current_pred_last_quarter", pred[1], "%.1f%%", 100 * pred[1]);
            bad |= kv(r, "current_obs_last_quarter", won[1] / cnt[1], "%.1f%%",
                      100 * won[1] / cnt[1]);
            static const char *const qk[2][2] = {
                {"current_obs_first_quarter_lo", "current_obs_first_quarter_hi"},
                {"current_obs_last_quarter_lo", "current_obs_last_quarter_hi"}};
            for (int k = 0; k < 2; k++) {
                bad |= kv(r, qk[k][0], lo[k], "%.1f%% (%s)", 100 * lo[k], k ? l1 : l0);
                bad |= kv(r, qk[k][1], hi[k], "%.1f%% (%s)", 100 * hi[k], k ? l1 : l0);
            }
            st = finding(r, err, off ? MQL_REVIEW_WARNING : MQL_REVIEW_GOOD,
                         off ? "Current scores no longer mean the same probability"
                             : "Current scores keep their meaning over time",
                         "Leads of %s: the current score's probability averaged %.1f%% and "
                         "%.1f%% converted (95%% interval %.1f-%.1f%%); leads of %s: %.1f%% "
                         "stated, %.1f%% converted (%.1f-%.1f%%).%s", l0, 100 * pred[0],
                         100 * won[0] / cnt[0], 100 * lo[0], 100 * hi[0], l1, 100 * pred[1],
                         100 * won[1] / cnt[1], 100 * lo[1], 100 * hi[1],
                         off ? " The same score converts differently now than it did: "
                               "thresholds and rates set on old data no longer hold." : "");
        }
    }
    if (!st && cur && r->cur_sum.has_calib && !r->cur_s->prob_platt) {
        const mql_calib *c = &r->cur_sum.calib;
        char s[400];
        mql_eval_calib_sentence(&r->cur_sum, s, sizeof s);
        bad |= calib_kv(r, "current", &r->cur_sum);
        int off = fabs(c->slope - 1) > 0.2 || fabs(c->citl) > 0.2;
        st = finding(r, err, off ? MQL_REVIEW_WARNING : MQL_REVIEW_GOOD,
                     "Current model calibration", "Calibration intercept %.3f, slope %.3f: %s",
                     c->citl, c->slope, s);
    } else if (!st && cur && r->cur_s->prob_platt) {
        st = finding(r, err, MQL_REVIEW_INFO, "Current scores have no stated probability",
                     "The current rules file maps no score to a probability, so whether its "
                     "scores still mean what they did is judged by the score drift (PSI) "
                     "and by the first and latest quarter above, through an in-sample Platt "
                     "fit of won on its score.");
    }
    if (!st && r->new_sum.has_calib) {
        char s[400];
        mql_eval_calib_sentence(&r->new_sum, s, sizeof s);
        bad |= calib_kv(r, "new", &r->new_sum);
        st = finding(r, err, MQL_REVIEW_INFO, "New model calibration",
                     "On the %s leads: intercept %.3f, slope %.3f: %s",
                     r->role ? "evaluation" : "training (in-sample)", r->new_sum.calib.citl,
                     r->new_sum.calib.slope, s);
    }
    if (!st && (!r->new_sum.has_auc || r->new_sum.few)) {
        char aw[200];
        auc_words(r, aw, sizeof aw);
        st = finding(r, err, MQL_REVIEW_WARNING, "Evaluation window too small",
                     "The evaluation leads cannot rank the models: AUC %s, so no threshold is "
                     "recommended and the figures below describe too few leads to act on. "
                     "Widen the window (an earlier --train-until or a larger --holdout-last).",
                     r->new_sum.has_auc ? aw : r->new_sum.few_msg);
        if (!st)
            r->findings[r->n_findings - 1].lead = 1;
    } else if (!st && cur) {
        double d = r->new_sum.auc.auc - r->cur_sum.auc.auc;
        st = finding(r, err, d > 0.01 ? MQL_REVIEW_GOOD : MQL_REVIEW_INFO,
                     "New vs current model",
                     "AUC %.3f for the new model against %.3f for the current one (%+.3f): "
                     "%s", r->new_sum.auc.auc, r->cur_sum.auc.auc, d,
                     d > 0.01 ? "the new points rank won deals above lost ones more often."
                              : "no material gain in ranking; the case for switching rests "
                                "on calibration and volume.");
    }
    if (!st && r->plan_msg[0])
        st = finding(r, err, MQL_REVIEW_WARNING, "Plan not computed", "%s", r->plan_msg);
    return st ? st : bad ? oom(err) : MQL_OK;
}

/* The column a note "col: ..." is about: the longest column name of t it starts with, followed
 * by ':'; -1 when none. */
static long note_column(const mql_table *t, const char *note)
{
    long best = -1;
    size_t best_len = 0;
    for (size_t j = 0; j < t->n_cols; j++) {
        size_t n = strlen(t->cols[j].name);
        if (n >= best_len && strncmp(note, t->cols[j].name, n) == 0 && note[n] == ':') {
            best = (long)j;
            best_len = n;
        }
    }
    return best;
}

/* The notes about the data, in the order the report shows them: censoring, leakage suspects,
 * the automatic Firth refit, the fit's warnings, and the skipped or flagged columns (the profile's
 * notes, then the design's, each column once: the first note about a column wins). */
static int step_data_notes(const mql_review_spec *sp, mql_review *r, mql_err *err)
{
    mql_review_item **v = &r->data_notes;
    size_t *n = &r->n_data_notes;
    const mql_bt_totals *tot = &r->new_sw->totals;
    int bad = 0;
    size_t n_open = r->new_s ? r->new_s->n_open : 0;
    if (tot->n_censored > n_open) {
        char s[512];
        snprintf(s, sizeof s, "%zu evaluation leads are younger than --maturity %ld days at the "
                 "data's end: too young to have converted, they count in MQL volumes but not in "
                 "any rate.", tot->n_censored - n_open, sp->maturity);
        bad |= item_add(v, n, MQL_REVIEW_WARNING, "Censored leads", s);
    }
    if (n_open) {
        char s[640];
        snprintf(s, sizeof s, "%zu evaluation leads are still open (%s): their outcome is not "
                 "known, so they count in MQL volumes but in no rate, and no model was fitted "
                 "on them.", n_open, sp->open_label ? sp->open_label : "outcome open");
        bad |= item_add(v, n, MQL_REVIEW_INFO, "Open leads", s);
    }
    if (sp->months && !(sp->date_col >= 0)) {
        char s[256];
        snprintf(s, sizeof s, "The file has no dates: volumes per month divide by the %zu "
                 "months it covers, as stated with --months.", sp->months);
        bad |= item_add(v, n, MQL_REVIEW_INFO, "Period", s);
    }
    if (r->n_leak) {
        char s[800];
        snprintf(s, sizeof s, "Left out of the new model as leakage suspects: %s (%s).",
                 r->leak_names, mql_screen_rule);
        bad |= item_add(v, n, MQL_REVIEW_WARNING, "Leakage suspects", s);
    }
    if (r->choice.reason == MQL_FIRTH_SEPARATION) {
        char s[1600];
        snprintf(s, sizeof s, "The plain maximum-likelihood fit separates (%s). The review fitted "
                 "Firth's penalized likelihood instead (--firth), which gives finite, less biased "
                 "coefficients, with the FLIC intercept so the mean predicted probability equals "
                 "the training event rate; give --firth or --l2 explicitly to choose the method.",
                 r->choice.why);
        bad |= item_add(v, n, MQL_REVIEW_WARNING, "Separation: fitted by Firth's method", s);
    } else if (r->choice.reason == MQL_FIRTH_FEW_EVENTS) {
        char s[1600];
        snprintf(s, sizeof s, "The training leads give %s: maximum-likelihood coefficients are "
                 "biased away from zero and unstable there (Peduzzi et al. 1996). The review "
                 "fitted Firth's penalized likelihood instead (--firth), with the FLIC intercept "
                 "so the mean predicted probability equals the training event rate; give --firth "
                 "or --l2 explicitly to choose the method.", r->choice.why);
        bad |= item_add(v, n, MQL_REVIEW_WARNING, "Few events per parameter: fitted by Firth's "
                        "method", s);
    }
    for (size_t q = 0; q < r->diag.n_warnings; q++) {
        /* After the refit the separation is told once, in the note above. */
        if (r->choice.reason == MQL_FIRTH_SEPARATION &&
            strncmp(r->diag.warnings[q], "separation:", 11) == 0)
            continue;
        bad |= item_add(v, n, MQL_REVIEW_WARNING, "Fit warning", r->diag.warnings[q]);
    }
    if (bad)
        return oom(err);
    /* Skipped columns and profile notes in one box. */
    size_t m = sp->n_column_notes + r->diag.n_notes, cap = 64, o = 0;
    const char **all = malloc((m ? m : 1) * sizeof *all);
    unsigned char *seen = calloc(sp->table->n_cols ? sp->table->n_cols : 1, 1);
    for (size_t q = 0; all && q < sp->n_column_notes; q++)
        all[q] = sp->column_notes[q];
    for (size_t q = 0; all && q < r->diag.n_notes; q++)
        all[sp->n_column_notes + q] = r->diag.notes[q];
    for (size_t q = 0; all && q < m; q++)
        cap += strlen(all[q]) + 3;
    char *s = all && seen ? malloc(cap) : NULL;
    if (s) {
        s[0] = '\0';
        for (size_t q = 0; q < m; q++) {
            long j = note_column(sp->table, all[q]);
            if (j >= 0 && seen[j])
                continue;
            if (j >= 0)
                seen[j] = 1;
            o += (size_t)snprintf(s + o, cap - o, "%s%s", o ? "; " : "", all[q]);
        }
        if (o)
            bad |= item_add(v, n, MQL_REVIEW_INFO, "Columns skipped or flagged", s);
    }
    int fail = !s || bad;
    free(s);
    free(seen);
    free(all);
    return fail ? oom(err) : MQL_OK;
}

/* ================================================================================================ */

int mql_review_run(const mql_review_spec *sp, mql_review **out, mql_err *err)
{
    *out = NULL;
    if (!sp || !sp->table || !sp->y)
        return mql_err_set(err, MQL_EUSAGE, "review: a lead table with an outcome is required");
    if (sp->current && !sp->current->points)
        return mql_err_set(err, MQL_EDATA, "review: the current model has no points table");
    mql_review *r = calloc(1, sizeof *r);
    if (!r)
        return oom(err);
    mql_fit_diag_init(&r->diag);
    r->table = sp->table;
    r->columns = sp->columns;
    r->current = sp->current;
    r->has_sql = sp->sql != NULL;
    r->maturity = sp->maturity;
    r->file = mql_strdup(sp->file ? sp->file : "");
    r->outcome_label = mql_strdup(sp->outcome_label ? sp->outcome_label : "");
    if (!r->file || !r->outcome_label) {
        mql_review_free(r);
        return oom(err);
    }
    mql_design_opts design;
    char **roles = NULL;
    int st;
    /* each step's wall and CPU seconds in r->step_seconds and step_cpu (MQLCAL_TIMINGS prints
     * them) */
    struct timespec t0, t1, c0, c1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &c0);
#define SECONDS(a, b)                                                                     \
    ((double)((b).tv_sec - (a).tv_sec) + 1e-9 * (double)((b).tv_nsec - (a).tv_nsec))
#define TIMED(k, call)                                                                    \
    (st = (call), clock_gettime(CLOCK_MONOTONIC, &t1),                                    \
     clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &c1), r->step_seconds[k] = SECONDS(t0, t1),   \
     r->step_cpu[k] = SECONDS(c0, c1), t0 = t1, c0 = c1, st)
    /* The current model's side needs the split only: it runs beside the fit, so the fit step's
     * times include it (as much of it as the fit outlasts). */
    cur_run cr = {.sp = sp, .r = r};
    if (!TIMED(0, step_leakage(sp, r, &design, &roles, err)) && !TIMED(1, step_split(sp, r, err)) &&
        (!sp->current || (cur_begin(&cr), 1)) && !TIMED(2, step_fit(sp, r, &design, err)) &&
        !TIMED(3, step_evaluate(sp, r, &cr, err)) && !TIMED(4, step_tables(sp, r, err)) &&
        !(st = step_key_figures(r, err)) && !(st = step_alerts(sp, r, err)) &&
        !(st = step_findings(r, err)))
        (void)TIMED(5, step_data_notes(sp, r, err));
#undef TIMED
#undef SECONDS
    cur_wait(&cr);              /* a failed fit leaves it running: it writes into r */
    free(roles);
    if (st) {
        mql_review_free(r);
        return st;
    }
    *out = r;
    return MQL_OK;
}

static void items_free(mql_review_item *v, size_t n)
{
    for (size_t k = 0; k < n; k++) {
        free(v[k].title);
        free(v[k].text);
    }
    free(v);
}

void mql_review_free(mql_review *r)
{
    if (!r)
        return;
    free(r->file);
    free(r->outcome_label);
    free(r->role);
    mql_table_free(r->train_t);
    mql_table_free(r->eval_t);
    free(r->y_train), free(r->y_eval), free(r->sql_eval), free(r->w_train);
    free(r->open_eval);
    mql_model_free(r->model);
    mql_fit_diag_clear(&r->diag);
    mql_scored_free(r->cur_s), mql_scored_free(r->new_s), mql_scored_free(r->cur_all);
    mql_compare_free(r->cmp);
    mql_bt_sweep_free(r->new_sw), mql_bt_sweep_free(r->cur_sw);
    mql_dplan_free(r->plan);
    mql_tab *tabs[] = {r->summary, r->t_thr, r->t_thr_cur, r->t_cal, r->t_cal_cur, r->t_bands,
                       r->t_gains, r->t_gains_cur, r->t_hist, r->t_grades, r->t_psi, r->t_cmp,
                       r->t_mig, r->t_rules_diff, r->t_rules, r->t_metrics, r->t_metrics_cur,
                       r->t_plan, r->t_plan_thr, r->t_groups, r->t_screen};
    for (size_t k = 0; k < sizeof tabs / sizeof tabs[0]; k++)
        mql_tab_free(tabs[k]);
    items_free(r->findings, r->n_findings);
    items_free(r->data_notes, r->n_data_notes);
    for (size_t k = 0; k < r->n_warnings; k++)
        free(r->warnings[k]);
    free(r->warnings);
    free(r);
}
