/* table_infer.c: the type inference that ends mql_table_read, column by column (distinct counts;
 * numeric, boolean, date, categorical or identifier-like; spellings merged into one level by
 * value.h's equality), and mql_column_to_categorical. */
#include "table_build.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dates.h"
#include "table_num.h"
#include "mqlcal/dict.h"
#include "mqlcal/table_ops.h"
#include "mqlcal/value.h"

/* Slot of a double's bits: mixes the high bits (where integer-valued doubles differ) down. */
static inline size_t bits_slot(uint64_t x, size_t mask)
{
    x ^= x >> 33;
    x *= UINT64_C(0xFF51AFD7ED558CCD);
    x ^= x >> 33;
    return (size_t)x & mask;
}

/* The numbers of v (n entries, NAN for missing) gathered in one pass. */
static void numstats_scan(const double *v, size_t n, numstats *st)
{
    numstats_init(st);
    for (size_t i = 0; i < n; i++)
        if (!isnan(v[i]))
            numstats_add(st, v[i], 0);
}

#define OUT_OF_SPAN ((size_t)-2)

/* Scaled integers spanning at most this many steps are marked a byte each (a map that stays in
 * the L2 cache), wider spans a bit each: a byte is a plain store, where a bit is a load, an or
 * and a store that waits for the one before it to the same word (about 40% more time a value). */
#define SEEN_BYTES_MAX ((size_t)1 << 18)

/* Values marked between two looks at whether every slot of a small span is marked already. */
#define SEEN_BLOCK 4096

/* The slot of x in count_scaled's map: x * scale - base + 0.5, truncated. Converted through a
 * signed integer, which x86-64 does in one instruction where a conversion to size_t takes a
 * test and a branch; a value below the span's start (-1 or less before truncation) wraps to a
 * slot past its end, which the caller rejects, as the conversion to size_t did in practice. */
static inline size_t scaled_slot(double x, double scale, double base)
{
    return (size_t)(int64_t)(x * scale - base + 0.5);
}

/* Marks the values v[i0..e) in the byte map seen (span slots); NaN is skipped when nan says
 * there may be some. Returns e, or the index of the first value outside the span. */
static size_t mark_bytes(const double *v, size_t i0, size_t e, int nan, double scale,
                         double base, unsigned char *seen, size_t span)
{
    size_t i = i0;
    if (!nan) {
        for (; i < e; i++) {
            size_t k = scaled_slot(v[i], scale, base);
            if (k >= span)
                return i;
            seen[k] = 1;
        }
        return e;
    }
    for (; i < e; i++) {
        double x = v[i];
        if (isnan(x))
            continue;
        size_t k = scaled_slot(x, scale, base);
        if (k >= span)
            return i;
        seen[k] = 1;
    }
    return e;
}

/* The distinct values of v (n entries, NaN skipped, n_val of them numbers, all within [lo, hi])
 * whose scaled integers x * scale - base lie in [0, span), counted in a byte or bit map.
 * OUT_OF_SPAN when a value lies outside (the range the caller was given would be wrong),
 * (size_t)-1 when out of memory. Without NaN the loop skips the test for it. A small span (a
 * flag, a count of visits) is often all marked within the first few thousand rows: the map is
 * looked at after every block of SEEN_BLOCK values, and once it is full the rest is not read.
 * That is exact because lo and hi are the values' extremes and x * scale - base + 0.5 never
 * decreases as x grows (each operation rounds monotonically), so when lo's and hi's slots lie in
 * the span, so do every value's, and the rest would mark slots already marked. */
static size_t count_scaled(const double *v, size_t n, size_t n_val, double lo, double hi,
                           double scale, double base, size_t span)
{
    size_t used = 0, i = 0;
    int nan = n_val < n;
    if (span <= SEEN_BYTES_MAX) {
        unsigned char *seen = calloc(span, 1);
        if (!seen)
            return (size_t)-1;
        int may_stop = span <= SEEN_BLOCK && lo * scale - base + 0.5 >= 0 &&
                       hi * scale - base + 0.5 < (double)span;
        int full = 0;
        while (i < n && !full) {
            size_t e = n - i > SEEN_BLOCK ? i + SEEN_BLOCK : n;
            if ((i = mark_bytes(v, i, e, nan, scale, base, seen, span)) < e)
                break;
            if (may_stop) {
                size_t marked = 0;
                for (size_t k = 0; k < span; k++)
                    marked += seen[k];
                full = marked == span;
            }
        }
        for (size_t k = 0; (i == n || full) && k < span; k++)
            used += seen[k];
        free(seen);
        return i == n || full ? used : OUT_OF_SPAN;
    }
    size_t words = (span - 1) / 64 + 1;
    uint64_t *bits = calloc(words, sizeof *bits);
    if (!bits)
        return (size_t)-1;
    for (; i < n; i++) {
        double x = v[i];
        if (nan && isnan(x))
            continue;
        size_t k = scaled_slot(x, scale, base);
        if (k >= span)
            break;
        uint64_t bit = UINT64_C(1) << (k % 64);
        used += !(bits[k / 64] & bit);
        bits[k / 64] |= bit;
    }
    free(bits);
    return i == n ? used : OUT_OF_SPAN;
}

/* Distinct non-NAN values of v (n entries), whose numbers st describes. Integers spanning fewer
 * than 2^24 values (counts, flags, days) are counted in a byte or bit map, and so are decimals
 * when dec (0 .. 15) says every value was written with at most dec digits after the point and
 * their hundredths, thousandths... span fewer than 2^24 steps (amounts, rates, scores); other
 * values by hashing their bits. Returns (size_t)-1 when out of memory. */
static size_t distinct_of(const double *v, size_t n, int dec, const numstats *st)
{
    int frac = st->frac;
    double mn = st->lo, mx = st->hi;
    if (st->n_val == 0)
        return 0;
    /* Scaled by 10^dec, each value is within a rounding of the integer it was written as (its
     * digits without the point, below 2^53), so x * scale - base + 0.5 truncates to that integer
     * minus base's (the rounding errors stay below 0.5 under 2^50): one mark per written value,
     * and distinct doubles are distinct integers. A value outside the range st gave is counted
     * by hashing instead. */
    double scale = !frac ? 1 : dec >= 1 && dec <= 15 ? mql_pow10_exact[dec] : 0;
    if (scale > 0 && mx * scale - mn * scale < 16777216.0 && fabs(mn * scale) < 0x1p50 &&
        fabs(mx * scale) < 0x1p50) {
        double base = round(mn * scale);
        size_t used = count_scaled(v, n, st->n_val, mn, mx, scale, base,
                                   (size_t)(round(mx * scale) - base) + 1);
        if (used != OUT_OF_SPAN)
            return used;
    }
    /* All-ones bits are a NaN, never inserted (NaN cells are skipped), so they mark empty. */
    const uint64_t empty = UINT64_MAX;
    size_t cap = 64, used = 0;
    uint64_t *set = mql_alloc_big_filled(cap * sizeof *set, 0xFF);
    if (!set)
        return (size_t)-1;
    for (size_t i = 0; i < n; i++) {
        double x = v[i];
        if (isnan(x))
            continue;
        if (x == 0)
            x = 0.0;          /* -0 and 0 are one value */
        uint64_t bits;
        memcpy(&bits, &x, 8);
        size_t mask = cap - 1, k = bits_slot(bits, mask);
        while (set[k] != empty && set[k] != bits)
            k = (k + 1) & mask;
        if (set[k] == bits)
            continue;
        set[k] = bits;
        if (2 * ++used > cap) {
            size_t nc = 2 * cap;
            uint64_t *ns = mql_alloc_big_filled(nc * sizeof *ns, 0xFF);
            if (!ns) {
                free(set);
                return (size_t)-1;
            }
            for (size_t q = 0; q < cap; q++)
                if (set[q] != empty) {
                    size_t r = bits_slot(set[q], nc - 1);
                    while (ns[r] != empty)
                        r = (r + 1) & (nc - 1);
                    ns[r] = set[q];
                }
            free(set);
            set = ns;
            cap = nc;
        }
    }
    free(set);
    return used;
}

size_t mql_num_distinct(const double *v, size_t n, int dec)
{
    numstats st;
    numstats_scan(v, n, &st);
    return distinct_of(v, n, dec >= 0 ? dec : 99, &st);
}

/* Column names that announce an identifier: id, *_id, "* id", *-id, camelCase *Id. */
static int id_like_name(const char *name)
{
    size_t n = strlen(name);
    if (mql_strcasecmp(name, "id") == 0)
        return 1;
    if (n < 3)
        return 0;
    const char *e = name + n - 3;
    if ((e[0] == '_' || e[0] == ' ' || e[0] == '-' || e[0] == '.') && lower(e[1]) == 'i' &&
        lower(e[2]) == 'd')
        return 1;
    return e[0] >= 'a' && e[0] <= 'z' && e[1] == 'I' && (e[2] == 'd' || e[2] == 'D');
}

/* The identifier rule: at least 20 filled rows with >= 95% distinct values, or an id-like name
 * with every value distinct. */
static int id_rule(const char *name, size_t distinct, size_t filled)
{
    if (filled >= 20 && (double)distinct >= 0.95 * (double)filled)
        return 1;
    return filled > 0 && distinct == filled && id_like_name(name);
}

int mql_id_like(const char *name, size_t distinct, size_t filled)
{
    return id_rule(name, distinct, filled);
}

/* Moves the dictionary into the column's levels. */
static void take_levels(mql_column *col, mql_dict *d)
{
    col->levels = d->lev;
    col->level_count = d->count;
    col->n_levels = col->n_distinct = d->n;
    col->level_blocks = d->blk;
    col->n_level_blocks = d->n_blk;
    d->blk = NULL;
    d->n_blk = 0;
    d->lev = NULL;
    d->count = NULL;
    d->n = 0;
    mql_dict_free(d);
}

/* Spelling records of the groups with more than one member: grp[k] is level k's group, best[g]
 * the group's label level. Grouped by group, most rows first. */
static int record_spellings(mql_column *col, const mql_dict *d, const uint32_t *grp,
                            const size_t *size, size_t n_groups)
{
    size_t m = 0;
    for (size_t k = 0; k < d->n; k++)
        m += size[grp[k]] > 1;
    if (m == 0)
        return 0;
    mql_spelling *sp = calloc(m, sizeof *sp);
    if (!sp)
        return -1;
    size_t o = 0;
    for (size_t g = 0; g < n_groups; g++) {
        if (size[g] < 2)
            continue;
        size_t first = o;
        for (size_t k = 0; k < d->n; k++) {
            if (grp[k] != g)
                continue;
            sp[o] = (mql_spelling){(uint32_t)g, mql_strndup(d->lev[k], d->len[k]), d->count[k]};
            if (!sp[o].text) {
                for (size_t q = 0; q < o; q++)
                    free(sp[q].text);
                free(sp);
                return -1;
            }
            /* insertion by rows, descending; stable for equal counts (first seen first) */
            for (size_t q = o; q > first && sp[q - 1].count < sp[q].count; q--) {
                mql_spelling t = sp[q - 1];
                sp[q - 1] = sp[q];
                sp[q] = t;
            }
            o++;
        }
    }
    col->spellings = sp;
    col->n_spellings = m;
    return 0;
}

/* The levels of a text column, merged by value.h's equality ("Google" = "google", "1" = "1.0",
 * "yes" = "y"): each value keeps the position of its first-seen spelling, is labelled by its most
 * frequent spelling (the first seen of equally frequent ones) trimmed, and the rows' codes are
 * renumbered. Every spelling of a merged value is recorded in col->spellings. Consumes d. */
static int merge_levels_equal(mql_column *col, mql_dict *d, size_t n, const char *const *na,
                              size_t n_na)
{
    size_t L = d->n, maxlen = 0;
    for (size_t k = 0; k < L; k++)
        maxlen = d->len[k] > maxlen ? d->len[k] : maxlen;
    uint32_t *grp = malloc((L ? L : 1) * sizeof *grp);
    char *key = malloc(maxlen + 40);
    mql_dict kd = {0};
    int rc = -1;
    size_t *size = NULL, *best = NULL;
    if (!grp || !key)
        goto done;
    for (size_t k = 0; k < L; k++) {
        mql_cell cell;
        mql_cell_from_span(&cell, d->lev[k], d->len[k], na, n_na);
        size_t kl = mql_cell_key(&cell, key, maxlen + 40);
        if (cell.missing)   /* cannot happen: ingest read placeholders as missing */
            kl = (size_t)snprintf(key, maxlen + 40, "m:%zu", k);
        if (mql_dict_add(&kd, key, kl, &grp[k]))
            goto done;
    }
    if (kd.n == L) {            /* every value has one spelling */
        take_levels(col, d);
        rc = 0;
        goto done;
    }
    size_t G = kd.n;
    size = calloc(G, sizeof *size);
    best = malloc(G * sizeof *best);
    char **lev = calloc(G, sizeof *lev);
    size_t *cnt = calloc(G, sizeof *cnt);
    if (!size || !best || !lev || !cnt) {
        free(lev);
        free(cnt);
        goto done;
    }
    for (size_t k = 0; k < L; k++) {
        uint32_t g = grp[k];
        if (size[g]++ == 0 || d->count[k] > d->count[best[g]])
            best[g] = k;
        cnt[g] += d->count[k];
    }
    for (size_t g = 0; g < G; g++) {
        const char *b;
        size_t bl = mql_trim_span(d->lev[best[g]], d->len[best[g]], &b);
        if (!(lev[g] = mql_strndup(b, bl))) {
            for (size_t q = 0; q < g; q++)
                free(lev[q]);
            free(lev);
            free(cnt);
            goto done;
        }
    }
    if (record_spellings(col, d, grp, size, G)) {
        for (size_t g = 0; g < G; g++)
            free(lev[g]);
        free(lev);
        free(cnt);
        goto done;
    }
    for (size_t i = 0; i < n; i++)
        if (col->code[i] != MQL_NA_CODE)
            col->code[i] = grp[col->code[i]];
    col->levels = lev;
    col->level_count = cnt;
    col->n_levels = col->n_distinct = G;
    mql_dict_free(d);
    rc = 0;
done:
    mql_dict_free(&kd);
    free(grp);
    free(key);
    free(size);
    free(best);
    return rc;
}

/* The values of a column whose n rows are codes: row i's is val[code[i]], NAN for a missing cell.
 * The codes are *code, whose block has room for wide doubles from its start (colb.code_wide;
 * 0: not known to). With room for n, the values are written over the codes, from the last row
 * down: value i takes bytes [8i, 8i + 8) and code i bytes [4i, 4i + 4), so a value written after
 * every code j >= i is read covers no code still to be read. memcpy reads and writes them: the
 * same bytes are read as codes and written as doubles, which through typed pointers the
 * compiler could take never to overlap and reorder. Else the values go to a fresh array and the
 * codes are freed. Either way *code is NULL after. Returns the values (the caller's to free;
 * the block's start where it was reused) or NULL when out of memory (*code then unchanged). */
static double *codes_to_doubles(uint32_t **code, size_t n, size_t wide, const double *val)
{
    if (n && wide >= n) {
        unsigned char *blk = (unsigned char *)*code;
        for (size_t i = n; i-- > 0;) {
            uint32_t k;
            memcpy(&k, blk + i * sizeof k, sizeof k);
            double v = k == MQL_NA_CODE ? NAN : val[k];
            memcpy(blk + i * sizeof v, &v, sizeof v);
        }
        *code = NULL;
        return (double *)(void *)blk;
    }
    double *num = mql_alloc_big((n ? n : 1) * sizeof *num);
    if (!num)
        return NULL;
    const uint32_t *c = *code;
    for (size_t i = 0; i < n; i++)
        num[i] = c[i] == MQL_NA_CODE ? NAN : val[c[i]];
    free(*code);
    *code = NULL;
    return num;
}

/* A categorical column whose values are all true or false spellings (value.h: 1/true/yes/y/t and
 * 0/false/no/n/f in any case, after merging), both present, becomes BOOLEAN with the levels'
 * labels; its values take the codes' block when it has room for them (wide, codes_to_doubles).
 * Returns 0 (also when it stays categorical) or -1 (no memory). */
static int to_boolean(mql_column *col, size_t n, size_t wide)
{
    long tcode = -1, fcode = -1;
    if (col->n_levels != 2)
        return 0;
    for (size_t k = 0; k < 2; k++) {
        mql_cell cell;
        mql_cell_from_text(&cell, col->levels[k], NULL, 0);
        int t = mql_cell_truth(&cell);
        if (t == 1)
            tcode = (long)k;
        else if (t == 0)
            fcode = (long)k;
    }
    if (tcode < 0 || fcode < 0)
        return 0;
    const double truth[2] = {tcode == 0, tcode == 1};
    double *num = codes_to_doubles(&col->code, n, wide, truth);
    if (!num)
        return -1;
    col->type = MQL_COL_BOOLEAN;
    col->n_distinct = 2;
    col->true_label = col->levels[tcode];
    col->false_label = col->levels[fcode];
    for (size_t k = 0; k < col->n_spellings; k++)
        col->spellings[k].level = col->spellings[k].level == (uint32_t)tcode;
    free(col->levels);
    free(col->level_count);
    col->levels = NULL;
    col->level_count = NULL;
    col->n_levels = 0;
    col->num = num;
    return 0;
}

/* A text column whose every value is a date (10/20/2016, 20.10.2016, 10/20/2016 10:00 AM, or
 * ISO) becomes a date column, the order of day and month decided as mql_date_order says. A
 * value of that shape that is no day in the chosen order is a missing cell counted in
 * n_unreadable. The days take the codes' block when it has room for them (codes_to_doubles).
 * Returns 1 when converted, 0 when the column stays text (col->date_ambiguous set when only the
 * order is in doubt), -1 when out of memory. */
static int levels_to_dates(colb *c, mql_column *col, size_t n, mql_date_order order)
{
    mql_dict *d = &c->d;
    size_t n_shaped = 0;
    int a_big = 0, b_big = 0, all_dots = 1;
    for (size_t k = 0; k < d->n; k++) {
        double v, t;
        int ht, a, b;
        long y;
        char sep = 0;
        if (mql_date_parse(d->lev[k], d->len[k], &v, &ht) == 0)
            continue;
        if (mql_date_dmy_shape(d->lev[k], d->len[k], &a, &b, &y, &t, &ht, &sep))
            return 0;
        n_shaped++;
        a_big |= a > 12;
        b_big |= b > 12;
        all_dots &= sep == '.';
    }
    if (n_shaped == 0)
        return 0;
    if (order == MQL_DATE_AUTO) {
        if (a_big != b_big)
            order = a_big ? MQL_DATE_DMY : MQL_DATE_MDY;
        else if (!a_big && all_dots)
            order = MQL_DATE_DMY;
        else if (!a_big) {
            col->date_ambiguous = 1;
            return 0;
        } else {
            /* Both fields exceed 12 somewhere: the order that reads more rows wins. */
            size_t rows[2] = {0, 0};
            for (size_t k = 0; k < d->n; k++) {
                double v, t;
                int ht, a, b;
                long y;
                char sep = 0;
                if (mql_date_dmy_shape(d->lev[k], d->len[k], &a, &b, &y, &t, &ht, &sep))
                    continue;
                rows[0] += mql_date_civil_days(y, a, b, &v) == 0 ? d->count[k] : 0;
                rows[1] += mql_date_civil_days(y, b, a, &v) == 0 ? d->count[k] : 0;
            }
            order = rows[1] > rows[0] ? MQL_DATE_DMY : MQL_DATE_MDY;
        }
    }
    double *day = malloc((d->n ? d->n : 1) * sizeof *day);
    if (!day)
        return -1;
    for (size_t k = 0; k < d->n; k++) {
        double t;
        int ht, a, b;
        long y;
        char sep = 0;
        if (mql_date_parse(d->lev[k], d->len[k], &day[k], &ht) == 0) {
            col->has_time |= ht;
            continue;
        }
        mql_date_dmy_shape(d->lev[k], d->len[k], &a, &b, &y, &t, &ht, &sep);
        if (order == MQL_DATE_DMY ? mql_date_civil_days(y, b, a, &day[k])
                                  : mql_date_civil_days(y, a, b, &day[k]))
            day[k] = NAN;
        else {
            day[k] += t;
            col->has_time |= ht;
        }
    }
    /* The unreadable cells are counted from the codes, before the days may overwrite them. */
    int no_day = 0;
    for (size_t k = 0; k < d->n; k++)
        no_day |= isnan(day[k]);
    for (size_t i = 0; no_day && i < n; i++) {
        uint32_t k = c->code[i];
        if (k != MQL_NA_CODE && isnan(day[k]) && col->n_unreadable++ == 0) {
            col->unreadable_row = i;
            if (!(col->unreadable_text = mql_strdup(d->lev[k]))) {
                free(day);
                return -1;
            }
        }
    }
    double *num = codes_to_doubles(&c->code, n, c->code_wide, day);
    if (!num) {
        free(day);
        return -1;
    }
    c->code_wide = 0;
    numstats st;
    numstats_scan(num, n, &st);
    size_t nd = distinct_of(num, n, 99, &st);
    if (nd == (size_t)-1) {
        free(day);
        free(num);
        return -1;
    }
    free(day);
    col->type = MQL_COL_DATE;
    col->num = num;
    col->n_missing = n - st.n_val;
    col->n_distinct = nd;
    mql_dict_free(d);
    return 1;
}

/* Whether level text s (n bytes) is a number the numeric reading takes (put_cell): its value
 * into *v, the digits after its point into *dec (99: a decimal comma). */
static int level_number(const builder *b, const char *s, size_t n, double *v, int *dec)
{
    char buf[64];                  /* parse_num_dec wants the text NUL-terminated */
    if (n >= sizeof buf)
        return 0;
    memcpy(buf, s, n);
    buf[n] = '\0';
    if (parse_num_dec(buf, n, v, dec) == 0)
        return 1;
    *dec = 99;
    return b->dec_comma && mql_parse_decimal_comma(buf, n, v) == 0;
}

/* A text column (not --categorical or --numeric) whose every level is a number: its
 * mql_code_rule into col->code_rule when it is read as codes. When its only codes are
 * leading-zero cells too few for MQL_CODE_ZEROS (a stray 050 among amounts), its cells become
 * the numbers they spell (in the codes' block when it has room, codes_to_doubles) and c is a
 * column of numbers again. Returns 1 when turned back, 0 when not, -1 when out of memory. */
static int codes_or_numbers(const builder *b, colb *c, mql_column *col, size_t n, size_t filled)
{
    mql_dict *d = &c->d;
    size_t zeros = 0, width = 0;
    int same = 1, dec = c->dec;
    for (size_t k = 0; k < d->n; k++) {
        double v;
        int dk;
        if (!level_number(b, d->lev[k], d->len[k], &v, &dk))
            return 0;
        dec = dk > dec ? dk : dec;
        const char *t;
        size_t w = mql_trim_span(d->lev[k], d->len[k], &t), q = 0;
        while (q < w && t[q] >= '0' && t[q] <= '9')
            q++;
        same &= q == w && w >= 2 && (width == 0 || w == width);
        width = w;
        if (lead_zero_code(t, w))
            zeros += d->count[k];
    }
    if (c->code_name || !d->n) {
        col->code_rule = d->n ? MQL_CODE_NAME : MQL_CODE_NONE;
        return 0;
    }
    if (!zeros)
        return 0;
    if (same || (zeros >= 2 && 100 * zeros >= filled)) {
        col->code_rule = MQL_CODE_ZEROS;
        return 0;
    }
    double *val = malloc(d->n * sizeof *val);
    if (!val)
        return -1;
    for (size_t k = 0; k < d->n; k++) {
        int dk;
        level_number(b, d->lev[k], d->len[k], &val[k], &dk);
    }
    double *num = codes_to_doubles(&c->code, n, c->code_wide, val);
    free(val);
    if (!num)
        return -1;
    c->code_wide = 0;
    mql_dict_free(d);
    c->num = num;
    c->dec = dec;
    c->mode = M_NUM;
    c->st_ok = 0;                  /* (finish_numbers counts these numbers afresh) */
    return 1;
}

/* Keeps in col the design's scan of its numbers num (design_scan.h: missing cells, whole
 * numbers, range) as st counted them while they were stored, so that the fit does not read the
 * column once more for it. The same values as a pass over num in row order: st's range keeps
 * the first of equal extremes (-0 or 0) as that pass does, and its frac is the pass's "not
 * whole" below 2^53; mql_is_integral also says no from 2^53 on, where every double is whole,
 * and such a value is one of the extremes in magnitude. */
static void keep_scan(mql_column *col, const double *num, size_t n, const numstats *st)
{
    col->scan_of = num;
    col->scan_rows = n;
    col->scan_na = n - st->n_val;
    col->scan_lo = st->lo;
    col->scan_hi = st->hi;
    col->scan_integer = !st->frac && (st->n_val == 0 || (fabs(st->lo) < 0x1p53 &&
                                                         fabs(st->hi) < 0x1p53));
}

/* mql_colb_finish for a column of numbers or dates. Returns 0, -1 (no memory) or 1 when the
 * column's name says codes (MQL_CODE_NAME): c is then text, for the caller to finish. */
static int finish_numbers(colb *c, mql_column *col, size_t n)
{
    int dec = c->mode == M_NUM ? c->dec : 99;
    numstats st;
    if (c->mode == M_NUM && c->st_ok)
        st = c->st;                /* gathered by put_cell as the cells were stored */
    else
        numstats_scan(c->num, n, &st);
    size_t nd = distinct_of(c->num, n, dec, &st);
    if (nd == (size_t)-1)
        return -1;
    size_t miss = n - st.n_val;
    int all_int = !st.frac, all01 = !st.not01;
    double lo = st.lo, hi = st.hi;
    col->n_missing = miss;
    col->n_distinct = nd;
    if (c->mode == M_DATE) {
        col->type = MQL_COL_DATE;
    } else if (all01 && nd == 2) {
        col->type = MQL_COL_BOOLEAN;
        if (!(col->true_label = mql_strdup("1")) || !(col->false_label = mql_strdup("0")))
            return -1;
    } else if (c->code_name && c->mode == M_NUM && all_int && nd) {
        /* codes by their name (ZIP, phone): text, as a leading zero makes them */
        if ((n >= 65536 && mql_dict_to_raw(&c->d)) || mql_colb_to_text(c, n, n, NULL))
            return -1;
        col->code_rule = MQL_CODE_NAME;
        return 1;
    } else if (all_int && id_rule(col->name, nd, n - miss) &&
               (id_like_name(col->name) || hi - lo + 1 <= 2.0 * (double)nd)) {
        /* Integer identifiers: besides the distinct share, the values must be dense (an
         * auto-increment key) or the name must say id, so amounts in whole dollars with
         * mostly distinct values stay numeric. */
        if ((n >= 65536 && mql_dict_to_raw(&c->d)) || mql_colb_to_text(c, n, n, NULL) ||
            (c->d.raw && mql_dict_raw_finish(&c->d, c->code, n)))
            return -1;
        col->type = MQL_COL_ID;
        col->code = c->code;
        c->code = NULL;
        c->code_wide = 0;
        take_levels(col, &c->d);
        return 0;
    } else {
        col->type = MQL_COL_NUMERIC;
        col->plain_decimal = dec <= 15;
        col->decimals = dec <= 15 ? dec : 0;
        keep_scan(col, c->num, n, &st);
    }
    col->num = c->num;
    c->num = NULL;
    return 0;
}

/* Whether text s (n bytes) is neither a number the column's numeric reading takes nor a date of
 * any shape: a column with one such level stays text whatever its other levels are
 * (codes_or_numbers, levels_to_dates). */
static int plain_text(const builder *b, const char *s, size_t n)
{
    double v, t;
    int dec, ht, p, q;
    long y;
    char sep = 0;
    return !level_number(b, s, n, &v, &dec) && mql_date_parse(s, n, &v, &ht) != 0 &&
           mql_date_dmy_shape(s, n, &p, &q, &y, &t, &ht, &sep) != 0;
}

/* What decides whether an identifier column's values can go (mql_column.no_values), gathered
 * over its distinct texts: a level that is plain text (so the column is neither numbers nor
 * dates, and reads as no codes) and none that is the column's name (which the check for a
 * repeated header line would look for). */
typedef struct unused_check {
    const builder *b;
    const char *name;
    int plain, named;
} unused_check;

static void unused_text(unused_check *u, const char *s, size_t n)
{
    u->plain = u->plain || plain_text(u->b, s, n);
    u->named = u->named || mql_header_cell_is(s, n, u->name);
}

/* The rule itself, once the texts are seen: every one of the n cells filled and distinct (as
 * the caller knows), and the last row's text, which the check for a totals row reads, no totals
 * label. The same rule on either route (keys or a dictionary) makes the same table whatever
 * parts the file was read in. */
static int unused_ok(const unused_check *u, const char *last, size_t last_n)
{
    return u->plain && !u->named && !mql_totals_label(last, last_n);
}

/* An identifier column without its values (mql_column.no_values): n cells, filled and
 * distinct. */
static void set_no_values(mql_column *col, size_t n)
{
    col->type = MQL_COL_ID;
    col->no_values = MQL_NO_VALUES_ID;
    col->n_distinct = n;
    col->n_missing = 0;
    col->n_unreadable = 0;       /* (as for any text column) */
    free(col->unreadable_text);
    col->unreadable_text = NULL;
}

/* Finishes M_KEY column c, whose n rows are read. It keeps no values when every cell is filled,
 * the identifier rule holds for n distinct values and unused_ok does: the text route below would
 * make an identifier of it, and the same rule would drop its values there. The keys tell whether
 * the n texts are distinct: reordered in place, since nothing reads them in row order after.
 * Otherwise c becomes the index-less text column the reader would have built (one entry per
 * filled row, taking the texts' blocks), for the text route. Returns 0 (finished), 1 (c is text
 * now) or -1 (no memory). */
static int finish_keys(const builder *b, colb *c, mql_column *col, size_t n)
{
    keytext *kt = &c->kt;
    if (kt->n == n && n && id_rule(col->name, n, n)) {
        unused_check u = {b, col->name, 0, 0};
        const char *last = NULL;
        size_t last_n = 0;
        for (size_t k = 0; k < kt->n_blk && !u.named; k++)
            for (const char *p = kt->blk[k], *e = p + kt->used[k]; p < e && !u.named;) {
                last = mql_keytext_next(&p, &last_n);
                unused_text(&u, last, last_n);
            }
        if (unused_ok(&u, last, last_n)) {
            int r = mql_keys_distinct((uint64_t *)(void *)c->num, n);
            if (r < 0)
                return -1;
            if (r) {
                free(c->num);            /* (the slabs' arrays are part 0's own by now) */
                c->num = NULL;
                mql_keytext_free(kt);
                set_no_values(col, n);
                return 0;
            }
        }
    }
    /* The texts become raw entries in row order; with every cell filled (kt->n == n) the keys
     * are not read, so their order does not matter. The codes take the first half of the keys'
     * block instead of a fresh array: code i (bytes [4i, 4i + 4)) is written after key i (bytes
     * [8i, 8i + 8)) and every key before it are read, so it covers none still to be read
     * (memcpy, as in codes_to_doubles). */
    mql_dict d = {.raw = 1};
    if (kt->n && mql_dict_room(&d, kt->n)) {
        mql_dict_free(&d);
        return -1;
    }
    unsigned char *code = (unsigned char *)c->num;
    size_t k = 0, blk = 0;
    const char *p = kt->n_blk ? kt->blk[0] : NULL;
    for (size_t i = 0; i < n; i++) {
        uint32_t ci = MQL_NA_CODE;
        if (kt->n == n || !key_missing(c->num, i)) {
            while (p == kt->blk[blk] + kt->used[blk])
                p = kt->blk[++blk];
            size_t len;
            d.lev[k] = (char *)mql_keytext_next(&p, &len);
            d.len[k] = (uint32_t)len;
            d.count[k] = 1;
            ci = (uint32_t)k++;
        }
        memcpy(code + i * sizeof ci, &ci, sizeof ci);
    }
    d.n = k;
    d.blk = kt->blk;             /* the texts' blocks are the dictionary's now */
    d.n_blk = kt->n_blk;
    free(kt->used);
    memset(kt, 0, sizeof *kt);
    /* The other half goes back to the allocator, pages already touched that what follows takes
     * before fresh ones. Kept as room for doubles (colb.code_wide) it would only serve an
     * identifier that turns out dates, and it held the peak 20 MB higher at 5M rows. glibc
     * shrinks a block in place; where realloc fails the block stays whole. */
    uint32_t *half = realloc(code, (n ? n : 1) * sizeof *half);
    c->num = NULL;
    c->code = half ? half : (uint32_t *)(void *)code;
    c->code_wide = half ? 0 : n;
    c->d = d;
    c->mode = M_TEXT;
    return 1;
}

int mql_colb_finish(const builder *b, colb *c, mql_column *col, size_t n)
{
    col->has_time = c->has_time;
    col->n_rows = n;
    col->n_unreadable = c->n_bad;
    col->unreadable_row = c->bad_row;
    col->unreadable_text = c->bad_text;
    c->bad_text = NULL;
    if (c->mode == M_EMPTY) {          /* every cell missing: a constant categorical */
        col->type = MQL_COL_CATEGORICAL;
        col->code = malloc((n ? n : 1) * sizeof *col->code);
        if (!col->code)
            return -1;
        for (size_t i = 0; i < n; i++)
            col->code[i] = MQL_NA_CODE;
        col->n_missing = n;
        return 0;
    }
    if (c->mode == M_KEY) {
        int r = finish_keys(b, c, col, n);
        if (r <= 0)
            return r;
    }
    if (c->mode == M_NUM || c->mode == M_DATE) {
        int r = finish_numbers(c, col, n);
        if (r <= 0)
            return r;
    }
    size_t miss = 0;
    for (size_t i = 0; i < n; i++)
        miss += c->code[i] == MQL_NA_CODE;
    mql_dict *d = &c->d;
    if (d->raw) {          /* distinct levels; an index again unless the column is an identifier */
        if (mql_dict_raw_finish(d, c->code, n))
            return -1;
        if ((c->forced || !id_rule(col->name, d->n, n - miss)) && mql_dict_unraw(d))
            return -1;
    }
    if (!c->forced && !c->numeric && !col->code_rule) {
        int r = codes_or_numbers(b, c, col, n, n - miss);
        if (r)
            return r < 0 ? -1 : finish_numbers(c, col, n);
    }
    /* text: what the column's number or date phase counted does not apply */
    col->n_unreadable = 0;
    free(col->unreadable_text);
    col->unreadable_text = NULL;
    col->n_missing = miss;
    if (!c->forced) {      /* dates like 10/20/2016 (before the identifier rule: timestamps) */
        int r = levels_to_dates(c, col, n, b->opts ? b->opts->date_order : MQL_DATE_AUTO);
        if (r)
            return r < 0 ? -1 : 0;
    }
    if (!c->forced && id_rule(col->name, d->n, n - miss)) {
        if (c->keyable && !miss && d->n == n && !col->code_rule) {
            /* finish_keys's rule, for a column read as a dictionary (its parts had too few
             * rows to go M_KEY, or it turned to text late) */
            unused_check u = {b, col->name, 0, 0};
            for (size_t k = 0; k < d->n && !u.named; k++)
                unused_text(&u, d->lev[k], d->len[k]);
            uint32_t last = c->code[n - 1];
            if (unused_ok(&u, d->lev[last], d->len[last])) {
                free(c->code);
                c->code = NULL;
                c->code_wide = 0;
                mql_dict_free(d);
                set_no_values(col, n);
                return 0;
            }
        }
        col->type = MQL_COL_ID;     /* keys keep their spellings: joins match them exactly */
        col->code = c->code;
        c->code = NULL;
        c->code_wide = 0;
        take_levels(col, d);
        return 0;
    }
    col->type = MQL_COL_CATEGORICAL;
    col->code = c->code;
    size_t wide = c->code_wide;
    c->code = NULL;
    c->code_wide = 0;
    if (merge_levels_equal(col, d, n, b->na, b->n_na))
        return -1;
    if (!c->forced && to_boolean(col, n, wide))
        return -1;
    return 0;
}

int mql_column_to_categorical(mql_column *c, mql_err *err)
{
    if (c->type == MQL_COL_CATEGORICAL)
        return MQL_OK;
    if (c->type == MQL_COL_ID) {
        c->type = MQL_COL_CATEGORICAL;
        return MQL_OK;
    }
    size_t n = c->n_rows;
    if (c->borrowed) {           /* the values are replaced (and freed) below: own them first */
        double *own = mql_alloc_big((n ? n : 1) * sizeof *own);
        if (!own)
            return mql_err_set(err, MQL_ENOMEM, "out of memory");
        memcpy(own, c->num, n * sizeof *own);
        c->num = own;
        c->borrowed = 0;
    }
    colb b = {.mode = c->type == MQL_COL_DATE ? M_DATE : M_NUM, .num = c->num};
    if (c->type == MQL_COL_BOOLEAN) {
        if (!(b.code = malloc((n ? n : 1) * sizeof *b.code)))
            return mql_err_set(err, MQL_ENOMEM, "out of memory");
        for (size_t i = 0; i < n; i++) {
            if (isnan(c->num[i])) {
                b.code[i] = MQL_NA_CODE;
                continue;
            }
            const char *s = c->num[i] != 0 ? c->true_label : c->false_label;
            if (mql_dict_add(&b.d, s, strlen(s), &b.code[i])) {
                free(b.code);
                mql_dict_free(&b.d);
                return mql_err_set(err, MQL_ENOMEM, "out of memory");
            }
        }
        for (size_t k = 0; k < c->n_spellings; k++) {   /* truth -> the label's level */
            const char *s = c->spellings[k].level ? c->true_label : c->false_label;
            long lv = mql_dict_find(&b.d, s, strlen(s));
            c->spellings[k].level = lv < 0 ? 0 : (uint32_t)lv;
        }
        free(c->num);
        free(c->true_label);
        free(c->false_label);
        c->true_label = c->false_label = NULL;
    } else if (mql_colb_to_text(&b, n, n, NULL)) {
        free(b.code);
        mql_dict_free(&b.d);
        return mql_err_set(err, MQL_ENOMEM, "out of memory");
    }
    c->num = NULL;
    c->code = b.code;
    c->type = MQL_COL_CATEGORICAL;
    take_levels(c, &b.d);
    return MQL_OK;
}
