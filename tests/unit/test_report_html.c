/* test_report_html.c: the HTML report writer: well-formed nesting, escaping, no external
 * references, tables equal to their mql_tab cells, nice ticks, degenerate charts (no NaN, every
 * coordinate inside the viewBox) and each error path.
 * Run with "--sample FILE" to write the sample document (for a visual check in a browser). */
#include "testutil.h"
#include "mqlcal/report_html.h"

#include <ctype.h>
#include <strings.h>

#define HOSTILE "<script>alert(\"x\")</script> & 'q'"
#define HOSTILE_ESC "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;q&#39;"

/* ---- helpers -------------------------------------------------------------------------------- */

/* A document written to memory: begin on an open_memstream, then finish() returns the text. */
typedef struct membuf {
    FILE *f;
    char *text;
    size_t len;
} membuf;

static mql_html *mem_begin(membuf *m, const char *title)
{
    m->text = NULL;
    m->len = 0;
    m->f = open_memstream(&m->text, &m->len);
    assert_non_null(m->f);
    mql_html *doc = mql_html_begin(m->f, title, "subtitle");
    assert_non_null(doc);
    return doc;
}

static char *mem_end(membuf *m, mql_html *doc)
{
    mql_err err = {{0}};
    int st = mql_html_end(doc, "footer line", &err);
    if (st != MQL_OK)
        fail_msg("mql_html_end: %d %s", st, err.msg);
    fclose(m->f);
    return m->text;
}

static size_t count(const char *hay, const char *needle)
{
    size_t n = 0;
    for (const char *p = hay; (p = strstr(p, needle)); p += strlen(needle))
        n++;
    return n;
}

/* Elements the writer emits without a closing tag. */
static int is_void(const char *name)
{
    return strcmp(name, "meta") == 0 || strcmp(name, "br") == 0 || strcmp(name, "wbr") == 0;
}

/* Checks that every opened element is closed in order (a stack of tag names); self-closing
 * "<x/>" and void elements do not open. The <style> body is skipped (CSS is not markup). Returns
 * 1 when well formed, else 0 with a message in why. */
static int well_formed(const char *s, char *why, size_t cap)
{
    char stack[64][16];
    size_t depth = 0;
    const char *p = s;
    if (strncmp(p, "<!DOCTYPE html>", 15) != 0) {
        snprintf(why, cap, "no doctype");
        return 0;
    }
    p += 15;
    while ((p = strchr(p, '<'))) {
        const char *q = strchr(p, '>');
        if (!q) {
            snprintf(why, cap, "unterminated tag at offset %td", p - s);
            return 0;
        }
        int closing = p[1] == '/';
        const char *n = p + 1 + closing;
        size_t len = 0;
        while (isalnum((unsigned char)n[len]))
            len++;
        if (len == 0 || len >= 16) {
            snprintf(why, cap, "bad tag name at offset %td", p - s);
            return 0;
        }
        char name[16];
        memcpy(name, n, len);
        name[len] = '\0';
        if (closing) {
            if (depth == 0 || strcmp(stack[depth - 1], name) != 0) {
                snprintf(why, cap, "</%s> closes <%s> at offset %td", name,
                         depth ? stack[depth - 1] : "(nothing)", p - s);
                return 0;
            }
            depth--;
        } else if (q[-1] != '/' && !is_void(name)) {
            if (depth == 64) {
                snprintf(why, cap, "nesting too deep");
                return 0;
            }
            memcpy(stack[depth++], name, len + 1);   /* len < 16 checked above */
            if (strcmp(name, "style") == 0) {
                q = strstr(q, "</style>");
                if (!q) {
                    snprintf(why, cap, "<style> not closed");
                    return 0;
                }
                p = q;
                continue;
            }
        }
        p = q + 1;
    }
    if (depth != 0) {
        snprintf(why, cap, "<%s> never closed", stack[depth - 1]);
        return 0;
    }
    return 1;
}

static void assert_well_formed(const char *s)
{
    char why[200];
    if (!well_formed(s, why, sizeof why))
        fail_msg("not well formed: %s", why);
}

/* No word "nan" or "inf" (any case) outside longer words, e.g. "callout-info" is fine. */
static void assert_no_nan(const char *s)
{
    static const char *const bad[] = {"nan", "inf"};
    for (int b = 0; b < 2; b++)
        for (const char *p = s; *p; p++)
            if (strncasecmp(p, bad[b], 3) == 0 && (p == s || !isalpha((unsigned char)p[-1])) &&
                !isalpha((unsigned char)p[3]))
                fail_msg("'%.3s' at offset %td: ...%.40s", p, p - s, p > s + 20 ? p - 20 : s);
}

/* Attribute value of name in the tag text [tag, end) (e.g. ` x="12.5"`), or NULL. */
static const char *attr_in(const char *tag, const char *end, const char *name, char *buf,
                           size_t cap)
{
    size_t nl = strlen(name);
    for (const char *p = tag; p + nl + 2 < end; p++)
        if (p[-1] == ' ' && strncmp(p, name, nl) == 0 && p[nl] == '=' && p[nl + 1] == '"') {
            const char *v = p + nl + 2, *e = strchr(v, '"');
            size_t len = (size_t)(e - v) < cap - 1 ? (size_t)(e - v) : cap - 1;
            memcpy(buf, v, len);
            buf[len] = '\0';
            return buf;
        }
    return NULL;
}

static void check_range(double v, double lo, double hi, const char *what, const char *tag)
{
    if (!(v >= lo && v <= hi))
        fail_msg("%s = %g outside [%g, %g] in %.80s", what, v, lo, hi, tag);
}

/* For every <svg> in s: parses its viewBox "0 0 W H" and checks each element's coordinates
 * (x, y, x1, y1, x2, y2, cx, cy, points, x + width, y + height, translate) lie within it.
 * Returns the number of charts checked. */
static size_t assert_inside_viewbox(const char *s)
{
    size_t charts = 0;
    for (const char *p = s; (p = strstr(p, "<svg ")); charts++) {
        const char *end = strstr(p, "</svg>");
        assert_non_null(end);
        double W = 0, H = 0;
        const char *vb = strstr(p, "viewBox=\"0 0 ");
        assert_true(vb && vb < end);
        assert_int_equal(sscanf(vb, "viewBox=\"0 0 %lf %lf\"", &W, &H), 2);
        assert_true(W > 0 && H > 0);
        const char *t = strchr(p, '>') + 1;
        while ((t = strchr(t, '<')) && t < end) {
            const char *te = strchr(t, '>');
            char buf[4096];
            static const char *const xs[] = {"x", "x1", "x2", "cx"};
            static const char *const ys[] = {"y", "y1", "y2", "cy"};
            for (int k = 0; k < 4; k++) {
                if (attr_in(t, te, xs[k], buf, sizeof buf))
                    check_range(strtod(buf, NULL), 0, W, xs[k], t);
                if (attr_in(t, te, ys[k], buf, sizeof buf))
                    check_range(strtod(buf, NULL), 0, H, ys[k], t);
            }
            char b2[64];
            if (attr_in(t, te, "width", buf, sizeof buf) && attr_in(t, te, "x", b2, sizeof b2))
                check_range(strtod(b2, NULL) + strtod(buf, NULL), 0, W, "x + width", t);
            if (attr_in(t, te, "height", buf, sizeof buf) && attr_in(t, te, "y", b2, sizeof b2))
                check_range(strtod(b2, NULL) + strtod(buf, NULL), 0, H, "y + height", t);
            if (attr_in(t, te, "points", buf, sizeof buf)) {
                char *q = buf;
                size_t pairs = 0;
                for (;;) {
                    char *e1;
                    double x = strtod(q, &e1);
                    if (e1 == q)
                        break;
                    assert_true(*e1 == ',');
                    double y = strtod(e1 + 1, &q);
                    check_range(x, 0, W, "point x", t);
                    check_range(y, 0, H, "point y", t);
                    pairs++;
                }
                assert_true(pairs >= 2);
            }
            const char *tr = strstr(t, "translate(");
            if (tr && tr < te) {
                double x, y;
                assert_int_equal(sscanf(tr, "translate(%lf %lf)", &x, &y), 2);
                check_range(x, 0, W, "translate x", t);
                check_range(y, 0, H, "translate y", t);
            }
            t = te + 1;
        }
        p = end;
    }
    return charts;
}

/* Reverses the writer's escaping (for comparing cell text). */
static void unescape(const char *in, size_t n, char *out, size_t cap)
{
    static const char *const ent[] = {"&amp;", "&lt;", "&gt;", "&quot;", "&#39;"};
    static const char chr[] = "&<>\"'";
    size_t o = 0;
    for (size_t i = 0; i < n && o + 1 < cap;) {
        int hit = 0;
        if (i + 5 <= n && strncmp(in + i, "<wbr>", 5) == 0) {   /* a break opportunity */
            i += 5;
            continue;
        }
        for (int k = 0; k < 5 && !hit; k++) {
            size_t l = strlen(ent[k]);
            if (i + l <= n && strncmp(in + i, ent[k], l) == 0) {
                out[o++] = chr[k];
                i += l;
                hit = 1;
            }
        }
        if (!hit)
            out[o++] = in[i++];
    }
    out[o] = '\0';
}

/* ---- the sample document -------------------------------------------------------------------- */

/* Threshold sweep 30..100 by 5 (15 rows): plausible rates that rise with the threshold while
 * recall and volume fall, with interval bands. */
#define NT 15
static double th[NT], sql_rate[NT], sql_lo[NT], sql_hi[NT], won_rate[NT], recall[NT], volume[NT];

static void fill_sweep(void)
{
    for (int i = 0; i < NT; i++) {
        double t = 30 + 5 * i, u = i / (double)(NT - 1);
        th[i] = t;
        sql_rate[i] = 0.12 + 0.33 * u * u + 0.02 * sin(i);
        sql_lo[i] = sql_rate[i] - 0.02 - 0.05 * u;
        sql_hi[i] = sql_rate[i] + 0.02 + 0.06 * u;
        won_rate[i] = 0.021 + 0.1 * u * u;
        recall[i] = 0.97 - 0.75 * u;
        volume[i] = floor(2400 * exp(-2.6 * u));
    }
    sql_lo[3] = NAN;   /* a gap in the band */
}

static mql_tab *sweep_table(void)
{
    static const char *const names[] = {"threshold", "mqls_per_month", "mql_to_sql", "recall",
                                        "note"};
    mql_tab *t = mql_tab_new(5, names);
    assert_non_null(t);
    for (int i = 0; i < NT; i++) {
        assert_int_equal(mql_tab_row(t), 0);
        assert_int_equal(mql_tab_add_int(t, (long long)th[i]), 0);
        assert_int_equal(mql_tab_add_num(t, volume[i], "%.0f"), 0);
        assert_int_equal(mql_tab_add_num(t, sql_rate[i], "%.4f"), 0);
        assert_int_equal(mql_tab_add_num(t, i == 5 ? NAN : recall[i], "%.3f"), 0);
        assert_int_equal(mql_tab_add_str(t, i == 8 ? HOSTILE : i == 2 ? NULL : "ok"), 0);
    }
    return t;
}

static const char *const section_ids[] = {"summary", "thresholds", "calibration",
                                          "distribution", "gains", "grades", "definitions",
                                          "edge-cases"};

/* Every element and chart type, plus degenerate charts in the last section. */
static void build_sample(mql_html *doc)
{
    fill_sweep();
    static const char *const labels[] = {"Summary", "Thresholds", "Calibration", "Distribution",
                                         "Gains", "Grade matrix", "Definitions", "Edge cases"};
    assert_int_equal(mql_html_nav(doc, section_ids, labels, 8), MQL_OK);

    assert_int_equal(mql_html_section(doc, "summary", "Summary",
                                      "What the current model does and what the new one changes."),
                     MQL_OK);
    mql_kpi k[] = {
        {"Leads analysed", "48,210", "Jan 2024 - Dec 2024", 0},
        {"AUC (new model)", "0.781", "current model: 0.702", 0},
        {"MQL-to-SQL at 70", "27.4%", "95% CI 25.1% - 29.8%", 0},
        {"MQL-to-SQL, typical", "13-27%", NULL, 1},
    };
    assert_int_equal(mql_html_kpis(doc, k, 4), MQL_OK);
    assert_int_equal(mql_html_callout(doc, MQL_CALLOUT_WARNING, "Threshold 75 is too strict",
                                      "It passes 410 MQLs a month; SDR capacity is 900."),
                     MQL_OK);
    assert_int_equal(mql_html_callout(doc, MQL_CALLOUT_GOOD, "Calibration holds",
                                      "Observed rates lie within the intervals in 9 of 10 bands."),
                     MQL_OK);
    assert_int_equal(mql_html_callout(doc, MQL_CALLOUT_INFO, HOSTILE, HOSTILE), MQL_OK);
    assert_int_equal(mql_html_paraf(doc, "%d leads younger than %d days were censored; %s", 1204,
                                    60, HOSTILE), MQL_OK);
    assert_int_equal(mql_html_benchmark(doc, "MQL-to-SQL conversion is commonly 13-27% in B2B."),
                     MQL_OK);

    assert_int_equal(mql_html_section(doc, "thresholds", "Threshold trade-off", NULL), MQL_OK);
    mql_series s[] = {
        {"MQL-to-SQL", sql_rate, sql_lo, sql_hi, 0},
        {"MQL-to-won", won_rate, NULL, NULL, 0},
        {"recall of won deals", recall, NULL, NULL, 0},
        {"MQLs per month (right axis)", volume, NULL, NULL, 1},
    };
    mql_marker mk[] = {{70, "recommended: 70"}, {75, "current: 75"}, {500, "off the chart"}};
    mql_line_chart lc = {
        .title = "Conversion, recall and volume by threshold", .source = "thresholds.csv",
        .x = th, .n = NT, .series = s, .n_series = 4,
        .x_axis = {"MQL threshold (points)", MQL_AXIS_NUM, 0, 0, 0},
        .y_axis = {"rate", MQL_AXIS_PCT, 1, 0, 0},
        .y2_axis = {"MQLs per month", MQL_AXIS_INT, 1, 0, 0},
        .markers = mk, .n_markers = 3, .band_name = "shaded: 95% Wilson interval",
    };
    assert_int_equal(mql_html_line_chart(doc, &lc), MQL_OK);
    mql_tab *t = sweep_table();
    assert_int_equal(mql_html_table(doc, t, "Candidate thresholds", "thresholds.csv", 8,
                                    "recommended threshold"), MQL_OK);
    mql_tab_free(t);

    assert_int_equal(mql_html_section(doc, "calibration", "Calibration", "Predicted vs observed."),
                     MQL_OK);
    double pred[] = {0.012, 0.025, 0.04, 0.061, 0.085, 0.11, 0.15, 0.21, 0.27, 0.36};
    double obs[] = {0.010, 0.029, 0.037, 0.066, 0.079, 0.125, 0.14, 0.23, 0.25, 0.41};
    double lo[10], hi[10];
    for (int i = 0; i < 10; i++) {
        lo[i] = obs[i] * 0.75;
        hi[i] = obs[i] * 1.3 + 0.005;
    }
    mql_reliability_chart rc = {
        .title = "Reliability: predicted vs observed won rate", .source = "calibration.csv",
        .pred = pred, .obs = obs, .lo = lo, .hi = hi, .n = 10,
        .points_name = "observed won rate (95% Wilson interval)",
        .x_axis = {"predicted P(won)", MQL_AXIS_PCT, 1, 0, 0},
        .y_axis = {"observed won rate", MQL_AXIS_PCT, 1, 0, 0},
    };
    assert_int_equal(mql_html_reliability_chart(doc, &rc), MQL_OK);

    assert_int_equal(mql_html_section(doc, "distribution", "Score distribution", NULL), MQL_OK);
    double edges[11], won[10], lost[10];
    for (int i = 0; i <= 10; i++)
        edges[i] = 10.0 * i;
    for (int i = 0; i < 10; i++) {
        double m = 5 + 10 * i;
        won[i] = exp(-pow((m - 68) / 16, 2)) * 0.35;
        lost[i] = exp(-pow((m - 35) / 18, 2)) * 0.26;
    }
    mql_histogram_chart hc = {
        .title = "Score distribution, won vs lost", .source = "bands.csv",
        .edges = edges, .n_bins = 10, .a = lost, .b = won,
        .a_name = "lost", .b_name = "won",
        .x_axis = {"score (points)", MQL_AXIS_NUM, 0, 0, 0},
        .y_axis = {"share of group", MQL_AXIS_PCT, 1, 0, 0},
    };
    assert_int_equal(mql_html_histogram_chart(doc, &hc), MQL_OK);

    assert_int_equal(mql_html_section(doc, "gains", "Cumulative gains", NULL), MQL_OK);
    double gx[11], g_new[11], g_old[11];
    for (int i = 0; i <= 10; i++) {
        gx[i] = i / 10.0;
        g_new[i] = 1 - pow(1 - gx[i], 2.6);
        g_old[i] = 1 - pow(1 - gx[i], 1.8);
    }
    mql_gains_curve gc[] = {{"new model", gx, g_new, 11}, {"current model", gx, g_old, 11}};
    mql_gains_chart gch = {.title = "Cumulative gains: current vs new", .source = "gains.csv",
                           .curves = gc, .n_curves = 2};
    assert_int_equal(mql_html_gains_chart(doc, &gch), MQL_OK);

    assert_int_equal(mql_html_section(doc, "grades", "Fit x engagement grades", NULL), MQL_OK);
    static const char *const rows[] = {"A", "B", "C", "D"}, *const cols[] = {"1", "2", "3", "4"};
    double rate[16];
    char t1s[16][32], t2s[16][16];
    const char *t1[16], *t2[16];
    for (int i = 0; i < 16; i++) {
        int r = i / 4, c = i % 4;
        rate[i] = 0.004 + 0.16 * pow(0.55, r) * pow(0.6, c);
        snprintf(t1s[i], sizeof t1s[i], "%d leads", 2400 / (1 + r + c) + 12);
        snprintf(t2s[i], sizeof t2s[i], "%.1f%%", 100 * rate[i]);
        t1[i] = t1s[i];
        t2[i] = t2s[i];
    }
    rate[15] = NAN;
    mql_heatmap hm = {
        .title = "Won rate by fit grade and engagement", .source = "grades.csv",
        .n_rows = 4, .n_cols = 4, .row_labels = rows, .col_labels = cols,
        .row_title = "fit grade", .col_title = "engagement level",
        .legend_label = "won rate", .value = rate, .text1 = t1, .text2 = t2,
        .value_fmt = MQL_AXIS_PCT,
    };
    assert_int_equal(mql_html_heatmap(doc, &hm), MQL_OK);

    assert_int_equal(mql_html_section(doc, "definitions", "Definitions", NULL), MQL_OK);
    static const char *const terms[] = {"MQL", "Recall", HOSTILE};
    static const char *const defs[] = {"A lead whose score is at or above the threshold.",
                                       "Share of won deals that were MQLs.", HOSTILE};
    assert_int_equal(mql_html_deflist(doc, terms, defs, 3), MQL_OK);
    assert_int_equal(mql_html_subheading(doc, "Notes"), MQL_OK);
    assert_int_equal(mql_html_para(doc, "Plain UTF-8 passes through: \xe2\x82\xac 12k, na\xc3\xafve."),
                     MQL_OK);
}

/* Degenerate charts: empty, single point, all equal, all NAN, infinities, huge values, zero-size
 * heatmap, all-NAN heatmap. */
static void build_degenerate(mql_html *doc)
{
    double one_x[] = {50}, one_y[] = {0.3};
    double eq_x[] = {1, 2, 3, 4}, eq_y[] = {0.2, 0.2, 0.2, 0.2};
    double nan_y[] = {NAN, NAN, NAN, NAN};
    /* y = 9 lies above the fixed range 0..4: it must be clamped to the plot's top */
    double mix_x[] = {1, NAN, 3, INFINITY, 5, 6, 7}, mix_y[] = {NAN, 2, 3, 4, -INFINITY, 9, 1e300};
    double big_x[] = {-1e308, 1e308}, big_y[] = {1e308, -1e308};
    double lo1[] = {0.1}, hi1[] = {NAN};
    mql_series s_one = {"single", one_y, lo1, hi1, 0}, s_eq = {"equal", eq_y, NULL, NULL, 0};
    mql_series s_nan = {"all missing", nan_y, nan_y, nan_y, 1};
    mql_series s_mix = {"mixed", mix_y, NULL, NULL, 0}, s_big = {"huge", big_y, NULL, NULL, 0};
    mql_line_chart c1 = {.title = "empty", .x = NULL, .n = 0, .series = &s_one, .n_series = 1};
    mql_line_chart c2 = {.title = "one point", .x = one_x, .n = 1, .series = &s_one,
                         .n_series = 1, .y_axis = {"y", MQL_AXIS_PCT, 0, 0, 0}};
    mql_line_chart c3 = {.title = "all equal", .x = eq_x, .n = 4, .series = &s_eq, .n_series = 1,
                         .x_axis = {"x", MQL_AXIS_INT, 0, 0, 0}};
    mql_line_chart c4 = {.title = "all missing", .x = eq_x, .n = 4, .series = &s_nan, .n_series = 1};
    mql_line_chart c5 = {.title = "mixed", .x = mix_x, .n = 7, .series = &s_mix, .n_series = 1,
                         .y_axis = {"fixed", MQL_AXIS_NUM, 0, 0, 4}};
    mql_line_chart c6 = {.title = "huge", .x = big_x, .n = 2, .series = &s_big, .n_series = 1};
    mql_line_chart c7 = {.title = "no series", .x = eq_x, .n = 4};
    mql_line_chart *lcs[] = {&c1, &c2, &c3, &c4, &c5, &c6, &c7};
    for (size_t i = 0; i < 7; i++)
        assert_int_equal(mql_html_line_chart(doc, lcs[i]), MQL_OK);

    mql_reliability_chart r1 = {.title = "reliability empty", .n = 0};
    mql_reliability_chart r2 = {.title = "reliability one", .pred = one_y, .obs = one_y,
                                .lo = lo1, .hi = hi1, .n = 1};
    mql_reliability_chart r3 = {.title = "reliability missing", .pred = nan_y, .obs = nan_y, .n = 4};
    assert_int_equal(mql_html_reliability_chart(doc, &r1), MQL_OK);
    assert_int_equal(mql_html_reliability_chart(doc, &r2), MQL_OK);
    assert_int_equal(mql_html_reliability_chart(doc, &r3), MQL_OK);

    double e1[] = {0, 1}, zero[] = {0}, e4[] = {0, 1, 2, 3, 4};
    mql_histogram_chart h1 = {.title = "hist empty", .n_bins = 0};
    mql_histogram_chart h2 = {.title = "hist zero", .edges = e1, .n_bins = 1, .a = zero, .b = zero};
    mql_histogram_chart h3 = {.title = "hist missing", .edges = e4, .n_bins = 4, .a = nan_y,
                              .b = nan_y};
    assert_int_equal(mql_html_histogram_chart(doc, &h1), MQL_OK);
    assert_int_equal(mql_html_histogram_chart(doc, &h2), MQL_OK);
    assert_int_equal(mql_html_histogram_chart(doc, &h3), MQL_OK);

    mql_gains_curve g1 = {"one point", one_y, one_y, 1}, g2 = {"missing", nan_y, nan_y, 4};
    mql_gains_chart gc1 = {.title = "gains empty", .n_curves = 0};
    mql_gains_chart gc2 = {.title = "gains one point", .curves = &g1, .n_curves = 1};
    mql_gains_chart gc3 = {.title = "gains missing", .curves = &g2, .n_curves = 1};
    assert_int_equal(mql_html_gains_chart(doc, &gc1), MQL_OK);
    assert_int_equal(mql_html_gains_chart(doc, &gc2), MQL_OK);
    assert_int_equal(mql_html_gains_chart(doc, &gc3), MQL_OK);

    mql_heatmap hm0 = {.title = "heatmap 0 x 0"};
    mql_heatmap hm1 = {.title = "heatmap all missing", .n_rows = 2, .n_cols = 2, .value = nan_y};
    mql_heatmap hm2 = {.title = "heatmap equal", .n_rows = 1, .n_cols = 4, .value = eq_y,
                       .value_fmt = MQL_AXIS_PCT};
    assert_int_equal(mql_html_heatmap(doc, &hm0), MQL_OK);
    assert_int_equal(mql_html_heatmap(doc, &hm1), MQL_OK);
    assert_int_equal(mql_html_heatmap(doc, &hm2), MQL_OK);
}

static char *full_document(void)
{
    membuf m;
    mql_html *doc = mem_begin(&m, "Quarterly lead-scoring review " HOSTILE);
    build_sample(doc);
    assert_int_equal(mql_html_section(doc, "edge-cases", "Edge cases", "Degenerate inputs."),
                     MQL_OK);
    build_degenerate(doc);
    return mem_end(&m, doc);
}

/* ---- tests ---------------------------------------------------------------------------------- */

static void test_well_formed(void **state)
{
    (void)state;
    char *s = full_document();
    assert_well_formed(s);
    assert_non_null(strstr(s, "<meta charset=\"utf-8\">"));
    assert_non_null(strstr(s, "<style>"));
    assert_non_null(strstr(s, "@media print"));
    assert_non_null(strstr(s, "break-inside:avoid"));
    assert_non_null(strstr(s, "<footer>footer line</footer>"));
    size_t len = strlen(s);
    assert_true(len > 7 && strcmp(s + len - 8, "</html>\n") == 0);
    /* the self-check catches a mis-nested document */
    char why[200];
    assert_false(well_formed("<!DOCTYPE html><div><p></div></p>", why, sizeof why));
    assert_false(well_formed("<!DOCTYPE html><div>", why, sizeof why));
    assert_true(well_formed("<!DOCTYPE html><div><rect x=\"1\"/><meta a=\"b\"></div>", why,
                            sizeof why));
    free(s);
}

static void test_escaping(void **state)
{
    (void)state;
    char *s = full_document();
    assert_null(strstr(s, "<script"));
    assert_null(strstr(s, "alert(\"x\")"));
    assert_null(strstr(s, "'q'"));
    /* title (twice), callout title and text, paragraph, table cell, term, definition */
    assert_true(count(s, HOSTILE_ESC) >= 8);
    /* UTF-8 passes through unchanged */
    assert_non_null(strstr(s, "\xe2\x82\xac 12k, na\xc3\xafve."));
    free(s);
}

static void test_no_external_references(void **state)
{
    (void)state;
    char *s = full_document();
    static const char *const bad[] = {"http:", "https:", "src=", "@import", "url(", "<script",
                                      "<link", "<img", "<iframe", "xlink:href"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        if (strstr(s, bad[i]))
            fail_msg("found '%s'", bad[i]);
    /* the only links are in-page anchors to the sections */
    for (const char *p = s; (p = strstr(p, "href=\"")); p += 6)
        assert_true(p[6] == '#');
    free(s);
}

static void test_section_ids(void **state)
{
    (void)state;
    char *s = full_document();
    char want[64];
    for (size_t i = 0; i < sizeof section_ids / sizeof *section_ids; i++) {
        snprintf(want, sizeof want, "<section id=\"%s\">", section_ids[i]);
        assert_int_equal(count(s, want), 1);
        snprintf(want, sizeof want, "<a href=\"#%s\">", section_ids[i]);
        assert_int_equal(count(s, want), i < 8 ? 1 : 0);
    }
    assert_int_equal(count(s, "<section "), 8);
    assert_int_equal(count(s, "</section>"), 8);
    free(s);
}

/* Each <td>/<th> text, unescaped, equals the mql_tab name or cell, in order; numeric cells and
 * their headers are right-aligned; the highlighted row is row 8. */
static void test_table_cells(void **state)
{
    (void)state;
    fill_sweep();
    mql_tab *t = sweep_table();
    membuf m;
    mql_html *doc = mem_begin(&m, "table");
    assert_int_equal(mql_html_section(doc, "t", "Table", NULL), MQL_OK);
    assert_int_equal(mql_html_table(doc, t, "Candidate thresholds", "thresholds.csv", 8,
                                    "recommended"), MQL_OK);
    char *s = mem_end(&m, doc);
    assert_well_formed(s);
    assert_non_null(strstr(s, "<caption>Candidate thresholds</caption>"));
    assert_non_null(strstr(s, "<p class=\"source\">source: thresholds.csv</p>"));
    assert_int_equal(count(s, "<tr class=\"hl\">"), 1);

    const char *p = strstr(s, "<thead>") + 7;
    char got[256];
    for (size_t j = 0; j < mql_tab_cols(t); j++) {
        p = strstr(p, "<th");
        const char *a = strchr(p, '>') + 1, *b = strstr(a, "</th>");
        unescape(a, (size_t)(b - a), got, sizeof got);
        assert_string_equal(got, mql_tab_name(t, j));
        assert_int_equal(strncmp(p, "<th class=\"num\">", 16) == 0, j < 4);
        p = b;
    }
    for (size_t i = 0; i < mql_tab_rows(t); i++) {
        p = strstr(p, "<tr");
        assert_int_equal(strncmp(p, "<tr class=\"hl\">", 15) == 0, i == 8);
        for (size_t j = 0; j < mql_tab_cols(t); j++) {
            p = strstr(p, "<td");
            const char *a = strchr(p, '>') + 1, *b = strstr(a, "</td>");
            unescape(a, (size_t)(b - a), got, sizeof got);
            int isnum = 0;
            assert_string_equal(got, mql_tab_cell(t, i, j, &isnum));
            assert_int_equal(strncmp(p, "<td class=\"num\">", 16) == 0, isnum);
            p = b;
        }
    }
    /* spot values: row 0 threshold "30"; row 5 recall missing -> empty; row 8 hostile note */
    assert_string_equal(mql_tab_cell(t, 0, 0, NULL), "30");
    assert_non_null(strstr(s, "<td class=\"num\"></td>"));
    /* a text column longer than a short word wraps */
    assert_non_null(strstr(s, "<td class=\"wrap\">" HOSTILE_ESC "</td>"));
    mql_tab_free(t);
    free(s);
}

/* A table wider than the printed page is split into parts that each repeat the first column and
 * the highlighted row; every cell appears exactly once outside the key column; headers break
 * after '_' and long values after '|'. */
static void test_table_split(void **state)
{
    (void)state;
    const char *names[21];
    char buf[21][32];
    for (int j = 0; j < 21; j++) {
        snprintf(buf[j], sizeof buf[j], j ? "column_number_%02d" : "threshold", j);
        names[j] = buf[j];
    }
    mql_tab *t = mql_tab_new(21, names);
    assert_non_null(t);
    for (int i = 0; i < 5; i++) {
        assert_int_equal(mql_tab_row(t), 0);
        assert_int_equal(mql_tab_add_int(t, 10 * i), 0);
        for (int j = 1; j < 21; j++)
            assert_int_equal(mql_tab_add_num(t, 1000.0 * i + j + 0.125, "%.3f"), 0);
    }
    membuf m;
    mql_html *doc = mem_begin(&m, "split");
    assert_int_equal(mql_html_section(doc, "t", "Table", NULL), MQL_OK);
    assert_int_equal(mql_html_table(doc, t, "Wide", "wide.csv", 2, "recommended"), MQL_OK);
    static const char *const rn[] = {"feature", "operator", "value", "points"};
    mql_tab *r = mql_tab_new(4, rn);
    assert_non_null(r);
    assert_int_equal(mql_tab_row(r), 0);
    assert_int_equal(mql_tab_add_str(r, "country"), 0);
    assert_int_equal(mql_tab_add_str(r, "in"), 0);
    assert_int_equal(mql_tab_add_str(r, "Panama|Peru|Paraguay|Portugal|Poland|Philippines"), 0);
    assert_int_equal(mql_tab_add_int(r, 5), 0);
    assert_int_equal(mql_html_table(doc, r, "Rules", NULL, MQL_HTML_NO_ROW, NULL), MQL_OK);
    char *s = mem_end(&m, doc);
    assert_well_formed(s);
    size_t parts = count(s, "<caption>Wide (part ");
    assert_true(parts >= 2);
    assert_int_equal(count(s, "<table>"), parts + 1);
    assert_int_equal(count(s, "<tr class=\"hl\">"), parts);
    assert_int_equal(count(s, ">threshold</th>"), parts);
    assert_int_equal(count(s, "<td class=\"num\">20</td>"), parts);   /* the key of row 2 */
    for (int j = 1; j < 21; j++) {
        char h[64], c[64];
        snprintf(h, sizeof h, ">column_<wbr>number_<wbr>%02d</th>", j);
        snprintf(c, sizeof c, ">%d.125</td>", 4000 + j);
        assert_int_equal(count(s, h), 1);
        assert_int_equal(count(s, c), 1);
    }
    assert_int_equal(count(s, "source: wide.csv"), 1);
    assert_non_null(strstr(s, "<td class=\"wrap\">Panama|<wbr>Peru|<wbr>Paraguay|<wbr>"));
    mql_tab_free(t);
    mql_tab_free(r);
    free(s);
}

static void test_degenerate_charts(void **state)
{
    (void)state;
    membuf m;
    mql_html *doc = mem_begin(&m, "degenerate");
    build_degenerate(doc);
    char *s = mem_end(&m, doc);
    assert_well_formed(s);
    assert_no_nan(s);
    assert_int_equal(assert_inside_viewbox(s), 19);
    /* empty or all-NAN inputs say so instead of drawing nothing */
    assert_true(count(s, ">no data</text>") >= 9);
    /* the all-NAN heatmap shows "-" in every cell */
    assert_true(count(s, "font-size:14px\">-</text>") >= 4);
    free(s);
}

static void test_sample_inside_viewbox(void **state)
{
    (void)state;
    char *s = full_document();
    assert_no_nan(s);
    assert_int_equal(assert_inside_viewbox(s), 5 + 19);
    /* every chart is a figure with an accessible title */
    assert_int_equal(count(s, "<figure class=\"chart\">"), 24);
    assert_int_equal(count(s, "<title id=\"chart"), 24);
    assert_non_null(strstr(s, "aria-labelledby=\"chart24-title\""));
    /* markers inside the x range are labelled, the one at 500 is skipped */
    assert_non_null(strstr(s, ">recommended: 70</text>"));
    assert_non_null(strstr(s, ">current: 75</text>"));
    assert_null(strstr(s, "off the chart"));
    /* secondary axis ticks carry thousands separators; percent ticks on the left */
    assert_non_null(strstr(s, ">2,500</text>"));
    assert_non_null(strstr(s, ">50%</text>"));
    /* benchmark labels: the KPI card and the paragraph */
    assert_int_equal(count(s, "<span class=\"bench\">benchmark from practice</span>"), 2);
    free(s);
}

/* The plot maps the data range onto the plot area: for x 0..100 and y 0..1 with one legend row,
 * layout() puts the plot at x 70..736 and y 348 (bottom) .. 48 (top): 14 + 20 (legend) + 14. */
static void test_line_geometry(void **state)
{
    (void)state;
    double x[] = {0, 50, 100}, y[] = {0, 0.25, 1};
    mql_series s = {"y", y, NULL, NULL, 0};
    mql_line_chart c = {.title = "geometry", .x = x, .n = 3, .series = &s, .n_series = 1,
                        .y_axis = {NULL, MQL_AXIS_PCT, 0, 0, 0}};
    membuf m;
    mql_html *doc = mem_begin(&m, "geometry");
    assert_int_equal(mql_html_line_chart(doc, &c), MQL_OK);
    char *str = mem_end(&m, doc);
    const char *p = strstr(str, "<polyline");
    assert_non_null(p);
    /* 50 -> 70 + 666 / 2 = 403; 0.25 -> 348 - 300 / 4 = 273 */
    assert_non_null(strstr(p, "points=\"70,348 403,273 736,48\""));
    assert_non_null(strstr(str, "viewBox=\"0 0 760 400\""));
    assert_non_null(strstr(str, ">20%</text>"));
    free(str);
}

static void test_nice_ticks(void **state)
{
    (void)state;
    double lo, hi, step, t[12];
    /* 0..0.237 in at most 7 ticks: raw step 0.0395 -> 0.05, covering 0..0.25 */
    size_t n = mql_html_nice_ticks(0, 0.237, MQL_AXIS_PCT, 7, &lo, &hi, &step, t);
    assert_int_equal(n, 6);
    assert_close(step, 0.05, 1e-12, 0);
    assert_close(lo, 0, 0, 1e-15);
    assert_close(hi, 0.25, 1e-12, 0);
    assert_close(t[3], 0.15, 1e-12, 0);
    /* 3..97 in 11: raw 9.4 -> 10, 0..100 */
    n = mql_html_nice_ticks(3, 97, MQL_AXIS_NUM, 11, &lo, &hi, &step, t);
    assert_int_equal(n, 11);
    assert_close(step, 10, 1e-12, 0);
    assert_close(hi, 100, 1e-12, 0);
    /* integers keep the step at 1: 0..3.2 -> 0..4 */
    n = mql_html_nice_ticks(0, 3.2, MQL_AXIS_INT, 11, &lo, &hi, &step, t);
    assert_int_equal(n, 5);
    assert_close(step, 1, 0, 0);
    /* all equal (5): widened by 10% to 4.5..5.5, step 0.2 -> 4.4..5.6 */
    n = mql_html_nice_ticks(5, 5, MQL_AXIS_NUM, 7, &lo, &hi, &step, t);
    assert_int_equal(n, 7);
    assert_close(step, 0.2, 1e-12, 0);
    assert_close(lo, 4.4, 1e-12, 0);
    /* all zero: 0..1 (not below 0), and a NAN bound: 0..1 */
    n = mql_html_nice_ticks(0, 0, MQL_AXIS_NUM, 6, &lo, &hi, &step, t);
    assert_true(lo == 0 && hi == 1 && n == 6);
    n = mql_html_nice_ticks(NAN, 3, MQL_AXIS_NUM, 6, &lo, &hi, &step, t);
    assert_true(lo == 0 && hi == 1);
    /* reversed bounds, never more than max_ticks, the ends cover the data */
    n = mql_html_nice_ticks(1234567, -17, MQL_AXIS_INT, 5, &lo, &hi, &step, t);
    assert_true(n >= 2 && n <= 5 && lo <= -17 && hi >= 1234567);
    assert_close(step, 500000, 0, 0);
    /* extreme magnitudes stay finite */
    n = mql_html_nice_ticks(-1e308, 1e308, MQL_AXIS_NUM, 7, &lo, &hi, &step, t);
    assert_true(isfinite(lo) && isfinite(hi) && isfinite(step) && n >= 2 && n <= 7);
}

static void test_tick_labels(void **state)
{
    (void)state;
    char b[64];
    assert_string_equal(mql_html_tick_label(0.25, 0.05, MQL_AXIS_PCT, b, sizeof b), "25%");
    assert_string_equal(mql_html_tick_label(0.025, 0.005, MQL_AXIS_PCT, b, sizeof b), "2.5%");
    assert_string_equal(mql_html_tick_label(12500, 500, MQL_AXIS_INT, b, sizeof b), "12,500");
    assert_string_equal(mql_html_tick_label(-1234567, 1, MQL_AXIS_NUM, b, sizeof b), "-1,234,567");
    assert_string_equal(mql_html_tick_label(0.1 + 0.2, 0.1, MQL_AXIS_NUM, b, sizeof b), "0.3");
    assert_string_equal(mql_html_tick_label(-1e-17, 0.1, MQL_AXIS_NUM, b, sizeof b), "0.0");
    assert_string_equal(mql_html_tick_label(75, 5, MQL_AXIS_NUM, b, sizeof b), "75");
    assert_string_equal(mql_html_tick_label(1e20, 1e19, MQL_AXIS_NUM, b, sizeof b), "1e+20");
    assert_string_equal(mql_html_tick_label(NAN, 1, MQL_AXIS_NUM, b, sizeof b), "-");
    /* a short buffer truncates instead of overflowing */
    char small[4];
    mql_html_tick_label(12345, 1, MQL_AXIS_INT, small, sizeof small);
    assert_string_equal(small, "12,");
}

/* Each invalid input is refused with MQL_EDATA and a message; the failure is sticky: later calls
 * write nothing and mql_html_end reports the first error. */
static void expect_error(void (*build)(mql_html *), const char *msg_part)
{
    membuf m;
    mql_html *doc = mem_begin(&m, "errors");
    build(doc);
    fflush(m.f);
    size_t before = m.len;
    assert_int_equal(mql_html_para(doc, "after the error"), MQL_EDATA);
    fflush(m.f);
    assert_int_equal(m.len, before);
    mql_err err = {{0}};
    assert_int_equal(mql_html_end(doc, NULL, &err), MQL_EDATA);
    if (!strstr(err.msg, msg_part))
        fail_msg("message '%s' lacks '%s'", err.msg, msg_part);
    fclose(m.f);
    assert_null(strstr(m.text, "after the error"));
    assert_null(strstr(m.text, "</html>"));
    free(m.text);
}

static void bad_id(mql_html *d) { assert_int_equal(mql_html_section(d, "1 bad", "x", NULL), MQL_EDATA); }
static void null_id(mql_html *d) { assert_int_equal(mql_html_section(d, NULL, "x", NULL), MQL_EDATA); }
static void dup_id(mql_html *d)
{
    assert_int_equal(mql_html_section(d, "a", "x", NULL), MQL_OK);
    assert_int_equal(mql_html_section(d, "a", "y", NULL), MQL_EDATA);
}
static void bad_nav(mql_html *d)
{
    const char *ids[] = {"ok", "no\"quote"};
    assert_int_equal(mql_html_nav(d, ids, NULL, 2), MQL_EDATA);
}
static void bad_edges(mql_html *d)
{
    double e[] = {0, 2, 2}, v[] = {1, 1};
    mql_histogram_chart c = {.title = "h", .edges = e, .n_bins = 2, .a = v, .b = v};
    assert_int_equal(mql_html_histogram_chart(d, &c), MQL_EDATA);
}
static void nan_edge(mql_html *d)
{
    double e[] = {0, NAN}, v[] = {1};
    mql_histogram_chart c = {.title = "h", .edges = e, .n_bins = 1, .a = v, .b = v};
    assert_int_equal(mql_html_histogram_chart(d, &c), MQL_EDATA);
}
static void half_band(mql_html *d)
{
    double x[] = {1, 2}, y[] = {1, 2};
    mql_series s = {"s", y, y, NULL, 0};
    mql_line_chart c = {.title = "l", .x = x, .n = 2, .series = &s, .n_series = 1};
    assert_int_equal(mql_html_line_chart(d, &c), MQL_EDATA);
}
static void no_y(mql_html *d)
{
    double x[] = {1, 2};
    mql_series s = {"s", NULL, NULL, NULL, 0};
    mql_line_chart c = {.title = "l", .x = x, .n = 2, .series = &s, .n_series = 1};
    assert_int_equal(mql_html_line_chart(d, &c), MQL_EDATA);
}
static void no_x(mql_html *d)
{
    double y[] = {1, 2};
    mql_series s = {"s", y, NULL, NULL, 0};
    mql_line_chart c = {.title = "l", .x = NULL, .n = 2, .series = &s, .n_series = 1};
    assert_int_equal(mql_html_line_chart(d, &c), MQL_EDATA);
}
static void rel_half(mql_html *d)
{
    double p[] = {0.1};
    mql_reliability_chart c = {.title = "r", .pred = p, .obs = p, .lo = p, .n = 1};
    assert_int_equal(mql_html_reliability_chart(d, &c), MQL_EDATA);
}
static void rel_missing(mql_html *d)
{
    double p[] = {0.1};
    mql_reliability_chart c = {.title = "r", .pred = p, .n = 1};
    assert_int_equal(mql_html_reliability_chart(d, &c), MQL_EDATA);
}
static void gains_missing(mql_html *d)
{
    mql_gains_curve g = {"g", NULL, NULL, 3};
    mql_gains_chart c = {.title = "g", .curves = &g, .n_curves = 1};
    assert_int_equal(mql_html_gains_chart(d, &c), MQL_EDATA);
}
static void heat_missing(mql_html *d)
{
    mql_heatmap c = {.title = "h", .n_rows = 2, .n_cols = 2};
    assert_int_equal(mql_html_heatmap(d, &c), MQL_EDATA);
}
static void heat_overflow(mql_html *d)
{
    double v[1] = {1};
    mql_heatmap c = {.title = "h", .n_rows = (size_t)-1 / 2, .n_cols = 4, .value = v};
    assert_int_equal(mql_html_heatmap(d, &c), MQL_EDATA);
}
static void bad_kind(mql_html *d)
{
    assert_int_equal(mql_html_callout(d, (mql_callout_kind)7, "t", "x"), MQL_EDATA);
}
static void no_table(mql_html *d)
{
    assert_int_equal(mql_html_table(d, NULL, "cap", NULL, MQL_HTML_NO_ROW, NULL), MQL_EDATA);
}

static void test_errors(void **state)
{
    (void)state;
    expect_error(bad_id, "section id '1 bad'");
    expect_error(null_id, "section id '(null)'");
    expect_error(dup_id, "'a' used twice");
    expect_error(bad_nav, "contents entry 2");
    expect_error(bad_edges, "bin edge 3");
    expect_error(nan_edge, "bin edge 2");
    expect_error(half_band, "only one interval bound");
    expect_error(no_y, "series 's' has no values");
    expect_error(no_x, "x is missing");
    expect_error(rel_half, "only one interval bound");
    expect_error(rel_missing, "observed values missing");
    expect_error(gains_missing, "curve 'g' has no values");
    expect_error(heat_missing, "values missing");
    expect_error(heat_overflow, "too many cells");
    expect_error(bad_kind, "unknown callout kind 7");
    expect_error(no_table, "table 'cap' is missing");
    mql_err err = {{0}};
    assert_int_equal(mql_html_end(NULL, NULL, &err), MQL_ENOMEM);
    mql_html_free(NULL);
}

/* A stream that cannot be written (opened read-only) gives MQL_EIO. */
static void test_write_error(void **state)
{
    (void)state;
    char path[64];
    assert_non_null(write_temp(path, sizeof path, "x"));
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    mql_html *doc = mql_html_begin(f, "t", NULL);
    assert_non_null(doc);
    assert_int_equal(mql_html_para(doc, "p"), MQL_EIO);
    mql_err err = {{0}};
    assert_int_equal(mql_html_end(doc, NULL, &err), MQL_EIO);
    assert_non_null(strstr(err.msg, "write error"));
    fclose(f);
    remove(path);
}

/* A document abandoned half way is freed without writing the tail. */
static void test_abandon(void **state)
{
    (void)state;
    membuf m;
    mql_html *doc = mem_begin(&m, "abandoned");
    assert_int_equal(mql_html_section(doc, "a", "A", NULL), MQL_OK);
    mql_html_free(doc);
    fclose(m.f);
    assert_null(strstr(m.text, "</html>"));
    assert_non_null(strstr(m.text, "<section id=\"a\">"));
    free(m.text);
}

int main(int argc, char **argv)
{
    if (argc == 3 && strcmp(argv[1], "--sample") == 0) {
        FILE *f = fopen(argv[2], "w");
        if (!f)
            return 3;
        mql_html *doc = mql_html_begin(f, "Quarterly lead-scoring review",
                                       "Leads created Jan-Dec 2024; sample document");
        build_sample(doc);
        mql_html_section(doc, "edge-cases", "Edge cases", "Degenerate inputs.");
        build_degenerate(doc);
        mql_err err;
        int st = mql_html_end(doc, "Generated by mqlcal; every number is in the CSV files beside "
                                   "this report.", &err);
        fclose(f);
        return st;
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_well_formed),
        cmocka_unit_test(test_escaping),
        cmocka_unit_test(test_no_external_references),
        cmocka_unit_test(test_section_ids),
        cmocka_unit_test(test_table_cells),
        cmocka_unit_test(test_table_split),
        cmocka_unit_test(test_degenerate_charts),
        cmocka_unit_test(test_sample_inside_viewbox),
        cmocka_unit_test(test_line_geometry),
        cmocka_unit_test(test_nice_ticks),
        cmocka_unit_test(test_tick_labels),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_write_error),
        cmocka_unit_test(test_abandon),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
