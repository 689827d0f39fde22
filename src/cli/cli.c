/* cli.c: what the subcommands share: messages on stderr, option matching, comma-separated lists,
 * the fit and plan options, models, points tables and report output. The lead-file options and
 * their loading are in leads.c. */
#include "cli.h"
#include "mqlcal/table_ops.h"

#include "mqlcal/firth.h"

#include <errno.h>
#include <limits.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "mqlcal/leakage.h"
#include "mqlcal/screen_cache.h"
#include "mqlcal/model.h"
#include "mqlcal/points.h"
#include "mqlcal/table_cache.h"
#include "mqlcal/table_ops.h"

void cli_error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("mqlcal: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}

void cli_warn(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("mqlcal: warning: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}

/* MQLCAL_TIMINGS=1: each call prints the wall and CPU seconds since the previous call (or the
 * process start) on stderr, labelled with the phase that just ended (README "Speed"). */
int cli_timings(void)
{
    static int on = -1;
    if (on < 0) {
        const char *e = getenv("MQLCAL_TIMINGS");
        on = e && *e && strcmp(e, "0") != 0;
    }
    return on;
}

void cli_reuse_freed_memory(void)
{
#ifdef __GLIBC__
    /* Blocks up to 1 GiB come from the heap (not each its own mapping, unmapped when freed),
     * and the heap's free top is kept up to 2 GiB. */
    mallopt(M_MMAP_THRESHOLD, 1 << 30);
    mallopt(M_TRIM_THRESHOLD, INT_MAX);
#endif
}

void cli_phase(const char *done)
{
    static double wall0 = -1, cpu0 = 0;
    if (!cli_timings())
        return;
    struct timespec w, c;
    clock_gettime(CLOCK_MONOTONIC, &w);
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &c);
    double wall = (double)w.tv_sec + 1e-9 * (double)w.tv_nsec;
    double cpu = (double)c.tv_sec + 1e-9 * (double)c.tv_nsec;
    struct rusage ru;
    long peak_kb = getrusage(RUSAGE_SELF, &ru) == 0 ? ru.ru_maxrss : 0;
    if (wall0 >= 0 && done)
        fprintf(stderr, "mqlcal: timing: %-12s %7.3f s wall %7.3f s CPU  peak %ld MB\n", done,
                wall - wall0, cpu - cpu0, peak_kb / 1024);
    wall0 = wall;
    cpu0 = cpu;
}

int cli_opt(int argc, char **argv, int *i, const char *name, const char **val)
{
    const char *a = argv[*i];
    size_t n = strlen(name);
    if (strncmp(a, name, n) != 0)
        return 0;
    if (a[n] == '=') {
        *val = a + n + 1;
        (*i)++;
        return 1;
    }
    if (a[n] != '\0')
        return 0;
    if (*i + 1 >= argc) {
        cli_error("%s needs a value", name);
        return -1;
    }
    *val = argv[*i + 1];
    *i += 2;
    return 1;
}

int cli_is_help(const char *a)
{
    return strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0;
}

int cli_format_opt(int argc, char **argv, int *i, mql_format *fmt, int with_md)
{
    const char *val;
    int r = cli_opt(argc, argv, i, "--format", &val);
    if (r <= 0)
        return r;
    if (mql_format_parse(val, fmt) || (!with_md && *fmt == MQL_FMT_MD)) {
        cli_error("--format: expected %s, got '%s'",
                  with_md ? "table, csv, json or md" : "table, csv or json", val);
        return -1;
    }
    return 1;
}

int cli_maturity_opt(int argc, char **argv, int *i, long *days)
{
    const char *val;
    int r = cli_opt(argc, argv, i, "--maturity", &val);
    if (r <= 0)
        return r;
    if (mql_parse_long(val, 0, 36500, days)) {
        cli_error("--maturity: expected whole days from 0 to 36500, got '%s'", val);
        return -1;
    }
    return 1;
}

/* ---- positional arguments ---- */

int cli_pos_take(cli_pos *p, char **argv, int *i)
{
    const char *a = argv[*i];
    if (a[0] == '-' && a[1] != '\0') {
        cli_error("%s: unknown option '%s' (see 'mqlcal %s --help')", p->cmd, a, p->cmd);
        return MQL_EUSAGE;
    }
    if (p->n >= p->max || (size_t)p->n >= sizeof p->v / sizeof p->v[0]) {
        /* Most often the rest of an option's value, split by the shell at a blank. */
        char hint[300] = "";
        const char *prev = *i >= 1 ? argv[*i - 1] : "", *opt = *i >= 2 ? argv[*i - 2] : "";
        size_t pl = strlen(prev);
        if (opt[0] == '-' && opt[1] == '-' && pl && prev[pl - 1] == ',')
            snprintf(hint, sizeof hint,
                     "; a list takes no blank after its commas: %.60s %.60s%.60s", opt, prev, a);
        else if (opt[0] == '-' && opt[1] == '-' && prev[0] != '-' && !strpbrk(a, "./"))
            snprintf(hint, sizeof hint, "; if it is part of the value of %.60s, quote the value: "
                     "%.60s '%.60s %.60s'", opt, opt, prev, a);
        if (p->expect)
            cli_error("%s: unexpected argument '%s': expected %s%s (see 'mqlcal %s --help')",
                      p->cmd, a, p->expect, hint, p->cmd);
        else
            cli_error("%s: unexpected argument '%s'%s (see 'mqlcal %s --help')", p->cmd, a, hint,
                      p->cmd);
        return MQL_EUSAGE;
    }
    p->v[p->n++] = a;
    (*i)++;
    return MQL_OK;
}

int cli_pos_check(const cli_pos *p)
{
    if (p->n >= p->min)
        return MQL_OK;
    if (p->n == 0)
        cli_error("%s: expected %s, got no file (see 'mqlcal %s --help')", p->cmd, p->expect,
                  p->cmd);
    else
        cli_error("%s: expected %s, got %d file%s (see 'mqlcal %s --help')", p->cmd, p->expect,
                  p->n, p->n == 1 ? "" : "s", p->cmd);
    return MQL_EUSAGE;
}

int cli_parse(int argc, char **argv, void (*usage)(FILE *), cli_match_fn match, void *opts,
              cli_pos *pos)
{
    for (int i = 1; i < argc;) {
        if (cli_is_help(argv[i])) {
            usage(stdout);
            return -1;
        }
        int r = match(opts, argc, argv, &i);
        if (r < 0 || (r == 0 && cli_pos_take(pos, argv, &i)))
            return MQL_EUSAGE;
    }
    return cli_pos_check(pos);
}

/* ---- comma-separated lists ---- */

void cli_names_free(cli_names *l)
{
    for (size_t k = 0; k < l->n; k++)
        free(l->v[k]);
    free(l->v);
    l->v = NULL;
    l->n = 0;
}

int cli_names_split(const char *s, cli_names *l)
{
    l->v = NULL;
    l->n = 0;
    if (!s)
        return 0;
    size_t cap = 1;
    for (const char *p = s; *p; p++)
        cap += *p == ',';
    if (!(l->v = calloc(cap, sizeof *l->v)))
        return -1;
    const char *p = s;
    for (;;) {
        const char *e = strchr(p, ',');
        size_t n = e ? (size_t)(e - p) : strlen(p);
        while (n && (*p == ' ' || *p == '\t'))
            p++, n--;
        while (n && (p[n - 1] == ' ' || p[n - 1] == '\t'))
            n--;
        if (!(l->v[l->n++] = mql_strndup(p, n))) {
            cli_names_free(l);
            return -1;
        }
        if (!e)
            break;
        p = e + 1;
    }
    return 0;
}

/* ---- design and fit options (fit, backtest, review) ---- */

const char *const cli_fit_usage =
    "design options:\n"
    "  --min-level-count N  categorical levels with fewer than N rows pool into\n"
    "                       '(other)' (default 10; 0 keeps every level)\n"
    "  --reference R        reference levels: 'frequent' (default: the most frequent\n"
    "                       level), 'first' (byte order, as R), or COL=LEVEL (repeatable)\n"
    "  --bins N | COL=N     quantile bins for numeric columns instead of a linear term\n"
    "  --cuts COL=a,b,c     explicit bin edges for a numeric column (repeatable)\n"
    "  --fit LIST           columns forced into the fit (who the lead is) group\n"
    "  --engagement LIST    columns forced into the engagement (what it did) group\n"
    "                       (otherwise the group follows the column's name and values;\n"
    "                       `fit` and the review show each column's group and why)\n"
    "  --keep LIST          keep these columns as features although screening flags them\n"
    "                       (identifier-like numbers; leakage suspects in `review`)\n"
    "  --interactions auto | A:B[,C:D]\n"
    "                       two-way interactions among categorical, boolean and binned\n"
    "                       features. auto: every fit x fit and fit x engagement pair is\n"
    "                       screened by a likelihood-ratio test (Holm, family-wise 5%) and\n"
    "                       kept only if it also lowers the 5-fold held-out log loss; A:B\n"
    "                       adds that pair. Kept ones become compound rules.\n"
    "Missing cells are a level of their own ('(missing)'); a numeric column's missing\n"
    "cells get an indicator term and 0 in the linear term.\n"
    "\n"
    "fit options:\n"
    "  --l2 LAMBDA          ridge penalty LAMBDA * sum(beta^2) on every coefficient but\n"
    "                       the intercept (default 0: plain maximum likelihood)\n"
    "  --firth              Firth's penalized likelihood (Jeffreys prior): finite estimates\n"
    "                       under separation, less small-sample bias; SEs from the\n"
    "                       penalized information, profile penalized-likelihood intervals\n"
    "                       and LR p-values (see --profile). Not with --l2\n"
    "  --no-flic            with --firth: keep Firth's intercept (default: FLIC, the\n"
    "                       intercept refitted so the mean prediction is the event rate)\n"
    "  --profile WHEN       with --firth: profile intervals and LR tests 'auto' (default:\n"
    "                       up to 10,000 rows; Wald intervals above), 'always' or 'never'\n"
    "  --max-iter N         IRLS iterations (default 25, as R; --firth: up to 4N Newton\n"
    "                       steps, converged when every step is below 1e-8 standard errors)\n"
    "  --tol T              convergence: |dev - dev_old| / (|dev| + 0.1) < T (default 1e-8;\n"
    "                       plain and ridge fits)\n"
    "  --weight COL         frequency weights (a count per row, >= 0): aggregated rows\n"
    "                       give the same fit as the raw rows\n"
    "\n"
    "points options (the integer points table made from the fit):\n"
    "  --max-points N       scale so the best possible lead scores about N points above\n"
    "                       the baseline lead (10 to 100000; default 100 x the fit's\n"
    "                       strength: the full 100 from a training AUC of 0.75, fewer\n"
    "                       below, at most 10 when the likelihood-ratio test is not\n"
    "                       significant at 5%)\n"
    "  --pdo N              points that double the odds of winning, 1 to 10000 (overrides\n"
    "                       --max-points)\n"
    "  --threshold N        the MQL threshold (default: the score whose probability is\n"
    "                       closest to the one at twice the training leads' average odds,\n"
    "                       2p / (1 + p) for a base rate p, within the training scores)\n"
    "  --cap-total N        the platform caps the total score at N (HubSpot: 100): the\n"
    "                       scale is chosen so at most 1% of training leads reach a cap,\n"
    "                       and the cap cost (AUC, log loss) is reported\n"
    "  --cap-fit N, --cap-engagement N   caps on the fit / engagement sub-scores\n"
    "  --full-check         self-check every training lead through the exported rules\n"
    "                       (default: every lead up to 100,000 leads; above, every level,\n"
    "                       the leads either side of every cut and 10,000 random leads)\n";

void cli_fit_opts_init(cli_fit_opts *o)
{
    memset(o, 0, sizeof *o);
    mql_design_opts_init(&o->design);
    mql_glm_opts_default(&o->glm);
    mql_points_opts_default(&o->points);
}

void cli_fit_opts_clear(cli_fit_opts *o)
{
    mql_design_opts_clear(&o->design);
    mql_screen_free(o->screen);
    o->screen = NULL;
    free(o->keep_col);
    o->keep_col = NULL;
    free((char *)o->cache.dir);
    o->cache.dir = NULL;
    o->glm.cache = NULL;
    o->points.cache = NULL;
}

/* Prints a design-option parser's error. */
static int design_opt(int st, const mql_err *err)
{
    if (st)
        cli_error("%s", err->msg);
    return st;
}

/* A --cap-* value: a whole number of points >= 1. */
static int cap_opt(const char *name, const char *val, long *cap)
{
    if (mql_parse_long(val, 1, 1000000, cap) == 0)
        return MQL_OK;
    cli_error("%s: expected a whole number of points from 1 to 1000000, got '%s'", name, val);
    return MQL_EUSAGE;
}

int cli_fit_opt(cli_fit_opts *o, int argc, char **argv, int *i)
{
    mql_err err;
    const char *val;
    int r, st = MQL_OK;
    if ((r = cli_opt(argc, argv, i, "--min-level-count", &val)) > 0)
        st = design_opt(mql_design_opts_parse_min_level_count(&o->design, val, &err), &err);
    else if (r == 0 && (r = cli_opt(argc, argv, i, "--reference", &val)) > 0)
        st = design_opt(mql_design_opts_parse_reference(&o->design, val, &err), &err);
    else if (r == 0 && (r = cli_opt(argc, argv, i, "--bins", &val)) > 0)
        st = design_opt(mql_design_opts_parse_bins(&o->design, val, &err), &err);
    else if (r == 0 && (r = cli_opt(argc, argv, i, "--cuts", &val)) > 0)
        st = design_opt(mql_design_opts_parse_cuts(&o->design, val, &err), &err);
    else if (r == 0 && (r = cli_opt(argc, argv, i, "--fit", &val)) > 0)
        st = design_opt(mql_design_opts_parse_group(&o->design, MQL_GROUP_FIT, val, &err), &err);
    else if (r == 0 && (r = cli_opt(argc, argv, i, "--engagement", &val)) > 0)
        st = design_opt(mql_design_opts_parse_group(&o->design, MQL_GROUP_ENGAGEMENT, val, &err),
                        &err);
    else if (r == 0 && (r = cli_opt(argc, argv, i, "--interactions", &val)) > 0)
        st = design_opt(mql_design_opts_parse_interactions(&o->design, val, &err), &err);
    else if (r == 0 && (r = cli_opt(argc, argv, i, "--cap-total", &val)) > 0)
        st = cap_opt("--cap-total", val, &o->points.cap_total);
    else if (r == 0 && (r = cli_opt(argc, argv, i, "--cap-fit", &val)) > 0)
        st = cap_opt("--cap-fit", val, &o->points.cap_fit);
    else if (r == 0 && (r = cli_opt(argc, argv, i, "--cap-engagement", &val)) > 0) {
        st = cap_opt("--cap-engagement", val, &o->points.cap_engagement);
    } else if (r == 0 && (r = cli_opt(argc, argv, i, "--l2", &val)) > 0) {
        if (mql_parse_double(val, &o->glm.l2) || o->glm.l2 < 0) {
            cli_error("--l2: expected a number >= 0, got '%s'", val);
            st = MQL_EUSAGE;
        }
    } else if (r == 0 && strcmp(argv[*i], "--firth") == 0) {
        o->glm.method = MQL_GLM_METHOD_FIRTH;
        (*i)++;
        r = 1;
    } else if (r == 0 && strcmp(argv[*i], "--full-check") == 0) {
        o->points.full_check = 1;
        (*i)++;
        r = 1;
    } else if (r == 0 && strcmp(argv[*i], "--no-flic") == 0) {
        o->glm.flic = 0;
        o->no_flic = 1;
        (*i)++;
        r = 1;
    } else if (r == 0 && (r = cli_opt(argc, argv, i, "--profile", &val)) > 0) {
        if (strcmp(val, "auto") == 0)
            o->glm.profile = MQL_FIRTH_PROFILE_AUTO;
        else if (strcmp(val, "always") == 0)
            o->glm.profile = MQL_FIRTH_PROFILE_ON;
        else if (strcmp(val, "never") == 0)
            o->glm.profile = MQL_FIRTH_PROFILE_OFF;
        else {
            cli_error("--profile: expected auto, always or never, got '%s'", val);
            st = MQL_EUSAGE;
        }
        o->profile_given = 1;
    } else if (r == 0 && (r = cli_opt(argc, argv, i, "--max-iter", &val)) > 0) {
        long n;
        if (mql_parse_long(val, 1, 10000, &n)) {
            cli_error("--max-iter: expected an integer from 1 to 10000, got '%s'", val);
            st = MQL_EUSAGE;
        } else {
            o->glm.max_iter = (int)n;
        }
    } else if (r == 0 && (r = cli_opt(argc, argv, i, "--tol", &val)) > 0) {
        if (mql_parse_double(val, &o->glm.tol) || !(o->glm.tol > 0 && o->glm.tol < 1)) {
            cli_error("--tol: expected a number between 0 and 1 (exclusive), got '%s'", val);
            st = MQL_EUSAGE;
        }
    } else if (r == 0 && (r = cli_opt(argc, argv, i, "--weight", &val)) > 0) {
        o->weight = val;
    } else if (r == 0 && (r = cli_opt(argc, argv, i, "--keep", &val)) > 0) {
        o->keep = val;
    } else if (r == 0 && (r = cli_opt(argc, argv, i, "--pdo", &val)) > 0) {
        if (mql_parse_double(val, &o->points.pdo) || !(o->points.pdo >= MQL_PDO_MIN) ||
            !(o->points.pdo <= MQL_PDO_MAX)) {
            cli_error("--pdo: expected a number of points from %g to %g, got '%s'", MQL_PDO_MIN,
                      MQL_PDO_MAX, val);
            st = MQL_EUSAGE;
        }
        o->points.by_strength = 0;
    } else if (r == 0 && (r = cli_opt(argc, argv, i, "--max-points", &val)) > 0) {
        if (mql_parse_double(val, &o->points.max_points) ||
            !(o->points.max_points >= MQL_MAX_POINTS_MIN) ||
            !(o->points.max_points <= MQL_MAX_POINTS_MAX)) {
            cli_error("--max-points: expected a number of points from %g to %g, got '%s'",
                      MQL_MAX_POINTS_MIN, MQL_MAX_POINTS_MAX, val);
            st = MQL_EUSAGE;
        }
        o->points.by_strength = 0;
    } else if (r == 0 && (r = cli_opt(argc, argv, i, "--threshold", &val)) > 0) {
        if (mql_parse_long(val, -1000000, 1000000, &o->points.threshold)) {
            cli_error("--threshold: expected a whole number of points, got '%s'", val);
            st = MQL_EUSAGE;
        }
    }
    if (r < 0 || st)
        return -1;
    return r;
}

int cli_fit_opts_finish(cli_fit_opts *o, const cli_leads *l)
{
    mql_err err;
    if (o->glm.method == MQL_GLM_METHOD_FIRTH && o->glm.l2 > 0) {
        cli_error("--firth and --l2 exclude each other: choose one penalty");
        return MQL_EUSAGE;
    }
    if (o->glm.method != MQL_GLM_METHOD_FIRTH && (o->no_flic || o->profile_given)) {
        cli_error("%s only applies with --firth", o->no_flic ? "--no-flic" : "--profile");
        return MQL_EUSAGE;
    }
    if ((l->features &&
         design_opt(mql_design_opts_parse_features(&o->design, l->features, &err), &err)) ||
        (l->exclude &&
         design_opt(mql_design_opts_parse_exclude(&o->design, l->exclude, &err), &err)))
        return MQL_EUSAGE;
    free((char *)o->cache.dir);
    cli_cache_opts(l, &o->cache);
    o->glm.cache = &o->cache;
    o->points.cache = &o->cache;
    return MQL_OK;
}

/* Frequency weights from column name: numeric, finite, >= 0, no missing cell. */
static int load_weights(const mql_table *t, const char *name, double **out)
{
    mql_err err;
    long j;
    if (mql_table_require(t, name, &j, &err)) {
        cli_error("--weight: %s", err.msg);
        return MQL_EUSAGE;
    }
    const mql_column *c = &t->cols[j];
    if (c->type != MQL_COL_NUMERIC && c->type != MQL_COL_BOOLEAN) {
        cli_error("--weight: column '%s' is %s, not numeric", name, mql_coltype_name(c->type));
        return MQL_EDATA;
    }
    double *w = malloc((t->n_rows ? t->n_rows : 1) * sizeof *w);
    if (!w) {
        cli_error("out of memory");
        return MQL_ENOMEM;
    }
    for (size_t i = 0; i < t->n_rows; i++) {
        w[i] = c->num[i];
        if (!(w[i] >= 0) || !isfinite(w[i])) {
            cli_error("%s: row %zu: column '%s': weight %s; weights must be counts >= 0",
                      t->source, i + 1, name, isnan(w[i]) ? "is missing" : "is negative");
            free(w);
            return MQL_EDATA;
        }
    }
    *out = w;
    return MQL_OK;
}

/* The screening and --keep of cli_fit_prepare: o->screen, o->keep_col, and identifier-like
 * columns into the design's skip list. */
static int screen_prepare(cli_fit_opts *o, const cli_data *d, const long *roles, size_t n_roles)
{
    const mql_table *t = d->table;
    size_t nc = t->n_cols ? t->n_cols : 1;
    unsigned char *role = calloc(nc, 1);
    cli_names keep = {0};
    mql_err err;
    int st = MQL_OK;
    if (!role || !(o->keep_col = calloc(nc, 1)) || cli_names_split(o->keep, &keep)) {
        cli_error("out of memory");
        st = MQL_ENOMEM;
        goto done;
    }
    for (size_t k = 0; k < keep.n; k++) {
        long j = mql_table_find(t, keep.v[k]);
        if (j < 0) {
            cli_error("--keep: no column '%s' in %s", keep.v[k], t->source);
            st = MQL_EUSAGE;
            goto done;
        }
        o->keep_col[j] = 1;
    }
    for (size_t j = 0; j < t->n_cols; j++)
        for (size_t k = 0; k < o->design.n_features; k++)
            if (strcmp(o->design.features[k], t->cols[j].name) == 0)
                o->keep_col[j] = 1;
    for (size_t k = 0; k < n_roles; k++)
        if (roles[k] >= 0)
            role[roles[k]] = 1;
    /* with screen_rows, the training leads only, as a table of their own would be screened */
    mql_cache_result cres;
    if ((st = mql_screen_run_cached(t, o->screen_rows, d->y, d->date_col, role, &o->cache,
                                    &o->screen, &cres, &err))) {
        cli_error("%s", err.msg);
        goto done;
    }
    cli_cache_note("screen", cres);
    for (size_t j = 0; j < t->n_cols && !st; j++) {
        const mql_screen_col *c = &o->screen->col[j];
        if (!(c->flags & MQL_SCREEN_IDLIKE) || o->keep_col[j] || !d->feature[j])
            continue;
        /* The identifier evidence is the text after "identifier-like: ". */
        const char *why = strstr(c->evidence, "identifier-like: ");
        char buf[700];
        snprintf(buf, sizeof buf, "identifier-like (%s)",
                 why ? why + strlen("identifier-like: ") : c->evidence);
        if ((st = mql_design_opts_add_skip(&o->design, t->cols[j].name, buf, &err)))
            cli_error("%s", err.msg);
    }
done:
    free(role);
    cli_names_free(&keep);
    return st;
}

int cli_fit_prepare(cli_fit_opts *o, const cli_data *d, double **w)
{
    mql_err err;
    int st;
    *w = NULL;
    if (o->weight && d->count_col >= 0) {
        cli_error("--weight and --count both say how many leads a row stands for: give one");
        return MQL_EUSAGE;
    }
    if (o->weight && (st = load_weights(d->table, o->weight, w)))
        return st;
    const long roles[] = {d->outcome_col, d->sql_col, d->date_col, d->acv_col, d->key_col,
                          d->count_col, o->weight ? mql_table_find(d->table, o->weight) : -1};
    for (size_t k = 0; k < sizeof roles / sizeof roles[0]; k++)
        if (roles[k] >= 0 &&
            (st = mql_design_opts_add_role(&o->design, d->table->cols[roles[k]].name, &err))) {
            cli_error("%s", err.msg);
            free(*w);
            *w = NULL;
            return st;
        }
    if ((st = screen_prepare(o, d, roles, sizeof roles / sizeof roles[0]))) {
        free(*w);
        *w = NULL;
    }
    return st;
}

/* ---- models ---- */

const mql_na_list *cli_model_na(const mql_model *m)
{
    return m && m->points && m->points->na.v ? &m->points->na : NULL;
}

int cli_model_load(const char *path, mql_model **out)
{
    mql_err err;
    int st = mql_model_load_any(path, out, &err);
    if (st) {
        cli_error("%s", err.msg);
        return st;
    }
    if (!(*out)->points) {
        cli_error("%s: the model has no points table (refit it with 'mqlcal fit -o')", path);
        mql_model_free(*out);
        *out = NULL;
        return MQL_EDATA;
    }
    return MQL_OK;
}

int cli_model_save(const char *path, const mql_model *m)
{
    cli_out out;
    mql_err err;
    int st = cli_out_open(&out, path);
    if (st)
        return st;
    int wst = mql_model_write(m, out.f, &err);
    if (wst)
        cli_error("%s: %s", path, err.msg);
    st = cli_out_close(&out, wst == MQL_OK);
    return wst ? wst : st;
}

const char *cli_source_date(char *buf, size_t cap)
{
    const char *sde = getenv("SOURCE_DATE_EPOCH");
    long epoch;
    if (!sde || mql_parse_long(sde, 0, 253402300799L, &epoch) != 0)
        return NULL;
    time_t tt = (time_t)epoch;
    struct tm tmv;
    if (!gmtime_r(&tt, &tmv) || !strftime(buf, cap, "%Y-%m-%dT%H:%M:%SZ", &tmv))
        return NULL;
    return buf;
}

int cli_model_restamp(mql_model *m)
{
    if (mql_model_stamp_now(m) != MQL_OK) {
        cli_error("out of memory");
        return MQL_ENOMEM;
    }
    return cli_model_stamp(m);
}

int cli_model_stamp(mql_model *m)
{
    char buf[32];
    if (!cli_source_date(buf, sizeof buf))
        return MQL_OK;
    char *c = mql_strdup(buf);
    if (!c) {
        cli_error("out of memory");
        return MQL_ENOMEM;
    }
    free(m->created);
    m->created = c;
    return MQL_OK;
}

/* ---- plan options (plan, review) ---- */

/* Parses "0.25", "25%", optionally followed by ",LO,HI" in the same units. Returns 0 or -1. */
static int parse_fraction(const char *s, double *out)
{
    char buf[64];
    size_t n = strlen(s);
    if (n == 0 || n >= sizeof buf)
        return -1;
    memcpy(buf, s, n + 1);
    double scale = 1.0;
    if (buf[n - 1] == '%') {
        buf[n - 1] = '\0';
        scale = 0.01;
    }
    if (mql_parse_double(buf, out) != 0)
        return -1;
    *out *= scale;
    return 0;
}

static int parse_rate(const char *opt, const char *s, mql_rate *r)
{
    char buf[192];
    if (strlen(s) >= sizeof buf) {
        cli_error("%s: value too long", opt);
        return MQL_EUSAGE;
    }
    memcpy(buf, s, strlen(s) + 1);
    char *parts[3] = {buf, NULL, NULL};
    size_t k = 1;
    for (char *c = buf; *c; c++)
        if (*c == ',') {
            if (k == 3)
                goto bad;
            *c = '\0';
            parts[k++] = c + 1;
        }
    if (k == 2)
        goto bad;
    memset(r, 0, sizeof *r);
    if (parse_fraction(parts[0], &r->value) != 0)
        goto bad;
    if (k == 3) {
        if (parse_fraction(parts[1], &r->lo) != 0 || parse_fraction(parts[2], &r->hi) != 0)
            goto bad;
        r->has_interval = 1;
    }
    return MQL_OK;
bad:
    cli_error("%s: '%s' is not a rate (use 0.25, 25%% or RATE,LO,HI such as 25%%,20%%,31%%)", opt,
              s);
    return MQL_EUSAGE;
}

static int parse_number(const char *opt, const char *s, double *out)
{
    if (mql_parse_double(s, out) != 0) {
        cli_error("%s: '%s' is not a number", opt, s);
        return MQL_EUSAGE;
    }
    return MQL_OK;
}

int cli_plan_opt(cli_plan_opts *o, int argc, char **argv, int *i)
{
    struct {
        const char *name;
        const char **dst;
    } opts[] = {{"--revenue", &o->revenue},   {"--acv", &o->acv},
                {"--win-rate", &o->win},      {"--sql-to-opp", &o->s2o},
                {"--mql-to-sql", &o->m2s},    {"--period", &o->period},
                {"--cycle-days", &o->cycle},  {"--start", &o->start}};
    for (size_t k = 0; k < sizeof opts / sizeof opts[0]; k++) {
        int r = cli_opt(argc, argv, i, opts[k].name, opts[k].dst);
        if (r)
            return r;
    }
    return 0;
}

int cli_plan_build(const cli_plan_opts *o, int data, mql_dplan_in *in, const char **acv_col)
{
    memset(in, 0, sizeof *in);
    if (acv_col)
        *acv_col = NULL;
    int st;
    if (!data) {
        const char *need[][2] = {{"--revenue", o->revenue},   {"--acv", o->acv},
                                 {"--win-rate", o->win},      {"--sql-to-opp", o->s2o},
                                 {"--mql-to-sql", o->m2s}};
        for (size_t k = 0; k < sizeof need / sizeof need[0]; k++)
            if (!need[k][1]) {
                cli_error("plan: %s is required (see 'mqlcal plan --help')", need[k][0]);
                return MQL_EUSAGE;
            }
    } else {
        if (!o->revenue) {
            cli_error("plan: --revenue is required");
            return MQL_EUSAGE;
        }
        if (!o->acv) {
            cli_error("plan: --acv is required: a number, or the column of won deals' values");
            return MQL_EUSAGE;
        }
        if (!o->win != !o->s2o) {
            cli_error("plan: --win-rate and --sql-to-opp go together (give both, or neither to "
                      "take SQL-to-won from the data)");
            return MQL_EUSAGE;
        }
    }
    mql_funnel_in *b = &in->base;
    if ((st = parse_number("--revenue", o->revenue, &b->revenue)))
        return st;
    double acv;
    if (data && mql_parse_double(o->acv, &acv) != 0) {
        *acv_col = o->acv;
    } else {
        if ((st = parse_number("--acv", o->acv, &b->acv)))
            return st;
        in->acv_given = 1;
    }
    if (o->win && (st = parse_rate("--win-rate", o->win, &b->win_rate)))
        return st;
    if (o->s2o && (st = parse_rate("--sql-to-opp", o->s2o, &b->sql_to_opp)))
        return st;
    if (o->m2s && (st = parse_rate("--mql-to-sql", o->m2s, &b->mql_to_sql)))
        return st;
    in->m2s_given = o->m2s != NULL;
    in->s2w_given = o->win != NULL;
    b->period = MQL_PERIOD_MONTH;
    if (o->period) {
        if (strcmp(o->period, "month") == 0)
            b->period = MQL_PERIOD_MONTH;
        else if (strcmp(o->period, "quarter") == 0)
            b->period = MQL_PERIOD_QUARTER;
        else {
            cli_error("--period: '%s' is not month or quarter", o->period);
            return MQL_EUSAGE;
        }
    }
    if (o->cycle) {
        long d;
        if (mql_parse_long(o->cycle, 0, 3650, &d) != 0) {
            cli_error("--cycle-days: '%s' is not a whole number of days from 0 to 3650", o->cycle);
            return MQL_EUSAGE;
        }
        b->cycle_days = d;
        b->has_cycle = 1;
    }
    if (o->start) {
        double day;
        int has_time;
        if (mql_date_parse(o->start, strlen(o->start), &day, &has_time) != 0 || has_time) {
            cli_error("--start: '%s' is not a date YYYY-MM-DD", o->start);
            return MQL_EUSAGE;
        }
        b->start_day = (long)floor(day);
        b->has_start = 1;
    }
    /* Validate the values now (data rates stand in as 1), before any data is read. */
    mql_funnel_in probe = *b;
    if (!in->acv_given)
        probe.acv = 1;
    if (!in->s2w_given)
        probe.win_rate = probe.sql_to_opp = (mql_rate){.value = 1};
    if (!in->m2s_given)
        probe.mql_to_sql = (mql_rate){.value = 1};
    mql_funnel_out fo;
    mql_err err;
    if ((st = mql_funnel_compute(&probe, &fo, &err))) {
        cli_error("%s", err.msg);
        return st;
    }
    return MQL_OK;
}

/* ---- models: the points only ---- */

int cli_model_points(const char *path, struct mql_points **out)
{
    mql_model *m = NULL;
    *out = NULL;
    int st = cli_model_load(path, &m);
    if (st)
        return st;
    *out = m->points;
    m->points = NULL;
    mql_model_free(m);
    return MQL_OK;
}

/* ---- points tables ---- */

int cli_points_print(FILE *f, const mql_points *m, mql_format fmt, const char *few)
{
    few = few ? few : "";
    static const char *const names[] = {"group", "rule", "points"};
    mql_tab *t = mql_tab_new(3, names);
    int bad = !t;
    for (size_t i = 0; t && i < m->n_rules; i++) {
        const mql_rule *r = &m->rules[i];
        char words[512];
        bad |= mql_tab_row(t) || mql_tab_add_str(t, r->group == MQL_GROUP_ENGAGEMENT
                                                        ? "engagement" : "fit");
        bad |= mql_tab_add_str(t, mql_rule_text(r, words, sizeof words));
        bad |= mql_tab_add_fmt(t, "%+ld", r->points);
    }
    if (!bad)
        bad |= mql_tab_write(t, f, fmt) != 0;
    mql_tab_free(t);
    if (bad)
        return -1;
    const char *nl = fmt == MQL_FMT_MD ? "\n\n" : "\n";
    fprintf(f, "\nMQL when score >= %ld%s", m->threshold, nl);
    if (m->threshold_rule)
        fprintf(f, "threshold: %s%s", m->threshold_rule, nl);
    if (mql_points_has_caps(m)) {
        fputs("caps (applied after summing each group, negative points included):", f);
        if (m->cap_fit != MQL_NO_CAP)
            fprintf(f, " fit at most %ld;", m->cap_fit);
        if (m->cap_engagement != MQL_NO_CAP)
            fprintf(f, " engagement at most %ld;", m->cap_engagement);
        if (m->cap_total != MQL_NO_CAP)
            fprintf(f, " total at most %ld;", m->cap_total);
        fputs(nl, f);
    }
    long smin, smax;
    mql_points_range(m, &smin, &smax);
    fprintf(f, "scores range from %ld to %ld%s", smin, smax, nl);
    if (m->has_map && m->map_method && strcmp(m->map_method, "isotonic") != 0)
        fprintf(f, "P(won | score) = 1 / (1 + exp(-(%.6g + %.6g * score)))%s", m->map_a,
                m->map_b, nl);
    if (isfinite(m->pdo))
        fprintf(f, "%.3g points double the odds of winning%s", m->pdo, nl);
    for (size_t i = 0; i < m->n_bands; i++) {
        const mql_band *b = &m->bands[i];
        char lo[32], hi[32];
        snprintf(lo, sizeof lo, "%ld", b->lo);
        snprintf(hi, sizeof hi, "%ld", b->hi);
        if (b->lo == LONG_MIN)
            fprintf(f, "band %s: %s and below", b->name, hi);
        else if (b->hi == LONG_MAX)
            fprintf(f, "band %s: %s and above", b->name, lo);
        else
            fprintf(f, "band %s: %s to %s", b->name, lo, hi);
        if (!isnan(b->p_lo))
            fprintf(f, " (P(won) %.1f%% to %.1f%%)", 100 * b->p_lo, 100 * b->p_hi);
        fputs(nl, f);
    }
    if (isfinite(m->auc_exact))
        fprintf(f, "rounding cost on the training leads: AUC %.4f -> %.4f%s, log loss %.4f "
                   "-> %.4f%s", m->auc_exact, m->auc_points, few, m->logloss_exact,
                m->logloss_points, nl);
    if (isfinite(m->auc_capped))
        fprintf(f, "cap cost on the training leads: AUC %.4f -> %.4f%s, log loss %.4f -> "
                   "%.4f (%.2f%% of leads capped)%s", m->auc_points, m->auc_capped, few,
                m->logloss_points, m->logloss_capped, 100 * m->share_capped, nl);
    return ferror(f) ? -1 : 0;
}

/* ---- report output ---- */

int cli_tab_print(FILE *f, mql_format fmt, const char *title, const mql_tab *t)
{
    if (fmt == MQL_FMT_MD)
        fprintf(f, "### %s\n\n", title);
    else
        fprintf(f, "%s:\n", title);
    int rc = mql_tab_write(t, f, fmt == MQL_FMT_MD ? MQL_FMT_MD : MQL_FMT_TABLE);
    fputc('\n', f);
    return rc || ferror(f) ? -1 : 0;
}

static void json_key(cli_json *j, const char *key)
{
    fputs(j->n++ ? ",\n" : "\n", j->f);
    json_t *k = json_string(key);
    if (k)
        json_dumpf(k, j->f, JSON_ENCODE_ANY);
    json_decref(k);
    fputs(": ", j->f);
}

void cli_json_begin(cli_json *j, FILE *f)
{
    j->f = f;
    j->n = 0;
    fputc('{', f);
}

void cli_json_tab(cli_json *j, const char *key, const mql_tab *t)
{
    json_key(j, key);
    mql_tab_write(t, j->f, MQL_FMT_JSON);
}

void cli_json_str(cli_json *j, const char *key, const char *s)
{
    json_key(j, key);
    json_t *v = s ? json_string(s) : json_null();
    json_dumpf(v ? v : json_null(), j->f, JSON_ENCODE_ANY);
    json_decref(v);
}

void cli_json_num(cli_json *j, const char *key, double v)
{
    json_key(j, key);
    if (isfinite(v))
        fprintf(j->f, "%.17g", v);
    else
        fputs("null", j->f);
}

void cli_json_end(cli_json *j)
{
    fputs("\n}\n", j->f);
}
