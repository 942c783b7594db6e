//! The render thread: ticks every canvas at its own fps from the one show
//! clock, uploads new source frames, renders the scene on program and hands
//! finished I420 frames to each canvas's encoder.

use super::program::Frame;
use super::stats::CanvasCounters;
use crate::compositor::{Composite, Compositor, TransitionFrame};
use crate::media::encoder::CanvasEncoder;
use crate::media::sources::SourceProbe;
use crate::show::{LayerSpec, Rect, SceneSpec, Show, Style, TransitionKind};
use gstreamer as gst;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// How late a tick may be before it is skipped rather than rendered late.
const MAX_LATE_TICKS: u64 = 3;

pub struct RenderLoop {
    pub compositor: Compositor,
    pub show: Arc<Show>,
    pub sources: Vec<SourceProbe>,
    /// Sources added while the show runs, in source order.
    pub new_sources: std::sync::mpsc::Receiver<SourceProbe>,
    pub encoders: Vec<Arc<CanvasEncoder>>,
    pub counters: Vec<Arc<CanvasCounters>>,
    pub program: Arc<super::program::Program>,
    /// The scenes as they are now (layers can be changed while live).
    pub scenes: Arc<std::sync::RwLock<Vec<SceneSpec>>>,
    pub stop: crate::shutdown::Shutdown,
    pub t0: Instant,
    /// For a studio window: the canvas whose preview scene is rendered too
    /// (and scene thumbnails); None headless.
    pub studio_canvas: Option<Arc<AtomicUsize>>,
    /// Scene thumbnails are refreshed one scene at a time, every this many
    /// ticks of the first canvas.
    pub thumb_every_ticks: u64,
    /// While `multiview` is set, one source tile every this many ticks of
    /// the first canvas.
    pub tile_every_ticks: u64,
    pub multiview: Arc<std::sync::atomic::AtomicBool>,
    /// Source tiles drawn so far (none while no multiview is shown).
    pub tiles_drawn: Arc<std::sync::atomic::AtomicU64>,
    /// On-screen graphics, drawn over program on every canvas.
    pub overlays: Arc<std::sync::Mutex<crate::graphics::Overlays>>,
    /// The governor's decisions: layers drawn on every n-th tick.
    pub quality: Arc<super::governor::Quality>,
    /// Where a source losing or getting back its signal is told.
    pub events: Arc<crate::events::Events>,
    /// Preview pictures for the crew console, while it wants them
    /// (`Engine::want_preview_pictures`).
    pub previews: Arc<PreviewPictures>,
}

/// Each canvas's preview scene as RGBA, drawn and copied to the CPU a few
/// times a second while someone wants them (a producer's page).
#[derive(Default)]
pub struct PreviewPictures {
    pub wanted: std::sync::atomic::AtomicBool,
    pub latest: std::sync::Mutex<Vec<Option<Arc<Vec<u8>>>>>,
}

/// Preview pictures per second, per canvas.
pub const PREVIEWS_PER_S: u32 = 2;

/// An encoder with this many new pictures waiting gets a repeat for its
/// next tick instead of a new picture: the render thread gives its time to
/// the encoder rather than rendering what would be dropped. Repeats waiting
/// do not count: they come in bursts after skipped ticks and cost the
/// encoder almost nothing (counting them made a starved canvas skip more).
const ENCODER_BUSY: u64 = 3;

/// The stinger's full-canvas scene, made once per stinger source.
#[derive(Default)]
struct StingerCache(Option<(usize, SceneSpec)>);

impl StingerCache {
    fn get(&mut self, source: usize, show: &Show) -> &SceneSpec {
        if self.0.as_ref().is_none_or(|(s, _)| *s != source) {
            self.0 = Some((source, stinger_scene(source, show)));
        }
        &self.0.as_ref().expect("just set").1
    }
}

impl RenderLoop {
    pub fn run(mut self) {
        let periods: Vec<u64> = self
            .show
            .canvases
            .iter()
            .map(|c| 1_000_000_000 / c.fps as u64)
            .collect();
        let mut ticks = vec![0u64; periods.len()];
        let mut stingers = StingerCache::default();
        let mut next_thumb = 0usize;
        let mut next_tile = 0usize;
        // Each canvas's recent share of ticks rendered (an average over about
        // a second of its ticks): when not every due tick can be rendered,
        // the canvas that rendered the smaller share goes first, so canvases
        // degrade alike instead of one hovering just inside the lateness
        // limit while the other skips (docs/overload.md).
        let mut share = vec![1.0f64; periods.len()];
        let mut was_lost: Vec<bool> = Vec::new();
        // The transition the first canvas last drew (its start and end are
        // events on the stream's clock).
        let mut mixing: Option<(usize, usize)> = None;
        let alpha: Vec<f64> = self.show.canvases.iter().map(|c| 1.0 / c.fps.max(1) as f64).collect();
        while !self.stop.is_triggered() {
            let n = periods.len();
            let turn = (ticks.iter().sum::<u64>() % n as u64) as usize;
            let now = Instant::now();
            let now_ns = now.saturating_duration_since(self.t0).as_nanos() as u64;
            // Among canvases with a tick due: the smaller share first (the
            // ticks overdue now counted as missed), then the earlier tick,
            // then turns. None due: sleep until the first.
            let pick = {
                let due_of = |c: usize| ticks[c] * periods[c];
                let effective = |c: usize| {
                    let overdue = now_ns.saturating_sub(due_of(c)) / periods[c];
                    share[c] * (1.0 - alpha[c]).powi(overdue.min(1000) as i32)
                };
                (0..n).filter(|&c| due_of(c) <= now_ns).min_by(|&a, &b| {
                    effective(a)
                        .total_cmp(&effective(b))
                        .then(due_of(a).cmp(&due_of(b)))
                        .then(((a + n - turn) % n).cmp(&((b + n - turn) % n)))
                })
            };
            let Some(c) = pick else {
                let first = (0..n)
                    .map(|c| ticks[c] * periods[c])
                    .min()
                    .expect("a show has at least one canvas");
                // Until the next tick is due; the end wakes it at once.
                self.stop.wait(Duration::from_nanos(first.saturating_sub(now_ns)));
                continue;
            };
            let late = (now_ns - ticks[c] * periods[c]) / periods[c];
            if late > MAX_LATE_TICKS {
                // Those ticks go out as repeats of the last picture (the
                // encoder fills them in when the next picture arrives); the
                // tick due now is rendered.
                ticks[c] += late;
                share[c] *= (1.0 - alpha[c]).powi(late as i32);
                self.counters[c].late_dropped.fetch_add(late, Ordering::Relaxed);
                tracing::debug!("canvas {c}: skipped {late} late ticks");
            }
            let due_ns = ticks[c] * periods[c];
            let due = self.t0 + Duration::from_nanos(due_ns);
            let divisor = self.quality.divisor.load(Ordering::Relaxed).max(1) as u64;
            if !ticks[c].is_multiple_of(divisor) {
                ticks[c] += 1;
                self.counters[c].throttled.fetch_add(1, Ordering::Relaxed);
                continue;
            }
            let encoder = &self.encoders[c];
            if encoder.queued() >= ENCODER_BUSY {
                ticks[c] += 1;
                share[c] *= 1.0 - alpha[c];
                self.counters[c].late_dropped.fetch_add(1, Ordering::Relaxed);
                continue;
            }
            share[c] = share[c] * (1.0 - alpha[c]) + alpha[c];
            while let Ok(p) = self.new_sources.try_recv() {
                self.sources.push(p);
            }
            let mut lost = Vec::with_capacity(self.sources.len());
            for (i, probe) in self.sources.iter().enumerate() {
                if let Some(slot) = &probe.video
                    && let (seq, Some(frame)) = slot.at(due)
                {
                    self.compositor.update_source(i, seq, &frame);
                }
                lost.push(probe.signal_lost());
            }
            // A source losing or getting back its signal is an event.
            was_lost.resize(lost.len(), false);
            for (i, (&now, was)) in lost.iter().zip(was_lost.iter_mut()).enumerate() {
                if now != *was {
                    *was = now;
                    let probe = &self.sources[i];
                    self.events.emit(
                        due_ns,
                        crate::events::Event::Source {
                            id: probe.id.clone(),
                            lost: now,
                            reason: now.then(|| probe.lost_reason()),
                        },
                    );
                }
            }
            let (graphics, uploads) = self.overlays.lock().unwrap_or_else(|e| e.into_inner()).frame(c, due_ns);
            for (slot, seq, frame) in &uploads {
                self.compositor.update_source(*slot, *seq, frame);
            }
            let graphics = Some(&graphics);
            let scenes = self.scenes.read().unwrap_or_else(|e| e.into_inner());
            let frame = self.program.frame(due_ns, periods[c]);
            if c == 0 {
                let now = match &frame {
                    Frame::Transition { from, to, .. } => Some((*from, *to)),
                    Frame::Scene(_) => None,
                };
                if now != mixing {
                    let name = |i: usize| scenes.get(i).map(|s| s.id.clone()).unwrap_or_default();
                    // One that ends as the next begins (a take during a
                    // transition) ends first.
                    if let Some((_, to)) = mixing {
                        let scene = match &frame {
                            Frame::Scene(s) => *s,
                            Frame::Transition { .. } => to,
                        };
                        self.events
                            .emit(due_ns, crate::events::Event::TransitionEnded { scene: name(scene) });
                    }
                    if let Frame::Transition { from, to, spec, .. } = &frame {
                        self.events.emit(
                            due_ns,
                            crate::events::Event::TransitionStarted {
                                from: name(*from),
                                to: name(*to),
                                kind: spec.kind.name().into(),
                                duration_ms: spec.duration_ms,
                            },
                        );
                    }
                    mixing = now;
                }
            }
            match frame {
                Frame::Scene(s) => {
                    self.compositor
                        .render_with_graphics(c, &Composite::Scene(&scenes[s]), graphics, due_ns, &lost)
                }
                Frame::Transition {
                    from,
                    to,
                    spec,
                    progress,
                } => {
                    let stinger = match spec.kind {
                        TransitionKind::Stinger { source, .. } => Some(stingers.get(source, &self.show)),
                        _ => None,
                    };
                    let t = TransitionFrame {
                        from: &scenes[from],
                        to: &scenes[to],
                        kind: spec.kind,
                        progress,
                        stinger,
                    };
                    self.compositor
                        .render_with_graphics(c, &Composite::Transition(t), graphics, due_ns, &lost);
                }
            }
            if let Some(studio) = &self.studio_canvas {
                // The preview pane shows program itself when both are the same.
                let preview = self.program.preview();
                if studio.load(Ordering::Relaxed) == c
                    && (preview != self.program.program() || self.program.in_transition())
                {
                    self.compositor.render_preview(c, &scenes[preview], &lost);
                }
                if c == 0 && ticks[0].is_multiple_of(self.thumb_every_ticks.max(1)) && !scenes.is_empty() {
                    next_thumb = (next_thumb + 1) % scenes.len();
                    self.compositor.render_thumb(next_thumb, &scenes[next_thumb], &lost);
                }
                if c == 0
                    && self.multiview.load(Ordering::Relaxed)
                    && ticks[0].is_multiple_of(self.tile_every_ticks.max(1))
                {
                    // The next source with a picture (a microphone has none).
                    let n = self.sources.len();
                    for _ in 0..n {
                        next_tile = (next_tile + 1) % n;
                        if self.compositor.render_tile(next_tile, &lost) {
                            self.tiles_drawn.fetch_add(1, Ordering::Relaxed);
                            break;
                        }
                    }
                }
            }
            // The crew console's preview picture: drawn at 2 a second,
            // copied without waiting for the GPU, taken when it is there.
            if let Some(px) = self.compositor.take_preview(c) {
                let mut latest = self.previews.latest.lock().unwrap_or_else(|e| e.into_inner());
                if latest.len() <= c {
                    latest.resize(c + 1, None);
                }
                latest[c] = Some(Arc::new(px));
            }
            if self.previews.wanted.load(Ordering::Relaxed)
                && ticks[c].is_multiple_of((self.show.canvases[c].fps / PREVIEWS_PER_S).max(1) as u64)
            {
                self.compositor.ensure_preview(c);
                self.compositor
                    .render_preview(c, &scenes[self.program.preview()], &lost);
                self.compositor.read_preview(c);
            }
            self.counters[c].rendered.fetch_add(1, Ordering::Relaxed);
            ticks[c] += 1;
            for f in self.compositor.ready() {
                self.encoders[f.canvas].push_video(f.data, f.pts_ns);
            }
        }
        for f in self.compositor.flush() {
            self.encoders[f.canvas].push_video(f.data, f.pts_ns);
        }
    }
}

/// The stinger's video over the whole of every canvas.
fn stinger_scene(source: usize, show: &Show) -> SceneSpec {
    SceneSpec {
        id: "stinger".into(),
        layers: vec![LayerSpec {
            source,
            z: i32::MAX,
            opacity: 1.0,
            crop: Default::default(),
            place: show
                .canvases
                .iter()
                .map(|c| {
                    Some(Rect {
                        x: 0,
                        y: 0,
                        width: c.width,
                        height: c.height,
                    })
                })
                .collect(),
            style: Style::default(),
            hidden: false,
        }],
    }
}

/// The audio thread: one 20 ms block at a time, stamped from the same clock
/// as the video, sent to every canvas's encoder.
pub fn run_mixer(
    mixer: Arc<std::sync::Mutex<crate::audio::Mixer>>,
    encoders: Vec<Arc<CanvasEncoder>>,
    stop: crate::shutdown::Shutdown,
    t0: Instant,
) {
    const BLOCK: u64 = 960;
    // Mix 40 ms behind the clock so live sources have delivered that audio.
    const LEAD_NS: u64 = 40_000_000;
    let mut produced: u64 = 0;
    let base_ns = mixer.lock().unwrap_or_else(|e| e.into_inner()).base_delay_ms() as u64 * 1_000_000;
    loop {
        let stopping = stop.is_triggered();
        let now_ns = t0.elapsed().as_nanos() as u64;
        let block_end_ns = (produced + BLOCK) * 1_000_000_000 / 48_000;
        // At stop, flush up to the clock so audio lasts as long as video.
        let due = if stopping {
            block_end_ns <= now_ns
        } else {
            block_end_ns + LEAD_NS <= now_ns
        };
        if !due {
            if stopping {
                return;
            }
            // Until the block is due; the end wakes it to flush.
            stop.wait(Duration::from_nanos((block_end_ns + LEAD_NS).saturating_sub(now_ns)));
            continue;
        }
        let block = mixer.lock().unwrap_or_else(|e| e.into_inner()).mix(BLOCK as usize);
        let time = produced * 1_000_000_000 / 48_000;
        produced += BLOCK;
        // The inputs wait `base` (room for negative offsets): their blocks
        // are stamped that much earlier, and the first `base` is not sent.
        if time < base_ns {
            continue;
        }
        let pts = time - base_ns;
        // Converted and stamped once, shared by every canvas's encoder
        // (native f32 bytes are F32LE: every target we build for is little-endian).
        let mut buffer = gst::Buffer::from_slice(bytemuck::cast_slice::<f32, u8>(&block).to_vec());
        {
            let b = buffer.get_mut().expect("new buffer is writable");
            b.set_pts(gst::ClockTime::from_nseconds(pts));
            b.set_duration(gst::ClockTime::from_nseconds(BLOCK * 1_000_000_000 / 48_000));
        }
        for e in &encoders {
            e.push_audio(&buffer);
        }
    }
}
