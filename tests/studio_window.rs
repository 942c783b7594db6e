//! A real window: `showroom studio` on the bundled demo show under Xvfb
//! (1920×1080), on lavapipe. We wait for its first program frame, take a
//! screenshot of the screen with ffmpeg's x11grab, and check what a director
//! sees: program at least 800 px wide (found by its red tally border), the
//! demo's test-pattern colours in preview and program, the panels' titles
//! (tesseract); with the multiview open, the tiles' labels (tesseract) and
//! the colours of the tally borders.

mod support;

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;
use support::*;

const SCREEN: (u32, u32) = (1920, 1080);

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
        .args(["-v", "error", "-y", "-f", "x11grab", "-draw_mouse", "0", "-video_size"])
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

/// Is this pixel the colour of a tally border (within a little of it)?
fn near(rgb: &[u8], i: usize, c: egui::Color32) -> bool {
    let d = |a: u8, b: u8| (a as i32 - b as i32).abs();
    d(rgb[i], c.r()) + d(rgb[i + 1], c.g()) + d(rgb[i + 2], c.b()) < 40
}

/// The longest run of `c` on any row between y0 and y1: (length, row, x).
fn longest_run(rgb: &[u8], c: egui::Color32, y0: u32, y1: u32) -> (u32, u32, u32) {
    let mut best = (0, 0, 0);
    for y in y0..y1 {
        let mut run = 0;
        for x in 0..SCREEN.0 {
            let i = ((y * SCREEN.0 + x) * 3) as usize;
            if near(rgb, i, c) {
                run += 1;
                if run > best.0 {
                    best = (run, y, x + 1 - run);
                }
            } else {
                run = 0;
            }
        }
    }
    best
}

/// Pixels of `c` in a box.
fn count(rgb: &[u8], c: egui::Color32, x0: u32, x1: u32, y0: u32, y1: u32) -> u32 {
    let mut n = 0;
    for y in y0..y1 {
        for x in x0..x1 {
            if near(rgb, ((y * SCREEN.0 + x) * 3) as usize, c) {
                n += 1;
            }
        }
    }
    n
}

/// Opens the demo in the studio with `views` as the user's views.toml,
/// waits for the first program frame and a few more, and takes a shot.
fn open_demo(tag: &str, views: &str) -> (std::path::PathBuf, Vec<u8>, String) {
    let dir = tempdir(tag);
    let config = dir.join("config").join("showroom");
    std::fs::create_dir_all(&config).unwrap();
    std::fs::write(config.join("views.toml"), views).unwrap();
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
            .env("XDG_CONFIG_HOME", dir.join("config"))
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
    // A few more frames, so every picture has been painted with video (the
    // multiview's source tiles ten a second on lavapipe).
    std::thread::sleep(Duration::from_secs(4));
    let shot = dir.join("screen.png");
    let rgb = screenshot(&x.display, &shot);
    let ocr = Command::new("tesseract")
        .arg(&shot)
        .arg("-")
        .output()
        .expect("tesseract missing");
    drop(studio);
    drop(x);
    (dir, rgb, String::from_utf8_lossy(&ocr.stdout).into_owned())
}

const FULL_SCREEN: &str = "window = [1920.0, 1080.0]\n";

#[test]
fn the_studio_opens_the_demo_with_program_large_and_both_pictures_live() {
    let _heavy = heavy_lock();
    let (dir, rgb, words) = open_demo("window", FULL_SCREEN);
    let shot = dir.join("screen.png");
    // Program: the picture inside the red tally border, at least 800 px.
    let (width, row, x) = longest_run(&rgb, showroom::studio::theme::TALLY_PROGRAM, 40, SCREEN.1 / 2);
    assert!(
        width >= 800,
        "program's border is {width} px wide (row {row}); screenshot {}",
        shot.display()
    );
    let (pgm_left, pgm_right) = (x + 6, x + width - 6);
    let pgm_top = row + 6;
    let pgm_bottom = pgm_top + (pgm_right - pgm_left) * 9 / 16 - 12;
    // Preview is left of program, at the same top. The demo's main scene has
    // the colour-bar product camera as a picture-in-picture: its hues must
    // be in both.
    let in_program = bar_hues(&rgb, pgm_left, pgm_right, pgm_top, pgm_bottom);
    let pvw_left = 250;
    let in_preview = bar_hues(
        &rgb,
        pvw_left,
        pgm_left - 20,
        pgm_top,
        pgm_top + (pgm_left - 20 - pvw_left) * 9 / 16,
    );
    assert!(
        in_program >= 5 && in_preview >= 5,
        "colour-bar hues: {in_preview} of 6 in preview, {in_program} of 6 in program; screenshot {}",
        shot.display()
    );
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
        "Multiview",
    ] {
        assert!(
            words.contains(title),
            "`{title}` not on screen; read:\n{words}\nscreenshot {}",
            shot.display()
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn the_multiview_labels_its_tiles_and_draws_the_tallies() {
    let _heavy = heavy_lock();
    let (dir, rgb, words) = open_demo(
        "multiview",
        &format!("{FULL_SCREEN}[multiview]\nopen = true\ncolumns = 4\n"),
    );
    let shot = dir.join("screen.png");
    // Every source with a picture and every scene, by name, and the buses.
    for label in ["host-cam", "product-cam", "badge", "main", "product", "PGM", "PVW"] {
        assert!(
            words.contains(label),
            "tile `{label}` not read; read:\n{words}\nscreenshot {}",
            shot.display()
        );
    }
    // Program's tile (right of centre) has the red border, preview's (left)
    // the green one; the demo opens with `main` on both, so the `main` scene
    // tile and the sources of `main` are red too.
    let (mid, top, bottom) = ((230 + SCREEN.0 - 300) / 2, 40, SCREEN.1 / 2);
    let theme = |c| count(&rgb, c, 0, SCREEN.0, top, SCREEN.1);
    use showroom::studio::theme::{TALLY_PREVIEW, TALLY_PROGRAM};
    let red_right = count(&rgb, TALLY_PROGRAM, mid, SCREEN.0, top, bottom);
    let green_left = count(&rgb, TALLY_PREVIEW, 0, mid, top, bottom);
    assert!(
        red_right >= 1500 && green_left >= 1500,
        "tally pixels: red right of centre {red_right}, green left of it {green_left} (all: red {}, green {}); screenshot {}",
        theme(TALLY_PROGRAM),
        theme(TALLY_PREVIEW),
        shot.display()
    );
    // Below the two large tiles: red borders for what is on program.
    let red_below = count(&rgb, TALLY_PROGRAM, 0, SCREEN.0, bottom, SCREEN.1);
    assert!(
        red_below >= 500,
        "red below: {red_below}; screenshot {}",
        shot.display()
    );
    let _ = std::fs::remove_dir_all(&dir);
}
