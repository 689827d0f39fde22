#!/bin/sh
# test_fit_excl.sh: `fit` with the table cache off tokenises the columns it leaves out (--exclude,
# or every column --features does not list) without typing or storing them
# (mql_read_opts.unread). What it prints and writes is byte for byte what a read that keeps them
# gives (the cache on: its table is stored for the next command, so it keeps every value), except
# the reader's warnings about the left-out columns' own cells, which are not read.
. tests/cli/lib.sh
unset MQLCAL_NO_CACHE
export SOURCE_DATE_EPOCH=1700000000 MQLCAL_CACHE_MIN_BYTES=0
ROLES="--outcome closed_won --sql became_sql --date created_date --acv acv"
L=datasets/synthetic-leads.csv

fit_same_cache_off_on fit_excl_export "$L" $ROLES --exclude sql_date,close_date
fit_same_cache_off_on fit_excl_json "$L" $ROLES --exclude sql_date,close_date,lead_source --format json
fit_same_cache_off_on fit_excl_full_check "$L" $ROLES --exclude sql_date,close_date --full-check
# the first column, and a column that is also a role (read: the role needs it)
fit_same_cache_off_on fit_excl_first_and_role "$L" $ROLES --exclude lead_id,sql_date,close_date,acv
# every column --features does not list; one listed and excluded too
fit_same_cache_off_on fit_excl_features "$L" --outcome closed_won --features employees,industry,lead_source
fit_same_cache_off_on fit_excl_features_excluded "$L" --outcome closed_won --features employees,industry \
    --exclude industry,sql_date

# a name the file lacks: exit 2 either way, with the nearest name
fit_same_cache_off_on fit_excl_no_column "$L" $ROLES --exclude sql_dat
check fit_excl_no_column_exit [ "$rc_off" = 2 ]
check fit_excl_no_column_message grep -q "no column 'sql_dat'.*did you mean 'sql_date'" "$TMP/off.err"

# a totals row at the end (its empty cells are counted in the left-out columns too) and the
# header line again among the rows (an error): the file is read whole
T=$TMP/totals.csv
{ cat "$L"; echo "Total,,,,,,,,,,,,,,,,,,"; } >"$T"
fit_same_cache_off_on fit_excl_totals "$T" $ROLES --exclude lead_id,sql_date,close_date
check fit_excl_totals_warned grep -q "Total" "$TMP/off.err"
H=$TMP/header.csv
{ head -n 3001 "$L"; head -n 1 "$L"; tail -n +3002 "$L"; } >"$H"
fit_same_cache_off_on fit_excl_header_again "$H" $ROLES --exclude sql_date,close_date
check fit_excl_header_error grep -q "the header line again" "$TMP/off.err"

# a left-out column's impossible date: no warning (its cells are not read), the same fit
D=$TMP/baddate.csv
sed '2s/,Yes,2024-01-04,/,Yes,2024-02-30,/' "$L" >"$D"
MQLCAL_NO_CACHE=1 run fit "$D" $ROLES --exclude sql_date,close_date -o "$TMP/off.json"
cp "$OUT" "$TMP/off.out"; cp "$ERR" "$TMP/off.err"
expect fit_excl_bad_date_off 0 ""
check fit_excl_bad_date_unwarned sh -c "! grep -q \"column 'sql_date'\" '$TMP/off.err'"
rm -rf "$XDG_CACHE_HOME"
run fit "$D" $ROLES --exclude sql_date,close_date -o "$TMP/on.json"
expect fit_excl_bad_date_warned_on 0 "column 'sql_date': 1 cell is not a day of the calendar"
check fit_excl_bad_date_same_stdout cmp -s "$OUT" "$TMP/off.out"
check fit_excl_bad_date_same_model cmp -s "$TMP/on.json" "$TMP/off.json"
# read (a feature), the column warns with the cache off as well
MQLCAL_NO_CACHE=1 run fit "$D" $ROLES --exclude close_date -o "$TMP/off.json"
expect fit_excl_bad_date_feature_warned 0 "column 'sql_date': 1 cell is not a day"
# not listed by --features, it is left out unread too
MQLCAL_NO_CACHE=1 run fit "$D" --outcome closed_won --features employees,industry -o "$TMP/off.json"
expect fit_excl_bad_date_features_off 0 ""
check fit_excl_bad_date_features_unwarned sh -c "! grep -q \"column 'sql_date'\" '$TMP/off.err'"
