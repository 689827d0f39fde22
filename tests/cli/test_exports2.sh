#!/bin/sh
# test_exports2.sh: lead exports as spreadsheets and CRM reports save them (a tester's second
# round): dates with a time zone, as Excel serial numbers or epoch milliseconds; spreadsheet error
# cells; amounts with a currency; UTF-16; a title above the header, a footer below the data,
# blank trailing columns, a totals row; a capacity above the whole volume. Fixtures:
# tests/fixtures/exports2/, made by scripts/gen_exports2_fixtures.py from datasets/synthetic-leads.csv.
. tests/cli/lib.sh
X=$FIX/exports2
R="--outcome closed_won --sql became_sql --acv acv"

# ---- dates -------------------------------------------------------------------------------------
# ISO timestamps with a zone (+02:00, Z, -0500, .250Z, +0530, " UTC") are dates, read as written;
# they were all "not a day of the calendar", so the date column was empty.
run inspect $X/dates_zone.csv $R --date created_date
expect zone_dates_read 0 ""
check zone_dates_no_warning [ ! -s "$ERR" ]
expect_out zone_dates_range "^created_date +date +0 +0\.0 +600 +2024-01-01 +2024-01-26"
run inspect $X/dates_slash.csv $R --date created_date
expect slash_dates_read 0 ""
expect_out slash_dates_range "^created_date +date +0 +0\.0 +26 +2024-01-01 +2024-01-26"
# Excel serial day numbers and epoch milliseconds named by --date are dates, with a note
run inspect $X/dates_excel.csv $R --date created_date
expect excel_serial_dates 0 "note: --date: column 'created_date' holds Excel serial day numbers, read as dates \(2024-01-01 to 2024-01-26\)"
expect_out excel_serial_range "^created_date +date +0 +0\.0 +26 +2024-01-01 +2024-01-26"
run inspect $X/dates_epoch_ms.csv $R --date created_date
expect epoch_ms_dates 0 "note: --date: column 'created_date' holds Unix timestamps in milliseconds, read as dates \(2024-01-01 to 2024-01-26\)"
run backtest $X/dates_excel.csv $R --date created_date --features job_level,lead_source \
    --holdout-last 0.3 --capacity 50
expect excel_serial_backtest 0 ""
expect_out excel_serial_months "recommendation: threshold"
# a numeric column that is no date form: its range and what would have been read
run inspect $X/dates_excel.csv $R --date employees
expect numeric_not_date 1 "--date: column 'employees' is numbers \(1 to 19812; read as dates only when all are Excel serial days, Unix seconds or milliseconds of 1990-2100\), not a date"
# a form mqlcal does not read: a value of it, and the forms it reads
run inspect $X/dates_2digit.csv $R --date created_date
expect two_digit_year 1 "--date: column 'created_date' is categorical \(values such as '1/[0-9]+/24'\), not a date; mqlcal reads 2024-03-05 or 2024/03/05"

# ---- spreadsheet error cells are missing values --------------------------------------------------
run inspect $X/excel_errors.csv $R --date created_date
expect excel_errors_read 0 ""
expect_out excel_errors_numeric "^employees +numeric +49 "
cut -d, -f1-9 $X/trailing_cols.csv >$TMP/base.csv      # the same leads without blank columns
run fit $TMP/base.csv $R --date created_date --features employees,job_level --firth -o $TMP/emp.json
expect excel_errors_model 0 ""
# score: '#N/A' scores as the blank cell it stands for (it matched no rule before: 0 points)
sed 's/,#[A-Z0-9/!?]*,/,,/' $X/excel_errors.csv >$TMP/blanked.csv
run score $TMP/emp.json $X/excel_errors.csv -o $TMP/s1.csv
expect excel_errors_score 0 ""
run score $TMP/emp.json $TMP/blanked.csv -o $TMP/s2.csv
cut -d, -f10-13 $TMP/s1.csv >$TMP/c1
cut -d, -f10-13 $TMP/s2.csv >$TMP/c2
check excel_errors_score_as_blank sh -c "[ -s $TMP/c1 ] && cmp -s $TMP/c1 $TMP/c2"
check excel_errors_reason grep -q "^L0000004,.*,#N/A,.*employees missing" $TMP/s1.csv

# ---- amounts with a currency ---------------------------------------------------------------------
run inspect $X/acv_currency.csv $R --date created_date
expect acv_currency 1 "--acv: column 'acv' is categorical \(values such as '\\\$[0-9,]+\.00'\), not numeric: amounts with a currency sign or code are text to mqlcal; export the column as plain numbers"

# ---- file shapes ---------------------------------------------------------------------------------
run inspect $X/utf16.csv --outcome closed_won
expect utf16 1 "utf16.csv: the file is UTF-16 text \(Excel's \"Unicode Text\"\), not UTF-8: save it as \"CSV UTF-8\", or convert it with iconv -f UTF-16 -t UTF-8"
run inspect $X/title_line.csv --outcome closed_won
expect title_line 1 "title_line.csv:2: 9 fields, header has 1: is the first line a title or note above the column names\? They must be the first line: delete the lines above them"
run inspect $X/title_padded.csv --outcome closed_won
expect title_padded 1 "title_padded.csv:2: column 2 has no name in the header but holds 'created_date' here: name it in the header line \(and if a title or note stands above the column names, delete it: they must be the first line\)"
run inspect $X/footer.csv --outcome closed_won
expect footer 1 "footer.csv:23: 1 field, header has 9: a note, total or report footer below the data\? Delete the lines that are not leads"
# blank trailing columns without a name are dropped; one holding a value is named
run fit $X/trailing_cols.csv $R --date created_date --firth -o $TMP/tc.json
expect trailing_columns_fit 0 ""
expect_out trailing_columns_rows "^rows +600"
run inspect $X/unnamed_value.csv --outcome closed_won
expect unnamed_value 1 "unnamed_value.csv:9: column 10 has no name in the header but holds 'note' here"
printf ',,\n1,2,3\n' >$TMP/noheader.csv
run inspect $TMP/noheader.csv
expect no_header_names 1 "noheader.csv:1: the header line has no column names"
# a totals row is named (it is read as a lead: the warning says to delete it)
run inspect $X/totals_row.csv $R --date created_date
expect totals_row 0 "totals_row.csv:602: the last row looks like a totals row \('Total' in column 'lead_id', 7 of its 8 other cells empty\), not a lead, but it is read as one: delete it from the export"
run inspect $X/trailing_cols.csv $R --date created_date
check no_totals_warning_without_totals [ ! -s "$ERR" ]
# score reads records, not a table, with the same rules (table_ops.c, csv.c): the totals row is
# warned about, a value in an unnamed column refused (no output file), blank ones passed through.
run score $TMP/tc.json $X/totals_row.csv
expect score_totals_row 0 "^mqlcal: warning: tests/fixtures/exports2/totals_row.csv:602: the last row looks like a totals row \('Total' in column 'lead_id', 7 of its 8 other cells empty\), not a lead, but it is scored as one: delete it from the export$"
check score_totals_row_scored [ "$(wc -l <"$OUT")" = 602 ]
run score $TMP/tc.json $X/trailing_cols.csv
check score_no_totals_warning [ ! -s "$ERR" ]
# 'Total' first with its other cells filled (a company so named), or a totals row not last: a lead
sed '$s/^L0000600,/Total,/' $X/trailing_cols.csv >$TMP/total_company.csv
run score $TMP/tc.json $TMP/total_company.csv
check score_total_company_quiet [ ! -s "$ERR" ]
{ cat $X/totals_row.csv; sed -n 2p $X/totals_row.csv; } >$TMP/totals_mid.csv
run score $TMP/tc.json $TMP/totals_mid.csv
check score_totals_mid_quiet [ ! -s "$ERR" ]
run inspect $TMP/totals_mid.csv $R --date created_date
# no totals warning; the row's empty outcome is the one lead counted as lost with a note
check inspect_totals_mid_quiet sh -c "! grep -q 'totals row' '$ERR'"
expect inspect_totals_mid_outcome 0 "^mqlcal: note: --outcome closed_won: 1 lead with an empty 'closed_won' counted as lost \\(not won\\)$"
check inspect_totals_mid_one_line [ "$(wc -l <"$ERR")" = 1 ]
run score $TMP/tc.json $X/unnamed_value.csv -o $TMP/uv_scored.csv
expect score_unnamed_value 1 "^mqlcal: tests/fixtures/exports2/unnamed_value.csv:9: column 10 has no name in the header but holds 'note' here: name it in the header line \(and if a title or note stands above the column names, delete it: they must be the first line\)$"
check score_unnamed_value_no_output [ ! -e $TMP/uv_scored.csv ]

# ---- codes with leading zeros (ZIP 02134) are categories, not numbers cut into ranges ------------
Z=$X/zip_codes.csv
run inspect $Z $R --date created_date
expect zip_inspect 0 ''
expect_out zip_categorical "^zip +categorical +0 +0\.0 +7 .*02134 94 \(15\.7%\)"
expect_out zip_merged "^  zip: '02134' \(86 rows\) and '2134' \(8\) are one value, '02134'\$"
run fit $Z $R --date created_date --exclude became_sql,acv --firth -o $TMP/zip.json
expect zip_fit 0 ''
expect_out zip_fit_rule "^fit +zip = 02139 +[-+][0-9]+\$"
check zip_fit_no_range sh -c "! grep -Eq '^fit +zip ([<>]|[0-9])' '$OUT'"
# Boston's 02134 as Excel saves it (2134) scores as 02134: one value in the rules as in the table
printf 'lead_id,created_date,job_level,employees,lead_source,zip,pricing_page_visits\nX1,2024-02-01,VP,50,Webinar,02134,1\nX2,2024-02-01,VP,50,Webinar,2134,1\nX3,2024-02-01,VP,50,Webinar,02139,1\n' >$TMP/zip3.csv
run score $TMP/zip.json $TMP/zip3.csv
expect zip_score 0 ''
cp "$OUT" $TMP/zip3.scored
check zip_score_same sh -c "[ \"\$(sed -n 2p '$OUT' | cut -d, -f8)\" = \"\$(sed -n 3p '$OUT' | cut -d, -f8)\" ]"
check zip_score_02139_differs sh -c "[ \"\$(sed -n 2p '$OUT' | cut -d, -f8)\" != \"\$(sed -n 4p '$OUT' | cut -d, -f8)\" ]"
# ... and in the scoring SQL (SQLite): X1 and X2 alike, X3 apart
run sql $TMP/zip.json --dialect sqlite --table leads
expect zip_sql 0 ''
{ echo "CREATE TABLE leads(lead_id,created_date,job_level,employees,lead_source,zip,pricing_page_visits);"
  echo "INSERT INTO leads VALUES('X1','2024-02-01','VP',50,'Webinar','02134',1),('X2','2024-02-01','VP',50,'Webinar','2134',1),('X3','2024-02-01','VP',50,'Webinar','02139',1);"
  cat "$OUT"; } | sqlite3 >$TMP/zip_sql.out 2>&1
check zip_sql_same sh -c "[ \"\$(sed -n 1p $TMP/zip_sql.out | cut -d'|' -f1)\" = \"\$(sed -n 2p $TMP/zip_sql.out | cut -d'|' -f1)\" ] && [ \"\$(sed -n 1p $TMP/zip_sql.out | cut -d'|' -f1)\" = \"\$(sed -n 2p $TMP/zip3.scored | cut -d, -f8)\" ]"

# ---- codes by their column's name (West-coast ZIPs have no leading zero), phone numbers, NAICS --
W=$X/zip_west.csv
ZN="Billing Zip/Postal Code"
run inspect $W $R --date created_date
expect codes_inspect 0 "note: $W: column 'Billing Zip/Postal Code' is read as codes \(categorical, 8 values\), not numbers: its name says 'zip' .*; --numeric 'Billing Zip/Postal Code' reads it as numbers\$"
expect_out codes_zip_categorical "^Billing Zip/Postal Code +categorical "
expect_out codes_phone_id "^Phone +id "
expect_out codes_naics_categorical "^NAICS Code +categorical "
expect_out codes_phone_calls_numeric "^phone_calls +numeric "
check codes_inspect_phone_note grep -Eq "column 'Phone' is read as codes \(id, 600 values\).*its name says 'phone'" "$ERR"
check codes_inspect_naics_note grep -Eq "column 'NAICS Code' is read as codes.*its name says 'naics' .*; --numeric 'NAICS Code' reads" "$ERR"
check codes_inspect_no_calls_note sh -c "! grep -q \"'phone_calls' is read as codes\" '$ERR'"
run fit $W $R --date created_date --exclude became_sql,acv --firth
expect codes_fit 0 "note: $W: column 'Billing Zip/Postal Code' is read as codes"
expect_out codes_fit_rule "^fit +Billing Zip/Postal Code = 94107 +[-+][0-9]+\$"
check codes_fit_no_range sh -c "! grep -Eq '^fit +(Billing Zip/Postal Code|NAICS Code) ([<>]|[0-9])' '$OUT'"
expect_out codes_fit_naics_rule "^fit +NAICS Code = 541511 +[-+][0-9]+\$"
# --numeric reads them as numbers again (the ranges are the analyst's call); names are checked
run inspect $W $R --date created_date --numeric "$ZN,NAICS Code"
expect codes_numeric 0 ''
expect_out codes_numeric_zip "^Billing Zip/Postal Code +numeric "
check codes_numeric_no_note sh -c "! grep -q 'Postal Code.* is read as codes' '$ERR'"
run inspect $W $R --numeric zipcode
expect codes_numeric_unknown 2 "^mqlcal: --numeric: no column 'zipcode' in $W"
run inspect $W $R --numeric Phone --categorical Phone
expect codes_numeric_and_categorical 2 "^mqlcal: --numeric Phone: the column is also given to --categorical: one or the other\$"

# ---- a stray zero-padded cell does not make a column of numbers codes ----------------------------
# stray_zero.csv: amount has one 050 in 2,000 numbers (numeric, 050 read as 50); sku is three-digit
# codes with one 007 (one width: codes); account_no has 30 of 2,000 (1.5%) written with zeros.
S=$X/stray_zero.csv
run inspect $S --outcome won
expect stray_inspect 0 "note: $S: column 'sku' is read as codes \(categorical, [0-9]+ values\), not numbers: 1 of its 2,000 values is a whole number written with a leading zero \(such as '007'\); --numeric sku reads it as numbers"
expect_out stray_amount_numeric "^amount +numeric "
expect_out stray_sku_categorical "^sku +categorical "
expect_out stray_account_codes "^account_no +(categorical|id) "
check stray_account_note grep -Eq "column 'account_no' is read as codes .*: 30 of its 2,000 values are whole numbers written with a leading zero \(such as '00[0-9]+'\)" "$ERR"
check stray_amount_no_note sh -c "! grep -q \"'amount'\" '$ERR'"
run inspect $S --outcome won --numeric sku,account_no
expect stray_numeric 0 ''
expect_out stray_numeric_sku "^sku +numeric +0 +0\.0 +[0-9]+ +7 "

# ---- a capacity above the whole volume -----------------------------------------------------------
run backtest $TMP/tc.json $X/trailing_cols.csv $R --date created_date --capacity 1000
expect capacity_unbound 0 ""
expect_out capacity_unbound_text "recommendation: capacity 1000 is at or above the whole volume \(600 leads/month\), so it does not limit the threshold: threshold -?[0-9]+, the lowest score, makes every lead an MQL \(MQL-to-won 8\.3%, the base rate\)"
run review $TMP/base.csv $R --date created_date --capacity 1000 -o $TMP/rv
expect capacity_unbound_review 0 ""
check capacity_unbound_review_text grep -q "^Capacity 1000 is at or above the whole volume (600.0 leads/month), so it does not limit the threshold. The new model's own threshold" $TMP/rv/summary.md
check capacity_review_not_everyone sh -c "grep -q '^recommended_recall,' $TMP/rv/summary.csv && ! grep -q '^recommended_recall,1,' $TMP/rv/summary.csv"

# ---- numbers a spreadsheet formats as text: percentages, currencies; negative deal values ----
awk -F, 'BEGIN { OFS = "," } NR == 1 { print $0, "open_rate"; next } { print $0, (NR * 7) % 101 "%" }' \
    $TMP/base.csv >$TMP/pct.csv
run inspect $TMP/pct.csv $R --date created_date
expect percent_column 0 "pct.csv: column 'open_rate' holds percentages such as '14%', which are text to mqlcal: read as 101 categories; export the column as plain numbers \(65 or 0\.65\) to use it as a number"
run inspect $X/acv_currency.csv --outcome closed_won
expect currency_column 0 "acv_currency.csv: column 'acv' holds amounts with a currency such as '\\\$[0-9,]+\.00', which are text to mqlcal"
awk -F, 'BEGIN { OFS = "," } NR > 1 && $9 != "" && NR % 4 == 0 { $9 = "-" $9 } { print }' \
    $TMP/base.csv >$TMP/neg.csv
run inspect $TMP/neg.csv $R --date created_date
expect negative_acv 0 "neg.csv:[0-9]+: --acv: [0-9]+ deal values are negative \(the first is -[0-9]+, here\): summed as they are in ACV captured and the plan's average; check for refunds or credits"
run inspect $TMP/base.csv $R --date created_date
check no_format_warnings [ ! -s "$ERR" ]

# ---- '|'-separated exports (warehouse unloads) are detected -----------------------------------
tr ',' '|' <$TMP/base.csv >$TMP/pipe.csv
run inspect $TMP/pipe.csv $R --date created_date
expect pipe_detected 0 ""
expect_out pipe_delimiter "^delimiter +'\|'"
expect_out pipe_rows "^rows +600"

# ---- a value the shell split at a blank ------------------------------------------------------
run fit $TMP/base.csv --outcome closed_won --exclude acv, became_sql
expect list_with_blank 2 "fit: unexpected argument 'became_sql': expected LEADS.csv; a list takes no blank after its commas: --exclude acv,became_sql"
run fit $TMP/base.csv --outcome closed won
expect value_with_blank 2 "fit: unexpected argument 'won': expected LEADS.csv; if it is part of the value of --outcome, quote the value: --outcome 'closed won'"

# ---- compare names each AUC: the new model's first (it read "AUC old vs new" after "the new") ---
run compare $TMP/emp.json $TMP/tc.json $TMP/base.csv $R --date created_date
expect compare_runs 0 ""
check compare_auc_order sh -c "grep -Eo 'ranks leads better than the old one \(AUC [0-9.]+, the old [0-9.]+, \+' $OUT | awk '{ gsub(/[(,]/, \"\"); if (\$9 + 0 > \$12 + 0) ok = 1 } END { exit !ok }'"

# ---- a rules CSV saved by a spreadsheet: BOM, CRLF, ';', empty columns at the right ------------
awk 'BEGIN { printf "\357\273\277" } { gsub(/,/, ";"); printf "%s;;\r\n", $0 }' \
    datasets/current-model.rules.csv >$TMP/rules_excel.csv
run rules $TMP/rules_excel.csv --format csv
expect rules_excel_read 0 ""
run rules datasets/current-model.rules.csv --format csv
cp "$OUT" $TMP/rules_plain.out
run rules $TMP/rules_excel.csv --format csv
check rules_excel_same_model cmp -s "$OUT" $TMP/rules_plain.out
awk '{ print $0 ",,,,,,,,,," }' datasets/current-model.rules.csv >$TMP/rules_wide.csv
head -n 200 datasets/synthetic-leads.csv >$TMP/leads200.csv
run score $TMP/rules_wide.csv $TMP/leads200.csv -o $TMP/sw.csv
expect rules_wide_columns 0 ""
run score datasets/current-model.rules.csv $TMP/leads200.csv -o $TMP/sp.csv
check rules_wide_same_scores sh -c "[ -s $TMP/sw.csv ] && cmp -s $TMP/sw.csv $TMP/sp.csv"

# ---- a column name that prints like the one asked for -------------------------------------------
printf 'lead_id,closed\302\240won,job\nL1,1,a\nL2,0,b\nL3,1,a\nL4,0,b\n' >$TMP/nbsp.csv
run inspect $TMP/nbsp.csv --outcome "closed won"
expect nbsp_name 2 "no column 'closed won' in .*nbsp.csv; did you mean 'closed.won'\? \(the file's name holds a non-breaking space, U\+00A0, where it shows a blank: rename the column in the file\)"

# ---- a file with no won deal at all: said as such (not "use --outcome COL=VALUE with '0'") -----
awk -F, 'BEGIN { OFS = "," } NR > 1 { $8 = "0" } { print }' $TMP/base.csv >$TMP/allost.csv
run fit $TMP/allost.csv --outcome closed_won
expect single_class 1 "--outcome closed_won: no positive rows \(0 of 600\): every filled cell of 'closed_won' reads as lost \('0' \(600\)\), so the file holds no won deal; a model needs won and lost leads"

# ---- a French export: ';', decimal comma, a blank or U+00A0 between thousands ------------------
awk -F, 'BEGIN { OFS = ";" }
    function fr(x, sep,   s, n) {     # 12300.5 -> "12 300,50" with sep between thousands
        if (x == "") return ""
        s = sprintf("%.2f", x); n = index(s, ".")
        int_part = substr(s, 1, n - 1); frac = substr(s, n + 1)
        while (length(int_part) > 3) { frac_t = substr(int_part, length(int_part) - 2); int_part = substr(int_part, 1, length(int_part) - 3); grp = sep frac_t grp }
        out = int_part grp "," frac; grp = ""; return out }
    NR == 1 { $1 = $1; print; next }
    { $4 = ($4 == "" ? "" : fr($4, NR % 2 ? " " : "\302\240")); $9 = fr($9, " "); print }' \
    $TMP/base.csv >$TMP/fr.csv
run inspect $TMP/fr.csv $R --date created_date
expect french_numbers 0 ""
expect_out french_employees "^employees +numeric +25 "
expect_out french_acv "^acv +numeric "
run score $TMP/emp.json $TMP/fr.csv -o $TMP/sfr.csv
expect french_score 0 ""
# score, fit_score, engagement_score, probability: the 9th to 6th fields from the end (the
# amounts with a decimal comma are quoted in the output, so count from the end)
awk -F, '{ print $(NF - 8), $(NF - 7), $(NF - 6), $(NF - 5) }' $TMP/sfr.csv >$TMP/cfr
run score $TMP/emp.json $TMP/base.csv -o $TMP/sbase.csv
awk -F, '{ print $(NF - 8), $(NF - 7), $(NF - 6), $(NF - 5) }' $TMP/sbase.csv >$TMP/cbase
check french_scores_equal sh -c "[ -s $TMP/cfr ] && cmp -s $TMP/cfr $TMP/cbase"

# ---- Markdown tables escape '|' (an `in` rule's values, a column named a|b) ----------------------
run rules datasets/current-model.rules.csv --format md
expect rules_md 0 ""
check rules_md_escaped grep -qF '| fit        | job_level in Director\|VP\|C-Level and employees >= 100 | +25    |' "$OUT"
check rules_md_cells sh -c "sed 's/[\\\\]|//g' $OUT | awk -F'|' '/^[|]/ && NF != 5 { bad = 1 } END { exit bad }'"

# ---- two columns of one name (a report with two "Created Date" fields) ---------------------------
printf 'lead_id,Created Date,Created Date,won\nL1,2024-01-01,2023-05-01,1\n' >$TMP/dup.csv
run inspect $TMP/dup.csv
expect duplicate_names 1 "dup.csv:1: duplicate column name 'Created Date' \(columns 2 and 3\): rename one of them in the header line"

# ---- --train-until after the last lead: the option is named once ---------------------------------
run review $TMP/base.csv $R --date created_date --train-until 2030-01-01 -o $TMP/rv_late
expect train_until_late 1 "^mqlcal: --train-until 2030-01-01: no lead is dated after it \(dates run 2024-01-01 to 2024-01-26\)$"
check train_until_late_nothing_written [ ! -e $TMP/rv_late ]
