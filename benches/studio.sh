#!/usr/bin/env bash
# Benchmark: the studio window on the demo show under Xvfb (lavapipe draws
# both the compositor and the window), for DURATION seconds (default 40),
# twice: the usual window (preview + program), then with the multiview open
# (preview, program, every source's and scene's tile). Reports launch →
# first program frame on screen, the window's frame interval p50/p99 (as it
# logs them every 10 s), the canvases' skipped ticks (frames sent as repeats),
# peak RSS and CPU — and, in the same run, the peer: the same show headless
# (`showroom run`), which has no window to draw.
# Usage: benches/studio.sh [DURATION] [WIDTHxHEIGHT]   (needs packaging/install-deps.sh --test, and GNU time)
set -euo pipefail
cd "$(dirname "$0")/.."
DURATION="${1:-40}"
SIZE="${2:-1366x768}"
# SHOWROOM_BIN=path: measure that binary instead (an older build, say).
if [ -z "${SHOWROOM_BIN:-}" ]; then cargo build --release --locked -q; fi
BIN="${SHOWROOM_BIN:-$(pwd)/${CARGO_TARGET_DIR:-target}/release/showroom}"
WORK=$(mktemp -d /tmp/showroom-studio-bench.XXXXXX)
N=$(for n in $(seq 90 120); do [ -e /tmp/.X11-unix/X$n ] || { echo $n; break; }; done)
Xvfb ":$N" -screen 0 "${SIZE}x24" -nolisten tcp >/dev/null 2>&1 & XVFB=$!
trap 'kill $XVFB 2>/dev/null; rm -rf "$WORK"' EXIT
sleep 1
W=${SIZE%x*}; H=${SIZE#*x}

# run_studio NAME VIEWS_TOML: one window for DURATION s, its figures printed.
run_studio() {
  local name=$1 views=$2
  mkdir -p "$WORK/$name/config/showroom"
  printf '%s\n' "$views" > "$WORK/$name/config/showroom/views.toml"
  echo "== studio window, demo show, ${name}, ${SIZE}, ${DURATION}s"
  DISPLAY=":$N" XDG_STATE_HOME="$WORK/$name/state" XDG_CONFIG_HOME="$WORK/$name/config" RUST_LOG=info \
    /usr/bin/time -f "%U %S %M" -o "$WORK/$name/time" \
    timeout -s TERM "$DURATION" "$BIN" studio assets/demo/show.toml 2> "$WORK/$name/log" || true
  python3 - "$DURATION" "$name" "$WORK/$name" <<'PY'
import sys, re
d, name, w = float(sys.argv[1]), sys.argv[2], sys.argv[3]
log = open(w + "/log").read()
u, s, rss = (float(x) for x in open(w + "/time").read().split()[-3:])
first = re.findall(r"first program frame on screen ([0-9.]+) s", log)
frames = re.findall(r"UI frame interval p50 ([0-9.]+) ms, p99 ([0-9.]+) ms", log)
status = re.findall(r"landscape [0-9.]+ fps (\d+) dropped.*?portrait [0-9.]+ fps (\d+) dropped", log)
print(f"{name}: first program frame on screen after {first[0] if first else 'none'} s")
if frames:
    print(f"{name}: window frame interval p50 {frames[-1][0]} ms, p99 {frames[-1][1]} ms")
if status:
    print(f"{name}: canvas ticks skipped (sent as repeats): landscape {status[-1][0]}, portrait {status[-1][1]}")
print(f"{name}: peak RSS {rss/1024:.0f} MB, CPU {(u+s)/d:.2f} CPU-s/s")
PY
}

run_studio closed "window = [$W.0, $H.0]"
run_studio multiview "window = [$W.0, $H.0]
[multiview]
open = true
columns = 4"

echo "== peer: the same show headless (showroom run), ${DURATION}s"
/usr/bin/time -f "%U %S %M" -o "$WORK/run.time" "$BIN" run assets/demo/show.toml --duration "$DURATION" \
  --stats-json "$WORK/run.json" 2> "$WORK/run.log"
read -r ru rs rrss < <(tail -1 "$WORK/run.time")
python3 - "$DURATION" "$ru" "$rs" "$rrss" "$WORK/run.json" <<'PY'
import sys, json
d, ru, rs, rrss = (float(x) for x in sys.argv[1:5])
c = json.load(open(sys.argv[5]))["canvases"]
drops = ", ".join(f"{k} {v['frames_dropped']}" for k, v in c.items())
print(f"peer (headless run): peak RSS {rrss/1024:.0f} MB, CPU {(ru+rs)/d:.2f} CPU-s/s, ticks skipped: {drops}")
PY
