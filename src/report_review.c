/* report_review.c: a computed review (review.h) as files: index.html composed with report_html.h,
 * summary.md, the model and its rules, and every table as CSV. Computes nothing new: every figure
 * comes from the result, so the page and its CSV files agree. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "mqlcal/model.h"
#include "mqlcal/rules_csv.h"
#include "mqlcal/report_html.h"
#include "mqlcal/report_review.h"

static mql_callout_kind callout_kind(mql_review_kind k)
{
    switch (k) {
    case MQL_REVIEW_WARNING:
        return MQL_CALLOUT_WARNING;
    case MQL_REVIEW_GOOD:
        return MQL_CALLOUT_GOOD;
    case MQL_REVIEW_INFO:
        break;
    }
    return MQL_CALLOUT_INFO;
}

static void pct(char *buf, size_t cap, double p)
{
    if (!isfinite(p))
        snprintf(buf, cap, "-");
    else
        snprintf(buf, cap, "%.1f%%", 100 * p);
}

/* Numbers of column name of t (as displayed; empty cells NAN). malloc'd, *n rows; NULL when t is
 * NULL, has no such column or memory runs out. */
static double *tab_col(const mql_tab *t, const char *name, size_t *n)
{
    *n = 0;
    if (!t)
        return NULL;
    size_t j = 0, m = mql_tab_cols(t);
    while (j < m && strcmp(mql_tab_name(t, j), name) != 0)
        j++;
    size_t rows = mql_tab_rows(t);
    double *v = malloc((rows ? rows : 1) * sizeof *v);
    if (!v || j == m) {
        free(v);
        return NULL;
    }
    for (size_t i = 0; i < rows; i++) {
        const char *c = mql_tab_cell(t, i, j, NULL);
        char *end;
        v[i] = c && *c ? strtod(c, &end) : NAN;
    }
    *n = rows;
    return v;
}

/* ---- the HTML report ------------------------------------------------------------------------ */

/* Rows of the threshold table shown on the page: about 15 evenly spread, plus the recommended and
 * the current threshold rows; indices into the sweep. */
static size_t pick_rows(const mql_bt_sweep *sw, size_t rec, long extra, size_t *rows,
                        size_t cap, size_t *hl)
{
    size_t n = 0, step = sw->n_rows / 14 + 1;
    for (size_t k = 0; k < sw->n_rows && n + 2 < cap; k++) {
        int want = k % step == 0 || k == rec || (extra >= 0 && k == (size_t)extra);
        if (want) {
            if (k == rec)
                *hl = n;
            rows[n++] = k;
        }
    }
    return n;
}

static int html_models(const mql_review *r, mql_html *h)
{
    int st = mql_html_section(h, "models", "Current vs new model",
                              "How the model in production and the newly fitted one rank and "
                              "convert the same leads.");
    if (!r->current)
        return st ? st : mql_html_para(h, "No current model was given (--current), so there is "
                                          "nothing to compare; the sections below describe the "
                                          "new model.");
    st = st ? st : mql_html_table(h, r->t_cmp, "Each model at its own threshold", "compare.csv",
                                  MQL_HTML_NO_ROW, NULL);
    /* Gains of both. */
    size_t n1, n2, n3, n4;
    double *cl1 = tab_col(r->t_gains_cur, "cum_leads", &n1), *cw1 = tab_col(r->t_gains_cur, "capture", &n2);
    double *cl2 = tab_col(r->t_gains, "cum_leads", &n3), *cw2 = tab_col(r->t_gains, "capture", &n4);
    double *x1 = malloc((n1 + 1) * sizeof *x1), *y1 = malloc((n1 + 1) * sizeof *y1);
    double *x2 = malloc((n3 + 1) * sizeof *x2), *y2 = malloc((n3 + 1) * sizeof *y2);
    if (!cl1 || !cw1 || !cl2 || !cw2 || !x1 || !y1 || !x2 || !y2) {
        st = st ? st : MQL_ENOMEM;
    } else if (!n1 || !n3) {   /* no won evaluation lead: nothing to capture */
        char s[320];
        snprintf(s, sizeof s, "No gains curves: they show the share of won deals captured, and "
                 "the evaluation leads hold no won deal (%s).", r->new_sum.few_msg);
        st = st ? st : mql_html_para(h, s);
    } else {
        double tot1 = cl1[n1 - 1], tot2 = cl2[n3 - 1];
        x1[0] = y1[0] = x2[0] = y2[0] = 0;
        for (size_t i = 0; i < n1; i++) {
            x1[i + 1] = cl1[i] / tot1;
            y1[i + 1] = cw1[i];
        }
        for (size_t i = 0; i < n3; i++) {
            x2[i + 1] = cl2[i] / tot2;
            y2[i + 1] = cw2[i];
        }
        mql_gains_curve cv[2] = {{"current model", x1, y1, n1 + 1},
                                 {"new model", x2, y2, n3 + 1}};
        mql_gains_chart g = {.title = "Cumulative gains: share of won deals in the top-scored "
                                      "leads",
                             .source = "gains.csv, gains_current.csv",
                             .curves = cv,
                             .n_curves = 2};
        st = st ? st : mql_html_gains_chart(h, &g);
    }
    free(cl1), free(cw1), free(cl2), free(cw2), free(x1), free(y1), free(x2), free(y2);
    /* Volume vs conversion of both models: one x array, NAN breaks between the models. */
    const mql_bt_sweep *a = r->cur_sw, *b = r->new_sw;
    size_t n = a->n_rows + 1 + b->n_rows;
    double *x = malloc(n * sizeof *x), *ya = malloc(n * sizeof *ya), *yb = malloc(n * sizeof *yb);
    if (!x || !ya || !yb) {
        st = st ? st : MQL_ENOMEM;
    } else {
        for (size_t i = 0; i < n; i++)
            x[i] = ya[i] = yb[i] = NAN;
        for (size_t i = 0; i < a->n_rows; i++) {
            x[i] = a->rows[i].mqls_per_month;
            ya[i] = a->rows[i].rated >= 30 ? a->rows[i].won_rate : NAN;
        }
        for (size_t i = 0; i < b->n_rows; i++) {
            x[a->n_rows + 1 + i] = b->rows[i].mqls_per_month;
            yb[a->n_rows + 1 + i] = b->rows[i].rated >= 30 ? b->rows[i].won_rate : NAN;
        }
        mql_series s[2] = {{.name = "current model", .y = ya}, {.name = "new model", .y = yb}};
        mql_line_chart c = {.title = "MQL-to-won against MQL volume, one point per threshold "
                                     "(thresholds with at least 30 rated MQLs)",
                            .source = "thresholds.csv, thresholds_current.csv",
                            .x = x, .n = n, .series = s, .n_series = 2,
                            .x_axis = {.label = "MQLs per month", .fmt = MQL_AXIS_INT,
                                       .from_zero = 1},
                            .y_axis = {.label = "MQL-to-won", .fmt = MQL_AXIS_PCT,
                                       .from_zero = 1}};
        st = st ? st : mql_html_line_chart(h, &c);
    }
    free(x), free(ya), free(yb);
    st = st ? st : mql_html_table(h, r->t_mig, "Leads that change MQL status (current -> new "
                                  "at each model's threshold)", "migration.csv", MQL_HTML_NO_ROW,
                                  NULL);
    st = st ? st : mql_html_table(h, r->t_rules_diff, "Rules: current vs new points",
                                  "rules_diff.csv", MQL_HTML_NO_ROW, NULL);
    return st;
}

/* What whole points and caps cost: the new model's rounding and cap cost on its training
 * leads, and how often the current model's caps bind (figures also in summary.csv). */
static int html_costs(const mql_review *r, mql_html *h)
{
    const mql_points *np = r->model->points;
    int st = 0;
    if (isfinite(np->auc_exact) && isfinite(np->auc_points))
        st = mql_html_paraf(h, "Rounding the fitted weights to whole points moves the AUC on the "
                            "training leads from %.4f to %.4f.", np->auc_exact, np->auc_points);
    if (!st && isfinite(np->auc_capped))
        st = mql_html_paraf(h, "The caps (applied after summing each group, then to the total) "
                            "change the score of %.2f%% of the training leads; their cost: AUC "
                            "%.4f to %.4f, log loss %.4f to %.4f.", 100 * np->share_capped,
                            np->auc_points, np->auc_capped, np->logloss_points,
                            np->logloss_capped);
    if (!st && r->current && r->cur_sum.has_caps)
        st = mql_html_paraf(h, "The current model's caps bind for %zu leads (fit cap), %zu "
                            "(engagement cap) and %zu (total cap); without them its AUC would be "
                            "%.4f instead of %.3f.", r->cur_sum.cap_binds[0],
                            r->cur_sum.cap_binds[1], r->cur_sum.cap_binds[2],
                            r->cur_sum.auc_uncapped, r->cur_sum.auc.auc);
    return st;
}

static int html_thresholds(const mql_review *r, mql_html *h)
{
    const mql_bt_sweep *sw = r->new_sw;
    const mql_bt_row *rr = &sw->rows[r->rec];
    int st = mql_html_section(h, "thresholds", "Threshold trade-off",
                              "A lead is an MQL when its score reaches the threshold. Lower "
                              "thresholds send more leads to sales at a lower conversion rate.");
    st = st ? st : mql_html_callout(h, r->has_rec ? MQL_CALLOUT_INFO : MQL_CALLOUT_WARNING,
                                    "Recommendation", r->rec_text);
    size_t n = sw->n_rows;
    double *x = malloc(n * sizeof *x), *v = malloc(n * sizeof *v);
    double *s1 = malloc(n * sizeof *s1), *l1 = malloc(n * sizeof *l1), *h1 = malloc(n * sizeof *h1);
    double *s2 = malloc(n * sizeof *s2), *l2 = malloc(n * sizeof *l2), *h2 = malloc(n * sizeof *h2);
    double *rc = malloc(n * sizeof *rc);
    if (!x || !v || !s1 || !l1 || !h1 || !s2 || !l2 || !h2 || !rc) {
        st = st ? st : MQL_ENOMEM;
    } else {
        for (size_t k = 0; k < n; k++) {
            const mql_bt_row *w = &sw->rows[k];
            x[k] = w->threshold;
            v[k] = w->mqls_per_month;
            s1[k] = w->sql_rate, l1[k] = w->sql_lo, h1[k] = w->sql_hi;
            s2[k] = w->won_rate, l2[k] = w->won_lo, h2[k] = w->won_hi;
            rc[k] = w->recall;
        }
        mql_series ser[4] = {{.name = "MQL-to-SQL", .y = s1, .lo = l1, .hi = h1},
                             {.name = "MQL-to-won", .y = s2, .lo = l2, .hi = h2},
                             {.name = "recall of won deals", .y = rc},
                             {.name = "MQLs per month (right axis)", .y = v, .secondary = 1}};
        char lab[64];
        snprintf(lab, sizeof lab, "recommended: %g", rr->threshold);
        mql_marker mk[2] = {{rr->threshold, lab}, {NAN, NULL}};
        size_t n_mk = r->has_rec;
        char lab2[64];
        if (!r->has_rec || (double)r->model->points->threshold != rr->threshold) {
            snprintf(lab2, sizeof lab2, "model's own: %ld", r->model->points->threshold);
            mk[n_mk++] = (mql_marker){(double)r->model->points->threshold, lab2};
        }
        mql_line_chart c = {.title = "Conversion, recall and MQL volume by threshold (new model)",
                            .source = "thresholds.csv",
                            .x = x, .n = n, .series = ser, .n_series = r->has_sql ? 4 : 3,
                            .x_axis = {.label = "threshold (points)", .fmt = MQL_AXIS_NUM},
                            .y_axis = {.label = "rate", .fmt = MQL_AXIS_PCT, .min = 0, .max = 1},
                            .y2_axis = {.label = "MQLs per month", .fmt = MQL_AXIS_INT,
                                        .from_zero = 1},
                            .markers = mk, .n_markers = n_mk,
                            .band_name = "shaded: 95% Wilson interval"};
        if (!r->has_sql) {
            ser[0] = ser[1], ser[1] = ser[2], ser[2] = ser[3];
        }
        st = st ? st : mql_html_line_chart(h, &c);
    }
    free(x), free(v), free(s1), free(l1), free(h1), free(s2), free(l2), free(h2), free(rc);
    size_t rows[64], hl = MQL_HTML_NO_ROW;
    size_t m = pick_rows(sw, r->rec, -1, rows, 64, &hl);
    mql_tab *t = mql_eval_thresholds_tab(sw, r->new_s, rows, m);
    if (!t)
        return st ? st : MQL_ENOMEM;
    st = st ? st : mql_html_table(h, t, "Selected thresholds (every threshold in the CSV)",
                                  "thresholds.csv", r->has_rec ? hl : MQL_HTML_NO_ROW,
                                  r->has_rec ? "highlighted: the recommended threshold" : NULL);
    mql_tab_free(t);
    st = st ? st : mql_html_table(h, r->t_bands, "Score bands of the new model", "bands.csv",
                                  MQL_HTML_NO_ROW, NULL);
    return st;
}

static int html_reliability(const mql_review *r, mql_html *h)
{
    int st = mql_html_section(h, "reliability", "Does a score mean its probability?",
                              "Leads grouped into ten score bands: the model's predicted "
                              "conversion against what happened. Points on the diagonal mean "
                              "the stated probabilities hold.");
    size_t n, n2, n3, n4;
    double *pred = tab_col(r->t_cal, "predicted", &n), *obs = tab_col(r->t_cal, "observed", &n2);
    double *lo = tab_col(r->t_cal, "observed_lo", &n3), *hi = tab_col(r->t_cal, "observed_hi", &n4);
    if (!pred || !obs || !lo || !hi) {
        st = st ? st : MQL_ENOMEM;
    } else {
        mql_reliability_chart c = {.title = "Reliability of the new model (score bands)",
                                   .source = "calibration.csv",
                                   .pred = pred, .obs = obs, .lo = lo, .hi = hi, .n = n,
                                   .points_name = "observed (95% Wilson interval)",
                                   .x_axis = {.label = "predicted conversion",
                                              .fmt = MQL_AXIS_PCT},
                                   .y_axis = {.label = "observed conversion",
                                              .fmt = MQL_AXIS_PCT}};
        st = st ? st : mql_html_reliability_chart(h, &c);
    }
    free(pred), free(obs), free(lo), free(hi);
    char s[400];
    if (r->new_sum.has_calib) {
        mql_eval_calib_sentence(&r->new_sum, s, sizeof s);
        st = st ? st : mql_html_para(h, s);
    }
    st = st ? st : mql_html_table(h, r->t_cal, "Reliability by score band", "calibration.csv",
                                  MQL_HTML_NO_ROW, NULL);
    st = st ? st : mql_html_table(h, r->t_metrics, "Discrimination and calibration statistics "
                                  "(new model)", "metrics.csv", MQL_HTML_NO_ROW, NULL);
    if (r->t_metrics_cur)
        st = st ? st : mql_html_table(h, r->t_metrics_cur, "The same for the current model",
                                      "metrics_current.csv", MQL_HTML_NO_ROW, NULL);
    if (r->t_psi)
        st = st ? st : mql_html_table(h, r->t_psi, "Score drift of the current model (PSI "
                                      "terms by bin)", "psi.csv", MQL_HTML_NO_ROW,
                                      MQL_EVAL_PSI_RULE);
    return st;
}

static int html_distribution(const mql_review *r, mql_html *h)
{
    int st = mql_html_section(h, "distribution", "Scores of won and lost leads",
                              "The further apart the two shapes, the better the score "
                              "separates deals from non-deals.");
    size_t n, n2, n3, n4;
    double *blo = tab_col(r->t_hist, "bin_lo", &n), *bhi = tab_col(r->t_hist, "bin_hi", &n2);
    double *ws = tab_col(r->t_hist, "won_share", &n3), *ls = tab_col(r->t_hist, "lost_share", &n4);
    double *edges = malloc((n + 1) * sizeof *edges);
    if (!blo || !bhi || !ws || !ls || !edges) {
        st = st ? st : MQL_ENOMEM;
    } else if (n == 0) {   /* every evaluation lead censored */
        char s[240];
        snprintf(s, sizeof s, "No score distribution: no evaluation lead is old enough to have "
                 "an outcome (%s).", r->new_sum.few_msg);
        st = st ? st : mql_html_para(h, s);
    } else {
        for (size_t i = 0; i < n; i++)
            edges[i] = blo[i];
        edges[n] = bhi[n - 1];
        mql_histogram_chart c = {.title = "Score distribution: won vs lost (share of each group)",
                                 .source = "histogram.csv",
                                 .edges = edges, .n_bins = n, .a = ws, .b = ls,
                                 .a_name = "won", .b_name = "lost",
                                 .x_axis = {.label = "score (points)", .fmt = MQL_AXIS_NUM},
                                 .y_axis = {.label = "share of the group", .fmt = MQL_AXIS_PCT,
                                            .from_zero = 1}};
        st = st ? st : mql_html_histogram_chart(h, &c);
    }
    free(blo), free(bhi), free(ws), free(ls), free(edges);
    return st;
}

static int html_gains(const mql_review *r, mql_html *h)
{
    int st = mql_html_section(h, "gains", "Cumulative gains",
                              "Share of all won deals found in the best-scored leads: a steep "
                              "start means sales can work fewer leads and still reach most deals.");
    size_t n, n2;
    double *cl = tab_col(r->t_gains, "cum_leads", &n), *cw = tab_col(r->t_gains, "capture", &n2);
    double *x = malloc((n + 1) * sizeof *x), *y = malloc((n + 1) * sizeof *y);
    if (!cl || !cw || !x || !y) {
        st = st ? st : MQL_ENOMEM;
    } else if (n == 0) {   /* no won evaluation lead: nothing to capture */
        char s[320];
        snprintf(s, sizeof s, "No gains curve: it shows the share of won deals captured, and the "
                 "evaluation leads hold no won deal (%s).", r->new_sum.few_msg);
        free(cl), free(cw), free(x), free(y);
        return st ? st : mql_html_para(h, s);
    } else {
        x[0] = y[0] = 0;
        for (size_t i = 0; i < n; i++) {
            x[i + 1] = cl[i] / cl[n - 1];
            y[i + 1] = cw[i];
        }
        mql_gains_curve cv = {"new model", x, y, n + 1};
        mql_gains_chart g = {.title = "Cumulative gains of the new model by score decile",
                             .source = "gains.csv", .curves = &cv, .n_curves = 1};
        st = st ? st : mql_html_gains_chart(h, &g);
    }
    free(cl), free(cw), free(x), free(y);
    st = st ? st : mql_html_table(h, r->t_gains, "Gains by score decile", "gains.csv",
                                  MQL_HTML_NO_ROW, NULL);
    return st;
}

static int html_grades(const mql_review *r, mql_html *h)
{
    int st = mql_html_section(h, "grades", "Fit x engagement grades",
                              "Leads graded A (best) to D by the fit sub-score (who they are) "
                              "and 1 (most) to 4 by the engagement sub-score (what they did), "
                              "each by quartile; each cell shows its number of leads and the "
                              "share of them won, which its colour encodes.");
    if (r->flat_group)
        st = st ? st : mql_html_callout(h, MQL_CALLOUT_INFO, "One group has no spread",
                                        "Every lead has the same fit or the same engagement "
                                        "sub-score (no rule of that group in the new model), "
                                        "so that grade cannot tell leads apart; name the "
                                        "columns with --fit / --engagement.");
    size_t n, n2;
    double *leads = tab_col(r->t_grades, "leads", &n), *rate = tab_col(r->t_grades, "rate", &n2);
    char t1[16][32], t2[16][32];
    const char *p1[16], *p2[16];
    if (!leads || !rate || n != 16) {
        st = st ? st : MQL_ENOMEM;
    } else {
        for (size_t k = 0; k < 16; k++) {
            snprintf(t1[k], sizeof t1[k], "%.0f leads", leads[k]);
            pct(t2[k], sizeof t2[k] - 4, rate[k]);
            if (isfinite(rate[k]))
                strcat(t2[k], " won");
            p1[k] = t1[k];
            p2[k] = t2[k];
        }
        static const char *const rl[] = {"A", "B", "C", "D"}, *const cl[] = {"1", "2", "3", "4"};
        /* The cells show every lead of the cell (not only MQLs): the legend says so. */
        mql_heatmap c = {.title = "Share of the cell's leads won, by fit grade and engagement "
                                  "grade",
                         .source = "grades.csv", .n_rows = 4, .n_cols = 4,
                         .row_labels = rl, .col_labels = cl, .row_title = "fit grade",
                         .col_title = "engagement grade", .legend_label = "% won",
                         .value = rate, .text1 = p1, .text2 = p2, .value_fmt = MQL_AXIS_PCT,
                         .min_span = mql_review_heat_span(r)};
        st = st ? st : mql_html_heatmap(h, &c);
    }
    free(leads), free(rate);
    st = st ? st : mql_html_table(h, r->t_grades, "Grade cells", "grades.csv", MQL_HTML_NO_ROW,
                                  NULL);
    return st;
}

/* The plan in words; when no threshold is recommended (a model that does not beat chance, a
 * window too small to judge), it says so first and reads the plan as information only. */
static void plan_sentence(const mql_review *r, char *buf, size_t cap)
{
    int o = 0;
    if (!r->has_rec)
        o = snprintf(buf, cap, "No threshold is recommended (%s): the plan below is information "
                     "only, not a threshold to adopt. ", r->no_rec_why);
    if (o < 0 || (size_t)o >= cap)
        o = 0;
    mql_dplan_sentence(r->plan, buf + o, cap - (size_t)o);
}

static int html_plan(const mql_review *r, mql_html *h)
{
    int st = mql_html_section(h, "plan", "Pipeline plan",
                              "From the revenue target back to the MQLs needed per month, with "
                              "the conversion rates taken from the evaluation leads at each "
                              "threshold unless given.");
    if (!r->plan)
        return st ? st : r->plan_msg[0]
                             ? mql_html_callout(h, MQL_CALLOUT_WARNING, "Plan not computed",
                                                r->plan_msg)
                             : mql_html_para(h, "No plan was asked for (give --revenue and "
                                                "--acv).");
    char s[1400];
    plan_sentence(r, s, sizeof s);
    /* Met in history is good only when sales can take the volume: over capacity it warns. */
    if (r->plan_over_capacity) {
        size_t o = strlen(s);
        snprintf(s + o, sizeof s - o, " It needs %.1f MQLs a month, more than the SDR capacity "
                 "of %g.", r->plan->rows[r->plan->pick.index].need, r->capacity);
    }
    st = st ? st : mql_html_callout(h, r->plan->pick.status == MQL_PICK_MET &&
                                               !r->plan_over_capacity && r->has_rec
                                           ? MQL_CALLOUT_GOOD
                                           : MQL_CALLOUT_WARNING,
                                    !r->has_rec             ? "Plan (information only)"
                                    : r->plan_over_capacity ? "Plan exceeds capacity"
                                                            : "Plan", s);
    st = st ? st : mql_html_table(h, r->t_plan, r->has_rec ? "The funnel at the plan's threshold"
                                                           : "The funnel at the plan's threshold "
                                                             "(information only: not recommended)",
                                  "plan.csv", MQL_HTML_NO_ROW, NULL);
    size_t rows[64], hl = MQL_HTML_NO_ROW, m = pick_rows(r->new_sw, r->plan->pick.index, -1,
                                                        rows, 64, &hl);
    mql_tab *t = mql_dplan_thresholds_tab(r->plan);
    /* The page shows selected rows: a copy of the same cells. */
    mql_tab *sel = NULL;
    if (t) {
        size_t nc = mql_tab_cols(t);
        const char *names[32];
        for (size_t j = 0; j < nc && j < 32; j++)
            names[j] = mql_tab_name(t, j);
        sel = mql_tab_new(nc, names);
        for (size_t i = 0; sel && i < m; i++) {
            int e = mql_tab_row(sel);
            for (size_t j = 0; j < nc && !e; j++) {
                int num;
                const char *c = mql_tab_cell(t, rows[i], j, &num);
                e = num && *c ? mql_tab_add_fmt(sel, "%s", c) : mql_tab_add_str(sel, *c ? c : NULL);
            }
            if (e) {
                mql_tab_free(sel);
                sel = NULL;
            }
        }
    }
    mql_tab_free(t);
    if (!sel)
        return st ? st : MQL_ENOMEM;
    st = st ? st : mql_html_table(h, sel, "Need against history at selected thresholds",
                                  "plan_thresholds.csv", hl,
                                  r->has_rec ? "highlighted: the plan's threshold"
                                             : "highlighted: the plan's threshold (information "
                                               "only: not recommended)");
    mql_tab_free(sel);
    st = st ? st : mql_html_benchmark(h, "Plans commonly assume MQL-to-SQL of 13-27% and "
                                         "opportunity win rates of 20-30%; the figures above "
                                         "come from your data unless given as options.");
    return st;
}

/* ---- engagement decay (activity log) ------------------------------------------------------- */

#define DECAY_AGES 27   /* 0, 7, ..., 182 days */

/* Points an event is worth at each age: the fitted per-event points times the decay weight (the
 * weight alone when the model has no per-event figure). NULL when out of memory. */
static mql_tab *decay_tab(const mql_review *r)
{
    const mql_review_decay *d = r->decay;
    const char *names[17];
    char head[16][80];
    size_t n = d->n < 16 ? d->n : 16;
    names[0] = "age_days";
    for (size_t k = 0; k < n; k++) {
        const mql_feature_decay *fd = mql_points_decay_of(r->model->points, d->feature[k]);
        snprintf(head[k], sizeof head[k], "%s_%s", d->feature[k],
                 fd && isfinite(fd->per_event) ? "points" : "weight");
        names[k + 1] = head[k];
    }
    mql_tab *t = mql_tab_new(n + 1, names);
    for (size_t a = 0; t && a < DECAY_AGES; a++) {
        int e = mql_tab_row(t) || mql_tab_add_int(t, (long long)(7 * a));
        for (size_t k = 0; k < n && !e; k++) {
            const mql_feature_decay *fd = mql_points_decay_of(r->model->points, d->feature[k]);
            double wgt = mql_decay_weight(&d->decay[k], 7.0 * (double)a);
            e = mql_tab_add_num(t, fd && isfinite(fd->per_event) ? fd->per_event * wgt : wgt,
                                "%.4g");
        }
        if (e) {
            mql_tab_free(t);
            t = NULL;
        }
    }
    return t;
}

/* The figures the decay section quotes: one row per event feature, then the held-out log losses
 * and the stale count as key/value rows (feature empty). */
static mql_tab *decay_summary_tab(const mql_review *r)
{
    const mql_review_decay *d = r->decay;
    static const char *const cols[] = {"feature", "decay", "half_life_days", "ci_low_days",
                                       "ci_high_days", "loglik_gain_vs_none", "points_per_event",
                                       "key", "value"};
    mql_tab *t = mql_tab_new(9, cols);
    int e = !t;
    for (size_t k = 0; !e && k < d->n; k++) {
        char spec[64];
        const mql_feature_decay *fd = mql_points_decay_of(r->model->points, d->feature[k]);
        int fitted = d->fit && d->fitted[k];
        const mql_decay_fit *f = fitted ? &d->fit[k] : NULL;
        e = mql_tab_row(t) || mql_tab_add_str(t, d->feature[k]) ||
            mql_tab_add_str(t, mql_decay_spec(&d->decay[k], spec, sizeof spec)) ||
            mql_tab_add_num(t, d->decay[k].kind == MQL_DECAY_HALF_LIFE ? d->decay[k].days : NAN,
                            "%.3g") ||
            mql_tab_add_num(t, f ? f->lo : NAN, "%.3g") ||
            mql_tab_add_num(t, f && isfinite(f->hi) ? f->hi : NAN, "%.3g") ||
            mql_tab_add_num(t, f ? f->loglik - f->loglik_none : NAN, "%.2f") ||
            mql_tab_add_num(t, fd ? fd->per_event : NAN, "%.3g") || mql_tab_add_str(t, NULL) ||
            mql_tab_add_str(t, NULL);
    }
    struct {
        const char *key;
        double v;
        const char *fmt;
    } kv[] = {{"heldout_logloss_no_decay", d->logloss_none, "%.5f"},
              {"heldout_logloss_best_windows", d->logloss_window, "%.5f"},
              {"heldout_logloss_fitted", d->logloss_fitted, "%.5f"},
              {"mqls_at_data_end", (double)d->n_mql, "%.0f"},
              {"stale_mqls_at_data_end", (double)d->n_stale, "%.0f"}};
    for (size_t q = 0; !e && q < 5; q++) {
        if (q < 3 && !d->fit)
            continue;
        e = mql_tab_row(t);
        for (int j = 0; j < 7 && !e; j++)
            e = mql_tab_add_str(t, NULL);
        e = e || mql_tab_add_str(t, kv[q].key) || mql_tab_add_num(t, kv[q].v, kv[q].fmt);
    }
    if (e) {
        mql_tab_free(t);
        return NULL;
    }
    return t;
}

static int html_decay(const mql_review *r, mql_html *h)
{
    const mql_review_decay *d = r->decay;
    int st = mql_html_section(h, "decay", "Engagement that fades",
                              "Each event type's points fall with the event's age; how fast was "
                              "fitted from the outcomes (or stated). Only events before the "
                              "moment a lead is looked at count. The figures are in "
                              "decay_summary.csv.");
    char s[1200];
    for (size_t k = 0; k < d->n && !st; k++) {
        char words[200];
        const mql_feature_decay *fd = mql_points_decay_of(r->model->points, d->feature[k]);
        size_t o = (size_t)snprintf(s, sizeof s, "%s: %s", d->feature[k],
                                    mql_decay_text(&d->decay[k], words, sizeof words));
        if (d->fit && d->fitted[k]) {
            const mql_decay_fit *f = &d->fit[k];
            char hi[40];
            if (isinf(f->hi))
                snprintf(hi, sizeof hi, "no decay");
            else
                snprintf(hi, sizeof hi, "%.3g days", f->hi);
            o += (size_t)snprintf(s + o, sizeof s - o, "; fitted by profile likelihood, 95%% "
                                  "interval %s%.3g to %s (no decay: log-likelihood lower by %.2f)",
                                  f->lo_open ? "<= " : "", f->lo, hi, f->loglik - f->loglik_none);
        } else if (o < sizeof s) {
            o += (size_t)snprintf(s + o, sizeof s - o, " (stated with --decay)");
        }
        if (fd && isfinite(fd->per_event) && o < sizeof s)
            snprintf(s + o, sizeof s - o, "; a fresh event is worth %+.3g points.", fd->per_event);
        st = mql_html_para(h, s);
    }
    if (!st && d->fit)
        st = mql_html_paraf(h, "Held-out log loss (later snapshots): no decay %.5f, best windows "
                            "%.5f, fitted decay %.5f.", d->logloss_none, d->logloss_window,
                            d->logloss_fitted);
    if (!st) {
        snprintf(s, sizeof s, "As of %s, %zu leads are MQLs by the new model; %zu more would be "
                 "MQLs if engagement never decayed: their points come from activity that has "
                 "faded.", d->as_of, d->n_mql, d->n_stale);
        st = mql_html_callout(h, d->n_stale ? MQL_CALLOUT_WARNING : MQL_CALLOUT_INFO,
                              "Stale engagement", s);
    }
    mql_tab *t = st ? NULL : decay_tab(r);
    if (!st && !t)
        st = MQL_ENOMEM;
    size_t n = d->n < 16 ? d->n : 16;
    double x[DECAY_AGES], y[16][DECAY_AGES];
    mql_series ser[16];
    for (size_t k = 0; !st && k < n; k++) {
        for (size_t a = 0; a < DECAY_AGES; a++) {
            x[a] = 7.0 * (double)a;
            y[k][a] = strtod(mql_tab_cell(t, a, k + 1, NULL), NULL);
        }
        ser[k] = (mql_series){d->feature[k], y[k], NULL, NULL, 0};
    }
    if (!st) {
        mql_line_chart c = {.title = "Points of one event against its age", .source = "decay.csv",
                            .x = x, .n = DECAY_AGES, .series = ser, .n_series = n,
                            .x_axis = {.label = "event age (days)", .from_zero = 1},
                            .y_axis = {.label = "points", .from_zero = 1}};
        st = mql_html_line_chart(h, &c);
    }
    mql_tab_free(t);
    return st;
}


int mql_review_write_html(const mql_review *r, FILE *f, mql_err *err)
{
    const mql_table *t = r->table;
    char sub[512];
    snprintf(sub, sizeof sub, "%s: %zu leads, outcome %s. %s.", r->file, t->n_rows,
             r->outcome_label, r->split_text);
    mql_html *h = mql_html_begin(f, "Lead-scoring review", sub);
    if (!h)
        return mql_err_set(err, MQL_ENOMEM, "out of memory");
    static const char *const ids[] = {"diagnosis", "data", "models", "points", "thresholds",
                                      "reliability", "distribution", "gains", "grades", "plan",
                                      "decay"};
    static const char *const labels[] = {"Findings", "Data", "Current vs new", "Points table",
                                         "Thresholds", "Calibration", "Score distribution",
                                         "Gains", "Grades", "Plan", "Decay"};
    /* The handle records its first failure; mql_html_end reports it. */
    mql_html_nav(h, ids, labels, r->decay ? 11 : 10);

    /* Findings */
    const mql_bt_row *rr = &r->new_sw->rows[r->rec];
    mql_html_section(h, "diagnosis", "Findings", "What the data says about the scoring model, "
                     "in plain terms; the evidence follows in the sections below.");
    /* What must be read before any figure: leakage, a model too good or no better than chance. */
    for (size_t q = 0; q < r->n_findings; q++)
        if (r->findings[q].lead)
            mql_html_callout(h, callout_kind(r->findings[q].kind), r->findings[q].title,
                             r->findings[q].text);
    char v[6][64], n[6][160];
    mql_kpi k[6];
    size_t nk = 0;
    snprintf(v[nk], sizeof v[nk], "%g", rr->threshold);
    if (!r->has_rec)
        snprintf(v[nk], sizeof v[nk], "none");
    if (!r->has_rec)
        snprintf(n[nk], sizeof n[nk], "%s", r->no_rec_why);
    else if (isfinite(rr->mqls_per_month))
        snprintf(n[nk], sizeof n[nk], "%.1f MQLs/month", rr->mqls_per_month);
    else
        snprintf(n[nk], sizeof n[nk], "%zu MQLs (no --date: no monthly volume)", rr->mqls);
    k[nk] = (mql_kpi){"recommended threshold", v[nk], n[nk], 0}, nk++;
    if (!r->has_rec) {
        /* no figures "at" a threshold nobody recommends */
    } else if (isfinite(rr->sql_rate)) {
        pct(v[nk], sizeof v[nk], rr->sql_rate);
        snprintf(n[nk], sizeof n[nk], "MQL-to-won %.1f%%", 100 * rr->won_rate);
        k[nk] = (mql_kpi){"MQL-to-SQL at it", v[nk], n[nk], 0}, nk++;
    } else {
        pct(v[nk], sizeof v[nk], rr->won_rate);
        snprintf(n[nk], sizeof n[nk], "recall %.1f%%", 100 * rr->recall);
        k[nk] = (mql_kpi){"MQL-to-won at it", v[nk], n[nk], 0}, nk++;
    }
    if (r->new_sum.has_auc)
        snprintf(v[nk], sizeof v[nk], "%.3f", r->new_sum.auc.auc);
    else
        snprintf(v[nk], sizeof v[nk], "n/a");
    /* few_msg is "n/a (too few: ...)": the value says n/a, the note the reason. */
    snprintf(n[nk], sizeof n[nk], "%s%s%s", r->role ? "on the evaluation leads" : "in-sample",
             !r->new_sum.has_auc ? " " : r->new_sum.few ? "; " : "",
             !r->new_sum.has_auc ? r->new_sum.few_msg + 4
             : r->new_sum.few    ? r->new_sum.few_note
                                 : "");
    k[nk] = (mql_kpi){"AUC, new model", v[nk], n[nk], 0}, nk++;
    if (r->current) {
        if (r->cur_sum.has_auc)
            snprintf(v[nk], sizeof v[nk], "%.3f", r->cur_sum.auc.auc);
        else
            snprintf(v[nk], sizeof v[nk], "n/a");
        snprintf(n[nk], sizeof n[nk], "threshold %ld%s%s", r->current->points->threshold,
                 r->cur_sum.has_auc && r->cur_sum.few ? "; " : "",
                 r->cur_sum.has_auc && r->cur_sum.few ? r->cur_sum.few_note : "");
        k[nk] = (mql_kpi){"AUC, current model", v[nk], n[nk], 0}, nk++;
    }
    if (r->plan) {
        const mql_dplan_row *pr = &r->plan->rows[r->plan->pick.index];
        snprintf(v[nk], sizeof v[nk], "%.1f", pr->need);
        snprintf(n[nk], sizeof n[nk], "at threshold %g (history %.1f)%s", pr->threshold,
                 pr->mqls_per_month, r->has_rec ? "" : "; information, not recommended");
        k[nk] = (mql_kpi){"MQLs/month the plan needs", v[nk], n[nk], 0}, nk++;
    }
    if (r->has_sql)
        k[nk] = (mql_kpi){"MQL-to-SQL in practice", "13-27%", "commonly quoted band", 1}, nk++;
    mql_html_kpis(h, k, nk);
    mql_html_callout(h, r->has_rec ? MQL_CALLOUT_INFO : MQL_CALLOUT_WARNING, "Recommendation",
                     r->rec_text);
    /* Warnings first, then information, then what is fine. */
    static const mql_review_kind order[] = {MQL_REVIEW_WARNING, MQL_REVIEW_INFO, MQL_REVIEW_GOOD};
    for (size_t o = 0; o < 3; o++)
        for (size_t q = 0; q < r->n_findings; q++)
            if (r->findings[q].kind == order[o] && !r->findings[q].lead)
                mql_html_callout(h, callout_kind(r->findings[q].kind), r->findings[q].title,
                                 r->findings[q].text);
    /* The benchmarks from practice, each only when the report reads a figure against it. */
    if (r->has_sql || r->has_psi)
        mql_html_benchmark(h, r->has_sql && r->has_psi
                                  ? "MQL-to-SQL of 13-27% is the band commonly quoted in B2B "
                                    "practice; PSI below 0.1 is read as stable and above 0.25 as "
                                    "a major shift. These are rules of thumb, not properties of "
                                    "your data."
                              : r->has_sql
                                  ? "MQL-to-SQL of 13-27% is the band commonly quoted in B2B "
                                    "practice: a rule of thumb, not a property of your data."
                                  : "PSI below 0.1 is read as stable and above 0.25 as a major "
                                    "shift: a rule of thumb, not a property of your data.");

    /* Data */
    mql_html_section(h, "data", "The data", NULL);
    const mql_bt_totals *tot = &r->new_sw->totals;
    if (tot->n_rated)
        mql_html_paraf(h, "%zu leads in %s (%zu columns); %zu won on the evaluation leads, a "
                       "base rate of %.1f%%. %s.", t->n_rows, r->file, t->n_cols, tot->won,
                       100 * tot->base_won_rate, r->split_text);
    else
        mql_html_paraf(h, "%zu leads in %s (%zu columns); no evaluation lead is old enough to "
                       "have an outcome, so there is no base rate. %s.", t->n_rows, r->file,
                       t->n_cols, r->split_text);
    for (size_t q = 0; q < r->n_data_notes; q++)
        mql_html_callout(h, callout_kind(r->data_notes[q].kind), r->data_notes[q].title,
                         r->data_notes[q].text);
    if (r->columns)
        mql_html_table(h, r->columns, "Columns of the export", "columns.csv", MQL_HTML_NO_ROW,
                       NULL);

    int st = html_models(r, h);
    st = st ? st : mql_html_section(h, "points", "The new points table",
                                    "The rules to enter in the marketing-automation tool. Each "
                                    "lead scores the points of every rule it matches.");
    if (!st) {
        char s[768];
        const mql_points *np = r->model->points;
        snprintf(s, sizeof s, "MQL threshold of the new model: %ld points%s%s%s; fitted on %zu "
                 "leads%s.", np->threshold, np->threshold_rule ? " (" : "",
                 np->threshold_rule ? np->threshold_rule : "", np->threshold_rule ? ")" : "",
                 r->n_train, r->model->l2 > 0 ? " with a ridge penalty"
                 : r->model->fit && r->model->fit->method == MQL_GLM_METHOD_FIRTH
                     ? " by Firth's penalized likelihood with the FLIC intercept"
                     : "");
        st = mql_html_para(h, s);
    }
    st = st ? st : mql_html_table(h, r->t_rules, "Points rules", "rules.csv", MQL_HTML_NO_ROW,
                                  NULL);
    st = st ? st : mql_html_table(h, r->t_groups, "Each feature's group (fit: who the lead is; "
                                  "engagement: what it did) and why", "groups.csv",
                                  MQL_HTML_NO_ROW, NULL);
    st = st ? st : mql_html_para(h, "The group follows the whole words of a column's name and "
                                 "the nature of its values; --fit and --engagement move a "
                                 "column.");
    st = st ? st : html_costs(r, h);
    st = st ? st : html_thresholds(r, h);
    st = st ? st : html_reliability(r, h);
    st = st ? st : html_distribution(r, h);
    st = st ? st : html_gains(r, h);
    st = st ? st : html_grades(r, h);
    st = st ? st : html_plan(r, h);
    if (r->decay)
        st = st ? st : html_decay(r, h);
    char footer[256];
    snprintf(footer, sizeof footer, "mqlcal %s. Every figure on this page is in a CSV file "
             "beside it; key figures quoted in the text are in summary.csv.", MQL_VERSION);
    /* A failure of the document itself is reported by mql_html_end; one of ours (memory for a
     * chart's arrays) after it. Either way the caller discards the unfinished output. */
    int end = mql_html_end(h, st ? NULL : footer, err);
    if (end)
        return end;
    if (st)
        return mql_err_set(err, st, "%s", st == MQL_ENOMEM ? "out of memory"
                                                          : "the report could not be composed");
    return MQL_OK;
}

int mql_review_write_summary_md(const mql_review *r, FILE *f, mql_err *err)
{
    fprintf(f, "# Lead-scoring review: %s\n\n", r->file);
    fprintf(f, "%s.\n\n", r->split_text);
    size_t n_lead = 0;
    for (size_t k = 0; k < r->n_findings; k++)
        n_lead += r->findings[k].lead != 0;
    if (n_lead) {
        fprintf(f, "## Read first\n\n");
        for (size_t k = 0; k < r->n_findings; k++)
            if (r->findings[k].lead)
                fprintf(f, "- **%s.** %s\n", r->findings[k].title, r->findings[k].text);
        fputc('\n', f);
    }
    fprintf(f, "## Recommendation\n\n%s\n\n", r->rec_text);
    const mql_points *np = r->model->points;
    if (np->threshold_rule)
        fprintf(f, "The new model's own threshold is %ld: %s.\n\n", np->threshold,
                np->threshold_rule);
    fprintf(f, "## Findings\n\n");
    for (size_t k = 0; k < r->n_findings; k++)
        if (!r->findings[k].lead)
            fprintf(f, "- **%s.** %s\n", r->findings[k].title, r->findings[k].text);
    fprintf(f, "\n## Key figures\n\n");
    int bad = mql_tab_write(r->summary, f, MQL_FMT_MD) != 0;
    if (r->t_cmp) {
        fprintf(f, "\n## Current vs new model\n\n");
        bad |= mql_tab_write(r->t_cmp, f, MQL_FMT_MD) != 0;
    }
    if (r->t_plan) {
        char s[1400];
        plan_sentence(r, s, sizeof s);
        fprintf(f, "\n## Plan%s\n\n%s\n\n", r->has_rec ? "" : " (information only)", s);
        bad |= mql_tab_write(r->t_plan, f, MQL_FMT_MD) != 0;
    } else if (r->plan_msg[0]) {
        fprintf(f, "\n## Plan\n\n%s\n", r->plan_msg);
    }
    fprintf(f, "\nEvery figure of index.html is in the CSV files of this directory "
               "(summary.csv holds the figures quoted in the text).\n");
    bad |= ferror(f) != 0;
    return bad ? mql_err_set(err, MQL_EIO, "write error") : MQL_OK;
}

/* ---- the directory -------------------------------------------------------------------------- */

/* dir/name into path; MQL_EIO when it does not fit. */
static int join_path(char *path, size_t cap, const char *dir, const char *name, mql_err *err)
{
    if ((size_t)snprintf(path, cap, "%s/%s", dir, name) >= cap)
        return mql_err_set(err, MQL_EIO, "%s/%s: path too long", dir, name);
    return MQL_OK;
}

static FILE *open_out(const char *path, mql_err *err)
{
    FILE *f = fopen(path, "wb");
    if (!f)
        mql_err_set(err, MQL_EIO, "%s: cannot create: %s", path, strerror(errno));
    return f;
}

/* Closes f; a write error before (bad) or at closing is MQL_EIO naming path. */
static int close_out(FILE *f, const char *path, int bad, mql_err *err)
{
    bad |= ferror(f) != 0;
    bad |= fclose(f) != 0;
    return bad ? mql_err_set(err, MQL_EIO, "%s: write error", path) : MQL_OK;
}

int mql_review_write_dir(const mql_review *r, const char *dir, mql_err *err)
{
    struct {
        const char *name;
        const mql_tab *t;
    } files[] = {
        {"summary.csv", r->summary},     {"columns.csv", r->columns},
        {"thresholds.csv", r->t_thr},    {"thresholds_current.csv", r->t_thr_cur},
        {"calibration.csv", r->t_cal},   {"calibration_current.csv", r->t_cal_cur},
        {"bands.csv", r->t_bands},       {"gains.csv", r->t_gains},
        {"gains_current.csv", r->t_gains_cur}, {"histogram.csv", r->t_hist},
        {"grades.csv", r->t_grades},     {"psi.csv", r->t_psi},
        {"compare.csv", r->t_cmp},       {"migration.csv", r->t_mig},
        {"rules_diff.csv", r->t_rules_diff}, {"metrics.csv", r->t_metrics},
        {"metrics_current.csv", r->t_metrics_cur}, {"plan.csv", r->t_plan},
        {"plan_thresholds.csv", r->t_plan_thr}, {"groups.csv", r->t_groups},
        {"screening.csv", r->t_screen},
    };
    char path[4096];
    FILE *f;
    int st;
    for (size_t k = 0; k < sizeof files / sizeof files[0]; k++) {
        if (!files[k].t)
            continue;
        if ((st = join_path(path, sizeof path, dir, files[k].name, err)))
            return st;
        if (!(f = open_out(path, err)))
            return MQL_EIO;
        if ((st = close_out(f, path, mql_tab_write(files[k].t, f, MQL_FMT_CSV) != 0, err)))
            return st;
    }
    for (int q = 0; r->decay && q < 2; q++) {
        mql_tab *dt = q ? decay_summary_tab(r) : decay_tab(r);
        if (!dt)
            return mql_err_set(err, MQL_ENOMEM, "out of memory");
        if ((st = join_path(path, sizeof path, dir, q ? "decay_summary.csv" : "decay.csv", err))) {
            mql_tab_free(dt);
            return st;
        }
        if (!(f = open_out(path, err))) {
            mql_tab_free(dt);
            return MQL_EIO;
        }
        st = close_out(f, path, mql_tab_write(dt, f, MQL_FMT_CSV) != 0, err);
        mql_tab_free(dt);
        if (st)
            return st;
    }
    if ((st = join_path(path, sizeof path, dir, "model.json", err)))
        return st;
    if (!(f = open_out(path, err)))
        return MQL_EIO;
    mql_err werr;
    if ((st = close_out(f, path, mql_model_write(r->model, f, &werr) != MQL_OK, err)))
        return st;
    if ((st = join_path(path, sizeof path, dir, "rules.csv", err)))
        return st;
    if (!(f = open_out(path, err)))
        return MQL_EIO;
    if ((st = close_out(f, path, mql_points_write_csv(r->model->points, f) != 0, err)))
        return st;
    if ((st = join_path(path, sizeof path, dir, MQL_REVIEW_MARKER, err)))
        return st;
    if (!(f = open_out(path, err)))
        return MQL_EIO;
    fprintf(f, "mqlcal %s review of %s\n", MQL_VERSION, r->file);
    if ((st = close_out(f, path, 0, err)))
        return st;
    if ((st = join_path(path, sizeof path, dir, "summary.md", err)))
        return st;
    if (!(f = open_out(path, err)))
        return MQL_EIO;
    if ((st = close_out(f, path, mql_review_write_summary_md(r, f, err) != MQL_OK, err)))
        return st;
    if ((st = join_path(path, sizeof path, dir, "index.html", err)))
        return st;
    if (!(f = open_out(path, err)))
        return MQL_EIO;
    if ((st = mql_review_write_html(r, f, err))) {
        fclose(f);
        return mql_err_prefix(err, st, "%s", path);
    }
    return close_out(f, path, 0, err);
}
