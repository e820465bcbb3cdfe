#!/usr/bin/env bash
# make bench-map: vector tiles and feature items of minerights against the
# servers a planner would pick instead, on a 200,000-polygon red-line layer
# (data/gen.StressRedlines), all on this machine over loopback.
#
#   tiles/s and p99 for fixed lists of z10, z12 and z14 tiles: minerights
#   with its tile cache off (cold) and on (warm), pg_tileserv (PG_TILESERV),
#   and the raw ST_AsMVT SQL through pgbench (the database's limit);
#   items/s for a fixed list of bbox queries: minerights and pg_featureserv
#   (PG_FEATURESERV). A reference server whose path is not set is skipped.
#
# Environment: BENCH_N (polygons, 200000), BENCH_SECONDS (per run, 10),
# BENCH_CONNECTIONS (8), BENCH_DIR (.data-bench), PG_TILESERV, PG_FEATURESERV,
# BENCH_BIN (the minerights binary served and measured, ./bin/minerights),
# BENCH_HTTP_PORT (the first of four ports on 127.0.0.1 the servers listen
# on, 18181).
set -euo pipefail
cd "$(dirname "$0")/.."

N=${BENCH_N:-200000}
SECS=${BENCH_SECONDS:-10}
CONNS=${BENCH_CONNECTIONS:-8}
DIR=${BENCH_DIR:-.data-bench}
SERVE=${BENCH_BIN:-./bin/minerights}
HTTP_PORT=${BENCH_HTTP_PORT:-18181}
PORT_MR=$HTTP_PORT PORT_MRC=$((HTTP_PORT + 1)) PORT_TS=$((HTTP_PORT + 2)) PORT_FS=$((HTTP_PORT + 3))
command -v wrk >/dev/null || { echo "bench-map: wrk is missing (apt-get install wrk)" >&2; exit 1; }
command -v pgbench >/dev/null || PATH="$PATH:$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)"

url=$(./bin/minerights localdb start --dir "$DIR" --port 5440)
export DATABASE_URL="$url"
lists="$DIR/lists"
have=$(psql -Atq "$url" -c "SELECT feature_count FROM layer WHERE name = 'stress_redlines' AND current" 2>/dev/null || true)
if [ "${have:-0}" != "$N" ]; then
	echo "bench-map: loading $N stress polygons into $DIR" >&2
	go run ./scripts/benchmap -n "$N" -out "$lists"
else
	go run ./scripts/benchmap -n 0 -out "$lists"
fi
psql -q "$url" <<'SQL'
ANALYZE;
-- The view the reference servers publish: the same features, one table.
CREATE OR REPLACE VIEW bench_stress_redlines AS
SELECT f.fid, f.name, f.geom FROM layer_feature f JOIN layer l ON l.id = f.layer_id
WHERE l.name = 'stress_redlines' AND l.current;
SQL

pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT
wait_http() {
	for _ in $(seq 1 100); do curl -fsS -o /dev/null "$1" 2>/dev/null && return 0; sleep 0.1; done
	echo "bench-map: $1 did not come up" >&2; return 1
}

log="$DIR/bench.log"
: >"$log"
MINERIGHTS_TILE_CACHE_MB=0 "$SERVE" serve --addr 127.0.0.1:$PORT_MRC >>"$log" 2>&1 & pids+=($!)
MINERIGHTS_TILE_CACHE_MB=1024 "$SERVE" serve --addr 127.0.0.1:$PORT_MR >>"$log" 2>&1 & pids+=($!)
wait_http "http://127.0.0.1:$PORT_MRC/healthz"
wait_http "http://127.0.0.1:$PORT_MR/healthz"
if [ -n "${PG_TILESERV:-}" ]; then
	TS_HTTPPORT=$PORT_TS TS_HTTPHOST=127.0.0.1 "$PG_TILESERV" >>"$log" 2>&1 & pids+=($!)
	wait_http "http://127.0.0.1:$PORT_TS/index.json"
fi
# Each server reads its collection list once before it is measured.
curl -fsS -o /dev/null "http://127.0.0.1:$PORT_MRC/ogc/collections"
curl -fsS -o /dev/null "http://127.0.0.1:$PORT_MR/ogc/collections"
if [ -n "${PG_FEATURESERV:-}" ]; then
	PGFS_SERVER_HTTPPORT=$PORT_FS PGFS_SERVER_HTTPHOST=127.0.0.1 "$PG_FEATURESERV" >>"$log" 2>&1 & pids+=($!)
	wait_http "http://127.0.0.1:$PORT_FS/collections.json"
fi

# paths FILE PREFIX SUFFIX: one request path per line of FILE.
paths() { local line; while read -r line; do if [ -n "$line" ]; then echo "$2$line$3"; fi; done <"$1"; }
bench() { # bench NAME PORT PATHFILE -> "rps p99"
	local out
	out=$(wrk -t2 -c"$CONNS" -d"${SECS}s" --timeout 30s -s scripts/bench-map.lua "http://127.0.0.1:$2" -- "$3" | grep '^RESULT')
	echo "$1 $out" >>"$DIR/raw.txt"
	local rps p99 non2xx
	rps=$(sed -E 's/.*rps=([0-9.]+).*/\1/' <<<"$out")
	p99=$(sed -E 's/.*p99_ms=([0-9.]+).*/\1/' <<<"$out")
	non2xx=$(sed -E 's/.*non2xx=([0-9]+).*/\1/' <<<"$out")
	[ "$non2xx" = 0 ] || echo "bench-map: $1 had $non2xx non-2xx answers" >&2
	echo "$rps $p99"
}
pgb() { # pgb Z [tileserv] -> tiles/s of the raw tile SQL over the list's tiles
	local f="$DIR/pgbench-z$1${2:-}.sql" xs ys
	xs=$(cut -d/ -f2 "$lists/tiles-z$1.txt" | sort -n | sed -n '1p;$p' | paste -sd,)
	ys=$(cut -d/ -f3 "$lists/tiles-z$1.txt" | sort -n | sed -n '1p;$p' | paste -sd,)
	cat >"$f" <<SQL
\set x random(${xs%,*}, ${xs#*,})
\set y random(${ys%,*}, ${ys#*,})
SELECT length(ST_AsMVT(t, 'stress_redlines', 4096, 'geom')) FROM (
  SELECT ST_AsMVTGeom(f.geom_3857, ST_TileEnvelope($1, :x, :y), 4096, 64, true) AS geom, f.fid, f.name
  FROM layer_feature f JOIN layer l ON l.id = f.layer_id
  WHERE l.name = 'stress_redlines' AND l.current AND f.geom_3857 && ST_TileEnvelope($1, :x, :y, margin => 64.0/4096)
) t;
SQL
	if [ "${2:-}" = tileserv ]; then
		# pg_tileserv's table-layer query (layer_table.go): every feature
		# transformed per tile, exact intersection, at most 10,000 features.
		cat >"$f" <<SQL
\set x random(${xs%,*}, ${xs#*,})
\set y random(${ys%,*}, ${ys#*,})
SELECT length(ST_AsMVT(mvtgeom, 'public.bench_stress_redlines', 4096, 'geom')) FROM (
  SELECT ST_AsMVTGeom(ST_Transform(ST_Force2D(t.geom), 3857), bounds.geom_clip, 4096, 256) AS geom, t.fid, t.name
  FROM bench_stress_redlines t, (SELECT ST_TileEnvelope($1, :x, :y) AS geom_clip,
    ST_TileEnvelope($1, :x, :y, margin => 256.0/4096) AS geom_query) bounds
  WHERE ST_Intersects(t.geom, ST_Transform(bounds.geom_query, 4490)) LIMIT 10000
) mvtgeom;
SQL
	fi
	pgbench -n -c "$CONNS" -j 2 -T "$SECS" -f "$f" "$url" 2>/dev/null | sed -nE 's/^tps = ([0-9.]+).*/\1/p' | cut -d. -f1
}

: >"$DIR/raw.txt"
rows=()
for z in 10 12 14; do
	l="$lists/tiles-z$z.txt"
	paths "$l" /tiles/stress_redlines/ .mvt >"$DIR/p-mr-$z"
	read -r cold cold99 < <(bench "cold-z$z" $PORT_MRC "$DIR/p-mr-$z")
	while read -r p; do curl -fsS -o /dev/null "http://127.0.0.1:$PORT_MR$p"; done <"$DIR/p-mr-$z"
	read -r warm warm99 < <(bench "warm-z$z" $PORT_MR "$DIR/p-mr-$z")
	ts="–" ts99="–"
	if [ -n "${PG_TILESERV:-}" ]; then
		paths "$l" /public.bench_stress_redlines/ .pbf >"$DIR/p-ts-$z"
		read -r ts ts99 < <(bench "pg_tileserv-z$z" $PORT_TS "$DIR/p-ts-$z")
	fi
	db=$(pgb "$z")
	tsdb=$(pgb "$z" tileserv)
	rows+=("| z$z ($(wc -l <"$l") tiles) | $cold / $cold99 | $warm / $warm99 | $ts / $ts99 | $tsdb | $db |")
done
bbox_mr="$DIR/p-mr-items" bbox_fs="$DIR/p-fs-items"
paths "$lists/bboxes.txt" "/ogc/collections/stress_redlines/items?limit=100&bbox=" "" >"$bbox_mr"
read -r items items99 < <(bench items $PORT_MR "$bbox_mr")
fs="–" fs99="–"
if [ -n "${PG_FEATURESERV:-}" ]; then
	paths "$lists/bboxes.txt" "/collections/public.bench_stress_redlines/items.json?limit=100&bbox=" "" >"$bbox_fs"
	read -r fs fs99 < <(bench pg_featureserv $PORT_FS "$bbox_fs")
fi

{
	echo "## bench-map: $N polygons, ${SECS}s per run, $CONNS connections, $(nproc) cores, $(date -u +%F)"
	echo
	echo "| tiles | minerights cold (cache off): tiles/s / p99 ms | minerights warm: tiles/s / p99 ms | pg_tileserv: tiles/s / p99 ms | pg_tileserv's SQL via pgbench: tiles/s | raw ST_AsMVT via pgbench: tiles/s |"
	echo "|---|---|---|---|---|---|"
	printf '%s\n' "${rows[@]}"
	echo
	echo "| items (100 bbox queries, limit 100) | minerights: items/s / p99 ms | pg_featureserv: items/s / p99 ms |"
	echo "|---|---|---|"
	echo "| requests | $items / $items99 | $fs / $fs99 |"
} | tee "$DIR/results.md"
