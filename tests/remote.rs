//! Remote control with the clients crews own, on loopback, against a real
//! `showroom run` whose stream nginx-rtmp receives: obs-websocket-js (npm:
//! its JSON build, and its MessagePack build, the one Node gets by
//! default), obsws-python (PyPI) and obws (crates.io). Plus what a hostile
//! or broken client gets: a wrong password, 1,000 malformed frames.
//!
//! The clients are installed by `packaging/install-deps.sh --test` into
//! tests/remote/ (node_modules, .venv).

mod support;

use futures_util::{SinkExt, StreamExt};
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;
use support::*;
use tokio_tungstenite::tungstenite::Message;

const PASSWORD: &str = "remote-pw-7Hq2";

fn show(rtmp: u16) -> String {
    format!(
        r#"
[show]
name = "Remote test"

[[canvases]]
id = "landscape"
width = 320
height = 180
fps = 15

[[sources]]
id = "dark"
kind = "test-pattern"
pattern = "black"
width = 320
height = 180

[[sources]]
id = "bars"
kind = "test-pattern"
pattern = "smpte"
width = 320
height = 180

[[sources]]
id = "tone"
kind = "tone"
frequency = 440
volume = 0.2

[[scenes]]
id = "intro"

[[scenes.layers]]
source = "dark"
place.landscape = {{ x = 0, y = 0, width = 320, height = 180 }}

[[scenes]]
id = "products"

[[scenes.layers]]
source = "bars"
place.landscape = {{ x = 0, y = 0, width = 320, height = 180 }}

[products]
catalog = "catalog.csv"

[[destinations]]
id = "shop"
platform = "custom"
canvas = "landscape"
url = "rtmp://127.0.0.1:{rtmp}/live"
key = {{ env = "REMOTE_TEST_KEY" }}

[remote]
listen = "127.0.0.1:0"
password = {{ env = "REMOTE_TEST_PASSWORD" }}
"#
    )
}

fn remote_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/remote")
}

/// `showroom run` of the test show, its remote control on.
fn start_run(dir: &Path, rtmp: u16) -> ShowRun {
    std::fs::write(
        dir.join("catalog.csv"),
        "id,code,title,price,currency,stock\nmug,A1,Mug,18,USD,3\n",
    )
    .unwrap();
    std::fs::write(dir.join("show.toml"), show(rtmp)).unwrap();
    ShowRun::start(
        dir,
        &["run", "show.toml", "--duration", "300"],
        &[("REMOTE_TEST_KEY", "remoteKey-4f8"), ("REMOTE_TEST_PASSWORD", PASSWORD)],
    )
}

/// Runs a client script; its JSON lines by step. `on_line` sees each line.
fn client(mut cmd: Command, mut on_line: impl FnMut(&serde_json::Value)) -> Vec<serde_json::Value> {
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {cmd:?}: {e} — run packaging/install-deps.sh --test"));
    let stdout = child.stdout.take().unwrap();
    let mut steps = Vec::new();
    for l in BufReader::new(stdout).lines().map_while(Result::ok) {
        let v: serde_json::Value = serde_json::from_str(&l).unwrap_or(serde_json::json!({ "raw": l }));
        on_line(&v);
        steps.push(v);
    }
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{cmd:?} failed: {}\n{steps:#?}",
        String::from_utf8_lossy(&out.stderr)
    );
    steps
}

fn step<'a>(steps: &'a [serde_json::Value], name: &str) -> &'a serde_json::Value {
    let s = steps
        .iter()
        .find(|s| s["step"] == name)
        .unwrap_or_else(|| panic!("no step {name}: {steps:#?}"));
    assert_eq!(s["ok"], true, "step {name}: {s:#}");
    s
}

fn node(build: &str, url: &str) -> Command {
    let dir = remote_dir();
    assert!(
        dir.join("node_modules/obs-websocket-js").is_dir(),
        "obs-websocket-js is not installed: run packaging/install-deps.sh --test"
    );
    let mut c = Command::new("node");
    c.arg(dir.join("companion.mjs"))
        .args([url, PASSWORD, build])
        .current_dir(&dir);
    c
}

/// A raw session: identifies first when `identify` (answering the
/// password's challenge), sends one text frame per item, and returns the
/// frames it got back (Hello and Identified left out) and the close code.
async fn raw_session(addr: &str, identify: bool, frames: Vec<String>) -> (Vec<serde_json::Value>, Option<u16>) {
    let (mut ws, _) = tokio_tungstenite::connect_async(format!("ws://{addr}/")).await.unwrap();
    let hello: serde_json::Value = match ws.next().await {
        Some(Ok(Message::Text(t))) => serde_json::from_str(&t).unwrap(),
        other => panic!("no Hello: {other:?}"),
    };
    if identify {
        let a = &hello["d"]["authentication"];
        let answer =
            showroom::remote::auth::answer(PASSWORD, a["salt"].as_str().unwrap(), a["challenge"].as_str().unwrap());
        let id =
            serde_json::json!({"op": 1, "d": {"rpcVersion": 1, "authentication": answer, "eventSubscriptions": 0}});
        ws.send(Message::text(id.to_string())).await.unwrap();
        match ws.next().await {
            Some(Ok(Message::Text(t))) => assert!(t.contains("\"op\":2"), "{t}"),
            other => panic!("not identified: {other:?}"),
        }
    }
    for f in frames {
        if ws.send(Message::text(f)).await.is_err() {
            break;
        }
    }
    let mut got = Vec::new();
    while let Some(m) = ws.next().await {
        match m {
            Ok(Message::Text(t)) => got.push(serde_json::from_str(&t).unwrap()),
            Ok(Message::Close(c)) => return (got, c.map(|c| u16::from(c.code))),
            Ok(_) => {}
            Err(_) => break,
        }
    }
    (got, None)
}

fn decode_png(bytes: &[u8]) -> (u32, u32, Vec<u8>) {
    let mut reader = png::Decoder::new(std::io::Cursor::new(bytes)).read_info().unwrap();
    let mut buf = vec![0; reader.output_buffer_size()];
    let info = reader.next_frame(&mut buf).unwrap();
    assert_eq!(info.color_type, png::ColorType::Rgb);
    buf.truncate(info.buffer_size());
    (info.width, info.height, buf)
}

#[test]
fn controllers_drive_a_running_show() {
    let _heavy = heavy_lock();
    let dir = tempdir("remote");
    let nginx = Nginx::start_with(&dir.join("nginx"), true);
    let mut run = start_run(&dir, nginx.rtmp_port);
    let announce = run.line(|l| l.starts_with("remote control: ws://"));
    let addr = announce
        .trim_start_matches("remote control: ws://")
        .split_whitespace()
        .next()
        .unwrap()
        .to_string();
    assert!(announce.contains("password required"), "{announce}");
    let url = format!("ws://{addr}");
    run.line(|l| l.contains(" live "));

    // Companion's module (obs-websocket-js, JSON build): its start-up, then
    // buttons; a change typed into `showroom run` reaches it as an event.
    let steps = client(node("json", &url), |v| {
        if v["step"] == "await-typed" {
            writeln!(run.stdin, "scene products").unwrap();
        }
    });
    let c = step(&steps, "connect");
    assert_eq!(c["protocol"], "obswebsocket.json");
    assert_eq!(c["negotiatedRpcVersion"], 1);
    step(&steps, "GetVersion");
    assert_eq!(step(&steps, "GetStudioModeEnabled")["enabled"], true);
    let s = step(&steps, "startup");
    assert_eq!(s["outputs"], serde_json::json!(["shop"]));
    assert_eq!(
        s["scenes"],
        serde_json::json!(["products", "intro"]),
        "OBS lists the bottom scene first"
    );
    assert_eq!(s["program"], "intro");
    assert_eq!(s["inputs"], serde_json::json!(["dark", "bars", "tone"]));
    assert_eq!(s["items"], 2);
    assert_eq!(step(&steps, "unknown-request")["code"], 204);
    assert_eq!(step(&steps, "cut")["program"], "products");
    let t = step(&steps, "preview-take");
    assert_eq!(
        (t["preview"].as_str(), t["started"].as_str(), t["program"].as_str()),
        (Some("intro"), Some("Fade"), Some("intro"))
    );
    assert_eq!(
        step(&steps, "tbar")["scene"],
        "products",
        "a T-bar pushed to the end takes preview"
    );
    let m = step(&steps, "mute");
    assert_eq!(
        (m["muted"].as_bool(), m["toggled"].as_bool(), m["db"].as_f64()),
        (Some(true), Some(false), Some(-12.0))
    );
    assert_eq!(step(&steps, "meters")["inputs"], serde_json::json!(["tone"]));
    let v = step(&steps, "vendor");
    assert_eq!(
        (v["featured"].as_str(), v["products"][0].as_str()),
        (Some("A1"), Some("A1"))
    );
    // The pre-flight check over the remote: the key is there.
    let checks: Vec<&str> = v["preflight"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|c| c.as_str())
        .collect();
    assert!(
        checks.iter().any(|c| c.starts_with("key of ") && c.ends_with("=true")),
        "{checks:?}"
    );
    assert!(v["preflightOk"].is_boolean(), "{v}");
    assert_eq!(step(&steps, "typed")["scene"], "products");
    let stop = step(&steps, "stop-stream");
    assert_eq!(
        (stop["active"].as_bool(), stop["again"].as_u64()),
        (Some(false), Some(501))
    );
    assert_eq!(step(&steps, "start-stream")["active"], true);
    step(&steps, "done");

    // The MessagePack build (Node's default import): binary frames both ways.
    let steps = client(node("msgpack", &url), |v| {
        if v["step"] == "await-typed" {
            writeln!(run.stdin, "scene products").unwrap();
        }
    });
    assert_eq!(step(&steps, "connect")["protocol"], "obswebsocket.msgpack");
    assert_eq!(step(&steps, "cut")["program"], "products");
    assert_eq!(step(&steps, "mute")["muted"], true);
    step(&steps, "done");

    // obsws-python: no subprotocol (JSON), an Origin of its own, integer requestIds.
    let py = remote_dir().join(".venv/bin/python");
    assert!(
        py.exists(),
        "obsws-python is not installed: run packaging/install-deps.sh --test"
    );
    let (host, port) = addr.rsplit_once(':').unwrap();
    let mut cmd = Command::new(py);
    cmd.arg(remote_dir().join("obsws.py")).args([host, port, PASSWORD]);
    let steps = client(cmd, |_| {});
    step(&steps, "connect");
    assert_eq!(
        step(&steps, "GetSceneList")["scenes"],
        serde_json::json!(["products", "intro"])
    );
    assert_eq!(step(&steps, "SetCurrentProgramScene")["program"], "intro");
    assert_eq!(step(&steps, "event")["scene"], "intro");
    assert_eq!(step(&steps, "unknown-scene")["code"], 600);

    // obws: its typed API (it checks the versions at connect).
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let port: u16 = port.parse().unwrap();
        let mut obws = obws::Client::connect(host, port, Some(PASSWORD))
            .await
            .expect("obws connects");
        let mut events = obws.events().unwrap();
        let scenes = obws.scenes().list().await.unwrap();
        let names: Vec<&str> = scenes.scenes.iter().map(|s| s.id.name.as_str()).collect();
        assert_eq!(names, ["products", "intro"]);
        obws.scenes().set_current_program_scene("products").await.unwrap();
        assert_eq!(obws.scenes().current_program_scene().await.unwrap().id.name, "products");
        // The program picture as a PNG of the size asked for (scaled to
        // inner): the SMPTE bars of `products` once it is drawn.
        let mut last = String::new();
        let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
        let mut bars = false;
        while !bars && tokio::time::Instant::now() < deadline {
            let shot = obws
                .sources()
                .take_screenshot(obws::requests::sources::TakeScreenshot {
                    source: obws::requests::sources::SourceId::Name("products"),
                    format: "png",
                    width: Some(160),
                    height: None,
                    compression_quality: None,
                })
                .await
                .unwrap();
            let png = base64::Engine::decode(
                &base64::engine::general_purpose::STANDARD,
                shot.strip_prefix("data:image/png;base64,").expect("a PNG data URI"),
            )
            .unwrap();
            let (w, h, rgb) = decode_png(&png);
            assert_eq!((w, h), (160, 90));
            let px = |x: u32, y: u32| {
                let i = ((y * w + x) * 3) as usize;
                (rgb[i], rgb[i + 1], rgb[i + 2])
            };
            let (grey, yellow) = (px(11, 20), px(34, 20));
            last = format!("{grey:?} {yellow:?}");
            // The first bar is light grey (or white), the second yellow.
            let light = |(r, g, b): (u8, u8, u8)| r > 150 && g > 150 && b > 150 && r.abs_diff(b) < 30;
            bars = light(grey) && yellow.0 > 150 && yellow.1 > 150 && yellow.2 < 70;
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        assert!(bars, "the screenshot is not the bars: {last}");
        let muted = obws
            .inputs()
            .toggle_mute(obws::requests::inputs::InputId::Name("tone"))
            .await
            .unwrap();
        assert!(muted);
        assert!(obws.streaming().status().await.unwrap().active);
        let changed = tokio::time::timeout(Duration::from_secs(20), async {
            while let Some(e) = events.next().await {
                if let obws::events::Event::InputMuteStateChanged { id, muted } = e {
                    return Some((id.name, muted));
                }
            }
            None
        })
        .await
        .unwrap();
        assert_eq!(changed, Some(("tone".to_string(), true)));

        // A wrong password: the protocol's close code, the show goes on.
        let wrong = obws::Client::connect(host, port, Some("not-it")).await;
        assert!(
            format!("{:?}", wrong.err()).contains("4009"),
            "a wrong password must close with 4009"
        );

        // 1,000 malformed frames from one client: that client is closed
        // (MessageDecodeError), the others are served, the show stays live.
        let garbage: Vec<String> = (0..1000).map(|i| format!("{{not json {i}")).collect();
        assert_eq!(raw_session(&addr, true, garbage).await.1, Some(4002));
        // Each kind of malformed message gets the protocol's close code.
        let request = |d: &str| format!(r#"{{"op":6,"d":{d}}}"#);
        for (identify, frame, code) in [
            (false, request(r#"{"requestType":"GetVersion","requestId":"x"}"#), 4007),
            (false, r#"{"op":1,"d":{"rpcVersion":1}}"#.to_string(), 4009),
            (true, r#"{"op":1,"d":{"rpcVersion":1}}"#.to_string(), 4008),
            (true, r#"{"op":4,"d":{}}"#.to_string(), 4006),
            (true, r#"{"d":{}}"#.to_string(), 4006),
            (true, r#"{"op":6}"#.to_string(), 4003),
            (true, request(r#"{"requestType":"GetVersion"}"#), 4003),
            (true, request(r#"{"requestId":"1","requestType":7}"#), 4004),
            (true, r#"{"op":8,"d":{"requestId":"b","executionType":9,"requests":[]}}"#.to_string(), 4005),
        ] {
            let (_, got) = raw_session(&addr, identify, vec![frame.clone()]).await;
            assert_eq!(got, Some(code), "{frame}");
        }
        // Reidentify is answered with Identified.
        let (got, code) = raw_session(&addr, true, vec![r#"{"op":3,"d":{"eventSubscriptions":4}}"#.into(), "{".into()]).await;
        assert_eq!((got[0]["op"].as_u64(), code), (Some(2), Some(4002)), "{got:?}");
        // A request that cannot be done is answered, and the session goes on.
        let (got, _) = raw_session(
            &addr,
            true,
            vec![
                request(r#"{"requestId":"1","requestType":"GetInputMute","requestData":5}"#),
                request(r#"{"requestId":"2","requestType":"SetInputVolume","requestData":{"inputName":"tone"}}"#),
                request(r#"{"requestId":"3","requestType":"NoSuchRequest"}"#),
                r#"{"op":8,"d":{"requestId":"b","haltOnFailure":true,"requests":[{"requestType":"GetVersion"},{"requestType":"Nope"},{"requestType":"GetStats"}]}}"#.to_string(),
                r#"{"op":"x","d":{}}"#.to_string(),
            ],
        )
        .await;
        let codes: Vec<u64> = got
            .iter()
            .take(3)
            .map(|r| r["d"]["requestStatus"]["code"].as_u64().unwrap())
            .collect();
        assert_eq!(codes, [401, 300, 204], "{got:#?}");
        assert_eq!(got[1]["d"]["requestStatus"]["comment"].as_str().map(|c| c.contains("inputVolume")), Some(true));
        let batch = got[3]["d"]["results"].as_array().unwrap();
        assert_eq!(batch.len(), 2, "haltOnFailure stops at the first failure: {batch:#?}");
        assert_eq!(
            obws.general().version().await.unwrap().obs_web_socket_version.major,
            5,
            "another client is still served"
        );
        assert!(obws.streaming().status().await.unwrap().active, "the show is still live");
        obws.disconnect().await;
    });
    run.type_line("quit");
    let status = run.child.wait().unwrap();
    assert!(status.success(), "{}", run.all_lines().join("\n"));
    // What the platform received: a publish at the start, then one after
    // each StartStream (nginx names files by the second, so two publishes
    // in one second share a file: its log counts them).
    let log = std::fs::read_to_string(dir.join("nginx/logs/error.log")).unwrap();
    let publishes = log.matches("publish: name='remoteKey-4f8'").count();
    assert!(publishes >= 3, "{publishes} publish(es):\n{log}");
    let files = nginx.received_all("remoteKey-4f8");
    for f in &files {
        assert!(video_packets(f) > 0, "{f:?} has no video");
    }
    let log = run.all_lines().join("\n");
    assert!(!log.contains(PASSWORD) && !log.contains("remoteKey-4f8"), "{log}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn check_refuses_a_remote_off_this_machine_without_a_password() {
    let dir = tempdir("remote-check");
    let text = small_show("Open remote") + "\n[remote]\nlisten = \"0.0.0.0:4455\"\n";
    std::fs::write(dir.join("show.toml"), &text).unwrap();
    let out = Command::new(showroom_bin())
        .args(["check", "show.toml"])
        .current_dir(&dir)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).to_string() + &String::from_utf8_lossy(&out.stdout);
    assert!(!out.status.success(), "{stderr}");
    assert!(stderr.contains("without a password"), "{stderr}");
    assert!(stderr.contains("password = { keyring"), "{stderr}");
    // An inline password is refused like an inline key.
    std::fs::write(
        dir.join("show.toml"),
        small_show("Inline") + "\n[remote]\npassword = \"hunter22\"\n",
    )
    .unwrap();
    let out = Command::new(showroom_bin())
        .args(["check", "show.toml"])
        .current_dir(&dir)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stderr).to_string() + &String::from_utf8_lossy(&out.stdout);
    assert!(!out.status.success());
    assert!(
        text.contains("[remote] password: a password is written in the show file"),
        "{text}"
    );
    assert!(!text.contains("hunter22"), "{text}");
    let _ = std::fs::remove_dir_all(&dir);
}
