//! The studio window driven through AccessKit (egui_kittest), over a real
//! engine (lavapipe, GStreamer) and a real nginx-rtmp on loopback: what a
//! host clicks reaches the engine, and what the engine reports is what the
//! host reads.

mod support;

use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use showroom::studio::Studio;
use std::path::Path;
use std::time::Duration;
use support::*;

const SHOW: &str = r#"
[show]
name = "UI test"

[[canvases]]
id = "landscape"
width = 640
height = 360

[[canvases]]
id = "portrait"
width = 360
height = 640

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

[[scenes]]
id = "intro"

[[scenes.layers]]
source = "dark"
place.landscape = { x = 0, y = 0, width = 640, height = 360 }
place.portrait = { x = 0, y = 0, width = 360, height = 640 }

[[scenes]]
id = "products"

[[scenes.layers]]
source = "bars"
place.landscape = { x = 0, y = 0, width = 640, height = 360 }
place.portrait = { x = 0, y = 0, width = 360, height = 640 }
"#;

fn studio(dir: &Path, text: &str) -> Harness<'static, Studio> {
    let show = load_show(dir, text);
    let path = dir.join("show.toml");
    Harness::builder()
        .with_size(egui::vec2(1366.0, 768.0))
        .build_eframe(move |cc| Studio::new(cc, show, path).expect("the studio starts"))
}

/// Steps the UI (which repaints continuously while a show is open) until
/// `check` holds, for at most `limit`.
fn step_until(
    h: &mut Harness<'static, Studio>,
    limit: Duration,
    mut check: impl FnMut(&Harness<Studio>) -> bool,
) -> bool {
    poll_until(limit, || {
        h.step();
        check(h)
    })
    .is_some()
}

#[test]
fn clicking_a_scene_previews_it_and_cut_takes_it_to_program() {
    let _heavy = heavy_lock();
    let dir = tempdir("ui-scenes");
    let mut h = studio(&dir, SHOW);
    h.run_steps(2);
    // The main panels are there at a 1366×768 laptop size.
    for label in [
        "Scenes",
        "Sources",
        "Outputs",
        "Recordings",
        "PREVIEW — intro",
        "PROGRAM — intro",
    ] {
        h.get_by_label(label);
    }
    h.get_by_label_contains("2  products").click();
    h.run_steps(2);
    assert_eq!(h.state().engine().snapshot().preview, "products");
    assert_eq!(h.state().engine().snapshot().scene, "intro");
    h.get_by_label("PREVIEW — products");

    h.get_by_label("Cut").click();
    h.run_steps(2);
    let snap = h.state().engine().snapshot();
    assert_eq!((snap.scene.as_str(), snap.preview.as_str()), ("products", "intro"));
    h.get_by_label("PROGRAM — products");

    // Take with the show's transition (fade 500 ms by default) ends on the
    // other scene.
    h.get_by_label_contains("Take (fade 500 ms)").click();
    assert!(step_until(&mut h, Duration::from_secs(5), |h| {
        let s = h.state().engine().snapshot();
        s.scene == "intro" && !s.in_transition
    }));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn hotkeys_preview_by_number_and_cut_with_space() {
    let _heavy = heavy_lock();
    let dir = tempdir("ui-keys");
    let mut h = studio(&dir, SHOW);
    h.run_steps(2);
    h.key_press(egui::Key::Num2);
    h.run_steps(2);
    assert_eq!(h.state().engine().snapshot().preview, "products");
    h.key_press(egui::Key::Space);
    h.run_steps(2);
    assert_eq!(h.state().engine().snapshot().scene, "products");
    // A scene the show does not have is explained, not ignored.
    h.key_press(egui::Key::Num9);
    h.run_steps(2);
    h.get_by_label("there is no scene 9 in this show");
    // The canvas switch shows the other canvas's panes.
    h.get_by_label("portrait").click();
    h.run_steps(2);
    assert_eq!(h.state().canvas, 1);
    let _ = std::fs::remove_dir_all(&dir);
}

fn with_destinations(nginx: &Nginx, good: &str, refused: &str) -> String {
    format!(
        r#"{SHOW}
[[recordings]]
canvas = "landscape"
path = "rec-{{canvas}}.mkv"

[[destinations]]
id = "shop"
platform = "custom"
canvas = "landscape"
url = "rtmp://127.0.0.1:{port}/live"
key = {{ env = "SHOWROOM_UI_TEST_GOOD" }}

[[destinations]]
id = "refused"
platform = "custom"
canvas = "portrait"
url = "rtmp://127.0.0.1:{port}/live"
key = {{ env = "SHOWROOM_UI_TEST_REFUSED" }}
"#,
        port = nginx.rtmp_port
    )
    .replace("SHOWROOM_UI_TEST_GOOD", good)
    .replace("SHOWROOM_UI_TEST_REFUSED", refused)
}

#[test]
fn go_live_asks_first_shows_each_destination_and_end_show_finishes_the_streams() {
    let _heavy = heavy_lock();
    let dir = tempdir("ui-live");
    let nginx = Nginx::start(&dir.join("nginx"));
    // Keys come from the environment, as a show file would reference them.
    // SAFETY: set before any thread of this test reads the environment.
    unsafe {
        std::env::set_var("UI_GOOD_KEY", "uiGood-4k2j");
        std::env::set_var("UI_REFUSED_KEY", "refuse-ui-7h1");
    }
    let mut h = studio(&dir, &with_destinations(&nginx, "UI_GOOD_KEY", "UI_REFUSED_KEY"));
    h.run_steps(2);
    // Opening a show puts nothing on air.
    h.get_by_label("OFF AIR");
    for d in h.state().engine().snapshot().destinations {
        assert_eq!(d.state.word(), "idle", "{} started on its own", d.id);
    }

    h.get_by_label("Go Live").click();
    h.run_steps(2);
    h.get_by_label("Go live to all 2 destination(s)?");
    h.get_by_label("Cancel").click();
    h.run_steps(2);
    assert!(h.query_by_label("Go live to all 2 destination(s)?").is_none());
    assert!(
        h.state()
            .engine()
            .snapshot()
            .destinations
            .iter()
            .all(|d| d.state.word() == "idle")
    );

    h.get_by_label("Go Live").click();
    h.run_steps(2);
    h.get_by_label("Yes, go live").click();
    h.run_steps(2);
    h.get_by_label("Record").click();
    let live = step_until(&mut h, Duration::from_secs(20), |h| {
        let s = h.state().snapshot().clone();
        s.destinations
            .iter()
            .any(|d| d.id == "shop" && d.state.word() == "live")
            && s.destinations
                .iter()
                .any(|d| d.id == "refused" && d.state.word() == "failed")
    });
    assert!(live, "{:?}", h.state().engine().snapshot().destinations);
    h.run_steps(2);
    h.get_by_label("ON AIR");
    // The refused destination says why, in the host's words.
    h.get_by_label_contains("stream key refused");
    h.get_by_label_contains("REC ");
    std::thread::sleep(Duration::from_secs(3));

    h.get_by_label("End Show").click();
    h.run_steps(2);
    h.get_by_label("Yes, end the show").click();
    h.run_steps(2);
    h.get_by_label("Stop recording").click();
    h.run_steps(2);
    let snap = h.state().engine().snapshot();
    for d in &snap.destinations {
        assert_eq!(d.state.word(), "stopped", "{}", d.id);
    }
    h.get_by_label("OFF AIR");
    let rec = &snap.recordings[0];
    assert_eq!(rec.recording_s, None, "{rec:?}");
    drop(h);

    // What the platform received and what was recorded play to the end.
    let got = stream_facts(&nginx.received("uiGood-4k2j"));
    assert_eq!((got.width, got.height), (640, 360));
    assert!(got.duration >= 2.0, "{got:?}");
    let recording = dir.join("rec-landscape.mkv");
    assert!(decode_errors(&recording).trim().is_empty());
    assert!(stream_facts(&recording).duration >= 2.0);
    let _ = std::fs::remove_dir_all(&dir);
}
