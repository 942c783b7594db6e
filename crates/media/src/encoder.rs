//! One encode per canvas: NV12 frames from the compositor and mixed audio in,
//! H.264 + AAC out to the canvas's `Fanout`. A hardware H.264 encoder is used
//! when GStreamer has a working one, else x264.
//!
//! What goes out is on the show clock whatever the machine does:
//! - **constant frame rate**: every tick of the canvas gets exactly one
//!   frame. A tick the renderer did not make (late, or throttled on
//!   purpose) and a frame the encoder was too far behind to take are sent as
//!   a repeat of the last picture (the same memory, nearly free to encode);
//! - **keyframes on the clock**: every tick that starts a keyframe interval
//!   (2 s) is forced to be a keyframe, so a GOP is 2 s of stream time, never
//!   a count of frames that skipped ticks would stretch;
//! - the x264 speed preset can be stepped while live (`set_speed`): the
//!   encoder element is swapped at a keyframe boundary, with the settings
//!   that shape the SPS/PPS pinned so the stream's codec data never changes.

use super::output::{Fanout, Track};
use super::{AUDIO_CAPS, require};
use crate::spec::CanvasSpec;
use anyhow::{Context, Result, anyhow};
use gstreamer as gst;
use gstreamer::prelude::*;
use gstreamer_app as gst_app;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// New pictures allowed to wait for the encoder before a tick's new picture
/// is replaced by a repeat (counted as dropped). Repeats are not counted:
/// they share the last picture's memory and are nearly free to encode.
const MAX_QUEUED_FRAMES: u64 = 8;
/// Latency bound: with this many seconds of frames waiting (an encoder that
/// cannot even keep up with repeats), a tick gets no frame at all (counted
/// in `holes`). Keyframes stay on the clock even then.
const MAX_QUEUED_SECONDS: u64 = 1;
/// Keyframe interval in seconds (every platform asks for 2 s).
pub const KEYFRAME_INTERVAL_S: u32 = 2;

/// x264 speed presets the engine steps through, fastest last.
pub const X264_SPEEDS: [&str; 3] = ["veryfast", "superfast", "ultrafast"];

pub struct CanvasEncoder {
    pipeline: gst::Pipeline,
    video: gst_app::AppSrc,
    audio: gst_app::AppSrc,
    pub fanout: Arc<Fanout>,
    pub encoder_name: String,
    frame_ns: u64,
    /// Ticks per keyframe interval.
    gop_ticks: u64,
    clock: Mutex<WireClock>,
    /// The x264 speed preset now in use (None for hardware encoders).
    speed: Mutex<Option<&'static str>>,
    /// The video bitrate now (kb/s): the show's, or lower while the link
    /// cannot carry it (`set_bitrate`).
    kbps: AtomicU32,
    /// New pictures the encoder was too far behind to take (a repeat went instead).
    pub dropped: AtomicU64,
    /// Frames handed to the encoder: new pictures and repeats.
    pub pushed: AtomicU64,
    /// Ticks sent as a repeat of the last picture.
    pub repeated: AtomicU64,
    /// Keyframes forced on the clock.
    pub keyframes_forced: AtomicU64,
    /// Ticks that got no frame (a second of frames already waiting).
    pub holes: AtomicU64,
    /// Video frames out of the encoder.
    encoded: Arc<AtomicU64>,
}

/// The next tick the wire expects and the picture to repeat.
#[derive(Default)]
struct WireClock {
    next_tick: u64,
    last: Option<gst::Buffer>,
    /// The tick `last` was first sent at (its frame number on the wire).
    last_tick: u64,
    /// Push numbers (`pushed` before each) of the new pictures that may
    /// still wait in the appsrc's queue; repeats are not in it.
    new_pictures: std::collections::VecDeque<u64>,
}

/// The x264 element for `speed`. Everything that shapes the SPS/PPS is pinned
/// (CABAC, 8×8 transform, one reference, no weighted prediction, no
/// B-frames) so that every speed makes the same codec data and the preset
/// can change while live. scenecut=0: keyframes come only from the clock.
fn x264_desc(kbps: u32, gop: u32, speed: &str) -> String {
    format!(
        "x264enc name=venc tune=zerolatency speed-preset={speed} bitrate={kbps} vbv-buf-capacity=1000 \
         key-int-max={gop} cabac=true dct8x8=true ref=1 bframes=0 \
         option-string=\"scenecut=0:weightp=0\""
    )
}

/// The H.264 encoder chosen for this machine, with its element description.
pub fn h264_encoder(kbps: u32, fps: u32) -> Result<(String, String)> {
    let gop = fps * KEYFRAME_INTERVAL_S;
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
            "nvh264enc" => {
                format!("nvh264enc name=venc bitrate={kbps} gop-size={gop} rc-mode=cbr zerolatency=true bframes=0")
            }
            "vah264enc" => format!("vah264enc name=venc bitrate={kbps} key-int-max={gop} rate-control=cbr b-frames=0"),
            _ => format!("vaapih264enc name=venc bitrate={kbps} keyframe-period={gop} rate-control=cbr max-bframes=0"),
        };
        return Ok((name.to_string(), desc));
    }
    require("x264enc", "gstreamer1.0-plugins-ugly")?;
    Ok(("x264enc".to_string(), x264_desc(kbps, gop, X264_SPEEDS[0])))
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
             ! {venc} ! capsfilter name=vcaps caps=video/x-h264,profile=high ! h264parse \
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
        let encoded = Arc::new(AtomicU64::new(0));
        for (sink, track) in [("vout", Track::Video), ("aout", Track::Audio)] {
            let sink = pipeline
                .by_name(sink)
                .and_then(|e| e.downcast::<gst_app::AppSink>().ok())
                .ok_or_else(|| anyhow!("encoder: {sink} missing"))?;
            let f = fanout.clone();
            let out = encoded.clone();
            sink.set_callbacks(
                gst_app::AppSinkCallbacks::builder()
                    .new_sample(move |s| {
                        let sample = s.pull_sample().map_err(|_| gst::FlowError::Eos)?;
                        f.push(track, &sample);
                        if track == Track::Video {
                            out.fetch_add(1, Ordering::Relaxed);
                        }
                        Ok(gst::FlowSuccess::Ok)
                    })
                    .build(),
            );
        }
        pipeline
            .set_state(gst::State::Playing)
            .map_err(|_| anyhow!("canvas `{}`: the encoder refused to start", canvas.id))?;
        let speed = (encoder_name == "x264enc").then_some(X264_SPEEDS[0]);
        Ok(CanvasEncoder {
            pipeline,
            video,
            audio,
            fanout,
            encoder_name,
            frame_ns: 1_000_000_000 / fps as u64,
            gop_ticks: (fps * KEYFRAME_INTERVAL_S) as u64,
            clock: Mutex::new(WireClock::default()),
            speed: Mutex::new(speed),
            kbps: AtomicU32::new(kbps),
            dropped: AtomicU64::new(0),
            pushed: AtomicU64::new(0),
            repeated: AtomicU64::new(0),
            keyframes_forced: AtomicU64::new(0),
            holes: AtomicU64::new(0),
            encoded,
        })
    }

    /// The x264 speed preset in use (None for a hardware encoder).
    pub fn speed(&self) -> Option<&'static str> {
        *self.speed.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The last picture sent to the encoder (NV12 at the canvas's size),
    /// if one was — what is on program now — with the tick (frame number
    /// on the wire) it was first sent at: ticks count from the show clock's
    /// start.
    pub fn last_picture_at(&self) -> Option<(u64, gst::Buffer)> {
        let clock = self.clock.lock().unwrap_or_else(|e| e.into_inner());
        clock.last.clone().map(|b| (clock.last_tick, b))
    }

    /// The length of one frame in nanoseconds.
    pub fn frame_ns(&self) -> u64 {
        self.frame_ns
    }

    /// Queues the picture of the tick at `pts_ns`. Ticks since the last
    /// picture that got none are sent first, as repeats of it; when the
    /// encoder is too far behind, this picture becomes a repeat too.
    pub fn push_video(&self, data: gst::Buffer, pts_ns: u64) {
        let tick = (pts_ns + self.frame_ns / 2) / self.frame_ns;
        let mut clock = self.clock.lock().unwrap_or_else(|e| e.into_inner());
        if tick < clock.next_tick {
            return; // never twice for one tick
        }
        if let Some(last) = clock.last.clone() {
            for t in clock.next_tick..tick {
                if self.send(last.clone(), t) {
                    self.repeated.fetch_add(1, Ordering::Relaxed);
                }
            }
        }
        clock.next_tick = tick + 1;
        let behind = self.waiting_new(&mut clock) >= MAX_QUEUED_FRAMES;
        match &clock.last {
            Some(last) if behind => {
                self.dropped.fetch_add(1, Ordering::Relaxed);
                if self.send(last.clone(), tick) {
                    self.repeated.fetch_add(1, Ordering::Relaxed);
                }
            }
            _ => {
                clock.last = Some(data.clone());
                clock.last_tick = tick;
                let n = self.pushed.load(Ordering::Relaxed);
                if self.send(data, tick) {
                    clock.new_pictures.push_back(n);
                }
            }
        }
    }

    /// New pictures (not repeats) sent and still waiting for the encoder.
    /// Called with the clock held, so `pushed` cannot move meanwhile.
    fn waiting_new(&self, clock: &mut WireClock) -> u64 {
        // Frames that have left the appsrc's queue: an encoder's own
        // latency (a hardware encoder's pipeline) is not a backlog.
        let done = self.pushed.load(Ordering::Relaxed) - self.waiting();
        while clock.new_pictures.front().is_some_and(|n| *n < done) {
            clock.new_pictures.pop_front();
        }
        clock.new_pictures.len() as u64
    }

    /// One frame onto the wire at `tick`, a keyframe when it starts an
    /// interval. False when a second of frames is already waiting (a hole).
    fn send(&self, mut data: gst::Buffer, tick: u64) -> bool {
        let pts = gst::ClockTime::from_nseconds(tick * self.frame_ns);
        if tick.is_multiple_of(self.gop_ticks) {
            // Asked of the encoder as its downstream would (an upstream
            // event, not serialised with the data, so nothing waits): the
            // encoder base class keys the first frame at or after this
            // running time (the segment starts at 0), whatever is queued.
            let ev = gstreamer_video::UpstreamForceKeyUnitEvent::builder()
                .running_time(pts)
                .all_headers(true)
                .build();
            let sent = self
                .pipeline
                .by_name("venc")
                .and_then(|e| e.static_pad("src"))
                .is_some_and(|pad| pad.send_event(ev));
            if sent {
                self.keyframes_forced.fetch_add(1, Ordering::Relaxed);
            }
        }
        let fps = self.gop_ticks / KEYFRAME_INTERVAL_S as u64;
        if self.waiting() >= fps * MAX_QUEUED_SECONDS {
            self.holes.fetch_add(1, Ordering::Relaxed);
            return false;
        }
        {
            let b = data.make_mut();
            b.set_pts(pts);
            b.set_duration(gst::ClockTime::from_nseconds(self.frame_ns));
        }
        self.pushed.fetch_add(1, Ordering::Relaxed);
        let _ = self.video.push_buffer(data);
        true
    }

    /// Steps the x264 speed preset while live. The element is swapped on
    /// the streaming thread just before the next frame that starts a
    /// keyframe interval: the old one is drained (its last frames go out
    /// first), the new one starts with that keyframe. Returns false for a
    /// hardware encoder or an unknown preset.
    pub fn set_speed(self: &Arc<Self>, speed: &str) -> bool {
        let Some(speed) = X264_SPEEDS.iter().copied().find(|s| *s == speed) else {
            return false;
        };
        if self.encoder_name != "x264enc" {
            return false;
        }
        let Some(pad) = self.video.static_pad("src") else {
            return false;
        };
        let weak = Arc::downgrade(self);
        let frame_ns = self.frame_ns;
        let gop_ns = self.gop_ticks * frame_ns;
        pad.add_probe(
            gst::PadProbeType::BLOCK_DOWNSTREAM | gst::PadProbeType::BUFFER,
            move |pad, info| {
                let Some(enc) = weak.upgrade() else {
                    return gst::PadProbeReturn::Remove;
                };
                let on_boundary = info
                    .buffer()
                    .and_then(|b| b.pts())
                    .is_some_and(|p| (p.nseconds() + frame_ns / 2) % gop_ns < frame_ns);
                if !on_boundary {
                    return gst::PadProbeReturn::Pass;
                }
                if let Err(e) = enc.swap_encoder(pad, speed) {
                    tracing::warn!("could not change the x264 speed to {speed}: {e:#}");
                }
                gst::PadProbeReturn::Remove
            },
        );
        true
    }

    /// Runs on the video appsrc's streaming thread with a buffer held back.
    fn swap_encoder(&self, src: &gst::Pad, speed: &'static str) -> Result<()> {
        let old = self
            .pipeline
            .by_name("venc")
            .ok_or_else(|| anyhow!("no encoder element"))?;
        let caps = self
            .pipeline
            .by_name("vcaps")
            .ok_or_else(|| anyhow!("no caps filter"))?;
        let gop = self.gop_ticks as u32;
        let new = gst::parse::launch(&x264_desc(self.bitrate(), gop, speed))?;
        let old_src = old
            .static_pad("src")
            .ok_or_else(|| anyhow!("encoder without src pad"))?;
        let old_sink = old
            .static_pad("sink")
            .ok_or_else(|| anyhow!("encoder without sink pad"))?;
        // Drain: the old encoder's last frames go downstream, its EOS does not.
        old_src.add_probe(gst::PadProbeType::EVENT_DOWNSTREAM, |_, info| {
            if info.event().is_some_and(|e| e.type_() == gst::EventType::Eos) {
                drop(info.data.take());
                return gst::PadProbeReturn::Handled;
            }
            gst::PadProbeReturn::Ok
        });
        old_sink.send_event(gst::event::Eos::new());
        src.unlink(&old_sink)?;
        old.unlink(&caps);
        old.set_state(gst::State::Null)?;
        self.pipeline.remove(&old)?;
        new.set_property("name", "venc");
        self.pipeline.add(&new)?;
        new.link(&caps)?;
        let new_sink = new
            .static_pad("sink")
            .ok_or_else(|| anyhow!("encoder without sink pad"))?;
        src.link(&new_sink)?;
        new.sync_state_with_parent()?;
        *self.speed.lock().unwrap_or_else(|e| e.into_inner()) = Some(speed);
        Ok(())
    }

    /// The video bitrate in use (kb/s).
    pub fn bitrate(&self) -> u32 {
        self.kbps.load(Ordering::Relaxed)
    }

    /// Changes the video bitrate while live. Every encoder used here takes
    /// a new `bitrate` (kb/s) while playing and applies it from the next
    /// frame without a keyframe (x264: `x264_encoder_reconfig`), so the
    /// stream, its codec data and its keyframes on the clock go on.
    pub fn set_bitrate(&self, kbps: u32) -> bool {
        let Some(venc) = self.pipeline.by_name("venc") else {
            return false;
        };
        self.kbps.store(kbps, Ordering::Relaxed);
        venc.set_property("bitrate", kbps);
        true
    }

    /// Queues one mixed audio block (already stamped); the same buffer goes to
    /// every canvas's encoder (it is reference-counted, not copied).
    pub fn push_audio(&self, block: &gst::Buffer) {
        let _ = self.audio.push_buffer(block.clone());
    }

    /// New pictures (repeats not counted) waiting for the encoder.
    pub fn queued(&self) -> u64 {
        let mut clock = self.clock.lock().unwrap_or_else(|e| e.into_inner());
        self.waiting_new(&mut clock)
    }

    /// Video frames out of the encoder so far.
    pub fn encoded(&self) -> u64 {
        self.encoded.load(Ordering::Relaxed)
    }

    /// Frames waiting in the appsrc's queue for the encoder, repeats too.
    fn waiting(&self) -> u64 {
        self.video
            .current_level_buffers()
            .min(self.pushed.load(Ordering::Relaxed))
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
