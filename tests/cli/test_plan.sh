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
expect plan_rate_above_one 2 '--win-rate: rate 1\.2 is not in \(0, 1\]'
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
