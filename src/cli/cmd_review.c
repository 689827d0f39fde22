/* cmd_review.c: `mqlcal review`: the quarterly review in one run (DESIGN section 6). Parses the
 * options, loads and profiles the leads, runs the pipeline (review.c), writes the report
 * (report_review.c) into a directory beside DIR that replaces DIR only once it is complete, and
 * prints the outcome. */
#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "activity.h"
#include "mqlcal/leakage.h"
#include "mqlcal/report_review.h"
#include "mqlcal/review.h"

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
            "The quarterly review in one run: profiles and screens the export (leakage suspects\n"
            "and identifier-like numbers are left out of the new model unless --keep names\n"
            "them, and the first findings say so with the evidence), scores it with the\n"
            "current model, fits a new logistic model\n"
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
            "                       holds " MQL_REVIEW_MARKER "); any other DIR needs --force, and "
            "is then\n"
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
            "%s"
            "  with --activity the report adds a section on engagement decay: each event type's\n"
            "  half-life (fitted or stated), points against event age (decay.csv), and how many\n"
            "  open leads are MQLs at the data's end only because their engagement never faded\n"
            "\n"
            "Method: without --l2 or --firth, a plain fit that separates (or has fewer than 10\n"
            "events per parameter) is refitted by Firth's penalized likelihood with the FLIC\n"
            "intercept, and the report says which and why.\n"
            "\n"
            "exit codes: 0 ok, 1 invalid data (e.g. a feature of the current model missing from\n"
            "the leads), 2 usage (including an existing non-review DIR without --force), 3 I/O,\n"
            "4 no convergence; on any failure DIR is left untouched\n",
            cli_leads_usage, cli_fit_usage, cli_activity_usage);
}

typedef struct review_opts {
    cli_leads leads;
    cli_activity act;
    cli_fit_opts fit;
    cli_plan_opts plan;
    const char *dir, *current, *train_until, *holdout, *capacity_s;
    int force, l2_given, has_plan;
    double capacity, holdout_f;
    long maturity, train_day;         /* --train-until as days since 1970-01-01 */
    mql_dplan_in plan_in;
} review_opts;

/* The options of review (cli_match_fn). */
static int match(void *vo, int argc, char **argv, int *i)
{
    review_opts *o = vo;
    const char *a = argv[*i];
    if (strcmp(a, "--force") == 0) {
        o->force = 1;
        (*i)++;
        return 1;
    }
    if (strncmp(a, "--l2", 4) == 0 && (a[4] == '\0' || a[4] == '='))
        o->l2_given = 1;
    int r = cli_plan_opt(&o->plan, argc, argv, i);
    if (r == 0)
        r = cli_leads_opt(&o->leads, argc, argv, i);
    if (r == 0)
        r = cli_activity_opt(&o->act, argc, argv, i);
    if (r == 0)
        r = cli_fit_opt(&o->fit, argc, argv, i);
    if (r == 0)
        r = cli_opt(argc, argv, i, "-o", &o->dir);
    if (r == 0)
        r = cli_opt(argc, argv, i, "--current", &o->current);
    if (r == 0)
        r = cli_opt(argc, argv, i, "--train-until", &o->train_until);
    if (r == 0)
        r = cli_opt(argc, argv, i, "--holdout-last", &o->holdout);
    if (r == 0)
        r = cli_opt(argc, argv, i, "--capacity", &o->capacity_s);
    if (r == 0)
        r = cli_maturity_opt(argc, argv, i, &o->maturity);
    return r;
}

static int parse_args(int argc, char **argv, review_opts *o)
{
    cli_pos pos = {.cmd = "review", .expect = "LEADS.csv", .min = 1, .max = 1};
    int st = cli_parse(argc, argv, usage, match, o, &pos);
    if (st)
        return st;
    o->leads.path = pos.v[0];
    o->leads.activity = o->act.path;
    if ((st = cli_require_outcome("review", &o->leads)))
        return st;
    if (!o->dir || !o->dir[0] || strcmp(o->dir, "-") == 0) {
        cli_error("review: -o DIR is required (the report directory)");
        return MQL_EUSAGE;
    }
    if (o->train_until && o->holdout) {
        cli_error("review: --train-until and --holdout-last are alternatives; give one");
        return MQL_EUSAGE;
    }
    if (o->train_until) {
        double day;
        int has_time;
        if (mql_date_parse(o->train_until, strlen(o->train_until), &day, &has_time) ||
            has_time) {
            cli_error("--train-until: '%s' is not a date YYYY-MM-DD", o->train_until);
            return MQL_EUSAGE;
        }
        o->train_day = (long)floor(day);
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
    if ((o->maturity > 0 || o->train_until) &&
        (st = cli_require_date("review", o->train_until ? "--train-until" : "--maturity",
                               &o->leads)))
        return st;
    const cli_plan_opts *p = &o->plan;
    o->has_plan = p->revenue || p->win || p->s2o || p->m2s || p->period || p->cycle || p->start;
    const char *acv_col = NULL;
    if (o->has_plan) {
        if ((st = cli_plan_build(&o->plan, 1, &o->plan_in, &acv_col)))
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
    const char *need[2];
    size_t n_need = 0;
    if (o->capacity_s)
        need[n_need++] = "--capacity";
    if (o->has_plan)
        need[n_need++] = "the plan (--revenue)";
    if ((st = cli_check_needs("review", &o->leads, need, n_need,
                              o->has_plan ? &o->plan_in : NULL)))
        return st;
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
    if ((size_t)snprintf(path, sizeof path, "%s/%s", dir, MQL_REVIEW_MARKER) >= sizeof path)
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
                  "use --force to replace it (it is moved aside, not deleted)", o->dir,
                  MQL_REVIEW_MARKER);
        return MQL_EUSAGE;
    }
    return MQL_OK;
}

/* fsyncs every file of directory dir (one level: the report is flat) and dir itself, so the
 * report is on disk before the rename that publishes it. Returns 0 or -1 (errno set). */
static int sync_dir_files(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d)
        return -1;
    int rc = 0;
    struct dirent *e;
    while ((e = readdir(d)) && rc == 0) {
        if (e->d_name[0] == '.' && (!e->d_name[1] || (e->d_name[1] == '.' && !e->d_name[2])))
            continue;
        size_t n = strlen(dir) + strlen(e->d_name) + 2;
        char *sub = malloc(n);
        if (!sub) {
            errno = ENOMEM;
            rc = -1;
            break;
        }
        snprintf(sub, n, "%s/%s", dir, e->d_name);
        struct stat sb;
        if (lstat(sub, &sb) == 0 && S_ISREG(sb.st_mode))
            rc = cli_fsync_path(sub);
        free(sub);
    }
    closedir(d);
    return rc ? rc : cli_fsync_path(dir);
}

/* What was in DIR before (now at old): an earlier review is removed, anything else (--force) is
 * kept as DIR.old-XXXXXX and named. */
static void dispose_old(const review_opts *o, int state, const char *old)
{
    if (state == 1) {
        if (rm_rf(old) != 0)
            cli_warn("could not remove the previous report %s", old);
        return;
    }
    size_t n = strlen(o->dir) + 16;
    char *kept = malloc(n);
    if (kept) {
        snprintf(kept, n, "%s.old-XXXXXX", o->dir);
        /* mkdtemp makes an empty directory that rename() may replace atomically. */
        if (mkdtemp(kept) && rename(old, kept) == 0)
            cli_warn("the previous contents of %s are in %s", o->dir, kept);
        else
            cli_warn("the previous contents of %s are in %s", o->dir, old);
    }
    free(kept);
}

/* Moves the finished tmp directory to o->dir. When DIR exists the two are exchanged in one
 * step (renameat2 RENAME_EXCHANGE), so DIR never goes missing; where the system cannot, the old
 * DIR is renamed aside first (DIR is then briefly absent). An earlier review is removed once
 * the new one is in place; a forced non-review directory is kept as DIR.old-XXXXXX. */
static int install_dir(const review_opts *o, const char *tmp)
{
    int st = check_dir(o);
    if (st)
        return st;
    if (sync_dir_files(tmp) != 0) {
        cli_error("%s: cannot write the report to disk: %s", o->dir, strerror(errno));
        return MQL_EIO;
    }
    int s = dir_state(o->dir);
    if (s != 0) {
        /* from here tmp may hold the old DIR, which a signal must not remove */
        cli_tmp_forget(tmp);
        if (cli_dir_exchange(tmp, o->dir) == 0) {
            cli_fsync_parent(o->dir);
            dispose_old(o, s, tmp);
            return MQL_OK;
        }
        if (errno != ENOSYS && errno != EINVAL && errno != ENOTSUP) {
            cli_error("%s: cannot move the new report into place: %s", o->dir, strerror(errno));
            cli_tmp_register(tmp, 1);
            return MQL_EIO;
        }
        cli_tmp_register(tmp, 1);
    }
    char *old = NULL;
    if (s != 0) {
        size_t n = strlen(o->dir) + 16;
        if (!(old = malloc(n)))
            return MQL_ENOMEM;
        snprintf(old, n, "%s.old-XXXXXX", o->dir);
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
    cli_tmp_forget(tmp);
    cli_fsync_parent(o->dir);
    if (old)
        dispose_old(o, s, old);
    free(old);
    return MQL_OK;
}

/* ================================================================================================
 * the run
 * ============================================================================================== */

/* Creates the temporary directory beside o->dir (DIR.mqlcal-tmp-PID-XXXXXX, with the permissions
 * of a plain mkdir; removed on SIGINT / SIGTERM). Returns its malloc'd path, or NULL after printing the error (*st set). */
static char *make_tmp_dir(const review_opts *o, int *st)
{
    char *dir = mql_strdup(o->dir);
    while (dir && dir[0] && dir[1] && dir[strlen(dir) - 1] == '/')
        dir[strlen(dir) - 1] = '\0';
    char *tmp = dir ? cli_tmp_name(dir) : NULL;
    free(dir);
    if (!tmp) {
        cli_error("out of memory");
        *st = MQL_ENOMEM;
        return NULL;
    }
    if (mkdir_parents(o->dir) != 0 || !mkdtemp(tmp)) {
        cli_error("%s: cannot create the report directory beside it: %s", o->dir,
                  strerror(errno));
        free(tmp);
        *st = MQL_EIO;
        return NULL;
    }
    /* mkdtemp makes the directory private; give it the permissions of a plain mkdir. */
    mode_t mask = umask(0);
    umask(mask);
    chmod(tmp, 0777 & ~mask);
    cli_tmp_register(tmp, 1);
    return tmp;
}

int cmd_review(int argc, char **argv)
{
    review_opts o = {0};
    cli_fit_opts_init(&o.fit);
    cli_data d = {0};
    cli_activity_run act = {0};
    mql_review_decay rd = {0};
    const char **dnames = NULL;
    cli_inspect ins = {0};
    double *w = NULL;
    unsigned char *screen_rows = NULL;
    mql_model *cur = NULL;
    mql_review *r = NULL;
    char *tmp = NULL;
    mql_err err;
    int st = parse_args(argc, argv, &o);
    if (st) {
        cli_fit_opts_clear(&o.fit);
        return st < 0 ? MQL_OK : st;
    }
    if ((st = check_dir(&o)))
        goto done;
    cli_reuse_freed_memory();
    /* With a split the screening sees the training leads only: the evaluation leads must not
     * decide which columns the new model leaves out. */
    if ((st = cli_leads_load(&o.leads, &d, 1)) ||
        (st = cli_activity_apply(&o.act, &o.leads, &d, NULL, &o.fit, &act)) ||
        ((o.train_until || o.holdout) &&
         (st = cli_train_rows(&d, o.train_until != NULL, o.train_day, o.holdout_f,
                              &screen_rows))))
        goto done;
    o.fit.screen_rows = screen_rows;
    cli_phase("read");
    if ((st = cli_fit_prepare(&o.fit, &d, &w)) ||
        (st = cli_inspect_columns(&d, o.fit.screen, &ins)) ||
        (st = cli_activity_fit(&act, &d, &o.fit)))
        goto done;
    if (o.current && (st = cli_model_load(o.current, &cur)))
        goto done;
    char created[32];
    mql_review_spec spec = {
        .file = o.leads.path, .table = d.table, .y = d.y, .sql = d.sql,
        .date_col = d.date_col, .acv_col = d.acv_col, .w = w,
        .outcome_label = d.outcome_label,
        .outcome_column = o.leads.outcome, .sql_column = o.leads.sql,
        .acv_column = o.leads.acv, .date_column = o.leads.date, .weight_column = o.fit.weight,
        .columns = ins.tab, .column_notes = (const char *const *)ins.warn,
        .n_column_notes = ins.n_warn, .feature = d.feature, .screen = o.fit.screen,
        .keep = o.fit.keep_col,
        .current = cur, .design = &o.fit.design, .glm = o.fit.glm, .l2_given = o.l2_given,
        .points = o.fit.points, .created = cli_source_date(created, sizeof created),
        .split = o.train_until ? MQL_REVIEW_TRAIN_UNTIL
                 : o.holdout   ? MQL_REVIEW_HOLDOUT_LAST
                               : MQL_REVIEW_IN_SAMPLE,
        .train_until = o.train_day, .holdout = o.holdout_f, .maturity = o.maturity,
        .open = d.open, .open_label = d.open_label, .months = d.months,
        .capacity = o.capacity_s ? o.capacity : 0, .plan = o.has_plan ? &o.plan_in : NULL};
    cli_phase("screen");
    if ((st = mql_review_run(&spec, &r, &err))) {
        cli_error("%s", err.msg);
        goto done;
    }
    cli_phase("review");
    if (cli_timings()) {
        static const char *const step[] = {"leakage", "split", "fit", "evaluate", "tables",
                                           "findings"};
        for (size_t k = 0; k < 6; k++)
            fprintf(stderr, "mqlcal: timing:   review %-9s %7.3f s wall %7.3f s CPU\n",
                    step[k], r->step_seconds[k], r->step_cpu[k]);
    }
    if (act.data) {
        /* The decays travel with the new model; the report gets its decay section. */
        const mql_activity_data *ad = act.data;
        if ((st = cli_activity_annotate(&act, &d, r->model)) ||
            (st = cli_activity_stale(&act, &d, r->model->points, act.setup.snap.end_day,
                                     &rd.n_mql, &rd.n_stale)))
            goto done;
        if (!(dnames = calloc(ad->n_types ? ad->n_types : 1, sizeof *dnames))) {
            cli_error("out of memory");
            st = MQL_ENOMEM;
            goto done;
        }
        for (size_t k = 0; k < ad->n_types; k++)
            dnames[k] = d.table->cols[ad->first_col + k].name;
        rd.n = ad->n_types;
        rd.feature = dnames;
        rd.decay = ad->decay;
        if (act.fitted) {
            rd.fit = act.report.fits;
            rd.fitted = act.fit_mask;
            rd.logloss_none = act.report.logloss_none;
            rd.logloss_window = act.report.logloss_window;
            rd.logloss_fitted = act.report.logloss_fitted;
        }
        mql_date_format(act.setup.snap.end_day, 0, rd.as_of, sizeof rd.as_of);
        r->decay = &rd;
    }
    /* Everything is computed: now write, beside DIR, and move it into place. */
    if (!(tmp = make_tmp_dir(&o, &st)))
        goto done;
    if ((st = mql_review_write_dir(r, tmp, &err))) {
        cli_error("%s", err.msg);
        rm_rf(tmp);
        cli_tmp_forget(tmp);
        goto done;
    }
    if ((st = install_dir(&o, tmp))) {
        rm_rf(tmp);
        cli_tmp_forget(tmp);
        goto done;
    }
    const mql_bt_row *rr = &r->new_sw->rows[r->rec];
    printf("review written to %s/index.html\n", o.dir);
    /* What to read before any figure, in the report's order. */
    for (size_t k = 0; k < r->n_findings; k++)
        if (r->findings[k].lead)
            printf("%s: %s\n", r->findings[k].title, r->findings[k].text);
    if (r->new_sum.has_auc)
        printf("new model AUC %.3f", r->new_sum.auc.auc);
    else
        printf("new model AUC %s", r->new_sum.few_msg);
    printf(" (%s%s%s); ", r->role ? "evaluation leads" : "in-sample",
           r->new_sum.has_auc && r->new_sum.few ? "; " : "",
           r->new_sum.has_auc && r->new_sum.few ? r->new_sum.few_note : "");
    if (!r->has_rec) {
        printf("no recommended threshold (%s)\n", r->no_rec_why);
    } else {
        printf("recommended threshold %g: ", rr->threshold);
        if (isfinite(rr->mqls_per_month))
            printf("%.1f MQLs/month", rr->mqls_per_month);
        else
            printf("%zu MQLs", rr->mqls);
        if (isfinite(rr->won_rate))
            printf(", MQL-to-won %.1f%%\n", 100 * rr->won_rate);
        else
            printf(", MQL-to-won n/a (no rated MQL)\n");
    }
    for (size_t k = 0; k < r->n_warnings; k++)
        cli_warn("%s", r->warnings[k]);
    if (fflush(stdout) != 0 || ferror(stdout)) {
        cli_error("cannot write to standard output");
        st = MQL_EIO;
    }
done:
    free(tmp);
    free(screen_rows);
    mql_review_free(r);
    free(dnames);
    cli_activity_run_free(&act);
    mql_model_free(cur);
    free(w);
    cli_inspect_free(&ins);
    cli_data_free(&d);
    cli_fit_opts_clear(&o.fit);
    return st;
}
