/* cmd_fit.c: `mqlcal fit`: logistic regression of the outcome on the lead features, a glm-style
 * summary on stdout (or the coefficient table as CSV / JSON), and the model file with -o. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_cdf.h>
#include <jansson.h>

#include "activity.h"
#include "cli.h"
#include "mqlcal/leakage.h"
#include "mqlcal/model.h"
#include "mqlcal/points.h"
#include "mqlcal/points_cost.h"
#include "mqlcal/report_table.h"

static void usage(FILE *f)
{
    fprintf(f,
            "usage: mqlcal fit LEADS.csv --outcome COL [lead file options] [design options]\n"
            "                  [--l2 LAMBDA | --firth [--no-flic] [--profile WHEN]]\n"
            "                  [--max-iter N] [--tol T] [--weight COL]\n"
            "                  [--format table|csv|json] [-o model.json]\n"
            "\n"
            "Fits a logistic regression of the outcome on the lead features by IRLS (R's glm:\n"
            "same estimates, standard errors and convergence rule) and prints a glm-style\n"
            "summary: the data, each term's coefficient, standard error, z, p, 95%% interval and\n"
            "odds ratio, the null and residual deviance, the likelihood-ratio test, AIC and\n"
            "McFadden's pseudo-R2. Notes (skipped columns) and warnings go to stderr.\n"
            "\n"
            "%s"
            "\n"
            "%s"
            "\n"
            "%s"
            "\n"
            "output:\n"
            "  --format F           table (default): the summary; csv: the coefficient table;\n"
            "                       json: the coefficient table and the fit statistics\n"
            "  -o FILE              write the model JSON to FILE (atomically; '-' = stdout, and\n"
            "                       the summary then goes to stderr). SOURCE_DATE_EPOCH, when\n"
            "                       set, fixes its 'created' time (reproducible files)\n"
            "  --snapshot-table FILE  with --activity: write the rows fitted (snapshot moment,\n"
            "                       outcome, lead columns, event features) as CSV\n"
            "  -h, --help           this help\n"
            "\n"
            "problems the fit reports (policy):\n"
            "  aliased terms        a term that is a linear combination of earlier terms is\n"
            "                       dropped (shown as 'aliased', like R's NA) with a warning that\n"
            "                       names it and the identical earlier term when there is one\n"
            "  separation           a direction in which the likelihood keeps rising (a 0/1 term\n"
            "                       whose leads all converted or none did, or a combination of\n"
            "                       terms; decided exactly by linear programming) has no finite\n"
            "                       maximum-likelihood estimate: the summary is printed, the terms\n"
            "                       are named with their counts, no model is written and the exit\n"
            "                       code is 1; --firth gives finite estimates (or --min-level-count,\n"
            "                       or --l2). With --firth or --l2 the fit proceeds with a warning.\n"
            "                       Leads fitted at probability 0 or 1 without separation: a note\n"
            "  few events           fewer than 10 events per parameter (the smaller outcome class\n"
            "                       over the parameters besides the intercept): a warning\n"
            "  no convergence       exit 4, no model written\n"
            "\n"
            "exit codes: 0 ok, 1 invalid data or separation, 2 usage, 3 I/O, 4 no convergence\n",
            cli_leads_usage, cli_fit_usage, cli_activity_usage);
}

typedef struct fit_opts {
    cli_leads leads;
    cli_activity act;
    cli_fit_opts fit;
    const char *out;
    const char *snapshots;    /* --snapshot-table FILE */
    mql_format format;
} fit_opts;

static int match(void *vo, int argc, char **argv, int *i)
{
    fit_opts *o = vo;
    int r = cli_leads_opt(&o->leads, argc, argv, i);
    if (r == 0)
        r = cli_activity_opt(&o->act, argc, argv, i);
    if (r == 0)
        r = cli_fit_opt(&o->fit, argc, argv, i);
    if (r == 0)
        r = cli_format_opt(argc, argv, i, &o->format, 0);
    if (r == 0)
        r = cli_opt(argc, argv, i, "-o", &o->out);
    if (r == 0)
        r = cli_opt(argc, argv, i, "--snapshot-table", &o->snapshots);
    return r;
}

static int parse_args(int argc, char **argv, fit_opts *o)
{
    cli_pos pos = {.cmd = "fit", .expect = "LEADS.csv", .min = 1, .max = 1};
    int st = cli_parse(argc, argv, usage, match, o, &pos);
    if (st)
        return st;
    if (cli_require_outcome("fit", &o->leads))
        return MQL_EUSAGE;
    o->leads.path = pos.v[0];
    o->leads.activity = o->act.path;
    return cli_fit_opts_finish(&o->fit, &o->leads);
}

/* The training fingerprint from the loaded data and options. */
static int fingerprint(mql_model *m, const fit_opts *o, const cli_data *d)
{
    mql_training *t = &m->train;
    const char *outcome = o->leads.outcome ? o->leads.outcome : d->outcome_label;
    int fail = !(t->file = mql_strdup(o->leads.path)) ||
               (outcome && !(t->outcome = mql_strdup(outcome))) ||
               (o->leads.sql && !(t->sql_column = mql_strdup(o->leads.sql))) ||
               (o->leads.acv && !(t->acv_column = mql_strdup(o->leads.acv))) ||
               (o->fit.weight && !(t->weight_column = mql_strdup(o->fit.weight)));
    if (!fail && d->date_col >= 0) {
        const mql_column *c = &d->table->cols[d->date_col];
        double lo = INFINITY, hi = -INFINITY;
        for (size_t i = 0; i < d->table->n_rows; i++)
            if (!isnan(c->num[i])) {
                lo = c->num[i] < lo ? c->num[i] : lo;
                hi = c->num[i] > hi ? c->num[i] : hi;
            }
        char buf[32];
        fail = !(t->date_column = mql_strdup(o->leads.date));
        if (!fail && lo <= hi) {
            mql_date_format(lo, 0, buf, sizeof buf);
            fail = !(t->date_min = mql_strdup(buf));
            mql_date_format(hi, 0, buf, sizeof buf);
            fail |= !(t->date_max = mql_strdup(buf));
        }
    }
    if (fail) {
        cli_error("out of memory");
        return MQL_ENOMEM;
    }
    return cli_model_stamp(m);
}

static const char *const coef_cols[] = {"term", "coef", "se", "z", "p", "ci_low", "ci_high",
                                        "odds_ratio"};

/* The coefficient table: one row per design term; aliased terms read "aliased" (R's NA). */
static mql_tab *coef_table(const mql_model *m, mql_format fmt)
{
    const mql_glm_result *r = m->fit;
    const double z975 = 1.959963984540054;
    mql_tab *tab = mql_tab_new(8, coef_cols);
    int fail = !tab;
    for (size_t j = 0; !fail && j < r->p; j++) {
        fail |= mql_tab_row(tab) || mql_tab_add_str(tab, mql_design_label(m->design, j));
        if (r->aliased[j]) {
            fail |= mql_tab_add_str(tab, fmt == MQL_FMT_TABLE ? "aliased" : NULL);
            for (int k = 0; k < 6; k++)
                fail |= mql_tab_add_str(tab, NULL);
            continue;
        }
        double b = r->beta[j], se = r->se[j], z = b / se;
        double p = 2.0 * gsl_cdf_ugaussian_Q(fabs(z)), lo = b - z975 * se, hi = b + z975 * se;
        if (r->lr_p && !isnan(r->lr_p[j])) {
            /* Firth with profiles: the penalized LR test and the profile interval */
            p = r->lr_p[j];
            lo = r->ci_lo[j];
            hi = r->ci_hi[j];
        }
        fail |= mql_tab_add_num(tab, b, "%.5f") || mql_tab_add_num(tab, se, "%.5f") ||
                mql_tab_add_num(tab, z, "%.2f") || mql_tab_add_num(tab, p, "%.3g") ||
                mql_tab_add_num(tab, lo, "%.4f") || mql_tab_add_num(tab, hi, "%.4f") ||
                mql_tab_add_num(tab, exp(b), "%.4g");
    }
    if (fail) {
        mql_tab_free(tab);
        return NULL;
    }
    return tab;
}

/* Fit statistics derived from the result (R: summary.glm, anova.glm test = "Chisq"). */
typedef struct fit_stats {
    double lr, lr_df, lr_p, mcfadden, base_rate;
} fit_stats;

static fit_stats stats_of(const mql_glm_result *r)
{
    fit_stats s;
    s.lr = r->null_deviance - r->deviance;
    s.lr_df = r->df_null - r->df_residual;
    s.lr_p = s.lr_df > 0 && s.lr >= 0 ? gsl_cdf_chisq_Q(s.lr, s.lr_df) : NAN;
    s.mcfadden = 1.0 - r->deviance / r->null_deviance;
    s.base_rate = r->events / r->n_weighted;
    return s;
}

/* " on 3 won and 2 lost leads: too few to judge (at least 10 of each needed)" into buf when the
 * training leads are too few for their AUC to judge the model (metrics.h), else "". */
static const char *few_words(const mql_glm_result *r, char *buf, size_t cap)
{
    double won = r->events, lost = r->n_weighted - r->events;
    buf[0] = ' ';
    if (!mql_few_note(won > 0 ? (size_t)won : 0, lost > 0 ? (size_t)lost : 0, buf + 1, cap - 1))
        buf[0] = '\0';
    return buf;
}

/* What --interactions tried and why each pair was kept or not. */
static void print_interactions(FILE *f, const mql_design *d, const mql_ix_report *ix)
{
    if (!ix->mode)
        return;
    if (ix->mode == 1)
        fprintf(f, "\ninteractions: %zu pairs screened (fit x fit, fit x engagement) by the "
                   "likelihood-ratio test against the main-effects model (deviance %.4f); Holm's "
                   "step-down keeps the family-wise error at %.0f%%; a significant pair is kept "
                   "only if it lowers the %d-fold held-out log loss\n",
                ix->n_tried, ix->dev_main, 100 * MQL_IX_ALPHA, MQL_IX_FOLDS);
    else
        fprintf(f, "\ninteractions asked for (--interactions):\n");
    static const char *const names[] = {"pair", "cells", "df", "LR", "p", "Holm level", "kept",
                                        "why"};
    mql_tab *t = mql_tab_new(8, names);
    for (size_t k = 0; t && k < ix->n_tried; k++) {
        const mql_ix_try *tr = &ix->tried[k];
        if (mql_tab_row(t) || mql_tab_add_fmt(t, "%s:%s", d->features[tr->a].name,
                                              d->features[tr->b].name) ||
            mql_tab_add_int(t, (long long)tr->cells) || mql_tab_add_int(t, (long long)tr->df) ||
            mql_tab_add_num(t, tr->lr, "%.3f") || mql_tab_add_num(t, tr->p, "%.3g") ||
            mql_tab_add_num(t, tr->holm, "%.3g") || mql_tab_add_str(t, tr->kept ? "yes" : "no") ||
            mql_tab_add_str(t, tr->why))
            break;
    }
    if (t)
        mql_tab_write(t, f, MQL_FMT_TABLE);
    mql_tab_free(t);
}

static void print_summary(FILE *f, const mql_model *m, const mql_fit_diag *dg, const fit_opts *o,
                          const mql_tab *tab)
{
    const mql_glm_result *r = m->fit;
    fit_stats s = stats_of(r);
    fprintf(f, "logistic regression: %s ~ %zu features (%zu terms)\n\n",
            m->train.outcome ? m->train.outcome : "outcome", m->design->n_features,
            m->design->p - 1);
    fprintf(f, "data        %s\n", o->leads.path);
    if (o->leads.count)
        fprintf(f, "rows        %.0f (leads of the count table's '%s' column)", r->n_weighted,
                o->leads.count);
    else
        fprintf(f, "rows        %zu", r->n);
    if (o->fit.weight)
        fprintf(f, " (weighted n %.10g, weights from '%s')", r->n_weighted, o->fit.weight);
    fprintf(f, "\nevents      %.10g (base rate %.2f%%)\n", r->events, 100.0 * s.base_rate);
    fprintf(f, "events per parameter  %.1f (%zu parameters besides the intercept)\n",
            dg->epv, dg->n_params);
    if (m->l2 > 0)
        fprintf(f, "ridge       l2 = %g (intercept unpenalised; SEs from the penalised "
                   "information)\n", m->l2);
    int firth = r->method == MQL_GLM_METHOD_FIRTH;
    if (firth)
        fprintf(f, "method      Firth's penalized likelihood (Jeffreys prior)%s; SEs from the "
                   "penalized information\n", r->flic ? ", FLIC intercept" : "");
    fputc('\n', f);
    mql_tab_write(tab, f, MQL_FMT_TABLE);
    if (firth) {
        fprintf(f, "\n%s\n", r->lr_p
                ? "p: penalized likelihood-ratio test; ci: profile penalized-likelihood 95% "
                  "interval (as logistf)"
                : "p, ci: Wald, from the penalized information (profile intervals: "
                  "--profile always)");
        if (r->flic)
            fprintf(f, "(Intercept): FLIC, refitted with the other terms as an offset so the "
                       "mean prediction is the event rate (Firth's own: %.5f); Wald interval\n",
                    r->beta0_firth);
        fprintf(f, "\npenalized log-likelihood  %.4f (log-likelihood at the Firth estimate "
                   "%.4f + 1/2 log det I %.4f)\n", r->pen_loglik,
                r->pen_loglik - 0.5 * r->logdet, 0.5 * r->logdet);
        fprintf(f, "penalized deviance        %.4f (-2 x penalized log-likelihood)\n",
                -2.0 * r->pen_loglik);
    }
    fprintf(f, "\nnull deviance      %.4f on %.0f degrees of freedom\n", r->null_deviance,
            r->df_null);
    fprintf(f, "residual deviance  %.4f on %.0f degrees of freedom%s\n", r->deviance,
            r->df_residual, firth ? " (of the reported coefficients)" : "");
    if (!firth)
        fprintf(f, "LR chi-square      %.4f on %.0f df, p = %.4g\n", s.lr, s.lr_df, s.lr_p);
    fprintf(f, "AIC                %.4f\n", r->aic);
    fprintf(f, "McFadden R2        %.4f\n", s.mcfadden);
    fprintf(f, "iterations         %d (%s)\n", r->iterations,
            r->converged ? "converged" : "NOT converged");
    print_interactions(f, m->design, &dg->ix);
}

static int write_json_report(FILE *f, const mql_model *m, const mql_fit_diag *dg,
                             const mql_tab *tab, const mql_tab *groups)
{
    const mql_glm_result *r = m->fit;
    fit_stats s = stats_of(r);
    json_t *o = json_object();
    json_object_set_new(o, "n", json_integer((json_int_t)r->n));
    json_object_set_new(o, "n_weighted", json_real(r->n_weighted));
    json_object_set_new(o, "events", json_real(r->events));
    json_object_set_new(o, "base_rate", json_real(s.base_rate));
    json_object_set_new(o, "parameters", json_integer((json_int_t)dg->n_params));
    json_object_set_new(o, "events_per_parameter", isfinite(dg->epv) ? json_real(dg->epv)
                                                                      : json_null());
    json_object_set_new(o, "l2", json_real(m->l2));
    int firth = r->method == MQL_GLM_METHOD_FIRTH;
    json_object_set_new(o, "method", json_string(firth ? "firth" : m->l2 > 0 ? "ridge" : "ml"));
    json_object_set_new(o, "flic", json_boolean(firth && r->flic));
    json_object_set_new(o, "intervals", json_string(r->lr_p ? "profile penalized likelihood"
                                                             : "wald"));
    if (firth) {
        json_object_set_new(o, "penalized_loglik", json_real(r->pen_loglik));
        json_object_set_new(o, "penalized_deviance", json_real(-2.0 * r->pen_loglik));
        json_object_set_new(o, "logdet_information", json_real(r->logdet));
        json_object_set_new(o, "firth_intercept", json_real(r->beta0_firth));
    }
    json_object_set_new(o, "null_deviance", json_real(r->null_deviance));
    json_object_set_new(o, "df_null", json_real(r->df_null));
    json_object_set_new(o, "deviance", json_real(r->deviance));
    json_object_set_new(o, "df_residual", json_real(r->df_residual));
    json_object_set_new(o, "lr_chisq", json_real(s.lr));
    json_object_set_new(o, "lr_df", json_real(s.lr_df));
    json_object_set_new(o, "lr_p", isfinite(s.lr_p) ? json_real(s.lr_p) : json_null());
    json_object_set_new(o, "aic", json_real(r->aic));
    json_object_set_new(o, "loglik", json_real(r->loglik));
    json_object_set_new(o, "mcfadden_r2", json_real(s.mcfadden));
    json_object_set_new(o, "iterations", json_integer(r->iterations));
    json_object_set_new(o, "converged", json_boolean(r->converged));
    json_t *w = json_array();
    for (size_t k = 0; k < dg->n_warnings; k++)
        json_array_append_new(w, json_string(dg->warnings[k]));
    json_object_set_new(o, "warnings", w);
    if (dg->ix.mode) {
        json_t *ia = json_array();
        for (size_t k = 0; k < dg->ix.n_tried; k++) {
            const mql_ix_try *tr = &dg->ix.tried[k];
            json_t *e = json_object();
            json_object_set_new(e, "a", json_string(m->design->features[tr->a].name));
            json_object_set_new(e, "b", json_string(m->design->features[tr->b].name));
            json_object_set_new(e, "cells", json_integer((json_int_t)tr->cells));
            json_object_set_new(e, "df", json_integer((json_int_t)tr->df));
            json_object_set_new(e, "lr", json_real(tr->lr));
            json_object_set_new(e, "p", json_real(tr->p));
            json_object_set_new(e, "holm", isfinite(tr->holm) ? json_real(tr->holm) : json_null());
            json_object_set_new(e, "cv_logloss_without",
                                isfinite(tr->cv_without) ? json_real(tr->cv_without) : json_null());
            json_object_set_new(e, "cv_logloss_with",
                                isfinite(tr->cv_with) ? json_real(tr->cv_with) : json_null());
            json_object_set_new(e, "kept", json_boolean(tr->kept));
            json_object_set_new(e, "why", json_string(tr->why));
            json_array_append_new(ia, e);
        }
        json_object_set_new(o, "interactions", ia);
    }
    fputs("{\"coefficients\": ", f);
    int bad = mql_tab_write(tab, f, MQL_FMT_JSON) != 0;
    fputs(", \"statistics\": ", f);
    bad |= json_dumpf(o, f, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(17)) != 0;
    fputs(", \"groups\": ", f);
    bad |= mql_tab_write(groups, f, MQL_FMT_JSON) != 0;
    fputs("}\n", f);
    json_decref(o);
    return bad ? -1 : 0;
}

/* The screening's warnings about the fitted model: leakage suspects among its features (fit
 * keeps them; review leaves them out), and a fit too good to be true (AUC above 0.95 or McFadden
 * R2 above 0.6) with the features that carry it. */
static void fit_warnings(const mql_model *m, const fit_opts *o, const cli_data *d)
{
    const mql_screen *s = o->fit.screen;
    for (size_t i = 0; s && i < m->design->n_features; i++) {
        long j = mql_table_find(d->table, m->design->features[i].name);
        if (j < 0 || !(s->col[j].flags & MQL_SCREEN_LEAK))
            continue;
        cli_warn("leakage suspect in the model: %s (%s); 'review' leaves such columns out, "
                 "here --exclude %s does", d->table->cols[j].name, s->col[j].evidence,
                 d->table->cols[j].name);
    }
    double auc = m->points ? m->points->auc_exact : NAN, mcf = stats_of(m->fit).mcfadden;
    if (auc > 0.95 || mcf > 0.6) {
        char who[600], a[200] = "", few[120];
        mql_screen_carriers(s, d->table, m->design, who, sizeof who);
        if (isfinite(auc))
            snprintf(a, sizeof a, "training AUC %.3f%s, ", auc,
                     few_words(m->fit, few, sizeof few));
        cli_warn("too good to be true: %sMcFadden R2 %.3f; lead scoring on what is known when a "
                 "lead arrives rarely passes AUC 0.95 or R2 0.6. It rests on %s: check when "
                 "each is filled", a, mcf, who);
    }
}

int cmd_fit(int argc, char **argv)
{
    fit_opts o = {.format = MQL_FMT_TABLE};
    cli_fit_opts_init(&o.fit);
    cli_data d = {0};
    cli_activity_run act = {0};
    mql_model *m = NULL;
    mql_fit_diag dg;
    mql_fit_diag_init(&dg);
    mql_tab *tab = NULL;
    double *w = NULL, *fw = NULL;
    mql_table *ft = NULL;
    unsigned char *fy = NULL;
    int owned = 0;
    mql_err err;
    int st = parse_args(argc, argv, &o);
    if (st) {
        st = st < 0 ? MQL_OK : st;
        goto done;
    }
    /* A count table is fitted in its compact form (a won and a lost row per cell, weighted):
     * the cost grows with the cells. Quantile bins and linear terms need one row per lead (their
     * cuts and steps come from the values), so those designs use the expanded rows. */
    if (o.leads.count && o.act.path) {
        cli_error("--activity needs one row per lead, not a count table (--count)");
        st = MQL_EUSAGE;
        goto done;
    }
    o.leads.count_compact = o.leads.count && !o.fit.design.bins && !o.fit.design.n_col_bins;
    /* The fit reads no identifier's values (it notes the column and leaves it out), unless an
     * option names columns beyond the roles, --features and --exclude (which the reader keeps
     * whole). */
    const mql_design_opts *dz = &o.fit.design;
    o.leads.ids_unused = !o.fit.weight && !o.fit.keep && !dz->n_ref && !dz->n_col_bins &&
                         !dz->n_cuts && !dz->n_fit && !dz->n_engagement &&
                         !dz->n_interactions && !o.snapshots;
    int train_st;
    for (;;) {
        if ((st = cli_leads_load(&o.leads, &d, 1)))
            goto done;
        cli_phase("read");
        if ((st = cli_activity_apply(&o.act, &o.leads, &d, NULL, &o.fit, &act)))
            goto done;
        if ((st = cli_fit_prepare(&o.fit, &d, &w)))
            goto done;
        cli_phase("screen");
        if ((st = cli_activity_fit(&act, &d, &o.fit)))
            goto done;
        if (o.snapshots) {
            if (!o.act.path) {
                cli_error("--snapshot-table needs --activity");
                st = MQL_EUSAGE;
                goto done;
            }
            if ((st = cli_activity_write_table(o.snapshots, &act, &d)))
                goto done;
        }
        /* Open leads (outcome not known yet) are left out of the fit. */
        if ((st = cli_closed_subset(&d, d.w ? d.w : w, &ft, &fy, &fw, &owned)))
            goto done;
        o.fit.glm.unit_start = d.w != NULL;
        train_st = mql_model_train(ft, fy, fw, &o.fit.design, &o.fit.glm, &m, &dg, &err);
        cli_phase("fit");
        cli_cache_note("fit", dg.fit_cache);
        int linear = 0;
        for (size_t k = 0; m && d.w && k < m->design->n_features; k++)
            linear |= m->design->features[k].enc == MQL_ENC_LINEAR;
        if (!linear)
            break;
        mql_model_free(m);
        m = NULL;
        mql_fit_diag_clear(&dg);
        mql_fit_diag_init(&dg);
        if (owned) {
            mql_table_free(ft);
            free(fy);
            free(fw);
            owned = 0;
        }
        cli_data_free(&d);
        free(w);
        w = NULL;
        o.leads.count_compact = 0;
    }
    if (m && m->fit && d.w) {
        /* degrees of freedom of the leads, as from the raw rows (not of the weighted rows) */
        double drop = m->fit->df_null - m->fit->df_residual;
        m->fit->df_null = m->fit->n_weighted - 1;
        m->fit->df_residual = m->fit->df_null - drop;
    }
    for (size_t k = 0; k < dg.n_notes; k++)
        fprintf(stderr, "mqlcal: note: %s\n", dg.notes[k]);
    if (!m) {
        cli_error("%s", err.msg);
        st = train_st;
        goto done;
    }
    if ((st = fingerprint(m, &o, &d)))
        goto done;
    /* The points table and its self-check: only for a model that may be used. */
    mql_cache_result pcache;
    if (train_st == MQL_OK &&
        (st = mql_model_add_points_cached(m, ft, fy, d.w ? fw : NULL, &o.fit.points, &pcache,
                                          &err))) {
        cli_error("points: %s", err.msg);
        goto done;
    }
    if (train_st == MQL_OK)
        cli_cache_note("points", pcache);
    cli_phase("points");
    if (train_st == MQL_OK && (st = cli_activity_annotate(&act, &d, m)))
        goto done;
    if (!(tab = coef_table(m, o.format))) {
        cli_error("out of memory");
        st = MQL_ENOMEM;
        goto done;
    }
    /* With the model on stdout, the summary moves to stderr. */
    int model_stdout = o.out && strcmp(o.out, "-") == 0;
    FILE *sf = model_stdout ? stderr : stdout;
    mql_tab *groups = mql_design_groups_tab(m->design, d.table, &o.fit.design);
    if (!groups) {
        cli_error("out of memory");
        st = MQL_ENOMEM;
        goto done;
    }
    if (o.format == MQL_FMT_TABLE) {
        print_summary(sf, m, &dg, &o, tab);
        cli_activity_print_fit(sf, &act, &d);
        cli_open_note(sf, &d, "left out of the fit (not closed yet)");
        if (m->points) {
            char few[120];
            if (o.fit.points.full_check || !ft || ft->n_rows <= MQL_SELFCHECK_FULL_ROWS)
                fputs("\npoints table (self-check passed: the exported rules score every "
                      "training lead as the model does)\n\n", sf);
            else
                fprintf(sf, "\npoints table (self-check passed: the exported rules score "
                            "every level, the leads either side of every cut and %d random "
                            "training leads as the model does; --full-check checks every "
                            "lead)\n\n", MQL_SELFCHECK_SAMPLE);
            cli_points_print(sf, m->points, MQL_FMT_TABLE, few_words(m->fit, few, sizeof few));
            if (m->points->strength < 1)
                fprintf(sf, "points scaled to the fit's strength: the best lead scores about "
                            "%.0f points above the baseline, not %g (training AUC %.4f%s%s; "
                            "--max-points or --pdo sets the scale)\n",
                        fmax(10, o.fit.points.max_points * m->points->strength),
                        o.fit.points.max_points, m->points->auc_exact,
                        few_words(m->fit, few, sizeof few),
                        stats_of(m->fit).lr_p >= 0.05
                            ? ", likelihood-ratio test not significant at 5%" : "");
        }
        fputs("\nfeature groups (fit: who the lead is; engagement: what it did; --fit and "
              "--engagement move a column)\n\n", sf);
        mql_tab_write(groups, sf, MQL_FMT_TABLE);
    }
    else if (o.format == MQL_FMT_CSV)
        mql_tab_write(tab, sf, MQL_FMT_CSV);
    else
        write_json_report(sf, m, &dg, tab, groups);
    mql_tab_free(groups);
    fit_warnings(m, &o, &d);
    for (size_t k = 0; k < dg.n_warnings; k++)
        if (train_st == MQL_OK || strcmp(dg.warnings[k], err.msg) != 0)
            cli_warn("%s", dg.warnings[k]);
    if (train_st != MQL_OK) {
        cli_error("%s", err.msg);
        st = train_st;
        goto done;
    }
    if (!model_stdout && (fflush(stdout) != 0 || ferror(stdout))) {
        cli_error("cannot write to standard output");
        st = MQL_EIO;
        goto done;
    }
    if (o.out)
        st = cli_model_save(o.out, m);
done:
    mql_tab_free(tab);
    mql_model_free(m);
    mql_fit_diag_clear(&dg);
    if (owned) {
        mql_table_free(ft);
        free(fy);
        free(fw);
    }
    free(w);
    cli_data_free(&d);
    cli_activity_run_free(&act);
    cli_fit_opts_clear(&o.fit);
    return st;
}
