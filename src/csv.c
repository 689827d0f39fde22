/* csv.c: streaming CSV reader on libcsv. Bytes are read in 1 MiB chunks, parsed by libcsv into
 * batches of records (with UTF-8, quoting and field-count checks and physical line numbers), and
 * each record is handed to the caller's callback. The file is never held whole. A regular file
 * can also be read in parts on several threads (mql_csv_read_parts). */
#include "mqlcal/csv.h"

#include <csv.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#define CHUNK (1u << 20)


/* One parsed record: where its fields start in the batch, how many, and its first line. */
typedef struct brec {
    size_t first, nf, line;
} brec;

/* Records parsed from one chunk: field bytes (each NUL-terminated) in one arena, with offsets,
 * so the arena can grow while libcsv runs; pointers are made only when the batch is handed on. */
typedef struct batch {
    char *bytes;
    size_t n_bytes, cap_bytes;
    size_t *off, *len;
    size_t n_fields, cap_fields;
    char **ptr;
    size_t cap_ptr;
    brec *rec;
    size_t n_rec, cap_rec;
} batch;

typedef struct mql_csv_reader {
    const char *path;
    int status;              /* first error; libcsv cannot be stopped mid-chunk, so later
                                callbacks are ignored once this is set */
    mql_err *err;
    size_t line;             /* physical line of the current parse position */
    size_t rec_line;         /* line on which the current record started */
    size_t rec_nf;           /* fields of the current record so far */
    size_t rec_first;        /* index in the batch of the record's first field */
    int prev_term;           /* last record terminator seen (CR, LF) */
    size_t n_header;         /* 0 until the header is read */
    char **header;           /* header names, for messages */
    size_t n_records;        /* records completed, header included */
    int allow_ragged;
    batch *b;                /* the batch being filled */
    mql_csv_row_fn fn;       /* direct mode (parts): each record goes to fn as soon as it ends, */
    void *ctx;               /*   and b holds only the record being parsed */
    size_t index;            /* direct mode: index of the next record handed to fn */
    const mql_csv_cell_fns *cells;   /* cell mode (parts): fields go to cells->cell unstored
                                        and unchecked (csv.h) */
    size_t n_calls;          /* on_record calls so far: tells whether csv_fini flushed a record
                                (a flushed field always comes with its record's end) */
    char delim;              /* direct mode: the delimiter, for the rows handed on */
    int at_top;              /* the reader starts at the top of the file (not a later part) */
} reader;

static void batch_free(batch *b)
{
    free(b->bytes);
    free(b->off);
    free(b->len);
    free(b->ptr);
    free(b->rec);
    memset(b, 0, sizeof *b);
}

/* Grows *p (elements of size elem) to hold need elements, doubling. Returns 0 or -1. */
static int grow(void **p, size_t *cap, size_t need, size_t elem)
{
    if (need <= *cap)
        return 0;
    size_t c = *cap ? *cap : 256;
    while (c < need)
        c *= 2;
    void *q = realloc(*p, c * elem);
    if (!q)
        return -1;
    *p = q;
    *cap = c;
    return 0;
}

/* Makes room for one more field (offset and length arrays share one capacity). */
static int batch_room_field(batch *b, size_t n)
{
    if (grow((void **)&b->bytes, &b->cap_bytes, b->n_bytes + n + 1, 1))
        return -1;
    if (b->n_fields < b->cap_fields)
        return 0;
    size_t c = b->cap_fields ? 2 * b->cap_fields : 1024;
    size_t *o = realloc(b->off, c * sizeof *o);
    if (!o)
        return -1;
    b->off = o;
    size_t *l = realloc(b->len, c * sizeof *l);
    if (!l)
        return -1;
    b->len = l;
    b->cap_fields = c;
    return 0;
}

static void batch_put(batch *b, const void *data, size_t n)
{
    memcpy(b->bytes + b->n_bytes, data, n);
    b->bytes[b->n_bytes + n] = '\0';
    b->off[b->n_fields] = b->n_bytes;
    b->len[b->n_fields] = n;
    b->n_bytes += n + 1;
    b->n_fields++;
}

/* The name of 0-based column j for messages ("column 3 'industry'"). */
static void column_label(const reader *r, size_t j, char *buf, size_t cap)
{
    if (j < r->n_header)
        snprintf(buf, cap, "column %zu '%.60s%s'", j + 1, r->header[j],
                 strlen(r->header[j]) > 60 ? "..." : "");
    else
        snprintf(buf, cap, "column %zu", j + 1);
}

/* Length of a valid UTF-8 sequence starting at s (at most n bytes), or 0 when invalid. Rejects
 * overlong forms, surrogates and code points above U+10FFFF. */
static size_t utf8_seq(const unsigned char *s, size_t n)
{
    unsigned char c = s[0];
    if (c >= 0xC2 && c <= 0xDF)
        return n >= 2 && (s[1] & 0xC0) == 0x80 ? 2 : 0;
    if (c >= 0xE0 && c <= 0xEF) {
        if (n < 3 || (s[1] & 0xC0) != 0x80 || (s[2] & 0xC0) != 0x80)
            return 0;
        if ((c == 0xE0 && s[1] < 0xA0) || (c == 0xED && s[1] >= 0xA0))
            return 0;
        return 3;
    }
    if (c >= 0xF0 && c <= 0xF4) {
        if (n < 4 || (s[1] & 0xC0) != 0x80 || (s[2] & 0xC0) != 0x80 || (s[3] & 0xC0) != 0x80)
            return 0;
        if ((c == 0xF0 && s[1] < 0x90) || (c == 0xF4 && s[1] >= 0x90))
            return 0;
        return 4;
    }
    return 0;
}

/* Nonzero when some byte of x is >= 0x80 or < 0x20 (a control byte such as LF): the plain-ASCII
 * fast path skips 8 bytes at a time while this is zero. */
static inline uint64_t special_bytes(uint64_t x)
{
    const uint64_t ones = UINT64_C(0x0101010101010101), highs = UINT64_C(0x8080808080808080);
    return (x | ((x - ones * 0x20) & ~x)) & highs;
}

/* The slow path for a field holding a control or non-ASCII byte: checks UTF-8 and counts the
 * line breaks inside it (a quoted field may span lines). Returns 0 or -1 with the error set. */
static int scan_field(reader *r, const unsigned char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        unsigned char c = s[i];
        if (c >= 0x20 && c < 0x80)
            continue;
        if (c == '\n' || (c == '\r' && (i + 1 == n || s[i + 1] != '\n'))) {
            r->line++;
        } else if (c == 0) {
            /* A NUL would end the field early for every string function downstream. */
            char lab[256];
            column_label(r, r->rec_nf, lab, sizeof lab);
            r->status = mql_err_set(r->err, MQL_EDATA,
                                    "%s:%zu: %s: NUL byte at byte %zu of the value (the file "
                                    "is not plain text: save the export as UTF-8 CSV)",
                                    r->path, r->line, lab, i + 1);
            return -1;
        } else if (c >= 0x80) {
            size_t k = utf8_seq(s + i, n - i);
            if (!k) {
                char lab[256];
                column_label(r, r->rec_nf, lab, sizeof lab);
                r->status = mql_err_set(r->err, MQL_EDATA,
                                        "%s:%zu: %s: invalid UTF-8 byte 0x%02X (save the export "
                                        "as UTF-8)", r->path, r->line, lab, c);
                return -1;
            }
            i += k - 1;
        }
    }
    return 0;
}

/* Checks a cell that cell mode handed over unchecked (csv.h): 8 bytes at a time while plain
 * ASCII, the slow scan only for a cell with a control or non-ASCII byte. The last word overlaps
 * the one before it, and a cell of 4 to 7 bytes is checked as two overlapping halves of one
 * word, so only the shortest cells go byte by byte. */
int mql_csv_cell_check(mql_csv_reader *r, const char *cell, size_t n)
{
    const unsigned char *s = (const unsigned char *)cell;
    uint64_t acc = 0, w;
    if (n >= 8) {
        for (size_t i = 0; i + 8 < n; i += 8) {
            memcpy(&w, s + i, 8);
            acc |= special_bytes(w);
        }
        memcpy(&w, s + n - 8, 8);
        acc |= special_bytes(w);
    } else if (n >= 4) {
        uint32_t lo, hi;
        memcpy(&lo, s, 4);
        memcpy(&hi, s + n - 4, 4);
        acc = special_bytes((uint64_t)hi << 32 | lo);
    } else {
        for (size_t i = 0; i < n; i++)
            acc |= (uint64_t)(s[i] < 0x20 || s[i] >= 0x80);
    }
    return acc && scan_field(r, s, n) ? r->status : MQL_OK;
}

/* on_field for the modes that store the field in the batch (all but cell mode). Not inlined, so
 * that cell mode's on_field saves one register, not the five this needs. */
static void on_field_store(reader *r, const unsigned char *src, size_t n)
    __attribute__((noinline));
static void on_field_store(reader *r, const unsigned char *src, size_t n)
{
    batch *b = r->b;
    if (batch_room_field(b, n)) {
        r->status = mql_err_set(r->err, MQL_ENOMEM, "%s: out of memory", r->path);
        return;
    }
    /* Copy and look for control / non-ASCII bytes in one pass, 8 bytes at a time (the last word
     * overlaps the previous one); only fields with such bytes take the slow check. */
    unsigned char *dst = (unsigned char *)b->bytes + b->n_bytes;
    uint64_t acc = 0, w;
    if (n >= 8) {
        size_t i = 0;
        for (; i + 8 < n; i += 8) {
            memcpy(&w, src + i, 8);
            memcpy(dst + i, &w, 8);
            acc |= special_bytes(w);
        }
        memcpy(&w, src + n - 8, 8);
        memcpy(dst + n - 8, &w, 8);
        acc |= special_bytes(w);
    } else {
        for (size_t i = 0; i < n; i++) {
            dst[i] = src[i];
            acc |= (uint64_t)(src[i] < 0x20 || src[i] >= 0x80);
        }
    }
    if (acc && scan_field(r, src, n))
        return;
    dst[n] = '\0';
    b->off[b->n_fields] = b->n_bytes;
    b->len[b->n_fields] = n;
    b->n_bytes += n + 1;
    b->n_fields++;
    r->rec_nf++;
}

static void on_field(void *data, size_t n, void *ctx)
{
    reader *r = ctx;
    if (r->status)
        return;
    if (r->rec_nf == 0) {
        r->rec_line = r->line;
        r->rec_first = r->b->n_fields;
    }
    if (!r->cells) {
        on_field_store(r, data, n);
        return;
    }
    /* Cell mode: the cell goes on unchecked. cell() reads most cells of a numeric file as plain
     * numbers, which need no check, and calls mql_csv_cell_check for the others. */
    int st = r->cells->cell(r->ctx, r->rec_nf, data, n, r, r->err);
    if (st)
        r->status = st;
    r->rec_nf++;
}

/* Direct mode: hands the record just completed (the nf fields from rec_first) to the callback.
 * Returns its status. */
static int deliver_record(reader *r, batch *b, size_t nf)
{
    if (b->cap_ptr < nf) {
        free(b->ptr);
        b->cap_ptr = b->cap_fields;
        if (!(b->ptr = malloc(b->cap_ptr * sizeof *b->ptr)))
            return mql_err_set(r->err, MQL_ENOMEM, "%s: out of memory", r->path);
    }
    for (size_t k = 0; k < nf; k++)
        b->ptr[k] = b->bytes + b->off[r->rec_first + k];
    mql_csv_row row = {r->index++, r->rec_line, nf, b->ptr, b->len + r->rec_first, r->delim};
    return r->fn(&row, r->ctx, r->err);
}

static void on_record(int term, void *ctx)
{
    reader *r = ctx;
    batch *b = r->b;
    r->n_calls++;
    /* Line accounting: every terminator ends a line except the LF of a CRLF pair, which libcsv
     * (with CSV_REPALL_NL) reports as an empty record right after the CR one. */
    int lf_of_crlf = term == '\n' && r->prev_term == '\r' && r->rec_nf == 0;
    if (term == '\n' || term == '\r')
        r->prev_term = term;
    if (r->status)
        return;
    size_t nf = r->rec_nf;
    r->rec_nf = 0;
    if (nf == 0) {           /* a blank line, or the LF of CRLF */
        if (!lf_of_crlf && term >= 0)
            r->line++;
        return;
    }
    if (term >= 0)
        r->line++;
    if (r->n_records == 0) {
        r->header = calloc(nf, sizeof *r->header);
        if (!r->header) {
            r->status = mql_err_set(r->err, MQL_ENOMEM, "%s: out of memory", r->path);
            return;
        }
        r->n_header = nf;
        for (size_t j = 0; j < nf; j++)
            if (!(r->header[j] = mql_strdup(b->bytes + b->off[r->rec_first + j]))) {
                r->status = mql_err_set(r->err, MQL_ENOMEM, "%s: out of memory", r->path);
                return;
            }
    } else if (nf != r->n_header && !r->allow_ragged) {
        /* Report exports put a title above the column names or notes and a footer below the
         * data (Salesforce: "Confidential Information - Do Not Distribute"): say so. */
        const char *hint = "";
        if (r->n_records == 1 && r->at_top && nf > r->n_header)
            hint = ": is the first line a title or note above the column names? They must be "
                   "the first line: delete the lines above them";
        else if (nf == 1)
            hint = ": a note, total or report footer below the data? Delete the lines that "
                   "are not leads";
        r->status = mql_err_set(r->err, MQL_EDATA, "%s:%zu: %zu field%s, header has %zu%s",
                                r->path, r->rec_line, nf, nf == 1 ? "" : "s", r->n_header, hint);
        return;
    }
    if (r->cells) {
        r->n_records++;
        int st = r->cells->end(r->ctx, nf, r->rec_line, r->err);
        if (st)
            r->status = st;
        return;
    }
    if (r->fn) {
        r->n_records++;
        int st = deliver_record(r, b, nf);
        b->n_bytes = b->n_fields = 0;
        if (st)
            r->status = st;
        return;
    }
    if (grow((void **)&b->rec, &b->cap_rec, b->n_rec + 1, sizeof *b->rec)) {
        r->status = mql_err_set(r->err, MQL_ENOMEM, "%s: out of memory", r->path);
        return;
    }
    b->rec[b->n_rec++] = (brec){r->rec_first, nf, r->rec_line};
    r->n_records++;
}

/* The delimiter of the header line: the most frequent of ',', ';', TAB, '|' outside quotes, ','
 * on a tie or when none occurs. Looks at the first line of buf only. */
static char detect_delim(const unsigned char *s, size_t n)
{
    size_t comma = 0, semi = 0, tab = 0, pipe = 0;
    int inq = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = s[i];
        if (c == '"')
            inq = !inq;
        else if (inq)
            continue;
        else if (c == '\n' || c == '\r')
            break;
        else if (c == ',')
            comma++;
        else if (c == ';')
            semi++;
        else if (c == '\t')
            tab++;
        else if (c == '|')
            pipe++;
    }
    if (semi > comma && semi > tab && semi > pipe)
        return ';';
    if (tab > comma && tab > semi && tab > pipe)
        return '\t';
    if (pipe > comma && pipe > semi && pipe > tab)
        return '|';
    return ',';
}

/* Hands every complete record of the batch to fn. */
static int batch_deliver(batch *b, const char *path, char delim, mql_csv_row_fn fn, void *ctx,
                         size_t *index, mql_err *err)
{
    if (!b->n_rec)
        return MQL_OK;
    if (b->cap_ptr < b->n_fields) {
        free(b->ptr);
        b->cap_ptr = b->cap_fields;
        if (!(b->ptr = malloc(b->cap_ptr * sizeof *b->ptr)))
            return mql_err_set(err, MQL_ENOMEM, "%s: out of memory", path);
    }
    for (size_t k = 0; k < b->n_fields; k++)
        b->ptr[k] = b->bytes + b->off[k];
    for (size_t i = 0; i < b->n_rec; i++) {
        const brec *q = &b->rec[i];
        mql_csv_row row = {*index, q->line, q->nf, b->ptr + q->first, b->len + q->first, delim};
        int st = fn(&row, ctx, err);
        if (st)
            return st;
        (*index)++;
    }
    return MQL_OK;
}

/* Moves the fields of a record still being parsed (it continues in the next chunk) from batch
 * from to the empty batch to. Returns 0 or -1 when out of memory. */
static int batch_carry(reader *r, batch *from, batch *to)
{
    size_t first = r->rec_nf ? r->rec_first : from->n_fields;
    for (size_t k = first; k < from->n_fields; k++) {
        if (batch_room_field(to, from->len[k]))
            return -1;
        batch_put(to, from->bytes + from->off[k], from->len[k]);
    }
    from->n_fields = first;
    r->rec_first = 0;
    return 0;
}

/* Reading runs as a two-stage pipeline on two threads, because libcsv's byte loop alone takes
 * about half the time budget: a producer thread reads and parses chunks into batches while the
 * calling thread hashes the raw bytes and runs the callbacks. Two slots alternate. */
typedef struct slot {
    batch b;
    unsigned char *raw;
    size_t raw_n;
    int ready;               /* 1: filled by the producer, owned by the consumer */
    int status;              /* the producer's error, reported when the consumer gets here */
    int end;                 /* last slot of the file */
} slot;

typedef struct pipeline {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    slot slot[2];
    int stop;                /* the consumer has quit */
    reader r;
    FILE *f;
    char delim;
    size_t n_bytes;
    mql_xxh64_state hash;    /* XXH64 of the bytes handed on so far (consumer side) */
    mql_err perr;            /* the producer's messages */
} pipeline;

static int producer_chunk(pipeline *pl, slot *s, struct csv_parser *p, int *first)
{
    reader *r = &pl->r;
    s->raw_n = fread(s->raw, 1, CHUNK, pl->f);
    if (s->raw_n == 0) {
        s->end = 1;
        if (ferror(pl->f))
            return mql_err_set(&pl->perr, MQL_EIO, "%s: cannot read: %s", r->path,
                               strerror(errno));
        if (csv_fini(p, on_field, on_record, r) && !r->status)
            return mql_err_set(&pl->perr, MQL_EDATA,
                               "%s:%zu: unterminated quoted field starting here", r->path,
                               r->line);
        if (r->status)
            return r->status;
        if (r->n_records == 0)
            return mql_err_set(&pl->perr, MQL_EDATA, "%s: empty file (no header line)",
                               r->path);
        return MQL_OK;
    }
    pl->n_bytes += s->raw_n;
    const unsigned char *d = s->raw;
    size_t m = s->raw_n;
    if (*first) {
        *first = 0;
        if (m >= 3 && d[0] == 0xEF && d[1] == 0xBB && d[2] == 0xBF) {
            d += 3;
            m -= 3;
        }
        if (m >= 2 && ((d[0] == 0xFF && d[1] == 0xFE) || (d[0] == 0xFE && d[1] == 0xFF)))
            return mql_err_set(&pl->perr, MQL_EDATA,
                               "%s: the file is UTF-16 text (Excel's \"Unicode Text\"), not "
                               "UTF-8: save it as \"CSV UTF-8\", or convert it with iconv -f "
                               "UTF-16 -t UTF-8", r->path);
        if (!pl->delim)
            pl->delim = detect_delim(d, m);
        csv_set_delim(p, (unsigned char)pl->delim);
    }
    size_t used = csv_parse(p, d, m, on_field, on_record, r);
    if (r->status)
        return r->status;
    if (used != m) {
        char lab[256];
        column_label(r, r->rec_nf, lab, sizeof lab);
        if (csv_error(p) == CSV_EPARSE)
            return mql_err_set(&pl->perr, MQL_EDATA,
                               "%s:%zu: %s: malformed quoting (a quote inside a field must be "
                               "doubled, and a quoted field must end at a separator)",
                               r->path, r->line, lab);
        return mql_err_set(&pl->perr, MQL_ENOMEM, "%s: %s", r->path,
                           csv_strerror(csv_error(p)));
    }
    return MQL_OK;
}

static void *producer(void *arg)
{
    pipeline *pl = arg;
    reader *r = &pl->r;
    struct csv_parser p;
    batch carry = {0};
    int first = 1, k = 0, init = csv_init(&p, CSV_STRICT | CSV_STRICT_FINI | CSV_APPEND_NULL |
                                                  CSV_REPALL_NL);
    for (;;) {
        slot *s = &pl->slot[k];
        pthread_mutex_lock(&pl->mu);
        while (s->ready && !pl->stop)
            pthread_cond_wait(&pl->cv, &pl->mu);
        int stop = pl->stop;
        pthread_mutex_unlock(&pl->mu);
        if (stop)
            break;
        s->b.n_bytes = s->b.n_fields = s->b.n_rec = 0;
        r->b = &s->b;
        if (init) {
            s->status = mql_err_set(&pl->perr, MQL_ENOMEM, "%s: out of memory", r->path);
        } else if (batch_carry(r, &carry, &s->b)) {
            s->status = mql_err_set(&pl->perr, MQL_ENOMEM, "%s: out of memory", r->path);
        } else {
            carry.n_bytes = carry.n_fields = 0;
            s->status = producer_chunk(pl, s, &p, &first);
            if (!s->status && !s->end && batch_carry(r, &s->b, &carry))
                s->status = mql_err_set(&pl->perr, MQL_ENOMEM, "%s: out of memory", r->path);
        }
        int done = s->status || s->end;
        pthread_mutex_lock(&pl->mu);
        s->ready = 1;
        pthread_cond_broadcast(&pl->cv);
        pthread_mutex_unlock(&pl->mu);
        if (done)
            break;
        k ^= 1;
    }
    if (!init)
        csv_free(&p);
    batch_free(&carry);
    return NULL;
}

int mql_csv_read(const char *path, const mql_csv_opts *opts, mql_csv_row_fn fn, void *ctx,
                 mql_csv_info *info, mql_err *err)
{
    int is_stdin = strcmp(path, "-") == 0;
    FILE *f = is_stdin ? stdin : fopen(path, "rb");
    if (!f)
        return mql_err_set(err, MQL_EIO, "%s: cannot open: %s", path, strerror(errno));
    pipeline *pl = calloc(1, sizeof *pl);
    int st = MQL_OK;
    if (!pl || !(pl->slot[0].raw = malloc(CHUNK)) || !(pl->slot[1].raw = malloc(CHUNK))) {
        st = mql_err_set(err, MQL_ENOMEM, "%s: out of memory", path);
        goto done;
    }
    pl->f = f;
    mql_xxh64_init(&pl->hash);
    pl->delim = opts && opts->delim ? opts->delim : 0;
    pl->r = (reader){.path = is_stdin ? "<stdin>" : path, .err = &pl->perr, .line = 1,
                     .allow_ragged = opts && opts->allow_ragged, .at_top = 1};
    pthread_mutex_init(&pl->mu, NULL);
    pthread_cond_init(&pl->cv, NULL);
    pthread_t th;
    if (pthread_create(&th, NULL, producer, pl)) {
        st = mql_err_set(err, MQL_ENOMEM, "%s: cannot start the reader thread", path);
        goto destroy;
    }
    size_t index = 0;
    for (int k = 0;; k ^= 1) {
        slot *s = &pl->slot[k];
        pthread_mutex_lock(&pl->mu);
        while (!s->ready)
            pthread_cond_wait(&pl->cv, &pl->mu);
        pthread_mutex_unlock(&pl->mu);
        mql_xxh64_update(&pl->hash, s->raw, s->raw_n);
        if (s->status) {
            /* The records parsed before the error come first: one of them (the header's
             * duplicate name, say) may fail earlier in the file, as in the parallel reader. */
            st = batch_deliver(&s->b, pl->r.path, pl->delim, fn, ctx, &index, err);
            if (!st) {
                st = s->status;
                memcpy(err->msg, pl->perr.msg, sizeof err->msg);
            }
        } else {
            st = batch_deliver(&s->b, pl->r.path, pl->delim, fn, ctx, &index, err);
        }
        int end = s->end;
        pthread_mutex_lock(&pl->mu);
        s->ready = 0;
        if (st)
            pl->stop = 1;
        pthread_cond_broadcast(&pl->cv);
        pthread_mutex_unlock(&pl->mu);
        if (st || end)
            break;
    }
    pthread_join(th, NULL);
    if (!st && info) {
        info->delim = pl->delim;
        info->n_records = pl->r.n_records - 1;
        info->n_bytes = pl->n_bytes;
        info->hash = mql_xxh64_digest(&pl->hash);
    }
destroy:
    pthread_mutex_destroy(&pl->mu);
    pthread_cond_destroy(&pl->cv);
done:
    if (pl) {
        for (int k = 0; k < 2; k++) {
            batch_free(&pl->slot[k].b);
            free(pl->slot[k].raw);
        }
        if (pl->r.header)
            for (size_t j = 0; j < pl->r.n_header; j++)
                free(pl->r.header[j]);
        free(pl->r.header);
        free(pl);
    }
    if (!is_stdin)
        fclose(f);
    return st;
}

/* ---- reading a regular file in parts, in parallel ----
 *
 * A record boundary is a LF outside quotes. CSV_STRICT accepts a quote only as a field's opening
 * or closing quote or doubled inside a quoted field, so in a well-formed prefix a LF is outside
 * quotes exactly when the number of quotes before it is even: a fast byte count finds boundaries
 * without parsing. Each part is then parsed by its own libcsv parser from a fresh state. Where the
 * prefix is not well formed, the part before the boundary meets the error first, or does not end
 * cleanly at the boundary (csv_fini sees an open quote); either way the caller is told to read the
 * file on one thread, so every result and message equals the one-thread reader's. Line numbers
 * count LF and CR-not-before-LF bytes, the one-thread reader's rule.
 *
 * The scan runs on the calling thread, which also hashes the whole file, and reaches the middle
 * of the file some 30 ms after part 0 has started: a part that waited for it would finish that
 * much later. So when the caller can take records whose lines are not yet known (cell mode with
 * begin and reset), part k >= 1 starts at once at a guess, the first LF at or after its floor,
 * as if the quotes before it were even; the part before it parses up to the guess and waits
 * there. The scan later finds the true boundary. The same as the guess (nearly always): the part
 * learns its first line and shifts the lines it has handed on (begin). Later (the LF lay inside
 * a quoted field, as in a CRM export's multi-line notes): the part forgets its records (reset)
 * and starts again at the true boundary, while the part before it parses on to it. An error a
 * part meets before its guess is confirmed would name a wrong line: the caller is then told to
 * read on one thread, which names the right one. */

#define SPLIT_MAX 16

typedef struct split {
    const char *path;        /* for messages */
    int fd;
    uint64_t size;
    char delim;
    int allow_ragged;
    size_t n_header;
    char **header;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    size_t n;                        /* parts planned */
    uint64_t start[SPLIT_MAX];       /* first byte of part k (once found[k] for k >= 1) */
    size_t line[SPLIT_MAX];          /* its physical line */
    int found[SPLIT_MAX];            /* FOUND: the scan has set start[k] and line[k]; NO_PART:
                                        it found no boundary for part k (0: not yet) */
    uint64_t guess[SPLIT_MAX];       /* part k was started here before the scan came (0: not) */
    uint64_t floor[SPLIT_MAX];       /* part k ends at the first LF outside quotes from here */
    uint64_t stop[SPLIT_MAX];        /* part k may parse up to here before its end is known:
                                        part k + 1's guess, else floor[k] */
    uint64_t end[SPLIT_MAX];         /* ... and exactly here once end_known[k] */
    int end_known[SPLIT_MAX];
} split;

#define FOUND 1
#define NO_PART 2

typedef struct part {
    split *sp;
    size_t k;
    reader r;
    batch b;
    mql_err err;
    int status;
    int clean;               /* ended exactly at a record boundary */
    int spec;                /* running from guess[k], its first line not yet known */
    int spec_error;          /* status arose before the guess was confirmed (a wrong line) */
    int started;
    pthread_t th;
} part;

#define CSV_OPTS (CSV_STRICT | CSV_STRICT_FINI | CSV_APPEND_NULL | CSV_REPALL_NL)

/* Reads exactly n bytes at offset off, or fails. */
static int pread_full(int fd, unsigned char *buf, size_t n, uint64_t off)
{
    while (n) {
        ssize_t got = pread(fd, buf, n, (off_t)off);
        if (got < 0 && errno == EINTR)
            continue;
        if (got == 0)
            errno = 0;       /* the file ended early */
        if (got <= 0)
            return -1;
        buf += got;
        n -= (size_t)got;
        off += (uint64_t)got;
    }
    return 0;
}

/* The offset up to which part k may parse from pos: its end once known, else its stop (waiting
 * there until the boundary scan has found the end). A part running from a guess returns as soon
 * as the scan has judged the guess (*verdict: FOUND or NO_PART), so that it learns its first
 * line early, or stops parsing what is not its part. */
static uint64_t part_limit(part *pt, uint64_t pos, int *known, int *verdict)
{
    split *sp = pt->sp;
    size_t k = pt->k;
    pthread_mutex_lock(&sp->mu);
    for (;;) {
        *verdict = pt->spec ? sp->found[k] : 0;
        if (*verdict || sp->end_known[k] || pos < sp->stop[k])
            break;
        pthread_cond_wait(&sp->cv, &sp->mu);
    }
    *known = sp->end_known[k];
    uint64_t lim = *known ? sp->end[k] : sp->stop[k];
    pthread_mutex_unlock(&sp->mu);
    return lim;
}

/* Waits until the scan has judged part k's guess: FOUND (start[k] and line[k] set) or NO_PART. */
static int part_verdict(part *pt)
{
    split *sp = pt->sp;
    pthread_mutex_lock(&sp->mu);
    while (!sp->found[pt->k])
        pthread_cond_wait(&sp->cv, &sp->mu);
    int v = sp->found[pt->k];
    pthread_mutex_unlock(&sp->mu);
    return v;
}

/* The line a part running from a guess counts from until it learns its first line: any value
 * does, since the lines handed on are shifted by the difference then. */
#define GUESS_LINE ((size_t)1)

#define GUESS_WRONG 0x5357   /* private status: the part's guess was not its start after all */

/* A part running from a guess whose start the scan has found: when the guess was right, the
 * lines counted so far are shifted to the true ones (the caller's too, through begin) and the
 * part goes on as any other; when wrong, GUESS_WRONG (part_main starts the part again). */
static int part_settle(part *pt)
{
    split *sp = pt->sp;
    if (sp->start[pt->k] != sp->guess[pt->k])
        return GUESS_WRONG;
    size_t shift = sp->line[pt->k] - GUESS_LINE;
    pt->r.line += shift;
    pt->r.rec_line += shift;
    pt->spec = 0;
    return pt->r.cells->begin(pt->r.ctx, sp->line[0], sp->line[pt->k], shift,
                              pt->r.rec_nf > 0, &pt->err);
}

/* The message for a libcsv parse failure, as the one-thread reader words it. */
static int parse_failure(reader *r, struct csv_parser *p, mql_err *err)
{
    char lab[256];
    column_label(r, r->rec_nf, lab, sizeof lab);
    if (csv_error(p) == CSV_EPARSE)
        return mql_err_set(err, MQL_EDATA,
                           "%s:%zu: %s: malformed quoting (a quote inside a field must be "
                           "doubled, and a quoted field must end at a separator)",
                           r->path, r->line, lab);
    return mql_err_set(err, MQL_ENOMEM, "%s: %s", r->path, csv_strerror(csv_error(p)));
}

/* Parses bytes [pos, end) of fd in direct mode with a fresh parser; pt: the range is that part's,
 * its end found while it runs (end unused). At the end of the file the parser is finished as the
 * one-thread reader does; elsewhere *clean says whether the range ended exactly at a record
 * boundary. A part running from a guess settles it (part_settle) as soon as the scan has judged
 * it, and returns GUESS_WRONG when the guess was wrong or the part is not needed. */
static int parse_range(reader *r, int fd, char delim, uint64_t pos, uint64_t end, part *pt,
                       uint64_t file_size, int *clean)
{
    struct csv_parser p;
    unsigned char *buf = malloc(CHUNK);
    *clean = 0;
    if (!buf || csv_init(&p, CSV_OPTS)) {
        free(buf);
        return mql_err_set(r->err, MQL_ENOMEM, "%s: out of memory", r->path);
    }
    csv_set_delim(&p, (unsigned char)delim);
    r->delim = delim;
    int st = MQL_OK;
    for (;;) {
        int known = 1, verdict = 0;
        uint64_t lim = pt ? part_limit(pt, pos, &known, &verdict) : end;
        if (verdict) {
            if (verdict == NO_PART)
                st = GUESS_WRONG;
            else
                st = part_settle(pt);
            if (st)
                break;
            continue;
        }
        if (known)
            end = lim;
        if (pos >= lim)
            break;
        size_t want = lim - pos < CHUNK ? (size_t)(lim - pos) : CHUNK;
        if (pread_full(fd, buf, want, pos)) {
            st = mql_err_set(r->err, MQL_EIO, "%s: cannot read: %s", r->path,
                             errno ? strerror(errno) : "file shrank while reading");
            break;
        }
        size_t used = csv_parse(&p, buf, want, on_field, on_record, r);
        if (r->status) {
            st = r->status;
            break;
        }
        if (used != want) {
            st = parse_failure(r, &p, r->err);
            break;
        }
        pos += want;
    }
    if (!st) {
        size_t calls = r->n_calls;
        int unterminated = csv_fini(&p, on_field, on_record, r) != 0;
        if (end == file_size) {
            if (unterminated && !r->status)
                st = mql_err_set(r->err, MQL_EDATA,
                                 "%s:%zu: unterminated quoted field starting here", r->path,
                                 r->line);
            else
                st = r->status;
        } else {
            *clean = !unterminated && !r->status && r->n_calls == calls;
        }
    }
    csv_free(&p);
    free(buf);
    return st;
}

/* A reader in direct mode for the data records of a range starting at line. */
static void part_reader(reader *r, const split *sp, batch *b, mql_err *err, size_t line,
                        mql_csv_row_fn fn, const mql_csv_cell_fns *cells, void *ctx)
{
    *r = (reader){.path = sp->path, .err = err, .line = line, .prev_term = '\n',
                  .n_header = sp->n_header, .header = sp->header, .n_records = 1,
                  .allow_ragged = sp->allow_ragged, .b = b, .fn = fn, .ctx = ctx, .index = 1,
                  .cells = cells};
}

/* A part's thread. A part started from a guess that ends (its last record, or an error) before
 * the scan has judged the guess waits for the verdict: a wrong guess starts the part again at
 * the true boundary with a fresh parser and a reset context, and an error found while the
 * part's lines were not known is marked, so that the caller reads on one thread. */
static void *part_main(void *arg)
{
    part *pt = arg;
    split *sp = pt->sp;
    const mql_csv_cell_fns *cells = pt->r.cells;
    for (;;) {
        uint64_t from = pt->spec ? sp->guess[pt->k] : sp->start[pt->k];
        pt->r.line = pt->spec ? GUESS_LINE : sp->line[pt->k];
        if (!pt->spec && cells && cells->begin &&
            (pt->status = cells->begin(pt->r.ctx, sp->line[0], sp->line[pt->k], 0, 0, &pt->err)))
            return NULL;
        int st = parse_range(&pt->r, sp->fd, sp->delim, from, 0, pt, sp->size, &pt->clean);
        if (!pt->spec && st != GUESS_WRONG) {
            pt->status = st;
            return NULL;
        }
        if (part_verdict(pt) == NO_PART)
            return NULL;     /* the file has fewer parts: this one's records are not used */
        if (sp->start[pt->k] == sp->guess[pt->k]) {
            pt->spec_error = st != MQL_OK;
            pt->status = st ? st : part_settle(pt);
            return NULL;
        }
        /* The guess lay inside a quoted field: the true start is later. */
        mql_csv_row_fn fn = pt->r.fn;
        void *ctx = pt->r.ctx;
        pt->b.n_bytes = pt->b.n_fields = pt->b.n_rec = 0;
        part_reader(&pt->r, sp, &pt->b, &pt->err, 0, fn, cells, ctx);
        cells->reset(ctx);
        pt->spec = 0;
    }
}

/* Counts of one stretch of bytes for the boundary scan. */
typedef struct scanner {
    uint64_t pos;            /* file offset of the next byte */
    int odd;                 /* an odd number of quotes so far: inside a quoted field */
    int prev_cr;             /* the byte before pos was CR */
    size_t line;             /* physical line at pos */
    size_t k;                /* next boundary to find (1 .. n-1); n: done */
    uint64_t target;         /* look for it from here */
} scanner;

#ifndef __SSE2__
/* Bytes equal to c in s[0..n), 8 at a time (gcc -O2 leaves the plain loop a byte loop): in
 * w = word ^ c..c the bytes equal to c are zero, ((w & 7F..) + 7F..) | w has the high bit of
 * exactly the nonzero bytes (no carry crosses a byte), and the zero bytes' flags are summed in
 * byte lanes, emptied before any lane can pass 255. */
static size_t count_byte(const unsigned char *s, size_t n, unsigned char c)
{
    const uint64_t lo7 = UINT64_C(0x7F7F7F7F7F7F7F7F), ones = UINT64_C(0x0101010101010101);
    const uint64_t pat = ones * c;
    size_t k = 0, i = 0;
    while (i + 8 <= n) {
        uint64_t lanes = 0;
        for (int r = 0; r < 255 && i + 8 <= n; r++, i += 8) {
            uint64_t w;
            memcpy(&w, s + i, 8);
            w ^= pat;
            lanes += (~(((w & lo7) + lo7) | w) & ~lo7) >> 7;
        }
        /* the sum of the eight lanes (up to 2040): pairs in 16-bit lanes, then those summed */
        const uint64_t even = UINT64_C(0x00FF00FF00FF00FF);
        uint64_t pairs = (lanes & even) + ((lanes >> 8) & even);
        k += (size_t)((pairs * UINT64_C(0x0001000100010001)) >> 48);
    }
    for (; i < n; i++)
        k += s[i] == c;
    return k;
}
#endif

/* The quotes and LFs of s[0..n). With SSE2 (every x86-64) both are counted in one pass, 16 bytes
 * at a time, in byte lanes emptied (psadbw) before any can pass 255: about 2.5 times as fast as
 * two passes of count_byte, which matters because this runs on the calling thread before the
 * later parts learn their lines. */
static void count_quotes_lfs(const unsigned char *s, size_t n, size_t *quotes, size_t *lfs)
{
#ifdef __SSE2__
    size_t q = 0, l = 0, i = 0;
    const __m128i vq = _mm_set1_epi8('"'), vl = _mm_set1_epi8('\n'), zero = _mm_setzero_si128();
    while (i + 16 <= n) {
        __m128i aq = zero, al = zero;
        for (int r = 0; r < 255 && i + 16 <= n; r++, i += 16) {
            __m128i w = _mm_loadu_si128((const __m128i *)(const void *)(s + i));
            aq = _mm_sub_epi8(aq, _mm_cmpeq_epi8(w, vq));   /* a match is -1 */
            al = _mm_sub_epi8(al, _mm_cmpeq_epi8(w, vl));
        }
        __m128i sq = _mm_sad_epu8(aq, zero), sl = _mm_sad_epu8(al, zero);
        q += (size_t)_mm_cvtsi128_si64(sq) + (size_t)_mm_cvtsi128_si64(_mm_unpackhi_epi64(sq, sq));
        l += (size_t)_mm_cvtsi128_si64(sl) + (size_t)_mm_cvtsi128_si64(_mm_unpackhi_epi64(sl, sl));
    }
    for (; i < n; i++) {
        q += s[i] == '"';
        l += s[i] == '\n';
    }
    *quotes = q;
    *lfs = l;
#else
    *quotes = count_byte(s, n, '"');
    *lfs = count_byte(s, n, '\n');
#endif
}

/* Adds the quotes and line breaks of s[0..n) (the bytes at sc->pos) to the scanner. */
static void scan_count(scanner *sc, const unsigned char *s, size_t n)
{
    if (!n)
        return;
    size_t quotes, lines;
    count_quotes_lfs(s, n, &quotes, &lines);
    sc->odd ^= (int)(quotes & 1);
    if (sc->prev_cr && s[0] == '\n')
        lines--;                     /* the CR before it counted already */
    for (const unsigned char *q = memchr(s, '\r', n); q; q = memchr(q, '\r', (size_t)(s + n - q)))
        if (++q == s + n || *q != '\n')
            lines++;                 /* a CR counts unless a LF follows (which counts) */
    sc->line += lines;
    sc->prev_cr = s[n - 1] == '\r';
    sc->pos += n;
}

/* Publishes the end of part k - 1, and when b is a boundary (not the end of the file) the start
 * of part k, whose start[k] and line[k] are set. */
static void publish_end(split *sp, size_t k, uint64_t b)
{
    pthread_mutex_lock(&sp->mu);
    sp->end[k - 1] = b;
    sp->end_known[k - 1] = 1;
    if (b < sp->size)
        sp->found[k] = FOUND;
    pthread_cond_broadcast(&sp->cv);
    pthread_mutex_unlock(&sp->mu);
}

/* Runs the boundary scan over s[0..n) (the bytes at sc->pos): counts up to the next target, then
 * walks byte by byte to the first LF outside quotes, which ends part k - 1 and starts part k
 * (started here unless it runs from a guess already). Returns 0, or -1 when a thread cannot be
 * started. */
static int scan_feed(split *sp, part *pt, scanner *sc, const unsigned char *s, size_t n)
{
    while (n && sc->k < sp->n) {
        if (sc->pos < sc->target) {
            size_t m = sc->target - sc->pos < n ? (size_t)(sc->target - sc->pos) : n;
            scan_count(sc, s, m);
            s += m;
            n -= m;
            continue;
        }
        unsigned char c = *s++;
        n--;
        sc->pos++;
        if (c == '"')
            sc->odd ^= 1;
        else if (c == '\r' || (c == '\n' && !sc->prev_cr))
            sc->line++;
        sc->prev_cr = c == '\r';
        if (c != '\n' || sc->odd || sc->pos >= sp->size)
            continue;
        size_t k = sc->k++;
        sp->start[k] = sc->pos;
        sp->line[k] = sc->line;
        publish_end(sp, k, sc->pos);
        if (sc->k < sp->n)
            sc->target = sp->floor[k];
        if (pt[k].started)
            continue;
        if (pthread_create(&pt[k].th, NULL, part_main, &pt[k]))
            return -1;
        pt[k].started = 1;
    }
    if (sc->k < sp->n)
        sc->pos += n;
    return 0;
}


/* The header record goes to every part's context; a second record in the header's stretch
 * (a CR-only line end) stops the read, and the caller falls back to one thread. */
typedef struct header_fan {
    mql_csv_row_fn fn;
    void *const *ctx;
    size_t n;
    int status;              /* the callback's refusal of the header */
} header_fan;

#define STOP_SPLIT 0x5370    /* private status: not a header after all */

static int header_fanout(const mql_csv_row *row, void *ctx, mql_err *err)
{
    header_fan *h = ctx;
    if (row->index != 0)
        return STOP_SPLIT;
    for (size_t k = 0; k < h->n; k++)
        if ((h->status = h->fn(row, h->ctx[k], err)))
            return h->status;
    return MQL_OK;
}

static void split_close(split *sp, part *pt, size_t n_pt)
{
    for (size_t k = 0; pt && k < n_pt; k++)
        batch_free(&pt[k].b);
    free(pt);
    if (sp) {
        if (sp->header)
            for (size_t j = 0; j < sp->n_header; j++)
                free(sp->header[j]);
        free(sp->header);
        pthread_mutex_destroy(&sp->mu);
        pthread_cond_destroy(&sp->cv);
        close(sp->fd);
        free(sp);
    }
}

/* Guesses the start of parts 1 .. n - 1 (each the byte after the first LF at or after its floor
 * and after the guess before it) and marks them to start at once. Stops at the first part
 * without a LF in the MiB after its floor, which then starts when the scan finds it, with every
 * part after it. buf: CHUNK bytes of scratch. */
static void guess_starts(split *sp, part *pt, unsigned char *buf)
{
    uint64_t from = sp->start[0];
    for (size_t k = 1; k < sp->n; k++) {
        uint64_t at = sp->floor[k - 1] > from ? sp->floor[k - 1] : from;
        size_t m = sp->size - at < CHUNK ? (size_t)(sp->size - at) : CHUNK;
        const unsigned char *lf = NULL;
        /* a line is rarely long: look at 64 KiB first */
        for (size_t got = 0, step = 64u << 10; !lf && got < m; got += step, step = m - got) {
            size_t w = step < m - got ? step : m - got;
            if (pread_full(sp->fd, buf + got, w, at + got))
                return;
            lf = memchr(buf + got, '\n', w);
        }
        if (!lf || at + (uint64_t)(lf - buf) + 1 >= sp->size)
            return;
        from = sp->guess[k] = at + (uint64_t)(lf - buf) + 1;
        sp->stop[k - 1] = from;
        pt[k].spec = 1;
    }
}

int mql_csv_read_parts(const char *path, const mql_csv_opts *opts, size_t max_parts,
                       uint64_t min_part_bytes, mql_csv_row_fn fn, const mql_csv_cell_fns *cells,
                       void *const *ctx, mql_csv_part *parts, size_t *n_parts,
                       mql_csv_info *info, mql_err *err)
{
    *n_parts = 0;
    if (max_parts > SPLIT_MAX)
        max_parts = SPLIT_MAX;
    if (strcmp(path, "-") == 0 || max_parts < 2)
        return MQL_OK;
    int fd = open(path, O_RDONLY);
    if (fd < 0)
        return MQL_OK;       /* the one-thread reader says why */
    struct stat stt;
    split *sp = calloc(1, sizeof *sp);
    part *pt = calloc(max_parts, sizeof *pt);
    unsigned char *buf = malloc(CHUNK);
    if (!sp || !pt || !buf || fstat(fd, &stt) || !S_ISREG(stt.st_mode)) {
        free(sp);
        free(pt);
        free(buf);
        close(fd);
        return MQL_OK;
    }
    *sp = (split){.path = path, .fd = fd, .size = (uint64_t)stt.st_size,
                  .allow_ragged = opts && opts->allow_ragged};
    pthread_mutex_init(&sp->mu, NULL);
    pthread_cond_init(&sp->cv, NULL);
    int st = MQL_OK;

    /* The header: the first line outside quotes of the first chunk, parsed as the one-thread
     * reader does (BOM skipped, delimiter detected on the same chunk). */
    size_t head = sp->size < CHUNK ? (size_t)sp->size : CHUNK;
    if (head == 0 || pread_full(fd, buf, head, 0))
        goto out;
    size_t bom = head >= 3 && buf[0] == 0xEF && buf[1] == 0xBB && buf[2] == 0xBF ? 3 : 0;
    sp->delim = opts && opts->delim ? opts->delim : detect_delim(buf + bom, head - bom);
    size_t h_end = 0;
    for (size_t i = bom, odd = 0; i < head && !h_end; i++)
        if (buf[i] == '"')
            odd ^= 1;
        else if (buf[i] == '\n' && !odd)
            h_end = i + 1;
    if (!h_end)
        goto out;
    header_fan fan = {fn, ctx, max_parts, MQL_OK};
    batch hb = {0};
    mql_err herr;
    reader hr = {.path = path, .err = &herr, .line = 1, .allow_ragged = sp->allow_ragged,
                 .b = &hb, .fn = header_fanout, .ctx = &fan};
    int hclean;
    int hst = parse_range(&hr, fd, sp->delim, bom, h_end, NULL, sp->size, &hclean);
    batch_free(&hb);
    sp->header = hr.header;
    sp->n_header = hr.n_header;
    if (fan.status) {
        /* the callback refused the header: the one-thread reader says the same */
        st = fan.status;
        memcpy(err->msg, herr.msg, sizeof err->msg);
        goto out;
    }
    if (hst || !hclean || hr.n_records != 1)
        goto out;

    /* Parts: equal shares of the data bytes, each at least min_part_bytes. */
    uint64_t data = sp->size - h_end;
    size_t n = max_parts;
    if (min_part_bytes && data / min_part_bytes < n)
        n = (size_t)(data / min_part_bytes);
    sp->n = n = n ? n : 1;
    for (size_t k = 0; k < n; k++) {
        sp->floor[k] = sp->stop[k] = k + 1 < n ? h_end + data / n * (k + 1) : sp->size;
        pt[k] = (part){.sp = sp, .k = k};
        part_reader(&pt[k].r, sp, &pt[k].b, &pt[k].err, 0, fn, cells, ctx[k]);
        pt[k].r.at_top = k == 0;
    }
    sp->end[n - 1] = sp->size;
    sp->end_known[n - 1] = 1;
    sp->start[0] = h_end;
    sp->line[0] = hr.line;
    sp->found[0] = FOUND;
    if (cells && cells->begin && cells->reset)
        guess_starts(sp, pt, buf);
    for (size_t k = 0; k < n && (k == 0 || pt[k].spec); k++) {
        if (pthread_create(&pt[k].th, NULL, part_main, &pt[k])) {
            st = mql_err_set(err, MQL_ENOMEM, "%s: cannot start a reader thread", path);
            break;
        }
        pt[k].started = 1;
    }

    /* One pass over the file on this thread: the fingerprint, and the boundary scan until every
     * part has started. */
    scanner sc = {.pos = h_end, .line = hr.line, .k = 1, .target = sp->floor[0]};
    mql_xxh64_state hs;
    mql_xxh64_init(&hs);
    for (uint64_t off = 0; off < sp->size && !st;) {
        size_t m = sp->size - off < CHUNK ? (size_t)(sp->size - off) : CHUNK;
        if (pread_full(fd, buf, m, off)) {
            st = mql_err_set(err, MQL_EIO, "%s: cannot read: %s", path,
                             errno ? strerror(errno) : "file shrank while reading");
            break;
        }
        mql_xxh64_update(&hs, buf, m);
        if (sc.k < n && off + m > h_end) {
            size_t skip = off < h_end ? (size_t)(h_end - off) : 0;
            if (scan_feed(sp, pt, &sc, buf + skip, m - skip))
                st = mql_err_set(err, MQL_ENOMEM, "%s: cannot start a reader thread", path);
        }
        off += m;
    }
    /* Boundaries not found (long quoted stretches, few lines, or a failure): fewer parts, the
     * last to EOF; the parts started from guesses beyond them stop. */
    size_t used = sc.k < n ? sc.k : n;
    if (used < n)
        publish_end(sp, used, sp->size);
    pthread_mutex_lock(&sp->mu);
    for (size_t k = used; k < n; k++)
        sp->found[k] = NO_PART;
    pthread_cond_broadcast(&sp->cv);
    pthread_mutex_unlock(&sp->mu);
    for (size_t k = 0; k < n; k++)
        if (pt[k].started)
            pthread_join(pt[k].th, NULL);
    if (st)
        goto out;
    /* The first error in file order wins, provided every part before it ended exactly at its
     * boundary (the one-thread reader then reaches it in the same state). */
    size_t total = 0;
    for (size_t k = 0; k < used; k++) {
        if (pt[k].status) {
            if (pt[k].spec_error)
                goto out;    /* its message may name a wrong line: the one-thread reader's won't */
            st = pt[k].status;
            memcpy(err->msg, pt[k].err.msg, sizeof err->msg);
            goto out;
        }
        if (k + 1 < used && !pt[k].clean)
            goto out;        /* quoting the scan misjudged: the caller reads on one thread */
        parts[k] = (mql_csv_part){sp->start[k], sp->end[k], sp->line[k], pt[k].r.n_records - 1};
        total += parts[k].n_records;
    }
    *n_parts = used;
    if (info) {
        info->delim = sp->delim;
        info->n_records = total;
        info->n_bytes = (size_t)sp->size;
        info->hash = mql_xxh64_digest(&hs);
    }
out:
    free(buf);
    split_close(sp, pt, max_parts);
    return st;
}

int mql_csv_read_range(const char *path, char delim, const mql_csv_part *range,
                       mql_csv_row_fn fn, void *ctx, mql_err *err)
{
    int fd = open(path, O_RDONLY);
    if (fd < 0)
        return mql_err_set(err, MQL_EIO, "%s: cannot open: %s", path, strerror(errno));
    split sp = {.path = path, .allow_ragged = 1};
    batch b = {0};
    reader r;
    part_reader(&r, &sp, &b, err, range->line, fn, NULL, ctx);
    int clean;
    int st = parse_range(&r, fd, delim, range->offset, range->end, NULL, UINT64_MAX, &clean);
    batch_free(&b);
    close(fd);
    return st;
}

/* ---- writing ---- */

int mql_csv_put(FILE *f, const char *s, char delim)
{
    return s ? mql_csv_put_n(f, s, strlen(s), delim) : 0;
}

/* Whether a field must be quoted (see mql_csv_put). */
static inline uint64_t has_byte(uint64_t w, unsigned char c)
{
    const uint64_t ones = UINT64_C(0x0101010101010101), highs = UINT64_C(0x8080808080808080);
    uint64_t x = w ^ (ones * c);
    return (x - ones) & ~x & highs;   /* nonzero iff some byte of w is c */
}

static int needs_quote(const char *s, size_t n, char delim)
{
    if (n > 0 && (s[0] == ' ' || s[0] == '\t' || s[n - 1] == ' ' || s[n - 1] == '\t'))
        return 1;
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {      /* 8 bytes at a time */
        uint64_t w;
        memcpy(&w, s + i, 8);
        if (has_byte(w, (unsigned char)delim) | has_byte(w, '"') | has_byte(w, '\r') |
            has_byte(w, '\n'))
            return 1;
    }
    for (; i < n; i++)
        if (s[i] == delim || s[i] == '"' || s[i] == '\r' || s[i] == '\n')
            return 1;
    return 0;
}

size_t mql_csv_quote(char *buf, const char *s, size_t n, char delim)
{
    if (!needs_quote(s, n, delim)) {
        memcpy(buf, s, n);
        return n;
    }
    size_t o = 0;
    buf[o++] = '"';
    for (size_t i = 0; i < n; i++) {
        buf[o++] = s[i];
        if (s[i] == '"')
            buf[o++] = '"';
    }
    buf[o++] = '"';
    return o;
}

size_t mql_csv_join(char *buf, const mql_csv_row *row, char delim)
{
    size_t nf = row->n_fields;
    if (nf == 0)
        return 0;
    /* One piece: field k + 1 starts right after field k's NUL, no field starts or ends with a
     * blank, and the span holds no delimiter, quote, CR or LF (its NULs become delimiters). */
    const char *s = row->field[0];
    int whole = 1;
    for (size_t k = 0; k < nf && whole; k++) {
        const char *f = row->field[k];
        size_t n = row->len[k];
        whole = (k == 0 || f == row->field[k - 1] + row->len[k - 1] + 1) &&
                (n == 0 || (f[0] != ' ' && f[0] != '\t' && f[n - 1] != ' ' && f[n - 1] != '\t'));
    }
    size_t span = (size_t)(row->field[nf - 1] - s) + row->len[nf - 1];
    if (whole) {
        size_t i = 0;
        for (; i + 8 <= span; i += 8) {
            uint64_t w;
            memcpy(&w, s + i, 8);
            if (has_byte(w, (unsigned char)delim) | has_byte(w, '"') | has_byte(w, '\r') |
                has_byte(w, '\n'))
                break;
            memcpy(buf + i, &w, 8);
        }
        for (; i < span && whole; i++) {
            char ch = s[i];
            whole = ch != delim && ch != '"' && ch != '\r' && ch != '\n';
            buf[i] = ch;
        }
        if (whole) {
            for (size_t k = 0; k + 1 < nf; k++)
                buf[row->field[k + 1] - s - 1] = delim;
            return span;
        }
    }
    size_t used = 0;
    for (size_t k = 0; k < nf; k++) {
        if (k)
            buf[used++] = delim;
        used += mql_csv_quote(buf + used, row->field[k], row->len[k], delim);
    }
    return used;
}

int mql_csv_put_n(FILE *f, const char *s, size_t n, char delim)
{
    int quote = needs_quote(s, n, delim);
    if (!quote)
        return fwrite(s, 1, n, f) == n ? 0 : EOF;
    /* Quoted: write the runs between quote characters whole, doubling each quote. */
    if (putc('"', f) == EOF)
        return EOF;
    size_t start = 0;
    for (size_t i = 0; i <= n; i++) {
        if (i < n && s[i] != '"')
            continue;
        size_t run = i - start + (i < n); /* the quote itself ends the run */
        if (fwrite(s + start, 1, run, f) != run || (i < n && putc('"', f) == EOF))
            return EOF;
        start = i + 1;
    }
    return putc('"', f) == EOF ? EOF : 0;
}

int mql_csv_put_double(FILE *f, double v)
{
    if (isnan(v))
        return 0;
    char buf[40];
    for (int prec = 15; prec <= 17; prec++) {
        snprintf(buf, sizeof buf, "%.*g", prec, v);
        if (strtod(buf, NULL) == v)
            break;
    }
    return fputs(buf, f) == EOF ? EOF : 0;
}

int mql_csv_nonblank(const char *s, size_t n)
{
    const char *t;
    return mql_trim_span(s, n, &t) > 0;
}

int mql_csv_unnamed_error(const char *path, size_t line, size_t j, const char *s, size_t n,
                          mql_err *err)
{
    return mql_err_set(err, MQL_EDATA,
                       "%s:%zu: column %zu has no name in the header but holds '%.*s%s' here: "
                       "name it in the header line (and if a title or note stands above the "
                       "column names, delete it: they must be the first line)",
                       path, line, j + 1, (int)(n > 40 ? 40 : n), s, n > 40 ? "..." : "");
}
