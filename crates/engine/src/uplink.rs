//! Congestion-aware output (docs/uplink.md): one thread looks at every live
//! destination twice a second — stream time waiting for its link, what the
//! link carried — and decides per canvas:
//!
//! - the links that decide a canvas's bitrate (its `primary` destinations,
//!   else all of them) all fall behind: the canvas's encoder steps down to
//!   what they carry (never below the platforms' floor), live, without a
//!   keyframe or a reconnect;
//! - they have kept up for a while: one step back up (×1.25, to the show's
//!   bitrate); a step up that is followed by congestion doubles the wait
//!   before the next one (hysteresis, up to a minute);
//! - a destination that falls behind alone is "slow": it drops whole GOPs
//!   (the feed's latency bound, `FEED_MAX_QUEUE`) and says so; the others
//!   keep full quality.
//!
//! The decisions are pure (`Control::decide`); the thread applies them.

use super::outputs::Outputs;
use crate::events::{Event, Events};
use crate::media::destination::{DestState, DestStatus};
use crate::media::encoder::CanvasEncoder;
use crate::show::Show;
use crate::shutdown::Shutdown;
use serde::Serialize;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const PERIOD: Duration = Duration::from_millis(500);
/// More stream time than this waiting for a link: it is not keeping up.
pub const CONGESTED_MS: u64 = 700;
/// Less than this: the link keeps up.
pub const CLEAR_MS: u64 = 200;
/// Samples in a row over `CONGESTED_MS` before acting (one second).
const CONGESTED_SAMPLES: u32 = 2;
/// After a step down, this long before another (the queue drains).
const DOWN_SETTLE: Duration = Duration::from_secs(2);
/// Clean this long before a step up; doubled when congestion follows a
/// step up within `UP_FAILED_WITHIN`, up to `UP_AFTER_MAX`.
const UP_AFTER: Duration = Duration::from_secs(6);
const UP_AFTER_MAX: Duration = Duration::from_secs(60);
const UP_FAILED_WITHIN: Duration = Duration::from_secs(20);
/// The share of what the link carried that the stream is stepped down to.
const HEADROOM: f64 = 0.85;
/// kb/s of the stream that is not video: AAC 128 kb/s and the muxing.
pub const NON_VIDEO_KBPS: u32 = 160;

/// One live destination at one look.
#[derive(Debug, Clone)]
pub struct Link {
    pub id: String,
    pub platform: String,
    pub primary: bool,
    pub queue_ms: u64,
    pub link_kbps: u64,
    pub dropped_gops: u64,
}

/// What to do with a canvas now.
#[derive(Debug, Clone, PartialEq)]
pub enum Decision {
    Hold,
    Set { kbps: u32, direction: &'static str, why: String },
}

/// A canvas's bitrate control.
#[derive(Debug)]
pub struct Control {
    pub target_kbps: u32,
    pub floor_kbps: u32,
    pub kbps: u32,
    pub adaptive: bool,
    congested: HashMap<String, u32>,
    last_change: Option<Instant>,
    last_up: Option<Instant>,
    clear_since: Option<Instant>,
    up_after: Duration,
    gops: HashMap<String, (u64, Instant)>,
}

impl Control {
    pub fn new(target_kbps: u32, floor_kbps: u32, adaptive: bool) -> Control {
        Control {
            target_kbps,
            floor_kbps: floor_kbps.min(target_kbps),
            kbps: target_kbps,
            adaptive,
            congested: HashMap::new(),
            last_change: None,
            last_up: None,
            clear_since: None,
            up_after: UP_AFTER,
            gops: HashMap::new(),
        }
    }

    /// Whether `l` has been behind for `CONGESTED_SAMPLES` looks.
    fn behind(&self, l: &Link) -> bool {
        self.congested.get(&l.id).copied().unwrap_or(0) >= CONGESTED_SAMPLES
    }

    /// Destinations that fall behind alone (or at the floor), with what to
    /// say: "slow link to Instagram: 1.8 Mb/s of 3.5".
    pub fn slow(&self, links: &[Link], now: Instant) -> Vec<(String, String)> {
        let deciders = deciders(links);
        let stream = (self.kbps + NON_VIDEO_KBPS) as f64 / 1000.0;
        links
            .iter()
            .filter(|l| {
                let dropping = self
                    .gops
                    .get(&l.id)
                    .is_some_and(|(_, at)| now.duration_since(*at) < Duration::from_secs(5));
                // The canvas steps down for it: its link is one that
                // decides, they all fall behind, and there is room below.
                let handled = self.adaptive
                    && self.kbps > self.floor_kbps
                    && deciders.iter().any(|d| d.id == l.id)
                    && deciders.iter().all(|d| self.behind(d));
                (self.behind(l) || dropping) && !handled
            })
            .map(|l| {
                (
                    l.id.clone(),
                    format!(
                        "slow link to {}: {:.1} Mb/s of {:.1}",
                        l.platform,
                        l.link_kbps as f64 / 1000.0,
                        stream
                    ),
                )
            })
            .collect()
    }

    /// Takes one look at the canvas's live destinations.
    pub fn decide(&mut self, links: &[Link], now: Instant) -> Decision {
        for l in links {
            let n = self.congested.entry(l.id.clone()).or_insert(0);
            *n = if l.queue_ms > CONGESTED_MS { *n + 1 } else { 0 };
            let g = self.gops.entry(l.id.clone()).or_insert((l.dropped_gops, now - Duration::from_secs(60)));
            if l.dropped_gops > g.0 {
                *g = (l.dropped_gops, now);
            }
        }
        self.congested.retain(|id, _| links.iter().any(|l| &l.id == id));
        let deciders = deciders(links);
        if !self.adaptive || deciders.is_empty() {
            self.clear_since = None;
            return Decision::Hold;
        }
        let since_change = self.last_change.map_or(Duration::MAX, |t| now.duration_since(t));
        if deciders.iter().all(|l| self.behind(l)) {
            self.clear_since = None;
            if since_change < DOWN_SETTLE || self.kbps <= self.floor_kbps {
                return Decision::Hold;
            }
            let (slowest, carried) = deciders
                .iter()
                .map(|l| (l, l.link_kbps))
                .min_by_key(|(_, k)| *k)
                .expect("deciders is not empty");
            if carried == 0 {
                return Decision::Hold;
            }
            let fits = (carried as f64 * HEADROOM) as u32;
            let want = fits.saturating_sub(NON_VIDEO_KBPS).max(self.floor_kbps);
            let kbps = want.min((self.kbps as f64 * 0.9) as u32).max(self.floor_kbps);
            if kbps >= self.kbps {
                return Decision::Hold;
            }
            if self.last_up.is_some_and(|t| now.duration_since(t) < UP_FAILED_WITHIN) {
                self.up_after = (self.up_after * 2).min(UP_AFTER_MAX);
            }
            self.kbps = kbps;
            self.last_change = Some(now);
            let why = format!(
                "the link to {} carries {:.1} Mb/s",
                slowest.platform,
                carried as f64 / 1000.0
            );
            return Decision::Set {
                kbps,
                direction: "down",
                why,
            };
        }
        if deciders.iter().all(|l| l.queue_ms < CLEAR_MS) {
            let since = *self.clear_since.get_or_insert(now);
            if self.kbps < self.target_kbps && now.duration_since(since) >= self.up_after && since_change >= self.up_after
            {
                let kbps = ((self.kbps as f64 * 1.25) as u32).min(self.target_kbps);
                self.kbps = kbps;
                self.last_change = Some(now);
                self.last_up = Some(now);
                self.clear_since = Some(now);
                return Decision::Set {
                    kbps,
                    direction: "up",
                    why: format!("the links kept up for {} s", self.up_after.as_secs()),
                };
            }
        } else {
            self.clear_since = None;
        }
        Decision::Hold
    }

    /// "full", "reduced" or "at floor".
    pub fn state(&self) -> &'static str {
        if self.kbps >= self.target_kbps {
            "full"
        } else if self.kbps <= self.floor_kbps {
            "at floor"
        } else {
            "reduced"
        }
    }
}

/// The links that decide: the primary ones, else all.
fn deciders(links: &[Link]) -> Vec<&Link> {
    let primary: Vec<&Link> = links.iter().filter(|l| l.primary).collect();
    if primary.is_empty() { links.iter().collect() } else { primary }
}

/// A canvas's bitrate control as the snapshot shows it.
#[derive(Debug, Clone, Serialize)]
pub struct UplinkStatus {
    pub canvas: String,
    pub adaptive: bool,
    /// The video bitrate now, the show's, and the lowest it steps to.
    pub video_kbps: u32,
    pub target_kbps: u32,
    pub floor_kbps: u32,
    /// "full", "reduced" or "at floor".
    pub state: String,
    /// The last change and why ("down to 1,700 kb/s: the link to YouTube carries 2.1 Mb/s").
    pub last_decision: Option<String>,
    pub changes: u32,
}

pub struct Uplink {
    pub outputs: Arc<Outputs>,
    pub encoders: Vec<Arc<CanvasEncoder>>,
    pub show: Arc<Show>,
    pub events: Arc<Events>,
    pub status: Arc<Mutex<Vec<UplinkStatus>>>,
    pub stop: Shutdown,
    pub t0: Instant,
}

/// The controls of a show's canvases, and their first status.
pub fn plan(show: &Show) -> (Vec<Control>, Vec<UplinkStatus>) {
    show.canvases
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let target = show.video_kbps(i);
            let floor = show
                .destinations
                .iter()
                .filter(|d| d.canvas == i)
                .map(|d| crate::show::presets::preset(d.platform).min_kbps)
                .max()
                .unwrap_or(300);
            let control = Control::new(target, floor, c.adaptive_bitrate);
            let status = UplinkStatus {
                canvas: c.id.clone(),
                adaptive: c.adaptive_bitrate,
                video_kbps: target,
                target_kbps: target,
                floor_kbps: control.floor_kbps,
                state: "full".into(),
                last_decision: None,
                changes: 0,
            };
            (control, status)
        })
        .unzip()
}

impl Uplink {
    pub fn run(self) {
        let (mut controls, _) = plan(&self.show);
        let primary: HashMap<&str, bool> = self
            .show
            .destinations
            .iter()
            .map(|d| (d.id.as_str(), d.primary))
            .collect();
        let mut slow_now: HashMap<String, String> = HashMap::new();
        let mut next = Instant::now() + PERIOD;
        while !self.stop.wait_until(next) {
            next += PERIOD;
            let now = Instant::now();
            let statuses = self.outputs.destination_status();
            for (i, control) in controls.iter_mut().enumerate() {
                let canvas = &self.show.canvases[i].id;
                let links: Vec<Link> = statuses
                    .iter()
                    .filter(|d| &d.canvas == canvas && d.state == DestState::Live)
                    .map(|d| link(d, primary.get(d.id.as_str()).copied().unwrap_or(false)))
                    .collect();
                if let Decision::Set { kbps, direction, why } = control.decide(&links, now) {
                    let from = self.encoders[i].bitrate();
                    if self.encoders[i].set_bitrate(kbps) {
                        tracing::info!("canvas `{canvas}`: bitrate {direction} {from} → {kbps} kb/s: {why}");
                        self.events.emit(
                            self.t0.elapsed().as_nanos() as u64,
                            Event::Bitrate {
                                canvas: canvas.clone(),
                                direction: direction.to_string(),
                                from_kbps: from,
                                to_kbps: kbps,
                                why: why.clone(),
                            },
                        );
                        let mut st = self.status.lock().unwrap_or_else(|e| e.into_inner());
                        if let Some(s) = st.get_mut(i) {
                            s.changes += 1;
                            s.last_decision = Some(format!("{direction} to {kbps} kb/s: {why}"));
                        }
                    }
                }
                {
                    let mut st = self.status.lock().unwrap_or_else(|e| e.into_inner());
                    if let Some(s) = st.get_mut(i) {
                        s.video_kbps = self.encoders[i].bitrate();
                        s.state = control.state().into();
                    }
                }
                let slow: HashMap<String, String> = control.slow(&links, now).into_iter().collect();
                for d in statuses.iter().filter(|d| &d.canvas == canvas) {
                    let was = slow_now.get(&d.id).cloned();
                    let is = slow.get(&d.id).cloned();
                    if was.is_some() != is.is_some() {
                        if let Some(m) = &is {
                            tracing::warn!("destination `{}`: {m}", d.id);
                        }
                        self.events.emit(
                            self.t0.elapsed().as_nanos() as u64,
                            Event::SlowLink {
                                id: d.id.clone(),
                                canvas: canvas.clone(),
                                slow: is.is_some(),
                                message: is.clone(),
                            },
                        );
                    }
                    if was != is {
                        self.outputs.set_slow(&d.id, is.clone());
                        match is {
                            Some(m) => slow_now.insert(d.id.clone(), m),
                            None => slow_now.remove(&d.id),
                        };
                    }
                }
            }
        }
    }
}

fn link(d: &DestStatus, primary: bool) -> Link {
    Link {
        id: d.id.clone(),
        platform: d.platform.clone(),
        primary,
        queue_ms: d.queue_ms,
        link_kbps: d.link_kbps,
        dropped_gops: d.dropped_gops,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn l(id: &str, primary: bool, queue_ms: u64, link_kbps: u64) -> Link {
        Link {
            id: id.into(),
            platform: id.into(),
            primary,
            queue_ms,
            link_kbps,
            dropped_gops: 0,
        }
    }

    #[test]
    fn steps_down_to_what_the_link_carries_then_back_up_with_hysteresis() {
        let t = Instant::now();
        let at = |s: f64| t + Duration::from_secs_f64(s);
        let mut c = Control::new(4000, 300, true);
        // One look over the mark is not enough.
        assert_eq!(c.decide(&[l("yt", false, 900, 2100)], at(0.0)), Decision::Hold);
        let Decision::Set { kbps, direction, why } = c.decide(&[l("yt", false, 900, 2100)], at(0.5)) else {
            panic!("no step down");
        };
        assert_eq!((kbps, direction), ((2100.0 * HEADROOM) as u32 - NON_VIDEO_KBPS, "down"));
        assert!(why.contains("2.1 Mb/s"), "{why}");
        // Settling: no second step at once.
        assert_eq!(c.decide(&[l("yt", false, 900, 2100)], at(1.0)), Decision::Hold);
        // Clear for UP_AFTER: one step up ×1.25.
        for i in 0..12 {
            assert_eq!(c.decide(&[l("yt", false, 50, 1800)], at(2.0 + i as f64 * 0.5)), Decision::Hold);
        }
        let Decision::Set { kbps: up, direction, .. } = c.decide(&[l("yt", false, 50, 1800)], at(8.5)) else {
            panic!("no step up");
        };
        assert_eq!((up, direction), (((kbps as f64) * 1.25) as u32, "up"));
        // Congestion right after the step up doubles the wait.
        for s in [9.0, 9.5, 10.0] {
            c.decide(&[l("yt", false, 900, 1900)], at(s));
        }
        assert!(matches!(c.decide(&[l("yt", false, 900, 1900)], at(10.5)), Decision::Set { .. }));
        assert_eq!(c.up_after, UP_AFTER * 2);
    }

    #[test]
    fn one_slow_destination_drops_alone_and_a_primary_decides() {
        let t = Instant::now();
        let mut c = Control::new(3500, 300, true);
        let links = [l("yt", false, 50, 3600), l("ig", false, 1500, 1800)];
        for i in 0..4 {
            assert_eq!(c.decide(&links, t + Duration::from_millis(500 * i)), Decision::Hold);
        }
        let slow = c.slow(&links, t + Duration::from_secs(2));
        assert_eq!(slow.len(), 1);
        assert_eq!(slow[0].0, "ig");
        assert_eq!(slow[0].1, "slow link to ig: 1.8 Mb/s of 3.7");
        // Marked primary, its link decides for the canvas.
        let links = [l("yt", false, 50, 3600), l("ig", true, 1500, 1800)];
        let mut c = Control::new(3500, 300, true);
        c.decide(&links, t);
        assert!(matches!(c.decide(&links, t + Duration::from_millis(500)), Decision::Set { direction: "down", .. }));
        assert!(c.slow(&links, t + Duration::from_secs(1)).is_empty());
    }

    #[test]
    fn never_below_the_floor_and_off_when_not_adaptive() {
        let t = Instant::now();
        let mut c = Control::new(4000, 2500, true);
        c.decide(&[l("tt", false, 900, 1000)], t);
        let d = c.decide(&[l("tt", false, 900, 1000)], t + Duration::from_millis(500));
        assert!(matches!(d, Decision::Set { kbps: 2500, .. }), "{d:?}");
        assert_eq!(c.state(), "at floor");
        assert_eq!(c.slow(&[l("tt", false, 900, 1000)], t + Duration::from_secs(1)).len(), 1);
        let mut off = Control::new(4000, 300, false);
        off.decide(&[l("tt", false, 900, 1000)], t);
        assert_eq!(off.decide(&[l("tt", false, 900, 1000)], t + Duration::from_millis(500)), Decision::Hold);
    }
}
