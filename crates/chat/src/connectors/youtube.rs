//! YouTube Live chat: liveChatMessages.list polling. The chat id comes from
//! the show file or from the video (`videos?part=liveStreamingDetails` →
//! activeLiveChatId, present only while live). Each answer says when to ask
//! again (pollingIntervalMillis) and from where (nextPageToken); we do both.

use super::{State, StatusHandle, Trouble, http_client, http_error, retry_after, run_with_retry};
use crate::Ingest;
use crate::log::{now_ms, parse_utc};
use crate::model::{Author, Badge, Kind, Message, Platform};
use crate::secrets::Secret;
use serde_json::Value;
use std::sync::Arc;
use std::time::Duration;

pub enum Auth {
    /// An API key (public broadcasts).
    Key(Secret),
    /// An OAuth access token.
    Bearer(Secret),
}

pub struct Config {
    pub base_url: String,
    pub live_chat_id: Option<String>,
    pub video_id: Option<String>,
    pub auth: Auth,
}

/// What a YouTube error answer means.
fn trouble(status: u16, body: &str, headers: &reqwest::header::HeaderMap) -> Trouble {
    let v: Value = serde_json::from_str(body).unwrap_or_default();
    let reason = v["error"]["errors"][0]["reason"].as_str().unwrap_or("");
    let message = crate::secrets::redact(v["error"]["message"].as_str().unwrap_or(""));
    match reason {
        "liveChatEnded" => Trouble::Ended("the YouTube live chat has ended".into()),
        "liveChatDisabled" => Trouble::Ended("live chat is turned off for this YouTube broadcast".into()),
        "liveChatNotFound" => {
            Trouble::Failed("YouTube has no live chat with that id — check live_chat_id / video_id".into())
        }
        "quotaExceeded" => Trouble::Retry {
            why: "the YouTube API quota for today is used up (it resets at midnight Pacific time)".into(),
            after: Some(Duration::from_secs(15 * 60)),
        },
        "rateLimitExceeded" => Trouble::Retry {
            why: "YouTube says we ask too often".into(),
            after: retry_after(headers),
        },
        _ if status == 401 => Trouble::Failed(format!(
            "YouTube refused the key or token (401{}) — store a new one",
            if message.is_empty() {
                String::new()
            } else {
                format!(": {message}")
            }
        )),
        _ if status == 403 => Trouble::Failed(format!("YouTube refused access (403 {reason}: {message})")),
        _ if status == 429 => Trouble::Retry {
            why: "YouTube: too many requests".into(),
            after: retry_after(headers),
        },
        _ => Trouble::retry(format!("YouTube answered HTTP {status} {reason}")),
    }
}

/// One liveChatMessage as a message (None for kinds we do not show).
pub fn to_message(item: &Value) -> Option<Message> {
    let s = &item["snippet"];
    let a = &item["authorDetails"];
    let text = |v: &Value| v.as_str().unwrap_or("").to_string();
    let display = text(&s["displayMessage"]);
    let (kind, body) = match s["type"].as_str()? {
        "textMessageEvent" => (Kind::Text, display),
        "superChatEvent" => (
            Kind::Paid {
                amount: text(&s["superChatDetails"]["amountDisplayString"]),
            },
            s["superChatDetails"]["userComment"]
                .as_str()
                .map(str::to_string)
                .unwrap_or(display),
        ),
        "superStickerEvent" => (
            Kind::Paid {
                amount: text(&s["superStickerDetails"]["amountDisplayString"]),
            },
            display,
        ),
        "membershipGiftingEvent" => (
            Kind::Paid {
                amount: format!(
                    "{} gifted memberships",
                    s["membershipGiftingDetails"]["giftMembershipsCount"]
                        .as_u64()
                        .unwrap_or(1)
                ),
            },
            display,
        ),
        "newSponsorEvent" | "memberMilestoneChatEvent" => (Kind::Join, display),
        "messageDeletedEvent" => (
            Kind::Deletion {
                id: s["messageDeletedDetails"]["deletedMessageId"].as_str()?.to_string(),
            },
            String::new(),
        ),
        _ => return None,
    };
    let mut badges = Vec::new();
    for (field, badge) in [
        ("isChatOwner", Badge::Owner),
        ("isChatModerator", Badge::Moderator),
        ("isChatSponsor", Badge::Member),
        ("isVerified", Badge::Verified),
    ] {
        if a[field].as_bool() == Some(true) {
            badges.push(badge);
        }
    }
    Some(Message {
        platform: Platform::YouTube,
        id: item["id"].as_str()?.to_string(),
        author: Author {
            id: a["channelId"]
                .as_str()
                .or(s["authorChannelId"].as_str())
                .unwrap_or("")
                .to_string(),
            name: text(&a["displayName"]),
            avatar: a["profileImageUrl"].as_str().map(str::to_string),
            badges,
        },
        text: body,
        at_ms: s["publishedAt"].as_str().and_then(parse_utc).unwrap_or_else(now_ms),
        kind,
    })
}

struct Poller {
    config: Config,
    http: reqwest::Client,
    chat_id: Option<String>,
    page: Option<String>,
}

impl Poller {
    async fn get(&self, path: &str, query: &[(&str, &str)]) -> Result<Value, Trouble> {
        let mut req = self
            .http
            .get(format!("{}/{path}", self.config.base_url.trim_end_matches('/')))
            .query(query);
        req = match &self.config.auth {
            Auth::Key(k) => req.query(&[("key", k.expose())]),
            Auth::Bearer(t) => req.bearer_auth(t.expose()),
        };
        let resp = req
            .send()
            .await
            .map_err(|e| Trouble::retry(format!("YouTube: {}", http_error(e))))?;
        let status = resp.status().as_u16();
        let headers = resp.headers().clone();
        let body = resp
            .text()
            .await
            .map_err(|e| Trouble::retry(format!("YouTube: {}", http_error(e))))?;
        if status != 200 {
            return Err(trouble(status, &body, &headers));
        }
        serde_json::from_str(&body).map_err(|e| Trouble::retry(format!("YouTube sent an answer we cannot read: {e}")))
    }

    async fn find_chat(&mut self, status: &StatusHandle) -> Result<String, Trouble> {
        if let Some(id) = self.config.live_chat_id.clone().or(self.chat_id.clone()) {
            return Ok(id);
        }
        let video = self.config.video_id.clone().unwrap_or_default();
        let v = self
            .get("videos", &[("part", "liveStreamingDetails"), ("id", &video)])
            .await?;
        if v["items"].as_array().is_none_or(|i| i.is_empty()) {
            return Err(Trouble::Failed(format!("YouTube has no video {video}")));
        }
        match v["items"][0]["liveStreamingDetails"]["activeLiveChatId"].as_str() {
            Some(id) => {
                self.chat_id = Some(id.to_string());
                Ok(id.to_string())
            }
            None => {
                status.set(State::Waiting, "the video is not live yet (no active chat)");
                Err(Trouble::Retry {
                    why: "the video is not live yet".into(),
                    after: Some(Duration::from_secs(30)),
                })
            }
        }
    }
}

pub async fn run(config: Config, ingest: Ingest, status: StatusHandle) {
    let poller = Arc::new(tokio::sync::Mutex::new(Poller {
        config,
        http: http_client(),
        chat_id: None,
        page: None,
    }));
    run_with_retry(status, |status| {
        let (poller, ingest) = (poller.clone(), ingest.clone());
        async move { poll(&mut *poller.lock().await, &ingest, &status).await }
    })
    .await
}

async fn poll(p: &mut Poller, ingest: &Ingest, status: &StatusHandle) -> (Trouble, bool) {
    let chat = match p.find_chat(status).await {
        Ok(c) => c,
        Err(t) => return (t, false),
    };
    let mut delivered = false;
    loop {
        let mut query = vec![
            ("liveChatId", chat.as_str()),
            ("part", "id,snippet,authorDetails"),
            ("maxResults", "2000"),
        ];
        let page = p.page.clone();
        if let Some(t) = &page {
            query.push(("pageToken", t));
        }
        let v = match p.get("liveChat/messages", &query).await {
            Ok(v) => v,
            Err(t) => return (t, delivered),
        };
        status.set(State::Live, "polling the live chat");
        let mut ended = false;
        for item in v["items"].as_array().map(Vec::as_slice).unwrap_or_default() {
            if item["snippet"]["type"] == "chatEndedEvent" {
                ended = true;
            }
            if let Some(m) = to_message(item) {
                if !ingest.send(m).await {
                    return (Trouble::Stopped, delivered);
                }
                status.counted(1);
                delivered = true;
            }
        }
        if let Some(t) = v["nextPageToken"].as_str() {
            p.page = Some(t.to_string());
        }
        if ended || v["offlineAt"].is_string() {
            return (Trouble::Ended("the YouTube broadcast has ended".into()), delivered);
        }
        let wait = v["pollingIntervalMillis"].as_u64().unwrap_or(5000);
        tokio::time::sleep(Duration::from_millis(wait)).await;
    }
}
