//! A real window: `showroom studio` on the bundled demo show under Xvfb, on
//! lavapipe. We wait for its first program frame, take a screenshot of the
//! screen with ffmpeg's x11grab, and check that the preview and program
//! panes show the demo's test-pattern colours (not black) and that tesseract
//! reads the main panels' titles.

mod support;

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;
use support::*;

const SCREEN: (u32, u32) = (1366, 768);

/// An X server without a screen, on a display number nobody uses.
struct Xvfb {
    child: Child,
    display: String,
}

impl Xvfb {
    fn start() -> Xvfb {
        let n = (90..120)
            .find(|n| {
                !Path::new(&format!("/tmp/.X11-unix/X{n}")).exists() && !Path::new(&format!("/tmp/.X{n}-lock")).exists()
            })
            .expect("a free X display number");
        let display = format!(":{n}");
        let child = Command::new("Xvfb")
            .args([
                &display,
                "-screen",
                "0",
                &format!("{}x{}x24", SCREEN.0, SCREEN.1),
                "-nolisten",
                "tcp",
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("Xvfb missing: apt-get install xvfb");
        let socket = format!("/tmp/.X11-unix/X{n}");
        assert!(
            poll_until(Duration::from_secs(10), || Path::new(&socket).exists()).is_some(),
            "Xvfb did not start"
        );
        Xvfb { child, display }
    }
}

impl Drop for Xvfb {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

struct Killed(Child);
impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Pixels of the screenshot, RGB.
fn screenshot(display: &str, path: &Path) -> Vec<u8> {
    let st = Command::new("ffmpeg")
        .args(["-v", "error", "-y", "-f", "x11grab", "-video_size"])
        .arg(format!("{}x{}", SCREEN.0, SCREEN.1))
        .args(["-i", display, "-frames:v", "1", "-pix_fmt", "rgb24"])
        .arg(path)
        .status()
        .unwrap();
    assert!(st.success(), "ffmpeg could not grab the screen");
    let decoder = png::Decoder::new(std::io::BufReader::new(std::fs::File::open(path).unwrap()));
    let mut reader = decoder.read_info().unwrap();
    let mut buf = vec![0; reader.output_buffer_size()];
    let info = reader.next_frame(&mut buf).unwrap();
    assert_eq!((info.width, info.height), SCREEN);
    buf.truncate(info.buffer_size());
    buf
}

/// How many of the six hues of colour bars (red, yellow, green, cyan, blue,
/// magenta) appear, strongly saturated, on at least 40 pixels of a box.
fn bar_hues(rgb: &[u8], x0: u32, x1: u32, y0: u32, y1: u32) -> usize {
    let mut counts = [0u32; 6];
    for y in y0..y1 {
        for x in x0..x1 {
            let i = ((y * SCREEN.0 + x) * 3) as usize;
            let (r, g, b) = (rgb[i] as f32, rgb[i + 1] as f32, rgb[i + 2] as f32);
            let (max, min) = (r.max(g).max(b), r.min(g).min(b));
            if max - min < 120.0 {
                continue;
            }
            let d = max - min;
            let h = if max == r {
                ((g - b) / d).rem_euclid(6.0)
            } else if max == g {
                (b - r) / d + 2.0
            } else {
                (r - g) / d + 4.0
            };
            counts[(h.round() as usize) % 6] += 1;
        }
    }
    counts.iter().filter(|&&n| n >= 40).count()
}

#[test]
fn the_studio_opens_the_demo_and_shows_preview_and_program() {
    let _heavy = heavy_lock();
    let dir = tempdir("window");
    let x = Xvfb::start();
    let log = dir.join("studio.log");
    let root = env!("CARGO_MANIFEST_DIR");
    let studio = Killed(
        Command::new(showroom_bin())
            .args(["studio", "assets/demo/show.toml"])
            .current_dir(root)
            .env("DISPLAY", &x.display)
            .env_remove("WAYLAND_DISPLAY")
            .env("XDG_STATE_HOME", dir.join("state"))
            .env("RUST_LOG", "info")
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log).unwrap())
            .spawn()
            .unwrap(),
    );
    let shown = poll_until(Duration::from_secs(90), || {
        std::fs::read_to_string(&log).is_ok_and(|l| l.contains("first program frame on screen"))
    });
    let text = std::fs::read_to_string(&log).unwrap_or_default();
    assert!(shown.is_some(), "no frame on screen; the studio said:\n{text}");
    // A few more frames, so both panes have been painted with video.
    std::thread::sleep(Duration::from_secs(3));
    let shot = dir.join("screen.png");
    let rgb = screenshot(&x.display, &shot);

    // Preview (left) and program (right) share the area between the scenes
    // and the outputs panels, below the top bar.
    // The demo has [chat]: its panel (300 px) is at the right edge, beyond
    // the outputs panel (280 px).
    let right_edge = SCREEN.0 - 290 - showroom::studio::chat::PANEL_WIDTH as u32;
    let (mid, top, bottom) = ((230 + right_edge) / 2, 80, 420);
    // The demo's main scene has the colour-bar product camera as a
    // picture-in-picture: its hues must be there in both panes.
    let left = bar_hues(&rgb, 245, mid - 10, top, bottom);
    let right = bar_hues(&rgb, mid + 10, right_edge, top, bottom);
    assert!(
        left >= 5 && right >= 5,
        "colour-bar hues: {left} of 6 in preview, {right} of 6 in program; screenshot {}",
        shot.display()
    );

    let ocr = Command::new("tesseract")
        .arg(&shot)
        .arg("-")
        .output()
        .expect("tesseract missing");
    let words = String::from_utf8_lossy(&ocr.stdout);
    for title in [
        "Scenes",
        "Sources",
        "Outputs",
        "Recordings",
        "PREVIEW",
        "PROGRAM",
        "Record",
        "Take",
        "Chat",
    ] {
        assert!(
            words.contains(title),
            "`{title}` not on screen; read:\n{words}\nscreenshot {}",
            shot.display()
        );
    }
    drop(studio);
    let _ = std::fs::remove_dir_all(&dir);
}
