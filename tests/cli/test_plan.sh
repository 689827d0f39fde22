# test_plan.sh: `mqlcal plan` against hand calculations, and its usage errors.
. tests/cli/lib.sh

# Hand calculation: 1,200,000 per quarter = 400,000 per month; / ACV 15,000 = 26.6667 deals;
# / win 25% = 106.667 opps; / SQL-to-opp 60% = 177.778 SQLs; / MQL-to-SQL 20% = 888.889 MQLs.
# Pessimistic (20%, 60%, 15%): 26.6667 / 0.2 / 0.6 / 0.15 = 1481.48; optimistic (30%, 60%, 25%):
# 26.6667 / 0.3 / 0.6 / 0.25 = 592.593. Per quarter x3: 2666.67 MQLs.
run plan --revenue 1200000 --period quarter --acv 15000 --win-rate 25%,20%,30% \
    --sql-to-opp 0.6 --mql-to-sql 20%,15%,25% --cycle-days 90 --start 2026-01-01 --format csv
expect plan_ok 0 ''
expect_out plan_deals '^deals,26\.66666666666666[0-9]*,27,80,80,'
expect_out plan_opps '^opportunities,106\.6666666666666[0-9]*,107,320,320,'
expect_out plan_sqls '^SQLs,177\.777777777777[0-9]*,178,533\.33333333333[0-9]*,534,'
expect_out plan_mqls '^MQLs,888\.88888888888[0-9]*,889,2666\.6666666666[0-9]*,2667,'
expect_out plan_pessimistic '^MQLs \(pessimistic\),1481\.481481481[0-9]*,1482,'
expect_out plan_optimistic '^MQLs \(optimistic\),592\.59259259259[0-9]*,593,'

run plan --revenue 1200000 --period quarter --acv 15000 --win-rate 25% --sql-to-opp 0.6 \
    --mql-to-sql 20% --cycle-days 90 --start 2026-01-01
expect plan_text 0 ''
expect_out plan_mql_to_won 'MQL-to-won = 20\.0% x 60\.0% x 25\.0% = 3\.00%'
expect_out plan_create_by 'must be created by 2025-10 \(90 days earlier\)'

run plan --revenue 400000 --acv 15000 --win-rate 0.25 --sql-to-opp 0.6 --mql-to-sql 0.2 --format json
expect plan_json 0 ''
expect_out plan_json_mqls '"stage": "MQLs", "per_month": 888\.888'

# Usage errors: each names the option and exits 2.
run plan --revenue 0 --acv 1 --win-rate 1 --sql-to-opp 1 --mql-to-sql 1
expect plan_zero_revenue 2 '--revenue'
run plan --revenue 10 --acv -5 --win-rate 1 --sql-to-opp 1 --mql-to-sql 1
expect plan_negative_acv 2 '--acv'
run plan --revenue 10 --acv 1 --win-rate 1.2 --sql-to-opp 1 --mql-to-sql 1
expect plan_rate_above_one 2 '--win-rate: rate 1\.2 is not in \[0\.0001, 1\]'
run plan --revenue 10 --acv 1 --win-rate 0 --sql-to-opp 1 --mql-to-sql 1
expect plan_rate_zero 2 '--win-rate'
run plan --revenue 10 --acv 1 --win-rate 1 --sql-to-opp 1 --mql-to-sql 20%,25%,30%
expect plan_rate_outside_interval 2 '--mql-to-sql'
run plan --revenue 10 --acv 1 --win-rate 1 --sql-to-opp 1 --mql-to-sql 1 --period year
expect plan_bad_period 2 "--period: 'year' is not month or quarter"
run plan --revenue 10 --acv 1 --win-rate 1 --sql-to-opp 1
expect plan_missing_rate 2 '--mql-to-sql is required'
run plan --revenue ten --acv 1 --win-rate 1 --sql-to-opp 1 --mql-to-sql 1
expect plan_not_a_number 2 "--revenue: 'ten' is not a number"
run plan --revenue 10 --acv 1 --win-rate 1 --sql-to-opp 1 --mql-to-sql 1 --cycle-days -3
expect plan_bad_cycle 2 '--cycle-days'
run plan --revenue 10 --acv 1 --win-rate 1 --sql-to-opp 1 --mql-to-sql 1 --start 2026-13-01
expect plan_bad_start 2 '--start'
run help plan
expect plan_help 0 ''
expect_out plan_help_text 'usage: mqlcal plan'

# ---- plan with data ---------------------------------------------------------------------------
# tests/fixtures/plan_leads.csv: 12 leads over 2 months (2025-01, 2025-02); plan_rules.csv scores
# grade A 20, B 10, C 0. By hand, over the matured MQLs at each threshold:
#   t=20: 4 MQLs (2/month), 3 SQL -> MQL-to-SQL 3/4; 2 of the 3 SQLs won -> SQL-to-won 2/3
#   t=10: 8 MQLs (4/month), 5 SQL -> 5/8; 3 won SQLs -> 3/5;   t=0: 12 (6/month), 6/12, 3/6.
# ACV column mean over the won leads = (10000 + 14000 + 6000) / 3 = 10000.
# Revenue 9000 a month: 0.9 deals; t=20 needs 0.9 / (2/3) = 1.35 SQLs, / 0.75 = 1.8 MQLs <= 2 in
# history: met at the highest threshold 20.
PL="--model $FIX/plan_rules.csv --leads $FIX/plan_leads.csv --outcome won --sql sql --date created"
run plan --revenue 9000 --acv acv $PL --format csv
expect plan_data_ok 0 ''
expect_out plan_data_deals '^deals,0\.9,1,2\.7,3,"revenue / ACV 10,000 \(mean deal value of 3 won leads\)"'
expect_out plan_data_sqls '^SQLs,1\.35,2,4\.05[0-9]*,5,deals / SQL-to-won 66\.7% \(2 won of 3 SQLs'
expect_out plan_data_mqls '^MQLs,1\.8,2,5\.4[0-9]*,6,SQLs / MQL-to-SQL 75\.0% \(3 SQLs of 4 matured MQLs at threshold 20'
expect_out plan_data_history '^MQLs in history,2,2,6,6,4 leads scored >= 20 over 2 months'
# Intervals carried through: Wilson 95% of 3/4 is [0.300642, 0.954413], of 2/3 [0.207660,
# 0.938508] (z = 1.959963984540054; (p + z^2/2n -+ z sqrt(p(1-p)/n + z^2/4n^2)) / (1 + z^2/n)).
# Pessimistic MQLs = 0.9 / (0.300642 * 0.207660) = 14.41588; optimistic 0.9 / (0.954413 *
# 0.938508) = 1.004774 (agreement to 6 significant digits).
expect_out plan_data_pessimistic '^MQLs \(pessimistic\),14\.4158[78][0-9]*,15,'
expect_out plan_data_optimistic '^MQLs \(optimistic\),1\.00477[0-9]*,2,'
run plan --revenue 9000 --acv acv $PL
expect plan_data_text 0 ''
expect_out plan_data_met 'Threshold 20 meets the plan: it produced 2\.0 MQLs/month in history against 1\.8 needed \(1\.0-14\.4'
expect_out plan_data_met_low 'low end of its interval it would be 12\.4 MQLs/month short'
# Revenue 30000: 3 deals; needs 3 / (3/4 * 2/3) = 6 at t=20 (has 2), 3 / (5/8 * 3/5) = 8 at t=10
# (has 4), 3 / (1/2 * 1/2) = 12 at t=0 (has 6). Closest (volume / need 0.5, the higher of the
# tie): t=10, 4 short; MQL-to-won would need 3 / 4 = 75%.
run plan --revenue 30000 --acv acv $PL
expect plan_data_short_ok 0 ''
expect_out plan_data_short_volume 'No threshold meets the plan: the closest, threshold 10, produced 4\.0 MQLs/month in history against 8\.0 needed .*: 4\.0 MQLs/month short \(or MQL-to-won would have to be 75\.00%'
# Flags assumed: MQL-to-SQL 80%, win 50% x SQL-to-opp 50%: need 0.9 / (0.8 x 0.25) = 4.5 a month;
# only t=0 has the volume (6) and its history converts 50%: 30 points short of 80%.
run plan --revenue 9000 --acv 10000 --mql-to-sql 0.8 --win-rate 0.5 --sql-to-opp 0.5 $PL
expect plan_data_flags_ok 0 ''
expect_out plan_data_short_rate 'convert MQL-to-SQL at 50\.0% at best \(threshold 0, 6\.0 MQLs/month\), 30\.0 points short of the 80\.0%'
run plan --revenue 9000 --acv acv $PL --by-threshold --format csv
expect plan_data_by_threshold 0 ''
# Every threshold meets 1.8-3.6 MQLs a month at revenue 9000 (t=10 needs 0.9 / 0.375 = 2.4 <= 4).
expect_out plan_data_row10 '^10,4,8,5,0\.625,[0-9.]*,[0-9.]*,3,0\.6,[0-9.]*,[0-9.]*,0\.375,2\.4,[0-9.]*,[0-9.]*,yes$'
# Usage and data errors of the data path.
run plan --revenue 9000 --acv acv --model $FIX/plan_rules.csv --outcome won
expect plan_data_needs_leads 2 '--model and --leads go together'
run plan --revenue 9000 --acv acv --win-rate 0.5 $PL
expect plan_data_win_alone 2 '--win-rate and --sql-to-opp go together'
run plan --revenue 9000 --acv acv --model $FIX/plan_rules.csv --leads $FIX/plan_leads.csv --outcome won --date created
expect plan_data_no_sql 2 'give --sql COL'
run plan --revenue 9000 --acv acv --model $FIX/plan_rules.csv --leads $FIX/plan_leads.csv --outcome won --sql sql
expect plan_data_no_date 2 'plan: the plan needs MQLs per month, and the file.s period is unknown: give --date COL \(the lead created date\) or --months N'
run plan --revenue 0 --acv acv $PL
expect plan_data_zero_revenue 2 '--revenue'
run plan --revenue 9000 --acv acv --outcome won
expect plan_data_leads_without_model 2 'need --model and --leads'
run plan --revenue 9000 --acv acv --model $FIX/plan_rules.csv --leads $FIX/plan_leads.csv --sql sql --date created
expect plan_data_no_outcome 2 'plan: an outcome is required'
run plan --revenue 9000 --acv acv --model $FIX/plan_rules.csv --leads $FIX/plan_leads.csv --outcome won --sql sql --maturity 30
expect plan_data_maturity_no_date 2 'plan: --maturity needs --date'
run plan --revenue 10 --acv 1 --win-rate 1 --sql-to-opp 1 --mql-to-sql 1 extra.csv
expect plan_extra_argument 2 "plan: unexpected argument 'extra.csv'"
run plan --revenue 10 --acv 1 --win-rate 1 --sql-to-opp 1 --mql-to-sql 1 --format xml
expect plan_bad_format 2 "--format: expected table, csv, json or md, got 'xml'"
