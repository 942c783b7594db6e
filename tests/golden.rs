//! Golden images: scenes covering every layer property and each transition
//! at its midpoint, rendered by the compositor (lavapipe in CI) on both
//! canvases and compared with committed PNGs, ±3 per channel.
//! Regenerate after an intended change: SHOWROOM_UPDATE_GOLDEN=1 cargo test --test golden
//! (then look at the images in tests/golden/ before committing them).

use showroom::compositor::{Composite, Compositor, TransitionFrame};
use showroom::media::frame::{Matrix, PixelFormat, VideoFrame};
use showroom::show::{Direction, TransitionKind};
use std::path::PathBuf;

const TOLERANCE: i32 = 3;

const SHOW: &str = r##"
[[canvases]]
id = "landscape"
width = 480
height = 272

[[canvases]]
id = "portrait"
width = 272
height = 480

# The pictures are fed by the test; the kinds only make the show valid.
[[sources]]
id = "photo"
kind = "test-pattern"
[[sources]]
id = "greenscreen"
kind = "test-pattern"
[[sources]]
id = "bars-i420"
kind = "test-pattern"
[[sources]]
id = "bars-nv12"
kind = "test-pattern"
[[sources]]
id = "bars-yuy2"
kind = "test-pattern"
[[sources]]
id = "backdrop"
kind = "test-pattern"

[[scenes]]
id = "stretch"
[[scenes.layers]]
source = "photo"
place.landscape = { x = 40, y = 36, width = 400, height = 200 }
place.portrait = { x = 16, y = 40, width = 240, height = 400 }

[[scenes]]
id = "fit"
[[scenes.layers]]
source = "photo"
fit = "fit"
place.landscape = { x = 40, y = 36, width = 400, height = 200 }
place.portrait = { x = 16, y = 40, width = 240, height = 400 }

[[scenes]]
id = "fill"
[[scenes.layers]]
source = "photo"
fit = "fill"
place.landscape = { x = 40, y = 36, width = 400, height = 200 }
place.portrait = { x = 16, y = 40, width = 240, height = 400 }

[[scenes]]
id = "rotate-mirror-crop"
[[scenes.layers]]
source = "photo"
rotation = 30
mirror = true
crop = { left = 0.1, right = 0.2, top = 0.1, bottom = 0.0 }
place.landscape = { x = 140, y = 56, width = 200, height = 160 }
place.portrait = { x = 36, y = 160, width = 200, height = 160 }

[[scenes]]
id = "corners-border-shadow"
[[scenes.layers]]
source = "backdrop"
place.landscape = { x = 0, y = 0, width = 480, height = 272 }
place.portrait = { x = 0, y = 0, width = 272, height = 480 }
[[scenes.layers]]
source = "photo"
z = 1
radius = 24
border = { width = 6, color = "#FFD400" }
shadow = { x = 10, y = 12, blur = 20, color = "#000000", opacity = 0.7 }
place.landscape = { x = 90, y = 50, width = 300, height = 170 }
place.portrait = { x = 36, y = 120, width = 200, height = 240 }

[[scenes]]
id = "color-correction"
[[scenes.layers]]
source = "photo"
color = { brightness = 0.1, contrast = 1.3, saturation = 0.4, gamma = 1.4 }
place.landscape = { x = 0, y = 0, width = 240, height = 272 }
place.portrait = { x = 0, y = 0, width = 272, height = 240 }
[[scenes.layers]]
source = "photo"
place.landscape = { x = 240, y = 0, width = 240, height = 272 }
place.portrait = { x = 0, y = 240, width = 272, height = 240 }

[[scenes]]
id = "chroma-key"
[[scenes.layers]]
source = "backdrop"
place.landscape = { x = 0, y = 0, width = 480, height = 272 }
place.portrait = { x = 0, y = 0, width = 272, height = 480 }
[[scenes.layers]]
source = "greenscreen"
z = 1
chroma_key = { color = "#00FF00", similarity = 0.5, smoothness = 0.1, spill = 1.0 }
place.landscape = { x = 0, y = 0, width = 480, height = 272 }
place.portrait = { x = 0, y = 104, width = 272, height = 272 }

[[scenes]]
id = "opacity-z-order"
[[scenes.layers]]
source = "bars-i420"
z = 2
opacity = 0.5
place.landscape = { x = 120, y = 60, width = 240, height = 150 }
place.portrait = { x = 40, y = 160, width = 190, height = 150 }
[[scenes.layers]]
source = "photo"
z = 1
place.landscape = { x = 0, y = 0, width = 300, height = 180 }
place.portrait = { x = 0, y = 0, width = 200, height = 300 }

[[scenes]]
id = "planar-formats"
[[scenes.layers]]
source = "bars-i420"
place.landscape = { x = 0, y = 0, width = 160, height = 272 }
place.portrait = { x = 0, y = 0, width = 272, height = 160 }
[[scenes.layers]]
source = "bars-nv12"
place.landscape = { x = 160, y = 0, width = 160, height = 272 }
place.portrait = { x = 0, y = 160, width = 272, height = 160 }
[[scenes.layers]]
source = "bars-yuy2"
place.landscape = { x = 320, y = 0, width = 160, height = 272 }
place.portrait = { x = 0, y = 320, width = 272, height = 160 }

[[scenes]]
id = "derived-portrait"
# Only landscape places: the portrait layout is derived (stacked, not squeezed).
[[scenes.layers]]
source = "photo"
place.landscape = { x = 0, y = 46, width = 240, height = 135 }
[[scenes.layers]]
source = "bars-i420"
place.landscape = { x = 240, y = 46, width = 240, height = 135 }
[[scenes.layers]]
source = "backdrop"
z = 1
place.landscape = { x = 400, y = 220, width = 64, height = 32 }

[[scenes]]
id = "pip"
[[scenes.layers]]
source = "bars-i420"
place.landscape = { x = 0, y = 0, width = 480, height = 272 }
place.portrait = { x = 0, y = 0, width = 272, height = 480 }
[[scenes.layers]]
source = "photo"
z = 1
radius = 8
border = { width = 2, color = "#FFFFFF" }
place.landscape = { x = 330, y = 180, width = 136, height = 80 }
place.portrait = { x = 150, y = 390, width = 110, height = 76 }
"##;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/golden")
}

/// A 320×180 RGBA picture with gradients, a grid and a colour patch: every
/// transform (crop, mirror, rotation, fit) shows in it.
fn photo() -> VideoFrame {
    let (w, h) = (320u32, 180u32);
    let mut d = Vec::with_capacity((w * h * 4) as usize);
    for y in 0..h {
        for x in 0..w {
            let grid = x % 40 == 0 || y % 30 == 0;
            let (r, g, b) = if grid {
                (255, 255, 255)
            } else if x < 80 && y < 60 {
                (220, 40, 40)
            } else {
                ((x * 255 / w) as u8, (y * 255 / h) as u8, 160)
            };
            d.extend_from_slice(&[r, g, b, 255]);
        }
    }
    VideoFrame::from_raw(PixelFormat::Rgba, w, h, d, Matrix::Bt709, true)
}

/// Green backdrop with a magenta disc (the subject) and a greenish-grey rim.
pub fn greenscreen() -> VideoFrame {
    let (w, h) = (256u32, 256u32);
    let mut d = Vec::with_capacity((w * h * 4) as usize);
    for y in 0..h {
        for x in 0..w {
            let r2 = (x as i32 - 128).pow(2) + (y as i32 - 128).pow(2);
            let px = if r2 < 70 * 70 {
                [200, 40, 180, 255]
            } else {
                [30, 200, 40, 255]
            };
            d.extend_from_slice(&px);
        }
    }
    VideoFrame::from_raw(PixelFormat::Rgba, w, h, d, Matrix::Bt709, true)
}

/// 75 % colour bars as BT.709 limited-range YUV (white, yellow, cyan, green,
/// magenta, red, blue, black), packed as the given format.
fn bars(format: PixelFormat) -> VideoFrame {
    let (w, h) = (256u32, 144u32);
    let colours: [(f64, f64, f64); 8] = [
        (0.75, 0.75, 0.75),
        (0.75, 0.75, 0.0),
        (0.0, 0.75, 0.75),
        (0.0, 0.75, 0.0),
        (0.75, 0.0, 0.75),
        (0.75, 0.0, 0.0),
        (0.0, 0.0, 0.75),
        (0.0, 0.0, 0.0),
    ];
    let yuv = |x: u32| {
        let (r, g, b) = colours[(x * 8 / w) as usize];
        let y = 0.2126 * r + 0.7152 * g + 0.0722 * b;
        (
            (16.0 + 219.0 * y).round() as u8,
            (128.0 + 224.0 * (b - y) / 1.8556).round() as u8,
            (128.0 + 224.0 * (r - y) / 1.5748).round() as u8,
        )
    };
    let mut data = Vec::new();
    match format {
        PixelFormat::I420 | PixelFormat::Nv12 => {
            for _ in 0..h {
                data.extend((0..w).map(|x| yuv(x).0));
            }
            for _ in 0..h / 2 {
                for x in (0..w).step_by(2) {
                    let (_, u, v) = yuv(x);
                    if format == PixelFormat::Nv12 {
                        data.extend([u, v]);
                    } else {
                        data.push(u);
                    }
                }
            }
            if format == PixelFormat::I420 {
                for _ in 0..h / 2 {
                    data.extend((0..w).step_by(2).map(|x| yuv(x).2));
                }
            }
        }
        PixelFormat::Yuy2 => {
            for _ in 0..h {
                for x in (0..w).step_by(2) {
                    let (y0, u, v) = yuv(x);
                    let (y1, _, _) = yuv(x + 1);
                    data.extend([y0, u, y1, v]);
                }
            }
        }
        _ => unreachable!(),
    }
    VideoFrame::from_raw(format, w, h, data, Matrix::Bt709, false)
}

fn backdrop() -> VideoFrame {
    VideoFrame::from_raw(
        PixelFormat::Rgba,
        16,
        16,
        [40u8, 60, 150, 255].repeat(256),
        Matrix::Bt709,
        true,
    )
}

fn compare_or_update(name: &str, rgba: &[u8], w: u32, h: u32, failures: &mut Vec<String>) {
    let path = root().join(format!("{name}.png"));
    if std::env::var_os("SHOWROOM_UPDATE_GOLDEN").is_some() {
        let file = std::fs::File::create(&path).unwrap();
        let mut enc = png::Encoder::new(std::io::BufWriter::new(file), w, h);
        enc.set_color(png::ColorType::Rgba);
        enc.set_depth(png::BitDepth::Eight);
        enc.write_header().unwrap().write_image_data(rgba).unwrap();
        return;
    }
    let Ok(file) = std::fs::File::open(&path) else {
        failures.push(format!(
            "{name}: no reference {} (run with SHOWROOM_UPDATE_GOLDEN=1)",
            path.display()
        ));
        return;
    };
    let mut reader = png::Decoder::new(std::io::BufReader::new(file)).read_info().unwrap();
    let mut want = vec![0; reader.output_buffer_size()];
    let info = reader.next_frame(&mut want).unwrap();
    assert_eq!((info.width, info.height), (w, h), "{name}: size");
    let mut worst = 0;
    let mut off = 0;
    for (a, b) in rgba.iter().zip(&want) {
        let d = (*a as i32 - *b as i32).abs();
        worst = worst.max(d);
        if d > TOLERANCE {
            off += 1;
        }
    }
    if off > 0 {
        failures.push(format!(
            "{name}: {off} channel values differ by more than {TOLERANCE} (worst {worst})"
        ));
    }
}

#[test]
fn scenes_match_their_golden_images_on_both_canvases() {
    showroom::media::init().unwrap();
    let show = showroom::show::parse_str(SHOW, "golden.toml", std::path::Path::new(".")).expect("valid show");
    let mut comp = Compositor::new(&show.canvases, show.sources.len()).expect("a GPU or lavapipe");
    let frames = [
        photo(),
        greenscreen(),
        bars(PixelFormat::I420),
        bars(PixelFormat::Nv12),
        bars(PixelFormat::Yuy2),
        backdrop(),
    ];
    for (i, f) in frames.iter().enumerate() {
        comp.update_source(i, 1, f);
    }
    let mut failures = Vec::new();
    let mut shots: Vec<(String, usize, Composite)> = Vec::new();
    for scene in &show.scenes {
        for c in 0..show.canvases.len() {
            shots.push((
                format!("{}-{}", scene.id, show.canvases[c].id),
                c,
                Composite::Scene(scene),
            ));
        }
    }
    let a = &show.scenes[0];
    let b = show.scenes.iter().find(|s| s.id == "pip").unwrap();
    for (name, kind) in [
        ("fade", TransitionKind::Fade),
        ("slide", TransitionKind::Slide(Direction::Left)),
        ("wipe", TransitionKind::Wipe(Direction::Down)),
        ("stinger", TransitionKind::Stinger { source: 1, cut: 0.5 }),
    ] {
        let stinger = matches!(kind, TransitionKind::Stinger { .. }).then_some(&show.scenes[6]);
        shots.push((
            format!("transition-{name}-midpoint-landscape"),
            0,
            Composite::Transition(TransitionFrame {
                from: a,
                to: b,
                kind,
                progress: 0.5,
                stinger,
            }),
        ));
    }
    for (name, canvas, composite) in &shots {
        comp.render(*canvas, composite, 0, &[]);
        let _ = comp.flush();
        let c = &show.canvases[*canvas];
        let rgba = comp.read_canvas(*canvas);
        compare_or_update(name, &rgba, c.width, c.height, &mut failures);
    }
    assert!(shots.len() >= 24);
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn chroma_key_removes_the_backdrop_keeps_the_subject_and_leaves_no_green_fringe() {
    showroom::media::init().unwrap();
    let show = showroom::show::parse_str(SHOW, "golden.toml", std::path::Path::new(".")).expect("valid show");
    let mut comp = Compositor::new(&show.canvases, show.sources.len()).expect("a GPU or lavapipe");
    comp.update_source(1, 1, &greenscreen());
    comp.update_source(5, 1, &backdrop());
    let scene = show.scenes.iter().find(|s| s.id == "chroma-key").unwrap();
    comp.render(0, &Composite::Scene(scene), 0, &[]);
    let _ = comp.flush();
    let px = comp.read_canvas(0);
    let at = |x: usize, y: usize| &px[(y * 480 + x) * 4..(y * 480 + x) * 4 + 3];
    // Backdrop where the green was (corner), subject in the middle.
    assert_eq!(at(10, 10), &[40, 60, 150], "the key colour is not transparent");
    let subject = at(240, 136);
    assert!(
        subject
            .iter()
            .zip([200u8, 40, 180])
            .all(|(a, b)| (*a as i32 - b as i32).abs() <= 2),
        "subject changed: {subject:?}"
    );
    // Fringe: no pixel anywhere is noticeably greener than its red and blue.
    // Threshold: green may exceed max(red, blue) by at most 24 code values.
    let mut worst = 0i32;
    for p in px.chunks_exact(4) {
        let (r, g, b) = (p[0] as i32, p[1] as i32, p[2] as i32);
        worst = worst.max(g - r.max(b));
    }
    assert!(worst <= 24, "green fringe: green exceeds red/blue by {worst}");
}

#[test]
fn i420_nv12_and_yuy2_bars_convert_to_the_same_exact_colours() {
    showroom::media::init().unwrap();
    let show = showroom::show::parse_str(SHOW, "golden.toml", std::path::Path::new(".")).expect("valid show");
    let mut comp = Compositor::new(&show.canvases, show.sources.len()).expect("a GPU or lavapipe");
    comp.update_source(2, 1, &bars(PixelFormat::I420));
    comp.update_source(3, 1, &bars(PixelFormat::Nv12));
    comp.update_source(4, 1, &bars(PixelFormat::Yuy2));
    let scene = show.scenes.iter().find(|s| s.id == "planar-formats").unwrap();
    comp.render(1, &Composite::Scene(scene), 0, &[]);
    let _ = comp.flush();
    let px = comp.read_canvas(1);
    // Portrait: three bands of 160 rows (I420, NV12, YUY2), 8 bars across 272 px.
    let want: [[u8; 3]; 8] = [
        [191, 191, 191],
        [191, 191, 0],
        [0, 191, 191],
        [0, 191, 0],
        [191, 0, 191],
        [191, 0, 0],
        [0, 0, 191],
        [0, 0, 0],
    ];
    for (band, name) in ["I420", "NV12", "YUY2"].iter().enumerate() {
        let y = band * 160 + 80;
        for (bar, rgb) in want.iter().enumerate() {
            let x = bar * 34 + 17;
            let got = &px[(y * 272 + x) * 4..(y * 272 + x) * 4 + 3];
            for c in 0..3 {
                assert!(
                    (got[c] as i32 - rgb[c] as i32).abs() <= 2,
                    "{name} bar {bar}: got {got:?}, expected {rgb:?} (±2)"
                );
            }
        }
    }
}

/// 1-pixel black/white vertical lines: the worst case for aliasing.
fn fine_lines(w: u32, h: u32) -> VideoFrame {
    let mut d = Vec::with_capacity((w * h * 4) as usize);
    for _ in 0..h {
        for x in 0..w {
            let v = if x % 2 == 0 { 255 } else { 0 };
            d.extend_from_slice(&[v, v, v, 255]);
        }
    }
    VideoFrame::from_raw(PixelFormat::Rgba, w, h, d, Matrix::Bt709, true)
}

#[test]
fn a_pip_shrunk_6_4x_does_not_alias() {
    showroom::media::init().unwrap();
    let text = r#"
[[canvases]]
id = "c"
width = 640
height = 360
[[sources]]
id = "lines"
kind = "test-pattern"
[[scenes]]
id = "pip"
[[scenes.layers]]
source = "lines"
place.c = { x = 100, y = 100, width = 300, height = 169 }
"#;
    let show = showroom::show::parse_str(text, "pip.toml", std::path::Path::new(".")).unwrap();
    let mut comp = Compositor::new(&show.canvases, 1).unwrap();
    comp.update_source(0, 1, &fine_lines(1920, 1080));
    comp.render(0, &Composite::Scene(&show.scenes[0]), 0, &[]);
    let _ = comp.flush();
    let px = comp.read_canvas(0);
    // Energy of the aliasing: deviation of the PiP interior from its mean.
    // Properly filtered it is an even grey; plain bilinear sampling of 1-px
    // lines shrunk 6.4× gives stripes (RMS ≈ 72). Threshold: RMS ≤ 10.
    let mut values = Vec::new();
    for y in 110..260 {
        for x in 110..390 {
            values.push(px[(y * 640 + x) * 4] as f64);
        }
    }
    let mean = values.iter().sum::<f64>() / values.len() as f64;
    let rms = (values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / values.len() as f64).sqrt();
    assert!((mean - 127.5).abs() < 6.0, "mean {mean}");
    eprintln!("PiP aliasing RMS {rms:.2}");
    assert!(rms <= 10.0, "aliasing energy: RMS {rms:.1} around {mean:.1}");
}
