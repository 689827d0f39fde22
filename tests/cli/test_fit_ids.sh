#!/bin/sh
# test_fit_ids.sh: `fit` with the table cache off reads the leads without the values of
# identifier columns no option names (mql_read_opts.ids_unused; the lead_id of an export). What
# it prints, warns and writes is byte for byte what a read that keeps them gives (the cache on:
# its table is stored for the next command, so it keeps every value): the note on the column,
# a totals row, a repeated header line, and a lead id that is also a role or a join key.
. tests/cli/lib.sh
unset MQLCAL_NO_CACHE
export SOURCE_DATE_EPOCH=1700000000 MQLCAL_CACHE_MIN_BYTES=0
ROLES="--outcome closed_won --sql became_sql --date created_date --acv acv --exclude sql_date,close_date"
L=datasets/synthetic-leads.csv

fit_same_cache_off_on fit_ids_export "$L" $ROLES
check fit_ids_note grep -q "lead_id: identifier-like, not a feature" "$TMP/off.err"

# a totals row at the end: its lead_id cell is the label (values kept) or empty
T=$TMP/totals.csv
{ cat "$L"; echo "Total,,,,,,,,,,,,,,,,,,"; } >"$T"
fit_same_cache_off_on fit_ids_totals_label "$T" $ROLES
check fit_ids_totals_warned grep -q "Total" "$TMP/off.err"
# a totals row labelled in a first column of names: the lead id there is filled, not empty
awk -F, -v OFS=, 'NR == 1 { print "name", $0; next } { print (NR % 2 ? "a" : "b"), $0 }
    END { print "Totals", "L9", "", "", "", "", "", "", "", "", "", "", "", "", "", "", "", "", "", "" }' \
    "$L" >"$T"
fit_same_cache_off_on fit_ids_totals_first_column "$T" $ROLES

# the header line again among the rows (two exports joined): an error either way
H=$TMP/header.csv
{ head -n 3001 "$L"; head -n 1 "$L"; tail -n +3002 "$L"; } >"$H"
fit_same_cache_off_on fit_ids_header_again "$H" $ROLES
check fit_ids_header_error grep -q "the header line again" "$TMP/off.err"

# a lead id named by an option keeps its values: as the outcome (an error that quotes them)
fit_same_cache_off_on fit_ids_as_outcome "$L" --outcome lead_id
check fit_ids_outcome_values grep -q "L00000" "$TMP/off.err"
# and under --features (an error) or --exclude
fit_same_cache_off_on fit_ids_features "$L" --outcome closed_won --features lead_id,employees
fit_same_cache_off_on fit_ids_excluded "$L" $ROLES,lead_id
