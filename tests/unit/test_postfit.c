/* test_postfit.c: the points step after the fit (issue 17): the IRLS linear predictor it reuses,
 * the spare block it takes as scratch, the per-feature lead scores and streamed costs (bit for
 * bit those of design rows and of mql_auc / mql_logloss on materialised arrays), value runs in
 * any row order, and the sampled self-check (which leads it always checks, and that it still
 * catches a disagreement). */
#include "testutil.h"

#include <unistd.h>

#include "mqlcal/firth.h"
#include "mqlcal/metrics.h"
#include "mqlcal/model.h"
#include "mqlcal/points_cost.h"
#include "mqlcal/points_fit.h"
#include "mqlcal/score.h"
#include "mqlcal/selfcheck.h"
#include "mqlcal/table.h"

#define N_LEADS 150000
#define RARE_ROW 70000   /* rows RARE_ROW..RARE_ROW+2 hold the level 'rare' */

typedef struct fixture {
    mql_table *t;
    unsigned char *y;
    char path[64];
} fixture;

static uint64_t lcg(uint64_t *s)
{
    *s = *s * UINT64_C(6364136223846793005) + UINT64_C(1442695040888963407);
    return *s >> 33;
}

/* N_LEADS leads: job (5 levels, 'rare' on three rows, some missing), x (4 decimals, some
 * missing), x_late / x_early (the same multiset of decimals in two row orders: the first 64 values of
 * x_late have 2 decimals, of x_early 4), visits (0..8), amt (2 decimals), flag (yes/no), won. */
static int setup(void **state)
{
    fixture *fx = calloc(1, sizeof *fx);
    FILE *f;
    snprintf(fx->path, sizeof fx->path, "/tmp/mqlcal-postfit-XXXXXX");
    int fd = mkstemp(fx->path);
    if (fd < 0 || !(f = fdopen(fd, "w")))
        return -1;
    fputs("job,x,x_late,x_early,visits,amt,flag,emp,won\n", f);
    uint64_t s = 42;
    static const char *jobs[] = {"analyst", "manager", "director", "vp", ""};
    for (int r = 0; r < N_LEADS; r++) {
        int j = (int)(lcg(&s) % 100);
        const char *job = j < 40 ? jobs[0] : j < 70 ? jobs[1] : j < 88 ? jobs[2] : j < 98 ? jobs[3]
                                                                                   : jobs[4];
        if (r >= RARE_ROW && r < RARE_ROW + 3)
            job = "rare";
        long xi = (long)(lcg(&s) % 60001) - 30000;          /* x in [-3, 3], 4 decimals */
        int xmiss = lcg(&s) % 50 == 0;
        /* x_late: 2 decimals on rows < 64, then 4; x_early: the same values, rows reversed */
        long li = r < 64 ? (long)(r * 100) - 3000 : (long)(r % 20000) * 3 - 30001;
        long ei = (N_LEADS - 1 - r) < 64 ? (long)((N_LEADS - 1 - r) * 100) - 3000
                                         : (long)((N_LEADS - 1 - r) % 20000) * 3 - 30001;
        int visits = (int)(lcg(&s) % 9);
        long amt = (long)(lcg(&s) % 100000);
        int flag = lcg(&s) % 3 == 0;
        long emp = (long)(lcg(&s) % 3000);
        char es[24] = "";
        if (lcg(&s) % 40)
            snprintf(es, sizeof es, "%ld", emp);
        double eta = -1.5 + 0.4 * (double)xi / 10000 + 0.15 * visits + (flag ? 0.5 : 0) +
                     (job == jobs[3] ? 0.8 : job == jobs[2] ? 0.4 : 0) + (double)amt / 100000;
        int won = (double)(lcg(&s) % 1000000) / 1e6 < 1 / (1 + exp(-eta));
        char xs[32] = "";
        if (!xmiss)
            snprintf(xs, sizeof xs, "%.4f", (double)xi / 10000);
        fprintf(f, "%s,%s,%.4f,%.4f,%d,%.2f,%s,%s,%d\n", job, xs, (double)li / 10000,
                (double)ei / 10000, visits, (double)amt / 100, flag ? "yes" : "no", es, won);
    }
    fclose(f);
    mql_err err;
    if (mql_table_read(fx->path, NULL, &fx->t, &err) != MQL_OK)
        return -1;
    fx->y = malloc(N_LEADS);
    long wc = mql_table_find(fx->t, "won");
    for (size_t r = 0; r < N_LEADS; r++)
        fx->y[r] = fx->t->cols[wc].num[r] != 0;
    *state = fx;
    return 0;
}

static int teardown(void **state)
{
    fixture *fx = *state;
    mql_table_free(fx->t);
    free(fx->y);
    unlink(fx->path);
    free(fx);
    return 0;
}

/* Design options: every feature, 'rare' kept as a level; amt in 4 bins (bins = 1: every numeric
 * column binned, for the weighted case); the interaction job:amt. */
static void design_opts(mql_design_opts *o, int bins)
{
    mql_err err;
    mql_design_opts_init(o);
    o->min_level_count = 2;
    assert_int_equal(mql_design_opts_add_role(o, "won", &err), MQL_OK);
    assert_int_equal(mql_design_opts_parse_bins(o, bins ? "5" : "amt=4", &err), MQL_OK);
    assert_int_equal(mql_design_opts_parse_interactions(o, "job:amt", &err), MQL_OK);
}

static mql_model *train(const fixture *fx, int bins)
{
    mql_design_opts o;
    design_opts(&o, bins);
    mql_model *m = NULL;
    mql_err err;
    assert_int_equal(mql_model_train(fx->t, fx->y, NULL, &o, NULL, &m, NULL, &err), MQL_OK);
    mql_design_opts_clear(&o);
    return m;
}

/* The IRLS linear predictor equals x beta from design rows (within 1e-12: a BLAS product adds
 * in its own order), and the model made from it is the one made from design rows. */
static void test_eta_kept(void **state)
{
    fixture *fx = *state;
    mql_model *m = train(fx, 0);
    assert_non_null(m->fit->eta);
    mql_design_binding *b = NULL;
    mql_err err;
    assert_int_equal(mql_design_bind(m->design, fx->t, &b, &err), MQL_OK);
    mql_points *p = NULL;
    assert_int_equal(mql_points_from_fit_data(m->design, m->fit->beta, b, fx->y, NULL, &p, &err),
                     MQL_OK);
    double *eta = malloc(N_LEADS * sizeof *eta);
    long *sc = malloc(N_LEADS * sizeof *sc);
    assert_int_equal(mql_points_internal_scores(m->design, b, p, m->fit->beta, sc, eta, &err),
                     MQL_OK);
    for (size_t r = 0; r < N_LEADS; r++)
        assert_close(m->fit->eta[r], eta[r], 1e-12, 1e-12);
    mql_points_extra ex = {.eta = m->fit->eta};
    mql_points *q = NULL;
    assert_int_equal(mql_points_from_fit_ex(m->design, m->fit->beta, b, fx->y, NULL, NULL, &ex,
                                            &q, &err), MQL_OK);
    assert_int_equal(q->threshold, p->threshold);
    assert_int_equal(q->n_rules, p->n_rules);
    for (size_t k = 0; k < p->n_rules; k++)
        assert_int_equal(q->rules[k].points, p->rules[k].points);
    assert_close(q->auc_exact, p->auc_exact, 1e-12, 0);
    assert_close(q->logloss_exact, p->logloss_exact, 1e-12, 0);
    assert_true(q->auc_points == p->auc_points && q->logloss_points == p->logloss_points);
    /* the points step hands the predictor and the spare block back once used */
    assert_int_equal(mql_model_add_points(m, fx->t, fx->y, NULL, &err), MQL_OK);
    assert_null(m->fit->eta);
    assert_null(m->spare);
    mql_points_free(p);
    mql_points_free(q);
    free(eta);
    free(sc);
    mql_design_binding_free(b);
    mql_model_free(m);
}

/* The train step keeps y's doubles as the model's spare block beside eta, and the points step
 * makes the same model in it as in fresh memory of its own (the spare taken away): the same
 * rules, threshold and costs, bit for bit. */
static void test_spare_block(void **state)
{
    fixture *fx = *state;
    mql_model *m = train(fx, 0), *own = train(fx, 0);
    assert_non_null(m->spare);
    for (size_t r = 0; r < N_LEADS; r++)
        if (m->spare[r] != (fx->y[r] ? 1.0 : 0.0))
            fail_msg("row %zu: spare %g, y %d", r, m->spare[r], fx->y[r]);
    free(own->spare);
    own->spare = NULL;
    mql_err err;
    assert_int_equal(mql_model_add_points(m, fx->t, fx->y, NULL, &err), MQL_OK);
    assert_int_equal(mql_model_add_points(own, fx->t, fx->y, NULL, &err), MQL_OK);
    assert_null(m->spare);
    const mql_points *p = m->points, *q = own->points;
    assert_int_equal(p->threshold, q->threshold);
    assert_int_equal(p->n_rules, q->n_rules);
    for (size_t k = 0; k < p->n_rules; k++)
        assert_int_equal(p->rules[k].points, q->rules[k].points);
    assert_true(isfinite(p->auc_exact) && isfinite(p->logloss_exact));
    assert_memory_equal(&p->auc_exact, &q->auc_exact, sizeof p->auc_exact);
    assert_memory_equal(&p->logloss_exact, &q->logloss_exact, sizeof p->logloss_exact);
    assert_memory_equal(&p->auc_points, &q->auc_points, sizeof p->auc_points);
    assert_memory_equal(&p->logloss_points, &q->logloss_points, sizeof p->logloss_points);
    mql_model_free(m);
    mql_model_free(own);
}

/* Firth keeps the linear predictor at its reported coefficients (FLIC's intercept or Firth's),
 * bit for bit the one the points step computes from design rows, so the model made from it is
 * the one made without it (threshold, every rule, the exact model's costs, the points' costs);
 * with and without FLIC, from R's start and from the warm start. */
static void test_firth_eta_kept(void **state)
{
    fixture *fx = *state;
    for (int c = 0; c < 2; c++) {
        mql_design_opts o;
        design_opts(&o, 0);
        mql_glm_opts g;
        mql_glm_opts_default(&g);
        g.method = MQL_GLM_METHOD_FIRTH;
        g.flic = c == 0;
        g.warm_rows = c == 0 ? 0 : 20000;
        mql_model *m = NULL;
        mql_err err;
        assert_int_equal(mql_model_train(fx->t, fx->y, NULL, &o, &g, &m, NULL, &err), MQL_OK);
        mql_design_opts_clear(&o);
        assert_int_equal(m->fit->flic, c == 0);
        assert_int_equal(m->fit->warm_iterations > 0, c == 1);
        assert_non_null(m->fit->eta);
        mql_design_binding *b = NULL;
        assert_int_equal(mql_design_bind(m->design, fx->t, &b, &err), MQL_OK);
        mql_points *p = NULL, *q = NULL;
        assert_int_equal(mql_points_from_fit_data(m->design, m->fit->beta, b, fx->y, NULL, &p,
                                                  &err), MQL_OK);
        double *eta = malloc(N_LEADS * sizeof *eta);
        assert_int_equal(mql_points_internal_scores(m->design, b, p, m->fit->beta, NULL, eta,
                                                    &err), MQL_OK);
        assert_memory_equal(m->fit->eta, eta, N_LEADS * sizeof *eta);
        mql_points_extra ex = {.eta = m->fit->eta};
        assert_int_equal(mql_points_from_fit_ex(m->design, m->fit->beta, b, fx->y, NULL, NULL,
                                                &ex, &q, &err), MQL_OK);
        assert_int_equal(q->threshold, p->threshold);
        assert_int_equal(q->n_rules, p->n_rules);
        for (size_t k = 0; k < p->n_rules; k++)
            assert_int_equal(q->rules[k].points, p->rules[k].points);
        assert_true(q->auc_exact == p->auc_exact && q->logloss_exact == p->logloss_exact);
        assert_true(q->auc_points == p->auc_points && q->logloss_points == p->logloss_points);
        assert_int_equal(mql_model_add_points(m, fx->t, fx->y, NULL, &err), MQL_OK);
        assert_null(m->fit->eta);
        mql_points_free(p);
        mql_points_free(q);
        free(eta);
        mql_design_binding_free(b);
        mql_model_free(m);
    }
}

/* Per-feature lead scores equal the design-row scores on every lead (levels, '(missing)', bins,
 * booleans, LINEAR steps, an interaction, caps), and the streamed costs equal mql_auc and
 * mql_logloss on materialised arrays bit for bit, unweighted and weighted. */
static void check_costs(const fixture *fx, const mql_model *m, const double *w, long cap,
                        double pdo)
{
    mql_design_binding *b = NULL;
    mql_err err;
    assert_int_equal(mql_design_bind(m->design, fx->t, &b, &err), MQL_OK);
    mql_points_opts po;
    mql_points_opts_default(&po);
    po.cap_total = cap;
    po.pdo = pdo;
    mql_points *p = NULL;
    assert_int_equal(mql_points_from_fit_weighted(m->design, m->fit->beta, b, fx->y, w, &po, &p,
                                                  &err), MQL_OK);
    long smin, smax;
    mql_points_range(p, &smin, &smax);
    assert_true(pdo < 1000 ? smax - smin < 65536 : smax - smin > 65536);
    double *eta = malloc(N_LEADS * sizeof *eta), *pe = malloc(N_LEADS * sizeof *pe);
    double *sd = malloc(N_LEADS * sizeof *sd), *ps = malloc(N_LEADS * sizeof *ps);
    long *sc = malloc(N_LEADS * sizeof *sc), *in = malloc(N_LEADS * sizeof *in);
    assert_int_equal(mql_points_internal_scores(m->design, b, p, m->fit->beta, sc, eta, &err),
                     MQL_OK);
    assert_int_equal(mql_points_inside_rows(m->design, b, p, NULL, N_LEADS, in, &err), MQL_OK);
    for (size_t r = 0; r < N_LEADS; r++)
        assert_int_equal(in[r], sc[r]);
    for (size_t r = 0; r < N_LEADS; r++) {
        pe[r] = mql_logistic(eta[r]);
        sd[r] = (double)sc[r];
        ps[r] = mql_points_prob(p, sd[r]);
    }
    double auc, ll;
    assert_int_equal(mql_auc(eta, fx->y, w, N_LEADS, &auc, &err), MQL_OK);
    assert_true(auc == p->auc_exact);
    assert_int_equal(mql_logloss(pe, fx->y, w, N_LEADS, &ll, &err), MQL_OK);
    assert_true(ll == p->logloss_exact);
    if (cap == MQL_NO_CAP) {
        assert_int_equal(mql_auc(sd, fx->y, w, N_LEADS, &auc, &err), MQL_OK);
        assert_true(auc == p->auc_points);
        assert_int_equal(mql_logloss(ps, fx->y, w, N_LEADS, &ll, &err), MQL_OK);
        assert_true(ll == p->logloss_points);
    } else {
        /* the cap cost: the capped score, unweighted */
        assert_int_equal(mql_auc(sd, fx->y, NULL, N_LEADS, &auc, &err), MQL_OK);
        assert_true(auc == p->auc_capped);
        assert_int_equal(mql_logloss(ps, fx->y, NULL, N_LEADS, &ll, &err), MQL_OK);
        assert_true(ll == p->logloss_capped);
        assert_true(p->share_capped > 0 && p->share_capped < 1);
    }
    free(eta), free(pe), free(sd), free(ps), free(sc), free(in);
    mql_points_free(p);
    mql_design_binding_free(b);
}

static void test_scores_and_costs(void **state)
{
    fixture *fx = *state;
    mql_model *m = train(fx, 0);
    /* pdo 20: the unweighted costs counted per score (a span of a few hundred scores); pdo
     * 40000: a span too wide to count (over 65,536 scores), summed lead by lead */
    check_costs(fx, m, NULL, MQL_NO_CAP, 20);
    check_costs(fx, m, NULL, MQL_NO_CAP, 40000);
    check_costs(fx, m, NULL, 60, 20);
    mql_model_free(m);
    /* weighted rows (a count table's form) need a design without LINEAR terms */
    mql_model *mb = train(fx, 1);
    double *w = malloc(N_LEADS * sizeof *w);
    for (size_t r = 0; r < N_LEADS; r++)
        w[r] = 1 + (double)(r % 3);
    check_costs(fx, mb, w, MQL_NO_CAP, 20);
    free(w);
    mql_model_free(mb);
}

/* Value runs do not depend on where the values sit: the same 4-decimal values in two row orders
 * (x_late, x_early) give the same steps: cuts, rule ends, representatives, and the lowest and
 * highest training value of each step (the sampled check's lookups), whose extremes' first rows
 * the steps know (counted from the range the design's scan recorded). */
static void test_dense_runs(void **state)
{
    fixture *fx = *state;
    mql_model *m = train(fx, 0);
    mql_design_binding *b = NULL;
    mql_err err;
    assert_int_equal(mql_design_bind(m->design, fx->t, &b, &err), MQL_OK);
    mql_points *p = NULL;
    assert_int_equal(mql_points_from_fit_data(m->design, m->fit->beta, b, fx->y, NULL, &p, &err),
                     MQL_OK);
    long fl = mql_design_find(m->design, "x_late"), fe = mql_design_find(m->design, "x_early");
    const mql_points_step *sl = NULL, *se = NULL;
    for (size_t k = 0; k < p->n_steps; k++) {
        if (p->steps[k].term == m->design->features[fl].term0)
            sl = &p->steps[k];
        if (p->steps[k].term == m->design->features[fe].term0)
            se = &p->steps[k];
    }
    assert_non_null(sl);
    assert_non_null(se);
    assert_int_equal(sl->n, se->n);
    assert_true(sl->n >= 4);
    for (size_t k = 0; k < sl->n; k++) {
        assert_true(sl->lo[k] == se->lo[k]);
        assert_true(sl->rep[k] == se->rep[k]);
        assert_true(sl->top[k] == se->top[k] || (isnan(sl->top[k]) && isnan(se->top[k])));
        assert_true(sl->vlo[k] == se->vlo[k] && sl->vhi[k] == se->vhi[k]);
        assert_true(sl->vlo[k] >= sl->lo[k] && sl->vhi[k] >= sl->vlo[k]);
        if (k + 1 < sl->n)
            assert_true(sl->vhi[k] < sl->lo[k + 1]);
    }
    /* the first rows of the lowest and the highest value, learnt while counting, are the first
     * rows holding them */
    const mql_points_step *both[2] = {sl, se};
    long fi[2] = {fl, fe};
    for (int q = 0; q < 2; q++) {
        const double *xv = b->f[fi[q]].col->num;
        size_t rlo = SIZE_MAX, rhi = SIZE_MAX;
        for (size_t r = N_LEADS; r-- > 0;) {
            rlo = xv[r] == both[q]->vlo[0] ? r : rlo;
            rhi = xv[r] == both[q]->vhi[both[q]->n - 1] ? r : rhi;
        }
        assert_int_equal(both[q]->row_lo, rlo);
        assert_int_equal(both[q]->row_hi, rhi);
        /* the design's scan gave the runs their range: the column's extremes */
        const mql_feature *f = &m->design->features[fi[q]];
        assert_true(f->has_range);
        assert_true(f->range_lo == both[q]->vlo[0] && f->range_hi == both[q]->vhi[both[q]->n - 1]);
    }
    mql_points_free(p);
    mql_design_binding_free(b);
    mql_model_free(m);
}

/* The rows of the sampled check: every level (the three 'rare' leads' first among them), both
 * sides of every cut, the interaction cells, and a fixed-seed sample; a disagreement on a level
 * only three leads hold, or on the one value at a step's lower end, is caught and reported as
 * the full check reports it. */
static void test_sampled_check(void **state)
{
    fixture *fx = *state;
    mql_model *m = train(fx, 0);
    mql_design_binding *b = NULL;
    mql_err err;
    assert_int_equal(mql_design_bind(m->design, fx->t, &b, &err), MQL_OK);
    mql_points_opts po;
    mql_points_opts_default(&po);
    po.pdo = 20;
    mql_points_extra ex = {.want_check = 1};
    mql_points *p = NULL;
    assert_int_equal(mql_points_from_fit_ex(m->design, m->fit->beta, b, fx->y, NULL, &po, &ex,
                                            &p, &err), MQL_OK);
    assert_non_null(ex.check_rows);
    assert_true(ex.n_check > 9000 && ex.n_check < 11000);
    int has_rare = 0;
    for (size_t i = 0; i < ex.n_check; i++) {
        if (i)
            assert_true(ex.check_rows[i] > ex.check_rows[i - 1]);
        has_rare |= ex.check_rows[i] == RARE_ROW;
    }
    assert_true(has_rare);
    /* every step's lowest and highest value by the first row holding it, and a column's first
     * missing row, as a plain scan finds them (the pass finds them eight rows at a time) */
    size_t n_found = 0;
    for (size_t k = 0; k < p->n_steps; k++) {
        const mql_points_step *st = &p->steps[k];
        const mql_feature *f = NULL;
        const mql_column *col = NULL;
        for (size_t i = 0; i < m->design->n_features; i++)
            if (m->design->features[i].term0 == st->term) {
                f = &m->design->features[i];
                col = b->f[i].col;
            }
        assert_non_null(f);
        assert_non_null(st->vlo);
        for (size_t q = 0; q < 2 * st->n + 1; q++) {
            double v = q == 2 * st->n ? NAN : q % 2 ? st->vhi[q / 2] : st->vlo[q / 2];
            size_t r = 0;
            while (r < b->n_rows && !(v != v ? col->num[r] != col->num[r] : col->num[r] == v))
                r++;
            if (r == b->n_rows)
                continue;
            size_t lo = 0, hi = ex.n_check;
            while (lo < hi) {
                size_t mid = lo + (hi - lo) / 2;
                if (ex.check_rows[mid] < r)
                    lo = mid + 1;
                else
                    hi = mid;
            }
            if (lo == ex.n_check || ex.check_rows[lo] != r)
                fail_msg("'%s': row %zu, the first holding %.17g, is not a check row", f->name, r,
                         v);
            n_found++;
        }
    }
    assert_true(n_found > 20);
    assert_int_equal(mql_points_self_check_rows(m->design, b, p, ex.check_rows, ex.n_check, &err),
                     MQL_OK);
    /* the pass hands over the check rows' scores: those mql_points_inside_rows gives, and the
     * check on them passes; a handed-over score that is off is caught on its lead */
    assert_non_null(ex.check_scores);
    long *inside = malloc(ex.n_check * sizeof *inside);
    assert_non_null(inside);
    assert_int_equal(mql_points_inside_rows(m->design, b, p, ex.check_rows, ex.n_check, inside,
                                            &err), MQL_OK);
    assert_memory_equal(inside, ex.check_scores, ex.n_check * sizeof *inside);
    free(inside);
    assert_int_equal(mql_points_self_check_rows_scored(m->design, b, p, ex.check_rows, ex.n_check,
                                                       ex.check_scores, &err), MQL_OK);
    size_t mid = ex.n_check / 2;
    ex.check_scores[mid] += 1;
    assert_int_equal(mql_points_self_check_rows_scored(m->design, b, p, ex.check_rows, ex.n_check,
                                                       ex.check_scores, &err), MQL_EDATA);
    char want_mid[64];
    snprintf(want_mid, sizeof want_mid, "self-check failed: lead on line %zu scores ",
             ex.check_rows[mid] + 2);
    assert_memory_equal(err.msg, want_mid, strlen(want_mid));
    ex.check_scores[mid] -= 1;
    /* the 'rare' rule edited: its first lead (line RARE_ROW + 2) disagrees */
    mql_rule *rr = NULL;
    for (size_t k = 0; k < p->n_rules; k++)
        if (p->rules[k].n_cond == 1 && strcmp(p->rules[k].cond[0].feature, "job") == 0 &&
            strcmp(p->rules[k].cond[0].value, "rare") == 0)
            rr = &p->rules[k];
    assert_non_null(rr);
    rr->points += 5;
    assert_int_equal(mql_points_self_check_rows(m->design, b, p, ex.check_rows, ex.n_check, &err),
                     MQL_EDATA);
    char want[64];
    snprintf(want, sizeof want, "self-check failed: lead on line %d scores ", RARE_ROW + 2);
    assert_memory_equal(err.msg, want, strlen(want));
    assert_non_null(strstr(err.msg, "'job' = 'rare' gets"));
    assert_int_equal(mql_points_self_check_rows_scored(m->design, b, p, ex.check_rows, ex.n_check,
                                                       ex.check_scores, &err), MQL_EDATA);
    assert_memory_equal(err.msg, want, strlen(want));
    rr->points -= 5;
    /* a step that starts one ulp above its lowest training value: only the leads holding that
     * value move to the step below inside the model */
    long fx_ = mql_design_find(m->design, "x");
    mql_points_step *st = NULL;
    for (size_t k = 0; k < p->n_steps; k++)
        if (p->steps[k].term == m->design->features[fx_].term0)
            st = &p->steps[k];
    assert_non_null(st);
    size_t k = 1;
    while (k < st->n && st->points[k] == st->points[k - 1])
        k++;
    assert_true(k < st->n);   /* a step scoring apart from the one below */
    const double *xv = b->f[fx_].col->num;
    double vmin = INFINITY;
    size_t first = SIZE_MAX;
    for (size_t r = 0; r < N_LEADS; r++)
        if (xv[r] >= st->lo[k] && (k + 1 == st->n || xv[r] < st->lo[k + 1]) && xv[r] < vmin) {
            vmin = xv[r];
            first = r;
        }
    size_t holders = 0;
    for (size_t r = 0; r < N_LEADS; r++)
        holders += xv[r] == vmin;
    assert_true(holders < 20);   /* few leads: a random sample alone would likely miss them */
    double keep = st->lo[k];
    st->lo[k] = nextafter(vmin, INFINITY);
    assert_int_equal(mql_points_self_check_rows(m->design, b, p, ex.check_rows, ex.n_check, &err),
                     MQL_EDATA);
    snprintf(want, sizeof want, "self-check failed: lead on line %zu scores ", first + 2);
    assert_memory_equal(err.msg, want, strlen(want));
    st->lo[k] = keep;
    assert_int_equal(mql_points_self_check_rows(m->design, b, p, ex.check_rows, ex.n_check, &err),
                     MQL_OK);
    /* rows out of order or out of range are a usage error */
    size_t bad[2] = {5, 3};
    assert_int_equal(mql_points_self_check_rows(m->design, b, p, bad, 2, &err), MQL_EUSAGE);
    size_t far = N_LEADS;
    assert_int_equal(mql_points_self_check_rows(m->design, b, p, &far, 1, &err), MQL_EUSAGE);
    free(ex.check_rows);
    free(ex.check_scores);
    free(ex.scores);
    mql_points_free(p);
    mql_design_binding_free(b);
    mql_model_free(m);
}

/* mql_model_add_points checks a sample above MQL_SELFCHECK_FULL_ROWS leads and every lead with
 * full_check; the model is the same either way. */
static void test_full_check_same_model(void **state)
{
    fixture *fx = *state;
    mql_err err;
    mql_model *a = train(fx, 0), *c = train(fx, 0);
    mql_points_opts po;
    mql_points_opts_default(&po);
    assert_int_equal(mql_model_add_points(a, fx->t, fx->y, &po, &err), MQL_OK);
    po.full_check = 1;
    assert_int_equal(mql_model_add_points(c, fx->t, fx->y, &po, &err), MQL_OK);
    assert_int_equal(a->points->n_rules, c->points->n_rules);
    for (size_t k = 0; k < a->points->n_rules; k++)
        assert_int_equal(a->points->rules[k].points, c->points->rules[k].points);
    assert_int_equal(a->points->threshold, c->points->threshold);
    assert_true(a->points->auc_exact == c->points->auc_exact);
    assert_true(a->points->logloss_points == c->points->logloss_points);
    mql_model_free(a);
    mql_model_free(c);
}

/* The points step on one thread and on two (the steps, the exact model's costs and the scores
 * in blocks shared out, the costs summed in row order after): the same model, costs, scores and
 * check rows bit for bit, with and without caps, with the fit's linear predictor as scratch. */
static void test_threads_same(void **state)
{
    fixture *fx = *state;
    mql_model *m = train(fx, 0);
    mql_design_binding *b = NULL;
    mql_err err;
    assert_int_equal(mql_design_bind(m->design, fx->t, &b, &err), MQL_OK);
    for (int caps = 0; caps < 2; caps++) {
        mql_points_opts po;
        mql_points_opts_default(&po);
        if (caps)
            po.cap_fit = 30;
        mql_points *p[2] = {NULL, NULL};
        mql_points_extra ex[2];
        for (int t = 0; t < 2; t++) {
            double *eta = malloc(N_LEADS * sizeof *eta);
            memcpy(eta, m->fit->eta, N_LEADS * sizeof *eta);
            ex[t] = (mql_points_extra){.eta = eta, .eta_writable = 1, .auc_exact = NAN,
                                       .logloss_exact = NAN, .want_scores = 1, .want_check = 1,
                                       .threads = t + 1};
            assert_int_equal(mql_points_from_fit_ex(m->design, m->fit->beta, b, fx->y, NULL, &po,
                                                    &ex[t], &p[t], &err), MQL_OK);
            free(eta);
        }
        assert_int_equal(p[0]->n_rules, p[1]->n_rules);
        for (size_t k = 0; k < p[0]->n_rules; k++)
            assert_int_equal(p[0]->rules[k].points, p[1]->rules[k].points);
        assert_int_equal(p[0]->threshold, p[1]->threshold);
        assert_memory_equal(&p[0]->auc_exact, &p[1]->auc_exact, sizeof(double));
        assert_memory_equal(&p[0]->auc_points, &p[1]->auc_points, sizeof(double));
        assert_memory_equal(&p[0]->logloss_exact, &p[1]->logloss_exact, sizeof(double));
        assert_memory_equal(&p[0]->logloss_points, &p[1]->logloss_points, sizeof(double));
        assert_true(isfinite(p[0]->auc_points) && isfinite(p[0]->logloss_points));
        if (caps) {
            assert_memory_equal(&p[0]->auc_capped, &p[1]->auc_capped, sizeof(double));
            assert_memory_equal(&p[0]->logloss_capped, &p[1]->logloss_capped, sizeof(double));
            assert_true(p[0]->share_capped == p[1]->share_capped && p[0]->share_capped > 0);
        }
        assert_memory_equal(ex[0].scores, ex[1].scores, N_LEADS * sizeof(long));
        assert_int_equal(ex[0].n_check, ex[1].n_check);
        assert_memory_equal(ex[0].check_rows, ex[1].check_rows, ex[0].n_check * sizeof(size_t));
        assert_memory_equal(ex[0].check_scores, ex[1].check_scores, ex[0].n_check * sizeof(long));
        for (size_t i = 0; i < ex[0].n_check; i++)   /* the capped scores of those rows */
            assert_int_equal(ex[0].check_scores[i], ex[0].scores[ex[0].check_rows[i]]);
        /* and the scores are the design rows' */
        long *sc = malloc(N_LEADS * sizeof *sc);
        assert_int_equal(mql_points_internal_scores(m->design, b, p[0], NULL, sc, NULL, &err),
                         MQL_OK);
        assert_memory_equal(sc, ex[0].scores, N_LEADS * sizeof(long));
        free(sc);
        for (int t = 0; t < 2; t++) {
            free(ex[t].scores);
            free(ex[t].check_rows);
            free(ex[t].check_scores);
            mql_points_free(p[t]);
        }
    }
    mql_design_binding_free(b);
    mql_model_free(m);
}

/* mql_scorer_score_rows (the sampled self-check's route: column by column in blocks of rows)
 * gives each row mql_scorer_score_row's score: levels, missing cells, steps, bins, the job:amt
 * interaction's compound rules and a fit cap; rows ascending, scattered and repeated, in
 * counts below and above its block of 256 rows. */
static void test_score_rows_route(void **state)
{
    fixture *fx = *state;
    mql_model *m = train(fx, 0);
    mql_points_opts po;
    mql_points_opts_default(&po);
    po.cap_fit = 30;
    mql_err err;
    assert_int_equal(mql_model_add_points(m, fx->t, fx->y, &po, &err), MQL_OK);
    int compound = 0;
    for (size_t k = 0; k < m->points->n_rules; k++)
        compound |= m->points->rules[k].n_cond > 1;
    assert_true(compound);
    mql_scorer *sc = NULL;
    assert_int_equal(mql_scorer_bind(m->points, fx->t, &sc, &err), MQL_OK);
    enum { K = 1000 };
    size_t *rows = malloc(K * sizeof *rows);
    long *got = malloc(K * sizeof *got);
    uint64_t seed = 7;
    int capped = 0;
    for (int order = 0; order < 2; order++) {
        for (size_t i = 0; i < K; i++)   /* ascending, then scattered with repeats */
            rows[i] = order ? (size_t)(lcg(&seed) % N_LEADS) : i * (N_LEADS / K) + i % 7;
        rows[K - 1] = RARE_ROW + 1;
        size_t counts[] = {K, 300, 10, 1};
        for (size_t c = 0; c < sizeof counts / sizeof *counts; c++) {
            mql_scorer_score_rows(sc, rows, counts[c], got);
            for (size_t i = 0; i < counts[c]; i++) {
                mql_score_result res;
                mql_scorer_score_row(sc, rows[i], &res);
                assert_int_equal(got[i], res.score);
                capped |= res.capped != 0;
            }
        }
    }
    assert_true(capped);
    free(rows);
    free(got);
    mql_scorer_free(sc);
    mql_model_free(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_eta_kept),
        cmocka_unit_test(test_spare_block),
        cmocka_unit_test(test_firth_eta_kept),
        cmocka_unit_test(test_scores_and_costs),
        cmocka_unit_test(test_dense_runs),
        cmocka_unit_test(test_sampled_check),
        cmocka_unit_test(test_full_check_same_model),
        cmocka_unit_test(test_threads_same),
        cmocka_unit_test(test_score_rows_route),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
