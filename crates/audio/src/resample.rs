//! Any device rate to the mixer's 48 kHz, correcting for drift: a
//! microphone's clock is not the show's, so a "48 kHz" device delivers a
//! little more or less than 48 000 frames per second of show time. The
//! ratio is nudged (±1 % at most, smoothly) to hold the ring the mixer
//! reads at the level it settled at, so the buffer stays bounded and never
//! runs dry, without dropping or repeating samples.

use crate::ring::AudioRing;
use rubato::{Resampler, SincFixedIn, SincInterpolationParameters, SincInterpolationType, WindowFunction};

/// Input frames per resampler run (10 ms at 48 kHz).
const CHUNK: usize = 480;
/// Largest correction of the ratio.
const MAX_CORRECTION: f64 = 1.01;
/// Proportional gain: a fill 10 % off its target corrects the ratio by
/// 0.02 % (200 ppm, a cheap crystal's error). Slow on purpose: the fill is
/// an integral of the rate error, and a fast loop on it would swing.
const KP: f64 = 0.002;
/// Pushes after which the settled fill becomes the target.
const SETTLE_PUSHES: u32 = 200;

pub struct DriftResampler {
    inner: SincFixedIn<f32>,
    pending: [Vec<f32>; 2],
    out: Vec<Vec<f32>>,
    fill_avg: f64,
    target: Option<f64>,
    pushes: u32,
    /// The relative ratio now (1.0: the nominal rates).
    pub correction: f64,
}

/// An input rate the resampler cannot take.
#[derive(Debug, thiserror::Error)]
#[error("cannot resample {rate} Hz to 48 kHz: {detail}")]
pub struct ResampleError {
    pub rate: u32,
    pub detail: String,
}

impl DriftResampler {
    pub fn new(in_rate: u32) -> Result<DriftResampler, ResampleError> {
        // Band-limited (sinc) interpolation: clean for rate changes like
        // 44.1 → 48 kHz, and continuous while the ratio is nudged.
        let params = SincInterpolationParameters {
            sinc_len: 64,
            f_cutoff: 0.95,
            interpolation: SincInterpolationType::Linear,
            oversampling_factor: 64,
            window: WindowFunction::BlackmanHarris2,
        };
        let inner = SincFixedIn::new(48_000.0 / in_rate as f64, MAX_CORRECTION, params, CHUNK, 2).map_err(|e| {
            ResampleError {
                rate: in_rate,
                detail: e.to_string(),
            }
        })?;
        let out = inner.output_buffer_allocate(true);
        Ok(DriftResampler {
            inner,
            pending: [Vec::new(), Vec::new()],
            out,
            fill_avg: 0.0,
            target: None,
            pushes: 0,
            correction: 1.0,
        })
    }

    /// Takes interleaved stereo at the device rate; pushes 48 kHz stereo
    /// into `ring`, and corrects the ratio from the ring's fill.
    pub fn push(&mut self, stereo: &[f32], ring: &AudioRing) {
        for f in stereo.chunks_exact(2) {
            self.pending[0].push(f[0]);
            self.pending[1].push(f[1]);
        }
        let mut produced = Vec::new();
        while self.pending[0].len() >= CHUNK {
            let input = [&self.pending[0][..CHUNK], &self.pending[1][..CHUNK]];
            let Ok((used, n)) = self.inner.process_into_buffer(&input, &mut self.out, None) else {
                break;
            };
            for i in 0..n {
                produced.push(self.out[0][i]);
                produced.push(self.out[1][i]);
            }
            self.pending[0].drain(..used);
            self.pending[1].drain(..used);
        }
        if produced.is_empty() {
            return;
        }
        ring.push(&produced);
        let fill = ring.len() as f64 / 2.0;
        self.fill_avg = if self.pushes == 0 {
            fill
        } else {
            self.fill_avg + 0.02 * (fill - self.fill_avg)
        };
        self.pushes += 1;
        if self.pushes == SETTLE_PUSHES {
            self.target = Some(self.fill_avg.max(CHUNK as f64));
        }
        if let Some(target) = self.target {
            let error = (self.fill_avg - target) / target;
            let rel = (1.0 - KP * error).clamp(1.0 / MAX_CORRECTION, MAX_CORRECTION);
            if (rel - self.correction).abs() > 1e-6 && self.inner.set_resample_ratio_relative(rel, true).is_ok() {
                self.correction = rel;
            }
        }
    }
}
