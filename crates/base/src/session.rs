//! Crash safety around a running show: files written atomically, and a
//! marker of the running show so that the next start can offer to resume a
//! show that did not end cleanly (power loss, kill -9, a crash).

use serde::{Deserialize, Serialize};
use std::io::Write;
use std::path::{Path, PathBuf};

/// Writes a file so that readers see the old or the new content, never a
/// half-written one: temporary file in the same folder, fsync, rename, fsync
/// of the folder.
pub fn write_atomic(path: &Path, content: &[u8]) -> std::io::Result<()> {
    write_atomic_mode(path, content, None)
}

/// `write_atomic` with the file's Unix permissions (0o600: only its owner
/// reads it); the mode is set when the file is made, never widened after.
pub fn write_atomic_mode(path: &Path, content: &[u8], mode: Option<u32>) -> std::io::Result<()> {
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("file");
    let tmp = dir.join(format!(".{name}.tmp-{}", std::process::id()));
    let result = (|| {
        let mut open = std::fs::OpenOptions::new();
        open.write(true).create(true).truncate(true);
        #[cfg(unix)]
        if let Some(m) = mode {
            std::os::unix::fs::OpenOptionsExt::mode(&mut open, m);
        }
        #[cfg(not(unix))]
        let _ = mode;
        let mut f = open.open(&tmp)?;
        f.write_all(content)?;
        f.sync_all()?;
        std::fs::rename(&tmp, path)?;
        if let Ok(d) = std::fs::File::open(dir) {
            let _ = d.sync_all();
        }
        Ok(())
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

/// What `showroom resume` needs to start the last show again. Stream keys
/// given with `--to` are never written here.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Marker {
    pub show: PathBuf,
    pub record: Option<PathBuf>,
    pub stats_json: Option<PathBuf>,
    /// How many `--to` destinations were given (they must be given again).
    pub quick_destinations: usize,
    /// A rehearsal resumes as a rehearsal.
    #[serde(default)]
    pub rehearsal: bool,
    /// A show sent through a relay (`run --via`) resumes through it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub via: Option<String>,
    pub pid: u32,
    /// Seconds since the Unix epoch.
    pub started: u64,
}

fn project() -> Option<directories::ProjectDirs> {
    directories::ProjectDirs::from("", "", "showroom")
}

/// Where Showroom keeps its state (event logs, tokens, the picture cache,
/// the running-show marker), as the platform has it: `$XDG_STATE_HOME/showroom`
/// (default ~/.local/state/showroom) on Linux, the local data folder elsewhere.
pub fn state_dir() -> PathBuf {
    project()
        .map(|p| p.state_dir().unwrap_or(p.data_local_dir()).to_path_buf())
        .unwrap_or_else(|| std::env::temp_dir().join("showroom"))
}

/// Where the user's settings live: `$XDG_CONFIG_HOME/showroom` (default
/// ~/.config/showroom) on Linux, the platform's config folder elsewhere.
pub fn config_dir() -> PathBuf {
    project()
        .map(|p| p.config_dir().to_path_buf())
        .unwrap_or_else(|| std::env::temp_dir().join("showroom"))
}

/// A new event-log file for a show starting now:
/// `$XDG_STATE_HOME/showroom/events/SHOW-UNIXTIME.jsonl`.
pub fn event_log_path(show_name: &str) -> PathBuf {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    state_dir()
        .join("events")
        .join(format!("{}-{now}.jsonl", slug(show_name)))
}

/// A file-name-safe form of a show name ("Spring Drop!" → "spring-drop").
/// The longest slug, in bytes.
pub const SLUG_MAX: usize = 64;

pub fn slug(name: &str) -> String {
    let s: String = name
        .chars()
        .map(|c| {
            if c.is_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect();
    let mut s = s.split('-').filter(|p| !p.is_empty()).collect::<Vec<_>>().join("-");
    // File names are built from it (SHOW-chat.jsonl, SHOW-UNIXTIME.jsonl):
    // 64 bytes leave room under every file system's 255.
    if s.len() > SLUG_MAX {
        let mut at = SLUG_MAX;
        while !s.is_char_boundary(at) {
            at -= 1;
        }
        s.truncate(at);
        s = s.trim_end_matches('-').to_string();
    }
    if s.is_empty() { "show".into() } else { s }
}

/// `$XDG_STATE_HOME/showroom/running.json` (default ~/.local/state/...).
pub fn marker_path() -> PathBuf {
    state_dir().join("running.json")
}

pub fn write_marker(m: &Marker) -> std::io::Result<()> {
    let path = marker_path();
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    write_atomic(
        &path,
        serde_json::to_string_pretty(m).expect("marker serialises").as_bytes(),
    )
}

pub fn clear_marker() {
    let _ = std::fs::remove_file(marker_path());
}

/// The marker of a show that did not end cleanly: its process is gone.
pub fn unclean_last_show() -> Option<Marker> {
    let text = std::fs::read_to_string(marker_path()).ok()?;
    let m: Marker = serde_json::from_str(&text).ok()?;
    let alive = Path::new(&format!("/proc/{}", m.pid)).exists() && m.pid != std::process::id();
    (!alive).then_some(m)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn atomic_write_replaces_whole_files_and_leaves_no_temporaries() {
        let dir = std::env::temp_dir().join(format!("showroom-atomic-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let p = dir.join("show.toml");
        write_atomic(&p, b"first").unwrap();
        write_atomic(&p, b"second version").unwrap();
        assert_eq!(std::fs::read_to_string(&p).unwrap(), "second version");
        let names: Vec<_> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names.len(), 1, "{names:?}");
        assert!(write_atomic(&dir.join("missing/dir/x"), b"x").is_err());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
