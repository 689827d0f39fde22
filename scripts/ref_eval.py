#!/usr/bin/python3
"""ref_eval.py: scikit-learn references for tests/unit/test_evaluate.c, computed on the scores
that scripts/make_eval_fixture.sh wrote (tests/fixtures/eval/*-scores.csv); output
tests/fixtures/eval/ref_py.txt as "name value" lines. Run from the repository root:
    /usr/bin/python3 scripts/ref_eval.py
AUC on the integer score (roc_auc_score), Brier and log loss on the probability
(brier_score_loss, log_loss with the default eps), the reliability curve
calibration_curve(y, prob, n_bins=10, strategy='quantile') and, per bin, the row count
(np.searchsorted on the same inner edges, as calibration_curve bins)."""
import numpy as np
import pandas as pd
import sklearn
from sklearn.calibration import calibration_curve
from sklearn.metrics import brier_score_loss, log_loss, roc_auc_score

D = "tests/fixtures/eval/"
SETS = [("syn_rules", "synthetic-scores.csv", "rules"),
        ("syn_fit", "synthetic-scores.csv", "fit"),
        ("bank_fit", "bank-scores.csv", "fit")]
out = ["# scikit-learn %s, numpy %s" % (sklearn.__version__, np.__version__)]


def put(name, v):
    out.append("%s %.17g" % (name, float(v)))


for tag, fname, m in SETS:
    d = pd.read_csv(D + fname)
    y = d["y"].to_numpy()
    s = d[m + "_score"].to_numpy(dtype=float)
    p = d[m + "_prob"].to_numpy(dtype=float)
    put(tag + "_n", len(y))
    put(tag + "_auc", roc_auc_score(y, s))
    put(tag + "_brier", brier_score_loss(y, p))
    put(tag + "_logloss", log_loss(y, p))
    pt, pp = calibration_curve(y, p, n_bins=10, strategy="quantile")
    edges = np.percentile(p, np.linspace(0, 1, 11) * 100)
    ids = np.searchsorted(edges[1:-1], p, side="left")
    counts = np.bincount(ids, minlength=10)
    counts = counts[counts > 0]
    put(tag + "_rel_bins", len(pt))
    for k in range(len(pt)):
        put("%s_rel_%d_true" % (tag, k), pt[k])
        put("%s_rel_%d_pred" % (tag, k), pp[k])
        put("%s_rel_%d_n" % (tag, k), counts[k])

with open(D + "ref_py.txt", "w") as f:
    f.write("\n".join(out) + "\n")
