/* points_fit.c: a fitted logistic regression -> integer points model: value steps for linear
 * terms, the scale, the score map, the default threshold, the rounding cost, and the model's own
 * ("internal") scores of the training rows. */
#include "mqlcal/points_fit.h"
#include "mqlcal/value.h"
#include "mqlcal/value_runs.h"

#include <limits.h>
#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mqlcal/metrics.h"
#include "mqlcal/points_cost.h"

/* ==== conversion from a fitted model ========================================================= */

/* Appends a rule from its parts (used by the conversion). */
static int add_rule(mql_points *m, const char *feature, mql_op op, const char *value, long pts,
                    mql_group g, long term, mql_err *err)
{
    mql_rule *nr = realloc(m->rules, (m->n_rules + 1) * sizeof *nr);
    if (!nr)
        return mql_err_set(err, MQL_ENOMEM, "out of memory");
    m->rules = nr;
    int rc = mql_rule_init_na(&m->rules[m->n_rules], feature, mql_op_name(op), value, pts, g,
                              mql_points_na(m), m->na.n, err);
    if (rc)
        return mql_err_prefix(err, rc, "feature '%s'", feature);
    m->rules[m->n_rules++].term = term;
    return MQL_OK;
}


void mql_points_opts_default(mql_points_opts *o)
{
    o->pdo = NAN;
    o->max_points = 100;
    o->threshold = LONG_MIN;
    o->by_strength = 1;
    o->cap_fit = o->cap_engagement = o->cap_total = MQL_NO_CAP;
    o->full_check = 0;
    o->cache = NULL;
}

double mql_points_strength(double auc_exact, double lr_p)
{
    double s = isfinite(auc_exact) ? fmin(1.0, (2 * auc_exact - 1) / 0.5) : 1.0;
    if (lr_p >= 0.05)
        s = fmin(s, 0.1);
    return fmax(s, 0.1);
}

/* The group of design term j: its feature's; an interaction's is engagement when either feature
 * is engagement (points earned by doing something), else fit. */
static mql_group term_group(const mql_design *d, size_t j)
{
    if (d->term_feature[j] >= 0)
        return d->features[d->term_feature[j]].group;
    if (d->term_ix && d->term_ix[j] >= 0) {
        const mql_interaction *ix = &d->ix[d->term_ix[j]];
        return d->features[ix->a].group == MQL_GROUP_ENGAGEMENT ||
                       d->features[ix->b].group == MQL_GROUP_ENGAGEMENT
                   ? MQL_GROUP_ENGAGEMENT : MQL_GROUP_FIT;
    }
    return MQL_GROUP_FIT;
}


/* Index of the step holding x: the number of lower bounds lo[1..n) that are <= x (0 for NaN).
 * A plain count (fitted steps number at most 12): independent compares, no data-dependent
 * branches, as the self-check runs it for every lead and term and lead values are too random
 * for branch prediction. */
static size_t step_of(const mql_points_step *s, double x)
{
    size_t k = 0;
    for (size_t i = 1; i < s->n; i++)
        k += s->lo[i] <= x;
    return k;
}

/* Builds the steps of a LINEAR term from the training values (see the header). beta_base
 * receives beta * rep_base; contribution k is beta * (rep[k] - rep_base). */
static int linear_steps(const mql_feature *f, const mql_bound_feature *bf, size_t n_rows,
                        mql_points_step *s, mql_err *err)
{
    /* Counting beats sorting when the column's written digits span a short range or it repeats
     * its values (integers, short decimals); the table's distinct count and digits only pick
     * the method, the runs are the same either way. */
    mql_value_runs vr = {0};
    int hr = 1;
    if (bf->col->plain_decimal && f->has_range)   /* the range the design's scan found */
        hr = mql_runs_by_digits_range(bf->col->num, n_rows, bf->col->decimals, f->range_lo,
                                      f->range_hi, &vr);
    if (hr == 1 && bf->col->plain_decimal)
        hr = mql_runs_by_digits(bf->col->num, n_rows, bf->col->decimals, &vr);
    if (hr == 1 && bf->col->n_distinct <= 4 * (size_t)65536 && bf->col->n_distinct * 4 <= n_rows)
        hr = mql_runs_by_hash(bf->col->num, n_rows, bf->col->n_distinct + 1, &vr);
    if (hr == 1)
        hr = mql_runs_by_sort(bf->col->num, n_rows, &vr);
    if (hr)
        return mql_err_set(err, MQL_ENOMEM, "out of memory");
    size_t nv = vr.nv, nd = vr.nd;
    size_t cap = nd > 6 ? nd : 6;
    s->lo = malloc((cap + 1) * sizeof *s->lo);
    s->rep = malloc((cap + 1) * sizeof *s->rep);
    s->points = calloc(cap + 1, sizeof *s->points);
    if (!s->lo || !s->rep || !s->points) {
        mql_runs_free(&vr);
        return mql_err_set(err, MQL_ENOMEM, "out of memory");
    }
    s->lo[0] = -INFINITY;
    s->n = 1;
    s->row_lo = s->row_hi = SIZE_MAX;
    if (nv == 0) {
        s->rep[0] = 0;
        mql_runs_free(&vr);
        return MQL_OK;
    }
    if (f->integer && nd <= 12) {
        for (size_t j = 1; j < nd; j++)
            s->lo[s->n++] = vr.u[j];
    } else {
        /* About 6 quantile steps with the cut rule of design --bins 6: candidate k is
         * v[floor(k n / 6)], a candidate at the minimum moves up to the next distinct value. */
        for (size_t k = 1; k < 6; k++) {
            double c = mql_runs_at(&vr, k * nv / 6);
            if (c <= vr.u[0]) {
                if (nd < 2)
                    continue;
                c = vr.u[1];
            }
            if (c > s->lo[s->n - 1])
                s->lo[s->n++] = c;
        }
    }
    /* where each step's rule ends, at the data's precision (the most decimals of any value, up
     * to 6): "between 375.43..894.36" before a step starting at 894.37, not 894.3699999999999.
     * Values with no short decimal form move the cut down to the shortest decimal above the
     * value below it; no training value changes step. */
    if (!f->integer) {
        /* a plain-decimal column's values have at most its written decimals (each is the
         * rounded quotient of its digits): once a value has that many, no other has more */
        const mql_column *col = bf->col;
        int dec = 0, most = col->plain_decimal && col->decimals <= 6 ? col->decimals : 7;
        for (size_t q = 0; q < nd && dec >= 0 && dec < most; q++) {
            int dq = mql_decimals(vr.u[q]);
            dec = dq < 0 ? -1 : dq > dec ? dq : dec;
        }
        if (!(s->top = malloc((cap + 1) * sizeof *s->top))) {
            mql_runs_free(&vr);
            return mql_err_set(err, MQL_ENOMEM, "out of memory");
        }
        size_t q = 0;
        for (size_t k = 0; k < s->n; k++) {
            s->top[k] = NAN;
            if (k + 1 == s->n)
                break;
            while (q < nd && vr.u[q] < s->lo[k + 1])
                q++;
            if (q == 0)
                continue;
            double hi, lo;
            mql_cut_bounds(vr.u[q - 1], s->lo[k + 1], dec, &hi, &lo);
            s->lo[k + 1] = lo;
            s->top[k] = hi;
        }
    }
    /* representative = mean of the training values in each step: beta * mean is the average
     * exact contribution of the step's leads, the least-squares constant for the step. The
     * values are added one by one in ascending order (the order of the sorted values). */
    if (!(s->vlo = malloc((cap + 1) * sizeof *s->vlo)) ||
        !(s->vhi = malloc((cap + 1) * sizeof *s->vhi))) {
        mql_runs_free(&vr);
        return mql_err_set(err, MQL_ENOMEM, "out of memory");
    }
    size_t j = 0;
    for (size_t k = 0; k < s->n; k++) {
        size_t j0 = j, cnt = 0;
        for (; j < nd && (k + 1 == s->n || vr.u[j] < s->lo[k + 1]); j++)
            cnt += vr.c[j];
        /* every run holds a value at least once, so the step's first and last runs are its
         * lowest and highest values */
        s->vlo[k] = j > j0 ? vr.u[j0] : NAN;
        s->vhi[k] = j > j0 ? vr.u[j - 1] : NAN;
        double sum = mql_sum_runs(0, vr.u + j0, vr.c + j0, j - j0);
        s->rep[k] = cnt ? sum / (double)cnt : s->lo[k];
    }
    if (vr.row_min != SIZE_MAX && s->vlo[0] == vr.u[0])
        s->row_lo = vr.row_min;
    if (vr.row_max != SIZE_MAX && s->vhi[s->n - 1] == vr.u[nd - 1])
        s->row_hi = vr.row_max;
    mql_runs_free(&vr);
    return MQL_OK;
}

/* The steps of the LINEAR terms into m->steps, and the exact model's costs when the points step
 * computes them, shared by up to two threads: each takes the next job not yet taken (columns
 * differ in cost: a decimal column takes several times longer than a small integer one, so a
 * fixed split would leave one thread idle). The exact costs' jobs (points_cost.h) come first:
 * their blocks of rows, shared by both threads, then one step, then their last job, which
 * waits for the blocks (the step covers the other thread's last block), then the other steps
 * in feature order. */
typedef struct steps_shared {
    const mql_design *d;
    const mql_design_binding *b;
    mql_points *m;
    const size_t *feature;   /* n_steps: the design feature of each step */
    pthread_mutex_t lock;
    size_t next;             /* the next job to take (under lock) */
    mql_exact_costs *ex;     /* the exact model's costs, or NULL */
} steps_shared;

/* Job q of the order above: 1 and *e for the exact costs' job *e, 0 and *k for step *k, -1 past
 * the last job. */
static int job_of(const steps_shared *sh, size_t q, size_t *e, size_t *k)
{
    size_t nx = sh->ex ? mql_exact_costs_jobs(sh->ex) : 0, ns = sh->m->n_steps;
    size_t nblk = nx ? nx - 1 : 0, lead = nx && ns ? 1 : 0;
    if (q < nblk) {
        *e = q;
        return 1;
    }
    q -= nblk;
    if (nx && q == lead) {
        *e = nblk;
        return 1;
    }
    if (nx && q > lead)
        q--;
    if (q >= ns)
        return -1;
    *k = q;
    return 0;
}

typedef struct steps_job {
    steps_shared *sh;
    int rc;
    size_t failed;           /* the lowest step index that failed when rc != 0 */
    mql_err err;
} steps_job;

static void *steps_part(void *arg)
{
    steps_job *j = arg;
    steps_shared *sh = j->sh;
    for (;;) {
        pthread_mutex_lock(&sh->lock);
        size_t q = sh->next++;
        pthread_mutex_unlock(&sh->lock);
        size_t xj = 0, k = 0;
        int kind = job_of(sh, q, &xj, &k);
        if (kind < 0)
            break;
        if (kind == 1) {
            mql_exact_costs_run(sh->ex, xj);
            continue;
        }
        size_t i = sh->feature[k];
        const mql_feature *f = &sh->d->features[i];
        mql_points_step *s = &sh->m->steps[k];
        s->term = f->term0;
        mql_err e;
        int rc = linear_steps(f, &sh->b->f[i], sh->b->n_rows, s, &e);
        if (rc && (j->rc == MQL_OK || k < j->failed)) {
            j->rc = rc;
            j->failed = k;
            j->err = e;
        }
    }
    return NULL;
}

/* One condition of a term-to-be: operator and value text (the value malloc'd). */
typedef struct cond_alt {
    mql_op op;
    char *value;
} cond_alt;

static void alts_free(cond_alt *a, size_t n)
{
    for (size_t k = 0; a && k < n; k++)
        free(a[k].value);
}

/* The condition for values in [lo, hi) (lo = -inf: below hi; hi = +inf: lo and above).
 * Integer data with integer bounds read as "between 3..5" / "= 3" / "<= 2"; otherwise
 * "between lo..top" with top the short decimal where the range ends at the data's precision
 * (mql_cut_bounds: no training value lies in (top, hi)), or, when top is NAN (a design read back
 * without it), the largest double below hi. */
static int range_cond(const mql_feature *f, double lo, double hi, double top_short,
                      cond_alt *out, mql_err *err)
{
    char a[40], b[96];
    int ints = f->integer && (isinf(lo) || mql_is_integral(lo)) && (isinf(hi) || mql_is_integral(hi));
    if (isinf(lo) && isinf(hi))
        return mql_err_set(err, MQL_EDATA, "feature '%s': a step without bounds", f->name);
    if (isinf(hi)) {
        mql_fmt_shortest(lo, b, sizeof b);
        out->op = MQL_OP_GE;
    } else if (isinf(lo)) {
        mql_fmt_shortest(ints ? hi - 1 : hi, b, sizeof b);
        out->op = ints ? MQL_OP_LE : MQL_OP_LT;
    } else {
        double top = ints                                         ? hi - 1
                     : !isnan(top_short) && top_short >= lo && top_short < hi ? top_short
                                                                  : nextafter(hi, -INFINITY);
        mql_fmt_shortest(lo, a, sizeof a);
        if (top == lo) {
            snprintf(b, sizeof b, "%s", a);
            out->op = MQL_OP_EQ;
        } else {
            size_t n = strlen(a);
            snprintf(b, sizeof b, "%s..", a);
            mql_fmt_shortest(top, b + n + 2, sizeof b - n - 2);
            out->op = MQL_OP_BETWEEN;
        }
    }
    if (!(out->value = mql_strdup(b)))
        return mql_err_set(err, MQL_ENOMEM, "out of memory");
    return MQL_OK;
}

/* Appends the rule for values in [lo, hi) of feature f (top_short: see range_cond). */
static int add_range_rule(mql_points *m, const mql_feature *f, double lo, double hi,
                          double top_short, long pts, long term, mql_err *err)
{
    cond_alt c = {MQL_OP_EQ, NULL};
    int rc = range_cond(f, lo, hi, top_short, &c, err);
    if (rc == MQL_OK)
        rc = add_rule(m, f->name, c.op, c.value, pts, f->group, term, err);
    free(c.value);
    return rc;
}

/* The condition(s) a lead meets when indicator term t (offset within f's terms) is set:
 * "(missing)" -> missing; boolean -> = true label; bin -> its range; level -> = level;
 * "(other)" -> in the pooled names, or one = condition per name when a name holds '|' (then
 * each is an alternative). alts has room for max(1, f->n_pooled); *n receives the count. */
static int term_conds(const mql_feature *f, size_t t, cond_alt *alts, size_t *n, mql_err *err)
{
    *n = 0;
    const char *v = NULL;
    mql_op op = MQL_OP_EQ;
    if (f->has_missing && t == f->n_terms - 1) {
        op = MQL_OP_MISSING;
        v = "";
    } else if (f->enc == MQL_ENC_BOOLEAN) {
        v = f->true_label ? f->true_label : "True";
    } else if (f->enc == MQL_ENC_BINNED) {
        int rc = range_cond(f, f->cuts[t], t + 1 < f->n_cuts ? f->cuts[t + 1] : INFINITY,
                            f->cut_top && t + 1 < f->n_cuts ? f->cut_top[t + 1] : NAN, &alts[0],
                            err);
        *n = rc ? 0 : 1;
        return rc;
    } else if (t + 1 < f->n_levels) {
        v = f->levels[t + 1];
    } else {
        /* (other): the pooled level names */
        int bar = 0;
        size_t len = 1;
        for (size_t k = 0; k < f->n_pooled; k++) {
            bar |= strchr(f->pooled[k], '|') != NULL;
            len += strlen(f->pooled[k]) + 1;
        }
        if (bar || f->n_pooled == 1) {
            for (size_t k = 0; k < f->n_pooled; k++) {
                alts[k] = (cond_alt){MQL_OP_EQ, mql_strdup(f->pooled[k])};
                if (!alts[k].value)
                    return mql_err_set(err, MQL_ENOMEM, "out of memory");
                (*n)++;
            }
            return MQL_OK;
        }
        char *j = malloc(len);
        if (!j)
            return mql_err_set(err, MQL_ENOMEM, "out of memory");
        j[0] = '\0';
        for (size_t k = 0; k < f->n_pooled; k++) {
            if (k)
                strcat(j, "|");
            strcat(j, f->pooled[k]);
        }
        alts[0] = (cond_alt){MQL_OP_IN, j};
        *n = 1;
        return MQL_OK;
    }
    alts[0] = (cond_alt){op, mql_strdup(v)};
    if (!alts[0].value)
        return mql_err_set(err, MQL_ENOMEM, "out of memory");
    *n = 1;
    return MQL_OK;
}

/* The compound rules of interaction cell c of interaction k (design term j): the conditions of
 * its two terms ANDed (one rule per pair of alternatives), named after the term's label. */
static int add_interaction_rules(mql_points *m, const mql_design *d, size_t k, size_t c,
                                 long pts, mql_err *err)
{
    const mql_interaction *ix = &d->ix[k];
    const mql_feature *fa = &d->features[ix->a], *fb = &d->features[ix->b];
    size_t j = ix->term0 + c, na = 0, nb = 0;
    cond_alt *aa = calloc(fa->n_pooled + 1, sizeof *aa), *ab = calloc(fb->n_pooled + 1, sizeof *ab);
    int rc = aa && ab ? MQL_OK : mql_err_set(err, MQL_ENOMEM, "out of memory");
    if (rc == MQL_OK)
        rc = term_conds(fa, ix->ta[c], aa, &na, err);
    if (rc == MQL_OK)
        rc = term_conds(fb, ix->tb[c], ab, &nb, err);
    mql_group g = term_group(d, j);
    for (size_t u = 0; rc == MQL_OK && u < na; u++)
        for (size_t v = 0; rc == MQL_OK && v < nb; v++) {
            if ((rc = add_rule(m, fa->name, aa[u].op, aa[u].value, pts, g, (long)j, err)))
                break;
            mql_rule *r = &m->rules[m->n_rules - 1];
            char name[512];
            if (na * nb > 1)
                snprintf(name, sizeof name, "%s #%zu", d->labels[j], u * nb + v + 1);
            else
                snprintf(name, sizeof name, "%s", d->labels[j]);
            if ((rc = mql_rule_add_cond_na(r, fb->name, mql_op_name(ab[v].op), ab[v].value,
                                           mql_points_na(m), m->na.n, err)) ||
                (rc = mql_rule_set_name(r, name, err)))
                break;
        }
    alts_free(aa, na);
    alts_free(ab, nb);
    free(aa);
    free(ab);
    return rc;
}

static double beta_at(const double *beta, size_t j)
{
    return isnan(beta[j]) ? 0.0 : beta[j];
}

typedef struct internal_job {
    const mql_design *d;
    const mql_design_binding *b;
    const mql_points *m;
    const double *beta;
    const long *step_of_term;
    const unsigned char *eng;   /* p: 1 for engagement terms */
    size_t r_begin, r_end;
    long *score;                /* capped (the model's score) */
    long *uncapped;             /* may be NULL */
    double *eta;
    int rc;
    mql_err err;
} internal_job;

/* Rows [r_begin, r_end) of internal_scores. */
static void *internal_range(void *arg)
{
    enum { CHUNK = 256 };
    internal_job *jb = arg;
    const mql_design *d = jb->d;
    const mql_points *m = jb->m;
    const double *beta = jb->beta;
    const long *step_of_term = jb->step_of_term;
    long *score = jb->score;
    double *eta = jb->eta;
    size_t p = d->p;
    double *x = malloc(CHUNK * p * sizeof *x);
    if (!x) {
        jb->rc = mql_err_set(&jb->err, MQL_ENOMEM, "out of memory");
        return NULL;
    }
    int rc = MQL_OK;
    for (size_t r0 = jb->r_begin; r0 < jb->r_end && rc == MQL_OK; r0 += CHUNK) {
        size_t mm = jb->r_end - r0 < CHUNK ? jb->r_end - r0 : CHUNK;
        if ((rc = mql_design_fill((void *)jb->b, r0, mm, x, &jb->err)))
            break;
        for (size_t r = 0; r < mm; r++) {
            const double *xr = x + r * p;
            long s[2] = {0, 0};   /* fit, engagement */
            double e = 0;
            for (size_t j = 1; j < p; j++) {
                if (beta)
                    e += beta_at(beta, j) * xr[j];
                if (step_of_term[j] >= 0) {
                    const mql_feature *f = &d->features[d->term_feature[j]];
                    size_t miss = f->term0 + f->n_terms - 1;
                    if (!(f->has_missing && xr[miss] != 0)) {
                        const mql_points_step *st = &m->steps[step_of_term[j]];
                        s[jb->eng[j]] += st->points[step_of(st, xr[j])];
                    }
                } else if (xr[j] != 0 && j < m->n_terms) {
                    s[jb->eng[j]] += m->term_points[j];
                }
            }
            if (score)
                mql_points_apply_caps(m, s[0], s[1], NULL, NULL, &score[r0 + r]);
            if (jb->uncapped)
                jb->uncapped[r0 + r] = s[0] + s[1];
            if (eta)
                eta[r0 + r] = beta_at(beta, 0) + e;
        }
    }
    free(x);
    jb->rc = rc;
    return NULL;
}

/* Integer score and exact linear predictor of rows [0, n) "inside the model": design fill,
 * term_points of the indicator terms, step points of the LINEAR terms. eta may be NULL. Large
 * tables are split in two halves scored on two threads (rows are independent and each row's
 * sums run in the same order, so the result does not depend on the split). */
static int internal_scores(const mql_design *d, const mql_design_binding *b,
                           const mql_points *m, const double *beta, long *score, long *uncapped,
                           double *eta, mql_err *err)
{
    size_t p = d->p, n = b->n_rows;
    long *step_of_term = malloc(p * sizeof *step_of_term);
    unsigned char *eng = malloc(p);
    if (!step_of_term || !eng) {
        free(step_of_term);
        free(eng);
        return mql_err_set(err, MQL_ENOMEM, "out of memory");
    }
    for (size_t j = 0; j < p; j++) {
        step_of_term[j] = -1;
        eng[j] = j > 0 && term_group(d, j) == MQL_GROUP_ENGAGEMENT;
    }
    for (size_t i = 0; i < m->n_steps; i++)
        if (m->steps[i].term < p)
            step_of_term[m->steps[i].term] = (long)i;
    int two = n >= 100000;
    internal_job jobs[2];
    for (int t = 0; t < 2; t++)
        jobs[t] = (internal_job){d, b, m, beta, step_of_term, eng, t == 0 ? 0 : n / 2,
                                 t == 0 && two ? n / 2 : n, score, uncapped, eta, MQL_OK, {{0}}};
    pthread_t th;
    int threaded = two && pthread_create(&th, NULL, internal_range, &jobs[1]) == 0;
    if (!threaded)
        jobs[0].r_end = n;
    internal_range(&jobs[0]);
    if (threaded)
        pthread_join(th, NULL);
    free(step_of_term);
    free(eng);
    int rc = jobs[0].rc ? jobs[0].rc : threaded ? jobs[1].rc : MQL_OK;
    if (rc)
        mql_err_set(err, rc, "%s", jobs[0].rc ? jobs[0].err.msg : jobs[1].err.msg);
    return rc;
}

int mql_points_internal_scores(const mql_design *d, const mql_design_binding *b,
                               const mql_points *m, const double *beta, long *score, double *eta,
                               mql_err *err)
{
    return internal_scores(d, b, m, beta, score, NULL, eta, err);
}

/* Points of one rule: x rounded, when |x| is below MQL_POINTS_MAX (1e9: sums of a few hundred
 * rules stay far inside a long, and a table a CRM admin types in never needs more). */
static int to_points(double x, const char *feature, long *out, mql_err *err)
{
    if (!(fabs(x) < MQL_POINTS_MAX))
        return mql_err_set(err, MQL_EDATA, "feature '%s': %.3g points is out of range (at most "
                           "%.0e either way): the points scale is too large", feature, x,
                           MQL_POINTS_MAX);
    *out = lround(x);
    return MQL_OK;
}

/* The default threshold (the rule of the header; slo and shi: the lowest and highest score of
 * the n training leads): one doubling of the odds above the average
 * training lead. The target probability p2 = 2p / (1 + p) has twice the base odds p / (1 - p): about
 * twice the base rate p when p is small, and below 100% at any base rate (63% won: 77.3%). The
 * pick is the achievable score whose mapped probability is closest to p2 (ties to the lower),
 * kept inside the training leads' scores [lo, hi]: at most hi, and above lo when hi > lo, so some
 * lead is an MQL and some is not. The rule as applied goes into m->threshold_rule. */
static int choose_threshold(mql_points *m, double base, long slo, long shi, size_t n,
                            mql_err *err)
{
    long smin, smax;
    mql_points_range(m, &smin, &smax);
    long lo = slo < smax ? slo : smax, hi = shi > smin ? shi : smin;
    if (n == 0)
        lo = smin, hi = smax;
    double target = 2 * base / (1 + base);
    long pick = lo;
    if (target > 0 && target < 1 && m->map_b > 0) {
        double s = (log(target / (1 - target)) - m->map_a) / m->map_b;
        double best = INFINITY;
        long c = !(s > (double)smin) ? smin : !(s < (double)smax) ? smax : (long)floor(s);
        for (long k = c; k <= c + 1; k++) {
            long kk = k < smin ? smin : k > smax ? smax : k;
            double dev = fabs(mql_points_prob(m, (double)kk) - target);
            if (dev < best) {
                best = dev;
                pick = kk;
            }
        }
    }
    char rule[400];
    int o = snprintf(rule, sizeof rule, "the score whose P(won) is closest to %.1f%%, the "
                     "probability at twice the average odds of the training leads (base rate "
                     "%.1f%%)", 100 * target, 100 * base);
    if (pick > hi) {
        snprintf(rule + o, sizeof rule - (size_t)o, "; no training lead scores that high, so the "
                 "highest score a lead reached (%ld, P(won) %.1f%%)", hi,
                 100 * mql_points_prob(m, (double)hi));
        pick = hi;
    } else if (pick <= lo && hi > lo) {
        snprintf(rule + o, sizeof rule - (size_t)o, "; every training lead scores at least that, "
                 "so one point above the lowest score a lead reached (%ld)", lo);
        pick = lo + 1;
    }
    m->threshold = pick;
    free(m->threshold_rule);
    if (!(m->threshold_rule = mql_strdup(rule)))
        return mql_err_set(err, MQL_ENOMEM, "out of memory");
    return MQL_OK;
}

static int cmp_dbl(const void *x, const void *y)
{
    double a = *(const double *)x, b = *(const double *)y;
    return (a > b) - (a < b);
}

/* The 99th percentile (order statistic ceil(0.99 n)) of v[0..n); sorts v. */
static double q99(double *v, size_t n)
{
    if (!n)
        return NAN;
    qsort(v, n, sizeof *v, cmp_dbl);
    size_t k = (size_t)ceil(0.99 * (double)n);
    return v[k ? k - 1 : 0];
}

/* The scale under caps (fit --cap-total etc.): the exact (unrounded) fit and engagement scores
 * of every training lead at one point per unit of log-odds (indicator terms: contrib; LINEAR
 * terms: beta (rep of the lead's step - rep of the base step)); then factor = the largest scale
 * at which at most 1% of the training leads exceed each cap: min over caps of cap / the 99th
 * percentile of the capped quantity (fit, engagement, fit + engagement for the total), over the
 * caps whose percentile is positive. *factor is left alone when none is. */
static int cap_scale(const mql_design *d, const mql_design_binding *b, const double *beta,
                     const double *contrib, const mql_points *m, const long *step_idx,
                     const mql_points_opts *o, double *factor, mql_err *err)
{
    enum { CHUNK = 512 };
    size_t n = b->n_rows, p = d->p;
    double *uf = malloc((n ? n : 1) * sizeof *uf), *ue = malloc((n ? n : 1) * sizeof *ue);
    double *ut = malloc((n ? n : 1) * sizeof *ut), *x = malloc(CHUNK * p * sizeof *x);
    int rc = uf && ue && ut && x ? MQL_OK : mql_err_set(err, MQL_ENOMEM, "out of memory");
    for (size_t r0 = 0; rc == MQL_OK && r0 < n; r0 += CHUNK) {
        size_t mm = n - r0 < CHUNK ? n - r0 : CHUNK;
        if ((rc = mql_design_fill((void *)b, r0, mm, x, err)))
            break;
        for (size_t r = 0; r < mm; r++) {
            const double *xr = x + r * p;
            double g[2] = {0, 0};
            for (size_t j = 1; j < p; j++) {
                double v;
                if (step_idx[j] >= 0) {
                    const mql_points_step *st = &m->steps[step_idx[j]];
                    v = beta_at(beta, j) * (st->rep[step_of(st, xr[j])] - st->rep[step_of(st, 0.0)]);
                } else {
                    v = contrib[j] * xr[j];
                }
                g[term_group(d, j) == MQL_GROUP_ENGAGEMENT] += v;
            }
            uf[r0 + r] = g[0];
            ue[r0 + r] = g[1];
            ut[r0 + r] = g[0] + g[1];
        }
    }
    if (rc == MQL_OK) {
        const long caps[3] = {o->cap_fit, o->cap_engagement, o->cap_total};
        double *vals[3] = {uf, ue, ut}, best = INFINITY;
        for (int k = 0; k < 3; k++) {
            if (caps[k] == MQL_NO_CAP)
                continue;
            double q = q99(vals[k], n);
            if (q > 0 && (double)caps[k] / q < best)
                best = (double)caps[k] / q;
        }
        if (isfinite(best))
            *factor = best;
    }
    free(uf), free(ue), free(ut), free(x);
    return rc;
}

/* Exact contributions (log-odds relative to the baseline) of each rule-to-be, per term:
 * contrib[j] for indicator terms; LINEAR terms through their steps. */
int mql_points_from_fit_data(const mql_design *d, const double *beta,
                             const mql_design_binding *b, const unsigned char *y,
                             const mql_points_opts *o, mql_points **out, mql_err *err)
{
    return mql_points_from_fit_weighted(d, beta, b, y, NULL, o, out, err);
}

int mql_points_from_fit_weighted(const mql_design *d, const double *beta,
                                 const mql_design_binding *b, const unsigned char *y,
                                 const double *w, const mql_points_opts *o, mql_points **out,
                                 mql_err *err)
{
    return mql_points_from_fit_scored(d, beta, b, y, w, o, out, NULL, err);
}

int mql_points_from_fit_scored(const mql_design *d, const double *beta,
                               const mql_design_binding *b, const unsigned char *y,
                               const double *w, const mql_points_opts *o, mql_points **out,
                               long **scores, mql_err *err)
{
    mql_points_extra ex = {.auc_exact = NAN, .logloss_exact = NAN, .want_scores = scores != NULL};
    int rc = mql_points_from_fit_ex(d, beta, b, y, w, o, &ex, out, err);
    if (scores)
        *scores = ex.scores;
    else
        free(ex.scores);
    return rc;
}

int mql_points_from_fit_ex(const mql_design *d, const double *beta, const mql_design_binding *b,
                           const unsigned char *y, const double *w, const mql_points_opts *o,
                           mql_points_extra *ex, mql_points **out, mql_err *err)
{
    *out = NULL;
    if (ex) {
        ex->scores = NULL;
        ex->check_rows = NULL;
        ex->n_check = 0;
        ex->check_scores = NULL;
    }
    for (size_t k = 0; w && k < d->n_features; k++)
        if (d->features[k].enc == MQL_ENC_LINEAR)
            return mql_err_set(err, MQL_EUSAGE, "'%s' is a linear term: its value steps need "
                               "one row per lead, not weighted rows", d->features[k].name);
    mql_points_opts defaults;
    if (!o) {
        mql_points_opts_default(&defaults);
        o = &defaults;
    }
    if (!isnan(o->pdo) && !(o->pdo > 0 && isfinite(o->pdo)))
        return mql_err_set(err, MQL_EUSAGE, "--pdo must be a positive number");
    if (isnan(o->pdo) && !(o->max_points > 0 && isfinite(o->max_points)))
        return mql_err_set(err, MQL_EUSAGE, "--max-points must be a positive number");
    if (b && b->design != d)
        return mql_err_set(err, MQL_EDATA, "points: the binding is for another design");
    size_t p = d->p;
    mql_points *m = mql_points_new();
    double *contrib = calloc(p, sizeof *contrib);
    long *step_idx = malloc(p * sizeof *step_idx);
    double *eta = NULL;
    mql_points_pass pass = {NAN, 0, -1, NULL, NULL, 0};
    int rc = MQL_OK;
    if (!m || !contrib || !step_idx || !(m->term_points = calloc(p, sizeof *m->term_points))) {
        rc = mql_err_set(err, MQL_ENOMEM, "out of memory");
        goto done;
    }
    m->n_terms = p;
    /* the training file's placeholders travel with the model (and decide the rules' values) */
    if (b && b->table && (rc = mql_points_set_na(m, mql_table_na(b->table), b->table->na.n, err)))
        goto done;
    double a = beta_at(beta, 0);
    int have_exact = ex && ex->have_exact;
    double auc_exact = ex ? ex->auc_exact : NAN, logloss_exact = ex ? ex->logloss_exact : NAN;
    /* 1. exact contributions and LINEAR steps */
    for (size_t j = 0; j < p; j++) {
        contrib[j] = j ? beta_at(beta, j) : 0;
        step_idx[j] = -1;
    }
    /* the steps of every LINEAR term (independent of each other: on two threads when the
     * data are large), then their baselines in feature order */
    size_t n_lin = 0;
    for (size_t i = 0; i < d->n_features; i++) {
        const mql_feature *f = &d->features[i];
        if (f->enc != MQL_ENC_LINEAR)
            continue;
        if (!b) {
            rc = mql_err_set(err, MQL_EDATA, "feature '%s' is a linear term: converting it to "
                             "point steps needs the training data", f->name);
            goto done;
        }
        n_lin++;
    }
    /* the exact model's costs from the given linear predictor, beside the steps (the pass
     * would otherwise compute them first, alone) */
    int exact = b && y && ex && ex->eta && !have_exact;
    if (n_lin || exact) {
        if (n_lin && !(m->steps = calloc(n_lin, sizeof *m->steps))) {
            rc = mql_err_set(err, MQL_ENOMEM, "out of memory");
            goto done;
        }
        m->n_steps = n_lin;
        size_t *feat = malloc((n_lin ? n_lin : 1) * sizeof *feat);
        if (!feat) {
            rc = mql_err_set(err, MQL_ENOMEM, "out of memory");
            goto done;
        }
        for (size_t i = 0, k = 0; i < d->n_features; i++)
            if (d->features[i].enc == MQL_ENC_LINEAR)
                feat[k++] = i;
        mql_exact_costs xc;
        if (exact)
            mql_exact_costs_init(&xc, ex->eta, ex->eta_writable, ex->scratch, y, w, b->n_rows);
        steps_shared sh = {d, b, m, feat, PTHREAD_MUTEX_INITIALIZER, 0, exact ? &xc : NULL};
        steps_job jobs[2] = {{&sh, MQL_OK, 0, {{0}}}, {&sh, MQL_OK, 0, {{0}}}};
        pthread_t th;
        size_t n_jobs = n_lin + (exact ? mql_exact_costs_jobs(&xc) : 0);
        int threads = ex && ex->threads ? ex->threads
                      : (n_jobs > 1 && b->n_rows >= 100000) ? 2 : 1;
        int threaded = threads > 1 && pthread_create(&th, NULL, steps_part, &jobs[1]) == 0;
        steps_part(&jobs[0]);
        if (threaded)
            pthread_join(th, NULL);
        pthread_mutex_destroy(&sh.lock);
        free(feat);
        if (exact) {
            have_exact = 1;
            mql_exact_costs_finish(&xc, &auc_exact, &logloss_exact);
        }
        /* the first failure in feature order */
        const steps_job *bad = jobs[0].rc ? &jobs[0] : NULL;
        if (jobs[1].rc && (!bad || jobs[1].failed < bad->failed))
            bad = &jobs[1];
        if (bad) {
            rc = mql_err_set(err, bad->rc, "%s", bad->err.msg);
            goto done;
        }
    }
    for (size_t i = 0, k = 0; i < d->n_features; i++) {
        const mql_feature *f = &d->features[i];
        if (f->enc != MQL_ENC_LINEAR)
            continue;
        mql_points_step *s = &m->steps[k];
        step_idx[f->term0] = (long)k++;
        double bl = beta_at(beta, f->term0), base = bl * s->rep[step_of(s, 0.0)];
        a += base;
        if (f->has_missing)
            contrib[f->term0 + f->n_terms - 1] -= base;
        contrib[f->term0] = 0;
    }
    /* 2. scale: factor points per unit of log-odds */
    double factor;
    if (!isnan(o->pdo)) {
        factor = o->pdo / log(2.0);
    } else {
        double best = 0, maxabs = 0;
        for (size_t i = 0; i < d->n_features; i++) {
            const mql_feature *f = &d->features[i];
            double fmax = 0;
            for (size_t j = f->term0; j < f->term0 + f->n_terms; j++) {
                double c[64];
                size_t nc = 0;
                if (step_idx[j] >= 0) {
                    const mql_points_step *s = &m->steps[step_idx[j]];
                    double bl = beta_at(beta, j), rb = s->rep[step_of(s, 0.0)];
                    for (size_t k = 0; k < s->n && nc < 64; k++)
                        c[nc++] = bl * (s->rep[k] - rb);
                } else {
                    c[nc++] = contrib[j];
                }
                for (size_t k = 0; k < nc; k++) {
                    fmax = c[k] > fmax ? c[k] : fmax;
                    maxabs = fabs(c[k]) > maxabs ? fabs(c[k]) : maxabs;
                }
            }
            best += fmax;
        }
        for (size_t k = 0; k < d->n_ix; k++) {
            double fmax = 0;
            for (size_t c = 0; c < d->ix[k].n_cells; c++) {
                double v = contrib[d->ix[k].term0 + c];
                fmax = v > fmax ? v : fmax;
                maxabs = fabs(v) > maxabs ? fabs(v) : maxabs;
            }
            best += fmax;
        }
        double span = best > 0 ? best : maxabs;
        factor = span > 0 ? o->max_points / span : 20 / log(2.0);
        if (b && (o->cap_fit != MQL_NO_CAP || o->cap_engagement != MQL_NO_CAP ||
                  o->cap_total != MQL_NO_CAP) &&
            (rc = cap_scale(d, b, beta, contrib, m, step_idx, o, &factor, err)))
            goto done;
    }
    m->cap_fit = o->cap_fit;
    m->cap_engagement = o->cap_engagement;
    m->cap_total = o->cap_total;
    m->pdo = factor * log(2.0);
    m->has_map = 1;
    m->map_a = a;
    m->map_b = 1 / factor;
    if (!(m->map_method = mql_strdup("model"))) {
        rc = mql_err_set(err, MQL_ENOMEM, "out of memory");
        goto done;
    }
    /* 3. rules, in design term order */
    for (size_t i = 0; i < d->n_features && rc == MQL_OK; i++) {
        const mql_feature *f = &d->features[i];
        for (size_t t = 0; t < f->n_terms && rc == MQL_OK; t++) {
            size_t j = f->term0 + t;
            long term = (long)j;
            if (step_idx[j] >= 0) {
                mql_points_step *s = &m->steps[step_idx[j]];
                double bl = beta_at(beta, j), rb = s->rep[step_of(s, 0.0)];
                for (size_t k = 0; k < s->n && rc == MQL_OK; k++) {
                    if ((rc = to_points(bl * factor * (s->rep[k] - rb), f->name, &s->points[k],
                                        err)))
                        break;
                    if (s->points[k] != 0)
                        rc = add_range_rule(m, f, s->lo[k], k + 1 < s->n ? s->lo[k + 1] : INFINITY,
                                            s->top ? s->top[k] : NAN,
                                            s->points[k], term, err);
                }
                continue;
            }
            long pts = 0;
            if ((rc = to_points(contrib[j] * factor, f->name, &pts, err)))
                break;
            m->term_points[j] = pts;
            if (pts == 0)
                continue;
            cond_alt alts[1 + 64];
            cond_alt *al = f->n_pooled < 64 ? alts : calloc(f->n_pooled + 1, sizeof *al);
            size_t na = 0;
            if (!al) {
                rc = mql_err_set(err, MQL_ENOMEM, "out of memory");
                break;
            }
            rc = term_conds(f, t, al, &na, err);
            for (size_t k = 0; k < na && rc == MQL_OK; k++)
                rc = add_rule(m, f->name, al[k].op, al[k].value, pts, f->group, term, err);
            alts_free(al, na);
            if (al != alts)
                free(al);
        }
    }
    /* interaction cells: compound rules */
    for (size_t k = 0; k < d->n_ix && rc == MQL_OK; k++)
        for (size_t c = 0; c < d->ix[k].n_cells && rc == MQL_OK; c++) {
            size_t j = d->ix[k].term0 + c;
            long pts = 0;
            if ((rc = to_points(contrib[j] * factor, d->labels[j], &pts, err)))
                break;
            m->term_points[j] = pts;
            if (pts != 0)
                rc = add_interaction_rules(m, d, k, c, pts, err);
        }
    if (rc)
        goto done;
    /* 4. threshold, rounding cost, bands: one pass over the leads, with the linear predictor
     * the fit's last pass computed, or here by design rows when it is not given */
    if (b) {
        size_t n = b->n_rows;
        const double *eta_at = ex ? ex->eta : NULL;
        if (!eta_at && !(have_exact && y)) {
            if (!(eta = mql_alloc_big((n ? n : 1) * sizeof *eta))) {
                rc = mql_err_set(err, MQL_ENOMEM, "out of memory");
                goto done;
            }
            if ((rc = internal_scores(d, b, m, beta, NULL, NULL, eta, err)))
                goto done;
            eta_at = eta;
        }
        mql_points_pass_in pin = {eta_at, eta_at && (eta_at == eta || (ex && ex->eta_writable)),
                                  have_exact, auc_exact, logloss_exact, ex && ex->want_scores,
                                  ex && ex->want_check, ex ? ex->threads : 0};
        if ((rc = mql_points_cost_pass(d, b, m, &pin, y, w, &pass, err)))
            goto done;
    }
    /* The threshold: given, or chosen by the documented rule (choose_threshold). */
    if (o->threshold != LONG_MIN) {
        m->threshold = o->threshold;
        if (!(m->threshold_rule = mql_strdup("set by hand (--threshold)")))
            rc = mql_err_set(err, MQL_ENOMEM, "out of memory");
    } else if (isnan(pass.base_rate)) {
        m->threshold = 0;
    } else {
        rc = choose_threshold(m, pass.base_rate, pass.lo, pass.hi, b->n_rows, err);
    }
    if (rc == MQL_OK)
        rc = mql_points_make_bands(m, err);
done:
    free(contrib);
    free(step_idx);
    if (rc == MQL_OK && ex) {
        ex->scores = pass.scores;   /* the caller's now */
        ex->check_rows = pass.check_rows;
        ex->n_check = pass.n_check;
        ex->check_scores = pass.check_scores;
    } else {
        free(pass.scores);
        free(pass.check_rows);
        free(pass.check_scores);
    }
    free(eta);
    if (rc) {
        mql_points_free(m);
        return rc;
    }
    *out = m;
    return MQL_OK;
}

int mql_points_from_fit(const mql_design *d, const double *beta, const mql_points_opts *o,
                        mql_points **out, mql_err *err)
{
    return mql_points_from_fit_data(d, beta, NULL, NULL, o, out, err);
}

