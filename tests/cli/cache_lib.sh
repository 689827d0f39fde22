# cache_lib.sh: what the result caches' CLI tests share (test_fit_cache.sh, test_screen_cache.sh,
# test_points_cache.sh). Sourced after lib.sh with KIND (fit, screen, points: the word of its
# trace line "mqlcal: KIND cache: hit") and SUFFIX (its entries' suffix: .mqlf, .mqls, .mqlp).
# MQLCAL_CACHE_MIN_BYTES=0 caches the small datasets' results; MQLCAL_CACHE_TRACE=1 says what
# each cache did.
unset MQLCAL_NO_CACHE MQLCAL_CACHE_MAX_MB MQLCAL_TIMINGS
export MQLCAL_CACHE_TRACE=1 MQLCAL_CACHE_MIN_BYTES=0 SOURCE_DATE_EPOCH=1700000000
CDIR=$XDG_CACHE_HOME/mqlcal
LEADS=datasets/synthetic-leads.csv
ROLES="--outcome closed_won --exclude sql_date,close_date,became_sql,acv"
BANK=datasets/bank-marketing/bank-additional-full.csv

# The entries of this kind in the cache directory.
n_entries() { ls "$CDIR" 2>/dev/null | grep -c "\\$SUFFIX\$"; }

# same_runs NAME FIRST ARGS...: a run without the cache, then two cached runs (the first does
# FIRST, the second must hit this kind's cache): all three print, write and exit alike. ARGS end
# with the output option's flag, which each run completes with a path of its own (stdout is
# compared with that path written OUT).
same_runs() {
    sr=$1; first=$2; shift 2
    export MQLCAL_NO_CACHE=1
    run "$@" "$TMP/$sr.cold"
    unset MQLCAL_NO_CACHE
    rc0=$RC; grep -v 'cache: ' "$ERR" >"$TMP/$sr.err0"
    sed "s#$TMP/$sr.cold#OUT#g" "$OUT" >"$TMP/$sr.out0"
    run "$@" "$TMP/$sr.miss"
    expect "${sr}_first_cached_run_$first" "$rc0" "$KIND cache: $first"
    run "$@" "$TMP/$sr.hit"
    expect "${sr}_second_hits" "$rc0" "$KIND cache: hit"
    grep -v 'cache: ' "$ERR" >"$TMP/$sr.err2"
    sed "s#$TMP/$sr.hit#OUT#g" "$OUT" >"$TMP/$sr.out2"
    check "${sr}_same_stdout" cmp -s "$TMP/$sr.out2" "$TMP/$sr.out0"
    check "${sr}_same_stderr" cmp -s "$TMP/$sr.err2" "$TMP/$sr.err0"
    if [ -e "$TMP/$sr.cold" ]; then
        check "${sr}_same_output" diff -r "$TMP/$sr.hit" "$TMP/$sr.cold"
    fi
}

# entry_checks: a damaged entry (a byte near its end changed) and a truncated one are stale: the
# run computes again, prints and writes as before, and the next run hits the rewritten entry;
# --no-cache and MQLCAL_NO_CACHE say off and write no entry of this kind; the size limit removes
# the least recently used entry of this kind too (1 MiB: the bank file's entries push it out).
entry_checks() {
    rm -rf "$CDIR"
    run fit $LEADS $ROLES -o "$TMP/d0.json"
    cp "$OUT" "$TMP/d0.out"
    E=$(ls "$CDIR"/*"$SUFFIX")
    size=$(stat -c %s "$E")
    printf 'Z' | dd of="$E" bs=1 seek=$((size - 20)) conv=notrunc 2>/dev/null
    run fit $LEADS $ROLES -o "$TMP/d1.json"
    expect damaged_is_stale 0 "$KIND cache: stale"
    check damaged_same_output cmp -s "$OUT" "$TMP/d0.out"
    check damaged_same_model cmp -s "$TMP/d1.json" "$TMP/d0.json"
    run fit $LEADS $ROLES -o "$TMP/d2.json"
    expect damaged_rewritten 0 "$KIND cache: hit"
    head -c $((size - 5)) "$E" >"$TMP/cut" && cat "$TMP/cut" >"$E"
    run fit $LEADS $ROLES -o "$TMP/d3.json"
    expect truncated_is_stale 0 "$KIND cache: stale"
    check truncated_same_output cmp -s "$OUT" "$TMP/d0.out"
    check truncated_same_model cmp -s "$TMP/d3.json" "$TMP/d0.json"

    rm -rf "$CDIR"
    run fit $LEADS $ROLES --no-cache -o "$TMP/n.json"
    expect no_cache_off 0 "$KIND cache: off"
    check no_cache_no_entry [ "$(n_entries)" = 0 ]
    export MQLCAL_NO_CACHE=1
    run fit $LEADS $ROLES -o "$TMP/n.json"
    unset MQLCAL_NO_CACHE
    expect env_no_cache_off 0 "$KIND cache: off"
    check env_no_cache_no_entry [ "$(n_entries)" = 0 ]

    rm -rf "$CDIR"
    run fit $LEADS $ROLES -o "$TMP/s.json"
    E=$(ls "$CDIR"/*"$SUFFIX")
    touch -d '2001-01-01' "$E"
    export MQLCAL_CACHE_MAX_MB=1
    run fit $BANK --outcome y -o "$TMP/s2.json"
    unset MQLCAL_CACHE_MAX_MB
    check size_limit_trims [ ! -e "$E" ]
}
