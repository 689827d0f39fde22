#!/bin/sh
# test_score_pipeline.sh: `mqlcal score` reads on one thread and scores/writes on another, in
# batches of 4096 records. A 10,003-record file (three batches, the last partial) must give
# exactly the bytes of scoring its pieces one by one (each piece well inside one batch), in the
# input order; a failing write still exits 3 and leaves no file.
. tests/cli/lib.sh
R=$FIX/rules/small.rules.csv
L=$FIX/leads/small.csv

# 10,003 leads: the five hand-checked rows of small.csv over and over, each with its own id
awk -F, 'NR == 1 { print; next } { rows[++n] = $0 }
    END { for (i = 1; i <= 10003; i++) { r = rows[(i - 1) % n + 1]; sub(/^[^,]*/, "L" i, r); print r } }' \
    "$L" >"$TMP/big.csv"
check "big file has 10,004 lines" [ "$(wc -l <"$TMP/big.csv")" -eq 10004 ]

run score "$R" "$TMP/big.csv" -o "$TMP/big.scored.csv"
expect "score 10,003 leads exit 0" 0 ""
check "one output row per lead" [ "$(wc -l <"$TMP/big.scored.csv")" -eq 10004 ]

# the same leads scored in pieces of 1,000 (header repeated), then put back together
head -n 1 "$TMP/big.csv" >"$TMP/hdr"
tail -n +2 "$TMP/big.csv" | split -l 1000 - "$TMP/piece."
: >"$TMP/pieces.scored"
ok=1
for p in "$TMP"/piece.*; do
    cat "$TMP/hdr" "$p" >"$p.csv"
    "$MQLCAL" score "$R" "$p.csv" >"$p.out" 2>/dev/null || ok=0
    if [ ! -s "$TMP/pieces.scored" ]; then head -n 1 "$p.out" >"$TMP/pieces.scored"; fi
    tail -n +2 "$p.out" >>"$TMP/pieces.scored"
done
check "every piece scored" [ "$ok" = 1 ]
check "batched output is byte-identical to the pieces, in input order" \
    cmp -s "$TMP/big.scored.csv" "$TMP/pieces.scored"
# the order is the input order: row k of the output is lead Lk
check "row 9,000 is lead L9000" [ "$(sed -n 9001p "$TMP/big.scored.csv" | cut -d, -f1)" = L9000 ]
check "last row is lead L10003" [ "$(tail -n 1 "$TMP/big.scored.csv" | cut -d, -f1)" = L10003 ]

# standard input and standard output: the same bytes
"$MQLCAL" score "$R" - <"$TMP/big.csv" >"$TMP/stdin.scored" 2>/dev/null
check "stdin to stdout gives the same bytes" cmp -s "$TMP/big.scored.csv" "$TMP/stdin.scored"

# a write that fails part way (the worker's error) is reported, exit 3
if [ -w /dev/full ]; then
    "$MQLCAL" score "$R" "$TMP/big.csv" >/dev/full 2>"$ERR"
    RC=$?
    expect "write failure exits 3" 3 "writ"
fi
# a data error after several batches leaves no output file
cp "$TMP/big.csv" "$TMP/broken.csv"
printf 'L99999,"VP,business\n' >>"$TMP/broken.csv"
run score "$R" "$TMP/broken.csv" -o "$TMP/broken.scored.csv"
check "bad record after 10,003 good ones fails" [ "$RC" != 0 ]
check "no output file after a failure" [ ! -e "$TMP/broken.scored.csv" ]
