/* cache_file.h: the file handling the table cache (table_cache.c) and the result caches
 * (fit_cache.c, screen_cache.c, points_cache.c) share: byte buffers for keys and metadata, the
 * code's identity, whole writes and reads, the cache directory, temporary files, the size limit,
 * and the result entries' data hashes and layout (cache_entry.c) (not part of the library's
 * interface). */
#ifndef MQLCAL_SRC_CACHE_FILE_H
#define MQLCAL_SRC_CACHE_FILE_H

#include <stddef.h>
#include <stdint.h>

#include "mqlcal/fit_cache.h"
#include "mqlcal/table.h"

#define MQL_FIT_CACHE_SUFFIX ".mqlf"     /* fit entries (fit_cache.c); tables are .mqlt */
#define MQL_SCREEN_CACHE_SUFFIX ".mqls"  /* screen entries (screen_cache.c) */
#define MQL_POINTS_CACHE_SUFFIX ".mqlp"  /* points entries (points_cache.c) */

/* A growable byte buffer; failed is set (and later puts ignored) when out of memory. Zero it to
 * start; the caller frees p. */
typedef struct mql_wbuf {
    char *p;
    size_t n, cap;
    int failed;
} mql_wbuf;

void mql_wb_put(mql_wbuf *b, const void *data, size_t n);
void mql_wb_u64(mql_wbuf *b, uint64_t v);
void mql_wb_u32(mql_wbuf *b, uint32_t v);
/* A string's length as a u32. A length of UINT32_MAX or more (a cell of 4 GiB, which the
 * readers accept since they count in size_t) has no u32 form besides the NULL marker's, so it
 * sets failed: the entry is not stored, rather than stored with a wrong length. */
void mql_wb_len(mql_wbuf *b, size_t n);
/* A string as its length (mql_wb_len) and bytes; NULL as a length of UINT32_MAX. */
void mql_wb_str(mql_wbuf *b, const char *s);

/* A bounds-checked reader over n bytes at p: a read past the end sets bad and gives zeros. */
typedef struct mql_rbuf {
    const char *p;
    size_t n, at;
    int bad;
} mql_rbuf;

void mql_rb_get(mql_rbuf *r, void *out, size_t n);
uint64_t mql_rb_u64(mql_rbuf *r);
uint32_t mql_rb_u32(mql_rbuf *r);
/* A string as mql_wb_str wrote it into *s (malloc'd; NULL for the NULL marker). Returns -1 (bad
 * set) when it runs past the block, holds a NUL byte, or memory runs out. */
int mql_rb_str(mql_rbuf *r, char **s);

/* The identity of the running code: an entry format's version, mqlcal's version and the running
 * executable's size and modification time, so a rebuilt mqlcal misses every entry. */
void mql_cache_put_build(mql_wbuf *b, uint32_t version);

/* write(2) / read(2) of all n bytes. 0, or -1 (a short read is -1). */
int mql_cache_write_all(int fd, const void *p, size_t n);
int mql_cache_read_all(int fd, void *p, size_t n);

/* mkdir -p of the cache directory, mode 0700 (the cache holds the leads' data). 0 or -1. */
int mql_cache_make_dir(const char *dir);

/* A new temporary file dir/.tmp-XXXXXX (a stale one is removed by mql_cache_trim): its
 * descriptor, and its path in *tmp (malloc'd, the caller frees it; NULL when out of memory).
 * Returns -1 when it cannot be made. */
int mql_cache_temp_open(const char *dir, char **tmp);

/* Ends a write begun by mql_cache_temp_open (fd, tmp; fd may be -1 and tmp NULL when it failed):
 * when ok, closes fd, renames tmp over path and trims dir to max_bytes (mql_cache_trim); else,
 * or when the close or rename fails, removes tmp. Frees tmp. Returns 0 when the entry is in
 * place, -1 otherwise (nothing left behind). */
int mql_cache_temp_finish(int fd, char *tmp, const char *path, const char *dir,
                          uint64_t max_bytes, int ok);

/* Removes the least recently used entries (table, fit, screen and points entries alike) until
 * they fit max_bytes; keep, the entry just written, goes last. Also removes temporary files
 * older than an hour and identity records no kept table entry uses. Failures are ignored. */
void mql_cache_trim(const char *dir, uint64_t max_bytes, const char *keep);

/* ---- result entries (cache_entry.c) ---- */

/* A data array of a key, by its XXH64: known when a table cache hit checked it (sum given). */
typedef struct mql_cache_seg {
    const void *p;
    size_t bytes;
    uint64_t sum;
    int known;
} mql_cache_seg;

/* The XXH64 of every segment not known, the arrays split between two threads where half the
 * bytes are behind (1M x 20 numbers are 160 MB, about 20 ms of XXH64 on one core). */
void mql_cache_hash_segs(mql_cache_seg *s, size_t n);

/* Column c's array (codes when by_code, else numbers) over n rows, with the XXH64 a table cache
 * hit checked it against when that still describes it (mql_column.sum_of). */
mql_cache_seg mql_cache_column_seg(const mql_column *c, int by_code, size_t n);

/* The segments of the data a fit or points step reads over n rows, hashed: each bound feature's
 * column (mql_cache_column_seg), y (y_bytes), then w and eta (n doubles each) when not NULL.
 * Sets *ns; NULL when out of memory. Hand them to mql_cache_key_finish. */
mql_cache_seg *mql_cache_data_segs(const mql_design_binding *b, size_t n, const void *y,
                                   size_t y_bytes, const double *w, const double *eta,
                                   size_t *ns);

/* Ends a key: appends the ns segments' lengths and XXH64s to kb and frees s, then hands kb's
 * text to key (its length and XXH64 set). Returns 0, or -1 when kb ran out of memory (kb's text
 * freed, no key). */
int mql_cache_key_finish(mql_wbuf *kb, mql_cache_seg *s, size_t ns, mql_fit_key *key);

/* The design as the fill reads it, feature by feature with its binding (fit_cache.c): term
 * labels, names, types, encodings, terms, cuts, code -> term maps, interactions. */
void mql_cache_put_design(mql_wbuf *b, const mql_design_binding *bd);

/* dir/HASH16 suffix (malloc'd; NULL when out of memory). */
char *mql_cache_key_path(const char *dir, uint64_t hash, const char *suffix);

/* A result entry: a 64-byte header (magic, version, native byte order's marker, the key's hash
 * and length, the body's length, the XXH64 of key text and body, the tail's length, the header's
 * own XXH64), the key text, the body, then a tail the caller checks itself (its XXH64 in the
 * body). Written through a temporary file and a rename, then the directory is trimmed to
 * max_bytes (0: MQL_TABLE_CACHE_MAX_DEFAULT). Returns 0, or -1 (nothing left behind). */
int mql_cache_entry_store(const char *dir, const char *path, uint64_t max_bytes,
                          const char magic[8], uint32_t version, const mql_fit_key *key,
                          const mql_wbuf *body, const void *tail, uint64_t tail_len);

/* Opens the entry at path and checks its header, key text and body: the descriptor, placed at
 * the tail, with *buf (malloc'd: the key text then the body, *body_len bytes of it) and
 * *tail_len; -1 when there is no entry (*stale 0) or it failed a check (*stale 1). */
int mql_cache_entry_open(const char *path, const char magic[8], uint32_t version,
                         const mql_fit_key *key, char **buf, uint64_t *body_len,
                         uint64_t *tail_len, int *stale);

/* Marks the entry at path most recently used (the size limit removes the least recent first). */
void mql_cache_entry_touch(const char *path);

#endif
