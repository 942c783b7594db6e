#!/usr/bin/env bash
# Benchmark: the crew console, release build, in Debian's chromium
# (selenium; tests/console/bench.py).
#  1. Chat message posted to the bridge → visible in a moderator page's
#     DOM (a MutationObserver's Date.now() against the time of the POST,
#     same machine clock): p50/p99 over 40 messages, with 1 and with 10
#     moderator pages open.
#  2. The demo show for DURATION s with 10 consoles open (4 moderators, 3
#     producers with their pictures, 2 hosts, 1 brand) against none, back
#     to back: showroom's CPU-s/s, peak RSS and dropped frames. The pages
#     run on the crew's devices, so here each is its connection: a
#     WebSocket client (websocket-client) that takes all a page gets.
# BIN=path runs another build of showroom.
# Usage: benches/console.sh [DURATION]   (needs packaging/install-deps.sh --test, GNU time)
set -euo pipefail
cd "$(dirname "$0")/.."
DURATION="${1:-30}"
if [ -z "${BIN:-}" ]; then
  cargo build --release --locked -q
  BIN="${CARGO_TARGET_DIR:-target}/release/showroom"
fi
BIN="$(realpath "$BIN")"
PY=tests/remote/.venv/bin/python
"$PY" -c "import selenium" 2>/dev/null || { echo "run packaging/install-deps.sh --test first"; exit 1; }
WORK=$(mktemp -d /tmp/showroom-console-bench.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
export XDG_STATE_HOME="$WORK/state"

echo "== 1. chat → a moderator page's DOM (ms)"
for n in 1 10; do
  mkdir -p "$WORK/lat-$n"
  "$PY" tests/console/bench.py latency "$BIN" "$WORK/lat-$n" "$n"
done
echo "== 2. the demo show, ${DURATION}s, with no console and with 10"
# Twice each, alternately: the governor's start-up measurement swings
# between runs on this machine, and with it what the show renders.
for n in 0 10 0 10; do
  "$PY" tests/console/bench.py load "$BIN" "$(realpath assets/demo/show.toml)" "$DURATION" "$WORK" "$n"
done
