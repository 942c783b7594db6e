//! Report benchmark: the post-show report of a 2-hour show from synthetic
//! logs — 200,000 comments on three platforms, 5,000 claims (some
//! cancelled), answered questions, 40 product features — seconds and peak
//! memory, against the floor in the same run: reading the same files with
//! a plain JSON line reader (each line parsed into a `serde_json::Value`,
//! nothing kept).
//!
//! Peak memory is the process's high-water mark (VmHWM), reset before each
//! part through /proc/self/clear_refs.
//!
//! With 2 recordings (landscape and portrait, 320×180 H.264 + AAC, made
//! by gst-launch for the show's first 12 minutes): the clips of the 4
//! product moments in them (8 clips of 3 minutes), against ffmpeg cutting
//! the same spans with `-c copy` in the same run.
//!
//!     cargo bench --profile dev --bench report

use std::io::{BufRead, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::time::Instant;

const MESSAGES: u64 = 200_000;
const CLAIMS: u64 = 5_000;
const FEATURES: u64 = 40;
const SHOW_MS: u64 = 2 * 3600 * 1000;
const T0: u64 = 1_796_000_000_000;
/// The recordings cover the show's first this many seconds.
const RECORDED_S: u64 = 12 * 60;

/// A recording of `RECORDED_S` (H.264 every 2 s, AAC), made by gst-launch.
fn make_recording(path: &Path) {
    let aac = ["avenc_aac", "voaacenc", "fdkaacenc"]
        .into_iter()
        .find(|e| {
            std::process::Command::new("gst-inspect-1.0")
                .arg(e)
                .output()
                .is_ok_and(|o| o.status.success())
        })
        .expect("an AAC encoder (gstreamer1.0-libav)");
    let frames = RECORDED_S * 15;
    let blocks = RECORDED_S * 48_000 / 1024;
    let pipeline = format!(
        "videotestsrc num-buffers={frames} pattern=ball ! video/x-raw,width=320,height=180,framerate=15/1 ! \
         x264enc speed-preset=ultrafast key-int-max=30 ! h264parse ! matroskamux name=m ! filesink location={} \
         audiotestsrc num-buffers={blocks} samplesperbuffer=1024 ! audio/x-raw,rate=48000,channels=2 ! {aac} ! aacparse ! m.",
        path.display()
    );
    let ok = std::process::Command::new("gst-launch-1.0")
        .arg("-q")
        .args(pipeline.split_whitespace())
        .status()
        .is_ok_and(|s| s.success());
    assert!(ok, "gst-launch could not make {}", path.display());
}

fn write_logs(dir: &Path, recordings: &[(&str, PathBuf)]) -> (PathBuf, PathBuf) {
    let chat = dir.join("chat.jsonl");
    let events = dir.join("events.jsonl");
    let mut c = BufWriter::new(std::fs::File::create(&chat).unwrap());
    let mut e = BufWriter::new(std::fs::File::create(&events).unwrap());
    writeln!(
        e,
        r#"{{"t":0.0,"unix_ms":{T0},"event":"start","show":"Bench show","scene":"main"}}"#
    )
    .unwrap();
    for (canvas, path) in recordings {
        writeln!(
            e,
            r#"{{"t":0.0,"unix_ms":{T0},"event":"recording","canvas":"{canvas}","path":"{}","state":"recording"}}"#,
            path.display()
        )
        .unwrap();
    }
    for f in 0..FEATURES {
        let at = T0 + f * SHOW_MS / FEATURES;
        writeln!(
            e,
            r#"{{"t":0.0,"unix_ms":{at},"event":"feature","product":"P{}","title":"Product {}"}}"#,
            f % 20,
            f % 20
        )
        .unwrap();
    }
    let platforms = ["tiktok", "youtube", "instagram"];
    let mut claim = 0;
    for seq in 1..=MESSAGES {
        let at = T0 + seq * SHOW_MS / MESSAGES;
        let who = seq % 9_000;
        let platform = platforms[(seq % 3) as usize];
        let is_claim = seq % (MESSAGES / CLAIMS) == 0;
        let question = seq % 50 == 1;
        let text = if is_claim {
            format!("SOLD P{}", (at - T0) * FEATURES / SHOW_MS % 20)
        } else if question {
            "how much is shipping to Canada?".into()
        } else {
            format!("love this colour {seq}")
        };
        let flags = if question { 1 } else { 0 };
        writeln!(
            c,
            r#"{{"t":"message","seq":{seq},"msg":{{"platform":"{platform}","id":"m{seq}","author":{{"id":"u{who}","name":"@u{who}","avatar":null,"badges":[]}},"text":"{text}","at_ms":{at},"kind":"text"}},"flags":{flags}}}"#
        )
        .unwrap();
        if is_claim {
            claim += 1;
            let p = (at - T0) * FEATURES / SHOW_MS % 20;
            writeln!(
                c,
                r#"{{"t":"claim","id":{claim},"at_ms":{at},"platform":"{platform}","buyer_id":"u{who}","buyer":"@u{who}","message_id":"m{seq}","product_id":"p{p}","code":"P{p}","title":"Product {p}","variant":null,"sku":null,"quantity":1,"unit_price":"19.99","currency":"USD","status":"claimed"}}"#
            )
            .unwrap();
            if claim % 25 == 0 {
                writeln!(c, r#"{{"t":"claim_status","id":{claim},"status":"cancelled"}}"#).unwrap();
            }
        }
        if question && seq % 100 == 1 {
            writeln!(c, r#"{{"t":"answered","seq":{seq}}}"#).unwrap();
            writeln!(
                e,
                r#"{{"t":0.0,"unix_ms":{},"event":"moderation","action":"answered","seq":{seq}}}"#,
                at + 20_000
            )
            .unwrap();
        }
    }
    for (canvas, path) in recordings {
        writeln!(
            e,
            r#"{{"t":0.0,"unix_ms":{},"event":"recording","canvas":"{canvas}","path":"{}","state":"finished"}}"#,
            T0 + RECORDED_S * 1000,
            path.display()
        )
        .unwrap();
    }
    writeln!(e, r#"{{"t":0.0,"unix_ms":{},"event":"stop"}}"#, T0 + SHOW_MS).unwrap();
    (chat, events)
}

/// The high-water mark of this process's resident memory, in MB.
fn peak_mb() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map_or(0.0, |kb| kb / 1024.0)
}

fn reset_peak() {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

fn main() {
    let dir = std::env::temp_dir().join(format!("showroom-bench-report-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let t = Instant::now();
    let recordings: Vec<(&str, PathBuf)> = ["landscape", "portrait"]
        .into_iter()
        .map(|c| (c, dir.join(format!("rec-{c}.mkv"))))
        .collect();
    for (_, p) in &recordings {
        make_recording(p);
    }
    println!(
        "recordings: 2 × {} min made in {:.1} s ({:.1} MB each)",
        RECORDED_S / 60,
        t.elapsed().as_secs_f64(),
        std::fs::metadata(&recordings[0].1).unwrap().len() as f64 / 1e6
    );
    let (chat, events) = write_logs(&dir, &recordings);
    let size = |p: &Path| std::fs::metadata(p).unwrap().len() as f64 / 1e6;
    println!(
        "logs: chat {:.1} MB, events {:.1} MB ({MESSAGES} comments, {CLAIMS} claims, 2 h)",
        size(&chat),
        size(&events)
    );

    // The floor: every line parsed as JSON, nothing kept.
    reset_peak();
    let base = peak_mb();
    let t = Instant::now();
    let mut lines = 0u64;
    for p in [&chat, &events] {
        let f = std::io::BufReader::new(std::fs::File::open(p).unwrap());
        for l in f.lines() {
            let v: serde_json::Value = serde_json::from_str(&l.unwrap()).unwrap();
            lines += v.is_object() as u64;
        }
    }
    let floor_s = t.elapsed().as_secs_f64();
    let floor_mb = peak_mb() - base;

    reset_peak();
    let base = peak_mb();
    let t = Instant::now();
    let figures =
        showroom::report::build(&[chat.clone(), events.clone()], &dir.join("figures"), "en-US", false).unwrap();
    let ours_s = t.elapsed().as_secs_f64();
    let ours_mb = peak_mb() - base;
    assert!(figures.report.clips.is_empty());

    let t = Instant::now();
    let built = showroom::report::build(&[chat, events], &dir.join("out"), "en-US", true).unwrap();
    let with_clips_s = t.elapsed().as_secs_f64();
    let (r, files) = (&built.report, &built.files);
    assert!(built.clip_problems.is_empty(), "{:?}", built.clip_problems);
    assert_eq!(r.clips.len(), 8, "4 moments in each of 2 recordings");
    // The peer: ffmpeg cutting the same spans without re-encoding.
    let t = Instant::now();
    for (i, c) in r.clips.iter().enumerate() {
        let rec = dir.join(&c.recording);
        let ok = std::process::Command::new("ffmpeg")
            .args([
                "-v",
                "error",
                "-y",
                "-ss",
                &c.from_s.to_string(),
                "-to",
                &c.to_s.to_string(),
                "-i",
            ])
            .arg(&rec)
            .args(["-c", "copy"])
            .arg(dir.join(format!("ffmpeg-{i}.mp4")))
            .status()
            .is_ok_and(|s| s.success());
        assert!(ok, "ffmpeg could not cut {}", rec.display());
    }
    let ffmpeg_s = t.elapsed().as_secs_f64();
    println!(
        "clips: {} of {:.0} s each in {:.2} s (report with clips {:.2} s); ffmpeg -c copy of the same spans {ffmpeg_s:.2} s",
        r.clips.len(),
        r.clips[0].duration_s,
        with_clips_s - ours_s,
        with_clips_s
    );
    assert_eq!(r.comments, MESSAGES);
    println!(
        "report: {:.2} s, peak +{:.0} MB ({} files; {} claims standing, revenue {})",
        ours_s,
        ours_mb,
        files.len(),
        r.sales.claims,
        r.sales.revenue.first().map(|a| a.text.as_str()).unwrap_or("-")
    );
    println!("floor (JSON line reader, {lines} lines): {floor_s:.2} s, peak +{floor_mb:.0} MB");
    println!("ratio: {:.2}× the floor's time", ours_s / floor_s);
    let _ = std::fs::remove_dir_all(&dir);
}
