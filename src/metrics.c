/* metrics.c: evaluation statistics on score / probability arrays against 0/1 outcomes.
 * Definitions and references are stated in include/mqlcal/metrics.h; comments here say how. */
#include "mqlcal/metrics.h"

#include <float.h>
#include <stdio.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <gsl/gsl_cdf.h>

/* ================================================================================================
 * Shared pieces: a sortable row, input checks, quantiles as R and numpy compute them.
 * ============================================================================================== */

typedef struct row {
    double s;                 /* sort key: score or probability */
    double w;                 /* weight (1 when unweighted) */
    double p;                 /* second value carried along (probability for bands) */
    unsigned char y;
} row;

static int row_cmp(const void *a, const void *b)
{
    double x = ((const row *)a)->s, z = ((const row *)b)->s;
    return (x > z) - (x < z);
}

/* Sorts rows by s ascending, stably (ties keep their input order, as glibc's merge-sort qsort
 * keeps them, so sums over tied rows add in the same order): a radix order of the keys and one
 * permutation, several times faster than qsort on a million rows. Falls back to qsort when the
 * scratch cannot be allocated. */
static void sort_rows(row *r, size_t n)
{
    if (n < 2)
        return;
    double *key = mql_alloc_big(n * sizeof *key);
    size_t *ord = mql_alloc_big(n * sizeof *ord);
    row *tmp = mql_alloc_big(n * sizeof *tmp);
    if (key && ord && tmp) {
        for (size_t i = 0; i < n; i++)
            key[i] = r[i].s;
        if (mql_order_doubles(key, n, ord, NULL) == 0) {
            for (size_t i = 0; i < n; i++)
                tmp[i] = r[ord[i]];
            memcpy(r, tmp, n * sizeof *r);
            free(key), free(ord), free(tmp);
            return;
        }
    }
    free(key), free(ord), free(tmp);
    qsort(r, n, sizeof *r, row_cmp);
}

static int dbl_cmp(const void *a, const void *b)
{
    double x = *(const double *)a, z = *(const double *)b;
    return (x > z) - (x < z);
}

/* Copies the inputs into one row array (allocated once, caller frees) after checking them:
 * finite scores, weights finite and >= 0. Fills the weighted class totals. */
static int rows_load(const double *score, const unsigned char *y, const double *w, size_t n,
                     row **out, double *wpos, double *wneg, mql_err *err)
{
    if (out)
        *out = NULL;
    if (n == 0)
        return mql_err_set(err, MQL_EDATA, "no rows to evaluate");
    if (!score || !y)
        return mql_err_set(err, MQL_EDATA, "missing score or outcome array");
    row *r = out ? mql_alloc_big(n * sizeof *r) : NULL;     /* out NULL: only the checks */
    if (out && !r)
        return mql_err_set(err, MQL_ENOMEM, "out of memory for %zu rows", n);
    double tp = 0, tn = 0;
    for (size_t i = 0; i < n; i++) {
        double wi = w ? w[i] : 1.0;
        if (!isfinite(score[i])) {
            free(r);
            return mql_err_set(err, MQL_EDATA, "row %zu: score is not a finite number", i + 1);
        }
        if (!isfinite(wi) || wi < 0) {
            free(r);
            return mql_err_set(err, MQL_EDATA, "row %zu: weight must be finite and >= 0", i + 1);
        }
        if (r) {
            r[i].s = score[i];
            r[i].w = wi;
            r[i].p = 0;
            r[i].y = y[i] ? 1 : 0;
        }
        if (y[i])
            tp += wi;
        else
            tn += wi;
    }
    if (out)
        *out = r;
    *wpos = tp;
    *wneg = tn;
    return MQL_OK;
}

/* The ties of an unweighted score, ascending: each distinct value with its positives and
 * negatives. What the DeLong interval and the gains table read from sorted rows. */
typedef struct score_group {
    double s, pos, neg;
} score_group;

_Static_assert(sizeof(score_group) <= sizeof(row), "groups are written over sorted rows");

/* The groups of scores that are whole numbers over a short span (an integer points score),
 * counted per value instead of sorting the rows: the same groups in the same order as
 * groups_of_sorted's. Scores are finite (rows_load checked). Returns the number of groups with
 * *out (the caller frees), 0 when the scores are not such (sort them), (size_t)-1 when out of
 * memory. */
static size_t groups_by_count(const double *score, const unsigned char *y, size_t n,
                              score_group **out)
{
    double lo = INFINITY, hi = -INFINITY;
    for (size_t i = 0; i < n; i++) {
        double x = score[i];
        if (!(fabs(x) < 0x1p52) || x != (double)(int64_t)x)
            return 0;
        lo = x < lo ? x : lo;
        hi = x > hi ? x : hi;
    }
    if (n == 0 || hi - lo + 1 > 2.0 * (double)n + 65536.0 || hi - lo + 1 > 16777216.0)
        return 0;
    size_t m = (size_t)(hi - lo) + 1, ng = 0;
    /* cnt[2k]: the negatives at score lo + k, cnt[2k + 1]: the positives */
    size_t *cnt = calloc(2 * m, sizeof *cnt);
    if (!cnt)
        return (size_t)-1;
    for (size_t i = 0; i < n; i++)
        cnt[2 * (size_t)(score[i] - lo) + (y[i] != 0)]++;
    for (size_t k = 0; k < m; k++)
        ng += cnt[2 * k] + cnt[2 * k + 1] > 0;
    score_group *g = malloc(ng * sizeof *g);
    if (!g) {
        free(cnt);
        return (size_t)-1;
    }
    for (size_t k = 0, j = 0; k < m; k++)
        if (cnt[2 * k] + cnt[2 * k + 1] > 0)
            g[j++] = (score_group){lo + (double)k, (double)cnt[2 * k + 1], (double)cnt[2 * k]};
    free(cnt);
    *out = g;
    return ng;
}

/* Rows sorted by s (sort_rows) turned into their groups, written over the rows already read
 * (group k needs fewer bytes than row k, and k groups span at least k rows). Returns the number
 * of groups; the groups start at r. */
static size_t groups_of_sorted(row *r, size_t n)
{
    score_group *g = (score_group *)(void *)r;
    size_t ng = 0;
    for (size_t i = 0; i < n;) {
        size_t j = i;
        double gp = 0, gn = 0, s = r[i].s;
        for (; j < n && r[j].s == s; j++) {
            if (r[j].y)
                gp += 1;
            else
                gn += 1;
        }
        score_group v = {r[j - 1].s, gp, gn};    /* every row of the group is read */
        g[ng++] = v;
        i = j;
    }
    return ng;
}

/* The groups of an unweighted score (*g, *ng; free *g) and its class totals: counted when the
 * scores allow (groups_by_count), else from a sorted copy of the rows, which rows_load checks
 * first (finite scores; its errors are this function's). Returns MQL_OK, MQL_EDATA or
 * MQL_ENOMEM. */
static int score_groups(const double *score, const unsigned char *y, size_t n, score_group **g,
                        size_t *ng, double *wpos, double *wneg, mql_err *err)
{
    size_t k = score && y ? groups_by_count(score, y, n, g) : 0;
    if (k == (size_t)-1)
        return mql_err_set(err, MQL_ENOMEM, "out of memory for %zu rows", n);
    if (k) {
        double wp = 0, wn = 0;
        for (size_t i = 0; i < k; i++) {
            wp += (*g)[i].pos;
            wn += (*g)[i].neg;
        }
        *ng = k;
        *wpos = wp;
        *wneg = wn;
        return MQL_OK;
    }
    row *r;
    int rc = rows_load(score, y, NULL, n, &r, wpos, wneg, err);
    if (rc)
        return rc;
    sort_rows(r, n);
    *ng = groups_of_sorted(r, n);
    *g = (score_group *)(void *)r;
    return MQL_OK;
}

static int need_both_classes(double wpos, double wneg, mql_err *err)
{
    if (!(wpos > 0))
        return mql_err_set(err, MQL_EDATA, "no positive outcomes: the metric is undefined");
    if (!(wneg > 0))
        return mql_err_set(err, MQL_EDATA, "no negative outcomes: the metric is undefined");
    return MQL_OK;
}

static int check_probs(const double *p, size_t n, int open, mql_err *err)
{
    for (size_t i = 0; i < n; i++) {
        int bad = open ? !(p[i] > 0 && p[i] < 1) : !(p[i] >= 0 && p[i] <= 1);
        if (bad)
            return mql_err_set(err, MQL_EDATA, "row %zu: probability %.17g is outside %s", i + 1,
                               p[i], open ? "(0, 1)" : "[0, 1]");
    }
    return MQL_OK;
}

/* R quantile(x, prob, type = 7) on sorted x[0..n-1], with R's exact arithmetic:
 * index = 1 + (n - 1) prob, qs = x[lo], and when index > lo and x[hi] != qs,
 * qs = (1 - h) qs + h x[hi]. Matching the arithmetic matters because a break equal to a tied
 * score decides which group the tie joins. */
static double quantile_r7(const double *x, size_t n, double prob)
{
    double index = 1.0 + (double)(n - 1) * prob;
    double lo = floor(index), hi = ceil(index);
    double qs = x[(size_t)lo - 1], xh = x[(size_t)hi - 1];
    if (index > lo && xh != qs) {
        double h = index - lo;
        qs = (1 - h) * qs + h * xh;
    }
    return qs;
}

/* np.percentile(x, q * 100) with numpy's default 'linear' method on sorted x: q is first divided
 * back by 100, virtual index (n - 1) q, and _lerp's two-sided form. */
static double percentile_np(const double *x, size_t n, double q)
{
    q = (q * 100.0) / 100.0;
    double v = (double)(n - 1) * q;
    double prev = floor(v);
    size_t i = (size_t)prev, j = i + 1;
    if (v >= (double)(n - 1))
        return x[n - 1];
    if (j > n - 1)
        j = n - 1;
    double g = v - prev, a = x[i], b = x[j], d = b - a;
    return g >= 0.5 ? b - d * (1 - g) : a + d * g;
}

/* Removes repeated values from a sorted array in place; returns the new length. */
static size_t unique_sorted(double *v, size_t k)
{
    size_t m = 0;
    for (size_t i = 0; i < k; i++)
        if (m == 0 || v[i] != v[m - 1])
            v[m++] = v[i];
    return m;
}

/* Number of cuts <= s (band of mql_reliability_bands) or < s (right-closed bins). */
static size_t count_cuts(const double *cuts, size_t m, double s, int right_closed)
{
    size_t lo = 0, hi = m;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (right_closed ? cuts[mid] < s : cuts[mid] <= s)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* ================================================================================================
 * Discrimination
 * ============================================================================================== */

double mql_auc_area_keys(const uint64_t *pos, size_t np, const uint64_t *neg, size_t nn)
{
    double area = 0;
    size_t j = 0;                 /* negatives below the current value */
    for (size_t i = 0; i < np;) {
        uint64_t v = pos[i];
        size_t i2 = i;
        while (i2 < np && pos[i2] == v)
            i2++;
        while (j < nn && neg[j] < v)
            j++;
        size_t e = j;
        while (e < nn && neg[e] == v)
            e++;
        area += (double)(i2 - i) * ((double)j + 0.5 * (double)(e - j));
        i = i2;
    }
    return area;
}

/* Sorts v[0..n) ascending: qsort for a few values, by keys (linear time, allocates) for many,
 * as a bucket of close values can hold most of the rows. -1 when out of memory. */
static int sort_bucket(double *v, size_t n)
{
    if (n > 256)
        return mql_sort_doubles(v, n);
    qsort(v, n, sizeof *v, dbl_cmp);
    return 0;
}

/* Adds to *t twice the area within one bucket: a[0..ka) won and b[0..kb) other values (sorted
 * in place when there are many). All equal: every pair a tie; few pairs: each pair compared;
 * else both sides sorted and merged, each won value counting the other values below it twice
 * and the tied ones once. -1 when out of memory. */
static int bucket_area2(double *a, size_t ka, double *b, size_t kb, uint64_t *area2)
{
    int same = 1;
    for (size_t i = 0; i < ka; i++)
        same &= a[i] == a[0];
    for (size_t j = 0; j < kb; j++)
        same &= b[j] == a[0];
    if (same) {
        *area2 += (uint64_t)ka * kb;
        return 0;
    }
    uint64_t t = 0;
    if (ka * kb <= 256) {
        for (size_t i = 0; i < ka; i++)
            for (size_t j = 0; j < kb; j++)
                t += 2 * (uint64_t)(a[i] > b[j]) + (uint64_t)(a[i] == b[j]);
        *area2 += t;
        return 0;
    }
    if (sort_bucket(a, ka) || sort_bucket(b, kb))
        return -1;
    size_t below = 0, upto = 0;   /* b[0..below) < a[i], b[0..upto) <= a[i] */
    for (size_t i = 0; i < ka; i++) {
        while (below < kb && b[below] < a[i])
            below++;
        if (upto < below)
            upto = below;
        while (upto < kb && b[upto] == a[i])
            upto++;
        t += 2 * (uint64_t)below + (upto - below);
    }
    *area2 += t;
    return 0;
}

/* Buckets by (v - lo) * scale, truncated: each step of the computation is correctly rounded and
 * so never decreasing in v, hence a lower bucket holds only lower values and equal values
 * share a bucket; only pairs within a bucket need their values compared. */
static size_t bucket_of(double v, double lo, double scale, size_t nb)
{
    double d = (v - lo) * scale;
    return d < (double)nb ? (size_t)(int64_t)d : nb - 1;
}

int mql_auc_area2_buckets(const double *v, const unsigned char *y, size_t n, size_t np,
                          double lo, double hi, double *scratch, uint64_t *area2)
{
    size_t nn = n - np, nb = n / 8 ? n / 8 : 1;
    double scale = (double)nb / (hi - lo);
    /* 2 x area < 2^53 keeps the double of the caller's sum exact; the positions fit in 32 bits */
    if (!np || !nn || (double)np * (double)nn >= 0x1p51 || n >= UINT32_MAX || !(hi > lo) ||
        !isfinite(hi - lo) || !isfinite(scale))
        return -1;
    /* c[2k] and c[2k + 1]: bucket k's other and won rows, side by side (one cache line) */
    uint32_t *c = calloc(2 * nb, sizeof *c);
    double *buf = scratch ? scratch : mql_alloc_big(n * sizeof *buf);
    if (!c || !buf) {
        free(c);
        if (buf != scratch)
            free(buf);
        return -1;
    }
    for (size_t i = 0; i < n; i++)
        c[2 * bucket_of(v[i], lo, scale, nb) + (y[i] != 0)]++;
    /* pairs across buckets from the counts; then each bucket holding both classes gets a
     * stretch of buf (won values, then the others), its write positions in c */
    const uint32_t none = UINT32_MAX;
    uint64_t t = 0, below = 0;
    uint32_t at = 0;
    for (size_t k = 0; k < nb; k++) {
        uint32_t kn = c[2 * k], kp = c[2 * k + 1];
        t += 2 * (uint64_t)kp * below;
        below += kn;
        if (kp && kn) {
            c[2 * k + 1] = at;
            c[2 * k] = at + kp;
            at += kp + kn;
        } else {
            c[2 * k] = c[2 * k + 1] = none;
        }
    }
    for (size_t i = 0; i < n; i++) {
        uint32_t *at_k = &c[2 * bucket_of(v[i], lo, scale, nb) + (y[i] != 0)];
        if (*at_k != none)
            buf[(*at_k)++] = v[i];
    }
    /* after the writes, c[2k + 1] is where bucket k's other values start and c[2k] where they
     * end */
    uint32_t start = 0;
    int rc = 0;
    for (size_t k = 0; rc == 0 && k < nb; k++) {
        uint32_t mid = c[2 * k + 1], end = c[2 * k];
        if (mid == none)
            continue;
        rc = bucket_area2(buf + start, mid - start, buf + mid, end - mid, &t);
        start = end;
    }
    free(c);
    if (buf != scratch)
        free(buf);
    if (rc == 0)
        *area2 = t;
    return rc;
}

double mql_auc_area_hist(const double *gpos, const double *gneg, size_t range)
{
    double area = 0, neg_below = 0;
    for (size_t b = 0; b < range; b++) {
        area += gpos[b] * (neg_below + 0.5 * gneg[b]);
        neg_below += gneg[b];
    }
    return area;
}

int mql_auc(const double *score, const unsigned char *y, const double *w, size_t n, double *auc,
            mql_err *err)
{
    /* The checks and class totals of rows_load, without copying the rows: the sort is an index
     * order of the scores (stable, so ties add up in the order a row sort gives them). */
    if (n == 0)
        return mql_err_set(err, MQL_EDATA, "no rows to evaluate");
    if (!score || !y)
        return mql_err_set(err, MQL_EDATA, "missing score or outcome array");
    double wp = 0, wn = 0, lo = INFINITY, hi = -INFINITY;
    int integral = 1;
    for (size_t i = 0; i < n; i++) {
        double wi = w ? w[i] : 1.0;
        if (!isfinite(score[i]))
            return mql_err_set(err, MQL_EDATA, "row %zu: score is not a finite number", i + 1);
        if (!isfinite(wi) || wi < 0)
            return mql_err_set(err, MQL_EDATA, "row %zu: weight must be finite and >= 0", i + 1);
        if (y[i])
            wp += wi;
        else
            wn += wi;
        integral &= floor(score[i]) == score[i];
        lo = score[i] < lo ? score[i] : lo;
        hi = score[i] > hi ? score[i] : hi;
    }
    int rc = need_both_classes(wp, wn, err);
    if (rc)
        return rc;
    if (integral && hi - lo < (double)n && hi - lo < 16777216.0) {
        /* Integer scores (points) over a range no longer than n: tie groups are the integers,
         * so the weights add up per integer in row order, which is the order the stable sort
         * below gives within a tie, and the groups are then walked in ascending order: the same
         * sums without sorting. */
        size_t range = (size_t)(hi - lo) + 1;
        double *gpos = calloc(range, sizeof *gpos), *gneg = calloc(range, sizeof *gneg);
        if (gpos && gneg) {
            for (size_t i = 0; i < n; i++) {
                size_t b = (size_t)(score[i] - lo);
                if (y[i])
                    gpos[b] += w ? w[i] : 1.0;
                else
                    gneg[b] += w ? w[i] : 1.0;
            }
            double area = mql_auc_area_hist(gpos, gneg, range);
            free(gpos);
            free(gneg);
            *auc = area / (wp * wn);
            return MQL_OK;
        }
        free(gpos);
        free(gneg);
    }
    uint64_t area2;
    if (!w && n >= 4096 && mql_auc_area2_buckets(score, y, n, (size_t)wp, lo, hi, NULL,
                                                 &area2) == 0) {
        /* Unweighted: the pairs counted by buckets, exactly the area the merge below sums */
        *auc = 0.5 * (double)area2 / (wp * wn);
        return MQL_OK;
    }
    if (!w && n >= 4096) {
        /* Unweighted: the won and the other scores sorted apart (order keys only, no index) and
         * merged. Every term is a count or a half count, so the sum is exact in any order and
         * equals the walk below bit for bit. */
        size_t np = (size_t)wp, nn = (size_t)wn;
        uint64_t *ps = mql_alloc_big((np ? np : 1) * sizeof *ps);
        uint64_t *ns = mql_alloc_big((nn ? nn : 1) * sizeof *ns);
        uint64_t *scratch = mql_alloc_big((np > nn ? np : nn) * sizeof *scratch);
        if (ps && ns && scratch) {
            for (size_t i = 0, a = 0, b = 0; i < n; i++) {
                if (y[i])
                    ps[a++] = mql_sort_key(score[i]);
                else
                    ns[b++] = mql_sort_key(score[i]);
            }
        }
        int keys_sorted = ps && ns && scratch && mql_sort_keys(ps, scratch, np) == 0 &&
                          mql_sort_keys(ns, scratch, nn) == 0;
        free(scratch);
        if (keys_sorted) {
            double area = mql_auc_area_keys(ps, np, ns, nn);
            free(ps);
            free(ns);
            *auc = area / (wp * wn);
            return MQL_OK;
        }
        free(ps);
        free(ns);
    }
    size_t *ord = mql_alloc_big(n * sizeof *ord);
    double *sorted = mql_alloc_big(n * sizeof *sorted);
    if (!ord || !sorted || mql_order_doubles(score, n, ord, sorted)) {
        free(ord);
        free(sorted);
        return mql_err_set(err, MQL_ENOMEM, "out of memory for %zu rows", n);
    }
    /* Each positive scores the negative weight strictly below it plus half the tied weight. */
    double area = 0, neg_below = 0;
    for (size_t i = 0; i < n;) {
        size_t j = i;
        double gp = 0, gn = 0, si = sorted[i];
        for (; j < n && sorted[j] == si; j++) {
            size_t k = ord[j];
            if (y[k])
                gp += w ? w[k] : 1.0;
            else
                gn += w ? w[k] : 1.0;
        }
        area += gp * (neg_below + 0.5 * gn);
        neg_below += gn;
        i = j;
    }
    free(ord);
    free(sorted);
    *auc = area / (wp * wn);
    return MQL_OK;
}

double mql_z_for_level(double level)
{
    mql_gsl_quiet();
    return gsl_cdf_ugaussian_Pinv((1.0 + level) / 2.0);
}

int mql_auc_ci(const double *score, const unsigned char *y, size_t n, double level,
               mql_auc_interval *out, mql_err *err)
{
    if (!(level > 0 && level < 1))
        return mql_err_set(err, MQL_EDATA, "confidence level %g is not in (0, 1)", level);
    score_group *g;
    size_t ng;
    double wp, wn;
    int rc = score_groups(score, y, n, &g, &ng, &wp, &wn, err);
    if (rc)
        return rc;
    if (wp < 2 || wn < 2) {
        free(g);
        return mql_err_set(err, MQL_EDATA,
                           "DeLong interval needs at least 2 positives and 2 negatives "
                           "(have %.0f and %.0f)", wp, wn);
    }
    /* Sun & Xu midranks: for a positive, (combined midrank - midrank among positives) / n_neg
     * reduces to (negatives below + half the tied negatives) / n_neg; for a negative,
     * 1 - (positives below + half the tied positives) / n_pos. Pass 1: AUC = mean of the former;
     * pass 2: the two sample variances. */
    double m = wp, k = wn;
    for (int pass = 0; pass < 2; pass++) {
        double neg_below = 0, pos_below = 0, sum10 = 0, ss10 = 0, ss01 = 0;
        for (size_t i = 0; i < ng; i++) {
            double gp = g[i].pos, gn = g[i].neg;
            double v10 = (neg_below + 0.5 * gn) / k;
            double v01 = 1.0 - (pos_below + 0.5 * gp) / m;
            if (pass == 0) {
                sum10 += gp * v10;
            } else {
                ss10 += gp * (v10 - out->auc) * (v10 - out->auc);
                ss01 += gn * (v01 - out->auc) * (v01 - out->auc);
            }
            neg_below += gn;
            pos_below += gp;
        }
        if (pass == 0) {
            out->auc = sum10 / m;
        } else {
            double var = ss10 / (m - 1) / m + ss01 / (k - 1) / k;
            out->se = sqrt(var);
        }
    }
    free(g);
    double z = mql_z_for_level(level);
    out->lo = fmax(0.0, out->auc - z * out->se);
    out->hi = fmin(1.0, out->auc + z * out->se);
    out->gini = 2 * out->auc - 1;
    out->gini_lo = 2 * out->lo - 1;
    out->gini_hi = 2 * out->hi - 1;
    out->n_pos = (size_t)m;
    out->n_neg = (size_t)k;
    return MQL_OK;
}

/* KS of an unweighted score from its groups of ties (score_groups: counted for an integer score
 * instead of sorted), walked from the top score down as mql_ks walks the sorted rows. Each
 * group's counts are sums of ones, exact, so every figure is mql_ks's bit for bit. */
static int ks_groups(const double *score, const unsigned char *y, size_t n, mql_ks_result *out,
                     mql_err *err)
{
    score_group *g;
    size_t ng;
    double wp, wn;
    int rc = score_groups(score, y, n, &g, &ng, &wp, &wn, err);
    if (rc)
        return rc;
    if ((rc = need_both_classes(wp, wn, err))) {
        free(g);
        return rc;
    }
    double tp = 0, fp = 0;
    out->ks = -1;
    for (size_t k = ng; k > 0; k--) {
        tp += g[k - 1].pos;
        fp += g[k - 1].neg;
        double tpr = tp / wp, fpr = fp / wn, d = fabs(tpr - fpr);
        if (d > out->ks) {
            out->ks = d;
            out->threshold = g[k - 1].s;
            out->tpr = tpr;
            out->fpr = fpr;
        }
    }
    free(g);
    return MQL_OK;
}

/* 1 when some score is -0: the counted groups name the zero group +0, while the sorted rows name
 * it by its last row in input order. */
static int has_negative_zero(const double *score, size_t n)
{
    for (size_t i = 0; score && i < n; i++)
        if (score[i] == 0 && signbit(score[i]))
            return 1;
    return 0;
}

int mql_ks(const double *score, const unsigned char *y, const double *w, size_t n,
           mql_ks_result *out, mql_err *err)
{
    if (!w && !has_negative_zero(score, n))
        return ks_groups(score, y, n, out, err);
    row *r;
    double wp, wn;
    int rc = rows_load(score, y, w, n, &r, &wp, &wn, err);
    if (rc)
        return rc;
    if ((rc = need_both_classes(wp, wn, err))) {
        free(r);
        return rc;
    }
    sort_rows(r, n);
    /* Walk thresholds from the top score down; cumulative weights above give TPR and FPR. */
    double tp = 0, fp = 0;
    out->ks = -1;
    for (size_t j = n; j > 0;) {
        size_t i = j;
        double s = r[j - 1].s;
        for (; i > 0 && r[i - 1].s == s; i--) {
            if (r[i - 1].y)
                tp += r[i - 1].w;
            else
                fp += r[i - 1].w;
        }
        double tpr = tp / wp, fpr = fp / wn, d = fabs(tpr - fpr);
        if (d > out->ks) {
            out->ks = d;
            out->threshold = s;
            out->tpr = tpr;
            out->fpr = fpr;
        }
        j = i;
    }
    free(r);
    return MQL_OK;
}

/* ================================================================================================
 * Probability accuracy
 * ============================================================================================== */

static int weights_total(const double *w, size_t n, double *tot, mql_err *err)
{
    double t = 0;
    for (size_t i = 0; i < n; i++) {
        double wi = w ? w[i] : 1.0;
        if (!isfinite(wi) || wi < 0)
            return mql_err_set(err, MQL_EDATA, "row %zu: weight must be finite and >= 0", i + 1);
        t += wi;
    }
    if (!(t > 0))
        return mql_err_set(err, MQL_EDATA, "no rows with positive weight");
    *tot = t;
    return MQL_OK;
}

int mql_brier(const double *p, const unsigned char *y, const double *w, size_t n, double *out,
              mql_err *err)
{
    double tot;
    int rc;
    if (n == 0)
        return mql_err_set(err, MQL_EDATA, "no rows to evaluate");
    if ((rc = check_probs(p, n, 0, err)) || (rc = weights_total(w, n, &tot, err)))
        return rc;
    double s = 0;
    for (size_t i = 0; i < n; i++) {
        double d = (y[i] ? 1.0 : 0.0) - p[i];
        s += (w ? w[i] : 1.0) * d * d;
    }
    *out = s / tot;
    return MQL_OK;
}

int mql_logloss(const double *p, const unsigned char *y, const double *w, size_t n, double *out,
                mql_err *err)
{
    double tot;
    int rc;
    if (n == 0)
        return mql_err_set(err, MQL_EDATA, "no rows to evaluate");
    if ((rc = check_probs(p, n, 0, err)) || (rc = weights_total(w, n, &tot, err)))
        return rc;
    const double eps = DBL_EPSILON;
    double s = 0;
    for (size_t i = 0; i < n; i++) {
        double q = fmin(fmax(p[i], eps), 1 - eps);
        s -= (w ? w[i] : 1.0) * (y[i] ? log(q) : log(1 - q));
    }
    *out = s / tot;
    return MQL_OK;
}

int mql_wilson(double k, double n, double z, double *lo, double *hi)
{
    *lo = *hi = NAN;
    if (!isfinite(k) || !isfinite(n) || !isfinite(z) || !(n > 0) || k < 0 || k > n || !(z > 0))
        return MQL_EDATA;
    /* R prop.test with YATES = 0, same operation order. */
    double est = k / n, z22n = z * z / (2 * n);
    double root = z * sqrt(est * (1 - est) / n + z22n / (2 * n));
    *hi = est >= 1 ? 1.0 : (est + z22n + root) / (1 + 2 * z22n);
    *lo = est <= 0 ? 0.0 : (est + z22n - root) / (1 + 2 * z22n);
    return MQL_OK;
}

/* ================================================================================================
 * Calibration
 * ============================================================================================== */

static int hl_finish(double chisq, size_t used, size_t g, mql_hl *out, mql_err *err)
{
    if (used < 3)
        return mql_err_set(err, MQL_EDATA,
                           "Hosmer-Lemeshow: only %zu distinct groups (ties); need 3 for df >= 1",
                           used);
    out->chisq = chisq;
    out->df = (int)used - 2;
    out->p_value = gsl_cdf_chisq_Q(chisq, (double)out->df);
    out->groups_used = used;
    out->groups_asked = g;
    return MQL_OK;
}

static int hl_sorted(const double *p, const unsigned char *y, size_t n, size_t g,
                     mql_hl_group *groups, mql_hl *out, mql_err *err);

/* A distinct value of an array, with its rows and the positives among them. */
typedef struct value_count {
    double v;
    size_t n, pos;
} value_count;

static int value_count_cmp(const void *a, const void *b)
{
    double x = ((const value_count *)a)->v, z = ((const value_count *)b)->v;
    return (x > z) - (x < z);
}

#define DISTINCT_MAX 4096

/* The distinct values of x ascending, each with its rows and positives (y != 0): what a stable
 * sort of the rows gives as blocks of ties, found through a small hash on the values' bits
 * instead of sorting the rows. x holds no NAN. Returns the number of values (*out, the caller
 * frees), 0 when there are more than DISTINCT_MAX of them or a -0 (whose tie block a sort names
 * by its last row), (size_t)-1 when out of memory. */
static size_t distinct_counts(const double *x, const unsigned char *y, size_t n,
                              value_count **out)
{
    enum { SLOTS = 2 * DISTINCT_MAX };
    int32_t *slot = malloc(SLOTS * sizeof *slot);
    value_count *v = malloc(DISTINCT_MAX * sizeof *v);
    if (!slot || !v) {
        free(slot);
        free(v);
        return (size_t)-1;
    }
    memset(slot, 0xff, SLOTS * sizeof *slot);
    size_t m = 0;
    for (size_t i = 0; i < n; i++) {
        uint64_t bits;
        memcpy(&bits, &x[i], sizeof bits);
        if (bits == 0x8000000000000000ULL)
            goto too_many;
        size_t h = (size_t)((bits * 0x9E3779B97F4A7C15ULL) >> 51) & (SLOTS - 1);
        for (;;) {
            int32_t k = slot[h];
            if (k < 0) {
                if (m == DISTINCT_MAX)
                    goto too_many;
                slot[h] = (int32_t)m;
                v[m++] = (value_count){x[i], 0, 0};
                k = slot[h];
            } else if (memcmp(&v[k].v, &x[i], sizeof bits) != 0) {
                h = (h + 1) & (SLOTS - 1);
                continue;
            }
            v[k].n++;
            v[k].pos += y[i] != 0;
            break;
        }
    }
    free(slot);
    qsort(v, m, sizeof *v, value_count_cmp);
    *out = v;
    return m;
too_many:
    free(slot);
    free(v);
    return 0;
}

/* quantile_r7 over the sorted values that v's counts stand for (v ascending, n rows in all). */
static double quantile_r7_counts(const value_count *v, size_t m, size_t n, double prob)
{
    double index = 1.0 + (double)(n - 1) * prob;
    double lo = floor(index), hi = ceil(index);
    size_t want[2] = {(size_t)lo - 1, (size_t)hi - 1};
    double at[2] = {NAN, NAN};
    for (int t = 0; t < 2; t++)
        for (size_t k = 0, cum = 0; k < m; k++) {
            cum += v[k].n;
            if (want[t] < cum) {
                at[t] = v[k].v;
                break;
            }
        }
    double qs = at[0], xh = at[1];
    if (index > lo && xh != qs) {
        double h = index - lo;
        qs = (1 - h) * qs + h * xh;
    }
    return qs;
}

/* Hosmer-Lemeshow from the probabilities' distinct values (distinct_counts): the same breaks,
 * groups and sums as mql_hosmer_lemeshow's sorted rows, bit for bit (a group's expected counts
 * add each row's probability in the sorted order, which within a tie block is one value repeated;
 * its observed counts are sums of ones). Returns 1 when done (*rc: its status), 0 when the
 * probabilities have too many distinct values (sort them). p was checked by check_probs. */
static int hl_counted(const double *p, const unsigned char *y, size_t n, size_t g,
                      mql_hl_group *groups, mql_hl *out, int *rc, mql_err *err)
{
    value_count *v;
    size_t m = distinct_counts(p, y, n, &v);
    if (m == 0)
        return 0;
    if (m == (size_t)-1) {
        *rc = mql_err_set(err, MQL_ENOMEM, "out of memory");
        return 1;
    }
    double *br = malloc((g + 1) * sizeof *br);
    if (!br) {
        free(v);
        *rc = mql_err_set(err, MQL_ENOMEM, "out of memory");
        return 1;
    }
    double by = 1.0 / (double)g;
    for (size_t i = 0; i <= g; i++)
        br[i] = quantile_r7_counts(v, m, n, fmin((double)i * by, 1.0));
    qsort(br, g + 1, sizeof *br, dbl_cmp);
    size_t nb = unique_sorted(br, g + 1);
    *rc = MQL_OK;
    if (nb < 2) {
        *rc = mql_err_set(err, MQL_EDATA,
                          "Hosmer-Lemeshow: all predicted probabilities are equal (%.17g)", br[0]);
        free(v);
        free(br);
        return 1;
    }
    size_t used = 0, j = 0;
    double chisq = 0;
    for (size_t k = 0; k + 1 < nb && *rc == MQL_OK; k++) {
        mql_hl_group gr = {br[k], br[k + 1], 0, 0, 0, 0, 0};
        for (; j < m && (k + 2 == nb || v[j].v <= br[k + 1]); j++) {
            double s = v[j].v, t = 1 - s;
            gr.n += v[j].n;
            gr.obs1 += (double)v[j].pos;
            gr.obs0 += (double)(v[j].n - v[j].pos);
            for (size_t c = 0; c < v[j].n; c++) {
                gr.exp1 += s;
                gr.exp0 += t;
            }
        }
        if (gr.n == 0)
            continue;
        if (!(gr.exp1 > 0) || !(gr.exp0 > 0)) {
            *rc = mql_err_set(err, MQL_EDATA,
                              "Hosmer-Lemeshow: group (%.6g, %.6g] has an expected count of 0",
                              gr.lo, gr.hi);
            break;
        }
        chisq += (gr.obs1 - gr.exp1) * (gr.obs1 - gr.exp1) / gr.exp1 +
                 (gr.obs0 - gr.exp0) * (gr.obs0 - gr.exp0) / gr.exp0;
        groups[used++] = gr;
    }
    free(v);
    free(br);
    if (*rc == MQL_OK)
        *rc = hl_finish(chisq, used, g, out, err);
    return 1;
}

int mql_hosmer_lemeshow(const double *p, const unsigned char *y, size_t n, size_t g,
                        mql_hl_group *groups, mql_hl *out, mql_err *err)
{
    mql_gsl_quiet();
    int rc_counted;
    if (p && y && n && g >= 3 &&
        check_probs(p, n, 0, err) == MQL_OK &&
        hl_counted(p, y, n, g, groups, out, &rc_counted, err))
        return rc_counted;
    return hl_sorted(p, y, n, g, groups, out, err);
}

static int hl_sorted(const double *p, const unsigned char *y, size_t n, size_t g,
                     mql_hl_group *groups, mql_hl *out, mql_err *err)
{
    mql_gsl_quiet();
    if (g < 3)
        return mql_err_set(err, MQL_EDATA, "Hosmer-Lemeshow needs at least 3 groups (asked %zu)",
                           g);
    if (n == 0)
        return mql_err_set(err, MQL_EDATA, "no rows to evaluate");
    int rc = check_probs(p, n, 0, err);
    if (rc)
        return rc;
    double wp, wn;
    row *r;
    if ((rc = rows_load(p, y, NULL, n, &r, &wp, &wn, err)))
        return rc;
    double *br = malloc((g + 1) * sizeof *br);
    if (!br) {
        free(r);
        return mql_err_set(err, MQL_ENOMEM, "out of memory");
    }
    sort_rows(r, n);
    /* quantile() needs the sorted values themselves; read them through the row array. */
    double *xs = mql_alloc_big(n * sizeof *xs);
    if (!xs) {
        free(r);
        free(br);
        return mql_err_set(err, MQL_ENOMEM, "out of memory");
    }
    for (size_t i = 0; i < n; i++)
        xs[i] = r[i].s;
    /* seq(0, 1, 1/g) is 0 + (0:g) * (1/g), capped at 1. */
    double by = 1.0 / (double)g;
    for (size_t i = 0; i <= g; i++)
        br[i] = quantile_r7(xs, n, fmin((double)i * by, 1.0));
    free(xs);
    qsort(br, g + 1, sizeof *br, dbl_cmp);
    size_t nb = unique_sorted(br, g + 1);
    if (nb < 2) {
        double only = br[0];
        free(r);
        free(br);
        return mql_err_set(err, MQL_EDATA,
                           "Hosmer-Lemeshow: all predicted probabilities are equal (%.17g)", only);
    }
    /* cut(include.lowest = TRUE): bin k is (br[k], br[k+1]], bin 0 also takes br[0]. */
    size_t used = 0, i = 0;
    double chisq = 0;
    for (size_t k = 0; k + 1 < nb; k++) {
        mql_hl_group gr = {br[k], br[k + 1], 0, 0, 0, 0, 0};
        /* the last group takes the maximum even if seq() left its break a hair below 1 */
        for (; i < n && (k + 2 == nb || r[i].s <= br[k + 1]); i++) {
            gr.n++;
            gr.obs1 += r[i].y;
            gr.obs0 += 1 - r[i].y;
            gr.exp1 += r[i].s;
            gr.exp0 += 1 - r[i].s;
        }
        if (gr.n == 0)
            continue;
        if (!(gr.exp1 > 0) || !(gr.exp0 > 0)) {
            free(r);
            free(br);
            return mql_err_set(err, MQL_EDATA,
                               "Hosmer-Lemeshow: group (%.6g, %.6g] has an expected count of 0",
                               gr.lo, gr.hi);
        }
        chisq += (gr.obs1 - gr.exp1) * (gr.obs1 - gr.exp1) / gr.exp1 +
                 (gr.obs0 - gr.exp0) * (gr.obs0 - gr.exp0) / gr.exp0;
        groups[used++] = gr;
    }
    free(r);
    free(br);
    return hl_finish(chisq, used, g, out, err);
}

/* log(1 + exp(t)) without overflow. */
static double softplus(double t)
{
    return t > 0 ? t + log1p(exp(-t)) : log1p(exp(t));
}

static double inv_logit(double t)
{
    return t >= 0 ? 1.0 / (1.0 + exp(-t)) : exp(t) / (1.0 + exp(t));
}

static double logit_dev(const double *x, double xbar, const double *off, const unsigned char *y,
                        const double *w, size_t n, double a, double b)
{
    double d = 0;
    for (size_t i = 0; i < n; i++) {
        double eta = a + (x ? b * (x[i] - xbar) : 0) + (off ? off[i] : 0);
        d += (w ? w[i] : 1.0) * (y[i] ? softplus(-eta) : softplus(eta));
    }
    return 2 * d;
}

/* Fisher information (= negative Hessian) and score of the logistic log-likelihood at (a, b). */
static void logit_info(const double *x, double xbar, const double *off, const unsigned char *y,
                       const double *w, size_t n, double a, double b, double h[3], double gr[2])
{
    h[0] = h[1] = h[2] = gr[0] = gr[1] = 0;
    for (size_t i = 0; i < n; i++) {
        double xi = x ? x[i] - xbar : 0, eta = a + b * xi + (off ? off[i] : 0);
        double mu = inv_logit(eta), wi = w ? w[i] : 1.0, v = wi * mu * (1 - mu);
        double res = wi * ((y[i] ? 1.0 : 0.0) - mu);
        h[0] += v;
        h[1] += v * xi;
        h[2] += v * xi * xi;
        gr[0] += res;
        gr[1] += res * xi;
    }
}

/* Maximises the logistic likelihood of eta = a + b x + off by Newton's method with step halving.
 * x == NULL fits the intercept only (b stays 0). Converged when the Newton step falls below
 * 1e-10 (1 + |coefficient|): Newton converges quadratically, so the estimate is then exact to
 * rounding, tighter than R's deviance rule (the references use glm epsilon = 1e-14). No relative
 * deviance rule, because under separation the deviance shrinks to 0 and such a rule would declare
 * a divergent fit converged. cov = inverse information (a,a), (a,b), (b,b). */
static int logit_newton(const double *x, const double *off, const unsigned char *y,
                        const double *w, size_t n, double *a_out, double *b_out, double cov[3],
                        int *iter, mql_err *err)
{
    /* Newton runs on the centred predictor (a' = a + b xbar), which keeps the 2 x 2 information
     * well conditioned for scores far from 0; results are mapped back at the end. */
    double wsum = 0, xbar = 0, h[3], gr[2];
    for (size_t i = 0; i < n; i++) {
        wsum += w ? w[i] : 1.0;
        xbar += x ? (w ? w[i] : 1.0) * x[i] : 0;
    }
    xbar /= wsum;
    double b0 = *b_out, a0 = *a_out + b0 * xbar;
    double dev = logit_dev(x, xbar, off, y, w, n, a0, b0);
    for (int it = 1; it <= 100; it++) {
        if (dev < 1e-9 * wsum)
            break;                                    /* fitted probabilities all 0 or 1 */
        logit_info(x, xbar, off, y, w, n, a0, b0, h, gr);
        double da, db = 0, det = h[0] * h[2] - h[1] * h[1];
        if (x && !(det > 1e-13 * h[0] * h[2])) {
            if (it > 1)
                break;                                /* information vanished while diverging */
            return mql_err_set(err, MQL_EDATA,
                               "logistic fit: singular information (the predictor is constant)");
        }
        if (!(h[0] > 0))
            break;
        if (x) {
            da = (h[2] * gr[0] - h[1] * gr[1]) / det;
            db = (h[0] * gr[1] - h[1] * gr[0]) / det;
        } else {
            da = gr[0] / h[0];
        }
        double t = 1, dnew = dev;
        for (int half = 0; half < 40; half++, t *= 0.5) {
            /* halve only on a real increase: near the optimum the change is rounding noise */
            dnew = logit_dev(x, xbar, off, y, w, n, a0 + t * da, b0 + t * db);
            if (dnew <= dev + 1e-10 * (fabs(dev) + 1))
                break;
        }
        a0 += t * da;
        b0 += t * db;
        dev = dnew;
        if (fmax(fabs(t * da), fabs(t * db)) < 1e-10 * (1 + fmax(fabs(a0), fabs(b0)))) {
            logit_info(x, xbar, off, y, w, n, a0, b0, h, gr);
            if (x) {
                /* inverse information for (a', b), then a = a' - b xbar */
                det = h[0] * h[2] - h[1] * h[1];
                double vaa = h[2] / det, vab = -h[1] / det, vbb = h[0] / det;
                cov[0] = vaa - 2 * xbar * vab + xbar * xbar * vbb;
                cov[1] = vab - xbar * vbb;
                cov[2] = vbb;
            } else {
                cov[0] = 1 / h[0];
                cov[1] = cov[2] = 0;
            }
            *a_out = a0 - b0 * xbar;
            *b_out = b0;
            *iter = it;
            return MQL_OK;
        }
    }
    return mql_err_set(err, MQL_ENOCONV,
                       "logistic fit did not converge (separation: the outcome is perfectly "
                       "predicted by the score?)");
}

/* The rows grouped by score value when there are at most PLATT_GROUPS distinct values (points
 * models score in whole points): a won and a lost row per value, weighted by their counts (or
 * weights), in first-seen order, into *gx, *gy, *gw (2 per group; the caller frees the block at
 * *gx). Returns the rows made, 0 when there are more values or no memory (then use the rows). */
#define PLATT_GROUPS 4096
static size_t group_scores(const double *x, const unsigned char *y, const double *w, size_t n,
                           double **gx, unsigned char **gy, double **gw)
{
    enum { CAP = 4 * PLATT_GROUPS };
    uint64_t *key = malloc(CAP * sizeof *key);
    uint32_t *slot = malloc(CAP * sizeof *slot);
    double *blk = malloc(PLATT_GROUPS * 2 * (2 * sizeof(double)) + 2 * PLATT_GROUPS);
    size_t g = 0;
    if (!key || !slot || !blk)
        goto none;
    double *vx = blk, *vw = blk + 2 * PLATT_GROUPS;
    unsigned char *vy = (unsigned char *)(blk + 4 * PLATT_GROUPS);
    memset(slot, 0xFF, CAP * sizeof *slot);
    for (size_t i = 0; i < n; i++) {
        double v = x[i] == 0 ? 0.0 : x[i];        /* -0 and 0 are one value */
        uint64_t bits;
        memcpy(&bits, &v, sizeof bits);
        uint64_t h = bits * UINT64_C(0x9E3779B97F4A7C15);
        size_t k = (size_t)(h >> 50) & (CAP - 1);
        while (slot[k] != UINT32_MAX && key[k] != bits)
            k = (k + 1) & (CAP - 1);
        if (slot[k] == UINT32_MAX) {
            if (g == PLATT_GROUPS)
                goto none;
            key[k] = bits;
            slot[k] = (uint32_t)g;
            vx[2 * g] = vx[2 * g + 1] = v;
            vy[2 * g] = 1;
            vy[2 * g + 1] = 0;
            vw[2 * g] = vw[2 * g + 1] = 0;
            g++;
        }
        vw[2 * slot[k] + (y[i] ? 0 : 1)] += w ? w[i] : 1.0;
    }
    free(key);
    free(slot);
    *gx = vx;
    *gy = vy;
    *gw = vw;
    return 2 * g;
none:
    free(key);
    free(slot);
    free(blk);
    return 0;
}

int mql_calibration(const double *p, const unsigned char *y, const double *w, size_t n,
                    mql_calib *out, mql_err *err)
{
    double wp = 0, wn = 0;
    int rc;
    if (n == 0)
        return mql_err_set(err, MQL_EDATA, "no rows to evaluate");
    if ((rc = check_probs(p, n, 1, err)))
        return rc;
    for (size_t i = 0; i < n; i++) {
        double wi = w ? w[i] : 1.0;
        if (!isfinite(wi) || wi < 0)
            return mql_err_set(err, MQL_EDATA, "row %zu: weight must be finite and >= 0", i + 1);
        if (y[i])
            wp += wi;
        else
            wn += wi;
    }
    if ((rc = need_both_classes(wp, wn, err)))
        return rc;
    /* Probabilities of a points model take one value per score: rows grouped by value. */
    double *gx = NULL, *gw = NULL;
    unsigned char *gy = NULL;
    size_t ng = n > 2 * PLATT_GROUPS ? group_scores(p, y, w, n, &gx, &gy, &gw) : 0;
    if (ng) {
        p = gx, y = gy, w = gw;
        n = ng;
    }
    double *lp = mql_alloc_big(n * sizeof *lp);
    if (!lp) {
        free(gx);
        return mql_err_set(err, MQL_ENOMEM, "out of memory for %zu rows", n);
    }
    for (size_t i = 0; i < n; i++)
        lp[i] = log(p[i] / (1 - p[i]));
    double a = 0, b = 0, cov[3];
    rc = logit_newton(NULL, lp, y, w, n, &a, &b, cov, &out->iter_citl, err);
    if (rc == MQL_OK) {
        out->citl = a;
        out->citl_se = sqrt(cov[0]);
        a = 0;
        b = 1;
        rc = logit_newton(lp, NULL, y, w, n, &a, &b, cov, &out->iter_slope, err);
    }
    free(gx);
    if (rc == MQL_OK) {
        out->slope_a = a;
        out->slope = b;
        out->slope_a_se = sqrt(cov[0]);
        out->slope_se = sqrt(cov[2]);
    }
    free(lp);
    if (rc)
        return mql_err_prefix(err, rc, "calibration");
    return MQL_OK;
}

static void rel_finish(mql_rel_bin *b, double z)
{
    if (b->n == 0) {
        b->rate = b->rate_lo = b->rate_hi = b->mean_pred = NAN;
        return;
    }
    b->rate = b->events / (double)b->n;
    mql_wilson(b->events, (double)b->n, z, &b->rate_lo, &b->rate_hi);
}

int mql_reliability_quantile(const double *p, const unsigned char *y, size_t n, size_t n_bins,
                             mql_rel_bin *bins, size_t *n_used, mql_err *err)
{
    if (n_bins == 0)
        return mql_err_set(err, MQL_EDATA, "reliability table needs at least 1 bin");
    if (n == 0)
        return mql_err_set(err, MQL_EDATA, "no rows to evaluate");
    int rc = check_probs(p, n, 0, err);
    if (rc)
        return rc;
    double wp, wn;
    row *r;
    if ((rc = rows_load(p, y, NULL, n, &r, &wp, &wn, err)))
        return rc;
    double *e = mql_alloc_big((n_bins + 1 + n) * sizeof *e), *xs = e + n_bins + 1;
    if (!e) {
        free(r);
        return mql_err_set(err, MQL_ENOMEM, "out of memory");
    }
    sort_rows(r, n);
    for (size_t i = 0; i < n; i++)
        xs[i] = r[i].s;
    /* np.linspace(0, 1, n_bins + 1): i * (1 / n_bins), the last one exactly 1. */
    double step = 1.0 / (double)n_bins;
    for (size_t k = 0; k <= n_bins; k++)
        e[k] = percentile_np(xs, n, k == n_bins ? 1.0 : (double)k * step);
    /* searchsorted(e[1:-1], p, 'left') = number of inner edges < p. Rows are sorted, so the bin
     * index only moves forward. */
    double z = mql_z_for_level(0.95);
    size_t used = 0, i = 0;
    for (size_t k = 0; k < n_bins; k++) {
        mql_rel_bin b = {e[k], e[k + 1], 0, 0, 0, 0, 0, 0};
        double sp = 0;
        for (; i < n && (k == n_bins - 1 || r[i].s <= e[k + 1]); i++) {
            b.n++;
            b.events += r[i].y;
            sp += r[i].s;
        }
        if (b.n == 0)
            continue;
        b.mean_pred = sp / (double)b.n;
        rel_finish(&b, z);
        bins[used++] = b;
    }
    free(e);
    free(r);
    *n_used = used;
    return MQL_OK;
}

static int check_cuts(const double *cuts, size_t m, mql_err *err)
{
    for (size_t k = 0; k < m; k++) {
        if (!isfinite(cuts[k]))
            return mql_err_set(err, MQL_EDATA, "band cut %zu is not a finite number", k + 1);
        if (k > 0 && !(cuts[k] > cuts[k - 1]))
            return mql_err_set(err, MQL_EDATA,
                               "band cuts must increase strictly (%.17g then %.17g)",
                               cuts[k - 1], cuts[k]);
    }
    return MQL_OK;
}

int mql_reliability_bands(const double *score, const double *p, const unsigned char *y, size_t n,
                          const double *cuts, size_t m, mql_rel_bin *bins, mql_err *err)
{
    int rc = check_cuts(cuts, m, err);
    if (rc)
        return rc;
    if (p && (rc = check_probs(p, n, 0, err)))
        return rc;
    for (size_t k = 0; k <= m; k++) {
        mql_rel_bin b = {k ? cuts[k - 1] : -INFINITY, k < m ? cuts[k] : INFINITY, 0, 0, 0, 0, 0,
                         0};
        bins[k] = b;
    }
    for (size_t i = 0; i < n; i++) {
        if (!isfinite(score[i]))
            return mql_err_set(err, MQL_EDATA, "row %zu: score is not a finite number", i + 1);
        mql_rel_bin *b = &bins[count_cuts(cuts, m, score[i], 0)];
        b->n++;
        b->events += y[i] ? 1 : 0;
        if (p)
            b->mean_pred += p[i];
    }
    double z = mql_z_for_level(0.95);
    for (size_t k = 0; k <= m; k++) {
        bins[k].mean_pred = p && bins[k].n ? bins[k].mean_pred / (double)bins[k].n : NAN;
        rel_finish(&bins[k], z);
    }
    return MQL_OK;
}

/* ================================================================================================
 * Stability, gains
 * ============================================================================================== */

int mql_psi_compute(const double *base, size_t n_base, const double *cur, size_t n_cur,
                    const double *cuts, size_t m, mql_psi_bin *bins, mql_psi *out, mql_err *err)
{
    if (n_base == 0 || n_cur == 0)
        return mql_err_set(err, MQL_EDATA, "PSI needs rows in both samples (baseline %zu, "
                           "current %zu)", n_base, n_cur);
    for (size_t i = 0; i < n_base; i++)
        if (!isfinite(base[i]))
            return mql_err_set(err, MQL_EDATA, "baseline row %zu: score is not finite", i + 1);
    for (size_t i = 0; i < n_cur; i++)
        if (!isfinite(cur[i]))
            return mql_err_set(err, MQL_EDATA, "current row %zu: score is not finite", i + 1);
    int right_closed = cuts == NULL, rc;
    double q[9];
    if (cuts) {
        if ((rc = check_cuts(cuts, m, err)))
            return rc;
    } else {
        double *xs = malloc(n_base * sizeof *xs);
        if (!xs)
            return mql_err_set(err, MQL_ENOMEM, "out of memory");
        memcpy(xs, base, n_base * sizeof *xs);
        if (mql_sort_doubles(xs, n_base))
            qsort(xs, n_base, sizeof *xs, dbl_cmp);
        for (size_t k = 0; k < 9; k++)
            q[k] = quantile_r7(xs, n_base, (double)(k + 1) / 10.0);
        free(xs);
        m = unique_sorted(q, 9);
        cuts = q;
    }
    for (size_t k = 0; k <= m; k++) {
        mql_psi_bin b = {k ? cuts[k - 1] : -INFINITY, k < m ? cuts[k] : INFINITY, 0, 0, 0, 0, 0};
        bins[k] = b;
    }
    for (size_t i = 0; i < n_base; i++)
        bins[count_cuts(cuts, m, base[i], right_closed)].n_base++;
    for (size_t i = 0; i < n_cur; i++)
        bins[count_cuts(cuts, m, cur[i], right_closed)].n_cur++;
    out->psi = 0;
    out->n_bins = m + 1;
    out->empty_base = out->empty_cur = 0;
    for (size_t k = 0; k <= m; k++) {
        mql_psi_bin *b = &bins[k];
        /* Empty-bin rule: half a row's share keeps ln() finite and is small next to any real bin. */
        if (b->n_base) {
            b->share_base = (double)b->n_base / (double)n_base;
        } else {
            b->share_base = 0.5 / (double)n_base;
            out->empty_base++;
        }
        if (b->n_cur) {
            b->share_cur = (double)b->n_cur / (double)n_cur;
        } else {
            b->share_cur = 0.5 / (double)n_cur;
            out->empty_cur++;
        }
        b->term = (b->share_cur - b->share_base) * log(b->share_cur / b->share_base);
        out->psi += b->term;
    }
    return MQL_OK;
}

int mql_gains_table(const double *score, const unsigned char *y, size_t n, mql_gains_row *rows,
                    size_t *n_rows, mql_err *err)
{
    score_group *grp;
    size_t ng;
    double wp, wn;
    int rc = score_groups(score, y, n, &grp, &ng, &wp, &wn, err);
    if (rc)
        return rc;
    if (!(wp > 0)) {
        free(grp);
        return mql_err_set(err, MQL_EDATA, "gains table: no events");
    }
    mql_gains_row acc[10];
    memset(acc, 0, sizeof acc);
    for (size_t d = 0; d < 10; d++) {
        acc[d].min_score = INFINITY;
        acc[d].max_score = -INFINITY;
    }
    /* Descending: rank = rows with a strictly higher score, constant within a tie group. */
    for (size_t i = ng, above = 0; i > 0; i--) {
        const score_group *t = &grp[i - 1];
        size_t d = (10 * above) / n, leads = (size_t)(t->pos + t->neg);
        acc[d].leads += leads;
        acc[d].events += (size_t)t->pos;
        acc[d].min_score = fmin(acc[d].min_score, t->s);
        acc[d].max_score = fmax(acc[d].max_score, t->s);
        above += leads;
    }
    free(grp);
    double overall = wp / (double)n;
    size_t used = 0, cl = 0, ce = 0;
    for (size_t d = 0; d < 10; d++) {
        if (acc[d].leads == 0)
            continue;
        mql_gains_row g = acc[d];
        cl += g.leads;
        ce += g.events;
        g.cum_leads = cl;
        g.cum_events = ce;
        g.rate = (double)g.events / (double)g.leads;
        g.cum_share_events = (double)ce / wp;
        g.lift = g.rate / overall;
        g.cum_lift = ((double)ce / (double)cl) / overall;
        rows[used++] = g;
    }
    *n_rows = used;
    return MQL_OK;
}

/* ================================================================================================
 * Recalibration maps
 * ============================================================================================== */

void mql_isotonic_free(mql_isotonic *m)
{
    if (!m)
        return;
    free(m->x);
    free(m->y);
    free(m);
}

int mql_isotonic_fit(const double *x, const unsigned char *y, const double *w, size_t n,
                     mql_isotonic **out, mql_err *err)
{
    *out = NULL;
    row *r;
    double wp, wn;
    int rc = rows_load(x, y, w, n, &r, &wp, &wn, err);
    if (rc)
        return rc;
    if (!(wp + wn > 0)) {
        free(r);
        return mql_err_set(err, MQL_EDATA, "isotonic fit: no rows with positive weight");
    }
    /* Drop zero weights, sort, merge equal x into (x, weighted mean y, summed weight). */
    size_t m = 0;
    for (size_t i = 0; i < n; i++)
        if (r[i].w > 0)
            r[m++] = r[i];
    sort_rows(r, m);
    mql_isotonic *iso = calloc(1, sizeof *iso);
    double *wt = malloc(m * sizeof *wt);
    if (iso) {
        iso->x = malloc(m * sizeof *iso->x);
        iso->y = malloc(m * sizeof *iso->y);
    }
    if (!iso || !wt || !iso->x || !iso->y) {
        free(r);
        free(wt);
        mql_isotonic_free(iso);
        return mql_err_set(err, MQL_ENOMEM, "out of memory for isotonic fit");
    }
    size_t k = 0;
    for (size_t i = 0; i < m;) {
        double sw = 0, swy = 0, xv = r[i].s;
        for (; i < m && r[i].s == xv; i++) {
            sw += r[i].w;
            swy += r[i].w * r[i].y;
        }
        iso->x[k] = xv;
        iso->y[k] = swy / sw;
        wt[k++] = sw;
    }
    free(r);
    /* Pool adjacent violators over blocks; a block is (start, value, weight). Blocks are kept in
     * the arrays' prefix: block b starts at start[b]; reuse iso->y for values as we go. */
    size_t *start = malloc((k + 1) * sizeof *start);
    double *bv = malloc(k * sizeof *bv), *bw = malloc(k * sizeof *bw);
    if (!start || !bv || !bw) {
        free(start);
        free(bv);
        free(bw);
        free(wt);
        mql_isotonic_free(iso);
        return mql_err_set(err, MQL_ENOMEM, "out of memory for isotonic fit");
    }
    size_t nb = 0;
    for (size_t i = 0; i < k; i++) {
        start[nb] = i;
        bv[nb] = iso->y[i];
        bw[nb] = wt[i];
        nb++;
        while (nb > 1 && bv[nb - 2] >= bv[nb - 1]) {
            double ww = bw[nb - 2] + bw[nb - 1];
            bv[nb - 2] = (bw[nb - 2] * bv[nb - 2] + bw[nb - 1] * bv[nb - 1]) / ww;
            bw[nb - 2] = ww;
            nb--;
        }
    }
    start[nb] = k;
    for (size_t b = 0; b < nb; b++)
        for (size_t i = start[b]; i < start[b + 1]; i++)
            iso->y[i] = bv[b];
    iso->k = k;
    free(start);
    free(bv);
    free(bw);
    free(wt);
    *out = iso;
    return MQL_OK;
}

double mql_isotonic_predict(const mql_isotonic *m, double x)
{
    if (isnan(x))
        return NAN;
    if (m->k == 1)
        return m->y[0];
    x = fmin(fmax(x, m->x[0]), m->x[m->k - 1]);
    /* scipy interp1d: hi = searchsorted(xk, x, 'left') clipped to [1, k - 1], lo = hi - 1. */
    size_t hi = count_cuts(m->x, m->k, x, 1);
    if (hi < 1)
        hi = 1;
    if (hi > m->k - 1)
        hi = m->k - 1;
    size_t lo = hi - 1;
    double slope = (m->y[hi] - m->y[lo]) / (m->x[hi] - m->x[lo]);
    return slope * (x - m->x[lo]) + m->y[lo];
}

int mql_platt_fit(const double *score, const unsigned char *y, const double *w, size_t n,
                  mql_platt *out, mql_err *err)
{
    double wp, wn;
    int rc = rows_load(score, y, w, n, NULL, &wp, &wn, err);
    if (rc)
        return rc;
    if ((rc = need_both_classes(wp, wn, err)))
        return rc;
    double a = log(wp / wn), b = 0, cov[3];
    double *gx = NULL, *gw = NULL;
    unsigned char *gy = NULL;
    size_t ng = n > 2 * PLATT_GROUPS ? group_scores(score, y, w, n, &gx, &gy, &gw) : 0;
    rc = ng ? logit_newton(gx, NULL, gy, gw, ng, &a, &b, cov, &out->iter, err)
            : logit_newton(score, NULL, y, w, n, &a, &b, cov, &out->iter, err);
    free(gx);
    if (rc)
        return mql_err_prefix(err, rc, "Platt scaling");
    out->a = a;
    out->b = b;
    out->se_a = sqrt(cov[0]);
    out->se_b = sqrt(cov[2]);
    out->cov_ab = cov[1];
    return MQL_OK;
}

double mql_platt_predict(const mql_platt *m, double score)
{
    return inv_logit(m->a + m->b * score);
}

int mql_few_note(size_t won, size_t lost, char *buf, size_t cap)
{
    int few = won < MQL_AUC_MIN_CLASS || lost < MQL_AUC_MIN_CLASS;
    if (cap)
        buf[0] = '\0';
    if (few && cap)
        snprintf(buf, cap, "on %zu won and %zu lost lead%s: too few to judge (at least %d of each "
                 "needed)", won, lost, lost == 1 ? "" : "s", MQL_AUC_MIN_CLASS);
    return few;
}
