//! Preview and program: which scene is on air, which is prepared, and the
//! transition between them, timed on the show clock.

use crate::show::{TransitionKind, TransitionSpec};
use std::sync::Mutex;

/// What a canvas draws at one tick.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Frame {
    Scene(usize),
    Transition {
        from: usize,
        to: usize,
        spec: TransitionSpec,
        /// 0.0–1.0, exclusive of both ends.
        progress: f32,
    },
}

#[derive(Debug, Clone, Copy)]
struct Active {
    from: usize,
    to: usize,
    spec: TransitionSpec,
    /// Show-clock time the transition started (set by the first tick that draws it).
    start_ns: Option<u64>,
    /// Moved by hand (the T-bar): the position, instead of the clock.
    manual: Option<f32>,
}

#[derive(Debug)]
struct State {
    program: usize,
    preview: usize,
    active: Option<Active>,
}

#[derive(Debug)]
pub struct Program {
    state: Mutex<State>,
}

/// Progress of a transition at `due_ns` that started at `start_ns`.
pub fn progress(start_ns: u64, due_ns: u64, duration_ms: u32) -> f64 {
    let duration = duration_ms.max(1) as f64 * 1e6;
    (due_ns.saturating_sub(start_ns) as f64 / duration).clamp(0.0, 1.0)
}

impl Program {
    pub fn new(scene: usize) -> Program {
        Program {
            state: Mutex::new(State {
                program: scene,
                preview: scene,
                active: None,
            }),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub fn program(&self) -> usize {
        let s = self.lock();
        s.active.map(|a| a.to).unwrap_or(s.program)
    }

    pub fn preview(&self) -> usize {
        self.lock().preview
    }

    /// True while a transition runs.
    pub fn in_transition(&self) -> bool {
        self.lock().active.is_some()
    }

    /// Puts a scene on program at once (a cut), ending any transition.
    pub fn cut_to(&self, scene: usize) {
        let mut s = self.lock();
        s.program = scene;
        s.active = None;
    }

    pub fn set_preview(&self, scene: usize) {
        self.lock().preview = scene;
    }

    /// Takes the preview scene to program with `spec`; the old program
    /// becomes the preview (studio-mode swap). A take during a transition
    /// finishes the running one first; during a T-bar move it finishes that
    /// move and does nothing more.
    pub fn take(&self, spec: TransitionSpec) {
        let mut s = self.lock();
        if let Some(a) = s.active.take() {
            s.program = a.to;
            if a.manual.is_some() {
                s.preview = a.from;
                return;
            }
        }
        let (from, to) = (s.program, s.preview);
        s.preview = from;
        if spec.kind == TransitionKind::Cut || from == to {
            s.program = to;
        } else {
            s.active = Some(Active {
                from,
                to,
                spec,
                start_ns: None,
                manual: None,
            });
        }
    }

    /// The T-bar at `position` (0.0 = program as it is, 1.0 = preview taken)
    /// mixing with `spec`. Reaching 1.0 completes the take (studio-mode
    /// swap); going back to 0.0 leaves program as it was. A timed transition
    /// running when the T-bar moves is finished first.
    pub fn set_tbar(&self, position: f32, spec: TransitionSpec) {
        let position = position.clamp(0.0, 1.0);
        let mut s = self.lock();
        match s.active {
            Some(a) if a.manual.is_some() => {
                if position >= 1.0 {
                    s.program = a.to;
                    s.preview = a.from;
                    s.active = None;
                } else if position <= 0.0 {
                    s.active = None;
                } else {
                    s.active = Some(Active {
                        manual: Some(position),
                        ..a
                    });
                }
            }
            _ => {
                if let Some(a) = s.active.take() {
                    s.program = a.to;
                }
                let (from, to) = (s.program, s.preview);
                if from == to || position <= 0.0 {
                    return;
                }
                if position >= 1.0 {
                    s.program = to;
                    s.preview = from;
                    return;
                }
                s.active = Some(Active {
                    from,
                    to,
                    spec,
                    start_ns: None,
                    manual: Some(position),
                });
            }
        }
    }

    /// Where the T-bar holds a transition, if it does.
    pub fn tbar(&self) -> Option<f32> {
        self.lock().active.and_then(|a| a.manual)
    }

    /// What to draw at `due_ns` on a canvas ticking every `period_ns`. The
    /// first tick that sees a new transition starts it one period earlier,
    /// so its first frame is already one step in (frame k shows k × period / duration).
    pub fn frame(&self, due_ns: u64, period_ns: u64) -> Frame {
        let mut s = self.lock();
        let Some(mut a) = s.active else {
            return Frame::Scene(s.program);
        };
        if let Some(position) = a.manual {
            return Frame::Transition {
                from: a.from,
                to: a.to,
                spec: a.spec,
                progress: position,
            };
        }
        let start = *a.start_ns.get_or_insert(due_ns.saturating_sub(period_ns));
        s.active = Some(a);
        let p = progress(start, due_ns, a.spec.duration_ms);
        // Integer nanosecond periods (1e9 / 30) fall a hair short of the
        // duration: within a microsecond counts as done.
        if p >= 1.0 - 1e-6 {
            s.program = a.to;
            s.active = None;
            return Frame::Scene(a.to);
        }
        Frame::Transition {
            from: a.from,
            to: a.to,
            spec: a.spec,
            progress: p as f32,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PERIOD: u64 = 33_333_333;

    #[test]
    fn a_500_ms_fade_at_30_fps_steps_by_one_fifteenth() {
        let p = Program::new(0);
        p.set_preview(1);
        p.take(TransitionSpec {
            kind: TransitionKind::Fade,
            duration_ms: 500,
        });
        assert_eq!(p.preview(), 0);
        let mut seen = Vec::new();
        for k in 1..=16u64 {
            match p.frame(10 * PERIOD + k * PERIOD, PERIOD) {
                Frame::Transition {
                    progress,
                    from: 0,
                    to: 1,
                    ..
                } => seen.push(progress),
                Frame::Scene(1) => break,
                other => panic!("{other:?}"),
            }
        }
        assert_eq!(seen.len(), 14, "{seen:?}");
        for (k, v) in seen.iter().enumerate() {
            assert!((v - (k as f32 + 1.0) / 15.0).abs() < 1e-3, "{seen:?}");
        }
        assert_eq!(p.program(), 1);
    }

    #[test]
    fn cut_is_immediate_and_swaps_preview() {
        let p = Program::new(0);
        p.set_preview(2);
        p.take(TransitionSpec {
            kind: TransitionKind::Cut,
            duration_ms: 500,
        });
        assert_eq!((p.program(), p.preview()), (2, 0));
        assert_eq!(p.frame(0, PERIOD), Frame::Scene(2));
    }

    #[test]
    fn the_tbar_mixes_by_hand_completes_at_the_end_and_can_go_back() {
        let fade = TransitionSpec {
            kind: TransitionKind::Fade,
            duration_ms: 500,
        };
        let p = Program::new(0);
        p.set_preview(1);
        p.set_tbar(0.25, fade);
        // Held where the hand is, whatever the clock says.
        for due in [0, PERIOD * 100] {
            match p.frame(due, PERIOD) {
                Frame::Transition { from, to, progress, .. } => assert_eq!((from, to, progress), (0, 1, 0.25)),
                f => panic!("{f:?}"),
            }
        }
        assert_eq!(p.tbar(), Some(0.25));
        // Back to the start: nothing changed.
        p.set_tbar(0.0, fade);
        assert_eq!((p.program(), p.preview(), p.tbar()), (0, 1, None));
        assert_eq!(p.frame(0, PERIOD), Frame::Scene(0));
        // All the way: taken, with the studio-mode swap.
        p.set_tbar(0.6, fade);
        p.set_tbar(1.0, fade);
        assert_eq!((p.program(), p.preview(), p.in_transition()), (1, 0, false));
        // Take during a move finishes it.
        p.set_tbar(0.5, fade);
        p.take(fade);
        assert_eq!((p.program(), p.preview(), p.in_transition()), (0, 1, false));
    }
}
