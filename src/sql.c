/* sql.c: the scoring and aggregation SQL of sql.h, one text builder per dialect detail (literals,
 * identifiers, lower-casing, regular expressions, casts). Every value from a model or a file goes
 * into the statement through mql_sql_literal / mql_sql_ident, never by plain interpolation. */
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mqlcal/sql.h"

/* ==== a growing text buffer ================================================================ */

typedef struct sb {
    char *s;
    size_t n, cap;
    int fail;
} sb;

static void sb_grow(sb *b, size_t more)
{
    if (b->fail || b->n + more + 1 <= b->cap)
        return;
    size_t cap = b->cap ? b->cap : 4096;
    while (cap < b->n + more + 1)
        cap *= 2;
    char *p = realloc(b->s, cap);
    if (!p) {
        b->fail = 1;
        return;
    }
    b->s = p;
    b->cap = cap;
}

static void sb_putn(sb *b, const char *s, size_t n)
{
    sb_grow(b, n);
    if (b->fail)
        return;
    memcpy(b->s + b->n, s, n);
    b->n += n;
    b->s[b->n] = '\0';
}

static void sb_put(sb *b, const char *s)
{
    sb_putn(b, s, strlen(s));
}

static void sb_printf(sb *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void sb_printf(sb *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0) {
        b->fail = 1;
        return;
    }
    sb_grow(b, (size_t)n);
    if (b->fail)
        return;
    va_start(ap, fmt);
    vsnprintf(b->s + b->n, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->n += (size_t)n;
}

/* ==== dialects ============================================================================== */

static const char *const dialect_names[] = {"postgres", "sqlite", "bigquery", "snowflake",
                                            "spark"};

int mql_sql_dialect_parse(const char *name, mql_sql_dialect *d)
{
    if (!name)
        return -1;
    for (size_t k = 0; k < sizeof dialect_names / sizeof dialect_names[0]; k++)
        if (mql_strcasecmp(name, dialect_names[k]) == 0) {
            *d = (mql_sql_dialect)k;
            return 0;
        }
    if (mql_strcasecmp(name, "postgresql") == 0) {
        *d = MQL_SQL_POSTGRES;
        return 0;
    }
    if (mql_strcasecmp(name, "databricks") == 0) {
        *d = MQL_SQL_SPARK;
        return 0;
    }
    return -1;
}

const char *mql_sql_dialect_name(mql_sql_dialect d)
{
    return (size_t)d < sizeof dialect_names / sizeof dialect_names[0] ? dialect_names[d] : "?";
}

void mql_sql_opts_init(mql_sql_opts *o)
{
    memset(o, 0, sizeof *o);
    o->dialect = MQL_SQL_POSTGRES;
    o->outcome.type = o->sql.type = -1;
}

static const char *text_type(mql_sql_dialect d)
{
    switch (d) {
    case MQL_SQL_BIGQUERY:
    case MQL_SQL_SPARK: return "STRING";
    case MQL_SQL_SNOWFLAKE: return "VARCHAR";
    default: return "TEXT";
    }
}

static const char *double_type(mql_sql_dialect d)
{
    switch (d) {
    case MQL_SQL_POSTGRES: return "DOUBLE PRECISION";
    case MQL_SQL_SQLITE: return "REAL";
    case MQL_SQL_BIGQUERY: return "FLOAT64";
    default: return "DOUBLE";
    }
}

/* String literals. PostgreSQL: E'...' (the same whatever standard_conforming_strings says) with
 * \\ and '' and \xHH for control bytes. SQLite: '...' with '' (no escapes exist; control bytes
 * stand as they are). BigQuery, Snowflake, Spark: backslash escapes. Bytes >= 0x80 (UTF-8) pass
 * through unchanged. */
static void sb_lit(sb *b, mql_sql_dialect d, const char *s)
{
    if (d == MQL_SQL_SQLITE) {
        /* control bytes as char(N) pieces, so the statement holds no raw control bytes */
        int ctl = 0;
        for (const unsigned char *p = (const unsigned char *)s; *p; p++)
            ctl |= *p < 0x20 || *p == 0x7f;
        if (ctl) {
            sb_put(b, "(''");
            for (const unsigned char *p = (const unsigned char *)s; *p;) {
                if (*p < 0x20 || *p == 0x7f) {
                    sb_printf(b, " || char(%u)", (unsigned)*p++);
                    continue;
                }
                sb_put(b, " || '");
                for (; *p && *p >= 0x20 && *p != 0x7f; p++)
                    sb_putn(b, *p == '\'' ? "''" : (const char *)p, *p == '\'' ? 2 : 1);
                sb_put(b, "'");
            }
            sb_put(b, ")");
            return;
        }
    }
    sb_put(b, d == MQL_SQL_POSTGRES ? "E'" : "'");
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        unsigned c = *p;
        char e[8];
        if (c == '\'') {
            sb_put(b, d == MQL_SQL_POSTGRES || d == MQL_SQL_SQLITE ? "''" : "\\'");
        } else if (c == '\\') {
            sb_put(b, d == MQL_SQL_SQLITE ? "\\" : "\\\\");
        } else if ((c < 0x20 || c == 0x7f) && d != MQL_SQL_SQLITE) {
            if (c == '\n')
                sb_put(b, "\\n");
            else if (c == '\t')
                sb_put(b, "\\t");
            else if (c == '\r')
                sb_put(b, "\\r");
            else {
                snprintf(e, sizeof e, d == MQL_SQL_SPARK ? "\\u%04X" : "\\x%02X", c);
                sb_put(b, e);
            }
        } else {
            e[0] = (char)c;
            sb_putn(b, e, 1);
        }
    }
    sb_put(b, "'");
}

static int ident_ok(const char *name)
{
    if (!name || !*name)
        return 0;
    for (const unsigned char *p = (const unsigned char *)name; *p; p++)
        if (*p < 0x20 || *p == 0x7f)
            return 0;
    return 1;
}

/* Quoted identifiers: "x" (PostgreSQL, SQLite, Snowflake; " doubled), `x` (Spark: ` doubled;
 * BigQuery: \` and \\ escaped). The caller has checked ident_ok. */
static void sb_ident(sb *b, mql_sql_dialect d, const char *name)
{
    char q = d == MQL_SQL_BIGQUERY || d == MQL_SQL_SPARK ? '`' : '"';
    sb_putn(b, &q, 1);
    for (const char *p = name; *p; p++) {
        if (*p == q)
            sb_put(b, d == MQL_SQL_BIGQUERY ? "\\`" : q == '`' ? "``" : "\"\"");
        else if (*p == '\\' && d == MQL_SQL_BIGQUERY)
            sb_put(b, "\\\\");
        else
            sb_putn(b, p, 1);
    }
    sb_putn(b, &q, 1);
}

char *mql_sql_literal(mql_sql_dialect dd, const char *s)
{
    sb b = {0};
    sb_lit(&b, dd, s ? s : "");
    if (b.fail) {
        free(b.s);
        return NULL;
    }
    return b.s;
}

char *mql_sql_ident(mql_sql_dialect dd, const char *name)
{
    if (!ident_ok(name))
        return NULL;
    sb b = {0};
    sb_ident(&b, dd, name);
    if (b.fail) {
        free(b.s);
        return NULL;
    }
    return b.s;
}

/* The table name, its dot-separated parts quoted one by one. */
static int sb_table(sb *b, mql_sql_dialect d, const char *table, mql_err *err)
{
    if (!table || !*table)
        return mql_err_set(err, MQL_EUSAGE, "--table: a table name is needed");
    const char *p = table;
    for (;;) {
        const char *dot = strchr(p, '.');
        size_t n = dot ? (size_t)(dot - p) : strlen(p);
        char *part = mql_strndup(p, n);
        if (!part)
            return mql_err_set(err, MQL_ENOMEM, "out of memory");
        int ok = ident_ok(part);
        if (ok)
            sb_ident(b, d, part);
        free(part);
        if (!ok)
            return mql_err_set(err, MQL_EUSAGE, "--table: '%s' has an empty part or a control "
                               "character", table);
        if (!dot)
            return MQL_OK;
        sb_put(b, ".");
        p = dot + 1;
    }
}

/* ASCII-only lower case, as the C code compares (tolower in the C locale): SQLite's LOWER is
 * ASCII-only without ICU; elsewhere LOWER folds Unicode, so TRANSLATE the 26 letters. */
static void sb_lower(sb *b, mql_sql_dialect d, const char *expr)
{
    if (d == MQL_SQL_SQLITE)
        sb_printf(b, "LOWER(%s)", expr);
    else
        sb_printf(b, "TRANSLATE(%s, 'ABCDEFGHIJKLMNOPQRSTUVWXYZ', 'abcdefghijklmnopqrstuvwxyz')",
                  expr);
}

/* Whether expr matches the anchored pattern (written with ^ and $; Java's $ also matches before a
 * final newline, so Spark gets \z). SQLite needs a REGEXP function: the sqlite3 shell has one
 * built in since 3.36 (ext/misc/regexp.c). */
static void sb_regex(sb *b, mql_sql_dialect d, const char *expr, const char *pattern)
{
    char pat[256];
    snprintf(pat, sizeof pat, "%s", pattern);
    size_t n = strlen(pat);
    if (d == MQL_SQL_SPARK && n && pat[n - 1] == '$' && n + 2 < sizeof pat)
        memcpy(pat + n - 1, "\\z", 3);
    switch (d) {
    case MQL_SQL_POSTGRES: sb_printf(b, "(%s ~ ", expr); break;
    case MQL_SQL_SQLITE: sb_printf(b, "(%s REGEXP ", expr); break;
    case MQL_SQL_BIGQUERY: sb_printf(b, "REGEXP_CONTAINS(%s, ", expr); break;
    case MQL_SQL_SNOWFLAKE: sb_printf(b, "REGEXP_LIKE(%s, ", expr); break;
    case MQL_SQL_SPARK: sb_printf(b, "(%s RLIKE ", expr); break;
    }
    sb_lit(b, d, pat);
    sb_put(b, ")");
}

/* CAST(text AS double) that yields NULL instead of failing where the dialect has such a cast
 * (the patterns in front of it already admit only numbers). */
static void sb_to_double(sb *b, mql_sql_dialect d, const char *expr)
{
    const char *cast = d == MQL_SQL_BIGQUERY ? "SAFE_CAST"
                       : d == MQL_SQL_SNOWFLAKE || d == MQL_SQL_SPARK ? "TRY_CAST" : "CAST";
    sb_printf(b, "%s(%s AS %s)", cast, expr, double_type(d));
}

/* A double constant: integers as integers, other values in 17 digits read by the dialect's
 * string-to-double cast (so 0.1 is the double 0.1, not a DECIMAL). */
static void sb_double(sb *b, mql_sql_dialect d, double v)
{
    char t[40];
    if (mql_is_integral(v) && fabs(v) < 1e15) {
        sb_printf(b, v < 0 ? "(%.0f)" : "%.0f", v == 0 ? 0.0 : v);
        return;
    }
    snprintf(t, sizeof t, "%.17g", v);
    if (d == MQL_SQL_SQLITE)
        sb_printf(b, v < 0 ? "(%s)" : "%s", t);
    else
        sb_printf(b, "CAST('%s' AS %s)", t, double_type(d));
}

/* Trims blanks (space, tab) from both ends, or (leading) the white space strtod skips. */
static void sb_trim(sb *b, mql_sql_dialect d, const char *expr, int leading_ws)
{
    const char *set = leading_ws ? " \t\n\v\f\r" : " \t";
    switch (d) {
    case MQL_SQL_POSTGRES:
    case MQL_SQL_SPARK:
        sb_put(b, leading_ws ? "TRIM(LEADING " : "TRIM(BOTH ");
        sb_lit(b, d, set);
        sb_printf(b, " FROM %s)", expr);
        break;
    default:
        sb_printf(b, "%s(%s, ", leading_ws ? "LTRIM" : "TRIM", expr);
        sb_lit(b, d, set);
        sb_put(b, ")");
    }
}

/* The number syntax of rule.h's cells: strtod's decimal form (no hexadecimal, inf or nan), and
 * table.c's thousands groups (two or more, or one followed by a decimal part). */
#define RX_DECIMAL "^(-|[+])?([0-9]+([.][0-9]*)?|[.][0-9]+)([eE](-|[+])?[0-9]+)?$"
#define RX_GROUPED "^(-|[+])?[0-9]{1,3}((,[0-9]{3})(,[0-9]{3})+([.][0-9]+)?|,[0-9]{3}[.][0-9]+)$"

/* "mql_cK AS (": MATERIALIZED where the dialect takes the hint (PostgreSQL 12+, SQLite 3.35+):
 * a CTE inlined into the next one repeats its expressions once per use, and the stages use each
 * helper several times, so inlining would grow the work exponentially with the stages. */
static void sb_cte(sb *b, mql_sql_dialect d, int k)
{
    sb_printf(b, "mql_c%d AS %s(", k,
              d == MQL_SQL_POSTGRES || d == MQL_SQL_SQLITE ? "MATERIALIZED " : "");
}

/* ==== the columns a query reads ============================================================= */

/* One source column: its name and the helper index i of mql_t<i> (trimmed text, NULL when
 * missing), mql_l<i> (ASCII lower case), mql_x<i> (the number, NULL when not numeric). */
typedef struct colset {
    const char **name;
    size_t n, cap;
} colset;

static long colset_find(const colset *c, const char *name)
{
    for (size_t i = 0; i < c->n; i++)
        if (strcmp(c->name[i], name) == 0)
            return (long)i;
    return -1;
}

/* Adds name unless present; returns its index or -1 (no memory). */
static long colset_add(colset *c, const char *name)
{
    long k = colset_find(c, name);
    if (k >= 0)
        return k;
    if (c->n == c->cap) {
        size_t cap = c->cap ? 2 * c->cap : 16;
        const char **p = realloc(c->name, cap * sizeof *p);
        if (!p)
            return -1;
        c->name = p;
        c->cap = cap;
    }
    c->name[c->n] = name;
    return (long)c->n++;
}

/* The key columns copied through every stage: ", "k1", "k2"". */
static void sb_carry(sb *b, const mql_sql_opts *o)
{
    for (size_t k = 0; k < o->n_keys; k++) {
        sb_put(b, ", ");
        sb_ident(b, o->dialect, o->keys[k]);
    }
}

static int check_names(const mql_sql_opts *o, const colset *cs, mql_err *err)
{
    for (size_t k = 0; k < o->n_keys; k++)
        if (!ident_ok(o->keys[k]) || strncmp(o->keys[k], "mql_", 4) == 0)
            return mql_err_set(err, MQL_EUSAGE, "--key: column '%s' is empty, has a control "
                               "character or starts with mql_ (kept for the query's own columns)",
                               o->keys[k]);
    for (size_t i = 0; i < cs->n; i++)
        if (!ident_ok(cs->name[i]))
            return mql_err_set(err, MQL_EUSAGE, "column '%s' is empty or has a control character",
                               cs->name[i]);
    return MQL_OK;
}

/* The NA test of trimmed text `t` (empty or a placeholder, ASCII case-insensitive). */
static void sb_missing(sb *b, const mql_sql_opts *o, const char *t)
{
    mql_sql_dialect d = o->dialect;
    const char *const *na = o->na ? o->na : mql_default_na;
    size_t n_na = o->na ? o->n_na : mql_n_default_na;
    sb_printf(b, "%s IS NULL OR %s = ''", t, t);
    int any = 0;
    for (size_t k = 0; k < n_na; k++) {
        if (!na[k][0])
            continue;
        char *low = mql_strdup(na[k]);
        if (!low) {
            b->fail = 1;
            return;
        }
        for (char *p = low; *p; p++)
            if (*p >= 'A' && *p <= 'Z')
                *p = (char)(*p + 32);
        if (!any) {
            sb_put(b, " OR ");
            sb_lower(b, d, t);
            sb_put(b, " IN (");
        }
        sb_put(b, any ? ", " : "");
        sb_lit(b, d, low);
        any = 1;
        free(low);
    }
    if (any)
        sb_put(b, ")");
}

/* WITH mql_c1 .. mql_c4: the helper columns of every column in cs, keys carried. raw != 0 also
 * keeps mql_r<i>, the untrimmed text (the design's cells are typed by table.c, which does not
 * trim). Ends after "mql_c4 AS (...)" with no comma. */
static void sb_cells_ctes(sb *b, const mql_sql_opts *o, const colset *cs, int raw, int *rc,
                          mql_err *err)
{
    mql_sql_dialect d = o->dialect;
    char h[64], h2[64];
    sb_put(b, "WITH ");
    sb_cte(b, d, 1);
    sb_put(b, "\n  SELECT 0 AS mql_0");
    sb_carry(b, o);
    for (size_t i = 0; i < cs->n; i++) {
        sb_put(b, ",\n    ");
        sb t = {0};
        sb_put(&t, "CAST(");
        sb_ident(&t, d, cs->name[i]);
        sb_printf(&t, " AS %s)", text_type(d));
        if (t.fail) {
            b->fail = 1;
            return;
        }
        sb_trim(b, d, t.s, 0);
        sb_printf(b, " AS mql_t%zu", i);
        if (raw)
            sb_printf(b, ", %s AS mql_r%zu", t.s, i);
        free(t.s);
    }
    sb_put(b, "\n  FROM ");
    if ((*rc = sb_table(b, d, o->table, err)))
        return;
    sb_put(b, "\n),\n");
    sb_cte(b, d, 2);
    sb_put(b, "\n  SELECT mql_0");
    sb_carry(b, o);
    for (size_t i = 0; i < cs->n; i++) {
        snprintf(h, sizeof h, "mql_t%zu", i);
        sb_put(b, ",\n    CASE WHEN ");
        sb_missing(b, o, h);
        sb_printf(b, " THEN NULL ELSE %s END AS %s", h, h);
        if (raw) {
            snprintf(h2, sizeof h2, "mql_r%zu", i);
            sb_put(b, ",\n    CASE WHEN ");
            sb_missing(b, o, h2);
            sb_printf(b, " THEN NULL ELSE %s END AS %s", h2, h2);
        }
    }
    sb_put(b, "\n  FROM mql_c1\n),\n");
    sb_cte(b, d, 3);
    sb_put(b, "\n  SELECT mql_0");
    sb_carry(b, o);
    for (size_t i = 0; i < cs->n; i++) {
        snprintf(h, sizeof h, "mql_t%zu", i);
        sb_printf(b, ",\n    %s, ", h);
        sb_lower(b, d, h);
        sb_printf(b, " AS mql_l%zu, ", i);
        sb_trim(b, d, h, 1);
        sb_printf(b, " AS mql_u%zu", i);
        if (raw)
            sb_printf(b, ", mql_r%zu", i);
    }
    sb_put(b, "\n  FROM mql_c2\n),\n");
    sb_cte(b, d, 4);
    sb_put(b, "\n  SELECT mql_0");
    sb_carry(b, o);
    for (size_t i = 0; i < cs->n; i++) {
        char t[32], l[32], u[32];
        snprintf(t, sizeof t, "mql_t%zu", i);
        snprintf(l, sizeof l, "mql_l%zu", i);
        snprintf(u, sizeof u, "mql_u%zu", i);
        sb_printf(b, ",\n    %s, %s,\n    CASE WHEN %s IS NULL THEN NULL"
                  " WHEN %s IN ('true', 'yes', 'y', 't') THEN 1"
                  " WHEN %s IN ('false', 'no', 'n', 'f') THEN 0"
                  " WHEN LENGTH(%s) >= 96 THEN NULL\n      WHEN ", t, l, t, l, l, t);
        sb_regex(b, d, t, RX_GROUPED);
        sb_put(b, " THEN ");
        sb tt = {0};
        sb_printf(&tt, "REPLACE(%s, ',', '')", t);
        if (tt.fail) {
            b->fail = 1;
            return;
        }
        sb_to_double(b, d, tt.s);
        free(tt.s);
        sb_printf(b, "\n      WHEN %s LIKE '%%,%%' THEN NULL WHEN ", t);
        sb_regex(b, d, u, RX_DECIMAL);
        sb_put(b, " THEN ");
        sb_to_double(b, d, u);
        sb_printf(b, " END AS mql_x%zu", i);
        if (raw)
            sb_printf(b, ", mql_r%zu", i);
    }
    sb_put(b, "\n  FROM mql_c3\n)");
}

/* ==== matching ============================================================================== */

/* The = relation of rule.h between the cell of helper i and value cell v. */
static void sb_eq(sb *b, mql_sql_dialect d, size_t i, const mql_cell *v, const char *value)
{
    if (v->is_num) {
        sb_printf(b, "(mql_x%zu IS NOT NULL AND mql_x%zu = ", i, i);
        sb_double(b, d, v->num);
        sb_put(b, ")");
        return;
    }
    char *low = mql_strdup(value);
    if (!low) {
        b->fail = 1;
        return;
    }
    for (char *p = low; *p; p++)
        if (*p >= 'A' && *p <= 'Z')
            *p = (char)(*p + 32);
    sb_printf(b, "(mql_x%zu IS NULL AND mql_l%zu = ", i, i);
    sb_lit(b, d, low);
    sb_put(b, ")");
    free(low);
}

/* Whether condition r matches the cell of helper i (a non-NULL boolean for every lead). */
static void sb_match(sb *b, mql_sql_dialect d, size_t i, const mql_cond *r)
{
    switch (r->op) {
    case MQL_OP_MISSING:
        sb_printf(b, "mql_t%zu IS NULL", i);
        return;
    case MQL_OP_EQ:
    case MQL_OP_IN:
        sb_printf(b, "mql_t%zu IS NOT NULL AND (", i);
        for (size_t k = 0; k < r->n_values; k++) {
            sb_put(b, k ? " OR " : "");
            sb_eq(b, d, i, &r->vcells[k], r->values[k]);
        }
        sb_put(b, ")");
        return;
    case MQL_OP_NE:
        sb_printf(b, "mql_t%zu IS NOT NULL AND NOT ", i);
        sb_eq(b, d, i, &r->vcells[0], r->values[0]);
        return;
    case MQL_OP_GE:
    case MQL_OP_GT:
    case MQL_OP_LE:
    case MQL_OP_LT:
        sb_printf(b, "mql_x%zu %s ", i, mql_op_name(r->op));
        sb_double(b, d, r->lo);
        return;
    case MQL_OP_BETWEEN:
        sb_printf(b, "mql_x%zu >= ", i);
        sb_double(b, d, r->lo);
        sb_printf(b, " AND mql_x%zu <= ", i);
        sb_double(b, d, r->hi);
        return;
    }
}

/* LEAST over the n expressions "prefix<i>" (SQLite: the scalar MIN, which needs two or more). */
static void sb_least_open(sb *b, mql_sql_dialect d, size_t n)
{
    if (n > 1)
        sb_put(b, d == MQL_SQL_SQLITE ? "MIN(" : "LEAST(");
}

/* The role values of a count query, computed from the helpers in stage mql_c5. */
static void sb_flag(sb *b, mql_sql_dialect d, const mql_sql_flag *f, size_t i)
{
    if (!f->column) {
        sb_put(b, "0");
        return;
    }
    double x = 0;
    int numv = f->value && mql_parse_double(f->value, &x) == 0;
    sb_printf(b, "CASE WHEN mql_t%zu IS NOT NULL AND ", i);
    if (f->type == MQL_COL_DATE) {
        sb_put(b, "1 = 1");
    } else if (f->type == MQL_COL_NUMERIC || f->type == MQL_COL_BOOLEAN) {
        mql_cell c;
        mql_cell_from_text(&c, f->value ? f->value : "1", NULL, 0);
        if (f->type == MQL_COL_NUMERIC && f->value && !numv)
            sb_put(b, "1 = 0");
        else if (!c.is_num)
            sb_put(b, "1 = 0");
        else {
            sb_printf(b, "mql_x%zu = ", i);
            sb_double(b, d, c.num);
        }
    } else if (f->value) {  /* categories and auto: value.h's equality with VALUE */
        mql_cell c;
        mql_cell_from_text(&c, f->value, NULL, 0);
        char *tv = mql_strndup(c.text, c.len);
        if (!tv) {
            b->fail = 1;
            return;
        }
        sb_eq(b, d, i, &c, tv);
        free(tv);
    } else {                /* mql_truthy: a true value (1, 1.0, true, yes, y, t) or won */
        sb_printf(b, "(mql_x%zu = 1 OR mql_l%zu = 'won')", i, i);
    }
    sb_put(b, " THEN 1 ELSE 0 END");
}

/* ==== the scoring pipeline ================================================================== */

/* Helper indices of the role columns of a count query (added to the colset after the
 * features); -1 when not given. */
typedef struct roles_ix {
    long won, sql, date, acv;
} roles_ix;

static void sb_roles_from(sb *b, const mql_sql_opts *o, const roles_ix *ix);

/* The rules grouped by feature set (rule.h: a lead matches at most one rule per feature set;
 * sets add up independently): group[r] for each rule, groups numbered in first-rule order. */
typedef struct rule_groups {
    size_t *group;            /* n_rules */
    size_t n;
} rule_groups;

static int same_features(const mql_rule *a, const mql_rule *b)
{
    if (a->n_cond != b->n_cond)
        return 0;
    for (size_t i = 0; i < a->n_cond; i++) {
        size_t k = 0;
        while (k < b->n_cond && strcmp(a->cond[i].feature, b->cond[k].feature) != 0)
            k++;
        if (k == b->n_cond)
            return 0;
    }
    return 1;
}

static int group_rules(const mql_points *m, rule_groups *g)
{
    g->n = 0;
    if (!(g->group = malloc((m->n_rules ? m->n_rules : 1) * sizeof *g->group)))
        return -1;
    for (size_t r = 0; r < m->n_rules; r++) {
        size_t k = 0;
        while (k < r && !same_features(&m->rules[k], &m->rules[r]))
            k++;
        g->group[r] = k < r ? g->group[k] : g->n++;
    }
    return 0;
}

/* The capped sub-scores and total of mql_points_apply_caps: each group sum capped from above,
 * then the total. Writes the three expressions (fit, engagement, score) into f, e, t. */
static void cap_exprs(const mql_points *m, mql_sql_dialect d, char *f, char *e, char *t,
                      size_t cap)
{
    const char *least = d == MQL_SQL_SQLITE ? "MIN" : "LEAST";
    if (m->cap_fit != MQL_NO_CAP)
        snprintf(f, cap, "%s(mql_fit, %ld)", least, m->cap_fit);
    else
        snprintf(f, cap, "mql_fit");
    if (m->cap_engagement != MQL_NO_CAP)
        snprintf(e, cap, "%s(mql_eng, %ld)", least, m->cap_engagement);
    else
        snprintf(e, cap, "mql_eng");
    if (m->cap_total != MQL_NO_CAP)
        snprintf(t, cap, "%s(%s + %s, %ld)", least, f, e, m->cap_total);
    else
        snprintf(t, cap, "(%s + %s)", f, e);
}

/* Stages mql_c5 .. mql_c9 after sb_cells_ctes: per feature set the matched rule (mql_m<g>, the
 * rule index + 1, 0 for none: its conditions ANDed), the fit and engagement sums before caps,
 * each set's reason rank (mql_k<g>: the matched rule's place in the order |points| descending,
 * ties in rule order; S for none or zero points), and the three smallest ranks mql_q1..mql_q3.
 * Count queries pass their roles (computed in mql_c5) and extra, the role aliases carried from
 * there on. */
static void sb_score_ctes(sb *b, const mql_points *m, const mql_sql_opts *o, const colset *cs,
                          const rule_groups *rg, const size_t *rank, size_t S,
                          const roles_ix *roles, const char *extra)
{
    mql_sql_dialect d = o->dialect;
    size_t n_grp = rg->n;
    sb_put(b, ",\n");
    sb_cte(b, o->dialect, 5);
    sb_put(b, "\n  SELECT mql_0");
    sb_carry(b, o);
    if (roles)
        sb_roles_from(b, o, roles);
    for (size_t g = 0; g < n_grp; g++) {
        sb_put(b, ",\n    CASE");
        for (size_t r = 0; r < m->n_rules; r++) {
            if (rg->group[r] != g)
                continue;
            const mql_rule *ru = &m->rules[r];
            sb_put(b, "\n      WHEN ");
            for (size_t c = 0; c < ru->n_cond; c++) {
                sb_put(b, c ? " AND (" : "(");
                sb_match(b, d, (size_t)colset_find(cs, ru->cond[c].feature), &ru->cond[c]);
                sb_put(b, ")");
            }
            sb_printf(b, " THEN %zu", r + 1);
        }
        sb_printf(b, "\n      ELSE 0 END AS mql_m%zu", g);
    }
    sb_put(b, "\n  FROM mql_c4\n),\n");
    sb_cte(b, o->dialect, 6);
    sb_put(b, "\n  SELECT mql_0");
    sb_carry(b, o);
    sb_put(b, extra);
    for (int eng = 0; eng < 2; eng++) {
        sb_put(b, ",\n    0");
        for (size_t g = 0; g < n_grp; g++) {
            int any = 0;
            for (size_t r = 0; r < m->n_rules; r++) {
                const mql_rule *ru = &m->rules[r];
                if (rg->group[r] != g || ru->points == 0 ||
                    (int)(ru->group == MQL_GROUP_ENGAGEMENT) != eng)
                    continue;
                if (!any)
                    sb_printf(b, " + CASE mql_m%zu", g);
                sb_printf(b, " WHEN %zu THEN %ld", r + 1, ru->points);
                any = 1;
            }
            if (any)
                sb_put(b, " ELSE 0 END");
        }
        sb_put(b, eng ? " AS mql_eng" : " AS mql_fit");
    }
    for (size_t g = 0; g < n_grp; g++) {
        sb_printf(b, ",\n    CASE mql_m%zu", g);
        for (size_t r = 0; r < m->n_rules; r++)
            if (rg->group[r] == g && m->rules[r].points != 0)
                sb_printf(b, " WHEN %zu THEN %zu", r + 1, rank[r]);
        sb_printf(b, " ELSE %zu END AS mql_k%zu", S, g);
    }
    sb_put(b, "\n  FROM mql_c5\n)");
    for (int q = 1; q <= 3; q++) {
        sb_put(b, ",\n");
        sb_cte(b, d, 6 + q);
        sb_put(b, "\n  SELECT mql_0");
        sb_carry(b, o);
        sb_put(b, extra);
        sb_put(b, ", mql_fit, mql_eng");
        for (size_t g = 0; g < n_grp; g++)
            sb_printf(b, ", mql_k%zu", g);
        for (int p = 1; p < q; p++)
            sb_printf(b, ", mql_q%d", p);
        sb_put(b, ",\n    ");
        sb_least_open(b, d, n_grp);
        for (size_t g = 0; g < n_grp; g++) {
            sb_put(b, g ? ", " : "");
            if (q == 1)
                sb_printf(b, "mql_k%zu", g);
            else
                sb_printf(b, "CASE WHEN mql_k%zu > mql_q%d THEN mql_k%zu ELSE %zu END", g, q - 1,
                          g, S);
        }
        sb_put(b, n_grp > 1 ? ")" : "");
        sb_printf(b, " AS mql_q%d\n  FROM mql_c%d\n)", q, 5 + q);
    }
}

/* The probability of score expression s by m's map (NULL without one). */
static void sb_prob(sb *b, const mql_points *m, mql_sql_dialect d, const char *s)
{
    if (!m->has_map) {
        sb_printf(b, "CAST(NULL AS %s)", double_type(d));
        return;
    }
    if (m->map_method && strcmp(m->map_method, "isotonic") == 0 && m->n_iso > 0) {
        /* mql_isotonic_predict: clipped to the knots, linear between them, the segment of the
         * first knot >= the score (scipy's interp1d). */
        if (m->n_iso == 1) {
            sb_double(b, d, m->iso_y[0]);
            return;
        }
        sb c = {0};   /* the score clipped to the knots */
        sb_printf(&c, "CASE WHEN %s < ", s);
        sb_double(&c, d, m->iso_x[0]);
        sb_put(&c, " THEN ");
        sb_double(&c, d, m->iso_x[0]);
        sb_printf(&c, " WHEN %s > ", s);
        sb_double(&c, d, m->iso_x[m->n_iso - 1]);
        sb_put(&c, " THEN ");
        sb_double(&c, d, m->iso_x[m->n_iso - 1]);
        sb_printf(&c, " ELSE %s END", s);
        if (c.fail) {
            b->fail = 1;
            return;
        }
        sb_put(b, "CASE");
        for (size_t k = 1; k < m->n_iso; k++) {
            double slope = (m->iso_y[k] - m->iso_y[k - 1]) / (m->iso_x[k] - m->iso_x[k - 1]);
            if (k + 1 < m->n_iso) {
                sb_printf(b, " WHEN %s <= ", c.s);
                sb_double(b, d, m->iso_x[k]);
                sb_put(b, " THEN ");
            } else {
                sb_put(b, " ELSE ");
            }
            sb_double(b, d, slope);
            sb_printf(b, " * (%s - ", c.s);
            sb_double(b, d, m->iso_x[k - 1]);
            sb_put(b, ") + ");
            sb_double(b, d, m->iso_y[k - 1]);
        }
        sb_put(b, " END");
        free(c.s);
        return;
    }
    /* mql_logistic: 1 / (1 + exp(-eta)) for eta >= 0, exp(eta) / (1 + exp(eta)) below */
    sb eta = {0};
    sb_put(&eta, "(");
    sb_double(&eta, d, m->map_a);
    sb_put(&eta, " + ");
    sb_double(&eta, d, m->map_b);
    sb_printf(&eta, " * %s)", s);
    if (eta.fail) {
        b->fail = 1;
        return;
    }
    sb_printf(b, "CASE WHEN %s >= 0 THEN 1.0 / (1.0 + EXP(-%s)) ELSE EXP(%s) / (1.0 + EXP(%s)) END",
              eta.s, eta.s, eta.s, eta.s);
    free(eta.s);
}

static void sb_band(sb *b, const mql_points *m, mql_sql_dialect d, const char *s)
{
    if (!m->n_bands) {
        sb_put(b, "''");
        return;
    }
    sb_put(b, "CASE");
    for (size_t k = 0; k < m->n_bands; k++) {
        const mql_band *bd = &m->bands[k];
        sb_put(b, " WHEN ");
        if (bd->lo == LONG_MIN && bd->hi == LONG_MAX)
            sb_put(b, "1 = 1");
        else if (bd->lo == LONG_MIN)
            sb_printf(b, "%s <= %ld", s, bd->hi);
        else if (bd->hi == LONG_MAX)
            sb_printf(b, "%s >= %ld", s, bd->lo);
        else
            sb_printf(b, "%s >= %ld AND %s <= %ld", s, bd->lo, s, bd->hi);
        sb_put(b, " THEN ");
        sb_lit(b, d, bd->name);
    }
    sb_put(b, " ELSE '' END");
}

/* Ranks of the rules in the reason order (1-based; 0 for rules with no points); returns S, one
 * past the last rank. */
static size_t reason_ranks(const mql_points *m, size_t *rank)
{
    size_t S = 1;
    for (size_t r = 0; r < m->n_rules; r++)
        rank[r] = 0;
    for (;;) {
        long best = -1;
        for (size_t r = 0; r < m->n_rules; r++) {
            if (rank[r] || m->rules[r].points == 0)
                continue;
            if (best < 0 || labs(m->rules[r].points) > labs(m->rules[best].points))
                best = (long)r;
        }
        if (best < 0)
            return S;
        rank[best] = S++;
    }
}

/* The features of m in first-appearance order into cs. */
static int model_features(const mql_points *m, colset *cs, mql_err *err)
{
    if (m->n_rules == 0)
        return mql_err_set(err, MQL_EDATA, "the model has no rules: every lead scores 0");
    for (size_t r = 0; r < m->n_rules; r++)
        for (size_t c = 0; c < m->rules[r].n_cond; c++)
            if (colset_add(cs, m->rules[r].cond[c].feature) < 0)
                return mql_err_set(err, MQL_ENOMEM, "out of memory");
    return MQL_OK;
}

static int finish(sb *b, int rc, char **out, mql_err *err)
{
    if (rc == MQL_OK && b->fail)
        rc = mql_err_set(err, MQL_ENOMEM, "out of memory");
    if (rc) {
        free(b->s);
        return rc;
    }
    *out = b->s;
    return MQL_OK;
}

static void sb_header(sb *b, const mql_sql_opts *o, const char *what)
{
    sb_printf(b, "-- mqlcal %s: %s (%s)\n", MQL_VERSION, what, mql_sql_dialect_name(o->dialect));
}

int mql_sql_score(const mql_points *m, const mql_sql_opts *o, char **out, mql_err *err)
{
    *out = NULL;
    sb b = {0};
    colset cs = {0};
    size_t *rank = calloc(m->n_rules ? m->n_rules : 1, sizeof *rank);
    rule_groups rg = {0};
    int rc = !rank || group_rules(m, &rg) ? mql_err_set(err, MQL_ENOMEM, "out of memory")
                                          : model_features(m, &cs, err);
    if (rc == MQL_OK)
        rc = check_names(o, &cs, err);
    if (rc == MQL_OK) {
        mql_sql_dialect d = o->dialect;
        size_t S = reason_ranks(m, rank);
        sb_header(&b, o, "scoring query, one row per lead");
        sb_cells_ctes(&b, o, &cs, 0, &rc, err);
        if (rc == MQL_OK) {
            sb_score_ctes(&b, m, o, &cs, &rg, rank, S, NULL, "");
            char fe[64], ee[64], s[160];
            cap_exprs(m, d, fe, ee, s, sizeof s);
            sb_put(&b, "\nSELECT ");
            for (size_t k = 0; k < o->n_keys; k++) {
                sb_ident(&b, d, o->keys[k]);
                sb_put(&b, ", ");
            }
            sb_printf(&b, "%s AS score, %s AS fit_score, %s AS engagement_score,\n  ", s, fe,
                      ee);
            sb_prob(&b, m, d, s);
            sb_put(&b, " AS probability,\n  ");
            sb_band(&b, m, d, s);
            sb_printf(&b, " AS band,\n  CASE WHEN %s >= %ld THEN 1 ELSE 0 END AS is_mql", s,
                      m->threshold);
            for (int q = 1; q <= 3; q++) {
                sb_printf(&b, ",\n  CASE mql_q%d", q);
                for (size_t r = 0; r < m->n_rules; r++) {
                    if (!rank[r])
                        continue;
                    char buf[1024];
                    sb_printf(&b, " WHEN %zu THEN ", rank[r]);
                    sb_lit(&b, d, mql_reason_text(&m->rules[r], buf, sizeof buf));
                }
                sb_printf(&b, " ELSE CAST(NULL AS %s) END AS reason_%d", text_type(d), q);
            }
            sb_put(&b, "\nFROM mql_c9;\n");
        }
    }
    free(rank);
    free(rg.group);
    free(cs.name);
    return finish(&b, rc, out, err);
}

static int add_roles(const mql_sql_opts *o, colset *cs, roles_ix *ix, mql_err *err)
{
    ix->won = o->outcome.column ? colset_add(cs, o->outcome.column) : -1;
    ix->sql = o->sql.column ? colset_add(cs, o->sql.column) : -1;
    ix->date = o->date ? colset_add(cs, o->date) : -1;
    ix->acv = o->acv ? colset_add(cs, o->acv) : -1;
    if ((o->outcome.column && ix->won < 0) || (o->sql.column && ix->sql < 0) ||
        (o->date && ix->date < 0) || (o->acv && ix->acv < 0))
        return mql_err_set(err, MQL_ENOMEM, "out of memory");
    if (!o->outcome.column)
        return mql_err_set(err, MQL_EUSAGE, "a count table needs --outcome COL");
    return MQL_OK;
}


/* mql_won, mql_sql, mql_period, mql_acv from the helpers (stage mql_c5 of the count queries). */
static void sb_roles_from(sb *b, const mql_sql_opts *o, const roles_ix *ix)
{
    mql_sql_dialect d = o->dialect;
    sb_put(b, ",\n    ");
    sb_flag(b, d, &o->outcome, (size_t)ix->won);
    sb_put(b, " AS mql_won");
    if (ix->sql >= 0) {
        sb_put(b, ",\n    ");
        sb_flag(b, d, &o->sql, (size_t)ix->sql);
        sb_put(b, " AS mql_sql");
    }
    if (ix->date >= 0)
        sb_printf(b, ",\n    SUBSTR(mql_t%ld, 1, %d)%s AS mql_period", ix->date,
                  o->by_day ? 10 : 7, o->by_day ? "" : " || '-01'");
    if (ix->acv >= 0)
        sb_printf(b, ",\n    mql_x%ld AS mql_acv", ix->acv);
}

/* The carried role aliases and the aggregate columns of a count query. */
static void sb_role_extra(sb *b, const roles_ix *ix)
{
    sb_put(b, ", mql_won");
    if (ix->sql >= 0)
        sb_put(b, ", mql_sql");
    if (ix->date >= 0)
        sb_put(b, ", mql_period");
    if (ix->acv >= 0)
        sb_put(b, ", mql_acv");
}

static void sb_aggregates(sb *b, const mql_sql_opts *o, const roles_ix *ix)
{
    mql_sql_dialect d = o->dialect;
    sb_put(b, "COUNT(*) AS n, SUM(mql_won) AS ");
    sb_ident(b, d, "won");
    if (ix->sql >= 0) {
        sb_put(b, ", SUM(mql_sql) AS ");
        sb_ident(b, d, "sql");
    }
    if (ix->acv >= 0) {
        sb_put(b, ", SUM(CASE WHEN mql_won = 1 THEN mql_acv END) AS ");
        sb_ident(b, d, "acv");
    }
}

int mql_sql_score_counts(const mql_points *m, const mql_sql_opts *o, char **out, mql_err *err)
{
    *out = NULL;
    sb b = {0}, extra = {0};
    colset cs = {0};
    roles_ix ix;
    size_t *rank = calloc(m->n_rules ? m->n_rules : 1, sizeof *rank);
    rule_groups rg = {0};
    int rc = !rank || group_rules(m, &rg) ? mql_err_set(err, MQL_ENOMEM, "out of memory")
                                          : model_features(m, &cs, err);
    if (rc == MQL_OK)
        rc = add_roles(o, &cs, &ix, err);
    if (rc == MQL_OK)
        rc = check_names(o, &cs, err);
    if (rc == MQL_OK) {
        mql_sql_dialect d = o->dialect;
        size_t S = reason_ranks(m, rank);
        sb_role_extra(&extra, &ix);
        sb_header(&b, o, "leads and wins by score");
        sb_cells_ctes(&b, o, &cs, 0, &rc, err);
        if (rc == MQL_OK && !extra.fail) {
            sb_score_ctes(&b, m, o, &cs, &rg, rank, S, &ix, extra.s);
            char fe[64], ee[64], sc[160];
            cap_exprs(m, d, fe, ee, sc, sizeof sc);
            sb_printf(&b, "\nSELECT %s AS score", sc);
            if (ix.date >= 0) {
                sb_put(&b, ", mql_period AS ");
                sb_ident(&b, d, o->date);
            }
            sb_put(&b, ", ");
            sb_aggregates(&b, o, &ix);
            sb_printf(&b, "\nFROM mql_c9\nGROUP BY %s", sc);
            sb_put(&b, ix.date >= 0 ? ", mql_period\nORDER BY 1, 2;\n" : "\nORDER BY 1;\n");
        }
        if (extra.fail)
            b.fail = 1;
    }
    free(extra.s);
    free(rank);
    free(rg.group);
    free(cs.name);
    return finish(&b, rc, out, err);
}

/* ==== the count table of a design =========================================================== */

int mql_sql_cells(const mql_design *dz, const mql_sql_opts *o, char **out, mql_err *err)
{
    *out = NULL;
    sb b = {0};
    colset cs = {0};
    roles_ix ix;
    int rc = MQL_OK;
    for (size_t f = 0; f < dz->n_features && rc == MQL_OK; f++)
        if (colset_add(&cs, dz->features[f].name) < 0)
            rc = mql_err_set(err, MQL_ENOMEM, "out of memory");
    size_t n_feat = cs.n;
    if (rc == MQL_OK && n_feat == 0)
        rc = mql_err_set(err, MQL_EDATA, "the design has no features");
    if (rc == MQL_OK)
        rc = add_roles(o, &cs, &ix, err);
    for (size_t f = 0; f < n_feat && rc == MQL_OK; f++) {
        const char *nm = cs.name[f];
        if ((long)f == ix.won || (long)f == ix.sql || (long)f == ix.date || (long)f == ix.acv ||
            strcmp(nm, "n") == 0 || strcmp(nm, "won") == 0 ||
            (ix.sql >= 0 && strcmp(nm, "sql") == 0) || (ix.acv >= 0 && strcmp(nm, "acv") == 0))
            rc = mql_err_set(err, MQL_EUSAGE, "feature '%s' is also a role or a count column "
                             "(n, won, sql, acv) of the count table", nm);
    }
    if (rc == MQL_OK)
        rc = check_names(o, &cs, err);
    if (rc == MQL_OK) {
        sb_header(&b, o, "leads and wins by cell of the design");
        sb_cells_ctes(&b, o, &cs, 1, &rc, err);
    }
    if (rc == MQL_OK) {
        mql_sql_dialect d = o->dialect;
        /* the group key of each feature: the text (table.c's cell: untrimmed, missing as NULL),
         * or for binned numbers the bin, whose rows show the smallest text of the bin */
        sb_put(&b, ",\n");
        sb_cte(&b, d, 5);
        sb_put(&b, "\n  SELECT mql_0");
        sb_roles_from(&b, o, &ix);
        for (size_t f = 0; f < n_feat; f++) {
            const mql_feature *ft = &dz->features[f];
            if (ft->enc != MQL_ENC_BINNED) {
                sb_printf(&b, ",\n    mql_r%zu AS mql_g%zu", f, f);
                continue;
            }
            /* table.c's number: strtod's syntax without the boolean words or leading space */
            sb_printf(&b, ",\n    mql_r%zu, CASE WHEN mql_l%zu IN ('true', 'yes', 'y', 't', "
                      "'false', 'no', 'n', 'f') OR mql_x%zu IS NULL OR mql_r%zu IS NULL THEN NULL",
                      f, f, f, f);
            for (size_t k = 0; k < ft->n_cuts; k++) {
                sb_printf(&b, " WHEN mql_x%zu < ", f);
                sb_double(&b, d, ft->cuts[k]);
                sb_printf(&b, " THEN %zu", k);
            }
            sb_printf(&b, " ELSE %zu END AS mql_g%zu", ft->n_cuts, f);
        }
        sb_put(&b, "\n  FROM mql_c4\n)\nSELECT ");
        for (size_t f = 0; f < n_feat; f++) {
            if (dz->features[f].enc == MQL_ENC_BINNED)
                sb_printf(&b, "MIN(mql_r%zu) AS ", f);
            else
                sb_printf(&b, "mql_g%zu AS ", f);
            sb_ident(&b, d, cs.name[f]);
            sb_put(&b, ", ");
        }
        if (ix.date >= 0) {
            sb_put(&b, "mql_period AS ");
            sb_ident(&b, d, o->date);
            sb_put(&b, ", ");
        }
        sb_aggregates(&b, o, &ix);
        sb_put(&b, "\nFROM mql_c5\nGROUP BY ");
        for (size_t f = 0; f < n_feat; f++)
            sb_printf(&b, "%smql_g%zu", f ? ", " : "", f);
        if (ix.date >= 0)
            sb_put(&b, ", mql_period");
        sb_put(&b, ";\n");
    }
    free(cs.name);
    return finish(&b, rc, out, err);
}
