/* rule.c: one rule of a points model: its conditions and their matching semantics (the
 * operators on value.h's cells), compound rules (conditions ANDed across features), overlap
 * between two rules of one feature set, and a rule in words. */
#include "mqlcal/rule.h"

#include <ctype.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ==== operators, cells, matching ============================================================ */

static const char *const op_names[] = {"=", "!=", "in", ">=", ">", "<=", "<", "between",
                                       "missing"};

const char *mql_op_name(mql_op op)
{
    return (size_t)op < sizeof op_names / sizeof op_names[0] ? op_names[op] : "?";
}

/* Case-insensitive order of two spans (ASCII), shorter first on a common prefix. */
static int span_icmp(const char *a, size_t na, const char *b, size_t nb)
{
    for (size_t i = 0; i < na && i < nb; i++) {
        int x = tolower((unsigned char)a[i]), y = tolower((unsigned char)b[i]);
        if (x != y)
            return x - y;
    }
    return na < nb ? -1 : na > nb;
}

/* The search order of an in rule's values: numbers by value first, then texts ignoring case.
 * cell_eq is equality in this order: numbers equal as numbers, texts equal ignoring case. */
static int vcell_cmp(const mql_cell *a, const mql_cell *b)
{
    if (a->is_num != b->is_num)
        return a->is_num ? -1 : 1;
    if (a->is_num)
        return a->num < b->num ? -1 : a->num > b->num;
    return span_icmp(a->text, a->len, b->text, b->len);
}

static const mql_cond *sort_rule;     /* qsort has no context argument (rule_values only) */
static int vindex_cmp(const void *x, const void *y)
{
    return vcell_cmp(&sort_rule->vcells[*(const size_t *)x], &sort_rule->vcells[*(const size_t *)y]);
}

/* An in rule with many values: binary search of c in the sorted index (a 50,000-level column
 * pooled into one rule was matched level by level against every value: 2.5e9 compares). */
static int in_search(const mql_cond *r, const mql_cell *c)
{
    if (!c->is_num && !c->text)
        return 0;
    size_t lo = c->is_num ? 0 : r->n_vnum, hi = c->is_num ? r->n_vnum : r->n_values;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int d = vcell_cmp(&r->vcells[r->vindex[mid]], c);
        if (d == 0)
            return 1;
        if (d < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return 0;
}

int mql_cond_match(const mql_cond *r, const mql_cell *c)
{
    if (r->op == MQL_OP_MISSING)
        return c->missing;
    if (c->missing)
        return 0;
    double x = c->num;
    switch (r->op) {
    case MQL_OP_EQ: return mql_cell_eq(&r->vcells[0], c);
    case MQL_OP_NE: return !mql_cell_eq(&r->vcells[0], c);
    case MQL_OP_IN:
        if (r->vindex)
            return in_search(r, c);
        for (size_t k = 0; k < r->n_values; k++)
            if (mql_cell_eq(&r->vcells[k], c))
                return 1;
        return 0;
    case MQL_OP_GE: return c->is_num && x >= r->lo;
    case MQL_OP_GT: return c->is_num && x > r->lo;
    case MQL_OP_LE: return c->is_num && x <= r->lo;
    case MQL_OP_LT: return c->is_num && x < r->lo;
    case MQL_OP_BETWEEN: return c->is_num && x >= r->lo && x <= r->hi;
    case MQL_OP_MISSING: break;
    }
    return 0;
}

void mql_cond_clear(mql_cond *r)
{
    if (!r)
        return;
    free(r->feature);
    free(r->value);
    for (size_t k = 0; r->values && k < r->n_values; k++)
        free(r->values[k]);
    free(r->values);
    free(r->vcells);
    free(r->vindex);
    memset(r, 0, sizeof *r);
}

/* Splits r->value on '|' (in) or takes it whole (=, !=) into values / vcells. */
static int cond_values(mql_cond *r, const char *const *na, size_t n_na, mql_err *err)
{
    const char *v = r->value;
    size_t n = 1;
    if (r->op == MQL_OP_IN)
        for (const char *p = v; *p; p++)
            n += *p == '|';
    r->values = calloc(n, sizeof *r->values);
    r->vcells = calloc(n, sizeof *r->vcells);
    if (!r->values || !r->vcells)
        return mql_err_set(err, MQL_ENOMEM, "out of memory");
    r->n_values = n;
    const char *p = v;
    for (size_t k = 0; k < n; k++) {
        const char *e = r->op == MQL_OP_IN ? strchr(p, '|') : NULL;
        size_t len = e ? (size_t)(e - p) : strlen(p);
        const char *b;
        size_t tl = mql_trim_span(p, len, &b);
        if (!(r->values[k] = mql_strndup(b, tl)))
            return mql_err_set(err, MQL_ENOMEM, "out of memory");
        if (tl == 0)
            return mql_err_set(err, MQL_EDATA, "'%s' needs a value%s", mql_op_name(r->op),
                               r->op == MQL_OP_IN ? " between every '|'" : "");
        mql_cell_from_text(&r->vcells[k], r->values[k], na, n_na);
        if (r->vcells[k].missing)
            return mql_err_set(err, MQL_EDATA,
                               "'%s' is a missing-value placeholder; use the operator 'missing'",
                               r->values[k]);
        p = e ? e + 1 : p + len;
    }
    if (r->op == MQL_OP_IN && n >= 16) {
        static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
        if (!(r->vindex = malloc(n * sizeof *r->vindex)))
            return mql_err_set(err, MQL_ENOMEM, "out of memory");
        for (size_t k = 0; k < n; k++) {
            r->vindex[k] = k;
            r->n_vnum += r->vcells[k].is_num;
        }
        pthread_mutex_lock(&mu);
        sort_rule = r;
        qsort(r->vindex, n, sizeof *r->vindex, vindex_cmp);
        pthread_mutex_unlock(&mu);
    }
    return MQL_OK;
}

int mql_cond_init(mql_cond *r, const char *feature, const char *op, const char *value,
                  const char *const *na, size_t n_na, mql_err *err)
{
    memset(r, 0, sizeof *r);
    r->lo = r->hi = NAN;
    int rc = MQL_OK;
    char *opt = mql_trim_dup(op ? op : "");
    r->feature = mql_trim_dup(feature ? feature : "");
    r->value = mql_trim_dup(value ? value : "");
    if (!opt || !r->feature || !r->value) {
        rc = mql_err_set(err, MQL_ENOMEM, "out of memory");
        goto done;
    }
    if (!r->feature[0]) {
        rc = mql_err_set(err, MQL_EDATA, "empty feature name");
        goto done;
    }
    size_t k = 0;
    while (k < sizeof op_names / sizeof op_names[0] && mql_strcasecmp(opt, op_names[k]) != 0)
        k++;
    if (k == sizeof op_names / sizeof op_names[0]) {
        rc = mql_err_set(err, MQL_EDATA,
                         "unknown operator '%s' (use =, !=, in, >=, >, <=, <, between, missing)",
                         opt);
        goto done;
    }
    r->op = (mql_op)k;
    switch (r->op) {
    case MQL_OP_EQ:
    case MQL_OP_NE:
    case MQL_OP_IN:
        rc = cond_values(r, na, n_na, err);
        break;
    case MQL_OP_GE:
    case MQL_OP_GT:
    case MQL_OP_LE:
    case MQL_OP_LT:
        if (mql_parse_double(r->value, &r->lo))
            rc = mql_err_set(err, MQL_EDATA, "'%s' needs a number, not '%s'", opt, r->value);
        break;
    case MQL_OP_BETWEEN: {
        const char *dots = strstr(r->value, "..");
        char *a = dots ? mql_strndup(r->value, (size_t)(dots - r->value)) : NULL;
        if (dots && !a) {
            rc = mql_err_set(err, MQL_ENOMEM, "out of memory");
            break;
        }
        if (!dots || mql_parse_double(a, &r->lo) || mql_parse_double(dots + 2, &r->hi) ||
            r->lo > r->hi)
            rc = mql_err_set(err, MQL_EDATA, "between needs lo..hi with lo <= hi, not '%s'",
                             r->value);
        free(a);
        break;
    }
    case MQL_OP_MISSING:
        if (r->value[0])
            rc = mql_err_set(err, MQL_EDATA, "'missing' takes no value (got '%s')", r->value);
        break;
    }
done:
    free(opt);
    if (rc)
        mql_cond_clear(r);
    return rc;
}

const char *mql_cond_text(const mql_cond *r, char *buf, size_t cap)
{
    char a[40], b[40];
    switch (r->op) {
    case MQL_OP_EQ: snprintf(buf, cap, "%s = %s", r->feature, r->value); break;
    case MQL_OP_NE: snprintf(buf, cap, "%s != %s", r->feature, r->value); break;
    case MQL_OP_IN: {
        size_t n = (size_t)snprintf(buf, cap, "%s in ", r->feature);
        for (size_t k = 0; k < r->n_values && n < cap; k++)
            n += (size_t)snprintf(buf + n, cap - n, "%s%s", k ? "|" : "", r->values[k]);
        break;
    }
    case MQL_OP_GE:
    case MQL_OP_GT:
    case MQL_OP_LE:
    case MQL_OP_LT:
        mql_fmt_shortest(r->lo, a, sizeof a);
        snprintf(buf, cap, "%s %s %s", r->feature, mql_op_name(r->op), a);
        break;
    case MQL_OP_BETWEEN:
        mql_fmt_shortest(r->lo, a, sizeof a);
        mql_fmt_shortest(r->hi, b, sizeof b);
        if (r->lo == r->hi)
            snprintf(buf, cap, "%s = %s", r->feature, a);
        else
            snprintf(buf, cap, r->lo >= 0 && mql_is_integral(r->lo) && mql_is_integral(r->hi)
                                   ? "%s %s-%s" : "%s %s to %s", r->feature, a, b);
        break;
    case MQL_OP_MISSING: snprintf(buf, cap, "%s missing", r->feature); break;
    }
    return buf;
}


/* ---- overlap between two rules of one feature ---- */

typedef struct interval {
    double lo, hi;
    int lo_open, hi_open;
} interval;

static interval cond_interval(const mql_cond *r)
{
    interval v = {-INFINITY, INFINITY, 1, 1};
    switch (r->op) {
    case MQL_OP_GE: v.lo = r->lo, v.lo_open = 0; break;
    case MQL_OP_GT: v.lo = r->lo; break;
    case MQL_OP_LE: v.hi = r->lo, v.hi_open = 0; break;
    case MQL_OP_LT: v.hi = r->lo; break;
    case MQL_OP_BETWEEN: v = (interval){r->lo, r->hi, 0, 0}; break;
    default: break;
    }
    return v;
}

static int in_interval(const interval *v, double x)
{
    return (v->lo_open ? x > v->lo : x >= v->lo) && (v->hi_open ? x < v->hi : x <= v->hi);
}

/* Intersection of two intervals; returns 0 when empty. */
static int intersect(interval a, interval b, interval *out)
{
    interval c = a;
    if (b.lo > c.lo || (b.lo == c.lo && b.lo_open))
        c.lo = b.lo, c.lo_open = b.lo_open;
    if (b.hi < c.hi || (b.hi == c.hi && b.hi_open))
        c.hi = b.hi, c.hi_open = b.hi_open;
    *out = c;
    return c.lo < c.hi || (c.lo == c.hi && !c.lo_open && !c.hi_open);
}

/* A number inside the non-empty interval v, other than avoid (when avoid_set); returns 0 when v
 * holds no such number. */
static int interval_witness(const interval *v, int avoid_set, double avoid, double *out)
{
    double c[6];
    size_t n = 0;
    if (isfinite(v->lo))
        c[n++] = v->lo;
    if (isfinite(v->hi))
        c[n++] = v->hi;
    if (isfinite(v->lo) && isfinite(v->hi))
        c[n++] = v->lo + (v->hi - v->lo) / 2;
    double base = isfinite(v->lo) ? v->lo : isfinite(v->hi) ? v->hi : 0;
    c[n++] = base + 1;
    c[n++] = base - 1;
    c[n++] = base;
    for (size_t i = 0; i < n; i++)
        if (in_interval(v, c[i]) && !(avoid_set && c[i] == avoid)) {
            *out = c[i];
            return 1;
        }
    return 0;
}

static int is_range(mql_op op)
{
    return op >= MQL_OP_GE && op <= MQL_OP_BETWEEN;
}

int mql_conds_overlap(const mql_cond *a, const mql_cond *b, char *witness, size_t cap)
{
    /* Order the pair so that a's kind <= b's kind: set (=, in) < != < range < missing. */
    int ka = a->op == MQL_OP_NE ? 1 : is_range(a->op) ? 2 : a->op == MQL_OP_MISSING ? 3 : 0;
    int kb = b->op == MQL_OP_NE ? 1 : is_range(b->op) ? 2 : b->op == MQL_OP_MISSING ? 3 : 0;
    if (ka > kb) {
        const mql_cond *t = a;
        a = b, b = t;
        int tk = ka;
        ka = kb, kb = tk;
    }
    char num[40];
    if (ka == 3 || kb == 3) {
        if (ka == 3 && kb == 3) {
            snprintf(witness, cap, "a missing cell");
            return 1;
        }
        return 0;
    }
    if (ka == 0) {
        for (size_t i = 0; i < a->n_values; i++) {
            const mql_cell *v = &a->vcells[i];
            int hit = 0;
            if (kb == 0) {
                for (size_t j = 0; j < b->n_values && !hit; j++)
                    hit = mql_cell_eq(v, &b->vcells[j]);
            } else if (kb == 1) {
                hit = !mql_cell_eq(v, &b->vcells[0]);
            } else {
                interval iv = cond_interval(b);
                hit = v->is_num && in_interval(&iv, v->num);
            }
            if (hit) {
                snprintf(witness, cap, "%s", a->values[i]);
                return 1;
            }
        }
        return 0;
    }
    if (ka == 1 && kb == 1) {
        snprintf(witness, cap, "any other value");
        return 1;
    }
    interval iv = cond_interval(b), both;
    if (ka == 2 && !intersect(cond_interval(a), iv, &both))
        return 0;
    if (ka == 2)
        iv = both;
    double w;
    const mql_cell *nv = ka == 1 ? &a->vcells[0] : NULL;
    if (!interval_witness(&iv, nv && nv->is_num, nv ? nv->num : 0, &w))
        return 0;
    mql_fmt_shortest(w, num, sizeof num);
    snprintf(witness, cap, "%s", num);
    return 1;
}


int mql_group_parse(const char *s, const char *feature, mql_group *g)
{
    const char *b;
    size_t n = mql_trim_span(s, strlen(s), &b);
    if (n == 0)
        *g = mql_group_guess(feature);
    else if (mql_span_ieq(b, n, "fit", 3))
        *g = MQL_GROUP_FIT;
    else if (mql_span_ieq(b, n, "engagement", 10))
        *g = MQL_GROUP_ENGAGEMENT;
    else
        return -1;
    return 0;
}

/* ==== rules: one or more conditions ANDed ================================================== */

void mql_rule_clear(mql_rule *r)
{
    if (!r)
        return;
    for (size_t k = 0; r->cond && k < r->n_cond; k++)
        mql_cond_clear(&r->cond[k]);
    free(r->cond);
    free(r->name);
    memset(r, 0, sizeof *r);
    r->term = -1;
}

int mql_rule_init(mql_rule *r, const char *feature, const char *op, const char *value,
                  long points, mql_group group, mql_err *err)
{
    return mql_rule_init_na(r, feature, op, value, points, group, NULL, 0, err);
}

int mql_rule_init_na(mql_rule *r, const char *feature, const char *op, const char *value,
                     long points, mql_group group, const char *const *na, size_t n_na,
                     mql_err *err)
{
    memset(r, 0, sizeof *r);
    r->term = -1;
    r->points = points;
    r->group = group;
    if (!(r->cond = calloc(1, sizeof *r->cond)))
        return mql_err_set(err, MQL_ENOMEM, "out of memory");
    int rc = mql_cond_init(&r->cond[0], feature, op, value, na, n_na, err);
    if (rc) {
        free(r->cond);
        r->cond = NULL;
        return rc;
    }
    r->n_cond = 1;
    return MQL_OK;
}

int mql_rule_add_cond(mql_rule *r, const char *feature, const char *op, const char *value,
                      mql_err *err)
{
    return mql_rule_add_cond_na(r, feature, op, value, NULL, 0, err);
}

int mql_rule_add_cond_na(mql_rule *r, const char *feature, const char *op, const char *value,
                         const char *const *na, size_t n_na, mql_err *err)
{
    mql_cond c;
    int rc = mql_cond_init(&c, feature, op, value, na, n_na, err);
    if (rc)
        return rc;
    for (size_t k = 0; k < r->n_cond; k++)
        if (strcmp(r->cond[k].feature, c.feature) == 0) {
            rc = mql_err_set(err, MQL_EDATA, "the rule has a second condition on '%s' (one "
                             "condition per feature: use 'in' or 'between' for alternatives)",
                             c.feature);
            mql_cond_clear(&c);
            return rc;
        }
    mql_cond *nc = realloc(r->cond, (r->n_cond + 1) * sizeof *nc);
    if (!nc) {
        mql_cond_clear(&c);
        return mql_err_set(err, MQL_ENOMEM, "out of memory");
    }
    r->cond = nc;
    r->cond[r->n_cond++] = c;
    return MQL_OK;
}

int mql_rule_set_name(mql_rule *r, const char *name, mql_err *err)
{
    char *n = name && name[0] ? mql_strdup(name) : NULL;
    if (name && name[0] && !n)
        return mql_err_set(err, MQL_ENOMEM, "out of memory");
    free(r->name);
    r->name = n;
    return MQL_OK;
}

int mql_rule_copy(mql_rule *dst, const mql_rule *src, const char *const *na, size_t n_na,
                  mql_err *err)
{
    const mql_cond *c = &src->cond[0];
    int rc = mql_rule_init_na(dst, c->feature, mql_op_name(c->op), c->value, src->points,
                              src->group, na, n_na, err);
    for (size_t k = 1; rc == MQL_OK && k < src->n_cond; k++)
        rc = mql_rule_add_cond_na(dst, src->cond[k].feature, mql_op_name(src->cond[k].op),
                                  src->cond[k].value, na, n_na, err);
    if (rc == MQL_OK)
        rc = mql_rule_set_name(dst, src->name, err);
    if (rc) {
        mql_rule_clear(dst);
        return rc;
    }
    dst->term = src->term;
    dst->line = src->line;
    return MQL_OK;
}

int mql_rule_match(const mql_rule *r, const mql_cell *cells)
{
    for (size_t k = 0; k < r->n_cond; k++)
        if (!mql_cond_match(&r->cond[k], &cells[k]))
            return 0;
    return 1;
}

long mql_rule_cond_of(const mql_rule *r, const char *feature)
{
    for (size_t k = 0; k < r->n_cond; k++)
        if (strcmp(r->cond[k].feature, feature) == 0)
            return (long)k;
    return -1;
}

int mql_rules_same_features(const mql_rule *a, const mql_rule *b)
{
    if (a->n_cond != b->n_cond)
        return 0;
    for (size_t k = 0; k < a->n_cond; k++)
        if (mql_rule_cond_of(b, a->cond[k].feature) < 0)
            return 0;
    return 1;
}

const char *mql_rule_text(const mql_rule *r, char *buf, size_t cap)
{
    size_t n = 0;
    if (cap)
        buf[0] = '\0';
    for (size_t k = 0; k < r->n_cond && n + 1 < cap; k++) {
        if (k)
            n += (size_t)snprintf(buf + n, cap - n, " and ");
        if (n + 1 < cap) {
            mql_cond_text(&r->cond[k], buf + n, cap - n);
            n += strlen(buf + n);
        }
    }
    return buf;
}

const char *mql_reason_text(const mql_rule *r, char *buf, size_t cap)
{
    char t[1024];
    snprintf(buf, cap, "%+ld %s", r->points, mql_rule_text(r, t, sizeof t));
    return buf;
}

int mql_rules_overlap(const mql_rule *a, const mql_rule *b, char *witness, size_t cap)
{
    if (!mql_rules_same_features(a, b))
        return 0;
    if (a->n_cond == 1)
        return mql_conds_overlap(&a->cond[0], &b->cond[0], witness, cap);
    size_t n = 0;
    if (cap)
        witness[0] = '\0';
    for (size_t k = 0; k < a->n_cond; k++) {
        const mql_cond *ca = &a->cond[k], *cb = &b->cond[mql_rule_cond_of(b, ca->feature)];
        char w[128];
        if (!mql_conds_overlap(ca, cb, w, sizeof w))
            return 0;
        if (n + 1 < cap)
            n += (size_t)snprintf(witness + n, cap - n, "%s%s%s%s", k ? ", " : "", ca->feature,
                                  ca->op == MQL_OP_MISSING ? " " : " = ",
                                  ca->op == MQL_OP_MISSING ? "missing" : w);
    }
    return 1;
}

const char *mql_rule_field(const mql_rule *r, int which, char *buf, size_t cap)
{
    size_t n = 0;
    if (cap)
        buf[0] = '\0';
    for (size_t k = 0; k < r->n_cond && n + 1 < cap; k++) {
        const mql_cond *c = &r->cond[k];
        const char *v = which == 0 ? c->feature : which == 1 ? mql_op_name(c->op) : c->value;
        n += (size_t)snprintf(buf + n, cap - n, "%s%s", k ? " & " : "", v);
    }
    return buf;
}
