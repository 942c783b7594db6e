//! Graphics end to end: a show with a catalog features a product on a timed
//! cue and starts a countdown, streams both canvases to nginx-rtmp, and a
//! command takes the card off. From what the server received, tesseract
//! reads the product's title and price on both canvases; after the hide the
//! card is gone; the event log has every change with its time.

mod support;

use showroom::engine::{Command, Engine, StartOptions};
use showroom::graphics::GraphicsCommand;
use showroom::secrets::{KeyRef, Secret};
use showroom::show::{DestinationSpec, Platform};
use std::path::Path;
use std::process::Command as Process;
use std::time::{Duration, Instant};
use support::*;

const SHOW: &str = r##"
[show]
name = "graphics e2e"

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
pattern = "solid-color"
color = "#30405A"

[[scenes]]
id = "main"
[[scenes.layers]]
source = "bg"
place.landscape = { x = 0, y = 0, width = 1280, height = 720 }
place.portrait = { x = 0, y = 0, width = 720, height = 1280 }

[products]
catalog = "catalog.csv"
locale = "en-US"

[[cues]]
at = "500ms"
feature = "A1"

[[cues]]
at = "500ms"
countdown = "4m59s"
"##;

const CATALOG: &str = "id,code,title,price,compare_at,currency,stock\n\
linen-shirt,A1,Linen Shirt,39.00,52.00,USD,3\n\
mug,B2,Ceramic Mug,18.50,,USD,40\n";

/// The words tesseract reads in a region of the frame at `at` seconds,
/// cropped and doubled in size (ffmpeg crop=W:H:X:Y).
fn read_text(video: &Path, at: f64, crop: &str, out: &Path) -> String {
    let status = Process::new("ffmpeg")
        .args(["-v", "error", "-y", "-ss", &format!("{at}"), "-i"])
        .arg(video)
        .args([
            "-frames:v",
            "1",
            "-vf",
            &format!("crop={crop},scale=iw*2:ih*2:flags=lanczos"),
        ])
        .arg(out)
        .status()
        .expect("ffmpeg missing");
    assert!(
        status.success(),
        "ffmpeg could not grab a frame at {at} s from {}",
        video.display()
    );
    let ocr = Process::new("tesseract")
        .arg(out)
        .arg("-")
        .output()
        .expect("tesseract missing");
    String::from_utf8_lossy(&ocr.stdout).into_owned()
}

#[test]
fn a_featured_product_is_read_off_the_received_streams_and_hiding_it_takes_it_off() {
    let _heavy = heavy_lock();
    let dir = tempdir("graphics-live");
    let nginx = Nginx::start(&dir.join("nginx"));
    std::fs::write(dir.join("catalog.csv"), CATALOG).unwrap();
    let mut show = load_show(&dir, SHOW);
    let rtmp = format!("rtmp://127.0.0.1:{}/live", nginx.rtmp_port);
    for (i, key) in ["gfxLand-4k1", "gfxPort-8j2"].into_iter().enumerate() {
        show.destinations.push(DestinationSpec {
            id: format!("d{i}"),
            platform: Platform::Custom,
            canvas: i,
            url: rtmp.clone(),
            key: KeyRef::Inline(Secret::new(key)),
            video_kbps: None,
            latency_ms: None,
            primary: false,
        });
    }
    let events = dir.join("events.jsonl");
    let engine = Engine::start_with(
        show,
        StartOptions {
            events: Some(events.clone()),
            ..Default::default()
        },
    )
    .expect("engine starts");
    let started = Instant::now();
    let wait_until = |t: f64| {
        while started.elapsed().as_secs_f64() < t {
            std::thread::sleep(Duration::from_millis(50));
            assert!(engine.fatal_error().is_none(), "{:?}", engine.fatal_error());
        }
    };
    wait_until(2.0);
    let snap = engine.snapshot();
    assert_eq!(snap.graphics.featured.as_deref(), Some("A1"));
    assert!(snap.graphics.countdown_left_s.is_some_and(|s| s <= 299 && s > 290));
    assert_eq!(
        engine
            .execute(Command::Graphics(GraphicsCommand::Feature("Z9".into())))
            .unwrap_err()
            .to_string(),
        "no product with code or id `Z9` (the catalog has A1, B2)"
    );
    engine.execute(Command::TakeScene("main".into())).expect("cut");
    wait_until(4.0);
    engine
        .execute(Command::Graphics(GraphicsCommand::HideProduct))
        .expect("hide");
    wait_until(6.5);
    let snap = engine.stop();
    assert_eq!(snap.graphics.featured, None);

    let land = nginx.received("gfxLand-4k1");
    let port = nginx.received("gfxPort-8j2");
    // The card: right-hand side in landscape, lower middle in portrait.
    let words = read_text(&land, 2.5, "560:440:720:280", &dir.join("land-card.png"));
    assert!(
        words.contains("Linen Shirt") && words.contains("$39.00"),
        "landscape card not read (see {}): {words:?}",
        dir.join("land-card.png").display()
    );
    let words = read_text(&port, 2.5, "720:420:0:580", &dir.join("port-card.png"));
    assert!(
        words.contains("Linen Shirt") && words.contains("$39.00"),
        "portrait card not read (see {}): {words:?}",
        dir.join("port-card.png").display()
    );
    // The countdown stays; the card went at 4 s (out in 0.4 s).
    let words = read_text(&land, 5.5, "400:140:880:20", &dir.join("land-countdown.png"));
    assert!(words.contains("Deal ends in"), "countdown not read: {words:?}");
    let words = read_text(&land, 5.5, "560:440:720:280", &dir.join("land-after.png"));
    assert!(
        !words.contains("Linen"),
        "the card is still on air after hide: {words:?}"
    );

    let log = std::fs::read_to_string(&events).expect("event log written");
    let lines: Vec<serde_json::Value> = log.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    let find = |event: &str| {
        lines
            .iter()
            .find(|l| l["event"] == event)
            .unwrap_or_else(|| panic!("no `{event}` in the event log:\n{log}"))
    };
    let feature = find("feature");
    assert_eq!(feature["product"], "A1");
    assert!((feature["t"].as_f64().unwrap() - 0.5).abs() < 0.3, "{feature}");
    assert_eq!(find("countdown")["seconds"], 299);
    let hide = find("hide");
    assert_eq!(hide["graphic"], "card");
    assert!((hide["t"].as_f64().unwrap() - 4.0).abs() < 0.5, "{hide}");
    assert_eq!(find("cut")["scene"], "main", "scene changes are on-air changes too");
    assert!(lines.last().unwrap()["event"] == "stop");
    assert!(!log.contains("gfxLand-4k1"), "a stream key leaked into the event log");
}

#[test]
fn stock_written_to_the_catalog_file_reaches_the_show_while_it_runs() {
    let _heavy = heavy_lock();
    let dir = tempdir("stock-refresh");
    std::fs::write(dir.join("catalog.csv"), CATALOG).unwrap();
    let show = SHOW.replace("locale = \"en-US\"", "locale = \"en-US\"\nrefresh = \"1s\"");
    let events = dir.join("events.jsonl");
    let engine = Engine::start_with(
        load_show(&dir, &show),
        StartOptions {
            events: Some(events.clone()),
            live: false,
            ..Default::default()
        },
    )
    .expect("engine starts");
    assert_eq!(engine.snapshot().graphics.stock, [Some(3), Some(40)]);
    // A shop system rewrites the file: the shirt sold out.
    std::thread::sleep(Duration::from_millis(1100));
    std::fs::write(dir.join("catalog.csv"), CATALOG.replace(",USD,3", ",USD,0")).unwrap();
    let seen = poll_until(Duration::from_secs(10), || {
        engine.snapshot().graphics.stock == [Some(0), Some(40)]
    });
    assert!(
        seen.is_some(),
        "stock not refreshed: {:?}",
        engine.snapshot().graphics.stock
    );
    engine.stop();
    let log = std::fs::read_to_string(&events).unwrap();
    assert!(log.contains("\"event\":\"stock\",\"products\":[\"A1\"]"), "{log}");
}

/// A card whose picture is huge (8000×8000 PNG, hundreds of ms to decode)
/// is drawn on the painter's thread: while it draws, the render loop keeps
/// ticking and the snapshot (which reads the overlays) keeps answering;
/// then the card is on air.
#[test]
fn a_huge_product_picture_is_drawn_without_holding_the_render_loop() {
    let _heavy = heavy_lock();
    let dir = tempdir("huge-picture");
    {
        let (w, h) = (8000u32, 8000u32);
        let file = std::fs::File::create(dir.join("huge.png")).unwrap();
        let mut enc = png::Encoder::new(std::io::BufWriter::new(file), w, h);
        enc.set_color(png::ColorType::Rgba);
        enc.set_compression(png::Compression::Fast);
        let mut writer = enc.write_header().unwrap();
        let row: Vec<u8> = (0..w).flat_map(|x| [(x % 251) as u8, 90, 160, 255]).collect();
        let mut stream = writer.stream_writer().unwrap();
        for _ in 0..h {
            std::io::Write::write_all(&mut stream, &row).unwrap();
        }
        stream.finish().unwrap();
    }
    std::fs::write(
        dir.join("catalog.csv"),
        "id,code,title,price,currency,stock,image\nshirt,A1,Linen Shirt,39,USD,5,huge.png\n",
    )
    .unwrap();
    let text = small_show("Huge").replace("fps = 15", "fps = 30") + "\n[products]\ncatalog = \"catalog.csv\"\n";
    let engine = Engine::start_with(
        load_show(&dir, &text),
        StartOptions {
            live: false,
            ..Default::default()
        },
    )
    .unwrap();
    poll_until(Duration::from_secs(60), || {
        engine.snapshot().canvases[0].frames_rendered > 0
    })
    .expect("rendering");
    engine
        .execute(Command::Graphics(GraphicsCommand::Feature("A1".into())))
        .unwrap();
    // Ticks counted while the card is still being drawn.
    let mut while_drawing = std::collections::BTreeSet::new();
    let t0 = Instant::now();
    let drawn = loop {
        let snap = engine.snapshot();
        if snap.graphics.draws > 0 {
            break snap;
        }
        while_drawing.insert(snap.canvases[0].frames_rendered);
        assert!(t0.elapsed() < Duration::from_secs(120), "the card was never drawn");
        std::thread::sleep(Duration::from_millis(10));
    };
    assert!(
        while_drawing.len() >= 3,
        "the render loop stood still while the picture was drawn ({:.0} ms): frame counts seen {while_drawing:?}",
        drawn.graphics.last_draw_ms
    );
    assert_eq!(drawn.graphics.featured.as_deref(), Some("A1"));
    println!(
        "huge picture: drawn in {:.0} ms; {} distinct frame counts seen meanwhile",
        drawn.graphics.last_draw_ms,
        while_drawing.len()
    );
    let snap = engine.stop();
    assert_ticks_accounted(&snap);
    let _ = std::fs::remove_dir_all(&dir);
}
