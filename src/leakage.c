/* leakage.c: screening candidate features one at a time (leakage.h): single-feature AUC with its
 * DeLong interval, nearly pure values, dates after the created date, outcome words in the name,
 * and identifier-like integers (nearly unique, or monotone in row or date order). */
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mqlcal/leakage.h"

const char *const mql_screen_rule =
    "a candidate feature is a leakage suspect when, on its own, (a) its single-feature AUC (each "
    "value, quantile group or missing scored by its own win rate) has a 95% DeLong interval "
    "starting at 0.85 or higher, (b) one value, or being filled or empty, marks >= 10 won leads "
    "and >= 5% of all won leads with >= 95% of its rows won, (c) it is a date later than the "
    "created date in >= 50% of rows (on or after it in >= 95%), or (d) its name has the word "
    "status, stage, reason, tag, quality, close or result (also with -s, -es, -d, -ed) or speaks "
    "of a call's or contact's length (duration, call_length, talk_time, call_duration, "
    "Anrufdauer, duracion_llamada, ...), known only after the call; a "
    "numeric column is identifier-like when its >= 20 filled values are integers, >= 95% of them "
    "distinct, or when it is monotone in row or date order (>= 95% of >= 20 changes one way). "
    "Such columns are usually filled during or after the sales process";

/* ---- names -------------------------------------------------------------------------------- */

static int is_alnum(int c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

size_t mql_name_words(const char *name, char (*w)[MQL_NAME_WORD], size_t max)
{
    size_t n = 0, len = 0;
    int prev_lower = 0;
    for (const char *p = name; ; p++) {
        int c = (unsigned char)*p;
        int boundary = !is_alnum(c) || (prev_lower && c >= 'A' && c <= 'Z');
        if (boundary && len > 0) {
            if (n < max)
                w[n][len < MQL_NAME_WORD ? len : MQL_NAME_WORD - 1] = '\0';
            n += n < max;
            len = 0;
        }
        if (!c)
            break;
        if (is_alnum(c)) {
            if (n < max && len < MQL_NAME_WORD - 1)
                w[n][len] = (char)(c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c);
            len++;
            prev_lower = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
        } else {
            prev_lower = 0;
        }
    }
    return n < max ? n : max;
}

/* word is stem, or stem with one of the endings s, es, d, ed. */
static int word_is(const char *word, const char *stem)
{
    size_t n = strlen(stem);
    if (strncmp(word, stem, n) != 0)
        return 0;
    const char *e = word + n;
    return !*e || !strcmp(e, "s") || !strcmp(e, "es") || !strcmp(e, "d") || !strcmp(e, "ed");
}

int mql_screen_name_word(const char *name, char *word, size_t cap)
{
    static const char *const stems[] = {"status", "stage", "reason", "tag", "quality", "close",
                                        "result"};
    char w[16][MQL_NAME_WORD];
    size_t n = mql_name_words(name, w, 16);
    for (size_t i = 0; i < n; i++)
        for (size_t k = 0; k < sizeof stems / sizeof *stems; k++)
            if (word_is(w[i], stems[k])) {
                if (word && cap)
                    snprintf(word, cap, "%s", w[i]);
                return 1;
            }
    return 0;
}

/* ---- a call's length in the name ---------------------------------------------------------- */

void mql_name_fold_latin(const char *name, char *out, size_t cap)
{
    static const char base[] = "AAAAAAACEEEEIIIIDNOOOOO?OUUUUY?s"
                               "aaaaaaaceeeeiiiidnooooo?ouuuuy?y";
    size_t o = 0;
    for (const unsigned char *p = (const unsigned char *)name; *p && o + 3 < cap; p++) {
        if (p[0] != 0xC3 || p[1] < 0x80 || p[1] > 0xBF) {
            out[o++] = (char)*p;
            continue;
        }
        unsigned k = p[1] - 0x80u;
        char c = base[k];
        p++;
        out[o++] = c;
        if (k == 0x04 || k == 0x24 || k == 0x16 || k == 0x36 || k == 0x1C || k == 0x3C)
            out[o++] = 'e';   /* Ä ä Ö ö Ü ü */
        else if (k == 0x1F)
            out[o++] = 's';   /* ß */
    }
    out[o] = '\0';
}

int mql_name_word_in(const char *w, const char *const *list)
{
    for (; *list; list++)
        if (!strcmp(w, *list))
            return 1;
    return 0;
}

/* The words of a call's length, in English and the CRM spellings of a few languages. */
static const char *const dur_words[] = {"duration", "durations", "duracion", "duree", "durata",
                                        "duracao", "dauer", "duur", NULL};
static const char *const len_words[] = {"length", NULL};
static const char *const time_words[] = {"time", "minutes", "mins", "min", "seconds", "secs",
                                         "sec", NULL};
static const char *const call_words[] = {
    "call", "calls", "contact", "contacts", "meeting", "meetings", "talk", "talking",
    "conversation", "conversations", "phone", "llamada", "llamadas", "appel", "appels",
    "chiamata", "chiamate", "chamada", "chamadas", "ligacao", "anruf", "anrufs", "telefonat",
    "telefonats", "telefon", "gespraech", "gespraechs", "kontakt", "kontakts", "reunion",
    "gesprek", "gespreks", "bel", NULL};
/* Words that may stand beside a bare "duration" ("last_duration", "Duration (sec)"). */
static const char *const dur_fill[] = {"last", "avg", "average", "mean", "total", "in", "s",
                                       "ms", "sec", "secs", "seconds", "min", "mins", "minutes",
                                       NULL};

/* A German or Dutch compound of a call word and a length: "anrufdauer", "gespreksduur". */
static int call_compound(const char *w)
{
    size_t n = strlen(w);
    for (const char *const *suf = (const char *const[]){"dauer", "duur", NULL}; *suf; suf++) {
        size_t k = strlen(*suf);
        if (n <= k || strcmp(w + n - k, *suf) != 0)
            continue;
        char pre[MQL_NAME_WORD];
        snprintf(pre, sizeof pre, "%.*s", (int)(n - k), w);
        if (mql_name_word_in(pre, call_words))
            return 1;
    }
    return 0;
}

int mql_screen_name_duration(const char *name, char *word, size_t cap)
{
    char folded[256];
    mql_name_fold_latin(name, folded, sizeof folded);
    char w[16][MQL_NAME_WORD];
    size_t n = mql_name_words(folded, w, 16);
    /* found: a compound word such as "Anrufdauer" (an index, so the compiler sees w's bound) */
    size_t call = SIZE_MAX, len = SIZE_MAX, n_dur = 0, n_fill = 0, found = SIZE_MAX;
    for (size_t i = 0; i < n && found == SIZE_MAX; i++) {
        int is_dur = mql_name_word_in(w[i], dur_words);
        n_dur += is_dur;
        n_fill += mql_name_word_in(w[i], dur_fill);
        if (call_compound(w[i]))
            found = i;
        else if (mql_name_word_in(w[i], call_words))
            call = call == SIZE_MAX ? i : call;
        else if (is_dur || mql_name_word_in(w[i], len_words) ||
                 (mql_name_word_in(w[i], time_words) && i > 0 &&
                  mql_name_word_in(w[i - 1], call_words)))
            len = len == SIZE_MAX ? i : len;
    }
    size_t dur = SIZE_MAX;   /* "duration" on its own, or with words such as last or sec */
    for (size_t i = 0; n_dur && n_dur + n_fill == n && i < n && dur == SIZE_MAX; i++)
        dur = mql_name_word_in(w[i], dur_words) ? i : SIZE_MAX;
    char buf[2 * MQL_NAME_WORD + 2];
    if (found != SIZE_MAX)
        snprintf(buf, sizeof buf, "%s", w[found]);
    else if (call != SIZE_MAX && len != SIZE_MAX)   /* in the name's order */
        snprintf(buf, sizeof buf, "%s %s", w[call < len ? call : len], w[call < len ? len : call]);
    else if (dur != SIZE_MAX)
        snprintf(buf, sizeof buf, "%s", w[dur]);
    else
        return 0;
    if (word && cap)
        snprintf(word, cap, "%s", buf);
    return 1;
}

/* ---- evidence text ------------------------------------------------------------------------ */

static void add(mql_screen_col *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void add(mql_screen_col *c, const char *fmt, ...)
{
    size_t o = strlen(c->evidence), cap = sizeof c->evidence;
    if (o + 3 >= cap)
        return;
    if (o) {
        memcpy(c->evidence + o, "; ", 3);
        o += 2;
    }
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(c->evidence + o, cap - o, fmt, ap);
    va_end(ap);
}

_Static_assert(MQL_SCREEN_BINS <= 32, "the quantile search looks at most 32 cuts");

/* ---- counting a column's rows once for rules (a) and (b) ---------------------------------- */

/* The won and other rows of each value or group of a column, counted in one pass that the AUC
 * and the purity rule share: a categorical column per level (the missing code last), a boolean
 * false, true, missing; a date filled, (none), missing; a number per quantile group, then
 * missing. cnt[2 * k] is group k's other rows, cnt[2 * k + 1] its won rows. */
typedef struct tally {
    size_t *cnt;
    size_t n_grp;     /* the last group holds the missing rows */
} tally;

/* How a row finds its group. */
enum { BY_CODE, BY_BOOL, BY_DATE, BY_SEARCH, BY_DIGITS, ALL_MISSING };

#define CHUNK 4096   /* rows given their groups at a time (16 KiB of scratch on the stack) */

/* Buckets a pass over keys counts them in, at most (ranks_of_keys). */
#define RANK_BITS 12

/* The keys that a[0..m) would hold at the ranks rank[0..nr) (non-decreasing, each below m,
 * nr <= 32) once sorted ascending, into out[0..nr): a sort's keys, found by counting. The keys
 * are counted in buckets of equal width over their range (about as many buckets as keys, at
 * most 2^RANK_BITS); a rank's key is its bucket's when the buckets are one key wide, else it
 * is looked for in the same way among the keys of its bucket alone, copied out in one pass for
 * every rank's bucket: a range at least 16 times narrower each time. Where a sort of the
 * 65,536 sampled keys moves each key two or three times, this reads them about twice, and
 * copies the few in the ranks' buckets. a is not changed. Returns 0 or -1 when out of memory. */
static int ranks_of_keys(const uint64_t *a, size_t m, const size_t *rank, size_t nr,
                         uint64_t *out)
{
    uint64_t lo = UINT64_MAX, hi = 0;
    for (size_t i = 0; i < m; i++) {
        lo = a[i] < lo ? a[i] : lo;
        hi = a[i] > hi ? a[i] : hi;
    }
    int bits = 4, shift = 0;
    while (bits < RANK_BITS && ((size_t)1 << bits) < m)
        bits++;
    while (((hi - lo) >> shift) >> bits)
        shift++;
    uint32_t cnt[(size_t)1 << RANK_BITS];
    size_t nb = (size_t)((hi - lo) >> shift) + 1, bkt[32], within[32];
    memset(cnt, 0, nb * sizeof *cnt);
    for (size_t i = 0; i < m; i++)
        cnt[(a[i] - lo) >> shift]++;
    for (size_t q = 0, b = 0, below = 0; q < nr; q++) {
        while (below + cnt[b] <= rank[q])
            below += cnt[b++];
        bkt[q] = b;
        within[q] = rank[q] - below;
        out[q] = lo + ((uint64_t)b << shift);   /* the key itself when shift is 0 */
    }
    if (shift == 0)
        return 0;
    /* The ranks' buckets (ascending, as the ranks are), each given its place in one copy. */
    unsigned char slot[(size_t)1 << RANK_BITS];
    size_t first[33], at[32], n_sel = 0, total = 0;
    memset(slot, 0, nb);
    for (size_t q = 0; q < nr; q++)
        if (q == 0 || bkt[q] != bkt[q - 1]) {
            first[n_sel] = q;
            at[n_sel] = total;
            total += cnt[bkt[q]];
            slot[bkt[q]] = (unsigned char)++n_sel;
        }
    first[n_sel] = nr;
    uint64_t *sel = malloc(total * sizeof *sel);
    if (!sel)
        return -1;
    size_t fill[32];
    memcpy(fill, at, n_sel * sizeof *fill);
    for (size_t i = 0; i < m; i++) {
        unsigned char k = slot[(a[i] - lo) >> shift];
        if (k)
            sel[fill[k - 1]++] = a[i];
    }
    int rc = 0;
    for (size_t g = 0; g < n_sel && rc == 0; g++) {
        size_t q0 = first[g], q1 = first[g + 1];
        rc = ranks_of_keys(sel + at[g], cnt[bkt[q0]], within + q0, q1 - q0, out + q0);
    }
    free(sel);
    return rc;
}

/* The cut points of the numeric quantile groups (at most MQL_SCREEN_BINS - 1, ascending, into
 * cuts, *nc of them): from at most 65,536 evenly spaced filled values (every step-th), sorted,
 * the values at b / MQL_SCREEN_BINS above the smallest, each once. scale > 0 (10^dec for a
 * column of plain decimals with at most dec digits after the point; 0: any column) ranks the
 * sample by the integers written, value * scale rounded (counted, not sorted: ranks_of_keys),
 * and gives the cuts as those integers (*as_int = 1), unless a sampled value is too large for
 * them. Returns 0 or -1 when out of memory. */
static int quantile_cuts(const mql_column *c, size_t n, double scale, double *cuts, size_t *nc,
                         int *as_int)
{
    size_t filled = n - c->n_missing, step = filled / 65536 + 1, m = 0;
    double *s = malloc((filled / step + 2) * sizeof *s);
    if (!s)
        return -1;
    if (c->n_missing == 0) {
        for (size_t i = 0; i < n; i += step)
            s[m++] = c->num[i];
    } else {
        for (size_t i = 0, f = 0, next = 0; i < n; i++)
            if (!isnan(c->num[i]) && f++ == next) {
                s[m++] = c->num[i];
                next += step;
            }
    }
    *nc = 0;
    *as_int = 0;
    if (scale > 0 && m >= 2) {
        uint64_t *a = malloc(m * sizeof *a);
        if (!a) {
            free(s);
            return -1;
        }
        int fits = 1;
        double lo = INFINITY;
        for (size_t i = 0; i < m && fits; i++) {
            double w = s[i] * scale;
            if (!(fits = fabs(w) < 0x1p49))
                break;
            lo = w < lo ? w : lo;
        }
        lo = (lo + 0x1.8p52) - 0x1.8p52;   /* the integer written (within a quarter) */
        /* Keys from the smallest integer up: a narrow range for ranks_of_keys' buckets. */
        for (size_t i = 0; i < m && fits; i++)
            a[i] = (uint64_t)(((s[i] * scale + 0x1.8p52) - 0x1.8p52) - lo);
        size_t rank[MQL_SCREEN_BINS];
        uint64_t r[MQL_SCREEN_BINS];
        for (size_t b = 0; b < MQL_SCREEN_BINS; b++)
            rank[b] = b * m / MQL_SCREEN_BINS;
        if (fits && ranks_of_keys(a, m, rank, MQL_SCREEN_BINS, r)) {
            free(a), free(s);
            return -1;
        }
        for (size_t b = 1; fits && b < MQL_SCREEN_BINS; b++) {
            uint64_t v = r[b];
            double w = lo + (double)v;
            if (v > r[0] && (*nc == 0 || w > cuts[*nc - 1]))
                cuts[(*nc)++] = w;
        }
        free(a);
        *as_int = fits;
    }
    if (!*as_int) {
        if (mql_sort_doubles(s, m)) {
            free(s);
            return -1;
        }
        for (size_t b = 1; b < MQL_SCREEN_BINS && m; b++) {
            double v = s[b * m / MQL_SCREEN_BINS];
            if (v > s[0] && (*nc == 0 || v > cuts[*nc - 1]))
                cuts[(*nc)++] = v;
        }
    }
    free(s);
    return 0;
}

/* The group of each row of a column of plain decimals (mql_column.plain_decimal) by its written
 * digits: value * 10^dec is within a quarter of the integer written, so a value is at or above
 * a cut exactly when its integer is at or above the cut's, and a table over the integers from
 * the first to the last cut gives the number of cuts at or below each (the group) without
 * searching the cuts row by row. */
typedef struct digit_groups {
    double scale, shift, top;   /* table index: v * scale - shift, truncated, within [0, top] */
    unsigned char *lut;         /* the group of each index */
} digit_groups;

/* The group of x (not NaN) by the table: clamped above first, so that the conversion is
 * defined (plain decimals are below 2^53), then below. */
static inline unsigned char digit_group(const digit_groups *g, double x)
{
    double d = x * g->scale - g->shift;
    d = d < g->top ? d : g->top;
    long long k = (long long)d;
    return g->lut[k > 0 ? k : 0];
}

/* Builds the table for the integer cuts k[0..nc) (quantile_cuts' as_int) at scale 10^dec.
 * Returns 0, 1 when they span too many integers for a small table (g untouched), -1 when out
 * of memory. */
static int digit_groups_make(const double *k, size_t nc, double scale, digit_groups *g)
{
    if (nc == 0 || k[nc - 1] - k[0] >= 65536)
        return 1;
    size_t m = (size_t)(k[nc - 1] - k[0]) + 2;   /* 0: below the first cut; i: k[0] - 1 + i */
    unsigned char *lut = malloc(m);
    if (!lut)
        return -1;
    for (size_t i = 0, b = 0; i < m; i++) {
        while (b < nc && k[b] <= k[0] - 1 + (double)i)
            b++;
        lut[i] = (unsigned char)b;
    }
    /* A value whose integer is k[0] - 1 + i has v * scale - (k[0] - 1.5) = i + 0.5 within a
     * quarter: index i; values beyond either end clamp to index 0 or m - 1. */
    *g = (digit_groups){scale, k[0] - 1.5, (double)(m - 1), lut};
    return 0;
}

/* Bumps cnt[2 * group + won] for rows [0, m) of a chunk. Consecutive rows go to sets of counters
 * in turn (sets of stride counters each): a counter bumped by every row would wait on its own
 * store each time. */
static void count_chunk(const uint32_t *grp, const unsigned char *y, size_t m, size_t *cnt,
                        size_t stride, size_t sets)
{
    size_t i = 0;
    if (sets == 4)
        for (; i + 4 <= m; i += 4) {
            cnt[2 * (size_t)grp[i] + (y[i] != 0)]++;
            cnt[stride + 2 * (size_t)grp[i + 1] + (y[i + 1] != 0)]++;
            cnt[2 * stride + 2 * (size_t)grp[i + 2] + (y[i + 2] != 0)]++;
            cnt[3 * stride + 2 * (size_t)grp[i + 3] + (y[i + 3] != 0)]++;
        }
    for (; i < m; i++)
        cnt[2 * (size_t)grp[i] + (y[i] != 0)]++;
}

/* Integers written (value * 10^dec) spanning at most this many: tally_small_span's counts per
 * integer stay a few pages. */
#define SMALL_SPAN 1024

/* tally_rows for a column of plain decimals whose written integers span few values (counts,
 * ratings, scores on a scale), in one pass where the general route takes two: every row is
 * counted by its integer and outcome, and the sampled rows (quantile_cuts' every step-th filled
 * value) by their integer, as the pass goes. The sample's ranks then come from its counts and
 * each integer's counts go to its group: the same cuts, integers and groups as the route by
 * digits (quantile_cuts with a scale, digit_groups_make), since a row's integer is its value
 * within a quarter, which rounding to nearest and x * scale - base + 0.5 truncated both find.
 * It needs the column's range, the reader's scan of these very values (mql_column.scan_of), so
 * that every integer has its place. Returns 1 when the column is not such a one (t untouched),
 * else 0 or -1 when out of memory. */
static int tally_small_span(const mql_column *c, const unsigned char *y, size_t n, double scale,
                            tally *t)
{
    size_t filled = n - c->n_missing;
    if (c->scan_of != c->num || c->scan_rows != n || c->scan_na != c->n_missing ||
        filled < 2 || !(fabs(c->scan_lo * scale) < 0x1p49) ||
        !(fabs(c->scan_hi * scale) < 0x1p49))
        return 1;
    double base = round(c->scan_lo * scale), top = round(c->scan_hi * scale);
    if (top - base >= SMALL_SPAN)
        return 1;
    size_t span = (size_t)(top - base) + 1, step = filled / 65536 + 1;
    /* per[s][2k + won]: rows of integer base + k, in four sets (count_chunk); then the sample */
    size_t *per = calloc(9 * span, sizeof *per), *smp = per + 8 * span, miss[2] = {0, 0};
    if (!per)
        return -1;
    const double *v = c->num;
    if (c->n_missing == 0) {
        for (size_t i0 = 0; i0 < n; i0 += CHUNK) {
            size_t e = n - i0 < CHUNK ? n : i0 + CHUNK, i = i0;
            for (; i + 4 <= e; i += 4)
                for (size_t s = 0; s < 4; s++)
                    per[2 * s * span + 2 * (size_t)(int64_t)(v[i + s] * scale - base + 0.5) +
                        (y[i + s] != 0)]++;
            for (; i < e; i++)
                per[2 * (size_t)(int64_t)(v[i] * scale - base + 0.5) + (y[i] != 0)]++;
            for (size_t r = (i0 + step - 1) / step * step; r < e; r += step)   /* (filled = row) */
                smp[(size_t)(int64_t)(v[r] * scale - base + 0.5)]++;
        }
    } else {
        for (size_t i = 0, f = 0, next = 0; i < n; i++) {
            double x = v[i];
            if (isnan(x)) {
                miss[y[i] != 0]++;
                continue;
            }
            size_t k = (size_t)(int64_t)(x * scale - base + 0.5);
            per[2 * k + (y[i] != 0)]++;
            if (f++ == next) {
                smp[k]++;
                next += step;
            }
        }
    }
    /* The sample's integers at ranks b * m / MQL_SCREEN_BINS, the cuts among them as
     * quantile_cuts keeps them (above the smallest, each once), and each integer's group: the
     * cuts at or below it. */
    size_t m = 0, nc = 0, ck[MQL_SCREEN_BINS], r0 = 0;
    for (size_t k = 0; k < span; k++)
        m += smp[k];
    for (size_t b = 0, k = 0, below = 0; b < MQL_SCREEN_BINS; b++) {
        size_t q = b * m / MQL_SCREEN_BINS;
        while (below + smp[k] <= q)
            below += smp[k++];
        if (b == 0)
            r0 = k;
        else if (k > r0 && (nc == 0 || k > ck[nc - 1]))
            ck[nc++] = k;
    }
    size_t ng = nc + 2, *cnt = calloc(2 * ng, sizeof *cnt);
    if (!cnt) {
        free(per);
        return -1;
    }
    for (size_t k = 0, g = 0; k < span; k++) {
        while (g < nc && ck[g] <= k)
            g++;
        for (size_t s = 0; s < 4; s++) {
            cnt[2 * g] += per[2 * s * span + 2 * k];
            cnt[2 * g + 1] += per[2 * s * span + 2 * k + 1];
        }
    }
    cnt[2 * (ng - 1)] = miss[0];
    cnt[2 * (ng - 1) + 1] = miss[1];
    free(per);
    *t = (tally){cnt, ng};
    return 0;
}

/* Counts column c's rows by group (tally). general: 1 finds every number's quantile group by
 * searching the cuts, as any column can; 0 lets a column of plain decimals use its digits (the
 * same groups; the unit tests compare both). Returns 0 or -1 when out of memory. */
static int tally_rows(const mql_column *c, const unsigned char *y, size_t n, int general,
                      tally *t)
{
    int by = c->code && c->type == MQL_COL_CATEGORICAL ? BY_CODE
             : !c->num                                 ? ALL_MISSING
             : c->type == MQL_COL_BOOLEAN              ? BY_BOOL
             : c->type == MQL_COL_DATE                 ? BY_DATE
                                                       : BY_SEARCH;
    size_t ng = by == BY_CODE ? c->n_levels + 1 : by == ALL_MISSING ? 1 : 3, nc = 0;
    double cuts[32];
    digit_groups dg = {0};
    if (by == BY_SEARCH) {
        static const double p10[16] = {1e0, 1e1, 1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                                       1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15};
        int dec = c->decimals, as_int, st = 1;
        double scale = !general && c->plain_decimal && dec >= 0 && dec <= 15 ? p10[dec] : 0;
        int small = scale > 0 ? tally_small_span(c, y, n, scale, t) : 1;
        if (small <= 0)
            return small;
        if (quantile_cuts(c, n, scale, cuts, &nc, &as_int))
            return -1;
        if (as_int && (st = digit_groups_make(cuts, nc, scale, &dg)) < 0)
            return -1;
        if (as_int && st == 1 && nc > 0 && quantile_cuts(c, n, 0, cuts, &nc, &as_int))
            return -1;   /* too wide for a table: the cuts as values, for the search */
        by = as_int && st == 0 ? BY_DIGITS : BY_SEARCH;
        for (size_t k = nc; k < 32; k++)   /* padded with +inf for a search without branches */
            cuts[k] = INFINITY;
        ng = nc + 2;
    }
    size_t stride = 2 * ng, sets = ng <= 1024 ? 4 : 1;
    size_t *cnt = calloc(stride * sets, sizeof *cnt);
    if (!cnt) {
        free(dg.lut);
        return -1;
    }
    uint32_t grp[CHUNK];
    const uint32_t nl = (uint32_t)c->n_levels, miss = (uint32_t)(ng - 1);
    if (by == BY_DIGITS && c->n_missing == 0 && sets == 4) {
        /* No missing cells (the common case): each row's counter straight from the table. */
        const double *v = c->num;
        size_t i = 0;
        for (; i + 4 <= n; i += 4)
            for (size_t s = 0; s < 4; s++)
                cnt[s * stride + 2 * (size_t)digit_group(&dg, v[i + s]) + (y[i + s] != 0)]++;
        for (; i < n; i++)
            cnt[2 * (size_t)digit_group(&dg, v[i]) + (y[i] != 0)]++;
        n = 0;   /* counted */
    }
    for (size_t i0 = 0; i0 < n; i0 += CHUNK) {
        size_t m = n - i0 < CHUNK ? n - i0 : CHUNK;
        const double *v = c->num ? c->num + i0 : NULL;
        switch (by) {
        case BY_CODE:
            for (size_t i = 0; i < m; i++) {
                uint32_t k = c->code[i0 + i];
                grp[i] = k == MQL_NA_CODE ? nl : k;
            }
            break;
        case BY_BOOL:
            for (size_t i = 0; i < m; i++)
                grp[i] = isnan(v[i]) ? 2 : v[i] != 0;
            break;
        case BY_DATE:
            for (size_t i = 0; i < m; i++)
                grp[i] = isnan(v[i]) ? 2 : 0;
            break;
        case BY_SEARCH:
            for (size_t i = 0; i < m; i++) {
                double x = v[i];
                size_t k = 0;   /* the number of cuts <= x (nc + 1 for missing) */
                k += cuts[k + 15] <= x ? 16 : 0;
                k += cuts[k + 7] <= x ? 8 : 0;
                k += cuts[k + 3] <= x ? 4 : 0;
                k += cuts[k + 1] <= x ? 2 : 0;
                k += cuts[k] <= x ? 1 : 0;
                grp[i] = isnan(x) ? miss : (uint32_t)(k > nc ? nc : k);
            }
            break;
        case BY_DIGITS:
            for (size_t i = 0; i < m; i++)   /* NaN clamps to the top: group set here */
                grp[i] = isnan(v[i]) ? miss : digit_group(&dg, v[i]);
            break;
        default:
            for (size_t i = 0; i < m; i++)
                grp[i] = 0;
        }
        count_chunk(grp, y + i0, m, cnt, stride, sets);
    }
    for (size_t s = 1; s < sets; s++)
        for (size_t k = 0; k < stride; k++)
            cnt[k] += cnt[s * stride + k];
    free(dg.lut);
    *t = (tally){cnt, ng};
    return 0;
}

/* ---- single-feature AUC over groups -------------------------------------------------------- */

typedef struct grp {
    double pos, neg;
} grp;

static int by_rate(const void *a, const void *b)
{
    const grp *x = a, *y = b;
    /* rate x < rate y  <=>  x.pos * (y.pos + y.neg) < y.pos * (x.pos + x.neg) */
    double l = x->pos * (y->pos + y->neg), r = y->pos * (x->pos + x->neg);
    return l < r ? -1 : l > r;
}

/* AUC of the score "the group's own win rate" with the DeLong variance, from group counts: with
 * the groups in ascending rate, a positive of group g beats the negatives of lower groups and ties
 * half of its own (V10), a negative loses to the positives of higher groups and half of its own
 * (V01); S10, S01 are their sample variances (DeLong et al. 1988). Groups of equal rate tie. */
static void group_auc(grp *g, size_t n, double *auc, double *lo, double *hi)
{
    size_t ne = 0;                   /* empty groups first out: they would tie with every rate */
    for (size_t k = 0; k < n; k++)
        if (g[k].pos + g[k].neg > 0)
            g[ne++] = g[k];
    n = ne;
    qsort(g, n, sizeof *g, by_rate);
    double np = 0, nn = 0;
    for (size_t k = 0; k < n; k++)
        np += g[k].pos, nn += g[k].neg;
    /* merge equal rates into tie blocks */
    size_t m = 0;
    for (size_t k = 0; k < n; k++) {
        if (m && by_rate(&g[m - 1], &g[k]) == 0) {
            g[m - 1].pos += g[k].pos;
            g[m - 1].neg += g[k].neg;
        } else {
            g[m++] = g[k];
        }
    }
    double below = 0, a = 0;
    for (size_t k = 0; k < m; k++) {
        a += g[k].pos * (below + 0.5 * g[k].neg);
        below += g[k].neg;
    }
    a /= np * nn;
    double s10 = 0, s01 = 0, negb = 0, posa = np;
    for (size_t k = 0; k < m; k++) {
        posa -= g[k].pos;
        double v10 = (negb + 0.5 * g[k].neg) / nn, v01 = (posa + 0.5 * g[k].pos) / np;
        s10 += g[k].pos * (v10 - a) * (v10 - a);
        s01 += g[k].neg * (v01 - a) * (v01 - a);
        negb += g[k].neg;
    }
    s10 /= np - 1;
    s01 /= nn - 1;
    double se = sqrt(s10 / np + s01 / nn), z = 1.959963984540054;
    *auc = a;
    *lo = fmax(0, a - z * se);
    *hi = fmin(1, a + z * se);
}

/* Won (*pos) and other (*neg) rows of the AUC groups of a column from its tally (g: at least
 * the tally's groups + 1 entries): levels with MQL_SCREEN_LEVEL_MIN rows or more on their own,
 * rarer levels together, booleans by value, numbers by quantile group (tally_rows), missing
 * always its own group (the last). Returns the number of groups. */
static size_t auc_groups(const mql_column *c, const tally *t, grp *g)
{
    const size_t *cnt = t->cnt;
    if (c->code && c->type == MQL_COL_CATEGORICAL) {
        size_t nl = t->n_grp - 1, ng = 0;
        grp pooled = {0, 0};
        for (size_t k = 0; k < nl; k++) {
            grp v = {(double)cnt[2 * k + 1], (double)cnt[2 * k]};
            if (c->level_count[k] >= MQL_SCREEN_LEVEL_MIN)
                g[ng++] = v;
            else
                pooled.pos += v.pos, pooled.neg += v.neg;
        }
        g[ng++] = pooled;
        g[ng++] = (grp){(double)cnt[2 * nl + 1], (double)cnt[2 * nl]};
        return ng;
    }
    for (size_t k = 0; k < t->n_grp; k++)
        g[k] = (grp){(double)cnt[2 * k + 1], (double)cnt[2 * k]};
    return t->n_grp;
}

/* The AUC rule (a). Returns 0 or -1 when out of memory. */
static int screen_auc(const mql_column *c, const tally *t, size_t n, size_t n_pos,
                      mql_screen_col *out)
{
    size_t n_neg = n - n_pos;
    if (n_pos < MQL_AUC_MIN_CLASS || n_neg < MQL_AUC_MIN_CLASS)
        return 0;
    grp *g = malloc((t->n_grp + 1) * sizeof *g);
    if (!g)
        return -1;
    group_auc(g, auc_groups(c, t, g), &out->auc, &out->auc_lo, &out->auc_hi);
    free(g);
    if (out->auc_lo >= MQL_SCREEN_AUC_LO) {
        out->flags |= MQL_SCREEN_F_AUC;
        add(out, "single-feature AUC %.3f (95%% interval %.3f-%.3f)", out->auc, out->auc_lo,
            out->auc_hi);
    }
    return 0;
}

int mql_screen_auc(const mql_column *c, const unsigned char *y, size_t n, int general,
                   double *auc, double *lo, double *hi)
{
    tally t;
    if (tally_rows(c, y, n, general, &t))
        return -1;
    grp *g = malloc((t.n_grp + 1) * sizeof *g);
    if (!g) {
        free(t.cnt);
        return -1;
    }
    group_auc(g, auc_groups(c, &t, g), auc, lo, hi);
    free(g);
    free(t.cnt);
    return 0;
}

/* The purity rule (b): indicators filled, empty and (categorical, boolean) each value, counted
 * from the column's tally (whose groups are those values, the missing group last). */
static void screen_pure(const mql_column *c, const tally *t, size_t n, size_t n_pos,
                        mql_screen_col *out)
{
    double base = (double)n_pos / (double)n;
    double need = fmax(MQL_SCREEN_PURE, base + 0.5 * (1 - base));
    size_t n_val = c->code && c->type == MQL_COL_CATEGORICAL ? c->n_levels
                   : c->type == MQL_COL_BOOLEAN && c->num    ? 2
                                                              : 0;
    const size_t *miss = t->cnt + 2 * (t->n_grp - 1);
    size_t m_n = miss[0] + miss[1], m_y = miss[1];
    size_t best = SIZE_MAX, best_a = 0, more = 0;
    for (size_t q = 0; q < 2 + n_val; q++) {
        /* q = 0: filled, 1: empty, 2 + k: value k (the tally's group k) */
        size_t f = q == 0 ? n - m_n : q == 1 ? m_n : t->cnt[2 * (q - 2)] + t->cnt[2 * (q - 2) + 1];
        size_t a = q == 0 ? n_pos - m_y : q == 1 ? m_y : t->cnt[2 * (q - 2) + 1];
        if (f == 0 || f == n || a < MQL_SCREEN_PURE_MIN)
            continue;
        if ((double)a / (double)f < need || (double)a / (double)n_pos < MQL_SCREEN_PURE_COVER)
            continue;
        if (best == SIZE_MAX || a > best_a) {
            more += best != SIZE_MAX;
            best = q;
            best_a = a;
        } else {
            more++;
        }
    }
    if (best != SIZE_MAX) {
        size_t f = best == 0   ? n - m_n
                   : best == 1 ? m_n
                               : t->cnt[2 * (best - 2)] + t->cnt[2 * (best - 2) + 1];
        size_t a = best_a;
        char what[96];
        if (best == 0)
            snprintf(what, sizeof what, "being filled");
        else if (best == 1)
            snprintf(what, sizeof what, "being empty");
        else if (c->type == MQL_COL_BOOLEAN)
            snprintf(what, sizeof what, "'%.60s'", best == 3 ? c->true_label : c->false_label);
        else
            snprintf(what, sizeof what, "'%.60s'", c->levels[best - 2]);
        out->flags |= MQL_SCREEN_F_PURE;
        add(out, "%s on %zu rows, %.1f%% of them won, %.1f%% of all won leads", what, f,
            100.0 * (double)a / (double)f, 100.0 * (double)a / (double)n_pos);
        if (more)
            add(out, "%zu more value%s like it", more, more > 1 ? "s" : "");
    }
}

/* The date rule (c). */
static void screen_date(const mql_column *c, const mql_column *created, size_t n,
                        mql_screen_col *out)
{
    size_t both = 0, later = 0, onafter = 0;
    for (size_t i = 0; i < n; i++) {
        double d = c->num[i], d0 = created->num[i];
        if (isnan(d) || isnan(d0))
            continue;
        both++;
        later += floor(d) > floor(d0);
        onafter += floor(d) >= floor(d0);
    }
    if (both >= MQL_SCREEN_MIN_ROWS && (double)later >= MQL_SCREEN_DATE_LATER * (double)both &&
        (double)onafter >= MQL_SCREEN_DATE_ONAFTER * (double)both) {
        out->flags |= MQL_SCREEN_F_DATE;
        add(out, "later than the created date (%s) in %.1f%% of the %zu rows with both dates",
            created->name, 100.0 * (double)later / (double)both, both);
    }
}

/* Steps up and down between consecutive filled values in the order ord (NULL: row order). Stops
 * early once the rarer direction holds more than 1 - MQL_SCREEN_MONOTONE of the most changes
 * there can be (n - 1): the monotone rule can then no longer hold, so the partial counts give the
 * same verdict (they are only quoted when it holds). */
static void steps(const double *v, size_t n, const size_t *ord, size_t *up, size_t *down)
{
    double prev = NAN;
    size_t u = 0, d = 0;
    double most_minor = (1 - MQL_SCREEN_MONOTONE) * (double)(n ? n - 1 : 0);
    for (size_t k = 0; k < n; k++) {
        double x = v[ord ? ord[k] : k];
        if (isnan(x))
            continue;
        if (!isnan(prev)) {
            u += x > prev;
            d += x < prev;
        }
        prev = x;
        if ((k & 4095) == 0 && (double)(u < d ? u : d) > most_minor)
            break;
    }
    *up = u;
    *down = d;
}

/* The identifier rules on a numeric column. ord: the rows with a created date in date order
 * (n_ord of them), NULL when there is no date or the rows are in date order already. */
static int screen_idlike(const mql_column *c, size_t n, int distinct_bound, const size_t *ord,
                         size_t n_ord, const char *date_name, mql_screen_col *out)
{
    size_t filled = n - c->n_missing, distinct = c->n_distinct;
    /* Integers looked for only when the counts could make an identifier; plain decimals
     * written without a point are integers. distinct_bound: c->n_distinct is that of more rows
     * (an upper bound), counted here only when the rule could hold. */
    int all_int = filled >= MQL_SCREEN_MIN_ROWS &&
                  (double)distinct >= MQL_SCREEN_UNIQUE * (double)filled;
    if (all_int && !(c->plain_decimal && c->decimals == 0))
        for (size_t i = 0; i < n && all_int; i++)
            all_int = isnan(c->num[i]) || c->num[i] == floor(c->num[i]);
    if (all_int && distinct_bound) {
        distinct = mql_num_distinct(c->num, n, c->plain_decimal ? c->decimals : -1);
        if (distinct == (size_t)-1)
            return -1;
        all_int = (double)distinct >= MQL_SCREEN_UNIQUE * (double)filled;
    }
    if (all_int) {
        out->flags |= MQL_SCREEN_F_UNIQUE;
        add(out, "%zu distinct integers in %zu filled rows", distinct, filled);
    }
    for (int pass = 0; pass < 2; pass++) {
        if (pass == 1 && !ord)
            break;
        size_t up, down;
        steps(c->num, pass ? n_ord : n, pass ? ord : NULL, &up, &down);
        size_t ch = up + down, most = up > down ? up : down;
        if (ch >= MQL_SCREEN_MIN_ROWS && (double)most >= MQL_SCREEN_MONOTONE * (double)ch) {
            out->flags |= MQL_SCREEN_F_MONOTONE;
            if (pass == 0)
                add(out, "%s with row order (%.1f%% of %zu changes)",
                    up > down ? "rising" : "falling", 100.0 * (double)most / (double)ch, ch);
            else
                add(out, "%s with %s (%.1f%% of %zu changes)",
                    up > down ? "rising" : "falling", date_name,
                    100.0 * (double)most / (double)ch, ch);
            break;
        }
    }
    return 0;
}

/* ---- the screen --------------------------------------------------------------------------- */

void mql_screen_free(mql_screen *s)
{
    if (!s)
        return;
    free(s->col);
    free(s);
}

typedef struct screen_ctx {
    const mql_table *t;
    const unsigned char *rows;   /* the leads screened (NULL: all) */
    size_t n;                    /* how many: the rows of y, created and each column screened */
    long run;                    /* >= 0: rows is one run of n rows from this one (no copies) */
    const unsigned char *y, *skip;
    long date_col;
    mql_screen *s;
    const mql_column *created;
    const size_t *ord;
    size_t n_ord, n_pos;
    int have_y;
} screen_ctx;

/* Column c's rows where rows[i] is set (n_sub of them) into d, as mql_table_subset and
 * mql_column_recount make them for a table of those leads: the values or codes, the missing
 * count, the rows per level and distinct levels; a number's distinct count stays c's, an upper
 * bound that screen_idlike replaces by the count of these rows when it matters (counting them
 * costs more than the rest of the screen). d shares everything else with c; free d's num, code
 * and level_count. One column at a time, so that the memory is reused column after column
 * instead of a copy of the whole table. Returns 0 or -1 when out of memory. */
static int column_rows(const mql_column *c, const unsigned char *rows, size_t n_sub, long run,
                       mql_column *d)
{
    *d = *c;
    d->num = NULL;
    d->code = NULL;
    d->level_count = NULL;
    d->n_rows = n_sub;
    d->n_missing = 0;
    size_t n = c->n_rows, cap = n_sub ? n_sub : 1;
    if (c->num && run >= 0) {   /* one run of rows: the column's own values */
        d->num = c->num + run;
        for (size_t i = 0; i < n_sub; i++)
            d->n_missing += isnan(d->num[i]) != 0;
    } else if (c->num) {
        if (!(d->num = malloc(cap * sizeof *d->num)))
            return -1;
        size_t k = 0, miss = 0;
        for (size_t i = 0; i < n; i++)
            if (rows[i]) {
                d->num[k] = c->num[i];
                miss += isnan(d->num[k++]) != 0;
            }
        d->n_missing = miss;
    }
    if (c->code) {
        size_t nl = c->n_levels;
        uint32_t *code = run >= 0 ? NULL : malloc(cap * sizeof *code);
        d->code = run >= 0 ? c->code + run : code;
        d->level_count = calloc(nl ? nl : 1, sizeof *d->level_count);
        if (!d->code || !d->level_count)
            return -1;
        for (size_t i = run >= 0 ? (size_t)run : 0, k = 0; k < n_sub && i < n; i++)
            if (rows[i]) {
                uint32_t v = c->code[i];
                if (code)
                    code[k] = v;
                k++;
                if (v == MQL_NA_CODE)
                    d->n_missing++;
                else if (v < nl)
                    d->level_count[v]++;
            }
        d->n_distinct = 0;
        for (size_t l = 0; l < nl; l++)
            d->n_distinct += d->level_count[l] > 0;
    }
    return 0;
}

/* The evidence beside a call's length in the name: leads whose length is 0 (no call took place)
 * none of which was won, as the Bank Marketing notes say of their duration ("if duration=0
 * then y=no"). y NULL: no outcome. */
static void screen_zero(const mql_column *c, const unsigned char *y, size_t n, mql_screen_col *o)
{
    if (!y || c->type != MQL_COL_NUMERIC || !c->num)
        return;
    size_t zero = 0, won = 0;
    for (size_t i = 0; i < n; i++)
        if (c->num[i] == 0) {
            zero++;
            won += y[i];
        }
    if (zero && !won)
        add(o, "%zu lead%s with 0, none won", zero, zero > 1 ? "s" : "");
}

static int screen_column(const screen_ctx *cx, size_t j, const mql_column *c);

int mql_screen_reads(const mql_table *t, size_t j, long date_col, const unsigned char *skip)
{
    return !(skip && skip[j]) && (long)j != date_col && t->cols[j].type != MQL_COL_ID;
}

/* Screens column j (an mql_parallel_for work item). Returns 0 or -1 when out of memory. */
static int screen_one(void *ctx, size_t j)
{
    const screen_ctx *cx = ctx;
    const mql_column *c = &cx->t->cols[j];
    mql_screen_col *o = &cx->s->col[j];
    o->auc = o->auc_lo = o->auc_hi = NAN;
    if (!mql_screen_reads(cx->t, j, cx->date_col, cx->skip))
        return 0;
    if (!cx->rows)
        return screen_column(cx, j, c);
    mql_column part;
    int st = column_rows(c, cx->rows, cx->n, cx->run, &part) ? -1 : screen_column(cx, j, &part);
    if (cx->run < 0) {
        free(part.num);
        free(part.code);
    }
    free(part.level_count);
    return st;
}

/* Screens column j, c (all its rows, or those of cx->rows). Returns 0 or -1 (no memory). */
static int screen_column(const screen_ctx *cx, size_t j, const mql_column *c)
{
    const unsigned char *y = cx->y;
    size_t n = cx->n, n_pos = cx->n_pos;
    const mql_column *created = cx->created;
    mql_screen_col *o = &cx->s->col[j];
    o->screened = 1;
    /* Part of the leads: a number's distinct count is the whole column's (column_rows), so
     * none filled is told by the missing count. */
    int bound = cx->rows && c->num && !c->code;
    if (bound ? c->n_missing == n : c->n_distinct == 0)
        return 0;
    if (cx->have_y) {   /* rules (a) and (b) from one count of the column's rows */
        tally tl;
        if (tally_rows(c, y, n, 0, &tl))
            return -1;
        int st = c->type != MQL_COL_DATE ? screen_auc(c, &tl, n, n_pos, o) : 0;
        if (!st)
            screen_pure(c, &tl, n, n_pos, o);
        free(tl.cnt);
        if (st)
            return -1;
    }
    if (c->type == MQL_COL_DATE && created)
        screen_date(c, created, n, o);
    char word[2 * MQL_NAME_WORD + 2];
    if (mql_screen_name_word(c->name, word, sizeof word)) {
        o->flags |= MQL_SCREEN_F_NAME;
        add(o, "the name says '%s'", word);
    } else if (mql_screen_name_duration(c->name, word, sizeof word)) {
        o->flags |= MQL_SCREEN_F_NAME;
        add(o, "the name says '%s': a call's or contact's length is known only once it has "
            "taken place", word);
        screen_zero(c, cx->have_y ? y : NULL, n, o);
    }
    if ((o->flags & MQL_SCREEN_LEAK) && !(o->flags & MQL_SCREEN_F_AUC) && !isnan(o->auc))
        add(o, "single-feature AUC %.3f (95%% interval %.3f-%.3f)", o->auc, o->auc_lo,
            o->auc_hi);
    if (c->type == MQL_COL_NUMERIC) {
        /* Identifier evidence is its own sentence, after the leakage evidence. */
        mql_screen_col id = {0};
        if (screen_idlike(c, n, bound, cx->ord, cx->n_ord, created ? created->name : "", &id))
            return -1;
        if (id.flags) {
            o->flags |= id.flags;
            add(o, "identifier-like: %s", id.evidence);
        }
    }
    return 0;
}

int mql_screen_run(const mql_table *t, const unsigned char *y, long date_col,
                   const unsigned char *skip, mql_screen **out, mql_err *err)
{
    return mql_screen_run_rows(t, NULL, y, date_col, skip, out, err);
}

int mql_screen_run_rows(const mql_table *t, const unsigned char *rows, const unsigned char *y,
                        long date_col, const unsigned char *skip, mql_screen **out, mql_err *err)
{
    *out = NULL;
    size_t n = t->n_rows;
    mql_screen *s = calloc(1, sizeof *s);
    if (s) {
        s->n_cols = t->n_cols;
        s->col = calloc(t->n_cols ? t->n_cols : 1, sizeof *s->col);
    }
    size_t *ord = NULL, n_ord = 0;
    int fail = !s || !s->col;
    const mql_column *created = date_col >= 0 && (size_t)date_col < t->n_cols &&
                                        t->cols[date_col].type == MQL_COL_DATE
                                    ? &t->cols[date_col]
                                    : NULL;
    /* Part of the leads: their outcomes and created dates gathered once, each column's values
     * as it is screened. */
    unsigned char *y_part = NULL;
    mql_column created_part = {0};
    long run = -1;
    if (rows) {
        size_t k = 0, first = 0, last = 0;
        for (size_t i = 0; i < n; i++)
            if (rows[i]) {
                first = k++ ? first : i;
                last = i;
            }
        /* One run of rows (an out-of-time split of a file in date order): no copies at all. */
        run = k && last - first + 1 == k ? (long)first : -1;
        if (y && run < 0 && !fail && !(y_part = malloc(k ? k : 1)))
            fail = 1;
        for (size_t i = 0, m = 0; y_part && i < n; i++)
            if (rows[i])
                y_part[m++] = y[i];
        if (created && !fail) {
            created_part = *created;
            created_part.n_rows = k;
            if (run >= 0)
                created_part.num = created->num + run;
            else if ((created_part.num = malloc((k ? k : 1) * sizeof *created_part.num)))
                for (size_t i = 0, m = 0; i < n; i++)
                    if (rows[i])
                        created_part.num[m++] = created->num[i];
            fail = !created_part.num;
            created = &created_part;
        }
        y = y && run >= 0 ? y + run : y_part;
        n = k;
    }
    int sorted = 1;
    double prev = -INFINITY;
    for (size_t i = 0; !fail && created && i < n && sorted; i++)
        if (!isnan(created->num[i])) {
            sorted = created->num[i] >= prev;
            prev = created->num[i];
        }
    if (!fail && created && !sorted) {
        /* The rows with a date in date order (stable); NULL when that is row order (most
         * exports: no arrays then). */
        double *d = mql_alloc_big((n ? n : 1) * sizeof *d);
        size_t *idx = mql_alloc_big((n ? n : 1) * sizeof *idx);
        size_t *o = mql_alloc_big((n ? n : 1) * sizeof *o);
        fail = !d || !idx || !o;
        for (size_t i = 0; !fail && i < n; i++)
            if (!isnan(created->num[i])) {
                idx[n_ord] = i;
                d[n_ord++] = created->num[i];
            }
        if (!fail && mql_order_doubles(d, n_ord, o, NULL) == 0) {
            ord = o;
            for (size_t k = 0; k < n_ord; k++)
                ord[k] = idx[ord[k]];
            o = NULL;
        } else if (!fail) {
            fail = 1;
        }
        free(d), free(idx), free(o);
    }
    size_t n_pos = 0;
    for (size_t i = 0; y && i < n; i++)
        n_pos += y[i];
    screen_ctx cx = {.t = t, .rows = rows, .n = n, .run = run, .y = y, .date_col = date_col,
                     .skip = skip, .s = s, .created = created, .ord = ord, .n_ord = n_ord,
                     .n_pos = n_pos,
                     .have_y = y && n_pos > 0 && n_pos < n};
    /* Columns are screened independently, on every CPU (a column's AUC is a pass over its
     * rows). */
    if (!fail && n >= 65536)
        fail = mql_parallel_for(t->n_cols, mql_cpu_count(), screen_one, &cx);
    for (size_t j = 0; !fail && n < 65536 && j < t->n_cols; j++)
        fail = screen_one(&cx, j);
    free(ord);
    free(y_part);
    if (rows && run < 0)
        free(created_part.num);
    if (fail) {
        mql_screen_free(s);
        return mql_err_set(err, MQL_ENOMEM, "out of memory");
    }
    *out = s;
    return MQL_OK;
}

void mql_screen_carriers(const mql_screen *s, const mql_table *t, const mql_design *d, char *buf,
                         size_t cap)
{
    size_t o = 0, shown = 0;
    unsigned char *used = calloc(d->n_features ? d->n_features : 1, 1);
    buf[0] = '\0';
    while (used && s && shown < 5 && o < cap) {
        long best = -1;
        double best_auc = -1;
        for (size_t i = 0; i < d->n_features; i++) {
            long j = mql_table_find(t, d->features[i].name);
            double a = j >= 0 && (size_t)j < s->n_cols ? s->col[j].auc : NAN;
            if (!used[i] && isfinite(a) && a > best_auc) {
                best = (long)i;
                best_auc = a;
            }
        }
        if (best < 0 || (shown > 0 && best_auc < 0.75))
            break;
        used[best] = 1;
        o += (size_t)snprintf(buf + o, cap - o, "%s%s (single-feature AUC %.3f)",
                              shown ? ", " : "", d->features[best].name, best_auc);
        shown++;
    }
    free(used);
    if (!buf[0])
        snprintf(buf, cap, "its features together (no single feature stands out)");
}
