//! One open page: the invite's token first, then the role's state as it
//! changes, what other pages did, the producer's pictures, and the page's
//! actions — each read (`messages`), checked against the role, and sent to
//! the engine. A page that does not read what it is sent is dropped; the
//! show never waits for a page.

use crate::chat::state::Action;
use crate::engine::Command;
use crate::messages::{self, Request};
use crate::roles::Role;
use crate::server::{Question, Shared};
use axum::extract::ws::{CloseFrame, Message as Ws, WebSocket};
use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::broadcast;
use tokio::time::Instant;

/// Time a page has to send its invite's token.
pub const HELLO_TIMEOUT: Duration = Duration::from_secs(10);
/// Actions a page may send per second, and in one burst.
pub const RATE_PER_S: f64 = 20.0;
pub const BURST: f64 = 40.0;

/// Close codes: 4001 the invite was revoked, 4003 the token was refused,
/// 4029 too many wrong tokens from this address (try again in a minute:
/// the token may well be right).
pub const CLOSE_REVOKED: u16 = 4001;
pub const CLOSE_REFUSED: u16 = 4003;
pub const CLOSE_TOO_MANY: u16 = 4029;

type Tx = futures_util::stream::SplitSink<WebSocket, Ws>;

async fn send(tx: &mut Tx, shared: &Shared, msg: Ws) -> bool {
    matches!(
        tokio::time::timeout(shared.limits.write_timeout, tx.send(msg)).await,
        Ok(Ok(()))
    )
}

async fn close(tx: &mut Tx, code: u16, reason: &str) {
    let frame = CloseFrame {
        code,
        reason: reason.chars().take(120).collect::<String>().into(),
    };
    let _ = tokio::time::timeout(Duration::from_secs(2), tx.send(Ws::Close(Some(frame)))).await;
}

pub async fn run(socket: WebSocket, shared: Arc<Shared>, peer: SocketAddr) {
    let (mut tx, mut rx) = socket.split();
    // The invite's token, as the first message: {"token": "..."}.
    let hello = tokio::time::timeout(HELLO_TIMEOUT, rx.next()).await;
    let token = match hello {
        Ok(Some(Ok(Ws::Text(t)))) => serde_json::from_str::<Value>(t.as_str())
            .ok()
            .and_then(|v| v.get("token").and_then(Value::as_str).map(str::to_string)),
        Ok(_) => None,
        Err(_) => {
            close(&mut tx, CLOSE_REFUSED, "no invite token within 10 s").await;
            return;
        }
    };
    let Some(token) = token else {
        close(
            &mut tx,
            CLOSE_REFUSED,
            "send {\"token\": ...} first (open the invite link)",
        )
        .await;
        return;
    };
    let invite = match shared.admit(&token, peer.ip()) {
        Ok(i) => i,
        Err(e) => {
            let refusal = json!({"type": "refused", "error": e.to_string()}).to_string();
            let _ = send(&mut tx, &shared, Ws::Text(refusal.into())).await;
            let code = match e {
                crate::invites::InviteError::TooManyFailures(_) => CLOSE_TOO_MANY,
                _ => CLOSE_REFUSED,
            };
            close(&mut tx, code, &e.to_string()).await;
            return;
        }
    };
    drop(token);
    let id = shared.register(&invite, peer);
    tracing::info!(
        "crew console: {} ({}) opened a page from {peer}",
        invite.name,
        invite.role
    );
    let reason = page(&mut tx, &mut rx, &shared, id, invite.id, invite.role, &invite.name).await;
    shared.unregister(id);
    if let Some((code, why)) = reason {
        close(&mut tx, code, &why).await;
        tracing::info!("crew console: {}'s page closed ({code} {why})", invite.name);
    }
}

struct Bucket {
    tokens: f64,
    at: Instant,
}

impl Bucket {
    fn take(&mut self) -> bool {
        let now = Instant::now();
        self.tokens = (self.tokens + now.duration_since(self.at).as_secs_f64() * RATE_PER_S).min(BURST);
        self.at = now;
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            true
        } else {
            false
        }
    }
}

/// The page's life; Some(code, reason) to close it with.
async fn page(
    tx: &mut Tx,
    rx: &mut futures_util::stream::SplitStream<WebSocket>,
    shared: &Shared,
    id: u64,
    invite: u64,
    role: Role,
    name: &str,
) -> Option<(u16, String)> {
    let mut revoked = shared.revoked.subscribe();
    let mut notices = shared.notices.subscribe();
    let mut views = shared.views.subscribe();
    let mut pictures = shared.pictures.subscribe();
    let mut closing = shared.closing.clone();
    // Revoked between admission and here.
    if !shared.invite_alive(invite) {
        return Some((CLOSE_REVOKED, "your invite was revoked".into()));
    }
    let can: Vec<&str> = messages::ACTIONS
        .iter()
        .copied()
        .filter(|a| messages::role_may(role, a))
        .collect();
    let welcome = json!({
        "type": "welcome",
        "page": id,
        "name": name,
        "role": role.name(),
        "show": shared.engine.show().name,
        "can": can,
        // The page's show timer counts from this, whatever its own clock says.
        "now_ms": std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_millis() as u64)
            .unwrap_or(0),
    });
    if !send(tx, shared, Ws::Text(welcome.to_string().into())).await {
        return None;
    }
    // The current state at once (the builder's next round may be a while).
    let mut sent_version = 0;
    {
        let v = views.borrow_and_update().clone();
        if v.version[role.index()] != 0 {
            sent_version = v.version[role.index()];
            if !send(tx, shared, Ws::Text(v.json[role.index()].to_string().into())).await {
                return None;
            }
        } else {
            shared.dirty.notify_one();
        }
    }
    let mut sent_pictures = 0;
    let idle = shared.limits.idle_timeout;
    let mut heard = Instant::now();
    let mut ping = tokio::time::interval(idle / 3);
    ping.reset();
    let mut bucket = Bucket {
        tokens: BURST,
        at: Instant::now(),
    };
    loop {
        tokio::select! {
            _ = closing.changed() => return Some((1001, "the show has ended".into())),
            r = revoked.recv() => match r {
                Ok(i) if i == invite => {
                    let bye = json!({"type": "revoked", "error": "your invite was revoked: ask the studio for a new one"});
                    let _ = send(tx, shared, Ws::Text(bye.to_string().into())).await;
                    return Some((CLOSE_REVOKED, "your invite was revoked".into()));
                }
                Ok(_) => {}
                Err(broadcast::error::RecvError::Lagged(_)) => {
                    if !shared.invite_alive(invite) {
                        return Some((CLOSE_REVOKED, "your invite was revoked".into()));
                    }
                }
                Err(broadcast::error::RecvError::Closed) => return Some((1001, "the show has ended".into())),
            },
            n = notices.recv(), if matches!(role, Role::Moderator | Role::Producer) => match n {
                Ok(n) => {
                    if !send(tx, shared, Ws::Text(n.to_string().into())).await {
                        return None;
                    }
                }
                // A page that fell behind gets the state anyway.
                Err(broadcast::error::RecvError::Lagged(_)) => {}
                Err(broadcast::error::RecvError::Closed) => return Some((1001, "the show has ended".into())),
            },
            c = views.changed() => {
                if c.is_err() {
                    return Some((1001, "the show has ended".into()));
                }
                let v = views.borrow_and_update().clone();
                if v.version[role.index()] != sent_version {
                    sent_version = v.version[role.index()];
                    if !send(tx, shared, Ws::Text(v.json[role.index()].to_string().into())).await {
                        return None;
                    }
                }
            },
            c = pictures.changed(), if role == Role::Producer => {
                if c.is_err() {
                    return Some((1001, "the show has ended".into()));
                }
                let p = pictures.borrow_and_update().clone();
                if p.version != sent_pictures {
                    sent_pictures = p.version;
                    for f in &p.frames {
                        if !send(tx, shared, Ws::Binary(f.to_vec().into())).await {
                            return None;
                        }
                    }
                }
            },
            msg = rx.next() => {
                heard = Instant::now();
                let text = match msg {
                    Some(Ok(Ws::Text(t))) => t,
                    Some(Ok(Ws::Binary(_))) => {
                        let e = json!({"type": "error", "error": "send text (JSON), not binary"});
                        if !send(tx, shared, Ws::Text(e.to_string().into())).await {
                            return None;
                        }
                        continue;
                    }
                    Some(Ok(Ws::Close(_))) | None => return None,
                    Some(Ok(_)) => continue,
                    Some(Err(e)) => {
                        let text = e.to_string();
                        if text.contains("too long") || text.contains("Space limit") || text.contains("too big") {
                            return Some((1009, format!("messages are limited to {} KiB", messages::MAX_MESSAGE / 1024)));
                        }
                        return None;
                    }
                };
                shared.count_message(id);
                let reply = if bucket.take() {
                    act(shared, id, role, name, text.as_str())
                } else {
                    json!({"type": "error", "error": format!("too many actions: at most {RATE_PER_S} a second")})
                };
                if !send(tx, shared, Ws::Text(reply.to_string().into())).await {
                    return None;
                }
            }
            _ = ping.tick() => {
                if heard.elapsed() >= idle {
                    return Some((1001, format!("nothing heard for {} s", idle.as_secs())));
                }
                if !send(tx, shared, Ws::Ping(Default::default())).await {
                    return None;
                }
            }
        }
    }
}

/// The reply to one message: `result` (or `preflight`), or `error` (with the field at fault,
/// and `already` when another page did it first), with the page's `id`.
fn act(shared: &Shared, page: u64, role: Role, name: &str, text: &str) -> Value {
    let (msg_id, request) = messages::read(text);
    let mut reply = match request {
        Err(bad) => json!({"type": "error", "error": bad.message, "field": bad.field}),
        Ok(req) => match messages::authorize(role, &req) {
            Err(why) => json!({"type": "error", "error": why, "forbidden": true}),
            Ok(()) => match perform(shared, page, role, name, req) {
                Ok(reply) => reply,
                Err(Refused::Already(why)) => json!({"type": "error", "error": why, "already": true}),
                Err(Refused::Failed(why)) => json!({"type": "error", "error": why}),
            },
        },
    };
    reply["id"] = msg_id;
    reply
}

enum Refused {
    Already(String),
    Failed(String),
}

/// What a chat action marks as done (so a second page does not do it
/// twice), and its words for the others.
fn mark(action: &Action) -> Option<(&'static str, u64, &'static str)> {
    match action {
        Action::Answered(seq) => Some(("answered", *seq, "answered")),
        Action::Hide(seq) => Some(("hidden", *seq, "hid")),
        Action::Block(seq) => Some(("blocked", *seq, "blocked the author of")),
        Action::CancelClaim(id) => Some(("cancelled", *id, "cancelled claim")),
        Action::Claim { seq, .. } => Some(("settled", *seq, "settled the claim in")),
        _ => None,
    }
}

/// Keeps who-did-what bounded: beyond 20,000 marks, the older half goes
/// (those messages have long left the pages' newest 200).
fn prune(handled: &mut std::collections::HashMap<(&'static str, u64), String>) {
    if handled.len() > 20_000 {
        let mut ns: Vec<u64> = handled.keys().map(|k| k.1).collect();
        ns.sort_unstable();
        let cut = ns[ns.len() / 2];
        handled.retain(|k, _| k.1 >= cut);
    }
}

/// The answer to a request done: `result`, with what was done.
fn done(words: impl Into<String>) -> Value {
    json!({"type": "result", "ok": true, "done": words.into()})
}

fn perform(shared: &Shared, page: u64, role: Role, name: &str, req: Request) -> Result<Value, Refused> {
    let engine = &shared.engine;
    match req {
        Request::Engine(Command::Chat(action)) => {
            let key = mark(&action);
            let done_by = |n: u64, what: &'static str| shared.handled().get(&(what, n)).cloned();
            if let Some((what, n, _)) = key
                && let Some(who) = done_by(n, what)
            {
                return Err(Refused::Already(format!("{who} already did this ({what} {n})")));
            }
            // What the chat says now (the studio may have done it). The
            // console's lock is not held meanwhile: the view builder takes
            // the chat's state and then this lock, never the other way.
            if let Some((what, n, _)) = key
                && let Some(chat) = engine.chat()
            {
                let state = chat.state();
                if let Some(e) = state.entry(n) {
                    let done = match what {
                        "answered" => e.answered,
                        "hidden" => e.hidden.is_some(),
                        _ => false,
                    };
                    if done {
                        return Err(Refused::Already(format!("message {n} is already {what}")));
                    }
                }
            }
            // Reserved under the console's lock: of two pages at once, one does it.
            if let Some((what, n, _)) = key {
                let mut handled = shared.handled();
                if let Some(who) = handled.get(&(what, n)) {
                    return Err(Refused::Already(format!("{who} already did this ({what} {n})")));
                }
                handled.insert((what, n), name.to_string());
                prune(&mut handled);
            }
            if let Action::Unhide(seq) = &action {
                shared.handled().remove(&("hidden", *seq));
            }
            let words = action.name();
            let seq = match &action {
                Action::Answered(s) | Action::Hide(s) | Action::Unhide(s) | Action::Block(s) => Some(*s),
                Action::Claim { seq, .. } => Some(*seq),
                Action::CancelClaim(id) => Some(*id),
                _ => None,
            };
            if let Err(e) = engine.execute(Command::Chat(action)) {
                if let Some((what, n, _)) = key {
                    shared.handled().remove(&(what, n));
                }
                return Err(Refused::Failed(e.to_string()));
            }
            if let Some((what, n, verb)) = key {
                shared.notify(json!({"type": "notice", "page": page, "by": name, "role": role.name(), "action": words, "seq": n,
                    "text": format!("{name} {verb} {}", if what == "cancelled" { format!("{n}") } else { format!("message {n}") })}));
            } else {
                shared.notify(
                    json!({"type": "notice", "page": page, "by": name, "role": role.name(), "action": words, "seq": seq,
                    "text": format!("{name}: {words}")}),
                );
            }
            // A question on the prompter that was just answered or hidden goes.
            if matches!(words, "answered" | "hide" | "block") {
                let mut q = shared.question();
                if q.as_ref().is_some_and(|q| Some(q.seq) == seq) {
                    *q = None;
                }
            }
            shared.dirty.notify_one();
            Ok(done(words.to_string()))
        }
        Request::Engine(cmd) => {
            let what = describe(&cmd);
            engine.execute(cmd).map_err(|e| Refused::Failed(e.to_string()))?;
            shared.notify(json!({"type": "notice", "page": page, "by": name, "role": role.name(), "action": what, "text": format!("{name} {what}")}));
            shared.dirty.notify_one();
            Ok(done(what))
        }
        Request::PushQuestion { seq } => {
            let chat = engine
                .chat()
                .ok_or_else(|| Refused::Failed("the show has no [chat]".into()))?;
            let q = {
                let state = chat.state();
                let e = state
                    .entry(seq)
                    .ok_or_else(|| Refused::Failed(format!("message {seq} is no longer in memory")))?;
                Question {
                    seq,
                    platform: e.msg.platform.name().to_string(),
                    author: e.msg.author.name.clone(),
                    text: e.msg.text.clone(),
                    by: name.to_string(),
                }
            };
            let mut current = shared.question();
            if let Some(c) = current.as_ref()
                && c.seq == seq
            {
                return Err(Refused::Already(format!(
                    "{} already pushed this question to the host",
                    c.by
                )));
            }
            *current = Some(q);
            drop(current);
            shared.notify(
                json!({"type": "notice", "page": page, "by": name, "role": role.name(), "action": "push_question", "seq": seq,
                "text": format!("{name} pushed message {seq} to the host")}),
            );
            shared.dirty.notify_one();
            Ok(done("push_question"))
        }
        Request::CommentOnScreen { seq } => {
            let chat = engine
                .chat()
                .ok_or_else(|| Refused::Failed("the show has no [chat]".into()))?;
            let g = {
                let state = chat.state();
                let e = state
                    .entry(seq)
                    .ok_or_else(|| Refused::Failed(format!("message {seq} is no longer in memory")))?;
                crate::graphics::GraphicsCommand::FeatureComment {
                    author: e.msg.author.name.clone(),
                    platform: e.msg.platform.name().to_string(),
                    text: e.msg.text.clone(),
                }
            };
            engine
                .execute(Command::Graphics(g))
                .map_err(|e| Refused::Failed(e.to_string()))?;
            shared.notify(
                json!({"type": "notice", "page": page, "by": name, "role": role.name(), "action": "comment", "seq": seq,
                "text": format!("{name} put message {seq} on screen")}),
            );
            shared.dirty.notify_one();
            Ok(done("comment"))
        }
        Request::BlockWord { word } => {
            let chat = engine
                .chat()
                .ok_or_else(|| Refused::Failed("the show has no [chat]".into()))?;
            if chat.state().blocked_words.iter().any(|w| w.eq_ignore_ascii_case(&word)) {
                return Err(Refused::Already(format!("`{word}` is already blocked")));
            }
            // Added when its turn comes in the chat writer: two words sent at
            // once are both kept.
            engine
                .execute(Command::Chat(Action::AddBlockedWord(word.clone())))
                .map_err(|e| Refused::Failed(e.to_string()))?;
            shared.notify(
                json!({"type": "notice", "page": page, "by": name, "role": role.name(), "action": "block_word",
                "text": format!("{name} blocked the word `{word}`")}),
            );
            shared.dirty.notify_one();
            Ok(done("block_word"))
        }
        // Read from the engine now (keys, sources, disk): only for the
        // page that asked, never the keys themselves.
        Request::Preflight => {
            let p = engine.preflight(None);
            Ok(
                json!({"type": "preflight", "ok": p.ok(), "problems": p.problems().count(), "checks": p.checks,
                "at_ms": crate::chat::log::now_ms()}),
            )
        }
        Request::ClearQuestion => {
            let q = shared.question().take();
            let Some(q) = q else {
                return Err(Refused::Already("there is no question on the prompter".into()));
            };
            // The host's "answered" answers the message too (once).
            let first = shared.handled().insert(("answered", q.seq), name.to_string()).is_none();
            if first && engine.execute(Command::Chat(Action::Answered(q.seq))).is_err() {
                shared.handled().remove(&("answered", q.seq));
            }
            shared.notify(
                json!({"type": "notice", "page": page, "by": name, "role": role.name(), "action": "clear_question", "seq": q.seq,
                "text": format!("{name} answered {}'s question", q.author)}),
            );
            shared.dirty.notify_one();
            Ok(done("clear_question"))
        }
    }
}

/// A producer's command in words, for the other pages ("Pat cut to intro").
fn describe(cmd: &Command) -> String {
    use crate::graphics::GraphicsCommand as G;
    match cmd {
        Command::TakeScene(s) => format!("cut to {s}"),
        Command::PreviewScene(s) => format!("previewed {s}"),
        Command::Take(_) => "took preview to program".into(),
        Command::TBar(p) => format!("moved the T-bar to {:.0} %", p * 100.0),
        Command::ReconnectNow(d) => format!("reconnected {}", d.as_deref().unwrap_or("every destination")),
        Command::Record(on) => if *on { "started recording" } else { "stopped recording" }.into(),
        Command::Graphics(g) => match g {
            G::Feature(code) => format!("featured {code}"),
            G::NextProduct => "featured the next product".into(),
            G::PreviousProduct => "featured the previous product".into(),
            G::HideProduct => "took the product card off".into(),
            G::StartCountdown { seconds, .. } => format!("started a {seconds} s countdown"),
            G::StopCountdown => "stopped the countdown".into(),
            G::LowerThird { name, .. } => format!("showed the lower third of {name}"),
            G::HideLowerThird => "took the lower third off".into(),
            G::Banner(_) => "showed a banner".into(),
            G::HideBanner => "took the banner off".into(),
            G::FeatureComment { author, .. } => format!("put {author}'s comment on screen"),
            G::HideComment => "took the comment off screen".into(),
        },
        _ => "sent a command".into(),
    }
}
