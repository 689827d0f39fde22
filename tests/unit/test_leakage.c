/* test_leakage.c: the screening of candidate features (leakage.h), the fit / engagement groups
 * (design.h: mql_group_infer), the points strength rule (points_fit.h) and the heatmap's minimum
 * colour span (report_html.h). The grouped single-feature AUC and its DeLong interval are
 * compared with metrics.c's mql_auc_ci on the same scores (itself checked against R's pROC in
 * test_metrics.c), to 1e-12. */
#include "testutil_table.h"

#include "mqlcal/design.h"
#include "mqlcal/leakage.h"
#include "mqlcal/metrics.h"
#include "mqlcal/points_fit.h"
#include "mqlcal/report_html.h"

#define LEAKY "tests/fixtures/trust/leaky-leads.csv"


static void test_name_words(void **state)
{
    (void)state;
    char w[8][MQL_NAME_WORD], word[32];
    size_t n = mql_name_words("TotalVisits per_Page-views", w, 8);
    assert_int_equal(n, 5);
    assert_string_equal(w[0], "total");
    assert_string_equal(w[1], "visits");
    assert_string_equal(w[2], "per");
    assert_string_equal(w[3], "page");
    assert_string_equal(w[4], "views");
    assert_true(mql_screen_name_word("Tags", word, sizeof word));
    assert_string_equal(word, "tags");
    assert_true(mql_screen_name_word("Lead Quality", word, sizeof word));
    assert_true(mql_screen_name_word("close_date", word, sizeof word));
    assert_true(mql_screen_name_word("ClosedReason", word, sizeof word));
    assert_string_equal(word, "closed");
    assert_true(mql_screen_name_word("opportunity_statuses", word, sizeof word));
    /* whole words only */
    assert_false(mql_screen_name_word("closeness_score", NULL, 0));
    assert_false(mql_screen_name_word("vintage", NULL, 0));
    assert_false(mql_screen_name_word("storage_tb", NULL, 0));
    assert_false(mql_screen_name_word("Last Notable Activity", NULL, 0));
}

/* A call's length in the name (Bank Marketing's duration), and names that are not one. */
static void test_name_duration(void **state)
{
    (void)state;
    static const struct {
        const char *name, *word;
    } yes[] = {{"duration", "duration"},
               {"Duration (sec)", "duration"},
               {"last_duration", "duration"},
               {"call_length", "call length"},
               {"talk_time", "talk time"},
               {"TalkTime", "talk time"},
               {"call_duration", "call duration"},
               {"last_contact_duration", "contact duration"},
               {"Duration of Call", "duration call"},
               {"Meeting Length", "meeting length"},
               {"call_minutes", "call minutes"},
               {"duraci\xc3\xb3n_llamada", "duracion llamada"},
               {"Dur\xc3\xa9" "e de l'appel", "duree appel"},
               {"durata_chiamata", "durata chiamata"},
               {"Dura\xc3\xa7\xc3\xa3o da liga\xc3\xa7\xc3\xa3o", "duracao ligacao"},
               {"Gespr\xc3\xa4\x63hsdauer", "gespraechsdauer"},
               {"Anrufdauer", "anrufdauer"},
               {"Dauer", "dauer"},
               {"gespreksduur", "gespreksduur"}};
    char word[2 * MQL_NAME_WORD + 2];
    for (size_t i = 0; i < sizeof yes / sizeof *yes; i++) {
        assert_true(mql_screen_name_duration(yes[i].name, word, sizeof word));
        assert_string_equal(word, yes[i].word);
    }
    /* the bundled data's other columns and lengths that are not a call's */
    static const char *const no[] = {"contact", "campaign", "pdays", "previous", "poutcome",
                                     "first_contact_date", "Total Time Spent on Website",
                                     "session_duration", "avg_visit_duration",
                                     "best_time_to_call", "contract_length", "Vertragsdauer",
                                     "trial_duration_days", "days_since_last_activity",
                                     "email_opens", "Do Not Call", "", "time"};
    for (size_t i = 0; i < sizeof no / sizeof *no; i++)
        assert_false(mql_screen_name_duration(no[i], NULL, 0));
}

static void test_groups(void **state)
{
    (void)state;
    char why[256];
    assert_int_equal(mql_group_infer("Total Time Spent on Website", NULL, why, sizeof why),
                     MQL_GROUP_ENGAGEMENT);
    assert_string_equal(why, "time on site ('time' in the name)");
    assert_int_equal(mql_group_infer("Do Not Email", NULL, why, sizeof why), MQL_GROUP_FIT);
    assert_string_equal(why, "consent or contact permission ('do not' in the name)");
    assert_int_equal(mql_group_infer("A free copy of Mastering The Interview", NULL, why,
                                     sizeof why), MQL_GROUP_FIT);
    assert_null(strstr(why, "view"));
    assert_int_equal(mql_group_infer("email_domain_type", NULL, why, sizeof why), MQL_GROUP_FIT);
    assert_string_equal(why, "an attribute of the lead ('domain' in the name)");
    assert_int_equal(mql_group_guess("email_opens"), MQL_GROUP_ENGAGEMENT);
    assert_int_equal(mql_group_guess("email_clicks"), MQL_GROUP_ENGAGEMENT);
    assert_int_equal(mql_group_guess("EmailOptOut"), MQL_GROUP_FIT);
    assert_int_equal(mql_group_guess("days_since_last_activity"), MQL_GROUP_ENGAGEMENT);
    assert_int_equal(mql_group_guess("webinar_attended"), MQL_GROUP_ENGAGEMENT);
    assert_int_equal(mql_group_guess("job_level"), MQL_GROUP_FIT);
    assert_int_equal(mql_group_guess("lead_source"), MQL_GROUP_FIT);
    assert_int_equal(mql_group_guess("Company Size"), MQL_GROUP_FIT);
    assert_int_equal(mql_group_guess("Country"), MQL_GROUP_FIT);
    assert_int_equal(mql_group_guess("review_score"), MQL_GROUP_FIT);   /* not "view" */
    /* The column's nature: a count word on whole numbers from 0 is an activity count. */
    mql_table *t = table_from_text("num_touches_x,total_q,total_r\n0,1,1.5\n3,2,2\n5,0,-1\n", NULL);
    assert_int_equal(mql_group_infer("total_q", &t->cols[1], why, sizeof why),
                     MQL_GROUP_ENGAGEMENT);
    assert_non_null(strstr(why, "a count of what the lead did ('total' in the name"));
    assert_int_equal(mql_group_infer("total_r", &t->cols[2], why, sizeof why), MQL_GROUP_FIT);
    assert_int_equal(mql_group_infer("total_r", NULL, NULL, 0), MQL_GROUP_FIT);
    /* --fit / --engagement come first. */
    mql_design_opts o;
    mql_err err;
    mql_design_opts_init(&o);
    assert_int_equal(mql_design_opts_parse_group(&o, MQL_GROUP_FIT, "total_q", &err), MQL_OK);
    assert_int_equal(mql_design_group(&o, &t->cols[1], why, sizeof why), MQL_GROUP_FIT);
    assert_string_equal(why, "--fit");
    mql_design_opts_clear(&o);
    mql_table_free(t);
}

/* The grouped AUC equals mql_auc_ci on the scores "each row's group win rate". */
static void test_auc_matches_delong(void **state)
{
    (void)state;
    mql_table *t = NULL;
    mql_err err;
    assert_int_equal(mql_table_read(LEAKY, NULL, &t, &err), MQL_OK);
    unsigned char *y = table_flag(t, "Converted");
    mql_screen *s = NULL;
    assert_int_equal(mql_screen_run(t, y, mql_table_find(t, "Created Date"), NULL, &s, &err),
                     MQL_OK);
    const char *cols[] = {"Tags", "Lead Origin", "Do Not Email"};
    for (size_t q = 0; q < 3; q++) {
        long j = mql_table_find(t, cols[q]);
        const mql_column *c = &t->cols[j];
        /* group = level (all levels here have >= 10 rows) or missing */
        size_t ng = c->type == MQL_COL_CATEGORICAL ? c->n_levels + 1 : 3;
        double *pos = calloc(ng, sizeof *pos), *cnt = calloc(ng, sizeof *cnt);
        double *score = malloc(t->n_rows * sizeof *score);
        size_t *g = malloc(t->n_rows * sizeof *g);
        for (size_t i = 0; i < t->n_rows; i++) {
            if (c->type == MQL_COL_CATEGORICAL)
                g[i] = c->code[i] == MQL_NA_CODE ? c->n_levels : c->code[i];
            else
                g[i] = isnan(c->num[i]) ? 2 : (size_t)c->num[i];
            pos[g[i]] += y[i];
            cnt[g[i]] += 1;
        }
        for (size_t i = 0; i < t->n_rows; i++)
            score[i] = pos[g[i]] / cnt[g[i]];
        mql_auc_interval ci;
        assert_int_equal(mql_auc_ci(score, y, t->n_rows, 0.95, &ci, &err), MQL_OK);
        assert_close(s->col[j].auc, ci.auc, 0, 1e-12);
        assert_close(s->col[j].auc_lo, ci.lo, 0, 1e-12);
        assert_close(s->col[j].auc_hi, ci.hi, 0, 1e-12);
        free(pos), free(cnt), free(score), free(g);
    }
    /* The fixture's flags: four suspects, one identifier, the genuine columns clean. */
    assert_true(s->col[mql_table_find(t, "Tags")].flags & MQL_SCREEN_F_AUC);
    assert_true(s->col[mql_table_find(t, "Tags")].flags & MQL_SCREEN_F_PURE);
    assert_true(s->col[mql_table_find(t, "Tags")].flags & MQL_SCREEN_F_NAME);
    assert_int_equal(s->col[mql_table_find(t, "Lead Quality")].flags, MQL_SCREEN_F_NAME);
    assert_int_equal(s->col[mql_table_find(t, "Last Notable Activity")].flags,
                     MQL_SCREEN_F_PURE);
    assert_int_equal(s->col[mql_table_find(t, "Vendor Activity Score")].flags,
                     MQL_SCREEN_F_AUC);
    assert_int_equal(s->col[mql_table_find(t, "Lead Number")].flags,
                     MQL_SCREEN_F_UNIQUE | MQL_SCREEN_F_MONOTONE);
    const char *clean[] = {"Lead Origin", "Lead Source", "Do Not Email", "TotalVisits",
                           "Total Time Spent on Website", "Page Views Per Visit",
                           "Last Activity", "Country", "What is your current occupation"};
    for (size_t q = 0; q < sizeof clean / sizeof *clean; q++)
        assert_int_equal(s->col[mql_table_find(t, clean[q])].flags, 0);
    assert_false(s->col[mql_table_find(t, "Prospect ID")].screened);   /* an id column */
    assert_false(s->col[mql_table_find(t, "Created Date")].screened);  /* the date role */
    mql_screen_free(s);
    free(y);
    mql_table_free(t);
}

/* Each rule at its threshold, on small hand-made tables. */
static void test_rules(void **state)
{
    (void)state;
    /* 40 rows, 20 won. stage_x: 'won' on 10 won rows (100%, 50% of won) -> pure (and the name);
     * half: 'a' on 10 won + 1 lost rows (90.9% < 95%) -> not pure; late: a date after created
     * in 30 of 40 rows, the same day in 10; early: before created; n: distinct integers in row order;
     * m: integers, 50% distinct (two rows each). */
    char buf[8192];
    size_t o = (size_t)snprintf(buf, sizeof buf, "created,stage_x,half,late,early,n,m,won\n");
    for (int i = 0; i < 40; i++) {
        int won = i < 20;
        char day[16], later[16], before[16];
        snprintf(day, sizeof day, "2024-02-%02d", 1 + (39 - i) % 28);
        snprintf(later, sizeof later, "2024-0%d-%02d", i < 30 ? 4 : 2, 1 + (39 - i) % 28);
        snprintf(before, sizeof before, "2024-01-%02d", 1 + i % 28);
        o += (size_t)snprintf(buf + o, sizeof buf - o, "%s,%s,%s,%s,%s,%d,%d,%d\n", day,
                              i < 10 ? "won" : "open", i < 10 || i == 25 ? "a" : "b", later,
                              before, 1000 + 3 * i, i / 2, won);
    }
    mql_table *t = table_from_text(buf, NULL);
    unsigned char *y = table_flag(t, "won");
    unsigned char skip[8] = {0};
    skip[7] = 1;
    mql_screen *s = NULL;
    mql_err err;
    assert_int_equal(mql_screen_run(t, y, 0, skip, &s, &err), MQL_OK);
    assert_true(s->col[1].flags & MQL_SCREEN_F_PURE);
    assert_true(s->col[1].flags & MQL_SCREEN_F_NAME);
    assert_non_null(strstr(s->col[1].evidence, "'won' on 10 rows, 100.0% of them won, 50.0% of "
                                                "all won leads"));
    assert_false(s->col[2].flags & MQL_SCREEN_F_PURE);
    assert_int_equal(s->col[3].flags, MQL_SCREEN_F_DATE);
    assert_non_null(strstr(s->col[3].evidence, "later than the created date (created) in 75.0% "
                                                "of the 40 rows with both dates"));
    assert_int_equal(s->col[4].flags & MQL_SCREEN_F_DATE, 0);
    assert_true(s->col[5].flags & MQL_SCREEN_F_UNIQUE);
    assert_true(s->col[5].flags & MQL_SCREEN_F_MONOTONE);
    assert_non_null(strstr(s->col[5].evidence, "identifier-like: 40 distinct integers in 40 "
                                                "filled rows; rising with row order (100.0% of "
                                                "39 changes)"));
    /* m rises with row order in 19 changes only (< 20), by created date too: not monotone by
     * the rule's count, and not unique (but it separates the outcome: m < 10 is every won). */
    assert_int_equal(s->col[6].flags & MQL_SCREEN_IDLIKE, 0);
    assert_true(s->col[6].flags & MQL_SCREEN_F_AUC);
    assert_false(s->col[7].screened);
    mql_screen_free(s);
    /* Without an outcome only the name, date and identifier rules run; AUC is NAN. */
    assert_int_equal(mql_screen_run(t, NULL, -1, skip, &s, &err), MQL_OK);
    assert_int_equal(s->col[1].flags, MQL_SCREEN_F_NAME);
    assert_true(isnan(s->col[1].auc));
    assert_int_equal(s->col[3].flags, 0);
    mql_screen_free(s);
    free(y);
    mql_table_free(t);
}

static void test_strength(void **state)
{
    (void)state;
    assert_close(mql_points_strength(0.80, 1e-9), 1.0, 0, 0);
    assert_close(mql_points_strength(0.75, 1e-9), 1.0, 0, 1e-12);
    assert_close(mql_points_strength(0.65, 0.001), 0.6, 0, 1e-12);
    assert_close(mql_points_strength(0.65, 0.2), 0.1, 0, 0);      /* not significant */
    assert_close(mql_points_strength(0.51, 0.001), 0.1, 0, 0);    /* floor */
    assert_close(mql_points_strength(NAN, NAN), 1.0, 0, 0);
}

/* The heatmap's colour scale widens to min_span: with values 0.579-0.637 and a span of 0.3 the
 * legend runs from 45.8% to 75.8% (labelled to the legend's step: 46% and 76%); without it,
 * from the lowest to the highest value. */
static void test_heat_span(void **state)
{
    (void)state;
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    assert_non_null(f);
    mql_html *h = mql_html_begin(f, "t", NULL);
    assert_non_null(h);
    static const double v[4] = {0.579, 0.60, 0.62, 0.637};
    static const char *const rl[] = {"A", "B"}, *const cl[] = {"1", "2"};
    mql_heatmap c = {.title = "x", .n_rows = 2, .n_cols = 2, .row_labels = rl,
                     .col_labels = cl, .value = v, .value_fmt = MQL_AXIS_PCT, .min_span = 0.3};
    assert_int_equal(mql_html_heatmap(h, &c), MQL_OK);
    mql_err err;
    assert_int_equal(mql_html_end(h, NULL, &err), MQL_OK);
    fclose(f);
    assert_non_null(strstr(text, "class=\"tick\">46%<"));
    assert_non_null(strstr(text, "class=\"tick\">76%<"));
    free(text);
    text = NULL;
    f = open_memstream(&text, &len);
    h = mql_html_begin(f, "t", NULL);
    c.min_span = 0;
    assert_int_equal(mql_html_heatmap(h, &c), MQL_OK);
    assert_int_equal(mql_html_end(h, NULL, &err), MQL_OK);
    fclose(f);
    assert_null(strstr(text, "class=\"tick\">46%<"));
    assert_non_null(strstr(text, "class=\"tick\">57.9%<"));
    free(text);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_name_words),
        cmocka_unit_test(test_name_duration), cmocka_unit_test(test_groups),
        cmocka_unit_test(test_auc_matches_delong), cmocka_unit_test(test_rules),
        cmocka_unit_test(test_strength), cmocka_unit_test(test_heat_span),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
