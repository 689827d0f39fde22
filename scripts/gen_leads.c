/* gen_leads.c: deterministic synthetic B2B lead export (HubSpot / Salesforce style) with known true
 * logistic weights, for datasets/synthetic-leads.csv, the tests and the benchmarks (scripts/bench).
 *
 *   gen_leads --rows N --seed S [--start 2024-01-01 --quarters 8] [--weights FILE] -o FILE
 *   gen_leads --rows N --seed S --numeric K [--weights FILE] -o FILE     (K numeric columns + outcome)
 *   gen_leads --rows N --seed S --activity EVENTS [--half-lives 14,60] [--as-of-days 30]
 *             [--event-rate R] -o FILE
 *             (leads + an activity log whose two event types decay with known half-lives)
 *   gen_leads ... --interaction W      (lead export with a true two-way interaction, see below)
 *
 * closed_won ~ Bernoulli(logistic(eta)) with eta linear in the features exactly as mqlcal's default
 * encoding fits them (treatment coding against the most frequent level, missing as its own level,
 * booleans as one indicator, numerics linear with missing employees imputed 0 plus an indicator),
 * so a fit on the file recovers the weights written by --weights. Two deliberate departures from
 * that model, documented in datasets/SOURCE-synthetic.md: a mild drift of the intercept by quarter
 * and maturity censoring of leads created in the last CYCLE_DAYS days of the window. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <gsl/gsl_errno.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>

#include "mqlcal/common.h"

#define CYCLE_DAYS 45        /* days from lead to closed deal: younger leads are censored */
#define SQL_CYCLE_DAYS 20    /* days from lead to SQL */
#define DRIFT_PER_QUARTER (-0.04)  /* volume grows, quality dilutes: intercept shift per quarter */
#define SQL_SHIFT 1.7        /* logit(P(SQL)) = eta + SQL_SHIFT: about 22 % SQL */

/* ---------------------------------------------------------------------------------------------
 * True model. Categorical levels are listed reference first; the reference is by construction the
 * most frequent level (checked in main), so mqlcal's default coding uses the same reference. */

typedef struct level {
    const char *text;    /* as written in the CSV ("" = empty cell) */
    const char *term;    /* level name in the term "column=level" */
    double share;        /* marginal share of rows */
    double weight;       /* true coefficient against the reference */
} level;

static const level job_levels[] = {
    {"Manager", "Manager", 0.33, 0.0},
    {"Individual Contributor", "Individual Contributor", 0.24, -0.6},
    {"Director", "Director", 0.17, 0.8},
    {"VP", "VP", 0.09, 1.2},
    {"Student", "Student", 0.07, -2.0},
    {"C-Level", "C-Level", 0.06, 1.0},
    {"Select", "(missing)", 0.04, -0.4},   /* the form's placeholder: a missing answer */
};

static const level industries[] = {
    {"Software", "Software", 0.30, 0.0},
    {"Financial Services", "Financial Services", 0.14, 0.3},
    {"Manufacturing", "Manufacturing", 0.12, -0.2},
    {"Healthcare", "Healthcare", 0.11, 0.1},
    {"Other", "Other", 0.095, -0.4},
    {"Retail", "Retail", 0.09, -0.3},
    {"Education", "Education", 0.07, -0.7},
    {"\"Media, Entertainment\"", "Media, Entertainment", 0.06, -0.15},
    {"unknown", "(missing)", 0.015, -0.3},
};

static const level sources[] = {
    {"Organic Search", "Organic Search", 0.28, 0.0},
    {"Paid Search", "Paid Search", 0.18, -0.2},
    {"Content Syndication", "Content Syndication", 0.14, -0.6},
    {"Webinar", "Webinar", 0.12, 0.3},
    {"Event", "Event", 0.10, 0.4},
    {"Outbound", "Outbound", 0.10, -0.3},
    {"Referral", "Referral", 0.08, 0.9},
};

/* email_domain_type depends on job_level (students mostly have student addresses); the shares are
 * conditional, the overall order business > personal > student holds. */
static const level domains[] = {
    {"business", "business", 0.0, 0.0},
    {"personal", "personal", 0.0, -0.5},
    {"student", "student", 0.0, -1.5},
};
static const double domain_share_student[] = {0.05, 0.20, 0.75};
static const double domain_share_other[] = {0.74, 0.23, 0.03};

#define NLEV(a) (sizeof(a) / sizeof((a)[0]))

static const double w_intercept = -3.3;
static const double w_case_study = 0.5;
static const double w_webinar = 0.4;
static const double w_employees = 0.00005;        /* per employee: +0.5 at 10,000 */
static const double w_employees_missing = -0.25;
static const double w_pricing = 0.25;
static const double w_content = 0.12;
static const double w_opens = 0.03;
static const double w_clicks = 0.10;
static const double w_days_inactive = -0.006;     /* per day: -1.1 after six months */

#define EMP_MISSING_SHARE 0.03

/* --interaction W: a model with a true two-way interaction, in the shape the textbook MQL rule
 * "Director or above at a company with 100+ employees" describes. employees enters as a step
 * (w_emp_large at 100 or more employees, instead of the linear term), and a lead that is Director,
 * VP or C-Level at 100+ employees gets W more. So mqlcal's design with --cuts employees=100 and
 * the job_level x employees interaction is the true model: the terms
 * job_level=Director:employees=[100,inf) (and VP, C-Level) have weight W, every other
 * interaction term 0. W = 0 gives the same main effects without an interaction. Without the
 * option the generator draws exactly as before (the bundled dataset is reproduced byte for
 * byte: the random draws are the same, only eta differs under the option). */
#define EMP_STEP 100
static const double w_emp_large = 0.35;

/* ---------------------------------------------------------------------------------------------
 * Buffered output: the generator writes about 150 MB for a million rows, so fields are formatted
 * by hand into a large buffer instead of one printf per field. */

typedef struct outbuf {
    FILE *f;
    char buf[1 << 16];
    size_t len;
    int failed;
} outbuf;

static void ob_flush(outbuf *o)
{
    if (o->len && fwrite(o->buf, 1, o->len, o->f) != o->len)
        o->failed = 1;
    o->len = 0;
}

static void ob_mem(outbuf *o, const char *s, size_t n)
{
    if (o->len + n > sizeof o->buf)
        ob_flush(o);
    if (n > sizeof o->buf) {
        if (fwrite(s, 1, n, o->f) != n)
            o->failed = 1;
        return;
    }
    memcpy(o->buf + o->len, s, n);
    o->len += n;
}

static void ob_str(outbuf *o, const char *s)
{
    ob_mem(o, s, strlen(s));
}

static void ob_char(outbuf *o, char c)
{
    ob_mem(o, &c, 1);
}

static void ob_long(outbuf *o, long v)
{
    char tmp[24];
    size_t n = 0;
    unsigned long u = v < 0 ? 0UL - (unsigned long)v : (unsigned long)v;
    do {
        tmp[sizeof tmp - 1 - n++] = (char)('0' + u % 10);
        u /= 10;
    } while (u);
    if (v < 0)
        tmp[sizeof tmp - 1 - n++] = '-';
    ob_mem(o, tmp + sizeof tmp - n, n);
}

/* Writes v >= 0 zero-padded to at least width digits (lead ids: L0000001). */
static void ob_padded(outbuf *o, long v, int width)
{
    char tmp[24];
    int n = 0;
    do {
        tmp[sizeof tmp - 1 - n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v || n < width);
    ob_mem(o, tmp + sizeof tmp - n, (size_t)n);
}

/* Writes v rounded to 4 decimals ("-1.2345"); the caller rounds v the same way before using it so
 * the file holds exactly the value the outcome was drawn from. */
static void ob_fixed4(outbuf *o, double v)
{
    long scaled = lround(v * 1e4);
    if (scaled < 0) {
        ob_char(o, '-');
        scaled = -scaled;
    }
    ob_long(o, scaled / 10000);
    char frac[4];
    long r = scaled % 10000;
    for (int i = 3; i >= 0; i--) {
        frac[i] = (char)('0' + r % 10);
        r /= 10;
    }
    ob_char(o, '.');
    ob_mem(o, frac, 4);
}

/* ---------------------------------------------------------------------------------------------
 * Dates as days since 1970-01-01 (proleptic Gregorian; H. Hinnant's civil-date algorithms). */

static long days_from_civil(long y, long m, long d)
{
    y -= m <= 2;
    long era = (y >= 0 ? y : y - 399) / 400;
    long yoe = y - era * 400;
    long doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    long doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static void civil_from_days(long z, long *y, long *m, long *d)
{
    z += 719468;
    long era = (z >= 0 ? z : z - 146096) / 146097;
    long doe = z - era * 146097;
    long yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    long doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    long mp = (5 * doy + 2) / 153;
    *d = doy - (153 * mp + 2) / 5 + 1;
    *m = mp < 10 ? mp + 3 : mp - 9;
    *y = yoe + era * 400 + (*m <= 2);
}

static void ob_date(outbuf *o, long days)
{
    long y, m, d;
    civil_from_days(days, &y, &m, &d);
    char s[10] = {(char)('0' + y / 1000 % 10), (char)('0' + y / 100 % 10), (char)('0' + y / 10 % 10),
                  (char)('0' + y % 10), '-', (char)('0' + m / 10), (char)('0' + m % 10), '-',
                  (char)('0' + d / 10), (char)('0' + d % 10)};
    ob_mem(o, s, sizeof s);
}

/* Parses exactly YYYY-MM-DD into (y, m) and day count; returns 0 on success. */
static int parse_date(const char *s, long *days, long *y, long *m)
{
    if (strlen(s) != 10 || s[4] != '-' || s[7] != '-')
        return -1;
    char ys[5], ms[3], ds[3];
    memcpy(ys, s, 4), ys[4] = '\0';
    memcpy(ms, s + 5, 2), ms[2] = '\0';
    memcpy(ds, s + 8, 2), ds[2] = '\0';
    long d;
    if (mql_parse_long(ys, 1900, 2999, y) || mql_parse_long(ms, 1, 12, m) ||
        mql_parse_long(ds, 1, 31, &d))
        return -1;
    *days = days_from_civil(*y, *m, d);
    long yy, mm, dd;
    civil_from_days(*days, &yy, &mm, &dd);
    return (yy == *y && mm == *m && dd == d) ? 0 : -1;   /* rejects 2024-02-31 */
}

/* ---------------------------------------------------------------------------------------------
 * Sampling helpers. */

static double logistic(double x)
{
    return 1.0 / (1.0 + exp(-x));
}

/* Index drawn from cumulative shares cum[0..n-1] (cum[n-1] == 1). */
static size_t pick(const gsl_rng *r, const double *cum, size_t n)
{
    double u = gsl_rng_uniform(r);
    for (size_t i = 0; i + 1 < n; i++)
        if (u < cum[i])
            return i;
    return n - 1;
}

static void cumulate(const level *lv, size_t n, double *cum)
{
    double s = 0.0;
    for (size_t i = 0; i < n; i++)
        cum[i] = (s += lv[i].share);
    for (size_t i = 0; i < n; i++)
        cum[i] /= s;
}

/* Shortest "%.Ng" that reads back as v. */
static void fmt_shortest(char *buf, size_t cap, double v)
{
    for (int prec = 1; prec <= 17; prec++) {
        snprintf(buf, cap, "%.*g", prec, v);
        if (strtod(buf, NULL) == v)
            return;
    }
}

static int put_weight(FILE *f, const char *col, const char *lev, double w)
{
    char term[256], num[40];
    if (lev)
        snprintf(term, sizeof term, "%s=%s", col, lev);
    else
        snprintf(term, sizeof term, "%s", col);
    fmt_shortest(num, sizeof num, w);
    if (strchr(term, ',') || strchr(term, '"')) {
        fputc('"', f);
        for (const char *p = term; *p; p++) {
            if (*p == '"')
                fputc('"', f);
            fputc(*p, f);
        }
        fputc('"', f);
    } else {
        fputs(term, f);
    }
    return fprintf(f, ",%s\n", num) < 0 ? -1 : 0;
}

/* ---------------------------------------------------------------------------------------------
 * Options and atomic output. */

typedef struct options {
    long rows;
    unsigned long seed;
    const char *start;
    long quarters;
    long numeric;            /* 0: lead export; K: K numeric columns + closed_won */
    int interaction;         /* --interaction given */
    double w_interaction;    /* its weight W */
    const char *weights;
    const char *out;
    const char *activity;    /* events file: activity mode */
    double half_life[2];     /* true half-lives of webinar and pricing_page events (days) */
    double as_of_days;       /* the moment the outcome model looks at: created + as_of_days */
    double event_rate;       /* multiplies the mean event counts (benchmarks; default 1) */
} options;

static void usage(FILE *f)
{
    fprintf(f,
            "usage: gen_leads --rows N --seed S [--start YYYY-MM-DD] [--quarters Q]\n"
            "                 [--numeric K] [--interaction W] [--weights FILE] -o FILE\n"
            "  Writes a synthetic B2B lead export (or, with --numeric K, K numeric columns and a\n"
            "  closed_won outcome) drawn from a known logistic model; --weights writes the true\n"
            "  weights as term,weight. Defaults: --start 2024-01-01 --quarters 8. -o - is stdout.\n"
            "  --interaction W: employees enters as a step at 100 (+0.35) instead of linearly, and\n"
            "  Director, VP and C-Level leads at 100+ employees get W more (a true interaction;\n"
            "  W = 0: none).\n");
}


/* Opens path for writing through a temporary file beside it, renamed over path by close_output,
 * so a failed run never leaves a half-written file. "-" is stdout. */
static FILE *open_output(const char *path, char *tmp, size_t cap)
{
    if (strcmp(path, "-") == 0) {
        tmp[0] = '\0';
        return stdout;
    }
    if ((size_t)snprintf(tmp, cap, "%s.tmp%ld", path, (long)getpid()) >= cap)
        return NULL;
    return fopen(tmp, "wb");
}

/* Closes f and renames tmp over path when ok, else removes tmp. Returns 0 on success. */
static int close_output(FILE *f, const char *tmp, const char *path, int ok)
{
    if (!tmp[0])
        return (fflush(f) == 0 && ok) ? 0 : -1;
    int bad = ferror(f) || fclose(f) != 0 || !ok;
    if (bad || rename(tmp, path) != 0) {
        remove(tmp);
        return -1;
    }
    return 0;
}

/* Director, VP or C-Level (the levels of the --interaction rule). */
static int is_senior(size_t job)
{
    const char *t = job_levels[job].term;
    return strcmp(t, "Director") == 0 || strcmp(t, "VP") == 0 || strcmp(t, "C-Level") == 0;
}

static int write_lead_weights(FILE *f, const options *o)
{
    int bad = fputs("term,weight\n", f) == EOF;
    bad |= put_weight(f, "(Intercept)", NULL, w_intercept);
    for (size_t i = 1; i < NLEV(job_levels); i++)
        bad |= put_weight(f, "job_level", job_levels[i].term, job_levels[i].weight);
    if (o->interaction)
        bad |= put_weight(f, "employees", "[100,inf)", w_emp_large);
    else
        bad |= put_weight(f, "employees", NULL, w_employees);
    bad |= put_weight(f, "employees", "(missing)", w_employees_missing);
    for (size_t i = 1; i < NLEV(industries); i++)
        bad |= put_weight(f, "industry", industries[i].term, industries[i].weight);
    for (size_t i = 1; i < NLEV(sources); i++)
        bad |= put_weight(f, "lead_source", sources[i].term, sources[i].weight);
    for (size_t i = 1; i < NLEV(domains); i++)
        bad |= put_weight(f, "email_domain_type", domains[i].term, domains[i].weight);
    bad |= put_weight(f, "pricing_page_visits", NULL, w_pricing);
    bad |= put_weight(f, "case_study_download", NULL, w_case_study);
    bad |= put_weight(f, "webinar_attended", NULL, w_webinar);
    bad |= put_weight(f, "content_downloads", NULL, w_content);
    bad |= put_weight(f, "email_opens", NULL, w_opens);
    bad |= put_weight(f, "email_clicks", NULL, w_clicks);
    bad |= put_weight(f, "days_since_last_activity", NULL, w_days_inactive);
    for (size_t i = 0; o->interaction && i < NLEV(job_levels); i++) {
        if (!is_senior(i))
            continue;
        char term[128];
        snprintf(term, sizeof term, "%s:employees=[100,inf)", job_levels[i].term);
        bad |= put_weight(f, "job_level", term, o->w_interaction);
    }
    return bad ? -1 : 0;
}

/* ---------------------------------------------------------------------------------------------
 * The lead export. */

/* Relative lead volume on a day: weekday-heavy, growing about 35 % over the window, with a dip
 * over the year-end holidays. dow 0 = Sunday. */
static double day_weight(long day, long first, long n_days)
{
    static const double by_dow[7] = {0.2, 1.0, 1.1, 1.1, 1.05, 0.85, 0.2};
    long y, m, d;
    civil_from_days(day, &y, &m, &d);
    double w = by_dow[((day % 7) + 11) % 7] * (1.0 + 0.35 * (double)(day - first) / (double)n_days);
    if ((m == 12 && d >= 24) || (m == 1 && d == 1))
        w *= 0.4;
    return w;
}

static int gen_leads(const options *o, gsl_rng *r, FILE *f)
{
    long first, y0, m0;
    if (parse_date(o->start, &first, &y0, &m0) != 0) {
        fprintf(stderr, "gen_leads: --start '%s' is not a date YYYY-MM-DD\n", o->start);
        return MQL_EUSAGE;
    }
    long months = (m0 - 1) + 3 * o->quarters;
    long end_excl = days_from_civil(y0 + months / 12, months % 12 + 1, 1);
    long n_days = end_excl - first, export_day = end_excl - 1;

    double *w = malloc((size_t)n_days * sizeof *w);
    size_t *count = calloc((size_t)n_days, sizeof *count);
    gsl_ran_discrete_t *dd = NULL;
    int status = MQL_ENOMEM;
    if (!w || !count)
        goto done;
    for (long i = 0; i < n_days; i++)
        w[i] = day_weight(first + i, first, n_days);
    dd = gsl_ran_discrete_preproc((size_t)n_days, w);
    if (!dd)
        goto done;
    /* Creation dates first, then rows in date order, so lead ids rise with created_date. */
    for (long i = 0; i < o->rows; i++)
        count[gsl_ran_discrete(r, dd)]++;

    double job_cum[NLEV(job_levels)], ind_cum[NLEV(industries)], src_cum[NLEV(sources)];
    double dom_cum_student[3], dom_cum_other[3];
    cumulate(job_levels, NLEV(job_levels), job_cum);
    cumulate(industries, NLEV(industries), ind_cum);
    cumulate(sources, NLEV(sources), src_cum);
    for (size_t i = 0; i < 3; i++) {
        dom_cum_student[i] = (i ? dom_cum_student[i - 1] : 0.0) + domain_share_student[i];
        dom_cum_other[i] = (i ? dom_cum_other[i - 1] : 0.0) + domain_share_other[i];
    }
    const size_t student = 4, webinar_src = 3, syndication = 2;

    static outbuf ob;
    ob.f = f, ob.len = 0, ob.failed = 0;
    ob_str(&ob, "lead_id,created_date,job_level,employees,industry,lead_source,email_domain_type,"
                "pricing_page_visits,case_study_download,webinar_attended,content_downloads,"
                "email_opens,email_clicks,days_since_last_activity,became_sql,sql_date,closed_won,"
                "close_date,acv\n");
    long id = 0;
    double mid_quarter = (double)(o->quarters - 1) / 2.0;
    for (long di = 0; di < n_days; di++) {
        long day = first + di, age = export_day - day, y, m, d;
        civil_from_days(day, &y, &m, &d);
        long quarter = ((y - y0) * 12 + (m - m0)) / 3;
        double drift = DRIFT_PER_QUARTER * ((double)quarter - mid_quarter);
        for (size_t k = 0; k < count[di]; k++) {
            size_t job = pick(r, job_cum, NLEV(job_levels));
            size_t dom = pick(r, job == student ? dom_cum_student : dom_cum_other, 3);
            size_t ind = pick(r, ind_cum, NLEV(industries));
            size_t src = pick(r, src_cum, NLEV(sources));
            int emp_missing = gsl_rng_uniform(r) < EMP_MISSING_SHARE;
            double emp_draw = exp(5.0 + 1.6 * gsl_ran_gaussian_ziggurat(r, 1.0));
            long emp = emp_missing ? 0 : lround(fmin(20000.0, fmax(1.0, emp_draw)));

            /* One latent engagement drives the activity columns, so they correlate as in a CRM. */
            double z = gsl_ran_gaussian_ziggurat(r, 1.0);
            long pricing = (long)gsl_ran_poisson(r, 0.9 * exp(0.7 * z - 0.245));
            if (pricing > 30)
                pricing = 30;
            long content = (long)gsl_ran_poisson(r, 0.8 * exp(0.6 * z - 0.18) +
                                                        (src == syndication ? 1.0 : 0.0));
            long opens = (long)gsl_ran_poisson(r, 4.0 * exp(0.5 * z - 0.125));
            long clicks = (long)gsl_ran_binomial(r, logistic(-1.9 + 0.3 * z), (unsigned)opens);
            int case_study = gsl_rng_uniform(r) < logistic(-2.0 + 0.8 * z);
            int webinar = gsl_rng_uniform(r) <
                          logistic(-2.6 + 0.6 * z + (src == webinar_src ? 3.0 : 0.0));
            long inactive = (long)floor(gsl_ran_exponential(r, 60.0 * exp(-0.5 * z)));
            if (inactive > 365)
                inactive = 365;
            if (inactive > age)
                inactive = age;

            double emp_term = emp_missing ? w_employees_missing : w_employees * (double)emp;
            if (o->interaction && !emp_missing)
                emp_term = (emp >= EMP_STEP ? w_emp_large : 0.0) +
                           (emp >= EMP_STEP && is_senior(job) ? o->w_interaction : 0.0);
            double eta = w_intercept + job_levels[job].weight + industries[ind].weight +
                         sources[src].weight + domains[dom].weight + emp_term +
                         w_pricing * (double)pricing + w_content * (double)content +
                         w_opens * (double)opens + w_clicks * (double)clicks +
                         w_days_inactive * (double)inactive + (case_study ? w_case_study : 0.0) +
                         (webinar ? w_webinar : 0.0);
            /* Drift and maturity censoring: not part of the recoverable model (documented). */
            double p_won = logistic(eta + drift) * fmin(1.0, (double)age / CYCLE_DAYS);
            double p_sql = logistic(eta + drift + SQL_SHIFT) * fmin(1.0, (double)age / SQL_CYCLE_DAYS);
            if (p_sql < p_won)
                p_sql = p_won;
            double u_won = gsl_rng_uniform(r), u_sql = gsl_rng_uniform(r);
            int won = u_won < p_won;
            int sql = won || (p_won < 1.0 && u_sql < (p_sql - p_won) / (1.0 - p_won));
            long close_delay = (long)floor(gsl_rng_uniform(r) * (double)(fmin(age, CYCLE_DAYS) + 1));
            long sql_delay = won ? (long)floor(gsl_rng_uniform(r) * (double)(close_delay + 1))
                                 : (long)floor(gsl_rng_uniform(r) *
                                               (double)(fmin(age, SQL_CYCLE_DAYS) + 1));
            double ln_acv = log(15000.0) + 0.12 * (log(emp_missing ? 150.0 : (double)emp) - 5.0) +
                            0.5 * gsl_ran_gaussian_ziggurat(r, 1.0);
            long acv = 100 * lround(exp(ln_acv) / 100.0);
            if (acv < 1000)
                acv = 1000;

            ob_char(&ob, 'L');
            ob_padded(&ob, ++id, 7);
            ob_char(&ob, ',');
            ob_date(&ob, day);
            ob_char(&ob, ',');
            ob_str(&ob, job_levels[job].text);
            ob_char(&ob, ',');
            if (!emp_missing)
                ob_long(&ob, emp);
            ob_char(&ob, ',');
            ob_str(&ob, industries[ind].text);
            ob_char(&ob, ',');
            ob_str(&ob, sources[src].text);
            ob_char(&ob, ',');
            ob_str(&ob, domains[dom].text);
            ob_char(&ob, ',');
            ob_long(&ob, pricing);
            ob_str(&ob, case_study ? ",yes," : ",no,");
            ob_str(&ob, webinar ? "True," : "False,");
            ob_long(&ob, content);
            ob_char(&ob, ',');
            ob_long(&ob, opens);
            ob_char(&ob, ',');
            ob_long(&ob, clicks);
            ob_char(&ob, ',');
            ob_long(&ob, inactive);
            ob_str(&ob, sql ? ",Yes," : ",No,");
            if (sql)
                ob_date(&ob, day + sql_delay);
            ob_str(&ob, won ? ",1," : ",0,");
            if (won) {
                ob_date(&ob, day + close_delay);
                ob_char(&ob, ',');
                ob_long(&ob, acv);
                ob_str(&ob, ".0");
            } else {
                ob_char(&ob, ',');
            }
            ob_char(&ob, '\n');
        }
    }
    ob_flush(&ob);
    status = ob.failed ? MQL_EIO : MQL_OK;
done:
    gsl_ran_discrete_free(dd);
    free(count);
    free(w);
    return status;
}

/* ---------------------------------------------------------------------------------------------
 * The numeric benchmark file: x1..xK and closed_won. Odd columns are standard normal (4 decimals),
 * even columns Poisson(3) counts; weights alternate in sign so the base rate stays near 12 %. */

static double numeric_weight(long j)   /* j = 1..K */
{
    double sign = (j / 2) % 2 ? -1.0 : 1.0;
    return (j % 2) ? sign * 0.6 / sqrt((double)(j + 1) / 2.0) : sign * 0.1;
}

static const double numeric_intercept = -2.0;

static int write_numeric_weights(FILE *f, long k)
{
    int bad = fputs("term,weight\n", f) == EOF;
    bad |= put_weight(f, "(Intercept)", NULL, numeric_intercept);
    for (long j = 1; j <= k; j++) {
        char name[32];
        snprintf(name, sizeof name, "x%ld", j);
        bad |= put_weight(f, name, NULL, numeric_weight(j));
    }
    return bad ? -1 : 0;
}

static int gen_numeric(const options *o, gsl_rng *r, FILE *f)
{
    static outbuf ob;
    ob.f = f, ob.len = 0, ob.failed = 0;
    double *wt = malloc((size_t)o->numeric * sizeof *wt);
    if (!wt)
        return MQL_ENOMEM;
    for (long j = 1; j <= o->numeric; j++) {
        char name[32];
        snprintf(name, sizeof name, "x%ld,", j);
        ob_str(&ob, name);
        wt[j - 1] = numeric_weight(j);
    }
    ob_str(&ob, "closed_won\n");
    /* The even columns' mean (3) times their weights would shift the base rate; center them. */
    double center = 0.0;
    for (long j = 2; j <= o->numeric; j += 2)
        center += 3.0 * wt[j - 1];
    for (long i = 0; i < o->rows; i++) {
        double eta = numeric_intercept - center;
        for (long j = 1; j <= o->numeric; j++) {
            double x;
            if (j % 2) {
                x = (double)lround(gsl_ran_gaussian_ziggurat(r, 1.0) * 1e4) / 1e4;
                ob_fixed4(&ob, x);
            } else {
                x = (double)gsl_ran_poisson(r, 3.0);
                ob_long(&ob, (long)x);
            }
            ob_char(&ob, ',');
            eta += wt[j - 1] * x;
        }
        ob_str(&ob, gsl_rng_uniform(r) < logistic(eta) ? "1\n" : "0\n");
    }
    ob_flush(&ob);
    free(wt);
    return ob.failed ? MQL_EIO : MQL_OK;
}

/* ---------------------------------------------------------------------------------------------
 * Activity mode: leads with an activity log whose effect decays with known half-lives.
 *
 * Lead i is created on a day spread over --quarters quarters from --start and has a segment
 * (SMB, Mid-Market, Enterprise). Its activity level a_i ~ Gamma(2, 1/2) (mean 1) scales Poisson
 * counts of two event types, webinar (mean 2.0 events) and pricing_page (mean 3.0), each at a
 * uniform time in [created - 60, created + 120) days. The outcome looks at the moment
 * m_i = created + as_of_days:
 *     eta = -2.2 + segment effect (Mid-Market +0.4, Enterprise +0.8)
 *           + 0.9 * sum_webinar 2^(-(m - t) / h1) + 0.6 * sum_pricing 2^(-(m - t) / h2)
 * summed over that type's events strictly before m (later events happen but never matter).
 * won ~ Bernoulli(logistic(eta)); a won lead's won_date is m + 1..60 days. Events keep their
 * time of day (HH:MM:SS), so the log reads like an export. */

#define ACT_INTERCEPT (-2.2)
#define ACT_B_WEBINAR 0.9
#define ACT_B_PRICING 0.6

static void ob_datetime(outbuf *o, double days)
{
    long d = (long)floor(days);
    long secs = (long)floor((days - (double)d) * 86400.0);
    if (secs > 86399)
        secs = 86399;
    ob_date(o, d);
    ob_char(o, ' ');
    ob_padded(o, secs / 3600, 2);
    ob_char(o, ':');
    ob_padded(o, secs / 60 % 60, 2);
    ob_char(o, ':');
    ob_padded(o, secs % 60, 2);
}

static int gen_activity(const options *o, gsl_rng *r, FILE *f, FILE *ef)
{
    long first, y0, m0;
    if (parse_date(o->start, &first, &y0, &m0) != 0) {
        fprintf(stderr, "gen_leads: --start '%s' is not a date YYYY-MM-DD\n", o->start);
        return MQL_EUSAGE;
    }
    long n_days = o->quarters * 91;
    static const char *const segments[] = {"SMB", "Mid-Market", "Enterprise"};
    static const double seg_cum[] = {0.55, 0.85, 1.0};
    static const double seg_w[] = {0.0, 0.4, 0.8};
    static const char *const types[] = {"webinar", "pricing_page"};
    static const double mean_events[] = {2.0, 3.0};
    const double beta[] = {ACT_B_WEBINAR, ACT_B_PRICING};
    outbuf lb = {f, {0}, 0, 0}, eb = {ef, {0}, 0, 0};
    ob_str(&lb, "lead_id,created_date,segment,closed_won,won_date\n");
    ob_str(&eb, "lead_id,event_type,timestamp\n");
    double *times = NULL;
    size_t cap = 0;
    for (long i = 0; i < o->rows; i++) {
        double created = (double)(first + (long)gsl_rng_uniform_int(r, (unsigned long)n_days));
        size_t seg = pick(r, seg_cum, 3);
        double act = gsl_ran_gamma(r, 2.0, 0.5);
        double moment = created + o->as_of_days;
        double eta = ACT_INTERCEPT + seg_w[seg];
        char id[32];
        snprintf(id, sizeof id, "L%07ld", i + 1);
        for (int k = 0; k < 2; k++) {
            unsigned int ne = gsl_ran_poisson(r, act * mean_events[k] * o->event_rate);
            if (ne > cap) {
                double *nt = realloc(times, ne * sizeof *nt);
                if (!nt) {
                    free(times);
                    return MQL_ENOMEM;
                }
                times = nt;
                cap = ne;
            }
            double x = 0.0;
            for (unsigned int e = 0; e < ne; e++) {
                times[e] = created - 60.0 + 180.0 * gsl_rng_uniform(r);
                if (times[e] < moment)
                    x += exp2(-(moment - times[e]) / o->half_life[k]);
            }
            eta += beta[k] * x;
            for (unsigned int e = 0; e < ne; e++) {
                ob_str(&eb, id);
                ob_char(&eb, ',');
                ob_str(&eb, types[k]);
                ob_char(&eb, ',');
                ob_datetime(&eb, times[e]);
                ob_char(&eb, '\n');
            }
        }
        int won = gsl_rng_uniform(r) < logistic(eta);
        ob_str(&lb, id);
        ob_char(&lb, ',');
        ob_date(&lb, (long)created);
        ob_char(&lb, ',');
        ob_str(&lb, segments[seg]);
        ob_str(&lb, won ? ",yes," : ",no,");
        if (won)
            ob_date(&lb, (long)moment + 1 + (long)gsl_rng_uniform_int(r, 60));
        ob_char(&lb, '\n');
    }
    free(times);
    ob_flush(&lb);
    ob_flush(&eb);
    return (lb.failed || eb.failed) ? MQL_EIO : MQL_OK;
}

/* ---------------------------------------------------------------------------------------------
 * main */

static int parse_args(int argc, char **argv, options *o)
{
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            usage(stdout);
            exit(MQL_OK);
        }
        if (i + 1 >= argc) {
            fprintf(stderr, "gen_leads: '%s' needs a value (or is unknown)\n", a);
            return -1;
        }
        const char *v = argv[++i];
        long n;
        if (strcmp(a, "--rows") == 0) {
            if (mql_parse_long(v, 1, 2000000000L, &o->rows))
                goto bad;
        } else if (strcmp(a, "--seed") == 0) {
            if (mql_parse_long(v, 0, 4294967295L, &n))
                goto bad;
            o->seed = (unsigned long)n;
        } else if (strcmp(a, "--start") == 0) {
            o->start = v;
        } else if (strcmp(a, "--quarters") == 0) {
            if (mql_parse_long(v, 1, 400, &o->quarters))
                goto bad;
        } else if (strcmp(a, "--numeric") == 0) {
            if (mql_parse_long(v, 1, 10000, &o->numeric))
                goto bad;
        } else if (strcmp(a, "--interaction") == 0) {
            char *end;
            errno = 0;
            o->w_interaction = strtod(v, &end);
            if (end == v || *end || errno || !isfinite(o->w_interaction) ||
                fabs(o->w_interaction) > 10)
                goto bad;
            o->interaction = 1;
        } else if (strcmp(a, "--weights") == 0) {
            o->weights = v;
        } else if (strcmp(a, "--activity") == 0) {
            o->activity = v;
        } else if (strcmp(a, "--half-lives") == 0) {
            char buf[64], *comma;
            snprintf(buf, sizeof buf, "%s", v);
            if (!(comma = strchr(buf, ',')))
                goto bad;
            *comma = '\0';
            if (mql_parse_double(buf, &o->half_life[0]) || mql_parse_double(comma + 1, &o->half_life[1]) ||
                !(o->half_life[0] > 0) || !(o->half_life[1] > 0))
                goto bad;
        } else if (strcmp(a, "--event-rate") == 0) {
            if (mql_parse_double(v, &o->event_rate) || !(o->event_rate > 0) || o->event_rate > 100)
                goto bad;
        } else if (strcmp(a, "--as-of-days") == 0) {
            if (mql_parse_double(v, &o->as_of_days) || !(o->as_of_days >= 0))
                goto bad;
        } else if (strcmp(a, "-o") == 0 || strcmp(a, "--output") == 0) {
            o->out = v;
        } else {
            fprintf(stderr, "gen_leads: unknown option '%s'\n", a);
            return -1;
        }
        continue;
    bad:
        fprintf(stderr, "gen_leads: %s: '%s' is not a valid value\n", a, v);
        return -1;
    }
    if (o->rows == 0 || !o->out) {
        fprintf(stderr, "gen_leads: --rows and -o are required\n");
        return -1;
    }
    return 0;
}

int main(int argc, char **argv)
{
    options o = {0, 0, "2024-01-01", 8, 0, 0, 0.0, NULL, NULL, NULL, {14, 60}, 30, 1.0};
    int have_seed = 0;
    for (int i = 1; i < argc; i++)
        have_seed |= strcmp(argv[i], "--seed") == 0;
    if (parse_args(argc, argv, &o) != 0 || !have_seed) {
        if (!have_seed && o.out)
            fprintf(stderr, "gen_leads: --seed is required (the output is a function of it)\n");
        usage(stderr);
        return MQL_EUSAGE;
    }
    gsl_set_error_handler_off();

    char tmp[4096];
    FILE *f = open_output(o.out, tmp, sizeof tmp);
    if (!f) {
        fprintf(stderr, "gen_leads: cannot write '%s': %s\n", o.out, strerror(errno));
        return MQL_EIO;
    }
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    if (!r) {
        close_output(f, tmp, o.out, 0);
        return MQL_ENOMEM;
    }
    gsl_rng_set(r, o.seed);
    int status;
    if (o.activity) {
        char etmp[4096];
        FILE *ef = open_output(o.activity, etmp, sizeof etmp);
        if (!ef) {
            fprintf(stderr, "gen_leads: cannot write '%s': %s\n", o.activity, strerror(errno));
            close_output(f, tmp, o.out, 0);
            gsl_rng_free(r);
            return MQL_EIO;
        }
        status = gen_activity(&o, r, f, ef);
        if (close_output(ef, etmp, o.activity, status == MQL_OK) != 0 && status == MQL_OK) {
            fprintf(stderr, "gen_leads: writing '%s' failed\n", o.activity);
            status = MQL_EIO;
        }
    } else {
        status = o.numeric ? gen_numeric(&o, r, f) : gen_leads(&o, r, f);
    }
    gsl_rng_free(r);
    if (close_output(f, tmp, o.out, status == MQL_OK) != 0) {
        if (status == MQL_OK || status == MQL_EIO)
            fprintf(stderr, "gen_leads: writing '%s' failed\n", o.out);
        return status ? status : MQL_EIO;
    }

    if (o.weights) {
        FILE *wf = open_output(o.weights, tmp, sizeof tmp);
        if (!wf) {
            fprintf(stderr, "gen_leads: cannot write '%s': %s\n", o.weights, strerror(errno));
            return MQL_EIO;
        }
        int bad = o.numeric ? write_numeric_weights(wf, o.numeric) : write_lead_weights(wf, &o);
        if (close_output(wf, tmp, o.weights, bad == 0) != 0) {
            fprintf(stderr, "gen_leads: writing '%s' failed\n", o.weights);
            return MQL_EIO;
        }
    }
    return MQL_OK;
}
