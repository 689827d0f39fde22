#!/bin/sh
# test_firth.sh: `fit --firth` (Firth's penalized likelihood, FLIC, profile inference), its option
# errors, separation decided by its definition (a large file with one lead fitted at p = 1 is not
# separated), and the automatic Firth refit of `review` and refitting `backtest`.
. tests/cli/lib.sh
F=$FIX/fit

# Separated data: the plain fit refuses and points to --firth; Firth fits and says why.
run fit $F/separated.csv --outcome won -o "$TMP/plain.json"
expect firth_plain_refuses 1 "all 14 leads with demo_request=yes converted.*--firth"
check firth_plain_no_model [ ! -e "$TMP/plain.json" ]
run fit $F/separated.csv --outcome won --firth -o "$TMP/firth.json"
expect firth_fit_ok 0 "separation: all 14 leads with demo_request=yes converted; Firth's penalized likelihood keeps its coefficient finite"
expect_out firth_method_line "^method +Firth's penalized likelihood \(Jeffreys prior\), FLIC intercept"
expect_out firth_profile_said "^p: penalized likelihood-ratio test; ci: profile penalized-likelihood 95% interval"
expect_out firth_pll "^penalized log-likelihood +-[0-9.]+ \(log-likelihood at the Firth estimate"
expect_out firth_pdev "^penalized deviance +[0-9.]+"
expect_out firth_converged "^iterations +[0-9]+ \(converged\)"
expect_out firth_finite "^demo_request +[0-9]+\.[0-9]+ +[0-9]+\.[0-9]+"
check firth_model_method grep -q '"method": "firth"' "$TMP/firth.json"
check firth_model_flic grep -q '"flic": true' "$TMP/firth.json"
check firth_model_profile grep -q '"intervals": "profile"' "$TMP/firth.json"
check firth_model_ci grep -q '"ci_low": ' "$TMP/firth.json"
# the points model works unchanged
run rules "$TMP/firth.json" --format csv
expect firth_rules 0 ""
expect_out firth_rules_demo "^demo_request,=,yes,[0-9]+"
run score "$TMP/firth.json" $F/separated.csv
expect firth_score 0 ""
expect_out firth_score_header "score,fit_score,engagement_score,probability,band"
# FLIC: the mean fitted probability is the event rate (14 + the other won leads of 100)
awk -F, 'NR > 1 { s += $(NF - 5); w += $4 } END { d = s - w; if (d < 0) d = -d; exit !(d < 0.5) }' \
    "$OUT"
check firth_flic_mean [ $? -eq 0 ]

run fit $F/separated.csv --outcome won --firth --no-flic --format json
expect firth_noflic 0 ""
expect_out firth_json_method '"method": "firth"'
expect_out firth_json_noflic '"flic": false'
expect_out firth_json_pll '"penalized_loglik": -[0-9.]+'
run fit $F/separated.csv --outcome won --firth --profile never
expect firth_profile_never 0 ""
expect_out firth_wald_said "^p, ci: Wald, from the penalized information"

# Option errors.
run fit $F/separated.csv --outcome won --firth --l2 1
expect firth_with_l2 2 "--firth and --l2 exclude each other"
run fit $F/separated.csv --outcome won --no-flic
expect firth_noflic_alone 2 "--no-flic only applies with --firth"
run fit $F/separated.csv --outcome won --firth --profile sometimes
expect firth_profile_bad 2 "--profile: expected auto, always or never, got 'sometimes'"

# Separation means separation: 200,000 generated leads with company_size as a linear term and one
# huge company (fitted at p = 1 to machine precision) among overlapping classes.
awk 'BEGIN {
    print "lead_id,company_size,won"
    for (i = 1; i <= 200000; i++) {
        size = (i * 7919) % 2000
        p = 1 / (1 + exp(3 - 0.002 * size))
        won = ((i * 104729) % 1000) < 1000 * p ? 1 : 0
        if (i == 17) { size = 60000; won = 1 }
        printf "L%d,%d,%d\n", i, size, won
    }
}' > "$TMP/big.csv"
# (--keep: the screening would take this patterned column for an identifier)
run fit "$TMP/big.csv" --outcome won --keep company_size -o "$TMP/big.json"
expect firth_big_not_separated 0 "1 lead is fitted at probability 0 or 1 to machine precision; not separation"
check firth_big_model [ -s "$TMP/big.json" ]
check firth_big_no_separation_word sh -c "! grep -q 'separation:' '$ERR'"

# review on the B2B opportunities (default pooling): the plain fit separates, so Firth, saying why.
B2B=datasets/b2b-opportunities/B2B_dataset.csv
run review $B2B --outcome Status=Won -o "$TMP/rev"
expect firth_review_separation 0 "the plain fit separates; fitted by Firth's method"
check firth_review_summary grep -q '^firth,1,yes (the plain fit separates)' "$TMP/rev/summary.csv"
check firth_review_model grep -q '"method": "firth"' "$TMP/rev/model.json"
check firth_review_html grep -q 'Separation: fitted by Firth' "$TMP/rev/index.html"
run review $B2B --outcome Status=Won --l2 1 -o "$TMP/rev2"
expect firth_review_l2_explicit 0 ""
check firth_review_l2_kept grep -q '"method": "ridge"' "$TMP/rev2/model.json"

# The first 2,000 synthetic leads: no separation but 153 events for 31 parameters (EPV 4.9).
S="$TMP/s2000.csv"
head -n 2001 datasets/synthetic-leads.csv > "$S"
X="--exclude close_date,sql_date,acv,became_sql,created_date"
run review "$S" --outcome closed_won $X -o "$TMP/rev3"
expect firth_review_epv 0 "fewer than 10 events per parameter; fitted by Firth's method"
check firth_review_epv_summary grep -q '^firth,1,yes (fewer than 10 events per parameter)' "$TMP/rev3/summary.csv"
check firth_review_epv_html grep -q 'Few events per parameter: fitted by Firth' "$TMP/rev3/index.html"
run review "$S" --outcome closed_won $X --firth -o "$TMP/rev4"
expect firth_review_explicit 0 ""
check firth_review_explicit_summary grep -q '^firth,1,yes (--firth)' "$TMP/rev4/summary.csv"

# backtest refits per fold: they say Firth was used and why.
run backtest $B2B --outcome Status=Won --folds 3 --seed 1
expect firth_backtest_folds 0 "3 of 3 refits used Firth's penalized likelihood with the FLIC intercept \(3: the plain fit separates; 0: fewer than 10 events per parameter\)"
run backtest "$S" --outcome closed_won $X --holdout-last 0.1
expect firth_backtest_epv 0 "1 of 1 refit used Firth's penalized likelihood with the FLIC intercept \(0: the plain fit separates; 1: fewer than 10 events per parameter\)"
