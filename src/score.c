/* score.c: applying a points model to leads, from a loaded table or record by record from a CSV
 * stream. Both paths build an mql_cell per value and call mql_cond_match, so they agree; numeric
 * cells look their one-condition rule up in a breakpoint table made at bind time by
 * mql_cond_match itself. Compound rules (several features) are matched condition by condition;
 * caps are applied by mql_points_apply_caps. */
#include "mqlcal/score.h"

#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Header-bound scorers: a feature's recent cell texts, by their raw bytes, with the rule each
 * matched and whether it was missing. Everything the match of a field reads is its bytes, the
 * placeholder list and the file's delimiter (fixed while the scorer scores; mql_scorer_set_delim
 * empties the memo), so a text seen before matches as it did: a lead file repeats a handful of
 * levels per column, and a lookup costs less than trimming, the placeholder and number checks
 * and the rule-by-rule compares. Direct-mapped by a hash of the bytes; longer texts are matched
 * directly. */
#define MEMO_BITS 10
#define MEMO_SLOTS (1u << MEMO_BITS)
#define MEMO_WORDS 3          /* texts of up to 24 bytes, compared as zero-padded words */
typedef struct memo_slot {
    uint64_t key[MEMO_WORDS];
    int32_t rule;
    unsigned char len;        /* key bytes + 1; 0: empty */
    unsigned char missing;
} memo_slot;

/* One column the rules read: the rules on it, and for a table-bound categorical column the rule
 * each level matches (computed once per level). */
typedef struct scorer_feature {
    const char *name;         /* borrowed from the first rule */
    size_t *rules;            /* indices into m->rules */
    size_t n_rules;
    size_t col;               /* table column or header field */
    const mql_column *c;      /* table-bound only */
    long *level_rule;         /* categorical table columns: rule per level code, -1 none */
    long na_rule;             /* rule a missing cell matches, -1 none */
    size_t unmatched;         /* non-missing cells that matched no rule */
    /* Numeric cells: a rule's match on a number depends only on where the number lies among the
     * numbers the rules name (bounds, numeric = / != / in values). bp[0] < ... < bp[n_bp-1] are
     * those numbers; piece[2k+1] is the rule matching exactly bp[k], piece[2k] the rule matching
     * the open interval (bp[k-1], bp[k]) (k = 0: below bp[0]; k = n_bp: above the last), -1 none. */
    double *bp;
    size_t n_bp;
    long *piece;              /* 2 n_bp + 1 */
    memo_slot *memo;          /* header-bound: MEMO_SLOTS, NULL once switched off */
    size_t memo_seen, memo_new;   /* lookups and misses in the current window */
} scorer_feature;

/* Compound rules with one feature set: per row each feature's cell is read once, then the rules
 * are tried in order (they are mutually exclusive, so the first match is the only one). */
typedef struct scorer_compound {
    size_t *rules;            /* indices into m->rules */
    size_t n_rules;
    size_t n_feat;
    const char **feat;        /* the feature set (borrowed from the first rule's conditions) */
    size_t *col;              /* table column or header field of each feature */
    const mql_column **c;     /* table-bound only */
    mql_cell **level_cell;    /* table-bound categorical / ID columns: each level code's cell
                                 (texts borrowed from the table), NULL otherwise */
    size_t *cond;             /* n_rules x n_feat: the rule's condition on each feature */
} scorer_compound;

#define DATE_TEXT 32

struct mql_scorer {
    const mql_points *m;
    const mql_table *t;       /* NULL for header-bound scorers */
    const char *const *na;
    size_t n_na;
    size_t n_fields;
    scorer_feature *f;
    size_t n_f;
    scorer_compound *cg;      /* compound rules by feature set */
    size_t n_cg;
    size_t max_feat;          /* largest feature set of a compound group */
    long *hit;                /* n_f + n_cg scratch: the matched rule per feature (set) while
                                 scoring a row */
    mql_cell *cells;          /* max_feat scratch cells for score_row / score_fields */
    char *ctext;              /* max_feat date texts for score_row */
    int *counted;             /* table-bound: whether f[].unmatched has been counted (on the first
                                 request, so binding costs no pass over the rows) */
    int dec_comma;            /* header-bound: the file is ';'-separated (decimal commas) */
    /* Per rule, for finish(): its points, whether it counts as engagement, and its rank in the
     * order of the reasons (|points| descending, ties in rule order): the top list then compares
     * one integer per step instead of reading two rules. */
    long *points;
    unsigned char *engage;
    size_t *rank;
};

void mql_scorer_set_delim(mql_scorer *s, char delim)
{
    s->dec_comma = delim == ';';
    for (size_t k = 0; k < s->n_f; k++)
        if (s->f[k].memo)
            memset(s->f[k].memo, 0, MEMO_SLOTS * sizeof *s->f[k].memo);
}

void mql_scorer_free(mql_scorer *s)
{
    if (!s)
        return;
    for (size_t i = 0; s->f && i < s->n_f; i++) {
        free(s->f[i].rules);
        free(s->f[i].level_rule);
        free(s->f[i].bp);
        free(s->f[i].piece);
        free(s->f[i].memo);
    }
    free(s->f);
    for (size_t i = 0; s->cg && i < s->n_cg; i++) {
        scorer_compound *g = &s->cg[i];
        free(g->rules);
        free(g->feat);
        free(g->col);
        free(g->c);
        for (size_t k = 0; g->level_cell && k < g->n_feat; k++)
            free(g->level_cell[k]);
        free(g->level_cell);
        free(g->cond);
    }
    free(s->cg);
    free(s->cells);
    free(s->ctext);
    free(s->hit);
    free(s->counted);
    free(s->points);
    free(s->engage);
    free(s->rank);
    free(s);
}

static int build_pieces(const mql_points *m, scorer_feature *f, mql_err *err);
static long match_feature(const mql_points *m, const scorer_feature *f, const mql_cell *c);

typedef struct rule_order {
    long abs_points;
    size_t rule;
} rule_order;

static int cmp_reason_order(const void *a, const void *b)
{
    const rule_order *x = a, *y = b;
    if (x->abs_points != y->abs_points)
        return x->abs_points > y->abs_points ? -1 : 1;
    return (x->rule > y->rule) - (x->rule < y->rule);
}

/* Fills s->points, s->engage and s->rank from the rules. */
static int rank_rules(mql_scorer *s, mql_err *err)
{
    const mql_points *m = s->m;
    size_t n = m->n_rules ? m->n_rules : 1;
    rule_order *o = malloc(n * sizeof *o);
    s->points = malloc(n * sizeof *s->points);
    s->engage = malloc(n);
    s->rank = malloc(n * sizeof *s->rank);
    if (!o || !s->points || !s->engage || !s->rank) {
        free(o);
        return mql_err_set(err, MQL_ENOMEM, "out of memory");
    }
    for (size_t i = 0; i < m->n_rules; i++) {
        s->points[i] = m->rules[i].points;
        s->engage[i] = m->rules[i].group == MQL_GROUP_ENGAGEMENT;
        o[i] = (rule_order){labs(m->rules[i].points), i};
    }
    qsort(o, m->n_rules, sizeof *o, cmp_reason_order);
    for (size_t k = 0; k < m->n_rules; k++)
        s->rank[o[k].rule] = k;
    free(o);
    return MQL_OK;
}

/* Groups the one-condition rules by feature and the compound rules by feature set, in order
 * of first appearance, and makes each feature's lookups for missing and numeric cells. */
static int group_rules(mql_scorer *s, mql_err *err)
{
    const mql_points *m = s->m;
    s->f = calloc(m->n_rules ? m->n_rules : 1, sizeof *s->f);
    s->cg = calloc(m->n_rules ? m->n_rules : 1, sizeof *s->cg);
    if (!s->f || !s->cg)
        return mql_err_set(err, MQL_ENOMEM, "out of memory");
    for (size_t i = 0; i < m->n_rules; i++) {
        const mql_rule *ru = &m->rules[i];
        if (ru->n_cond > 1) {
            size_t k = 0;
            while (k < s->n_cg && !mql_rules_same_features(&m->rules[s->cg[k].rules[0]], ru))
                k++;
            scorer_compound *g = &s->cg[k];
            if (k == s->n_cg) {
                g->n_feat = ru->n_cond;
                if (!(g->feat = malloc(g->n_feat * sizeof *g->feat)) ||
                    !(g->col = calloc(g->n_feat, sizeof *g->col)) ||
                    !(g->c = calloc(g->n_feat, sizeof *g->c)) ||
                    !(g->level_cell = calloc(g->n_feat, sizeof *g->level_cell)))
                    return mql_err_set(err, MQL_ENOMEM, "out of memory");
                for (size_t j = 0; j < g->n_feat; j++)
                    g->feat[j] = ru->cond[j].feature;
                s->max_feat = g->n_feat > s->max_feat ? g->n_feat : s->max_feat;
                s->n_cg++;
            }
            size_t *nr = realloc(g->rules, (g->n_rules + 1) * sizeof *nr);
            size_t *nc = nr ? realloc(g->cond, (g->n_rules + 1) * g->n_feat * sizeof *nc) : NULL;
            if (nr)
                g->rules = nr;
            if (nc)
                g->cond = nc;
            if (!nr || !nc)
                return mql_err_set(err, MQL_ENOMEM, "out of memory");
            for (size_t j = 0; j < g->n_feat; j++)
                g->cond[g->n_rules * g->n_feat + j] = (size_t)mql_rule_cond_of(ru, g->feat[j]);
            g->rules[g->n_rules++] = i;
            continue;
        }
        size_t k = 0;
        while (k < s->n_f && strcmp(s->f[k].name, ru->cond[0].feature) != 0)
            k++;
        scorer_feature *f = &s->f[k];
        if (k == s->n_f) {
            f->name = ru->cond[0].feature;
            f->na_rule = -1;
            s->n_f++;
        }
        size_t *nr = realloc(f->rules, (f->n_rules + 1) * sizeof *nr);
        if (!nr)
            return mql_err_set(err, MQL_ENOMEM, "out of memory");
        f->rules = nr;
        f->rules[f->n_rules++] = i;
    }
    if (!(s->hit = malloc((s->n_f + s->n_cg + 1) * sizeof *s->hit)) ||
        !(s->cells = malloc((s->max_feat + 1) * sizeof *s->cells)) ||
        !(s->ctext = malloc((s->max_feat + 1) * DATE_TEXT)))
        return mql_err_set(err, MQL_ENOMEM, "out of memory");
    int rc = rank_rules(s, err);
    if (rc)
        return rc;
    mql_cell miss = {NULL, 0, 1, 0, NAN};
    for (size_t k = 0; k < s->n_f; k++) {
        s->f[k].na_rule = match_feature(m, &s->f[k], &miss);
        rc = build_pieces(m, &s->f[k], err);
        if (rc)
            return rc;
    }
    return MQL_OK;
}

/* The rule of compound group g whose conditions all match the feature cells (cells[j] is the
 * cell of g->feat[j]), or -1. */
static long match_compound(const mql_points *m, const scorer_compound *g, const mql_cell *cells)
{
    for (size_t k = 0; k < g->n_rules; k++) {
        const mql_rule *ru = &m->rules[g->rules[k]];
        const size_t *ci = &g->cond[k * g->n_feat];
        size_t j = 0;
        while (j < g->n_feat && mql_cond_match(&ru->cond[ci[j]], &cells[j]))
            j++;
        if (j == g->n_feat)
            return (long)g->rules[k];
    }
    return -1;
}

/* The first rule of feature f that matches c (the reader guarantees there is at most one). */
static long match_feature(const mql_points *m, const scorer_feature *f, const mql_cell *c)
{
    for (size_t k = 0; k < f->n_rules; k++)
        if (mql_cond_match(&m->rules[f->rules[k]].cond[0], c))
            return (long)f->rules[k];
    return -1;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Builds f's breakpoint table (see scorer_feature). Each piece is classified by calling
 * match_feature on one number inside it, so the table says what rule-by-rule matching says:
 * every rule's match is constant on an open interval between consecutive breakpoints (the
 * operators compare the number with the breakpoints only) and on each breakpoint itself. */
static int build_pieces(const mql_points *m, scorer_feature *f, mql_err *err)
{
    size_t cap = 0;
    for (size_t k = 0; k < f->n_rules; k++) {
        const mql_cond *r = &m->rules[f->rules[k]].cond[0];
        cap += r->op == MQL_OP_BETWEEN ? 2 : r->op == MQL_OP_MISSING ? 0
               : (r->op == MQL_OP_EQ || r->op == MQL_OP_NE || r->op == MQL_OP_IN) ? r->n_values
                                                                                  : 1;
    }
    if (!(f->bp = malloc((cap ? cap : 1) * sizeof *f->bp)) ||
        !(f->piece = malloc((2 * cap + 1) * sizeof *f->piece)))
        return mql_err_set(err, MQL_ENOMEM, "out of memory");
    size_t n = 0;
    for (size_t k = 0; k < f->n_rules; k++) {
        const mql_cond *r = &m->rules[f->rules[k]].cond[0];
        switch (r->op) {
        case MQL_OP_EQ:
        case MQL_OP_NE:
        case MQL_OP_IN:
            for (size_t v = 0; v < r->n_values; v++)
                if (r->vcells[v].is_num && !isnan(r->vcells[v].num))
                    f->bp[n++] = r->vcells[v].num;
            break;
        case MQL_OP_BETWEEN:
            if (!isnan(r->hi))
                f->bp[n++] = r->hi;
            /* fall through */
        case MQL_OP_GE:
        case MQL_OP_GT:
        case MQL_OP_LE:
        case MQL_OP_LT:
            if (!isnan(r->lo))
                f->bp[n++] = r->lo;
            break;
        case MQL_OP_MISSING:
            break;
        }
    }
    qsort(f->bp, n, sizeof *f->bp, cmp_double);
    size_t u = 0;
    for (size_t i = 0; i < n; i++)
        if (u == 0 || f->bp[i] != f->bp[u - 1])
            f->bp[u++] = f->bp[i];
    f->n_bp = u;
    for (size_t k = 0; k <= u; k++) {
        /* the open interval below bp[k] (above bp[k-1]): one number strictly inside it, if any */
        double x = u == 0 ? 0.0 : k < u ? nextafter(f->bp[k], -INFINITY)
                                        : nextafter(f->bp[u - 1], INFINITY);
        int inside = u == 0 || ((k == u || x < f->bp[k]) && (k == 0 || x > f->bp[k - 1]));
        mql_cell c = {NULL, 0, 0, 1, x};
        f->piece[2 * k] = inside ? match_feature(m, f, &c) : -1;
        if (k < u) {
            c.num = f->bp[k];
            f->piece[2 * k + 1] = match_feature(m, f, &c);
        }
    }
    return MQL_OK;
}

/* The rule of f a non-missing numeric cell x matches (x not NaN): the number of breakpoints
 * below x (a plain count for up to 16, else a binary search without data-dependent branches:
 * lead values are too random for branch prediction), then the point or the interval piece. */
static long match_number(const scorer_feature *f, double x)
{
    const double *bp = f->bp;
    size_t lo = 0, len = f->n_bp;
    if (len <= 16) {
        /* few breakpoints: count those below x (independent compares, no chain of loads) */
        for (size_t i = 0; i < len; i++)
            lo += bp[i] < x;
        return lo < f->n_bp && bp[lo] == x ? f->piece[2 * lo + 1] : f->piece[2 * lo];
    }
    while (len > 1) {
        size_t half = len / 2;
        lo += bp[lo + half - 1] < x ? half : 0;
        len -= half;
    }
    lo += len == 1 && bp[lo] < x;
    return lo < f->n_bp && bp[lo] == x ? f->piece[2 * lo + 1] : f->piece[2 * lo];
}

/* The matching rule of feature f for cell c, by the fastest exact route. */
static long match_cell(const mql_points *m, const scorer_feature *f, const mql_cell *c)
{
    if (c->missing)
        return f->na_rule;
    if (c->is_num && !isnan(c->num))
        return match_number(f, c->num);
    return match_feature(m, f, c);
}

/* Local forms of table.c's lookups, so scoring needs no more of the table module than its
 * struct. */
static long find_column(const mql_table *t, const char *name)
{
    for (size_t i = 0; i < t->n_cols; i++)
        if (t->cols[i].name && strcmp(t->cols[i].name, name) == 0)
            return (long)i;
    return -1;
}

static int cell_missing(const mql_column *c, size_t row)
{
    return c->code ? c->code[row] == MQL_NA_CODE : isnan(c->num[row]);
}

/* A DATE cell as the CSV held it: YYYY-MM-DD[ HH:MM:SS] (days since 1970-01-01 to the civil
 * date by H. Hinnant's days_from_civil inverse). */
static const char *date_text(double days, int with_time, char *buf, size_t cap)
{
    double whole = floor(days);
    long z = (long)whole + 719468;
    long era = (z >= 0 ? z : z - 146096) / 146097;
    long doe = z - era * 146097;
    long yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    long y = yoe + era * 400, doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    long mp = (5 * doy + 2) / 153, d = doy - (153 * mp + 2) / 5 + 1;
    long mo = mp < 10 ? mp + 3 : mp - 9;
    y += mo <= 2;
    if (!with_time) {
        snprintf(buf, cap, "%04ld-%02ld-%02ld", y, mo, d);
    } else {
        long sec = lround((days - whole) * 86400.0);
        snprintf(buf, cap, "%04ld-%02ld-%02ld %02ld:%02ld:%02ld", y, mo, d, sec / 3600,
                 sec / 60 % 60, sec % 60);
    }
    return buf;
}

static const char *source_name(const char *s)
{
    return s ? s : "the leads file";
}

/* Cell (col, row) of a table as the matching rule sees it. */
static void table_cell(const mql_points *m, const mql_column *c, size_t row, mql_cell *cell,
                       char *buf, size_t cap)
{
    if (cell_missing(c, row)) {
        *cell = (mql_cell){NULL, 0, 1, 0, NAN};
        return;
    }
    switch (c->type) {
    case MQL_COL_NUMERIC:
    case MQL_COL_BOOLEAN:
        *cell = (mql_cell){NULL, 0, 0, 1, c->num[row]};
        return;
    case MQL_COL_DATE:
        mql_cell_from_text(cell, date_text(c->num[row], c->has_time, buf, cap), NULL, 0);
        return;
    case MQL_COL_CATEGORICAL:
    case MQL_COL_ID:
        mql_cell_from_text(cell, c->levels[c->code[row]], mql_points_na(m), m->na.n);
        return;
    }
}

int mql_scorer_bind(const mql_points *m, const mql_table *t, mql_scorer **out, mql_err *err)
{
    *out = NULL;
    mql_scorer *s = calloc(1, sizeof *s);
    if (!s)
        return mql_err_set(err, MQL_ENOMEM, "out of memory");
    s->m = m;
    s->t = t;
    int rc = group_rules(s, err);
    for (size_t k = 0; k < s->n_f && rc == MQL_OK; k++) {
        scorer_feature *f = &s->f[k];
        long c = find_column(t, f->name);
        if (c < 0) {
            const char *near = mql_table_nearest(t, f->name);
            rc = mql_err_set(err, MQL_EDATA, "%s has no column '%s' that the model needs%s%s%s",
                             source_name(t->source), f->name, near ? " (is it '" : "",
                             near ? near : "", near ? "'?)" : "");
            break;
        }
        f->col = (size_t)c;
        f->c = &t->cols[c];
        if (f->c->type != MQL_COL_CATEGORICAL && f->c->type != MQL_COL_ID)
            continue;
        /* One match per level, so scoring a row is a table lookup. */
        size_t L = f->c->n_levels;
        if (!(f->level_rule = malloc((L ? L : 1) * sizeof *f->level_rule))) {
            rc = mql_err_set(err, MQL_ENOMEM, "out of memory");
            break;
        }
        for (size_t l = 0; l < L; l++) {
            mql_cell cell;
            /* the model's placeholders: a level the model reads as missing scores as missing */
            mql_cell_from_text(&cell, f->c->levels[l], mql_points_na(m), m->na.n);
            f->level_rule[l] = match_feature(m, f, &cell);
        }
    }
    for (size_t k = 0; k < s->n_cg && rc == MQL_OK; k++) {
        scorer_compound *g = &s->cg[k];
        for (size_t j = 0; j < g->n_feat && rc == MQL_OK; j++) {
            long c = find_column(t, g->feat[j]);
            if (c < 0) {
                rc = mql_err_set(err, MQL_EDATA, "%s has no column '%s' that the model needs",
                                 source_name(t->source), g->feat[j]);
                break;
            }
            g->col[j] = (size_t)c;
            g->c[j] = &t->cols[c];
            if (g->c[j]->type != MQL_COL_CATEGORICAL && g->c[j]->type != MQL_COL_ID)
                continue;
            size_t L = g->c[j]->n_levels;
            if (!(g->level_cell[j] = malloc((L ? L : 1) * sizeof *g->level_cell[j]))) {
                rc = mql_err_set(err, MQL_ENOMEM, "out of memory");
                break;
            }
            for (size_t l = 0; l < L; l++)
                mql_cell_from_text(&g->level_cell[j][l], g->c[j]->levels[l], mql_points_na(m),
                                   m->na.n);
        }
    }
    if (rc == MQL_OK && !(s->counted = calloc(1, sizeof *s->counted)))
        rc = mql_err_set(err, MQL_ENOMEM, "out of memory");
    if (rc) {
        mql_scorer_free(s);
        return rc;
    }
    *out = s;
    return MQL_OK;
}

int mql_scorer_bind_header(const mql_points *m, char *const *names, size_t n_names,
                           const char *source, const char *const *na, size_t n_na,
                           mql_scorer **out, mql_err *err)
{
    *out = NULL;
    mql_scorer *s = calloc(1, sizeof *s);
    if (!s)
        return mql_err_set(err, MQL_ENOMEM, "out of memory");
    s->m = m;
    s->na = na;
    s->n_na = n_na;
    s->n_fields = n_names;
    int rc = group_rules(s, err);
    for (size_t k = 0; k < s->n_f && rc == MQL_OK; k++) {
        scorer_feature *f = &s->f[k];
        size_t c = 0;
        while (c < n_names && strcmp(names[c], f->name) != 0)
            c++;
        if (c == n_names) {
            const char *near = mql_nearest_name(f->name, (const char *const *)names, n_names,
                                                sizeof(char *));
            rc = mql_err_set(err, MQL_EDATA, "%s has no column '%s' that the model needs%s%s%s",
                             source_name(source), f->name, near ? " (is it '" : "",
                             near ? near : "", near ? "'?)" : "");
        }
        f->col = c;
        if (rc == MQL_OK && !(f->memo = calloc(MEMO_SLOTS, sizeof *f->memo)))
            rc = mql_err_set(err, MQL_ENOMEM, "out of memory");
    }
    for (size_t k = 0; k < s->n_cg && rc == MQL_OK; k++) {
        scorer_compound *g = &s->cg[k];
        for (size_t j = 0; j < g->n_feat && rc == MQL_OK; j++) {
            size_t c = 0;
            while (c < n_names && strcmp(names[c], g->feat[j]) != 0)
                c++;
            if (c == n_names)
                rc = mql_err_set(err, MQL_EDATA, "%s has no column '%s' that the model needs",
                                 source_name(source), g->feat[j]);
            g->col[j] = c;
        }
    }
    if (rc) {
        mql_scorer_free(s);
        return rc;
    }
    *out = s;
    return MQL_OK;
}

/* Fills the sub-scores (capped), probability, band, MQL flag and reasons from the matched
 * rules. */
static void finish(const mql_scorer *s, const long *hit, size_t n_hit, mql_score_result *r)
{
    const mql_points *m = s->m;
    long fit = 0, engagement = 0;
    size_t n = 0;
    for (size_t i = 0; i < n_hit; i++) {
        if (hit[i] < 0)
            continue;
        size_t h = (size_t)hit[i];
        long pts = s->points[h];
        if (s->engage[h])
            engagement += pts;
        else
            fit += pts;
        if (pts == 0)
            continue;
        /* insertion into the top list: |points| descending, ties in rule order (the rank) */
        size_t pos = n, rk = s->rank[h];
        while (pos > 0 && s->rank[r->reason[pos - 1]] > rk)
            pos--;
        if (pos >= MQL_N_REASONS)
            continue;
        size_t end = n < MQL_N_REASONS ? n : MQL_N_REASONS - 1;
        for (size_t k = end; k > pos; k--)
            r->reason[k] = r->reason[k - 1];
        r->reason[pos] = h;
        if (n < MQL_N_REASONS)
            n++;
    }
    r->n_reasons = n;
    r->uncapped = fit + engagement;
    r->capped = mql_points_apply_caps(m, fit, engagement, &r->fit, &r->engagement, &r->score);
    r->probability = mql_points_prob(m, (double)r->score);
    r->band = mql_points_band(m, r->score);
    r->is_mql = r->score >= m->threshold;
}

/* The matched rule of each feature for table row `row` into h (n_f). */
static long feature_hit(const mql_scorer *s, const scorer_feature *f, size_t row)
{
    const mql_column *c = f->c;
    if (cell_missing(c, row))
        return f->na_rule;
    if (f->level_rule)
        return c->code[row] < c->n_levels ? f->level_rule[c->code[row]] : -1;
    if (c->type == MQL_COL_NUMERIC || c->type == MQL_COL_BOOLEAN)
        return match_number(f, c->num[row]);
    mql_cell cell;
    char buf[160];
    table_cell(s->m, c, row, &cell, buf, sizeof buf);
    return match_cell(s->m, f, &cell);
}

/* Scratch for matching compound rules on table rows: a cell per feature and room for a date's
 * text per feature ("YYYY-MM-DD HH:MM:SS"). One per thread. */
typedef struct compound_scratch {
    mql_cell *cells;
    char *text;
} compound_scratch;

/* The matched rule of compound group g for table row `row`. */
static long compound_hit(const mql_scorer *s, const scorer_compound *g, size_t row,
                         const compound_scratch *cs)
{
    for (size_t j = 0; j < g->n_feat; j++) {
        const mql_column *c = g->c[j];
        if (g->level_cell[j] && !cell_missing(c, row))
            cs->cells[j] = g->level_cell[j][c->code[row]];
        else
            table_cell(s->m, c, row, &cs->cells[j], cs->text + j * DATE_TEXT, DATE_TEXT);
    }
    return match_compound(s->m, g, cs->cells);
}

static void row_hits(const mql_scorer *s, size_t row, long *h, const compound_scratch *cs)
{
    for (size_t k = 0; k < s->n_f; k++)
        h[k] = feature_hit(s, &s->f[k], row);
    for (size_t k = 0; k < s->n_cg; k++)
        h[s->n_f + k] = compound_hit(s, &s->cg[k], row, cs);
}

void mql_scorer_score_row(const mql_scorer *s, size_t row, mql_score_result *r)
{
    compound_scratch cs = {s->cells, s->ctext};
    row_hits(s, row, s->hit, &cs);
    finish(s, s->hit, s->n_f + s->n_cg, r);
}

/* Asks for the cache line at p (a hint: no effect on any result). */
static void prefetch(const void *p)
{
#if defined(__GNUC__)
    __builtin_prefetch(p);
#else
    (void)p;
#endif
}

/* In blocks of rows, one feature at a time, each column's cells asked for a few rows ahead of
 * their use: scattered rows cost a cache miss per cell, and these overlap instead of following
 * one another. */
void mql_scorer_score_rows(const mql_scorer *s, const size_t *rows, size_t k, long *score)
{
    enum { BLK = 256, AHEAD = 16 };
    long fit[BLK], eng[BLK];
    compound_scratch cs = {s->cells, s->ctext};
    const mql_rule *ru = s->m->rules;
    for (size_t i0 = 0; i0 < k; i0 += BLK) {
        size_t nb = k - i0 < BLK ? k - i0 : BLK;
        const size_t *rw = rows + i0;
        memset(fit, 0, nb * sizeof *fit);
        memset(eng, 0, nb * sizeof *eng);
        for (size_t q = 0; q < s->n_f + s->n_cg; q++) {
            /* the feature's cells (codes or numbers; compound groups: none asked for) */
            const mql_column *c = q < s->n_f ? s->f[q].c : NULL;
            const char *cells = !c ? NULL : c->code ? (const char *)c->code : (const char *)c->num;
            size_t width = c && c->code ? sizeof *c->code : sizeof *c->num;
            for (size_t i = 0; cells && i < AHEAD && i < nb; i++)
                prefetch(cells + width * rw[i]);
            for (size_t i = 0; i < nb; i++) {
                if (cells && i + AHEAD < nb)
                    prefetch(cells + width * rw[i + AHEAD]);
                long h = c ? feature_hit(s, &s->f[q], rw[i])
                           : compound_hit(s, &s->cg[q - s->n_f], rw[i], &cs);
                if (h < 0)
                    continue;
                if (ru[h].group == MQL_GROUP_ENGAGEMENT)
                    eng[i] += ru[h].points;
                else
                    fit[i] += ru[h].points;
            }
        }
        for (size_t i = 0; i < nb; i++)
            mql_points_apply_caps(s->m, fit[i], eng[i], NULL, NULL, &score[i0 + i]);
    }
}

/* The rule of f that the field txt (len bytes) of a record matches, and whether it is missing. */
static long span_rule(const mql_scorer *s, const scorer_feature *f, const char *txt, size_t len,
                      int *missing)
{
    mql_cell cell;
    mql_cell_from_span(&cell, txt, len, s->na, s->n_na);
    double v;
    if (s->dec_comma && !cell.missing && !cell.is_num &&
        mql_parse_decimal_comma(txt, len, &v) == 0) {
        cell.is_num = 1;                 /* "8170,38" in a ';' file, as table.c reads it */
        cell.num = v;
    } else if (!cell.missing && !cell.is_num && f->n_bp && mql_is_nonfinite_number(txt, len)) {
        cell.missing = 1;                /* NaN in a numeric feature: missing, as table.c */
    }
    *missing = cell.missing;
    return match_cell(s->m, f, &cell);
}

/* span_rule through f's memo. A feature whose texts rarely repeat (an amount, an employee count)
 * would only add the lookup: after a window of 4096 lookups with more than half of them new,
 * its memo is switched off. */
static long memo_rule(const mql_scorer *s, scorer_feature *f, const char *txt, size_t len,
                      int *missing)
{
    if (!f->memo || len > sizeof f->memo->key)
        return span_rule(s, f, txt, len, missing);
    uint64_t w[MEMO_WORDS] = {0, 0, 0};
    memcpy(w, txt, len);
    uint64_t h = (w[0] * 0x9E3779B97F4A7C15u) ^ (w[1] * 0xC2B2AE3D27D4EB4Fu) ^
                 (w[2] * 0x165667B19E3779F9u) ^ len;
    h = (h ^ (h >> 29)) * 0xBF58476D1CE4E5B9u;
    memo_slot *e = &f->memo[h >> (64 - MEMO_BITS)];
    if (e->len == len + 1 && e->key[0] == w[0] && e->key[1] == w[1] && e->key[2] == w[2]) {
        *missing = e->missing;
    } else {
        e->rule = (int32_t)span_rule(s, f, txt, len, missing);
        e->missing = (unsigned char)*missing;
        e->len = (unsigned char)(len + 1);
        memcpy(e->key, w, sizeof w);
        f->memo_new++;
    }
    long rule = e->rule;
    if (++f->memo_seen == 4096) {
        if (2 * f->memo_new > f->memo_seen) {
            free(f->memo);
            f->memo = NULL;
        }
        f->memo_seen = f->memo_new = 0;
    }
    return rule;
}

void mql_scorer_score_spans(mql_scorer *s, const char *const *fields, const size_t *lens,
                            size_t n_fields, mql_score_result *r)
{
    long *h = s->hit;
    for (size_t k = 0; k < s->n_f; k++) {
        scorer_feature *f = &s->f[k];
        const char *txt = f->col < n_fields ? fields[f->col] : "";
        size_t len = f->col < n_fields && lens ? lens[f->col] : strlen(txt);
        int missing;
        h[k] = memo_rule(s, f, txt, len, &missing);
        f->unmatched += h[k] < 0 && !missing;
    }
    for (size_t k = 0; k < s->n_cg; k++) {
        const scorer_compound *g = &s->cg[k];
        for (size_t j = 0; j < g->n_feat; j++) {
            size_t col = g->col[j];
            const char *txt = col < n_fields ? fields[col] : "";
            mql_cell_from_span(&s->cells[j], txt,
                               col < n_fields && lens ? lens[col] : strlen(txt), s->na, s->n_na);
        }
        h[s->n_f + k] = match_compound(s->m, g, s->cells);
    }
    finish(s, h, s->n_f + s->n_cg, r);
}

void mql_scorer_score_fields(mql_scorer *s, const char *const *fields, size_t n_fields,
                             mql_score_result *r)
{
    mql_scorer_score_spans(s, fields, NULL, n_fields, r);
}

typedef struct score_job {
    const mql_scorer *s;
    size_t r0, r1;
    long *score, *fit, *engagement;
    const long *pts_fit, *pts_eng;   /* by rule index + 1 (0: no rule): the rule's points in
                                        its group, 0 in the other */
    int capped;                      /* the model has caps */
    compound_scratch cs;             /* this thread's */
} score_job;

/* Rows [r0, r1): the sums finish() makes, without the probability, band and reasons. Works a
 * block of rows one feature at a time (a tight loop per column; integer sums, so the order of
 * the additions does not matter). */
static void *score_range(void *arg)
{
    enum { BLK = 512 };
    score_job *j = arg;
    const mql_scorer *s = j->s;
    long fb[BLK], eb[BLK];
    for (size_t r0 = j->r0; r0 < j->r1; r0 += BLK) {
        size_t nb = j->r1 - r0 < BLK ? j->r1 - r0 : BLK;
        memset(fb, 0, nb * sizeof *fb);
        memset(eb, 0, nb * sizeof *eb);
        for (size_t k = 0; k < s->n_f; k++) {
            const scorer_feature *f = &s->f[k];
            const mql_column *c = f->c;
            if (!f->level_rule && (c->type == MQL_COL_NUMERIC || c->type == MQL_COL_BOOLEAN)) {
                const double *x = c->num + r0;
                for (size_t r = 0; r < nb; r++) {
                    long h = isnan(x[r]) ? f->na_rule : match_number(f, x[r]);
                    fb[r] += j->pts_fit[h + 1];
                    eb[r] += j->pts_eng[h + 1];
                }
            } else {
                for (size_t r = 0; r < nb; r++) {
                    long h = feature_hit(s, f, r0 + r);
                    fb[r] += j->pts_fit[h + 1];
                    eb[r] += j->pts_eng[h + 1];
                }
            }
        }
        for (size_t k = 0; k < s->n_cg; k++)
            for (size_t r = 0; r < nb; r++) {
                long h = compound_hit(s, &s->cg[k], r0 + r, &j->cs);
                fb[r] += j->pts_fit[h + 1];
                eb[r] += j->pts_eng[h + 1];
            }
        for (size_t r = 0; r < nb; r++) {
            long f = fb[r], e = eb[r], t = f + e;
            if (j->capped)
                mql_points_apply_caps(s->m, fb[r], eb[r], &f, &e, &t);
            if (j->score)
                j->score[r0 + r] = t;
            if (j->fit)
                j->fit[r0 + r] = f;
            if (j->engagement)
                j->engagement[r0 + r] = e;
        }
    }
    return NULL;
}

int mql_scorer_score_all(const mql_scorer *s, long *score, long *fit, long *engagement,
                         mql_err *err)
{
    if (!s->t)
        return mql_err_set(err, MQL_EDATA, "scorer: not bound to a table");
    /* Large tables: the second half on a second thread (each row is independent, so the
     * result does not depend on the split). */
    size_t n = s->t->n_rows, nr = s->m->n_rules;
    int two = n >= 100000;
    long *pts = calloc(2 * (nr + 1), sizeof *pts);
    if (!pts)
        return mql_err_set(err, MQL_ENOMEM, "out of memory");
    for (size_t i = 0; i < nr; i++) {
        const mql_rule *ru = &s->m->rules[i];
        pts[(ru->group == MQL_GROUP_ENGAGEMENT ? nr + 1 : 0) + i + 1] = ru->points;
    }
    size_t mf = s->max_feat + 1;
    mql_cell *cells = malloc(2 * mf * sizeof *cells);
    char *text = malloc(2 * mf * DATE_TEXT);
    if (!cells || !text) {
        free(pts), free(cells), free(text);
        return mql_err_set(err, MQL_ENOMEM, "out of memory");
    }
    int capped = mql_points_has_caps(s->m);
    score_job jobs[2] = {{s, 0, two ? n / 2 : n, score, fit, engagement, pts, pts + nr + 1,
                          capped, {cells, text}},
                         {s, n / 2, n, score, fit, engagement, pts, pts + nr + 1, capped,
                          {cells + mf, text + mf * DATE_TEXT}}};
    pthread_t th;
    int threaded = two && pthread_create(&th, NULL, score_range, &jobs[1]) == 0;
    if (two && !threaded)
        jobs[0].r1 = n;
    score_range(&jobs[0]);
    if (threaded)
        pthread_join(th, NULL);
    free(pts);
    free(cells);
    free(text);
    return MQL_OK;
}

int mql_scorer_cap_stats(const mql_scorer *s, long *uncapped, size_t binds[3], mql_err *err)
{
    if (!s->t)
        return mql_err_set(err, MQL_EDATA, "scorer: not bound to a table");
    binds[0] = binds[1] = binds[2] = 0;
    for (size_t r = 0; r < s->t->n_rows; r++) {
        mql_score_result res;
        mql_scorer_score_row(s, r, &res);
        if (uncapped)
            uncapped[r] = res.uncapped;
        binds[0] += (res.capped & MQL_CAP_FIT) != 0;
        binds[1] += (res.capped & MQL_CAP_ENGAGEMENT) != 0;
        binds[2] += (res.capped & MQL_CAP_TOTAL) != 0;
    }
    return MQL_OK;
}

size_t mql_scorer_n_features(const mql_scorer *s)
{
    return s->n_f;
}

const char *mql_scorer_feature(const mql_scorer *s, size_t k)
{
    return k < s->n_f ? s->f[k].name : NULL;
}

/* Counts the unmatched cells of a table-bound scorer: per level for categorical columns, per
 * row otherwise. */
static void count_unmatched(const mql_scorer *s)
{
    const mql_table *t = s->t;
    for (size_t k = 0; k < s->n_f; k++) {
        scorer_feature *f = &s->f[k];
        size_t n = 0;
        for (size_t r = 0; r < t->n_rows; r++) {
            if (cell_missing(f->c, r))
                continue;
            long hit;
            if (f->level_rule) {
                hit = f->c->code[r] < f->c->n_levels ? f->level_rule[f->c->code[r]] : -1;
            } else {
                mql_cell cell;
                char buf[160];
                table_cell(s->m, f->c, r, &cell, buf, sizeof buf);
                hit = match_cell(s->m, f, &cell);
            }
            n += hit < 0;
        }
        f->unmatched = n;
    }
    *s->counted = 1;
}

size_t mql_scorer_unmatched(const mql_scorer *s, size_t k)
{
    if (k >= s->n_f)
        return 0;
    if (s->t && !*s->counted)
        count_unmatched(s);
    return s->f[k].unmatched;
}
