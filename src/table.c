/* table.c: reading the columnar lead table. Columns are typed while the CSV streams past (numbers
 * and dates as doubles, text dictionary-encoded), a large file in parts on several threads that
 * are then merged; table_infer.c then infers each column as numeric / boolean / date /
 * categorical / identifier-like. */
#define _DEFAULT_SOURCE     /* madvise(MADV_HUGEPAGE) */
#include "mqlcal/table.h"

#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#ifdef __GLIBC__
#include <malloc.h>       /* malloc_trim */
#endif

#include "dates.h"
#include "table_build.h"
#include "table_num.h"
#include "mqlcal/csv.h"
#include "mqlcal/dict.h"
#include "mqlcal/table_ops.h"
#include "mqlcal/value.h"


const char *mql_coltype_name(mql_coltype t)
{
    switch (t) {
    case MQL_COL_NUMERIC: return "numeric";
    case MQL_COL_BOOLEAN: return "boolean";
    case MQL_COL_CATEGORICAL: return "categorical";
    case MQL_COL_DATE: return "date";
    case MQL_COL_ID: return "id";
    }
    return "?";
}

/* ======================================================================== reading ==== */

/* Whether field s (n bytes) is a missing-value placeholder; most fields are rejected on their
 * first byte and length together without a comparison ("-1.5444" has the length of "unknown"
 * and the first byte of "-", but no placeholder has both). */
static int is_na(const builder *b, const char *s, size_t n)
{
    /* (' ' and '\t' are the only bytes trimmed; both are below '!') */
    if (n && ((unsigned char)s[0] <= ' ' || (unsigned char)s[n - 1] <= ' '))
        n = mql_trim_span(s, n, &s);    /* " NA " is NA, as value.h reads it */
    if (n == 0)
        return b->na_empty;
    if (n >= 64 || !(b->na_lens[(unsigned char)lower(s[0])] >> n & 1))
        return 0;
    for (size_t k = 0; k < b->n_na; k++) {
        if (b->na_len[k] != n)
            continue;
        size_t i = 0;
        while (i < n && lower((unsigned char)s[i]) == lower((unsigned char)b->na[k][i]))
            i++;
        if (i == n)
            return 1;
    }
    return 0;
}

static int in_list(const char *name, const char *const *list, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(name, list[i]) == 0)
            return 1;
    return 0;
}

/* Whether a header name reads as a number or a date: a text column may hold such a value in
 * the canonical spelling the reader gives numbers and dates it met before the column turned to
 * text ("1.5" for "1.50"), so only a typed read tells whether a level is the name. */
static int name_reads_as_value(const builder *b, const char *s, size_t n)
{
    double v;
    int ht;
    n = mql_trim_span(s, n, &s);
    return parse_num(s, n, &v) == 0 || (b->dec_comma && mql_parse_decimal_comma(s, n, &v) == 0) ||
           mql_is_nonfinite_number(s, n) || mql_date_parse(s, n, &v, &ht) == 0 ||
           mql_date_iso_shaped(s, n);
}

/* Whether column `name` (n bytes) is read without its values (mql_read_opts.unread). */
static int is_unread(const builder *b, const char *name, size_t n)
{
    const mql_read_opts *o = b->opts;
    if (!b->may_unread)
        return 0;
    int listed = o->unread && in_list(name, o->unread, o->n_unread);
    int rest = o->unread_rest && !(o->used && in_list(name, o->used, o->n_used));
    return (listed || rest) && !name_reads_as_value(b, name, n);
}

/* Points the unread columns at their names, the table's copies (made by part 0's header). */
static void unread_names(builder *b)
{
    for (size_t j = 0; j < b->n_file_cols; j++)
        if (b->cb[j].unread >= 0) {
            b->cb[j].name = b->t->cols[b->cb[j].unread].name;
            b->cb[j].name_len = strlen(b->cb[j].name);
        }
}

static int on_header(builder *b, const mql_csv_row *row, mql_err *err)
{
    const mql_read_opts *o = b->opts;
    b->n_file_cols = row->n_fields;
    b->dec_comma = row->delim == ';';
    b->cb = calloc(row->n_fields, sizeof *b->cb);
    if (!b->cb)
        return mql_err_set(err, MQL_ENOMEM, "out of memory");
    size_t n_store = 0;
    for (size_t j = 0; j < row->n_fields; j++) {
        const char *name = row->field[j];
        b->cb[j].out = -1;
        b->cb[j].unread = -1;
        if (!row->len[j]) {
            b->cb[j].unnamed = 1;
            b->n_unnamed++;
            continue;
        }
        for (size_t k = 0; k < j; k++)
            if (row->len[k] && strcmp(row->field[k], name) == 0)
                return mql_err_set(err, MQL_EDATA,
                                   "%s:%zu: duplicate column name '%s' (columns %zu and %zu): "
                                   "rename one of them in the header line",
                                   b->path, row->line, name, k + 1, j + 1);
        if (o && o->only && !in_list(name, o->only, o->n_only))
            b->cb[j].out = -1;       /* not stored: no column of the table */
        else if (is_unread(b, name, row->len[j]))
            b->cb[j].unread = (long)n_store++;
        else
            b->cb[j].out = (long)n_store++;
        b->cb[j].forced = o && o->categorical && in_list(name, o->categorical, o->n_categorical);
        b->cb[j].numeric = o && o->numeric && in_list(name, o->numeric, o->n_numeric);
        b->cb[j].code_name = !b->cb[j].numeric && mql_code_name(name, NULL, 0);
        b->cb[j].keyable = o && o->ids_unused && !b->cb[j].forced &&
                           !(o->used && in_list(name, o->used, o->n_used));
    }
    if (b->n_unnamed == row->n_fields)
        return mql_err_set(err, MQL_EDATA, "%s:%zu: the header line has no column names: the "
                           "column names must be the first line of the file", b->path,
                           row->line);
    /* The parts' headers are handled one after another on one thread: the first makes the
     * table of shared arrays. */
    if (b->sl && !b->sl->num) {
        b->sl->n_cols = row->n_fields;
        if (!(b->sl->num = calloc(row->n_fields, sizeof *b->sl->num)) ||
            !(b->sl->code = calloc(row->n_fields, sizeof *b->sl->code)))
            return mql_err_set(err, MQL_ENOMEM, "out of memory");
    }
    if (b->secondary) {
        unread_names(b);
        return MQL_OK;
    }
    const char *const *lists[3] = {o ? o->only : NULL, o ? o->categorical : NULL,
                                   o ? o->numeric : NULL};
    size_t nl[3] = {o ? o->n_only : 0, o ? o->n_categorical : 0, o ? o->n_numeric : 0};
    for (int l = o && o->only_if_present ? 1 : 0; l < 3; l++)
        for (size_t i = 0; lists[l] && i < nl[l]; i++) {
            size_t j = 0;
            while (j < row->n_fields && strcmp(row->field[j], lists[l][i]) != 0)
                j++;
            if (j == row->n_fields) {
                char cols[640];
                mql_name_list((const char *const *)row->field, row->n_fields, sizeof(char *), cols,
                              sizeof cols);
                const char *near = mql_nearest_name(lists[l][i], (const char *const *)row->field,
                                                    row->n_fields, sizeof(char *));
                return mql_err_set(err, MQL_EUSAGE, "no column '%s' in %s%s%s%s%s (columns: %s)",
                                   lists[l][i], b->path, near ? "; did you mean '" : "",
                                   near ? near : "", near ? "'?" : "",
                                   mql_name_lookalike(lists[l][i], near), cols);
            }
        }
    mql_table *t = b->t;
    t->cols = calloc(n_store ? n_store : 1, sizeof *t->cols);
    if (!t->cols)
        return mql_err_set(err, MQL_ENOMEM, "out of memory");
    t->n_cols = n_store;
    for (size_t j = 0; j < row->n_fields; j++) {
        long k = b->cb[j].out >= 0 ? b->cb[j].out : b->cb[j].unread;
        if (k >= 0 && !(t->cols[k].name = mql_strdup(row->field[j])))
            return mql_err_set(err, MQL_ENOMEM, "out of memory");
    }
    unread_names(b);
    return MQL_OK;
}

int mql_colb_to_text(colb *c, size_t n_rows, size_t cap, uint32_t *into)
{
    size_t wide = 0;
    uint32_t *code =
        into ? into : mql_alloc_big(code_room(cap > n_rows ? cap : n_rows ? n_rows : 1, &wide));
    if (!code)
        return -1;
    for (size_t i = 0; i < n_rows; i++) {
        double v = c->num[i];
        if (isnan(v)) {
            code[i] = MQL_NA_CODE;
            continue;
        }
        char buf[64];
        if (c->mode == M_DATE)
            mql_date_format(v, v != floor(v), buf, sizeof buf);
        else
            mql_num_text(v, buf, sizeof buf);
        if (mql_dict_add(&c->d, buf, strlen(buf), &code[i])) {
            if (!into)
                free(code);
            return -1;
        }
    }
    if (!into)
        free(c->num);
    c->num = NULL;
    c->code = code;
    c->code_wide = wide;
    c->mode = M_TEXT;
    c->st_ok = 0;
    c->switch_row = n_rows;
    return 0;
}

/* Array p in a block of the given bytes, its first keep bytes kept; an array in the shared ones
 * is copied out and left there (other parts may still read it). NULL when out of memory (p is
 * then unchanged). */
static void *array_reserve(void *p, int shared, size_t keep, size_t bytes)
{
    if (!shared)
        return mql_realloc_big(p, keep, bytes);
    void *q = mql_alloc_big(bytes);
    if (q)
        memcpy(q, p, keep);
    return q;
}

/* Makes room for cap rows in column c's array, keeping its first keep rows; the column then has
 * an array of its own. Returns 0 or -1. */
static int col_reserve(colb *c, size_t keep, size_t cap)
{
    if (c->num) {
        double *q = array_reserve(c->num, c->shared, keep * sizeof *q, cap * sizeof *q);
        if (!q)
            return -1;
        c->num = q;
    }
    if (c->code) {
        /* (a column holds one array: there is no shared num left behind to lose track of) */
        size_t wide;
        uint32_t *q = array_reserve(c->code, c->shared, keep * sizeof *q, code_room(cap, &wide));
        if (!q)
            return -1;
        c->code = q;
        c->code_wide = wide;
    }
    c->shared = 0;
    return 0;
}

/* The most rows a part's own first arrays have room for before it is placed. */
enum { UNPLACED_ROWS = 65536 };

/* Makes room for row i in every stored column. A placed part that has filled its room in the
 * shared arrays (the row estimate was low) goes on in arrays of its own. */
static int ensure_rows(builder *b, size_t i)
{
    if (i < b->cap_rows)
        return 0;
    size_t hint = b->cap_hint > 4096 ? b->cap_hint : 4096, cap;
    if (!b->cap_rows) {
        /* A part not yet placed in the shared arrays usually is within some thousands of rows
         * (once the part before it has counted its lines), and then copies its rows there: its
         * own first arrays are small ones rather than a part's worth of address space, each of
         * whose first 2 MiB page would be faulted and zeroed to be dropped. */
        size_t first = hint / 16 < UNPLACED_ROWS ? hint / 16 : UNPLACED_ROWS;
        cap = b->sl && !b->placed && first >= 256 ? first : hint;
    } else {
        cap = 2 * b->cap_rows > hint ? 2 * b->cap_rows : hint;
    }
    size_t old = b->cap_rows;
    if (b->line) {
        size_t *ln = mql_realloc_big(b->line, old * sizeof *ln, cap * sizeof *ln);
        if (!ln)
            return -1;
        b->line = ln;
    }
    for (size_t j = 0; j < b->n_file_cols; j++)
        if (col_reserve(&b->cb[j], i, cap))
            return -1;
    b->cap_rows = cap;
    b->placed = 0;
    return 0;
}

/* Column c's window (at the builder's base) in the shared array of doubles or of codes, which
 * the first part to need it makes. NULL when out of memory. */
static double *slab_num(builder *b, const colb *c)
{
    slabs *sl = b->sl;
    size_t j = (size_t)(c - b->cb);
    pthread_mutex_lock(&sl->mu);
    if (!sl->num[j])
        sl->num[j] = mql_alloc_big(sl->cap * sizeof *sl->num[j]);
    double *p = sl->num[j];
    pthread_mutex_unlock(&sl->mu);
    return p ? p + b->base : NULL;
}

/* The shared array of codes has room for a double a row (slabs_free): part 0's codes, at its
 * start, can take their column's values in place at its finish (colb.code_wide). */
static uint32_t *slab_code(builder *b, const colb *c)
{
    slabs *sl = b->sl;
    size_t j = (size_t)(c - b->cb);
    pthread_mutex_lock(&sl->mu);
    if (!sl->code[j])
        sl->code[j] = mql_alloc_big(sl->cap * sizeof(double));
    uint32_t *p = sl->code[j];
    pthread_mutex_unlock(&sl->mu);
    return p ? p + b->base : NULL;
}

/* A new array for column c of builder b, room for b->cap_rows rows: its window in the shared
 * arrays when b is placed. NULL when out of memory. */
static double *col_new_num(builder *b, colb *c)
{
    double *p = b->placed ? slab_num(b, c) : mql_alloc_big(b->cap_rows * sizeof *p);
    c->shared = b->placed;
    return p;
}

static uint32_t *col_new_code(builder *b, colb *c)
{
    size_t wide = 0;
    uint32_t *p = b->placed ? slab_code(b, c) : mql_alloc_big(code_room(b->cap_rows, &wide));
    c->shared = b->placed;
    c->code_wide = wide;
    return p;
}

/* mql_colb_to_text for column c of builder b, whose first n_rows rows are read. */
static int col_to_text(builder *b, colb *c, size_t n_rows)
{
    uint32_t *into = NULL;
    if (b->placed && !(into = slab_code(b, c)))
        return -1;
    return mql_colb_to_text(c, n_rows, b->cap_rows, into);
}

/* ---- identifier cells as keys (M_KEY) ---- */

#define KEYTEXT_BLOCK ((size_t)4 << 20)

int mql_keytext_put(keytext *kt, const char *s, size_t n)
{
    size_t head = n < 255 ? 1 : 5, need = head + n + 1;
    if (!kt->n_blk || kt->used[kt->n_blk - 1] + need > kt->cap) {
        size_t cap = need > KEYTEXT_BLOCK ? need : KEYTEXT_BLOCK;
        char **b = realloc(kt->blk, (kt->n_blk + 1) * sizeof *b);
        if (!b)
            return -1;
        kt->blk = b;
        size_t *u = realloc(kt->used, (kt->n_blk + 1) * sizeof *u);
        if (!u)
            return -1;
        kt->used = u;
        if (!(b[kt->n_blk] = mql_alloc_big(cap)))
            return -1;
        u[kt->n_blk++] = 0;
        kt->cap = cap;
    }
    unsigned char *p = (unsigned char *)kt->blk[kt->n_blk - 1] + kt->used[kt->n_blk - 1];
    if (head == 1) {
        p[0] = (unsigned char)n;
    } else {
        uint32_t l4 = (uint32_t)n;
        p[0] = 255;
        memcpy(p + 1, &l4, sizeof l4);
    }
    memcpy(p + head, s, n);
    p[head + n] = '\0';
    kt->used[kt->n_blk - 1] += need;
    kt->n++;
    return 0;
}

int mql_keytext_append(keytext *a, keytext *from)
{
    if (!from->n_blk)
        return 0;
    size_t nb = a->n_blk + from->n_blk;
    char **b = realloc(a->blk, nb * sizeof *b);
    if (!b)
        return -1;
    a->blk = b;
    size_t *u = realloc(a->used, nb * sizeof *u);
    if (!u)
        return -1;
    a->used = u;
    memcpy(b + a->n_blk, from->blk, from->n_blk * sizeof *b);
    memcpy(u + a->n_blk, from->used, from->n_blk * sizeof *u);
    a->n_blk = nb;
    a->cap = from->cap;                /* from's last block is a's last now */
    a->n += from->n;
    free(from->blk);
    free(from->used);
    memset(from, 0, sizeof *from);
    return 0;
}

void mql_keytext_free(keytext *kt)
{
    for (size_t k = 0; k < kt->n_blk; k++)
        free(kt->blk[k]);
    free(kt->blk);
    free(kt->used);
    memset(kt, 0, sizeof *kt);
}

/* Stores cell s (n bytes, no placeholder) in row i of M_KEY column c. Returns 0 or -1. */
static int key_put(colb *c, size_t i, const char *s, size_t n)
{
    if (mql_keytext_put(&c->kt, s, n))
        return -1;
    uint64_t k = key_of(s, n);
    memcpy(&c->num[i], &k, sizeof k);
    return 0;
}

/* Turns text column c, whose first n_rows rows are read, into M_KEY: each row's level becomes
 * its key and text, and the codes and dictionary go. An identifier's dictionary takes 24 bytes
 * an entry, its code 4 and its distinct check 16 more once the file is read; a key and its text
 * take about 18, and a caller that never reads the values (mql_read_opts.ids_unused) keeps none
 * of them after the read. Returns 0 or -1 (no memory; c unchanged). */
static int to_key(builder *b, colb *c, size_t n_rows)
{
    int shared = c->shared;
    double *num = col_new_num(b, c);
    if (!num)
        return -1;
    keytext kt = {0};
    for (size_t r = 0; r < n_rows; r++) {
        uint32_t k = c->code[r];
        if (k == MQL_NA_CODE) {
            num[r] = NAN;
        } else if (mql_keytext_put(&kt, c->d.lev[k], c->d.len[k])) {
            mql_keytext_free(&kt);
            if (!c->shared)
                free(num);
            c->shared = shared;
            return -1;
        } else {
            uint64_t key = key_of(c->d.lev[k], c->d.len[k]);
            memcpy(&num[r], &key, sizeof key);
        }
    }
    if (!shared)                 /* a shared array stays with the slabs, which free it */
        free(c->code);
    c->code = NULL;
    c->code_wide = 0;
    c->num = num;
    mql_dict_free(&c->d);
    c->kt = kt;
    c->mode = M_KEY;
    c->memo = 0;
    return 0;
}

/* The lines of rows 0 .. n - 1 when they are line0, line0 + 1, ...: the array, with room for cap
 * rows. Returns it or NULL (no memory). */
static size_t *lines_materialise(size_t line0, size_t n, size_t cap)
{
    size_t *ln = mql_alloc_big((cap > n ? cap : n ? n : 1) * sizeof *ln);
    for (size_t i = 0; ln && i < n; i++)
        ln[i] = line0 + i;
    return ln;
}

/* Records that row i (just taken, room made) is on line `line`. Returns 0 or -1. */
static int note_line(builder *b, size_t i, size_t line)
{
    if (i == 0)
        b->line0 = line;
    if (!b->line) {
        if (line == b->line0 + i)
            return 0;
        if (!(b->line = lines_materialise(b->line0, i, b->cap_rows)))
            return -1;
    }
    b->line[i] = line;
    return 0;
}

/* The first non-missing value of a column picks its mode; earlier rows become missing. */
static int start_mode(builder *b, colb *c, const char *s, size_t n, size_t i)
{
    double v;
    int ht;
    if (!c->forced && (c->numeric || !lead_zero_code(s, n)) && (parse_num(s, n, &v) == 0 ||
                       (b->dec_comma && mql_parse_decimal_comma(s, n, &v) == 0) || mql_is_nonfinite_number(s, n)))
        c->mode = M_NUM;
    else if (!c->forced && (mql_date_parse(s, n, &v, &ht) == 0 || mql_date_iso_shaped(s, n)))
        c->mode = M_DATE;
    else
        c->mode = M_TEXT;
    c->origin = c->mode;
    if (c->mode == M_TEXT) {
        if (!(c->code = col_new_code(b, c)))
            return -1;
        for (size_t k = 0; k < i; k++)
            c->code[k] = MQL_NA_CODE;
    } else {
        if (!(c->num = col_new_num(b, c)))
            return -1;
        for (size_t k = 0; k < i; k++)
            c->num[k] = NAN;
        numstats_init(&c->st);
        c->st_ok = c->mode == M_NUM;
    }
    return 0;
}

/* Records cell s of row i as one without a value of the column's type: missing, counted. */
static int note_bad(colb *c, size_t i, const char *s, size_t n)
{
    c->num[i] = NAN;
    if (c->n_bad++ == 0) {
        c->bad_row = i;
        if (!(c->bad_text = mql_strndup(s, n)))
            return -1;
    }
    return 0;
}

/* Stores cell s (n bytes) in row i of text or date column c when it is spelled as the last
 * cell the column looked up in its (small) dictionary or read as a plain date: it has that
 * cell's value and is no placeholder. Exports repeat a category from row to row (business, No,
 * False) and list leads by the day they were created, so the placeholder test and the hash
 * and probe, or the date's parse, are skipped for such cells, and put_cell's call too. Returns
 * 1 when it stored the cell, 0 when put_cell must. */
static inline int put_repeat(colb *c, size_t i, const char *s, size_t n)
{
    if (c->mode == M_TEXT && c->memo && !c->d.raw && c->d.mask < 4095) {
        uint32_t k = c->memo - 1;
        if (c->d.len[k] == n && mql_span_eq(c->d.lev[k], s, n)) {
            c->d.count[k]++;
            c->code[i] = k;
            return 1;
        }
    } else if (c->mode == M_DATE && n == 10 && c->day_memo && memcmp(c->day_text, s, 10) == 0) {
        c->num[i] = c->day;
        return 1;
    }
    return 0;
}

/* Stores cell s (n bytes) in row i of column c: the one-thread typing rule (the first value
 * picks the mode; a value the mode cannot read turns the column to text). The caller has made
 * room for row i; c->hash must hold mql_str_hash(s) when c is text with a large dictionary.
 * Returns 0 or -1 (no memory). */
static int put_cell(builder *b, colb *c, size_t i, const char *s, size_t n)
{
    if (is_na(b, s, n)) {
        if (c->mode == M_TEXT)
            c->code[i] = MQL_NA_CODE;
        else if (c->mode != M_EMPTY)
            c->num[i] = NAN;
        return 0;
    }
    if (c->mode == M_EMPTY && start_mode(b, c, s, n, i))
        return -1;
    int ht;
    switch (c->mode) {
    case M_NUM: {
        int dec;
        double v;
        /* (a leading-zero code has a digit after its '0': "0.5" needs no further look) */
        if (s[0] == '0' && n >= 2 && (unsigned char)(s[1] - '0') < 10 && !c->numeric &&
            lead_zero_code(s, n))
            break;                   /* a code: the column turns to text (mql_colb_finish
                                        turns it back when such cells are too few) */
        if (parse_num_dec(s, n, &v, &dec) == 0) {
            c->num[i] = v;
            c->dec = dec > c->dec ? dec : c->dec;
            numstats_add(&c->st, v, dec == 0);
            return 0;
        }
        if (b->dec_comma && mql_parse_decimal_comma(s, n, &v) == 0) {
            c->num[i] = v;
            c->dec = 99;
            numstats_add(&c->st, v, 0);
            return 0;
        }
        if (mql_is_nonfinite_number(s, n))
            return note_bad(c, i, s, n);
        break;
    }
    case M_DATE:
        if (mql_date_parse(s, n, &c->num[i], &ht) == 0) {
            c->has_time |= ht;
            if (n == 10) {       /* a day without a time: the memo above */
                memcpy(c->day_text, s, 10);
                c->day = c->num[i];
                c->day_memo = 1;
            }
            return 0;
        }
        if (mql_date_iso_shaped(s, n))
            return note_bad(c, i, s, n);
        break;
    case M_KEY:
        return key_put(c, i, s, n);
    default:
        break;
    }
    if (c->mode != M_TEXT) {
        if (col_to_text(b, c, i))
            return -1;
        c->hash = mql_str_hash(s, n);
    } else if (c->d.raw) {
        return mql_dict_raw_add(&c->d, s, n, &c->code[i]);
    } else if (c->d.mask < 4095) {
        c->hash = mql_str_hash(s, n);
    }
    /* A dictionary that has grown with nearly every row is an identifier's: from here on its
     * values are kept without an index (a hash table of millions of keys misses the cache on
     * every row), and mql_dict_raw_finish makes them distinct levels once the file is read;
     * or, when the caller reads no identifier's values, as keys (to_key). */
    if (c->d.n == 16384 && i < 17000 && c->keyable && c->origin == M_TEXT)
        return to_key(b, c, i) ? -1 : key_put(c, i, s, n);
    if (c->d.n == 16384 && i < 17000 && mql_dict_to_raw(&c->d) == 0 &&
        (b->cap_hint <= c->d.cap || mql_dict_room(&c->d, b->cap_hint) == 0))
        return mql_dict_raw_add(&c->d, s, n, &c->code[i]);
    if (c->d.raw)
        return -1;               /* mql_dict_to_raw ran out of memory */
    long k = mql_dict_lookup(&c->d, s, n, c->hash);
    if (k >= 0) {                /* a level already: counted without mql_dict_put's call */
        c->d.count[k]++;
        c->code[i] = (uint32_t)k;
    } else if (mql_dict_add_hashed(&c->d, s, n, c->hash, &c->code[i])) {
        return -1;
    }
    c->memo = c->code[i] + 1;
    return 0;
}

/* put_cell's commonest case, inline in the readers' loops: a plain decimal number
 * (parse_num_plain) in a column of numbers, not a placeholder and not a leading-zero code, is
 * stored and counted as put_cell stores it. Returns 1 when it took the cell, 0 when put_cell
 * must read it by the whole rule. */
static inline int put_plain_number(const builder *b, colb *c, size_t i, const char *s, size_t n)
{
    double v;
    int dec;
    if (c->mode != M_NUM || (s[0] == '0' && n >= 2 && (unsigned char)(s[1] - '0') < 10) ||
        parse_num_plain(s, n, &v, &dec) != 0)
        return 0;
    /* A plain number has no blanks to trim and no letters, so is_na's first-byte and length
     * test is all it takes to rule out a placeholder; one that passes it ("-999" on a --na
     * list) is left to put_cell, which keeps this function free of calls. */
    if (n < 64 && (b->na_lens[(unsigned char)s[0]] >> n & 1))
        return 0;
    c->num[i] = v;
    c->dec = dec > c->dec ? dec : c->dec;
    numstats_add(&c->st, v, dec == 0);
    return 1;
}

/* The error for a value in column j, which has no name in the header (csv.h). */
static int unnamed_error(const builder *b, size_t line, size_t j, const char *s, size_t n,
                         mql_err *err)
{
    return mql_csv_unnamed_error(b->path, line, j, s, n, err);
}

/* Notes what the checks for a repeated header line and a totals row (table_ops.h) need of cell s
 * (n bytes) of unread column c: whether it is the column's name once trimmed (a level is a
 * trimmed spelling of its cells), and, in the table's first column, whether it is a totals
 * label (the last row's decides). */
static inline void unread_cell(colb *c, const char *s, size_t n)
{
    if (n && ((unsigned char)s[0] <= ' ' || (unsigned char)s[n - 1] <= ' '))
        n = mql_trim_span(s, n, &s);
    if ((n == c->name_len || n == c->name_len + 3) && mql_header_cell_is(s, n, c->name))
        c->name_seen = 1;
    if (c->unread == 0)
        c->tail_totals = mql_totals_label(s, n);
}

static int on_row(const mql_csv_row *row, void *ctx, mql_err *err)
{
    builder *b = ctx;
    if (row->index == 0)
        return on_header(b, row, err);
    if (b->n_unnamed)
        for (size_t j = 0; j < b->n_file_cols && j < row->n_fields; j++)
            if (b->cb[j].unnamed && mql_csv_nonblank(row->field[j], row->len[j]))
                return unnamed_error(b, row->line, j, row->field[j], row->len[j], err);
    size_t i = b->n_rows;
    if (ensure_rows(b, i))
        return mql_err_set(err, MQL_ENOMEM, "%s: out of memory at row %zu", b->path, i + 1);
    /* Hash the cells of text columns with large dictionaries (identifiers) first and prefetch
     * their slots, so the cache misses overlap with the other columns' work. */
    for (size_t j = 0; j < b->n_file_cols; j++) {
        colb *c = &b->cb[j];
        if (c->mode == M_TEXT && c->d.mask >= 4095) {
            c->hash = mql_str_hash(row->field[j], row->len[j]);
            mql_dict_prefetch(&c->d, c->hash);
        }
    }
    for (size_t j = 0; j < b->n_file_cols; j++) {
        colb *c = &b->cb[j];
        if (c->unread >= 0)
            unread_cell(c, row->field[j], row->len[j]);
        else if (c->out >= 0 && !put_plain_number(b, c, i, row->field[j], row->len[j]) &&
            !put_repeat(c, i, row->field[j], row->len[j]) &&
            put_cell(b, c, i, row->field[j], row->len[j]))
            return mql_err_set(err, MQL_ENOMEM, "%s: out of memory at row %zu", b->path, i + 1);
    }
    if (note_line(b, i, row->line))
        return mql_err_set(err, MQL_ENOMEM, "%s: out of memory at row %zu", b->path, i + 1);
    b->n_rows++;
    return MQL_OK;
}

/* on_cell for every cell but a plain number in a column of numbers with room for its row: the
 * reader's check first (csv.h), as the cell may hold any byte. Not inlined: on_cell stays a leaf
 * without a frame, and reaches this by a jump. */
static int on_cell_rule(void *ctx, size_t j, const char *s, size_t n, mql_csv_reader *rd,
                        mql_err *err) __attribute__((noinline));
static int on_cell_rule(void *ctx, size_t j, const char *s, size_t n, mql_csv_reader *rd,
                        mql_err *err)
{
    builder *b = ctx;
    int st = mql_csv_cell_check(rd, s, n);
    if (st)
        return st;
    size_t i = b->n_rows;
    if (j == 0 && ensure_rows(b, i))
        return mql_err_set(err, MQL_ENOMEM, "%s: out of memory at row %zu", b->path, i + 1);
    if (j >= b->n_file_cols)
        return MQL_OK;           /* an extra field: the record's field count check fails */
    colb *c = &b->cb[j];
    if (c->out < 0) {            /* not stored; an unnamed column's cells must be blank */
        if (c->unread >= 0)
            unread_cell(c, s, n);
        else if (c->unnamed && !b->unnamed_bad && mql_csv_nonblank(s, n)) {
            b->unnamed_bad = j + 1;  /* reported at the record's end, where its line is known */
            size_t k = n < sizeof b->unnamed_text - 1 ? n : sizeof b->unnamed_text - 1;
            memcpy(b->unnamed_text, s, k);
            b->unnamed_text[k] = '\0';
        }
        return MQL_OK;
    }
    if (put_repeat(c, i, s, n))
        return MQL_OK;
    if (c->mode == M_TEXT && c->d.mask >= 4095)
        c->hash = mql_str_hash(s, n);
    if (put_cell(b, c, i, s, n))
        return mql_err_set(err, MQL_ENOMEM, "%s: out of memory at row %zu", b->path, i + 1);
    return MQL_OK;
}

/* Cell mode of the parallel reader: each cell is typed as libcsv hands it over, unchecked. The
 * commonest cell, a plain number in a column of numbers whose row has room, is stored here
 * without a call (nor the frame one needs), and without the reader's check: it is digits, a
 * sign and a point, which the check would pass. on_cell_rule takes the rest. */
static int on_cell(void *ctx, size_t j, const char *s, size_t n, mql_csv_reader *rd,
                   mql_err *err)
{
    builder *b = ctx;
    if (j < b->n_file_cols && b->n_rows < b->cap_rows && b->cb[j].out >= 0 &&
        put_plain_number(b, &b->cb[j], b->n_rows, s, n))
        return MQL_OK;
    return on_cell_rule(ctx, j, s, n, rd, err);
}

/* The start of a part of the parallel reader: its rows go to the shared arrays from row
 * part_line - data_line on (csv.h), when that is within them. A part started at a guessed
 * boundary learns its line after some rows (in arrays of its own): their lines are shifted, and
 * they move to the shared arrays when they fit there, so the merge finds them in place. */
static int on_part_begin(void *ctx, size_t data_line, size_t part_line, size_t shift,
                         int in_record, mql_err *err)
{
    builder *b = ctx;
    if (b->n_rows)
        b->line0 += shift;
    for (size_t i = 0; b->line && i < b->n_rows; i++)
        b->line[i] += shift;
    b->base = part_line - data_line;
    size_t room = b->sl && b->base < b->sl->cap ? b->sl->cap - b->base : 0;
    /* the row being read has cells stored already when a record is open (it had room then);
     * row n_rows holds nothing of the part's otherwise, and may be the next part's first row */
    size_t keep = b->n_rows + (in_record != 0);
    b->placed = room > 0 && keep <= room;
    if (!b->placed)
        return MQL_OK;           /* no row yet: cap_rows stays 0, arrays of its own come later */
    if (b->line && room > b->cap_rows) {
        size_t *ln = mql_realloc_big(b->line, b->cap_rows * sizeof *ln, room * sizeof *ln);
        if (!ln)
            return mql_err_set(err, MQL_ENOMEM, "%s: out of memory", b->path);
        b->line = ln;
    }
    for (size_t j = 0; j < b->n_file_cols && b->cap_rows; j++) {
        colb *c = &b->cb[j];
        if (c->num) {
            double *p = slab_num(b, c);
            if (!p)
                return mql_err_set(err, MQL_ENOMEM, "%s: out of memory", b->path);
            memcpy(p, c->num, keep * sizeof *p);
            free(c->num);
            c->num = p;
            c->shared = 1;
        }
        if (c->code) {
            uint32_t *p = slab_code(b, c);
            if (!p)
                return mql_err_set(err, MQL_ENOMEM, "%s: out of memory", b->path);
            memcpy(p, c->code, keep * sizeof *p);
            free(c->code);
            c->code = p;
            c->code_wide = 0;        /* (slabs_free gives part 0's its room) */
            c->shared = 1;
        }
    }
    b->cap_rows = room;
    return MQL_OK;
}

/* A part started at a wrongly guessed boundary starts again: every data row is forgotten, and the
 * columns are as the header left them. */
static void on_part_reset(void *ctx)
{
    builder *b = ctx;
    for (size_t j = 0; j < b->n_file_cols; j++) {
        colb *c = &b->cb[j];
        if (!c->shared) {
            free(c->num);
            free(c->code);
        }
        free(c->bad_text);
        mql_dict_free(&c->d);
        mql_keytext_free(&c->kt);
        *c = (colb){.forced = c->forced, .numeric = c->numeric, .code_name = c->code_name,
                    .out = c->out, .unnamed = c->unnamed, .keyable = c->keyable,
                    .unread = c->unread, .name = c->name, .name_len = c->name_len};
    }
    free(b->line);
    b->line = NULL;
    b->line0 = b->n_rows = b->cap_rows = b->base = 0;
    b->placed = 0;
    b->unnamed_bad = 0;
}

static int on_record_end(void *ctx, size_t n_fields, size_t line, mql_err *err)
{
    builder *b = ctx;
    (void)n_fields;
    if (b->unnamed_bad)
        return unnamed_error(b, line, b->unnamed_bad - 1, b->unnamed_text,
                             strlen(b->unnamed_text), err);
    if (note_line(b, b->n_rows, line))
        return mql_err_set(err, MQL_ENOMEM, "%s: out of memory at row %zu", b->path,
                           b->n_rows + 1);
    b->n_rows++;
    return MQL_OK;
}

/* ======================================================================== parallel parts ==== */

/* Marks rows [from, to) of c missing. */
static void col_fill_missing(colb *c, size_t from, size_t to)
{
    for (size_t i = from; i < to && c->num; i++)
        c->num[i] = NAN;
    for (size_t i = from; i < to && c->code; i++)
        c->code[i] = MQL_NA_CODE;
}

/* Whether part B's column can be appended to the accumulated column A without the cells' text:
 * otherwise A must take B's first rows again from the file (replay), because B read them in a
 * mode A would not have been in, and kept only their numbers or canonical text. */
static int needs_replay(const colb *A, const colb *B)
{
    if (A->mode == M_EMPTY || B->mode == M_EMPTY)
        return 0;
    if (A->mode == B->mode && A->mode != M_TEXT)
        return 0;
    if (B->mode == M_KEY)            /* (text from its first value on: to_key) */
        return 0;
    if (B->mode == M_TEXT && (B->origin == M_TEXT || (A->mode != M_TEXT && B->origin == A->mode)))
        return 0;
    return 1;
}

/* Rows of B to replay: those it did not hold as their own text. */
static size_t replay_rows(const colb *B, size_t nk)
{
    return B->mode == M_TEXT ? B->switch_row : nk;
}

/* Appends B's levels to A's dictionary in B's first-seen order (moving the strings) and writes
 * B's rows [from, nk) as A's rows n0 + from ... Valid when every row of B from 'from' on holds
 * its own text and B's level order is their first-seen order there. */
static int merge_levels(colb *A, size_t n0, colb *B, size_t nk)
{
    mql_dict *d = &B->d;
    uint32_t *map = malloc((d->n ? d->n : 1) * sizeof *map);
    if (!map)
        return -1;
    for (size_t k = 0; k < d->n; k++) {
        if (k + 16 < d->n)          /* an identifier's table misses the cache: load ahead */
            mql_dict_prefetch(&A->d, d->hash[k + 16]);
        if (mql_dict_put(&A->d, d->lev[k], d->len[k], d->hash[k], d->count[k], d->lev[k],
                         &map[k])) {
            free(map);
            return -1;
        }
        d->lev[k] = NULL;            /* A's now, or freed */
    }
    for (size_t i = 0; i < nk; i++) {
        uint32_t c = B->code[i];
        A->code[n0 + i] = c == MQL_NA_CODE ? MQL_NA_CODE : map[c];
    }
    free(map);
    return 0;
}

/* After a replay of rows [0, from): adds B's rows [from, nk) to A in row order, so a level seen
 * first in B's replayed (canonical) rows takes its place where it first appears as text. */
static int merge_rows(colb *A, size_t n0, colb *B, size_t from, size_t nk)
{
    mql_dict *d = &B->d;
    uint32_t *map = malloc((d->n ? d->n : 1) * sizeof *map);
    if (!map)
        return -1;
    for (size_t k = 0; k < d->n; k++)
        map[k] = MQL_NA_CODE;
    for (size_t i = from; i < nk; i++) {
        uint32_t c = B->code[i];
        if (c == MQL_NA_CODE) {
            A->code[n0 + i] = MQL_NA_CODE;
        } else if (map[c] != MQL_NA_CODE) {
            A->code[n0 + i] = map[c];
            A->d.count[map[c]]++;
        } else {
            if (mql_dict_add_hashed(&A->d, d->lev[c], d->len[c], d->hash[c], &map[c])) {
                free(map);
                return -1;
            }
            A->code[n0 + i] = map[c];
        }
    }
    free(map);
    return 0;
}

/* Adds B's rows [from, nk) to A's rows n0 + from ... when either dictionary is index-less: A
 * becomes index-less and takes B's entries whole when B is index-less and no row was replayed,
 * else each row's text as an entry (mql_dict_raw_finish merges repeats either way). */
static int raw_merge(colb *A, size_t n0, colb *B, size_t from, size_t nk)
{
    if (!A->d.raw && mql_dict_to_raw(&A->d))
        return -1;
    if (from == 0 && B->d.raw) {
        /* B's entries, text and all, become A's: its codes are shifted, nothing is copied */
        size_t at;
        if (mql_dict_raw_append(&A->d, &B->d, &at))
            return -1;
        for (size_t i = 0; i < nk; i++) {
            uint32_t c = B->code[i];
            A->code[n0 + i] = c == MQL_NA_CODE ? MQL_NA_CODE : (uint32_t)(at + c);
        }
        return 0;
    }
    for (size_t i = from; i < nk; i++) {
        uint32_t c = B->code[i];
        if (c == MQL_NA_CODE)
            A->code[n0 + i] = MQL_NA_CODE;
        else if (mql_dict_raw_add(&A->d, B->d.lev[c], B->d.len[c], &A->code[n0 + i]))
            return -1;
    }
    return 0;
}

/* Adds B's rows [from, nk) to M_KEY column A's rows n0 + from ...: B's keys and texts when B is
 * M_KEY too (then from is 0: needs_replay), else each text row's key and text. */
static int key_merge(colb *A, size_t n0, colb *B, size_t from, size_t nk)
{
    if (B->mode == M_KEY) {
        if (A->num + n0 != B->num)     /* not in place already (a record spans lines) */
            memmove(A->num + n0, B->num, nk * sizeof *B->num);
        return mql_keytext_append(&A->kt, &B->kt);
    }
    for (size_t i = from; i < nk; i++) {
        uint32_t c = B->code[i];
        if (c == MQL_NA_CODE)
            A->num[n0 + i] = NAN;
        else if (key_put(A, n0 + i, B->d.lev[c], B->d.len[c]))
            return -1;
    }
    return 0;
}

/* One column of part k merged into part 0's builder, which holds n0 rows and has room for all. */
typedef struct merge_ctx {
    builder *b0, *bk;
    size_t n0, nk;
    unsigned char *replayed;         /* per file column: its first rows were replayed */
} merge_ctx;

static int merge_column1(merge_ctx *m, size_t j);

/* Adds B's count of cells without a value to A's (B's rows follow A's n0 rows): the first such
 * cell is A's when A has one. */
static void merge_bad(colb *A, size_t n0, colb *B)
{
    if (!B->n_bad)
        return;
    if (!A->n_bad) {
        A->bad_row = n0 + B->bad_row;
        free(A->bad_text);
        A->bad_text = B->bad_text;
        B->bad_text = NULL;
    }
    A->n_bad += B->n_bad;
}

/* Merges column j and frees part k's copy of it at once, so that the parts and the merged table
 * are not all held at the same time. */
static int merge_column(void *arg, size_t j)
{
    merge_ctx *m = arg;
    colb *A = &m->b0->cb[j], *B = &m->bk->cb[j];
    if (A->unread >= 0) {        /* B's rows follow A's: its last row is the table's so far */
        A->name_seen |= B->name_seen;
        if (m->nk)
            A->tail_totals = B->tail_totals;
    }
    int r = merge_column1(m, j);
    int own = !B->shared && (B->num || B->code);
    if (!B->shared) {
        free(B->num);
        free(B->code);
    }
    free(B->bad_text);
    B->num = NULL;
    B->code = NULL;
    B->code_wide = 0;
    B->shared = 0;
    B->bad_text = NULL;
    mql_dict_free(&B->d);
    mql_keytext_free(&B->kt);
#ifdef __GLIBC__
    /* glibc keeps the freed arrays of a part thread's arena (below its mmap threshold, which
     * rises as blocks are freed): hand the pages back, or the copy would double the peak. */
    if (own)
        malloc_trim(0);
#endif
    return r;
}

static int merge_column1(merge_ctx *m, size_t j)
{
    colb *A = &m->b0->cb[j], *B = &m->bk->cb[j];
    size_t n0 = m->n0, nk = m->nk;
    if (A->out < 0)
        return 0;
    if (m->replayed[j]) {
        size_t from = replay_rows(B, nk);
        /* A replay of B's first rows always leaves A text when B turned to text later: B's
         * first value was read in B's first mode, which A (in another mode or text) cannot. */
        if (from >= nk)
            return 0;
        if (A->mode == M_KEY)
            return key_merge(A, n0, B, from, nk);
        return A->d.raw || B->d.raw ? raw_merge(A, n0, B, from, nk)
                                    : merge_rows(A, n0, B, from, nk);
    }
    if (B->mode == M_EMPTY) {
        col_fill_missing(A, n0, n0 + nk);
        return 0;
    }
    if (A->mode == M_EMPTY) {
        /* The first value is in this part: A becomes B after n0 missing rows. B's rows may lie
         * in the same shared array as A's, from row n0 on: memmove. */
        if (B->num && !(A->num = col_new_num(m->b0, A)))
            return -1;
        if (B->code && !(A->code = col_new_code(m->b0, A)))
            return -1;
        col_fill_missing(A, 0, n0);
        if (B->num && A->num + n0 != B->num)
            memmove(A->num + n0, B->num, nk * sizeof *B->num);
        if (B->code && A->code + n0 != B->code)
            memmove(A->code + n0, B->code, nk * sizeof *B->code);
        A->mode = B->mode;
        A->origin = B->origin;
        A->switch_row = n0 + B->switch_row;
        A->has_time = B->has_time;
        A->dec = B->dec;
        A->st = B->st;               /* A's first n0 rows are missing */
        A->st_ok = B->st_ok;
        merge_bad(A, n0, B);
        mql_dict_free(&A->d);
        A->d = B->d;
        A->memo = 0;             /* it named a level of A's old dictionary */
        memset(&B->d, 0, sizeof B->d);
        A->kt = B->kt;
        memset(&B->kt, 0, sizeof B->kt);
        return 0;
    }
    A->has_time |= B->has_time;
    A->dec = B->dec > A->dec ? B->dec : A->dec;
    if (A->mode == M_KEY || B->mode == M_KEY) {
        /* A text A takes B's keys as keys too (rows in place stay so); a column of numbers or
         * dates turns to text first, where the one-thread reader would. */
        if (A->mode != M_KEY && ((A->mode != M_TEXT && col_to_text(m->b0, A, n0)) ||
                                 to_key(m->b0, A, n0)))
            return -1;
        return key_merge(A, n0, B, 0, nk);
    }
    if (A->mode == B->mode && A->mode != M_TEXT) {
        if (A->num + n0 != B->num)     /* not in place already (a record spans lines) */
            memmove(A->num + n0, B->num, nk * sizeof *B->num);
        numstats_merge(&A->st, &B->st);
        A->st_ok &= B->st_ok;
        merge_bad(A, n0, B);
        return 0;
    }
    /* B is text from its first value on, or from a value A's mode could not read either: A
     * turns to text where the one-thread reader would, and B's levels follow A's. */
    if (A->mode != M_TEXT && col_to_text(m->b0, A, n0))
        return -1;
    return A->d.raw || B->d.raw ? raw_merge(A, n0, B, 0, nk) : merge_levels(A, n0, B, nk);
}

/* Replaying: part k's first rows, cell by cell into part 0's builder, for the columns flagged. */
typedef struct replay_ctx {
    builder *b0, *bk;
    size_t n0, nk;
    unsigned char *replayed;
    size_t max_rows;
} replay_ctx;

#define REPLAY_DONE 0x5250           /* private status: every replayed column has its rows */

static int replay_row(const mql_csv_row *row, void *ctx, mql_err *err)
{
    replay_ctx *r = ctx;
    size_t i = row->index - 1;
    if (i >= r->max_rows)
        return REPLAY_DONE;
    for (size_t j = 0; j < r->b0->n_file_cols; j++) {
        colb *A = &r->b0->cb[j];
        if (!r->replayed[j] || i >= replay_rows(&r->bk->cb[j], r->nk))
            continue;
        if (put_repeat(A, r->n0 + i, row->field[j], row->len[j]))
            continue;
        if (A->mode == M_TEXT && A->d.mask >= 4095)
            A->hash = mql_str_hash(row->field[j], row->len[j]);
        if (put_cell(r->b0, A, r->n0 + i, row->field[j], row->len[j]))
            return mql_err_set(err, MQL_ENOMEM, "%s: out of memory at row %zu", r->b0->path,
                               r->n0 + i + 1);
    }
    return MQL_OK;
}

/* Appends part k's builder to part 0's: replays what must be replayed (one thread, reading the
 * part's bytes again), then merges the columns on n_threads threads. */
static int merge_part(builder *b0, builder *bk, const char *path, char delim,
                      const mql_csv_part *part, size_t n_threads, mql_err *err)
{
    size_t n0 = b0->n_rows, nk = bk->n_rows;
    unsigned char *replayed = calloc(b0->n_file_cols ? b0->n_file_cols : 1, 1);
    if (!replayed)
        return mql_err_set(err, MQL_ENOMEM, "out of memory");
    replay_ctx rc = {b0, bk, n0, nk, replayed, 0};
    for (size_t j = 0; j < b0->n_file_cols; j++)
        if (b0->cb[j].out >= 0 && needs_replay(&b0->cb[j], &bk->cb[j])) {
            replayed[j] = 1;
            size_t r = replay_rows(&bk->cb[j], nk);
            if (r > rc.max_rows)
                rc.max_rows = r;
        }
    int st = MQL_OK;
    if (rc.max_rows) {
        st = mql_csv_read_range(path, delim, part, replay_row, &rc, err);
        if (st == REPLAY_DONE)
            st = MQL_OK;
    }
    merge_ctx mc = {b0, bk, n0, nk, replayed};
    if (!st && mql_parallel_for(b0->n_file_cols, n_threads, merge_column, &mc))
        st = mql_err_set(err, MQL_ENOMEM, "%s: out of memory", b0->path);
    free(replayed);
    if (!st)
        b0->n_rows = n0 + nk;
    return st;
}

static int finish_one(void *arg, size_t j)
{
    builder *b = arg;
    const colb *c = &b->cb[j];
    if (c->unread >= 0) {        /* mql_column.no_values: nothing is known of its cells */
        mql_column *col = &b->t->cols[c->unread];
        col->type = MQL_COL_ID;
        col->no_values = MQL_NO_VALUES_UNREAD;
        col->n_rows = b->n_rows;
        return 0;
    }
    return c->out >= 0 && mql_colb_finish(b, &b->cb[j], &b->t->cols[c->out], b->n_rows);
}

/* Whether the checks for a repeated header line and a totals row (table_ops.h) might read t
 * differently with its unread columns' values: a cell of one is its column's name, or the first
 * column's last cell is a totals label (whose row counts the unread columns' empty cells). */
static int unread_in_doubt(const builder *b, const mql_table *t)
{
    int any = 0;
    for (size_t j = 0; j < b->n_file_cols; j++) {
        const colb *c = &b->cb[j];
        if (c->unread >= 0 && (c->name_seen || (c->unread == 0 && c->tail_totals)))
            return 1;
        any |= c->unread >= 0;
    }
    if (!any || t->n_cols == 0 || t->n_rows == 0)
        return 0;
    /* (an unread first column was answered above; an identifier without its values ends in no
     * totals label) */
    const mql_column *c0 = &t->cols[0];
    if (c0->no_values || !c0->code || !c0->levels)
        return 0;
    uint32_t k = c0->code[t->n_rows - 1];
    return k != MQL_NA_CODE && k < c0->n_levels &&
           mql_totals_label(c0->levels[k], strlen(c0->levels[k]));
}

static void builder_free(builder *b)
{
    if (b->cb)
        for (size_t j = 0; j < b->n_file_cols; j++) {
            if (!b->cb[j].shared) {     /* the shared arrays are freed with the slabs */
                free(b->cb[j].num);
                free(b->cb[j].code);
            }
            free(b->cb[j].bad_text);
            mql_dict_free(&b->cb[j].d);
            mql_keytext_free(&b->cb[j].kt);
        }
    free(b->cb);
    free(b->line);
    b->line = NULL;
    b->cb = NULL;
    b->n_file_cols = b->n_rows = b->cap_rows = 0;
}

/* Frees the shared arrays, except those part 0's builder b0 (when not NULL) holds: they become
 * its own, an array of codes with its room for a double a row (colb.code_wide). */
static void slabs_free(slabs *sl, builder *b0)
{
    for (size_t j = 0; j < sl->n_cols && sl->num; j++) {
        colb *c = b0 && b0->cb && j < b0->n_file_cols ? &b0->cb[j] : NULL;
        if (c && c->shared) {        /* part 0's rows start each array (its base is 0) */
            if (c->num == sl->num[j])
                sl->num[j] = NULL;
            if (c->code && c->code == sl->code[j]) {
                sl->code[j] = NULL;
                c->code_wide = sl->cap;
            }
            c->shared = 0;
        }
        free(sl->num[j]);
        free(sl->code[j]);
    }
    free(sl->num);
    free(sl->code);
    sl->num = NULL;
    sl->code = NULL;
    pthread_mutex_destroy(&sl->mu);
}

/* Merges parts 1 .. n_parts - 1 (their rows counted) into part 0's builder. */
static int merge_parts(builder *bs, size_t n_parts, const mql_csv_part *parts, const char *path,
                       char delim, mql_err *err)
{
    int st;
    size_t total = 0;
    for (size_t k = 0; k < n_parts; k++)
        total += bs[k].n_rows;
    builder *b0 = &bs[0];
    if (b0->cap_rows < total) {       /* part 0's room was estimated for the whole file */
        for (size_t j = 0; j < b0->n_file_cols; j++)
            if (col_reserve(&b0->cb[j], b0->n_rows, total))
                return mql_err_set(err, MQL_ENOMEM, "%s: out of memory", b0->path);
        if (b0->line) {
            size_t *ln = mql_realloc_big(b0->line, b0->cap_rows * sizeof *ln, total * sizeof *ln);
            if (!ln)
                return mql_err_set(err, MQL_ENOMEM, "%s: out of memory", b0->path);
            b0->line = ln;
        }
        b0->cap_rows = total;
        b0->placed = 0;
    }
    /* The lines stay implicit when every part's are and each part starts on the line after the
     * previous part's last row. */
    int regular = b0->line == NULL;
    for (size_t k = 1, at = b0->n_rows; regular && k < n_parts; at += bs[k].n_rows, k++)
        regular = bs[k].n_rows == 0 || (!bs[k].line && bs[k].line0 == b0->line0 + at);
    if (!regular && !b0->line &&
        !(b0->line = lines_materialise(b0->line0, b0->n_rows, b0->cap_rows)))
        return mql_err_set(err, MQL_ENOMEM, "%s: out of memory", b0->path);
    for (size_t k = 1, at = b0->n_rows; !regular && k < n_parts; at += bs[k].n_rows, k++)
        for (size_t i = 0; i < bs[k].n_rows; i++)
            b0->line[at + i] = bs[k].line ? bs[k].line[i] : bs[k].line0 + i;
    for (size_t k = 1; k < n_parts; k++) {
        if ((st = merge_part(b0, &bs[k], path, delim, &parts[k], n_parts, err)))
            return st;
        builder_free(&bs[k]);
    }
    return MQL_OK;
}

/* Reads the file in parts on several threads into builders bs[0 .. max_parts) and merges them
 * into bs[0]. The parts write into shared arrays (slabs) as far as the row estimate (bs[0]'s
 * cap_hint) reaches. *split is 0 when the file could not be split (the builders are then reset
 * and the caller reads it on one thread). */
static int read_parts(builder *bs, size_t max_parts, uint64_t min_part_bytes, const char *path,
                      const mql_csv_opts *co, mql_csv_info *info, int *split, mql_err *err)
{
    void *ctx[16];
    mql_csv_part parts[16];
    size_t n_parts = 0;
    slabs sl = {.cap = bs[0].cap_hint};
    pthread_mutex_init(&sl.mu, NULL);
    for (size_t k = 0; k < max_parts; k++) {
        ctx[k] = &bs[k];
        bs[k].sl = sl.cap ? &sl : NULL;
    }
    *split = 0;
    static const mql_csv_cell_fns cells = {on_cell, on_record_end, on_part_begin, on_part_reset};
    int st = mql_csv_read_parts(path, co, max_parts, min_part_bytes, on_row, &cells, ctx, parts,
                                &n_parts, info, err);
    if (!st && n_parts == 0) {
        for (size_t k = 0; k < max_parts; k++)
            builder_free(&bs[k]);
        if (bs[0].t->cols) {
            for (size_t j = 0; j < bs[0].t->n_cols; j++)
                free(bs[0].t->cols[j].name);
            free(bs[0].t->cols);
            bs[0].t->cols = NULL;
            bs[0].t->n_cols = 0;
        }
    } else if (!st) {
        *split = 1;
        st = merge_parts(bs, n_parts, parts, path, info->delim, err);
    }
    /* Part 0's builder keeps its arrays (on success), none is shared any more. */
    slabs_free(&sl, st ? NULL : &bs[0]);
    for (size_t k = 0; k < max_parts; k++) {
        bs[k].sl = NULL;
        bs[k].placed = 0;
        bs[k].base = 0;
    }
    return st;
}

/* The data rows of a regular file, estimated from the line ends in its first 256 KiB (0 when
 * not known): the builders make room for them at once instead of growing by doubling. */
static size_t rows_estimate(const char *path)
{
    struct stat st;
    if (strcmp(path, "-") == 0 || stat(path, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size <= 0)
        return 0;
    FILE *f = fopen(path, "rb");
    if (!f)
        return 0;
    static const size_t sample = (size_t)256 << 10;
    char *buf = malloc(sample);
    size_t got = buf ? fread(buf, 1, sample, f) : 0, lines = 0;
    fclose(f);
    for (const char *q = buf, *e = buf + got; q && (q = memchr(q, '\n', (size_t)(e - q))); q++)
        lines++;
    free(buf);
    if (lines < 2 || got == 0)
        return 0;
    return (size_t)((double)st.st_size * (double)lines / (double)got);
}

/* Parts to read a file in: opts->threads, or for 0 one per online CPU (at most 8) when the file
 * is at least 8 MiB (smaller files gain nothing from the extra threads). */
static size_t part_count(const mql_read_opts *opts, uint64_t *min_part_bytes)
{
    size_t threads = opts ? opts->threads : 0;
    *min_part_bytes = 0;
    if (threads)
        return threads > 16 ? 16 : threads;
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    *min_part_bytes = (uint64_t)4 << 20;
    return cpus < 1 ? 1 : cpus > 8 ? 8 : (size_t)cpus;
}

/* mql_table_read, once: *doubt says whether the file must be read again with its unread
 * columns typed (unread_in_doubt). */
static int table_read(const char *path, const mql_read_opts *opts, mql_table **out, int *doubt,
                      mql_err *err)
{
    *out = NULL;
    *doubt = 0;
    builder bs[16];
    uint64_t min_part_bytes;
    size_t n_parts = part_count(opts, &min_part_bytes);
    size_t *na_len = NULL;
    mql_table *t = calloc(1, sizeof *t);
    builder proto = {.path = strcmp(path, "-") == 0 ? "<stdin>" : path, .opts = opts, .t = t};
    /* stdin cannot be read twice, as a doubt would need */
    proto.may_unread = opts && (opts->n_unread || opts->unread_rest) && strcmp(path, "-") != 0;
    proto.na = opts && opts->na ? opts->na : mql_default_na;
    proto.n_na = opts && opts->na ? opts->n_na : mql_n_default_na;
    na_len = calloc(proto.n_na ? proto.n_na : 1, sizeof *na_len);
    for (size_t k = 0; k < 16; k++)
        bs[k] = proto;
    int st;
    if (!t || !na_len || !(t->source = mql_strdup(path)) ||
        (opts && opts->na && !mql_na_is_default(opts->na, opts->n_na) &&
         mql_na_copy(opts->na, opts->n_na, &t->na))) {
        st = mql_err_set(err, MQL_ENOMEM, "out of memory");
        goto fail;
    }
    proto.na_len = na_len;
    for (size_t k = 0; k < proto.n_na; k++) {
        size_t n = na_len[k] = strlen(proto.na[k]);
        if (n == 0)
            proto.na_empty = 1;
        else if (n < 64)
            proto.na_lens[(unsigned char)lower((unsigned char)proto.na[k][0])] |=
                UINT64_C(1) << n;
    }
    for (size_t k = 0; k < 16; k++) {
        bs[k] = proto;
        bs[k].secondary = k > 0;
    }
    /* Room for the estimated rows: part 0 for the whole file (it receives the other parts), the
     * others for their share; 10% over, since untouched room costs address space only. */
    size_t est = rows_estimate(path);
    for (size_t k = 0; k < 16; k++)
        bs[k].cap_hint = k == 0 || n_parts < 2 ? est + est / 10 : est / n_parts + est / 10;
    mql_csv_opts co = {opts ? opts->delim : 0, 0};
    mql_csv_info info;
    int split = 0;
    if (n_parts >= 2 &&
        (st = read_parts(bs, n_parts, min_part_bytes, path, &co, &info, &split, err)))
        goto fail;
    if (!split && (st = mql_csv_read(path, &co, on_row, &bs[0], &info, err)))
        goto fail;
    builder *b = &bs[0];
    t->n_rows = b->n_rows;
    if (t->n_rows == 0) {
        st = mql_err_set(err, MQL_EDATA, "%s: no data rows (only a header line)", b->path);
        goto fail;
    }
    t->delim = info.delim;
    t->n_bytes = info.n_bytes;
    /* No line array when row i is on line i + 2 (mql_table.line NULL means that). */
    if (!b->line && b->line0 != 2 && !(b->line = lines_materialise(b->line0, b->n_rows, 0))) {
        st = mql_err_set(err, MQL_ENOMEM, "%s: out of memory", b->path);
        goto fail;
    }
    t->line = b->line;
    b->line = NULL;
    t->hash = info.hash;
    /* Inference (distinct counts over up to millions of values) runs on two or more threads,
     * each taking the next column. */
    if (mql_parallel_for(b->n_file_cols, n_parts > 2 ? n_parts : 2, finish_one, b)) {
        st = mql_err_set(err, MQL_ENOMEM, "%s: out of memory", b->path);
        goto fail;
    }
    *doubt = unread_in_doubt(b, t);
    for (size_t k = 0; k < 16; k++)
        builder_free(&bs[k]);
    free(na_len);
    *out = t;
    return MQL_OK;
fail:
    for (size_t k = 0; k < 16; k++)
        builder_free(&bs[k]);
    free(na_len);
    mql_table_free(t);
    return st;
}

int mql_table_read(const char *path, const mql_read_opts *opts, mql_table **out, mql_err *err)
{
    int doubt;
    int st = table_read(path, opts, out, &doubt, err);
    if (st || !doubt)
        return st;
    /* The checks for a repeated header line and a totals row need the unread columns' cells in
     * this file (a rare one): it is read again with every column typed. */
    mql_table_free(*out);
    mql_read_opts whole = *opts;
    whole.unread = NULL;
    whole.n_unread = 0;
    whole.unread_rest = 0;
    return table_read(path, &whole, out, &doubt, err);
}
