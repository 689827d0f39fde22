#!/bin/sh
# make demo: the quarterly review on the bundled synthetic lead export. The single steps write to
# reports/demo-steps/; the closing `review` owns reports/demo/ (index.html and its CSV tables).
# Each step prints what it does; the outputs are listed at the end. Re-runnable: review replaces
# its own earlier report.
set -eu
cd "$(dirname "$0")/.."
M=build/mqlcal
S=reports/demo-steps
D=reports/demo
LEADS=datasets/synthetic-leads.csv
ROLES="--outcome closed_won --sql became_sql --date created_date --acv acv"
mkdir -p "$S"
# reports/demo from before review existed held these step outputs only: move them out of the way
# so review may own the directory.
if [ -d "$D" ] && [ ! -e "$D/.mqlcal-review" ]; then
    for f in inspect.txt fit.txt model.json; do [ -e "$D/$f" ] && mv "$D/$f" "$S/$f.old"; done
    rmdir "$D" 2>/dev/null || true
fi

echo "== mqlcal inspect $LEADS (profile the export, outcome closed_won)"
$M inspect "$LEADS" $ROLES | tee "$S/inspect.txt"
echo
echo "== mqlcal fit $LEADS (logistic regression of closed_won; close_date and sql_date leak the outcome)"
$M fit "$LEADS" $ROLES --exclude close_date,sql_date -o "$S/model.json" | tee "$S/fit.txt"
echo
echo "== mqlcal plan (revenue 600,000 a month; rates from the current model's history)"
$M plan --revenue 600000 --acv acv --model datasets/current-model.rules.csv --leads "$LEADS" \
    --outcome closed_won --sql became_sql --date created_date --maturity 45 | tee "$S/plan.txt"
echo
echo "== mqlcal review $LEADS (current model vs a new fit, the last two quarters held out, capacity 200 MQLs/month)"
$M review "$LEADS" $ROLES --maturity 45 --current datasets/current-model.rules.csv \
    --train-until 2025-06-30 --capacity 200 --revenue 600000 --cycle-days 45 -o "$D"
echo
echo "demo outputs in $S/:"
ls -1 "$S"
echo "review in $D/ (open $D/index.html):"
ls -1 "$D"
