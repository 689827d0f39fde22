#!/bin/sh
# make demo: the quarterly review on the bundled synthetic lead export, written to reports/demo/.
# Each step prints what it does; the outputs are listed at the end.
set -eu
cd "$(dirname "$0")/.."
M=build/mqlcal
D=reports/demo
LEADS=datasets/synthetic-leads.csv
mkdir -p "$D"

echo "== mqlcal inspect $LEADS (profile the export, outcome closed_won)"
$M inspect "$LEADS" --outcome closed_won --sql became_sql --date created_date --acv acv | tee "$D/inspect.txt"
echo
echo "== mqlcal fit $LEADS (logistic regression of closed_won; close_date and sql_date leak the outcome)"
$M fit "$LEADS" --outcome closed_won --sql became_sql --date created_date --acv acv \
    --exclude close_date,sql_date -o "$D/model.json" | tee "$D/fit.txt"
echo
L="--outcome closed_won --sql became_sql --date created_date --acv acv --exclude close_date,sql_date"
echo "== mqlcal backtest (the fitted model, SDR capacity 150 MQLs/month; the last 60 days are censored)"
$M backtest "$D/model.json" "$LEADS" $L --capacity 150 --maturity 60 | tee "$D/backtest.txt"
$M backtest "$D/model.json" "$LEADS" $L --capacity 150 --maturity 60 --format csv >"$D/thresholds.csv"
echo
echo "== mqlcal backtest out of time (fit on leads to 2025-06-30, test on the later ones)"
$M backtest "$LEADS" $L --train-until 2025-06-30 --capacity 150 | tee "$D/backtest-oot.txt"
echo
echo "== mqlcal backtest --walk-forward (refit before each quarter, test on it)"
$M backtest "$LEADS" $L --walk-forward | tee "$D/walk-forward.txt"
echo
echo "== mqlcal calibrate (the current hand-written rules; -o adds a Platt score map)"
$M calibrate datasets/current-model.rules.csv "$LEADS" $L -o "$D/current-recalibrated.json" \
    | tee "$D/calibrate.txt"
$M calibrate datasets/current-model.rules.csv "$LEADS" $L --format csv >"$D/calibration.csv"
echo
echo "== mqlcal compare (current rules vs the fitted model)"
$M compare datasets/current-model.rules.csv "$D/model.json" "$LEADS" $L | tee "$D/compare.txt"
echo
echo "demo outputs in $D/:"
ls -1 "$D"
