//! Local recording of one canvas: Matroska (.mkv) or fragmented MP4 (.mp4),
//! both readable after a crash (even kill -9) up to the last written
//! cluster/fragment. MP4 fragments are written whole by `mp4_file`, so a
//! crash never leaves half a fragment where players would read it.

use super::mp4_file::Mp4File;
use super::output::{Fanout, Feed, build_output_pipeline};
use super::require;
use anyhow::{Result, anyhow};
use gstreamer as gst;
use gstreamer::prelude::*;
use gstreamer_app as gst_app;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

/// Why a path cannot be a recording.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum RecordingPathError {
    #[error("{} must end in .mkv or .mp4", .0.display())]
    Extension(PathBuf),
    #[error("{} is a folder", .0.display())]
    Folder(PathBuf),
}

/// What `check` and the CLI accept as a recording path.
pub fn check_path(path: &Path) -> Result<(), RecordingPathError> {
    match path.extension().and_then(|e| e.to_str()) {
        Some("mkv") | Some("mp4") => {}
        _ => return Err(RecordingPathError::Extension(path.to_path_buf())),
    }
    if path.is_dir() {
        return Err(RecordingPathError::Folder(path.to_path_buf()));
    }
    Ok(())
}

/// Never overwrite an earlier recording: `show.mkv` → `show-2.mkv` → ...
pub fn unused_path(path: &Path) -> PathBuf {
    if !path.exists() {
        return path.to_path_buf();
    }
    let stem = path.file_stem().and_then(|s| s.to_str()).unwrap_or("recording");
    let ext = path.extension().and_then(|s| s.to_str()).unwrap_or("mkv");
    (2..)
        .map(|i| path.with_file_name(format!("{stem}-{i}.{ext}")))
        .find(|p| !p.exists())
        .expect("some suffix is free")
}

/// The muxer's bytes into `file`, whole boxes at a time; a write error
/// stops the recording with the reason on its bus.
fn write_mp4(sink: &gst_app::AppSink, file: Mp4File, path: PathBuf) {
    let file = Arc::new(std::sync::Mutex::new(file));
    let failed = {
        let path = path.clone();
        move |sink: &gst_app::AppSink, e: std::io::Error| {
            gst::element_error!(
                sink,
                gst::ResourceError::Write,
                ("cannot write {}: {e}", path.display())
            );
            gst::FlowError::Error
        }
    };
    let on_eos = file.clone();
    let failed_eos = failed.clone();
    sink.set_callbacks(
        gst_app::AppSinkCallbacks::builder()
            .new_sample(move |sink| {
                let sample = sink.pull_sample().map_err(|_| gst::FlowError::Eos)?;
                let Some(buffer) = sample.buffer() else {
                    return Ok(gst::FlowSuccess::Ok);
                };
                let map = buffer.map_readable().map_err(|_| gst::FlowError::Error)?;
                let mut f = file.lock().unwrap_or_else(|e| e.into_inner());
                f.push(&map).map_err(|e| failed(sink, e))?;
                Ok(gst::FlowSuccess::Ok)
            })
            .eos(move |sink| {
                let mut f = on_eos.lock().unwrap_or_else(|e| e.into_inner());
                if let Err(e) = f.finish() {
                    let _ = failed_eos(sink, e);
                }
            })
            .build(),
    );
}

pub struct Recorder {
    pub path: PathBuf,
    pub canvas: String,
    pub feed: Arc<Feed>,
    pipeline: Option<gst::Pipeline>,
    error: Option<String>,
}

impl Recorder {
    pub fn new(canvas: &str, path: &Path) -> Recorder {
        Recorder {
            path: unused_path(path),
            canvas: canvas.to_string(),
            feed: Arc::new(Feed::default()),
            pipeline: None,
            error: None,
        }
    }

    /// Builds and starts the file pipeline once the encoder's caps are known.
    pub fn start(&mut self, fanout: &Fanout, video_caps: &gst::Caps, audio_caps: &gst::Caps) -> Result<()> {
        // A missing folder is created rather than losing the recording.
        if let Some(dir) = self.path.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|e| anyhow!("cannot create the folder {}: {e}", dir.display()))?;
        }
        let mp4 = self.path.extension().and_then(|e| e.to_str()) == Some("mp4");
        let (mux, sink) = if mp4 {
            require("mp4mux", "gstreamer1.0-plugins-good")?;
            (
                "mp4mux fragment-duration=1000 streamable=true".to_string(),
                "appsink name=file sync=false async=false".to_string(),
            )
        } else {
            require("matroskamux", "gstreamer1.0-plugins-good")?;
            ("matroskamux".to_string(), "filesink name=file".to_string())
        };
        let (pipeline, v, a) = build_output_pipeline(
            &format!("recording-{}", self.canvas),
            video_caps,
            audio_caps,
            &mux,
            &sink,
        )?;
        if !mp4 {
            // A path as a property: no quoting for a launch string to get wrong.
            let sink = pipeline
                .by_name("file")
                .ok_or_else(|| anyhow!("recording: filesink missing"))?;
            sink.set_property("location", self.path.display().to_string());
        }
        if mp4 {
            let file = std::fs::File::create(&self.path)
                .map_err(|e| anyhow!("cannot write the recording {}: {e}", self.path.display()))?;
            let sink = pipeline
                .by_name("file")
                .and_then(|e| e.downcast::<gst_app::AppSink>().ok())
                .ok_or_else(|| anyhow!("recording: appsink missing"))?;
            write_mp4(&sink, Mp4File::new(file), self.path.clone());
        }
        pipeline
            .set_state(gst::State::Playing)
            .map_err(|_| anyhow!("cannot start recording to {}", self.path.display()))?;
        fanout.attach(&self.feed, v, a);
        self.pipeline = Some(pipeline);
        Ok(())
    }

    pub fn set_error(&mut self, e: String) {
        self.error = Some(e);
    }

    /// The error that stopped the recording, if any (disk full, folder gone).
    pub fn poll_error(&mut self) -> Option<String> {
        if let Some(bus) = self.pipeline.as_ref().and_then(|p| p.bus())
            && let Some(msg) = bus.pop_filtered(&[gst::MessageType::Error])
            && let gst::MessageView::Error(e) = msg.view()
        {
            self.error = Some(format!("recording to {} failed: {}", self.path.display(), e.error()));
        }
        self.error.clone()
    }

    pub fn bytes_written(&self) -> u64 {
        std::fs::metadata(&self.path).map(|m| m.len()).unwrap_or(0)
    }

    /// EOS, then wait for the muxer to finalise the file.
    pub fn finish(&mut self, timeout: Duration) {
        let Some(pipeline) = self.pipeline.take() else { return };
        self.feed.finish();
        if let Some(bus) = pipeline.bus() {
            let _ = bus.timed_pop_filtered(
                gst::ClockTime::from_nseconds(timeout.as_nanos() as u64),
                &[gst::MessageType::Eos, gst::MessageType::Error],
            );
        }
        self.feed.detach();
        let _ = pipeline.set_state(gst::State::Null);
    }
}
