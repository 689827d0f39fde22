/* cmd_calibrate.c: `mqlcal calibrate`: how well a model's probabilities match what happened
 * (reliability tables, Hosmer-Lemeshow, calibration intercept and slope, PSI between the earliest
 * and latest period), and with -o the model with a re-fitted score -> probability map. */
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "mqlcal/evaluate.h"
#include "mqlcal/points.h"

static void usage(FILE *f)
{
    fprintf(f,
            "usage: mqlcal calibrate MODEL LEADS.csv --outcome COL [lead file options]\n"
            "                        [--bands N | --bands a,b,c] [--method platt|isotonic]\n"
            "                        [--maturity DAYS] [-o recalibrated.json]\n"
            "                        [--format table|csv|json|md]\n"
            "\n"
            "Compares the model's probabilities with the observed conversion: summary metrics\n"
            "(AUC with DeLong interval, KS, Brier, log loss), calibration intercept and slope\n"
            "(logistic recalibration: 0 and 1 when calibrated) read in plain language, the\n"
            "reliability table by score bands and by 10 quantile bins of the probability\n"
            "(Wilson 95%% intervals), Hosmer-Lemeshow with the groups used, and the PSI of the\n"
            "score between the earliest and latest quarter (or first and second half of the\n"
            "rows without dates). A rules CSV has no score map: its probabilities come from an\n"
            "in-sample Platt fit, and the output says so.\n"
            "\n"
            "%s"
            "\n"
            "options:\n"
            "  --bands N            N score bands of about equal size (default 10), or the\n"
            "                       cuts a,b,c (bands: below a, a to below b, ..., c and up)\n"
            "  --method M           the map -o writes: platt (default; logistic regression of\n"
            "                       the outcome on the score) or isotonic (pool-adjacent-\n"
            "                       violators, non-decreasing)\n"
            "  --maturity DAYS      censor leads younger than DAYS at the data's end (needs\n"
            "                       --date): excluded from every rate and metric\n"
            "  -o FILE              write the model with the re-fitted map as JSON (points,\n"
            "                       rules and threshold untouched; a rules CSV becomes a JSON\n"
            "                       model holding its rules); atomic. Its 'created' time\n"
            "                       is now (SOURCE_DATE_EPOCH when set), 'tool' this mqlcal\n"
            "  --format F           table (default), csv (the score-band reliability table),\n"
            "                       json (everything), md\n"
            "  -h, --help           this help\n"
            "\n"
            "exit codes: 0 ok, 1 invalid data (e.g. a column the model needs is missing),\n"
            "2 usage, 3 I/O, 4 no convergence\n",
            cli_leads_usage);
}

typedef struct cal_opts {
    cli_leads leads;
    cli_pos pos;              /* MODEL, LEADS.csv */
    const char *bands;
    mql_recal_method method;
    long maturity;
    const char *out;
    mql_format format;
} cal_opts;

static int match(void *vo, int argc, char **argv, int *i)
{
    cal_opts *o = vo;
    const char *val;
    int r = cli_leads_opt(&o->leads, argc, argv, i);
    if (r == 0)
        r = cli_format_opt(argc, argv, i, &o->format, 1);
    if (r == 0)
        r = cli_maturity_opt(argc, argv, i, &o->maturity);
    if (r == 0)
        r = cli_opt(argc, argv, i, "--bands", &o->bands);
    if (r == 0)
        r = cli_opt(argc, argv, i, "-o", &o->out);
    if (r == 0 && (r = cli_opt(argc, argv, i, "--method", &val)) > 0) {
        if (strcmp(val, "platt") == 0)
            o->method = MQL_RECAL_PLATT;
        else if (strcmp(val, "isotonic") == 0)
            o->method = MQL_RECAL_ISOTONIC;
        else {
            cli_error("--method: expected platt or isotonic, got '%s'", val);
            return -1;
        }
    }
    return r;
}

static int parse_args(int argc, char **argv, cal_opts *o)
{
    o->pos = (cli_pos){.cmd = "calibrate", .expect = "MODEL and LEADS.csv", .min = 2, .max = 2};
    int st = cli_parse(argc, argv, usage, match, o, &o->pos);
    if (st)
        return st;
    if (cli_require_roles("calibrate", &o->leads, o->maturity))
        return MQL_EUSAGE;
    o->leads.path = o->pos.v[1];
    if (o->out && strcmp(o->out, "-") == 0) {
        cli_error("calibrate: -o needs a file name (the report goes to standard output)");
        return MQL_EUSAGE;
    }
    return MQL_OK;
}

/* The score cuts of --bands: "N" bands of equal size or an explicit list. */
static int band_cuts(const cal_opts *o, const mql_scored *s, double **cuts, size_t *n)
{
    mql_err err;
    const char *spec = o->bands ? o->bands : "10";
    if (strchr(spec, ',')) {
        int st = mql_thresholds_parse(spec, "--bands", cuts, n, &err);
        if (st)
            cli_error("%s", err.msg);
        return st;
    }
    long k;
    if (mql_parse_long(spec, 2, 1000, &k)) {
        cli_error("--bands: expected a count from 2 to 1000 or cuts a,b,c, got '%s'", spec);
        return MQL_EUSAGE;
    }
    int st = mql_eval_score_cuts(s, (size_t)k, cuts, n, &err);
    if (st)
        cli_error("%s", err.msg);
    return st;
}

static mql_tab *hl_tab(const mql_eval_summary *m)
{
    static const char *const cols[] = {"group", "p_lo", "p_hi", "leads", "observed", "expected"};
    mql_tab *t = mql_tab_new(6, cols);
    int fail = !t;
    for (size_t g = 0; !fail && m->has_hl && g < m->hl.groups_used; g++) {
        const mql_hl_group *h = &m->hl_groups[g];
        fail = mql_tab_row(t) || mql_tab_add_int(t, (long long)g + 1) ||
               mql_tab_add_num(t, h->lo, "%.4f") || mql_tab_add_num(t, h->hi, "%.4f") ||
               mql_tab_add_int(t, (long long)h->n) || mql_tab_add_num(t, h->obs1, "%.0f") ||
               mql_tab_add_num(t, h->exp1, "%.2f");
    }
    if (fail) {
        mql_tab_free(t);
        return NULL;
    }
    return t;
}

int cmd_calibrate(int argc, char **argv)
{
    cal_opts o = {.format = MQL_FMT_TABLE};
    cli_data d = {0};
    mql_model *model = NULL;
    mql_scored *s = NULL;
    double *cuts = NULL;
    size_t n_cuts = 0;
    enum { T_SUM, T_BANDS, T_QUANT, T_HL, T_PSI, T_N };
    mql_tab *tab[T_N] = {0};
    cli_out out = {0};
    mql_err err;
    int st = parse_args(argc, argv, &o);
    if (st) {
        st = st < 0 ? MQL_OK : st;
        goto done;
    }
    if ((st = cli_model_load(o.pos.v[0], &model)) ||
        (o.leads.model_na = cli_model_na(model), o.leads.uses[0] = model->points,
         st = cli_leads_load(&o.leads, &d, 1)))
        goto done;
    mql_eval_roles roles = {.y = d.y, .sql = d.sql, .date_col = d.date_col,
                            .acv_col = d.acv_col, .maturity_days = o.maturity,
                            .open = d.open, .months = d.months};
    mql_eval_summary sum;
    mql_eval_psi psi;
    if ((st = mql_scored_new(model->points, d.table, &roles, &s, &err)) ||
        (st = mql_eval_summarize(s, &sum, &err)) || (st = mql_eval_psi_compute(s, &psi, &err))) {
        cli_error("%s", err.msg);
        goto done;
    }
    if ((st = band_cuts(&o, s, &cuts, &n_cuts)))
        goto done;
    if ((st = mql_eval_reliability_bands(s, cuts, n_cuts, &tab[T_BANDS], &err)) ||
        (st = mql_eval_reliability_quantile(s, 10, &tab[T_QUANT], &err))) {
        cli_error("%s", err.msg);
        goto done;
    }
    if (!(tab[T_SUM] = mql_eval_summary_tab(&sum)) || !(tab[T_HL] = hl_tab(&sum)) ||
        !(tab[T_PSI] = mql_eval_psi_tab(&psi))) {
        cli_error("out of memory");
        st = MQL_ENOMEM;
        goto done;
    }
    char sentence[512], psi_line[512];
    mql_eval_calib_sentence(&sum, sentence, sizeof sentence);
    snprintf(psi_line, sizeof psi_line,
             "PSI %.4f between %s (%zu leads) and %s (%zu leads) over the baseline's score "
             "deciles (%s; %zu bins: %zu empty in the baseline, %zu in the latest period); "
             "below 0.1 is usually read as stable, above 0.25 as a shift",
             psi.psi.psi, psi.base_label, psi.n_base, psi.cur_label, psi.n_cur,
             MQL_EVAL_PSI_RULE, psi.psi.n_bins, psi.psi.empty_base, psi.psi.empty_cur);

    /* The recalibrated model is written before the report, so a write failure is an error
     * before anything claims success. */
    if (o.out) {
        if ((st = mql_eval_recalibrate(s, model->points, o.method, &err))) {
            cli_error("%s", err.msg);
            goto done;
        }
        if ((st = cli_model_restamp(model)) || (st = cli_model_save(o.out, model)))
            goto done;
    }
    if ((st = cli_out_open(&out, "-")))
        goto done;
    FILE *f = out.f;
    if (o.format == MQL_FMT_CSV) {
        mql_tab_write(tab[T_BANDS], f, MQL_FMT_CSV);
    } else if (o.format == MQL_FMT_JSON) {
        cli_json j;
        cli_json_begin(&j, f);
        cli_json_str(&j, "data", o.leads.path);
        cli_json_str(&j, "model", o.pos.v[0]);
        cli_json_str(&j, "probabilities", s->prob_platt ? MQL_EVAL_PLATT_NOTE : "model map");
        cli_json_tab(&j, "summary", tab[T_SUM]);
        cli_json_str(&j, "calibration_reading", sentence);
        cli_json_tab(&j, "reliability_bands", tab[T_BANDS]);
        cli_json_tab(&j, "reliability_quantile", tab[T_QUANT]);
        cli_json_tab(&j, "hosmer_lemeshow", tab[T_HL]);
        cli_json_num(&j, "psi", psi.psi.psi);
        cli_json_str(&j, "psi_base", psi.base_label);
        cli_json_str(&j, "psi_current", psi.cur_label);
        cli_json_str(&j, "psi_empty_bin_rule", MQL_EVAL_PSI_RULE);
        cli_json_tab(&j, "psi_bins", tab[T_PSI]);
        if (o.out)
            cli_json_str(&j, "recalibrated_model", o.out);
        cli_json_end(&j);
    } else {
        fprintf(f, "calibration of %s on %s (%zu leads)\n", o.pos.v[0], o.leads.path, s->n);
        fprintf(f, "%s\n", s->prob_platt ? MQL_EVAL_PLATT_NOTE
                                         : "probabilities from the model's score map");
        if (s->n_censored > s->n_open)
            fprintf(f, "censored: %zu leads younger than %ld days (excluded from every rate "
                       "and metric)\n", s->n_censored - s->n_open, s->maturity_days);
        cli_open_note(f, &d, "excluded from every rate and metric (not closed yet)");
        fputc('\n', f);
        cli_tab_print(f, o.format, "summary", tab[T_SUM]);
        fprintf(f, "reading: %s\n\n", sentence);
        cli_tab_print(f, o.format, "reliability by score band (observed with Wilson 95% "
                                   "interval)", tab[T_BANDS]);
        cli_tab_print(f, o.format, "reliability by 10 quantile bins of the probability "
                                   "(sklearn calibration_curve, strategy='quantile')",
                      tab[T_QUANT]);
        char title[160];
        if (sum.has_hl)
            snprintf(title, sizeof title, "Hosmer-Lemeshow groups (%zu used of %zu; chi-square "
                     "%.3f on %d df, p = %.4g)", sum.hl.groups_used, sum.hl.groups_asked,
                     sum.hl.chisq, sum.hl.df, sum.hl.p_value);
        else
            snprintf(title, sizeof title, "Hosmer-Lemeshow: not computed");
        cli_tab_print(f, o.format, title, tab[T_HL]);
        cli_tab_print(f, o.format, "score stability (PSI bins)", tab[T_PSI]);
        fprintf(f, "%s\n", psi_line);
        if (o.out)
            fprintf(f, "\nwrote %s: the same points with a %s score map\n", o.out,
                    o.method == MQL_RECAL_PLATT ? "Platt (logistic)" : "isotonic");
    }
done:
    st = cli_out_finish(&out, st);
    for (int k = 0; k < T_N; k++)
        mql_tab_free(tab[k]);
    free(cuts);
    mql_scored_free(s);
    mql_model_free(model);
    cli_data_free(&d);
    return st;
}
