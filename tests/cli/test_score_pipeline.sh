#!/bin/sh
# test_score_pipeline.sh: `mqlcal score` reads on one thread and scores/writes batches of 2048
# records on either thread, six batches in flight, writing them in input order. A 10,003-record
# file (five batches, the last partial) and a 30,001-record one (fifteen: every batch buffer
# reused, both threads scoring) must give exactly the bytes of scoring their pieces one by one
# (each piece inside one batch), in the input order; a failing write still exits 3 and leaves no
# file; a bad record in a middle batch leaves the old output file as it was.
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

# 30,001 leads: more batches than are in flight, so each batch buffer is filled again and both
# threads score; the output is still the pieces' bytes in input order
awk -F, 'NR == 1 { print; next } { rows[++n] = $0 }
    END { for (i = 1; i <= 30001; i++) { r = rows[(i - 1) % n + 1]; sub(/^[^,]*/, "L" i, r); print r } }' \
    "$L" >"$TMP/big30.csv"
run score "$R" "$TMP/big30.csv" -o "$TMP/big30.scored.csv"
expect "score 30,001 leads exit 0" 0 ""
tail -n +2 "$TMP/big30.csv" | split -l 1000 - "$TMP/p30."
head -n 1 "$TMP/big.scored.csv" >"$TMP/p30.scored"
ok=1
for p in "$TMP"/p30.*; do
    [ "$p" = "$TMP/p30.scored" ] && continue
    cat "$TMP/hdr" "$p" >"$TMP/piece30.csv"
    "$MQLCAL" score "$R" "$TMP/piece30.csv" 2>/dev/null | tail -n +2 >>"$TMP/p30.scored" || ok=0
done
check "every piece of the 30,001 scored" [ "$ok" = 1 ]
check "30,001 leads in fifteen batches: the pieces' bytes in input order" \
    cmp -s "$TMP/big30.scored.csv" "$TMP/p30.scored"
check "row 25,000 is lead L25000" \
    [ "$(sed -n 25001p "$TMP/big30.scored.csv" | cut -d, -f1)" = L25000 ]

# a bad record in batch 9 of 15: the message names its line, the old output file stays as it
# was, and on standard output the rows that came out are the full output's first rows
head -n 18001 "$TMP/big30.csv" >"$TMP/mid.csv"
printf 'L18001,VP,business\n' >>"$TMP/mid.csv"
tail -n +18003 "$TMP/big30.csv" >>"$TMP/mid.csv"
echo "old output" >"$TMP/mid.scored.csv"
run score "$R" "$TMP/mid.csv" -o "$TMP/mid.scored.csv"
expect "bad record in a middle batch exits 1 naming its line" 1 \
    "mid.csv:18002: 3 fields, header has 6"
check "the old output file is left as it was" [ "$(cat "$TMP/mid.scored.csv")" = "old output" ]
"$MQLCAL" score "$R" "$TMP/mid.csv" >"$TMP/mid.stdout" 2>/dev/null
n=$(wc -c <"$TMP/mid.stdout")
check "standard output before the failure is a prefix of the full output" \
    sh -c "head -c $n '$TMP/big30.scored.csv' | cmp -s - '$TMP/mid.stdout'"
check "no row at or after the bad record reaches standard output" \
    [ "$(grep -c '^L1800[1-9],\|^L2[0-9][0-9][0-9][0-9],' "$TMP/mid.stdout")" = 0 ]
