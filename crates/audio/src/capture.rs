//! Microphones through cpal: the device chosen by name (or the default),
//! at whatever rate and channel count it offers, turned into stereo,
//! resampled to 48 kHz with drift correction, into the input's ring. A
//! device that fails or goes away is reopened every few seconds, and the
//! reason is shown on the source meanwhile.

use super::resample::DriftResampler;
use crate::ring::AudioRing;
use crate::shutdown::{Shutdown, Woken};
use cpal::traits::{DeviceTrait, HostTrait, StreamTrait};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Raised by a device stream's error callback: marks the stream failed and
/// wakes `keep_open`, which waits on its stop signal.
#[derive(Clone)]
pub struct Failed {
    flag: Arc<AtomicBool>,
    wake: Shutdown,
}

impl Failed {
    pub fn raise(&self) {
        self.flag.store(true, Ordering::SeqCst);
        self.wake.nudge();
    }

    fn is_raised(&self) -> bool {
        self.flag.load(Ordering::SeqCst)
    }
}

/// Names of devices, as show files and the studio write them.
pub fn names(devices: impl Iterator<Item = cpal::Device>) -> Vec<String> {
    devices
        .filter_map(|d| d.description().ok().map(|desc| desc.name().to_string()))
        .collect()
}

/// Microphones the default audio host lists, by name.
pub fn list() -> Vec<String> {
    cpal::default_host().input_devices().map(names).unwrap_or_default()
}

fn open(name: Option<&str>) -> Result<cpal::Device, String> {
    let host = cpal::default_host();
    match name {
        None => host
            .default_input_device()
            .ok_or_else(|| "no microphone: the system has no default input".to_string()),
        Some(want) => {
            let devices = host
                .input_devices()
                .map_err(|e| format!("cannot list microphones: {e}"))?;
            let mut names = Vec::new();
            for d in devices {
                let n = d.description().map(|x| x.name().to_string()).unwrap_or_default();
                let id = d.id().map(|i| i.to_string()).unwrap_or_default();
                if n == want || id == want {
                    return Ok(d);
                }
                names.push(n);
            }
            Err(format!(
                "no microphone named \"{want}\" (found: {}) — `showroom devices` lists them",
                if names.is_empty() {
                    "none".to_string()
                } else {
                    names.join(", ")
                }
            ))
        }
    }
}

/// Stereo frames from `channels`-channel input: mono is doubled, more than
/// two keeps the first two.
fn to_stereo(data: &[f32], channels: usize, out: &mut Vec<f32>) {
    out.clear();
    for f in data.chunks_exact(channels.max(1)) {
        let l = f[0];
        let r = if channels > 1 { f[1] } else { l };
        out.push(l);
        out.push(r);
    }
}

fn stream(device: &cpal::Device, ring: Arc<AudioRing>, failed: Failed) -> Result<cpal::Stream, String> {
    let config = device
        .default_input_config()
        .map_err(|e| format!("the microphone offers no usable format: {e}"))?;
    let channels = config.channels() as usize;
    let rate = config.sample_rate();
    let mut resampler = DriftResampler::new(rate).map_err(|e| e.to_string())?;
    let mut stereo = Vec::new();
    let mut floats: Vec<f32> = Vec::new();
    let on_error = {
        let failed = failed.clone();
        move |e: cpal::Error| {
            tracing::warn!("microphone: {e}");
            failed.raise();
        }
    };
    let format = config.sample_format();
    let s = device
        .build_input_stream_raw(
            config.into(),
            format,
            move |data: &cpal::Data, info: &cpal::InputCallbackInfo| {
                // Capture → callback, as the device reports it, plus the
                // average wait for a full resampler chunk (5 ms at 48 kHz).
                let t = info.timestamp();
                let device = t.callback.duration_since(t.capture).as_secs_f64() * 1e6;
                let chunk_wait = 240.0 / rate as f64 * 1e6;
                ring.device_us.store((device + chunk_wait) as u64, Ordering::Relaxed);
                floats.clear();
                if let Some(f) = data.as_slice::<f32>() {
                    floats.extend_from_slice(f);
                } else if let Some(i) = data.as_slice::<i16>() {
                    floats.extend(i.iter().map(|v| *v as f32 / 32768.0));
                } else if let Some(i) = data.as_slice::<i32>() {
                    floats.extend(i.iter().map(|v| *v as f32 / 2_147_483_648.0));
                } else if let Some(u) = data.as_slice::<u16>() {
                    floats.extend(u.iter().map(|v| (*v as f32 - 32768.0) / 32768.0));
                }
                to_stereo(&floats, channels, &mut stereo);
                resampler.push(&stereo, &ring);
            },
            on_error,
            None,
        )
        .map_err(|e| format!("cannot open the microphone: {e}"))?;
    s.play().map_err(|e| format!("cannot start the microphone: {e}"))?;
    Ok(s)
}

/// What happened to a device stream `keep_open` looks after.
pub enum StreamEvent {
    Opened,
    /// It could not be opened: why.
    CannotOpen(String),
    /// It ran and then failed (the device went away).
    Failed,
}

/// Keeps a device stream open until `stop`: opens it with `open` (given a
/// flag its error callback raises), holds it while it runs, and reopens it
/// 2 s after it cannot be opened or fails. `event` hears each outcome.
pub fn keep_open(
    stop: &Shutdown,
    mut open: impl FnMut(Failed) -> Result<cpal::Stream, String>,
    mut event: impl FnMut(StreamEvent),
) {
    while !stop.is_triggered() {
        let failed = Failed {
            flag: Arc::new(AtomicBool::new(false)),
            wake: stop.clone(),
        };
        match open(failed.clone()) {
            Ok(s) => {
                event(StreamEvent::Opened);
                // Until stopped, or the stream's error callback nudges.
                while stop.wait_nudged(None) == Woken::Nudged && !failed.is_raised() {}
                drop(s);
                if failed.is_raised() {
                    event(StreamEvent::Failed);
                }
            }
            Err(e) => event(StreamEvent::CannotOpen(e)),
        }
        if stop.wait(Duration::from_secs(2)) {
            return;
        }
    }
}

/// Runs a microphone until `stop`; reopens it when it fails.
pub fn run(
    device: Option<String>,
    ring: Arc<AudioRing>,
    error: Arc<Mutex<Option<String>>>,
    restarts: Arc<AtomicU64>,
    stop: Shutdown,
) {
    let set_error = |e: Option<String>| *error.lock().unwrap_or_else(|p| p.into_inner()) = e;
    let mut opens = 0u64;
    keep_open(
        &stop,
        |failed| {
            opens += 1;
            if opens > 1 {
                restarts.fetch_add(1, Ordering::Relaxed);
            }
            open(device.as_deref()).and_then(|d| stream(&d, ring.clone(), failed))
        },
        |e| match e {
            StreamEvent::Opened => set_error(None),
            StreamEvent::Failed => set_error(Some("the microphone stopped; reopening it".into())),
            StreamEvent::CannotOpen(e) => {
                tracing::warn!("{e}");
                set_error(Some(e));
            }
        },
    );
}
