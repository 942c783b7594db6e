//! Claims to Shopify draft orders (Admin GraphQL `draftOrderCreate`), one
//! per buyer, with `reserveInventoryUntil` so the stock is held while the
//! buyer pays. A claimed line whose SKU the shop knows becomes that variant;
//! otherwise a custom line with the title and price. Claims already in a
//! draft order are never sent twice (the log records each order).

use super::ledger::{Claim, Status};
use crate::secrets::{KeyRef, Secret, redact};
use serde_json::{Value, json};
use std::collections::{BTreeMap, HashSet};
use std::time::Duration;

/// `[chat] shopify_admin`, checked.
#[derive(Debug, Clone, PartialEq)]
pub struct ShopifyAdmin {
    /// https://SHOP.myshopify.com
    pub url: String,
    pub token: KeyRef,
    /// How long the stock stays reserved for the buyer.
    pub reserve: Duration,
}

const API_VERSION: &str = "2025-01";

/// One created draft order: which claims it holds.
#[derive(Debug, Clone, PartialEq)]
pub struct Created {
    pub claims: Vec<u64>,
    pub id: String,
    pub name: String,
}

/// What a run did: orders made, and per buyer what went wrong.
#[derive(Debug, Default)]
pub struct Outcome {
    pub created: Vec<Created>,
    pub failed: Vec<String>,
}

impl Outcome {
    pub fn summary(&self) -> String {
        let mut s = match self.created.len() {
            0 => "no new draft orders".to_string(),
            n => format!(
                "{n} draft order(s) created: {}",
                self.created
                    .iter()
                    .map(|c| c.name.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        };
        if !self.failed.is_empty() {
            s.push_str(&format!("; {} failed: {}", self.failed.len(), self.failed.join("; ")));
        }
        s
    }
}

/// Why a draft order (or all of them) could not be made.
#[derive(Debug, thiserror::Error)]
pub enum OrderError {
    #[error(transparent)]
    Token(#[from] crate::secrets::SecretError),
    #[error("[chat] shopify_token is needed for draft orders")]
    NoToken,
    #[error("cannot make an HTTP client: {0}")]
    Client(reqwest::Error),
    /// The request failed; the message is redacted and has no URL.
    #[error("Shopify: {0}")]
    Request(String),
    /// Ends the whole run: no other order can succeed.
    #[error("Shopify refused the admin token ({0}) — it needs the write_draft_orders scope")]
    Refused(u16),
    #[error("Shopify answered HTTP {0}")]
    Status(u16),
    /// The first GraphQL error's message.
    #[error("Shopify: {0}")]
    GraphQl(String),
    #[error("Shopify kept throttling; try again in a minute")]
    Throttled,
}

struct Client {
    http: reqwest::blocking::Client,
    endpoint: String,
    token: Secret,
}

impl Client {
    /// One GraphQL call; waits out throttling (429 or THROTTLED) a few times.
    fn call(&self, query: &str, variables: Value) -> Result<Value, OrderError> {
        for _ in 0..5 {
            let resp = self
                .http
                .post(&self.endpoint)
                .header("X-Shopify-Access-Token", self.token.expose())
                .json(&json!({"query": query, "variables": variables}))
                .send()
                .map_err(|e| OrderError::Request(redact(&e.without_url().to_string())))?;
            let code = resp.status().as_u16();
            let wait = super::connectors::retry_after(resp.headers()).unwrap_or(Duration::from_secs(2));
            let body: Value = resp.json().unwrap_or_default();
            match code {
                200 => {}
                401 | 403 => return Err(OrderError::Refused(code)),
                429 => {
                    std::thread::sleep(wait);
                    continue;
                }
                _ => return Err(OrderError::Status(code)),
            }
            let throttled = body["errors"]
                .as_array()
                .is_some_and(|e| e.iter().any(|e| e["extensions"]["code"] == "THROTTLED"));
            if throttled {
                std::thread::sleep(wait);
                continue;
            }
            if let Some(e) = body["errors"].as_array().and_then(|e| e.first()) {
                return Err(OrderError::GraphQl(
                    e["message"].as_str().unwrap_or("error").to_string(),
                ));
            }
            return Ok(body["data"].clone());
        }
        Err(OrderError::Throttled)
    }

    fn variant_by_sku(&self, sku: &str) -> Result<Option<String>, OrderError> {
        let data = self.call(
            "query($q: String!) { productVariants(first: 1, query: $q) { nodes { id } } }",
            json!({"q": format!("sku:\"{}\"", sku.replace('"', ""))}),
        )?;
        Ok(data["productVariants"]["nodes"][0]["id"].as_str().map(str::to_string))
    }
}

/// Makes a draft order for every buyer with claimed lines not yet ordered.
pub fn create(
    admin: &ShopifyAdmin,
    claims: &[Claim],
    ordered: &HashSet<u64>,
    now_ms: u64,
) -> Result<Outcome, OrderError> {
    let token = admin
        .token
        .resolve("[chat] shopify_token")?
        .ok_or(OrderError::NoToken)?;
    let client = Client {
        http: reqwest::blocking::Client::builder()
            .timeout(Duration::from_secs(20))
            .build()
            .map_err(OrderError::Client)?,
        endpoint: format!(
            "{}/admin/api/{API_VERSION}/graphql.json",
            admin.url.trim_end_matches('/')
        ),
        token,
    };
    // Per buyer, in the order they first claimed.
    let mut buyers: BTreeMap<(u64, String), Vec<&Claim>> = BTreeMap::new();
    for c in claims
        .iter()
        .filter(|c| c.status == Status::Claimed && !ordered.contains(&c.id))
    {
        let first = claims
            .iter()
            .find(|o| o.platform == c.platform && o.buyer_id == c.buyer_id)
            .map(|o| o.id)
            .unwrap_or(c.id);
        buyers
            .entry((first, format!("{}:{}", c.platform.id(), c.buyer_id)))
            .or_default()
            .push(c);
    }
    let reserve_until = super::log::utc(now_ms + admin.reserve.as_millis() as u64);
    let mut outcome = Outcome::default();
    for lines in buyers.values() {
        let buyer = &lines[0];
        let mut items = Vec::new();
        let mut failed = None;
        for c in lines {
            let variant = match &c.sku {
                Some(sku) => match client.variant_by_sku(sku) {
                    Ok(v) => v,
                    Err(e) => {
                        failed = Some(e);
                        break;
                    }
                },
                None => None,
            };
            items.push(match variant {
                Some(id) => json!({"variantId": id, "quantity": c.quantity}),
                None => json!({
                    "title": match &c.variant { Some(v) => format!("{} — {v}", c.title), None => c.title.clone() },
                    "originalUnitPrice": c.unit_price,
                    "quantity": c.quantity,
                    "sku": c.sku,
                }),
            });
        }
        if let Some(e) = failed {
            if let OrderError::Refused(_) = e {
                return Err(e);
            }
            outcome.failed.push(format!("{}: {e}", buyer.buyer));
            continue;
        }
        let ids: Vec<u64> = lines.iter().map(|c| c.id).collect();
        let input = json!({
            "lineItems": items,
            "reserveInventoryUntil": reserve_until,
            "note": format!("Live show claims by {} on {} (claims {})", buyer.buyer, buyer.platform.name(),
                ids.iter().map(|i| format!("#{i}")).collect::<Vec<_>>().join(", ")),
            "tags": ["showroom", "live-claims", buyer.platform.id()],
        });
        let result = client.call(
            "mutation($input: DraftOrderInput!) { draftOrderCreate(input: $input) { draftOrder { id name } userErrors { field message } } }",
            json!({"input": input}),
        );
        match result {
            Ok(data) => {
                let r = &data["draftOrderCreate"];
                let errors: Vec<String> = r["userErrors"]
                    .as_array()
                    .map(Vec::as_slice)
                    .unwrap_or_default()
                    .iter()
                    .map(|e| e["message"].as_str().unwrap_or("error").to_string())
                    .collect();
                match (r["draftOrder"]["id"].as_str(), errors.is_empty()) {
                    (Some(id), true) => outcome.created.push(Created {
                        claims: ids,
                        id: id.to_string(),
                        name: r["draftOrder"]["name"].as_str().unwrap_or(id).to_string(),
                    }),
                    _ => outcome.failed.push(format!("{}: {}", buyer.buyer, errors.join(", "))),
                }
            }
            Err(e @ OrderError::Refused(_)) => return Err(e),
            Err(e) => outcome.failed.push(format!("{}: {e}", buyer.buyer)),
        }
    }
    Ok(outcome)
}
