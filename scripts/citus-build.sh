#!/usr/bin/env bash
# Builds and installs Citus 13.2.2 from the vendored source in ../shared/vendor
# (relative to the repository) when the PostgreSQL 15 server has no citus
# extension yet. Real deployments install Citus from its own packages; this is
# for the local cluster of `make test-citus` and `make bench-citus`.
set -euo pipefail
cd "$(dirname "$0")/.."

pg_config=/usr/lib/postgresql/15/bin/pg_config
if [ -x "$pg_config" ] && [ -f "$("$pg_config" --pkglibdir)/citus.so" ] &&
	[ -f "$("$pg_config" --sharedir)/extension/citus.control" ]; then
	exit 0
fi

vendor="${MINERIGHTS_VENDOR:-../shared/vendor}"
tarball="$vendor/citus-13.2.2.tar.gz"
patchfile="$vendor/pg15.20-have_createdb_privilege.patch"
sha=dd2453caec20a830e5e63f1def5c5a98cb6f57ae510407cdcd800916fcdab430
[ -f "$tarball" ] || { echo "citus-build: $tarball is missing" >&2; exit 1; }
echo "$sha  $tarball" | sha256sum -c --quiet - || { echo "citus-build: $tarball checksum mismatch" >&2; exit 1; }

sudo=""
if [ "$(id -u)" -ne 0 ]; then
	command -v sudo >/dev/null || { echo "citus-build: need root or sudo" >&2; exit 1; }
	sudo="sudo"
fi
# The server headers must be those of the installed server: Citus compiled
# against 15.20 headers expects symbols a 15.18 server does not export.
server_version=$(dpkg-query -W -f='${Version}' postgresql-15)
build_deps=("postgresql-server-dev-15=$server_version" libcurl4-openssl-dev liblz4-dev libzstd-dev
	libkrb5-dev libssl-dev libselinux1-dev libxslt1-dev libpam0g-dev libreadline-dev make gcc patch)
export DEBIAN_FRONTEND=noninteractive
if ! $sudo apt-get install -y -q --no-install-recommends "${build_deps[@]}" >/dev/null; then
	$sudo apt-get update -q >/dev/null
	$sudo apt-get install -y -q --no-install-recommends "${build_deps[@]}" >/dev/null
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
tar -xzf "$tarball" -C "$work"
src=$(find "$work" -mindepth 1 -maxdepth 1 -type d | head -n1)
patchabs=$(realpath "$patchfile")
(cd "$src" && patch -p1 -s <"$patchabs")
echo "citus-build: building Citus 13.2.2 (about a minute on two cores)" >&2
(cd "$src" && ./configure -q PG_CONFIG="$pg_config" >/dev/null && make -s -j2 >/dev/null && $sudo make -s install >/dev/null)
echo "citus-build: installed into $("$pg_config" --pkglibdir)" >&2
