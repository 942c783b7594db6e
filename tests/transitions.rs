//! Preview/program and transitions, checked on what is encoded: a 500 ms fade
//! at 30 fps from a black scene to a white one yields frames whose brightness
//! steps by 1/15 of the way per frame; slide and wipe split the picture where
//! expected at their midpoint.

mod support;

use showroom::engine::{Command, Engine};
use showroom::show::{Direction, TransitionKind, TransitionSpec};
use std::process::Command as Proc;
use std::time::Duration;
use support::*;

const SHOW: &str = r#"
[[canvases]]
id = "main"
width = 320
height = 240
fps = 30

[[sources]]
id = "black"
kind = "test-pattern"
pattern = "black"
width = 320
height = 240

[[sources]]
id = "white"
kind = "test-pattern"
pattern = "white"
width = 320
height = 240

[[scenes]]
id = "dark"

[[scenes.layers]]
source = "black"
place.main = { x = 0, y = 0, width = 320, height = 240 }

[[scenes]]
id = "bright"

[[scenes.layers]]
source = "white"
place.main = { x = 0, y = 0, width = 320, height = 240 }

[[recordings]]
canvas = "main"
path = "rec.mkv"
"#;

/// Luma (Y code value) of every frame of a recording at (x, y), as encoded:
/// no frame duplicated to fill a skipped tick (`-fps_mode passthrough`).
fn luma_track(path: &std::path::Path, x: usize, y: usize) -> Vec<u8> {
    let out = Proc::new("ffmpeg")
        .args(["-v", "error", "-i"])
        .arg(path)
        .args(["-fps_mode", "passthrough", "-f", "rawvideo", "-pix_fmt", "yuv420p", "-"])
        .output()
        .unwrap();
    assert!(out.status.success());
    // Y plane of each I420 frame, as encoded (limited range 16–235).
    out.stdout
        .chunks_exact(320 * 240 * 3 / 2)
        .map(|f| f[y * 320 + x])
        .collect()
}

/// Presentation time of every video frame of a recording, in seconds.
fn frame_times(path: &std::path::Path) -> Vec<f64> {
    ffprobe(
        path,
        &[
            "-select_streams",
            "v:0",
            "-show_entries",
            "frame=pts_time",
            "-of",
            "csv=p=0",
        ],
    )
    .lines()
    .filter_map(|l| l.trim().trim_end_matches(',').parse().ok())
    .collect()
}

fn run(dir: &std::path::Path, spec: TransitionSpec) -> std::path::PathBuf {
    let engine = Engine::start(load_show(dir, SHOW)).unwrap();
    std::thread::sleep(Duration::from_millis(1500));
    engine.execute(Command::PreviewScene("bright".into())).unwrap();
    assert_eq!(engine.snapshot().preview, "bright");
    engine.execute(Command::Take(Some(spec))).unwrap();
    std::thread::sleep(Duration::from_millis(1500));
    let snap = engine.stop();
    assert_eq!((snap.scene.as_str(), snap.preview.as_str()), ("bright", "dark"));
    assert_ticks_accounted(&snap);
    dir.join("rec.mkv")
}

#[test]
fn a_500_ms_fade_steps_by_one_fifteenth_per_frame() {
    let _heavy = heavy_lock();
    let dir = tempdir("fade");
    let rec = run(
        &dir,
        TransitionSpec {
            kind: TransitionKind::Fade,
            duration_ms: 500,
        },
    );
    let track = luma_track(&rec, 160, 120);
    let times = frame_times(&rec);
    assert_eq!(track.len(), times.len(), "ffmpeg and ffprobe disagree on the frames");
    let first = track.iter().position(|&y| y > 20).expect("the fade never started");
    assert!(track[..first].iter().all(|&y| y <= 18), "not black before the fade");
    // Frame k of the fade (1..14) mixes k/15 of white (BT.709 limited:
    // 16..235), then white. k is read from the frame's own time, so a tick
    // the machine skipped does not shift the count. The first frame seen
    // tells which k it is.
    let k_first = ((track[first] as f64 - 16.0) / 219.0 * 15.0).round();
    assert!(k_first >= 1.0, "first fade frame Y {}", track[first]);
    let fade_start = times[first] - k_first / 30.0;
    let mut checked = 0;
    for i in first..track.len() {
        let k = ((times[i] - fade_start) * 30.0).round();
        let got = track[i] as f64;
        if k >= 15.0 {
            assert!(got >= 232.0, "not white after the fade: Y {got} at frame {i}");
            continue;
        }
        let expect = 16.0 + 219.0 * k / 15.0;
        assert!(
            (got - expect).abs() <= 3.0,
            "frame {k} of the fade: Y {got}, expected {expect:.1}; track {:?}",
            &track[first.saturating_sub(2)..(first + 17).min(track.len())]
        );
        checked += 1;
    }
    assert!(checked >= 7, "only {checked} frames of the fade were encoded");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn slide_and_wipe_split_the_picture_at_their_midpoint() {
    let _heavy = heavy_lock();
    for (name, kind) in [
        ("slide", TransitionKind::Slide(Direction::Right)),
        ("wipe", TransitionKind::Wipe(Direction::Right)),
    ] {
        let dir = tempdir(name);
        let rec = run(
            &dir,
            TransitionSpec {
                kind,
                duration_ms: 1000,
            },
        );
        // Left and right edges: the incoming (white) scene enters from the left.
        let left = luma_track(&rec, 10, 120);
        let right = luma_track(&rec, 310, 120);
        let start = left
            .iter()
            .position(|&y| y > 128)
            .expect("transition never reached the left edge");
        // The picture is split: for a while the left is white and the right still black.
        let split = (start..left.len()).filter(|&i| left[i] > 200 && right[i] < 40).count();
        assert!(split >= 10, "{name}: the picture was split for {split} frames only");
        assert!(*right.last().unwrap() > 230, "{name} did not end on the new scene");
        let _ = std::fs::remove_dir_all(&dir);
    }
}

#[test]
fn layer_properties_change_while_live() {
    let _heavy = heavy_lock();
    let dir = tempdir("set-layer");
    let mut show = load_show(&dir, SHOW);
    show.start_scene = 1; // "bright" on program
    let engine = Engine::start(show).unwrap();
    std::thread::sleep(Duration::from_millis(1000));
    let set = |source: &str, change| Command::SetLayer {
        scene: "bright".into(),
        source: source.into(),
        change,
    };
    engine
        .execute(set("white", showroom::engine::LayerChange::Opacity(0.5)))
        .unwrap();
    let err = engine
        .execute(set("black", showroom::engine::LayerChange::Opacity(0.5)))
        .unwrap_err();
    assert_eq!(err.to_string(), "scene `bright` has no layer showing source `black`");
    let err = engine
        .execute(set("white", showroom::engine::LayerChange::Opacity(1.5)))
        .unwrap_err();
    assert!(err.to_string().contains("use 0.0 to 1.0"));
    std::thread::sleep(Duration::from_millis(1000));
    engine.stop();
    let track = luma_track(&dir.join("rec.mkv"), 160, 120);
    assert!(track[10] >= 232, "not white before the change: {}", track[10]);
    let last = *track.last().unwrap() as f64;
    // Half-transparent white over the black canvas: half-way in code values.
    assert!(
        (last - (16.0 + 219.0 * 0.5)).abs() <= 3.0,
        "after opacity 0.5: Y {last}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// A stinger: a 1 s VP8 WebM with real alpha (left half opaque red, right
/// half transparent) played over the change, scenes switching at its middle.
/// Through the transparent half the old scene shows until the cut and the new
/// one after it; the red half covers both; afterwards only the new scene.
#[test]
fn a_stinger_with_alpha_covers_the_cut_and_shows_the_scenes_through() {
    let _heavy = heavy_lock();
    let dir = tempdir("stinger");
    let clip = dir.join("stinger.webm");
    let st = Proc::new("ffmpeg")
        .args(["-v", "error", "-y", "-f", "lavfi", "-i"])
        .arg(
            "color=c=red:s=320x240:r=30:d=1,format=yuva420p,\
             geq=lum='p(X,Y)':cb='p(X,Y)':cr='p(X,Y)':a='if(lt(X,W/2),255,0)'",
        )
        .args(["-c:v", "libvpx", "-auto-alt-ref", "0", "-b:v", "2M"])
        .arg(&clip)
        .status()
        .unwrap();
    assert!(st.success(), "ffmpeg could not make the stinger clip");
    let text =
        format!("{SHOW}\n[[sources]]\nid = \"sting\"\nkind = \"media\"\npath = \"stinger.webm\"\nloop = false\n");
    let engine = Engine::start(load_show(&dir, &text)).unwrap();
    let mut sub = engine.subscribe();
    std::thread::sleep(Duration::from_millis(1500));
    engine.execute(Command::PreviewScene("bright".into())).unwrap();
    engine
        .execute(Command::Take(Some(TransitionSpec {
            kind: TransitionKind::Stinger { source: 2, cut: 0.5 },
            duration_ms: 1000,
        })))
        .unwrap();
    std::thread::sleep(Duration::from_millis(2000));
    let snap = engine.stop();
    assert_eq!(snap.scene, "bright");
    // Its start and end are events, timed on the stream's clock.
    let mut marks = Vec::new();
    loop {
        match sub.try_next() {
            showroom::events::Next::Event(e) => match &e.event {
                showroom::events::Event::TransitionStarted {
                    to, kind, duration_ms, ..
                } => marks.push((format!("start {to} {kind} {duration_ms}"), e.t)),
                showroom::events::Event::TransitionEnded { scene } => marks.push((format!("end {scene}"), e.t)),
                _ => {}
            },
            showroom::events::Next::Missed(n) => panic!("missed {n}"),
            _ => break,
        }
    }
    let names: Vec<&str> = marks.iter().map(|(m, _)| m.as_str()).collect();
    assert_eq!(names, ["start bright stinger 1000", "end bright"]);
    let took = marks[1].1 - marks[0].1;
    assert!(
        (0.9..5.0).contains(&took),
        "the stinger took {took:.3} s of stream time"
    );
    let sting = snap.sources.iter().find(|s| s.id == "sting").unwrap();
    assert_eq!(sting.error, None, "the stinger clip did not play");
    assert!(
        sting.ended && !sting.signal_lost,
        "a clip played once is not a lost signal: {sting:?}"
    );

    let rec = dir.join("rec.mkv");
    let left = luma_track(&rec, 40, 120);
    let right = luma_track(&rec, 280, 120);
    // Opaque red in BT.709 limited range: Y 63.
    let red = |y: u8| (y as i32 - 63).abs() <= 6;
    let black = |y: u8| y <= 20;
    let white = |y: u8| y >= 230;
    let before_cut = (0..left.len()).filter(|&i| red(left[i]) && black(right[i])).count();
    let after_cut = (0..left.len()).filter(|&i| red(left[i]) && white(right[i])).count();
    assert!(
        before_cut >= 5 && after_cut >= 5,
        "red over the old scene for {before_cut} frames, over the new for {after_cut}; left {left:?} right {right:?}"
    );
    let first_red = left.iter().position(|&y| red(y)).unwrap();
    assert!(
        left[..first_red].iter().all(|&y| black(y)),
        "not the old scene before the stinger"
    );
    assert!(
        white(*left.last().unwrap()) && white(*right.last().unwrap()),
        "the stinger did not leave the new scene behind: {left:?}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}
