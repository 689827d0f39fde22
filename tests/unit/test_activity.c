/* test_activity.c: activity logs, snapshots and decayed features against hand calculations on
 * tests/fixtures/activity/ (5 leads, 11 event rows with every kind of gap), the "no future
 * event counts" property on generated logs, and the profile likelihood on a known curve. */
#include "testutil.h"

#include <math.h>

#include "mqlcal/activity.h"

#define FIX "tests/fixtures/activity/"

/* mqlcal's resolution of feature values: 1/1000 of an event. */
static double q3(double x)
{
    return nearbyint(x * 1000) / 1000;
}

static mql_table *load_leads(void)
{
    mql_err err;
    mql_table *t = NULL;
    const char *const cat[] = {"lead_id"};
    mql_read_opts ro = {.categorical = cat, .n_categorical = 1};
    assert_int_equal(mql_table_read(FIX "leads.csv", &ro, &t, &err), MQL_OK);
    return t;
}

static double day(const char *s)
{
    double d;
    int has_time;
    assert_int_equal(mql_date_parse(s, strlen(s), &d, &has_time), 0);
    return d;
}

static void test_decay_parse_and_weight(void **state)
{
    (void)state;
    mql_err err;
    mql_decay d;
    assert_int_equal(mql_decay_parse("half-life:14", &d, &err), MQL_OK);
    assert_int_equal(d.kind, MQL_DECAY_HALF_LIFE);
    assert_true(fabs(mql_decay_weight(&d, 28) - 0.25) < 1e-15);
    assert_true(fabs(mql_decay_loss_per(&d, 14) - 0.5) < 1e-15);
    assert_int_equal(mql_decay_parse("window:30d", &d, &err), MQL_OK);
    assert_true(mql_decay_weight(&d, 30) == 1.0 && mql_decay_weight(&d, 30.01) == 0.0);
    assert_int_equal(mql_decay_parse("NONE", &d, &err), MQL_OK);
    assert_true(mql_decay_weight(&d, 1e6) == 1.0);
    char buf[160];
    assert_int_equal(mql_decay_parse("half-life:30.4375", &d, &err), MQL_OK);
    assert_string_equal(mql_decay_spec(&d, buf, sizeof buf), "half-life:30.4375");
    mql_decay_text(&d, buf, sizeof buf);
    assert_non_null(strstr(buf, "50.0% a month"));
    assert_int_equal(mql_decay_parse("half-life:0", &d, &err), MQL_EUSAGE);
    assert_non_null(strstr(err.msg, "above 0"));
    assert_int_equal(mql_decay_parse("exp:5", &d, &err), MQL_EUSAGE);
    assert_non_null(strstr(err.msg, "half-life:DAYS"));
}

static void test_load_counts_gaps(void **state)
{
    (void)state;
    mql_err err;
    mql_table *t = load_leads();
    mql_activity_spec sp = {.path = FIX "events.csv", .key = "lead_id"};
    mql_activity *a = NULL;
    assert_int_equal(mql_activity_load(&sp, t, mql_table_find(t, "created_date"), &a, &err),
                     MQL_OK);
    assert_int_equal(a->n_rows, 11);
    assert_int_equal(a->n_events, 7);          /* A1: 4, A2: 2, A3: 1 */
    assert_int_equal(a->n_unknown_key, 1);
    assert_string_equal(a->unknown_example, "ZZ9");
    assert_int_equal(a->unknown_line, 9);
    assert_int_equal(a->n_no_key, 1);
    assert_int_equal(a->n_no_type, 1);
    assert_int_equal(a->n_no_time, 1);
    assert_int_equal(a->n_before_created, 1);  /* A1's webinar of 2024-12-25 */
    assert_int_equal(a->n_types, 2);
    assert_string_equal(a->types[0], "pricing_page");
    assert_string_equal(a->types[1], "webinar");
    /* Events of A1 are sorted by time. */
    for (size_t e = a->start[0] + 1; e < a->start[1]; e++)
        assert_true(a->time[e - 1] <= a->time[e]);
    mql_activity_free(a);

    /* Without a leads table the log's own keys are the leads (streaming scorers). */
    assert_int_equal(mql_activity_load(&sp, NULL, -1, &a, &err), MQL_OK);
    assert_int_equal(a->n_unknown_key, 0);
    assert_int_equal(a->n_events, 8);          /* A1: 4, A2: 2, A3: 1, ZZ9: 1 */
    long a1 = mql_activity_lookup(a, " A1 ");
    assert_true(a1 >= 0);
    assert_int_equal(mql_activity_lookup(a, "A4"), -1);
    mql_decay hl = {MQL_DECAY_HALF_LIFE, 14};
    double v = mql_activity_value(a, (size_t)a1, (size_t)mql_activity_type(a, "webinar"), &hl,
                                  day("2025-02-01"));
    assert_true(v == q3(exp2(-(37.0 + 14.0 / 24.0) / 14.0) + exp2(-15.0 / 14.0)));
    mql_activity_free(a);

    /* A missing key column in the events file is named with the columns there are. */
    sp.event_key = "contact_id";
    assert_int_not_equal(mql_activity_load(&sp, t, -1, &a, &err), MQL_OK);
    assert_null(a);
    assert_non_null(strstr(err.msg, "contact_id"));
    mql_table_free(t);
}

static void test_as_of_days_features(void **state)
{
    (void)state;
    mql_err err;
    mql_table *t = load_leads();
    long cc = mql_table_find(t, "created_date"), yc = mql_table_find(t, "closed_won");
    long wc = mql_table_find(t, "won_date");
    mql_activity_spec sp = {.path = FIX "events.csv", .key = "lead_id"};
    mql_activity *a = NULL;
    assert_int_equal(mql_activity_load(&sp, t, cc, &a, &err), MQL_OK);
    unsigned char y[5];
    for (size_t i = 0; i < 5; i++)
        y[i] = t->cols[yc].num[i] == 1;
    mql_snap_spec ss = {.mode = MQL_SNAP_AS_OF_DAYS, .as_of_days = 31, .end_day = NAN};
    mql_snapshots *s = NULL;
    assert_int_equal(mql_snapshots_build(t, cc, y, t->cols[wc].num, &ss, &s, &err), MQL_OK);
    /* A3 converted (02-05) before its moment (03-04): left out; A4 has no created date. */
    assert_int_equal(s->n, 3);
    assert_int_equal(s->n_converted_before, 1);
    assert_int_equal(s->n_no_date, 1);
    assert_int_equal(s->lead[0], 0);
    assert_true(s->at[0] == day("2025-02-01"));
    double x[3];
    long web = mql_activity_type(a, "webinar"), pri = mql_activity_type(a, "pricing_page");
    mql_decay none = {MQL_DECAY_NONE, 0}, hl = {MQL_DECAY_HALF_LIFE, 14},
              win = {MQL_DECAY_WINDOW, 10};
    mql_activity_feature(a, s, (size_t)web, &none, x);
    assert_true(x[0] == 2 && x[1] == 1 && x[2] == 0);
    mql_activity_feature(a, s, (size_t)pri, &none, x);
    assert_true(x[0] == 3 && x[1] == 0 && x[2] == 0);   /* A2's view of 03-01 is in its future */
    mql_activity_feature(a, s, (size_t)web, &hl, x);
    /* A1: ages 37 days 14 hours (2024-12-25 10:00 to 2025-02-01) and 15 days. */
    double want = q3(exp2(-(37.0 + 14.0 / 24.0) / 14.0) + exp2(-15.0 / 14.0));
    assert_true(x[0] == want);
    assert_true(x[1] == q3(exp2(-1.0 / 14.0)));
    mql_activity_feature(a, s, (size_t)pri, &hl, x);
    assert_true(x[0] == q3(2 * exp2(-1.5 / 14.0) + exp2(-1.0 / 14.0)));
    mql_activity_feature(a, s, (size_t)web, &win, x);
    assert_true(x[0] == 0 && x[1] == 1);
    mql_snapshots_free(s);
    mql_activity_free(a);
    mql_table_free(t);
}

static void test_panel_snapshots(void **state)
{
    (void)state;
    mql_err err;
    mql_table *t = load_leads();
    long cc = mql_table_find(t, "created_date"), wc = mql_table_find(t, "won_date");
    unsigned char y[5] = {1, 0, 1, 0, 0};
    mql_snap_spec ss = {.mode = MQL_SNAP_PANEL, .every = 14, .horizon = 30,
                        .end_day = day("2025-03-31")};
    mql_snapshots *s = NULL;
    assert_int_equal(mql_snapshots_build(t, cc, y, t->cols[wc].num, &ss, &s, &err), MQL_OK);
    /* A1 (won 02-20): moments 01-01, 01-15, 01-29, 02-12, then converted. Within 30 days:
     * no, no, yes, yes. */
    size_t k = 0;
    const char *moments[] = {"2025-01-01", "2025-01-15", "2025-01-29", "2025-02-12"};
    const int conv[] = {0, 0, 1, 1};
    for (; k < s->n && s->lead[k] == 0; k++) {
        assert_true(k < 4);
        assert_true(s->at[k] == day(moments[k]));
        assert_int_equal(s->y[k], conv[k]);
        assert_int_equal(s->censored[k], 0);
    }
    assert_int_equal(k, 4);
    /* A2 (never won, created 01-10): moments to 03-21 (after 03-31 none); the windows of
     * 03-07 and 03-21 end after 03-31: censored. */
    size_t a2 = 0, a2_cens = 0;
    for (size_t i = 0; i < s->n; i++)
        if (s->lead[i] == 1) {
            a2++;
            a2_cens += s->censored[i];
            assert_int_equal(s->y[i], 0);
        }
    assert_int_equal(a2, 6);
    assert_int_equal(a2_cens, 2);
    mql_snapshots_free(s);
    /* Without conversion days there is no panel. */
    assert_int_equal(mql_snapshots_build(t, cc, y, NULL, &ss, &s, &err), MQL_EUSAGE);
    assert_non_null(strstr(err.msg, "converted"));
    mql_table_free(t);
}

/* Moving events into the future of every snapshot, or shuffling the future ones, never changes a
 * feature: only events strictly before the moment count. */
static void test_future_events_change_nothing(void **state)
{
    (void)state;
    mql_activity a = {0};
    size_t n_leads = 200, per = 30;
    a.n_types = 3;
    a.n_leads = n_leads;
    a.n_events = n_leads * per;
    a.start = malloc((n_leads + 1) * sizeof *a.start);
    a.time = malloc(a.n_events * sizeof *a.time);
    a.type = malloc(a.n_events * sizeof *a.type);
    a.count = malloc(a.n_events * sizeof *a.count);
    mql_snapshots s = {0};
    s.n = n_leads;
    s.lead = malloc(n_leads * sizeof *s.lead);
    s.at = malloc(n_leads * sizeof *s.at);
    unsigned long rng = 12345;
#define NEXT() (rng = rng * 6364136223846793005UL + 1442695040888963407UL, (double)(rng >> 11) / 9007199254740992.0)
    for (size_t i = 0; i < n_leads; i++) {
        a.start[i] = i * per;
        s.lead[i] = i;
        s.at[i] = 20000 + 100 * NEXT();
        double t = s.at[i] - 60;
        for (size_t e = 0; e < per; e++) {   /* increasing times, some after the moment */
            t += 8 * NEXT();
            a.time[i * per + e] = t;
            a.type[i * per + e] = (uint32_t)(NEXT() * 3);
            a.count[i * per + e] = 1 + (NEXT() < 0.2);
        }
    }
    a.start[n_leads] = a.n_events;
    mql_decay dec[3] = {{MQL_DECAY_HALF_LIFE, 10}, {MQL_DECAY_WINDOW, 30}, {MQL_DECAY_NONE, 0}};
    double before[3][200], after[3][200];
    for (size_t k = 0; k < 3; k++)
        mql_activity_feature(&a, &s, k, &dec[k], before[k]);
    /* Shuffle the future: every event at or after its lead's moment gets a new type, count and a
     * later time (still sorted). */
    size_t moved = 0;
    for (size_t i = 0; i < n_leads; i++)
        for (size_t e = a.start[i]; e < a.start[i + 1]; e++)
            if (a.time[e] >= s.at[i]) {
                a.type[e] = (uint32_t)(NEXT() * 3);
                a.count[e] = 5;
                a.time[e] += 1000;
                moved++;
            }
    assert_true(moved > 100);
    for (size_t k = 0; k < 3; k++) {
        mql_activity_feature(&a, &s, k, &dec[k], after[k]);
        for (size_t i = 0; i < n_leads; i++)
            assert_true(before[k][i] == after[k][i]);
    }
    /* And the first future event of lead 0, moved to just before the moment (keeping the order),
     * does change the feature. */
    size_t e0 = a.start[0];
    while (e0 < a.start[1] && a.time[e0] < s.at[0])
        e0++;
    assert_true(e0 < a.start[1]);
    a.time[e0] = e0 > a.start[0] ? 0.5 * (a.time[e0 - 1] + s.at[0]) : s.at[0] - 0.5;
    a.type[e0] = 2;
    mql_activity_feature(&a, &s, 2, &dec[2], after[2]);
    assert_true(after[2][0] == before[2][0] + a.count[e0]);
    free(a.start);
    free(a.time);
    free(a.type);
    free(a.count);
    free(s.lead);
    free(s.at);
}

/* A log-likelihood curve with a known maximum and curvature: ll(h) = -c (log h - log h0)^2, so
 * the 95% interval is h0 * exp(+-sqrt(3.841 / (2 c))). */
typedef struct curve {
    double h0, c, none;
} curve;

static int curve_ll(void *ctx, size_t k, const mql_decay *d, double *ll, mql_err *err)
{
    (void)k;
    (void)err;
    const curve *cv = ctx;
    if (d->kind == MQL_DECAY_NONE)
        *ll = cv->none;
    else if (d->kind == MQL_DECAY_WINDOW)
        *ll = -50;
    else
        *ll = -cv->c * pow(log(d->days) - log(cv->h0), 2);
    return MQL_OK;
}

static void test_profile_known_curve(void **state)
{
    (void)state;
    mql_err err;
    curve cv = {23.0, 4.0, -30};
    mql_decay_fit f;
    assert_int_equal(mql_decay_profile(curve_ll, &cv, 0, &f, &err), MQL_OK);
    assert_int_equal(f.best.kind, MQL_DECAY_HALF_LIFE);
    assert_true(fabs(f.best.days / 23.0 - 1) < 0.01);
    double half = sqrt(3.841458820694124 / (2 * 4.0));
    assert_true(fabs(f.lo / (23.0 * exp(-half)) - 1) < 0.01);
    assert_true(fabs(f.hi / (23.0 * exp(half)) - 1) < 0.01);
    assert_int_equal(f.lo_open, 0);
    assert_int_equal(f.hi_open, 0);
    /* When no decay is as likely as the best half-life, the fit says none, open upwards. */
    cv.none = 0.5;
    assert_int_equal(mql_decay_profile(curve_ll, &cv, 0, &f, &err), MQL_OK);
    assert_int_equal(f.best.kind, MQL_DECAY_NONE);
    assert_true(isinf(f.hi) && f.hi_open);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_decay_parse_and_weight),
        cmocka_unit_test(test_load_counts_gaps),
        cmocka_unit_test(test_as_of_days_features),
        cmocka_unit_test(test_panel_snapshots),
        cmocka_unit_test(test_future_events_change_nothing),
        cmocka_unit_test(test_profile_known_curve),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
