//! The show engine: a library with a command API and status snapshots. The
//! CLI (`showroom run`), the studio window and the remote API all drive it
//! through `Engine::execute` and read it through `Engine::snapshot`.

// The layers below (docs/ARCHITECTURE.md).
use showroom_audio as audio;
use showroom_base::{events, secrets, shutdown};
use showroom_chat as chat;
use showroom_compositor as compositor;
use showroom_graphics as graphics;
use showroom_media as media;
use showroom_products as products;
use showroom_show as show;

pub mod budget;
pub mod cues;
pub mod governor;
pub mod health;
pub mod jobs;
pub mod outputs;
pub mod preflight;
pub mod program;
pub mod pulse;
pub mod render_loop;
pub mod rundown;
pub mod stats;
pub mod uplink;

use crate::compositor::Compositor;
use crate::events::Event;
use crate::media::encoder::CanvasEncoder;
use crate::media::sources::SourceHandle;
use crate::show::Show;
use crate::shutdown::Shutdown;
use anyhow::{Context, Result};
use render_loop::RenderLoop;
use stats::{CanvasCounters, CanvasStats, Snapshot, SourceStats};
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// What clients can ask of the engine.
#[derive(Debug, Clone)]
pub enum Command {
    /// Put a scene on program at once (a cut), by id.
    TakeScene(String),
    /// Prepare a scene in preview, by id.
    PreviewScene(String),
    /// Take preview to program with a transition (`None`: the show's default).
    Take(Option<crate::show::TransitionSpec>),
    /// Change a layer while live: the first layer of `scene` showing `source`.
    SetLayer {
        scene: String,
        source: String,
        change: LayerChange,
    },
    /// Reconnect a destination now (skipping its backoff, or after the host
    /// fixed its key); `None`: every destination that is not live.
    ReconnectNow(Option<String>),
    /// Start streaming to a destination (`None`: all of them).
    GoLive(Option<String>),
    /// End the stream of a destination cleanly (`None`: all of them).
    EndShow(Option<String>),
    /// Start (true) or finish (false) the show's recordings.
    Record(bool),
    /// The T-bar: mix preview into program by hand, 0.0–1.0 (1.0 takes it),
    /// with the show's transition (a fade when that is a cut).
    TBar(f32),
    /// Put a graphic on air or take it off (price card, countdown, ...).
    Graphics(crate::graphics::GraphicsCommand),
    /// Start a new source while the show runs and add it as the top layer
    /// of `scene`, placed per canvas.
    AddSource {
        source: crate::show::SourceSpec,
        scene: String,
        place: Vec<Option<crate::show::Rect>>,
    },
    /// Change one input of the mix (by source id).
    SetAudio { source: String, change: AudioChange },
    /// A moderator's action on the chat: answer, hide, block, settle or
    /// cancel a claim, the blocked words. Checked at once; written to the
    /// chat log in order (its outcome is an event).
    Chat(crate::chat::state::Action),
    /// Write the claims as CSV to this file (a job).
    ExportClaims(std::path::PathBuf),
    /// Make Shopify draft orders for the claims not yet in one (a job).
    DraftOrders,
    /// Write giveaway N's entries as CSV to this file (a job).
    ExportGiveaway(u64, std::path::PathBuf),
    /// Move the rundown (Next, Previous, Go to) or edit its segments.
    Rundown(rundown::RundownCommand),
}

/// What a command did: done at once, or a job started that reports its
/// progress and result in `Snapshot::jobs` and `Event::Job`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Done,
    Job(jobs::JobId),
}

/// How long a chat command waits for the chat's own decision (in order,
/// after every earlier action is applied) before answering "done" and
/// leaving the outcome to the events: the log is written in milliseconds,
/// and a window must not wait on a stalled disk.
const CHAT_VERDICT_WAIT: std::time::Duration = std::time::Duration::from_secs(1);

/// The chat's verdict on an action, if it comes in time.
fn verdict(pending: crate::chat::Pending) -> Result<(), CommandError> {
    match pending.wait_for(CHAT_VERDICT_WAIT) {
        Some(Err(e)) => Err(CommandError::Chat(e)),
        Some(Ok(())) | None => Ok(()),
    }
}

/// Sources that can be added while a show runs (compositor slots kept free).
pub const SPARE_SOURCES: usize = 16;

/// How the engine starts.
pub struct StartOptions {
    /// Go live to every destination and start every recording at once
    /// (`showroom run`). The studio starts with nothing on air.
    pub live: bool,
    /// A GPU device to share (the studio window's), instead of making one.
    pub gpu: Option<crate::compositor::gpu::Gpu>,
    /// Also render each canvas's preview scene and scene thumbnails into
    /// textures for a window (see `Engine::views`).
    pub studio: bool,
    /// A scene thumbnail is refreshed every this many ticks of the first
    /// canvas (one scene at a time).
    pub thumb_every_ticks: u64,
    /// While a multiview is shown (`Engine::set_multiview`), one source's
    /// tile is drawn every this many ticks of the first canvas.
    pub tile_every_ticks: u64,
    /// Where the show's event log goes (every change on air, one JSON line
    /// each); None: not kept.
    pub events: Option<std::path::PathBuf>,
    /// A rehearsal: every destination is a local sink (nothing is sent, no
    /// key is read) and every canvas says REHEARSAL; the rest is the show.
    pub rehearsal: bool,
}

impl Default for StartOptions {
    fn default() -> Self {
        StartOptions {
            live: true,
            gpu: None,
            studio: false,
            thumb_every_ticks: 3,
            tile_every_ticks: 1,
            events: None,
            rehearsal: false,
        }
    }
}

/// What `Command::SetLayer` changes.
#[derive(Debug, Clone)]
pub enum LayerChange {
    Opacity(f32),
    Rotation(f32),
    Radius(f32),
    Mirror(bool),
    /// A new place on one canvas (by canvas id).
    Place {
        canvas: String,
        rect: crate::show::Rect,
    },
    /// The whole look at once.
    Style(crate::show::Style),
    /// Drawn or not (OBS's scene item "enabled").
    Visible(bool),
}

impl LayerChange {
    /// Its name in events.
    pub fn name(&self) -> &'static str {
        match self {
            LayerChange::Opacity(_) => "opacity",
            LayerChange::Rotation(_) => "rotation",
            LayerChange::Radius(_) => "radius",
            LayerChange::Mirror(_) => "mirror",
            LayerChange::Place { .. } => "place",
            LayerChange::Style(_) => "style",
            LayerChange::Visible(_) => "visible",
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum CommandError {
    #[error("no scene with id `{0}`")]
    UnknownScene(String),
    #[error("no destination with id `{0}`")]
    UnknownDestination(String),
    #[error("scene `{0}` has no layer showing source `{1}`")]
    UnknownLayer(String, String),
    #[error("no canvas with id `{0}`")]
    UnknownCanvas(String),
    #[error("{what} {value}: use {range}")]
    OutOfRange {
        what: &'static str,
        value: f32,
        range: &'static str,
    },
    #[error(transparent)]
    Graphics(#[from] crate::graphics::overlays::GraphicsError),
    #[error("source `{source_id}`: give a place (or none) for each of the {canvases} canvases")]
    PlacesPerCanvas { source_id: String, canvases: usize },
    #[error("a source with id `{0}` exists already — give the new one its own id")]
    SourceExists(String),
    #[error(
        "{0} sources have been added while the show runs, the most it takes: save the layout and open the show again to add more"
    )]
    TooManySources(usize),
    /// The source's pipeline could not be built; `reason` names the element or file.
    #[error("source `{source_id}` cannot start: {reason}")]
    SourceStart { source_id: String, reason: String },
    #[error("the show is stopping")]
    Stopping,
    #[error(transparent)]
    Rundown(#[from] rundown::RundownError),
    #[error(transparent)]
    Audio(#[from] crate::audio::mixer::MixError),
    #[error("this show has no chat: add [chat] to the show file")]
    NoChat,
    #[error(transparent)]
    Chat(#[from] crate::chat::state::ActionError),
    #[error("cannot start the job: {0}")]
    Job(#[source] std::io::Error),
}

/// What `Command::SetAudio` changes on one input of the mix.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum AudioChange {
    GainDb(f32),
    Mute(bool),
    /// -1.0 (left) – 1.0 (right).
    Pan(f32),
    /// Sync offset in ms (positive delays the input).
    OffsetMs(i32),
    Denoise(bool),
}

/// What every canvas and view says during a rehearsal.
pub const REHEARSAL: &str = "REHEARSAL";

pub struct Engine {
    rehearsal: bool,
    show: Arc<Show>,
    program: Arc<program::Program>,
    scenes: Arc<std::sync::RwLock<Vec<crate::show::SceneSpec>>>,
    t0: Instant,
    gpu: String,
    render: Option<JoinHandle<()>>,
    mixer: Option<JoinHandle<()>>,
    sources: Mutex<Vec<SourceHandle>>,
    /// Settings of the sources added while the show runs.
    added_specs: Mutex<Vec<crate::show::SourceSpec>>,
    /// New sources' probes, to the render thread (in source order).
    new_probes: std::sync::mpsc::Sender<crate::media::sources::SourceProbe>,
    /// The mixer (added sources join it; commands change its inputs).
    mixer_state: Arc<Mutex<crate::audio::Mixer>>,
    target_lufs: f32,
    /// Ends headphone monitoring with the show.
    /// The headphone monitor's own signal: its device's failures nudge it.
    monitor_stop: Shutdown,
    encoders: Vec<Arc<CanvasEncoder>>,
    kbps: Vec<u32>,
    outputs: Arc<outputs::Outputs>,
    views: Option<crate::compositor::StudioViews>,
    studio_canvas: Arc<std::sync::atomic::AtomicUsize>,
    /// A multiview is shown: the sources' tiles are drawn.
    multiview: Arc<std::sync::atomic::AtomicBool>,
    tiles_drawn: Arc<std::sync::atomic::AtomicU64>,
    counters: Vec<Arc<CanvasCounters>>,
    last_fps: Mutex<(Instant, Vec<u64>, Vec<f64>)>,
    health: health::Health,
    overlays: Arc<Mutex<crate::graphics::Overlays>>,
    events: Arc<crate::events::Events>,
    cues: Option<JoinHandle<()>>,
    stock: Option<JoinHandle<()>>,
    /// Platform chat, when the show has `[chat]`.
    chat: Option<crate::chat::Chat>,
    /// The start-up measurement and the step-down ladder.
    quality: Arc<governor::Quality>,
    /// Preview pictures for readers (the crew console), from the render thread.
    previews: Arc<render_loop::PreviewPictures>,
    governor: Option<JoinHandle<()>>,
    /// The health and metrics events (pulse.rs).
    pulse: Option<JoinHandle<()>>,
    /// Congestion-aware bitrate (uplink.rs) and what it decided.
    uplink: Option<JoinHandle<()>>,
    uplink_status: Arc<Mutex<Vec<uplink::UplinkStatus>>>,
    /// `shutdown` has run.
    shut_down: bool,
    /// The first error the GPU reported (the compositor then stops drawing).
    gpu_error: Arc<Mutex<Option<String>>>,
    /// Long work commands started (exports, draft orders).
    jobs: jobs::Jobs,
    /// Ends every thread of the show at once.
    shutdown: Shutdown,
    /// The run of show, when the show has `[rundown]`.
    rundown: Option<Mutex<rundown::Rundown>>,
}

impl Engine {
    /// Starts every source, the compositor, one encoder per canvas, every
    /// destination and recording of `show`.
    pub fn start(show: Show) -> Result<Engine> {
        Self::start_with(show, StartOptions::default())
    }

    pub fn start_with(show: Show, options: StartOptions) -> Result<Engine> {
        crate::media::init()?;
        let show = Arc::new(show);
        // Everything that can fail for reasons outside this process comes
        // first — the event log, the chat log (another show may hold it),
        // the bridge — so a show that cannot start has started nothing:
        // no thread, no pipeline, nothing on air.
        let first_graphic = show.sources.len() + SPARE_SOURCES;
        let events = Arc::new(match &options.events {
            Some(path) => crate::events::Events::with_log(path)
                .with_context(|| format!("cannot write the event log {}", path.display()))?,
            None => crate::events::Events::new(),
        });
        let overlays = Arc::new(Mutex::new(crate::graphics::Overlays::new(
            show.graphics.clone(),
            show.canvases.iter().map(|c| (c.width, c.height)).collect(),
            first_graphic,
            events.clone(),
        )));
        if options.rehearsal {
            overlays
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .set_mark(Some(REHEARSAL.into()), 0);
        }
        let clock: Arc<std::sync::OnceLock<Instant>> = Arc::default();
        let chat = match &show.chat {
            Some(config) => {
                // Claims change stock: the product card shows it at once.
                let ov = overlays.clone();
                let emitter = crate::events::Emitter::new(events.clone(), clock.clone());
                let clock = clock.clone();
                let sink: crate::chat::StockSink = Box::new(move |catalog, on_sale| {
                    // Before the show clock starts (the log's replay): time 0.
                    let now_ns = clock.get().map_or(0, |t0| t0.elapsed().as_nanos() as u64);
                    // The ledger's deals end at wall-clock times; the card's clock is the show's.
                    let now_ms = crate::chat::log::now_ms();
                    let deals = on_sale
                        .deals
                        .iter()
                        .filter_map(|(d, left)| {
                            Some(crate::graphics::overlays::CardDeal {
                                product_id: d.product_id.clone(),
                                price: crate::products::price::Money::parse(&d.price, &d.currency).ok()?,
                                ends_ns: now_ns + d.ends_ms.saturating_sub(now_ms) * 1_000_000,
                                left: *left,
                            })
                        })
                        .collect();
                    let auction = on_sale.auction.as_ref().and_then(|a| {
                        Some(crate::graphics::overlays::CardAuction {
                            id: a.id,
                            product_id: a.product_id.clone(),
                            price: crate::products::price::Money::parse(&a.price, &a.currency).ok()?,
                            leader: a.leader.clone(),
                            bids: a.bids,
                            ends_ns: now_ns + a.ends_ms.saturating_sub(now_ms) * 1_000_000,
                        })
                    });
                    let mut ov = ov.lock().unwrap_or_else(|e| e.into_inner());
                    ov.update_stock(catalog, now_ns);
                    ov.set_deals(deals, now_ns);
                    ov.set_auction(auction);
                });
                let chat =
                    crate::chat::Chat::open_with(config, show.graphics.catalog.clone(), Some(sink), Some(emitter))
                        .map_err(|e| anyhow::anyhow!("chat: {e}"))?;
                for w in &chat.warnings {
                    tracing::warn!("{w}");
                }
                // An auction the last run left open (kill -9): its card
                // comes back up with the time it had left.
                let open = chat
                    .state()
                    .auctions
                    .last()
                    .filter(|a| a.ended.is_none())
                    .map(|a| a.start.code.clone());
                if let Some(code) = open {
                    let card = crate::graphics::GraphicsCommand::Feature(code);
                    if let Err(e) = overlays.lock().unwrap_or_else(|e| e.into_inner()).apply(&card, 0) {
                        tracing::warn!("the open auction's card: {e}");
                    }
                }
                Some(chat)
            }
            None => None,
        };
        let gpu = match options.gpu {
            Some(g) => g,
            None => crate::compositor::gpu::Gpu::new_headless().context("cannot start the GPU compositor")?,
        };
        // Graphics get compositor source slots after the show's sources.
        let n_canvases = show.canvases.len();
        let slots = first_graphic + crate::graphics::Overlays::slots_needed(n_canvases);
        let gpu_error = crate::compositor::gpu::catch_errors(&gpu.device);
        let mut compositor = Compositor::with_gpu(gpu, &show.canvases, slots);
        let views = options.studio.then(|| compositor.enable_studio(show.scenes.len()));
        compositor.warm_up(&show.scenes);
        let bundled = || crate::media::frame::decode_png(include_bytes!("../../../assets/slate/signal-lost.png"));
        let slate = match &show.slate {
            // Checked as a PNG when the show was read; a picture that still
            // does not decode falls back to the bundled slate, said once.
            Some(path) => std::fs::read(path)
                .map_err(anyhow::Error::from)
                .and_then(crate::media::frame::decode_png)
                .or_else(|e| {
                    tracing::warn!("slate {}: {e:#}; showing the bundled one", path.display());
                    bundled()
                }),
            None => bundled(),
        };
        match slate {
            Ok(slate) => compositor.set_slate(&slate),
            Err(e) => tracing::warn!("no signal-lost slate: {e:#}"),
        }
        let gpu = compositor.adapter_name();

        let mut sources = Vec::new();
        for s in &show.sources {
            sources.push(SourceHandle::start(s)?);
        }
        let mut encoders = Vec::new();
        let mut kbps = Vec::new();
        for (i, c) in show.canvases.iter().enumerate() {
            let k = show.video_kbps(i);
            let enc =
                CanvasEncoder::new(c, k).with_context(|| format!("canvas `{}`: cannot start its encoder", c.id))?;
            tracing::info!(
                "canvas `{}`: {}×{} @ {} fps, {} at {} kb/s",
                c.id,
                c.width,
                c.height,
                c.fps,
                enc.encoder_name,
                k
            );
            encoders.push(Arc::new(enc));
            kbps.push(k);
        }

        for w in &show.warnings {
            tracing::warn!("{w}");
        }
        let urls: Vec<String> = show
            .graphics
            .catalog
            .products
            .iter()
            .flat_map(|p| p.images.first())
            .filter(|i| crate::products::images::is_url(i))
            .cloned()
            .collect();
        if !urls.is_empty() {
            crate::products::images::prefetch(urls, crate::products::images::cache_dir());
        }
        // Destination and recording state changes go to the event stream as
        // they happen.
        let emitter = crate::events::Emitter::new(events.clone(), clock.clone());
        let jobs = jobs::Jobs::new(emitter.clone());
        let outputs = Arc::new(outputs::Outputs::new(
            &show,
            encoders.iter().map(|e| e.fanout.clone()).collect(),
            emitter,
            options.rehearsal,
        ));
        // One signal ends every thread of the show: loops paced by the
        // clock look at it each tick, waiting ones are woken by it.
        let shutdown = Shutdown::new();

        // The show clock starts now: drop audio buffered while starting up.
        for s in &sources {
            if let Some(a) = &s.audio {
                a.clear();
            }
        }
        let t0 = Instant::now();
        let _ = clock.set(t0);
        let studio_canvas = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let multiview = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let tiles_drawn = Arc::new(std::sync::atomic::AtomicU64::new(0));
        let program = Arc::new(program::Program::new(show.start_scene));
        let scenes = Arc::new(std::sync::RwLock::new(show.scenes.clone()));
        let counters: Vec<_> = show
            .canvases
            .iter()
            .map(|_| Arc::new(CanvasCounters::default()))
            .collect();
        let (probe_tx, probe_rx) = std::sync::mpsc::channel();
        let quality = governor::Quality::new();
        let previews = Arc::new(render_loop::PreviewPictures::default());
        let render = {
            let rl = RenderLoop {
                new_sources: probe_rx,
                compositor,
                show: show.clone(),
                sources: sources.iter().map(|s| s.probe()).collect(),
                encoders: encoders.clone(),
                counters: counters.clone(),
                program: program.clone(),
                scenes: scenes.clone(),
                stop: shutdown.clone(),
                t0,
                studio_canvas: views.as_ref().map(|_| studio_canvas.clone()),
                thumb_every_ticks: options.thumb_every_ticks,
                tile_every_ticks: options.tile_every_ticks,
                multiview: multiview.clone(),
                tiles_drawn: tiles_drawn.clone(),
                overlays: overlays.clone(),
                quality: quality.clone(),
                events: events.clone(),
                previews: previews.clone(),
            };
            std::thread::Builder::new()
                .name("render".into())
                .spawn(move || rl.run())?
        };
        // Negative offsets take an input earlier than the rest: every
        // input then waits that long and blocks are stamped that much earlier.
        let base_delay = show
            .sources
            .iter()
            .map(|s| -s.audio.offset_ms)
            .max()
            .unwrap_or(0)
            .max(0);
        let mut mix = crate::audio::Mixer::new(show.audio.ceiling_dbtp, base_delay);
        for (spec, handle) in show.sources.iter().zip(&sources) {
            if let Some(ring) = &handle.audio {
                mix.add_input(&spec.id, ring.clone(), spec.audio.clone());
            }
        }
        let monitor_stop = Shutdown::new();
        if let Some(device) = show.audio.monitor.clone() {
            let ring = Arc::new(crate::audio::ring::AudioRing::default());
            mix.set_monitor(ring.clone());
            let stop = monitor_stop.clone();
            std::thread::Builder::new()
                .name("monitor".into())
                .spawn(move || crate::audio::monitor::run(device, ring, stop))?;
        }
        let mixer_state = Arc::new(Mutex::new(mix));
        let mixer = {
            let (m, enc, stop) = (mixer_state.clone(), encoders.clone(), shutdown.clone());
            std::thread::Builder::new()
                .name("mixer".into())
                .spawn(move || render_loop::run_mixer(m, enc, stop, t0))?
        };
        let cues = cues::spawn(show.cues.clone(), overlays.clone(), shutdown.clone(), t0)?;
        // One owner of the stock shown: with chat, the claims ledger takes
        // the store's figures and tells the card; without, the card takes them.
        let stock = match &show.graphics.refresh {
            Some(r) => {
                let sink: crate::products::refresh::StockSink = match &chat {
                    Some(chat) => {
                        let to_ledger = chat.restocker();
                        Box::new(move |fresh| {
                            to_ledger.send(fresh);
                        })
                    }
                    None => {
                        let ov = overlays.clone();
                        Box::new(move |fresh| {
                            let now_ns = t0.elapsed().as_nanos() as u64;
                            let changed = ov
                                .lock()
                                .unwrap_or_else(|e| e.into_inner())
                                .update_stock(&fresh, now_ns);
                            if !changed.is_empty() {
                                tracing::info!("stock refreshed: {} changed", changed.join(", "));
                            }
                        })
                    }
                };
                Some(crate::products::refresh::spawn(r.clone(), sink, shutdown.clone())?)
            }
            None => None,
        };
        let governor = {
            let g = governor::Governor {
                show: show.clone(),
                gpu: gpu.clone(),
                counters: counters.clone(),
                encoders: encoders.clone(),
                quality: quality.clone(),
                events: events.clone(),
                stop: shutdown.clone(),
                t0,
            };
            std::thread::Builder::new()
                .name("governor".into())
                .spawn(move || g.run())?
        };
        let pulse = {
            let p = pulse::Pulse {
                outputs: outputs.clone(),
                canvases: show
                    .canvases
                    .iter()
                    .zip(counters.iter().zip(&encoders))
                    .map(|(c, (k, e))| (c.id.clone(), k.clone(), e.clone()))
                    .collect(),
                mixer: mixer_state.clone(),
                chat: chat.as_ref().map(|c| c.shared_state()),
                events: events.clone(),
                stop: shutdown.clone(),
                t0,
                period: pulse::PERIOD,
            };
            std::thread::Builder::new()
                .name("pulse".into())
                .spawn(move || p.run())?
        };
        let (controls, first_status) = uplink::plan(&show);
        let uplink_status = Arc::new(Mutex::new(first_status));
        let uplink = {
            let u = uplink::Uplink {
                controls,
                outputs: outputs.clone(),
                encoders: encoders.clone(),
                show: show.clone(),
                events: events.clone(),
                status: uplink_status.clone(),
                stop: shutdown.clone(),
                t0,
            };
            std::thread::Builder::new()
                .name("uplink".into())
                .spawn(move || u.run())?
        };
        // Last: on air once everything else has started.
        if options.live {
            outputs.record(true);
            outputs.go_live(None);
        }
        events.emit(
            0,
            Event::Start {
                show: show.name.clone(),
                scene: show.scenes[show.start_scene].id.clone(),
            },
        );
        let n = show.canvases.len();
        let target_lufs = show.audio.target_lufs;
        let rundown = show
            .rundown
            .as_ref()
            .map(|r| Mutex::new(rundown::Rundown::new(r.segments.clone())));
        Ok(Engine {
            rehearsal: options.rehearsal,
            show,
            program,
            scenes,
            t0,
            gpu,
            render: Some(render),
            mixer: Some(mixer),
            sources: Mutex::new(sources),
            added_specs: Mutex::new(Vec::new()),
            new_probes: probe_tx,
            mixer_state,
            target_lufs,
            monitor_stop,
            encoders,
            kbps,
            outputs,
            views,
            studio_canvas,
            multiview,
            tiles_drawn,
            counters,
            last_fps: Mutex::new((t0, vec![0; n], vec![0.0; n])),
            health: Default::default(),
            overlays,
            events,
            cues,
            stock,
            chat,
            quality,
            previews,
            governor: Some(governor),
            pulse: Some(pulse),
            uplink: Some(uplink),
            uplink_status,
            shut_down: false,
            gpu_error,
            jobs,
            shutdown,
            rundown,
        })
    }

    /// The show clock.
    fn now_ns(&self) -> u64 {
        self.t0.elapsed().as_nanos() as u64
    }

    /// Where the event log is written, if anywhere.
    pub fn event_log(&self) -> Option<&std::path::Path> {
        self.events.path()
    }

    /// Follows what happens on air from now on (docs/ARCHITECTURE.md: the
    /// event stream). A subscriber that does not keep up loses the oldest
    /// events and is told how many; the engine never waits for it.
    pub fn subscribe(&self) -> crate::events::Subscription {
        self.events.subscribe()
    }

    /// Why the engine can no longer run (the render thread ended), if so.
    pub fn fatal_error(&self) -> Option<String> {
        if let Some(e) = self.gpu_error.lock().unwrap_or_else(|e| e.into_inner()).clone() {
            return Some(format!("the GPU reported an error: {e}"));
        }
        let dead = self.render.as_ref().is_some_and(|r| r.is_finished()) && !self.shutdown.is_triggered();
        dead.then(|| "the compositor stopped unexpectedly (see the log above)".to_string())
    }

    /// Platform chat, when the show has `[chat]`: to read. Moderation,
    /// claims, exports and draft orders are commands.
    pub fn chat(&self) -> Option<crate::chat::ChatView<'_>> {
        self.chat.as_ref().map(|c| c.view())
    }

    fn chat_or_refuse(&self) -> Result<&crate::chat::Chat, CommandError> {
        self.chat.as_ref().ok_or(CommandError::NoChat)
    }

    /// A job as it is now (None: no such job).
    pub fn job(&self, id: jobs::JobId) -> Option<jobs::JobStatus> {
        self.jobs.list().into_iter().find(|j| j.id == id)
    }

    /// Waits until job `id` has finished, at most `timeout`.
    pub fn wait_job(&self, id: jobs::JobId, timeout: Duration) -> Option<jobs::JobStatus> {
        self.jobs.wait(id, timeout)
    }

    fn start_job(
        &self,
        kind: &str,
        work: impl FnOnce() -> Result<String, String> + Send + 'static,
    ) -> Result<Outcome, CommandError> {
        self.jobs.spawn(kind, work).map(Outcome::Job).map_err(CommandError::Job)
    }

    pub fn show(&self) -> &Show {
        &self.show
    }

    /// The show, shared (for readers that also send commands meanwhile).
    pub fn shared_show(&self) -> Arc<Show> {
        self.show.clone()
    }

    /// A scene as it is now (layers may have been changed while live).
    pub fn scene(&self, index: usize) -> crate::show::SceneSpec {
        self.scenes.read().unwrap_or_else(|e| e.into_inner())[index].clone()
    }

    /// The textures a studio window draws (started with `studio: true`).
    pub fn views(&self) -> Option<&crate::compositor::StudioViews> {
        self.views.as_ref()
    }

    /// Which canvas's preview scene the studio shows (and so is rendered).
    pub fn set_studio_canvas(&self, canvas: usize) {
        self.studio_canvas.store(canvas, Ordering::Relaxed);
    }

    /// Whether a multiview is on screen: only then are the sources' tiles
    /// (`views().tiles`) drawn, a few a second.
    pub fn set_multiview(&self, shown: bool) {
        self.multiview.store(shown, Ordering::Relaxed);
    }

    /// Multiview source tiles the render thread has drawn so far.
    pub fn multiview_tiles_drawn(&self) -> u64 {
        self.tiles_drawn.load(Ordering::Relaxed)
    }

    fn set_layer(&self, scene: String, source: String, change: LayerChange) -> Result<(), CommandError> {
        let si = self.scene_index(scene.clone())?;
        let src = self.source_index(&source);
        let mut scenes = self.scenes.write().unwrap_or_else(|e| e.into_inner());
        let (item, layer) = scenes[si]
            .layers
            .iter_mut()
            .enumerate()
            .find(|(_, l)| Some(l.source) == src)
            .ok_or_else(|| CommandError::UnknownLayer(scene.clone(), source))?;
        let what = change.name();
        match change {
            LayerChange::Opacity(o) if (0.0..=1.0).contains(&o) => layer.opacity = o,
            LayerChange::Opacity(o) => {
                return Err(CommandError::OutOfRange {
                    what: "opacity",
                    value: o,
                    range: "0.0 to 1.0",
                });
            }
            LayerChange::Rotation(r) => layer.style.rotation = r,
            LayerChange::Radius(r) if r >= 0.0 => layer.style.radius = r,
            LayerChange::Radius(r) => {
                return Err(CommandError::OutOfRange {
                    what: "radius",
                    value: r,
                    range: "0 or more",
                });
            }
            LayerChange::Mirror(m) => layer.style.mirror = m,
            LayerChange::Place { canvas, rect } => {
                let c = self
                    .show
                    .canvas_index(&canvas)
                    .ok_or(CommandError::UnknownCanvas(canvas))?;
                layer.place[c] = Some(rect);
            }
            LayerChange::Style(style) => layer.style = style,
            LayerChange::Visible(v) => layer.hidden = !v,
        }
        let visible = !layer.hidden;
        drop(scenes);
        self.events.emit(
            self.now_ns(),
            Event::Layer {
                scene,
                item: item + 1,
                change: what.into(),
                visible,
            },
        );
        Ok(())
    }

    fn lock_mixer(&self) -> std::sync::MutexGuard<'_, crate::audio::Mixer> {
        self.mixer_state.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn lock_sources(&self) -> std::sync::MutexGuard<'_, Vec<SourceHandle>> {
        self.sources.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Ids of every source, added ones included, by index.
    pub fn source_ids(&self) -> Vec<String> {
        self.lock_sources().iter().map(|s| s.id.clone()).collect()
    }

    /// The settings of source `index` (the show's or an added one).
    pub fn source_spec(&self, index: usize) -> Option<crate::show::SourceSpec> {
        let n = self.show.sources.len();
        match index.checked_sub(n) {
            None => self.show.sources.get(index).cloned(),
            Some(i) => self
                .added_specs
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .get(i)
                .cloned(),
        }
    }

    fn source_index(&self, id: &str) -> Option<usize> {
        self.lock_sources().iter().position(|s| s.id == id)
    }

    /// Starts a source while the show runs; it becomes the top layer of
    /// `scene`. Its pipeline runs and reconnects like the show's own.
    fn add_source(
        &self,
        spec: crate::show::SourceSpec,
        scene: String,
        place: Vec<Option<crate::show::Rect>>,
    ) -> Result<(), CommandError> {
        let si = self.scene_index(scene)?;
        if place.len() != self.show.canvases.len() {
            return Err(CommandError::PlacesPerCanvas {
                source_id: spec.id,
                canvases: self.show.canvases.len(),
            });
        }
        let mut sources = self.lock_sources();
        if sources.iter().any(|s| s.id == spec.id) {
            return Err(CommandError::SourceExists(spec.id));
        }
        let index = sources.len();
        if index >= self.show.sources.len() + SPARE_SOURCES {
            return Err(CommandError::TooManySources(SPARE_SOURCES));
        }
        let handle = SourceHandle::start(&spec).map_err(|e| CommandError::SourceStart {
            source_id: spec.id.clone(),
            reason: format!("{e:#}"),
        })?;
        // Sent while the sources are locked, so the render thread gets
        // probes in source order.
        if self.new_probes.send(handle.probe()).is_err() {
            return Err(CommandError::Stopping);
        }
        if let Some(a) = &handle.audio {
            self.lock_mixer().add_input(&spec.id, a.clone(), spec.audio.clone());
        }
        sources.push(handle);
        drop(sources);
        let kind = spec.config.kind_name();
        let id = spec.id.clone();
        let has_video = spec.config.has_video();
        self.added_specs.lock().unwrap_or_else(|e| e.into_inner()).push(spec);
        let mut scenes = self.scenes.write().unwrap_or_else(|e| e.into_inner());
        let layers = &mut scenes[si].layers;
        let z = layers.iter().map(|l| l.z).max().unwrap_or(0) + 1;
        // Sound only (a microphone): into the mix, not into a scene.
        if has_video {
            layers.push(crate::show::LayerSpec {
                source: index,
                z,
                opacity: 1.0,
                crop: Default::default(),
                place,
                style: crate::show::Style {
                    fit: crate::show::Fit::Fit,
                    ..Default::default()
                },
                hidden: false,
            });
        }
        self.events.emit(
            self.now_ns(),
            Event::AddSource {
                source: id.to_string(),
                kind: kind.to_string(),
                scene: scenes[si].id.clone(),
            },
        );
        Ok(())
    }

    fn scene_index(&self, id: String) -> Result<usize, CommandError> {
        self.show
            .scenes
            .iter()
            .position(|s| s.id == id)
            .ok_or(CommandError::UnknownScene(id))
    }

    fn for_destination(
        &self,
        id: Option<String>,
        f: impl FnOnce(&outputs::Outputs, Option<&str>) -> bool,
    ) -> Result<(), CommandError> {
        if f(&self.outputs, id.as_deref()) {
            Ok(())
        } else {
            Err(CommandError::UnknownDestination(id.unwrap_or_default()))
        }
    }

    /// Does what a client asks. Returns at once: long work is a job (its id
    /// in `Outcome::Job`), and outputs that take time to end say so in
    /// their state (`stopping`, `finalizing`).
    pub fn execute(&self, cmd: Command) -> Result<Outcome, CommandError> {
        // What goes on air goes to the event log (graphics log their own).
        let event = match &cmd {
            Command::TakeScene(id) => Some(Event::Cut { scene: id.clone() }),
            Command::Take(spec) => Some(Event::Take {
                scene: self.show.scenes.get(self.program.preview()).map(|s| s.id.clone()),
                transition: Some(format!("{:?}", spec.unwrap_or(self.show.transition).kind)),
                tbar: false,
            }),
            Command::TBar(p) if *p >= 1.0 => Some(Event::Take {
                scene: self.show.scenes.get(self.program.preview()).map(|s| s.id.clone()),
                transition: None,
                tbar: true,
            }),
            Command::PreviewScene(id) => Some(Event::Preview { scene: id.clone() }),
            Command::GoLive(id) => Some(Event::GoLive {
                destination: id.clone(),
            }),
            Command::EndShow(id) => Some(Event::EndShow {
                destination: id.clone(),
            }),
            Command::Record(on) => Some(Event::Record { on: *on }),
            _ => None,
        };
        let result = self.run_command(cmd);
        if let (Ok(_), Some(event)) = (&result, event) {
            self.events.emit(self.now_ns(), event);
        }
        result
    }

    fn run_command(&self, cmd: Command) -> Result<Outcome, CommandError> {
        let done = match cmd {
            Command::Chat(crate::chat::state::Action::DrawGiveaway { giveaway, seed }) => {
                // The winner is known once the draw is in the log: a job,
                // which then puts them on screen.
                let draw = self
                    .chat_or_refuse()?
                    .draw_job(giveaway, seed)
                    .map_err(CommandError::Chat)?;
                let (overlays, t0) = (self.overlays.clone(), self.t0);
                let words = self.show.graphics.template.words.winner.clone();
                return self.start_job("giveaway_draw", move || {
                    let (name, platform) = draw()?;
                    let card = crate::graphics::GraphicsCommand::FeatureComment {
                        author: name.clone(),
                        platform: platform.clone(),
                        text: words,
                    };
                    let now = t0.elapsed().as_nanos() as u64;
                    overlays
                        .lock()
                        .unwrap_or_else(|e| e.into_inner())
                        .apply(&card, now)
                        .map_err(|e| e.to_string())?;
                    Ok(format!("giveaway {giveaway}: {name} on {platform} wins"))
                });
            }
            Command::ExportGiveaway(giveaway, path) => {
                let job = self.chat_or_refuse()?.export_giveaway_job(giveaway, path);
                return self.start_job("giveaway_csv", job);
            }
            Command::Chat(crate::chat::state::Action::StartAuction(req)) => {
                // The auction's card goes up with it, on every canvas.
                let chat = self.chat_or_refuse()?;
                let card = crate::graphics::GraphicsCommand::Feature(req.product.clone());
                let pending = chat
                    .act(crate::chat::state::Action::StartAuction(req))
                    .map_err(CommandError::Chat)?;
                verdict(pending)?;
                self.overlays
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .apply(&card, self.now_ns())?;
                Ok(())
            }
            Command::Chat(action) => {
                let pending = self.chat_or_refuse()?.act(action).map_err(CommandError::Chat)?;
                verdict(pending)
            }
            Command::ExportClaims(path) => {
                let job = self.chat_or_refuse()?.export_claims_job(path);
                return self.start_job("claims_csv", job);
            }
            Command::DraftOrders => {
                let job = self.chat_or_refuse()?.draft_orders_job().map_err(CommandError::Chat)?;
                return self.start_job("draft_orders", job);
            }
            Command::TakeScene(id) => {
                self.program.cut_to(self.scene_index(id)?);
                Ok(())
            }
            Command::Rundown(cmd) => self.move_rundown(cmd),
            Command::SetLayer { scene, source, change } => self.set_layer(scene, source, change),
            Command::PreviewScene(id) => {
                self.program.set_preview(self.scene_index(id)?);
                Ok(())
            }
            Command::Take(spec) => {
                let spec = spec.unwrap_or(self.show.transition);
                if let crate::show::TransitionKind::Stinger { source, .. } = spec.kind {
                    // The stinger plays from its start at every take.
                    if let Some(s) = self.lock_sources().get(source) {
                        s.rewind();
                    }
                }
                self.program.take(spec);
                Ok(())
            }
            Command::ReconnectNow(id) => self.for_destination(id, |o, id| o.reconnect_now(id)),
            Command::GoLive(id) => self.for_destination(id, |o, id| o.go_live(id)),
            Command::EndShow(id) => self.for_destination(id, |o, id| o.end(id)),
            Command::Record(on) => {
                self.outputs.record(on);
                Ok(())
            }
            Command::TBar(position) if (0.0..=1.0).contains(&position) => {
                let mut spec = self.show.transition;
                if matches!(
                    spec.kind,
                    crate::show::TransitionKind::Cut | crate::show::TransitionKind::Stinger { .. }
                ) {
                    // A cut has nothing to mix and a stinger plays on its own clock.
                    spec.kind = crate::show::TransitionKind::Fade;
                }
                self.program.set_tbar(position, spec);
                Ok(())
            }
            Command::TBar(position) => Err(CommandError::OutOfRange {
                what: "T-bar position",
                value: position,
                range: "0.0 to 1.0",
            }),
            Command::AddSource { source, scene, place } => self.add_source(source, scene, place),
            Command::SetAudio { source, change } => {
                let mut now = (false, 0.0);
                self.lock_mixer()
                    .set(&source, |s| {
                        match change {
                            AudioChange::GainDb(g) => s.gain_db = g,
                            AudioChange::Mute(m) => s.mute = m,
                            AudioChange::Pan(p) => s.pan = p,
                            AudioChange::OffsetMs(o) => s.offset_ms = o,
                            AudioChange::Denoise(on) => s.voice.denoise = on,
                        }
                        now = (s.mute, s.gain_db);
                    })
                    .map_err(CommandError::Audio)?;
                self.events.emit(
                    self.now_ns(),
                    Event::Audio {
                        input: source,
                        muted: now.0,
                        gain_db: now.1,
                    },
                );
                Ok(())
            }
            Command::Graphics(g) => self
                .overlays
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .apply(&g, self.now_ns())
                .map_err(CommandError::Graphics),
        };
        done.map(|()| Outcome::Done)
    }

    /// The rundown's segments as they are now (edited ones included).
    pub fn rundown(&self) -> Vec<crate::show::rundown::Segment> {
        self.rundown
            .as_ref()
            .map(|r| r.lock().unwrap_or_else(|e| e.into_inner()).segments().to_vec())
            .unwrap_or_default()
    }

    /// Moves the rundown: the segment's scene is cut to program and its
    /// graphics go up, all under the overlays' lock, so every canvas's
    /// next frame has both.
    fn move_rundown(&self, cmd: rundown::RundownCommand) -> Result<(), CommandError> {
        let r = self.rundown.as_ref().ok_or(rundown::RundownError::NoRundown)?;
        let mut r = r.lock().unwrap_or_else(|e| e.into_inner());
        if let rundown::RundownCommand::Set(segments) = cmd {
            self.check_segments(&segments)?;
            r.set(segments);
            return Ok(());
        }
        let how = cmd.name();
        let index = r.target(&cmd)?;
        let now = self.now_ns();
        let (scene, graphics) = r.enter(index, now);
        let scene = scene.map(|s| self.scene_index(s.clone()).map(|i| (i, s))).transpose()?;
        let mut overlays = self.overlays.lock().unwrap_or_else(|e| e.into_inner());
        if let Some((i, id)) = scene {
            self.program.cut_to(i);
            self.events.emit(now, Event::Cut { scene: id });
        }
        for g in &graphics {
            overlays.apply(g, now)?;
        }
        drop(overlays);
        // The segment's flash deal, priced by the claims ledger.
        if let Some((code, deal)) = r.deal(index)
            && let Some(chat) = &self.chat
        {
            let product_id = self
                .show
                .graphics
                .catalog
                .products
                .iter()
                .find(|p| p.code == code)
                .map(|p| p.id.clone())
                .unwrap_or(code);
            let req = crate::chat::deals::DealRequest {
                product_id,
                price: deal.price,
                seconds: deal.seconds,
                cap: deal.cap,
                per_buyer: deal.per_buyer,
            };
            // The segment is on air either way; a deal still on (the crew
            // came back to this segment) goes on as it was.
            if let Err(e) = chat.act(crate::chat::state::Action::StartDeal(req)) {
                tracing::warn!("segment \"{}\": {e}", r.segments()[index].title);
            }
        }
        let status = r.status(now);
        self.events.emit(
            now,
            Event::Segment {
                index: index + 1,
                of: status.segments,
                title: r.segments()[index].title.clone(),
                how: how.into(),
                next: status.next.map(|n| n.title),
            },
        );
        Ok(())
    }

    /// Edited segments name only the show's scenes and products.
    fn check_segments(&self, segments: &[crate::show::rundown::Segment]) -> Result<(), rundown::RundownError> {
        if segments.is_empty() {
            return Err(rundown::RundownError::Empty);
        }
        let products = &self.show.graphics.catalog.products;
        for s in segments {
            let invalid = |message: String, hint: &str| rundown::RundownError::Invalid {
                title: s.title.clone(),
                message,
                hint: hint.into(),
            };
            if s.title.trim().is_empty() {
                return Err(invalid("no title".into(), "give the segment a title"));
            }
            if let Some(scene) = &s.scene
                && !self.show.scenes.iter().any(|sc| &sc.id == scene)
            {
                return Err(invalid(format!("no scene `{scene}`"), "name one of the show's scenes"));
            }
            if let Some(code) = s.products.iter().find(|c| !products.iter().any(|p| &p.code == *c)) {
                return Err(invalid(
                    format!("no product `{code}`"),
                    "use a claim code of the catalog",
                ));
            }
        }
        Ok(())
    }

    /// The picture on program of canvas `canvas` now, as last sent to its
    /// encoder: NV12 bytes at the canvas's size. None before the first.
    pub fn program_picture(&self, canvas: usize) -> Option<Vec<u8>> {
        self.program_frame(canvas).map(|(_, picture)| picture)
    }

    /// The picture on program of canvas `canvas` with its frame number on
    /// the wire (ticks of the canvas's frame rate since the show clock
    /// started; see `next_tick`).
    pub fn program_frame(&self, canvas: usize) -> Option<(u64, Vec<u8>)> {
        let (tick, buf) = self.encoders.get(canvas)?.last_picture_at()?;
        let map = buf.map_readable().ok()?;
        Some((tick, map.as_slice().to_vec()))
    }

    /// The tick (frame number) canvas `canvas` is due to draw next: the
    /// first frame that can show a change made now.
    pub fn next_tick(&self, canvas: usize) -> Option<u64> {
        let frame_ns = self.encoders.get(canvas)?.frame_ns();
        Some(self.now_ns() / frame_ns + 1)
    }

    /// Draw each canvas's preview scene a few times a second for readers
    /// (a crew console's producer page), or stop. Costs one more render of
    /// each canvas per picture while on.
    pub fn want_preview_pictures(&self, on: bool) {
        self.previews.wanted.store(on, Ordering::Relaxed);
    }

    /// The preview scene of canvas `canvas` as last drawn for readers, as
    /// RGBA at the canvas's size; None before `want_preview_pictures`.
    pub fn preview_picture(&self, canvas: usize) -> Option<Arc<Vec<u8>>> {
        self.previews
            .latest
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(canvas)
            .cloned()
            .flatten()
    }

    /// The mix alone (what `snapshot().audio` holds), for readers that
    /// want it often (a controller's meters, 20 times a second).
    pub fn audio(&self) -> stats::AudioStats {
        let m = self.lock_mixer();
        let master = m.master().into();
        stats::AudioStats {
            inputs: m.inputs().into_iter().map(Into::into).collect(),
            hint: stats::AudioStats::loudness_hint(&master, self.target_lufs),
            master,
            integrated_lufs: m.integrated_lufs(),
            target_lufs: self.target_lufs,
        }
    }

    /// The chat's live figures as the snapshot shows them.
    fn live_metrics(&self) -> Option<stats::LiveMetrics> {
        let chat = self.chat.as_ref()?;
        Some(stats::live_metrics(&chat.state(), crate::chat::log::now_ms()))
    }

    /// The show's latest auction as the snapshot shows it.
    fn auction_stats(&self) -> Option<stats::AuctionStats> {
        let chat = self.chat.as_ref()?;
        let now_ms = crate::chat::log::now_ms();
        chat.state().auctions.last().map(|a| stats::AuctionStats::of(a, now_ms))
    }

    pub fn snapshot(&self) -> Snapshot {
        let mut fps = self.last_fps.lock().unwrap_or_else(|e| e.into_inner());
        let dt = fps.0.elapsed().as_secs_f64();
        let rendered: Vec<u64> = self
            .counters
            .iter()
            .map(|c| c.rendered.load(Ordering::Relaxed))
            .collect();
        if dt >= 0.5 {
            let rates: Vec<f64> = rendered
                .iter()
                .zip(&fps.1)
                .map(|(now, before)| (now - before) as f64 / dt)
                .collect();
            fps.2 = rates;
            fps.0 = Instant::now();
            fps.1 = rendered.clone();
        }
        let canvases = self
            .show
            .canvases
            .iter()
            .enumerate()
            .map(|(i, c)| CanvasStats {
                id: c.id.clone(),
                width: c.width,
                height: c.height,
                fps: c.fps,
                measured_fps: fps.2[i],
                frames_rendered: rendered[i],
                frames_dropped: self.counters[i].late_dropped.load(Ordering::Relaxed)
                    + self.encoders[i].dropped.load(Ordering::Relaxed),
                late_ticks: self.counters[i].late_dropped.load(Ordering::Relaxed),
                encoder_dropped: self.encoders[i].dropped.load(Ordering::Relaxed),
                throttled_ticks: self.counters[i].throttled.load(Ordering::Relaxed),
                frames_encoded: self.encoders[i].pushed.load(Ordering::Relaxed),
                repeated_frames: self.encoders[i].repeated.load(Ordering::Relaxed),
                keyframes_forced: self.encoders[i].keyframes_forced.load(Ordering::Relaxed),
                wire_holes: self.encoders[i].holes.load(Ordering::Relaxed),
                encoder: self.encoders[i].encoder_name.clone(),
                x264_speed: self.encoders[i].speed().map(String::from),
                video_kbps: self.encoders[i].bitrate(),
                show_kbps: self.kbps[i],
            })
            .collect();
        let recordings = self.outputs.recording_stats();
        // Each lock in a statement of its own: a guard in the literal below
        // would be held to its end, while the next field takes another lock
        // (the chat writer holds the chat's while it takes the overlays').
        let sources = self
            .lock_sources()
            .iter()
            .map(|s| SourceStats {
                id: s.id.clone(),
                signal_lost: s.signal_lost(),
                restarts: s.restarts.load(Ordering::Relaxed),
                ended: s.ended.load(Ordering::Relaxed),
                frames: s
                    .video
                    .as_ref()
                    .map(|v| v.delivered.load(Ordering::Relaxed))
                    .unwrap_or(0),
                error: s.error.lock().unwrap_or_else(|e| e.into_inner()).clone(),
            })
            .collect();
        let graphics = self
            .overlays
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .status(self.now_ns())
            .into();
        let rundown = self
            .rundown
            .as_ref()
            .map(|r| r.lock().unwrap_or_else(|e| e.into_inner()).status(self.now_ns()));
        let auction = self.auction_stats();
        let metrics = self.live_metrics();
        let mut snap = Snapshot {
            schema: stats::SCHEMA,
            rehearsal: self.rehearsal,
            warnings: Vec::new(),
            elapsed_s: self.t0.elapsed().as_secs_f64(),
            scene: self.show.scenes[self.program.program()].id.clone(),
            preview: self.show.scenes[self.program.preview()].id.clone(),
            in_transition: self.program.in_transition(),
            tbar: self.program.tbar(),
            gpu: self.gpu.clone(),
            canvases,
            destinations: self.outputs.destination_status().into_iter().map(Into::into).collect(),
            recordings,
            sources,
            graphics,
            audio: self.audio(),
            quality: self.quality.status(),
            uplink: self.uplink_status.lock().unwrap_or_else(|e| e.into_inner()).clone(),
            jobs: self.jobs.list(),
            rundown,
            auction,
            metrics,
        };
        snap.warnings = self.health.warnings(&snap);
        snap.warnings.extend(snap.quality.advice());
        if let Some(h) = &snap.audio.hint {
            snap.warnings.push(h.clone());
        }
        snap
    }

    /// Ends the show cleanly: last frames encoded, EOS to every server,
    /// recordings finalised. Returns the final snapshot.
    pub fn stop(mut self) -> Snapshot {
        self.shutdown().unwrap_or_else(|| self.snapshot())
    }

    /// Ends every thread and output, once: `stop` and `Drop` both call it.
    fn shutdown(&mut self) -> Option<Snapshot> {
        if self.shut_down {
            return None;
        }
        self.shut_down = true;
        self.shutdown.trigger();
        let compositor_died = self.render.as_ref().is_some_and(|r| r.is_finished());
        if let Some(r) = self.render.take() {
            let _ = r.join();
        }
        if let Some(m) = self.mixer.take() {
            let _ = m.join();
        }
        if let Some(c) = self.cues.take() {
            let _ = c.join();
        }
        if let Some(g) = self.governor.take() {
            let _ = g.join();
        }
        if let Some(p) = self.pulse.take() {
            let _ = p.join();
        }
        if let Some(u) = self.uplink.take() {
            let _ = u.join();
        }
        self.monitor_stop.trigger();
        // Not joined: a refresh in flight may wait for its store's answer;
        // the thread ends when it has it (woken at once otherwise).
        drop(self.stock.take());
        // An export or draft orders in flight finishes before the chat it
        // reads and logs to closes (the shop's requests have timeouts).
        let left = self.jobs.wait_all(Duration::from_secs(30));
        if left > 0 {
            tracing::warn!("{left} job(s) still running at the show's end: left to finish on their own");
        }
        // What the chat knew goes into the final snapshot before it closes.
        let auction = self.auction_stats();
        let metrics = self.live_metrics();
        drop(self.chat.take());
        self.events.emit(self.now_ns(), Event::Stop);
        let mut snap = self.snapshot();
        snap.auction = auction;
        snap.metrics = metrics;
        // When nothing was ever encoded there is nothing to wait for.
        let wait = if compositor_died {
            Duration::from_millis(200)
        } else {
            Duration::from_secs(5)
        };
        for e in &self.encoders {
            e.finish(wait);
        }
        self.outputs.finish_all();
        let final_snap = self.snapshot();
        snap.destinations = final_snap.destinations;
        snap.recordings = final_snap.recordings;
        for s in self.lock_sources().iter_mut() {
            s.stop();
        }
        Some(snap)
    }
}

impl Drop for Engine {
    fn drop(&mut self) {
        let _ = self.shutdown();
    }
}
