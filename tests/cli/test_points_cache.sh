#!/bin/sh
# test_points_cache.sh: the points cache (README "Fit cache"): a repeat `fit` reuses the stored
# points table and prints, writes and exits exactly as a run without the cache (stdout with the
# rounding cost, self-check line and strength note, stderr but for the cache's trace lines,
# model JSON with SOURCE_DATE_EPOCH): default points, --weight, caps, --pdo / --threshold,
# --max-points, --full-check, the bank and activity files, a review's report; another points
# option misses; a damaged or truncated entry is recomputed and replaced; --no-cache writes no
# points entry; the size limit removes points entries too. MQLCAL_CACHE_MIN_BYTES=0 caches the
# small datasets' points; MQLCAL_CACHE_TRACE=1 says what the cache did.
. tests/cli/lib.sh
unset MQLCAL_NO_CACHE MQLCAL_CACHE_MAX_MB MQLCAL_TIMINGS
export MQLCAL_CACHE_TRACE=1 MQLCAL_CACHE_MIN_BYTES=0 SOURCE_DATE_EPOCH=1700000000
CDIR=$XDG_CACHE_HOME/mqlcal
LEADS=datasets/synthetic-leads.csv
ROLES="--outcome closed_won --exclude sql_date,close_date,became_sql,acv"
BANK=datasets/bank-marketing/bank-additional-full.csv
n_points() { ls "$CDIR" 2>/dev/null | grep -c '\.mqlp$'; }

# same_runs NAME FIRST ARGS...: a run without the cache, then two cached runs (the first does
# FIRST, the second must hit the points cache): all three print, write and exit alike.
same_runs() {
    sr=$1; first=$2; shift 2
    export MQLCAL_NO_CACHE=1
    run "$@" -o "$TMP/$sr.cold"
    unset MQLCAL_NO_CACHE
    rc0=$RC; grep -v 'cache: ' "$ERR" >"$TMP/$sr.err0"; cp "$OUT" "$TMP/$sr.out0"
    run "$@" -o "$TMP/$sr.miss"
    expect "${sr}_first_cached_run_$first" "$rc0" "points cache: $first"
    run "$@" -o "$TMP/$sr.hit"
    expect "${sr}_second_hits" "$rc0" 'points cache: hit'
    grep -v 'cache: ' "$ERR" >"$TMP/$sr.err2"
    check "${sr}_same_stdout" cmp -s "$OUT" "$TMP/$sr.out0"
    check "${sr}_same_stderr" cmp -s "$TMP/$sr.err2" "$TMP/$sr.err0"
    check "${sr}_same_model" cmp -s "$TMP/$sr.hit" "$TMP/$sr.cold"
}

same_runs plain miss fit $LEADS $ROLES
check entry_written [ "$(n_points)" = 1 ]
check plain_prints_rounding grep -q 'self-check passed' "$TMP/plain.out0"
same_runs weighted miss fit $LEADS $ROLES --weight email_opens
same_runs caps miss fit $LEADS $ROLES --cap-fit 40 --cap-total 70
same_runs pdo miss fit $LEADS $ROLES --pdo 20 --threshold 30
same_runs max_points miss fit $LEADS $ROLES --max-points 50 --full-check
# (the plain fit of the bank file separates: exit 1, no points step)
same_runs bank miss fit $BANK --outcome y --firth
# (the plain run's points: the format is not the step's)
same_runs json hit fit $LEADS $ROLES --format json
same_runs activity miss fit datasets/synthetic-activity-leads.csv --outcome closed_won \
    --date created_date --key lead_id --activity datasets/synthetic-activity.csv \
    --as-of-days 30 --won-date won_date
# a review's report (its points step goes through the cache too)
export MQLCAL_NO_CACHE=1
run review $LEADS $ROLES --date created_date -o "$TMP/rv0"
unset MQLCAL_NO_CACHE
run review $LEADS $ROLES --date created_date -o "$TMP/rv1"
run review $LEADS $ROLES --date created_date -o "$TMP/rv2"
check review_same_report diff -r "$TMP/rv0" "$TMP/rv2"

# another points option on the same fit misses (the fit hits)
rm -rf "$CDIR"
run fit $LEADS $ROLES -o "$TMP/a.json"
run fit $LEADS $ROLES --max-points 80 -o "$TMP/a.json"
expect max_points_misses 0 'points cache: miss'
expect max_points_fit_hits 0 'fit cache: hit'
run fit $LEADS $ROLES --threshold 25 -o "$TMP/a.json"
expect threshold_misses 0 'points cache: miss'
run fit $LEADS $ROLES --cap-engagement 30 -o "$TMP/a.json"
expect cap_misses 0 'points cache: miss'
run fit $LEADS $ROLES --full-check -o "$TMP/a.json"
expect full_check_misses 0 'points cache: miss'
check each_its_entry [ "$(n_points)" = 5 ]

# a damaged entry is recomputed (same output) and replaced; a truncated one too
rm -rf "$CDIR"
run fit $LEADS $ROLES -o "$TMP/d0.json"
cp "$OUT" "$TMP/d0.out"
E=$(ls "$CDIR"/*.mqlp)
size=$(stat -c %s "$E")
printf 'Z' | dd of="$E" bs=1 seek=$((size / 2)) conv=notrunc 2>/dev/null
run fit $LEADS $ROLES -o "$TMP/d1.json"
expect damaged_is_stale 0 'points cache: stale'
check damaged_same_output cmp -s "$OUT" "$TMP/d0.out"
check damaged_same_model cmp -s "$TMP/d1.json" "$TMP/d0.json"
run fit $LEADS $ROLES -o "$TMP/d2.json"
expect damaged_rewritten 0 'points cache: hit'
head -c $((size - 5)) "$E" >"$TMP/cut" && cat "$TMP/cut" >"$E"
run fit $LEADS $ROLES -o "$TMP/d3.json"
expect truncated_is_stale 0 'points cache: stale'
check truncated_same_output cmp -s "$OUT" "$TMP/d0.out"

# --no-cache and MQLCAL_NO_CACHE: no points entry
rm -rf "$CDIR"
run fit $LEADS $ROLES --no-cache -o "$TMP/n.json"
expect no_cache_off 0 'points cache: off'
MQLCAL_NO_CACHE=1 run fit $LEADS $ROLES -o "$TMP/n.json"
expect env_no_cache_off 0 'points cache: off'
check no_cache_no_entry [ "$(n_points)" = 0 ]

# the size limit removes the least recently used points entries too
rm -rf "$CDIR"
run fit $LEADS $ROLES -o "$TMP/s.json"
E=$(ls "$CDIR"/*.mqlp)
touch -d '2001-01-01' "$E"
MQLCAL_CACHE_MAX_MB=1 run fit $BANK --outcome y -o "$TMP/s2.json"
check size_limit_trims_points [ ! -e "$E" ]
