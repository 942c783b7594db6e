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
    lock: Mutex<()>,
    woken: Condvar,
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
}
