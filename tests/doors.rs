//! The chat bridge probed as an attacker and a careless user would
//! (docs/security.md): 5,000 connections held against `showroom run` whose
//! open-file limit is 1,024 while its ingest server restarts; a real headless
//! Chromium page on another origin (and a DNS-rebound name) trying to sell
//! stock; a foreign Host header; 400 messages of the largest size.

mod support;

use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use showroom::chat::connectors::{SourceConfig, SourceKind};
use showroom::chat::{Chat, ChatConfig};
use showroom::secrets::{KeyRef, Secret};
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};
use support::*;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const CATALOG: &str = "id,code,title,option,price,currency,stock\nshirt,A1,Linen Shirt,M,39,USD,5\n";

fn msg(id: &str, text: &str) -> Value {
    json!({"platform": "tiktok", "id": id, "author": {"id": "u1", "name": "@ann"}, "text": text})
}

/// A raw HTTP/1.1 request; returns the status code and the body.
fn raw(addr: SocketAddr, request: &[u8]) -> (u16, String) {
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    s.write_all(request).unwrap();
    let mut out = String::new();
    let _ = s.read_to_string(&mut out);
    let code = out.split(' ').nth(1).and_then(|c| c.parse().ok()).unwrap_or(0);
    let body = out.split("\r\n\r\n").nth(1).unwrap_or("").to_string();
    (code, body)
}

fn post(addr: SocketAddr, token: &str, body: &str) -> (u16, Value) {
    let r = reqwest::blocking::Client::new()
        .post(format!("http://{addr}/v1/messages"))
        .header("content-type", "application/json")
        .bearer_auth(token)
        .body(body.to_string())
        .timeout(Duration::from_secs(30))
        .send()
        .unwrap();
    let code = r.status().as_u16();
    (code, r.json().unwrap_or(Value::Null))
}

fn chat(dir: &Path) -> Chat {
    let (catalog, problems) = showroom::products::catalog::import_csv(CATALOG, "t.csv", None);
    assert!(problems.is_empty(), "{problems:?}");
    Chat::open(
        &ChatConfig {
            log: dir.join("chat.jsonl"),
            keywords: vec!["sold".into()],
            blocked_words: vec![],
            shopify: None,
            sources: vec![SourceConfig {
                name: "Bridge".into(),
                kind: SourceKind::Bridge {
                    listen: "127.0.0.1:0".parse().unwrap(),
                    token: KeyRef::Inline(Secret::new(BRIDGE_TOKEN)),
                    guard: Default::default(),
                },
            }],
        },
        catalog,
        None,
    )
    .unwrap()
}

#[test]
fn every_refusal_is_json_and_names_what_to_fix() {
    let dir = tempdir("doors-refusals");
    let chat = chat(&dir);
    let addr = chat.bridges()[0];
    let t = BRIDGE_TOKEN;
    let one = msg("1", "hi").to_string();
    let cases: Vec<(String, u16, Option<&str>)> = vec![
        // DNS rebinding: a name that resolves to 127.0.0.1 is still not ours.
        (
            format!(
                "POST /v1/messages HTTP/1.1\r\nHost: evil.example:{}\r\nAuthorization: Bearer {t}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{one}",
                addr.port(),
                one.len()
            ),
            421,
            Some("Host"),
        ),
        (
            format!(
                "POST /v1/messages HTTP/1.1\r\nHost: 127.0.0.1\r\nOrigin: https://evil.example\r\nAuthorization: Bearer {t}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{one}",
                one.len()
            ),
            403,
            Some("Origin"),
        ),
        (
            format!(
                "POST /v1/messages HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{one}",
                one.len()
            ),
            401,
            Some("token"),
        ),
        (
            format!(
                "POST /v1/messages HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {t}\r\nContent-Type: text/plain\r\nContent-Length: {}\r\n\r\n{one}",
                one.len()
            ),
            415,
            Some("Content-Type"),
        ),
        (
            format!(
                "POST /v1/messages HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {t}\r\nContent-Type: application/json\r\nContent-Length: 300000\r\n\r\n"
            ),
            413,
            None,
        ),
        (
            "OPTIONS /v1/messages HTTP/1.1\r\nHost: 127.0.0.1\r\nOrigin: https://evil.example\r\nAccess-Control-Request-Method: POST\r\n\r\n".to_string(),
            405,
            None,
        ),
        ("GET /admin HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".to_string(), 404, None),
        (
            format!(
                "POST /v1/messages HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {t}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{}",
                r#"{"platform":"tiktok","id":"1","author":{"name":"a"},"text":"x","kind":5}"#.len(),
                r#"{"platform":"tiktok","id":"1","author":{"name":"a"},"text":"x","kind":5}"#
            ),
            400,
            Some("kind"),
        ),
    ];
    for (request, want, field) in cases {
        let request = request.replace("HTTP/1.1\r\n", "HTTP/1.1\r\nConnection: close\r\n");
        let (code, body) = raw(addr, request.as_bytes());
        let first = request.lines().next().unwrap_or("").to_string();
        assert_eq!(code, want, "{first}: {body}");
        let v: Value = serde_json::from_str(&body).unwrap_or_else(|_| panic!("{first}: not JSON: {body}"));
        assert!(v["error"].as_str().is_some_and(|e| e.len() > 10), "{first}: {v}");
        assert_eq!(v["field"].as_str(), field, "{first}: {v}");
        assert!(!body.contains("access-control"), "no CORS");
    }
    // A body that is not UTF-8.
    let mut bad = format!(
        "POST /v1/messages HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\nAuthorization: Bearer {t}\r\nContent-Type: application/json\r\nContent-Length: 4\r\n\r\n\"a"
    )
    .into_bytes();
    bad.extend([0xC3, b'"']);
    let (code, body) = raw(addr, &bad);
    assert_eq!(code, 400, "{body}");
    let v: Value = serde_json::from_str(&body).unwrap();
    assert!(v["error"].as_str().unwrap().contains("not UTF-8"), "{v}");
    // A binary WebSocket frame is answered; a message over the limit closes
    // the socket with 1009 and says why.
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        use tokio_tungstenite::tungstenite::Message as Ws;
        let (mut ws, _) = tokio_tungstenite::connect_async(format!("ws://{addr}/v1/ws?token={t}"))
            .await
            .unwrap();
        ws.send(Ws::Binary(vec![1u8, 2, 3].into())).await.unwrap();
        let Some(Ok(Ws::Text(reply))) = ws.next().await else {
            panic!("no answer to a binary frame")
        };
        let v: Value = serde_json::from_str(&reply).unwrap();
        assert_eq!(v["frame"], 1);
        assert!(
            v["error"].as_str().unwrap().contains("binary frames are not read"),
            "{v}"
        );
        ws.send(Ws::Text("x".repeat(300 * 1024).into())).await.unwrap();
        let close = loop {
            match ws.next().await {
                Some(Ok(Ws::Close(c))) => break c,
                Some(Ok(_)) => continue,
                other => panic!("no close frame: {other:?}"),
            }
        };
        let close = close.expect("a close frame with a reason");
        assert_eq!(u16::from(close.code), 1009);
        assert!(close.reason.contains("256 KiB"), "{}", close.reason);
    });
    assert_eq!(chat.state().total(), 0, "nothing refused was taken");
    let (code, v) = post(addr, t, &one);
    assert_eq!((code, v["accepted"].as_u64()), (200, Some(1)), "{v}");
}

struct Browser {
    driver: std::process::Child,
    /// The session's URL: deleting it closes the browser.
    end: String,
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = reqwest::blocking::Client::new()
            .delete(&self.end)
            .timeout(Duration::from_secs(20))
            .send();
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

/// A page the host opens in a real browser, on another origin, that knows
/// (or guessed) the token: a simple POST, a JSON fetch and a WebSocket, to
/// the bridge's address and to a DNS-rebound name — nothing gets in.
#[test]
fn a_hostile_web_page_in_chromium_cannot_sell_stock() {
    let dir = tempdir("doors-browser");
    let chat = chat(&dir);
    let bridge = chat.bridges()[0];
    // The hostile page, served from another port (another origin).
    let page = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let page_port = page.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for s in page.incoming() {
            let Ok(mut s) = s else { continue };
            let mut buf = [0u8; 4096];
            let _ = s.read(&mut buf);
            let html = "<!doctype html><title>deals</title><p>win a prize</p>";
            let _ = write!(
                s,
                "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{html}",
                html.len()
            );
        }
    });
    let driver_port = free_port();
    let driver = Command::new("chromedriver")
        .arg(format!("--port={driver_port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("chromedriver: apt-get install chromium chromium-driver");
    let wd = format!("http://127.0.0.1:{driver_port}");
    let client = reqwest::blocking::Client::builder()
        .timeout(Duration::from_secs(120))
        .build()
        .unwrap();
    poll_until(Duration::from_secs(30), || {
        client.get(format!("{wd}/status")).send().is_ok()
    })
    .expect("chromedriver starts");
    let session: Value = client
        .post(format!("{wd}/session"))
        .json(
            &json!({"capabilities": {"alwaysMatch": {"browserName": "chrome", "goog:chromeOptions": {
            "binary": "/usr/bin/chromium",
            "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                     "--host-resolver-rules=MAP evil.test 127.0.0.1"]}}}}),
        )
        .send()
        .unwrap()
        .json()
        .unwrap();
    let id = session["value"]["sessionId"]
        .as_str()
        .unwrap_or_else(|| panic!("no browser session: {session}"))
        .to_string();
    // The browser and its driver end with the test, whatever happens.
    let browser = Browser {
        driver,
        end: format!("{wd}/session/{id}"),
    };
    let result = {
        let nav: Value = client
            .post(format!("{wd}/session/{id}/url"))
            .json(&json!({"url": format!("http://evil.test:{page_port}/")}))
            .send()
            .unwrap()
            .json()
            .unwrap();
        assert!(nav["value"].is_null(), "{nav}");
        let script = r#"
const done = arguments[arguments.length - 1];
const [bases, token] = [arguments[0], arguments[1]];
(async () => {
  const out = {};
  for (const base of bases) {
    const body = JSON.stringify({platform: "tiktok", id: "evil-" + base + Math.random(), author: {name: "@evil"}, text: "SOLD A1"});
    const r = {};
    try {
      const a = await fetch(base + "/v1/messages?token=" + token, {method: "POST", mode: "no-cors", headers: {"Content-Type": "text/plain"}, body});
      r.simple = "sent " + a.type;
    } catch (e) { r.simple = "failed " + e.message; }
    try {
      const a = await fetch(base + "/v1/messages?token=" + token, {method: "POST", headers: {"Content-Type": "application/json"}, body});
      r.json = "status " + a.status;
    } catch (e) { r.json = "failed " + e.message; }
    r.ws = await new Promise(res => {
      const ws = new WebSocket(base.replace("http", "ws") + "/v1/ws?token=" + token);
      ws.onopen = () => { ws.send(body); setTimeout(() => res("open"), 1500); };
      ws.onerror = () => res("error");
      ws.onclose = e => res("closed " + e.code);
    });
    out[base] = r;
  }
  done(out);
})();
"#;
        let bases = [
            format!("http://127.0.0.1:{}", bridge.port()),
            format!("http://evil.test:{}", bridge.port()),
        ];
        let v: Value = client
            .post(format!("{wd}/session/{id}/execute/async"))
            .json(&json!({"script": script, "args": [bases, BRIDGE_TOKEN]}))
            .send()
            .unwrap()
            .json()
            .unwrap();
        v["value"].clone()
    };
    drop(browser);
    eprintln!("what the page saw: {result}");
    for (base, r) in result.as_object().expect("the page reported") {
        // The browser sent the simple POST (the page cannot see the answer);
        // the JSON fetch needs CORS, which nothing answers; the WebSocket is
        // refused at the handshake.
        assert_eq!(r["simple"], "sent opaque", "{base}: {r}");
        assert!(r["json"].as_str().unwrap().starts_with("failed"), "{base}: {r}");
        assert_ne!(r["ws"], "open", "{base}: {r}");
    }
    assert_eq!(result.as_object().unwrap().len(), 2);
    // Nothing got in: no message, no claim, the stock as it was.
    std::thread::sleep(Duration::from_millis(500));
    let s = chat.state();
    assert_eq!(s.total(), 0, "a message from the page got in");
    assert!(s.ledger.claims().is_empty());
    assert_eq!(s.ledger.left(0, 0), Some(5));
    assert_eq!(std::fs::read_to_string(chat.log_path()).unwrap_or_default(), "");
}

/// The show of the flood test: one destination and a bridge.
fn flood_show(rtmp: u16, bridge: u16) -> String {
    small_show("Doors")
        + &destination_and_bridge(
            &format!("rtmp://127.0.0.1:{rtmp}/live/doors"),
            &format!("127.0.0.1:{bridge}"),
        )
}

fn rss_kib(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

/// The show under test; killed if the test stops half-way.
struct Show(std::process::Child);

impl Drop for Show {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// What one held connection saw within `wait`.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Held {
    /// Answered 503 with a reason.
    Refused,
    /// Closed without an answer (or never connected: the backlog was full).
    Closed,
    /// Still open, nothing answered: admitted, waiting for its headers.
    Open,
}

#[test]
fn five_thousand_held_connections_do_not_take_the_show_down() {
    let _heavy = heavy_lock();
    // This test holds 5,000 sockets itself.
    let limit = showroom::listener::open_file_limit();
    let flood = 5_000usize.min(limit.saturating_sub(200) as usize);
    assert!(flood >= 2_000, "the test's open-file limit ({limit}) is too low");
    let dir = tempdir("doors-flood");
    let mut nginx = Nginx::start_with(&dir.join("nginx"), true);
    let bridge_port = free_port();
    std::fs::write(dir.join("show.toml"), flood_show(nginx.rtmp_port, bridge_port)).unwrap();
    write_token(&dir);
    let stats = dir.join("stats.json");
    let stderr = std::fs::File::create(dir.join("stderr.txt")).unwrap();
    let mut cmd = Command::new(showroom_bin());
    // Told to quit when the test is done; the duration only bounds a test
    // that fails half-way.
    cmd.args(["run", "show.toml", "--duration", "300"])
        .arg(format!("--stats-json={}", stats.display()))
        .current_dir(&dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(stderr);
    // The open-file limit of the machine in the report: 1,024, soft and hard.
    {
        use std::os::unix::process::CommandExt;
        // SAFETY: only setrlimit between fork and exec.
        unsafe {
            cmd.pre_exec(|| {
                let r = libc::rlimit {
                    rlim_cur: 1024,
                    rlim_max: 1024,
                };
                if libc::setrlimit(libc::RLIMIT_NOFILE, &r) != 0 {
                    return Err(std::io::Error::last_os_error());
                }
                Ok(())
            });
        }
    }
    let mut child = Show(cmd.spawn().unwrap());
    let pid = child.0.id();
    let addr: SocketAddr = format!("127.0.0.1:{bridge_port}").parse().unwrap();
    let mut n = 0;
    let mut send = |text: &str| {
        n += 1;
        post(addr, BRIDGE_TOKEN, &msg(&format!("ok{n}"), text).to_string())
    };
    poll_until(Duration::from_secs(60), || {
        TcpStream::connect(addr).is_ok()
            && nginx
                .received_all("doors")
                .iter()
                .any(|f| f.metadata().is_ok_and(|m| m.len() > 20_000))
    })
    .expect("the show goes live and its bridge listens");
    assert_eq!(send("before the flood").0, 200);

    // 5,000 connections from another address, each sending half a request.
    let rt = tokio::runtime::Runtime::new().unwrap();
    let t0 = Instant::now();
    let (seen, sockets) = rt.block_on(async {
        let mut tasks = Vec::new();
        for _ in 0..flood {
            tasks.push(tokio::spawn(async move {
                let sock = tokio::net::TcpSocket::new_v4().ok()?;
                sock.bind("127.0.0.2:0".parse().unwrap()).ok()?;
                let mut s = tokio::time::timeout(Duration::from_secs(5), sock.connect(addr))
                    .await
                    .ok()?
                    .ok()?;
                s.write_all(b"POST /v1/messages HTTP/1.1\r\n").await.ok()?;
                Some(s)
            }));
        }
        let mut sockets = Vec::new();
        for t in tasks {
            sockets.push(t.await.unwrap());
        }
        // What each saw within 3 s (well under the 10 s header timeout).
        let mut seen = Vec::new();
        let mut reads = Vec::new();
        for s in sockets.iter_mut() {
            let s = s.take();
            reads.push(tokio::spawn(async move {
                let Some(mut s) = s else {
                    return (Held::Closed, None, None);
                };
                let mut buf = vec![0u8; 1024];
                match tokio::time::timeout(Duration::from_secs(3), s.read(&mut buf)).await {
                    Err(_) => (Held::Open, None, Some(s)),
                    Ok(Ok(0)) | Ok(Err(_)) => (Held::Closed, None, None),
                    Ok(Ok(k)) => {
                        let text = String::from_utf8_lossy(&buf[..k]).to_string();
                        (
                            if text.starts_with("HTTP/1.1 503") {
                                Held::Refused
                            } else {
                                Held::Closed
                            },
                            Some(text),
                            Some(s),
                        )
                    }
                }
            }));
        }
        let mut held = Vec::new();
        for r in reads {
            let (h, text, s) = r.await.unwrap();
            seen.push((h, text));
            held.extend(s);
        }
        (seen, held)
    });
    let count = |h: Held| seen.iter().filter(|(s, _)| *s == h).count();
    let (open, refused, closed) = (count(Held::Open), count(Held::Refused), count(Held::Closed));
    eprintln!(
        "{flood} connections in {:.1} s: {open} admitted and waiting, {refused} refused with a reason, {closed} closed",
        t0.elapsed().as_secs_f64()
    );
    let limits = showroom::chat::connectors::bridge::limits();
    assert!(open <= limits.per_address, "{open} admitted from one address");
    assert!(refused > 0, "no refusal said why");
    let reason = seen
        .iter()
        .find_map(|(h, t)| (*h == Held::Refused).then_some(t.clone()))
        .flatten()
        .unwrap();
    assert!(reason.contains("too many connections from 127.0.0.2"), "{reason}");
    assert!(reason.contains("application/json"), "{reason}");

    // The ingest server restarts while the flood is held: the destination
    // reconnects (a second recording on the server) and the show goes on.
    nginx.kill();
    std::thread::sleep(Duration::from_secs(1));
    nginx.restart();
    poll_until(Duration::from_secs(40), || {
        nginx.received_all("doors").len() >= 2
            && nginx
                .received_all("doors")
                .last()
                .unwrap()
                .metadata()
                .is_ok_and(|m| m.len() > 20_000)
    })
    .expect("the destination reconnects while the flood is held");
    // An authorised client on its own address still gets in.
    let (code, v) = send("SOLD A1 during the flood");
    assert_eq!((code, v["accepted"].as_u64()), (200, Some(1)), "{v}");
    drop(sockets);
    assert!(child.0.try_wait().unwrap().is_none(), "the show is still running");

    // 400 messages of the largest size the bridge takes.
    let rss_before = rss_kib(pid);
    let big = "x".repeat(limits.body_bytes - 200);
    for i in 0..400 {
        let body = msg(&format!("big{i}"), &big).to_string();
        assert!(body.len() <= limits.body_bytes);
        let (code, v) = post(addr, BRIDGE_TOKEN, &body);
        assert_eq!(code, 200, "{v}");
    }
    let rss_after = rss_kib(pid);
    eprintln!(
        "400 messages of {} KiB: RSS {} → {} MiB",
        body_kib(&limits),
        rss_before / 1024,
        rss_after / 1024
    );
    assert!(
        rss_after.saturating_sub(rss_before) < 96 * 1024,
        "RSS grew {} MiB for 400 messages (the chat keeps at most 64 MiB)",
        (rss_after - rss_before) / 1024
    );
    let (code, _) = send("after");
    assert_eq!(code, 200);

    writeln!(child.0.stdin.take().unwrap(), "quit").unwrap();
    let status = child.0.wait().unwrap();
    let stderr = std::fs::read_to_string(dir.join("stderr.txt")).unwrap();
    assert_eq!(status.code(), Some(0), "{stderr}");
    for bad in ["Too many open files", "GLib-ERROR", BRIDGE_TOKEN] {
        assert!(!stderr.contains(bad), "{bad} in:\n{stderr}");
    }
    let v: Value = serde_json::from_str(&std::fs::read_to_string(&stats).unwrap()).unwrap();
    let d = &v["destinations"][0];
    assert!(d["connects"].as_u64().unwrap() >= 2, "{d}");
    assert_eq!(d["dropped_frames"], 0, "{d}");
    // What was accepted is in the log, each long text cut with "…".
    let log = std::fs::read_to_string(dir.join("chat.jsonl")).unwrap();
    assert_eq!(log.lines().filter(|l| l.contains("\"t\":\"message\"")).count(), 403);
    assert!(log.contains("SOLD A1 during the flood"));
    assert!(
        log.len() < 400 * 1024,
        "the log holds the cut texts: {} bytes",
        log.len()
    );
    drop(nginx);
}

fn body_kib(l: &showroom::listener::Limits) -> usize {
    l.body_bytes / 1024
}
