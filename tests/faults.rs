//! Fault injection against real servers on loopback: ingest servers killed
//! and restarted, a server that stops reading, a refused key. The affected
//! destination recovers on its own; nothing else notices.
//! Timings are printed (see benches/faults.sh), never asserted against a
//! threshold: this machine is noisy. We assert what must be true whatever
//! the timing: recovery happened, each segment starts on a keyframe, the
//! others have no gap and no drop.

mod support;

use showroom::engine::stats::{DestinationState, DestinationStats};
use showroom::engine::{Command, Engine};
use showroom::secrets::KeyRef;
use showroom::show::{DestinationSpec, Platform};
use std::path::Path;
use std::time::{Duration, Instant};
use support::*;

fn small_show(dir: &Path, kbps: u32, record: bool) -> showroom::show::Show {
    let rec = if record {
        "[[recordings]]\ncanvas = \"main\"\npath = \"rec.mkv\"\n"
    } else {
        ""
    };
    let text = format!(
        r#"
[[canvases]]
id = "main"
width = 640
height = 360
fps = 30
video_bitrate = {kbps}

[[sources]]
id = "bars"
kind = "test-pattern"
pattern = "smpte"
speed = 3
width = 640
height = 360

[[sources]]
id = "tone"
kind = "tone"

[[scenes]]
id = "s"

[[scenes.layers]]
source = "bars"
place.main = {{ x = 0, y = 0, width = 640, height = 360 }}

{rec}"#
    );
    load_show(dir, &text)
}

fn dest(id: &str, url: String, key: KeyRef) -> DestinationSpec {
    DestinationSpec {
        id: id.into(),
        platform: Platform::Custom,
        canvas: 0,
        url,
        key,
        video_kbps: None,
        latency_ms: None,
        primary: false,
    }
}

fn inline(key: &str) -> KeyRef {
    KeyRef::Inline(showroom::secrets::Secret::new(key))
}

fn status(engine: &Engine, id: &str) -> DestinationStats {
    engine.snapshot().destinations.into_iter().find(|d| d.id == id).unwrap()
}

/// Polls until `pred` holds; returns how long it took (None: not within `limit`).
/// Polls until `pred` holds; returns how long it took (None: not within `limit`).
fn wait_for(engine: &Engine, id: &str, limit: Duration, pred: impl Fn(&DestinationStats) -> bool) -> Option<Duration> {
    poll_until(limit, || pred(&status(engine, id)))
}

fn first_packet_is_keyframe(path: &Path) -> bool {
    let out = ffprobe(
        path,
        &[
            "-select_streams",
            "v:0",
            "-show_entries",
            "packet=flags",
            "-read_intervals",
            "%+#1",
            "-of",
            "csv=p=0",
        ],
    );
    out.lines().next().is_some_and(|l| l.starts_with('K'))
}

#[test]
fn a_killed_server_is_reconnected_while_the_rest_runs_on() {
    let _heavy = heavy_lock();
    let dir = tempdir("faults-kill");
    let mut flaky = Nginx::start_with(&dir.join("flaky"), true);
    let steady = Nginx::start(&dir.join("steady"));
    let mut show = small_show(&dir, 2000, true);
    show.destinations = vec![
        dest(
            "flaky",
            format!("rtmp://127.0.0.1:{}/live", flaky.rtmp_port),
            inline("flakyKey-1"),
        ),
        dest(
            "steady",
            format!("rtmp://127.0.0.1:{}/live", steady.rtmp_port),
            inline("steadyKey-2"),
        ),
    ];
    let engine = Engine::start(show).unwrap();
    let start = Instant::now();
    assert!(
        wait_for(&engine, "flaky", Duration::from_secs(15), |d| d.state
            == DestinationState::Live)
        .is_some()
    );
    let show_secs = 120.0;
    let mut detect = Vec::new();
    let mut resume = Vec::new();
    for cycle in 0..5 {
        std::thread::sleep(Duration::from_secs(8));
        let before = status(&engine, "flaky").connects;
        flaky.kill();
        let t = wait_for(&engine, "flaky", Duration::from_secs(20), |d| {
            d.state != DestinationState::Live
        });
        detect.push(t.expect("the loss was not noticed"));
        std::thread::sleep(Duration::from_secs(3));
        flaky.restart();
        let back = wait_for(&engine, "flaky", Duration::from_secs(30), |d| {
            d.state == DestinationState::Live && d.connects > before
        });
        resume.push(back.unwrap_or_else(|| panic!("cycle {cycle}: no reconnect: {:?}", status(&engine, "flaky"))));
    }
    while start.elapsed().as_secs_f64() < show_secs {
        std::thread::sleep(Duration::from_millis(200));
    }
    let snap = engine.stop();
    eprintln!(
        "FAULT server-killed detect_s={:?}",
        detect.iter().map(|d| d.as_secs_f64()).collect::<Vec<_>>()
    );
    eprintln!(
        "FAULT server-killed resume_after_restart_s={:?}",
        resume.iter().map(|d| d.as_secs_f64()).collect::<Vec<_>>()
    );

    assert_ticks_accounted(&snap);
    let steady_status = snap.destinations.iter().find(|d| d.id == "steady").unwrap();
    assert_eq!(
        steady_status.connects, 1,
        "the steady destination reconnected: {steady_status:?}"
    );
    assert_eq!(steady_status.dropped_frames, 0);
    let steady_file = stream_facts(&steady.received("steadyKey-2"));
    assert!(
        (steady_file.duration - show_secs).abs() < 1.5,
        "steady stream has a gap: {} s",
        steady_file.duration
    );
    let rec = stream_facts(&dir.join("rec.mkv"));
    assert!(
        (rec.duration - show_secs).abs() < 1.5,
        "recording has a gap: {} s",
        rec.duration
    );
    assert!(decode_errors(&dir.join("rec.mkv")).trim().is_empty());

    let segments = flaky.received_all("flakyKey-1");
    assert!(
        segments.len() >= 6,
        "expected a segment per connection, got {segments:?}"
    );
    for seg in &segments {
        assert!(
            first_packet_is_keyframe(seg),
            "{} does not start on a keyframe",
            seg.display()
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_server_that_stops_reading_is_detected_and_rejoined() {
    let _heavy = heavy_lock();
    let dir = tempdir("faults-stall");
    let server = Nginx::start_with(&dir.join("nginx"), true);
    let mut show = small_show(&dir, 6000, false);
    show.destinations = vec![dest(
        "stall",
        format!("rtmp://127.0.0.1:{}/live", server.rtmp_port),
        inline("stallKey-3"),
    )];
    let engine = Engine::start(show).unwrap();
    assert!(
        wait_for(&engine, "stall", Duration::from_secs(15), |d| d.state
            == DestinationState::Live)
        .is_some()
    );
    std::thread::sleep(Duration::from_secs(4));
    server.pause(true);
    let detected = wait_for(&engine, "stall", Duration::from_secs(60), |d| {
        d.state != DestinationState::Live
    });
    let detected = detected.expect("a stalled server was never detected");
    let reason = status(&engine, "stall").error.unwrap_or_default();
    std::thread::sleep(Duration::from_secs(1));
    server.pause(false);
    let back = wait_for(&engine, "stall", Duration::from_secs(60), |d| {
        d.state == DestinationState::Live && d.connects >= 2
    });
    let snap = engine.stop();
    eprintln!(
        "FAULT server-stalled detect_s={:.2} reason={reason:?}",
        detected.as_secs_f64()
    );
    eprintln!(
        "FAULT server-stalled resume_after_cont_s={:?}",
        back.map(|d| d.as_secs_f64())
    );
    assert!(back.is_some(), "no reconnect after SIGCONT: {:?}", snap.destinations);
    assert!(
        reason.contains("stopped accepting data") || reason.contains("timed out"),
        "{reason}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_refused_key_is_reported_once_and_waits_for_a_new_key() {
    let _heavy = heavy_lock();
    let dir = tempdir("faults-key");
    let server = Nginx::start(&dir.join("nginx"));
    let key_file = dir.join("shop.key");
    std::fs::write(&key_file, "refuse-oldKey-4\n").unwrap();
    std::fs::set_permissions(&key_file, std::os::unix::fs::PermissionsExt::from_mode(0o600)).unwrap();
    let mut show = small_show(&dir, 1500, false);
    show.destinations = vec![dest(
        "shop",
        format!("rtmp://127.0.0.1:{}/live", server.rtmp_port),
        KeyRef::File(key_file.clone()),
    )];
    let engine = Engine::start(show).unwrap();
    let failed = wait_for(&engine, "shop", Duration::from_secs(15), |d| {
        d.state == DestinationState::Failed
    });
    assert!(failed.is_some(), "{:?}", status(&engine, "shop"));
    std::thread::sleep(Duration::from_secs(10));
    let s = status(&engine, "shop");
    assert!(
        s.error.as_deref().unwrap_or("").starts_with("stream key refused"),
        "{s:?}"
    );
    assert!(s.needs_action && s.retry_in_s.is_none(), "{s:?}");
    let tries = server.auth.requests.lock().unwrap().get("refuse-oldKey-4").copied();
    assert_eq!(tries, Some(1), "the refused key was retried");
    assert!(engine.snapshot().status_line().contains("waiting for you"));

    // The host pastes the new key and presses "reconnect now".
    std::fs::write(&key_file, "newKey-5\n").unwrap();
    engine.execute(Command::ReconnectNow(Some("shop".into()))).unwrap();
    let live = wait_for(&engine, "shop", Duration::from_secs(20), |d| {
        d.state == DestinationState::Live
    });
    let snap = engine.stop();
    assert!(live.is_some(), "{:?}", snap.destinations);
    assert!(server.received("newKey-5").exists());
    let json = snap.to_json();
    assert!(!json.contains("oldKey-4") && !json.contains("newKey-5"));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn falling_behind_drops_frames_and_says_what_to_change() {
    let _heavy = heavy_lock();
    let dir = tempdir("faults-behind");
    // 4K at 60 fps on a software GPU and two cores cannot keep up.
    let text = r#"
[[canvases]]
id = "huge"
width = 3840
height = 2160
fps = 60

[[sources]]
id = "bars"
kind = "test-pattern"
pattern = "smpte"
speed = 5
width = 1920
height = 1080
fps = 60

[[scenes]]
id = "s"

[[scenes.layers]]
source = "bars"
place.huge = { x = 0, y = 0, width = 3840, height = 2160 }

[[recordings]]
canvas = "huge"
path = "rec.mkv"
"#;
    let engine = Engine::start(load_show(&dir, text)).unwrap();
    // The start-up measurement (1 s to start, 3 s measured) says so first.
    let measured = poll_until(Duration::from_secs(30), || !engine.snapshot().quality.measuring);
    std::thread::sleep(Duration::from_secs(2));
    let live = engine.snapshot();
    assert!(
        measured.is_some(),
        "the start-up measurement never ended: {:?}",
        live.quality
    );
    let huge = &live.quality.capacity[0];
    assert!(!huge.holds, "4K60 held on this machine? {huge:?}");
    let advice = huge.advice.clone().unwrap_or_default();
    assert!(
        advice.contains("renders huge at about") && advice.contains("lower its fps or size"),
        "{advice}"
    );
    assert!(live.warnings.contains(&advice), "{:?}", live.warnings);
    let snap = engine.stop();
    eprintln!("{}", live.status_line());
    let c = &snap.canvases[0];
    assert!(c.frames_dropped > 0, "4K60 kept up on this machine? {c:?}");
    assert!(
        live.warnings
            .iter()
            .any(|w| w.contains("cannot keep up") && w.contains("lower")),
        "{:?}",
        live.warnings
    );
    assert!(live.status_line().contains("warning: "));
    // Repeats keep the output on the clock: the file lasts as long as the
    // show, at the canvas's frame rate, keyframes every 2 s.
    let rec = stream_facts(&dir.join("rec.mkv"));
    assert!(
        (rec.duration - snap.elapsed_s).abs() < 1.5,
        "recording {} s for a {} s show",
        rec.duration,
        snap.elapsed_s
    );
    assert!(c.repeated_frames > 0, "{c:?}");
    // Unless the encoder could not even keep up with repeats (a second of
    // frames waiting: the latency bound leaves a tick without a frame).
    if c.wire_holes == 0 {
        assert!(
            (rec.fps - 60.0).abs() < 0.5,
            "{} fps in the recording ({rec:?})",
            rec.fps
        );
        for pair in rec.keyframe_times.windows(2) {
            assert!(
                (pair[1] - pair[0] - 2.0).abs() < 0.02,
                "keyframes off the clock: {:?}",
                rec.keyframe_times
            );
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
}
