/* selfcheck.c: the self-check of DESIGN section 4: the exported rules CSV, read back and scored
 * by the scorer, must give every training lead the score the model gives it inside. It sits above
 * both points_fit (the inside scores) and score (the rules scorer), so neither imports the other. */
#include "mqlcal/selfcheck.h"

#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mqlcal/points_cost.h"
#include "mqlcal/points_fit.h"
#include "mqlcal/rules_csv.h"
#include "mqlcal/score.h"

/* ==== self-check ============================================================================= */

/* Index of the step holding x: the lower bounds lo[1..n) that are <= x (as points_fit counts). */
static size_t step_at(const mql_points_step *s, double x)
{
    size_t k = 0;
    for (size_t i = 1; i < s->n; i++)
        k += s->lo[i] <= x;
    return k;
}

/* Two levels of feature f that are one value by value.h's equality, or 0. */
static int equal_levels(const mql_feature *f, const char **a, const char **b)
{
    size_t n = f->n_levels + f->n_pooled;
    for (size_t i = 0; f->enc == MQL_ENC_CATEGORICAL && i < n; i++)
        for (size_t j = i + 1; j < n; j++) {
            const char *x = i < f->n_levels ? f->levels[i] : f->pooled[i - f->n_levels];
            const char *y = j < f->n_levels ? f->levels[j] : f->pooled[j - f->n_levels];
            if (mql_value_eq(x, y)) {
                *a = x;
                *b = y;
                return 1;
            }
        }
    return 0;
}

/* Appends to err the likely cause of a rules file that does not read back: two levels of one
 * feature that the rules take for one value, or a value kept as an answer that the rules read
 * as a placeholder. */
static void explain_read_back(const mql_design *d, mql_err *err)
{
    if (strstr(err->msg, "is a missing-value placeholder")) {
        size_t n = strlen(err->msg);
        snprintf(err->msg + n, sizeof err->msg - n, "; likely cause: the training file kept it as "
                 "a value (--na), but the rules were written without that placeholder list");
        return;
    }
    for (size_t i = 0; i < d->n_features; i++) {
        const char *a, *b;
        if (equal_levels(&d->features[i], &a, &b)) {
            size_t n = strlen(err->msg);
            snprintf(err->msg + n, sizeof err->msg - n, "; likely cause: '%s' has the levels "
                     "'%s' and '%s', which are one value to the rules (case, blanks, number or "
                     "boolean spelling) but two levels in the model",
                     d->features[i].name, a, b);
            return;
        }
    }
}

/* Appends to err which feature makes row r score differently inside the model and through the
 * read-back rules, and the likely cause. */
static void explain_row(const mql_design *d, const mql_design_binding *b, const mql_points *m,
                        const mql_points *back, size_t r, mql_err *err)
{
    double *x = malloc(d->p * sizeof *x);
    mql_err e2;
    if (!x || mql_design_fill((void *)b, r, 1, x, &e2)) {
        free(x);
        return;
    }
    for (size_t i = 0; i < d->n_features; i++) {
        const mql_feature *f = &d->features[i];
        long in = 0;
        int miss_set = f->has_missing && x[f->term0 + f->n_terms - 1] != 0;
        for (size_t t = 0; t < f->n_terms; t++) {
            size_t j = f->term0 + t;
            const mql_points_step *s = NULL;
            for (size_t k = 0; k < m->n_steps; k++)
                if (m->steps[k].term == j)
                    s = &m->steps[k];
            if (s)
                in += miss_set ? 0 : s->points[step_at(s, x[j])];
            else if (m->term_points && x[j] != 0)
                in += m->term_points[j];
        }
        const mql_column *col = b->f[i].col;
        char text[256];
        mql_cell_text(col, r, text, sizeof text);
        int table_missing = mql_cell_missing(col, r);
        mql_cell cell;
        mql_cell_from_text(&cell, text, mql_points_na(back), back->na.n);
        if (table_missing)
            cell.missing = 1;
        long out = 0;
        const mql_rule *hit = NULL;
        for (size_t k = 0; k < back->n_rules; k++)
            if (back->rules[k].n_cond == 1 &&
                strcmp(back->rules[k].cond[0].feature, f->name) == 0 &&
                mql_rule_match(&back->rules[k], &cell)) {
                out += back->rules[k].points;
                hit = &back->rules[k];
            }
        if (in == out)
            continue;
        char rule[300] = "no rule";
        if (hit) {
            char rt[256];
            snprintf(rule, sizeof rule, "the rule '%s'", mql_rule_text(hit, rt, sizeof rt));
        }
        const char *a, *bb, *cause;
        char why[400];
        if (cell.missing && !table_missing)
            snprintf(why, sizeof why, "'%s' is a missing-value placeholder to the rules but a "
                     "value in the data: the file's placeholder list (--na) did not travel with "
                     "the rules", text);
        else if (equal_levels(f, &a, &bb))
            snprintf(why, sizeof why, "the model holds '%s' and '%s' as two levels, but they are "
                     "one value (case, blanks, number or boolean spelling)", a, bb);
        else if (!hit && cell.is_num && (f->enc == MQL_ENC_LINEAR || f->enc == MQL_ENC_BINNED))
            snprintf(why, sizeof why, "%s lies between two rules' bounds", text);
        else {
            cause = hit ? "the rule's points differ from the model's (was the table edited after "
                          "the fit?)"
                        : "no exported rule matches the value";
            snprintf(why, sizeof why, "%s", cause);
        }
        size_t n = strlen(err->msg);
        snprintf(err->msg + n, sizeof err->msg - n, ": '%s' = '%s' gets %+ld by %s and %+ld "
                 "inside the model; likely cause: %s", f->name, table_missing ? "" : text, out,
                 rule, in, why);
        break;
    }
    free(x);
}

/* One thread's share of the rows scored through the read-back rules. */
typedef struct outside_job {
    const mql_scorer *sc;
    const size_t *rows;
    size_t k;
    long *score;
} outside_job;

static void *outside_run(void *arg)
{
    outside_job *j = arg;
    mql_scorer_score_rows(j->sc, j->rows, j->k, j->score);
    return NULL;
}

/* The scores of rows[0..k) through the read-back rules: the second half on a second thread
 * when there are rows enough (each row's score is its own, so the split does not change it)
 * and every rule has one condition; a compound rule is matched in scratch of the scorer's own,
 * which one thread at a time may use. */
static void score_outside(const mql_scorer *sc, const mql_points *back, const size_t *rows,
                          size_t k, long *score)
{
    int single = 1;
    for (size_t i = 0; i < back->n_rules; i++)
        single &= back->rules[i].n_cond == 1;
    size_t half = k / 2;
    outside_job j = {sc, rows + half, k - half, score + half};
    pthread_t th;
    if (single && k >= 4096 && pthread_create(&th, NULL, outside_run, &j) == 0) {
        mql_scorer_score_rows(sc, rows, half, score);
        pthread_join(th, NULL);
    } else {
        mql_scorer_score_rows(sc, rows, k, score);
    }
}

static int check_rows(const mql_design *d, const mql_design_binding *b, const mql_points *m,
                      const long *given, const size_t *rows, size_t k, mql_err *err);

int mql_points_self_check(const mql_design *d, const mql_design_binding *b, const mql_points *m,
                          mql_err *err)
{
    return mql_points_self_check_scored(d, b, m, NULL, err);
}

int mql_points_self_check_scored(const mql_design *d, const mql_design_binding *b,
                                 const mql_points *m, const long *given, mql_err *err)
{
    return check_rows(d, b, m, given, NULL, 0, err);
}

int mql_points_self_check_rows(const mql_design *d, const mql_design_binding *b,
                               const mql_points *m, const size_t *rows, size_t k, mql_err *err)
{
    return mql_points_self_check_rows_scored(d, b, m, rows, k, NULL, err);
}

int mql_points_self_check_rows_scored(const mql_design *d, const mql_design_binding *b,
                                      const mql_points *m, const size_t *rows, size_t k,
                                      const long *inside, mql_err *err)
{
    for (size_t i = 0; i < k; i++)
        if (rows[i] >= b->n_rows || (i && rows[i] <= rows[i - 1]))
            return mql_err_set(err, MQL_EUSAGE, "self-check: rows must be ascending and below "
                               "%zu", b->n_rows);
    return check_rows(d, b, m, inside, rows, k, err);
}

/* The self-check on every row (rows NULL; inside scores given or computed by design rows) or on
 * rows[0..k) (inside scores from mql_points_inside_rows, outside ones row by row). */
static int check_rows(const mql_design *d, const mql_design_binding *b, const mql_points *m,
                      const long *given, const size_t *rows, size_t k, mql_err *err)
{
    size_t n = rows ? k : b->n_rows;
    long *inside = given ? NULL : malloc((n ? n : 1) * sizeof *inside);
    long *outside = malloc((n ? n : 1) * sizeof *outside);
    char *buf = NULL;
    size_t len = 0;
    FILE *mem = NULL;
    mql_points *back = NULL;
    mql_scorer *sc = NULL;
    int rc = MQL_OK;
    if ((!given && !inside) || !outside) {
        rc = mql_err_set(err, MQL_ENOMEM, "out of memory");
        goto done;
    }
    if (!given && !rows && (rc = mql_points_internal_scores(d, b, m, NULL, inside, NULL, err)))
        goto done;
    if (!given && rows && (rc = mql_points_inside_rows(d, b, m, rows, k, inside, err)))
        goto done;
    const long *in = given ? given : inside;
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
        (!rows && (rc = mql_scorer_score_all(sc, outside, NULL, NULL, err)))) {
        mql_err_prefix(err, rc, "self-check failed: the exported rules do not read back");
        explain_read_back(d, err);
        goto done;
    }
    if (rows)
        score_outside(sc, back, rows, k, outside);
    for (size_t i = 0; i < n; i++)
        if (in[i] != outside[i]) {
            size_t r = rows ? rows[i] : i;
            rc = mql_err_set(err, MQL_EDATA, "self-check failed: lead on line %zu scores %ld by "
                             "the exported rules and %ld inside the model", r + 2, outside[i],
                             in[i]);
            explain_row(d, b, m, back, r, err);
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

