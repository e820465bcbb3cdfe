#!/usr/bin/env bash
# make bench-compare: `make bench-map` and `make bench-compliance` for two
# source trees in one sitting, interleaved in pairs (before, after, then
# after, before, …), so that both builds see the same load of a shared
# machine; prints every pair's figures and the median of the pairs' ratios
# (after ÷ before).
#
#   scripts/bench-compare.sh BEFORE_TREE [AFTER_TREE]
#   BENCH_BEFORE=../before make bench-compare
#
# Each tree is built (bin/minerights, and the compliance check's pgbench
# script from its cmd/checkload/sqlscript) into BENCH_DIR; this tree's
# scripts drive both through their own knobs (BENCH_BIN, BENCH_SQL,
# BENCH_HTTP_PORT, BENCH_DIR): the same wrk lists, the same checkload.
#   map: one database, loaded once by this tree (the layer tables are the
#   same in both trees), served in turn by each build;
#   compliance: one cluster per build, migrated, seeded and loaded by that
#   build from one generated file, so each check runs its own SQL; the
#   pgbench rows are each build's own statements on its own database.
#   cost: on the map database, one server of each build with its tile
#   cache off answers the items list and the z14 and z10 tile lists (each
#   repeated to some hundreds of requests), one request at a time (curl);
#   server CPU ms and database statements (pg_stat_statements) per
#   request, which the machine's load moves much less than throughput.
# A first pass of each (1 s per run, not counted) loads and warms.
#
# Environment: BENCH_BEFORE, BENCH_AFTER (trees, or the arguments; AFTER
# defaults to this tree), BENCH_PAIRS (3), BENCH_SECONDS (per run, 10),
# BENCH_N (red-line polygons of both benchmarks, 200000), BENCH_WHICH
# ("map compliance cost"; cost needs map's database), BENCH_DIR
# (.data-bench-compare). Bounded: a map run is 13 measurements of
# BENCH_SECONDS, a compliance run 4 (plus 3 s of warm-up for each API one),
# a cost run some hundreds of requests; the servers listen on random free
# ports of 127.0.0.1; every server and cluster it starts is stopped on exit.
set -euo pipefail
BEFORE=${1:-${BENCH_BEFORE:-}}
AFTER=${2:-${BENCH_AFTER:-}}
[ -n "$BEFORE" ] || { echo "bench-compare: name the tree before (BENCH_BEFORE=../before make bench-compare)" >&2; exit 2; }
BEFORE=$(cd "$BEFORE" && pwd)
[ -z "$AFTER" ] || AFTER=$(cd "$AFTER" && pwd)
cd "$(dirname "$0")/.."
AFTER=${AFTER:-$(pwd)}
. scripts/lib/bench.sh

PAIRS=${BENCH_PAIRS:-3}
SECS=${BENCH_SECONDS:-10}
N=${BENCH_N:-200000}
WHICH=${BENCH_WHICH:-"map compliance cost"}
DIR=$(mkdir -p "${BENCH_DIR:-.data-bench-compare}" && cd "${BENCH_DIR:-.data-bench-compare}" && pwd)
MAP_PORT=5440 COMPLIANCE_PORT=5442
command -v psql >/dev/null || PATH="$PATH:$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)"

cost_pid=""
stop_clusters() {
	[ -z "$cost_pid" ] || kill "$cost_pid" 2>/dev/null || true
	./bin/minerights localdb stop --dir "$DIR/map" --port $MAP_PORT >/dev/null 2>&1 || true
	for c in before after; do
		./bin/minerights localdb stop --dir "$DIR/compliance-$c" --port $COMPLIANCE_PORT >/dev/null 2>&1 || true
	done
}
trap stop_clusters EXIT

# free_ports K: the first of K consecutive TCP ports on 127.0.0.1 that
# nothing listens on, picked at random below the ephemeral range.
free_ports() {
	local p lo i
	read -r lo _ </proc/sys/net/ipv4/ip_local_port_range
	while :; do
		p=$((20000 + RANDOM % (lo - 20000 - $1)))
		for ((i = 0; i < $1; i++)); do
			(exec 3<>/dev/tcp/127.0.0.1/$((p + i))) 2>/dev/null && continue 2
		done
		echo "$p"
		return
	done
}

# The builds: label, tree, commit.
declare -A TREE COMMIT
TREE[before]=$BEFORE
TREE[after]=$AFTER
mkdir -p "$DIR/bin" "$DIR/runs"
go build -o bin/minerights ./cmd/minerights
for c in before after; do
	COMMIT[$c]=$(git -C "${TREE[$c]}" rev-parse --short HEAD)
	[ -z "$(git -C "${TREE[$c]}" status --porcelain --untracked-files=no)" ] || COMMIT[$c]+="+changes"
	echo "bench-compare: building $c (${COMMIT[$c]}) from ${TREE[$c]}" >&2
	(cd "${TREE[$c]}" && go build -o "$DIR/bin/$c-minerights" ./cmd/minerights &&
		go run ./cmd/checkload/sqlscript >"$DIR/bin/$c-compliance.sql")
done

# run_map LABEL SECONDS OUT: one bench-map.sh run serving LABEL's build.
run_map() {
	BENCH_BIN="$DIR/bin/$1-minerights" BENCH_DIR="$DIR/map" BENCH_N=$N BENCH_SECONDS=$2 \
		BENCH_HTTP_PORT=$(free_ports 4) PG_TILESERV='' PG_FEATURESERV='' \
		bash scripts/bench-map.sh >/dev/null
	cp "$DIR/map/raw.txt" "$3.raw"
	cp "$DIR/map/results.md" "$3.md"
}
# run_compliance LABEL SECONDS OUT: one bench-compliance.sh run of LABEL's
# build on its own cluster.
run_compliance() {
	local d="$DIR/compliance-$1"
	mkdir -p "$d"
	[ -e "$d/stress-$N.geojson" ] || ln -f "$DIR/stress-$N.geojson" "$d/stress-$N.geojson"
	BENCH_BIN="$DIR/bin/$1-minerights" BENCH_SQL="$DIR/bin/$1-compliance.sql" BENCH_DIR="$d" \
		BENCH_PORT=$COMPLIANCE_PORT BENCH_SIZES=$N BENCH_SECONDS=$2 BENCH_HTTP_PORT=$(free_ports 1) \
		bash scripts/bench-compliance.sh >/dev/null
	cp "$d/compliance-results.txt" "$3.txt"
}

# run_cost LABEL SECONDS OUT: per-request costs of LABEL's build on the map
# database (SECONDS unused: the lists are fixed), "metric<TAB>value" lines.
run_cost() {
	local url port what f n k j c0 c1 calls
	url=$(./bin/minerights localdb start --dir "$DIR/map" --port $MAP_PORT)
	if [ "$(psql -qAt "$url" -c "SHOW shared_preload_libraries")" != "pg_stat_statements" ]; then
		psql -q "$url" -c "ALTER SYSTEM SET shared_preload_libraries = 'pg_stat_statements'"
		./bin/minerights localdb stop --dir "$DIR/map" --port $MAP_PORT >/dev/null
		url=$(./bin/minerights localdb start --dir "$DIR/map" --port $MAP_PORT)
	fi
	psql -q "$url" -c "SET client_min_messages = warning; CREATE EXTENSION IF NOT EXISTS pg_stat_statements"
	port=$(free_ports 1)
	DATABASE_URL="$url" MINERIGHTS_TILE_CACHE_MB=0 "$DIR/bin/$1-minerights" serve --addr "127.0.0.1:$port" >"$DIR/cost-serve.log" 2>&1 &
	cost_pid=$!
	wait_healthy "$port"
	: >"$3.txt"
	for what in items z14 z10; do
		f="$DIR/map/p-mr-${what#z}"
		# curl's config: every path of the list k times (some hundreds of
		# requests), each answer dropped.
		k=2
		[ "$what" = items ] && k=4
		[ "$what" = z10 ] && k=10
		for ((j = 0; j < k; j++)); do sed "s|^\(.*\)$|url = \"http://127.0.0.1:$port\1\"\noutput = /dev/null|" "$f"; done >"$DIR/cost-curl.cfg"
		n=$((k * $(grep -c . "$f")))
		curl -fsS -K "$DIR/cost-curl.cfg" # warm
		psql -qAt "$url" -c "SELECT pg_stat_statements_reset()" >/dev/null
		c0=$(awk '{print $14 + $15}' "/proc/$cost_pid/stat")
		curl -fsS -K "$DIR/cost-curl.cfg"
		c1=$(awk '{print $14 + $15}' "/proc/$cost_pid/stat")
		calls=$(psql -qAt "$url" -c "SELECT coalesce(sum(calls), 0) FROM pg_stat_statements
			WHERE query NOT LIKE '%pg_stat_statements%' AND dbid = (SELECT oid FROM pg_database WHERE datname = current_database())")
		awk -v w="$what" -v n="$n" -v t="$(getconf CLK_TCK)" -v c="$((c1 - c0))" -v q="$calls" \
			'BEGIN { printf "%s server CPU ms/request\t%.3f\n%s statements/request\t%.2f\n", w, c * 1000 / t / n, w, q / n }' >>"$3.txt"
	done
	kill "$cost_pid"
	wait "$cost_pid" 2>/dev/null || true
	cost_pid=""
}

for b in $WHICH; do
	if [ "$b" = compliance ] && [ ! -s "$DIR/stress-$N.geojson" ]; then
		./bin/minerights generate stress --redlines "$N" --out "$DIR/stress-$N.geojson"
	fi
	for c in before after; do
		echo "bench-compare: $b, loading and warming $c" >&2
		"run_$b" "$c" 1 "$DIR/runs/$b-0-$c"
	done
	for ((i = 1; i <= PAIRS; i++)); do
		# Before first in odd pairs, after first in even ones: a load that
		# rises or falls through the sitting favours neither build.
		order="before after"
		[ $((i % 2)) = 1 ] || order="after before"
		for c in $order; do
			echo "bench-compare: $b, pair $i, $c ($(date -u +%T), load $(cut -d' ' -f1 /proc/loadavg))" >&2
			"run_$b" "$c" "$SECS" "$DIR/runs/$b-$i-$c"
			cut -d' ' -f1 /proc/loadavg >"$DIR/runs/$b-$i-$c.load"
		done
	done
done

# figures B I C: "metric<TAB>value" lines of run I of build C of benchmark B.
figures() {
	local f="$DIR/runs/$1-$2-$3"
	if [ "$1" = map ]; then
		# wrk: "cold-z10 RESULT rps=… p50_ms=… p99_ms=…"
		awk '$2 == "RESULT" { for (i = 3; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }
			printf "%s %s\t%s\n%s p99 ms\t%s\n", $1, ($1 == "items") ? "requests/s" : "tiles/s", v["rps"], $1, v["p99_ms"] }' "$f.raw"
		# results.md: | z10 (24 tiles) | cold | warm | ts | ts SQL | raw ST_AsMVT |
		awk -F'|' '/^\| z[0-9]+ \(/ {split($2, z, " "); gsub(/ /, "", $7); printf "raw ST_AsMVT-%s (pgbench) tiles/s\t%s\n", z[1], $7}' "$f.md"
	elif [ "$1" = cost ]; then
		cat "$f.txt"
	else
		# "api n=…<TAB>clients=1<TAB>checks=…<TAB>errors=…<TAB>checks/s=…<TAB>p50_ms=…<TAB>p99_ms=…"
		awk -F'\t' '{path = ($1 ~ /^api/) ? "api" : "sql (pgbench)"; c = $2; sub("clients=", "", c)
			for (i = 3; i <= NF; i++) { split($i, kv, "="); if (kv[1] == "checks/s" || kv[1] == "p50_ms" || kv[1] == "p99_ms") {
				m = kv[1]; sub("_ms", " ms", m); printf "%s c=%s %s\t%s\n", path, c, m, kv[2] } } }' "$f.txt"
	fi
}

export LC_ALL=C
{
	echo "### $(date -u +%F): \`BENCH_BEFORE=<tree of ${COMMIT[before]}> BENCH_PAIRS=$PAIRS BENCH_SECONDS=$SECS BENCH_N=$N make bench-compare\`"
	echo
	echo "before = ${COMMIT[before]}, after = ${COMMIT[after]}; $PAIRS pairs, ${SECS} s per measurement, $N red-line polygons, $(nproc) cores."
	for b in $WHICH; do
		echo
		title="make bench-$b"
		[ "$b" != cost ] || title="cost per request, one at a time"
		echo "**$title** (1-minute load average at the end of each run, before / after:$(for ((i = 1; i <= PAIRS; i++)); do printf ' %s / %s;' "$(cat "$DIR/runs/$b-$i-before.load")" "$(cat "$DIR/runs/$b-$i-after.load")"; done | sed 's/;$//'))"
		echo
		printf '| figure |'
		for ((i = 1; i <= PAIRS; i++)); do printf ' pair %d: before → after (ratio) |' "$i"; done
		printf ' median ratio |\n|---|'
		for ((i = 1; i <= PAIRS; i++)); do printf -- '---|'; done
		printf -- '---|\n'
		for ((i = 1; i <= PAIRS; i++)); do
			for c in before after; do figures "$b" "$i" "$c" | sed "s/^/$i\t$c\t/"; done
		done | awk -F'\t' '
			!($3 in seen) { seen[$3] = 1; names[++nn] = $3 }
			{ v[$3, $1, $2] = $4; if ($1 > np) np = $1 }
			END {
				for (k = 1; k <= nn; k++) {
					name = names[k]; line = "| " name " |"; cnt = 0
					for (i = 1; i <= np; i++) {
						b = v[name, i, "before"]; a = v[name, i, "after"]
						if (b == "" || a == "" || b + 0 == 0) { line = line " – |"; continue }
						r[++cnt] = a / b; line = line sprintf(" %s → %s (%.2f) |", b, a, a / b)
					}
					for (x = 1; x <= cnt; x++) for (y = x + 1; y <= cnt; y++) if (r[y] < r[x]) { t = r[x]; r[x] = r[y]; r[y] = t }
					if (cnt == 0) m = "–"; else m = sprintf("**%.2f**", (cnt % 2) ? r[(cnt + 1) / 2] : (r[cnt / 2] + r[cnt / 2 + 1]) / 2)
					print line " " m " |"
				}
			}'
	done
} | tee "$DIR/compare.md"
echo "bench-compare: table in $DIR/compare.md, runs in $DIR/runs" >&2
