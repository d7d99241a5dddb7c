#!/bin/sh
# contrib/swagger/setup.sh - Swagger UI for tasker as static files, no CDN.
#
#   contrib/swagger/setup.sh DEST [CACHE]
#
# Fetches swagger-ui-dist at a pinned version from the npm registry with
# `npm pack` (the package's tarball only: no dependencies, no install
# scripts), checks its SHA-256, and puts into DEST the files the page
# needs plus tasker's own index.html and initializer, which load
# ../api-docs.json.  Serve DEST at <mount>/api-docs/ (the locations are in
# contrib/nginx/tasker.conf).  The tarball is kept in CACHE (default
# ~/.cache/tasker), so later runs need no network.
set -eu

VERSION=5.35.0
SHA256=1b8e891893404ea4c3558b6a87e2a3e494e7eedba41168c2ece5800a391a6ea6
FILES="swagger-ui.css swagger-ui-bundle.js favicon-16x16.png favicon-32x32.png
	LICENSE NOTICE"

[ $# -ge 1 ] || { echo "usage: $0 DEST [CACHE]" >&2; exit 2; }
DEST=$1
CACHE=${2:-${XDG_CACHE_HOME:-$HOME/.cache}/tasker}
HERE=$(cd "$(dirname "$0")" && pwd)
TGZ=$CACHE/swagger-ui-dist-$VERSION.tgz

sha() { sha256sum "$1" | cut -d' ' -f1; }

mkdir -p "$CACHE"
if [ ! -s "$TGZ" ] || [ "$(sha "$TGZ")" != "$SHA256" ]; then
	tmp=$(mktemp -d "$CACHE/pack.XXXXXX")
	trap 'rm -rf "$tmp"' EXIT
	(cd "$tmp" && SCARF_ANALYTICS=false npm pack --silent \
	    --cache "$CACHE/npm" "swagger-ui-dist@$VERSION" >/dev/null)
	got=$(sha "$tmp/swagger-ui-dist-$VERSION.tgz")
	if [ "$got" != "$SHA256" ]; then
		echo "$0: swagger-ui-dist-$VERSION.tgz has SHA-256 $got," \
		    "expected $SHA256" >&2
		exit 1
	fi
	mv "$tmp/swagger-ui-dist-$VERSION.tgz" "$TGZ"
fi

# Build the folder next to DEST and swap it in whole.
new=$DEST.new.$$
rm -rf "$new"
mkdir -p "$new/x"
tar xzf "$TGZ" -C "$new/x"
for f in $FILES; do
	cp "$new/x/package/$f" "$new/$f"
done
rm -rf "$new/x"
cp "$HERE/index.html" "$HERE/index.css" "$HERE/tasker-initializer.js" "$new/"
chmod -R a+rX "$new"
rm -rf "$DEST"
mv "$new" "$DEST"
echo "$DEST: Swagger UI $VERSION"
