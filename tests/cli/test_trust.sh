# test_trust.sh: trustworthy by default (issue 11): leakage screening in inspect, fit and review;
# identifier-like numbers; a fit too good to be true; a model that does not beat chance; fit and
# engagement groups with their reasons. Fixtures: tests/fixtures/trust/ (scripts/gen_trust.c).
. tests/cli/lib.sh

T=$FIX/trust
LEAKY=$T/leaky-leads.csv
NOSIG=$T/no-signal.csv
LR="--outcome Converted --date Created\ Date"

# ---- the fixtures are what the committed generator writes ----------------------------------------
GEN="$(dirname "$MQLCAL")/tools/gen_trust"
if [ -x "$GEN" ]; then
    "$GEN" leaky "$TMP/leaky.csv" && "$GEN" nosignal "$TMP/nosig.csv"
    check trust_fixture_leaky_reproducible cmp -s "$TMP/leaky.csv" "$LEAKY"
    check trust_fixture_nosignal_reproducible cmp -s "$TMP/nosig.csv" "$NOSIG"
else
    echo "not ok trust_fixture_generator: $GEN not built"
fi

# ---- inspect lists the suspects with their evidence -----------------------------------------------
run inspect "$LEAKY" --outcome Converted --date "Created Date"
expect trust_inspect 0 ''
expect_out trust_inspect_tags "Tags: leakage suspect: single-feature AUC 0\.944 \(95% interval 0\.935-0\.952\); 'Closed by Horizzon' on 175 rows, 100\.0% of them won, 28\.0% of all won leads; 1 more value like it; the name says 'tags'"
expect_out trust_inspect_quality "Lead Quality: leakage suspect: the name says 'quality'; single-feature AUC 0\.725"
expect_out trust_inspect_notable "Last Notable Activity: leakage suspect: 'Had a Phone Conversation' on 106 rows, 99\.1% of them won, 16\.8% of all won leads"
expect_out trust_inspect_vendor "Vendor Activity Score: leakage suspect: single-feature AUC 0\.961 \(95% interval 0\.955-0\.968\)"
expect_out trust_inspect_lead_number "Lead Number: identifier-like: 2000 distinct integers in 2000 filled rows; rising with row order \(100\.0% of 1999 changes\)"
expect_out trust_inspect_rule "screening rule: a candidate feature is a leakage suspect when"
check trust_inspect_genuine_not_flagged sh -c "! grep -Eq '^  (Lead Origin|Total Time Spent on Website|What is your current occupation):' '$OUT'"
run inspect "$LEAKY" --outcome Converted --date "Created Date" --format json
check trust_inspect_json_rule grep -q '"screening_rule": "a candidate feature' "$OUT"

# ---- fit keeps the suspects but warns; identifiers are never features unless asked ----------------
run fit "$LEAKY" --outcome Converted --date "Created Date" --l2 1
expect trust_fit_warns 0 "warning: leakage suspect in the model: Tags \(single-feature AUC 0\.944"
expect trust_fit_warns_vendor 0 "leakage suspect in the model: Vendor Activity Score .* 'review' leaves such columns out, here --exclude Vendor Activity Score does"
expect trust_fit_too_good 0 "warning: too good to be true: training AUC 0\.99[0-9], McFadden R2 0\.[6-9][0-9]*; .* It rests on Vendor Activity Score \(single-feature AUC 0\.961\), Tags \(single-feature AUC 0\.944\)"
expect trust_fit_idlike_note 0 "note: Lead Number: identifier-like \(2000 distinct integers in 2000 filled rows; rising with row order .*\); not a feature \(--keep Lead Number keeps it\)"
check trust_fit_no_lead_number sh -c "! grep -q '^Lead Number ' '$OUT'"
run fit "$LEAKY" --outcome Converted --date "Created Date" --l2 1 --keep "Lead Number"
expect trust_fit_keep 0 ''
expect_out trust_fit_keep_term "^Lead Number +-?[0-9]"
run fit "$LEAKY" --outcome Converted --date "Created Date" --l2 1 --features "Lead Number,Lead Origin"
expect trust_fit_features_asks 0 ''
expect_out trust_fit_features_term "^Lead Number +-?[0-9]"
run fit "$LEAKY" --outcome Converted --keep Nope
expect trust_fit_keep_unknown 2 "^mqlcal: --keep: no column 'Nope' in tests/fixtures/trust/leaky-leads.csv$"

# ---- groups: whole words and the column's nature, each with its reason ----------------------------
run fit "$LEAKY" --outcome Converted --date "Created Date" --exclude "Tags,Lead Quality,Last Notable Activity,Vendor Activity Score"
expect trust_fit_clean 0 ''
expect_out trust_group_time "^Total Time Spent on Website +engagement +time on site \('time' in the name\)"
expect_out trust_group_dne "^Do Not Email +fit +consent or contact permission \('do not' in the name\)"
expect_out trust_group_interview "^A free copy of Mastering The Interview +fit +no activity word in the name, so an attribute of the lead \(the default\)"
expect_out trust_group_visits "^TotalVisits +engagement +an activity \('visits' in the name\)"
expect_out trust_group_origin "^Lead Origin +fit +an attribute of the lead \('origin' in the name\)"
expect_out trust_group_rule "^engagement +Total Time Spent on Website"
run fit datasets/synthetic-leads.csv --outcome closed_won --sql became_sql --date created_date --acv acv --exclude close_date,sql_date
expect trust_demo_fit 0 ''
expect_out trust_group_domain "^email_domain_type +fit +an attribute of the lead \('domain' in the name\)"
expect_out trust_group_days "^days_since_last_activity +engagement +days since the last activity"
expect_out trust_demo_full_scale "scores range from -[0-9]+ to 100$"
run fit datasets/synthetic-leads.csv --outcome closed_won --acv acv --exclude close_date,sql_date,became_sql --engagement email_domain_type
expect_out trust_group_forced "^email_domain_type +engagement +--engagement$"

# ---- a naive review leaves the suspects out and says so before any figure -------------------------
# With --train-until the screening sees the 1,689 training leads only (created up to 2025-03-31),
# so its figures are those of the training leads, not of the whole file as in inspect and fit.
R="$TMP/leaky"
run review "$LEAKY" --outcome Converted --date "Created Date" --train-until 2025-03-31 -o "$R"
expect trust_review 0 ''
check trust_review_first_line sh -c "sed -n 2p '$OUT' | grep -q '^Leakage suspects left out of the new model: 4 columns look filled during or after the sales process, so the new model leaves them out: Tags (single-feature AUC 0.944'"
check trust_review_ids_second sh -c "sed -n 3p '$OUT' | grep -q '^Identifier-like numbers left out: Lead Number (1689 distinct integers in 1689 filled rows'"
check trust_review_before_kpi sh -c "sed -n 4p '$OUT' | grep -q '^new model AUC'"
for c in "Tags" "Lead Quality" "Last Notable Activity" "Vendor Activity Score" "Lead Number"; do
    check "trust_review_left_out_$(echo "$c" | tr ' ' _)" sh -c "! grep -q '^$c,' '$R/rules.csv'"
done
check trust_review_md_read_first sh -c "awk '/^## Read first/ { a = NR } /^## Recommendation/ { b = NR } END { exit !(a && b && a < b) }' '$R/summary.md'"
check trust_review_md_evidence grep -q "^- \*\*Leakage suspects left out of the new model.\*\* 4 columns .*Vendor Activity Score (single-feature AUC 0.962 (95% interval 0.954-0.969))" "$R/summary.md"
# In the page the callout comes before the first KPI card.
check trust_review_html_before_kpi awk '/Leakage suspects left out of the new model/ && !a { a = NR } /class="kpi"/ && !k { k = NR } END { exit !(a && k && a < k) }' "$R/index.html"
check trust_review_screening_csv grep -q '^Vendor Activity Score,yes,no,yes,0\.96158' "$R/screening.csv"
check trust_review_screening_kept_genuine grep -q '^Lead Origin,no,no,no,' "$R/screening.csv"
check trust_review_groups_csv grep -q '^Total Time Spent on Website,engagement,time on site' "$R/groups.csv"
check trust_review_groups_html grep -q "Each feature&#39;s group\|Each feature's group" "$R/index.html"
check trust_review_beats_chance grep -q '^new_model_beats_chance,1,yes$' "$R/summary.csv"

# --keep keeps one suspect; the finding then names the other three.
run review "$LEAKY" --outcome Converted --date "Created Date" --train-until 2025-03-31 --keep "Lead Quality" -o "$TMP/keep"
expect trust_review_keep 0 ''
expect_out trust_review_keep_three "^Leakage suspects left out of the new model: 3 columns .*: Tags \("
check trust_review_keep_in_model grep -q '^Lead Quality,' "$TMP/keep/rules.csv"

# Kept suspects make a model too good to be true: the review leads with it, naming the carriers.
run review "$LEAKY" --outcome Converted --date "Created Date" --train-until 2025-03-31 --keep "Tags,Vendor Activity Score" -o "$TMP/good"
expect trust_review_too_good 0 ''
expect_out trust_review_too_good_said "^Too good to be true: The new model's AUC is 0\.9[5-9][0-9] on the evaluation leads \(95% interval 0\.9[0-9]+-[01]\.[0-9]+\) and its McFadden R2 0\.[0-9]+: .* It rests on Vendor Activity Score \(single-feature AUC 0\.962\), Tags \(single-feature AUC 0\.944\)"
check trust_review_too_good_md grep -q '^- \*\*Too good to be true.\*\*' "$TMP/good/summary.md"

# ---- a model that does not beat chance: no threshold anywhere -------------------------------------
N="$TMP/nosig"
run review "$NOSIG" --outcome won --date created_date --train-until 2025-06-30 -o "$N"
expect trust_nosignal 0 ''
check trust_nosignal_first sh -c "sed -n 2p '$OUT' | grep -q '^The new model does not beat chance: Its AUC is 0.550 on the evaluation leads (95% interval 0.487-0.613, which holds 0.5: a coin) and the likelihood-ratio test of its features on the training leads gives p = 0.43 (not significant at 5%). It should not replace the current model, and no new threshold is recommended.'"
expect_out trust_nosignal_cli "^new model AUC 0\.550 \(evaluation leads\); no recommended threshold \(the new model does not beat chance\)$"
check trust_nosignal_md grep -q '^No new threshold is recommended: the new model does not beat chance' "$N/summary.md"
check trust_nosignal_md_first sh -c "grep -m1 '^- \*\*' '$N/summary.md' | grep -q 'The new model does not beat chance'"
check trust_nosignal_csv_no_threshold sh -c "! grep -q '^recommended_' '$N/summary.csv'"
check trust_nosignal_csv_flag grep -q '^new_model_beats_chance,0,no$' "$N/summary.csv"
check trust_nosignal_html_kpi grep -q 'kpi-value">none<' "$N/index.html"
check trust_nosignal_html_no_marker sh -c "! grep -Eq '>recommended: [0-9-]' '$N/index.html'"
check trust_review_html_marker grep -Eq '>recommended: [0-9-]' "$R/index.html"
# Points scaled to the weak fit (at most 10 above the baseline), and the heatmap's minimum span.
check trust_nosignal_points_small awk -F, '$1 != "feature" && $1 != "threshold" && $1 !~ /^#/ { p = $4 < 0 ? -$4 : $4; if (p > 10) bad = 1 } END { exit bad }' "$N/rules.csv"
check trust_nosignal_strength grep -q '^new_points_strength,0.1,10%$' "$N/summary.csv"
check trust_nosignal_span_said grep -q "colours span at least 13 percentage points" "$N/summary.md"
run fit "$NOSIG" --outcome won --date created_date
expect trust_nosignal_fit 0 ''
expect_out trust_nosignal_fit_scaled "^points scaled to the fit's strength: the best lead scores about 10 points above the baseline, not 100 \(training AUC 0\.59[0-9]+, likelihood-ratio test not significant at 5%; --max-points or --pdo sets the scale\)$"
run fit "$NOSIG" --outcome won --date created_date --max-points 100
expect_out trust_nosignal_fit_given "scores range from -?[0-9]+ to 100$"

# ---- a call's length in the name: known only once the call took place (Bank Marketing's duration)
# Its single-feature AUC (0.769 here, 0.817 on the bank file) stays under the 0.85 rule; the name
# flags it, with the leads whose length is 0 and none won as evidence.
CL=$T/call-length.csv
sh scripts/gen_call_length.sh "$TMP/call-length.csv"
check trust_fixture_call_length_reproducible cmp -s "$TMP/call-length.csv" "$CL"
run inspect "$CL" --outcome converted
expect trust_call_inspect 0 ''
expect_out trust_call_inspect_flag "^  Call Duration \(sec\): leakage suspect: the name says 'call duration': a call's or contact's length is known only once it has taken place; 20 leads with 0, none won; single-feature AUC 0\.769 \(95% interval 0\.706-0\.833\)$"
check trust_call_session_not_flagged sh -c "! grep -q '^  Session Duration' '$OUT'"
expect_out trust_call_rule "screening rule: .* or speaks of a call's or contact's length \(duration, call_length, talk_time"
run fit "$CL" --outcome converted
expect trust_call_fit_warns 0 "^mqlcal: warning: leakage suspect in the model: Call Duration \(sec\) \(the name says 'call duration': .*\); 'review' leaves such columns out, here --exclude Call Duration \(sec\) does$"
run review "$CL" --outcome converted -o "$TMP/call_rev"
expect trust_call_review 0 ''
expect_out trust_call_review_said "^Leakage suspects left out of the new model: 1 column looks .*: Call Duration \(sec\) \(the name says 'call duration': .*keep it with --keep COL\.$"
check trust_call_review_left_out grep -q '^Call Duration (sec),yes,no,yes,' "$TMP/call_rev/screening.csv"
run review "$CL" --outcome converted --keep "Call Duration (sec)" -o "$TMP/call_keep"
expect trust_call_review_keep 0 ''
check trust_call_review_kept grep -q '^Call Duration (sec),yes,no,no,' "$TMP/call_keep/screening.csv"
check trust_call_review_kept_quiet sh -c "! grep -q 'Leakage suspects' '$OUT'"
# The bank file: duration is flagged, its other columns (contact, campaign, pdays, ...) are not.
run inspect datasets/bank-marketing/bank-additional-full.csv --outcome y
expect trust_bank_inspect 0 ''
expect_out trust_bank_duration "^  duration: leakage suspect: the name says 'duration': a call's or contact's length is known only once it has taken place; 4 leads with 0, none won; single-feature AUC 0\.817"
check trust_bank_only_duration sh -c "[ \$(sed -n '/^warnings:/,/^\$/p' '$OUT' | grep -c 'leakage suspect') = 1 ]"
