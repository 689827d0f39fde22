/* testutil_table.h: a lead table read from CSV text, for the unit tests that build one inline. */
#ifndef MQLCAL_TESTUTIL_TABLE_H
#define MQLCAL_TESTUTIL_TABLE_H

#include "testutil.h"

#include <unistd.h>

#include "mqlcal/table.h"

/* Writes text to a temporary file and reads it with o (NULL: the defaults); a read that fails
 * fails the test with the reader's message. The file is removed either way. */
static inline mql_table *table_from_text(const char *text, const mql_read_opts *o)
{
    char path[64];
    mql_table *t = NULL;
    mql_err err;
    assert_non_null(write_temp(path, sizeof path, text));
    int st = mql_table_read(path, o, &t, &err);
    unlink(path);
    if (st)
        fail_msg("read failed: %s", err.msg);
    return t;
}

#endif
