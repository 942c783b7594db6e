//! The post-show report (docs/report.md): what a show sold and to whom,
//! rebuilt from its logs alone — the chat log (every comment, claim and
//! answer) and the event log (what was on screen when). `report.json`,
//! `report.html`, the CSVs per product and per minute, and `leads.csv` for
//! the follow-up.
//!
//! Reads files and writes files; above the chat and products crates, below
//! the command line (docs/ARCHITECTURE.md).

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

/// Reads `logs`, computes the figures and writes the report's files into
/// `out` (made if missing). The files written, in order.
pub fn build(logs: &[PathBuf], out: &Path, locale: &str) -> Result<(Report, Vec<PathBuf>), ReportError> {
    let read = read::read(logs)?;
    let report = figures(&read, locale);
    let files = write::write(&report, out).map_err(|err| ReportError::Write {
        dir: out.to_path_buf(),
        err,
    })?;
    Ok((report, files))
}
