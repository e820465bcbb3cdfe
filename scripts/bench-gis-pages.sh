#!/usr/bin/env bash
# How long GDAL's ogr2ogr takes to export a check layer of N features from
# the OGC API to GeoPackage at several page sizes: what the default page
# size of /items is chosen by (docs/maps.md#gis-client-page-size).
#   BENCH_N (20000) features, BENCH_PAGES ("10 100 1000 10000"), BENCH_RUNS (3)
# Each export is bounded to 300 s. Uses its own cluster in .data-bench-pages
# and a server on a random loopback port; stops both at the end.
set -euo pipefail
cd "$(dirname "$0")/.."
n="${BENCH_N:-20000}"
pages="${BENCH_PAGES:-10 100 1000 10000}"
runs="${BENCH_RUNS:-3}"
dir=.data-bench-pages
command -v ogr2ogr >/dev/null || { echo "bench: ogr2ogr is missing (apt-get install gdal-bin)" >&2; exit 1; }
export DATABASE_URL
DATABASE_URL=$(./bin/minerights localdb start --dir "$dir")
server=""
cleanup() {
	[ -n "$server" ] && kill "$server" 2>/dev/null && wait "$server" 2>/dev/null || true
	./bin/minerights localdb stop --dir "$dir" || true
}
trap cleanup EXIT
./bin/minerights migrate
./bin/minerights seed
./bin/minerights generate stress --redlines "$n" --out "$dir/stress.geojson"
./bin/minerights import redlines "$dir/stress.geojson" --source bench --progress never
port=$((20000 + RANDOM % 20000))
./bin/minerights serve --addr "127.0.0.1:$port" --log-level warn &
server=$!
for _ in $(seq 50); do curl -fsS "127.0.0.1:$port/readyz" >/dev/null 2>&1 && break; sleep 0.2; done
echo "| page size | requests | seconds per export ($runs runs) |"
echo "|---|---|---|"
for p in $pages; do
	times=()
	for _ in $(seq "$runs"); do
		rm -f "$dir/out.gpkg"
		start=$(date +%s.%N)
		timeout 300 ogr2ogr -f GPKG -oo PAGE_SIZE="$p" "$dir/out.gpkg" "OAPIF:http://127.0.0.1:$port/ogc" redlines
		times+=("$(echo "$(date +%s.%N) - $start" | bc | xargs printf '%.1f')")
		got=$(ogrinfo -ro -so "$dir/out.gpkg" redlines | sed -n 's/Feature Count: //p')
		[ "$got" = "$n" ] || { echo "bench: exported $got of $n features" >&2; exit 1; }
	done
	echo "| $p | $(( (n + p - 1) / p )) | ${times[*]} |"
done
