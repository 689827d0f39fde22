/* test_metrics.c: metrics.c against scikit-learn 1.2.1 (tests/fixtures/metrics/ref_sklearn.txt,
 * scripts/ref_metrics.py) and R 4.2.2 (ref_r.txt, scripts/ref_metrics.R) on a 5,000-row fixture,
 * plus hand-checked small cases and every error path. Run from the repository root. */
#include "testutil.h"
#include "mqlcal/metrics.h"

#define FIX "tests/fixtures/metrics/"
#define NROW 5000

/* ---- fixture and reference readers ----------------------------------------------------------- */

static double points[NROW], p_cont[NROW], p_pts[NROW], wt[NROW], p_coarse[NROW];
static unsigned char yv[NROW];

typedef struct refval {
    char name[64];
    double v;
} refval;
static refval refs[1024];
static size_t n_refs;

static void skip_comment(FILE *f)
{
    int c = fgetc(f);
    if (c == '#') {
        while ((c = fgetc(f)) != EOF && c != '\n')
            ;
    } else if (c != EOF) {
        ungetc(c, f);
    }
}

static void load_refs(const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f)
        fail_msg("cannot open %s (run the tests from the repository root)", path);
    skip_comment(f);
    while (n_refs < sizeof refs / sizeof refs[0] &&
           fscanf(f, "%63s %lf", refs[n_refs].name, &refs[n_refs].v) == 2)
        n_refs++;
    fclose(f);
}

static int setup(void **state)
{
    (void)state;
    if (n_refs)
        return 0;
    FILE *f = fopen(FIX "leads.txt", "r");
    if (!f)
        return -1;
    skip_comment(f);
    for (size_t i = 0; i < NROW; i++) {
        int yi;
        if (fscanf(f, "%lf %lf %lf %d %lf %lf", &points[i], &p_cont[i], &p_pts[i], &yi, &wt[i],
                   &p_coarse[i]) != 6) {
            fclose(f);
            return -1;
        }
        yv[i] = (unsigned char)yi;
    }
    fclose(f);
    load_refs(FIX "ref_sklearn.txt");
    load_refs(FIX "ref_r.txt");
    return n_refs > 400 ? 0 : -1;
}

/* Reference value by name; a missing name fails the test rather than comparing against 0. */
static double ref(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static double ref(const char *fmt, ...)
{
    char name[64];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(name, sizeof name, fmt, ap);
    va_end(ap);
    for (size_t i = 0; i < n_refs; i++)
        if (strcmp(refs[i].name, name) == 0)
            return refs[i].v;
    fail_msg("reference value '%s' missing from the fixture", name);
    return NAN;
}

/* ---- discrimination -------------------------------------------------------------------------- */

static void test_auc_sklearn(void **state)
{
    (void)state;
    double a;
    mql_err err;
    /* sklearn roc_auc_score, tolerance 1e-9 absolute */
    assert_int_equal(mql_auc(points, yv, NULL, NROW, &a, &err), MQL_OK);
    assert_close(a, ref("auc_points"), 0, 1e-9);
    assert_int_equal(mql_auc(points, yv, wt, NROW, &a, &err), MQL_OK);
    assert_close(a, ref("auc_points_w"), 0, 1e-9);
    assert_int_equal(mql_auc(p_cont, yv, NULL, NROW, &a, &err), MQL_OK);
    assert_close(a, ref("auc_cont"), 0, 1e-9);
    assert_int_equal(mql_auc(p_cont, yv, wt, NROW, &a, &err), MQL_OK);
    assert_close(a, ref("auc_cont_w"), 0, 1e-9);
}

static void test_auc_hand_ties(void **state)
{
    (void)state;
    /* pairs (pos, neg): (2,1) win, (2,2) tie 0.5, (3,1) win, (3,2) win -> 3.5 / 4 = 0.875 */
    const double s[] = {1, 2, 2, 3};
    const unsigned char y[] = {0, 0, 1, 1};
    double a;
    assert_int_equal(mql_auc(s, y, NULL, 4, &a, NULL), MQL_OK);
    assert_close(a, 0.875, 0, 1e-15);
}

static void test_auc_ci_delong(void **state)
{
    (void)state;
    mql_auc_interval ci;
    mql_err err;
    /* R: DeLong from the m x n placement matrix; AUC 1e-9, SE and bounds 1e-8 relative */
    assert_int_equal(mql_auc_ci(points, yv, NROW, 0.95, &ci, &err), MQL_OK);
    assert_close(ci.auc, ref("delong_points_auc"), 0, 1e-9);
    assert_close(ci.se, ref("delong_points_se"), 1e-8, 0);
    assert_close(ci.lo, ref("delong_points_lo"), 1e-8, 0);
    assert_close(ci.hi, ref("delong_points_hi"), 1e-8, 0);
    assert_close(ci.gini, 2 * ref("delong_points_auc") - 1, 0, 2e-9);
    assert_close(ci.gini_lo, 2 * ref("delong_points_lo") - 1, 1e-8, 0);
    assert_int_equal(ci.n_pos + ci.n_neg, NROW);
    assert_int_equal(mql_auc_ci(p_cont, yv, NROW, 0.95, &ci, &err), MQL_OK);
    assert_close(ci.se, ref("delong_cont_se"), 1e-8, 0);
    assert_close(ci.lo, ref("delong_cont_lo"), 1e-8, 0);
    assert_close(ci.hi, ref("delong_cont_hi"), 1e-8, 0);
}

/* The note of figures on too few leads, at the edge of MQL_AUC_MIN_CLASS. */
static void test_few_note(void **state)
{
    (void)state;
    char b[128];
    assert_int_equal(mql_few_note(2, 7, b, sizeof b), 1);
    assert_string_equal(b, "on 2 won and 7 lost leads: too few to judge (at least 10 of each "
                           "needed)");
    assert_int_equal(mql_few_note(MQL_AUC_MIN_CLASS, 1, b, sizeof b), 1);
    assert_string_equal(b, "on 10 won and 1 lost lead: too few to judge (at least 10 of each "
                           "needed)");
    assert_int_equal(mql_few_note(9, 500, b, sizeof b), 1);
    assert_int_equal(mql_few_note(MQL_AUC_MIN_CLASS, MQL_AUC_MIN_CLASS, b, sizeof b), 0);
    assert_string_equal(b, "");
    assert_int_equal(mql_few_note(5000, 40000, b, sizeof b), 0);
}

static void test_ks_sklearn(void **state)
{
    (void)state;
    mql_ks_result k;
    mql_err err;
    /* max |tpr - fpr| of sklearn roc_curve(drop_intermediate=False); threshold exact */
    assert_int_equal(mql_ks(points, yv, NULL, NROW, &k, &err), MQL_OK);
    assert_close(k.ks, ref("ks_points"), 0, 1e-9);
    assert_true(k.threshold == ref("ks_points_threshold"));
    assert_close(k.tpr - k.fpr, k.ks, 0, 1e-15);
    assert_int_equal(mql_ks(points, yv, wt, NROW, &k, &err), MQL_OK);
    assert_close(k.ks, ref("ks_points_w"), 0, 1e-9);
    assert_true(k.threshold == ref("ks_points_w_threshold"));
    assert_int_equal(mql_ks(p_cont, yv, NULL, NROW, &k, &err), MQL_OK);
    assert_close(k.ks, ref("ks_cont"), 0, 1e-9);
    assert_true(k.threshold == ref("ks_cont_threshold"));
    assert_int_equal(mql_ks(p_cont, yv, wt, NROW, &k, &err), MQL_OK);
    assert_close(k.ks, ref("ks_cont_w"), 0, 1e-9);
}

/* ---- probability accuracy -------------------------------------------------------------------- */

static void test_brier_logloss_sklearn(void **state)
{
    (void)state;
    const char *tags[] = {"cont", "pts", "coarse"};
    const double *ps[] = {p_cont, p_pts, p_coarse};
    mql_err err;
    for (int t = 0; t < 3; t++) {
        double v;
        /* sklearn brier_score_loss / log_loss, tolerance 1e-9 absolute */
        assert_int_equal(mql_brier(ps[t], yv, NULL, NROW, &v, &err), MQL_OK);
        assert_close(v, ref("brier_%s", tags[t]), 0, 1e-9);
        assert_int_equal(mql_brier(ps[t], yv, wt, NROW, &v, &err), MQL_OK);
        assert_close(v, ref("brier_%s_w", tags[t]), 0, 1e-9);
        assert_int_equal(mql_logloss(ps[t], yv, NULL, NROW, &v, &err), MQL_OK);
        assert_close(v, ref("logloss_%s", tags[t]), 0, 1e-9);
        assert_int_equal(mql_logloss(ps[t], yv, wt, NROW, &v, &err), MQL_OK);
        assert_close(v, ref("logloss_%s_w", tags[t]), 0, 1e-9);
    }
    /* probabilities exactly 0 and 1 on the wrong side: sklearn clips at DBL_EPSILON */
    const double p[] = {0.0, 1.0, 0.5, 0.25};
    const unsigned char y[] = {1, 0, 1, 0};
    double v;
    assert_int_equal(mql_logloss(p, y, NULL, 4, &v, &err), MQL_OK);
    assert_close(v, ref("logloss_clip"), 0, 1e-9);
}

static void test_wilson_prop_test(void **state)
{
    (void)state;
    const double k[] = {0, 10, 3, 123, 1, 999, 37}, n[] = {10, 10, 17, 456, 1000, 1000, 37.5};
    assert_true(ref("wilson_n") == 7);
    for (int i = 0; i < 7; i++) {
        double lo, hi;
        /* R prop.test(k, n, correct = FALSE)$conf.int, 1e-8 relative (exact 0 and 1 absolute) */
        assert_int_equal(mql_wilson(k[i], n[i], mql_z_for_level(0.95), &lo, &hi), MQL_OK);
        assert_close(lo, ref("wilson_%d_lo", i), 1e-8, 1e-300);
        assert_close(hi, ref("wilson_%d_hi", i), 1e-8, 0);
    }
    double lo, hi;
    assert_int_equal(mql_wilson(0, 10, 1.96, &lo, &hi), MQL_OK);
    assert_true(lo == 0.0);
    assert_int_equal(mql_wilson(10, 10, 1.96, &lo, &hi), MQL_OK);
    assert_true(hi == 1.0);
    assert_close(mql_z_for_level(0.95), 1.959963984540054, 1e-14, 0);
}

/* ---- calibration ----------------------------------------------------------------------------- */

static void test_hosmer_lemeshow_r(void **state)
{
    (void)state;
    const char *tags[] = {"cont", "pts", "coarse"};
    const double *ps[] = {p_cont, p_pts, p_coarse};
    const size_t gs[] = {10, 7};
    mql_hl_group grp[10];
    mql_hl hl;
    mql_err err;
    for (int t = 0; t < 3; t++) {
        for (int j = 0; j < 2; j++) {
            const char *tg = tags[t];
            size_t g = gs[j];
            assert_int_equal(mql_hosmer_lemeshow(ps[t], yv, NROW, g, grp, &hl, &err), MQL_OK);
            /* R hoslem.test reimplementation: groups and counts exact, statistic 1e-8 relative */
            assert_int_equal(hl.groups_used, (size_t)ref("hl_%s_g%zu_groups", tg, g));
            assert_int_equal(hl.df, (int)ref("hl_%s_g%zu_df", tg, g));
            assert_close(hl.chisq, ref("hl_%s_g%zu_chisq", tg, g), 1e-8, 0);
            assert_close(hl.p_value, ref("hl_%s_g%zu_p", tg, g), 1e-8, 1e-13);
            for (size_t k = 0; k < hl.groups_used; k++) {
                assert_int_equal(grp[k].n, (size_t)ref("hl_%s_g%zu_%zu_n", tg, g, k));
                assert_true(grp[k].obs1 == ref("hl_%s_g%zu_%zu_obs", tg, g, k));
                assert_close(grp[k].exp1, ref("hl_%s_g%zu_%zu_exp", tg, g, k), 1e-8, 0);
                assert_close(grp[k].obs0 + grp[k].obs1, (double)grp[k].n, 0, 0);
            }
        }
    }
    /* the coarse probabilities really exercise duplicate breaks */
    assert_true(ref("hl_coarse_g10_groups") < 10);
}

static void test_calibration_r(void **state)
{
    (void)state;
    const char *tags[] = {"cont", "pts"};
    const double *ps[] = {p_cont, p_pts};
    mql_calib c;
    mql_err err;
    for (int t = 0; t < 2; t++) {
        for (int w = 0; w < 2; w++) {
            const char *sfx = w ? "_w" : "";
            assert_int_equal(mql_calibration(ps[t], yv, w ? wt : NULL, NROW, &c, &err), MQL_OK);
            /* R glm(y ~ offset(qlogis(p))) and glm(y ~ qlogis(p)), epsilon 1e-14; 1e-8 relative */
            assert_close(c.citl, ref("cal_%s%s_citl", tags[t], sfx), 1e-8, 0);
            assert_close(c.citl_se, ref("cal_%s%s_citl_se", tags[t], sfx), 1e-8, 0);
            assert_close(c.slope_a, ref("cal_%s%s_a", tags[t], sfx), 1e-8, 0);
            assert_close(c.slope_a_se, ref("cal_%s%s_a_se", tags[t], sfx), 1e-8, 0);
            assert_close(c.slope, ref("cal_%s%s_slope", tags[t], sfx), 1e-8, 0);
            assert_close(c.slope_se, ref("cal_%s%s_slope_se", tags[t], sfx), 1e-8, 0);
        }
    }
}

static void test_reliability_sklearn(void **state)
{
    (void)state;
    const char *tags[] = {"cont", "pts", "coarse"};
    const double *ps[] = {p_cont, p_pts, p_coarse};
    mql_rel_bin b[10];
    size_t used;
    mql_err err;
    for (int t = 0; t < 3; t++) {
        assert_int_equal(mql_reliability_quantile(ps[t], yv, NROW, 10, b, &used, &err), MQL_OK);
        /* sklearn calibration_curve(strategy='quantile'): bins and counts exact, values 1e-9 */
        assert_int_equal(used, (size_t)ref("rel_%s_bins", tags[t]));
        size_t tot = 0;
        for (size_t k = 0; k < used; k++) {
            assert_int_equal(b[k].n, (size_t)ref("rel_%s_%zu_n", tags[t], k));
            assert_close(b[k].rate, ref("rel_%s_%zu_true", tags[t], k), 0, 1e-9);
            assert_close(b[k].mean_pred, ref("rel_%s_%zu_pred", tags[t], k), 0, 1e-9);
            double lo, hi;
            mql_wilson(b[k].events, (double)b[k].n, 1.959963984540054, &lo, &hi);
            assert_close(b[k].rate_lo, lo, 1e-12, 0);
            assert_close(b[k].rate_hi, hi, 1e-12, 0);
            assert_true(b[k].rate_lo < b[k].rate && b[k].rate < b[k].rate_hi);
            tot += b[k].n;
        }
        assert_int_equal(tot, NROW);
    }
    assert_true(ref("rel_coarse_bins") < 10);   /* an empty bin was dropped */
}

static void test_reliability_bands_hand(void **state)
{
    (void)state;
    /* cuts 50, 75: bands (-inf, 50), [50, 75), [75, inf). Scores 10, 49 | 50, 60, 74 | 75, 99.
     * Band 1: y = 0, 1, 1 -> rate 2/3, mean p (0.4 + 0.5 + 0.6) / 3 = 0.5. */
    const double s[] = {10, 49, 50, 60, 74, 75, 99};
    const double p[] = {0.1, 0.2, 0.4, 0.5, 0.6, 0.8, 0.9};
    const unsigned char y[] = {0, 0, 0, 1, 1, 1, 1};
    const double cuts[] = {50, 75};
    mql_rel_bin b[3];
    mql_err err;
    assert_int_equal(mql_reliability_bands(s, p, y, 7, cuts, 2, b, &err), MQL_OK);
    assert_int_equal(b[0].n, 2);
    assert_int_equal(b[1].n, 3);
    assert_int_equal(b[2].n, 2);
    assert_close(b[1].rate, 2.0 / 3.0, 0, 1e-15);
    assert_close(b[1].mean_pred, 0.5, 0, 1e-15);
    assert_close(b[0].rate, 0.0, 0, 0);
    assert_true(b[0].rate_lo == 0.0 && b[0].rate_hi > 0.0);
    assert_true(isinf(b[0].lo) && b[1].lo == 50 && b[1].hi == 75 && isinf(b[2].hi));
    /* a band no row falls into is kept with NAN rates; p may be NULL */
    const double cuts2[] = {50, 75, 200};
    mql_rel_bin b2[4];
    assert_int_equal(mql_reliability_bands(s, NULL, y, 7, cuts2, 3, b2, &err), MQL_OK);
    assert_int_equal(b2[3].n, 0);
    assert_true(isnan(b2[3].rate) && isnan(b2[3].rate_lo) && isnan(b2[1].mean_pred));
}

/* ---- stability, gains ------------------------------------------------------------------------ */

static void test_psi_r(void **state)
{
    (void)state;
    mql_psi_bin b[10];
    mql_psi r;
    mql_err err;
    /* baseline rows [0, 3000), current [3000, 5000); R quantile/cut/table; psi 1e-9 */
    assert_int_equal(mql_psi_compute(points, 3000, points + 3000, 2000, NULL, 0, b, &r, &err),
                     MQL_OK);
    assert_int_equal(r.n_bins, (size_t)ref("psi_dec_bins"));
    assert_close(r.psi, ref("psi_dec"), 0, 1e-9);
    assert_int_equal(r.empty_base, 0);
    for (size_t k = 0; k < r.n_bins; k++) {
        assert_int_equal(b[k].n_base, (size_t)ref("psi_dec_%zu_nb", k));
        assert_int_equal(b[k].n_cur, (size_t)ref("psi_dec_%zu_nc", k));
    }
    /* given cuts with an empty last band in both samples: share 0.5 / n each */
    const double cuts[] = {10, 25, 40, 95};
    assert_int_equal(mql_psi_compute(points, 3000, points + 3000, 2000, cuts, 4, b, &r, &err),
                     MQL_OK);
    assert_int_equal(r.n_bins, 5);
    assert_close(r.psi, ref("psi_band"), 0, 1e-9);
    assert_int_equal(r.empty_base, (size_t)ref("psi_band_empty_base"));
    assert_int_equal(r.empty_cur, (size_t)ref("psi_band_empty_cur"));
    assert_close(b[4].share_base, 0.5 / 3000, 0, 1e-18);
    assert_close(b[4].share_cur, 0.5 / 2000, 0, 1e-18);
    for (size_t k = 0; k < 5; k++)
        assert_int_equal(b[k].n_base, (size_t)ref("psi_band_%zu_nb", k));
}

static void test_gains(void **state)
{
    (void)state;
    mql_gains_row g[10];
    size_t nr;
    mql_err err;
    assert_int_equal(mql_gains_table(points, yv, NROW, g, &nr, &err), MQL_OK);
    /* numpy re-implementation of the tie-aware decile definition (ref_metrics.py) */
    assert_int_equal(nr, (size_t)ref("gains_rows"));
    for (size_t k = 0; k < nr; k++) {
        assert_int_equal(g[k].leads, (size_t)ref("gains_%zu_leads", k));
        assert_int_equal(g[k].events, (size_t)ref("gains_%zu_events", k));
        assert_close(g[k].cum_share_events, ref("gains_%zu_cumshare", k), 0, 1e-12);
        assert_close(g[k].lift, ref("gains_%zu_lift", k), 1e-12, 0);
        assert_close(g[k].cum_lift, ref("gains_%zu_cumlift", k), 1e-12, 0);
        if (k)
            assert_true(g[k].max_score < g[k - 1].min_score);   /* ties never split */
    }
    assert_close(g[nr - 1].cum_share_events, 1.0, 0, 1e-15);
    assert_int_equal(g[nr - 1].cum_leads, NROW);
    /* hand case with a tie across the boundary: 4 rows, scores 9, 5, 5, 1 -> ranks above
     * 0, 1, 1, 3 -> deciles 0, 2, 2, 7 -> three rows in the table */
    const double s[] = {5, 9, 1, 5};
    const unsigned char y[] = {1, 1, 0, 0};
    assert_int_equal(mql_gains_table(s, y, 4, g, &nr, &err), MQL_OK);
    assert_int_equal(nr, 3);
    assert_int_equal(g[1].leads, 2);
    assert_int_equal(g[1].events, 1);
    assert_close(g[0].lift, 2.0, 0, 1e-15);
    assert_close(g[1].cum_lift, (2.0 / 3.0) / 0.5, 0, 1e-15);
}

/* ---- recalibration maps ---------------------------------------------------------------------- */

static void test_isotonic_sklearn(void **state)
{
    (void)state;
    mql_isotonic *m = NULL;
    mql_err err;
    size_t ng = (size_t)ref("iso_grid_n");
    for (int w = 0; w < 2; w++) {
        assert_int_equal(mql_isotonic_fit(points, yv, w ? wt : NULL, NROW, &m, &err), MQL_OK);
        /* sklearn IsotonicRegression(out_of_bounds='clip').predict on a grid, 1e-9 absolute */
        for (size_t k = 0; k < ng; k++)
            assert_close(mql_isotonic_predict(m, ref("iso_grid_%zu", k)),
                         ref("iso_points%s_%zu", w ? "_w" : "", k), 0, 1e-9);
        for (size_t k = 1; k < m->k; k++)
            assert_true(m->y[k] >= m->y[k - 1] && m->x[k] > m->x[k - 1]);
        mql_isotonic_free(m);
    }
    assert_int_equal(mql_isotonic_fit(p_cont, yv, NULL, NROW, &m, &err), MQL_OK);
    for (size_t k = 0; k < (size_t)ref("iso_pgrid_n"); k++)
        assert_close(mql_isotonic_predict(m, ref("iso_pgrid_%zu", k)), ref("iso_cont_%zu", k), 0,
                     1e-9);
    assert_true(isnan(mql_isotonic_predict(m, NAN)));
    mql_isotonic_free(m);
    mql_isotonic_free(NULL);
    /* hand case: y 1, 0 at x 1, 2 pool to 0.5; x = 3 keeps 1; weights 3:1 pool to 0.75 */
    const double x[] = {1, 2, 3};
    const unsigned char y[] = {1, 0, 1};
    const double w[] = {3, 1, 1};
    assert_int_equal(mql_isotonic_fit(x, y, w, 3, &m, &err), MQL_OK);
    assert_close(mql_isotonic_predict(m, 1.5), 0.75, 0, 1e-15);
    assert_close(mql_isotonic_predict(m, 2.5), 0.875, 0, 1e-15);
    mql_isotonic_free(m);
}

static void test_platt_r(void **state)
{
    (void)state;
    mql_platt pl;
    mql_err err;
    for (int w = 0; w < 2; w++) {
        const char *s = w ? "_w" : "";
        assert_int_equal(mql_platt_fit(points, yv, w ? wt : NULL, NROW, &pl, &err), MQL_OK);
        /* R glm(y ~ points, binomial), epsilon 1e-14; 1e-8 relative */
        assert_close(pl.a, ref("platt%s_a", s), 1e-8, 0);
        assert_close(pl.b, ref("platt%s_b", s), 1e-8, 0);
        assert_close(pl.se_a, ref("platt%s_se_a", s), 1e-8, 0);
        assert_close(pl.se_b, ref("platt%s_se_b", s), 1e-8, 0);
        assert_close(pl.cov_ab, ref("platt%s_cov", s), 1e-8, 0);
    }
    assert_close(mql_platt_predict(&pl, 40), 1 / (1 + exp(-(pl.a + 40 * pl.b))), 1e-15, 0);
}

/* ---- error paths ----------------------------------------------------------------------------- */

static void test_errors(void **state)
{
    (void)state;
    mql_err err;
    double v, lo, hi;
    const double s[] = {1, 2, 3, 4};
    const unsigned char all1[] = {1, 1, 1, 1}, all0[] = {0, 0, 0, 0}, y[] = {0, 1, 0, 1};
    const double bad_s[] = {1, NAN, 3, 4}, neg_w[] = {1, -1, 1, 1}, zero_w[] = {0, 0, 0, 0};

    assert_int_equal(mql_auc(s, all1, NULL, 4, &v, &err), MQL_EDATA);
    assert_non_null(strstr(err.msg, "no negative outcomes"));
    assert_int_equal(mql_auc(s, all0, NULL, 4, &v, &err), MQL_EDATA);
    assert_non_null(strstr(err.msg, "no positive outcomes"));
    assert_int_equal(mql_auc(bad_s, y, NULL, 4, &v, &err), MQL_EDATA);
    assert_non_null(strstr(err.msg, "row 2"));
    assert_int_equal(mql_auc(s, y, neg_w, 4, &v, &err), MQL_EDATA);
    assert_int_equal(mql_auc(s, y, NULL, 0, &v, &err), MQL_EDATA);

    mql_auc_interval ci;
    assert_int_equal(mql_auc_ci(s, y, 4, 1.0, &ci, &err), MQL_EDATA);
    const unsigned char one_pos[] = {0, 0, 0, 1};
    assert_int_equal(mql_auc_ci(s, one_pos, 4, 0.95, &ci, &err), MQL_EDATA);
    assert_non_null(strstr(err.msg, "at least 2"));
    mql_ks_result k;
    assert_int_equal(mql_ks(s, all0, NULL, 4, &k, &err), MQL_EDATA);

    const double p_hi[] = {0.2, 1.5, 0.3, 0.4}, p_edge[] = {0.0, 0.5, 0.3, 0.4};
    assert_int_equal(mql_brier(p_hi, y, NULL, 4, &v, &err), MQL_EDATA);
    assert_non_null(strstr(err.msg, "outside [0, 1]"));
    assert_int_equal(mql_logloss(p_hi, y, NULL, 4, &v, &err), MQL_EDATA);
    assert_int_equal(mql_brier(s, y, zero_w, 0, &v, &err), MQL_EDATA);
    assert_int_equal(mql_brier(p_edge, y, zero_w, 4, &v, &err), MQL_EDATA);
    assert_non_null(strstr(err.msg, "positive weight"));
    assert_int_equal(mql_logloss(p_edge, y, neg_w, 4, &v, &err), MQL_EDATA);

    assert_int_equal(mql_wilson(5, 4, 1.96, &lo, &hi), MQL_EDATA);
    assert_true(isnan(lo) && isnan(hi));
    assert_int_equal(mql_wilson(1, 0, 1.96, &lo, &hi), MQL_EDATA);
    assert_int_equal(mql_wilson(-1, 4, 1.96, &lo, &hi), MQL_EDATA);
    assert_int_equal(mql_wilson(1, 4, 0, &lo, &hi), MQL_EDATA);
    assert_int_equal(mql_wilson(NAN, 4, 1.96, &lo, &hi), MQL_EDATA);

    mql_hl_group g[10];
    mql_hl hl;
    assert_int_equal(mql_hosmer_lemeshow(p_edge, y, 4, 2, g, &hl, &err), MQL_EDATA);
    const double flat[] = {0.3, 0.3, 0.3, 0.3};
    assert_int_equal(mql_hosmer_lemeshow(flat, y, 4, 10, g, &hl, &err), MQL_EDATA);
    assert_non_null(strstr(err.msg, "all predicted probabilities are equal"));
    const double two[] = {0.2, 0.2, 0.6, 0.6};
    assert_int_equal(mql_hosmer_lemeshow(two, y, 4, 10, g, &hl, &err), MQL_EDATA);
    assert_non_null(strstr(err.msg, "only 2 distinct groups"));
    const double zeros[] = {0, 0, 0.5, 0.6, 0.7, 0.8};
    const unsigned char y6[] = {0, 0, 1, 0, 1, 1};
    assert_int_equal(mql_hosmer_lemeshow(zeros, y6, 6, 3, g, &hl, &err), MQL_EDATA);
    assert_non_null(strstr(err.msg, "expected count of 0"));
    assert_int_equal(mql_hosmer_lemeshow(p_hi, y, 4, 3, g, &hl, &err), MQL_EDATA);

    mql_calib c;
    assert_int_equal(mql_calibration(p_edge, y, NULL, 4, &c, &err), MQL_EDATA);
    assert_non_null(strstr(err.msg, "outside (0, 1)"));
    const double p_ok[] = {0.2, 0.5, 0.3, 0.4};
    assert_int_equal(mql_calibration(p_ok, all1, NULL, 4, &c, &err), MQL_EDATA);
    /* y = 1 exactly when p > 0.35: the slope runs off to infinity */
    const unsigned char sep[] = {0, 1, 0, 1};
    assert_int_equal(mql_calibration(p_ok, sep, NULL, 4, &c, &err), MQL_ENOCONV);
    assert_non_null(strstr(err.msg, "calibration: logistic fit did not converge"));

    mql_rel_bin b[4];
    size_t used;
    assert_int_equal(mql_reliability_quantile(p_ok, y, 4, 0, b, &used, &err), MQL_EDATA);
    assert_int_equal(mql_reliability_quantile(p_hi, y, 4, 2, b, &used, &err), MQL_EDATA);
    const double cuts_bad[] = {5, 5};
    assert_int_equal(mql_reliability_bands(s, NULL, y, 4, cuts_bad, 2, b, &err), MQL_EDATA);
    assert_non_null(strstr(err.msg, "increase strictly"));
    const double cuts_ok[] = {2};
    assert_int_equal(mql_reliability_bands(bad_s, NULL, y, 4, cuts_ok, 1, b, &err), MQL_EDATA);

    mql_psi_bin pb[10];
    mql_psi ps;
    assert_int_equal(mql_psi_compute(s, 0, s, 4, NULL, 0, pb, &ps, &err), MQL_EDATA);
    assert_int_equal(mql_psi_compute(s, 4, bad_s, 4, NULL, 0, pb, &ps, &err), MQL_EDATA);
    assert_non_null(strstr(err.msg, "current row 2"));
    assert_int_equal(mql_psi_compute(s, 4, s, 4, cuts_bad, 2, pb, &ps, &err), MQL_EDATA);

    mql_gains_row gr[10];
    assert_int_equal(mql_gains_table(s, all0, 4, gr, &used, &err), MQL_EDATA);

    mql_isotonic dummy = {0, NULL, NULL}, *m = &dummy;   /* must be reset to NULL on failure */
    assert_int_equal(mql_isotonic_fit(s, y, zero_w, 4, &m, &err), MQL_EDATA);
    assert_null(m);
    assert_int_equal(mql_isotonic_fit(bad_s, y, NULL, 4, &m, &err), MQL_EDATA);

    mql_platt pl;
    const double same[] = {3, 3, 3, 3};
    assert_int_equal(mql_platt_fit(same, y, NULL, 4, &pl, &err), MQL_EDATA);
    assert_non_null(strstr(err.msg, "singular"));
    const unsigned char upper[] = {0, 0, 1, 1};   /* y = 1 exactly when s > 2.5 */
    assert_int_equal(mql_platt_fit(s, upper, NULL, 4, &pl, &err), MQL_ENOCONV);
    assert_non_null(strstr(err.msg, "Platt scaling: logistic fit did not converge"));
    assert_int_equal(mql_platt_fit(s, all1, NULL, 4, &pl, &err), MQL_EDATA);
}

/* Integer scores take mql_auc's counting route, others the sorting route: the same scores moved
 * by +0.25 (same order, same ties) must give the bit-identical AUC, weighted and unweighted,
 * since both routes add tied weights in row order and walk the ties in ascending order. */
static void test_auc_integer_route(void **state)
{
    (void)state;
    enum { N = 3000 };
    static double si[N], sf[N], w[N];
    static unsigned char y[N];
    uint64_t g = 99;
    for (size_t i = 0; i < N; i++) {
        g = g * 6364136223846793005ULL + 1442695040888963407ULL;
        si[i] = (double)((long)((g >> 33) % 61) - 30);
        if (si[i] == 0 && i % 2)
            si[i] = -0.0;
        sf[i] = si[i] + 0.25;
        w[i] = 0.1 + (double)((g >> 20) % 1000) / 997.0;
        y[i] = (g >> 45) % 4 == 0 || (si[i] > 10 && (g >> 50) % 2);
    }
    double a1, a2;
    mql_err err;
    assert_int_equal(mql_auc(si, y, NULL, N, &a1, &err), MQL_OK);
    assert_int_equal(mql_auc(sf, y, NULL, N, &a2, &err), MQL_OK);
    assert_true(a1 == a2);
    assert_true(a1 > 0.55 && a1 < 0.9);
    assert_int_equal(mql_auc(si, y, w, N, &a1, &err), MQL_OK);
    assert_int_equal(mql_auc(sf, y, w, N, &a2, &err), MQL_OK);
    if (a1 != a2)
        fail_msg("weighted: counting %.17g, sorting %.17g", a1, a2);
    /* a range wider than n goes the sorting way and still agrees */
    si[0] = 1e7;
    sf[0] = 1e7 + 0.25;
    assert_int_equal(mql_auc(si, y, w, N, &a1, &err), MQL_OK);
    assert_int_equal(mql_auc(sf, y, w, N, &a2, &err), MQL_OK);
    assert_true(a1 == a2);
}

/* Unweighted non-integer scores of 4,096 rows or more take the split sort (won and other scores
 * sorted apart and merged): the same AUC, bit for bit, as the indexed sort that weights of 1
 * take, with ties across and within the classes. */
static void test_auc_split_route(void **state)
{
    (void)state;
    enum { N = 20000 };
    static double s[N], w[N];
    static unsigned char y[N];
    uint64_t g = 7;
    for (size_t i = 0; i < N; i++) {
        g = g * 6364136223846793005ULL + 1442695040888963407ULL;
        s[i] = (double)((g >> 33) % 5000) / 7.0 - 300.0;    /* many ties, not integers */
        w[i] = 1.0;
        y[i] = (g >> 45) % 5 == 0 || (s[i] > 200 && (g >> 50) % 2);
    }
    double split, indexed;
    mql_err err;
    assert_int_equal(mql_auc(s, y, NULL, N, &split, &err), MQL_OK);
    assert_int_equal(mql_auc(s, y, w, N, &indexed, &err), MQL_OK);
    if (split != indexed)
        fail_msg("split %.17g, indexed %.17g", split, indexed);
    assert_true(split > 0.55 && split < 0.95);
}

/* The bucketed pair count (mql_auc_area2_buckets, which unweighted mql_auc now takes) equals
 * twice the area of mql_auc's indexed sort (weights of 1 take it), so half of it over np x nn
 * is that AUC bit for bit: a hand case (won 1 and 2, other 2 and 3: one tie,
 * area 0.5, AUC 0.125); continuous values (a few per bucket, pairs compared); values on a grid of
 * 300 with ties across the classes (whole buckets of one value); -0.0 beside +0.0; one outlier
 * that squeezes the rest into a few buckets of thousands (those sorted); and the cases it leaves
 * to the caller (-1): one class, a single value, a span too wide to bucket. */
static void test_auc_area2_buckets(void **state)
{
    (void)state;
    enum { N = 20000 };
    static double v[N], scratch[N], ones[N];
    static unsigned char y[N];
    for (size_t i = 0; i < N; i++)
        ones[i] = 1.0;
    mql_err err;
    double hv[4] = {1, 2, 2, 3}, auc;
    unsigned char hy[4] = {1, 1, 0, 0};
    uint64_t a2 = 0;
    assert_int_equal(mql_auc_area2_buckets(hv, hy, 4, 2, 1, 3, NULL, &a2), 0);
    assert_int_equal(a2, 1);
    assert_int_equal(mql_auc(hv, hy, NULL, 4, &auc, &err), MQL_OK);
    assert_true(auc == 0.125);
    for (int kind = 0; kind < 4; kind++) {
        uint64_t g = 31 + (uint64_t)kind;
        double lo = INFINITY, hi = -INFINITY;
        size_t np = 0;
        for (size_t i = 0; i < N; i++) {
            g = g * 6364136223846793005ULL + 1442695040888963407ULL;
            double u = (double)(g >> 11) * 0x1p-53;
            v[i] = kind == 1 ? (double)((g >> 33) % 300) / 7.0 - 20.0
                   : kind == 2 ? (i % 3 == 0 ? 0.0 : i % 3 == 1 ? -0.0 : u - 0.5)
                               : 8.0 * u - 5.0 + u * u;
            if (kind == 3 && i == 17)
                v[i] = 1e9;
            y[i] = (g >> 45) % 4 == 0 || (v[i] > (kind == 2 ? 0.2 : 1.0) && (g >> 50) % 2);
            np += y[i];
            lo = v[i] < lo ? v[i] : lo;
            hi = v[i] > hi ? v[i] : hi;
        }
        double want, got;
        assert_int_equal(mql_auc(v, y, ones, N, &want, &err), MQL_OK);
        assert_int_equal(mql_auc(v, y, NULL, N, &got, &err), MQL_OK);
        if (got != want)
            fail_msg("kind %d: mql_auc unweighted %.17g, weights of 1 %.17g", kind, got, want);
        assert_int_equal(mql_auc_area2_buckets(v, y, N, np, lo, hi, scratch, &a2), 0);
        got = 0.5 * (double)a2 / ((double)np * (double)(N - np));
        if (got != want)
            fail_msg("kind %d: buckets %.17g, mql_auc %.17g", kind, got, want);
        if (!(want > 0.5 && want < 0.95))
            fail_msg("kind %d: AUC %.4f", kind, want);
        /* no scratch given: the function allocates its own, the same count */
        uint64_t again = 0;
        assert_int_equal(mql_auc_area2_buckets(v, y, N, np, lo, hi, NULL, &again), 0);
        assert_true(again == a2);
    }
    assert_int_equal(mql_auc_area2_buckets(hv, hy, 4, 0, 1, 3, NULL, &a2), -1);
    assert_int_equal(mql_auc_area2_buckets(hv, hy, 4, 4, 1, 3, NULL, &a2), -1);
    double same[4] = {2, 2, 2, 2}, wide[4] = {-1e308, 0, 1, 1e308};
    assert_int_equal(mql_auc_area2_buckets(same, hy, 4, 2, 2, 2, NULL, &a2), -1);
    assert_int_equal(mql_auc_area2_buckets(wide, hy, 4, 2, -1e308, 1e308, NULL, &a2), -1);
}

/* The DeLong interval and the gains table from scores counted per whole number (an integer
 * points score) against the same scores halved, which are not whole numbers and take the sort:
 * the order and the ties are the same, so every figure is bit for bit the same (the gains'
 * score ranges halved), incl. negative scores and a span too wide to count. */
static void test_counted_groups_route(void **state)
{
    (void)state;
    enum { N = 30000 };
    static double s[N], h[N];
    static unsigned char y[N];
    uint64_t g = 11;
    for (int wide = 0; wide < 2; wide++) {
        for (size_t i = 0; i < N; i++) {
            g = g * 6364136223846793005ULL + 1442695040888963407ULL;
            s[i] = (double)((g >> 33) % 180) - 40.0;          /* -40 .. 139, many ties */
            if (wide && i % 1000 == 0)
                s[i] = 1e9 + (double)i;                       /* span too wide: sorted */
            h[i] = s[i] / 2.0;
            y[i] = (g >> 45) % 4 == 0 || (s[i] > 80 && (g >> 50) % 2);
        }
        mql_auc_interval a, b;
        mql_err err;
        assert_int_equal(mql_auc_ci(s, y, N, 0.95, &a, &err), MQL_OK);
        assert_int_equal(mql_auc_ci(h, y, N, 0.95, &b, &err), MQL_OK);
        assert_memory_equal(&a.auc, &b.auc, sizeof a.auc);
        assert_memory_equal(&a.se, &b.se, sizeof a.se);
        assert_int_equal(a.n_pos, b.n_pos);
        double plain;
        assert_int_equal(mql_auc(s, y, NULL, N, &plain, &err), MQL_OK);
        assert_close(a.auc, plain, 1e-13, 0);
        assert_true(a.auc > 0.55 && a.auc < 0.95);
        mql_gains_row ra[10], rb[10];
        size_t na, nb;
        assert_int_equal(mql_gains_table(s, y, N, ra, &na, &err), MQL_OK);
        assert_int_equal(mql_gains_table(h, y, N, rb, &nb, &err), MQL_OK);
        assert_int_equal(na, nb);
        assert_true(na >= 8);
        for (size_t d = 0; d < na; d++) {
            assert_int_equal(ra[d].leads, rb[d].leads);
            assert_int_equal(ra[d].events, rb[d].events);
            assert_true(ra[d].min_score == 2 * rb[d].min_score);
            assert_true(ra[d].max_score == 2 * rb[d].max_score);
            assert_memory_equal(&ra[d].cum_lift, &rb[d].cum_lift, sizeof(double));
        }
    }
}

/* KS of an unweighted score from its groups (counted for an integer score, else sorted) against
 * the sorted rows' walk, which the weighted route keeps: weights of one give the old figures. Bit
 * for bit, on an integer score (counted), a wide one (sorted) and one holding -0 (sorted rows,
 * which name the zero group by its last row). */
static void test_ks_groups_route(void **state)
{
    (void)state;
    enum { N = 30000 };
    static double s[N], ones[N];
    static unsigned char y[N];
    uint64_t g = 23;
    for (int kind = 0; kind < 3; kind++) {
        for (size_t i = 0; i < N; i++) {
            g = g * 6364136223846793005ULL + 1442695040888963407ULL;
            s[i] = (double)((g >> 33) % 120) - 30.0;
            if (kind == 1 && i % 997 == 0)
                s[i] = 1e9 + (double)i;
            if (kind == 2 && s[i] == 0 && i > N / 2)
                s[i] = -0.0;
            ones[i] = 1.0;
            y[i] = (g >> 45) % 5 == 0 || (s[i] > 40 && (g >> 50) % 2);
            if (kind == 2)   /* won from 0 up: the KS threshold is the zero group */
                y[i] = (s[i] >= 0) != ((g >> 45) % 20 == 0);
        }
        mql_ks_result a, b;
        mql_err err;
        assert_int_equal(mql_ks(s, y, NULL, N, &a, &err), MQL_OK);
        assert_int_equal(mql_ks(s, y, ones, N, &b, &err), MQL_OK);
        assert_memory_equal(&a, &b, sizeof a);
        assert_true(a.ks > 0.1 && a.ks < 0.95);
        if (kind == 2)
            assert_true(a.threshold == 0 && signbit(a.threshold));
    }
    /* one class: the same error from both routes */
    memset(y, 0, sizeof y);
    mql_ks_result a;
    mql_err e1, e2;
    assert_int_equal(mql_ks(s, y, NULL, N, &a, &e1), MQL_EDATA);
    assert_int_equal(mql_ks(s, y, ones, N, &a, &e2), MQL_EDATA);
    assert_string_equal(e1.msg, e2.msg);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_auc_integer_route),
        cmocka_unit_test(test_few_note),
        cmocka_unit_test(test_auc_split_route),
        cmocka_unit_test(test_auc_area2_buckets),
        cmocka_unit_test(test_counted_groups_route),
        cmocka_unit_test(test_ks_groups_route),
        cmocka_unit_test(test_auc_sklearn),
        cmocka_unit_test(test_auc_hand_ties),
        cmocka_unit_test(test_auc_ci_delong),
        cmocka_unit_test(test_ks_sklearn),
        cmocka_unit_test(test_brier_logloss_sklearn),
        cmocka_unit_test(test_wilson_prop_test),
        cmocka_unit_test(test_hosmer_lemeshow_r),
        cmocka_unit_test(test_calibration_r),
        cmocka_unit_test(test_reliability_sklearn),
        cmocka_unit_test(test_reliability_bands_hand),
        cmocka_unit_test(test_psi_r),
        cmocka_unit_test(test_gains),
        cmocka_unit_test(test_isotonic_sklearn),
        cmocka_unit_test(test_platt_r),
        cmocka_unit_test(test_errors),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
