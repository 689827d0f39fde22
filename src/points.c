/* points.c: the points model object: its rules, threshold, score -> probability map and bands,
 * overlap checking across its rules, and its JSON form inside the model file. */
#include "mqlcal/points.h"

#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "mqlcal/metrics.h"

/* ==== the points model ======================================================================= */

mql_points *mql_points_new(void)
{
    mql_points *m = calloc(1, sizeof *m);
    if (!m)
        return NULL;
    m->pdo = NAN;
    m->cap_fit = m->cap_engagement = m->cap_total = MQL_NO_CAP;
    m->auc_capped = m->logloss_capped = m->share_capped = NAN;
    m->map_a = m->map_b = NAN;
    m->auc_exact = m->auc_points = m->logloss_exact = m->logloss_points = NAN;
    m->strength = NAN;
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
    free(m->threshold_rule);
    free(m->iso_x);
    free(m->iso_y);
    bands_free(m);
    free(m->term_points);
    for (size_t i = 0; m->steps && i < m->n_steps; i++) {
        free(m->steps[i].lo);
        free(m->steps[i].rep);
        free(m->steps[i].points);
        free(m->steps[i].top);
        free(m->steps[i].vlo);
        free(m->steps[i].vhi);
    }
    free(m->steps);
    mql_na_clear(&m->na);
    for (size_t i = 0; m->decays && i < m->n_decays; i++)
        free(m->decays[i].feature);
    free(m->decays);
    free(m);
}

const char *const *mql_points_na(const mql_points *m)
{
    return m->na.v ? (const char *const *)m->na.v : NULL;
}

int mql_points_set_na(mql_points *m, const char *const *na, size_t n, mql_err *err)
{
    mql_na_list l = {0};
    if (na && !mql_na_is_default(na, n) && mql_na_copy(na, n, &l))
        return mql_err_set(err, MQL_ENOMEM, "out of memory");
    mql_na_clear(&m->na);
    m->na = l;
    return MQL_OK;
}

int mql_points_set_decay(mql_points *m, const char *feature, const mql_decay *d, double per_event,
                         mql_err *err)
{
    for (size_t i = 0; i < m->n_decays; i++)
        if (strcmp(m->decays[i].feature, feature) == 0) {
            m->decays[i].decay = *d;
            m->decays[i].per_event = per_event;
            return MQL_OK;
        }
    mql_feature_decay *nd = realloc(m->decays, (m->n_decays + 1) * sizeof *nd);
    if (!nd)
        return mql_err_set(err, MQL_ENOMEM, "out of memory");
    m->decays = nd;
    if (!(nd[m->n_decays].feature = mql_strdup(feature)))
        return mql_err_set(err, MQL_ENOMEM, "out of memory");
    nd[m->n_decays].decay = *d;
    nd[m->n_decays].per_event = per_event;
    m->n_decays++;
    return MQL_OK;
}

const mql_feature_decay *mql_points_decay_of(const mql_points *m, const char *feature)
{
    for (size_t i = 0; m && i < m->n_decays; i++)
        if (strcmp(m->decays[i].feature, feature) == 0)
            return &m->decays[i];
    return NULL;
}

int mql_points_add_rule(mql_points *m, const mql_rule *r, mql_err *err)
{
    mql_rule *nr = realloc(m->rules, (m->n_rules + 1) * sizeof *nr);
    if (!nr)
        return mql_err_set(err, MQL_ENOMEM, "out of memory");
    m->rules = nr;
    int rc = mql_rule_copy(&m->rules[m->n_rules], r, mql_points_na(m), m->na.n, err);
    if (rc)
        return rc;
    m->n_rules++;
    return MQL_OK;
}

int mql_points_has_caps(const mql_points *m)
{
    return m->cap_fit != MQL_NO_CAP || m->cap_engagement != MQL_NO_CAP ||
           m->cap_total != MQL_NO_CAP;
}

int mql_points_is_v2(const mql_points *m)
{
    if (mql_points_has_caps(m))
        return 1;
    for (size_t i = 0; i < m->n_rules; i++)
        if (m->rules[i].n_cond > 1)
            return 1;
    return 0;
}

unsigned mql_points_apply_caps(const mql_points *m, long fit, long engagement, long *fit_out,
                               long *engagement_out, long *total)
{
    unsigned bound = 0;
    if (fit > m->cap_fit)
        fit = m->cap_fit, bound |= MQL_CAP_FIT;
    if (engagement > m->cap_engagement)
        engagement = m->cap_engagement, bound |= MQL_CAP_ENGAGEMENT;
    long t = fit + engagement;
    if (t > m->cap_total)
        t = m->cap_total, bound |= MQL_CAP_TOTAL;
    if (fit_out)
        *fit_out = fit;
    if (engagement_out)
        *engagement_out = engagement;
    if (total)
        *total = t;
    return bound;
}


double mql_points_prob(const mql_points *m, double score)
{
    if (!m->has_map || isnan(score))
        return NAN;
    if (m->map_method && strcmp(m->map_method, "isotonic") == 0 && m->n_iso > 0) {
        mql_isotonic iso = {m->n_iso, m->iso_x, m->iso_y};
        return mql_isotonic_predict(&iso, score);
    }
    return mql_logistic(m->map_a + m->map_b * score);
}

void mql_points_range(const mql_points *m, long *min_score, long *max_score)
{
    long lo[2] = {0, 0}, hi[2] = {0, 0};   /* by group: fit, engagement */
    for (size_t i = 0; i < m->n_rules; i++) {
        int first = 1;
        for (size_t k = 0; k < i && first; k++)
            if (mql_rules_same_features(&m->rules[k], &m->rules[i]))
                first = 0;
        if (!first)
            continue;
        long flo[2] = {0, 0}, fhi[2] = {0, 0};
        for (size_t k = i; k < m->n_rules; k++) {
            if (!mql_rules_same_features(&m->rules[k], &m->rules[i]))
                continue;
            long p = m->rules[k].points;
            int g = m->rules[k].group == MQL_GROUP_ENGAGEMENT;
            flo[g] = p < flo[g] ? p : flo[g];
            fhi[g] = p > fhi[g] ? p : fhi[g];
        }
        for (int g = 0; g < 2; g++)
            lo[g] += flo[g], hi[g] += fhi[g];
    }
    mql_points_apply_caps(m, lo[0], lo[1], NULL, NULL, min_score);
    mql_points_apply_caps(m, hi[0], hi[1], NULL, NULL, max_score);
}

int mql_points_make_bands(mql_points *m, mql_err *err)
{
    bands_free(m);
    long t = m->threshold, w;
    int logistic_map = m->has_map && !(m->map_method && strcmp(m->map_method, "isotonic") == 0);
    if (logistic_map && m->map_b > 0 && isfinite(m->map_b) && log(2.0) / m->map_b < 1e9)
        w = lround(log(2.0) / m->map_b);
    else
        w = lround(fmin(fabs((double)t), 4e9) / 4);
    if (w < 1)
        w = 1;
    long smin, smax;
    mql_points_range(m, &smin, &smax);
    /* Inside the score range: A starts at or below the best score, D ends at or above the worst,
     * narrowing the band beside the threshold when a full doubling does not fit. */
    long wa = w, wc = w;
    if (t <= smax && smax - t < w)
        wa = (smax - t + 2) / 2;
    if (t > smin && t - smin <= w)
        wc = (t - smin) / 2;
    wa = wa < 1 ? 1 : wa;
    wc = wc < 1 ? 1 : wc;
    m->bands = calloc(4, sizeof *m->bands);
    if (!m->bands)
        return mql_err_set(err, MQL_ENOMEM, "out of memory");
    static const char *const names[] = {"A", "B", "C", "D"};
    long lo[4] = {t + wa, t, t - wc, LONG_MIN}, hi[4] = {LONG_MAX, t + wa - 1, t - 1, t - wc - 1};
    for (size_t i = 0; i < 4; i++) {
        mql_band *b = &m->bands[i];
        if (!(b->name = mql_strdup(names[i]))) {
            m->n_bands = i;
            bands_free(m);
            return mql_err_set(err, MQL_ENOMEM, "out of memory");
        }
        b->lo = lo[i];
        b->hi = hi[i];
        /* The probabilities at the band's ends within the score range, so they ascend. */
        long plo = lo[i] < smin ? smin : lo[i] > smax ? smax : lo[i];
        long phi = hi[i] > smax ? smax : hi[i] < smin ? smin : hi[i];
        b->p_lo = mql_points_prob(m, (double)plo);
        b->p_hi = mql_points_prob(m, (double)(phi < plo ? plo : phi));
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

/* Rejects two rules with the same feature set that one lead could both match; names both lines
 * (or rule numbers for models not read from a file). */
int mql_points_check_overlaps(const mql_points *m, const char *name, mql_err *err)
{
    for (size_t i = 0; i < m->n_rules; i++) {
        for (size_t k = 0; k < i; k++) {
            const mql_rule *a = &m->rules[k], *b = &m->rules[i];
            char w[512], ta[512], tb[512];
            if (!mql_rules_overlap(a, b, w, sizeof w))
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
    if (m->na.v) {      /* only when not the default list, so default models stay as they were */
        json_t *na = json_array();
        bad |= !na;
        for (size_t i = 0; na && i < m->na.n; i++)
            bad |= json_array_append_new(na, json_string(m->na.v[i])) != 0;
        bad |= json_object_set_new(j, "na", na) != 0;
    }
    for (size_t i = 0; i < m->n_rules; i++) {
        const mql_rule *r = &m->rules[i];
        const mql_cond *c0 = &r->cond[0];
        json_t *o = json_pack("{s:s, s:s, s:s, s:I, s:s, s:I}", "feature", c0->feature,
                              "operator", mql_op_name(c0->op), "value", c0->value, "points",
                              (json_int_t)r->points, "group",
                              r->group == MQL_GROUP_ENGAGEMENT ? "engagement" : "fit", "term",
                              (json_int_t)r->term);
        /* compound rules: the further conditions under "and", the name under "name" (absent
         * for one-condition rules, so version 1 models are written as before) */
        if (o && r->n_cond > 1) {
            json_t *and = json_array();
            bad |= !and;
            for (size_t k = 1; and && k < r->n_cond; k++) {
                const mql_cond *c = &r->cond[k];
                json_t *co = json_pack("{s:s, s:s, s:s}", "feature", c->feature, "operator",
                                       mql_op_name(c->op), "value", c->value);
                bad |= !co || json_array_append_new(and, co) != 0;
            }
            bad |= json_object_set_new(o, "and", and) != 0;
        }
        if (o && r->name)
            bad |= json_object_set_new(o, "name", json_string(r->name)) != 0;
        bad |= !o || json_array_append_new(rules, o) != 0;
    }
    bad |= json_object_set_new(j, "rules", rules) != 0;
    if (mql_points_has_caps(m)) {
        json_t *caps = json_pack("{s:o, s:o, s:o}", "fit", jlong_or_null(m->cap_fit, MQL_NO_CAP),
                                 "engagement", jlong_or_null(m->cap_engagement, MQL_NO_CAP),
                                 "total", jlong_or_null(m->cap_total, MQL_NO_CAP));
        bad |= !caps || json_object_set_new(j, "caps", caps) != 0;
        json_t *cc = json_pack("{s:o, s:o, s:o}", "auc_capped", jnum(m->auc_capped),
                               "logloss_capped", jnum(m->logloss_capped), "share_capped",
                               jnum(m->share_capped));
        bad |= !cc || json_object_set_new(j, "cap_cost", cc) != 0;
    }
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
    if (m->n_decays) {
        json_t *dec = json_array();
        bad |= !dec;
        for (size_t i = 0; dec && i < m->n_decays; i++) {
            char spec[64];
            json_t *o = json_object();
            bad |= !o || json_object_set_new(o, "feature", json_string(m->decays[i].feature)) ||
                   json_object_set_new(o, "decay", json_string(mql_decay_spec(
                                                       &m->decays[i].decay, spec, sizeof spec))) ||
                   json_object_set_new(o, "per_event", jnum(m->decays[i].per_event)) ||
                   json_array_append_new(dec, o);
        }
        bad |= json_object_set_new(j, "decays", dec) != 0;
    }
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

/* The optional "na" array: the training file's placeholder spellings. */
static int na_from_json(mql_points *m, const json_t *na, mql_err *err)
{
    if (!json_is_array(na))
        return mql_err_set(err, MQL_EDATA, "points: key 'na' must be an array of strings");
    size_t n = json_array_size(na);
    const char **v = calloc(n ? n : 1, sizeof *v);
    if (!v)
        return mql_err_set(err, MQL_ENOMEM, "out of memory");
    for (size_t i = 0; i < n; i++)
        if (!(v[i] = json_string_value(json_array_get(na, i)))) {
            free(v);
            return mql_err_set(err, MQL_EDATA, "points: na[%zu] must be a string", i);
        }
    int rc = mql_points_set_na(m, v, n, err);
    free(v);
    return rc;
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
        if (mql_group_parse(json_string_value(grp), json_string_value(f), &g))
            return mql_err_set(err, MQL_EDATA, "%s: key 'group' must be fit or engagement",
                               where);
        int rc = mql_rule_init_na(&m->rules[i], json_string_value(f), json_string_value(op),
                                  json_string_value(val), pts, g, mql_points_na(m), m->na.n, err);
        if (rc)
            return mql_err_prefix(err, rc, "%s", where);
        m->rules[i].term = term;
        m->n_rules++;
        const json_t *and = json_object_get(o, "and"), *nm = json_object_get(o, "name");
        if (and && !json_is_array(and))
            return mql_err_set(err, MQL_EDATA, "%s: key 'and' must be an array", where);
        for (size_t k = 0; and && k < json_array_size(and); k++) {
            const json_t *c = json_array_get(and, k);
            char cw[96];
            snprintf(cw, sizeof cw, "%s: and[%zu]", where, k);
            if (!json_is_object(c))
                return mql_err_set(err, MQL_EDATA, "%s must be an object", cw);
            if (jget(c, "feature", cw, JSON_STRING, 0, &f, err) ||
                jget(c, "operator", cw, JSON_STRING, 0, &op, err) ||
                jget(c, "value", cw, JSON_STRING, 0, &val, err))
                return MQL_EDATA;
            if ((rc = mql_rule_add_cond(&m->rules[i], json_string_value(f), json_string_value(op),
                                        json_string_value(val), err)))
                return mql_err_prefix(err, rc, "%s", cw);
        }
        if (nm && !json_is_string(nm))
            return mql_err_set(err, MQL_EDATA, "%s: key 'name' must be a string", where);
        if (nm && (rc = mql_rule_set_name(&m->rules[i], json_string_value(nm), err)))
            return rc;
    }
    return MQL_OK;
}

/* The optional "caps" and "cap_cost" objects (models with caps). */
static int caps_from_json(mql_points *m, const json_t *j, mql_err *err)
{
    const json_t *caps = json_object_get(j, "caps"), *cc = json_object_get(j, "cap_cost"), *v;
    if (!caps)
        return MQL_OK;
    if (!json_is_object(caps))
        return mql_err_set(err, MQL_EDATA, "points: key 'caps' must be an object");
    static const char *const ck[] = {"fit", "engagement", "total"};
    long *cv[] = {&m->cap_fit, &m->cap_engagement, &m->cap_total};
    for (size_t i = 0; i < 3; i++) {
        if (jget(caps, ck[i], "points: caps", JSON_INTEGER, 1, &v, err))
            return MQL_EDATA;
        if (!json_is_null(v) && jlong(caps, ck[i], "points: caps", cv[i], err))
            return MQL_EDATA;
    }
    if (cc && !json_is_object(cc))
        return mql_err_set(err, MQL_EDATA, "points: key 'cap_cost' must be an object");
    static const char *const kk[] = {"auc_capped", "logloss_capped", "share_capped"};
    double *kv[] = {&m->auc_capped, &m->logloss_capped, &m->share_capped};
    for (size_t i = 0; cc && i < 3; i++) {
        if (jget(cc, kk[i], "points: cap_cost", JSON_REAL, 1, &v, err))
            return MQL_EDATA;
        *kv[i] = jdouble(v);
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

/* "decays" (optional): [{"feature", "decay", "per_event"}]. */
static int decays_from_json(mql_points *m, const json_t *dec, mql_err *err)
{
    if (!dec || json_is_null(dec))
        return MQL_OK;
    if (!json_is_array(dec))
        return mql_err_set(err, MQL_EDATA, "points: key 'decays' must be an array");
    for (size_t i = 0; i < json_array_size(dec); i++) {
        const json_t *o = json_array_get(dec, i), *f, *d, *pe;
        char where[64];
        snprintf(where, sizeof where, "points: decays[%zu]", i);
        if (!json_is_object(o))
            return mql_err_set(err, MQL_EDATA, "%s must be an object", where);
        if (jget(o, "feature", where, JSON_STRING, 0, &f, err) ||
            jget(o, "decay", where, JSON_STRING, 0, &d, err) ||
            jget(o, "per_event", where, JSON_REAL, 1, &pe, err))
            return MQL_EDATA;
        mql_decay dc;
        if (mql_decay_parse(json_string_value(d), &dc, err))
            return mql_err_prefix(err, MQL_EDATA, "%s", where);
        int rc = mql_points_set_decay(m, json_string_value(f), &dc, jdouble(pe), err);
        if (rc)
            return rc;
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
    if ((v = json_object_get(j, "na")) && (rc = na_from_json(m, v, err)))
        goto fail;
    rc = MQL_EDATA;
    static const char *const rk[] = {"auc_exact", "auc_points", "logloss_exact",
                                     "logloss_points"};
    double *rv[] = {&m->auc_exact, &m->auc_points, &m->logloss_exact, &m->logloss_points};
    for (size_t i = 0; i < 4; i++) {
        if (jget(rounding, rk[i], "points: rounding", JSON_REAL, 1, &v, err))
            goto fail;
        *rv[i] = jdouble(v);
    }
    if ((json_is_object(map) && (rc = map_from_json(m, map, err))) ||
        (rc = rules_from_json(m, rules, err)) || (rc = caps_from_json(m, j, err)) ||
        (rc = bands_from_json(m, bands, err)) ||
        (rc = steps_from_json(m, tp, steps, err)) ||
        (rc = mql_points_check_overlaps(m, "points", err)) ||
        (rc = decays_from_json(m, json_object_get(j, "decays"), err)))
        goto fail;
    *out = m;
    return MQL_OK;
fail:
    mql_points_free(m);
    return rc ? rc : MQL_EDATA;
}

