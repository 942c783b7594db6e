//! What each role's page shows, built from the engine's snapshot and chat
//! and the console's own state (the host's question, who did what): one
//! JSON text per role, rebuilt when the engine says something changed
//! (its event stream), when a page acted, and twice a second for the
//! figures no event announces. Pages get a role's text only when it
//! changed; every page of a role shares one copy.

use crate::engine::stats::Snapshot;
use crate::events::Next;
use crate::products::price::{Money, PriceFormatter};
use crate::roles::{ROLES, Role};
use crate::server::{Shared, role_at};
use serde_json::{Value, json};
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

/// Chat messages a moderator's page holds (the newest).
pub const MESSAGES: usize = 200;
/// Claims a page lists (the newest).
pub const CLAIMS: usize = 100;
/// Least time between two builds.
pub const MIN_GAP: Duration = Duration::from_millis(40);
/// Stock at or under this is "low" on the prompter.
pub const LOW_STOCK: u32 = 3;
/// A microphone quieter than this (RMS, dBFS) while not muted is "too quiet".
pub const QUIET_DB: f32 = -50.0;

pub async fn run(shared: Arc<Shared>) {
    let mut sub = shared.engine.subscribe();
    let formatter = PriceFormatter::new(&shared.engine.show().graphics.locale)
        .or_else(|_| PriceFormatter::new("en-US"))
        .ok();
    let mut tick = tokio::time::interval(Duration::from_millis(500));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    let mut closing = shared.closing.clone();
    let mut last: [Arc<str>; 4] = Default::default();
    let mut version = 0u64;
    let mut quiet_since: HashMap<String, tokio::time::Instant> = HashMap::new();
    let mut featured: Vec<(String, u32)> = Vec::new();
    loop {
        tokio::select! {
            _ = closing.changed() => break,
            n = sub.next() => match n {
                Next::Closed => break,
                // What was featured, for the brand.
                Next::Event(e) => {
                    if let crate::events::Event::Feature { product, .. } = &e.event {
                        match featured.iter_mut().find(|(c, _)| c == product) {
                            Some((_, n)) => *n += 1,
                            None => featured.push((product.clone(), 1)),
                        }
                    }
                }
                _ => {}
            },
            _ = shared.dirty.notified() => {}
            _ = tick.tick() => {}
        }
        if !shared.any_page() {
            continue;
        }
        let built = build(&shared, formatter.as_ref(), &mut quiet_since, &featured);
        let mut changed = false;
        let mut next = shared.views.borrow().clone();
        for (i, text) in built.into_iter().enumerate() {
            if *last[i] != *text {
                version += 1;
                let text: Arc<str> = text.into();
                last[i] = text.clone();
                next.version[i] = version;
                next.json[i] = text;
                changed = true;
            }
        }
        if changed {
            shared.views.send_replace(next);
        }
        tokio::time::sleep(MIN_GAP).await;
    }
}

fn price(f: Option<&PriceFormatter>, m: &Money) -> String {
    match f {
        Some(f) => f.format(m),
        None => format!("{} {}", m.decimal(), m.currency),
    }
}

/// Each role's state text, in [`ROLES`] order.
pub fn build(
    shared: &Shared,
    f: Option<&PriceFormatter>,
    quiet_since: &mut HashMap<String, tokio::time::Instant>,
    featured_so_far: &[(String, u32)],
) -> Vec<String> {
    let engine = &shared.engine;
    let show = engine.show();
    let snap = engine.snapshot();
    let catalog = &show.graphics.catalog;
    let stock = |i: usize| snap.graphics.stock.get(i).copied().flatten();
    let product = |i: usize| {
        let p = &catalog.products[i];
        json!({
            "index": i,
            "code": p.code,
            "title": p.title,
            "price": p.variants.first().map(|v| price(f, &v.price)),
            "stock": stock(i),
            "note": p.note,
            "variants": p.variants.iter().map(|v| v.option.clone().unwrap_or_else(|| "—".into())).collect::<Vec<_>>(),
        })
    };
    let featured = snap
        .graphics
        .featured
        .as_ref()
        .and_then(|c| catalog.products.iter().position(|p| &p.code == c));
    let next = match (featured, catalog.products.len()) {
        (_, 0) => None,
        (None, _) => Some(0),
        (Some(i), n) => Some((i + 1) % n),
    };
    let alerts = alerts(
        &snap,
        show,
        featured.and_then(stock),
        featured.map(|i| &catalog.products[i].title),
        quiet_since,
    );
    let question = shared.question().clone();
    let destinations: Vec<Value> = snap
        .destinations
        .iter()
        .map(|d| json!({"id": d.id, "platform": d.platform, "canvas": d.canvas, "state": d.state.word(), "error": d.error}))
        .collect();
    let common = json!({
        "type": "state",
        "show": show.name,
        "rehearsal": snap.rehearsal,
        "started_ms": shared.started_ms,
        "scene": snap.scene,
        "preview": snap.preview,
        "scenes": show.scenes.iter().map(|s| s.id.clone()).collect::<Vec<_>>(),
        "canvases": show.canvases.iter().map(|c| json!({"id": c.id, "width": c.width, "height": c.height})).collect::<Vec<_>>(),
        "on_air": featured.map(product),
        "next": next.map(product),
        "rundown": snap.rundown,
        "rundown_words": snap.rundown.as_ref().map(|r| r.words()),
        "auction": snap.auction.as_ref().map(|a| {
            let money = |d: &str| Money::parse(d, &a.currency).ok().map(|m| price(f, &m));
            json!({"id": a.id, "product": a.product, "state": a.state, "price": money(&a.price),
                "next_minimum": a.next_minimum.as_deref().and_then(money), "leader": a.leader,
                "leader_platform": a.leader_platform, "bids": a.bids, "refused": a.refused,
                "left_s": a.left_ms.map(|ms| ms.div_ceil(1000)), "claim": a.claim,
                "recent_refused": a.recent_refused})
        }),
        "question": question,
        "alerts": alerts,
        "destinations": destinations,
    });
    // The console's lock before the chat's state, never while holding it
    // (a page's action takes them the other way round, one at a time).
    let handled = shared.handled().clone();
    let chat = engine.chat();
    let state = chat.as_ref().map(|c| c.state());
    let claims: Vec<Value> = state
        .as_ref()
        .map(|s| {
            s.ledger
                .claims()
                .iter()
                .rev()
                .take(CLAIMS)
                .map(|c| {
                    json!({"id": c.id, "code": c.code, "title": c.title, "variant": c.variant, "buyer": c.buyer,
                        "platform": c.platform.name(), "quantity": c.quantity, "status": c.status.name(),
                        "price": Money::parse(&c.unit_price, &c.currency).ok().map(|m| price(f, &m))})
                })
                .collect()
        })
        .unwrap_or_default();
    let mut out = Vec::with_capacity(4);
    for (i, role) in ROLES.iter().enumerate() {
        debug_assert_eq!(role_at(i), *role);
        let mut v = common.clone();
        v["role"] = json!(role.name());
        match role {
            Role::Moderator => {
                if let Some(s) = &state {
                    let by = |what: &'static str, n: u64| handled.get(&(what, n)).cloned();
                    let entries = s.entries();
                    let skip = entries.len().saturating_sub(MESSAGES);
                    v["messages"] = entries
                        .iter()
                        .skip(skip)
                        .map(|e| {
                            json!({
                                "seq": e.seq,
                                "platform": e.msg.platform.name(),
                                "platform_id": e.msg.platform.id(),
                                "author": e.msg.author.name,
                                "text": e.msg.text,
                                "tags": e.flags.describe(),
                                "queued": e.flags.any() && !e.answered && e.hidden.is_none(),
                                "hidden": e.hidden,
                                "answered": e.answered,
                                "claim": e.claim,
                                "check": e.check,
                                "hidden_by": by("hidden", e.seq),
                                "answered_by": by("answered", e.seq),
                                "blocked_by": by("blocked", e.seq),
                            })
                        })
                        .collect();
                    v["blocked"] = s
                        .blocked_users
                        .iter()
                        .map(|(p, _, name)| json!({"platform": p.name(), "name": name}))
                        .collect();
                    v["blocked_words"] = json!(s.blocked_words);
                    v["claims"] = json!(claims);
                    v["products"] = (0..catalog.products.len()).map(product).collect();
                }
                v["chat"] = json!(state.is_some());
            }
            Role::Producer => {
                v["products"] = (0..catalog.products.len()).map(product).collect();
                v["graphics"] =
                    json!({"on_air": snap.graphics.on_air, "countdown_left_s": snap.graphics.countdown_left_s});
                v["recording"] = json!(snap.recordings.iter().any(|r| r.recording_s.is_some()));
                v["recordings"] = json!(snap.recordings.len());
                v["tbar"] = json!(snap.tbar);
                v["in_transition"] = json!(snap.in_transition);
                v["chat"] = json!(state.is_some());
            }
            Role::Host => {
                v["countdown_left_s"] = json!(snap.graphics.countdown_left_s);
            }
            Role::Brand => {
                v["sales"] = sales(state.as_deref(), catalog, f);
                v["featured"] = featured_so_far
                    .iter()
                    .map(|(code, times)| json!({"code": code, "times": times}))
                    .collect();
            }
        }
        out.push(v.to_string());
    }
    out
}

/// Per product: claims, units and revenue claimed (cancelled ones left
/// out), waitlisted units; and the totals.
fn sales(
    state: Option<&crate::chat::state::ChatState>,
    catalog: &crate::products::catalog::Catalog,
    f: Option<&PriceFormatter>,
) -> Value {
    use crate::chat::ledger::Status;
    let Some(s) = state else {
        return json!({"products": [], "chat": false});
    };
    let mut rows: Vec<(u32, u32, u32, Option<Money>)> = vec![(0, 0, 0, None); catalog.products.len()];
    let mut total: Option<Money> = None;
    let (mut units, mut claims) = (0u32, 0u32);
    for c in s.ledger.claims() {
        let Some(i) = catalog.products.iter().position(|p| p.code == c.code) else {
            continue;
        };
        match c.status {
            Status::Claimed => {
                let row = &mut rows[i];
                row.0 += 1;
                row.1 += c.quantity;
                claims += 1;
                units += c.quantity;
                if let Some(m) = Money::parse(&c.unit_price, &c.currency)
                    .ok()
                    .and_then(|m| m.times(c.quantity))
                {
                    row.3 = Some(add(row.3, m));
                    total = Some(add(total, m));
                }
            }
            Status::Waitlisted => rows[i].2 += c.quantity,
            _ => {}
        }
    }
    json!({
        "chat": true,
        "claims": claims,
        "units": units,
        "revenue": total.map(|m| price(f, &m)),
        "products": rows.iter().enumerate().map(|(i, (n, u, w, r))| json!({
            "code": catalog.products[i].code,
            "title": catalog.products[i].title,
            "claims": n, "units": u, "waitlisted": w,
            "revenue": r.map(|m| price(f, &m)),
        })).collect::<Vec<_>>(),
    })
}

/// Sums of one currency (a catalog has one); another currency starts over.
fn add(a: Option<Money>, b: Money) -> Money {
    match a {
        Some(a) if a.currency == b.currency => Money {
            minor: a.minor.saturating_add(b.minor),
            currency: a.currency,
        },
        _ => b,
    }
}

/// What the host must know now: a destination down, a microphone muted
/// or too quiet (for 3 s), the product on air sold out or low.
fn alerts(
    snap: &Snapshot,
    show: &crate::show::Show,
    stock: Option<u32>,
    title: Option<&String>,
    quiet_since: &mut HashMap<String, tokio::time::Instant>,
) -> Vec<String> {
    let mut out = Vec::new();
    for d in &snap.destinations {
        if matches!(d.state.word(), "failed" | "reconnecting") {
            out.push(format!("{} is {}", d.id, d.state.word()));
        }
    }
    let mics: Vec<&str> = show
        .sources
        .iter()
        .filter(|s| matches!(s.config, crate::show::SourceConfig::Microphone { .. }))
        .map(|s| s.id.as_str())
        .collect();
    for i in &snap.audio.inputs {
        if !mics.contains(&i.id.as_str()) {
            continue;
        }
        if i.mute {
            out.push(format!("microphone {} is muted", i.id));
            quiet_since.remove(&i.id);
        } else if i.levels.rms_db < QUIET_DB {
            let since = *quiet_since
                .entry(i.id.clone())
                .or_insert_with(tokio::time::Instant::now);
            if since.elapsed() >= Duration::from_secs(3) {
                out.push(format!("microphone {} is too quiet", i.id));
            }
        } else {
            quiet_since.remove(&i.id);
        }
    }
    if let (Some(left), Some(title)) = (stock, title) {
        if left == 0 {
            out.push(format!("{title} is sold out"));
        } else if left <= LOW_STOCK {
            out.push(format!("{title}: only {left} left"));
        }
    }
    out
}
