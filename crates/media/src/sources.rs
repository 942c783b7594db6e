//! One GStreamer pipeline per source, ending in a latest-frame slot (video)
//! and/or an audio ring. Sources never block the compositor: appsinks keep
//! one buffer and drop older ones.

use super::AUDIO_CAPS;
use super::frame::{FrameSlot, VideoFrame};
use crate::audio::ring::AudioRing;
use crate::shutdown::Shutdown;
use crate::spec::{SourceConfig, SourceSpec};
use anyhow::{Context, Result};
use gstreamer as gst;
use gstreamer::prelude::*;
use gstreamer_app as gst_app;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

/// Raw formats the compositor uploads without conversion.
const VIDEO_CAPS: &str = "video/x-raw,format={ (string)I420, (string)NV12, (string)YUY2, (string)UYVY, (string)RGBA, (string)BGRA, (string)RGBx, (string)BGRx }";

/// A source shows "signal lost" after this long without a new picture.
pub const SIGNAL_LOST_AFTER: Duration = Duration::from_secs(3);
/// A live source silent for this long is restarted (a new SRT listener, the
/// camera re-opened).
const RESTART_SILENT_AFTER: Duration = Duration::from_secs(5);

pub struct SourceHandle {
    pub id: String,
    /// Sources whose picture can go away (cameras, phones, files); images and
    /// test patterns never show "signal lost".
    pub live: bool,
    pub video: Option<Arc<FrameSlot>>,
    pub audio: Option<Arc<AudioRing>>,
    /// Last error in plain words while the source is failing; cleared when
    /// pictures flow again.
    pub error: Arc<Mutex<Option<String>>>,
    /// Times the pipeline was rebuilt after a failure or silence.
    pub restarts: Arc<std::sync::atomic::AtomicU64>,
    rewind: Arc<AtomicBool>,
    /// A play-once media file reached its end: it holds its last picture,
    /// which is not a lost signal.
    pub ended: Arc<AtomicBool>,
    stop: Shutdown,
    watcher: Option<JoinHandle<()>>,
}

impl SourceHandle {
    pub fn start(spec: &SourceSpec) -> Result<SourceHandle> {
        if let SourceConfig::Microphone { device } = &spec.config {
            return Ok(Self::microphone(spec, device.clone())?);
        }
        let video = spec.config.has_video().then(|| Arc::new(FrameSlot::default()));
        let audio = spec.config.has_audio().then(|| Arc::new(AudioRing::default()));
        let pipeline = build(spec, &video, &audio)?;
        // A source that cannot start (camera unplugged, file unreadable) must
        // not stop the show: its error is on the bus, where the watcher
        // reports it and retries; its layer shows the slate meanwhile.
        if pipeline.set_state(gst::State::Playing).is_err() {
            tracing::warn!("source `{}` could not start", spec.id);
        }
        let error = Arc::new(Mutex::new(None));
        let stop = Shutdown::new();
        let restarts = Arc::new(std::sync::atomic::AtomicU64::new(0));
        let rewind = Arc::new(AtomicBool::new(false));
        let ended = Arc::new(AtomicBool::new(false));
        let watcher = {
            let w = Watcher {
                spec: spec.clone(),
                video: video.clone(),
                audio: audio.clone(),
                error: error.clone(),
                stop: stop.clone(),
                restarts: restarts.clone(),
                rewind: rewind.clone(),
                ended: ended.clone(),
            };
            std::thread::Builder::new()
                .name(format!("source {}", spec.id))
                .spawn(move || w.run(pipeline))?
        };
        Ok(SourceHandle {
            id: spec.id.clone(),
            live: !matches!(
                spec.config,
                SourceConfig::Image { .. } | SourceConfig::TestPattern { .. }
            ),
            video,
            audio,
            error,
            restarts,
            rewind,
            ended,
            stop,
            watcher: Some(watcher),
        })
    }

    /// A microphone: no GStreamer pipeline; cpal capture on its own thread
    /// (src/audio/capture.rs), reopened when it fails.
    fn microphone(spec: &SourceSpec, device: Option<String>) -> std::io::Result<SourceHandle> {
        let ring = Arc::new(AudioRing::default());
        let error = Arc::new(Mutex::new(None));
        let stop = Shutdown::new();
        let restarts = Arc::new(std::sync::atomic::AtomicU64::new(0));
        let watcher = {
            let (ring, error, restarts, stop) = (ring.clone(), error.clone(), restarts.clone(), stop.clone());
            std::thread::Builder::new()
                .name(format!("mic {}", spec.id))
                .spawn(move || crate::audio::capture::run(device, ring, error, restarts, stop))?
        };
        Ok(SourceHandle {
            id: spec.id.clone(),
            live: false,
            video: None,
            audio: Some(ring),
            error,
            restarts,
            rewind: Arc::new(AtomicBool::new(false)),
            ended: Arc::new(AtomicBool::new(false)),
            stop,
            watcher: Some(watcher),
        })
    }

    /// What the render thread needs to know about this source.
    pub fn probe(&self) -> SourceProbe {
        SourceProbe {
            id: self.id.clone(),
            live: self.live,
            video: self.video.clone(),
            error: self.error.clone(),
            ended: self.ended.clone(),
        }
    }

    /// Plays the source from its start again (a stinger at every take).
    pub fn rewind(&self) {
        self.rewind.store(true, Ordering::Relaxed);
    }

    pub fn signal_lost(&self) -> bool {
        self.probe().signal_lost()
    }

    pub fn stop(&mut self) {
        self.stop.trigger();
        if let Some(w) = self.watcher.take() {
            let _ = w.join();
        }
    }
}

impl Drop for SourceHandle {
    fn drop(&mut self) {
        self.stop();
    }
}

/// A cheap view of a source for the render thread: its newest frame and
/// whether it has lost its signal.
#[derive(Clone)]
pub struct SourceProbe {
    pub id: String,
    live: bool,
    pub video: Option<Arc<FrameSlot>>,
    error: Arc<Mutex<Option<String>>>,
    ended: Arc<AtomicBool>,
}

impl SourceProbe {
    /// No picture for a while, or failing: the compositor shows the slate.
    pub fn signal_lost(&self) -> bool {
        if !self.live || self.ended.load(Ordering::Relaxed) {
            return false;
        }
        let Some(slot) = &self.video else { return false };
        self.error.lock().unwrap_or_else(|e| e.into_inner()).is_some()
            || slot.age().is_some_and(|a| a >= SIGNAL_LOST_AFTER)
    }

    /// Why the signal is lost, in words (the source's error, or silence).
    pub fn lost_reason(&self) -> String {
        match self.error.lock().unwrap_or_else(|e| e.into_inner()).clone() {
            Some(e) => e,
            None => format!("no picture for {} s", SIGNAL_LOST_AFTER.as_secs_f32()),
        }
    }
}

/// Builds a source's pipeline, wired to its slot and ring (not started).
fn build(spec: &SourceSpec, video: &Option<Arc<FrameSlot>>, audio: &Option<Arc<AudioRing>>) -> Result<gst::Pipeline> {
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
    if let SourceConfig::Srt {
        passphrase, latency_ms, ..
    } = &spec.config
        && let Some(srt) = pipeline.by_name("srt")
    {
        // Read at every (re)build: a new passphrase stored with `showroom
        // key set` is used from the next listener on.
        if let Some(p) = passphrase
            .resolve(&spec.id)
            .with_context(|| format!("source `{}`: its SRT passphrase", spec.id))?
        {
            srt.set_property("passphrase", p.expose());
        }
        srt.set_property("latency", latency_ms.unwrap_or(crate::spec::SRT_LATENCY_MS) as i32);
    }
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
            let Some(pipeline) = weak.upgrade() else {
                return;
            };
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
            let Some(Ok(bin)) = branch else {
                return;
            };
            if pipeline.add(&bin).is_err() {
                return;
            }
            let _ = bin.sync_state_with_parent();
            if let Some(sink) = bin.static_pad("sink") {
                let _ = pad.link(&sink);
            }
        });
    } else {
        if let Some(slot) = video
            && let Some(sink) = pipeline.by_name("video")
        {
            attach_video(sink, slot.clone());
        }
        if let Some(ring) = audio
            && let Some(sink) = pipeline.by_name("audio")
        {
            attach_audio(sink, ring.clone());
        }
    }
    Ok(pipeline)
}

/// A gst-launch description; `true` when streams appear dynamically (`dec`).
fn describe(config: &SourceConfig) -> (String, bool) {
    match config {
        SourceConfig::TestPattern {
            pattern,
            width,
            height,
            fps,
            speed,
            color,
            format,
        } => {
            let mut src = format!("videotestsrc is-live=true pattern={pattern} horizontal-speed={speed}");
            if let Some(c) = color {
                src += &format!(" foreground-color={}", 0xff00_0000u32 | c);
            }
            // YUV test patterns are made in BT.709, like HD cameras.
            let colorimetry = if format.starts_with(['R', 'B']) {
                ""
            } else {
                ",colorimetry=bt709"
            };
            (
                format!(
                    "{src} ! video/x-raw,format={format},width={width},height={height},framerate={fps}/1{colorimetry} \
                     ! appsink name=video max-buffers=1 drop=true sync=false"
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
        // The passphrase and latency are set on `srt` as properties (see
        // `build`): never in a launch string.
        SourceConfig::Srt { port, .. } => (
            format!("srtsrc name=srt uri=\"srt://:{port}?mode=listener\" ! decodebin name=dec"),
            true,
        ),
        // Captured through cpal, never built as a pipeline (see `start`).
        SourceConfig::Microphone { .. } => ("fakesrc num-buffers=0 ! fakesink".into(), false),
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
    let epoch = slot.epoch();
    on_sample(sink, move |sample| {
        if let Some(frame) = VideoFrame::from_sample(sample) {
            slot.put(epoch, frame);
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

/// Watches a source's pipeline: loops media, reports errors, and rebuilds
/// the pipeline when it fails or a live source goes silent.
struct Watcher {
    spec: SourceSpec,
    video: Option<Arc<FrameSlot>>,
    audio: Option<Arc<AudioRing>>,
    error: Arc<Mutex<Option<String>>>,
    stop: Shutdown,
    restarts: Arc<std::sync::atomic::AtomicU64>,
    rewind: Arc<AtomicBool>,
    ended: Arc<AtomicBool>,
}

impl Watcher {
    fn set_error(&self, e: Option<String>) {
        *self.error.lock().unwrap_or_else(|e| e.into_inner()) = e;
    }

    fn run(self, mut pipeline: gst::Pipeline) {
        let id = self.spec.id.clone();
        let live = !matches!(
            self.spec.config,
            SourceConfig::Image { .. } | SourceConfig::TestPattern { .. }
        );
        let looping = matches!(self.spec.config, SourceConfig::Media { looping: true, .. });
        let mut backoff = crate::backoff::Backoff::new(crate::backoff::SOURCE);
        let mut delivered = self
            .video
            .as_ref()
            .map(|v| v.delivered.load(Ordering::Relaxed))
            .unwrap_or(0);
        while !self.stop.is_triggered() {
            let mut failed: Option<String> = None;
            if self.rewind.swap(false, Ordering::Relaxed) {
                let _ = pipeline.seek_simple(gst::SeekFlags::FLUSH | gst::SeekFlags::ACCURATE, gst::ClockTime::ZERO);
                self.ended.store(false, Ordering::Relaxed);
            }
            if let Some(bus) = pipeline.bus()
                && let Some(msg) = bus.timed_pop(gst::ClockTime::from_mseconds(100))
            {
                match msg.view() {
                    gst::MessageView::Eos(_) if looping => {
                        // Loop; a file that is gone counts as a failure (the
                        // open handle would otherwise hide its deletion).
                        if let Some(path) = media_path(&self.spec.config)
                            && !path.exists()
                        {
                            failed = Some(format!("the media file {} is gone", path.display()));
                        } else if pipeline
                            .seek_simple(gst::SeekFlags::FLUSH | gst::SeekFlags::KEY_UNIT, gst::ClockTime::ZERO)
                            .is_err()
                        {
                            failed = Some("could not loop back to the start".into());
                        }
                    }
                    gst::MessageView::Eos(_) if matches!(self.spec.config, SourceConfig::Media { .. }) => {
                        // `loop = false`: played once; its last picture stays.
                        tracing::info!("source `{id}` played to its end");
                        self.ended.store(true, Ordering::Relaxed);
                    }
                    gst::MessageView::Eos(_) if live => failed = Some("the stream ended".into()),
                    gst::MessageView::Error(e) => failed = Some(e.error().to_string()),
                    _ => {}
                }
            } else {
                std::thread::sleep(Duration::from_millis(100));
            }
            // Pictures flowing again: the source is back.
            if let Some(v) = &self.video {
                let now = v.delivered.load(Ordering::Relaxed);
                if now != delivered {
                    delivered = now;
                    backoff.reset();
                    if self.error.lock().unwrap_or_else(|e| e.into_inner()).is_some() {
                        tracing::info!("source `{id}` is back");
                        self.set_error(None);
                    }
                }
                if failed.is_none()
                    && live
                    && !self.ended.load(Ordering::Relaxed)
                    && v.age().is_some_and(|a| a >= RESTART_SILENT_AFTER)
                {
                    failed = Some(format!("no picture for {} s", RESTART_SILENT_AFTER.as_secs()));
                }
            }
            let Some(reason) = failed else { continue };
            let wait = backoff.next_wait();
            tracing::warn!(
                "source `{id}`: {} — retrying in {:.1} s",
                crate::secrets::redact(&reason),
                wait.as_secs_f64()
            );
            self.set_error(Some(reason));
            let _ = pipeline.set_state(gst::State::Null);
            if let Some(v) = &self.video {
                // Frames still in flight from the old pipeline are ignored.
                v.next_epoch();
                v.forget_age();
                delivered = v.delivered.load(Ordering::Relaxed);
            }
            if self.stop.wait(wait) {
                break;
            }
            self.restarts.fetch_add(1, Ordering::Relaxed);
            match build(&self.spec, &self.video, &self.audio) {
                Ok(p) => {
                    pipeline = p;
                    let _ = pipeline.set_state(gst::State::Playing);
                }
                Err(e) => self.set_error(Some(format!("{e:#}"))),
            }
        }
        let _ = pipeline.set_state(gst::State::Null);
    }
}

fn media_path(config: &SourceConfig) -> Option<std::path::PathBuf> {
    match config {
        SourceConfig::Media { uri, .. } => uri.strip_prefix("file://").map(std::path::PathBuf::from),
        _ => None,
    }
}
