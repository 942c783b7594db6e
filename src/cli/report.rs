//! `showroom report LOG...`: the post-show report, rebuilt from a show's
//! chat log and event log alone (docs/report.md).

use std::path::PathBuf;
use std::process::ExitCode;

pub fn report(logs: Vec<PathBuf>, out: Option<PathBuf>, locale: String, clips: bool) -> ExitCode {
    let out = out.unwrap_or_else(|| match logs[0].parent() {
        Some(dir) => dir.join("report"),
        None => PathBuf::from("report"),
    });
    match crate::report::build(&logs, &out, &locale, clips) {
        Ok(built) => {
            tell(&built);
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(1)
        }
    }
}

/// What a report found and where it is, on stderr as every status line.
pub fn tell(built: &crate::report::Built) {
    let (r, files) = (&built.report, &built.files);
    for s in &r.skipped {
        eprintln!("skipped {}:{}: {}", s.file, s.line, s.why);
    }
    if r.events_missed > 0 {
        eprintln!(
            "warning: the event log's writer fell behind and lost {} events: what was on screen may be short",
            r.events_missed
        );
    }
    if !r.sources.iter().any(|s| s.kind == "event log") {
        eprintln!(
            "note: no event log given: time on screen, conversion per product and answer times need the show's --events file"
        );
    }
    if !r.sources.iter().any(|s| s.kind == "chat log") {
        eprintln!("note: no chat log given: comments, claims and leads need the show's [chat] log");
    }
    let revenue: Vec<&str> = r.sales.revenue.iter().map(|a| a.text.as_str()).collect();
    eprintln!(
        "report: {} comments from {} people, {} claims, {} units, {}",
        r.comments,
        r.commenters,
        r.sales.claims,
        r.sales.units,
        if revenue.is_empty() {
            "no revenue".to_string()
        } else {
            revenue.join(" + ")
        }
    );
    for p in &built.clip_problems {
        eprintln!("warning: {p}");
    }
    if !r.clips.is_empty() {
        eprintln!("clips: {} product moments cut from the recordings", r.clips.len());
    }
    for f in files {
        eprintln!("  {}", f.display());
    }
}
