//! The post-show figures, computed from the logs alone (docs/report.md
//! defines each one). Times are the platforms' stamps for comments and
//! claims and the engine's wall clock for what was on screen.

use crate::read::{Logs, Skipped, Source};
use serde::Serialize;
use showroom_chat::ledger::{Claim, Status};
use showroom_chat::log::Record;
use showroom_chat::metrics::{Metrics, Sales, decimal};
use showroom_chat::model::{Kind, Platform};
use showroom_chat::triage::Flags;
use showroom_products::price::{Money, PriceFormatter};
use std::collections::{BTreeMap, HashMap, HashSet};

/// Raised when a field is renamed, removed or changes meaning.
pub const SCHEMA: u32 = 1;
/// Questions listed in `top_questions`.
pub const TOP_QUESTIONS: usize = 10;

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Report {
    pub schema: u32,
    pub show: Option<String>,
    pub started: Option<String>,
    pub started_unix_ms: Option<u64>,
    pub ended_unix_ms: Option<u64>,
    pub duration_s: Option<f64>,
    pub sources: Vec<Source>,
    pub skipped: Vec<Skipped>,
    pub events_missed: u64,
    pub comments: u64,
    pub commenters: u64,
    /// The most viewers at once, all platforms that said together.
    pub peak_viewers: Option<u64>,
    pub platforms: Vec<PlatformFigures>,
    pub sales: SalesFigures,
    pub products: Vec<ProductFigures>,
    /// Each time a product's card was on air, in order.
    pub on_screen: Vec<OnScreen>,
    /// YouTube-style chapters: the rundown's segments, else the products
    /// featured (docs/report.md).
    pub chapters: Vec<Chapter>,
    pub questions: Questions,
    pub top_questions: Vec<TopQuestion>,
    pub minutes: Vec<Minute>,
    pub leads: Vec<Lead>,
    /// Each destination's link over the show (the event log's `health`).
    pub health: Vec<DestinationTimeline>,
    /// One MP4 per product moment, cut from the recordings (clips.rs).
    pub clips: Vec<crate::clips::Clip>,
    /// Frames each canvas dropped over the show.
    pub canvases: Vec<CanvasDrops>,
    pub loudness: LoudnessTimeline,
}

/// One destination over the show: a sample per `health` event.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DestinationTimeline {
    pub id: String,
    pub platform: String,
    pub canvas: String,
    /// Connections made, and those after the first (reconnects).
    pub connects: u64,
    pub reconnects: u64,
    pub dropped_frames: u64,
    /// Mean bitrate over the samples it was live, kb/s.
    pub mean_kbps: Option<u64>,
    pub samples: Vec<HealthSample>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HealthSample {
    pub t_s: f64,
    pub state: String,
    pub bitrate_kbps: u64,
    pub connects: u64,
    pub dropped_frames: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CanvasDrops {
    pub id: String,
    pub dropped_frames: u64,
}

/// The mix's loudness over the show (LUFS; None while silent).
#[derive(Debug, Clone, PartialEq, Serialize, Default)]
pub struct LoudnessTimeline {
    /// The whole show's, as the last sample had it.
    pub integrated_lufs: Option<f64>,
    pub samples: Vec<LoudnessSample>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LoudnessSample {
    pub t_s: f64,
    pub momentary_lufs: Option<f64>,
    pub short_term_lufs: Option<f64>,
}

/// A chapter of the show's video: from `at_s` seconds, `title`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Chapter {
    pub at_s: u64,
    pub title: String,
    /// "0:00", "1:05", "1:02:03", as YouTube reads it.
    pub line: String,
}

/// YouTube lists chapters only when each is at least this long.
pub const CHAPTER_MIN_S: u64 = 10;

fn clock(s: u64) -> String {
    match s / 3600 {
        0 => format!("{}:{:02}", s / 60, s % 60),
        h => format!("{h}:{:02}:{:02}", s / 60 % 60, s % 60),
    }
}

/// Chapters from (start second, title) in order, for a show of `end_s`:
/// the first at 0:00; one shorter than `CHAPTER_MIN_S` gives its start to
/// the next (a last one that short is left out); the same title twice in a
/// row is one chapter.
pub fn chapters(mut raw: Vec<(u64, String)>, end_s: u64) -> Vec<Chapter> {
    let mut out: Vec<(u64, String)> = Vec::new();
    if let Some(first) = raw.first_mut() {
        first.0 = 0;
    }
    let mut i = 0;
    while i < raw.len() {
        let (at, title) = raw[i].clone();
        let next = raw.get(i + 1).map_or(end_s, |n| n.0);
        let short = next.saturating_sub(at) < CHAPTER_MIN_S;
        i += 1;
        if out.last().is_some_and(|l| l.1 == title) {
            continue; // the same chapter goes on
        }
        if short && i < raw.len() {
            raw[i].0 = at; // too short: the next one starts here
        } else if !short || out.is_empty() {
            out.push((at, title));
        }
    }
    out.into_iter()
        .map(|(at_s, title)| Chapter {
            line: format!("{} {title}", clock(at_s)),
            at_s,
            title,
        })
        .collect()
}

/// A product's card on air, in seconds from the show's start.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OnScreen {
    pub code: String,
    pub from_s: f64,
    pub to_s: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PlatformFigures {
    pub platform: &'static str,
    pub name: &'static str,
    pub comments: u64,
    pub commenters: u64,
    /// The most viewers the platform said it had at once.
    pub peak_viewers: Option<u64>,
}

/// An amount in one currency: the decimal and as the cards write it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Amount {
    pub currency: String,
    pub amount: String,
    pub text: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SalesFigures {
    /// Claims standing as claimed at the end (cancelled and waitlisted apart).
    pub claims: u64,
    pub units: u64,
    pub buyers: u64,
    pub revenue: Vec<Amount>,
    /// Average order value: revenue / buyers, per currency.
    pub aov: Vec<Amount>,
    pub waitlisted_claims: u64,
    pub waitlisted_units: u64,
    pub cancelled_claims: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ProductFigures {
    pub code: String,
    pub title: String,
    pub times_featured: u64,
    pub on_screen_s: f64,
    pub claims: u64,
    pub units: u64,
    pub revenue: Option<Amount>,
    pub waitlisted_units: u64,
    pub commenters_on_screen: u64,
    pub claimers_on_screen: u64,
    /// claimers_on_screen / commenters_on_screen (None without commenters).
    pub conversion: Option<f64>,
    pub questions_on_screen: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Questions {
    pub asked: u64,
    pub answered: u64,
    /// From the message reaching the show to a moderator's (or the
    /// host's) Answered, over the answered ones with both times logged.
    pub median_answer_s: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TopQuestion {
    pub text: String,
    /// How many asked it (the same words, case and punctuation aside).
    pub asked: u64,
    pub first_at: String,
    pub answered: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Minute {
    /// Minutes from the show's start.
    pub minute: u64,
    /// Comments per platform id.
    pub comments: BTreeMap<&'static str, u64>,
    /// The most viewers each platform said it had in the minute.
    pub viewers: BTreeMap<&'static str, u64>,
    pub claims: u64,
    pub units: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Lead {
    pub platform: &'static str,
    pub handle: String,
    pub user_id: String,
    /// "question", "waitlisted", "claimed, no order".
    pub why: &'static str,
    pub what: String,
    pub at: String,
    #[serde(skip)]
    pub at_ms: u64,
}

struct Comment {
    seq: u64,
    platform: Platform,
    author_id: String,
    author: String,
    text: String,
    at_ms: u64,
    question: bool,
}

/// A product's card on air: (code, from ms, to ms).
type Span = (String, u64, u64);

/// What was on screen when, and each product's title and times featured.
fn on_screen(logs: &Logs, end_ms: u64) -> (Vec<Span>, HashMap<String, (String, u64)>) {
    let mut spans = Vec::new();
    let mut featured: HashMap<String, (String, u64)> = HashMap::new();
    let mut current: Option<(String, u64)> = None;
    for e in &logs.events {
        let close = |current: &mut Option<(String, u64)>, spans: &mut Vec<Span>| {
            if let Some((code, from)) = current.take() {
                spans.push((code, from, e.unix_ms.max(from)));
            }
        };
        match e.event.as_str() {
            "feature" => {
                let code = e.body["product"].as_str().unwrap_or_default().to_string();
                let title = e.body["title"].as_str().unwrap_or_default().to_string();
                if current.as_ref().is_some_and(|c| c.0 == code) {
                    continue;
                }
                close(&mut current, &mut spans);
                featured.entry(code.clone()).or_insert((title, 0)).1 += 1;
                current = Some((code, e.unix_ms));
            }
            "hide" if e.body["graphic"] == "card" => close(&mut current, &mut spans),
            "stop" => close(&mut current, &mut spans),
            _ => {}
        }
    }
    if let Some((code, from)) = current {
        spans.push((code, from, end_ms.max(from)));
    }
    (spans, featured)
}

fn within(spans: &[Span], code: &str, at: u64) -> bool {
    spans.iter().any(|(c, a, b)| c == code && (*a..*b).contains(&at))
}

/// The words of a question, for counting the same one asked twice.
fn folded(text: &str) -> String {
    text.to_lowercase()
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

pub(crate) fn round(x: f64, places: i32) -> f64 {
    let p = 10f64.powi(places);
    (x * p).round() / p
}

pub fn figures(logs: &Logs, locale: &str) -> Report {
    let prices = PriceFormatter::new(locale)
        .or_else(|_| PriceFormatter::new("en-US"))
        .ok();
    let amount = |minor: i64, currency: &str| -> Amount {
        let money = Money::from_minor(minor, currency).ok();
        Amount {
            currency: currency.to_string(),
            amount: decimal(minor, currency),
            text: match (&prices, &money) {
                (Some(f), Some(m)) => f.format(m),
                _ => format!("{} {currency}", decimal(minor, currency)),
            },
        }
    };

    // Answer times from the event log, for logs whose `answered` records
    // have none.
    let answered_logged: HashMap<u64, u64> = logs
        .events
        .iter()
        .filter(|e| e.event == "moderation" && e.body["action"] == "answered")
        .filter_map(|e| Some((e.body["seq"].as_u64()?, e.unix_ms)))
        .collect();
    // The chat log, replayed: comments, the claims' final states, answers,
    // orders; the counts by the chat's own metrics.
    let mut metrics = Metrics::default();
    let mut comments: Vec<Comment> = Vec::new();
    let mut claims: Vec<Claim> = Vec::new();
    let mut at: HashMap<u64, usize> = HashMap::new();
    let mut answered: HashSet<u64> = HashSet::new();
    let mut ordered: HashSet<u64> = HashSet::new();
    let mut viewers: Vec<showroom_chat::model::ViewerCount> = Vec::new();
    for r in &logs.chat {
        match r {
            Record::Message { seq, msg, flags, .. } if matches!(msg.kind, Kind::Text) => {
                metrics.message(*seq, msg, *flags);
                comments.push(Comment {
                    seq: *seq,
                    platform: msg.platform,
                    author_id: msg.author.id.clone(),
                    author: msg.author.name.clone(),
                    text: msg.text.clone(),
                    at_ms: msg.at_ms,
                    question: Flags(*flags).contains(Flags::QUESTION),
                })
            }
            Record::Claim(c) => {
                at.insert(c.id, claims.len());
                claims.push(c.clone());
            }
            Record::ClaimStatus { id, status } => {
                if let Some(i) = at.get(id) {
                    claims[*i].status = *status;
                }
            }
            Record::Answered { seq, at_ms } => {
                answered.insert(*seq);
                metrics.answered(*seq, at_ms.or_else(|| answered_logged.get(seq).copied()));
            }
            Record::DraftOrder { claims: ids, .. } => ordered.extend(ids),
            Record::Viewers(v) => {
                metrics.viewers(v);
                viewers.push(*v);
            }
            _ => {}
        }
    }
    // The most at once: every platform's latest count, summed.
    let peak_viewers = {
        let mut latest: BTreeMap<&'static str, u64> = BTreeMap::new();
        let mut peak = None;
        for v in &viewers {
            latest.insert(v.platform.id(), v.count);
            peak = peak.max(Some(latest.values().sum::<u64>()));
        }
        peak
    };

    // The show's span: its start and stop events, else what the chat saw.
    let first = |name: &str| logs.events.iter().find(|e| e.event == name);
    let show = first("start").and_then(|e| e.body["show"].as_str().map(str::to_string));
    let times = comments.iter().map(|c| c.at_ms).chain(claims.iter().map(|c| c.at_ms));
    let started = first("start").map(|e| e.unix_ms).or_else(|| times.clone().min());
    let ended = logs
        .events
        .iter()
        .rev()
        .find(|e| e.event == "stop")
        .map(|e| e.unix_ms)
        .or_else(|| times.chain(logs.events.iter().map(|e| e.unix_ms)).max());
    let end_ms = ended.unwrap_or(0);
    let (spans, featured) = on_screen(logs, end_ms);

    let platforms = metrics
        .platforms()
        .into_iter()
        .map(|p| PlatformFigures {
            platform: p.platform.id(),
            name: p.platform.name(),
            comments: p.comments,
            commenters: p.commenters,
            peak_viewers: p.peak_viewers,
        })
        .collect();
    let tally = Sales::of(&claims);
    let sales = SalesFigures {
        claims: tally.claims,
        units: tally.units,
        buyers: tally.buyers,
        revenue: tally.takings.iter().map(|t| amount(t.minor, &t.currency)).collect(),
        aov: tally
            .takings
            .iter()
            .map(|t| amount(t.aov_minor(), &t.currency))
            .collect(),
        waitlisted_claims: tally.waitlisted_claims,
        waitlisted_units: tally.waitlisted_units,
        cancelled_claims: tally.cancelled_claims,
    };

    // Per product: what was featured and what was claimed.
    let mut codes: BTreeMap<String, String> = featured.iter().map(|(c, (t, _))| (c.clone(), t.clone())).collect();
    for c in &claims {
        codes.entry(c.code.clone()).or_insert_with(|| c.title.clone());
    }
    let products = codes
        .into_iter()
        .map(|(code, title)| {
            let sold = tally.products.iter().find(|p| p.code == code);
            let seen: HashSet<(Platform, &str)> = comments
                .iter()
                .filter(|m| within(&spans, &code, m.at_ms))
                .map(|m| (m.platform, m.author_id.as_str()))
                .collect();
            let claimers: HashSet<(Platform, &str)> = claims
                .iter()
                .filter(|c| c.code == code && c.status != Status::Cancelled && within(&spans, &code, c.at_ms))
                .map(|c| (c.platform, c.buyer_id.as_str()))
                .collect();
            let on_screen_ms: u64 = spans.iter().filter(|s| s.0 == code).map(|s| s.2 - s.1).sum();
            ProductFigures {
                times_featured: featured.get(&code).map_or(0, |f| f.1),
                on_screen_s: round(on_screen_ms as f64 / 1000.0, 1),
                claims: sold.map_or(0, |p| p.claims),
                units: sold.map_or(0, |p| p.units),
                revenue: sold.filter(|p| p.claims > 0).map(|p| amount(p.minor, &p.currency)),
                waitlisted_units: sold.map_or(0, |p| p.waitlisted_units),
                commenters_on_screen: seen.len() as u64,
                claimers_on_screen: claimers.len() as u64,
                conversion: (!seen.is_empty()).then(|| round(claimers.len() as f64 / seen.len() as f64, 4)),
                questions_on_screen: comments
                    .iter()
                    .filter(|m| m.question && within(&spans, &code, m.at_ms))
                    .count() as u64,
                code,
                title,
            }
        })
        .collect();

    // Questions: asked when the viewer wrote it (the platform's stamp).
    let asked: Vec<&Comment> = comments.iter().filter(|c| c.question).collect();
    let questions = Questions {
        asked: metrics.questions,
        answered: metrics.answered,
        median_answer_s: metrics.median_answer_ms().map(|ms| round(ms as f64 / 1000.0, 1)),
    };
    let mut groups: Vec<(String, TopQuestion, u64)> = Vec::new();
    for c in &asked {
        let key = folded(&c.text);
        match groups.iter_mut().find(|g| g.0 == key) {
            Some(g) => {
                g.1.asked += 1;
                g.1.answered |= answered.contains(&c.seq);
            }
            None => groups.push((
                key,
                TopQuestion {
                    text: c.text.clone(),
                    asked: 1,
                    first_at: showroom_chat::log::utc(c.at_ms),
                    answered: answered.contains(&c.seq),
                },
                c.at_ms,
            )),
        }
    }
    groups.sort_by(|a, b| b.1.asked.cmp(&a.1.asked).then(a.2.cmp(&b.2)));
    let top_questions = groups.into_iter().take(TOP_QUESTIONS).map(|g| g.1).collect();

    // Per minute of the show.
    let start = started.unwrap_or(0);
    let minute = |ms: u64| ms.saturating_sub(start) / 60_000;
    let last = minute(end_ms);
    let mut minutes: Vec<Minute> = (0..=last)
        .map(|m| Minute {
            minute: m,
            comments: BTreeMap::new(),
            viewers: BTreeMap::new(),
            claims: 0,
            units: 0,
        })
        .collect();
    for c in &comments {
        if let Some(m) = minutes.get_mut(minute(c.at_ms) as usize) {
            *m.comments.entry(c.platform.id()).or_default() += 1;
        }
    }
    for v in &viewers {
        if let Some(m) = minutes.get_mut(minute(v.at_ms) as usize) {
            let n = m.viewers.entry(v.platform.id()).or_default();
            *n = (*n).max(v.count);
        }
    }
    for c in claims.iter().filter(|c| c.status != Status::Cancelled) {
        if let Some(m) = minutes.get_mut(minute(c.at_ms) as usize) {
            m.claims += 1;
            m.units += c.quantity as u64;
        }
    }

    // Leads: whom to follow up with.
    let what = |c: &Claim| match &c.variant {
        Some(v) => format!("{} {} ({v}) × {}", c.code, c.title, c.quantity),
        None => format!("{} {} × {}", c.code, c.title, c.quantity),
    };
    let mut leads: Vec<Lead> = asked
        .iter()
        .map(|c| Lead {
            platform: c.platform.id(),
            handle: c.author.clone(),
            user_id: c.author_id.clone(),
            why: "question",
            what: c.text.clone(),
            at: showroom_chat::log::utc(c.at_ms),
            at_ms: c.at_ms,
        })
        .chain(claims.iter().filter_map(|c| {
            let why = match c.status {
                Status::Waitlisted => "waitlisted",
                Status::Claimed if !ordered.contains(&c.id) => "claimed, no order",
                _ => return None,
            };
            Some(Lead {
                platform: c.platform.id(),
                handle: c.buyer.clone(),
                user_id: c.buyer_id.clone(),
                why,
                what: what(c),
                at: showroom_chat::log::utc(c.at_ms),
                at_ms: c.at_ms,
            })
        }))
        .collect();
    leads.sort_by_key(|l| l.at_ms);

    Report {
        schema: SCHEMA,
        show,
        started: started.map(showroom_chat::log::utc),
        started_unix_ms: started,
        ended_unix_ms: ended,
        duration_s: started
            .zip(ended)
            .map(|(a, b)| round(b.saturating_sub(a) as f64 / 1000.0, 1)),
        sources: logs.sources.clone(),
        skipped: logs.skipped.clone(),
        events_missed: logs.events_missed,
        comments: metrics.comments,
        commenters: metrics.commenters(),
        peak_viewers,
        platforms,
        sales,
        products,
        on_screen: spans
            .iter()
            .map(|(code, a, b)| OnScreen {
                code: code.clone(),
                from_s: round(a.saturating_sub(start) as f64 / 1000.0, 1),
                to_s: round(b.saturating_sub(start) as f64 / 1000.0, 1),
            })
            .collect(),
        chapters: {
            let rel = |ms: u64| ms.saturating_sub(start) / 1000;
            let segments: Vec<(u64, String)> = logs
                .events
                .iter()
                .filter(|e| e.event == "segment")
                .map(|e| (rel(e.unix_ms), e.body["title"].as_str().unwrap_or_default().to_string()))
                .collect();
            let raw = if segments.is_empty() {
                spans
                    .iter()
                    .map(|(code, a, _)| {
                        let title = featured.get(code).map_or(code.clone(), |f| f.0.clone());
                        (rel(*a), title)
                    })
                    .collect()
            } else {
                segments
            };
            chapters(raw, rel(end_ms))
        },
        questions,
        top_questions,
        minutes,
        leads,
        health: health(logs, start),
        clips: Vec::new(),
        canvases: canvas_drops(logs),
        loudness: loudness(logs, start),
    }
}

/// The `health` events, in order, with their time from the show's start.
fn pulses(logs: &Logs, start: u64) -> impl Iterator<Item = (f64, &serde_json::Value)> {
    logs.events
        .iter()
        .filter(|e| e.event == "health")
        .map(move |e| (round(e.unix_ms.saturating_sub(start) as f64 / 1000.0, 1), &e.body))
}

fn health(logs: &Logs, start: u64) -> Vec<DestinationTimeline> {
    let mut out: Vec<DestinationTimeline> = Vec::new();
    for (t_s, body) in pulses(logs, start) {
        for d in body["destinations"].as_array().map(Vec::as_slice).unwrap_or_default() {
            let text = |k: &str| d[k].as_str().unwrap_or_default().to_string();
            let id = text("id");
            let i = match out.iter().position(|l| l.id == id) {
                Some(i) => i,
                None => {
                    out.push(DestinationTimeline {
                        id,
                        platform: text("platform"),
                        canvas: text("canvas"),
                        connects: 0,
                        reconnects: 0,
                        dropped_frames: 0,
                        mean_kbps: None,
                        samples: Vec::new(),
                    });
                    out.len() - 1
                }
            };
            let line = &mut out[i];
            let sample = HealthSample {
                t_s,
                state: text("state"),
                bitrate_kbps: d["bitrate_kbps"].as_u64().unwrap_or(0),
                connects: d["connects"].as_u64().unwrap_or(0),
                dropped_frames: d["dropped_frames"].as_u64().unwrap_or(0),
            };
            line.connects = line.connects.max(sample.connects);
            line.dropped_frames = line.dropped_frames.max(sample.dropped_frames);
            line.samples.push(sample);
        }
    }
    for line in &mut out {
        line.reconnects = line.connects.saturating_sub(1);
        let live: Vec<u64> = line
            .samples
            .iter()
            .filter(|s| s.state == "live")
            .map(|s| s.bitrate_kbps)
            .collect();
        line.mean_kbps = (!live.is_empty()).then(|| live.iter().sum::<u64>() / live.len() as u64);
    }
    out
}

fn canvas_drops(logs: &Logs) -> Vec<CanvasDrops> {
    let mut out: Vec<CanvasDrops> = Vec::new();
    for (_, body) in pulses(logs, 0) {
        for c in body["canvases"].as_array().map(Vec::as_slice).unwrap_or_default() {
            let id = c["id"].as_str().unwrap_or_default();
            let n = c["dropped_frames"].as_u64().unwrap_or(0);
            match out.iter_mut().find(|x| x.id == id) {
                Some(x) => x.dropped_frames = x.dropped_frames.max(n),
                None => out.push(CanvasDrops {
                    id: id.to_string(),
                    dropped_frames: n,
                }),
            }
        }
    }
    out
}

fn loudness(logs: &Logs, start: u64) -> LoudnessTimeline {
    let mut out = LoudnessTimeline::default();
    for (t_s, body) in pulses(logs, start) {
        let l = &body["loudness"];
        let lufs = |k: &str| l[k].as_f64().map(|v| round(v, 1));
        out.integrated_lufs = lufs("integrated_lufs").or(out.integrated_lufs);
        out.samples.push(LoudnessSample {
            t_s,
            momentary_lufs: lufs("momentary_lufs"),
            short_term_lufs: lufs("short_term_lufs"),
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn logs(lines: &[String]) -> Logs {
        // A folder per call: the tests run at once.
        static N: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
        let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let dir = std::env::temp_dir().join(format!("showroom-report-unit-{}-{n}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("mixed.jsonl");
        std::fs::write(&path, lines.join("\n") + "\n").unwrap();
        let logs = crate::read::read(&[path]).unwrap();
        let _ = std::fs::remove_dir_all(&dir);
        logs
    }

    fn msg(seq: u64, who: &str, text: &str, at: u64, flags: u8) -> String {
        format!(
            r#"{{"t":"message","seq":{seq},"msg":{{"platform":"youtube","id":"m{seq}","author":{{"id":"{who}","name":"{who}","avatar":null,"badges":[]}},"text":"{text}","at_ms":{at},"kind":"text"}},"flags":{flags}}}"#
        )
    }

    fn claim(id: u64, who: &str, code: &str, price: &str, qty: u32, at: u64) -> String {
        format!(
            r#"{{"t":"claim","id":{id},"at_ms":{at},"platform":"youtube","buyer_id":"{who}","buyer":"{who}","message_id":"m","product_id":"{code}","code":"{code}","title":"T {code}","variant":null,"sku":null,"quantity":{qty},"unit_price":"{price}","currency":"USD","status":"claimed"}}"#
        )
    }

    fn event(ms: u64, rest: &str) -> String {
        format!(r#"{{"t":0.0,"unix_ms":{ms},{rest}}}"#)
    }

    #[test]
    fn spans_end_at_a_hide_and_a_refeature_of_the_product_on_air_is_not_counted() {
        let r = figures(
            &logs(&[
                event(0, r#""event":"start","show":"S","scene":"m""#),
                event(1_000, r#""event":"feature","product":"A1","title":"T A1""#),
                event(2_000, r#""event":"feature","product":"A1","title":"T A1""#),
                event(11_000, r#""event":"hide","graphic":"card","product":"A1""#),
                event(20_000, r#""event":"feature","product":"A1","title":"T A1""#),
                event(25_000, r#""event":"stop""#),
                // During the first span, between the spans, during the second.
                msg(1, "ann", "hi", 5_000, 0),
                msg(2, "bob", "hi", 15_000, 0),
                msg(3, "cat", "size?", 21_000, 1),
                claim(1, "ann", "A1", "10.00", 1, 5_000),
                claim(2, "bob", "A1", "10.00", 2, 15_000),
                claim(3, "cat", "A1", "0.01", 1, 21_000),
            ]),
            "en-US",
        );
        let a1 = &r.products[0];
        assert_eq!((a1.times_featured, a1.on_screen_s), (2, 15.0));
        assert_eq!(
            (a1.commenters_on_screen, a1.claimers_on_screen, a1.questions_on_screen),
            (2, 2, 1)
        );
        assert_eq!(a1.conversion, Some(1.0));
        // 30.01 over 3 buyers: 10.0033 → 10.00.
        assert_eq!(r.sales.revenue[0].amount, "30.01");
        assert_eq!(r.sales.aov[0].text, "$10.00");
        assert_eq!(r.duration_s, Some(25.0));
        assert_eq!(r.minutes.len(), 1);
    }

    #[test]
    fn viewers_peak_together_and_health_and_loudness_follow_the_pulses() {
        let viewers =
            |p: &str, n: u64, at: u64| format!(r#"{{"t":"viewers","platform":"{p}","count":{n},"at_ms":{at}}}"#);
        let health = |at: u64, state: &str, kbps: u64, connects: u64, st: &str| {
            event(
                at,
                &format!(
                    r#""event":"health","destinations":[{{"id":"tt","platform":"tiktok","canvas":"portrait","state":"{state}","bitrate_kbps":{kbps},"connects":{connects},"dropped_frames":{}}}],"canvases":[{{"id":"portrait","dropped_frames":3}}],"loudness":{{"momentary_lufs":null,"short_term_lufs":{st},"integrated_lufs":-18.25}}"#,
                    connects * 2
                ),
            )
        };
        let r = figures(
            &logs(&[
                event(0, r#""event":"start","show":"S","scene":"m""#),
                viewers("tiktok", 100, 1_000),
                viewers("youtube", 30, 2_000),
                viewers("tiktok", 120, 61_000),
                viewers("tiktok", 80, 62_000),
                health(2_000, "live", 3000, 1, "-20.04"),
                health(4_000, "reconnecting", 0, 1, "null"),
                health(6_000, "live", 2000, 2, "-22"),
                event(70_000, r#""event":"stop""#),
            ]),
            "en-US",
        );
        assert_eq!(r.peak_viewers, Some(150), "120 on TikTok while YouTube had 30");
        let peaks: Vec<_> = r.platforms.iter().map(|p| (p.platform, p.peak_viewers)).collect();
        assert_eq!(peaks, [("tiktok", Some(120)), ("youtube", Some(30))]);
        assert_eq!(r.minutes[0].viewers.get("tiktok"), Some(&100));
        assert_eq!(r.minutes[1].viewers.get("tiktok"), Some(&120), "the most in the minute");
        let d = &r.health[0];
        assert_eq!(
            (d.connects, d.reconnects, d.dropped_frames, d.mean_kbps),
            (2, 1, 4, Some(2500))
        );
        assert_eq!(d.samples.iter().map(|s| s.t_s).collect::<Vec<_>>(), [2.0, 4.0, 6.0]);
        assert_eq!(r.canvases[0].dropped_frames, 3);
        assert_eq!(r.loudness.integrated_lufs, Some(-18.3));
        let st: Vec<_> = r.loudness.samples.iter().map(|s| s.short_term_lufs).collect();
        assert_eq!(st, [Some(-20.0), None, Some(-22.0)]);
    }

    #[test]
    fn chapters_start_at_zero_and_last_at_least_ten_seconds() {
        let raw = |v: &[(u64, &str)]| v.iter().map(|(t, s)| (*t, s.to_string())).collect::<Vec<_>>();
        let lines = |c: Vec<Chapter>| c.into_iter().map(|c| c.line).collect::<Vec<_>>();
        assert_eq!(
            lines(chapters(
                raw(&[(5, "P1"), (120, "P2"), (125, "P3"), (300, "P4"), (395, "P5")]),
                400
            )),
            ["0:00 P1", "2:00 P3", "5:00 P4"]
        );
        assert_eq!(
            lines(chapters(raw(&[(0, "A"), (60, "A"), (3700, "B")]), 4000)),
            ["0:00 A", "1:01:40 B"]
        );
        assert!(chapters(Vec::new(), 100).is_empty());
    }

    #[test]
    fn the_same_question_asked_twice_is_one_whatever_its_case_and_punctuation() {
        assert_eq!(folded("How MUCH is it??"), folded("how much is it"));
    }
}
