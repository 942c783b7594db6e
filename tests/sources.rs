//! Media-file and SRT sources end to end: a looping clip with audio and a
//! phone-like SRT caller both appear in the recording at their rectangles,
//! and the clip's audio is in the mix.

mod support;

use showroom::engine::Engine;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};
use support::*;

/// A 640×360 show: a media clip (clip.mp4) beside an SRT phone camera
/// listening on `srt_port`, recorded to rec.mkv.
fn clip_and_phone_show(srt_port: u16) -> String {
    format!(
        r#"
[[canvases]]
id = "main"
width = 640
height = 360
fps = 30

[[sources]]
id = "clip"
kind = "media"
path = "clip.mp4"

[[sources]]
id = "phone"
kind = "srt"
port = {srt_port}

[[scenes]]
id = "s"

[[scenes.layers]]
source = "clip"
place.main = {{ x = 0, y = 0, width = 320, height = 360 }}

[[scenes.layers]]
source = "phone"
place.main = {{ x = 320, y = 0, width = 320, height = 360 }}

[[recordings]]
canvas = "main"
path = "rec.mkv"
"#
    )
}

#[test]
fn media_file_loops_with_audio_and_srt_phone_camera_shows_up() {
    let _heavy = heavy_lock();
    let dir = tempdir("sources");
    let clip = dir.join("clip.mp4");
    let st = Command::new("ffmpeg")
        .args([
            "-v",
            "error",
            "-y",
            "-f",
            "lavfi",
            "-i",
            "color=c=red:s=320x240:r=30:d=2",
            "-f",
            "lavfi",
            "-i",
            "sine=f=440:d=2",
        ])
        .args(["-c:v", "libx264", "-pix_fmt", "yuv420p", "-c:a", "aac", "-shortest"])
        .arg(&clip)
        .status()
        .unwrap();
    assert!(st.success());
    let srt_port = std::net::UdpSocket::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let show = clip_and_phone_show(srt_port);
    let show = load_show(&dir, &show);
    let engine = Engine::start(show).expect("engine starts");
    // The "phone": an SRT caller pushing a blue picture in MPEG-TS.
    let mut phone = Command::new("gst-launch-1.0")
        .args([
            "-q",
            "videotestsrc",
            "is-live=true",
            "pattern=blue",
            "!",
            "video/x-raw,width=320,height=240,framerate=30/1",
        ])
        .args([
            "!",
            "x264enc",
            "tune=zerolatency",
            "key-int-max=15",
            "!",
            "mpegtsmux",
            "!",
        ])
        .arg("srtsink")
        .arg(format!("uri=srt://127.0.0.1:{srt_port}?mode=caller"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("gst-launch-1.0 missing: apt-get install gstreamer1.0-tools");
    let started = Instant::now();
    while started.elapsed() < Duration::from_secs(7) {
        std::thread::sleep(Duration::from_millis(200));
    }
    let snap = engine.stop();
    let _ = phone.kill();
    let _ = phone.wait();
    for s in &snap.sources {
        assert!(s.frames > 10, "source {} delivered {} frames", s.id, s.frames);
        assert_eq!(s.error, None, "source {}", s.id);
    }
    // The clip is 2 s (60 frames): more than twice that means it looped.
    let clip_frames = snap.sources.iter().find(|s| s.id == "clip").unwrap().frames;
    assert!(clip_frames > 130, "the clip did not loop: {clip_frames} frames in 7 s");

    let rec = dir.join("rec.mkv");
    // At 5 s the 2 s clip has looped twice and the phone has been connected a while.
    let frame = grab_i420(&rec, 5.0, 640, 360);
    let (ry, ru, rv) = bt709(255, 0, 0);
    let (by, bu, bv) = bt709(0, 0, 255);
    let (y, u, v) = yuv_at(&frame, 640, 360, 160, 180);
    assert!(
        (y - ry).abs() < 12.0 && (u - ru).abs() < 12.0 && (v - rv).abs() < 12.0,
        "clip not red at 5 s: {y} {u} {v}"
    );
    let (y, u, v) = yuv_at(&frame, 640, 360, 480, 180);
    assert!(
        (y - by).abs() < 12.0 && (u - bu).abs() < 12.0 && (v - bv).abs() < 12.0,
        "phone not blue: {y} {u} {v}"
    );

    // The clip's 440 Hz sine is in the mix after it looped (ffmpeg's sine peaks at -18 dBFS).
    let out = Command::new("ffmpeg")
        .args(["-v", "info", "-ss", "4.5", "-i"])
        .arg(&rec)
        .args(["-af", "volumedetect", "-vn", "-f", "null", "-"])
        .output()
        .unwrap();
    let log = String::from_utf8_lossy(&out.stderr);
    let mean: f64 = log
        .lines()
        .find_map(|l| l.split("mean_volume:").nth(1))
        .and_then(|v| v.trim().trim_end_matches(" dB").parse().ok())
        .expect("volumedetect output");
    assert!(mean > -35.0, "the clip's audio is missing from the mix: mean {mean} dB");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_missing_camera_is_reported_and_the_show_goes_on() {
    let _heavy = heavy_lock();
    let dir = tempdir("no-camera");
    let show = r#"
[[canvases]]
id = "main"
width = 320
height = 240

[[sources]]
id = "bars"
kind = "test-pattern"
width = 320
height = 240

[[sources]]
id = "cam"
kind = "camera"
device = "/dev/video-showroom-missing"

[[scenes]]
id = "s"

[[scenes.layers]]
source = "bars"
place.main = { x = 0, y = 0, width = 320, height = 240 }

[[scenes.layers]]
source = "cam"
place.main = { x = 160, y = 0, width = 160, height = 120 }
"#;
    let engine = Engine::start(load_show(&dir, show)).expect("engine starts without the camera");
    std::thread::sleep(Duration::from_secs(2));
    let snap = engine.stop();
    let cam = snap.sources.iter().find(|s| s.id == "cam").unwrap();
    assert!(cam.error.is_some(), "the missing camera reported no error");
    assert_eq!(cam.frames, 0);
    assert!(snap.canvases[0].frames_rendered > 0, "nothing was rendered");
    assert_ticks_accounted(&snap);
    let _ = std::fs::remove_dir_all(&dir);
}

/// A phone SRT app: connects, and keeps retrying while `on` (as Larix does).
fn retrying_phone(port: u16, on: std::sync::Arc<std::sync::atomic::AtomicBool>) -> std::thread::JoinHandle<()> {
    std::thread::spawn(move || {
        while on.load(std::sync::atomic::Ordering::Relaxed) {
            let mut child = phone_sender(port);
            while on.load(std::sync::atomic::Ordering::Relaxed) {
                if child.try_wait().map(|s| s.is_some()).unwrap_or(true) {
                    break;
                }
                std::thread::sleep(Duration::from_millis(100));
            }
            let _ = child.kill();
            let _ = child.wait();
            std::thread::sleep(Duration::from_millis(300));
        }
    })
}

fn phone_sender(port: u16) -> std::process::Child {
    Command::new("gst-launch-1.0")
        .args([
            "-q",
            "videotestsrc",
            "is-live=true",
            "pattern=blue",
            "!",
            "video/x-raw,width=320,height=240,framerate=30/1",
        ])
        .args([
            "!",
            "x264enc",
            "tune=zerolatency",
            "key-int-max=15",
            "!",
            "mpegtsmux",
            "!",
        ])
        .arg("srtsink")
        .arg(format!("uri=srt://127.0.0.1:{port}?mode=caller"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("gst-launch-1.0 missing: apt-get install gstreamer1.0-tools")
}

fn wait_sources(
    engine: &Engine,
    limit: Duration,
    pred: impl Fn(&[showroom::engine::stats::SourceStats]) -> bool,
) -> Option<Duration> {
    poll_until(limit, || pred(&engine.snapshot().sources))
}

fn near(frame: &[u8], x: u32, y: u32, rgb: (u8, u8, u8), tol: f64) -> bool {
    let (ey, eu, ev) = bt709(rgb.0, rgb.1, rgb.2);
    let (cy, cu, cv) = yuv_at(frame, 640, 360, x, y);
    (cy - ey).abs() <= tol && (cu - eu).abs() <= tol && (cv - ev).abs() <= tol
}

#[test]
fn lost_sources_show_a_slate_and_come_back_by_themselves() {
    let _heavy = heavy_lock();
    let dir = tempdir("source-faults");
    let clip = dir.join("clip.mp4");
    let st = Command::new("ffmpeg")
        .args([
            "-v",
            "error",
            "-y",
            "-f",
            "lavfi",
            "-i",
            "color=c=red:s=320x240:r=30:d=2",
            "-c:v",
            "libx264",
            "-pix_fmt",
            "yuv420p",
        ])
        .arg(&clip)
        .status()
        .unwrap();
    assert!(st.success());
    let port = std::net::UdpSocket::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let show = clip_and_phone_show(port);
    let engine = Engine::start(load_show(&dir, &show)).unwrap();
    let mut events = engine.subscribe();
    let mut phone = phone_sender(port);
    let all_ok = |s: &[showroom::engine::stats::SourceStats]| s.iter().all(|s| s.frames > 0 && !s.signal_lost);
    assert!(
        wait_sources(&engine, Duration::from_secs(15), all_ok).is_some(),
        "{:?}",
        engine.snapshot().sources
    );

    // The file disappears and the phone walks away.
    let away = dir.join("clip-away.mp4");
    std::fs::rename(&clip, &away).unwrap();
    let _ = phone.kill();
    let _ = phone.wait();
    let lost = wait_sources(&engine, Duration::from_secs(20), |s| s.iter().all(|s| s.signal_lost));
    let lost = lost.unwrap_or_else(|| panic!("no slate: {:?}", engine.snapshot().sources));
    // The picture of show time `t_slate` is drawn at that time or at most a
    // few ticks later (a later tick is skipped and repeats an earlier
    // picture): with the sources restored 750 ms after it, it shows the
    // slate however slow the machine (a source may come back within
    // milliseconds of its file returning).
    std::thread::sleep(Duration::from_millis(750));
    let t_slate = engine.snapshot().elapsed_s;
    std::thread::sleep(Duration::from_millis(750));
    let line = engine.snapshot().status_line();
    assert!(line.contains("source clip lost"), "{line}");

    // Both come back.
    let frames_lost: Vec<u64> = engine.snapshot().sources.iter().map(|s| s.frames).collect();
    std::fs::rename(&away, &clip).unwrap();
    let on = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(true));
    let phone = retrying_phone(port, on.clone());
    let flowing = |s: &[showroom::engine::stats::SourceStats]| {
        s.iter()
            .zip(&frames_lost)
            .all(|(s, before)| s.frames > before + 30 && !s.signal_lost)
    };
    let back = wait_sources(&engine, Duration::from_secs(30), flowing);
    let back = back.unwrap_or_else(|| panic!("sources did not return: {:?}", engine.snapshot().sources));
    std::thread::sleep(Duration::from_millis(1500));
    let t_back = engine.snapshot().elapsed_s;
    std::thread::sleep(Duration::from_secs(1));
    let snap = engine.stop();
    on.store(false, std::sync::atomic::Ordering::Relaxed);
    let _ = phone.join();
    eprintln!(
        "FAULT source-lost slate_after_s={:.2} back_after_restore_s={:.2}",
        lost.as_secs_f64(),
        back.as_secs_f64()
    );

    // Each loss and each return was an event, with the reason for the loss.
    let mut heard = Vec::new();
    while let showroom::events::Next::Event(e) = events.try_next() {
        if let showroom::events::Event::Source { id, lost, reason } = &e.event {
            heard.push((id.clone(), *lost, reason.clone()));
        }
    }
    for src in &snap.sources {
        let lost_at = heard
            .iter()
            .position(|(id, lost, r)| id == &src.id && *lost && r.is_some());
        let back_at = heard.iter().rposition(|(id, lost, _)| id == &src.id && !*lost);
        assert!(
            matches!((lost_at, back_at), (Some(l), Some(b)) if l < b),
            "source {}: events {heard:?}",
            src.id
        );
    }

    // The program kept its clock while the phone came and went.
    assert_ticks_accounted(&snap);
    let rec = dir.join("rec.mkv");
    let slate = (0x2B, 0x2F, 0x36);
    let f = grab_i420(&rec, t_slate, 640, 360);
    assert!(
        near(&f, 20, 20, slate, 4.0) && near(&f, 340, 20, slate, 4.0),
        "no slate at {t_slate} s: clip {:?}, phone {:?}",
        yuv_at(&f, 640, 360, 20, 20),
        yuv_at(&f, 640, 360, 340, 20)
    );
    let f = grab_i420(&rec, t_back, 640, 360);
    assert!(near(&f, 160, 180, (255, 0, 0), 12.0), "clip not back at {t_back} s");
    assert!(
        near(&f, 480, 180, (0, 0, 255), 12.0),
        "phone not back at {t_back} s: {:?}",
        yuv_at(&f, 640, 360, 480, 180)
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_source_added_while_the_show_runs_appears_on_air() {
    let _heavy = heavy_lock();
    let dir = tempdir("source-added");
    let green = (30, 200, 90);
    solid_png(&dir.join("swatch.png"), green, 64, 64);
    let show = r#"
[[canvases]]
id = "main"
width = 640
height = 360
fps = 30

[[sources]]
id = "bg"
kind = "test-pattern"
pattern = "black"

[[scenes]]
id = "s"
[[scenes.layers]]
source = "bg"
place.main = { x = 0, y = 0, width = 640, height = 360 }

[[recordings]]
canvas = "main"
path = "rec.mkv"
"#;
    let engine = Engine::start(load_show(&dir, show)).unwrap();
    std::thread::sleep(Duration::from_millis(1500));
    let spec =
        showroom::show::validate::source_from_toml("id = \"swatch\"\nkind = \"image\"\npath = \"swatch.png\"\n", &dir)
            .expect("a valid source");
    let right_half = vec![Some(showroom::show::Rect {
        x: 320,
        y: 0,
        width: 320,
        height: 360,
    })];
    let add = |id: &showroom::show::SourceSpec, scene: &str| {
        engine.execute(showroom::engine::Command::AddSource {
            source: id.clone(),
            scene: scene.into(),
            place: right_half.clone(),
        })
    };
    add(&spec, "s").expect("added");
    let again = add(&spec, "s").unwrap_err().to_string();
    assert!(again.contains("`swatch` exists already"), "{again}");
    let mut other = spec.clone();
    other.id = "other".into();
    assert_eq!(add(&other, "nope").unwrap_err().to_string(), "no scene with id `nope`");
    let bad =
        showroom::show::validate::source_from_toml("id = \"x\"\nkind = \"image\"\npath = \"missing.png\"\n", &dir)
            .unwrap_err();
    assert!(bad.contains("missing.png"), "{bad}");
    assert!(
        wait_sources(&engine, Duration::from_secs(10), |s| s
            .iter()
            .any(|s| s.id == "swatch" && s.frames > 0))
        .is_some(),
        "{:?}",
        engine.snapshot().sources
    );
    assert_eq!(engine.source_ids(), ["bg", "swatch"]);
    std::thread::sleep(Duration::from_millis(2500));
    engine.stop();

    let rec = dir.join("rec.mkv");
    let before = grab_i420(&rec, 0.8, 640, 360);
    assert!(
        !near(&before, 480, 180, green, 12.0),
        "the swatch was on air before it was added"
    );
    let after = grab_i420(&rec, 3.2, 640, 360);
    // "fit": the square picture is centred in its place, 320×320.
    assert!(near(&after, 480, 180, green, 12.0), "the added swatch is not on air");
    assert!(
        !near(&after, 480, 8, green, 12.0),
        "the swatch was stretched instead of fitted"
    );
    assert!(!near(&after, 160, 180, green, 12.0), "the swatch is outside its place");
    let _ = std::fs::remove_dir_all(&dir);
}
