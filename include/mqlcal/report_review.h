/* report_review.h: writing a review (review.h) as files: the self-contained index.html (through
 * report_html.h), summary.md, the model, its rules and one CSV per table. Library code: returns a
 * status with the failing file named in err; the caller makes the directory atomic. */
#ifndef MQLCAL_REPORT_REVIEW_H
#define MQLCAL_REPORT_REVIEW_H

#include <stdio.h>
#include "mqlcal/common.h"
#include "mqlcal/review.h"

/* The file that marks a directory as a review mqlcal wrote (so a later review may replace it). */
#define MQL_REVIEW_MARKER ".mqlcal-review"

/* Writes the HTML report of r to f (caller-owned, not closed): findings, data, current vs new,
 * points, thresholds, calibration, score distribution, gains, grades and plan, every table and
 * chart citing the CSV file that holds its numbers. Returns MQL_OK, MQL_EIO (a write error on
 * f), MQL_EDATA or MQL_ENOMEM, with err filled. */
int mql_review_write_html(const mql_review *r, FILE *f, mql_err *err);

/* Writes summary.md of r to f (not closed): the split, the recommendation, the findings, the key
 * figures, the comparison and the plan as Markdown. Returns MQL_OK or MQL_EIO. */
int mql_review_write_summary_md(const mql_review *r, FILE *f, mql_err *err);

/* Writes every file of the report into the existing directory dir: summary.csv and one CSV per
 * table of r (a table r does not have is not written), model.json, rules.csv, summary.md,
 * index.html and the marker MQL_REVIEW_MARKER. Files are created or truncated in place: dir
 * should be a fresh temporary directory the caller renames into place. Returns MQL_OK, MQL_EIO
 * (err: "DIR/NAME: cannot create: ..." or "DIR/NAME: write error"), or another status of the
 * writers above (err prefixed with the file). */
int mql_review_write_dir(const mql_review *r, const char *dir, mql_err *err);

#endif
