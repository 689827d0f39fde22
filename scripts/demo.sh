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
echo "demo outputs in $D/:"
ls -1 "$D"
