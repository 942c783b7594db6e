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
