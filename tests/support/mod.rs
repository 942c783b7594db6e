//! Real servers for tests, all on loopback: nginx-rtmp (with an on_publish
//! key check and an RTMPS front signed by a test CA), plus ffprobe/ffmpeg
//! helpers to see what a platform would have received.
#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

/// Serialises the heavy end-to-end tests: the machine has two cores.
pub static HEAVY: std::sync::Mutex<()> = std::sync::Mutex::new(());

pub fn heavy_lock() -> std::sync::MutexGuard<'static, ()> {
    HEAVY.lock().unwrap_or_else(|e| e.into_inner())
}

/// A port for a server a test starts later (nginx, a bridge). Taken below
/// the kernel's ephemeral range (32768 and up on Linux), where every
/// `bind(…:0)` of the tests and the program lands: a listener on port 0
/// started meanwhile can never take it. Each call moves on (no two calls of
/// one run get the same port), starting where the process id points, and
/// skips ports something holds.
pub fn free_port() -> u16 {
    use std::sync::atomic::AtomicU32;
    static NEXT: AtomicU32 = AtomicU32::new(0);
    const LOW: u32 = 10_000;
    const SPAN: u32 = 22_000; // 10000..32000
    let start = std::process::id().wrapping_mul(7919) % SPAN;
    for _ in 0..SPAN {
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let port = (LOW + (start + n) % SPAN) as u16;
        if TcpListener::bind(("127.0.0.1", port)).is_ok() {
            return port;
        }
    }
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

pub fn tempdir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("showroom-test-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Answers nginx's on_publish: 403 for stream names starting with "refuse",
/// 204 otherwise; counts the requests per stream name.
pub struct AuthServer {
    pub port: u16,
    pub requests: Arc<std::sync::Mutex<std::collections::HashMap<String, u32>>>,
    stop: Arc<AtomicBool>,
}

impl AuthServer {
    pub fn start() -> AuthServer {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let port = listener.local_addr().unwrap().port();
        let stop = Arc::new(AtomicBool::new(false));
        let requests = Arc::new(std::sync::Mutex::new(std::collections::HashMap::new()));
        let (s, r) = (stop.clone(), requests.clone());
        std::thread::spawn(move || {
            while !s.load(Ordering::Relaxed) {
                match listener.accept() {
                    Ok((stream, _)) => {
                        if let Some(name) = answer(stream) {
                            *r.lock().unwrap().entry(name).or_insert(0) += 1;
                        }
                    }
                    Err(_) => std::thread::sleep(Duration::from_millis(10)),
                }
            }
        });
        AuthServer { port, requests, stop }
    }
}

impl Drop for AuthServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

fn answer(mut stream: TcpStream) -> Option<String> {
    stream.set_nonblocking(false).ok();
    stream.set_read_timeout(Some(Duration::from_secs(2))).ok();
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut len = 0usize;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap_or(0) == 0 {
            return None;
        }
        if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
            len = v.trim().parse().unwrap_or(0);
        }
        if line == "\r\n" {
            break;
        }
    }
    let mut body = vec![0u8; len];
    let _ = reader.read_exact(&mut body);
    let body = String::from_utf8_lossy(&body);
    let name = body
        .split('&')
        .find_map(|kv| kv.strip_prefix("name="))
        .unwrap_or("")
        .to_string();
    let status = if name.starts_with("refuse") {
        "403 Forbidden"
    } else {
        "204 No Content"
    };
    let _ = write!(
        stream,
        "HTTP/1.1 {status}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
    );
    Some(name)
}

pub struct Nginx {
    /// The address it listens on (127.0.0.1 unless `start_on`).
    pub host: String,
    pub rtmp_port: u16,
    pub rtmps_port: u16,
    pub record_dir: PathBuf,
    pub ca_pem: PathBuf,
    pub auth: AuthServer,
    child: Option<Child>,
    dir: PathBuf,
}

impl Nginx {
    /// nginx with the RTMP module (records every stream as NAME.flv) and a
    /// TLS front for RTMPS, certificate signed by a fresh test CA.
    pub fn start(dir: &Path) -> Nginx {
        Self::start_with(dir, false)
    }

    /// `unique`: every connection is recorded to its own file (NAME-TIMESTAMP.flv).
    pub fn start_with(dir: &Path, unique: bool) -> Nginx {
        Self::start_at(dir, unique, "127.0.0.1")
    }

    /// Listening on `host` (an address of this machine, e.g. a veth's).
    pub fn start_on(dir: &Path, host: &str) -> Nginx {
        Self::start_at(dir, false, host)
    }

    fn start_at(dir: &Path, unique: bool, host: &str) -> Nginx {
        let auth = AuthServer::start();
        let rtmp_port = free_port();
        let rtmps_port = free_port();
        let record_dir = dir.join("received");
        std::fs::create_dir_all(&record_dir).unwrap();
        std::fs::create_dir_all(dir.join("logs")).unwrap();
        let (ca_pem, cert, key) = make_test_ca(dir);
        let modules = [
            "/usr/lib/nginx/modules/ngx_rtmp_module.so",
            "/usr/lib/nginx/modules/ngx_stream_module.so",
        ];
        for m in modules {
            assert!(
                Path::new(m).exists(),
                "{m} missing: apt-get install libnginx-mod-rtmp libnginx-mod-stream"
            );
        }
        let user = if unsafe_is_root() { "user root;" } else { "" };
        let conf = format!(
            r#"load_module {m0};
load_module {m1};
daemon off;
master_process off;
{user}
worker_processes 1;
error_log {dir}/logs/error.log info;
pid {dir}/logs/nginx.pid;
events {{ worker_connections 128; }}
rtmp {{
  server {{
    listen {host}:{rtmp_port};
    chunk_size 4096;
    application live {{
      live on;
      record all;
      record_path {rec};
      record_unique {unique};
      on_publish http://127.0.0.1:{auth}/auth;
    }}
  }}
}}
stream {{
  server {{
    listen {host}:{rtmps_port} ssl;
    ssl_certificate {cert};
    ssl_certificate_key {key};
    proxy_pass {host}:{rtmp_port};
  }}
}}
"#,
            m0 = modules[0],
            m1 = modules[1],
            dir = dir.display(),
            rec = record_dir.display(),
            auth = auth.port,
            cert = cert.display(),
            key = key.display(),
            unique = if unique { "on" } else { "off" },
        );
        std::fs::write(dir.join("nginx.conf"), conf).unwrap();
        let mut nginx = Nginx {
            host: host.to_string(),
            rtmp_port,
            rtmps_port,
            record_dir,
            ca_pem,
            auth,
            child: None,
            dir: dir.to_path_buf(),
        };
        nginx.restart();
        nginx
    }

    /// (Re)starts the server on the same ports and waits until it accepts connections.
    pub fn restart(&mut self) {
        let conf_path = self.dir.join("nginx.conf");
        let child = Command::new("nginx")
            .args([
                "-p",
                &self.dir.display().to_string(),
                "-c",
                &conf_path.display().to_string(),
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("nginx not installed: apt-get install nginx libnginx-mod-rtmp");
        self.child = Some(child);
        let deadline = Instant::now() + Duration::from_secs(10);
        while TcpStream::connect((self.host.as_str(), self.rtmp_port)).is_err()
            || TcpStream::connect((self.host.as_str(), self.rtmps_port)).is_err()
        {
            assert!(
                Instant::now() < deadline,
                "nginx did not start: {}",
                std::fs::read_to_string(self.dir.join("logs/error.log")).unwrap_or_default()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// SIGKILL: the server vanishes mid-stream.
    pub fn kill(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    /// SIGSTOP / SIGCONT: the server stops reading without closing anything.
    pub fn pause(&self, paused: bool) {
        if let Some(c) = &self.child {
            let sig = if paused { "-STOP" } else { "-CONT" };
            let _ = Command::new("kill").args([sig, &c.id().to_string()]).status();
        }
    }

    /// Files recorded for a stream key (one per connection with `unique`), oldest first.
    pub fn received_all(&self, key: &str) -> Vec<PathBuf> {
        let mut files: Vec<PathBuf> = std::fs::read_dir(&self.record_dir)
            .unwrap()
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| {
                p.file_name()
                    .and_then(|n| n.to_str())
                    .is_some_and(|n| n.starts_with(key) && n.ends_with(".flv"))
            })
            .collect();
        files.sort();
        files
    }

    /// The file nginx recorded for a stream key.
    pub fn received(&self, key: &str) -> PathBuf {
        self.record_dir.join(format!("{key}.flv"))
    }
}

impl Drop for Nginx {
    fn drop(&mut self) {
        self.pause(false);
        self.kill();
    }
}

/// Whether the tests run as root (nginx then needs `user root;`).
#[allow(dead_code)]
pub fn is_root() -> bool {
    unsafe_is_root()
}

fn unsafe_is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
        .unwrap_or(false)
}

fn openssl(args: &[&str]) {
    let out = Command::new("openssl").args(args).output().expect("openssl missing");
    assert!(
        out.status.success(),
        "openssl {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A CA and a server certificate for localhost / 127.0.0.1 signed by it.
fn make_test_ca(dir: &Path) -> (PathBuf, PathBuf, PathBuf) {
    let p = |n: &str| dir.join(n).display().to_string();
    openssl(&[
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-days",
        "2",
        "-subj",
        "/CN=Showroom Test CA",
        "-keyout",
        &p("ca.key"),
        "-out",
        &p("ca.pem"),
    ]);
    openssl(&[
        "req",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-subj",
        "/CN=localhost",
        "-keyout",
        &p("server.key"),
        "-out",
        &p("server.csr"),
    ]);
    std::fs::write(dir.join("san.ext"), "subjectAltName=DNS:localhost,IP:127.0.0.1\n").unwrap();
    openssl(&[
        "x509",
        "-req",
        "-in",
        &p("server.csr"),
        "-CA",
        &p("ca.pem"),
        "-CAkey",
        &p("ca.key"),
        "-CAcreateserial",
        "-days",
        "2",
        "-extfile",
        &p("san.ext"),
        "-out",
        &p("server.pem"),
    ]);
    (dir.join("ca.pem"), dir.join("server.pem"), dir.join("server.key"))
}

/// ffprobe's view of a file: `section.key` → values, in order.
pub fn ffprobe(path: &Path, args: &[&str]) -> String {
    let out = Command::new("ffprobe")
        .args(["-v", "error"])
        .args(args)
        .arg(path)
        .output()
        .expect("ffprobe missing: apt-get install ffmpeg");
    assert!(
        out.status.success(),
        "ffprobe {}: {}",
        path.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).to_string()
}

#[derive(Debug)]
pub struct StreamFacts {
    pub video_codec: String,
    pub profile: String,
    pub pix_fmt: String,
    pub width: u32,
    pub height: u32,
    pub fps: f64,
    pub audio_codec: String,
    pub sample_rate: u32,
    pub channels: u32,
    pub duration: f64,
    pub keyframe_times: Vec<f64>,
    /// The longest interval between two video frames, in seconds.
    pub max_frame_gap: f64,
}

fn field<'a>(text: &'a str, section: &str, key: &str) -> Vec<&'a str> {
    text.lines()
        .filter_map(|l| l.strip_prefix(&format!("{section}.")))
        .filter_map(|l| l.strip_prefix(&format!("{key}=")))
        .map(|v| v.trim_matches('"'))
        .collect()
}

pub fn stream_facts(path: &Path) -> StreamFacts {
    let v = ffprobe(
        path,
        &[
            "-select_streams",
            "v:0",
            "-show_entries",
            "stream=codec_name,profile,pix_fmt,width,height,avg_frame_rate",
            "-of",
            "flat=s=.",
        ],
    );
    let a = ffprobe(
        path,
        &[
            "-select_streams",
            "a:0",
            "-show_entries",
            "stream=codec_name,sample_rate,channels",
            "-of",
            "flat=s=.",
        ],
    );
    let f = ffprobe(path, &["-show_entries", "format=duration", "-of", "flat=s=."]);
    let k = ffprobe(
        path,
        &[
            "-select_streams",
            "v:0",
            "-skip_frame",
            "nokey",
            "-show_entries",
            "frame=pts_time",
            "-of",
            "csv=p=0",
        ],
    );
    let one = |t: &str, s: &str, key: &str| field(t, s, key).first().map(|s| s.to_string()).unwrap_or_default();
    // Frame rate from the packets themselves, every interval counted: the
    // engine sends one frame per tick whatever the load (a tick it could
    // not render goes out as a repeat), so there is no hole to leave out.
    // FLV stores milliseconds, so single intervals step 33, 33, 34 ms; the
    // rate over the whole stream is exact.
    let p = ffprobe(
        path,
        &[
            "-select_streams",
            "v:0",
            "-show_entries",
            "packet=pts_time",
            "-of",
            "csv=p=0",
        ],
    );
    let mut pts: Vec<f64> = p
        .lines()
        .filter_map(|l| l.trim().trim_end_matches(',').parse().ok())
        .collect();
    pts.sort_by(f64::total_cmp);
    let max_frame_gap = pts.windows(2).map(|w| w[1] - w[0]).fold(0.0, f64::max);
    let fps = match (pts.first(), pts.last()) {
        (Some(a), Some(b)) if b > a => (pts.len() - 1) as f64 / (b - a),
        _ => 0.0,
    };
    StreamFacts {
        video_codec: one(&v, "streams.stream.0", "codec_name"),
        profile: one(&v, "streams.stream.0", "profile"),
        pix_fmt: one(&v, "streams.stream.0", "pix_fmt"),
        width: one(&v, "streams.stream.0", "width").parse().unwrap_or(0),
        height: one(&v, "streams.stream.0", "height").parse().unwrap_or(0),
        fps,
        audio_codec: one(&a, "streams.stream.0", "codec_name"),
        sample_rate: one(&a, "streams.stream.0", "sample_rate").parse().unwrap_or(0),
        channels: one(&a, "streams.stream.0", "channels").parse().unwrap_or(0),
        duration: one(&f, "format", "duration").parse().unwrap_or(0.0),
        keyframe_times: k
            .lines()
            .filter_map(|l| l.trim().trim_end_matches(',').parse().ok())
            .collect(),
        max_frame_gap,
    }
}

/// Decodes one frame at `at` seconds as raw I420 (Y plane then U then V).
pub fn grab_i420(path: &Path, at: f64, width: u32, height: u32) -> Vec<u8> {
    let out = Command::new("ffmpeg")
        .args(["-v", "error", "-ss", &format!("{at}"), "-i"])
        .arg(path)
        .args(["-frames:v", "1", "-f", "rawvideo", "-pix_fmt", "yuv420p", "-"])
        .output()
        .expect("ffmpeg missing");
    assert!(
        out.status.success(),
        "ffmpeg grab: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        out.stdout.len(),
        (width * height * 3 / 2) as usize,
        "decoded frame has the wrong size"
    );
    out.stdout
}

/// Decodes the whole file; returns ffmpeg's error output (empty when it plays cleanly).
pub fn decode_errors(path: &Path) -> String {
    let out = Command::new("ffmpeg")
        .args(["-v", "error", "-i"])
        .arg(path)
        .args(["-f", "null", "-"])
        .output()
        .expect("ffmpeg missing");
    assert!(out.status.success(), "ffmpeg could not decode {}", path.display());
    String::from_utf8_lossy(&out.stderr).to_string()
}

/// BT.709 limited-range Y, Cb, Cr of an sRGB-encoded colour.
pub fn bt709(r: u8, g: u8, b: u8) -> (f64, f64, f64) {
    let (r, g, b) = (r as f64 / 255.0, g as f64 / 255.0, b as f64 / 255.0);
    let y = 0.2126 * r + 0.7152 * g + 0.0722 * b;
    (
        16.0 + 219.0 * y,
        128.0 + 224.0 * (b - y) / 1.8556,
        128.0 + 224.0 * (r - y) / 1.5748,
    )
}

/// Y, Cb, Cr at a pixel of an I420 frame.
pub fn yuv_at(frame: &[u8], width: u32, height: u32, x: u32, y: u32) -> (f64, f64, f64) {
    let (w, h) = (width as usize, height as usize);
    let (x, y) = (x as usize, y as usize);
    let luma = frame[y * w + x] as f64;
    let u = frame[w * h + (y / 2) * (w / 2) + x / 2] as f64;
    let v = frame[w * h + w * h / 4 + (y / 2) * (w / 2) + x / 2] as f64;
    (luma, u, v)
}

/// Writes a solid-colour PNG with ffmpeg.
pub fn solid_png(path: &Path, rgb: (u8, u8, u8), w: u32, h: u32) {
    let status = Command::new("ffmpeg")
        .args(["-v", "error", "-y", "-f", "lavfi", "-i"])
        .arg(format!("color=c=0x{:02X}{:02X}{:02X}:s={w}x{h}", rgb.0, rgb.1, rgb.2))
        .args(["-frames:v", "1"])
        .arg(path)
        .status()
        .unwrap();
    assert!(status.success());
}

pub fn showroom_bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_showroom"))
}

/// Calls `check` every 50 ms until it holds; how long that took, or `None`
/// when it did not within `limit`.
pub fn poll_until(limit: Duration, mut check: impl FnMut() -> bool) -> Option<Duration> {
    let t = Instant::now();
    while t.elapsed() < limit {
        if check() {
            return Some(t.elapsed());
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    None
}

/// The smallest show that goes on air: one 320×180 canvas at 15 fps with a
/// moving test pattern, named `name`. Tests append their own tables.
#[allow(dead_code)]
pub fn small_show(name: &str) -> String {
    format!(
        r#"
[show]
name = "{name}"

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
place.main = {{ x = 0, y = 0, width = 320, height = 180 }}
"#
    )
}

/// Tables to append to `small_show`: a custom destination publishing to
/// `url`, and chat through a bridge on `listen` with the test token file.
#[allow(dead_code)]
pub fn destination_and_bridge(url: &str, listen: &str) -> String {
    format!(
        r#"
[[destinations]]
id = "shop"
platform = "custom"
canvas = "main"
url = "{url}"

[chat]
log = "chat.jsonl"

[[chat.sources]]
platform = "bridge"
listen = "{listen}"
token = {{ file = "bridge.token" }}
"#
    )
}

/// How many video packets a recording holds (as a player reads them).
#[allow(dead_code)]
pub fn video_packets(path: &Path) -> u32 {
    let out = ffprobe(
        path,
        &[
            "-select_streams",
            "v:0",
            "-count_packets",
            "-show_entries",
            "stream=nb_read_packets",
            "-of",
            "csv=p=0",
        ],
    );
    out.trim().trim_end_matches(',').parse().unwrap_or(0)
}

/// The chat bridge token of test shows: `token = { file = "bridge.token" }`.
#[allow(dead_code)]
pub const BRIDGE_TOKEN: &str = "bridge-secret";

/// Writes `dir/bridge.token` (mode 600) holding [`BRIDGE_TOKEN`].
#[allow(dead_code)]
pub fn write_token(dir: &Path) {
    write_secret(dir, "bridge.token", BRIDGE_TOKEN);
}

/// Writes `dir/file` holding `secret`, mode 600 (as `check` wants key files).
pub fn write_secret(dir: &Path, file: &str, secret: &str) {
    use std::os::unix::fs::PermissionsExt;
    let path = dir.join(file);
    std::fs::write(&path, secret).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
}

/// Writes `text` as `dir/show.toml` (and the bridge token file) and loads it
/// (paths in it resolve in `dir`).
pub fn load_show(dir: &Path, text: &str) -> showroom::show::Show {
    write_token(dir);
    std::fs::write(dir.join("show.toml"), text).unwrap();
    showroom::show::load(&dir.join("show.toml")).unwrap_or_else(|e| panic!("test show is invalid:\n{e}"))
}

/// Every tick of every canvas's clock was either rendered or counted as
/// skipped. How many a loaded test machine skips is for benches/ to measure,
/// not for tests to assert; a stalled program shows up here as missing ticks.
#[allow(dead_code)]
pub fn assert_ticks_accounted(snap: &showroom::engine::stats::Snapshot) {
    for c in &snap.canvases {
        let due = snap.elapsed_s * c.fps as f64;
        let seen = (c.frames_rendered + c.late_ticks + c.throttled_ticks) as f64;
        assert!(
            seen >= due - c.fps as f64 / 2.0,
            "canvas {}: {} ticks due in {:.1} s, {} rendered and {} skipped",
            c.id,
            due.floor(),
            snap.elapsed_s,
            c.frames_rendered,
            c.late_ticks
        );
    }
}

/// A private session bus with gnome-keyring's Secret Service on it.
pub struct SecretService {
    pub env: Vec<(String, String)>,
    dbus: Child,
    keyring: Child,
}

impl SecretService {
    pub fn start(dir: &Path) -> SecretService {
        let runtime = dir.join("runtime");
        std::fs::create_dir_all(&runtime).unwrap();
        std::fs::set_permissions(&runtime, std::os::unix::fs::PermissionsExt::from_mode(0o700)).unwrap();
        let socket = dir.join("bus");
        let address = format!("unix:path={}", socket.display());
        // A session bus without service activation: otherwise our readiness
        // probe would make dbus-daemon start a second, locked gnome-keyring.
        let config = dir.join("bus.conf");
        std::fs::write(
            &config,
            format!(
                r#"<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-BUS Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>{address}</listen>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
"#
            ),
        )
        .unwrap();
        let dbus = Command::new("dbus-daemon")
            .args([
                "--nofork",
                "--nopidfile",
                &format!("--config-file={}", config.display()),
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("dbus-daemon missing: apt-get install dbus-daemon");
        let deadline = Instant::now() + Duration::from_secs(10);
        while !socket.exists() {
            assert!(Instant::now() < deadline, "dbus-daemon did not start");
            std::thread::sleep(Duration::from_millis(20));
        }
        let env = vec![
            ("DBUS_SESSION_BUS_ADDRESS".to_string(), address),
            ("HOME".to_string(), dir.display().to_string()),
            ("XDG_DATA_HOME".to_string(), dir.join("data").display().to_string()),
            ("XDG_RUNTIME_DIR".to_string(), runtime.display().to_string()),
        ];
        let log = dir.join("gnome-keyring.log");
        let start_keyring = || {
            let mut child = Command::new("gnome-keyring-daemon")
                .args(["--foreground", "--unlock", "--components=secrets"])
                .envs(env.iter().cloned())
                .stdin(Stdio::piped())
                .stdout(Stdio::null())
                .stderr(std::fs::File::create(&log).unwrap())
                .spawn()
                .expect("gnome-keyring-daemon missing: apt-get install gnome-keyring");
            // The login keyring's password, then EOF: it is created unlocked.
            child.stdin.take().unwrap().write_all(b"showroom-test").unwrap();
            child
        };
        let ready = |env: &[(String, String)]| {
            // Ready when the default collection exists and is unlocked.
            Command::new("dbus-send")
                .args([
                    "--session",
                    "--print-reply",
                    "--dest=org.freedesktop.secrets",
                    "/org/freedesktop/secrets/aliases/default",
                    "org.freedesktop.DBus.Properties.Get",
                    "string:org.freedesktop.Secret.Collection",
                    "string:Locked",
                ])
                .envs(env.iter().cloned())
                .output()
                .is_ok_and(|o| o.status.success() && String::from_utf8_lossy(&o.stdout).contains("boolean false"))
        };
        let mut keyring = start_keyring();
        // If it does not come up (it exits when the name is taken), start it
        // again, as a session manager would.
        for attempt in 1..=3 {
            let deadline = Instant::now() + Duration::from_secs(8);
            while Instant::now() < deadline && !ready(&env) {
                std::thread::sleep(Duration::from_millis(100));
            }
            if ready(&env) {
                break;
            }
            assert!(
                attempt < 3,
                "the Secret Service did not come up: {}",
                std::fs::read_to_string(&log).unwrap_or_default()
            );
            let _ = keyring.kill();
            let _ = keyring.wait();
            let _ = std::fs::remove_dir_all(dir.join("data"));
            keyring = start_keyring();
        }
        SecretService { env, dbus, keyring }
    }
}

impl Drop for SecretService {
    fn drop(&mut self) {
        let _ = self.keyring.kill();
        let _ = self.keyring.wait();
        let _ = self.dbus.kill();
        let _ = self.dbus.wait();
    }
}

/// A custom RTMP destination with an inline key (tests only; show files
/// never hold keys).
pub fn custom_dest(id: &str, canvas: usize, url: String, key: &str) -> showroom::show::DestinationSpec {
    showroom::show::DestinationSpec {
        id: id.into(),
        platform: showroom::show::Platform::Custom,
        canvas,
        url,
        key: showroom::secrets::KeyRef::Inline(showroom::secrets::Secret::new(key)),
        video_kbps: None,
        latency_ms: None,
        primary: false,
    }
}

/// A running `showroom run`: its stdin, and its stderr lines as they come.
pub struct ShowRun {
    pub child: Child,
    pub stdin: std::process::ChildStdin,
    lines: std::sync::mpsc::Receiver<String>,
    seen: Vec<String>,
}

impl ShowRun {
    /// `showroom ARGS` in `dir` with `envs`, stdin piped for typed commands.
    pub fn start(dir: &Path, args: &[&str], envs: &[(&str, &str)]) -> ShowRun {
        let mut cmd = Command::new(showroom_bin());
        cmd.args(args)
            .current_dir(dir)
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        for (k, v) in envs {
            cmd.env(k, v);
        }
        let mut child = cmd.spawn().unwrap();
        let (tx, lines) = std::sync::mpsc::channel();
        let stderr = child.stderr.take().unwrap();
        std::thread::spawn(move || {
            for l in BufReader::new(stderr).lines().map_while(Result::ok) {
                if tx.send(l).is_err() {
                    break;
                }
            }
        });
        let stdin = child.stdin.take().unwrap();
        ShowRun {
            child,
            stdin,
            lines,
            seen: Vec::new(),
        }
    }

    /// The first line (already seen or coming within 60 s) that passes `f`.
    pub fn line(&mut self, f: impl Fn(&str) -> bool) -> String {
        if let Some(l) = self.seen.iter().find(|l| f(l)) {
            return l.clone();
        }
        let deadline = Instant::now() + Duration::from_secs(60);
        while let Ok(l) = self
            .lines
            .recv_timeout(deadline.saturating_duration_since(Instant::now()))
        {
            self.seen.push(l.clone());
            if f(&l) {
                return l;
            }
        }
        panic!("no such line from showroom run:\n{}", self.seen.join("\n"));
    }

    /// The first line from now on (within 60 s) that passes `f`; lines
    /// already seen do not count.
    pub fn next_line(&mut self, f: impl Fn(&str) -> bool) -> String {
        let from = self.seen.len();
        let deadline = Instant::now() + Duration::from_secs(60);
        while let Ok(l) = self
            .lines
            .recv_timeout(deadline.saturating_duration_since(Instant::now()))
        {
            self.seen.push(l.clone());
            if f(&l) {
                return l;
            }
        }
        panic!(
            "no such line from showroom run after line {from}:\n{}",
            self.seen.join("\n")
        );
    }

    /// Every line so far (and those already waiting).
    pub fn all_lines(&mut self) -> &[String] {
        while let Ok(l) = self.lines.try_recv() {
            self.seen.push(l);
        }
        &self.seen
    }

    pub fn type_line(&mut self, line: &str) {
        writeln!(self.stdin, "{line}").unwrap();
    }
}

/// PulseAudio for one test: its own runtime folder (clients find it there).
pub struct Pulse {
    pub runtime: PathBuf,
    child: Child,
}

impl Pulse {
    pub fn start(dir: &Path) -> Pulse {
        let runtime = dir.join("pulse-run");
        std::fs::create_dir_all(&runtime).unwrap();
        std::fs::set_permissions(&runtime, std::os::unix::fs::PermissionsExt::from_mode(0o700)).unwrap();
        let config = dir.join("default.pa");
        std::fs::write(
            &config,
            "load-module module-native-protocol-unix auth-anonymous=1\n\
             load-module module-null-sink sink_name=nullsink rate=48000\n\
             load-module module-null-sink sink_name=phones rate=48000\n\
             set-default-sink nullsink\nset-default-source nullsink.monitor\n",
        )
        .unwrap();
        let child = Command::new("pulseaudio")
            .args(["-n", "-F"])
            .arg(&config)
            .args(["--exit-idle-time=-1", "--daemonize=no", "--log-target=stderr"])
            .env("XDG_RUNTIME_DIR", &runtime)
            .env("HOME", dir)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("pulseaudio missing (packaging/install-deps.sh --test installs it)");
        let pulse = Pulse { runtime, child };
        let up = poll_until(std::time::Duration::from_secs(10), || {
            pulse
                .command("pactl")
                .arg("info")
                .output()
                .is_ok_and(|o| o.status.success())
        });
        assert!(up.is_some(), "PulseAudio did not start");
        pulse
    }

    /// A command that talks to this PulseAudio.
    pub fn command(&self, program: &str) -> Command {
        let mut c = Command::new(program);
        c.env("XDG_RUNTIME_DIR", &self.runtime)
            .env("PULSE_SOURCE", "nullsink.monitor");
        c
    }
}

impl Drop for Pulse {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The Python of the test venv (selenium, obs-websocket clients), made by
/// `packaging/install-deps.sh --test`.
pub fn venv_python() -> PathBuf {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/remote/.venv/bin/python");
    assert!(
        p.is_file(),
        "the test venv is missing: run packaging/install-deps.sh --test"
    );
    p
}

/// The invite link in the file `showroom run` named.
pub fn invite(run: &mut ShowRun, role: &str, name: &str) -> (u64, String) {
    run.type_line(&format!("invite {role} {name}"));
    let line = run.line(|l| l.starts_with("ok: invite ") && l.contains(&format!(" for {name} ")));
    let id: u64 = line["ok: invite ".len()..].split(' ').next().unwrap().parse().unwrap();
    let path = line
        .split("the link is in ")
        .nth(1)
        .and_then(|r| r.split(" (only you").next())
        .unwrap();
    let meta = std::fs::metadata(path).unwrap();
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(
        meta.permissions().mode() & 0o777,
        0o600,
        "the link's file is the user's alone"
    );
    (id, std::fs::read_to_string(path).unwrap().trim().to_string())
}

/// The text tesseract reads, as blocks (its default) and as sparse text
/// (which finds the prompter's very large type).
pub fn page_ocr(png: &Path) -> String {
    ["3", "11"]
        .iter()
        .map(|psm| {
            let out = Command::new("tesseract")
                .arg(png)
                .args(["-", "--psm", psm])
                .output()
                .expect("tesseract: apt-get install tesseract-ocr");
            String::from_utf8_lossy(&out.stdout).to_string()
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// Runs a browser script of tests/ (selenium on Debian's chromium) with
/// `cfg` as its argument to its end; the steps it printed (one JSON object
/// a line). Fails the test when it fails or does not say `done`.
pub fn browser_steps(script: &str, cfg: &serde_json::Value) -> Vec<serde_json::Value> {
    let out = Command::new(venv_python())
        .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join(script))
        .arg(cfg.to_string())
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    let steps: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or(serde_json::json!({ "raw": l })))
        .collect();
    assert!(
        out.status.success() && steps.iter().any(|s| s["step"] == "done"),
        "{script} failed: {}\n{text}",
        String::from_utf8_lossy(&out.stderr)
    );
    steps
}

/// A network namespace with `links` veth pairs to this one (link i:
/// 10.{octet+i}.N.1 here, .2 inside, N from the process id), removed on
/// drop. Programs run inside with `command`; `limit` shapes what leaves the
/// namespace on a link (tc token bucket), `lose` drops UDP at random
/// (nftables). Needs root, iproute2 and nftables.
pub struct Netns {
    name: String,
    links: Vec<(String, String, String)>,
}

impl Netns {
    pub fn new(tag: &str, octet: u32, links: u32) -> Netns {
        assert!(is_root(), "network namespaces need root (CI runs as root)");
        let n = std::process::id() % 250;
        let name = format!("{tag}ns{n}");
        let _ = Command::new("ip").args(["netns", "del", &name]).output();
        let mut ns = Netns {
            name: name.clone(),
            links: Vec::new(),
        };
        ns.run(&format!("ip netns add {name}"));
        ns.run(&format!("ip netns exec {name} ip link set lo up"));
        for i in 0..links {
            let (host_if, ns_if) = (format!("{tag}{n}h{i}"), format!("{tag}{n}n{i}"));
            let _ = Command::new("ip").args(["link", "del", &host_if]).output();
            let (host_ip, ns_ip) = (format!("10.{}.{n}.1", octet + i), format!("10.{}.{n}.2", octet + i));
            ns.links.push((host_if.clone(), ns_if.clone(), host_ip.clone()));
            for cmd in [
                format!("ip link add {host_if} type veth peer name {ns_if}"),
                format!("ip link set {ns_if} netns {name}"),
                format!("ip addr add {host_ip}/30 dev {host_if}"),
                format!("ip link set {host_if} up"),
                format!("ip netns exec {name} ip addr add {ns_ip}/30 dev {ns_if}"),
                format!("ip netns exec {name} ip link set {ns_if} up"),
            ] {
                ns.run(&cmd);
            }
        }
        ns
    }

    fn run(&self, cmd: &str) {
        let args: Vec<&str> = cmd.split(' ').collect();
        let out = Command::new(args[0])
            .args(&args[1..])
            .output()
            .expect("ip: apt-get install iproute2");
        assert!(out.status.success(), "{cmd}: {}", String::from_utf8_lossy(&out.stderr));
    }

    /// This side's address of link `i` (reachable from inside).
    pub fn host_ip(&self, i: usize) -> String {
        self.links[i].2.clone()
    }

    /// At most `kbit` kb/s leave the namespace on link `i` (0: no limit).
    pub fn limit(&self, i: usize, kbit: u32) {
        let dev = &self.links[i].1;
        if kbit == 0 {
            self.run(&format!("ip netns exec {} tc qdisc del dev {dev} root", self.name));
        } else {
            self.run(&format!(
                "ip netns exec {} tc qdisc replace dev {dev} root tbf rate {kbit}kbit burst 32kbit latency 200ms",
                self.name
            ));
        }
    }

    /// Drops `percent` % of the UDP packets leaving the namespace, at random.
    pub fn lose(&self, percent: u32) {
        let rules = format!(
            "table inet loss {{\n  chain out {{\n    type filter hook output priority 0; policy accept;\n    \
             meta l4proto udp counter\n    \
             meta l4proto udp numgen random mod 100 < {percent} counter drop\n  }}\n}}\n"
        );
        let mut nft = Command::new("ip")
            .args(["netns", "exec", &self.name, "nft", "-f", "-"])
            .stdin(Stdio::piped())
            .spawn()
            .expect("nft: apt-get install nftables");
        nft.stdin.take().unwrap().write_all(rules.as_bytes()).unwrap();
        assert!(nft.wait().unwrap().success(), "nft refused {rules}");
    }

    /// UDP packets that left so far (tried), and those the loss rule dropped.
    pub fn udp_counts(&self) -> (u64, u64) {
        let out = Command::new("ip")
            .args(["netns", "exec", &self.name, "nft", "list", "table", "inet", "loss"])
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout);
        let words: Vec<&str> = text.split_whitespace().collect();
        let counts: Vec<u64> = words
            .windows(2)
            .filter(|w| w[0] == "packets")
            .filter_map(|w| w[1].parse().ok())
            .collect();
        (
            counts.first().copied().unwrap_or(0),
            counts.get(1).copied().unwrap_or(0),
        )
    }

    /// `program` run inside the namespace.
    pub fn command(&self, program: &Path) -> Command {
        let mut c = Command::new("ip");
        c.args(["netns", "exec", &self.name]).arg(program);
        c
    }
}

impl Drop for Netns {
    fn drop(&mut self) {
        for (host_if, _, _) in &self.links {
            let _ = Command::new("ip").args(["link", "del", host_if]).output();
        }
        let _ = Command::new("ip").args(["netns", "del", &self.name]).output();
    }
}
