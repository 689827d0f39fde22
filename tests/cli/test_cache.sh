#!/bin/sh
# test_cache.sh: the table cache (README "Table cache"): a repeat run hits and prints what the
# first printed; a corrupt, truncated or foreign entry is ignored (the CSV is read again and the
# entry replaced); a changed file or reading option misses; --no-cache, MQLCAL_NO_CACHE and stdin
# never write; an unwritable cache never fails a command. MQLCAL_CACHE_TRACE=1 makes mqlcal say
# on stderr what the cache did; MQLCAL_CACHE_MIN_BYTES=0 caches the small fixtures.
. tests/cli/lib.sh
unset MQLCAL_CACHE_DIR MQLCAL_NO_CACHE MQLCAL_CACHE_MAX_MB
export XDG_CACHE_HOME="$PWD/$TMP/xdg" MQLCAL_CACHE_TRACE=1 MQLCAL_CACHE_MIN_BYTES=0
CDIR=$XDG_CACHE_HOME/mqlcal
L=$TMP/leads.csv
cp $FIX/exports/spellings.csv "$L"
FIT="fit $L --outcome Converted --date Created"
n_entries() { ls "$CDIR" 2>/dev/null | grep -c '\.mqlt$'; }
entry() { ls "$CDIR"/*.mqlt | head -n 1; }
# same_model A B: the model JSONs agree but for the time they were written
same_model() { grep -v '"created"' "$1" >"$1.c"; grep -v '"created"' "$2" >"$2.c"; cmp -s "$1.c" "$2.c"; }

run $FIT -o "$TMP/m1.json"
expect first_run_misses 0 "table cache: miss"
cp "$OUT" "$TMP/out1"
check entry_written [ "$(n_entries)" = 1 ]
check entry_private [ "$(stat -c %a "$CDIR")" = 700 ]
run $FIT -o "$TMP/m2.json"
expect second_run_hits 0 "table cache: hit"
check hit_same_model same_model "$TMP/m1.json" "$TMP/m2.json"
check hit_same_output cmp -s "$OUT" "$TMP/out1"
run inspect "$L" --format json
expect inspect_hits 0 "table cache: hit"
cp "$OUT" "$TMP/inspect1"

# a damaged entry is never trusted: the CSV is read again, the output unchanged, the entry rewritten
E=$(entry)
size=$(stat -c %s "$E")
printf 'Z' | dd of="$E" bs=1 seek=$((size - 3)) conv=notrunc 2>/dev/null
run $FIT -o "$TMP/m3.json"
expect flipped_byte_is_stale 0 "table cache: stale"
check flipped_byte_same_model same_model "$TMP/m1.json" "$TMP/m3.json"
run $FIT -o "$TMP/m3.json"
expect rewritten_entry_hits 0 "table cache: hit"
head -c $((size / 2)) "$E" >"$TMP/half" && cp "$TMP/half" "$E"
run inspect "$L" --format json
expect truncated_is_stale 0 "table cache: stale"
check truncated_same_output cmp -s "$OUT" "$TMP/inspect1"
printf 'not a cache entry\n' >"$E"
run inspect "$L" --format json
expect foreign_is_stale 0 "table cache: stale"
check foreign_same_output cmp -s "$OUT" "$TMP/inspect1"
check still_one_entry [ "$(n_entries)" = 1 ]

# another reading option or another file content: a miss, a second entry
run inspect "$L" --na +Select
expect other_na_misses 0 "table cache: miss"
run inspect "$L" --categorical TotalVisits
expect other_categorical_misses 0 "table cache: miss"
check three_entries [ "$(n_entries)" = 3 ]
sed 's/Direct Traffic/Referral/' "$FIX/exports/spellings.csv" >"$L"
run inspect "$L"
expect changed_file_misses 0 "table cache: miss"

# --no-cache, MQLCAL_NO_CACHE=1 and stdin read the CSV and write nothing
rm -rf "$CDIR"
run inspect "$L" --no-cache
expect no_cache_off 0 "table cache: off"
check no_cache_writes_nothing [ ! -e "$CDIR" ]
MQLCAL_NO_CACHE=1 "$MQLCAL" inspect "$L" >"$OUT" 2>"$ERR"; RC=$?
expect env_no_cache_off 0 "table cache: off"
check env_no_cache_writes_nothing [ ! -e "$CDIR" ]
"$MQLCAL" inspect - <"$L" >"$OUT" 2>"$ERR"; RC=$?
expect stdin_off 0 "table cache: off"
check stdin_writes_nothing [ ! -e "$CDIR" ]
MQLCAL_CACHE_MIN_BYTES= "$MQLCAL" inspect "$L" >"$OUT" 2>"$ERR"; RC=$?
expect small_file_off 0 "table cache: off"
check small_file_writes_nothing [ ! -e "$CDIR" ]

# a cache that cannot be written never fails the command
mkdir -p "$TMP/ro" && : >"$TMP/ro/mqlcal"       # a file where the directory should be
XDG_CACHE_HOME="$PWD/$TMP/ro" "$MQLCAL" inspect "$L" >"$OUT" 2>"$ERR"; RC=$?
expect unwritable_cache_reads 0 "table cache: not stored"

# errors are not cached: the same bad file fails the same way twice
run inspect $FIX/bad/too_many.csv
expect bad_file_first 1 "bad/too_many.csv:4: 4 fields, header has 3"
run inspect $FIX/bad/too_many.csv
expect bad_file_again 1 "bad/too_many.csv:4: 4 fields, header has 3"

run fit --help
expect_out help_lists_no_cache "--no-cache"
