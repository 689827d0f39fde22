#!/usr/bin/env bash
# ref_xxh64.sh: reference XXH64 digests (seed 0) for tests/unit/test_csv.c, from xxh64sum (Debian
# package 'xxhash'). Input: the first N bytes of the 40-byte text below repeated 25 times, for
# lengths that cover every branch of the algorithm (empty, 1-3 byte tails, a 4-byte tail, 8-byte
# tails, whole 32-byte stripes, a partial stripe after stripes).
set -eu
tmp=$(mktemp)
trap 'rm -f "$tmp"' EXIT
for _ in $(seq 25); do printf 'lead_id,created,score\nL01,2024-01-01,75\n'; done >"$tmp"
for n in 0 1 3 4 7 8 31 32 33 63 64 100 1000; do
    head -c "$n" "$tmp" | xxh64sum | awk -v n="$n" '{ print n, $1 }'
done
