#!/bin/sh
# gen_call_length.sh: tests/fixtures/trust/call-length.csv, 200 leads whose "Call Duration (sec)"
# is the length of the sales call, known only once the call has taken place (as Bank Marketing's
# duration): 0 on every 10th lead, none of them won, and longer calls on won leads. Its
# single-feature AUC stays under the screen's 0.85, so only the name rule flags it.
# "Session Duration (sec)" (time on the website before the lead came in) is a legitimate length.
#   sh scripts/gen_call_length.sh OUT.csv
# Usage from the repository root; the output is the same on every machine (no randomness).
set -eu
LC_ALL=C awk 'BEGIN {
    split("Software,Healthcare,Education,Retail,Manufacturing", ind, ",")
    print "lead_id,industry,employees,Session Duration (sec),Call Duration (sec),converted"
    for (i = 1; i <= 200; i++) {
        won = (i * i * 7 + i * 3) % 11 < 3
        call = i % 10 == 0 ? 0 : won ? 30 + (i * 17) % 300 : (i * 29) % 300 + 1
        if (won && i % 10 == 0)
            won = 0
        printf "L%04d,%s,%d,%d,%d,%s\n", i, ind[int(i / 7) % 5 + 1],
            (i * i * 3) % 53 * 10 + 5, (i * i) % 97 * 6, call, won ? "yes" : "no"
    }
}' >"$1.tmp"
mv "$1.tmp" "$1"
