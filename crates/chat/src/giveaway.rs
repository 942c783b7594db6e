//! Giveaways: entries by a keyword from every chat platform during a
//! window, one per person per platform, blocked users left out; the draw
//! uses a seed written in the chat log, so anyone can draw again from the
//! log and get the same winner (docs/chat.md, "Giveaways").

use super::model::Platform;
use serde::{Deserialize, Serialize};

/// One person's entry.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Entrant {
    pub platform: Platform,
    pub user_id: String,
    pub name: String,
    /// The comment that entered them.
    pub message_id: String,
}

/// A draw as logged: the seed, how many could win, and who did (an index
/// into the giveaway's entries).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Draw {
    pub seed: u64,
    pub eligible: usize,
    pub winner: usize,
    /// The winner as entered (so the log reads without the entries).
    pub name: String,
    pub platform: Platform,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Giveaway {
    /// From 1.
    pub id: u64,
    pub keyword: String,
    /// `keyword` folded and padded for whole-word matching.
    pub(crate) folded: Vec<String>,
    pub starts_ms: u64,
    pub ends_ms: u64,
    pub entries: Vec<Entrant>,
    pub draws: Vec<Draw>,
}

impl Giveaway {
    pub fn new(id: u64, keyword: String, starts_ms: u64, ends_ms: u64) -> Giveaway {
        Giveaway {
            id,
            folded: super::triage::fold_words(std::slice::from_ref(&keyword)),
            keyword,
            starts_ms,
            ends_ms,
            entries: Vec::new(),
            draws: Vec::new(),
        }
    }

    pub fn open_at(&self, now_ms: u64) -> bool {
        (self.starts_ms..self.ends_ms).contains(&now_ms)
    }

    /// Whether a comment enters: the keyword as a word, in any case.
    pub fn matches(&self, text: &str) -> bool {
        super::triage::blocked(text, &self.folded).is_some()
    }

    pub fn entered(&self, platform: Platform, user_id: &str) -> bool {
        self.entries
            .iter()
            .any(|e| e.platform == platform && e.user_id == user_id)
    }

    /// The entries that may win now, in entry order: not blocked, not
    /// already drawn.
    pub fn eligible(&self, blocked: impl Fn(Platform, &str) -> bool) -> Vec<usize> {
        (0..self.entries.len())
            .filter(|i| !self.draws.iter().any(|d| d.winner == *i))
            .filter(|i| !blocked(self.entries[*i].platform, &self.entries[*i].user_id))
            .collect()
    }
}

/// SplitMix64's output for `seed`: the draw's one random number, simple
/// enough to re-implement anywhere (docs/chat.md gives it in Python).
pub fn splitmix64(seed: u64) -> u64 {
    let mut z = seed.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// Which of `eligible` entries wins with `seed`: its position is
/// splitmix64(seed) mod the number eligible.
pub fn pick(eligible: &[usize], seed: u64) -> Option<usize> {
    if eligible.is_empty() {
        return None;
    }
    Some(eligible[(splitmix64(seed) % eligible.len() as u64) as usize])
}

/// A fresh seed (it is logged, so nothing has to be kept secret after).
pub fn new_seed() -> u64 {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u128(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0),
    );
    h.finish()
}

/// The entries as CSV, with who could win and who did.
pub fn to_csv(g: &Giveaway, blocked: impl Fn(Platform, &str) -> bool) -> Result<String, String> {
    let mut w = csv::Writer::from_writer(Vec::new());
    let fmt = |e: csv::Error| e.to_string();
    w.write_record([
        "giveaway",
        "keyword",
        "platform",
        "user_id",
        "name",
        "comment_id",
        "eligible",
        "drawn",
    ])
    .map_err(fmt)?;
    let eligible = g.eligible(&blocked);
    for (i, e) in g.entries.iter().enumerate() {
        let drawn = g
            .draws
            .iter()
            .position(|d| d.winner == i)
            .map(|n| (n + 1).to_string())
            .unwrap_or_default();
        w.write_record([
            g.id.to_string(),
            g.keyword.clone(),
            e.platform.id().to_string(),
            e.user_id.clone(),
            e.name.clone(),
            e.message_id.clone(),
            (eligible.contains(&i) || !drawn.is_empty()).to_string(),
            drawn,
        ])
        .map_err(fmt)?;
    }
    String::from_utf8(w.into_inner().map_err(|e| e.to_string())?).map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_draw_is_splitmix64_of_the_seed_mod_the_eligible() {
        // SplitMix64's reference values (seed 0 → first output).
        assert_eq!(splitmix64(0), 0xE220_A839_7B1D_CDAF);
        assert_eq!(
            pick(&[3, 5, 9], 0),
            Some([3, 5, 9][(0xE220_A839_7B1D_CDAFu64 % 3) as usize])
        );
        assert_eq!(pick(&[], 1), None);
        let g = Giveaway::new(1, "WIN".into(), 0, 10);
        assert!(g.matches("i want to win!") && g.matches("WIN") && !g.matches("winner"));
    }
}

#[cfg(test)]
mod draw_tests {
    use super::*;
    use crate::ledger::Ledger;
    use crate::log::Record;
    use crate::model::{Author, Kind, Message};
    use crate::state::{Action, ChatState};

    fn msg(platform: Platform, id: &str, who: &str, text: &str) -> Message {
        Message {
            platform,
            id: id.into(),
            author: Author {
                id: who.into(),
                name: format!("{who} on {}", platform.name()),
                avatar: None,
                badges: vec![],
            },
            text: text.into(),
            at_ms: 1_764_000_000_000,
            kind: Kind::Text,
        }
    }

    fn apply_all(s: &mut ChatState, records: Vec<Record>, log: &mut Vec<Record>) {
        for r in records {
            log.push(r.clone());
            s.apply(r);
        }
    }

    #[test]
    fn two_hundred_entries_from_three_platforms_draw_the_same_winner_from_the_log() {
        let new_state = || ChatState::new(Ledger::new(Default::default()), &["sold"], Vec::new());
        let mut s = new_state();
        let mut log = Vec::new();
        let start = s
            .decide_action(Action::StartGiveaway {
                keyword: "WIN".into(),
                seconds: 60,
            })
            .unwrap();
        apply_all(&mut s, start, &mut log);
        // A second one while the first is open: refused.
        assert!(
            s.decide_action(Action::StartGiveaway {
                keyword: "x".into(),
                seconds: 5
            })
            .is_err()
        );
        let platforms = [Platform::TikTok, Platform::YouTube, Platform::Twitch];
        // Blocked before entering: the comment is hidden, no entry.
        apply_all(
            &mut s,
            vec![Record::Block {
                platform: Platform::TikTok,
                user_id: "u3".into(),
                name: "u3".into(),
            }],
            &mut log,
        );
        let mut n = 0;
        let mut say = |s: &mut ChatState, log: &mut Vec<Record>, p: Platform, who: &str, text: &str| {
            n += 1;
            let r = s.decide_message(msg(p, &format!("m{n}"), who, text));
            apply_all(s, r, log);
        };
        for i in 0..200 {
            say(&mut s, &mut log, platforms[i % 3], &format!("u{i}"), "I want to win!");
        }
        // Repeats (one entry per person per platform), no keyword, the same
        // person on another platform (a second entry: one per platform).
        for i in 0..30 {
            say(&mut s, &mut log, platforms[i % 3], &format!("u{i}"), "win win WIN");
        }
        say(&mut s, &mut log, Platform::YouTube, "u1", "hello");
        say(&mut s, &mut log, Platform::YouTube, "u0", "win");
        assert_eq!(s.giveaways[0].entries.len(), 200, "199 people + u0 on YouTube");
        // Blocked after entering: left out of the draw.
        apply_all(
            &mut s,
            vec![Record::Block {
                platform: Platform::YouTube,
                user_id: "u7".into(),
                name: "u7".into(),
            }],
            &mut log,
        );
        assert!(
            s.decide_action(Action::DrawGiveaway {
                giveaway: 1,
                seed: Some(1)
            })
            .unwrap_err()
            .to_string()
            .contains("draw it after")
        );
        // The window is over (the test moves its end instead of waiting).
        s.giveaways[0].ends_ms = crate::log::now_ms();
        for r in &mut log {
            if let Record::Giveaway { ends_ms, .. } = r {
                *ends_ms = crate::log::now_ms();
            }
        }
        let g = &s.giveaways[0];
        let eligible = g.eligible(|p, u| s.blocked_users.iter().any(|(bp, bu, _)| *bp == p && bu == u));
        let names: Vec<(Platform, &str)> = eligible
            .iter()
            .map(|i| (g.entries[*i].platform, g.entries[*i].user_id.as_str()))
            .collect();
        assert_eq!(names.len(), 199);
        assert!(!names.contains(&(Platform::TikTok, "u3")) && !names.contains(&(Platform::YouTube, "u7")));
        assert!(names.contains(&(Platform::YouTube, "u0")) && names.contains(&(Platform::TikTok, "u0")));
        let draw = s
            .decide_action(Action::DrawGiveaway {
                giveaway: 1,
                seed: None,
            })
            .unwrap();
        let Record::GiveawayDraw { draw: d, .. } = draw[0].clone() else {
            panic!()
        };
        assert_eq!(d.eligible, 199);
        assert_eq!(Some(d.winner), pick(&eligible, d.seed));
        apply_all(&mut s, draw, &mut log);

        // Anyone with the log: replay it, draw with the logged seed.
        let mut again = new_state();
        let mut logged_seed = None;
        for r in log.clone() {
            if let Record::GiveawayDraw { draw, .. } = &r {
                logged_seed = Some(draw.seed);
                continue;
            }
            again.apply(r);
        }
        let redo = again
            .decide_action(Action::DrawGiveaway {
                giveaway: 1,
                seed: logged_seed,
            })
            .unwrap();
        assert_eq!(
            redo,
            vec![log.last().unwrap().clone()],
            "the same winner from the same seed"
        );
        // A re-draw leaves the first winner out.
        let second = s
            .decide_action(Action::DrawGiveaway {
                giveaway: 1,
                seed: Some(d.seed),
            })
            .unwrap();
        let Record::GiveawayDraw { draw: d2, .. } = &second[0] else {
            panic!()
        };
        assert_eq!(d2.eligible, 198);
        assert_ne!(d2.winner, d.winner);
        apply_all(&mut s, second, &mut log);
        let csv = to_csv(&s.giveaways[0], |p, u| {
            s.blocked_users.iter().any(|(bp, bu, _)| *bp == p && bu == u)
        })
        .unwrap();
        assert_eq!(csv.lines().count(), 201);
        assert_eq!(
            csv.lines().filter(|l| l.ends_with(",1") || l.ends_with(",2")).count(),
            2
        );
        assert_eq!(csv.lines().filter(|l| l.contains(",false,")).count(), 1, "u7, blocked");
    }
}
