/* evaluate_runs.c: the train step (mql_eval_train) and the out-of-sample runs: each part tested
 * on a model trained on the parts before it or on all the others (or a fixed model), pooled. */
#include "mqlcal/evaluate.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "mqlcal/table_ops.h"
#include "evaluate_scored.h"

/* ================================================================================================
 * training and out-of-sample runs
 * ============================================================================================== */

/* The train and points steps for one glm option set. */
static int train_once(const mql_table *t, const unsigned char *y, const double *w,
                      const mql_train_spec *spec, const mql_glm_opts *glm, mql_model **out,
                      mql_fit_diag *diag, mql_err *err)
{
    mql_model *m = NULL;
    int st = mql_model_train(t, y, w, spec ? spec->design : NULL, glm, &m, diag, err);
    if (!st)
        st = mql_model_add_points(m, t, y, spec ? &spec->points : NULL, err);
    if (st) {
        mql_model_free(m);
        return st;
    }
    m->l2 = glm ? glm->l2 : 0;
    *out = m;
    return MQL_OK;
}

int mql_eval_train(const mql_table *t, const unsigned char *y, const double *w,
                   const mql_train_spec *spec, mql_model **out, mql_fit_diag *diag,
                   mql_err *err)
{
    *out = NULL;
    const mql_glm_opts *glm = spec ? spec->glm : NULL;
    mql_glm_opts def;
    if (!glm) {
        mql_glm_opts_default(&def);
        glm = &def;
    }
    int automatic = spec && spec->auto_firth && glm->method == MQL_GLM_METHOD_ML &&
                    glm->l2 == 0.0;
    mql_fit_diag local;
    if (!diag)
        diag = &local;
    int st = train_once(t, y, w, spec, glm, out, diag, err);
    mql_firth_reason why = MQL_FIRTH_NOT_USED;
    char text[sizeof spec->choice->why];
    if (automatic && st == MQL_EDATA && diag->state == MQL_GLM_SEPARATED) {
        why = MQL_FIRTH_SEPARATION;
        snprintf(text, sizeof text, "%s", err->msg);
    } else if (automatic && st == MQL_OK && diag->n_params && diag->epv < MQL_MIN_EPV) {
        why = MQL_FIRTH_FEW_EVENTS;
        snprintf(text, sizeof text, "%.1f events per parameter (%zu parameters), below %.0f",
                 diag->epv, diag->n_params, MQL_MIN_EPV);
    }
    double epv = diag->epv;
    if (why != MQL_FIRTH_NOT_USED) {
        mql_model_free(*out);
        *out = NULL;
        mql_fit_diag_clear(diag);
        mql_glm_opts firth = *glm;
        firth.method = MQL_GLM_METHOD_FIRTH;
        firth.flic = 1;
        firth.profile = 0;      /* MQL_FIRTH_PROFILE_OFF: a refit needs the estimates only */
        st = train_once(t, y, w, spec, &firth, out, diag, err);
    }
    if (spec && spec->choice) {
        mql_fit_choice *c = spec->choice;
        c->reason = why;
        c->epv = epv;
        snprintf(c->why, sizeof c->why, "%s", why ? text : "");
        c->n_fits++;
        c->n_separation += why == MQL_FIRTH_SEPARATION;
        c->n_few_events += why == MQL_FIRTH_FEW_EVENTS;
    }
    if (diag == &local)
        mql_fit_diag_clear(&local);
    return st;
}

void mql_eval_runs_free(mql_eval_runs *runs)
{
    if (!runs)
        return;
    free(runs->parts);
    mql_scored_free(runs->pooled);
    free(runs);
}

/* Metrics of one tested part (s: its leads; score = integer points of its model). */
static int part_metrics(const mql_scored *s, mql_eval_part *p, mql_err *err)
{
    double *sc, *pr;
    unsigned char *y;
    size_t k;
    int st = mql_scored_rated_arrays(s, &sc, &pr, &y, &k, err);
    if (st)
        return st;
    p->n_test = s->n;
    p->test_rated = k;
    p->test_won = 0;
    for (size_t i = 0; i < k; i++)
        p->test_won += y[i];
    p->auc = p->brier = p->logloss = NAN;
    if (p->test_won > 0 && p->test_won < k) {
        mql_auc(sc, y, NULL, k, &p->auc, NULL);
        mql_brier(pr, y, NULL, k, &p->brier, NULL);
        mql_logloss(pr, y, NULL, k, &p->logloss, NULL);
    }
    free(sc);
    free(pr);
    free(y);
    p->threshold = (double)s->threshold;
    p->mqls = 0;
    p->mqls_per_month = p->won_rate = p->sql_rate = p->recall = NAN;
    if (p->test_won == 0) {
        for (size_t i = 0; i < s->n; i++)
            p->mqls += s->score[i] >= p->threshold;
        return MQL_OK;
    }
    mql_bt_sweep *sw = NULL;
    if ((st = mql_eval_sweep(s, &p->threshold, 1, &sw, err)))
        return st;
    const mql_bt_row *r = &sw->rows[0];
    p->mqls = r->mqls;
    p->mqls_per_month = r->mqls_per_month;
    p->won_rate = r->won_rate;
    p->sql_rate = r->sql_rate;
    p->recall = r->recall;
    mql_bt_sweep_free(sw);
    return MQL_OK;
}

/* Appends the tested rows of s (mask) to the pooled arrays, score := probability. */
static void pool_append(mql_scored *pool, size_t *k, const mql_scored *s)
{
    for (size_t i = 0; i < s->n; i++) {
        size_t j = (*k)++;
        mql_scored_copy_row(pool, j, s, i);
        pool->score[j] = s->prob[i];
    }
}

int mql_eval_run_parts(const mql_table *t, const mql_eval_roles *r, const long *part,
                       size_t n_parts, const char *const *labels, mql_split_mode mode,
                       const mql_points *fixed, const mql_train_spec *spec,
                       mql_eval_runs **out, mql_err *err)
{
    *out = NULL;
    size_t n = t->n_rows, cap = n ? n : 1;
    mql_eval_runs *runs = calloc(1, sizeof *runs);
    unsigned char *train = malloc(cap), *test = malloc(cap);
    unsigned char *ysub = malloc(cap);
    double *wsub = spec && spec->w ? malloc(cap * sizeof *wsub) : NULL;
    mql_scored *fixed_scored = NULL;
    int st = MQL_OK;
    if (!runs || !train || !test || !ysub || (spec && spec->w && !wsub) ||
        !(runs->parts = calloc(n_parts ? n_parts : 1, sizeof *runs->parts))) {
        st = oom(err);
        goto done;
    }
    size_t tested = 0;
    for (size_t i = 0; i < n; i++)
        tested += part[i] >= (mode == MQL_SPLIT_BEFORE ? 1 : 0) && part[i] < (long)n_parts;
    if (fixed && (st = mql_scored_new(fixed, t, r, &fixed_scored, err)))
        goto done;
    runs->pooled = mql_scored_alloc(tested, 0, r->sql != NULL, r->date_col >= 0, r->acv_col >= 0,
                                    r->maturity_days > 0 || r->open);
    if (runs->pooled && r->open && !(runs->pooled->open = calloc(tested ? tested : 1, 1))) {
        mql_scored_free(runs->pooled);
        runs->pooled = NULL;
    }
    if (runs->pooled)
        runs->pooled->months = r->months;
    if (!runs->pooled) {
        st = oom(err);
        goto done;
    }
    runs->pooled->threshold = 0;
    size_t pooled_k = 0;
    for (size_t j = (mode == MQL_SPLIT_BEFORE ? 1 : 0); j < n_parts; j++) {
        mql_eval_part *p = &runs->parts[runs->n_parts++];
        snprintf(p->label, sizeof p->label, "%s", labels[j]);
        size_t ntr = 0, nte = 0;
        for (size_t i = 0; i < n; i++) {
            long q = part[i];
            train[i] = q >= 0 && (mode == MQL_SPLIT_BEFORE ? q < (long)j : q != (long)j) &&
                       !(r->open && r->open[i]);     /* open leads are not fitted */
            test[i] = q == (long)j;
            ntr += train[i];
            nte += test[i];
        }
        p->n_train = fixed ? 0 : ntr;
        if (nte == 0 || (!fixed && ntr == 0)) {
            st = mql_err_set(err, MQL_EDATA, "%s: no leads to %s", p->label,
                             nte == 0 ? "test" : "train on");
            goto done;
        }
        mql_scored *full = NULL, *sub = NULL;
        mql_model *m = NULL;
        if (fixed) {
            st = mql_scored_subset(fixed_scored, test, &sub, err);
        } else {
            mql_table *tt = NULL;
            size_t k = 0;
            for (size_t i = 0; i < n; i++)
                if (train[i]) {
                    ysub[k] = r->y[i];
                    if (wsub)
                        wsub[k] = spec->w[i];
                    k++;
                }
            if (!(st = mql_table_subset(t, train, &tt, err)) &&
                !(st = mql_eval_train(tt, ysub, wsub, spec, &m, NULL, err)) &&
                !(st = mql_scored_new(m->points, t, r, &full, err)))
                st = mql_scored_subset(full, test, &sub, err);
            mql_table_free(tt);
        }
        if (!st)
            st = part_metrics(sub, p, err);
        if (!st)
            pool_append(runs->pooled, &pooled_k, sub);
        mql_scored_free(sub);
        mql_scored_free(full);
        mql_model_free(m);
        if (st) {
            mql_err_prefix(err, st, "%s", p->label);
            goto done;
        }
    }
    snprintf(runs->pooled_part.label, sizeof runs->pooled_part.label, "pooled");
    if ((st = part_metrics(runs->pooled, &runs->pooled_part, err)))
        goto done;
    /* Pooled threshold and volume have no single meaning across refits. */
    runs->pooled_part.threshold = NAN;
    runs->pooled_part.mqls = 0;
    runs->pooled_part.mqls_per_month = runs->pooled_part.won_rate = NAN;
    runs->pooled_part.sql_rate = runs->pooled_part.recall = NAN;
done:
    free(train);
    free(test);
    free(ysub);
    free(wsub);
    mql_scored_free(fixed_scored);
    if (st) {
        mql_eval_runs_free(runs);
        return st;
    }
    *out = runs;
    return MQL_OK;
}

static int runs_row(mql_tab *t, const mql_eval_part *p)
{
    /* Figures on too few leads say so. */
    char few[112];
    int is_few = !isnan(p->auc) &&
                 mql_few_note(p->test_won, p->test_rated - p->test_won, few, sizeof few);
    /* The pooled row has no single training set. */
    return mql_tab_row(t) || mql_tab_add_str(t, p->label) ||
           (isnan(p->threshold) ? mql_tab_add_str(t, NULL)
                                : mql_tab_add_int(t, (long long)p->n_train)) || mql_tab_add_int(t, (long long)p->n_test) ||
           mql_tab_add_int(t, (long long)p->test_rated) ||
           mql_tab_add_int(t, (long long)p->test_won) || mql_tab_add_num(t, p->auc, "%.4f") ||
           mql_tab_add_num(t, p->brier, "%.5f") || mql_tab_add_num(t, p->logloss, "%.5f") ||
           mql_tab_add_num(t, p->threshold, "%.10g") ||
           (isnan(p->threshold) ? mql_tab_add_str(t, NULL)
                                : mql_tab_add_int(t, (long long)p->mqls)) ||
           mql_tab_add_num(t, p->mqls_per_month, "%.1f") ||
           mql_tab_add_num(t, p->won_rate, "%.4f") || mql_tab_add_num(t, p->sql_rate, "%.4f") ||
           mql_tab_add_num(t, p->recall, "%.4f") || mql_tab_add_str(t, is_few ? few : NULL);
}

mql_tab *mql_eval_runs_tab(const mql_eval_runs *runs, int with_pooled)
{
    static const char *const cols[] = {"part",      "n_train", "n_test",   "rated",
                                       "won",       "auc",     "brier",    "logloss",
                                       "threshold", "mqls",    "mqls_per_month", "won_rate",
                                       "sql_rate",  "recall",  "note"};
    mql_tab *t = mql_tab_new(15, cols);
    if (!t)
        return NULL;
    int fail = 0;
    for (size_t j = 0; j < runs->n_parts && !fail; j++)
        fail = runs_row(t, &runs->parts[j]);
    if (!fail && with_pooled)
        fail = runs_row(t, &runs->pooled_part);
    if (fail) {
        mql_tab_free(t);
        return NULL;
    }
    return t;
}
