#!/bin/sh
# test_browser.sh: the review report prints whole (issue 11 item 9). Headless Chromium renders
# index.html of the demo review and of a review whose points tables hold 30-value `in` rules:
#  - on screen at 1024 px wide, and in the print layout (the page's @media print rules
#    applied, 700 px: A4 or Letter less the 12 mm @page margins), no element reaches past the
#    page and no table needs scrolling (tests/fixtures/report/measure.js measures after layout);
#  - in the PDF that --print-to-pdf writes, every table's last header cell (marked ZQ<k>Z by the
#    same script) is in the text pdftotext extracts, so no table is cut off at the right.
# Skips (no case run) only when chromium is not installed; pdftotext (poppler-utils) comes with
# it from scripts/install-deps.sh.
. tests/cli/lib.sh

CHROMIUM=$(command -v chromium || command -v chromium-browser || true)
if [ -z "$CHROMIUM" ]; then
    echo "# skip: chromium is not installed (scripts/install-deps.sh installs it)"
    exit 0
fi
if ! command -v pdftotext >/dev/null 2>&1; then
    echo "not ok browser_pdftotext: chromium is installed but pdftotext (poppler-utils) is not"
    exit 0
fi

PROFILE=$(mktemp -d "$TMP/profile.XXXXXX")
# chrome ARGS...: headless Chromium as the test user may run it (root needs --no-sandbox), with
# nothing reaching the network; stderr (dbus noise) to a file.
chrome() {
    timeout 120 "$CHROMIUM" --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
        --disable-background-networking --disable-component-update --disable-sync \
        --disable-dev-shm-usage --user-data-dir="$PROFILE" "$@" 2>>"$TMP/chromium.err"
}

# measured_copy HTML OUT [print]: a copy of HTML with measure.js appended before </body>; with
# "print" the @media print rules apply on screen too.
measured_copy() {
    if [ "${3:-}" = print ]; then
        sed 's/@media print{/@media all{/' "$1"
    else
        cat "$1"
    fi | sed '/<\/body>/,$d' >"$2"
    { printf '<script>\n'; cat "$FIX/report/measure.js"; printf '</script>\n</body>\n</html>\n'; } >>"$2"
}

# check_layout NAME HTML WIDTH [print]
check_layout() {
    measured_copy "$2" "$TMP/m.html" "${4:-}"
    chrome --window-size="$3,900" --virtual-time-budget=5000 --run-all-compositor-stages-before-draw \
        --dump-dom "file://$(pwd)/$TMP/m.html" >"$TMP/dom.html"
    sed -n '/<pre id="mqlcal-measure">/,/<\/pre>/p' "$TMP/dom.html" >"$TMP/measure.txt"
    tables=$(sed -n 's/.*tables \([0-9]*\).*/\1/p' "$TMP/measure.txt")
    wide=$(sed -n 's/^wide \([0-9]*\)$/\1/p' "$TMP/measure.txt")
    if [ -z "$tables" ] || [ "$tables" = 0 ]; then
        echo "not ok $1: no measurement (or no table) in the rendered page"
        tail -n 5 "$TMP/chromium.err" | sed 's/^/#   /'
    elif [ "$wide" != 0 ]; then
        echo "not ok $1: $wide elements wider than the $3 px page"
        grep '^wide:' "$TMP/measure.txt" | head -n 12 | sed 's/^/#   /'
    else
        echo "ok $1"
    fi
}

# check_pdf NAME HTML: prints the marked copy to PDF; every table's marker is in its text.
check_pdf() {
    measured_copy "$2" "$TMP/p.html"
    rm -f "$TMP/p.pdf"
    chrome --virtual-time-budget=5000 --run-all-compositor-stages-before-draw --no-pdf-header-footer \
        --print-to-pdf="$TMP/p.pdf" "file://$(pwd)/$TMP/p.html" >/dev/null
    if ! [ -s "$TMP/p.pdf" ] || ! pdftotext "$TMP/p.pdf" "$TMP/p.txt" 2>/dev/null; then
        echo "not ok $1: no PDF printed"; tail -n 5 "$TMP/chromium.err" | sed 's/^/#   /'; return
    fi
    n=$(grep -c '<table' "$2")
    missing=""
    k=0
    while [ "$k" -lt "$n" ]; do
        grep -q "ZQ${k}Z" "$TMP/p.txt" || missing="$missing $k"
        k=$((k + 1))
    done
    if [ "$n" = 0 ]; then
        echo "not ok $1: the page has no table"
    elif [ -n "$missing" ]; then
        echo "not ok $1: the last column of table(s)$missing (of $n, in page order) is not in the PDF"
    else
        echo "ok $1"
    fi
}

L="--outcome closed_won --sql became_sql --date created_date --acv acv"
run review datasets/synthetic-leads.csv $L --maturity 45 --current datasets/current-model.rules.csv \
    --train-until 2025-06-30 --capacity 150 --revenue 600000 --cycle-days 45 -o "$TMP/demo"
expect browser_demo_review 0 ''
W=$FIX/report
run review $W/wide-in.csv --outcome closed_won --date created_date --current $W/wide-in.rules.csv \
    -o "$TMP/wide"
expect browser_wide_review 0 ''
check browser_wide_has_30_values [ "$(grep -c 'Federated Province Number 30' "$TMP/wide/index.html")" -ge 1 ]

for r in demo wide; do
    check_layout "browser_${r}_screen_1024" "$TMP/$r/index.html" 1024
    check_layout "browser_${r}_print_layout" "$TMP/$r/index.html" 700 print
    check_pdf "browser_${r}_pdf_last_columns" "$TMP/$r/index.html"
done
