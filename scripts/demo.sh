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
echo "== mqlcal inspect $LEADS (profile the export, outcome closed_won)"
$M inspect "$LEADS" $ROLES | tee "$S/inspect.txt"
echo
echo "== mqlcal fit $LEADS (logistic regression of closed_won; close_date and sql_date leak the outcome)"
$M fit "$LEADS" $ROLES --exclude close_date,sql_date -o "$S/model.json" | tee "$S/fit.txt"
echo
echo "== mqlcal rules (the fitted points table as the rules CSV a CRM admin types in)"
$M rules "$S/model.json" --format csv -o "$S/rules.csv"
$M rules "$S/model.json"
echo
echo "== mqlcal score (every lead: score, fit/engagement sub-scores, probability, band, MQL flag, reasons)"
$M score "$S/model.json" "$LEADS" -o "$S/scored.csv"
head -n 3 "$S/scored.csv" | cut -c 1-400
echo
L="--outcome closed_won --sql became_sql --date created_date --acv acv --exclude close_date,sql_date"
echo "== mqlcal backtest (the fitted model, SDR capacity 150 MQLs/month; the last 60 days are censored)"
$M backtest "$S/model.json" "$LEADS" $L --capacity 150 --maturity 60 | tee "$S/backtest.txt"
$M backtest "$S/model.json" "$LEADS" $L --capacity 150 --maturity 60 --format csv >"$S/thresholds.csv"
echo
echo "== mqlcal backtest out of time (fit on leads to 2025-06-30, test on the later ones)"
$M backtest "$LEADS" $L --train-until 2025-06-30 --capacity 150 | tee "$S/backtest-oot.txt"
echo
echo "== mqlcal backtest --walk-forward (refit before each quarter, test on it)"
$M backtest "$LEADS" $L --walk-forward | tee "$S/walk-forward.txt"
echo
echo "== mqlcal calibrate (the current hand-written rules; -o adds a Platt score map)"
$M calibrate datasets/current-model.rules.csv "$LEADS" $L -o "$S/current-recalibrated.json" \
    | tee "$S/calibrate.txt"
$M calibrate datasets/current-model.rules.csv "$LEADS" $L --format csv >"$S/calibration.csv"
echo
echo "== mqlcal compare (current rules vs the fitted model)"
$M compare datasets/current-model.rules.csv "$S/model.json" "$LEADS" $L | tee "$S/compare.txt"
echo
echo "== mqlcal plan (revenue 600,000 a month; rates from the current model's history)"
$M plan --revenue 600000 --acv acv --model datasets/current-model.rules.csv --leads "$LEADS" \
    --outcome closed_won --sql became_sql --date created_date --maturity 45 | tee "$S/plan.txt"
echo
AL=datasets/synthetic-activity-leads.csv
AE=datasets/synthetic-activity.csv
echo "== mqlcal fit --activity (engagement from an activity log, each lead as of 30 days after creation; how fast each event type fades, fitted from the outcomes)"
$M fit "$AL" --outcome closed_won --date created_date --key lead_id --activity "$AE" \
    --as-of-days 30 --won-date won_date --decay fit -o "$S/activity-model.json" \
    | tee "$S/activity-fit.txt"
$M rules "$S/activity-model.json" --format csv -o "$S/activity-rules.csv"
echo
echo "== mqlcal score --activity --as-of 2026-01-01 (today's scores: old engagement has faded)"
$M score "$S/activity-model.json" "$AL" --activity "$AE" --key lead_id --as-of 2026-01-01 \
    -o "$S/activity-scored.csv"
echo
echo "== mqlcal review $LEADS (current model vs a new fit, the last two quarters held out, capacity 150 MQLs/month, as the backtest)"
$M review "$LEADS" $ROLES --maturity 45 --current datasets/current-model.rules.csv \
    --train-until 2025-06-30 --capacity 150 --revenue 600000 --cycle-days 45 -o "$D"
echo
echo "demo outputs in $S/:"
ls -1 "$S"
echo "review in $D/ (open $D/index.html):"
ls -1 "$D"
