//! Graphics benchmark.
//!
//! 1. Card re-render: product data → picture drawn (tiny-skia, cosmic-text,
//!    QR) → straight-alpha frame → uploaded into the compositor's texture,
//!    for a 1080p landscape and a 1080×1920 portrait canvas; also the
//!    countdown's once-a-second re-draw. Peer in the same run: GStreamer's
//!    `timeoverlay` (Pango/Cairo), which lays out and draws its text anew
//!    every frame, at 1080p: its cost per frame over the same pipeline
//!    without it.
//! 2. Per-tick compositor cost of both canvases (one 1080p camera layer)
//!    with the four overlays animating (card, lower third, countdown,
//!    banner sliding in and out without pause), against the same canvases
//!    without graphics. Peer: GStreamer's CPU `compositor` blending four
//!    RGBA pictures of the same sizes over 1080p I420.
//! 3. Command → on program: the first frame rendered after `Feature` has
//!    the card (frames counted), and the time that frame took.
//!
//!     cargo bench --bench graphics

mod support;

use showroom::compositor::{Composite, Compositor};
use showroom::events::Events;
use showroom::graphics::GraphicsCommand as G;
use showroom::graphics::cards::{self, CardData};
use showroom::graphics::overlays::{GraphicsSetup, Overlays};
use showroom::graphics::template::Template;
use showroom::graphics::text::Text;
use showroom::graphics::{Kind, paint};
use showroom::media::frame::{Matrix, PixelFormat, VideoFrame};
use std::path::Path;
use std::sync::Arc;
use std::time::Instant;

const TICK_NS: u64 = 33_333_333;

fn percentile(v: &mut [f64], p: f64) -> f64 {
    v.sort_by(|a, b| a.partial_cmp(b).unwrap());
    v[((v.len() - 1) as f64 * p).round() as usize]
}

fn show() -> showroom::show::Show {
    let text = "[[canvases]]\nid = \"land\"\nwidth = 1920\nheight = 1080\n\
                [[canvases]]\nid = \"port\"\nwidth = 1080\nheight = 1920\n\
                [[sources]]\nid = \"cam\"\nkind = \"test-pattern\"\n\
                [[scenes]]\nid = \"s\"\n[[scenes.layers]]\nsource = \"cam\"\nfit = \"fill\"\n\
                place.land = { x = 0, y = 0, width = 1920, height = 1080 }\n\
                place.port = { x = 0, y = 0, width = 1080, height = 1920 }\n";
    showroom::show::parse_str(text, "bench.toml", Path::new(".")).expect("bench show")
}

fn setup() -> GraphicsSetup {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/demo");
    let (catalog, _) = showroom::products::json::load_file(&dir.join("catalog.csv"), None).expect("demo catalog");
    GraphicsSetup {
        catalog,
        catalog_dir: dir,
        ..GraphicsSetup::default()
    }
}

fn card_redraw(comp: &mut Compositor, slot: usize) -> (f64, f64, f64, f64) {
    let t = Template::default_template();
    let mut text = Text::new();
    let picture =
        paint::load_picture(&Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/demo/linen-shirt.png")).unwrap();
    let mut land = Vec::new();
    let mut port = Vec::new();
    let mut countdown = Vec::new();
    for i in 0..120u64 {
        for (size, out) in [((1920, 1080), &mut land), ((1080, 1920), &mut port)] {
            let start = Instant::now();
            let data = CardData {
                title: "Linen Shirt",
                price: format!("${}.00", 39 + i % 3),
                compare_at: Some("$52.00".into()),
                discount: Some(25),
                stock: Some(3),
                code: "A1",
                badges: vec!["NEW"],
                picture: Some(&picture),
                url: Some("https://shop.example.com/products/linen-shirt"),
                deal: None,
                call: None,
            };
            let pm = cards::price_card(&mut text, &t, size, &data);
            comp.update_source(slot, 10 + i, &paint::to_frame(&pm));
            comp.wait_idle();
            out.push(start.elapsed().as_secs_f64() * 1e3);
        }
        let start = Instant::now();
        let pm = cards::countdown(&mut text, &t, (1920, 1080), "Deal ends in", 299 - i);
        comp.update_source(slot + 1, 10 + i, &paint::to_frame(&pm));
        comp.wait_idle();
        countdown.push(start.elapsed().as_secs_f64() * 1e3);
    }
    let p95 = percentile(&mut land.clone(), 0.95).max(percentile(&mut port.clone(), 0.95));
    (
        percentile(&mut land, 0.5),
        percentile(&mut port, 0.5),
        p95,
        percentile(&mut countdown, 0.5),
    )
}

/// GStreamer timeoverlay (text re-laid-out and drawn every frame) at 1080p:
/// ms per frame over the same pipeline without it.
fn gst_text_per_frame() -> Option<f64> {
    const N: u32 = 300;
    let run = |overlay: &str| -> Option<f64> {
        let desc = format!(
            "videotestsrc num-buffers={N} pattern=black ! video/x-raw,format=I420,width=1920,height=1080,framerate=30/1 {overlay} ! fakesink sync=false"
        );
        support::gst_launch_ms(&desc, N)
    };
    let with = run("! timeoverlay font-desc=Sans,Bold,38 halignment=right valignment=bottom")?;
    let without = run("")?;
    Some((with - without).max(0.0))
}

/// Both canvases per tick, with or without the four graphics animating.
fn ticks(with_graphics: bool) -> f64 {
    let show = show();
    let n = show.sources.len();
    let mut comp = Compositor::new(&show.canvases, n + Overlays::slots_needed(2)).expect("GPU");
    let mut overlays = Overlays::new(setup(), vec![(1920, 1080), (1080, 1920)], n, Arc::new(Events::new()));
    let cam = {
        let (w, h) = (1920u32, 1080u32);
        let mut d = vec![90u8; (w * h) as usize];
        d.extend(vec![128u8; (w * h / 2) as usize]);
        VideoFrame::from_raw(PixelFormat::I420, w, h, d, Matrix::Bt709, false)
    };
    let scene = &show.scenes[0];
    let frames = 150u64;
    let mut elapsed = 0.0;
    for f in 0..frames + 20 {
        let now = f * TICK_NS;
        if with_graphics && f % 15 == 0 {
            // Every half second one of them goes in or out: always animating.
            let cmds = [
                G::NextProduct,
                G::LowerThird {
                    name: "Mia Chen".into(),
                    title: "Host".into(),
                },
                G::StartCountdown {
                    seconds: 299,
                    label: None,
                },
                G::Banner("Free shipping on every order today".into()),
                G::HideProduct,
                G::HideLowerThird,
                G::HideBanner,
            ];
            overlays.apply(&cmds[(f / 15) as usize % cmds.len()], now).unwrap();
        }
        let start = Instant::now();
        comp.update_source(0, f + 1, &cam);
        for c in 0..2 {
            let (g, uploads) = overlays.frame(c, now);
            for (slot, seq, frame) in &uploads {
                comp.update_source(*slot, *seq, frame);
            }
            let graphics = with_graphics.then_some(&g);
            comp.render_with_graphics(c, &Composite::Scene(scene), graphics, now, &[]);
        }
        comp.ready();
        if f >= 20 {
            elapsed += start.elapsed().as_secs_f64();
        }
    }
    comp.flush();
    elapsed * 1e3 / frames as f64
}

/// GStreamer's CPU compositor: 1080p I420 + four RGBA pictures the sizes of
/// the landscape graphics → I420 1080p.
fn gst_compositor_overlays() -> Option<f64> {
    const N: u32 = 150;
    let sizes = [
        (710, 330, 1150, 700),
        (806, 150, 77, 840),
        (500, 110, 1363, 54),
        (1920, 90, 0, 990),
    ];
    let mut desc = String::from("compositor name=c background=black ");
    for (n, (_, _, x, y)) in sizes.iter().enumerate() {
        desc += &format!("sink_{}::xpos={x} sink_{}::ypos={y} ", n + 1, n + 1);
    }
    desc += "! video/x-raw,format=I420,width=1920,height=1080 ! fakesink sync=false ";
    desc += &format!(
        "videotestsrc num-buffers={N} pattern=solid-color foreground-color=0xff5a5a5a ! video/x-raw,format=I420,width=1920,height=1080,framerate=30/1 ! c.sink_0 "
    );
    for (n, (w, h, _, _)) in sizes.iter().enumerate() {
        desc += &format!(
            "videotestsrc num-buffers={N} pattern=solid-color foreground-color=0xe0111418 ! video/x-raw,format=RGBA,width={w},height={h},framerate=30/1 ! videoconvert ! c.sink_{} ",
            n + 1
        );
    }
    support::gst_launch_ms(&desc, N)
}

/// Frames from `Feature` to the card on program, ticking at 30 fps as the
/// render loop does (the painter's thread draws the card meanwhile), and
/// the time from the command to that frame.
fn command_to_program() -> (u64, f64) {
    let show = show();
    let n = show.sources.len();
    let mut comp = Compositor::new(&show.canvases, n + Overlays::slots_needed(2)).expect("GPU");
    let mut overlays = Overlays::new(setup(), vec![(1920, 1080), (1080, 1920)], n, Arc::new(Events::new()));
    overlays.apply(&G::Feature("A1".into()), 0).unwrap();
    let start = Instant::now();
    for f in 1..30u64 {
        let due = start + std::time::Duration::from_nanos(f * TICK_NS);
        std::thread::sleep(due.saturating_duration_since(Instant::now()));
        let (g, uploads) = overlays.frame(0, f * TICK_NS);
        for (slot, seq, frame) in &uploads {
            comp.update_source(*slot, *seq, frame);
        }
        comp.render_with_graphics(0, &Composite::Scene(&show.scenes[0]), Some(&g), f * TICK_NS, &[]);
        comp.flush();
        let card_in = g
            .layers
            .iter()
            .any(|l| l.z == Kind::Card as i32 && l.place[0].is_some_and(|r| r.x < 1920));
        if card_in {
            return (f, start.elapsed().as_secs_f64() * 1e3);
        }
    }
    (u64::MAX, 0.0)
}

fn main() {
    showroom::media::init().expect("GStreamer");
    let show = show();
    let mut comp = Compositor::new(&show.canvases, 4).expect("GPU");
    println!("GPU: {}", comp.adapter_name());
    let (land, port, p95, countdown) = card_redraw(&mut comp, 1);
    println!("card re-render, data → drawn → uploaded texture (120 runs each):");
    println!(
        "  price card 1080p landscape: median {land:.2} ms; 1080×1920 portrait: median {port:.2} ms; p95 of both {p95:.2} ms"
    );
    println!("  countdown (re-drawn once a second): median {countdown:.2} ms");
    match gst_text_per_frame() {
        Some(g) => {
            println!("peer: GStreamer timeoverlay (Pango) re-drawing one line of text per 1080p frame: {g:.2} ms/frame")
        }
        None => println!("peer: GStreamer timeoverlay run failed"),
    }
    let without = ticks(false);
    let with = ticks(true);
    println!("compositor, landscape 1080p + portrait 1080×1920 per tick (150 ticks):");
    println!(
        "  without graphics {without:.2} ms; with 4 graphics animating {with:.2} ms; graphics cost {:.2} ms/tick",
        with - without
    );
    match gst_compositor_overlays() {
        Some(g) => println!(
            "peer: GStreamer compositor (CPU), 1080p I420 + 4 RGBA overlays → I420, one canvas: {g:.2} ms/frame"
        ),
        None => println!("peer: GStreamer compositor run failed"),
    }
    let (frames, ms) = command_to_program();
    println!(
        "Feature command → card on program: in frame {frames} after the command, {ms:.1} ms after it (30 fps ticks; drawn on the painter's thread)"
    );
}
