//! Long work a command starts (a claims export, Shopify draft orders): it
//! runs on a thread of its own, the command returns its id at once, and its
//! progress and result are state (`Snapshot::jobs`) and events
//! (`Event::Job`), as OBS reports an output's stopping and stop.

use crate::events::{Emitter, Event};
use serde::Serialize;
use std::collections::VecDeque;
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

/// A job's number, unique within one show.
pub type JobId = u64;

/// Finished jobs kept for the snapshot (the oldest go first).
const KEPT: usize = 32;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum JobState {
    Running,
    Done,
    Failed,
}

impl JobState {
    pub fn word(self) -> &'static str {
        match self {
            JobState::Running => "running",
            JobState::Done => "done",
            JobState::Failed => "failed",
        }
    }
}

/// One job as the snapshot shows it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct JobStatus {
    pub id: JobId,
    /// What it does: `claims_csv`, `draft_orders`.
    pub kind: String,
    pub state: JobState,
    /// What came of it, in words for the user ("12 claims written to …"),
    /// or why it failed; None while it runs.
    pub summary: Option<String>,
    /// Seconds it has run (or ran).
    pub elapsed_s: f64,
}

struct Entry {
    status: JobStatus,
    started: Instant,
}

#[derive(Default)]
struct Inner {
    next: JobId,
    list: VecDeque<Entry>,
}

/// Every job of the show.
#[derive(Clone)]
pub struct Jobs {
    inner: Arc<(Mutex<Inner>, Condvar)>,
    events: Emitter,
}

impl Jobs {
    pub fn new(events: Emitter) -> Jobs {
        Jobs {
            inner: Arc::default(),
            events,
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.0.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Runs `work` on a thread of its own; returns its id at once. `work`
    /// gives the summary the user reads, or why it failed.
    pub fn spawn(
        &self,
        kind: &str,
        work: impl FnOnce() -> Result<String, String> + Send + 'static,
    ) -> std::io::Result<JobId> {
        let mut inner = self.lock();
        inner.next += 1;
        let id = inner.next;
        let jobs = self.clone();
        let kind_owned = kind.to_string();
        // Detached: its end is told through the list and the condition
        // variable, which is what `wait` and `wait_all` wait on.
        std::thread::Builder::new().name(format!("job {kind}")).spawn(move || {
            let result = work();
            jobs.finish(id, &kind_owned, result);
        })?;
        inner.list.push_back(Entry {
            status: JobStatus {
                id,
                kind: kind.to_string(),
                state: JobState::Running,
                summary: None,
                elapsed_s: 0.0,
            },
            started: Instant::now(),
        });
        while inner.list.len() > KEPT {
            // Only finished ones leave; running ones stay however many there are.
            match inner.list.iter().position(|e| e.status.state != JobState::Running) {
                Some(i) => drop(inner.list.remove(i)),
                None => break,
            }
        }
        // Told while the list is held, so "running" always comes before "done".
        self.events.emit(Event::Job {
            id,
            kind: kind.to_string(),
            state: JobState::Running.word().into(),
            summary: None,
        });
        drop(inner);
        Ok(id)
    }

    fn finish(&self, id: JobId, kind: &str, result: Result<String, String>) {
        let (state, summary) = match result {
            Ok(s) => (JobState::Done, s),
            Err(e) => (JobState::Failed, e),
        };
        {
            let mut inner = self.lock();
            if let Some(e) = inner.list.iter_mut().find(|e| e.status.id == id) {
                e.status.state = state;
                e.status.summary = Some(summary.clone());
                e.status.elapsed_s = e.started.elapsed().as_secs_f64();
            }
        }
        match state {
            JobState::Failed => tracing::warn!("{kind}: {summary}"),
            _ => tracing::info!("{kind}: {summary}"),
        }
        self.events.emit(Event::Job {
            id,
            kind: kind.to_string(),
            state: state.word().into(),
            summary: Some(summary),
        });
        self.inner.1.notify_all();
    }

    /// Every job kept, oldest first.
    pub fn list(&self) -> Vec<JobStatus> {
        self.lock()
            .list
            .iter()
            .map(|e| {
                let mut s = e.status.clone();
                if s.state == JobState::Running {
                    s.elapsed_s = e.started.elapsed().as_secs_f64();
                }
                s
            })
            .collect()
    }

    /// Waits until job `id` has finished, at most `timeout`; its status then
    /// (None: no such job, or it was dropped from the list).
    pub fn wait(&self, id: JobId, timeout: Duration) -> Option<JobStatus> {
        let running = |inner: &mut Inner| {
            inner
                .list
                .iter()
                .any(|e| e.status.id == id && e.status.state == JobState::Running)
        };
        let guard = self.lock();
        let (guard, _) = self
            .inner
            .1
            .wait_timeout_while(guard, timeout, running)
            .unwrap_or_else(|e| e.into_inner());
        guard.list.iter().find(|e| e.status.id == id).map(|e| e.status.clone())
    }

    /// Waits for every running job, at most `timeout` in all (the show's
    /// end: nothing half written). Returns how many were still running.
    pub fn wait_all(&self, timeout: Duration) -> usize {
        let guard = self.lock();
        let (guard, _) = self
            .inner
            .1
            .wait_timeout_while(guard, timeout, |inner| {
                inner.list.iter().any(|e| e.status.state == JobState::Running)
            })
            .unwrap_or_else(|e| e.into_inner());
        // A job still running past the timeout is left to end on its own.
        guard
            .list
            .iter()
            .filter(|e| e.status.state == JobState::Running)
            .count()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn jobs() -> (Jobs, crate::events::Subscription) {
        let events = Arc::new(crate::events::Events::new());
        let sub = events.subscribe();
        (Jobs::new(Emitter::new(events, Arc::default())), sub)
    }

    #[test]
    fn a_job_returns_at_once_and_reports_its_result() {
        let (jobs, mut sub) = jobs();
        let (go, wait) = std::sync::mpsc::channel::<()>();
        let id = jobs
            .spawn("claims_csv", move || {
                wait.recv().map_err(|e| e.to_string())?;
                Ok("3 claims written".into())
            })
            .unwrap();
        // Still running: the caller was not held.
        assert_eq!(jobs.list()[0].state, JobState::Running);
        go.send(()).unwrap();
        let done = jobs.wait(id, Duration::from_secs(60)).unwrap();
        assert_eq!(done.state, JobState::Done);
        assert_eq!(done.summary.as_deref(), Some("3 claims written"));
        let mut states = Vec::new();
        while let crate::events::Next::Event(e) = sub.try_next() {
            if let Event::Job { state, .. } = &e.event {
                states.push(state.clone());
            }
        }
        assert_eq!(states, ["running", "done"]);
    }

    #[test]
    fn a_failed_job_says_why_and_finished_ones_are_bounded() {
        let (jobs, _sub) = jobs();
        let id = jobs.spawn("draft_orders", || Err("no shop".into())).unwrap();
        let s = jobs.wait(id, Duration::from_secs(60)).unwrap();
        assert_eq!((s.state, s.summary.as_deref()), (JobState::Failed, Some("no shop")));
        for _ in 0..(KEPT + 10) {
            let id = jobs.spawn("claims_csv", || Ok(String::new())).unwrap();
            jobs.wait(id, Duration::from_secs(60)).unwrap();
        }
        assert!(jobs.list().len() <= KEPT + 1);
        assert_eq!(jobs.wait_all(Duration::from_secs(60)), 0);
    }
}
