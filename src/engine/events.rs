//! The show's event log: every change on air (graphics, scenes, going live)
//! as one JSON line with its show-clock time and wall-clock time, written
//! as it happens. The post-show report reads it.

use serde_json::{Value, json};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

pub struct EventLog {
    file: Mutex<Option<std::fs::File>>,
    path: Option<PathBuf>,
}

impl EventLog {
    /// A log that keeps nothing (library use without a path).
    pub fn disabled() -> EventLog {
        EventLog {
            file: Mutex::new(None),
            path: None,
        }
    }

    /// Appends to `path`, making its folder.
    pub fn open(path: &Path) -> std::io::Result<EventLog> {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        let file = std::fs::OpenOptions::new().create(true).append(true).open(path)?;
        Ok(EventLog {
            file: Mutex::new(Some(file)),
            path: Some(path.to_path_buf()),
        })
    }

    pub fn path(&self) -> Option<&Path> {
        self.path.as_deref()
    }

    /// One event at show-clock time `t_ns`; `fields` (an object) are added.
    pub fn write(&self, t_ns: u64, event: &str, fields: Value) {
        let mut guard = self.file.lock().unwrap_or_else(|e| e.into_inner());
        let Some(file) = guard.as_mut() else { return };
        let unix_ms = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_millis() as u64)
            .unwrap_or(0);
        let mut line = json!({"t": t_ns as f64 / 1e9, "unix_ms": unix_ms, "event": event});
        if let (Some(obj), Value::Object(extra)) = (line.as_object_mut(), fields) {
            obj.extend(extra);
        }
        // One write per line so a crash never leaves half a line behind
        // another; a failing disk is reported once per event, not fatal.
        if let Err(e) = file.write_all(format!("{line}\n").as_bytes()) {
            tracing::warn!("event log: cannot write: {e}");
        }
    }
}
