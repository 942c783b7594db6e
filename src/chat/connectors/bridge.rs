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

use super::{State, StatusHandle, relay};
use crate::chat::Ingest;
use crate::chat::model::{Author, Badge, Kind, Message, Platform};
use crate::secrets::Secret;
use axum::extract::ws::{Message as Ws, WebSocket, WebSocketUpgrade};
use axum::extract::{Query, State as Ax};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use futures_util::stream::FuturesOrdered;
use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use std::collections::HashMap;

#[derive(Clone)]
struct Shared {
    ingest: Ingest,
    token: Option<Secret>,
    status: StatusHandle,
}

pub async fn serve(listener: tokio::net::TcpListener, token: Option<Secret>, ingest: Ingest, status: StatusHandle) {
    let addr = listener.local_addr().map(|a| a.to_string()).unwrap_or_default();
    status.set(State::Live, format!("listening on {addr}"));
    let app = axum::Router::new()
        .route("/v1/messages", post(post_messages))
        .route("/v1/ws", get(ws_upgrade))
        .with_state(Shared {
            ingest,
            token,
            status: status.clone(),
        });
    if let Err(e) = axum::serve(listener, app).await {
        status.set(State::Failed, format!("the bridge stopped: {e}"));
    }
}

fn allowed(shared: &Shared, headers: &HeaderMap, query: &HashMap<String, String>) -> bool {
    let Some(token) = &shared.token else { return true };
    let bearer = headers
        .get("authorization")
        .and_then(|h| h.to_str().ok())
        .and_then(|h| h.strip_prefix("Bearer "));
    bearer.or(query.get("token").map(String::as_str)) == Some(token.expose())
}

fn error(status: StatusCode, text: impl Into<String>) -> Response {
    (status, axum::Json(json!({"error": text.into()}))).into_response()
}

async fn post_messages(
    Ax(shared): Ax<Shared>,
    Query(query): Query<HashMap<String, String>>,
    headers: HeaderMap,
    body: String,
) -> Response {
    if !allowed(&shared, &headers, &query) {
        return error(StatusCode::UNAUTHORIZED, "this bridge needs its token");
    }
    let messages = match parse_body(&body) {
        Ok(m) => m,
        Err(e) => return error(StatusCode::BAD_REQUEST, e),
    };
    match deliver(&shared, messages).await {
        Ok(n) => axum::Json(json!({"accepted": n})).into_response(),
        Err(e) => error(StatusCode::SERVICE_UNAVAILABLE, e),
    }
}

/// Pushes the messages and waits until they are on disk.
async fn deliver(shared: &Shared, messages: Vec<Message>) -> Result<usize, String> {
    let n = messages.len();
    let mut acks = Vec::with_capacity(n);
    for m in messages {
        acks.push(
            shared
                .ingest
                .send_acked(m)
                .await
                .ok_or("the chat has stopped; nothing was accepted")?,
        );
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
    Query(query): Query<HashMap<String, String>>,
    headers: HeaderMap,
    ws: WebSocketUpgrade,
) -> Response {
    if !allowed(&shared, &headers, &query) {
        return error(StatusCode::UNAUTHORIZED, "this bridge needs its token");
    }
    ws.on_upgrade(move |socket| ws_session(socket, shared))
}

/// Frames read but not yet acknowledged, per connection.
const IN_FLIGHT: usize = 64;

type Reply = std::pin::Pin<Box<dyn Future<Output = Value> + Send>>;

async fn ws_session(socket: WebSocket, shared: Shared) {
    let (mut tx, mut rx) = socket.split();
    // Acks in frame order; reading goes on while earlier frames are written.
    let mut pending: FuturesOrdered<Reply> = FuturesOrdered::new();
    let mut frame = 0u64;
    loop {
        tokio::select! {
            // At most IN_FLIGHT frames read ahead of their acks: a sender
            // faster than the disk waits instead of growing our memory.
            msg = rx.next(), if pending.len() < IN_FLIGHT => {
                let text = match msg {
                    Some(Ok(Ws::Text(t))) => t.to_string(),
                    Some(Ok(Ws::Close(_))) | None | Some(Err(_)) => break,
                    Some(Ok(_)) => continue,
                };
                frame += 1;
                let k = frame;
                let reply = match parse_body(&text) {
                    Ok(messages) => {
                        let shared = shared.clone();
                        let fut = async move {
                            match deliver(&shared, messages).await {
                                Ok(n) => json!({"ack": k, "accepted": n}),
                                Err(e) => json!({"frame": k, "error": e}),
                            }
                        };
                        pending.push_back(Box::pin(fut));
                        continue;
                    }
                    Err(e) => json!({"frame": k, "error": e}),
                };
                pending.push_back(Box::pin(async move { reply }));
            }
            Some(reply) = pending.next(), if !pending.is_empty() => {
                if tx.send(Ws::Text(reply.to_string().into())).await.is_err() {
                    break;
                }
            }
        }
    }
    // Frames read before the close are still delivered.
    while pending.next().await.is_some() {}
}

/// One message, an array of them, or SSN objects.
pub fn parse_body(body: &str) -> Result<Vec<Message>, String> {
    let v: Value = serde_json::from_str(body).map_err(|e| format!("the body is not JSON: {e}"))?;
    let (items, many) = match v {
        Value::Array(a) => (a, true),
        v => (vec![v], false),
    };
    let mut out = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        let at = |e: String| if many { format!("message {}: {e}", i + 1) } else { e };
        if item.get("chatname").is_some() {
            if let Some(m) = relay::from_ssn(item).map_err(at)? {
                out.push(m);
            }
        } else {
            out.push(parse_message(item).map_err(at)?);
        }
    }
    Ok(out)
}

fn platform(name: &str) -> Result<Platform, String> {
    serde_json::from_value(Value::String(name.to_string())).map_err(|_| {
        format!(
            "`platform` \"{name}\" is not one of tiktok, amazon, youtube, facebook, instagram, twitch, bambuser, other"
        )
    })
}

fn string(v: &Value, field: &str) -> Result<Option<String>, String> {
    match v {
        Value::Null => Ok(None),
        Value::String(s) if s.trim().is_empty() => Err(format!("`{field}` is empty")),
        Value::String(s) => Ok(Some(s.clone())),
        Value::Number(n) => Ok(Some(n.to_string())),
        _ => Err(format!("`{field}` must be a string")),
    }
}

/// Our format: `{"platform","id","author":{"id","name","avatar","badges"},
/// "text","at_ms","kind":"text|paid|join|deletion","amount","deletes"}`.
pub fn parse_message(v: &Value) -> Result<Message, String> {
    if !v.is_object() {
        return Err("a message must be a JSON object".into());
    }
    let platform = platform(&string(&v["platform"], "platform")?.ok_or("`platform` is missing")?)?;
    let id = string(&v["id"], "id")?.ok_or("`id` is missing (the platform's message id)")?;
    let a = &v["author"];
    let name = string(&a["name"], "author.name")?.ok_or("`author.name` is missing")?;
    let mut badges = Vec::new();
    if let Some(list) = a["badges"].as_array() {
        for b in list {
            let b = b.as_str().unwrap_or("");
            badges.push(
                serde_json::from_value::<Badge>(Value::String(b.into()))
                    .map_err(|_| format!("`author.badges`: \"{b}\" is not owner, moderator, member or verified"))?,
            );
        }
    }
    let text = match &v["text"] {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        _ => return Err("`text` must be a string".into()),
    };
    let kind = match v["kind"].as_str().unwrap_or("text") {
        "text" if text.trim().is_empty() => return Err("`text` is missing or empty".into()),
        "text" => Kind::Text,
        "paid" => Kind::Paid {
            amount: string(&v["amount"], "amount")?.ok_or("`amount` is missing (a paid message says how much)")?,
        },
        "join" => Kind::Join,
        "deletion" => Kind::Deletion {
            id: string(&v["deletes"], "deletes")?.ok_or("`deletes` is missing (the id of the removed message)")?,
        },
        other => return Err(format!("`kind` \"{other}\" is not text, paid, join or deletion")),
    };
    let at_ms = match &v["at_ms"] {
        Value::Null => crate::chat::log::now_ms(),
        t => t
            .as_u64()
            .ok_or("`at_ms` must be milliseconds since 1970 (a whole number)")?,
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
    })
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
            let e = parse_body(body).unwrap_err();
            assert!(e.contains(want), "{body}: {e}");
        }
        let ok = parse_body(
            r#"[{"platform":"amazon","id":"7","author":{"id":"u","name":"Ann","badges":["member"]},"text":"SOLD A1","at_ms":5},
                {"chatname":"Bo","chatmessage":"hi","type":"tiktok","id":3}]"#,
        )
        .unwrap();
        assert_eq!(ok.len(), 2);
        assert_eq!(
            (ok[0].platform, ok[0].at_ms, ok[0].author.badges.clone()),
            (Platform::Amazon, 5, vec![Badge::Member])
        );
        assert_eq!(ok[1].platform, Platform::TikTok);
    }
}
