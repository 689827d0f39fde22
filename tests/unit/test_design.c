/* test_design.c: the design module on hand-built tables: feature selection and notes, term labels
 * and order, reference levels, pooling, bins and their labels, exact fill output, binding to a new
 * table, from_parts round trips, and every option-parser error. Expected values are hand counts
 * of the 24-row table below (comments show the counts). */
#include "testutil.h"

#include "mqlcal/design.h"

/* ---- hand-built tables (src/table.c is not needed) ---------------------------------------- */

static mql_table *tab_new(const char *source, size_t n_rows, size_t n_cols)
{
    mql_table *t = calloc(1, sizeof *t);
    assert_non_null(t);
    t->source = source ? strdup(source) : NULL;
    t->n_rows = n_rows;
    t->n_cols = n_cols;
    t->cols = calloc(n_cols, sizeof *t->cols);
    assert_non_null(t->cols);
    return t;
}

static void tab_free(mql_table *t)
{
    if (!t)
        return;
    for (size_t j = 0; j < t->n_cols; j++) {
        mql_column *c = &t->cols[j];
        free(c->name);
        free(c->num);
        free(c->code);
        for (size_t k = 0; k < c->n_levels; k++)
            free(c->levels[k]);
        free(c->levels);
        free(c->level_count);
        free(c->true_label);
        free(c->false_label);
    }
    free(t->cols);
    free(t->source);
    free(t);
}

/* Text column (CATEGORICAL or ID): levels in first-seen order, NULL cells missing. */
static void col_text(mql_table *t, size_t j, const char *name, mql_coltype type,
                     const char *const *cells)
{
    mql_column *c = &t->cols[j];
    c->name = strdup(name);
    c->type = type;
    c->code = malloc(t->n_rows * sizeof *c->code);
    c->levels = calloc(t->n_rows, sizeof *c->levels);
    c->level_count = calloc(t->n_rows, sizeof *c->level_count);
    for (size_t r = 0; r < t->n_rows; r++) {
        if (!cells[r]) {
            c->code[r] = MQL_NA_CODE;
            c->n_missing++;
            continue;
        }
        size_t k = 0;
        while (k < c->n_levels && strcmp(c->levels[k], cells[r]) != 0)
            k++;
        if (k == c->n_levels)
            c->levels[c->n_levels++] = strdup(cells[r]);
        c->level_count[k]++;
        c->code[r] = (uint32_t)k;
    }
    c->n_distinct = c->n_levels;
}

/* Number column (NUMERIC, BOOLEAN 0/1, DATE days); NAN cells missing. */
static void col_num(mql_table *t, size_t j, const char *name, mql_coltype type, const double *v)
{
    mql_column *c = &t->cols[j];
    c->name = strdup(name);
    c->type = type;
    c->num = malloc(t->n_rows * sizeof *c->num);
    memcpy(c->num, v, t->n_rows * sizeof *c->num);
    for (size_t r = 0; r < t->n_rows; r++)
        c->n_missing += isnan(v[r]) != 0;
    if (type == MQL_COL_BOOLEAN) {
        c->true_label = strdup("yes");
        c->false_label = strdup("no");
    }
}

#define NR 24
#define NA_ NAN

/* job_level: Manager 8, Director 6, VP 6, CEO 1, Intern 1, missing 2 (rows 4 and 17). */
static const char *const job[NR] = {
    "Manager", "Director", "VP", "Manager", NULL, "CEO", "Manager", "Director",
    "VP", "Intern", "Manager", "Director", "VP", "Manager", "Director", "VP",
    "Manager", NULL, "Director", "VP", "Manager", "Director", "VP", "Manager"};
static const double demo[NR] = {1, 0, 1, 0, 0, 1, 0, 1, 1, 0, 0, 0,
                                1, 0, 0, 1, 0, 0, 0, 1, 0, 0, 1, 0};
/* sorted non-missing visits: 0 x6, 1 x3, 2 x3, 3 x2, 4, 5 x2, 6, 7, 8, 9, 12 (22 values) */
static const double visits[NR] = {0, 3, 5, 1, NA_, 8, 0, 2, 4, 0, 1, 6,
                                  7, 0, 3, 2, 9, NA_, 0, 5, 1, 0, 12, 2};
/* below 100: 10 rows, [100, 500): 6, 500+: 8 */
static const double employees[NR] = {12, 250, 800, 45, 150, 5000, 30, 499, 1200, 8, 100, 75,
                                     2000, 20, 300, 640, 15, 90, 110, 700, 60, 35, 9000, 500};

static mql_table *training_table(void)
{
    mql_table *t = tab_new("leads.csv", NR, 8);
    char ids[NR][16];
    const char *idp[NR], *region[NR];
    double created[NR], won[NR];
    for (int r = 0; r < NR; r++) {
        snprintf(ids[r], sizeof ids[r], "L%03d", r);
        idp[r] = ids[r];
        region[r] = "EMEA";
        created[r] = 19000 + r;
        won[r] = r % 3 == 0;
    }
    col_text(t, 0, "lead_id", MQL_COL_ID, idp);
    col_num(t, 1, "created", MQL_COL_DATE, created);
    col_text(t, 2, "job_level", MQL_COL_CATEGORICAL, job);
    col_num(t, 3, "demo_request", MQL_COL_BOOLEAN, demo);
    col_num(t, 4, "pricing_page_visits", MQL_COL_NUMERIC, visits);
    col_text(t, 5, "region", MQL_COL_CATEGORICAL, region);
    col_num(t, 6, "won", MQL_COL_BOOLEAN, won);
    col_num(t, 7, "employees", MQL_COL_NUMERIC, employees);
    return t;
}

static void opts_base(mql_design_opts *o)
{
    mql_err err;
    mql_design_opts_init(o);
    assert_int_equal(mql_design_opts_add_role(o, "won", &err), MQL_OK);
    assert_int_equal(mql_design_opts_parse_min_level_count(o, "2", &err), MQL_OK);
}

static void assert_labels(const mql_design *d, const char *const *want, size_t n)
{
    assert_int_equal(d->p, n);
    for (size_t j = 0; j < n; j++)
        assert_string_equal(mql_design_label(d, j), want[j]);
    assert_null(mql_design_label(d, n));
}

static void assert_row(const double *x, const double *want, size_t p)
{
    for (size_t j = 0; j < p; j++)
        if (x[j] != want[j])
            fail_msg("column %zu: got %.17g, want %.17g", j, x[j], want[j]);
}

/* ---- build: notes, labels, references, pooling, groups ------------------------------------ */

static void test_build_default_linear(void **state)
{
    (void)state;
    mql_table *t = training_table();
    mql_design_opts o;
    opts_base(&o);
    mql_design *d = NULL;
    mql_err err;
    assert_int_equal(mql_design_build(t, &o, &d, &err), MQL_OK);

    static const char *const notes[] = {
        "lead_id: identifier-like, not a feature", "created: date, not a feature",
        "job_level: 2 levels with fewer than 2 rows pooled into (other)",
        "region: constant ('EMEA' in every row), not a feature"};
    assert_int_equal(d->n_notes, 4);
    for (size_t i = 0; i < 4; i++)
        assert_string_equal(d->notes[i], notes[i]);

    /* Manager (8) is the reference; Director and VP tie at 6, byte order puts Director first. */
    static const char *const labels[] = {
        "(Intercept)", "job_level=Director", "job_level=VP", "job_level=(other)",
        "job_level=(missing)", "demo_request", "pricing_page_visits",
        "pricing_page_visits=(missing)", "employees"};
    assert_labels(d, labels, 9);
    assert_int_equal(d->n_features, 4);
    const mql_feature *f = &d->features[0];
    assert_string_equal(f->name, "job_level");
    assert_int_equal(f->enc, MQL_ENC_CATEGORICAL);
    assert_int_equal(f->group, MQL_GROUP_FIT);
    assert_int_equal(f->table_col, 2);
    assert_int_equal(f->n_levels, 3);
    assert_string_equal(f->levels[0], "Manager");
    assert_int_equal(f->level_count[0], 8);
    assert_int_equal(f->n_pooled, 2);
    assert_string_equal(f->pooled[0], "CEO");   /* both 1 row: byte order */
    assert_string_equal(f->pooled[1], "Intern");
    assert_int_equal(f->other_count, 2);
    assert_int_equal(f->missing_count, 2);
    assert_int_equal(f->term0, 1);
    assert_int_equal(f->n_terms, 4);
    assert_int_equal(d->features[1].enc, MQL_ENC_BOOLEAN);
    assert_int_equal(d->features[1].group, MQL_GROUP_ENGAGEMENT);   /* "demo" */
    assert_int_equal(d->features[2].enc, MQL_ENC_LINEAR);
    assert_int_equal(d->features[2].group, MQL_GROUP_ENGAGEMENT);   /* "visit", "page" */
    assert_int_equal(d->features[2].integer, 1);
    assert_int_equal(d->features[3].group, MQL_GROUP_FIT);
    assert_int_equal(d->features[3].term0, 8);
    assert_int_equal(d->term_feature[0], -1);
    assert_int_equal(d->term_feature[4], 0);
    assert_int_equal(d->term_feature[7], 2);
    assert_int_equal(mql_design_find(d, "employees"), 3);
    assert_int_equal(mql_design_find(d, "region"), -1);

    assert_string_equal(mql_design_term_text(d, 0), "baseline");
    assert_string_equal(mql_design_term_text(d, 2), "job_level = VP");
    assert_string_equal(mql_design_term_text(d, 3), "job_level = (other)");
    assert_string_equal(mql_design_term_text(d, 4), "job_level (missing)");
    assert_string_equal(mql_design_term_text(d, 5), "demo_request = yes");
    assert_string_equal(mql_design_term_text(d, 6), "pricing_page_visits (per unit)");
    assert_null(mql_design_term_text(d, 9));

    mql_design_free(d);
    mql_design_opts_clear(&o);
    tab_free(t);
}

static void test_reference_rules(void **state)
{
    (void)state;
    mql_table *t = training_table();
    mql_design_opts o;
    mql_design *d = NULL;
    mql_err err;

    /* "first": byte-order first level CEO is the reference and is never pooled. */
    opts_base(&o);
    assert_int_equal(mql_design_opts_parse_reference(&o, "first", &err), MQL_OK);
    assert_int_equal(mql_design_build(t, &o, &d, &err), MQL_OK);
    assert_string_equal(d->features[0].levels[0], "CEO");
    assert_string_equal(d->labels[1], "job_level=Manager");
    assert_string_equal(d->labels[2], "job_level=Director");
    assert_string_equal(d->labels[3], "job_level=VP");
    assert_string_equal(d->labels[4], "job_level=(other)");
    assert_int_equal(d->features[0].n_pooled, 1);
    assert_string_equal(d->features[0].pooled[0], "Intern");
    mql_design_free(d);
    mql_design_opts_clear(&o);

    /* Per-column override beats the rule; "frequent" restores the default rule. */
    opts_base(&o);
    assert_int_equal(mql_design_opts_parse_reference(&o, "first", &err), MQL_OK);
    assert_int_equal(mql_design_opts_parse_reference(&o, "frequent", &err), MQL_OK);
    assert_int_equal(mql_design_opts_parse_reference(&o, "job_level=VP", &err), MQL_OK);
    assert_int_equal(mql_design_build(t, &o, &d, &err), MQL_OK);
    assert_string_equal(d->features[0].levels[0], "VP");
    assert_string_equal(d->labels[1], "job_level=Manager");
    assert_string_equal(d->labels[2], "job_level=Director");
    assert_string_equal(d->labels[3], "job_level=(other)");
    mql_design_free(d);
    mql_design_opts_clear(&o);

    /* Default min_level_count 10 pools every level but the reference (Director, VP: 6 each). */
    mql_design_opts_init(&o);
    assert_int_equal(mql_design_opts_add_role(&o, "won", &err), MQL_OK);
    assert_int_equal(mql_design_build(t, &o, &d, &err), MQL_OK);
    assert_string_equal(d->labels[1], "job_level=(other)");
    assert_string_equal(d->labels[2], "job_level=(missing)");
    assert_int_equal(d->features[0].n_pooled, 4);
    assert_int_equal(d->features[0].other_count, 14);
    mql_design_free(d);
    mql_design_opts_clear(&o);

    /* 0 disables pooling: every level gets its own term, no (other). */
    opts_base(&o);
    assert_int_equal(mql_design_opts_parse_min_level_count(&o, "0", &err), MQL_OK);
    assert_int_equal(mql_design_build(t, &o, &d, &err), MQL_OK);
    static const char *const all[] = {"(Intercept)", "job_level=Director", "job_level=VP",
                                      "job_level=CEO", "job_level=Intern", "job_level=(missing)"};
    for (size_t j = 0; j < 6; j++)
        assert_string_equal(d->labels[j], all[j]);
    mql_design_free(d);
    mql_design_opts_clear(&o);
    tab_free(t);
}

static void test_groups_and_selection(void **state)
{
    (void)state;
    mql_table *t = training_table();
    mql_design_opts o;
    mql_design *d = NULL;
    mql_err err;
    opts_base(&o);
    assert_int_equal(mql_design_opts_parse_group(&o, MQL_GROUP_FIT, "pricing_page_visits", &err),
                     MQL_OK);
    assert_int_equal(mql_design_opts_parse_group(&o, MQL_GROUP_ENGAGEMENT, "employees", &err),
                     MQL_OK);
    assert_int_equal(mql_design_opts_parse_exclude(&o, "demo_request", &err), MQL_OK);
    assert_int_equal(mql_design_build(t, &o, &d, &err), MQL_OK);
    assert_int_equal(d->n_features, 3);
    assert_string_equal(d->features[1].name, "pricing_page_visits");
    assert_int_equal(d->features[1].group, MQL_GROUP_FIT);
    assert_int_equal(d->features[2].group, MQL_GROUP_ENGAGEMENT);
    mql_design_free(d);
    mql_design_opts_clear(&o);

    /* --features keeps table order whatever the order on the command line; no notes for
     * columns not asked for; a constant column asked for is still skipped with a note. */
    opts_base(&o);
    assert_int_equal(mql_design_opts_parse_features(&o, "employees, region,job_level", &err),
                     MQL_OK);
    assert_int_equal(mql_design_build(t, &o, &d, &err), MQL_OK);
    assert_int_equal(d->n_features, 2);
    assert_string_equal(d->features[0].name, "job_level");
    assert_string_equal(d->features[1].name, "employees");
    assert_int_equal(d->n_notes, 2);
    assert_string_equal(d->notes[1], "region: constant ('EMEA' in every row), not a feature");
    mql_design_free(d);
    mql_design_opts_clear(&o);

    /* Name-based inference, case-insensitive; "E-mail" and "Last_" hits, plain names are fit. */
    static const char *const names[] = {"Email_Clicks", "industry", "Days_Since_Last_Touch",
                                        "E-mail opens", "annual_revenue", "WEBINAR_attended"};
    static const mql_group want[] = {MQL_GROUP_ENGAGEMENT, MQL_GROUP_FIT, MQL_GROUP_ENGAGEMENT,
                                     MQL_GROUP_ENGAGEMENT, MQL_GROUP_FIT, MQL_GROUP_ENGAGEMENT};
    mql_table *g = tab_new(NULL, 4, 6);
    static const double v[4] = {1, 2, 3, 5};
    for (size_t j = 0; j < 6; j++)
        col_num(g, j, names[j], MQL_COL_NUMERIC, v);
    assert_int_equal(mql_design_build(g, NULL, &d, &err), MQL_OK);
    assert_int_equal(d->n_features, 6);
    for (size_t j = 0; j < 6; j++)
        assert_int_equal(d->features[j].group, want[j]);
    mql_design_free(d);
    tab_free(g);
    tab_free(t);
}

/* ---- bins ----------------------------------------------------------------------------------- */

static void test_bins_and_cuts(void **state)
{
    (void)state;
    mql_table *t = training_table();
    mql_design_opts o;
    mql_design *d = NULL;
    mql_err err;
    opts_base(&o);
    assert_int_equal(mql_design_opts_parse_bins(&o, "pricing_page_visits=4", &err), MQL_OK);
    assert_int_equal(mql_design_opts_parse_cuts(&o, "employees=100,500", &err), MQL_OK);
    assert_int_equal(mql_design_build(t, &o, &d, &err), MQL_OK);
    /* Quartile candidates are sorted[floor(k*22/4)] = sorted[5, 11, 16] = 0, 2, 5; the 0 is the
     * minimum and moves up to the next value, 1: cuts 1, 2, 5. */
    const mql_feature *f = &d->features[2];
    assert_int_equal(f->enc, MQL_ENC_BINNED);
    assert_int_equal(f->n_cuts, 3);
    assert_true(f->cuts[0] == 1 && f->cuts[1] == 2 && f->cuts[2] == 5);
    static const size_t counts[] = {6, 3, 6, 7};
    for (size_t b = 0; b < 4; b++)
        assert_int_equal(f->bin_count[b], counts[b]);
    static const char *const human[] = {"below 1", "1", "2-4", "5+"};
    for (size_t b = 0; b < 4; b++)
        assert_string_equal(f->bin_text[b], human[b]);
    static const char *const labels[] = {
        "(Intercept)", "job_level=Director", "job_level=VP", "job_level=(other)",
        "job_level=(missing)", "demo_request", "pricing_page_visits=[1,2)",
        "pricing_page_visits=[2,5)", "pricing_page_visits=[5,inf)",
        "pricing_page_visits=(missing)", "employees=[100,500)", "employees=[500,inf)"};
    assert_labels(d, labels, 12);
    assert_string_equal(mql_design_term_text(d, 7), "pricing_page_visits 2-4");
    assert_string_equal(mql_design_term_text(d, 9), "pricing_page_visits (missing)");
    assert_string_equal(mql_design_term_text(d, 10), "employees 100-499");
    assert_string_equal(mql_design_term_text(d, 11), "employees 500+");
    assert_string_equal(d->features[3].bin_text[0], "below 100");
    assert_int_equal(d->features[3].bin_count[0], 10);
    assert_int_equal(d->features[3].bin_count[1], 6);
    assert_int_equal(d->features[3].bin_count[2], 8);
    mql_design_free(d);
    mql_design_opts_clear(&o);

    /* Global --bins 3: sorted[7] = 1, sorted[14] = 4. Explicit cuts beyond the data leave an
     * empty bin, noted; fractional cuts read "2.5 to under 10". */
    opts_base(&o);
    assert_int_equal(mql_design_opts_parse_bins(&o, "3", &err), MQL_OK);
    assert_int_equal(mql_design_opts_parse_cuts(&o, "employees=2.5,10,20000", &err), MQL_OK);
    assert_int_equal(mql_design_build(t, &o, &d, &err), MQL_OK);
    f = &d->features[2];
    assert_int_equal(f->n_cuts, 2);
    assert_true(f->cuts[0] == 1 && f->cuts[1] == 4);
    assert_string_equal(f->bin_text[1], "1-3");
    assert_string_equal(f->bin_text[2], "4+");
    assert_string_equal(d->features[3].bin_text[1], "2.5 to under 10");
    assert_string_equal(d->features[3].bin_text[3], "20000+");
    assert_int_equal(d->n_notes, 6);
    assert_string_equal(d->notes[4], "employees: bin 'below 2.5' is empty in the training data");
    assert_string_equal(d->notes[5], "employees: bin '20000+' is empty in the training data");
    mql_design_free(d);
    mql_design_opts_clear(&o);
    tab_free(t);
}

/* ---- fill ----------------------------------------------------------------------------------- */

static void test_fill_exact(void **state)
{
    (void)state;
    mql_table *t = training_table();
    mql_design_opts o;
    mql_design *d = NULL;
    mql_design_binding *b = NULL;
    mql_err err;
    opts_base(&o);
    assert_int_equal(mql_design_build(t, &o, &d, &err), MQL_OK);
    assert_int_equal(mql_design_bind(d, t, &b, &err), MQL_OK);
    double x[NR * 9];
    assert_int_equal(mql_design_fill(b, 0, NR, x, &err), MQL_OK);
    /* columns: 1, Director, VP, (other), job (missing), demo, visits, visits (missing),
     * employees */
    static const double r0[] = {1, 0, 0, 0, 0, 1, 0, 0, 12};      /* Manager, yes, 0, 12 */
    static const double r2[] = {1, 0, 1, 0, 0, 1, 5, 0, 800};     /* VP */
    static const double r4[] = {1, 0, 0, 0, 1, 0, 0, 1, 150};     /* job and visits missing */
    static const double r5[] = {1, 0, 0, 1, 0, 1, 8, 0, 5000};    /* CEO -> (other) */
    static const double r9[] = {1, 0, 0, 1, 0, 0, 0, 0, 8};       /* Intern -> (other) */
    assert_row(x + 0 * 9, r0, 9);
    assert_row(x + 2 * 9, r2, 9);
    assert_row(x + 4 * 9, r4, 9);
    assert_row(x + 5 * 9, r5, 9);
    assert_row(x + 9 * 9, r9, 9);
    /* A chunk starting mid-table writes the same rows at its own offset. */
    double y[3 * 9];
    assert_int_equal(mql_design_fill(b, 3, 3, y, &err), MQL_OK);
    assert_row(y + 1 * 9, r4, 9);
    assert_row(y + 2 * 9, r5, 9);
    assert_int_equal(mql_design_fill(b, 22, 3, y, &err), MQL_EDATA);
    assert_string_equal(err.msg, "design: rows 22..25 out of range (24 rows)");
    assert_int_equal(b->f[0].n_unseen, 0);
    assert_int_equal(b->f[0].n_missing_as_ref, 0);
    mql_design_binding_free(b);
    mql_design_free(d);

    /* Binned encoding. columns: 1, Director, VP, (other), job (missing), demo,
     * visits [1,2), [2,5), [5,inf), (missing), employees [100,500), [500,inf) */
    assert_int_equal(mql_design_opts_parse_bins(&o, "pricing_page_visits=4", &err), MQL_OK);
    assert_int_equal(mql_design_opts_parse_cuts(&o, "employees=100,500", &err), MQL_OK);
    assert_int_equal(mql_design_build(t, &o, &d, &err), MQL_OK);
    assert_int_equal(mql_design_bind(d, t, &b, &err), MQL_OK);
    double z[NR * 12];
    assert_int_equal(mql_design_fill(b, 0, NR, z, &err), MQL_OK);
    static const double b3[] = {1, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0};     /* visits 1, 45 */
    static const double b4[] = {1, 0, 0, 0, 1, 0, 0, 0, 0, 1, 1, 0};     /* missing, 150 */
    static const double b7[] = {1, 1, 0, 0, 0, 1, 0, 1, 0, 0, 1, 0};     /* 2, 499 */
    static const double b16[] = {1, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0};    /* 9, 15 */
    static const double b23[] = {1, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 1};    /* 2, 500 */
    assert_row(z + 3 * 12, b3, 12);
    assert_row(z + 4 * 12, b4, 12);
    assert_row(z + 7 * 12, b7, 12);
    assert_row(z + 16 * 12, b16, 12);
    assert_row(z + 23 * 12, b23, 12);
    mql_design_binding_free(b);
    mql_design_free(d);
    mql_design_opts_clear(&o);
    tab_free(t);
}

/* Rows filled in odd-sized chunks across the internal 256-row blocks equal one whole fill. */
static void test_fill_chunks(void **state)
{
    (void)state;
    enum { N = 1000 };
    mql_table *t = tab_new("big.csv", N, 3);
    static const char *const lv[] = {"a", "b", "c", "d", NULL};
    const char *cells[N];
    double v[N], w[N];
    for (int r = 0; r < N; r++) {
        cells[r] = lv[(r * 7) % 5];
        v[r] = (r % 11 == 0) ? NAN : (r * 37) % 101 / 4.0;
        w[r] = (r % 13 == 0) ? NAN : (double)(r % 2);
    }
    col_text(t, 0, "source", MQL_COL_CATEGORICAL, cells);
    col_num(t, 1, "score", MQL_COL_NUMERIC, v);
    col_num(t, 2, "opted_in", MQL_COL_BOOLEAN, w);
    mql_design_opts o;
    mql_err err;
    mql_design_opts_init(&o);
    assert_int_equal(mql_design_opts_parse_bins(&o, "5", &err), MQL_OK);
    mql_design *d = NULL;
    mql_design_binding *b = NULL;
    assert_int_equal(mql_design_build(t, &o, &d, &err), MQL_OK);
    assert_int_equal(mql_design_bind(d, t, &b, &err), MQL_OK);
    size_t p = d->p;
    /* source: 4 levels of 200 + missing -> 3 + 1 terms; score: 4 bins + missing; opted_in 2 */
    assert_int_equal(p, 1 + 4 + 5 + 2);
    double *all = malloc(N * p * sizeof *all), *part = malloc(N * p * sizeof *part);
    assert_int_equal(mql_design_fill(b, 0, N, all, &err), MQL_OK);
    size_t r0 = 0, step = 1;
    while (r0 < N) {
        size_t m = r0 + step > N ? N - r0 : step;
        assert_int_equal(mql_design_fill(b, r0, m, part + r0 * p, &err), MQL_OK);
        r0 += m;
        step = step * 3 + 1;
    }
    assert_memory_equal(all, part, N * p * sizeof *all);
    /* Every row has the intercept and exactly one indicator per categorical/binned block. */
    for (size_t r = 0; r < N; r++) {
        double s1 = 0, s2 = 0;
        for (size_t j = 1; j <= 4; j++)
            s1 += all[r * p + j];
        for (size_t j = 5; j <= 9; j++)
            s2 += all[r * p + j];
        assert_true(all[r * p] == 1.0);
        assert_true(s1 <= 1.0 && s2 <= 1.0);
    }
    free(all);
    free(part);
    mql_design_binding_free(b);
    mql_design_free(d);
    mql_design_opts_clear(&o);
    tab_free(t);
}

/* ---- binding to another table --------------------------------------------------------------- */

static void test_bind_new_table(void **state)
{
    (void)state;
    mql_table *t = training_table();
    mql_design_opts o;
    mql_design *d = NULL;
    mql_design_binding *b = NULL;
    mql_err err;
    opts_base(&o);
    assert_int_equal(mql_design_build(t, &o, &d, &err), MQL_OK);

    /* New leads: columns in another order, an unseen level (SVP, 2 rows), a pooled one (Intern),
     * demo_request read as text with an unknown spelling, visits complete. */
    enum { M = 5 };
    mql_table *n = tab_new("new.csv", M, 4);
    static const double emp[M] = {40, 600, 120, 7, 300};
    static const char *const jl[M] = {"SVP", "Intern", "Director", "SVP", NULL};
    static const char *const dm[M] = {"Yes", "no", "maybe", "yes", "no"};
    static const double vis[M] = {2, 0, 4, 1, 3};
    col_num(n, 0, "employees", MQL_COL_NUMERIC, emp);
    col_text(n, 1, "job_level", MQL_COL_CATEGORICAL, jl);
    col_text(n, 2, "demo_request", MQL_COL_CATEGORICAL, dm);
    col_num(n, 3, "pricing_page_visits", MQL_COL_NUMERIC, vis);
    assert_int_equal(mql_design_bind(d, n, &b, &err), MQL_OK);
    assert_int_equal(b->f[0].n_unseen_levels, 1);
    assert_int_equal(b->f[0].n_unseen, 2);
    assert_int_equal(b->f[1].n_unseen_levels, 1);    /* "maybe" scores as false */
    assert_int_equal(b->f[1].n_unseen, 1);
    assert_int_equal(b->f[0].col_index, 1);
    double x[M * 9];
    assert_int_equal(mql_design_fill(b, 0, M, x, &err), MQL_OK);
    static const double want[M][9] = {
        {1, 0, 0, 1, 0, 1, 2, 0, 40},     /* SVP -> (other); "Yes" */
        {1, 0, 0, 1, 0, 0, 0, 0, 600},    /* Intern (pooled) -> (other) */
        {1, 1, 0, 0, 0, 0, 4, 0, 120},    /* maybe -> false */
        {1, 0, 0, 1, 0, 1, 1, 0, 7},
        {1, 0, 0, 0, 1, 0, 3, 0, 300}};   /* job missing */
    for (size_t r = 0; r < M; r++)
        assert_row(x + r * 9, want[r], 9);
    mql_design_binding_free(b);
    mql_design_free(d);

    /* Without pooling there is no (other): unseen levels score as the reference. The demo
     * column has no missing term, so a missing cell there would too; employees has none. */
    assert_int_equal(mql_design_opts_parse_min_level_count(&o, "1", &err), MQL_OK);
    assert_int_equal(mql_design_build(t, &o, &d, &err), MQL_OK);
    assert_int_equal(d->p, 1 + 5 + 1 + 2 + 1);
    assert_int_equal(mql_design_bind(d, n, &b, &err), MQL_OK);
    assert_int_equal(b->f[0].n_unseen, 2);
    double y[M * 10];
    assert_int_equal(mql_design_fill(b, 0, M, y, &err), MQL_OK);
    /* columns: 1, Director, VP, CEO, Intern, (missing), demo, visits, (missing), employees */
    static const double y0[] = {1, 0, 0, 0, 0, 0, 1, 2, 0, 40};
    static const double y1[] = {1, 0, 0, 0, 1, 0, 0, 0, 0, 600};
    assert_row(y, y0, 10);
    assert_row(y + 10, y1, 10);
    mql_design_binding_free(b);

    /* A boolean feature missing in the new table with no (missing) term scores as false. */
    double dm2[M] = {1, NAN, 0, NAN, 1};
    mql_table *n2 = tab_new("new2.csv", M, 4);
    col_num(n2, 0, "employees", MQL_COL_NUMERIC, emp);
    col_text(n2, 1, "job_level", MQL_COL_CATEGORICAL, jl);
    col_num(n2, 2, "demo_request", MQL_COL_BOOLEAN, dm2);
    col_num(n2, 3, "pricing_page_visits", MQL_COL_NUMERIC, vis);
    assert_int_equal(mql_design_bind(d, n2, &b, &err), MQL_OK);
    assert_int_equal(b->f[1].n_missing_as_ref, 2);
    assert_int_equal(mql_design_fill(b, 0, M, y, &err), MQL_OK);
    assert_true(y[1 * 10 + 6] == 0.0 && y[4 * 10 + 6] == 1.0);
    mql_design_binding_free(b);
    tab_free(n2);

    /* A column the model needs is absent. */
    mql_table *n3 = tab_new("new.csv", M, 2);
    col_num(n3, 0, "employees", MQL_COL_NUMERIC, emp);
    col_num(n3, 1, "pricing_page_visits", MQL_COL_NUMERIC, vis);
    b = (mql_design_binding *)&err;   /* must be reset to NULL on failure */
    assert_int_equal(mql_design_bind(d, n3, &b, &err), MQL_EDATA);
    assert_null(b);
    assert_string_equal(err.msg, "new.csv has no column 'job_level' that the model needs");
    tab_free(n3);

    /* Type mismatches name the column. */
    mql_table *n4 = tab_new("new.csv", M, 4);
    static const char *const emp_text[M] = {"40", "600", "n/a?", "7", "300"};
    col_text(n4, 0, "employees", MQL_COL_CATEGORICAL, emp_text);
    col_text(n4, 1, "job_level", MQL_COL_CATEGORICAL, jl);
    col_num(n4, 2, "demo_request", MQL_COL_BOOLEAN, dm2);
    col_num(n4, 3, "pricing_page_visits", MQL_COL_NUMERIC, vis);
    assert_int_equal(mql_design_bind(d, n4, &b, &err), MQL_EDATA);
    assert_string_equal(err.msg, "new.csv: column 'employees' is categorical, but the model "
                                 "reads it as numeric");
    tab_free(n4);
    mql_table *n5 = tab_new("new.csv", M, 4);
    col_num(n5, 0, "employees", MQL_COL_NUMERIC, emp);
    col_num(n5, 1, "job_level", MQL_COL_NUMERIC, emp);
    col_num(n5, 2, "demo_request", MQL_COL_BOOLEAN, dm2);
    col_num(n5, 3, "pricing_page_visits", MQL_COL_NUMERIC, vis);
    assert_int_equal(mql_design_bind(d, n5, &b, &err), MQL_EDATA);
    assert_string_equal(err.msg, "new.csv: column 'job_level' is numeric, but the model reads "
                                 "it as categorical");
    tab_free(n5);

    mql_design_free(d);
    mql_design_opts_clear(&o);
    tab_free(n);
    tab_free(t);
}

/* ---- from_parts ----------------------------------------------------------------------------- */

static void test_from_parts(void **state)
{
    (void)state;
    mql_table *t = training_table();
    mql_design_opts o;
    mql_design *d = NULL, *e = NULL;
    mql_err err;
    opts_base(&o);
    assert_int_equal(mql_design_opts_parse_cuts(&o, "employees=100,500", &err), MQL_OK);
    assert_int_equal(mql_design_build(t, &o, &d, &err), MQL_OK);
    assert_int_equal(mql_design_from_parts(d->features, d->n_features, &e, &err), MQL_OK);
    assert_int_equal(e->p, d->p);
    assert_int_equal(e->n_notes, 0);
    for (size_t j = 0; j < d->p; j++) {
        assert_string_equal(e->labels[j], d->labels[j]);
        assert_string_equal(e->texts[j], d->texts[j]);
    }
    mql_design_free(e);

    /* A minimal hand-made feature list, as a model file would give it. */
    char *lv[] = {"Manager", "VP"};
    char *pl[] = {"CEO"};
    double cuts[] = {3, 6};
    mql_feature parts[3];
    memset(parts, 0, sizeof parts);
    parts[0] = (mql_feature){.name = "job_level", .type = MQL_COL_CATEGORICAL,
                             .enc = MQL_ENC_CATEGORICAL, .levels = lv, .n_levels = 2,
                             .pooled = pl, .n_pooled = 1, .has_missing = 1, .table_col = -1};
    parts[1] = (mql_feature){.name = "visits", .type = MQL_COL_NUMERIC, .enc = MQL_ENC_BINNED,
                             .group = MQL_GROUP_ENGAGEMENT, .cuts = cuts, .n_cuts = 2,
                             .integer = 1, .table_col = -1};
    parts[2] = (mql_feature){.name = "opted_in", .type = MQL_COL_BOOLEAN, .enc = MQL_ENC_BOOLEAN,
                             .table_col = -1};
    assert_int_equal(mql_design_from_parts(parts, 3, &e, &err), MQL_OK);
    static const char *const labels[] = {"(Intercept)", "job_level=VP", "job_level=(other)",
                                         "job_level=(missing)", "visits=[3,6)",
                                         "visits=[6,inf)", "opted_in"};
    assert_labels(e, labels, 7);
    assert_string_equal(e->texts[4], "visits 3-5");
    assert_string_equal(e->texts[6], "opted_in = true");
    assert_string_equal(e->features[1].bin_text[0], "below 3");
    mql_design_free(e);

    /* Inconsistent parts. */
    struct { const char *what; const char *msg; } cases[] = {
        {"cuts", "design: feature 'visits': cut points must be finite and strictly increasing"},
        {"dupname", "design: feature 'job_level' appears twice"},
        {"duplevel", "design: feature 'job_level': level 'CEO' appears twice"},
        {"nolevels", "design: feature 'job_level' has no reference level"},
        {"enc", "design: feature 'opted_in': a linear encoding does not fit a boolean column"},
        {"nocuts", "design: feature 'visits' is binned but has no cut points"},
        {"noname", "design: a feature has no name"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        mql_feature q[3];
        memcpy(q, parts, sizeof q);
        double bad[] = {6, 3};
        char *dup[] = {"Manager", "CEO"};
        const char *w = cases[i].what;
        if (!strcmp(w, "cuts"))
            q[1].cuts = bad;
        else if (!strcmp(w, "dupname"))
            q[2] = q[0];
        else if (!strcmp(w, "duplevel"))
            q[0].levels = dup;
        else if (!strcmp(w, "nolevels"))
            q[0].n_levels = 0;
        else if (!strcmp(w, "enc"))
            q[2].enc = MQL_ENC_LINEAR;
        else if (!strcmp(w, "nocuts"))
            q[1].n_cuts = 0;
        else
            q[2].name = NULL;
        e = (mql_design *)&err;
        assert_int_equal(mql_design_from_parts(q, 3, &e, &err), MQL_EDATA);
        assert_null(e);
        assert_string_equal(err.msg, cases[i].msg);
    }
    mql_design_free(d);
    mql_design_opts_clear(&o);
    tab_free(t);
}

/* ---- option errors -------------------------------------------------------------------------- */

typedef int (*parse_fn)(mql_design_opts *, const char *, mql_err *);

static int parse_fit(mql_design_opts *o, const char *s, mql_err *e)
{
    return mql_design_opts_parse_group(o, MQL_GROUP_FIT, s, e);
}

static int parse_eng(mql_design_opts *o, const char *s, mql_err *e)
{
    return mql_design_opts_parse_group(o, MQL_GROUP_ENGAGEMENT, s, e);
}

static void test_parser_errors(void **state)
{
    (void)state;
    struct {
        parse_fn fn;
        const char *first;   /* parsed OK before the bad one, or NULL */
        const char *text;
        const char *msg;
    } cases[] = {
        {mql_design_opts_parse_reference, NULL, "",
         "--reference: expected 'first', 'frequent' or COLUMN=LEVEL, got ''"},
        {mql_design_opts_parse_reference, NULL, NULL,
         "--reference: expected 'first', 'frequent' or COLUMN=LEVEL, got ''"},
        {mql_design_opts_parse_reference, NULL, "job_level",
         "--reference: expected 'first', 'frequent' or COLUMN=LEVEL, got 'job_level'"},
        {mql_design_opts_parse_reference, NULL, "=VP",
         "--reference: expected 'first', 'frequent' or COLUMN=LEVEL, got '=VP'"},
        {mql_design_opts_parse_reference, NULL, "job_level=",
         "--reference: expected 'first', 'frequent' or COLUMN=LEVEL, got 'job_level='"},
        {mql_design_opts_parse_reference, "job_level=VP", "job_level=CEO",
         "--reference: column 'job_level' given twice"},
        {mql_design_opts_parse_cuts, NULL, "employees",
         "--cuts: expected COLUMN=a,b,c, got 'employees'"},
        {mql_design_opts_parse_cuts, NULL, "=1,2", "--cuts: expected COLUMN=a,b,c, got '=1,2'"},
        {mql_design_opts_parse_cuts, NULL, "employees=",
         "--cuts: expected COLUMN=a,b,c, got 'employees='"},
        {mql_design_opts_parse_cuts, NULL, NULL, "--cuts: expected COLUMN=a,b,c, got ''"},
        {mql_design_opts_parse_cuts, NULL, "employees=100,abc",
         "--cuts employees=100,abc: 'abc' is not a number"},
        {mql_design_opts_parse_cuts, NULL, "employees=100,,500",
         "--cuts employees=100,,500: '' is not a number"},
        {mql_design_opts_parse_cuts, NULL, "employees=500,100",
         "--cuts employees=500,100: cut points must be strictly increasing"},
        {mql_design_opts_parse_cuts, NULL, "employees=100,100",
         "--cuts employees=100,100: cut points must be strictly increasing"},
        {mql_design_opts_parse_cuts, "employees=1", "employees=2",
         "--cuts: column 'employees' given twice"},
        {mql_design_opts_parse_bins, NULL, "1",
         "--bins: expected N or COLUMN=N with N an integer from 2 to 100, got '1'"},
        {mql_design_opts_parse_bins, NULL, "101",
         "--bins: expected N or COLUMN=N with N an integer from 2 to 100, got '101'"},
        {mql_design_opts_parse_bins, NULL, "four",
         "--bins: expected N or COLUMN=N with N an integer from 2 to 100, got 'four'"},
        {mql_design_opts_parse_bins, NULL, "=4",
         "--bins: expected N or COLUMN=N with N an integer from 2 to 100, got '=4'"},
        {mql_design_opts_parse_bins, NULL, "visits=1.5",
         "--bins: expected N or COLUMN=N with N an integer from 2 to 100, got 'visits=1.5'"},
        {mql_design_opts_parse_bins, "visits=4", "visits=5", "--bins: column 'visits' given twice"},
        {parse_fit, NULL, "", "--fit: expected a comma-separated list of columns"},
        {parse_fit, NULL, "a,,b", "--fit: empty column name in 'a,,b'"},
        {parse_eng, NULL, "a, ", "--engagement: empty column name in 'a, '"},
        {mql_design_opts_parse_features, NULL, ",x", "--features: empty column name in ',x'"},
        {mql_design_opts_parse_exclude, NULL, NULL,
         "--exclude: expected a comma-separated list of columns"},
        {mql_design_opts_parse_min_level_count, NULL, "-1",
         "--min-level-count: expected a non-negative integer, got '-1'"},
        {mql_design_opts_parse_min_level_count, NULL, "ten",
         "--min-level-count: expected a non-negative integer, got 'ten'"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        mql_design_opts o;
        mql_err err;
        mql_design_opts_init(&o);
        if (cases[i].first)
            assert_int_equal(cases[i].fn(&o, cases[i].first, &err), MQL_OK);
        int rc = cases[i].fn(&o, cases[i].text, &err);
        if (rc != MQL_EUSAGE)
            fail_msg("case %zu ('%s'): status %d", i, cases[i].text ? cases[i].text : "NULL", rc);
        if (strcmp(err.msg, cases[i].msg) != 0)
            fail_msg("case %zu: got \"%s\"\n want \"%s\"", i, err.msg, cases[i].msg);
        mql_design_opts_clear(&o);
    }
    /* A column in both groups. */
    mql_design_opts o;
    mql_err err;
    mql_design_opts_init(&o);
    assert_int_equal(parse_fit(&o, "a,b", &err), MQL_OK);
    assert_int_equal(parse_eng(&o, "c,b", &err), MQL_EUSAGE);
    assert_string_equal(err.msg, "--engagement: column 'b' is also given to --fit");
    mql_design_opts_clear(&o);
    mql_design_opts_clear(NULL);
}

/* Options that name columns are checked against the table when the design is built. */
static void test_build_option_errors(void **state)
{
    (void)state;
    mql_table *t = training_table();
    struct {
        parse_fn fn;
        const char *text;
        const char *fn2_text;   /* a second option for the --cuts/--bins clash */
        const char *msg;
    } cases[] = {
        {mql_design_opts_parse_features, "job_level,title", NULL,
         "--features: no column 'title' in leads.csv"},
        {mql_design_opts_parse_features, "won", NULL,
         "--features: column 'won' is the outcome, SQL, date, ACV or key column"},
        {mql_design_opts_parse_features, "lead_id", NULL,
         "--features: column 'lead_id' is identifier-like (use --categorical lead_id to treat its "
         "values as levels)"},
        {mql_design_opts_parse_features, "created", NULL,
         "--features: column 'created' is a date, not a feature"},
        {mql_design_opts_parse_exclude, "jobs", NULL, "--exclude: no column 'jobs' in leads.csv"},
        {parse_fit, "visits", NULL, "--fit: no column 'visits' in leads.csv"},
        {parse_eng, "visits", NULL, "--engagement: no column 'visits' in leads.csv"},
        {mql_design_opts_parse_reference, "title=VP", NULL,
         "--reference: no column 'title' in leads.csv"},
        {mql_design_opts_parse_reference, "employees=100", NULL,
         "--reference: column 'employees' is numeric, not categorical"},
        {mql_design_opts_parse_reference, "job_level=CTO", NULL,
         "--reference job_level=CTO: column 'job_level' has no level 'CTO'"},
        {mql_design_opts_parse_cuts, "visits=1,2", NULL, "--cuts: no column 'visits' in leads.csv"},
        {mql_design_opts_parse_cuts, "job_level=1,2", NULL,
         "--cuts: column 'job_level' is categorical, not numeric"},
        {mql_design_opts_parse_bins, "demo_request=3", NULL,
         "--bins: column 'demo_request' is boolean, not numeric"},
        {mql_design_opts_parse_cuts, "employees=100", "employees=4",
         "--cuts and --bins both name column 'employees'"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        mql_design_opts o;
        mql_err err;
        opts_base(&o);
        assert_int_equal(cases[i].fn(&o, cases[i].text, &err), MQL_OK);
        if (cases[i].fn2_text)
            assert_int_equal(mql_design_opts_parse_bins(&o, cases[i].fn2_text, &err), MQL_OK);
        mql_design *d = (mql_design *)&err;
        int rc = mql_design_build(t, &o, &d, &err);
        if (rc != MQL_EUSAGE)
            fail_msg("case %zu: status %d (%s)", i, rc, rc ? err.msg : "ok");
        assert_null(d);
        if (strcmp(err.msg, cases[i].msg) != 0)
            fail_msg("case %zu: got \"%s\"\n want \"%s\"", i, err.msg, cases[i].msg);
        mql_design_opts_clear(&o);
    }

    /* Nothing usable left. */
    mql_design_opts o;
    mql_err err;
    opts_base(&o);
    assert_int_equal(mql_design_opts_parse_exclude(&o, "job_level,demo_request", &err), MQL_OK);
    assert_int_equal(mql_design_opts_parse_exclude(&o, "pricing_page_visits,employees", &err),
                     MQL_OK);
    mql_design *d = NULL;
    assert_int_equal(mql_design_build(t, &o, &d, &err), MQL_EDATA);
    assert_string_equal(err.msg, "leads.csv: no column is usable as a feature (lead_id: "
                                 "identifier-like, not a feature; ...)");
    mql_design_opts_clear(&o);

    /* A level present in the table's level list but in no row cannot be the reference. */
    mql_table *u = tab_new(NULL, 3, 1);
    static const char *const c3[] = {"x", "y", "y"};
    col_text(u, 0, "tier", MQL_COL_CATEGORICAL, c3);
    u->cols[0].levels[2] = strdup("z");
    u->cols[0].n_levels = 3;
    mql_design_opts_init(&o);
    assert_int_equal(mql_design_opts_parse_reference(&o, "tier=z", &err), MQL_OK);
    assert_int_equal(mql_design_build(u, &o, &d, &err), MQL_EUSAGE);
    assert_string_equal(err.msg,
                        "--reference tier=z: level 'z' does not occur in the training rows");
    mql_design_opts_clear(&o);
    tab_free(u);
    tab_free(t);
}

/* Degenerate columns: all missing, a single value plus blanks, and a corrupt level code. */
static void test_degenerate_columns(void **state)
{
    (void)state;
    enum { M = 6 };
    mql_table *t = tab_new("edge.csv", M, 5);
    static const double allna[M] = {NAN, NAN, NAN, NAN, NAN, NAN};
    static const double checkbox[M] = {1, NAN, 1, NAN, NAN, 1};
    static const double single[M] = {7, 7, NAN, 7, 7, 7};
    static const char *const tier[M] = {"gold", NULL, "gold", "gold", NULL, "gold"};
    static const double flat[M] = {3, 3, 3, 3, 3, 3};
    col_num(t, 0, "revenue", MQL_COL_NUMERIC, allna);
    col_num(t, 1, "newsletter", MQL_COL_BOOLEAN, checkbox);
    col_num(t, 2, "seats", MQL_COL_NUMERIC, single);
    col_text(t, 3, "tier", MQL_COL_CATEGORICAL, tier);
    col_num(t, 4, "version", MQL_COL_NUMERIC, flat);
    mql_design_opts o;
    mql_err err;
    mql_design_opts_init(&o);
    assert_int_equal(mql_design_opts_parse_bins(&o, "seats=4", &err), MQL_OK);
    mql_design *d = NULL;
    assert_int_equal(mql_design_build(t, &o, &d, &err), MQL_OK);
    static const char *const notes[] = {
        "revenue: all missing, not a feature",
        "newsletter: only 'yes' besides missing cells; 'newsletter' and 'newsletter=(missing)' "
        "are collinear and the fit keeps one",
        "seats: a single value (7) besides missing cells; no bins, linear term",
        "version: constant (3 in every row), not a feature"};
    assert_int_equal(d->n_notes, 4);
    for (size_t i = 0; i < 4; i++)
        assert_string_equal(d->notes[i], notes[i]);
    /* tier: one level plus missing keeps a (missing) term against the reference gold */
    static const char *const labels[] = {"(Intercept)", "newsletter", "newsletter=(missing)",
                                         "seats", "seats=(missing)", "tier=(missing)"};
    assert_labels(d, labels, 6);
    mql_design_free(d);
    mql_design_opts_clear(&o);

    t->cols[3].code[2] = 9;
    assert_int_equal(mql_design_build(t, NULL, &d, &err), MQL_EDATA);
    assert_string_equal(err.msg, "column 'tier': row 3 has level code 9 of 1");
    tab_free(t);
}

/* Unweighted, a categorical's levels are counted by a branch-free four-way tally and a boolean's
 * true and missing cells without a branch; with a weight of 1 per row, by the per-row loop. Both
 * must give the hand counts, on 1,003 rows (the tally's tail) with missing cells. */
static void test_unweighted_counts(void **state)
{
    (void)state;
    enum { N = 1003 };
    static const char *const lv[] = {"Manager", "Director", "VP", "CEO", "Intern", NULL};
    const char *jobs[N];
    double flag[N], news[N], won[N], ones[N];
    size_t want_job[6] = {0}, want_true = 0, want_na = 0;
    for (size_t r = 0; r < N; r++) {
        jobs[r] = lv[(r * 7 + r / 3) % 6];
        want_job[(r * 7 + r / 3) % 6]++;
        flag[r] = r % 11 == 0 ? NAN : (double)((r * 5 / 3) % 2);
        want_true += r % 11 != 0 && (r * 5 / 3) % 2;
        want_na += r % 11 == 0;
        news[r] = r % 11 == 0 ? NAN : 0.0;   /* "no" or missing: no true cell */
        won[r] = r % 4 == 0;
        ones[r] = 1;
    }
    mql_table *t = tab_new("counts.csv", N, 4);
    col_text(t, 0, "job_level", MQL_COL_CATEGORICAL, jobs);
    col_num(t, 1, "demo_request", MQL_COL_BOOLEAN, flag);
    col_num(t, 2, "newsletter", MQL_COL_BOOLEAN, news);
    col_num(t, 3, "won", MQL_COL_BOOLEAN, won);
    mql_err err;
    for (int k = 0; k < 2; k++) {
        mql_design_opts o;
        mql_design *d = NULL;
        opts_base(&o);
        o.w = k ? ones : NULL;
        assert_int_equal(mql_design_build(t, &o, &d, &err), MQL_OK);
        assert_int_equal(d->n_features, 3);
        const mql_feature *fj = &d->features[0], *fb = &d->features[1];
        assert_string_equal(fj->name, "job_level");
        assert_int_equal(fj->n_levels, 5);
        assert_int_equal(fj->missing_count, want_job[5]);
        for (size_t i = 0; i < fj->n_levels; i++) {
            size_t l = 0;
            while (strcmp(lv[l], fj->levels[i]) != 0)
                l++;
            assert_int_equal(fj->level_count[i], want_job[l]);
        }
        assert_string_equal(fb->name, "demo_request");
        assert_int_equal(fb->missing_count, want_na);
        assert_true(want_true > 0 && want_true + want_na < N);
        /* newsletter's missing cells are not true ones: no (false) is its only value */
        int noted = 0;
        for (size_t i = 0; i < d->n_notes; i++)
            noted |= strncmp(d->notes[i], "newsletter: only 'no' besides missing cells",
                             strlen("newsletter: only 'no' besides missing cells")) == 0;
        assert_true(noted);
        assert_int_equal(d->features[2].missing_count, want_na);
        mql_design_free(d);
        mql_design_opts_clear(&o);
    }
    tab_free(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_build_default_linear),
        cmocka_unit_test(test_reference_rules),
        cmocka_unit_test(test_groups_and_selection),
        cmocka_unit_test(test_bins_and_cuts),
        cmocka_unit_test(test_fill_exact),
        cmocka_unit_test(test_fill_chunks),
        cmocka_unit_test(test_bind_new_table),
        cmocka_unit_test(test_from_parts),
        cmocka_unit_test(test_parser_errors),
        cmocka_unit_test(test_build_option_errors),
        cmocka_unit_test(test_degenerate_columns),
        cmocka_unit_test(test_unweighted_counts),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
