//! GStreamer side of the engine: source pipelines (`sources`) feeding
//! latest-frame slots (`frame`) and audio rings (`audio`); per-canvas encoders
//! (`encoder`); outputs fed from the one encode (`output`): RTMP(S)
//! destinations with their own reconnect loop (`destination`, `rtmp_errors`)
//! and local recording (`recording`).

// The layers below (docs/ARCHITECTURE.md).
use showroom_audio as audio;
use showroom_base::{backoff, secrets, shutdown};
use showroom_spec as spec;

pub mod clip;
pub mod destination;
pub mod devices;
pub mod encoder;
pub mod frame;
pub mod mp4_file;
pub mod output;
pub mod recording;
pub mod rtmp_errors;
pub mod sources;
pub mod tcp_queue;

use anyhow::{Context, Result};
use gstreamer as gst;

/// Initialises GStreamer once; safe to call repeatedly.
pub fn init() -> Result<()> {
    gst::init().context("GStreamer failed to initialise — is libgstreamer1.0 installed?")?;
    redact_gstreamer_log();
    Ok(())
}

/// GStreamer's own debug log (GST_DEBUG) prints element properties such as
/// rtmp2sink's location, which carries the stream key: route it through the
/// same redaction as our logs.
fn redact_gstreamer_log() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        gst::log::remove_default_log_function();
        gst::log::add_log_function(|category, level, file, function, line, object, message| {
            let Some(text) = message.get() else { return };
            let obj = object.map(|o| format!("<{o}> ")).unwrap_or_default();
            eprintln!(
                "{:?} {} {}:{}:{}: {obj}{}",
                level,
                category.name(),
                file,
                line,
                function,
                crate::secrets::redact(text.as_str())
            );
        });
    });
}

/// Fails with a clear message when a GStreamer element is not installed.
pub fn require(factory: &str, package: &str) -> Result<()> {
    if gst::ElementFactory::find(factory).is_none() {
        anyhow::bail!("GStreamer element `{factory}` is missing — install {package}");
    }
    Ok(())
}

/// The mix and every encoder input: 48 kHz stereo float.
pub const AUDIO_CAPS: &str = "audio/x-raw,format=F32LE,rate=48000,channels=2,layout=interleaved";
