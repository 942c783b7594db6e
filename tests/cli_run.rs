//! `showroom run` as a user runs it: status lines, exit codes, --stats-json,
//! --record, Ctrl-C, and errors in a host's words — never the stream key.

mod support;

use std::process::{Command, Stdio};
use std::time::Duration;
use support::*;

fn demo() -> String {
    format!("{}/assets/demo/show.toml", env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn goes_live_records_and_reports_without_leaking_keys() {
    let _heavy = heavy_lock();
    let dir = tempdir("cli-good");
    let nginx = Nginx::start(&dir.join("nginx"));
    let (k1, k2) = ("cliGood-8h2jx", "cliPort-3c4vb");
    let stats = dir.join("stats.json");
    let out = Command::new(showroom_bin())
        .args(["run", &demo(), "--duration", "4"])
        .arg(format!("--to=landscape=rtmp://127.0.0.1:{}/live/{k1}", nginx.rtmp_port))
        .arg(format!("--to=portrait=rtmp://127.0.0.1:{}/live/{k2}", nginx.rtmp_port))
        .arg(format!("--record={}/rec-{{canvas}}.mkv", dir.display()))
        .arg(format!("--stats-json={}", stats.display()))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(
        stderr.lines().any(|l| l.contains("| landscape ")
            && l.contains(" fps ")
            && l.contains(" repeated")
            && l.contains(" live ")),
        "no live status line:\n{stderr}"
    );
    let json = std::fs::read_to_string(&stats).unwrap();
    for key in [k1, k2] {
        assert!(!stderr.contains(key), "key in output:\n{stderr}");
        assert!(!json.contains(key), "key in stats:\n{json}");
    }
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    // The shape is versioned and documented: every top-level field is in
    // docs/snapshot.md.
    assert_eq!(v["schema"], 1);
    let doc =
        std::fs::read_to_string(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/snapshot.md")).unwrap();
    for key in v.as_object().unwrap().keys() {
        assert!(doc.contains(&format!("`{key}`")), "`{key}` is not in docs/snapshot.md");
    }
    for canvas in ["landscape", "portrait"] {
        // Every tick of 4 s at 30 fps was rendered or counted as skipped
        // (how many a loaded machine skips is for benches/ to measure).
        let rendered = v["canvases"][canvas]["frames_rendered"].as_u64().unwrap();
        let skipped = v["canvases"][canvas]["late_ticks"].as_u64().unwrap();
        assert!(
            rendered + skipped >= 110,
            "{canvas}: {rendered} + {skipped} ticks in 4 s"
        );
    }
    let dests = v["destinations"].as_array().unwrap();
    assert_eq!(dests.len(), 2);
    for d in dests {
        assert!(d["bytes_sent"].as_u64().unwrap() > 100_000, "{d}");
        assert_eq!(d["error"], serde_json::Value::Null, "{d}");
        assert!(d["ever_live"].as_bool().unwrap(), "{d}");
    }
    for (file, w, h) in [("rec-landscape.mkv", 1280, 720), ("rec-portrait.mkv", 720, 1280)] {
        let f = stream_facts(&dir.join(file));
        assert_eq!(
            (f.width, f.height, f.video_codec.as_str(), f.audio_codec.as_str()),
            (w, h, "h264", "aac"),
            "{file}"
        );
        assert!((f.duration - 4.0).abs() < 0.5, "{file}: {} s", f.duration);
    }
    assert!(nginx.received(k1).exists() && nginx.received(k2).exists());
    drop(nginx);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn failures_are_explained_and_exit_non_zero() {
    let _heavy = heavy_lock();
    let dir = tempdir("cli-bad");
    let nginx = Nginx::start(&dir.join("nginx"));
    let keys = ["tlsKey-4g5h1", "refuse-cli-6k7l", "unreach-9p8o2"];
    let stats = dir.join("stats.json");
    let out = Command::new(showroom_bin())
        .args(["run", &demo(), "--duration", "4"])
        // This process does not trust the test CA: validation must refuse it.
        .arg(format!(
            "--to=landscape=rtmps://localhost:{}/live/{}",
            nginx.rtmps_port, keys[0]
        ))
        .arg(format!(
            "--to=landscape=rtmp://127.0.0.1:{}/live/{}",
            nginx.rtmp_port, keys[1]
        ))
        .arg(format!("--to=portrait=rtmp://127.0.0.1:1/live/{}", keys[2]))
        .arg(format!("--stats-json={}", stats.display()))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{stderr}");
    for words in [
        "TLS certificate is not trusted",
        "stream key refused",
        "cannot reach the server",
        "never went live",
    ] {
        assert!(stderr.contains(words), "missing `{words}` in:\n{stderr}");
    }
    let json = std::fs::read_to_string(&stats).unwrap();
    for key in keys {
        assert!(!stderr.contains(key), "key {key} in output:\n{stderr}");
        assert!(!json.contains(key), "key {key} in stats");
    }
    drop(nginx);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn ctrl_c_ends_cleanly_and_finalises_the_recording() {
    let _heavy = heavy_lock();
    let dir = tempdir("cli-int");
    let rec = dir.join("show.mkv");
    let child = Command::new(showroom_bin())
        .args(["run", &demo()])
        .arg(format!("--record={}", rec.display()))
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_secs(4));
    let ok = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(ok.success());
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(stderr.contains("stopping…"), "{stderr}");
    let f = stream_facts(&rec);
    assert!(f.duration > 2.0, "recording too short: {f:?}");
    assert!(decode_errors(&rec).trim().is_empty());
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn bad_arguments_are_explained() {
    let out = Command::new(showroom_bin())
        .args(["run", &demo(), "--to", "sideways=rtmp://127.0.0.1/live/k"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr.contains("no canvas `sideways` in the show (canvases: landscape, portrait)"),
        "{stderr}"
    );
    let out = Command::new(showroom_bin())
        .args(["run", &demo(), "--record", "/tmp/x.avi"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("must end in .mkv or .mp4"));
}

#[test]
fn the_studio_without_a_display_says_so_and_names_the_headless_command() {
    let state = tempdir("no-display");
    for args in [vec![], vec!["studio".to_string(), demo()]] {
        let out = Command::new(showroom_bin())
            .args(&args)
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .env_remove("DISPLAY")
            .env_remove("WAYLAND_DISPLAY")
            .env("XDG_STATE_HOME", &state)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(
            stderr.contains("no display to open the studio window on") && stderr.contains("showroom run "),
            "{args:?}: {stderr}"
        );
        assert!(!stderr.contains("panicked"), "{stderr}");
    }
    // A show that does not exist is named, not a crash.
    let out = Command::new(showroom_bin())
        .args(["studio", "/nonexistent/show.toml"])
        .env("DISPLAY", ":999")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("/nonexistent/show.toml"), "{stderr}");
    let _ = std::fs::remove_dir_all(&state);
}

#[test]
fn devices_lists_every_kind() {
    let out = Command::new(showroom_bin()).arg("devices").output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success());
    for heading in [
        "Cameras (kind = \"camera\"):",
        "Microphones (kind = \"microphone\"):",
        "Outputs for headphone monitoring ([audio] monitor = ...):",
    ] {
        assert!(stdout.contains(heading), "no `{heading}` in:\n{stdout}");
    }
}

#[test]
fn kill_9_during_an_mp4_recording_leaves_a_file_that_decodes_without_errors() {
    let _heavy = heavy_lock();
    let dir = tempdir("cli-kill9-mp4");
    std::fs::write(dir.join("show.toml"), small_show("Kill")).unwrap();
    // Killed at two moments that fall differently against the 1 s fragments.
    for (i, grow_to) in [(1, 40_000u64), (2, 75_000)] {
        let rec = dir.join(format!("take{i}.mp4"));
        let mut child = Command::new(showroom_bin())
            .args(["run", "show.toml"])
            .arg(format!("--record={}", rec.display()))
            .env("XDG_STATE_HOME", dir.join("state"))
            .current_dir(&dir)
            .stdin(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        // A few fragments on disk, whatever the machine's speed.
        poll_until(Duration::from_secs(90), || {
            rec.metadata().is_ok_and(|m| m.len() > grow_to)
        })
        .expect("the recording grows");
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();
        let errors = decode_errors(&rec);
        assert!(errors.trim().is_empty(), "take {i} after kill -9:\n{errors}");
        let packets = video_packets(&rec);
        assert!(packets >= 15, "take {i}: only {packets} video packets survived");
    }
}

fn contains_bytes(hay: &[u8], needle: &str) -> bool {
    hay.windows(needle.len()).any(|w| w == needle.as_bytes())
}

#[test]
fn kill_9_leaves_a_playable_recording_and_the_show_can_be_resumed() {
    let _heavy = heavy_lock();
    let dir = tempdir("cli-kill9");
    let state = dir.join("state");
    let rec = dir.join("show.mkv");
    let mut child = Command::new(showroom_bin())
        .args(["run", &demo()])
        .arg(format!("--record={}", rec.display()))
        .env("XDG_STATE_HOME", &state)
        .stdin(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_secs(5));
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    let packets = video_packets(&rec);
    assert!(packets > 60, "only {packets} video packets survived");
    assert!(
        decode_errors(&rec).trim().is_empty(),
        "the recording does not play cleanly after kill -9"
    );

    // The next start offers to resume; `resume` runs the same show again
    // into a new file (nothing overwritten) until told to quit.
    let mut resumed = Command::new(showroom_bin())
        .arg("resume")
        .env("XDG_STATE_HOME", &state)
        .stdin(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_secs(3));
    {
        use std::io::Write;
        resumed.stdin.take().unwrap().write_all(b"quit\n").unwrap();
    }
    let out = resumed.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(stderr.contains("resuming") && stderr.contains("show.toml"), "{stderr}");
    assert!(dir.join("show-2.mkv").exists(), "resume did not record to a new file");
    assert!(
        stream_facts(&rec).video_codec == "h264",
        "the first recording was touched"
    );
    let again = Command::new(showroom_bin())
        .arg("resume")
        .env("XDG_STATE_HOME", &state)
        .output()
        .unwrap();
    assert_eq!(again.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&again.stderr).contains("nothing to resume"));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn no_key_anywhere_through_every_failure_path_even_with_debug_logs() {
    let _heavy = heavy_lock();
    let dir = tempdir("cli-hygiene");
    let mut nginx = Nginx::start(&dir.join("nginx"));
    let out_dir = dir.join("out");
    std::fs::create_dir_all(&out_dir).unwrap();
    let keys = ["hygLive-7a8b9c", "refuse-hyg-1d2e", "hygGone-3f4g5h", "hygTls-6i7j8k"];
    let child = Command::new(showroom_bin())
        .args(["run", &demo(), "--duration", "7"])
        .arg(format!(
            "--to=landscape=rtmp://127.0.0.1:{}/live/{}",
            nginx.rtmp_port, keys[0]
        ))
        .arg(format!(
            "--to=portrait=rtmp://127.0.0.1:{}/live/{}",
            nginx.rtmp_port, keys[1]
        ))
        .arg(format!("--to=portrait=rtmp://127.0.0.1:1/live/{}", keys[2]))
        .arg(format!(
            "--to=landscape=rtmps://localhost:{}/live/{}",
            nginx.rtmps_port, keys[3]
        ))
        .arg(format!("--record={}/rec-{{canvas}}.mkv", out_dir.display()))
        .arg(format!("--stats-json={}/stats.json", out_dir.display()))
        .env("SHOWROOM_LOG", "showroom=debug")
        .env("GST_DEBUG", "3,rtmp2*:7,flvmux:5")
        .env("XDG_STATE_HOME", out_dir.join("state"))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_secs(4));
    nginx.kill(); // the live one loses its connection
    let out = child.wait_with_output().unwrap();
    let all = [out.stdout.clone(), out.stderr.clone()].concat();
    let stderr = String::from_utf8_lossy(&out.stderr);
    for words in [
        "connection lost",
        "stream key refused",
        "cannot reach the server",
        "TLS certificate is not trusted",
    ] {
        assert!(stderr.contains(words), "the run never went through `{words}`");
    }
    assert!(stderr.lines().count() > 200, "debug logging was not on");
    let mut files = vec![];
    let mut stack = vec![out_dir.clone()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() { stack.push(p) } else { files.push(p) }
        }
    }
    assert!(files.len() >= 3, "{files:?}");
    for key in keys {
        assert!(!contains_bytes(&all, key), "key {key} in the output");
        for f in &files {
            assert!(
                !contains_bytes(&std::fs::read(f).unwrap(), key),
                "key {key} in {}",
                f.display()
            );
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn check_measure_says_which_canvas_this_machine_cannot_hold() {
    let _heavy = heavy_lock();
    let dir = tempdir("cli-measure");
    // A 4K60 canvas on a software GPU and two cores never holds; a small one does.
    let show = r#"
[[canvases]]
id = "small"
width = 320
height = 180
fps = 15

[[canvases]]
id = "huge"
width = 3840
height = 2160
fps = 60

[[sources]]
id = "bars"
kind = "test-pattern"
pattern = "smpte"

[[scenes]]
id = "s"

[[scenes.layers]]
source = "bars"
place.small = { x = 0, y = 0, width = 320, height = 180 }
place.huge = { x = 0, y = 0, width = 3840, height = 2160 }

[[recordings]]
canvas = "huge"
path = "never-written.mkv"
"#;
    std::fs::write(dir.join("show.toml"), show).unwrap();
    let out = Command::new(showroom_bin())
        .args(["check", "--measure"])
        .arg(dir.join("show.toml"))
        .env("XDG_STATE_HOME", dir.join("state"))
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stdout}\n{stderr}");
    assert!(stdout.contains(": OK"), "{stdout}");
    assert!(stdout.contains("measuring this machine"), "{stdout}");
    let huge = stdout
        .lines()
        .find(|l| l.starts_with("warning: this machine renders huge at about"))
        .unwrap_or_else(|| panic!("no advice for the 4K60 canvas:\n{stdout}\n{stderr}"));
    assert!(
        huge.contains("of 60") && huge.contains("lower its fps or size"),
        "{huge}"
    );
    // Nothing went on air or to disk while measuring.
    assert!(!dir.join("never-written.mkv").exists());
    let _ = std::fs::remove_dir_all(&dir);
}

/// `showroom relay-config` for nginx-rtmp, run by a real nginx (the relay)
/// that pushes the one upload it takes to two other nginx "platforms", one
/// over RTMP and one over RTMPS through the relay's TLS proxy; the studio
/// side is `showroom run --via`.
#[test]
fn a_generated_nginx_relay_pushes_one_upload_to_every_destination() {
    let _heavy = heavy_lock();
    let dir = tempdir("relay");
    let (b, c) = (Nginx::start(&dir.join("b")), Nginx::start(&dir.join("c")));
    let (key_b, key_c) = ("relayB-4k2q", "relayC-7p1w");
    for (f, k) in [("b.key", key_b), ("c.key", key_c)] {
        std::fs::write(dir.join(f), k).unwrap();
        std::fs::set_permissions(dir.join(f), std::os::unix::fs::PermissionsExt::from_mode(0o600)).unwrap();
    }
    let show = format!(
        "{}\n[[destinations]]\nid = \"shop-b\"\nplatform = \"custom\"\ncanvas = \"main\"\nurl = \"rtmp://127.0.0.1:{}/live\"\nkey = {{ file = \"b.key\" }}\n\n\
         [[destinations]]\nid = \"shop-c\"\nplatform = \"custom\"\ncanvas = \"main\"\nurl = \"rtmps://localhost:{}/live\"\nkey = {{ file = \"c.key\" }}\n",
        small_show("Relay e2e"),
        b.rtmp_port,
        c.rtmps_port
    );
    std::fs::write(dir.join("show.toml"), show).unwrap();
    let (relay_port, proxy_port) = (free_port(), free_port());
    let out = Command::new(showroom_bin())
        .current_dir(&dir)
        .args([
            "relay-config",
            "--for",
            "nginx-rtmp",
            "show.toml",
            "--out",
            "relay.conf",
        ])
        .arg(format!("--listen=127.0.0.1:{relay_port}"))
        .arg("--publish-from=127.0.0.1")
        .arg(format!("--proxy-port={proxy_port}"))
        .arg(format!("--trust={}", c.ca_pem.display()))
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&out.stderr).into_owned() + &String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{said}");
    assert!(
        said.contains("mode 0600"),
        "the command says the file is private: {said}"
    );
    assert!(
        !said.contains(key_b) && !said.contains(key_c),
        "a key in the output: {said}"
    );
    // Refusals in a host's words: a relay anyone could publish to, a server it does not write for.
    for (args, want) in [
        (vec!["--out", "open.conf"], "give --publish-from ADDR"),
        (
            vec!["--out", "m.conf", "--listen=127.0.0.1:1935", "--for=mediamtx"],
            "--for nginx-rtmp",
        ),
    ] {
        let o = Command::new(showroom_bin())
            .current_dir(&dir)
            .args(["relay-config", "show.toml"])
            .args(if args.iter().any(|a| a.starts_with("--for")) {
                vec![]
            } else {
                vec!["--for", "nginx-rtmp"]
            })
            .args(&args)
            .output()
            .unwrap();
        let said = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{said}");
        assert!(said.contains(want), "{said}");
        assert!(!dir.join(args[1]).exists(), "nothing written on a refusal");
    }
    let conf = dir.join("relay.conf");
    let mode = std::os::unix::fs::PermissionsExt::mode(&std::fs::metadata(&conf).unwrap().permissions());
    assert_eq!(mode & 0o777, 0o600);

    // The relay: a real nginx that includes the file as written.
    let a = dir.join("a");
    std::fs::create_dir_all(a.join("logs")).unwrap();
    let user = if is_root() { "user root;" } else { "" };
    std::fs::write(
        a.join("nginx.conf"),
        format!(
            "load_module /usr/lib/nginx/modules/ngx_rtmp_module.so;\nload_module /usr/lib/nginx/modules/ngx_stream_module.so;\n\
             daemon off;\nmaster_process off;\n{user}\nworker_processes 1;\nerror_log {a}/logs/error.log info;\npid {a}/logs/nginx.pid;\n\
             events {{ worker_connections 64; }}\ninclude {conf};\n",
            a = a.display(),
            conf = conf.display()
        ),
    )
    .unwrap();
    let mut relay = Command::new("nginx")
        .args([
            "-p",
            &a.display().to_string(),
            "-c",
            &a.join("nginx.conf").display().to_string(),
        ])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let up = poll_until(Duration::from_secs(10), || {
        std::net::TcpStream::connect(("127.0.0.1", relay_port)).is_ok()
    });
    assert!(
        up.is_some(),
        "the relay did not start: {}",
        std::fs::read_to_string(a.join("logs/error.log")).unwrap_or_default()
    );

    // The studio side: one upload for the canvas, to the relay.
    let run = Command::new(showroom_bin())
        .current_dir(&dir)
        .args(["run", "show.toml", "--duration", "5"])
        .arg(format!("--via=rtmp://127.0.0.1:{relay_port}"))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&run.stderr).into_owned();
    assert!(run.status.success(), "{stderr}");
    assert!(
        !stderr.contains(key_b) && !stderr.contains(key_c),
        "a key in the output: {stderr}"
    );
    assert!(stderr.contains("relay-main"), "one destination, to the relay: {stderr}");
    // Both platforms received the stream the relay pushed.
    for (server, key) in [(&b, key_b), (&c, key_c)] {
        let file = server.received(key);
        let ok = poll_until(Duration::from_secs(20), || file.exists() && video_packets(&file) >= 30);
        assert!(
            ok.is_some(),
            "{} has {} video packets; relay log:\n{}",
            file.display(),
            if file.exists() { video_packets(&file) } else { 0 },
            std::fs::read_to_string(a.join("logs/error.log")).unwrap_or_default()
        );
    }
    let _ = relay.kill();
    let _ = relay.wait();
    let _ = std::fs::remove_dir_all(&dir);
}
