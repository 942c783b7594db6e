//! The run of show while live: which segment is on, and what moving to
//! another one puts on air (docs/rundown.md). Moving is one command: the
//! segment's scene is cut to program and its card, lower third, banner and
//! countdown go up together on every canvas (what the previous segment put
//! up and this one does not have comes down).

use crate::graphics::GraphicsCommand;
use crate::show::rundown::Segment;
use serde::Serialize;

/// Where to move the rundown.
#[derive(Debug, Clone, PartialEq)]
pub enum RundownCommand {
    Next,
    Previous,
    /// To segment `index` (from 0).
    GoTo(usize),
    /// The segments, edited (reordered, retitled...): checked against the
    /// show's scenes and catalog. The segment on air stays on air if it is
    /// still in the list.
    Set(Vec<Segment>),
}

impl RundownCommand {
    pub fn name(&self) -> &'static str {
        match self {
            RundownCommand::Next => "next",
            RundownCommand::Previous => "previous",
            RundownCommand::GoTo(_) => "go_to",
            RundownCommand::Set(_) => "set",
        }
    }
}

/// Why the rundown cannot move.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum RundownError {
    #[error("this show has no rundown: add [rundown] to the show file")]
    NoRundown,
    #[error("the rundown is at its last segment ({0})")]
    AtEnd(String),
    #[error("the rundown is at its first segment")]
    AtStart,
    #[error("no segment {asked}: the rundown has {of}")]
    NoSegment { asked: usize, of: usize },
    #[error("segment \"{title}\": {message} ({hint})")]
    Invalid {
        title: String,
        message: String,
        hint: String,
    },
    #[error("a rundown needs at least one segment")]
    Empty,
}

/// The rundown now, for the snapshot.
#[derive(Debug, Clone, Default, Serialize)]
pub struct RundownStatus {
    pub segments: usize,
    /// Changes whenever the segments are edited (clients re-read
    /// `Engine::rundown`).
    pub version: u64,
    pub current: Option<SegmentStatus>,
    pub next: Option<SegmentStatus>,
    /// Seconds the current segment has been on.
    pub elapsed_s: Option<f64>,
    /// Elapsed less planned: positive over time, negative under.
    pub over_s: Option<f64>,
}

impl RundownStatus {
    /// "segment 2/4 Mugs 1:05 of 4:00 (next: Hats)", or where it starts.
    pub fn words(&self) -> String {
        let clock = |s: f64| {
            let s = s.abs().round() as u64;
            format!("{}:{:02}", s / 60, s % 60)
        };
        let next = self
            .next
            .as_ref()
            .map(|n| format!(" (next: {})", n.title))
            .unwrap_or_default();
        match &self.current {
            None => format!("rundown: {} segments, not started{next}", self.segments),
            Some(c) => {
                let mut p = format!("segment {}/{} {}", c.index + 1, self.segments, c.title);
                if let Some(e) = self.elapsed_s {
                    p += &format!(" {}", clock(e));
                }
                match (c.planned_s, self.over_s) {
                    (Some(planned), Some(over)) if over > 0.0 => {
                        p += &format!(" of {}, {} over", clock(planned), clock(over))
                    }
                    (Some(planned), _) => p += &format!(" of {}", clock(planned)),
                    _ => {}
                }
                p + &next
            }
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct SegmentStatus {
    /// From 0.
    pub index: usize,
    pub title: String,
    pub products: Vec<String>,
    pub scene: Option<String>,
    pub planned_s: Option<f64>,
    pub talking_points: Vec<String>,
}

pub struct Rundown {
    segments: Vec<Segment>,
    current: Option<usize>,
    /// Show-clock time the current segment came on.
    since_ns: u64,
    version: u64,
}

impl Rundown {
    pub fn new(segments: Vec<Segment>) -> Rundown {
        Rundown {
            segments,
            current: None,
            since_ns: 0,
            version: 1,
        }
    }

    pub fn segments(&self) -> &[Segment] {
        &self.segments
    }

    pub fn current(&self) -> Option<usize> {
        self.current
    }

    /// The segment a move goes to.
    pub fn target(&self, cmd: &RundownCommand) -> Result<usize, RundownError> {
        let n = self.segments.len();
        match (cmd, self.current) {
            (RundownCommand::Next, None) => Ok(0),
            (RundownCommand::Next, Some(i)) if i + 1 < n => Ok(i + 1),
            (RundownCommand::Next, Some(i)) => Err(RundownError::AtEnd(self.segments[i].title.clone())),
            (RundownCommand::Previous, Some(i)) if i > 0 => Ok(i - 1),
            (RundownCommand::Previous, _) => Err(RundownError::AtStart),
            (RundownCommand::GoTo(i), _) if *i < n => Ok(*i),
            (RundownCommand::GoTo(i), _) => Err(RundownError::NoSegment { asked: i + 1, of: n }),
            (RundownCommand::Set(_), _) => unreachable!("Set is not a move"),
        }
    }

    /// The flash deal segment `index` starts: (product code, deal).
    pub fn deal(&self, index: usize) -> Option<(String, crate::show::rundown::SegmentDeal)> {
        let s = self.segments.get(index)?;
        Some((s.products.first()?.clone(), s.deal.clone()?))
    }

    /// Makes `index` the current segment at `now_ns`; returns the scene
    /// to cut to and the graphics commands that put it on air.
    pub fn enter(&mut self, index: usize, now_ns: u64) -> (Option<String>, Vec<GraphicsCommand>) {
        let s = &self.segments[index];
        self.current = Some(index);
        self.since_ns = now_ns;
        let g = vec![
            match s.products.first() {
                Some(code) => GraphicsCommand::Feature(code.clone()),
                None => GraphicsCommand::HideProduct,
            },
            match &s.lower_third {
                Some((name, title)) => GraphicsCommand::LowerThird {
                    name: name.clone(),
                    title: title.clone(),
                },
                None => GraphicsCommand::HideLowerThird,
            },
            match &s.banner {
                Some(b) => GraphicsCommand::Banner(b.clone()),
                None => GraphicsCommand::HideBanner,
            },
            match s.countdown_s {
                Some(seconds) => GraphicsCommand::StartCountdown {
                    seconds,
                    label: s.countdown_label.clone(),
                },
                None => GraphicsCommand::StopCountdown,
            },
        ];
        (s.scene.clone(), g)
    }

    /// Takes edited segments; the current one stays current where it is
    /// found again (same title), else the rundown is between segments at
    /// the same place.
    pub fn set(&mut self, segments: Vec<Segment>) {
        if let Some(i) = self.current {
            let title = &self.segments[i].title;
            self.current = segments
                .iter()
                .position(|s| &s.title == title)
                .or_else(|| Some(i.min(segments.len() - 1)));
        }
        self.segments = segments;
        self.version += 1;
    }

    fn segment_status(&self, index: usize) -> SegmentStatus {
        let s = &self.segments[index];
        SegmentStatus {
            index,
            title: s.title.clone(),
            products: s.products.clone(),
            scene: s.scene.clone(),
            planned_s: s.planned_ms.map(|ms| ms as f64 / 1e3),
            talking_points: s.talking_points.clone(),
        }
    }

    pub fn status(&self, now_ns: u64) -> RundownStatus {
        let next = match self.current {
            None => (!self.segments.is_empty()).then_some(0),
            Some(i) => (i + 1 < self.segments.len()).then_some(i + 1),
        };
        let elapsed_s = self.current.map(|_| now_ns.saturating_sub(self.since_ns) as f64 / 1e9);
        let over_s = self
            .current
            .and_then(|i| self.segments[i].planned_ms)
            .zip(elapsed_s)
            .map(|(planned, e)| e - planned as f64 / 1e3);
        RundownStatus {
            segments: self.segments.len(),
            version: self.version,
            current: self.current.map(|i| self.segment_status(i)),
            next: next.map(|i| self.segment_status(i)),
            elapsed_s,
            over_s,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seg(title: &str, planned_ms: Option<u64>) -> Segment {
        Segment {
            title: title.into(),
            planned_ms,
            ..Segment::default()
        }
    }

    #[test]
    fn moves_stop_at_the_ends_and_time_runs_per_segment() {
        let mut r = Rundown::new(vec![seg("a", Some(60_000)), seg("b", None)]);
        assert_eq!(r.target(&RundownCommand::Previous), Err(RundownError::AtStart));
        assert_eq!(r.target(&RundownCommand::Next), Ok(0));
        let (_, g) = r.enter(0, 1_000_000_000);
        assert!(g.contains(&GraphicsCommand::HideProduct));
        let st = r.status(91_000_000_000);
        assert_eq!(st.current.unwrap().title, "a");
        assert_eq!(st.next.unwrap().title, "b");
        assert!((st.over_s.unwrap() - 30.0).abs() < 1e-6);
        r.enter(1, 91_000_000_000);
        assert_eq!(r.target(&RundownCommand::Next), Err(RundownError::AtEnd("b".into())));
        assert_eq!(
            r.target(&RundownCommand::GoTo(5)),
            Err(RundownError::NoSegment { asked: 6, of: 2 })
        );
        r.set(vec![seg("b", None), seg("a", None)]);
        assert_eq!(r.current(), Some(0));
        assert!(r.status(0).over_s.is_none());
    }
}
