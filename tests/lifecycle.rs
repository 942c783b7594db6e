//! The engine's lifecycle and its event stream: everything that can fail is
//! tried before going live, and a show that cannot start leaves nothing
//! behind; an engine that is dropped shuts down like one that is stopped;
//! subscribers see what happens on air in order, and one that never reads
//! changes nothing but what it is told it missed.

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
        + &destination_and_bridge(&format!("rtmp://127.0.0.1:{rtmp}/live/{key}"), "127.0.0.1:0");
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

#[test]
fn subscribers_see_what_happens_in_order_and_a_stuck_one_changes_nothing() {
    use showroom::engine::Command;
    use showroom::events::{CAPACITY, Event, Next};
    use std::sync::{Arc, Mutex};
    let _heavy = heavy_lock();
    let dir = tempdir("event-stream");
    let nginx = Nginx::start(&dir.join("nginx"));
    std::fs::write(
        dir.join("catalog.csv"),
        "id,code,title,price,currency,stock\nshirt,A1,Linen Shirt,39,USD,5\n",
    )
    .unwrap();
    let text = small_show("Stream")
        + &destination_and_bridge(
            &format!("rtmp://127.0.0.1:{}/live/streamKey", nginx.rtmp_port),
            "127.0.0.1:0",
        )
        + "\n[products]\ncatalog = \"catalog.csv\"\n";
    let engine = Engine::start_with(
        load_show(&dir, &text),
        showroom::engine::StartOptions {
            live: false,
            events: Some(dir.join("events.jsonl")),
            ..Default::default()
        },
    )
    .unwrap();
    // One subscriber never reads; one follows on its own thread.
    let mut stuck = engine.subscribe();
    let seen: Arc<Mutex<Vec<Event>>> = Default::default();
    let follower = {
        let mut sub = engine.subscribe();
        let seen = seen.clone();
        std::thread::spawn(move || {
            loop {
                match sub.next_blocking() {
                    Next::Event(e) => seen.lock().unwrap().push(e.event.clone()),
                    Next::Missed(n) => panic!("the follower missed {n} events"),
                    Next::Closed | Next::Empty => return,
                }
                if seen.lock().unwrap().last() == Some(&Event::Stop) {
                    return;
                }
            }
        })
    };
    engine.execute(Command::GoLive(None)).unwrap();
    poll_until(Duration::from_secs(60), || {
        seen.lock()
            .unwrap()
            .iter()
            .any(|e| matches!(e, Event::Destination { state, .. } if state == "live"))
    })
    .expect("the destination's going live is an event");
    engine
        .execute(Command::Graphics(showroom::graphics::GraphicsCommand::Banner(
            "Free shipping".into(),
        )))
        .unwrap();
    // Chat: a claim and a question, heard once they are on disk.
    let bridge = engine.chat().unwrap().bridges()[0];
    let body = serde_json::json!([
        {"platform": "tiktok", "id": "c1", "author": {"name": "@ann"}, "text": "SOLD A1"},
        {"platform": "tiktok", "id": "c2", "author": {"name": "@bo"}, "text": "do you ship to Spain?"}
    ]);
    let r = reqwest::blocking::Client::new()
        .post(format!("http://{bridge}/v1/messages"))
        .header("content-type", "application/json")
        .bearer_auth(BRIDGE_TOKEN)
        .body(body.to_string())
        .send()
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    poll_until(Duration::from_secs(30), || {
        seen.lock()
            .unwrap()
            .iter()
            .any(|e| matches!(e, Event::Queue { length: 1 }))
    })
    .expect("the question reaches the queue as an event");
    // Moderation and exports are commands like any other: answering the
    // question empties the queue; the export is a job that reports.
    let question_seq = engine
        .chat()
        .unwrap()
        .state()
        .queue()
        .next()
        .map(|e| e.seq)
        .expect("the question is queued");
    assert_eq!(
        engine
            .execute(Command::Chat(showroom::chat::state::Action::Answered(question_seq)))
            .unwrap(),
        showroom::engine::Outcome::Done
    );
    let refused = engine
        .execute(Command::Chat(showroom::chat::state::Action::Hide(9_999)))
        .unwrap_err();
    assert!(
        refused.to_string().contains("message 9999 is no longer in memory"),
        "{refused}"
    );
    let csv = dir.join("claims.csv");
    let showroom::engine::Outcome::Job(job) = engine.execute(Command::ExportClaims(csv.clone())).unwrap() else {
        panic!("an export is a job")
    };
    let done = engine.wait_job(job, Duration::from_secs(60)).expect("the job is known");
    assert_eq!(done.state, showroom::engine::jobs::JobState::Done, "{done:?}");
    assert_eq!(
        done.summary.as_deref(),
        Some(format!("1 claims written to {}", csv.display()).as_str())
    );
    assert_eq!(std::fs::read_to_string(&csv).unwrap().lines().count(), 2);
    poll_until(Duration::from_secs(30), || {
        seen.lock()
            .unwrap()
            .iter()
            .any(|e| matches!(e, Event::Queue { length: 0 }))
    })
    .expect("answering the question is heard");
    // More events than the stream keeps, paced so the follower keeps up.
    let flood = CAPACITY + 500;
    for i in 0..flood {
        engine.execute(Command::TakeScene("s".into())).unwrap();
        if i % 256 == 255 {
            let want = i;
            poll_until(Duration::from_secs(30), || seen.lock().unwrap().len() > want).expect("the follower keeps up");
        }
    }
    engine.execute(Command::EndShow(None)).unwrap();
    let snap = engine.stop();
    follower.join().unwrap();

    // The stuck subscriber is told what it missed, then reads on.
    match stuck.try_next() {
        Next::Missed(n) => assert!(n as usize >= flood - CAPACITY, "missed {n}"),
        other => panic!("the stuck subscriber was not told it missed events: {other:?}"),
    }
    // The engine did not wait for it: every tick rendered or accounted for.
    assert_ticks_accounted(&snap);
    assert!(snap.canvases[0].frames_rendered > 0);

    // The follower saw it all, in order: live, the banner, every cut, the
    // end of the stream, stop.
    let seen = seen.lock().unwrap();
    let head: Vec<&Event> = seen.iter().filter(|e| !matches!(e, Event::Cut { .. })).collect();
    let pos = |f: &dyn Fn(&Event) -> bool| {
        seen.iter()
            .position(f)
            .unwrap_or_else(|| panic!("missing in {head:?} (and the cuts)"))
    };
    let live = pos(&|e| matches!(e, Event::Destination { state, .. } if state == "live"));
    let banner = pos(&|e| matches!(e, Event::Banner { text } if text == "Free shipping"));
    let message = pos(&|e| matches!(e, Event::ChatMessage { id, .. } if id == "c1"));
    let claim =
        pos(&|e| matches!(e, Event::Claim { code, quantity: 1, status, .. } if code == "A1" && status == "claimed"));
    let question = pos(&|e| matches!(e, Event::ChatMessage { id, queued: true, .. } if id == "c2"));
    let queue = pos(&|e| matches!(e, Event::Queue { length: 1 }));
    let answered = pos(&|e| matches!(e, Event::Moderation { action, .. } if action == "answered"));
    let emptied = pos(&|e| matches!(e, Event::Queue { length: 0 }));
    let job_running =
        pos(&|e| matches!(e, Event::Job { state, kind, .. } if state == "running" && kind == "claims_csv"));
    let job_done = pos(&|e| matches!(e, Event::Job { state, .. } if state == "done"));
    assert!(
        banner < message
            && message < claim
            && claim < question
            && question < queue
            && queue < answered
            && answered < emptied
            && job_running < job_done,
        "{seen:?}"
    );
    let first_cut = pos(&|e| matches!(e, Event::Cut { .. }));
    let end = pos(&|e| matches!(e, Event::EndShow { .. }));
    let stop = pos(&|e| *e == Event::Stop);
    assert!(
        live < banner && banner < first_cut && first_cut < end && end < stop,
        "{live} {banner} {first_cut} {end} {stop}"
    );
    assert_eq!(seen.iter().filter(|e| matches!(e, Event::Cut { .. })).count(), flood);
    // The log is a subscriber too: the same events, and the stop last.
    let log = std::fs::read_to_string(dir.join("events.jsonl")).unwrap();
    // (were it ever to fall behind, it says how many it lacks).
    let missed: u64 = log
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter(|v| v["event"] == "missed")
        .filter_map(|v| v["count"].as_u64())
        .sum();
    let cuts = log.lines().filter(|l| l.contains("\"event\":\"cut\"")).count();
    assert_eq!(cuts as u64 + missed, flood as u64, "{missed} missed");
    assert!(log.lines().last().unwrap().contains("\"event\":\"stop\""));
    assert!(!log.contains("streamKey"), "a stream key in the event log");
    // Claims are on-air facts; the messages themselves are in the chat log.
    assert!(log.contains("\"event\":\"claim\""), "{log}");
    assert!(!log.contains("chat_message"));
    let _ = std::fs::remove_dir_all(&dir);
}

/// End Show returns at once even when the server has stopped answering:
/// the destination says `stopping`, the show keeps rendering, and the
/// stream ends by its own timeout.
#[test]
fn end_show_against_a_frozen_server_returns_at_once() {
    use showroom::engine::Command;
    let _heavy = heavy_lock();
    let dir = tempdir("end-frozen");
    let nginx = Nginx::start(&dir.join("nginx"));
    let text = small_show("Frozen")
        + &destination_and_bridge(
            &format!("rtmp://127.0.0.1:{}/live/frozenKey", nginx.rtmp_port),
            "127.0.0.1:0",
        );
    let engine = Engine::start(load_show(&dir, &text)).unwrap();
    let state = |e: &Engine| e.snapshot().destinations[0].state.word();
    poll_until(Duration::from_secs(60), || state(&engine) == "live").expect("on air");
    nginx.pause(true); // SIGSTOP: the server reads nothing, answers nothing
    engine.execute(Command::EndShow(None)).unwrap();
    // Returned without waiting for the server: still ending.
    assert_eq!(state(&engine), "stopping");
    let rendered = engine.snapshot().canvases[0].frames_rendered;
    poll_until(Duration::from_secs(60), || {
        engine.snapshot().canvases[0].frames_rendered > rendered + 15
    })
    .expect("the show keeps rendering while the stream ends");
    let ended = poll_until(Duration::from_secs(60), || state(&engine) == "stopped");
    nginx.pause(false);
    assert!(
        ended.is_some(),
        "the stream did not end by its timeout: {:?}",
        engine.snapshot().destinations
    );
    let snap = engine.stop();
    assert_eq!(snap.destinations[0].state.word(), "stopped");
    let _ = std::fs::remove_dir_all(&dir);
}

/// Stop Recording returns at once: the file is finalised on a thread of
/// its own, its state `finalizing` meanwhile, and then `finished` — a
/// complete file. Record again starts a new file beside it.
#[test]
fn stop_recording_returns_at_once_and_the_file_is_finished_after() {
    use showroom::engine::{Command, Outcome};
    use showroom::events::{Event, Next};
    let _heavy = heavy_lock();
    let dir = tempdir("stop-recording");
    let text = small_show("Rec") + "\n[[recordings]]\ncanvas = \"main\"\npath = \"take.mkv\"\n";
    let engine = Engine::start_with(
        load_show(&dir, &text),
        showroom::engine::StartOptions {
            live: false,
            ..Default::default()
        },
    )
    .unwrap();
    let mut sub = engine.subscribe();
    let mut states = Vec::new();
    let mut hear = |until: &str, states: &mut Vec<(String, String)>| {
        let t0 = std::time::Instant::now();
        while t0.elapsed() < Duration::from_secs(60) {
            match sub.try_next() {
                Next::Event(e) => {
                    if let Event::Recording { state, path, .. } = &e.event {
                        states.push((state.clone(), path.clone()));
                        if state == until {
                            return;
                        }
                    }
                }
                Next::Empty => std::thread::sleep(Duration::from_millis(20)),
                other => panic!("the stream ended: {other:?}"),
            }
        }
        panic!("no `{until}` recording event: {states:?}");
    };
    assert_eq!(engine.execute(Command::Record(true)).unwrap(), Outcome::Done);
    hear("recording", &mut states);
    poll_until(Duration::from_secs(60), || {
        engine.snapshot().recordings[0].bytes_written > 20_000
    })
    .expect("the recording grows");
    assert_eq!(engine.execute(Command::Record(false)).unwrap(), Outcome::Done);
    // Told that it is being finalised (at once, by the command), then
    // finished (by the thread that finalised it).
    hear("finished", &mut states);
    let stages: Vec<&str> = states.iter().map(|(s, _)| s.as_str()).collect();
    assert_eq!(stages, ["recording", "finalizing", "finished"]);
    poll_until(Duration::from_secs(30), || !engine.snapshot().recordings[0].finalizing)
        .expect("the snapshot says finished");
    let first = dir.join("take.mkv");
    assert!(support::video_packets(&first) > 0, "the first file decodes");
    // Again: a new file, the first one kept.
    engine.execute(Command::Record(true)).unwrap();
    hear("recording", &mut states);
    let snap = engine.stop();
    assert!(snap.recordings[0].path.ends_with("take-2.mkv"), "{:?}", snap.recordings);
    assert!(!snap.recordings[0].finalizing);
    assert!(support::video_packets(&first) > 0);
    let _ = std::fs::remove_dir_all(&dir);
}
