//! The mixer: each input's audio (from its ring) through its voice chain,
//! sync delay, gain, mute and pan into the master bus; the master through
//! the true-peak limiter; meters on every input and the master.

use super::dsp::{Frame, Limiter, VoiceChain, db_to_gain};
use super::meters::{Levels, Meter};
use crate::ring::AudioRing;
use std::collections::VecDeque;
use std::sync::Arc;

/// Frames per millisecond at 48 kHz.
const PER_MS: usize = 48;
pub const MAX_OFFSET_MS: i32 = 500;

pub use crate::spec::audio::InputSettings;

/// Why a change to an input of the mix was refused.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum MixError {
    #[error("no audio input `{0}` (sources with sound only)")]
    UnknownInput(String),
    #[error("gain {0} dB: use -60 to +24 dB")]
    Gain(f32),
    #[error("pan {0}: use -1.0 (left) to 1.0 (right)")]
    Pan(f32),
    #[error("offset {ms} ms: use {min} to {MAX_OFFSET_MS} ms{hint}")]
    Offset { ms: i32, min: i32, hint: &'static str },
}

/// One input's state for snapshots.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct InputStats {
    pub id: String,
    pub gain_db: f32,
    pub mute: bool,
    pub pan: f32,
    pub offset_ms: i32,
    pub denoise: bool,
    /// After the voice chain and gain, before mute and pan.
    pub levels: Levels,
    /// Capture (or decode) → encoder input, ms: the device's own delay,
    /// the wait for the mixer, the voice chain and the limiter (the sync
    /// offset not included).
    pub latency_ms: f32,
}

struct Input {
    id: String,
    ring: Arc<AudioRing>,
    settings: InputSettings,
    chain: VoiceChain,
    delay: VecDeque<Frame>,
    meter: Meter,
    /// Constant-power pan gains (1, 1 in the centre).
    pan: [f32; 2],
}

fn pan_gains(pan: f32) -> [f32; 2] {
    let angle = (pan.clamp(-1.0, 1.0) + 1.0) * std::f32::consts::FRAC_PI_4;
    [
        angle.cos() * std::f32::consts::SQRT_2,
        angle.sin() * std::f32::consts::SQRT_2,
    ]
}

pub struct Mixer {
    inputs: Vec<Input>,
    limiter: Limiter,
    master: Meter,
    /// Every input waits this long, so a negative offset can take an input
    /// earlier than the others (the blocks are stamped this much earlier).
    base_delay_ms: i32,
    scratch: Vec<f32>,
    /// Headphone monitoring gets the master too, if on.
    monitor: Option<Arc<AudioRing>>,
}

impl Mixer {
    /// `base_delay_ms`: how far (0–500 ms) inputs may be taken earlier.
    pub fn new(ceiling_dbtp: f32, base_delay_ms: i32) -> Mixer {
        Mixer {
            inputs: Vec::new(),
            limiter: Limiter::new(ceiling_dbtp),
            master: Meter::new(true),
            base_delay_ms: base_delay_ms.clamp(0, MAX_OFFSET_MS),
            scratch: Vec::new(),
            monitor: None,
        }
    }

    /// Also hands every master block to `ring` (headphone monitoring).
    pub fn set_monitor(&mut self, ring: Arc<AudioRing>) {
        self.monitor = Some(ring);
    }

    pub fn base_delay_ms(&self) -> i32 {
        self.base_delay_ms
    }

    pub fn add_input(&mut self, id: &str, ring: Arc<AudioRing>, settings: InputSettings) {
        let mut input = Input {
            id: id.to_string(),
            ring,
            chain: VoiceChain::new(&settings.voice),
            pan: pan_gains(settings.pan),
            delay: VecDeque::new(),
            meter: Meter::new(false),
            settings: InputSettings::plain(),
        };
        input.settings = settings.clone();
        self.inputs.push(input);
        let last = self.inputs.len() - 1;
        self.resize_delay(last);
    }

    fn resize_delay(&mut self, i: usize) {
        let base = self.base_delay_ms;
        let input = &mut self.inputs[i];
        let frames = ((input.settings.offset_ms + base).max(0) as usize) * PER_MS;
        while input.delay.len() < frames {
            input.delay.push_front([0.0; 2]);
        }
        while input.delay.len() > frames {
            input.delay.pop_front();
        }
    }

    /// Changes an input's settings; errors say what is out of range.
    pub fn set(&mut self, id: &str, change: impl FnOnce(&mut InputSettings)) -> Result<(), MixError> {
        let i = self
            .inputs
            .iter()
            .position(|x| x.id == id)
            .ok_or_else(|| MixError::UnknownInput(id.to_string()))?;
        let mut s = self.inputs[i].settings.clone();
        change(&mut s);
        if !(-60.0..=24.0).contains(&s.gain_db) {
            return Err(MixError::Gain(s.gain_db));
        }
        if !(-1.0..=1.0).contains(&s.pan) {
            return Err(MixError::Pan(s.pan));
        }
        if s.offset_ms > MAX_OFFSET_MS || s.offset_ms < -self.base_delay_ms {
            return Err(MixError::Offset {
                ms: s.offset_ms,
                min: -self.base_delay_ms,
                hint: if self.base_delay_ms < MAX_OFFSET_MS {
                    " (earlier takes a negative offset in the show file, which makes room for it)"
                } else {
                    ""
                },
            });
        }
        let input = &mut self.inputs[i];
        if s.voice != input.settings.voice {
            input.chain = VoiceChain::new(&s.voice);
        }
        input.pan = pan_gains(s.pan);
        input.settings = s;
        self.resize_delay(i);
        Ok(())
    }

    /// Mixes the next `frames` frames: interleaved stereo.
    pub fn mix(&mut self, frames: usize) -> Vec<f32> {
        let mut bus = vec![[0f32; 2]; frames];
        let mut block = vec![[0f32; 2]; frames];
        for input in &mut self.inputs {
            self.scratch.clear();
            self.scratch.resize(frames * 2, 0.0);
            input.ring.mix_into(&mut self.scratch);
            let gain = db_to_gain(input.settings.gain_db);
            for (b, s) in block.iter_mut().zip(self.scratch.chunks_exact(2)) {
                let mut f = [s[0], s[1]];
                input.chain.process(&mut f);
                input.delay.push_back(f);
                let mut f = input.delay.pop_front().unwrap_or([0.0; 2]);
                f[0] *= gain;
                f[1] *= gain;
                *b = f;
            }
            input.meter.add(&block);
            if !input.settings.mute {
                for (o, b) in bus.iter_mut().zip(&block) {
                    o[0] += b[0] * input.pan[0];
                    o[1] += b[1] * input.pan[1];
                }
            }
        }
        for f in &mut bus {
            *f = self.limiter.process(*f);
        }
        self.master.add(&bus);
        let out = bytemuck::cast_slice::<Frame, f32>(&bus).to_vec();
        if let Some(m) = &self.monitor {
            m.push(&out);
        }
        out
    }

    pub fn inputs(&self) -> Vec<InputStats> {
        self.inputs
            .iter()
            .map(|i| InputStats {
                id: i.id.clone(),
                gain_db: i.settings.gain_db,
                mute: i.settings.mute,
                pan: i.settings.pan,
                offset_ms: i.settings.offset_ms,
                denoise: i.settings.voice.denoise,
                levels: i.meter.levels(),
                latency_ms: (i.ring.device_us.load(std::sync::atomic::Ordering::Relaxed) as f64 / 1000.0
                    + i.ring.wait_ms()
                    + if i.settings.voice.denoise { 10.0 } else { 0.0 }
                    + super::dsp::Limiter::delay() as f64 / 48.0) as f32,
            })
            .collect()
    }

    pub fn master(&self) -> Levels {
        self.master.levels()
    }

    pub fn integrated_lufs(&self) -> Option<f32> {
        self.master.integrated()
    }
}
