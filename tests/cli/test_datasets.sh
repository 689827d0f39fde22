# test_datasets.sh: the bundled data is what its documentation says: the synthetic leads are
# reproduced byte for byte by build/tools/gen_leads with the documented command, the copied
# public datasets match the md5 sums in their SOURCE files, and the rules model is well formed.
. tests/cli/lib.sh

GEN="$(dirname "$MQLCAL")/tools/gen_leads"
ARGS="--rows 20000 --seed 20261122 --start 2024-01-01 --quarters 8"
D=datasets

check gen_leads_built [ -x "$GEN" ]
check documented_command grep -qF "build/tools/gen_leads $ARGS" "$D/SOURCE-synthetic.md"

md5_documented_early() { grep -qF "$(md5sum "$1" | cut -d ' ' -f 1)" "$2"; }

# shellcheck disable=SC2086
"$GEN" $ARGS --weights "$TMP/w.csv" -o "$TMP/leads.csv" 2>"$ERR"
RC=$?
expect gen_leads_runs 0 ""
check leads_reproduced cmp -s "$TMP/leads.csv" "$D/synthetic-leads.csv"
check weights_reproduced cmp -s "$TMP/w.csv" "$D/synthetic-leads.weights.csv"

# The seed matters: another seed gives another file of the same shape.
"$GEN" --rows 20000 --seed 20261123 -o "$TMP/other.csv" 2>"$ERR"
check other_seed_differs sh -c "! cmp -s '$TMP/other.csv' '$D/synthetic-leads.csv'"
check other_seed_rows [ "$(wc -l <"$TMP/other.csv")" -eq 20001 ]

# The activity-log dataset: reproduced by its documented command, events after each lead's
# moment present (so the "future never counts" rule has something to ignore).
AARGS="--rows 8000 --seed 20261206 --start 2024-01-01 --quarters 8"
check activity_documented grep -qF "build/tools/gen_leads $AARGS" "$D/SOURCE-synthetic.md"
# shellcheck disable=SC2086
"$GEN" $AARGS --activity "$TMP/act.csv" --half-lives 14,60 --as-of-days 30 -o "$TMP/aleads.csv" 2>"$ERR"
RC=$?
expect gen_activity_runs 0 ""
check activity_leads_reproduced cmp -s "$TMP/aleads.csv" "$D/synthetic-activity-leads.csv"
check activity_log_reproduced cmp -s "$TMP/act.csv" "$D/synthetic-activity.csv"
check md5_synthetic-activity md5_documented_early "$D/synthetic-activity.csv" "$D/SOURCE-synthetic.md"
"$GEN" --rows 5 --seed 1 --activity "$TMP/a.csv" --half-lives 14 -o "$TMP/b.csv" >"$OUT" 2>"$ERR"; RC=$?
expect gen_bad_half_lives 2 "not a valid value"

# Error paths: impossible date and missing seed are usage errors (2), an unwritable path is 3,
# and a failed run leaves no output file behind.
"$GEN" --rows 5 --seed 1 --start 2024-02-30 -o "$TMP/bad.csv" >"$OUT" 2>"$ERR"; RC=$?
expect gen_bad_date 2 "not a date"
check gen_bad_date_no_file [ ! -e "$TMP/bad.csv" ]
"$GEN" --rows 5 -o "$TMP/bad.csv" >"$OUT" 2>"$ERR"; RC=$?
expect gen_no_seed 2 "--seed is required"
"$GEN" --rows 5 --seed 1 --numeric 0 -o "$TMP/bad.csv" >"$OUT" 2>"$ERR"; RC=$?
expect gen_bad_numeric 2 "not a valid value"
"$GEN" --rows 5 --seed 1 -o "$TMP/no/such/dir.csv" >"$OUT" 2>"$ERR"; RC=$?
expect gen_unwritable 3 "cannot write"

# Invariants of the synthetic file the documentation promises (the quoted "Media, Entertainment"
# is the only field holding a comma; it is collapsed before splitting).
facts=$(sed 's/"Media, Entertainment"/Media/' "$D/synthetic-leads.csv" | awk -F, '
    NR == 1 { next }
    { n++; won += $17; sql += ($15 == "Yes") }
    $17 == 1 && $15 != "Yes" { bad++ }                      # won implies SQL
    ($17 == 1) != ($18 != "") || ($17 == 1) != ($19 != "") { bad++ }  # close_date, acv only if won
    ($15 == "Yes") != ($16 != "") { bad++ }                 # sql_date only if SQL
    END { printf "%d %d %d %d", n, won, sql, bad }')
check synthetic_counts [ "$facts" = "20000 1251 4491 0" ]
check weights_terms [ "$(grep -c . "$D/synthetic-leads.weights.csv")" -eq 33 ]   # header + 32 terms
check weights_named grep -qx '"industry=Media, Entertainment",-0.15' "$D/synthetic-leads.weights.csv"

# Every bundled data file's md5 is the one its SOURCE file records.
md5_documented() { # $1 = data file, $2 = SOURCE file
    sum=$(md5sum "$1" | cut -d ' ' -f 1)
    grep -qF "$sum" "$2"
}
for f in "$D"/bank-marketing/*.csv "$D"/bank-marketing/*.txt; do
    check "md5_$(basename "$f")" md5_documented "$f" "$D/bank-marketing/SOURCE.md"
done
check md5_B2B_dataset.csv md5_documented "$D/b2b-opportunities/B2B_dataset.csv" \
    "$D/b2b-opportunities/SOURCE.md"
check md5_synthetic-leads.csv md5_documented "$D/synthetic-leads.csv" "$D/SOURCE-synthetic.md"
check md5_synthetic-weights md5_documented "$D/synthetic-leads.weights.csv" "$D/SOURCE-synthetic.md"
check no_olist [ ! -e "$D/olist-marketing-funnel" ]

# The current production model: the version 2 rules header, a threshold row, known operators
# only, integer points (empty only on a compound rule's further rows), the compound rule.
R="$D/current-model.rules.csv"
check rules_header [ "$(head -n 1 "$R")" = "feature,operator,value,points,group,rule" ]
check rules_threshold grep -Eq '^threshold,,,[0-9]+,?,?$' "$R"
check rules_operators sh -c "awk -F, 'NR > 1 && \$1 != \"threshold\" && \$2 !~ /^(=|!=|in|>=|>|<=|<|between|missing)\$/ { bad = 1 } END { exit bad }' '$R'"
check rules_points_integers sh -c "awk -F, 'NR > 1 && \$4 !~ /^[+-]?[0-9]+\$/ && !(\$4 == \"\" && \$6 != \"\") { bad = 1 } END { exit bad }' '$R'"
check rules_compound [ "$(grep -c ',director+ at 100+ employees$' "$R")" = 2 ]
