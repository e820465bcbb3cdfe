#!/usr/bin/env bash
# make bench-citus: the same service on one PostgreSQL and on Citus (a
# coordinator and two workers on this machine), in one run:
#   compliance: N generated red lines (minerights generate stress, imported
#     with minerights import), the check's statements on a random gazette
#     parcel through pgbench, 1 and 4 clients;
#   round: 1,000 sales in timed bidding, 2,000 bidders, two `minerights
#     serve` processes (cmd/bidload), then the consistency check (every
#     receipt stored once, winners re-derived, audit verified);
# and the plans (EXPLAIN) of a check's feature query and of a bid's
# statements on Citus, which must each route to one shard, and what each
# node carries (`load` lines: rows and bytes per worker). The round runs
# first, then the sizes in order, each on both targets.
#
# Environment: BENCH_SIZES ("1000000 4000000"), BENCH_SECONDS (per run, 20),
# BENCH_DIR (.data-bench-citus), BENCH_TARGETS ("single citus"),
# BENCH_WORKLOADS ("round compliance"), BENCH_IMPORT_LIMIT (60m: an import
# that takes longer is stopped and its size reported as not measured),
# BENCH_REUSE (0; 1: a size whose red lines an earlier run imported into the
# same BENCH_DIR is measured again without importing them anew),
# ROUND_SALES (1000), ROUND_BIDDERS (2000), ROUND_SLACK (60s: more time
# for the round's announcements and applications, on top of the windows
# bidload sets from the pace of its own set-up) and ROUND_SLACK_CITUS (as
# ROUND_SLACK), ROUND_COUNTDOWN (45, seconds) and ROUND_COUNTDOWN_CITUS (180:
# the scheduler starts timed bidding in 1,000 sales more slowly on Citus),
# CITUS_SHARDS (32).
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib/bench.sh

SIZES=${BENCH_SIZES:-"1000000 4000000"}
SECS=${BENCH_SECONDS:-20}
DIR=${BENCH_DIR:-.data-bench-citus}
TARGETS=${BENCH_TARGETS:-"single citus"}
WORKLOADS=${BENCH_WORKLOADS:-"round compliance"}
IMPORT_LIMIT=${BENCH_IMPORT_LIMIT:-60m}
REUSE=${BENCH_REUSE:-0}
ROUND_SALES=${ROUND_SALES:-1000}
ROUND_BIDDERS=${ROUND_BIDDERS:-2000}
SHARDS=${CITUS_SHARDS:-32}
command -v pgbench >/dev/null || PATH="$PATH:$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)"
bash scripts/citus-build.sh
go build -o bin/minerights ./cmd/minerights
go build -o bin/bidload ./cmd/bidload
mkdir -p "$DIR"
DIR=$(realpath "$DIR")

# Loopback ports for the two API servers, picked free.
read -r P1 P2 < <(python3 -c 'import socket
s=[socket.socket() for _ in range(2)]
[x.bind(("127.0.0.1",0)) for x in s]
print(*[x.getsockname()[1] for x in s])')

# The single node's port, picked free once per BENCH_DIR (BENCH_REUSE finds
# the cluster again on it).
[ -s "$DIR/single.port" ] || python3 -c 'import socket
s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])' >"$DIR/single.port"
PS=$(cat "$DIR/single.port")

pids=()
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	./bin/minerights localdb stop --dir "$DIR/single" --port "$PS" >/dev/null 2>&1 || true
	./bin/minerights citus stop --dir "$DIR/citus" --shards "$SHARDS" >/dev/null 2>&1 || true
}
trap cleanup EXIT

# database TARGET NAME: a fresh, migrated and seeded database on the
# target; prints its URL. On Citus the schema is distributed before the seed.
database() {
	local target=$1 db=$2 url
	if [ "$target" = single ]; then
		url=$(./bin/minerights localdb start --dir "$DIR/single" --port "$PS" --db postgres)
		psql -q "$url" -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" -c "CREATE DATABASE $db" >&2
		url=${url/\/postgres\?//$db?}
	else
		url=$(./bin/minerights citus start --dir "$DIR/citus" --shards "$SHARDS" --db "$db" --fresh)
	fi
	DATABASE_URL="$url" ./bin/minerights migrate >/dev/null 2>&1
	if [ "$target" = citus ]; then
		DATABASE_URL="$url" ./bin/minerights citus distribute >"$DIR/distribute.log"
	fi
	DATABASE_URL="$url" ./bin/minerights seed >/dev/null 2>&1
	echo "$url"
}

# existing TARGET NAME: the URL of database NAME as an earlier run left it
# (the cluster started if it is not running), for BENCH_REUSE=1.
existing() {
	local target=$1 db=$2 url
	if [ "$target" = single ]; then
		url=$(./bin/minerights localdb start --dir "$DIR/single" --port "$PS" --db postgres)
		echo "${url/\/postgres\?//$db?}"
	else
		./bin/minerights citus start --dir "$DIR/citus" --shards "$SHARDS" --db "$db"
	fi
}

results="$DIR/citus-results.txt"
plans="$DIR/citus-plans.txt"
: >"$results"
: >"$plans"
go run ./cmd/checkload/sqlscript >"$DIR/check.sql"

# compliance TARGET N: imports the N generated red lines (the file is
# generated once and read by both targets) and measures the check.
compliance() {
	local target=$1 n=$2 url file start took c out tps p50 p99 region
	if [ "$REUSE" = 1 ] && url=$(existing "$target" "mr_check_$n") &&
		[ "$(psql -qAt "$url" -c "SELECT count(*) FROM layer WHERE name = 'redlines' AND current AND feature_count = $n" 2>/dev/null)" = 1 ]; then
		printf 'import %s n=%s\treused (imported by an earlier run)\n' "$target" "$n" | tee -a "$results"
	else
		url=$(database "$target" "mr_check_$n")
		file="$DIR/stress-$n.geojson"
		[ -s "$file" ] || ./bin/minerights generate stress --redlines "$n" --out "$file"
		start=$(date +%s.%N)
		if ! DATABASE_URL="$url" timeout "$IMPORT_LIMIT" ./bin/minerights import redlines "$file" --source "minerights generate stress --redlines $n" >/dev/null; then
			printf 'import %s n=%s\tnot finished within %s: no checks measured at this size\n' "$target" "$n" "$IMPORT_LIMIT" | tee -a "$results"
			return 0
		fi
		took=$(echo "$(date +%s.%N) - $start" | bc)
		printf 'import %s n=%s\tseconds=%.0f\n' "$target" "$n" "$took" | tee -a "$results"
	fi
	psql -q "$url" -c "VACUUM ANALYZE" 2>/dev/null || psql -q "$url" -c "ANALYZE"
	for c in 1 4; do
		rm -f "$DIR"/pgb-check.*
		out=$(pgbench -n -M prepared -c $c -j $c -T "$SECS" -l --log-prefix "$DIR/pgb-check" -f "$DIR/check.sql" "$url" 2>&1)
		tps=$(grep -E '^tps' <<<"$out" | sed -E 's/tps = ([0-9.]+).*/\1/')
		[ -n "$tps" ] || { echo "$out" >&2; exit 1; }
		read -r p50 p99 < <(cat "$DIR"/pgb-check.* | awk '{print $3}' | sort -n |
			awk '{a[NR]=$1} END {printf "%.2f %.2f\n", a[int(NR*0.50)+1]/1000, a[int(NR*0.99)+1]/1000}')
		printf 'check %s n=%s\tclients=%d\tchecks/s=%.1f\tp50_ms=%s\tp99_ms=%s\n' "$target" "$n" "$c" "$tps" "$p50" "$p99" | tee -a "$results"
	done
	rm -f "$DIR"/pgb-check.*
	if [ "$target" = single ]; then
		psql -qAt -F $'\t' "$url" -c "SELECT 'load single n=$n', 'node=single', 'table=layer_feature', 'rows=' || count(*),
			'bytes=' || pg_total_relation_size('layer_feature'), 'size=' || pg_size_pretty(pg_total_relation_size('layer_feature')) FROM layer_feature" | tee -a "$results"
		return 0
	fi
	# What each worker carries: shards, rows and bytes (table, indexes and
	# TOAST) of layer_feature.
	psql -qAt -F $'\t' "$url" -c "SELECT 'load citus n=$n', 'node=' || s.nodename || ':' || s.nodeport, 'table=layer_feature',
			'rows=' || sum(r.result::bigint), 'bytes=' || sum(s.shard_size), 'size=' || pg_size_pretty(sum(s.shard_size)), 'shards=' || count(*)
		FROM citus_shards s JOIN run_command_on_shards('layer_feature', 'SELECT count(*) FROM %s') r USING (shardid)
		WHERE s.table_name = 'layer_feature'::regclass GROUP BY s.nodename, s.nodeport ORDER BY 2" | tee -a "$results"
	{
		echo "== n=$n: layer_feature per worker (rows from each shard, bytes with indexes)"
		psql -q "$url" -c "SELECT s.nodename || ':' || s.nodeport AS node, count(*) AS shards, sum(r.result::bigint) AS rows,
				sum(s.shard_size) AS bytes, pg_size_pretty(sum(s.shard_size)) AS size
			FROM citus_shards s JOIN run_command_on_shards('layer_feature', 'SELECT count(*) FROM %s') r USING (shardid)
			WHERE s.table_name = 'layer_feature'::regclass GROUP BY 1 ORDER BY 1"
		echo "== n=$n: features per region and the shard and worker holding it"
		psql -q "$url" -c "SELECT f.region_code, count(*) AS rows, get_shard_id_for_distribution_column('layer_feature', f.region_code) AS shard,
				(SELECT nodeport FROM citus_shards s WHERE s.shardid = get_shard_id_for_distribution_column('layer_feature', f.region_code)) AS port
			FROM layer_feature f GROUP BY 1 ORDER BY 1"
		echo "== a check's feature query, parcel 1's region (compliance_hits runs this per region)"
		region=$(psql -qAt "$url" -c "SELECT county_code FROM parcel WHERE gazette_no = 1")
		psql -q "$url" -c "EXPLAIN (COSTS OFF) SELECT f.fid FROM layer_feature f JOIN layer l ON l.id = f.layer_id
			JOIN compliance_rule r ON r.layer_kind = l.kind AND r.enabled
			WHERE l.current AND f.region_code = '$region'
			AND ST_DWithin(f.geom_4526, (SELECT ST_Transform(geom, 4526) FROM parcel WHERE gazette_no = 1), GREATEST(r.hard_distance_m, r.warn_distance_m))"
		echo "== the regions the checks of the 11 gazette parcels read"
		psql -q "$url" -c "SELECT p.gazette_no, p.county_code, (SELECT string_agg(DISTINCT lg.region_code, ',')
			FROM layer l JOIN compliance_rule r ON r.layer_kind = l.kind AND r.enabled JOIN layer_region lg ON lg.layer_id = l.id
			WHERE l.current AND ST_DWithin(lg.coverage, ST_Transform(p.geom, 4526), GREATEST(r.hard_distance_m, r.warn_distance_m))) AS regions
			FROM parcel p ORDER BY 1"
	} >>"$plans"
}

# round TARGET: the 1,000-sale round through two serve processes, then the
# consistency check.
round() {
	local target=$1 url rules urls port sale slack countdown
	url=$(database "$target" mr_round)
	rules="$DIR/bench-rules.yaml"
	# The countdown must outlast the scheduler's start of timed bidding in
	# every sale: on Citus under load 30 that took 48 s for 1,000 sales, past
	# a 45 s countdown, so the sales had closed before the run began.
	countdown=${ROUND_COUNTDOWN:-45}
	[ "$target" = citus ] && countdown=${ROUND_COUNTDOWN_CITUS:-180}
	bench_rules "$rules" "${countdown}s"
	urls=""
	for port in $P1 $P2; do
		DATABASE_URL="$(pooled_url "$url")" MINERIGHTS_RULES="$rules" ./bin/minerights serve --addr 127.0.0.1:$port --bid-rate 1000 --bid-burst 1000 \
			>"$DIR/serve-$target-$port.log" 2>&1 &
		pids+=($!)
		urls="${urls:+$urls,}http://127.0.0.1:$port"
	done
	for port in $P1 $P2; do
		wait_healthy "$port" 300 0.2
	done
	echo "bench-citus: $target: setting up $ROUND_SALES sales, $ROUND_BIDDERS bidders" >&2
	slack=${ROUND_SLACK:-60s}
	[ "$target" = citus ] && slack=${ROUND_SLACK_CITUS:-$slack}
	DATABASE_URL="$url" ./bin/bidload setup -rules "$rules" -sales "$ROUND_SALES" -bidders "$ROUND_BIDDERS" -slack "$slack" -out "$DIR/plan-$target.json"
	DATABASE_URL="$url" ./bin/bidload run -urls "$urls" -plan "$DIR/plan-$target.json" -d "${SECS}s" -c 64 \
		-out "$DIR/receipts-$target.jsonl" -label "round $target" | tee -a "$results"
	DATABASE_URL="$url" ./bin/bidload check -plan "$DIR/plan-$target.json" -receipts "$DIR/receipts-$target.jsonl" -wait "$((countdown + 180))s" | tee -a "$results"
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	pids=()
	if [ "$target" = single ]; then
		psql -qAt -F $'\t' "$url" -c "SELECT 'load single round', 'node=single', 'table=' || t, 'rows=' || n, 'bytes=' || pg_total_relation_size(t::regclass)
			FROM (VALUES ('sale', (SELECT count(*) FROM sale)), ('bid', (SELECT count(*) FROM bid)), ('audit_event', (SELECT count(*) FROM audit_event))) v(t, n)" | tee -a "$results"
		return 0
	fi
	psql -qAt -F $'\t' "$url" -c "SELECT 'load citus round', 'node=' || s.nodename || ':' || s.nodeport, 'table=' || s.table_name::text,
			'rows=' || sum(r.result::bigint), 'bytes=' || sum(s.shard_size), 'shards=' || count(*)
		FROM citus_shards s JOIN (SELECT * FROM run_command_on_shards('sale', 'SELECT count(*) FROM %s')
			UNION ALL SELECT * FROM run_command_on_shards('bid', 'SELECT count(*) FROM %s')
			UNION ALL SELECT * FROM run_command_on_shards('audit_event', 'SELECT count(*) FROM %s')) r USING (shardid)
		GROUP BY s.table_name, s.nodename, s.nodeport ORDER BY 3, 2" | tee -a "$results"
	# The sale with the most bids: its plans are those of a hot sale.
	sale=$(psql -qAt "$url" -c "SELECT sale_id FROM bid GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 1")
	{
		echo "== a bid: the sale's lock, its bid row, its audit entry, its key lookup (sale $sale, the one with the most bids)"
		psql -q "$url" -c "EXPLAIN (COSTS OFF) SELECT parcel_id, machine_tag FROM sale WHERE id = $sale FOR UPDATE"
		psql -q "$url" -c "EXPLAIN (COSTS OFF) INSERT INTO bid (sale_id, seq, bidder_id, paddle, amount_yuan, phase, at) VALUES ($sale, 1000000, 1, 1, 1, 'x', now())"
		psql -q "$url" -c "EXPLAIN (COSTS OFF) INSERT INTO audit_event (sale_id, seq, kind, at, recorded_at, actor, data, prev_hash, hash) VALUES ($sale, 1000000, 'x', now(), now(), 'x', '{}', '', '')"
		psql -q "$url" -c "EXPLAIN (COSTS OFF) SELECT seq FROM bid WHERE sale_id = $sale AND bidder_id = 1 AND idempotency_key = 'k'"
		echo "== the sale's shard and its bids' shard (co-located: the same worker)"
		psql -q "$url" -c "SELECT s.table_name, s.shardid, s.nodename || ':' || s.nodeport AS node FROM citus_shards s
			WHERE s.shardid IN (get_shard_id_for_distribution_column('sale', $sale), get_shard_id_for_distribution_column('bid', $sale),
				get_shard_id_for_distribution_column('audit_event', $sale)) ORDER BY 1"
		echo "== sales, bids and audit entries per worker"
		psql -q "$url" -c "SELECT s.table_name, s.nodename || ':' || s.nodeport AS node, count(*) AS shards, sum(r.result::bigint) AS rows,
				pg_size_pretty(sum(s.shard_size)) AS size
			FROM citus_shards s JOIN (SELECT * FROM run_command_on_shards('sale', 'SELECT count(*) FROM %s')
				UNION ALL SELECT * FROM run_command_on_shards('bid', 'SELECT count(*) FROM %s')
				UNION ALL SELECT * FROM run_command_on_shards('audit_event', 'SELECT count(*) FROM %s')) r USING (shardid)
			GROUP BY 1, 2 ORDER BY 1, 2"
	} >>"$plans"
}

for wl in $WORKLOADS; do
	case $wl in
	round)
		for target in $TARGETS; do round "$target"; done
		;;
	compliance)
		# Size by size, both targets, so that a run stopped by the clock has
		# compared the smaller sizes on both.
		for n in $SIZES; do
			for target in $TARGETS; do compliance "$target" "$n"; done
		done
		;;
	*) echo "unknown workload $wl" >&2; exit 2 ;;
	esac
done
echo "bench-citus: results in $results, plans in $plans"
