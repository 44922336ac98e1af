#!/usr/bin/env bash
# Copies pinned browser libraries from the npm registry into static/vendor/ with their licence.
# Run by hand when bumping a version; the copies are committed so the app needs no build step.
set -euo pipefail
cd "$(dirname "$0")/.."
SOCKETIO_CLIENT=4.8.1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
(cd "$tmp" && npm pack --silent "socket.io-client@${SOCKETIO_CLIENT}" >/dev/null && tar xzf socket.io-client-*.tgz)
mkdir -p static/vendor/socket.io-client
cp "$tmp/package/dist/socket.io.min.js" static/vendor/socket.io-client/
cp "$tmp/package/LICENSE" static/vendor/socket.io-client/LICENSE
echo "socket.io-client ${SOCKETIO_CLIENT} from the npm registry" > static/vendor/socket.io-client/VERSION
echo "vendored socket.io-client ${SOCKETIO_CLIENT}"
