//! A clip cut from a recording without re-encoding: the recording's H.264
//! and AAC from the keyframe at or before `from` up to `to`, into a new
//! MP4. Two pipelines: the recording is read and seeked (demuxer into
//! appsinks), and what the seek gives is pushed, re-stamped from 0, into
//! a muxer of its own (appsrcs into mp4mux) — so the muxer never sees the
//! seek's flush, and the file it writes starts at a keyframe.

use gstreamer as gst;
use gstreamer::prelude::*;
use gstreamer_app as gst_app;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Why a clip could not be cut.
#[derive(Debug, thiserror::Error)]
pub enum ClipError {
    #[error("{}: not a recording this can cut (.mkv or .mp4)", .0.display())]
    Format(PathBuf),
    #[error("{}: {why}", path.display())]
    Read { path: PathBuf, why: String },
    #[error("{}: {why}", path.display())]
    Write { path: PathBuf, why: String },
    #[error("{}: nothing between {from:.1} s and {to:.1} s", path.display())]
    Empty { path: PathBuf, from: f64, to: f64 },
}

/// What a cut gave: where its first picture was in the recording (the
/// keyframe at or before `from`) and how long it is.
#[derive(Debug, Clone, PartialEq)]
pub struct Cut {
    pub start: Duration,
    pub duration: Duration,
    pub video_frames: u64,
}

/// The longest a cut may take before it is given up.
const LIMIT: Duration = Duration::from_secs(120);

fn element(name: &str) -> Result<gst::Element, String> {
    gst::ElementFactory::make(name)
        .build()
        .map_err(|_| format!("GStreamer element `{name}` is missing — install gstreamer1.0-plugins-good"))
}

/// What the reading side hands the writing side.
#[derive(Default)]
struct Restamp {
    /// The first picture's time in the recording (a keyframe).
    base: Option<gst::ClockTime>,
    last_end: gst::ClockTime,
    frames: u64,
}

/// Cuts `[from, to]` of `input` into `output` (MP4, H.264 + AAC).
pub fn cut(input: &Path, from: Duration, to: Duration, output: &Path) -> Result<Cut, ClipError> {
    crate::init().map_err(|e| ClipError::Read {
        path: input.to_path_buf(),
        why: e.to_string(),
    })?;
    let demuxer = match input.extension().and_then(|e| e.to_str()) {
        Some("mkv") => "matroskademux",
        Some("mp4") => "qtdemux",
        _ => return Err(ClipError::Format(input.to_path_buf())),
    };
    let read_err = |why: String| ClipError::Read {
        path: input.to_path_buf(),
        why,
    };
    let write_err = |why: String| ClipError::Write {
        path: output.to_path_buf(),
        why,
    };
    let part = output.with_extension("mp4.part");

    // Writing: two appsrcs into mp4mux into the file.
    let writer = gst::Pipeline::new();
    let mux = element("mp4mux").map_err(write_err)?;
    let sink = element("filesink").map_err(write_err)?;
    sink.set_property("location", part.to_string_lossy().to_string());
    writer.add_many([&mux, &sink]).map_err(|e| write_err(e.to_string()))?;
    mux.link(&sink).map_err(|e| write_err(e.to_string()))?;
    let appsrc = |pad: &str| -> Result<gst_app::AppSrc, ClipError> {
        let src = gst_app::AppSrc::builder()
            .format(gst::Format::Time)
            .is_live(false)
            .block(true)
            .max_bytes(8 << 20)
            .build();
        writer.add(&src).map_err(|e| write_err(e.to_string()))?;
        let sinkpad = mux
            .request_pad_simple(pad)
            .ok_or_else(|| write_err(format!("mp4mux has no {pad} pad")))?;
        src.static_pad("src")
            .expect("appsrc has a src pad")
            .link(&sinkpad)
            .map_err(|e| write_err(format!("{e:?}")))?;
        Ok(src)
    };

    // Reading: the recording's demuxer into one appsink per track.
    let reader = gst::Pipeline::new();
    let src = element("filesrc").map_err(read_err)?;
    src.set_property("location", input.to_string_lossy().to_string());
    let demux = element(demuxer).map_err(read_err)?;
    reader.add_many([&src, &demux]).map_err(|e| read_err(e.to_string()))?;
    src.link(&demux).map_err(|e| read_err(e.to_string()))?;
    let video_src = appsrc("video_%u")?;
    let audio_src = appsrc("audio_%u")?;
    let restamp = Arc::new(Mutex::new(Restamp::default()));
    let has_audio = Arc::new(std::sync::atomic::AtomicBool::new(false));
    {
        let reader_weak = reader.downgrade();
        let (video_src, audio_src, restamp, has_audio) =
            (video_src.clone(), audio_src.clone(), restamp.clone(), has_audio.clone());
        demux.connect_pad_added(move |_, pad| {
            let Some(reader) = reader_weak.upgrade() else { return };
            let caps = pad.current_caps().or_else(|| pad.allowed_caps());
            let name = caps
                .as_ref()
                .and_then(|c| c.structure(0).map(|s| s.name().to_string()))
                .unwrap_or_default();
            let (to, video) = match name.as_str() {
                "video/x-h264" => (video_src.clone(), true),
                "audio/mpeg" => {
                    has_audio.store(true, std::sync::atomic::Ordering::Relaxed);
                    (audio_src.clone(), false)
                }
                _ => return,
            };
            // A queue per track: the demuxer's one thread feeds both, and
            // each appsink holds it while prerolling.
            let Ok(queue) = gst::ElementFactory::make("queue").build() else {
                return;
            };
            let sink = gst_app::AppSink::builder().sync(false).build();
            if reader.add_many([&queue, sink.upcast_ref()]).is_err()
                || queue.link(&sink).is_err()
                || queue.sync_state_with_parent().is_err()
                || sink.sync_state_with_parent().is_err()
            {
                return;
            }
            let _ = pad.link(&queue.static_pad("sink").expect("a queue has a sink pad"));
            let restamp = restamp.clone();
            sink.set_callbacks(
                gst_app::AppSinkCallbacks::builder()
                    .new_sample(move |s| {
                        let sample = s.pull_sample().map_err(|_| gst::FlowError::Eos)?;
                        let Some(buffer) = sample.buffer() else {
                            return Ok(gst::FlowSuccess::Ok);
                        };
                        let Some(pts) = buffer.pts() else {
                            return Ok(gst::FlowSuccess::Ok);
                        };
                        let mut r = restamp.lock().unwrap_or_else(|e| e.into_inner());
                        if r.base.is_none() {
                            // The clip starts at the seek's keyframe: audio
                            // before it waits for it (and is left out).
                            if !video || buffer.flags().contains(gst::BufferFlags::DELTA_UNIT) {
                                return Ok(gst::FlowSuccess::Ok);
                            }
                            r.base = Some(pts);
                        }
                        let base = r.base.expect("set above");
                        if pts < base {
                            return Ok(gst::FlowSuccess::Ok);
                        }
                        let mut out = buffer.copy();
                        {
                            let b = out.make_mut();
                            b.set_pts(pts - base);
                            b.set_dts(buffer.dts().map(|d| d.saturating_sub(base)));
                        }
                        if video {
                            r.frames += 1;
                            r.last_end = r.last_end.max(pts - base + buffer.duration().unwrap_or_default());
                        }
                        drop(r);
                        if to.caps().is_none()
                            && let Some(c) = sample.caps()
                        {
                            to.set_caps(Some(&c.to_owned()));
                        }
                        to.push_buffer(out).map(|_| gst::FlowSuccess::Ok)
                    })
                    .build(),
            );
        });
    }

    let (pads_done, all_pads) = std::sync::mpsc::channel();
    demux.connect_no_more_pads(move |_| {
        let _ = pads_done.send(());
    });
    let fail = |why: String| {
        let _ = reader.set_state(gst::State::Null);
        let _ = writer.set_state(gst::State::Null);
        let _ = std::fs::remove_file(&part);
        why
    };
    reader
        .set_state(gst::State::Paused)
        .map_err(|_| read_err(fail(bus_error(&reader).unwrap_or_else(|| "cannot be read".into()))))?;
    // Every track found, then prerolled (each appsink holds its first
    // buffer): only then can the recording seek.
    if all_pads.recv_timeout(Duration::from_secs(30)).is_err() {
        return Err(read_err(fail(
            bus_error(&reader).unwrap_or_else(|| "no tracks found in 30 s".into()),
        )));
    }
    let (ok, _, _) = reader.state(gst::ClockTime::from_seconds(30));
    if ok.is_err() {
        return Err(read_err(fail(
            bus_error(&reader).unwrap_or_else(|| "cannot be read".into()),
        )));
    }
    if !has_audio.load(std::sync::atomic::Ordering::Relaxed) {
        // A recording without sound: the muxer takes video alone.
        audio_src.end_of_stream().ok();
    }
    writer
        .set_state(gst::State::Playing)
        .map_err(|_| write_err(fail("the muxer did not start".into())))?;
    reader
        .seek(
            1.0,
            gst::SeekFlags::FLUSH | gst::SeekFlags::KEY_UNIT | gst::SeekFlags::SNAP_BEFORE,
            gst::SeekType::Set,
            gst::ClockTime::from_nseconds(from.as_nanos() as u64),
            gst::SeekType::Set,
            gst::ClockTime::from_nseconds(to.as_nanos() as u64),
        )
        .map_err(|_| read_err(fail("the recording cannot seek there".into())))?;
    reader
        .set_state(gst::State::Playing)
        .map_err(|_| read_err(fail("cannot be played".into())))?;
    let read = wait(&reader);
    let _ = reader.set_state(gst::State::Null);
    if let Err(why) = read {
        return Err(read_err(fail(why)));
    }
    let r = std::mem::take(&mut *restamp.lock().unwrap_or_else(|e| e.into_inner()));
    if r.frames == 0 {
        let _ = fail(String::new());
        return Err(ClipError::Empty {
            path: input.to_path_buf(),
            from: from.as_secs_f64(),
            to: to.as_secs_f64(),
        });
    }
    video_src.end_of_stream().ok();
    audio_src.end_of_stream().ok();
    let written = wait(&writer);
    let _ = writer.set_state(gst::State::Null);
    written.map_err(|why| write_err(fail(why)))?;
    std::fs::rename(&part, output).map_err(|e| write_err(e.to_string()))?;
    Ok(Cut {
        start: Duration::from_nanos(r.base.map_or(0, |b| b.nseconds())),
        duration: Duration::from_nanos(r.last_end.nseconds()),
        video_frames: r.frames,
    })
}

fn bus_error(p: &gst::Pipeline) -> Option<String> {
    let bus = p.bus()?;
    while let Some(m) = bus.pop() {
        if let gst::MessageView::Error(e) = m.view() {
            return Some(e.error().to_string());
        }
    }
    None
}

/// Until the pipeline's EOS (Ok) or error (its words), at most `LIMIT`.
fn wait(p: &gst::Pipeline) -> Result<(), String> {
    let bus = p.bus().ok_or("no bus")?;
    let deadline = std::time::Instant::now() + LIMIT;
    loop {
        let left = deadline.saturating_duration_since(std::time::Instant::now());
        if left.is_zero() {
            return Err(format!("not done within {} s", LIMIT.as_secs()));
        }
        let Some(m) = bus.timed_pop_filtered(
            gst::ClockTime::from_nseconds(left.as_nanos() as u64),
            &[gst::MessageType::Eos, gst::MessageType::Error],
        ) else {
            continue;
        };
        return match m.view() {
            gst::MessageView::Error(e) => Err(e.error().to_string()),
            _ => Ok(()),
        };
    }
}
