/* test_backtest.c: the threshold sweep, recommendations, banding and time helpers on a 16-lead set
 * whose every figure is worked out by hand below; Wilson intervals from R 4.2.2
 * prop.test(k, n, correct = FALSE)$conf.int. Tolerances: counts exact, hand-computed ratios 1e-12
 * relative, R's intervals 1e-12 absolute (R printed with 15 decimals). */
#include "testutil.h"
#include "mqlcal/backtest.h"
#include "mqlcal/funnel.h"

/* ---- the hand-made set ------------------------------------------------------------------------
 *  lead  score  won  sql  month         acv     censored
 *   1     90     1    1   648 2024-01   10000
 *   2     90     0    1   649 2024-02
 *   3     80     1    1   650 2024-03   20000
 *   4     80     0    0   648
 *   5     80     1    1   651           (none: a won lead without ACV)
 *   6     70     0    1   652
 *   7     70     0    0   649
 *   8     60     1    1   650            5000
 *   9     60     0    0   651
 *  10     60     0    0   653                     yes
 *  11     50     0    1   648
 *  12     50     1    1   652           15000
 *  13     40     0    0   649
 *  14     40     0    1   650
 *  15     30     0    0   651
 *  16     90     1    1   653           30000     yes (won, but censored: in no rate)
 * Totals: n 16, censored 2, rated 14; won among rated = leads 1 3 5 8 12 = 5; SQL among rated =
 * 1 2 3 5 6 8 11 12 14 = 9; base won 5/14, base SQL 9/14; won ACV 10000 + 20000 + 5000 + 15000 =
 * 50000 with one won lead (5) lacking ACV; months 648..653 span 6.
 * Cumulative rows (score >= t):
 *    t  MQLs cens rated SQLs won  ACV    per month
 *   90    3    1    2    2    1  10000   0.5
 *   80    6    1    5    4    3  30000   1
 *   70    8    1    7    5    3  30000   8/6
 *   60   11    2    9    6    4  35000   11/6
 *   50   13    2   11    8    5  50000   13/6
 *   40   15    2   13    9    5  50000   2.5
 *   30   16    2   14    9    5  50000   16/6 */
#define N_LEADS 16
static const double SCORE[N_LEADS] = {90, 90, 80, 80, 80, 70, 70, 60, 60, 60, 50, 50, 40, 40, 30, 90};
static const unsigned char WON[N_LEADS] = {1, 0, 1, 0, 1, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1};
static const unsigned char SQL[N_LEADS] = {1, 1, 1, 0, 1, 1, 0, 1, 0, 0, 1, 1, 0, 1, 0, 1};
static const long MONTH[N_LEADS] = {648, 649, 650, 648, 651, 652, 649, 650,
                                    651, 653, 648, 652, 649, 650, 651, 653};
static const unsigned char CENS[N_LEADS] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 1};
static double ACV[N_LEADS];

static mql_bt_input hand_input(void)
{
    for (int i = 0; i < N_LEADS; i++)
        ACV[i] = NAN;
    ACV[0] = 10000;
    ACV[2] = 20000;
    ACV[7] = 5000;
    ACV[11] = 15000;
    ACV[15] = 30000;
    mql_bt_input in = {N_LEADS, SCORE, WON, SQL, MONTH, ACV, CENS};
    return in;
}

static mql_bt_sweep *hand_sweep(void)
{
    mql_bt_input in = hand_input();
    mql_bt_sweep *s = NULL;
    mql_err err;
    assert_int_equal(mql_bt_sweep_run(&in, NULL, 0, &s, &err), MQL_OK);
    return s;
}

static void test_sweep_totals(void **state)
{
    (void)state;
    mql_bt_sweep *s = hand_sweep();
    const mql_bt_totals *t = &s->totals;
    assert_int_equal(t->n, 16);
    assert_int_equal(t->n_censored, 2);
    assert_int_equal(t->n_rated, 14);
    assert_int_equal(t->won, 5);
    assert_int_equal(t->sqls, 9);
    assert_close(t->base_won_rate, 5.0 / 14, 1e-12, 0);
    assert_close(t->base_sql_rate, 9.0 / 14, 1e-12, 0);
    assert_close(t->acv_won, 50000, 1e-12, 0);
    assert_int_equal(t->won_without_acv, 1);
    assert_true(t->has_months && t->has_sql && t->has_acv);
    assert_int_equal(t->first_month, 648);
    assert_int_equal(t->last_month, 653);
    assert_int_equal(t->n_months, 6);
    assert_int_equal(t->n_no_month, 0);
    mql_bt_sweep_free(s);
}

static void test_sweep_rows(void **state)
{
    (void)state;
    mql_bt_sweep *s = hand_sweep();
    /* seven distinct scores, ties grouped (three leads at 90, three at 80, ...), loosest first */
    assert_int_equal(s->n_rows, 7);
    static const double thr[7] = {30, 40, 50, 60, 70, 80, 90};
    static const size_t mqls[7] = {16, 15, 13, 11, 8, 6, 3};
    static const size_t cens[7] = {2, 2, 2, 2, 1, 1, 1};
    static const size_t rated[7] = {14, 13, 11, 9, 7, 5, 2};
    static const size_t sqls[7] = {9, 9, 8, 6, 5, 4, 2};
    static const size_t won[7] = {5, 5, 5, 4, 3, 3, 1};
    static const double acv[7] = {50000, 50000, 50000, 35000, 30000, 30000, 10000};
    for (size_t j = 0; j < 7; j++) {
        const mql_bt_row *r = &s->rows[j];
        assert_close(r->threshold, thr[j], 0, 0);
        assert_int_equal(r->mqls, mqls[j]);
        assert_int_equal(r->censored, cens[j]);
        assert_int_equal(r->rated, rated[j]);
        assert_int_equal(r->sqls, sqls[j]);
        assert_int_equal(r->won, won[j]);
        assert_close(r->share, mqls[j] / 16.0, 1e-12, 0);
        assert_close(r->mqls_per_month, mqls[j] / 6.0, 1e-12, 0);
        assert_close(r->sql_rate, (double)sqls[j] / rated[j], 1e-12, 0);
        assert_close(r->won_rate, (double)won[j] / rated[j], 1e-12, 0);
        assert_close(r->precision, r->won_rate, 0, 0);
        assert_close(r->recall, won[j] / 5.0, 1e-12, 0);
        /* lift = (won / rated) / (5 / 14) */
        assert_close(r->lift, (double)won[j] / rated[j] * 14.0 / 5.0, 1e-12, 0);
        /* F1 = 2 won / (rated + all won) */
        assert_close(r->f1, 2.0 * won[j] / (rated[j] + 5.0), 1e-12, 0);
        assert_close(r->acv_won, acv[j], 1e-12, 0);
        assert_close(r->acv_share, acv[j] / 50000, 1e-12, 0);
        assert_int_equal(r->below, 16 - mqls[j]);
        assert_int_equal(r->won_missed, 5 - won[j]);
    }
    /* Spot values written out: t = 80: 6 MQLs, 1 per month, MQL-to-SQL 4/5 = 0.8, MQL-to-won
     * 3/5 = 0.6, lift 0.6 / (5/14) = 1.68, F1 = 2*3/(5+5) = 0.6, ACV 30000 = 60% of 50000. */
    const mql_bt_row *r80 = &s->rows[5];
    assert_close(r80->mqls_per_month, 1.0, 1e-12, 0);
    assert_close(r80->lift, 1.68, 1e-12, 0);
    assert_close(r80->f1, 0.6, 1e-12, 0);
    assert_close(r80->acv_share, 0.6, 1e-12, 0);
    /* Wilson 95%, R prop.test(4, 5) and prop.test(3, 5), correct = FALSE */
    assert_close(r80->sql_lo, 0.375534629762525, 0, 1e-12);
    assert_close(r80->sql_hi, 0.963775891367570, 0, 1e-12);
    assert_close(r80->won_lo, 0.230724281276013, 0, 1e-12);
    assert_close(r80->won_hi, 0.882379225767352, 0, 1e-12);
    /* t = 90: 2/2 SQL -> interval (0.342380227506653, 1); 1/2 won -> (0.0945..., 0.9054...) */
    const mql_bt_row *r90 = &s->rows[6];
    assert_close(r90->sql_lo, 0.342380227506653, 0, 1e-12);
    assert_close(r90->sql_hi, 1.0, 0, 0);
    assert_close(r90->won_lo, 0.094531205734231, 0, 1e-12);
    assert_close(r90->won_hi, 0.905468794265769, 0, 1e-12);
    /* t = 50: 8/11 SQL, 5/11 won; lift (5/11)/(5/14) = 14/11 */
    const mql_bt_row *r50 = &s->rows[2];
    assert_close(r50->sql_lo, 0.434354698823871, 0, 1e-12);
    assert_close(r50->won_hi, 0.719908462590678, 0, 1e-12);
    assert_close(r50->lift, 14.0 / 11, 1e-12, 0);
    mql_bt_sweep_free(s);
}

/* Given thresholds: any order, duplicates merged; a threshold between scores equals the next
 * score up; one above every score has no MQL and so no rate. */
static void test_sweep_given_thresholds(void **state)
{
    (void)state;
    mql_bt_input in = hand_input();
    const double thr[] = {85, 60, 100, 60, 25};
    mql_bt_sweep *s;
    mql_err err;
    assert_int_equal(mql_bt_sweep_run(&in, thr, 5, &s, &err), MQL_OK);
    assert_int_equal(s->n_rows, 4);
    assert_close(s->rows[0].threshold, 25, 0, 0);
    assert_int_equal(s->rows[0].mqls, 16);
    assert_close(s->rows[1].threshold, 60, 0, 0);
    assert_int_equal(s->rows[1].mqls, 11);
    assert_int_equal(s->rows[1].won, 4);
    assert_close(s->rows[2].threshold, 85, 0, 0);   /* = the 90 row: 3 MQLs, 2 rated, 1 won */
    assert_int_equal(s->rows[2].mqls, 3);
    assert_int_equal(s->rows[2].rated, 2);
    assert_int_equal(s->rows[2].won, 1);
    const mql_bt_row *r = &s->rows[3];
    assert_close(r->threshold, 100, 0, 0);
    assert_int_equal(r->mqls, 0);
    assert_int_equal(r->below, 16);
    assert_int_equal(r->won_missed, 5);
    assert_true(isnan(r->won_rate) && isnan(r->won_lo) && isnan(r->sql_rate) && isnan(r->lift));
    assert_close(r->f1, 0, 0, 0);
    assert_close(r->recall, 0, 0, 0);

    /* only a threshold nobody reaches: no row has a rate to recommend on */
    const double high = 1000;
    mql_bt_sweep *s2;
    assert_int_equal(mql_bt_sweep_run(&in, &high, 1, &s2, &err), MQL_OK);
    mql_bt_constraint c = {MQL_GOAL_MIN_RATE, 0.2, MQL_RATE_WON, 0};
    mql_bt_rec rec;
    assert_int_equal(mql_bt_recommend(s2, &c, &rec, &err), MQL_EDATA);
    assert_non_null(strstr(err.msg, "no threshold has a matured MQL"));
    mql_bt_sweep_free(s2);
    mql_bt_sweep_free(s);
}

/* Probabilities: ties (0.3 twice), -0.0 and 0.0 as one score, and a parsed grid whose 0.3 is the
 * double 0.3 (0.1 + 2 * 0.1 would be 0.30000000000000004 and miss both 0.3 leads). No optional
 * arrays: SQL and per-month figures are NAN. */
static void test_sweep_probabilities(void **state)
{
    (void)state;
    const double p[] = {0.3, 0.1, -0.0, 0.3, 0.0, 0.2};
    const unsigned char y[] = {1, 0, 0, 1, 0, 1};
    mql_bt_input in = {6, p, y, NULL, NULL, NULL, NULL};
    mql_bt_sweep *s;
    mql_err err;
    assert_int_equal(mql_bt_sweep_run(&in, NULL, 0, &s, &err), MQL_OK);
    assert_int_equal(s->n_rows, 4);   /* 0, 0.1, 0.2, 0.3 */
    assert_close(s->rows[0].threshold, 0, 0, 0);
    assert_false(signbit(s->rows[0].threshold));
    assert_int_equal(s->rows[0].mqls, 6);
    assert_int_equal(s->rows[3].mqls, 2);
    assert_true(isnan(s->rows[3].sql_rate) && isnan(s->rows[3].mqls_per_month));
    assert_false(s->totals.has_months || s->totals.has_sql || s->totals.has_acv);
    assert_int_equal(s->totals.won_without_acv, 3);
    assert_true(isnan(s->rows[3].acv_share));
    mql_bt_sweep_free(s);

    double *grid;
    size_t m;
    assert_int_equal(mql_thresholds_parse("0.1:0.3:0.1", "--thresholds", &grid, &m, &err), MQL_OK);
    assert_int_equal(m, 3);
    assert_true(grid[2] == 0.3);
    assert_int_equal(mql_bt_sweep_run(&in, grid, m, &s, &err), MQL_OK);
    assert_int_equal(s->rows[2].mqls, 2);    /* both 0.3 leads are MQLs at 0.3 */
    assert_int_equal(s->rows[1].mqls, 3);    /* 0.2 */
    assert_int_equal(s->rows[0].mqls, 4);    /* 0.1 */
    free(grid);
    mql_bt_sweep_free(s);
}

/* The radix sort and single pass against a direct count per threshold, on 3000 random leads with
 * negative, fractional and heavily tied scores, random censoring and missing months. Counts must
 * agree exactly; the ACV sums to 1e-9 relative (summation order differs). */
static void test_sweep_brute_force(void **state)
{
    (void)state;
    enum { N = 3000 };
    static double sc[N], acv[N];
    static unsigned char y[N], q[N], cz[N];
    static long mo[N];
    unsigned long x = 12345;   /* a fixed LCG: the data are the same on every run */
    for (size_t i = 0; i < N; i++) {
        x = x * 6364136223846793005UL + 1442695040888963407UL;
        int v = (int)((x >> 33) % 41) - 20;         /* -20 .. 20 */
        sc[i] = v == 0 && (x >> 7) % 2 ? -0.0 : v * 0.25;   /* ties, both zeros, negatives */
        y[i] = ((x >> 20) % 7) < (unsigned)(v + 20) / 8;
        q[i] = y[i] || ((x >> 13) % 3 == 0);
        cz[i] = (x >> 40) % 11 == 0;
        mo[i] = (x >> 45) % 17 == 0 ? MQL_NO_MONTH : 600 + (long)((x >> 50) % 12);
        acv[i] = y[i] && (x >> 9) % 5 ? 1000.0 + (double)((x >> 24) % 9000) : NAN;
    }
    mql_bt_input in = {N, sc, y, q, mo, acv, cz};
    const double given[] = {-5.5, -5, -0.1, 0, 0.3, 2.25, 5, 6};
    for (int mode = 0; mode < 2; mode++) {
        mql_bt_sweep *s;
        mql_err err;
        assert_int_equal(mql_bt_sweep_run(&in, mode ? given : NULL, mode ? 8 : 0, &s, &err), MQL_OK);
        assert_int_equal(s->n_rows, mode ? 8 : 41);
        long lo = LONG_MAX, hi = LONG_MIN;
        for (size_t i = 0; i < N; i++)
            if (mo[i] != MQL_NO_MONTH) {
                lo = mo[i] < lo ? mo[i] : lo;
                hi = mo[i] > hi ? mo[i] : hi;
            }
        assert_int_equal(s->totals.n_months, (size_t)(hi - lo + 1));
        for (size_t j = 0; j < s->n_rows; j++) {
            const mql_bt_row *r = &s->rows[j];
            if (j > 0)
                assert_true(r->threshold > s->rows[j - 1].threshold);
            size_t mq = 0, ce = 0, sq = 0, wo = 0;
            double av = 0;
            for (size_t i = 0; i < N; i++) {
                if (!(sc[i] >= r->threshold))
                    continue;
                mq++;
                if (cz[i]) {
                    ce++;
                    continue;
                }
                sq += q[i];
                wo += y[i];
                if (y[i] && !isnan(acv[i]))
                    av += acv[i];
            }
            assert_int_equal(r->mqls, mq);
            assert_int_equal(r->censored, ce);
            assert_int_equal(r->sqls, sq);
            assert_int_equal(r->won, wo);
            assert_close(r->acv_won, av, 1e-9, 0);
            assert_close(r->mqls_per_month, (double)mq / (double)(hi - lo + 1), 1e-12, 0);
        }
        mql_bt_sweep_free(s);
    }
}

static void test_thresholds_parse(void **state)
{
    (void)state;
    double *v;
    size_t m;
    mql_err err;
    assert_int_equal(mql_thresholds_parse("50:90:10", "--thresholds", &v, &m, &err), MQL_OK);
    assert_int_equal(m, 5);
    assert_close(v[0], 50, 0, 0);
    assert_close(v[4], 90, 0, 0);
    free(v);
    /* end off the grid: 50, 60, ..., 90 (95 not reached) */
    assert_int_equal(mql_thresholds_parse("50:95:10", "--thresholds", &v, &m, &err), MQL_OK);
    assert_int_equal(m, 5);
    assert_close(v[4], 90, 0, 0);
    free(v);
    assert_int_equal(mql_thresholds_parse("50, 60,75", "--thresholds", &v, &m, &err), MQL_OK);
    assert_int_equal(m, 3);
    assert_close(v[1], 60, 0, 0);
    assert_close(v[2], 75, 0, 0);
    free(v);
    assert_int_equal(mql_thresholds_parse("75", "--thresholds", &v, &m, &err), MQL_OK);
    assert_int_equal(m, 1);
    free(v);

    static const struct {
        const char *spec, *msg;
    } bad[] = {
        {"5:1:2", "--thresholds: start 5 is above end 1 in '5:1:2'"},
        {"a:b:c", "--thresholds: 'a' in 'a:b:c' is not a number"},
        {"1:x:1", "--thresholds: 'x' in '1:x:1' is not a number"},
        {"1:5:0", "--thresholds: step must be > 0 in '1:5:0' (got 0)"},
        {"1:5:-1", "--thresholds: step must be > 0 in '1:5:-1' (got -1)"},
        {"1:5", "--thresholds: '1:5' is not of the form start:end:step"},
        {"1:5:1:2", "--thresholds: '1:5:1:2' is not of the form start:end:step"},
        {"0:1:0.000001", "--thresholds: '0:1:0.000001' gives more than 100000 thresholds"},
        {"50,,60", "--thresholds: '' in '50,,60' is not a number"},
        {"50,nan", "--thresholds: 'nan' in '50,nan' is not a number"},
        {"", "--thresholds: empty value"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        v = (double *)&m;   /* must be reset to NULL on failure */
        assert_int_equal(mql_thresholds_parse(bad[i].spec, "--thresholds", &v, &m, &err),
                         MQL_EUSAGE);
        assert_null(v);
        assert_string_equal(err.msg, bad[i].msg);
    }
}

/* ---- recommendations -------------------------------------------------------------------------- */

static void recommend(const mql_bt_sweep *s, mql_bt_goal goal, double value, mql_bt_rate_kind rk,
                      int lower, mql_bt_rec *rec, char *text, size_t cap)
{
    mql_bt_constraint c = {goal, value, rk, lower};
    mql_err err;
    assert_int_equal(mql_bt_recommend(s, &c, rec, &err), MQL_OK);
    size_t len = mql_bt_rec_sentence(s, &c, rec, text, cap);
    assert_int_equal(len, strlen(text));
}

static void test_capacity(void **state)
{
    (void)state;
    mql_bt_sweep *s = hand_sweep();
    mql_bt_rec r;
    char text[256];
    /* per month from the loosest: 2.67 2.5 2.17 1.83 1.33 1 0.5; the first <= 2 is t = 60 */
    recommend(s, MQL_GOAL_CAPACITY, 2, MQL_RATE_WON, 0, &r, text, sizeof text);
    assert_int_equal(r.status, MQL_REC_MET);
    assert_int_equal(r.index, 3);
    assert_close(r.achieved, 11.0 / 6, 1e-12, 0);
    assert_string_equal(text, "threshold 60 gives 1.83 MQLs/month, within capacity 2, and "
                              "captures 80.0% of won deals (4 of 5)");
    /* capacity exactly met: 1 MQL/month at 80 */
    recommend(s, MQL_GOAL_CAPACITY, 1, MQL_RATE_WON, 0, &r, text, sizeof text);
    assert_int_equal(r.status, MQL_REC_MET);
    assert_int_equal(r.index, 5);
    /* not met: even 90 gives 0.5, 0.1 over 0.4 */
    recommend(s, MQL_GOAL_CAPACITY, 0.4, MQL_RATE_WON, 0, &r, text, sizeof text);
    assert_int_equal(r.status, MQL_REC_OVER);
    assert_int_equal(r.index, 6);
    assert_close(r.shortfall, 0.1, 1e-12, 0);
    assert_string_equal(text,
                        "even the strictest threshold 90 gives 0.5 MQLs/month, 0.1 over capacity 0.4");
    /* truncation: the full length is returned and the buffer stays terminated */
    char small[10];
    mql_bt_constraint c = {MQL_GOAL_CAPACITY, 0.4, MQL_RATE_WON, 0};
    assert_int_equal(mql_bt_rec_sentence(s, &c, &r, small, sizeof small), strlen(text));
    assert_string_equal(small, "even the ");   /* 9 characters and the NUL */
    mql_bt_sweep_free(s);
}

static void test_min_rate(void **state)
{
    (void)state;
    mql_bt_sweep *s = hand_sweep();
    mql_bt_rec r;
    char text[256];
    /* MQL-to-SQL from the loosest: 9/14 .643, 9/13 .692, 8/11 .727, 6/9 .667, 5/7 .714, 4/5 .8,
     * 2/2 1. At least 75%: 80 is the loosest. */
    recommend(s, MQL_GOAL_MIN_RATE, 0.75, MQL_RATE_SQL, 0, &r, text, sizeof text);
    assert_int_equal(r.status, MQL_REC_MET);
    assert_int_equal(r.index, 5);
    assert_close(r.achieved, 0.8, 1e-12, 0);
    assert_string_equal(text, "threshold 80 is the loosest whose MQL-to-SQL is at least 75%: "
                              "80.0% (95% CI 37.6-96.4%) on 5 matured MQLs");
    /* not monotone: 72% is met at 50 (8/11) although 60 (6/9) and 70 (5/7) miss it */
    recommend(s, MQL_GOAL_MIN_RATE, 0.72, MQL_RATE_SQL, 0, &r, text, sizeof text);
    assert_int_equal(r.status, MQL_REC_MET);
    assert_int_equal(r.index, 2);
    /* MQL-to-won: .357 .385 .455 .444 .429 .6 .5; 60% is met exactly (3/5) at 80 */
    recommend(s, MQL_GOAL_MIN_RATE, 0.6, MQL_RATE_WON, 0, &r, text, sizeof text);
    assert_int_equal(r.status, MQL_REC_MET);
    assert_int_equal(r.index, 5);
    assert_string_equal(text, "threshold 80 is the loosest whose MQL-to-won is at least 60%: "
                              "60.0% (95% CI 23.1-88.2%) on 5 matured MQLs");
    /* 65%: not met; best 60% at 80, 5.0 points short */
    recommend(s, MQL_GOAL_MIN_RATE, 0.65, MQL_RATE_WON, 0, &r, text, sizeof text);
    assert_int_equal(r.status, MQL_REC_SHORT_RATE);
    assert_int_equal(r.index, 5);
    assert_close(r.shortfall, 5.0, 1e-12, 0);
    assert_string_equal(text, "the best MQL-to-won is 60.0% at threshold 80, 5.0 points short of 65%");
    /* Wilson lower bounds of MQL-to-SQL (R): 30 .3876, 40 .4237, 50 .4344, 60 .3542, 70 .3589,
     * 80 .3755, 90 .3424. >= 42%: 40 is the loosest. */
    recommend(s, MQL_GOAL_MIN_RATE, 0.42, MQL_RATE_SQL, 1, &r, text, sizeof text);
    assert_int_equal(r.status, MQL_REC_MET);
    assert_int_equal(r.index, 1);
    assert_close(r.achieved, 0.423693431805490, 0, 1e-12);
    assert_string_equal(text, "threshold 40 is the loosest whose MQL-to-SQL lower 95% bound is at "
                              "least 42%: 69.2% (95% CI 42.4-87.3%) on 13 matured MQLs");
    /* >= 50%: none; best bound 43.4% at 50, 100 (0.5 - 0.434354698823871) = 6.56 points short */
    recommend(s, MQL_GOAL_MIN_RATE, 0.5, MQL_RATE_SQL, 1, &r, text, sizeof text);
    assert_int_equal(r.status, MQL_REC_SHORT_RATE);
    assert_int_equal(r.index, 2);
    assert_close(r.shortfall, 100 * (0.5 - 0.434354698823871), 0, 1e-10);
    assert_string_equal(text, "the best lower 95% bound of MQL-to-SQL is 43.4% at threshold 50, "
                              "6.6 points short of 50%");
    /* rate 1 is a valid requirement: 2/2 SQL at 90 */
    recommend(s, MQL_GOAL_MIN_RATE, 1.0, MQL_RATE_SQL, 0, &r, text, sizeof text);
    assert_int_equal(r.status, MQL_REC_MET);
    assert_int_equal(r.index, 6);
    mql_bt_sweep_free(s);
}

static void test_target_volume(void **state)
{
    (void)state;
    mql_bt_sweep *s = hand_sweep();
    mql_bt_rec r;
    char text[256];
    /* 1.5/month: closest from below is 70 (8/6 = 1.33); next looser 60 (11/6 = 1.83) */
    recommend(s, MQL_GOAL_TARGET_VOLUME, 1.5, MQL_RATE_WON, 0, &r, text, sizeof text);
    assert_int_equal(r.status, MQL_REC_MET);
    assert_int_equal(r.index, 4);
    assert_true(r.has_above);
    assert_int_equal(r.above, 3);
    assert_string_equal(text, "threshold 70 gives 1.33 MQLs/month, the closest to the target 1.5 "
                              "from below; the next looser threshold 60 gives 1.83");
    /* exactly 16/6 at the loosest row: met, nothing above */
    recommend(s, MQL_GOAL_TARGET_VOLUME, 16.0 / 6, MQL_RATE_WON, 0, &r, text, sizeof text);
    assert_int_equal(r.status, MQL_REC_MET);
    assert_int_equal(r.index, 0);
    assert_false(r.has_above);
    assert_string_equal(text, "threshold 30 gives 2.67 MQLs/month, the closest to the target 2.67 "
                              "from below");
    /* 0.25: even 90 gives 0.5, 0.25 over */
    recommend(s, MQL_GOAL_TARGET_VOLUME, 0.25, MQL_RATE_WON, 0, &r, text, sizeof text);
    assert_int_equal(r.status, MQL_REC_OVER);
    assert_int_equal(r.index, 6);
    assert_string_equal(text, "even the strictest threshold 90 gives 0.5 MQLs/month, 0.25 over the "
                              "target 0.25");
    /* 3: even 30 gives only 2.67, 3 - 16/6 = 0.33 short */
    recommend(s, MQL_GOAL_TARGET_VOLUME, 3, MQL_RATE_WON, 0, &r, text, sizeof text);
    assert_int_equal(r.status, MQL_REC_SHORT_VOLUME);
    assert_int_equal(r.index, 0);
    assert_close(r.shortfall, 3 - 16.0 / 6, 1e-12, 0);
    assert_string_equal(text, "even the loosest threshold 30 gives only 2.67 MQLs/month, 0.33 "
                              "short of the target 3");
    mql_bt_sweep_free(s);
}

/* ---- banding ---------------------------------------------------------------------------------- */

static void test_banding(void **state)
{
    (void)state;
    mql_bt_input in = hand_input();
    mql_banding b;
    mql_err err;
    assert_int_equal(mql_banding_compute(&in, 80, 50, &b, &err), MQL_OK);
    /* MQL (>= 80): leads 1-5, 16: 6 leads, 1 censored, 5 rated, 4 SQL, 3 won, ACV 30000
     * nurture [50, 80): leads 6-12: 7 leads, 1 censored (10), 6 rated, SQL 6 8 11 12, won 8 12,
     *   ACV 20000
     * reject (< 50): leads 13-15: 3 rated, SQL 14, no won */
    const mql_bt_band *m = &b.band[MQL_BAND_MQL], *nu = &b.band[MQL_BAND_NURTURE],
                   *re = &b.band[MQL_BAND_REJECT];
    assert_int_equal(m->leads, 6);
    assert_int_equal(m->rated, 5);
    assert_int_equal(m->won, 3);
    assert_int_equal(m->sqls, 4);
    assert_close(m->per_month, 1.0, 1e-12, 0);
    assert_close(m->won_share, 0.6, 1e-12, 0);
    assert_close(m->won_lo, 0.230724281276013, 0, 1e-12);
    assert_close(m->acv_won, 30000, 1e-12, 0);
    assert_int_equal(nu->leads, 7);
    assert_int_equal(nu->censored, 1);
    assert_int_equal(nu->rated, 6);
    assert_int_equal(nu->sqls, 4);
    assert_int_equal(nu->won, 2);
    assert_close(nu->share, 7.0 / 16, 1e-12, 0);
    assert_close(nu->per_month, 7.0 / 6, 1e-12, 0);
    assert_close(nu->won_rate, 1.0 / 3, 1e-12, 0);
    assert_close(nu->won_lo, 0.096771411105780, 0, 1e-12);   /* R prop.test(2, 6) */
    assert_close(nu->won_hi, 0.700006684861608, 0, 1e-12);
    assert_close(nu->sql_lo, 0.299993315138392, 0, 1e-12);   /* R prop.test(4, 6) */
    assert_close(nu->acv_won, 20000, 1e-12, 0);
    assert_int_equal(re->leads, 3);
    assert_int_equal(re->won, 0);
    assert_int_equal(re->sqls, 1);
    assert_close(re->won_rate, 0, 0, 0);
    assert_close(re->won_lo, 0, 0, 0);
    assert_close(re->won_hi, 0.561497031755045, 0, 1e-12);   /* R prop.test(0, 3) */
    assert_close(re->won_share, 0, 0, 0);

    assert_int_equal(mql_banding_compute(&in, 50, 50, &b, &err), MQL_EUSAGE);
    assert_string_equal(err.msg, "--bands: the MQL cut 50 must be above the nurture cut 50");
    assert_int_equal(mql_banding_compute(&in, 50, NAN, &b, &err), MQL_EUSAGE);
}

static void test_banding_choose(void **state)
{
    (void)state;
    mql_bt_sweep *s = hand_sweep();
    mql_bt_constraint c = {MQL_GOAL_CAPACITY, 1, MQL_RATE_WON, 0};
    mql_band_choice ch;
    mql_err err;
    /* hi: capacity 1/month -> 80 (MQL-to-won 3/5); default floor 0.3. Nurture [lo, 80) from the
     * bottom: lo 30: (14-5) rated, (5-3) won = 2/9 .222; lo 40: 2/8 .25; lo 50: 2/6 .333 >= .3 */
    assert_int_equal(mql_banding_choose(s, &c, NAN, &ch, &err), MQL_OK);
    assert_int_equal(ch.rec.status, MQL_REC_MET);
    assert_int_equal(ch.hi_index, 5);
    assert_close(ch.hi, 80, 0, 0);
    assert_close(ch.floor, 0.3, 1e-12, 0);
    assert_true(ch.found);
    assert_int_equal(ch.lo_index, 2);
    assert_close(ch.lo, 50, 0, 0);
    assert_int_equal(ch.nurture_rated, 6);
    assert_int_equal(ch.nurture_won, 2);
    assert_close(ch.nurture_rate, 1.0 / 3, 1e-12, 0);
    /* floor 0.4: 2/9, 2/8, 2/6, 1/4 (lo 60), 0/2 (lo 70) all below: no nurture band */
    assert_int_equal(mql_banding_choose(s, &c, 0.4, &ch, &err), MQL_OK);
    assert_false(ch.found);
    assert_int_equal(ch.lo_index, 5);
    assert_true(isnan(ch.nurture_rate));
    /* errors: floor outside (0, 1]; a bad constraint passes its error through */
    assert_int_equal(mql_banding_choose(s, &c, 1.5, &ch, &err), MQL_EUSAGE);
    assert_string_equal(err.msg, "--nurture-floor: 1.5 is not in (0, 1]");
    assert_int_equal(mql_banding_choose(s, &c, 0, &ch, &err), MQL_EUSAGE);
    c.value = 0;
    assert_int_equal(mql_banding_choose(s, &c, NAN, &ch, &err), MQL_EUSAGE);
    mql_bt_sweep_free(s);

    /* a constraint that is not met still gives hi (its closest row): won rates t 1: 2/3,
     * t 5: 1/2, t 10: none (its one lead is censored); 100% is not met, the best is 2/3 at t 1,
     * the loosest row, so there is no row below it for a nurture band */
    const double sc[] = {10, 5, 5, 1};
    const unsigned char y[] = {0, 1, 0, 1}, cz[] = {1, 0, 0, 0};
    mql_bt_input in = {4, sc, y, NULL, NULL, NULL, cz};
    assert_int_equal(mql_bt_sweep_run(&in, NULL, 0, &s, &err), MQL_OK);
    mql_bt_constraint c2 = {MQL_GOAL_MIN_RATE, 1.0, MQL_RATE_WON, 0};
    assert_int_equal(mql_banding_choose(s, &c2, NAN, &ch, &err), MQL_OK);
    assert_int_equal(ch.rec.status, MQL_REC_SHORT_RATE);
    assert_int_equal(ch.hi_index, 0);
    assert_false(ch.found);   /* nothing below the loosest row */
    mql_bt_sweep_free(s);
    /* an MQL band with no matured lead has no MQL-to-won rate to halve for the default floor */
    const double sc2[] = {10, 5};
    const unsigned char y2[] = {0, 1}, c3[] = {1, 0};
    mql_bt_input in2 = {2, sc2, y2, NULL, NULL, NULL, c3};
    const double t10 = 10;
    assert_int_equal(mql_bt_sweep_run(&in2, &t10, 1, &s, &err), MQL_OK);
    mql_bt_constraint c4 = {MQL_GOAL_MIN_RATE, 0.5, MQL_RATE_WON, 0};
    mql_bt_rec r4;
    assert_int_equal(mql_bt_recommend(s, &c4, &r4, &err), MQL_EDATA);   /* no rated row at all */
    s->rows[0].won_rate = 0.6;   /* a row with a rate but no rated lead: only the floor fails */
    assert_int_equal(mql_banding_choose(s, &c4, NAN, &ch, &err), MQL_EDATA);
    assert_non_null(strstr(err.msg, "has no matured lead"));
    mql_bt_sweep_free(s);
}

/* ---- sweep and recommendation errors ---------------------------------------------------------- */

static void test_sweep_errors(void **state)
{
    (void)state;
    mql_bt_input in = hand_input();
    mql_bt_sweep *s = (mql_bt_sweep *)&in;
    mql_err err;
    mql_bt_input e = in;
    e.n = 0;
    assert_int_equal(mql_bt_sweep_run(&e, NULL, 0, &s, &err), MQL_EDATA);
    assert_null(s);
    assert_string_equal(err.msg, "backtest: no leads");

    static const unsigned char none[N_LEADS] = {0};
    e = in;
    e.won = none;
    /* no won lead: rates are 0, recall and lift n/a (a small evaluation window never fails) */
    assert_int_equal(mql_bt_sweep_run(&e, NULL, 0, &s, &err), MQL_OK);
    assert_int_equal(s->totals.won, 0);
    assert_true(s->totals.base_won_rate == 0);
    for (size_t k = 0; k < s->n_rows; k++) {
        assert_true(s->rows[k].won_rate == 0);
        assert_true(isnan(s->rows[k].recall) && isnan(s->rows[k].lift));
        assert_true(s->rows[k].f1 == 0);
    }
    mql_bt_sweep_free(s);
    /* the only won leads censored: also no won lead to rate */
    const unsigned char w1[] = {1, 0}, c1[] = {1, 0};
    const double sc[] = {5, 4};
    mql_bt_input e2 = {2, sc, w1, NULL, NULL, NULL, c1};
    assert_int_equal(mql_bt_sweep_run(&e2, NULL, 0, &s, &err), MQL_OK);
    assert_int_equal(s->totals.won, 0);
    assert_int_equal(s->totals.n_rated, 1);
    mql_bt_sweep_free(s);
    const unsigned char call[] = {1, 1};
    e2.censored = call;
    /* every lead censored (a window younger than the maturity): volumes, and no rate at all */
    assert_int_equal(mql_bt_sweep_run(&e2, NULL, 0, &s, &err), MQL_OK);
    assert_int_equal(s->totals.n_rated, 0);
    assert_true(isnan(s->totals.base_won_rate));
    assert_int_equal(s->rows[0].mqls, 2);
    assert_int_equal(s->rows[0].censored, 2);
    assert_true(isnan(s->rows[0].won_rate) && isnan(s->rows[0].f1) && isnan(s->rows[0].lift));
    mql_bt_sweep_free(s);

    double bad[N_LEADS];
    memcpy(bad, SCORE, sizeof bad);
    bad[6] = NAN;
    e = in;
    e.score = bad;
    assert_int_equal(mql_bt_sweep_run(&e, NULL, 0, &s, &err), MQL_EDATA);
    assert_string_equal(err.msg, "backtest: lead 7: score nan is not finite");

    const double thr[] = {50, INFINITY};
    assert_int_equal(mql_bt_sweep_run(&in, thr, 2, &s, &err), MQL_EUSAGE);
    assert_string_equal(err.msg, "--thresholds: threshold inf is not finite");
    assert_int_equal(mql_bt_sweep_run(&in, thr, 0, &s, &err), MQL_EUSAGE);
    assert_null(s);
}

static void test_recommend_errors(void **state)
{
    (void)state;
    mql_bt_sweep *s = hand_sweep();
    mql_bt_rec r;
    mql_err err;
    static const struct {
        mql_bt_goal goal;
        double value;
        mql_bt_rate_kind rate;
        int status;
        const char *msg;
    } cases[] = {
        {MQL_GOAL_CAPACITY, 0, MQL_RATE_WON, MQL_EUSAGE,
         "capacity: 0 MQLs/month must be a number > 0"},
        {MQL_GOAL_CAPACITY, -5, MQL_RATE_WON, MQL_EUSAGE,
         "capacity: -5 MQLs/month must be a number > 0"},
        {MQL_GOAL_TARGET_VOLUME, 0, MQL_RATE_WON, MQL_EUSAGE,
         "target volume: 0 MQLs/month must be a number > 0"},
        {MQL_GOAL_MIN_RATE, 0, MQL_RATE_SQL, MQL_EUSAGE, "minimum MQL-to-SQL rate: 0 is not in (0, 1]"},
        {MQL_GOAL_MIN_RATE, 1.2, MQL_RATE_WON, MQL_EUSAGE,
         "minimum MQL-to-won rate: 1.2 is not in (0, 1]"},
        {MQL_GOAL_MIN_RATE, -0.1, MQL_RATE_WON, MQL_EUSAGE,
         "minimum MQL-to-won rate: -0.1 is not in (0, 1]"},
        {(mql_bt_goal)7, 1, MQL_RATE_WON, MQL_EUSAGE, "recommendation: unknown constraint 7"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        mql_bt_constraint c = {cases[i].goal, cases[i].value, cases[i].rate, 0};
        assert_int_equal(mql_bt_recommend(s, &c, &r, &err), cases[i].status);
        assert_string_equal(err.msg, cases[i].msg);
    }
    mql_bt_sweep_free(s);

    /* without dates: no volume goals; without SQL: no MQL-to-SQL goal */
    mql_bt_input in = hand_input();
    in.month = NULL;
    in.sql = NULL;
    assert_int_equal(mql_bt_sweep_run(&in, NULL, 0, &s, &err), MQL_OK);
    mql_bt_constraint cap = {MQL_GOAL_CAPACITY, 100, MQL_RATE_WON, 0};
    assert_int_equal(mql_bt_recommend(s, &cap, &r, &err), MQL_EDATA);
    assert_string_equal(err.msg, "capacity: MQLs per month need a date column (--date)");
    mql_bt_constraint sq = {MQL_GOAL_MIN_RATE, 0.2, MQL_RATE_SQL, 0};
    assert_int_equal(mql_bt_recommend(s, &sq, &r, &err), MQL_EDATA);
    assert_string_equal(err.msg, "minimum MQL-to-SQL rate: needs an SQL stage column (--sql)");
    mql_bt_sweep_free(s);
    mql_bt_sweep empty = {0};
    assert_int_equal(mql_bt_recommend(&empty, &cap, &r, &err), MQL_EDATA);
}

/* ---- time helpers ----------------------------------------------------------------------------- */

/* 2024-01-01 is day 19723 (54 years of 365 days + 13 leap days 1972..2020). */
#define D_2024_02_10 19763.0   /* + 31 + 9 */
#define D_2024_03_31 19813.0   /* + 31 + 29 + 30 */
#define D_2024_04_01 19814.0
#define D_2024_06_30 19904.0   /* + 30 + 31 + 29 */
#define D_2024_07_01 19905.0
#define D_2024_09_15 19981.0   /* + 31 + 31 + 14 */
#define D_2024_10_01 19997.0

static void test_month_quarter(void **state)
{
    (void)state;
    char buf[32];
    assert_int_equal(mql_month_index(D_2024_07_01), 654);            /* 54 * 12 + 6 */
    assert_int_equal(mql_month_index(D_2024_06_30 + 0.99), 653);     /* 23:45 stays in June */
    assert_int_equal(mql_month_index(0), 0);
    assert_int_equal(mql_month_index(-0.5), -1);                     /* 1969-12-31 12:00 */
    assert_true(mql_month_index(NAN) == MQL_NO_MONTH);
    assert_int_equal(mql_quarter_index(D_2024_07_01), 218);          /* 54 * 4 + 2 */
    assert_int_equal(mql_quarter_index(D_2024_03_31), 216);
    assert_int_equal(mql_quarter_index(-1), -1);
    /* Each day lies in its month, whether the last month looked up holds it (days in order)
     * or not (days scattered, a missing and an impossible day between). */
    for (int pass = 0; pass < 2; pass++)
        for (long k = 0; k < 6400; k++) {
            double day = -800 + 0.25 * (double)(pass ? (k * 2741) % 6400 : k);
            long m = mql_month_index(day);
            assert_true(mql_month_start_day(m) <= day && day < mql_month_start_day(m + 1));
            if (k % 97 == 0) {
                assert_true(mql_month_index(NAN) == MQL_NO_MONTH);
                assert_true(mql_month_index(2e9) == MQL_NO_MONTH);
                assert_int_equal(mql_month_index(day), m);
            }
        }
    /* The quarter of a month index is the quarter of any day in it, before 1970 too. */
    for (double day = -800; day < 800; day += 0.75)
        assert_int_equal(mql_quarter_of_month(mql_month_index(day)), mql_quarter_index(day));
    assert_true(mql_quarter_of_month(MQL_NO_MONTH) == LONG_MIN);
    assert_true(mql_quarter_index(NAN) == LONG_MIN);
    assert_int_equal(mql_quarter_start_day(218), D_2024_07_01);
    assert_int_equal(mql_quarter_start_day(219), D_2024_10_01);
    assert_int_equal(mql_month_start_day(-1), -31);                  /* 1969-12-01 */
    assert_int_equal(mql_month_start_day(650), 19723 + 31 + 29);      /* 2024-03-01 */
    assert_string_equal(mql_quarter_label(218, buf, sizeof buf), "2024Q3");
    assert_string_equal(mql_quarter_label(-1, buf, sizeof buf), "1969Q4");
    assert_string_equal(mql_month_label(654, buf, sizeof buf), "2024-07");
    assert_string_equal(mql_month_label(-1, buf, sizeof buf), "1969-12");
    /* The remembered month (runs of days in one month) against the calendar, day by day: in
     * order, back and forth across month ends, leap days and 1970, and at times of day. */
    for (long dn = -800; dn < 1200; dn++) {
        int y, m, d;
        mql_civil_from_days(dn, &y, &m, &d);
        long want = ((long)y - 1970) * 12 + (m - 1);
        assert_int_equal(mql_month_index((double)dn), want);
        assert_int_equal(mql_month_index((double)dn + 0.999), want);
        mql_civil_from_days(-dn, &y, &m, &d);
        assert_int_equal(mql_month_index((double)-dn), ((long)y - 1970) * 12 + (m - 1));
    }
    assert_int_equal(mql_month_index(D_2024_03_31), 650);
    assert_int_equal(mql_month_index(D_2024_04_01), 651);
    assert_int_equal(mql_month_index(D_2024_03_31 + 0.5), 650);
    assert_true(mql_month_index(NAN) == MQL_NO_MONTH);
    assert_int_equal(mql_month_index(D_2024_04_01 - 0.01), 650);
}

static void test_censor(void **state)
{
    (void)state;
    const double d[] = {D_2024_04_01, D_2024_09_15, NAN, D_2024_06_30 + 0.96, D_2024_07_01,
                        D_2024_02_10};
    unsigned char m[6];
    size_t nc, nn;
    double end;
    mql_err err;
    /* end 2024-09-15 (19981); maturity 90: censored when 19981 - day < 90, i.e. day >= 19892:
     * 06-30 23:02 (77 whole days before: 31 + 31 + 15), 07-01 (76), 09-15 (0); 04-01 (167) and
     * 02-10 are mature; no date: neither */
    assert_int_equal(mql_censor_mask(d, 6, 90, m, &nc, &nn, &end, &err), MQL_OK);
    static const unsigned char want[6] = {0, 1, 0, 1, 1, 0};
    assert_memory_equal(m, want, 6);
    assert_int_equal(nc, 3);
    assert_int_equal(nn, 1);
    assert_close(end, 19981, 0, 0);
    /* maturity 0 censors nothing; 77 days frees 06-30 (exactly 77 days old), 78 does not */
    assert_int_equal(mql_censor_mask(d, 6, 0, m, &nc, NULL, NULL, &err), MQL_OK);
    assert_int_equal(nc, 0);
    assert_int_equal(mql_censor_mask(d, 6, 77, m, &nc, NULL, NULL, &err), MQL_OK);
    assert_int_equal(nc, 2);
    assert_int_equal(m[3], 0);
    assert_int_equal(mql_censor_mask(d, 6, 78, m, &nc, NULL, NULL, &err), MQL_OK);
    assert_int_equal(nc, 3);
    assert_int_equal(m[3], 1);
    assert_int_equal(mql_censor_mask(d, 6, -1, m, &nc, NULL, NULL, &err), MQL_EUSAGE);
    assert_string_equal(err.msg, "--maturity: -1 days is negative");
    const double nod[] = {NAN, NAN};
    assert_int_equal(mql_censor_mask(nod, 2, 30, m, &nc, NULL, NULL, &err), MQL_EDATA);
    assert_string_equal(err.msg, "--maturity: no lead has a date");
}

static void test_walk_forward(void **state)
{
    (void)state;
    /* three quarters, out of order, one lead without a date, one late on the last day of Q2 */
    const double d[] = {D_2024_07_01, D_2024_02_10, NAN, D_2024_06_30 + 0.96, D_2024_04_01,
                        D_2024_09_15, D_2024_03_31};
    mql_time_split *sp;
    size_t ns;
    mql_err err;
    assert_int_equal(mql_walk_forward(d, 7, &sp, &ns, &err), MQL_OK);
    assert_int_equal(ns, 2);
    /* Q2: train Q1 (02-10, 03-31), test 04-01 and 06-30 */
    assert_int_equal(sp[0].quarter, 217);
    assert_close(sp[0].train_end, D_2024_04_01, 0, 0);
    assert_close(sp[0].test_start, D_2024_04_01, 0, 0);
    assert_close(sp[0].test_end, D_2024_07_01, 0, 0);
    assert_int_equal(sp[0].n_train, 2);
    assert_int_equal(sp[0].n_test, 2);
    unsigned char role[7];
    static const unsigned char want0[7] = {0, 1, 0, 2, 2, 0, 1};
    mql_split_roles(&sp[0], d, 7, role);
    assert_memory_equal(role, want0, 7);
    /* Q3: train Q1 + Q2 (4 leads), test 07-01 and 09-15 */
    assert_int_equal(sp[1].quarter, 218);
    assert_int_equal(sp[1].n_train, 4);
    assert_int_equal(sp[1].n_test, 2);
    static const unsigned char want1[7] = {2, 1, 0, 1, 1, 2, 1};
    mql_split_roles(&sp[1], d, 7, role);
    assert_memory_equal(role, want1, 7);
    free(sp);

    /* a gap: Q1 and Q3 only -> one split, tested on Q3 */
    const double g[] = {D_2024_09_15, D_2024_02_10};
    assert_int_equal(mql_walk_forward(g, 2, &sp, &ns, &err), MQL_OK);
    assert_int_equal(ns, 1);
    assert_int_equal(sp[0].quarter, 218);
    assert_int_equal(sp[0].n_train, 1);
    assert_int_equal(sp[0].n_test, 1);
    free(sp);

    const double one[] = {D_2024_04_01, D_2024_06_30, NAN};
    assert_int_equal(mql_walk_forward(one, 3, &sp, &ns, &err), MQL_EDATA);
    assert_null(sp);
    assert_string_equal(err.msg, "walk-forward: the dates span 1 quarter; it needs at least 2");
    assert_int_equal(mql_walk_forward(one, 0, &sp, &ns, &err), MQL_EDATA);
    assert_string_equal(err.msg, "walk-forward: the dates span 0 quarters; it needs at least 2");
}

static void test_train_until(void **state)
{
    (void)state;
    const double d[] = {D_2024_07_01, D_2024_02_10, NAN, D_2024_03_31 + 0.5, D_2024_04_01,
                        D_2024_09_15};
    mql_time_split sp;
    mql_err err;
    /* until 2024-03-31: 02-10 and 03-31 12:00 train; 04-01, 07-01, 09-15 test */
    assert_int_equal(mql_train_until(d, 6, (long)D_2024_03_31, &sp, &err), MQL_OK);
    assert_int_equal(sp.n_train, 2);
    assert_int_equal(sp.n_test, 3);
    unsigned char role[6];
    static const unsigned char want[6] = {2, 1, 0, 1, 2, 2};
    mql_split_roles(&sp, d, 6, role);
    assert_memory_equal(role, want, 6);
    assert_int_equal(mql_train_until(d, 6, 19722, &sp, &err), MQL_EDATA);
    assert_string_equal(err.msg, "--train-until 2023-12-31: no lead is dated on or before it "
                                 "(dates run 2024-02-10 to 2024-09-15)");
    assert_int_equal(mql_train_until(d, 6, (long)D_2024_09_15, &sp, &err), MQL_EDATA);
    assert_string_equal(err.msg, "--train-until 2024-09-15: no lead is dated after it "
                                 "(dates run 2024-02-10 to 2024-09-15)");
    const double nod[] = {NAN};
    assert_int_equal(mql_train_until(nod, 1, 19722, &sp, &err), MQL_EDATA);
}

static void test_holdout(void **state)
{
    (void)state;
    unsigned char role[10];
    mql_err err;
    /* 0.3 * 10 = 3.0000000000000004 in doubles: still 3 test rows, the last three */
    assert_int_equal(mql_holdout_last(10, 0.3, role, &err), MQL_OK);
    static const unsigned char want[10] = {1, 1, 1, 1, 1, 1, 1, 2, 2, 2};
    assert_memory_equal(role, want, 10);
    /* 0.25 * 10 = 2.5 -> 3 */
    assert_int_equal(mql_holdout_last(10, 0.25, role, &err), MQL_OK);
    assert_int_equal(role[6], 1);
    assert_int_equal(role[7], 2);
    assert_int_equal(mql_holdout_last(10, 1, role, &err), MQL_EUSAGE);
    assert_string_equal(err.msg, "--holdout: 1 is not in (0, 1)");
    assert_int_equal(mql_holdout_last(10, 0, role, &err), MQL_EUSAGE);
    assert_int_equal(mql_holdout_last(1, 0.5, role, &err), MQL_EDATA);
    assert_string_equal(err.msg, "--holdout 0.5: 1 leads leave 0 for training and 1 for testing; "
                                 "both need at least one");
}

static void test_kfold(void **state)
{
    (void)state;
    size_t f1[10], f2[10], f3[10];
    mql_err err;
    assert_int_equal(mql_kfold_assign(10, 3, 42, NULL, f1, &err), MQL_OK);
    assert_int_equal(mql_kfold_assign(10, 3, 42, NULL, f2, &err), MQL_OK);
    assert_memory_equal(f1, f2, sizeof f1);   /* same seed, same folds */
    size_t size[3] = {0};
    for (int i = 0; i < 10; i++) {
        assert_true(f1[i] < 3);
        size[f1[i]]++;
    }
    /* rows dealt round-robin: 4, 3, 3 */
    assert_int_equal(size[0], 4);
    assert_int_equal(size[1], 3);
    assert_int_equal(size[2], 3);
    /* Regression pin (GSL 2.7.1 mt19937 + gsl_ran_shuffle; recorded from this implementation, not
     * from an outside reference): guards against the assignment changing between releases. */
    static const size_t pin[10] = {1, 0, 0, 0, 2, 0, 2, 2, 1, 1};
    assert_memory_equal(f1, pin, sizeof pin);
    assert_int_equal(mql_kfold_assign(10, 3, 43, NULL, f3, &err), MQL_OK);
    assert_memory_not_equal(f1, f3, sizeof f1);

    /* stratified: 4 won among 10, 2 folds -> 2 won and 5 rows per fold */
    const unsigned char y[10] = {1, 0, 0, 1, 0, 0, 1, 0, 1, 0};
    assert_int_equal(mql_kfold_assign(10, 2, 7, y, f1, &err), MQL_OK);
    size_t rows[2] = {0}, pos[2] = {0};
    for (int i = 0; i < 10; i++) {
        rows[f1[i]]++;
        pos[f1[i]] += y[i];
    }
    assert_int_equal(rows[0], 5);
    assert_int_equal(rows[1], 5);
    assert_int_equal(pos[0], 2);
    assert_int_equal(pos[1], 2);

    assert_int_equal(mql_kfold_assign(10, 1, 1, NULL, f1, &err), MQL_EUSAGE);
    assert_string_equal(err.msg, "--folds: 1 folds for 10 leads; need 2 <= K <= 10");
    assert_int_equal(mql_kfold_assign(3, 4, 1, NULL, f1, &err), MQL_EUSAGE);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sweep_totals),
        cmocka_unit_test(test_sweep_rows),
        cmocka_unit_test(test_sweep_given_thresholds),
        cmocka_unit_test(test_sweep_probabilities),
        cmocka_unit_test(test_sweep_brute_force),
        cmocka_unit_test(test_thresholds_parse),
        cmocka_unit_test(test_capacity),
        cmocka_unit_test(test_min_rate),
        cmocka_unit_test(test_target_volume),
        cmocka_unit_test(test_banding),
        cmocka_unit_test(test_banding_choose),
        cmocka_unit_test(test_sweep_errors),
        cmocka_unit_test(test_recommend_errors),
        cmocka_unit_test(test_month_quarter),
        cmocka_unit_test(test_censor),
        cmocka_unit_test(test_walk_forward),
        cmocka_unit_test(test_train_until),
        cmocka_unit_test(test_holdout),
        cmocka_unit_test(test_kfold),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
