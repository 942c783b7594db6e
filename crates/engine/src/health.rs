//! Health warnings: when rendering, encoding or a destination's network
//! cannot keep up, frames are dropped on purpose (latency never grows) and
//! the host is told what to change.

use super::stats::Snapshot;
use std::collections::VecDeque;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Drops within this window raise a warning.
const WINDOW: Duration = Duration::from_secs(10);

#[derive(Clone)]
struct Sample {
    at: Instant,
    late: Vec<u64>,
    encoder: Vec<u64>,
    destinations: Vec<u64>,
}

#[derive(Default)]
pub struct Health {
    history: Mutex<VecDeque<Sample>>,
}

impl Health {
    /// Warnings for what dropped frames within the last few seconds.
    pub fn warnings(&self, snap: &Snapshot) -> Vec<String> {
        let now = Sample {
            at: Instant::now(),
            late: snap.canvases.iter().map(|c| c.late_ticks).collect(),
            encoder: snap.canvases.iter().map(|c| c.encoder_dropped).collect(),
            destinations: snap.destinations.iter().map(|d| d.dropped_frames).collect(),
        };
        let mut h = self.history.lock().unwrap_or_else(|e| e.into_inner());
        while h.front().is_some_and(|s| now.at.duration_since(s.at) > WINDOW) {
            h.pop_front();
        }
        let base = h.front().cloned().unwrap_or(Sample {
            at: now.at,
            late: vec![0; now.late.len()],
            encoder: vec![0; now.encoder.len()],
            destinations: vec![0; now.destinations.len()],
        });
        h.push_back(now.clone());
        let mut out = Vec::new();
        for (i, c) in snap.canvases.iter().enumerate() {
            let late = now.late[i].saturating_sub(base.late[i]);
            if late > 0 {
                out.push(format!(
                    "canvas {} cannot keep up: {late} ticks not rendered in the last {} s (sent as repeats) — lower its size or fps",
                    c.id,
                    WINDOW.as_secs()
                ));
            }
            let enc = now.encoder[i].saturating_sub(base.encoder[i]);
            if enc > 0 {
                out.push(format!(
                    "the {} encoder for canvas {} cannot keep up: {enc} frames dropped — lower the canvas size, fps or bitrate",
                    c.encoder, c.id
                ));
            }
        }
        for (i, d) in snap.destinations.iter().enumerate() {
            let n = now.destinations[i].saturating_sub(*base.destinations.get(i).unwrap_or(&0));
            if n > 0 {
                out.push(format!(
                    "destination {} cannot send fast enough: {n} frames dropped — lower the bitrate of canvas {} or check the upload speed",
                    d.id, d.canvas
                ));
            }
        }
        out
    }
}
