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
KIND=fit SUFFIX=.mqlf
. tests/cli/cache_lib.sh
EXC=sql_date,close_date,became_sql,acv
# (--interactions auto keeps no pair here: its fit is the plain one's, which the first run hits.)
same_runs plain miss fit $LEADS $ROLES -o
check entry_written [ "$(n_entries)" = 1 ]
same_runs firth miss fit $LEADS $ROLES --firth -o
same_runs l2 miss fit $LEADS $ROLES --l2 1 -o
same_runs ix hit fit $LEADS $ROLES --interactions auto -o
# no convergence: exit 4, no model, the same message (the iterations and deviance kept)
same_runs noconv miss fit $LEADS $ROLES --max-iter 2 -o
check noconv_no_model [ ! -e "$TMP/noconv.hit" ]
# separation: exit 1, no model written, the same message from the stored fit
same_runs separated miss fit datasets/b2b-opportunities/B2B_dataset.csv --outcome Status=Won -o
check separated_no_model [ ! -e "$TMP/separated.hit" ]

# another design on the same data misses
n=$(n_entries)
run fit $LEADS --outcome closed_won --exclude $EXC,industry -o "$TMP/x.json"
expect exclude_misses 0 'fit cache: miss'
run fit $LEADS $ROLES --min-level-count 3000 -o "$TMP/x.json"
expect min_level_count_misses 0 'fit cache: miss'
check each_design_its_entry [ "$(n_entries)" = $((n + 2)) ]

entry_checks
# a small design is fitted, not cached (by default under 1 MiB of n x p doubles; 20,000 x 32 are
# about 5 MB)
rm -rf "$CDIR"
export MQLCAL_CACHE_MIN_BYTES=10000000
run fit $LEADS $ROLES -o "$TMP/n.json"
export MQLCAL_CACHE_MIN_BYTES=0
expect small_design_off 0 'fit cache: off'
check small_design_no_entry [ "$(n_entries)" = 0 ]

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
check concurrent_one_entry [ "$(n_entries)" = 1 ]
check concurrent_no_tmp [ -z "$(ls -A "$CDIR" | grep '^\.tmp-')" ]
run fit $LEADS $ROLES --firth -o "$TMP/c3.json"
expect concurrent_entry_hits 0 'fit cache: hit'
check concurrent_hit_same_model cmp -s "$TMP/c1.json" "$TMP/c3.json"

# Under an address-space limit a fit runs its two halves one after the other on one core (glm.c,
# mql_blas_parallel): the same model to the last bit as on two cores (41,188 leads: two halves),
# and cached like any other (a run without the limit then hits its entry).
MQLCAL_NO_CACHE=1 run fit $BANK --outcome y --exclude duration,default -o "$TMP/free.json"
expect bank_unlimited_fit 0 ''
rm -rf "$CDIR"
(ulimit -v 4000000 && run fit $BANK --outcome y --exclude duration,default -o "$TMP/lim.json"; echo "$RC" >"$TMP/lim.rc")
RC=$(cat "$TMP/lim.rc")
expect limited_fit_cached 0 'fit cache: miss'
check limited_same_model cmp -s "$TMP/lim.json" "$TMP/free.json"
run fit $BANK --outcome y --exclude duration,default -o "$TMP/after.json"
expect unlimited_hits_limited_entry 0 'fit cache: hit'

# a review reuses its stored fit: the same report
R="--outcome closed_won --sql became_sql --date created_date --acv acv --maturity 45"
export MQLCAL_NO_CACHE=1
run review $LEADS $R --current datasets/current-model.rules.csv -o "$TMP/rev0"
unset MQLCAL_NO_CACHE
expect review_cold 0 ''
rm -rf "$CDIR"
run review $LEADS $R --current datasets/current-model.rules.csv -o "$TMP/rev1"
check review_stores_fit [ "$(n_entries)" -ge 1 ]
# a hit reads the entry in place; a miss would have renamed a new one over it (a new inode)
fits=$(ls -i "$CDIR"/*.mqlf)
run review $LEADS $R --current datasets/current-model.rules.csv -o "$TMP/rev2"
expect review_warm 0 ''
check review_reads_stored_fit [ "$(ls -i "$CDIR"/*.mqlf)" = "$fits" ]
check review_same_report diff -r "$TMP/rev0" "$TMP/rev2"
