/* fuzz_csv.c: a lead export through everything a fit does. The first byte steers the run (which
 * column is the outcome, pooling, ridge), the rest is the CSV. Checks: the one-thread and the
 * parallel reader give the same status, message and table; a fit's exported rules score every
 * training lead as the model does (the self-check may not fail); the model JSON reads back to
 * the same bytes and scores; the table scorer and the streaming scorer agree on every lead. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_common.h"
#include "mqlcal/csv.h"
#include "mqlcal/table.h"

/* Aborts when the two tables differ in any cell, name, type or level order. */
static void same_table(const mql_table *a, const mql_table *b)
{
    if (a->n_rows != b->n_rows || a->n_cols != b->n_cols || a->delim != b->delim ||
        a->hash != b->hash)
        fuzz_fail("readers disagree on shape: %zu x %zu vs %zu x %zu", a->n_rows, a->n_cols,
                  b->n_rows, b->n_cols);
    for (size_t j = 0; j < a->n_cols; j++) {
        const mql_column *x = &a->cols[j], *y = &b->cols[j];
        if (strcmp(x->name, y->name) != 0 || x->type != y->type ||
            x->n_levels != y->n_levels || x->n_missing != y->n_missing)
            fuzz_fail("readers disagree on column %zu ('%s' %s, %zu levels / '%s' %s, %zu)", j,
                      x->name, mql_coltype_name(x->type), x->n_levels, y->name,
                      mql_coltype_name(y->type), y->n_levels);
        for (size_t l = 0; l < x->n_levels; l++)
            if (strcmp(x->levels[l], y->levels[l]) != 0)
                fuzz_fail("readers disagree on level %zu of column '%s'", l, x->name);
        for (size_t i = 0; i < a->n_rows; i++) {
            char p[512], q[512];
            mql_cell_text(x, i, p, sizeof p);
            mql_cell_text(y, i, q, sizeof q);
            if (strcmp(p, q) != 0)
                fuzz_fail("readers disagree on row %zu of '%s': '%s' vs '%s'", i, x->name, p, q);
        }
    }
}

/* The model written as JSON into a malloc'd buffer (*n bytes); NULL on failure. */
static char *model_json(const mql_model *m, size_t *n)
{
    char *buf = NULL;
    FILE *f = open_memstream(&buf, n);
    if (!f)
        fuzz_fail("out of memory");
    mql_err err;
    int st = mql_model_write(m, f, &err);
    fclose(f);
    if (st) {
        free(buf);
        if (st == MQL_ENOMEM)
            return NULL;
        fuzz_fail("a trained model cannot be written: %s", err.msg);
    }
    return buf;
}

static void round_trip(const mql_model *m, const mql_table *t)
{
    size_t n1, n2;
    char *j1 = model_json(m, &n1);
    if (!j1)
        return;
    const char *path = fuzz_write_file("model", j1, n1);
    mql_model *back = NULL;
    mql_err err;
    if (!path)
        fuzz_fail("scratch file");
    if (mql_model_read(path, &back, &err))
        fuzz_fail("a written model does not read back: %s", err.msg);
    char *j2 = model_json(back, &n2);
    if (j2 && (n1 != n2 || memcmp(j1, j2, n1) != 0)) {
        size_t at = 0;
        while (at < n1 && at < n2 && j1[at] == j2[at])
            at++;
        size_t from = at > 200 ? at - 200 : 0;
        fuzz_fail("model JSON changes on a round trip (%zu vs %zu bytes) at byte %zu:\n"
                  "--- first:\n%.400s\n--- second:\n%.400s", n1, n2, at, j1 + from, j2 + from);
    }
    if (m->points && back->points)
        fuzz_compare_models(m->points, back->points, t);
    free(j1);
    free(j2);
    mql_model_free(back);
}

static void fit_column(const mql_table *t, const char *leads, size_t oc, unsigned ctl)
{
    mql_flag_spec spec = {0};
    mql_err err;
    if (mql_flag_spec_parse(t->cols[oc].name, &spec, &err))
        return;
    unsigned char *y = calloc(t->n_rows ? t->n_rows : 1, 1);
    if (!y)
        fuzz_fail("out of memory");
    size_t pos = 0;
    if (mql_flag_eval(t, &spec, y, &err) == MQL_OK)
        for (size_t i = 0; i < t->n_rows; i++)
            pos += y[i];
    mql_flag_spec_clear(&spec);
    if (pos == 0 || pos == t->n_rows) {
        free(y);
        return;
    }
    mql_design_opts dopts;
    mql_design_opts_init(&dopts);
    mql_glm_opts gopts;
    mql_glm_opts_default(&gopts);
    gopts.threads = 1;
    dopts.min_level_count = (ctl >> 1) & 3;        /* 0..3: rare levels pool often */
    if (ctl & 8)
        gopts.l2 = 1;
    if (ctl & 16)
        dopts.bins = 2 + ((ctl >> 5) & 3);
    mql_model *m = NULL;
    mql_fit_diag dg;
    mql_fit_diag_init(&dg);
    if (mql_design_opts_add_role(&dopts, t->cols[oc].name, &err) == MQL_OK &&
        mql_model_train(t, y, NULL, &dopts, &gopts, &m, &dg, &err) == MQL_OK) {
        int st = mql_model_add_points(m, t, y, NULL, &err);
        if (st == MQL_EDATA && strstr(err.msg, "self-check"))
            fuzz_fail("%s", err.msg);
        if (st == MQL_OK) {
            round_trip(m, t);
            fuzz_compare_scorers(m->points, t, leads);
        }
    }
    mql_model_free(m);
    mql_fit_diag_clear(&dg);
    mql_design_opts_clear(&dopts);
    free(y);
}

int fuzz_csv(const uint8_t *data, size_t size)
{
    if (size < 1 || size > 65536)
        return 0;
    unsigned ctl = data[0];
    const char *path = fuzz_write_file("csv", data + 1, size - 1);
    if (!path)
        return 0;
    mql_read_opts ro = {0};
    mql_table *t1 = NULL, *t2 = NULL;
    mql_err e1, e2;
    ro.threads = 1;
    int s1 = mql_table_read(path, &ro, &t1, &e1);
    ro.threads = 2 + (ctl & 1);
    int s2 = mql_table_read(path, &ro, &t2, &e2);
    if (s1 != s2)
        fuzz_fail("one-thread reader returns %d (%s), parallel %d (%s)", s1,
                  s1 ? e1.msg : "ok", s2, s2 ? e2.msg : "ok");
    if (s1 && strcmp(e1.msg, e2.msg) != 0)
        fuzz_fail("readers report different errors: '%s' vs '%s'", e1.msg, e2.msg);
    if (s1 == MQL_OK) {
        same_table(t1, t2);
        if (t1->n_cols >= 2 && t1->n_rows >= 2)
            fit_column(t1, path, (ctl >> 1) % t1->n_cols, ctl);
    }
    mql_table_free(t1);
    mql_table_free(t2);
    return 0;
}

#ifndef MQL_FUZZ_REPLAY
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    return fuzz_csv(data, size);
}
#endif
