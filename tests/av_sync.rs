//! A/V sync through the whole pipeline: a clip with a white flash and a
//! 1 kHz beep at the same instants plays as a media source on a 60 fps
//! canvas, streamed to nginx-rtmp. On what the server received, the beep
//! onsets are within 20 ms of the flash onsets; with the source's audio
//! offset at +100 ms they move by 100 ± 10 ms.

mod support;

use std::path::Path;
use std::process::Command;
use support::*;

fn make_clip(path: &Path) {
    let st = Command::new("ffmpeg")
        .args(["-v", "error", "-y", "-f", "lavfi", "-i"])
        .arg("color=c=black:s=320x180:r=60:d=8,geq=lum='if(between(mod(T\\,1)\\,0.5\\,0.6)\\,235\\,16)':cb=128:cr=128")
        .args(["-f", "lavfi", "-i"])
        .arg("aevalsrc='if(between(mod(t\\,1)\\,0.5\\,0.6)\\,0.5*sin(2*PI*1000*t)\\,0)':s=48000:d=8")
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

/// Mean of (beep − flash) over the flashes that have a beep within 300 ms.
fn offset_ms(path: &Path) -> f64 {
    let flashes = flash_onsets(path);
    let beeps = beep_onsets(path);
    let pairs: Vec<f64> = flashes
        .iter()
        .filter(|f| **f > 1.0)
        .filter_map(|f| {
            beeps
                .iter()
                .map(|b| b - f)
                .filter(|d| d.abs() < 0.3)
                .min_by(|a, b| a.abs().partial_cmp(&b.abs()).unwrap())
        })
        .collect();
    assert!(pairs.len() >= 3, "flashes {flashes:?} beeps {beeps:?}");
    pairs.iter().sum::<f64>() / pairs.len() as f64 * 1000.0
}

fn run(dir: &Path, nginx: &Nginx, offset: i32, key: &str) -> f64 {
    let show = format!(
        "[[canvases]]\nid = \"c\"\nwidth = 320\nheight = 180\nfps = 60\n\
         [[sources]]\nid = \"clip\"\nkind = \"media\"\npath = \"clip.mkv\"\naudio = {{ offset_ms = {offset} }}\n\
         [[scenes]]\nid = \"s\"\n[[scenes.layers]]\nsource = \"clip\"\nplace.c = {{ x = 0, y = 0, width = 320, height = 180 }}\n"
    );
    std::fs::write(dir.join("show.toml"), show).unwrap();
    let out = Command::new(showroom_bin())
        .arg("run")
        .arg(dir.join("show.toml"))
        .args([
            "--duration",
            "7",
            "--to",
            &format!("c=rtmp://127.0.0.1:{}/live/{key}", nginx.rtmp_port),
        ])
        .env("XDG_STATE_HOME", dir.join("state"))
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    offset_ms(&nginx.received(key))
}

#[test]
fn sound_and_picture_arrive_together_and_the_offset_moves_the_sound() {
    let _heavy = heavy_lock();
    let dir = tempdir("av-sync");
    make_clip(&dir.join("clip.mkv"));
    let nginx = Nginx::start(&dir.join("nginx"));
    let base = run(&dir, &nginx, 0, "avSync-0");
    eprintln!("A/V offset: {base:.1} ms (beep after flash)");
    assert!(base.abs() <= 20.0, "sound is {base:.1} ms off the picture");
    let moved = run(&dir, &nginx, 100, "avSync-100");
    eprintln!("A/V offset with +100 ms: {moved:.1} ms");
    assert!(
        (moved - base - 100.0).abs() <= 10.0,
        "+100 ms moved the sound by {:.1} ms",
        moved - base
    );
    let _ = std::fs::remove_dir_all(&dir);
}
