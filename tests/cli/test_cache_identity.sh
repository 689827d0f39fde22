#!/bin/sh
# test_cache_identity.sh: the table cache's identity index (README "Table cache"). A run that
# stores or hits records the file's identity (device, inode, size, modification time) with its
# content hash; the next run checks the entry that record points at while it hashes the CSV, and
# uses it only when the CSV's hash is the one the entry was stored under. A file rewritten in
# place with the same size and time is read again (its old entry is never used); a damaged
# candidate entry is stale; a damaged identity record is ignored and rewritten.
. tests/cli/lib.sh
unset MQLCAL_CACHE_DIR MQLCAL_NO_CACHE MQLCAL_CACHE_MAX_MB
export XDG_CACHE_HOME="$PWD/$TMP/xdg" MQLCAL_CACHE_TRACE=1 MQLCAL_CACHE_MIN_BYTES=0
CDIR=$XDG_CACHE_HOME/mqlcal
L=$TMP/leads.csv
cp $FIX/exports/spellings.csv "$L"
n_records() { ls "$CDIR" 2>/dev/null | grep -c '\.mqli$'; }
same_model() { grep -v '"created"' "$1" >"$1.c"; grep -v '"created"' "$2" >"$2.c"; cmp -s "$1.c" "$2.c"; }
IDENT="entry found by the file's identity"
REJECTED="identity record's entry rejected"

run inspect "$L" --format json
expect first_run_misses 0 "table cache: miss$"
cp "$OUT" "$TMP/inspect1"
check record_written [ "$(n_records)" = 1 ]
run inspect "$L" --format json
expect identity_hit 0 "table cache: hit \\($IDENT\\)"
check identity_hit_same_output cmp -s "$OUT" "$TMP/inspect1"

# rewritten in place, same size, modification time put back: the record still matches, its
# entry (intact, checksums clean) is not this content's, so the CSV is read
touch -r "$L" "$TMP/stamp"
sed 's/Direct Traffic/Organic Search/' "$L" >"$TMP/changed" && cat "$TMP/changed" >"$L"
touch -r "$TMP/stamp" "$L"
check same_size [ "$(stat -c %s "$L")" = "$(stat -c %s $FIX/exports/spellings.csv)" ]
check same_mtime [ "$(stat -c %Y.%y "$L")" = "$(stat -c %Y.%y "$TMP/stamp")" ]
run inspect "$L" --format json --no-cache
cp "$OUT" "$TMP/inspect2"
check content_differs sh -c "! cmp -s '$TMP/inspect1' '$TMP/inspect2'"
run inspect "$L" --format json
expect changed_same_identity_misses 0 "table cache: miss \\($REJECTED"
check changed_output_is_new_content cmp -s "$OUT" "$TMP/inspect2"
run inspect "$L" --format json
expect record_updated_hits 0 "table cache: hit \\($IDENT\\)"
check record_updated_same_output cmp -s "$OUT" "$TMP/inspect2"

# the fit through the identity hit prints and writes what it wrote without the cache
FIT="fit $L --outcome Converted --date Created"
run $FIT -o "$TMP/m1.json" --no-cache
cp "$OUT" "$TMP/fit1"
run $FIT -o "$TMP/m2.json"
expect fit_identity_hit 0 "table cache: hit \\($IDENT\\)"
check fit_same_model same_model "$TMP/m1.json" "$TMP/m2.json"
check fit_same_output cmp -s "$OUT" "$TMP/fit1"

# a damaged candidate entry: stale, read from the CSV, rewritten
for E in "$CDIR"/*.mqlt; do
    size=$(stat -c %s "$E")
    printf 'Z' | dd of="$E" bs=1 seek=$((size - 3)) conv=notrunc 2>/dev/null
done
run inspect "$L" --format json
expect damaged_candidate_stale 0 "table cache: stale \\($IDENT\\)"
check damaged_candidate_same_output cmp -s "$OUT" "$TMP/inspect2"
run inspect "$L" --format json
expect rewritten_candidate_hits 0 "table cache: hit \\($IDENT\\)"

# a damaged identity record: ignored (the CSV's hash finds the entry), then rewritten
R=$(ls "$CDIR"/*.mqli | head -n 1)
printf 'not an identity record\n' >"$R"
run inspect "$L" --format json
expect damaged_record_plain_hit 0 "table cache: hit$"
check damaged_record_same_output cmp -s "$OUT" "$TMP/inspect2"
run inspect "$L" --format json
expect damaged_record_rewritten 0 "table cache: hit \\($IDENT\\)"

# --no-cache neither reads nor writes records
rm -rf "$CDIR"
run inspect "$L" --no-cache
check no_cache_no_record [ ! -e "$CDIR" ]
