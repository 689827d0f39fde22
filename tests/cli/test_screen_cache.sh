#!/bin/sh
# test_screen_cache.sh: the screen cache (README "Fit cache"): a repeat run reuses the stored
# screen and prints, writes and exits exactly as a run without the cache (stdout, stderr but for
# the cache's trace lines, model JSON with SOURCE_DATE_EPOCH, review's report) on every
# datasets/ file, the bank file's duration flagged by its name among them; another y, row subset,
# skip list or a level's text misses; a damaged or truncated entry is screened again and
# replaced; --no-cache writes no screen entry; the size limit removes screen entries too.
# MQLCAL_CACHE_MIN_BYTES=0 caches the small datasets' screens; MQLCAL_CACHE_TRACE=1 says what
# the cache did.
. tests/cli/lib.sh
unset MQLCAL_NO_CACHE MQLCAL_CACHE_MAX_MB MQLCAL_TIMINGS
export MQLCAL_CACHE_TRACE=1 MQLCAL_CACHE_MIN_BYTES=0 SOURCE_DATE_EPOCH=1700000000
CDIR=$XDG_CACHE_HOME/mqlcal
LEADS=datasets/synthetic-leads.csv
ROLES="--outcome closed_won --exclude sql_date,close_date,became_sql,acv"
BANK=datasets/bank-marketing/bank-additional-full.csv
B2B=datasets/b2b-opportunities/B2B_dataset.csv
n_screens() { ls "$CDIR" 2>/dev/null | grep -c '\.mqls$'; }

# same_runs NAME FIRST ARGS...: a run without the cache, then two cached runs (the first does
# FIRST, the second must hit the screen cache): all three print, write and exit alike. ARGS end
# with the output option's flag.
same_runs() {
    sr=$1; first=$2; shift 2
    export MQLCAL_NO_CACHE=1
    run "$@" "$TMP/$sr.cold"
    unset MQLCAL_NO_CACHE
    rc0=$RC; grep -v 'cache: ' "$ERR" >"$TMP/$sr.err0"
    sed "s#$TMP/$sr.cold#OUT#g" "$OUT" >"$TMP/$sr.out0"
    run "$@" "$TMP/$sr.miss"
    expect "${sr}_first_cached_run_$first" "$rc0" "screen cache: $first"
    run "$@" "$TMP/$sr.hit"
    expect "${sr}_second_hits" "$rc0" 'screen cache: hit'
    grep -v 'cache: ' "$ERR" >"$TMP/$sr.err2"
    sed "s#$TMP/$sr.hit#OUT#g" "$OUT" >"$TMP/$sr.out2"
    check "${sr}_same_stdout" cmp -s "$TMP/$sr.out2" "$TMP/$sr.out0"
    check "${sr}_same_stderr" cmp -s "$TMP/$sr.err2" "$TMP/$sr.err0"
    if [ -e "$TMP/$sr.cold" ]; then
        check "${sr}_same_output" diff -r "$TMP/$sr.hit" "$TMP/$sr.cold"
    fi
}

same_runs leads miss fit $LEADS $ROLES -o
check entry_written [ "$(n_screens)" = 1 ]
same_runs bank miss fit $BANK --outcome y -o
check bank_duration_flagged grep -q "leakage suspect.*duration.*the name says 'duration'" \
    "$TMP/bank.err2"
same_runs b2b miss fit $B2B --outcome Status=Won -o
same_runs activity miss fit datasets/synthetic-activity-leads.csv --outcome closed_won \
    --date created_date --key lead_id --activity datasets/synthetic-activity.csv \
    --as-of-days 30 --won-date won_date -o
# (review screens every lead without a split, as fit does: the bank file's screen is stored)
same_runs review miss review $LEADS $ROLES --date created_date -o
same_runs review_bank hit review $BANK --outcome y -o
same_runs review_split miss review $LEADS $ROLES --holdout-last 0.3 -o

# another outcome, row subset, skip list or level text misses
rm -rf "$CDIR"
run fit $LEADS $ROLES -o "$TMP/a.json"
n=$(n_screens)
run fit $LEADS --outcome became_sql --exclude sql_date,close_date,closed_won,acv -o "$TMP/a.json"
expect other_y_misses 0 'screen cache: miss'
run review $LEADS $ROLES --holdout-last 0.25 -o "$TMP/r1"
expect other_rows_misses 0 'screen cache: miss'
run review $LEADS $ROLES --holdout-last 0.35 -o "$TMP/r2"
expect other_rows_miss_again 0 'screen cache: miss'
run fit $LEADS $ROLES --acv acv -o "$TMP/a.json"
expect other_skip_misses 0 'screen cache: miss'
check each_its_entry [ "$(n_screens)" = $((n + 4)) ]
# a level renamed in every row (same codes, same counts): the evidence names levels
sed 's/,Healthcare,/,Health care,/' $LEADS >"$TMP/renamed.csv"
cp $LEADS "$TMP/orig.csv"
run fit "$TMP/orig.csv" $ROLES -o "$TMP/a.json"
run fit "$TMP/renamed.csv" $ROLES -o "$TMP/b.json"
expect level_text_misses 0 'screen cache: miss'

# a damaged entry is screened again (same output) and replaced; a truncated one too
rm -rf "$CDIR"
run fit $LEADS $ROLES -o "$TMP/d0.json"
cp "$OUT" "$TMP/d0.out"
E=$(ls "$CDIR"/*.mqls)
size=$(stat -c %s "$E")
printf 'Z' | dd of="$E" bs=1 seek=$((size - 20)) conv=notrunc 2>/dev/null
run fit $LEADS $ROLES -o "$TMP/d1.json"
expect damaged_is_stale 0 'screen cache: stale'
check damaged_same_output cmp -s "$OUT" "$TMP/d0.out"
run fit $LEADS $ROLES -o "$TMP/d2.json"
expect damaged_rewritten 0 'screen cache: hit'
head -c $((size - 7)) "$E" >"$TMP/cut" && cat "$TMP/cut" >"$E"
run fit $LEADS $ROLES -o "$TMP/d3.json"
expect truncated_is_stale 0 'screen cache: stale'
check truncated_same_output cmp -s "$OUT" "$TMP/d0.out"

# --no-cache and MQLCAL_NO_CACHE: no screen entry
rm -rf "$CDIR"
run fit $LEADS $ROLES --no-cache -o "$TMP/n.json"
expect no_cache_off 0 'screen cache: off'
MQLCAL_NO_CACHE=1 run fit $LEADS $ROLES -o "$TMP/n.json"
expect env_no_cache_off 0 'screen cache: off'
check no_cache_no_entry [ "$(n_screens)" = 0 ]

# the size limit removes the least recently used screen entries too (1 MiB: the table and fit
# entries of the bank file's runs push out the first run's screen)
rm -rf "$CDIR"
run fit $LEADS $ROLES -o "$TMP/s.json"
E=$(ls "$CDIR"/*.mqls)
touch -d '2001-01-01' "$E"
MQLCAL_CACHE_MAX_MB=1 run fit $BANK --outcome y -o "$TMP/s2.json"
check size_limit_trims_screen [ ! -e "$E" ]
