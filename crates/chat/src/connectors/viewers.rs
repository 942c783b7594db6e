//! Viewer counts, where a platform says them: YouTube's
//! `videos?part=liveStreamingDetails` (`concurrentViewers`, a string, while
//! the broadcast is live), Twitch's Helix `streams?user_login=`
//! (`viewer_count`, while the channel is live) and Facebook's live video
//! `?fields=live_views`. Each is asked every `every` beside the chat's own
//! connection; an answer becomes a `viewers` record of the chat log (the
//! snapshot's metrics and the report read them). A failure never touches
//! the chat: it is logged when it changes and asked again next time; a
//! refused key stops the counting (and says so).

use super::{Trouble, graph_trouble, http_client, http_error, retry_after};
use crate::Ingest;
use crate::model::{Platform, ViewerCount};
use crate::secrets::Secret;
use serde_json::Value;
use std::time::Duration;

/// Where a platform's viewer count is read.
pub enum Counter {
    YouTube {
        base_url: String,
        video_id: String,
        auth: super::youtube::Auth,
    },
    Twitch {
        api_url: String,
        channel: String,
        client_id: String,
        token: Secret,
    },
    Facebook {
        graph_url: String,
        live_video_id: String,
        token: Secret,
    },
}

impl Counter {
    fn platform(&self) -> Platform {
        match self {
            Counter::YouTube { .. } => Platform::YouTube,
            Counter::Twitch { .. } => Platform::Twitch,
            Counter::Facebook { .. } => Platform::Facebook,
        }
    }

    /// Asks once: the count, or None while the platform has none (not
    /// live yet, or ended).
    async fn ask(&self, http: &reqwest::Client) -> Result<Option<u64>, Trouble> {
        let name = self.platform().name();
        let req = match self {
            Counter::YouTube {
                base_url,
                video_id,
                auth,
            } => {
                let req = http
                    .get(format!("{}/videos", base_url.trim_end_matches('/')))
                    .query(&[("part", "liveStreamingDetails"), ("id", video_id)]);
                match auth {
                    super::youtube::Auth::Key(k) => req.query(&[("key", k.expose())]),
                    super::youtube::Auth::Bearer(t) => req.bearer_auth(t.expose()),
                }
            }
            Counter::Twitch {
                api_url,
                channel,
                client_id,
                token,
            } => http
                .get(format!("{}/streams", api_url.trim_end_matches('/')))
                .query(&[("user_login", channel.trim_start_matches('#').to_lowercase())])
                .header("Client-Id", client_id)
                .bearer_auth(token.expose().trim_start_matches("oauth:")),
            Counter::Facebook {
                graph_url,
                live_video_id,
                token,
            } => http
                .get(format!("{}/{live_video_id}", graph_url.trim_end_matches('/')))
                .query(&[("fields", "live_views"), ("access_token", token.expose())]),
        };
        let resp = req
            .send()
            .await
            .map_err(|e| Trouble::retry(format!("{name} viewers: {}", http_error(e))))?;
        let status = resp.status().as_u16();
        let headers = resp.headers().clone();
        let body = resp
            .text()
            .await
            .map_err(|e| Trouble::retry(format!("{name} viewers: {}", http_error(e))))?;
        if status != 200 {
            return Err(match self {
                Counter::Facebook { .. } => graph_trouble(status, &body, &headers, "Facebook viewers"),
                _ if status == 401 || status == 403 => Trouble::Failed(format!(
                    "{name} refused the key or token for viewer counts (HTTP {status}) — store a new one{}",
                    if matches!(self, Counter::Twitch { .. }) {
                        " (Helix needs the token of the app whose client_id is given)"
                    } else {
                        ""
                    }
                )),
                _ => Trouble::Retry {
                    why: format!("{name} viewers: HTTP {status}"),
                    after: retry_after(&headers),
                },
            });
        }
        let v: Value = serde_json::from_str(&body)
            .map_err(|e| Trouble::retry(format!("{name} sent a viewer count we cannot read: {e}")))?;
        Ok(count_of(self.platform(), &v))
    }
}

/// The count in a platform's answer (None while it gives none).
pub fn count_of(platform: Platform, v: &Value) -> Option<u64> {
    let n = match platform {
        Platform::YouTube => &v["items"][0]["liveStreamingDetails"]["concurrentViewers"],
        Platform::Twitch => &v["data"][0]["viewer_count"],
        _ => &v["live_views"],
    };
    n.as_u64().or_else(|| n.as_str().and_then(|s| s.trim().parse().ok()))
}

/// Asks every `every` until the chat stops or the platform refuses us.
pub async fn run(counter: Counter, every: Duration, ingest: Ingest) {
    let http = http_client();
    let name = counter.platform().name();
    let mut last_trouble = String::new();
    loop {
        let wait = match counter.ask(&http).await {
            Ok(Some(count)) => {
                last_trouble.clear();
                let v = ViewerCount {
                    platform: counter.platform(),
                    count,
                    at_ms: crate::log::now_ms(),
                };
                if !ingest.viewers(v).await {
                    return;
                }
                every
            }
            Ok(None) => every,
            Err(Trouble::Failed(why)) => {
                tracing::warn!("{why}; viewer counts stop (the chat goes on)");
                return;
            }
            Err(Trouble::Retry { why, after }) => {
                if why != last_trouble {
                    tracing::warn!("{}", crate::secrets::redact(&why));
                    last_trouble = why;
                }
                after.unwrap_or(every).max(every)
            }
            Err(Trouble::Ended(_) | Trouble::Stopped) => return,
        };
        tracing::trace!("{name} viewers: next in {wait:?}");
        tokio::time::sleep(wait).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn reads_each_platforms_answer_shape() {
        let yt = json!({"kind": "youtube#videoListResponse", "items": [{"id": "v", "liveStreamingDetails": {
            "actualStartTime": "2026-12-03T10:00:00Z", "concurrentViewers": "1532", "activeLiveChatId": "c"}}]});
        assert_eq!(count_of(Platform::YouTube, &yt), Some(1532));
        let ended = json!({"items": [{"liveStreamingDetails": {"actualEndTime": "2026-12-03T11:00:00Z"}}]});
        assert_eq!(count_of(Platform::YouTube, &ended), None);
        let tw =
            json!({"data": [{"id": "1", "user_login": "shop", "type": "live", "viewer_count": 78}], "pagination": {}});
        assert_eq!(count_of(Platform::Twitch, &tw), Some(78));
        assert_eq!(count_of(Platform::Twitch, &json!({"data": [], "pagination": {}})), None);
        assert_eq!(
            count_of(Platform::Facebook, &json!({"live_views": 12, "id": "1"})),
            Some(12)
        );
        assert_eq!(count_of(Platform::Facebook, &json!({"error": {}})), None);
    }
}
