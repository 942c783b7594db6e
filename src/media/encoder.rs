//! One encode per canvas: I420 frames from the compositor and mixed audio in,
//! H.264 + AAC out to the canvas's `Fanout`. A hardware H.264 encoder is used
//! when GStreamer has a working one, else x264.

use super::output::{Fanout, Track};
use super::{AUDIO_CAPS, require};
use crate::show::CanvasSpec;
use anyhow::{Context, Result, anyhow};
use gstreamer as gst;
use gstreamer::prelude::*;
use gstreamer_app as gst_app;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// Raw frames allowed to wait for the encoder before new ones are dropped.
const MAX_QUEUED_FRAMES: u64 = 8;

pub struct CanvasEncoder {
    pipeline: gst::Pipeline,
    video: gst_app::AppSrc,
    audio: gst_app::AppSrc,
    pub fanout: Arc<Fanout>,
    pub encoder_name: String,
    frame_ns: u64,
    /// Frames refused because the encoder was behind.
    pub dropped: AtomicU64,
    pub pushed: AtomicU64,
}

/// The H.264 encoder chosen for this machine, with its element description.
pub fn h264_encoder(kbps: u32, fps: u32) -> Result<(String, String)> {
    let gop = fps * 2;
    // Hardware first; a factory that exists but cannot open its device fails
    // the READY check and we fall back.
    for name in ["nvh264enc", "vah264enc", "vaapih264enc"] {
        let Some(factory) = gst::ElementFactory::find(name) else {
            continue;
        };
        let Ok(el) = factory.create().build() else { continue };
        let ok = el.set_state(gst::State::Ready).is_ok();
        let _ = el.set_state(gst::State::Null);
        if !ok {
            continue;
        }
        let desc = match name {
            "nvh264enc" => format!("nvh264enc bitrate={kbps} gop-size={gop} rc-mode=cbr zerolatency=true bframes=0"),
            "vah264enc" => format!("vah264enc bitrate={kbps} key-int-max={gop} rate-control=cbr b-frames=0"),
            _ => format!("vaapih264enc bitrate={kbps} keyframe-period={gop} rate-control=cbr max-bframes=0"),
        };
        return Ok((name.to_string(), desc));
    }
    require("x264enc", "gstreamer1.0-plugins-ugly")?;
    // scenecut=0 keeps the GOP fixed at 2 s, which every platform asks for.
    Ok((
        "x264enc".to_string(),
        format!(
            "x264enc tune=zerolatency speed-preset=veryfast bitrate={kbps} vbv-buf-capacity=1000 key-int-max={gop} option-string=\"scenecut=0\""
        ),
    ))
}

fn aac_encoder() -> Result<&'static str> {
    for (name, desc) in [
        ("avenc_aac", "avenc_aac bitrate=128000"),
        ("fdkaacenc", "fdkaacenc bitrate=128000"),
        ("voaacenc", "voaacenc bitrate=128000"),
    ] {
        if gst::ElementFactory::find(name).is_some() {
            return Ok(desc);
        }
    }
    Err(anyhow!("no AAC encoder in GStreamer — install gstreamer1.0-libav"))
}

impl CanvasEncoder {
    pub fn new(canvas: &CanvasSpec, kbps: u32) -> Result<CanvasEncoder> {
        let (encoder_name, venc) = h264_encoder(kbps, canvas.fps)?;
        let aenc = aac_encoder()?;
        require("h264parse", "gstreamer1.0-plugins-bad")?;
        let (w, h, fps) = (canvas.width, canvas.height, canvas.fps);
        // NV12 (4:2:0) pinned before the encoder: otherwise x264 may pick
        // 4:4:4, which platforms reject. High profile via caps.
        let desc = format!(
            "appsrc name=video format=time is-live=false \
               caps=video/x-raw,format=NV12,width={w},height={h},framerate={fps}/1,colorimetry=bt709,chroma-site=mpeg2 \
             ! {venc} ! video/x-h264,profile=high ! h264parse \
             ! video/x-h264,stream-format=avc,alignment=au ! appsink name=vout sync=false \
             appsrc name=audio format=time is-live=false caps={AUDIO_CAPS} \
             ! audioconvert ! {aenc} ! aacparse ! audio/mpeg,mpegversion=4,stream-format=raw \
             ! appsink name=aout sync=false"
        );
        let pipeline = gst::parse::launch(&desc)
            .context("cannot build the encoder pipeline")?
            .downcast::<gst::Pipeline>()
            .map_err(|_| anyhow!("encoder: not a pipeline"))?;
        let appsrc = |n: &str| {
            pipeline
                .by_name(n)
                .and_then(|e| e.downcast::<gst_app::AppSrc>().ok())
                .ok_or_else(|| anyhow!("encoder: {n} missing"))
        };
        let video = appsrc("video")?;
        let audio = appsrc("audio")?;
        let fanout = Arc::new(Fanout::default());
        for (sink, track) in [("vout", Track::Video), ("aout", Track::Audio)] {
            let sink = pipeline
                .by_name(sink)
                .and_then(|e| e.downcast::<gst_app::AppSink>().ok())
                .ok_or_else(|| anyhow!("encoder: {sink} missing"))?;
            let f = fanout.clone();
            sink.set_callbacks(
                gst_app::AppSinkCallbacks::builder()
                    .new_sample(move |s| {
                        let sample = s.pull_sample().map_err(|_| gst::FlowError::Eos)?;
                        f.push(track, &sample);
                        Ok(gst::FlowSuccess::Ok)
                    })
                    .build(),
            );
        }
        pipeline
            .set_state(gst::State::Playing)
            .map_err(|_| anyhow!("canvas `{}`: the encoder refused to start", canvas.id))?;
        Ok(CanvasEncoder {
            pipeline,
            video,
            audio,
            fanout,
            encoder_name,
            frame_ns: 1_000_000_000 / fps as u64,
            dropped: AtomicU64::new(0),
            pushed: AtomicU64::new(0),
        })
    }

    /// Queues one I420 frame; refuses (and counts) it when the encoder is behind.
    pub fn push_video(&self, mut data: gst::Buffer, pts_ns: u64) {
        if self.video.current_level_buffers() >= MAX_QUEUED_FRAMES {
            self.dropped.fetch_add(1, Ordering::Relaxed);
            return;
        }
        {
            let b = data.make_mut();
            b.set_pts(gst::ClockTime::from_nseconds(pts_ns));
            b.set_duration(gst::ClockTime::from_nseconds(self.frame_ns));
        }
        self.pushed.fetch_add(1, Ordering::Relaxed);
        let _ = self.video.push_buffer(data);
    }

    /// Queues one mixed audio block (already stamped); the same buffer goes to
    /// every canvas's encoder (it is reference-counted, not copied).
    pub fn push_audio(&self, block: &gst::Buffer) {
        let _ = self.audio.push_buffer(block.clone());
    }

    /// Sends EOS and waits until everything queued is encoded and fanned out.
    pub fn finish(&self, timeout: Duration) {
        let _ = self.video.end_of_stream();
        let _ = self.audio.end_of_stream();
        if let Some(bus) = self.pipeline.bus() {
            let _ = bus.timed_pop_filtered(
                gst::ClockTime::from_nseconds(timeout.as_nanos() as u64),
                &[gst::MessageType::Eos, gst::MessageType::Error],
            );
        }
        let _ = self.pipeline.set_state(gst::State::Null);
    }
}

impl Drop for CanvasEncoder {
    fn drop(&mut self) {
        let _ = self.pipeline.set_state(gst::State::Null);
    }
}
