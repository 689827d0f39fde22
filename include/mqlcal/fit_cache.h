/* fit_cache.h: a cache of logistic fits for repeat runs (issue 17): the result of mql_glm_fit or
 * mql_firth_fit, with its linear predictor, stored in the table cache's directory (table_cache.h)
 * under a key that is a function of everything the fit reads.
 *
 * The key (its text is kept in the entry and compared byte for byte; its XXH64 names the file):
 *  - the entry format's version, mqlcal's version, the running executable's size and
 *    modification time, and the BLAS's identity (OpenBLAS's build and core, whose dsyrk
 *    kernels decide the last bits of X'WX);
 *  - every fit option (mql_glm_opts: max_iter, tol, l2, intercept, alias_tol, warm_rows,
 *    keep_eta, last_margin, method, flic, profile, unit_start) and the thread count the fit will
 *    run on (results are deterministic for a given n and thread count, not across counts);
 *  - n, p, and whether the passes read the coded layout (xwx.h: equal to rounding only);
 *  - the design as the fill reads it: each term's label, each feature's name, type, encoding,
 *    first term and term count, "(missing)" term, cuts, and its binding (code -> term map,
 *    missing cell's term, numbers or codes), and the interactions' cells;
 *  - the data: XXH64 of each bound column's array over the rows (numbers or level codes), of y
 *    and of the weights (or that there are none). A column a table cache hit mapped brings the
 *    XXH64 the hit checked it against (mql_column.sum_of); the others are hashed on two
 *    threads.
 * So a derived table (a training window, a fold, a subset, other weights) has another key even
 * when its file and options are the same; a different design (--exclude, --min-level-count,
 * bins) has another key even on the same data.
 *
 * Layout (native byte order, checked by a marker): a 64-byte header (magic, version, key hash,
 * lengths, the body's XXH64 and the header's own), the key text, the body (the fit's status,
 * every scalar of mql_glm_result and its arrays: beta, se, aliased, separated, cov, the Firth
 * arrays when set), then eta (n doubles) when the result has one, with its own XXH64 in the
 * body. Any mismatch makes the entry a miss; the fit runs and the entry is written again. Entries
 * are written through a temporary file and a rename and count towards the directory's size limit
 * with the table entries (least recently used first). */
#ifndef MQLCAL_FIT_CACHE_H
#define MQLCAL_FIT_CACHE_H

#include <stddef.h>
#include <stdint.h>

#include "mqlcal/common.h"
#include "mqlcal/design.h"
#include "mqlcal/glm.h"
#include "mqlcal/table_cache.h"

#define MQL_FIT_CACHE_VERSION 1u

/* A fit's key: its text (malloc'd) and the text's XXH64. Clear with mql_fit_key_clear. */
typedef struct mql_fit_key {
    char *text;
    size_t len;
    uint64_t hash;
} mql_fit_key;

/* The key of the fit of gd (its n, p, y, w, and coded layout when set) over binding b (the
 * design and table gd's fill reads) with options o. Returns 0, or -1 when out of memory (no
 * key: the fit is not cached). */
int mql_fit_key_make(const mql_design_binding *b, const mql_glm_data *gd, const mql_glm_opts *o,
                     mql_fit_key *key);
void mql_fit_key_clear(mql_fit_key *key);

/* The entry's path in dir for key (malloc'd; NULL when out of memory). For tests. */
char *mql_fit_cache_path(const char *dir, const mql_fit_key *key);

/* The stored result for key in dir, or NULL: no entry (*stale 0), or an entry that failed a
 * check (*stale 1). *status receives the fit's status (MQL_OK or MQL_ENOCONV). A hit refreshes
 * the entry's modification time (least recently used goes first). The caller frees the result
 * with mql_glm_result_free. */
mql_glm_result *mql_fit_cache_load(const char *dir, const mql_fit_key *key, int *status,
                                   int *stale);

/* Stores r (status MQL_OK or MQL_ENOCONV) under key in dir, then trims the directory to
 * max_bytes (0: MQL_TABLE_CACHE_MAX_DEFAULT). Returns 0, or -1 when it could not be written
 * (nothing is left behind; the caller ignores it). */
int mql_fit_cache_store(const char *dir, uint64_t max_bytes, const mql_fit_key *key,
                        const mql_glm_result *r, int status);

#endif
