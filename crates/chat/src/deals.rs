//! Flash deals: a price for a time window, with an optional number of
//! units at that price and a per-buyer limit (docs/chat.md, "Flash
//! deals"). The claims ledger decides, claim by claim, which price applies
//! and writes down why; the card only shows it.

use super::ledger::{Claim, Status};
use serde::{Deserialize, Serialize};

/// A flash deal as logged (times are Unix ms on the show's machine).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Deal {
    /// From 1, in the order deals were started.
    pub id: u64,
    pub product_id: String,
    pub code: String,
    /// The deal's unit price as a decimal ("29.00"), in the product's currency.
    pub price: String,
    pub currency: String,
    pub starts_ms: u64,
    pub ends_ms: u64,
    /// Units at the deal price (None: as many as the stock has).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cap: Option<u32>,
    /// Units one buyer may claim at the deal price.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub per_buyer: Option<u32>,
}

/// What a moderator (or the rundown) asks for: the ledger fills in the id.
#[derive(Debug, Clone, PartialEq)]
pub struct DealRequest {
    pub product_id: String,
    pub price: String,
    pub seconds: u64,
    pub cap: Option<u32>,
    pub per_buyer: Option<u32>,
}

/// The price a claim gets and why.
#[derive(Debug, Clone, PartialEq)]
pub struct Pricing {
    pub deal: Option<u64>,
    pub unit_price: String,
    pub why: String,
}

impl Deal {
    pub fn open_at(&self, now_ms: u64) -> bool {
        (self.starts_ms..self.ends_ms).contains(&now_ms)
    }

    /// Units claimed at this deal's price (claimed, not cancelled).
    pub fn taken(&self, claims: &[Claim]) -> u32 {
        claims
            .iter()
            .filter(|c| c.deal == Some(self.id) && c.status == Status::Claimed)
            .map(|c| c.quantity)
            .sum()
    }

    /// Units left at the deal price (None: no cap).
    pub fn left(&self, claims: &[Claim]) -> Option<u32> {
        self.cap.map(|cap| cap.saturating_sub(self.taken(claims)))
    }

    /// The price of a claim of `quantity` by `buyer` that fits the stock:
    /// the deal's while its units and the buyer's limit allow, else the
    /// regular price with the reason.
    pub fn pricing(&self, claims: &[Claim], buyer: &str, quantity: u32, regular: &str) -> Pricing {
        let by_buyer: u32 = claims
            .iter()
            .filter(|c| c.deal == Some(self.id) && c.status == Status::Claimed && c.buyer_id == buyer)
            .map(|c| c.quantity)
            .sum();
        let regular = |why: String| Pricing {
            deal: None,
            unit_price: regular.to_string(),
            why,
        };
        if let Some(left) = self.left(claims)
            && left < quantity
        {
            return regular(format!(
                "regular price: flash deal {} has {left} of {} left at {}",
                self.id,
                self.cap.unwrap_or(0),
                self.price
            ));
        }
        if let Some(limit) = self.per_buyer
            && by_buyer + quantity > limit
        {
            return regular(format!(
                "regular price: flash deal {} allows {limit} per buyer at {}",
                self.id, self.price
            ));
        }
        Pricing {
            deal: Some(self.id),
            unit_price: self.price.clone(),
            why: format!("flash deal {}", self.id),
        }
    }
}
