#!/bin/sh
# test_read_used.sh: commands that evaluate a saved model without refitting it (backtest MODEL,
# calibrate, compare, plan with data) type and store only the columns the model's rules and the
# role options name (README "Speed"): the results equal those on a file without the other
# columns, problems in the other columns are not reported, a column the model needs and the file
# lacks is still an error, and the table cache serves such a read from an entry of the whole
# table when a command that reads every column stored one.
. tests/cli/lib.sh
unset MQLCAL_NO_CACHE
# same_figures A B: calibrate's report but for its first line (which names the lead file)
same_figures() { tail -n +2 "$1" >"$1.t"; tail -n +2 "$2" >"$2.t"; cmp -s "$1.t" "$2.t"; }
export MQLCAL_CACHE_TRACE=1 MQLCAL_CACHE_MIN_BYTES=0
M=datasets/current-model.rules.csv
ROLES="--outcome closed_won --sql became_sql --date created_date"
FITROLES="$ROLES --acv acv --exclude sql_date,close_date"
# the bundled leads plus a column no rule reads, with a cell that is no finite number
L=$TMP/leads.csv
awk -F, -v OFS=, 'NR == 1 { print $0, "junk_score"; next }
    { print $0, (NR == 7 ? "1e400" : NR % 13) }' datasets/synthetic-leads.csv >"$L"

MQLCAL_NO_CACHE=1 run calibrate $M datasets/synthetic-leads.csv $ROLES
expect calibrate_original 0 ''
cp "$OUT" "$TMP/cal.orig"
MQLCAL_NO_CACHE=1 run calibrate $M "$L" $ROLES
expect calibrate_extra_column 0 ''
check calibrate_same_figures same_figures "$OUT" "$TMP/cal.orig"
check calibrate_unused_column_not_typed sh -c "! grep -q junk_score '$ERR'"
# the same file read whole (inspect types every column) reports the cell
MQLCAL_NO_CACHE=1 run inspect "$L" --outcome closed_won
expect inspect_types_every_column 0 "junk_score"
MQLCAL_NO_CACHE=1 run fit datasets/synthetic-leads.csv $FITROLES -o "$TMP/m.json"
expect fit_for_compare 0 ''

MQLCAL_NO_CACHE=1 run backtest $M datasets/synthetic-leads.csv $ROLES --format csv
cp "$OUT" "$TMP/bt.orig"
MQLCAL_NO_CACHE=1 run backtest $M "$L" $ROLES --format csv
expect backtest_extra_column 0 ''
check backtest_same_table cmp -s "$OUT" "$TMP/bt.orig"
MQLCAL_NO_CACHE=1 run compare $M "$TMP/m.json" "$L" $ROLES
expect compare_extra_column 0 ''

# a column a rule needs is still required
sed 's/^job_level,/job_levelX,/' $M >"$TMP/bad.rules.csv"
MQLCAL_NO_CACHE=1 run calibrate "$TMP/bad.rules.csv" "$L" $ROLES
expect missing_model_column 1 "has no column 'job_levelX' that the model needs"
# and so is a role column
MQLCAL_NO_CACHE=1 run calibrate $M "$L" --outcome closed_wonX
expect missing_role_column 2 "closed_wonX"

# the cache (a table with reading notes is never stored: the column without the bad cell)
L2=$TMP/leads2.csv
awk -F, -v OFS=, 'NR == 1 { print $0, "junk_score"; next } { print $0, NR % 13 }' \
    datasets/synthetic-leads.csv >"$L2"
L=$L2
# an entry of the whole table serves the model's columns
run fit "$L" $FITROLES -o "$TMP/m2.json"
expect cache_fit_stores 0 "table cache: miss"
run calibrate $M "$L" $ROLES
expect cache_whole_entry_serves_calibrate 0 "table cache: hit"
check cache_whole_entry_same_figures same_figures "$OUT" "$TMP/cal.orig"
# without one, the read of some columns is stored under its own key
rm -rf "$XDG_CACHE_HOME"
run calibrate $M "$L" $ROLES
expect cache_subset_miss 0 "table cache: miss"
run calibrate $M "$L" $ROLES
expect cache_subset_hit 0 "table cache: hit"
check cache_subset_same_figures same_figures "$OUT" "$TMP/cal.orig"
run fit "$L" $FITROLES -o "$TMP/m3.json"
expect cache_subset_never_serves_whole 0 "table cache: miss"
