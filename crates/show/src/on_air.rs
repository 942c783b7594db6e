//! What `check` verifies on this machine beyond the file itself, so that a
//! show it accepts does not fail on air for these reasons: every key
//! reference resolves (the keyring entry exists, the variable is set, the
//! file exists and only its owner can read it) and every recording can be
//! written (its folder exists or can be made, is a folder, is writable,
//! and its file name fits the file system).
//!
//! Opening a show (the studio, `showroom run`) does not stop on these: the
//! studio can set a missing key, and `run` goes live with the destinations
//! that work. `check` lists them with the line and column of the show file.

use super::diagnostics::Problem;
use crate::secrets::KeyRef;
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, PartialEq)]
pub enum Check {
    /// A key reference: `what` names its owner ("destination `shop`").
    Key { what: String, key: KeyRef },
    /// A recording's path (`{canvas}` not yet filled in).
    Recording(PathBuf),
}

/// A check with where it comes from in the show file.
#[derive(Debug, Clone, PartialEq)]
pub struct Deferred {
    pub line: usize,
    pub col: usize,
    pub check: Check,
}

/// Runs every check; each failure is a located problem.
pub fn problems(checks: &[Deferred]) -> Vec<Problem> {
    checks
        .iter()
        .filter_map(|d| {
            let (message, hint) = match &d.check {
                Check::Key { what, key } => key_problem(what, key)?,
                Check::Recording(path) => (recording_problem(path)?, String::new()),
            };
            Some(Problem {
                line: d.line,
                col: d.col,
                message,
                hint,
            })
        })
        .collect()
}

fn key_problem(what: &str, key: &KeyRef) -> Option<(String, String)> {
    match key {
        // Made on first use, or given on the command line.
        KeyRef::None | KeyRef::Own(_) | KeyRef::Inline(_) => None,
        k => k.read().err().map(|e| (format!("{what}: {e}"), String::new())),
    }
}

/// The longest file name (bytes) most file systems take (ext4, XFS, APFS,
/// NTFS count 255), less room for the `-2` … `-999` that `unused_path` adds.
const NAME_MAX: usize = 255 - 4;

/// Why a recording at `path` could not be written, if it could not.
pub fn recording_problem(path: &Path) -> Option<String> {
    for part in path.components() {
        let len = part.as_os_str().len();
        if len > NAME_MAX {
            return Some(format!(
                "recording: the name `{}…` is {len} bytes, longer than file systems allow ({NAME_MAX}) — shorten it",
                part.as_os_str().to_string_lossy().chars().take(24).collect::<String>()
            ));
        }
    }
    // The nearest folder that exists: it must be a folder we can write in
    // (the recording creates the ones below it).
    let mut dir = path.parent();
    while let Some(d) = dir {
        let d = if d.as_os_str().is_empty() { Path::new(".") } else { d };
        match std::fs::metadata(d) {
            Ok(m) if !m.is_dir() => {
                return Some(format!(
                    "recording: {} is not a folder, so {} cannot be written — choose a path in a folder",
                    d.display(),
                    path.display()
                ));
            }
            Ok(_) => {
                return (!writable(d)).then(|| {
                    format!(
                        "recording: cannot write in {} (permission denied) — choose a folder you can write in",
                        d.display()
                    )
                });
            }
            Err(_) => dir = d.parent(),
        }
    }
    None
}

#[cfg(unix)]
fn writable(dir: &Path) -> bool {
    use std::os::unix::ffi::OsStrExt;
    let Ok(c) = std::ffi::CString::new(dir.as_os_str().as_bytes()) else {
        return false;
    };
    // SAFETY: a valid NUL-terminated path; access only reads it.
    unsafe { libc::access(c.as_ptr(), libc::W_OK | libc::X_OK) == 0 }
}

#[cfg(not(unix))]
fn writable(dir: &Path) -> bool {
    !std::fs::metadata(dir)
        .map(|m| m.permissions().readonly())
        .unwrap_or(true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recordings_that_cannot_be_written_are_named() {
        assert!(
            recording_problem(Path::new("/dev/null/show.mkv"))
                .unwrap()
                .contains("/dev/null is not a folder")
        );
        let long = format!("/tmp/{}.mkv", "録".repeat(90));
        assert!(
            recording_problem(Path::new(&long))
                .unwrap()
                .contains("longer than file systems allow")
        );
        // A folder that does not exist yet is made by the recording.
        assert_eq!(recording_problem(Path::new("/tmp/showroom-not-yet/a/b.mkv")), None);
        assert_eq!(recording_problem(Path::new("show.mkv")), None);
    }
}
