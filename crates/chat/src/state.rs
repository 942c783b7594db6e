//! What the panel shows: the merged messages (the newest `MAX_IN_MEMORY`;
//! all of them stay in the log), the host queue, blocked users and words,
//! and the claims ledger. Every change goes through a `Record`: `decide`
//! turns an input into records, `apply` makes them true. Live and replay
//! share `apply`, so what is on screen after a restart is what was logged.

use super::claims::{ClaimParser, Parsed};
use super::ledger::{Ledger, Status};
use super::log::Record;
use super::model::{Kind, Message, Platform};
use super::triage::{self, Flags};
use std::collections::{HashSet, VecDeque};

/// Messages kept in memory for the panel; older ones are only in the log.
pub const MAX_IN_MEMORY: usize = 50_000;
/// Bytes of messages kept in memory (`Message::size`); the oldest go first.
/// With the count above, memory is bounded whatever the messages hold.
pub const MAX_BYTES_IN_MEMORY: usize = 64 << 20;

#[derive(Debug, Clone)]
pub struct Entry {
    pub seq: u64,
    pub msg: Message,
    pub flags: Flags,
    pub hidden: Option<String>,
    pub answered: bool,
    /// Why a claim in this message needs a moderator.
    pub check: Option<String>,
    /// The claim this message made.
    pub claim: Option<u64>,
}

/// What moderators and the host do.
#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    Answered(u64),
    Hide(u64),
    Unhide(u64),
    /// Block the author of message `seq`.
    Block(u64),
    Unblock(Platform, String),
    SetBlockedWords(Vec<String>),
    /// Add one word to the blocked words, decided when its turn comes (two
    /// moderators adding words at once both get theirs).
    AddBlockedWord(String),
    CancelClaim(u64),
    /// Draft orders were made in the shop for these claims.
    Ordered(Vec<super::orders::Created>),
    /// Take giveaway entries by `keyword` for `seconds` from now.
    StartGiveaway {
        keyword: String,
        seconds: u64,
    },
    /// Draw giveaway `giveaway` (again: previous winners are left out);
    /// `seed` None: a fresh one (logged either way).
    DrawGiveaway {
        giveaway: u64,
        seed: Option<u64>,
    },
    /// Start a flash deal now.
    StartDeal(super::deals::DealRequest),
    /// End flash deal `id` now, before its time.
    EndDeal(u64),
    /// Start a comment auction now.
    StartAuction(super::auction::AuctionRequest),
    /// End auction `id` now: the leading bid wins.
    EndAuction(u64),
    /// A moderator settles an unclear claim in message `seq`.
    Claim {
        seq: u64,
        product: usize,
        variant: usize,
        quantity: u32,
    },
}

/// Why a moderator action (or a chat command) cannot be done.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ActionError {
    #[error("message {0} is no longer in memory")]
    Gone(u64),
    #[error("message {0} already made a claim")]
    AlreadyClaimed(u64),
    #[error("no such product")]
    NoProduct,
    #[error("choose a variant and a quantity of at least 1")]
    VariantOrQuantity,
    #[error("{0} items is more than one claim can hold ({max})", max = super::ledger::MAX_CLAIM_QUANTITY)]
    TooMany(u32),
    #[error("there is no claim {0}")]
    NoClaim(u64),
    #[error("claim {0} is already cancelled")]
    AlreadyCancelled(u64),
    #[error("add [chat] shopify_admin and shopify_token to the show to make draft orders")]
    NoShop,
    #[error("the chat has stopped")]
    Stopped,
    #[error("`{0}` is already a blocked word")]
    AlreadyBlocked(String),
    /// A flash deal that cannot start (its own words).
    #[error("{0}")]
    Deal(String),
    #[error("there is no flash deal {0} on now")]
    NoDeal(u64),
    /// A giveaway that cannot start or be drawn (its own words).
    #[error("{0}")]
    Giveaway(String),
    /// An auction that cannot start or end (its own words).
    #[error("{0}")]
    Auction(String),
    /// The chat log could not be written (its own words).
    #[error("{0}")]
    Log(String),
}

impl Action {
    /// Its name in events and errors.
    pub fn name(&self) -> &'static str {
        match self {
            Action::Answered(_) => "answered",
            Action::Hide(_) => "hide",
            Action::Unhide(_) => "unhide",
            Action::Block(_) => "block",
            Action::Unblock(..) => "unblock",
            Action::SetBlockedWords(_) | Action::AddBlockedWord(_) => "blocked_words",
            Action::CancelClaim(_) => "cancel_claim",
            Action::Ordered(_) => "draft_order",
            Action::Claim { .. } => "claim",
            Action::StartDeal(_) => "flash_deal",
            Action::StartGiveaway { .. } => "giveaway",
            Action::DrawGiveaway { .. } => "draw_giveaway",
            Action::EndDeal(_) => "end_flash_deal",
            Action::StartAuction(_) => "auction",
            Action::EndAuction(_) => "end_auction",
        }
    }
}

/// What is on sale now beside the regular prices.
#[derive(Debug, Clone, Default)]
pub struct OnSale {
    /// Open flash deals, each with its units left at the deal price.
    pub deals: Vec<(super::deals::Deal, Option<u32>)>,
    pub auction: Option<super::auction::AuctionView>,
}

pub struct ChatState {
    entries: VecDeque<Entry>,
    /// Sequence number of the next message.
    next_seq: u64,
    /// (platform, message id) of the messages in memory, to drop repeats
    /// (polling that fills a gap after a reconnect sees some twice).
    seen: HashSet<(Platform, String)>,
    pub blocked_users: Vec<(Platform, String, String)>,
    pub blocked_words: Vec<String>,
    folded_words: Vec<String>,
    pub ledger: Ledger,
    parser: ClaimParser,
    /// Bumped on every change, so the panel knows when to refresh.
    pub version: u64,
    /// Claims already in a Shopify draft order, and its name.
    pub ordered: std::collections::HashMap<u64, String>,
    /// `Message::size` of the entries in memory.
    bytes: usize,
    /// Every giveaway of the show, oldest first.
    pub giveaways: Vec<super::giveaway::Giveaway>,
    /// Every auction of the show, oldest first.
    pub auctions: Vec<super::auction::Auction>,
    /// The live figures: comments, people, questions (docs/report.md).
    pub metrics: super::metrics::Metrics,
}

impl ChatState {
    pub fn new(ledger: Ledger, keywords: &[&str], blocked_words: Vec<String>) -> ChatState {
        let parser = ClaimParser::new(ledger.catalog(), keywords);
        ChatState {
            entries: VecDeque::new(),
            next_seq: 1,
            seen: HashSet::new(),
            blocked_users: Vec::new(),
            folded_words: triage::fold_words(&blocked_words),
            blocked_words,
            ledger,
            parser,
            version: 0,
            ordered: Default::default(),
            bytes: 0,
            giveaways: Vec::new(),
            auctions: Vec::new(),
            metrics: Default::default(),
        }
    }

    pub fn entries(&self) -> &VecDeque<Entry> {
        &self.entries
    }
    /// Messages received in all (including those only in the log).
    pub fn total(&self) -> u64 {
        self.next_seq - 1
    }

    pub fn entry(&self, seq: u64) -> Option<&Entry> {
        let first = self.entries.front()?.seq;
        self.entries.get(seq.checked_sub(first)? as usize)
    }
    fn entry_mut(&mut self, seq: u64) -> Option<&mut Entry> {
        let first = self.entries.front()?.seq;
        self.entries.get_mut(seq.checked_sub(first)? as usize)
    }

    /// The host queue: flagged messages not yet answered or hidden, oldest
    /// first.
    pub fn queue(&self) -> impl Iterator<Item = &Entry> {
        self.entries
            .iter()
            .filter(|e| e.flags.any() && !e.answered && e.hidden.is_none())
    }

    /// Whether this person is blocked on this platform.
    pub fn is_blocked(&self, platform: Platform, user: &str) -> bool {
        self.blocked_users.iter().any(|(p, u, _)| *p == platform && u == user)
    }

    /// The records a new message makes (none if it is a repeat).
    pub fn decide_message(&self, msg: Message) -> Vec<Record> {
        self.decide_message_at(msg, super::log::now_ms())
    }

    /// `decide_message` with the clock read by the caller (tests, replay).
    pub fn decide_message_at(&self, msg: Message, now: u64) -> Vec<Record> {
        if self.seen.contains(&(msg.platform, msg.id.clone())) {
            return Vec::new();
        }
        let seq = self.next_seq;
        let mut flags = Flags::default();
        let mut hidden = None;
        let mut check = None;
        let mut claim = None;
        if self.is_blocked(msg.platform, &msg.author.id) {
            hidden = Some("blocked user".to_string());
        } else if let Some(w) = triage::blocked(&msg.text, &self.folded_words) {
            hidden = Some(format!("blocked word \"{w}\""));
        }
        if matches!(msg.kind, Kind::Text | Kind::Paid { .. }) && hidden.is_none() {
            flags = triage::classify(&msg.text);
            match self.parser.parse(&msg.text) {
                Parsed::None => {}
                Parsed::Claim {
                    product,
                    variant,
                    quantity,
                } => claim = Some(self.ledger.decide(&msg, product, variant, quantity)),
                Parsed::NeedsModerator(why) => {
                    flags.insert(Flags::CLAIM_CHECK);
                    check = Some(why);
                }
            }
            // A settled claim is not a question for the host.
            if claim.is_some() {
                flags = Flags::default();
            }
        }
        // A bid, while an auction is open (or just after: refused, late).
        let bid = if claim.is_none() && check.is_none() && matches!(msg.kind, Kind::Text | Kind::Paid { .. }) {
            self.decide_bid(seq, &msg, hidden.as_deref(), now)
        } else {
            None
        };
        if let Some(b) = &bid {
            match b {
                Record::Bid { .. } => flags = Flags::default(),
                Record::BidRefused { refused, .. } if hidden.is_none() => {
                    flags = Flags::BID_REFUSED;
                    check = Some(format!("bid refused: {}", refused.why));
                }
                _ => {}
            }
        }
        // A giveaway entry: the keyword while one is open, once per person
        // per platform, never from a hidden (blocked) comment.
        let entry = self
            .giveaways
            .iter()
            .rev()
            .find(|g| g.open_at(now))
            .filter(|_| hidden.is_none() && matches!(msg.kind, Kind::Text | Kind::Paid { .. }))
            .filter(|g| g.matches(&msg.text) && !g.entered(msg.platform, &msg.author.id))
            .map(|g| Record::Entry {
                giveaway: g.id,
                entrant: super::giveaway::Entrant {
                    platform: msg.platform,
                    user_id: msg.author.id.clone(),
                    name: msg.author.name.clone(),
                    message_id: msg.id.clone(),
                },
            });
        let mut records = vec![Record::Message {
            seq,
            msg,
            flags: flags.0,
            hidden,
            check,
        }];
        records.extend(claim.map(Record::Claim));
        records.extend(entry);
        records.extend(bid);
        records
    }

    /// The auction open at `now_ms`, or the one that ended last if it ended
    /// within `LATE_BIDS_MS`.
    fn auction_for_bids(&self, now_ms: u64) -> Option<&super::auction::Auction> {
        let a = self.auctions.last()?;
        let ended = a.ended.as_ref().map_or(a.ends_ms, |e| e.at_ms.min(a.ends_ms));
        (a.open_at(now_ms) || now_ms < ended + super::auction::LATE_BIDS_MS).then_some(a)
    }

    /// The record a bid-shaped comment makes: taken, or refused with why.
    fn decide_bid(&self, seq: u64, msg: &Message, hidden: Option<&str>, now_ms: u64) -> Option<Record> {
        let a = self.auction_for_bids(now_ms)?;
        let amount = super::auction::parse_bid(&msg.text, &a.start.currency)?;
        let refuse = |why: String| Record::BidRefused {
            auction: a.id(),
            refused: super::auction::Refused {
                seq,
                platform: msg.platform,
                name: msg.author.name.clone(),
                text: msg.text.clone(),
                why,
                at_ms: now_ms,
            },
        };
        if !a.open_at(now_ms) {
            let ended = a.ended.as_ref().map_or(a.ends_ms, |e| e.at_ms.min(a.ends_ms));
            return Some(refuse(format!(
                "auction {} ended {} s ago",
                a.id(),
                now_ms.saturating_sub(ended) / 1000
            )));
        }
        if let Some(why) = hidden {
            return Some(refuse(why.to_string()));
        }
        let amount = match amount {
            Ok(m) => m,
            Err(why) => return Some(refuse(why)),
        };
        if let Err(why) = a.judge(&amount) {
            return Some(refuse(why));
        }
        Some(Record::Bid {
            auction: a.id(),
            bid: super::auction::Bid {
                seq,
                platform: msg.platform,
                user_id: msg.author.id.clone(),
                name: msg.author.name.clone(),
                message_id: msg.id.clone(),
                amount: amount.decimal(),
                at_ms: now_ms,
            },
            ends_ms: a.ends_after_bid(now_ms),
        })
    }

    /// What time itself makes at `now_ms`: an open auction's clock in the
    /// log (each `CLOCK_EVERY_MS`), and its end once its time is up (the
    /// winning bid a claim).
    pub fn decide_tick(&self, now_ms: u64) -> Vec<Record> {
        let Some(a) = self.auctions.last().filter(|a| a.ended.is_none()) else {
            return Vec::new();
        };
        if now_ms >= a.ends_ms {
            return self.decide_auction_end(a, now_ms, "time");
        }
        if now_ms >= a.alive_ms + super::auction::CLOCK_EVERY_MS {
            return vec![Record::AuctionClock {
                auction: a.id(),
                at_ms: now_ms,
                left_ms: a.ends_ms - now_ms,
            }];
        }
        Vec::new()
    }

    /// On opening the log: an auction the last run left open goes on with
    /// the time it had left when the log last heard of it.
    pub fn decide_resume(&self, now_ms: u64) -> Vec<Record> {
        self.auctions
            .last()
            .filter(|a| a.ended.is_none())
            .map(|a| Record::AuctionResume {
                auction: a.id(),
                at_ms: now_ms,
                ends_ms: now_ms + a.left_ms,
            })
            .into_iter()
            .collect()
    }

    fn decide_auction_end(&self, a: &super::auction::Auction, now_ms: u64, how: &str) -> Vec<Record> {
        let winner = a.bids.len().checked_sub(1);
        let claim = winner.and_then(|w| {
            let b = &a.bids[w];
            let product = self
                .ledger
                .catalog()
                .products
                .iter()
                .position(|p| p.id == a.start.product_id)?;
            let buyer = super::ledger::Buyer {
                platform: b.platform,
                id: &b.user_id,
                name: &b.name,
                message_id: &b.message_id,
                at_ms: now_ms,
            };
            Some(self.ledger.decide_sale(
                &buyer,
                product,
                0,
                1,
                Some((b.amount.clone(), format!("auction {}: winning bid", a.id()))),
            ))
        });
        let mut records = vec![Record::AuctionEnd {
            auction: a.id(),
            ended: super::auction::Ended {
                at_ms: now_ms,
                winner,
                name: winner.map(|w| a.bids[w].name.clone()),
                price: winner.map(|w| a.bids[w].amount.clone()),
                claim: claim.as_ref().map(|c| c.id),
                how: how.into(),
            },
        }];
        records.extend(claim.map(Record::Claim));
        records
    }

    /// What is on sale now, for the card: open flash deals with their units
    /// left, and the open auction.
    pub fn on_sale(&self, now_ms: u64) -> OnSale {
        OnSale {
            deals: self.ledger.open_deals(now_ms),
            auction: self
                .auctions
                .last()
                .filter(|a| a.ended.is_none())
                .map(super::auction::AuctionView::of),
        }
    }

    /// The records an action makes, or why it cannot be done.
    pub fn decide_action(&self, action: Action) -> Result<Vec<Record>, ActionError> {
        self.decide_action_at(action, super::log::now_ms())
    }

    /// `decide_action` with the clock read by the caller.
    pub fn decide_action_at(&self, action: Action, now: u64) -> Result<Vec<Record>, ActionError> {
        let entry = |seq| self.entry(seq).ok_or(ActionError::Gone(seq));
        Ok(match action {
            Action::Answered(seq) => {
                entry(seq)?;
                vec![Record::Answered { seq, at_ms: Some(now) }]
            }
            Action::Hide(seq) => {
                entry(seq)?;
                vec![Record::Hide {
                    seq,
                    why: "hidden by a moderator".into(),
                }]
            }
            Action::Unhide(seq) => {
                entry(seq)?;
                vec![Record::Unhide { seq }]
            }
            Action::Block(seq) => {
                let e = entry(seq)?;
                vec![Record::Block {
                    platform: e.msg.platform,
                    user_id: e.msg.author.id.clone(),
                    name: e.msg.author.name.clone(),
                }]
            }
            Action::Unblock(platform, user_id) => vec![Record::Unblock { platform, user_id }],
            Action::SetBlockedWords(words) => vec![Record::BlockedWords { words }],
            Action::AddBlockedWord(word) => {
                if self.blocked_words.iter().any(|w| w.eq_ignore_ascii_case(&word)) {
                    return Err(ActionError::AlreadyBlocked(word));
                }
                let mut words = self.blocked_words.clone();
                words.push(word);
                vec![Record::BlockedWords { words }]
            }
            Action::StartGiveaway { keyword, seconds } => {
                let keyword = keyword.trim().to_string();
                if triage::fold_words(std::slice::from_ref(&keyword)).is_empty() || keyword.len() > 50 {
                    return Err(ActionError::Giveaway(
                        "a giveaway needs a keyword of letters or digits (up to 50)".into(),
                    ));
                }
                if !(1..=86_400).contains(&seconds) {
                    return Err(ActionError::Giveaway(format!(
                        "a giveaway of {seconds} s: use 1 s to 24 h"
                    )));
                }
                if let Some(g) = self.giveaways.iter().find(|g| g.open_at(now)) {
                    return Err(ActionError::Giveaway(format!(
                        "giveaway {} (\"{}\") takes entries for {} s more",
                        g.id,
                        g.keyword,
                        (g.ends_ms - now).div_ceil(1000)
                    )));
                }
                vec![Record::Giveaway {
                    id: self.giveaways.len() as u64 + 1,
                    keyword,
                    starts_ms: now,
                    ends_ms: now + seconds * 1000,
                }]
            }
            Action::DrawGiveaway { giveaway, seed } => {
                let g = self
                    .giveaways
                    .iter()
                    .find(|g| g.id == giveaway)
                    .ok_or_else(|| ActionError::Giveaway(format!("there is no giveaway {giveaway}")))?;
                if g.open_at(now) {
                    return Err(ActionError::Giveaway(format!(
                        "giveaway {giveaway} takes entries for {} s more: draw it after",
                        (g.ends_ms - now).div_ceil(1000)
                    )));
                }
                let eligible = g.eligible(|p, u| self.is_blocked(p, u));
                let seed = seed.unwrap_or_else(super::giveaway::new_seed);
                let winner = super::giveaway::pick(&eligible, seed).ok_or_else(|| {
                    ActionError::Giveaway(format!(
                        "giveaway {giveaway} has nobody left to draw ({} entries)",
                        g.entries.len()
                    ))
                })?;
                vec![Record::GiveawayDraw {
                    giveaway,
                    draw: super::giveaway::Draw {
                        seed,
                        eligible: eligible.len(),
                        winner,
                        name: g.entries[winner].name.clone(),
                        platform: g.entries[winner].platform,
                    },
                }]
            }
            Action::StartAuction(req) => vec![self.decide_auction(&req, now)?],
            Action::EndAuction(id) => {
                let a = self
                    .auctions
                    .iter()
                    .find(|a| a.id() == id && a.ended.is_none())
                    .ok_or_else(|| ActionError::Auction(format!("there is no auction {id} on now")))?;
                self.decide_auction_end(a, now, "ended by the crew")
            }
            Action::StartDeal(req) => vec![Record::Deal(self.ledger.decide_deal(&req, now)?)],
            Action::EndDeal(id) => {
                if !self.ledger.deals().iter().any(|d| d.id == id && d.open_at(now)) {
                    return Err(ActionError::NoDeal(id));
                }
                vec![Record::DealEnd { id, at_ms: now }]
            }
            Action::Ordered(created) => created
                .into_iter()
                .map(|c| Record::DraftOrder {
                    claims: c.claims,
                    id: c.id,
                    name: c.name,
                })
                .collect(),
            Action::CancelClaim(id) => self
                .ledger
                .decide_cancel(id)?
                .into_iter()
                .map(|(id, status)| Record::ClaimStatus { id, status })
                .collect(),
            Action::Claim {
                seq,
                product,
                variant,
                quantity,
            } => {
                let e = entry(seq)?;
                if e.claim.is_some() {
                    return Err(ActionError::AlreadyClaimed(seq));
                }
                let p = self
                    .ledger
                    .catalog()
                    .products
                    .get(product)
                    .ok_or(ActionError::NoProduct)?;
                if variant >= p.variants.len() || quantity == 0 {
                    return Err(ActionError::VariantOrQuantity);
                }
                if quantity > super::ledger::MAX_CLAIM_QUANTITY {
                    return Err(ActionError::TooMany(quantity));
                }
                vec![
                    Record::Claim(self.ledger.decide(&e.msg, product, variant, quantity)),
                    Record::Answered { seq, at_ms: Some(now) },
                ]
            }
        })
    }

    /// The record that starts an auction, or why it cannot.
    fn decide_auction(&self, req: &super::auction::AuctionRequest, now_ms: u64) -> Result<Record, ActionError> {
        let e = ActionError::Auction;
        let catalog = self.ledger.catalog();
        let (index, p) = catalog
            .products
            .iter()
            .enumerate()
            .find(|(_, p)| p.id == req.product || p.code.eq_ignore_ascii_case(&req.product))
            .ok_or(ActionError::NoProduct)?;
        let v = p.variants.first().ok_or(ActionError::NoProduct)?;
        let currency = v.price.currency.to_string();
        let money = |what: &str, text: &str| {
            crate::products::price::Money::parse(text, &currency)
                .map_err(|err| e(format!("{what} \"{text}\": {err}")))
                .and_then(|m| {
                    if m.minor > 0 {
                        Ok(m)
                    } else {
                        Err(e(format!("{what} \"{text}\" must be more than zero")))
                    }
                })
        };
        let start = money("start price", &req.start)?;
        let step = money("step", &req.step)?;
        if !(5..=86_400).contains(&req.seconds) {
            return Err(e(format!("an auction of {} s: use 5 s to 24 h", req.seconds)));
        }
        if req.extend_s > 600 {
            return Err(e(format!("an extension of {} s: use 0 (off) to 600 s", req.extend_s)));
        }
        if let Some(a) = self.auctions.last().filter(|a| a.ended.is_none()) {
            return Err(e(format!(
                "auction {} on {} is on for {} s more: end it first (one auction at a time, so a bid is never ambiguous)",
                a.id(),
                a.start.code,
                a.ends_ms.saturating_sub(now_ms).div_ceil(1000)
            )));
        }
        if self.ledger.left(index, 0).is_some_and(|n| n <= 0) {
            return Err(e(format!("{} is sold out: nothing to auction", p.code)));
        }
        Ok(Record::Auction(super::auction::AuctionStart {
            id: self.auctions.len() as u64 + 1,
            product_id: p.id.clone(),
            code: p.code.clone(),
            currency,
            start: start.decimal(),
            step: step.decimal(),
            starts_ms: now_ms,
            ends_ms: now_ms + req.seconds * 1000,
            extend_s: req.extend_s,
        }))
    }

    /// The refresh's records: the store's new stock, then the waiting
    /// claims it covers.
    pub fn decide_restock(&self, fresh: &crate::products::catalog::Catalog) -> Vec<Record> {
        let (lines, promoted) = self.ledger.decide_restock(fresh);
        let mut records = Vec::new();
        if !lines.is_empty() {
            records.push(Record::Stock { lines });
        }
        records.extend(
            promoted
                .into_iter()
                .map(|(id, status)| Record::ClaimStatus { id, status }),
        );
        records
    }

    /// Makes a record true. Returns whether stock left changed.
    pub fn apply(&mut self, record: Record) -> bool {
        self.version += 1;
        match record {
            Record::Message {
                seq,
                msg,
                flags,
                hidden,
                check,
            } => {
                self.next_seq = self.next_seq.max(seq + 1);
                self.metrics.message(seq, &msg, flags);
                if let Kind::Deletion { id } = &msg.kind {
                    let target = self
                        .entries
                        .iter_mut()
                        .rev()
                        .find(|e| e.msg.platform == msg.platform && &e.msg.id == id);
                    if let Some(t) = target {
                        t.hidden = Some("deleted on the platform".into());
                    }
                }
                // Already bounded: by `Ingest` live, by `Log::open` on replay.
                self.bytes += msg.size();
                self.seen.insert((msg.platform, msg.id.clone()));
                self.entries.push_back(Entry {
                    seq,
                    msg,
                    flags: Flags(flags),
                    hidden,
                    answered: false,
                    check,
                    claim: None,
                });
                while self.entries.len() > MAX_IN_MEMORY || self.bytes > MAX_BYTES_IN_MEMORY {
                    let Some(old) = self.entries.pop_front() else { break };
                    self.bytes -= old.msg.size();
                    self.seen.remove(&(old.msg.platform, old.msg.id));
                }
                false
            }
            Record::Claim(c) => {
                let (platform, message_id, id) = (c.platform, c.message_id.clone(), c.id);
                if let Some(e) = self
                    .entries
                    .iter_mut()
                    .rev()
                    .find(|e| e.msg.platform == platform && e.msg.id == message_id)
                {
                    e.claim = Some(id);
                }
                let deal = c.deal.is_some();
                self.ledger.apply_claim(c).is_some() || deal
            }
            Record::ClaimStatus { id, status } => self.ledger.apply_status(id, status).is_some(),
            Record::Answered { seq, at_ms } => {
                self.metrics.answered(seq, at_ms);
                if let Some(e) = self.entry_mut(seq) {
                    e.answered = true;
                }
                false
            }
            Record::Hide { seq, why } => {
                if let Some(e) = self.entry_mut(seq) {
                    e.hidden = Some(why);
                }
                false
            }
            Record::Unhide { seq } => {
                if let Some(e) = self.entry_mut(seq) {
                    e.hidden = None;
                }
                false
            }
            Record::Block {
                platform,
                user_id,
                name,
            } => {
                for e in self.entries.iter_mut() {
                    if e.msg.platform == platform && e.msg.author.id == user_id && e.hidden.is_none() {
                        e.hidden = Some("blocked user".into());
                    }
                }
                if !self.is_blocked(platform, &user_id) {
                    self.blocked_users.push((platform, user_id, name));
                }
                false
            }
            Record::Unblock { platform, user_id } => {
                self.blocked_users
                    .retain(|(p, u, _)| !(*p == platform && *u == user_id));
                false
            }
            Record::DraftOrder { claims, name, .. } => {
                self.ledger.mark_ordered(&claims);
                for c in claims {
                    self.ordered.insert(c, name.clone());
                }
                false
            }
            Record::Stock { lines } => self.ledger.apply_stock(&lines),
            Record::Viewers(v) => {
                self.metrics.viewers(&v);
                false
            }
            Record::Giveaway {
                id,
                keyword,
                starts_ms,
                ends_ms,
            } => {
                self.giveaways
                    .push(super::giveaway::Giveaway::new(id, keyword, starts_ms, ends_ms));
                false
            }
            Record::Entry { giveaway, entrant } => {
                if let Some(g) = self.giveaways.iter_mut().find(|g| g.id == giveaway) {
                    g.entries.push(entrant);
                }
                false
            }
            Record::GiveawayDraw { giveaway, draw } => {
                if let Some(g) = self.giveaways.iter_mut().find(|g| g.id == giveaway) {
                    g.draws.push(draw);
                }
                false
            }
            // The card's price and units left at it change.
            Record::Deal(d) => {
                self.ledger.apply_deal(d);
                true
            }
            Record::DealEnd { id, at_ms } => {
                self.ledger.apply_deal_end(id, at_ms);
                true
            }
            Record::Auction(start) => {
                self.auctions.push(super::auction::Auction::new(start));
                true
            }
            Record::Bid { auction, bid, ends_ms } => {
                let Some(a) = self.auction_mut(auction) else {
                    return false;
                };
                if ends_ms > a.ends_ms {
                    a.extensions += 1;
                }
                a.ends_ms = ends_ms;
                (a.alive_ms, a.left_ms) = (bid.at_ms, ends_ms.saturating_sub(bid.at_ms));
                a.bids.push(bid);
                true
            }
            Record::BidRefused { auction, refused } => {
                if let Some(a) = self.auction_mut(auction) {
                    a.refused.push(refused);
                }
                false
            }
            Record::AuctionClock {
                auction,
                at_ms,
                left_ms,
            } => {
                let Some(a) = self.auction_mut(auction) else {
                    return false;
                };
                (a.alive_ms, a.left_ms) = (at_ms, left_ms);
                // The card's countdown is set again from it each second.
                true
            }
            Record::AuctionResume {
                auction,
                at_ms,
                ends_ms,
            } => {
                let Some(a) = self.auction_mut(auction) else {
                    return false;
                };
                a.ends_ms = ends_ms;
                (a.alive_ms, a.left_ms) = (at_ms, ends_ms.saturating_sub(at_ms));
                true
            }
            Record::AuctionEnd { auction, ended } => {
                let Some(a) = self.auction_mut(auction) else {
                    return false;
                };
                a.ended = Some(ended);
                true
            }
            Record::BlockedWords { words } => {
                self.folded_words = triage::fold_words(&words);
                self.blocked_words = words;
                false
            }
        }
    }

    fn auction_mut(&mut self, id: u64) -> Option<&mut super::auction::Auction> {
        self.auctions.iter_mut().find(|a| a.id() == id)
    }

    /// Claims by status, for the panel's summary.
    pub fn claim_counts(&self) -> (usize, usize, usize) {
        let count = |s| self.ledger.claims().iter().filter(|c| c.status == s).count();
        (
            count(Status::Claimed),
            count(Status::Waitlisted),
            count(Status::Cancelled),
        )
    }
}
