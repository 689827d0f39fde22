/* fuzz_model.c: a model file (model JSON, bare points JSON or rules CSV: whatever `score MODEL`
 * accepts) loaded, bound and used. Checks: a load that fails says why and returns no model; a
 * loaded model writes as JSON that reads back to the same bytes; its points table scores leads
 * generated to probe every rule the same through the table scorer, the streaming scorer and the
 * reloaded copy; a model with a design binds it to those leads without crashing. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_common.h"
#include "mqlcal/table.h"

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
        fuzz_fail("a loaded model cannot be written: %s", err.msg);
    }
    return buf;
}

/* Binds the model's design to the leads and fills the design rows. */
static void bind_design(const mql_model *m, const mql_table *t)
{
    mql_err err;
    mql_design_binding *b = NULL;
    if (mql_design_bind(m->design, t, &b, &err) == MQL_OK && t->n_rows && m->design->p < 4096) {
        double *x = malloc(t->n_rows * m->design->p * sizeof *x);
        if (x && mql_design_fill(b, 0, t->n_rows, x, &err) != MQL_OK)
            fuzz_fail("a bound design does not fill: %s", err.msg);
        free(x);
    }
    mql_design_binding_free(b);
}

int fuzz_model(const uint8_t *data, size_t size)
{
    if (size == 0 || size > 65536)
        return 0;
    const char *path = fuzz_write_file("model", data, size);
    if (!path)
        return 0;
    mql_model *m = NULL;
    mql_err err;
    err.msg[0] = '\0';
    int st = mql_model_load_any(path, &m, &err);
    if (st != MQL_OK) {
        if (m)
            fuzz_fail("load failed (%d) but returned a model", st);
        if (!err.msg[0])
            fuzz_fail("load failed (%d) without a message", st);
        return 0;
    }
    size_t n1, n2;
    char *j1 = model_json(m, &n1);
    mql_model *back = NULL;
    char *j2 = NULL;
    if (j1) {
        const char *p2 = fuzz_write_file("model2", j1, n1);
        if (!p2)
            fuzz_fail("scratch file");
        if ((st = mql_model_load_any(p2, &back, &err)) != MQL_OK)
            fuzz_fail("a written model does not load: %s\n--- written:\n%.*s", err.msg, (int)n1,
                      j1);
        /* the copy was read from a file of another name: compare what does not name it */
        free(back->train.file);
        back->train.file = m->train.file ? strdup(m->train.file) : NULL;
        j2 = model_json(back, &n2);
        if (j2 && (n1 != n2 || memcmp(j1, j2, n1) != 0))
            fuzz_fail("model JSON changes on a round trip:\n--- first:\n%.*s\n--- second:\n%.*s",
                      (int)n1, j1, (int)n2, j2);
    }
    if (m->points) {
        const char *leads = fuzz_leads_for(m->points, NULL, 0);
        mql_table *t = leads ? fuzz_read_leads(leads) : NULL;
        if (t) {
            fuzz_compare_scorers(m->points, t, leads);
            if (back && back->points)
                fuzz_compare_models(m->points, back->points, t);
            if (m->design)
                bind_design(m, t);
        }
        mql_table_free(t);
    }
    free(j1);
    free(j2);
    mql_model_free(back);
    mql_model_free(m);
    return 0;
}

#ifndef MQL_FUZZ_REPLAY
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    return fuzz_model(data, size);
}
#endif
