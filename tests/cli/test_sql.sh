# test_sql.sh: `mqlcal sql` and count tables (--count / --won). The SQL runs in a real SQLite
# (sqlite3) and a real PostgreSQL server that this script starts in a temporary directory (Unix
# socket only, as `nobody` when run as root) and stops at exit: the scoring query must give every
# lead the score, band, MQL flag and reasons `mqlcal score` gives; the cell count table fitted
# with --count must give the row-level coefficients to 1e-10 and the same backtest tables.
# BigQuery, Snowflake and Spark: golden files of the generated text (tests/fixtures/sql/golden,
# regenerate with MQL_SQL_GOLDEN=write after checking the change).
. tests/cli/lib.sh

SQLF=$FIX/sql
LEADS=datasets/synthetic-leads.csv
RULES=datasets/current-model.rules.csv
ROLES="--outcome closed_won --sql became_sql --date created_date --acv acv"
CROLES="--count n --won won --sql sql --date created_date --acv acv"
# the design of the count-table tests: categorical, boolean, linear and binned features
DESIGN="--features job_level,email_domain_type,webinar_attended,pricing_page_visits,employees --bins employees=3"

# ---- usage and errors ------------------------------------------------------------------------
run sql "$RULES" --table leads
expect sql_needs_dialect 2 "--dialect postgres\|sqlite"
run sql "$RULES" --dialect oracle --table leads
expect sql_bad_dialect 2 "got 'oracle'"
run sql "$RULES" --dialect sqlite
expect sql_needs_table 2 "--table T is needed"
run sql "$RULES" --fit-design "$LEADS" --dialect sqlite --table t --outcome closed_won
expect sql_model_or_design 2 "give MODEL or --fit-design SAMPLE.csv, not both"
run sql "$RULES" --counts --dialect sqlite --table t
expect sql_counts_need_outcome 2 "a count table needs --outcome COL"
run sql "$RULES" --dialect sqlite --table t --outcome closed_won
expect sql_roles_need_count_table 2 "are for the count tables"
run sql "$RULES" --dialect sqlite --table 'crm..leads'
expect sql_bad_table 2 "'crm..leads' has an empty part"
run sql "$RULES" --dialect sqlite --table t --columns mql_x
expect sql_reserved_column 2 "starts with mql_"
run sql "$RULES" --cells --dialect sqlite --table t --outcome closed_won
expect sql_cells_need_design 1 "needs a model JSON written by fit"
run sql "$RULES" --dialect sqlite --table t --bins 3
expect sql_design_opts_need_sample 2 "design options go with --fit-design"
run sql --fit-design "$LEADS" --dialect sqlite --table t --outcome closed_won --period week --date created_date
expect sql_bad_period 2 "--period: month or day"
run help sql
expect sql_help 0 ""
expect_out sql_help_text "count table"

printf 'job_level,n,won\nVP,3,1\nCEO,2,3\n' >"$TMP/bad_counts.csv"
run fit "$TMP/bad_counts.csv" --count n --won won
expect count_won_above_n 1 "bad_counts.csv: line 3: won 3 is more than the 2 leads in column 'n'"
printf 'job_level,n,won\nVP,3,1\nCEO,2.5,1\n' >"$TMP/bad_counts2.csv"
run fit "$TMP/bad_counts2.csv" --count n --won won
expect count_not_integer 1 "line 3: column 'n': not a whole number >= 0"
run fit "$TMP/bad_counts.csv" --won won
expect count_needs_won 2 "--count COL and --won COL go together"
run fit "$TMP/bad_counts.csv" --count n --won won --outcome won
expect count_not_with_outcome 2 "the outcome of a count table is --won COL"
printf 'job_level,n,won\nVP,3,1\nCEO,2,0\n' >"$TMP/counts.csv"
run fit "$TMP/counts.csv" --count n --won won --weight n
expect count_not_with_weight 2 "--weight and --count"

# ---- golden files: the generated text of every dialect ----------------------------------------
"$MQLCAL" fit "$LEADS" $ROLES --exclude close_date,sql_date -o "$TMP/model.json" >/dev/null 2>&1
"$MQLCAL" fit "$LEADS" $ROLES $DESIGN -o "$TMP/model_binned.json" >/dev/null 2>&1
golden() {  # golden NAME ARGS...: the output of `mqlcal sql ARGS` equals golden/NAME.sql
    name=$1; shift
    "$MQLCAL" sql "$@" >"$TMP/$name.sql" 2>"$ERR"
    if [ "${MQL_SQL_GOLDEN:-}" = write ]; then cp "$TMP/$name.sql" "$SQLF/golden/$name.sql"; fi
    if cmp -s "$TMP/$name.sql" "$SQLF/golden/$name.sql"; then echo "ok golden_$name"; else
        echo "not ok golden_$name: differs from $SQLF/golden/$name.sql"
        diff "$SQLF/golden/$name.sql" "$TMP/$name.sql" | head -n 10 | sed 's/^/#   /'
    fi
}
for d in postgres sqlite bigquery snowflake spark; do
    golden "score.$d" "$RULES" --dialect $d --table crm.leads --columns lead_id
    golden "tricky.$d" "$SQLF/tricky.rules.csv" --dialect $d --table 'crm.odd "leads"' \
        --columns id,"it's \"odd\"" --na 'n/a,Select,?'
    golden "iso.$d" "$SQLF/iso.rules.csv" --dialect $d --table leads
    golden "keepselect.$d" "$SQLF/keepselect.rules.csv" --dialect $d --table leads
    golden "compound.$d" "$SQLF/compound.rules.csv" --dialect $d --table leads --columns lead_id
    golden "counts.$d" "$RULES" --counts --dialect $d --table leads $ROLES --period day
    golden "cells.$d" --fit-design "$LEADS" --dialect $d --table leads $ROLES $DESIGN
done

# Escaping, independently of the goldens: the literals of O'Brien and back\slash per dialect.
lit() {  # NAME DIALECT TEXT: the tricky model's query in DIALECT holds TEXT
    "$MQLCAL" sql "$SQLF/tricky.rules.csv" --dialect "$2" --table t --columns 'a`b' >"$OUT"
    check "$1" grep -Fq -- "$3" "$OUT"
}
lit escape_postgres postgres "mql_l0 = E'o''brien') OR (mql_x0 IS NULL AND mql_l0 = E'back\\\\slash')"
lit escape_sqlite sqlite "mql_l0 = 'o''brien') OR (mql_x0 IS NULL AND mql_l0 = 'back\\slash')"
lit escape_bigquery bigquery "mql_l0 = 'o\\'brien') OR (mql_x0 IS NULL AND mql_l0 = 'back\\\\slash')"
lit escape_snowflake snowflake "mql_l0 = 'o\\'brien')"
lit escape_spark spark "mql_l0 = 'o\\'brien')"
lit unicode_passes_through spark "'+9 title = 日本'"
lit ident_postgres postgres 'CAST("it'"'"'s ""odd""" AS TEXT)'
lit ident_bigquery bigquery 'CAST(`it'"'"'s "odd"` AS STRING)'
lit ident_spark spark '`a``b`'
lit sqlite_control_bytes sqlite "('' || ' ' || char(9))"

# ---- helpers to compare a query's result with `mqlcal score` in the database ------------------
# The score output is loaded as a text table `sc`, the query's result as `q`; mismatch counts
# the leads whose score, band, MQL flag or any reason differ, or whose probability differs by
# more than the 6 significant digits `score` prints.
CMP_SQL="SELECT count(*) || ' ' || sum(CASE WHEN CAST(q.score AS INTEGER) = CAST(sc.score AS INTEGER)
  AND q.band = sc.band AND CAST(q.is_mql AS INTEGER) = CAST(sc.is_mql AS INTEGER)
  AND coalesce(q.reason_1, '') = coalesce(sc.reason_1, '')
  AND coalesce(q.reason_2, '') = coalesce(sc.reason_2, '')
  AND coalesce(q.reason_3, '') = coalesce(sc.reason_3, '')
  AND ((q.probability IS NULL AND coalesce(sc.probability, '') = '')
       OR abs(q.probability - CAST(sc.probability AS REAL)) <= 5e-6 * q.probability)
  THEN 1 ELSE 0 END) FROM q JOIN sc ON q.KEY = sc.KEY;"

# ---- SQLite ------------------------------------------------------------------------------------
if ! command -v sqlite3 >/dev/null 2>&1; then
    echo "not ok sqlite3_installed: sqlite3 is missing (scripts/install-deps.sh --test)"
else
    DB="$TMP/leads.db"
    sqlite3 "$DB" ".mode csv" ".import $LEADS leads" ".import $SQLF/tricky.csv tricky"
    sqlite_score() {  # NAME MODEL TABLE KEY FILE N [score options]
        name=$1 model=$2 table=$3 key=$4 file=$5 n=$6; shift 6
        "$MQLCAL" score "$model" "$file" "$@" >"$TMP/sc.csv"
        "$MQLCAL" sql "$model" --dialect sqlite --table "$table" --columns "$key" "$@" >"$TMP/q.sql"
        got=$({ echo "DROP TABLE IF EXISTS sc; DROP TABLE IF EXISTS q;"; echo ".mode csv";
                echo ".import $TMP/sc.csv sc"; echo "CREATE TABLE q AS "; cat "$TMP/q.sql";
                echo ".mode list"; echo "$CMP_SQL" | sed "s/KEY/\"$key\"/g"; } |
              sqlite3 "$DB" 2>&1)
        check "sqlite_$name" [ "$got" = "$n $n" ]
        [ "$got" = "$n $n" ] || echo "#   got '$got', want '$n $n'"
    }
    sqlite_score score_rules "$RULES" leads lead_id "$LEADS" 20000
    sqlite_score score_fitted "$TMP/model.json" leads lead_id "$LEADS" 20000
    sqlite_score score_isotonic "$SQLF/iso.rules.csv" leads lead_id "$LEADS" 20000
    sqlite_score score_threshold "$TMP/model.json" leads lead_id "$LEADS" 20000 --threshold 40
    sqlite_score score_tricky "$SQLF/tricky.rules.csv" tricky id "$SQLF/tricky.csv" 15
    sqlite_score score_tricky_na "$SQLF/tricky.rules.csv" tricky id "$SQLF/tricky.csv" 15 \
        --na 'Select,?,NULL'
    # compound rules (conditions ANDed, one rule per feature set) and caps
    sqlite_score score_compound_caps "$SQLF/compound.rules.csv" leads lead_id "$LEADS" 20000
    # the model's own placeholder list ('# na: -Select': Select is an answer, not missing)
    sqlite_score score_model_na "$SQLF/keepselect.rules.csv" tricky id "$SQLF/tricky.csv" 15
    sqlite_score score_na_plus "$SQLF/keepselect.rules.csv" tricky id "$SQLF/tricky.csv" 15 \
        --na +Select,O\'Brien
fi

# ---- PostgreSQL --------------------------------------------------------------------------------
PGBIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
if [ -z "$PGBIN" ] || [ ! -x "$PGBIN/initdb" ]; then
    echo "not ok postgres_installed: no /usr/lib/postgresql/*/bin/initdb (scripts/install-deps.sh --test)"
    exit 1
fi
PGDIR=$(mktemp -d /tmp/mqlcal-pg.XXXXXX)
AS=""
if [ "$(id -u)" = 0 ]; then
    AS="runuser -u nobody --"
    chown nobody "$PGDIR"
fi
pg_stop() {
    $AS "$PGBIN/pg_ctl" -D "$PGDIR/data" -m immediate -w stop >/dev/null 2>&1
    rm -rf "$PGDIR"
}
trap 'pg_stop; rm -rf "$TMP"' EXIT
trap 'exit 1' INT TERM
if $AS "$PGBIN/initdb" -D "$PGDIR/data" -A trust -U mql --no-locale -E UTF8 >"$PGDIR/initdb.log" 2>&1 &&
   $AS "$PGBIN/pg_ctl" -D "$PGDIR/data" -o "-k $PGDIR -c listen_addresses=" -l "$PGDIR/log" -w \
       start >/dev/null 2>&1; then
    echo "ok postgres_started"
else
    echo "not ok postgres_started: the server did not start"
    sed 's/^/#   /' "$PGDIR/initdb.log" "$PGDIR/log" 2>/dev/null | tail -n 10
    exit 1
fi
pg() { $AS "$PGBIN/psql" -X -q -v ON_ERROR_STOP=1 -h "$PGDIR" -U mql -d postgres "$@"; }

# every column as text, as the CSV export has it
textcols() { head -n 1 "$1" | tr -d '\r' | tr ',' '\n' | sed 's/.*/"&" text/' | paste -sd, -; }
pg -c "CREATE TABLE leads ($(textcols "$LEADS"))" &&
    pg -c "\\copy leads FROM STDIN CSV HEADER" <"$LEADS" &&
    pg -c "CREATE TABLE tricky (id text, title text, \"it's \"\"odd\"\"\" text, visits text, flag text)" &&
    pg -c "\\copy tricky FROM STDIN CSV HEADER" <"$SQLF/tricky.csv"
check postgres_loaded [ $? = 0 ]

pg_score() {  # NAME MODEL TABLE KEY FILE N [score options]
    name=$1 model=$2 table=$3 key=$4 file=$5 n=$6; shift 6
    "$MQLCAL" score "$model" "$file" "$@" >"$TMP/sc.csv"
    "$MQLCAL" sql "$model" --dialect postgres --table "$table" --columns "$key" "$@" >"$TMP/q.sql"
    # the score output's header, every column text (the tricky one renamed)
    cols=$(head -n 1 "$TMP/sc.csv" | sed 's/"it.s ""odd"""/odd/' | tr ',' '\n' |
           sed 's/.*/"&" text/' | paste -sd, -)
    pg -c "DROP TABLE IF EXISTS sc; DROP TABLE IF EXISTS q; CREATE TABLE sc ($cols)" 2>/dev/null
    pg -c "\\copy sc FROM STDIN CSV HEADER" <"$TMP/sc.csv"
    got=$({ echo "CREATE TABLE q AS "; cat "$TMP/q.sql";
            echo "$CMP_SQL" | sed "s/KEY/\"$key\"/g; s/AS REAL/AS DOUBLE PRECISION/"; } |
          pg -At 2>&1)
    check "postgres_$name" [ "$got" = "$n $n" ]
    [ "$got" = "$n $n" ] || echo "#   got '$got', want '$n $n'"
}
pg_score score_rules "$RULES" leads lead_id "$LEADS" 20000
pg_score score_fitted "$TMP/model.json" leads lead_id "$LEADS" 20000
pg_score score_isotonic "$SQLF/iso.rules.csv" leads lead_id "$LEADS" 20000
pg_score score_tricky "$SQLF/tricky.rules.csv" tricky id "$SQLF/tricky.csv" 15
pg_score score_tricky_na "$SQLF/tricky.rules.csv" tricky id "$SQLF/tricky.csv" 15 --na 'Select,?,NULL'
pg_score score_model_na "$SQLF/keepselect.rules.csv" tricky id "$SQLF/tricky.csv" 15
pg_score score_compound_caps "$SQLF/compound.rules.csv" leads lead_id "$LEADS" 20000

# The score table of a model equals `mqlcal score`'s scores counted by score and day.
"$MQLCAL" score "$RULES" "$LEADS" >"$TMP/sc.csv"
"$MQLCAL" sql "$RULES" --counts --dialect postgres --table leads $ROLES --period day >"$TMP/q.sql"
cols=$(head -n 1 "$TMP/sc.csv" | tr ',' '\n' | sed 's/.*/"&" text/' | paste -sd, -)
pg -c "DROP TABLE IF EXISTS sc; DROP TABLE IF EXISTS q; CREATE TABLE sc ($cols)" 2>/dev/null
pg -c "\\copy sc FROM STDIN CSV HEADER" <"$TMP/sc.csv"
got=$({ echo "CREATE TABLE q AS "; cat "$TMP/q.sql"
        echo "SELECT count(*) FROM (SELECT score::int AS score, created_date, count(*) AS n,
                sum(closed_won::int) AS won, sum((lower(became_sql) = 'yes')::int) AS sql,
                sum(CASE WHEN closed_won = '1' THEN acv::float8 END) AS acv
              FROM sc GROUP BY 1, 2) a FULL JOIN q b USING (score, created_date)
              WHERE a.n IS DISTINCT FROM b.n OR a.won IS DISTINCT FROM b.won
                 OR a.sql IS DISTINCT FROM b.sql OR abs(a.acv - b.acv) > 1e-6;"; } | pg -At 2>&1)
check postgres_score_counts [ "$got" = 0 ]
[ "$got" = 0 ] || echo "#   got '$got' differing rows"

# The cell count table, fitted and evaluated by mqlcal, gives the raw rows' results.
cells() {  # DIALECT: runs the cell query of $DESIGN and writes the table to $TMP/cells.csv
    "$MQLCAL" sql --fit-design "$LEADS" --dialect "$1" --table leads $ROLES $DESIGN \
        >"$TMP/cells.sql" 2>/dev/null
    if [ "$1" = postgres ]; then pg --csv <"$TMP/cells.sql" >"$TMP/cells.csv"
    else sqlite3 -csv -header "$DB" <"$TMP/cells.sql" >"$TMP/cells.csv"; fi
}
"$MQLCAL" fit "$LEADS" $ROLES $DESIGN --format csv >"$TMP/raw.coef" 2>/dev/null
"$MQLCAL" backtest "$TMP/model_binned.json" "$LEADS" $ROLES --format csv >"$TMP/raw.bt" 2>/dev/null
"$MQLCAL" backtest "$TMP/model_binned.json" "$LEADS" $ROLES --capacity 150 --bands 2>/dev/null |
    sed 2d >"$TMP/raw.btt"
"$MQLCAL" calibrate "$TMP/model_binned.json" "$LEADS" $ROLES --format csv >"$TMP/raw.cal" 2>/dev/null
"$MQLCAL" review "$LEADS" $ROLES $DESIGN --capacity 150 -o "$TMP/raw.rev" >/dev/null 2>&1
# coef and se columns agree to 1e-10; every other field (term names) is equal
close() {  # FILE_A FILE_B TOL: every numeric field within TOL (relative above 1), text equal
    awk -F, -v tol="$3" 'NR == FNR { a[FNR] = $0; next }
        { n = split(a[FNR], x, ","); if (n != NF) { bad = 1; exit }
          for (i = 1; i <= NF; i++) {
              if (x[i] == $i) continue
              if (x[i] !~ /^-?[0-9.]/ || $i !~ /^-?[0-9.]/) { bad = 1; exit }
              d = x[i] - $i; if (d < 0) d = -d; s = x[i] < 0 ? -x[i] : x[i]
              if (d > tol * (s > 1 ? s : 1)) { bad = 1; exit } } }
        END { if (FNR != length(a)) bad = 1; exit bad }' "$1" "$2"
}
for d in postgres sqlite; do
    [ $d = sqlite ] && ! command -v sqlite3 >/dev/null 2>&1 && continue
    cells $d
    CUTS=$(sed -n 's/^-- read the result with: --count n --won won --sql sql --acv acv --date created_date//p' "$TMP/cells.sql")
    rows=$(($(wc -l <"$TMP/cells.csv") - 1))
    check "${d}_cells_aggregate" [ "$rows" -gt 100 ] && [ "$rows" -lt 20000 ]
    run fit "$TMP/cells.csv" $CROLES $CUTS --format csv
    expect "${d}_cells_fit" 0 ""
    check "${d}_cells_fit_coef_1e-10" close "$TMP/raw.coef" "$OUT" 1e-10
    # the printed tables are identical (the data line names the file and its last month); the
    # CSV's ACV sums differ in the last bits (a cell's ACV total is shared among its won leads)
    run backtest "$TMP/model_binned.json" "$TMP/cells.csv" $CROLES --capacity 150 --bands
    sed 2d "$OUT" >"$TMP/cnt.btt"
    check "${d}_cells_backtest_identical" cmp -s "$TMP/raw.btt" "$TMP/cnt.btt"
    run backtest "$TMP/model_binned.json" "$TMP/cells.csv" $CROLES --format csv
    check "${d}_cells_backtest_csv_1e-12" close "$TMP/raw.bt" "$OUT" 1e-12
    run calibrate "$TMP/model_binned.json" "$TMP/cells.csv" $CROLES --format csv
    check "${d}_cells_calibrate_1e-12" close "$TMP/raw.cal" "$OUT" 1e-12
done
# the count table of the model's own design (auto-typed roles) holds the same cells
if command -v sqlite3 >/dev/null 2>&1; then
    "$MQLCAL" sql "$TMP/model_binned.json" --cells --dialect sqlite --table leads $ROLES >"$TMP/mc.sql"
    sqlite3 -csv -header "$DB" <"$TMP/mc.sql" | sort >"$TMP/mc.csv"
    sort "$TMP/cells.csv" >"$TMP/cells.sorted"
    check cells_from_model_same_table cmp -s "$TMP/mc.csv" "$TMP/cells.sorted"
fi
# Every feature binned by cut points: `fit` keeps the count table compact (a won and a lost row per
# cell, weighted) and prints the raw rows' summary and points table (the data lines aside).
BINNED="--features job_level,email_domain_type,webinar_attended,pricing_page_visits,employees --cuts employees=76,301 --cuts pricing_page_visits=1,2"
"$MQLCAL" fit "$LEADS" $ROLES $BINNED 2>&1 | sed '1d;3,4d' >"$TMP/raw.sum"
"$MQLCAL" sql --fit-design "$LEADS" --dialect postgres --table leads $ROLES $BINNED >"$TMP/b.sql" 2>/dev/null
pg --csv <"$TMP/b.sql" >"$TMP/bcells.csv"
run fit "$TMP/bcells.csv" $CROLES $BINNED
sed '1d;3,4d' "$OUT" >"$TMP/cnt.sum"
check compact_fit_summary_identical cmp -s "$TMP/raw.sum" "$TMP/cnt.sum"
expect_out compact_fit_rows "rows        20000 \(leads of the count table's 'n' column\)"
"$MQLCAL" fit "$LEADS" $ROLES $BINNED --format csv >"$TMP/raw.bcoef" 2>/dev/null
run fit "$TMP/bcells.csv" $CROLES $BINNED --format csv
check compact_fit_coef_1e-10 close "$TMP/raw.bcoef" "$OUT" 1e-10

run review "$TMP/cells.csv" $CROLES $CUTS --capacity 150 -o "$TMP/cnt.rev"
expect cells_review 0 ""
for f in thresholds.csv bands.csv calibration.csv; do
    check "cells_review_$f" close "$TMP/raw.rev/$f" "$TMP/cnt.rev/$f" 1e-9
done
