/* report_svg.c: the inline SVG charts of the HTML report (line, reliability, histogram, gains,
 * heatmap): ticks and scales, the drawing blocks, the charts; no scripts or links. */
#include "mqlcal/report_html.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "report_html_doc.h"

/* ======================================================================================== */
/* Low-level writing                                                                        */
/* ======================================================================================== */

/* A coordinate with one decimal, written without printf's locale so a comma never appears; the
 * callers clamp, but a non-finite value is written as 0 rather than "nan" as a last guard. */
static void num(FILE *f, double v)
{
    if (!isfinite(v) || fabs(v) > 1e9)
        v = 0;
    long t = lround(v * 10);
    if (t < 0) {
        fputc('-', f);
        t = -t;
    }
    if (t % 10)
        fprintf(f, "%ld.%ld", t / 10, t % 10);
    else
        fprintf(f, "%ld", t / 10);
}

/* Writes ` name="v"`. */
static void attr(FILE *f, const char *name, double v)
{
    fprintf(f, " %s=\"", name);
    num(f, v);
    fputc('"', f);
}

/* Approximate rendered width of s at 12px system sans (0.58 em per character, UTF-8 aware). */
static double text_width(const char *s, double px)
{
    size_t n = 0;
    for (; s && *s; s++)
        n += ((unsigned char)*s & 0xC0) != 0x80;
    return (double)n * px * 0.58;
}

/* ======================================================================================== */
/* Ticks and scales                                                                         */
/* ======================================================================================== */

/* Smallest of 1, 2, 5 x 10^k that is >= raw (raw > 0); 1 for a degenerate raw. */
static double nice_step(double raw)
{
    if (!(raw > 0) || !isfinite(raw))
        return 1;
    double e = pow(10, floor(log10(raw)));
    double m = raw / e;
    double s = m <= 1 + 1e-9 ? 1 : m <= 2 + 1e-9 ? 2 : m <= 5 + 1e-9 ? 5 : 10;
    return s * e;
}

#define MAX_TICKS 12

size_t mql_html_nice_ticks(double lo, double hi, mql_axis_fmt fmt, size_t max_ticks,
                           double *out_lo, double *out_hi, double *step, double *ticks)
{
    if (max_ticks < 2)
        max_ticks = 2;
    if (!isfinite(lo) || !isfinite(hi)) {
        lo = 0;
        hi = 1;
    }
    if (lo > hi) {
        double t = lo;
        lo = hi;
        hi = t;
    }
    /* Keep hi - lo and the rounded bounds finite. */
    if (lo < -1e300)
        lo = -1e300;
    if (hi > 1e300)
        hi = 1e300;
    /* A zero-width (or below-resolution) range is widened around its value, not below 0 when the
     * value is non-negative, so one point or all-equal values still give a readable axis. */
    if (hi - lo <= fmax(fabs(lo), fabs(hi)) * 1e-9) {
        double d = fabs(lo) * 0.1;
        if (d == 0)
            d = fmt == MQL_AXIS_PCT ? 0.1 : 1;
        if (fmt == MQL_AXIS_INT && d < 1)
            d = 1;
        int nonneg = lo >= 0;
        lo -= d;
        hi += d;
        if (nonneg && lo < 0)
            lo = 0;
    }
    double s = nice_step((hi - lo) / (double)(max_ticks - 1)), a = lo, b = hi;
    size_t nt = 2;
    for (int iter = 0; iter < 40; iter++) {
        if (fmt == MQL_AXIS_INT && s < 1)
            s = 1;
        /* The slack keeps 0.18 / 0.01 = 17.999999999999996 from adding a tick below. */
        a = floor(lo / s + 1e-9) * s;
        b = ceil(hi / s - 1e-9) * s;
        double k = (b - a) / s;
        nt = (size_t)llround(k) + 1;
        if (nt <= max_ticks)
            break;
        s = nice_step(s * 1.01);
    }
    if (nt < 2) {   /* cannot happen for hi > lo; kept so callers always get an interval */
        b = a + s;
        nt = 2;
    }
    if (nt > max_ticks)
        nt = max_ticks;
    for (size_t i = 0; i < nt; i++) {
        double v = a + (double)i * s;
        ticks[i] = fabs(v) < s * 1e-9 ? 0 : v;
    }
    *out_lo = a;
    *out_hi = b;
    *step = s;
    return nt;
}

/* Inserts thousands separators into the integer digits of a "%.0f"-style number. */
static void group_thousands(const char *in, char *out, size_t cap)
{
    size_t n = 0, len = strlen(in);
    size_t start = (in[0] == '-') ? 1 : 0;
    size_t intlen = strcspn(in + start, ".");
    if (n + 1 < cap && start)
        out[n++] = '-';
    for (size_t i = 0; i < intlen && n + 2 < cap; i++) {
        out[n++] = in[start + i];
        size_t left = intlen - i - 1;
        if (left > 0 && left % 3 == 0)
            out[n++] = ',';
    }
    for (size_t i = start + intlen; i < len && n + 1 < cap; i++)
        out[n++] = in[i];
    out[n < cap ? n : cap - 1] = '\0';
}

char *mql_html_tick_label(double v, double step, mql_axis_fmt fmt, char *buf, size_t cap)
{
    if (cap == 0)
        return buf;
    if (!isfinite(v)) {
        snprintf(buf, cap, "-");
        return buf;
    }
    double x = v, s = step;
    if (fmt == MQL_AXIS_PCT) {
        x *= 100;
        s *= 100;
    }
    int dec = 0;
    if (fmt != MQL_AXIS_INT && s > 0 && isfinite(s)) {
        double l = floor(log10(s) + 1e-9);
        dec = l < 0 ? (int)-l : 0;
        if (dec > 12)
            dec = 12;
    }
    if (fabs(x) < 0.5 * pow(10, -dec))
        x = 0;   /* no "-0" */
    char tmp[64];
    if (fabs(x) >= 1e15)
        snprintf(tmp, sizeof tmp, "%.3g", x);
    else
        snprintf(tmp, sizeof tmp, "%.*f", dec, x);
    if (fabs(x) >= 1000 && fabs(x) < 1e15)
        group_thousands(tmp, buf, cap);
    else
        snprintf(buf, cap, "%s", tmp);
    if (fmt == MQL_AXIS_PCT) {
        size_t l = strlen(buf);
        if (l + 1 < cap) {
            buf[l] = '%';
            buf[l + 1] = '\0';
        }
    }
    return buf;
}

/* One axis mapped to pixels: values lo..hi to pixels p0..p1 (p0 > p1 for a y axis). */
typedef struct scale {
    double lo, hi, step, p0, p1;
    mql_axis_fmt fmt;
    double ticks[MAX_TICKS];
    size_t nt;
} scale;

/* Sets up sc from the finite data range [dlo, dhi] (dlo > dhi when there is none) and axis ax. */
static void scale_init(scale *sc, double dlo, double dhi, const mql_axis *ax, size_t max_ticks,
                       double p0, double p1)
{
    sc->fmt = ax->fmt;
    sc->p0 = p0;
    sc->p1 = p1;
    if (isfinite(ax->min) && isfinite(ax->max) && ax->min < ax->max) {
        double a, b, all[MAX_TICKS];
        size_t nt = mql_html_nice_ticks(ax->min, ax->max, ax->fmt, max_ticks, &a, &b, &sc->step, all);
        sc->lo = ax->min;
        sc->hi = ax->max;
        sc->nt = 0;
        double eps = sc->step * 1e-9;
        for (size_t i = 0; i < nt; i++)
            if (all[i] >= sc->lo - eps && all[i] <= sc->hi + eps)
                sc->ticks[sc->nt++] = all[i];
        return;
    }
    if (!(dlo <= dhi)) {
        dlo = 0;
        dhi = 1;
    }
    if (ax->from_zero) {
        dlo = fmin(dlo, 0);
        dhi = fmax(dhi, 0);
    }
    sc->nt = mql_html_nice_ticks(dlo, dhi, ax->fmt, max_ticks, &sc->lo, &sc->hi, &sc->step,
                                 sc->ticks);
}

/* Pixel position of v, clamped to the axis so every coordinate stays inside the plot. */
static double map(const scale *sc, double v)
{
    double t = (v - sc->lo) / (sc->hi - sc->lo);
    if (!(t >= 0))
        t = 0;   /* also catches NAN */
    if (t > 1)
        t = 1;
    return sc->p0 + t * (sc->p1 - sc->p0);
}

/* Widens [*lo, *hi] by the finite values of v[0..n) (v may be NULL). */
static void extend(double *lo, double *hi, const double *v, size_t n)
{
    if (!v)
        return;
    for (size_t i = 0; i < n; i++)
        if (isfinite(v[i])) {
            if (v[i] < *lo)
                *lo = v[i];
            if (v[i] > *hi)
                *hi = v[i];
        }
}

/* ======================================================================================== */
/* SVG building blocks                                                                      */
/* ======================================================================================== */

/* Okabe-Ito colours (distinguishable with colour-vision deficiency) and dash patterns, so each
 * series also differs in greyscale print. */
static const char *const palette[] = {"#0072B2", "#D55E00", "#009E73", "#CC79A7",
                                      "#E69F00", "#56B4E9", "#000000"};
static const char *const dashes[] = {NULL, "8 4", "2 3", "10 3 2 3", "5 2 1 2", "1 1", "12 4"};
#define N_STYLES 7

static const char *color_of(size_t k) { return palette[k % N_STYLES]; }
static const char *dash_of(size_t k) { return dashes[k % N_STYLES]; }

/* The chart geometry: viewBox w x h, plot area x0..x1 (left..right), y1..y0 (top..bottom). */
typedef struct frame {
    double w, h, x0, x1, y0, y1;
} frame;

enum legend_kind { LEG_LINE, LEG_BAR, LEG_POINT, LEG_BAND, LEG_REF };

typedef struct legend_item {
    enum legend_kind kind;
    size_t style;   /* colour, dash and shape index */
    const char *text;
} legend_item;

#define LEG_ROW 20.0
#define LEG_SAMPLE 30.0

/* Rows the legend needs at width avail (items wrap left to right). */
static size_t legend_rows(const legend_item *it, size_t n, double avail)
{
    if (n == 0)
        return 0;
    size_t rows = 1;
    double x = 0;
    for (size_t i = 0; i < n; i++) {
        double w = LEG_SAMPLE + 6 + text_width(it[i].text, 12) + 18;
        if (x > 0 && x + w > avail) {
            rows++;
            x = 0;
        }
        x += w;
    }
    return rows;
}

/* Point shape k (circle, square, triangle, diamond, ...) centred at (cx, cy), radius r. */
static void shape(FILE *f, size_t k, double cx, double cy, double r, const char *color)
{
    switch (k % 4) {
    case 0:
        fputs("<circle", f);
        attr(f, "cx", cx);
        attr(f, "cy", cy);
        attr(f, "r", r);
        break;
    case 1:
        fputs("<rect", f);
        attr(f, "x", cx - r * 0.9);
        attr(f, "y", cy - r * 0.9);
        attr(f, "width", r * 1.8);
        attr(f, "height", r * 1.8);
        break;
    case 2:
        fputs("<polygon points=\"", f);
        num(f, cx); fputc(',', f); num(f, cy - r * 1.15); fputc(' ', f);
        num(f, cx + r); fputc(',', f); num(f, cy + r * 0.75); fputc(' ', f);
        num(f, cx - r); fputc(',', f); num(f, cy + r * 0.75);
        fputc('"', f);
        break;
    default:
        fputs("<polygon points=\"", f);
        num(f, cx); fputc(',', f); num(f, cy - r * 1.2); fputc(' ', f);
        num(f, cx + r * 1.1); fputc(',', f); num(f, cy); fputc(' ', f);
        num(f, cx); fputc(',', f); num(f, cy + r * 1.2); fputc(' ', f);
        num(f, cx - r * 1.1); fputc(',', f); num(f, cy);
        fputc('"', f);
        break;
    }
    fprintf(f, " fill=\"%s\" stroke=\"#fff\" stroke-width=\"0.8\"/>\n", color);
}

/* <line> with stroke and optional dash. */
static void line(FILE *f, double x1, double y1, double x2, double y2, const char *stroke,
                 double width, const char *dash)
{
    fputs("<line", f);
    attr(f, "x1", x1);
    attr(f, "y1", y1);
    attr(f, "x2", x2);
    attr(f, "y2", y2);
    fprintf(f, " stroke=\"%s\" stroke-width=\"", stroke);
    num(f, width);
    fputc('"', f);
    if (dash)
        fprintf(f, " stroke-dasharray=\"%s\"", dash);
    fputs("/>\n", f);
}

/* <text> at (x, y) with anchor (start, middle, end), optional class, escaped content. */
static void text(FILE *f, double x, double y, const char *anchor, const char *cls, const char *s)
{
    fputs("<text", f);
    attr(f, "x", x);
    attr(f, "y", y);
    fprintf(f, " text-anchor=\"%s\"", anchor);
    if (cls)
        fprintf(f, " class=\"%s\"", cls);
    fputc('>', f);
    mql_html_esc(f, s);
    fputs("</text>\n", f);
}

/* Draws the legend in rows from (x, y) within width avail. */
static void legend(FILE *f, const legend_item *it, size_t n, double x, double y, double avail)
{
    double cx = 0, cy = y + LEG_ROW / 2;
    for (size_t i = 0; i < n; i++) {
        double w = LEG_SAMPLE + 6 + text_width(it[i].text, 12) + 18;
        if (cx > 0 && cx + w > avail) {
            cx = 0;
            cy += LEG_ROW;
        }
        double sx = x + cx;
        const char *col = color_of(it[i].style);
        switch (it[i].kind) {
        case LEG_LINE:
            line(f, sx, cy, sx + LEG_SAMPLE, cy, col, 2.5, dash_of(it[i].style));
            break;
        case LEG_POINT:
            line(f, sx + LEG_SAMPLE / 2, cy - 7, sx + LEG_SAMPLE / 2, cy + 7, col, 1.3, NULL);
            shape(f, it[i].style, sx + LEG_SAMPLE / 2, cy, 4, col);
            break;
        case LEG_BAR:
            fputs("<rect", f);
            attr(f, "x", sx + 4);
            attr(f, "y", cy - 6);
            attr(f, "width", LEG_SAMPLE - 8);
            attr(f, "height", 12);
            fprintf(f, " fill=\"%s\" fill-opacity=\"0.45\" stroke=\"%s\"/>\n", col, col);
            break;
        case LEG_BAND:
            fputs("<rect", f);
            attr(f, "x", sx);
            attr(f, "y", cy - 6);
            attr(f, "width", LEG_SAMPLE);
            attr(f, "height", 12);
            fputs(" fill=\"#888\" fill-opacity=\"0.25\"/>\n", f);
            break;
        case LEG_REF:
            line(f, sx, cy, sx + LEG_SAMPLE, cy, "#777", 1.3, "5 4");
            break;
        }
        text(f, sx + LEG_SAMPLE + 6, cy + 4, "start", NULL, it[i].text);
        cx += w;
    }
}

/* Opens <figure> with caption and source, then <svg> with an accessible <title>. */
static void svg_open(mql_html *doc, const char *title, const char *source, double w, double h)
{
    FILE *f = doc->f;
    size_t id = ++doc->n_charts;
    fputs("<figure class=\"chart\">\n<figcaption>", f);
    mql_html_esc(f, title);
    if (source) {
        fputs("<span class=\"source\">source: ", f);
        mql_html_esc(f, source);
        fputs("</span>", f);
    }
    fputs("</figcaption>\n<svg class=\"chart\" viewBox=\"0 0 ", f);
    num(f, w);
    fputc(' ', f);
    num(f, h);
    fputc('"', f);
    attr(f, "width", w);
    attr(f, "height", h);
    fprintf(f, " role=\"img\" aria-labelledby=\"chart%zu-title\">\n<title id=\"chart%zu-title\">",
            id, id);
    mql_html_esc(f, title);
    fputs("</title>\n", f);
    /* A white backdrop so the chart reads the same on any page background. */
    fputs("<rect x=\"0\" y=\"0\"", f);
    attr(f, "width", w);
    attr(f, "height", h);
    fputs(" fill=\"#fff\"/>\n", f);
}

static void svg_close(FILE *f)
{
    fputs("</svg>\n</figure>\n", f);
}

/* Grid, ticks and axis labels for an x scale and a left y scale (and a right y2 when given). */
static void axes(FILE *f, const frame *fr, const scale *sx, const scale *sy, const scale *sy2,
                 const char *xlabel, const char *ylabel, const char *y2label)
{
    char buf[64];
    fputs("<g class=\"grid\">\n", f);
    for (size_t i = 0; i < sy->nt; i++) {
        double y = map(sy, sy->ticks[i]);
        line(f, fr->x0, y, fr->x1, y, "#e3e6eb", 1, NULL);
    }
    for (size_t i = 0; i < sx->nt; i++) {
        double x = map(sx, sx->ticks[i]);
        line(f, x, fr->y0, x, fr->y1, "#eef0f3", 1, NULL);
    }
    fputs("</g>\n<g class=\"axes\">\n", f);
    line(f, fr->x0, fr->y0, fr->x1, fr->y0, "#333", 1, NULL);
    line(f, fr->x0, fr->y0, fr->x0, fr->y1, "#333", 1, NULL);
    for (size_t i = 0; i < sx->nt; i++) {
        double x = map(sx, sx->ticks[i]);
        line(f, x, fr->y0, x, fr->y0 + 5, "#333", 1, NULL);
        text(f, x, fr->y0 + 18, "middle", "tick",
             mql_html_tick_label(sx->ticks[i], sx->step, sx->fmt, buf, sizeof buf));
    }
    for (size_t i = 0; i < sy->nt; i++) {
        double y = map(sy, sy->ticks[i]);
        line(f, fr->x0 - 5, y, fr->x0, y, "#333", 1, NULL);
        text(f, fr->x0 - 8, y + 4, "end", "tick",
             mql_html_tick_label(sy->ticks[i], sy->step, sy->fmt, buf, sizeof buf));
    }
    if (sy2) {
        line(f, fr->x1, fr->y0, fr->x1, fr->y1, "#333", 1, NULL);
        for (size_t i = 0; i < sy2->nt; i++) {
            double y = map(sy2, sy2->ticks[i]);
            line(f, fr->x1, y, fr->x1 + 5, y, "#333", 1, NULL);
            text(f, fr->x1 + 8, y + 4, "start", "tick",
                 mql_html_tick_label(sy2->ticks[i], sy2->step, sy2->fmt, buf, sizeof buf));
        }
    }
    if (xlabel)
        text(f, (fr->x0 + fr->x1) / 2, fr->y0 + 40, "middle", "axis-label", xlabel);
    double ym = (fr->y0 + fr->y1) / 2;
    if (ylabel) {
        fputs("<g transform=\"translate(", f);
        num(f, 16);
        fputc(' ', f);
        num(f, ym);
        fputs(") rotate(-90)\">\n", f);
        text(f, 0, 0, "middle", "axis-label", ylabel);
        fputs("</g>\n", f);
    }
    if (sy2 && y2label) {
        fputs("<g transform=\"translate(", f);
        num(f, fr->w - 14);
        fputc(' ', f);
        num(f, ym);
        fputs(") rotate(90)\">\n", f);
        text(f, 0, 0, "middle", "axis-label", y2label);
        fputs("</g>\n", f);
    }
    fputs("</g>\n", f);
}

static void no_data(FILE *f, const frame *fr)
{
    text(f, (fr->x0 + fr->x1) / 2, (fr->y0 + fr->y1) / 2, "middle", "nodata", "no data");
}

/* Polyline through the finite (x[i], y[i]) in order, broken at gaps; a lone point between gaps
 * is drawn as a dot so it does not vanish. Returns the number of finite points. */
static size_t polyline(FILE *f, const double *x, const double *y, size_t n, const scale *sx,
                       const scale *sy, const char *color, double width, const char *dash)
{
    size_t run = 0, total = 0;
    double px = 0, py = 0;
    for (size_t i = 0; i <= n; i++) {
        int ok = i < n && isfinite(x[i]) && isfinite(y[i]);
        if (ok) {
            double cx = map(sx, x[i]), cy = map(sy, y[i]);
            if (run == 1) {
                fprintf(f, "<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"", color);
                num(f, width);
                fputs("\" stroke-linejoin=\"round\"", f);
                if (dash)
                    fprintf(f, " stroke-dasharray=\"%s\"", dash);
                fputs(" points=\"", f);
                num(f, px); fputc(',', f); num(f, py);
            }
            if (run >= 1) {
                fputc(' ', f);
                num(f, cx); fputc(',', f); num(f, cy);
            }
            px = cx;
            py = cy;
            run++;
            total++;
        } else {
            if (run >= 2)
                fputs("\"/>\n", f);
            else if (run == 1) {
                fputs("<circle", f);
                attr(f, "cx", px);
                attr(f, "cy", py);
                fprintf(f, " r=\"3\" fill=\"%s\"/>\n", color);
            }
            run = 0;
        }
    }
    return total;
}

/* Shaded band between lo and hi over runs of finite (x, lo, hi); a one-point run becomes a
 * vertical bar so an isolated interval still shows. */
static void band(FILE *f, const double *x, const double *lo, const double *hi, size_t n,
                 const scale *sx, const scale *sy, const char *color)
{
    size_t i = 0;
    while (i < n) {
        while (i < n && !(isfinite(x[i]) && isfinite(lo[i]) && isfinite(hi[i])))
            i++;
        size_t s = i;
        while (i < n && isfinite(x[i]) && isfinite(lo[i]) && isfinite(hi[i]))
            i++;
        if (i == s)
            break;
        if (i - s == 1) {
            line(f, map(sx, x[s]), map(sy, lo[s]), map(sx, x[s]), map(sy, hi[s]), color, 4, NULL);
            continue;
        }
        fprintf(f, "<polygon fill=\"%s\" fill-opacity=\"0.14\" stroke=\"none\" points=\"", color);
        for (size_t k = s; k < i; k++) {
            num(f, map(sx, x[k])); fputc(',', f); num(f, map(sy, hi[k])); fputc(' ', f);
        }
        for (size_t k = i; k-- > s;) {
            num(f, map(sx, x[k])); fputc(',', f); num(f, map(sy, lo[k]));
            if (k > s)
                fputc(' ', f);
        }
        fputs("\"/>\n", f);
    }
}

/* Point markers at every finite (x, y), shape and colour by style. */
static void points(FILE *f, const double *x, const double *y, size_t n, const scale *sx,
                   const scale *sy, size_t style, double r)
{
    for (size_t i = 0; i < n; i++)
        if (isfinite(x[i]) && isfinite(y[i]))
            shape(f, style, map(sx, x[i]), map(sy, y[i]), r, color_of(style));
}

/* Lays out a standard x/y chart of width w: legend on top, plot below. */
static frame layout(const legend_item *leg, size_t n_leg, double w, double plot_h, int right_axis)
{
    frame fr;
    fr.w = w;
    fr.x0 = 70;
    fr.x1 = w - (right_axis ? 72 : 24);
    size_t rows = legend_rows(leg, n_leg, w - 40);
    fr.y1 = 14 + (double)rows * LEG_ROW + 14;
    fr.y0 = fr.y1 + plot_h;
    fr.h = fr.y0 + 52;
    return fr;
}

/* ======================================================================================== */
/* Charts                                                                                   */
/* ======================================================================================== */

int mql_html_line_chart(mql_html *doc, const mql_line_chart *c)
{
    if (doc->status)
        return doc->status;
    if (c->n > 0 && !c->x)
        return mql_html_fail(doc, MQL_EDATA, "line chart '%s': x is missing",
                             c->title ? c->title : "");
    int has_y2 = 0, has_band = 0;
    for (size_t k = 0; k < c->n_series; k++) {
        const mql_series *s = &c->series[k];
        if (c->n > 0 && !s->y)
            return mql_html_fail(doc, MQL_EDATA, "line chart '%s': series '%s' has no values",
                                 c->title ? c->title : "", s->name ? s->name : "");
        if ((s->lo == NULL) != (s->hi == NULL))
            return mql_html_fail(doc, MQL_EDATA,
                                 "line chart '%s': series '%s' has only one interval bound",
                                 c->title ? c->title : "", s->name ? s->name : "");
        has_y2 |= s->secondary != 0;
        has_band |= s->lo != NULL;
    }
    size_t n_leg = 0;
    legend_item *leg = calloc(c->n_series + 1, sizeof *leg);
    if (!leg)
        return mql_html_fail(doc, MQL_ENOMEM, "HTML report: out of memory");
    for (size_t k = 0; k < c->n_series; k++)
        leg[n_leg++] = (legend_item){LEG_LINE, k, c->series[k].name};
    if (has_band)
        leg[n_leg++] = (legend_item){LEG_BAND, 0, c->band_name ? c->band_name : "shaded: interval"};
    frame fr = layout(leg, n_leg, 760, 300, has_y2);

    double xlo = INFINITY, xhi = -INFINITY, ylo = INFINITY, yhi = -INFINITY;
    double y2lo = INFINITY, y2hi = -INFINITY;
    extend(&xlo, &xhi, c->x, c->n);
    for (size_t k = 0; k < c->n_series; k++) {
        const mql_series *s = &c->series[k];
        double *lo = s->secondary ? &y2lo : &ylo, *hi = s->secondary ? &y2hi : &yhi;
        extend(lo, hi, s->y, c->n);
        extend(lo, hi, s->lo, c->n);
        extend(lo, hi, s->hi, c->n);
    }
    scale sx, sy, sy2;
    scale_init(&sx, xlo, xhi, &c->x_axis, 11, fr.x0, fr.x1);
    scale_init(&sy, ylo, yhi, &c->y_axis, 7, fr.y0, fr.y1);
    scale_init(&sy2, y2lo, y2hi, &c->y2_axis, 7, fr.y0, fr.y1);

    FILE *f = doc->f;
    svg_open(doc, c->title, c->source, fr.w, fr.h);
    legend(f, leg, n_leg, 20, 10, fr.w - 40);
    axes(f, &fr, &sx, &sy, has_y2 ? &sy2 : NULL, c->x_axis.label, c->y_axis.label,
         c->y2_axis.label);
    for (size_t k = 0; k < c->n_series; k++) {
        const mql_series *s = &c->series[k];
        if (s->lo)
            band(f, c->x, s->lo, s->hi, c->n, &sx, s->secondary ? &sy2 : &sy, color_of(k));
    }
    size_t drawn = 0, finite_x = 0;
    for (size_t i = 0; i < c->n; i++)
        finite_x += isfinite(c->x[i]) != 0;
    for (size_t k = 0; k < c->n_series; k++) {
        const mql_series *s = &c->series[k];
        const scale *ys = s->secondary ? &sy2 : &sy;
        drawn += polyline(f, c->x, s->y, c->n, &sx, ys, color_of(k), 2.5, dash_of(k));
        if (finite_x <= 30)
            points(f, c->x, s->y, c->n, &sx, ys, k, 3.5);
    }
    for (size_t m = 0, shown = 0; m < c->n_markers; m++) {
        double x = c->markers[m].x;
        if (!isfinite(x) || x < sx.lo || x > sx.hi)
            continue;
        double px = map(&sx, x);
        line(f, px, fr.y0, px, fr.y1, "#222", 1.5, "6 3");
        double ty = fr.y1 + 14 + 16 * (double)shown++;
        if (ty > fr.y0 - 4)
            ty = fr.y0 - 4;
        int left = px > (fr.x0 + fr.x1) / 2;
        /* A white box behind the label keeps it legible over the lines. */
        double tw = text_width(c->markers[m].label, 12) + 6;
        fputs("<rect", f);
        attr(f, "x", left ? px - 4 - tw : px + 2);
        attr(f, "y", ty - 11);
        attr(f, "width", tw);
        attr(f, "height", 15);
        fputs(" fill=\"#fff\" fill-opacity=\"0.85\"/>\n", f);
        text(f, left ? px - 7 : px + 5, ty, left ? "end" : "start", NULL, c->markers[m].label);
    }
    if (drawn == 0)
        no_data(f, &fr);
    svg_close(f);
    free(leg);
    return mql_html_done(doc);
}

int mql_html_reliability_chart(mql_html *doc, const mql_reliability_chart *c)
{
    if (doc->status)
        return doc->status;
    if (c->n > 0 && (!c->pred || !c->obs))
        return mql_html_fail(doc, MQL_EDATA,
                             "reliability chart '%s': predicted or observed values missing",
                             c->title ? c->title : "");
    if ((c->lo == NULL) != (c->hi == NULL))
        return mql_html_fail(doc, MQL_EDATA,
                             "reliability chart '%s': only one interval bound given",
                             c->title ? c->title : "");
    legend_item leg[2] = {
        {LEG_POINT, 0, c->points_name ? c->points_name : "observed rate"},
        {LEG_REF, 0, "perfect calibration (y = x)"},
    };
    frame fr = layout(leg, 2, 520, 340, 0);
    fr.x1 = fr.x0 + 340 < fr.w - 24 ? fr.x0 + 340 : fr.w - 24;   /* square plot: 45-degree diagonal */

    /* One shared range from 0, so equal values on both axes sit on the diagonal. */
    double lo = 0, hi = -INFINITY;
    extend(&lo, &hi, c->pred, c->n);
    extend(&lo, &hi, c->obs, c->n);
    extend(&lo, &hi, c->hi, c->n);
    mql_axis ax = c->x_axis;
    ax.from_zero = 1;
    scale sx, sy;
    scale_init(&sx, lo, hi, &ax, 7, fr.x0, fr.x1);
    scale_init(&sy, lo, hi, &ax, 7, fr.y0, fr.y1);

    FILE *f = doc->f;
    svg_open(doc, c->title, c->source, fr.w, fr.h);
    legend(f, leg, 2, 20, 10, fr.w - 40);
    axes(f, &fr, &sx, &sy, NULL, c->x_axis.label ? c->x_axis.label : "predicted probability",
         c->y_axis.label ? c->y_axis.label : "observed rate", NULL);
    double d = fmin(sx.hi, sy.hi), d0 = fmax(sx.lo, sy.lo);
    line(f, map(&sx, d0), map(&sy, d0), map(&sx, d), map(&sy, d), "#777", 1.3, "5 4");
    size_t drawn = 0;
    for (size_t i = 0; i < c->n; i++) {
        if (!isfinite(c->pred[i]))
            continue;
        double px = map(&sx, c->pred[i]);
        if (c->lo && isfinite(c->lo[i]) && isfinite(c->hi[i])) {
            double a = map(&sy, c->lo[i]), b = map(&sy, c->hi[i]);
            line(f, px, a, px, b, color_of(0), 1.5, NULL);
            line(f, px - 4, a, px + 4, a, color_of(0), 1.5, NULL);
            line(f, px - 4, b, px + 4, b, color_of(0), 1.5, NULL);
        }
        if (isfinite(c->obs[i])) {
            shape(f, 0, px, map(&sy, c->obs[i]), 4.5, color_of(0));
            drawn++;
        }
    }
    if (drawn == 0)
        no_data(f, &fr);
    svg_close(f);
    return mql_html_done(doc);
}

int mql_html_histogram_chart(mql_html *doc, const mql_histogram_chart *c)
{
    if (doc->status)
        return doc->status;
    const char *title = c->title ? c->title : "";
    if (c->n_bins > 0 && (!c->edges || !c->a || !c->b))
        return mql_html_fail(doc, MQL_EDATA, "histogram '%s': edges or counts missing", title);
    for (size_t i = 0; i <= c->n_bins && c->n_bins > 0; i++)
        if (!isfinite(c->edges[i]) || (i > 0 && !(c->edges[i] > c->edges[i - 1])))
            return mql_html_fail(doc, MQL_EDATA,
                                 "histogram '%s': bin edge %zu is not finite and above the "
                                 "one before", title, i + 1);
    legend_item leg[2] = {
        {LEG_BAR, 0, c->a_name ? c->a_name : "group a"},
        {LEG_LINE, 1, c->b_name ? c->b_name : "group b"},
    };
    frame fr = layout(leg, 2, 760, 280, 0);
    mql_axis xa = c->x_axis, ya = c->y_axis;
    if (c->n_bins > 0 && !(xa.min < xa.max)) {
        xa.min = c->edges[0];
        xa.max = c->edges[c->n_bins];
    }
    ya.from_zero = 1;
    double ylo = 0, yhi = -INFINITY;
    extend(&ylo, &yhi, c->a, c->n_bins);
    extend(&ylo, &yhi, c->b, c->n_bins);
    scale sx, sy;
    scale_init(&sx, 0, 1, &xa, 11, fr.x0, fr.x1);
    scale_init(&sy, ylo, yhi, &ya, 7, fr.y0, fr.y1);

    FILE *f = doc->f;
    svg_open(doc, c->title, c->source, fr.w, fr.h);
    legend(f, leg, 2, 20, 10, fr.w - 40);
    axes(f, &fr, &sx, &sy, NULL, xa.label, ya.label, NULL);
    size_t drawn = 0;
    for (size_t i = 0; i < c->n_bins; i++) {
        if (!isfinite(c->a[i]))
            continue;
        double l = map(&sx, c->edges[i]), r = map(&sx, c->edges[i + 1]);
        double top = map(&sy, c->a[i]), base = map(&sy, fmax(sy.lo, 0));
        double gap = r - l > 4 ? 1 : 0;
        fputs("<rect", f);
        attr(f, "x", l + gap);
        attr(f, "y", fmin(top, base));
        attr(f, "width", fmax(r - l - 2 * gap, 0));
        attr(f, "height", fabs(base - top));
        fprintf(f, " fill=\"%s\" fill-opacity=\"0.45\" stroke=\"%s\" stroke-width=\"0.8\"/>\n",
                color_of(0), color_of(0));
        drawn++;
    }
    /* Group b as a step outline: two points per bin at its height, broken at non-finite bins. */
    size_t run = 0;
    for (size_t i = 0; i <= c->n_bins; i++) {
        int ok = i < c->n_bins && isfinite(c->b[i]);
        if (ok) {
            double l = map(&sx, c->edges[i]), r = map(&sx, c->edges[i + 1]);
            double y = map(&sy, c->b[i]);
            if (run == 0)
                fprintf(f, "<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"2.5\" "
                           "stroke-dasharray=\"%s\" points=\"", color_of(1), dash_of(1));
            else
                fputc(' ', f);
            num(f, l); fputc(',', f); num(f, y); fputc(' ', f);
            num(f, r); fputc(',', f); num(f, y);
            run++;
            drawn++;
        } else if (run > 0) {
            fputs("\"/>\n", f);
            run = 0;
        }
    }
    if (drawn == 0)
        no_data(f, &fr);
    svg_close(f);
    return mql_html_done(doc);
}

int mql_html_gains_chart(mql_html *doc, const mql_gains_chart *c)
{
    if (doc->status)
        return doc->status;
    for (size_t k = 0; k < c->n_curves; k++)
        if (c->curves[k].n > 0 && (!c->curves[k].x || !c->curves[k].y))
            return mql_html_fail(doc, MQL_EDATA, "gains chart '%s': curve '%s' has no values",
                                 c->title ? c->title : "",
                                 c->curves[k].name ? c->curves[k].name : "");
    legend_item *leg = calloc(c->n_curves + 1, sizeof *leg);
    if (!leg)
        return mql_html_fail(doc, MQL_ENOMEM, "HTML report: out of memory");
    size_t n_leg = 0;
    for (size_t k = 0; k < c->n_curves; k++)
        leg[n_leg++] = (legend_item){LEG_LINE, k, c->curves[k].name};
    leg[n_leg++] = (legend_item){LEG_REF, 0, "random selection"};
    frame fr = layout(leg, n_leg, 520, 340, 0);
    fr.x1 = fr.x0 + 340 < fr.w - 24 ? fr.x0 + 340 : fr.w - 24;
    mql_axis ax = {NULL, MQL_AXIS_PCT, 1, 0, 1};
    scale sx, sy;
    scale_init(&sx, 0, 1, &ax, 6, fr.x0, fr.x1);
    scale_init(&sy, 0, 1, &ax, 6, fr.y0, fr.y1);

    FILE *f = doc->f;
    svg_open(doc, c->title, c->source, fr.w, fr.h);
    legend(f, leg, n_leg, 20, 10, fr.w - 40);
    axes(f, &fr, &sx, &sy, NULL, c->x_label ? c->x_label : "share of leads (highest scores first)",
         c->y_label ? c->y_label : "share of won deals", NULL);
    line(f, map(&sx, 0), map(&sy, 0), map(&sx, 1), map(&sy, 1), "#777", 1.3, "5 4");
    size_t drawn = 0;
    for (size_t k = 0; k < c->n_curves; k++) {
        const mql_gains_curve *g = &c->curves[k];
        drawn += polyline(f, g->x, g->y, g->n, &sx, &sy, color_of(k), 2.5, dash_of(k));
        if (g->n <= 30)
            points(f, g->x, g->y, g->n, &sx, &sy, k, 3.5);
    }
    if (drawn == 0)
        no_data(f, &fr);
    svg_close(f);
    free(leg);
    return mql_html_done(doc);
}

/* Single-hue scale from near-white to dark blue: lightness falls monotonically with t, so the
 * order survives greyscale printing. */
static void heat_color(double t, char *buf, size_t cap)
{
    static const double a[3] = {239, 244, 251}, b[3] = {8, 48, 107};
    if (!(t >= 0))
        t = 0;
    if (t > 1)
        t = 1;
    int c[3];
    for (int i = 0; i < 3; i++)
        c[i] = (int)lround(a[i] + t * (b[i] - a[i]));
    snprintf(buf, cap, "#%02x%02x%02x", c[0], c[1], c[2]);
}

int mql_html_heatmap(mql_html *doc, const mql_heatmap *c)
{
    if (doc->status)
        return doc->status;
    size_t nr = c->n_rows, nc = c->n_cols, ncell = nr * nc;
    if (nc && ncell / nc != nr)
        return mql_html_fail(doc, MQL_EDATA, "heatmap '%s': too many cells",
                             c->title ? c->title : "");
    if (ncell > 0 && !c->value)
        return mql_html_fail(doc, MQL_EDATA, "heatmap '%s': values missing",
                             c->title ? c->title : "");
    const double cw = 132, ch = 60, left = 118, top = 58;
    double w = left + (double)nc * cw + 20, grid_h = (double)nr * ch;
    if (w < 480)
        w = 480;
    if (ncell == 0)
        grid_h = 120;
    double h = top + grid_h + 78;

    double vlo = INFINITY, vhi = -INFINITY;
    extend(&vlo, &vhi, c->value, ncell);
    if (c->min_span > 0 && vlo <= vhi && vhi - vlo < c->min_span) {
        /* Widen the colour scale around the values' middle, so small differences look small;
         * shares stay inside [0, 1]. */
        double mid = (vlo + vhi) / 2;
        vlo = mid - c->min_span / 2;
        vhi = mid + c->min_span / 2;
        if (c->value_fmt == MQL_AXIS_PCT && vlo < 0)
            vhi -= vlo, vlo = 0;
        if (c->value_fmt == MQL_AXIS_PCT && vhi > 1)
            vlo = fmax(0, vlo - (vhi - 1)), vhi = 1;
    }
    int any_nan = 0;
    for (size_t k = 0; k < ncell; k++)
        any_nan |= !isfinite(c->value[k]);

    FILE *f = doc->f;
    svg_open(doc, c->title, c->source, w, h);
    char buf[64], col[16];
    if (c->col_title)
        text(f, left + (double)nc * cw / 2, 18, "middle", "axis-label", c->col_title);
    if (c->row_title)
        text(f, 10, top - 10, "start", "axis-label", c->row_title);
    for (size_t j = 0; j < nc; j++) {
        const char *lab = c->col_labels ? c->col_labels[j] : NULL;
        if (!lab) {
            snprintf(buf, sizeof buf, "%zu", j + 1);
            lab = buf;
        }
        text(f, left + ((double)j + 0.5) * cw, top - 10, "middle", NULL, lab);
    }
    for (size_t i = 0; i < nr; i++) {
        const char *lab = c->row_labels ? c->row_labels[i] : NULL;
        if (!lab) {
            snprintf(buf, sizeof buf, "%zu", i + 1);
            lab = buf;
        }
        double cy = top + ((double)i + 0.5) * ch;
        text(f, left - 12, cy + 5, "end", "axis-label", lab);
        for (size_t j = 0; j < nc; j++) {
            size_t k = i * nc + j;
            double v = c->value[k], x = left + (double)j * cw, y = top + (double)i * ch;
            int ok = isfinite(v);
            double t = vhi > vlo ? (v - vlo) / (vhi - vlo) : 0.5;
            if (ok)
                heat_color(t, col, sizeof col);
            else
                snprintf(col, sizeof col, "#e6e6e6");
            fputs("<rect", f);
            attr(f, "x", x + 1);
            attr(f, "y", y + 1);
            attr(f, "width", cw - 2);
            attr(f, "height", ch - 2);
            fprintf(f, " fill=\"%s\" stroke=\"#fff\"/>\n", col);
            const char *ink = ok && t > 0.5 ? "#ffffff" : "#1d2330";
            const char *t1 = c->text1 ? c->text1[k] : NULL;
            const char *t2;
            if (!ok)
                t2 = "-";
            else if (c->text2 && c->text2[k] && c->text2[k][0])
                t2 = c->text2[k];
            else {
                double step = vhi > vlo ? nice_step((vhi - vlo) / 100) : nice_step(fabs(v) / 100);
                t2 = mql_html_tick_label(v, step, c->value_fmt, buf, sizeof buf);
            }
            double cx = x + cw / 2;
            /* Inline fill overrides the stylesheet's default ink for dark cells. */
            if (t1 && t1[0]) {
                fputs("<text", f);
                attr(f, "x", cx);
                attr(f, "y", y + ch / 2 - 4);
                fprintf(f, " text-anchor=\"middle\" style=\"fill:%s\">", ink);
                mql_html_esc(f, t1);
                fputs("</text>\n", f);
            }
            fputs("<text", f);
            attr(f, "x", cx);
            attr(f, "y", t1 && t1[0] ? y + ch / 2 + 14 : y + ch / 2 + 5);
            fprintf(f, " text-anchor=\"middle\" style=\"fill:%s;font-weight:700;font-size:14px\">",
                    ink);
            mql_html_esc(f, t2);
            fputs("</text>\n", f);
        }
    }
    if (ncell == 0)
        text(f, w / 2, top + grid_h / 2, "middle", "nodata", "no data");

    /* Colour key: five equal steps from the lowest to the highest finite value. */
    double ky = top + grid_h + 26, kx = left;
    if (c->legend_label)
        text(f, 10, ky + 13, "start", "axis-label", c->legend_label);
    if (vlo <= vhi) {
        double step = vhi > vlo ? nice_step((vhi - vlo) / 40) : nice_step(fabs(vlo) / 100);
        for (int s = 0; s < 5; s++) {
            heat_color(vhi > vlo ? (s + 0.5) / 5 : 0.5, col, sizeof col);
            fputs("<rect", f);
            attr(f, "x", kx + s * 48);
            attr(f, "y", ky);
            attr(f, "width", 48);
            attr(f, "height", 16);
            fprintf(f, " fill=\"%s\" stroke=\"#999\" stroke-width=\"0.5\"/>\n", col);
        }
        text(f, kx, ky + 32, "start", "tick",
             mql_html_tick_label(vlo, step, c->value_fmt, buf, sizeof buf));
        text(f, kx + 240, ky + 32, "end", "tick",
             mql_html_tick_label(vhi, step, c->value_fmt, buf, sizeof buf));
        kx += 260;
    }
    if (any_nan) {
        fputs("<rect", f);
        attr(f, "x", kx);
        attr(f, "y", ky);
        attr(f, "width", 24);
        attr(f, "height", 16);
        fputs(" fill=\"#e6e6e6\" stroke=\"#999\" stroke-width=\"0.5\"/>\n", f);
        text(f, kx + 30, ky + 13, "start", "tick", "- no value");
    }
    svg_close(f);
    return mql_html_done(doc);
}
