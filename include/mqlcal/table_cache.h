/* table_cache.h: a cache of typed tables for repeat runs on the same export (issue 17).
 *
 * An entry holds one table as mql_table_read returned it, in a binary columnar file named by a
 * key over the CSV's content hash (XXH64 of its bytes, as mql_table.hash), its size, every
 * reading option that affects typing (delimiter, placeholder list, --categorical, `only`) and
 * the identity of the reading code (the format version and the running executable's size and
 * modification time, so a rebuilt mqlcal never trusts another build's typing). A hit costs one
 * pass of XXH64 over the CSV plus reading the columns back; it never parses. An identity record
 * per file (device, inode, size, modification time -> the content hash last read) names the
 * entry to check while the CSV is hashed on another thread; the hash still decides.
 *
 * Layout (native byte order, checked by a marker): a 64-byte header (magic, version, CSV hash and
 * size, options hash, lengths, and the header's own XXH64), a metadata block (the option text,
 * which must equal the caller's byte for byte, the table's shape, placeholder list, per column
 * its name, type, counts, levels, labels and spellings, and each column array's XXH64) closed by
 * its XXH64, then the column arrays. Any mismatch (magic, version, byte order, checksums,
 * lengths, a file shorter or longer than its header says, option text) makes the entry a miss:
 * it is never trusted, and the next store replaces it.
 *
 * Entries are written to a temporary file in the cache directory and renamed into place, so a
 * reader sees a whole entry or none. After each store the directory is trimmed to max_bytes by
 * removing the least recently used entries (a hit refreshes an entry's modification time). */
#ifndef MQLCAL_TABLE_CACHE_H
#define MQLCAL_TABLE_CACHE_H

#include <stdint.h>
#include "mqlcal/common.h"
#include "mqlcal/table.h"

#define MQL_TABLE_CACHE_VERSION 4u
#define MQL_TABLE_CACHE_MAX_DEFAULT ((uint64_t)2 << 30)     /* 2 GiB */
#define MQL_TABLE_CACHE_MIN_DEFAULT ((uint64_t)1 << 20)     /* files under 1 MiB: not cached */

typedef struct mql_cache_opts {
    const char *dir;          /* cache directory; NULL: no cache */
    uint64_t max_bytes;       /* size limit of the directory's entries; 0: the default */
    uint64_t min_file_bytes;  /* CSV files smaller than this are read, never cached */
} mql_cache_opts;

/* Whether cache is on for a result (a screen, fit or points table) whose inputs take bytes
 * (n x p doubles for a fit): a directory is set and bytes reach min_file_bytes, below which the
 * result costs less to compute than its entry to read. */
int mql_cache_on(const mql_cache_opts *cache, double bytes);

/* What mql_table_read_cached did, for tests and --verbose messages. */
typedef enum mql_cache_result {
    MQL_CACHE_OFF = 0,        /* no cache: no directory, stdin, or a file under min_file_bytes */
    MQL_CACHE_HIT,            /* the table came from the cache */
    MQL_CACHE_MISS,           /* read from the CSV and stored */
    MQL_CACHE_STALE,          /* an entry existed but failed a check; read and stored again */
    MQL_CACHE_NOT_STORED      /* read from the CSV; the entry could not be written (ignored) */
} mql_cache_result;

/* Whether the entry came through the identity index (a record of each file's device, inode,
 * size and modification time with the content hash it had when last read): the entry that record
 * points at is checked while the CSV is hashed, and used only if the CSV's hash is the one it was
 * stored under. */
typedef enum mql_cache_candidate {
    MQL_CACHE_NO_CANDIDATE = 0,       /* no record for the file's identity: hashed, then looked up */
    MQL_CACHE_CANDIDATE_CONFIRMED,    /* the record's hash was the CSV's: its entry was the lookup */
    MQL_CACHE_CANDIDATE_REJECTED      /* the CSV's hash differs (the file changed): looked up again */
} mql_cache_candidate;

typedef struct mql_cache_trace {
    mql_cache_result result;
    mql_cache_candidate candidate;
} mql_cache_trace;

/* The cache directory by XDG: $XDG_CACHE_HOME/mqlcal when XDG_CACHE_HOME is an absolute path,
 * else $HOME/.cache/mqlcal. Returns a malloc'd string, or NULL when neither is set (or no
 * memory). Does not create it. */
char *mql_cache_dir_default(void);

/* Like mql_table_read, through the cache described by cache (NULL or cache->dir NULL: a plain
 * read). stdin ("-") and non-regular files are never cached. A failure to read or write the cache
 * is never an error: the table is read from the CSV. *result (may be NULL) says what happened. */
int mql_table_read_cached(const char *path, const mql_read_opts *opts,
                          const mql_cache_opts *cache, mql_table **out,
                          mql_cache_result *result, mql_err *err);

/* mql_table_read_cached that also says how the entry was found (trace may be NULL). */
int mql_table_read_cached_traced(const char *path, const mql_read_opts *opts,
                                 const mql_cache_opts *cache, mql_table **out,
                                 mql_cache_trace *trace, mql_err *err);

/* The entry's path for a CSV with this content hash and size read with opts (malloc'd; NULL on
 * no memory). For tests that corrupt an entry. */
char *mql_table_cache_path(const char *dir, uint64_t file_hash, uint64_t file_bytes,
                           const mql_read_opts *opts);

/* XXH64 and size of a file's bytes (the hash mql_table_read records). MQL_OK or MQL_EIO. */
int mql_file_xxh64(const char *path, uint64_t *hash, uint64_t *bytes, mql_err *err);

#endif
