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

# same NAME ARGS...: fit ARGS with the cache off, then on (a fresh cache: a miss), the same exit
# code, stdout, stderr and model file
same() {
    name=$1; shift
    MQLCAL_NO_CACHE=1 run fit "$@" -o "$TMP/off.json"
    rc_off=$RC; cp "$OUT" "$TMP/off.out"; cp "$ERR" "$TMP/off.err"
    rm -rf "$XDG_CACHE_HOME"
    run fit "$@" -o "$TMP/on.json"
    if [ "$RC" != "$rc_off" ]; then
        echo "not ok $name: exit $rc_off with the cache off, $RC with it on"; return
    fi
    if ! cmp -s "$OUT" "$TMP/off.out" || ! cmp -s "$ERR" "$TMP/off.err"; then
        echo "not ok $name: the output differs"; diff "$TMP/off.err" "$ERR" | head -n 5 | sed 's/^/#   /'
        return
    fi
    if [ -f "$TMP/on.json" ] && ! cmp -s "$TMP/on.json" "$TMP/off.json"; then
        echo "not ok $name: the model differs"; return
    fi
    rm -f "$TMP/on.json" "$TMP/off.json"
    echo "ok $name"
}

same fit_ids_export "$L" $ROLES
check fit_ids_note grep -q "lead_id: identifier-like, not a feature" "$TMP/off.err"

# a totals row at the end: its lead_id cell is the label (values kept) or empty
T=$TMP/totals.csv
{ cat "$L"; echo "Total,,,,,,,,,,,,,,,,,,"; } >"$T"
same fit_ids_totals_label "$T" $ROLES
check fit_ids_totals_warned grep -q "Total" "$TMP/off.err"
# a totals row labelled in a first column of names: the lead id there is filled, not empty
awk -F, -v OFS=, 'NR == 1 { print "name", $0; next } { print (NR % 2 ? "a" : "b"), $0 }
    END { print "Totals", "L9", "", "", "", "", "", "", "", "", "", "", "", "", "", "", "", "", "", "" }' \
    "$L" >"$T"
same fit_ids_totals_first_column "$T" $ROLES

# the header line again among the rows (two exports joined): an error either way
H=$TMP/header.csv
{ head -n 3001 "$L"; head -n 1 "$L"; tail -n +3002 "$L"; } >"$H"
same fit_ids_header_again "$H" $ROLES
check fit_ids_header_error grep -q "the header line again" "$TMP/off.err"

# a lead id named by an option keeps its values: as the outcome (an error that quotes them)
same fit_ids_as_outcome "$L" --outcome lead_id
check fit_ids_outcome_values grep -q "L00000" "$TMP/off.err"
# and under --features (an error) or --exclude
same fit_ids_features "$L" --outcome closed_won --features lead_id,employees
same fit_ids_excluded "$L" $ROLES,lead_id
