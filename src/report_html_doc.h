/* report_html_doc.h: the HTML document handle and the writing helpers report_html.c (document,
 * tables) and report_svg.c (charts) share; not part of the library's interface. */
#ifndef MQLCAL_SRC_REPORT_HTML_DOC_H
#define MQLCAL_SRC_REPORT_HTML_DOC_H

#include <stddef.h>
#include <stdio.h>

#include "mqlcal/common.h"
#include "mqlcal/report_html.h"

struct mql_html {
    FILE *f;
    int status;          /* first failure, sticky */
    mql_err err;
    int in_section;
    size_t n_charts;     /* numbers the SVG <title> ids */
    char **ids;          /* section ids used so far (unique) */
    size_t n_ids, cap_ids;
};

/* Records the first failure; later failures keep the first message. Returns the sticky status. */
int mql_html_fail(mql_html *doc, int status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Ends a call: turns a FILE write error into MQL_EIO. */
int mql_html_done(mql_html *doc);

/* Writes s with &, <, >, ", ' escaped (safe in text and in quoted attributes). NULL = "". */
void mql_html_esc(FILE *f, const char *s);

#endif
