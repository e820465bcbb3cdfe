#!/usr/bin/env bash
# make bench-compliance: single-parcel compliance check latency and
# throughput with 200,000 and 1,000,000 generated red-line polygons
# (minerights generate stress), through the API and, as the limit, the same
# SQL through pgbench on the same database.
#
# Each size gets its own database in the bench cluster, loaded once
# (generate stress + minerights import redlines) and reused by later runs.
# Per size: the API with 1 client (latency) and 4 clients (throughput),
# then pgbench with 1 and 4 clients running the check's statements.
#
# Environment: BENCH_SIZES ("200000 1000000"), BENCH_SECONDS (per run, 20),
# BENCH_DIR (.data-bench-compliance), BENCH_PORT (socket port of its cluster, 5442),
# BENCH_HTTP_PORT (the server's port on 127.0.0.1, 18191), BENCH_BIN (the
# minerights binary that migrates, loads and serves, this tree's
# bin/minerights), BENCH_SQL (the pgbench script of the check's statements,
# the one cmd/checkload/sqlscript prints in this tree).
set -euo pipefail
cd "$(dirname "$0")/.."

SIZES=${BENCH_SIZES:-"200000 1000000"}
SECS=${BENCH_SECONDS:-20}
DIR=${BENCH_DIR:-.data-bench-compliance}
PGPORT_BENCH=${BENCH_PORT:-5442}
HTTP_PORT=${BENCH_HTTP_PORT:-18191}
command -v pgbench >/dev/null || PATH="$PATH:$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)"
go build -o bin/minerights ./cmd/minerights
go build -o bin/checkload ./cmd/checkload
MR=${BENCH_BIN:-./bin/minerights}

pid=""
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null; wait 2>/dev/null || true; }
trap cleanup EXIT

results="$DIR/compliance-results.txt"
mkdir -p "$DIR"
: >"$results"
for n in $SIZES; do
	db="minerights_compliance_$n"
	url=$("$MR" localdb start --dir "$DIR" --port "$PGPORT_BENCH" --db "$db")
	export DATABASE_URL="$url"
	"$MR" migrate >/dev/null 2>&1
	"$MR" seed >/dev/null 2>&1
	have=$(psql -Atq "$url" -c "SELECT feature_count FROM layer WHERE name = 'redlines' AND current")
	if [ "$have" != "$n" ]; then
		file="$DIR/stress-$n.geojson"
		[ -s "$file" ] || "$MR" generate stress --redlines "$n" --out "$file"
		echo "bench-compliance: importing $n red lines into $db" >&2
		/usr/bin/time -f "import of $n red lines: %e s" "$MR" import redlines "$file" --source "minerights generate stress --redlines $n"
		psql -q "$url" -c "VACUUM ANALYZE layer_feature"
	fi
	tok=$("$MR" token create --role planner --name "bench-compliance")

	"$MR" serve --addr 127.0.0.1:$HTTP_PORT >"$DIR/compliance-serve.log" 2>&1 &
	pid=$!
	for _ in $(seq 1 100); do curl -fsS -o /dev/null "http://127.0.0.1:$HTTP_PORT/healthz" 2>/dev/null && break; sleep 0.1; done
	# A fresh layer version sets the server to work in the background (the
	# map overviews of a large layer, once per version): measure after it.
	quiet=0
	for _ in $(seq 1 1200); do
		busy=$(psql -Atq "$url" -c "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()
			AND state = 'active' AND pid <> pg_backend_pid()")
		if [ "$busy" = 0 ]; then quiet=$((quiet + 1)); else quiet=0; fi
		[ "$quiet" -ge 3 ] && break
		sleep 1
	done
	for c in 1 4; do
		./bin/checkload -url "http://127.0.0.1:$HTTP_PORT" -token "$tok" -c $c -d "${SECS}s" -label "api n=$n" | tee -a "$results"
	done
	kill "$pid"; wait "$pid" 2>/dev/null || true; pid=""

	# The check's own statements, as the API runs them for a what-if.
	if [ -n "${BENCH_SQL:-}" ]; then cp "$BENCH_SQL" "$DIR/compliance-pgbench.sql"; else go run ./cmd/checkload/sqlscript >"$DIR/compliance-pgbench.sql"; fi
	for c in 1 4; do
		rm -f "$DIR"/pgb-compliance.*
		out=$(pgbench -n -M prepared -c $c -j $c -T "$SECS" -l --log-prefix "$DIR/pgb-compliance" \
			-f "$DIR/compliance-pgbench.sql" "$url" 2>&1)
		tps=$(grep -E '^tps' <<<"$out" | sed -E 's/tps = ([0-9.]+).*/\1/')
		# Field 3 of pgbench's per-transaction log is the latency in µs.
		read -r p50 p99 < <(cat "$DIR"/pgb-compliance.* | awk '{print $3}' | sort -n |
			awk '{a[NR]=$1} END {printf "%.2f %.2f\n", a[int(NR*0.50)+1]/1000, a[int(NR*0.99)+1]/1000}')
		printf 'sql n=%s\tclients=%d\tchecks/s=%.1f\tp50_ms=%s\tp99_ms=%s\n' "$n" "$c" "$tps" "$p50" "$p99" | tee -a "$results"
	done
	rm -f "$DIR"/pgb-compliance.*
done
echo "bench-compliance: results in $results"
