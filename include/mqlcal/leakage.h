/* leakage.h: screening every candidate feature on its own before a model is fitted: leakage
 * suspects (columns filled during or after the sales process) and identifier-like numbers. The
 * rule and its thresholds are stated in docs/DESIGN-NOTES.md ("Screening") and in
 * mql_screen_rule; `inspect` lists what it finds, `fit` warns, `review` leaves suspects out. */
#ifndef MQLCAL_LEAKAGE_H
#define MQLCAL_LEAKAGE_H

#include <stddef.h>
#include "mqlcal/common.h"
#include "mqlcal/design.h"
#include "mqlcal/metrics.h"
#include "mqlcal/table.h"

/* The thresholds (docs/DESIGN-NOTES.md "Screening"). */
#define MQL_SCREEN_AUC_LO 0.85      /* single-feature AUC: lower end of its 95% interval */
/* ... computed with at least MQL_AUC_MIN_CLASS (metrics.h) won and not won */
#define MQL_SCREEN_LEVEL_MIN 10     /* rows a level needs to be its own group for that AUC */
#define MQL_SCREEN_BINS 20          /* numeric columns: quantile groups for that AUC */
#define MQL_SCREEN_PURE 0.95        /* a value is nearly pure at this share won (or higher) */
#define MQL_SCREEN_PURE_COVER 0.05  /* ... and covers this share of all won leads */
#define MQL_SCREEN_PURE_MIN 10      /* ... and at least this many won leads */
#define MQL_SCREEN_DATE_LATER 0.50  /* a date later than the created date in this share */
#define MQL_SCREEN_DATE_ONAFTER 0.95 /* ... and on or after it in this share of rows */
#define MQL_SCREEN_UNIQUE 0.95      /* integers: distinct values over filled cells */
#define MQL_SCREEN_MONOTONE 0.95    /* steps in one direction over the steps that change */
#define MQL_SCREEN_MIN_ROWS 20      /* identifier rules need this many filled rows / steps */
/* The rule set's version, in the screen cache's key (screen_cache.h) with the thresholds above:
 * raise it with any change to what the screen finds or how its evidence reads. */
#define MQL_SCREEN_RULES_VERSION 1u

/* What a column was flagged for (bits). */
enum {
    MQL_SCREEN_F_AUC = 1,       /* leakage: single-feature AUC too high */
    MQL_SCREEN_F_PURE = 2,      /* leakage: a value (or being filled / empty) nearly always won */
    MQL_SCREEN_F_DATE = 4,      /* leakage: a date later than the created date */
    MQL_SCREEN_F_NAME = 8,      /* leakage: the name speaks of status, stage, reason, ... or
                                   of a call's length (mql_screen_name_duration) */
    MQL_SCREEN_F_UNIQUE = 16,   /* identifier-like: nearly unique integers */
    MQL_SCREEN_F_MONOTONE = 32  /* identifier-like: monotone in row or date order */
};
#define MQL_SCREEN_LEAK (MQL_SCREEN_F_AUC | MQL_SCREEN_F_PURE | MQL_SCREEN_F_DATE | \
                         MQL_SCREEN_F_NAME)
#define MQL_SCREEN_IDLIKE (MQL_SCREEN_F_UNIQUE | MQL_SCREEN_F_MONOTONE)

typedef struct mql_screen_col {
    unsigned flags;             /* MQL_SCREEN_F_* bits; 0: nothing found (or not screened) */
    int screened;               /* 0: a role column (or skipped by the caller) */
    double auc, auc_lo, auc_hi; /* single-feature AUC (in-sample, each group scored by its own
                                   rate, so >= 0.5) with its 95% DeLong interval; NAN when not
                                   computed (no outcome, a date or identifier column, or fewer
                                   than MQL_AUC_MIN_CLASS won or not won) */
    char evidence[600];         /* every finding in words, "; "-separated ("" when none) */
} mql_screen_col;

typedef struct mql_screen {
    size_t n_cols;              /* the table's columns */
    mql_screen_col *col;        /* one per column */
} mql_screen;

/* Screens every column of t that skip does not mark (skip: n_cols flags, 1 for role columns;
 * NULL: none). y (n_rows 0/1, NULL without an outcome) enables the AUC and purity rules;
 * date_col (the lead created date, -1: none) enables the date rule and the date-order part of
 * the monotone rule. Deterministic; O(n) per column plus one sort of the dates. Returns MQL_OK
 * (*out the caller's, free with mql_screen_free) or MQL_ENOMEM. */
int mql_screen_run(const mql_table *t, const unsigned char *y, long date_col,
                   const unsigned char *skip, mql_screen **out, mql_err *err);
/* mql_screen_run on the leads where rows[i] is set (n_rows flags; NULL: all), with y and the
 * dates still over all of t's rows: the same screen as mql_table_subset's table of those leads
 * with its numeric, boolean and date columns recounted (mql_column_recount), without copying
 * the table (one column's rows at a time). */
int mql_screen_run_rows(const mql_table *t, const unsigned char *rows, const unsigned char *y,
                        long date_col, const unsigned char *skip, mql_screen **out, mql_err *err);
void mql_screen_free(mql_screen *s);
/* Whether the screen reads column j of t: not marked in skip, not the created date, not an
 * identifier (the screen cache's key holds exactly these columns). */
int mql_screen_reads(const mql_table *t, size_t j, long date_col, const unsigned char *skip);

/* The single-feature AUC of rule (a) of column c (n rows) against y (0/1) and its 95% DeLong
 * interval, whatever the class counts. general: 1 puts every number in its quantile group by
 * searching the cut points, as any column can; 0 lets a column of plain decimals
 * (mql_column.plain_decimal) find its group from its written digits, as mql_screen_run does.
 * Both give the same groups, so the same numbers bit for bit (the unit tests compare them).
 * Returns 0, or -1 when out of memory. */
int mql_screen_auc(const mql_column *c, const unsigned char *y, size_t n, int general,
                   double *auc, double *lo, double *hi);

/* Whether a column name speaks of the sales process's outcome: a whole word (split at
 * non-alphanumerics and lower-to-upper case changes) status, stage, reason, tag, quality, close
 * or result, alone or with the ending s, es, d or ed ("Tags", "closed", "Lead Stage"). Writes
 * the word found to word (cap bytes) when it is given. */
int mql_screen_name_word(const char *name, char *word, size_t cap);

/* Whether a column name speaks of the length of a call, contact or meeting, known only once the
 * call has taken place: a length word (duration, length; duración, durée, durata, duração,
 * Dauer, duur) with a call word (call, contact, meeting, talk, conversation, phone and their
 * Spanish, French, Italian, Portuguese, German and Dutch CRM spellings), a time word right after
 * a call word ("talk_time", "call_minutes"), a German or Dutch compound ("Anrufdauer",
 * "Gesprächsdauer", "gespreksduur"), or "duration" on its own (with at most words such as last,
 * avg, sec, min: "Duration (sec)"). Accented Latin letters are read as their ASCII spelling.
 * Writes the words found to word ("call duration", "duration"). "Total Time Spent on Website",
 * "session_duration", "best_time_to_call" and "contract_length" are not calls' lengths. */
int mql_screen_name_duration(const char *name, char *word, size_t cap);

/* Splits a column name into words: runs of ASCII letters and digits, also split where a lower-case
 * letter meets an upper-case one ("TotalVisits" -> total, visits), lower-cased, each cut at
 * MQL_NAME_WORD - 1 bytes. Writes at most max words to w; returns how many. */
#define MQL_NAME_WORD 32
size_t mql_name_words(const char *name, char (*w)[MQL_NAME_WORD], size_t max);
/* name with the accented Latin letters of UTF-8 (U+00C0-U+00FF) written in ASCII (a, e, ...;
 * ae, oe, ue, ss for the German ones) into out (cap bytes, cut there), so that "Gesprächsdauer",
 * "duración" and "Teléfono" split into the words their ASCII spellings give. */
void mql_name_fold_latin(const char *name, char *out, size_t cap);
/* 1 when w is one of the NULL-terminated list's words. */
int mql_name_word_in(const char *w, const char *const *list);

/* The features of d that carry a model's discrimination, by single-feature AUC (s may be NULL:
 * none stands out): those at 0.75 or more, at least the best one, at most five, as "Tags
 * (single-feature AUC 0.944), ..." in buf; "(no single feature stands out)" when none has one. */
void mql_screen_carriers(const mql_screen *s, const mql_table *t, const mql_design *d, char *buf,
                         size_t cap);

/* The rule in words, for --help and the reports. */
extern const char *const mql_screen_rule;

#endif
