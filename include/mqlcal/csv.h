/* csv.h: streaming CSV reader on libcsv (BOM, CRLF, delimiter detection, UTF-8 check, line
 * numbers), its parallel form for regular files, and small writing helpers. The file is never
 * held whole: rows are handed to a callback. */
#ifndef MQLCAL_CSV_H
#define MQLCAL_CSV_H

#include <stdio.h>
#include "mqlcal/common.h"

/* One record as handed to the row callback. Fields are NUL-terminated (len excludes the NUL) and
 * valid only during the callback. index is 0 for the header row; line is the physical line on which
 * the record starts (1-based), for messages. */
typedef struct mql_csv_row {
    size_t index;
    size_t line;
    size_t n_fields;
    char *const *field;
    const size_t *len;
    char delim;             /* the file's delimiter (given or detected) */
} mql_csv_row;

/* Row callback: return MQL_OK to go on, anything else (with err filled) to stop reading. */
typedef int (*mql_csv_row_fn)(const mql_csv_row *row, void *ctx, mql_err *err);

typedef struct mql_csv_opts {
    char delim;             /* 0: detect among ',' ';' '\t' from the header line */
    int allow_ragged;       /* 0: a record whose field count differs from the header is an error */
} mql_csv_opts;

/* Summary of a read, filled by mql_csv_read when not NULL. */
typedef struct mql_csv_info {
    char delim;             /* delimiter used */
    size_t n_records;       /* data records, header excluded */
    size_t n_bytes;         /* bytes read */
    uint64_t hash;          /* XXH64 of all bytes read (mql_xxh64: training-data fingerprint) */
} mql_csv_info;

/* Reads path ("-" = stdin) record by record and calls fn for each, header first. Validates UTF-8,
 * field counts against the header, quoting (unterminated quote), and rejects an empty file.
 * Errors name "path:line: column N 'name': ...". Returns MQL_OK, MQL_EIO or MQL_EDATA, or the
 * callback's status. opts may be NULL. */
int mql_csv_read(const char *path, const mql_csv_opts *opts, mql_csv_row_fn fn, void *ctx,
                 mql_csv_info *info, mql_err *err);

/* Where one part of a file split by mql_csv_read_parts lies. */
typedef struct mql_csv_part {
    uint64_t offset;        /* first byte of its first record */
    uint64_t end;           /* one past its last byte */
    size_t line;            /* physical line at offset */
    size_t n_records;       /* data records in it */
} mql_csv_part;

/* The reader of one part in cell mode (csv.c), as cell() sees it: where the cell lies, for
 * mql_csv_cell_check. */
typedef struct mql_csv_reader mql_csv_reader;

/* Cell-by-cell delivery of data records (mql_csv_read_parts): cell() for each field of a record
 * in order (j from 0; s NUL-terminated, valid during the call), then end() once the record is
 * complete and its field count checked. A record that fails a check may have had some cells
 * delivered before the read stops with the error. Either returns MQL_OK or a status (with err
 * filled) that stops the read.
 * The cell comes as the file holds it, not yet checked: cell() must pass it to
 * mql_csv_cell_check(rd, s, n) before anything else, unless it has seen that every byte is
 * printable ASCII (as when it reads the cell as a plain number), for which the check does
 * nothing. Most cells of a numeric export are such numbers, and the reader's own byte check
 * cost as much as the number's parse. */
typedef struct mql_csv_cell_fns {
    int (*cell)(void *ctx, size_t j, const char *s, size_t n, mql_csv_reader *rd, mql_err *err);
    int (*end)(void *ctx, size_t n_fields, size_t line, mql_err *err);
    /* Optional (NULL: not called): once on each part's thread when the part's first line is
     * known, with the physical line where the data records begin (after the header) and the
     * line where the part begins. Every record starts on a line of its own, so part_line -
     * data_line bounds the records of the parts before this one, and record i of the part (from
     * 0) is at most row part_line - data_line + i of the file: parts may write their rows there
     * in one shared array. Usually it comes before the part's first record (shift 0); a part
     * started before the scan for record boundaries reached it may have handed on records
     * already, whose lines were then short by shift (to be added, modulo SIZE_MAX + 1), and
     * in_record says whether some cells of the next record have been handed on too. */
    int (*begin)(void *ctx, size_t data_line, size_t part_line, size_t shift, int in_record,
                 mql_err *err);
    /* Optional: forget every data record handed on since the header (a part started at a guessed
     * boundary that was wrong starts again at the true one; begin follows). When begin or reset
     * is NULL, no part starts before its boundary is found. */
    void (*reset)(void *ctx);
} mql_csv_cell_fns;

/* Reads a regular file in up to max_parts parts on as many threads: the header record goes to
 * fn with every ctx[k] (k < max_parts) in turn, on the calling thread; then the data records are
 * split at record boundaries into parts of at least min_part_bytes, and part k's records go to fn
 * (or, when cells is not NULL, cell by cell to cells) with ctx[k] on a thread of its own, in file
 * order within the part, with index counting from 1 in each part and exact physical line
 * numbers. The checks and messages are mql_csv_read's, and
 * when a part fails, the error reported is the first in file order. parts (max_parts entries)
 * receives where each part lies; info as for mql_csv_read.
 * When the file cannot be split (stdin, not a regular file, max_parts < 2, no line end in the
 * first MiB, quoting that the boundary scan misjudges on a malformed file, or an error met by a
 * part started at a guessed boundary, before its first line was known) it returns MQL_OK
 * with *n_parts = 0, possibly after fn has seen some records: the caller then discards what the
 * contexts hold and reads the file with mql_csv_read, which reports any error exactly. */
int mql_csv_read_parts(const char *path, const mql_csv_opts *opts, size_t max_parts,
                       uint64_t min_part_bytes, mql_csv_row_fn fn, const mql_csv_cell_fns *cells,
                       void *const *ctx, mql_csv_part *parts, size_t *n_parts,
                       mql_csv_info *info, mql_err *err);

/* The check of a cell that cell() was handed (mql_csv_cell_fns): UTF-8, no NUL byte, and the
 * line breaks inside a quoted field counted, so that later messages name the right line.
 * Returns MQL_OK, or MQL_EDATA with err filled ("path:line: column 3 'x': invalid UTF-8 byte
 * 0xFF ..."); cell() returns that status. */
int mql_csv_cell_check(mql_csv_reader *rd, const char *s, size_t n);

/* Reads the data records of a part that mql_csv_read_parts read successfully, again, in order
 * (index from 1); field counts are not checked again. fn may stop the read by returning a
 * nonzero status, which is returned. */
int mql_csv_read_range(const char *path, char delim, const mql_csv_part *part,
                       mql_csv_row_fn fn, void *ctx, mql_err *err);

/* Writes one field, quoted when it holds the delimiter, a quote, CR or LF, or leading/trailing
 * blanks. Returns 0 or EOF on a write error. */
int mql_csv_put(FILE *f, const char *s, char delim);
/* The same for n bytes at s (no NUL needed). */
int mql_csv_put_n(FILE *f, const char *s, size_t n, char delim);
/* The bytes mql_csv_put_n would write for s[0..n), into buf (room for 2 n + 2 bytes; not
 * NUL-terminated). Returns their number. For writers that build a whole record before one
 * fwrite. */
size_t mql_csv_quote(char *buf, const char *s, size_t n, char delim);
/* The fields of row joined by delim, each as mql_csv_quote writes it, into buf (room for the sum
 * of 2 len + 3 over the fields). Returns the bytes written. A record whose fields lie one after
 * the other (as the readers hand them over) and need no quotes is copied in one piece. */
size_t mql_csv_join(char *buf, const mql_csv_row *row, char delim);

/* Columns without a name in the header (an empty header field): the empty columns a spreadsheet
 * leaves at the right are read as absent, a value in one is an error (a title line above the
 * column names, or a column the analyst must name). The table reader and `score` share both. */
/* Whether field s (n bytes) holds anything but blanks. */
int mql_csv_nonblank(const char *s, size_t n);
/* Sets err (MQL_EDATA, returned) to "PATH:LINE: column J has no name in the header but holds
 * 'VALUE' here: name it ...", for the value s (n bytes, shown up to 40) in column j (0-based). */
int mql_csv_unnamed_error(const char *path, size_t line, size_t j, const char *s, size_t n,
                          mql_err *err);

/* Writes a double for machine reading: "%.17g" shortest round-trip form; NAN as empty. */
int mql_csv_put_double(FILE *f, double v);

#endif
