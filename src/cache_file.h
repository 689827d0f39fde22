/* cache_file.h: the file handling the table cache (table_cache.c) and the fit cache (fit_cache.c)
 * share: byte buffers for keys and metadata, the code's identity, whole writes and reads, the
 * cache directory, temporary files and the size limit (not part of the library's interface). */
#ifndef MQLCAL_SRC_CACHE_FILE_H
#define MQLCAL_SRC_CACHE_FILE_H

#include <stddef.h>
#include <stdint.h>

#define MQL_FIT_CACHE_SUFFIX ".mqlf"     /* fit entries (fit_cache.c); tables are .mqlt */

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
/* A string as its length (u32) and bytes; NULL as a length of UINT32_MAX. */
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

/* Removes the least recently used entries (table and fit entries alike) until they fit
 * max_bytes; keep, the entry just written, goes last. Also removes temporary files older than an
 * hour and identity records no kept table entry uses. Failures are ignored. */
void mql_cache_trim(const char *dir, uint64_t max_bytes, const char *keep);

#endif
