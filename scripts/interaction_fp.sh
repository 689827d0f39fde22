#!/bin/sh
# interaction_fp.sh: how often `fit --interactions auto` keeps an interaction that is not there
# (false-positive rate) and finds the one that is (power), over generator seeds. Run from the
# project root after `make`:   nice sh scripts/interaction_fp.sh [SEEDS] [ROWS]
# For each seed s = 1..SEEDS (default 20): gen_leads --rows ROWS (default 40000) --seed s with
# --interaction 0 (no interaction: any pair kept is a false positive) and --interaction 1 (the
# job_level x employees interaction of scripts/gen_leads.c), each fitted with --cuts
# employees=100 --interactions auto. Prints one line per seed and the totals; also how often
# the true weight 1.0 of the three true cells lies inside the reported 95% intervals.
set -eu
SEEDS=${1:-20}
ROWS=${2:-40000}
M=build/mqlcal
G=build/tools/gen_leads
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
R="--outcome closed_won --sql became_sql --date created_date --acv acv --exclude sql_date,close_date --cuts employees=100 --interactions auto --format json"
fp=0; found=0; wrong=0; cells=0; covered=0
s=1
while [ "$s" -le "$SEEDS" ]; do
    $G --rows "$ROWS" --seed "$s" --interaction 0 -o "$T/null.csv"
    $M fit "$T/null.csv" $R -o "$T/null.json" > "$T/null.out" 2>/dev/null
    kn=$(grep -c '"kept": true' "$T/null.out" || true)
    $G --rows "$ROWS" --seed "$s" --interaction 1 -o "$T/true.csv"
    $M fit "$T/true.csv" $R -o "$T/true.json" > "$T/true.out" 2>/dev/null
    kept=$(awk '/"a": / { gsub(/[",]/, "", $2); a = $2 } /"b": / { gsub(/[",]/, "", $2); b = $2 }
               /"kept": true/ { printf "%s%s:%s", n++ ? "," : "", a, b }' "$T/true.out")
    cov=$(awk '/"term": "job_level=(Director|VP|C-Level):employees=\[100,inf\)"/ {
               match($0, /"ci_low": [^,]*/); lo = substr($0, RSTART + 10, RLENGTH - 10) + 0
               match($0, /"ci_high": [^,]*/); hi = substr($0, RSTART + 11, RLENGTH - 11) + 0
               n++; c += lo <= 1 && 1 <= hi } END { printf "%d %d", c, n }' "$T/true.out")
    echo "seed $s: no-interaction data kept $kn; true data kept '${kept}'; true cells covered ${cov% *} of ${cov#* }"
    [ "$kn" -gt 0 ] && fp=$((fp + 1))
    case ",$kept," in *,job_level:employees,*) found=$((found + 1)) ;; esac
    [ -n "$kept" ] && [ "$kept" != "job_level:employees" ] && wrong=$((wrong + 1))
    covered=$((covered + ${cov% *})); cells=$((cells + ${cov#* }))
    s=$((s + 1))
done
echo "false positives: $fp of $SEEDS no-interaction datasets kept an interaction"
echo "power: $found of $SEEDS true-interaction datasets kept job_level:employees ($wrong kept another pair too)"
echo "coverage: the true weight was inside $covered of $cells reported 95% intervals of the true cells"
