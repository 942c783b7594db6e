//! The chat's figures (docs/report.md): comments and the people who wrote
//! them, per platform, the last minute's rate, questions and how long they
//! waited for an answer — kept by `ChatState::apply` as each record is
//! applied, so a replayed log gives the same figures and messages dropped
//! from memory still count — and what the standing claims add up to
//! ([`Sales`]). The snapshot's live metrics and the post-show report both
//! read them from here.

use super::ledger::{Claim, Status};
use super::model::{Kind, Message, Platform, ViewerCount};
use super::triage::Flags;
use crate::products::price::Money;
use std::collections::{HashMap, HashSet, VecDeque};

/// The window of "comments in the last minute".
pub const RATE_WINDOW_MS: u64 = 60_000;

#[derive(Debug, Default, Clone)]
pub struct Metrics {
    pub comments: u64,
    /// Comments per platform (who wrote them is in `people`).
    per_platform: Vec<(Platform, u64)>,
    people: HashSet<(Platform, String)>,
    /// The platforms' stamps of the latest minute's comments.
    recent: VecDeque<u64>,
    /// The newest stamp seen.
    newest: u64,
    /// Questions not answered yet: message seq → when asked.
    waiting: HashMap<u64, u64>,
    pub questions: u64,
    pub answered: u64,
    /// Each answered question's wait (ms), where the answer has its time.
    waits: Vec<u64>,
    /// Per platform that said: its latest viewer count and the highest.
    viewers: Vec<(Platform, u64, u64)>,
    /// Keeps nothing (the live-metrics benchmark's "off": benches/chat.rs).
    pub off: bool,
}

/// One platform's figures.
#[derive(Debug, Clone, PartialEq)]
pub struct PlatformCount {
    pub platform: Platform,
    pub comments: u64,
    pub commenters: u64,
    /// The platform's latest viewer count and its peak, where it said.
    pub viewers: Option<u64>,
    pub peak_viewers: Option<u64>,
}

impl Metrics {
    /// A platform's viewer count applied.
    pub fn viewers(&mut self, v: &ViewerCount) {
        if self.off {
            return;
        }
        match self.viewers.iter_mut().find(|p| p.0 == v.platform) {
            Some(p) => {
                p.1 = v.count;
                p.2 = p.2.max(v.count);
            }
            None => self.viewers.push((v.platform, v.count, v.count)),
        }
    }

    /// Viewers now, all platforms that said together.
    pub fn viewers_now(&self) -> Option<u64> {
        (!self.viewers.is_empty()).then(|| self.viewers.iter().map(|p| p.1).sum())
    }

    /// A message applied: counts it if it is a comment.
    pub fn message(&mut self, seq: u64, msg: &Message, flags: u8) {
        if self.off || !matches!(msg.kind, Kind::Text) {
            return;
        }
        self.comments += 1;
        match self.per_platform.iter_mut().find(|p| p.0 == msg.platform) {
            Some(p) => p.1 += 1,
            None => self.per_platform.push((msg.platform, 1)),
        }
        self.people.insert((msg.platform, msg.author.id.clone()));
        // O(1) a message: a flood of 2,000 a second keeps 120,000 stamps.
        self.recent.push_back(msg.at_ms);
        self.newest = self.newest.max(msg.at_ms);
        while self.recent.front().is_some_and(|t| *t + RATE_WINDOW_MS < self.newest) {
            self.recent.pop_front();
        }
        if Flags(flags).contains(Flags::QUESTION) {
            self.questions += 1;
            self.waiting.insert(seq, msg.at_ms);
        }
    }

    /// Message `seq` marked answered at `at_ms` (None: an older log's
    /// record, without its time).
    pub fn answered(&mut self, seq: u64, at_ms: Option<u64>) {
        if self.off {
            return;
        }
        if let Some(asked) = self.waiting.remove(&seq) {
            self.answered += 1;
            if let Some(at) = at_ms {
                self.waits.push(at.saturating_sub(asked));
            }
        }
    }

    pub fn commenters(&self) -> u64 {
        self.people.len() as u64
    }

    /// Comments stamped within the minute before `now_ms`.
    pub fn last_minute(&self, now_ms: u64) -> u64 {
        self.recent
            .iter()
            .filter(|t| **t + RATE_WINDOW_MS >= now_ms && **t <= now_ms + RATE_WINDOW_MS)
            .count() as u64
    }

    /// Per platform that spoke or counted its viewers, in `Platform::ALL`'s order.
    pub fn platforms(&self) -> Vec<PlatformCount> {
        Platform::ALL
            .iter()
            .filter_map(|p| {
                let comments = self.per_platform.iter().find(|c| c.0 == *p).map(|c| c.1);
                let viewers = self.viewers.iter().find(|v| v.0 == *p);
                if comments.is_none() && viewers.is_none() {
                    return None;
                }
                Some(PlatformCount {
                    platform: *p,
                    comments: comments.unwrap_or(0),
                    commenters: self.people.iter().filter(|(q, _)| q == p).count() as u64,
                    viewers: viewers.map(|v| v.1),
                    peak_viewers: viewers.map(|v| v.2),
                })
            })
            .collect()
    }

    /// The median wait for an answer, ms.
    pub fn median_answer_ms(&self) -> Option<u64> {
        let mut w = self.waits.clone();
        if w.is_empty() {
            return None;
        }
        w.sort_unstable();
        let m = w.len() / 2;
        Some(if w.len() % 2 == 1 { w[m] } else { (w[m - 1] + w[m]) / 2 })
    }
}

/// One currency's takings: revenue in minor units and who paid it.
#[derive(Debug, Clone, PartialEq)]
pub struct Takings {
    pub currency: String,
    pub minor: i64,
    pub buyers: u64,
}

impl Takings {
    /// Average order value: revenue / buyers, rounded half up.
    pub fn aov_minor(&self) -> i64 {
        let n = self.buyers.max(1) as i64;
        (2 * self.minor + n) / (2 * n)
    }
}

/// One product's standing claims (a product has one currency).
#[derive(Debug, Clone, PartialEq)]
pub struct ProductTally {
    pub code: String,
    pub currency: String,
    pub claims: u64,
    pub units: u64,
    pub minor: i64,
    pub waitlisted_units: u64,
}

/// A buyer: their platform and the platform's id for them.
type Buyer<'a> = (Platform, &'a str);

/// What the claims add up to, as they stand: claimed ones are sales,
/// waitlisted and cancelled ones are counted apart (docs/report.md).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Sales {
    pub claims: u64,
    pub units: u64,
    pub buyers: u64,
    pub waitlisted_claims: u64,
    pub waitlisted_units: u64,
    pub cancelled_claims: u64,
    /// Per currency, in code order.
    pub takings: Vec<Takings>,
    /// Per product code, in the order first claimed.
    pub products: Vec<ProductTally>,
}

impl Sales {
    pub fn of<'a>(claims: impl IntoIterator<Item = &'a Claim>) -> Sales {
        let mut s = Sales::default();
        let mut buyers: HashSet<Buyer> = HashSet::new();
        let mut per_currency: std::collections::BTreeMap<&str, (i64, HashSet<Buyer>)> = Default::default();
        for c in claims {
            let i = match s.products.iter().position(|p| p.code == c.code) {
                Some(i) => i,
                None => {
                    s.products.push(ProductTally {
                        code: c.code.clone(),
                        currency: c.currency.clone(),
                        claims: 0,
                        units: 0,
                        minor: 0,
                        waitlisted_units: 0,
                    });
                    s.products.len() - 1
                }
            };
            let p = &mut s.products[i];
            match c.status {
                Status::Claimed => {
                    let minor = Money::parse(&c.unit_price, &c.currency).map_or(0, |m| m.minor * c.quantity as i64);
                    s.claims += 1;
                    s.units += c.quantity as u64;
                    buyers.insert((c.platform, &c.buyer_id));
                    let cur = per_currency.entry(&c.currency).or_default();
                    cur.0 += minor;
                    cur.1.insert((c.platform, &c.buyer_id));
                    p.claims += 1;
                    p.units += c.quantity as u64;
                    p.minor += minor;
                }
                Status::Waitlisted => {
                    s.waitlisted_claims += 1;
                    s.waitlisted_units += c.quantity as u64;
                    p.waitlisted_units += c.quantity as u64;
                }
                Status::Cancelled => s.cancelled_claims += 1,
            }
        }
        s.buyers = buyers.len() as u64;
        s.takings = per_currency
            .into_iter()
            .map(|(currency, (minor, who))| Takings {
                currency: currency.to_string(),
                minor,
                buyers: who.len() as u64,
            })
            .collect();
        s
    }
}

/// `minor` units of `currency` as a plain decimal ("57.50").
pub fn decimal(minor: i64, currency: &str) -> String {
    Money::from_minor(minor, currency).map_or_else(|_| format!("{minor}"), |m| m.decimal())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Author;

    fn msg(id: &str, who: &str, platform: Platform, at_ms: u64) -> Message {
        Message {
            platform,
            id: id.into(),
            author: Author {
                id: who.into(),
                name: who.into(),
                avatar: None,
                badges: Vec::new(),
            },
            text: "hi".into(),
            at_ms,
            kind: Kind::Text,
        }
    }

    #[test]
    fn counts_people_per_platform_the_last_minute_and_answer_waits() {
        let mut m = Metrics::default();
        m.message(1, &msg("a", "ann", Platform::TikTok, 1_000), Flags::QUESTION.0);
        m.message(2, &msg("b", "ann", Platform::TikTok, 30_000), 0);
        m.message(3, &msg("c", "ann", Platform::YouTube, 90_000), Flags::QUESTION.0);
        m.message(4, &msg("d", "bob", Platform::YouTube, 100_000), Flags::QUESTION.0);
        let mut join = msg("e", "cat", Platform::YouTube, 100_000);
        join.kind = Kind::Join;
        m.message(5, &join, 0);
        assert_eq!((m.comments, m.commenters()), (4, 3));
        assert_eq!(
            m.platforms(),
            [
                PlatformCount {
                    platform: Platform::TikTok,
                    comments: 2,
                    commenters: 1,
                    viewers: None,
                    peak_viewers: None,
                },
                PlatformCount {
                    platform: Platform::YouTube,
                    comments: 2,
                    commenters: 2,
                    viewers: None,
                    peak_viewers: None,
                },
            ]
        );
        assert_eq!(m.viewers_now(), None);
        for (platform, count) in [(Platform::Twitch, 40), (Platform::YouTube, 120), (Platform::Twitch, 25)] {
            m.viewers(&ViewerCount {
                platform,
                count,
                at_ms: 100_000,
            });
        }
        assert_eq!(m.viewers_now(), Some(145), "the latest of each");
        let p = m.platforms();
        assert_eq!(p.len(), 3, "Twitch counted viewers without a comment");
        assert_eq!(
            (p[2].platform, p[2].comments, p[2].viewers, p[2].peak_viewers),
            (Platform::Twitch, 0, Some(25), Some(40))
        );
        assert_eq!((p[1].viewers, p[1].peak_viewers), (Some(120), Some(120)));
        assert_eq!(m.last_minute(100_000), 2, "the comments from 40 s on");
        m.answered(1, Some(11_000));
        m.answered(3, Some(120_000));
        m.answered(3, Some(130_000)); // twice is once
        m.answered(2, Some(50_000)); // not a question
        m.answered(4, None); // an older log's answer, without its time
        assert_eq!((m.questions, m.answered), (3, 3));
        assert_eq!(m.median_answer_ms(), Some(20_000), "10 s and 30 s");
    }
}
