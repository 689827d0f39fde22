#!/bin/sh
# test_inspect.sh: `mqlcal inspect` on good and bad lead files: exit codes, the file/line/column
# or option named on stderr, the join count, formats and help.
. tests/cli/lib.sh
B=$FIX/bad

# ---- every bad input: exit code and a message naming file and line / column / option
run inspect $B/unterminated.csv
expect unterminated_quote 1 "bad/unterminated.csv:3: unterminated quoted field starting here"
run inspect $B/too_many.csv
expect too_many_fields 1 "bad/too_many.csv:4: 4 fields, header has 3"
run inspect $B/too_few.csv
expect too_few_fields 1 "bad/too_few.csv:5: 2 fields, header has 3"
run inspect $B/empty.csv
expect empty_file 1 "bad/empty.csv: empty file"
run inspect $B/header_only.csv
expect header_only 1 "bad/header_only.csv: no data rows"
run inspect $B/duplicate_column.csv
expect duplicate_column 1 "bad/duplicate_column.csv:1: duplicate column name 'source' \(columns 2 and 3\)"
run inspect $B/empty_header_name.csv
expect empty_header_name 1 "bad/empty_header_name.csv:2: column 2 has no name in the header but holds 'web' here"
run inspect $B/non_utf8.csv
expect non_utf8 1 "bad/non_utf8.csv:3: column 3 'industry': invalid UTF-8 byte 0xE9 \(save the export as UTF-8\)"
run inspect $B/no_positives.csv --outcome won
expect no_positives 1 "--outcome won: no positive rows \(0 of 10\)"
run inspect $B/only_positives.csv --outcome won
expect only_positives 1 "--outcome won: only positive rows \(10 of 10\)"
run inspect $B/no_positives.csv --outcome nosuch
expect missing_outcome_column 2 "--outcome: no column 'nosuch' in tests/fixtures/bad/no_positives.csv \(columns: lead_id, source, won\)"
run inspect $B/does_not_exist.csv
expect missing_file 3 "bad/does_not_exist.csv: cannot open: No such file or directory"
run inspect $B
expect directory 3 "fixtures/bad: cannot read: Is a directory"
run inspect $FIX/join/mqls.csv --join $FIX/join/deals.csv --key nosuch
expect join_key_missing_in_leads 2 "--key: no column 'nosuch' in tests/fixtures/join/mqls.csv"
run inspect $FIX/join/mqls.csv --join $FIX/join/mqls.csv --key origin --outcome x
expect outcome_and_join 2 "--outcome and --join"
run inspect $FIX/join/deals.csv --join $FIX/join/mqls.csv --key won_date
expect join_key_missing_in_join_file 2 "no column 'won_date' in tests/fixtures/join/mqls.csv"
run inspect $FIX/join/mqls.csv --bogus
expect unknown_option 2 "unknown option '--bogus'"
run inspect
expect no_file 2 "inspect: expected LEADS.csv, got no file"
run inspect $FIX/join/mqls.csv --format xml
expect bad_format 2 "--format: expected table, csv, json or md"
run inspect $FIX/join/mqls.csv --date origin
expect date_not_a_date 1 "--date: column 'origin' is categorical \(values such as '[^']*'\), not a date"

# ---- the Olist-shaped join: 7 of the 30 leads have a deal (one deal's lead is not in the file)
run inspect $FIX/join/mqls.csv --join $FIX/join/deals.csv --key mql_id
expect join_ok 0 ""
expect_out join_rows "^rows +30$"
expect_out join_base_rate "7 positive of 30 = 23\.33% \(95% Wilson interval 11\.79% to 40\.93%\)"
expect_out join_key_note "mql_id +id .*join key"
expect_out join_origin_missing "origin +categorical +6 +20\.0"
run inspect $FIX/join/deals.csv
expect_out quoted_comma_level "lead_behaviour_profile +categorical .*cat, wolf 2 \(25\.0%\)"

# ---- BOM, ';', CRLF, quoted CRLF, no final newline, thousands, placeholders, leakage
run inspect $FIX/leads_semicolon.csv --outcome Won
expect semicolon_ok 0 ""
expect_out semicolon_delim "^delimiter +';'$"
expect_out semicolon_rows "^rows +40$"
expect_out semicolon_rate "10 positive of 40 = 25\.00%"
expect_out thousands_numeric "annual revenue +numeric .* 1\.25e\+06"
expect_out select_is_missing "job title +categorical +16 +40\.0"
expect_out leakage_warning "closed_date: leakage suspect: being filled on 10 rows, 100\.0% of them won, 100\.0% of all won leads; the name says 'closed'"
expect_out id_warning "lead id: identifier-like: 40 distinct of 40 filled"
expect_out leakage_rule "screening rule: .*>= 10 won leads and >= 5% of all won leads with >= 95% of its rows won"

# ---- stdin, formats, help
"$MQLCAL" inspect - --outcome Won <$FIX/leads_semicolon.csv >"$OUT" 2>"$ERR"; RC=$?
expect stdin 0 ""
expect_out stdin_rows "^rows +40$"
run inspect $FIX/join/mqls.csv --join $FIX/join/deals.csv --key mql_id --format csv
expect_out csv_header "^column,type,missing,missing_pct,distinct,min,median,max,top_levels,note$"
expect_out csv_date_row "^first_contact_date,date,0,0,[0-9]+,2018-01-01,,2018-05-22,,$"
run inspect $FIX/join/mqls.csv --join $FIX/join/deals.csv --key mql_id --format json
expect_out json_rate "\"positives\": 7, \"rows\": 30, \"rate\": 0\.23333333333333334"
expect_out json_columns "\"column_table\": \["
# medians: plain decimals from their counted runs, the same values in exponent form (and a span
# too wide to count) by selection; an even count averages the two middle values; a zero is 0
run inspect $FIX/inspect/medians.csv --format csv
expect_out median_plain_even "^plain_even,numeric,2,20,8,-2\.25,2\.5,10,,$"
expect_out median_expo_even "^expo_even,numeric,2,20,8,-2\.25,2\.5,10,,$"
expect_out median_plain_odd "^plain_odd,numeric,1,10,9,1,5,9,,$"
expect_out median_zero "^zero_mid,numeric,3,30,5,-2,0,2,,$"
expect_out median_wide "^wide,numeric,6,60,4,1e-06,6,1000000000,,$"
run inspect --help
expect help 0 ""
expect_out help_usage "usage: mqlcal inspect LEADS.csv"
expect_out help_leak "out of its new model): a candidate feature is a leakage suspect"
expect_out help_join "--join FILE --key COL"
cp "$OUT" "$TMP/help1"
run help inspect
check help_same cmp -s "$OUT" "$TMP/help1"
