//! Colour accuracy end to end: 75 % colour bars, a skin tone, primaries,
//! black and white, as an I420 source → compositor → NV12 → encoder →
//! decoded by ffmpeg from the recording: every patch within ±2 code values of
//! the source (BT.709 limited range), and a source filling the canvas 1:1
//! lands pixel-exact in position. (GStreamer 1.22 has no container that plays
//! raw NV12 from a file, so NV12 and YUY2 sources are checked at the
//! compositor in tests/golden.rs.)

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

fn make_source(dir: &std::path::Path, pix_fmt: &str) -> std::path::PathBuf {
    let raw = dir.join("patches.rgb");
    std::fs::write(&raw, patches_rgb()).unwrap();
    let out = dir.join(format!("patches-{pix_fmt}.mkv"));
    let st = Command::new("ffmpeg")
        .args([
            "-v", "error", "-y", "-f", "rawvideo", "-pix_fmt", "rgb24", "-s", "640x360", "-r", "30", "-i",
        ])
        .arg(&raw)
        .args([
            "-vf",
            &format!("scale=out_color_matrix=bt709:out_range=tv,format={pix_fmt}"),
            "-frames:v",
            "30",
        ])
        .args([
            "-color_primaries",
            "bt709",
            "-color_trc",
            "bt709",
            "-colorspace",
            "bt709",
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
    let show = format!(
        r#"
[[canvases]]
id = "a"
width = {W}
height = {H}
video_bitrate = 20000

[[sources]]
id = "i420"
kind = "media"
path = "{}"

[[scenes]]
id = "s"

[[scenes.layers]]
source = "i420"
place.a = {{ x = 0, y = 0, width = {W}, height = {H} }}

[[recordings]]
canvas = "a"
path = "out-{{canvas}}.mkv"

"#,
        i420.display()
    );
    let engine = Engine::start(load_show(&dir, &show)).unwrap();
    std::thread::sleep(Duration::from_secs(3));
    engine.stop();

    for (canvas, source) in [("a", &i420)] {
        let want = planes(source, 0.0);
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
