"""Benchmark driver for the crew console (benches/console.sh).

  latency BIN WORKDIR N   chat message posted to the bridge → visible in
                          the DOM of N moderator pages: p50/p99 (ms)
  load BIN DEMO SECONDS WORKDIR N
                          the demo show for SECONDS with N consoles open
                          (moderators, producers with pictures, hosts, a
                          brand: their connections, as WebSocket clients
                          that take all a page gets) or none (N = 0):
                          showroom's CPU-s/s and dropped frames

Prints one JSON line. The browser is Debian's chromium through its
chromium-driver (selenium); nothing is downloaded.
"""
import json
import os
import re
import resource
import statistics
import subprocess
import sys
import threading
import time
import urllib.request

import websocket  # websocket-client, which obsws-python brings

os.environ.setdefault("SE_OFFLINE", "true")
from selenium import webdriver  # noqa: E402
from selenium.webdriver.chrome.service import Service  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402

SHOW = """
[show]
name = "Console bench"
[[canvases]]
id = "main"
width = 320
height = 180
fps = 15
[[sources]]
id = "bars"
kind = "test-pattern"
pattern = "ball"
width = 320
height = 180
[[scenes]]
id = "s"
[[scenes.layers]]
source = "bars"
place.main = { x = 0, y = 0, width = 320, height = 180 }
[chat]
log = "chat.jsonl"
[[chat.sources]]
platform = "bridge"
listen = "127.0.0.1:%d"
token = { file = "bridge.token" }
[console]
listen = "127.0.0.1:0"
"""

OBSERVE = """
window.__seen = {};
const mark = () => {
  for (const t of document.querySelectorAll('#messages .text')) {
    const m = /^bench-(\\d+)$/.exec(t.textContent);
    if (m && !(m[1] in window.__seen)) window.__seen[m[1]] = Date.now();
  }
};
new MutationObserver(mark).observe(document.getElementById('main'), { childList: true, subtree: true });
"""


def browser():
    o = webdriver.ChromeOptions()
    o.binary_location = "/usr/bin/chromium"
    for a in ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
              "--window-size=1280,900", "--disable-background-timer-throttling",
              "--disable-renderer-backgrounding", "--disable-backgrounding-occluded-windows"]:
        o.add_argument(a)
    return webdriver.Chrome(service=Service(executable_path="/usr/bin/chromedriver"), options=o)


class Run:
    def __init__(self, args, cwd):
        self.p = subprocess.Popen(args, cwd=cwd, stdin=subprocess.PIPE, stderr=subprocess.PIPE,
                                  stdout=subprocess.DEVNULL, text=True, bufsize=1)
        self.lines = []
        self.cv = threading.Condition()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        for line in self.p.stderr:
            with self.cv:
                self.lines.append(line.rstrip("\n"))
                self.cv.notify_all()

    def wait_line(self, pred, timeout=120):
        end = time.time() + timeout
        with self.cv:
            while True:
                for line in self.lines:
                    if pred(line):
                        return line
                left = end - time.time()
                if left <= 0:
                    raise SystemExit("no such line from showroom run:\n" + "\n".join(self.lines[-30:]))
                self.cv.wait(left)

    def type(self, line):
        self.p.stdin.write(line + "\n")
        self.p.stdin.flush()

    def invite(self, role, name):
        self.type(f"invite {role} {name}")
        line = self.wait_line(lambda l: l.startswith("ok: invite ") and f" for {name} " in l)
        path = line.split("the link is in ")[1].split(" (only you")[0]
        return open(path).read().strip()


def open_tabs(d, links):
    for i, link in enumerate(links):
        if i:
            d.switch_to.new_window("tab")
        d.get(link)
        WebDriverWait(d, 60).until(lambda d: d.execute_script("return document.body.dataset.role !== undefined && document.querySelector('main section, main .prompter') !== null"))


def latency(bin_, work, n):
    port = free_port()
    open(os.path.join(work, "show.toml"), "w").write(SHOW % port)
    tok = os.path.join(work, "bridge.token")
    open(tok, "w").write("bench-token")
    os.chmod(tok, 0o600)
    run = Run([bin_, "run", "show.toml", "--duration", "600"], work)
    run.wait_line(lambda l: l.startswith("crew console: "))
    links = [run.invite("moderator", f"M{i}") for i in range(n)]
    d = browser()
    try:
        open_tabs(d, links)
        handles = d.window_handles
        for h in handles:
            d.switch_to.window(h)
            d.execute_script(OBSERVE)
        sent = {}
        url = f"http://127.0.0.1:{port}/v1/messages"
        for i in range(40):
            body = json.dumps([{"platform": "youtube", "id": f"b{i}", "author": {"id": f"u{i}", "name": f"viewer{i}"},
                                "text": f"bench-{i}", "at_ms": 1764230400000 + i}]).encode()
            req = urllib.request.Request(url, data=body, method="POST", headers={
                "content-type": "application/json", "authorization": "Bearer bench-token"})
            sent[str(i)] = time.time() * 1000
            urllib.request.urlopen(req, timeout=30).read()
            time.sleep(0.3)
        time.sleep(2)
        lat = []
        missing = 0
        for h in handles:
            d.switch_to.window(h)
            seen = d.execute_script("return window.__seen")
            for k, t0 in sent.items():
                if k in seen:
                    lat.append(seen[k] - t0)
                else:
                    missing += 1
    finally:
        d.quit()
        run.type("quit")
        run.p.wait(timeout=60)
    lat.sort()
    p99 = lat[min(len(lat) - 1, int(round(0.99 * (len(lat) - 1))))]
    print(json.dumps({"consoles": n, "samples": len(lat), "missing": missing,
                      "p50_ms": round(statistics.median(lat), 1), "p99_ms": round(p99, 1), "max_ms": round(lat[-1], 1)}))


def free_port():
    import socket
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


def console_threads_cpu(time_pid):
    """CPU seconds of showroom's threads named console* (showroom is GNU time's child)."""
    kids = open(f"/proc/{time_pid}/task/{time_pid}/children").read().split()
    tick = os.sysconf("SC_CLK_TCK")
    total = 0
    for pid in kids:
        for tid in os.listdir(f"/proc/{pid}/task"):
            try:
                comm = open(f"/proc/{pid}/task/{tid}/comm").read().strip()
                if comm.startswith("console"):
                    f = open(f"/proc/{pid}/task/{tid}/stat").read().rsplit(")", 1)[1].split()
                    total += (int(f[11]) + int(f[12])) / tick
            except OSError:
                pass
    return total


def load(bin_, demo, seconds, work, n):
    stats = os.path.join(work, f"load-{n}.json")
    timef = os.path.join(work, f"load-{n}.time")
    run = Run(["/usr/bin/time", "-f", "%U %S %M", "-o", timef, bin_, "run", demo, "--duration", str(seconds),
               "--console=127.0.0.1:0", "--stats-json", stats], os.path.dirname(demo))
    t0 = time.time()
    run.wait_line(lambda l: l.startswith("crew console: "))
    roles = ["moderator", "producer", "moderator", "producer", "host", "moderator", "producer", "host",
             "moderator", "brand"]
    links = [run.invite(roles[i % len(roles)], f"C{i}") for i in range(n)]
    # The pages run on the crew's own devices: here each is its connection,
    # a WebSocket client that takes everything a page gets (views, notices,
    # the producer's pictures).
    got = [0] * n
    stop = threading.Event()

    def page(i, link):
        base, token = link.split("#", 1)
        host = base.split("//", 1)[1].rstrip("/")
        ws = websocket.create_connection(f"ws://{host}/ws", origin=f"http://{host}", timeout=5)
        ws.send(json.dumps({"token": token}))
        while not stop.is_set():
            try:
                got[i] += len(ws.recv())
            except websocket.WebSocketTimeoutException:
                continue
            except Exception:
                break

    threads = [threading.Thread(target=page, args=(i, l), daemon=True) for i, l in enumerate(links)]
    for t in threads:
        t.start()
    # The console's own threads (its runtime and blocking threads are all
    # named "console"), sampled 3 s before the end.
    time.sleep(max(0, seconds - 3 - (time.time() - t0)))
    console_cpu = console_threads_cpu(run.p.pid)
    run.p.wait(timeout=seconds + 120)
    stop.set()
    u, s, m = open(timef).read().split()[-3:]
    st = json.load(open(stats))
    canvases = st["canvases"].values() if isinstance(st["canvases"], dict) else st["canvases"]
    dropped = sum(c["frames_dropped"] for c in canvases)
    rendered = sum(c["frames_rendered"] for c in canvases)
    print(json.dumps({"consoles": n, "bytes_sent_to_pages": sum(got),
                      "console_threads_cpu_s_per_s": round(console_cpu / (seconds - 3), 4), "cpu_s_per_s": round((float(u) + float(s)) / seconds, 3),
                      "peak_rss_mb": int(m) // 1024, "dropped_frames": dropped, "rendered_frames": rendered}))


if __name__ == "__main__":
    if sys.argv[1] == "latency":
        latency(sys.argv[2], sys.argv[3], int(sys.argv[4]))
    else:
        load(sys.argv[2], sys.argv[3], int(sys.argv[4]), sys.argv[5], int(sys.argv[6]))
