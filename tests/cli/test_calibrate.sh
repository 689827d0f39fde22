# test_calibrate.sh: `mqlcal calibrate` on the bundled synthetic export: the report, -o writing a
# recalibrated JSON model that `mqlcal score` then uses, and mismatched inputs.
. tests/cli/lib.sh

LEADS=datasets/synthetic-leads.csv
RULES=datasets/current-model.rules.csv
L="--outcome closed_won --sql became_sql --date created_date --acv acv --exclude sql_date,close_date"

run calibrate $RULES $LEADS $L
expect report 0 ''
expect_out report_platt_note 'probabilities from an in-sample Platt fit: the rules file has no score map'
# AUC of the rules model on the synthetic leads (scikit-learn, tests/fixtures/eval/ref_py.txt:
# syn_rules_auc 0.72833556718548575).
expect_out report_auc '^AUC +0\.7283 '
expect_out report_hl 'Hosmer-Lemeshow, 10 groups used of 10, df 8'
expect_out report_reading '^reading: scores (overstate|understate|match) conversion: a lead the model gives [0-9.]+% converts at [0-9.]+%'
expect_out report_psi '^PSI [0-9.]+ between 2024Q1 \(2132 leads\) and 2025Q4 \(2735 leads\)'
expect_out report_psi_rule 'empty-bin rule: a bin with no lead in a period gets the share 0\.5/n'
expect_out report_quantile 'reliability by 10 quantile bins'

# An in-sample Platt map is calibrated in the large by construction: intercept about 0,
# slope about 1 (maximum likelihood on the same leads).
run calibrate $RULES $LEADS $L --format json
expect json 0 ''
expect_out json_citl '"metric": "calibration intercept", "value": -?[0-9.]+e-[0-9]+|"metric": "calibration intercept", "value": -?0\.0000'
expect_out json_slope '"metric": "calibration slope", "value": (0\.99999|1\.0000|1,)'

# Score bands: explicit cuts give 4 bands; the CSV output is the band table.
run calibrate $RULES $LEADS $L --bands 56,75,94 --format csv
expect bands_cuts 0 ''
check bands_cuts_rows [ "$(wc -l <"$OUT")" = 5 ]
# Counts from R (tests/fixtures/eval/ref_r.txt): band 1 = [56, 75): 722 leads, 163 won;
# the bounds shown are the band's lowest and highest score (the rules score in steps of 5).
expect_out bands_cuts_r '^2,60,70,722,163,'
run calibrate $RULES $LEADS $L --bands 1
expect bands_bad 2 '--bands'

# -o: the rules with a Platt map as a JSON model; `mqlcal score` then prints probabilities.
run calibrate $RULES $LEADS $L -o "$TMP/recal.json"
expect write 0 ''
check write_file [ -s "$TMP/recal.json" ]
check write_platt grep -q '"method": "platt"' "$TMP/recal.json"
run score "$TMP/recal.json" $LEADS
expect score_recal 0 ''
# Lead L0000001 scores -15 points under the rules; its probability is now filled.
expect_out score_prob '^L0000001,.*,-15,[-0-9]+,[-0-9]+,0\.0[0-9]+,'
run calibrate "$TMP/recal.json" $LEADS $L
expect recal_map 0 ''
expect_out recal_map_used "probabilities from the model's score map"
# The recalibrated model is a new model: its `created` is the recalibration's time
# (SOURCE_DATE_EPOCH when set) and its `tool` this mqlcal, not the input model's.
sed 's/"created": "[^"]*"/"created": "2001-02-03T04:05:06Z"/; s/"tool": "[^"]*"/"tool": "mqlcal 0.0.1"/' \
    "$TMP/recal.json" >"$TMP/old.json"
SOURCE_DATE_EPOCH=1700000000 "$MQLCAL" calibrate "$TMP/old.json" $LEADS $L \
    -o "$TMP/restamped.json" >"$OUT" 2>"$ERR"
RC=$?
expect restamp 0 ''
check restamp_created grep -q '"created": "2023-11-14T22:13:20Z"' "$TMP/restamped.json"
check restamp_tool sh -c "! grep -q '\"tool\": \"mqlcal 0.0.1\"' '$TMP/restamped.json'"
env -u SOURCE_DATE_EPOCH "$MQLCAL" calibrate "$TMP/old.json" $LEADS $L -o "$TMP/restamped.json" \
    >"$OUT" 2>"$ERR"
check restamp_now sh -c "grep -q '\"created\": \"'\$(date -u +%Y)- '$TMP/restamped.json'"
run calibrate $RULES $LEADS $L --method isotonic -o "$TMP/iso.json"
expect write_iso 0 ''
check write_iso_method grep -q '"method": "isotonic"' "$TMP/iso.json"

# Leads that lack a column the model needs: exit 1 and nothing written.
cut -d, -f1-7,9- $LEADS >"$TMP/no-visits.csv"
run calibrate $RULES "$TMP/no-visits.csv" $L -o "$TMP/none.json"
expect missing_column 1 'pricing_page_visits'
check missing_nothing_written [ ! -e "$TMP/none.json" ]
check missing_no_temp [ -z "$(ls "$TMP" | grep none)" ]

# Usage errors.
run calibrate $RULES $LEADS $L --method spline
expect method_bad 2 '--method'
run calibrate $RULES
expect one_file 2 'expected MODEL and LEADS'
run calibrate $RULES $LEADS --outcome closed_won --maturity 30
expect maturity_no_date 2 '--maturity needs --date'
run calibrate $RULES $LEADS $L --maturity -1
expect maturity_bad 2 "--maturity: expected whole days from 0 to 36500, got '-1'"
run calibrate $RULES $LEADS $L --maturity 0
expect maturity_zero 0 ''
run calibrate $RULES $LEADS $LEADS $L
expect three_files 2 "calibrate: unexpected argument '.*': expected MODEL and LEADS.csv"
run calibrate $RULES $LEADS
expect no_outcome 2 'calibrate: an outcome is required'
run calibrate $RULES $LEADS $L --format xml
expect bad_format 2 "--format: expected table, csv, json or md, got 'xml'"
run calibrate $RULES $LEADS $L -o -
expect out_stdout 2 '-o needs a file name'
