/* selfcheck.c: the self-check of DESIGN section 4: the exported rules CSV, read back and scored
 * by the scorer, must give every training lead the score the model gives it inside. It sits above
 * both points_fit (the inside scores) and score (the rules scorer), so neither imports the other. */
#include "mqlcal/selfcheck.h"

#include <stdio.h>
#include <stdlib.h>

#include "mqlcal/points_fit.h"
#include "mqlcal/rules_csv.h"
#include "mqlcal/score.h"

/* ==== self-check ============================================================================= */

int mql_points_self_check(const mql_design *d, const mql_design_binding *b, const mql_points *m,
                          mql_err *err)
{
    size_t n = b->n_rows;
    long *inside = malloc((n ? n : 1) * sizeof *inside);
    long *outside = malloc((n ? n : 1) * sizeof *outside);
    char *buf = NULL;
    size_t len = 0;
    FILE *mem = NULL;
    mql_points *back = NULL;
    mql_scorer *sc = NULL;
    int rc = MQL_OK;
    if (!inside || !outside) {
        rc = mql_err_set(err, MQL_ENOMEM, "out of memory");
        goto done;
    }
    if ((rc = mql_points_internal_scores(d, b, m, NULL, inside, NULL, err)))
        goto done;
    if (!(mem = open_memstream(&buf, &len))) {
        rc = mql_err_set(err, MQL_ENOMEM, "self-check: cannot open a memory stream");
        goto done;
    }
    rc = mql_points_write_csv(m, mem);
    if (fclose(mem) != 0 && rc == MQL_OK)
        rc = MQL_EIO;
    mem = NULL;
    if (rc) {
        rc = mql_err_set(err, MQL_ENOMEM, "self-check: writing the rules to memory failed");
        goto done;
    }
    if (!(mem = fmemopen(buf, len ? len : 1, "r"))) {
        rc = mql_err_set(err, MQL_ENOMEM, "self-check: cannot open a memory stream");
        goto done;
    }
    if ((rc = mql_points_read_stream(mem, "rules.csv", &back, err)) ||
        (rc = mql_scorer_bind(back, b->table, &sc, err)) ||
        (rc = mql_scorer_score_all(sc, outside, NULL, NULL, err))) {
        mql_err_prefix(err, rc, "self-check failed: the exported rules do not read back");
        goto done;
    }
    for (size_t r = 0; r < n; r++)
        if (inside[r] != outside[r]) {
            rc = mql_err_set(err, MQL_EDATA, "self-check failed: lead on line %zu scores %ld by "
                             "the exported rules and %ld inside the model", r + 2, outside[r],
                             inside[r]);
            break;
        }
done:
    if (mem)
        fclose(mem);
    free(buf);
    mql_scorer_free(sc);
    mql_points_free(back);
    free(inside);
    free(outside);
    return rc;
}

