//! Headphone monitoring: the master mix, after the limiter, played on an
//! output device through cpal (the system's default or one by name), so a
//! host hears exactly what goes out.

use super::capture::Failed;
use crate::ring::AudioRing;
use crate::shutdown::Shutdown;
use cpal::traits::{DeviceTrait, HostTrait, StreamTrait};
use std::sync::Arc;

/// Outputs the default audio host lists, by name.
pub fn list() -> Vec<String> {
    cpal::default_host()
        .output_devices()
        .map(super::capture::names)
        .unwrap_or_default()
}

/// 80 ms of 48 kHz stereo before monitoring starts playing.
const PREROLL_SAMPLES: usize = 48 * 2 * 80;

fn open(name: Option<&str>) -> Result<cpal::Device, String> {
    let host = cpal::default_host();
    match name {
        None => host
            .default_output_device()
            .ok_or_else(|| "no headphones: the system has no default output".to_string()),
        Some(want) => host
            .output_devices()
            .map_err(|e| format!("cannot list outputs: {e}"))?
            .find(|d| d.description().is_ok_and(|x| x.name() == want))
            .ok_or_else(|| format!("no output named \"{want}\" for monitoring — `showroom devices` lists them")),
    }
}

/// Plays `ring` (48 kHz stereo) on the device until `stop`; reopens it
/// when it fails. Runs on its own thread (cpal streams stay on theirs).
pub fn run(device: Option<String>, ring: Arc<AudioRing>, stop: Shutdown) {
    super::capture::keep_open(
        &stop,
        |failed| open(device.as_deref()).and_then(|d| stream(&d, ring.clone(), failed)),
        |e| match e {
            super::capture::StreamEvent::CannotOpen(e) => tracing::warn!("{e}"),
            super::capture::StreamEvent::Failed => tracing::warn!("monitoring stopped; reopening it"),
            super::capture::StreamEvent::Opened => {}
        },
    );
}

fn stream(d: &cpal::Device, ring: Arc<AudioRing>, failed: Failed) -> Result<cpal::Stream, String> {
    let config = cpal::StreamConfig {
        channels: 2,
        sample_rate: 48_000,
        buffer_size: cpal::BufferSize::Default,
    };
    let mut primed = false;
    let s = d
        .build_output_stream(
            config,
            move |out: &mut [f32], _: &cpal::OutputCallbackInfo| {
                out.fill(0.0);
                // The mixer hands over 20 ms blocks on its own clock and
                // the device asks on its own: a pre-roll absorbs the
                // jitter; running dry waits for a new pre-roll rather
                // than playing in crumbs.
                if !primed && ring.len() < PREROLL_SAMPLES {
                    return;
                }
                primed = ring.len() >= out.len();
                if primed {
                    ring.mix_into(out);
                }
            },
            move |e| {
                tracing::warn!("monitoring: {e}");
                failed.raise();
            },
            None,
        )
        .map_err(|e| format!("cannot open the monitoring output at 48 kHz stereo: {e}"))?;
    s.play().map_err(|e| format!("cannot start monitoring: {e}"))?;
    Ok(s)
}
