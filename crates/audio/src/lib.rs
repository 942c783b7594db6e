//! Audio: the mixer with per-input voice processing and the master
//! limiter (`mixer`, `dsp`), and level / loudness meters (`meters`).
//! Inputs arrive as 48 kHz stereo rings (src/media/audio.rs).

// The layers below (docs/ARCHITECTURE.md).
use showroom_base::shutdown;
use showroom_spec as spec;

pub mod capture;
pub mod dsp;
pub mod meters;
pub mod mixer;
pub mod monitor;
pub mod resample;
pub mod ring;

pub use mixer::{InputSettings, Mixer};
