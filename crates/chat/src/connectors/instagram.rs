//! Instagram Live comments through the Graph API: find the live media
//! (`/{ig-user-id}/live_media`, only while broadcasting), then poll its
//! `/comments`. Polling, not the `live_comments` webhook: a webhook needs a
//! public HTTPS address, which a laptop in a shop does not have. The poll
//! interval is configurable (default 3 s) to stay inside Graph rate limits.

use super::facebook::to_message;
use super::{State, StatusHandle, Trouble, graph_trouble, http_client, http_error, run_with_retry};
use crate::Ingest;
use crate::model::Platform;
use crate::secrets::Secret;
use serde_json::Value;
use std::sync::Arc;
use std::time::Duration;

pub struct Config {
    pub graph_url: String,
    pub user_id: String,
    pub token: Secret,
    pub poll: Duration,
}

struct Poller {
    config: Config,
    http: reqwest::Client,
    media: Option<String>,
    /// Comment ids already sent (each poll answers with the recent ones again).
    seen: std::collections::HashSet<String>,
}

impl Poller {
    async fn get(&self, path: &str, fields: &str, what: &str) -> Result<Value, Trouble> {
        let resp = self
            .http
            .get(format!("{}/{path}", self.config.graph_url.trim_end_matches('/')))
            .query(&[("fields", fields), ("access_token", self.config.token.expose())])
            .send()
            .await
            .map_err(|e| Trouble::retry(format!("Instagram: {}", http_error(e))))?;
        let code = resp.status().as_u16();
        let headers = resp.headers().clone();
        let body = resp.text().await.map_err(|e| Trouble::retry(http_error(e)))?;
        if code != 200 {
            return Err(graph_trouble(code, &body, &headers, what));
        }
        serde_json::from_str(&body).map_err(|e| Trouble::retry(format!("{what}: an answer we cannot read: {e}")))
    }
}

pub async fn run(config: Config, ingest: Ingest, status: StatusHandle) {
    let poller = Arc::new(tokio::sync::Mutex::new(Poller {
        config,
        http: http_client(),
        media: None,
        seen: Default::default(),
    }));
    run_with_retry(status, |status| {
        let (poller, ingest) = (poller.clone(), ingest.clone());
        async move { poll(&mut *poller.lock().await, &ingest, &status).await }
    })
    .await
}

async fn poll(p: &mut Poller, ingest: &Ingest, status: &StatusHandle) -> (Trouble, bool) {
    let media = match &p.media {
        Some(m) => m.clone(),
        None => {
            let path = format!("{}/live_media", p.config.user_id);
            let v = match p
                .get(&path, "id,media_type,media_product_type", "Instagram live media")
                .await
            {
                Ok(v) => v,
                Err(t) => return (t, false),
            };
            match v["data"][0]["id"].as_str() {
                Some(id) => {
                    p.media = Some(id.to_string());
                    id.to_string()
                }
                None => {
                    return (
                        Trouble::Retry {
                            why: "no Instagram live broadcast yet".into(),
                            after: Some(Duration::from_secs(15)),
                        },
                        false,
                    );
                }
            }
        }
    };
    status.set(State::Live, "polling live comments");
    let mut delivered = false;
    loop {
        let path = format!("{media}/comments");
        let v = match p
            .get(&path, "id,text,timestamp,username,from", "Instagram comments")
            .await
        {
            Ok(v) => v,
            Err(t) => {
                // The broadcast may have ended: look for the live media again.
                p.media = None;
                return (t, delivered);
            }
        };
        let mut items: Vec<_> = v["data"]
            .as_array()
            .map(Vec::as_slice)
            .unwrap_or_default()
            .iter()
            .filter_map(|c| to_message(Platform::Instagram, c))
            .collect();
        items.sort_by_key(|m| m.at_ms);
        items.retain(|m| p.seen.insert(m.id.clone()));
        for m in items {
            if !ingest.send(m).await {
                return (Trouble::Stopped, delivered);
            }
            status.counted(1);
            delivered = true;
        }
        tokio::time::sleep(p.config.poll).await;
    }
}
