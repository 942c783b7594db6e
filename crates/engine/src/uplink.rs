//! Congestion-aware output (docs/uplink.md): one thread looks at every live
//! destination four times a second — stream time waiting for its link, what the
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
use crate::media::destination::DestState;
use crate::media::encoder::CanvasEncoder;
use crate::show::Show;
use crate::shutdown::Shutdown;
use serde::Serialize;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const PERIOD: Duration = Duration::from_millis(250);
/// More stream time than this waiting for a link: it is not keeping up.
pub const CONGESTED_MS: u64 = 400;
/// Less than this: the link keeps up.
pub const CLEAR_MS: u64 = 200;
/// Looks in a row over `CONGESTED_MS` before acting (one second). While a
/// queue waits the sink writes exactly as fast as the link takes it, so
/// the bytes sent over that second are what the link carries.
const CONGESTED_SAMPLES: u32 = 4;
/// After a step down, this long before another (the queue drains).
const DOWN_SETTLE: Duration = Duration::from_secs(3);
/// Clean this long before a step up; doubled when congestion follows a
/// step up within `UP_FAILED_WITHIN`, up to `UP_AFTER_MAX`.
const UP_AFTER: Duration = Duration::from_secs(6);
const UP_AFTER_MAX: Duration = Duration::from_secs(60);
const UP_FAILED_WITHIN: Duration = Duration::from_secs(20);
/// After a step up that stayed clean, the next one comes sooner.
const UP_NEXT: Duration = Duration::from_secs(3);
/// Each step up multiplies the bitrate by this (to the show's).
const UP_FACTOR: f64 = 1.3;
/// The share of what the link carried that the stream is stepped down to;
/// `DRAIN` when more than `DRAIN_OVER_MS` already waits, so that the
/// backlog drains in seconds (the next step up restores the rest).
const HEADROOM: f64 = 0.85;
const DRAIN: f64 = 0.7;
const DRAIN_OVER_MS: u64 = 500;
/// kb/s of the stream that is not video: AAC 128 kb/s and the muxing.
pub const NON_VIDEO_KBPS: u32 = 160;

/// One live destination at one look.
#[derive(Debug, Clone)]
pub struct Link {
    pub id: String,
    pub platform: String,
    pub primary: bool,
    pub queue_ms: u64,
    pub queue_bytes: u64,
    /// What the link carries (the destination's median of recent seconds).
    pub link_kbps: u64,
    /// Bytes the sink has put on the network so far.
    pub bytes_sent: u64,
    pub dropped_gops: u64,
}

/// What to do with a canvas now.
#[derive(Debug, Clone, PartialEq)]
pub enum Decision {
    Hold,
    Set {
        kbps: u32,
        direction: &'static str,
        why: String,
    },
}

/// A canvas's bitrate control.
#[derive(Debug)]
pub struct Control {
    pub target_kbps: u32,
    pub floor_kbps: u32,
    pub kbps: u32,
    pub adaptive: bool,
    congested: HashMap<String, u32>,
    /// Per link: when and at how many bytes sent its queue started to wait.
    marks: HashMap<String, (Instant, u64)>,
    last_change: Option<Instant>,
    last_up: Option<Instant>,
    clear_since: Option<Instant>,
    up_after: Duration,
    gops: HashMap<String, (u64, Instant)>,
    /// The deciders' largest queue (bytes) at the last step down: one that
    /// shrinks since is draining, not a reason for another step. (In stream
    /// time it still grows while the frames made before the step, bigger
    /// than the new ones, go out.)
    queue_at_down: u64,
}

impl Control {
    pub fn new(target_kbps: u32, floor_kbps: u32, adaptive: bool) -> Control {
        Control {
            target_kbps,
            floor_kbps: floor_kbps.min(target_kbps),
            kbps: target_kbps,
            adaptive,
            congested: HashMap::new(),
            marks: HashMap::new(),
            last_change: None,
            last_up: None,
            clear_since: None,
            up_after: UP_AFTER,
            gops: HashMap::new(),
            queue_at_down: 0,
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
            if *n == 0 {
                self.marks.remove(&l.id);
            } else {
                self.marks.entry(l.id.clone()).or_insert((now, l.bytes_sent));
            }
            let g = self
                .gops
                .entry(l.id.clone())
                .or_insert((l.dropped_gops, now - Duration::from_secs(60)));
            if l.dropped_gops > g.0 {
                *g = (l.dropped_gops, now);
            }
        }
        self.congested.retain(|id, _| links.iter().any(|l| &l.id == id));
        self.marks.retain(|id, _| links.iter().any(|l| &l.id == id));
        let deciders = deciders(links);
        if !self.adaptive || deciders.is_empty() {
            self.clear_since = None;
            return Decision::Hold;
        }
        let since_change = self.last_change.map_or(Duration::MAX, |t| now.duration_since(t));
        if deciders.iter().all(|l| self.behind(l)) {
            self.clear_since = None;
            let queue = deciders.iter().map(|l| l.queue_ms).max().unwrap_or(0);
            let bytes = deciders.iter().map(|l| l.queue_bytes).max().unwrap_or(0);
            // A keyframe entering the queue bumps it: growth counts past 15 %.
            let grown = bytes > self.queue_at_down + self.queue_at_down / 7 + 32_768;
            let draining = self.last_change.is_some() && self.kbps < self.target_kbps && !grown;
            if since_change < DOWN_SETTLE || self.kbps <= self.floor_kbps || draining {
                if draining {
                    self.queue_at_down = self.queue_at_down.min(bytes);
                }
                return Decision::Hold;
            }
            let (slowest, carried) = deciders
                .iter()
                .map(|l| (l, self.carried(l, now)))
                .min_by_key(|(_, k)| *k)
                .expect("deciders is not empty");
            if carried == 0 {
                return Decision::Hold;
            }
            let share = if queue > DRAIN_OVER_MS { DRAIN } else { HEADROOM };
            let fits = (carried as f64 * share) as u32;
            let want = fits.saturating_sub(NON_VIDEO_KBPS).max(self.floor_kbps);
            // Never below a quarter of the bitrate in one step: one bad reading
            // does not drop a show to the floor; a link still behind gets
            // another step.
            let kbps = want
                .min((self.kbps as f64 * 0.9) as u32)
                .max(self.kbps / 4)
                .max(self.floor_kbps);
            if kbps >= self.kbps {
                return Decision::Hold;
            }
            if self.last_up.is_some_and(|t| now.duration_since(t) < UP_FAILED_WITHIN) {
                self.up_after = (self.up_after * 2).min(UP_AFTER_MAX);
            }
            self.kbps = kbps;
            self.last_change = Some(now);
            self.queue_at_down = bytes;
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
            // The first step up waits `up_after`; one after a clean step up, `UP_NEXT`.
            let wait = if self.last_up.is_some() && self.last_up == self.last_change {
                UP_NEXT
            } else {
                self.up_after
            };
            if self.kbps < self.target_kbps && now.duration_since(since) >= wait && since_change >= wait {
                let kbps = ((self.kbps as f64 * UP_FACTOR) as u32).min(self.target_kbps);
                self.kbps = kbps;
                self.last_change = Some(now);
                self.last_up = Some(now);
                self.clear_since = Some(now);
                self.queue_at_down = 0;
                return Decision::Set {
                    kbps,
                    direction: "up",
                    why: format!("the links kept up for {} s", wait.as_secs()),
                };
            }
        } else {
            self.clear_since = None;
        }
        Decision::Hold
    }

    /// What `l` carried since its queue started to wait (kb/s), else its
    /// recent rate.
    fn carried(&self, l: &Link, now: Instant) -> u64 {
        match self.marks.get(&l.id) {
            Some((t, b)) if now.duration_since(*t) >= Duration::from_millis(700) => {
                (l.bytes_sent.saturating_sub(*b) as f64 * 8.0 / now.duration_since(*t).as_secs_f64() / 1000.0) as u64
            }
            _ => l.link_kbps,
        }
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
    if primary.is_empty() {
        links.iter().collect()
    } else {
        primary
    }
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
    /// One per canvas, from `plan`.
    pub controls: Vec<Control>,
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
    pub fn run(mut self) {
        let mut controls = std::mem::take(&mut self.controls);
        // (primary, what to call it: the platform's name, a custom server's id)
        let named: HashMap<&str, (bool, String)> = self
            .show
            .destinations
            .iter()
            .map(|d| {
                let name = match d.platform {
                    crate::show::Platform::Custom => d.id.clone(),
                    p => crate::show::presets::preset(p).name.to_string(),
                };
                (d.id.as_str(), (d.primary, name))
            })
            .collect();
        let mut slow_now: HashMap<String, String> = HashMap::new();
        let mut meter = super::budget::Meter::default();
        let mut looks = 0u64;
        let mut next = Instant::now() + PERIOD;
        while !self.stop.wait_until(next) {
            next += PERIOD;
            let now = Instant::now();
            let statuses = self.outputs.destination_status();
            looks += 1;
            if looks.is_multiple_of(4) {
                // Once a second: what the live links delivered together.
                let live = statuses.iter().filter(|d| d.state == DestState::Live);
                let total: u64 = live.clone().map(|d| d.bitrate_bps / 1000).sum();
                meter.add(total, live.clone().any(|d| d.queue_ms > CONGESTED_MS));
            }
            for (i, control) in controls.iter_mut().enumerate() {
                let canvas = &self.show.canvases[i].id;
                let links: Vec<Link> = statuses
                    .iter()
                    .filter(|d| &d.canvas == canvas && d.state == DestState::Live)
                    .map(|d| {
                        let (primary, name) = named.get(d.id.as_str()).cloned().unwrap_or((false, d.id.clone()));
                        Link {
                            id: d.id.clone(),
                            platform: name,
                            primary,
                            queue_ms: d.queue_ms,
                            queue_bytes: d.queue_bytes,
                            link_kbps: d.link_kbps,
                            bytes_sent: d.bytes_delivered,
                            dropped_gops: d.dropped_gops,
                        }
                    })
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
        // The show ends: what its links carried, for the next one's budget.
        if let Some(c) = meter.result() {
            super::budget::save(&c);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A link at `t` s into a look sequence: `queue_ms` waiting, having
    /// carried `kbps` since the start (so its bytes sent say so).
    fn l(id: &str, primary: bool, queue_ms: u64, kbps: u64, t: f64) -> Link {
        Link {
            id: id.into(),
            platform: id.into(),
            primary,
            queue_ms,
            queue_bytes: queue_ms * 500,
            link_kbps: kbps,
            bytes_sent: (kbps as f64 * 1000.0 / 8.0 * t) as u64,
            dropped_gops: 0,
        }
    }

    /// Looks every 250 ms from `from` to `to` s; the decisions that changed something.
    fn looks(
        c: &mut Control,
        t0: Instant,
        from: f64,
        to: f64,
        link: impl Fn(f64) -> Vec<Link>,
    ) -> Vec<(f64, Decision)> {
        let mut out = Vec::new();
        let mut s = from;
        while s <= to + 1e-9 {
            let d = c.decide(&link(s), t0 + Duration::from_secs_f64(s));
            if d != Decision::Hold {
                out.push((s, d));
            }
            s += 0.25;
        }
        out
    }

    #[test]
    fn steps_down_to_what_the_link_carries_then_back_up_with_hysteresis() {
        let t = Instant::now();
        let mut c = Control::new(4000, 300, true);
        // Behind for a second: one step, to what the link carried meanwhile
        // (85 % of it: under `DRAIN_OVER_MS` waiting).
        let d = looks(&mut c, t, 0.0, 0.5, |s| vec![l("yt", false, 450, 2100, s)]);
        assert!(d.is_empty(), "{d:?}");
        let d = looks(&mut c, t, 0.75, 0.75, |s| vec![l("yt", false, 450, 2100, s)]);
        let Some((_, Decision::Set { kbps, direction, why })) = d.first().cloned() else {
            panic!("no step down: {d:?}");
        };
        assert_eq!(direction, "down");
        assert!(
            (2100.0 * HEADROOM - NON_VIDEO_KBPS as f64 - kbps as f64).abs() < 15.0,
            "{kbps}"
        );
        assert!(why.contains("2.1 Mb/s"), "{why}");
        // No second step while the queue drains (in bytes).
        let d = looks(&mut c, t, 1.0, 3.5, |s| {
            vec![l("yt", false, 440 - (s * 10.0) as u64, 2100, s)]
        });
        assert!(d.is_empty(), "{d:?}");
        // Clear for UP_AFTER: one step up; clean steps then come every UP_NEXT.
        let d = looks(&mut c, t, 3.75, 13.0, |s| vec![l("yt", false, 50, 1800, s)]);
        assert!(d.len() >= 2, "{d:?}");
        let Decision::Set {
            kbps: up, direction, ..
        } = d[0].1.clone()
        else {
            unreachable!()
        };
        assert_eq!((up, direction), (((kbps as f64) * UP_FACTOR) as u32, "up"));
        assert!(d[0].0 >= 3.75 + UP_AFTER.as_secs_f64() - 0.3, "{d:?}");
        assert!((d[1].0 - d[0].0 - UP_NEXT.as_secs_f64()).abs() < 0.3, "{d:?}");
        // Congestion right after a step up: a step down, and the wait doubles.
        let last = d.last().unwrap().0;
        let d = looks(&mut c, t, last + 0.25, last + 3.5, |s| {
            vec![l("yt", false, 900, 1900, s)]
        });
        assert!(
            matches!(d.first(), Some((_, Decision::Set { direction: "down", .. }))),
            "{d:?}"
        );
        assert_eq!(c.up_after, UP_AFTER * 2);
    }

    #[test]
    fn one_slow_destination_drops_alone_and_a_primary_decides() {
        let t = Instant::now();
        let mut c = Control::new(3500, 300, true);
        let links = |s| vec![l("yt", false, 50, 3600, s), l("ig", false, 1500, 1800, s)];
        assert!(looks(&mut c, t, 0.0, 2.0, links).is_empty());
        let slow = c.slow(&links(2.0), t + Duration::from_secs(2));
        assert_eq!(slow.len(), 1);
        assert_eq!(slow[0].0, "ig");
        assert_eq!(slow[0].1, "slow link to ig: 1.8 Mb/s of 3.7");
        // Marked primary, its link decides for the canvas.
        let links = |s| vec![l("yt", false, 50, 3600, s), l("ig", true, 1500, 1800, s)];
        let mut c = Control::new(3500, 300, true);
        let d = looks(&mut c, t, 0.0, 1.0, links);
        assert!(
            matches!(d.first(), Some((_, Decision::Set { direction: "down", .. }))),
            "{d:?}"
        );
        assert!(c.slow(&links(1.0), t + Duration::from_secs(1)).is_empty());
    }

    #[test]
    fn never_below_the_floor_and_off_when_not_adaptive() {
        let t = Instant::now();
        let mut c = Control::new(4000, 2500, true);
        let d = looks(&mut c, t, 0.0, 1.0, |s| vec![l("tt", false, 900, 1000, s)]);
        assert!(
            matches!(d.first(), Some((_, Decision::Set { kbps: 2500, .. }))),
            "{d:?}"
        );
        assert_eq!(c.state(), "at floor");
        assert_eq!(
            c.slow(&[l("tt", false, 900, 1000, 1.0)], t + Duration::from_secs(1))
                .len(),
            1
        );
        let mut off = Control::new(4000, 300, false);
        assert!(looks(&mut off, t, 0.0, 3.0, |s| vec![l("tt", false, 900, 1000, s)]).is_empty());
    }
}
