# test_review.sh: `mqlcal review` end to end on the synthetic export: the report's sections, its
# key numbers against the CSVs beside it, self-containment, the output-directory rules, separation
# handling and bad input.
. tests/cli/lib.sh

LEADS=datasets/synthetic-leads.csv
ROLES="--outcome closed_won --sql became_sql --date created_date --acv acv --maturity 45"
R="$TMP/rev"
run review "$LEADS" $ROLES --current datasets/current-model.rules.csv --capacity 200 \
    --revenue 600000 -o "$R"
expect review_ok 0 ''
expect_out review_says_where "review written to $R/index.html"
H="$R/index.html"
for f in index.html model.json rules.csv thresholds.csv calibration.csv bands.csv plan.csv \
    summary.md summary.csv compare.csv grades.csv gains.csv columns.csv .mqlcal-review; do
    check "review_file_$f" [ -s "$R/$f" ]
done
for id in diagnosis data models points thresholds reliability distribution gains grades plan; do
    check "review_section_$id" grep -q "<section id=\"$id\"" "$H"
done
check review_self_contained sh -c "! grep -Eq 'http:|https:|src=|<script|<link|url\(|@import' '$H'"
check review_in_sample_said grep -q 'No split: the new model is fitted and evaluated on the same' "$H"
check review_benchmark_labelled grep -qi 'benchmark from practice' "$H"

# Key numbers: the page shows what the CSVs hold.
kv() { awk -F, -v k="$1" '$1 == k { print $2 }' "$R/summary.csv"; }
shown() { awk -F, -v k="$1" '$1 == k { print $3 }' "$R/summary.csv"; }
T=$(kv recommended_threshold)
# thresholds.csv: column 5 mqls_per_month, 8 sql_rate
ROW=$(awk -F, -v t="$T" 'NR > 1 && $1 == t { print $5, $8 }' "$R/thresholds.csv")
set -- $ROW
MPM=$(printf '%.1f' "$1"); M2S=$(awk -v v="$2" 'BEGIN { printf "%.1f%%", 100 * v }')
check review_rec_threshold_csv [ -n "$ROW" ]
check review_rec_mpm_summary [ "$(shown recommended_mqls_per_month)" = "$MPM" ]
check review_rec_mpm_html grep -qF "$MPM MQLs/month" "$H"
check review_rec_m2s_summary [ "$(shown recommended_mql_to_sql)" = "$M2S" ]
check review_rec_m2s_html grep -qF ">$M2S<" "$H"
# capacity 200: the recommended volume is within it
check review_rec_within_capacity awk -v v="$1" 'BEGIN { exit !(v <= 200) }'
AUC=$(awk -F, '$1 == "AUC" { print $2 }' "$R/metrics.csv")
AUC3=$(printf '%.3f' "$AUC"); AUC4=$(printf '%.4f' "$AUC")
check review_auc_summary [ "$(shown new_auc)" = "$AUC3" ]
check review_auc_kpi grep -qF ">$AUC3<" "$H"
check review_auc_table grep -qF ">$AUC4<" "$H"
PLAN=$(awk -F, '$1 == "MQLs" { print $2 }' "$R/plan.csv")
check review_plan_mqls_table grep -qF ">$(printf '%.2f' "$PLAN")<" "$H"
check review_plan_mqls_kpi grep -qF ">$(printf '%.1f' "$PLAN")<" "$H"
check review_plan_mqls_summary [ "$(shown plan_mqls_needed_per_month)" = "$(printf '%.1f' "$PLAN")" ]
# rules.csv holds the model.json's points (the JSON adds the rounding-cost comment line).
check review_rules_roundtrip sh -c "'$MQLCAL' rules '$R/rules.csv' --format csv | grep -v '^#' > '$TMP/r2.csv' && \
    '$MQLCAL' rules '$R/model.json' --format csv | grep -v '^#' | cmp -s - '$TMP/r2.csv'"
check review_grades_16 [ "$(($(wc -l < "$R/grades.csv") - 1))" = 16 ]

# Re-running replaces the earlier review and leaves nothing beside it.
run review "$LEADS" $ROLES --current datasets/current-model.rules.csv --holdout-last 0.2 -o "$R"
expect review_rerun 0 ''
check review_rerun_holdout grep -q 'Holdout: fitted on the first rows in file order, evaluated on the last 20%' "$R/index.html"
check review_rerun_eval_leads [ "$(kv eval_leads)" = 4000 ]
check review_no_leftovers sh -c "! ls -d '$R'.old-* '$R'.tmp-* 2>/dev/null | grep -q ."

# A failing step (the current model needs a column the leads lack): exit 1, DIR untouched.
printf 'feature,operator,value,points\nno_such_column,>=,1,10\nthreshold,,,10\n' > "$TMP/bad.rules.csv"
SUM=$(cksum < "$R/index.html")
run review "$LEADS" $ROLES --current "$TMP/bad.rules.csv" -o "$R"
expect review_mismatch 1 'no_such_column'
check review_mismatch_untouched [ "$(cksum < "$R/index.html")" = "$SUM" ]
check review_mismatch_no_tmp sh -c "! ls -d '$R'.tmp-* 2>/dev/null | grep -q ."
run review "$LEADS" $ROLES --current "$TMP/bad.rules.csv" -o "$TMP/fresh"
expect review_mismatch_fresh 1 ''
check review_mismatch_nothing_written [ ! -e "$TMP/fresh" ]

# A directory that is not a review: refused without --force (exit 2), moved aside with it.
mkdir -p "$TMP/other" && echo keep > "$TMP/other/keep.txt"
run review "$LEADS" $ROLES -o "$TMP/other"
expect review_foreign_dir 2 '--force'
check review_foreign_untouched sh -c "[ -f '$TMP/other/keep.txt' ] && [ ! -e '$TMP/other/index.html' ]"
run review "$LEADS" $ROLES -o "$TMP/other" --force
expect review_foreign_force 0 'previous contents'
check review_foreign_replaced [ -f "$TMP/other/index.html" ]
check review_foreign_kept sh -c "cat '$TMP'/other.old-*/keep.txt | grep -q keep"

# Separation: demo_request=yes only on won leads. Screening flags such a column as a leakage
# suspect (a value 100% won covering a third of the won leads), so --keep holds it in the model.
# The review refits by Firth and says so;
# an explicit --l2 0 keeps the plain fit, which fails.
awk -F, 'BEGIN { OFS = "," } NR == 1 { print $0, "demo_request"; next }
         { d = ($17 == 1 && NR % 3 == 0) ? "yes" : "no"; print $0, d }' "$LEADS" > "$TMP/sep.csv"
run review "$TMP/sep.csv" $ROLES --keep demo_request -o "$TMP/sep"
# (issue 13: the automatic refit is Firth's penalized likelihood with FLIC, no longer --l2 1)
expect review_separation_refit 0 "the plain fit separates; fitted by Firth's method"
check review_separation_l2 [ "$(awk -F, '$1 == "l2" { print $2 }' "$TMP/sep/summary.csv")" = 0 ]
check review_separation_firth grep -q '^firth,1,yes (the plain fit separates)' "$TMP/sep/summary.csv"
check review_separation_method grep -q '"method": "firth"' "$TMP/sep/model.json"
check review_separation_said grep -q "Separation: fitted by Firth&#39;s method\|Separation: fitted by Firth's method" "$TMP/sep/index.html"
run review "$TMP/sep.csv" $ROLES --keep demo_request --l2 0 -o "$TMP/sep2"
expect review_separation_explicit 1 'demo_request'
check review_separation_explicit_nothing [ ! -e "$TMP/sep2" ]

# Bad input: usage errors name the option and exit 2 before anything is written.
B="$TMP/bad"
run review "$LEADS" $ROLES --revenue 0 --acv 15000 -o "$B"
expect review_zero_revenue 2 '--revenue'
run review "$LEADS" $ROLES --revenue 1000 --win-rate 1.5 --sql-to-opp 0.5 -o "$B"
expect review_rate_above_one 2 '--win-rate: rate 1\.5 is not in \[0\.0001, 1\]'
run review "$LEADS" $ROLES --revenue 1000 --mql-to-sql 0 -o "$B"
expect review_rate_zero 2 '--mql-to-sql'
run review "$LEADS" $ROLES --revenue 1000 --period year -o "$B"
expect review_bad_period 2 "--period: 'year' is not month or quarter"
run review "$LEADS" $ROLES
expect review_no_dir 2 '-o DIR is required'
run review "$LEADS" $ROLES --train-until 2025-06-30 --holdout-last 0.2 -o "$B"
expect review_two_splits 2 'alternatives'
run review "$LEADS" $ROLES --holdout-last 1.5 -o "$B"
expect review_bad_holdout 2 '--holdout-last'
run review "$LEADS" $ROLES --capacity -5 -o "$B"
expect review_bad_capacity 2 '--capacity'
run review "$LEADS" --sql became_sql -o "$B"
expect review_no_outcome 2 'outcome is required'
check review_bad_nothing_written [ ! -e "$B" ]
run help review
expect review_help 0 ''
expect_out review_help_text 'usage: mqlcal review'

# Every percentage the findings quote is a figure of the CSVs beside the page. Allowed without a
# CSV: the definitions the text states (the 95% interval level, the 13-27% benchmark band from
# practice, the leakage rule's 98% / 80%).
R2="$TMP/rev-prose"
run review "$LEADS" $ROLES --current datasets/current-model.rules.csv --train-until 2025-06-30 \
    --capacity 150 -o "$R2"
expect review_prose_run 0 ''
awk '/<div class="callout/ { on = 1 } on { print } /<\/div>/ { on = 0 }' "$R2/index.html" |
    sed 's/<[^>]*>/ /g' | grep -oE '[0-9]+(\.[0-9]+)?%' | sort -u > "$TMP/pcts"
check review_prose_has_figures [ "$(wc -l < "$TMP/pcts")" -ge 10 ]
missing=""
for p in $(cat "$TMP/pcts"); do
    case $p in 95% | 13% | 27% | 98% | 80%) continue ;; esac
    grep -qE "(^|[^0-9.])$(printf '%s' "$p" | sed 's/\./\\./g')" "$R2"/*.csv || missing="$missing $p"
done
check "review_prose_figures_in_csv${missing:+ (missing:$missing)}" [ -z "$missing" ]

# The current model's side runs beside the fit without a memory limit and after it under one
# (its allocations must not take the room the fit made sure of for its BLAS buffer): the two
# routes write the same report, and the limited one finishes.
CUR="--current datasets/current-model.rules.csv --train-until 2025-06-30 --capacity 150"
export SOURCE_DATE_EPOCH=1700000000
run review "$LEADS" $ROLES $CUR -o "$TMP/rev-free"
expect review_unlimited_route 0 ''
sed "s|$TMP/rev-free|DIR|" "$OUT" >"$TMP/free.out"
(ulimit -v 4000000; timeout 120 "$MQLCAL" review "$LEADS" $ROLES $CUR -o "$TMP/rev-lim" \
    >"$OUT" 2>"$ERR" </dev/null; echo $? >"$TMP/lim.rc")
check review_limited_finishes [ "$(cat "$TMP/lim.rc")" = 0 ]
sed "s|$TMP/rev-lim|DIR|" "$OUT" >"$TMP/lim.out"
check review_limited_same_output cmp -s "$TMP/free.out" "$TMP/lim.out"
check review_limited_same_report diff -r "$TMP/rev-free" "$TMP/rev-lim"
