//! Comment auctions (docs/chat.md, "Auctions"): bids are comments — "BID
//! 25", "25", "$25" — taken while an auction is open, each at least the
//! start price, then the leading bid plus the step; a bid in the last
//! seconds extends the timer (anti-sniping); the leading bid wins and
//! becomes a claim at that price. Every bid, refused bid and the clock
//! itself are records in the chat log, so a restart after kill -9 comes
//! back with the same bids and the time that was left.

use super::model::Platform;
use crate::products::price::Money;
use serde::{Deserialize, Serialize};

/// Bid-shaped comments this long after an auction ended are refused
/// ("the auction ended 3 s ago") rather than read as chat.
pub const LATE_BIDS_MS: u64 = 60_000;
/// While an auction is open the log gets its clock this often, so a restart
/// knows how much time was left.
pub const CLOCK_EVERY_MS: u64 = 1_000;

/// An auction as it was started (logged).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuctionStart {
    /// From 1, in the order auctions were started.
    pub id: u64,
    pub product_id: String,
    pub code: String,
    pub currency: String,
    /// The lowest first bid, a decimal ("25.00").
    pub start: String,
    /// The least a bid must add to the leading one.
    pub step: String,
    pub starts_ms: u64,
    pub ends_ms: u64,
    /// A bid with less than this left puts the time left back to it (0: off).
    pub extend_s: u64,
}

/// What the crew asks for: the chat fills in the rest.
#[derive(Debug, Clone, PartialEq)]
pub struct AuctionRequest {
    /// Claim code or product id.
    pub product: String,
    pub start: String,
    pub step: String,
    pub seconds: u64,
    pub extend_s: u64,
}

/// A bid taken (logged).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Bid {
    /// The comment's sequence number in the chat.
    pub seq: u64,
    pub platform: Platform,
    pub user_id: String,
    pub name: String,
    pub message_id: String,
    /// A decimal in the auction's currency.
    pub amount: String,
    pub at_ms: u64,
}

/// A bid refused, with why (logged; the comment is in the moderator's
/// queue with the same words unless a block hid it).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Refused {
    pub seq: u64,
    pub platform: Platform,
    pub name: String,
    /// What the comment said.
    pub text: String,
    pub why: String,
    pub at_ms: u64,
}

/// How an auction ended (logged).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Ended {
    pub at_ms: u64,
    /// The winning bid's index in `bids` (None: no bids).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub winner: Option<usize>,
    /// The winner's name and price (so the log reads without the bids).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub price: Option<String>,
    /// The claim the winning bid became.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub claim: Option<u64>,
    /// "time" or "ended by the crew".
    pub how: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Auction {
    pub start: AuctionStart,
    /// When it ends now (extensions and a restart move it).
    pub ends_ms: u64,
    pub bids: Vec<Bid>,
    pub refused: Vec<Refused>,
    pub ended: Option<Ended>,
    /// Times a bid extended it.
    pub extensions: u32,
    /// The last time the log heard of it, and the time left then.
    pub alive_ms: u64,
    pub left_ms: u64,
}

impl Auction {
    pub fn new(start: AuctionStart) -> Auction {
        Auction {
            ends_ms: start.ends_ms,
            alive_ms: start.starts_ms,
            left_ms: start.ends_ms - start.starts_ms,
            bids: Vec::new(),
            refused: Vec::new(),
            ended: None,
            extensions: 0,
            start,
        }
    }

    pub fn id(&self) -> u64 {
        self.start.id
    }

    pub fn open_at(&self, now_ms: u64) -> bool {
        self.ended.is_none() && now_ms < self.ends_ms
    }

    fn money(&self, decimal: &str) -> Option<Money> {
        Money::parse(decimal, &self.start.currency).ok()
    }

    pub fn leading(&self) -> Option<&Bid> {
        self.bids.last()
    }

    /// The price now: the leading bid, or the start price.
    pub fn price(&self) -> String {
        self.leading()
            .map_or_else(|| self.start.start.clone(), |b| b.amount.clone())
    }

    /// The least the next bid may be.
    pub fn next_minimum(&self) -> Option<Money> {
        let start = self.money(&self.start.start)?;
        match self.leading() {
            None => Some(start),
            Some(b) => {
                let lead = self.money(&b.amount)?;
                let step = self.money(&self.start.step)?;
                Some(Money {
                    minor: lead.minor + step.minor,
                    currency: lead.currency,
                })
            }
        }
    }

    /// Whether `amount` is a good bid now, else why not.
    pub fn judge(&self, amount: &Money) -> Result<(), String> {
        let min = self
            .next_minimum()
            .ok_or_else(|| "the auction's prices cannot be read".to_string())?;
        if amount.minor < min.minor {
            return Err(match self.leading() {
                None => format!("under the start price: the first bid is at least {}", min.decimal()),
                Some(b) => format!(
                    "under the step: the leading bid is {}, the next is at least {}",
                    b.amount,
                    min.decimal()
                ),
            });
        }
        Ok(())
    }

    /// When the auction ends if a bid comes at `now_ms`: a bid in the last
    /// `extend_s` puts the time left back to `extend_s`.
    pub fn ends_after_bid(&self, now_ms: u64) -> u64 {
        let extend = self.start.extend_s * 1000;
        if extend > 0 && self.ends_ms.saturating_sub(now_ms) < extend {
            now_ms + extend
        } else {
            self.ends_ms
        }
    }
}

/// The amount a comment bids, if it is a bid: the whole comment is an
/// amount, optionally after "bid" and with the currency's sign or code
/// before or after it ("BID 25", "bid: 25.50", "25", "$25", "25$", "25
/// usd", "€25,50"). Some(Err) when it is bid-shaped but not a price in the
/// currency (too many decimals, too large).
pub fn parse_bid(text: &str, currency: &str) -> Option<Result<Money, String>> {
    let lower = text.trim().to_lowercase();
    let mut t = lower.as_str();
    if let Some(rest) = t.strip_prefix("bid") {
        // "bid25" is a bid; "bidding" is not.
        if rest.starts_with(|c: char| c.is_alphabetic()) {
            return None;
        }
        t = rest.trim_start_matches([':', ' ', '\t']);
    }
    t = t.trim_end_matches(['!', ' ']).trim();
    let code = currency.to_lowercase();
    let signs = ["us$", "r$", "a$", "c$", "$", "€", "£", "¥", "₹", "₩", "₺", "₱", "zł"];
    for s in signs.iter().copied().chain(std::iter::once(code.as_str())) {
        if let Some(r) = t.strip_prefix(s) {
            t = r.trim_start();
            break;
        }
        if let Some(r) = t.strip_suffix(s) {
            t = r.trim_end();
            break;
        }
    }
    // Digits, with one '.' or ',' as the decimal point; a ',' before three
    // digits groups thousands ("1,000").
    let number: String = match t.split_once(',') {
        Some((w, f)) if f.len() == 3 && !f.contains(['.', ',']) => format!("{w}{f}"),
        Some((w, f)) => format!("{w}.{f}"),
        None => t.to_string(),
    };
    let (w, f) = number.split_once('.').unwrap_or((&number, ""));
    if w.is_empty() || !w.bytes().all(|b| b.is_ascii_digit()) || !f.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some(Money::parse(&number, currency).map_err(|e| format!("not a bid in {currency}: {e}")))
}

/// What the card and the crew see of the auction on now.
#[derive(Debug, Clone, PartialEq)]
pub struct AuctionView {
    pub id: u64,
    pub product_id: String,
    pub code: String,
    pub currency: String,
    /// The leading bid, or the start price with no bids.
    pub price: String,
    pub leader: Option<String>,
    pub bids: usize,
    pub ends_ms: u64,
}

impl AuctionView {
    pub fn of(a: &Auction) -> AuctionView {
        AuctionView {
            id: a.id(),
            product_id: a.start.product_id.clone(),
            code: a.start.code.clone(),
            currency: a.start.currency.clone(),
            price: a.price(),
            leader: a.leading().map(|b| b.name.clone()),
            bids: a.bids.len(),
            ends_ms: a.ends_ms,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bids_are_read_in_the_shapes_people_type() {
        let m = |t: &str| parse_bid(t, "USD").map(|r| r.map(|m| m.minor));
        assert_eq!(m("BID 25"), Some(Ok(2500)));
        assert_eq!(m("bid: 25.50"), Some(Ok(2550)));
        assert_eq!(m("bid25"), Some(Ok(2500)));
        assert_eq!(m("25"), Some(Ok(2500)));
        assert_eq!(m(" $25 "), Some(Ok(2500)));
        assert_eq!(m("25$"), Some(Ok(2500)));
        assert_eq!(m("25 usd"), Some(Ok(2500)));
        assert_eq!(m("25!"), Some(Ok(2500)));
        assert_eq!(m("1,000"), Some(Ok(100_000)));
        assert_eq!(m("25,5"), Some(Ok(2550)));
        assert!(matches!(m("25.555"), Some(Err(_))));
        for not in [
            "bidding 25",
            "I have 2 kids",
            "sold a1",
            "25 for the blue one",
            "",
            "bid",
            "$",
        ] {
            assert_eq!(m(not), None, "{not}");
        }
        assert_eq!(parse_bid("€30", "EUR").unwrap().unwrap().minor, 3000);
        assert_eq!(parse_bid("3000", "JPY").unwrap().unwrap().minor, 3000);
    }
}

#[cfg(test)]
mod state_tests {
    use super::*;
    use crate::ledger::{Ledger, Status};
    use crate::log::Record;
    use crate::model::{Author, Kind, Message};
    use crate::products::catalog::import_csv;
    use crate::state::{Action, ChatState};
    use crate::triage::Flags;

    fn state() -> ChatState {
        let (catalog, problems) = import_csv(
            "id,code,title,option,price,currency,stock\nmug,B2,Mug,,18,USD,3\n",
            "t.csv",
            None,
        );
        assert!(problems.is_empty(), "{problems:?}");
        ChatState::new(Ledger::new(catalog), &["sold"], Vec::new())
    }

    fn msg(id: &str, who: &str, text: &str) -> Message {
        Message {
            platform: Platform::TikTok,
            id: id.into(),
            author: Author {
                id: who.into(),
                name: who.into(),
                avatar: None,
                badges: vec![],
            },
            text: text.into(),
            at_ms: 1_764_000_000_000,
            kind: Kind::Text,
        }
    }

    /// Applies what `records` say and keeps them, as the write loop does.
    fn commit(s: &mut ChatState, log: &mut Vec<Record>, records: Vec<Record>) -> Vec<Record> {
        for r in &records {
            log.push(r.clone());
            s.apply(r.clone());
        }
        records
    }

    fn refused_why(records: &[Record]) -> Option<&str> {
        records.iter().find_map(|r| match r {
            Record::BidRefused { refused, .. } => Some(refused.why.as_str()),
            _ => None,
        })
    }

    #[test]
    fn bids_the_step_a_snipe_a_block_a_late_bid_and_a_restart_give_one_exact_winner() {
        let t0 = 1_800_000_000_000u64;
        let mut s = state();
        let mut log = Vec::new();
        let req = |code: &str, seconds| AuctionRequest {
            product: code.into(),
            start: "20".into(),
            step: "2".into(),
            seconds,
            extend_s: 10,
        };
        assert!(
            s.decide_action_at(Action::StartAuction(req("B2", 2)), t0).is_err(),
            "under 5 s"
        );
        assert!(
            s.decide_action_at(Action::StartAuction(req("ZZ", 30)), t0).is_err(),
            "no such code"
        );
        let start = s.decide_action_at(Action::StartAuction(req("b2", 30)), t0).unwrap();
        commit(&mut s, &mut log, start);
        let again = s
            .decide_action_at(Action::StartAuction(req("B2", 30)), t0 + 500)
            .unwrap_err();
        assert!(again.to_string().contains("one auction at a time"), "{again}");
        let mut n = 0;
        let mut say = |s: &mut ChatState, log: &mut Vec<Record>, who: &str, text: &str, at: u64| {
            n += 1;
            let r = s.decide_message_at(msg(&format!("m{n}"), who, text), t0 + at);
            commit(s, log, r)
        };
        // Under the start price, then the first bid, then under the step.
        let r = say(&mut s, &mut log, "zoe", "19", 500);
        assert!(refused_why(&r).unwrap().contains("under the start price"), "{r:?}");
        let r = say(&mut s, &mut log, "alice", "BID 20", 1_000);
        assert!(matches!(&r[1], Record::Bid { ends_ms, .. } if *ends_ms == t0 + 30_000));
        let r = say(&mut s, &mut log, "bob", "21", 2_000);
        assert_eq!(
            refused_why(&r),
            Some("under the step: the leading bid is 20.00, the next is at least 22.00")
        );
        say(&mut s, &mut log, "bob", "$22", 3_000);
        // Chat that only looks like chat is not a bid.
        let r = say(&mut s, &mut log, "bob", "22 for the blue one?", 3_500);
        assert_eq!(r.len(), 1);
        // A blocked bidder: refused, hidden, not put to the moderator.
        commit(
            &mut s,
            &mut log,
            vec![Record::Block {
                platform: Platform::TikTok,
                user_id: "carol".into(),
                name: "carol".into(),
            }],
        );
        let r = say(&mut s, &mut log, "carol", "30", 4_000);
        assert_eq!(refused_why(&r), Some("blocked user"));
        // The clock goes into the log once a second, not on every tick.
        assert!(matches!(s.decide_tick(t0 + 3_500)[..], []));
        let clock = s.decide_tick(t0 + 10_000);
        assert!(matches!(clock[..], [Record::AuctionClock { left_ms: 20_000, .. }]));
        commit(&mut s, &mut log, clock);
        // A snipe 5 s before the end: the end moves to 10 s after it.
        let r = say(&mut s, &mut log, "dave", "bid 25", 25_000);
        assert!(matches!(&r[1], Record::Bid { ends_ms, .. } if *ends_ms == t0 + 35_000));
        let clock = s.decide_tick(t0 + 26_000);
        assert!(matches!(clock[..], [Record::AuctionClock { left_ms: 9_000, .. }]));
        commit(&mut s, &mut log, clock);
        let a = s.auctions.last().unwrap();
        assert_eq!((a.bids.len(), a.refused.len(), a.extensions), (3, 3, 1));

        // kill -9 here; the show comes back 74 s later from the log alone.
        let t1 = t0 + 100_000;
        let mut back = state();
        for r in log.clone() {
            back.apply(r);
        }
        let resume = back.decide_resume(t1);
        assert!(matches!(&resume[..], [Record::AuctionResume { ends_ms, .. }] if *ends_ms == t1 + 9_000));
        commit(&mut back, &mut log, resume);
        let (a, b) = (s.auctions.last().unwrap(), back.auctions.last().unwrap());
        assert_eq!((&a.bids, &a.refused, a.extensions), (&b.bids, &b.refused, b.extensions));
        assert_eq!(b.price(), "25.00");
        assert_eq!(b.next_minimum().unwrap().decimal(), "27.00");
        assert!(
            back.decide_tick(t1 + 8_999)
                .iter()
                .all(|r| matches!(r, Record::AuctionClock { .. }))
        );

        // Time is up: dave wins at 25.00, one unit, a claim at that price.
        let end = back.decide_tick(t1 + 9_000);
        commit(&mut back, &mut log, end.clone());
        let Record::AuctionEnd { ended, .. } = &end[0] else {
            panic!("{end:?}")
        };
        assert_eq!(
            (ended.name.as_deref(), ended.price.as_deref(), ended.how.as_str()),
            (Some("dave"), Some("25.00"), "time")
        );
        let claim = back.ledger.claims().last().unwrap();
        assert_eq!(Some(claim.id), ended.claim);
        assert_eq!(
            (
                claim.buyer.as_str(),
                claim.code.as_str(),
                claim.quantity,
                claim.unit_price.as_str(),
                claim.status,
                claim.price_why.as_deref()
            ),
            (
                "dave",
                "B2",
                1,
                "25.00",
                Status::Claimed,
                Some("auction 1: winning bid")
            )
        );
        assert_eq!(back.ledger.left(0, 0), Some(2));
        assert!(back.decide_tick(t1 + 9_500).is_empty(), "ended once");

        // A bid 3 s after the end: refused with why, in the moderator's queue.
        let r = back.decide_message_at(msg("late", "erin", "30"), t1 + 12_000);
        assert_eq!(refused_why(&r), Some("auction 1 ended 3 s ago"));
        commit(&mut back, &mut log, r);
        let queued: Vec<(&str, Option<&str>)> = back
            .queue()
            .filter(|e| e.flags.contains(Flags::BID_REFUSED))
            .map(|e| (e.msg.author.name.as_str(), e.check.as_deref()))
            .collect();
        let names: Vec<&str> = queued.iter().map(|q| q.0).collect();
        assert_eq!(names, ["zoe", "bob", "erin"], "carol is blocked: hidden, not queued");
        assert_eq!(queued[2].1, Some("bid refused: auction 1 ended 3 s ago"));
        // The question that only looked like a bid is a question.
        assert!(
            back.queue()
                .any(|e| e.msg.text == "22 for the blue one?" && e.check.is_none())
        );
        // A minute after the end, numbers are chat again.
        assert!(refused_why(&back.decide_message_at(msg("x", "finn", "30"), t1 + 80_000)).is_none());
        // A new auction may start now.
        assert!(
            back.decide_action_at(Action::StartAuction(req("B2", 30)), t1 + 80_000)
                .is_ok()
        );
    }
}
