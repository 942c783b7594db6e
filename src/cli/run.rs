//! `showroom run`: a show without a window, a status line every second, a
//! clean end on Ctrl-C or --duration, and `--stats-json` at exit.

use crate::engine::Engine;
use crate::secrets::{KeyRef, Secret};
use crate::show::{DestinationSpec, Platform, RecordingSpec, Show};
use clap::Args;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

#[derive(Args)]
pub struct RunArgs {
    /// The show file (TOML).
    show: PathBuf,
    /// Stop after this many seconds (default: run until Ctrl-C).
    #[arg(long)]
    duration: Option<f64>,
    /// Add a destination: CANVAS=rtmp(s)://server/app/KEY. The last path
    /// segment is the stream key. A quick-test convenience: other local users
    /// can see command lines, so use key references in the show for real shows.
    #[arg(long = "to", value_name = "CANVAS=URL")]
    to: Vec<String>,
    /// Record a canvas to this file (.mkv or .mp4). `{canvas}` in the path
    /// records every canvas; otherwise the first canvas is recorded.
    #[arg(long, value_name = "PATH")]
    record: Option<PathBuf>,
    /// Write statistics as JSON to this file at exit.
    #[arg(long, value_name = "FILE")]
    stats_json: Option<PathBuf>,
    /// Write the show's event log (every change on air, one JSON line
    /// each) here (default: under ~/.local/state/showroom/events/).
    #[arg(long, value_name = "FILE")]
    events: Option<PathBuf>,
    /// Start the remote control (obs-websocket 5: Companion, Stream Deck,
    /// scripts) on ADDR, default the show's [remote] listen or
    /// 127.0.0.1:4455. A show with [remote] starts it without this flag.
    #[arg(long, value_name = "ADDR")]
    remote: Option<Option<std::net::SocketAddr>>,
    /// Start the crew console (web pages for moderators, producer, host
    /// and brand) on ADDR, default the show's [console] listen or
    /// 127.0.0.1:8790. A show with [console] starts it without this flag.
    /// Type `invite ROLE NAME` to let someone in.
    #[arg(long, value_name = "ADDR")]
    console: Option<Option<std::net::SocketAddr>>,
    /// Rehearse: the whole show (sources, graphics, rundown, chat,
    /// recording) with every destination a local sink — nothing is sent to
    /// any platform, no key is read, every canvas says REHEARSAL.
    #[arg(long)]
    rehearsal: bool,
    /// Send each canvas once, to a relay that pushes it to every
    /// destination (`showroom relay-config`, docs/relay.md): the show's
    /// destinations become one stream per canvas, to
    /// URL/showroom-CANVAS/program. No stream key is read here.
    #[arg(long, value_name = "rtmp://RELAY:PORT")]
    via: Option<String>,
    /// Check, without going on air, what the show needs before Go Live:
    /// keys, sources delivering, microphones with signal and loudness,
    /// catalog and stock, chat connected, disk for the recordings
    /// (--duration long, else the rundown's plan, else 2 h), the rundown's
    /// products and scenes. Exits 1 with what to fix when something is red.
    #[arg(long)]
    preflight: bool,
}

/// Turns `CANVAS=URL/KEY` into a destination; errors name the argument.
pub fn parse_to(arg: &str, show: &Show, n: usize) -> Result<DestinationSpec, String> {
    let Some((canvas, url)) = arg.split_once('=') else {
        return Err("--to needs CANVAS=URL, e.g. --to landscape=rtmp://127.0.0.1/live/KEY".into());
    };
    let ci = show.canvas_index(canvas).ok_or_else(|| {
        let ids: Vec<&str> = show.canvases.iter().map(|c| c.id.as_str()).collect();
        format!("--to: no canvas `{canvas}` in the show (canvases: {})", ids.join(", "))
    })?;
    let (server, key) = url
        .trim_end_matches('/')
        .rsplit_once('/')
        .ok_or("--to: the URL has no stream key segment")?;
    crate::show::validate::split_url(server).map_err(|e| {
        format!(
            "--to: {e} (expected rtmp(s)://server/app/KEY)",
            e = crate::secrets::redact(&e)
        )
    })?;
    if key.is_empty() {
        return Err("--to: the URL ends without a stream key".into());
    }
    Ok(DestinationSpec {
        id: format!("to-{n}-{canvas}"),
        platform: Platform::Custom,
        canvas: ci,
        url: server.to_string(),
        key: KeyRef::Inline(Secret::new(key)),
        video_kbps: None,
        latency_ms: None,
        primary: false,
    })
}

enum Command {
    Engine(crate::engine::Command),
    Quit,
    /// The crew console: `invite ROLE NAME`, `revoke ID`, `crew`.
    Invite(crate::console::Role, String),
    Revoke(u64),
    Crew,
    /// `segment N|TITLE`: resolved against the rundown as it is now.
    GoToSegment(String),
    /// `rundown`: the segments, the current one marked.
    Rundown,
    /// `auction` alone: the auction on now (or the last one), in a line.
    Auction,
}

/// `take KIND [MS] [DIRECTION]` → a transition (stingers come from the show file).
fn parse_transition<'a>(
    kind: &str,
    words: &mut impl Iterator<Item = &'a str>,
) -> Result<crate::show::TransitionSpec, String> {
    use crate::show::{Direction, TransitionKind, TransitionSpec};
    let duration_ms = match words.next() {
        Some(ms) => ms
            .parse()
            .map_err(|_| format!("`{ms}` is not a duration in milliseconds"))?,
        None => 500,
    };
    let direction = match words.next() {
        None | Some("left") => Direction::Left,
        Some("right") => Direction::Right,
        Some("up") => Direction::Up,
        Some("down") => Direction::Down,
        Some(d) => return Err(format!("unknown direction `{d}` — use left, right, up or down")),
    };
    let kind = match kind {
        "cut" => TransitionKind::Cut,
        "fade" => TransitionKind::Fade,
        "slide" => TransitionKind::Slide(direction),
        "wipe" => TransitionKind::Wipe(direction),
        other => return Err(format!("unknown transition `{other}` — use cut, fade, slide or wipe")),
    };
    Ok(TransitionSpec { kind, duration_ms })
}

/// `set SCENE SOURCE opacity|rotation|radius|mirror VALUE` or
/// `set SCENE SOURCE place CANVAS X Y W H`.
fn parse_set<'a>(scene: &str, words: &mut impl Iterator<Item = &'a str>) -> Result<crate::engine::Command, String> {
    use crate::engine::LayerChange;
    let usage = "use: set SCENE SOURCE opacity|rotation|radius|mirror VALUE, or set SCENE SOURCE place CANVAS X Y W H";
    let source = words.next().ok_or(usage)?;
    let what = words.next().ok_or(usage)?;
    let mut num = |name: &str| -> Result<f32, String> {
        let w = words.next().ok_or(usage)?;
        w.parse::<f32>().map_err(|_| format!("{name}: `{w}` is not a number"))
    };
    let change = match what {
        "opacity" => LayerChange::Opacity(num("opacity")?),
        "rotation" => LayerChange::Rotation(num("rotation")?),
        "radius" => LayerChange::Radius(num("radius")?),
        "mirror" => LayerChange::Mirror(num("mirror")? != 0.0),
        "place" => {
            let canvas = words.next().ok_or(usage)?.to_string();
            let mut n = || -> Result<f32, String> {
                let w = words.next().ok_or(usage)?;
                w.parse::<f32>().map_err(|_| format!("place: `{w}` is not a number"))
            };
            let (x, y, w, h) = (n()?, n()?, n()?, n()?);
            if w < 1.0 || h < 1.0 {
                return Err("place: width and height must be at least 1".into());
            }
            let rect = crate::show::Rect {
                x: x as i32,
                y: y as i32,
                width: w as u32,
                height: h as u32,
            };
            LayerChange::Place { canvas, rect }
        }
        other => return Err(format!("unknown layer property `{other}` — {usage}")),
    };
    Ok(crate::engine::Command::SetLayer {
        scene: scene.into(),
        source: source.into(),
        change,
    })
}

const GRAPHICS_WORDS: &[&str] = &[
    "feature",
    "hide",
    "next",
    "previous",
    "countdown",
    "lower-third",
    "banner",
    "comment",
];
const GRAPHICS_USAGE: &str = "feature CODE | next | previous | hide product|countdown|lower_third|banner|comment | countdown DURATION [LABEL] | lower-third NAME [| TITLE] | banner TEXT | comment PLATFORM AUTHOR: TEXT";

/// The graphics commands: `word` and the rest of the line.
fn parse_graphics(word: &str, rest: &str) -> Result<crate::graphics::GraphicsCommand, String> {
    use crate::graphics::GraphicsCommand as G;
    let rest = rest.trim();
    let need = |what: &str| -> Result<(), String> {
        if rest.is_empty() {
            Err(format!("{word}: give {what} — use: {GRAPHICS_USAGE}"))
        } else {
            Ok(())
        }
    };
    Ok(match word {
        "feature" => {
            need("a product's claim code or id")?;
            G::Feature(rest.into())
        }
        "next" => G::NextProduct,
        "previous" => G::PreviousProduct,
        "hide" => match rest {
            "product" | "card" => G::HideProduct,
            "countdown" => G::StopCountdown,
            "lower_third" | "lower-third" => G::HideLowerThird,
            "banner" => G::HideBanner,
            "comment" => G::HideComment,
            _ => return Err("hide: say what — product, countdown, lower_third, banner or comment".into()),
        },
        "countdown" => {
            need("a duration like 5m")?;
            let (d, label) = rest.split_once(' ').unwrap_or((rest, ""));
            let ms = crate::show::graphics::parse_duration_ms(d)
                .filter(|ms| (1000..=86_400_000).contains(ms))
                .ok_or_else(|| format!("countdown: `{d}` is not a duration of 1 s to 24 h (like 5m or 90s)"))?;
            G::StartCountdown {
                seconds: ms / 1000,
                label: (!label.trim().is_empty()).then(|| label.trim().to_string()),
            }
        }
        "lower-third" => {
            need("a name")?;
            let (name, title) = rest.split_once('|').unwrap_or((rest, ""));
            G::LowerThird {
                name: name.trim().into(),
                title: title.trim().into(),
            }
        }
        "banner" => {
            need("its text")?;
            G::Banner(rest.into())
        }
        "comment" => {
            let usage = "comment: use comment PLATFORM AUTHOR: TEXT";
            let (platform, rest) = rest.split_once(' ').ok_or(usage)?;
            let (author, text) = rest.split_once(':').ok_or(usage)?;
            G::FeatureComment {
                author: author.trim().into(),
                platform: platform.into(),
                text: text.trim().into(),
            }
        }
        _ => return Err(format!("use: {GRAPHICS_USAGE}")),
    })
}

/// `gain SOURCE DB`, `mute SOURCE`, `unmute SOURCE`, `pan SOURCE X`,
/// `offset SOURCE MS`, `denoise SOURCE on|off`.
fn parse_audio(word: &str, source: &str, value: Option<&str>) -> Result<crate::engine::Command, String> {
    use crate::engine::AudioChange as A;
    let num = |what: &str| -> Result<f32, String> {
        let v = value.ok_or_else(|| format!("{word} {source}: give {what}"))?;
        v.parse::<f32>().map_err(|_| format!("{word}: `{v}` is not a number"))
    };
    let change = match word {
        "gain" => A::GainDb(num("the gain in dB")?),
        "mute" => A::Mute(true),
        "unmute" => A::Mute(false),
        "pan" => A::Pan(num("a pan from -1 (left) to 1 (right)")?),
        "offset" => A::OffsetMs(num("the offset in ms")?.round() as i32),
        _ => match value {
            Some("on") => A::Denoise(true),
            Some("off") => A::Denoise(false),
            _ => return Err(format!("denoise {source}: say on or off")),
        },
    };
    Ok(crate::engine::Command::SetAudio {
        source: source.to_string(),
        change,
    })
}

/// Prints how each finished job ended and forgets it; with `wait`, waits
/// for them first (the show is ending: every result is told).
fn report_jobs(engine: &crate::engine::Engine, jobs: &mut Vec<crate::engine::jobs::JobId>, wait: bool) {
    use crate::engine::jobs::JobState;
    jobs.retain(|id| {
        let status = match wait {
            true => engine.wait_job(*id, Duration::from_secs(60)),
            false => engine.job(*id),
        };
        match status {
            Some(j) if j.state != JobState::Running => {
                let summary = j.summary.unwrap_or_default();
                match j.state {
                    JobState::Failed => eprintln!("error: job {id}: {summary}"),
                    _ => eprintln!("ok: job {id}: {summary}"),
                }
                false
            }
            Some(_) if wait => {
                eprintln!("error: job {id} did not finish within a minute");
                false
            }
            Some(_) => true,
            None => false,
        }
    });
}

/// `flash-deal CODE PRICE FOR [cap N] [per-buyer N]`.
fn parse_deal<'a>(
    code: Option<&'a str>,
    words: &mut impl Iterator<Item = &'a str>,
) -> Result<crate::chat::deals::DealRequest, String> {
    let usage = "use: flash-deal CODE PRICE FOR [cap N] [per-buyer N], e.g. flash-deal A1 29.00 5m cap 20 per-buyer 1";
    let (Some(code), Some(price), Some(length)) = (code, words.next(), words.next()) else {
        return Err(format!(
            "flash-deal: give the product, the price and how long — {usage}"
        ));
    };
    let seconds = crate::show::graphics::parse_duration_ms(length)
        .map(|ms| ms / 1000)
        .ok_or_else(|| format!("flash-deal: `{length}` is not a length like 5m or 90s — {usage}"))?;
    let mut req = crate::chat::deals::DealRequest {
        product_id: code.to_string(),
        price: price.trim_start_matches(['$', '€', '£']).to_string(),
        seconds,
        cap: None,
        per_buyer: None,
    };
    while let Some(word) = words.next() {
        let n = words
            .next()
            .and_then(|n| n.parse::<u32>().ok())
            .ok_or_else(|| format!("flash-deal: `{word}` needs a whole number after it — {usage}"))?;
        match word {
            "cap" => req.cap = Some(n),
            "per-buyer" => req.per_buyer = Some(n),
            other => return Err(format!("flash-deal: unknown `{other}` — {usage}")),
        }
    }
    Ok(req)
}

/// `auction CODE START FOR [step N] [extend S]`.
fn parse_auction<'a>(
    code: Option<&'a str>,
    words: &mut impl Iterator<Item = &'a str>,
) -> Result<crate::chat::auction::AuctionRequest, String> {
    let usage = "use: auction CODE START FOR [step N] [extend S], e.g. auction A1 25 2m step 1 extend 15s";
    let (Some(code), Some(start), Some(length)) = (code, words.next(), words.next()) else {
        return Err(format!(
            "auction: give the product, the start price and how long — {usage}"
        ));
    };
    let length_of = |what: &str, text: &str| {
        crate::show::graphics::parse_duration_ms(text)
            .map(|ms| ms / 1000)
            .ok_or_else(|| format!("auction: {what} `{text}` is not a length like 2m or 15s — {usage}"))
    };
    let mut req = crate::chat::auction::AuctionRequest {
        product: code.to_string(),
        start: start.trim_start_matches(['$', '€', '£']).to_string(),
        seconds: length_of("length", length)?,
        step: "1".into(),
        extend_s: 10,
    };
    while let Some(word) = words.next() {
        let value = words
            .next()
            .ok_or_else(|| format!("auction: `{word}` needs a value after it — {usage}"))?;
        match word {
            "step" => req.step = value.trim_start_matches(['$', '€', '£']).to_string(),
            "extend" if value == "0" || value == "off" => req.extend_s = 0,
            "extend" => req.extend_s = length_of("extension", value)?,
            other => return Err(format!("auction: unknown `{other}` — {usage}")),
        }
    }
    Ok(req)
}

/// Commands typed on standard input while a show runs (one per line):
/// `scene ID` (cut), `preview ID`, `take [KIND [MS [DIRECTION]]]`,
/// `set SCENE SOURCE PROPERTY VALUE…`, `reconnect [ID]`, `quit`.
fn parse_command(line: &str) -> Result<Option<Command>, String> {
    let mut words = line.split_whitespace();
    Ok(match (words.next(), words.next()) {
        (None, _) => None,
        (Some("scene"), Some(id)) => Some(Command::Engine(crate::engine::Command::TakeScene(id.into()))),
        (Some("preview"), Some(id)) => Some(Command::Engine(crate::engine::Command::PreviewScene(id.into()))),
        (Some("take"), kind) => Some(Command::Engine(crate::engine::Command::Take(match kind {
            None => None,
            Some(kind) => Some(parse_transition(kind, &mut words)?),
        }))),
        (Some("reconnect"), id) => Some(Command::Engine(crate::engine::Command::ReconnectNow(
            id.map(String::from),
        ))),
        (Some("quit") | Some("stop"), None) => Some(Command::Quit),
        (Some("invite"), role) => {
            let usage = "use: invite moderator|producer|host|brand NAME";
            let role = role.ok_or(usage)?;
            let role =
                crate::console::Role::parse(role).ok_or_else(|| format!("invite: `{role}` is not a role — {usage}"))?;
            let name: Vec<&str> = words.by_ref().collect();
            if name.is_empty() {
                return Err(format!("invite: whose invite is it? {usage}"));
            }
            Some(Command::Invite(role, name.join(" ")))
        }
        (Some("revoke"), Some(n)) => {
            Some(Command::Revoke(n.trim_start_matches('#').parse().map_err(|_| {
                format!("revoke: `{n}` is not an invite number (type `crew` for the list)")
            })?))
        }
        (Some("crew"), None) => Some(Command::Crew),
        // The run of show.
        (Some("next-segment"), None) => Some(Command::Engine(crate::engine::Command::Rundown(
            crate::engine::rundown::RundownCommand::Next,
        ))),
        (Some("previous-segment"), None) => Some(Command::Engine(crate::engine::Command::Rundown(
            crate::engine::rundown::RundownCommand::Previous,
        ))),
        (Some("segment"), Some(first)) => {
            let rest: Vec<&str> = std::iter::once(first).chain(words.by_ref()).collect();
            Some(Command::GoToSegment(rest.join(" ")))
        }
        (Some("segment"), None) => return Err("segment: give its number or title — use: segment N|TITLE".into()),
        (Some("rundown"), None) => Some(Command::Rundown),
        (Some("auction"), None) => Some(Command::Auction),
        // `flash-deal CODE PRICE FOR [cap N] [per-buyer N]`, `end-deal ID`.
        (Some("flash-deal"), code) => Some(Command::Engine(crate::engine::Command::Chat(
            crate::chat::state::Action::StartDeal(parse_deal(code, &mut words)?),
        ))),
        // `giveaway KEYWORD FOR`, `draw-giveaway ID [SEED]`, `giveaway-csv ID PATH`.
        (Some("giveaway"), keyword) => {
            let usage = "use: giveaway KEYWORD FOR, e.g. giveaway WIN 2m";
            let (Some(keyword), Some(length)) = (keyword, words.next()) else {
                return Err(format!(
                    "giveaway: give the keyword and how long entries are taken — {usage}"
                ));
            };
            let seconds = crate::show::graphics::parse_duration_ms(length)
                .map(|ms| ms / 1000)
                .ok_or_else(|| format!("giveaway: `{length}` is not a length like 2m — {usage}"))?;
            Some(Command::Engine(crate::engine::Command::Chat(
                crate::chat::state::Action::StartGiveaway {
                    keyword: keyword.to_string(),
                    seconds,
                },
            )))
        }
        (Some("draw-giveaway"), Some(n)) => {
            let giveaway = n
                .trim_start_matches('#')
                .parse()
                .map_err(|_| format!("draw-giveaway: `{n}` is not a giveaway number"))?;
            let seed = match words.next() {
                None => None,
                Some(s) => Some(
                    s.parse()
                        .map_err(|_| format!("draw-giveaway: seed `{s}` is not a whole number"))?,
                ),
            };
            Some(Command::Engine(crate::engine::Command::Chat(
                crate::chat::state::Action::DrawGiveaway { giveaway, seed },
            )))
        }
        (Some("giveaway-csv"), Some(n)) => {
            let giveaway = n
                .trim_start_matches('#')
                .parse()
                .map_err(|_| format!("giveaway-csv: `{n}` is not a giveaway number"))?;
            let path = words
                .next()
                .ok_or("giveaway-csv: give the file — use: giveaway-csv ID PATH")?;
            Some(Command::Engine(crate::engine::Command::ExportGiveaway(
                giveaway,
                path.into(),
            )))
        }
        // `auction CODE START FOR [step N] [extend S]`, `end-auction ID`.
        (Some("auction"), code) => Some(Command::Engine(crate::engine::Command::Chat(
            crate::chat::state::Action::StartAuction(parse_auction(code, &mut words)?),
        ))),
        (Some("end-auction"), Some(n)) => Some(Command::Engine(crate::engine::Command::Chat(
            crate::chat::state::Action::EndAuction(
                n.trim_start_matches('#')
                    .parse()
                    .map_err(|_| format!("end-auction: `{n}` is not an auction number"))?,
            ),
        ))),
        (Some("end-deal"), Some(n)) => Some(Command::Engine(crate::engine::Command::Chat(
            crate::chat::state::Action::EndDeal(
                n.trim_start_matches('#')
                    .parse()
                    .map_err(|_| format!("end-deal: `{n}` is not a flash deal number"))?,
            ),
        ))),
        // The chat: `claims-csv PATH` (for invoicing), `draft-orders`
        // (claims not yet ordered → Shopify), `cancel-claim ID`, and
        // `answer|hide-message|unhide-message|block-author SEQ` on message SEQ.
        (Some("claims-csv"), Some(path)) => Some(Command::Engine(crate::engine::Command::ExportClaims(path.into()))),
        (Some("draft-orders"), None) => Some(Command::Engine(crate::engine::Command::DraftOrders)),
        (Some(word @ ("cancel-claim" | "answer" | "hide-message" | "unhide-message" | "block-author")), Some(n)) => {
            use crate::chat::state::Action;
            let n: u64 = n.trim_start_matches('#').parse().map_err(|_| {
                let what = if word == "cancel-claim" { "claim" } else { "message" };
                format!("{word}: `{n}` is not a {what} number")
            })?;
            Some(Command::Engine(crate::engine::Command::Chat(match word {
                "cancel-claim" => Action::CancelClaim(n),
                "answer" => Action::Answered(n),
                "hide-message" => Action::Hide(n),
                "unhide-message" => Action::Unhide(n),
                _ => Action::Block(n),
            })))
        }
        (Some("set"), Some(scene)) => Some(Command::Engine(parse_set(scene, &mut words)?)),
        (Some(word @ ("gain" | "mute" | "unmute" | "pan" | "offset" | "denoise")), Some(source)) => {
            Some(Command::Engine(parse_audio(word, source, words.next())?))
        }
        (Some(word), first) if GRAPHICS_WORDS.contains(&word) => {
            let rest: Vec<&str> = first.into_iter().chain(words).collect();
            Some(Command::Engine(crate::engine::Command::Graphics(parse_graphics(
                word,
                &rest.join(" "),
            )?)))
        }
        _ => {
            return Err(format!(
                "unknown command `{line}` — use: scene ID | preview ID | take [cut|fade|slide|wipe [MS [left|right|up|down]]] | set SCENE SOURCE PROPERTY VALUE | reconnect [ID] | {GRAPHICS_USAGE} | gain|pan|offset SOURCE VALUE | mute|unmute SOURCE | denoise SOURCE on|off | next-segment | previous-segment | segment N|TITLE | rundown | flash-deal CODE PRICE FOR [cap N] [per-buyer N] | end-deal ID | giveaway KEYWORD FOR | draw-giveaway ID [SEED] | giveaway-csv ID PATH | auction CODE START FOR [step N] [extend S] | auction | end-auction ID | claims-csv PATH | cancel-claim ID | draft-orders | quit"
            ));
        }
    })
}

fn stdin_commands() -> std::sync::mpsc::Receiver<String> {
    let (tx, rx) = std::sync::mpsc::channel();
    let _ = std::thread::Builder::new().name("stdin".into()).spawn(move || {
        for line in std::io::stdin().lines() {
            let Ok(line) = line else { break };
            if tx.send(line.trim().to_string()).is_err() {
                break;
            }
        }
    });
    rx
}

/// `showroom resume`: starts the show that did not end cleanly, with the same
/// recording and stats options (a new recording file: nothing is overwritten).
pub fn resume() -> ExitCode {
    let Some(m) = crate::session::unclean_last_show() else {
        eprintln!("nothing to resume: the last show ended cleanly");
        return ExitCode::from(1);
    };
    if m.quick_destinations > 0 {
        eprintln!(
            "note: {} --to destination(s) of the last run are not resumed (their keys were never saved); add them again",
            m.quick_destinations
        );
    }
    eprintln!("resuming {}", m.show.display());
    run(RunArgs {
        show: m.show,
        duration: None,
        to: Vec::new(),
        record: m.record,
        stats_json: m.stats_json,
        events: None,
        remote: None,
        console: None,
        rehearsal: m.rehearsal,
        via: m.via,
        preflight: false,
    })
}

/// `run --preflight`: the show started with nothing on air, judged once
/// its sources have had time to deliver (every video source a picture and
/// 2 s of meters, at most 15 s), then stopped.
fn preflight(show: Show, planned_s: Option<u64>) -> ExitCode {
    let options = crate::engine::StartOptions {
        live: false,
        ..Default::default()
    };
    eprintln!("pre-flight: starting the show with nothing on air…");
    let engine = match Engine::start_with(show, options) {
        Ok(e) => e,
        Err(e) => {
            eprintln!("error: {}", crate::secrets::redact(&format!("{e:#}")));
            return ExitCode::from(1);
        }
    };
    let started = std::time::Instant::now();
    while started.elapsed() < std::time::Duration::from_secs(15) {
        let snap = engine.snapshot();
        let video = |id: &str| {
            engine
                .show()
                .sources
                .iter()
                .find(|s| s.id == id)
                .is_some_and(|s| s.config.has_video())
        };
        if snap.elapsed_s >= 2.0 && snap.sources.iter().filter(|s| video(&s.id)).all(|s| s.frames > 0) {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
    let report = engine.preflight(planned_s);
    drop(engine.stop());
    for line in report.lines() {
        println!("{}", crate::secrets::redact(&line));
    }
    let red = report.problems().count();
    if red == 0 {
        println!("pre-flight: all clear ({} checks)", report.checks.len());
        ExitCode::SUCCESS
    } else {
        println!("pre-flight: {red} problem(s) to fix before going live");
        ExitCode::from(1)
    }
}

pub fn run(args: RunArgs) -> ExitCode {
    // Keys on the command line are registered for redaction before anything is logged.
    for t in &args.to {
        if let Some((_, url)) = t.split_once('=')
            && let Some((_, key)) = url.trim_end_matches('/').rsplit_once('/')
        {
            crate::secrets::register(key);
        }
    }
    let mut show = match crate::show::load(&args.show) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("{e}");
            eprintln!("the show has {} problem(s); nothing was started", e.count());
            return ExitCode::from(2);
        }
    };
    for (i, t) in args.to.iter().enumerate() {
        match parse_to(t, &show, i + 1) {
            Ok(d) => show.destinations.push(d),
            Err(e) => {
                eprintln!("error: {e}");
                return ExitCode::from(2);
            }
        }
    }
    if let Some(url) = &args.via {
        let platforms = show.destinations.len();
        if let Err(e) = super::relay::via(&mut show, url) {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
        eprintln!(
            "via the relay {url}: {} upload(s) for {platforms} destination(s)",
            show.destinations.len()
        );
    }
    // What `check` would say about this machine: shown, and the show goes on
    // with what works (a destination with a missing key fails on its own).
    for p in crate::show::on_air::problems(&show.on_air) {
        eprintln!(
            "warning: {}:{}:{}: {}",
            args.show.display(),
            p.line,
            p.col,
            crate::secrets::redact(&p.message)
        );
    }
    if let Some(path) = &args.record {
        if let Err(e) = crate::media::recording::check_path(path) {
            eprintln!("error: --record: {e}");
            return ExitCode::from(2);
        }
        if let Some(e) = crate::show::on_air::recording_problem(path) {
            eprintln!("error: --record: {e}");
            return ExitCode::from(2);
        }
        let all = path.to_string_lossy().contains("{canvas}");
        for canvas in 0..if all { show.canvases.len() } else { 1 } {
            show.recordings.push(RecordingSpec {
                canvas,
                path: path.clone(),
            });
        }
    }
    if args.preflight {
        return preflight(show, args.duration.map(|d| d.ceil() as u64));
    }

    let stop = Arc::new(AtomicBool::new(false));
    {
        let stop = stop.clone();
        if let Err(e) = ctrlc::set_handler(move || stop.store(true, Ordering::Relaxed)) {
            eprintln!("warning: cannot catch Ctrl-C: {e}");
        }
    }
    if let Some(last) = crate::session::unclean_last_show() {
        eprintln!(
            "note: the last show ({}) did not end cleanly — its recording is readable; run `showroom resume` to start it again",
            last.show.display()
        );
    }
    let events = args
        .events
        .clone()
        .unwrap_or_else(|| crate::session::event_log_path(&show.name));
    eprintln!("event log: {}", events.display());
    // The upload budget: what the show sends against what the last show's links carried.
    if !show.destinations.is_empty() && !args.rehearsal {
        use crate::engine::budget;
        match budget::judge(budget::needed(&show), budget::last()) {
            Ok(fine) => eprintln!("upload: {fine}"),
            Err((what, fix)) => eprintln!("warning: upload: {what} — {fix}"),
        }
    }
    if args.rehearsal {
        eprintln!(
            "REHEARSAL: nothing is sent to any platform (every destination is a local sink); recordings are made"
        );
    }
    let options = crate::engine::StartOptions {
        events: Some(events),
        rehearsal: args.rehearsal,
        ..Default::default()
    };
    let remote_spec = match (&args.remote, &show.remote) {
        (None, spec) => spec.clone(),
        (Some(addr), spec) => {
            let mut spec = spec
                .clone()
                .unwrap_or_else(|| crate::show::RemoteSpec::local(crate::show::RemoteSpec::DEFAULT_LISTEN));
            if let Some(a) = addr {
                spec.listen = *a;
            }
            Some(spec)
        }
    };
    let console_spec = match (&args.console, &show.console) {
        (None, spec) => spec.clone(),
        (Some(addr), spec) => {
            let mut spec = spec
                .clone()
                .unwrap_or_else(|| crate::show::ConsoleSpec::local(crate::show::ConsoleSpec::DEFAULT_LISTEN));
            if let Some(a) = addr {
                spec.listen = *a;
            }
            Some(spec)
        }
    };
    let engine = match Engine::start_with(show, options) {
        Ok(e) => Arc::new(e),
        Err(e) => {
            eprintln!("error: {}", crate::secrets::redact(&format!("{e:#}")));
            return ExitCode::from(1);
        }
    };
    let remote = match remote_spec.map(|spec| crate::remote::Remote::start(engine.clone(), &spec)) {
        None => None,
        Some(Ok(r)) => {
            eprintln!(
                "remote control: ws://{} (obs-websocket 5; {})",
                r.addr(),
                if r.has_password() {
                    "password required"
                } else {
                    "no password: this machine only"
                }
            );
            Some(r)
        }
        Some(Err(e)) => {
            eprintln!("error: {}", crate::secrets::redact(&e.to_string()));
            crate::remote::stop_show(engine, None);
            return ExitCode::from(2);
        }
    };
    let console = match console_spec.map(|spec| crate::console::Console::start(engine.clone(), &spec)) {
        None => None,
        Some(Ok(c)) => {
            match c.fingerprint() {
                Some(f) => eprintln!(
                    "crew console: {} (HTTPS, certificate SHA-256 {f}); type `invite ROLE NAME` to let someone in",
                    c.url()
                ),
                None => eprintln!(
                    "crew console: {} (this machine only); type `invite ROLE NAME` to let someone in",
                    c.url()
                ),
            }
            Some(c)
        }
        Some(Err(e)) => {
            eprintln!("error: {}", crate::secrets::redact(&e.to_string()));
            crate::remote::stop_show(engine, remote);
            return ExitCode::from(2);
        }
    };
    let mut invites = super::invites::Links::new(&args.show);
    let marker = crate::session::Marker {
        show: std::fs::canonicalize(&args.show).unwrap_or_else(|_| args.show.clone()),
        record: args
            .record
            .as_ref()
            .map(|r| std::path::absolute(r).unwrap_or_else(|_| r.clone())),
        stats_json: args
            .stats_json
            .as_ref()
            .map(|r| std::path::absolute(r).unwrap_or_else(|_| r.clone())),
        quick_destinations: args.to.len(),
        via: args.via.clone(),
        rehearsal: args.rehearsal,
        pid: std::process::id(),
        started: std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0),
    };
    if let Err(e) = crate::session::write_marker(&marker) {
        tracing::warn!("cannot note the running show for crash recovery: {e}");
    }
    let commands = stdin_commands();
    let mut jobs = Vec::new();
    let started = Instant::now();
    let mut next_status = Duration::from_secs(1);
    loop {
        while let Ok(line) = commands.try_recv() {
            match parse_command(&line) {
                Ok(Some(Command::Quit)) => stop.store(true, Ordering::Relaxed),
                Ok(Some(Command::Invite(role, name))) => match &console {
                    None => eprintln!(
                        "error: the crew console is not running: start the show with --console (or add [console])"
                    ),
                    Some(c) => match c.invite(role, &name) {
                        Ok(i) => invites.tell(&i),
                        Err(e) => eprintln!("error: {e}"),
                    },
                },
                Ok(Some(Command::Revoke(id))) => match &console {
                    None => eprintln!("error: the crew console is not running"),
                    Some(c) => match c.revoke(id) {
                        Ok(i) => {
                            invites.forget(id);
                            eprintln!("ok: invite {id} ({}, {}) revoked; its pages are closed", i.name, i.role)
                        }
                        Err(e) => eprintln!("error: {e}"),
                    },
                },
                Ok(Some(Command::Crew)) => match &console {
                    None => eprintln!("error: the crew console is not running"),
                    Some(c) => {
                        let crew = c.crew();
                        if crew.is_empty() {
                            eprintln!("crew: nobody invited yet (type `invite ROLE NAME`)");
                        }
                        for m in crew {
                            eprintln!(
                                "crew: invite {} · {} · {} · {} page(s) open",
                                m.id, m.name, m.role, m.pages
                            );
                        }
                    }
                },
                Ok(Some(Command::Auction)) => match engine.snapshot().auction {
                    Some(a) => eprintln!("{}", a.words()),
                    None => eprintln!("error: no auction yet — use: auction CODE START FOR [step N] [extend S]"),
                },
                Ok(Some(Command::Rundown)) => {
                    let segments = engine.rundown();
                    if segments.is_empty() {
                        eprintln!("error: this show has no rundown: add [rundown] to the show file");
                    }
                    let current = engine.snapshot().rundown.and_then(|r| r.current).map(|c| c.index);
                    for (i, s) in segments.iter().enumerate() {
                        let mark = if Some(i) == current { ">" } else { " " };
                        let planned = s
                            .planned_ms
                            .map(|ms| format!(" ({}:{:02})", ms / 60_000, ms / 1000 % 60))
                            .unwrap_or_default();
                        eprintln!(
                            "rundown: {mark} {}. {}{planned} {}",
                            i + 1,
                            s.title,
                            s.products.join(" ")
                        );
                    }
                }
                Ok(Some(Command::GoToSegment(which))) => {
                    let segments = engine.rundown();
                    let index = match which.parse::<usize>() {
                        Ok(n) => n
                            .checked_sub(1)
                            .ok_or_else(|| "segment: numbers start at 1".to_string()),
                        Err(_) => segments
                            .iter()
                            .position(|s| s.title.eq_ignore_ascii_case(&which))
                            .ok_or_else(|| {
                                format!("segment: no segment titled \"{which}\" (type `rundown` for the list)")
                            }),
                    };
                    let done = index.and_then(|i| {
                        engine
                            .execute(crate::engine::Command::Rundown(
                                crate::engine::rundown::RundownCommand::GoTo(i),
                            ))
                            .map_err(|e| e.to_string())
                    });
                    match done {
                        Ok(_) => eprintln!("ok: {line}"),
                        Err(e) => eprintln!("error: {e}"),
                    }
                    if let Some(r) = engine.snapshot().rundown {
                        eprintln!("{}", r.words());
                    }
                }
                Ok(Some(Command::Engine(cmd))) => match engine.execute(cmd) {
                    Ok(crate::engine::Outcome::Done) if line.ends_with("-segment") => {
                        eprintln!("ok: {line}");
                        if let Some(r) = engine.snapshot().rundown {
                            eprintln!("{}", r.words());
                        }
                    }
                    Ok(crate::engine::Outcome::Done) => eprintln!("ok: {line}"),
                    Ok(crate::engine::Outcome::Job(id)) => {
                        eprintln!("ok: {line} (job {id}; its result follows)");
                        jobs.push(id);
                    }
                    Err(e) => eprintln!("error: {e}"),
                },
                Ok(None) => {}
                Err(e) => eprintln!("error: {e}"),
            }
        }
        // Jobs typed above say how they ended.
        report_jobs(&engine, &mut jobs, false);
        if stop.load(Ordering::Relaxed) {
            eprintln!("stopping…");
            break;
        }
        if let Some(e) = engine.fatal_error() {
            eprintln!("error: {e}");
            if let Some(c) = console {
                c.stop();
            }
            invites.clear();
            crate::remote::stop_show(engine, remote);
            return ExitCode::from(1);
        }
        if let Some(d) = args.duration
            && started.elapsed().as_secs_f64() >= d
        {
            break;
        }
        if started.elapsed() >= next_status {
            match engine.chat() {
                Some(chat) => eprintln!(
                    "{} | {}",
                    engine.snapshot().status_line(),
                    crate::secrets::redact(&crate::chat::status_line(chat))
                ),
                None => eprintln!("{}", engine.snapshot().status_line()),
            }
            next_status += Duration::from_secs(1);
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    // The claims as CSV beside the show (the log keeps everything anyway).
    if let Some(chat) = engine.chat() {
        eprintln!("{}", crate::chat::status_line(chat));
        let path = args.show.with_file_name(format!(
            "{}-claims.csv",
            args.show.file_stem().and_then(|s| s.to_str()).unwrap_or("show")
        ));
        match engine.execute(crate::engine::Command::ExportClaims(path)) {
            Ok(crate::engine::Outcome::Job(id)) => jobs.push(id),
            Ok(crate::engine::Outcome::Done) => {}
            Err(e) => eprintln!("error: {e}"),
        }
    }
    // Every job's result is told before the show ends (typed ones too, when
    // the show ends by --duration).
    report_jobs(&engine, &mut jobs, true);
    // The crew's pages are told the show has ended; every invite ends.
    if let Some(c) = console {
        c.stop();
    }
    invites.clear();
    // The post-show report needs the chat log and the event log, both
    // closed by the stop (docs/report.md).
    let logs: Option<Vec<PathBuf>> = engine
        .chat()
        .map(|c| c.log_path().to_path_buf())
        .zip(engine.event_log().map(|p| p.to_path_buf()))
        .map(|(chat, events)| vec![chat, events]);
    let locale = engine.show().graphics.locale.clone();
    let snap = crate::remote::stop_show(engine, remote);
    crate::session::clear_marker();
    eprintln!("{}", snap.status_line());
    if let Some(logs) = logs {
        let out = args.show.with_file_name(format!(
            "{}-report",
            args.show.file_stem().and_then(|s| s.to_str()).unwrap_or("show")
        ));
        match crate::report::build(&logs, &out, &locale, true) {
            Ok(built) => super::report::tell(&built),
            Err(e) => eprintln!("error: the post-show report: {e}"),
        }
    }
    let mut failed_recordings = Vec::new();
    for r in &snap.recordings {
        match &r.error {
            Some(e) => {
                eprintln!("error: recording {} → {} failed: {e}", r.canvas, r.path);
                failed_recordings.push(r.path.as_str());
            }
            None => eprintln!(
                "recorded {} → {} ({:.1} MB)",
                r.canvas,
                r.path,
                r.bytes_written as f64 / 1e6
            ),
        }
    }
    if let Some(path) = &args.stats_json
        && let Err(e) = crate::session::write_atomic(path, snap.to_json().as_bytes())
    {
        eprintln!("error: cannot write {}: {e}", path.display());
        return ExitCode::from(1);
    }
    let never_live: Vec<&str> = snap
        .destinations
        .iter()
        .filter(|d| !d.ever_live)
        .map(|d| d.id.as_str())
        .collect();
    if !never_live.is_empty() && !args.rehearsal {
        eprintln!("error: never went live: {}", never_live.join(", "));
        return ExitCode::from(3);
    }
    if !failed_recordings.is_empty() {
        return ExitCode::from(3);
    }
    ExitCode::SUCCESS
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::graphics::GraphicsCommand as G;

    fn graphics(line: &str) -> Result<G, String> {
        match parse_command(line)? {
            Some(Command::Engine(crate::engine::Command::Graphics(g))) => Ok(g),
            _ => Err(format!("`{line}` is not a graphics command")),
        }
    }

    #[test]
    fn typed_graphics_commands() {
        assert_eq!(graphics("feature A1").unwrap(), G::Feature("A1".into()));
        assert_eq!(graphics("next").unwrap(), G::NextProduct);
        assert_eq!(graphics("hide lower-third").unwrap(), G::HideLowerThird);
        assert_eq!(
            graphics("countdown 1m30s Flash deal ends in").unwrap(),
            G::StartCountdown {
                seconds: 90,
                label: Some("Flash deal ends in".into())
            }
        );
        assert_eq!(
            graphics("lower-third Mia Chen | Host").unwrap(),
            G::LowerThird {
                name: "Mia Chen".into(),
                title: "Host".into()
            }
        );
        assert_eq!(
            graphics("comment YouTube ana: is it blue? yes: navy").unwrap(),
            G::FeatureComment {
                author: "ana".into(),
                platform: "YouTube".into(),
                text: "is it blue? yes: navy".into()
            }
        );
        assert!(graphics("feature").unwrap_err().contains("give a product's claim code"));
        assert!(
            graphics("countdown soon")
                .unwrap_err()
                .contains("`soon` is not a duration")
        );
        assert!(graphics("hide everything").unwrap_err().starts_with("hide: say what"));
        assert!(
            graphics("comment YouTube no colon")
                .unwrap_err()
                .contains("comment PLATFORM AUTHOR: TEXT")
        );
    }

    #[test]
    fn typed_audio_commands() {
        use crate::engine::{AudioChange as A, Command as E};
        let audio = |line: &str| match parse_command(line) {
            Ok(Some(Command::Engine(E::SetAudio { source, change }))) => Ok((source, change)),
            Ok(_) => Err("not an audio command".to_string()),
            Err(e) => Err(e),
        };
        assert_eq!(audio("gain mic -6").unwrap(), ("mic".into(), A::GainDb(-6.0)));
        assert_eq!(audio("mute mic").unwrap(), ("mic".into(), A::Mute(true)));
        assert_eq!(audio("offset mic 120").unwrap(), ("mic".into(), A::OffsetMs(120)));
        assert_eq!(audio("denoise mic off").unwrap(), ("mic".into(), A::Denoise(false)));
        assert!(audio("gain mic loud").unwrap_err().contains("`loud` is not a number"));
        assert!(audio("denoise mic maybe").unwrap_err().contains("say on or off"));
    }
}
