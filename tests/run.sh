#!/bin/sh
# Runs every test and ends with the line "N passed, N failed" that CI reads.
#   tests/run.sh BUILD [ASAN_BUILD]   unit tests from BUILD, CLI tests with BUILD/mqlcal, then the
#                                     unit tests built under ASan+UBSan in ASAN_BUILD
#   tests/run.sh --unit-only BUILD    unit tests only
#   tests/run.sh --valgrind BUILD     unit tests under valgrind --error-exitcode
# Unit tests are cmocka programs; each "[  PASSED  ] N" / "[  FAILED  ] N" line is counted.
# CLI tests are tests/cli/test_*.sh; each prints "ok NAME" or "not ok NAME" per case.
set -u
cd "$(dirname "$0")/.."

mode=all
case "${1:-}" in
    --unit-only) mode=unit; shift ;;
    --valgrind) mode=valgrind; shift ;;
esac
build=${1:-build}
asan=${2:-}
passed=0
failed=0
log=$(mktemp)
trap 'rm -f "$log"' EXIT

run_unit() { # $1 = build dir, $2 = wrapper (may be empty), $3 = label
    for t in "$1"/tests/test_*; do
        [ -x "$t" ] || continue
        name="$3$(basename "$t")"
        $2 "$t" >"$log" 2>&1
        rc=$?
        p=$(sed -n 's/^\[  PASSED  \] \([0-9]*\) test.*/\1/p' "$log" | tail -n 1)
        f=$(sed -n 's/^\[  FAILED  \] \([0-9]*\) test.*/\1/p' "$log" | tail -n 1)
        p=${p:-0}; f=${f:-0}
        if [ "$rc" != 0 ] && [ "$f" = 0 ]; then f=1; fi   # crashed or sanitizer report
        passed=$((passed + p)); failed=$((failed + f))
        if [ "$f" != 0 ]; then
            echo "FAIL $name ($p passed, $f failed, exit $rc)"; cat "$log"
        else
            echo "ok   $name ($p tests)"
        fi
    done
}

run_cli() {
    for t in tests/cli/test_*.sh; do
        [ -f "$t" ] || continue
        MQLCAL="$build/mqlcal" sh "$t" >"$log" 2>&1
        rc=$?
        p=$(grep -c '^ok ' "$log")
        f=$(grep -c '^not ok ' "$log")
        if [ "$rc" != 0 ] && [ "$f" = 0 ]; then f=1; fi
        passed=$((passed + p)); failed=$((failed + f))
        if [ "$f" != 0 ]; then
            echo "FAIL $(basename "$t") ($p passed, $f failed)"; grep -v '^ok ' "$log"
        else
            echo "ok   $(basename "$t") ($p cases)"
        fi
    done
}

case $mode in
    unit) run_unit "$build" "" "" ;;
    valgrind) run_unit "$build" "valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite" "valgrind:" ;;
    all)
        run_unit "$build" "" ""
        run_cli
        [ -n "$asan" ] && ASAN_OPTIONS=detect_leaks=1 run_unit "$asan" "" "asan:"
        ;;
esac

echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
