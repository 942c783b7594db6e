//! Chat benchmark: messages per second ingested *and persisted* (on disk,
//! fsynced, acknowledged), and the latency from a connector receiving a
//! message to it being in the model.
//!
//! 1. Flat out through the bridge's WebSocket (JSON parse, triage, claim
//!    parsing against a catalog, JSONL append + fdatasync per batch, ack).
//! 2. Flat out through the ingest handle (no network).
//! 3. At the live rate of the flood test (2,000 msg/s): latency p50 / p99.
//! 4. The bridge while 1,000 connections from another address are held
//!    open (re-opened as the bridge drops them: an attacker's flood), against
//!    none: WebSocket throughput and HTTP request p50 / p99.
//! 5. A flash deal on while chat floods in (a claim in every ten messages):
//!    claims per second on disk and on the card, flat out; at 2,000 msg/s,
//!    the latency from a claim's comment to the card's stock update that
//!    counts it. Peer: the same messages through triage and the ledger in
//!    memory (no log, no card) — the ceiling.
//!
//! 6. `-- metrics`: the cost of the live metrics — the chat's CPU seconds
//!    per second (this process: writer, triage, log, and the sender) at
//!    2,000 msg/s for 15 s, with the metrics kept and read as the engine
//!    does (the snapshot every second, the pulse's `metrics` event every
//!    2 s) against the same with them off; twice each, alternating.
//!
//! Peer in the same run: a bare JSONL writer — serialise, write, fdatasync
//! per batch of the same size, nothing else — the floor for durable logging.
//!
//!     cargo bench --bench chat

use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use showroom::chat::connectors::{SourceConfig, SourceKind};
use showroom::chat::model::{Author, Kind, Message, Platform};
use showroom::chat::{Chat, ChatConfig, p99};
use showroom::secrets::{KeyRef, Secret};

const TOKEN: &str = "bench-token";
use std::io::Write;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};
use tokio_tungstenite::tungstenite::Message as Ws;

const N: u64 = 200_000;
const PER_FRAME: u64 = 50;

fn catalog() -> showroom::products::catalog::Catalog {
    let mut csv = String::from("id,code,title,option,price,currency,stock\n");
    for i in 0..40 {
        csv.push_str(&format!("p{i},A{i},Product {i},S,20,USD,50\np{i},A{i},,M,20,USD,50\n"));
    }
    showroom::products::catalog::import_csv(&csv, "bench.csv", None).0
}

fn text(i: u64) -> String {
    match i % 10 {
        0 => format!("SOLD A{} M", i % 40),
        1 => "how much is shipping to Canada?".into(),
        2 => "¿cuánto cuesta la talla M?".into(),
        _ => format!("love this color {i}"),
    }
}

fn open(dir: &std::path::Path) -> Chat {
    let _ = std::fs::remove_dir_all(dir);
    Chat::open(
        &ChatConfig {
            log: dir.join("chat.jsonl"),
            keywords: vec!["sold".into()],
            blocked_words: vec!["scam".into()],
            shopify: None,
            sources: vec![SourceConfig {
                name: "Bridge".into(),
                kind: SourceKind::Bridge {
                    listen: "127.0.0.1:0".parse().unwrap(),
                    token: KeyRef::Inline(Secret::new(TOKEN)),
                    guard: Default::default(),
                },
            }],
        },
        catalog(),
        None,
    )
    .unwrap()
}

fn message(i: u64) -> Message {
    Message {
        platform: Platform::TikTok,
        id: format!("m{i}"),
        author: Author {
            id: format!("u{}", i % 3000),
            name: format!("buyer{}", i % 3000),
            avatar: None,
            badges: vec![],
        },
        text: text(i),
        at_ms: 1_764_230_400_000 + i,
        kind: Kind::Text,
    }
}

/// Sends `n` messages over the bridge WebSocket, `rate` per second (None:
/// as fast as acks allow). Returns seconds until the last ack.
fn over_websocket(chat: &Chat, n: u64, rate: Option<u64>) -> f64 {
    let addr = chat.bridges()[0];
    let rt = tokio::runtime::Runtime::new().unwrap();
    let acked = Arc::new(AtomicU64::new(0));
    let t0 = Instant::now();
    rt.block_on(async {
        let (ws, _) = tokio_tungstenite::connect_async(format!("ws://{addr}/v1/ws?token={TOKEN}")).await.unwrap();
        let (mut tx, mut rx) = ws.split();
        let a = acked.clone();
        let reader = tokio::spawn(async move {
            while let Some(Ok(Ws::Text(t))) = rx.next().await {
                let v: Value = serde_json::from_str(&t).unwrap();
                if a.fetch_add(v["accepted"].as_u64().unwrap_or(0), Ordering::Relaxed) + PER_FRAME >= n {
                    return;
                }
            }
        });
        let mut tick = rate.map(|r| tokio::time::interval(Duration::from_secs_f64(PER_FRAME as f64 / r as f64)));
        let mut i = 0;
        while i < n {
            if let Some(t) = &mut tick {
                t.tick().await;
            }
            let frame: Vec<Value> = (i..i + PER_FRAME)
                .map(|k| json!({"platform": "tiktok", "id": format!("w{k}"), "author": {"id": format!("u{}", k % 3000), "name": format!("buyer{}", k % 3000)}, "text": text(k)}))
                .collect();
            tx.send(Ws::Text(Value::Array(frame).to_string().into())).await.unwrap();
            i += PER_FRAME;
        }
        reader.await.unwrap();
    });
    t0.elapsed().as_secs_f64()
}

/// Keeps `n` connections from 127.0.0.2 open against `addr`, each having
/// sent half a request, re-opening those the bridge closes, until `stop`.
fn hold(addr: std::net::SocketAddr, n: usize, stop: Arc<std::sync::atomic::AtomicBool>) -> std::thread::JoinHandle<()> {
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async move {
            let mut tasks = Vec::new();
            for _ in 0..n {
                let stop = stop.clone();
                tasks.push(tokio::spawn(async move {
                    use tokio::io::{AsyncReadExt, AsyncWriteExt};
                    while !stop.load(Ordering::Relaxed) {
                        let Ok(sock) = tokio::net::TcpSocket::new_v4() else {
                            return;
                        };
                        if sock.bind("127.0.0.2:0".parse().unwrap()).is_err() {
                            return;
                        }
                        let Ok(Ok(mut s)) = tokio::time::timeout(Duration::from_secs(2), sock.connect(addr)).await
                        else {
                            tokio::time::sleep(Duration::from_millis(100)).await;
                            continue;
                        };
                        let _ = s.write_all(b"POST /v1/messages HTTP/1.1\r\n").await;
                        let mut buf = [0u8; 512];
                        // Held until the bridge answers or closes it.
                        while !stop.load(Ordering::Relaxed) {
                            match tokio::time::timeout(Duration::from_millis(200), s.read(&mut buf)).await {
                                Err(_) => continue,
                                Ok(Ok(k)) if k > 0 => continue,
                                Ok(_) => break,
                            }
                        }
                    }
                }));
            }
            for t in tasks {
                let _ = t.await;
            }
        });
    })
}

/// `n` single-message POSTs on one keep-alive connection; per-request ms.
fn http_latencies(addr: std::net::SocketAddr, n: usize) -> Vec<f32> {
    let client = reqwest::blocking::Client::new();
    let mut out = Vec::with_capacity(n);
    for i in 0..n {
        let body = json!({"platform": "tiktok", "id": format!("h{i}-{}", std::process::id()), "author": {"name": "ann"}, "text": text(i as u64)});
        let t = Instant::now();
        let r = client
            .post(format!("http://{addr}/v1/messages"))
            .header("content-type", "application/json")
            .bearer_auth(TOKEN)
            .body(body.to_string())
            .send()
            .unwrap();
        assert_eq!(r.status().as_u16(), 200);
        out.push(t.elapsed().as_secs_f32() * 1000.0);
    }
    out.sort_by(f32::total_cmp);
    out
}

fn peer_jsonl(dir: &std::path::Path) -> f64 {
    let path = dir.join("peer.jsonl");
    let mut f = std::fs::File::create(&path).unwrap();
    let t0 = Instant::now();
    let mut buf = Vec::new();
    for chunk in (0..N).collect::<Vec<_>>().chunks(4096) {
        buf.clear();
        for i in chunk {
            serde_json::to_writer(&mut buf, &message(*i)).unwrap();
            buf.push(b'\n');
        }
        f.write_all(&buf).unwrap();
        f.sync_data().unwrap();
    }
    t0.elapsed().as_secs_f64()
}

/// The catalog of part 5: 40 products × 2 variants, `stock` each.
fn stocked(stock: u32) -> showroom::products::catalog::Catalog {
    let mut csv = String::from("id,code,title,option,price,currency,stock\n");
    for i in 0..40 {
        csv.push_str(&format!(
            "p{i},A{i},Product {i},S,20,USD,{stock}\np{i},A{i},,M,20,USD,{stock}\n"
        ));
    }
    showroom::products::catalog::import_csv(&csv, "bench.csv", None).0
}

fn units_left(c: &showroom::products::catalog::Catalog) -> u64 {
    c.products
        .iter()
        .flat_map(|p| &p.variants)
        .filter_map(|v| v.stock)
        .map(u64::from)
        .sum()
}

/// Part 5's deal: A0 at 15.00 for ten minutes, no cap, no limit.
fn a0_deal() -> showroom::chat::state::Action {
    showroom::chat::state::Action::StartDeal(showroom::chat::deals::DealRequest {
        product_id: "p0".into(),
        price: "15".into(),
        seconds: 600,
        cap: None,
        per_buyer: None,
    })
}

/// Part 5: a flash deal on A0 while chat floods in (one message in ten a
/// claim), `n` messages at `rate` per second (None: flat out). Returns
/// (seconds until the last claim is on disk, claims, claim → card
/// latencies in ms: ingest to the card's stock update that counts it).
fn flash_deal(dir: &std::path::Path, n: u64, rate: Option<u64>) -> (f64, u64, Vec<f32>) {
    use std::sync::Mutex;
    let _ = std::fs::remove_dir_all(dir);
    const STOCK: u32 = 100_000;
    let full = units_left(&stocked(STOCK));
    let sent: Arc<Mutex<std::collections::VecDeque<Instant>>> = Arc::default();
    let lat: Arc<Mutex<Vec<f32>>> = Arc::default();
    let counted = Arc::new(AtomicU64::new(0));
    let sink: showroom::chat::StockSink = {
        let (sent, lat, counted) = (sent.clone(), lat.clone(), counted.clone());
        Box::new(move |catalog, _on_sale| {
            // Claims are one unit each: the units gone are the claims the card shows.
            let shown = full - units_left(catalog);
            let now = Instant::now();
            let mut sent = sent.lock().unwrap();
            let mut lat = lat.lock().unwrap();
            while counted.load(Ordering::Relaxed) < shown {
                let Some(t) = sent.pop_front() else { break };
                lat.push((now - t).as_secs_f32() * 1000.0);
                counted.fetch_add(1, Ordering::Relaxed);
            }
        })
    };
    let chat = Chat::open_with(
        &ChatConfig {
            log: dir.join("chat.jsonl"),
            keywords: vec!["sold".into()],
            blocked_words: vec!["scam".into()],
            shopify: None,
            sources: Vec::new(),
        },
        stocked(STOCK),
        Some(sink),
        None,
    )
    .unwrap();
    drop(chat.act(a0_deal()).unwrap());
    let ingest = chat.ingest();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let claims = n / 10;
    let t0 = Instant::now();
    rt.block_on(async {
        let mut tick = rate.map(|r| tokio::time::interval(Duration::from_secs_f64(10.0 / r as f64)));
        for i in 0..n {
            if i % 10 == 0 {
                if let Some(t) = &mut tick {
                    t.tick().await;
                }
                sent.lock().unwrap().push_back(Instant::now());
            }
            // "SOLD A{k} M" every tenth message; buyers spread over 3,000.
            ingest.send(message(i)).await;
        }
    });
    while counted.load(Ordering::Relaxed) < claims && t0.elapsed() < Duration::from_secs(120) {
        std::thread::sleep(Duration::from_millis(1));
    }
    let secs = t0.elapsed().as_secs_f64();
    let deal_claims = chat.state().ledger.claims().iter().filter(|c| c.deal.is_some()).count();
    assert_eq!(
        deal_claims as u64,
        n / 40,
        "every claim of A0 (one message in forty) got the deal's price"
    );
    drop(chat);
    let mut lat = lat.lock().unwrap().clone();
    lat.sort_by(f32::total_cmp);
    (secs, counted.load(Ordering::Relaxed), lat)
}

/// Peer of part 5: the same messages through triage, the claim parser and
/// the ledger in memory — no log, no writer thread, no card.
fn flash_deal_in_memory(n: u64) -> f64 {
    let mut s = showroom::chat::state::ChatState::new(
        showroom::chat::ledger::Ledger::new(stocked(100_000)),
        &["sold"],
        vec!["scam".into()],
    );
    let deal = s.decide_action(a0_deal()).unwrap();
    deal.into_iter().for_each(|r| {
        s.apply(r);
    });
    let t0 = Instant::now();
    for i in 0..n {
        for r in s.decide_message(message(i)) {
            s.apply(r);
        }
    }
    t0.elapsed().as_secs_f64()
}

/// Part 5 (alone: `cargo bench --bench chat -- deal`).
fn deal_part(dir: &std::path::Path) {
    let (secs, claims, _) = flash_deal(&dir.join("deal-flat"), N, None);
    println!(
        "flash deal, flat out: {N} messages, {claims} claims on disk and on the card in {secs:.2} s = {:.0} claims/s",
        claims as f64 / secs
    );
    let (secs, claims, lat) = flash_deal(&dir.join("deal-paced"), 20_000, Some(2000));
    println!(
        "flash deal at 2,000 msg/s: {claims} claims in {secs:.1} s; claim → card stock p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
        lat[lat.len() / 2],
        p99(&lat),
        lat.last().unwrap()
    );
    let secs = flash_deal_in_memory(N);
    println!(
        "peer, the same messages through triage + ledger in memory (no log, no card): {:.0} claims/s",
        (N / 10) as f64 / secs
    );
}

/// This process's CPU time so far (user + system), in seconds.
fn cpu_s() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // Fields after the command's closing parenthesis: utime is the 12th, stime the 13th.
    let rest = stat.rsplit(')').next().unwrap_or("");
    let f: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |i: usize| f.get(i).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0);
    (ticks(11) + ticks(12)) / 100.0
}

/// CPU-s/s of 15 s of chat at 2,000 msg/s, metrics kept and read (on) or not.
fn metrics_run(dir: &std::path::Path, on: bool) -> f64 {
    let chat = open(dir);
    chat.state().metrics.off = !on;
    let ingest = chat.ingest();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .unwrap();
    let (secs, batch) = (15u64, 50u64);
    let n = 2000 * secs;
    let (c0, t0) = (cpu_s(), Instant::now());
    let mut read_at = (Instant::now(), Instant::now());
    rt.block_on(async {
        let mut tick = tokio::time::interval(Duration::from_millis(1000 * batch / 2000));
        let mut i = 0;
        while i < n {
            tick.tick().await;
            for _ in 0..batch {
                ingest.send(message(i)).await;
                i += 1;
            }
            // What the engine reads: the snapshot's metrics each second,
            // the pulse's every 2 s.
            if on && read_at.0.elapsed() >= Duration::from_secs(1) {
                read_at.0 = Instant::now();
                let _ = showroom::engine::stats::live_metrics(&chat.state(), 1_764_230_400_000 + i);
            }
            if on && read_at.1.elapsed() >= Duration::from_secs(2) {
                read_at.1 = Instant::now();
                let _ = showroom::engine::stats::live_metrics(&chat.state(), 1_764_230_400_000 + i);
            }
        }
    });
    while chat.stats().persisted < n {
        std::thread::sleep(Duration::from_millis(5));
    }
    let cpu = (cpu_s() - c0) / t0.elapsed().as_secs_f64();
    if on {
        assert_eq!(chat.state().metrics.comments, n, "the metrics counted every comment");
    }
    drop(chat);
    cpu
}

fn metrics_part(dir: &std::path::Path) {
    let mut on = Vec::new();
    let mut off = Vec::new();
    for round in 0..2 {
        off.push(metrics_run(&dir.join(format!("off{round}")), false));
        on.push(metrics_run(&dir.join(format!("on{round}")), true));
    }
    let mean = |v: &[f64]| v.iter().sum::<f64>() / v.len() as f64;
    // The metrics' own work per message, alone: what the difference above
    // would be without the noise.
    let msgs: Vec<Message> = (0..200_000).map(message).collect();
    let mut m = showroom::chat::metrics::Metrics::default();
    let t = Instant::now();
    for (i, msg) in msgs.iter().enumerate() {
        m.message(i as u64, msg, (i % 10 == 1) as u8);
    }
    let per = t.elapsed().as_secs_f64() / msgs.len() as f64;
    println!(
        "metrics alone: {:.0} ns a message = {:.4} CPU-s/s at 2,000 msg/s",
        per * 1e9,
        per * 2000.0
    );
    println!(
        "live metrics at 2,000 msg/s: {:.3} CPU-s/s with them ({}), {:.3} without ({}): +{:.3} CPU-s/s",
        mean(&on),
        on.iter().map(|c| format!("{c:.3}")).collect::<Vec<_>>().join(", "),
        mean(&off),
        off.iter().map(|c| format!("{c:.3}")).collect::<Vec<_>>().join(", "),
        mean(&on) - mean(&off)
    );
}

fn main() {
    let dir = std::env::temp_dir().join(format!("showroom-bench-chat-{}", std::process::id()));
    if std::env::args().any(|a| a == "metrics") {
        metrics_part(&dir);
        let _ = std::fs::remove_dir_all(&dir);
        return;
    }
    if std::env::args().any(|a| a == "deal") {
        deal_part(&dir);
        let _ = std::fs::remove_dir_all(&dir);
        return;
    }

    let chat = open(&dir.join("ws"));
    let secs = over_websocket(&chat, N, None);
    let lat = chat.stats().recent_latency_ms;
    println!(
        "bridge WebSocket, flat out: {N} messages persisted in {secs:.2} s = {:.0} msg/s (latency p99 {:.1} ms over the last {})",
        N as f64 / secs,
        p99(&lat),
        lat.len()
    );
    drop(chat);

    let chat = open(&dir.join("direct"));
    let ingest = chat.ingest();
    let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
    let t0 = Instant::now();
    rt.block_on(async {
        for i in 0..N {
            ingest.send(message(i)).await;
        }
    });
    while chat.stats().persisted < N {
        std::thread::sleep(Duration::from_millis(1));
    }
    let secs = t0.elapsed().as_secs_f64();
    println!(
        "ingest handle, flat out: {N} messages persisted in {secs:.2} s = {:.0} msg/s",
        N as f64 / secs
    );
    drop(chat);

    let chat = open(&dir.join("paced"));
    let n = 20_000;
    let secs = over_websocket(&chat, n, Some(2000));
    let mut lat = chat.stats().recent_latency_ms;
    lat.sort_by(f32::total_cmp);
    println!(
        "bridge WebSocket at 2,000 msg/s: {n} messages in {secs:.1} s; receive → model latency p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
        lat[lat.len() / 2],
        p99(&lat),
        lat.last().unwrap()
    );
    drop(chat);

    showroom::listener::open_file_limit();
    for held in [0usize, 1000] {
        let chat = open(&dir.join(format!("held{held}")));
        let addr = chat.bridges()[0];
        let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let holder = (held > 0).then(|| hold(addr, held, stop.clone()));
        std::thread::sleep(Duration::from_secs(2));
        let n = 100_000;
        let secs = over_websocket(&chat, n, None);
        let lat = http_latencies(addr, 2000);
        stop.store(true, Ordering::Relaxed);
        if let Some(h) = holder {
            h.join().unwrap();
        }
        println!(
            "bridge with {held} connections held open: WebSocket {:.0} msg/s persisted; HTTP POST p50 {:.2} ms, p99 {:.2} ms (2,000 requests)",
            n as f64 / secs,
            lat[lat.len() / 2],
            p99(&lat)
        );
        drop(chat);
    }

    deal_part(&dir);
    let secs = peer_jsonl(&dir);
    println!(
        "peer, bare JSONL writer (serialise + write + fdatasync per 4096): {N} messages in {secs:.2} s = {:.0} msg/s",
        N as f64 / secs
    );
    let _ = std::fs::remove_dir_all(&dir);
}
