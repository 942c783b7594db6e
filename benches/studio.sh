#!/usr/bin/env bash
# Benchmark: the studio window on the demo show under Xvfb (lavapipe draws
# both the compositor and the window), for DURATION seconds (default 40).
# Reports launch → first program frame on screen, the window's frame
# interval p50/p99 (as it logs them every 10 s), peak RSS, CPU and dropped
# frames — and, in the same run, the peer: the same show headless
# (`showroom run`), which has no window to draw.
# Usage: benches/studio.sh [DURATION]   (needs packaging/install-deps.sh --test, and GNU time)
set -euo pipefail
cd "$(dirname "$0")/.."
DURATION="${1:-40}"
cargo build --release --locked -q
BIN="$(pwd)/${CARGO_TARGET_DIR:-target}/release/showroom"
WORK=$(mktemp -d /tmp/showroom-studio-bench.XXXXXX)
N=$(for n in $(seq 90 120); do [ -e /tmp/.X11-unix/X$n ] || { echo $n; break; }; done)
Xvfb ":$N" -screen 0 1366x768x24 -nolisten tcp >/dev/null 2>&1 & XVFB=$!
trap 'kill $XVFB 2>/dev/null; rm -rf "$WORK"' EXIT
sleep 1

echo "== studio window, demo show (2 canvases, preview + program, thumbnails), ${DURATION}s"
START=$(date +%s.%N)
DISPLAY=":$N" XDG_STATE_HOME="$WORK/state" RUST_LOG=info /usr/bin/time -f "%U %S %M" -o "$WORK/studio.time" \
  timeout -s TERM "$DURATION" "$BIN" studio assets/demo/show.toml 2> "$WORK/studio.log" || true
first=$(grep -o "first program frame on screen [0-9.]* s" "$WORK/studio.log" | awk '{print $6}' | head -1)
frames=$(grep -o "UI frame interval p50 [0-9.]* ms, p99 [0-9.]* ms" "$WORK/studio.log" | tail -1)
read -r su ss srss < <(tail -1 "$WORK/studio.time")

echo "== peer: the same show headless (showroom run), ${DURATION}s"
/usr/bin/time -f "%U %S %M" -o "$WORK/run.time" "$BIN" run assets/demo/show.toml --duration "$DURATION" \
  --stats-json "$WORK/run.json" 2> "$WORK/run.log"
read -r ru rs rrss < <(tail -1 "$WORK/run.time")
run_drops=$(python3 -c "import json;d=json.load(open('$WORK/run.json'));print(sum(c['frames_dropped'] for c in d['canvases'].values()))")

python3 - "$DURATION" "$su" "$ss" "$srss" "$ru" "$rs" "$rrss" "${first:-none}" "${frames:-none}" "$run_drops" "$WORK/studio.log" <<'PY'
import sys, re
d, su, ss, srss, ru, rs, rrss = (float(x) for x in sys.argv[1:8])
first, frames, run_drops, log = sys.argv[8], sys.argv[9], sys.argv[10], sys.argv[11]
print(f"studio: first program frame on screen after {first} s")
print(f"studio: window {frames}")
print(f"studio: peak RSS {srss/1024:.0f} MB, CPU {(su+ss)/d:.2f} CPU-s/s")
print(f"peer (headless run): peak RSS {rrss/1024:.0f} MB, CPU {(ru+rs)/d:.2f} CPU-s/s, dropped frames {run_drops}")
PY
grep -o "landscape [0-9.]* fps [0-9]* dropped | portrait [0-9.]* fps [0-9]* dropped" "$WORK/studio.log" | tail -1 | sed 's/^/studio last status: /' || true
