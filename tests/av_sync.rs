//! A/V sync through the whole pipeline: a clip with a white flash and a
//! 1 kHz beep at the same instants plays as a media source on a 60 fps
//! canvas, streamed to nginx-rtmp. On what the server received, the beep
//! onsets are within 20 ms of the flash onsets; when the source's audio
//! offset is set to +100 ms halfway through, they move by 100 ± 10 ms.
//!
//! Both halves are one run: the picture can only change on a canvas tick,
//! so each flash shows up to one frame (16.7 ms) after its instant, by an
//! amount (the phase of the clip against the ticks) that is fixed within a
//! run and random between runs. Comparing two runs measured that phase, not
//! the offset; within one run it cancels. Medians, not means: one flash
//! shown late by a tick a loaded machine rendered late moves a median by
//! nothing.

mod support;

use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Command, Stdio};
use support::*;

fn make_clip(path: &Path) {
    let st = Command::new("ffmpeg")
        .args(["-v", "error", "-y", "-f", "lavfi", "-i"])
        .arg("color=c=black:s=320x180:r=60:d=17,geq=lum='if(between(mod(T\\,1)\\,0.5\\,0.6)\\,235\\,16)':cb=128:cr=128")
        .args(["-f", "lavfi", "-i"])
        .arg("aevalsrc='if(between(mod(t\\,1)\\,0.5\\,0.6)\\,0.5*sin(2*PI*1000*t)\\,0)':s=48000:d=17")
        .args([
            "-c:v",
            "libx264",
            "-preset",
            "ultrafast",
            "-g",
            "1",
            "-pix_fmt",
            "yuv420p",
            "-c:a",
            "pcm_s16le",
        ])
        .arg(path)
        .status()
        .unwrap();
    assert!(st.success());
}

/// Times (s) where the picture turns white.
fn flash_onsets(path: &Path) -> Vec<f64> {
    let out = Command::new("ffmpeg")
        .args(["-v", "error", "-i"])
        .arg(path)
        .args([
            "-an",
            "-vf",
            "signalstats,metadata=print:key=lavfi.signalstats.YAVG:file=-",
            "-f",
            "null",
            "-",
        ])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    let mut onsets = Vec::new();
    let (mut t, mut was_bright) = (0.0, true);
    for line in text.lines() {
        if let Some(p) = line.split("pts_time:").nth(1) {
            t = p.trim().parse().unwrap_or(t);
        } else if let Some(y) = line.strip_prefix("lavfi.signalstats.YAVG=") {
            let bright = y.trim().parse::<f64>().unwrap_or(0.0) > 128.0;
            if bright && !was_bright {
                onsets.push(t);
            }
            was_bright = bright;
        }
    }
    onsets
}

/// Times (s) where the beep starts: 1 ms RMS over a quarter of its level.
fn beep_onsets(path: &Path) -> Vec<f64> {
    let start: f64 = ffprobe(
        path,
        &[
            "-select_streams",
            "a",
            "-show_entries",
            "stream=start_time",
            "-of",
            "csv=p=0",
        ],
    )
    .trim()
    .parse()
    .unwrap_or(0.0);
    let out = Command::new("ffmpeg")
        .args(["-v", "error", "-i"])
        .arg(path)
        .args(["-vn", "-ac", "1", "-ar", "48000", "-f", "f32le", "-"])
        .output()
        .unwrap();
    let samples: Vec<f32> = bytemuck::pod_collect_to_vec(&out.stdout);
    let mut onsets = Vec::new();
    let mut loud = true;
    for (i, w) in samples.chunks(48).enumerate() {
        let rms = (w.iter().map(|s| s * s).sum::<f32>() / w.len() as f32).sqrt();
        let now_loud = rms > 0.35 * 0.25;
        if now_loud && !loud {
            onsets.push(start + i as f64 * 0.001);
        }
        loud = now_loud;
    }
    onsets
}

/// Median of (beep − flash) in ms over the flashes between `from` and
/// `to` seconds that have a beep within 300 ms.
fn offset_ms(flashes: &[f64], beeps: &[f64], from: f64, to: f64) -> f64 {
    let mut pairs: Vec<f64> = flashes
        .iter()
        .filter(|f| **f > from && **f < to)
        .filter_map(|f| {
            beeps
                .iter()
                .map(|b| b - f)
                .filter(|d| d.abs() < 0.3)
                .min_by(|a, b| a.abs().partial_cmp(&b.abs()).unwrap())
        })
        .collect();
    assert!(
        pairs.len() >= 3,
        "between {from} and {to} s: flashes {flashes:?} beeps {beeps:?}"
    );
    pairs.sort_by(f64::total_cmp);
    pairs[pairs.len() / 2] * 1000.0
}

#[test]
fn sound_and_picture_arrive_together_and_the_offset_moves_the_sound() {
    let _heavy = heavy_lock();
    let dir = tempdir("av-sync");
    make_clip(&dir.join("clip.mkv"));
    let nginx = Nginx::start(&dir.join("nginx"));
    let key = "avSync-1";
    let show = "[[canvases]]\nid = \"c\"\nwidth = 320\nheight = 180\nfps = 60\n\
         [[sources]]\nid = \"clip\"\nkind = \"media\"\npath = \"clip.mkv\"\n\
         [[scenes]]\nid = \"s\"\n[[scenes.layers]]\nsource = \"clip\"\nplace.c = { x = 0, y = 0, width = 320, height = 180 }\n";
    std::fs::write(dir.join("show.toml"), show).unwrap();
    let mut child = Command::new(showroom_bin())
        .arg("run")
        .arg(dir.join("show.toml"))
        .args([
            "--duration",
            "15",
            "--to",
            &format!("c=rtmp://127.0.0.1:{}/live/{key}", nginx.rtmp_port),
        ])
        .env("XDG_STATE_HOME", dir.join("state"))
        .stdin(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    // Halfway (by the show's own clock, on its status line): +100 ms.
    let mut log = String::new();
    let mut sent = false;
    for line in BufReader::new(child.stderr.take().unwrap()).lines() {
        let line = line.unwrap();
        let secs = line
            .strip_prefix('[')
            .and_then(|l| l.get(..5))
            .and_then(|t| t.split_once(':'))
            .and_then(|(m, s)| Some(m.parse::<u32>().ok()? * 60 + s.parse::<u32>().ok()?));
        if !sent && secs.is_some_and(|s| s >= 7) {
            writeln!(stdin, "offset clip 100").unwrap();
            sent = true;
        }
        log.push_str(&line);
        log.push('\n');
    }
    let status = child.wait().unwrap();
    drop(stdin);
    assert!(status.success(), "{log}");
    assert!(sent, "the show never reached 7 s: {log}");
    let received = nginx.received(key);
    let (flashes, beeps) = (flash_onsets(&received), beep_onsets(&received));
    let base = offset_ms(&flashes, &beeps, 1.0, 6.5);
    eprintln!("A/V offset: {base:.1} ms (beep after flash)");
    assert!(base.abs() <= 20.0, "sound is {base:.1} ms off the picture");
    let moved = offset_ms(&flashes, &beeps, 9.0, 15.0);
    eprintln!("A/V offset with +100 ms: {moved:.1} ms");
    assert!(
        (moved - base - 100.0).abs() <= 10.0,
        "+100 ms moved the sound by {:.1} ms",
        moved - base
    );
    let _ = std::fs::remove_dir_all(&dir);
}
