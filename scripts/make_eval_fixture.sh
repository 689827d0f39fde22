#!/bin/sh
# make_eval_fixture.sh: scores for tests/unit/test_evaluate.c, made by build/mqlcal from the
# bundled datasets (run from the repository root after `make`):
#   tests/fixtures/eval/synthetic-scores.csv  y, then the integer score and probability of the
#       hand-written rules model (datasets/current-model.rules.csv; its probability from the
#       in-sample Platt map that `mqlcal calibrate -o` fits) and of a model fitted by mqlcal
#       on datasets/synthetic-leads.csv
#   tests/fixtures/eval/bank-scores.csv       y, score, probability of a model fitted on
#       datasets/bank-marketing (duration excluded: it is known only after the call; default
#       excluded: its 3 "yes" leads never converted, which separates the fit)
# The reference numbers then come from scripts/ref_eval.py and scripts/ref_eval.R.
set -eu
cd "$(dirname "$0")/.."
M=build/mqlcal
D=tests/fixtures/eval
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
mkdir -p "$D"
SYN=datasets/synthetic-leads.csv
BANK=datasets/bank-marketing/bank-additional-full.csv
L="--outcome closed_won --sql became_sql --date created_date --acv acv --exclude sql_date,close_date"

$M fit "$SYN" $L -o "$T/fit.json" >/dev/null 2>&1
$M calibrate datasets/current-model.rules.csv "$SYN" $L -o "$T/rules-platt.json" >/dev/null
$M score "$T/rules-platt.json" "$SYN" -o "$T/rules.csv"
$M score "$T/fit.json" "$SYN" -o "$T/fit.csv"
$M fit "$BANK" --outcome y --exclude duration,default -o "$T/bank.json" >/dev/null 2>&1
$M score "$T/bank.json" "$BANK" -o "$T/bank.csv"

# The scored files hold quoted reasons with commas: python's csv module picks the columns.
python3 - "$T" "$D" <<'PY'
import csv, sys
t, d = sys.argv[1], sys.argv[2]
def cols(path, names):
    with open(path, newline="") as f:
        return [[row[n] for n in names] for row in csv.DictReader(f)]
def yv(v):
    return "1" if v.strip().lower() in ("1", "yes", "true") else "0"
r = cols(t + "/rules.csv", ["closed_won", "score", "probability"])
f = cols(t + "/fit.csv", ["closed_won", "score", "probability"])
with open(d + "/synthetic-scores.csv", "w") as out:
    out.write("y,rules_score,rules_prob,fit_score,fit_prob\n")
    for a, b in zip(r, f):
        out.write("%s,%s,%s,%s,%s\n" % (yv(a[0]), a[1], a[2], b[1], b[2]))
b = cols(t + "/bank.csv", ["y", "score", "probability"])
with open(d + "/bank-scores.csv", "w") as out:
    out.write("y,fit_score,fit_prob\n")
    for a in b:
        out.write("%s,%s,%s\n" % (yv(a[0]), a[1], a[2]))
PY
wc -l "$D/synthetic-scores.csv" "$D/bank-scores.csv"
