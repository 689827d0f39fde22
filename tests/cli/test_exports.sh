#!/bin/sh
# test_exports.sh: real CRM exports (issue 10, items 3-6): open outcomes (--lost, --open), lookup
# joins (--lookup FILE --on COL), locales and date formats, and files without a date column
# (--months). Fixtures: tests/fixtures/exports/, made by scripts/gen_exports_fixtures.py.
. tests/cli/lib.sh
X=$FIX/exports
P=$X/sales_pipeline.csv
LK="--lookup $X/accounts.csv --on account --lookup $X/products.csv --on product --lookup $X/sales_teams.csv --on sales_agent"
OPEN="--outcome deal_stage=Won --lost Lost --open Engaging,Prospecting"
EXCL="--exclude close_date,close_value,account,sales_agent"

# ---- open outcomes ----------------------------------------------------------------------------
run inspect $P --outcome deal_stage=Won
expect open_unplaced_values 1 "--outcome deal_stage=Won: 3 values of column 'deal_stage' are neither won \(Won\) nor lost: Engaging \(142 leads\), Lost \(125 leads\), Prospecting \(65 leads\); say which are lost \(--lost A,B\) and which are not closed yet \(--open C,D\)"
run fit $P --outcome deal_stage=Won --lost Lost
expect open_lost_only 1 "neither won \(Won\) nor lost \(Lost\): Engaging \(142 leads\), Prospecting \(65 leads\)"
run fit $P --outcome deal_stage=Won --open Engagin
expect open_unknown_value 2 "--open: 'Engagin' is not a value of column 'deal_stage' \(values: Lost, Prospecting, Won, Engaging\)"
run fit $P --outcome deal_stage=Won --lost Won
expect open_won_listed 2 "--lost: 'Won' is the won value already"
run inspect $P --lost Lost
expect open_needs_outcome 2 "--lost needs --outcome COL"
run inspect $X/stage_codes.csv --outcome converted
expect outcome_codes 1 "--outcome converted: 2 values of column 'converted' are neither won \(1\) nor lost \(0\): 2 \(2 leads\), -1 \(1 lead\)"
run inspect $X/stage_codes.csv --outcome converted --lost 0,-1 --open 2
expect outcome_codes_mapped 0 ""
expect_out outcome_codes_rate "converted: 3 positive of 10 closed = 30.00%"
run inspect datasets/b2b-opportunities/B2B_dataset.csv --outcome Status=Won
expect two_values_unchanged 0 ""
expect_out two_values_rate "Status=Won: 227 positive of 448 = 50.67%"
run inspect $P $OPEN
expect open_inspect 0 ""
expect_out open_inspect_rate "deal_stage=Won: 148 positive of 273 closed = 54.21% \(95% Wilson interval 48.28% to 60.02%\)"
expect_out open_inspect_note "open +207 leads whose deal_stage is Engaging or Prospecting: counted as rows, in no rate"
# An empty outcome cell without a list is lost, and said so (a stage left empty is as often a
# deal not closed yet as a lead that got none); with a list the empty cells are open, no note.
awk -F, -v OFS=, 'NR > 1 && NR % 9 == 0 { $NF = "" } { print }' \
    datasets/b2b-opportunities/B2B_dataset.csv >"$TMP/b2b_blank.csv"
run inspect "$TMP/b2b_blank.csv" --outcome Status=Won
expect empty_outcome_note 0 "note: --outcome Status=Won: 49 leads with an empty 'Status' counted as lost \(not won\); if some are deals not closed yet, name the lost values \(--lost A,B\): empty cells are then left out as open"
run inspect "$TMP/b2b_blank.csv" --outcome Status=Won --lost Lost
expect empty_outcome_listed 0 ""
check empty_outcome_listed_no_note sh -c "! grep -q 'counted as lost' '$ERR'"
expect_out empty_outcome_open "open +49 leads whose Status is empty"
awk -F, -v OFS=, 'NR == 1 { $NF = "won_flag" } NR > 1 { $NF = NR % 9 == 0 ? "" : $NF ~ /^Won/ ? "true" : "false" } { print }' \
    datasets/b2b-opportunities/B2B_dataset.csv >"$TMP/b2b_flag.csv"
run inspect "$TMP/b2b_flag.csv" --outcome won_flag
expect empty_flag_note 0 "note: --outcome won_flag: 49 leads with an empty 'won_flag' counted as lost \(not won\)\$"
run inspect "$TMP/b2b_flag.csv" --outcome won_flag
check empty_flag_no_list_advice sh -c "! grep -q -- '--lost A,B' '$ERR'"
# --open alone: every other value is lost; the base rate is that of closed deals
run fit $P --outcome deal_stage=Won --open Engaging,Prospecting $EXCL
expect open_only_fit 0 ""
expect_out open_only_closed_rate "events +148 \(base rate 54.21%\)"

# ---- lookup joins -----------------------------------------------------------------------------
run fit $P $OPEN $LK $EXCL --date engage_date -o $TMP/opp.json
expect lookup_fit 0 "--lookup tests/fixtures/exports/products.csv: 59 of 480 leads have no match, so its columns are missing there: 'GTXPro' 59 leads \(near 'GTX Pro' in tests/fixtures/exports/products.csv: same but for blanks, case or punctuation\)"
expect lookup_no_key 0 "--lookup tests/fixtures/exports/accounts.csv: 3 of 480 leads have no match, so its columns are missing there: 3 leads with no account"
expect lookup_renamed 0 "--lookup tests/fixtures/exports/sales_teams.csv: column region -> sales_teams.region \(the name is taken\)"
expect_out lookup_closed_rate "rows +273"
expect_out lookup_closed_events "events +148 \(base rate 54.21%\)"
expect_out lookup_open_note "open +207 leads whose deal_stage is Engaging or Prospecting: left out of the fit"
expect_out lookup_feature_sector "sector="
expect_out lookup_feature_manager "manager="
expect_out lookup_feature_numeric "year_established "
check lookup_model_written [ -s $TMP/opp.json ]
run fit $P $OPEN --lookup $X/accounts_dup.csv --on account
expect lookup_duplicate_key 1 "accounts_dup.csv:4: key 'Acme Corporation' repeats line 2: a lookup file needs one row per account"
run fit $P $OPEN --lookup $X/accounts.csv
expect lookup_without_on 2 "--lookup FILE and --on COL go together: 1 --lookup, 0 --on"
run fit $P $OPEN --lookup $X/accounts.csv --on sales_agent=account
expect lookup_no_match 1 "no lead's sales_agent is a key in tests/fixtures/exports/accounts.csv"
run fit $P $OPEN --lookup $X/accounts.csv --on nosuch=account
expect lookup_missing_column 2 "--on nosuch=account: no column 'nosuch' in tests/fixtures/exports/sales_pipeline.csv"
run inspect $P --join $X/accounts.csv --key account
expect join_most_match 0 "--join tests/fixtures/exports/accounts.csv: 477 of 480 leads \(99.4%\) have their account there, so 99.4% count as won; .* use --lookup tests/fixtures/exports/accounts.csv --on account instead"
run inspect $FIX/join/mqls.csv --join $FIX/join/deals.csv --key mql_id
check join_few_no_warning [ ! -s "$ERR" ]

# ---- the whole review on the opportunities, out of time --------------------------------------
run review $P $OPEN $LK $EXCL --date engage_date --train-until 2017-06-30 --capacity 10 -o $TMP/rv
expect review_opportunities 0 ""
expect_out review_written "review written to"
check review_index [ -s $TMP/rv/index.html ]
check review_open_note grep -q "evaluation leads are still open (deal_stage is Engaging or Prospecting)" $TMP/rv/index.html
check review_base_rate grep -q "^base_won_rate,0.5" $TMP/rv/summary.csv
run backtest $P $OPEN $LK $EXCL --date engage_date --train-until 2017-06-30 --capacity 10
expect backtest_opportunities 0 ""
expect_out backtest_open_note "open +[0-9]+ leads whose deal_stage is Engaging or Prospecting: counted in volume, excluded from rates"
run calibrate $TMP/opp.json $P $OPEN $LK --date engage_date
expect calibrate_opportunities 0 ""
expect_out calibrate_open_note "open +207 leads whose deal_stage is Engaging or Prospecting: excluded from every rate and metric"

# ---- locales and formats ----------------------------------------------------------------------
run inspect $X/eu_leads.csv --outcome Status=Won --date Erstellt --format csv
expect eu_file 0 ""
expect_out eu_decimal_comma "^Umsatz,numeric,0,0,40,500,4192.975,8729.43"
expect_out eu_dotted_dates "^Erstellt,date,0,0,12,2016-01-01,,2016-12-22"
expect_out eu_rate_column "^Rabatt,numeric"
run fit $X/eu_leads.csv --outcome Status=Won --exclude Erstellt --l2 1 -o $TMP/eu.json
expect eu_fit 0 ""
run score $TMP/eu.json $X/eu_leads.csv -o $TMP/eu_scored.csv
expect eu_score 0 ""
check eu_score_reads_decimal_comma grep -q '^L009,01.09.2016,Bau,"2188,96",.*Umsatz' $TMP/eu_scored.csv
run inspect $X/us_leads.csv --outcome closed_won --date created --format csv
expect us_nan_cells 0 "us_leads.csv:8: column 'acv': 3 cells are NaN, inf or beyond the double range \(the first is 'NaN', here\): read as missing, the column stays numeric"
expect us_impossible_date 0 "us_leads.csv:16: column 'last_touch': 1 cell is not a day of the calendar \(the first is '2023-02-30T10:00:00Z', here\): read as missing, the column stays date"
expect_out us_month_day "^created,date,0,0,30,2016-01-01,,2016-12-14"
expect_out us_iso_z "^last_touch,date,1,"
expect_out us_acv_numeric "^acv,numeric,3,"
run fit $X/us_leads.csv --outcome closed_won --exclude created,last_touch --keep acv --l2 1 -o $TMP/us.json
expect us_fit 0 ""
run score $TMP/us.json $X/us_leads.csv -o $TMP/us_scored.csv
expect us_score 0 ""
check us_score_nan_missing grep -q '^U007,.*,NaN,.*acv missing' $TMP/us_scored.csv
check us_score_inf_missing grep -q '^U012,.*,inf,.*acv missing' $TMP/us_scored.csv
run inspect $X/ambiguous_dates.csv --outcome won --date created
expect ambiguous_dates 1 "--date: column 'created' holds dates such as 01/01/2017 that read both as month/day/year and day/month/year: give --date-format mdy or dmy"
run inspect $X/ambiguous_dates.csv --outcome won --date created --date-format dmy --format csv
expect ambiguous_dmy 0 ""
expect_out ambiguous_dmy_range "^created,date,0,0,12,2017-01-01,,2017-10-08"
run inspect $X/ambiguous_dates.csv --outcome won --date created --date-format mdy --format csv
expect_out ambiguous_mdy_range "^created,date,0,0,12,2017-01-01,,2017-12-08"
run inspect $X/ambiguous_dates.csv --date-format ymd
expect bad_date_format 2 "--date-format: expected mdy \(10/20/2016\) or dmy \(20/10/2016\), got 'ymd'"
run inspect $X/nul.csv
expect nul_byte 1 "nul.csv:3: column 2 'source': NUL byte at byte 3 of the value \(the file is not plain text: save the export as UTF-8 CSV\)"

# ---- files without a date column --------------------------------------------------------------
N=$X/pipeline_nodates.csv
NL="$OPEN --lookup $X/products.csv --on product --exclude account,sales_agent,close_value"
run review $N $NL --capacity 10 --revenue 200000 --acv close_value -o $TMP/rv2
expect nodate_review_all_at_once 2 "review: missing: \(1\) --capacity and the plan \(--revenue\) need MQLs per month, and the file's period is unknown: give --date COL \(the lead created date\) or --months N \(the months the file covers\); \(2\) the plan needs MQL-to-SQL and SQL-to-won: give --sql COL \(rates from the data\) or --mql-to-sql, --win-rate and --sql-to-opp"
check nodate_review_nothing_written [ ! -e $TMP/rv2 ]
run backtest $N $NL --capacity 10 --holdout-last 0.3
expect nodate_backtest_capacity 2 "backtest: --capacity needs MQLs per month, and the file's period is unknown: give --date COL \(the lead created date\) or --months N"
run backtest $N $NL --capacity 10 --holdout-last 0.3 --months 14
expect nodate_backtest_months 0 ""
expect_out nodate_period "period +14 months as stated \(--months\)"
expect_out nodate_recommendation "recommendation: threshold .* MQLs/month, within capacity 10"
run review $N $NL --capacity 10 --revenue 200000 --acv close_value --mql-to-sql 60% --win-rate 50% --sql-to-opp 70% --months 14 -o $TMP/rv3
expect nodate_review_months 0 ""
expect_out nodate_review_written "review written to"
check nodate_review_plan grep -q "plan.csv" $TMP/rv3/index.html
check nodate_review_period grep -q "divide by the 14 months it covers" $TMP/rv3/index.html
run fit $N $NL --months 0
expect months_range 2 "--months: expected whole months from 1 to 1200, got '0'"
run fit $P $OPEN --date engage_date --months 12
expect months_with_date 2 "--months states the period of a file without dates; with --date engage_date the months come from the dates: give one"
