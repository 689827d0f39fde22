#!/bin/sh
# fuzz.sh BUILD SECONDS: runs the libFuzzer harnesses BUILD/fuzz_{csv,rules,model} (made by
# `make fuzz`) side by side at the lowest priority for SECONDS each, with the seeds of
# tests/fuzz/corpus/NAME and the dictionary tests/fuzz/NAME.dict. The growing corpus is kept in
# BUILD/corpus-NAME, findings (crash-*, leak-*, timeout-*; slow-unit-* are listed, not failures) go to BUILD/findings-NAME/ and the
# log to BUILD/fuzz-NAME.log. Prints each harness's last status line (executions, coverage)
# and the findings; exits 1 when there are any. Minimise a finding with
#   BUILD/fuzz_NAME -minimize_crash=1 -runs=10000 FILE
# and commit it to tests/fuzz/regress/NAME/ so `make test` replays it.
set -u
build=${1:-build-fuzz}
secs=${2:-60}
cd "$(dirname "$0")/.."
# One BLAS thread: the fits are tiny, and a thread pool per run only costs time.
export OPENBLAS_NUM_THREADS=1
pids=
for h in csv rules model; do
    mkdir -p "$build/corpus-$h" "$build/findings-$h"
    # fork mode: a crash, leak or timeout is saved and the run goes on to find the next one
    nice -n 19 "$build/fuzz_$h" -fork=1 -ignore_crashes=1 -ignore_timeouts=1 -ignore_ooms=1 \
        -max_total_time="$secs" -max_len=8192 -timeout=30 -rss_limit_mb=2048 -dict="tests/fuzz/$h.dict" -artifact_prefix="$build/findings-$h/" \
        -print_final_stats=1 "$build/corpus-$h" "tests/fuzz/corpus/$h" \
        >"$build/fuzz-$h.log" 2>&1 &
    pids="$pids $!"
done
for p in $pids; do wait "$p"; done
found=0
for h in csv rules model; do
    echo "fuzz_$h: $(grep -E '^#[0-9]+' "$build/fuzz-$h.log" | tail -n 1)"
    grep -E '^stat::number_of_executed_units|^stat::peak_rss_mb' "$build/fuzz-$h.log" | sed 's/^/  /'
    for f in "$build/findings-$h"/*; do
        [ -e "$f" ] || continue
        case $(basename "$f") in
            slow-unit-*) echo "  slow (over 10 s of wall time; not a failure): $f" ;;
            *) echo "  finding: $f"; found=1 ;;
        esac
    done
done
exit $found
