/* report_html.h: a self-contained HTML document (inline CSS and SVG charts, no scripts, no network)
 * written to a caller-owned FILE *. Generic: it renders text, mql_tab tables and numeric arrays.
 *
 * Conventions shared by every function here:
 *  - The document handle records the first failure; later calls then write nothing and return
 *    that status, so a caller may check only mql_html_end. Each call returns MQL_OK, MQL_EDATA
 *    (invalid input: bad section id, histogram edges not increasing, ...), MQL_EIO (the FILE
 *    reported a write error) or MQL_ENOMEM.
 *  - Every text argument is escaped (&, <, >, ", ') and may be NULL (= empty); UTF-8 passes through.
 *  - Numeric inputs: non-finite values (NAN, +-inf) are gaps, never drawn; charts with no finite
 *    data, one point or all-equal values still render axes with finite coordinates.
 *  - Numbers are written with printf in the C numeric locale (mqlcal never calls setlocale). */
#ifndef MQLCAL_REPORT_HTML_H
#define MQLCAL_REPORT_HTML_H

#include <stddef.h>
#include <stdio.h>

#include "mqlcal/common.h"
#include "mqlcal/report_table.h"

typedef struct mql_html mql_html;

/* ---- document ------------------------------------------------------------------------------- */

/* Writes the doctype, <head> (charset, title, inline <style>) and the page header with title and
 * subtitle (subtitle may be NULL) to f, which stays caller-owned (the caller makes the output
 * atomic). Returns a handle to pass to the other calls, or NULL when out of memory (nothing
 * written). The handle is released by mql_html_end or mql_html_free. */
mql_html *mql_html_begin(FILE *f, const char *title, const char *subtitle);

/* Closes the open section, writes the footer line (may be NULL), closes the document, flushes f
 * and frees doc. Returns MQL_OK or the first failure recorded (err filled; err may be NULL); after
 * a failure the document is left unfinished and the caller should discard the output. */
int mql_html_end(mql_html *doc, const char *footer, mql_err *err);

/* Frees doc without finishing the document (for a caller abandoning the output). NULL-safe. */
void mql_html_free(mql_html *doc);

/* A table of contents: links to the sections ids[i] labelled labels[i], n entries. */
int mql_html_nav(mql_html *doc, const char *const *ids, const char *const *labels, size_t n);

/* Starts <section id="id"> with an <h2> heading and an optional intro paragraph (NULL = none),
 * closing the previous section. id must be non-empty, of letters, digits, '-' and '_', starting
 * with a letter, and unique within the document (MQL_EDATA otherwise). */
int mql_html_section(mql_html *doc, const char *id, const char *heading, const char *intro);

/* A sub-heading (<h3>) inside the current section. */
int mql_html_subheading(mql_html *doc, const char *text);

/* A paragraph of escaped text. */
int mql_html_para(mql_html *doc, const char *text);

/* A paragraph from a printf format; the formatted text is escaped. */
int mql_html_paraf(mql_html *doc, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* A paragraph labelled "benchmark from practice": industry figures given as context, not data. */
int mql_html_benchmark(mql_html *doc, const char *text);

typedef enum mql_callout_kind {
    MQL_CALLOUT_INFO,
    MQL_CALLOUT_WARNING,
    MQL_CALLOUT_GOOD
} mql_callout_kind;

/* A highlighted box for a finding: bold title (may be NULL) and text. The kind shows in the
 * colour and in the border style, so it survives greyscale printing. */
int mql_html_callout(mql_html *doc, mql_callout_kind kind, const char *title, const char *text);

/* One KPI card: a short label, the value as text and an optional note (NULL = none). benchmark
 * marks the value as a benchmark from practice rather than a figure from the data. */
typedef struct mql_kpi {
    const char *label;
    const char *value;
    const char *note;
    int benchmark;
} mql_kpi;

/* A row of n KPI cards. */
int mql_html_kpis(mql_html *doc, const mql_kpi *kpis, size_t n);

/* A definition list of n terms[i] / defs[i] pairs. */
int mql_html_deflist(mql_html *doc, const char *const *terms, const char *const *defs, size_t n);

/* No row to highlight in mql_html_table. */
#define MQL_HTML_NO_ROW ((size_t)-1)

/* Renders t as an HTML table: a header row of the column names and one row per table row, each
 * cell exactly the mql_tab_cell text; cells added as numbers (and their columns' headers) are
 * right-aligned. caption (may be NULL) goes above; source (may be NULL) adds the note
 * "source: SOURCE" below, naming the CSV that holds the same numbers. Row index highlight
 * (0-based; MQL_HTML_NO_ROW for none) is emphasised, e.g. the recommended threshold;
 * highlight_note (may be NULL) explains it under the table. */
int mql_html_table(mql_html *doc, const mql_tab *t, const char *caption, const char *source,
                   size_t highlight, const char *highlight_note);

/* ---- charts --------------------------------------------------------------------------------- */

typedef enum mql_axis_fmt {
    MQL_AXIS_NUM,   /* plain numbers, decimals from the tick step */
    MQL_AXIS_INT,   /* integers with thousands separators; tick step at least 1 */
    MQL_AXIS_PCT    /* values are proportions (0.25) shown as percentages (25%) */
} mql_axis_fmt;

/* One axis. The range is automatic (nice 1-2-5 ticks covering the data) unless min < max, which
 * fixes it; from_zero makes an automatic range include 0. A zeroed struct is a valid default. */
typedef struct mql_axis {
    const char *label;
    mql_axis_fmt fmt;
    int from_zero;
    double min, max;
} mql_axis;

/* A vertical marker line at x with a label (e.g. "recommended: 70"); skipped when x is outside
 * the x range or not finite. */
typedef struct mql_marker {
    double x;
    const char *label;
} mql_marker;

/* One series of a line chart: y[i] at the chart's x[i]; lo and hi (both or neither, may be NULL)
 * shade an interval band, a non-finite lo or hi leaving a gap; secondary plots the series
 * against the right-hand axis (y2). */
typedef struct mql_series {
    const char *name;
    const double *y;
    const double *lo, *hi;
    int secondary;
} mql_series;

/* Every chart has a title (the SVG <title> and the figure caption) and an optional source note
 * naming the CSV that holds its numbers. */
typedef struct mql_line_chart {
    const char *title, *source;
    const double *x;
    size_t n;
    const mql_series *series;
    size_t n_series;
    mql_axis x_axis, y_axis, y2_axis;   /* y2_axis used only when a series is secondary */
    const mql_marker *markers;
    size_t n_markers;
    const char *band_name;   /* legend text for the shaded bands, e.g. "shaded: 95% interval" */
} mql_line_chart;

/* Several series over a shared x (x need not be sorted; points are joined in the order given and
 * a non-finite x or y breaks the line). Series are told apart by colour, dash pattern and point
 * shape. MQL_EDATA when a series has lo without hi or y is NULL while n > 0. */
int mql_html_line_chart(mql_html *doc, const mql_line_chart *c);

/* Reliability diagram: predicted probability pred[i] (x) against observed rate obs[i] (y), with
 * vertical whiskers lo[i]..hi[i] (e.g. Wilson 95%; lo/hi may be NULL) and the diagonal y = x.
 * Both axes share one range starting at 0, so the diagonal is at 45 degrees; the format comes
 * from x_axis.fmt (PCT by default would be typical), labels from each axis. */
typedef struct mql_reliability_chart {
    const char *title, *source;
    const double *pred, *obs, *lo, *hi;
    size_t n;
    const char *points_name;    /* legend text for the points, e.g. "observed (95% Wilson)" */
    mql_axis x_axis, y_axis;
} mql_reliability_chart;

int mql_html_reliability_chart(mql_html *doc, const mql_reliability_chart *c);

/* Two overlaid distributions over the same bins: edges[0..n_bins] (strictly increasing, finite),
 * group a drawn as filled bars and group b as a dashed step outline; a[i], b[i] are counts or
 * shares of bin [edges[i], edges[i+1]). MQL_EDATA when the edges are not strictly increasing. */
typedef struct mql_histogram_chart {
    const char *title, *source;
    const double *edges;
    size_t n_bins;
    const double *a, *b;
    const char *a_name, *b_name;
    mql_axis x_axis, y_axis;
} mql_histogram_chart;

int mql_html_histogram_chart(mql_html *doc, const mql_histogram_chart *c);

/* One cumulative gains curve: share of leads x[i] (best scores first) against share of won y[i],
 * both in [0, 1]; include (0, 0) to start at the origin. */
typedef struct mql_gains_curve {
    const char *name;
    const double *x, *y;
    size_t n;
} mql_gains_curve;

/* Cumulative gains for one or more models on fixed 0-100% axes with the random diagonal.
 * Axis labels default to "share of leads" / "share of won deals" when x_label / y_label are NULL. */
typedef struct mql_gains_chart {
    const char *title, *source;
    const mql_gains_curve *curves;
    size_t n_curves;
    const char *x_label, *y_label;
} mql_gains_chart;

int mql_html_gains_chart(mql_html *doc, const mql_gains_chart *c);

/* A grid of n_rows x n_cols cells (row-major arrays of n_rows * n_cols) coloured by value[k]
 * (light = low, dark = high: a single-hue scale that stays ordered in greyscale). Each cell shows
 * text1[k] (e.g. "312 leads"; the array may be NULL) above text2[k] (e.g. "9.6%"; when the array
 * is NULL the value is formatted with value_fmt). A non-finite value is a grey cell whose second
 * line is "-". row_labels / col_labels (may be NULL: rows and columns are then numbered) and
 * row_title / col_title name the two dimensions; legend_label titles the colour key. */
typedef struct mql_heatmap {
    const char *title, *source;
    size_t n_rows, n_cols;
    const char *const *row_labels, *const *col_labels;
    const char *row_title, *col_title, *legend_label;
    const double *value;
    const char *const *text1, *const *text2;
    mql_axis_fmt value_fmt;
    double min_span;          /* > 0: the colour scale spans at least this much, centred on the
                                 values' middle (shares kept in [0, 1]); 0: lowest to highest */
} mql_heatmap;

int mql_html_heatmap(mql_html *doc, const mql_heatmap *c);

/* Nice tick positions (1, 2 or 5 x 10^k apart) for data in [lo, hi] (either may be non-finite:
 * then [0, 1] is used; lo == hi is widened), at most max_ticks; fmt MQL_AXIS_INT keeps the step
 * at least 1. Writes the covering range to *out_lo, *out_hi, the step to *step and the ticks
 * (from *out_lo to *out_hi) to ticks; returns their number (at least 2). */
size_t mql_html_nice_ticks(double lo, double hi, mql_axis_fmt fmt, size_t max_ticks,
                           double *out_lo, double *out_hi, double *step, double *ticks);

/* Formats v as a tick label for the given step: PCT as "25%" / "2.5%", INT and large NUM with
 * thousands separators ("12,500"), NUM with as many decimals as the step needs. Writes at most
 * cap bytes to buf and returns buf. */
char *mql_html_tick_label(double v, double step, mql_axis_fmt fmt, char *buf, size_t cap);

#endif
