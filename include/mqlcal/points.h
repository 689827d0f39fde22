/* points.h: the integer points model people read and type into HubSpot or Marketo: its rules,
 * MQL threshold, the exact score -> probability map and score bands, and its JSON form. The rules
 * CSV is in rules_csv.h, the conversion from a fitted regression in points_fit.h, scoring in
 * score.h. */
#ifndef MQLCAL_POINTS_H
#define MQLCAL_POINTS_H

#include <limits.h>
#include <jansson.h>

#include "mqlcal/activity.h"
#include "mqlcal/common.h"
#include "mqlcal/rule.h"
#include "mqlcal/value.h"

typedef struct mql_band {
    char *name;           /* "A", "B", ... */
    long lo, hi;          /* score range [lo, hi]; LONG_MIN / LONG_MAX for open ends */
    double p_lo, p_hi;    /* probability at the ends by the score map (NAN without a map); open
                             ends use the lowest / highest score the rules can give */
} mql_band;

/* Step table of a LINEAR design term (fitted models): the value axis is cut at lower bounds
 * lo[1] < ... < lo[n-1]; step k holds [lo[k], lo[k+1]) (step 0 extends to -inf, the last to
 * +inf) and scores points[k]. rep[k] is the step's representative value (the mean of the
 * training values in it). Kept so the self-check can score the model from its own definition,
 * independently of the rules text. */
typedef struct mql_points_step {
    size_t term;          /* design column */
    size_t n;
    double *lo;           /* n; lo[0] = -INFINITY */
    double *rep;          /* n */
    long *points;         /* n */
    double *top;          /* n, built only (NULL when read back): where step k's rule ends,
                             "between lo[k]..top[k]", a short decimal at the data's precision
                             below lo[k + 1] with no training value in (top[k], lo[k + 1]) */
    double *vlo, *vhi;    /* n, built only (NULL when read back): the lowest and highest training
                             value in step k (NAN: none), the leads the sampled self-check
                             looks up on either side of every cut */
    size_t row_lo, row_hi; /* built only: the first training row holding vlo[0] (the lowest
                             value) and vhi[n - 1] (the highest) when the steps learnt them on
                             the way; SIZE_MAX: not known (looked up) */
} mql_points_step;

/* A feature computed from an activity log (engagement that fades): its value at a moment is the
 * decayed count of the lead's events of that type before the moment (activity.h). Rules on the
 * feature score that value; the decay travels with the model so `score --activity --as-of`
 * computes the same feature. per_event is the fitted model's points for one fresh event (beta
 * times the points scale; NAN when unknown): the per-event form a marketing platform applies
 * ("+12 per webinar, losing 75% a month"). */
typedef struct mql_feature_decay {
    char *feature;
    mql_decay decay;
    double per_event;
} mql_feature_decay;

typedef struct mql_points {
    mql_rule *rules;      /* in reading / building order */
    size_t n_rules;
    long threshold;       /* MQL when score >= threshold */
    int has_map;          /* the exact map P(won | score) = 1 / (1 + exp(-(map_a + map_b * score))) */
    double map_a, map_b;
    char *map_method;     /* "model" (from the fit), "platt", "isotonic"; NULL without a map */
    double *iso_x, *iso_y;/* isotonic map knots (score, probability) when map_method = isotonic */
    size_t n_iso;
    double pdo;           /* points to double the odds (fitted models; NAN otherwise) */
    char *threshold_rule; /* how a fitted model's threshold was chosen, in words (not saved:
                             NULL for a model read from a file) */
    mql_band *bands;
    size_t n_bands;
    double auc_exact, auc_points;          /* rounding cost on the training data (NAN: unknown) */
    double logloss_exact, logloss_points;
    double strength;                       /* the fit's strength that scaled the default points
                                              (points_fit.h: mql_points_strength); NAN when the
                                              scale was given or the model was read from a file */
    /* Caps (rules CSV version 2 'cap' rows; MQL_NO_CAP when absent): upper limits on the fit
     * and engagement sub-scores and on the total, applied as the marketing platforms apply them
     * (see mql_points_apply_caps). */
    long cap_fit, cap_engagement, cap_total;
    double auc_capped, logloss_capped;     /* cap cost on the training data: the integer score
                                              capped (compare auc_points / logloss_points);
                                              NAN when unknown or no caps */
    double share_capped;                   /* share of training leads some cap binds (NAN) */
    /* fitted models only (0 / NULL for rules read from a CSV): */
    size_t n_terms;       /* design columns p */
    long *term_points;    /* p: integer points of each indicator term (0 for the intercept, for
                             linear terms and for terms whose points round to 0) */
    mql_points_step *steps;
    size_t n_steps;
    /* The placeholders read as missing in the training file (value.h; v = NULL: the defaults).
     * They travel with the model (JSON "na") and the rules CSV ("# na:" line), so a placeholder
     * kept as an answer with --na (e.g. Select) stays a value when the rules read and score. */
    mql_na_list na;
    mql_feature_decay *decays;   /* activity-log features and their decay (may be 0) */
    size_t n_decays;
} mql_points;

#define MQL_NO_CAP LONG_MAX

/* An empty model (no rules, threshold 0, no map, no caps, pdo and rounding costs NAN), or NULL. */
mql_points *mql_points_new(void);
void mql_points_free(mql_points *m);

/* The model's placeholder list for mql_cell_from_text and mql_rule_init_na: NULL when it is the
 * default one (m->na.n then 0). */
const char *const *mql_points_na(const mql_points *m);

/* Sets the model's placeholder list to a copy of na[0..n) (NULL or the default list: the
 * default). Rules added afterwards read their values with it. MQL_OK or MQL_ENOMEM. */
int mql_points_set_na(mql_points *m, const char *const *na, size_t n, mql_err *err);

/* Appends a deep copy of *r (NULL-safe strings; parsed fields recomputed). Returns MQL_OK or
 * MQL_ENOMEM. */
int mql_points_add_rule(mql_points *m, const mql_rule *r, mql_err *err);

/* Whether m has a cap; whether it needs the rules CSV version 2 (a compound rule or a cap). */
int mql_points_has_caps(const mql_points *m);
int mql_points_is_v2(const mql_points *m);

/* The scoring order with caps, the one definition every scoring path uses:
 *  1. every matched rule's points, negative ones included, are summed per group: fit, engagement;
 *  2. each group sum is capped from above: fit = min(fit, cap_fit), engagement likewise;
 *  3. the total is min(fit + engagement, cap_total).
 * So a cap applies after summing: a lead with +130 positive and -30 negative fit points has
 * fit 100 under a fit cap of 100 (negative points still subtract before the cap), and a cap never
 * raises a score. Writes the capped sub-scores and total (any pointer may be NULL) and returns
 * which caps bound (score above the cap before it): MQL_CAP_FIT | MQL_CAP_ENGAGEMENT |
 * MQL_CAP_TOTAL bits. Without caps: fit, engagement and their sum unchanged, returns 0. */
#define MQL_CAP_FIT 1u
#define MQL_CAP_ENGAGEMENT 2u
#define MQL_CAP_TOTAL 4u
unsigned mql_points_apply_caps(const mql_points *m, long fit, long engagement, long *fit_out,
                               long *engagement_out, long *total);

/* Probability for a score by the model's map: logistic (a + b score), or the isotonic knots
 * (clipped to the knot range, linear between knots). NAN when the model has no map. */
double mql_points_prob(const mql_points *m, double score);

/* Lowest and highest score the rules can give: per feature set (see rule.h) and group the
 * smallest / largest of 0 (no rule matches) and its rules' points, summed, then capped. */
void mql_points_range(const mql_points *m, long *min_score, long *max_score);

/* Recomputes the bands from the threshold. The rule: width w = round(ln 2 / map_b) points (one
 * doubling of the odds; = round(pdo) for fitted models) when the model has a logistic map with
 * b > 0, else max(1, round(|threshold| / 4)); A = [t + wa, inf), B = [t, t + wa - 1],
 * C = [t - wc, t - 1], D = (-inf, t - wc - 1], with wa = wc = w when that fits the score range
 * [smin, smax] of mql_points_range. Otherwise the band beside the threshold narrows so the outer
 * band still holds a reachable score: wa = ceil((smax - t + 1) / 2) when 0 <= smax - t < w, and
 * wc = floor((t - smin) / 2) when 0 < t - smin <= w (each at least 1). So the bands ascend, A and B
 * are MQLs, A starts at or below the best score and D ends at or above the worst whenever the
 * threshold leaves room; p_lo and p_hi are the map's probabilities at the band's ends clipped to
 * the score range (so p_lo <= p_hi). Returns MQL_OK or MQL_ENOMEM. */
int mql_points_make_bands(mql_points *m, mql_err *err);

/* Name of the band holding score (owned by m), or "" when the model has no bands. */
const char *mql_points_band(const mql_points *m, long score);

/* Records (or replaces) the decay of an activity-log feature. MQL_OK or MQL_ENOMEM. */
int mql_points_set_decay(mql_points *m, const char *feature, const mql_decay *d, double per_event,
                         mql_err *err);
/* The decay entry of feature, or NULL. */
const mql_feature_decay *mql_points_decay_of(const mql_points *m, const char *feature);

/* Rejects two rules of one feature set that one lead could both match (MQL_EDATA naming both
 * lines, or both rule numbers for models not read from a file, and a value both match). name
 * names the source in the message. Returns MQL_OK when the rules are mutually exclusive. */
int mql_points_check_overlaps(const mql_points *m, const char *name, mql_err *err);

/* ---- JSON (inside the model file) -------------------------------------------------------- */

/* Every field of m as a JSON object (new reference; NULL on allocation failure). */
json_t *mql_points_to_json(const mql_points *m);
/* Reads what mql_points_to_json writes. MQL_EDATA naming the bad key ("points: key 'rules'[3]
 * 'points' must be an integer") for a missing key or a value of the wrong type, and for rules
 * that fail the same checks as the CSV reader (overlap, bad operator). */
int mql_points_from_json(const json_t *j, mql_points **out, mql_err *err);

#endif
