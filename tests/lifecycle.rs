//! The engine's lifecycle: everything that can fail is tried before going
//! live, and a show that cannot start leaves nothing behind; an engine that
//! is dropped shuts down like one that is stopped.

mod support;

use showroom::engine::Engine;
use std::collections::BTreeMap;
use std::time::Duration;
use support::*;

/// The names of this process's threads, counted.
fn threads() -> BTreeMap<String, usize> {
    let mut names = BTreeMap::new();
    for t in std::fs::read_dir("/proc/self/task").unwrap().flatten() {
        let name = std::fs::read_to_string(t.path().join("comm")).unwrap_or_default();
        *names.entry(name.trim().to_string()).or_insert(0) += 1;
    }
    names
}

/// Threads the engine starts (GLib's and the test harness's are not ours).
fn engine_threads() -> BTreeMap<String, usize> {
    threads()
        .into_iter()
        .filter(|(n, _)| {
            [
                "render", "mixer", "governor", "cues", "chat", "source", "dest", "monitor", "stock", "mic",
            ]
            .iter()
            .any(|p| n.starts_with(p))
        })
        .collect()
}

fn show(dir: &std::path::Path, rtmp: u16, key: &str) -> showroom::show::Show {
    let text = small_show("Lifecycle")
        + &format!(
            r#"
[[destinations]]
id = "shop"
platform = "custom"
canvas = "main"
url = "rtmp://127.0.0.1:{rtmp}/live/{key}"

[chat]
log = "chat.jsonl"

[[chat.sources]]
platform = "bridge"
listen = "127.0.0.1:0"
token = {{ file = "bridge.token" }}
"#
        );
    load_show(dir, &text)
}

#[test]
fn a_show_that_cannot_start_starts_nothing_and_a_dropped_engine_stops() {
    let _heavy = heavy_lock();
    let dir = tempdir("lifecycle");
    let nginx = Nginx::start(&dir.join("nginx"));
    let before = engine_threads();

    // A show is running with this chat log.
    let first = Engine::start(show(&dir, nginx.rtmp_port, "firstShow")).expect("the first show starts");
    poll_until(Duration::from_secs(60), || {
        nginx.received("firstShow").metadata().is_ok_and(|m| m.len() > 10_000)
    })
    .expect("the first show is on air");
    let running = engine_threads();

    // A second show on the same chat log: refused, with the reason, and
    // nothing of it started — no publish, no thread.
    let err = match Engine::start(show(&dir, nginx.rtmp_port, "secondShow")) {
        Ok(_) => panic!("a second show on the same chat log started"),
        Err(e) => format!("{e:#}"),
    };
    assert!(err.contains("is in use by another showroom"), "{err}");
    std::thread::sleep(Duration::from_millis(500));
    assert!(
        !nginx.received("secondShow").exists(),
        "the refused show published to the ingest server"
    );
    assert_eq!(engine_threads(), running, "the refused show left threads behind");

    // Dropping the engine (no `stop`) shuts it down: its threads end.
    drop(first);
    let gone = poll_until(Duration::from_secs(30), || engine_threads() == before);
    assert!(
        gone.is_some(),
        "threads left after drop: {:?} (before: {before:?})",
        engine_threads()
    );
    let _ = std::fs::remove_dir_all(&dir);
}
