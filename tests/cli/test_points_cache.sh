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
KIND=points SUFFIX=.mqlp
. tests/cli/cache_lib.sh

same_runs plain miss fit $LEADS $ROLES -o
check entry_written [ "$(n_entries)" = 1 ]
check plain_prints_rounding grep -q 'self-check passed' "$TMP/plain.out0"
same_runs weighted miss fit $LEADS $ROLES --weight email_opens -o
same_runs caps miss fit $LEADS $ROLES --cap-fit 40 --cap-total 70 -o
same_runs pdo miss fit $LEADS $ROLES --pdo 20 --threshold 30 -o
same_runs max_points miss fit $LEADS $ROLES --max-points 50 --full-check -o
# (the plain fit of the bank file separates: exit 1, no points step)
same_runs bank miss fit $BANK --outcome y --firth -o
# (the plain run's points: the format is not the step's)
same_runs json hit fit $LEADS $ROLES --format json -o
same_runs activity miss fit datasets/synthetic-activity-leads.csv --outcome closed_won \
    --date created_date --key lead_id --activity datasets/synthetic-activity.csv \
    --as-of-days 30 --won-date won_date -o
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
check each_its_entry [ "$(n_entries)" = 5 ]

entry_checks
