//! Fan-out of one canvas's encoded stream to its outputs. Each output has a
//! `Feed`: its own bounded appsrcs, its own timeline (rebased to start at its
//! first keyframe) and its own drop counter — a slow or dead output never
//! blocks the encoder or the other outputs.

use gstreamer as gst;
use gstreamer::prelude::*;
use gstreamer_app as gst_app;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::Duration;

/// Encoded data queued per output before it counts as dropping (~3 s at 6 Mb/s).
pub const FEED_MAX_BYTES: u64 = 2_500_000;
/// The latency bound of one output: at a keyframe with more than this much
/// stream time waiting for the link, the whole GOP is dropped (video and
/// sound) and the next keyframe is tried again. What waits never grows
/// past this plus one GOP (docs/uplink.md).
pub const FEED_MAX_QUEUE: Duration = Duration::from_secs(3);

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Track {
    Video,
    Audio,
}

struct FeedState {
    srcs: Option<(gst_app::AppSrc, gst_app::AppSrc)>,
    base: Option<gst::ClockTime>,
    need_keyframe: bool,
    /// Dropping the current GOP (the link is more than `FEED_MAX_QUEUE` behind).
    skipping: bool,
}

pub struct Feed {
    state: Mutex<FeedState>,
    /// Encoded video frames this output had to drop (queue full).
    pub dropped_frames: AtomicU64,
    /// Whole GOPs dropped because the link was too far behind.
    pub dropped_gops: AtomicU64,
    pub video_frames: AtomicU64,
    /// Stream time (ns, this output's timeline) of the last video frame
    /// queued, and of the last one that left the queue for the link.
    in_pts: AtomicU64,
    out_pts: Arc<AtomicU64>,
}

impl Default for Feed {
    fn default() -> Self {
        Feed {
            state: Mutex::new(FeedState {
                srcs: None,
                base: None,
                need_keyframe: true,
                skipping: false,
            }),
            dropped_frames: AtomicU64::new(0),
            dropped_gops: AtomicU64::new(0),
            video_frames: AtomicU64::new(0),
            in_pts: AtomicU64::new(0),
            out_pts: Arc::new(AtomicU64::new(0)),
        }
    }
}

impl Feed {
    /// Starts feeding a freshly built output pipeline; its timeline starts
    /// at the next keyframe. Use `Fanout::attach`, which replays the GOP.
    fn attach(&self, video: gst_app::AppSrc, audio: gst_app::AppSrc) {
        let mut s = self.state.lock().unwrap_or_else(|e| e.into_inner());
        self.in_pts.store(0, Ordering::Relaxed);
        self.out_pts.store(0, Ordering::Relaxed);
        // What left the queue for the mux and the sink, which write it to
        // the link as fast as the link takes it (rtmp2sink and srtsink
        // block on a full socket): the queue's far end.
        if let Some(pad) = video.static_pad("src") {
            let out = self.out_pts.clone();
            pad.add_probe(gst::PadProbeType::BUFFER, move |_, info| {
                if let Some(pts) = info.buffer().and_then(|b| b.pts()) {
                    out.fetch_max(pts.nseconds(), Ordering::Relaxed);
                }
                gst::PadProbeReturn::Ok
            });
        }
        s.srcs = Some((video, audio));
        s.base = None;
        s.need_keyframe = true;
        s.skipping = false;
    }

    /// Bytes waiting here for the link (video and sound).
    pub fn queued_bytes(&self) -> u64 {
        let s = self.state.lock().unwrap_or_else(|e| e.into_inner());
        s.srcs
            .as_ref()
            .map_or(0, |(v, a)| v.current_level_bytes() + a.current_level_bytes())
    }

    /// Stream time waiting for the link: queued here, not yet taken by the sink.
    pub fn queued(&self) -> Duration {
        let (i, o) = (
            self.in_pts.load(Ordering::Relaxed),
            self.out_pts.load(Ordering::Relaxed),
        );
        Duration::from_nanos(i.saturating_sub(o))
    }

    pub fn detach(&self) -> Option<(gst_app::AppSrc, gst_app::AppSrc)> {
        self.state.lock().unwrap_or_else(|e| e.into_inner()).srcs.take()
    }

    pub fn push(&self, track: Track, buffer: &gst::Buffer) {
        let mut s = self.state.lock().unwrap_or_else(|e| e.into_inner());
        let Some((v, a)) = s.srcs.clone() else { return };
        let Some(pts) = buffer.pts() else { return };
        let src = match track {
            Track::Video => {
                let key = !buffer.flags().contains(gst::BufferFlags::DELTA_UNIT);
                if s.need_keyframe {
                    if !key {
                        return;
                    }
                    s.need_keyframe = false;
                    if s.base.is_none() {
                        s.base = Some(pts);
                    }
                }
                if key && s.base.is_some() {
                    // At each keyframe: is the link keeping up?
                    let behind = self.queued() > FEED_MAX_QUEUE;
                    if behind {
                        self.dropped_gops.fetch_add(1, Ordering::Relaxed);
                    }
                    s.skipping = behind;
                }
                if s.skipping {
                    self.dropped_frames.fetch_add(1, Ordering::Relaxed);
                    return;
                }
                v
            }
            Track::Audio if s.skipping => return,
            Track::Audio => a,
        };
        let Some(base) = s.base else { return };
        if pts < base {
            return;
        }
        if src.current_level_bytes() > FEED_MAX_BYTES {
            if track == Track::Video {
                self.dropped_frames.fetch_add(1, Ordering::Relaxed);
                // After a hole the decoder needs a keyframe again.
                s.need_keyframe = true;
            }
            return;
        }
        let mut out = buffer.copy();
        {
            let b = out.make_mut();
            b.set_pts(pts - base);
            if let Some(dts) = buffer.dts() {
                b.set_dts(dts.checked_sub(base).unwrap_or(gst::ClockTime::ZERO));
            }
        }
        drop(s);
        if track == Track::Video {
            self.video_frames.fetch_add(1, Ordering::Relaxed);
            self.in_pts.fetch_max((pts - base).nseconds(), Ordering::Relaxed);
        }
        let _ = src.push_buffer(out);
    }

    /// Ends the stream of this output (EOS on both appsrcs).
    pub fn finish(&self) {
        let s = self.state.lock().unwrap_or_else(|e| e.into_inner());
        if let Some((v, a)) = &s.srcs {
            let _ = v.end_of_stream();
            let _ = a.end_of_stream();
        }
    }
}

/// Most buffers kept for the current GOP (2 s of video + audio at 60 fps is ~215).
const GOP_CACHE_MAX: usize = 600;

#[derive(Default)]
struct FanoutInner {
    feeds: Vec<Arc<Feed>>,
    /// Everything since the last keyframe, so an output that (re)connects
    /// starts at once with a decodable picture instead of waiting up to a GOP.
    gop: Vec<(Track, gst::Buffer)>,
    caps: (Option<gst::Caps>, Option<gst::Caps>),
}

/// The encoded streams of one canvas and the feeds they go to.
#[derive(Default)]
pub struct Fanout {
    inner: Mutex<FanoutInner>,
    caps_ready: Condvar,
}

impl Fanout {
    pub fn add(&self, feed: Arc<Feed>) {
        self.inner.lock().unwrap_or_else(|e| e.into_inner()).feeds.push(feed);
    }

    /// Stops sending to a feed whose output has ended.
    pub fn remove(&self, feed: &Arc<Feed>) {
        let mut inner = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        inner.feeds.retain(|f| !Arc::ptr_eq(f, feed));
    }

    /// Connects a feed to a new output pipeline and replays the current GOP into it.
    pub fn attach(&self, feed: &Feed, video: gst_app::AppSrc, audio: gst_app::AppSrc) {
        let inner = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        feed.attach(video, audio);
        for (track, buffer) in &inner.gop {
            feed.push(*track, buffer);
        }
    }

    pub fn push(&self, track: Track, sample: &gst::Sample) {
        let Some(mut buffer) = sample.buffer_owned() else {
            return;
        };
        // Encoders put their output in a segment of their own (the video
        // encoder base class starts it at 1000 h); outputs work in running
        // time, which is the show clock for both tracks.
        if let Some(segment) = sample
            .segment()
            .and_then(|s| s.downcast_ref::<gst::ClockTime>().cloned())
        {
            let pts = buffer.pts().and_then(|t| segment.to_running_time(t));
            let dts = buffer.dts().and_then(|t| segment.to_running_time(t));
            let b = buffer.make_mut();
            b.set_pts(pts);
            b.set_dts(dts);
        }
        let mut inner = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(caps) = sample.caps() {
            let slot = match track {
                Track::Video => &mut inner.caps.0,
                Track::Audio => &mut inner.caps.1,
            };
            if slot.as_ref().map(|c| c.as_ref()) != Some(caps) {
                *slot = Some(caps.to_owned());
                self.caps_ready.notify_all();
            }
        }
        let keyframe = track == Track::Video && !buffer.flags().contains(gst::BufferFlags::DELTA_UNIT);
        if keyframe {
            inner.gop.clear();
        }
        if (keyframe || !inner.gop.is_empty()) && inner.gop.len() < GOP_CACHE_MAX {
            inner.gop.push((track, buffer.clone()));
        }
        for f in &inner.feeds {
            f.push(track, &buffer);
        }
    }

    /// Waits until both encoders have produced caps (H.264 codec data, AAC config).
    pub fn wait_caps(&self, timeout: Duration) -> Option<(gst::Caps, gst::Caps)> {
        let inner = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        let (inner, _) = self
            .caps_ready
            .wait_timeout_while(inner, timeout, |i| i.caps.0.is_none() || i.caps.1.is_none())
            .unwrap_or_else(|e| e.into_inner());
        match &inner.caps {
            (Some(v), Some(a)) => Some((v.clone(), a.clone())),
            _ => None,
        }
    }
}

/// Builds an output pipeline around `mux_and_sink` (e.g. "flvmux ... ! rtmp2sink ...")
/// with two appsrcs named `v` and `a` carrying the encoder's caps.
pub fn build_output_pipeline(
    name: &str,
    video_caps: &gst::Caps,
    audio_caps: &gst::Caps,
    mux: &str,
    sink: &str,
) -> anyhow::Result<(gst::Pipeline, gst_app::AppSrc, gst_app::AppSrc)> {
    // Request the muxer's pads by name: appsrc caps are only set after parsing.
    // MPEG-TS carries H.264 as a byte stream with SPS/PPS at every
    // keyframe (a receiver may join at any GOP); the encoder makes AVC.
    let (vpad, apad, vparse) = if mux.starts_with("flvmux") {
        ("video", "audio", "")
    } else if mux.starts_with("mpegtsmux") {
        ("sink_%d", "sink_%d", "h264parse config-interval=-1 ! ")
    } else {
        ("video_%u", "audio_%u", "")
    };
    let desc = format!(
        "appsrc name=v format=time is-live=false ! {vparse}mux.{vpad} \
         appsrc name=a format=time is-live=false ! mux.{apad} \
         {mux} name=mux ! {sink}"
    );
    let pipeline = gst::parse::launch(&desc)?
        .downcast::<gst::Pipeline>()
        .map_err(|_| anyhow::anyhow!("{name}: not a pipeline"))?;
    pipeline.set_property("name", name);
    let get = |n: &str, caps: &gst::Caps| -> anyhow::Result<gst_app::AppSrc> {
        let src = pipeline
            .by_name(n)
            .and_then(|e| e.downcast::<gst_app::AppSrc>().ok())
            .ok_or_else(|| anyhow::anyhow!("{name}: appsrc {n} missing"))?;
        src.set_caps(Some(caps));
        src.set_max_bytes(FEED_MAX_BYTES * 4);
        Ok(src)
    };
    let v = get("v", video_caps)?;
    let a = get("a", audio_caps)?;
    Ok((pipeline, v, a))
}
