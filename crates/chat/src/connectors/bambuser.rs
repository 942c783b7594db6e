//! Bambuser Live Shopping chat: `GET /shows/{id}/chat-messages` with an
//! `after` cursor (the previous answer's `next`), `Authorization: Token …`.
//! Bambuser allows 5 requests per 10 s (moving window): a local limiter keeps
//! us inside it, and a 429 waits for Retry-After (10 s if it gives none).
//!
//! Bambuser does not publish the message schema, so fields are read
//! tolerantly (message/text/body, authorName/author.displayName, ...).

use super::{State, StatusHandle, Trouble, http_client, http_error, retry_after, run_with_retry};
use crate::Ingest;
use crate::log::{now_ms, parse_utc};
use crate::model::{Author, Kind, Message, Platform};
use crate::secrets::Secret;
use serde_json::Value;
use std::collections::VecDeque;
use std::sync::Arc;
use std::time::{Duration, Instant};

pub struct Config {
    pub base_url: String,
    pub show_id: String,
    pub token: Secret,
}

/// At most `MAX` requests in any `WINDOW`.
const MAX: usize = 5;
const WINDOW: Duration = Duration::from_secs(10);

pub struct Limiter {
    sent: VecDeque<Instant>,
}

impl Limiter {
    pub fn new() -> Limiter {
        Limiter { sent: VecDeque::new() }
    }
    /// How long to wait before the next request may go.
    pub fn wait(&mut self, now: Instant) -> Duration {
        while self.sent.front().is_some_and(|t| now.duration_since(*t) >= WINDOW) {
            self.sent.pop_front();
        }
        if self.sent.len() < MAX {
            return Duration::ZERO;
        }
        WINDOW - now.duration_since(self.sent[0])
    }
    pub fn sent(&mut self, at: Instant) {
        self.sent.push_back(at);
    }
}

impl Default for Limiter {
    fn default() -> Self {
        Limiter::new()
    }
}

fn first_str<'a>(v: &'a Value, paths: &[&[&str]]) -> Option<&'a str> {
    paths.iter().find_map(|p| {
        let mut cur = v;
        for k in *p {
            cur = &cur[*k];
        }
        cur.as_str().filter(|s| !s.is_empty())
    })
}

pub fn to_message(v: &Value) -> Option<Message> {
    let id = match &v["id"] {
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        _ => return None,
    };
    let text = first_str(v, &[&["message"], &["text"], &["body"]])?.to_string();
    let name = first_str(
        v,
        &[
            &["authorName"],
            &["author", "displayName"],
            &["author", "name"],
            &["user", "name"],
            &["userName"],
        ],
    )
    .unwrap_or("viewer")
    .to_string();
    Some(Message {
        platform: Platform::Bambuser,
        id,
        author: Author {
            id: first_str(v, &[&["userId"], &["author", "id"], &["user", "id"]])
                .unwrap_or(&name)
                .to_string(),
            name,
            avatar: first_str(v, &[&["author", "avatarUrl"], &["avatarUrl"]]).map(str::to_string),
            badges: vec![],
        },
        text,
        at_ms: first_str(v, &[&["createdAt"], &["created_at"], &["timestamp"]])
            .and_then(parse_utc)
            .unwrap_or_else(now_ms),
        kind: Kind::Text,
    })
}

struct Poller {
    config: Config,
    http: reqwest::Client,
    limiter: Limiter,
    cursor: Option<String>,
}

pub async fn run(config: Config, ingest: Ingest, status: StatusHandle) {
    let poller = Arc::new(tokio::sync::Mutex::new(Poller {
        config,
        http: http_client(),
        limiter: Limiter::new(),
        cursor: None,
    }));
    run_with_retry(status, |status| {
        let (poller, ingest) = (poller.clone(), ingest.clone());
        async move { poll(&mut *poller.lock().await, &ingest, &status).await }
    })
    .await
}

async fn poll(p: &mut Poller, ingest: &Ingest, status: &StatusHandle) -> (Trouble, bool) {
    let mut delivered = false;
    loop {
        let wait = p.limiter.wait(Instant::now());
        tokio::time::sleep(wait.max(Duration::from_secs(2))).await;
        p.limiter.sent(Instant::now());
        let mut query = vec![("limit", "100".to_string())];
        if let Some(c) = &p.cursor {
            query.push(("after", c.clone()));
        }
        let resp = p
            .http
            .get(format!(
                "{}/shows/{}/chat-messages",
                p.config.base_url.trim_end_matches('/'),
                p.config.show_id
            ))
            .header("Authorization", format!("Token {}", p.config.token.expose()))
            .query(&query)
            .send()
            .await;
        let resp = match resp {
            Ok(r) => r,
            Err(e) => return (Trouble::retry(format!("Bambuser: {}", http_error(e))), delivered),
        };
        let code = resp.status().as_u16();
        let headers = resp.headers().clone();
        let body = resp.text().await.unwrap_or_default();
        match code {
            200 => {}
            401 => {
                return (
                    Trouble::Failed("Bambuser refused the API key (401) — store a new one".into()),
                    delivered,
                );
            }
            403 => {
                return (
                    Trouble::Failed("the Bambuser API key lacks a scope for chat (403) — add it in BamHub".into()),
                    delivered,
                );
            }
            404 => {
                return (
                    Trouble::Failed("Bambuser has no show with that id (404)".into()),
                    delivered,
                );
            }
            429 => {
                return (
                    Trouble::Retry {
                        why: "Bambuser: too many requests".into(),
                        after: Some(retry_after(&headers).unwrap_or(WINDOW)),
                    },
                    delivered,
                );
            }
            _ => return (Trouble::retry(format!("Bambuser answered HTTP {code}")), delivered),
        }
        let v: Value = match serde_json::from_str(&body) {
            Ok(v) => v,
            Err(e) => {
                return (
                    Trouble::retry(format!("Bambuser sent an answer we cannot read: {e}")),
                    delivered,
                );
            }
        };
        status.set(State::Live, "polling chat");
        let items = v["results"].as_array().or(v["data"].as_array());
        for m in items
            .map(Vec::as_slice)
            .unwrap_or_default()
            .iter()
            .filter_map(to_message)
        {
            if !ingest.send(m).await {
                return (Trouble::Stopped, delivered);
            }
            status.counted(1);
            delivered = true;
        }
        if let Some(next) = v["next"].as_str().filter(|n| !n.is_empty()) {
            p.cursor = Some(next.to_string());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_limiter_allows_five_in_ten_seconds() {
        let mut l = Limiter::new();
        let t0 = Instant::now();
        for i in 0..5 {
            assert_eq!(l.wait(t0 + Duration::from_secs(i)), Duration::ZERO);
            l.sent(t0 + Duration::from_secs(i));
        }
        assert_eq!(l.wait(t0 + Duration::from_secs(5)), Duration::from_secs(5));
        assert_eq!(l.wait(t0 + Duration::from_secs(10)), Duration::ZERO);
    }
}
