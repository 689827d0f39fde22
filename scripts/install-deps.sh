#!/bin/sh
# Installs the Debian packages mqlcal needs to build and test, only those that are missing.
# Non-interactive; needs root (or sudo) only when something is actually missing.
#   scripts/install-deps.sh          what building mqlcal needs (make demo)
#   scripts/install-deps.sh --test   that plus what the tests drive (make test): a real browser for
#                                    the report tests, clang's libFuzzer, PostgreSQL and SQLite for
#                                    the warehouse SQL tests
set -eu

PKGS="make gcc libc6-dev pkg-config libgsl-dev libcsv-dev libjansson-dev libcmocka-dev libopenblas-dev"
# One package a line, so additions merge cleanly.
TEST_PKGS="
chromium
poppler-utils
clang
libclang-rt-14-dev
postgresql
sqlite3
"
if [ "${1:-}" = "--test" ]; then
    PKGS="$PKGS $(echo $TEST_PKGS)"
fi

missing=""
for p in $PKGS; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
        missing="$missing $p"
    fi
done
[ -z "$missing" ] && exit 0

echo "install-deps: installing:$missing" >&2
SUDO=""
if [ "$(id -u)" != 0 ]; then
    if command -v sudo >/dev/null 2>&1; then SUDO="sudo"; else
        echo "install-deps: need root to install:$missing" >&2; exit 1
    fi
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
# shellcheck disable=SC2086
$SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null
