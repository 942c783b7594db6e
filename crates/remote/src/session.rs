//! One controller's connection: Hello, Identify (with the password's
//! challenge), then requests, batches and the events its subscription
//! asks for — in the encoding its subprotocol chose.
//!
//! Anything the protocol calls malformed closes the session with the
//! protocol's close code and a reason naming the field; a request that
//! cannot be done is answered with its status code and the session goes
//! on. A session never holds the engine: requests are answered from
//! snapshots and commands that return at once, events come through a
//! bounded broadcast that drops (and counts) what a slow session cannot
//! take, and a client that does not read its answers is dropped.

use crate::auth;
use crate::events_map::ObsEvent;
use crate::protocol::{self, Encoding, Fault, Frame, Out, close, op, status, subs};
use crate::requests::{self, SessionCounts};
use crate::{SessionInfo, Shared};
use axum::extract::ws::{CloseFrame, Message as Ws, WebSocket};
use futures_util::{SinkExt, StreamExt};
use serde_json::{Map, Value, json};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::broadcast;
use tokio::time::Instant;

/// Requests a session may send per second, and in one burst.
pub const RATE_PER_S: f64 = 200.0;
pub const BURST: f64 = 400.0;
/// The most requests in one batch.
pub const MAX_BATCH: usize = 1000;
/// Time to send Identify after Hello.
pub const IDENTIFY_TIMEOUT: Duration = Duration::from_secs(10);

struct Session {
    encoding: Encoding,
    identified: bool,
    subscriptions: u64,
    counts: SessionCounts,
    tokens: f64,
    refilled: Instant,
}

impl Session {
    /// Waits until the rate limit allows one more request.
    async fn take_token(&mut self) {
        loop {
            let now = Instant::now();
            self.tokens = (self.tokens + now.duration_since(self.refilled).as_secs_f64() * RATE_PER_S).min(BURST);
            self.refilled = now;
            if self.tokens >= 1.0 {
                self.tokens -= 1.0;
                return;
            }
            tokio::time::sleep(Duration::from_secs_f64((1.0 - self.tokens) / RATE_PER_S)).await;
        }
    }
}

type Tx = futures_util::stream::SplitSink<WebSocket, Ws>;

async fn send(tx: &mut Tx, shared: &Shared, s: &mut Session, opcode: u64, d: Value) -> bool {
    let frame = match protocol::encode(s.encoding, opcode, d) {
        Out::Text(t) => Ws::Text(t.into()),
        Out::Binary(b) => Ws::Binary(b.into()),
    };
    s.counts.outgoing += 1;
    matches!(
        tokio::time::timeout(shared.limits.write_timeout, tx.send(frame)).await,
        Ok(Ok(()))
    )
}

pub async fn run(socket: WebSocket, encoding: Encoding, shared: Arc<Shared>, info: SessionInfo) {
    let id = info.id;
    shared.register(info);
    let close = session(socket, encoding, &shared, id).await;
    shared.unregister(id);
    if let Some(f) = close {
        tracing::info!("remote control: session {id} closed ({} {})", f.code, f.reason);
    }
}

async fn session(socket: WebSocket, encoding: Encoding, shared: &Shared, id: u64) -> Option<Fault> {
    let (mut tx, mut rx) = socket.split();
    let mut events = shared.events.subscribe();
    let mut s = Session {
        encoding,
        identified: false,
        subscriptions: subs::ALL,
        counts: SessionCounts::default(),
        tokens: BURST,
        refilled: Instant::now(),
    };
    let challenge = match auth::random_b64() {
        Ok(c) => c,
        Err(e) => {
            tracing::error!("remote control: no random challenge: {e}");
            return None;
        }
    };
    let mut hello = json!({
        "obsStudioVersion": protocol::OBS_VERSION,
        "obsWebSocketVersion": protocol::OBS_WEBSOCKET_VERSION,
        "rpcVersion": protocol::RPC_VERSION,
    });
    if let Some(p) = &shared.password {
        hello["authentication"] = json!({ "challenge": challenge, "salt": p.salt() });
    }
    if !send(&mut tx, shared, &mut s, op::HELLO, hello).await {
        return None;
    }
    let identify_by = Instant::now() + IDENTIFY_TIMEOUT;
    let idle = shared.limits.idle_timeout;
    let mut heard = Instant::now();
    let mut ping = tokio::time::interval(idle / 3);
    ping.reset();
    let mut missed = 0u64;
    let mut closing = shared.closing.clone();
    let fault = loop {
        tokio::select! {
            _ = closing.changed() => {
                if s.identified {
                    let exit = ObsEvent { intent: subs::GENERAL, event_type: "ExitStarted".into(), data: None };
                    let _ = deliver(&mut tx, shared, &mut s, &exit).await;
                }
                break Some(Fault::new(1001, "Showroom is ending the show"));
            }
            msg = rx.next() => {
                heard = Instant::now();
                let frame = match &msg {
                    Some(Ok(Ws::Text(t))) => Frame::Text(t.as_str()),
                    Some(Ok(Ws::Binary(b))) => Frame::Binary(b),
                    Some(Ok(Ws::Close(_))) | None => break None,
                    Some(Ok(_)) => continue,
                    Some(Err(e)) => {
                        let text = e.to_string();
                        if text.contains("too long") || text.contains("Space limit") || text.contains("too big") {
                            break Some(Fault::new(1009, format!("messages are limited to {} KiB", shared.limits.frame_bytes / 1024)));
                        }
                        break None;
                    }
                };
                s.counts.incoming += 1;
                let handled = handle_frame(&mut tx, shared, &mut s, &challenge, frame).await;
                shared.update(id, |i| {
                    i.identified = s.identified;
                    i.subscriptions = s.subscriptions;
                    i.requests = s.counts.incoming;
                });
                match handled {
                    Ok(true) => {}
                    Ok(false) => break None,
                    Err(f) => break Some(f),
                }
            }
            e = events.recv(), if s.identified => match e {
                Ok(e) => {
                    if !deliver(&mut tx, shared, &mut s, &e).await {
                        break None;
                    }
                }
                Err(broadcast::error::RecvError::Lagged(n)) => {
                    missed += n;
                    tracing::debug!("remote control: session {id} fell behind and missed {n} event(s) ({missed} in all)");
                }
                Err(broadcast::error::RecvError::Closed) => {
                    break Some(Fault::new(1001, "the show has ended"));
                }
            },
            _ = tokio::time::sleep_until(identify_by), if !s.identified => {
                break Some(Fault::new(close::NOT_IDENTIFIED, format!("no Identify within {} s of Hello", IDENTIFY_TIMEOUT.as_secs())));
            }
            _ = ping.tick() => {
                if heard.elapsed() >= idle {
                    break Some(Fault::new(1001, format!("nothing heard for {} s", idle.as_secs())));
                }
                if !matches!(tokio::time::timeout(shared.limits.write_timeout, tx.send(Ws::Ping(Default::default()))).await, Ok(Ok(()))) {
                    break None;
                }
            }
        }
    };
    if let Some(f) = &fault {
        let frame = CloseFrame {
            code: f.code,
            reason: f.reason.chars().take(120).collect::<String>().into(),
        };
        let _ = tokio::time::timeout(Duration::from_secs(2), tx.send(Ws::Close(Some(frame)))).await;
    }
    fault
}

async fn deliver(tx: &mut Tx, shared: &Shared, s: &mut Session, e: &ObsEvent) -> bool {
    if s.subscriptions & e.intent == 0 {
        return true;
    }
    let mut d = json!({ "eventType": e.event_type, "eventIntent": e.intent });
    if let Some(data) = &e.data {
        d["eventData"] = data.clone();
    }
    send(tx, shared, s, op::EVENT, d).await
}

fn uint(d: &Map<String, Value>, name: &str) -> Result<Option<u64>, Fault> {
    match d.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(v) => v.as_u64().map(Some).ok_or_else(|| {
            Fault::new(
                close::INVALID_DATA_FIELD_TYPE,
                format!("`{name}` is not a whole number"),
            )
        }),
    }
}

/// Ok(true): go on; Ok(false): the client is gone; Err: close with this.
async fn handle_frame(
    tx: &mut Tx,
    shared: &Shared,
    s: &mut Session,
    challenge: &str,
    frame: Frame<'_>,
) -> Result<bool, Fault> {
    let (opcode, d) = protocol::decode(s.encoding, frame)?;
    match opcode {
        op::IDENTIFY if s.identified => Err(Fault::new(close::ALREADY_IDENTIFIED, "you are already identified")),
        op::IDENTIFY => {
            if let Some(p) = &shared.password {
                match d.get("authentication") {
                    Some(Value::String(a)) if p.check(challenge, a) => {}
                    Some(Value::String(_)) => {
                        return Err(Fault::new(close::AUTHENTICATION_FAILED, "Authentication failed."));
                    }
                    _ => {
                        return Err(Fault::new(
                            close::AUTHENTICATION_FAILED,
                            "Your payload's data is missing an `authentication` string, however authentication is required.",
                        ));
                    }
                }
            }
            match uint(&d, "rpcVersion")? {
                None => {
                    return Err(Fault::new(
                        close::MISSING_DATA_FIELD,
                        "Identify is missing `rpcVersion`",
                    ));
                }
                Some(protocol::RPC_VERSION) => {}
                Some(v) => {
                    return Err(Fault::new(
                        close::UNSUPPORTED_RPC_VERSION,
                        format!("rpcVersion {v} is not supported: Showroom speaks rpcVersion 1"),
                    ));
                }
            }
            s.identified = true;
            identified(tx, shared, s, &d).await
        }
        _ if !s.identified => Err(Fault::new(close::NOT_IDENTIFIED, "send Identify (op 1) first")),
        op::REIDENTIFY => identified(tx, shared, s, &d).await,
        op::REQUEST => {
            let request_id = d
                .get("requestId")
                .cloned()
                .ok_or_else(|| Fault::new(close::MISSING_DATA_FIELD, "the request is missing `requestId`"))?;
            let request_type = match d.get("requestType") {
                None => {
                    return Err(Fault::new(
                        close::MISSING_DATA_FIELD,
                        "the request is missing `requestType`",
                    ));
                }
                Some(Value::String(t)) => t.clone(),
                Some(_) => {
                    return Err(Fault::new(
                        close::INVALID_DATA_FIELD_TYPE,
                        "`requestType` is not a string",
                    ));
                }
            };
            s.take_token().await;
            let mut response = respond(shared, s, &request_type, d.get("requestData"));
            response["requestId"] = request_id;
            Ok(send(tx, shared, s, op::REQUEST_RESPONSE, response).await)
        }
        op::REQUEST_BATCH => {
            let request_id = d
                .get("requestId")
                .cloned()
                .ok_or_else(|| Fault::new(close::MISSING_DATA_FIELD, "the batch is missing `requestId`"))?;
            let execution = match d.get("executionType") {
                None | Some(Value::Null) => 0,
                Some(v) => match v.as_i64() {
                    None => {
                        return Err(Fault::new(
                            close::INVALID_DATA_FIELD_TYPE,
                            "`executionType` is not a whole number",
                        ));
                    }
                    Some(e @ 0..=2) => e,
                    Some(e) => {
                        return Err(Fault::new(
                            close::INVALID_DATA_FIELD_VALUE,
                            format!("`executionType` {e} is not one of 0 (serial), 1 (serial, by frame), 2 (parallel)"),
                        ));
                    }
                },
            };
            let halt = match d.get("haltOnFailure") {
                None | Some(Value::Null) => false,
                Some(Value::Bool(b)) => *b,
                Some(_) => {
                    return Err(Fault::new(
                        close::INVALID_DATA_FIELD_TYPE,
                        "`haltOnFailure` is not a boolean",
                    ));
                }
            };
            let items = match d.get("requests") {
                None => return Err(Fault::new(close::MISSING_DATA_FIELD, "the batch is missing `requests`")),
                Some(Value::Array(a)) => a,
                Some(_) => return Err(Fault::new(close::INVALID_DATA_FIELD_TYPE, "`requests` is not an array")),
            };
            if items.len() > MAX_BATCH {
                return Err(Fault::new(
                    close::INVALID_DATA_FIELD_VALUE,
                    format!("{} requests in one batch: send at most {MAX_BATCH}", items.len()),
                ));
            }
            let mut results = Vec::with_capacity(items.len());
            for item in items {
                s.take_token().await;
                let (t, data, rid) = match item {
                    Value::Object(o) => (
                        o.get("requestType").and_then(Value::as_str).unwrap_or(""),
                        o.get("requestData"),
                        o.get("requestId").cloned(),
                    ),
                    _ => ("", None, None),
                };
                let mut r = if t == "Sleep" {
                    sleep(shared, execution, data).await
                } else {
                    respond(shared, s, t, data)
                };
                if let Some(rid) = rid {
                    r["requestId"] = rid;
                }
                let failed = r["requestStatus"]["result"] != json!(true);
                results.push(r);
                if halt && failed {
                    break;
                }
            }
            Ok(send(
                tx,
                shared,
                s,
                op::REQUEST_BATCH_RESPONSE,
                json!({ "requestId": request_id, "results": results }),
            )
            .await)
        }
        other => Err(Fault::new(
            close::UNKNOWN_OP_CODE,
            format!("op {other} is not one a client sends (1 Identify, 3 Reidentify, 6 Request, 8 RequestBatch)"),
        )),
    }
}

/// Takes the subscriptions of an Identify or Reidentify (default: all
/// but the high-volume events) and answers Identified.
async fn identified(tx: &mut Tx, shared: &Shared, s: &mut Session, d: &Map<String, Value>) -> Result<bool, Fault> {
    s.subscriptions = uint(d, "eventSubscriptions")?.unwrap_or(subs::ALL);
    let answer = json!({ "negotiatedRpcVersion": protocol::RPC_VERSION });
    Ok(send(tx, shared, s, op::IDENTIFIED, answer).await)
}

/// A RequestResponse's `d` (without its requestId).
fn respond(shared: &Shared, s: &Session, request_type: &str, data: Option<&Value>) -> Value {
    let reply = match data {
        None | Some(Value::Null) => requests::handle(&shared.ctx, request_type, None, s.counts),
        Some(Value::Object(o)) => requests::handle(&shared.ctx, request_type, Some(o), s.counts),
        Some(_) => crate::args::Reply::fail(status::INVALID_REQUEST_FIELD_TYPE, "`requestData` is not an object."),
    };
    response_json(request_type, reply)
}

fn response_json(request_type: &str, reply: crate::args::Reply) -> Value {
    let mut r = json!({
        "requestType": request_type,
        "requestStatus": protocol::request_status(reply.code, reply.comment.as_deref()),
    });
    if let Some(data) = reply.data {
        r["responseData"] = data;
    }
    r
}

/// `Sleep` in a batch: milliseconds in a serial batch, frames (of the
/// first canvas) in a by-frame one; refused in a parallel one.
async fn sleep(shared: &Shared, execution: i64, data: Option<&Value>) -> Value {
    use crate::args::{Args, Reply};
    let args = Args::new(data.and_then(Value::as_object));
    let wait = match execution {
        0 => args
            .num("sleepMillis", 0.0, 50000.0)
            .map(|ms| Duration::from_secs_f64(ms / 1000.0)),
        1 => args.num("sleepFrames", 0.0, 10000.0).map(|f| {
            let fps = shared
                .ctx
                .engine
                .show()
                .canvases
                .first()
                .map(|c| c.fps)
                .unwrap_or(30)
                .max(1);
            Duration::from_secs_f64(f / fps as f64)
        }),
        _ => Err(Reply::fail(
            status::UNSUPPORTED_REQUEST_BATCH_EXECUTION_TYPE,
            "Sleep is not available in a parallel batch.",
        )),
    };
    let reply = match wait {
        Ok(d) => {
            tokio::time::sleep(d).await;
            Reply::done()
        }
        Err(e) => e,
    };
    response_json("Sleep", reply)
}
