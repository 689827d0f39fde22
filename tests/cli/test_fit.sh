#!/bin/sh
# test_fit.sh: `mqlcal fit` on small crafted files: summary, separation and aliasing policy,
# non-convergence, model file written atomically, option errors and exit codes.
. tests/cli/lib.sh
F=$FIX/fit

run fit $F/aliased.csv --outcome won -o "$TMP/model.json"
expect fit_ok 0 "region_code=W is aliased with earlier terms \(identical to region=west\) and was dropped"
expect_out fit_summary_term "^region_code=W +aliased"
expect_out fit_summary_deviance "^residual deviance +[0-9.]+ on 197 degrees of freedom"
expect_out fit_summary_lr "^LR chi-square"
check fit_model_written grep -q '"format": "mqlcal-model"' "$TMP/model.json"
check fit_model_terms grep -q '"term": "region=west"' "$TMP/model.json"
check fit_model_points grep -q '"points": {' "$TMP/model.json"
run rules "$TMP/model.json" --format csv
expect fit_model_reread_by_rules 0 ""
expect_out fit_rules_visits "^visits,"
check fit_no_temp_left sh -c "! ls '$TMP' | grep -q tmp"

# Same data, same bytes (SOURCE_DATE_EPOCH fixes the created time).
SOURCE_DATE_EPOCH=0 "$MQLCAL" fit $F/aliased.csv --outcome won -o "$TMP/m1.json" 2>/dev/null >&2
SOURCE_DATE_EPOCH=0 "$MQLCAL" fit $F/aliased.csv --outcome won -o "$TMP/m2.json" 2>/dev/null >&2
check fit_deterministic cmp -s "$TMP/m1.json" "$TMP/m2.json"
check fit_created_epoch grep -q '"created": "1970-01-01T00:00:00Z"' "$TMP/m1.json"

run fit $F/separated.csv --outcome won -o "$TMP/sep.json"
expect fit_separation 1 "all 14 leads with demo_request=yes converted.*--l2"
expect_out fit_separation_summary "^demo_request "
check fit_separation_no_model [ ! -e "$TMP/sep.json" ]
run fit $F/separated.csv --outcome won --l2 1 -o "$TMP/sep.json"
expect fit_separation_l2 0 "warning: separation: all 14 leads"
check fit_separation_l2_model [ -s "$TMP/sep.json" ]

run fit $F/aliased.csv --outcome won --max-iter 1 -o "$TMP/noconv.json"
expect fit_noconv 4 "did not converge in 1 iterations"
check fit_noconv_no_model [ ! -e "$TMP/noconv.json" ]

run fit $F/aliased.csv --outcome won --format csv
expect fit_csv 0 ""
expect_out fit_csv_header "^term,coef,se,z,p,ci_low,ci_high,odds_ratio$"
run fit $F/aliased.csv --outcome won --format json
expect fit_json 0 ""
check fit_json_valid python3 -c "import json,sys; d=json.load(open('$OUT')); assert d['statistics']['converged'] and len(d['coefficients']) == 4"

run fit $F/aliased.csv --outcome won --l2 -1
expect fit_bad_l2 2 "--l2: expected a number >= 0, got '-1'"
run fit $F/aliased.csv --outcome won --max-iter 0
expect fit_bad_maxiter 2 "--max-iter: expected an integer"
run fit $F/aliased.csv --outcome won --features region,nonesuch
expect fit_bad_feature 2 "--features: .*nonesuch"
run fit $F/aliased.csv --outcome won --tol abc
expect fit_bad_tol 2 "--tol"
run fit $F/aliased.csv
expect fit_no_outcome 2 "outcome is required"
run fit $F/aliased.csv --outcome won --bogus
expect fit_unknown_option 2 "unknown option '--bogus'"
run fit $F/aliased.csv --outcome won --format md
expect fit_no_md 2 "--format: expected table, csv or json, got 'md'"
run fit $F/aliased.csv $F/aliased.csv --outcome won
expect fit_two_files 2 "fit: unexpected argument '.*aliased.csv': expected LEADS.csv"
run fit --outcome won
expect fit_no_file 2 "fit: expected LEADS.csv, got no file"
run fit $F/aliased.csv --outcome won --weight region
expect fit_weight_text 1 "--weight: column 'region' is categorical"

run fit $F/aliased.csv --outcome won -o "$TMP/no/such/dir/model.json"
expect fit_unwritable 3 "cannot create"
check fit_unwritable_nothing [ ! -e "$TMP/no/such/dir" ]

run fit --help
expect fit_help 0 ""
expect_out fit_help_policy "separation"

# The points table is printed after the summary, self-checked, and scaled by --pdo / --threshold.
SYN="datasets/synthetic-leads.csv --outcome closed_won --exclude close_date,sql_date,acv,became_sql"
run fit $SYN --pdo 20 --threshold 30 -o "$TMP/pdo.json"
expect fit_points_ok 0 ''
expect_out fit_points_printed '^points table \(self-check passed'
expect_out fit_points_pdo '^20 points double the odds of winning'
expect_out fit_points_threshold '^MQL when score >= 30$'
run rules "$TMP/pdo.json" --format csv
expect_out fit_points_in_model '^threshold,,,30,'
run fit $SYN --pdo 0
expect fit_bad_pdo 2 '--pdo: expected a number of points from 1 to 10000'
run fit $SYN --max-points 5
expect fit_bad_max_points 2 '--max-points'
run fit $SYN --threshold 2.5
expect fit_bad_threshold 2 '--threshold: expected a whole number'
