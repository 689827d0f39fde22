#!/bin/sh
# test_postfit.sh: the points step after the fit on a file above the full self-check's 100,000
# leads: the sampled self-check by default, --full-check for every lead, the same model either
# way (plain IRLS and Firth, each with its kept linear predictor), --full-check in
# the help of fit and review.
. tests/cli/lib.sh
export SOURCE_DATE_EPOCH=1700000000

# 120,000 leads from integer arithmetic (no awk rand: the same file under any awk): a decimal
# score (linear steps), visits 0..8, a job level with a level only three leads hold, a flag.
awk 'BEGIN {
    print "lead_id,job,score,visits,flag,won"
    for (r = 0; r < 120000; r++) {
        h = (r * 7919 + 13) % 100003; g = (r * 104729 + 7) % 1009
        job = h % 10 < 4 ? "analyst" : h % 10 < 7 ? "manager" : h % 10 < 9 ? "director" : "vp"
        if (r >= 80000 && r < 80003) job = "chief"
        score = sprintf("%.3f", (h % 20001) / 1000 - 10)
        if (g % 97 == 0) score = ""
        visits = g % 9; flag = (h + g) % 3 == 0 ? "yes" : "no"
        t = (h % 1000) + 60 * visits + (flag == "yes" ? 150 : 0) + (job == "vp" ? 200 : 0)
        won = t > 650 ? (g % 4 != 0) : (g % 5 == 0)
        printf "L%d,%s,%s,%d,%s,%d\n", r, job, score, visits, flag, won
    }
}' > "$TMP/big.csv"

run fit "$TMP/big.csv" --outcome won --min-level-count 2 -o "$TMP/sampled.json"
expect postfit_sampled_ok 0 ""
expect_out postfit_sampled_said "^points table \(self-check passed: the exported rules score every level, the leads either side of every cut and 10000 random training leads as the model does; --full-check checks every lead\)"
expect_out postfit_rare_level "^ *job *= *chief"
run fit "$TMP/big.csv" --outcome won --min-level-count 2 --full-check -o "$TMP/full.json"
expect postfit_full_ok 0 ""
expect_out postfit_full_said "^points table \(self-check passed: the exported rules score every training lead as the model does\)"
check postfit_same_model cmp -s "$TMP/sampled.json" "$TMP/full.json"

# Firth keeps its linear predictor (at the FLIC intercept) for the points step too, and the
# sampled check runs the same way
run fit "$TMP/big.csv" --outcome won --min-level-count 2 --firth -o "$TMP/firth.json"
expect postfit_firth_ok 0 ""
expect_out postfit_firth_sampled "^points table \(self-check passed: the exported rules score every level"
run fit "$TMP/big.csv" --outcome won --min-level-count 2 --firth --full-check -o "$TMP/firth_full.json"
expect postfit_firth_full_ok 0 ""
check postfit_firth_same_model cmp -s "$TMP/firth.json" "$TMP/firth_full.json"

# a small file is always checked in full
run fit $FIX/fit/separated.csv --outcome won --firth
expect postfit_small_ok 0 ""
expect_out postfit_small_full "^points table \(self-check passed: the exported rules score every training lead"

run fit --help
expect_out postfit_help_fit "^  --full-check +self-check every training lead through the exported rules"
run review --help
expect_out postfit_help_review "^  --full-check +self-check every training lead"
