/* lookup.h: lookup joins: the columns of a second file (accounts, products, sales teams) brought
 * into every lead by a key, as a left join. */
#ifndef MQLCAL_LOOKUP_H
#define MQLCAL_LOOKUP_H

#include <stddef.h>
#include "mqlcal/common.h"
#include "mqlcal/table.h"

/* A lead key that found no row in the lookup file, with the leads holding it; near is the
 * lookup key equal to it but for blanks, case and punctuation ("GTX Pro" for "GTXPro"), or NULL. */
typedef struct mql_lookup_miss {
    char *key;
    size_t rows;
    char *near;
} mql_lookup_miss;

/* What a lookup join did, for the front end to report. */
typedef struct mql_lookup_report {
    size_t n_rows;             /* leads */
    size_t n_matched;          /* leads whose key found a row */
    size_t n_no_key;           /* leads whose key cell is missing */
    size_t n_unmatched;        /* leads with a key that found no row */
    size_t n_lookup_rows;      /* rows of the lookup file */
    size_t n_added;            /* columns added to the leads */
    char **renamed;            /* "region -> sales_teams.region": names prefixed on a clash */
    size_t n_renamed;
    mql_lookup_miss *miss;     /* distinct unmatched keys, most leads first (ties: by key) */
    size_t n_miss;
} mql_lookup_report;

void mql_lookup_report_clear(mql_lookup_report *r);

/* Left-joins lookup file lk (read by the caller, with its key column forced categorical) into
 * t on t's column key and lk's column lk_key: every column of lk but its key is appended to t
 * with its type and levels; a lead whose key equals (byte for byte) a lookup row's key takes
 * that row's cells, any other lead missing cells. A name already in t is prefixed with the
 * lookup file's base name ("sales_teams.region"). The lead key compares as text: a numeric or
 * date key by its shortest spelling (7, not 007).
 * Errors: a key column missing (MQL_EUSAGE, "no column ..."); a key repeated in lk (MQL_EDATA
 * naming the file and both lines); a key missing in some lk row (MQL_EDATA naming the line); a
 * prefixed name that still clashes (MQL_EDATA); MQL_ENOMEM. On error t is unchanged. rep is
 * filled on success (free with mql_lookup_report_clear). */
int mql_table_lookup(mql_table *t, const char *key, const mql_table *lk, const char *lk_key,
                     mql_lookup_report *rep, mql_err *err);

#endif
