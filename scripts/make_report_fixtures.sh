#!/bin/sh
# make_report_fixtures.sh: the lead files of tests/fixtures/report/ (issue 11), deterministic
# (a 31-bit linear congruential generator in awk, so mawk and gawk write the same bytes):
#   base63.csv      600 leads over 2024, 63% won (a base rate where "twice the base rate" is
#                   above 100%), with an SQL stage, a date, a job level, a company size and visits
#   wide-in.csv     400 leads whose country takes 34 rare long names (each pools into one `in`
#                   rule of the fitted model) and whose industry has long names
#   wide-in.rules.csv  a current model with a 30-value `in` rule on country
# Run from the repository root; writes only into tests/fixtures/report/.
set -eu
cd "$(dirname "$0")/.."
D=tests/fixtures/report
mkdir -p "$D"

awk 'BEGIN {
    s = 20261206
    print "lead_id,created_date,job_level,company_size,visits,became_sql,closed_won"
    split("Manager,Director,VP,Individual Contributor,C-Level", lv, ",")
    split("0,0.5,0.9,-0.7,0.6", lw, ",")
    for (i = 1; i <= 600; i++) {
        s = (s * 1103515245 + 12345) % 2147483648; u1 = s / 2147483648
        s = (s * 1103515245 + 12345) % 2147483648; u2 = s / 2147483648
        s = (s * 1103515245 + 12345) % 2147483648; u3 = s / 2147483648
        s = (s * 1103515245 + 12345) % 2147483648; u4 = s / 2147483648
        s = (s * 1103515245 + 12345) % 2147483648; u5 = s / 2147483648
        k = int(u1 * 5) + 1
        size = int(10 + u2 * 990)
        visits = int(u3 * 8)
        day = int((i - 1) * 365 / 600)
        eta = 0.35 + lw[k] + 0.12 * (visits - 3.5) + 0.0004 * (size - 500)
        won = u4 < 1 / (1 + exp(-eta)) ? 1 : 0
        sql = won ? 1 : (u5 < 0.4 ? 1 : 0)
        m = 1; d = day + 1
        split("31,29,31,30,31,30,31,31,30,31,30,31", ml, ",")
        while (d > ml[m]) { d -= ml[m]; m++ }
        printf "L%04d,2024-%02d-%02d,%s,%d,%d,%s,%s\n", i, m, d, lv[k], size, visits,
               sql ? "yes" : "no", won ? "yes" : "no"
    }
}' >"$D/base63.csv"

awk 'BEGIN {
    s = 424242
    print "lead_id,created_date,country,industry,visits,closed_won"
    split("Information Technology and Enterprise Software Services|Financial Services and Insurance Brokerage|Manufacturing of Industrial Machinery and Components", ind, "|")
    for (i = 1; i <= 400; i++) {
        s = (s * 1103515245 + 12345) % 2147483648; u1 = s / 2147483648
        s = (s * 1103515245 + 12345) % 2147483648; u2 = s / 2147483648
        s = (s * 1103515245 + 12345) % 2147483648; u3 = s / 2147483648
        s = (s * 1103515245 + 12345) % 2147483648; u4 = s / 2147483648
        if (u1 < 0.55) country = "United States of America"
        else if (u1 < 0.75) country = "United Kingdom of Great Britain and Northern Ireland"
        else country = sprintf("Federated Province Number %02d of Somewhere Far Away", int((u1 - 0.75) * 4 * 34) + 1)
        k = int(u2 * 3) + 1
        visits = int(u3 * 6)
        eta = -1.2 + 0.35 * visits + (k == 1 ? 0.6 : 0) + (u1 >= 0.75 ? -0.5 : 0)
        won = u4 < 1 / (1 + exp(-eta)) ? 1 : 0
        day = int((i - 1) * 365 / 400); m = 1; d = day + 1
        split("31,29,31,30,31,30,31,31,30,31,30,31", ml, ",")
        while (d > ml[m]) { d -= ml[m]; m++ }
        printf "W%04d,2024-%02d-%02d,%s,%s,%d,%s\n", i, m, d, country, ind[k], visits, won ? "yes" : "no"
    }
}' >"$D/wide-in.csv"

{
    echo "feature,operator,value,points,group"
    v=""
    for k in $(seq 1 30); do
        v="$v${v:+|}Federated Province Number $(printf %02d "$k") of Somewhere Far Away"
    done
    echo "country,in,$v,-15,fit"
    echo "visits,>=,3,25,engagement"
    echo "industry,=,Information Technology and Enterprise Software Services,20,fit"
    echo "threshold,,,25,"
} >"$D/wide-in.rules.csv"
