//! End to end: a show with a landscape and a portrait canvas goes live to
//! nginx-rtmp (two destinations per canvas, one of them over RTMPS with a test
//! CA), plus a destination whose key the server refuses, plus recordings.
//! We then check what the "platform" received with ffprobe/ffmpeg.

mod support;

use gio::prelude::TlsBackendExt;
use showroom::engine::Engine;
use std::time::{Duration, Instant};
use support::*;

const RUN_SECS: f64 = 10.0;
const SWATCH: (u8, u8, u8) = (200, 40, 120);
// (canvas, x, y, w, h) of the swatch layer, as in the show below.
const LAND_RECT: (u32, u32, u32, u32) = (96, 64, 160, 120);
const PORT_RECT: (u32, u32, u32, u32) = (280, 600, 160, 120);

fn show_text() -> String {
    format!(
        r#"
[show]
name = "e2e"

[[canvases]]
id = "landscape"
width = 1280
height = 720
fps = 30

[[canvases]]
id = "portrait"
width = 720
height = 1280
fps = 30

[[sources]]
id = "bg"
kind = "test-pattern"
pattern = "ball"

[[sources]]
id = "swatch"
kind = "image"
path = "swatch.png"

[[sources]]
id = "tone"
kind = "tone"
frequency = 1000
volume = 0.25

[[scenes]]
id = "main"

[[scenes.layers]]
source = "bg"
place.landscape = {{ x = 0, y = 0, width = 1280, height = 720 }}
place.portrait = {{ x = 0, y = 0, width = 720, height = 1280 }}

[[scenes.layers]]
source = "swatch"
z = 1
place.landscape = {{ x = {}, y = {}, width = {}, height = {} }}
place.portrait = {{ x = {}, y = {}, width = {}, height = {} }}

[[recordings]]
canvas = "landscape"
path = "rec-{{canvas}}.mkv"

[[recordings]]
canvas = "portrait"
path = "rec-{{canvas}}.mp4"
"#,
        LAND_RECT.0, LAND_RECT.1, LAND_RECT.2, LAND_RECT.3, PORT_RECT.0, PORT_RECT.1, PORT_RECT.2, PORT_RECT.3
    )
}

fn check_swatch(frame: &[u8], w: u32, h: u32, rect: (u32, u32, u32, u32), what: &str) {
    let (ey, eu, ev) = bt709(SWATCH.0, SWATCH.1, SWATCH.2);
    let (x, y, rw, rh) = rect;
    // Inside, away from the edges where chroma of neighbours mixes in.
    for (px, py) in [(x + 4, y + 4), (x + rw / 2, y + rh / 2), (x + rw - 5, y + rh - 5)] {
        let (cy, cu, cv) = yuv_at(frame, w, h, px, py);
        for (got, want, name) in [(cy, ey, "Y"), (cu, eu, "Cb"), (cv, ev, "Cr")] {
            assert!(
                (got - want).abs() <= 3.0,
                "{what}: {name} at ({px},{py}) is {got}, expected {want:.1} ±3"
            );
        }
    }
    // Just outside each edge the swatch must not be: the rectangle is in place.
    for (px, py) in [
        (x - 3, y + rh / 2),
        (x + rw + 2, y + rh / 2),
        (x + rw / 2, y - 3),
        (x + rw / 2, y + rh + 2),
    ] {
        let (cy, cu, cv) = yuv_at(frame, w, h, px, py);
        let same = (cy - ey).abs() <= 6.0 && (cu - eu).abs() <= 6.0 && (cv - ev).abs() <= 6.0;
        assert!(
            !same,
            "{what}: swatch colour found outside its rectangle at ({px},{py})"
        );
    }
}

fn check_stream(path: &std::path::Path, w: u32, h: u32, expect_duration: f64, what: &str) {
    assert!(path.exists(), "{what}: {} was not received", path.display());
    let f = stream_facts(path);
    assert_eq!(f.video_codec, "h264", "{what}: {f:?}");
    assert_eq!(f.profile, "High", "{what}: {f:?}");
    assert_eq!(f.pix_fmt, "yuv420p", "{what}: {f:?}");
    assert_eq!((f.width, f.height), (w, h), "{what}: {f:?}");
    assert!((f.fps - 30.0).abs() < 0.1, "{what}: fps {} ({f:?})", f.fps);
    assert_eq!(f.audio_codec, "aac", "{what}: {f:?}");
    assert_eq!(f.sample_rate, 48000, "{what}: {f:?}");
    assert_eq!(f.channels, 2, "{what}: {f:?}");
    assert!(
        (f.duration - expect_duration).abs() <= 0.5,
        "{what}: duration {} s, expected {expect_duration} ± 0.5",
        f.duration
    );
    assert!(f.keyframe_times.len() >= 4, "{what}: keyframes {:?}", f.keyframe_times);
    for pair in f.keyframe_times.windows(2) {
        let gap = pair[1] - pair[0];
        assert!(
            (gap - 2.0).abs() < 0.05,
            "{what}: keyframes not every 2 s: {:?}",
            f.keyframe_times
        );
    }
}

#[test]
fn two_canvases_fan_out_to_isolated_destinations_and_recordings() {
    let _heavy = heavy_lock();
    let dir = tempdir("e2e");
    let nginx = Nginx::start(&dir.join("nginx"));
    // Trust the test CA in this process only: validation stays on.
    let db = gio::TlsFileDatabase::new(&nginx.ca_pem).expect("test CA loads");
    gio::TlsBackend::default().set_default_database(Some(&db));

    solid_png(&dir.join("swatch.png"), SWATCH, 64, 64);
    let mut show = load_show(&dir, &show_text());
    let rtmp = format!("rtmp://127.0.0.1:{}/live", nginx.rtmp_port);
    let rtmps = format!("rtmps://localhost:{}/live", nginx.rtmps_port);
    show.destinations = vec![
        custom_dest("land-a", 0, rtmp.clone(), "landA-7f3k2"),
        custom_dest("land-tls", 0, rtmps, "landTLS-9x8q"),
        custom_dest("port-a", 1, rtmp.clone(), "portA-2m4n6"),
        custom_dest("port-b", 1, rtmp.clone(), "portB-5t7y1"),
        custom_dest("refused", 0, rtmp, "refuse-3z9w"),
    ];

    let engine = Engine::start(show).expect("engine starts");
    let started = Instant::now();
    while started.elapsed().as_secs_f64() < RUN_SECS {
        std::thread::sleep(Duration::from_millis(200));
        assert!(engine.fatal_error().is_none(), "{:?}", engine.fatal_error());
    }
    let snap = engine.stop();
    let json = snap.to_json();
    eprintln!("{json}");
    for key in [
        "landA-7f3k2",
        "landTLS-9x8q",
        "portA-2m4n6",
        "portB-5t7y1",
        "refuse-3z9w",
    ] {
        assert!(!json.contains(key), "a stream key leaked into the stats");
        assert!(
            !snap.status_line().contains(key),
            "a stream key leaked into the status line"
        );
    }

    // How many frames a loaded machine manages is not this test's business
    // (benches/ measure that); that every tick is accounted for, and that any
    // drop is told to the host, is.
    for c in &snap.canvases {
        assert!(
            (c.frames_rendered + c.late_ticks + c.throttled_ticks) as f64 >= RUN_SECS * 30.0 - 3.0,
            "canvas {}: only {} frames rendered, {} skipped and {} throttled",
            c.id,
            c.frames_rendered,
            c.late_ticks,
            c.throttled_ticks
        );
        assert_eq!(c.wire_holes, 0, "canvas {}: ticks without a frame: {c:?}", c.id);
        if c.frames_dropped > 0 {
            assert!(
                snap.warnings.iter().any(|w| w.contains(&format!("canvas {}", c.id))),
                "canvas {} dropped {} frames without a warning: {:?}",
                c.id,
                c.frames_dropped,
                snap.warnings
            );
        }
    }
    for d in &snap.destinations {
        if d.id == "refused" {
            assert!(!d.ever_live, "the refused destination went live?");
            let err = d.error.clone().unwrap_or_default();
            assert!(err.contains("stream key refused"), "refused destination says: {err:?}");
        } else {
            assert!(d.ever_live, "{} never went live: {:?}", d.id, d.error);
            assert_eq!(d.error, None, "{}", d.id);
            if d.dropped_frames > 0 {
                assert!(
                    snap.warnings
                        .iter()
                        .any(|w| w.contains(&format!("destination {}", d.id))),
                    "{} dropped {} frames without a warning: {:?}",
                    d.id,
                    d.dropped_frames,
                    snap.warnings
                );
            }
            assert_eq!(d.connects, 1, "{} had to reconnect", d.id);
        }
    }

    check_stream(
        &nginx.received("landA-7f3k2"),
        1280,
        720,
        RUN_SECS,
        "landscape over RTMP",
    );
    check_stream(
        &nginx.received("landTLS-9x8q"),
        1280,
        720,
        RUN_SECS,
        "landscape over RTMPS",
    );
    check_stream(&nginx.received("portA-2m4n6"), 720, 1280, RUN_SECS, "portrait A");
    check_stream(&nginx.received("portB-5t7y1"), 720, 1280, RUN_SECS, "portrait B");
    assert!(
        std::fs::metadata(nginx.received("refuse-3z9w"))
            .map(|m| m.len())
            .unwrap_or(0)
            < 1000,
        "the server stored media for a refused key"
    );

    let land = grab_i420(&nginx.received("landA-7f3k2"), 5.0, 1280, 720);
    check_swatch(&land, 1280, 720, LAND_RECT, "landscape");
    let port = grab_i420(&nginx.received("portA-2m4n6"), 5.0, 720, 1280);
    check_swatch(&port, 720, 1280, PORT_RECT, "portrait");

    for (file, w, h) in [("rec-landscape.mkv", 1280, 720), ("rec-portrait.mp4", 720, 1280)] {
        let path = dir.join(file);
        check_stream(&path, w, h, RUN_SECS, file);
        let errors = decode_errors(&path);
        assert!(errors.trim().is_empty(), "{file} does not play cleanly: {errors}");
    }
    drop(nginx);
    let _ = std::fs::remove_dir_all(&dir);
}
