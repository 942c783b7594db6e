//! Which show `showroom` (no arguments) opens: the last one the studio
//! opened, remembered in the state folder, else the bundled demo.

use std::path::{Path, PathBuf};

fn record() -> PathBuf {
    crate::session::state_dir().join("last-show")
}

/// Remembers `show` (as an absolute path) for the next start.
pub fn remember(show: &Path) {
    let Ok(abs) = std::fs::canonicalize(show) else { return };
    let _ = std::fs::create_dir_all(crate::session::state_dir());
    if let Err(e) = crate::session::write_atomic(&record(), abs.to_string_lossy().as_bytes()) {
        tracing::debug!("cannot remember the last show: {e}");
    }
}

/// The last show opened, if it still exists.
pub fn recall() -> Option<PathBuf> {
    let text = std::fs::read_to_string(record()).ok()?;
    let path = PathBuf::from(text.trim());
    path.is_file().then_some(path)
}

/// The demo show shipped with Showroom: next to the working folder (a
/// clone), or relative to the program (target/release, or an install's
/// share/showroom).
pub fn bundled_demo() -> Option<PathBuf> {
    let mut candidates = vec![PathBuf::from("assets/demo/show.toml")];
    if let Some(dir) = std::env::current_exe()
        .ok()
        .and_then(|e| e.parent().map(Path::to_path_buf))
    {
        candidates.push(dir.join("../../assets/demo/show.toml"));
        candidates.push(dir.join("../share/showroom/demo/show.toml"));
    }
    candidates.into_iter().find(|p| p.is_file())
}
