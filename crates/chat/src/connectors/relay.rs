//! Social Stream Ninja's relay: a browser extension reads the chat off the
//! TikTok LIVE / Amazon Live page and publishes each message as flat JSON to
//! `wss://io.socialstream.ninja/join/SESSION/CHANNEL`; we join as a reader
//! (channel 4, its chat feed). The relay keeps no history, so a message sent
//! while we reconnect is gone — the status line shows each reconnect.

use super::{State, StatusHandle, Trouble, run_with_retry};
use crate::Ingest;
use crate::model::{Author, Badge, Kind, Message, Platform};
use crate::secrets::Secret;
use futures_util::{SinkExt, StreamExt};
use std::sync::atomic::{AtomicU64, Ordering};
use tokio_tungstenite::tungstenite::Message as Ws;

pub struct Config {
    pub url: String,
    pub session: Secret,
    pub channel: u32,
}

fn platform(kind: &str) -> Platform {
    match kind {
        "tiktok" => Platform::TikTok,
        "amazon" => Platform::Amazon,
        "youtube" | "youtubeshorts" => Platform::YouTube,
        "facebook" => Platform::Facebook,
        "instagram" | "instagramlive" => Platform::Instagram,
        "twitch" => Platform::Twitch,
        "bambuser" => Platform::Bambuser,
        _ => Platform::Other,
    }
}

/// Removes tags and decodes the few entities SSN's chatmessage carries
/// (it is HTML unless `textonly`).
fn strip_html(html: &str) -> String {
    let mut out = String::with_capacity(html.len());
    let mut in_tag = false;
    let mut tag = String::new();
    for c in html.chars() {
        match c {
            '<' => {
                in_tag = true;
                tag.clear();
            }
            '>' if in_tag => {
                in_tag = false;
                // An emote image: keep its alt text.
                if let Some(alt) = tag.split("alt=\"").nth(1).and_then(|a| a.split('"').next()) {
                    out.push_str(alt);
                }
            }
            c if in_tag => tag.push(c),
            c => out.push(c),
        }
    }
    out.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&nbsp;", " ")
        .replace("&amp;", "&")
}

fn text_of(v: &serde_json::Value) -> Option<String> {
    match v {
        serde_json::Value::String(s) if !s.trim().is_empty() => Some(s.clone()),
        serde_json::Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

static NEXT_ID: AtomicU64 = AtomicU64::new(1);

/// One SSN chat object as a message. Ok(None): not a chat message (likes,
/// follows, commands). Err: a chat object we cannot use, with the reason.
pub fn from_ssn(v: &serde_json::Value) -> Result<Option<Message>, String> {
    let Some(name) = v.get("chatname") else {
        return Ok(None);
    };
    let name = text_of(name).ok_or("`chatname` must be a non-empty string")?;
    let platform = platform(v["type"].as_str().unwrap_or(""));
    let donation = text_of(&v["hasDonation"]);
    let event = match &v["event"] {
        serde_json::Value::String(s) if !s.is_empty() => Some(s.as_str()),
        serde_json::Value::Bool(true) => Some("event"),
        _ => None,
    };
    let kind = match (donation, event) {
        (Some(amount), _) => Kind::Paid { amount },
        (None, Some("joined")) => Kind::Join,
        (None, Some(_)) => return Ok(None),
        (None, None) => Kind::Text,
    };
    let raw = v["chatmessage"].as_str().unwrap_or("");
    let text = if v["textonly"].as_bool() == Some(true) {
        raw.to_string()
    } else {
        strip_html(raw)
    };
    if kind == Kind::Text && text.trim().is_empty() {
        return Ok(None);
    }
    let mut badges = Vec::new();
    if v["moderator"].as_bool() == Some(true) {
        badges.push(Badge::Moderator);
    }
    if v["admin"].as_bool() == Some(true) {
        badges.push(Badge::Owner);
    }
    if text_of(&v["membership"]).is_some() || v["hasMembership"].as_bool() == Some(true) {
        badges.push(Badge::Member);
    }
    let id = match text_of(&v["id"]) {
        Some(id) => format!("ssn-{id}"),
        // No id from the relay: unique within this run.
        None => format!(
            "relay-{}-{}",
            std::process::id(),
            NEXT_ID.fetch_add(1, Ordering::Relaxed)
        ),
    };
    let at_ms = v["timestamp"].as_u64().unwrap_or_else(crate::log::now_ms);
    Ok(Some(Message {
        platform,
        id,
        author: Author {
            id: text_of(&v["userid"]).unwrap_or_else(|| name.clone()),
            name,
            avatar: text_of(&v["chatimg"]).filter(|a| !a.starts_with("data:")),
            badges,
        },
        text,
        at_ms,
        kind,
    }))
}

pub async fn run(config: Config, ingest: Ingest, status: StatusHandle) {
    let config = std::sync::Arc::new(config);
    run_with_retry(status, |status| session(config.clone(), ingest.clone(), status)).await
}

async fn session(config: std::sync::Arc<Config>, ingest: Ingest, status: StatusHandle) -> (Trouble, bool) {
    let url = format!(
        "{}/join/{}/{}",
        config.url.trim_end_matches('/'),
        config.session.expose(),
        config.channel
    );
    let mut ws = match tokio_tungstenite::connect_async(url.as_str()).await {
        Ok((ws, _)) => ws,
        Err(e) => return (Trouble::retry(format!("cannot reach the relay: {e}")), false),
    };
    status.set(State::Live, "connected to the relay");
    let mut delivered = false;
    while let Some(frame) = ws.next().await {
        let text = match frame {
            Ok(Ws::Text(t)) => t.to_string(),
            Ok(Ws::Ping(p)) => {
                let _ = ws.send(Ws::Pong(p)).await;
                continue;
            }
            Ok(Ws::Close(_)) => break,
            Ok(_) => continue,
            Err(e) => return (Trouble::retry(format!("the relay connection broke: {e}")), delivered),
        };
        let Ok(v) = serde_json::from_str::<serde_json::Value>(&text) else {
            tracing::debug!("relay: a frame that is not JSON was ignored");
            continue;
        };
        // One object, or a batch.
        let items = match v {
            serde_json::Value::Array(a) => a,
            v => vec![v],
        };
        for item in &items {
            match from_ssn(item) {
                Ok(Some(m)) => {
                    if !ingest.send(m).await {
                        return (Trouble::Stopped, delivered);
                    }
                    status.counted(1);
                    delivered = true;
                }
                Ok(None) => {}
                Err(e) => tracing::warn!("relay: a chat message was skipped: {e}"),
            }
        }
    }
    (Trouble::retry("the relay closed the connection"), delivered)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn ssn_objects_become_messages() {
        let m = from_ssn(
            &json!({"chatname":"Ann","chatmessage":"SOLD <b>A1</b> &amp; <img src=\"x\" alt=\":fire:\">",
            "type":"tiktok","userid":"u1","id":42,"moderator":true,"hasDonation":""}),
        )
        .unwrap()
        .unwrap();
        assert_eq!(m.platform, Platform::TikTok);
        assert_eq!(m.text, "SOLD A1 & :fire:");
        assert_eq!((m.id.as_str(), m.author.id.as_str()), ("ssn-42", "u1"));
        assert_eq!(m.author.badges, vec![Badge::Moderator]);
        let gift = from_ssn(&json!({"chatname":"Bo","chatmessage":"","type":"tiktok","hasDonation":"3 roses"}))
            .unwrap()
            .unwrap();
        assert_eq!(
            gift.kind,
            Kind::Paid {
                amount: "3 roses".into()
            }
        );
        assert_eq!(
            from_ssn(&json!({"chatname":"Bo","event":"like","type":"tiktok"})).unwrap(),
            None
        );
        assert_eq!(from_ssn(&json!({"action":"nextpage"})).unwrap(), None);
        assert!(from_ssn(&json!({"chatname":"","chatmessage":"x"})).is_err());
        let amazon = from_ssn(&json!({"chatname":"Cy","chatmessage":"price?","type":"amazon"}))
            .unwrap()
            .unwrap();
        assert_eq!(amazon.platform, Platform::Amazon);
        assert_eq!(amazon.author.id, "Cy");
    }
}
