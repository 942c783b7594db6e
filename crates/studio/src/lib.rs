//! The studio window (egui/eframe on wgpu): preview and program, scenes,
//! outputs and health for hosts and directors. It shares its GPU device with
//! the engine, so preview, program and thumbnails are the compositor's own
//! textures, drawn without a CPU copy. Everything it does goes through the
//! engine's command API (`Engine::execute`) and reads `Engine::snapshot`.

// The layers below (docs/ARCHITECTURE.md).
use showroom_audio as audio;
use showroom_base::{secrets, session};
use showroom_compositor as compositor;
use showroom_engine as engine;
use showroom_graphics as graphics;
use showroom_media as media;
use showroom_show as show;

mod centre;
pub mod chat;
pub mod crew;
pub mod editor;
mod health;
pub mod hotkeys;
pub mod last_show;
mod mixer;
pub mod multiview;
mod panels;
mod products;
pub mod projector;
mod rundown;
mod sales;
mod selling;
mod sources;
pub mod theme;
pub mod video;
pub mod views;

use crate::engine::stats::Snapshot;
use crate::engine::{Command, Engine, StartOptions};
use anyhow::{Context, Result, anyhow};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// How often the window refreshes what the engine reports.
const SNAPSHOT_EVERY: Duration = Duration::from_millis(250);
/// How often the window repaints while a show is open (video panes).
const REPAINT_EVERY: Duration = Duration::from_millis(33);
/// The same on a software renderer (lavapipe), where every window frame is
/// CPU time taken from the canvases being encoded: 10 fps monitoring leaves
/// the program output as much as it can (docs/benchmarks.md).
const REPAINT_EVERY_SOFTWARE: Duration = Duration::from_millis(100);
/// Scene thumbnails on a software renderer: one scene a second.
const THUMB_EVERY_TICKS_SOFTWARE: u64 = 30;
/// Multiview source tiles on a software renderer: ten a second (every tick
/// on a GPU), drawn only while a multiview is shown.
const TILE_EVERY_TICKS_SOFTWARE: u64 = 3;
/// How often the window logs its own frame times (for benches/studio.sh).
const FRAME_LOG_EVERY: Duration = Duration::from_secs(10);

/// Preview beside program (a director), or program alone (a solo host).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Layout {
    Studio,
    Solo,
}

/// A question the host must answer before it happens.
#[derive(Debug, Clone, PartialEq)]
pub enum Confirm {
    GoLive(Option<String>),
    EndShow(Option<String>),
}

/// A stream key being typed for a destination whose key lives in the OS
/// keyring. The text is only ever shown masked and is wiped once saved.
pub struct KeyEntry {
    pub destination: String,
    /// The keyring entry name from the show file.
    pub name: String,
    pub text: String,
}

impl Drop for KeyEntry {
    fn drop(&mut self) {
        wipe(&mut self.text);
    }
}

/// Overwrites a string's bytes before it is freed (in a way the compiler
/// does not optimise away).
fn wipe(s: &mut String) {
    zeroize::Zeroize::zeroize(s);
}

/// The egui texture ids of the compositor's textures (with a GPU renderer).
struct Textures {
    program: Vec<egui::TextureId>,
    preview: Vec<egui::TextureId>,
    thumbs: Vec<egui::TextureId>,
    /// The multiview's source tiles, per source slot.
    tiles: Vec<egui::TextureId>,
}

pub struct Studio {
    engine: Option<std::sync::Arc<Engine>>,
    /// The remote control (obs-websocket), while it runs.
    remote: Option<showroom_remote::Remote>,
    /// Why the remote control could not start, when it could not.
    pub remote_error: Option<String>,
    /// The crew console and its invites (the Crew panel).
    pub crew: crew::Crew,
    show_path: PathBuf,
    textures: Option<Textures>,
    /// The canvas shown in the video panes.
    pub canvas: usize,
    pub layout: Layout,
    pub confirm: Option<Confirm>,
    /// The pre-flight check made when Go Live was pressed (not in a
    /// rehearsal): its red items are in the question.
    pub preflight: Option<crate::engine::preflight::Preflight>,
    pub key_entry: Option<KeyEntry>,
    pub editor: editor::Editor,
    /// The keys (defaults, or the user's studio.toml).
    pub keys: hotkeys::Keymap,
    snapshot: Snapshot,
    snapshot_at: Instant,
    /// A command was sent since: refresh at the next frame (once, however
    /// many commands a frame sends — a layer drag sends one per frame).
    stale: bool,
    /// The last command error or notice, and when it was shown.
    message: Option<(String, Instant)>,
    health: health::Meter,
    opened: Instant,
    /// Time from opening to the first frame of program painted, once.
    pub first_frame_after: Option<Duration>,
    frame_log_at: Instant,
    repaint_every: Duration,
    /// Product pictures for the products panel, made on first show.
    product_panel: Option<products::Cache>,
    rundown_panel: rundown::Panel,
    /// The "Add source" window, while open.
    pub add_source: Option<sources::AddSource>,
    /// The source whose properties the sources panel shows.
    pub source_selected: Option<usize>,
    /// The chat panel's tab, filters and selection.
    pub chat_view: chat::View,
    /// The Selling tab's fields.
    selling: selling::Form,
    /// Whether the chat panel is shown (top bar's "Chat").
    pub chat_open: bool,
    /// The user's saved views: multiview grid, safe area, projector monitor.
    pub views: views::Views,
    /// Open projectors (and the host monitor).
    pub projectors: Vec<projector::Projector>,
    next_projector: u64,
    /// The dock shown when the docks are tabs.
    dock: centre::Dock,
    /// Money as the cards write it (the host monitor).
    prices: Option<showroom_products::price::PriceFormatter>,
    /// The window's size now (kept in the views when it closes).
    window_size: Option<[f32; 2]>,
}

/// When the program started, if the command line noted it (for "launch →
/// first frame on screen").
pub static LAUNCHED: std::sync::OnceLock<Instant> = std::sync::OnceLock::new();

/// Opens the studio window on `show_path` until it is closed.
/// `rehearsal`: every destination a local sink, REHEARSAL on every canvas.
pub fn open(show_path: &Path, rehearsal: bool) -> Result<()> {
    let show = crate::show::load(show_path).map_err(|e| anyhow!("{e}"))?;
    last_show::remember(show_path);
    let mut title = format!("Showroom — {}", show.name);
    if rehearsal {
        title += " (REHEARSAL: nothing is sent)";
    }
    // The size the window had when it was last closed.
    let size = views::Views::load().0.window.unwrap_or([1360.0, 740.0]);
    let options = eframe::NativeOptions {
        viewport: egui::ViewportBuilder::default()
            .with_title(title.as_str())
            .with_inner_size(size)
            .with_min_inner_size(views::MIN_WINDOW),
        renderer: eframe::Renderer::Wgpu,
        ..Default::default()
    };
    let path = show_path.to_path_buf();
    eframe::run_native(
        "showroom",
        options,
        Box::new(move |cc| Ok(Box::new(Studio::new_with(cc, show, path, rehearsal)?))),
    )
    .map_err(|e| anyhow!("the studio window could not open: {e}"))
}

impl Studio {
    /// Starts the engine on the window's GPU device (when it has one) with
    /// nothing on air: going live and recording wait for the host.
    pub fn new(cc: &eframe::CreationContext<'_>, show: crate::show::Show, show_path: PathBuf) -> Result<Studio> {
        Self::new_with(cc, show, show_path, false)
    }

    /// `new`, as a rehearsal when `rehearsal` (docs/rehearsal.md).
    pub fn new_with(
        cc: &eframe::CreationContext<'_>,
        show: crate::show::Show,
        show_path: PathBuf,
        rehearsal: bool,
    ) -> Result<Studio> {
        for (name, data) in crate::graphics::text::window_fallbacks() {
            let families = [egui::FontFamily::Proportional, egui::FontFamily::Monospace]
                .into_iter()
                .map(|family| egui::epaint::text::InsertFontFamily {
                    family,
                    priority: egui::epaint::text::FontPriority::Lowest,
                })
                .collect();
            cc.egui_ctx.add_font(egui::epaint::text::FontInsert::new(
                name,
                egui::FontData::from_static(data),
                families,
            ));
        }
        // On a software renderer (lavapipe) every window frame and thumbnail
        // is CPU taken from the canvases being encoded.
        let software = cc
            .wgpu_render_state
            .as_ref()
            .is_some_and(|rs| rs.adapter.get_info().device_type == wgpu::DeviceType::Cpu);
        let gpu = cc.wgpu_render_state.as_ref().map(|rs| crate::compositor::gpu::Gpu {
            device: rs.device.clone(),
            queue: rs.queue.clone(),
            adapter_info: rs.adapter.get_info(),
        });
        let events = crate::session::event_log_path(&show.name);
        let engine = Engine::start_with(
            show,
            StartOptions {
                live: false,
                gpu,
                studio: true,
                thumb_every_ticks: if software { THUMB_EVERY_TICKS_SOFTWARE } else { 3 },
                tile_every_ticks: if software { TILE_EVERY_TICKS_SOFTWARE } else { 1 },
                events: Some(events),
                rehearsal,
            },
        )
        .context("cannot start the show")?;
        let textures = match (&cc.wgpu_render_state, engine.views()) {
            (Some(rs), Some(views)) => {
                let mut renderer = rs.renderer.write();
                let mut register = |v: &Vec<wgpu::TextureView>| -> Vec<egui::TextureId> {
                    v.iter()
                        .map(|view| renderer.register_native_texture(&rs.device, view, wgpu::FilterMode::Linear))
                        .collect()
                };
                Some(Textures {
                    program: register(&views.program),
                    preview: register(&views.preview),
                    thumbs: register(&views.thumbs),
                    tiles: register(&views.tiles),
                })
            }
            _ => None,
        };
        let snapshot = engine.snapshot();
        let (keys, keys_problem) = hotkeys::Keymap::load();
        if let Some(p) = &keys_problem {
            tracing::warn!("{p}");
        }
        let (views, views_problem) = views::Views::load();
        if let Some(p) = &views_problem {
            tracing::warn!("{p}");
        }
        cc.egui_ctx.set_theme(egui::Theme::Dark);
        cc.egui_ctx.set_visuals_of(egui::Theme::Dark, theme::visuals());
        let engine = std::sync::Arc::new(engine);
        // A show with [remote] has its remote control on from the start.
        let (remote, remote_error) = match &engine.show().remote {
            None => (None, None),
            Some(spec) => match showroom_remote::Remote::start(engine.clone(), spec) {
                Ok(r) => (Some(r), None),
                Err(e) => {
                    tracing::warn!("{e}");
                    (None, Some(crate::secrets::redact(&e.to_string())))
                }
            },
        };
        // A show with [console] has its crew console on from the start.
        let mut crew = crew::Crew::default();
        if let Some(spec) = &engine.show().console {
            match showroom_console::Console::start(engine.clone(), spec) {
                Ok(c) => crew.console = Some(c),
                Err(e) => {
                    tracing::warn!("{e}");
                    crew.error = Some(crate::secrets::redact(&e.to_string()));
                }
            }
        }
        Ok(Studio {
            engine: Some(engine),
            remote,
            remote_error,
            crew,
            show_path,
            textures,
            canvas: 0,
            layout: Layout::Studio,
            confirm: None,
            preflight: None,
            key_entry: None,
            editor: editor::Editor::default(),
            keys,
            snapshot,
            snapshot_at: Instant::now(),
            stale: false,
            message: keys_problem.or(views_problem).map(|p| (p, Instant::now())),
            health: health::Meter::default(),
            opened: LAUNCHED.get().copied().unwrap_or_else(Instant::now),
            first_frame_after: None,
            frame_log_at: Instant::now(),
            repaint_every: if software {
                REPAINT_EVERY_SOFTWARE
            } else {
                REPAINT_EVERY
            },
            product_panel: None,
            rundown_panel: Default::default(),
            chat_view: Default::default(),
            selling: Default::default(),
            chat_open: true,
            add_source: None,
            source_selected: None,
            views,
            projectors: Vec::new(),
            next_projector: 0,
            dock: Default::default(),
            prices: None,
            window_size: None,
        })
    }

    pub fn engine(&self) -> &Engine {
        self.engine.as_ref().expect("the engine runs until the window closes")
    }

    pub fn snapshot(&self) -> &Snapshot {
        &self.snapshot
    }

    pub fn show_path(&self) -> &Path {
        &self.show_path
    }

    /// Sends a command; a refusal is shown to the host in plain words.
    pub fn command(&mut self, cmd: Command) {
        if let Err(e) = self.engine().execute(cmd) {
            self.notify(e.to_string());
        }
        self.stale = true;
    }

    pub fn notify(&mut self, text: String) {
        tracing::info!("studio: {}", crate::secrets::redact(&text));
        self.message = Some((text, Instant::now()));
    }

    pub fn message(&self) -> Option<&str> {
        self.message.as_ref().map(|(m, _)| m.as_str())
    }

    /// Stores the typed key in the OS keyring; a destination that was
    /// waiting for a new key reconnects at once. Without a keyring the host
    /// is told what to use instead (an environment variable or a key file).
    pub fn save_key(&mut self) {
        let Some(mut entry) = self.key_entry.take() else { return };
        let key = entry.text.trim().to_string();
        wipe(&mut entry.text);
        if key.is_empty() {
            self.notify("no key typed: paste the stream key from the platform's live settings".into());
            return;
        }
        match crate::secrets::store_in_keyring(&entry.name, &key) {
            Ok(()) => {
                self.notify(format!(
                    "stored the stream key for {} in the OS keyring (as `{}`)",
                    entry.destination, entry.name
                ));
                let waiting = self
                    .snapshot
                    .destinations
                    .iter()
                    .any(|d| d.id == entry.destination && d.needs_action);
                if waiting {
                    self.command(Command::ReconnectNow(Some(entry.destination.clone())));
                }
            }
            Err(e) => self.notify(format!("the key for {} was not stored: {e}", entry.destination)),
        }
        let mut key = key;
        wipe(&mut key);
    }

    /// Writes the user's views; a failure is told, the views are kept.
    pub fn save_views(&mut self) {
        if let Err(e) = self.views.save() {
            self.notify(format!("the views were not saved: {e}"));
        }
    }

    /// Shows or hides the multiview in the centre (saved for next time).
    pub fn set_multiview(&mut self, open: bool) {
        if self.views.multiview.open != open {
            self.views.multiview.open = open;
            self.save_views();
        }
    }

    pub fn set_canvas(&mut self, canvas: usize) {
        if canvas < self.engine().show().canvases.len() {
            self.canvas = canvas;
            self.engine().set_studio_canvas(canvas);
        }
    }

    fn refresh(&mut self) {
        self.snapshot = self.engine().snapshot();
        self.snapshot_at = Instant::now();
        self.stale = false;
        self.health.sample();
    }

    /// The remote control, while it runs.
    pub fn remote(&self) -> Option<&showroom_remote::Remote> {
        self.remote.as_ref()
    }

    /// Starts (the show's [remote], or 127.0.0.1:4455 without a password)
    /// or stops the remote control.
    pub fn set_remote(&mut self, on: bool) {
        match (on, self.remote.take()) {
            (false, Some(r)) => r.stop(),
            (true, None) => {
                let spec = self
                    .engine()
                    .show()
                    .remote
                    .clone()
                    .unwrap_or_else(|| crate::show::RemoteSpec::local(crate::show::RemoteSpec::DEFAULT_LISTEN));
                let engine = self.engine.clone().expect("the engine runs until the window closes");
                match showroom_remote::Remote::start(engine, &spec) {
                    Ok(r) => {
                        self.remote = Some(r);
                        self.remote_error = None;
                    }
                    Err(e) => self.remote_error = Some(crate::secrets::redact(&e.to_string())),
                }
            }
            (_, r) => self.remote = r,
        }
    }

    /// Ends the show cleanly (streams ended, recordings finalised).
    fn shut_down(&mut self) {
        if let Some(size) = self.window_size.take()
            && self.views.window != Some(size)
        {
            self.views.window = Some(size);
            if let Err(e) = self.views.save() {
                tracing::warn!("the window's size was not kept: {e}");
            }
        }
        if let Some(engine) = self.engine.take() {
            // The crew's pages are told the show has ended; every invite ends.
            if let Some(c) = self.crew.console.take() {
                c.stop();
            }
            self.crew.links.clear();
            // The post-show report, from the logs the stop closes (docs/report.md).
            let logs = engine
                .chat()
                .map(|c| c.log_path().to_path_buf())
                .zip(engine.event_log().map(Path::to_path_buf));
            let locale = engine.show().graphics.locale.clone();
            let snap = showroom_remote::stop_show(engine, self.remote.take());
            tracing::info!("studio closed: {}", crate::secrets::redact(&snap.status_line()));
            if let Some((chat, events)) = logs {
                let out = self.show_path.with_file_name(format!(
                    "{}-report",
                    self.show_path.file_stem().and_then(|s| s.to_str()).unwrap_or("show")
                ));
                match showroom_report::build(&[chat, events], &out, &locale, true) {
                    Ok(built) => {
                        let r = &built.report;
                        for p in &built.clip_problems {
                            tracing::warn!("{p}");
                        }
                        tracing::info!(
                            "post-show report: {} comments, {} claims, {} units, {} clips → {}",
                            r.comments,
                            r.sales.claims,
                            r.sales.units,
                            r.clips.len(),
                            out.display()
                        )
                    }
                    Err(e) => tracing::warn!("the post-show report was not written: {e}"),
                }
            }
        }
    }
}

impl eframe::App for Studio {
    fn ui(&mut self, ui: &mut egui::Ui, _frame: &mut eframe::Frame) {
        if self.engine.is_none() {
            return;
        }
        if self.stale || self.snapshot_at.elapsed() >= SNAPSHOT_EVERY {
            self.refresh();
        }
        if let Some(fatal) = self.engine().fatal_error() {
            self.message = Some((fatal, Instant::now()));
        }
        hotkeys::handle(self, ui.ctx());
        if let Some(r) = ui.ctx().input(|i| i.viewport().inner_rect) {
            let size = [r.width().round(), r.height().round()];
            if size[0] >= views::MIN_WINDOW[0] && size[1] >= views::MIN_WINDOW[1] {
                self.window_size = Some(size);
            }
        }
        // One copy per window frame, read by every panel (commands sent
        // during the frame show in the next one).
        let snap = self.snapshot.clone();
        panels::top_bar(self, ui, &snap);
        // The audio strip at the very bottom (as in a mixing desk), the
        // transport controls above it, next to the video.
        mixer::panel(self, ui, &snap);
        panels::controls(self, ui, &snap);
        panels::scenes(self, ui, &snap);
        chat::panel(self, ui);
        centre::panel(self, ui, &snap);
        let multiview =
            self.views.multiview.open || self.projectors.iter().any(|p| p.kind == projector::Kind::Multiview);
        self.engine().set_multiview(multiview);
        let ctx = ui.ctx().clone();
        projector::show_all(self, &ctx, &snap);
        panels::confirm(self, ui.ctx());
        sources::window(self, ui.ctx());
        if self.first_frame_after.is_none() && self.snapshot.canvases.iter().all(|c| c.frames_rendered > 0) {
            self.first_frame_after = Some(self.opened.elapsed());
            tracing::info!(
                "studio: first program frame on screen {:.2} s after launch",
                self.opened.elapsed().as_secs_f64()
            );
        }
        self.health.frame_painted();
        if self.frame_log_at.elapsed() >= FRAME_LOG_EVERY {
            self.frame_log_at = Instant::now();
            if let (Some(p50), Some(p99)) = (self.health.frame_percentile(50.0), self.health.frame_percentile(99.0)) {
                tracing::info!("studio: UI frame interval p50 {p50:.1} ms, p99 {p99:.1} ms");
                tracing::info!("studio: {}", crate::secrets::redact(&self.snapshot.status_line()));
            }
        }
        ui.ctx().request_repaint_after(self.repaint_every);
    }

    fn on_exit(&mut self) {
        self.shut_down();
    }
}

impl Drop for Studio {
    fn drop(&mut self) {
        self.shut_down();
    }
}

/// What `showroom` with no arguments opens: the last show opened, else the
/// bundled demo.
pub fn default_show() -> Result<PathBuf> {
    if let Some(p) = last_show::recall() {
        return Ok(p);
    }
    last_show::bundled_demo().ok_or_else(|| {
        anyhow!("no show to open: name one (`showroom studio SHOW.toml`); the bundled demo was not found")
    })
}
