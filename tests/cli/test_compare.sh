# test_compare.sh: `mqlcal compare` of the hand-written rules against a model fitted by mqlcal
# on the same synthetic leads, and its errors.
. tests/cli/lib.sh

LEADS=datasets/synthetic-leads.csv
RULES=datasets/current-model.rules.csv
L="--outcome closed_won --sql became_sql --date created_date --acv acv --exclude sql_date,close_date"

run fit $LEADS $L -o "$TMP/model.json"
expect fit 0 ''

run compare $RULES "$TMP/model.json" $LEADS $L --format csv
expect compare_csv 0 ''
old=$(sed -n 's/^AUC,\([0-9.]*\),.*/\1/p' "$OUT")
new=$(sed -n 's/^AUC,[0-9.]*,\([0-9.]*\),.*/\1/p' "$OUT")
check compare_aucs [ -n "$old" ] && [ -n "$new" ]
# The old AUC is the rules model's (scikit-learn reference 0.72833556718548575).
check compare_old_auc awk -v a="$old" 'BEGIN { exit !(a > 0.7283355671 && a < 0.7283355672) }'
check compare_fitted_higher awk -v a="$old" -v b="$new" 'BEGIN { exit !(b > a + 0.01) }'
expect_out compare_threshold '^threshold,75,'

run compare $RULES "$TMP/model.json" $LEADS $L
expect compare_text 0 ''
expect_out compare_platt 'old  datasets/current-model.rules.csv: 11 rules, threshold 75 \(probabilities from an in-sample Platt fit'
expect_out compare_rules_title '^rules \([0-9]+ changed, [0-9]+ added, [0-9]+ removed, [0-9]+ the same\)'
expect_out compare_removed '^job_level & employees +in & >= +Director\|VP\|C-Level & 100 +25 +removed'
expect_out compare_migration '^become MQL +[0-9]+ '
expect_out compare_verdict 'the new model ranks leads better than the old one'

# Migration counts add up to every lead; the JSON carries every table.
run compare $RULES "$TMP/model.json" $LEADS $L --format json
expect compare_json 0 ''
total=$(sed -n 's/.*"movement": "[^"]*", "leads": \([0-9]*\),.*/\1/p' "$OUT" | awk '{ s += $1 } END { print s }')
check migration_total [ "$total" = 20000 ]
expect_out compare_json_rules '"change": "(changed|added|removed|same)"'

# The same model against itself: nothing moves, every rule is the same.
run compare $RULES $RULES $LEADS $L --format json
expect self 0 ''
expect_out self_become '"movement": "become MQL", "leads": 0,'
expect_out self_stop '"movement": "stop being MQL", "leads": 0,'
check self_same [ "$(grep -c '"change": "same"' "$OUT")" = 11 ]

# Errors: leads without a column a model needs (exit 1), usage.
cut -d, -f1-2,4- $LEADS >"$TMP/no-level.csv"
run compare $RULES "$TMP/model.json" "$TMP/no-level.csv" $L
expect missing_column 1 'job_level'
run compare $RULES $LEADS $L
expect two_files 2 'expected OLD NEW LEADS'
run compare $RULES "$TMP/nope.json" $LEADS $L
expect model_missing 3 ''
