//! Facebook Live comments: the streaming_comments Server-Sent Events
//! endpoint (`/{live-video-id}/live_comments`) while connected. The stream
//! does not replay what was said while we were away, so after every
//! disconnect we poll `/{live-video-id}/comments` for the gap (since the last
//! comment we have) before listening again; repeats are dropped by id.

use super::{State, StatusHandle, Trouble, graph_trouble, http_client, http_error, run_with_retry};
use crate::Ingest;
use crate::log::{now_ms, parse_utc};
use crate::model::{Author, Kind, Message, Platform};
use crate::secrets::Secret;
use eventsource_stream::Eventsource;
use futures_util::StreamExt;
use serde_json::Value;
use std::sync::Arc;
use std::time::Duration;

pub struct Config {
    pub graph_url: String,
    pub streaming_url: String,
    pub live_video_id: String,
    pub token: Secret,
}

const FIELDS: &str = "id,message,created_time,from{id,name,picture}";

/// A Graph comment as a message (`from.id` may be a number or a string).
pub fn to_message(platform: Platform, c: &Value) -> Option<Message> {
    let id = |v: &Value| match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    };
    let from = &c["from"];
    let name = from["name"]
        .as_str()
        .or(c["username"].as_str())
        .or(from["username"].as_str())
        .unwrap_or("")
        .to_string();
    Some(Message {
        platform,
        id: id(&c["id"])?,
        author: Author {
            id: id(&from["id"]).unwrap_or_else(|| name.clone()),
            name,
            avatar: from["picture"]["data"]["url"].as_str().map(str::to_string),
            badges: vec![],
        },
        text: c["message"].as_str().or(c["text"].as_str())?.to_string(),
        at_ms: c["created_time"]
            .as_str()
            .or(c["timestamp"].as_str())
            .and_then(parse_utc)
            .unwrap_or_else(now_ms),
        kind: Kind::Text,
    })
}

struct Stream {
    config: Config,
    http: reqwest::Client,
    /// Time of the newest comment we have (s), where the gap fill starts.
    last_s: Option<u64>,
    /// Whether a stream was open before (so there may be a gap).
    was_open: bool,
}

pub async fn run(config: Config, ingest: Ingest, status: StatusHandle) {
    let stream = Arc::new(tokio::sync::Mutex::new(Stream {
        config,
        http: http_client(),
        last_s: None,
        was_open: false,
    }));
    run_with_retry(status, |status| {
        let (stream, ingest) = (stream.clone(), ingest.clone());
        async move { session(&mut *stream.lock().await, &ingest, &status).await }
    })
    .await
}

async fn push(s: &mut Stream, ingest: &Ingest, status: &StatusHandle, m: Message) -> bool {
    s.last_s = Some(s.last_s.unwrap_or(0).max(m.at_ms / 1000));
    status.counted(1);
    ingest.send(m).await
}

/// Polls the comments since the last one we have, oldest first.
async fn fill_gap(s: &mut Stream, ingest: &Ingest, status: &StatusHandle) -> Result<bool, Trouble> {
    let mut url = format!(
        "{}/{}/comments",
        s.config.graph_url.trim_end_matches('/'),
        s.config.live_video_id
    );
    let since = s.last_s.unwrap_or(0).to_string();
    let mut query = vec![
        ("filter", "stream".to_string()),
        ("order", "chronological".to_string()),
        ("fields", FIELDS.to_string()),
        ("limit", "100".to_string()),
        ("access_token", s.config.token.expose().to_string()),
    ];
    if s.last_s.is_some() {
        query.push(("since", since));
    }
    let mut delivered = false;
    // Follow `paging.next` a few pages at most: a long gap is rare.
    for _ in 0..20 {
        let resp = s
            .http
            .get(&url)
            .query(&query)
            .send()
            .await
            .map_err(|e| Trouble::retry(format!("Facebook: {}", http_error(e))))?;
        let code = resp.status().as_u16();
        let headers = resp.headers().clone();
        let body = resp.text().await.map_err(|e| Trouble::retry(http_error(e)))?;
        if code != 200 {
            return Err(graph_trouble(code, &body, &headers, "Facebook comments"));
        }
        let v: Value = serde_json::from_str(&body).unwrap_or_default();
        let mut items: Vec<Message> = v["data"]
            .as_array()
            .map(Vec::as_slice)
            .unwrap_or_default()
            .iter()
            .filter_map(|c| to_message(Platform::Facebook, c))
            .collect();
        items.sort_by_key(|m| m.at_ms);
        for m in items {
            if !push(s, ingest, status, m).await {
                return Err(Trouble::Stopped);
            }
            delivered = true;
        }
        match v["paging"]["next"].as_str() {
            Some(next) => {
                url = next.to_string();
                query.clear();
            }
            None => break,
        }
    }
    Ok(delivered)
}

async fn session(s: &mut Stream, ingest: &Ingest, status: &StatusHandle) -> (Trouble, bool) {
    let mut delivered = false;
    if s.was_open {
        status.set(State::Connecting, "fetching the comments missed while disconnected");
        match fill_gap(s, ingest, status).await {
            Ok(d) => delivered = d,
            Err(t) => return (t, false),
        }
    }
    let url = format!(
        "{}/{}/live_comments",
        s.config.streaming_url.trim_end_matches('/'),
        s.config.live_video_id
    );
    let resp = s
        .http
        .get(&url)
        .timeout(Duration::from_secs(24 * 3600))
        .query(&[
            ("access_token", s.config.token.expose()),
            ("comment_rate", "ten_per_second"),
            ("fields", FIELDS),
        ])
        .send()
        .await;
    let resp = match resp {
        Ok(r) => r,
        Err(e) => return (Trouble::retry(format!("Facebook: {}", http_error(e))), delivered),
    };
    let code = resp.status().as_u16();
    if code != 200 {
        let headers = resp.headers().clone();
        let body = resp.text().await.unwrap_or_default();
        return (
            graph_trouble(code, &body, &headers, "Facebook live comments"),
            delivered,
        );
    }
    s.was_open = true;
    status.set(State::Live, "receiving live comments");
    // No byte for 2 minutes (the stream sends keep-alive comments) is a
    // dead link: the wait is per chunk of bytes, before the parser, which
    // swallows the comments.
    let chunks = futures_util::stream::unfold(Some(resp), |resp| async move {
        let mut resp = resp?;
        match tokio::time::timeout(Duration::from_secs(120), resp.chunk()).await {
            Ok(Ok(Some(c))) => Some((Ok(c), Some(resp))),
            Ok(Ok(None)) => None,
            Ok(Err(e)) => Some((Err(format!("the comment stream broke: {}", http_error(e))), None)),
            Err(_) => Some((Err("no word from Facebook for 2 minutes".to_string()), None)),
        }
    });
    // The text/event-stream format (events, `data:` lines, comments, events
    // split across chunks and mid-character) is eventsource-stream's.
    let mut events = Box::pin(chunks.eventsource());
    loop {
        let event = match events.next().await {
            Some(Ok(e)) => e,
            None => return (Trouble::retry("Facebook closed the comment stream"), delivered),
            Some(Err(eventsource_stream::EventStreamError::Transport(why))) => {
                return (Trouble::retry(why), delivered);
            }
            Some(Err(e)) => return (Trouble::retry(format!("the comment stream broke: {e}")), delivered),
        };
        {
            let data = event.data;
            if data.is_empty() {
                continue;
            }
            let Ok(v) = serde_json::from_str::<Value>(&data) else {
                continue;
            };
            if v.get("error").is_some() {
                return (
                    graph_trouble(200, &data, &Default::default(), "Facebook live comments"),
                    delivered,
                );
            }
            if let Some(m) = to_message(Platform::Facebook, &v) {
                if !push(s, ingest, status, m).await {
                    return (Trouble::Stopped, delivered);
                }
                delivered = true;
            }
        }
    }
}
