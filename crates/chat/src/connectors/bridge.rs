//! Our own chat endpoint, for platforms without a public chat API (TikTok
//! LIVE, Amazon Live): any relay, browser extension or script posts
//! messages here. Documented in docs/chat.md.
//!
//! - `POST /v1/messages` — one message or an array; answers 200
//!   `{"accepted":N}` once they are on disk, 400 naming the bad field.
//! - `GET /v1/ws` — a WebSocket; each text frame is one message or an array,
//!   answered `{"ack":K,"accepted":N}` (K counts frames from 1) once on disk.
//!
//! Bodies are our JSON (see `parse_message`) or Social Stream Ninja's flat
//! objects, so SSN can post here directly. If the source has a token, a
//! request must carry it (`Authorization: Bearer …` or `?token=`).

use super::{StatusHandle, relay};
use crate::Ingest;
use crate::listener::{Conn, Counters, Guard, Limits, Refusal};
use crate::model::{Author, Badge, Kind, Message, Platform, ViewerCount};
use crate::secrets::Secret;
use axum::body::Body;
use axum::extract::State as Ax;
use axum::extract::ws::rejection::WebSocketUpgradeRejection;
use axum::extract::ws::{CloseFrame, Message as Ws, WebSocket, WebSocketUpgrade};
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Extension, Json};
use futures_util::stream::FuturesOrdered;
use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::time::Instant;

/// How a client reaches a running bridge: where, and the token it needs.
#[derive(Debug, Clone)]
pub struct BridgeAccess {
    /// The chat source's name.
    pub source: String,
    pub addr: SocketAddr,
    pub token: Secret,
    /// Where the token is kept, in words ("the OS keyring (…)", a file).
    pub kept: String,
}

#[derive(Clone)]
struct Shared {
    ingest: Ingest,
    token: Secret,
    guard: Arc<Guard>,
    limits: Limits,
    status: StatusHandle,
}

/// The bridge's limits: the listener defaults with bodies and WebSocket
/// messages of at most 256 KiB and 128 connections (docs/security.md).
pub fn limits() -> Limits {
    Limits {
        connections: 128,
        per_address: 64,
        body_bytes: 256 * 1024,
        frame_bytes: 256 * 1024,
        ..Limits::default()
    }
}

pub async fn serve(
    listener: tokio::net::TcpListener,
    token: Secret,
    guard: Guard,
    ingest: Ingest,
    status: StatusHandle,
) {
    let limits = limits();
    let app = axum::Router::new()
        .route("/v1/messages", post(post_messages).fallback(wrong_method))
        .route("/v1/ws", get(ws_upgrade).fallback(wrong_method))
        .fallback(not_found)
        .with_state(Shared {
            ingest,
            token,
            guard: Arc::new(guard),
            limits,
            status: status.clone(),
        });
    crate::listener::serve(listener, app, limits, Arc::new(Counters::default())).await;
}

async fn not_found(uri: Uri) -> Response {
    Refusal::new(
        StatusCode::NOT_FOUND,
        format!("nothing at {}: POST /v1/messages or GET /v1/ws", uri.path()),
    )
    .into_response()
}

async fn wrong_method() -> Response {
    Refusal::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "use POST /v1/messages or a WebSocket on GET /v1/ws (no CORS: browsers are refused)",
    )
    .into_response()
}

/// Host, Origin and token, for every request.
fn admit(shared: &Shared, headers: &HeaderMap, uri: &Uri) -> Result<(), Refusal> {
    shared.guard.check(headers)?;
    let bearer = headers
        .get("authorization")
        .and_then(|h| h.to_str().ok())
        .and_then(|h| h.strip_prefix("Bearer "))
        .map(str::trim);
    let query = uri.query().and_then(|q| {
        q.split('&')
            .find_map(|kv| kv.strip_prefix("token="))
            .map(|t| t.to_string())
    });
    let given = bearer.map(str::to_string).or(query);
    match given {
        Some(t) if crate::secrets::same(t.as_bytes(), shared.token.expose().as_bytes()) => Ok(()),
        Some(_) => Err(Refusal::new(StatusCode::UNAUTHORIZED, "the token is wrong (the studio's chat panel shows this bridge's token)").field("token")),
        None => Err(Refusal::new(
            StatusCode::UNAUTHORIZED,
            "this bridge needs its token: send Authorization: Bearer TOKEN or ?token=TOKEN (the studio's chat panel shows it)",
        )
        .field("token")),
    }
}

async fn post_messages(Ax(shared): Ax<Shared>, uri: Uri, headers: HeaderMap, body: Body) -> Response {
    match post_inner(&shared, &uri, &headers, body).await {
        Ok(n) => Json(json!({"accepted": n})).into_response(),
        Err(r) => r.into_response(),
    }
}

async fn post_inner(shared: &Shared, uri: &Uri, headers: &HeaderMap, body: Body) -> Result<usize, Refusal> {
    admit(shared, headers, uri)?;
    let json_type = headers
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|v| v.trim().eq_ignore_ascii_case("application/json"));
    if !json_type {
        return Err(Refusal::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "send Content-Type: application/json (nothing else is read)",
        )
        .field("Content-Type"));
    }
    let limit = shared.limits.body_bytes;
    let too_big = || {
        Refusal::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            format!(
                "the body is over {limit} bytes ({} KiB): send fewer messages per request",
                limit / 1024
            ),
        )
    };
    let declared = headers
        .get("content-length")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > limit as u64) {
        return Err(too_big());
    }
    let bytes = match tokio::time::timeout(shared.limits.body_timeout, axum::body::to_bytes(body, limit)).await {
        Err(_) => {
            return Err(Refusal::new(
                StatusCode::REQUEST_TIMEOUT,
                format!(
                    "the body did not arrive within {} s",
                    shared.limits.body_timeout.as_secs()
                ),
            ));
        }
        Ok(Err(_)) => return Err(too_big()),
        Ok(Ok(b)) => b,
    };
    let text = std::str::from_utf8(&bytes).map_err(|e| {
        Refusal::new(
            StatusCode::BAD_REQUEST,
            format!("the body is not UTF-8 text (bad byte at {})", e.valid_up_to()),
        )
    })?;
    let items = parse_body(text).map_err(|e| e.refusal())?;
    deliver(shared, items)
        .await
        .map_err(|e| Refusal::new(StatusCode::SERVICE_UNAVAILABLE, e))
}

/// Pushes the items and waits until they are on disk.
async fn deliver(shared: &Shared, items: Vec<Item>) -> Result<usize, String> {
    let n = items.len();
    let mut acks = Vec::with_capacity(n);
    for item in items {
        let ack = match item {
            Item::Message(m) => shared.ingest.send_acked(m).await,
            Item::Viewers(v) => shared.ingest.viewers_acked(v).await,
        };
        acks.push(ack.ok_or("the chat has stopped; nothing was accepted")?);
    }
    for a in acks {
        if a.await != Ok(true) {
            return Err("the chat log could not be written; send again".into());
        }
    }
    shared.status.counted(n as u64);
    Ok(n)
}

async fn ws_upgrade(
    Ax(shared): Ax<Shared>,
    Extension(conn): Extension<Conn>,
    uri: Uri,
    headers: HeaderMap,
    ws: Result<WebSocketUpgrade, WebSocketUpgradeRejection>,
) -> Response {
    if let Err(r) = admit(&shared, &headers, &uri) {
        return r.into_response();
    }
    match crate::listener::websocket(ws, &shared.limits, "GET /v1/ws must be a WebSocket upgrade") {
        Ok(ws) => ws.on_upgrade(move |socket| ws_session(socket, shared, conn)),
        Err(r) => r.into_response(),
    }
}

/// Frames read but not yet acknowledged, per connection.
const IN_FLIGHT: usize = 64;
/// Bytes of frames read but not yet acknowledged, per connection.
const IN_FLIGHT_BYTES: usize = 1 << 20;

type Reply = std::pin::Pin<Box<dyn Future<Output = (Value, usize)> + Send>>;

async fn ws_session(socket: WebSocket, shared: Shared, conn: Conn) {
    // The connection keeps its place under the caps while the session lives.
    let _permit = conn.permit;
    let (mut tx, mut rx) = socket.split();
    // Acks in frame order; reading goes on while earlier frames are written.
    let mut pending: FuturesOrdered<Reply> = FuturesOrdered::new();
    let mut pending_bytes = 0usize;
    let mut frame = 0u64;
    let idle = shared.limits.idle_timeout;
    let mut heard = Instant::now();
    let mut ping = tokio::time::interval(idle / 3);
    ping.reset();
    let mut close: Option<CloseFrame> = None;
    loop {
        tokio::select! {
            // At most IN_FLIGHT frames (and IN_FLIGHT_BYTES) read ahead of
            // their acks: a sender faster than the disk waits instead of
            // growing our memory.
            msg = rx.next(), if pending.len() < IN_FLIGHT && pending_bytes < IN_FLIGHT_BYTES => {
                heard = Instant::now();
                let text = match msg {
                    Some(Ok(Ws::Text(t))) => t,
                    Some(Ok(Ws::Binary(_))) => {
                        frame += 1;
                        let reply = json!({"frame": frame, "error": "binary frames are not read: send each message (or an array of them) as a text frame of JSON"});
                        pending.push_back(Box::pin(async move { (reply, 0) }));
                        continue;
                    }
                    Some(Ok(Ws::Close(_))) | None => break,
                    Some(Ok(_)) => continue,
                    Some(Err(e)) => {
                        let text = e.to_string();
                        if text.contains("too long") || text.contains("Space limit") {
                            close = Some(CloseFrame {
                                code: 1009,
                                reason: format!("messages are limited to {} KiB", shared.limits.frame_bytes / 1024).into(),
                            });
                        }
                        break;
                    }
                };
                frame += 1;
                let k = frame;
                let size = text.len();
                let reply = match parse_body(&text) {
                    Ok(items) => {
                        let shared = shared.clone();
                        pending_bytes += size;
                        pending.push_back(Box::pin(async move {
                            let v = match deliver(&shared, items).await {
                                Ok(n) => json!({"ack": k, "accepted": n}),
                                Err(e) => json!({"frame": k, "error": e}),
                            };
                            (v, size)
                        }));
                        continue;
                    }
                    Err(e) => {
                        let mut v = e.refusal().json();
                        v["frame"] = json!(k);
                        v
                    }
                };
                pending.push_back(Box::pin(async move { (reply, 0) }));
            }
            Some((reply, size)) = pending.next(), if !pending.is_empty() => {
                pending_bytes -= size;
                let sent = tokio::time::timeout(shared.limits.write_timeout, tx.send(Ws::Text(reply.to_string().into()))).await;
                if !matches!(sent, Ok(Ok(()))) {
                    // A client that does not take its acks is dropped.
                    break;
                }
            }
            _ = ping.tick() => {
                if heard.elapsed() >= idle {
                    close = Some(CloseFrame {
                        code: 1001,
                        reason: format!("nothing heard for {} s", idle.as_secs()).into(),
                    });
                    break;
                }
                let sent = tokio::time::timeout(shared.limits.write_timeout, tx.send(Ws::Ping(Default::default()))).await;
                if !matches!(sent, Ok(Ok(()))) {
                    break;
                }
            }
        }
    }
    if let Some(c) = close {
        let _ = tokio::time::timeout(Duration::from_secs(2), tx.send(Ws::Close(Some(c)))).await;
    }
    // Frames read before the close are still delivered.
    while pending.next().await.is_some() {}
}

/// A message that cannot be read: why, the field at fault and which item of
/// an array it was (from 1).
#[derive(Debug, Clone, PartialEq)]
pub struct BadMessage {
    pub error: String,
    pub field: Option<String>,
    pub item: Option<usize>,
}

impl BadMessage {
    fn new(error: impl Into<String>) -> BadMessage {
        BadMessage {
            error: error.into(),
            field: None,
            item: None,
        }
    }
    fn at(field: &str, error: impl Into<String>) -> BadMessage {
        BadMessage {
            error: error.into(),
            field: Some(field.to_string()),
            item: None,
        }
    }
    fn refusal(&self) -> Refusal {
        let mut r = Refusal::new(StatusCode::BAD_REQUEST, self.to_string());
        r.field = self.field.clone();
        r
    }
}

impl std::fmt::Display for BadMessage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.item {
            Some(i) => write!(f, "message {i}: {}", self.error),
            None => f.write_str(&self.error),
        }
    }
}

/// What a sender posts: a chat message, or how many watch.
#[derive(Debug, Clone, PartialEq)]
pub enum Item {
    Message(Message),
    Viewers(ViewerCount),
}

/// One item, an array of them, or SSN objects.
pub fn parse_body(body: &str) -> Result<Vec<Item>, BadMessage> {
    let v: Value = serde_json::from_str(body).map_err(|e| BadMessage::new(format!("the body is not JSON: {e}")))?;
    let (items, many) = match v {
        Value::Array(a) => (a, true),
        v => (vec![v], false),
    };
    let mut out = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        let at = |mut e: BadMessage| {
            if many {
                e.item = Some(i + 1);
            }
            e
        };
        if item.get("chatname").is_some() {
            let field = |e: String| {
                let f = e
                    .strip_prefix('`')
                    .and_then(|r| r.split('`').next())
                    .map(str::to_string);
                BadMessage {
                    error: e,
                    field: f,
                    item: None,
                }
            };
            if let Some(m) = relay::from_ssn(item).map_err(field).map_err(at)? {
                out.push(Item::Message(m));
            }
        } else if item.get("kind").and_then(Value::as_str) == Some("viewers") {
            out.push(Item::Viewers(parse_viewers(item).map_err(at)?));
        } else {
            out.push(Item::Message(parse_message(item).map_err(at)?));
        }
    }
    Ok(out)
}

fn platform(name: &str) -> Result<Platform, BadMessage> {
    serde_json::from_value(Value::String(name.to_string())).map_err(|_| {
        BadMessage::at(
            "platform",
            format!(
                "`platform` \"{name}\" is not one of tiktok, amazon, youtube, facebook, instagram, twitch, bambuser, other"
            ),
        )
    })
}

fn string(v: &Value, field: &str) -> Result<Option<String>, BadMessage> {
    match v {
        Value::Null => Ok(None),
        Value::String(s) if s.trim().is_empty() => Err(BadMessage::at(field, format!("`{field}` is empty"))),
        Value::String(s) => Ok(Some(s.clone())),
        Value::Number(n) => Ok(Some(n.to_string())),
        _ => Err(BadMessage::at(field, format!("`{field}` must be a string"))),
    }
}

fn missing(field: &str, why: &str) -> BadMessage {
    BadMessage::at(field, format!("`{field}` is missing{why}"))
}

/// A viewer count: `{"kind":"viewers","platform","viewers","at_ms"}`
/// (`at_ms` optional: now).
pub fn parse_viewers(v: &Value) -> Result<ViewerCount, BadMessage> {
    let platform = platform(&string(&v["platform"], "platform")?.ok_or_else(|| missing("platform", ""))?)?;
    let count = match &v["viewers"] {
        Value::Null => return Err(missing("viewers", " (how many watch, a whole number)")),
        n => n
            .as_u64()
            .ok_or_else(|| BadMessage::at("viewers", "`viewers` must be a whole number of 0 or more"))?,
    };
    let at_ms = match &v["at_ms"] {
        Value::Null => crate::log::now_ms(),
        t => t
            .as_u64()
            .ok_or_else(|| BadMessage::at("at_ms", "`at_ms` must be milliseconds since 1970 (a whole number)"))?,
    };
    Ok(ViewerCount { platform, count, at_ms })
}

/// Our format: `{"platform","id","author":{"id","name","avatar","badges"},
/// "text","at_ms","kind":"text|paid|join|deletion","amount","deletes"}`.
/// A field of the wrong type is an error naming it, never ignored.
pub fn parse_message(v: &Value) -> Result<Message, BadMessage> {
    if !v.is_object() {
        return Err(BadMessage::new("a message must be a JSON object"));
    }
    let platform = platform(&string(&v["platform"], "platform")?.ok_or_else(|| missing("platform", ""))?)?;
    let id = string(&v["id"], "id")?.ok_or_else(|| missing("id", " (the platform's message id)"))?;
    let a = &v["author"];
    if !a.is_object() && !a.is_null() {
        return Err(BadMessage::at(
            "author",
            "`author` must be an object: {\"name\": ..., \"id\": ...}",
        ));
    }
    let name = string(&a["name"], "author.name")?.ok_or_else(|| missing("author.name", ""))?;
    let mut badges = Vec::new();
    match &a["badges"] {
        Value::Null => {}
        Value::Array(list) => {
            for b in list {
                let Some(b) = b.as_str() else {
                    return Err(BadMessage::at(
                        "author.badges",
                        "`author.badges` must be a list of strings",
                    ));
                };
                badges.push(serde_json::from_value::<Badge>(Value::String(b.into())).map_err(|_| {
                    BadMessage::at(
                        "author.badges",
                        format!("`author.badges`: \"{b}\" is not owner, moderator, member or verified"),
                    )
                })?);
            }
        }
        _ => {
            return Err(BadMessage::at(
                "author.badges",
                "`author.badges` must be a list, e.g. [\"moderator\"]",
            ));
        }
    }
    let text = match &v["text"] {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        _ => return Err(BadMessage::at("text", "`text` must be a string")),
    };
    let kind = match &v["kind"] {
        Value::Null => "text",
        Value::String(k) => k.as_str(),
        _ => {
            return Err(BadMessage::at(
                "kind",
                "`kind` must be a string: text, paid, join or deletion",
            ));
        }
    };
    let kind = match kind {
        "text" if text.trim().is_empty() => return Err(BadMessage::at("text", "`text` is missing or empty")),
        "text" => Kind::Text,
        "paid" => Kind::Paid {
            amount: string(&v["amount"], "amount")?
                .ok_or_else(|| missing("amount", " (a paid message says how much)"))?,
        },
        "join" => Kind::Join,
        "deletion" => Kind::Deletion {
            id: string(&v["deletes"], "deletes")?
                .ok_or_else(|| missing("deletes", " (the id of the removed message)"))?,
        },
        other => {
            return Err(BadMessage::at(
                "kind",
                format!("`kind` \"{other}\" is not text, paid, join or deletion"),
            ));
        }
    };
    let at_ms = match &v["at_ms"] {
        Value::Null => crate::log::now_ms(),
        t => t
            .as_u64()
            .ok_or_else(|| BadMessage::at("at_ms", "`at_ms` must be milliseconds since 1970 (a whole number)"))?,
    };
    Ok(Message {
        platform,
        id,
        author: Author {
            id: string(&a["id"], "author.id")?.unwrap_or_else(|| name.clone()),
            name,
            avatar: string(&a["avatar"], "author.avatar")?,
            badges,
        },
        text,
        at_ms,
        kind,
    }
    .bounded())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bad_messages_are_named() {
        let cases = [
            ("{", "the body is not JSON"),
            (
                r#"{"id":"1","author":{"name":"a"},"text":"x"}"#,
                "`platform` is missing",
            ),
            (r#"{"platform":"myspace","id":"1"}"#, "\"myspace\" is not one of"),
            (r#"{"platform":"tiktok","author":{"name":"a"}}"#, "`id` is missing"),
            (
                r#"{"platform":"tiktok","id":"1","text":"x"}"#,
                "`author.name` is missing",
            ),
            (
                r#"{"platform":"tiktok","id":"1","author":{"name":"a"}}"#,
                "`text` is missing",
            ),
            (
                r#"{"platform":"tiktok","id":"1","author":{"name":"a"},"kind":"paid"}"#,
                "`amount` is missing",
            ),
            (
                r#"{"platform":"tiktok","id":"1","author":{"name":"a"},"text":"x","at_ms":"now"}"#,
                "`at_ms` must be",
            ),
            (
                r#"{"platform":"tiktok","id":"1","author":{"name":"a","badges":["king"]},"text":"x"}"#,
                "\"king\"",
            ),
            (
                r#"[{"platform":"tiktok","id":"1","author":{"name":"a"},"text":"x"},{"platform":"tiktok"}]"#,
                "message 2: `id`",
            ),
        ];
        for (body, want) in cases {
            let e = parse_body(body).unwrap_err().to_string();
            assert!(e.contains(want), "{body}: {e}");
        }
        // Wrong types are errors naming the field.
        for (body, field) in [
            (
                r#"{"platform":"tiktok","id":"1","author":{"name":"a"},"text":"x","kind":5}"#,
                "kind",
            ),
            (
                r#"{"platform":"tiktok","id":"1","author":{"name":"a","badges":"moderator"},"text":"x"}"#,
                "author.badges",
            ),
            (
                r#"{"platform":"tiktok","id":"1","author":{"name":"a","badges":[3]},"text":"x"}"#,
                "author.badges",
            ),
            (r#"{"platform":"tiktok","id":"1","author":"a","text":"x"}"#, "author"),
            (
                r#"{"platform":"tiktok","id":"1","author":{"name":"a"},"text":["x"]}"#,
                "text",
            ),
            (
                r#"{"platform":7,"id":"1","author":{"name":"a"},"text":"x"}"#,
                "platform",
            ),
        ] {
            let e = parse_body(body).unwrap_err();
            assert_eq!(e.field.as_deref(), Some(field), "{body}: {e}");
        }
        let e =
            parse_body(r#"[{"platform":"tiktok","id":"1","author":{"name":"a"},"text":"x"},{"platform":"tiktok"}]"#)
                .unwrap_err();
        assert_eq!((e.item, e.field.as_deref()), (Some(2), Some("id")));
        let ok = parse_body(
            r#"[{"platform":"amazon","id":"7","author":{"id":"u","name":"Ann","badges":["member"]},"text":"SOLD A1","at_ms":5},
                {"chatname":"Bo","chatmessage":"hi","type":"tiktok","id":3}]"#,
        )
        .unwrap();
        let ok: Vec<Message> = ok
            .into_iter()
            .map(|i| match i {
                Item::Message(m) => m,
                other => panic!("{other:?}"),
            })
            .collect();
        assert_eq!(ok.len(), 2);
        assert_eq!(
            (ok[0].platform, ok[0].at_ms, ok[0].author.badges.clone()),
            (Platform::Amazon, 5, vec![Badge::Member])
        );
        assert_eq!(ok[1].platform, Platform::TikTok);
    }

    #[test]
    fn viewer_counts_are_read_and_bad_ones_named() {
        let ok = parse_body(
            r#"[{"kind":"viewers","platform":"tiktok","viewers":1234,"at_ms":9},
            {"kind":"viewers","platform":"amazon","viewers":"7"}]"#,
        );
        let e = ok.unwrap_err();
        assert_eq!((e.item, e.field.as_deref()), (Some(2), Some("viewers")), "{e}");
        let ok = parse_body(r#"{"kind":"viewers","platform":"tiktok","viewers":1234,"at_ms":9}"#).unwrap();
        assert_eq!(
            ok,
            [Item::Viewers(ViewerCount {
                platform: Platform::TikTok,
                count: 1234,
                at_ms: 9
            })]
        );
        for (body, field) in [
            (r#"{"kind":"viewers","platform":"tiktok"}"#, "viewers"),
            (r#"{"kind":"viewers","platform":"tiktok","viewers":-3}"#, "viewers"),
            (r#"{"kind":"viewers","viewers":3}"#, "platform"),
            (
                r#"{"kind":"viewers","platform":"tiktok","viewers":3,"at_ms":"now"}"#,
                "at_ms",
            ),
        ] {
            let e = parse_body(body).unwrap_err();
            assert_eq!(e.field.as_deref(), Some(field), "{body}: {e}");
        }
    }
}
