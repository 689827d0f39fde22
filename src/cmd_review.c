/* cmd_review.c: `mqlcal review`: the quarterly review in one run (DESIGN section 6): inspect the
 * export, evaluate the current model, fit a new one, compare, backtest, calibrate and plan, and
 * write a self-contained HTML report with every number also in a CSV, into a directory that is
 * replaced only once the new one is complete. */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "mqlcal/backtest.h"
#include "mqlcal/cli.h"
#include "mqlcal/evaluate.h"
#include "mqlcal/metrics.h"
#include "mqlcal/plan.h"
#include "mqlcal/points.h"
#include "mqlcal/report_html.h"
#include "mqlcal/report_table.h"
#include "mqlcal/table_ops.h"

/* The file that marks a directory as a review mqlcal wrote (and may replace). */
#define MARKER ".mqlcal-review"
/* MQL-to-SQL band commonly quoted in practice (benchmark, not data). */
#define BENCH_SQL_LO 0.13
#define BENCH_SQL_HI 0.27
/* PSI rule of thumb from credit scoring practice: < 0.1 stable, 0.1-0.25 moderate, > 0.25 major. */
#define PSI_MODERATE 0.10
#define PSI_MAJOR 0.25

static void usage(FILE *f)
{
    fprintf(f,
            "usage: mqlcal review LEADS.csv --outcome COL [lead file options] -o DIR\n"
            "                     [--current RULES.csv|MODEL.json] [--train-until DATE |\n"
            "                     --holdout-last F] [--maturity DAYS] [--capacity N]\n"
            "                     [--revenue R --acv A|COL [--win-rate W --sql-to-opp S]\n"
            "                     [--mql-to-sql M] [--period month|quarter] [--cycle-days D]\n"
            "                     [--start DATE]] [design and fit options] [--force]\n"
            "\n"
            "The quarterly review in one run: profiles the export (leakage suspects are left\n"
            "out of the new model), scores it with the current model, fits a new logistic model\n"
            "and its points table on the training part, compares the two on the evaluation part\n"
            "(the test part with --train-until / --holdout-last, else every lead: in-sample,\n"
            "and the report says so), backtests thresholds, checks calibration and plans the\n"
            "pipeline. Writes DIR/index.html (self-contained: no scripts, no network) with\n"
            "model.json, rules.csv, thresholds.csv, calibration.csv, bands.csv, plan.csv,\n"
            "summary.md, summary.csv and the other tables, every number of the page in a CSV.\n"
            "\n"
            "%s"
            "\n"
            "review options:\n"
            "  -o DIR               the report directory. It is written beside DIR and renamed\n"
            "                       into place at the end: a failure leaves DIR as it was. An\n"
            "                       existing DIR is replaced when it is an earlier review (it\n"
            "                       holds " MARKER "); any other DIR needs --force, and is then\n"
            "                       moved aside to DIR.old-XXXXXX, not deleted\n"
            "  --current MODEL      the model in production: a rules CSV or a model JSON\n"
            "  --train-until DATE   fit on leads created on or before DATE (needs --date),\n"
            "                       evaluate on the later ones\n"
            "  --holdout-last F     fit on the first rows, evaluate on the last fraction F\n"
            "                       (0 < F < 1; for files in time order without dates)\n"
            "  --maturity DAYS      leads younger than DAYS at the data's end are censored\n"
            "  --capacity N         SDR capacity in MQLs per month: recommend the lowest\n"
            "                       threshold within it. Without it the recommendation keeps the\n"
            "                       plan's threshold, else the current model's MQL volume, else\n"
            "                       the new model's own threshold\n"
            "  --revenue R ...      a pipeline plan (see 'mqlcal plan --help'): rates not given\n"
            "                       come from the evaluation leads at each threshold\n"
            "  --force              replace a DIR that is not an mqlcal review\n"
            "\n"
            "%s"
            "Separation: when the fit separates and --l2 is not given, the review refits with\n"
            "--l2 1 and says so in the report.\n"
            "\n"
            "exit codes: 0 ok, 1 invalid data (e.g. a feature of the current model missing from\n"
            "the leads), 2 usage (including an existing non-review DIR without --force), 3 I/O,\n"
            "4 no convergence; on any failure DIR is left untouched\n",
            cli_leads_usage, cli_fit_usage);
}

typedef struct review_opts {
    cli_leads leads;
    cli_fit_opts fit;
    cli_plan_opts plan;
    const char *dir, *current, *train_until, *holdout, *capacity_s, *maturity_s;
    int force, l2_given, has_plan;
    double capacity, holdout_f;
    long maturity;
    mql_dplan_in plan_in;
} review_opts;

static int parse_args(int argc, char **argv, review_opts *o)
{
    for (int i = 1; i < argc;) {
        const char *a = argv[i];
        if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            usage(stdout);
            return -1;
        }
        if (strcmp(a, "--force") == 0) {
            o->force = 1;
            i++;
            continue;
        }
        if (strncmp(a, "--l2", 4) == 0 && (a[4] == '\0' || a[4] == '='))
            o->l2_given = 1;
        int r = cli_plan_opt(&o->plan, argc, argv, &i);
        if (r == 0)
            r = cli_leads_opt(&o->leads, argc, argv, &i);
        if (r == 0)
            r = cli_fit_opt(&o->fit, argc, argv, &i);
        if (r == 0)
            r = cli_opt(argc, argv, &i, "-o", &o->dir);
        if (r == 0)
            r = cli_opt(argc, argv, &i, "--current", &o->current);
        if (r == 0)
            r = cli_opt(argc, argv, &i, "--train-until", &o->train_until);
        if (r == 0)
            r = cli_opt(argc, argv, &i, "--holdout-last", &o->holdout);
        if (r == 0)
            r = cli_opt(argc, argv, &i, "--capacity", &o->capacity_s);
        if (r == 0)
            r = cli_opt(argc, argv, &i, "--maturity", &o->maturity_s);
        if (r < 0)
            return MQL_EUSAGE;
        if (r > 0)
            continue;
        if (a[0] == '-' && a[1] != '\0') {
            cli_error("review: unknown option '%s' (see 'mqlcal review --help')", a);
            return MQL_EUSAGE;
        }
        if (o->leads.path) {
            cli_error("review: one lead file only ('%s' and '%s')", o->leads.path, a);
            return MQL_EUSAGE;
        }
        o->leads.path = a;
        i++;
    }
    if (!o->leads.path) {
        cli_error("review: no lead file given (see 'mqlcal review --help')");
        return MQL_EUSAGE;
    }
    if (!o->leads.outcome && !o->leads.join) {
        cli_error("review: an outcome is required: --outcome COL[=VALUE] or --join FILE --key COL");
        return MQL_EUSAGE;
    }
    if (!o->dir || !o->dir[0] || strcmp(o->dir, "-") == 0) {
        cli_error("review: -o DIR is required (the report directory)");
        return MQL_EUSAGE;
    }
    if (o->train_until && o->holdout) {
        cli_error("review: --train-until and --holdout-last are alternatives; give one");
        return MQL_EUSAGE;
    }
    if (o->holdout && (mql_parse_double(o->holdout, &o->holdout_f) || !(o->holdout_f > 0) ||
                       !(o->holdout_f < 1))) {
        cli_error("--holdout-last: '%s' is not a fraction between 0 and 1 (exclusive)",
                  o->holdout);
        return MQL_EUSAGE;
    }
    if (o->capacity_s && (mql_parse_double(o->capacity_s, &o->capacity) || !(o->capacity > 0) ||
                          !isfinite(o->capacity))) {
        cli_error("--capacity: '%s' is not a positive number of MQLs per month", o->capacity_s);
        return MQL_EUSAGE;
    }
    if (o->maturity_s && mql_parse_long(o->maturity_s, 0, 36500, &o->maturity)) {
        cli_error("--maturity: '%s' is not a whole number of days from 0 to 36500",
                  o->maturity_s);
        return MQL_EUSAGE;
    }
    if ((o->maturity > 0 || o->train_until) && !o->leads.date) {
        cli_error("review: %s needs --date (the lead created date)",
                  o->train_until ? "--train-until" : "--maturity");
        return MQL_EUSAGE;
    }
    const cli_plan_opts *p = &o->plan;
    o->has_plan = p->revenue || p->win || p->s2o || p->m2s || p->period || p->cycle || p->start;
    const char *acv_col = NULL;
    if (o->has_plan) {
        int st = cli_plan_build(&o->plan, 1, &o->plan_in, &acv_col);
        if (st)
            return st;
        if (acv_col)
            o->leads.acv = acv_col;
    } else if (p->acv) {
        double v;
        if (mql_parse_double(p->acv, &v) == 0) {
            cli_error("review: --acv %s is a plan's ACV; give --revenue too (or --acv COL for "
                      "the deal value column)", p->acv);
            return MQL_EUSAGE;
        }
        o->leads.acv = p->acv;
    }
    return cli_fit_opts_finish(&o->fit, &o->leads);
}

/* ================================================================================================
 * the output directory
 * ============================================================================================== */

/* 0: DIR does not exist; 1: an mqlcal review (holds the marker); 2: another directory;
 * 3: exists and is not a directory. */
static int dir_state(const char *dir)
{
    struct stat sb;
    if (lstat(dir, &sb) != 0)
        return 0;
    if (!S_ISDIR(sb.st_mode))
        return 3;
    char path[4096];
    if ((size_t)snprintf(path, sizeof path, "%s/%s", dir, MARKER) >= sizeof path)
        return 2;
    return lstat(path, &sb) == 0 && S_ISREG(sb.st_mode) ? 1 : 2;
}

/* Removes path and, for a directory, everything below it (symbolic links are removed, never
 * followed). Returns 0 or -1. */
static int rm_rf(const char *path)
{
    struct stat sb;
    if (lstat(path, &sb) != 0)
        return errno == ENOENT ? 0 : -1;
    if (!S_ISDIR(sb.st_mode))
        return unlink(path);
    DIR *d = opendir(path);
    if (!d)
        return -1;
    int rc = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        size_t n = strlen(path) + strlen(e->d_name) + 2;
        char *sub = malloc(n);
        if (!sub) {
            rc = -1;
            break;
        }
        snprintf(sub, n, "%s/%s", path, e->d_name);
        rc |= rm_rf(sub);
        free(sub);
    }
    closedir(d);
    return rc | rmdir(path);
}

/* Creates the parent directories of dir (mkdir -p of its dirname). Returns 0 or -1. */
static int mkdir_parents(const char *dir)
{
    char *p = mql_strdup(dir);
    if (!p)
        return -1;
    char *slash = strrchr(p, '/');
    int rc = 0;
    if (slash && slash != p) {
        *slash = '\0';
        for (char *c = p + 1; *c && rc == 0; c++)
            if (*c == '/') {
                *c = '\0';
                if (mkdir(p, 0777) != 0 && errno != EEXIST)
                    rc = -1;
                *c = '/';
            }
        if (rc == 0 && mkdir(p, 0777) != 0 && errno != EEXIST)
            rc = -1;
    }
    free(p);
    return rc;
}

/* The refusal every path to an existing non-review DIR gives. */
static int check_dir(const review_opts *o)
{
    int s = dir_state(o->dir);
    if (s == 3) {
        cli_error("-o %s: exists and is not a directory", o->dir);
        return MQL_EUSAGE;
    }
    if (s == 2 && !o->force) {
        cli_error("-o %s: the directory exists and is not an mqlcal review (no %s in it); "
                  "use --force to replace it (it is moved aside, not deleted)", o->dir, MARKER);
        return MQL_EUSAGE;
    }
    return MQL_OK;
}

/* Moves the finished tmp directory to o->dir: an earlier review is removed once the new one is in
 * place; a forced non-review directory is kept as DIR.old-XXXXXX. */
static int install_dir(const review_opts *o, const char *tmp)
{
    int st = check_dir(o);
    if (st)
        return st;
    int s = dir_state(o->dir);
    char *old = NULL;
    if (s != 0) {
        size_t n = strlen(o->dir) + 16;
        if (!(old = malloc(n)))
            return MQL_ENOMEM;
        snprintf(old, n, "%s.old-XXXXXX", o->dir);
        /* mkdtemp makes an empty directory that rename() may replace atomically. */
        if (!mkdtemp(old) || rename(o->dir, old) != 0) {
            cli_error("%s: cannot move the old report aside: %s", o->dir, strerror(errno));
            if (old[0])
                rmdir(old);
            free(old);
            return MQL_EIO;
        }
    }
    if (rename(tmp, o->dir) != 0) {
        cli_error("%s: cannot rename %s into place: %s", o->dir, tmp, strerror(errno));
        if (old && rename(old, o->dir) != 0)
            cli_error("the previous report is in %s", old);
        free(old);
        return MQL_EIO;
    }
    if (old) {
        if (s == 1) {
            if (rm_rf(old) != 0)
                cli_warn("could not remove the previous report %s", old);
        } else {
            cli_warn("the previous contents of %s are in %s", o->dir, old);
        }
    }
    free(old);
    return MQL_OK;
}

/* ================================================================================================
 * the run
 * ============================================================================================== */

typedef struct review {
    review_opts *o;
    cli_data d;
    cli_inspect ins;
    char *tmp;                        /* the directory being written */
    /* split */
    unsigned char *role;              /* 1 train, 2 evaluation, 0 neither; NULL: no split */
    size_t n_train, n_eval;
    char split_text[256];
    mql_table *train_t, *eval_t;      /* owned subsets (NULL without a split) */
    unsigned char *y_train, *y_eval, *sql_eval;
    double *w, *w_train;
    /* models */
    mql_model *cur, *new_m;
    mql_fit_diag diag;
    int refit_l2;                     /* 1: refitted with --l2 1 after separation */
    char sep_text[1100];
    size_t n_leak;
    char leak_names[512];
    mql_scored *cur_s, *new_s, *cur_all;
    mql_eval_summary cur_sum, new_sum;
    mql_compare *cmp;
    mql_bt_sweep *new_sw, *cur_sw;
    size_t rec, cur_row;              /* recommended row of new_sw; current threshold row */
    char rec_text[512];
    int has_psi;
    mql_eval_psi psi;
    mql_dplan *plan;
    double eng_share_cur, eng_share_new;
    /* tables */
    mql_tab *kv;
    mql_tab *t_thr, *t_thr_cur, *t_cal, *t_cal_cur, *t_bands, *t_gains, *t_gains_cur, *t_hist,
        *t_grades, *t_psi, *t_cmp, *t_mig, *t_rules_diff, *t_rules, *t_metrics, *t_metrics_cur,
        *t_plan, *t_plan_thr, *t_split;
    char **findings;                  /* diagnosis sentences (title \t text \t kind) */
    size_t n_findings;
    mql_err err;
} review;

static int oom(void)
{
    cli_error("out of memory");
    return MQL_ENOMEM;
}

/* A key figure: its full value (CSV) and the text shown in the report; returns the shown text
 * (owned by the table). */
static const char *kv(review *r, const char *key, double value, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static const char *kv(review *r, const char *key, double value, const char *fmt, ...)
{
    if (!isfinite(value))
        return "-";   /* no figure (e.g. per month without dates): not reported */
    char buf[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    if (mql_tab_row(r->kv) || mql_tab_add_str(r->kv, key) ||
        mql_tab_add_num(r->kv, value, "%.6g") || mql_tab_add_str(r->kv, buf))
        return "";
    return mql_tab_cell(r->kv, mql_tab_rows(r->kv) - 1, 2, NULL);
}

static int finding(review *r, mql_callout_kind kind, const char *title, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static int finding(review *r, mql_callout_kind kind, const char *title, const char *fmt, ...)
{
    char text[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    char **f = realloc(r->findings, (r->n_findings + 1) * sizeof *f);
    if (!f)
        return oom();
    r->findings = f;
    size_t n = strlen(title) + strlen(text) + 8;
    if (!(f[r->n_findings] = malloc(n)))
        return oom();
    snprintf(f[r->n_findings++], n, "%d\t%s\t%s", (int)kind, title, text);
    return MQL_OK;
}

/* Numbers of column name of t (as displayed; empty cells NAN). malloc'd, *n rows. */
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

/* ---- steps ---------------------------------------------------------------------------------- */

static int step_split(review *r)
{
    review_opts *o = r->o;
    const mql_table *t = r->d.table;
    size_t n = t->n_rows;
    if (!o->train_until && !o->holdout) {
        snprintf(r->split_text, sizeof r->split_text,
                 "No split: the new model is fitted and evaluated on the same %zu leads "
                 "(in-sample), so its figures are optimistic; use --train-until or "
                 "--holdout-last for an honest test", n);
        r->n_train = r->n_eval = n;
        return MQL_OK;
    }
    if (!(r->role = calloc(n ? n : 1, 1)))
        return oom();
    int st;
    if (o->train_until) {
        double day;
        int has_time;
        if (mql_date_parse(o->train_until, strlen(o->train_until), &day, &has_time) ||
            has_time) {
            cli_error("--train-until: '%s' is not a date YYYY-MM-DD", o->train_until);
            return MQL_EUSAGE;
        }
        mql_time_split sp;
        const double *date = t->cols[r->d.date_col].num;
        if ((st = mql_train_until(date, n, (long)floor(day), &sp, &r->err))) {
            cli_error("--train-until: %s", r->err.msg);
            return st;
        }
        mql_split_roles(&sp, date, n, r->role);
        snprintf(r->split_text, sizeof r->split_text,
                 "Out-of-time: fitted on leads created up to %s, evaluated on the later ones",
                 o->train_until);
    } else {
        if ((st = mql_holdout_last(n, o->holdout_f, r->role, &r->err))) {
            cli_error("--holdout-last: %s", r->err.msg);
            return st;
        }
        snprintf(r->split_text, sizeof r->split_text,
                 "Holdout: fitted on the first rows in file order, evaluated on the last %g%%",
                 100 * o->holdout_f);
    }
    unsigned char *mtrain = malloc(n ? n : 1), *meval = malloc(n ? n : 1);
    if (!mtrain || !meval) {
        free(mtrain);
        free(meval);
        return oom();
    }
    for (size_t i = 0; i < n; i++) {
        mtrain[i] = r->role[i] == 1;
        meval[i] = r->role[i] == 2;
        r->n_train += mtrain[i];
        r->n_eval += meval[i];
    }
    st = mql_table_subset(t, mtrain, &r->train_t, &r->err);
    if (!st)
        st = mql_table_subset(t, meval, &r->eval_t, &r->err);
    r->y_train = malloc(r->n_train ? r->n_train : 1);
    r->y_eval = malloc(r->n_eval ? r->n_eval : 1);
    if (r->d.sql)
        r->sql_eval = malloc(r->n_eval ? r->n_eval : 1);
    if (r->w)
        r->w_train = malloc((r->n_train ? r->n_train : 1) * sizeof *r->w_train);
    if (!st && (!r->y_train || !r->y_eval || (r->d.sql && !r->sql_eval) ||
                (r->w && !r->w_train)))
        st = MQL_ENOMEM;
    for (size_t i = 0, a = 0, b = 0; !st && i < n; i++) {
        if (mtrain[i]) {
            r->y_train[a] = r->d.y[i];
            if (r->w)
                r->w_train[a] = r->w[i];
            a++;
        } else if (meval[i]) {
            r->y_eval[b] = r->d.y[i];
            if (r->sql_eval)
                r->sql_eval[b] = r->d.sql[i];
            b++;
        }
    }
    free(mtrain);
    free(meval);
    if (st)
        return oom();
    return MQL_OK;
}

/* Leakage suspects (inspect's rule) are not features of the new model unless --features names
 * them. */
static int step_leakage(review *r)
{
    const mql_table *t = r->d.table;
    size_t o = 0;
    for (size_t j = 0; j < t->n_cols; j++) {
        if (!r->ins.leak[j] || !r->d.feature[j])
            continue;
        if (r->o->leads.features)
            continue;   /* an explicit feature list is the user's decision */
        int st = mql_design_opts_add_role(&r->o->fit.design, t->cols[j].name, &r->err);
        if (st) {
            cli_error("%s", r->err.msg);
            return st;
        }
        if (o < sizeof r->leak_names)
            o += (size_t)snprintf(r->leak_names + o, sizeof r->leak_names - o, "%s%s",
                                  r->n_leak ? ", " : "", t->cols[j].name);
        if (o >= sizeof r->leak_names)
            o = sizeof r->leak_names;
        r->n_leak++;
    }
    return MQL_OK;
}

static int step_fit(review *r)
{
    review_opts *o = r->o;
    const mql_table *t = r->train_t ? r->train_t : r->d.table;
    const unsigned char *y = r->train_t ? r->y_train : r->d.y;
    const double *w = r->train_t ? r->w_train : r->w;
    mql_train_spec spec = {.design = &o->fit.design, .glm = &o->fit.glm, .w = w,
                           .points = o->fit.points};
    mql_fit_diag_init(&r->diag);
    int st = mql_eval_train(t, y, w, &spec, &r->new_m, &r->diag, &r->err);
    if (st == MQL_EDATA && r->diag.n_separated > 0 && !o->l2_given) {
        snprintf(r->sep_text, sizeof r->sep_text, "%s", r->err.msg);
        mql_fit_diag_clear(&r->diag);
        mql_fit_diag_init(&r->diag);
        o->fit.glm.l2 = 1.0;
        r->refit_l2 = 1;
        st = mql_eval_train(t, y, w, &spec, &r->new_m, &r->diag, &r->err);
    }
    if (st) {
        cli_error("fit: %s", r->err.msg);
        return st;
    }
    mql_training *tr = &r->new_m->train;
    const char *outcome = o->leads.outcome ? o->leads.outcome : r->d.outcome_label;
    int fail = !(tr->file = mql_strdup(o->leads.path)) ||
               (outcome && !(tr->outcome = mql_strdup(outcome))) ||
               (o->leads.sql && !(tr->sql_column = mql_strdup(o->leads.sql))) ||
               (o->leads.acv && !(tr->acv_column = mql_strdup(o->leads.acv))) ||
               (o->leads.date && !(tr->date_column = mql_strdup(o->leads.date))) ||
               (o->fit.weight && !(tr->weight_column = mql_strdup(o->fit.weight)));
    tr->rows = t->n_rows;
    tr->bytes = r->d.table->n_bytes;
    tr->hash = r->d.table->hash;
    const char *sde = getenv("SOURCE_DATE_EPOCH");
    long epoch;
    if (!fail && sde && mql_parse_long(sde, 0, 253402300799L, &epoch) == 0) {
        time_t tt = (time_t)epoch;
        struct tm tmv;
        char buf[32];
        if (gmtime_r(&tt, &tmv) && strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tmv)) {
            free(r->new_m->created);
            fail = !(r->new_m->created = mql_strdup(buf));
        }
    }
    return fail ? oom() : MQL_OK;
}

static int score(review *r, const mql_points *m, int all, mql_scored **out)
{
    const mql_table *t = all || !r->eval_t ? r->d.table : r->eval_t;
    int sub = !all && r->eval_t;
    mql_eval_roles roles = {.y = sub ? r->y_eval : r->d.y,
                            .sql = sub ? r->sql_eval : r->d.sql,
                            .date_col = r->d.date_col,
                            .acv_col = r->d.acv_col,
                            .maturity_days = r->o->maturity};
    int st = mql_scored_new(m, t, &roles, out, &r->err);
    if (st)
        cli_error("%s", r->err.msg);
    return st;
}

/* Row of the sweep at threshold thr (the first row >= thr; the last row when none). */
static size_t row_at(const mql_bt_sweep *sw, double thr)
{
    for (size_t k = 0; k < sw->n_rows; k++)
        if (sw->rows[k].threshold >= thr)
            return k;
    return sw->n_rows - 1;
}

static int step_evaluate(review *r)
{
    int st;
    if (r->cur) {
        if ((st = score(r, r->cur->points, 0, &r->cur_s)) ||
            (st = score(r, r->cur->points, 1, &r->cur_all)))
            return st;
    }
    if ((st = score(r, r->new_m->points, 0, &r->new_s)))
        return st;
    if ((st = mql_eval_summarize(r->new_s, &r->new_sum, &r->err)) ||
        (r->cur && (st = mql_eval_summarize(r->cur_s, &r->cur_sum, &r->err))) ||
        (st = mql_eval_sweep(r->new_s, NULL, 0, &r->new_sw, &r->err)) ||
        (r->cur && (st = mql_eval_sweep(r->cur_s, NULL, 0, &r->cur_sw, &r->err))) ||
        (r->cur && (st = mql_compare_run(r->cur_s, r->new_s, &r->cmp, &r->err)))) {
        cli_error("%s", r->err.msg);
        return st;
    }
    if (r->cur)
        r->cur_row = row_at(r->cur_sw, (double)r->cur->points->threshold);
    if (r->cur_all && mql_eval_psi_compute(r->cur_all, &r->psi, &r->err) == MQL_OK)
        r->has_psi = 1;
    if (r->o->has_plan &&
        (st = mql_dplan_run(r->new_s, r->new_sw, &r->o->plan_in, &r->plan, &r->err))) {
        cli_error("plan: %s", r->err.msg);
        return st;
    }
    /* The recommendation. */
    const mql_bt_sweep *sw = r->new_sw;
    if (r->o->capacity_s) {
        mql_bt_constraint c = {.goal = MQL_GOAL_CAPACITY, .value = r->o->capacity};
        mql_bt_rec rec;
        if ((st = mql_bt_recommend(sw, &c, &rec, &r->err))) {
            cli_error("--capacity: %s", r->err.msg);
            return st;
        }
        r->rec = rec.index;
        size_t o = mql_bt_rec_sentence(sw, &c, &rec, r->rec_text, sizeof r->rec_text);
        if (r->plan && o < sizeof r->rec_text) {
            const mql_dplan_row *pr = &r->plan->rows[r->plan->pick.index];
            if (r->plan->pick.status == MQL_PICK_MET && pr->threshold < sw->rows[r->rec].threshold)
                snprintf(r->rec_text + o, sizeof r->rec_text - o,
                         ". The revenue plan needs threshold %g (%.1f MQLs/month needed, %.1f in "
                         "history): more than the capacity of %g allows, so either capacity or "
                         "the target has to move.", pr->threshold, pr->need, pr->mqls_per_month,
                         r->o->capacity);
            else if (r->plan->pick.status == MQL_PICK_MET)
                snprintf(r->rec_text + o, sizeof r->rec_text - o,
                         ". The revenue plan is met within capacity (its threshold %g needs "
                         "%.1f MQLs/month).", pr->threshold, pr->need);
        }
    } else if (r->plan) {
        r->rec = r->plan->pick.index;
        mql_dplan_sentence(r->plan, r->rec_text, sizeof r->rec_text);
    } else if (r->cur && isfinite(r->cur_sw->rows[r->cur_row].mqls_per_month) &&
               r->cur_sw->rows[r->cur_row].mqls_per_month > 0) {
        mql_bt_constraint c = {.goal = MQL_GOAL_TARGET_VOLUME,
                               .value = r->cur_sw->rows[r->cur_row].mqls_per_month};
        mql_bt_rec rec;
        if ((st = mql_bt_recommend(sw, &c, &rec, &r->err))) {
            cli_error("%s", r->err.msg);
            return st;
        }
        r->rec = rec.index;
        char s[400];
        mql_bt_rec_sentence(sw, &c, &rec, s, sizeof s);
        snprintf(r->rec_text, sizeof r->rec_text,
                 "Keeping the current model's MQL volume (no --capacity given): %s", s);
    } else {
        r->rec = row_at(sw, (double)r->new_m->points->threshold);
        snprintf(r->rec_text, sizeof r->rec_text,
                 "The new model's own threshold %ld (no --capacity, plan or current model to "
                 "set the volume).", r->new_m->points->threshold);
    }
    r->eng_share_new = eng_share(r->new_s);
    r->eng_share_cur = r->cur ? eng_share(r->cur_s) : NAN;
    return MQL_OK;
}

/* Every table of the report, each written to its CSV and rendered from the same object. */
static int step_tables(review *r)
{
    mql_err *e = &r->err;
    int st;
    static const char *const rules_cols[] = {"feature", "operator", "value", "points", "group"};
    if (!(r->t_thr = mql_eval_thresholds_tab(r->new_sw, r->new_s, NULL, 0)) ||
        !(r->t_metrics = mql_eval_summary_tab(&r->new_sum)) ||
        !(r->t_rules = mql_tab_new(5, rules_cols)))
        return oom();
    double *cuts = NULL;
    size_t n_cuts = 0;
    if ((st = mql_eval_score_cuts(r->new_s, 10, &cuts, &n_cuts, e)) ||
        (st = mql_eval_reliability_bands(r->new_s, cuts, n_cuts, &r->t_cal, e)) ||
        (st = mql_eval_bands(r->new_s, &r->t_bands, e)) ||
        (st = mql_eval_gains(r->new_s, &r->t_gains, e)) ||
        (st = mql_eval_histogram(r->new_s, 24, &r->t_hist, e)) ||
        (st = mql_eval_grades(r->new_s, &r->t_grades, e))) {
        free(cuts);
        cli_error("%s", e->msg);
        return st;
    }
    free(cuts);
    const mql_points *p = r->new_m->points;
    for (size_t k = 0; k < p->n_rules; k++) {
        const mql_rule *u = &p->rules[k];
        if (mql_tab_row(r->t_rules) || mql_tab_add_str(r->t_rules, u->feature) ||
            mql_tab_add_str(r->t_rules, mql_op_name(u->op)) ||
            mql_tab_add_str(r->t_rules, u->value) ||
            mql_tab_add_int(r->t_rules, u->points) ||
            mql_tab_add_str(r->t_rules, u->group == MQL_GROUP_FIT ? "fit" : "engagement"))
            return oom();
    }
    if (r->cur) {
        if (!(r->t_thr_cur = mql_eval_thresholds_tab(r->cur_sw, r->cur_s, NULL, 0)) ||
            !(r->t_metrics_cur = mql_eval_summary_tab(&r->cur_sum)) ||
            !(r->t_cmp = mql_compare_metrics_tab(r->cmp)) ||
            !(r->t_mig = mql_compare_migration_tab(r->cmp)) ||
            !(r->t_rules_diff = mql_compare_rules_tab(r->cmp)))
            return oom();
        if ((st = mql_eval_score_cuts(r->cur_s, 10, &cuts, &n_cuts, e)) ||
            (st = mql_eval_reliability_bands(r->cur_s, cuts, n_cuts, &r->t_cal_cur, e)) ||
            (st = mql_eval_gains(r->cur_s, &r->t_gains_cur, e))) {
            free(cuts);
            cli_error("%s", e->msg);
            return st;
        }
        free(cuts);
        if (r->has_psi && !(r->t_psi = mql_eval_psi_tab(&r->psi)))
            return oom();
    }
    if (r->plan && (!(r->t_plan = mql_dplan_stages_tab(r->plan)) ||
                    !(r->t_plan_thr = mql_dplan_thresholds_tab(r->plan))))
        return oom();
    return MQL_OK;
}

/* ---- key figures and diagnosis ---------------------------------------------------------------- */

static void pct(char *buf, size_t cap, double p)
{
    if (!isfinite(p))
        snprintf(buf, cap, "-");
    else
        snprintf(buf, cap, "%.1f%%", 100 * p);
}

static int step_findings(review *r)
{
    static const char *const cols[] = {"key", "value", "shown"};
    if (!(r->kv = mql_tab_new(3, cols)))
        return oom();
    const mql_bt_totals *tot = &r->new_sw->totals;
    const mql_bt_row *rr = &r->new_sw->rows[r->rec];
    char a[64];
    kv(r, "leads", (double)r->d.table->n_rows, "%zu", r->d.table->n_rows);
    kv(r, "train_leads", (double)r->n_train, "%zu", r->n_train);
    kv(r, "eval_leads", (double)r->n_eval, "%zu", r->n_eval);
    kv(r, "censored", (double)tot->n_censored, "%zu", tot->n_censored);
    kv(r, "base_won_rate", tot->base_won_rate, "%.1f%%", 100 * tot->base_won_rate);
    kv(r, "new_auc", r->new_sum.auc.auc, "%.3f", r->new_sum.auc.auc);
    kv(r, "new_brier", r->new_sum.brier, "%.4f", r->new_sum.brier);
    if (r->cur) {
        kv(r, "current_auc", r->cur_sum.auc.auc, "%.3f", r->cur_sum.auc.auc);
        kv(r, "current_brier", r->cur_sum.brier, "%.4f", r->cur_sum.brier);
        kv(r, "current_threshold", (double)r->cur->points->threshold, "%ld",
           r->cur->points->threshold);
        const mql_bt_row *c = &r->cur_sw->rows[r->cur_row];
        kv(r, "current_mqls_per_month", c->mqls_per_month, "%.1f", c->mqls_per_month);
        kv(r, "current_mql_to_sql", c->sql_rate, "%.1f%%", 100 * c->sql_rate);
        kv(r, "current_mql_to_won", c->won_rate, "%.1f%%", 100 * c->won_rate);
    }
    kv(r, "recommended_threshold", rr->threshold, "%g", rr->threshold);
    kv(r, "recommended_mqls_per_month", rr->mqls_per_month, "%.1f", rr->mqls_per_month);
    kv(r, "recommended_mql_to_sql", rr->sql_rate, "%.1f%%", 100 * rr->sql_rate);
    kv(r, "recommended_mql_to_won", rr->won_rate, "%.1f%%", 100 * rr->won_rate);
    kv(r, "recommended_recall", rr->recall, "%.1f%%", 100 * rr->recall);
    kv(r, "recommended_mqls", (double)rr->mqls, "%zu", rr->mqls);
    kv(r, "new_model_threshold", (double)r->new_m->points->threshold, "%ld",
       r->new_m->points->threshold);
    kv(r, "l2", r->new_m->l2, "%g", r->new_m->l2);
    if (r->plan) {
        const mql_dplan_row *pr = &r->plan->rows[r->plan->pick.index];
        kv(r, "plan_threshold", pr->threshold, "%g", pr->threshold);
        kv(r, "plan_mqls_needed_per_month", pr->need, "%.1f", pr->need);
        kv(r, "plan_mqls_history_per_month", pr->mqls_per_month, "%.1f", pr->mqls_per_month);
        kv(r, "plan_met", r->plan->pick.status == MQL_PICK_MET, "%s",
           r->plan->pick.status == MQL_PICK_MET ? "yes" : "no");
    }
    if (isfinite(r->eng_share_new))
        kv(r, "engagement_share_new", r->eng_share_new, "%.0f%%", 100 * r->eng_share_new);
    if (r->cur && isfinite(r->eng_share_cur))
        kv(r, "engagement_share_current", r->eng_share_cur, "%.0f%%", 100 * r->eng_share_cur);
    if (r->has_psi)
        kv(r, "current_psi", r->psi.psi.psi, "%.3f", r->psi.psi.psi);
    if (r->new_sum.has_calib) {
        kv(r, "new_calibration_intercept", r->new_sum.calib.citl, "%.3f",
           r->new_sum.calib.citl);
        kv(r, "new_calibration_slope", r->new_sum.calib.slope, "%.3f", r->new_sum.calib.slope);
    }
    if (r->cur && r->cur_sum.has_calib) {
        kv(r, "current_calibration_intercept", r->cur_sum.calib.citl, "%.3f",
           r->cur_sum.calib.citl);
        kv(r, "current_calibration_slope", r->cur_sum.calib.slope, "%.3f",
           r->cur_sum.calib.slope);
    }
    if (mql_tab_rows(r->kv) == 0)
        return oom();

    int st = MQL_OK;
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
            kv(r, "train_won_rate", k0 / n0, "%.1f%%", 100 * k0 / n0);
            kv(r, "eval_won_rate", k1 / n1, "%.1f%%", 100 * k1 / n1);
            if (hi0 < lo1 || hi1 < lo0)
                st = finding(r, MQL_CALLOUT_WARNING, "The outcome rate moved",
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
    } at[2] = {{"the recommended threshold", rr},
               {"the current threshold", r->cur ? &r->cur_sw->rows[r->cur_row] : NULL}};
    for (int k = 0; k < 2 && !st; k++) {
        const mql_bt_row *w = at[k].row;
        if (!w || !isfinite(w->sql_rate))
            continue;
        pct(a, sizeof a, w->sql_rate);
        if (w->sql_rate < BENCH_SQL_LO)
            st = finding(r, MQL_CALLOUT_WARNING, "Threshold too loose",
                         "At %s (%g) MQL-to-SQL is %s, below the 13-27%% band commonly quoted "
                         "in practice: sales receives many leads it does not accept. A higher "
                         "threshold would pass fewer, better leads.", at[k].who, w->threshold, a);
        else if (w->sql_rate > BENCH_SQL_HI)
            st = finding(r, MQL_CALLOUT_INFO, "Threshold tight",
                         "At %s (%g) MQL-to-SQL is %s, above the 13-27%% band commonly quoted "
                         "in practice: sales accepts most MQLs, so good leads may be held back "
                         "below the threshold (%zu won deals scored under it).", at[k].who,
                         w->threshold, a, w->won_missed);
        else
            st = finding(r, MQL_CALLOUT_GOOD, "MQL-to-SQL in the usual band",
                         "At %s (%g) MQL-to-SQL is %s, inside the 13-27%% band commonly "
                         "quoted in practice.", at[k].who, w->threshold, a);
    }
    /* Diagnosis 2: engagement points outweighing their predictive weight. */
    if (!st && r->cur && isfinite(r->eng_share_cur) && isfinite(r->eng_share_new)) {
        double gap = r->eng_share_cur - r->eng_share_new;
        if (gap > 0.10)
            st = finding(r, MQL_CALLOUT_WARNING, "Engagement points outweigh their signal",
                         "Engagement points carry %.0f%% of the spread of the current score "
                         "but %.0f%% of the fitted model's (share of score variance from the "
                         "engagement sub-score): the current model rewards activity more than "
                         "activity predicts deals, the pattern behind strong MQL volume with a "
                         "weak pipeline.", 100 * r->eng_share_cur, 100 * r->eng_share_new);
        else if (gap < -0.10)
            st = finding(r, MQL_CALLOUT_INFO, "Engagement under-weighted",
                         "Engagement points carry %.0f%% of the spread of the current score "
                         "but %.0f%% of the fitted model's: activity predicts deals more than "
                         "the current points give it credit for.", 100 * r->eng_share_cur,
                         100 * r->eng_share_new);
        else
            st = finding(r, MQL_CALLOUT_GOOD, "Fit and engagement balanced",
                         "Engagement points carry %.0f%% of the spread of the current score "
                         "and %.0f%% of the fitted model's: the balance matches the data.",
                         100 * r->eng_share_cur, 100 * r->eng_share_new);
    }
    /* Diagnosis 3: do the current scores still mean what they did? */
    if (!st && r->cur && r->has_psi) {
        double v = r->psi.psi.psi;
        const char *level = v > PSI_MAJOR ? "a major shift" : v > PSI_MODERATE ? "a moderate shift"
                                                                                 : "stable";
        st = finding(r, v > PSI_MODERATE ? MQL_CALLOUT_WARNING : MQL_CALLOUT_GOOD,
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
    if (!st && r->cur && r->cur_all->date) {
        const mql_scored *s = r->cur_all;
        long q0 = LONG_MAX, q1 = LONG_MIN;
        for (size_t i = 0; i < s->n; i++) {
            long q = mql_quarter_index(s->date[i]);
            if (q == LONG_MIN)
                continue;
            q0 = q < q0 ? q : q0;
            q1 = q > q1 ? q : q1;
        }
        double pred[2] = {0, 0}, won[2] = {0, 0}, cnt[2] = {0, 0};
        for (size_t i = 0; q0 < q1 && i < s->n; i++) {
            long q = mql_quarter_index(s->date[i]);
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
            kv(r, "current_pred_first_quarter", pred[0], "%.1f%%", 100 * pred[0]);
            kv(r, "current_obs_first_quarter", won[0] / cnt[0], "%.1f%%", 100 * won[0] / cnt[0]);
            kv(r, "current_pred_last_quarter", pred[1], "%.1f%%", 100 * pred[1]);
            kv(r, "current_obs_last_quarter", won[1] / cnt[1], "%.1f%%", 100 * won[1] / cnt[1]);
            st = finding(r, off ? MQL_CALLOUT_WARNING : MQL_CALLOUT_GOOD,
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
    if (!st && r->cur && r->cur_sum.has_calib && !r->cur_s->prob_platt) {
        const mql_calib *c = &r->cur_sum.calib;
        char s[400];
        mql_eval_calib_sentence(&r->cur_sum, s, sizeof s);
        int off = fabs(c->slope - 1) > 0.2 || fabs(c->citl) > 0.2;
        st = finding(r, off ? MQL_CALLOUT_WARNING : MQL_CALLOUT_GOOD, "Current model calibration",
                     "Calibration intercept %.3f, slope %.3f: %s", c->citl, c->slope, s);
    } else if (!st && r->cur && r->cur_s->prob_platt) {
        st = finding(r, MQL_CALLOUT_INFO, "Current scores have no stated probability",
                     "The current rules file maps no score to a probability, so whether its "
                     "scores still mean what they did is judged by the score drift (PSI) "
                     "and by the first and latest quarter above, through an in-sample Platt "
                     "fit of won on its score.");
    }
    if (!st && r->new_sum.has_calib) {
        char s[400];
        mql_eval_calib_sentence(&r->new_sum, s, sizeof s);
        st = finding(r, MQL_CALLOUT_INFO, "New model calibration",
                     "On the %s leads: intercept %.3f, slope %.3f: %s",
                     r->role ? "evaluation" : "training (in-sample)", r->new_sum.calib.citl,
                     r->new_sum.calib.slope, s);
    }
    if (!st && r->cur) {
        double d = r->new_sum.auc.auc - r->cur_sum.auc.auc;
        st = finding(r, d > 0.01 ? MQL_CALLOUT_GOOD : MQL_CALLOUT_INFO, "New vs current model",
                     "AUC %.3f for the new model against %.3f for the current one (%+.3f): "
                     "%s", r->new_sum.auc.auc, r->cur_sum.auc.auc, d,
                     d > 0.01 ? "the new points rank won deals above lost ones more often."
                              : "no material gain in ranking; the case for switching rests "
                                "on calibration and volume.");
    }
    return st;
}

/* ---- files ---------------------------------------------------------------------------------- */

static int write_tab(review *r, const char *name, const mql_tab *t, mql_format fmt)
{
    if (!t)
        return MQL_OK;
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", r->tmp, name);
    FILE *f = fopen(path, "wb");
    if (!f) {
        cli_error("%s: cannot create: %s", path, strerror(errno));
        return MQL_EIO;
    }
    int bad = mql_tab_write(t, f, fmt) != 0;
    bad |= fclose(f) != 0;
    if (bad) {
        cli_error("%s: write error", path);
        return MQL_EIO;
    }
    return MQL_OK;
}

static FILE *open_out(review *r, const char *name, char *path, size_t cap)
{
    snprintf(path, cap, "%s/%s", r->tmp, name);
    FILE *f = fopen(path, "wb");
    if (!f)
        cli_error("%s: cannot create: %s", path, strerror(errno));
    return f;
}

static int close_out(FILE *f, const char *path, int bad)
{
    bad |= ferror(f) != 0;
    bad |= fclose(f) != 0;
    if (bad) {
        cli_error("%s: write error", path);
        return MQL_EIO;
    }
    return MQL_OK;
}

static int write_files(review *r)
{
    struct {
        const char *name;
        const mql_tab *t;
    } files[] = {
        {"summary.csv", r->kv},          {"columns.csv", r->ins.tab},
        {"thresholds.csv", r->t_thr},    {"thresholds_current.csv", r->t_thr_cur},
        {"calibration.csv", r->t_cal},   {"calibration_current.csv", r->t_cal_cur},
        {"bands.csv", r->t_bands},       {"gains.csv", r->t_gains},
        {"gains_current.csv", r->t_gains_cur}, {"histogram.csv", r->t_hist},
        {"grades.csv", r->t_grades},     {"psi.csv", r->t_psi},
        {"compare.csv", r->t_cmp},       {"migration.csv", r->t_mig},
        {"rules_diff.csv", r->t_rules_diff}, {"metrics.csv", r->t_metrics},
        {"metrics_current.csv", r->t_metrics_cur}, {"plan.csv", r->t_plan},
        {"plan_thresholds.csv", r->t_plan_thr},
    };
    int st;
    for (size_t k = 0; k < sizeof files / sizeof files[0]; k++)
        if ((st = write_tab(r, files[k].name, files[k].t, MQL_FMT_CSV)))
            return st;
    char path[4096];
    FILE *f;
    if (!(f = open_out(r, "model.json", path, sizeof path)))
        return MQL_EIO;
    int wst = mql_model_write(r->new_m, f, &r->err);
    if ((st = close_out(f, path, wst != MQL_OK)))
        return st;
    if (!(f = open_out(r, "rules.csv", path, sizeof path)))
        return MQL_EIO;
    if ((st = close_out(f, path, mql_points_write_csv(r->new_m->points, f) != 0)))
        return st;
    if (!(f = open_out(r, MARKER, path, sizeof path)))
        return MQL_EIO;
    fprintf(f, "mqlcal %s review of %s\n", MQL_VERSION, r->o->leads.path);
    return close_out(f, path, 0);
}

static int write_summary_md(review *r)
{
    char path[4096];
    FILE *f = open_out(r, "summary.md", path, sizeof path);
    if (!f)
        return MQL_EIO;
    fprintf(f, "# Lead-scoring review: %s\n\n", r->o->leads.path);
    fprintf(f, "%s.\n\n", r->split_text);
    fprintf(f, "## Recommendation\n\n%s\n\n", r->rec_text);
    fprintf(f, "## Findings\n\n");
    for (size_t k = 0; k < r->n_findings; k++) {
        char *s = mql_strdup(r->findings[k]);
        if (!s) {
            fclose(f);
            return oom();
        }
        char *t1 = strchr(s, '\t'), *t2 = t1 ? strchr(t1 + 1, '\t') : NULL;
        if (t1 && t2) {
            *t2 = '\0';
            fprintf(f, "- **%s.** %s\n", t1 + 1, t2 + 1);
        }
        free(s);
    }
    fprintf(f, "\n## Key figures\n\n");
    int bad = mql_tab_write(r->kv, f, MQL_FMT_MD) != 0;
    if (r->t_cmp) {
        fprintf(f, "\n## Current vs new model\n\n");
        bad |= mql_tab_write(r->t_cmp, f, MQL_FMT_MD) != 0;
    }
    if (r->t_plan) {
        char s[1024];
        mql_dplan_sentence(r->plan, s, sizeof s);
        fprintf(f, "\n## Plan\n\n%s\n\n", s);
        bad |= mql_tab_write(r->t_plan, f, MQL_FMT_MD) != 0;
    }
    fprintf(f, "\nEvery figure of index.html is in the CSV files of this directory "
               "(summary.csv holds the figures quoted in the text).\n");
    return close_out(f, path, bad);
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

static int html_models(review *r, mql_html *h)
{
    int st = mql_html_section(h, "models", "Current vs new model",
                              "How the model in production and the newly fitted one rank and "
                              "convert the same leads.");
    if (!r->cur)
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

static int html_thresholds(review *r, mql_html *h)
{
    const mql_bt_sweep *sw = r->new_sw;
    const mql_bt_row *rr = &sw->rows[r->rec];
    int st = mql_html_section(h, "thresholds", "Threshold trade-off",
                              "A lead is an MQL when its score reaches the threshold. Lower "
                              "thresholds send more leads to sales at a lower conversion rate.");
    st = st ? st : mql_html_callout(h, MQL_CALLOUT_INFO, "Recommendation", r->rec_text);
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
        size_t n_mk = 1;
        char lab2[64];
        if ((double)r->new_m->points->threshold != rr->threshold) {
            snprintf(lab2, sizeof lab2, "model's own: %ld", r->new_m->points->threshold);
            mk[1] = (mql_marker){(double)r->new_m->points->threshold, lab2};
            n_mk = 2;
        }
        mql_line_chart c = {.title = "Conversion, recall and MQL volume by threshold (new model)",
                            .source = "thresholds.csv",
                            .x = x, .n = n, .series = ser, .n_series = r->d.sql ? 4 : 3,
                            .x_axis = {.label = "threshold (points)", .fmt = MQL_AXIS_NUM},
                            .y_axis = {.label = "rate", .fmt = MQL_AXIS_PCT, .min = 0, .max = 1},
                            .y2_axis = {.label = "MQLs per month", .fmt = MQL_AXIS_INT,
                                        .from_zero = 1},
                            .markers = mk, .n_markers = n_mk,
                            .band_name = "shaded: 95% Wilson interval"};
        if (!r->d.sql) {
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
                                  "thresholds.csv", hl, "highlighted: the recommended threshold");
    mql_tab_free(t);
    st = st ? st : mql_html_table(h, r->t_bands, "Score bands of the new model", "bands.csv",
                                  MQL_HTML_NO_ROW, NULL);
    return st;
}

static int html_reliability(review *r, mql_html *h)
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

static int html_distribution(review *r, mql_html *h)
{
    int st = mql_html_section(h, "distribution", "Scores of won and lost leads",
                              "The further apart the two shapes, the better the score "
                              "separates deals from non-deals.");
    size_t n, n2, n3, n4;
    double *blo = tab_col(r->t_hist, "bin_lo", &n), *bhi = tab_col(r->t_hist, "bin_hi", &n2);
    double *ws = tab_col(r->t_hist, "won_share", &n3), *ls = tab_col(r->t_hist, "lost_share", &n4);
    double *edges = malloc((n + 1) * sizeof *edges);
    if (!blo || !bhi || !ws || !ls || !edges || n == 0) {
        st = st ? st : MQL_ENOMEM;
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

static int html_gains(review *r, mql_html *h)
{
    int st = mql_html_section(h, "gains", "Cumulative gains",
                              "Share of all won deals found in the best-scored leads: a steep "
                              "start means sales can work fewer leads and still reach most deals.");
    size_t n, n2;
    double *cl = tab_col(r->t_gains, "cum_leads", &n), *cw = tab_col(r->t_gains, "capture", &n2);
    double *x = malloc((n + 1) * sizeof *x), *y = malloc((n + 1) * sizeof *y);
    if (!cl || !cw || !x || !y || n == 0) {
        st = st ? st : MQL_ENOMEM;
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

static int html_grades(review *r, mql_html *h)
{
    int st = mql_html_section(h, "grades", "Fit x engagement grades",
                              "Leads graded A (best) to D by the fit sub-score (who they are) "
                              "and 1 (most) to 4 by the engagement sub-score (what they did), "
                              "each by quartile; each cell shows its leads and conversion to "
                              "won.");
    if (!(variance(r->new_s->eng, r->new_s->n) > 0) || !(variance(r->new_s->fit, r->new_s->n) > 0))
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
            pct(t2[k], sizeof t2[k], rate[k]);
            p1[k] = t1[k];
            p2[k] = t2[k];
        }
        static const char *const rl[] = {"A", "B", "C", "D"}, *const cl[] = {"1", "2", "3", "4"};
        mql_heatmap c = {.title = "Conversion to won by fit grade and engagement grade",
                         .source = "grades.csv", .n_rows = 4, .n_cols = 4,
                         .row_labels = rl, .col_labels = cl, .row_title = "fit grade",
                         .col_title = "engagement grade", .legend_label = "MQL-to-won",
                         .value = rate, .text1 = p1, .text2 = p2, .value_fmt = MQL_AXIS_PCT};
        st = st ? st : mql_html_heatmap(h, &c);
    }
    free(leads), free(rate);
    st = st ? st : mql_html_table(h, r->t_grades, "Grade cells", "grades.csv", MQL_HTML_NO_ROW,
                                  NULL);
    return st;
}

static int html_plan(review *r, mql_html *h)
{
    int st = mql_html_section(h, "plan", "Pipeline plan",
                              "From the revenue target back to the MQLs needed per month, with "
                              "the conversion rates taken from the evaluation leads at each "
                              "threshold unless given.");
    if (!r->plan)
        return st ? st : mql_html_para(h, "No plan was asked for (give --revenue and --acv).");
    char s[1024];
    mql_dplan_sentence(r->plan, s, sizeof s);
    st = st ? st : mql_html_callout(h, r->plan->pick.status == MQL_PICK_MET ? MQL_CALLOUT_GOOD
                                                                           : MQL_CALLOUT_WARNING,
                                    "Plan", s);
    st = st ? st : mql_html_table(h, r->t_plan, "The funnel at the plan's threshold", "plan.csv",
                                  MQL_HTML_NO_ROW, NULL);
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
                                  "plan_thresholds.csv", hl, "highlighted: the plan's threshold");
    mql_tab_free(sel);
    st = st ? st : mql_html_benchmark(h, "Plans commonly assume MQL-to-SQL of 13-27% and "
                                         "opportunity win rates of 20-30%; the figures above "
                                         "come from your data unless given as options.");
    return st;
}

static int write_html(review *r)
{
    char path[4096];
    FILE *f = open_out(r, "index.html", path, sizeof path);
    if (!f)
        return MQL_EIO;
    const mql_table *t = r->d.table;
    char sub[512];
    snprintf(sub, sizeof sub, "%s: %zu leads, outcome %s. %s.", r->o->leads.path, t->n_rows,
             r->d.outcome_label ? r->d.outcome_label : "", r->split_text);
    mql_html *h = mql_html_begin(f, "Lead-scoring review", sub);
    if (!h) {
        fclose(f);
        return oom();
    }
    static const char *const ids[] = {"diagnosis", "data", "models", "points", "thresholds",
                                      "reliability", "distribution", "gains", "grades", "plan"};
    static const char *const labels[] = {"Findings", "Data", "Current vs new", "Points table",
                                         "Thresholds", "Calibration", "Score distribution",
                                         "Gains", "Grades", "Plan"};
    mql_html_nav(h, ids, labels, 10);

    /* Findings */
    const mql_bt_row *rr = &r->new_sw->rows[r->rec];
    mql_html_section(h, "diagnosis", "Findings", "What the data says about the scoring model, "
                     "in plain terms; the evidence follows in the sections below.");
    char v[6][64], n[6][96];
    mql_kpi k[6];
    size_t nk = 0;
    snprintf(v[nk], sizeof v[nk], "%g", rr->threshold);
    if (isfinite(rr->mqls_per_month))
        snprintf(n[nk], sizeof n[nk], "%.1f MQLs/month", rr->mqls_per_month);
    else
        snprintf(n[nk], sizeof n[nk], "%zu MQLs (no --date: no monthly volume)", rr->mqls);
    k[nk] = (mql_kpi){"recommended threshold", v[nk], n[nk], 0}, nk++;
    if (isfinite(rr->sql_rate)) {
        pct(v[nk], sizeof v[nk], rr->sql_rate);
        snprintf(n[nk], sizeof n[nk], "MQL-to-won %.1f%%", 100 * rr->won_rate);
        k[nk] = (mql_kpi){"MQL-to-SQL at it", v[nk], n[nk], 0}, nk++;
    } else {
        pct(v[nk], sizeof v[nk], rr->won_rate);
        snprintf(n[nk], sizeof n[nk], "recall %.1f%%", 100 * rr->recall);
        k[nk] = (mql_kpi){"MQL-to-won at it", v[nk], n[nk], 0}, nk++;
    }
    snprintf(v[nk], sizeof v[nk], "%.3f", r->new_sum.auc.auc);
    snprintf(n[nk], sizeof n[nk], "%s", r->role ? "on the evaluation leads" : "in-sample");
    k[nk] = (mql_kpi){"AUC, new model", v[nk], n[nk], 0}, nk++;
    if (r->cur) {
        snprintf(v[nk], sizeof v[nk], "%.3f", r->cur_sum.auc.auc);
        snprintf(n[nk], sizeof n[nk], "threshold %ld", r->cur->points->threshold);
        k[nk] = (mql_kpi){"AUC, current model", v[nk], n[nk], 0}, nk++;
    }
    if (r->plan) {
        const mql_dplan_row *pr = &r->plan->rows[r->plan->pick.index];
        snprintf(v[nk], sizeof v[nk], "%.1f", pr->need);
        snprintf(n[nk], sizeof n[nk], "at threshold %g (history %.1f)", pr->threshold,
                 pr->mqls_per_month);
        k[nk] = (mql_kpi){"MQLs/month the plan needs", v[nk], n[nk], 0}, nk++;
    }
    k[nk] = (mql_kpi){"MQL-to-SQL in practice", "13-27%", "commonly quoted band", 1}, nk++;
    mql_html_kpis(h, k, nk);
    mql_html_callout(h, MQL_CALLOUT_INFO, "Recommendation", r->rec_text);
    static const int order[] = {MQL_CALLOUT_WARNING, MQL_CALLOUT_INFO, MQL_CALLOUT_GOOD};
    for (size_t q = 0; q < 3 * r->n_findings; q++) {
        if (atoi(r->findings[q % r->n_findings]) != order[q / r->n_findings])
            continue;
        char *s = mql_strdup(r->findings[q % r->n_findings]);
        if (!s)
            break;
        char *t1 = strchr(s, '\t'), *t2 = t1 ? strchr(t1 + 1, '\t') : NULL;
        if (t1 && t2) {
            *t1 = *t2 = '\0';
            mql_html_callout(h, (mql_callout_kind)atoi(s), t1 + 1, t2 + 1);
        }
        free(s);
    }
    mql_html_benchmark(h, "MQL-to-SQL of 13-27% is the band commonly quoted in B2B practice; "
                          "PSI below 0.1 is read as stable and above 0.25 as a major shift. "
                          "These are rules of thumb, not properties of your data.");

    /* Data */
    mql_html_section(h, "data", "The data", NULL);
    const mql_bt_totals *tot = &r->new_sw->totals;
    mql_html_paraf(h, "%zu leads in %s (%zu columns); %zu won on the evaluation leads, a base "
                   "rate of %.1f%%. %s.", t->n_rows, r->o->leads.path, t->n_cols, tot->won,
                   100 * tot->base_won_rate, r->split_text);
    if (tot->n_censored)
        mql_html_callout(h, MQL_CALLOUT_WARNING, "Censored leads",
                         (snprintf(sub, sizeof sub, "%zu evaluation leads are younger than "
                                   "--maturity %ld days at the data's end: too young to have "
                                   "converted, they count in MQL volumes but not in any rate.",
                                   tot->n_censored, r->o->maturity), sub));
    if (r->n_leak) {
        char s[800];
        snprintf(s, sizeof s, "Left out of the new model as leakage suspects: %s (%s).",
                 r->leak_names, cli_leak_rule);
        mql_html_callout(h, MQL_CALLOUT_WARNING, "Leakage suspects", s);
    }
    if (r->refit_l2) {
        char s[1400];
        snprintf(s, sizeof s, "The plain fit separates (%s). The review refitted with a ridge "
                 "penalty --l2 1 so it could complete; give --l2 explicitly to choose another "
                 "value.", r->sep_text);
        mql_html_callout(h, MQL_CALLOUT_WARNING, "Separation: refitted with --l2 1", s);
    }
    for (size_t q = 0; q < r->diag.n_warnings; q++)
        mql_html_callout(h, MQL_CALLOUT_WARNING, "Fit warning", r->diag.warnings[q]);
    /* Skipped columns and profile notes in one box. */
    {
        size_t cap = 64, o = 0;
        for (size_t q = 0; q < r->diag.n_notes; q++)
            cap += strlen(r->diag.notes[q]) + 3;
        for (size_t q = 0; q < r->ins.n_warn; q++)
            cap += strlen(r->ins.warn[q]) + 3;
        char *s = malloc(cap);
        if (s) {
            s[0] = '\0';
            for (size_t q = 0; q < r->ins.n_warn; q++)
                o += (size_t)snprintf(s + o, cap - o, "%s%s", o ? "; " : "", r->ins.warn[q]);
            for (size_t q = 0; q < r->diag.n_notes; q++)
                o += (size_t)snprintf(s + o, cap - o, "%s%s", o ? "; " : "", r->diag.notes[q]);
            if (o)
                mql_html_callout(h, MQL_CALLOUT_INFO, "Columns skipped or flagged", s);
            free(s);
        }
    }
    mql_html_table(h, r->ins.tab, "Columns of the export", "columns.csv", MQL_HTML_NO_ROW, NULL);

    int st = html_models(r, h);
    st = st ? st : mql_html_section(h, "points", "The new points table",
                                    "The rules to enter in the marketing-automation tool. Each "
                                    "lead scores the points of every rule it matches.");
    if (!st) {
        char s[256];
        snprintf(s, sizeof s, "MQL threshold of the new model: %ld points; fitted on %zu leads%s.",
                 r->new_m->points->threshold, r->n_train,
                 r->new_m->l2 > 0 ? " with a ridge penalty" : "");
        st = mql_html_para(h, s);
    }
    st = st ? st : mql_html_table(h, r->t_rules, "Points rules", "rules.csv", MQL_HTML_NO_ROW,
                                  NULL);
    st = st ? st : html_thresholds(r, h);
    st = st ? st : html_reliability(r, h);
    st = st ? st : html_distribution(r, h);
    st = st ? st : html_gains(r, h);
    st = st ? st : html_grades(r, h);
    st = st ? st : html_plan(r, h);
    if (st) {
        mql_html_free(h);
        fclose(f);
        return st == MQL_ENOMEM ? oom() : st;
    }
    char footer[256];
    snprintf(footer, sizeof footer, "mqlcal %s. Every figure on this page is in a CSV file "
             "beside it; key figures quoted in the text are in summary.csv.", MQL_VERSION);
    st = mql_html_end(h, footer, &r->err);
    if (st) {
        cli_error("%s: %s", path, r->err.msg);
        fclose(f);
        return st;
    }
    return close_out(f, path, 0);
}

/* ================================================================================================ */

static void review_free(review *r)
{
    cli_inspect_free(&r->ins);
    cli_data_free(&r->d);
    free(r->role);
    mql_table_free(r->train_t);
    mql_table_free(r->eval_t);
    free(r->y_train), free(r->y_eval), free(r->sql_eval), free(r->w), free(r->w_train);
    mql_model_free(r->cur);
    mql_model_free(r->new_m);
    mql_fit_diag_clear(&r->diag);
    mql_scored_free(r->cur_s), mql_scored_free(r->new_s), mql_scored_free(r->cur_all);
    mql_compare_free(r->cmp);
    mql_bt_sweep_free(r->new_sw), mql_bt_sweep_free(r->cur_sw);
    mql_dplan_free(r->plan);
    mql_tab *tabs[] = {r->kv, r->t_thr, r->t_thr_cur, r->t_cal, r->t_cal_cur, r->t_bands,
                       r->t_gains, r->t_gains_cur, r->t_hist, r->t_grades, r->t_psi, r->t_cmp,
                       r->t_mig, r->t_rules_diff, r->t_rules, r->t_metrics, r->t_metrics_cur,
                       r->t_plan, r->t_plan_thr, r->t_split};
    for (size_t k = 0; k < sizeof tabs / sizeof tabs[0]; k++)
        mql_tab_free(tabs[k]);
    for (size_t k = 0; k < r->n_findings; k++)
        free(r->findings[k]);
    free(r->findings);
    free(r->tmp);
}

int cmd_review(int argc, char **argv)
{
    review_opts o = {0};
    cli_fit_opts_init(&o.fit);
    review r = {0};
    r.o = &o;
    mql_fit_diag_init(&r.diag);
    int st = parse_args(argc, argv, &o);
    if (st) {
        cli_fit_opts_clear(&o.fit);
        return st < 0 ? MQL_OK : st;
    }
    if ((st = check_dir(&o)))
        goto done;
    if ((st = cli_leads_load(&o.leads, &r.d, 1)) || (st = cli_inspect_columns(&r.d, &r.ins)) ||
        (st = cli_fit_prepare(&o.fit, &r.d, &r.w)))
        goto done;
    if (o.current && (st = cli_model_load(o.current, &r.cur)))
        goto done;
    if ((st = step_leakage(&r)) || (st = step_split(&r)) || (st = step_fit(&r)) ||
        (st = step_evaluate(&r)) || (st = step_tables(&r)) || (st = step_findings(&r)))
        goto done;
    /* Everything is computed: now write, beside DIR. */
    size_t n = strlen(o.dir) + 16;
    if (!(r.tmp = malloc(n))) {
        st = oom();
        goto done;
    }
    snprintf(r.tmp, n, "%s.tmp-XXXXXX", o.dir);
    while (n > 0 && r.tmp[0] && r.tmp[strlen(r.tmp) - 1] == '/')
        r.tmp[strlen(r.tmp) - 1] = '\0';
    if (mkdir_parents(o.dir) != 0 || !mkdtemp(r.tmp)) {
        cli_error("%s: cannot create the report directory beside it: %s", o.dir,
                  strerror(errno));
        free(r.tmp);
        r.tmp = NULL;
        st = MQL_EIO;
        goto done;
    }
    /* mkdtemp makes the directory private; give it the permissions of a plain mkdir. */
    mode_t mask = umask(0);
    umask(mask);
    chmod(r.tmp, 0777 & ~mask);
    if ((st = write_files(&r)) || (st = write_summary_md(&r)) || (st = write_html(&r)) ||
        (st = install_dir(&o, r.tmp))) {
        rm_rf(r.tmp);
        goto done;
    }
    const mql_bt_row *rr = &r.new_sw->rows[r.rec];
    printf("review written to %s/index.html\n", o.dir);
    printf("new model AUC %.3f%s; recommended threshold %g: ", r.new_sum.auc.auc,
           r.role ? " (evaluation leads)" : " (in-sample)", rr->threshold);
    if (isfinite(rr->mqls_per_month))
        printf("%.1f MQLs/month", rr->mqls_per_month);
    else
        printf("%zu MQLs", rr->mqls);
    printf(", MQL-to-won %.1f%%\n", 100 * rr->won_rate);
    if (r.refit_l2)
        cli_warn("the plain fit separates; refitted with --l2 1 (see the report)");
    if (fflush(stdout) != 0 || ferror(stdout)) {
        cli_error("cannot write to standard output");
        st = MQL_EIO;
    }
done:
    review_free(&r);
    cli_fit_opts_clear(&o.fit);
    return st;
}
