//! Voice processing per input and the master limiter, on 48 kHz stereo
//! frames: high-pass, noise suppression (RNNoise via nnnoiseless), noise
//! gate, compressor; and a true-peak lookahead limiter that never lets the
//! mix over its ceiling.

use std::collections::VecDeque;

pub use crate::spec::audio::{CompressorSettings, VoiceSettings};

pub const RATE: f32 = 48_000.0;
pub type Frame = [f32; 2];

pub fn db_to_gain(db: f32) -> f32 {
    10f32.powf(db / 20.0)
}

pub fn gain_to_db(g: f32) -> f32 {
    20.0 * g.max(1e-10).log10()
}

/// One-pole smoothing coefficient for a time constant in milliseconds.
fn smoothing(ms: f32) -> f32 {
    if ms <= 0.0 {
        0.0
    } else {
        (-1.0 / (ms * 0.001 * RATE)).exp()
    }
}

/// Second-order Butterworth high-pass (RBJ cookbook), per channel.
pub struct HighPass {
    b: [f32; 3],
    a: [f32; 2],
    /// Direct form I history per channel: x1, x2, y1, y2.
    z: [[f32; 4]; 2],
}

impl HighPass {
    pub fn new(freq: f32) -> HighPass {
        let w = 2.0 * std::f32::consts::PI * freq / RATE;
        let alpha = w.sin() / (2.0 * std::f32::consts::FRAC_1_SQRT_2);
        let cos = w.cos();
        let a0 = 1.0 + alpha;
        HighPass {
            b: [(1.0 + cos) / 2.0 / a0, -(1.0 + cos) / a0, (1.0 + cos) / 2.0 / a0],
            a: [-2.0 * cos / a0, (1.0 - alpha) / a0],
            z: [[0.0; 4]; 2],
        }
    }

    pub fn process(&mut self, f: &mut Frame) {
        for (x, z) in f.iter_mut().zip(&mut self.z) {
            let y = self.b[0] * *x + self.b[1] * z[0] + self.b[2] * z[1] - self.a[0] * z[2] - self.a[1] * z[3];
            *z = [*x, z[0], y, z[2]];
            *x = y;
        }
    }
}

/// Closes (to -60 dB) when the input stays under the threshold, after a
/// hold, so room noise between sentences does not reach the stream.
pub struct Gate {
    threshold: f32,
    env: f32,
    gain: f32,
    hold: u32,
    held: u32,
}

impl Gate {
    pub fn new(threshold_db: f32) -> Gate {
        Gate {
            threshold: db_to_gain(threshold_db),
            env: 0.0,
            gain: 1.0,
            hold: (0.2 * RATE) as u32,
            held: 0,
        }
    }

    pub fn process(&mut self, f: &mut Frame) {
        let level = f[0].abs().max(f[1].abs());
        let k = if level > self.env {
            smoothing(1.0)
        } else {
            smoothing(50.0)
        };
        self.env = level + k * (self.env - level);
        let target = if self.env >= self.threshold {
            self.held = self.hold;
            1.0
        } else if self.held > 0 {
            self.held -= 1;
            1.0
        } else {
            0.001
        };
        let k = if target > self.gain {
            smoothing(2.0)
        } else {
            smoothing(120.0)
        };
        self.gain = target + k * (self.gain - target);
        f[0] *= self.gain;
        f[1] *= self.gain;
    }
}

/// Feed-forward compressor with a peak detector in dB, stereo-linked.
pub struct Compressor {
    s: CompressorSettings,
    /// Gain reduction now, dB (≥ 0).
    reduction: f32,
}

impl Compressor {
    pub fn new(s: CompressorSettings) -> Compressor {
        Compressor { s, reduction: 0.0 }
    }

    pub fn process(&mut self, f: &mut Frame) {
        let level = gain_to_db(f[0].abs().max(f[1].abs()));
        let over = level - self.s.threshold_db;
        let target = if over > 0.0 {
            over * (1.0 - 1.0 / self.s.ratio)
        } else {
            0.0
        };
        let k = if target > self.reduction {
            smoothing(self.s.attack_ms)
        } else {
            smoothing(self.s.release_ms)
        };
        self.reduction = target + k * (self.reduction - target);
        let g = db_to_gain(self.s.makeup_db - self.reduction);
        f[0] *= g;
        f[1] *= g;
    }
}

/// RNNoise on 10 ms frames; adds 10 ms of delay. A mono input (both
/// channels equal) is denoised once.
pub struct Denoiser {
    states: [Box<nnnoiseless::DenoiseState<'static>>; 2],
    input: Vec<Frame>,
    output: VecDeque<Frame>,
}

const DN: usize = nnnoiseless::DenoiseState::FRAME_SIZE;

impl Default for Denoiser {
    fn default() -> Self {
        Denoiser {
            states: [nnnoiseless::DenoiseState::new(), nnnoiseless::DenoiseState::new()],
            input: Vec::with_capacity(DN),
            output: std::iter::repeat_n([0.0; 2], DN).collect(),
        }
    }
}

impl Denoiser {
    pub fn process(&mut self, f: &mut Frame) {
        self.input.push(*f);
        if self.input.len() == DN {
            // nnnoiseless works in 16-bit sample units.
            let mono = self.input.iter().all(|s| s[0] == s[1]);
            let mut out = [[0f32; DN]; 2];
            for c in 0..if mono { 1 } else { 2 } {
                let x: Vec<f32> = self.input.iter().map(|s| s[c] * 32768.0).collect();
                self.states[c].process_frame(&mut out[c], &x);
            }
            if mono {
                out[1] = out[0];
            }
            for (l, r) in out[0].iter().zip(&out[1]) {
                self.output.push_back([l / 32768.0, r / 32768.0]);
            }
            self.input.clear();
        }
        *f = self.output.pop_front().unwrap_or([0.0; 2]);
    }
}

/// An input's chain, in order: high-pass, noise suppression, gate, compressor.
pub struct VoiceChain {
    highpass: Option<HighPass>,
    denoise: Option<Denoiser>,
    gate: Option<Gate>,
    compressor: Option<Compressor>,
}

impl VoiceChain {
    pub fn new(s: &VoiceSettings) -> VoiceChain {
        VoiceChain {
            highpass: s.highpass_hz.map(HighPass::new),
            denoise: s.denoise.then(Denoiser::default),
            gate: s.gate_db.map(Gate::new),
            compressor: s.compressor.map(Compressor::new),
        }
    }

    pub fn process(&mut self, f: &mut Frame) {
        if let Some(h) = &mut self.highpass {
            h.process(f);
        }
        if let Some(d) = &mut self.denoise {
            d.process(f);
        }
        if let Some(g) = &mut self.gate {
            g.process(f);
        }
        if let Some(c) = &mut self.compressor {
            c.process(f);
        }
    }
}

/// Taps either side of a point for the 4× true-peak estimate.
const HALF_TAPS: usize = 6;
/// Samples the limiter looks ahead (1.3 ms at 48 kHz).
const LOOKAHEAD: usize = 64;

/// True-peak lookahead limiter. Peaks are estimated at 4× the sample rate
/// (windowed-sinc interpolation, as BS.1770 does); the gain is the
/// smallest needed over the lookahead window, smoothed with a box filter as
/// long as the window (so it reaches each peak's gain by that peak), and
/// released slowly. A hard clamp at the ceiling is the last safety.
pub struct Limiter {
    ceiling: f32,
    /// Interpolation weights for the 3 points between two samples.
    phases: [[f32; 2 * HALF_TAPS]; 3],
    /// Recent input, for interpolation and delay.
    history: VecDeque<Frame>,
    /// (index, required gain) candidates of the sliding minimum.
    minimum: VecDeque<(u64, f32)>,
    /// The last LOOKAHEAD sliding minima and their sum (the box filter).
    window: VecDeque<f32>,
    sum: f64,
    gain: f32,
    release: f32,
    n: u64,
}

impl Limiter {
    pub fn new(ceiling_db: f32) -> Limiter {
        let mut phases = [[0f32; 2 * HALF_TAPS]; 3];
        for (p, taps) in phases.iter_mut().enumerate() {
            let frac = (p + 1) as f32 / 4.0;
            for (j, t) in taps.iter_mut().enumerate() {
                // Sample j sits at offset (j - HALF_TAPS + 1) from the left point.
                let x = frac - (j as f32 - HALF_TAPS as f32 + 1.0);
                let sinc = if x.abs() < 1e-6 {
                    1.0
                } else {
                    (std::f32::consts::PI * x).sin() / (std::f32::consts::PI * x)
                };
                let w = 0.5 + 0.5 * (std::f32::consts::PI * x / HALF_TAPS as f32).cos();
                *t = sinc * w;
            }
        }
        Limiter {
            // A hair under the ceiling: the estimate is close, not exact.
            ceiling: db_to_gain(ceiling_db - 0.1),
            phases,
            // Zeros first, so the first samples have a past to interpolate with.
            history: std::iter::repeat_n([0.0; 2], HALF_TAPS).collect(),
            minimum: VecDeque::new(),
            window: VecDeque::with_capacity(LOOKAHEAD + 1),
            sum: 0.0,
            gain: 1.0,
            release: smoothing(200.0),
            n: 0,
        }
    }

    /// Samples of delay the limiter adds: the gain for a sample is known
    /// once its interpolation neighbours and its whole window have passed.
    pub const fn delay() -> usize {
        HALF_TAPS + LOOKAHEAD - 1
    }

    /// Takes one frame in, gives the frame from `delay()` frames ago out.
    pub fn process(&mut self, f: Frame) -> Frame {
        self.history.push_back(f);
        let len = self.history.len();
        // The peak around sample len-1-HALF_TAPS (it has HALF_TAPS later
        // samples to interpolate with).
        let mut required = 1.0f32;
        if len >= 2 * HALF_TAPS {
            let start = len - 2 * HALF_TAPS;
            let mut peak = 0f32;
            for c in 0..2 {
                peak = peak.max(self.history[start + HALF_TAPS - 1][c].abs());
                for taps in &self.phases {
                    let v: f32 = taps
                        .iter()
                        .enumerate()
                        .map(|(j, t)| t * self.history[start + j][c])
                        .sum();
                    peak = peak.max(v.abs());
                }
            }
            if peak > self.ceiling {
                required = self.ceiling / peak;
            }
        }
        let idx = self.n;
        self.n += 1;
        // Sliding minimum of the required gain over LOOKAHEAD samples.
        while self.minimum.back().is_some_and(|&(_, g)| g >= required) {
            self.minimum.pop_back();
        }
        self.minimum.push_back((idx, required));
        while self
            .minimum
            .front()
            .is_some_and(|&(i, _)| i + (LOOKAHEAD as u64) <= idx)
        {
            self.minimum.pop_front();
        }
        let min = self.minimum.front().map(|m| m.1).unwrap_or(1.0);
        // Box filter over the minima.
        self.window.push_back(min);
        self.sum += min as f64;
        if self.window.len() > LOOKAHEAD {
            self.sum -= self.window.pop_front().unwrap_or(1.0) as f64;
        }
        let smooth = (self.sum / self.window.len() as f64) as f32;
        self.gain = if smooth < self.gain {
            smooth
        } else {
            smooth + self.release * (self.gain - smooth)
        };
        if self.history.len() <= Self::delay() {
            return [0.0; 2];
        }
        let out = self.history.pop_front().unwrap_or([0.0; 2]);
        let limit = db_to_gain(-0.1) * self.ceiling;
        [
            (out[0] * self.gain).clamp(-limit, limit),
            (out[1] * self.gain).clamp(-limit, limit),
        ]
    }
}
