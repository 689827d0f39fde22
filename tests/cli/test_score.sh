#!/bin/sh
# test_score.sh: `mqlcal score` and `mqlcal rules` on hand-written rules files: exact scores
# worked by hand, every rules-file error with its exit code and message, atomic output.
. tests/cli/lib.sh
R=$FIX/rules
L=$FIX/leads/small.csv

# field FILE LEAD COLUMN: the cell of column COLUMN in the row whose first field is LEAD
# (a small CSV splitter in awk: quoted fields may hold commas; no embedded newlines here).
field() {
    awk -v lead="$2" -v col="$3" '
        function split_csv(s, out,   n, i, c, q, f) {
            n = 0; f = ""; q = 0
            for (i = 1; i <= length(s); i++) {
                c = substr(s, i, 1)
                if (c == "\"") { q = !q; continue }
                if (c == "," && !q) { out[++n] = f; f = ""; continue }
                f = f c
            }
            out[++n] = f
            return n
        }
        NR == 1 { n = split_csv($0, h); for (i = 1; i <= n; i++) if (h[i] == col) k = i; next }
        { split_csv($0, v); if (v[1] == lead) print v[k] }' "$1"
}

# Scores by hand from small.rules.csv:
#  A1 VP, 4 visits, webinar yes, 120 days: 25 + 20 + 10 - 10 = 45 (fit 25, engagement 20), MQL
#  A2 missing level, student, 0 visits:     -5 - 30 = -35
#  A3 Director, 2.0 visits, True, 30 days: 25 + 8 + 10 = 43
#  A4 Manager, visits 'Select' (missing), False, 91 days: -10
#  A5 'director' (any case), 1 visit, webinar '1', 90 days (not > 90): 25 + 8 + 10 = 43
run score $R/small.rules.csv $L -o "$TMP/scored.csv"
expect "score small exit 0" 0 ""
for pair in A1:45 A2:-35 A3:43 A4:-10 A5:43; do
    lead=${pair%%:*}; want=${pair#*:}
    got=$(field "$TMP/scored.csv" "$lead" score)
    check "score $lead = $want (got $got)" [ "$got" = "$want" ]
done
check "A1 fit 25" [ "$(field "$TMP/scored.csv" A1 fit_score)" = 25 ]
check "A1 engagement 20" [ "$(field "$TMP/scored.csv" A1 engagement_score)" = 20 ]
check "A1 is MQL" [ "$(field "$TMP/scored.csv" A1 is_mql)" = 1 ]
check "A3 is MQL" [ "$(field "$TMP/scored.csv" A3 is_mql)" = 1 ]
check "A2 not MQL" [ "$(field "$TMP/scored.csv" A2 is_mql)" = 0 ]
check "A1 reason 1" [ "$(field "$TMP/scored.csv" A1 reason_1)" = "+25 job_level in Director|VP" ]
check "A1 reason 2" [ "$(field "$TMP/scored.csv" A1 reason_2)" = "+20 pricing_page_visits >= 3" ]
check "A1 reason 3 (tie at 10: rule order)" \
    [ "$(field "$TMP/scored.csv" A1 reason_3)" = "+10 webinar_attended = True" ]
check "A4 one reason" [ "$(field "$TMP/scored.csv" A4 reason_2)" = "" ]
check "A5 quoted input field kept" grep -q '^A5,director,"business, EU",1,1,90,43,' "$TMP/scored.csv"
# bands without a map: width max(1, round(30 / 4)) = 8: A >= 38, B 30..37, C 22..29, D <= 21
check "A1 band A" [ "$(field "$TMP/scored.csv" A1 band)" = A ]
check "A4 band D" [ "$(field "$TMP/scored.csv" A4 band)" = D ]
check "no probability without a map" [ "$(field "$TMP/scored.csv" A1 probability)" = "" ]

run score $R/small.rules.csv $L --threshold 44
expect "score --threshold exit 0" 0 ""
check "--threshold 44: A3 (43) not MQL" [ "$(field "$OUT" A3 is_mql)" = 0 ]
check "--threshold 44: A1 (45) MQL" [ "$(field "$OUT" A1 is_mql)" = 1 ]

# --na replaces the placeholders: 'Select' becomes a value (matching no rule), '' stays missing
run score $R/small.rules.csv $L --na NA
expect "score --na exit 0" 0 ""
check "--na: A2 still missing job level" [ "$(field "$OUT" A2 score)" = -35 ]

# errors: exit code, message, and no output file
run score $R/unknown-feature.rules.csv $L -o "$TMP/bad.csv"
expect "unknown feature exit 1" 1 "small.csv has no column 'lead_score_legacy' that the model needs"
check "unknown feature: no output file" [ ! -e "$TMP/bad.csv" ]
check "unknown feature: no temp file left" [ -z "$(ls "$TMP" | grep -v '^scored.csv$\|^stdout$\|^stderr$')" ]
run score $R/bad-operator.rules.csv $L -o "$TMP/bad.csv"
expect "bad operator exit 1" 1 "bad-operator.rules.csv:3: unknown operator '=>'"
run score $R/overlap.rules.csv $L -o "$TMP/bad.csv"
expect "overlap exit 1" 1 "overlap.rules.csv:4: overlaps line 2 \(pricing_page_visits >= 1 and pricing_page_visits >= 3 both match 3\)"
run score $R/non-integer.rules.csv $L -o "$TMP/bad.csv"
expect "non-integer points exit 1" 1 "non-integer.rules.csv:2: points '12.5' is not an integer"
run score $R/no-threshold.rules.csv $L -o "$TMP/bad.csv"
expect "missing threshold exit 1" 1 "no-threshold.rules.csv: no threshold row"
check "failed scores leave no output file" [ ! -e "$TMP/bad.csv" ]
run score $R/small.rules.csv $FIX/leads/no-such.csv -o "$TMP/bad.csv"
expect "missing leads file exit 3" 3 "no-such.csv"
run score $R/small.rules.csv
expect "score without leads: usage" 2 "score: expected MODEL and LEADS.csv, got 1 file"
run score $R/small.rules.csv $L --threshold 3.5
expect "score --threshold 3.5: usage" 2 "--threshold: expected an integer"
printf '{"threshold": 30, "rules": [' > "$TMP/trunc.json"
run score "$TMP/trunc.json" $L
expect "truncated model JSON exit 1" 1 "trunc.json: line 1: .* \\(not a valid model JSON\\)"
printf '{"threshold": "30"}\n' > "$TMP/badtype.json"
run score "$TMP/badtype.json" $L
expect "model JSON of the wrong shape exit 1" 1 "not an mqlcal model \\(format is missing"
printf '{"rules": [], "threshold": "30"}\n' > "$TMP/badpoints.json"
run score "$TMP/badpoints.json" $L
expect "points JSON of the wrong shape exit 1" 1 "key 'threshold' must be an integer"
# a model file of a newer format version is refused, nothing written
run fit datasets/synthetic-leads.csv --outcome closed_won --exclude close_date,sql_date,acv,became_sql -o "$TMP/fitted.json"
expect "fit for the version test exit 0" 0 ""
sed 's/"version": 1,/"version": 3,/' "$TMP/fitted.json" > "$TMP/v2.json"
run score "$TMP/v2.json" $L -o "$TMP/v2scored.csv"
expect "model JSON of format version 3 exit 1" 1 "format version 3 is newer than this mqlcal \\(reads 2\\)"
check "refused model writes nothing" [ ! -e "$TMP/v2scored.csv" ]
run rules "$TMP/v2.json"
expect "rules refuses format version 3" 1 "format version 3 is newer"

# an existing output survives a failed run
echo keep > "$TMP/keep.csv"
run score $R/overlap.rules.csv $L -o "$TMP/keep.csv"
check "failed score keeps the old output" [ "$(cat "$TMP/keep.csv")" = keep ]

# rules: readable table, CSV round trip, JSON round trip
run rules $R/small.rules.csv
expect "rules table exit 0" 0 ""
expect_out "rules table lists a rule in words" "engagement +pricing_page_visits 1-2 +\+8"
expect_out "rules table states the threshold" "MQL when score >= 30"
run rules $R/small.rules.csv --format csv -o "$TMP/back.csv"
expect "rules csv exit 0" 0 ""
run rules "$TMP/back.csv" --format csv
check "rules csv is a fixed point" cmp -s "$OUT" "$TMP/back.csv"
run rules $R/small.rules.csv --format json -o "$TMP/model.json"
expect "rules json exit 0" 0 ""
run score "$TMP/model.json" $L -o "$TMP/scored2.csv"
expect "score from JSON exit 0" 0 ""
check "JSON and CSV models score alike" cmp -s "$TMP/scored.csv" "$TMP/scored2.csv"
run rules $R/small.rules.csv --format xml
expect "rules bad format: usage" 2 "--format"

# The hand-written current model on the synthetic export. By hand from
# datasets/current-model.rules.csv (version 2: +25 only for Director, VP or C-Level at a
# company with 100+ employees):
#  L0000001 Director at 62 employees (no +25), personal -10, Media 0, Organic Search 0,
#           visits 0, case study no, webinar False, 0 downloads, opens 6 (>=5) +5,
#           148 days (>90) -10: -10 + 5 - 10 = -15
#  L0000002 C-Level at 92 employees (no +25), business, Other, Content Syndication 0, visits 1
#           +20, case study yes +15, webinar False, 0 downloads, 3 opens, 111 days -10: 25
#  L0000003 C-Level at 93 employees (no +25), visits 1 +20, 1 download, 1 open, 89 days
#           (not > 90): 20
#  L0000089 C-Level at 207 employees +25, personal -10, Software +5, Webinar source +10,
#           visits 2 +20, webinar True +10, 0 downloads, opens 5 +5, 10 days: 65 (not an MQL)
#  L0000125 job level 'Select' (missing: no rule), 71 employees, Other, Organic Search,
#           personal -10, nothing else: -10
#  L0000126 VP at 1644 employees +25, Media 0, Event +10, visits 4 +20, no case study,
#           webinar True +10, 1 download, 9 opens +5, 21 days: 70
run score datasets/current-model.rules.csv datasets/synthetic-leads.csv -o "$TMP/syn.csv"
expect "score synthetic exit 0" 0 ""
for pair in L0000001:-15 L0000002:25 L0000003:20 L0000089:65 L0000125:-10 L0000126:70; do
    lead=${pair%%:*}; want=${pair#*:}
    got=$(field "$TMP/syn.csv" "$lead" score)
    check "current model $lead = $want (got $got)" [ "$got" = "$want" ]
done
check "current model L0000089 is not an MQL at 75" [ "$(field "$TMP/syn.csv" L0000089 is_mql)" = 0 ]
check "current model L0000126 reason names both conditions" \
    [ "$(field "$TMP/syn.csv" L0000126 reason_1)" = "+25 job_level in Director|VP|C-Level and employees >= 100" ]
check "scored synthetic has every row" [ "$(wc -l < "$TMP/syn.csv")" = 20001 ]

# output files get ordinary permissions (0666 less the umask), not the temp file's 0600
(umask 022; "$MQLCAL" score $R/small.rules.csv $L -o "$TMP/perm.csv" 2>/dev/null)
check "scored output is 0644 under umask 022" [ "$(stat -c %a "$TMP/perm.csv")" = 644 ]

# a rules file without the group column: groups come from the column names
printf 'feature,operator,value,points\npricing_page_visits,>=,1,20\njob_level,=,VP,25\nthreshold,,,30\n' > "$TMP/nogroup.csv"
run rules "$TMP/nogroup.csv" --format csv
expect "rules without groups exit 0" 0 ""
expect_out "pricing page visits guessed engagement" '^pricing_page_visits,>=,1,20,engagement$'
expect_out "job level guessed fit" '^job_level,=,VP,25,fit$'

# a bound just below 0 (what mqlcal writes for a step ending at 0) reads back: subnormal numbers
printf 'feature,operator,value,points\nx,between,-5..-4.9406564584124654e-324,3\nthreshold,,,1\n' > "$TMP/sub.csv"
run rules "$TMP/sub.csv" --format csv
expect "rules with a subnormal bound exit 0" 0 ""
expect_out "subnormal bound round-trips" '^x,between,-5\.\.-4\.9406564584124654e-324,3,'
