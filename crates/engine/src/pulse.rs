//! The show's pulse: every `PERIOD` while it runs, one `health` event
//! (each destination's state, bitrate, connections and dropped frames, each
//! canvas's dropped frames, the mix's loudness) and, when the chat's
//! figures changed, one `metrics` event. The event log keeps them, so the
//! post-show report draws its health and loudness timelines from the log
//! alone (docs/report.md).

use super::outputs::Outputs;
use super::stats::CanvasCounters;
use crate::chat::state::ChatState;
use crate::events::{CanvasHealth, DestinationHealth, Event, Events, Health, LiveMetrics, Loudness};
use crate::media::encoder::CanvasEncoder;
use crate::shutdown::Shutdown;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// How often the pulse beats: a 2-hour show adds 3,600 health lines
/// (about 1.5 MB with four destinations) to its event log.
pub const PERIOD: Duration = Duration::from_secs(2);

pub struct Pulse {
    pub outputs: Arc<Outputs>,
    pub canvases: Vec<(String, Arc<CanvasCounters>, Arc<CanvasEncoder>)>,
    pub mixer: Arc<Mutex<crate::audio::Mixer>>,
    pub chat: Option<Arc<Mutex<ChatState>>>,
    pub events: Arc<Events>,
    pub stop: Shutdown,
    pub t0: Instant,
    pub period: Duration,
}

impl Pulse {
    pub fn run(self) {
        let mut last: Option<LiveMetrics> = None;
        let mut next = self.t0 + self.period;
        while !self.stop.wait_until(next) {
            next = (next + self.period).max(Instant::now());
            let now_ns = self.t0.elapsed().as_nanos() as u64;
            self.events.emit(now_ns, Event::Health(self.health()));
            if let Some(chat) = &self.chat {
                let m = {
                    let s = chat.lock().unwrap_or_else(|e| e.into_inner());
                    super::stats::live_metrics(&s, crate::chat::log::now_ms())
                };
                if last.as_ref() != Some(&m) {
                    self.events.emit(now_ns, Event::Metrics(m.clone()));
                    last = Some(m);
                }
            }
        }
    }

    fn health(&self) -> Health {
        let destinations = self
            .outputs
            .destination_status()
            .into_iter()
            .map(|d| DestinationHealth {
                state: d.state.word().to_string(),
                bitrate_kbps: d.bitrate_bps / 1000,
                connects: d.connects,
                dropped_frames: d.dropped_frames,
                queue_ms: d.queue_ms,
                dropped_gops: d.dropped_gops,
                id: d.id,
                platform: d.platform,
                canvas: d.canvas,
            })
            .collect();
        let canvases = self
            .canvases
            .iter()
            .map(|(id, counters, encoder)| CanvasHealth {
                id: id.clone(),
                dropped_frames: counters.late_dropped.load(Ordering::Relaxed) + encoder.dropped.load(Ordering::Relaxed),
            })
            .collect();
        let loudness = {
            let m = self.mixer.lock().unwrap_or_else(|e| e.into_inner());
            let master = m.master();
            Loudness {
                momentary_lufs: Loudness::figure(master.momentary_lufs),
                short_term_lufs: Loudness::figure(master.short_term_lufs),
                integrated_lufs: m.integrated_lufs().and_then(Loudness::figure),
            }
        };
        Health {
            destinations,
            canvases,
            loudness,
        }
    }
}
