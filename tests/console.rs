//! The crew console in a real browser against a real show: `showroom run`
//! with nginx-rtmp as the platform, the chat bridge as the platforms' chat,
//! and Debian's chromium driven by selenium (tests/console/pages.py; the
//! venv is made by `packaging/install-deps.sh --test`). Plus what a hostile
//! page or broken client gets: fuzzed messages on a moderator's connection,
//! a token for the wrong role, a revoked invite, a WebSocket from another
//! origin.

mod support;

use futures_util::{SinkExt, StreamExt};
use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;
use support::*;
use tokio_tungstenite::tungstenite::Message;

const KEY: &str = "consoleKey-93b";

fn show(rtmp: u16, bridge: u16) -> String {
    format!(
        r#"
[show]
name = "Console test"

[[canvases]]
id = "landscape"
width = 320
height = 180
fps = 15

[[sources]]
id = "black"
kind = "test-pattern"
pattern = "black"
width = 320
height = 180

[[sources]]
id = "white"
kind = "test-pattern"
pattern = "white"
width = 320
height = 180

[[scenes]]
id = "dark"

[[scenes.layers]]
source = "black"
place.landscape = {{ x = 0, y = 0, width = 320, height = 180 }}

[[scenes]]
id = "bright"

[[scenes.layers]]
source = "white"
place.landscape = {{ x = 0, y = 0, width = 320, height = 180 }}

[products]
catalog = "catalog.csv"

[[destinations]]
id = "shop"
platform = "custom"
canvas = "landscape"
url = "rtmp://127.0.0.1:{rtmp}/live"
key = {{ env = "CONSOLE_TEST_KEY" }}

[chat]
log = "chat.jsonl"

[[chat.sources]]
platform = "bridge"
listen = "127.0.0.1:{bridge}"
token = {{ file = "bridge.token" }}

[console]
listen = "127.0.0.1:0"
"#
    )
}

/// A small deterministic generator (xorshift), for fuzzed messages.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn pick<'a>(&mut self, of: &[&'a str]) -> &'a str {
        of[(self.next() % of.len() as u64) as usize]
    }
}

fn fuzz_message(r: &mut Rng) -> String {
    let values = [
        "1",
        "-1",
        "0.5",
        "1e308",
        "null",
        "true",
        "\"x\"",
        "\"\"",
        "[]",
        "{}",
        "[1,[2,[3]]]",
        "18446744073709551616",
        "\"\\u0000\"",
        "\"dark\"",
        "\"bright\"",
    ];
    let keys = [
        "action", "seq", "scene", "id", "code", "seconds", "text", "on", "position", "word", "quantity", "product",
    ];
    let actions = [
        "\"cut\"",
        "\"hide\"",
        "\"answer\"",
        "\"block\"",
        "\"record\"",
        "\"feature\"",
        "\"launch\"",
        "\"tbar\"",
        "\"settle_claim\"",
        "\"block_word\"",
        "\"push_question\"",
        "5",
        "null",
    ];
    match r.next() % 6 {
        0 => {
            let n = (r.next() % 200) as usize;
            (0..n).map(|_| (b' ' + (r.next() % 95) as u8) as char).collect()
        }
        1 => format!("{{\"action\": {}}}", r.pick(&actions)),
        _ => {
            let mut fields = vec![format!("\"action\": {}", r.pick(&actions))];
            for _ in 0..(r.next() % 5) {
                fields.push(format!("\"{}\": {}", r.pick(&keys), r.pick(&values)));
            }
            format!("{{{}}}", fields.join(", "))
        }
    }
}

/// A moderator's connection from outside a browser (the Origin a page of
/// the console would send), with fuzzed messages: each gets a named
/// error or a result, nothing a moderator may not do happens, and the
/// connection stays open; a frame over the limit closes it with 1009.
async fn fuzz(url: &str, token: &str) -> (u32, u32) {
    use tokio_tungstenite::tungstenite::client::IntoClientRequest;
    let host = url.trim_start_matches("http://").trim_end_matches('/');
    let ws_url = format!("ws://{host}/ws");
    // A page of another origin is refused before any token is looked at.
    let mut foreign = ws_url.as_str().into_client_request().unwrap();
    foreign
        .headers_mut()
        .insert("origin", "http://evil.test".parse().unwrap());
    let refused = tokio_tungstenite::connect_async(foreign).await;
    assert!(refused.is_err(), "a WebSocket from another origin is refused");
    let mut req = ws_url.as_str().into_client_request().unwrap();
    req.headers_mut()
        .insert("origin", format!("http://{host}").parse().unwrap());
    let (mut ws, _) = tokio_tungstenite::connect_async(req).await.unwrap();
    ws.send(Message::text(serde_json::json!({"token": token}).to_string()))
        .await
        .unwrap();
    let mut rng = Rng(0x5eed_1234_abcd);
    let (mut errors, mut results) = (0, 0);
    for i in 0..300u32 {
        let text = fuzz_message(&mut rng);
        // Spaced out under the rate limit (20 a second).
        tokio::time::sleep(Duration::from_millis(55)).await;
        ws.send(Message::text(text.clone())).await.unwrap();
        // Its answer (states and notices may come before it).
        loop {
            let m = tokio::time::timeout(Duration::from_secs(30), ws.next())
                .await
                .unwrap_or_else(|_| panic!("no answer to message {i}: {text}"))
                .unwrap_or_else(|| panic!("closed after message {i}: {text}"))
                .unwrap();
            let Message::Text(t) = m else { continue };
            let v: serde_json::Value = serde_json::from_str(t.as_str()).unwrap();
            match v["type"].as_str() {
                Some("error") => {
                    assert!(
                        v["error"].as_str().is_some_and(|e| !e.is_empty()),
                        "an error says what is wrong: {v}"
                    );
                    errors += 1;
                    break;
                }
                Some("result") => {
                    results += 1;
                    break;
                }
                _ => {}
            }
        }
    }
    // A frame over the 1 MiB limit closes the connection with 1009.
    let _ = ws.send(Message::text("x".repeat(2 << 20))).await;
    let mut code = None;
    while let Ok(Some(m)) = tokio::time::timeout(Duration::from_secs(30), ws.next()).await {
        match m {
            Ok(Message::Close(Some(f))) => {
                code = Some(u16::from(f.code));
                break;
            }
            Ok(_) => {}
            Err(_) => break,
        }
    }
    assert!(
        matches!(code, Some(1009) | None),
        "an oversized frame closes the page's connection: {code:?}"
    );
    (errors, results)
}

#[test]
fn the_crew_runs_the_show_from_their_own_pages() {
    let _heavy = heavy_lock();
    let dir = tempdir("console");
    let nginx = Nginx::start_with(&dir.join("nginx"), true);
    write_token(&dir);
    std::fs::write(
        dir.join("catalog.csv"),
        "id,code,title,price,currency,stock,note\nmug,A1,Mug,18,USD,5,Cheap and cheerful: say the handle is dishwasher safe\ncap,B2,Cap,25,USD,2,\n",
    )
    .unwrap();
    let bridge = free_port();
    std::fs::write(dir.join("show.toml"), show(nginx.rtmp_port, bridge)).unwrap();
    let mut run = ShowRun::start(
        &dir,
        &["run", "show.toml", "--duration", "600", "--events", "events.jsonl"],
        &[
            ("CONSOLE_TEST_KEY", KEY),
            ("XDG_STATE_HOME", dir.join("state").to_str().unwrap()),
        ],
    );
    let announce = run.line(|l| l.starts_with("crew console: http://"));
    let url = announce["crew console: ".len()..]
        .split(' ')
        .next()
        .unwrap()
        .to_string();
    run.line(|l| l.contains(" live "));
    let mut links = serde_json::Map::new();
    let mut ids = std::collections::HashMap::new();
    for (role, name) in [
        ("moderator", "Ana"),
        ("moderator", "Bo"),
        ("producer", "Pat"),
        ("host", "Hal"),
        ("brand", "Bea"),
    ] {
        let (id, link) = invite(&mut run, role, name);
        assert!(link.starts_with(&format!("{url}#")), "{link}");
        ids.insert(name, id);
        links.insert(name.to_lowercase(), link.into());
    }
    let shots = dir.join("screenshots");
    std::fs::create_dir_all(&shots).unwrap();
    let cfg = serde_json::json!({
        "links": links,
        "bridge": format!("http://127.0.0.1:{bridge}/v1/messages"),
        "bridge_token": BRIDGE_TOKEN,
        "out": shots,
    });
    let mut py = Command::new(venv_python())
        .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/console/pages.py"))
        .arg(cfg.to_string())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut to_py = py.stdin.take().unwrap();
    let mut steps = Vec::new();
    for l in BufReader::new(py.stdout.take().unwrap()).lines().map_while(Result::ok) {
        let v: serde_json::Value = serde_json::from_str(&l).unwrap_or(serde_json::json!({ "raw": l }));
        if v["step"] == "revoke_bo" {
            run.type_line(&format!("revoke {}", ids["Bo"]));
            run.line(|l| l.starts_with(&format!("ok: invite {} (Bo", ids["Bo"])));
            writeln!(to_py, "revoked").unwrap();
        }
        steps.push(v);
    }
    let out = py.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "the browser part failed: {}\n{steps:#?}\n{}",
        String::from_utf8_lossy(&out.stderr),
        run.all_lines().join("\n")
    );
    assert!(steps.iter().any(|s| s["step"] == "done"), "{steps:#?}");

    // What each view says, read from its screenshots as a person would.
    for (file, labels) in [
        ("moderator-phone", &["Chat", "Answered", "Hide"][..]),
        ("moderator-laptop", &["Claims", "Blocked"][..]),
        ("host-phone", &["QUESTION", "how much is the mug"][..]),
        ("host-phone-product", &["ON AIR NOW", "Mug", "$18.00"][..]),
        ("host-phone-dark", &["ON AIR NOW", "Mug"][..]),
        ("host-laptop", &["NEXT", "Cap"][..]),
        ("producer-laptop", &["Scenes", "Products", "Preview"][..]),
        (
            "producer-laptop-preview",
            &["Preview and program", "bright (preview)"][..],
        ),
        ("producer-phone", &["Program"][..]),
        ("brand-phone", &["Sales", "Revenue"][..]),
        ("brand-laptop", &["Mug", "$18.00"][..]),
    ] {
        let text = page_ocr(&shots.join(format!("{file}.png")));
        for l in labels {
            assert!(text.contains(l), "{file}: `{l}` not read in:\n{text}");
        }
    }

    // Fuzzed messages on a moderator's connection: named errors, and the
    // show stays live on the program the producer chose.
    let ana = links["ana"].as_str().unwrap().split('#').nth(1).unwrap().to_string();
    let rt = tokio::runtime::Runtime::new().unwrap();
    let (errors, results) = rt.block_on(fuzz(&url, &ana));
    assert!(errors > 200, "{errors} errors, {results} results");
    run.type_line("crew");
    run.line(|l| l.starts_with("crew: invite") && l.contains("Pat"));
    run.type_line("quit");
    let status = run.child.wait().unwrap();
    let log = run.all_lines().join("\n");
    assert!(status.success(), "{log}");

    // The platform received the dark scene, then the producer's cut to bright.
    let events = std::fs::read_to_string(dir.join("events.jsonl")).unwrap();
    assert!(events.contains("\"cut\"") && events.contains("\"bright\""), "{events}");
    assert!(events.contains("\"feature\"") && events.contains("\"A1\""), "{events}");
    assert!(
        events
            .lines()
            .any(|l| l.contains("\"comment\"") && l.contains("@ann") && l.contains("how much is the mug?")),
        "the moderator's On screen put @ann's message on the card: {events}"
    );
    let files = nginx.received_all(KEY);
    let received = files.last().expect("nginx received the stream");
    let facts = stream_facts(received);
    let first = grab_i420(received, 0.2, 320, 180);
    let last = grab_i420(received, (facts.duration - 1.0).max(0.5), 320, 180);
    let (y0, _, _) = yuv_at(&first, 320, 180, 160, 20);
    let (y1, _, _) = yuv_at(&last, 320, 180, 160, 20);
    assert!(y0 < 40.0, "the show began on the dark scene (Y {y0})");
    assert!(y1 > 200.0, "the producer's cut reached the platform (Y {y1})");
    // No token or key in anything the run printed.
    for (_, l) in &links {
        let token = l.as_str().unwrap().split('#').nth(1).unwrap();
        assert!(!log.contains(token), "an invite token is in the output:\n{log}");
    }
    assert!(!log.contains(KEY), "{log}");
    assert!(
        !dir.join("state/showroom/invites").exists()
            || std::fs::read_dir(dir.join("state/showroom/invites"))
                .unwrap()
                .next()
                .is_none(),
        "the invites' files went with the show"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn check_refuses_a_console_off_this_machine_without_tls() {
    let dir = tempdir("console-check");
    std::fs::write(
        dir.join("show.toml"),
        format!(
            "{}\n[console]\nlisten = \"0.0.0.0:8790\"\n",
            small_show("Console check")
        ),
    )
    .unwrap();
    let out = Command::new(showroom_bin())
        .args(["check", "show.toml"])
        .current_dir(&dir)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{err}");
    assert!(
        err.contains("[console] listens on 0.0.0.0:8790 over plain HTTP"),
        "{err}"
    );
    assert!(err.contains("tls = \"self-signed\""), "{err}");
    let _ = std::fs::remove_dir_all(&dir);
}

/// The SHA-256 fingerprint of a DER certificate, as openssl writes it.
fn openssl_fingerprint(der: &[u8], dir: &Path) -> String {
    let path = dir.join("peer.der");
    std::fs::write(&path, der).unwrap();
    let out = Command::new("openssl")
        .args(["x509", "-inform", "der", "-noout", "-fingerprint", "-sha256", "-in"])
        .arg(&path)
        .output()
        .expect("openssl");
    String::from_utf8_lossy(&out.stdout)
        .trim()
        .split('=')
        .nth(1)
        .unwrap_or("")
        .to_string()
}

/// HTTPS, as a show off this machine serves its console: a self-signed
/// certificate whose fingerprint `showroom run` prints, or the user's own.
/// The page comes with its strict Content-Security-Policy; plain HTTP to
/// the port gets nothing.
#[test]
fn the_console_over_https_shows_the_certificate_it_serves() {
    let dir = tempdir("console-tls");
    let ok = Command::new("openssl")
        .args([
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-keyout",
            "key.pem",
            "-out",
            "cert.pem",
            "-subj",
            "/CN=localhost",
            "-days",
            "2",
        ])
        .current_dir(&dir)
        .output()
        .expect("openssl");
    assert!(ok.status.success(), "{}", String::from_utf8_lossy(&ok.stderr));
    for tls in ["\"self-signed\"", "{ cert = \"cert.pem\", key = \"key.pem\" }"] {
        std::fs::write(
            dir.join("show.toml"),
            format!(
                "{}\n[console]\nlisten = \"127.0.0.1:0\"\ntls = {tls}\n",
                small_show("Console TLS")
            ),
        )
        .unwrap();
        let mut run = ShowRun::start(
            &dir,
            &["run", "show.toml", "--duration", "60"],
            &[("XDG_STATE_HOME", dir.join("state").to_str().unwrap())],
        );
        let line = run.line(|l| l.starts_with("crew console: "));
        let url = line["crew console: ".len()..].split(' ').next().unwrap().to_string();
        assert!(url.starts_with("https://127.0.0.1:"), "{line}");
        let shown = line
            .split("certificate SHA-256 ")
            .nth(1)
            .and_then(|r| r.split(')').next())
            .unwrap_or_else(|| panic!("no fingerprint in: {line}"))
            .to_string();
        let client = reqwest::blocking::Client::builder()
            .danger_accept_invalid_certs(true)
            .tls_info(true)
            .timeout(Duration::from_secs(30))
            .build()
            .unwrap();
        let resp = client.get(&url).send().unwrap();
        assert_eq!(resp.status(), 200);
        let csp = resp.headers()["content-security-policy"].to_str().unwrap().to_string();
        assert!(
            csp.contains("script-src 'self'") && !csp.contains("unsafe-inline"),
            "{csp}"
        );
        let der = resp
            .extensions()
            .get::<reqwest::tls::TlsInfo>()
            .and_then(|t| t.peer_certificate())
            .expect("the server's certificate")
            .to_vec();
        assert_eq!(openssl_fingerprint(&der, &dir), shown, "{tls}");
        if tls.contains("cert.pem") {
            let theirs = Command::new("openssl")
                .args(["x509", "-noout", "-fingerprint", "-sha256", "-in", "cert.pem"])
                .current_dir(&dir)
                .output()
                .unwrap();
            assert!(
                String::from_utf8_lossy(&theirs.stdout).contains(&shown),
                "the user's certificate is served"
            );
        }
        let plain = reqwest::blocking::Client::builder()
            .timeout(Duration::from_secs(15))
            .build()
            .unwrap()
            .get(url.replace("https://", "http://"))
            .send();
        assert!(
            plain.is_err() || !plain.unwrap().status().is_success(),
            "no page over plain HTTP"
        );
        run.type_line("quit");
        assert!(run.child.wait().unwrap().success(), "{}", run.all_lines().join("\n"));
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// A page that stops reading is dropped, and the show does not wait for
/// it: a moderator's connection that reads nothing while the chat pours
/// in (every message a new view of the newest 200) is closed by the
/// console, while the chat goes on being taken and the stream stays live.
#[test]
fn a_page_that_stops_reading_is_dropped_and_the_show_goes_on() {
    use tokio_tungstenite::tungstenite::client::IntoClientRequest;
    let _heavy = heavy_lock();
    let dir = tempdir("console-slow");
    write_token(&dir);
    let bridge = free_port();
    std::fs::write(
        dir.join("show.toml"),
        format!(
            "{}\n[chat]\nlog = \"chat.jsonl\"\n\n[[chat.sources]]\nplatform = \"bridge\"\nlisten = \"127.0.0.1:{bridge}\"\ntoken = {{ file = \"bridge.token\" }}\n\n[console]\nlisten = \"127.0.0.1:0\"\n",
            small_show("Console slow page")
        ),
    )
    .unwrap();
    let mut run = ShowRun::start(
        &dir,
        &["run", "show.toml", "--duration", "300", "--stats-json", "stats.json"],
        &[("XDG_STATE_HOME", dir.join("state").to_str().unwrap())],
    );
    let line = run.line(|l| l.starts_with("crew console: http://"));
    let url = line["crew console: ".len()..].split(' ').next().unwrap().to_string();
    let (_, link) = invite(&mut run, "moderator", "Slow");
    let token = link.split('#').nth(1).unwrap().to_string();
    let host = url.trim_start_matches("http://").trim_end_matches('/').to_string();
    let mut req = format!("ws://{host}/ws").into_client_request().unwrap();
    req.headers_mut()
        .insert("origin", format!("http://{host}").parse().unwrap());
    let socket = std::net::TcpStream::connect(&host).unwrap();
    let mut ws = tokio_tungstenite::tungstenite::client(req, socket).unwrap().0;
    ws.send(tokio_tungstenite::tungstenite::Message::text(format!(
        "{{\"token\":\"{token}\"}}"
    )))
    .unwrap();
    // From here on the page reads nothing. The console counts the page
    // once it has read the token, which may be after a `crew` typed now:
    // ask until it says so.
    let counted = poll_until(Duration::from_secs(60), || {
        run.type_line("crew");
        let l = run.next_line(|l| l.starts_with("crew: invite 1 · Slow"));
        l.ends_with("1 page(s) open")
    });
    assert!(
        counted.is_some(),
        "the page was never counted:\n{}",
        run.all_lines().join("\n")
    );
    let client = reqwest::blocking::Client::new();
    let post = |i: usize| {
        let batch: Vec<serde_json::Value> = (0..20)
            .map(|j| {
                let n = i * 20 + j;
                serde_json::json!({"platform": "youtube", "id": format!("m{n}"), "author": {"id": format!("u{n}"), "name": format!("viewer {n}")},
                    "text": format!("message {n}: {}", "words of a long comment ".repeat(8)), "at_ms": 1_764_230_400_000u64 + n as u64})
            })
            .collect();
        client
            .post(format!("http://127.0.0.1:{bridge}/v1/messages"))
            .bearer_auth(BRIDGE_TOKEN)
            .json(&batch)
            .timeout(Duration::from_secs(30))
            .send()
            .map(|r| r.status().as_u16())
    };
    let mut batches = 0;
    let dropped = poll_until(Duration::from_secs(120), || {
        if batches < 2000 {
            assert_eq!(post(batches).unwrap(), 200, "the chat keeps taking messages");
            batches += 1;
        }
        std::thread::sleep(Duration::from_millis(50));
        run.type_line("crew");
        let open = run
            .all_lines()
            .iter()
            .rev()
            .find(|l| l.starts_with("crew: invite 1 · Slow"))
            .cloned()
            .unwrap_or_default();
        open.ends_with("0 page(s) open")
    });
    assert!(
        dropped.is_some(),
        "the page that reads nothing was not dropped:\n{}",
        run.all_lines().join("\n")
    );
    run.type_line("quit");
    assert!(run.child.wait().unwrap().success());
    let stats: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("stats.json")).unwrap()).unwrap();
    let c = &stats["canvases"]["main"];
    assert!(c["frames_encoded"].as_u64().unwrap() > 0, "{stats}");
    drop(ws);
    let _ = std::fs::remove_dir_all(&dir);
}
