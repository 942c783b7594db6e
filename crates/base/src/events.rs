//! What happens on air, as typed events on one bounded broadcast that any
//! number of subscribers follow (the event log, and the remote API, the crew
//! console and the post-show report when they come).
//!
//! Sending never waits: the stream is a ring of [`CAPACITY`] events, and a
//! subscriber that falls behind loses the oldest and is told how many
//! ([`Next::Missed`]). The event log is one subscriber: one JSON line per
//! event with its show-clock time, written by its own thread.
//!
//! A leaf: it imports nothing of the program but serde and tokio's channel.

use serde::Serialize;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use tokio::sync::broadcast;

/// Events kept for subscribers that fall behind.
pub const CAPACITY: usize = 4096;

/// One change on air. Serialised as `{"event": "cut", "scene": "main"}`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum Event {
    Start {
        show: String,
        scene: String,
    },
    Stop,
    /// A scene cut to program.
    Cut {
        scene: String,
    },
    /// Preview taken to program with a transition (or the T-bar's end).
    Take {
        #[serde(skip_serializing_if = "Option::is_none")]
        scene: Option<String>,
        #[serde(skip_serializing_if = "Option::is_none")]
        transition: Option<String>,
        #[serde(skip_serializing_if = "std::ops::Not::not")]
        tbar: bool,
    },
    Preview {
        scene: String,
    },
    /// A transition began on program, at the tick that first drew it
    /// (`kind`: fade, slide, wipe, stinger; a T-bar move is its transition).
    TransitionStarted {
        from: String,
        to: String,
        kind: String,
        duration_ms: u32,
    },
    /// The transition is done: `scene` is on program alone.
    TransitionEnded {
        scene: String,
    },
    GoLive {
        destination: Option<String>,
    },
    EndShow {
        destination: Option<String>,
    },
    Record {
        on: bool,
    },
    AddSource {
        source: String,
        kind: String,
        scene: String,
    },
    /// An input of the mix changed (mute, gain, ...): its mute and gain now.
    Audio {
        input: String,
        muted: bool,
        gain_db: f32,
    },
    /// A layer of a scene changed while live: `item` is its place in the
    /// scene from 1 (bottom first), `change` what changed (`visible`,
    /// `place`, `rotation`, `opacity`, `style`, ...).
    Layer {
        scene: String,
        item: usize,
        change: String,
        visible: bool,
    },
    /// A destination's state changed ("connecting", "live", "reconnecting",
    /// "failed", "ended"), with why when it is a failure.
    Destination {
        id: String,
        state: String,
        #[serde(skip_serializing_if = "Option::is_none")]
        reason: Option<String>,
    },
    Recording {
        canvas: String,
        path: String,
        state: String,
        #[serde(skip_serializing_if = "Option::is_none")]
        reason: Option<String>,
    },
    /// A source lost its signal, or got it back.
    Source {
        id: String,
        lost: bool,
        #[serde(skip_serializing_if = "Option::is_none")]
        reason: Option<String>,
    },
    Feature {
        product: String,
        title: String,
    },
    /// The rundown moved to segment `index` (from 1) of `of`, by `how`
    /// ("next", "previous", "go_to").
    Segment {
        index: usize,
        of: usize,
        title: String,
        how: String,
        #[serde(skip_serializing_if = "Option::is_none")]
        next: Option<String>,
    },
    Hide {
        graphic: String,
        #[serde(skip_serializing_if = "Option::is_none")]
        product: Option<String>,
    },
    Countdown {
        seconds: u64,
        label: String,
    },
    /// A countdown reached zero.
    CountdownEnded,
    /// A giveaway takes entries by `keyword` for `seconds`.
    Giveaway {
        id: u64,
        keyword: String,
        seconds: u64,
    },
    /// A giveaway's draw (a re-draw leaves earlier winners out): the
    /// winner, the seed, how many could win.
    GiveawayWinner {
        id: u64,
        winner: String,
        platform: String,
        seed: u64,
        eligible: usize,
    },
    /// A flash deal started: `price` (a decimal in `currency`) for
    /// `seconds`, `cap` units at it, `per_buyer` each.
    Deal {
        id: u64,
        product: String,
        price: String,
        currency: String,
        seconds: u64,
        #[serde(skip_serializing_if = "Option::is_none")]
        cap: Option<u32>,
        #[serde(skip_serializing_if = "Option::is_none")]
        per_buyer: Option<u32>,
    },
    /// A flash deal is over (its time ran out, or it was ended): the card
    /// shows the regular price again.
    DealEnded {
        product: String,
    },
    /// An auction started: bids from `start`, each at least `step` over
    /// the leading one, for `seconds`; a bid with less than `extend_s` left
    /// puts the time left back to `extend_s`.
    Auction {
        id: u64,
        product: String,
        start: String,
        step: String,
        currency: String,
        seconds: u64,
        extend_s: u64,
    },
    /// A bid was taken: it leads, and the auction has `left_s` to go.
    Bid {
        auction: u64,
        amount: String,
        bidder: String,
        platform: String,
        left_s: u64,
    },
    /// A bid was refused, with why.
    BidRefused {
        auction: u64,
        bidder: String,
        platform: String,
        text: String,
        why: String,
    },
    /// The show came back with an auction open: it goes on with `left_s`.
    AuctionResumed {
        auction: u64,
        left_s: u64,
    },
    /// An auction ended (`how`: "time" or "ended by the crew"); the winner
    /// and their claim, if anyone bid.
    AuctionEnded {
        auction: u64,
        how: String,
        #[serde(skip_serializing_if = "Option::is_none")]
        winner: Option<String>,
        #[serde(skip_serializing_if = "Option::is_none")]
        price: Option<String>,
        #[serde(skip_serializing_if = "Option::is_none")]
        claim: Option<u64>,
    },
    LowerThird {
        name: String,
        title: String,
    },
    Banner {
        text: String,
    },
    Comment {
        author: String,
        platform: String,
        text: String,
    },
    /// A chat message is in (on disk); `queued` when it waits in the host
    /// queue, `hidden` when a block hid it.
    ChatMessage {
        platform: String,
        id: String,
        author: String,
        text: String,
        queued: bool,
        hidden: bool,
    },
    /// A platform said how many watch.
    Viewers {
        platform: String,
        count: u64,
    },
    /// The host queue's length changed.
    Queue {
        length: usize,
    },
    /// A claim was made (from a comment or by a moderator).
    Claim {
        id: u64,
        code: String,
        buyer: String,
        quantity: u32,
        status: String,
    },
    /// A claim changed: claimed, waitlisted, cancelled.
    ClaimStatus {
        id: u64,
        status: String,
    },
    /// A moderator changed the chat: `answered`, `hidden`, `unhidden`,
    /// `blocked`, `unblocked`, `blocked_words`, `draft_order` (of message
    /// `seq` where there is one).
    Moderation {
        action: String,
        #[serde(skip_serializing_if = "Option::is_none")]
        seq: Option<u64>,
        #[serde(skip_serializing_if = "Option::is_none")]
        detail: Option<String>,
    },
    /// A moderator action accepted when sent was refused when its turn came
    /// (something changed in between), and why.
    ChatRefused {
        action: String,
        error: String,
    },
    /// A job a command started (an export, draft orders): `running`, then
    /// `done` or `failed` with what came of it.
    Job {
        id: u64,
        kind: String,
        state: String,
        #[serde(skip_serializing_if = "Option::is_none")]
        summary: Option<String>,
    },
    /// Stock or prices of these products changed.
    Stock {
        products: Vec<String>,
    },
    /// The start-up measurement: what each canvas holds on this machine.
    Capacity {
        canvases: Vec<CanvasCapacity>,
    },
    /// Every few seconds while the show runs (docs/report.md): each
    /// destination's link, each canvas's dropped frames and the mix's
    /// loudness — the report's health and loudness timelines.
    Health(Health),
    /// The chat's live figures, every few seconds when they changed.
    Metrics(LiveMetrics),
    Quality {
        direction: String,
        level: usize,
        x264_speed: Option<String>,
        layers_divisor: u32,
        why: String,
    },
    /// A canvas's video bitrate changed to what its uplink carries
    /// ("down"), or back towards the show's ("up") — docs/uplink.md.
    Bitrate {
        canvas: String,
        direction: String,
        from_kbps: u32,
        to_kbps: u32,
        why: String,
    },
    /// One destination's link cannot carry its canvas (it drops whole GOPs
    /// while the others keep full quality), or can again.
    SlowLink {
        id: String,
        canvas: String,
        slow: bool,
        #[serde(skip_serializing_if = "Option::is_none")]
        message: Option<String>,
    },
}

/// The show's health at one moment.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Health {
    pub destinations: Vec<DestinationHealth>,
    pub canvases: Vec<CanvasHealth>,
    pub loudness: Loudness,
}

/// One destination's link: its state, what it sent over the last seconds,
/// its connections so far and the frames it dropped so far.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DestinationHealth {
    pub id: String,
    pub platform: String,
    pub canvas: String,
    pub state: String,
    pub bitrate_kbps: u64,
    pub connects: u32,
    pub dropped_frames: u64,
    /// Stream time waiting for the link, ms (docs/uplink.md).
    pub queue_ms: u64,
    pub dropped_gops: u64,
}

/// One canvas: frames dropped so far (not rendered in time, or its encoder behind).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CanvasHealth {
    pub id: String,
    pub dropped_frames: u64,
}

/// The mix's loudness (EBU R128, LUFS; None while silent or not measured).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Loudness {
    pub momentary_lufs: Option<f32>,
    pub short_term_lufs: Option<f32>,
    pub integrated_lufs: Option<f32>,
}

impl Loudness {
    /// A meter's figure as the stream carries it: None under -70 LUFS
    /// (R128's absolute gate: silence) or not a number.
    pub fn figure(lufs: f32) -> Option<f32> {
        (lufs.is_finite() && lufs >= -70.0).then_some((lufs * 10.0).round() / 10.0)
    }
}

/// What the show has sold and heard so far (docs/report.md, "Live"): the
/// snapshot's `metrics` and the `metrics` event.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LiveMetrics {
    pub comments: u64,
    pub commenters: u64,
    /// Comments stamped in the last minute.
    pub comments_last_minute: u64,
    /// Viewers now, all platforms that say together.
    pub viewers: Option<u64>,
    pub platforms: Vec<PlatformMetrics>,
    /// Claims standing as claimed, their units and buyers.
    pub claims: u64,
    pub units: u64,
    pub buyers: u64,
    pub waitlisted_units: u64,
    /// Claimed revenue per currency (decimals).
    pub revenue: Vec<MoneyFigure>,
    /// Revenue / buyers, per currency.
    pub aov: Vec<MoneyFigure>,
    pub products: Vec<ProductSales>,
    pub questions: u64,
    pub answered: u64,
    pub median_answer_s: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PlatformMetrics {
    pub platform: String,
    pub name: String,
    pub comments: u64,
    pub commenters: u64,
    /// The platform's latest viewer count and its peak, where it says.
    pub viewers: Option<u64>,
    pub peak_viewers: Option<u64>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MoneyFigure {
    pub currency: String,
    pub amount: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ProductSales {
    pub code: String,
    pub claims: u64,
    pub units: u64,
    pub revenue: Option<MoneyFigure>,
}

/// The start-up measurement of one canvas.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CanvasCapacity {
    pub canvas: String,
    pub fps: u32,
    /// New pictures per second this machine made for the canvas while measuring.
    pub measured_fps: f64,
    /// Pictures its encoder was too far behind to take, per second.
    pub encoder_dropped_per_s: f64,
    pub holds: bool,
    /// What to do when it does not hold.
    pub advice: Option<String>,
}

/// An event with when it happened: show-clock seconds and wall-clock ms.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Stamped {
    pub t: f64,
    pub unix_ms: u64,
    #[serde(flatten)]
    pub event: Event,
}

/// What a subscriber gets next.
#[derive(Debug, Clone, PartialEq)]
pub enum Next {
    Event(Arc<Stamped>),
    /// It fell behind: this many events were lost to it.
    Missed(u64),
    /// Nothing new (from `try_next`).
    Empty,
    /// The stream has ended (the show stopped).
    Closed,
}

/// One subscriber's place in the stream.
pub struct Subscription {
    rx: broadcast::Receiver<Arc<Stamped>>,
}

impl Subscription {
    fn map(r: Result<Arc<Stamped>, broadcast::error::RecvError>) -> Next {
        match r {
            Ok(e) => Next::Event(e),
            Err(broadcast::error::RecvError::Lagged(n)) => Next::Missed(n),
            Err(broadcast::error::RecvError::Closed) => Next::Closed,
        }
    }

    /// Waits for the next event (from a thread, not an async task).
    pub fn next_blocking(&mut self) -> Next {
        Self::map(self.rx.blocking_recv())
    }

    /// The next event if there is one.
    pub fn try_next(&mut self) -> Next {
        match self.rx.try_recv() {
            Ok(e) => Next::Event(e),
            Err(broadcast::error::TryRecvError::Lagged(n)) => Next::Missed(n),
            Err(broadcast::error::TryRecvError::Empty) => Next::Empty,
            Err(broadcast::error::TryRecvError::Closed) => Next::Closed,
        }
    }

    /// Waits for the next event (from an async task).
    pub async fn next(&mut self) -> Next {
        Self::map(self.rx.recv().await)
    }
}

/// The show's event stream and its log.
pub struct Events {
    tx: broadcast::Sender<Arc<Stamped>>,
    /// Subscribers of our own (the log), which skip chat messages.
    own: usize,
    path: Option<PathBuf>,
    log: Mutex<Option<std::thread::JoinHandle<()>>>,
}

fn unix_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

impl Events {
    /// A stream without a log (library use, tests).
    pub fn new() -> Events {
        Events {
            tx: broadcast::channel(CAPACITY).0,
            own: 0,
            path: None,
            log: Mutex::new(None),
        }
    }

    /// A stream whose events are also appended to `path` (its folder is
    /// made), one JSON line each, by a subscriber thread of its own.
    pub fn with_log(path: &Path) -> std::io::Result<Events> {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        let file = std::fs::OpenOptions::new().create(true).append(true).open(path)?;
        let mut events = Events::new();
        let sub = events.subscribe();
        let handle = std::thread::Builder::new()
            .name("event-log".into())
            .spawn(move || write_log(file, sub))?;
        events.own = 1;
        events.path = Some(path.to_path_buf());
        events.log = Mutex::new(Some(handle));
        Ok(events)
    }

    pub fn path(&self) -> Option<&Path> {
        self.path.as_deref()
    }

    /// Sends one event at show-clock time `t_ns`. Never waits.
    pub fn emit(&self, t_ns: u64, event: Event) {
        let stop = event == Event::Stop;
        let stamped = Arc::new(Stamped {
            t: t_ns as f64 / 1e9,
            unix_ms: unix_ms(),
            event,
        });
        // No subscriber is not an error.
        let _ = self.tx.send(stamped);
        if stop {
            // The log has the last line before `stop` returns.
            if let Some(h) = self.log.lock().unwrap_or_else(|e| e.into_inner()).take() {
                let _ = h.join();
            }
        }
    }

    /// Whether anyone besides the log follows the stream: chat messages,
    /// which the log skips, are only worth making then.
    pub fn followed(&self) -> bool {
        self.tx.receiver_count() > self.own
    }

    /// A new subscriber: it sees every event sent from now on.
    pub fn subscribe(&self) -> Subscription {
        Subscription {
            rx: self.tx.subscribe(),
        }
    }
}

/// Sends events stamped with the show clock, for parts that run on their
/// own threads (destinations, recordings, the chat writer). Before the clock
/// starts, events are at time 0.
#[derive(Clone)]
pub struct Emitter {
    events: Arc<Events>,
    clock: Arc<std::sync::OnceLock<std::time::Instant>>,
}

impl Emitter {
    pub fn new(events: Arc<Events>, clock: Arc<std::sync::OnceLock<std::time::Instant>>) -> Emitter {
        Emitter { events, clock }
    }

    /// See [`Events::followed`].
    pub fn followed(&self) -> bool {
        self.events.followed()
    }

    pub fn emit(&self, event: Event) {
        let t_ns = self.clock.get().map_or(0, |t0| t0.elapsed().as_nanos() as u64);
        self.events.emit(t_ns, event);
    }
}

impl Default for Events {
    fn default() -> Self {
        Events::new()
    }
}

/// The log's subscriber: a line per event; a lag is written as a line too,
/// so the log says what it lacks. Ends after `stop` or when the stream does.
fn write_log(mut file: std::fs::File, mut sub: Subscription) {
    loop {
        let line = match sub.next_blocking() {
            // The chat log holds every message; the event log keeps to what
            // happens on air (claims and the queue are kept).
            Next::Event(e) if matches!(e.event, Event::ChatMessage { .. }) => continue,
            Next::Event(e) => {
                let line = serde_json::to_string(&*e).unwrap_or_default();
                let last = e.event == Event::Stop;
                // One write per line, so a crash never leaves half a line
                // behind another; a failing disk is reported, not fatal.
                if let Err(err) = file.write_all(format!("{line}\n").as_bytes()) {
                    tracing::warn!("event log: cannot write: {err}");
                }
                if last {
                    return;
                }
                continue;
            }
            Next::Missed(n) => serde_json::json!({"t": null, "unix_ms": unix_ms(), "event": "missed", "count": n}),
            Next::Empty => continue,
            Next::Closed => return,
        };
        let _ = file.write_all(format!("{line}\n").as_bytes());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_slow_subscriber_is_told_what_it_missed_and_the_stream_never_waits() {
        let events = Events::new();
        let mut slow = events.subscribe();
        let mut quick = events.subscribe();
        for i in 0..(CAPACITY as u64 + 10) {
            events.emit(i, Event::Record { on: i % 2 == 0 });
            if let Next::Event(e) = quick.try_next() {
                assert_eq!(e.t, i as f64 / 1e9);
            }
        }
        assert_eq!(slow.try_next(), Next::Missed(10));
        match slow.try_next() {
            Next::Event(e) => assert_eq!(e.t, 10.0 / 1e9),
            other => panic!("{other:?}"),
        }
        let line = serde_json::to_string(&Stamped {
            t: 1.5,
            unix_ms: 7,
            event: Event::Cut { scene: "main".into() },
        })
        .unwrap();
        assert_eq!(line, r#"{"t":1.5,"unix_ms":7,"event":"cut","scene":"main"}"#);
    }
}
