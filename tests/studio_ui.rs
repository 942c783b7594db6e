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
    studio_sized(dir, text, egui::vec2(1366.0, 768.0))
}

/// A taller window: the docks below the pictures (rundown, outputs) show
/// all their rows without scrolling.
fn studio_sized(dir: &Path, text: &str, size: egui::Vec2) -> Harness<'static, Studio> {
    let show = load_show(dir, text);
    let path = dir.join("show.toml");
    Harness::builder()
        .with_size(size)
        // egui's clock moves this much a frame: a double-click (two clicks
        // within 0.3 s) needs frames shorter than kittest's default 0.25 s.
        .with_step_dt(1.0 / 30.0)
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
    // The T-bar mixes by hand; all the way takes the preview.
    h.key_press(egui::Key::Num1);
    h.run_steps(2);
    h.get_by_label("T-bar").set_value_accesskit(0.5);
    h.run_steps(2);
    let snap = h.state().engine().snapshot();
    assert_eq!((snap.tbar, snap.in_transition), (Some(0.5), true));
    h.get_by_label("T-bar").set_value_accesskit(1.0);
    h.run_steps(2);
    let snap = h.state().engine().snapshot();
    assert_eq!(
        (snap.scene.as_str(), snap.tbar, snap.in_transition),
        ("intro", None, false)
    );
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
    // Each stream ends on its own thread ("stopping"), then is stopped.
    let ended = step_until(&mut h, Duration::from_secs(30), |h| {
        h.state()
            .engine()
            .snapshot()
            .destinations
            .iter()
            .all(|d| d.state.word() == "stopped")
    });
    let snap = h.state().engine().snapshot();
    assert!(ended, "{:?}", snap.destinations);
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

/// End Show against a server that answers nothing (SIGSTOP'd before Go
/// Live: the kernel accepts the connection, the RTMP handshake never comes
/// back) returns at once. The window goes on drawing frames that say
/// `stopping` while the stream waits for its timeout, then `stopped`.
/// (Once publishing, rtmp2sink hands EOS over without waiting for the
/// server; the wait that used to freeze the window is this one.)
#[test]
fn end_show_against_a_frozen_server_keeps_the_window_drawing() {
    let _heavy = heavy_lock();
    let dir = tempdir("ui-frozen");
    let nginx = Nginx::start(&dir.join("nginx"));
    // SAFETY: set before any thread of this test reads the environment.
    unsafe { std::env::set_var("UI_FROZEN_KEY", "frozen-ui-3k8d") };
    let text = format!(
        r#"{SHOW}
[[destinations]]
id = "shop"
platform = "custom"
canvas = "landscape"
url = "rtmp://127.0.0.1:{}/live"
key = {{ env = "UI_FROZEN_KEY" }}
"#,
        nginx.rtmp_port
    );
    let mut h = studio(&dir, &text);
    h.run_steps(2);
    nginx.pause(true);
    let state = |h: &Harness<Studio>| h.state().engine().snapshot().destinations[0].state.word();
    h.get_by_label("Go Live").click();
    h.run_steps(2);
    h.get_by_label("Yes, go live").click();
    // Each attempt waits up to its 3 s timeout for the frozen server (then
    // a backoff wait, then the next); End Show is clicked as one starts.
    let mut waiting = true;
    let attempt_starts = step_until(&mut h, Duration::from_secs(60), |h| {
        let d = h.state().engine().snapshot().destinations[0].clone();
        let trying = matches!(d.state.word(), "connecting" | "reconnecting") && d.retry_in_s.is_none();
        let starts = waiting && trying;
        waiting = !trying;
        starts
    });
    assert!(attempt_starts, "{:?}", h.state().engine().snapshot().destinations);
    // The window shows what it last read (a few times a second).
    assert!(step_until(&mut h, Duration::from_secs(10), |h| h
        .query_by_label("End Show")
        .is_some()));
    h.get_by_label("End Show").click();
    h.step();
    h.get_by_label("Yes, end the show").click();
    h.step();
    let mut frames_stopping = 0;
    let ended = step_until(&mut h, Duration::from_secs(30), |h| {
        if h.query_by_label("stopping").is_some() {
            frames_stopping += 1;
        }
        state(h) == "stopped"
    });
    nginx.pause(false);
    assert!(ended, "{:?}", h.state().engine().snapshot().destinations);
    assert!(
        frames_stopping >= 3,
        "the window drew {frames_stopping} frame(s) while the stream was ending"
    );
    // What the window shows next.
    assert!(step_until(&mut h, Duration::from_secs(10), |h| h
        .query_by_label("stopped")
        .is_some()
        && h.query_by_label("OFF AIR").is_some()));
    drop(h);
    let _ = std::fs::remove_dir_all(&dir);
}

/// Log lines of this whole process (every thread), for checking what was
/// written.
#[derive(Clone, Default)]
struct Captured(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

impl std::io::Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[test]
fn a_typed_stream_key_goes_masked_to_the_keyring_and_the_destination_goes_live_with_it() {
    let _heavy = heavy_lock();
    let dir = tempdir("ui-key");
    let logs = Captured::default();
    let writer = logs.clone();
    tracing_subscriber::fmt()
        .with_env_filter("debug")
        .with_writer(move || writer.clone())
        .with_ansi(false)
        .init();
    let svc = SecretService::start(&dir.join("keyring"));
    // This process (the studio) talks to that private keyring.
    // SAFETY: set before the engine starts any thread of this test.
    unsafe {
        for (k, v) in &svc.env {
            std::env::set_var(k, v);
        }
    }
    let nginx = Nginx::start(&dir.join("nginx"));
    let text = format!(
        "{SHOW}\n[[destinations]]\nid = \"shop\"\nplatform = \"custom\"\ncanvas = \"landscape\"\n\
         url = \"rtmp://127.0.0.1:{}/live\"\nkey = {{ keyring = \"ui-shop\" }}\n",
        nginx.rtmp_port
    );
    let mut h = studio(&dir, &text);
    h.run_steps(2);

    // No key stored yet: the pre-flight check says so and Go Live asks
    // again; going live anyway fails and says how to fix it.
    h.get_by_label("Go Live").click();
    h.run_steps(2);
    h.get_by_label("The pre-flight check found 1 problem(s). Go live anyway?");
    h.get_by_label_contains("key of shop: ");
    h.get_by_label("Go live anyway").click();
    assert!(step_until(&mut h, Duration::from_secs(10), |h| {
        h.state().snapshot().destinations[0].needs_action
    }));
    h.run_steps(2);
    h.get_by_label_contains("no stream key is stored in the OS keyring under `ui-shop`");

    // The host pastes a key: masked on screen and to screen readers.
    let key = "typedKey-9z8x7w";
    h.get_by_label("Set key…").click();
    h.run_steps(2);
    let field = h.get_by_role(egui::accesskit::Role::PasswordInput);
    field.focus();
    h.run_steps(1);
    h.get_by_role(egui::accesskit::Role::PasswordInput).type_text(key);
    h.run_steps(2);
    let shown = h
        .get_by_role(egui::accesskit::Role::PasswordInput)
        .value()
        .unwrap_or_default();
    assert!(
        !shown.contains(key) && shown.chars().count() == key.len(),
        "the field shows {shown:?}"
    );
    h.get_by_label("Save key").click();
    h.run_steps(2);
    h.get_by_label_contains("stored the stream key for shop in the OS keyring");

    // The waiting destination reconnects by itself, with the new key.
    assert!(
        step_until(&mut h, Duration::from_secs(20), |h| h.state().snapshot().destinations
            [0]
        .state
        .word()
            == "live"),
        "{:?}",
        h.state().snapshot().destinations
    );
    assert!(
        poll_until(Duration::from_secs(5), || nginx.received(key).exists()).is_some(),
        "the server got no stream under the typed key"
    );
    drop(h);

    let show_file = std::fs::read_to_string(dir.join("show.toml")).unwrap();
    assert!(!show_file.contains(key), "the key was written into the show file");
    let logged = String::from_utf8_lossy(&logs.0.lock().unwrap()).to_string();
    assert!(logged.contains("going live"), "no logs were captured:\n{logged}");
    assert!(!logged.contains(key), "the key was logged:\n{logged}");
    let _ = showroom::secrets::delete_from_keyring("ui-shop");
    // GIO (GStreamer's network code) may have opened the session bus; by
    // default it ends the process when that bus goes away with the test's
    // private dbus-daemon.
    if let Ok(bus) = gio::bus_get_sync(gio::BusType::Session, None::<&gio::Cancellable>) {
        bus.set_exit_on_close(false);
    }
    drop(svc);
    let _ = std::fs::remove_dir_all(&dir);
}

const EDIT_SHOW: &str = r#"# A brand's scene, prepared before the show
[show]
name = "Layout"

[[canvases]]
id = "landscape"
width = 640
height = 360

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

# the product shot, top left
[[scenes.layers]]
source = "bars"
z = 1
place.landscape = { x = 100, y = 60, width = 160, height = 90 } # keep clear of the logo
"#;

fn bars_place(h: &Harness<'static, Studio>) -> showroom::show::Rect {
    let scene = h.state().engine().scene(0);
    scene.layers.iter().find(|l| l.source == 1).unwrap().place[0].unwrap()
}

/// Drags with the primary button from `from` to `to` (screen points).
fn drag(h: &mut Harness<'static, Studio>, from: egui::Pos2, to: egui::Pos2) {
    let button = |pos, pressed| egui::Event::PointerButton {
        pos,
        button: egui::PointerButton::Primary,
        pressed,
        modifiers: egui::Modifiers::NONE,
    };
    h.event(egui::Event::PointerMoved(from));
    h.step();
    h.event(button(from, true));
    h.step();
    for k in 1..=4 {
        let t = k as f32 / 4.0;
        h.event(egui::Event::PointerMoved(from + (to - from) * t));
        h.step();
    }
    h.event(button(to, false));
    h.run_steps(2);
}

#[test]
fn the_layout_editor_drags_snaps_undoes_and_saves_into_the_show_file_keeping_comments() {
    let _heavy = heavy_lock();
    let dir = tempdir("ui-edit");
    let mut h = studio(&dir, EDIT_SHOW);
    h.run_steps(2);
    h.get_by_label("Edit layout").click();
    h.run_steps(2);
    h.get_by_label_contains("EDITING — intro");
    let pane = h.get_by_label("layout editor").rect();
    let to_screen = |x: f32, y: f32| {
        egui::pos2(
            pane.min.x + x / 640.0 * pane.width(),
            pane.min.y + y / 360.0 * pane.height(),
        )
    };

    // Drag the product shot left by 96 canvas pixels: its left edge lands
    // 4 px from the canvas edge and snaps onto it.
    drag(&mut h, to_screen(180.0, 105.0), to_screen(84.0, 105.0));
    let moved = bars_place(&h);
    assert_eq!((moved.x, moved.y, moved.width, moved.height), (0, 60, 160, 90));

    // Resize from the bottom-right corner handle.
    drag(&mut h, to_screen(160.0, 150.0), to_screen(200.0, 160.0));
    let resized = bars_place(&h);
    assert_eq!((resized.x, resized.y, resized.width, resized.height), (0, 60, 200, 100));

    // Undo twice, redo once.
    h.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::Z);
    h.run_steps(2);
    assert_eq!(bars_place(&h).width, 160);
    h.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::Z);
    h.run_steps(2);
    assert_eq!(bars_place(&h).x, 100);
    h.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::Y);
    h.run_steps(2);
    assert_eq!(bars_place(&h).x, 0);

    // The properties of the selected layer.
    h.get_by_label("Layer: bars");
    h.get_by_role_and_label(egui::accesskit::Role::Slider, "opacity")
        .set_value_accesskit(0.5);
    h.run_steps(2);
    h.get_by_role_and_label(egui::accesskit::Role::CheckBox, "mirror")
        .click();
    h.run_steps(2);
    let bars = h
        .state()
        .engine()
        .scene(0)
        .layers
        .into_iter()
        .find(|l| l.source == 1)
        .unwrap();
    assert_eq!((bars.opacity, bars.style.mirror), (0.5, true));
    h.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::Z);
    h.run_steps(2);
    let bars = h
        .state()
        .engine()
        .scene(0)
        .layers
        .into_iter()
        .find(|l| l.source == 1)
        .unwrap();
    assert_eq!(
        (bars.opacity, bars.style.mirror),
        (0.5, false),
        "undo takes back the mirror only"
    );

    h.get_by_label("Save layout (3)").click();
    h.run_steps(2);
    h.get_by_label_contains("saved 3 layout change(s)");
    let saved = std::fs::read_to_string(dir.join("show.toml")).unwrap();
    assert!(
        saved.starts_with("# A brand's scene, prepared before the show\n"),
        "{saved}"
    );
    assert!(saved.contains("# the product shot, top left"), "{saved}");
    assert!(
        saved.contains("place.landscape = { x = 0, y = 60, width = 160, height = 90 } # keep clear of the logo"),
        "{saved}"
    );
    // And the show opens with it.
    drop(h);
    let show = showroom::show::load(&dir.join("show.toml")).unwrap();
    let bars = show.scenes[0].layers.iter().find(|l| l.source == 1).unwrap();
    assert_eq!(bars.place[0].unwrap().x, 0);
    assert_eq!((bars.opacity, bars.style.mirror), (0.5, false));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn keys_come_from_the_users_studio_toml_and_a_broken_one_is_explained() {
    let _heavy = heavy_lock();
    let dir = tempdir("ui-keymap");
    let config = dir.join("config");
    std::fs::create_dir_all(config.join("showroom")).unwrap();
    std::fs::write(
        config.join("showroom/studio.toml"),
        "[hotkeys]\ncut = \"C\"\nscenes = [\"F1\", \"F2\"]\nproducts = [\"F5\", \"F6\"]\n",
    )
    .unwrap();
    // SAFETY: the studio reads it on the test's thread; no other test runs meanwhile (heavy lock).
    unsafe { std::env::set_var("XDG_CONFIG_HOME", &config) };
    let mut h = studio(&dir, SHOW);
    h.run_steps(2);
    h.key_press(egui::Key::F2);
    h.run_steps(2);
    assert_eq!(h.state().engine().snapshot().preview, "products");
    h.key_press(egui::Key::Space);
    h.run_steps(2);
    assert_eq!(h.state().engine().snapshot().scene, "intro", "Space still cuts");
    h.key_press(egui::Key::C);
    h.run_steps(2);
    assert_eq!(h.state().engine().snapshot().scene, "products");
    // The scene list shows the configured key.
    h.get_by_label_contains("F1  intro");
    drop(h);

    std::fs::write(config.join("showroom/studio.toml"), "[hotkeys]\nfade = \"Spcae\"\n").unwrap();
    let mut h = studio(&dir, SHOW);
    h.run_steps(2);
    h.get_by_label_contains("[hotkeys] fade = \"Spcae\" is not a key name");
    h.get_by_label_contains("using the default keys");
    drop(h);
    unsafe { std::env::remove_var("XDG_CONFIG_HOME") };
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn the_products_panel_puts_cards_on_air_by_click_and_by_f_key() {
    let _heavy = heavy_lock();
    let dir = tempdir("ui-products");
    std::fs::write(
        dir.join("catalog.csv"),
        "id,code,title,price,currency,stock,image\n\
         shirt,A1,Linen Shirt,39.00,USD,3,shirt.png\n\
         mug,B2,Ceramic Mug,18.50,USD,0,\n",
    )
    .unwrap();
    solid_png(&dir.join("shirt.png"), (200, 180, 150), 64, 64);
    let text = format!("{SHOW}\n[products]\ncatalog = \"catalog.csv\"\n");
    let mut h = studio(&dir, &text);
    h.run_steps(2);
    h.get_by_label("Products");
    h.get_by_label("$39.00 · 3 in stock");
    h.get_by_label("$18.50 · sold out");
    h.get_by_label_contains("F1  A1 · Linen Shirt").click();
    assert!(step_until(&mut h, Duration::from_secs(3), |h| {
        h.state().snapshot().graphics.featured.as_deref() == Some("A1")
    }));
    h.get_by_label("F1  A1 · Linen Shirt — ON AIR");

    h.key_press(egui::Key::F2);
    assert!(step_until(&mut h, Duration::from_secs(3), |h| {
        h.state().snapshot().graphics.featured.as_deref() == Some("B2")
    }));
    // F9: no ninth product — said, not ignored.
    h.key_press(egui::Key::F9);
    h.run_steps(2);
    assert_eq!(
        h.state().message(),
        Some("there is no product 9 in this show's catalog")
    );

    h.get_by_label("Hide card").click();
    assert!(step_until(&mut h, Duration::from_secs(3), |h| {
        h.state().snapshot().graphics.featured.is_none()
    }));
    h.get_by_label("Start 5:00 countdown").click();
    assert!(step_until(&mut h, Duration::from_secs(3), |h| {
        h.state().snapshot().graphics.countdown_left_s.is_some_and(|s| s > 290)
    }));
    h.get_by_label("Stop countdown").click();
    assert!(step_until(&mut h, Duration::from_secs(3), |h| {
        h.state().snapshot().graphics.countdown_left_s.is_none()
    }));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_show_without_a_catalog_says_how_to_add_one() {
    let _heavy = heavy_lock();
    let dir = tempdir("ui-no-products");
    let mut h = studio(&dir, SHOW);
    h.run_steps(2);
    h.get_by_label("No catalog: add [products] catalog = \"catalog.csv\" to the show file.");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_source_added_in_the_window_goes_on_the_preview_scene_and_into_the_show_file() {
    let _heavy = heavy_lock();
    let dir = tempdir("ui-add-source");
    let mut h = studio(&dir, SHOW);
    h.run_steps(2);
    h.get_by_label("Add source…").click();
    h.run_steps(2);
    // An image without a file is explained, not added.
    h.get_by_label("Image").click();
    h.run_steps(1);
    h.get_by_label("Add").click();
    h.run_steps(2);
    h.get_by_label("give the file's path (absolute, or relative to the show file)");
    h.get_by_label("Test pattern").click();
    h.run_steps(1);
    h.get_by_label("Add").click();
    h.run_steps(2);
    assert_eq!(h.state().engine().source_ids(), ["dark", "bars", "pattern-1"]);
    assert!(step_until(&mut h, Duration::from_secs(5), |h| {
        h.state()
            .snapshot()
            .sources
            .iter()
            .any(|s| s.id == "pattern-1" && s.frames > 0)
    }));
    let intro = h.state().engine().scene(0);
    assert_eq!(
        intro.layers.last().map(|l| l.source),
        Some(2),
        "on top of the scene in preview"
    );
    assert!(h.query_by_label("Add source").is_none(), "the window closed");
    // The layout editor is on with the new layer selected; saving writes it.
    h.get_by_label("Layer: pattern-1");
    h.get_by_label("Save layout (3)").click();
    h.run_steps(2);
    let saved = std::fs::read_to_string(dir.join("show.toml")).unwrap();
    assert!(
        saved.contains("id = \"pattern-1\"\nkind = \"test-pattern\"\npattern = \"smpte\""),
        "{saved}"
    );
    assert!(saved.contains("source = \"pattern-1\""), "{saved}");
    let show = showroom::show::load(&dir.join("show.toml")).expect("the saved show loads");
    assert_eq!(show.sources.len(), 3);
    let layer = show.scenes[0].layers.last().unwrap();
    assert_eq!(layer.source, 2);
    assert_eq!(
        layer.place[0],
        Some(showroom::show::Rect {
            x: 160,
            y: 90,
            width: 320,
            height: 180
        })
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn the_audio_strip_meters_mutes_and_says_when_the_mix_is_too_quiet() {
    let _heavy = heavy_lock();
    let dir = tempdir("ui-audio");
    let text = format!("{SHOW}\n[[sources]]\nid = \"mic-tone\"\nkind = \"tone\"\nfrequency = 440\nvolume = 0.02\n");
    let mut h = studio(&dir, &text);
    h.run_steps(2);
    h.get_by_label("Audio");
    h.get_by_label("mic-tone");
    h.get_by_label("Master");
    // A tone at -34 dBFS is far under the -16 LUFS target: the window says so.
    assert!(
        step_until(&mut h, Duration::from_secs(10), |h| h
            .state()
            .snapshot()
            .audio
            .hint
            .as_deref()
            .is_some_and(|t| t.starts_with("the mix is quiet"))),
        "{:?}",
        h.state().snapshot().audio
    );
    let level = h.state().snapshot().audio.inputs[0].levels;
    assert!((level.peak_db - -34.0).abs() < 1.0, "{level:?}");
    // In the audio strip and in the status line.
    assert_eq!(h.get_all_by_label_contains("the mix is quiet").count(), 2);
    h.get_by_label("Mute").click();
    assert!(
        step_until(&mut h, Duration::from_secs(5), |h| {
            let a = &h.state().snapshot().audio;
            a.inputs[0].mute && a.master.peak_db < -100.0
        }),
        "{:?} {:?}",
        h.state().snapshot().audio,
        h.state().message()
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_microphone_added_in_the_window_joins_the_mix_without_a_layer() {
    let _heavy = heavy_lock();
    let dir = tempdir("ui-add-mic");
    let mut h = studio(&dir, SHOW);
    h.run_steps(2);
    h.get_by_label("Add source…").click();
    h.run_steps(2);
    h.get_by_label("Microphone").click();
    h.run_steps(1);
    h.get_by_label("Add").click();
    h.run_steps(2);
    assert_eq!(h.state().engine().source_ids(), ["dark", "bars", "mic-1"]);
    assert_eq!(h.state().engine().scene(0).layers.len(), 1, "no layer for a microphone");
    assert!(step_until(&mut h, Duration::from_secs(3), |h| h
        .state()
        .snapshot()
        .audio
        .inputs
        .iter()
        .any(|i| i.id == "mic-1" && i.denoise)));
    h.get_by_label("Save layout (1)").click();
    h.run_steps(2);
    let show = showroom::show::load(&dir.join("show.toml")).expect("the saved show loads");
    assert_eq!(show.sources[2].config.kind_name(), "microphone");
    assert_eq!(show.scenes[0].layers.len(), 1);
    let _ = std::fs::remove_dir_all(&dir);
}

/// The remote control in the window: a show with [remote] has it on, the
/// Outputs panel shows where and who is connected, and the switch stops
/// and starts it.
#[test]
fn the_remote_switch_shows_where_it_listens_and_who_is_connected() {
    let dir = tempdir("ui-remote");
    let text = format!("{SHOW}\n[remote]\nlisten = \"127.0.0.1:0\"\n");
    let mut h = studio(&dir, &text);
    h.run_steps(2);
    let addr = h.state().remote().expect("[remote] starts it").addr();
    h.get_by_label_contains(&format!("ws://{addr}"));
    h.get_by_label("no controller connected");
    // A controller connects (and stays unidentified): the list shows it.
    let socket = std::net::TcpStream::connect(addr).unwrap();
    let mut ws = tokio_tungstenite::tungstenite::client(format!("ws://{addr}/"), socket)
        .unwrap()
        .0;
    let hello = ws.read().unwrap();
    assert!(hello.to_text().unwrap().contains("\"op\":0"), "{hello:?}");
    assert!(step_until(&mut h, Duration::from_secs(10), |h| h
        .query_by_label_contains("json · identifying")
        .is_some()));
    h.get_by_label("obs-websocket server").click();
    h.run_steps(2);
    assert!(h.state().remote().is_none());
    assert!(h.query_by_label_contains(&format!("ws://{addr}")).is_none());
    // The closed session says why.
    assert!(matches!(
        ws.read(),
        Ok(tokio_tungstenite::tungstenite::Message::Close(_)) | Err(_)
    ));
    h.get_by_label("obs-websocket server").click();
    h.run_steps(2);
    assert!(h.state().remote().is_some(), "{:?}", h.state().remote_error);
    drop(h);
    let _ = std::fs::remove_dir_all(&dir);
}

/// The Crew panel: a show with [console] has the crew console on; an
/// invite made in the window lets a page in (listed as connected), and
/// Revoke closes that page at once.
#[test]
fn the_crew_panel_invites_lists_and_revokes() {
    use tokio_tungstenite::tungstenite::{Message, client::IntoClientRequest};
    let dir = tempdir("ui-crew");
    let text = format!("{SHOW}\n[console]\nlisten = \"127.0.0.1:0\"\n");
    let mut h = studio_sized(&dir, &text, egui::vec2(1600.0, 1200.0));
    h.run_steps(2);
    let url = h.state().console().expect("[console] starts it").url();
    h.get_by_label(&url);
    h.get_by_label("nobody invited yet");
    h.state_mut().crew.name = "Ana".into();
    h.get_by_label("Invite").click();
    h.run_steps(2);
    h.get_by_label_contains("invite 1 for Ana (moderator)");
    h.get_by_label("Ana · moderator · not connected");
    h.get_by_label("Scan with the phone's camera:");
    let link = h.state().crew.links[&1].expose().to_string();
    let token = link.split('#').nth(1).unwrap().to_string();
    // A page opens with the link's token.
    let addr = h.state().console().unwrap().addr();
    let mut req = format!("ws://{addr}/ws").into_client_request().unwrap();
    req.headers_mut()
        .insert("origin", format!("http://{addr}").parse().unwrap());
    let socket = std::net::TcpStream::connect(addr).unwrap();
    socket.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    let mut ws = tokio_tungstenite::tungstenite::client(req, socket).unwrap().0;
    ws.send(Message::text(format!("{{\"token\":\"{token}\"}}"))).unwrap();
    let welcome = ws.read().unwrap();
    assert!(
        welcome.to_text().unwrap().contains("\"role\":\"moderator\""),
        "{welcome:?}"
    );
    assert!(step_until(&mut h, Duration::from_secs(10), |h| h
        .query_by_label("Ana · moderator · connected")
        .is_some()));
    h.get_by_label("Revoke").click();
    h.run_steps(2);
    h.get_by_label("nobody invited yet");
    // The open page is closed, saying why.
    let code = loop {
        match ws.read() {
            Ok(Message::Close(f)) => break f.map(|f| u16::from(f.code)),
            Ok(_) => continue,
            Err(e) => panic!("the page was dropped without a reason: {e}"),
        }
    };
    assert_eq!(code, Some(4001));
    h.get_by_label("crew console").click();
    h.run_steps(2);
    assert!(h.state().console().is_none());
    drop(h);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn the_rundown_panel_moves_reorders_edits_and_saves_the_segments() {
    let _heavy = heavy_lock();
    let dir = tempdir("ui-rundown");
    std::fs::write(
        dir.join("catalog.csv"),
        "id,code,title,price,currency,stock\nshirt,A1,Linen Shirt,39.00,USD,3\nmug,B2,Ceramic Mug,18.50,USD,9\n",
    )
    .unwrap();
    let text = format!(
        "# the crew's show\n{SHOW}\n[products]\ncatalog = \"catalog.csv\"\n\n[rundown]\n\
         [[rundown.segments]]\ntitle = \"Opening\"\nscene = \"intro\"\n\n\
         [[rundown.segments]]\ntitle = \"Shirts\"\nproducts = [\"A1\"]\nscene = \"products\"\nduration = \"1m\"\ntalking_points = [\"Breathable linen\"]\n\n\
         [[rundown.segments]]\ntitle = \"Mugs\"\nproducts = [\"B2\"]\n"
    );
    let mut h = studio_sized(&dir, &text, egui::vec2(1600.0, 1200.0));
    h.run_steps(2);
    h.get_by_label("Rundown");
    h.get_by_label("rundown: 3 segments, not started (next: Opening)");
    fn current(h: &Harness<'_, Studio>) -> Option<String> {
        h.state()
            .engine()
            .snapshot()
            .rundown
            .and_then(|r| r.current)
            .map(|c| c.title)
    }
    // Page Down: what a presenter's clicker sends.
    h.key_press(egui::Key::PageDown);
    assert!(step_until(&mut h, Duration::from_secs(3), |h| current(h).as_deref()
        == Some("Opening")));
    h.get_by_label("Next segment").click();
    assert!(step_until(&mut h, Duration::from_secs(3), |h| current(h).as_deref()
        == Some("Shirts")));
    let snap = h.state().engine().snapshot();
    assert_eq!(snap.scene, "products");
    assert_eq!(snap.graphics.featured.as_deref(), Some("A1"));
    h.run_steps(2);
    h.get_by_label("2. Shirts (1:00) — ON AIR");
    h.get_by_label("• Breathable linen");
    h.key_press(egui::Key::PageUp);
    assert!(step_until(&mut h, Duration::from_secs(3), |h| current(h).as_deref()
        == Some("Opening")));
    h.run_steps(2);
    h.get_all_by_label("Go").nth(2).unwrap().click();
    assert!(step_until(&mut h, Duration::from_secs(3), |h| current(h).as_deref()
        == Some("Mugs")));
    assert_eq!(h.state().engine().snapshot().graphics.featured.as_deref(), Some("B2"));

    // Reorder: the opening goes after the shirts; Mugs stays on air.
    h.get_all_by_label("Down").next().unwrap().click();
    h.run_steps(3);
    fn titles(h: &Harness<'_, Studio>) -> Vec<String> {
        h.state().engine().rundown().into_iter().map(|s| s.title).collect()
    }
    assert_eq!(titles(&h), ["Shirts", "Opening", "Mugs"]);
    assert_eq!(current(&h).as_deref(), Some("Mugs"));
    // Edit the third segment's title and length.
    h.get_all_by_label("Edit").nth(2).unwrap().click();
    h.run_steps(2);
    h.get_by_label("Title").focus();
    h.run_steps(1);
    h.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::A);
    h.get_by_label("Title").type_text("Mugs and cups");
    h.get_by_label("Planned length").focus();
    h.run_steps(1);
    h.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::A);
    h.get_by_label("Planned length").type_text("soon");
    h.run_steps(1);
    h.get_by_label("Apply").click();
    h.run_steps(2);
    assert_eq!(
        h.state().message(),
        Some("planned length \"soon\": write it like 4m or 90s")
    );
    h.get_by_label("Planned length").focus();
    h.run_steps(1);
    h.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::A);
    h.get_by_label("Planned length").type_text("90s");
    h.run_steps(1);
    h.get_by_label("Apply").click();
    h.run_steps(3);
    assert_eq!(titles(&h), ["Shirts", "Opening", "Mugs and cups"]);
    assert_eq!(h.state().engine().rundown()[2].planned_ms, Some(90_000));
    h.get_by_label("unsaved changes");
    h.get_by_label("Save rundown").click();
    h.run_steps(2);
    assert!(
        h.state().message().is_some_and(|m| m.starts_with("rundown saved to ")),
        "{:?}",
        h.state().message()
    );
    drop(h);
    let saved = std::fs::read_to_string(dir.join("show.toml")).unwrap();
    assert!(saved.starts_with("# the crew's show\n"), "{saved}");
    let back = showroom::show::load(&dir.join("show.toml")).unwrap();
    let segments = back.rundown.unwrap().segments;
    let names: Vec<&str> = segments.iter().map(|s| s.title.as_str()).collect();
    assert_eq!(names, ["Shirts", "Opening", "Mugs and cups"]);
    assert_eq!(segments[2].planned_ms, Some(90_000));
    assert_eq!(segments[0].talking_points, ["Breathable linen"]);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_rehearsal_says_so_and_sends_nothing_when_started() {
    let _heavy = heavy_lock();
    let dir = tempdir("ui-rehearsal");
    let nginx = Nginx::start(&dir.join("nginx"));
    // SAFETY: set before any thread of this test reads the environment.
    unsafe {
        std::env::set_var("UI_RH_KEY", "uiRehearse-9p");
    }
    let show = load_show(&dir, &with_destinations(&nginx, "UI_RH_KEY", "UI_RH_KEY"));
    let path = dir.join("show.toml");
    let mut h = Harness::builder()
        .with_size(egui::vec2(1366.0, 768.0))
        .build_eframe(move |cc| Studio::new_with(cc, show, path, true).expect("the studio starts"));
    h.run_steps(2);
    h.get_by_label("REHEARSAL");
    h.get_by_label("Start Rehearsal").click();
    h.run_steps(2);
    h.get_by_label("Start the rehearsal? Nothing is sent to any platform.");
    h.get_by_label("Yes, rehearse").click();
    let going = step_until(&mut h, Duration::from_secs(20), |h| {
        h.state()
            .snapshot()
            .destinations
            .iter()
            .all(|d| d.state.word() == "rehearsal")
    });
    assert!(going, "{:?}", h.state().engine().snapshot().destinations);
    h.run_steps(2);
    h.get_by_label("REHEARSING");
    assert!(h.query_by_label("ON AIR").is_none());
    std::thread::sleep(Duration::from_secs(2));
    assert!(nginx.auth.requests.lock().unwrap().is_empty(), "nginx saw a publish");
    h.get_by_label("End Rehearsal").click();
    h.run_steps(2);
    h.get_by_label("Yes, end it").click();
    let ended = step_until(&mut h, Duration::from_secs(30), |h| {
        h.state()
            .engine()
            .snapshot()
            .destinations
            .iter()
            .all(|d| d.state.word() == "stopped")
    });
    assert!(ended, "{:?}", h.state().engine().snapshot().destinations);
    drop(h);
    assert!(
        std::fs::read_dir(&nginx.record_dir).unwrap().next().is_none(),
        "nginx recorded something"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// The user's settings folder for one test (views.toml is written there);
/// put back when dropped. Taken under `heavy_lock`, as the keymap test does.
struct UserConfig(std::path::PathBuf);

impl UserConfig {
    fn new(dir: &Path) -> UserConfig {
        let config = dir.join("config");
        std::fs::create_dir_all(&config).unwrap();
        // SAFETY: the tests that change the environment hold heavy_lock.
        unsafe { std::env::set_var("XDG_CONFIG_HOME", &config) };
        UserConfig(config.join("showroom").join("views.toml"))
    }
    fn views(&self) -> String {
        std::fs::read_to_string(&self.0).unwrap_or_default()
    }
}

impl Drop for UserConfig {
    fn drop(&mut self) {
        unsafe { std::env::remove_var("XDG_CONFIG_HOME") };
    }
}

fn aspect(r: egui::Rect) -> f32 {
    r.width() / r.height()
}

#[test]
fn preview_and_program_fill_the_centre_keep_the_aspect_and_follow_the_window() {
    let _heavy = heavy_lock();
    let dir = tempdir("ui-panes");
    let config = UserConfig::new(&dir);
    let mut h = studio(&dir, SHOW);
    h.run_steps(3);
    let program = h.get_by_label("program picture").rect();
    let preview = h.get_by_label("preview picture").rect();
    for r in [program, preview] {
        assert!((aspect(r) - 16.0 / 9.0).abs() < 0.01, "{r:?}");
    }
    assert!(preview.width() < program.width() && preview.right() < program.left());
    assert!(program.width() >= 480.0, "{program:?} at 1366×768");

    // A bigger window: bigger pictures, same aspect.
    h.set_size(egui::vec2(1920.0, 1080.0));
    h.run_steps(3);
    let big = h.get_by_label("program picture").rect();
    assert!(big.width() >= 800.0 && big.width() > program.width() * 1.3, "{big:?}");
    assert!((aspect(big) - 16.0 / 9.0).abs() < 0.01);
    assert!(big.right() <= 1920.0 && big.bottom() <= 1080.0);

    // The portrait canvas: tall panes.
    h.get_by_label("portrait").click();
    h.run_steps(3);
    let tall = h.get_by_label("program picture").rect();
    assert!((aspect(tall) - 9.0 / 16.0).abs() < 0.01, "{tall:?}");
    assert!(tall.height() > 500.0, "{tall:?}");

    // Program alone.
    h.get_by_label("Program only").click();
    h.run_steps(2);
    assert!(h.query_by_label("preview picture").is_none());
    h.get_by_label("program picture");

    // The safe-area overlay is the director's choice, kept for next time.
    h.get_by_label("Safe area").click();
    h.run_steps(2);
    assert!(h.state().views.safe_area);
    assert!(config.views().contains("safe_area = true"), "{}", config.views());
    drop(h);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn the_multiview_previews_on_click_cuts_on_double_click_and_its_tallies_follow_the_show() {
    use showroom::engine::Command;
    let _heavy = heavy_lock();
    let dir = tempdir("ui-multiview");
    let config = UserConfig::new(&dir);
    let mut h = studio(&dir, SHOW);
    h.run_steps(2);
    assert!(h.query_by_label_contains("scene tile").is_none());
    // The source tiles are drawn only while a multiview is shown.
    std::thread::sleep(Duration::from_millis(500));
    h.run_steps(2);
    assert_eq!(h.state().engine().multiview_tiles_drawn(), 0);
    h.get_by_label("Multiview").click();
    h.run_steps(3);
    assert!(step_until(&mut h, Duration::from_secs(5), |h| h
        .state()
        .engine()
        .multiview_tiles_drawn()
        >= 4));
    // Every source with a picture and every scene has a tile; intro is on
    // program (and preview: the same scene).
    h.get_by_label("source tile dark — on program");
    h.get_by_label("source tile bars");
    h.get_by_label("scene tile 1 intro — on program");
    h.get_by_label("scene tile 2 products");
    h.get_by_label("multiview program");
    h.get_by_label("multiview preview");

    // A command from outside the window (what `showroom run`'s typed
    // commands and the remote control send): the tallies follow.
    h.state()
        .engine()
        .execute(Command::PreviewScene("products".into()))
        .unwrap();
    // The window reads the engine four times a second.
    assert!(step_until(&mut h, Duration::from_secs(5), |h| h
        .query_by_label("scene tile 2 products — on preview")
        .is_some()));
    h.get_by_label("source tile bars — on preview");
    h.get_by_label("scene tile 1 intro — on program");

    // A click puts a tile in preview.
    h.get_by_label("scene tile 1 intro — on program").click();
    h.run_steps(3);
    assert_eq!(h.state().engine().snapshot().preview, "intro");
    h.get_by_label("scene tile 2 products");

    // A double-click cuts it to program.
    // (Well apart from the click before: 30 frames of 1/30 s.)
    h.run_steps(30);
    h.get_by_label("scene tile 2 products").click();
    h.step();
    h.get_by_label_contains("scene tile 2 products").click();
    h.run_steps(3);
    let snap = h.state().engine().snapshot();
    assert_eq!((snap.scene.as_str(), snap.preview.as_str()), ("products", "intro"));
    h.get_by_label("scene tile 2 products — on program");
    h.get_by_label("source tile bars — on program");
    h.get_by_label("scene tile 1 intro — on preview");

    // A source tile previews the scene it leads.
    h.state()
        .engine()
        .execute(Command::PreviewScene("products".into()))
        .unwrap();
    assert!(step_until(&mut h, Duration::from_secs(5), |h| h
        .query_by_label("source tile dark")
        .is_some()));
    h.get_by_label("source tile dark").click();
    h.run_steps(3);
    assert_eq!(h.state().engine().snapshot().preview, "intro");

    // The grid is the user's: columns and tiles kept in views.toml, and the
    // next window opens with the multiview as it was left.
    h.get_by_label("Scene tiles").click();
    h.run_steps(2);
    assert!(h.query_by_label_contains("scene tile").is_none());
    h.get_by_role_and_label(egui::accesskit::Role::Slider, "columns")
        .set_value_accesskit(3.0);
    h.run_steps(2);
    let saved = config.views();
    assert!(
        saved.contains("open = true") && saved.contains("columns = 3") && saved.contains("scenes = false"),
        "{saved}"
    );
    // Closed again: no more tiles drawn.
    h.get_by_label("Multiview").click();
    h.run_steps(2);
    std::thread::sleep(Duration::from_millis(200));
    let drawn = h.state().engine().multiview_tiles_drawn();
    std::thread::sleep(Duration::from_millis(500));
    h.run_steps(2);
    assert_eq!(h.state().engine().multiview_tiles_drawn(), drawn);
    h.get_by_label("Multiview").click();
    h.run_steps(2);
    drop(h);
    let mut h = studio(&dir, SHOW);
    h.run_steps(3);
    h.get_by_label_contains("source tile dark");
    assert!(h.query_by_label_contains("scene tile").is_none());
    assert_eq!(h.state().views.multiview.columns, 3);
    drop(h);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn projectors_and_the_host_monitor_open_close_and_remember_the_monitor() {
    let _heavy = heavy_lock();
    let dir = tempdir("ui-projectors");
    let config = UserConfig::new(&dir);
    std::fs::write(
        dir.join("catalog.csv"),
        "id,code,title,price,currency,stock\nshirt,A1,Linen Shirt,39.00,USD,3\n",
    )
    .unwrap();
    let text = format!("{SHOW}\n[products]\ncatalog = \"catalog.csv\"\n");
    let mut h = studio(&dir, &text);
    h.run_steps(2);
    h.get_by_label("Projector").click();
    h.run_steps(2);
    h.get_by_label("Program (portrait)").click();
    h.run_steps(3);
    // Without windows of their own (this harness), egui shows a projector
    // inside the main window, with its title and a Close button.
    h.get_by_label("projector program picture");
    h.get_by_label("Close Projector — program (portrait)").click();
    h.run_steps(2);
    assert!(h.query_by_label("projector program picture").is_none());
    assert!(h.state().projectors.is_empty());

    // The host monitor: program, the tally in words, Esc closes it.
    h.get_by_label("Projector").click();
    h.run_steps(2);
    h.get_by_label("Host monitor (landscape)").click();
    h.run_steps(3);
    h.get_by_label("host monitor program picture — OFF AIR");
    h.get_by_label("no product on air");
    h.get_by_label("no question waiting");
    // The product on air, with its price as the card writes it.
    h.state()
        .engine()
        .execute(showroom::engine::Command::Graphics(
            showroom::graphics::GraphicsCommand::Feature("A1".into()),
        ))
        .unwrap();
    assert!(step_until(&mut h, Duration::from_secs(5), |h| h
        .query_by_label("A1 · Linen Shirt · $39.00")
        .is_some()));
    h.key_press(egui::Key::Escape);
    h.run_steps(2);
    assert!(h.query_by_label_contains("host monitor").is_none());

    // A multiview projector draws the source tiles too.
    h.get_by_label("Projector").click();
    h.run_steps(2);
    h.get_by_label("monitor 2, full screen").click();
    h.run_steps(2);
    if h.query_by_label("Multiview (all tiles)").is_none() {
        h.get_by_label("Projector").click();
        h.run_steps(2);
    }
    h.get_by_label("Multiview (all tiles)").click();
    h.run_steps(3);
    h.get_by_label_contains("source tile bars");
    assert_eq!(
        h.state().projectors[0].placement,
        showroom::studio::views::Placement::Monitor(2)
    );
    assert!(config.views().contains("monitor = 2"), "{}", config.views());
    drop(h);
    let _ = std::fs::remove_dir_all(&dir);
}
