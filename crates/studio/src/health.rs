//! Health at a glance: the process's CPU use and the window's own frame
//! times (for the p50/p99 the benchmark reports).

use std::collections::VecDeque;
use std::time::Instant;

/// Frame times kept for percentiles.
const FRAMES_KEPT: usize = 600;

pub struct Meter {
    cpu_mark: Option<(Instant, f64)>,
    /// Share of one core used by the whole process (1.0 = one core busy).
    pub cpu: Option<f64>,
    last_frame: Option<Instant>,
    frame_ms: VecDeque<f64>,
}

impl Default for Meter {
    fn default() -> Self {
        Meter {
            cpu_mark: None,
            cpu: None,
            last_frame: None,
            frame_ms: VecDeque::with_capacity(FRAMES_KEPT),
        }
    }
}

/// CPU seconds this process has used (user + system), from /proc.
fn cpu_seconds() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // Fields after the command name (which may contain spaces) in ")".
    let rest = &stat[stat.rfind(')')? + 2..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks: f64 = fields.get(11)?.parse::<f64>().ok()? + fields.get(12)?.parse::<f64>().ok()?;
    Some(ticks / 100.0)
}

impl Meter {
    pub fn sample(&mut self) {
        let Some(now_cpu) = cpu_seconds() else { return };
        let now = Instant::now();
        if let Some((at, before)) = self.cpu_mark {
            let dt = now.duration_since(at).as_secs_f64();
            if dt >= 1.0 {
                self.cpu = Some((now_cpu - before) / dt);
                self.cpu_mark = Some((now, now_cpu));
            }
        } else {
            self.cpu_mark = Some((now, now_cpu));
        }
    }

    pub fn frame_painted(&mut self) {
        let now = Instant::now();
        if let Some(last) = self.last_frame {
            if self.frame_ms.len() == FRAMES_KEPT {
                self.frame_ms.pop_front();
            }
            self.frame_ms.push_back(now.duration_since(last).as_secs_f64() * 1000.0);
        }
        self.last_frame = Some(now);
    }

    /// The p-th percentile (0–100) of recent frame intervals, in ms.
    pub fn frame_percentile(&self, p: f64) -> Option<f64> {
        if self.frame_ms.is_empty() {
            return None;
        }
        let mut v: Vec<f64> = self.frame_ms.iter().copied().collect();
        v.sort_by(f64::total_cmp);
        let i = ((p / 100.0) * (v.len() - 1) as f64).round() as usize;
        Some(v[i])
    }
}
