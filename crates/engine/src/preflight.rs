//! The pre-flight check before Go Live (docs/preflight.md): what would go
//! wrong on air, each with what to fix. Read from the running engine (its
//! snapshot, the show, the keys, the disk), so it says what is true now.

use crate::Engine;
use serde::Serialize;

/// Below this peak (dBFS) over the last meter window a microphone is silent.
pub const SILENT_DB: f32 = -60.0;
/// A source without pictures and without an error is given this long
/// after the show opened before it counts as dead (seconds).
pub const STARTING_S: f64 = 5.0;
/// Recordings are planned this long when neither the rundown nor the
/// caller says (seconds).
pub const DEFAULT_PLANNED_S: u64 = 2 * 3600;
/// Audio in a recording, with room for the container (kb/s).
const AUDIO_KBPS: u64 = 192;

/// One thing checked.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Check {
    /// What was checked: "key of tiktok", "source cam", "microphone mic".
    pub what: String,
    pub ok: bool,
    /// What was found, in plain words (never a key).
    pub detail: String,
    /// What to do about it (red checks).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fix: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Preflight {
    pub checks: Vec<Check>,
}

impl Preflight {
    /// The red checks.
    pub fn problems(&self) -> impl Iterator<Item = &Check> {
        self.checks.iter().filter(|c| !c.ok)
    }

    pub fn ok(&self) -> bool {
        self.problems().next().is_none()
    }

    /// A line per check: "ok   source cam: 150 frames" or "FAIL key of
    /// tiktok: … — fix: …".
    pub fn lines(&self) -> Vec<String> {
        self.checks
            .iter()
            .map(|c| match (&c.fix, c.ok) {
                (_, true) => format!("ok   {}: {}", c.what, c.detail),
                (Some(f), false) => format!("FAIL {}: {} — {f}", c.what, c.detail),
                (None, false) => format!("FAIL {}: {}", c.what, c.detail),
            })
            .collect()
    }
}

fn check(what: String, problem: Option<(String, String)>, fine: String) -> Check {
    match problem {
        Some((detail, fix)) => Check {
            what,
            ok: false,
            detail,
            fix: Some(fix),
        },
        None => Check {
            what,
            ok: true,
            detail: fine,
            fix: None,
        },
    }
}

impl Engine {
    /// Checks everything a show needs to go on air. `planned_s`: how long
    /// the recordings will run (default: the rundown's planned total, else
    /// `DEFAULT_PLANNED_S`). Sources and microphones are judged on what
    /// they delivered so far: run it a few seconds after the start.
    pub fn preflight(&self, planned_s: Option<u64>) -> Preflight {
        let show = self.show();
        let snap = self.snapshot();
        let mut checks = Vec::new();
        // Every destination's key (a rehearsal reads none, but the show will).
        for d in &show.destinations {
            let problem = d.key.read().err().map(|e| {
                (
                    e.to_string(),
                    "store the key (showroom key set NAME, or the file / variable the show names)".to_string(),
                )
            });
            checks.push(check(format!("key of {}", d.id), problem, "present".into()));
        }
        // Every source delivers: pictures for video, a signal for microphones.
        let spec = |id: &str| show.sources.iter().find(|s| s.id == id).map(|s| &s.config);
        for s in &snap.sources {
            if spec(&s.id).is_some_and(|c| !c.has_video()) {
                continue;
            }
            // Just opened: a source without an error gets its first seconds.
            let starting = s.frames == 0 && s.error.is_none() && !s.signal_lost && snap.elapsed_s < STARTING_S;
            let problem = if starting {
                None
            } else if s.signal_lost || s.frames == 0 {
                Some((
                    match &s.error {
                        Some(e) => format!("no pictures: {e}"),
                        None => format!("no pictures ({} frames)", s.frames),
                    },
                    "check its cable, device or address (showroom devices lists what is there)".to_string(),
                ))
            } else {
                None
            };
            let fine = if starting {
                "starting (no pictures yet)".to_string()
            } else {
                format!("{} frames", s.frames)
            };
            checks.push(check(format!("source {}", s.id), problem, fine));
        }
        for i in &snap.audio.inputs {
            if !matches!(spec(&i.id), Some(crate::show::SourceConfig::Microphone { .. })) {
                continue;
            }
            let peak = i.levels.peak_db;
            let problem = if i.mute {
                Some(("muted".to_string(), format!("unmute it (unmute {})", i.id)))
            } else if peak < SILENT_DB {
                Some((
                    format!("silent: peak {peak:.0} dBFS"),
                    "check that it is plugged in, chosen and not muted on the device; say something".to_string(),
                ))
            } else {
                None
            };
            checks.push(check(
                format!("microphone {}", i.id),
                problem,
                format!("signal, peak {peak:.0} dBFS"),
            ));
        }
        // The mix's loudness, once there is sound.
        let st = snap.audio.master.short_term_lufs;
        if st > -60.0 {
            let problem = crate::stats::AudioStats::loudness_hint(&snap.audio.master, snap.audio.target_lufs)
                .map(|h| (format!("{st:.0} LUFS against {:.0}", snap.audio.target_lufs), h));
            checks.push(check(
                "loudness".into(),
                problem,
                format!("{st:.0} LUFS, target {:.0}", snap.audio.target_lufs),
            ));
        }
        // The catalog, with something to sell.
        let catalog = &show.graphics.catalog;
        let codes: Vec<&str> = catalog.products.iter().map(|p| p.code.as_str()).collect();
        let segments = self.rundown();
        if !catalog.products.is_empty() || segments.iter().any(|s| !s.products.is_empty()) {
            let in_stock = snap.graphics.stock.iter().filter(|s| s.is_none_or(|n| n > 0)).count();
            let problem = if catalog.products.is_empty() {
                Some((
                    "no products loaded".to_string(),
                    "set [products] catalog to a CSV or JSON file".to_string(),
                ))
            } else if in_stock == 0 {
                Some((
                    format!("all {} products are sold out", catalog.products.len()),
                    "restock in the shop or the catalog file".to_string(),
                ))
            } else {
                None
            };
            checks.push(check(
                "catalog".into(),
                problem,
                format!("{} products, {in_stock} in stock", catalog.products.len()),
            ));
        }
        // Chat sources connected.
        if let Some(chat) = self.chat() {
            for s in chat.statuses() {
                let problem = matches!(
                    s.state,
                    crate::chat::connectors::State::Failed | crate::chat::connectors::State::Ended
                )
                .then(|| {
                    (
                        format!("{}: {}", s.state.word(), s.detail),
                        "fix its credentials or address in [chat]".to_string(),
                    )
                })
                .or_else(|| {
                    (s.state != crate::chat::connectors::State::Live).then(|| {
                        (
                            format!("not connected yet ({}): {}", s.state.word(), s.detail),
                            "wait a moment, or check the network".to_string(),
                        )
                    })
                });
                checks.push(check(format!("chat {}", s.name), problem, "connected".into()));
            }
        }
        // The upload the show needs, against what the last show's links carried.
        if !show.destinations.is_empty() {
            let (problem, fine) = match super::budget::judge(super::budget::needed(show), super::budget::last()) {
                Ok(fine) => (None, fine),
                Err(p) => (Some(p), String::new()),
            };
            checks.push(check("upload".into(), problem, fine));
        }
        // Room for the recordings.
        let planned = planned_s.unwrap_or_else(|| {
            let total: u64 = segments.iter().filter_map(|s| s.planned_ms).sum();
            if total > 0 {
                total.div_ceil(1000)
            } else {
                DEFAULT_PLANNED_S
            }
        });
        for r in &show.recordings {
            let kbps = snap.canvases.get(r.canvas).map_or(6000, |c| c.video_kbps) as u64 + AUDIO_KBPS;
            let need = kbps * 1000 / 8 * planned;
            let gib = |b: u64| b as f64 / (1u64 << 30) as f64;
            let problem = match showroom_base::disk::free_bytes(&r.path) {
                None => Some((
                    "cannot tell the free space".to_string(),
                    "check the recording folder exists and is writable".to_string(),
                )),
                Some(free) if free < need => Some((
                    format!(
                        "{:.1} GiB free, {:.1} GiB needed for {} min",
                        gib(free),
                        gib(need),
                        planned / 60
                    ),
                    "free some space or record to another disk".to_string(),
                )),
                Some(_) => None,
            };
            let free = showroom_base::disk::free_bytes(&r.path).map_or(0.0, gib);
            checks.push(check(
                format!("disk for {}", r.path.display()),
                problem,
                format!("{free:.1} GiB free, {:.1} GiB for {} min", gib(need), planned / 60),
            ));
        }
        // The rundown names only what the show has.
        for (i, s) in segments.iter().enumerate() {
            let unknown_products: Vec<&str> = s
                .products
                .iter()
                .map(String::as_str)
                .filter(|p| !codes.iter().any(|c| c.eq_ignore_ascii_case(p)))
                .collect();
            let unknown_scene = s.scene.as_ref().filter(|sc| !show.scenes.iter().any(|x| &x.id == *sc));
            let mut wrong = Vec::new();
            if !unknown_products.is_empty() {
                wrong.push(format!("unknown product(s) {}", unknown_products.join(", ")));
            }
            if let Some(sc) = unknown_scene {
                wrong.push(format!("unknown scene {sc}"));
            }
            if !wrong.is_empty() {
                checks.push(check(
                    format!("rundown segment {} ({})", i + 1, s.title),
                    Some((
                        wrong.join("; "),
                        "edit the segment in the Rundown panel or its file".into(),
                    )),
                    String::new(),
                ));
            }
        }
        if !segments.is_empty() && !checks.iter().any(|c| c.what.starts_with("rundown")) {
            checks.push(check(
                "rundown".into(),
                None,
                format!("{} segments, products and scenes known", segments.len()),
            ));
        }
        Preflight { checks }
    }
}
