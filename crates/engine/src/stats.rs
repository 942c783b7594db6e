//! What the engine reports: live snapshots (status line, window, remote
//! API) and the `--stats-json` summary at exit.

use crate::media::destination::{DestState, DestStatus};
use serde::Serialize;
use std::collections::BTreeMap;
use std::sync::atomic::AtomicU64;

/// Counters of one canvas, shared by the render thread and readers.
#[derive(Default)]
pub struct CanvasCounters {
    pub rendered: AtomicU64,
    /// Ticks skipped because the render loop was too late (or its encoder
    /// behind); each went out as a repeat of the last picture.
    pub late_dropped: AtomicU64,
    /// Ticks not drawn on purpose (the governor's layer frame-rate step);
    /// each went out as a repeat.
    pub throttled: AtomicU64,
}

#[derive(Debug, Clone, Serialize)]
pub struct CanvasStats {
    pub id: String,
    pub width: u32,
    pub height: u32,
    pub fps: u32,
    /// Frames per second over the last status interval.
    pub measured_fps: f64,
    pub frames_rendered: u64,
    /// Late ticks skipped + frames the encoder was too busy to take.
    pub frames_dropped: u64,
    /// Ticks skipped because rendering was late.
    pub late_ticks: u64,
    /// Frames the encoder was too busy to take.
    pub encoder_dropped: u64,
    /// Ticks not drawn on purpose (layers at a lower frame rate).
    pub throttled_ticks: u64,
    /// Frames sent to the encoder (new pictures and repeats): one per tick.
    pub frames_encoded: u64,
    /// Ticks sent as a repeat of the last picture (late, throttled or the
    /// encoder behind): the wire keeps the canvas's frame rate.
    pub repeated_frames: u64,
    /// Keyframes forced on the show clock (one per keyframe interval).
    pub keyframes_forced: u64,
    /// Ticks that got no frame at all: a second of frames was already
    /// waiting for the encoder (the latency bound). 0 keeps the wire at fps.
    pub wire_holes: u64,
    pub encoder: String,
    /// The x264 speed preset in use (None for a hardware encoder).
    pub x264_speed: Option<String>,
    /// The video bitrate now: the show's, or lower while the uplink cannot
    /// carry it (`uplink`).
    pub video_kbps: u32,
    /// The video bitrate the show asks for.
    pub show_kbps: u32,
}

#[derive(Debug, Clone, Serialize)]
pub struct RecordingStats {
    pub canvas: String,
    pub path: String,
    pub bytes_written: u64,
    pub error: Option<String>,
    /// Seconds since this recording started; None once it has ended.
    pub recording_s: Option<f64>,
    /// Stopped, and its file is being finalised (Stop Recording returned
    /// at once); the figures are final once this is false again.
    pub finalizing: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct SourceStats {
    pub id: String,
    /// The layer shows the "signal lost" slate.
    pub signal_lost: bool,
    /// Times the source was restarted after failing or going silent.
    pub restarts: u64,
    /// A play-once media file reached its end (and holds its last picture).
    pub ended: bool,
    pub frames: u64,
    pub error: Option<String>,
}

/// Where a destination is in its life (docs/snapshot.md).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum DestinationState {
    Idle,
    Connecting,
    Live,
    Reconnecting,
    /// Waiting for the host ("reconnect now"): no automatic retry.
    Failed,
    /// Ending: the stream's end sent, the server's answer awaited.
    Stopping,
    Stopped,
    /// A rehearsal: made and thrown away locally, nothing sent.
    Rehearsal,
}

impl DestinationState {
    pub fn word(self) -> &'static str {
        match self {
            DestinationState::Idle => "idle",
            DestinationState::Connecting => "connecting",
            DestinationState::Live => "live",
            DestinationState::Reconnecting => "reconnecting",
            DestinationState::Failed => "failed",
            DestinationState::Stopping => "stopping",
            DestinationState::Stopped => "stopped",
            DestinationState::Rehearsal => "rehearsal",
        }
    }
}

impl From<DestState> for DestinationState {
    fn from(s: DestState) -> DestinationState {
        match s {
            DestState::Idle => DestinationState::Idle,
            DestState::Connecting => DestinationState::Connecting,
            DestState::Live => DestinationState::Live,
            DestState::Reconnecting => DestinationState::Reconnecting,
            DestState::Failed => DestinationState::Failed,
            DestState::Stopping => DestinationState::Stopping,
            DestState::Stopped => DestinationState::Stopped,
            DestState::Rehearsal => DestinationState::Rehearsal,
        }
    }
}

/// One destination, as every client sees it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DestinationStats {
    pub id: String,
    pub canvas: String,
    pub platform: String,
    pub state: DestinationState,
    /// Last failure in plain words (never the key).
    pub error: Option<String>,
    pub bytes_sent: u64,
    pub bitrate_bps: u64,
    pub dropped_frames: u64,
    pub video_frames: u64,
    pub connects: u32,
    /// Failed attempts since the destination was last live.
    pub attempt: u32,
    /// Seconds until the next automatic attempt, if one is planned.
    pub retry_in_s: Option<f64>,
    /// Waiting for the host (refused key, bad URL, untrusted TLS).
    pub needs_action: bool,
    pub ever_live: bool,
    /// Seconds live, summed over connections.
    pub live_seconds: f64,
    /// Stream time waiting for the link (ms; docs/uplink.md).
    pub queue_ms: u64,
    /// What the link carried over the last 3 s (kb/s).
    pub link_kbps: u64,
    /// Whole GOPs dropped because the link was more than 3 s behind.
    pub dropped_gops: u64,
    /// "slow link to Instagram: 1.8 Mb/s of 3.5" while it alone falls behind.
    pub slow: Option<String>,
}

impl From<DestStatus> for DestinationStats {
    fn from(d: DestStatus) -> DestinationStats {
        DestinationStats {
            id: d.id,
            canvas: d.canvas,
            platform: d.platform,
            state: d.state.into(),
            error: d.error,
            bytes_sent: d.bytes_sent,
            bitrate_bps: d.bitrate_bps,
            dropped_frames: d.dropped_frames,
            video_frames: d.video_frames,
            connects: d.connects,
            attempt: d.attempt,
            retry_in_s: d.retry_in_s,
            needs_action: d.needs_action,
            ever_live: d.ever_live,
            live_seconds: d.live_seconds,
            queue_ms: d.queue_ms,
            link_kbps: d.link_kbps,
            dropped_gops: d.dropped_gops,
            slow: d.slow,
        }
    }
}

/// The on-screen graphics, as every client sees them.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct GraphicsStats {
    /// Claim code of the product whose card is on air.
    pub featured: Option<String>,
    /// Graphics on air (or animating out), by name.
    pub on_air: Vec<String>,
    pub countdown_left_s: Option<u64>,
    /// Each catalog product's stock now, in catalog order (None: not tracked).
    pub stock: Vec<Option<u32>>,
    /// Pictures drawn so far and the last one's time (data → pixels).
    pub draws: u64,
    pub last_draw_ms: f64,
}

impl From<crate::graphics::overlays::GraphicsStatus> for GraphicsStats {
    fn from(g: crate::graphics::overlays::GraphicsStatus) -> GraphicsStats {
        GraphicsStats {
            featured: g.featured,
            on_air: g.on_air.into_iter().map(str::to_string).collect(),
            countdown_left_s: g.countdown_left_s,
            stock: g.stock,
            draws: g.draws,
            last_draw_ms: g.last_draw_ms,
        }
    }
}

/// Levels of one input or the master.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct LevelStats {
    /// dBFS; silence is -120.
    pub peak_db: f32,
    pub rms_db: f32,
    /// LUFS; -120 until there is a measurement.
    pub momentary_lufs: f32,
    pub short_term_lufs: f32,
}

impl From<crate::audio::meters::Levels> for LevelStats {
    fn from(l: crate::audio::meters::Levels) -> LevelStats {
        LevelStats {
            peak_db: l.peak_db,
            rms_db: l.rms_db,
            momentary_lufs: l.momentary_lufs,
            short_term_lufs: l.short_term_lufs,
        }
    }
}

/// One input of the mix: its settings and levels.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct InputStats {
    pub id: String,
    pub gain_db: f32,
    pub mute: bool,
    pub pan: f32,
    pub offset_ms: i32,
    pub denoise: bool,
    /// After the voice chain and gain, before mute and pan.
    pub levels: LevelStats,
    /// Capture (or decode) → encoder input, ms (the sync offset not included).
    pub latency_ms: f32,
}

impl From<crate::audio::mixer::InputStats> for InputStats {
    fn from(i: crate::audio::mixer::InputStats) -> InputStats {
        InputStats {
            id: i.id,
            gain_db: i.gain_db,
            mute: i.mute,
            pan: i.pan,
            offset_ms: i.offset_ms,
            denoise: i.denoise,
            levels: i.levels.into(),
            latency_ms: i.latency_ms,
        }
    }
}

/// The version of the snapshot's and `--stats-json`'s shape
/// (docs/snapshot.md): raised when a field is renamed, removed or changes
/// meaning; new fields do not raise it.
pub const SCHEMA: u32 = 1;

#[derive(Debug, Clone, Serialize)]
pub struct Snapshot {
    /// `SCHEMA`.
    pub schema: u32,
    /// A rehearsal: nothing is sent to any platform (docs/rehearsal.md).
    pub rehearsal: bool,
    /// What is falling behind and what to change (last 10 s).
    pub warnings: Vec<String>,
    pub elapsed_s: f64,
    /// The scene on program (the incoming one during a transition).
    pub scene: String,
    pub preview: String,
    pub in_transition: bool,
    /// Where the T-bar holds a transition (0.0–1.0), if it does.
    pub tbar: Option<f32>,
    pub gpu: String,
    pub canvases: Vec<CanvasStats>,
    pub destinations: Vec<DestinationStats>,
    pub recordings: Vec<RecordingStats>,
    pub sources: Vec<SourceStats>,
    /// On-screen graphics: what is on air, how long drawing takes.
    pub graphics: GraphicsStats,
    pub audio: AudioStats,
    /// The start-up measurement and the step-down (docs/overload.md).
    pub quality: crate::governor::QualityStatus,
    /// Per canvas: the bitrate the uplink allows and why (docs/uplink.md).
    pub uplink: Vec<crate::uplink::UplinkStatus>,
    /// Long work commands started (exports, draft orders), the last 32.
    pub jobs: Vec<crate::jobs::JobStatus>,
    /// The run of show: current and next segment, over/under time.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rundown: Option<crate::rundown::RundownStatus>,
    /// The show's latest comment auction (open or ended).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub auction: Option<AuctionStats>,
    /// The live sales figures (shows with `[chat]`; docs/report.md).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub metrics: Option<LiveMetrics>,
}

pub use crate::events::{LiveMetrics, MoneyFigure, PlatformMetrics, ProductSales};

/// The chat's figures as the snapshot and the `metrics` event show them.
pub fn live_metrics(s: &crate::chat::state::ChatState, now_ms: u64) -> LiveMetrics {
    use crate::chat::metrics::{Sales, decimal};
    let m = &s.metrics;
    let sales = Sales::of(s.ledger.claims());
    let figure = |minor: i64, currency: &str| MoneyFigure {
        currency: currency.to_string(),
        amount: decimal(minor, currency),
    };
    LiveMetrics {
        comments: m.comments,
        commenters: m.commenters(),
        comments_last_minute: m.last_minute(now_ms),
        viewers: m.viewers_now(),
        platforms: m
            .platforms()
            .into_iter()
            .map(|p| PlatformMetrics {
                platform: p.platform.id().to_string(),
                name: p.platform.name().to_string(),
                comments: p.comments,
                commenters: p.commenters,
                viewers: p.viewers,
                peak_viewers: p.peak_viewers,
            })
            .collect(),
        claims: sales.claims,
        units: sales.units,
        buyers: sales.buyers,
        waitlisted_units: sales.waitlisted_units,
        revenue: sales.takings.iter().map(|t| figure(t.minor, &t.currency)).collect(),
        aov: sales
            .takings
            .iter()
            .map(|t| figure(t.aov_minor(), &t.currency))
            .collect(),
        products: sales
            .products
            .iter()
            .filter(|p| p.claims > 0)
            .map(|p| ProductSales {
                code: p.code.clone(),
                claims: p.claims,
                units: p.units,
                revenue: Some(figure(p.minor, &p.currency)),
            })
            .collect(),
        questions: m.questions,
        answered: m.answered,
        median_answer_s: m.median_answer_ms().map(|ms| (ms as f64 / 100.0).round() / 10.0),
    }
}

/// A comment auction as every client sees it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AuctionStats {
    pub id: u64,
    pub product: String,
    /// "open" or "ended".
    pub state: &'static str,
    /// The leading (or winning) bid, else the start price, as a decimal.
    pub price: String,
    pub currency: String,
    pub start: String,
    pub step: String,
    /// The least the next bid may be (open auctions).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_minimum: Option<String>,
    pub leader: Option<String>,
    pub leader_platform: Option<String>,
    pub bids: usize,
    pub refused: usize,
    /// Times a late bid extended it.
    pub extensions: u32,
    /// Time left (open auctions), in ms.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub left_ms: Option<u64>,
    /// The claim the winning bid became.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub claim: Option<u64>,
    /// The last refused bids (up to 10), newest last: who, what, why.
    pub recent_refused: Vec<RefusedBid>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RefusedBid {
    pub bidder: String,
    pub platform: String,
    pub text: String,
    pub why: String,
}

impl AuctionStats {
    pub fn of(a: &crate::chat::auction::Auction, now_ms: u64) -> AuctionStats {
        // Open until its end is logged (the chat's tick does that).
        let open = a.ended.is_none();
        let lead = a.leading();
        AuctionStats {
            id: a.id(),
            product: a.start.code.clone(),
            state: if open { "open" } else { "ended" },
            price: a.price(),
            currency: a.start.currency.clone(),
            start: a.start.start.clone(),
            step: a.start.step.clone(),
            next_minimum: a.next_minimum().filter(|_| open).map(|m| m.decimal()),
            leader: lead.map(|b| b.name.clone()),
            leader_platform: lead.map(|b| b.platform.name().to_string()),
            bids: a.bids.len(),
            refused: a.refused.len(),
            extensions: a.extensions,
            left_ms: open.then(|| a.ends_ms.saturating_sub(now_ms)),
            claim: a.ended.as_ref().and_then(|e| e.claim),
            recent_refused: a
                .refused
                .iter()
                .rev()
                .take(10)
                .rev()
                .map(|r| RefusedBid {
                    bidder: r.name.clone(),
                    platform: r.platform.name().to_string(),
                    text: r.text.clone(),
                    why: r.why.clone(),
                })
                .collect(),
        }
    }

    /// One line for `showroom run`: "auction 1 B2 open: 22.00 USD by bob
    /// on tiktok, 2 bids, 1 refused, 0 extensions, 0:31 left, next at
    /// least 24.00".
    pub fn words(&self) -> String {
        let by = match (&self.leader, &self.leader_platform) {
            (Some(n), Some(p)) => format!(" by {n} on {p}"),
            _ => " (start price, no bids yet)".into(),
        };
        let mut w = format!(
            "auction {} {} {}: {} {}{by}, {} bids, {} refused, {} extensions",
            self.id, self.product, self.state, self.price, self.currency, self.bids, self.refused, self.extensions
        );
        if let Some(ms) = self.left_ms {
            let s = ms.div_ceil(1000);
            w += &format!(", {}:{:02} left", s / 60, s % 60);
        }
        if let Some(m) = &self.next_minimum {
            w += &format!(", next at least {m}");
        }
        if let Some(c) = self.claim {
            w += &format!(", claim {c}");
        }
        w
    }
}

/// The mix: every input's settings and levels, the master's, and the
/// show's integrated loudness against its target.
#[derive(Debug, Clone, Default, Serialize)]
pub struct AudioStats {
    pub inputs: Vec<InputStats>,
    pub master: LevelStats,
    /// LUFS over the whole show so far (EBU R128 integrated).
    pub integrated_lufs: Option<f32>,
    pub target_lufs: f32,
    /// What to change when the mix is far from the target.
    pub hint: Option<String>,
}

impl AudioStats {
    /// A hint when the last 3 s of the mix (short-term loudness, while
    /// there is sound) are more than 6 LU under or 3 LU over the target.
    pub fn loudness_hint(master: &LevelStats, target: f32) -> Option<String> {
        let st = master.short_term_lufs;
        if st < -60.0 {
            return None;
        }
        let off = st - target;
        if off < -6.0 {
            Some(format!(
                "the mix is quiet: {st:.0} LUFS against the {target:.0} LUFS target — raise the microphone's gain by about {:.0} dB",
                -off
            ))
        } else if off > 3.0 {
            Some(format!(
                "the mix is loud: {st:.0} LUFS against the {target:.0} LUFS target — lower the gain by about {off:.0} dB"
            ))
        } else {
            None
        }
    }
}

/// The `--stats-json` document: canvases keyed by id, destinations as a list.
#[derive(Serialize)]
pub struct StatsJson<'a> {
    pub schema: u32,
    pub rehearsal: bool,
    pub duration_s: f64,
    pub gpu: &'a str,
    pub canvases: BTreeMap<&'a str, &'a CanvasStats>,
    pub destinations: &'a [DestinationStats],
    pub recordings: &'a [RecordingStats],
    pub sources: &'a [SourceStats],
    pub graphics: &'a GraphicsStats,
    pub audio: &'a AudioStats,
    pub quality: &'a crate::governor::QualityStatus,
    pub jobs: &'a [crate::jobs::JobStatus],
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rundown: Option<&'a crate::rundown::RundownStatus>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub auction: Option<&'a AuctionStats>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub metrics: Option<&'a LiveMetrics>,
    pub warnings: &'a [String],
}

impl Snapshot {
    pub fn to_json(&self) -> String {
        let doc = StatsJson {
            schema: self.schema,
            rehearsal: self.rehearsal,
            duration_s: self.elapsed_s,
            gpu: &self.gpu,
            canvases: self.canvases.iter().map(|c| (c.id.as_str(), c)).collect(),
            destinations: &self.destinations,
            recordings: &self.recordings,
            sources: &self.sources,
            graphics: &self.graphics,
            audio: &self.audio,
            quality: &self.quality,
            jobs: &self.jobs,
            rundown: self.rundown.as_ref(),
            auction: self.auction.as_ref(),
            metrics: self.metrics.as_ref(),
            warnings: &self.warnings,
        };
        serde_json::to_string_pretty(&doc).expect("stats serialise")
    }

    /// One status line: canvases, then destinations.
    pub fn status_line(&self) -> String {
        let secs = self.elapsed_s as u64;
        let mut parts = vec![format!("[{:02}:{:02}]", secs / 60, secs % 60)];
        if self.rehearsal {
            parts.push(format!("{} (nothing sent)", crate::REHEARSAL));
        }
        for c in &self.canvases {
            parts.push(format!(
                "{} {:.1} fps {} dropped {} repeated",
                c.id, c.measured_fps, c.frames_dropped, c.repeated_frames
            ));
        }
        for u in self.uplink.iter().filter(|u| u.video_kbps < u.target_kbps) {
            parts.push(format!(
                "{} at {} of {} kb/s ({}{})",
                u.canvas,
                u.video_kbps,
                u.target_kbps,
                if u.state == "at floor" { "the floor; " } else { "" },
                u.last_decision.as_deref().unwrap_or("uplink")
            ));
        }
        if let Some(r) = &self.rundown {
            parts.push(r.words());
        }
        if self.quality.level > 0 {
            parts.push(format!(
                "quality stepped down {}/{}: {}",
                self.quality.level, self.quality.max_level, self.quality.now
            ));
        }
        for d in &self.destinations {
            let mut p = format!("{} {}", d.id, d.state.word());
            if let Some(t) = d.retry_in_s {
                p += &format!(" in {:.0} s (attempt {})", t.ceil(), d.attempt);
            }
            if d.needs_action {
                p += " (waiting for you: fix it, then reconnect)";
            }
            if d.bitrate_bps > 0 {
                p += &format!(" {:.2} Mb/s", d.bitrate_bps as f64 / 1e6);
            }
            if let Some(e) = &d.error {
                p += &format!(": {e}");
            }
            if let Some(slow) = &d.slow {
                p += &format!(" — {slow}, dropping whole GOPs ({} so far)", d.dropped_gops);
            }
            parts.push(p);
        }
        for src in self.sources.iter().filter(|s| s.error.is_some() || s.signal_lost) {
            match &src.error {
                Some(e) => parts.push(format!("source {} lost: {e} (retrying)", src.id)),
                None => parts.push(format!("source {} lost: no picture", src.id)),
            }
        }
        for r in &self.recordings {
            let mut p = format!("rec {} {:.1} MB", r.canvas, r.bytes_written as f64 / 1e6);
            if let Some(e) = &r.error {
                p += &format!(": {e}");
            }
            parts.push(p);
        }
        for w in &self.warnings {
            parts.push(format!("warning: {w}"));
        }
        crate::secrets::redact(&parts.join(" | "))
    }
}
