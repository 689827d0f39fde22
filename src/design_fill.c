/* design_fill.c: a bound design's rows, as dense rows (mql_design_fill: p doubles per row;
 * mql_design_fill_cols: the same column-major) or in glm.h's coded layout (mql_design_fill_coded:
 * one column index per coded feature, the few numeric values dense), the same matrix each way. */
#include "mqlcal/design.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Rows are written in blocks small enough to stay in cache while every feature visits them,
 * so each feature's loop is branch-light and the output is written once. */
#define FILL_BLOCK 64

static void fill_codes(const mql_bound_feature *bf, const mql_feature *f, size_t r0, size_t m,
                       double *x, size_t p)
{
    const uint32_t *code = bf->col->code + r0;
    const int32_t *map = bf->code_term;
    size_t nt = f->n_terms, L = bf->n_codes;
    int32_t na = bf->na_term;
    for (size_t r = 0; r < m; r++) {
        double *xr = x + r * p + f->term0;
        for (size_t k = 0; k < nt; k++)
            xr[k] = 0.0;
        uint32_t c = code[r];
        int32_t o = c == MQL_NA_CODE ? na : c < L ? map[c] : -1;
        if (o >= 0)
            xr[o] = 1.0;
    }
}

/* LINEAR (value, missing imputed 0) and BOOLEAN (indicator of a non-zero value) over num[].
 * One loop per case keeps the inner loops free of encoding tests. */
static void fill_value(const mql_bound_feature *bf, const mql_feature *f, size_t r0, size_t m,
                       double *x, size_t p)
{
    const double *v = bf->col->num + r0;
    double *xc = x + f->term0;
    if (f->enc == MQL_ENC_BOOLEAN) {
        for (size_t r = 0; r < m; r++) {
            double a = v[r];
            xc[r * p] = a == a && a != 0.0;
            if (f->has_missing)
                xc[r * p + 1] = a != a;
        }
    } else if (f->has_missing) {
        for (size_t r = 0; r < m; r++) {
            double a = v[r];
            int miss = a != a;   /* NaN */
            xc[r * p] = miss ? 0.0 : a;
            xc[r * p + 1] = miss;
        }
    } else {
        for (size_t r = 0; r < m; r++) {
            double a = v[r];
            xc[r * p] = a == a ? a : 0.0;
        }
    }
}

static void fill_bins(const mql_bound_feature *bf, const mql_feature *f, size_t r0, size_t m,
                      double *x, size_t p)
{
    const double *v = bf->col->num + r0;
    size_t nt = f->n_terms, nc = f->n_cuts;
    for (size_t r = 0; r < m; r++) {
        double *xr = x + r * p + f->term0;
        for (size_t k = 0; k < nt; k++)
            xr[k] = 0.0;
        double a = v[r];
        if (isnan(a)) {
            if (f->has_missing)
                xr[nc] = 1.0;
        } else {
            size_t bin = mql_design_bin_of(f->cuts, nc, a);
            if (bin > 0)
                xr[bin - 1] = 1.0;
        }
    }
}

int mql_design_fill(void *ctx, size_t row0, size_t m, double *x, mql_err *err)
{
    const mql_design_binding *b = ctx;
    const mql_design *d = b->design;
    if (row0 > b->n_rows || m > b->n_rows - row0)
        return mql_err_set(err, MQL_EDATA, "design: rows %zu..%zu out of range (%zu rows)", row0,
                           row0 + m, b->n_rows);
    size_t p = d->p;
    for (size_t b0 = 0; b0 < m; b0 += FILL_BLOCK) {
        size_t bm = m - b0 < FILL_BLOCK ? m - b0 : FILL_BLOCK;
        double *xb = x + b0 * p;
        size_t r0 = row0 + b0;
        for (size_t r = 0; r < bm; r++)
            xb[r * p] = 1.0;
        for (size_t i = 0; i < d->n_features; i++) {
            const mql_feature *f = &d->features[i];
            const mql_bound_feature *bf = &b->f[i];
            if (bf->by_code)
                fill_codes(bf, f, r0, bm, xb, p);
            else if (f->enc == MQL_ENC_BINNED)
                fill_bins(bf, f, r0, bm, xb, p);
            else
                fill_value(bf, f, r0, bm, xb, p);
        }
        for (size_t k = 0; k < d->n_ix; k++) {
            const mql_interaction *ix = &d->ix[k];
            size_t ja = d->features[ix->a].term0, jb = d->features[ix->b].term0;
            for (size_t r = 0; r < bm; r++) {
                double *xr = xb + r * p;
                for (size_t c = 0; c < ix->n_cells; c++)
                    xr[ix->term0 + c] = xr[ja + ix->ta[c]] * xr[jb + ix->tb[c]];
            }
        }
    }
    return MQL_OK;
}

/* ==== column-major rows ==================================================================== */

/* The dense IRLS passes read a chunk column by column (mql_glm_fill_cols_fn): each feature's
 * columns are written as contiguous runs from its table column, with no transpose. Every value
 * equals mql_design_fill's. */
static void cols_codes(const mql_bound_feature *bf, const mql_feature *f, size_t r0, size_t m,
                       size_t step, double *x, size_t ld)
{
    const uint32_t *code = bf->col->code + r0;
    const int32_t *map = bf->code_term;
    size_t L = bf->n_codes;
    int32_t na = bf->na_term;
    double *xf = x + f->term0 * ld;
    for (size_t k = 0; k < f->n_terms; k++)
        memset(xf + k * ld, 0, m * sizeof *xf);
    for (size_t r = 0; r < m; r++) {
        uint32_t c = code[r * step];
        int32_t o = c == MQL_NA_CODE ? na : c < L ? map[c] : -1;
        if (o >= 0)
            xf[(size_t)o * ld + r] = 1.0;
    }
}

static void cols_value(const mql_bound_feature *bf, const mql_feature *f, size_t r0, size_t m,
                       size_t step, double *x, size_t ld)
{
    const double *v = bf->col->num + r0;
    double *xc = x + f->term0 * ld, *xm = xc + ld;
    if (f->enc == MQL_ENC_BOOLEAN) {
        for (size_t r = 0; r < m; r++)
            xc[r] = v[r * step] == v[r * step] && v[r * step] != 0.0;
    } else if (step == 1 && bf->col->n_missing == 0) {
        memcpy(xc, v, m * sizeof *xc);   /* no NaN to replace */
    } else if (step == 1) {
        for (size_t r = 0; r < m; r++)
            xc[r] = v[r] == v[r] ? v[r] : 0.0;
    } else {
        for (size_t r = 0; r < m; r++)
            xc[r] = v[r * step] == v[r * step] ? v[r * step] : 0.0;
    }
    if (f->has_missing)
        for (size_t r = 0; r < m; r++)
            xm[r] = v[r * step] != v[r * step];
}

static void cols_bins(const mql_bound_feature *bf, const mql_feature *f, size_t r0, size_t m,
                      size_t step, double *x, size_t ld)
{
    const double *v = bf->col->num + r0;
    size_t nc = f->n_cuts;
    double *xf = x + f->term0 * ld;
    for (size_t k = 0; k < f->n_terms; k++)
        memset(xf + k * ld, 0, m * sizeof *xf);
    for (size_t r = 0; r < m; r++) {
        double a = v[r * step];
        if (isnan(a)) {
            if (f->has_missing)
                xf[nc * ld + r] = 1.0;
        } else {
            size_t bin = mql_design_bin_of(f->cuts, nc, a);
            if (bin > 0)
                xf[(bin - 1) * ld + r] = 1.0;
        }
    }
}

int mql_design_fill_cols(void *ctx, size_t row0, size_t m, size_t step, double *x, size_t ld,
                         mql_err *err)
{
    const mql_design_binding *b = ctx;
    const mql_design *d = b->design;
    if (step == 0 || ld < m)
        return mql_err_set(err, MQL_EUSAGE, "design: step %zu or leading dimension %zu < %zu "
                           "rows", step, ld, m);
    if (m > 0 && (row0 >= b->n_rows || (m - 1) > (b->n_rows - 1 - row0) / step))
        return mql_err_set(err, MQL_EDATA, "design: %zu rows from %zu, every %zu, out of range "
                           "(%zu rows)", m, row0, step, b->n_rows);
    for (size_t r = 0; r < m; r++)
        x[r] = 1.0;
    for (size_t i = 0; i < d->n_features; i++) {
        const mql_feature *f = &d->features[i];
        const mql_bound_feature *bf = &b->f[i];
        if (bf->by_code)
            cols_codes(bf, f, row0, m, step, x, ld);
        else if (f->enc == MQL_ENC_BINNED)
            cols_bins(bf, f, row0, m, step, x, ld);
        else
            cols_value(bf, f, row0, m, step, x, ld);
    }
    for (size_t k = 0; k < d->n_ix; k++) {
        const mql_interaction *ix = &d->ix[k];
        size_t ja = d->features[ix->a].term0, jb = d->features[ix->b].term0;
        for (size_t c = 0; c < ix->n_cells; c++) {
            const double *xa = x + (ja + ix->ta[c]) * ld, *xb = x + (jb + ix->tb[c]) * ld;
            double *xo = x + (ix->term0 + c) * ld;
            for (size_t r = 0; r < m; r++)
                xo[r] = xa[r] * xb[r];
        }
    }
    return MQL_OK;
}

/* ==== the coded layout ===================================================================== */

typedef enum slot_kind {
    SLOT_CODE,                 /* a feature read through level codes (categorical, boolean text) */
    SLOT_BOOL,                 /* a boolean feature read from num[] */
    SLOT_MISSING,              /* the "(missing)" term of a LINEAR feature */
    SLOT_BIN,                  /* a binned numeric feature */
    SLOT_IX                    /* an interaction's cell */
} slot_kind;

typedef struct slot {
    slot_kind kind;
    size_t feature;            /* the feature (SLOT_IX: the interaction) */
    uint32_t *col;             /* SLOT_CODE: design column per level code (p: none);
                                  SLOT_IX: per (term of a, term of b), n_terms + 1 each way, the
                                  last standing for none */
    uint32_t term0, na;        /* the feature's first column; its "(missing)" column or p */
    size_t sa, sb;             /* SLOT_IX: the slots of features a and b */
    uint32_t a0, b0, na1, nb1; /* SLOT_IX: their first columns and n_terms + 1 */
} slot;

struct mql_design_slots {
    size_t k, md;
    slot *s;                   /* k */
    size_t *dense;             /* md design columns: 0, then the LINEAR values */
    size_t *dense_feature;     /* md: their features (entry 0 unused) */
};

void mql_design_slots_free(struct mql_design_slots *s)
{
    if (!s)
        return;
    for (size_t i = 0; s->s && i < s->k; i++)
        free(s->s[i].col);
    free(s->s);
    free(s->dense);
    free(s->dense_feature);
    free(s);
}

/* Fills the slot of feature i (not LINEAR): its columns and, for codes, one column per code. */
static int slot_feature(const mql_design_binding *b, size_t i, size_t p, slot *sl)
{
    const mql_feature *f = &b->design->features[i];
    const mql_bound_feature *bf = &b->f[i];
    sl->feature = i;
    sl->term0 = (uint32_t)f->term0;
    sl->na = f->has_missing ? (uint32_t)(f->term0 + f->n_terms - 1) : (uint32_t)p;
    if (bf->by_code) {
        sl->kind = SLOT_CODE;
        sl->na = bf->na_term >= 0 ? (uint32_t)(f->term0 + (size_t)bf->na_term) : (uint32_t)p;
        if (!(sl->col = malloc((bf->n_codes ? bf->n_codes : 1) * sizeof *sl->col)))
            return MQL_ENOMEM;
        for (size_t c = 0; c < bf->n_codes; c++)
            sl->col[c] = bf->code_term[c] >= 0 ? (uint32_t)(f->term0 + (size_t)bf->code_term[c])
                                               : (uint32_t)p;
    } else {
        sl->kind = f->enc == MQL_ENC_BINNED ? SLOT_BIN : SLOT_BOOL;
    }
    return MQL_OK;
}

/* The slot of interaction x: a table from the two features' terms (or none) to its cells. */
static int slot_ix(const mql_design *d, size_t x, const size_t *feature_slot, size_t p, slot *sl)
{
    const mql_interaction *ix = &d->ix[x];
    const mql_feature *fa = &d->features[ix->a], *fb = &d->features[ix->b];
    sl->kind = SLOT_IX;
    sl->feature = x;
    sl->sa = feature_slot[ix->a];
    sl->sb = feature_slot[ix->b];
    sl->a0 = (uint32_t)fa->term0;
    sl->b0 = (uint32_t)fb->term0;
    sl->na1 = (uint32_t)fa->n_terms + 1;
    sl->nb1 = (uint32_t)fb->n_terms + 1;
    size_t cells = (size_t)sl->na1 * sl->nb1;
    if (!(sl->col = malloc(cells * sizeof *sl->col)))
        return MQL_ENOMEM;
    for (size_t c = 0; c < cells; c++)
        sl->col[c] = (uint32_t)p;
    for (size_t c = 0; c < ix->n_cells; c++) {
        uint32_t *at = &sl->col[ix->ta[c] * sl->nb1 + ix->tb[c]];
        if (*at != (uint32_t)p)
            return MQL_EDATA;
        *at = (uint32_t)(ix->term0 + c);
    }
    return MQL_OK;
}

int mql_design_coded(mql_design_binding *b, mql_glm_coded *out, mql_err *err)
{
    const mql_design *d = b->design;
    if (!b->slots) {
        size_t p = d->p, nf = d->n_features;
        struct mql_design_slots *s = calloc(1, sizeof *s);
        size_t *feature_slot = malloc((nf ? nf : 1) * sizeof *feature_slot);
        size_t cap = 2 * nf + d->n_ix + 1;
        int rc = MQL_OK;
        if (!s || !feature_slot || !(s->s = calloc(cap, sizeof *s->s)) ||
            !(s->dense = malloc((nf + 1) * sizeof *s->dense)) ||
            !(s->dense_feature = malloc((nf + 1) * sizeof *s->dense_feature)))
            rc = MQL_ENOMEM;
        if (rc == MQL_OK) {
            s->dense[s->md++] = 0;
            for (size_t i = 0; i < nf && rc == MQL_OK; i++) {
                const mql_feature *f = &d->features[i];
                feature_slot[i] = s->k;
                if (!b->f[i].by_code && f->enc == MQL_ENC_LINEAR) {
                    s->dense_feature[s->md] = i;
                    s->dense[s->md++] = f->term0;
                    if (f->has_missing)
                        s->s[s->k++] = (slot){.kind = SLOT_MISSING, .feature = i,
                                              .na = (uint32_t)(f->term0 + 1)};
                } else {
                    rc = slot_feature(b, i, p, &s->s[s->k++]);
                }
            }
            for (size_t x = 0; x < d->n_ix && rc == MQL_OK; x++)
                rc = slot_ix(d, x, feature_slot, p, &s->s[s->k++]);
        }
        free(feature_slot);
        if (rc != MQL_OK) {
            mql_design_slots_free(s);
            return rc == MQL_EDATA
                       ? mql_err_set(err, MQL_EDATA, "design: an interaction lists a cell twice")
                       : mql_err_set(err, MQL_ENOMEM, "out of memory");
        }
        b->slots = s;
    }
    *out = (mql_glm_coded){b->slots->k, b->slots->md, b->slots->dense, mql_design_fill_coded, b};
    return MQL_OK;
}

/* Slot si's column for rows [r0, r0 + m) into idx[r * k + si]. */
static void fill_slot(const mql_design_binding *b, size_t si, size_t r0, size_t m, uint32_t *idx,
                      size_t k)
{
    const slot *sl = &b->slots->s[si];
    uint32_t none = (uint32_t)b->p;
    uint32_t *out = idx + si;
    if (sl->kind == SLOT_IX) {
        /* the features' slots precede the interactions', so this row's are filled */
        for (size_t r = 0; r < m; r++) {
            uint32_t ja = idx[r * k + sl->sa], jb = idx[r * k + sl->sb];
            uint32_t ta = ja == none ? sl->na1 - 1 : ja - sl->a0;
            uint32_t tb = jb == none ? sl->nb1 - 1 : jb - sl->b0;
            out[r * k] = sl->col[(size_t)ta * sl->nb1 + tb];
        }
        return;
    }
    const mql_bound_feature *bf = &b->f[sl->feature];
    if (sl->kind == SLOT_CODE) {
        const uint32_t *code = bf->col->code + r0;
        size_t L = bf->n_codes;
        for (size_t r = 0; r < m; r++) {
            uint32_t c = code[r];
            out[r * k] = c < L ? sl->col[c] : c == MQL_NA_CODE ? sl->na : none;
        }
        return;
    }
    const double *v = bf->col->num + r0;
    if (sl->kind == SLOT_BOOL) {
        for (size_t r = 0; r < m; r++) {
            double a = v[r];
            out[r * k] = a != a ? sl->na : a != 0.0 ? sl->term0 : none;
        }
    } else if (sl->kind == SLOT_MISSING) {
        for (size_t r = 0; r < m; r++)
            out[r * k] = v[r] != v[r] ? sl->na : none;
    } else {
        const mql_feature *f = &b->design->features[sl->feature];
        for (size_t r = 0; r < m; r++) {
            double a = v[r];
            size_t bin = a != a ? 0 : mql_design_bin_of(f->cuts, f->n_cuts, a);
            out[r * k] = a != a ? sl->na : bin > 0 ? sl->term0 + (uint32_t)bin - 1 : none;
        }
    }
}

int mql_design_fill_coded(void *ctx, size_t row0, size_t m, uint32_t *idx, double *xd,
                          mql_err *err)
{
    const mql_design_binding *b = ctx;
    const struct mql_design_slots *s = b->slots;
    if (!s || row0 > b->n_rows || m > b->n_rows - row0)
        return mql_err_set(err, MQL_EDATA, "design: rows %zu..%zu out of range (%zu rows)", row0,
                           row0 + m, b->n_rows);
    size_t k = s->k, md = s->md;
    for (size_t b0 = 0; b0 < m; b0 += FILL_BLOCK) {
        size_t bm = m - b0 < FILL_BLOCK ? m - b0 : FILL_BLOCK;
        size_t r0 = row0 + b0;
        for (size_t si = 0; idx && si < k; si++)
            fill_slot(b, si, r0, bm, idx + b0 * k, k);
        double *xb = xd + b0 * md;
        for (size_t r = 0; r < bm; r++)
            xb[r * md] = 1.0;
        for (size_t a = 1; a < md; a++) {
            const double *v = b->f[s->dense_feature[a]].col->num + r0;
            for (size_t r = 0; r < bm; r++)
                xb[r * md + a] = v[r] == v[r] ? v[r] : 0.0;
        }
    }
    return MQL_OK;
}
