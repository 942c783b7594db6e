//! Audio hand-over: each audio source fills a bounded ring of 48 kHz stereo;
//! the mixer (src/audio) takes blocks from it on the engine clock. Missing
//! samples become silence and overflow drops the oldest samples, so audio
//! latency never grows.

use std::collections::VecDeque;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

/// Half a second of interleaved stereo at 48 kHz.
const RING_CAPACITY: usize = 48_000;

#[derive(Default)]
struct Inner {
    samples: VecDeque<f32>,
    /// (arrival, samples pushed in all up to the end of that push).
    arrivals: VecDeque<(Instant, u64)>,
    pushed: u64,
    taken: u64,
}

#[derive(Default)]
pub struct AudioRing {
    inner: Mutex<Inner>,
    /// Samples (not frames) dropped because the mixer fell behind.
    pub overflow: AtomicU64,
    /// Samples the mixer wanted and did not get (filled with silence).
    pub underrun: AtomicU64,
    /// How long samples wait here before the mixer takes them, averaged
    /// (µs, f64 bits).
    wait_us: AtomicU64,
    /// Time from capture to hand-over reported by the device (µs), if any.
    pub device_us: AtomicU64,
}

impl AudioRing {
    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub fn push(&self, data: &[f32]) {
        let mut q = self.lock();
        q.samples.extend(data.iter().copied());
        q.pushed += data.len() as u64;
        let end = q.pushed;
        q.arrivals.push_back((Instant::now(), end));
        if q.samples.len() > RING_CAPACITY {
            let extra = q.samples.len() - RING_CAPACITY;
            q.samples.drain(..extra);
            q.taken += extra as u64;
            self.overflow.fetch_add(extra as u64, Ordering::Relaxed);
        }
    }

    /// Samples (not frames) waiting for the mixer.
    pub fn len(&self) -> usize {
        self.lock().samples.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The average time samples wait here, ms.
    pub fn wait_ms(&self) -> f64 {
        f64::from_bits(self.wait_us.load(Ordering::Relaxed)) / 1000.0
    }

    /// Forgets what was buffered (at the start of the show clock).
    pub fn clear(&self) {
        let mut q = self.lock();
        let n = q.samples.len() as u64;
        q.samples.clear();
        q.taken += n;
        q.arrivals.clear();
    }

    /// Adds up to `out.len()` samples into `out`.
    pub fn mix_into(&self, out: &mut [f32]) {
        let mut q = self.lock();
        let n = out.len().min(q.samples.len());
        for (o, s) in out.iter_mut().zip(q.samples.drain(..n)) {
            *o += s;
        }
        if n > 0 {
            // How long the first sample taken has waited.
            let first = q.taken;
            q.taken += n as u64;
            if let Some(&(arrived, _)) = q.arrivals.iter().find(|(_, end)| *end > first) {
                let waited = arrived.elapsed().as_secs_f64() * 1e6;
                let avg = f64::from_bits(self.wait_us.load(Ordering::Relaxed));
                let avg = if avg == 0.0 {
                    waited
                } else {
                    avg + 0.05 * (waited - avg)
                };
                self.wait_us.store(avg.to_bits(), Ordering::Relaxed);
            }
            let taken = q.taken;
            while q.arrivals.front().is_some_and(|(_, end)| *end <= taken) {
                q.arrivals.pop_front();
            }
        }
        if n < out.len() {
            self.underrun.fetch_add((out.len() - n) as u64, Ordering::Relaxed);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    #[test]
    fn mixes_into_and_pads_with_silence() {
        let b = Arc::new(AudioRing::default());
        b.push(&[0.5; 4]);
        let mut block = [0.25f32; 8];
        b.mix_into(&mut block);
        assert_eq!(&block[..4], &[0.75; 4]);
        assert_eq!(&block[4..], &[0.25; 4]);
        assert_eq!(b.underrun.load(Ordering::Relaxed), 4);
    }

    #[test]
    fn ring_is_bounded() {
        let a = AudioRing::default();
        a.push(&vec![0.1; RING_CAPACITY + 100]);
        assert_eq!(a.overflow.load(Ordering::Relaxed), 100);
    }
}
