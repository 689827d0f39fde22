# lib.sh: helpers for CLI tests. Source it; $MQLCAL is the binary under test.
# Each check prints "ok NAME" or "not ok NAME" with the reason; tests/run.sh counts them.
# Work files go to a fresh directory under tests/tmp, removed at exit.
: "${MQLCAL:=build/mqlcal}"
FIX=tests/fixtures
mkdir -p tests/tmp
TMP=$(mktemp -d tests/tmp/cli.XXXXXX)
trap 'rm -rf "$TMP"' EXIT
OUT="$TMP/stdout"
ERR="$TMP/stderr"
# The table cache of every run goes to this test's own directory, never to ~/.cache.
export XDG_CACHE_HOME="$PWD/$TMP/xdg-cache"
unset MQLCAL_CACHE_DIR

# run ARGS...: runs mqlcal with stdout/stderr captured; sets RC.
run() {
    "$MQLCAL" "$@" >"$OUT" 2>"$ERR" </dev/null
    RC=$?
}

# expect NAME RC PATTERN: the last run exited with RC and stderr matches the grep -E PATTERN
# (empty PATTERN: stderr not checked).
expect() {
    if [ "$RC" != "$2" ]; then
        echo "not ok $1: exit $RC, wanted $2"; sed 's/^/#   /' "$ERR" | head -n 5; return
    fi
    if [ -n "$3" ] && ! grep -Eq -- "$3" "$ERR"; then
        echo "not ok $1: stderr lacks /$3/"; sed 's/^/#   /' "$ERR" | head -n 5; return
    fi
    echo "ok $1"
}

# expect_out NAME PATTERN: the last run's stdout matches the grep -E PATTERN.
expect_out() {
    if grep -Eq -- "$2" "$OUT"; then echo "ok $1"; else
        echo "not ok $1: stdout lacks /$2/"; head -n 20 "$OUT" | sed 's/^/#   /'; fi
}

# check NAME CONDITION...: runs a shell test (e.g. check name [ -f file ]).
check() {
    name=$1; shift
    if "$@"; then echo "ok $name"; else echo "not ok $name: $*"; fi
}

# no_nan NAME FILE...: no figure reads nan or inf (as a word: "infinite" or "info" are fine).
no_nan() {
    name=$1; shift
    if grep -EiHn '(^|[^a-z_])-?(nan|inf)([^a-z_]|$)' "$@" >"$TMP/nan.txt" 2>/dev/null; then
        echo "not ok $name: nan or inf printed"; head -n 3 "$TMP/nan.txt" | sed 's/^/#   /'
    else
        echo "ok $name"
    fi
}

# fit_same_cache_off_on NAME ARGS...: fit ARGS with the table cache off, then on (a fresh cache:
# a miss), and the same exit code, stdout, stderr and model file both times
fit_same_cache_off_on() {
    name=$1; shift
    MQLCAL_NO_CACHE=1 run fit "$@" -o "$TMP/off.json"
    rc_off=$RC; cp "$OUT" "$TMP/off.out"; cp "$ERR" "$TMP/off.err"
    rm -rf "$XDG_CACHE_HOME"
    run fit "$@" -o "$TMP/on.json"
    if [ "$RC" != "$rc_off" ]; then
        echo "not ok $name: exit $rc_off with the cache off, $RC with it on"; return
    fi
    if ! cmp -s "$OUT" "$TMP/off.out" || ! cmp -s "$ERR" "$TMP/off.err"; then
        echo "not ok $name: the output differs"; diff "$TMP/off.err" "$ERR" | head -n 5 | sed 's/^/#   /'
        return
    fi
    if [ -f "$TMP/on.json" ] && ! cmp -s "$TMP/on.json" "$TMP/off.json"; then
        echo "not ok $name: the model differs"; return
    fi
    rm -f "$TMP/on.json" "$TMP/off.json"
    echo "ok $name"
}
