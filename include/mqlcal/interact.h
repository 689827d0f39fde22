/* interact.h: two-way interactions in the fit (`fit --interactions auto` or 'a:b'): which cells
 * of a pair of features get a design column, the likelihood-ratio screening with Holm's
 * multiplicity control, and the held-out (cross-validated) log-loss check that decides what is
 * kept. Kept interactions become design columns (design.h) and, in the points table, compound
 * rules (rule.h). */
#ifndef MQLCAL_INTERACT_H
#define MQLCAL_INTERACT_H

#include "mqlcal/common.h"
#include "mqlcal/design.h"
#include "mqlcal/glm.h"
#include "mqlcal/table.h"

#define MQL_IX_ALPHA 0.05    /* family-wise error rate of the screening (Holm) */
#define MQL_IX_FOLDS 5       /* folds of the held-out log-loss check */

/* One pair that was tried, and what happened to it. */
typedef struct mql_ix_try {
    size_t a, b;             /* feature indices in the design, a < b */
    size_t cells;            /* cells with a column (enough leads, not separating) */
    size_t df;               /* columns the fit kept (cells minus aliased ones) */
    double lr, p;            /* LR statistic = deviance(main) - deviance(main + pair), and its
                                chi-square p-value on df (1 when df = 0) */
    double holm;             /* the level Holm compared p with (alpha / (m - rank)); NAN when
                                the step-down stopped before this pair */
    int significant;         /* p <= holm */
    double cv_without, cv_with;   /* held-out log loss of the model so far without / with the
                                     pair (NAN: not evaluated) */
    int kept;
    char why[200];           /* why kept or not, in words */
} mql_ix_try;

typedef struct mql_ix_report {
    int mode;                /* 0 none, 1 auto, 2 explicit pairs */
    mql_ix_try *tried;       /* in candidate order: features in design order, a before b */
    size_t n_tried;
    double dev_main;         /* deviance of the main-effects model */
} mql_ix_report;

void mql_ix_report_clear(mql_ix_report *r);

/* The cells of the pair (a, b) that get a design column: every pair of a term of a and a term
 * of b with at least min_count training leads (weighted, w may be NULL) that neither all
 * converted nor all did not (a cell that would separate scores by its main effects alone).
 * Fills *out (a, b, n_cells, ta, tb; the caller frees ta and tb). b's binding must be to the
 * training table. MQL_OK, MQL_ENOMEM or the fill's error. */
int mql_ix_cells(const mql_design_binding *bind, const unsigned char *y, const double *w,
                 size_t a, size_t b, size_t min_count, mql_interaction *out, mql_err *err);

/* Chooses the interactions of d (built on table t, outcome y, weights w) and sets them
 * (mql_design_set_interactions). o->interactions_auto: every pair of interactable features
 * (mql_feature_interactable) where at least one is in the fit group (fit x fit, fit x
 * engagement) is screened: the main-effects model is compared with main + pair by the
 * likelihood-ratio test; Holm's step-down at MQL_IX_ALPHA over all pairs screened controls the
 * family-wise error; the significant pairs, in order of increasing p, are each kept when adding
 * them to the model so far lowers the MQL_IX_FOLDS-fold cross-validated log loss (rows dealt to
 * folds in file order, row i to fold i mod 5). o->interactions (explicit "a:b" pairs): kept as
 * asked (LR and p still reported). rep receives every pair tried. MQL_EUSAGE for an unknown
 * feature or one that cannot interact (naming the option), MQL_EDATA, MQL_ENOMEM, or a fit
 * error. gopts may be NULL. */
int mql_interactions_choose(const mql_table *t, const unsigned char *y, const double *w,
                            mql_design *d, const mql_design_opts *o,
                            const mql_glm_opts *gopts, mql_ix_report *rep, mql_err *err);

#endif
