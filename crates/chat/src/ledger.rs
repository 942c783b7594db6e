//! The claims ledger: who claimed what, against stock. A claim takes stock
//! when enough is left, else it waits; cancelling a claim gives its stock
//! back to the oldest waiting claims that fit. Every change is a record (see
//! `log`), and the ledger is only ever changed by applying records, so a
//! replay after a crash rebuilds exactly what was acknowledged.

use super::deals::{Deal, DealRequest};
use super::model::{Message, Platform};
use crate::products::catalog::Catalog;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Claimed,
    Waitlisted,
    Cancelled,
}

impl Status {
    pub fn name(self) -> &'static str {
        match self {
            Status::Claimed => "claimed",
            Status::Waitlisted => "waitlisted",
            Status::Cancelled => "cancelled",
        }
    }
}

/// The most items one claim holds (a moderator's; a comment's are fewer).
/// With prices at most `price::MAX_WHOLE_UNITS`, no claim total overflows.
pub const MAX_CLAIM_QUANTITY: u32 = 100_000;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Claim {
    pub id: u64,
    pub at_ms: u64,
    pub platform: Platform,
    pub buyer_id: String,
    pub buyer: String,
    /// The comment it came from (platform message id).
    pub message_id: String,
    pub product_id: String,
    pub code: String,
    pub title: String,
    /// The variant's option text ("Blue / M"), if the product has options.
    pub variant: Option<String>,
    pub sku: Option<String>,
    pub quantity: u32,
    /// Unit price as a decimal ("39.00") and its currency.
    pub unit_price: String,
    pub currency: String,
    pub status: Status,
    /// The flash deal whose price applied.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deal: Option<u64>,
    /// Why this price: "flash deal 1", "regular price: flash deal 1 allows
    /// 1 per buyer at 29.00"; None: the regular price, no deal on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub price_why: Option<String>,
}

/// Who a claim is for, and the comment it came from.
pub struct Buyer<'a> {
    pub platform: Platform,
    pub id: &'a str,
    pub name: &'a str,
    pub message_id: &'a str,
    pub at_ms: u64,
}

/// Stock left per product and variant; None is "not tracked" (unlimited).
type Left = Vec<Vec<Option<i64>>>;

/// The store's stock of one variant, as a refresh found it (logged, so a
/// replay comes to the same figures).
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct StockLine {
    pub product: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub option: Option<String>,
    /// None: not tracked (unlimited).
    pub stock: Option<u32>,
}

/// The one owner of the stock a show sells from (docs/products.md, "Stock"):
/// the catalog's stock is the store's, as of its last refresh; what is
/// left is that less the units claimed in this show that the store does
/// not know of yet (claims not in a Shopify draft order, which reserves
/// them in the store).
pub struct Ledger {
    /// Stock here is the store's (the catalog as loaded, then refreshed).
    catalog: Catalog,
    claims: Vec<Claim>,
    left: Left,
    /// Claims in a Shopify draft order: the store holds their units.
    ordered: std::collections::HashSet<u64>,
    /// Every flash deal started in this show, oldest first.
    deals: Vec<Deal>,
}

impl Ledger {
    pub fn new(catalog: Catalog) -> Ledger {
        let left = catalog
            .products
            .iter()
            .map(|p| p.variants.iter().map(|v| v.stock.map(i64::from)).collect())
            .collect();
        Ledger {
            catalog,
            claims: Vec::new(),
            left,
            ordered: Default::default(),
            deals: Vec::new(),
        }
    }

    pub fn deals(&self) -> &[Deal] {
        &self.deals
    }

    /// The flash deal on a product at `now_ms`, if one is open.
    pub fn open_deal(&self, product_id: &str, now_ms: u64) -> Option<&Deal> {
        self.deals
            .iter()
            .rev()
            .find(|d| d.product_id == product_id && d.open_at(now_ms))
    }

    /// The deals open at `now_ms`, each with its units left at the deal
    /// price (None: no cap).
    pub fn open_deals(&self, now_ms: u64) -> Vec<(Deal, Option<u32>)> {
        self.deals
            .iter()
            .filter(|d| d.open_at(now_ms))
            .map(|d| (d.clone(), d.left(&self.claims)))
            .collect()
    }

    /// The deal a request starts at `now_ms`, or why it cannot.
    pub fn decide_deal(&self, req: &DealRequest, now_ms: u64) -> Result<Deal, super::state::ActionError> {
        use super::state::ActionError as E;
        let p = self
            .catalog
            .products
            .iter()
            .find(|p| p.id == req.product_id || p.code.eq_ignore_ascii_case(&req.product_id))
            .ok_or(E::NoProduct)?;
        let v = p.variants.first().ok_or(E::NoProduct)?;
        let currency = v.price.currency.to_string();
        let price = crate::products::price::Money::parse(&req.price, &currency)
            .map_err(|e| E::Deal(format!("price \"{}\": {e}", req.price)))?;
        if price.minor <= 0 {
            return Err(E::Deal(format!("price \"{}\" must be more than zero", req.price)));
        }
        if !(1..=86_400).contains(&req.seconds) {
            return Err(E::Deal(format!("a flash deal of {} s: use 1 s to 24 h", req.seconds)));
        }
        if req.cap == Some(0) || req.per_buyer == Some(0) {
            return Err(E::Deal(
                "a cap or per-buyer limit of 0 sells nothing: leave it out or give 1 or more".into(),
            ));
        }
        if let Some(d) = self.open_deal(&p.id, now_ms) {
            return Err(E::Deal(format!(
                "flash deal {} on {} is on for {} s more: end it first",
                d.id,
                p.code,
                (d.ends_ms - now_ms).div_ceil(1000)
            )));
        }
        Ok(Deal {
            id: self.deals.len() as u64 + 1,
            product_id: p.id.clone(),
            code: p.code.clone(),
            price: price.decimal(),
            currency,
            starts_ms: now_ms,
            ends_ms: now_ms + req.seconds * 1000,
            cap: req.cap,
            per_buyer: req.per_buyer,
        })
    }

    pub fn apply_deal(&mut self, deal: Deal) {
        self.deals.push(deal);
    }

    /// A deal ended early at `at_ms`.
    pub fn apply_deal_end(&mut self, id: u64, at_ms: u64) {
        if let Some(d) = self.deals.iter_mut().find(|d| d.id == id) {
            d.ends_ms = d.ends_ms.min(at_ms.max(d.starts_ms));
        }
    }

    /// The waiting claims on a variant that `left` units cover, oldest
    /// first (a later, smaller claim is served when an earlier one does not fit).
    fn serve_waitlist(&self, product_id: &str, option: &Option<String>, mut left: i64) -> Vec<(u64, Status)> {
        let mut served = Vec::new();
        for w in self
            .claims
            .iter()
            .filter(|w| w.status == Status::Waitlisted && w.product_id == product_id && &w.variant == option)
        {
            if i64::from(w.quantity) <= left {
                left -= i64::from(w.quantity);
                served.push((w.id, Status::Claimed));
            }
        }
        served
    }

    /// Units of a variant claimed here and not yet known to the store.
    /// Per (product id, option), in one pass over the claims.
    fn open_claimed(&self) -> std::collections::HashMap<(String, Option<String>), i64> {
        let mut open = std::collections::HashMap::new();
        for c in self
            .claims
            .iter()
            .filter(|c| c.status == Status::Claimed && !self.ordered.contains(&c.id))
        {
            *open.entry((c.product_id.clone(), c.variant.clone())).or_insert(0) += i64::from(c.quantity);
        }
        open
    }

    /// What a refresh of the store's stock changes: the variants whose store
    /// stock differs (matched by product id, variants in order) and the
    /// waiting claims the new figures cover, oldest first.
    pub fn decide_restock(&self, fresh: &Catalog) -> (Vec<StockLine>, Vec<(u64, Status)>) {
        let mut lines = Vec::new();
        let mut promoted = Vec::new();
        let mut open = None;
        for p in &self.catalog.products {
            let Some(f) = fresh.products.iter().find(|f| f.id == p.id) else {
                continue;
            };
            for (v, fv) in p.variants.iter().zip(&f.variants) {
                if v.stock == fv.stock {
                    continue;
                }
                lines.push(StockLine {
                    product: p.id.clone(),
                    option: v.option.clone(),
                    stock: fv.stock,
                });
                let Some(store) = fv.stock else { continue };
                let open = open.get_or_insert_with(|| self.open_claimed());
                let claimed = open.get(&(p.id.clone(), v.option.clone())).copied().unwrap_or(0);
                let left = i64::from(store) - claimed;
                promoted.extend(self.serve_waitlist(&p.id, &v.option, left));
            }
        }
        (lines, promoted)
    }

    /// Takes the store's stock of these variants. Returns whether any
    /// variant's stock left changed.
    pub fn apply_stock(&mut self, lines: &[StockLine]) -> bool {
        let mut changed = false;
        let open = self.open_claimed();
        for line in lines {
            let Some((p, v)) = self.find(&line.product, &line.option) else {
                continue;
            };
            self.catalog.products[p].variants[v].stock = line.stock;
            let claimed = open
                .get(&(line.product.clone(), line.option.clone()))
                .copied()
                .unwrap_or(0);
            let left = line.stock.map(|s| i64::from(s) - claimed);
            changed |= self.left[p][v] != left;
            self.left[p][v] = left;
        }
        changed
    }

    /// Takes prices from a refresh (not logged: the next refresh brings
    /// them again). Returns whether any changed.
    pub fn take_prices(&mut self, fresh: &Catalog) -> bool {
        let mut changed = false;
        for p in &mut self.catalog.products {
            let Some(f) = fresh.products.iter().find(|f| f.id == p.id) else {
                continue;
            };
            for (v, fv) in p.variants.iter_mut().zip(&f.variants) {
                if (v.price, v.compare_at) != (fv.price, fv.compare_at) {
                    (v.price, v.compare_at) = (fv.price, fv.compare_at);
                    changed = true;
                }
            }
        }
        changed
    }

    /// These claims are now in a Shopify draft order: the store holds their
    /// units (its stock drops by them), so what is left does not change.
    pub fn mark_ordered(&mut self, ids: &[u64]) {
        for id in ids {
            let Some(c) = self.claims.iter().find(|c| c.id == *id) else {
                continue;
            };
            if !self.ordered.insert(*id) || c.status != Status::Claimed {
                continue;
            }
            let q = c.quantity;
            if let Some((p, v)) = self.find(&c.product_id.clone(), &c.variant.clone())
                && let Some(s) = &mut self.catalog.products[p].variants[v].stock
            {
                *s = s.saturating_sub(q);
            }
        }
    }

    pub fn catalog(&self) -> &Catalog {
        &self.catalog
    }
    pub fn claims(&self) -> &[Claim] {
        &self.claims
    }

    fn find(&self, product_id: &str, variant: &Option<String>) -> Option<(usize, usize)> {
        let p = self.catalog.products.iter().position(|p| p.id == product_id)?;
        let v = self.catalog.products[p]
            .variants
            .iter()
            .position(|v| &v.option == variant)?;
        Some((p, v))
    }

    /// Stock left for a product's variant (None: not tracked).
    pub fn left(&self, product: usize, variant: usize) -> Option<i64> {
        self.left.get(product).and_then(|p| p.get(variant)).copied().flatten()
    }

    /// The claim `msg` makes on `product` / `variant`: claimed if stock
    /// covers it, else waitlisted. Nothing changes until it is applied.
    pub fn decide(&self, msg: &Message, product: usize, variant: usize, quantity: u32) -> Claim {
        self.decide_at(msg, product, variant, quantity, super::log::now_ms())
    }

    /// `decide` at `now_ms`: a flash deal open then prices the claim.
    pub fn decide_at(&self, msg: &Message, product: usize, variant: usize, quantity: u32, now_ms: u64) -> Claim {
        let p = &self.catalog.products[product];
        let v = &p.variants[variant];
        let fits = self.left(product, variant).is_none_or(|n| n >= i64::from(quantity));
        let regular = v.price.decimal();
        let pricing = self.open_deal(&p.id, now_ms).map(|d| {
            if fits {
                d.pricing(&self.claims, &msg.author.id, quantity, &regular)
            } else {
                super::deals::Pricing {
                    deal: None,
                    unit_price: regular.clone(),
                    why: format!("waitlisted: flash deal {} is for units in stock", d.id),
                }
            }
        });
        let buyer = Buyer {
            platform: msg.platform,
            id: &msg.author.id,
            name: &msg.author.name,
            message_id: &msg.id,
            at_ms: msg.at_ms,
        };
        let mut claim = self.decide_sale(&buyer, product, variant, quantity, None);
        if let Some(pricing) = pricing {
            claim.unit_price = pricing.unit_price;
            claim.deal = pricing.deal;
            claim.price_why = Some(pricing.why);
        }
        claim
    }

    /// A claim by `buyer` at the regular price, or at `price` (a decimal in
    /// the product's currency, and why) — an auction's winning bid.
    pub fn decide_sale(
        &self,
        buyer: &Buyer<'_>,
        product: usize,
        variant: usize,
        quantity: u32,
        price: Option<(String, String)>,
    ) -> Claim {
        let p = &self.catalog.products[product];
        let v = &p.variants[variant];
        let fits = self.left(product, variant).is_none_or(|n| n >= i64::from(quantity));
        let (unit_price, price_why) = match price {
            Some((price, why)) => (price, Some(why)),
            None => (v.price.decimal(), None),
        };
        Claim {
            id: self.claims.len() as u64 + 1,
            at_ms: buyer.at_ms,
            platform: buyer.platform,
            buyer_id: buyer.id.to_string(),
            buyer: buyer.name.to_string(),
            message_id: buyer.message_id.to_string(),
            product_id: p.id.clone(),
            code: p.code.clone(),
            title: p.title.clone(),
            variant: v.option.clone(),
            sku: v.sku.clone(),
            quantity,
            unit_price,
            currency: v.price.currency.to_string(),
            status: if fits { Status::Claimed } else { Status::Waitlisted },
            deal: None,
            price_why,
        }
    }

    /// The status changes cancelling claim `id` makes: itself, then the
    /// oldest waiting claims on the same variant that the freed stock covers.
    pub fn decide_cancel(&self, id: u64) -> Result<Vec<(u64, Status)>, super::state::ActionError> {
        let c = self
            .claims
            .iter()
            .find(|c| c.id == id)
            .ok_or(super::state::ActionError::NoClaim(id))?;
        if c.status == Status::Cancelled {
            return Err(super::state::ActionError::AlreadyCancelled(id));
        }
        let mut changes = vec![(id, Status::Cancelled)];
        // An ordered claim's units stay held in the store's draft order.
        if c.status == Status::Claimed
            && !self.ordered.contains(&id)
            && let Some((p, v)) = self.find(&c.product_id, &c.variant)
            && let Some(mut left) = self.left(p, v)
        {
            left += i64::from(c.quantity);
            changes.extend(self.serve_waitlist(&c.product_id, &c.variant, left));
        }
        Ok(changes)
    }

    fn take(&mut self, product_id: &str, variant: &Option<String>, quantity: i64) -> Option<(usize, usize)> {
        let (p, v) = self.find(product_id, variant)?;
        if let Some(n) = &mut self.left[p][v] {
            *n -= quantity;
        }
        Some((p, v))
    }

    /// Adds a decided claim. Returns the product and variant whose stock
    /// changed, if any.
    pub fn apply_claim(&mut self, claim: Claim) -> Option<(usize, usize)> {
        let changed = if claim.status == Status::Claimed {
            self.take(&claim.product_id, &claim.variant, i64::from(claim.quantity))
        } else {
            None
        };
        self.claims.push(claim);
        changed
    }

    /// Changes a claim's status. Returns the product and variant whose stock
    /// changed, if any.
    pub fn apply_status(&mut self, id: u64, status: Status) -> Option<(usize, usize)> {
        let i = self.claims.iter().position(|c| c.id == id)?;
        let old = std::mem::replace(&mut self.claims[i].status, status);
        let c = &self.claims[i];
        let q = i64::from(c.quantity);
        let delta = match (old, status) {
            (Status::Claimed, Status::Claimed) => 0,
            (Status::Claimed, _) => -q,
            (_, Status::Claimed) => q,
            _ => 0,
        };
        if delta == 0 || self.ordered.contains(&id) {
            return None;
        }
        let (pid, var) = (c.product_id.clone(), c.variant.clone());
        self.take(&pid, &var, delta)
    }

    /// The catalog with stock as the ledger has it, for the product card.
    pub fn catalog_with_stock(&self) -> Catalog {
        let mut c = self.catalog.clone();
        for (p, product) in c.products.iter_mut().enumerate() {
            for (v, variant) in product.variants.iter_mut().enumerate() {
                if let Some(n) = self.left[p][v] {
                    variant.stock = Some(n.max(0) as u32);
                }
            }
        }
        c
    }

    /// The claims as CSV for invoicing: one row per claim, every status
    /// (invoice the claimed ones; the waitlist is who to offer a restock).
    pub fn to_csv(&self) -> Result<String, String> {
        let mut w = csv::Writer::from_writer(Vec::new());
        let header = [
            "claim",
            "time_utc",
            "status",
            "platform",
            "buyer_id",
            "buyer",
            "code",
            "product_id",
            "title",
            "variant",
            "sku",
            "quantity",
            "unit_price",
            "total",
            "currency",
            "comment_id",
            "price_note",
        ];
        w.write_record(header).map_err(|e| e.to_string())?;
        for c in &self.claims {
            let total = crate::products::price::Money::parse(&c.unit_price, &c.currency)
                .ok()
                .and_then(|m| m.times(c.quantity))
                .map(|m| m.decimal())
                .unwrap_or_default();
            w.write_record([
                c.id.to_string(),
                super::log::utc(c.at_ms),
                c.status.name().to_string(),
                c.platform.id().to_string(),
                c.buyer_id.clone(),
                c.buyer.clone(),
                c.code.clone(),
                c.product_id.clone(),
                c.title.clone(),
                c.variant.clone().unwrap_or_default(),
                c.sku.clone().unwrap_or_default(),
                c.quantity.to_string(),
                c.unit_price.clone(),
                total,
                c.currency.clone(),
                c.message_id.clone(),
                c.price_why.clone().unwrap_or_default(),
            ])
            .map_err(|e| e.to_string())?;
        }
        String::from_utf8(w.into_inner().map_err(|e| e.to_string())?).map_err(|e| e.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Author, Kind};
    use crate::products::catalog::import_csv;

    fn msg(id: &str, who: &str) -> Message {
        Message {
            platform: Platform::TikTok,
            id: id.into(),
            author: Author {
                id: who.into(),
                name: who.into(),
                avatar: None,
                badges: vec![],
            },
            text: String::new(),
            at_ms: 1_764_000_000_000,
            kind: Kind::Text,
        }
    }

    fn ledger() -> Ledger {
        let (catalog, problems) = import_csv(
            "id,code,title,option,price,currency,stock\nmug,B2,Mug,,18,USD,3\nhat,C1,Hat,,25,USD,\n",
            "t.csv",
            None,
        );
        assert!(problems.is_empty(), "{problems:?}");
        Ledger::new(catalog)
    }

    fn claim(l: &mut Ledger, id: &str, q: u32) -> Status {
        let c = l.decide(&msg(id, id), 0, 0, q);
        let s = c.status;
        l.apply_claim(c);
        s
    }

    /// The store's figure after its draft orders reserved 2: 3 − 2 = 1.
    fn store_with(stock: u32) -> Catalog {
        let (c, _) = import_csv(
            &format!("id,code,title,option,price,currency,stock\nmug,B2,Mug,,18,USD,{stock}\nhat,C1,Hat,,25,USD,\n"),
            "t.csv",
            None,
        );
        c
    }

    #[test]
    fn ordered_claims_are_held_by_the_store_and_a_restock_serves_the_waitlist() {
        let mut l = ledger();
        assert_eq!(claim(&mut l, "ann", 2), Status::Claimed);
        assert_eq!(claim(&mut l, "bob", 2), Status::Waitlisted);
        assert_eq!(l.left(0, 0), Some(1));
        // Ann's claim becomes a draft order: the store holds her 2, the
        // figure shown does not move.
        l.mark_ordered(&[1]);
        assert_eq!(l.left(0, 0), Some(1));
        // The store now says 1 (3 less the 2 it reserved): still 1 left.
        let (lines, promoted) = l.decide_restock(&store_with(1));
        assert!(lines.is_empty(), "the same store figure: {lines:?}");
        assert!(promoted.is_empty());
        // Restocked to 5: Bob's 2 are served, 3 left.
        let (lines, promoted) = l.decide_restock(&store_with(5));
        assert_eq!(
            lines,
            vec![StockLine {
                product: "mug".into(),
                option: None,
                stock: Some(5)
            }]
        );
        assert_eq!(promoted, vec![(2, Status::Claimed)]);
        assert!(l.apply_stock(&lines));
        assert_eq!(l.left(0, 0), Some(5));
        l.apply_status(2, Status::Claimed);
        assert_eq!(l.left(0, 0), Some(3));
        // Cancelling the ordered claim frees nothing here: the store holds it.
        assert_eq!(l.decide_cancel(1).unwrap(), vec![(1, Status::Cancelled)]);
        l.apply_status(1, Status::Cancelled);
        assert_eq!(l.left(0, 0), Some(3));
    }

    #[test]
    fn stock_runs_out_into_a_waitlist_and_cancelling_promotes_it() {
        let mut l = ledger();
        assert_eq!(claim(&mut l, "ann", 2), Status::Claimed);
        assert_eq!(l.left(0, 0), Some(1));
        assert_eq!(claim(&mut l, "bob", 2), Status::Waitlisted);
        assert_eq!(claim(&mut l, "cy", 1), Status::Claimed);
        assert_eq!(l.left(0, 0), Some(0));
        assert_eq!(l.catalog_with_stock().products[0].variants[0].stock, Some(0));
        // Ann cancels: her 2 go to Bob, who waited first.
        let changes = l.decide_cancel(1).unwrap();
        assert_eq!(changes, vec![(1, Status::Cancelled), (2, Status::Claimed)]);
        for (id, s) in changes {
            l.apply_status(id, s);
        }
        assert_eq!(l.left(0, 0), Some(0));
        assert_eq!(
            l.decide_cancel(1).unwrap_err(),
            super::super::state::ActionError::AlreadyCancelled(1)
        );
        assert!(l.decide_cancel(99).unwrap_err().to_string().contains("no claim 99"));
    }

    #[test]
    fn untracked_stock_never_waitlists() {
        let mut l = ledger();
        let c = l.decide(&msg("m", "ann"), 1, 0, 10);
        assert_eq!(c.status, Status::Claimed);
        assert_eq!(l.apply_claim(c), Some((1, 0)));
        assert_eq!(l.left(1, 0), None);
    }

    #[test]
    fn csv_has_a_row_per_claim_with_totals() {
        let mut l = ledger();
        claim(&mut l, "ann", 2);
        claim(&mut l, "bob", 5);
        let csv = l.to_csv().unwrap();
        let lines: Vec<&str> = csv.lines().collect();
        assert_eq!(lines.len(), 3);
        assert!(lines[0].starts_with("claim,time_utc,status,platform"));
        assert!(
            lines[1].contains(",claimed,tiktok,ann,ann,B2,mug,Mug,,,2,18.00,36.00,USD,ann"),
            "{}",
            lines[1]
        );
        assert!(lines[2].contains(",waitlisted,"), "{}", lines[2]);
        assert!(lines[1].contains("2025-11-24T16:00:00Z"), "{}", lines[1]);
    }

    #[test]
    fn totals_are_exact_for_the_largest_claims() {
        let (catalog, problems) = import_csv(
            "id,code,title,price,currency\nring,R1,Ring,999999999.99,USD\nbar,G1,Gold bar,999999999.9999,CLF\n",
            "t.csv",
            None,
        );
        assert!(problems.is_empty(), "{problems:?}");
        let mut l = Ledger::new(catalog);
        for (product, who) in [(0, "ann"), (1, "bob")] {
            let c = l.decide(&msg(who, who), product, 0, MAX_CLAIM_QUANTITY);
            l.apply_claim(c);
        }
        let csv = l.to_csv().unwrap();
        // 999,999,999.99 × 100,000 and 999,999,999.9999 × 100,000, to the cent.
        assert!(csv.contains(",100000,999999999.99,99999999999000.00,USD,"), "{csv}");
        assert!(csv.contains(",100000,999999999.9999,99999999999990.0000,CLF,"), "{csv}");
    }

    #[test]
    fn a_flash_deal_prices_claims_in_its_window_within_its_cap_and_per_buyer_limit() {
        let mut l = ledger();
        let t0 = 1_764_000_000_000;
        let req = DealRequest {
            product_id: "B2".into(),
            price: "12.5".into(),
            seconds: 60,
            cap: Some(2),
            per_buyer: Some(1),
        };
        let deal = l.decide_deal(&req, t0).unwrap();
        assert_eq!((deal.id, deal.price.as_str(), deal.ends_ms), (1, "12.50", t0 + 60_000));
        l.apply_deal(deal);
        // A second deal on the same product while the first is on: refused.
        assert!(
            l.decide_deal(&req, t0 + 1)
                .unwrap_err()
                .to_string()
                .contains("is on for 60 s more")
        );
        let mut take = |id: &str, who: &str, q: u32, at: u64| {
            let c = l.decide_at(&msg(id, who), 0, 0, q, at);
            let r = (c.unit_price.clone(), c.deal, c.price_why.clone(), c.status);
            l.apply_claim(c);
            r
        };
        let deal = |why: &str| (Some(1), Some(why.to_string()));
        let (p, d, w, _) = take("1", "ann", 1, t0 + 1000);
        assert_eq!((p.as_str(), (d, w)), ("12.50", deal("flash deal 1")));
        let (p, _, w, _) = take("2", "ann", 1, t0 + 2000);
        assert_eq!(p, "18.00");
        assert_eq!(
            w.as_deref(),
            Some("regular price: flash deal 1 allows 1 per buyer at 12.50")
        );
        let (p, ..) = take("3", "bob", 1, t0 + 3000);
        assert_eq!(p, "12.50");
        // Stock was 3: ann 2, bob 1; cid waits, at the regular price.
        let (p, d, w, st) = take("4", "cid", 1, t0 + 4000);
        assert_eq!((p.as_str(), d, st), ("18.00", None, Status::Waitlisted));
        assert_eq!(w.as_deref(), Some("waitlisted: flash deal 1 is for units in stock"));
        assert_eq!(l.open_deals(t0 + 5000)[0].1, Some(0));
        // After the window: the regular price, and no deal on.
        assert!(l.open_deals(t0 + 60_000).is_empty());
        let c = l.decide_at(&msg("5", "dan"), 1, 0, 1, t0 + 61_000);
        assert_eq!((c.unit_price.as_str(), c.deal, c.price_why), ("25.00", None, None));
        // Ended early: closed from then on.
        let mut l = ledger();
        let d = l.decide_deal(&DealRequest { cap: None, ..req }, t0).unwrap();
        l.apply_deal(d);
        l.apply_deal_end(1, t0 + 10_000);
        assert!(l.open_deal("mug", t0 + 9_999).is_some() && l.open_deal("mug", t0 + 10_000).is_none());
        assert!(
            l.decide_deal(
                &DealRequest {
                    seconds: 0,
                    product_id: "B2".into(),
                    price: "1".into(),
                    cap: None,
                    per_buyer: None
                },
                t0
            )
            .is_err()
        );
    }

    #[test]
    fn claims_from_a_log_without_deals_still_read() {
        let old = r#"{"id":1,"at_ms":1,"platform":"tiktok","buyer_id":"a","buyer":"a","message_id":"m","product_id":"mug","code":"B2","title":"Mug","variant":null,"sku":null,"quantity":1,"unit_price":"18.00","currency":"USD","status":"claimed"}"#;
        let c: Claim = serde_json::from_str(old).unwrap();
        assert_eq!((c.deal, c.price_why), (None, None));
    }
}
