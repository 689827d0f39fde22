/* screen_cache.h: the screen (leakage.h, mql_screen_run_rows) through the cache directory of
 * table_cache.h for repeat runs (issue 17), as the fit cache keeps fits (fit_cache.h).
 *
 * The key (its text is kept in the entry and compared byte for byte; its XXH64 names the file):
 *  - the entry format's version, the code's identity (mqlcal's version, the running executable's
 *    size and modification time), the rule set's version (MQL_SCREEN_RULES_VERSION) and every
 *    threshold of leakage.h with MQL_AUC_MIN_CLASS;
 *  - n rows, n columns, the created date's column index, the skip flags, the row subset's flags
 *    and y's values (each by its XXH64, or that there is none);
 *  - the created date column's name and values;
 *  - for each column the screen reads (not skipped, not the date column, not an identifier): its
 *    name, type, counts (missing, distinct, levels), every level's text and row count, the
 *    boolean labels, the decimal form (plain_decimal, decimals), and the XXH64 of its values and
 *    codes (the one a table cache hit checked when it still describes the array,
 *    mql_column.sum_of). Columns the screen does not read enter by their type only.
 * The entry holds, per column: flags, screened, AUC and its interval, the evidence text. */
#ifndef MQLCAL_SCREEN_CACHE_H
#define MQLCAL_SCREEN_CACHE_H

#include "mqlcal/fit_cache.h"
#include "mqlcal/leakage.h"
#include "mqlcal/table_cache.h"

#define MQL_SCREEN_CACHE_VERSION 1u

/* The key of mql_screen_run_rows(t, rows, y, date_col, skip). 0, or -1 out of memory. */
int mql_screen_key_make(const mql_table *t, const unsigned char *rows, const unsigned char *y,
                        long date_col, const unsigned char *skip, mql_fit_key *key);

/* The entry's path in dir for key (malloc'd; NULL when out of memory). For tests. */
char *mql_screen_cache_path(const char *dir, const mql_fit_key *key);

/* The stored screen for key in dir, or NULL: no entry (*stale 0), or one that failed a check
 * (*stale 1). A hit refreshes the entry's modification time. */
mql_screen *mql_screen_cache_load(const char *dir, const mql_fit_key *key, int *stale);

/* Stores s under key in dir, then trims the directory to max_bytes (0: the default). 0, or -1
 * when it could not be written (nothing left behind). */
int mql_screen_cache_store(const char *dir, uint64_t max_bytes, const mql_fit_key *key,
                           const mql_screen *s);

/* mql_screen_run_rows through the cache co (NULL, no directory, or tables of fewer than
 * co->min_file_bytes of cells (n_rows x n_cols x 8): no cache; a cache that cannot be read or
 * written is never an error). *cres says what happened. */
int mql_screen_run_cached(const mql_table *t, const unsigned char *rows, const unsigned char *y,
                          long date_col, const unsigned char *skip, const mql_cache_opts *co,
                          mql_screen **out, mql_cache_result *cres, mql_err *err);

#endif
