#!/usr/bin/env bash
# Usage: PEERS_TESTDATA=/work/shared/testdata bash frames.sh [--times 5,12,20,30] [--out /tmp/peers-frames]
set -euo pipefail
cd "$(dirname "$0")"
[ -x /usr/bin/chromium ] || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }
[ -d node_modules/babylon-mmd ] && [ -d node_modules/playwright-core ] || npm ci --no-audit --no-fund >&2
node build.mjs >&2
srvlog=$(mktemp)
node server.mjs 0 >"$srvlog" 2>&1 &
srv=$!
trap 'kill $srv 2>/dev/null || true; rm -f "$srvlog"' EXIT
for _ in $(seq 100); do grep -q '^listening' "$srvlog" && break; sleep 0.1; done
port=$(awk '/^listening/{print $2; exit}' "$srvlog")
[ -n "$port" ] || { echo "static server did not start" >&2; cat "$srvlog" >&2; exit 1; }
node frames.mjs --port "$port" "$@"
