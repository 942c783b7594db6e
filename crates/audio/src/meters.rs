//! Level meters: peak and RMS over the last 300 ms, EBU R128 momentary
//! (400 ms) and short-term (3 s) loudness (ebur128), and for the master
//! the integrated loudness of the whole show.

use super::dsp::{Frame, gain_to_db};
use ebur128::{EbuR128, Mode};
use std::collections::VecDeque;

/// 300 ms of 20 ms blocks.
const WINDOW_BLOCKS: usize = 15;

#[derive(Debug, Clone, Copy, Default, PartialEq, serde::Serialize)]
pub struct Levels {
    /// dBFS; -inf for silence is given as -120.
    pub peak_db: f32,
    pub rms_db: f32,
    /// LUFS; -120 until there is a measurement.
    pub momentary_lufs: f32,
    pub short_term_lufs: f32,
}

pub struct Meter {
    ebu: EbuR128,
    /// Per block: (peak, sum of squares, frames).
    blocks: VecDeque<(f32, f64, usize)>,
}

fn finite(v: f64) -> f32 {
    if v.is_finite() { (v as f32).max(-120.0) } else { -120.0 }
}

impl Meter {
    /// `integrated`: also keep the show's integrated loudness (master).
    pub fn new(integrated: bool) -> Meter {
        let mode = if integrated {
            Mode::M | Mode::S | Mode::I
        } else {
            Mode::M | Mode::S
        };
        Meter {
            ebu: EbuR128::new(2, 48_000, mode).expect("2 channels at 48 kHz are supported"),
            blocks: VecDeque::with_capacity(WINDOW_BLOCKS + 1),
        }
    }

    pub fn add(&mut self, frames: &[Frame]) {
        let flat: &[f32] = bytemuck::cast_slice(frames);
        let _ = self.ebu.add_frames_f32(flat);
        let peak = flat.iter().fold(0f32, |m, s| m.max(s.abs()));
        let sq: f64 = flat.iter().map(|s| (*s as f64) * (*s as f64)).sum();
        self.blocks.push_back((peak, sq, flat.len()));
        if self.blocks.len() > WINDOW_BLOCKS {
            self.blocks.pop_front();
        }
    }

    pub fn levels(&self) -> Levels {
        let peak = self.blocks.iter().fold(0f32, |m, b| m.max(b.0));
        let (sq, n) = self.blocks.iter().fold((0f64, 0usize), |(s, n), b| (s + b.1, n + b.2));
        let rms = if n > 0 { (sq / n as f64).sqrt() as f32 } else { 0.0 };
        Levels {
            peak_db: gain_to_db(peak).max(-120.0),
            rms_db: gain_to_db(rms).max(-120.0),
            momentary_lufs: finite(self.ebu.loudness_momentary().unwrap_or(f64::NEG_INFINITY)),
            short_term_lufs: finite(self.ebu.loudness_shortterm().unwrap_or(f64::NEG_INFINITY)),
        }
    }

    /// Integrated loudness so far (master meter), LUFS.
    pub fn integrated(&self) -> Option<f32> {
        self.ebu
            .loudness_global()
            .ok()
            .filter(|v| v.is_finite())
            .map(|v| v as f32)
    }
}
