/* table.h: the columnar lead table read from a CRM export, with type inference, missing-value
 * placeholders, and the outcome / SQL / date / ACV roles and joins of DESIGN section 3. */
#ifndef MQLCAL_TABLE_H
#define MQLCAL_TABLE_H

#include <stdint.h>
#include "mqlcal/common.h"
#include "mqlcal/value.h"

typedef enum mql_coltype {
    MQL_COL_NUMERIC = 0,
    MQL_COL_BOOLEAN,
    MQL_COL_CATEGORICAL,
    MQL_COL_DATE,
    MQL_COL_ID          /* identifier-like text: almost every value distinct; never a feature */
} mql_coltype;

const char *mql_coltype_name(mql_coltype t);   /* "numeric", "boolean", ... */

#define MQL_NA_CODE UINT32_MAX

/* A spelling of a value that ingest merged with other spellings of the same value (value.h's
 * equality: case, surrounding blanks, number and boolean spellings): "google" (5 rows) merged
 * into the level "Google". */
typedef struct mql_spelling {
    uint32_t level;          /* CATEGORICAL: the level it became; BOOLEAN: 1 true, 0 false */
    char *text;              /* as written in the file */
    size_t count;            /* rows with this spelling */
} mql_spelling;

/* One column. Exactly one of num / code is used:
 *  NUMERIC, BOOLEAN (0/1), DATE (days since 1970-01-01; the fraction is the time of day): num[],
 *    NAN marks a missing cell;
 *  CATEGORICAL, ID: code[] indexes levels[]; MQL_NA_CODE marks a missing cell. */
enum { MQL_NO_VALUES_ID = 1, MQL_NO_VALUES_UNREAD = 2 };   /* mql_column.no_values */

typedef struct mql_column {
    char *name;
    mql_coltype type;
    size_t n_missing;
    double *num;
    uint32_t *code;
    char **levels;           /* distinct non-missing values, in first-seen order; spellings equal
                                by value.h's equality are one level, labelled by the most
                                frequent spelling (the first seen among equally frequent ones),
                                trimmed */
    size_t *level_count;     /* rows per level */
    size_t n_levels;
    char **level_blocks;     /* when not NULL, the levels' text lives in these n_level_blocks
                                blocks (identifier columns, read without a per-value malloc):
                                mql_column_free_levels frees the levels either way */
    size_t n_level_blocks;
    size_t n_distinct;       /* distinct non-missing values, for every type */
    char *true_label;        /* BOOLEAN: the most frequent spellings, e.g. "Yes" / "no" (a text
                                column is boolean when every value is a true or a false spelling
                                of value.h, true/yes/y/t/1 or false/no/n/f/0 in any case, and both
                                occur); BOOLEAN keeps no levels */
    char *false_label;
    mql_spelling *spellings; /* CATEGORICAL and BOOLEAN read from text: every spelling of each
                                value written more than one way, grouped by level in level order,
                                most frequent first; NULL when every value has one spelling */
    size_t n_spellings;
    int has_time;            /* DATE: some value carried HH:MM:SS */
    int plain_decimal;       /* NUMERIC: 1 when every value was written [sign] digits [. digits]
                                with at most `decimals` (<= 15) digits after the point, so that
                                value * 10^decimals is within a rounding of an integer (below
                                2^53); 0 when not known (other forms, or not read from text) */
    int decimals;
    int borrowed;            /* num / code point into memory the column does not own, never
                                freed with it: a table cache entry's mapping (mql_table.map,
                                written copy-on-write) or a run of another table's rows
                                (mql_table_subset_view, never written: copy first) */
    size_t n_rows;           /* cells in num[] / code[] (the table's n_rows) */
    /* NUMERIC, BOOLEAN, DATE: cells that had the column's form but no value of its type, read
     * as missing: NaN, inf or a number beyond the double range (1e400) in a numeric column, an
     * impossible date (2023-02-30) in a date column. */
    size_t n_unreadable;
    size_t unreadable_row;   /* the first such cell's row (see mql_table.line) */
    char *unreadable_text;   /* ... and its text (NULL when n_unreadable is 0) */
    int date_ambiguous;      /* CATEGORICAL: every value is a date like 03/04/2016 that reads
                                both as month/day/year and day/month/year (--date-format) */
    int code_rule;           /* CATEGORICAL or ID whose every value is a number, read as codes
                                (mql_code_rule): MQL_CODE_NAME, MQL_CODE_ZEROS; 0 otherwise */
    int no_values;           /* the column's values were not kept (num, code and levels are
                                NULL, n_levels 0), for one of two reasons:
                                MQL_NO_VALUES_ID: an ID read with mql_read_opts.ids_unused. The
                                reader drops them only when every cell is filled and distinct
                                (n_distinct = n_rows, n_missing 0), no cell is the column's name
                                and the last is no totals label, so the checks for a repeated
                                header line and a totals row read the same without them.
                                MQL_NO_VALUES_UNREAD: a column of mql_read_opts.unread, never
                                typed: nothing is known of its cells (type MQL_COL_ID, the type
                                that is never a feature nor screened; n_distinct and n_missing
                                0; every cell reads as missing). The reader leaves a column
                                unread only when no cell is its name and, when it is the first
                                column, its last cell is no totals label, and only when the
                                table's first column ends in no totals label, so those two
                                checks read the same as with its values */
    /* NUMERIC as mql_table_read or a table cache hit made it: the unweighted scan of num
     * (design_scan.h: missing cells, whole numbers, range), counted by the reader as it stored
     * the numbers, or by a hit in the pass that checked the entry's checksums. It describes the
     * array scan_of of scan_rows values only: mql_design_scan_numeric uses it while num is still
     * that array of that length and the column NUMERIC: a numeric column given other values
     * gets a new array while the old one is still held (a column leaves NUMERIC for good when
     * its array is freed), and code that writes num in place must set scan_of NULL (the one
     * that does, mql_column_numeric_to_date, makes the column a date). Derived tables'
     * columns start without one. NULL: none. */
    const double *scan_of;
    size_t scan_rows, scan_na;
    double scan_lo, scan_hi;
    int scan_integer;
    /* From a table cache hit: XXH64 of the array sum_of (num or code) of sum_rows cells as the
     * hit checked it against the entry, under scan_of's rule (valid while num or code is still
     * that borrowed array of that length); the fit cache's key (fit_cache.h) takes it instead of
     * hashing the column again. NULL: none. */
    const void *sum_of;
    size_t sum_rows;
    uint64_t sum;
} mql_column;

typedef struct mql_table {
    char *source;            /* path as given, for messages */
    size_t n_rows;
    size_t n_cols;
    mql_column *cols;
    char delim;
    size_t n_bytes;
    uint64_t hash;           /* XXH64 of the file's bytes (mql_xxh64; `xxh64sum FILE`) */
    mql_na_list na;          /* the placeholders it was read with; v = NULL: the defaults */
    size_t *line;            /* n_rows: the physical line on which each row's record starts, for
                                messages; NULL when row i is on line i + 2 (one line per
                                record: nearly every export) and in derived tables
                                (mql_table_subset) */
    void *map;               /* a table cache entry mapped for the columns that borrow from it
                                (NULL: none), unmapped with the table */
    size_t map_len;
} mql_table;

/* The table's placeholder list for value.h's functions: NULL when it is the default one. */
const char *const *mql_table_na(const mql_table *t);
/* Distinct non-NaN values among v[0..n) (-0 and 0 one value): dec >= 0 says every value is a
 * plain decimal with at most dec digits after the point (mql_column.plain_decimal), which lets
 * short spans be counted in a bitmap; -1 when not known. (size_t)-1 when out of memory. */
size_t mql_num_distinct(const double *v, size_t n, int dec);
/* The physical line of row r's record (r + 2 when t keeps no line array). */
size_t mql_table_line(const mql_table *t, size_t r);

/* How dates written with '/', '.' or '-' around a four-digit year (10/20/2016, 20.10.2016)
 * are read: AUTO decides per column (a first field above 12 means day/month, a second field
 * above 12 month/day, dots alone mean day.month; otherwise the column is ambiguous and stays
 * text with date_ambiguous set). ISO dates (2016-10-20[T10:00:00Z]) read in any case. */
typedef enum mql_date_order {
    MQL_DATE_AUTO = 0,
    MQL_DATE_MDY,
    MQL_DATE_DMY
} mql_date_order;

typedef struct mql_read_opts {
    char delim;                       /* 0: detect */
    const char *const *na;            /* placeholder spellings read as missing (case-insensitive); */
    size_t n_na;                      /*   NULL/0: the defaults "", NA, N/A, null, Select, unknown, none, - */
    const char *const *categorical;   /* columns forced categorical (numbers kept as text) */
    size_t n_categorical;
    const char *const *numeric;       /* columns whose numbers stay numbers: neither a code's
                                         name nor leading zeros make them codes (mql_code_rule) */
    size_t n_numeric;
    const char *const *only;          /* when non-NULL, keep just these columns (others are parsed */
    size_t n_only;                    /*   for validity but not stored) */
    int only_if_present;              /* a name of `only` the file lacks is skipped, not an error
                                         (the caller reports columns it needs and cannot find) */
    size_t threads;                   /* 0: a regular file is read in parts of at least 4 MiB, up
                                         to one per online CPU (at most 8), each parsed and typed
                                         on its own thread, then merged; stdin and small files on
                                         one thread. 1: always the one-thread streaming reader.
                                         N >= 2: N parts whatever the size (at most 16; tests).
                                         The table is the same either way, cell by cell, levels
                                         in the same order, errors with the same message. */
    mql_date_order date_order;        /* --date-format; AUTO by default */
    int ids_unused;                   /* 1: the caller reads no identifier's values (fit without
                                         a key, lookup or cache): an identifier-like text column
                                         not named in `used` may come back without its values
                                         (mql_column.no_values). Once its first rows are nearly
                                         all distinct, its cells are kept as a 64-bit hash and
                                         their text instead of a dictionary entry each, and when
                                         the column turns out not to qualify the dictionary is
                                         built from that text: the table is then the same */
    const char *const *used;          /* columns whose values the caller reads (roles, features): */
    size_t n_used;                    /*   always kept */
    const char *const *unread;        /* columns whose values the caller never reads (fit's
                                         --exclude): their cells are tokenised and checked by
                                         the CSV's rules (field counts, quotes) but neither typed
                                         nor stored, and the column comes back with no_values
                                         MQL_NO_VALUES_UNREAD. A name that reads as a number or
                                         a date is read whole, and so is every column of stdin
                                         or of a file in which a cell of an unread column is its
                                         name or whose last row starts with a totals label (read
                                         twice then: the two checks need the values) */
    size_t n_unread;
    int unread_rest;                  /* 1: every column not named in `used` is unread too (fit
                                         with --features) */
} mql_read_opts;

/* Reads a CSV into a table; opts may be NULL. On failure *out is NULL and err names file, line and
 * column. The caller frees the table with mql_table_free.
 * Numbers: besides mql_parse_double's forms, in a ';'-separated file a decimal comma (8170,38;
 * 1.234,5 with '.' grouping). NaN, inf or an out-of-range number in a column of numbers, and an
 * impossible date in a column of dates, are missing cells counted in n_unreadable. */
int mql_table_read(const char *path, const mql_read_opts *opts, mql_table **out, mql_err *err);
void mql_table_free(mql_table *t);
/* Frees a column's levels (their text, levels and level_count) and sets them empty. */
void mql_column_free_levels(mql_column *c);

/* Index of the column called name, or -1. */
long mql_table_find(const mql_table *t, const char *name);

/* The column name nearest to name ("Converted" for "converted", "Lead Source" for
 * "lead_source"), or NULL when none is near: value.h's mql_nearest_name over the columns. */
const char *mql_table_nearest(const mql_table *t, const char *name);

/* Like mql_table_find, but a missing column is MQL_EUSAGE with the message
 * "no column 'x' in leads.csv; did you mean 'X'? (columns: a, b, ...)" (the hint when a column
 * is near). */
int mql_table_require(const mql_table *t, const char *name, long *col, mql_err *err);

/* Text of cell (col, row) for display, written into buf: the level, the number in shortest form,
 * the date as YYYY-MM-DD[ HH:MM:SS], or "" when missing. Returns buf. */
const char *mql_cell_text(const mql_column *c, size_t row, char *buf, size_t cap);

/* Whether cell (col, row) is missing. */
int mql_cell_missing(const mql_column *c, size_t row);

/* Date helpers: "YYYY-MM-DD" (or "YYYY/MM/DD"), optionally with " HH:MM[:SS[.fff]]" (also with
 * 'T') and a zone ("Z", "+02:00", "-0500", " UTC"), to days since 1970-01-01. The zone is not
 * applied: the date and time are read as written. Returns 0 on success; *has_time says whether
 * a time part was present. */
int mql_date_parse(const char *s, size_t len, double *days, int *has_time);
/* Formats days as YYYY-MM-DD (with_time: YYYY-MM-DD HH:MM:SS) into buf. */
void mql_date_format(double days, int with_time, char *buf, size_t cap);

/* The decimal-comma form the reader accepts in ';'-separated files ("8170,38", "1.234,5"):
 * returns 0 and sets *out, or -1. s need not be NUL-terminated. */
int mql_parse_decimal_comma(const char *s, size_t n, double *out);

/* Whether s (n bytes) is NaN, inf, infinity (signed, any case) or a decimal number beyond the
 * double range: the reader makes such cells of a numeric column missing. */
int mql_is_nonfinite_number(const char *s, size_t n);

/* mql_table_read's identifier rule: at least 20 filled rows with >= 95% distinct values, or an
 * id-like name ("lead_id", "LeadId", "id") with every value distinct. */
int mql_id_like(const char *name, size_t distinct, size_t filled);

/* Why a column of numbers is read as codes (categories, spellings kept, compared as numbers:
 * value.h) rather than numbers, which the points would cut into ranges of unrelated codes
 * (zip 90001-94104). Not for the columns of mql_read_opts.numeric or .categorical. */
typedef enum mql_code_rule {
    MQL_CODE_NONE = 0,
    /* Its name says codes (mql_code_name) and every value is a whole number (0/1 columns
     * stay boolean). */
    MQL_CODE_NAME,
    /* Whole numbers written with a leading zero (02134, 007; not 0, 0.5 or -05) are at least
     * 1% of its filled cells and at least 2 of them, or every value is a whole number written
     * with the same number of digits (>= 2). Fewer such cells (a stray 050 among amounts) are
     * read as the numbers they spell and the column stays numeric. */
    MQL_CODE_ZEROS
} mql_code_rule;

/* Whether a column's name says it holds codes: a word of ZIP or postal codes (zip, zipcode,
 * postal, postcode, plz, postleitzahl, cep, post code; "cap" as the whole name only), phone
 * numbers (phone, telephone, telefon, telefono, telefone, telefoon, telefonnummer, tel,
 * mobile, fax) or industry and
 * area codes (naics, sic, fips, nace, cnae, ateco, area code, industry code), followed by no
 * word but number, code or whose (company, billing, work, ...): "Billing Zip/Postal Code",
 * "Zip Code (Company)", "MobilePhone", "NaicsCode" do, "phone_calls", "zip_count" do not. The
 * words (lower case, split at non-letters and camelCase, mql_name_words) go into word (cap
 * bytes, when not NULL). Returns 1 or 0. */
int mql_code_name(const char *name, char *word, size_t cap);

/* Whether text is a "truthy" outcome cell: a true value by value.h's equality (1, 1.0, true, yes,
 * y, t in any case, blanks around ignored) or won. */
int mql_truthy(const char *s);

/* How a 0/1 role (outcome, SQL stage) is read from a column: DESIGN section 3. */
typedef struct mql_flag_spec {
    char *column;          /* column name */
    char *value;           /* "COL=VALUE": positive when equal by value.h's equality (case,
                              blanks, number spelling); NULL: truthy rule */
} mql_flag_spec;

/* Parses "COL" or "COL=VALUE" (the first '=' splits). Returns MQL_OK or MQL_EUSAGE. */
int mql_flag_spec_parse(const char *text, mql_flag_spec *spec, mql_err *err);
void mql_flag_spec_clear(mql_flag_spec *spec);

/* Evaluates a flag on every row: out[i] = 1 or 0 (missing cells are 0, except that nothing is
 * positive by accident: a numeric column is positive when the value is 1 or equals VALUE; a date
 * column when non-empty). out has t->n_rows entries, caller-allocated. */
int mql_flag_eval(const mql_table *t, const mql_flag_spec *spec, unsigned char *out, mql_err *err);

/* --join FILE --key COL: out[i] = 1 when row i's key appears in FILE's column COL. */
int mql_join_eval(const mql_table *t, const char *key, const char *join_path, char delim,
                  unsigned char *out, mql_err *err);

/* The spellings of one merged value of column c in words, starting at c->spellings[first]:
 * "'Google' (182 rows), 'google' (14) and ' Google ' (9) are one value, 'Google'". *next receives
 * the index of the next value's first spelling (c->n_spellings after the last). Returns buf. */
const char *mql_spellings_text(const mql_column *c, size_t first, size_t *next, char *buf,
                               size_t cap);

/* The k most common values of column c with their rows, for messages: "'Lost' (300), 'Won'
 * (120), 'Open' (80) and 2 more" (ties in first-seen / ascending order), plus ", 12 missing"
 * when cells are missing; "no values" for an all-missing column. Returns buf. */
const char *mql_column_top_values(const mql_column *c, size_t k, char *buf, size_t cap);

/* Forces column c categorical (numbers and dates become their text). */
int mql_column_to_categorical(mql_column *c, mql_err *err);

#endif
