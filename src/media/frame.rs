//! Latest-frame slots: the only hand-over between a source pipeline and the
//! compositor. A slot holds one frame; a newer frame replaces it, so a slow
//! consumer never makes latency grow (drop, don't queue).

use gstreamer as gst;
use gstreamer_video as gst_video;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PixelFormat {
    Rgba,
    I420,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Matrix {
    Bt601,
    Bt709,
}

/// One decoded picture, still in the source's own planes.
pub struct VideoFrame {
    pub format: PixelFormat,
    pub width: u32,
    pub height: u32,
    pub matrix: Matrix,
    pub full_range: bool,
    /// Byte offset and stride of each plane within `buffer`.
    pub planes: Vec<(usize, u32)>,
    pub buffer: gst::Buffer,
}

impl VideoFrame {
    /// Wraps a sample from an appsink whose caps are RGBA or I420.
    pub fn from_sample(sample: &gst::Sample) -> Option<VideoFrame> {
        let caps = sample.caps()?;
        let info = gst_video::VideoInfo::from_caps(caps).ok()?;
        let format = match info.format() {
            gst_video::VideoFormat::Rgba => PixelFormat::Rgba,
            gst_video::VideoFormat::I420 => PixelFormat::I420,
            _ => return None,
        };
        let colorimetry = info.colorimetry();
        let matrix = match colorimetry.matrix() {
            gst_video::VideoColorMatrix::Bt709 => Matrix::Bt709,
            gst_video::VideoColorMatrix::Unknown if info.height() >= 720 => Matrix::Bt709,
            _ => Matrix::Bt601,
        };
        let full_range = colorimetry.range() == gst_video::VideoColorRange::Range0_255;
        let buffer = sample.buffer_owned()?;
        // A buffer may carry its own layout (VideoMeta) different from the caps.
        let planes = match buffer.meta::<gst_video::VideoMeta>() {
            Some(meta) => meta
                .offset()
                .iter()
                .zip(meta.stride())
                .map(|(o, s)| (*o, *s as u32))
                .collect(),
            None => info
                .offset()
                .iter()
                .zip(info.stride())
                .map(|(o, s)| (*o, *s as u32))
                .collect(),
        };
        Some(VideoFrame {
            format,
            width: info.width(),
            height: info.height(),
            matrix,
            full_range,
            planes,
            buffer,
        })
    }
}

/// The newest frame of one source, with a sequence number so the compositor
/// uploads a frame only once.
#[derive(Default)]
pub struct FrameSlot {
    latest: Mutex<Option<Arc<VideoFrame>>>,
    seq: AtomicU64,
    /// Frames delivered by the source since start.
    pub delivered: AtomicU64,
    /// When the newest frame arrived (None: never, or forgotten on restart).
    last_put: Mutex<Option<Instant>>,
}

impl FrameSlot {
    pub fn put(&self, frame: VideoFrame) {
        *self.latest.lock().unwrap_or_else(|e| e.into_inner()) = Some(Arc::new(frame));
        self.seq.fetch_add(1, Ordering::Release);
        self.delivered.fetch_add(1, Ordering::Relaxed);
        *self.last_put.lock().unwrap_or_else(|e| e.into_inner()) = Some(Instant::now());
    }

    /// How long since the newest frame arrived.
    pub fn age(&self) -> Option<Duration> {
        self.last_put
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .map(|t| t.elapsed())
    }

    /// After a restart the silence timer starts again from the first new frame
    /// (a phone may take a while to reconnect); the old frame stays shown.
    pub fn forget_age(&self) {
        *self.last_put.lock().unwrap_or_else(|e| e.into_inner()) = None;
    }

    /// The newest frame and its sequence number (0 = nothing yet).
    pub fn latest(&self) -> (u64, Option<Arc<VideoFrame>>) {
        let seq = self.seq.load(Ordering::Acquire);
        let frame = self.latest.lock().unwrap_or_else(|e| e.into_inner()).clone();
        (seq, frame)
    }
}

/// Decodes a PNG (e.g. a bundled slate) into an RGBA frame with GStreamer.
pub fn decode_png(bytes: &'static [u8]) -> anyhow::Result<VideoFrame> {
    use gstreamer::prelude::*;
    let pipeline = gst::parse::launch(
        "appsrc name=src ! pngdec ! videoconvert ! video/x-raw,format=RGBA ! appsink name=sink sync=false",
    )?
    .downcast::<gst::Pipeline>()
    .map_err(|_| anyhow::anyhow!("not a pipeline"))?;
    let src = pipeline
        .by_name("src")
        .and_then(|e| e.downcast::<gstreamer_app::AppSrc>().ok())
        .ok_or_else(|| anyhow::anyhow!("appsrc missing"))?;
    let sink = pipeline
        .by_name("sink")
        .and_then(|e| e.downcast::<gstreamer_app::AppSink>().ok())
        .ok_or_else(|| anyhow::anyhow!("appsink missing"))?;
    src.set_caps(Some(&gst::Caps::builder("image/png").build()));
    pipeline.set_state(gst::State::Playing)?;
    let _ = src.push_buffer(gst::Buffer::from_slice(bytes));
    let _ = src.end_of_stream();
    let sample = sink.try_pull_sample(gst::ClockTime::from_seconds(5));
    let _ = pipeline.set_state(gst::State::Null);
    sample
        .as_ref()
        .and_then(VideoFrame::from_sample)
        .ok_or_else(|| anyhow::anyhow!("could not decode the PNG"))
}
