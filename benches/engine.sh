#!/usr/bin/env bash
# Benchmark: the demo show headless, both canvases, two destinations each
# (nginx-rtmp on loopback), for DURATION seconds (default 60). Reports
# CPU-seconds per second of stream, peak RSS and dropped frames — and, in the
# same run, the "encode floor": a gst-launch pipeline that only encodes the
# same two sizes and bitrates (x264 + AAC) from videotestsrc.
# With HOG=N, N busy loops run beside the show (and the floor), so the
# machine is short of CPU (HOG=1: one core kept busy). What nginx received
# is probed per stream: rendered fps, repeated frames, keyframe intervals.
# BIN=path runs another build of showroom (e.g. an earlier commit's) instead.
# Usage: benches/engine.sh [DURATION]      (needs packaging/install-deps.sh --test, and GNU time)
set -euo pipefail
cd "$(dirname "$0")/.."
DURATION="${1:-60}"
HOG="${HOG:-0}"
command -v /usr/bin/time >/dev/null || { echo "install GNU time: apt-get install time"; exit 1; }
if [ -z "${BIN:-}" ]; then
  cargo build --release --locked -q
  BIN="${CARGO_TARGET_DIR:-target}/release/showroom"
fi
WORK=$(mktemp -d /tmp/showroom-bench.XXXXXX)
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
mkdir -p "$WORK/logs" "$WORK/rec"
cat > "$WORK/nginx.conf" <<CONF
load_module /usr/lib/nginx/modules/ngx_rtmp_module.so;
daemon off;
$( [ "$(id -u)" = 0 ] && echo "user root;" )
worker_processes 1;
error_log $WORK/logs/error.log;
pid $WORK/logs/nginx.pid;
events { worker_connections 64; }
rtmp { server { listen 127.0.0.1:$PORT; application live { live on; record video; record_path $WORK/rec; } } }
CONF
nginx -p "$WORK" -c "$WORK/nginx.conf" & NGINX=$!
HOGS=()
for _ in $(seq 1 "$HOG"); do sh -c 'while :; do :; done' & HOGS+=($!); done
trap 'kill $NGINX ${HOGS[*]} 2>/dev/null; rm -rf "$WORK"' EXIT
[ "$HOG" -gt 0 ] && echo "== $HOG busy loop(s) beside the show"
sleep 1

echo "== showroom: demo show, 2 canvases × 2 destinations, ${DURATION}s"
/usr/bin/time -f "%U %S %M" -o "$WORK/show.time" "$BIN" run assets/demo/show.toml --duration "$DURATION" \
  --to "landscape=rtmp://127.0.0.1:$PORT/live/bench-l1" --to "landscape=rtmp://127.0.0.1:$PORT/live/bench-l2" \
  --to "portrait=rtmp://127.0.0.1:$PORT/live/bench-p1" --to "portrait=rtmp://127.0.0.1:$PORT/live/bench-p2" \
  --stats-json "$WORK/stats.json" 2> "$WORK/show.log" &
TIMEPID=$!
# Per-thread CPU between 10 s and DURATION-5 s: how much is the software GPU.
snap() { for t in /proc/"$1"/task/*; do echo "$(tr ' ' _ < "$t/comm") $(awk '{print $14+$15}' "$t/stat")"; done 2>/dev/null; }
sleep 10; SPID=$(pgrep -P "$TIMEPID" showroom || true)
snap "$SPID" > "$WORK/threads.a"; sleep $((DURATION - 15)); snap "$SPID" > "$WORK/threads.b"
echo $((DURATION - 15)) > "$WORK/threads.secs"
wait "$TIMEPID" || { tail -20 "$WORK/show.log"; exit 1; }

echo "== floor: gst-launch encoding moving SMPTE bars (like the demo's content) 1280x720 + 720x1280 @30 (x264 veryfast zerolatency 3000 kb/s, 2 s GOP) + 2× AAC, ${DURATION}s"
enc='x264enc tune=zerolatency speed-preset=veryfast bitrate=3000 vbv-buf-capacity=1000 key-int-max=60 option-string=scenecut=0 ! video/x-h264,profile=high ! h264parse ! fakesink'
aac='audiotestsrc is-live=true ! audio/x-raw,format=F32LE,rate=48000,channels=2 ! audioconvert ! avenc_aac bitrate=128000 ! fakesink'
/usr/bin/time -f "%U %S %M" -o "$WORK/floor.time" timeout -s INT "$DURATION" gst-launch-1.0 -q -e \
  videotestsrc is-live=true pattern=smpte horizontal-speed=4 ! video/x-raw,format=I420,width=1280,height=720,framerate=30/1 ! $enc \
  videotestsrc is-live=true pattern=smpte horizontal-speed=4 ! video/x-raw,format=I420,width=720,height=1280,framerate=30/1 ! $enc \
  $aac $aac > /dev/null 2>&1 || true

for f in "$WORK"/rec/bench-l1.flv "$WORK"/rec/bench-p1.flv; do
  ffprobe -v error -select_streams v:0 -skip_frame nokey -show_entries frame=pts_time -of csv=p=0 "$f" \
    | tr -d , > "$f.keys" || true
  ffprobe -v error -select_streams v:0 -show_entries packet=pts_time -of csv=p=0 "$f" | tr -d , > "$f.pkts" || true
done

python3 - "$WORK" "$DURATION" <<'PY'
import json, sys
work, dur = sys.argv[1], float(sys.argv[2])
def t(name):
    u, s, m = open(f"{work}/{name}.time").read().split()[-3:]
    return (float(u) + float(s)) / dur, int(m) / 1024
show_cpu, show_rss = t("show")
floor_cpu, floor_rss = t("floor")
st = json.load(open(f"{work}/stats.json"))
dropped = sum(c["frames_dropped"] for c in st["canvases"].values())
dest_dropped = sum(d["dropped_frames"] for d in st["destinations"])
live = sum(1 for d in st["destinations"] if d["ever_live"])
def threads(name):
    out = {}
    for line in open(f"{work}/threads.{name}"):
        comm, ticks = line.rsplit(" ", 1)
        key = "lavapipe (software GPU)" if comm.startswith("llvmpipe") else comm
        out[key] = out.get(key, 0) + int(ticks)
    return out
a, b = threads("a"), threads("b")
secs = float(open(f"{work}/threads.secs").read())
per = {k: (b[k] - a.get(k, 0)) / 100 / secs for k in b}
soft_gpu = per.get("lavapipe (software GPU)", 0.0)
print(f"gpu: {st['gpu']}")
print("threads (CPU-s/s): " + ", ".join(f"{k} {v:.2f}" for k, v in sorted(per.items(), key=lambda x: -x[1])[:6]))
print(f"showroom : {show_cpu:.3f} CPU-s/s, peak RSS {show_rss:.0f} MB, dropped frames {dropped} (canvases) + {dest_dropped} (destinations), {live}/4 destinations live")
print(f"floor    : {floor_cpu:.3f} CPU-s/s, peak RSS {floor_rss:.0f} MB")
print(f"ratio    : {show_cpu / floor_cpu:.2f}x the encode floor (target <= 1.5x, 0 dropped, RSS < 250 MB)")
for name, cid in (("bench-l1", "landscape"), ("bench-p1", "portrait")):
    c = st["canvases"][cid]
    keys = [float(x) for x in open(f"{work}/rec/{name}.flv.keys").read().split()]
    pk = sorted(float(x) for x in open(f"{work}/rec/{name}.flv.pkts").read().split())
    gaps = [b - a for a, b in zip(keys, keys[1:])]
    wire = (len(pk) - 1) / (pk[-1] - pk[0]) if len(pk) > 1 else 0
    hole = max((b - a for a, b in zip(pk, pk[1:])), default=0)
    rendered = c["frames_rendered"] / st["duration_s"]
    print(f"{cid:9}: rendered {rendered:.1f} fps, on the wire {wire:.2f} fps (longest gap {hole*1000:.0f} ms), "
          f"repeated {c.get('repeated_frames', 'n/a')}, skipped ticks {c['late_ticks']}, encoder dropped {c['encoder_dropped']}, "
          f"keyframe interval min {min(gaps, default=0):.2f} s max {max(gaps, default=0):.2f} s")
q = st.get("quality")
if q:
    print(f"quality  : level {q['level']}/{q['max_level']} at the end ({q['now']}), {q['steps_down']} steps down, {q['steps_up']} up")
    for c in q.get("capacity", []):
        print(f"capacity : {c['canvas']} {c['measured_fps']:.1f} of {c['fps']} fps measured at start" + ("" if c["holds"] else " — does not hold"))
if soft_gpu > 0:
    print(f"without the software GPU ({soft_gpu:.3f} CPU-s/s; a real GPU does this work): {(show_cpu - soft_gpu) / floor_cpu:.2f}x the floor")
PY
