//! When the machine cannot keep up: the start-up measurement and the
//! deliberate, even step-down (docs/overload.md).
//!
//! One thread looks at every canvas's counters twice a second. For the first
//! seconds of a show it only measures (what this machine renders and encodes
//! for this show) and reports a canvas it cannot hold, with advice. After
//! that, when any canvas misses more than a few ticks (rendered late or its
//! encoder behind), every canvas steps down together, one step at a time:
//! first the x264 speed preset (veryfast → superfast → ultrafast), then the
//! layers are drawn at half the canvas's frame rate (the wire keeps the
//! nominal rate: the ticks between are repeats). Once the show has been
//! clean for a while it steps back up; a step up that overloads again
//! doubles the wait before the next one (hysteresis).

use super::stats::CanvasCounters;
use crate::events::{Event, Events};
use crate::media::encoder::{CanvasEncoder, X264_SPEEDS};
use crate::show::Show;
use serde::Serialize;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// How often the governor looks.
const PERIOD: Duration = Duration::from_millis(500);
/// The start-up measurement: after `WARM_UP` (pipelines starting), for `MEASURE`.
pub const WARM_UP: Duration = Duration::from_secs(1);
pub const MEASURE: Duration = Duration::from_secs(3);
/// Missed ticks (late or encoder behind) over this window decide overload.
const WINDOW: Duration = Duration::from_secs(2);
/// More than this share of a canvas's ticks missed in `WINDOW` is overload.
const OVERLOAD_SHARE: f64 = 0.05;
/// After a step, this long before the next step down (the window refills).
const SETTLE: Duration = Duration::from_secs(2);
/// Clean this long before the first step up; doubled after a step up that
/// overloaded again, up to `UP_AFTER_MAX`.
const UP_AFTER: Duration = Duration::from_secs(8);
const UP_AFTER_MAX: Duration = Duration::from_secs(120);
/// A canvas holds when it renders at least this share of its fps.
const HOLDS_SHARE: f64 = 0.95;

/// One step of the ladder: what every canvas does at that level.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Step {
    /// x264 speed preset (None: hardware encoder, nothing to change).
    speed: Option<&'static str>,
    /// Layers drawn on every `divisor`-th tick (1: every tick).
    divisor: u32,
}

impl Step {
    fn describe(&self) -> String {
        let mut parts = Vec::new();
        if let Some(s) = self.speed {
            parts.push(format!("x264 {s}"));
        }
        parts.push(if self.divisor == 1 {
            "layers at full frame rate".to_string()
        } else {
            format!("layers at 1/{} frame rate", self.divisor)
        });
        parts.join(", ")
    }
}

fn ladder(x264: bool) -> Vec<Step> {
    if x264 {
        let mut l: Vec<Step> = X264_SPEEDS
            .iter()
            .map(|s| Step {
                speed: Some(s),
                divisor: 1,
            })
            .collect();
        l.push(Step {
            speed: Some(X264_SPEEDS[X264_SPEEDS.len() - 1]),
            divisor: 2,
        });
        l
    } else {
        vec![
            Step {
                speed: None,
                divisor: 1,
            },
            Step {
                speed: None,
                divisor: 2,
            },
        ]
    }
}

pub use crate::events::CanvasCapacity;

/// What the governor has measured and decided, for the snapshot.
#[derive(Debug, Clone, Default, Serialize)]
pub struct QualityStatus {
    /// 0 is full quality; each step down adds one.
    pub level: u32,
    pub max_level: u32,
    /// What the current level means ("x264 superfast, layers at full frame rate").
    pub now: String,
    pub steps_down: u32,
    pub steps_up: u32,
    /// The last change and why, in plain words.
    pub last_change: Option<String>,
    /// Still measuring at start.
    pub measuring: bool,
    /// The start-up measurement, once done.
    pub capacity: Vec<CanvasCapacity>,
}

impl QualityStatus {
    /// The capacity advice, one line per canvas that does not hold.
    pub fn advice(&self) -> Vec<String> {
        self.capacity.iter().filter_map(|c| c.advice.clone()).collect()
    }
}

/// Shared between the governor thread, the render loop and the snapshot.
pub struct Quality {
    pub status: Mutex<QualityStatus>,
    /// Layers are drawn on every this-many-th tick (render loop reads it).
    pub divisor: AtomicU32,
}

impl Quality {
    pub fn new() -> Arc<Quality> {
        Arc::new(Quality {
            status: Mutex::new(QualityStatus {
                measuring: true,
                ..Default::default()
            }),
            divisor: AtomicU32::new(1),
        })
    }

    pub fn status(&self) -> QualityStatus {
        self.status.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }
}

/// Counter values at one moment.
#[derive(Clone)]
struct Sample {
    at: Instant,
    /// Per canvas: new pictures rendered, ticks missed (late + encoder behind).
    rendered: Vec<u64>,
    missed: Vec<u64>,
    encoder_dropped: Vec<u64>,
}

pub struct Governor {
    pub show: Arc<Show>,
    pub gpu: String,
    pub counters: Vec<Arc<CanvasCounters>>,
    pub encoders: Vec<Arc<CanvasEncoder>>,
    pub quality: Arc<Quality>,
    pub events: Arc<Events>,
    pub stop: crate::shutdown::Shutdown,
    pub t0: Instant,
}

impl Governor {
    fn sample(&self) -> Sample {
        let r = Ordering::Relaxed;
        Sample {
            at: Instant::now(),
            rendered: self.counters.iter().map(|c| c.rendered.load(r)).collect(),
            missed: self
                .counters
                .iter()
                .zip(&self.encoders)
                .map(|(c, e)| c.late_dropped.load(r) + e.dropped.load(r) + e.holes.load(r))
                .collect(),
            encoder_dropped: self.encoders.iter().map(|e| e.dropped.load(r)).collect(),
        }
    }

    fn now_ns(&self) -> u64 {
        self.t0.elapsed().as_nanos() as u64
    }

    /// Sleeps up to `d`, woken at once when the show stops. False then.
    fn nap(&self, d: Duration) -> bool {
        !self.stop.wait(d)
    }

    pub fn run(self) {
        let x264 = self.encoders.iter().all(|e| e.speed().is_some());
        let ladder = ladder(x264);
        {
            let mut s = self.quality.status.lock().unwrap_or_else(|e| e.into_inner());
            s.max_level = ladder.len() as u32 - 1;
            s.now = ladder[0].describe();
        }
        if !self.nap(WARM_UP) {
            return;
        }
        // The stream comes first: the ladder works during the measurement
        // too; the report says how many steps it took.
        let start = self.sample();
        let measured_by = start.at + MEASURE;
        let mut history: std::collections::VecDeque<Sample> = Default::default();
        let mut level = 0usize;
        let mut changed_at = Instant::now();
        let mut last_overload: Option<Instant> = None;
        let mut up_after = UP_AFTER;
        let mut stepped_up_at: Option<Instant> = None;
        let mut reported = false;
        while self.nap(PERIOD) {
            let now = self.sample();
            if !reported && now.at >= measured_by {
                self.report_capacity(&start, &now, level, &ladder);
                reported = true;
            }
            while history.front().is_some_and(|s| now.at.duration_since(s.at) > WINDOW) {
                history.pop_front();
            }
            history.push_back(now.clone());
            let base = &history[0];
            let span = now.at.duration_since(base.at).as_secs_f64();
            if span < WINDOW.as_secs_f64() * 0.75 {
                continue;
            }
            // The canvas missing the largest share of its ticks.
            let worst = self
                .show
                .canvases
                .iter()
                .enumerate()
                .map(|(i, c)| {
                    let missed = now.missed[i] - base.missed[i];
                    (missed as f64 / (span * c.fps as f64), i, missed)
                })
                .max_by(|a, b| a.0.total_cmp(&b.0));
            let Some((share, worst, missed)) = worst else { continue };
            let overloaded = share > OVERLOAD_SHARE;
            if overloaded {
                last_overload = Some(now.at);
                if stepped_up_at.is_some_and(|t| now.at.duration_since(t) < up_after) {
                    // That step up was one too many: wait longer next time.
                    up_after = (up_after * 2).min(UP_AFTER_MAX);
                    stepped_up_at = None;
                }
            }
            let since_change = now.at.duration_since(changed_at);
            if overloaded && level + 1 < ladder.len() && since_change >= SETTLE {
                level += 1;
                changed_at = now.at;
                let why = format!(
                    "canvas {} missed {missed} of {:.0} ticks in {span:.0} s",
                    self.show.canvases[worst].id,
                    span * self.show.canvases[worst].fps as f64
                );
                self.apply(&ladder[level], level, "down", &why);
                history.clear();
            } else if !overloaded
                && level > 0
                && since_change >= up_after
                && last_overload.is_none_or(|t| now.at.duration_since(t) >= up_after)
            {
                level -= 1;
                changed_at = now.at;
                stepped_up_at = Some(now.at);
                let why = format!("no tick missed for {:.0} s", up_after.as_secs_f64());
                self.apply(&ladder[level], level, "up", &why);
                history.clear();
            }
        }
    }

    fn apply(&self, step: &Step, level: usize, direction: &str, why: &str) {
        if let Some(speed) = step.speed {
            for e in &self.encoders {
                if e.speed() != Some(speed) {
                    e.set_speed(speed);
                }
            }
        }
        self.quality.divisor.store(step.divisor, Ordering::Relaxed);
        let now = step.describe();
        let line = format!("stepped {direction} to level {level} ({now}): {why}");
        tracing::warn!("quality: {line}");
        self.events.emit(
            self.now_ns(),
            Event::Quality {
                direction: direction.to_string(),
                level,
                x264_speed: step.speed.map(str::to_string),
                layers_divisor: step.divisor,
                why: why.to_string(),
            },
        );
        let mut s = self.quality.status.lock().unwrap_or_else(|e| e.into_inner());
        s.level = level as u32;
        s.now = now;
        if direction == "down" {
            s.steps_down += 1;
        } else {
            s.steps_up += 1;
        }
        s.last_change = Some(line);
    }

    fn report_capacity(&self, start: &Sample, end: &Sample, level: usize, ladder: &[Step]) {
        let secs = end.at.duration_since(start.at).as_secs_f64().max(0.001);
        let software = is_software(&self.gpu);
        let capacity: Vec<CanvasCapacity> = self
            .show
            .canvases
            .iter()
            .enumerate()
            .map(|(i, c)| {
                let measured_fps = (end.rendered[i] - start.rendered[i]) as f64 / secs;
                let enc = (end.encoder_dropped[i] - start.encoder_dropped[i]) as f64 / secs;
                let keeps_up = measured_fps >= c.fps as f64 * HOLDS_SHARE && enc < 0.5;
                let holds = keeps_up && level == 0;
                let on = if software {
                    format!("on software Vulkan ({})", self.gpu)
                } else {
                    format!("on {}", self.gpu)
                };
                let advice = if holds {
                    None
                } else if keeps_up {
                    Some(format!(
                        "this machine keeps {} at {} fps {on} only {level} step(s) down ({}) — \
                         lower its fps or size for full quality",
                        c.id,
                        c.fps,
                        ladder[level].describe()
                    ))
                } else {
                    let behind = if enc >= 0.5 {
                        format!(" and its encoder is behind by {enc:.0} frames/s")
                    } else {
                        String::new()
                    };
                    let down = if level > 0 {
                        format!(", even {level} step(s) down")
                    } else {
                        String::new()
                    };
                    Some(format!(
                        "this machine renders {} at about {measured_fps:.0} fps of {} {on}{behind}{down} — \
                         the engine steps down on its own (faster x264 preset, then layers at half rate); \
                         lower its fps or size for full quality",
                        c.id, c.fps
                    ))
                };
                CanvasCapacity {
                    canvas: c.id.clone(),
                    fps: c.fps,
                    measured_fps,
                    encoder_dropped_per_s: enc,
                    holds,
                    advice,
                }
            })
            .collect();
        for c in &capacity {
            match &c.advice {
                Some(a) => tracing::warn!("{a}"),
                None => tracing::info!(
                    "canvas `{}` holds {} fps on this machine ({:.1} measured)",
                    c.canvas,
                    c.fps,
                    c.measured_fps
                ),
            }
        }
        self.events.emit(
            self.now_ns(),
            Event::Capacity {
                canvases: capacity.clone(),
            },
        );
        let mut s = self.quality.status.lock().unwrap_or_else(|e| e.into_inner());
        s.capacity = capacity;
        s.measuring = false;
    }
}

/// lavapipe / llvmpipe / SwiftShader: the "GPU" is the CPU.
pub fn is_software(adapter: &str) -> bool {
    let a = adapter.to_lowercase();
    ["llvmpipe", "lavapipe", "swiftshader", "software"]
        .iter()
        .any(|s| a.contains(s))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ladder_steps_x264_first_then_layers() {
        let l = ladder(true);
        assert_eq!(l.len(), 4);
        assert_eq!(l[0].speed, Some("veryfast"));
        assert_eq!(l[2].speed, Some("ultrafast"));
        assert_eq!((l[3].speed, l[3].divisor), (Some("ultrafast"), 2));
        assert_eq!(l[3].describe(), "x264 ultrafast, layers at 1/2 frame rate");
        let hw = ladder(false);
        assert_eq!(hw.iter().map(|s| s.divisor).collect::<Vec<_>>(), vec![1, 2]);
    }

    #[test]
    fn software_adapters_are_named() {
        assert!(is_software("llvmpipe (LLVM 15.0.6, 256 bits)"));
        assert!(!is_software("NVIDIA H200"));
    }
}
