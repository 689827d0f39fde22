/* activity.c (front end): activity-log options and the step that turns a lead file into
 * time-honest snapshot rows with decayed event features (library: activity.c, activity_fit.c). */
#include "activity.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mqlcal/csv.h"
#include "mqlcal/points.h"
#include "mqlcal/score.h"
#include "mqlcal/table_ops.h"

const char *const cli_activity_usage =
    "activity log options (engagement from events, time-honest, with decay):\n"
    "  --activity FILE      one row per event: lead key, event type, timestamp[, count];\n"
    "                       needs --key COL (the lead id column of the leads file)\n"
    "  --event-key COL      the key column's name in FILE when it differs from --key\n"
    "  --event-type COL     event type column (default: event_type, activity_type, type,\n"
    "                       event or activity)\n"
    "  --event-time COL     timestamp column (default: timestamp, occurred_at, event_time,\n"
    "                       time, date, created_at, or the only date column)\n"
    "  --event-count COL    events a row stands for (default: 'count' when present, else 1)\n"
    "  --as-of-days D       look at each lead D days after it was created: only events\n"
    "                       before that moment count\n"
    "  --snapshot-every E --horizon-days H\n"
    "                       a panel: every E days from creation while the lead is open, the\n"
    "                       outcome being conversion within H days (needs the conversion\n"
    "                       day: a date outcome column or --won-date COL); rows whose\n"
    "                       window is not over at the data's end are censored\n"
    "  --won-date COL       the day each won lead converted\n"
    "  --decay SPEC         none (default), window:N (events count N days), half-life:D, or\n"
    "                       fit (profile likelihood per event type, with a 95% interval);\n"
    "                       per type: TYPE=SPEC,TYPE=SPEC (others: none)\n";

int cli_activity_opt(cli_activity *a, int argc, char **argv, int *i)
{
    struct {
        const char *name;
        const char **slot;
    } opts[] = {
        {"--activity", &a->path},          {"--event-key", &a->event_key},
        {"--event-type", &a->event_type},  {"--event-time", &a->event_time},
        {"--event-count", &a->event_count}, {"--as-of-days", &a->as_of_days},
        {"--as-of", &a->as_of},            {"--snapshot-every", &a->every},
        {"--horizon-days", &a->horizon},   {"--decay", &a->decay},
        {"--won-date", &a->won_date},
    };
    for (size_t k = 0; k < sizeof opts / sizeof opts[0]; k++) {
        int r = cli_opt(argc, argv, i, opts[k].name, opts[k].slot);
        if (r)
            return r;
    }
    return 0;
}

void cli_activity_run_free(cli_activity_run *r)
{
    if (!r)
        return;
    mql_activity_free(r->log);
    mql_activity_data_free(r->data);
    free(r->won_day);
    free(r->fit_mask);
    free(r->lead_y);
    mql_decay_report_clear(&r->report);
    memset(r, 0, sizeof *r);
}

/* A whole number of days in [lo, hi] from an option. */
static int days_opt(const char *opt, const char *v, double lo, double hi, double *out)
{
    if (mql_parse_double(v, out) || *out < lo || *out > hi) {
        cli_error("%s: expected days from %g to %g, got '%s'", opt, lo, hi, v);
        return MQL_EUSAGE;
    }
    return MQL_OK;
}

/* --decay: a default spec and TYPE=SPEC overrides. fit_any is set when 'fit' appears. */
static int decay_parse(const char *text, const mql_activity *log, mql_decay *dec,
                       unsigned char *fit, int *fit_any)
{
    mql_err err;
    size_t nt = log->n_types;
    for (size_t k = 0; k < nt; k++) {
        dec[k] = (mql_decay){MQL_DECAY_NONE, 0};
        fit[k] = 0;
    }
    *fit_any = 0;
    if (!text)
        return MQL_OK;
    char *copy = mql_strdup(text), *save = NULL;
    if (!copy) {
        cli_error("out of memory");
        return MQL_ENOMEM;
    }
    int st = MQL_OK;
    for (char *part = strtok_r(copy, ",", &save); part && !st;
         part = strtok_r(NULL, ",", &save)) {
        char *eq = strchr(part, '=');
        const char *spec = eq ? eq + 1 : part;
        long k0 = 0, k1 = (long)nt;
        if (eq) {
            *eq = '\0';
            char *name = mql_trim_dup(part);
            long k = name ? mql_activity_type(log, name) : -1;
            if (k < 0) {
                cli_error("--decay: no event type '%s' in %s", name ? name : part, log->source);
                free(name);
                st = MQL_EUSAGE;
                break;
            }
            free(name);
            k0 = k;
            k1 = k + 1;
        }
        char *sp = mql_trim_dup(spec);
        if (!sp) {
            st = MQL_ENOMEM;
            break;
        }
        int is_fit = mql_strcasecmp(sp, "fit") == 0;
        mql_decay d = {MQL_DECAY_NONE, 0};
        if (!is_fit && mql_decay_parse(sp, &d, &err)) {
            cli_error("--decay: %s", err.msg);
            st = MQL_EUSAGE;
        }
        free(sp);
        for (long k = k0; k < k1 && !st; k++) {
            dec[k] = d;
            fit[k] = (unsigned char)is_fit;
            *fit_any |= is_fit;
        }
    }
    free(copy);
    return st;
}

/* Hands the snapshot table to d: its rows replace the leads. */
static int adopt(cli_activity_run *run, cli_data *d)
{
    mql_activity_data *ad = run->data;
    size_t n = ad->table->n_rows, nc = ad->table->n_cols;
    unsigned char *sql = NULL, *feature = calloc(nc ? nc : 1, 1);
    if (!feature || (d->sql && !(sql = malloc(n ? n : 1)))) {
        free(feature);
        cli_error("out of memory");
        return MQL_ENOMEM;
    }
    memcpy(feature, d->feature, d->table->n_cols);
    for (size_t j = ad->first_col; j < nc; j++)
        feature[j] = 1;
    for (size_t r = 0; d->sql && r < n; r++)
        sql[r] = d->sql[ad->snaps->lead[ad->row_snap[r]]];
    unsigned char *open = NULL;       /* open outcomes (--open) follow their lead's rows */
    if (d->open && !(open = malloc(n ? n : 1))) {
        free(feature);
        free(sql);
        cli_error("out of memory");
        return MQL_ENOMEM;
    }
    d->n_open = 0;
    for (size_t r = 0; open && r < n; r++)
        d->n_open += open[r] = d->open[ad->snaps->lead[ad->row_snap[r]]];
    free(d->open);
    d->open = open;
    mql_table_free(d->table);
    free(d->y);
    free(d->sql);
    free(d->feature);
    d->table = ad->table;
    d->y = ad->y;
    d->sql = sql;
    d->feature = feature;
    ad->table = NULL;
    ad->y = NULL;
    d->n_pos = d->n_sql = 0;
    for (size_t r = 0; r < n; r++) {
        d->n_pos += d->y[r] != 0;
        d->n_sql += sql && sql[r];
    }
    return MQL_OK;
}

int cli_activity_apply(const cli_activity *a, const cli_leads *l, cli_data *d,
                       const struct mql_points *model, cli_fit_opts *fo, cli_activity_run *run)
{
    memset(run, 0, sizeof *run);
    mql_err err;
    int st;
    if (!a->path)
        return MQL_OK;
    const mql_table *t = d->table;
    size_t n = t->n_rows;
    mql_activity_spec spec = {.path = a->path, .key = l->key, .event_key = a->event_key,
                              .type_col = a->event_type, .time_col = a->event_time,
                              .count_col = a->event_count};
    if ((st = mql_activity_load(&spec, t, d->date_col, &run->log, &err))) {
        cli_error("%s", err.msg);
        return st;
    }
    const mql_activity *log = run->log;

    /* Snapshot mode. */
    mql_snap_spec ss = {.end_day = NAN};
    int n_modes = (a->as_of_days != NULL) + (a->every != NULL) + (a->as_of != NULL);
    if (n_modes != 1) {
        cli_error("--activity needs one way to look at the leads: --as-of-days D, "
                  "--snapshot-every E --horizon-days H, or --as-of DATE%s",
                  n_modes > 1 ? " (not several)" : "");
        return MQL_EUSAGE;
    }
    if (a->as_of) {
        int has_time;
        if (mql_date_parse(a->as_of, strlen(a->as_of), &ss.as_of, &has_time)) {
            cli_error("--as-of: expected a date YYYY-MM-DD[ HH:MM:SS], got '%s'", a->as_of);
            return MQL_EUSAGE;
        }
        ss.mode = MQL_SNAP_AS_OF_DATE;
        snprintf(run->mode_text, sizeof run->mode_text, "as of %s", a->as_of);
    } else if (d->date_col < 0) {
        cli_error("--as-of-days and --snapshot-every count from the lead created date: give "
                  "--date COL");
        return MQL_EUSAGE;
    }
    if (a->as_of_days) {
        if ((st = days_opt("--as-of-days", a->as_of_days, 0, 3650, &ss.as_of_days)))
            return st;
        ss.mode = MQL_SNAP_AS_OF_DAYS;
        snprintf(run->mode_text, sizeof run->mode_text, "as of %g days after creation",
                 ss.as_of_days);
    }
    if (a->every) {
        if (!a->horizon) {
            cli_error("--snapshot-every needs --horizon-days H (conversion within H days of "
                      "each snapshot is the outcome)");
            return MQL_EUSAGE;
        }
        if ((st = days_opt("--snapshot-every", a->every, 1, 3650, &ss.every)))
            return st;
        ss.mode = MQL_SNAP_PANEL;
    }
    if (a->horizon && (st = days_opt("--horizon-days", a->horizon, 1, 3650, &ss.horizon)))
        return st;
    if (a->every)
        snprintf(run->mode_text, sizeof run->mode_text,
                 "every %g days while open, outcome: converted within %g days", ss.every,
                 ss.horizon);

    /* The conversion day: --won-date, or the outcome when it is a date column. */
    long wc = -1;
    if (a->won_date && (st = mql_table_require(t, a->won_date, &wc, &err))) {
        cli_error("--won-date: %s", err.msg);
        return st;
    }
    if (wc < 0 && d->outcome_col >= 0 && t->cols[d->outcome_col].type == MQL_COL_DATE)
        wc = d->outcome_col;
    if (wc >= 0) {
        if (t->cols[wc].type != MQL_COL_DATE) {
            cli_error("--won-date: column '%s' is not a date", t->cols[wc].name);
            return MQL_EUSAGE;
        }
        if (!(run->won_day = malloc((n ? n : 1) * sizeof *run->won_day))) {
            cli_error("out of memory");
            return MQL_ENOMEM;
        }
        for (size_t i = 0; i < n; i++)
            run->won_day[i] = d->y && d->y[i] ? t->cols[wc].num[i] : NAN;
    }
    /* The data's end: the latest created date or event. */
    if (d->date_col >= 0) {
        double end = log->last_day;
        const double *cd = t->cols[d->date_col].num;
        for (size_t i = 0; i < n; i++)
            if (!isnan(cd[i]) && (isnan(end) || cd[i] > end))
                end = cd[i];
        ss.end_day = end;
    }

    /* Decays: the model's, or --decay. */
    size_t nt = log->n_types;
    mql_decay *dec = calloc(nt ? nt : 1, sizeof *dec);
    unsigned char *fit = calloc(nt ? nt : 1, 1);
    int fit_any = 0;
    if (!dec || !fit) {
        free(dec);
        free(fit);
        cli_error("out of memory");
        return MQL_ENOMEM;
    }
    (void)model;
    if ((st = decay_parse(a->decay, log, dec, fit, &fit_any))) {
        free(dec);
        free(fit);
        return st;
    }
    if (fit_any && !fo) {
        cli_error("--decay fit needs a command that fits a model (fit, review)");
        free(dec);
        free(fit);
        return MQL_EUSAGE;
    }
    run->setup = (mql_activity_setup){t, d->date_col, d->y, run->won_day, log, ss};
    st = mql_activity_data_build(&run->setup, dec, &run->data, &err);
    if (st) {
        cli_error("%s", err.msg);
        free(dec);
        free(fit);
        return st;
    }
    const mql_snapshots *sn = run->data->snaps;
    fprintf(stderr, "mqlcal: activity: %zu events of %zu types on %zu leads (%s); %zu snapshot "
            "rows %s", log->n_events, nt, n, log->source, sn->n, run->mode_text);
    if (sn->n_censored)
        fprintf(stderr, "; %zu censored (their outcome window is not over): counted, not "
                "fitted or rated", sn->n_censored);
    fputc('\n', stderr);
    if (log->n_unknown_key)
        cli_warn("%s: %zu events for keys not in %s (first: '%s' on line %zu): left out",
                 log->source, log->n_unknown_key, t->source, log->unknown_example,
                 log->unknown_line);
    if (log->n_no_key + log->n_no_time + log->n_no_type)
        cli_warn("%s: %zu events without a key, %zu without a time, %zu without a type: left "
                 "out", log->source, log->n_no_key, log->n_no_time, log->n_no_type);
    if (log->n_before_created)
        cli_warn("%s: %zu events happened before their lead was created (kept: activity "
                 "attributed to the lead later)", log->source, log->n_before_created);
    if (sn->n_converted_before)
        cli_warn("%zu leads had converted before their snapshot moment: left out (no longer "
                 "open to be scored)", sn->n_converted_before);
    if (sn->n_no_date)
        cli_warn("%zu leads without a created date: left out", sn->n_no_date);

    /* Event columns are engagement features. */
    if (fo)
        for (size_t k = 0; k < nt; k++) {
            const char *name = run->data->table->cols[run->data->first_col + k].name;
            if ((st = mql_design_opts_parse_group(&fo->design, MQL_GROUP_ENGAGEMENT, name,
                                                  &err))) {
                cli_error("%s", err.msg);
                free(dec);
                free(fit);
                return st;
            }
        }
    /* The leads table and outcome go with adopt: keep the outcome per lead for later counts, and
     * leave no pointer to what is freed. */
    if (d->y && !(run->lead_y = malloc(n ? n : 1))) {
        free(dec);
        free(fit);
        cli_error("out of memory");
        return MQL_ENOMEM;
    }
    if (d->y)
        memcpy(run->lead_y, d->y, n);
    run->setup.leads = NULL;
    run->setup.y = run->lead_y;
    if ((st = adopt(run, d))) {
        free(dec);
        free(fit);
        return st;
    }
    if (fit_any) {
        run->fit_mask = fit;
        fit = NULL;
    }
    free(dec);
    free(fit);
    return MQL_OK;
}

int cli_activity_fit(cli_activity_run *run, cli_data *d, cli_fit_opts *fo)
{
    if (!run->fit_mask)
        return MQL_OK;
    mql_err err;
    mql_activity_data *ad = run->data;
    ad->table = d->table;    /* borrowed back: d owns them */
    ad->y = d->y;
    int st = mql_activity_fit_decay(ad, &run->setup, run->fit_mask, &fo->design, &fo->glm,
                                    &run->report, &err);
    ad->table = NULL;
    ad->y = NULL;
    if (st) {
        cli_error("%s", err.msg);
        return st;
    }
    run->fitted = 1;
    return MQL_OK;
}

void cli_activity_print_fit(FILE *f, const cli_activity_run *run, const cli_data *d)
{
    if (!run->fitted)
        return;
    const mql_decay_report *rep = &run->report;
    const mql_activity_data *ad = run->data;
    fprintf(f, "\ndecay of engagement, fitted by profile likelihood (%zu refits of the model; "
            "95%% intervals by the likelihood-ratio test)\n", rep->n_fits);
    for (size_t k = 0; k < rep->n_types; k++) {
        const mql_decay_fit *df = &rep->fits[k];
        const char *name = d->table->cols[ad->first_col + k].name;
        char text[200], lo[32], hi[32];
        if (!run->fit_mask[k]) {
            fprintf(f, "  %-20s stated: %s\n", name, mql_decay_text(&df->best, text, sizeof text));
            continue;
        }
        snprintf(lo, sizeof lo, df->lo_open ? "<= %.3g" : "%.3g", df->lo);
        if (isinf(df->hi))
            snprintf(hi, sizeof hi, "no decay");
        else
            snprintf(hi, sizeof hi, df->hi_open ? ">= %.3g" : "%.3g", df->hi);
        if (df->best.kind == MQL_DECAY_NONE)
            fprintf(f, "  %-20s no decay fits best (half-life 95%% interval %s days to %s)\n",
                    name, lo, hi);
        else
            fprintf(f, "  %-20s half-life %.3g days (95%% interval %s to %s days): an event loses "
                    "%.1f%% of its weight a month\n", name, df->best.days, lo, hi,
                    100 * mql_decay_loss_per(&df->best, 30.4375));
        fprintf(f, "  %-20s log-likelihood %.3f; no decay %.3f (LR %.2f); best window %.3g "
                "days %.3f\n", "", df->loglik, df->loglik_none, 2 * (df->loglik - df->loglik_none),
                df->best_window.days, df->loglik_window);
    }
    fprintf(f, "held-out log loss (earliest %zu snapshots fit, latest %zu test): no decay %.5f, "
            "best windows %.5f, fitted %.5f\n", rep->n_train, rep->n_test, rep->logloss_none,
            rep->logloss_window, rep->logloss_fitted);
}

int cli_activity_annotate(const cli_activity_run *run, const cli_data *d, mql_model *m)
{
    if (!run->data || !m->points)
        return MQL_OK;
    mql_err err;
    const mql_activity_data *ad = run->data;
    for (size_t k = 0; k < ad->n_types; k++) {
        const char *name = d->table->cols[ad->first_col + k].name;
        double per_event = NAN;
        long fi = m->design ? mql_design_find(m->design, name) : -1;
        if (fi >= 0 && m->fit && m->points->has_map && m->points->map_b > 0) {
            const mql_feature *f = &m->design->features[fi];
            if (f->enc == MQL_ENC_LINEAR && !isnan(m->fit->beta[f->term0]))
                per_event = m->fit->beta[f->term0] / m->points->map_b;
        }
        int st = mql_points_set_decay(m->points, name, &ad->decay[k], per_event, &err);
        if (st) {
            cli_error("%s", err.msg);
            return st;
        }
    }
    return MQL_OK;
}

int cli_activity_write_table(const char *path, const cli_activity_run *run, const cli_data *d)
{
    if (!run->data)
        return MQL_OK;
    cli_out o;
    int st = cli_out_open(&o, path);
    if (st)
        return st;
    const mql_table *t = d->table;
    char cell[512], q[1100];
    int bad = 0;
    bad |= fputs("snapshot_at,snapshot_y", o.f) < 0;
    for (size_t j = 0; j < t->n_cols; j++) {
        size_t n = mql_csv_quote(q, t->cols[j].name, strlen(t->cols[j].name), ',');
        bad |= putc(',', o.f) == EOF || fwrite(q, 1, n, o.f) != n;
    }
    bad |= putc('\n', o.f) == EOF;
    const mql_activity_data *ad = run->data;
    for (size_t r = 0; r < t->n_rows && !bad; r++) {
        mql_date_format(ad->snaps->at[ad->row_snap[r]], 1, cell, sizeof cell);
        bad |= fprintf(o.f, "%s,%d", cell, d->y[r] != 0) < 0;
        for (size_t j = 0; j < t->n_cols; j++) {
            const mql_column *c = &t->cols[j];
            if (j >= ad->first_col)
                snprintf(cell, sizeof cell, "%.17g", c->num[r]);
            else
                mql_cell_text(c, r, cell, sizeof cell);
            size_t n = mql_csv_quote(q, cell, strlen(cell), ',');
            bad |= putc(',', o.f) == EOF || fwrite(q, 1, n, o.f) != n;
        }
        bad |= putc('\n', o.f) == EOF;
    }
    if (bad)
        cli_error("writing the snapshot table to %s failed", path);
    return cli_out_close(&o, !bad) ? MQL_EIO : (bad ? MQL_EIO : MQL_OK);
}

int cli_activity_stale(const cli_activity_run *run, const cli_data *d, const struct mql_points *m,
                       double at, size_t *n_mql, size_t *n_stale)
{
    *n_mql = *n_stale = 0;
    const mql_activity_data *ad = run->data;
    if (!ad)
        return MQL_OK;
    mql_err err;
    const mql_table *t = d->table;
    size_t n = t->n_rows;
    /* One row per lead not won: its first snapshot row. */
    size_t *idx = malloc((n ? n : 1) * sizeof *idx);
    unsigned char *seen = calloc(run->log->n_leads ? run->log->n_leads : 1, 1);
    size_t m_rows = 0;
    for (size_t r = 0; idx && seen && r < n; r++) {
        size_t lead = ad->snaps->lead[ad->row_snap[r]];
        if (seen[lead] || (run->setup.y && run->setup.y[lead]))
            continue;
        seen[lead] = 1;
        idx[m_rows++] = r;
    }
    free(seen);
    mql_table *c = NULL;
    mql_scorer *sc = NULL;
    long *score = NULL, *score0 = NULL;
    int st = !idx ? MQL_ENOMEM : mql_table_gather(t, idx, m_rows, &c, &err);
    if (!st && (!(score = malloc((m_rows ? m_rows : 1) * sizeof *score)) ||
                !(score0 = malloc((m_rows ? m_rows : 1) * sizeof *score0))))
        st = MQL_ENOMEM;
    const mql_decay none = {MQL_DECAY_NONE, 0};
    for (int pass = 0; !st && pass < 2; pass++) {
        for (size_t k = 0; k < ad->n_types; k++) {
            mql_column *col = &c->cols[ad->first_col + k];
            for (size_t q = 0; q < m_rows; q++) {
                size_t lead = ad->snaps->lead[ad->row_snap[idx[q]]];
                col->num[q] = mql_activity_value(run->log, lead, k, pass ? &none : &ad->decay[k],
                                                 at);
            }
            mql_column_recount(col);
        }
        mql_scorer_free(sc);
        sc = NULL;
        if ((st = mql_scorer_bind(m, c, &sc, &err)) ||
            (st = mql_scorer_score_all(sc, pass ? score0 : score, NULL, NULL, &err)))
            break;
    }
    for (size_t q = 0; !st && q < m_rows; q++) {
        int mql = score[q] >= m->threshold, mql0 = score0[q] >= m->threshold;
        *n_mql += mql;
        *n_stale += !mql && mql0;
    }
    if (st)
        cli_error("stale engagement count: %s", st == MQL_ENOMEM ? "out of memory" : err.msg);
    mql_scorer_free(sc);
    mql_table_free(c);
    free(idx);
    free(score);
    free(score0);
    return st;
}
