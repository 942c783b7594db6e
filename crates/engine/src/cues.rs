//! The show file's timed cues, run on the show clock by a small thread.

use crate::graphics::Overlays;
use crate::show::graphics::CueSpec;
use crate::shutdown::Shutdown;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Runs `cues` (sorted by time) until they are done or the show stops.
pub fn spawn(
    cues: Vec<CueSpec>,
    overlays: Arc<Mutex<Overlays>>,
    stop: Shutdown,
    t0: Instant,
) -> std::io::Result<Option<std::thread::JoinHandle<()>>> {
    if cues.is_empty() {
        return Ok(None);
    }
    let handle = std::thread::Builder::new().name("cues".into()).spawn(move || {
        for cue in cues {
            // Stopping the show wakes it at once.
            if stop.wait_until(t0 + Duration::from_millis(cue.at_ms)) {
                return;
            }
            let now_ns = t0.elapsed().as_nanos() as u64;
            let result = overlays
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .apply(&cue.command, now_ns);
            match result {
                Ok(()) => tracing::info!("cue at {:.1} s: {:?}", cue.at_ms as f64 / 1e3, cue.command),
                Err(e) => tracing::warn!("cue at {:.1} s: {e}", cue.at_ms as f64 / 1e3),
            }
        }
    })?;
    Ok(Some(handle))
}
