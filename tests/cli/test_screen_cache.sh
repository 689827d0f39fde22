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
KIND=screen SUFFIX=.mqls
. tests/cli/cache_lib.sh
B2B=datasets/b2b-opportunities/B2B_dataset.csv

same_runs leads miss fit $LEADS $ROLES -o
check entry_written [ "$(n_entries)" = 1 ]
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
n=$(n_entries)
run fit $LEADS --outcome became_sql --exclude sql_date,close_date,closed_won,acv -o "$TMP/a.json"
expect other_y_misses 0 'screen cache: miss'
run review $LEADS $ROLES --holdout-last 0.25 -o "$TMP/r1"
expect other_rows_misses 0 'screen cache: miss'
run review $LEADS $ROLES --holdout-last 0.35 -o "$TMP/r2"
expect other_rows_miss_again 0 'screen cache: miss'
run fit $LEADS $ROLES --acv acv -o "$TMP/a.json"
expect other_skip_misses 0 'screen cache: miss'
check each_its_entry [ "$(n_entries)" = $((n + 4)) ]
# a level renamed in every row (same codes, same counts): the evidence names levels
sed 's/,Healthcare,/,Health care,/' $LEADS >"$TMP/renamed.csv"
cp $LEADS "$TMP/orig.csv"
run fit "$TMP/orig.csv" $ROLES -o "$TMP/a.json"
run fit "$TMP/renamed.csv" $ROLES -o "$TMP/b.json"
expect level_text_misses 0 'screen cache: miss'

entry_checks
