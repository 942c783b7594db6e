//! One MP4 per product moment: each time a product's card was on air, cut
//! from every recording that ran meanwhile (on keyframes, no re-encode:
//! `media::clip`), named by product code — `clips/A1-1-landscape.mp4` is
//! the first time A1 was featured, from the landscape canvas's recording.
//! The event log says what was on air when and which recordings ran; a
//! recording that is not where the log says (moved, deleted) gives no
//! clip, and says so.

use crate::figures::Report;
use crate::read::Logs;
use serde::Serialize;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Moments shorter than this give no clip.
pub const MIN_CLIP_S: f64 = 1.0;

/// A clip cut, as report.json lists it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Clip {
    pub code: String,
    pub title: String,
    /// Which time the product was featured (from 1).
    pub moment: u64,
    pub canvas: String,
    /// Where it is, from the report's folder.
    pub file: String,
    /// The recording it was cut from (its file name).
    pub recording: String,
    /// The product's time on air, in seconds from the show's start.
    pub from_s: f64,
    pub to_s: f64,
    /// The clip's length (it starts at the keyframe at or before `from_s`).
    pub duration_s: f64,
}

/// A clip to cut: the product's moment, and where it is in a recording.
#[derive(Debug, Clone, PartialEq)]
pub struct Plan {
    pub code: String,
    pub title: String,
    pub moment: u64,
    pub canvas: String,
    pub recording: PathBuf,
    pub from_s: f64,
    pub to_s: f64,
    /// Where the moment is in the recording.
    pub in_recording: (Duration, Duration),
}

/// A recording as the event log tells it: from when to when (unix ms).
struct Ran {
    canvas: String,
    path: String,
    from: u64,
    to: Option<u64>,
}

fn recordings(logs: &Logs) -> Vec<Ran> {
    let mut out: Vec<Ran> = Vec::new();
    for e in logs.events.iter().filter(|e| e.event == "recording") {
        let path = e.body["path"].as_str().unwrap_or_default().to_string();
        match e.body["state"].as_str().unwrap_or_default() {
            "recording" => out.push(Ran {
                canvas: e.body["canvas"].as_str().unwrap_or_default().to_string(),
                path,
                from: e.unix_ms,
                to: None,
            }),
            _ => {
                if let Some(r) = out.iter_mut().rev().find(|r| r.path == path && r.to.is_none()) {
                    r.to = Some(e.unix_ms);
                }
            }
        }
    }
    out
}

fn safe(code: &str) -> String {
    code.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

/// Every clip the logs call for: a product's time on air (the report's
/// `on_screen`) overlapping a recording the event log says ran.
pub fn plan(logs: &Logs, report: &Report) -> Vec<Plan> {
    let ran = recordings(logs);
    let start_ms = report.started_unix_ms.unwrap_or(0);
    let end_ms = report.ended_unix_ms.unwrap_or(0);
    let mut moments: std::collections::HashMap<&str, u64> = Default::default();
    let mut out = Vec::new();
    for s in &report.on_screen {
        let (code, from, to) = (
            &s.code,
            start_ms + (s.from_s * 1000.0) as u64,
            start_ms + (s.to_s * 1000.0) as u64,
        );
        let title = report
            .products
            .iter()
            .find(|p| &p.code == code)
            .map_or_else(|| code.clone(), |p| p.title.clone());
        let n = moments.entry(code.as_str()).or_default();
        *n += 1;
        for r in &ran {
            let (a, b) = (from.max(r.from), to.min(r.to.unwrap_or(end_ms)));
            if b <= a || ((b - a) as f64) / 1000.0 < MIN_CLIP_S {
                continue;
            }
            out.push(Plan {
                code: code.clone(),
                title: title.clone(),
                moment: *n,
                canvas: r.canvas.clone(),
                recording: PathBuf::from(&r.path),
                from_s: crate::figures::round(a.saturating_sub(start_ms) as f64 / 1000.0, 1),
                to_s: crate::figures::round(b.saturating_sub(start_ms) as f64 / 1000.0, 1),
                in_recording: (Duration::from_millis(a - r.from), Duration::from_millis(b - r.from)),
            });
        }
    }
    out
}

/// Where a recording named in the log is: as written if absolute, else
/// beside one of the logs, else from the working folder.
fn find(path: &Path, beside: &[PathBuf]) -> Option<PathBuf> {
    if path.is_absolute() {
        return path.exists().then(|| path.to_path_buf());
    }
    beside
        .iter()
        .filter_map(|log| log.parent().map(|d| d.join(path)))
        .chain(std::iter::once(path.to_path_buf()))
        .find(|p| p.exists())
}

/// Cuts every planned clip into `out/clips/`. The clips cut, and why each
/// other one was not.
pub fn cut(plans: &[Plan], out: &Path, logs: &[PathBuf]) -> (Vec<Clip>, Vec<String>) {
    let (mut done, mut failed) = (Vec::new(), Vec::new());
    if plans.is_empty() {
        return (done, failed);
    }
    let dir = out.join("clips");
    if let Err(e) = std::fs::create_dir_all(&dir) {
        failed.push(format!("clips: cannot make {}: {e}", dir.display()));
        return (done, failed);
    }
    for (i, p) in plans.iter().enumerate() {
        let name = format!("{}-{}-{}.mp4", safe(&p.code), p.moment, safe(&p.canvas));
        let Some(recording) = find(&p.recording, logs) else {
            failed.push(format!(
                "clip {name}: the recording {} is not there (moved or deleted?)",
                p.recording.display()
            ));
            continue;
        };
        tracing::info!("clip {}/{}: {name}", i + 1, plans.len());
        match showroom_media::clip::cut(&recording, p.in_recording.0, p.in_recording.1, &dir.join(&name)) {
            Ok(c) => done.push(Clip {
                code: p.code.clone(),
                title: p.title.clone(),
                moment: p.moment,
                canvas: p.canvas.clone(),
                file: format!("clips/{name}"),
                recording: recording
                    .file_name()
                    .map_or_else(String::new, |n| n.to_string_lossy().into_owned()),
                from_s: p.from_s,
                to_s: p.to_s,
                duration_s: crate::figures::round(c.duration.as_secs_f64(), 2),
            }),
            Err(e) => failed.push(format!("clip {name}: {e}")),
        }
    }
    (done, failed)
}
