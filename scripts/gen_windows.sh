#!/bin/sh
# gen_windows.sh: the small-evaluation-window fixtures (issue 11, point 7) from the bundled
# datasets/synthetic-leads.csv: its first 1,200 leads (2024-01-01 to 2024-02-20) followed by a
# tail of leads created in March 2024 whose outcomes are set so that --train-until leaves a
# window with no won lead, no lost lead, one lead, or 11 won and 1 lost.
#   sh scripts/gen_windows.sh lost-tail OUT.csv   30 lost leads 2024-03-01..04, 1 lost 2024-03-10
#   sh scripts/gen_windows.sh won-tail OUT.csv    1 lost lead 2024-03-01, 11 won 2024-03-02..05
#   sh scripts/gen_windows.sh tiny-tail OUT.csv   9 leads 2024-03-01..03: 2 won (two that the
#       model fitted on the first 1,200 scores low), 7 lost
#   sh scripts/gen_windows.sh late-leak OUT.csv   tests/fixtures/trust/no-signal.csv with a column
#       partner_tier that leaks the outcome only after 2025-06-30: before, Gold / Silver / Bronze by
#       row number; after, every won lead is Platinum (lost ones keep the rotation)
# Usage from the repository root; the output is the same on every machine (no randomness).
set -eu
kind=$1
out=$2
src=datasets/synthetic-leads.csv
case $kind in
lost-tail | won-tail | tiny-tail) ;;
late-leak)
    LC_ALL=C awk -F, 'BEGIN { OFS = ","; split("Gold,Silver,Bronze", tier, ",") }
        NR == 1 { print $0, "partner_tier"; next }
        { print $0, ($2 > "2025-06-30" && $NF == 1) ? "Platinum" : tier[NR % 3 + 1] }' \
        tests/fixtures/trust/no-signal.csv >"$out.tmp"
    mv "$out.tmp" "$out"
    exit 0 ;;
*) echo "usage: gen_windows.sh lost-tail|won-tail|tiny-tail|late-leak OUT.csv" >&2; exit 2 ;;
esac
LC_ALL=C awk -v kind="$kind" -v WON1=1203 -v WON2=1204 '
# Rewrites a lead: its created date (field 2, never quoted) and its last five fields
# (became_sql, sql_date, closed_won, close_date, acv; never quoted).
function emit(line, day, won,    head, rest, i, n) {
    n = 0
    for (i = length(line); i > 0; i--)
        if (substr(line, i, 1) == "," && ++n == 5)
            break
    head = substr(line, 1, i - 1)
    rest = won ? "Yes,2024-03-" day ",1,2024-04-" day ",24000" : "No,,0,,"
    sub(/^[^,]*,[^,]*,/, "&", head)
    split(head, f, ",")
    sub("^" f[1] "," f[2] ",", f[1] ",2024-03-" day ",", head)
    print head "," rest
}
NR == 1 { print; next }
NR <= 1201 { print; next }
kind == "lost-tail" && NR <= 1231 { emit($0, sprintf("%02d", 1 + int((NR - 1202) / 8)), 0); next }
kind == "lost-tail" && NR == 1232 { emit($0, "10", 0); next }
kind == "won-tail" && NR == 1202 { emit($0, "01", 0); next }
kind == "won-tail" && NR <= 1213 { emit($0, sprintf("%02d", 2 + int((NR - 1203) / 3)), 1); next }
kind == "tiny-tail" && NR <= 1210 {
    emit($0, sprintf("%02d", 1 + int((NR - 1202) / 3)), NR == WON1 || NR == WON2); next }
' "$src" >"$out.tmp"
mv "$out.tmp" "$out"
