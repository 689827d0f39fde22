/* model_io.c: the model file (JSON, format "mqlcal-model" version 1) written and read with
 * jansson: fixed key order, 17 significant digits so every double reads back exactly, NAN as
 * null; reading checks the format, the version and every key's presence and type. */
#include "mqlcal/model.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "mqlcal/rules_csv.h"

/* ==== writing ================================================================================ */

/* json_real for finite values, null otherwise (JSON has no NAN or infinity). */
static json_t *jnum(double v)
{
    return isfinite(v) ? json_real(v) : json_null();
}

static json_t *jstr(const char *s)
{
    return s ? json_string(s) : json_null();
}

/* Sets key to v (which is consumed); records an allocation failure in *fail. */
static void put(json_t *o, const char *key, json_t *v, int *fail)
{
    if (!v || json_object_set_new(o, key, v))
        *fail = 1;
}

static void push(json_t *a, json_t *v, int *fail)
{
    if (!v || json_array_append_new(a, v))
        *fail = 1;
}

static json_t *str_array(char *const *v, size_t n, int *fail)
{
    json_t *a = json_array();
    for (size_t k = 0; a && k < n; k++)
        push(a, jstr(v[k]), fail);
    return a;
}

static json_t *count_array(const size_t *v, size_t n, int *fail)
{
    if (!v)
        return json_null();
    json_t *a = json_array();
    for (size_t k = 0; a && k < n; k++)
        push(a, json_integer((json_int_t)v[k]), fail);
    return a;
}

static const char *enc_name(mql_encoding e)
{
    switch (e) {
    case MQL_ENC_CATEGORICAL: return "categorical";
    case MQL_ENC_BOOLEAN: return "boolean";
    case MQL_ENC_LINEAR: return "linear";
    case MQL_ENC_BINNED: return "binned";
    }
    return "?";
}

static const char *state_name(mql_glm_state s)
{
    switch (s) {
    case MQL_GLM_CONVERGED: return "converged";
    case MQL_GLM_NOT_CONVERGED: return "not_converged";
    case MQL_GLM_SEPARATED: return "separated";
    }
    return "?";
}

static json_t *training_json(const mql_training *t, int *fail)
{
    char hash[24];
    snprintf(hash, sizeof hash, "%016" PRIx64, t->hash);
    json_t *o = json_object();
    put(o, "file", jstr(t->file), fail);
    put(o, "rows", json_integer((json_int_t)t->rows), fail);
    put(o, "bytes", json_integer((json_int_t)t->bytes), fail);
    put(o, "xxh64", json_string(hash), fail);
    put(o, "date_column", jstr(t->date_column), fail);
    put(o, "date_min", jstr(t->date_min), fail);
    put(o, "date_max", jstr(t->date_max), fail);
    put(o, "outcome", jstr(t->outcome), fail);
    put(o, "sql_column", jstr(t->sql_column), fail);
    put(o, "acv_column", jstr(t->acv_column), fail);
    put(o, "weight_column", jstr(t->weight_column), fail);
    put(o, "events", jnum(t->events), fail);
    return o;
}

static json_t *feature_json(const mql_feature *f, int *fail)
{
    json_t *o = json_object();
    put(o, "name", jstr(f->name), fail);
    put(o, "type", json_string(mql_coltype_name(f->type)), fail);
    put(o, "encoding", json_string(enc_name(f->enc)), fail);
    put(o, "group", json_string(f->group == MQL_GROUP_FIT ? "fit" : "engagement"), fail);
    put(o, "levels", str_array(f->levels, f->n_levels, fail), fail);
    put(o, "level_counts", count_array(f->level_count, f->n_levels, fail), fail);
    put(o, "pooled", str_array(f->pooled, f->n_pooled, fail), fail);
    put(o, "other_count", json_integer((json_int_t)f->other_count), fail);
    put(o, "has_missing", json_boolean(f->has_missing), fail);
    put(o, "missing_count", json_integer((json_int_t)f->missing_count), fail);
    json_t *cuts = json_array();
    for (size_t k = 0; cuts && k < f->n_cuts; k++)
        push(cuts, json_real(f->cuts[k]), fail);
    put(o, "cuts", cuts, fail);
    put(o, "bin_counts", count_array(f->bin_count, f->n_cuts ? f->n_cuts + 1 : 0, fail), fail);
    put(o, "integer", json_boolean(f->integer), fail);
    put(o, "true_label", jstr(f->true_label), fail);
    put(o, "false_label", jstr(f->false_label), fail);
    return o;
}

static json_t *design_json(const mql_design *d, int *fail)
{
    if (!d)
        return json_null();
    json_t *o = json_object(), *fs = json_array();
    for (size_t k = 0; fs && k < d->n_features; k++)
        push(fs, feature_json(&d->features[k], fail), fail);
    put(o, "features", fs, fail);
    if (d->n_ix) {
        /* by feature name, cells as [term offset in a, term offset in b] */
        json_t *ixs = json_array();
        for (size_t k = 0; ixs && k < d->n_ix; k++) {
            const mql_interaction *ix = &d->ix[k];
            json_t *e = json_object(), *cells = json_array();
            put(e, "a", json_string(d->features[ix->a].name), fail);
            put(e, "b", json_string(d->features[ix->b].name), fail);
            for (size_t c = 0; cells && c < ix->n_cells; c++)
                push(cells, json_pack("[I, I]", (json_int_t)ix->ta[c], (json_int_t)ix->tb[c]),
                     fail);
            put(e, "cells", cells, fail);
            push(ixs, e, fail);
        }
        put(o, "interactions", ixs, fail);
    }
    put(o, "notes", str_array(d->notes, d->n_notes, fail), fail);
    return o;
}

static json_t *fit_json(const mql_glm_result *r, const mql_design *d, double l2, int *fail)
{
    if (!r)
        return json_null();
    json_t *o = json_object();
    put(o, "n", json_integer((json_int_t)r->n), fail);
    put(o, "n_weighted", jnum(r->n_weighted), fail);
    put(o, "events", jnum(r->events), fail);
    put(o, "p", json_integer((json_int_t)r->p), fail);
    put(o, "rank", json_integer((json_int_t)r->rank), fail);
    put(o, "l2", json_real(l2), fail);
    int firth = r->method == MQL_GLM_METHOD_FIRTH;
    put(o, "method", json_string(firth ? "firth" : l2 > 0 ? "ridge" : "ml"), fail);
    if (firth) {
        put(o, "flic", json_boolean(r->flic), fail);
        put(o, "penalized_loglik", jnum(r->pen_loglik), fail);
        put(o, "logdet_information", jnum(r->logdet), fail);
        put(o, "firth_intercept", jnum(r->beta0_firth), fail);
        put(o, "intervals", json_string(r->lr_p ? "profile" : "wald"), fail);
    }
    put(o, "deviance", jnum(r->deviance), fail);
    put(o, "null_deviance", jnum(r->null_deviance), fail);
    put(o, "df_residual", jnum(r->df_residual), fail);
    put(o, "df_null", jnum(r->df_null), fail);
    put(o, "loglik", jnum(r->loglik), fail);
    put(o, "aic", jnum(r->aic), fail);
    put(o, "iterations", json_integer(r->iterations), fail);
    put(o, "converged", json_boolean(r->converged), fail);
    put(o, "state", json_string(state_name(r->state)), fail);
    put(o, "n_extreme", json_integer((json_int_t)r->n_extreme), fail);
    json_t *terms = json_array();
    for (size_t j = 0; terms && j < r->p; j++) {
        json_t *t = json_object();
        put(t, "term", jstr(d ? mql_design_label(d, j) : NULL), fail);
        put(t, "beta", jnum(r->beta[j]), fail);
        put(t, "se", jnum(r->se[j]), fail);
        put(t, "aliased", json_boolean(r->aliased[j]), fail);
        put(t, "separated", json_integer(r->separated ? r->separated[j] : 0), fail);
        if (firth && r->lr_p) {
            put(t, "ci_low", jnum(r->ci_lo[j]), fail);
            put(t, "ci_high", jnum(r->ci_hi[j]), fail);
            put(t, "lr_p", jnum(r->lr_p[j]), fail);
        }
        push(terms, t, fail);
    }
    put(o, "terms", terms, fail);
    json_t *cov = json_array();
    for (size_t i = 0; cov && i < r->p; i++) {
        json_t *row = json_array();
        for (size_t j = 0; row && j < r->p; j++)
            push(row, jnum(r->cov ? gsl_matrix_get(r->cov, i, j) : NAN), fail);
        push(cov, row, fail);
    }
    put(o, "covariance", cov, fail);
    return o;
}

int mql_model_write(const mql_model *m, FILE *f, mql_err *err)
{
    int fail = 0;
    json_t *o = json_object();
    put(o, "format", json_string(MQL_MODEL_FORMAT), &fail);
    /* version 1 unless the model needs what version 1 readers would misread */
    int v2 = (m->design && m->design->n_ix) || (m->points && mql_points_is_v2(m->points));
    put(o, "version", json_integer(v2 ? 2 : 1), &fail);
    put(o, "created", jstr(m->created), &fail);
    put(o, "tool", jstr(m->tool_version), &fail);
    put(o, "training", training_json(&m->train, &fail), &fail);
    put(o, "design", design_json(m->design, &fail), &fail);
    put(o, "fit", fit_json(m->fit, m->design, m->l2, &fail), &fail);
    put(o, "points", m->points ? mql_points_to_json(m->points) : json_null(), &fail);
    if (!o || fail) {
        json_decref(o);
        return mql_err_set(err, MQL_ENOMEM, "out of memory while writing the model");
    }
    int rc = json_dumpf(o, f, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(17));
    json_decref(o);
    if (rc != 0 || fputc('\n', f) == EOF || ferror(f))
        return mql_err_set(err, MQL_EIO, "model: write error: %s", strerror(errno));
    return MQL_OK;
}

/* ==== reading ================================================================================ */

/* Reader state: the first error wins; getters return harmless defaults after it. */
typedef struct rd {
    const char *file;
    mql_err *err;
    int st;
} rd;

static void rd_fail(rd *r, int st, const char *where, const char *key, const char *what)
{
    if (r->st)
        return;
    r->st = mql_err_set(r->err, st, "%s: %s%s%s %s", r->file, where, *where ? "." : "", key,
                        what);
}

/* The value at key; NULL (with an error) when absent. */
static json_t *rd_get(rd *r, const json_t *o, const char *where, const char *key)
{
    if (r->st)
        return NULL;
    json_t *v = json_object_get(o, key);
    if (!v)
        rd_fail(r, MQL_EDATA, where, key, "is missing");
    return v;
}

static json_t *rd_obj(rd *r, const json_t *o, const char *where, const char *key, int nullable)
{
    json_t *v = rd_get(r, o, where, key);
    if (!v || (nullable && json_is_null(v)))
        return NULL;
    if (!json_is_object(v)) {
        rd_fail(r, MQL_EDATA, where, key, nullable ? "must be an object or null"
                                                   : "must be an object");
        return NULL;
    }
    return v;
}

static json_t *rd_arr(rd *r, const json_t *o, const char *where, const char *key, int nullable)
{
    json_t *v = rd_get(r, o, where, key);
    if (!v || (nullable && json_is_null(v)))
        return NULL;
    if (!json_is_array(v)) {
        rd_fail(r, MQL_EDATA, where, key, "must be an array");
        return NULL;
    }
    return v;
}

/* A copied string (NULL for null when nullable). */
static char *rd_str(rd *r, const json_t *o, const char *where, const char *key, int nullable)
{
    json_t *v = rd_get(r, o, where, key);
    if (!v || (nullable && json_is_null(v)))
        return NULL;
    if (!json_is_string(v)) {
        rd_fail(r, MQL_EDATA, where, key, nullable ? "must be a string or null"
                                                   : "must be a string");
        return NULL;
    }
    char *s = mql_strdup(json_string_value(v));
    if (!s && !r->st)
        r->st = mql_err_set(r->err, MQL_ENOMEM, "out of memory");
    return s;
}

/* A number; null reads as NAN. */
static double num_value(const json_t *v, int *ok)
{
    *ok = 1;
    if (json_is_null(v))
        return NAN;
    if (json_is_number(v))
        return json_number_value(v);
    *ok = 0;
    return NAN;
}

static double rd_num(rd *r, const json_t *o, const char *where, const char *key)
{
    json_t *v = rd_get(r, o, where, key);
    int ok;
    double x = v ? num_value(v, &ok) : NAN;
    if (v && !ok)
        rd_fail(r, MQL_EDATA, where, key, "must be a number or null");
    return x;
}

static size_t rd_count(rd *r, const json_t *o, const char *where, const char *key)
{
    json_t *v = rd_get(r, o, where, key);
    if (!v)
        return 0;
    if (!json_is_integer(v) || json_integer_value(v) < 0) {
        rd_fail(r, MQL_EDATA, where, key, "must be a non-negative integer");
        return 0;
    }
    return (size_t)json_integer_value(v);
}

static int rd_bool(rd *r, const json_t *o, const char *where, const char *key)
{
    json_t *v = rd_get(r, o, where, key);
    if (v && !json_is_boolean(v))
        rd_fail(r, MQL_EDATA, where, key, "must be true or false");
    return v && json_is_true(v);
}

/* One of names[0..n) as its index. */
static int rd_enum(rd *r, const json_t *o, const char *where, const char *key,
                   const char *const *names, int n)
{
    json_t *v = rd_get(r, o, where, key);
    if (!v)
        return 0;
    const char *s = json_is_string(v) ? json_string_value(v) : NULL;
    for (int k = 0; s && k < n; k++)
        if (strcmp(s, names[k]) == 0)
            return k;
    if (!r->st)
        r->st = mql_err_set(r->err, MQL_EDATA, "%s: %s.%s: unknown value%s%s%s", r->file, where,
                            key, s ? " '" : "", s ? s : "", s ? "'" : " (not a string)");
    return 0;
}

static char **rd_str_array(rd *r, const json_t *o, const char *where, const char *key, size_t *n)
{
    *n = 0;
    json_t *a = rd_arr(r, o, where, key, 0);
    if (!a || json_array_size(a) == 0)
        return NULL;
    char **v = calloc(json_array_size(a), sizeof *v);
    if (!v) {
        r->st = mql_err_set(r->err, MQL_ENOMEM, "out of memory");
        return NULL;
    }
    for (size_t k = 0; k < json_array_size(a); k++) {
        json_t *e = json_array_get(a, k);
        if (!json_is_string(e)) {
            rd_fail(r, MQL_EDATA, where, key, "must hold strings only");
            break;
        }
        if (!(v[k] = mql_strdup(json_string_value(e)))) {
            r->st = mql_err_set(r->err, MQL_ENOMEM, "out of memory");
            break;
        }
        *n = k + 1;
    }
    return v;
}

/* An array of exactly want counts, or NULL for null. */
static size_t *rd_counts(rd *r, const json_t *o, const char *where, const char *key, size_t want)
{
    json_t *a = rd_arr(r, o, where, key, 1);
    if (!a)
        return NULL;
    if (json_array_size(a) != want) {
        char msg[96];
        snprintf(msg, sizeof msg, "must have %zu entries, has %zu", want, json_array_size(a));
        rd_fail(r, MQL_EDATA, where, key, msg);
        return NULL;
    }
    size_t *v = calloc(want ? want : 1, sizeof *v);
    if (!v) {
        r->st = mql_err_set(r->err, MQL_ENOMEM, "out of memory");
        return NULL;
    }
    for (size_t k = 0; k < want; k++) {
        json_t *e = json_array_get(a, k);
        if (!json_is_integer(e) || json_integer_value(e) < 0) {
            rd_fail(r, MQL_EDATA, where, key, "must hold non-negative integers");
            break;
        }
        v[k] = (size_t)json_integer_value(e);
    }
    return v;
}

static void feature_parts_free(mql_feature *f)
{
    free(f->name);
    for (size_t k = 0; k < f->n_levels; k++)
        free(f->levels[k]);
    free(f->levels);
    free(f->level_count);
    for (size_t k = 0; k < f->n_pooled; k++)
        free(f->pooled[k]);
    free(f->pooled);
    free(f->cuts);
    free(f->bin_count);
    free(f->true_label);
    free(f->false_label);
}

static void read_feature(rd *r, const json_t *o, const char *where, mql_feature *f)
{
    static const char *const types[] = {"numeric", "boolean", "categorical"};
    static const char *const encs[] = {"categorical", "boolean", "linear", "binned"};
    static const char *const groups[] = {"fit", "engagement"};
    f->table_col = -1;
    f->name = rd_str(r, o, where, "name", 0);
    f->type = (mql_coltype)rd_enum(r, o, where, "type", types, 3);
    f->enc = (mql_encoding)rd_enum(r, o, where, "encoding", encs, 4);
    f->group = (mql_group)rd_enum(r, o, where, "group", groups, 2);
    f->levels = rd_str_array(r, o, where, "levels", &f->n_levels);
    f->level_count = rd_counts(r, o, where, "level_counts", f->n_levels);
    f->pooled = rd_str_array(r, o, where, "pooled", &f->n_pooled);
    f->other_count = rd_count(r, o, where, "other_count");
    f->has_missing = rd_bool(r, o, where, "has_missing");
    f->missing_count = rd_count(r, o, where, "missing_count");
    json_t *cuts = rd_arr(r, o, where, "cuts", 0);
    if (cuts && json_array_size(cuts) > 0) {
        f->n_cuts = json_array_size(cuts);
        if (!(f->cuts = malloc(f->n_cuts * sizeof *f->cuts))) {
            f->n_cuts = 0;
            r->st = mql_err_set(r->err, MQL_ENOMEM, "out of memory");
            return;
        }
        for (size_t k = 0; k < f->n_cuts; k++) {
            json_t *e = json_array_get(cuts, k);
            if (!json_is_number(e)) {
                rd_fail(r, MQL_EDATA, where, "cuts", "must hold numbers only");
                return;
            }
            f->cuts[k] = json_number_value(e);
        }
    }
    f->bin_count = rd_counts(r, o, where, "bin_counts", f->n_cuts ? f->n_cuts + 1 : 0);
    f->integer = rd_bool(r, o, where, "integer");
    f->true_label = rd_str(r, o, where, "true_label", 1);
    f->false_label = rd_str(r, o, where, "false_label", 1);
}

/* design.interactions (version 2 models): [{"a": name, "b": name, "cells": [[ta, tb], ...]}]. */
static void read_interactions(rd *r, const json_t *ixs, mql_design *d)
{
    size_t n = json_is_array(ixs) ? json_array_size(ixs) : 0;
    mql_interaction *ix = calloc(n ? n : 1, sizeof *ix);
    if (!json_is_array(ixs)) {
        rd_fail(r, MQL_EDATA, "design", "interactions", "must be an array");
    } else if (!ix) {
        r->st = mql_err_set(r->err, MQL_ENOMEM, "out of memory");
    }
    for (size_t k = 0; ix && k < n && !r->st; k++) {
        json_t *e = json_array_get(ixs, k), *cells = json_object_get(e, "cells");
        const char *a = json_string_value(json_object_get(e, "a"));
        const char *b = json_string_value(json_object_get(e, "b"));
        long fa = a ? mql_design_find(d, a) : -1, fb = b ? mql_design_find(d, b) : -1;
        size_t nc = json_array_size(cells);
        if (fa < 0 || fb < 0 || !json_is_array(cells)) {
            rd_fail(r, MQL_EDATA, "design", "interactions",
                    "must hold {a, b, cells} naming features of the design");
            break;
        }
        ix[k].a = (size_t)fa;
        ix[k].b = (size_t)fb;
        ix[k].n_cells = nc;
        ix[k].ta = malloc((nc ? nc : 1) * sizeof *ix[k].ta);
        ix[k].tb = malloc((nc ? nc : 1) * sizeof *ix[k].tb);
        if (!ix[k].ta || !ix[k].tb) {
            r->st = mql_err_set(r->err, MQL_ENOMEM, "out of memory");
            break;
        }
        for (size_t c = 0; c < nc; c++) {
            json_t *pr = json_array_get(cells, c);
            json_t *x = json_array_get(pr, 0), *y = json_array_get(pr, 1);
            if (!json_is_integer(x) || !json_is_integer(y) || json_integer_value(x) < 0 ||
                json_integer_value(y) < 0) {
                rd_fail(r, MQL_EDATA, "design", "interactions", "cells must be [int, int] pairs");
                break;
            }
            ix[k].ta[c] = (size_t)json_integer_value(x);
            ix[k].tb[c] = (size_t)json_integer_value(y);
        }
    }
    if (!r->st) {
        int st = mql_design_set_interactions(d, ix, n, r->err);
        if (st)
            r->st = mql_err_prefix(r->err, st, "%s: design", r->file);
    }
    for (size_t k = 0; ix && k < n; k++) {
        free(ix[k].ta);
        free(ix[k].tb);
    }
    free(ix);
}

static mql_design *read_design(rd *r, const json_t *o)
{
    json_t *fs = rd_arr(r, o, "design", "features", 0);
    if (!fs)
        return NULL;
    size_t n = json_array_size(fs);
    mql_feature *f = calloc(n ? n : 1, sizeof *f);
    mql_design *d = NULL;
    if (!f) {
        r->st = mql_err_set(r->err, MQL_ENOMEM, "out of memory");
        return NULL;
    }
    for (size_t k = 0; k < n && !r->st; k++) {
        char where[48];
        snprintf(where, sizeof where, "design.features[%zu]", k);
        json_t *e = json_array_get(fs, k);
        if (!json_is_object(e))
            rd_fail(r, MQL_EDATA, "design", "features", "must hold objects");
        else
            read_feature(r, e, where, &f[k]);
    }
    if (!r->st) {
        int st = mql_design_from_parts(f, n, &d, r->err);
        if (st)
            r->st = mql_err_prefix(r->err, st, "%s: design", r->file);
    }
    /* The notes the design was built with ("lead_id: identifier-like, not a feature"), so a
     * model reads back to the same JSON; optional (strings only). */
    json_t *notes = json_object_get(o, "notes");
    for (size_t k = 0; d && !r->st && json_is_array(notes) && k < json_array_size(notes); k++) {
        const char *s = json_string_value(json_array_get(notes, k));
        char **grown = s ? realloc(d->notes, (d->n_notes + 1) * sizeof *grown) : NULL;
        if (!s)
            rd_fail(r, MQL_EDATA, "design", "notes", "must hold strings only");
        else if (!grown || !(grown[d->n_notes] = mql_strdup(s))) {
            if (grown)
                d->notes = grown;
            r->st = mql_err_set(r->err, MQL_ENOMEM, "out of memory");
        } else {
            d->notes = grown;
            d->n_notes++;
        }
    }
    json_t *ixs = json_object_get(o, "interactions");
    if (!r->st && ixs)
        read_interactions(r, ixs, d);
    if (r->st) {
        mql_design_free(d);
        d = NULL;
    }
    for (size_t k = 0; k < n; k++)
        feature_parts_free(&f[k]);
    free(f);
    return d;
}

static mql_glm_result *read_fit(rd *r, const json_t *o, const mql_design *d, double *l2)
{
    static const char *const states[] = {"converged", "not_converged", "separated"};
    const char *w = "fit";
    size_t p = rd_count(r, o, w, "p");
    if (r->st)
        return NULL;
    if (p == 0 || (d && p != d->p)) {
        char msg[96];
        snprintf(msg, sizeof msg, "is %zu but the design has %zu terms", p, d ? d->p : 0);
        rd_fail(r, MQL_EDATA, w, "p", p == 0 ? "must be positive" : msg);
        return NULL;
    }
    mql_glm_result *f = calloc(1, sizeof *f);
    if (f) {
        f->p = p;
        f->beta = malloc(p * sizeof *f->beta);
        f->se = malloc(p * sizeof *f->se);
        f->aliased = calloc(p, 1);
        f->separated = calloc(p, 1);
        f->cov = gsl_matrix_alloc(p, p);
    }
    if (!f || !f->beta || !f->se || !f->aliased || !f->separated || !f->cov) {
        mql_glm_result_free(f);
        r->st = mql_err_set(r->err, MQL_ENOMEM, "out of memory");
        return NULL;
    }
    f->n = rd_count(r, o, w, "n");
    f->n_weighted = rd_num(r, o, w, "n_weighted");
    f->events = rd_num(r, o, w, "events");
    f->rank = rd_count(r, o, w, "rank");
    *l2 = rd_num(r, o, w, "l2");
    f->deviance = rd_num(r, o, w, "deviance");
    f->null_deviance = rd_num(r, o, w, "null_deviance");
    f->df_residual = rd_num(r, o, w, "df_residual");
    f->df_null = rd_num(r, o, w, "df_null");
    f->loglik = rd_num(r, o, w, "loglik");
    f->aic = rd_num(r, o, w, "aic");
    f->iterations = (int)rd_count(r, o, w, "iterations");
    f->converged = rd_bool(r, o, w, "converged");
    f->state = (mql_glm_state)rd_enum(r, o, w, "state", states, 3);
    f->n_extreme = rd_count(r, o, w, "n_extreme");
    /* "method" (absent in models written before Firth: plain or ridge) */
    int profiled = 0;
    if (json_object_get(o, "method")) {
        static const char *const methods[] = {"ml", "ridge", "firth"};
        f->method = rd_enum(r, o, w, "method", methods, 3) == 2 ? MQL_GLM_METHOD_FIRTH
                                                                : MQL_GLM_METHOD_ML;
    }
    if (f->method == MQL_GLM_METHOD_FIRTH) {
        static const char *const kinds[] = {"wald", "profile"};
        f->flic = rd_bool(r, o, w, "flic");
        f->pen_loglik = rd_num(r, o, w, "penalized_loglik");
        f->logdet = rd_num(r, o, w, "logdet_information");
        f->beta0_firth = rd_num(r, o, w, "firth_intercept");
        profiled = rd_enum(r, o, w, "intervals", kinds, 2);
        if (profiled && !r->st) {
            f->ci_lo = malloc(p * sizeof *f->ci_lo);
            f->ci_hi = malloc(p * sizeof *f->ci_hi);
            f->lr_p = malloc(p * sizeof *f->lr_p);
            if (!f->ci_lo || !f->ci_hi || !f->lr_p)
                r->st = mql_err_set(r->err, MQL_ENOMEM, "out of memory");
        }
    }
    if (!r->st && !(*l2 >= 0))
        rd_fail(r, MQL_EDATA, w, "l2", "must be a non-negative number");
    json_t *terms = rd_arr(r, o, w, "terms", 0);
    if (terms && json_array_size(terms) != p)
        rd_fail(r, MQL_EDATA, w, "terms", "must have one entry per design term");
    for (size_t j = 0; !r->st && j < p; j++) {
        char where[32];
        snprintf(where, sizeof where, "fit.terms[%zu]", j);
        json_t *t = json_array_get(terms, j);
        if (!json_is_object(t)) {
            rd_fail(r, MQL_EDATA, w, "terms", "must hold objects");
            break;
        }
        char *label = rd_str(r, t, where, "term", 1);
        if (!r->st && d && (!label || strcmp(label, mql_design_label(d, j)) != 0))
            r->st = mql_err_set(r->err, MQL_EDATA, "%s: %s.term is '%s' but the design's term "
                                "%zu is '%s'", r->file, where, label ? label : "null", j,
                                mql_design_label(d, j));
        free(label);
        f->beta[j] = rd_num(r, t, where, "beta");
        f->se[j] = rd_num(r, t, where, "se");
        f->aliased[j] = (unsigned char)rd_bool(r, t, where, "aliased");
        if (profiled && !r->st) {
            f->ci_lo[j] = rd_num(r, t, where, "ci_low");
            f->ci_hi[j] = rd_num(r, t, where, "ci_high");
            f->lr_p[j] = rd_num(r, t, where, "lr_p");
        }
        json_t *s = rd_get(r, t, where, "separated");
        if (s && (!json_is_integer(s) || json_integer_value(s) < -1 || json_integer_value(s) > 1))
            rd_fail(r, MQL_EDATA, where, "separated", "must be -1, 0 or 1");
        else if (s)
            f->separated[j] = (signed char)json_integer_value(s);
        if (!r->st && isnan(f->beta[j]) != (f->aliased[j] != 0))
            rd_fail(r, MQL_EDATA, where, "beta", "must be null exactly when the term is aliased");
    }
    json_t *cov = rd_arr(r, o, w, "covariance", 0);
    if (cov && json_array_size(cov) != p)
        rd_fail(r, MQL_EDATA, w, "covariance", "must be a p x p array");
    for (size_t i = 0; !r->st && i < p; i++) {
        json_t *row = json_array_get(cov, i);
        if (!json_is_array(row) || json_array_size(row) != p) {
            rd_fail(r, MQL_EDATA, w, "covariance", "must be a p x p array");
            break;
        }
        for (size_t j = 0; j < p; j++) {
            int ok;
            double v = num_value(json_array_get(row, j), &ok);
            if (!ok) {
                rd_fail(r, MQL_EDATA, w, "covariance", "must hold numbers or null");
                break;
            }
            gsl_matrix_set(f->cov, i, j, v);
        }
    }
    if (r->st) {
        mql_glm_result_free(f);
        return NULL;
    }
    return f;
}

/* Reads all of path ("-" = stdin) into a malloc'd buffer (NUL-terminated, *n bytes): one read,
 * so a pipe (`score <(cat model.json)`) is consumed once. */
static int slurp(const char *path, char **buf, size_t *n, mql_err *err)
{
    *buf = NULL;
    *n = 0;
    int is_stdin = strcmp(path, "-") == 0;
    FILE *f = is_stdin ? stdin : fopen(path, "rb");
    if (!f)
        return mql_err_set(err, MQL_EIO, "%s: cannot open: %s", path, strerror(errno));
    size_t cap = 0;
    int st = MQL_OK;
    for (;;) {
        if (cap - *n < 65536) {
            size_t ncap = cap ? 2 * cap : 65536;
            char *p = ncap > cap ? realloc(*buf, ncap + 1) : NULL;
            if (!p) {
                st = mql_err_set(err, MQL_ENOMEM, "%s: out of memory", path);
                break;
            }
            *buf = p;
            cap = ncap;
        }
        size_t got = fread(*buf + *n, 1, cap - *n, f);
        *n += got;
        if (got == 0) {
            if (ferror(f))
                st = mql_err_set(err, MQL_EIO, "%s: cannot read: %s", path, strerror(errno));
            break;
        }
    }
    if (!is_stdin)
        fclose(f);
    if (st) {
        free(*buf);
        *buf = NULL;
        return st;
    }
    (*buf)[*n] = '\0';
    return MQL_OK;
}

static int model_parse(const char *text, size_t len, const char *path, mql_model **out,
                       mql_err *err);

int mql_model_read(const char *path, mql_model **out, mql_err *err)
{
    *out = NULL;
    char *text;
    size_t len;
    int st = slurp(path, &text, &len, err);
    if (st)
        return st;
    st = model_parse(text, len, path, out, err);
    free(text);
    return st;
}

/* mql_model_read on the file's bytes. */
static int model_parse(const char *text, size_t len, const char *path, mql_model **out,
                       mql_err *err)
{
    mql_gsl_quiet();
    *out = NULL;
    json_error_t je;
    json_t *root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je);
    if (!root)
        return mql_err_set(err, MQL_EDATA, "%s: line %d: %s (not a valid model JSON)", path,
                           je.line, je.text);
    rd r = {path, err, MQL_OK};
    mql_model *m = NULL;
    if (!json_is_object(root)) {
        r.st = mql_err_set(err, MQL_EDATA, "%s: not a model file (the top level is not an "
                                           "object)", path);
        goto out;
    }
    json_t *fmt = json_object_get(root, "format");
    if (!json_is_string(fmt) || strcmp(json_string_value(fmt), MQL_MODEL_FORMAT) != 0) {
        r.st = mql_err_set(err, MQL_EDATA, "%s: not an mqlcal model (format is %s%s%s, "
                           "expected '" MQL_MODEL_FORMAT "')", path, json_is_string(fmt) ? "'" : "",
                           json_is_string(fmt) ? json_string_value(fmt) : "missing",
                           json_is_string(fmt) ? "'" : "");
        goto out;
    }
    json_t *ver = json_object_get(root, "version");
    if (!json_is_integer(ver) || json_integer_value(ver) < 1) {
        r.st = mql_err_set(err, MQL_EDATA, "%s: version is missing or not a positive integer",
                           path);
        goto out;
    }
    if (json_integer_value(ver) > MQL_MODEL_VERSION) {
        r.st = mql_err_set(err, MQL_EDATA, "%s: format version %" JSON_INTEGER_FORMAT
                           " is newer than this mqlcal (reads %d)", path,
                           json_integer_value(ver), MQL_MODEL_VERSION);
        goto out;
    }
    if (!(m = calloc(1, sizeof *m))) {
        r.st = mql_err_set(err, MQL_ENOMEM, "out of memory");
        goto out;
    }
    m->created = rd_str(&r, root, "", "created", 0);
    m->tool_version = rd_str(&r, root, "", "tool", 0);
    json_t *tr = rd_obj(&r, root, "", "training", 0);
    if (tr) {
        const char *w = "training";
        mql_training *t = &m->train;
        t->file = rd_str(&r, tr, w, "file", 1);
        t->rows = rd_count(&r, tr, w, "rows");
        t->bytes = rd_count(&r, tr, w, "bytes");
        /* Files written before the fingerprint became XXH64 carry "fnv1a64" instead: still
         * read (the value is only shown, never compared with a file's). */
        const char *hkey = json_object_get(tr, "xxh64") || !json_object_get(tr, "fnv1a64")
                               ? "xxh64" : "fnv1a64";
        char *hash = rd_str(&r, tr, w, hkey, 0);
        if (hash) {
            char *end;
            errno = 0;
            unsigned long long h = strtoull(hash, &end, 16);
            if (errno || end == hash || *end || strlen(hash) != 16)
                rd_fail(&r, MQL_EDATA, w, hkey, "must be 16 hex digits");
            t->hash = (uint64_t)h;
            free(hash);
        }
        t->date_column = rd_str(&r, tr, w, "date_column", 1);
        t->date_min = rd_str(&r, tr, w, "date_min", 1);
        t->date_max = rd_str(&r, tr, w, "date_max", 1);
        t->outcome = rd_str(&r, tr, w, "outcome", 1);
        t->sql_column = rd_str(&r, tr, w, "sql_column", 1);
        t->acv_column = rd_str(&r, tr, w, "acv_column", 1);
        t->weight_column = rd_str(&r, tr, w, "weight_column", 1);
        t->events = rd_num(&r, tr, w, "events");
    }
    json_t *dj = rd_obj(&r, root, "", "design", 1);
    if (dj && !r.st)
        m->design = read_design(&r, dj);
    json_t *fj = rd_obj(&r, root, "", "fit", 1);
    if (!r.st && (fj != NULL) != (m->design != NULL))
        r.st = mql_err_set(err, MQL_EDATA, "%s: design and fit must both be present or both "
                           "null", path);
    if (fj && !r.st)
        m->fit = read_fit(&r, fj, m->design, &m->l2);
    json_t *pj = rd_obj(&r, root, "", "points", 1);
    if (pj && !r.st) {
        int st = mql_points_from_json(pj, &m->points, err);
        if (st)
            r.st = mql_err_prefix(err, st, "%s", path);
    }
    if (!r.st && !m->fit && !m->points)
        r.st = mql_err_set(err, MQL_EDATA, "%s: the model has neither a fit nor points", path);
out:
    json_decref(root);
    if (r.st) {
        mql_model_free(m);
        return r.st;
    }
    *out = m;
    return MQL_OK;
}

/* ==== either kind of model file ============================================================== */

int mql_model_load_any(const char *path, mql_model **out, mql_err *err)
{
    *out = NULL;
    char *text;
    size_t len;
    int st = slurp(path, &text, &len, err);
    if (st)
        return st;
    size_t i = 0;
    while (i < len && (text[i] == ' ' || text[i] == '\t' || text[i] == '\n' || text[i] == '\r'))
        i++;
    json_t *j = NULL;
    if (i < len && text[i] == '{') {
        /* A model file has a "format" key; a bare points table (`mqlcal rules --format json`)
         * does not, and loads as a points-only model like a rules CSV. */
        json_error_t je;
        j = json_loadb(text, len, 0, &je);
        if (!j || json_object_get(j, "format") || !json_object_get(j, "rules")) {
            json_decref(j);
            st = model_parse(text, len, path, out, err);
            free(text);
            return st;
        }
    }
    mql_model *m = mql_model_new();
    if (!m) {
        json_decref(j);
        free(text);
        return mql_err_set(err, MQL_ENOMEM, "out of memory");
    }
    if (j) {
        st = mql_points_from_json(j, &m->points, err);
    } else {
        FILE *f = len ? fmemopen(text, len, "r") : NULL;
        if (len && !f)
            st = mql_err_set(err, MQL_ENOMEM, "out of memory");
        else if (!f)
            st = mql_err_set(err, MQL_EDATA, "%s: no header line "
                             "feature,operator,value,points,group", path);
        else {
            st = mql_points_read_stream(f, path, &m->points, err);
            fclose(f);
        }
    }
    json_decref(j);
    free(text);
    if (st) {
        mql_model_free(m);
        return j ? mql_err_prefix(err, st, "%s", path) : st;
    }
    if (!(m->train.file = mql_strdup(path))) {
        mql_model_free(m);
        return mql_err_set(err, MQL_ENOMEM, "out of memory");
    }
    *out = m;
    return MQL_OK;
}
