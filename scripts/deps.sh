#!/usr/bin/env bash
# Installs the Debian packages minerights needs when they are missing:
# PostgreSQL 15 with PostGIS 3 for the database and the test harness.
set -euo pipefail

packages=(postgresql-15 postgresql-15-postgis-3)
# The map tests drive real clients: GDAL's ogrinfo (OGC API - Features and
# MVT drivers) and headless Chromium through playwright-core from npm; a CJK
# font lets the screenshot show the layer names.
packages+=(gdal-bin chromium fonts-wqy-zenhei)
command -v npm >/dev/null || packages+=(nodejs npm)
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
echo "deps: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -q
$sudo apt-get install -y -q --no-install-recommends "${missing[@]}"
# Debian's package starts a system cluster on port 5432; minerights runs its
# own clusters on unix sockets and does not need it.
if command -v pg_lsclusters >/dev/null && pg_lsclusters -h 2>/dev/null | grep -q online; then
	$sudo pg_ctlcluster 15 main stop 2>/dev/null || true
fi
