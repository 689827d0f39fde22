/* leakage.c: screening candidate features one at a time (leakage.h): single-feature AUC with its
 * DeLong interval, nearly pure values, dates after the created date, outcome words in the name,
 * and identifier-like integers (nearly unique, or monotone in row or date order). */
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mqlcal/leakage.h"

const char *const mql_screen_rule =
    "a candidate feature is a leakage suspect when, on its own, (a) its single-feature AUC (each "
    "value, quantile group or missing scored by its own win rate) has a 95% DeLong interval "
    "starting at 0.85 or higher, (b) one value, or being filled or empty, marks >= 10 won leads "
    "and >= 5% of all won leads with >= 95% of its rows won, (c) it is a date later than the "
    "created date in >= 50% of rows (on or after it in >= 95%), or (d) its name has the word "
    "status, stage, reason, tag, quality, close or result (also with -s, -es, -d, -ed); a "
    "numeric column is identifier-like when its >= 20 filled values are integers, >= 95% of them "
    "distinct, or when it is monotone in row or date order (>= 95% of >= 20 changes one way). "
    "Such columns are usually filled during or after the sales process";

/* ---- names -------------------------------------------------------------------------------- */

static int is_alnum(int c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

size_t mql_name_words(const char *name, char (*w)[MQL_NAME_WORD], size_t max)
{
    size_t n = 0, len = 0;
    int prev_lower = 0;
    for (const char *p = name; ; p++) {
        int c = (unsigned char)*p;
        int boundary = !is_alnum(c) || (prev_lower && c >= 'A' && c <= 'Z');
        if (boundary && len > 0) {
            if (n < max)
                w[n][len < MQL_NAME_WORD ? len : MQL_NAME_WORD - 1] = '\0';
            n += n < max;
            len = 0;
        }
        if (!c)
            break;
        if (is_alnum(c)) {
            if (n < max && len < MQL_NAME_WORD - 1)
                w[n][len] = (char)(c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c);
            len++;
            prev_lower = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
        } else {
            prev_lower = 0;
        }
    }
    return n < max ? n : max;
}

/* word is stem, or stem with one of the endings s, es, d, ed. */
static int word_is(const char *word, const char *stem)
{
    size_t n = strlen(stem);
    if (strncmp(word, stem, n) != 0)
        return 0;
    const char *e = word + n;
    return !*e || !strcmp(e, "s") || !strcmp(e, "es") || !strcmp(e, "d") || !strcmp(e, "ed");
}

int mql_screen_name_word(const char *name, char *word, size_t cap)
{
    static const char *const stems[] = {"status", "stage", "reason", "tag", "quality", "close",
                                        "result"};
    char w[16][MQL_NAME_WORD];
    size_t n = mql_name_words(name, w, 16);
    for (size_t i = 0; i < n; i++)
        for (size_t k = 0; k < sizeof stems / sizeof *stems; k++)
            if (word_is(w[i], stems[k])) {
                if (word && cap)
                    snprintf(word, cap, "%s", w[i]);
                return 1;
            }
    return 0;
}

/* ---- evidence text ------------------------------------------------------------------------ */

static void add(mql_screen_col *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void add(mql_screen_col *c, const char *fmt, ...)
{
    size_t o = strlen(c->evidence), cap = sizeof c->evidence;
    if (o + 3 >= cap)
        return;
    if (o) {
        memcpy(c->evidence + o, "; ", 3);
        o += 2;
    }
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(c->evidence + o, cap - o, fmt, ap);
    va_end(ap);
}

_Static_assert(MQL_SCREEN_BINS <= 32, "group_counts searches at most 32 cuts");

/* ---- single-feature AUC over groups -------------------------------------------------------- */

typedef struct grp {
    double pos, neg;
} grp;

static int by_rate(const void *a, const void *b)
{
    const grp *x = a, *y = b;
    /* rate x < rate y  <=>  x.pos * (y.pos + y.neg) < y.pos * (x.pos + x.neg) */
    double l = x->pos * (y->pos + y->neg), r = y->pos * (x->pos + x->neg);
    return l < r ? -1 : l > r;
}

/* AUC of the score "the group's own win rate" with the DeLong variance, from group counts: with
 * the groups in ascending rate, a positive of group g beats the negatives of lower groups and ties
 * half of its own (V10), a negative loses to the positives of higher groups and half of its own
 * (V01); S10, S01 are their sample variances (DeLong et al. 1988). Groups of equal rate tie. */
static void group_auc(grp *g, size_t n, double *auc, double *lo, double *hi)
{
    size_t ne = 0;                   /* empty groups first out: they would tie with every rate */
    for (size_t k = 0; k < n; k++)
        if (g[k].pos + g[k].neg > 0)
            g[ne++] = g[k];
    n = ne;
    qsort(g, n, sizeof *g, by_rate);
    double np = 0, nn = 0;
    for (size_t k = 0; k < n; k++)
        np += g[k].pos, nn += g[k].neg;
    /* merge equal rates into tie blocks */
    size_t m = 0;
    for (size_t k = 0; k < n; k++) {
        if (m && by_rate(&g[m - 1], &g[k]) == 0) {
            g[m - 1].pos += g[k].pos;
            g[m - 1].neg += g[k].neg;
        } else {
            g[m++] = g[k];
        }
    }
    double below = 0, a = 0;
    for (size_t k = 0; k < m; k++) {
        a += g[k].pos * (below + 0.5 * g[k].neg);
        below += g[k].neg;
    }
    a /= np * nn;
    double s10 = 0, s01 = 0, negb = 0, posa = np;
    for (size_t k = 0; k < m; k++) {
        posa -= g[k].pos;
        double v10 = (negb + 0.5 * g[k].neg) / nn, v01 = (posa + 0.5 * g[k].pos) / np;
        s10 += g[k].pos * (v10 - a) * (v10 - a);
        s01 += g[k].neg * (v01 - a) * (v01 - a);
        negb += g[k].neg;
    }
    s10 /= np - 1;
    s01 /= nn - 1;
    double se = sqrt(s10 / np + s01 / nn), z = 1.959963984540054;
    *auc = a;
    *lo = fmax(0, a - z * se);
    *hi = fmin(1, a + z * se);
}

/* Groups for the AUC: levels with MQL_SCREEN_LEVEL_MIN rows or more on their own, rarer levels
 * together, booleans by value, numbers by up to MQL_SCREEN_BINS quantile groups (cut points from
 * at most 65,536 evenly spaced filled values), dates filled or not; missing always its own group
 * (the last). Counts the won (pos) and other (neg) rows of each group into g (at least
 * MQL_SCREEN_BINS + 1 entries, or n_levels + 2 for a categorical column, zeroed). Returns the
 * number of groups, 0 when out of memory. */
static size_t group_counts(const mql_column *c, const unsigned char *y, size_t n, grp *g)
{
    if (c->type == MQL_COL_CATEGORICAL) {
        size_t nl = c->n_levels;
        double *pos = calloc(2 * (nl + 1), sizeof *pos);
        if (!pos)
            return 0;
        double *neg = pos + nl + 1;
        for (size_t i = 0; i < n; i++) {   /* per level first: the missing code goes last */
            uint32_t k = c->code[i] == MQL_NA_CODE ? (uint32_t)nl : c->code[i];
            pos[k] += y[i] != 0;
            neg[k] += y[i] == 0;
        }
        size_t ng = 0;
        grp pooled = {0, 0};
        for (size_t k = 0; k < nl; k++) {
            if (c->level_count[k] >= MQL_SCREEN_LEVEL_MIN)
                g[ng++] = (grp){pos[k], neg[k]};
            else
                pooled.pos += pos[k], pooled.neg += neg[k];
        }
        g[ng++] = pooled;
        g[ng++] = (grp){pos[nl], neg[nl]};
        free(pos);
        return ng;
    }
    if (c->type == MQL_COL_BOOLEAN || c->type == MQL_COL_DATE) {
        for (size_t i = 0; i < n; i++) {
            size_t k = isnan(c->num[i])             ? 2
                       : c->type == MQL_COL_DATE ? 0
                                                 : (size_t)(c->num[i] != 0);
            g[k].pos += y[i] != 0;
            g[k].neg += y[i] == 0;
        }
        return 3;
    }
    size_t filled = n - c->n_missing, step = filled / 65536 + 1, m = 0;
    double *s = malloc((filled / step + 2) * sizeof *s);
    if (!s)
        return 0;
    for (size_t i = 0, f = 0; i < n; i++)
        if (!isnan(c->num[i]) && f++ % step == 0)
            s[m++] = c->num[i];
    if (mql_sort_doubles(s, m)) {
        free(s);
        return 0;
    }
    /* The cuts padded with +inf to 32 entries, for a search without branches. */
    double cuts[32];
    size_t nc = 0;
    for (size_t b = 1; b < MQL_SCREEN_BINS && m; b++) {
        double v = s[b * m / MQL_SCREEN_BINS];
        if (v > s[0] && (nc == 0 || v > cuts[nc - 1]))
            cuts[nc++] = v;
    }
    free(s);
    for (size_t k = nc; k < 32; k++)
        cuts[k] = INFINITY;
    double pos[MQL_SCREEN_BINS + 1] = {0}, neg[MQL_SCREEN_BINS + 1] = {0};
    for (size_t i = 0; i < n; i++) {
        double v = c->num[i];
        size_t k = 0;                    /* the number of cuts <= v (nc + 1 for missing) */
        k += cuts[k + 15] <= v ? 16 : 0;
        k += cuts[k + 7] <= v ? 8 : 0;
        k += cuts[k + 3] <= v ? 4 : 0;
        k += cuts[k + 1] <= v ? 2 : 0;
        k += cuts[k] <= v ? 1 : 0;
        k = isnan(v) ? nc + 1 : k > nc ? nc : k;
        pos[k] += y[i] != 0;
        neg[k] += y[i] == 0;
    }
    for (size_t k = 0; k < nc + 2; k++)
        g[k] = (grp){pos[k], neg[k]};
    return nc + 2;
}

/* The AUC rule (a). Returns 0 or -1 when out of memory. */
static int screen_auc(const mql_column *c, const unsigned char *y, size_t n, size_t n_pos,
                      mql_screen_col *out)
{
    size_t n_neg = n - n_pos;
    if (n_pos < MQL_SCREEN_AUC_MIN_CLASS || n_neg < MQL_SCREEN_AUC_MIN_CLASS)
        return 0;
    size_t cap = c->type == MQL_COL_CATEGORICAL ? c->n_levels + 2 : MQL_SCREEN_BINS + 2;
    grp *g = calloc(cap, sizeof *g);
    size_t ng = g ? group_counts(c, y, n, g) : 0;
    if (!ng) {
        free(g);
        return -1;
    }
    group_auc(g, ng, &out->auc, &out->auc_lo, &out->auc_hi);
    free(g);
    if (out->auc_lo >= MQL_SCREEN_AUC_LO) {
        out->flags |= MQL_SCREEN_F_AUC;
        add(out, "single-feature AUC %.3f (95%% interval %.3f-%.3f)", out->auc, out->auc_lo,
            out->auc_hi);
    }
    return 0;
}

/* The purity rule (b): indicators filled, empty and (categorical, boolean) each value. */
static int screen_pure(const mql_column *c, const unsigned char *y, size_t n, size_t n_pos,
                       mql_screen_col *out)
{
    double base = (double)n_pos / (double)n;
    double need = fmax(MQL_SCREEN_PURE, base + 0.5 * (1 - base));
    size_t n_val = c->type == MQL_COL_CATEGORICAL ? c->n_levels
                   : c->type == MQL_COL_BOOLEAN   ? 2
                                                  : 0;
    size_t n_ind = 2 + n_val;
    size_t *cnt = calloc(2 * n_ind, sizeof *cnt);
    if (!cnt)
        return -1;
    /* Counted in locals (a counter in memory bumped every row waits on its own store); the
     * filled indicator is what the empty one leaves. */
    size_t m_n = 0, m_y = 0, t_n = 0, t_y = 0;
    if (c->code) {
        for (size_t i = 0; i < n; i++) {
            uint32_t k = c->code[i];
            if (k == MQL_NA_CODE) {
                m_n++;
                m_y += y[i];
            } else if (n_val) {
                cnt[2 * (2 + k)] += 1;
                cnt[2 * (2 + k) + 1] += y[i];
            }
        }
    } else if (c->num) {
        int boolean = c->type == MQL_COL_BOOLEAN;
        for (size_t i = 0; i < n; i++) {
            double v = c->num[i];
            size_t miss = isnan(v), on = boolean && !miss && v != 0;
            m_n += miss;
            m_y += miss & y[i];
            t_n += on;
            t_y += on & y[i];
        }
        if (boolean) {
            size_t f_n = n - m_n, f_y = n_pos - m_y;   /* filled = false + true */
            cnt[2 * 2] = f_n - t_n;
            cnt[2 * 2 + 1] = f_y - t_y;
            cnt[2 * 3] = t_n;
            cnt[2 * 3 + 1] = t_y;
        }
    } else {
        m_n = n;                  /* no values at all */
        m_y = n_pos;
    }
    cnt[0] = n - m_n;
    cnt[1] = n_pos - m_y;
    cnt[2] = m_n;
    cnt[3] = m_y;
    size_t best = SIZE_MAX, more = 0;
    for (size_t q = 0; q < n_ind; q++) {
        size_t f = cnt[2 * q], a = cnt[2 * q + 1];
        if (f == 0 || f == n || a < MQL_SCREEN_PURE_MIN)
            continue;
        if ((double)a / (double)f < need || (double)a / (double)n_pos < MQL_SCREEN_PURE_COVER)
            continue;
        if (best == SIZE_MAX || a > cnt[2 * best + 1]) {
            more += best != SIZE_MAX;
            best = q;
        } else {
            more++;
        }
    }
    if (best != SIZE_MAX) {
        size_t f = cnt[2 * best], a = cnt[2 * best + 1];
        char what[96];
        if (best == 0)
            snprintf(what, sizeof what, "being filled");
        else if (best == 1)
            snprintf(what, sizeof what, "being empty");
        else if (c->type == MQL_COL_BOOLEAN)
            snprintf(what, sizeof what, "'%.60s'", best == 3 ? c->true_label : c->false_label);
        else
            snprintf(what, sizeof what, "'%.60s'", c->levels[best - 2]);
        out->flags |= MQL_SCREEN_F_PURE;
        add(out, "%s on %zu rows, %.1f%% of them won, %.1f%% of all won leads", what, f,
            100.0 * (double)a / (double)f, 100.0 * (double)a / (double)n_pos);
        if (more)
            add(out, "%zu more value%s like it", more, more > 1 ? "s" : "");
    }
    free(cnt);
    return 0;
}

/* The date rule (c). */
static void screen_date(const mql_column *c, const mql_column *created, size_t n,
                        mql_screen_col *out)
{
    size_t both = 0, later = 0, onafter = 0;
    for (size_t i = 0; i < n; i++) {
        double d = c->num[i], d0 = created->num[i];
        if (isnan(d) || isnan(d0))
            continue;
        both++;
        later += floor(d) > floor(d0);
        onafter += floor(d) >= floor(d0);
    }
    if (both >= MQL_SCREEN_MIN_ROWS && (double)later >= MQL_SCREEN_DATE_LATER * (double)both &&
        (double)onafter >= MQL_SCREEN_DATE_ONAFTER * (double)both) {
        out->flags |= MQL_SCREEN_F_DATE;
        add(out, "later than the created date (%s) in %.1f%% of the %zu rows with both dates",
            created->name, 100.0 * (double)later / (double)both, both);
    }
}

/* Steps up and down between consecutive filled values in the order ord (NULL: row order). Stops
 * early once the rarer direction holds more than 1 - MQL_SCREEN_MONOTONE of the most changes
 * there can be (n - 1): the monotone rule can then no longer hold, so the partial counts give the
 * same verdict (they are only quoted when it holds). */
static void steps(const double *v, size_t n, const size_t *ord, size_t *up, size_t *down)
{
    double prev = NAN;
    size_t u = 0, d = 0;
    double most_minor = (1 - MQL_SCREEN_MONOTONE) * (double)(n ? n - 1 : 0);
    for (size_t k = 0; k < n; k++) {
        double x = v[ord ? ord[k] : k];
        if (isnan(x))
            continue;
        if (!isnan(prev)) {
            u += x > prev;
            d += x < prev;
        }
        prev = x;
        if ((k & 4095) == 0 && (double)(u < d ? u : d) > most_minor)
            break;
    }
    *up = u;
    *down = d;
}

/* The identifier rules on a numeric column. ord: the rows with a created date in date order
 * (n_ord of them), NULL when there is no date or the rows are in date order already. */
static void screen_idlike(const mql_column *c, size_t n, const size_t *ord, size_t n_ord,
                          const char *date_name, mql_screen_col *out)
{
    size_t filled = n - c->n_missing;
    int all_int = 1;
    for (size_t i = 0; i < n && all_int; i++)
        all_int = isnan(c->num[i]) || c->num[i] == floor(c->num[i]);
    if (all_int && filled >= MQL_SCREEN_MIN_ROWS &&
        (double)c->n_distinct >= MQL_SCREEN_UNIQUE * (double)filled) {
        out->flags |= MQL_SCREEN_F_UNIQUE;
        add(out, "%zu distinct integers in %zu filled rows", c->n_distinct, filled);
    }
    for (int pass = 0; pass < 2; pass++) {
        if (pass == 1 && !ord)
            break;
        size_t up, down;
        steps(c->num, pass ? n_ord : n, pass ? ord : NULL, &up, &down);
        size_t ch = up + down, most = up > down ? up : down;
        if (ch >= MQL_SCREEN_MIN_ROWS && (double)most >= MQL_SCREEN_MONOTONE * (double)ch) {
            out->flags |= MQL_SCREEN_F_MONOTONE;
            if (pass == 0)
                add(out, "%s with row order (%.1f%% of %zu changes)",
                    up > down ? "rising" : "falling", 100.0 * (double)most / (double)ch, ch);
            else
                add(out, "%s with %s (%.1f%% of %zu changes)",
                    up > down ? "rising" : "falling", date_name,
                    100.0 * (double)most / (double)ch, ch);
            break;
        }
    }
}

/* ---- the screen --------------------------------------------------------------------------- */

void mql_screen_free(mql_screen *s)
{
    if (!s)
        return;
    free(s->col);
    free(s);
}

typedef struct screen_ctx {
    const mql_table *t;
    const unsigned char *y, *skip;
    long date_col;
    mql_screen *s;
    const mql_column *created;
    const size_t *ord;
    size_t n_ord, n_pos;
    int have_y;
} screen_ctx;

/* Screens column j (an mql_parallel_for work item). Returns 0 or -1 when out of memory. */
static int screen_one(void *ctx, size_t j)
{
    const screen_ctx *cx = ctx;
    const mql_table *t = cx->t;
    const unsigned char *y = cx->y;
    size_t n = t->n_rows, n_pos = cx->n_pos;
    const mql_column *c = &t->cols[j], *created = cx->created;
    mql_screen_col *o = &cx->s->col[j];
    o->auc = o->auc_lo = o->auc_hi = NAN;
    if ((cx->skip && cx->skip[j]) || (long)j == cx->date_col || c->type == MQL_COL_ID)
        return 0;
    o->screened = 1;
    if (c->n_distinct == 0)
        return 0;
    if (cx->have_y && c->type != MQL_COL_DATE && screen_auc(c, y, n, n_pos, o))
        return -1;
    if (cx->have_y && screen_pure(c, y, n, n_pos, o))
        return -1;
    if (c->type == MQL_COL_DATE && created)
        screen_date(c, created, n, o);
    char word[MQL_NAME_WORD];
    if (mql_screen_name_word(c->name, word, sizeof word)) {
        o->flags |= MQL_SCREEN_F_NAME;
        add(o, "the name says '%s'", word);
    }
    if ((o->flags & MQL_SCREEN_LEAK) && !(o->flags & MQL_SCREEN_F_AUC) && !isnan(o->auc))
        add(o, "single-feature AUC %.3f (95%% interval %.3f-%.3f)", o->auc, o->auc_lo,
            o->auc_hi);
    if (c->type == MQL_COL_NUMERIC) {
        /* Identifier evidence is its own sentence, after the leakage evidence. */
        mql_screen_col id = {0};
        screen_idlike(c, n, cx->ord, cx->n_ord, created ? created->name : "", &id);
        if (id.flags) {
            o->flags |= id.flags;
            add(o, "identifier-like: %s", id.evidence);
        }
    }
    return 0;
}

int mql_screen_run(const mql_table *t, const unsigned char *y, long date_col,
                   const unsigned char *skip, mql_screen **out, mql_err *err)
{
    *out = NULL;
    size_t n = t->n_rows;
    mql_screen *s = calloc(1, sizeof *s);
    if (s) {
        s->n_cols = t->n_cols;
        s->col = calloc(t->n_cols ? t->n_cols : 1, sizeof *s->col);
    }
    size_t *ord = NULL, n_ord = 0;
    int fail = !s || !s->col;
    const mql_column *created = date_col >= 0 && (size_t)date_col < t->n_cols &&
                                        t->cols[date_col].type == MQL_COL_DATE
                                    ? &t->cols[date_col]
                                    : NULL;
    if (!fail && created) {
        /* The rows with a date in date order (stable); NULL when that is row order. */
        double *d = mql_alloc_big((n ? n : 1) * sizeof *d);
        size_t *idx = mql_alloc_big((n ? n : 1) * sizeof *idx);
        size_t *o = mql_alloc_big((n ? n : 1) * sizeof *o);
        fail = !d || !idx || !o;
        int sorted = 1;
        double prev = -INFINITY;
        for (size_t i = 0; !fail && i < n; i++)
            if (!isnan(created->num[i])) {
                sorted &= created->num[i] >= prev;
                prev = created->num[i];
                idx[n_ord] = i;
                d[n_ord++] = created->num[i];
            }
        if (!fail && !sorted && mql_order_doubles(d, n_ord, o, NULL) == 0) {
            ord = o;
            for (size_t k = 0; k < n_ord; k++)
                ord[k] = idx[ord[k]];
            o = NULL;
        } else if (!fail && !sorted) {
            fail = 1;
        }
        free(d), free(idx), free(o);
    }
    size_t n_pos = 0;
    for (size_t i = 0; y && i < n; i++)
        n_pos += y[i];
    screen_ctx cx = {.t = t, .y = y, .date_col = date_col, .skip = skip, .s = s, .created = created,
                     .ord = ord, .n_ord = n_ord, .n_pos = n_pos,
                     .have_y = y && n_pos > 0 && n_pos < n};
    /* Columns are screened independently, on every CPU (a column's AUC is a pass over its
     * rows). */
    if (!fail && n >= 65536)
        fail = mql_parallel_for(t->n_cols, mql_cpu_count(), screen_one, &cx);
    for (size_t j = 0; !fail && n < 65536 && j < t->n_cols; j++)
        fail = screen_one(&cx, j);
    free(ord);
    if (fail) {
        mql_screen_free(s);
        return mql_err_set(err, MQL_ENOMEM, "out of memory");
    }
    *out = s;
    return MQL_OK;
}

void mql_screen_carriers(const mql_screen *s, const mql_table *t, const mql_design *d, char *buf,
                         size_t cap)
{
    size_t o = 0, shown = 0;
    unsigned char *used = calloc(d->n_features ? d->n_features : 1, 1);
    buf[0] = '\0';
    while (used && s && shown < 5 && o < cap) {
        long best = -1;
        double best_auc = -1;
        for (size_t i = 0; i < d->n_features; i++) {
            long j = mql_table_find(t, d->features[i].name);
            double a = j >= 0 && (size_t)j < s->n_cols ? s->col[j].auc : NAN;
            if (!used[i] && isfinite(a) && a > best_auc) {
                best = (long)i;
                best_auc = a;
            }
        }
        if (best < 0 || (shown > 0 && best_auc < 0.75))
            break;
        used[best] = 1;
        o += (size_t)snprintf(buf + o, cap - o, "%s%s (single-feature AUC %.3f)",
                              shown ? ", " : "", d->features[best].name, best_auc);
        shown++;
    }
    free(used);
    if (!buf[0])
        snprintf(buf, cap, "(no single feature stands out)");
}
