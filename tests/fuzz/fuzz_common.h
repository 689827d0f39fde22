/* fuzz_common.h: what the three fuzz harnesses share: a scratch file for inputs the library
 * reads by path, leads generated from a points table, and the check that the table scorer and
 * the streaming scorer agree. A violated invariant prints what differed and aborts, which
 * libFuzzer reports as a crash and the replay test (tests/fuzz/replay.c) as a failure. */
#ifndef MQLCAL_FUZZ_COMMON_H
#define MQLCAL_FUZZ_COMMON_H

#include <stddef.h>
#include <stdint.h>

#include "mqlcal/model.h"
#include "mqlcal/rules_csv.h"
#include "mqlcal/score.h"

/* The harnesses (one per parser). Each returns 0 and aborts on a finding. */
int fuzz_csv(const uint8_t *data, size_t size);
int fuzz_rules(const uint8_t *data, size_t size);
int fuzz_model(const uint8_t *data, size_t size);

/* Writes n bytes to this process's scratch file (created on first use under $TMPDIR or /tmp,
 * removed at exit) and returns its path; NULL when it cannot be written. */
const char *fuzz_write_file(const char *tag, const void *data, size_t n);

/* Prints "fuzz: " + message and aborts. */
void fuzz_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

/* Scores the leads CSV at path with m twice, through a table-bound scorer on t (path as read
 * by mql_table_read) and through a header-bound scorer on the raw fields (what `score` does), and
 * aborts when any lead scores differently (score, sub-scores, band, MQL flag, reasons). A file
 * the reader rejects, or that lacks a column the rules need, is not a finding: both binders
 * must then fail alike. */
void fuzz_compare_scorers(const mql_points *m, const mql_table *t, const char *path);

/* The leads CSV at path read on one thread; NULL when the reader rejects it. */
mql_table *fuzz_read_leads(const char *path);

/* Writes a leads CSV probing every rule of m (each value, each bound and its neighbours, a
 * missing cell, decorations of the text) and returns its path (the scratch file "leads"), or
 * NULL when m has no rules. extra (n bytes, may be 0) seeds a few more cells. */
const char *fuzz_leads_for(const mql_points *m, const uint8_t *extra, size_t n);

/* Asserts that two points tables score the leads of t identically (both table-bound). */
void fuzz_compare_models(const mql_points *a, const mql_points *b, const mql_table *t);

#endif
