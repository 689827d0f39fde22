/* table_cache.c: typed tables cached in binary columnar files for repeat runs (table_cache.h). */
#define _DEFAULT_SOURCE     /* madvise */
#include "mqlcal/table_cache.h"
#include "mqlcal/design_scan.h"
#include "cache_file.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define MAGIC "MQLTBL\0\x1a"
#define ENDIAN_MARK 0x01020304u
#define HEADER_BYTES 64
#define ENTRY_PAGE 4096
#define NULL_LEN UINT32_MAX
#define SUFFIX ".mqlt"
#define IDX_MAGIC "MQLIDX\0\x1a"
#define IDX_SUFFIX ".mqli"        /* identity records (the identity index) */

/* ======================================================================== hashing ==== */

int mql_file_xxh64(const char *path, uint64_t *hash, uint64_t *bytes, mql_err *err)
{
    int fd = open(path, O_RDONLY);
    if (fd < 0)
        return mql_err_set(err, MQL_EIO, "%s: %s", path, strerror(errno));
    size_t cap = (size_t)256 << 10;     /* stays in L2; fresh memory is dear here */
    char *buf = malloc(cap);
    if (!buf) {
        close(fd);
        return mql_err_set(err, MQL_ENOMEM, "out of memory");
    }
    mql_xxh64_state s;
    mql_xxh64_init(&s);
    uint64_t total = 0;
    int st_rc = MQL_OK;
    for (;;) {
        ssize_t m = read(fd, buf, cap);
        if (m < 0 && errno == EINTR)
            continue;
        if (m < 0) {
            st_rc = mql_err_set(err, MQL_EIO, "%s: %s", path, strerror(errno));
            break;
        }
        if (m == 0)
            break;
        mql_xxh64_update(&s, buf, (size_t)m);
        total += (uint64_t)m;
    }
    free(buf);
    close(fd);
    *hash = mql_xxh64_digest(&s);
    *bytes = total;
    return st_rc;
}

/* ======================================================================== the key ==== */

/* The byte buffer of the option text and the metadata block (cache_file.h). */

void mql_wb_put(mql_wbuf *b, const void *data, size_t n)
{
    if (b->failed || n == 0)   /* n = 0 may come with data NULL (no cuts, no code map) */
        return;
    if (b->n + n > b->cap) {
        size_t cap = b->cap ? b->cap : 4096;
        while (cap < b->n + n)
            cap *= 2;
        char *p = realloc(b->p, cap);
        if (!p) {
            b->failed = 1;
            return;
        }
        b->p = p;
        b->cap = cap;
    }
    memcpy(b->p + b->n, data, n);
    b->n += n;
}

void mql_wb_u64(mql_wbuf *b, uint64_t v)
{
    mql_wb_put(b, &v, sizeof v);
}

void mql_wb_u32(mql_wbuf *b, uint32_t v)
{
    mql_wb_put(b, &v, sizeof v);
}

void mql_wb_len(mql_wbuf *b, size_t n)
{
    if (n >= NULL_LEN) {
        b->failed = 1;
        return;
    }
    mql_wb_u32(b, (uint32_t)n);
}

void mql_wb_str(mql_wbuf *b, const char *s)
{
    if (!s) {
        mql_wb_u32(b, NULL_LEN);
        return;
    }
    size_t n = strlen(s);
    mql_wb_len(b, n);
    mql_wb_put(b, s, n);
}

static void put_list(mql_wbuf *b, const char *tag, const char *const *v, size_t n)
{
    mql_wb_str(b, tag);
    if (!v) {                  /* NULL list (defaults / none) differs from an empty one */
        mql_wb_u64(b, UINT64_MAX);
        return;
    }
    mql_wb_u64(b, n);
    for (size_t k = 0; k < n; k++)
        mql_wb_str(b, v[k]);
}

/* The identity of the code that made an entry: a rebuilt executable misses every entry. */
void mql_cache_put_build(mql_wbuf *b, uint32_t version)
{
    struct stat st;
    mql_wb_u32(b, version);
    mql_wb_str(b, MQL_VERSION);
    if (stat("/proc/self/exe", &st) == 0) {
        mql_wb_u64(b, (uint64_t)st.st_size);
        mql_wb_u64(b, (uint64_t)st.st_mtim.tv_sec);
        mql_wb_u64(b, (uint64_t)st.st_mtim.tv_nsec);
    }
}

/* Whether the table carries what the cache does not keep: cells read as missing for want of a
 * value (their warnings name lines) or a column of ambiguous dates. Such a table is not stored,
 * so a hit never loses a warning; a hit has no row lines (mql_table.line NULL). */
static int reading_notes(const mql_table *t)
{
    for (size_t j = 0; j < t->n_cols; j++)
        if (t->cols[j].n_unreadable || t->cols[j].date_ambiguous)
            return 1;
    return 0;
}

/* Every reading option that affects the table, as bytes (threads does not: the table is the same
 * on any number of threads). */
static int option_text(const mql_read_opts *o, mql_wbuf *b)
{
    memset(b, 0, sizeof *b);
    mql_cache_put_build(b, MQL_TABLE_CACHE_VERSION);
    mql_wb_u32(b, o ? (unsigned char)o->delim : 0);
    mql_wb_u32(b, o ? (uint32_t)o->date_order : 0);      /* --date-format */
    put_list(b, "na", o ? o->na : NULL, o ? o->n_na : 0);
    put_list(b, "categorical", o ? o->categorical : NULL, o ? o->n_categorical : 0);
    put_list(b, "numeric", o ? o->numeric : NULL, o ? o->n_numeric : 0);
    put_list(b, "only", o ? o->only : NULL, o ? o->n_only : 0);
    return b->failed ? -1 : 0;
}

static char *entry_path(const char *dir, uint64_t file_hash, uint64_t file_bytes,
                        const mql_wbuf *opt)
{
    mql_xxh64_state s;
    mql_xxh64_init(&s);
    mql_xxh64_update(&s, &file_hash, sizeof file_hash);
    mql_xxh64_update(&s, &file_bytes, sizeof file_bytes);
    mql_xxh64_update(&s, opt->p, opt->n);
    uint64_t key = mql_xxh64_digest(&s);
    size_t n = strlen(dir) + 40;
    char *p = malloc(n);
    if (p)
        snprintf(p, n, "%s/%016llx%016llx" SUFFIX, dir, (unsigned long long)file_hash,
                 (unsigned long long)key);
    return p;
}

char *mql_table_cache_path(const char *dir, uint64_t file_hash, uint64_t file_bytes,
                           const mql_read_opts *opts)
{
    mql_wbuf opt;
    if (option_text(opts, &opt)) {
        free(opt.p);
        return NULL;
    }
    char *p = entry_path(dir, file_hash, file_bytes, &opt);
    free(opt.p);
    return p;
}

char *mql_cache_dir_default(void)
{
    const char *x = getenv("XDG_CACHE_HOME");
    const char *home = getenv("HOME");
    const char *base = x && x[0] == '/' ? x : home && home[0] ? home : NULL;
    if (!base)
        return NULL;
    const char *sub = base == x ? "/mqlcal" : "/.cache/mqlcal";
    size_t n = strlen(base) + strlen(sub) + 1;
    char *p = malloc(n);
    if (p)
        snprintf(p, n, "%s%s", base, sub);
    return p;
}

/* ======================================================================== the header ==== */

typedef struct header {
    char magic[8];
    uint32_t version;
    uint32_t endian;
    uint64_t file_hash;
    uint64_t file_bytes;
    uint64_t opt_hash;
    uint64_t meta_len;        /* the metadata block, without its closing XXH64 */
    uint64_t data_len;        /* the column arrays */
    uint64_t sum;             /* XXH64 of the 56 bytes above */
} header;

_Static_assert(sizeof(header) == HEADER_BYTES, "cache header is 64 bytes");

/* ======================================================================== storing ==== */

int mql_cache_write_all(int fd, const void *p, size_t n)
{
    const char *c = p;
    while (n) {
        ssize_t m = write(fd, c, n > ((size_t)1 << 30) ? (size_t)1 << 30 : n);
        if (m < 0 && errno == EINTR)
            continue;
        if (m <= 0)
            return -1;
        c += m;
        n -= (size_t)m;
    }
    return 0;
}

static const void *col_data(const mql_column *c, size_t n_rows, size_t *bytes)
{
    if (c->num) {
        *bytes = n_rows * sizeof *c->num;
        return c->num;
    }
    if (c->code) {
        *bytes = n_rows * sizeof *c->code;
        return c->code;
    }
    *bytes = 0;
    return NULL;
}

/* Arrays start 8-byte aligned in the entry (a code array of an odd row count is padded), and
 * the first at a page boundary, so a mapped entry's arrays can be used where they lie. */
static uint64_t pad8(uint64_t n)
{
    return (n + 7) & ~(uint64_t)7;
}

static uint64_t data_offset(uint64_t meta_len)
{
    uint64_t o = HEADER_BYTES + meta_len + 8;
    return (o + ENTRY_PAGE - 1) / ENTRY_PAGE * ENTRY_PAGE;
}

static int build_meta(const mql_table *t, const mql_wbuf *opt, mql_wbuf *m, uint64_t *data_len)
{
    memset(m, 0, sizeof *m);
    mql_wb_u64(m, opt->n);
    mql_wb_put(m, opt->p, opt->n);
    mql_wb_u64(m, t->n_rows);
    mql_wb_u64(m, t->n_cols);
    mql_wb_u32(m, (unsigned char)t->delim);
    put_list(m, "na", (const char *const *)t->na.v, t->na.n);
    *data_len = 0;
    for (size_t j = 0; j < t->n_cols; j++) {
        const mql_column *c = &t->cols[j];
        size_t bytes;
        const void *d = col_data(c, t->n_rows, &bytes);
        mql_wb_str(m, c->name);
        mql_wb_u32(m, (uint32_t)c->type);
        mql_wb_u32(m, c->num ? 1 : c->code ? 2 : 0);
        mql_wb_u64(m, c->n_missing);
        mql_wb_u64(m, c->n_distinct);
        mql_wb_u32(m, (uint32_t)c->has_time);
        mql_wb_u32(m, (uint32_t)(c->plain_decimal ? c->decimals + 1 : 0));
        mql_wb_u32(m, (uint32_t)c->code_rule);
        mql_wb_u64(m, c->n_rows);
        mql_wb_u64(m, c->n_levels);
        mql_wb_u32(m, c->level_count != NULL);
        for (size_t k = 0; k < c->n_levels; k++) {
            mql_wb_str(m, c->levels[k]);
            mql_wb_u64(m, c->level_count ? c->level_count[k] : 0);
        }
        mql_wb_str(m, c->true_label);
        mql_wb_str(m, c->false_label);
        mql_wb_u64(m, c->n_spellings);
        for (size_t k = 0; k < c->n_spellings; k++) {
            mql_wb_u32(m, c->spellings[k].level);
            mql_wb_str(m, c->spellings[k].text);
            mql_wb_u64(m, c->spellings[k].count);
        }
        mql_wb_u64(m, bytes);
        mql_wb_u64(m, d ? mql_xxh64(d, bytes) : 0);
        *data_len += pad8(bytes);
    }
    return m->failed ? -1 : 0;
}

typedef struct entry_info {
    char *path;
    uint64_t bytes;
    struct timespec mtime;
} entry_info;

static int cmp_mtime(const void *a, const void *b)
{
    const entry_info *x = a, *y = b;
    if (x->mtime.tv_sec != y->mtime.tv_sec)
        return x->mtime.tv_sec < y->mtime.tv_sec ? -1 : 1;
    if (x->mtime.tv_nsec != y->mtime.tv_nsec)
        return x->mtime.tv_nsec < y->mtime.tv_nsec ? -1 : 1;
    return strcmp(x->path, y->path);
}

static int ident_in_use(const char *path, char *const *names, size_t n);

/* Whether the name of ln bytes ends in suffix (and is longer). */
static int ends_with(const char *name, size_t ln, const char *suffix)
{
    size_t k = strlen(suffix);
    return ln > k && strcmp(name + ln - k, suffix) == 0;
}

/* Removes the least recently used entries (tables, fits, screens and points alike) until the
 * directory's entries fit max_bytes; keep is the entry just written (removed last). Leftover
 * temporary files older than an hour go too, and identity records whose content hash no kept
 * entry was stored under. */
void mql_cache_trim(const char *dir, uint64_t max_bytes, const char *keep)
{
    char **idx = NULL;
    size_t n_idx = 0, cap_idx = 0;
    DIR *d = opendir(dir);
    if (!d)
        return;
    entry_info *e = NULL;
    size_t n = 0, cap = 0;
    uint64_t total = 0;
    struct dirent *de;
    time_t now = time(NULL);
    while ((de = readdir(d))) {
        size_t ln = strlen(de->d_name);
        int is_entry = ends_with(de->d_name, ln, SUFFIX) ||
                       ends_with(de->d_name, ln, MQL_FIT_CACHE_SUFFIX) ||
                       ends_with(de->d_name, ln, MQL_SCREEN_CACHE_SUFFIX) ||
                       ends_with(de->d_name, ln, MQL_POINTS_CACHE_SUFFIX);
        int is_tmp = strncmp(de->d_name, ".tmp-", 5) == 0;
        int is_idx = ln > strlen(IDX_SUFFIX) &&
                     strcmp(de->d_name + ln - strlen(IDX_SUFFIX), IDX_SUFFIX) == 0;
        if (!is_entry && !is_tmp && !is_idx)
            continue;
        size_t pn = strlen(dir) + ln + 2;
        char *p = malloc(pn);
        if (!p)
            break;
        snprintf(p, pn, "%s/%s", dir, de->d_name);
        struct stat st;
        if (lstat(p, &st) != 0 || !S_ISREG(st.st_mode)) {
            free(p);
            continue;
        }
        if (is_tmp) {
            if (now - st.st_mtim.tv_sec > 3600)
                unlink(p);
            free(p);
            continue;
        }
        if (is_idx) {
            if (n_idx == cap_idx) {
                size_t nc = cap_idx ? 2 * cap_idx : 16;
                char **ni = realloc(idx, nc * sizeof *ni);
                if (!ni) {
                    free(p);
                    continue;
                }
                idx = ni;
                cap_idx = nc;
            }
            idx[n_idx++] = p;
            continue;
        }
        if (n == cap) {
            size_t nc = cap ? 2 * cap : 64;
            entry_info *ne = realloc(e, nc * sizeof *ne);
            if (!ne) {
                free(p);
                break;
            }
            e = ne;
            cap = nc;
        }
        e[n++] = (entry_info){p, (uint64_t)st.st_size, st.st_mtim};
        total += (uint64_t)st.st_size;
    }
    closedir(d);
    if (total > max_bytes) {
        qsort(e, n, sizeof *e, cmp_mtime);
        for (int pass = 0; pass < 2 && total > max_bytes; pass++)
            for (size_t k = 0; k < n && total > max_bytes; k++) {
                if (!e[k].path || ((strcmp(e[k].path, keep) == 0) != pass))
                    continue;
                if (unlink(e[k].path) == 0)
                    total -= e[k].bytes;
                free(e[k].path);
                e[k].path = NULL;
            }
    }
    char **names = malloc((n ? n : 1) * sizeof *names);
    for (size_t k = 0; names && k < n; k++)
        names[k] = e[k].path;
    for (size_t k = 0; k < n_idx; k++) {
        if (names && !ident_in_use(idx[k], names, n))
            unlink(idx[k]);
        free(idx[k]);
    }
    free(idx);
    free(names);
    for (size_t k = 0; k < n; k++)
        free(e[k].path);
    free(e);
}

/* mkdir -p for the cache directory (mode 0700: the cache holds the leads' data). */
int mql_cache_make_dir(const char *dir)
{
    char *p = mql_strdup(dir);
    if (!p)
        return -1;
    for (char *s = p + 1; *s; s++) {
        if (*s != '/')
            continue;
        *s = '\0';
        if (mkdir(p, 0700) != 0 && errno != EEXIST) {
            free(p);
            return -1;
        }
        *s = '/';
    }
    int rc = mkdir(p, 0700) != 0 && errno != EEXIST ? -1 : 0;
    free(p);
    return rc;
}

/* A new temporary file in dir, ".tmp-XXXXXX" (trim_dir removes a stale one): its descriptor, and
 * its path in *tmp (malloc'd; NULL when out of memory). Returns -1 when it cannot be made. */
int mql_cache_temp_open(const char *dir, char **tmp)
{
    size_t tn = strlen(dir) + 32;
    if (!(*tmp = malloc(tn)))
        return -1;
    snprintf(*tmp, tn, "%s/.tmp-XXXXXX", dir);
    return mkstemp(*tmp);
}

int mql_cache_temp_finish(int fd, char *tmp, const char *path, const char *dir,
                          uint64_t max_bytes, int ok)
{
    int rc = -1;
    if (fd >= 0) {
        int closed = close(fd);
        if (ok && closed == 0 && rename(tmp, path) == 0) {
            rc = 0;
            mql_cache_trim(dir, max_bytes, path);
        }
    }
    if (rc && tmp)
        unlink(tmp);
    free(tmp);
    return rc;
}

/* Writes t to path through a temporary file and a rename. Returns 0 or -1 (nothing left). */
static int store(const char *dir, const char *path, const mql_table *t, const mql_wbuf *opt,
                 uint64_t max_bytes)
{
    mql_wbuf m;
    uint64_t data_len;
    if (build_meta(t, opt, &m, &data_len)) {
        free(m.p);
        return -1;
    }
    uint64_t total = data_offset(m.n) + data_len;
    if (total > max_bytes || mql_cache_make_dir(dir)) {
        free(m.p);
        return -1;
    }
    header h = {.version = MQL_TABLE_CACHE_VERSION, .endian = ENDIAN_MARK,
                .file_hash = t->hash, .file_bytes = t->n_bytes,
                .opt_hash = mql_xxh64(opt->p, opt->n), .meta_len = m.n, .data_len = data_len};
    memcpy(h.magic, MAGIC, 8);
    h.sum = mql_xxh64(&h, offsetof(header, sum));
    uint64_t msum = mql_xxh64(m.p, m.n);
    char *tmp = NULL;
    int ok = 0, fd = mql_cache_temp_open(dir, &tmp);
    if (fd < 0)
        goto done;
    static const char zero[ENTRY_PAGE];
    if (mql_cache_write_all(fd, &h, sizeof h) || mql_cache_write_all(fd, m.p, m.n) ||
        mql_cache_write_all(fd, &msum, 8) ||
        mql_cache_write_all(fd, zero, data_offset(m.n) - (HEADER_BYTES + m.n + 8)))
        goto done;
    for (size_t j = 0; j < t->n_cols; j++) {
        size_t bytes;
        const void *d = col_data(&t->cols[j], t->n_rows, &bytes);
        if (d && (mql_cache_write_all(fd, d, bytes) ||
                  mql_cache_write_all(fd, zero, pad8(bytes) - bytes)))
            goto done;
    }
    ok = 1;
done:
    free(m.p);
    return mql_cache_temp_finish(fd, tmp, path, dir, max_bytes, ok);
}

/* ======================================================================== loading ==== */

/* The bounds-checked reader over a metadata block (cache_file.h). */

void mql_rb_get(mql_rbuf *r, void *out, size_t n)
{
    if (r->bad || r->n - r->at < n) {
        r->bad = 1;
        memset(out, 0, n);
        return;
    }
    memcpy(out, r->p + r->at, n);
    r->at += n;
}

uint64_t mql_rb_u64(mql_rbuf *r)
{
    uint64_t v;
    mql_rb_get(r, &v, sizeof v);
    return v;
}

uint32_t mql_rb_u32(mql_rbuf *r)
{
    uint32_t v;
    mql_rb_get(r, &v, sizeof v);
    return v;
}

int mql_rb_str(mql_rbuf *r, char **s)
{
    *s = NULL;
    uint32_t n = mql_rb_u32(r);
    if (r->bad)
        return -1;
    if (n == NULL_LEN)
        return 0;
    if (r->n - r->at < n) {
        r->bad = 1;
        return -1;
    }
    if (memchr(r->p + r->at, '\0', n) || !(*s = mql_strndup(r->p + r->at, n))) {
        r->bad = 1;
        return -1;
    }
    r->at += n;
    return 0;
}

/* A count that must fit what is left of the block at min_each bytes per item. */
static uint64_t get_count(mql_rbuf *r, size_t min_each)
{
    uint64_t n = mql_rb_u64(r);
    if (!r->bad && n > (r->n - r->at) / min_each)
        r->bad = 1;
    return r->bad ? 0 : n;
}

int mql_cache_read_all(int fd, void *p, size_t n)
{
    char *c = p;
    while (n) {
        ssize_t m = read(fd, c, n > ((size_t)1 << 30) ? (size_t)1 << 30 : n);
        if (m < 0 && errno == EINTR)
            continue;
        if (m <= 0)
            return -1;
        c += m;
        n -= (size_t)m;
    }
    return 0;
}

/* The n levels (length, text, count each) into c: their text in one block of the column's own
 * (mql_column.level_blocks), so an identifier's million values are one allocation instead of a
 * million (most of a cache hit's read of the 1M leads export went to those). A first walk sizes
 * the block and checks every length; a level holding NUL or running past the block is an error.
 * Returns 0 or -1 (r->bad, or no memory). */
static int read_level_block(mql_rbuf *r, mql_column *c, uint64_t n)
{
    size_t at0 = r->at, bytes = 0;
    for (uint64_t k = 0; k < n; k++) {
        uint32_t len = mql_rb_u32(r);
        if (r->bad || len == NULL_LEN || r->n - r->at < (size_t)len + 8) {
            r->bad = 1;
            return -1;
        }
        r->at += (size_t)len + 8;
        bytes += (size_t)len + 1;
    }
    r->at = at0;
    if (!(c->level_blocks = malloc(sizeof *c->level_blocks)))
        return -1;
    char *text = mql_alloc_big(bytes ? bytes : 1);
    if (!text)
        return -1;
    c->level_blocks[0] = text;
    c->n_level_blocks = 1;
    for (uint64_t k = 0; k < n; k++) {
        uint32_t len = mql_rb_u32(r);
        const char *src = r->p + r->at;
        if (memchr(src, '\0', len)) {
            r->bad = 1;
            return -1;
        }
        memcpy(text, src, len);
        text[len] = '\0';
        c->levels[k] = text;
        c->n_levels = k + 1;
        text += (size_t)len + 1;
        r->at += len;
        uint64_t cnt = mql_rb_u64(r);
        if (c->level_count)
            c->level_count[k] = cnt;
    }
    return r->bad ? -1 : 0;
}

static int read_column_meta(mql_rbuf *r, mql_column *c, uint64_t n_rows, uint64_t *bytes,
                            uint64_t *sum, uint32_t *kind)
{
    if (mql_rb_str(r, &c->name) || !c->name)
        return -1;
    uint32_t type = mql_rb_u32(r);
    *kind = mql_rb_u32(r);
    c->n_missing = mql_rb_u64(r);
    c->n_distinct = mql_rb_u64(r);
    c->has_time = (int)mql_rb_u32(r);
    uint32_t dec = mql_rb_u32(r);
    c->plain_decimal = dec > 0 && dec <= 16;
    c->decimals = c->plain_decimal ? (int)dec - 1 : 0;
    uint32_t code_rule = mql_rb_u32(r);
    c->code_rule = code_rule <= MQL_CODE_ZEROS ? (int)code_rule : MQL_CODE_NONE;
    c->n_rows = mql_rb_u64(r);
    uint64_t n_levels = get_count(r, 12);
    uint32_t has_count = mql_rb_u32(r);
    if (r->bad || type > MQL_COL_ID || *kind > 2 || c->n_rows != n_rows || c->n_missing > n_rows)
        return -1;
    c->type = (mql_coltype)type;
    if (n_levels) {
        c->levels = calloc(n_levels, sizeof *c->levels);
        if (has_count)
            c->level_count = malloc(n_levels * sizeof *c->level_count);
        if (!c->levels || (has_count && !c->level_count))
            return -1;
        if (read_level_block(r, c, n_levels))
            return -1;
    }
    if (mql_rb_str(r, &c->true_label) || mql_rb_str(r, &c->false_label))
        return -1;
    uint64_t n_sp = get_count(r, 16);
    if (r->bad)
        return -1;
    if (n_sp) {
        if (!(c->spellings = calloc(n_sp, sizeof *c->spellings)))
            return -1;
        for (uint64_t k = 0; k < n_sp; k++) {
            c->spellings[k].level = mql_rb_u32(r);
            if (mql_rb_str(r, &c->spellings[k].text) || !c->spellings[k].text)
                return -1;
            c->n_spellings = k + 1;
            c->spellings[k].count = mql_rb_u64(r);
        }
    }
    *bytes = mql_rb_u64(r);
    *sum = mql_rb_u64(r);
    uint64_t want = *kind == 1 ? n_rows * sizeof(double) : *kind == 2 ? n_rows * sizeof(uint32_t) : 0;
    if (r->bad || *bytes != want)
        return -1;
    return 0;
}

/* Whether the n bytes at p are all zero (the padding of an entry: every byte is checked). */
static int zeros(const char *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (p[i])
            return 0;
    return 1;
}

/* Codes must index the levels (or be missing): a table that passed the checksums is still
 * checked where a wrong value would read out of bounds. */
static int codes_valid(const mql_column *c, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (c->code[i] != MQL_NA_CODE && c->code[i] >= c->n_levels)
            return 0;
    return 1;
}

/* The check of an entry's column arrays, which borrow from the mapping: checksum, zero padding,
 * codes in range. Columns lo..hi of one load, the columns' pointers already set. */
typedef struct verify_part {
    mql_table *t;
    const uint64_t *bytes;      /* 2 per column: the array's bytes and its checksum */
    size_t lo, hi;
    int bad;
} verify_part;

/* XXH64 of a numeric column's array, with design_scan.h's unweighted scan of its values taken
 * block by block while each block is in cache (the fit's design would read the column once
 * more for it); the scan is kept in the column. */
#define SCAN_BLOCK 8192     /* doubles: 64 KiB */

static uint64_t hash_and_scan(mql_column *c, size_t n_rows)
{
    mql_xxh64_state s;
    mql_scan_acc a;
    mql_xxh64_init(&s);
    mql_scan_acc_init(&a);
    for (size_t i = 0; i < n_rows; i += SCAN_BLOCK) {
        size_t m = n_rows - i < SCAN_BLOCK ? n_rows - i : SCAN_BLOCK;
        mql_xxh64_update(&s, c->num + i, m * sizeof *c->num);
        mql_scan_acc_add(&a, c->num + i, m);
    }
    c->scan_of = c->num;
    c->scan_rows = n_rows;
    c->scan_na = a.na;
    c->scan_lo = a.lo;
    c->scan_hi = a.hi;
    c->scan_integer = a.integer;
    return mql_xxh64_digest(&s);
}

static void *verify_run(void *arg)
{
    verify_part *v = arg;
    for (size_t j = v->lo; j < v->hi && !v->bad; j++) {
        mql_column *c = &v->t->cols[j];
        const char *at = c->num ? (const char *)c->num : (const char *)c->code;
        uint64_t n = v->bytes[2 * j];
        if (!at)
            continue;
        uint64_t sum = c->num && c->type == MQL_COL_NUMERIC ? hash_and_scan(c, v->t->n_rows)
                                                            : mql_xxh64(at, n);
        if (sum != v->bytes[2 * j + 1] || !zeros(at + n, pad8(n) - n) ||
            (c->code && !codes_valid(c, v->t->n_rows)))
            v->bad = 1;
        c->sum_of = at;
        c->sum_rows = v->t->n_rows;
        c->sum = sum;
    }
    return NULL;
}

/* 0 when every column array checks out. A large entry's columns are shared with a second
 * thread, split where half the bytes are behind (a hit costs about 20 ms of checksum per 170 MB
 * on one core). */
static int verify_columns(mql_table *t, const uint64_t *bytes)
{
    uint64_t total = 0, half = 0;
    for (size_t j = 0; j < t->n_cols; j++)
        total += bytes[2 * j];
    size_t cut = 0;
    while (cut < t->n_cols && half + bytes[2 * cut] / 2 < total / 2)
        half += bytes[2 * cut++];
    verify_part a = {t, bytes, 0, cut, 0}, b = {t, bytes, cut, t->n_cols, 0};
    pthread_t tid;
    int threaded = total >= ((uint64_t)8 << 20) && cut > 0 && cut < t->n_cols &&
                   pthread_create(&tid, NULL, verify_run, &b) == 0;
    verify_run(&a);
    if (threaded)
        pthread_join(tid, NULL);
    else
        verify_run(&b);
    return a.bad || b.bad;
}

/* A list written by put_list into *l (NULL marker: left empty). */
static int read_list(mql_rbuf *r, const char *tag, mql_na_list *l)
{
    char *t;
    if (mql_rb_str(r, &t) || !t || strcmp(t, tag) != 0) {
        free(t);
        return -1;
    }
    free(t);
    uint64_t n = mql_rb_u64(r);
    if (r->bad)
        return -1;
    if (n == UINT64_MAX)
        return 0;
    if (n > (r->n - r->at) / 4 || !(l->v = calloc(n ? n : 1, sizeof *l->v)))
        return -1;
    for (uint64_t k = 0; k < n; k++) {
        if (mql_rb_str(r, &l->v[k]) || !l->v[k])
            return -1;
        l->n = k + 1;
    }
    return 0;
}

/* Loads the entry at path for a CSV with this hash and size read with opt. Returns the table,
 * or NULL when there is no entry (*stale 0) or it failed a check (*stale 1). */
static mql_table *load(const char *path, const char *source, uint64_t file_hash,
                       uint64_t file_bytes, const mql_wbuf *opt, int *stale)
{
    *stale = 0;
    int fd = open(path, O_RDONLY);
    if (fd < 0)
        return NULL;
    *stale = 1;
    mql_table *t = NULL;
    char *meta = NULL;
    struct stat st;
    header h;
    if (fstat(fd, &st) != 0 || mql_cache_read_all(fd, &h, sizeof h) ||
        memcmp(h.magic, MAGIC, 8) != 0 ||
        h.version != MQL_TABLE_CACHE_VERSION || h.endian != ENDIAN_MARK ||
        h.sum != mql_xxh64(&h, offsetof(header, sum)) || h.file_hash != file_hash ||
        h.file_bytes != file_bytes || h.opt_hash != mql_xxh64(opt->p, opt->n) ||
        h.meta_len > (uint64_t)st.st_size || h.data_len > (uint64_t)st.st_size ||
        (uint64_t)st.st_size != data_offset(h.meta_len) + h.data_len)
        goto bad;
    uint64_t msum;
    if (!(meta = malloc(h.meta_len ? h.meta_len : 1)) || mql_cache_read_all(fd, meta, h.meta_len) ||
        mql_cache_read_all(fd, &msum, 8) || msum != mql_xxh64(meta, h.meta_len))
        goto bad;
    mql_rbuf r = {meta, h.meta_len, 0, 0};
    uint64_t on = get_count(&r, 1);
    if (r.bad || on != opt->n || memcmp(meta + r.at, opt->p, opt->n) != 0)
        goto bad;
    r.at += on;
    if (!(t = calloc(1, sizeof *t)) || !(t->source = mql_strdup(source)))
        goto bad;
    t->n_rows = mql_rb_u64(&r);
    uint64_t n_cols = get_count(&r, 32);
    t->delim = (char)mql_rb_u32(&r);
    t->hash = file_hash;
    t->n_bytes = file_bytes;
    if (r.bad || t->n_rows == 0 || t->n_rows > h.data_len + ((uint64_t)1 << 40))
        goto bad;
    if (read_list(&r, "na", &t->na))
        goto bad;
    if (!(t->cols = calloc(n_cols ? n_cols : 1, sizeof *t->cols)))
        goto bad;
    t->n_cols = n_cols;
    uint64_t *bytes = calloc(n_cols ? n_cols : 1, 2 * sizeof *bytes);
    uint32_t *kind = calloc(n_cols ? n_cols : 1, sizeof *kind);
    if (!bytes || !kind)
        goto bad_cols;
    uint64_t data = 0;
    for (size_t j = 0; j < n_cols; j++) {
        if (read_column_meta(&r, &t->cols[j], t->n_rows, &bytes[2 * j], &bytes[2 * j + 1],
                             &kind[j]))
            goto bad_cols;
        data += pad8(bytes[2 * j]);
    }
    if (r.at != r.n || data != h.data_len)
        goto bad_cols;
    /* The arrays are used where they lie in a private mapping of the entry (pages the page cache
     * already holds, copied only where a command writes): no copy, no fresh memory to fill. */
    /* Populated read-only, then made writable: populating a writable private mapping would copy
     * every page at once. */
    t->map_len = (size_t)st.st_size;
    t->map = mmap(NULL, t->map_len, PROT_READ, MAP_PRIVATE | MAP_POPULATE, fd, 0);
    if (t->map == MAP_FAILED) {
        t->map = NULL;
        goto bad_cols;
    }
    if (mprotect(t->map, t->map_len, PROT_READ | PROT_WRITE) != 0)
        goto bad_cols;
    char *at = (char *)t->map + data_offset(h.meta_len);
    if (!zeros((char *)t->map + HEADER_BYTES + h.meta_len + 8,
               data_offset(h.meta_len) - (HEADER_BYTES + h.meta_len + 8)))
        goto bad_cols;
    for (size_t j = 0; j < n_cols; j++) {
        mql_column *c = &t->cols[j];
        if (kind[j] == 1)
            c->num = (double *)(void *)at;
        else if (kind[j] == 2)
            c->code = (uint32_t *)(void *)at;
        else
            continue;
        c->borrowed = 1;
        at += pad8(bytes[2 * j]);
    }
    if (verify_columns(t, bytes))
        goto bad_cols;
    free(bytes);
    free(kind);
    free(meta);
    close(fd);
    *stale = 0;
    return t;
bad_cols:
    free(bytes);
    free(kind);
bad:
    mql_table_free(t);
    free(meta);
    close(fd);
    return NULL;
}

/* ======================================================================== the identity index ==== */

/* A hint that lets a hit check the entry while the CSV is still being hashed: for a file's
 * identity (device and inode, in the record's name; size and modification time, in the record)
 * the content hash it had when last read. It only chooses which entry to check first: the entry
 * is used only once the CSV's own hash, computed meanwhile, equals the hash it was stored under,
 * so a file changed behind the same size and time, or a wrong or damaged record, costs a wasted
 * check and never a wrong table. */

typedef struct ident_rec {
    char magic[8];
    uint32_t version, pad;
    uint64_t dev, ino, size, mtime_sec, mtime_nsec;
    uint64_t file_hash;
    uint64_t sum;             /* XXH64 of the 64 bytes above */
} ident_rec;

_Static_assert(sizeof(ident_rec) == 72, "identity record is 72 bytes");

static char *ident_path(const char *dir, const struct stat *st)
{
    uint64_t id[2] = {(uint64_t)st->st_dev, (uint64_t)st->st_ino};
    size_t n = strlen(dir) + 24;
    char *p = malloc(n);
    if (p)
        snprintf(p, n, "%s/%016llx" IDX_SUFFIX, dir, (unsigned long long)mql_xxh64(id, sizeof id));
    return p;
}

static ident_rec ident_of(const struct stat *st, uint64_t file_hash)
{
    ident_rec r = {.version = MQL_TABLE_CACHE_VERSION, .dev = (uint64_t)st->st_dev,
                   .ino = (uint64_t)st->st_ino, .size = (uint64_t)st->st_size,
                   .mtime_sec = (uint64_t)st->st_mtim.tv_sec,
                   .mtime_nsec = (uint64_t)st->st_mtim.tv_nsec, .file_hash = file_hash};
    memcpy(r.magic, IDX_MAGIC, 8);
    r.sum = mql_xxh64(&r, offsetof(ident_rec, sum));
    return r;
}

/* A well-formed record (magic, version, checksum) read from the open file fd into *r. */
static int ident_load(int fd, ident_rec *r)
{
    return mql_cache_read_all(fd, r, sizeof *r) == 0 && memcmp(r->magic, IDX_MAGIC, 8) == 0 &&
           r->version == MQL_TABLE_CACHE_VERSION &&
           r->sum == mql_xxh64(r, offsetof(ident_rec, sum)) ? 0 : -1;
}

/* The content hash the index holds for a file of this identity: 0 with *hash set, or -1. */
static int ident_read(const char *dir, const struct stat *st, uint64_t *hash)
{
    char *p = ident_path(dir, st);
    int fd = p ? open(p, O_RDONLY) : -1;
    free(p);
    if (fd < 0)
        return -1;
    ident_rec r, want = ident_of(st, 0);
    int rc = ident_load(fd, &r) == 0 && r.dev == want.dev && r.ino == want.ino &&
             r.size == want.size && r.mtime_sec == want.mtime_sec &&
             r.mtime_nsec == want.mtime_nsec ? 0 : -1;
    close(fd);
    *hash = r.file_hash;
    return rc;
}

static int same_identity(const struct stat *a, const struct stat *b)
{
    return a->st_dev == b->st_dev && a->st_ino == b->st_ino && a->st_size == b->st_size &&
           a->st_mtim.tv_sec == b->st_mtim.tv_sec && a->st_mtim.tv_nsec == b->st_mtim.tv_nsec;
}

/* Records hash for the file at path, whose identity before it was hashed was *before: only when
 * it is the same now (a file changed while it was hashed gets no record). Failures are ignored. */
static void ident_write(const char *dir, const char *path, const struct stat *before,
                        uint64_t hash)
{
    struct stat now;
    if (stat(path, &now) != 0 || !same_identity(before, &now))
        return;
    char *p = ident_path(dir, before), *tmp = NULL;
    int fd = p ? mql_cache_temp_open(dir, &tmp) : -1;
    if (fd >= 0) {
        ident_rec r = ident_of(before, hash);
        int ok = mql_cache_write_all(fd, &r, sizeof r) == 0;
        if (close(fd) != 0 || !ok || rename(tmp, p) != 0)
            unlink(tmp);
    }
    free(tmp);
    free(p);
}

/* Whether the index record at path names a content hash some entry in names[0..n) (file names
 * of the kept entries, NULL for removed ones) was stored under. */
static int ident_in_use(const char *path, char *const *names, size_t n)
{
    int fd = open(path, O_RDONLY);
    if (fd < 0)
        return 0;
    ident_rec r;
    int ok = ident_load(fd, &r) == 0;
    close(fd);
    if (!ok)
        return 0;
    char hex[20];
    snprintf(hex, sizeof hex, "%016llx", (unsigned long long)r.file_hash);
    for (size_t k = 0; k < n; k++) {
        const char *b = names[k] ? strrchr(names[k], '/') : NULL;
        if (b && strncmp(b + 1, hex, 16) == 0)
            return 1;
    }
    return 0;
}

/* ======================================================================== the entry point ==== */

/* The CSV's hash, on a thread of its own while a candidate entry is checked. */
typedef struct hash_job {
    const char *path;
    uint64_t hash, bytes;
    int rc;
} hash_job;

static void *hash_run(void *arg)
{
    hash_job *j = arg;
    j->rc = mql_file_xxh64(j->path, &j->hash, &j->bytes, NULL);
    return NULL;
}

/* The table for a CSV with this hash and size from the entries a read with opts may use (for a
 * read of some columns the whole table's entry first), or NULL (*stale as load sets it).
 * *used: the entry's path (malloc'd) when one loaded. */
static mql_table *lookup(const char *dir, const char *path, uint64_t hash, uint64_t bytes,
                         const mql_read_opts *opts, const mql_wbuf *opt, int *stale, char **used)
{
    mql_table *t = NULL;
    *stale = 0;
    *used = NULL;
    if (opts && opts->only) {
        /* A read of some columns is served by an entry of the whole table when there is one
         * (the other commands of a review cache the whole file): the extra columns are unused. */
        mql_read_opts all = *opts;
        all.only = NULL;
        all.n_only = 0;
        all.only_if_present = 0;
        mql_wbuf aopt = {0};
        char *aentry = NULL;
        if (!option_text(&all, &aopt) && (aentry = entry_path(dir, hash, bytes, &aopt)) &&
            (t = load(aentry, path, hash, bytes, &aopt, stale)))
            *used = aentry;
        else
            free(aentry);
        free(aopt.p);
    }
    char *entry;
    if (!t && (entry = entry_path(dir, hash, bytes, opt))) {
        if ((t = load(entry, path, hash, bytes, opt, stale)))
            *used = entry;
        else
            free(entry);
    }
    return t;
}

int mql_table_read_cached(const char *path, const mql_read_opts *opts,
                          const mql_cache_opts *cache, mql_table **out,
                          mql_cache_result *result, mql_err *err)
{
    mql_cache_trace tr;
    int st_rc = mql_table_read_cached_traced(path, opts, cache, out, &tr, err);
    if (result)
        *result = tr.result;
    return st_rc;
}

int mql_table_read_cached_traced(const char *path, const mql_read_opts *opts,
                                 const mql_cache_opts *cache, mql_table **out,
                                 mql_cache_trace *trace, mql_err *err)
{
    mql_cache_trace tr = {MQL_CACHE_OFF, MQL_CACHE_NO_CANDIDATE};
    struct stat st;
    mql_wbuf opt = {0};
    /* A table read without its identifiers' values (ids_unused) or some columns' (unread) is
     * never cached: the next command may read them. */
    if (!cache || !cache->dir ||
        (opts && (opts->ids_unused || opts->n_unread || opts->unread_rest)) ||
        strcmp(path, "-") == 0 ||
        stat(path, &st) != 0 ||
        !S_ISREG(st.st_mode) || (uint64_t)st.st_size < cache->min_file_bytes ||
        option_text(opts, &opt)) {
        free(opt.p);
        if (trace)
            *trace = tr;
        return mql_table_read(path, opts, out, err);
    }
    int stale = 0, st_rc;
    mql_table *t = NULL;
    char *used = NULL;
    hash_job hj = {path, 0, 0, MQL_EIO};
    uint64_t claimed;
    pthread_t tid;
    if (ident_read(cache->dir, &st, &claimed) == 0 &&
        pthread_create(&tid, NULL, hash_run, &hj) == 0) {
        /* The entry the file's identity points at is checked while the CSV is hashed; it is
         * used only if the CSV's hash is the one it was stored under. */
        t = lookup(cache->dir, path, claimed, (uint64_t)st.st_size, opts, &opt, &stale, &used);
        pthread_join(tid, NULL);
        if (hj.rc == MQL_OK && (hj.hash != claimed || hj.bytes != (uint64_t)st.st_size)) {
            tr.candidate = MQL_CACHE_CANDIDATE_REJECTED;
            mql_table_free(t);
            t = NULL;
            free(used);
            used = NULL;
            stale = 0;
        } else if (hj.rc == MQL_OK) {
            tr.candidate = MQL_CACHE_CANDIDATE_CONFIRMED;
        }
    } else {
        hash_run(&hj);
    }
    if (hj.rc != MQL_OK) {              /* not hashed: read as if there were no cache */
        mql_table_free(t);
        free(used);
        free(opt.p);
        if (trace)
            *trace = tr;
        return mql_table_read(path, opts, out, err);
    }
    if (tr.candidate != MQL_CACHE_CANDIDATE_CONFIRMED)
        t = lookup(cache->dir, path, hj.hash, hj.bytes, opts, &opt, &stale, &used);
    if (t) {
        utimensat(AT_FDCWD, used, NULL, 0);       /* most recently used */
        *out = t;
        tr.result = MQL_CACHE_HIT;
        st_rc = MQL_OK;
    } else if ((st_rc = mql_table_read(path, opts, out, err)) == MQL_OK) {
        tr.result = stale ? MQL_CACHE_STALE : MQL_CACHE_MISS;
        /* The file may have changed between the hash and the read: store only what was hashed. */
        char *entry = entry_path(cache->dir, hj.hash, hj.bytes, &opt);
        if (!entry || (*out)->hash != hj.hash || (*out)->n_bytes != hj.bytes ||
            reading_notes(*out) ||
            store(cache->dir, entry, *out, &opt,
                  cache->max_bytes ? cache->max_bytes : MQL_TABLE_CACHE_MAX_DEFAULT))
            tr.result = MQL_CACHE_NOT_STORED;
        free(entry);
    }
    /* The next run finds the entry by the file's identity, unless it already did. */
    if ((tr.result == MQL_CACHE_HIT || tr.result == MQL_CACHE_MISS ||
         tr.result == MQL_CACHE_STALE) && tr.candidate != MQL_CACHE_CANDIDATE_CONFIRMED)
        ident_write(cache->dir, path, &st, hj.hash);
    free(used);
    free(opt.p);
    if (trace)
        *trace = tr;
    return st_rc;
}
