//! The report's files: `report.json` (the figures, schema in
//! docs/report.md), `report.html` (one self-contained page),
//! `products.csv`, `minutes.csv`, `leads.csv`, `health.csv` (each
//! destination's link over the show) and `chapters.txt` (for the video's
//! description). Each is
//! written to a temporary name and renamed, so a reader never sees half.

use crate::figures::Report;
use std::io::Write;
use std::path::{Path, PathBuf};

fn put(dir: &Path, name: &str, bytes: &[u8]) -> std::io::Result<PathBuf> {
    let path = dir.join(name);
    let tmp = dir.join(format!(".{name}.part"));
    let mut f = std::fs::File::create(&tmp)?;
    f.write_all(bytes)?;
    f.sync_all()?;
    std::fs::rename(&tmp, &path)?;
    Ok(path)
}

fn csv_of(rows: Vec<Vec<String>>) -> std::io::Result<Vec<u8>> {
    let mut w = csv::Writer::from_writer(Vec::new());
    for r in rows {
        w.write_record(&r)?;
    }
    w.into_inner().map_err(|e| std::io::Error::other(e.to_string()))
}

pub fn write(report: &Report, dir: &Path) -> std::io::Result<Vec<PathBuf>> {
    std::fs::create_dir_all(dir)?;
    let mut files = Vec::new();
    let mut json = serde_json::to_vec_pretty(report).map_err(std::io::Error::other)?;
    json.push(b'\n');
    files.push(put(dir, "report.json", &json)?);
    files.push(put(dir, "report.html", crate::html::page(report).as_bytes())?);

    let opt = |x: Option<f64>| x.map(|v| v.to_string()).unwrap_or_default();
    let mut rows = vec![
        [
            "code",
            "title",
            "times_featured",
            "on_screen_s",
            "claims",
            "units",
            "revenue",
            "currency",
            "waitlisted_units",
            "commenters_on_screen",
            "claimers_on_screen",
            "conversion",
            "questions_on_screen",
        ]
        .map(String::from)
        .to_vec(),
    ];
    for p in &report.products {
        rows.push(vec![
            p.code.clone(),
            p.title.clone(),
            p.times_featured.to_string(),
            p.on_screen_s.to_string(),
            p.claims.to_string(),
            p.units.to_string(),
            p.revenue.as_ref().map(|a| a.amount.clone()).unwrap_or_default(),
            p.revenue.as_ref().map(|a| a.currency.clone()).unwrap_or_default(),
            p.waitlisted_units.to_string(),
            p.commenters_on_screen.to_string(),
            p.claimers_on_screen.to_string(),
            opt(p.conversion),
            p.questions_on_screen.to_string(),
        ]);
    }
    files.push(put(dir, "products.csv", &csv_of(rows)?)?);

    let platforms: Vec<&str> = report.platforms.iter().map(|p| p.platform).collect();
    let mut head = vec!["minute".to_string(), "comments".to_string()];
    head.extend(platforms.iter().map(|p| format!("comments_{p}")));
    head.extend(["claims".to_string(), "units".to_string()]);
    let watched: Vec<&str> = report
        .platforms
        .iter()
        .filter(|p| p.peak_viewers.is_some())
        .map(|p| p.platform)
        .collect();
    head.extend(watched.iter().map(|p| format!("viewers_{p}")));
    let mut rows = vec![head];
    for m in &report.minutes {
        let mut r = vec![m.minute.to_string(), m.comments.values().sum::<u64>().to_string()];
        r.extend(
            platforms
                .iter()
                .map(|p| m.comments.get(p).copied().unwrap_or(0).to_string()),
        );
        r.extend([m.claims.to_string(), m.units.to_string()]);
        r.extend(
            watched
                .iter()
                .map(|p| m.viewers.get(p).map(u64::to_string).unwrap_or_default()),
        );
        rows.push(r);
    }
    files.push(put(dir, "minutes.csv", &csv_of(rows)?)?);

    let mut rows = vec![
        ["platform", "handle", "user_id", "why", "what", "at"]
            .map(String::from)
            .to_vec(),
    ];
    for l in &report.leads {
        rows.push(vec![
            l.platform.to_string(),
            l.handle.clone(),
            l.user_id.clone(),
            l.why.to_string(),
            l.what.clone(),
            l.at.clone(),
        ]);
    }
    files.push(put(dir, "leads.csv", &csv_of(rows)?)?);

    let mut rows = vec![
        [
            "t_s",
            "destination",
            "platform",
            "canvas",
            "state",
            "bitrate_kbps",
            "connects",
            "dropped_frames",
        ]
        .map(String::from)
        .to_vec(),
    ];
    for d in &report.health {
        for s in &d.samples {
            rows.push(vec![
                s.t_s.to_string(),
                d.id.clone(),
                d.platform.clone(),
                d.canvas.clone(),
                s.state.clone(),
                s.bitrate_kbps.to_string(),
                s.connects.to_string(),
                s.dropped_frames.to_string(),
            ]);
        }
    }
    files.push(put(dir, "health.csv", &csv_of(rows)?)?);
    let chapters: String = report.chapters.iter().map(|c| c.line.clone() + "\n").collect();
    files.push(put(dir, "chapters.txt", chapters.as_bytes())?);
    Ok(files)
}
