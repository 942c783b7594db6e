#!/usr/bin/env bash
# Benchmark: remote control (obs-websocket 5), release build.
#  1. Button → program: a cut sent by a controller (obs-websocket-js,
#     SetCurrentProgramScene) against the same cut typed on `showroom run`'s
#     stdin, alternately, 10 of each: the time from sending to the first
#     frame of the new scene in the recorded program (frames at 30 fps;
#     the stream's own timestamps, mapped to the wall clock through the
#     event log's `start` line), and to the engine taking it (the event
#     log's `cut` line).
#  2. 20 controllers subscribed to every event and InputVolumeMeters during
#     the demo show (both canvases recorded) against the same show without
#     them, back to back: showroom's CPU-s/s and dropped frames.
# BIN=path runs another build of showroom.
# Usage: benches/remote.sh [DURATION]   (needs packaging/install-deps.sh --test, GNU time)
set -euo pipefail
cd "$(dirname "$0")/.."
DURATION="${1:-30}"
if [ -z "${BIN:-}" ]; then
  cargo build --release --locked -q
  BIN="${CARGO_TARGET_DIR:-target}/release/showroom"
fi
BIN="$(realpath "$BIN")"
[ -d tests/remote/node_modules/obs-websocket-js ] || { echo "run packaging/install-deps.sh --test first"; exit 1; }
WORK=$(mktemp -d /tmp/showroom-remote-bench.XXXXXX)
trap 'rm -rf "$WORK"' EXIT

cat > "$WORK/cuts.toml" <<'SHOW'
[show]
name = "Remote bench"
[[canvases]]
id = "main"
width = 640
height = 360
fps = 30
[[sources]]
id = "black"
kind = "test-pattern"
pattern = "black"
width = 640
height = 360
[[sources]]
id = "white"
kind = "test-pattern"
pattern = "white"
width = 640
height = 360
[[scenes]]
id = "dark"
[[scenes.layers]]
source = "black"
place.main = { x = 0, y = 0, width = 640, height = 360 }
[[scenes]]
id = "light"
[[scenes.layers]]
source = "white"
place.main = { x = 0, y = 0, width = 640, height = 360 }
SHOW

echo "== 1. button → program: 20 cuts, alternately by SetCurrentProgramScene and typed on stdin"
node tests/remote/bench.mjs cuts "$BIN" "$WORK/cuts.toml" "$WORK/events.jsonl" "$WORK/cuts.mkv" 20 > "$WORK/cuts.jsonl"
ffprobe -v error -f lavfi -i "movie=$WORK/cuts.mkv,signalstats" \
  -show_entries frame=pts_time:frame_tags=lavfi.signalstats.YAVG -of csv=p=0 > "$WORK/frames.csv"
python3 - "$WORK" <<'PY'
import json, sys, statistics
work = sys.argv[1]
events = [json.loads(l) for l in open(f"{work}/events.jsonl")]
start = next(e for e in events if e["event"] == "start")
cuts_logged = [e for e in events if e["event"] == "cut"]
frames = []
for line in open(f"{work}/frames.csv"):
    parts = line.strip().split(",")
    if len(parts) >= 2 and parts[0] and parts[1]:
        frames.append((float(parts[0]), float(parts[1])))
frames.sort()
sent = [json.loads(l) for l in open(f"{work}/cuts.jsonl")]
# The show clock at a wall-clock time: through the `start` line.
def show_t(unix_ms):
    return start["t"] + (unix_ms - start["unix_ms"]) / 1000.0
res = {"remote": [], "typed": []}
took = {"remote": [], "typed": []}
for i, c in enumerate(sent):
    t = show_t(c["sent_unix_ms"])
    light = c["scene"] == "light"
    first = next((p for p, y in frames if p >= t and ((y > 128) == light)), None)
    if first is not None:
        res[c["path"]].append((first - t) * 30)
    if i < len(cuts_logged):
        took[c["path"]].append(cuts_logged[i]["unix_ms"] - c["sent_unix_ms"])
for path in ("remote", "typed"):
    f, ms = res[path], took[path]
    print(f"{path:6}: first frame of the new scene after {statistics.median(f):.1f} frames median, {max(f):.1f} max "
          f"({len(f)} cuts); the engine took it after {statistics.median(ms):.1f} ms median, {max(ms):.1f} max")
PY

run_demo() {  # $1: label, $2: clients (0: none)
  /usr/bin/time -f "%U %S %M" -o "$WORK/$1.time" "$BIN" run assets/demo/show.toml --duration "$DURATION" \
    --remote=127.0.0.1:0 --record "$WORK/$1-{canvas}.mkv" --stats-json "$WORK/$1.json" 2> "$WORK/$1.log" &
  local pid=$!
  if [ "$2" -gt 0 ]; then
    local url=""
    for _ in $(seq 1 100); do
      url=$(grep -o 'remote control: ws://[^ ]*' "$WORK/$1.log" | head -1 | sed 's/remote control: //') || true
      [ -n "$url" ] && break
      sleep 0.1
    done
    node tests/remote/bench.mjs clients "$url" "$2" $((DURATION - 8)) > "$WORK/$1.clients"
  fi
  wait "$pid" || { tail -20 "$WORK/$1.log"; exit 1; }
}
echo "== 2. the demo show, ${DURATION}s, without controllers and with 20 (every event, InputVolumeMeters)"
run_demo none 0
run_demo twenty 20
python3 - "$WORK" "$DURATION" <<'PY'
import json, sys
work, dur = sys.argv[1], float(sys.argv[2])
for label in ("none", "twenty"):
    u, s, m = open(f"{work}/{label}.time").read().split()[-3:]
    st = json.load(open(f"{work}/{label}.json"))
    dropped = sum(c["frames_dropped"] for c in st["canvases"].values())
    extra = ""
    try:
        extra = " — clients: " + open(f"{work}/{label}.clients").read().strip()
    except FileNotFoundError:
        pass
    print(f"{label:6}: {(float(u) + float(s)) / dur:.3f} CPU-s/s, peak RSS {int(m) / 1024:.0f} MB, dropped frames {dropped}{extra}")
PY
