//! One GStreamer pipeline per source, ending in a latest-frame slot (video)
//! and/or an audio ring. Sources never block the compositor: appsinks keep
//! one buffer and drop older ones.

use super::AUDIO_CAPS;
use super::audio::AudioRing;
use super::frame::{FrameSlot, VideoFrame};
use crate::show::{SourceConfig, SourceSpec};
use anyhow::{Context, Result};
use gstreamer as gst;
use gstreamer::prelude::*;
use gstreamer_app as gst_app;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

/// Raw formats the compositor uploads without conversion.
const VIDEO_CAPS: &str = "video/x-raw,format={ (string)I420, (string)RGBA }";

pub struct SourceHandle {
    pub id: String,
    pub video: Option<Arc<FrameSlot>>,
    pub audio: Option<Arc<AudioRing>>,
    /// Last error in plain words, if the source failed.
    pub error: Arc<Mutex<Option<String>>>,
    pipeline: gst::Pipeline,
    stop: Arc<AtomicBool>,
    watcher: Option<JoinHandle<()>>,
}

impl SourceHandle {
    pub fn start(spec: &SourceSpec) -> Result<SourceHandle> {
        let (desc, dynamic) = describe(&spec.config);
        let element =
            gst::parse::launch(&desc).with_context(|| format!("source `{}`: cannot build its pipeline", spec.id))?;
        // A one-element description (uridecodebin) comes back as that element.
        let pipeline = match element.downcast::<gst::Pipeline>() {
            Ok(p) => p,
            Err(single) => {
                let p = gst::Pipeline::new();
                p.add(&single)?;
                p
            }
        };
        let video = spec.config.has_video().then(|| Arc::new(FrameSlot::default()));
        let audio = spec.config.has_audio().then(|| Arc::new(AudioRing::default()));
        let sync = matches!(spec.config, SourceConfig::Media { .. });
        let volume = match &spec.config {
            SourceConfig::Media { volume, .. } => *volume,
            _ => 1.0,
        };

        if dynamic {
            // Decoded sources: link whatever streams the file/device has.
            let dec = pipeline.by_name("dec").expect("described with name=dec");
            let weak = pipeline.downgrade();
            let (v, a) = (video.clone(), audio.clone());
            let linked = Arc::new(Mutex::new((false, false)));
            dec.connect_pad_added(move |_, pad| {
                let Some(pipeline) = weak.upgrade() else { return };
                let caps = pad.current_caps().or_else(|| Some(pad.query_caps(None)));
                let name = caps
                    .as_ref()
                    .and_then(|c| c.structure(0).map(|s| s.name().to_string()))
                    .unwrap_or_default();
                let mut l = linked.lock().unwrap_or_else(|e| e.into_inner());
                let branch = if name.starts_with("video/") && !l.0 {
                    l.0 = true;
                    v.as_ref().map(|slot| video_branch(slot.clone(), sync))
                } else if name.starts_with("audio/") && !l.1 {
                    l.1 = true;
                    a.as_ref().map(|ring| audio_branch(ring.clone(), sync, volume))
                } else {
                    None
                };
                let Some(Ok(bin)) = branch else { return };
                if pipeline.add(&bin).is_err() {
                    return;
                }
                let _ = bin.sync_state_with_parent();
                if let Some(sink) = bin.static_pad("sink") {
                    let _ = pad.link(&sink);
                }
            });
        } else {
            if let Some(slot) = &video
                && let Some(sink) = pipeline.by_name("video")
            {
                attach_video(sink, slot.clone());
            }
            if let Some(ring) = &audio
                && let Some(sink) = pipeline.by_name("audio")
            {
                attach_audio(sink, ring.clone());
            }
        }

        // A source that cannot start (camera unplugged, file unreadable) must
        // not stop the show: its error is on the bus, where the watcher
        // below reports it, and its layer stays empty.
        if pipeline.set_state(gst::State::Playing).is_err() {
            tracing::warn!("source `{}` could not start", spec.id);
        }

        let error = Arc::new(Mutex::new(None));
        let stop = Arc::new(AtomicBool::new(false));
        let looping = matches!(spec.config, SourceConfig::Media { looping: true, .. });
        let watcher = {
            let (pipeline, error, stop, id) = (pipeline.clone(), error.clone(), stop.clone(), spec.id.clone());
            std::thread::Builder::new()
                .name(format!("source {id}"))
                .spawn(move || watch(pipeline, id, looping, error, stop))?
        };
        Ok(SourceHandle {
            id: spec.id.clone(),
            video,
            audio,
            error,
            pipeline,
            stop,
            watcher: Some(watcher),
        })
    }

    pub fn stop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(w) = self.watcher.take() {
            let _ = w.join();
        }
        let _ = self.pipeline.set_state(gst::State::Null);
    }
}

impl Drop for SourceHandle {
    fn drop(&mut self) {
        self.stop();
    }
}

/// A gst-launch description; `true` when streams appear dynamically (`dec`).
fn describe(config: &SourceConfig) -> (String, bool) {
    let video_sink = format!("{VIDEO_CAPS} ! appsink name=video max-buffers=1 drop=true sync=false");
    match config {
        SourceConfig::TestPattern {
            pattern,
            width,
            height,
            fps,
            speed,
            color,
        } => {
            let mut src = format!("videotestsrc is-live=true pattern={pattern} horizontal-speed={speed}");
            if let Some(c) = color {
                src += &format!(" foreground-color={}", 0xff00_0000u32 | c);
            }
            (
                format!(
                    "{src} ! video/x-raw,format=I420,width={width},height={height},framerate={fps}/1,colorimetry=bt709 ! {}",
                    video_sink.replace(VIDEO_CAPS, "queue max-size-buffers=1 leaky=downstream")
                ),
                false,
            )
        }
        SourceConfig::Tone { frequency, volume } => (
            format!(
                "audiotestsrc is-live=true wave=sine freq={frequency} volume={volume} samplesperbuffer=480 ! {AUDIO_CAPS} ! appsink name=audio sync=false"
            ),
            false,
        ),
        SourceConfig::Image { path } => (
            format!(
                "filesrc location=\"{}\" ! decodebin ! videoconvert ! video/x-raw,format=RGBA ! appsink name=video sync=false",
                path.display().to_string().replace('"', "\\\"")
            ),
            false,
        ),
        SourceConfig::Media { uri, .. } => (format!("uridecodebin name=dec uri=\"{uri}\""), true),
        SourceConfig::Camera { device } => {
            #[cfg(target_os = "linux")]
            let src = match device {
                Some(d) => format!("v4l2src device=\"{d}\""),
                None => "v4l2src".to_string(),
            };
            #[cfg(target_os = "macos")]
            let src = match device {
                Some(d) => format!("avfvideosrc device-index={d}"),
                None => "avfvideosrc".to_string(),
            };
            #[cfg(target_os = "windows")]
            let src = match device {
                Some(d) => format!("mfvideosrc device-name=\"{d}\""),
                None => "mfvideosrc".to_string(),
            };
            (format!("{src} ! decodebin name=dec"), true)
        }
        SourceConfig::Srt { port } => (
            format!("srtsrc uri=\"srt://:{port}?mode=listener\" ! decodebin name=dec"),
            true,
        ),
    }
}

fn video_branch(slot: Arc<FrameSlot>, sync: bool) -> Result<gst::Bin> {
    let bin = gst::parse::bin_from_description(
        &format!(
            "queue max-size-buffers=2 ! videoconvert ! {VIDEO_CAPS} ! appsink name=video max-buffers=1 drop=true sync={sync}"
        ),
        true,
    )?;
    if let Some(sink) = bin.by_name("video") {
        attach_video(sink, slot);
    }
    Ok(bin)
}

fn audio_branch(ring: Arc<AudioRing>, sync: bool, volume: f64) -> Result<gst::Bin> {
    let bin = gst::parse::bin_from_description(
        &format!(
            "queue ! audioconvert ! audioresample ! volume volume={volume} ! {AUDIO_CAPS} ! appsink name=audio sync={sync}"
        ),
        true,
    )?;
    if let Some(sink) = bin.by_name("audio") {
        attach_audio(sink, ring);
    }
    Ok(bin)
}

/// Calls `handle` with every sample the appsink receives.
fn on_sample(sink: gst::Element, handle: impl Fn(&gst::Sample) + Send + Sync + 'static) {
    let Ok(sink) = sink.downcast::<gst_app::AppSink>() else {
        return;
    };
    sink.set_callbacks(
        gst_app::AppSinkCallbacks::builder()
            .new_sample(move |s| {
                let sample = s.pull_sample().map_err(|_| gst::FlowError::Eos)?;
                handle(&sample);
                Ok(gst::FlowSuccess::Ok)
            })
            .build(),
    );
}

fn attach_video(sink: gst::Element, slot: Arc<FrameSlot>) {
    on_sample(sink, move |sample| {
        if let Some(frame) = VideoFrame::from_sample(sample) {
            slot.put(frame);
        }
    });
}

fn attach_audio(sink: gst::Element, ring: Arc<AudioRing>) {
    on_sample(sink, move |sample| {
        if let Some(buf) = sample.buffer()
            && let Ok(map) = buf.map_readable()
        {
            let samples: Vec<f32> = map
                .as_slice()
                .chunks_exact(4)
                .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
                .collect();
            ring.push(&samples);
        }
    });
}

fn watch(pipeline: gst::Pipeline, id: String, looping: bool, error: Arc<Mutex<Option<String>>>, stop: Arc<AtomicBool>) {
    let Some(bus) = pipeline.bus() else { return };
    while !stop.load(Ordering::Relaxed) {
        let Some(msg) = bus.timed_pop(gst::ClockTime::from_mseconds(100)) else {
            continue;
        };
        match msg.view() {
            // Media loops: back to the start, keeping the last frame on screen meanwhile.
            gst::MessageView::Eos(_)
                if looping
                    && pipeline
                        .seek_simple(gst::SeekFlags::FLUSH | gst::SeekFlags::KEY_UNIT, gst::ClockTime::ZERO)
                        .is_err() =>
            {
                tracing::warn!("source `{id}`: could not loop back to the start");
            }
            gst::MessageView::Error(e) => {
                let text = format!(
                    "{} ({})",
                    e.error(),
                    e.debug().map(|d| d.to_string()).unwrap_or_default()
                );
                tracing::warn!("source `{id}` failed: {}", crate::secrets::redact(&text));
                *error.lock().unwrap_or_else(|e| e.into_inner()) = Some(e.error().to_string());
                std::thread::sleep(Duration::from_millis(50));
            }
            _ => {}
        }
    }
}
