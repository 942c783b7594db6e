//! One signal that ends a show's waiting threads: each waits on it instead
//! of sleeping and looking at a flag, so the end wakes them all at once.
//! A leaf: it imports nothing of the program.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

/// Cheap to look at (an atomic: the render and mixer loops look every
/// tick) and to wait on (a condition variable).
#[derive(Clone, Default)]
pub struct Shutdown(Arc<Signal>);

#[derive(Default)]
struct Signal {
    on: AtomicBool,
    /// A nudge not yet seen by `wait_nudged`; written under `lock`.
    nudged: AtomicBool,
    lock: Mutex<()>,
    woken: Condvar,
}

/// Why `wait_nudged` returned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Woken {
    Triggered,
    Nudged,
    TimedOut,
}

impl Shutdown {
    pub fn new() -> Shutdown {
        Shutdown::default()
    }

    /// Ends it: every waiter wakes now.
    pub fn trigger(&self) {
        // Set under the lock, so a waiter between its look and its wait
        // cannot miss it.
        let _held = self.0.lock.lock().unwrap_or_else(|e| e.into_inner());
        self.0.on.store(true, Ordering::SeqCst);
        self.0.woken.notify_all();
    }

    pub fn is_triggered(&self) -> bool {
        self.0.on.load(Ordering::SeqCst)
    }

    /// Waits `timeout`, or less if it is triggered meanwhile. True when it
    /// has been triggered.
    pub fn wait(&self, timeout: Duration) -> bool {
        let guard = self.0.lock.lock().unwrap_or_else(|e| e.into_inner());
        let _ = self
            .0
            .woken
            .wait_timeout_while(guard, timeout, |_| !self.is_triggered())
            .unwrap_or_else(|e| e.into_inner());
        self.is_triggered()
    }

    /// Waits until `at`, or less if triggered. True when triggered.
    pub fn wait_until(&self, at: Instant) -> bool {
        self.wait(at.saturating_duration_since(Instant::now()))
    }

    /// Wakes a `wait_nudged` without ending anything ("reconnect now", "the
    /// device failed"). A nudge given while nobody waits is kept for the
    /// next wait.
    pub fn nudge(&self) {
        let _held = self.0.lock.lock().unwrap_or_else(|e| e.into_inner());
        self.0.nudged.store(true, Ordering::SeqCst);
        self.0.woken.notify_all();
    }

    /// Waits until `deadline` (None: no deadline), a nudge, or the trigger,
    /// whichever is first; the trigger wins over a nudge. The nudge is
    /// used up.
    pub fn wait_nudged(&self, deadline: Option<Instant>) -> Woken {
        let mut guard = self.0.lock.lock().unwrap_or_else(|e| e.into_inner());
        loop {
            if self.is_triggered() {
                return Woken::Triggered;
            }
            if self.0.nudged.swap(false, Ordering::SeqCst) {
                return Woken::Nudged;
            }
            guard = match deadline {
                None => self.0.woken.wait(guard).unwrap_or_else(|e| e.into_inner()),
                Some(d) => {
                    let left = d.saturating_duration_since(Instant::now());
                    if left.is_zero() {
                        return Woken::TimedOut;
                    }
                    self.0
                        .woken
                        .wait_timeout(guard, left)
                        .unwrap_or_else(|e| e.into_inner())
                        .0
                }
            };
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_trigger_wakes_every_waiter_at_once() {
        let s = Shutdown::new();
        let waiters: Vec<_> = (0..4)
            .map(|_| {
                let s = s.clone();
                std::thread::spawn(move || s.wait(Duration::from_secs(3600)))
            })
            .collect();
        assert!(!s.wait(Duration::from_millis(1)));
        s.trigger();
        for w in waiters {
            assert!(w.join().unwrap(), "woken by the trigger, not the hour");
        }
        assert!(s.is_triggered());
        assert!(s.wait(Duration::from_secs(3600)), "once triggered, no wait");
    }

    #[test]
    fn a_nudge_wakes_a_waiter_once_and_the_trigger_wins() {
        let s = Shutdown::new();
        let soon = || Some(Instant::now() + Duration::from_millis(20));
        assert_eq!(s.wait_nudged(soon()), Woken::TimedOut);
        let waiter = {
            let s = s.clone();
            std::thread::spawn(move || s.wait_nudged(None))
        };
        s.nudge();
        assert_eq!(waiter.join().unwrap(), Woken::Nudged, "woken with no deadline");
        // Used up by that wait; one given before a wait is kept for it.
        assert_eq!(s.wait_nudged(soon()), Woken::TimedOut);
        s.nudge();
        assert_eq!(s.wait_nudged(None), Woken::Nudged);
        s.nudge();
        s.trigger();
        assert_eq!(s.wait_nudged(None), Woken::Triggered);
    }
}
