//! The post-show report (docs/report.md): what a show sold and to whom,
//! rebuilt from its logs alone — the chat log (every comment, claim and
//! answer) and the event log (what was on screen when). `report.json`,
//! `report.html`, the CSVs per product and per minute, and `leads.csv` for
//! the follow-up.
//!
//! Reads files and writes files; above the chat and products crates, below
//! the command line (docs/ARCHITECTURE.md).

pub mod clips;
pub mod figures;
pub mod html;
pub mod read;
pub mod write;

pub use figures::{Report, figures};

use std::path::{Path, PathBuf};

#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    #[error(transparent)]
    Read(#[from] read::ReadError),
    #[error("writing the report into {}: {err}", dir.display())]
    Write { dir: PathBuf, err: std::io::Error },
}

/// What `build` made.
#[derive(Debug)]
pub struct Built {
    pub report: Report,
    /// The files written, in order (clips last).
    pub files: Vec<PathBuf>,
    /// Clips that could not be cut, and why.
    pub clip_problems: Vec<String>,
}

/// Reads `logs`, computes the figures, cuts a clip per product moment from
/// the recordings the event log names (when `clips`), and writes the
/// report's files into `out` (made if missing).
pub fn build(logs: &[PathBuf], out: &Path, locale: &str, clips: bool) -> Result<Built, ReportError> {
    let read = read::read(logs)?;
    let mut report = figures(&read, locale);
    let mut clip_problems = Vec::new();
    if clips {
        let plans = clips::plan(&read, &report);
        let (done, failed) = clips::cut(&plans, out, logs);
        report.clips = done;
        clip_problems = failed;
    }
    let mut files = write::write(&report, out).map_err(|err| ReportError::Write {
        dir: out.to_path_buf(),
        err,
    })?;
    files.extend(report.clips.iter().map(|c| out.join(&c.file)));
    Ok(Built {
        report,
        files,
        clip_problems,
    })
}
