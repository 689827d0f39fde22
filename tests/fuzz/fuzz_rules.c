/* fuzz_rules.c: a rules CSV read, written, read again and used. Checks: what the reader accepts,
 * the writer writes so that it reads back to the same text (write(read(write(m))) ==
 * write(m)), the same rules and threshold; bands are well formed; on leads generated to probe
 * every rule, the table scorer and the streaming scorer agree, and so do the model and its
 * copy. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_common.h"

/* The rules CSV of m into a malloc'd buffer. */
static char *rules_text(const mql_points *m, size_t *n)
{
    char *buf = NULL;
    FILE *f = open_memstream(&buf, n);
    if (!f)
        fuzz_fail("out of memory");
    int st = mql_points_write_csv(m, f);
    fclose(f);
    if (st)
        fuzz_fail("writing rules to memory failed (%d)", st);
    return buf;
}

static mql_points *read_text(const char *text, size_t n, mql_err *err, int *st)
{
    FILE *f = fmemopen((void *)text, n, "r");
    *st = MQL_ENOMEM;
    if (!f) {
        mql_err_set(err, MQL_ENOMEM, "fmemopen failed");
        return NULL;
    }
    mql_points *m = NULL;
    *st = mql_points_read_stream(f, "fuzz.rules.csv", &m, err);
    fclose(f);
    return m;
}

int fuzz_rules(const uint8_t *data, size_t size)
{
    if (size == 0 || size > 65536)
        return 0;
    /* The part after a line "%%" seeds extra lead cells. */
    size_t rules_n = size;
    const uint8_t *extra = NULL;
    size_t extra_n = 0;
    for (size_t i = 0; i + 3 < size; i++)
        if (data[i] == '\n' && data[i + 1] == '%' && data[i + 2] == '%' && data[i + 3] == '\n') {
            rules_n = i + 1;
            extra = data + i + 4;
            extra_n = size - i - 4;
            break;
        }
    mql_err err;
    int st;
    mql_points *m = read_text((const char *)data, rules_n, &err, &st);
    if (st != MQL_OK) {
        if (m)
            fuzz_fail("reader failed (%d) but returned a model", st);
        if (!err.msg[0])
            fuzz_fail("reader failed (%d) without a message", st);
        return 0;
    }
    size_t n1, n2;
    char *t1 = rules_text(m, &n1);
    mql_points *back = read_text(t1, n1, &err, &st);
    if (st != MQL_OK)
        fuzz_fail("written rules do not read back: %s\n--- written:\n%.*s", err.msg, (int)n1, t1);
    char *t2 = rules_text(back, &n2);
    if (n1 != n2 || memcmp(t1, t2, n1) != 0)
        fuzz_fail("rules text changes on a round trip:\n--- first:\n%.*s--- second:\n%.*s",
                  (int)n1, t1, (int)n2, t2);
    if (back->n_rules != m->n_rules || back->threshold != m->threshold)
        fuzz_fail("round trip changes %zu rules / threshold %ld into %zu / %ld", m->n_rules,
                  m->threshold, back->n_rules, back->threshold);
    for (size_t b = 0; b + 1 < m->n_bands; b++)     /* A, B, C, D: adjacent, descending */
        if (m->bands[b].lo > m->bands[b].hi || m->bands[b + 1].hi != m->bands[b].lo - 1)
            fuzz_fail("bands %zu [%ld, %ld] and %zu [%ld, %ld] are not adjacent", b,
                      m->bands[b].lo, m->bands[b].hi, b + 1, m->bands[b + 1].lo,
                      m->bands[b + 1].hi);
    const char *leads = fuzz_leads_for(m, extra, extra_n);
    mql_table *t = leads ? fuzz_read_leads(leads) : NULL;
    if (t) {
        fuzz_compare_scorers(m, t, leads);
        fuzz_compare_models(m, back, t);
    }
    mql_table_free(t);
    free(t1);
    free(t2);
    mql_points_free(back);
    mql_points_free(m);
    return 0;
}

#ifndef MQL_FUZZ_REPLAY
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    return fuzz_rules(data, size);
}
#endif
