#!/usr/bin/env bash
# Installs the Debian packages minerights needs when they are missing.
#   scripts/deps.sh run    what running needs: PostgreSQL 15 with PostGIS 3
#   scripts/deps.sh test   that, and the real clients the tests drive
#                          (the default, which CI uses)
set -euo pipefail

target="${1:-test}"
case "$target" in run | test) ;; *) echo "deps: unknown target $target (run or test)" >&2; exit 2 ;; esac

packages=(postgresql-15 postgresql-15-postgis-3)
if [ "$target" = test ]; then
	# The map tests drive real clients: GDAL's ogrinfo and ogr2ogr (OGC API -
	# Features and MVT drivers), QGIS's Python API, and headless Chromium
	# through playwright-core from npm; a CJK font lets the screenshot show
	# the layer names.
	packages+=(gdal-bin python3-qgis chromium fonts-wqy-zenhei)
	command -v npm >/dev/null || packages+=(nodejs npm)
fi
if [ "${MINERIGHTS_EXTRA_PACKAGES:-}" != "" ]; then
	read -r -a extra <<<"$MINERIGHTS_EXTRA_PACKAGES"
	packages+=("${extra[@]}")
fi

missing=()
for p in "${packages[@]}"; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
		missing+=("$p")
	fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

sudo=""
if [ "$(id -u)" -ne 0 ]; then
	command -v sudo >/dev/null || { echo "deps: need root or sudo to install: ${missing[*]}" >&2; exit 1; }
	sudo="sudo"
fi
echo "deps: installing ${missing[*]} (Debian packages, for \`make $target\`; a few minutes the first time)" >&2
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -q
$sudo apt-get install -y -q --no-install-recommends "${missing[@]}"
# Debian's package starts a system cluster on port 5432; minerights runs its
# own clusters on unix sockets and does not need it.
if command -v pg_lsclusters >/dev/null && pg_lsclusters -h 2>/dev/null | grep -q online; then
	$sudo pg_ctlcluster 15 main stop 2>/dev/null || true
fi
