#!/usr/bin/env bash
# Refreshes the vendored Swagger UI that serves /docs without any network at
# run time: `bash scripts/vendor-docs.sh [VERSION]`.
set -euo pipefail
version="${1:-5.35.0}"
here="$(cd "$(dirname "$0")/.." && pwd)"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
(cd "$tmp" && npm pack --silent "swagger-ui-dist@$version" >/dev/null && tar xzf swagger-ui-dist-*.tgz)
for f in swagger-ui-bundle.js swagger-ui.css LICENSE NOTICE; do
	cp "$tmp/package/$f" "$here/openapi/docsui/$f"
done
echo "swagger-ui-dist $version" > "$here/openapi/docsui/VERSION"
