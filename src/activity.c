/* activity.c: activity logs linked to leads, time-honest snapshots, decayed event features and
 * the profile-likelihood fit of a half-life (activity.h states the method). */
#include "mqlcal/activity.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int oom(mql_err *err)
{
    return mql_err_set(err, MQL_ENOMEM, "out of memory");
}

/* ==== decay ================================================================================== */

int mql_decay_parse(const char *text, mql_decay *d, mql_err *err)
{
    const char *s = text ? text : "";
    while (isspace((unsigned char)*s))
        s++;
    d->kind = MQL_DECAY_NONE;
    d->days = 0;
    if (mql_strcasecmp(s, "none") == 0)
        return MQL_OK;
    const char *colon = strchr(s, ':');
    size_t head = colon ? (size_t)(colon - s) : 0;
    if (colon && mql_span_ieq(s, head, "window", 6))
        d->kind = MQL_DECAY_WINDOW;
    else if (colon && (mql_span_ieq(s, head, "half-life", 9) || mql_span_ieq(s, head, "halflife", 8)))
        d->kind = MQL_DECAY_HALF_LIFE;
    else
        return mql_err_set(err, MQL_EUSAGE, "decay '%s': expected none, window:DAYS or "
                           "half-life:DAYS", s);
    char num[64];
    snprintf(num, sizeof num, "%s", colon + 1);
    size_t n = strlen(num);
    while (n && isspace((unsigned char)num[n - 1]))
        num[--n] = '\0';
    if (n && (num[n - 1] == 'd' || num[n - 1] == 'D'))
        num[--n] = '\0';
    double v;
    if (mql_parse_double(num, &v) || !(v > 0) || v > 36500)
        return mql_err_set(err, MQL_EUSAGE, "decay '%s': the days must be a number above 0 and "
                           "at most 36500", s);
    d->days = v;
    return MQL_OK;
}

double mql_decay_weight(const mql_decay *d, double age)
{
    switch (d->kind) {
    case MQL_DECAY_WINDOW:
        return age <= d->days ? 1.0 : 0.0;
    case MQL_DECAY_HALF_LIFE:
        return exp2(-age / d->days);
    default:
        return 1.0;
    }
}

const char *mql_decay_spec(const mql_decay *d, char *buf, size_t cap)
{
    char num[32];
    mql_fmt_shortest(d->days, num, sizeof num);
    if (d->kind == MQL_DECAY_WINDOW)
        snprintf(buf, cap, "window:%s", num);
    else if (d->kind == MQL_DECAY_HALF_LIFE)
        snprintf(buf, cap, "half-life:%s", num);
    else
        snprintf(buf, cap, "none");
    return buf;
}

double mql_decay_loss_per(const mql_decay *d, double days)
{
    if (d->kind == MQL_DECAY_HALF_LIFE)
        return 1.0 - exp2(-days / d->days);
    return d->kind == MQL_DECAY_NONE ? 0.0 : NAN;
}

const char *mql_decay_text(const mql_decay *d, char *buf, size_t cap)
{
    if (d->kind == MQL_DECAY_WINDOW)
        snprintf(buf, cap, "counts for %.4g days after the event, then nothing", d->days);
    else if (d->kind == MQL_DECAY_HALF_LIFE)
        snprintf(buf, cap, "half-life %.3g days: an event loses %.1f%% of its points a day, "
                 "%.1f%% a month (30.4 days)", d->days, 100 * mql_decay_loss_per(d, 1.0),
                 100 * mql_decay_loss_per(d, 30.4375));
    else
        snprintf(buf, cap, "never decays");
    return buf;
}

/* ==== key index: text -> leads row =========================================================== */

struct mql_key_index {
    size_t n;                 /* rows (entries of text) */
    size_t cap;               /* power of two */
    size_t *slot;             /* row + 1, 0 = empty */
    uint64_t *hash;
    char **text;              /* trimmed key texts, one per row (NULL: missing) */
};
typedef struct mql_key_index key_index;

static void key_index_free(key_index *k)
{
    free(k->slot);
    free(k->hash);
    for (size_t i = 0; k->text && i < k->n; i++)
        free(k->text[i]);
    free(k->text);
}

/* Trimmed text of a cell (numbers in shortest form), malloc'd; NULL for a missing cell. */
static char *cell_key(const mql_column *c, size_t row, mql_err *err, int *fail)
{
    char buf[512];
    if (mql_cell_missing(c, row))
        return NULL;
    mql_cell_text(c, row, buf, sizeof buf);
    char *s = mql_trim_dup(buf);
    if (!s) {
        *fail = oom(err);
        return NULL;
    }
    return s;
}

static long key_find(const key_index *k, const char *s)
{
    uint64_t h = mql_xxh64(s, strlen(s));
    for (size_t i = h & (k->cap - 1);; i = (i + 1) & (k->cap - 1)) {
        if (!k->slot[i])
            return -1;
        if (k->hash[i] == h && strcmp(k->text[k->slot[i] - 1], s) == 0)
            return (long)(k->slot[i] - 1);
    }
}

static int key_index_build(const mql_table *t, long col, key_index *k, mql_err *err)
{
    size_t n = t->n_rows;
    memset(k, 0, sizeof *k);
    k->cap = 16;
    while (k->cap < 2 * n + 2)
        k->cap <<= 1;
    k->slot = calloc(k->cap, sizeof *k->slot);
    k->hash = calloc(k->cap, sizeof *k->hash);
    k->text = calloc(n + 1, sizeof *k->text);
    if (!k->slot || !k->hash || !k->text)
        return oom(err);
    k->n = n;
    const mql_column *c = &t->cols[col];
    for (size_t r = 0; r < n; r++) {
        int fail = 0;
        char *s = cell_key(c, r, err, &fail);
        if (fail)
            return fail;
        k->text[r] = s;
        if (!s)
            continue;
        uint64_t h = mql_xxh64(s, strlen(s));
        size_t i = h & (k->cap - 1);
        for (; k->slot[i]; i = (i + 1) & (k->cap - 1))
            if (k->hash[i] == h && strcmp(k->text[k->slot[i] - 1], s) == 0)
                return mql_err_set(err, MQL_EDATA, "%s: lead key '%s' in column '%s' appears "
                                   "on lines %zu and %zu; an activity log needs one row per "
                                   "lead", t->source, s, c->name, k->slot[i] + 1, r + 2);
        k->slot[i] = r + 1;
        k->hash[i] = h;
    }
    return MQL_OK;
}

/* ==== loading ================================================================================ */

static long find_ci(const mql_table *t, const char *name)
{
    for (size_t j = 0; j < t->n_cols; j++)
        if (mql_strcasecmp(t->cols[j].name, name) == 0)
            return (long)j;
    return -1;
}

static long detect(const mql_table *e, const char *given, const char *const *names, size_t n,
                   int want_date, const char *what, long skip, mql_err *err, int *st)
{
    if (given) {
        long c = mql_table_find(e, given);
        if (c < 0)
            *st = mql_table_require(e, given, &c, err);
        return c;
    }
    for (size_t i = 0; i < n; i++) {
        long c = find_ci(e, names[i]);
        if (c >= 0 && c != skip)
            return c;
    }
    if (want_date) {
        long found = -1;
        for (size_t j = 0; j < e->n_cols; j++)
            if (e->cols[j].type == MQL_COL_DATE && (long)j != skip) {
                if (found >= 0) {
                    found = -2;
                    break;
                }
                found = (long)j;
            }
        if (found >= 0)
            return found;
    }
    *st = mql_err_set(err, MQL_EUSAGE, "%s: cannot tell which column holds the %s; name it "
                      "(--event-%s COL)", e->source, what, want_date ? "time" : "type");
    return -1;
}

void mql_activity_free(mql_activity *a)
{
    if (!a)
        return;
    if (a->keys) {
        key_index_free(a->keys);
        free(a->keys);
    }
    free(a->source);
    for (size_t k = 0; a->types && k < a->n_types; k++)
        free(a->types[k]);
    free(a->types);
    free(a->start);
    free(a->time);
    free(a->type);
    free(a->count);
    free(a);
}

long mql_activity_lookup(const mql_activity *a, const char *key)
{
    const char *b;
    size_t n = mql_trim_span(key, strlen(key), &b);
    char buf[512];
    if (n >= sizeof buf)
        return -1;
    memcpy(buf, b, n);
    buf[n] = '\0';
    return a->keys ? key_find(a->keys, buf) : -1;
}

double mql_activity_value(const mql_activity *a, size_t lead, size_t k, const mql_decay *d,
                          double at)
{
    double sum = 0.0;
    if (lead < a->n_leads)
        for (size_t e = a->start[lead]; e < a->start[lead + 1]; e++) {
            if (!(a->time[e] < at))
                break;    /* sorted by time: the rest is at or after the moment */
            if (a->type[e] == k)
                sum += a->count[e] * mql_decay_weight(d, at - a->time[e]);
        }
    /* Rounded to 1/1000 of an event: feature values then have three decimals, so the range
     * rules written at the data's precision leave no gap a later value could fall into. */
    return nearbyint(sum * MQL_ACTIVITY_RESOLUTION) / MQL_ACTIVITY_RESOLUTION;
}

long mql_activity_type(const mql_activity *a, const char *name)
{
    for (size_t k = 0; k < a->n_types; k++)
        if (strcmp(a->types[k], name) == 0)
            return (long)k;
    return -1;
}

static int cmp_str(const void *x, const void *y)
{
    return strcmp(*(char *const *)x, *(char *const *)y);
}

typedef struct event_row {
    double time;
    uint32_t type;
    double count;
} event_row;

static int cmp_ev(const void *x, const void *y)
{
    const event_row *a = x, *b = y;
    if (a->time != b->time)
        return a->time < b->time ? -1 : 1;
    if (a->type != b->type)
        return a->type < b->type ? -1 : 1;
    return (a->count > b->count) - (a->count < b->count);
}

/* A one-column table of the distinct keys of column ek of e (its levels, in first-seen order). */
static int own_leads(const mql_table *e, long ek, mql_table **out, mql_err *err)
{
    const mql_column *kc = &e->cols[ek];
    mql_table *t = calloc(1, sizeof *t);
    if (!t)
        return oom(err);
    *out = t;
    size_t L = kc->n_levels;
    t->n_rows = L;
    if (!(t->source = mql_strdup(e->source)) || !(t->cols = calloc(1, sizeof *t->cols)))
        return oom(err);
    t->n_cols = 1;
    mql_column *c = t->cols;
    c->type = MQL_COL_CATEGORICAL;
    c->n_rows = L;
    c->n_levels = L;
    c->n_distinct = L;
    if (!(c->name = mql_strdup(kc->name)) || !(c->levels = calloc(L ? L : 1, sizeof *c->levels)) ||
        !(c->level_count = calloc(L ? L : 1, sizeof *c->level_count)) ||
        !(c->code = malloc((L ? L : 1) * sizeof *c->code)))
        return oom(err);
    for (size_t i = 0; i < L; i++) {
        if (!(c->levels[i] = mql_strdup(kc->levels[i])))
            return oom(err);
        c->code[i] = (uint32_t)i;
        c->level_count[i] = 1;
    }
    return MQL_OK;
}

int mql_activity_load(const mql_activity_spec *spec, const mql_table *t, long created_col,
                      mql_activity **out, mql_err *err)
{
    *out = NULL;
    const char *ekey = spec->event_key ? spec->event_key : spec->key;
    long kcol = 0;
    int st = t ? mql_table_require(t, spec->key, &kcol, err) : MQL_OK;
    if (st)
        return st;
    mql_table *own = NULL;    /* without a leads table: the log's own keys are the leads */
    const char *const cat[] = {ekey, spec->type_col ? spec->type_col : "event_type"};
    mql_read_opts ro = {.delim = spec->delim, .categorical = cat, .n_categorical = 2};
    mql_table *e = NULL;
    mql_activity *a = calloc(1, sizeof *a);
    uint32_t *map = NULL;
    size_t *lead_of = NULL;
    long *level_lead = NULL;
    event_row *evs = NULL;
    if (!a || !(a->keys = calloc(1, sizeof *a->keys))) {
        free(a);
        return oom(err);
    }
    key_index *ki_p = a->keys;
    a->first_day = a->last_day = NAN;
    if (!(a->source = mql_strdup(spec->path))) {
        st = oom(err);
        goto done;
    }
    if ((st = mql_table_read(spec->path, &ro, &e, err)))
        goto done;
    long ek, tc, ct, cc = -1;
    if ((st = mql_table_require(e, ekey, &ek, err)))
        goto done;
    static const char *const type_names[] = {"event_type", "activity_type", "type", "event",
                                             "activity"};
    static const char *const time_names[] = {"timestamp", "occurred_at", "event_time", "time",
                                             "date", "created_at"};
    tc = detect(e, spec->type_col, type_names, 5, 0, "event type", ek, err, &st);
    if (st)
        goto done;
    ct = detect(e, spec->time_col, time_names, 6, 1, "event time", ek, err, &st);
    if (st)
        goto done;
    if (spec->count_col) {
        if ((st = mql_table_require(e, spec->count_col, &cc, err)))
            goto done;
    } else {
        cc = find_ci(e, "count");
    }
    if (e->cols[ct].type != MQL_COL_DATE) {
        st = mql_err_set(err, MQL_EDATA, "%s: column '%s' is not a date or timestamp (it reads "
                         "as %s)", spec->path, e->cols[ct].name,
                         mql_coltype_name(e->cols[ct].type));
        goto done;
    }
    if (cc >= 0 && e->cols[cc].type != MQL_COL_NUMERIC) {
        st = mql_err_set(err, MQL_EDATA, "%s: count column '%s' is not numeric (it reads as "
                         "%s)", spec->path, e->cols[cc].name, mql_coltype_name(e->cols[cc].type));
        goto done;
    }
    if (e->cols[tc].type != MQL_COL_CATEGORICAL && e->cols[tc].type != MQL_COL_ID &&
        (st = mql_column_to_categorical(&e->cols[tc], err)))
        goto done;
    if (!t) {
        if ((st = own_leads(e, ek, &own, err)))
            goto done;
        t = own;
        created_col = -1;
    }
    if ((st = key_index_build(t, kcol, ki_p, err)))
        goto done;

    /* Event types: the levels of the type column, sorted by name. */
    const mql_column *tcol = &e->cols[tc];
    a->n_types = tcol->n_levels;
    if (!(a->types = calloc(a->n_types ? a->n_types : 1, sizeof *a->types)) ||
        !(map = malloc((a->n_types ? a->n_types : 1) * sizeof *map))) {
        st = oom(err);
        goto done;
    }
    for (size_t k = 0; k < a->n_types; k++)
        if (!(a->types[k] = mql_strdup(tcol->levels[k]))) {
            st = oom(err);
            goto done;
        }
    qsort(a->types, a->n_types, sizeof *a->types, cmp_str);
    for (size_t k = 0; k < a->n_types; k++)
        map[k] = (uint32_t)mql_activity_type(a, tcol->levels[k]);

    /* Link rows to leads. */
    size_t n = e->n_rows, nl = t->n_rows;
    a->n_rows = n;
    a->n_leads = nl;
    if (!(lead_of = malloc((n ? n : 1) * sizeof *lead_of)) ||
        !(a->start = calloc(nl + 1, sizeof *a->start))) {
        st = oom(err);
        goto done;
    }
    const double *created = created_col >= 0 ? t->cols[created_col].num : NULL;
    /* The key column is read as text, so each distinct key is looked up once, not per row. */
    const mql_column *kc = &e->cols[ek];
    if (kc->code && !(level_lead = malloc((kc->n_levels ? kc->n_levels : 1) * sizeof *level_lead))) {
        st = oom(err);
        goto done;
    }
    for (size_t l = 0; level_lead && l < kc->n_levels; l++) {
        char *key = mql_trim_dup(kc->levels[l]);
        if (!key) {
            st = oom(err);
            goto done;
        }
        level_lead[l] = key_find(ki_p, key);
        free(key);
    }
    for (size_t r = 0; r < n; r++) {
        lead_of[r] = SIZE_MAX;
        long lead;
        if (level_lead) {
            if (kc->code[r] == MQL_NA_CODE) {
                a->n_no_key++;
                continue;
            }
            lead = level_lead[kc->code[r]];
        } else {
            int fail = 0;
            char *key = cell_key(kc, r, err, &fail);
            if (fail) {
                st = fail;
                goto done;
            }
            if (!key) {
                a->n_no_key++;
                continue;
            }
            lead = key_find(ki_p, key);
            free(key);
        }
        if (lead < 0) {
            if (!a->n_unknown_key++) {
                char buf[512];
                mql_cell_text(kc, r, buf, sizeof buf);
                snprintf(a->unknown_example, sizeof a->unknown_example, "%.63s", buf);
                a->unknown_line = r + 2;
            }
            continue;
        }
        double tm = e->cols[ct].num[r];
        if (isnan(tm)) {
            a->n_no_time++;
            continue;
        }
        if (tcol->code[r] == MQL_NA_CODE) {
            a->n_no_type++;
            continue;
        }
        double c = cc >= 0 ? e->cols[cc].num[r] : 1.0;
        if (isnan(c))
            c = 1.0;
        if (c < 0 || !isfinite(c)) {
            st = mql_err_set(err, MQL_EDATA, "%s:%zu: column '%s': a count must be 0 or more",
                             spec->path, r + 2, e->cols[cc].name);
            goto done;
        }
        lead_of[r] = (size_t)lead;
        a->start[lead + 1]++;
        a->n_events++;
        if (created && !isnan(created[lead]) && tm < floor(created[lead]))
            a->n_before_created++;
        if (isnan(a->first_day) || tm < a->first_day)
            a->first_day = tm;
        if (isnan(a->last_day) || tm > a->last_day)
            a->last_day = tm;
    }
    if (!a->n_events) {
        st = mql_err_set(err, MQL_EDATA, "%s: none of its %zu events belongs to a lead of %s "
                         "(by '%s'; first key seen: '%s')", spec->path, n,
                         own ? spec->path : t->source, spec->key, a->unknown_example);
        goto done;
    }
    for (size_t i = 0; i < nl; i++)
        a->start[i + 1] += a->start[i];
    size_t m = a->n_events;
    if (!(evs = malloc(m * sizeof *evs)) || !(a->time = malloc(m * sizeof *a->time)) ||
        !(a->type = malloc(m * sizeof *a->type)) || !(a->count = malloc(m * sizeof *a->count))) {
        st = oom(err);
        goto done;
    }
    size_t *fillp = malloc((nl ? nl : 1) * sizeof *fillp);
    if (!fillp) {
        st = oom(err);
        goto done;
    }
    memcpy(fillp, a->start, nl * sizeof *fillp);
    for (size_t r = 0; r < n; r++) {
        if (lead_of[r] == SIZE_MAX)
            continue;
        size_t at = fillp[lead_of[r]]++;
        evs[at].time = e->cols[ct].num[r];
        evs[at].type = map[tcol->code[r]];
        evs[at].count = cc >= 0 && !isnan(e->cols[cc].num[r]) ? e->cols[cc].num[r] : 1.0;
    }
    free(fillp);
    for (size_t i = 0; i < nl; i++) {
        size_t b = a->start[i], c = a->start[i + 1];
        if (c - b > 1)
            qsort(evs + b, c - b, sizeof *evs, cmp_ev);
    }
    for (size_t i = 0; i < m; i++) {
        a->time[i] = evs[i].time;
        a->type[i] = evs[i].type;
        a->count[i] = evs[i].count;
    }
    st = MQL_OK;
done:
    free(evs);
    free(lead_of);
    free(level_lead);
    free(map);
    mql_table_free(e);
    mql_table_free(own);
    if (st) {
        mql_activity_free(a);
        return st;
    }
    *out = a;
    return MQL_OK;
}

/* ==== snapshots ============================================================================== */

void mql_snapshots_free(mql_snapshots *s)
{
    if (!s)
        return;
    free(s->lead);
    free(s->at);
    free(s->y);
    free(s->censored);
    free(s);
}

/* Appends one snapshot, growing the arrays. */
static int snap_push(mql_snapshots *s, size_t *cap, size_t lead, double at, int y, int cens)
{
    if (s->n == *cap) {
        size_t nc = *cap ? 2 * *cap : 1024;
        size_t *l = realloc(s->lead, nc * sizeof *l);
        if (l)
            s->lead = l;
        double *a = realloc(s->at, nc * sizeof *a);
        if (a)
            s->at = a;
        unsigned char *yy = realloc(s->y, nc);
        if (yy)
            s->y = yy;
        unsigned char *c = realloc(s->censored, nc);
        if (c)
            s->censored = c;
        if (!l || !a || !yy || !c)
            return MQL_ENOMEM;
        *cap = nc;
    }
    s->lead[s->n] = lead;
    s->at[s->n] = at;
    s->y[s->n] = (unsigned char)y;
    s->censored[s->n] = (unsigned char)cens;
    s->n_censored += cens != 0;
    s->n++;
    return MQL_OK;
}

int mql_snapshots_build(const mql_table *t, long created_col, const unsigned char *y,
                        const double *won_day, const mql_snap_spec *spec, mql_snapshots **out,
                        mql_err *err)
{
    *out = NULL;
    const double *created = NULL;
    if (created_col >= 0 && (size_t)created_col < t->n_cols &&
        t->cols[created_col].type == MQL_COL_DATE)
        created = t->cols[created_col].num;
    if (!created && spec->mode != MQL_SNAP_AS_OF_DATE)
        return mql_err_set(err, MQL_EUSAGE, "snapshots as of an offset from creation need the "
                           "lead created date (--date)");
    if (spec->mode == MQL_SNAP_PANEL) {
        if (!won_day)
            return mql_err_set(err, MQL_EUSAGE, "periodic snapshots need the day each lead "
                               "converted: give the outcome as a date column (--outcome "
                               "won_date) or --won-date COL");
        if (!(spec->every > 0) || !(spec->horizon > 0))
            return mql_err_set(err, MQL_EUSAGE, "periodic snapshots need --snapshot-every and "
                               "--horizon-days above 0");
    }
    if (spec->mode == MQL_SNAP_AS_OF_DAYS && !(spec->as_of_days >= 0))
        return mql_err_set(err, MQL_EUSAGE, "--as-of-days must be 0 or more");
    mql_snapshots *s = calloc(1, sizeof *s);
    if (!s)
        return oom(err);
    size_t cap = 0;
    double end = spec->end_day;
    int rc = MQL_OK;
    for (size_t i = 0; i < t->n_rows && rc == MQL_OK; i++) {
        double c = created ? created[i] : NAN;
        double won = won_day ? won_day[i] : NAN;
        int yi = y ? y[i] != 0 : 0;
        if (spec->mode == MQL_SNAP_AS_OF_DATE) {
            if (!isnan(c) && c > spec->as_of)
                continue;     /* not created yet at that moment */
            rc = snap_push(s, &cap, i, spec->as_of, yi, 0);
            continue;
        }
        if (isnan(c)) {
            s->n_no_date++;
            continue;
        }
        if (spec->mode == MQL_SNAP_AS_OF_DAYS) {
            double at = c + spec->as_of_days;
            if (!isnan(end) && at > end) {
                rc = snap_push(s, &cap, i, at, yi, 1);   /* not even at its moment yet */
                continue;
            }
            if (!isnan(won) && won < at) {
                s->n_converted_before++;
                continue;
            }
            int cens = !isnan(end) && spec->horizon > 0 && isnan(won) && at + spec->horizon > end;
            rc = snap_push(s, &cap, i, at, yi, cens);
            continue;
        }
        /* PANEL: moments c, c + every, ... while open and not after the data's end. */
        for (double at = c; rc == MQL_OK; at += spec->every) {
            if (!isnan(end) && at > end)
                break;
            if (!isnan(won) && won < at)
                break;                                   /* converted: no longer open */
            int conv = !isnan(won) && won < at + spec->horizon;
            int cens = !conv && !isnan(end) && at + spec->horizon > end;
            rc = snap_push(s, &cap, i, at, conv, cens);
        }
    }
    if (rc) {
        mql_snapshots_free(s);
        return oom(err);
    }
    *out = s;
    return MQL_OK;
}

void mql_activity_feature(const mql_activity *a, const mql_snapshots *snaps, size_t k,
                          const mql_decay *d, double *x)
{
    for (size_t s = 0; s < snaps->n; s++)
        x[s] = mql_activity_value(a, snaps->lead[s], k, d, snaps->at[s]);
}

/* ==== profile likelihood of a half-life ====================================================== */

#define GRID_N 24
#define CHI2_95 3.841458820694124

static int ll_at(mql_decay_loglik_fn fn, void *ctx, size_t k, mql_decay_kind kind, double days,
                 double *ll, size_t *evals, mql_err *err)
{
    mql_decay d = {kind, days};
    (*evals)++;
    int st = fn(ctx, k, &d, ll, err);
    if (!st && isnan(*ll))
        *ll = -INFINITY;
    return st;
}

static double grid_days(size_t i)
{
    return exp(log(MQL_DECAY_MIN_DAYS) +
               (log(MQL_DECAY_MAX_DAYS) - log(MQL_DECAY_MIN_DAYS)) * (double)i / (GRID_N - 1));
}

/* Bisection on log(days) in [a, b] for the point where ll crosses target (ll(a) and ll(b) on
 * either side), to 0.5% of the half-life. */
static int cross(mql_decay_loglik_fn fn, void *ctx, size_t k, double a, double b, double target,
                 double *at, size_t *evals, mql_err *err)
{
    double la = log(a), lb = log(b), lla;
    int st = ll_at(fn, ctx, k, MQL_DECAY_HALF_LIFE, a, &lla, evals, err);
    if (st)
        return st;
    int a_above = lla >= target;
    while (fabs(lb - la) > 0.005) {
        double lm = 0.5 * (la + lb), llm;
        if ((st = ll_at(fn, ctx, k, MQL_DECAY_HALF_LIFE, exp(lm), &llm, evals, err)))
            return st;
        if ((llm >= target) == a_above)
            la = lm;
        else
            lb = lm;
    }
    *at = exp(0.5 * (la + lb));
    return MQL_OK;
}

int mql_decay_profile(mql_decay_loglik_fn fn, void *ctx, size_t k, mql_decay_fit *out,
                      mql_err *err)
{
    memset(out, 0, sizeof *out);
    double ll[GRID_N], llw[GRID_N];
    size_t ev = 0;
    int st;
    for (size_t i = 0; i < GRID_N; i++)
        if ((st = ll_at(fn, ctx, k, MQL_DECAY_HALF_LIFE, grid_days(i), &ll[i], &ev, err)) ||
            (st = ll_at(fn, ctx, k, MQL_DECAY_WINDOW, grid_days(i), &llw[i], &ev, err)))
            return st;
    if ((st = ll_at(fn, ctx, k, MQL_DECAY_NONE, 0, &out->loglik_none, &ev, err)))
        return st;
    size_t bi = 0, bw = 0;
    for (size_t i = 1; i < GRID_N; i++) {
        if (ll[i] > ll[bi])
            bi = i;
        if (llw[i] > llw[bw])
            bw = i;
    }
    out->best_window = (mql_decay){MQL_DECAY_WINDOW, grid_days(bw)};
    out->loglik_window = llw[bw];

    /* Golden-section search on log(days) between the neighbours of the best grid point. */
    double lo = log(grid_days(bi > 0 ? bi - 1 : 0)), hi = log(grid_days(bi + 1 < GRID_N ? bi + 1 : bi));
    const double g = 0.6180339887498949;
    double x1 = hi - g * (hi - lo), x2 = lo + g * (hi - lo), f1, f2;
    if ((st = ll_at(fn, ctx, k, MQL_DECAY_HALF_LIFE, exp(x1), &f1, &ev, err)) ||
        (st = ll_at(fn, ctx, k, MQL_DECAY_HALF_LIFE, exp(x2), &f2, &ev, err)))
        return st;
    while (hi - lo > 0.005) {
        if (f1 >= f2) {
            hi = x2;
            x2 = x1;
            f2 = f1;
            x1 = hi - g * (hi - lo);
            if ((st = ll_at(fn, ctx, k, MQL_DECAY_HALF_LIFE, exp(x1), &f1, &ev, err)))
                return st;
        } else {
            lo = x1;
            x1 = x2;
            f1 = f2;
            x2 = lo + g * (hi - lo);
            if ((st = ll_at(fn, ctx, k, MQL_DECAY_HALF_LIFE, exp(x2), &f2, &ev, err)))
                return st;
        }
    }
    double best_days = exp(f1 >= f2 ? x1 : x2), best_ll = f1 >= f2 ? f1 : f2;
    if (ll[bi] > best_ll) {
        best_days = grid_days(bi);
        best_ll = ll[bi];
    }
    if (out->loglik_none >= best_ll) {
        /* No decay fits at least as well as any half-life up to the grid's end. */
        out->best = (mql_decay){MQL_DECAY_NONE, 0};
        out->loglik = out->loglik_none;
    } else {
        out->best = (mql_decay){MQL_DECAY_HALF_LIFE, best_days};
        out->loglik = best_ll;
    }

    /* The interval: where 2 (best - ll) reaches the 95% chi-square(1) quantile on each side. */
    double target = out->loglik - CHI2_95 / 2.0;
    double center = out->best.kind == MQL_DECAY_HALF_LIFE ? best_days : MQL_DECAY_MAX_DAYS;
    /* lower end: the last grid point below center with ll under target */
    long below = -1;
    for (long i = GRID_N - 1; i >= 0; i--)
        if (grid_days((size_t)i) < center && ll[i] < target) {
            below = i;
            break;
        }
    if (below < 0) {
        out->lo = MQL_DECAY_MIN_DAYS;
        out->lo_open = 1;
    } else {
        double b = grid_days((size_t)below + 1 < GRID_N ? (size_t)below + 1 : (size_t)below);
        if (b > center)
            b = center;
        if ((st = cross(fn, ctx, k, grid_days((size_t)below), b, target, &out->lo, &ev, err)))
            return st;
    }
    long above = -1;
    for (size_t i = 0; i < GRID_N; i++)
        if (grid_days(i) > center && ll[i] < target) {
            above = (long)i;
            break;
        }
    if (above < 0 || out->best.kind == MQL_DECAY_NONE) {
        /* Long half-lives stay inside; when no decay is inside too, the interval is open. */
        if (out->loglik_none >= target) {
            out->hi = INFINITY;
            out->hi_open = 1;
        } else {
            out->hi = MQL_DECAY_MAX_DAYS;
            out->hi_open = 1;
        }
    } else {
        double a = grid_days((size_t)above - 1);
        if (a < center)
            a = center;
        if ((st = cross(fn, ctx, k, a, grid_days((size_t)above), target, &out->hi, &ev, err)))
            return st;
    }
    out->n_evals = ev;
    return MQL_OK;
}
