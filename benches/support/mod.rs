//! Shared by the benches: timing a GStreamer pipeline run as a peer.

use std::process::Command;
use std::time::Instant;

/// Runs `gst-launch-1.0 DESC` to its end; milliseconds per frame over
/// `frames`, or None when the pipeline could not run.
pub fn gst_launch_ms(desc: &str, frames: u32) -> Option<f64> {
    let start = Instant::now();
    let ok = Command::new("gst-launch-1.0")
        .arg("-q")
        .args(desc.split_whitespace())
        .status()
        .ok()?
        .success();
    ok.then(|| start.elapsed().as_secs_f64() * 1000.0 / frames as f64)
}
