//! The show's destinations and recordings, started and ended on command:
//! `showroom run` starts them all at once; the studio starts nothing until
//! the host presses Go Live or Record, so opening a show never goes on air.

use super::stats::RecordingStats;
use crate::events::{Emitter, Event};
use crate::media::destination::{DestConfig, DestState, DestStatus, Destination};
use crate::media::output::Fanout;
use crate::media::recording::Recorder;
use crate::show::Show;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

struct DestSlot {
    config: DestConfig,
    canvas: usize,
    running: Option<Destination>,
    /// Ending on a thread of its own (End Show returns at once): its live
    /// status meanwhile, and the thread that gives its last.
    ending: Option<(Arc<Mutex<DestStatus>>, JoinHandle<DestStatus>)>,
    /// What it last reported (kept after End Show).
    last: DestStatus,
}

impl DestSlot {
    /// Takes the result of an ending that has finished (or, with `wait`,
    /// waits for it). Returns whether it is still ending.
    fn settle(&mut self, wait: bool) -> bool {
        let done = self.ending.as_ref().is_some_and(|(_, h)| wait || h.is_finished());
        if done
            && let Some((_, h)) = self.ending.take()
            && let Ok(last) = h.join()
        {
            self.last = last;
        }
        self.ending.is_some()
    }
}

struct RecSlot {
    canvas: usize,
    canvas_id: String,
    /// As written in the show; `{canvas}` replaced.
    path: std::path::PathBuf,
    running: Option<RunningRec>,
    /// Recordings being finalised on threads of their own (Stop Recording
    /// returns at once): its figures when it stopped, and the thread that
    /// gives its last.
    finishing: Vec<(RecordingStats, JoinHandle<RecordingStats>)>,
    last: Option<RecordingStats>,
}

impl RecSlot {
    /// Takes the results of finalisings that have finished (or, with
    /// `wait`, waits for them all).
    fn settle(&mut self, wait: bool) {
        let mut i = 0;
        while i < self.finishing.len() {
            if wait || self.finishing[i].1.is_finished() {
                let (_, h) = self.finishing.remove(i);
                if let Ok(last) = h.join() {
                    self.last = Some(last);
                }
            } else {
                i += 1;
            }
        }
    }
}

struct RunningRec {
    recorder: Arc<Mutex<Recorder>>,
    /// Starts the file once the encoder's caps are known.
    starter: JoinHandle<()>,
    cancel: Arc<AtomicBool>,
    since: Instant,
}

pub struct Outputs {
    fanouts: Vec<Arc<Fanout>>,
    dests: Mutex<Vec<DestSlot>>,
    recs: Mutex<Vec<RecSlot>>,
    events: Emitter,
}

impl Outputs {
    /// `events` hears every destination's and recording's state changes.
    /// `rehearsal`: every destination a local sink (nothing sent).
    pub fn new(show: &Show, fanouts: Vec<Arc<Fanout>>, events: Emitter, rehearsal: bool) -> Outputs {
        let notify = {
            let events = events.clone();
            crate::media::destination::Notify(Arc::new(move |s: &DestStatus| {
                events.emit(Event::Destination {
                    id: s.id.clone(),
                    state: s.state.word().to_string(),
                    reason: s.error.clone(),
                });
            }))
        };
        let dests = show
            .destinations
            .iter()
            .map(|d| {
                let config = DestConfig {
                    id: d.id.clone(),
                    canvas: show.canvases[d.canvas].id.clone(),
                    platform: format!("{:?}", d.platform).to_lowercase(),
                    url: d.url.clone(),
                    key: d.key.clone(),
                    latency_ms: d.latency_ms,
                    notify: Some(notify.clone()),
                    rehearsal,
                };
                DestSlot {
                    last: DestStatus::idle(&config),
                    config,
                    canvas: d.canvas,
                    running: None,
                    ending: None,
                }
            })
            .collect();
        let recs = show
            .recordings
            .iter()
            .map(|r| {
                let id = show.canvases[r.canvas].id.clone();
                RecSlot {
                    canvas: r.canvas,
                    path: r.path.to_string_lossy().replace("{canvas}", &id).into(),
                    canvas_id: id,
                    running: None,
                    finishing: Vec::new(),
                    last: None,
                }
            })
            .collect();
        Outputs {
            fanouts,
            dests: Mutex::new(dests),
            recs: Mutex::new(recs),
            events,
        }
    }

    /// Starts the destination `id` (None: all of them) unless it is running.
    /// False when no destination has that id.
    pub fn go_live(&self, id: Option<&str>) -> bool {
        let mut dests = self.dests.lock().unwrap_or_else(|e| e.into_inner());
        let mut found = false;
        for d in dests.iter_mut().filter(|d| id.is_none_or(|id| d.config.id == id)) {
            found = true;
            d.settle(false);
            if d.running.is_none() {
                // Still ending its last stream: the new one connects once
                // that has ended (Go Live never waits, and is never lost).
                let before = d.ending.take().map(|(_, ender)| -> Box<dyn FnOnce() + Send> {
                    Box::new(move || {
                        let _ = ender.join();
                    })
                });
                tracing::info!(
                    "destination `{}`: going live{}",
                    d.config.id,
                    if before.is_some() {
                        " once its last stream has ended"
                    } else {
                        ""
                    }
                );
                d.running = Some(Destination::start_after(
                    d.config.clone(),
                    self.fanouts[d.canvas].clone(),
                    before,
                ));
            }
        }
        found || id.is_none()
    }

    /// Ends the stream of destination `id` (None: all) cleanly: EOS to the
    /// server, no reconnecting. Returns at once: each stream ends on a
    /// thread of its own (its state is `stopping` meanwhile), so a server
    /// that does not answer never holds the caller. False when no
    /// destination has that id.
    pub fn end(&self, id: Option<&str>) -> bool {
        let mut dests = self.dests.lock().unwrap_or_else(|e| e.into_inner());
        let chosen = |d: &DestSlot| id.is_none_or(|id| d.config.id == id);
        // All streams end together: the wait is the slowest server's, not the sum.
        for r in dests.iter().filter(|d| chosen(d)).filter_map(|d| d.running.as_ref()) {
            r.request_stop();
        }
        let mut found = false;
        for d in dests.iter_mut().filter(|d| chosen(d)) {
            found = true;
            d.settle(false);
            if let Some(mut running) = d.running.take() {
                let (fanout, name) = (self.fanouts[d.canvas].clone(), d.config.id.clone());
                let status = running.status.clone();
                let ender = std::thread::Builder::new().name(format!("end {name}")).spawn(move || {
                    running.stop();
                    fanout.remove(&running.feed);
                    let mut last = running.status();
                    last.state = DestState::Stopped;
                    last.retry_in_s = None;
                    tracing::info!("destination `{name}`: ended");
                    last
                });
                match ender {
                    Ok(h) => {
                        self.events.emit(Event::Destination {
                            id: d.config.id.clone(),
                            state: DestState::Stopping.word().into(),
                            reason: None,
                        });
                        d.ending = Some((status, h));
                    }
                    Err(e) => tracing::error!("destination `{}`: cannot end it: {e}", d.config.id),
                }
            }
        }
        found || id.is_none()
    }

    /// Waits until every stream that is ending has ended (the show's end).
    pub fn wait_ended(&self) {
        let mut dests = self.dests.lock().unwrap_or_else(|e| e.into_inner());
        for d in dests.iter_mut() {
            d.settle(true);
        }
    }

    /// "Reconnect now" for `id`, or for every running destination not live.
    pub fn reconnect_now(&self, id: Option<&str>) -> bool {
        let dests = self.dests.lock().unwrap_or_else(|e| e.into_inner());
        let mut found = false;
        for d in dests.iter().filter(|d| id.is_none_or(|id| d.config.id == id)) {
            found = true;
            if let Some(r) = &d.running
                && (id.is_some() || r.status().state != DestState::Live)
            {
                r.reconnect_now();
            }
        }
        found || id.is_none()
    }

    /// Marks a running destination slow (its link alone falls behind).
    pub fn set_slow(&self, id: &str, message: Option<String>) {
        let dests = self.dests.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(r) = dests
            .iter()
            .filter(|d| d.config.id == id)
            .find_map(|d| d.running.as_ref())
        {
            r.set_slow(message);
        }
    }

    pub fn destination_status(&self) -> Vec<DestStatus> {
        let mut dests = self.dests.lock().unwrap_or_else(|e| e.into_inner());
        dests
            .iter_mut()
            .map(|d| {
                if d.settle(false)
                    && let Some((status, _)) = &d.ending
                {
                    let mut s = status.lock().unwrap_or_else(|e| e.into_inner()).clone();
                    s.state = DestState::Stopping;
                    s.retry_in_s = None;
                    return s;
                }
                d.running.as_ref().map(|r| r.status()).unwrap_or_else(|| d.last.clone())
            })
            .collect()
    }

    /// Starts (true) or finishes (false) every recording of the show. A new
    /// start never overwrites an earlier file (`show-2.mkv`, ...). Finishing
    /// returns at once: each file is finalised on a thread of its own (its
    /// state is `finalizing` meanwhile).
    pub fn record(&self, on: bool) {
        let mut recs = self.recs.lock().unwrap_or_else(|e| e.into_inner());
        for r in recs.iter_mut() {
            r.settle(false);
            match (on, r.running.take()) {
                (true, None) => r.running = Some(self.start_recording(r)),
                (false, Some(running)) => {
                    let (fanout, events) = (self.fanouts[r.canvas].clone(), self.events.clone());
                    let name = format!("finish rec {}", r.canvas_id);
                    // Its figures as it stops, for the snapshot meanwhile.
                    let mut at_stop = stats(&mut running.recorder.lock().unwrap_or_else(|e| e.into_inner()), None);
                    at_stop.finalizing = true;
                    events.emit(Event::Recording {
                        canvas: at_stop.canvas.clone(),
                        path: at_stop.path.clone(),
                        state: "finalizing".into(),
                        reason: None,
                    });
                    match std::thread::Builder::new()
                        .name(name)
                        .spawn(move || finish_recording(&fanout, &events, running))
                    {
                        Ok(h) => r.finishing.push((at_stop, h)),
                        Err(e) => tracing::error!("recording of `{}`: cannot finish it: {e}", r.canvas_id),
                    }
                }
                (_, running) => r.running = running,
            }
        }
    }

    pub fn is_recording(&self) -> bool {
        let recs = self.recs.lock().unwrap_or_else(|e| e.into_inner());
        recs.iter().any(|r| r.running.is_some())
    }

    fn start_recording(&self, slot: &RecSlot) -> RunningRec {
        let recorder = Arc::new(Mutex::new(Recorder::new(&slot.canvas_id, &slot.path)));
        let fanout = self.fanouts[slot.canvas].clone();
        fanout.add(recorder.lock().unwrap_or_else(|e| e.into_inner()).feed.clone());
        let cancel = Arc::new(AtomicBool::new(false));
        let (rec, stop, events) = (recorder.clone(), cancel.clone(), self.events.clone());
        let starter = std::thread::spawn(move || {
            // Started once the encoder has produced its first frames (their
            // caps carry the codec data the muxer needs).
            while !stop.load(Ordering::Relaxed) {
                if let Some((v, a)) = fanout.wait_caps(Duration::from_millis(200)) {
                    let mut r = rec.lock().unwrap_or_else(|e| e.into_inner());
                    let result = r.start(&fanout, &v, &a);
                    let (state, reason) = match &result {
                        Ok(()) => ("recording", None),
                        Err(e) => ("failed", Some(format!("{e:#}"))),
                    };
                    if let Some(e) = &reason {
                        tracing::error!("{e}");
                        r.set_error(e.clone());
                    }
                    events.emit(Event::Recording {
                        canvas: r.canvas.clone(),
                        path: r.path.display().to_string(),
                        state: state.into(),
                        reason,
                    });
                    return;
                }
            }
        });
        RunningRec {
            recorder,
            starter,
            cancel,
            since: Instant::now(),
        }
    }

    /// Each recording's figures: the one running, else the one being
    /// finalised, else the last that ended.
    pub fn recording_stats(&self) -> Vec<RecordingStats> {
        let mut recs = self.recs.lock().unwrap_or_else(|e| e.into_inner());
        recs.iter_mut()
            .filter_map(|r| {
                r.settle(false);
                if let Some(run) = &r.running {
                    return Some(stats(
                        &mut run.recorder.lock().unwrap_or_else(|e| e.into_inner()),
                        Some(run.since.elapsed().as_secs_f64()),
                    ));
                }
                if let Some((at_stop, _)) = r.finishing.last() {
                    return Some(at_stop.clone());
                }
                r.last.clone()
            })
            .collect()
    }

    /// Waits until every recording being finalised is (the show's end).
    pub fn wait_finalized(&self) {
        let mut recs = self.recs.lock().unwrap_or_else(|e| e.into_inner());
        for r in recs.iter_mut() {
            r.settle(true);
        }
    }

    /// At the end of the show, after the encoders have sent their last
    /// frames: recordings finalised, then every stream ended.
    pub fn finish_all(&self) {
        self.record(false);
        self.end(None);
        self.wait_finalized();
        self.wait_ended();
    }
}

/// EOS to the recording's muxer, then its last figures (on its own thread).
fn finish_recording(fanout: &Fanout, events: &Emitter, running: RunningRec) -> RecordingStats {
    running.cancel.store(true, Ordering::Relaxed);
    let _ = running.starter.join();
    let mut r = running.recorder.lock().unwrap_or_else(|e| e.into_inner());
    r.finish(Duration::from_secs(5));
    fanout.remove(&r.feed);
    let stats = stats(&mut r, None);
    events.emit(Event::Recording {
        canvas: stats.canvas.clone(),
        path: stats.path.clone(),
        state: if stats.error.is_some() { "failed" } else { "finished" }.into(),
        reason: stats.error.clone(),
    });
    stats
}

fn stats(r: &mut Recorder, recording_s: Option<f64>) -> RecordingStats {
    RecordingStats {
        canvas: r.canvas.clone(),
        path: r.path.display().to_string(),
        bytes_written: r.bytes_written(),
        error: r.poll_error(),
        recording_s,
        finalizing: false,
    }
}
