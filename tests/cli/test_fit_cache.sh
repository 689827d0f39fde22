#!/bin/sh
# test_fit_cache.sh: the fit cache (README "Fit cache"): a repeat fit reuses the stored fit and
# prints, writes and exits exactly as the first run (model JSON byte for byte with
# SOURCE_DATE_EPOCH, stdout, stderr but for the cache's trace lines, exit code): plain, --firth,
# --l2, --interactions auto, no convergence (exit 4), a separated fit (exit 1), a review; another
# --exclude or --min-level-count misses; a damaged entry is refitted and replaced; --no-cache and
# MQLCAL_NO_CACHE write no fit entry; two runs at once leave one whole entry.
# MQLCAL_CACHE_MIN_BYTES=0 caches the small datasets' fits; MQLCAL_CACHE_TRACE=1 says what the
# cache did.
. tests/cli/lib.sh
unset MQLCAL_NO_CACHE MQLCAL_CACHE_MAX_MB MQLCAL_TIMINGS
export MQLCAL_CACHE_TRACE=1 MQLCAL_CACHE_MIN_BYTES=0 SOURCE_DATE_EPOCH=1700000000
CDIR=$XDG_CACHE_HOME/mqlcal
LEADS=datasets/synthetic-leads.csv
EXC=sql_date,close_date,became_sql,acv
ROLES="--outcome closed_won --exclude $EXC"
n_fits() { ls "$CDIR" 2>/dev/null | grep -c '\.mqlf$'; }

# same_runs NAME ARGS...: runs ARGS with -o FILE twice after a cold run (no cache): the second
# cached run must hit, and all three must print, write and exit alike.
# (--interactions auto keeps no pair here: its fit is the plain one's, which the first run hits.)
same_runs() {
    sr=$1; first=$2; shift 2
    export MQLCAL_NO_CACHE=1
    run "$@" -o "$TMP/$sr.cold"
    unset MQLCAL_NO_CACHE
    rc0=$RC; grep -v 'cache: ' "$ERR" >"$TMP/$sr.err0"; cp "$OUT" "$TMP/$sr.out0"
    run "$@" -o "$TMP/$sr.miss"
    expect "${sr}_first_cached_run_$first" "$rc0" "fit cache: $first"
    run "$@" -o "$TMP/$sr.hit"
    expect "${sr}_second_hits" "$rc0" 'fit cache: hit'
    grep -v 'cache: ' "$ERR" >"$TMP/$sr.err2"
    check "${sr}_same_stdout" cmp -s "$OUT" "$TMP/$sr.out0"
    check "${sr}_same_stderr" cmp -s "$TMP/$sr.err2" "$TMP/$sr.err0"
    if [ -e "$TMP/$sr.cold" ]; then
        check "${sr}_same_model" cmp -s "$TMP/$sr.hit" "$TMP/$sr.cold"
    fi
}

same_runs plain miss fit $LEADS $ROLES
check entry_written [ "$(n_fits)" = 1 ]
same_runs firth miss fit $LEADS $ROLES --firth
same_runs l2 miss fit $LEADS $ROLES --l2 1
same_runs ix hit fit $LEADS $ROLES --interactions auto
# no convergence: exit 4, no model, the same message (the iterations and deviance kept)
same_runs noconv miss fit $LEADS $ROLES --max-iter 2
check noconv_no_model [ ! -e "$TMP/noconv.hit" ]
# separation: exit 1, no model written, the same message from the stored fit
same_runs separated miss fit datasets/b2b-opportunities/B2B_dataset.csv --outcome Status=Won
check separated_no_model [ ! -e "$TMP/separated.hit" ]

# another design on the same data misses
n=$(n_fits)
run fit $LEADS --outcome closed_won --exclude $EXC,industry -o "$TMP/x.json"
expect exclude_misses 0 'fit cache: miss'
run fit $LEADS $ROLES --min-level-count 3000 -o "$TMP/x.json"
expect min_level_count_misses 0 'fit cache: miss'
check each_design_its_entry [ "$(n_fits)" = $((n + 2)) ]

# a damaged entry is refitted (same model) and replaced
rm -rf "$CDIR"
run fit $LEADS $ROLES -o "$TMP/d0.json"
E=$(ls "$CDIR"/*.mqlf)
size=$(stat -c %s "$E")
printf 'Z' | dd of="$E" bs=1 seek=$((size / 2)) conv=notrunc 2>/dev/null
run fit $LEADS $ROLES -o "$TMP/d1.json"
expect damaged_is_stale 0 'fit cache: stale'
check damaged_same_model cmp -s "$TMP/d0.json" "$TMP/d1.json"
run fit $LEADS $ROLES -o "$TMP/d2.json"
expect damaged_rewritten 0 'fit cache: hit'
head -c $((size - 50)) "$E" >"$TMP/cut" && cat "$TMP/cut" >"$E"
run fit $LEADS $ROLES -o "$TMP/d3.json"
expect truncated_is_stale 0 'fit cache: stale'
check truncated_same_model cmp -s "$TMP/d0.json" "$TMP/d3.json"

# --no-cache and MQLCAL_NO_CACHE: no fit entry
rm -rf "$CDIR"
run fit $LEADS $ROLES --no-cache -o "$TMP/n.json"
expect no_cache_off 0 'fit cache: off'
check no_cache_no_entry [ "$(n_fits)" = 0 ]
export MQLCAL_NO_CACHE=1
run fit $LEADS $ROLES -o "$TMP/n.json"
unset MQLCAL_NO_CACHE
expect env_no_cache_off 0 'fit cache: off'
check env_no_cache_no_entry [ "$(n_fits)" = 0 ]
# a small design is fitted, not cached (by default under 1 MiB of n x p doubles; 20,000 x 32 are
# about 5 MB)
export MQLCAL_CACHE_MIN_BYTES=10000000
run fit $LEADS $ROLES -o "$TMP/n.json"
export MQLCAL_CACHE_MIN_BYTES=0
expect small_design_off 0 'fit cache: off'
check small_design_no_entry [ "$(n_fits)" = 0 ]

# two runs at once on an empty cache: both succeed alike, one whole entry, no temporary file
rm -rf "$CDIR"
"$MQLCAL" fit $LEADS $ROLES --firth -o "$TMP/c1.json" >"$TMP/c1.out" 2>"$TMP/c1.err" &
p1=$!
"$MQLCAL" fit $LEADS $ROLES --firth -o "$TMP/c2.json" >"$TMP/c2.out" 2>"$TMP/c2.err" &
p2=$!
wait $p1; rc1=$?
wait $p2; rc2=$?
check concurrent_both_ok [ "$rc1" = 0 ] && [ "$rc2" = 0 ]
check concurrent_same_model cmp -s "$TMP/c1.json" "$TMP/c2.json"
check concurrent_one_entry [ "$(n_fits)" = 1 ]
check concurrent_no_tmp [ -z "$(ls -A "$CDIR" | grep '^\.tmp-')" ]
run fit $LEADS $ROLES --firth -o "$TMP/c3.json"
expect concurrent_entry_hits 0 'fit cache: hit'
check concurrent_hit_same_model cmp -s "$TMP/c1.json" "$TMP/c3.json"

# a review reuses its stored fit: the same report
R="--outcome closed_won --sql became_sql --date created_date --acv acv --maturity 45"
export MQLCAL_NO_CACHE=1
run review $LEADS $R --current datasets/current-model.rules.csv -o "$TMP/rev0"
unset MQLCAL_NO_CACHE
expect review_cold 0 ''
rm -rf "$CDIR"
run review $LEADS $R --current datasets/current-model.rules.csv -o "$TMP/rev1"
check review_stores_fit [ "$(n_fits)" -ge 1 ]
# a hit reads the entry in place; a miss would have renamed a new one over it (a new inode)
fits=$(ls -i "$CDIR"/*.mqlf)
run review $LEADS $R --current datasets/current-model.rules.csv -o "$TMP/rev2"
expect review_warm 0 ''
check review_reads_stored_fit [ "$(ls -i "$CDIR"/*.mqlf)" = "$fits" ]
check review_same_report diff -r "$TMP/rev0" "$TMP/rev2"
