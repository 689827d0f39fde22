/* points_cache.h: the points step (mql_model_add_points_weighted: the points table, its rounding
 * and cap costs, the strength scaling and the self-check) through the cache directory of
 * table_cache.h for repeat runs (issue 17), as the fit cache keeps fits (fit_cache.h).
 *
 * The key (its text is kept in the entry and compared byte for byte; its XXH64 names the file):
 *  - the entry format's version and the code's identity (mqlcal's version, the running
 *    executable's size and modification time), the CPU count (the step's scoring threads);
 *  - every points option (pdo, max_points, threshold, by_strength, the caps, full_check) and
 *    whether the self-check reads every lead;
 *  - n rows, the design as the fill reads it (as the fit's key) and what the rules print of it:
 *    each feature's group, levels, pooled levels and counts, missing count, bins (cuts, cut tops,
 *    counts, labels), integer flag and range, boolean labels; the table's placeholders (na);
 *  - the fit as the step reads it: the coefficients' bits, deviance, null deviance and their
 *    degrees of freedom (the strength's likelihood-ratio test), and the linear predictor given
 *    to the step (its XXH64, or that there is none);
 *  - the data: XXH64 of each bound column's array, of y and of the weights (or none).
 * The entry holds the points table as mql_points_to_json writes it (checked, when stored, to
 * read back to the same JSON) and what the JSON leaves out or rounds: the threshold's rule text,
 * the strength, and the bits of pdo, the map, the rounding and cap costs. Only a step that ended
 * with its self-check passed is stored. */
#ifndef MQLCAL_POINTS_CACHE_H
#define MQLCAL_POINTS_CACHE_H

#include "mqlcal/fit_cache.h"
#include "mqlcal/model.h"
#include "mqlcal/points_fit.h"

#define MQL_POINTS_CACHE_VERSION 1u

/* The key of the points step of m (its design and fit) over binding b with y, w, options po,
 * the linear predictor eta given to the step (NULL: none) and full (the self-check reads every
 * lead). 0, or -1 out of memory. */
int mql_points_key_make(const mql_model *m, const mql_design_binding *b, const unsigned char *y,
                        const double *w, const mql_points_opts *po, const double *eta, int full,
                        mql_fit_key *key);

/* The entry's path in dir for key (malloc'd; NULL when out of memory). For tests. */
char *mql_points_cache_path(const char *dir, const mql_fit_key *key);

/* The stored points table for key in dir, or NULL: no entry (*stale 0), or one that failed a
 * check (*stale 1). A hit refreshes the entry's modification time. */
mql_points *mql_points_cache_load(const char *dir, const mql_fit_key *key, int *stale);

/* Stores pts under key in dir, then trims the directory to max_bytes (0: the default). 0, or -1
 * when it could not be written or would not read back the same (nothing left behind). */
int mql_points_cache_store(const char *dir, uint64_t max_bytes, const mql_fit_key *key,
                           const mql_points *pts);

#endif
