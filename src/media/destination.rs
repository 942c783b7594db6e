//! One RTMP(S) destination: its own mux and rtmp2sink in its own pipeline,
//! supervised by its own thread that reconnects with backoff. Nothing here
//! can stop another destination or the recording.

use super::output::{Fanout, Feed, build_output_pipeline};
use super::require;
use super::rtmp_errors::classify;
use crate::secrets::{Secret, redact};
use gstreamer as gst;
use gstreamer::prelude::*;
use serde::Serialize;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// Bytes the sink must have sent before we call the destination live: more
/// than the RTMP handshake and commands, so media is flowing after publish.
const LIVE_AFTER_BYTES: u64 = 64 * 1024;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum DestState {
    Idle,
    Connecting,
    Live,
    Reconnecting,
    Failed,
    Stopped,
}

impl DestState {
    pub fn word(self) -> &'static str {
        match self {
            DestState::Idle => "idle",
            DestState::Connecting => "connecting",
            DestState::Live => "live",
            DestState::Reconnecting => "reconnecting",
            DestState::Failed => "failed",
            DestState::Stopped => "stopped",
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct DestStatus {
    pub id: String,
    pub canvas: String,
    pub platform: String,
    pub state: DestState,
    /// Last failure in plain words (never contains the key).
    pub error: Option<String>,
    pub bytes_sent: u64,
    pub bitrate_bps: u64,
    pub dropped_frames: u64,
    pub video_frames: u64,
    pub connects: u32,
    pub ever_live: bool,
    /// Seconds live, summed over connections.
    pub live_seconds: f64,
}

pub struct Destination {
    pub feed: Arc<Feed>,
    pub status: Arc<Mutex<DestStatus>>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl Destination {
    /// Starts the supervisor: it waits for the encoder's caps, connects, and
    /// keeps reconnecting until `stop`.
    pub fn start(
        id: &str,
        canvas: &str,
        platform: &str,
        url: &str,
        key: Option<Secret>,
        fanout: Arc<Fanout>,
    ) -> Destination {
        let location = match &key {
            Some(k) => format!("{}/{}", url.trim_end_matches('/'), k.expose()),
            None => url.to_string(),
        };
        let feed = Arc::new(Feed::default());
        fanout.add(feed.clone());
        let status = Arc::new(Mutex::new(DestStatus {
            id: id.to_string(),
            canvas: canvas.to_string(),
            platform: platform.to_string(),
            state: DestState::Idle,
            error: None,
            bytes_sent: 0,
            bitrate_bps: 0,
            dropped_frames: 0,
            video_frames: 0,
            connects: 0,
            ever_live: false,
            live_seconds: 0.0,
        }));
        let stop = Arc::new(AtomicBool::new(false));
        let thread = {
            let (feed, status, stop, id) = (feed.clone(), status.clone(), stop.clone(), id.to_string());
            std::thread::Builder::new()
                .name(format!("dest {id}"))
                .spawn(move || supervise(&id, &location, fanout, feed, status, stop))
                .ok()
        };
        Destination {
            feed,
            status,
            stop,
            thread,
        }
    }

    pub fn status(&self) -> DestStatus {
        let mut s = self.status.lock().unwrap_or_else(|e| e.into_inner()).clone();
        s.dropped_frames = self.feed.dropped_frames.load(Ordering::Relaxed);
        s.video_frames = self.feed.video_frames.load(Ordering::Relaxed);
        s
    }

    /// Ends the stream cleanly (EOS to the server) and stops reconnecting.
    pub fn stop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

impl Drop for Destination {
    fn drop(&mut self) {
        self.stop();
    }
}

fn set(status: &Mutex<DestStatus>, f: impl FnOnce(&mut DestStatus)) {
    f(&mut status.lock().unwrap_or_else(|e| e.into_inner()));
}

fn sleep_unless_stopped(stop: &AtomicBool, d: Duration) {
    let end = Instant::now() + d;
    while Instant::now() < end && !stop.load(Ordering::Relaxed) {
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn supervise(
    id: &str,
    location: &str,
    fanout: Arc<Fanout>,
    feed: Arc<Feed>,
    status: Arc<Mutex<DestStatus>>,
    stop: Arc<AtomicBool>,
) {
    if let Err(e) = require("rtmp2sink", "gstreamer1.0-plugins-bad") {
        set(&status, |s| {
            s.state = DestState::Failed;
            s.error = Some(e.to_string());
        });
        return;
    }
    let caps = loop {
        if stop.load(Ordering::Relaxed) {
            set(&status, |s| s.state = DestState::Stopped);
            return;
        }
        if let Some(c) = fanout.wait_caps(Duration::from_millis(200)) {
            break c;
        }
    };
    let mut backoff = Duration::from_secs(1);
    let mut total_bytes_before = 0u64;
    loop {
        set(&status, |s| {
            s.state = if s.connects == 0 {
                DestState::Connecting
            } else {
                s.state
            };
            s.connects += 1;
        });
        let loc = location.replace('"', "%22");
        let built = build_output_pipeline(
            &format!("dest-{id}"),
            &caps.0,
            &caps.1,
            "flvmux streamable=true",
            &format!("rtmp2sink name=sink sync=false async=false location=\"{loc}\""),
        );
        let (pipeline, v, a) = match built {
            Ok(p) => p,
            Err(e) => {
                set(&status, |s| {
                    s.state = DestState::Failed;
                    s.error = Some(redact(&e.to_string()));
                });
                return;
            }
        };
        let sink = pipeline.by_name("sink").expect("named sink");
        fanout.attach(&feed, v, a);
        if pipeline.set_state(gst::State::Playing).is_err() {
            tracing::warn!("destination `{id}`: pipeline refused to start");
        }
        let started = Instant::now();
        let mut last = (Instant::now(), 0u64);
        let mut live_since: Option<Instant> = None;
        let bus = pipeline.bus().expect("pipelines have a bus");
        let mut ended_by_stop = false;
        let failure = loop {
            if stop.load(Ordering::Relaxed) {
                ended_by_stop = true;
                feed.finish();
                let _ = bus.timed_pop_filtered(
                    gst::ClockTime::from_seconds(3),
                    &[gst::MessageType::Eos, gst::MessageType::Error],
                );
                break None;
            }
            if let Some(msg) = bus.timed_pop(gst::ClockTime::from_mseconds(100)) {
                match msg.view() {
                    gst::MessageView::Error(e) => {
                        let detail = e.debug().map(|d| d.to_string()).unwrap_or_default();
                        let f = classify(&e.error(), &detail);
                        tracing::warn!(
                            "destination `{id}`: {} ({})",
                            f.message,
                            redact(&format!("{} {detail}", e.error()))
                        );
                        break Some(f);
                    }
                    gst::MessageView::Eos(_) => break None,
                    _ => {}
                }
            }
            let bytes = sent_bytes(&sink);
            if last.0.elapsed() >= Duration::from_secs(1) {
                let dt = last.0.elapsed().as_secs_f64();
                let rate = ((bytes.saturating_sub(last.1)) as f64 * 8.0 / dt) as u64;
                last = (Instant::now(), bytes);
                set(&status, |s| s.bitrate_bps = rate);
            }
            set(&status, |s| s.bytes_sent = total_bytes_before + bytes);
            if live_since.is_none() && bytes > LIVE_AFTER_BYTES {
                live_since = Some(Instant::now());
                backoff = Duration::from_secs(1);
                tracing::info!(
                    "destination `{id}`: live after {:.1} s",
                    started.elapsed().as_secs_f64()
                );
                set(&status, |s| {
                    s.state = DestState::Live;
                    s.ever_live = true;
                    s.error = None;
                });
            }
        };
        let bytes = sent_bytes(&sink);
        feed.detach();
        let _ = pipeline.set_state(gst::State::Null);
        total_bytes_before += bytes;
        set(&status, |s| {
            s.bytes_sent = total_bytes_before;
            s.bitrate_bps = 0;
            if let Some(t) = live_since {
                s.live_seconds += t.elapsed().as_secs_f64();
            }
        });
        if ended_by_stop || stop.load(Ordering::Relaxed) {
            set(&status, |s| {
                if s.state == DestState::Live {
                    s.state = DestState::Stopped;
                }
            });
            return;
        }
        let f = failure.unwrap_or(super::rtmp_errors::Failure {
            message: "the server ended the stream".into(),
            transient: true,
        });
        set(&status, |s| {
            s.state = if f.transient {
                DestState::Reconnecting
            } else {
                DestState::Failed
            };
            s.error = Some(f.message.clone());
        });
        // Problems the host must fix (key, URL, TLS) are retried slowly.
        let wait = if f.transient {
            backoff
        } else {
            backoff.max(Duration::from_secs(5))
        };
        sleep_unless_stopped(&stop, wait);
        backoff = (backoff * 2).min(Duration::from_secs(30));
        if stop.load(Ordering::Relaxed) {
            return;
        }
    }
}

fn sent_bytes(sink: &gst::Element) -> u64 {
    let stats = sink.property::<gst::Structure>("stats");
    stats.get::<u64>("out-bytes-total").unwrap_or(0)
}
