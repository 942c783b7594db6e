//! Colour accuracy end to end: 75 % colour bars, a skin tone, primaries,
//! black and white, as I420, YUY2 and UYVY sources → compositor → NV12 →
//! encoder → decoded by ffmpeg from the recording: every patch within ±2 code
//! values of the BT.709 limited-range expectation, and a source filling the
//! canvas 1:1 lands pixel-exact in position. The YUY2 and UYVY files are
//! untagged SD, as from a webcam, so they are made in BT.601 and must come
//! out in BT.709. GStreamer 1.22 plays raw NV12 from no container, so the NV12
//! source is a test pattern arriving in NV12 (75 % bars, as a camera would).

mod support;

use showroom::engine::Engine;
use std::process::Command;
use std::time::Duration;
use support::*;

const W: usize = 640;
const H: usize = 360;
const PATCHES: [(u8, u8, u8); 12] = [
    (191, 191, 191), // 75 % white
    (191, 191, 0),   // 75 % yellow
    (0, 191, 191),   // 75 % cyan
    (0, 191, 0),     // 75 % green
    (191, 0, 191),   // 75 % magenta
    (191, 0, 0),     // 75 % red
    (0, 0, 191),     // 75 % blue
    (224, 172, 105), // skin tone
    (255, 0, 0),     // primaries
    (0, 255, 0),
    (0, 0, 255),
    (255, 255, 255), // white (black is the grid lines)
];

/// 4×3 patches of 160×120 separated by 8-pixel black lines.
fn patches_rgb() -> Vec<u8> {
    let mut d = Vec::with_capacity(W * H * 3);
    for y in 0..H {
        for x in 0..W {
            let line = x % 160 < 8 || y % 120 < 8;
            let p = if line {
                (0, 0, 0)
            } else {
                PATCHES[(y / 120) * 4 + x / 160]
            };
            d.extend([p.0, p.1, p.2]);
        }
    }
    d
}

/// The patches as a raw video file: I420 in Matroska tagged BT.709, packed
/// 4:2:2 in AVI (which carries no colorimetry, so BT.601 as SD implies).
fn make_source(dir: &std::path::Path, pix_fmt: &str) -> std::path::PathBuf {
    let raw = dir.join("patches.rgb");
    std::fs::write(&raw, patches_rgb()).unwrap();
    let (ext, matrix, tag) = if pix_fmt == "yuv420p" {
        ("mkv", "bt709", "bt709")
    } else {
        ("avi", "bt601", "smpte170m")
    };
    let out = dir.join(format!("patches-{pix_fmt}.{ext}"));
    let st = Command::new("ffmpeg")
        .args([
            "-v", "error", "-y", "-f", "rawvideo", "-pix_fmt", "rgb24", "-s", "640x360", "-r", "30", "-i",
        ])
        .arg(&raw)
        .args([
            "-vf",
            &format!("scale=out_color_matrix={matrix}:out_range=tv,format={pix_fmt}"),
            "-frames:v",
            "30",
        ])
        .args([
            "-color_primaries",
            tag,
            "-color_trc",
            tag,
            "-colorspace",
            tag,
            "-color_range",
            "tv",
        ])
        .args(["-c:v", "rawvideo"])
        .arg(&out)
        .status()
        .unwrap();
    assert!(st.success());
    out
}

/// The Y, U, V planes of the first frame of a file, as 4:2:0.
fn planes(path: &std::path::Path, at: f64) -> Vec<u8> {
    let out = Command::new("ffmpeg")
        .args(["-v", "error", "-ss", &at.to_string(), "-i"])
        .arg(path)
        .args(["-frames:v", "1", "-f", "rawvideo", "-pix_fmt", "yuv420p", "-"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(out.stdout.len(), W * H * 3 / 2);
    out.stdout
}

#[test]
fn patches_survive_the_whole_pipeline_within_two_code_values() {
    let _heavy = heavy_lock();
    let dir = tempdir("colour");
    let i420 = make_source(&dir, "yuv420p");
    let yuy2 = make_source(&dir, "yuyv422");
    let uyvy = make_source(&dir, "uyvy422");
    let mut show = String::new();
    let sources = [
        ("i420", format!("kind = \"media\"\npath = \"{}\"", i420.display())),
        ("yuy2", format!("kind = \"media\"\npath = \"{}\"", yuy2.display())),
        ("uyvy", format!("kind = \"media\"\npath = \"{}\"", uyvy.display())),
        (
            "nv12",
            format!("kind = \"test-pattern\"\npattern = \"smpte75\"\nformat = \"nv12\"\nwidth = {W}\nheight = {H}"),
        ),
    ];
    for (id, _) in &sources {
        show += &format!("[[canvases]]\nid = \"{id}\"\nwidth = {W}\nheight = {H}\nvideo_bitrate = 20000\n\n");
    }
    for (id, kind) in &sources {
        show += &format!("[[sources]]\nid = \"{id}\"\n{kind}\n\n");
    }
    show += "[[scenes]]\nid = \"s\"\n\n";
    for (id, _) in &sources {
        show += &format!(
            "[[scenes.layers]]\nsource = \"{id}\"\nplace.{id} = {{ x = 0, y = 0, width = {W}, height = {H} }}\n\n"
        );
    }
    show += "[[recordings]]\ncanvas = \"i420\"\npath = \"out-{canvas}.mkv\"\n\n";
    for (id, _) in &sources[1..] {
        show += &format!("[[recordings]]\ncanvas = \"{id}\"\npath = \"out-{id}.mkv\"\n\n");
    }
    let engine = Engine::start(load_show(&dir, &show)).unwrap();
    std::thread::sleep(Duration::from_secs(3));
    let snap = engine.stop();
    for s in &snap.sources {
        assert_eq!(s.error, None, "source {}", s.id);
    }

    // 75 % bars of the NV12 test pattern: seven bars across the picture.
    let got = planes(&dir.join("out-nv12.mkv"), 2.0);
    for (i, rgb) in PATCHES[..7].iter().enumerate() {
        let (ey, eu, ev) = bt709(rgb.0, rgb.1, rgb.2);
        let (x, y) = (((i as f64 + 0.5) * W as f64 / 7.0) as u32, H as u32 / 2);
        let (gy, gu, gv) = yuv_at(&got, W as u32, H as u32, x, y);
        for (name, want, g) in [("Y", ey, gy), ("Cb", eu, gu), ("Cr", ev, gv)] {
            assert!(
                (want - g).abs() <= 2.0,
                "NV12 source, bar {i} {rgb:?}, {name} at ({x},{y}): got {g}, expected {want:.1}"
            );
        }
    }

    // The patch files, against the BT.709 source (the packed ones were BT.601).
    let want = planes(&i420, 0.0);
    for canvas in ["i420", "yuy2", "uyvy"] {
        let got = planes(&dir.join(format!("out-{canvas}.mkv")), 2.0);
        // Every patch interior, all three planes.
        for (i, _) in PATCHES.iter().enumerate() {
            let (px, py) = ((i % 4) * 160 + 84, (i / 4) * 120 + 64);
            for (dx, dy) in [(-40i32, -30i32), (0, 0), (40, 30)] {
                let (x, y) = ((px as i32 + dx) as usize, (py as i32 + dy) as usize);
                let (wy, wu, wv) = (
                    want[y * W + x],
                    want[W * H + (y / 2) * (W / 2) + x / 2],
                    want[W * H * 5 / 4 + (y / 2) * (W / 2) + x / 2],
                );
                let (gy, gu, gv) = (
                    got[y * W + x],
                    got[W * H + (y / 2) * (W / 2) + x / 2],
                    got[W * H * 5 / 4 + (y / 2) * (W / 2) + x / 2],
                );
                for (name, w, g) in [("Y", wy, gy), ("Cb", wu, gu), ("Cr", wv, gv)] {
                    assert!(
                        (w as i32 - g as i32).abs() <= 2,
                        "canvas {canvas}, patch {i} {:?}, {name} at ({x},{y}): got {g}, source {w}",
                        PATCHES[i]
                    );
                }
            }
        }
        // Pixel-exact position: every black line's edges are where they were.
        for y in [60usize, 180, 300] {
            let edge = |plane: &[u8], x: usize| (plane[y * W + x] as i32 - plane[y * W + x - 1] as i32).abs();
            for x0 in [160usize, 320, 480] {
                for x in [x0, x0 + 8] {
                    let strongest = (x - 2..=x + 2).max_by_key(|&c| edge(&got, c)).unwrap();
                    assert_eq!(
                        strongest, x,
                        "canvas {canvas}: edge at x={x} moved to {strongest} (row {y})"
                    );
                }
            }
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
}
