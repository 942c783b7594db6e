//! What the director chose to see, kept per user between shows
//! (`$XDG_CONFIG_HOME/showroom/views.toml`): the multiview's grid, the
//! safe-area overlay, and the monitor projectors open on. A file that
//! cannot be read is reported once and the defaults are used; it is only
//! rewritten when the director changes something.

use serde::{Deserialize, Serialize};
use std::path::PathBuf;

/// The multiview grid.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct MultiviewLayout {
    /// Shown in the centre of the studio window instead of the panes.
    pub open: bool,
    /// Tiles per row below preview and program (2–8).
    pub columns: u32,
    /// A tile for every source's own picture.
    pub sources: bool,
    /// A tile for every scene.
    pub scenes: bool,
}

impl Default for MultiviewLayout {
    fn default() -> Self {
        MultiviewLayout {
            open: false,
            columns: 4,
            sources: true,
            scenes: true,
        }
    }
}

/// The smallest studio window (the panels need it).
pub const MIN_WINDOW: [f32; 2] = [1024.0, 600.0];
pub const MIN_COLUMNS: u32 = 2;
pub const MAX_COLUMNS: u32 = 8;

/// Where a projector opens.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase", tag = "on", content = "monitor")]
pub enum Placement {
    /// A window of its own.
    #[default]
    Window,
    /// Full screen on monitor N (1 = the first the system lists).
    Monitor(u32),
}

impl Placement {
    pub fn words(self) -> String {
        match self {
            Placement::Window => "a window".into(),
            Placement::Monitor(n) => format!("monitor {n}, full screen"),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(default, deny_unknown_fields)]
pub struct Views {
    pub multiview: MultiviewLayout,
    /// The safe-area and centre-cross overlay on preview and program.
    pub safe_area: bool,
    /// Where the last projector was opened.
    pub projector: Placement,
    /// The studio window's size when it was last closed (logical points).
    pub window: Option<[f32; 2]>,
}

pub fn path() -> PathBuf {
    crate::session::config_dir().join("views.toml")
}

impl Views {
    /// The saved views, or the defaults with what is wrong with the file.
    pub fn load() -> (Views, Option<String>) {
        let path = path();
        let text = match std::fs::read_to_string(&path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return (Views::default(), None),
            Err(e) => return (Views::default(), Some(format!("{}: {e}", path.display()))),
        };
        match Views::parse(&text) {
            Ok(v) => (v, None),
            Err(e) => (
                Views::default(),
                Some(format!(
                    "{}: {e} — using the default views (the file is rewritten when you change one)",
                    path.display()
                )),
            ),
        }
    }

    pub fn parse(text: &str) -> Result<Views, String> {
        let mut v: Views = toml::from_str(text).map_err(|e| e.to_string().trim().to_string())?;
        if !(MIN_COLUMNS..=MAX_COLUMNS).contains(&v.multiview.columns) {
            return Err(format!(
                "multiview.columns = {} must be {MIN_COLUMNS}–{MAX_COLUMNS}",
                v.multiview.columns
            ));
        }
        if let Some([w, h]) = v.window
            && !(MIN_WINDOW[0]..=16384.0).contains(&w) | !(MIN_WINDOW[1]..=16384.0).contains(&h)
        {
            return Err(format!(
                "window = [{w}, {h}] must be at least {} × {} and at most 16384 × 16384",
                MIN_WINDOW[0], MIN_WINDOW[1]
            ));
        }
        if v.projector == Placement::Monitor(0) {
            v.projector = Placement::Monitor(1);
        }
        Ok(v)
    }

    /// Writes the file (atomically: a crash never leaves half of it).
    pub fn save(&self) -> Result<(), String> {
        let path = path();
        let text = toml::to_string(self).map_err(|e| e.to_string())?;
        let dir = path.parent().expect("a file in a folder");
        std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        let tmp = path.with_extension("toml.tmp");
        std::fs::write(&tmp, text)
            .and_then(|_| std::fs::rename(&tmp, &path))
            .map_err(|e| format!("{}: {e}", path.display()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_refuses_what_it_cannot_use() {
        let v = Views {
            multiview: MultiviewLayout {
                open: true,
                columns: 3,
                sources: false,
                scenes: true,
            },
            safe_area: true,
            projector: Placement::Monitor(2),
            window: Some([1920.0, 1080.0]),
        };
        let text = toml::to_string(&v).unwrap();
        assert_eq!(Views::parse(&text).unwrap(), v);
        assert_eq!(Views::parse("").unwrap(), Views::default());
        let e = Views::parse("[multiview]\ncolumns = 40\n").unwrap_err();
        assert!(e.contains("multiview.columns = 40 must be 2–8"), "{e}");
        let e = Views::parse("[multiview]\ncolums = 4\n").unwrap_err();
        assert!(e.contains("colums"), "{e}");
        let e = Views::parse("window = [10.0, 10.0]\n").unwrap_err();
        assert!(e.contains("at least 1024 × 600"), "{e}");
    }
}
