/* test_activity_fit.c: the snapshot table of datasets/synthetic-activity*.csv (every lead 30 days
 * after creation, webinar half-life 14 days, pricing_page 60 days) and the logistic fit on it,
 * against R: scripts/ref_activity.R rebuilds the features from the raw log on its own and fits
 * glm (tests/fixtures/activity/ref_glm.txt). Tolerances: features 1e-12 relative, coefficients
 * and standard errors 1e-6 relative, deviance 1e-8 relative. */
#include "testutil.h"

#include <math.h>

#include "mqlcal/activity_fit.h"

typedef struct ref_row {
    char name[64];
    double a, b;
} ref_row;

static size_t ref_read(ref_row *rows, size_t cap)
{
    FILE *f = fopen("tests/fixtures/activity/ref_glm.txt", "r");
    assert_non_null(f);
    char line[512];
    size_t n = 0;
    while (fgets(line, sizeof line, f) && n < cap) {
        if (line[0] == '#')
            continue;
        char *sp = strrchr(line, ' ');
        assert_non_null(sp);
        /* "NAME A B", "deviance A", "feature ID A B": split from the right */
        ref_row *r = &rows[n++];
        r->b = NAN;
        char *p1 = NULL;
        *sp = '\0';
        double last = strtod(sp + 1, NULL);
        char *sp2 = strrchr(line, ' ');
        if (sp2 && (strncmp(line, "feature ", 8) == 0 || strncmp(line, "deviance", 8) != 0) &&
            strncmp(line, "rows", 4) != 0) {
            *sp2 = '\0';
            r->a = strtod(sp2 + 1, &p1);
            r->b = last;
        } else {
            r->a = last;
        }
        snprintf(r->name, sizeof r->name, "%.63s", line);
    }
    fclose(f);
    return n;
}

static const ref_row *ref_get(const ref_row *rows, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(rows[i].name, name) == 0)
            return &rows[i];
    fail_msg("no reference row '%s'", name);
    return NULL;
}

static int rel_close(double x, double want, double tol)
{
    return fabs(x - want) <= tol * fabs(want) + 1e-300;
}

static void test_features_and_fit_equal_r(void **state)
{
    (void)state;
    ref_row ref[32];
    size_t nref = ref_read(ref, 32);
    mql_err err;
    mql_table *t = NULL;
    const char *const cat[] = {"lead_id"};
    mql_read_opts ro = {.categorical = cat, .n_categorical = 1};
    assert_int_equal(mql_table_read("datasets/synthetic-activity-leads.csv", &ro, &t, &err),
                     MQL_OK);
    long cc = mql_table_find(t, "created_date"), yc = mql_table_find(t, "closed_won");
    long wc = mql_table_find(t, "won_date");
    size_t n = t->n_rows;
    unsigned char *y = malloc(n);
    double *won = malloc(n * sizeof *won);
    for (size_t i = 0; i < n; i++) {
        y[i] = t->cols[yc].num[i] == 1;
        won[i] = t->cols[wc].num[i];
    }
    mql_activity_spec sp = {.path = "datasets/synthetic-activity.csv", .key = "lead_id"};
    mql_activity *a = NULL;
    assert_int_equal(mql_activity_load(&sp, t, cc, &a, &err), MQL_OK);
    assert_string_equal(a->types[0], "pricing_page");
    assert_string_equal(a->types[1], "webinar");
    mql_decay dec[2] = {{MQL_DECAY_HALF_LIFE, 60}, {MQL_DECAY_HALF_LIFE, 14}};
    mql_activity_setup s = {.leads = t, .created_col = cc, .y = y, .won_day = won, .act = a,
                            .snap = {.mode = MQL_SNAP_AS_OF_DAYS, .as_of_days = 30,
                                     .end_day = NAN}};
    mql_activity_data *d = NULL;
    assert_int_equal(mql_activity_data_build(&s, dec, &d, &err), MQL_OK);
    assert_int_equal(d->table->n_rows, (size_t)ref_get(ref, nref, "rows")->a);
    /* The first five leads' features, rebuilt by R from the raw log. */
    const char *ids[] = {"L0000001", "L0000002", "L0000003", "L0000004", "L0000005"};
    for (size_t i = 0; i < 5; i++) {
        char key[80];
        snprintf(key, sizeof key, "feature %s", ids[i]);
        const ref_row *r = ref_get(ref, nref, key);
        assert_true(rel_close(d->table->cols[d->first_col + 0].num[i], r->a, 1e-12));
        assert_true(rel_close(d->table->cols[d->first_col + 1].num[i], r->b, 1e-12));
    }
    mql_design_opts dopts;
    mql_design_opts_init(&dopts);
    const char *roles[] = {"lead_id", "created_date", "closed_won", "won_date"};
    for (size_t i = 0; i < 4; i++)
        assert_int_equal(mql_design_opts_add_role(&dopts, roles[i], &err), MQL_OK);
    mql_model *m = NULL;
    assert_int_equal(mql_model_train(d->table, d->y, NULL, &dopts, NULL, &m, NULL, &err), MQL_OK);
    const char *terms[][2] = {{"(Intercept)", "(Intercept)"},
                              {"segment=Mid-Market", "segmentMid-Market"},
                              {"segment=Enterprise", "segmentEnterprise"},
                              {"pricing_page", "pricing_page"},
                              {"webinar", "webinar"}};
    assert_int_equal(m->design->p, 5);
    for (size_t k = 0; k < 5; k++) {
        size_t j = 0;
        while (j < m->design->p && strcmp(mql_design_label(m->design, j), terms[k][0]) != 0)
            j++;
        assert_true(j < m->design->p);
        const ref_row *r = ref_get(ref, nref, terms[k][1]);
        assert_true(rel_close(m->fit->beta[j], r->a, 1e-6));
        assert_true(rel_close(m->fit->se[j], r->b, 1e-6));
    }
    assert_true(rel_close(m->fit->deviance, ref_get(ref, nref, "deviance")->a, 1e-8));
    mql_model_free(m);
    mql_design_opts_clear(&dopts);
    mql_activity_data_free(d);
    mql_activity_free(a);
    free(y);
    free(won);
    mql_table_free(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_features_and_fit_equal_r),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
