#!/usr/bin/env bash
# make bench-bids: accepted bids per second and latency through the API,
# two `minerights serve` processes on one database, for two workloads:
#   hot:   one sale in timed bidding, 64 concurrent bidders;
#   round: 1,000 sales in timed bidding at once, 2,000 bidders spread over them;
#   flood: one sale, 64 bidders on 8 clients, bid latency without and then with 20
#          anonymous clients looping a CQL2 S_DISJOINT read (a 700-vertex
#          polygon) over a 20,000-feature layer (no pgbench for this one).
# Then the consistency check (every 2xx receipt in the database exactly
# once, amounts rise by at least the increment, every winner equals the one
# re-derived from the bids, the audit log verifies), and beside each, the
# same bid transaction as raw SQL through pgbench on the same database: the
# limit the API is measured against.
#
# Environment: BENCH_SECONDS (per run, 20), BENCH_DIR (.data-bench-bids),
# BENCH_PORT (socket port of the bench cluster, 5441), BENCH_WORKLOADS
# ("hot round flood"), BENCH_HTTP_PORTS (the two servers' ports, "18301 18302"),
# BENCH_SLACK (bidload setup -slack, 0s: more time to apply on a loaded machine),
# ROUND_SALES (1000), ROUND_BIDDERS (2000).
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib/bench.sh

SECS=${BENCH_SECONDS:-20}
DIR=${BENCH_DIR:-.data-bench-bids}
PGPORT_BENCH=${BENCH_PORT:-5441}
WORKLOADS=${BENCH_WORKLOADS:-"hot round flood"}
HTTP_PORTS=${BENCH_HTTP_PORTS:-"18301 18302"}
ROUND_SALES=${ROUND_SALES:-1000}
ROUND_BIDDERS=${ROUND_BIDDERS:-2000}
command -v pgbench >/dev/null || PATH="$PATH:$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)"
go build -o bin/minerights ./cmd/minerights
go build -o bin/bidload ./cmd/bidload
mkdir -p "$DIR"

pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT

# Bench rules: the default rules with the periods shortened so that a round
# reaches timed bidding within a minute, a countdown long enough that no
# sale closes while the load runs, and a bid rate that does not refuse the
# load (each bidder bids a few times a second).
rules="$DIR/bench-rules.yaml"
bench_rules "$rules" 45s

# pgb WORKLOAD LABEL SCRIPT [pgbench options]: the script with the API's
# clients for BENCH_SECONDS, durable commits; one result line.
pgb() {
	local wl=$1 label=$2 script=$3 out tps p50 p99
	shift 3
	rm -f "$DIR"/pgb-bids.*
	out=$(pgbench -n -M prepared -c "$clients" -j 2 -T "$SECS" "$@" -l --log-prefix "$DIR/pgb-bids" -f "$script" "$url" 2>&1)
	tps=$(grep -E '^tps' <<<"$out" | sed -E 's/tps = ([0-9.]+).*/\1/')
	if [ -z "$tps" ]; then
		echo "$out" >&2
		exit 1
	fi
	read -r p50 p99 < <(cat "$DIR"/pgb-bids.* | awk '{print $3}' | sort -n |
		awk '{a[NR]=$1} END {printf "%.2f %.2f\n", a[int(NR*0.50)+1]/1000, a[int(NR*0.99)+1]/1000}')
	printf '%s %s\tsales=%d\tclients=%d\tbids/s=%.1f\tp50_ms=%s\tp99_ms=%s\n' "$label" "$wl" "$sales" "$clients" "$tps" "$p50" "$p99" | tee -a "$results"
	rm -f "$DIR"/pgb-bids.*
}

results="$DIR/bids-results.txt"
: >"$results"
for wl in $WORKLOADS; do
	case $wl in
	hot) sales=1; bidders=64; clients=64 ;;
	round) sales=$ROUND_SALES; bidders=$ROUND_BIDDERS; clients=64 ;;
	flood) sales=1; bidders=64; clients=8 ;;
	*) echo "unknown workload $wl" >&2; exit 2 ;;
	esac
	db="minerights_bids_$wl"
	url=$(./bin/minerights localdb start --dir "$DIR" --port "$PGPORT_BENCH" --db "$db")
	psql -q "$url" -c "DROP SCHEMA public CASCADE; CREATE SCHEMA public;" 2>/dev/null
	export DATABASE_URL="$url"
	./bin/minerights migrate >/dev/null 2>&1
	./bin/minerights seed >/dev/null 2>&1
	if [ "$wl" = flood ]; then
		stress="$DIR/stress-20000.geojson"
		[ -s "$stress" ] || ./bin/minerights generate stress --redlines 20000 --out "$stress"
		./bin/minerights import stress "$stress" --kind redline --source "minerights generate stress --redlines 20000" >/dev/null 2>&1
	fi

	urls=""
	for port in $HTTP_PORTS; do
		env ${SERVE_ENV:-} DATABASE_URL="$(pooled_url "$url")" MINERIGHTS_RULES="$rules" ./bin/minerights serve --addr 127.0.0.1:$port --bid-rate 1000 --bid-burst 1000 \
			--trusted-proxies 127.0.0.1 >"$DIR/bids-serve-$port.log" 2>&1 &
		pids+=($!)
		urls="${urls:+$urls,}http://127.0.0.1:$port"
	done
	for port in $HTTP_PORTS; do
		wait_healthy "$port"
	done

	echo "bench-bids: $wl: setting up $sales sales, $bidders bidders" >&2
	./bin/bidload setup -rules "$rules" -sales "$sales" -bidders "$bidders" -slack "${BENCH_SLACK:-0s}" -out "$DIR/plan-$wl.json"
	if [ "$wl" = flood ]; then
		# The same bidders without and then with the flood, one run each;
		# the check covers the receipts of both.
		./bin/bidload run -urls "$urls" -plan "$DIR/plan-$wl.json" -d "${SECS}s" -c "$clients" \
			-out "$DIR/receipts-$wl-off.jsonl" -label "api $wl: off" | tee -a "$results"
		./bin/bidload run -urls "$urls" -plan "$DIR/plan-$wl.json" -d "${SECS}s" -c "$clients" -flood 20 \
			-out "$DIR/receipts-$wl-on.jsonl" -label "api $wl: on" | tee -a "$results"
		cat "$DIR/receipts-$wl-off.jsonl" "$DIR/receipts-$wl-on.jsonl" >"$DIR/receipts-$wl.jsonl"
	else
		./bin/bidload run -urls "$urls" -plan "$DIR/plan-$wl.json" -d "${SECS}s" -c "$clients" \
			-out "$DIR/receipts-$wl.jsonl" -label "api $wl" | tee -a "$results"
	fi
	./bin/bidload check -plan "$DIR/plan-$wl.json" -receipts "$DIR/receipts-$wl.jsonl" -wait 3m | tee -a "$results"
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	pids=()
	[ "$wl" = flood ] && continue

	# The limit: a minimal bid transaction (lock the sale row, insert the
	# bid, raise the high) with durable commits, same clients, same sales.
	psql -q "$url" <<SQL
DROP TABLE IF EXISTS raw_bid, raw_sale;
CREATE TABLE raw_sale (id int PRIMARY KEY, high bigint NOT NULL, seq bigint NOT NULL, inc bigint NOT NULL);
CREATE TABLE raw_bid (sale_id int, seq bigint, amount bigint, at timestamptz, PRIMARY KEY (sale_id, seq));
INSERT INTO raw_sale SELECT g, 1000000, 0, 1000 FROM generate_series(1, $sales) g;
SQL
	cat >"$DIR/raw-bid.sql" <<'SQL'
\set sale random(1, :nsales)
BEGIN;
SELECT high, seq FROM raw_sale WHERE id = :sale FOR UPDATE;
INSERT INTO raw_bid SELECT id, seq + 1, high + inc, clock_timestamp() FROM raw_sale WHERE id = :sale;
UPDATE raw_sale SET high = high + inc, seq = seq + 1 WHERE id = :sale;
COMMIT;
SQL
	pgb "$wl" sql "$DIR/raw-bid.sql" -D nsales="$sales"

	# The same transaction as the API's plain bid, statement for statement,
	# on the sale, bid, audit and idempotency tables of the run above
	# (their indexes, constraints and foreign keys), in the API's two round
	# trips (pipelines): lock and reads, then the writes with the commit.
	# The audit hashes are computed in SQL over the same kind of entry
	# without chaining them.
	read -r s0 s1 ns < <(psql -qAt -F' ' "$url" -c "SELECT min(id), max(id), count(*) FROM sale WHERE rules_name = 'bench'")
	read -r b0 b1 < <(psql -qAt -F' ' "$url" -c "SELECT min(bidder_id), max(bidder_id) FROM sale_participant WHERE sale_id BETWEEN $s0 AND $s1")
	if [ "$ns" != "$((s1 - s0 + 1))" ]; then
		echo "bench-bids: the bench sales are not numbered $s0..$s1" >&2
		exit 1
	fi
	cat >"$DIR/same-bid.sql" <<'SQL'
\set sale random(:s0, :s1)
\set bidder random(:b0, :b1)
\set key random(1, 4000000000000000000)
\startpipeline
BEGIN;
SELECT parcel_id, round, machine_tag, CASE WHEN machine_tag = 0 THEN machine::text END, audit_seq, audit_head,
	bid_count, high_bidder_id, high_paddle, high_yuan, high_at, high_phase, high_deadline FROM sale WHERE id = :sale FOR UPDATE;
SELECT clock_timestamp();
SELECT sale_id, seq, bidder_id, paddle, amount_yuan, previous_high_yuan, phase, at, deadline, replaces, request_hash
	FROM bid WHERE bidder_id = :bidder AND idempotency_key = 'pgbench-' || :key;
SELECT seq, at FROM (SELECT seq, at FROM bid WHERE sale_id = :sale AND bidder_id = :bidder ORDER BY seq DESC LIMIT 16) r ORDER BY seq;
\endpipeline
\startpipeline
INSERT INTO audit_event (sale_id, seq, kind, at, recorded_at, actor, data, prev_hash, hash, salt)
	SELECT id, audit_seq + u.n, u.kind, clock_timestamp(), clock_timestamp(), 'pgbench', u.d, audit_head, sha256(audit_head || convert_to(u.d::text, 'UTF8')), decode(md5(random()::text || u.n), 'hex')
	FROM sale, LATERAL (VALUES
		(1, 'bid-accepted', jsonb_build_object('bid', jsonb_build_object('seq', bid_count + 1, 'bidder', :bidder::text, 'paddle', 1,
			'amount', coalesce(high_yuan, 0) + increment_yuan, 'at', clock_timestamp(), 'phase', 'timed_bidding'),
			'previous_high', coalesce(high_yuan, 0), 'deadline', clock_timestamp() + interval '45 s')),
		(2, 'countdown-restarted', jsonb_build_object('at', clock_timestamp(), 'deadline', clock_timestamp() + interval '45 s', 'previous', closes_at))) AS u(n, kind, d)
	WHERE id = :sale;
INSERT INTO bid (sale_id, seq, bidder_id, paddle, amount_yuan, previous_high_yuan, phase, at, deadline, replaces, idempotency_key, request_hash)
	SELECT id, bid_count + 1, :bidder, 1, coalesce(high_yuan, 0) + increment_yuan, coalesce(high_yuan, 0), 'timed_bidding',
		clock_timestamp(), clock_timestamp() + interval '45 s', NULL, 'pgbench-' || :key, sha256(convert_to('bid:' || id || ':0:1', 'UTF8'))
	FROM sale WHERE id = :sale;
UPDATE sale SET bid_count = bid_count + 1, high_bidder_id = :bidder, high_paddle = 1, high_yuan = coalesce(high_yuan, 0) + increment_yuan,
	high_at = clock_timestamp(), high_phase = 'timed_bidding', high_deadline = clock_timestamp() + interval '45 s',
	closes_at = clock_timestamp() + interval '45 s', audit_seq = audit_seq + 2, audit_head = sha256(audit_head || '\x01'::bytea),
	updated_at = clock_timestamp() WHERE id = :sale;
COMMIT;
\endpipeline
SQL
	pgb "$wl" same "$DIR/same-bid.sql" -D s0="$s0" -D s1="$s1" -D b0="$b0" -D b1="$b1"
done
echo "bench-bids: results in $results"
