#!/usr/bin/env bash
# make bench-room: a hot sale (one sale in timed bidding, 64 bidders, two
# `minerights serve` processes on one database, the bench-bids set-up)
# watched by N live event streams spread over both processes (roomload),
# while bidload bids at a fixed 100 bids/s and then as fast as its 64
# clients go. Per row: accepted bids/s, bid p50/p99, delivery of each
# bid-accepted from the bid's database time to its arrival at every
# watcher (p50/p99/max), events missed, server RSS per 1,000 watchers, and
# database queries per sale event (pg_stat_statements, enabled in the bench
# cluster): all of them, and the reads of new audit entries for the streams.
#
# Environment: BENCH_SECONDS (bidding per row, 20), BENCH_DIR
# (.data-bench-room), BENCH_PORT (socket port of the bench cluster, 5442),
# BENCH_ROWS (watchers per row, "0 1000 10000 1000s"; a trailing s signs
# every stream in with a bidder's token), BENCH_RATES ("100 closed"),
# BENCH_CODES (the server builds to compare, "label=path/to/minerights"
# separated by spaces; default "now=bin/minerights", this tree's: each row
# runs once per build, one after the other, so that a before/after table
# comes from one sitting under the same load), BENCH_PROFILE=1 (perf record
# of both serve processes and the watcher during each row's bidding, into
# BENCH_DIR/perf-<code>-<rate>-<row>-<process>.data; `perf report -i FILE`).
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib/bench.sh

SECS=${BENCH_SECONDS:-20}
DIR=${BENCH_DIR:-.data-bench-room}
PGPORT_BENCH=${BENCH_PORT:-5442}
ROWS=${BENCH_ROWS:-"0 1000 10000 1000s"}
RATES=${BENCH_RATES:-"100 closed"}
# 10,000 streams are 10,000 sockets in the watcher and 5,000 in each server.
ulimit -n "$(ulimit -Hn)"
command -v psql >/dev/null || PATH="$PATH:$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)"
go build -o bin/minerights ./cmd/minerights
go build -o bin/bidload ./cmd/bidload
go build -o bin/roomload ./cmd/roomload
CODES=${BENCH_CODES:-"now=bin/minerights"}
SERVE=bin/minerights
mkdir -p "$DIR"

pids=()
watcher=""
stop_servers() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	for p in "${pids[@]}"; do while kill -0 "$p" 2>/dev/null; do sleep 0.1; done; done
	pids=()
}
cleanup() {
	[ -n "$watcher" ] && kill "$watcher" 2>/dev/null || true
	stop_servers
	./bin/minerights localdb stop --dir "$DIR" --port "$PGPORT_BENCH" >/dev/null 2>&1 || true
}
trap cleanup EXIT

# free_port prints a random TCP port on 127.0.0.1 that nothing listens on,
# below the ephemeral range (10,000 watcher connections take ports there).
free_port() {
	local p lo
	read -r lo _ </proc/sys/net/ipv4/ip_local_port_range
	while :; do
		p=$((10000 + RANDOM % (lo - 10000)))
		if ! (exec 3<>/dev/tcp/127.0.0.1/$p) 2>/dev/null; then echo "$p"; return; fi
	done
}

# The bench-bids rules with a countdown long enough that the sale stays in
# timed bidding from row to row.
rules="$DIR/bench-rules.yaml"
bench_rules "$rules" 30m

db=minerights_room
url=$(./bin/minerights localdb start --dir "$DIR" --port "$PGPORT_BENCH" --db "$db")
if [ "$(psql -qAt "$url" -c "SHOW shared_preload_libraries")" != "pg_stat_statements" ]; then
	psql -q "$url" -c "ALTER SYSTEM SET shared_preload_libraries = 'pg_stat_statements'"
	./bin/minerights localdb stop --dir "$DIR" --port "$PGPORT_BENCH" >/dev/null
	url=$(./bin/minerights localdb start --dir "$DIR" --port "$PGPORT_BENCH" --db "$db")
fi
psql -q "$url" -c "DROP SCHEMA public CASCADE; CREATE SCHEMA public;" 2>/dev/null
psql -q "$url" -c "CREATE EXTENSION IF NOT EXISTS pg_stat_statements"
export DATABASE_URL="$url"
./bin/minerights migrate >/dev/null 2>&1
./bin/minerights seed >/dev/null 2>&1

urls=""
start_servers() {
	urls=""
	local i port pid
	for i in 1 2; do
		while :; do
			port=$(free_port)
			env ${SERVE_ENV:-} DATABASE_URL="$(pooled_url "$url")" MINERIGHTS_RULES="$rules" MINERIGHTS_LOG_LEVEL=warn \
				"$SERVE" serve --addr 127.0.0.1:"$port" --bid-rate 1000 --bid-burst 1000 \
				--streams-per-address 20000 --streams-max 20000 >>"$DIR/serve-$i.log" 2>&1 &
			pid=$!
			wait_healthy "$port"
			kill -0 "$pid" 2>/dev/null && break # else the port was taken meanwhile: another
		done
		pids+=("$pid")
		urls="${urls:+$urls,}http://127.0.0.1:$port"
	done
}
rss_kb() {
	local sum=0 p v
	for p in "${pids[@]}"; do
		v=$(awk '/^VmRSS/ {print $2}' "/proc/$p/status")
		sum=$((sum + v))
	done
	echo "$sum"
}
q() { psql -qAt "$url" -c "$1"; }
# cpu_s PID...: user + system CPU seconds of the processes.
cpu_s() {
	local t=0 p v
	for p in "$@"; do
		v=$(awk '{print $14 + $15}' "/proc/$p/stat" 2>/dev/null || echo 0)
		t=$((t + v))
	done
	awk -v t="$t" -v hz="$(getconf CLK_TCK)" 'BEGIN {printf "%.1f", t / hz}'
}
pg_pids() { pgrep -P "$(head -1 "$DIR/pgdata/postmaster.pid")" | tr '\n' ' '; }

start_servers
echo "bench-room: setting up the hot sale" >&2
./bin/bidload setup -rules "$rules" -sales 1 -bidders 64 -out "$DIR/plan.json"
sale=$(q "SELECT max(id) FROM sale WHERE rules_name = 'bench'")

results="$DIR/room-results.txt"
: >"$results"
for rate in $RATES; do
	for row in $ROWS; do
	for code in $CODES; do
		SERVE=${code#*=}
		code=${code%%=*}
		n=${row%s}
		signed=""; who="anonymous"
		if [ "$row" != "$n" ]; then signed="-signed"; who="signed-in"; fi
		stop_servers
		start_servers
		rss0=$(rss_kb)
		wres="-"
		if [ "$n" -gt 0 ]; then
			: >"$DIR/watch.out"
			./bin/roomload -urls "$urls" -plan "$DIR/plan.json" -n "$n" $signed -label "watchers" >"$DIR/watch.out" 2>>"$DIR/watch.err" &
			watcher=$!
			until grep -q '^ready' "$DIR/watch.out"; do
				kill -0 "$watcher" 2>/dev/null || { echo "bench-room: roomload failed" >&2; cat "$DIR/watch.err" >&2; exit 1; }
				sleep 0.2
			done
		fi
		sleep 1
		rss1=$(rss_kb)
		q "SELECT pg_stat_statements_reset()" >/dev/null
		seq0=$(q "SELECT audit_seq FROM sale WHERE id = $sale")
		pgp=$(pg_pids)
		c_srv0=$(cpu_s "${pids[@]}"); c_pg0=$(cpu_s $pgp); c_w0=$(cpu_s ${watcher:-})
		rflag=""; [ "$rate" != closed ] && rflag="-rate $rate"
		perfs=()
		if [ -n "${BENCH_PROFILE:-}" ]; then
			i=0
			for p in "${pids[@]}" ${watcher:-}; do
				i=$((i + 1))
				perf record -q -F 499 -g -p "$p" -o "$DIR/perf-$code-$rate-$row-$i.data" -- sleep "$SECS" >/dev/null 2>&1 &
				perfs+=($!)
			done
		fi
		bids=$(./bin/bidload run -urls "$urls" -plan "$DIR/plan.json" -d "${SECS}s" -c 64 $rflag \
			-out "$DIR/receipts.jsonl" -label "bids")
		for p in "${perfs[@]}"; do wait "$p" || true; done
		c_srv1=$(cpu_s "${pids[@]}"); c_pg1=$(cpu_s $pgp); c_w1=$(cpu_s ${watcher:-})
		seq1=$(q "SELECT audit_seq FROM sale WHERE id = $sale")
		read -r allq readq < <(q "SELECT coalesce(sum(calls), 0), coalesce(sum(calls) FILTER (WHERE query ILIKE '%FROM audit_event%' AND query NOT ILIKE 'INSERT%'), 0)
			FROM pg_stat_statements WHERE query NOT ILIKE '%pg_stat_statements%' AND query NOT ILIKE '%audit_seq FROM sale WHERE id%'" | tr '|' ' ')
		rss2=$(rss_kb)
		if [ -n "$watcher" ]; then
			kill -INT "$watcher"
			wait "$watcher" || true
			watcher=""
			wres=$(grep -v '^ready' "$DIR/watch.out" | tail -1)
		fi
		evs=$((seq1 - seq0))
		per1k="-"
		[ "$n" -gt 0 ] && per1k=$(awk -v a="$rss0" -v b="$rss2" -v n="$n" 'BEGIN {printf "%.1f", (b - a) / 1024 / (n / 1000)}')
		line=$(printf 'code=%s\trate=%s\twatchers=%s\t%s\t%s\t%s\tevents=%d\tcpu_s_serve=%s\tcpu_s_postgres=%s\tcpu_s_watcher=%s\tload=%s\tqueries_per_event=%s\tstream_reads_per_event=%s\trss_before_mb=%.0f\trss_connected_mb=%.0f\trss_after_mb=%.0f\trss_mb_per_1000=%s' \
			"$code" "$rate" "$n" "$who" "$bids" "$wres" "$evs" \
			"$(awk -v a="$c_srv0" -v b="$c_srv1" 'BEGIN {printf "%.1f", b - a}')" "$(awk -v a="$c_pg0" -v b="$c_pg1" 'BEGIN {printf "%.1f", b - a}')" \
			"$(awk -v a="$c_w0" -v b="$c_w1" 'BEGIN {printf "%.1f", b - a}')" "$(cut -d' ' -f1 /proc/loadavg)" \
			"$(awk -v a="$allq" -v e="$evs" 'BEGIN {printf "%.2f", e ? a / e : 0}')" \
			"$(awk -v a="$readq" -v e="$evs" 'BEGIN {printf "%.3f", e ? a / e : 0}')" \
			"$((rss0 / 1024))" "$((rss1 / 1024))" "$((rss2 / 1024))" "$per1k")
		echo "$line" | tee -a "$results"
	done
	done
done
echo "bench-room: results in $results"
