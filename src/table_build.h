/* table_build.h: the columns mql_table_read builds while the file streams (table.c) and infers
 * once it is read (table_infer.c); not part of the library's interface. */
#ifndef MQLCAL_SRC_TABLE_BUILD_H
#define MQLCAL_SRC_TABLE_BUILD_H

#include <math.h>
#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "mqlcal/common.h"
#include "mqlcal/dict.h"
#include "mqlcal/table.h"

/* M_KEY: an identifier's cells as 64-bit hashes (in num's 8 bytes per row) and their text
 * (keytext), for a column whose values the caller does not read (mql_read_opts.ids_unused). */
typedef enum cmode { M_EMPTY, M_NUM, M_DATE, M_TEXT, M_KEY } cmode;

/* The texts of an M_KEY column's filled cells in row order, each a length (one byte, or 255 and
 * four bytes), its bytes and a NUL, packed in blocks: 10 bytes per identifier such as
 * "L0000001", where a dictionary entry takes 24 besides its text. */
typedef struct keytext {
    char **blk;
    size_t *used;            /* bytes taken in each block */
    size_t n_blk, cap;       /* blocks; the last one's size */
    size_t n;                /* texts */
} keytext;


/* What the first pass of table_infer.c's distinct count finds in a column of numbers, gathered
 * while the cells are stored (put_cell), so that the finished column is read once, not twice. */
typedef struct numstats {
    size_t n_val;            /* cells holding a number (the other rows hold NAN) */
    double lo, hi;           /* the range of those numbers (INFINITY, -INFINITY: none) */
    int frac;                /* some number is not whole */
    int not01;               /* some number is neither 0 nor 1 */
} numstats;

/* A column being built while the file streams. */
typedef struct colb {
    cmode mode;
    cmode origin;            /* the mode the first value chose */
    size_t switch_row;       /* when origin is NUM or DATE and mode TEXT: the row whose value
                                turned the column to text (earlier rows hold canonical text) */
    int forced;              /* --categorical: text from the first value */
    int numeric;             /* --numeric: leading zeros and the name make no codes */
    int code_name;           /* the name says codes (mql_code_name) */
    long out;                /* index among the stored columns, -1 when not stored */
    double *num;
    uint32_t *code;
    size_t code_wide;        /* code starts a block with room for this many doubles (0: not
                                known to): mql_colb_finish writes a column's values over its
                                codes there instead of into a fresh array (code_room) */
    mql_dict d;
    uint32_t hash;           /* mql_str_hash of the current cell (text mode) */
    uint32_t memo;           /* text, small indexed dictionary: 1 + the level the last cell
                                looked up was (0: none), set by put_cell alone, so its text is
                                a cell's that is no placeholder */
    int day_memo;            /* date: day_text (10 bytes) is the last plain date read, ... */
    char day_text[10];
    double day;              /*   ... and day its value */
    int has_time;
    int dec;                 /* NUM: the most digits after the point of the values read, 99
                                when some value was not a plain decimal (parse_num_dec) */
    numstats st;             /* NUM: the numbers stored so far, when st_ok (it is not once
                                the column has been anything but numbers: the numbers are
                                then counted afresh) */
    int st_ok;
    size_t n_bad;            /* NUM / DATE: cells of the column's form without a value */
    size_t bad_row;          /*   (mql_column.n_unreadable): the first one's row and text */
    char *bad_text;
    int shared;              /* num / code lie in the parts' shared arrays (slabs): never freed
                                or reallocated through this column */
    int unnamed;             /* no name in the header: never stored, and every cell must be
                                blank (the empty columns a spreadsheet leaves at the right) */
    int keyable;             /* mql_read_opts.ids_unused and not a column the caller reads: a
                                text column may go M_KEY where it would go index-less */
    keytext kt;              /* M_KEY: the cells' texts */
    long unread;             /* mql_read_opts.unread: the column's index among the table's
                                columns (out is then -1: its cells are neither typed nor
                                stored); -1: not such a column */
    const char *name;        /* unread: the column's name (the table's copy), name_len bytes */
    size_t name_len;
    int name_seen;           /* unread: some cell, trimmed, is the name (mql_header_cell_is) */
    int tail_totals;         /* unread: the last row's cell is a totals label */
} colb;

/* The column arrays the parts of a parallel read share: one array of doubles and one of codes
 * per file column, each made when a part first needs it, of cap rows. Part k writes its row i at
 * row base_k + i, where base_k (mql_csv_cell_fns.begin) bounds the rows of the parts before it,
 * so the parts never overlap, and when every record is one line the rows are already where the
 * table wants them: the merge moves nothing into fresh memory. */
typedef struct slabs {
    pthread_mutex_t mu;
    size_t cap;
    size_t n_cols;
    double **num;
    uint32_t **code;
} slabs;

typedef struct builder {
    const char *path;
    const mql_read_opts *opts;
    mql_table *t;
    colb *cb;
    size_t n_file_cols;
    size_t n_rows;                   /* data rows taken */
    size_t cap_rows;
    size_t cap_hint;                 /* rows to make room for at first (an estimate; 0: none) */
    size_t *line;                    /* the physical line of each row taken (cap_rows), or NULL
                                        while every row i so far is on line line0 + i (one line
                                        per record, no blank lines: nearly every export) */
    size_t line0;                    /* the line of row 0 (0: no row yet) */
    int dec_comma;                   /* ';' file: numbers may have a decimal comma */
    int secondary;                   /* a later part's builder: the table belongs to part 0's */
    slabs *sl;                       /* parallel read: the shared arrays (NULL: none) */
    size_t base;                     /* the row of the shared arrays this part's row 0 is at */
    int placed;                      /* new arrays go to the shared ones at base (cap_rows is the
                                        room left there); 0: arrays of its own */
    const char *const *na;
    size_t n_na;
    size_t *na_len;
    uint64_t na_lens[256];           /* by lower-cased first byte: bit k when a placeholder
                                        starting with that byte has length k (< 64) */
    int na_empty;                    /* "" is a placeholder */
    size_t n_unnamed;                /* columns without a name in the header (colb.unnamed) */
    size_t unnamed_bad;              /* cell mode: 1 + the unnamed column with a value in the
                                        record being read (0: none), reported at its end */
    char unnamed_text[48];           /*   ... and the start of that value */
    int may_unread;                  /* mql_read_opts.unread applies (a file, not stdin) */
} builder;

static inline int lower(int c)
{
    return c >= 'A' && c <= 'Z' ? c + 32 : c;
}

/* No numbers yet. */
static inline void numstats_init(numstats *st)
{
    *st = (numstats){0, INFINITY, -INFINITY, 0, 0};
}

/* Adds number x (not NAN); whole says it is known to be a whole number (written without
 * digits after the point), which spares the test. The range keeps the first of equal extremes
 * (-0 or 0), as one pass over the column in row order would. */
static inline void numstats_add(numstats *st, double x, int whole)
{
    st->n_val++;
    if (!whole && !st->frac)
        st->frac = x != floor(x);
    if (!st->not01)
        st->not01 = x != 0 && x != 1;
    st->lo = x < st->lo ? x : st->lo;
    st->hi = x > st->hi ? x : st->hi;
}

/* Adds the numbers of b, which follow a's rows, to a: the same as adding them one by one. */
static inline void numstats_merge(numstats *a, const numstats *b)
{
    a->n_val += b->n_val;
    a->frac |= b->frac;
    a->not01 |= b->not01;
    a->lo = b->lo < a->lo ? b->lo : a->lo;
    a->hi = b->hi > a->hi ? b->hi : a->hi;
}

/* The key of an M_KEY cell: mql_xxh64 of its text, never the bits of NAN, which mark a missing
 * cell (the double NAN stored in the column's num array, as every mode stores one). */
static inline uint64_t key_of(const char *s, size_t n)
{
    const double na = NAN;
    uint64_t k = mql_xxh64(s, n), m;
    memcpy(&m, &na, sizeof m);
    return k == m ? k ^ 1 : k;
}

/* Row i's key in an M_KEY column's array (the bits of NAN for a missing cell), and whether it is
 * missing. */
static inline uint64_t key_at(const double *num, size_t i)
{
    uint64_t k;
    memcpy(&k, &num[i], sizeof k);
    return k;
}

static inline int key_missing(const double *num, size_t i)
{
    const double na = NAN;
    uint64_t m;
    memcpy(&m, &na, sizeof m);
    return key_at(num, i) == m;
}

/* Adds text s (n bytes) to kt. Returns 0 or -1 (no memory). */
int mql_keytext_put(keytext *kt, const char *s, size_t n);
/* The text at *p of a keytext block (its length into *n); *p moves past it. */
static inline const char *mql_keytext_next(const char **p, size_t *n)
{
    const unsigned char *q = (const unsigned char *)*p;
    size_t len = q[0], head = 1;
    if (len == 255) {
        uint32_t l4;
        memcpy(&l4, q + 1, sizeof l4);
        len = l4;
        head = 5;
    }
    *n = len;
    *p += head + len + 1;
    return (const char *)q + head;
}
/* Moves from's texts after a's (from is left empty). Returns 0 or -1 (no memory; both
 * unchanged). */
int mql_keytext_append(keytext *a, keytext *from);
void mql_keytext_free(keytext *kt);

/* The bytes to ask for a code array of cap rows, and (into *wide) the doubles it then has room
 * for: 8 bytes a row once the array is a large one (mql_alloc_big's whole 2 MiB pages, of which
 * only those touched cost memory), so that a column that turns out boolean, numeric or dates at
 * its finish takes its values in the block its codes are in, 4 below that. */
static inline size_t code_room(size_t cap, size_t *wide)
{
    int big = cap * sizeof(double) >= MQL_BIG_BYTES;
    *wide = big ? cap : 0;
    return cap * (big ? sizeof(double) : sizeof(uint32_t));
}

/* Rewrites a numeric or date column as text: the n_rows values seen so far become their text;
 * the code array gets room for cap rows, or is into (a window of the shared arrays, which also
 * hold the values: they are left there). */
int mql_colb_to_text(colb *c, size_t n_rows, size_t cap, uint32_t *into);

/* Infers column c of builder b, whose n rows are read, into col (table_infer.c): its type,
 * counts, values and levels, taking c's arrays and dictionary where it keeps them. Returns 0 or
 * -1 (no memory). */
int mql_colb_finish(const builder *b, colb *c, mql_column *col, size_t n);

#endif
