/* points.c: the integer points model: rules and their matching semantics, the rules CSV reader
 * and writer, JSON, bands and the score map, and the conversion from a fitted logistic regression
 * (with the self-check that the exported rules score the training leads like the model). */
#include "mqlcal/points.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "mqlcal/metrics.h"

/* ==== small helpers ======================================================================== */

/* Shortest "%.Ng" (N <= 17) that reads back as v: 3, 2.5, 9.9999999999999982. */
static void fmt_num(double v, char *buf, size_t cap)
{
    for (int prec = 15; prec <= 17; prec++) {
        snprintf(buf, cap, "%.*g", prec, v);
        if (strtod(buf, NULL) == v)
            return;
    }
}

static int is_integral(double v)
{
    return fabs(v) < 9007199254740992.0 && floor(v) == v;
}

static double logistic(double eta)
{
    return eta >= 0 ? 1.0 / (1.0 + exp(-eta)) : exp(eta) / (1.0 + exp(eta));
}

/* Trims blanks around [s, s+n): sets *start and returns the trimmed length. */
static size_t trim_span(const char *s, size_t n, const char **start)
{
    while (n && (*s == ' ' || *s == '\t'))
        s++, n--;
    while (n && (s[n - 1] == ' ' || s[n - 1] == '\t'))
        n--;
    *start = s;
    return n;
}

static char *trim_dup(const char *s)
{
    const char *b;
    size_t n = trim_span(s, strlen(s), &b);
    return mql_strndup(b, n);
}

static int span_ieq(const char *a, size_t na, const char *b, size_t nb)
{
    if (na != nb)
        return 0;
    for (size_t i = 0; i < na; i++)
        if (tolower((unsigned char)a[i]) != tolower((unsigned char)b[i]))
            return 0;
    return 1;
}

/* ==== operators, cells, matching ============================================================ */

static const char *const op_names[] = {"=", "!=", "in", ">=", ">", "<=", "<", "between",
                                       "missing"};

const char *mql_op_name(mql_op op)
{
    return (size_t)op < sizeof op_names / sizeof op_names[0] ? op_names[op] : "?";
}

const char *const mql_default_na[] = {"", "NA", "N/A", "null", "Select", "unknown", "none", "-"};
const size_t mql_n_default_na = sizeof mql_default_na / sizeof mql_default_na[0];

/* Thousands separators as table.c accepts them, only where they cannot be a decimal comma: two
 * or more groups ("1,234,567") or groups followed by a decimal point ("12,500.50"). Copies the
 * number without commas into buf; returns 0 when s matches the pattern. */
static int strip_thousands(const char *s, size_t n, char *buf, size_t cap)
{
    size_t i = 0, o = 0, groups = 0, lead = 0;
    if (n + 1 > cap)
        return -1;
    if (s[i] == '-' || s[i] == '+')
        buf[o++] = s[i++];
    while (i < n && isdigit((unsigned char)s[i]) && lead < 4)
        buf[o++] = s[i++], lead++;
    if (lead == 0 || lead > 3)
        return -1;
    while (i < n && s[i] == ',') {
        if (i + 4 > n || !isdigit((unsigned char)s[i + 1]) || !isdigit((unsigned char)s[i + 2]) ||
            !isdigit((unsigned char)s[i + 3]))
            return -1;
        memcpy(buf + o, s + i + 1, 3);
        o += 3;
        i += 4;
        groups++;
    }
    int frac = 0;
    if (i < n && s[i] == '.') {
        buf[o++] = s[i++];
        while (i < n && isdigit((unsigned char)s[i]))
            buf[o++] = s[i++], frac = 1;
        if (!frac)
            return -1;
    }
    if (i != n || groups == 0 || (groups < 2 && !frac))
        return -1;
    buf[o] = '\0';
    return 0;
}

void mql_cell_from_text(mql_cell *c, const char *text, const char *const *na, size_t n_na)
{
    static const char *const yes[] = {"true", "yes", "y", "t"};
    static const char *const no[] = {"false", "no", "n", "f"};
    static const size_t yes_len[] = {4, 3, 1, 1}, no_len[] = {5, 2, 1, 1};
    /* lengths of mql_default_na, so the per-cell test needs no strlen (scoring streams millions) */
    static const size_t default_na_len[] = {0, 2, 3, 4, 6, 7, 4, 1};
    _Static_assert(sizeof default_na_len / sizeof default_na_len[0] ==
                       sizeof mql_default_na / sizeof mql_default_na[0],
                   "one length per default placeholder");
    const size_t *na_len = NULL;
    if (!na) {
        na = mql_default_na;
        n_na = mql_n_default_na;
        na_len = default_na_len;
    }
    const char *s = text ? text : "";
    size_t n = trim_span(s, strlen(s), &s);
    c->text = s;
    c->len = n;
    c->is_num = 0;
    c->num = NAN;
    c->missing = n == 0;
    for (size_t i = 0; i < n_na && !c->missing; i++)
        c->missing = span_ieq(s, n, na[i], na_len ? na_len[i] : strlen(na[i]));
    if (c->missing)
        return;
    for (size_t i = 0; i < 4 && n <= 5; i++) {
        if (span_ieq(s, n, yes[i], yes_len[i]) || span_ieq(s, n, no[i], no_len[i])) {
            c->is_num = 1;
            c->num = span_ieq(s, n, yes[i], yes_len[i]) ? 1.0 : 0.0;
            return;
        }
    }
    /* strtod needs a NUL-terminated copy; cells longer than any number are not numbers.
     * Hexadecimal is not a number here (table.c reads decimals only). */
    char buf[96];
    if (n < sizeof buf && !memchr(s, 'x', n) && !memchr(s, 'X', n)) {
        memcpy(buf, s, n);
        buf[n] = '\0';
        double v;
        if (memchr(buf, ',', n) && strip_thousands(s, n, buf, sizeof buf))
            return;
        if (mql_parse_double(buf, &v) == 0) {
            c->is_num = 1;
            c->num = v;
        }
    }
}

/* The = relation between two cells (symmetric): numerically when both are numbers, else by
 * text ignoring case. A number known only as a number never equals a non-numeric text. */
static int cell_eq(const mql_cell *a, const mql_cell *b)
{
    if (a->missing || b->missing)
        return 0;
    if (a->is_num && b->is_num)
        return a->num == b->num;
    if (a->is_num != b->is_num || !a->text || !b->text)
        return 0;
    return span_ieq(a->text, a->len, b->text, b->len);
}

int mql_rule_match(const mql_rule *r, const mql_cell *c)
{
    if (r->op == MQL_OP_MISSING)
        return c->missing;
    if (c->missing)
        return 0;
    double x = c->num;
    switch (r->op) {
    case MQL_OP_EQ: return cell_eq(&r->vcells[0], c);
    case MQL_OP_NE: return !cell_eq(&r->vcells[0], c);
    case MQL_OP_IN:
        for (size_t k = 0; k < r->n_values; k++)
            if (cell_eq(&r->vcells[k], c))
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

void mql_rule_clear(mql_rule *r)
{
    if (!r)
        return;
    free(r->feature);
    free(r->value);
    for (size_t k = 0; r->values && k < r->n_values; k++)
        free(r->values[k]);
    free(r->values);
    free(r->vcells);
    memset(r, 0, sizeof *r);
    r->term = -1;
}

/* Splits r->value on '|' (in) or takes it whole (=, !=) into values / vcells. */
static int rule_values(mql_rule *r, mql_err *err)
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
        size_t tl = trim_span(p, len, &b);
        if (!(r->values[k] = mql_strndup(b, tl)))
            return mql_err_set(err, MQL_ENOMEM, "out of memory");
        if (tl == 0)
            return mql_err_set(err, MQL_EDATA, "'%s' needs a value%s", mql_op_name(r->op),
                               r->op == MQL_OP_IN ? " between every '|'" : "");
        mql_cell_from_text(&r->vcells[k], r->values[k], NULL, 0);
        if (r->vcells[k].missing)
            return mql_err_set(err, MQL_EDATA,
                               "'%s' is a missing-value placeholder; use the operator 'missing'",
                               r->values[k]);
        p = e ? e + 1 : p + len;
    }
    return MQL_OK;
}

int mql_rule_init(mql_rule *r, const char *feature, const char *op, const char *value,
                  long points, mql_group group, mql_err *err)
{
    memset(r, 0, sizeof *r);
    r->term = -1;
    r->points = points;
    r->group = group;
    r->lo = r->hi = NAN;
    int rc = MQL_OK;
    char *opt = trim_dup(op ? op : "");
    r->feature = trim_dup(feature ? feature : "");
    r->value = trim_dup(value ? value : "");
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
        rc = rule_values(r, err);
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
        mql_rule_clear(r);
    return rc;
}

const char *mql_rule_text(const mql_rule *r, char *buf, size_t cap)
{
    char a[40], b[40];
    switch (r->op) {
    case MQL_OP_EQ: snprintf(buf, cap, "%s = %s", r->feature, r->value); break;
    case MQL_OP_NE: snprintf(buf, cap, "%s != %s", r->feature, r->value); break;
    case MQL_OP_IN: {
        size_t n = (size_t)snprintf(buf, cap, "%s in ", r->feature);
        for (size_t k = 0; k < r->n_values && n < cap; k++)
            n += (size_t)snprintf(buf + n, cap - n, "%s%s", k ? ", " : "", r->values[k]);
        break;
    }
    case MQL_OP_GE:
    case MQL_OP_GT:
    case MQL_OP_LE:
    case MQL_OP_LT:
        fmt_num(r->lo, a, sizeof a);
        snprintf(buf, cap, "%s %s %s", r->feature, mql_op_name(r->op), a);
        break;
    case MQL_OP_BETWEEN:
        fmt_num(r->lo, a, sizeof a);
        fmt_num(r->hi, b, sizeof b);
        if (r->lo == r->hi)
            snprintf(buf, cap, "%s = %s", r->feature, a);
        else
            snprintf(buf, cap, r->lo >= 0 && is_integral(r->lo) && is_integral(r->hi)
                                   ? "%s %s-%s" : "%s %s to %s", r->feature, a, b);
        break;
    case MQL_OP_MISSING: snprintf(buf, cap, "%s missing", r->feature); break;
    }
    return buf;
}

const char *mql_reason_text(const mql_rule *r, char *buf, size_t cap)
{
    char t[512];
    snprintf(buf, cap, "%+ld %s", r->points, mql_rule_text(r, t, sizeof t));
    return buf;
}

/* ---- overlap between two rules of one feature ---- */

typedef struct interval {
    double lo, hi;
    int lo_open, hi_open;
} interval;

static interval rule_interval(const mql_rule *r)
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

int mql_rules_overlap(const mql_rule *a, const mql_rule *b, char *witness, size_t cap)
{
    /* Order the pair so that a's kind <= b's kind: set (=, in) < != < range < missing. */
    int ka = a->op == MQL_OP_NE ? 1 : is_range(a->op) ? 2 : a->op == MQL_OP_MISSING ? 3 : 0;
    int kb = b->op == MQL_OP_NE ? 1 : is_range(b->op) ? 2 : b->op == MQL_OP_MISSING ? 3 : 0;
    if (ka > kb) {
        const mql_rule *t = a;
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
                    hit = cell_eq(v, &b->vcells[j]);
            } else if (kb == 1) {
                hit = !cell_eq(v, &b->vcells[0]);
            } else {
                interval iv = rule_interval(b);
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
    interval iv = rule_interval(b), both;
    if (ka == 2 && !intersect(rule_interval(a), iv, &both))
        return 0;
    if (ka == 2)
        iv = both;
    double w;
    const mql_cell *nv = ka == 1 ? &a->vcells[0] : NULL;
    if (!interval_witness(&iv, nv && nv->is_num, nv ? nv->num : 0, &w))
        return 0;
    fmt_num(w, num, sizeof num);
    snprintf(witness, cap, "%s", num);
    return 1;
}

/* ==== the points model ======================================================================= */

mql_points *mql_points_new(void)
{
    mql_points *m = calloc(1, sizeof *m);
    if (!m)
        return NULL;
    m->pdo = NAN;
    m->map_a = m->map_b = NAN;
    m->auc_exact = m->auc_points = m->logloss_exact = m->logloss_points = NAN;
    return m;
}

static void bands_free(mql_points *m)
{
    for (size_t i = 0; m->bands && i < m->n_bands; i++)
        free(m->bands[i].name);
    free(m->bands);
    m->bands = NULL;
    m->n_bands = 0;
}

void mql_points_free(mql_points *m)
{
    if (!m)
        return;
    for (size_t i = 0; m->rules && i < m->n_rules; i++)
        mql_rule_clear(&m->rules[i]);
    free(m->rules);
    free(m->map_method);
    free(m->iso_x);
    free(m->iso_y);
    bands_free(m);
    free(m->term_points);
    for (size_t i = 0; m->steps && i < m->n_steps; i++) {
        free(m->steps[i].lo);
        free(m->steps[i].rep);
        free(m->steps[i].points);
    }
    free(m->steps);
    free(m);
}

int mql_points_add_rule(mql_points *m, const mql_rule *r, mql_err *err)
{
    mql_rule *nr = realloc(m->rules, (m->n_rules + 1) * sizeof *nr);
    if (!nr)
        return mql_err_set(err, MQL_ENOMEM, "out of memory");
    m->rules = nr;
    mql_rule *d = &m->rules[m->n_rules];
    int rc = mql_rule_init(d, r->feature, mql_op_name(r->op), r->value, r->points, r->group, err);
    if (rc)
        return rc;
    d->term = r->term;
    d->line = r->line;
    m->n_rules++;
    return MQL_OK;
}

/* Appends a rule from its parts (used by the conversion). */
static int add_rule(mql_points *m, const char *feature, mql_op op, const char *value, long pts,
                    mql_group g, long term, mql_err *err)
{
    mql_rule *nr = realloc(m->rules, (m->n_rules + 1) * sizeof *nr);
    if (!nr)
        return mql_err_set(err, MQL_ENOMEM, "out of memory");
    m->rules = nr;
    int rc = mql_rule_init(&m->rules[m->n_rules], feature, mql_op_name(op), value, pts, g, err);
    if (rc)
        return mql_err_prefix(err, rc, "feature '%s'", feature);
    m->rules[m->n_rules++].term = term;
    return MQL_OK;
}

double mql_points_prob(const mql_points *m, double score)
{
    if (!m->has_map || isnan(score))
        return NAN;
    if (m->map_method && strcmp(m->map_method, "isotonic") == 0 && m->n_iso > 0) {
        mql_isotonic iso = {m->n_iso, m->iso_x, m->iso_y};
        return mql_isotonic_predict(&iso, score);
    }
    return logistic(m->map_a + m->map_b * score);
}

void mql_points_range(const mql_points *m, long *min_score, long *max_score)
{
    long lo = 0, hi = 0;
    for (size_t i = 0; i < m->n_rules; i++) {
        int first = 1;
        for (size_t k = 0; k < i; k++)
            if (strcmp(m->rules[k].feature, m->rules[i].feature) == 0)
                first = 0;
        if (!first)
            continue;
        long flo = 0, fhi = 0;
        for (size_t k = i; k < m->n_rules; k++) {
            if (strcmp(m->rules[k].feature, m->rules[i].feature) != 0)
                continue;
            long p = m->rules[k].points;
            flo = p < flo ? p : flo;
            fhi = p > fhi ? p : fhi;
        }
        lo += flo;
        hi += fhi;
    }
    *min_score = lo;
    *max_score = hi;
}

int mql_points_make_bands(mql_points *m, mql_err *err)
{
    bands_free(m);
    long t = m->threshold, w;
    int logistic_map = m->has_map && !(m->map_method && strcmp(m->map_method, "isotonic") == 0);
    if (logistic_map && m->map_b > 0 && isfinite(m->map_b))
        w = lround(log(2.0) / m->map_b);
    else
        w = lround(fabs((double)t) / 4);
    if (w < 1)
        w = 1;
    long smin, smax;
    mql_points_range(m, &smin, &smax);
    m->bands = calloc(4, sizeof *m->bands);
    if (!m->bands)
        return mql_err_set(err, MQL_ENOMEM, "out of memory");
    static const char *const names[] = {"A", "B", "C", "D"};
    long lo[4] = {t + w, t, t - w, LONG_MIN}, hi[4] = {LONG_MAX, t + w - 1, t - 1, t - w - 1};
    for (size_t i = 0; i < 4; i++) {
        mql_band *b = &m->bands[i];
        if (!(b->name = mql_strdup(names[i]))) {
            m->n_bands = i;
            bands_free(m);
            return mql_err_set(err, MQL_ENOMEM, "out of memory");
        }
        b->lo = lo[i];
        b->hi = hi[i];
        b->p_lo = mql_points_prob(m, (double)(lo[i] == LONG_MIN ? smin : lo[i]));
        b->p_hi = mql_points_prob(m, (double)(hi[i] == LONG_MAX ? smax : hi[i]));
    }
    m->n_bands = 4;
    return MQL_OK;
}

const char *mql_points_band(const mql_points *m, long score)
{
    for (size_t i = 0; i < m->n_bands; i++)
        if (score >= m->bands[i].lo && score <= m->bands[i].hi)
            return m->bands[i].name;
    return "";
}

/* Rejects two rules of one feature that a cell could both match; names both lines (or rule
 * numbers for models not read from a file). */
static int check_overlaps(const mql_points *m, const char *name, mql_err *err)
{
    for (size_t i = 0; i < m->n_rules; i++) {
        for (size_t k = 0; k < i; k++) {
            const mql_rule *a = &m->rules[k], *b = &m->rules[i];
            char w[128], ta[256], tb[256];
            if (strcmp(a->feature, b->feature) != 0 || !mql_rules_overlap(a, b, w, sizeof w))
                continue;
            mql_rule_text(a, ta, sizeof ta);
            mql_rule_text(b, tb, sizeof tb);
            if (b->line)
                return mql_err_set(err, MQL_EDATA, "%s:%zu: overlaps line %zu (%s and %s both "
                                   "match %s)", name, b->line, a->line, ta, tb, w);
            return mql_err_set(err, MQL_EDATA, "%s: rule %zu overlaps rule %zu (%s and %s both "
                               "match %s)", name, i + 1, k + 1, ta, tb, w);
        }
    }
    return MQL_OK;
}

/* ==== rules CSV ============================================================================== */

/* Splits one line into fields (quotes: "a,b" and "" for a quote). Fields are written into the
 * caller's buffer copy. Returns the field count, or -1 for an unterminated quote. */
static long split_fields(char *line, char delim, char **field, size_t max)
{
    size_t n = 0;
    char *p = line, *w;
    for (;;) {
        if (n == max)
            return (long)n + 1;
        field[n++] = w = p;
        /* skip leading blanks before a quote */
        char *q = p;
        while (*q == ' ' || *q == '\t')
            q++;
        if (*q == '"') {
            p = q + 1;
            for (;;) {
                if (!*p)
                    return -1;
                if (*p == '"' && p[1] == '"') {
                    *w++ = '"';
                    p += 2;
                } else if (*p == '"') {
                    p++;
                    break;
                } else {
                    *w++ = *p++;
                }
            }
            while (*p && *p != delim)
                p++;   /* blanks after the closing quote */
        } else {
            while (*p && *p != delim)
                *w++ = *p++;
        }
        int more = *p == delim;
        *w = '\0';
        if (!more)
            return (long)n;
        p++;
    }
}

/* The group field of a rule; empty means: guess from the feature's name. */
static int parse_group(const char *s, const char *feature, mql_group *g)
{
    const char *b;
    size_t n = trim_span(s, strlen(s), &b);
    if (n == 0)
        *g = mql_group_guess(feature);
    else if (span_ieq(b, n, "fit", 3))
        *g = MQL_GROUP_FIT;
    else if (span_ieq(b, n, "engagement", 10))
        *g = MQL_GROUP_ENGAGEMENT;
    else
        return -1;
    return 0;
}

/* "# score_map: ..." and "# pdo: X" comment lines. Other comments are ignored. */
static int parse_comment(mql_points *m, const char *line, const char *name, size_t ln,
                         mql_err *err)
{
    const char *s = line + 1;
    while (*s == ' ' || *s == '\t')
        s++;
    if (strncmp(s, "pdo:", 4) == 0) {
        char *v = trim_dup(s + 4);
        int bad = !v || mql_parse_double(v, &m->pdo);
        free(v);
        return bad ? mql_err_set(err, MQL_EDATA, "%s:%zu: bad '# pdo:' line", name, ln) : MQL_OK;
    }
    if (strncmp(s, "score_map:", 10) != 0)
        return MQL_OK;
    s += 10;
    char *copy = mql_strdup(s);
    if (!copy)
        return mql_err_set(err, MQL_ENOMEM, "out of memory");
    char *save = NULL, *tok = strtok_r(copy, " \t", &save);
    int ok = tok != NULL, iso = 0, have_a = 0, have_b = 0;
    if (ok && strcmp(tok, "isotonic") == 0)
        iso = 1;
    else if (!ok || strcmp(tok, "logistic") != 0)
        ok = 0;
    free(m->map_method);
    m->map_method = NULL;
    m->n_iso = 0;
    while (ok && (tok = strtok_r(NULL, " \t", &save))) {
        char *eq = strchr(tok, iso ? ':' : '=');
        if (!eq) {
            ok = 0;
            break;
        }
        *eq = '\0';
        if (!iso && strcmp(tok, "method") == 0) {
            free(m->map_method);
            ok = (m->map_method = mql_strdup(eq + 1)) != NULL && eq[1];
        } else if (!iso && strcmp(tok, "a") == 0) {
            ok = mql_parse_double(eq + 1, &m->map_a) == 0, have_a = 1;
        } else if (!iso && strcmp(tok, "b") == 0) {
            ok = mql_parse_double(eq + 1, &m->map_b) == 0, have_b = 1;
        } else if (iso) {
            double x, y;
            double *nx = realloc(m->iso_x, (m->n_iso + 1) * sizeof *nx);
            if (nx)
                m->iso_x = nx;
            double *ny = nx ? realloc(m->iso_y, (m->n_iso + 1) * sizeof *ny) : NULL;
            if (ny)
                m->iso_y = ny;
            ok = nx && ny && mql_parse_double(tok, &x) == 0 && mql_parse_double(eq + 1, &y) == 0 &&
                 y >= 0 && y <= 1 && (m->n_iso == 0 || x > m->iso_x[m->n_iso - 1]);
            if (ok) {
                m->iso_x[m->n_iso] = x;
                m->iso_y[m->n_iso++] = y;
            }
        } else {
            ok = 0;
        }
    }
    free(copy);
    if (ok && iso)
        ok = m->n_iso > 0 && (m->map_method = mql_strdup("isotonic")) != NULL;
    if (ok && !iso)
        ok = have_a && have_b;
    if (!ok)
        return mql_err_set(err, MQL_EDATA, "%s:%zu: bad '# score_map:' line (want 'logistic "
                           "a=A b=B' or 'isotonic S:P S:P ...')", name, ln);
    m->has_map = 1;
    return MQL_OK;
}

int mql_points_read_stream(FILE *f, const char *name, mql_points **out, mql_err *err)
{
    *out = NULL;
    mql_points *m = mql_points_new();
    if (!m)
        return mql_err_set(err, MQL_ENOMEM, "out of memory");
    char *line = NULL;
    size_t cap = 0, ln = 0, thr_line = 0;
    ssize_t len;
    int rc = MQL_OK, header = 0;
    char delim = ',';
    while (rc == MQL_OK && (len = getline(&line, &cap, f)) >= 0) {
        ln++;
        char *s = line;
        if (ln == 1 && (unsigned char)s[0] == 0xEF && (unsigned char)s[1] == 0xBB &&
            (unsigned char)s[2] == 0xBF)
            s += 3;
        size_t n = strlen(s);
        if (n != (size_t)len - (size_t)(s - line)) {
            rc = mql_err_set(err, MQL_EDATA, "%s:%zu: NUL byte in the line", name, ln);
            break;
        }
        while (n && (s[n - 1] == '\n' || s[n - 1] == '\r'))
            s[--n] = '\0';
        const char *b;
        if (trim_span(s, n, &b) == 0)
            continue;
        if (*b == '#') {
            rc = parse_comment(m, b, name, ln, err);
            continue;
        }
        char *fld[8];
        if (!header) {
            if (!strchr(s, ',') && strchr(s, ';'))
                delim = ';';
            long nf = split_fields(s, delim, fld, 8);
            static const char *const want[] = {"feature", "operator", "value", "points", "group"};
            int ok = nf == 4 || nf == 5;
            for (long i = 0; ok && i < nf; i++) {
                const char *h;
                size_t hl = trim_span(fld[i], strlen(fld[i]), &h);
                ok = span_ieq(h, hl, want[i], strlen(want[i]));
            }
            if (!ok)
                rc = mql_err_set(err, MQL_EDATA, "%s:%zu: the header must be "
                                 "feature,operator,value,points[,group]", name, ln);
            header = 1;
            continue;
        }
        long nf = split_fields(s, delim, fld, 8);
        if (nf < 0) {
            rc = mql_err_set(err, MQL_EDATA, "%s:%zu: unterminated quote", name, ln);
            break;
        }
        if (nf < 4 || nf > 5) {
            rc = mql_err_set(err, MQL_EDATA, "%s:%zu: %ld fields; a rule has 4 or 5 "
                             "(feature,operator,value,points[,group])", name, ln, nf);
            break;
        }
        char *pt = trim_dup(fld[3]);
        if (!pt) {
            rc = mql_err_set(err, MQL_ENOMEM, "out of memory");
            break;
        }
        long pts = 0;
        int bad_pts = mql_parse_long(pt, LONG_MIN / 4, LONG_MAX / 4, &pts) != 0;
        const char *fb, *ob;
        size_t fl = trim_span(fld[0], strlen(fld[0]), &fb);
        size_t ol = trim_span(fld[1], strlen(fld[1]), &ob);
        if (bad_pts) {
            rc = mql_err_set(err, MQL_EDATA, "%s:%zu: points '%s' is not an integer", name, ln,
                             pt);
        } else if (ol == 0 && span_ieq(fb, fl, "threshold", 9)) {
            if (thr_line)
                rc = mql_err_set(err, MQL_EDATA, "%s:%zu: a second threshold row (the first is "
                                 "on line %zu)", name, ln, thr_line);
            m->threshold = pts;
            thr_line = ln;
        } else {
            mql_group g;
            mql_rule *nr = realloc(m->rules, (m->n_rules + 1) * sizeof *nr);
            if (nr)
                m->rules = nr;
            if (!nr)
                rc = mql_err_set(err, MQL_ENOMEM, "out of memory");
            else if (parse_group(nf == 5 ? fld[4] : "", fld[0], &g))
                rc = mql_err_set(err, MQL_EDATA, "%s:%zu: group '%s' is neither fit nor "
                                 "engagement", name, ln, fld[4]);
            else {
                rc = mql_rule_init(&m->rules[m->n_rules], fld[0], fld[1], fld[2], pts, g, err);
                if (rc)
                    mql_err_prefix(err, rc, "%s:%zu", name, ln);
                else
                    m->rules[m->n_rules++].line = ln;
            }
        }
        free(pt);
    }
    free(line);
    if (rc == MQL_OK && ferror(f))
        rc = mql_err_set(err, MQL_EIO, "%s: read error: %s", name, strerror(errno));
    if (rc == MQL_OK && !header)
        rc = mql_err_set(err, MQL_EDATA, "%s: no header line feature,operator,value,points,group",
                         name);
    if (rc == MQL_OK && !thr_line)
        rc = mql_err_set(err, MQL_EDATA, "%s: no threshold row (add a line 'threshold,,,N': "
                         "MQL when score >= N)", name);
    if (rc == MQL_OK)
        rc = check_overlaps(m, name, err);
    if (rc == MQL_OK)
        rc = mql_points_make_bands(m, err);
    if (rc) {
        mql_points_free(m);
        return rc;
    }
    *out = m;
    return MQL_OK;
}

int mql_points_read_csv(const char *path, mql_points **out, mql_err *err)
{
    *out = NULL;
    FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "r");
    if (!f)
        return mql_err_set(err, MQL_EIO, "%s: %s", path, strerror(errno));
    int rc = mql_points_read_stream(f, path, out, err);
    if (f != stdin)
        fclose(f);
    return rc;
}

/* One CSV field, quoted when it holds the delimiter, a quote, CR/LF, blanks at either end, or
 * starts with '#' (which would read as a comment line). */
static int put_field(FILE *f, const char *s)
{
    size_t n = strlen(s);
    int q = n && (s[0] == ' ' || s[0] == '\t' || s[n - 1] == ' ' || s[n - 1] == '\t' ||
                  s[0] == '#');
    q |= strpbrk(s, ",\"\r\n") != NULL;
    if (!q)
        return fputs(s, f) < 0 ? EOF : 0;
    if (putc('"', f) == EOF)
        return EOF;
    for (; *s; s++)
        if ((*s == '"' && putc('"', f) == EOF) || putc(*s, f) == EOF)
            return EOF;
    return putc('"', f) == EOF ? EOF : 0;
}

int mql_points_write_csv(const mql_points *m, FILE *f)
{
    int bad = 0;
    bad |= fprintf(f, "# mqlcal points model: %zu rules; MQL when score >= %ld\n", m->n_rules,
                   m->threshold) < 0;
    if (m->has_map && m->map_method && strcmp(m->map_method, "isotonic") == 0) {
        bad |= fputs("# score_map: isotonic", f) < 0;
        for (size_t i = 0; i < m->n_iso; i++)
            bad |= fprintf(f, " %.17g:%.17g", m->iso_x[i], m->iso_y[i]) < 0;
        bad |= putc('\n', f) == EOF;
    } else if (m->has_map) {
        bad |= fprintf(f, "# score_map: logistic a=%.17g b=%.17g", m->map_a, m->map_b) < 0;
        if (m->map_method)
            bad |= fprintf(f, " method=%s", m->map_method) < 0;
        bad |= putc('\n', f) == EOF;
    }
    if (isfinite(m->pdo))
        bad |= fprintf(f, "# pdo: %.17g\n", m->pdo) < 0;
    if (isfinite(m->auc_exact) && isfinite(m->auc_points))
        bad |= fprintf(f, "# rounding cost on the training leads: AUC %.4f -> %.4f, log loss "
                       "%.4f -> %.4f\n", m->auc_exact, m->auc_points, m->logloss_exact,
                       m->logloss_points) < 0;
    bad |= fputs("feature,operator,value,points,group\n", f) < 0;
    for (size_t i = 0; i < m->n_rules; i++) {
        const mql_rule *r = &m->rules[i];
        bad |= put_field(f, r->feature) || putc(',', f) == EOF;
        bad |= fprintf(f, "%s,", mql_op_name(r->op)) < 0;
        bad |= put_field(f, r->value);
        bad |= fprintf(f, ",%ld,%s\n", r->points,
                       r->group == MQL_GROUP_ENGAGEMENT ? "engagement" : "fit") < 0;
    }
    bad |= fprintf(f, "threshold,,,%ld,\n", m->threshold) < 0;
    return bad || ferror(f) ? MQL_EIO : MQL_OK;
}

/* ==== JSON =================================================================================== */

static json_t *jnum(double v)
{
    return isfinite(v) ? json_real(v) : json_null();
}

static json_t *jlong_or_null(long v, long open)
{
    return v == open ? json_null() : json_integer(v);
}

json_t *mql_points_to_json(const mql_points *m)
{
    json_t *j = json_object(), *rules = json_array(), *bands = json_array(), *tp = json_array(),
           *steps = json_array();
    int bad = !j || !rules || !bands || !tp || !steps;
    bad |= json_object_set_new(j, "threshold", json_integer(m->threshold)) != 0;
    if (m->has_map) {
        json_t *map = json_object(), *ix = json_array(), *iy = json_array();
        bad |= !map || !ix || !iy;
        bad |= json_object_set_new(map, "method",
                                   m->map_method ? json_string(m->map_method) : json_null());
        bad |= json_object_set_new(map, "a", jnum(m->map_a)) != 0;
        bad |= json_object_set_new(map, "b", jnum(m->map_b)) != 0;
        for (size_t i = 0; i < m->n_iso; i++) {
            bad |= json_array_append_new(ix, json_real(m->iso_x[i])) != 0;
            bad |= json_array_append_new(iy, json_real(m->iso_y[i])) != 0;
        }
        bad |= json_object_set_new(map, "iso_x", ix) != 0;
        bad |= json_object_set_new(map, "iso_y", iy) != 0;
        bad |= json_object_set_new(j, "map", map) != 0;
    } else {
        bad |= json_object_set_new(j, "map", json_null()) != 0;
    }
    bad |= json_object_set_new(j, "pdo", jnum(m->pdo)) != 0;
    for (size_t i = 0; i < m->n_rules; i++) {
        const mql_rule *r = &m->rules[i];
        json_t *o = json_pack("{s:s, s:s, s:s, s:I, s:s, s:I}", "feature", r->feature,
                              "operator", mql_op_name(r->op), "value", r->value, "points",
                              (json_int_t)r->points, "group",
                              r->group == MQL_GROUP_ENGAGEMENT ? "engagement" : "fit", "term",
                              (json_int_t)r->term);
        bad |= !o || json_array_append_new(rules, o) != 0;
    }
    bad |= json_object_set_new(j, "rules", rules) != 0;
    for (size_t i = 0; i < m->n_bands; i++) {
        const mql_band *b = &m->bands[i];
        json_t *o = json_object();
        bad |= !o || json_object_set_new(o, "name", json_string(b->name)) != 0;
        bad |= json_object_set_new(o, "lo", jlong_or_null(b->lo, LONG_MIN)) != 0;
        bad |= json_object_set_new(o, "hi", jlong_or_null(b->hi, LONG_MAX)) != 0;
        bad |= json_object_set_new(o, "p_lo", jnum(b->p_lo)) != 0;
        bad |= json_object_set_new(o, "p_hi", jnum(b->p_hi)) != 0;
        bad |= json_array_append_new(bands, o) != 0;
    }
    bad |= json_object_set_new(j, "bands", bands) != 0;
    json_t *rc = json_pack("{s:o, s:o, s:o, s:o}", "auc_exact", jnum(m->auc_exact), "auc_points",
                           jnum(m->auc_points), "logloss_exact", jnum(m->logloss_exact),
                           "logloss_points", jnum(m->logloss_points));
    bad |= !rc || json_object_set_new(j, "rounding", rc) != 0;
    for (size_t i = 0; i < m->n_terms; i++)
        bad |= json_array_append_new(tp, json_integer(m->term_points[i])) != 0;
    bad |= json_object_set_new(j, "term_points", tp) != 0;
    for (size_t i = 0; i < m->n_steps; i++) {
        const mql_points_step *s = &m->steps[i];
        json_t *o = json_object(), *lo = json_array(), *rep = json_array(), *pt = json_array();
        bad |= !o || !lo || !rep || !pt;
        for (size_t k = 0; k < s->n; k++) {
            bad |= json_array_append_new(lo, jnum(s->lo[k])) != 0;
            bad |= json_array_append_new(rep, jnum(s->rep[k])) != 0;
            bad |= json_array_append_new(pt, json_integer(s->points[k])) != 0;
        }
        bad |= json_object_set_new(o, "term", json_integer((json_int_t)s->term)) != 0;
        bad |= json_object_set_new(o, "lo", lo) != 0;
        bad |= json_object_set_new(o, "rep", rep) != 0;
        bad |= json_object_set_new(o, "points", pt) != 0;
        bad |= json_array_append_new(steps, o) != 0;
    }
    bad |= json_object_set_new(j, "steps", steps) != 0;
    if (bad) {
        json_decref(j);
        return NULL;
    }
    return j;
}

/* Typed getters that name the key on failure. Each returns 0 or sets err and returns -1. */
static int jget(const json_t *o, const char *key, const char *where, int type, int nullable,
                const json_t **out, mql_err *err)
{
    const json_t *v = json_object_get(o, key);
    if (!v) {
        mql_err_set(err, MQL_EDATA, "%s: key '%s' is missing", where, key);
        return -1;
    }
    int t = json_typeof(v);
    int ok = t == type || (nullable && t == JSON_NULL) ||
             (type == JSON_REAL && t == JSON_INTEGER);
    if (!ok) {
        static const char *const tn[] = {"an object", "an array", "a string", "an integer",
                                         "a number", "true/false", "true/false", "null"};
        mql_err_set(err, MQL_EDATA, "%s: key '%s' must be %s%s", where, key,
                    type >= 0 && type < 8 ? tn[type] : "?", nullable ? " or null" : "");
        return -1;
    }
    *out = v;
    return 0;
}

static double jdouble(const json_t *v)
{
    return json_is_null(v) ? NAN : json_number_value(v);
}

static int jlong(const json_t *o, const char *key, const char *where, long *out, mql_err *err)
{
    const json_t *v;
    if (jget(o, key, where, JSON_INTEGER, 0, &v, err))
        return -1;
    json_int_t x = json_integer_value(v);
    if (x < LONG_MIN / 4 || x > LONG_MAX / 4) {
        mql_err_set(err, MQL_EDATA, "%s: key '%s' is out of range", where, key);
        return -1;
    }
    *out = (long)x;
    return 0;
}

/* An array of numbers (nullable elements read as NAN), length n when n != (size_t)-1. */
static int jdoubles(const json_t *a, const char *where, double **out, size_t *n, mql_err *err)
{
    size_t k = json_array_size(a);
    *out = malloc((k ? k : 1) * sizeof **out);
    if (!*out)
        return mql_err_set(err, MQL_ENOMEM, "out of memory"), -1;
    for (size_t i = 0; i < k; i++) {
        const json_t *v = json_array_get(a, i);
        if (!json_is_number(v) && !json_is_null(v)) {
            mql_err_set(err, MQL_EDATA, "%s[%zu] must be a number", where, i);
            return -1;
        }
        (*out)[i] = jdouble(v);
    }
    *n = k;
    return 0;
}

static int map_from_json(mql_points *m, const json_t *map, mql_err *err)
{
    const json_t *v, *ix, *iy;
    if (jget(map, "method", "points: map", JSON_STRING, 1, &v, err))
        return MQL_EDATA;
    if (json_is_string(v) && !(m->map_method = mql_strdup(json_string_value(v))))
        return mql_err_set(err, MQL_ENOMEM, "out of memory");
    if (jget(map, "a", "points: map", JSON_REAL, 1, &v, err))
        return MQL_EDATA;
    m->map_a = jdouble(v);
    if (jget(map, "b", "points: map", JSON_REAL, 1, &v, err))
        return MQL_EDATA;
    m->map_b = jdouble(v);
    if (jget(map, "iso_x", "points: map", JSON_ARRAY, 0, &ix, err) ||
        jget(map, "iso_y", "points: map", JSON_ARRAY, 0, &iy, err))
        return MQL_EDATA;
    size_t nx, ny;
    if (jdoubles(ix, "points: map: iso_x", &m->iso_x, &nx, err) ||
        jdoubles(iy, "points: map: iso_y", &m->iso_y, &ny, err))
        return MQL_EDATA;
    if (nx != ny)
        return mql_err_set(err, MQL_EDATA, "points: map: iso_x and iso_y differ in length");
    m->n_iso = nx;
    m->has_map = 1;
    return MQL_OK;
}

static int rules_from_json(mql_points *m, const json_t *rules, mql_err *err)
{
    size_t n = json_array_size(rules);
    m->rules = calloc(n ? n : 1, sizeof *m->rules);
    if (!m->rules)
        return mql_err_set(err, MQL_ENOMEM, "out of memory");
    for (size_t i = 0; i < n; i++) {
        const json_t *o = json_array_get(rules, i), *f, *op, *val, *grp;
        char where[64];
        snprintf(where, sizeof where, "points: rules[%zu]", i);
        if (!json_is_object(o))
            return mql_err_set(err, MQL_EDATA, "%s must be an object", where);
        long pts, term;
        mql_group g;
        if (jget(o, "feature", where, JSON_STRING, 0, &f, err) ||
            jget(o, "operator", where, JSON_STRING, 0, &op, err) ||
            jget(o, "value", where, JSON_STRING, 0, &val, err) ||
            jlong(o, "points", where, &pts, err) ||
            jget(o, "group", where, JSON_STRING, 0, &grp, err) ||
            jlong(o, "term", where, &term, err))
            return MQL_EDATA;
        if (parse_group(json_string_value(grp), json_string_value(f), &g))
            return mql_err_set(err, MQL_EDATA, "%s: key 'group' must be fit or engagement",
                               where);
        int rc = mql_rule_init(&m->rules[i], json_string_value(f), json_string_value(op),
                               json_string_value(val), pts, g, err);
        if (rc)
            return mql_err_prefix(err, rc, "%s", where);
        m->rules[i].term = term;
        m->n_rules++;
    }
    return MQL_OK;
}

static int bands_from_json(mql_points *m, const json_t *bands, mql_err *err)
{
    size_t n = json_array_size(bands);
    m->bands = calloc(n ? n : 1, sizeof *m->bands);
    if (!m->bands)
        return mql_err_set(err, MQL_ENOMEM, "out of memory");
    for (size_t i = 0; i < n; i++) {
        const json_t *o = json_array_get(bands, i), *nm, *lo, *hi, *plo, *phi;
        char where[64];
        snprintf(where, sizeof where, "points: bands[%zu]", i);
        if (!json_is_object(o))
            return mql_err_set(err, MQL_EDATA, "%s must be an object", where);
        if (jget(o, "name", where, JSON_STRING, 0, &nm, err) ||
            jget(o, "lo", where, JSON_INTEGER, 1, &lo, err) ||
            jget(o, "hi", where, JSON_INTEGER, 1, &hi, err) ||
            jget(o, "p_lo", where, JSON_REAL, 1, &plo, err) ||
            jget(o, "p_hi", where, JSON_REAL, 1, &phi, err))
            return MQL_EDATA;
        mql_band *b = &m->bands[i];
        if (!(b->name = mql_strdup(json_string_value(nm))))
            return mql_err_set(err, MQL_ENOMEM, "out of memory");
        m->n_bands++;
        b->lo = json_is_null(lo) ? LONG_MIN : (long)json_integer_value(lo);
        b->hi = json_is_null(hi) ? LONG_MAX : (long)json_integer_value(hi);
        b->p_lo = jdouble(plo);
        b->p_hi = jdouble(phi);
    }
    return MQL_OK;
}

static int steps_from_json(mql_points *m, const json_t *tp, const json_t *steps, mql_err *err)
{
    size_t n = json_array_size(tp);
    if (n) {
        if (!(m->term_points = malloc(n * sizeof *m->term_points)))
            return mql_err_set(err, MQL_ENOMEM, "out of memory");
        for (size_t i = 0; i < n; i++) {
            const json_t *v = json_array_get(tp, i);
            if (!json_is_integer(v))
                return mql_err_set(err, MQL_EDATA, "points: term_points[%zu] must be an integer",
                                   i);
            m->term_points[i] = (long)json_integer_value(v);
        }
        m->n_terms = n;
    }
    size_t ns = json_array_size(steps);
    m->steps = calloc(ns ? ns : 1, sizeof *m->steps);
    if (!m->steps)
        return mql_err_set(err, MQL_ENOMEM, "out of memory");
    for (size_t i = 0; i < ns; i++) {
        const json_t *o = json_array_get(steps, i), *lo, *rep, *pt;
        char where[64];
        snprintf(where, sizeof where, "points: steps[%zu]", i);
        long term;
        if (!json_is_object(o))
            return mql_err_set(err, MQL_EDATA, "%s must be an object", where);
        if (jlong(o, "term", where, &term, err) ||
            jget(o, "lo", where, JSON_ARRAY, 0, &lo, err) ||
            jget(o, "rep", where, JSON_ARRAY, 0, &rep, err) ||
            jget(o, "points", where, JSON_ARRAY, 0, &pt, err))
            return MQL_EDATA;
        mql_points_step *s = &m->steps[i];
        m->n_steps++;
        size_t n1, n2, n3 = json_array_size(pt);
        if (jdoubles(lo, where, &s->lo, &n1, err) || jdoubles(rep, where, &s->rep, &n2, err))
            return MQL_EDATA;
        if (term < 1 || (n && (size_t)term >= n) || n1 != n2 || n1 != n3 || n1 == 0)
            return mql_err_set(err, MQL_EDATA, "%s: inconsistent term or lengths", where);
        s->term = (size_t)term;
        s->n = n1;
        s->lo[0] = -INFINITY;
        if (!(s->points = malloc(n1 * sizeof *s->points)))
            return mql_err_set(err, MQL_ENOMEM, "out of memory");
        for (size_t k = 0; k < n1; k++) {
            const json_t *v = json_array_get(pt, k);
            if (!json_is_integer(v))
                return mql_err_set(err, MQL_EDATA, "%s: points[%zu] must be an integer", where,
                                   k);
            s->points[k] = (long)json_integer_value(v);
        }
    }
    return MQL_OK;
}

int mql_points_from_json(const json_t *j, mql_points **out, mql_err *err)
{
    *out = NULL;
    if (!json_is_object(j))
        return mql_err_set(err, MQL_EDATA, "points: must be a JSON object");
    mql_points *m = mql_points_new();
    if (!m)
        return mql_err_set(err, MQL_ENOMEM, "out of memory");
    const json_t *map, *pdo, *rules, *bands, *rounding, *tp, *steps, *v;
    int rc = MQL_EDATA;
    if (jlong(j, "threshold", "points", &m->threshold, err) ||
        jget(j, "map", "points", JSON_OBJECT, 1, &map, err) ||
        jget(j, "pdo", "points", JSON_REAL, 1, &pdo, err) ||
        jget(j, "rules", "points", JSON_ARRAY, 0, &rules, err) ||
        jget(j, "bands", "points", JSON_ARRAY, 0, &bands, err) ||
        jget(j, "rounding", "points", JSON_OBJECT, 0, &rounding, err) ||
        jget(j, "term_points", "points", JSON_ARRAY, 0, &tp, err) ||
        jget(j, "steps", "points", JSON_ARRAY, 0, &steps, err))
        goto fail;
    m->pdo = jdouble(pdo);
    static const char *const rk[] = {"auc_exact", "auc_points", "logloss_exact",
                                     "logloss_points"};
    double *rv[] = {&m->auc_exact, &m->auc_points, &m->logloss_exact, &m->logloss_points};
    for (size_t i = 0; i < 4; i++) {
        if (jget(rounding, rk[i], "points: rounding", JSON_REAL, 1, &v, err))
            goto fail;
        *rv[i] = jdouble(v);
    }
    if ((json_is_object(map) && (rc = map_from_json(m, map, err))) ||
        (rc = rules_from_json(m, rules, err)) || (rc = bands_from_json(m, bands, err)) ||
        (rc = steps_from_json(m, tp, steps, err)) || (rc = check_overlaps(m, "points", err)))
        goto fail;
    *out = m;
    return MQL_OK;
fail:
    mql_points_free(m);
    return rc ? rc : MQL_EDATA;
}

/* ==== conversion from a fitted model ========================================================= */

void mql_points_opts_default(mql_points_opts *o)
{
    o->pdo = NAN;
    o->max_points = 100;
    o->threshold = LONG_MIN;
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

/* The sorted non-missing values of a column as runs: distinct values u[0] < ... < u[nd-1]
 * (-0 read as +0), u[j] occurring c[j] times; nv = sum of c. Everything linear_steps needs from
 * the sorted values (order statistics, the values of each step summed in ascending order) can be
 * read off the runs, and a column with few distinct values gives its runs without sorting its
 * rows. */
typedef struct value_runs {
    double *u;
    size_t *c;
    size_t nd, nv;
} value_runs;

static void runs_free(value_runs *r)
{
    free(r->u);
    free(r->c);
    r->u = NULL;
    r->c = NULL;
}

static uint64_t runs_bits(double x)
{
    uint64_t k;
    if (x == 0)
        x = 0.0;
    memcpy(&k, &x, sizeof k);
    return k;
}

/* Runs by counting the values in a hash table of at most `limit` distinct values. Returns 0,
 * 1 when the column has more distinct values (r untouched), -1 when out of memory. */
static int runs_by_hash(const double *x, size_t n, size_t limit, value_runs *r)
{
    /* key and count side by side: one cache line per probe */
    typedef struct slot {
        uint64_t key;
        size_t cnt;
    } slot;
    const uint64_t empty = UINT64_MAX;   /* a NaN pattern: never a key */
    size_t cap = 16;
    int bits = 4;
    while (cap < 2 * limit)
        cap *= 2, bits++;
    slot *tab = malloc(cap * sizeof *tab);
    if (!tab)
        return -1;
    for (size_t i = 0; i < cap; i++)
        tab[i] = (slot){empty, 0};
    size_t nd = 0, nv = 0;
    for (size_t i = 0; i < n; i++) {
        if (isnan(x[i]))
            continue;
        uint64_t k = runs_bits(x[i]);
        size_t h = (size_t)((k * UINT64_C(0x9E3779B97F4A7C15)) >> (64 - bits));
        while (tab[h].key != k && tab[h].key != empty)
            h = (h + 1) & (cap - 1);
        if (tab[h].key == empty) {
            if (nd == limit) {
                free(tab);
                return 1;
            }
            tab[h].key = k;
            nd++;
        }
        tab[h].cnt++;
        nv++;
    }
    double *u = malloc((nd ? nd : 1) * sizeof *u), *uu = malloc((nd ? nd : 1) * sizeof *uu);
    size_t *c = malloc((nd ? nd : 1) * sizeof *c), *cc = malloc((nd ? nd : 1) * sizeof *cc);
    size_t *ord = malloc((nd ? nd : 1) * sizeof *ord);
    int rc = u && uu && c && cc && ord ? 0 : -1;
    if (rc == 0) {
        size_t j = 0;
        for (size_t h = 0; h < cap; h++)
            if (tab[h].key != empty) {
                memcpy(&uu[j], &tab[h].key, sizeof uu[j]);
                cc[j++] = tab[h].cnt;
            }
        rc = mql_order_doubles(uu, nd, ord, NULL);
    }
    if (rc == 0) {
        for (size_t j = 0; j < nd; j++) {
            u[j] = uu[ord[j]];
            c[j] = cc[ord[j]];
        }
        *r = (value_runs){u, c, nd, nv};
        u = NULL;
        c = NULL;
    }
    free(tab), free(u), free(uu), free(c), free(cc), free(ord);
    return rc;
}

/* Runs by sorting the values. Returns 0 or -1 when out of memory. */
static int runs_by_sort(const double *x, size_t n, value_runs *r)
{
    double *v = malloc((n ? n : 1) * sizeof *v);
    if (!v)
        return -1;
    size_t nv = 0, nd = 0;
    for (size_t i = 0; i < n; i++)
        if (!isnan(x[i]))
            v[nv++] = x[i];
    if (mql_sort_doubles(v, nv)) {
        free(v);
        return -1;
    }
    for (size_t i = 0; i < nv; i++)
        nd += i == 0 || v[i] != v[i - 1];
    double *u = malloc((nd ? nd : 1) * sizeof *u);
    size_t *c = malloc((nd ? nd : 1) * sizeof *c);
    if (!u || !c) {
        free(v), free(u), free(c);
        return -1;
    }
    size_t j = 0;
    for (size_t i = 0; i < nv; i++) {
        if (i == 0 || v[i] != v[i - 1]) {
            u[j] = v[i];
            c[j++] = 0;
        }
        c[j - 1]++;
    }
    free(v);
    *r = (value_runs){u, c, nd, nv};
    return 0;
}

/* The value at position i (< nv) of the sorted values. */
static double runs_at(const value_runs *r, size_t i)
{
    size_t j = 0;
    while (i >= r->c[j])
        i -= r->c[j++];
    return r->u[j];
}

/* Builds the steps of a LINEAR term from the training values (see the header). beta_base
 * receives beta * rep_base; contribution k is beta * (rep[k] - rep_base). */
static int linear_steps(const mql_feature *f, const mql_bound_feature *bf, size_t n_rows,
                        mql_points_step *s, mql_err *err)
{
    /* Counting beats sorting when the column repeats its values (integers, short decimals);
     * the table's distinct count only picks the method, the runs are the same either way. */
    value_runs vr = {0};
    int hr = 1;
    if (bf->col->n_distinct <= 4 * (size_t)65536 && bf->col->n_distinct * 4 <= n_rows)
        hr = runs_by_hash(bf->col->num, n_rows, bf->col->n_distinct + 1, &vr);
    if (hr == 1)
        hr = runs_by_sort(bf->col->num, n_rows, &vr);
    if (hr)
        return mql_err_set(err, MQL_ENOMEM, "out of memory");
    size_t nv = vr.nv, nd = vr.nd;
    size_t cap = nd > 6 ? nd : 6;
    s->lo = malloc((cap + 1) * sizeof *s->lo);
    s->rep = malloc((cap + 1) * sizeof *s->rep);
    s->points = calloc(cap + 1, sizeof *s->points);
    if (!s->lo || !s->rep || !s->points) {
        runs_free(&vr);
        return mql_err_set(err, MQL_ENOMEM, "out of memory");
    }
    s->lo[0] = -INFINITY;
    s->n = 1;
    if (nv == 0) {
        s->rep[0] = 0;
        runs_free(&vr);
        return MQL_OK;
    }
    if (f->integer && nd <= 12) {
        for (size_t j = 1; j < nd; j++)
            s->lo[s->n++] = vr.u[j];
    } else {
        /* About 6 quantile steps with the cut rule of design --bins 6: candidate k is
         * v[floor(k n / 6)], a candidate at the minimum moves up to the next distinct value. */
        for (size_t k = 1; k < 6; k++) {
            double c = runs_at(&vr, k * nv / 6);
            if (c <= vr.u[0]) {
                if (nd < 2)
                    continue;
                c = vr.u[1];
            }
            if (c > s->lo[s->n - 1])
                s->lo[s->n++] = c;
        }
    }
    /* representative = mean of the training values in each step: beta * mean is the average
     * exact contribution of the step's leads, the least-squares constant for the step. The
     * values are added one by one in ascending order (the order of the sorted values). */
    size_t j = 0;
    for (size_t k = 0; k < s->n; k++) {
        size_t cnt = 0;
        double sum = 0;
        for (; j < nd && (k + 1 == s->n || vr.u[j] < s->lo[k + 1]); j++) {
            double v = vr.u[j];
            for (size_t t = 0; t < vr.c[j]; t++)
                sum += v;
            cnt += vr.c[j];
        }
        s->rep[k] = cnt ? sum / (double)cnt : s->lo[k];
    }
    runs_free(&vr);
    return MQL_OK;
}

/* The steps of the LINEAR terms into m->steps, shared by up to two threads: each takes the next
 * term not yet taken (columns differ in cost: a decimal column takes several times longer than
 * a small integer one, so a fixed split would leave one thread idle). */
typedef struct steps_shared {
    const mql_design *d;
    const mql_design_binding *b;
    mql_points *m;
    const size_t *feature;   /* n_steps: the design feature of each step */
    pthread_mutex_t lock;
    size_t next;             /* the next step to take (under lock) */
} steps_shared;

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
        size_t k = sh->next++;
        pthread_mutex_unlock(&sh->lock);
        if (k >= sh->m->n_steps)
            break;
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

/* Appends the rule for values in [lo, hi) (lo = -inf: below hi; hi = +inf: lo and above).
 * Integer data with integer bounds read as "between 3..5" / "= 3" / "<= 2"; otherwise
 * "between a..b-" with b- the largest double below b, so the rule is exact. */
static int add_range_rule(mql_points *m, const mql_feature *f, double lo, double hi, long pts,
                          long term, mql_err *err)
{
    char a[40], b[48];
    int ints = f->integer && (isinf(lo) || is_integral(lo)) && (isinf(hi) || is_integral(hi));
    if (isinf(lo) && isinf(hi))
        return mql_err_set(err, MQL_EDATA, "feature '%s': a step without bounds", f->name);
    if (isinf(hi)) {
        fmt_num(lo, a, sizeof a);
        return add_rule(m, f->name, MQL_OP_GE, a, pts, f->group, term, err);
    }
    if (isinf(lo)) {
        fmt_num(ints ? hi - 1 : hi, a, sizeof a);
        return add_rule(m, f->name, ints ? MQL_OP_LE : MQL_OP_LT, a, pts, f->group, term, err);
    }
    double top = ints ? hi - 1 : nextafter(hi, -INFINITY);
    fmt_num(lo, a, sizeof a);
    if (top == lo)
        return add_rule(m, f->name, MQL_OP_EQ, a, pts, f->group, term, err);
    size_t n = strlen(a);
    snprintf(b, sizeof b, "%s..", a);
    fmt_num(top, b + n + 2, sizeof b - n - 2);
    return add_rule(m, f->name, MQL_OP_BETWEEN, b, pts, f->group, term, err);
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
    size_t r_begin, r_end;
    long *score;
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
            long s = 0;
            double e = 0;
            for (size_t j = 1; j < p; j++) {
                if (beta)
                    e += beta_at(beta, j) * xr[j];
                if (step_of_term[j] >= 0) {
                    const mql_feature *f = &d->features[d->term_feature[j]];
                    size_t miss = f->term0 + f->n_terms - 1;
                    if (!(f->has_missing && xr[miss] != 0)) {
                        const mql_points_step *st = &m->steps[step_of_term[j]];
                        s += st->points[step_of(st, xr[j])];
                    }
                } else if (xr[j] != 0 && j < m->n_terms) {
                    s += m->term_points[j];
                }
            }
            score[r0 + r] = s;
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
static int internal_scores(const mql_design *d, const mql_design_binding *b, const mql_points *m,
                           const double *beta, long *score, double *eta, mql_err *err)
{
    size_t p = d->p, n = b->n_rows;
    long *step_of_term = malloc(p * sizeof *step_of_term);
    if (!step_of_term)
        return mql_err_set(err, MQL_ENOMEM, "out of memory");
    for (size_t j = 0; j < p; j++)
        step_of_term[j] = -1;
    for (size_t i = 0; i < m->n_steps; i++)
        if (m->steps[i].term < p)
            step_of_term[m->steps[i].term] = (long)i;
    int two = n >= 100000;
    internal_job jobs[2];
    for (int t = 0; t < 2; t++)
        jobs[t] = (internal_job){d, b, m, beta, step_of_term, t == 0 ? 0 : n / 2,
                                 t == 0 && two ? n / 2 : n, score, eta, MQL_OK, {{0}}};
    pthread_t th;
    int threaded = two && pthread_create(&th, NULL, internal_range, &jobs[1]) == 0;
    if (!threaded)
        jobs[0].r_end = n;
    internal_range(&jobs[0]);
    if (threaded)
        pthread_join(th, NULL);
    free(step_of_term);
    int rc = jobs[0].rc ? jobs[0].rc : threaded ? jobs[1].rc : MQL_OK;
    if (rc)
        mql_err_set(err, rc, "%s", jobs[0].rc ? jobs[0].err.msg : jobs[1].err.msg);
    return rc;
}

/* The threshold rule of the header: the achievable score nearest logit(2 base) on the map. */
static long choose_threshold(const mql_points *m, double base)
{
    long smin, smax;
    mql_points_range(m, &smin, &smax);
    double target = 2 * base;
    if (!(target > 0))
        return smin;
    if (target >= 1)
        return smax;
    double s = (log(target / (1 - target)) - m->map_a) / m->map_b;
    double best = INFINITY;
    long pick = smin;
    long c = (long)floor(s);
    for (long k = c; k <= c + 1; k++) {
        long kk = k < smin ? smin : k > smax ? smax : k;
        double dev = fabs(mql_points_prob(m, (double)kk) - target);
        if (dev < best) {
            best = dev;
            pick = kk;
        }
    }
    return pick;
}

typedef struct cost_job {
    const mql_points *m;
    const double *eta;
    const long *score;
    const unsigned char *y;
    size_t n;
    double *pe, *sd, *ps;    /* n each: logistic(eta), the score as a double, its probability */
    int auc_exact_rc;
    double auc_exact;
} cost_job;

/* The AUC of eta: the heaviest piece (a full sort of continuous values), on a thread of its own
 * while the caller does the rest. */
static void *cost_auc_exact(void *arg)
{
    cost_job *j = arg;
    mql_err e2;
    j->auc_exact_rc = mql_auc(j->eta, j->y, NULL, j->n, &j->auc_exact, &e2);
    return NULL;
}

/* The rounding cost: AUC and log loss of the exact model (eta, logistic(eta)) and of the
 * integer points (the score, and its probability by the model's map). */
static int rounding_cost(mql_points *m, const double *eta, const long *score,
                         const unsigned char *y, size_t n, mql_err *err)
{
    size_t k = n ? n : 1;
    double *buf = malloc(3 * k * sizeof *buf);
    if (!buf)
        return mql_err_set(err, MQL_ENOMEM, "out of memory");
    cost_job j = {m, eta, score, y, n, buf, buf + k, buf + 2 * k, 0, NAN};
    pthread_t th;
    int threaded = n >= 100000 && pthread_create(&th, NULL, cost_auc_exact, &j) == 0;
    for (size_t i = 0; i < n; i++) {
        j.pe[i] = logistic(eta[i]);
        j.sd[i] = (double)score[i];
        j.ps[i] = mql_points_prob(m, j.sd[i]);
    }
    mql_err e2;
    double auc_points = NAN, ll_exact = NAN, ll_points = NAN;
    int auc_rc = mql_auc(j.sd, y, NULL, n, &auc_points, &e2);
    int ll_rc = mql_logloss(j.pe, y, NULL, n, &ll_exact, &e2) ||
                mql_logloss(j.ps, y, NULL, n, &ll_points, &e2);
    if (threaded)
        pthread_join(th, NULL);
    else
        cost_auc_exact(&j);
    /* A sample with one class has no AUC: the costs stay NAN (unknown) rather than failing. */
    m->auc_exact = j.auc_exact;
    m->auc_points = auc_points;
    if (j.auc_exact_rc || auc_rc)
        m->auc_exact = m->auc_points = NAN;
    m->logloss_exact = ll_exact;
    m->logloss_points = ll_points;
    if (ll_rc)
        m->logloss_exact = m->logloss_points = NAN;
    free(buf);
    return MQL_OK;
}

/* Exact contributions (log-odds relative to the baseline) of each rule-to-be, per term:
 * contrib[j] for indicator terms; LINEAR terms through their steps. */
int mql_points_from_fit_data(const mql_design *d, const double *beta,
                             const mql_design_binding *b, const unsigned char *y,
                             const mql_points_opts *o, mql_points **out, mql_err *err)
{
    *out = NULL;
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
    long *score = NULL;
    double *eta = NULL;
    int rc = MQL_OK;
    if (!m || !contrib || !step_idx || !(m->term_points = calloc(p, sizeof *m->term_points))) {
        rc = mql_err_set(err, MQL_ENOMEM, "out of memory");
        goto done;
    }
    m->n_terms = p;
    double a = beta_at(beta, 0);
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
    if (n_lin) {
        if (!(m->steps = calloc(n_lin, sizeof *m->steps))) {
            rc = mql_err_set(err, MQL_ENOMEM, "out of memory");
            goto done;
        }
        m->n_steps = n_lin;
        size_t *feat = malloc(n_lin * sizeof *feat);
        if (!feat) {
            rc = mql_err_set(err, MQL_ENOMEM, "out of memory");
            goto done;
        }
        for (size_t i = 0, k = 0; i < d->n_features; i++)
            if (d->features[i].enc == MQL_ENC_LINEAR)
                feat[k++] = i;
        steps_shared sh = {d, b, m, feat, PTHREAD_MUTEX_INITIALIZER, 0};
        steps_job jobs[2] = {{&sh, MQL_OK, 0, {{0}}}, {&sh, MQL_OK, 0, {{0}}}};
        pthread_t th;
        int threaded = n_lin > 1 && b->n_rows >= 100000 &&
                       pthread_create(&th, NULL, steps_part, &jobs[1]) == 0;
        steps_part(&jobs[0]);
        if (threaded)
            pthread_join(th, NULL);
        pthread_mutex_destroy(&sh.lock);
        free(feat);
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
        double span = best > 0 ? best : maxabs;
        factor = span > 0 ? o->max_points / span : 20 / log(2.0);
    }
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
            int is_missing = f->has_missing && t == f->n_terms - 1;
            if (step_idx[j] >= 0) {
                mql_points_step *s = &m->steps[step_idx[j]];
                double bl = beta_at(beta, j), rb = s->rep[step_of(s, 0.0)];
                for (size_t k = 0; k < s->n && rc == MQL_OK; k++) {
                    s->points[k] = lround(bl * factor * (s->rep[k] - rb));
                    if (s->points[k] != 0)
                        rc = add_range_rule(m, f, s->lo[k], k + 1 < s->n ? s->lo[k + 1] : INFINITY,
                                            s->points[k], term, err);
                }
                continue;
            }
            long pts = lround(contrib[j] * factor);
            m->term_points[j] = pts;
            if (pts == 0)
                continue;
            if (is_missing) {
                rc = add_rule(m, f->name, MQL_OP_MISSING, "", pts, f->group, term, err);
            } else if (f->enc == MQL_ENC_BOOLEAN) {
                rc = add_rule(m, f->name, MQL_OP_EQ, f->true_label ? f->true_label : "True", pts,
                              f->group, term, err);
            } else if (f->enc == MQL_ENC_BINNED) {
                rc = add_range_rule(m, f, f->cuts[t], t + 1 < f->n_cuts ? f->cuts[t + 1] : INFINITY,
                                    pts, term, err);
            } else if (t + 1 < f->n_levels) {
                rc = add_rule(m, f->name, MQL_OP_EQ, f->levels[t + 1], pts, f->group, term, err);
            } else {
                /* (other): the pooled level names */
                int bar = 0;
                size_t len = 1;
                for (size_t k = 0; k < f->n_pooled; k++) {
                    bar |= strchr(f->pooled[k], '|') != NULL;
                    len += strlen(f->pooled[k]) + 1;
                }
                if (bar || f->n_pooled == 1) {
                    for (size_t k = 0; k < f->n_pooled && rc == MQL_OK; k++)
                        rc = add_rule(m, f->name, MQL_OP_EQ, f->pooled[k], pts, f->group, term,
                                      err);
                } else {
                    char *v = malloc(len);
                    if (!v) {
                        rc = mql_err_set(err, MQL_ENOMEM, "out of memory");
                        break;
                    }
                    v[0] = '\0';
                    for (size_t k = 0; k < f->n_pooled; k++) {
                        if (k)
                            strcat(v, "|");
                        strcat(v, f->pooled[k]);
                    }
                    rc = add_rule(m, f->name, MQL_OP_IN, v, pts, f->group, term, err);
                    free(v);
                }
            }
        }
    }
    if (rc)
        goto done;
    /* 4. threshold, rounding cost, bands */
    double base_rate = NAN;
    if (b) {
        size_t n = b->n_rows;
        score = malloc((n ? n : 1) * sizeof *score);
        eta = malloc((n ? n : 1) * sizeof *eta);
        if (!score || !eta) {
            rc = mql_err_set(err, MQL_ENOMEM, "out of memory");
            goto done;
        }
        if ((rc = internal_scores(d, b, m, beta, score, eta, err)))
            goto done;
        double sum = 0;
        for (size_t r = 0; r < n; r++)
            sum += y ? (y[r] != 0) : logistic(eta[r]);
        base_rate = n ? sum / (double)n : NAN;
        if (y && (rc = rounding_cost(m, eta, score, y, n, err)))
            goto done;
    }
    m->threshold = o->threshold != LONG_MIN ? o->threshold
                   : isnan(base_rate)      ? 0
                                           : choose_threshold(m, base_rate);
    rc = mql_points_make_bands(m, err);
done:
    free(contrib);
    free(step_idx);
    free(score);
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

/* ==== self-check ============================================================================= */

int mql_points_self_check(const mql_design *d, const mql_design_binding *b, const mql_points *m,
                          mql_err *err)
{
    size_t n = b->n_rows;
    long *inside = malloc((n ? n : 1) * sizeof *inside);
    long *outside = malloc((n ? n : 1) * sizeof *outside);
    char *buf = NULL;
    size_t len = 0;
    FILE *mem = NULL;
    mql_points *back = NULL;
    mql_scorer *sc = NULL;
    int rc = MQL_OK;
    if (!inside || !outside) {
        rc = mql_err_set(err, MQL_ENOMEM, "out of memory");
        goto done;
    }
    if ((rc = internal_scores(d, b, m, NULL, inside, NULL, err)))
        goto done;
    if (!(mem = open_memstream(&buf, &len))) {
        rc = mql_err_set(err, MQL_ENOMEM, "self-check: cannot open a memory stream");
        goto done;
    }
    rc = mql_points_write_csv(m, mem);
    if (fclose(mem) != 0 && rc == MQL_OK)
        rc = MQL_EIO;
    mem = NULL;
    if (rc) {
        rc = mql_err_set(err, MQL_ENOMEM, "self-check: writing the rules to memory failed");
        goto done;
    }
    if (!(mem = fmemopen(buf, len ? len : 1, "r"))) {
        rc = mql_err_set(err, MQL_ENOMEM, "self-check: cannot open a memory stream");
        goto done;
    }
    if ((rc = mql_points_read_stream(mem, "rules.csv", &back, err)) ||
        (rc = mql_scorer_bind(back, b->table, &sc, err)) ||
        (rc = mql_scorer_score_all(sc, outside, NULL, NULL, err))) {
        mql_err_prefix(err, rc, "self-check failed: the exported rules do not read back");
        goto done;
    }
    for (size_t r = 0; r < n; r++)
        if (inside[r] != outside[r]) {
            rc = mql_err_set(err, MQL_EDATA, "self-check failed: lead on line %zu scores %ld by "
                             "the exported rules and %ld inside the model", r + 2, outside[r],
                             inside[r]);
            break;
        }
done:
    if (mem)
        fclose(mem);
    free(buf);
    mql_scorer_free(sc);
    mql_points_free(back);
    free(inside);
    free(outside);
    return rc;
}
