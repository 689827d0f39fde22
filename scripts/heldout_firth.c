/* heldout_firth.c: the held-out comparison behind the default small-data method (docs/FIRTH.md):
 * repeated random 70/30 splits of a leads file; on each, Firth's penalized likelihood with the
 * FLIC intercept and the ridge fit --l2 1 are trained on the 70% (default design, as `review`
 * builds it) and judged on the 30% by log loss and calibration slope (logistic recalibration of
 * the exact model probabilities, metrics.h), plus the plain fit where it exists.
 *
 *   build/tools/heldout_firth datasets/b2b-opportunities/B2B_dataset.csv Status=Won [REPEATS]
 *
 * Prints one line per method: splits, median and mean log loss, median and mean calibration
 * slope, mean |slope - 1|, and how often Firth's log loss was lower. Deterministic (seed 1). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_errno.h>

#include "mqlcal/metrics.h"
#include "mqlcal/model.h"
#include "mqlcal/table_ops.h"

enum { M_FIRTH, M_RIDGE, M_PLAIN, N_METHODS };
static const char *const names[] = {"Firth + FLIC", "ridge --l2 1", "plain ML"};

static uint64_t rng = 1;
static double unif(void)
{
    rng = rng * 6364136223846793005ULL + 1442695040888963407ULL;
    return (double)(rng >> 11) / 9007199254740992.0;
}

static int cmp_d(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median(double *v, size_t n)
{
    if (n == 0)
        return NAN;
    qsort(v, n, sizeof *v, cmp_d);
    return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

/* Probabilities of model m on table t (the exact fitted model, not the points). */
static int predict(const mql_model *m, const mql_table *t, double *p, mql_err *err)
{
    mql_design_binding *b = NULL;
    int st = mql_design_bind(m->design, t, &b, err);
    double *x = malloc(m->design->p * sizeof *x);
    for (size_t i = 0; !st && i < t->n_rows; i++) {
        st = mql_design_fill(b, i, 1, x, err);
        p[i] = mql_logistic(mql_glm_eta(x, m->fit->beta, m->design->p));
    }
    free(x);
    mql_design_binding_free(b);
    return st;
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: heldout_firth LEADS.csv OUTCOME [REPEATS]\n");
        return 2;
    }
    gsl_set_error_handler_off();
    long reps = argc > 3 ? strtol(argv[3], NULL, 10) : 200;
    mql_err err;
    mql_table *t = NULL;
    mql_flag_spec spec;
    if (mql_table_read(argv[1], NULL, &t, &err) || mql_flag_spec_parse(argv[2], &spec, &err)) {
        fprintf(stderr, "heldout_firth: %s\n", err.msg);
        return 1;
    }
    size_t n = t->n_rows;
    unsigned char *y = malloc(n), *tr = malloc(n), *te = malloc(n);
    unsigned char *ytr = malloc(n), *yte = malloc(n);
    double *p = malloc(n * sizeof *p);
    double *ll[N_METHODS], *sl[N_METHODS];
    size_t cnt[N_METHODS] = {0}, firth_better = 0, both = 0;
    for (int k = 0; k < N_METHODS; k++) {
        ll[k] = malloc(reps * sizeof(double));
        sl[k] = malloc(reps * sizeof(double));
    }
    if (mql_flag_eval(t, &spec, y, &err)) {
        fprintf(stderr, "heldout_firth: %s\n", err.msg);
        return 1;
    }
    char role[256];
    snprintf(role, sizeof role, "%.*s", (int)strcspn(argv[2], "="), argv[2]);
    mql_design_opts dopts;
    mql_design_opts_init(&dopts);
    mql_design_opts_add_role(&dopts, role, &err);
    for (long r = 0; r < reps; r++) {
        for (size_t i = 0; i < n; i++) {
            tr[i] = unif() < 0.7;
            te[i] = !tr[i];
        }
        mql_table *tt = NULL, *et = NULL;
        size_t a = 0, b = 0;
        for (size_t i = 0; i < n; i++) {
            if (tr[i])
                ytr[a++] = y[i];
            else
                yte[b++] = y[i];
        }
        if (mql_table_subset(t, tr, &tt, &err) || mql_table_subset(t, te, &et, &err)) {
            fprintf(stderr, "heldout_firth: %s\n", err.msg);
            return 1;
        }
        double split_ll[N_METHODS];
        int ok[N_METHODS] = {0};
        for (int k = 0; k < N_METHODS; k++) {
            mql_glm_opts g;
            mql_glm_opts_default(&g);
            if (k == M_FIRTH) {
                g.method = MQL_GLM_METHOD_FIRTH;
                g.profile = 0;
            } else if (k == M_RIDGE) {
                g.l2 = 1.0;
            }
            mql_model *m = NULL;
            mql_calib c;
            if (mql_model_train(tt, ytr, NULL, &dopts, &g, &m, NULL, &err) == MQL_OK &&
                predict(m, et, p, &err) == MQL_OK &&
                mql_logloss(p, yte, NULL, b, &split_ll[k], &err) == MQL_OK &&
                mql_calibration(p, yte, NULL, b, &c, &err) == MQL_OK) {
                ll[k][cnt[k]] = split_ll[k];
                sl[k][cnt[k]++] = c.slope;
                ok[k] = 1;
            } else if (k != M_PLAIN) {
                fprintf(stderr, "split %ld, %s: %s\n", r + 1, names[k], err.msg);
            }
            mql_model_free(m);
        }
        if (ok[M_FIRTH] && ok[M_RIDGE]) {
            both++;
            firth_better += split_ll[M_FIRTH] < split_ll[M_RIDGE];
        }
        mql_table_free(tt);
        mql_table_free(et);
    }
    printf("%s, outcome %s: %ld random 70/30 splits (seed 1), judged on the 30%%\n", argv[1],
           argv[2], reps);
    printf("%-14s %6s %12s %10s %12s %10s %12s\n", "method", "splits", "logloss_med",
           "logloss_mean", "slope_med", "slope_mean", "mean|slope-1|");
    for (int k = 0; k < N_METHODS; k++) {
        double ml = 0, ms = 0, md = 0;
        for (size_t i = 0; i < cnt[k]; i++) {
            ml += ll[k][i];
            ms += sl[k][i];
            md += fabs(sl[k][i] - 1.0);
        }
        size_t c = cnt[k];
        printf("%-14s %6zu %12.4f %10.4f %12.3f %10.3f %12.3f\n", names[k], c,
               median(ll[k], c), c ? ml / c : NAN, median(sl[k], c), c ? ms / c : NAN,
               c ? md / c : NAN);
    }
    printf("Firth + FLIC has the lower held-out log loss on %zu of %zu splits\n", firth_better,
           both);
    return 0;
}
