//! Audio hand-over: each audio source fills a bounded ring of 48 kHz stereo;
//! the mixer (src/audio) takes blocks from it on the engine clock. Missing
//! samples become silence and overflow drops the oldest samples, so audio
//! latency never grows.

use std::collections::VecDeque;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

/// Half a second of interleaved stereo at 48 kHz.
const RING_CAPACITY: usize = 48_000;

#[derive(Default)]
pub struct AudioRing {
    samples: Mutex<VecDeque<f32>>,
    /// Samples (not frames) dropped because the mixer fell behind.
    pub overflow: AtomicU64,
    /// Samples the mixer wanted and did not get (filled with silence).
    pub underrun: AtomicU64,
}

impl AudioRing {
    pub fn push(&self, data: &[f32]) {
        let mut q = self.samples.lock().unwrap_or_else(|e| e.into_inner());
        q.extend(data.iter().copied());
        if q.len() > RING_CAPACITY {
            let extra = q.len() - RING_CAPACITY;
            q.drain(..extra);
            self.overflow.fetch_add(extra as u64, Ordering::Relaxed);
        }
    }

    /// Samples (not frames) waiting for the mixer.
    pub fn len(&self) -> usize {
        self.samples.lock().unwrap_or_else(|e| e.into_inner()).len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Forgets what was buffered (at the start of the show clock).
    pub fn clear(&self) {
        self.samples.lock().unwrap_or_else(|e| e.into_inner()).clear();
    }

    /// Adds up to `out.len()` samples into `out`.
    pub fn mix_into(&self, out: &mut [f32]) {
        let mut q = self.samples.lock().unwrap_or_else(|e| e.into_inner());
        let n = out.len().min(q.len());
        for (o, s) in out.iter_mut().zip(q.drain(..n)) {
            *o += s;
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
