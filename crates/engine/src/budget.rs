//! The upload budget (docs/uplink.md): what a show will send (every
//! destination of every canvas) against what the links carried in the last
//! show. The uplink thread keeps, while the show is live, the most the
//! links delivered together — "full" when some link was falling behind
//! meanwhile (then it is the uplink's capacity), else only "at least" —
//! and writes it to `$XDG_STATE_HOME/showroom/uplink.json` when the show
//! ends; the pre-flight check (and the studio's Go Live) compares.

use crate::show::Show;
use serde::{Deserialize, Serialize};
use std::path::PathBuf;

/// kb/s of each destination beside its canvas's video: sound and muxing.
pub const PER_DESTINATION_KBPS: u32 = super::uplink::NON_VIDEO_KBPS;
/// A show needs this much more than the links carried to be said not to fit.
const MARGIN: f64 = 0.9;

/// What the links carried in one show.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Carried {
    /// The most the live destinations delivered together over one second (kb/s).
    pub kbps: u64,
    /// A link was falling behind at that moment: this is what the uplink
    /// holds, not just what the show asked of it.
    pub full: bool,
    /// When the show ended (ms since the Unix epoch).
    pub at_unix_ms: u64,
}

/// While a show runs: each second's total delivered rate.
#[derive(Debug, Default)]
pub struct Meter {
    /// The most delivered in any second (what the uplink held at least).
    most: u64,
    /// Seconds inside runs of at least `FULL_RUN` seconds with a link
    /// behind: the uplink's capacity, read while it was full.
    full: Vec<u64>,
    run: Vec<u64>,
    seconds: u32,
}

/// Seconds in a row with a link behind before they count as "full": the
/// first second of a drop still delivers at the old rate.
const FULL_RUN: usize = 3;

impl Meter {
    /// One second's total delivered rate, and whether a link was behind.
    pub fn add(&mut self, kbps: u64, behind: bool) {
        if kbps == 0 {
            return;
        }
        self.seconds += 1;
        self.most = self.most.max(kbps);
        if behind {
            self.run.push(kbps);
            if self.run.len() == FULL_RUN {
                self.full.extend(self.run.iter().skip(1));
            } else if self.run.len() > FULL_RUN {
                self.full.push(kbps);
            }
        } else {
            self.run.clear();
        }
    }

    /// What to keep, once the show has been live long enough to say: the
    /// median of the full seconds, else the most delivered.
    pub fn result(&self) -> Option<Carried> {
        if self.seconds < 10 {
            return None;
        }
        let (kbps, full) = if self.full.len() >= 3 {
            let mut f = self.full.clone();
            f.sort_unstable();
            (f[f.len() / 2], true)
        } else {
            (self.most, false)
        };
        Some(Carried {
            kbps,
            full,
            at_unix_ms: std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_millis() as u64)
                .unwrap_or(0),
        })
    }
}

fn path() -> PathBuf {
    showroom_base::session::state_dir().join("uplink.json")
}

/// Keeps what the links carried (the last show's figure replaces the one before).
pub fn save(c: &Carried) {
    let p = path();
    if let Some(dir) = p.parent() {
        let _ = std::fs::create_dir_all(dir);
    }
    match serde_json::to_string(c) {
        Ok(text) => {
            if let Err(e) = std::fs::write(&p, text) {
                tracing::warn!("cannot keep the uplink's figures in {}: {e}", p.display());
            }
        }
        Err(e) => tracing::warn!("uplink figures: {e}"),
    }
}

/// What the last show's links carried, if one said.
pub fn last() -> Option<Carried> {
    serde_json::from_str(&std::fs::read_to_string(path()).ok()?).ok()
}

/// What a show will send: each destination carries its canvas's video and
/// sound (kb/s).
pub fn needed(show: &Show) -> u64 {
    show.destinations
        .iter()
        .map(|d| (show.video_kbps(d.canvas) + PER_DESTINATION_KBPS) as u64)
        .sum()
}

/// The verdict: a problem (what, what to do) when it will not fit, else
/// what was compared.
pub fn judge(needed: u64, last: Option<Carried>) -> Result<String, (String, String)> {
    let mbps = |k: u64| k as f64 / 1000.0;
    let Some(c) = last else {
        return Ok(format!(
            "needs {:.1} Mb/s; no earlier show measured the uplink",
            mbps(needed)
        ));
    };
    if c.full && needed as f64 * MARGIN > c.kbps as f64 {
        return Err((
            format!(
                "needs {:.1} Mb/s; the last show's uplink carried {:.1} Mb/s when it was full",
                mbps(needed),
                mbps(c.kbps)
            ),
            "lower video_bitrate, send fewer destinations, or send once per canvas through a relay (run --via; docs/relay.md)"
                .into(),
        ));
    }
    Ok(if c.full {
        format!(
            "needs {:.1} Mb/s; the last show's uplink carried {:.1} Mb/s when full",
            mbps(needed),
            mbps(c.kbps)
        )
    } else {
        format!(
            "needs {:.1} Mb/s; the last show's uplink carried at least {:.1} Mb/s",
            mbps(needed),
            mbps(c.kbps)
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_full_measurement_decides_and_a_partial_one_only_informs() {
        let mut m = Meter::default();
        for k in [3000, 3900, 4100] {
            m.add(k, false);
        }
        assert_eq!(m.result(), None, "too short to say");
        for _ in 0..10 {
            m.add(3000, false);
        }
        // A lone second behind (the first of a drop, still at the old rate) is not "full".
        m.add(4000, true);
        m.add(3000, false);
        assert_eq!(m.result().map(|c| (c.kbps, c.full)), Some((4100, false)));
        for k in [4000, 2200, 2100, 1900, 2050] {
            m.add(k, true);
        }
        let c = m.result().unwrap();
        assert_eq!((c.kbps, c.full), (2100, true), "the median of the full seconds");
        let (what, fix) = judge(4160, Some(c)).unwrap_err();
        assert_eq!(
            what,
            "needs 4.2 Mb/s; the last show's uplink carried 2.1 Mb/s when it was full"
        );
        assert!(fix.contains("--via"));
        assert!(judge(2200, Some(c)).is_ok(), "within the margin");
        let partial = Carried {
            kbps: 2100,
            full: false,
            at_unix_ms: 0,
        };
        assert!(judge(9000, Some(partial)).unwrap().contains("at least 2.1"));
        assert!(judge(9000, None).unwrap().contains("no earlier show"));
    }
}
