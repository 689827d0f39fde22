/* report_html.c: the self-contained HTML report writer: the stylesheet, document structure and
 * tables from mql_tab; the inline SVG charts are report_svg.c's. No scripts or links. */
#include "mqlcal/report_html.h"

#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "report_html_doc.h"

/* ======================================================================================== */
/* Stylesheet                                                                               */
/* ======================================================================================== */

/* System font stack only: the report must render identically offline, with no web fonts. */
static const char css[] =
    ":root{--ink:#1d2330;--muted:#5b6472;--line:#d6dae1;--zebra:#f5f7fa;--accent:#0b5cad;}\n"
    "*{box-sizing:border-box}\n"
    "body{margin:0;color:var(--ink);background:#fff;"
    "font:15px/1.5 system-ui,-apple-system,\"Segoe UI\",Roboto,\"Helvetica Neue\",Arial,"
    "\"Noto Sans\",\"Liberation Sans\",sans-serif}\n"
    ".page{max-width:1000px;margin:0 auto;padding:24px 28px 40px}\n"
    "header.top{border-bottom:3px solid var(--ink);margin-bottom:8px;padding-bottom:10px}\n"
    "h1{font-size:28px;line-height:1.2;margin:8px 0 4px}\n"
    ".subtitle{color:var(--muted);margin:0;font-size:16px}\n"
    "h2{font-size:21px;margin:0 0 8px;padding-top:4px;border-bottom:1px solid var(--line)}\n"
    "h3{font-size:17px;margin:20px 0 6px}\n"
    "section{margin:30px 0}\n"
    "p{margin:8px 0}\n"
    "p.intro{color:var(--muted);margin-bottom:14px}\n"
    "nav.toc{margin:14px 0 4px;font-size:14px}\n"
    "nav.toc ol{margin:0;padding-left:22px;columns:2;column-gap:32px}\n"
    "nav.toc a{color:var(--accent);text-decoration:none}\n"
    "nav.toc a:hover{text-decoration:underline}\n"
    ".bench{display:inline-block;font-size:11px;font-weight:600;letter-spacing:.02em;"
    "text-transform:uppercase;color:#6b4e00;border:1px dashed #a07800;border-radius:3px;"
    "padding:0 5px;margin-right:6px;vertical-align:1px;white-space:nowrap}\n"
    "p.benchmark{color:var(--muted);font-size:14px}\n"
    ".callout{border:1px solid var(--line);border-left-width:6px;border-radius:4px;"
    "padding:8px 14px;margin:12px 0;break-inside:avoid}\n"
    ".callout p{margin:4px 0}\n"
    ".callout-info{border-left:6px solid #0b5cad;background:#f1f6fc}\n"
    ".callout-warning{border-left:6px double #b35900;background:#fdf4ea}\n"
    ".callout-good{border-left:6px dashed #1b7a3d;background:#eef8f1}\n"
    ".callout-title::before{font-weight:700;margin-right:4px}\n"
    ".callout-info .callout-title::before{content:\"Note:\"}\n"
    ".callout-warning .callout-title::before{content:\"Warning:\"}\n"
    ".callout-good .callout-title::before{content:\"Good:\"}\n"
    ".kpis{display:flex;flex-wrap:wrap;gap:12px;margin:14px 0}\n"
    ".kpi{flex:1 1 170px;border:1px solid var(--line);border-radius:6px;padding:10px 14px;"
    "background:var(--zebra);break-inside:avoid}\n"
    ".kpi-label{font-size:13px;color:var(--muted)}\n"
    ".kpi-value{font-size:26px;font-weight:650;line-height:1.25;"
    "font-variant-numeric:tabular-nums}\n"
    ".kpi-note{font-size:12.5px;color:var(--muted)}\n"
    "dl.defs{display:grid;grid-template-columns:max-content 1fr;gap:4px 18px;margin:12px 0}\n"
    "dl.defs dt{font-weight:600}\n"
    "dl.defs dd{margin:0}\n"
    ".table-wrap{overflow-x:auto;margin:14px 0;break-inside:avoid}\n"
    ".table-wrap table+table{margin-top:14px}\n"
    "table{border-collapse:collapse;font-size:13.5px;font-variant-numeric:tabular-nums}\n"
    "caption{text-align:left;font-weight:600;padding-bottom:6px}\n"
    "th,td{padding:4px 10px;border-bottom:1px solid var(--line);text-align:left;"
    "white-space:nowrap}\n"
    "th{border-bottom:2px solid var(--ink);font-weight:600;vertical-align:bottom;"
    "white-space:normal}\n"
    "td.wrap{white-space:normal;overflow-wrap:anywhere;min-width:12em;max-width:26em}\n"
    "th.num,td.num{text-align:right}\n"
    "tbody tr:nth-child(even) td{background:var(--zebra)}\n"
    "tbody tr.hl td{background:#fff1bf;font-weight:700;border-top:2px solid var(--ink);"
    "border-bottom:2px solid var(--ink)}\n"
    ".hl-key{font-weight:700;border:2px solid var(--ink);padding:0 4px;background:#fff1bf}\n"
    ".source{color:var(--muted);font-size:12px;margin:4px 0}\n"
    "figure.chart{margin:18px 0;break-inside:avoid}\n"
    "figure.chart figcaption{font-weight:600;margin-bottom:4px}\n"
    "figure.chart figcaption .source{display:block;font-weight:400}\n"
    "svg.chart{display:block;max-width:100%;height:auto}\n"
    "svg.chart text{font-family:system-ui,-apple-system,\"Segoe UI\",Roboto,Arial,"
    "\"Liberation Sans\",sans-serif;font-size:12px;fill:#1d2330}\n"
    "svg.chart .axis-label{font-size:12.5px;font-weight:600}\n"
    "svg.chart .tick{fill:#444}\n"
    "svg.chart .nodata{fill:#777;font-size:14px}\n"
    "footer{margin-top:36px;padding-top:8px;border-top:1px solid var(--line);"
    "color:var(--muted);font-size:12.5px}\n"
    "@page{margin:12mm}\n"
    "@media print{\n"
    " body{font-size:11pt}\n"
    " .page{max-width:none;padding:0}\n"
    " nav.toc{display:none}\n"
    " .kpi,.callout-info,.callout-warning,.callout-good{background:none}\n"
    " tbody tr:nth-child(even) td{background:none}\n"
    " tbody tr.hl td{background:none}\n"
    " .table-wrap{overflow:visible}\n"
    " h2,h3{break-after:avoid}\n"
    " table,figure,.kpis,.callout,dl.defs{break-inside:avoid}\n"
    " a{color:inherit;text-decoration:none}\n"
    "}\n";

/* ======================================================================================== */
/* Low-level writing                                                                        */
/* ======================================================================================== */

int mql_html_fail(mql_html *doc, int status, const char *fmt, ...)
{
    if (doc->status == MQL_OK) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(doc->err.msg, sizeof doc->err.msg, fmt, ap);
        va_end(ap);
        doc->status = status;
    }
    return doc->status;
}

int mql_html_done(mql_html *doc)
{
    if (doc->status == MQL_OK && ferror(doc->f))
        mql_html_fail(doc, MQL_EIO, "HTML report: write error");
    return doc->status;
}

void mql_html_esc(FILE *f, const char *s)
{
    if (!s)
        return;
    for (; *s; s++) {
        switch (*s) {
        case '&': fputs("&amp;", f); break;
        case '<': fputs("&lt;", f); break;
        case '>': fputs("&gt;", f); break;
        case '"': fputs("&quot;", f); break;
        case '\'': fputs("&#39;", f); break;
        default: fputc(*s, f);
        }
    }
}

/* mql_html_esc(), with a <wbr> (a line-break opportunity) after every character of `after`:
 * table headers break after '_', long cell values after '|' and ','. */
static void esc_wbr(FILE *f, const char *s, const char *after)
{
    char one[2] = {0, 0};
    for (; s && *s; s++) {
        one[0] = *s;
        mql_html_esc(f, one);
        if (strchr(after, *s))
            fputs("<wbr>", f);
    }
}

/* ======================================================================================== */
/* Document                                                                                 */
/* ======================================================================================== */

mql_html *mql_html_begin(FILE *f, const char *title, const char *subtitle)
{
    mql_html *doc = calloc(1, sizeof *doc);
    if (!doc)
        return NULL;
    doc->f = f;
    fputs("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
          "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>", f);
    mql_html_esc(f, title);
    fputs("</title>\n<style>\n", f);
    fputs(css, f);
    fputs("</style>\n</head>\n<body>\n<div class=\"page\">\n<header class=\"top\">\n<h1>", f);
    mql_html_esc(f, title);
    fputs("</h1>\n", f);
    if (subtitle) {
        fputs("<p class=\"subtitle\">", f);
        mql_html_esc(f, subtitle);
        fputs("</p>\n", f);
    }
    fputs("</header>\n<main>\n", f);
    mql_html_done(doc);
    return doc;
}

void mql_html_free(mql_html *doc)
{
    if (!doc)
        return;
    for (size_t i = 0; i < doc->n_ids; i++)
        free(doc->ids[i]);
    free(doc->ids);
    free(doc);
}

static void close_section(mql_html *doc)
{
    if (doc->in_section) {
        fputs("</section>\n", doc->f);
        doc->in_section = 0;
    }
}

int mql_html_end(mql_html *doc, const char *footer, mql_err *err)
{
    if (!doc)
        return mql_err_set(err, MQL_ENOMEM, "HTML report: no document (out of memory)");
    if (doc->status == MQL_OK) {
        FILE *f = doc->f;
        close_section(doc);
        fputs("</main>\n", f);
        if (footer) {
            fputs("<footer>", f);
            mql_html_esc(f, footer);
            fputs("</footer>\n", f);
        }
        fputs("</div>\n</body>\n</html>\n", f);
        if (fflush(f) != 0)
            mql_html_fail(doc, MQL_EIO, "HTML report: write error");
        mql_html_done(doc);
    }
    int st = doc->status;
    if (st != MQL_OK)
        mql_err_set(err, st, "%s", doc->err.msg);
    mql_html_free(doc);
    return st;
}

/* HTML ids we emit are [A-Za-z][A-Za-z0-9_-]*: safe in attributes and in "#id" links. */
static int valid_id(const char *id)
{
    if (!id || !((*id >= 'a' && *id <= 'z') || (*id >= 'A' && *id <= 'Z')))
        return 0;
    for (const char *p = id; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
              *p == '-' || *p == '_'))
            return 0;
    return 1;
}

int mql_html_nav(mql_html *doc, const char *const *ids, const char *const *labels, size_t n)
{
    if (doc->status)
        return doc->status;
    for (size_t i = 0; i < n; i++)
        if (!valid_id(ids[i]))
            return mql_html_fail(doc, MQL_EDATA,
                                 "HTML report: contents entry %zu: '%s' is not a valid id", i + 1,
                                 ids[i] ? ids[i] : "(null)");
    FILE *f = doc->f;
    fputs("<nav class=\"toc\">\n<ol>\n", f);
    for (size_t i = 0; i < n; i++) {
        fprintf(f, "<li><a href=\"#%s\">", ids[i]);
        mql_html_esc(f, labels ? labels[i] : ids[i]);
        fputs("</a></li>\n", f);
    }
    fputs("</ol>\n</nav>\n", f);
    return mql_html_done(doc);
}

int mql_html_section(mql_html *doc, const char *id, const char *heading, const char *intro)
{
    if (doc->status)
        return doc->status;
    if (!valid_id(id))
        return mql_html_fail(doc, MQL_EDATA,
                             "HTML report: section id '%s' must start with a letter and hold only "
                             "letters, digits, '-' and '_'", id ? id : "(null)");
    for (size_t i = 0; i < doc->n_ids; i++)
        if (strcmp(doc->ids[i], id) == 0)
            return mql_html_fail(doc, MQL_EDATA, "HTML report: section id '%s' used twice", id);
    if (doc->n_ids == doc->cap_ids) {
        size_t cap = doc->cap_ids ? 2 * doc->cap_ids : 16;
        char **p = realloc(doc->ids, cap * sizeof *p);
        if (!p)
            return mql_html_fail(doc, MQL_ENOMEM, "HTML report: out of memory");
        doc->ids = p;
        doc->cap_ids = cap;
    }
    if (!(doc->ids[doc->n_ids] = mql_strdup(id)))
        return mql_html_fail(doc, MQL_ENOMEM, "HTML report: out of memory");
    doc->n_ids++;
    FILE *f = doc->f;
    close_section(doc);
    fprintf(f, "<section id=\"%s\">\n<h2>", id);
    mql_html_esc(f, heading);
    fputs("</h2>\n", f);
    if (intro) {
        fputs("<p class=\"intro\">", f);
        mql_html_esc(f, intro);
        fputs("</p>\n", f);
    }
    doc->in_section = 1;
    return mql_html_done(doc);
}

/* <tag class="cls">text</tag> on one line; cls may be NULL. */
static int element(mql_html *doc, const char *tag, const char *cls, const char *text)
{
    if (doc->status)
        return doc->status;
    if (cls)
        fprintf(doc->f, "<%s class=\"%s\">", tag, cls);
    else
        fprintf(doc->f, "<%s>", tag);
    mql_html_esc(doc->f, text);
    fprintf(doc->f, "</%s>\n", tag);
    return mql_html_done(doc);
}

int mql_html_subheading(mql_html *doc, const char *text)
{
    return element(doc, "h3", NULL, text);
}

int mql_html_para(mql_html *doc, const char *text)
{
    return element(doc, "p", NULL, text);
}

int mql_html_paraf(mql_html *doc, const char *fmt, ...)
{
    if (doc->status)
        return doc->status;
    va_list ap;
    va_start(ap, fmt);
    int len = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (len < 0)
        return mql_html_fail(doc, MQL_EDATA, "HTML report: paragraph format '%s' failed", fmt);
    char *buf = malloc((size_t)len + 1);
    if (!buf)
        return mql_html_fail(doc, MQL_ENOMEM, "HTML report: out of memory");
    va_start(ap, fmt);
    vsnprintf(buf, (size_t)len + 1, fmt, ap);
    va_end(ap);
    int st = element(doc, "p", NULL, buf);
    free(buf);
    return st;
}

int mql_html_benchmark(mql_html *doc, const char *text)
{
    if (doc->status)
        return doc->status;
    fputs("<p class=\"benchmark\"><span class=\"bench\">benchmark from practice</span>", doc->f);
    mql_html_esc(doc->f, text);
    fputs("</p>\n", doc->f);
    return mql_html_done(doc);
}

int mql_html_callout(mql_html *doc, mql_callout_kind kind, const char *title, const char *text)
{
    if (doc->status)
        return doc->status;
    static const char *const cls[] = {"callout-info", "callout-warning", "callout-good"};
    if ((unsigned)kind > MQL_CALLOUT_GOOD)
        return mql_html_fail(doc, MQL_EDATA, "HTML report: unknown callout kind %d", (int)kind);
    FILE *f = doc->f;
    fprintf(f, "<div class=\"callout %s\">\n<p class=\"callout-title\"><strong>", cls[kind]);
    mql_html_esc(f, title);
    fputs("</strong></p>\n<p>", f);
    mql_html_esc(f, text);
    fputs("</p>\n</div>\n", f);
    return mql_html_done(doc);
}

int mql_html_kpis(mql_html *doc, const mql_kpi *kpis, size_t n)
{
    if (doc->status)
        return doc->status;
    FILE *f = doc->f;
    fputs("<div class=\"kpis\">\n", f);
    for (size_t i = 0; i < n; i++) {
        fputs("<div class=\"kpi\">\n<div class=\"kpi-label\">", f);
        mql_html_esc(f, kpis[i].label);
        fputs("</div>\n<div class=\"kpi-value\">", f);
        mql_html_esc(f, kpis[i].value);
        fputs("</div>\n", f);
        if (kpis[i].note || kpis[i].benchmark) {
            fputs("<div class=\"kpi-note\">", f);
            if (kpis[i].benchmark)
                fputs("<span class=\"bench\">benchmark from practice</span>", f);
            mql_html_esc(f, kpis[i].note);
            fputs("</div>\n", f);
        }
        fputs("</div>\n", f);
    }
    fputs("</div>\n", f);
    return mql_html_done(doc);
}

int mql_html_deflist(mql_html *doc, const char *const *terms, const char *const *defs, size_t n)
{
    if (doc->status)
        return doc->status;
    FILE *f = doc->f;
    fputs("<dl class=\"defs\">\n", f);
    for (size_t i = 0; i < n; i++) {
        fputs("<dt>", f);
        mql_html_esc(f, terms[i]);
        fputs("</dt>\n<dd>", f);
        mql_html_esc(f, defs[i]);
        fputs("</dd>\n", f);
    }
    fputs("</dl>\n", f);
    return mql_html_done(doc);
}

/* ---- tables that fit the page ----------------------------------------------------------------
 * A table must fit the page on screen and in print. The narrowest page is the printed one: A4 or
 * Letter less the 12 mm @page margins, about 700 CSS px. Column widths are estimated from their
 * text (13.5px sans: at most about 8 px a character, 20 px of padding a cell): a text column whose
 * longest cell exceeds WRAP_CHARS wraps (class "wrap": 12-26 em wide, breaking at spaces and after
 * '|' and ','), headers break after '_'. A table whose columns still exceed TABLE_PX is split into
 * parts, each repeating the first column (the row's key) and the highlighted row. */
#define TABLE_PX 660.0
#define CHAR_PX 8.0
#define CELL_PAD_PX 20.0
#define WRAP_CHARS 28
#define WRAP_MIN_CHARS 22   /* 12 em at 13.5px, in characters */

/* Characters of s (UTF-8 aware), and the longest run without a break opportunity (a space, or
 * after one of `breaks`). */
static void text_extent(const char *s, const char *breaks, size_t *chars, size_t *word)
{
    size_t n = 0, run = 0, best = 0;
    for (; s && *s; s++) {
        if (((unsigned char)*s & 0xC0) == 0x80)
            continue;
        n++;
        if (*s == ' ') {
            run = 0;
            continue;
        }
        run++;
        best = run > best ? run : best;
        if (strchr(breaks, *s))
            run = 0;
    }
    *chars = n;
    *word = best;
}

/* One part of a table: columns cols[0..n). */
static void table_part(FILE *f, const mql_tab *t, const size_t *cols, size_t n,
                       const unsigned char *numcol, const unsigned char *wrap, size_t highlight)
{
    size_t nr = mql_tab_rows(t);
    fputs("<thead>\n<tr>", f);
    for (size_t k = 0; k < n; k++) {
        fputs(numcol[cols[k]] ? "<th class=\"num\">" : "<th>", f);
        esc_wbr(f, mql_tab_name(t, cols[k]), "_");
        fputs("</th>", f);
    }
    fputs("</tr>\n</thead>\n<tbody>\n", f);
    for (size_t i = 0; i < nr; i++) {
        fputs(i == highlight ? "<tr class=\"hl\">" : "<tr>", f);
        for (size_t k = 0; k < n; k++) {
            int isnum = 0;
            const char *s = mql_tab_cell(t, i, cols[k], &isnum);
            fputs(isnum ? "<td class=\"num\">" : wrap[cols[k]] ? "<td class=\"wrap\">" : "<td>", f);
            if (wrap[cols[k]])
                esc_wbr(f, s, "|,");
            else
                mql_html_esc(f, s);
            fputs("</td>", f);
        }
        fputs("</tr>\n", f);
    }
    fputs("</tbody>\n", f);
}

int mql_html_table(mql_html *doc, const mql_tab *t, const char *caption, const char *source,
                   size_t highlight, const char *highlight_note)
{
    if (doc->status)
        return doc->status;
    if (!t)
        return mql_html_fail(doc, MQL_EDATA, "HTML report: table '%s' is missing",
                             caption ? caption : "(no caption)");
    size_t nr = mql_tab_rows(t), nc = mql_tab_cols(t);
    /* A column is numeric (header right-aligned over right-aligned numbers) when any cell is. */
    unsigned char *numcol = calloc(nc ? nc : 1, 2);
    double *px = calloc(nc ? nc : 1, sizeof *px);
    size_t *cols = malloc((nc ? nc : 1) * sizeof *cols);
    if (!numcol || !px || !cols) {
        free(numcol);
        free(px);
        free(cols);
        return mql_html_fail(doc, MQL_ENOMEM, "HTML report: out of memory");
    }
    unsigned char *wrap = numcol + (nc ? nc : 1);
    size_t *longest = cols;   /* scratch until the split: longest cell of each column */
    for (size_t j = 0; j < nc; j++) {
        size_t chars, word;
        text_extent(mql_tab_name(t, j), "_", &chars, &word);
        longest[j] = 0;
        px[j] = (double)word;
    }
    for (size_t i = 0; i < nr; i++)
        for (size_t j = 0; j < nc; j++) {
            int isnum = 0;
            size_t chars, word;
            text_extent(mql_tab_cell(t, i, j, &isnum), "|,", &chars, &word);
            numcol[j] |= (unsigned char)(isnum != 0);
            longest[j] = chars > longest[j] ? chars : longest[j];
        }
    for (size_t j = 0; j < nc; j++) {
        wrap[j] = !numcol[j] && longest[j] > WRAP_CHARS;
        double w = wrap[j] ? WRAP_MIN_CHARS : (double)longest[j];
        px[j] = (w > px[j] ? w : px[j]) * CHAR_PX + CELL_PAD_PX;
    }
    /* Parts: greedy runs of columns after the first that fit beside it. */
    size_t n_parts = 0, parts_of[64];
    for (size_t j = 1; j < nc;) {
        double used = px[0] + px[j];
        size_t e = j + 1;
        while (e < nc && used + px[e] <= TABLE_PX)
            used += px[e++];
        if (n_parts < sizeof parts_of / sizeof *parts_of)
            parts_of[n_parts++] = e;
        else
            parts_of[n_parts - 1] = nc;
        j = e;
    }
    if (n_parts == 0)
        parts_of[n_parts++] = nc;
    FILE *f = doc->f;
    fputs("<div class=\"table-wrap\">\n", f);
    for (size_t p = 0, j = 1; p < n_parts; p++) {
        size_t n = 0;
        cols[n++] = 0;
        for (; j < parts_of[p]; j++)
            cols[n++] = j;
        fputs("<table>\n", f);
        if (caption) {
            fputs("<caption>", f);
            mql_html_esc(f, caption);
            if (n_parts > 1)
                fprintf(f, " (part %zu of %zu)", p + 1, n_parts);
            fputs("</caption>\n", f);
        }
        table_part(f, t, cols, nc ? n : 0, numcol, wrap, highlight);
        fputs("</table>\n", f);
    }
    if (highlight < nr && highlight_note) {
        fputs("<p class=\"source\"><span class=\"hl-key\">highlighted</span> ", f);
        mql_html_esc(f, highlight_note);
        fputs("</p>\n", f);
    }
    if (source) {
        fputs("<p class=\"source\">source: ", f);
        mql_html_esc(f, source);
        fputs("</p>\n", f);
    }
    fputs("</div>\n", f);
    free(numcol);
    free(px);
    free(cols);
    return mql_html_done(doc);
}
