#!/usr/bin/python3
"""ref_metrics.py: writes the metrics test fixture (tests/fixtures/metrics/leads.txt) and the
scikit-learn / numpy reference values (tests/fixtures/metrics/ref_sklearn.txt) that
tests/unit/test_metrics.c compares against. Run with /usr/bin/python3 (scikit-learn 1.2.1,
numpy 1.24.2 when these were produced); then run scripts/ref_metrics.R for the R references.

Data: 5,000 synthetic leads, seed 20240611. 'points' is an integer score (heavy ties, as a points
model produces), 'p_cont' a continuous probability, 'p_pts' a probability that is a function of
the points (ties again), 'y' the 0/1 outcome, 'w' integer weights 1..3, 'p_coarse' p_pts rounded up to
a multiple of 0.05 (duplicate quantile breaks and empty bins). Rows 3000.. are drawn
with a shifted score distribution so PSI between rows [0, 3000) and [3000, 5000) is non-trivial.
"""
import os
import sys

import numpy as np
import sklearn
from sklearn.isotonic import IsotonicRegression
from sklearn.metrics import brier_score_loss, log_loss, roc_auc_score, roc_curve
from sklearn.calibration import calibration_curve

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "fixtures", "metrics")


def make_data():
    rng = np.random.default_rng(20240611)
    n = 5000
    z = rng.standard_normal(n)
    z[3000:] += 0.35                                  # later period scores a bit higher
    points = np.round(25 + 14 * z + rng.normal(0, 4, n))
    points = np.clip(points, -20, 90)
    eta = -2.2 + 1.1 * z + rng.normal(0, 0.6, n)
    y = (rng.random(n) < 1 / (1 + np.exp(-eta))).astype(int)
    p_cont = 1 / (1 + np.exp(-(-2.0 + 0.8 * z + rng.normal(0, 0.3, n))))
    p_pts = 1 / (1 + np.exp(-(-3.6 + 0.075 * points)))
    w = rng.integers(1, 4, n).astype(float)
    p_coarse = np.ceil(p_pts * 20) / 20                  # coarse: duplicate breaks, empty bins
    return points, p_cont, p_pts, y, w, p_coarse


def main():
    os.makedirs(OUT, exist_ok=True)
    points, p_cont, p_pts, y, w, p_coarse = make_data()
    with open(os.path.join(OUT, "leads.txt"), "w") as f:
        f.write("# points p_cont p_pts y w p_coarse  (written by scripts/ref_metrics.py)\n")
        for i in range(len(y)):
            f.write("%.17g %.17g %.17g %d %.17g %.17g\n"
                    % (points[i], p_cont[i], p_pts[i], y[i], w[i], p_coarse[i]))

    ref = []

    def put(name, v):
        ref.append("%s %.17g" % (name, float(v)))

    put("n", len(y))
    for tag, s in (("points", points), ("cont", p_cont)):
        put("auc_%s" % tag, roc_auc_score(y, s))
        put("auc_%s_w" % tag, roc_auc_score(y, s, sample_weight=w))
        for wt, suf in ((None, ""), (w, "_w")):
            fpr, tpr, thr = roc_curve(y, s, sample_weight=wt, drop_intermediate=False)
            d = np.abs(tpr - fpr)
            j = int(np.argmax(d))                        # first maximum, thresholds descending
            put("ks_%s%s" % (tag, suf), d[j])
            put("ks_%s%s_threshold" % (tag, suf), thr[j])

    for tag, p in (("cont", p_cont), ("pts", p_pts), ("coarse", p_coarse)):
        put("brier_%s" % tag, brier_score_loss(y, p))
        put("brier_%s_w" % tag, brier_score_loss(y, p, sample_weight=w))
        put("logloss_%s" % tag, log_loss(y, p))
        put("logloss_%s_w" % tag, log_loss(y, p, sample_weight=w))
        # calibration_curve returns only non-empty bins; counts recomputed as sklearn bins them.
        prob_true, prob_pred = calibration_curve(y, p, n_bins=10, strategy="quantile")
        bins = np.percentile(p, np.linspace(0, 1, 11) * 100)
        counts = np.bincount(np.searchsorted(bins[1:-1], p), minlength=10)
        counts = counts[counts != 0]
        put("rel_%s_bins" % tag, len(prob_true))
        for k in range(len(prob_true)):
            put("rel_%s_%d_true" % (tag, k), prob_true[k])
            put("rel_%s_%d_pred" % (tag, k), prob_pred[k])
            put("rel_%s_%d_n" % (tag, k), counts[k])

    # eps handling of the installed release, on probabilities exactly 0 and 1.
    put("logloss_clip", log_loss([1, 0, 1, 0], [0.0, 1.0, 0.5, 0.25]))

    # Isotonic regression, weighted and unweighted, evaluated on a grid including out-of-range.
    grid = np.array([-100, -20, -3.5, 0, 7.25, 12, 19.5, 25, 31.7, 40, 48.5, 55, 63.2, 77, 90, 200])
    for wt, suf in ((None, ""), (w, "_w")):
        iso = IsotonicRegression(increasing=True, out_of_bounds="clip").fit(points, y, sample_weight=wt)
        for k, g in enumerate(grid):
            put("iso_points%s_%d" % (suf, k), iso.predict([g])[0])
    put("iso_grid_n", len(grid))
    for k, g in enumerate(grid):
        put("iso_grid_%d" % k, g)
    iso = IsotonicRegression(increasing=True, out_of_bounds="clip").fit(p_cont, y)
    pgrid = np.array([0.0, 0.05, 0.1, 0.123456, 0.2, 0.3, 0.5, 0.7, 1.0])
    put("iso_pgrid_n", len(pgrid))
    for k, g in enumerate(pgrid):
        put("iso_pgrid_%d" % k, g)
        put("iso_cont_%d" % k, iso.predict([g])[0])

    # Gains by decile, the header's definition: decile = floor(10 * (#rows with a higher score) / n).
    n = len(y)
    order = np.argsort(-points, kind="stable")
    s_sorted = points[order]
    higher = np.searchsorted(-s_sorted, -s_sorted, side="left")   # rows with a strictly higher score
    dec = (10 * higher) // n
    tot_ev = y.sum()
    cl = ce = 0
    k = 0
    for d in range(10):
        m = dec == d
        if not m.any():
            continue
        leads = int(m.sum()); ev = int(y[order][m].sum())
        cl += leads; ce += ev
        put("gains_%d_leads" % k, leads)
        put("gains_%d_events" % k, ev)
        put("gains_%d_cumshare" % k, ce / tot_ev)
        put("gains_%d_lift" % k, (ev / leads) / (tot_ev / n))
        put("gains_%d_cumlift" % k, (ce / cl) / (tot_ev / n))
        k += 1
    put("gains_rows", k)

    with open(os.path.join(OUT, "ref_sklearn.txt"), "w") as f:
        f.write("# scikit-learn %s, numpy %s: scripts/ref_metrics.py\n" % (sklearn.__version__, np.__version__))
        f.write("\n".join(ref) + "\n")


if __name__ == "__main__":
    sys.exit(main())
