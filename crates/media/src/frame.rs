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
    /// RGB with an unused fourth byte: drawn opaque.
    Rgbx,
    Bgra,
    Bgrx,
    I420,
    Nv12,
    Yuy2,
    Uyvy,
}

/// One plane of a picture as the GPU takes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PlaneLayout {
    pub width: u32,
    pub height: u32,
    pub bytes_per_texel: u32,
    pub format: wgpu::TextureFormat,
}

impl PixelFormat {
    /// The GPU planes of a picture of this format and size.
    pub fn planes(self, width: u32, height: u32) -> Vec<PlaneLayout> {
        use wgpu::TextureFormat as T;
        let p = |width, height, bytes_per_texel, format| PlaneLayout {
            width,
            height,
            bytes_per_texel,
            format,
        };
        let (cw, ch) = (width.div_ceil(2), height.div_ceil(2));
        match self {
            PixelFormat::Rgba | PixelFormat::Rgbx => vec![p(width, height, 4, T::Rgba8Unorm)],
            PixelFormat::Bgra | PixelFormat::Bgrx => vec![p(width, height, 4, T::Bgra8Unorm)],
            PixelFormat::I420 => vec![
                p(width, height, 1, T::R8Unorm),
                p(cw, ch, 1, T::R8Unorm),
                p(cw, ch, 1, T::R8Unorm),
            ],
            PixelFormat::Nv12 => vec![p(width, height, 1, T::R8Unorm), p(cw, ch, 2, T::Rg8Unorm)],
            // Two pixels per 4-byte texel, unpacked in the shader.
            PixelFormat::Yuy2 | PixelFormat::Uyvy => vec![p(cw, height, 4, T::Rgba8Unorm)],
        }
    }

    /// The shader's format code (shaders/layer.wgsl `sample_source`).
    pub fn shader_code(self) -> u32 {
        match self {
            PixelFormat::Rgba | PixelFormat::Rgbx | PixelFormat::Bgra | PixelFormat::Bgrx => 0,
            PixelFormat::I420 => 1,
            PixelFormat::Nv12 => 2,
            PixelFormat::Yuy2 => 3,
            PixelFormat::Uyvy => 4,
        }
    }

    /// Carries transparency the compositor must keep.
    pub fn has_alpha(self) -> bool {
        matches!(self, PixelFormat::Rgba | PixelFormat::Bgra)
    }

    pub fn opaque(self) -> bool {
        matches!(self, PixelFormat::Rgbx | PixelFormat::Bgrx)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Matrix {
    Bt601,
    Bt709,
}

/// One decoded picture, still in the source's own planes.
#[derive(Clone)]
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
    /// A frame from raw bytes laid out tightly (tests, generated pictures).
    pub fn from_raw(
        format: PixelFormat,
        width: u32,
        height: u32,
        data: Vec<u8>,
        matrix: Matrix,
        full_range: bool,
    ) -> VideoFrame {
        let mut planes = Vec::new();
        let mut offset = 0usize;
        for p in format.planes(width, height) {
            let stride = p.width * p.bytes_per_texel;
            planes.push((offset, stride));
            offset += (stride * p.height) as usize;
        }
        VideoFrame {
            format,
            width,
            height,
            matrix,
            full_range,
            planes,
            buffer: gst::Buffer::from_slice(data),
        }
    }

    /// Wraps a sample from an appsink whose caps are RGBA or I420.
    pub fn from_sample(sample: &gst::Sample) -> Option<VideoFrame> {
        let caps = sample.caps()?;
        let info = gst_video::VideoInfo::from_caps(caps).ok()?;
        let format = match info.format() {
            gst_video::VideoFormat::Rgba => PixelFormat::Rgba,
            gst_video::VideoFormat::Rgbx => PixelFormat::Rgbx,
            gst_video::VideoFormat::Bgra => PixelFormat::Bgra,
            gst_video::VideoFormat::Bgrx => PixelFormat::Bgrx,
            gst_video::VideoFormat::I420 => PixelFormat::I420,
            gst_video::VideoFormat::Nv12 => PixelFormat::Nv12,
            gst_video::VideoFormat::Yuy2 => PixelFormat::Yuy2,
            gst_video::VideoFormat::Uyvy => PixelFormat::Uyvy,
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

/// Frames of a source kept so that a tick rendered late still shows the
/// picture of its own instant, not a newer one (A/V sync under load).
const HISTORY: usize = 3;

/// The newest frames of one source, with sequence numbers so the compositor
/// uploads a frame only once.
#[derive(Default)]
pub struct FrameSlot {
    /// (sequence number, arrival, frame), oldest first; at most `HISTORY`.
    recent: Mutex<std::collections::VecDeque<(u64, Instant, Arc<VideoFrame>)>>,
    seq: AtomicU64,
    /// Frames delivered by the source since start.
    pub delivered: AtomicU64,
    /// When the newest frame arrived (None: never, or forgotten on restart).
    last_put: Mutex<Option<Instant>>,
    /// Bumped when the source's pipeline is rebuilt: a late frame from the
    /// old pipeline must not count as the source being back.
    epoch: AtomicU64,
}

impl FrameSlot {
    /// Starts a new pipeline generation; returns its number for `put`.
    pub fn next_epoch(&self) -> u64 {
        self.epoch.fetch_add(1, Ordering::AcqRel) + 1
    }

    pub fn epoch(&self) -> u64 {
        self.epoch.load(Ordering::Acquire)
    }

    /// Stores a frame from pipeline generation `epoch` (ignored if stale).
    pub fn put(&self, epoch: u64, frame: VideoFrame) {
        if epoch != self.epoch() {
            return;
        }
        let now = Instant::now();
        {
            let mut recent = self.recent.lock().unwrap_or_else(|e| e.into_inner());
            let seq = self.seq.fetch_add(1, Ordering::AcqRel) + 1;
            if recent.len() == HISTORY {
                recent.pop_front();
            }
            recent.push_back((seq, now, Arc::new(frame)));
        }
        self.delivered.fetch_add(1, Ordering::Relaxed);
        *self.last_put.lock().unwrap_or_else(|e| e.into_inner()) = Some(now);
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

    /// The newest frame that had arrived by `due` (a tick's instant), so a
    /// tick rendered late shows what was current at its time; the oldest
    /// kept when every kept frame is newer.
    pub fn at(&self, due: Instant) -> (u64, Option<Arc<VideoFrame>>) {
        let recent = self.recent.lock().unwrap_or_else(|e| e.into_inner());
        let pick = recent.iter().rev().find(|(_, at, _)| *at <= due).or(recent.front());
        match pick {
            Some((seq, _, f)) => (*seq, Some(f.clone())),
            None => (0, None),
        }
    }
}

/// Decodes a PNG (e.g. a bundled slate) into an RGBA frame with GStreamer.
pub fn decode_png(bytes: impl AsRef<[u8]> + Send + 'static) -> anyhow::Result<VideoFrame> {
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

/// NV12 (BT.709, limited range, as the canvases are encoded) → RGB, every
/// `step`-th pixel of every `step`-th row (1: all of them; 3: a third of the
/// size each way, for pictures that only need to be seen small).
pub fn nv12_to_rgb(nv12: &[u8], w: usize, h: usize, step: usize) -> Option<Vec<u8>> {
    let step = step.max(1);
    let (cw, ch) = (w.div_ceil(2), h.div_ceil(2));
    if nv12.len() < w * h + 2 * cw * ch {
        return None;
    }
    let (y, uv) = nv12.split_at(w * h);
    let mut rgb = Vec::with_capacity(w.div_ceil(step) * h.div_ceil(step) * 3);
    for row in (0..h).step_by(step) {
        for col in (0..w).step_by(step) {
            let yy = (y[row * w + col] as f32 - 16.0) * 1.164_383;
            let c = 2 * ((row / 2) * cw + col / 2);
            let (uu, vv) = (uv[c] as f32 - 128.0, uv[c + 1] as f32 - 128.0);
            let px = [
                yy + 1.792_741 * vv,
                yy - 0.213_249 * uu - 0.532_909 * vv,
                yy + 2.112_402 * uu,
            ];
            rgb.extend(px.map(|x| x.round().clamp(0.0, 255.0) as u8));
        }
    }
    Some(rgb)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limited_range_white_grey_and_black_come_back() {
        // 2×2 of Y=235 (white), U=V=128.
        let rgb = nv12_to_rgb(&[235, 235, 235, 235, 128, 128], 2, 2, 1).unwrap();
        assert!(rgb.iter().all(|&v| v == 255), "{rgb:?}");
        let rgb = nv12_to_rgb(&[16, 16, 16, 16, 128, 128], 2, 2, 1).unwrap();
        assert!(rgb.iter().all(|&v| v == 0), "{rgb:?}");
    }

    #[test]
    fn a_stepped_picture_takes_every_other_pixel() {
        // 4×2: white, black, white, black; chroma neutral.
        let nv12 = [235, 16, 235, 16, 235, 16, 235, 16, 128, 128, 128, 128];
        assert_eq!(nv12_to_rgb(&nv12, 4, 2, 2).unwrap(), vec![255; 6]);
        assert!(nv12_to_rgb(&nv12[..10], 4, 2, 1).is_none());
    }
}
