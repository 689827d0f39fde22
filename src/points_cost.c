/* points_cost.c: the points step's pass over the training leads: every lead's integer score from
 * per-feature lookup tables (level code -> points, value -> step points), and from it the score
 * range, the rounding and cap costs, and the rows the sampled self-check scores. */
#include "mqlcal/points_cost.h"

#include <float.h>
#include <limits.h>
#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mqlcal/metrics.h"

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

/* ==== per-feature scoring tables ============================================================= */

/* score_chunk is built twice on x86-64 with GCC, for AVX2 and for the baseline, and the loader
 * picks by the processor: the compares per cut then run on four leads at a time instead of two
 * (-O2 targets SSE2 only). Only integer operations and exact sums of small integers differ in
 * width, so every lead's points are the same either way. */
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define SCORE_CLONES __attribute__((target_clones("avx2", "default")))
#else
#define SCORE_CLONES
#endif

enum { K_CODE, K_BIN, K_BOOL, K_LIN, K_LIN_NOSTEP };
enum { CHUNK = 256 };
/* A score histogram covers at most this many values; a wider range (a huge --pdo) scores
 * through materialised arrays and mql_auc instead. */
#define HIST_MAX ((size_t)1 << 20)
/* The costs are counted per score (counted_costs) over at most this many score values. */
#define COUNTED_MAX ((size_t)1 << 16)

typedef struct feat_tab {
    const mql_feature *f;
    const mql_bound_feature *bf;
    int kind;
    int eng;                   /* 1: engagement group */
    long *tp;                  /* n_terms + 1: tp[0] = 0 (no term set), tp[t + 1] = term t */
    const mql_points_step *st; /* K_LIN */
    int16_t *dtab;             /* K_LIN on a column of plain decimals with cuts close together
                                  (dtab_make): the points of each written integer from the
                                  index (value * dscale - dshift), clamped into [0, dtop]
                                  (NULL: none) */
    double dscale, dshift, dtop;
    double *dpts;              /* K_LIN searched by compares (no dtab), points within 2^50:
                                  st->n doubles, the points of step 0, then each step's less
                                  the step's before (NULL: none) */
    long p0;                   /* K_LIN: the points of a missing value read as 0 (no missing
                                  term), as the step search reads it */
    int in_ix;                 /* 1: an interaction reads the feature's set term (act) */
    long lo, hi;               /* the least and most points the feature gives a lead */
} feat_tab;

typedef struct ix_tab {
    size_t a, b, nb;           /* features; nb = n_terms of b + 1 */
    long *pts;                 /* (n_terms of a + 1) * nb: points of each pair of set terms */
    int eng;
    long lo, hi;
} ix_tab;

typedef struct lead_scorer {
    const mql_design *d;
    const mql_design_binding *b;
    const mql_points *m;
    feat_tab *f;
    ix_tab *ix;
    long lo[2], hi[2];         /* bounds of the fit and engagement sums */
} lead_scorer;

static void scorer_free(lead_scorer *s)
{
    for (size_t i = 0; s->f && i < s->d->n_features; i++) {
        free(s->f[i].tp);
        free(s->f[i].dtab);
        free(s->f[i].dpts);
    }
    for (size_t k = 0; s->ix && k < s->d->n_ix; k++)
        free(s->ix[k].pts);
    free(s->f);
    free(s->ix);
}

/* Points of design term j of m (0 beyond the model's terms, as mql_points_internal_scores). */
static long term_pts(const mql_points *m, size_t j)
{
    return m->term_points && j < m->n_terms ? m->term_points[j] : 0;
}

static int group_of(const mql_design *d, size_t f)
{
    return d->features[f].group == MQL_GROUP_ENGAGEMENT;
}

/* The step holding x: the number of lower bounds lo[1..n) at or below x (points_fit's rule). */
static size_t step_at(const mql_points_step *st, double x)
{
    size_t k = 0;
    for (size_t c = 1; c < st->n; c++)
        k += st->lo[c] <= x;
    return k;
}

/* 10^dec for the written decimals dec = 0 .. 15 of a plain-decimal column */
static const double p10[16] = {1e0, 1e1, 1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                               1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15};

/* The points of a LINEAR feature by written integer (t->dtab), when its column holds plain
 * decimals (mql_column.plain_decimal) and its cuts lie within 4,096 integers at the column's
 * precision (integers, short decimals over a short range): a lead's points are then one
 * multiply, one conversion and one load from a table that stays in the first-level cache. A
 * wider table is slower than the search by compares (its loads miss: tables of 20,000 entries
 * for the ten decimal columns of the 1M x 20 bench file made the pass a fifth slower).
 *
 * Every value v of such a column is an integer K over 10^dec, rounded once (the reader divides
 * exact numbers), and v * 10^dec lies within a quarter of K, so the index v * 10^dec - (K_lo -
 * 0.5), truncated, is K - K_lo. Entry k holds the points of the double (K_lo + k) / 10^dec, the
 * reader's value of that integer, found by the step search itself: the table gives every value
 * of the column the step the search gives it. K_lo lies two integers below the first cut and the
 * last entry two above the last cut, so a value beyond either end (clamped to it) shares its
 * step, which is checked. Points outside 16 bits keep the search. Returns 0 (t->dtab set or
 * left NULL), -1 when out of memory. */
static int dtab_make(feat_tab *t)
{
    const mql_points_step *st = t->st;
    const mql_column *col = t->bf->col;
    if (st->n < 2 || !col->plain_decimal || col->decimals < 0 || col->decimals > 15)
        return 0;
    for (size_t k = 0; k < st->n; k++)
        if (st->points[k] < INT16_MIN || st->points[k] > INT16_MAX)
            return 0;
    double scale = p10[col->decimals], a = st->lo[1] * scale, b = st->lo[st->n - 1] * scale;
    if (!(fabs(a) < 0x1p49 && fabs(b) < 0x1p49))
        return 0;
    double klo = floor(a) - 2, khi = ceil(b) + 2;
    if (khi - klo >= 4096)
        return 0;
    size_t m = (size_t)(khi - klo) + 1;
    int16_t *tab = malloc(m * sizeof *tab);
    if (!tab)
        return -1;
    for (size_t k = 0; k < m; k++)
        tab[k] = (int16_t)st->points[step_at(st, (klo + (double)k) / scale)];
    if (step_at(st, klo / scale) != 0 || step_at(st, khi / scale) != st->n - 1) {
        free(tab);   /* not expected: the ends must lie beyond the cuts */
        return 0;
    }
    t->dtab = tab;
    t->dscale = scale;
    t->dshift = klo - 0.5;
    t->dtop = (double)(m - 1);
    return 0;
}

/* The points of a LINEAR feature's steps as differences (t->dpts), for the search by compares:
 * a lead's points are then those of step 0 plus, for each cut at or below its value, its step's
 * points less the step's before, added as doubles in the same sweep as the compares, where the
 * step count would be turned into an index and the points loaded from it (a dependent load per
 * lead and column). Every partial sum is the points of a step, an integer; below 2^50 in
 * magnitude, the differences and the sums are exact doubles, so the sum converts back to the
 * step's points. Larger points keep the index. Returns 0 (t->dpts set or left NULL), -1 when
 * out of memory. */
static int dpts_make(feat_tab *t)
{
    const mql_points_step *st = t->st;
    for (size_t k = 0; k < st->n; k++)
        if (!(st->points[k] > -(1L << 50) && st->points[k] < (1L << 50)))
            return 0;
    if (!(t->dpts = malloc(st->n * sizeof *t->dpts)))
        return -1;
    t->dpts[0] = (double)st->points[0];
    for (size_t k = 1; k < st->n; k++)
        t->dpts[k] = (double)(st->points[k] - st->points[k - 1]);
    return 0;
}

static int scorer_init(lead_scorer *s, const mql_design *d, const mql_design_binding *b,
                       const mql_points *m, mql_err *err)
{
    *s = (lead_scorer){d, b, m, NULL, NULL, {0, 0}, {0, 0}};
    s->f = calloc(d->n_features ? d->n_features : 1, sizeof *s->f);
    s->ix = calloc(d->n_ix ? d->n_ix : 1, sizeof *s->ix);
    if (!s->f || !s->ix)
        goto oom;
    for (size_t i = 0; i < d->n_features; i++) {
        const mql_feature *f = &d->features[i];
        feat_tab *t = &s->f[i];
        t->f = f;
        t->bf = &b->f[i];
        t->eng = group_of(d, i);
        if (!(t->tp = calloc(f->n_terms + 1, sizeof *t->tp)))
            goto oom;
        for (size_t k = 0; k < f->n_terms; k++)
            t->tp[k + 1] = term_pts(m, f->term0 + k);
        for (size_t k = 0; k < m->n_steps; k++)
            if (m->steps[k].term == f->term0)
                t->st = &m->steps[k];
        t->kind = t->bf->by_code ? K_CODE : f->enc == MQL_ENC_BINNED ? K_BIN
                  : f->enc == MQL_ENC_BOOLEAN ? K_BOOL : t->st ? K_LIN : K_LIN_NOSTEP;
        if (t->kind == K_LIN) {
            t->p0 = t->st->points[step_at(t->st, 0.0)];
            if (dtab_make(t) < 0 || (!t->dtab && dpts_make(t) < 0))
                goto oom;
        }
        long lo = 0, hi = 0;
        if (t->kind == K_LIN) {
            lo = hi = t->st->points[0];
            for (size_t k = 0; k < t->st->n; k++) {
                lo = t->st->points[k] < lo ? t->st->points[k] : lo;
                hi = t->st->points[k] > hi ? t->st->points[k] : hi;
            }
            if (f->has_missing) {
                lo = t->tp[2] < lo ? t->tp[2] : lo;
                hi = t->tp[2] > hi ? t->tp[2] : hi;
            }
        } else if (t->kind == K_LIN_NOSTEP) {
            /* the value's points and the missing one's */
            for (size_t k = 1; k <= f->n_terms; k++) {
                lo += t->tp[k] < 0 ? t->tp[k] : 0;
                hi += t->tp[k] > 0 ? t->tp[k] : 0;
            }
        } else {
            for (size_t k = 1; k <= f->n_terms; k++) {
                lo = t->tp[k] < lo ? t->tp[k] : lo;
                hi = t->tp[k] > hi ? t->tp[k] : hi;
            }
        }
        t->lo = lo;
        t->hi = hi;
        s->lo[t->eng] += lo;
        s->hi[t->eng] += hi;
    }
    for (size_t k = 0; k < d->n_ix; k++) {
        const mql_interaction *ix = &d->ix[k];
        ix_tab *t = &s->ix[k];
        t->a = ix->a;
        t->b = ix->b;
        s->f[ix->a].in_ix = s->f[ix->b].in_ix = 1;
        t->nb = d->features[ix->b].n_terms + 1;
        t->eng = group_of(d, ix->a) || group_of(d, ix->b);
        if (!(t->pts = calloc((d->features[ix->a].n_terms + 1) * t->nb, sizeof *t->pts)))
            goto oom;
        for (size_t c = 0; c < ix->n_cells; c++) {
            long v = term_pts(m, ix->term0 + c);
            t->pts[(ix->ta[c] + 1) * t->nb + ix->tb[c] + 1] = v;
            t->lo = v < t->lo ? v : t->lo;
            t->hi = v > t->hi ? v : t->hi;
        }
        s->lo[t->eng] += t->lo;
        s->hi[t->eng] += t->hi;
    }
    return MQL_OK;
oom:
    scorer_free(s);
    return mql_err_set(err, MQL_ENOMEM, "out of memory");
}

/* The rows the self-check must see, gathered during the pass: per feature the first row of each
 * key (a table level code; for numbers the lowest and highest value of each step, bin or truth
 * value), per interaction the first row of each pair of set terms. */
typedef struct check_feat {
    size_t nkey;
    size_t *rmin, *rmax;       /* nkey rows (SIZE_MAX: none yet); coded features use rmin only */
    double *vmin, *vmax;
} check_feat;

typedef struct check_state {
    check_feat *f;             /* n_features */
    size_t **ix_first;         /* n_ix: first row of each pair of terms */
    size_t *ix_n;
} check_state;

static void check_free(check_state *c, const mql_design *d)
{
    for (size_t i = 0; c->f && i < d->n_features; i++) {
        free(c->f[i].rmin), free(c->f[i].rmax);
        free(c->f[i].vmin), free(c->f[i].vmax);
    }
    for (size_t k = 0; c->ix_first && k < d->n_ix; k++)
        free(c->ix_first[k]);
    free(c->f), free(c->ix_first), free(c->ix_n);
}

static int check_init(check_state *c, const lead_scorer *s)
{
    const mql_design *d = s->d;
    c->f = calloc(d->n_features ? d->n_features : 1, sizeof *c->f);
    c->ix_first = calloc(d->n_ix ? d->n_ix : 1, sizeof *c->ix_first);
    c->ix_n = calloc(d->n_ix ? d->n_ix : 1, sizeof *c->ix_n);
    if (!c->f || !c->ix_first || !c->ix_n)
        return -1;
    for (size_t i = 0; i < d->n_features; i++) {
        const feat_tab *t = &s->f[i];
        check_feat *cf = &c->f[i];
        /* key 0: missing (or a code beyond the levels); then levels, or steps / bins / truth */
        cf->nkey = t->kind == K_CODE ? t->bf->n_codes + 1
                   : t->kind == K_LIN ? t->st->n + 1
                   : t->kind == K_BIN ? t->f->n_cuts + 2 : 3;
        cf->rmin = malloc(cf->nkey * sizeof *cf->rmin);
        cf->rmax = malloc(cf->nkey * sizeof *cf->rmax);
        cf->vmin = malloc(cf->nkey * sizeof *cf->vmin);
        cf->vmax = malloc(cf->nkey * sizeof *cf->vmax);
        if (!cf->rmin || !cf->rmax || !cf->vmin || !cf->vmax)
            return -1;
        for (size_t k = 0; k < cf->nkey; k++) {
            cf->rmin[k] = cf->rmax[k] = SIZE_MAX;
            cf->vmin[k] = INFINITY;
            cf->vmax[k] = -INFINITY;
        }
    }
    for (size_t k = 0; k < d->n_ix; k++) {
        c->ix_n[k] = (d->features[d->ix[k].a].n_terms + 1) * s->ix[k].nb;
        if (!(c->ix_first[k] = malloc(c->ix_n[k] * sizeof *c->ix_first[k])))
            return -1;
        for (size_t q = 0; q < c->ix_n[k]; q++)
            c->ix_first[k][q] = SIZE_MAX;
    }
    return 0;
}

/* Notes row r with value a (finite: the table reads anything else as missing) under key k of a
 * numeric feature: strict compares keep the first row of the lowest and highest value. */
static inline void check_value(check_feat *cf, size_t k, double a, size_t r)
{
    if (a < cf->vmin[k]) {
        cf->vmin[k] = a;
        cf->rmin[k] = r;
    }
    if (a > cf->vmax[k]) {
        cf->vmax[k] = a;
        cf->rmax[k] = r;
    }
}

/* Notes row r with value a under key k (a missing value: under key 0, its first row only). */
static inline void check_cell(check_feat *cf, size_t k, double a, size_t r)
{
    if (a != a) {
        if (cf->rmin[0] == SIZE_MAX)
            cf->rmin[0] = r;
    } else {
        check_value(cf, k, a, r);
    }
}

/* Fit and engagement points of mm rows (rows[r0 + i], or r0 + i when rows is NULL) into sf and
 * se; act (n_features x CHUNK) receives each feature's set term (-1: none) for the
 * interactions. ck, when given, notes the rows the self-check must see. */
SCORE_CLONES
static void score_chunk(const lead_scorer *s, const size_t *rows, size_t r0, size_t mm, long *sf,
                        long *se, int32_t *act, check_state *ck)
{
    const mql_design *d = s->d;
    for (size_t i = 0; i < mm; i++)
        sf[i] = se[i] = 0;
    for (size_t fi = 0; fi < d->n_features; fi++) {
        const feat_tab *t = &s->f[fi];
        const mql_column *col = t->bf->col;
        long *g = t->eng ? se : sf;
        int32_t *ac = act + fi * CHUNK;
        check_feat *cf = ck ? &ck->f[fi] : NULL;
        const long *tp = t->tp;
        int has_miss = t->f->has_missing;
        switch (t->kind) {
        case K_CODE: {
            const int32_t *map = t->bf->code_term;
            size_t L = t->bf->n_codes;
            int32_t na = t->bf->na_term;
            for (size_t i = 0; i < mm; i++) {
                size_t r = rows ? rows[r0 + i] : r0 + i;
                uint32_t c = col->code[r];
                int32_t o = c == MQL_NA_CODE ? na : c < L ? map[c] : -1;
                ac[i] = o;
                g[i] += tp[o + 1];
                if (cf) {
                    size_t k = c < L ? (size_t)c + 1 : 0;
                    if (cf->rmin[k] == SIZE_MAX)
                        cf->rmin[k] = r;
                }
            }
            break;
        }
        case K_BIN: {
            const double *cuts = t->f->cuts;
            size_t nc = t->f->n_cuts;
            for (size_t i = 0; i < mm; i++) {
                size_t r = rows ? rows[r0 + i] : r0 + i;
                double a = col->num[r];
                int32_t o;
                size_t bin = 0;
                if (isnan(a)) {
                    o = has_miss ? (int32_t)nc : -1;
                } else {
                    bin = mql_design_bin_of(cuts, nc, a);
                    o = bin > 0 ? (int32_t)bin - 1 : -1;
                }
                ac[i] = o;
                g[i] += tp[o + 1];
                if (cf)
                    check_cell(cf, bin + 1, a, r);
            }
            break;
        }
        case K_BOOL:
            for (size_t i = 0; i < mm; i++) {
                size_t r = rows ? rows[r0 + i] : r0 + i;
                double a = col->num[r];
                int32_t o = a != a ? (has_miss ? 1 : -1) : a != 0.0 ? 0 : -1;
                ac[i] = o;
                g[i] += tp[o + 1];
                if (cf)
                    check_cell(cf, a != 0.0 ? 2 : 1, a, r);
            }
            break;
        case K_LIN: {
            /* the step by one compare per cut over the whole chunk (independent compares the
             * compiler vectorises), then the points */
            const mql_points_step *st = t->st;
            if (t->dtab && !(cf && !st->vlo)) {
                /* plain decimals: the table (dtab_make), the index clamped into it before its
                 * conversion, as a signed long (as below). A missing value reads the clamped
                 * top entry, then takes the missing term's points or p0's. */
                const int16_t *dt = t->dtab;
                double sc = t->dscale, sh = t->dshift, top = t->dtop;
                const double *x = col->num;
                if (!rows && col->n_missing == 0) {
                    x += r0;
                    for (size_t i = 0; i < mm; i++) {
                        double q = x[i] * sc - sh;
                        q = q < top ? q : top;
                        q = q > 0 ? q : 0;
                        g[i] += dt[(long)q];
                    }
                } else {
                    long pm = has_miss ? tp[2] : t->p0;
                    for (size_t i = 0; i < mm; i++) {
                        double a = x[rows ? rows[r0 + i] : r0 + i];
                        double q = a * sc - sh;
                        q = q < top ? q : top;
                        q = q > 0 ? q : 0;
                        long p = dt[(long)q];
                        g[i] += a == a ? p : pm;
                    }
                }
                if (t->in_ix)
                    for (size_t i = 0; i < mm; i++)
                        ac[i] = -1;
                break;
            }
            double xv[CHUNK];
            if (t->dpts && !(cf && !st->vlo)) {
                /* the points by difference per cut (dpts_make); a missing value reads as 0,
                 * then takes the missing term's points when there is one */
                double pp[CHUNK];
                const double *dp = t->dpts;
                if (!rows) {
                    const double *x = col->num + r0;
                    for (size_t i = 0; i < mm; i++)
                        xv[i] = x[i] == x[i] ? x[i] : 0.0;
                } else {
                    for (size_t i = 0; i < mm; i++) {
                        double a = col->num[rows[r0 + i]];
                        xv[i] = a == a ? a : 0.0;
                    }
                }
                for (size_t i = mm; i < CHUNK; i++)
                    xv[i] = 0.0;
                for (size_t i = 0; i < CHUNK; i++)
                    pp[i] = dp[0];
                for (size_t c = 1; c < st->n; c++) {
                    double cut = st->lo[c], dc = dp[c];
                    for (size_t i = 0; i < CHUNK; i++)
                        pp[i] += cut <= xv[i] ? dc : 0.0;
                }
                if (has_miss) {
                    for (size_t i = 0; i < mm; i++) {
                        double a = col->num[rows ? rows[r0 + i] : r0 + i];
                        g[i] += a != a ? tp[2] : (long)pp[i];
                    }
                } else {
                    for (size_t i = 0; i < mm; i++)
                        g[i] += (long)pp[i];
                }
                for (size_t i = 0; i < mm; i++)
                    ac[i] = -1;
                break;
            }
            double kk[CHUNK];   /* step counts as doubles: a compare and an add per lane */
            for (size_t i = 0; i < mm; i++) {
                double a = col->num[rows ? rows[r0 + i] : r0 + i];
                xv[i] = a == a ? a : 0.0;
            }
            for (size_t i = mm; i < CHUNK; i++)
                xv[i] = 0.0;
            for (size_t i = 0; i < CHUNK; i++)
                kk[i] = 0.0;
            for (size_t c = 1; c < st->n; c++) {
                double cut = st->lo[c];
                for (size_t i = 0; i < CHUNK; i++)
                    kk[i] += cut <= xv[i] ? 1.0 : 0.0;
            }
            /* The step counts are small and not negative, so they convert to an index as a
             * signed long, one instruction; a conversion to size_t must also handle values
             * of 2^63 and more and costs a compare and a branch per lead. Without missing
             * values the column need not be read again. */
            if (has_miss) {
                for (size_t i = 0; i < mm; i++) {
                    double a = col->num[rows ? rows[r0 + i] : r0 + i];
                    ac[i] = -1;
                    g[i] += a != a ? tp[2] : st->points[(long)kk[i]];
                }
            } else {
                for (size_t i = 0; i < mm; i++) {
                    ac[i] = -1;
                    g[i] += st->points[(long)kk[i]];
                }
            }
            /* steps that know their lowest and highest training values are looked up after
             * the pass (check_lookup) */
            for (size_t i = 0; cf && !st->vlo && i < mm; i++) {
                size_t r = rows ? rows[r0 + i] : r0 + i;
                check_cell(cf, (size_t)kk[i] + 1, col->num[r], r);
            }
            break;
        }
        default:   /* K_LIN_NOSTEP: a value term scored as an indicator, as the design fill does */
            for (size_t i = 0; i < mm; i++) {
                size_t r = rows ? rows[r0 + i] : r0 + i;
                double a = col->num[r];
                int miss = a != a;
                ac[i] = -1;
                g[i] += (!miss && a != 0.0 ? tp[1] : 0) + (miss && has_miss ? tp[2] : 0);
                if (cf)
                    check_cell(cf, 1, a, r);
            }
            break;
        }
    }
    for (size_t k = 0; k < d->n_ix; k++) {
        const ix_tab *t = &s->ix[k];
        const int32_t *aa = act + t->a * CHUNK, *ab = act + t->b * CHUNK;
        long *g = t->eng ? se : sf;
        for (size_t i = 0; i < mm; i++) {
            size_t q = (size_t)(aa[i] + 1) * t->nb + (size_t)(ab[i] + 1);
            g[i] += t->pts[q];
            if (ck && ck->ix_first[k][q] == SIZE_MAX)
                ck->ix_first[k][q] = rows ? rows[r0 + i] : r0 + i;
        }
    }
}

int mql_points_inside_rows(const mql_design *d, const mql_design_binding *b,
                           const mql_points *m, const size_t *rows, size_t k, long *score,
                           mql_err *err)
{
    lead_scorer s;
    int rc = scorer_init(&s, d, b, m, err);
    if (rc)
        return rc;
    long sf[CHUNK], se[CHUNK];
    int32_t *act = malloc((d->n_features ? d->n_features : 1) * CHUNK * sizeof *act);
    if (!act) {
        scorer_free(&s);
        return mql_err_set(err, MQL_ENOMEM, "out of memory");
    }
    for (size_t r0 = 0; r0 < k; r0 += CHUNK) {
        size_t mm = k - r0 < CHUNK ? k - r0 : CHUNK;
        score_chunk(&s, rows, r0, mm, sf, se, act, NULL);
        for (size_t i = 0; i < mm; i++)
            mql_points_apply_caps(m, sf[i], se[i], NULL, NULL, &score[r0 + i]);
    }
    free(act);
    scorer_free(&s);
    return MQL_OK;
}

/* ==== the exact model's costs ================================================================= */

typedef struct exact_job {
    const double *eta;
    double *scratch;           /* eta itself when the caller lets it be overwritten, or NULL */
    const unsigned char *y;
    const double *w;
    size_t n;
    int auc_rc, ll_rc;
    double auc, ll;
} exact_job;

/* The AUC of unweighted scores v[0..n) by mql_auc's rule, overwriting v: the won values moved
 * to the front, both parts sorted as keys (one scratch of the larger part), then merged. Every
 * term of the sum is a count or a half count, so the result is mql_auc's bit for bit. Returns 0,
 * 1 for a score that is not finite or a single class (no AUC), -1 when out of memory. */
static int auc_in_place(double *v, const unsigned char *y, size_t n, double *auc)
{
    size_t np = 0;
    for (size_t i = 0; i < n; i++) {
        if (!isfinite(v[i]))
            return 1;
        if (y[i]) {
            double t = v[np];
            v[np++] = v[i];
            v[i] = t;
        }
    }
    size_t nn = n - np;
    if (!np || !nn)
        return 1;
    uint64_t *k = (uint64_t *)(void *)v, *scratch = mql_alloc_big((np > nn ? np : nn) * 8);
    if (!scratch)
        return -1;
    for (size_t i = 0; i < n; i++) {
        uint64_t key = mql_sort_key(v[i]);
        memcpy(&k[i], &key, sizeof key);
    }
    int rc = mql_sort_keys(k, scratch, np) || mql_sort_keys(k + np, scratch, nn) ? -1 : 0;
    free(scratch);
    if (rc)
        return -1;
    double area = mql_auc_area_keys(k, np, k + np, nn);
    *auc = area / ((double)np * (double)nn);
    return 0;
}

/* mql_logistic(eta) bit for bit without its branch on the sign, which a column of fitted
 * predictors takes either way at random: both of its sides divide by 1 + exp(-|eta|), the one
 * 1 and the other that exponential, so the numerator is chosen and one division made. */
static inline double logistic_nb(double eta)
{
    double e = exp(-fabs(eta));
    double num = eta >= 0.0 ? 1.0 : e;
    return num / (1.0 + e);
}

/* Row i's log loss term as mql_logloss weighs it (wi times the log of the clamped probability
 * of its outcome); *bad is set for a bad weight or probability. */
static inline double ll_term(double eta, unsigned char y, double wi, int *bad)
{
    const double eps = DBL_EPSILON;
    double p = logistic_nb(eta);
    *bad |= !isfinite(wi) || wi < 0 || !(p >= 0 && p <= 1);
    /* fmin(fmax(p, eps), 1 - eps) as compares, which the compiler keeps inline (it calls the
     * library for fmin and fmax): a NaN p becomes eps as fmax makes it, and no other value
     * differs from theirs, as the bounds are neither NaN nor zero */
    double q = p > eps ? p : eps;
    q = q < 1 - eps ? q : 1 - eps;
    return wi * (y ? log(q) : log(1 - q));
}

/* The log loss of mql_logistic(eta) as mql_logloss sums it, then the AUC of eta (mql_auc, or
 * in place over eta when it is scratch and the rows unweighted): all on one thread, what
 * mql_exact_costs does when it cannot have its buffer. */
static void exact_cost(exact_job *j)
{
    double s = 0, tot = 0;
    int bad = j->n == 0;
    for (size_t i = 0; i < j->n; i++) {
        double wi = j->w ? j->w[i] : 1.0;
        tot += wi;
        s -= ll_term(j->eta[i], j->y[i], wi, &bad);
    }
    j->ll_rc = bad || !(tot > 0);
    j->ll = s / tot;
    int rc = -1;
    if (j->scratch && !j->w && j->n > 0)
        rc = auc_in_place(j->scratch, j->y, j->n, &j->auc);
    if (rc < 0) {
        mql_err e2;
        j->auc_rc = mql_auc(j->eta, j->y, j->w, j->n, &j->auc, &e2);
    } else {
        j->auc_rc = rc;
    }
}

/* Rows per block of the log loss terms: 16 blocks or more from a million rows on, so two
 * threads end their last blocks close together. */
#define EXACT_BLOCK ((size_t)1 << 16)

void mql_exact_costs_init(mql_exact_costs *x, const double *eta, int eta_writable,
                          double *scratch, const unsigned char *y, const double *w, size_t n)
{
    *x = (mql_exact_costs){.eta = eta, .y = y, .w = w, .n = n, .blk = EXACT_BLOCK,
                           .writable = eta_writable, .auc = NAN, .ll = NAN};
    pthread_mutex_init(&x->lock, NULL);
    pthread_cond_init(&x->done, NULL);
    size_t nb = (n + EXACT_BLOCK - 1) / EXACT_BLOCK;
    if (n == 0)
        return;
    x->own_term = !scratch;
    x->term = scratch ? scratch : mql_alloc_big(n * sizeof *x->term);
    x->blocks = malloc(nb * sizeof *x->blocks);
    if (!x->term || !x->blocks) {
        if (x->own_term)
            free(x->term);
        free(x->blocks);
        x->term = NULL;
        x->blocks = NULL;
        return;
    }
    x->n_blocks = nb;
}

size_t mql_exact_costs_jobs(const mql_exact_costs *x)
{
    return x->n_blocks + 1;
}

/* Block b: each row's term into x->term, and the block's class count, eta range and flags. */
static void exact_block(mql_exact_costs *x, size_t b)
{
    size_t r0 = b * x->blk, r1 = x->n - r0 < x->blk ? x->n : r0 + x->blk;
    mql_exact_block o = {INFINITY, -INFINITY, 0, 0, 0};
    for (size_t i = r0; i < r1; i++) {
        double e = x->eta[i];
        x->term[i] = ll_term(e, x->y[i], x->w ? x->w[i] : 1.0, &o.bad);
        o.np += x->y[i] != 0;
        if (isfinite(e)) {
            o.lo = e < o.lo ? e : o.lo;
            o.hi = e > o.hi ? e : o.hi;
        } else {
            o.nonfinite = 1;
        }
    }
    x->blocks[b] = o;
    pthread_mutex_lock(&x->lock);
    if (++x->n_done == x->n_blocks)
        pthread_cond_broadcast(&x->done);
    pthread_mutex_unlock(&x->lock);
}

/* The last job: the log loss summed in row order (tot as the serial loop adds the weights: n
 * itself when they are all 1), then the AUC: unweighted by buckets (exact counts, so the
 * area is the sorted merge's bit for bit), in place or by mql_auc where that does not apply. */
static void exact_last(mql_exact_costs *x)
{
    pthread_mutex_lock(&x->lock);
    while (x->n_done < x->n_blocks)
        pthread_cond_wait(&x->done, &x->lock);
    pthread_mutex_unlock(&x->lock);
    size_t n = x->n, np = 0;
    double s = 0, tot = 0, lo = INFINITY, hi = -INFINITY;
    int bad = n == 0, nonfinite = 0;
    for (size_t b = 0; b < x->n_blocks; b++) {
        const mql_exact_block *o = &x->blocks[b];
        bad |= o->bad;
        nonfinite |= o->nonfinite;
        np += o->np;
        lo = o->lo < lo ? o->lo : lo;
        hi = o->hi > hi ? o->hi : hi;
    }
    for (size_t i = 0; x->w && i < n; i++)
        tot += x->w[i];
    if (!x->w)
        tot = (double)n;
    for (size_t i = 0; i < n; i++)
        s -= x->term[i];
    x->ll_rc = bad || !(tot > 0);
    x->ll = s / tot;
    int rc = -1;
    uint64_t area2;
    if (!x->w && (nonfinite || !np || np == n)) {
        rc = 1;   /* no AUC: a score that is not finite or a single class */
    } else if (!x->w && mql_auc_area2_buckets(x->eta, x->y, n, np, lo, hi, x->term,
                                              &area2) == 0) {
        x->auc = 0.5 * (double)area2 / ((double)np * (double)(n - np));
        rc = 0;
    } else if (x->writable && !x->w) {
        rc = auc_in_place((double *)x->eta, x->y, n, &x->auc);
    }
    if (rc < 0) {
        mql_err e2;
        x->auc_rc = mql_auc(x->eta, x->y, x->w, n, &x->auc, &e2);
    } else {
        x->auc_rc = rc;
    }
}

void mql_exact_costs_run(mql_exact_costs *x, size_t job)
{
    if (job < x->n_blocks) {
        exact_block(x, job);
    } else if (x->term) {
        exact_last(x);
    } else {
        exact_job ej = {x->eta, x->writable ? (double *)x->eta : NULL, x->y, x->w, x->n, 0, 0,
                        NAN, NAN};
        exact_cost(&ej);
        x->auc = ej.auc, x->ll = ej.ll, x->auc_rc = ej.auc_rc, x->ll_rc = ej.ll_rc;
    }
}

void mql_exact_costs_finish(mql_exact_costs *x, double *auc, double *logloss)
{
    *auc = x->auc_rc ? NAN : x->auc;
    *logloss = x->ll_rc ? NAN : x->ll;
    if (x->own_term)
        free(x->term);
    free(x->blocks);
    pthread_mutex_destroy(&x->lock);
    pthread_cond_destroy(&x->done);
}

/* ==== the pass ============================================================================== */

/* A score's log loss terms through the map, computed once per score value. */
typedef struct prob_cache {
    long lo;
    size_t n;
    double *l1, *l0;           /* log q and log(1 - q), NAN: not yet computed */
    unsigned char *bad;        /* the mapped probability is outside [0, 1] */
} prob_cache;

static void prob_terms(const mql_points *m, prob_cache *pc, long sc, double *l1, double *l0,
                       int *bad)
{
    size_t k = (size_t)(sc - pc->lo);
    if (pc->l1 && k < pc->n && !isnan(pc->l1[k])) {
        *l1 = pc->l1[k];
        *l0 = pc->l0[k];
        *bad |= pc->bad[k];
        return;
    }
    const double eps = DBL_EPSILON;
    double p = mql_points_prob(m, (double)sc), q = fmin(fmax(p, eps), 1 - eps);
    int b = !(p >= 0 && p <= 1);
    *l1 = log(q);
    *l0 = log(1 - q);
    *bad |= b;
    if (pc->l1 && k < pc->n) {
        pc->l1[k] = *l1;
        pc->l0[k] = *l0;
        pc->bad[k] = (unsigned char)b;
    }
}

/* The AUC from per-score weights, walked in ascending score order (mql_auc's integer path). */
static double hist_auc(const double *gpos, const double *gneg, size_t range, double wp, double wn)
{
    return mql_auc_area_hist(gpos, gneg, range) / (wp * wn);
}

/* The first row of x[0..n) equal to v (NaN v: the first missing one), or SIZE_MAX. A value
 * that is rare may first occur tens of thousands of rows in: with SSE2 (every x86-64), eight
 * rows are compared at a time without a branch, then the block with the hit row by row. */
static size_t first_row(const double *x, size_t n, double v)
{
    size_t r = 0;
#if defined(__SSE2__)
    if (v != v) {
        for (; r + 8 <= n; r += 8) {
            __m128d a = _mm_loadu_pd(x + r), b = _mm_loadu_pd(x + r + 2),
                    c = _mm_loadu_pd(x + r + 4), d = _mm_loadu_pd(x + r + 6);
            __m128d h = _mm_or_pd(_mm_or_pd(_mm_cmpunord_pd(a, a), _mm_cmpunord_pd(b, b)),
                                  _mm_or_pd(_mm_cmpunord_pd(c, c), _mm_cmpunord_pd(d, d)));
            if (_mm_movemask_pd(h))
                break;
        }
    } else {
        __m128d w = _mm_set1_pd(v);
        for (; r + 8 <= n; r += 8) {
            __m128d a = _mm_loadu_pd(x + r), b = _mm_loadu_pd(x + r + 2),
                    c = _mm_loadu_pd(x + r + 4), d = _mm_loadu_pd(x + r + 6);
            __m128d h = _mm_or_pd(_mm_or_pd(_mm_cmpeq_pd(a, w), _mm_cmpeq_pd(b, w)),
                                  _mm_or_pd(_mm_cmpeq_pd(c, w), _mm_cmpeq_pd(d, w)));
            if (_mm_movemask_pd(h))
                break;
        }
    }
#endif
    if (v != v)
        while (r < n && x[r] == x[r])
            r++;
    else
        while (r < n && x[r] != v)
            r++;
    return r < n ? r : SIZE_MAX;
}

/* The check rows of the LINEAR features whose steps know their lowest and highest training
 * values: the first row holding each, and the first missing row. A scan per value that stops at
 * the first hit: a common value is found within a few rows, where tracking the lowest and the
 * highest value of every step would test every row. */
static void check_lookup(check_state *ck, const lead_scorer *s, size_t n)
{
    for (size_t fi = 0; fi < s->d->n_features; fi++) {
        const feat_tab *t = &s->f[fi];
        if (t->kind != K_LIN || !t->st->vlo)
            continue;
        const double *x = t->bf->col->num;
        check_feat *cf = &ck->f[fi];
        const mql_points_step *st = t->st;
        for (size_t k = 0; k < st->n; k++) {
            /* the lowest and the highest value, rare, may be known from the steps */
            if (k == 0 && st->row_lo != SIZE_MAX)
                cf->rmin[1] = st->row_lo;
            else if (!isnan(st->vlo[k]))
                cf->rmin[k + 1] = first_row(x, n, st->vlo[k]);
            if (k + 1 == st->n && st->row_hi != SIZE_MAX)
                cf->rmax[k + 1] = st->row_hi;
            else if (!isnan(st->vhi[k]))
                cf->rmax[k + 1] = first_row(x, n, st->vhi[k]);
        }
        if (t->bf->col->n_missing)
            cf->rmin[0] = first_row(x, n, NAN);
    }
}

/* rows[0..k), each below n, in ascending order: a stable count per digit of 11 bits from the
 * lowest, as many digits as n - 1 has (two for a million rows), through tmp (k entries), where
 * qsort made about 14 compares per row through a function pointer. */
static void sort_rows(size_t *rows, size_t *tmp, size_t k, size_t n)
{
    size_t cnt[2048], *a = rows, *b = tmp;
    for (int sh = 0; sh < 64 && n > 0 && ((n - 1) >> sh) != 0; sh += 11) {
        memset(cnt, 0, sizeof cnt);
        for (size_t j = 0; j < k; j++)
            cnt[(a[j] >> sh) & 2047]++;
        for (size_t dg = 0, pos = 0; dg < 2048; dg++) {
            size_t c = cnt[dg];
            cnt[dg] = pos;
            pos += c;
        }
        for (size_t j = 0; j < k; j++)
            b[cnt[(a[j] >> sh) & 2047]++] = a[j];
        size_t *t = a;
        a = b;
        b = t;
    }
    if (a != rows)
        memcpy(rows, a, k * sizeof *rows);
}

/* The check rows of ck plus MQL_SELFCHECK_SAMPLE rows of a fixed-seed generator, ascending and
 * distinct, into out. */
static int check_rows(const check_state *ck, const mql_design *d, size_t n, mql_points_pass *out)
{
    size_t cap = MQL_SELFCHECK_SAMPLE, k = 0;
    for (size_t i = 0; i < d->n_features; i++)
        cap += 2 * ck->f[i].nkey;
    for (size_t q = 0; q < d->n_ix; q++)
        cap += ck->ix_n[q];
    size_t *rows = malloc(cap * sizeof *rows), *tmp = malloc(cap * sizeof *tmp);
    if (!rows || !tmp) {
        free(rows);
        free(tmp);
        return -1;
    }
    for (size_t i = 0; i < d->n_features; i++)
        for (size_t j = 0; j < ck->f[i].nkey; j++) {
            if (ck->f[i].rmin[j] != SIZE_MAX)
                rows[k++] = ck->f[i].rmin[j];
            if (ck->f[i].rmax[j] != SIZE_MAX)
                rows[k++] = ck->f[i].rmax[j];
        }
    for (size_t q = 0; q < d->n_ix; q++)
        for (size_t j = 0; j < ck->ix_n[q]; j++)
            if (ck->ix_first[q][j] != SIZE_MAX)
                rows[k++] = ck->ix_first[q][j];
    uint64_t x = UINT64_C(0x6d716c63616c);   /* splitmix64 from a fixed seed */
    for (size_t j = 0; n && j < MQL_SELFCHECK_SAMPLE; j++) {
        uint64_t z = (x += UINT64_C(0x9E3779B97F4A7C15));
        z = (z ^ (z >> 30)) * UINT64_C(0xBF58476D1CE4E5B9);
        z = (z ^ (z >> 27)) * UINT64_C(0x94D049BB133111EB);
        rows[k++] = (size_t)((z ^ (z >> 31)) % n);
    }
    sort_rows(rows, tmp, k, n);
    free(tmp);
    size_t u = 0;
    for (size_t j = 0; j < k; j++)
        if (u == 0 || rows[j] != rows[u - 1])
            rows[u++] = rows[j];
    out->check_rows = rows;
    out->n_check = u;
    return 0;
}

/* ==== the scores, on up to two threads ====================================================== */

/* Keeps in a the check rows of b as if a's rows and b's had been noted in one pass in row
 * order: the lower value (the higher for the maximum), between equal ones the earlier row;
 * first rows by the earlier row. Values a key never notes stay +-INFINITY on both sides, so
 * the rule reduces to the earlier row there. */
static void check_merge(check_state *a, const check_state *b, const mql_design *d)
{
    for (size_t i = 0; i < d->n_features; i++) {
        check_feat *x = &a->f[i];
        const check_feat *z = &b->f[i];
        for (size_t k = 0; k < x->nkey; k++) {
            if (z->vmin[k] < x->vmin[k] || (z->vmin[k] == x->vmin[k] && z->rmin[k] < x->rmin[k])) {
                x->vmin[k] = z->vmin[k];
                x->rmin[k] = z->rmin[k];
            }
            if (z->vmax[k] > x->vmax[k] || (z->vmax[k] == x->vmax[k] && z->rmax[k] < x->rmax[k])) {
                x->vmax[k] = z->vmax[k];
                x->rmax[k] = z->rmax[k];
            }
        }
    }
    for (size_t q = 0; q < d->n_ix; q++)
        for (size_t j = 0; j < a->ix_n[q]; j++)
            if (b->ix_first[q][j] < a->ix_first[q][j])
                a->ix_first[q][j] = b->ix_first[q][j];
}

/* The scoring half of the pass: blocks of rows taken in turn by up to two threads, each lead's
 * fit and engagement points stored per row (k32 when every sum fits in 32 bits, else k64), so
 * that the costs can then be summed in row order by one thread. */
typedef struct score_shared {
    const lead_scorer *s;
    size_t n, blk;
    int32_t *k32;              /* 2 per row: fit, engagement */
    long *k64;                 /* the same when a sum may not fit in 32 bits */
    pthread_mutex_t lock;
    size_t next;               /* first row of the next block (under lock) */
    const unsigned char *y;    /* with the jobs' cnt: the outcomes counted per score */
    long lo;                   /* the lowest score there can be: cnt's first entry */
} score_shared;

typedef struct score_job {
    score_shared *sh;
    int32_t *act;              /* n_features x CHUNK */
    check_state *ck;           /* NULL: no check rows */
    uint32_t *cnt;             /* NULL, or 2 per score from sh->lo: this job's leads with that
                                  (uncapped) score, other then won (the counted costs) */
    long slo, shi;             /* with cnt: the lowest and highest score counted */
} score_job;

static void *score_part(void *arg)
{
    score_job *j = arg;
    score_shared *sh = j->sh;
    long sf[CHUNK], se[CHUNK];
    for (;;) {
        pthread_mutex_lock(&sh->lock);
        size_t b0 = sh->next;
        sh->next = b0 < sh->n ? b0 + sh->blk : b0;
        pthread_mutex_unlock(&sh->lock);
        if (b0 >= sh->n)
            break;
        size_t b1 = sh->n - b0 < sh->blk ? sh->n : b0 + sh->blk;
        for (size_t r0 = b0; r0 < b1; r0 += CHUNK) {
            size_t mm = b1 - r0 < CHUNK ? b1 - r0 : CHUNK;
            score_chunk(sh->s, NULL, r0, mm, sf, se, j->act, j->ck);
            if (j->cnt) {
                const unsigned char *y = sh->y + r0;
                long slo = j->slo, shi = j->shi;
                for (size_t i = 0; i < mm; i++) {
                    long sc = sf[i] + se[i];
                    slo = sc < slo ? sc : slo;
                    shi = sc > shi ? sc : shi;
                    j->cnt[2 * (size_t)(sc - sh->lo) + (y[i] != 0)]++;
                }
                j->slo = slo;
                j->shi = shi;
            }
            if (sh->k32) {
                int32_t *k = sh->k32 + 2 * r0;
                for (size_t i = 0; i < mm; i++) {
                    k[2 * i] = (int32_t)sf[i];
                    k[2 * i + 1] = (int32_t)se[i];
                }
            } else {
                long *k = sh->k64 + 2 * r0;
                for (size_t i = 0; i < mm; i++) {
                    k[2 * i] = sf[i];
                    k[2 * i + 1] = se[i];
                }
            }
        }
    }
    return NULL;
}

/* The costs of unweighted leads without caps from the leads counted per score and outcome
 * (cnt, 2 per score from pc->lo, every job's merged): the weights per score of the AUC (gp, gn:
 * counts, which the row-order sums of 1.0 equal), the won and other totals, the log loss terms of
 * each score that occurs (computed once, pbad from those), then the log loss summed in row order
 * from a table of those terms by score and outcome, the same additions as the general loop
 * (1.0 times a term is the term). out_scores, when given, receives every lead's score. */
static double counted_costs(const void *keys, int narrow, size_t n, const unsigned char *y,
                            const uint32_t *cnt, const mql_points *m, prob_cache *pc, double *tab,
                            double *gp, double *gn, double *wp, double *wn, int *pbad,
                            long *out_scores)
{
    size_t range = pc->n;
    long lo = pc->lo;
    double p = 0, q = 0;
    for (size_t k = 0; k < range; k++) {
        gn[k] = (double)cnt[2 * k];
        gp[k] = (double)cnt[2 * k + 1];
        p += gp[k];
        q += gn[k];
        if (cnt[2 * k] || cnt[2 * k + 1])
            prob_terms(m, pc, lo + (long)k, &tab[2 * k + 1], &tab[2 * k], pbad);
    }
    *wp = p;
    *wn = q;
    double llp = 0;
    for (size_t r = 0; r < n; r++) {
        long sc = narrow ? (long)((const int32_t *)keys)[2 * r] + ((const int32_t *)keys)[2 * r + 1]
                         : ((const long *)keys)[2 * r] + ((const long *)keys)[2 * r + 1];
        if (out_scores)
            out_scores[r] = sc;
        llp -= tab[2 * (size_t)(sc - lo) + (y[r] != 0)];
    }
    return llp;
}

/* counted_costs as a job of its own: on a second thread while the first finds the check rows
 * (check_lookup, check_rows, their scores), which read only the keys and the columns. */
typedef struct counted_job {
    const void *keys;
    int narrow;
    size_t n;
    const unsigned char *y;
    const uint32_t *cnt;
    const mql_points *m;
    prob_cache *pc;
    double *tab, *gp, *gn;
    long *out_scores;
    double wp, wn, llp;        /* results */
    int pbad;
} counted_job;

static void *counted_run(void *arg)
{
    counted_job *j = arg;
    j->llp = counted_costs(j->keys, j->narrow, j->n, j->y, j->cnt, j->m, j->pc, j->tab, j->gp,
                           j->gn, &j->wp, &j->wn, &j->pbad, j->out_scores);
    return NULL;
}

/* The check rows of the pass (want_check): the steps' first rows by value, the rows noted and
 * sampled, ascending (check_rows), and the (capped) score of each from the keys. Returns 0 or -1
 * when out of memory. */
static int check_finish(check_state *ck, const lead_scorer *s, const mql_design *d,
                        const mql_points *m, const void *keys, int narrow, size_t n,
                        mql_points_pass *out)
{
    check_lookup(ck, s, n);
    if (check_rows(ck, d, n, out))
        return -1;
    if (!(out->check_scores = malloc((out->n_check ? out->n_check : 1) * sizeof(long))))
        return -1;
    for (size_t j = 0; j < out->n_check; j++) {
        size_t r = out->check_rows[j];
        long f = narrow ? ((const int32_t *)keys)[2 * r] : ((const long *)keys)[2 * r];
        long e = narrow ? ((const int32_t *)keys)[2 * r + 1] : ((const long *)keys)[2 * r + 1];
        mql_points_apply_caps(m, f, e, NULL, NULL, &out->check_scores[j]);
    }
    return 0;
}

void mql_points_exact_costs(const double *eta, int eta_writable, const unsigned char *y,
                            const double *w, size_t n, double *auc, double *logloss)
{
    mql_exact_costs x;
    mql_exact_costs_init(&x, eta, eta_writable, NULL, y, w, n);
    for (size_t k = 0; k < mql_exact_costs_jobs(&x); k++)
        mql_exact_costs_run(&x, k);
    mql_exact_costs_finish(&x, auc, logloss);
}

int mql_points_cost_pass(const mql_design *d, const mql_design_binding *b, mql_points *m,
                         const mql_points_pass_in *in, const unsigned char *y, const double *w,
                         mql_points_pass *out, mql_err *err)
{
    const double *eta = in->eta;
    int want_scores = in->want_scores, want_check = in->want_check;
    size_t n = b->n_rows;
    *out = (mql_points_pass){NAN, 0, -1, NULL, NULL, 0};
    lead_scorer s;
    int rc = scorer_init(&s, d, b, m, err);
    if (rc)
        return rc;
    int caps = mql_points_has_caps(m);
    /* every lead's score lies in [lo, hi]: the caps only lower a sum */
    long lo, hi = s.hi[0] + s.hi[1];
    mql_points_apply_caps(m, s.lo[0], s.lo[1], NULL, NULL, &lo);
    lo = lo < s.lo[0] + s.lo[1] ? lo : s.lo[0] + s.lo[1];
    size_t range = (size_t)(hi - lo) + 1;
    int hist = range <= HIST_MAX;
    /* the exact model's costs first (the points step brings them, computed beside the steps):
     * a writable eta is then free to hold the scores */
    double auc_x = in->auc_exact, ll_x = in->logloss_exact;
    if (y && !in->have_exact)
        mql_points_exact_costs(eta, in->eta_writable, y, w, n, &auc_x, &ll_x);
    int narrow = s.lo[0] >= INT32_MIN && s.lo[1] >= INT32_MIN && s.hi[0] <= INT32_MAX &&
                 s.hi[1] <= INT32_MAX;
    int eta_keys = y && in->eta_writable && narrow && eta;
    void *keys = eta_keys ? (void *)eta : mql_alloc_big((n ? n : 1) * (narrow ? 8 : 16));
    int threads = in->threads ? in->threads : n >= 100000 ? 2 : 1;
    check_state ck = {0}, ck2 = {0};
    double *gp = NULL, *gn = NULL, *cp = NULL, *cn = NULL, *sd = NULL, *sdc = NULL;
    int32_t *act = malloc((d->n_features ? d->n_features : 1) * CHUNK * sizeof *act), *act2 = NULL;
    prob_cache pc = {lo, hist ? range : 0, NULL, NULL, NULL};
    /* Unweighted leads without caps over a short span of scores: the costs from the leads
     * counted per score by the scoring threads (counted_costs), not from every lead's score by
     * one thread. */
    int counted = y && !w && !caps && range <= COUNTED_MAX && n <= UINT32_MAX;
    uint32_t *cnt = NULL, *cnt2 = NULL;
    double *tab = NULL;
    int ok = act != NULL && keys != NULL;
    if (ok && counted) {
        cnt = calloc(2 * range, sizeof *cnt);
        cnt2 = threads > 1 ? calloc(2 * range, sizeof *cnt2) : NULL;
        tab = malloc(2 * range * sizeof *tab);
        ok = cnt && tab && (threads < 2 || cnt2);
    }
    if (ok && threads > 1)
        ok = (act2 = malloc((d->n_features ? d->n_features : 1) * CHUNK * sizeof *act2)) != NULL;
    if (ok && want_scores)
        ok = (out->scores = mql_alloc_big((n ? n : 1) * sizeof *out->scores)) != NULL;
    if (ok && want_check)
        ok = check_init(&ck, &s) == 0 && (threads < 2 || check_init(&ck2, &s) == 0);
    if (ok && y && hist) {
        gp = calloc(range, sizeof *gp), gn = calloc(range, sizeof *gn);
        pc.l1 = malloc(range * sizeof *pc.l1), pc.l0 = malloc(range * sizeof *pc.l0);
        pc.bad = calloc(range, 1);
        ok = gp && gn && pc.l1 && pc.l0 && pc.bad;
        for (size_t k = 0; ok && k < range; k++)
            pc.l1[k] = NAN;
        if (ok && caps) {
            cp = calloc(range, sizeof *cp), cn = calloc(range, sizeof *cn);
            ok = cp && cn;
        }
    } else if (ok && y) {
        sd = mql_alloc_big((n ? n : 1) * sizeof *sd);
        sdc = caps ? mql_alloc_big((n ? n : 1) * sizeof *sdc) : NULL;
        ok = sd && (!caps || sdc);
    }
    if (!ok) {
        rc = mql_err_set(err, MQL_ENOMEM, "out of memory");
        goto done;
    }
    /* 1. every lead's points, in blocks of rows shared by the threads (a block of at most 16384
     * rows, at least 16 blocks when there are rows enough) */
    size_t blk = (n / 16 + CHUNK - 1) / CHUNK * CHUNK;
    blk = blk < CHUNK ? CHUNK : blk > 16384 ? 16384 : blk;
    score_shared sh = {&s, n, blk, narrow ? keys : NULL, narrow ? NULL : keys,
                       PTHREAD_MUTEX_INITIALIZER, 0, y, lo};
    score_job jobs[2] = {{&sh, act, want_check ? &ck : NULL, cnt, LONG_MAX, LONG_MIN},
                         {&sh, act2, want_check ? &ck2 : NULL, cnt2, LONG_MAX, LONG_MIN}};
    pthread_t th;
    int threaded = threads > 1 && pthread_create(&th, NULL, score_part, &jobs[1]) == 0;
    score_part(&jobs[0]);
    if (threaded)
        pthread_join(th, NULL);
    pthread_mutex_destroy(&sh.lock);
    if (threaded && want_check)
        check_merge(&ck, &ck2, d);
    /* 2. the costs, summed in row order */
    double bsum = 0, bsw = 0, wp = 0, wn = 0, llp = 0, llc = 0, cwp = 0, cwn = 0;
    int wbad = 0, pbad = 0, cbad = 0, checked = 0;
    size_t changed = 0;
    long slo = LONG_MAX, shi = LONG_MIN;
    long sf[CHUNK], se[CHUNK];
    if (counted) {
        for (size_t k = 0; threaded && k < 2 * range; k++)
            cnt[k] += cnt2[k];
        slo = jobs[0].slo < jobs[1].slo ? jobs[0].slo : jobs[1].slo;
        shi = jobs[0].shi > jobs[1].shi ? jobs[0].shi : jobs[1].shi;
        /* The row-order sum on a second thread while this one finds the check rows (the
         * two read the keys only and write apart); on this thread alone when there are none
         * or no second thread. */
        counted_job cj = {keys, narrow, n, y, cnt, m, &pc, tab, gp, gn, out->scores, 0, 0, 0,
                          0};
        pthread_t cth;
        int side = threaded && want_check && pthread_create(&cth, NULL, counted_run, &cj) == 0;
        if (side) {
            checked = 1;
            if (check_finish(&ck, &s, d, m, keys, narrow, n, out))
                rc = mql_err_set(err, MQL_ENOMEM, "out of memory");
            pthread_join(cth, NULL);
        } else {
            counted_run(&cj);
        }
        llp = cj.llp;
        wp = cj.wp;
        wn = cj.wn;
        pbad = cj.pbad;
        bsum = wp;
        bsw = (double)n;
    }
    for (size_t r0 = 0; !counted && r0 < n; r0 += CHUNK) {
        size_t mm = n - r0 < CHUNK ? n - r0 : CHUNK;
        if (narrow) {
            const int32_t *k = (const int32_t *)keys + 2 * r0;
            for (size_t i = 0; i < mm; i++) {
                sf[i] = k[2 * i];
                se[i] = k[2 * i + 1];
            }
        } else {
            const long *k = (const long *)keys + 2 * r0;
            for (size_t i = 0; i < mm; i++) {
                sf[i] = k[2 * i];
                se[i] = k[2 * i + 1];
            }
        }
        for (size_t i = 0; i < mm; i++) {
            size_t r = r0 + i;
            long unc = sf[i] + se[i], sc = unc;
            if (caps)
                mql_points_apply_caps(m, sf[i], se[i], NULL, NULL, &sc);
            slo = sc < slo ? sc : slo;
            shi = sc > shi ? sc : shi;
            if (out->scores)
                out->scores[r] = sc;
            double wr = w ? w[r] : 1.0;
            bsum += wr * (y ? (y[r] != 0) : mql_logistic(eta[r]));
            bsw += wr;
            if (!y)
                continue;
            /* the rounding cost reads the score before the caps */
            long cs = caps ? unc : sc;
            double l1, l0;
            wbad |= !isfinite(wr) || wr < 0;
            if (y[r])
                wp += wr;
            else
                wn += wr;
            if (hist) {
                size_t k = (size_t)(cs - lo);
                if (y[r])
                    gp[k] += wr;
                else
                    gn[k] += wr;
            } else {
                sd[r] = (double)cs;
            }
            prob_terms(m, &pc, cs, &l1, &l0, &pbad);
            llp -= wr * (y[r] ? l1 : l0);
            if (!caps)
                continue;
            changed += sc != unc;
            if (hist) {
                size_t k = (size_t)(sc - lo);
                if (y[r])
                    cp[k] += 1.0;
                else
                    cn[k] += 1.0;
            } else {
                sdc[r] = (double)sc;
            }
            if (y[r])
                cwp += 1.0;
            else
                cwn += 1.0;
            prob_terms(m, &pc, sc, &l1, &l0, &cbad);
            llc -= 1.0 * (y[r] ? l1 : l0);
        }
    }
    out->base_rate = bsw > 0 ? bsum / bsw : NAN;
    out->lo = slo;
    out->hi = shi;
    if (y) {
        mql_err e2;
        double auc_points = NAN;
        int auc_rc = n == 0 || wbad || !(wp > 0) || !(wn > 0);
        if (hist && !auc_rc)
            auc_points = hist_auc(gp, gn, range, wp, wn);
        else if (!hist)
            auc_rc = mql_auc(sd, y, w, n, &auc_points, &e2);
        /* A sample with one class has no AUC: the costs stay NAN (unknown) rather than failing. */
        m->auc_exact = auc_x;
        m->auc_points = auc_points;
        if (isnan(auc_x) || auc_rc)
            m->auc_exact = m->auc_points = NAN;
        int ll_rc = isnan(ll_x) || n == 0 || pbad || wbad || !(bsw > 0);
        m->logloss_exact = ll_rc ? NAN : ll_x;
        m->logloss_points = ll_rc ? NAN : llp / bsw;
        if (caps) {
            double auc_c = NAN;
            if (hist && n > 0 && cwp > 0 && cwn > 0)
                auc_c = hist_auc(cp, cn, range, cwp, cwn);
            else if (!hist && mql_auc(sdc, y, NULL, n, &auc_c, &e2))
                auc_c = NAN;
            m->auc_capped = auc_c;
            m->logloss_capped = n == 0 || cbad ? NAN : llc / (double)n;
            m->share_capped = n ? (double)changed / (double)n : NAN;
        }
    }
    /* the check rows and their scores, from the keys every lead's points went into (found
     * above beside the row-order sum, or here) */
    if (rc == MQL_OK && want_check && !checked &&
        check_finish(&ck, &s, d, m, keys, narrow, n, out))
        rc = mql_err_set(err, MQL_ENOMEM, "out of memory");
done:
    if (rc) {
        free(out->scores);
        out->scores = NULL;
        free(out->check_scores);
        out->check_scores = NULL;
    }
    check_free(&ck, d);
    check_free(&ck2, d);
    if (!eta_keys)
        free(keys);
    free(act), free(act2), free(gp), free(gn), free(cp), free(cn), free(sd), free(sdc);
    free(pc.l1), free(pc.l0), free(pc.bad);
    free(cnt), free(cnt2), free(tab);
    scorer_free(&s);
    return rc;
}
