//! Local recording of one canvas: Matroska (.mkv) or fragmented MP4 (.mp4),
//! both readable after a crash up to the last written cluster/fragment.

use super::output::{Fanout, Feed, build_output_pipeline};
use super::require;
use anyhow::{Result, anyhow};
use gstreamer as gst;
use gstreamer::prelude::*;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

/// What `check` and the CLI accept as a recording path.
pub fn check_path(path: &Path) -> Result<(), String> {
    match path.extension().and_then(|e| e.to_str()) {
        Some("mkv") | Some("mp4") => {}
        _ => return Err(format!("{} must end in .mkv or .mp4", path.display())),
    }
    if path.is_dir() {
        return Err(format!("{} is a folder", path.display()));
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
        let mux = if self.path.extension().and_then(|e| e.to_str()) == Some("mp4") {
            require("mp4mux", "gstreamer1.0-plugins-good")?;
            "mp4mux fragment-duration=1000 streamable=true"
        } else {
            require("matroskamux", "gstreamer1.0-plugins-good")?;
            "matroskamux"
        };
        let loc = self.path.display().to_string().replace('"', "\\\"");
        let (pipeline, v, a) = build_output_pipeline(
            &format!("recording-{}", self.canvas),
            video_caps,
            audio_caps,
            mux,
            &format!("filesink location=\"{loc}\""),
        )?;
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
