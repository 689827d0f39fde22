/* value.h: when two cells of a lead file hold the same value. The one equality that ingest
 * (table levels), the design (level lookup), the rules matcher and scoring all use, the
 * missing-value placeholder list that decides which cells hold no value at all, and the short
 * decimal bounds a person can type into a CRM. */
#ifndef MQLCAL_VALUE_H
#define MQLCAL_VALUE_H

#include <stddef.h>
#include "mqlcal/common.h"

/* ---- missing-value placeholders -------------------------------------------------------------
 * A cell is missing when it is empty after trimming blanks (spaces and tabs) or, ignoring case
 * and surrounding blanks, one of the placeholders. The default list is "", NA, N/A, null,
 * Select, unknown, none, "-". An empty cell is missing whatever the list says. */
extern const char *const mql_default_na[];
extern const size_t mql_n_default_na;

/* A placeholder list owned by its holder; "" is always in it. */
typedef struct mql_na_list {
    char **v;
    size_t n;
} mql_na_list;

/* Parses the text of --na (and of a model's "# na:" line) into *out:
 *   "A,B"   the placeholders are A and B (replacing the defaults);
 *   "+A,B"  the defaults and A, B;
 *   "-A,B"  the defaults except A and B (those spellings are kept as answers); "-" alone and a
 *           list starting "-," name the placeholder "-" itself.
 * Items are trimmed; "" is added when absent. Returns MQL_OK, MQL_EUSAGE (a '-' item that is not
 * a default, naming it and the defaults) or MQL_ENOMEM; *out is then empty. */
int mql_na_parse(const char *spec, mql_na_list *out, mql_err *err);

/* A copy of the list na[0..n) (NULL: the defaults) into *out. MQL_OK or MQL_ENOMEM. */
int mql_na_copy(const char *const *na, size_t n, mql_na_list *out);

void mql_na_clear(mql_na_list *l);

/* Whether na[0..n) is the default list (same spellings ignoring case and order; NULL is). */
int mql_na_is_default(const char *const *na, size_t n);

/* The list as the text of --na that gives it back: the non-empty spellings joined by ','
 * ("NA,N/A,null"); "" when the list holds only "". Writes into buf; returns buf. */
const char *mql_na_format(const char *const *na, size_t n, char *buf, size_t cap);

/* Whether s (n bytes) is a placeholder of na[0..n_na) (NULL: the defaults), after trimming. */
int mql_na_match(const char *s, size_t n, const char *const *na, size_t n_na);

/* The one number syntax of every reader (the table's typing and the rule matching of both
 * scorers): s[0..n), any length, no blanks: sign, digits, '.', exponent, unambiguous thousands
 * separators ("1,234,567", "12,500.50"); no hexadecimal, inf or nan. Returns 0 and sets *out
 * (a finite double), or -1. Defined in table.c, beside the fast path it shares. */
int mql_parse_number(const char *s, size_t n, double *out);

/* ---- cells and equality ---------------------------------------------------------------------
 * A cell is one lead's value of one column, read from its text:
 *   missing   by the placeholder list above;
 *   numeric   when the trimmed text is a finite decimal number by mql_parse_number (the
 *             table's own syntax, any length; no hexadecimal; thousands separators only where they cannot be a decimal comma:
 *             "1,234,567", "12,500.50"), or a boolean spelling: true, yes, y, t read as 1 and
 *             false, no, n, f as 0 (any case);
 *   text      otherwise.
 * Two cells are EQUAL when neither is missing and both are numeric with the same number, or
 * both are text and their trimmed texts are equal ignoring ASCII case. So "Google" = "google",
 * " Google " = "Google", "1" = "1.0" = "1,000"/1000 where the commas are thousands, and
 * "yes" = "Y" = "true" = "1". A number never equals a text. */
typedef struct mql_cell {
    const char *text;     /* trimmed text (not NUL-terminated: see len); NULL when only the number
                             is known (numeric and boolean table columns) */
    size_t len;
    int missing;
    int is_num;
    double num;
} mql_cell;

/* Fills c from the NUL-terminated text (borrowed; c->text points into it). na/n_na: placeholder
 * list, NULL for the default one. */
void mql_cell_from_text(mql_cell *c, const char *text, const char *const *na, size_t n_na);

/* Like mql_cell_from_text for the n bytes at s (not necessarily NUL-terminated). */
void mql_cell_from_span(mql_cell *c, const char *s, size_t n, const char *const *na, size_t n_na);

/* The equality above (symmetric; a missing cell equals nothing, not even a missing one). */
int mql_cell_eq(const mql_cell *a, const mql_cell *b);

/* Whether texts a and b are equal by the rule above, with the default placeholders. */
int mql_value_eq(const char *a, const char *b);

/* A key that two cells share exactly when they are equal: "n:" and the number in 17 digits for
 * numeric cells (-0 as 0), "t:" and the lower-cased trimmed text for text cells, "" for missing
 * cells. Written into buf (truncated text keys compare by prefix only: give cap > len + 3).
 * Returns the key's length. */
size_t mql_cell_key(const mql_cell *c, char *buf, size_t cap);

/* The truth of a cell: 1 when it is numeric 1 (1, true, yes, y, t, "1.0"), 0 when numeric 0
 * (0, false, no, n, f), -1 otherwise (missing, other numbers, text). */
int mql_cell_truth(const mql_cell *c);

/* ---- numbers a person can type ---------------------------------------------------------------
 * The decimals of v: the smallest d in 0..6 such that v is exactly the double nearest to a
 * decimal with d digits after the point (3 -> 0, 894.37 -> 2, 0.1 + 0.2 -> -1), -1 when there is
 * none or |v| is too large to tell (>= 2^53 / 10^d). */
int mql_decimals(double v);

/* Short bounds for a cut between the values below (the largest value under the cut) and above
 * (the smallest at or over it), below < above: *hi (where the range under the cut ends, as
 * written in "between lo..hi") and *lo (where the next range starts) with
 * below <= *hi < *lo <= above. With decimals >= 0 (the data's precision, e.g. 2 for cents) the
 * cut is above itself and *hi = above - 10^-decimals: "375.43..894.36" then "894.37..". With
 * decimals < 0 (values with no short decimal form) both are the shortest decimals that fit:
 * below = 1/3 and above = 0.5 give 0.4 and 0.5. Both print with %.15g exactly. When no decimal
 * with at most 15 digits after the point fits, *lo = above and *hi = the largest double under it.
 * Returns the digits after the point used (0 for whole numbers), or -1 in that last case. */
int mql_cut_bounds(double below, double above, int decimals, double *hi, double *lo);

/* ---- names -----------------------------------------------------------------------------------
 * The name of names[0..n) (stride bytes apart, each a char *) nearest to name, for "did you mean"
 * hints: an equal name ignoring case and blanks/underscores/dashes first, else the smallest edit
 * distance ignoring case when it is at most a third of the name's length (at least 1, at most 3).
 * NULL when no name is near. */
const char *mql_nearest_name(const char *name, const char *const *names, size_t n, size_t stride);
/* For a "did you mean" hint: a note when the near name holds a character that prints as a blank
 * or not at all (a non-breaking, narrow or zero-width space, a byte-order mark) that name does
 * not, so that the two print alike; "" otherwise (or when near is NULL). Never NULL. */
const char *mql_name_lookalike(const char *name, const char *near);
/* "a, b, c" for messages, cut with ", ..." to fit cap bytes: the n names at names, stride bytes
 * apart (as for mql_nearest_name). */
void mql_name_list(const char *const *names, size_t n, size_t stride, char *buf, size_t cap);

#endif
