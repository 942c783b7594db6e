//! One destination: its own mux and sink in its own pipeline (RTMP(S):
//! flvmux ! rtmp2sink; SRT: mpegtsmux ! srtsink as a caller), supervised by
//! its own thread that reconnects with backoff. Nothing here can stop
//! another destination or the recording.

use super::output::{Fanout, Feed, build_output_pipeline};
use super::require;
use super::rtmp_errors::{Failure, classify};
use crate::secrets::{KeyRef, redact};
use crate::shutdown::{Shutdown, Woken};
use gstreamer as gst;
use gstreamer::prelude::*;
use serde::Serialize;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// Bytes the sink must have sent before we call the destination live: more
/// than the RTMP handshake (3 KiB) and the connect/createStream/publish
/// commands (well under 1 KiB even with long keys). rtmp2sink writes media
/// only once the server has answered publish with NetStream.Publish.Start,
/// so anything beyond that is media the server accepted. Kept low: a static
/// slide on a black canvas encodes to a few kb/s, and an earlier 64 KiB
/// threshold took that for a server that never accepted the stream.
const LIVE_AFTER_BYTES: u64 = 8 * 1024;
/// A live connection whose byte counter does not move for this long is
/// stalled: the server stopped reading and the socket buffers (several MB on
/// a fast link, seconds of media) are full. At live rates three seconds of
/// zero progress cannot be caught up; reconnecting is faster.
const STALL_AFTER: Duration = Duration::from_secs(3);
/// A connection that has not gone live after this long is given up.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(15);

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum DestState {
    Idle,
    Connecting,
    Live,
    Reconnecting,
    Failed,
    /// Ending: the stream's end is being sent and the server's answer awaited.
    Stopping,
    Stopped,
    /// A rehearsal: the stream is made, muxed and thrown away here; nothing
    /// is sent to the platform.
    Rehearsal,
}

impl DestState {
    pub fn word(self) -> &'static str {
        match self {
            DestState::Idle => "idle",
            DestState::Connecting => "connecting",
            DestState::Live => "live",
            DestState::Reconnecting => "reconnecting",
            DestState::Failed => "failed",
            DestState::Stopping => "stopping",
            DestState::Stopped => "stopped",
            DestState::Rehearsal => "rehearsal",
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
    /// Failed attempts since the destination was last live.
    pub attempt: u32,
    /// Seconds until the next automatic attempt (reconnecting), if one is planned.
    pub retry_in_s: Option<f64>,
    /// Waiting for the host (refused key, bad URL, untrusted TLS): no automatic retry.
    pub needs_action: bool,
    pub ever_live: bool,
    /// Seconds live, summed over connections.
    pub live_seconds: f64,
    /// Stream time waiting for the link (ms): near 0 while the link keeps up.
    pub queue_ms: u64,
    /// Bytes waiting for the link: in our queue and in the OS's socket.
    pub queue_bytes: u64,
    /// Of those, in the OS's socket: written, not yet acknowledged by the
    /// server (RTMP(S) on Linux; docs/uplink.md).
    pub socket_bytes: u64,
    /// Bytes the link delivered (sent and acknowledged; RTMP(S) on Linux,
    /// else what the sink sent).
    pub bytes_delivered: u64,
    /// What the link carries (kb/s): the median of the last five seconds'
    /// rates while live — bytes the sink got onto the network, which blocks
    /// when the network is full. The median leaves out the first second of a
    /// connection (the OS's socket buffer filled at once) and a second
    /// of TCP stalled on a loss.
    pub link_kbps: u64,
    /// Whole GOPs dropped because the link was more than 3 s behind.
    pub dropped_gops: u64,
    /// "slow link to Instagram: 1.8 Mb/s of 3.5" while this destination
    /// alone cannot keep up (set by the engine's bitrate control).
    pub slow: Option<String>,
}

impl DestStatus {
    /// A destination that has not connected yet.
    pub fn idle(cfg: &DestConfig) -> DestStatus {
        DestStatus {
            id: cfg.id.clone(),
            canvas: cfg.canvas.clone(),
            platform: cfg.platform.clone(),
            state: DestState::Idle,
            error: None,
            bytes_sent: 0,
            bitrate_bps: 0,
            dropped_frames: 0,
            video_frames: 0,
            connects: 0,
            attempt: 0,
            retry_in_s: None,
            needs_action: false,
            ever_live: false,
            live_seconds: 0.0,
            queue_ms: 0,
            queue_bytes: 0,
            socket_bytes: 0,
            bytes_delivered: 0,
            link_kbps: 0,
            dropped_gops: 0,
            slow: None,
        }
    }
}

/// Where and how to connect; the key is resolved again at every attempt so a
/// host can store a new key and press "reconnect now".
#[derive(Debug, Clone)]
pub struct DestConfig {
    pub id: String,
    pub canvas: String,
    pub platform: String,
    pub url: String,
    /// RTMP(S): the stream key. SRT: the passphrase (none: unencrypted).
    pub key: KeyRef,
    /// SRT only: the receiver's retransmission buffer in ms.
    pub latency_ms: Option<u32>,
    /// Told each time the destination's state changes (the engine's event
    /// stream); called on the supervisor thread, so it must not block.
    pub notify: Option<Notify>,
    /// A rehearsal: a local sink instead of the server, the key never read.
    pub rehearsal: bool,
}

/// A callback for state changes.
#[derive(Clone)]
pub struct Notify(pub Arc<dyn Fn(&DestStatus) + Send + Sync>);

impl std::fmt::Debug for Notify {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Notify")
    }
}

pub struct Destination {
    pub id: String,
    pub feed: Arc<Feed>,
    pub status: Arc<Mutex<DestStatus>>,
    retry_at: Arc<Mutex<Option<Instant>>>,
    /// Triggered to end the stream; nudged for "reconnect now".
    stop: Shutdown,
    thread: Option<JoinHandle<()>>,
}

/// What the supervisor thread shares with the handle.
struct Shared {
    feed: Arc<Feed>,
    status: Arc<Mutex<DestStatus>>,
    notify: Option<Notify>,
    retry_at: Arc<Mutex<Option<Instant>>>,
    stop: Shutdown,
}

impl Destination {
    /// Starts the supervisor: it waits for the encoder's caps, connects, and
    /// keeps the destination live until `stop`.
    pub fn start(cfg: DestConfig, fanout: Arc<Fanout>) -> Destination {
        Destination::start_after(cfg, fanout, None)
    }

    /// Starts once `before` has returned: the end of this destination's
    /// last stream, when it is still ending (a server takes one publish
    /// per stream key at a time).
    pub fn start_after(cfg: DestConfig, fanout: Arc<Fanout>, before: Option<Box<dyn FnOnce() + Send>>) -> Destination {
        let feed = Arc::new(Feed::default());
        fanout.add(feed.clone());
        let status = Arc::new(Mutex::new(DestStatus::idle(&cfg)));
        let shared = Shared {
            feed: feed.clone(),
            status: status.clone(),
            notify: cfg.notify.clone(),
            retry_at: Arc::new(Mutex::new(None)),
            stop: Shutdown::new(),
        };
        let (retry_at, stop) = (shared.retry_at.clone(), shared.stop.clone());
        let id = cfg.id.clone();
        let thread = std::thread::Builder::new()
            .name(format!("dest {id}"))
            .spawn(move || {
                if let Some(wait) = before {
                    wait();
                }
                supervise(cfg, fanout, shared)
            })
            .ok();
        Destination {
            id,
            feed,
            status,
            retry_at,
            stop,
            thread,
        }
    }

    pub fn status(&self) -> DestStatus {
        let mut s = self.status.lock().unwrap_or_else(|e| e.into_inner()).clone();
        s.dropped_frames = self.feed.dropped_frames.load(Ordering::Relaxed);
        s.dropped_gops = self.feed.dropped_gops.load(Ordering::Relaxed);
        s.video_frames = self.feed.video_frames.load(Ordering::Relaxed);
        // Stream time waiting: ours, and the socket's bytes at the link's rate.
        let socket_ms = (s.socket_bytes * 8).checked_div(s.link_kbps).unwrap_or(0);
        s.queue_ms = match s.state {
            DestState::Live | DestState::Rehearsal => self.feed.queued().as_millis() as u64 + socket_ms,
            _ => 0,
        };
        s.queue_bytes = self.feed.queued_bytes() + s.socket_bytes;
        s.retry_in_s = self
            .retry_at
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .map(|t| t.saturating_duration_since(Instant::now()).as_secs_f64());
        s
    }

    /// Marks this destination slow (or not): its own link cannot carry the
    /// canvas, so it drops GOPs while the others keep full quality.
    pub fn set_slow(&self, message: Option<String>) {
        self.status.lock().unwrap_or_else(|e| e.into_inner()).slow = message;
    }

    /// "Reconnect now": skip the backoff wait, or retry a destination that
    /// waits for the host (after a new key was stored, say).
    pub fn reconnect_now(&self) {
        self.stop.nudge();
    }

    /// Starts ending the stream (EOS to the server) without waiting, so
    /// that several destinations end at the same time.
    pub fn request_stop(&self) {
        self.stop.trigger();
    }

    /// Ends the stream cleanly (EOS to the server) and stops reconnecting.
    pub fn stop(&mut self) {
        self.request_stop();
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

impl Shared {
    /// Changes the status; a change of state is told to `notify`.
    fn set(&self, f: impl FnOnce(&mut DestStatus)) {
        let changed = {
            let mut s = self.status.lock().unwrap_or_else(|e| e.into_inner());
            let before = s.state;
            f(&mut s);
            (s.state != before).then(|| s.clone())
        };
        if let (Some(s), Some(n)) = (changed, &self.notify) {
            (n.0)(&s);
        }
    }

    /// Waits until `deadline` (None: until kicked), a kick, or stop.
    /// Returns false when stopping.
    fn wait(&self, deadline: Option<Instant>) -> bool {
        *self.retry_at.lock().unwrap_or_else(|e| e.into_inner()) = deadline;
        let result = self.stop.wait_nudged(deadline) != Woken::Triggered;
        *self.retry_at.lock().unwrap_or_else(|e| e.into_inner()) = None;
        result
    }

    fn stopping(&self) -> bool {
        self.stop.is_triggered()
    }
}

/// How one connection ended.
enum Ended {
    Stopped,
    Failed(Failure),
}

fn supervise(cfg: DestConfig, fanout: Arc<Fanout>, sh: Shared) {
    let id = cfg.id.as_str();
    let sink_element = if cfg.url.starts_with("srt://") {
        "srtsink"
    } else {
        "rtmp2sink"
    };
    if !cfg.rehearsal
        && let Err(e) = require(sink_element, "gstreamer1.0-plugins-bad")
    {
        sh.set(|s| {
            s.state = DestState::Failed;
            s.error = Some(e.to_string());
            s.needs_action = true;
        });
        return;
    }
    let caps = loop {
        if sh.stopping() {
            sh.set(|s| s.state = DestState::Stopped);
            return;
        }
        if let Some(c) = fanout.wait_caps(Duration::from_millis(200)) {
            break c;
        }
    };
    let mut sent_before = 0u64;
    loop {
        // A rehearsal reads no key and connects to nothing.
        if cfg.rehearsal {
            match connect_once(id, &Target::Local, &caps, &fanout, &sh, &mut sent_before) {
                Ended::Stopped => return,
                Ended::Failed(f) => {
                    sh.set(|s| {
                        s.state = DestState::Failed;
                        s.error = Some(f.message.clone());
                    });
                    return;
                }
            }
        }
        // The key is read at every attempt: the host may have stored a new one.
        let failure = match cfg.key.resolve(id) {
            Err(e) => Failure {
                message: e.to_string(),
                transient: false,
            },
            Ok(key) => match target(&cfg, key.as_ref().map(|k| k.expose())) {
                Err(f) => f,
                Ok(target) => match connect_once(id, &target, &caps, &fanout, &sh, &mut sent_before) {
                    Ended::Stopped => return,
                    Ended::Failed(f) => f,
                },
            },
        };
        if sh.stopping() {
            return;
        }
        tracing::warn!("destination `{id}`: {}", failure.message);
        if failure.transient {
            let attempt = {
                let mut s = sh.status.lock().unwrap_or_else(|e| e.into_inner());
                s.attempt += 1;
                s.state = DestState::Reconnecting;
                s.error = Some(failure.message.clone());
                s.needs_action = false;
                s.attempt
            };
            let delay = crate::backoff::DESTINATION.delay(attempt, crate::backoff::random());
            tracing::info!(
                "destination `{id}`: reconnecting in {:.1} s (attempt {attempt})",
                delay.as_secs_f64()
            );
            if !sh.wait(Some(Instant::now() + delay)) {
                return;
            }
        } else {
            // Retrying blindly would not help (and platforms may block a key
            // that is hammered): wait for the host's "reconnect now".
            sh.set(|s| {
                s.state = DestState::Failed;
                s.error = Some(failure.message.clone());
                s.needs_action = true;
            });
            if !sh.wait(None) {
                return;
            }
            sh.set(|s| s.needs_action = false);
        }
    }
}

/// Where `cfg` connects with `key` (just read): the stream key joins an
/// RTMP URL; an SRT passphrase is checked for SRT's 10–79 characters.
fn target(cfg: &DestConfig, key: Option<&str>) -> Result<Target, Failure> {
    if !cfg.url.starts_with("srt://") {
        return Ok(Target::Rtmp(match key {
            Some(k) => format!("{}/{k}", cfg.url.trim_end_matches('/')),
            None => cfg.url.clone(),
        }));
    }
    if let Some(n) = key.map(|k| k.chars().count())
        && !(10..=79).contains(&n)
    {
        return Err(Failure {
            message: format!(
                "the SRT passphrase is {n} characters; SRT takes 10 to 79 — store a longer one with `showroom key set {}`",
                cfg.id
            ),
            transient: false,
        });
    }
    Ok(Target::Srt {
        uri: cfg.url.trim_end_matches('/').to_string(),
        passphrase: key.map(str::to_string),
        latency_ms: cfg.latency_ms.unwrap_or(crate::spec::SRT_LATENCY_MS),
    })
}

/// Where one connection goes. Secrets are set as properties, never written
/// into a launch string that GStreamer may log.
enum Target {
    /// rtmp2sink's location: server URL and stream key.
    Rtmp(String),
    /// An SRT caller.
    Srt {
        uri: String,
        passphrase: Option<String>,
        latency_ms: u32,
    },
    /// A rehearsal's local sink.
    Local,
}

/// One connection: build the pipeline, feed it, watch it until it fails or
/// the destination stops.
fn connect_once(
    id: &str,
    target: &Target,
    caps: &(gst::Caps, gst::Caps),
    fanout: &Fanout,
    sh: &Shared,
    sent_before: &mut u64,
) -> Ended {
    sh.set(|s| {
        if s.state != DestState::Reconnecting {
            s.state = DestState::Connecting;
        }
        s.connects += 1;
    });
    // MPEG-TS in 7-packet (1316-byte) buffers: one SRT payload each.
    // auto-reconnect off: the supervisor reconnects, with its backoff and
    // its words for what failed.
    let (mux, sink) = match target {
        Target::Rtmp(_) => (
            "flvmux streamable=true",
            "rtmp2sink name=sink sync=false async=false timeout=3",
        ),
        Target::Srt { .. } => (
            "mpegtsmux alignment=7",
            "srtsink name=sink mode=caller sync=false async=false auto-reconnect=false",
        ),
        Target::Local => ("flvmux streamable=true", "fakesink name=sink sync=false async=false"),
    };
    let built = build_output_pipeline(&format!("dest-{id}"), &caps.0, &caps.1, mux, sink);
    let (pipeline, v, a) = match built {
        Ok(p) => p,
        Err(e) => {
            return Ended::Failed(Failure {
                message: redact(&e.to_string()),
                transient: false,
            });
        }
    };
    let sink = pipeline.by_name("sink").expect("named sink");
    // What a rehearsal's local sink took, counted as rtmp2sink counts.
    let local = match target {
        Target::Rtmp(l) => {
            sink.set_property("location", l);
            None
        }
        Target::Srt {
            uri,
            passphrase,
            latency_ms,
        } => {
            sink.set_property("uri", uri);
            sink.set_property("latency", *latency_ms as i32);
            if let Some(p) = passphrase {
                sink.set_property("passphrase", p);
            }
            None
        }
        Target::Local => {
            let n = Arc::new(std::sync::atomic::AtomicU64::new(0));
            let count = n.clone();
            if let Some(pad) = sink.static_pad("sink") {
                pad.add_probe(gst::PadProbeType::BUFFER, move |_, info| {
                    if let Some(b) = info.buffer() {
                        count.fetch_add(b.size() as u64, std::sync::atomic::Ordering::Relaxed);
                    }
                    gst::PadProbeReturn::Ok
                });
            }
            Some(n)
        }
    };
    // The server's address, to read what the OS's socket still holds.
    let peers = match target {
        Target::Rtmp(l) => crate::tcp_queue::peers(l),
        _ => Vec::new(),
    };
    let mut socket = (Instant::now(), 0u64);
    let sent_bytes = |sink: &gst::Element| match &local {
        Some(n) => n.load(std::sync::atomic::Ordering::Relaxed),
        None => sent_bytes(sink),
    };
    fanout.attach(&sh.feed, v, a);
    if pipeline.set_state(gst::State::Playing).is_err() {
        tracing::warn!("destination `{id}`: pipeline refused to start");
    }
    let started = Instant::now();
    let mut rate_mark = (Instant::now(), 0u64);
    // The last five one-second rates while live (kb/s).
    let mut window: std::collections::VecDeque<u64> = std::collections::VecDeque::new();
    let mut progress = (Instant::now(), 0u64);
    let mut live_since: Option<Instant> = None;
    let bus = pipeline.bus().expect("pipelines have a bus");
    let ended = loop {
        if sh.stopping() {
            sh.feed.finish();
            let _ = bus.timed_pop_filtered(
                gst::ClockTime::from_seconds(3),
                &[gst::MessageType::Eos, gst::MessageType::Error],
            );
            break Ended::Stopped;
        }
        if let Some(msg) = bus.timed_pop(gst::ClockTime::from_mseconds(100)) {
            match msg.view() {
                gst::MessageView::Error(e) => {
                    let detail = e.debug().map(|d| d.to_string()).unwrap_or_default();
                    tracing::debug!("destination `{id}`: {}", redact(&format!("{} {detail}", e.error())));
                    break Ended::Failed(match target {
                        Target::Srt { .. } => classify_srt(&e.error(), live_since.is_some()),
                        _ => classify(&e.error(), &detail),
                    });
                }
                gst::MessageView::Eos(_) => {
                    break Ended::Failed(Failure {
                        message: "the server ended the stream".into(),
                        transient: true,
                    });
                }
                _ => {}
            }
        }
        let bytes = sent_bytes(&sink);
        if bytes > progress.1 {
            progress = (Instant::now(), bytes);
        }
        if !peers.is_empty() && socket.0.elapsed() >= Duration::from_millis(250) {
            socket = (Instant::now(), crate::tcp_queue::unacked(&peers).unwrap_or(0));
        }
        let delivered = bytes.saturating_sub(socket.1);
        if rate_mark.0.elapsed() >= Duration::from_secs(1) {
            let dt = rate_mark.0.elapsed().as_secs_f64();
            let rate = (delivered.saturating_sub(rate_mark.1) as f64 * 8.0 / dt) as u64;
            rate_mark = (Instant::now(), delivered);
            if live_since.is_some() {
                window.push_back(rate / 1000);
                while window.len() > 5 {
                    window.pop_front();
                }
            }
            let link = {
                let mut w: Vec<u64> = window.iter().copied().collect();
                w.sort_unstable();
                match w.len() {
                    0 => 0,
                    1 | 2 => w[0],
                    n => w[n / 2],
                }
            };
            sh.set(|s| {
                s.bitrate_bps = rate;
                s.link_kbps = link;
            });
        }
        sh.set(|s| {
            s.bytes_sent = *sent_before + bytes;
            s.bytes_delivered = *sent_before + delivered;
            s.socket_bytes = socket.1;
        });
        if live_since.is_none() && bytes > LIVE_AFTER_BYTES {
            live_since = Some(Instant::now());
            tracing::info!(
                "destination `{id}`: live after {:.1} s",
                started.elapsed().as_secs_f64()
            );
            sh.set(|s| {
                // A rehearsal never says live: nothing reached a platform.
                if local.is_some() {
                    s.state = DestState::Rehearsal;
                } else {
                    s.state = DestState::Live;
                    s.ever_live = true;
                }
                s.error = None;
                s.attempt = 0;
            });
        }
        if live_since.is_some() && progress.0.elapsed() >= STALL_AFTER {
            break Ended::Failed(Failure {
                message: format!(
                    "the server stopped accepting data (nothing sent for {} s)",
                    STALL_AFTER.as_secs()
                ),
                transient: true,
            });
        }
        if live_since.is_none() && started.elapsed() >= CONNECT_TIMEOUT {
            break Ended::Failed(Failure {
                message: format!(
                    "the server did not accept the stream within {} s",
                    CONNECT_TIMEOUT.as_secs()
                ),
                transient: true,
            });
        }
    };
    let bytes = sent_bytes(&sink);
    sh.feed.detach();
    let _ = pipeline.set_state(gst::State::Null);
    *sent_before += bytes;
    sh.set(|s| {
        s.bytes_sent = *sent_before;
        s.bytes_delivered = *sent_before;
        s.socket_bytes = 0;
        s.bitrate_bps = 0;
        s.link_kbps = 0;
        s.slow = None;
        if let Some(t) = live_since {
            s.live_seconds += t.elapsed().as_secs_f64();
        }
        if matches!(ended, Ended::Stopped) && matches!(s.state, DestState::Live | DestState::Rehearsal) {
            s.state = DestState::Stopped;
        }
    });
    ended
}

/// What the sink handed to the network: rtmp2sink's `out-bytes-total`,
/// srtsink's `bytes-sent-total` (both in its `stats`).
fn sent_bytes(sink: &gst::Element) -> u64 {
    let stats = sink.property::<gst::Structure>("stats");
    stats
        .get::<u64>("out-bytes-total")
        .or_else(|_| stats.get::<u64>("bytes-sent-total"))
        .unwrap_or(0)
}

/// srtsink errors in a host's words. SRT does not tell a caller why a
/// listener rejected it; the usual reason is the passphrase.
fn classify_srt(err: &gst::glib::Error, was_live: bool) -> Failure {
    let text = err.message();
    let message = if text.contains("Connection does not exist") && !was_live {
        "the relay rejected the SRT connection — the passphrase must be the same at both ends (or both without one)"
            .to_string()
    } else if text.contains("resolve") {
        "cannot resolve the relay's name — check the srt:// address".to_string()
    } else if was_live {
        "the SRT link to the relay was lost".to_string()
    } else {
        format!("the SRT connection failed: {}", redact(text))
    };
    Failure {
        message,
        transient: true,
    }
}
