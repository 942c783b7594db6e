//! Platform connectors: each turns one platform's chat into `Message`s and
//! pushes them into the chat's ingest. Each runs as its own task on the
//! chat's runtime, keeps a visible status, retries with backoff on its own,
//! and stops for good only when the platform says the chat has ended or the
//! credentials are refused.

pub mod bambuser;
pub mod bridge;
pub mod facebook;
pub mod instagram;
pub mod relay;
pub mod twitch;
pub mod viewers;
pub mod youtube;

use super::Ingest;
use super::model::Platform;
use crate::secrets::{KeyRef, Secret, redact};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// One `[[chat.sources]]` entry, checked.
#[derive(Debug, Clone, PartialEq)]
pub struct SourceConfig {
    /// Shown in the status list ("YouTube", "TikTok via relay").
    pub name: String,
    pub kind: SourceKind,
}

#[derive(Debug, Clone, PartialEq)]
pub enum SourceKind {
    YouTube {
        base_url: String,
        /// Either the chat id, or the video whose active chat to find.
        live_chat_id: Option<String>,
        video_id: Option<String>,
        /// An API key (`key=`) or an OAuth token (Bearer): one of them.
        api_key: KeyRef,
        token: KeyRef,
        /// How often to ask the video's viewer count (needs `video_id`); None: never.
        viewers_poll: Option<Duration>,
    },
    Facebook {
        graph_url: String,
        streaming_url: String,
        live_video_id: String,
        token: KeyRef,
        /// How often to ask the live video's `live_views`; None: never.
        viewers_poll: Option<Duration>,
    },
    Instagram {
        graph_url: String,
        user_id: String,
        token: KeyRef,
        poll: Duration,
    },
    Twitch {
        url: String,
        channel: String,
        /// Logged in as this account; anonymous (read-only) when None.
        login: Option<(String, KeyRef)>,
        /// Viewer counts from Helix (the login's token with this app's client id).
        viewers: Option<TwitchViewers>,
    },
    Bambuser {
        base_url: String,
        show_id: String,
        token: KeyRef,
    },
    /// A Social Stream Ninja relay session (TikTok LIVE, Amazon Live, ...).
    Relay { url: String, session: KeyRef, channel: u32 },
    /// Our own endpoint that relays and browser extensions post to.
    Bridge {
        listen: SocketAddr,
        token: KeyRef,
        /// Host names and origins allowed besides IP literals and localhost.
        guard: crate::listener::Guard,
    },
}

impl SourceKind {
    pub fn platform(&self) -> Option<Platform> {
        Some(match self {
            SourceKind::YouTube { .. } => Platform::YouTube,
            SourceKind::Facebook { .. } => Platform::Facebook,
            SourceKind::Instagram { .. } => Platform::Instagram,
            SourceKind::Twitch { .. } => Platform::Twitch,
            SourceKind::Bambuser { .. } => Platform::Bambuser,
            SourceKind::Relay { .. } | SourceKind::Bridge { .. } => return None,
        })
    }
}

/// Where Twitch's viewer count is asked, and how often.
#[derive(Debug, Clone, PartialEq)]
pub struct TwitchViewers {
    /// The Helix API base (https://api.twitch.tv/helix).
    pub api_url: String,
    /// The client id of the app the login's token was made for.
    pub client_id: String,
    pub poll: Duration,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum State {
    Connecting,
    Live,
    /// Waiting to retry (the detail says why and for how long).
    Waiting,
    /// The platform ended the chat; nothing more will come.
    Ended,
    /// Stopped: credentials refused or the setup is wrong (detail says).
    Failed,
}

impl State {
    pub fn word(self) -> &'static str {
        match self {
            State::Connecting => "connecting",
            State::Live => "live",
            State::Waiting => "waiting",
            State::Ended => "ended",
            State::Failed => "failed",
        }
    }
}

#[derive(Debug, Clone)]
pub struct SourceStatus {
    pub name: String,
    pub state: State,
    pub detail: String,
    pub messages: u64,
}

/// A connector's handle on its line of the status list.
#[derive(Clone)]
pub struct StatusHandle {
    all: Arc<Mutex<Vec<SourceStatus>>>,
    index: usize,
}

impl StatusHandle {
    pub fn new(all: Arc<Mutex<Vec<SourceStatus>>>, name: &str) -> StatusHandle {
        let mut v = all.lock().unwrap_or_else(|e| e.into_inner());
        v.push(SourceStatus {
            name: name.to_string(),
            state: State::Connecting,
            detail: "starting".into(),
            messages: 0,
        });
        let index = v.len() - 1;
        drop(v);
        StatusHandle { all, index }
    }

    fn with(&self, f: impl FnOnce(&mut SourceStatus)) {
        if let Some(s) = self.all.lock().unwrap_or_else(|e| e.into_inner()).get_mut(self.index) {
            f(s);
        }
    }

    /// Sets the state; details pass through `redact` so no token leaks.
    /// Logged only when it changes (pollers set "live" after every answer).
    pub fn set(&self, state: State, detail: impl AsRef<str>) {
        let detail = redact(detail.as_ref());
        let mut changed = false;
        self.with(|s| {
            changed = s.state != state || s.detail != detail;
            s.state = state;
            s.detail = detail.clone();
        });
        if changed {
            match state {
                State::Waiting | State::Failed | State::Ended => tracing::warn!("chat {}: {detail}", self.name()),
                _ => tracing::info!("chat {}: {detail}", self.name()),
            }
        }
    }

    pub fn counted(&self, n: u64) {
        self.with(|s| s.messages += n);
    }

    fn name(&self) -> String {
        self.all
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(self.index)
            .map(|s| s.name.clone())
            .unwrap_or_default()
    }
}

/// Why a session with a platform stopped.
#[derive(Debug)]
pub enum Trouble {
    /// Try again: after `after` if the platform said, else after backoff.
    Retry { why: String, after: Option<Duration> },
    /// Nothing more will come (chat ended).
    Ended(String),
    /// Cannot go on without the user (token refused, wrong id).
    Failed(String),
    /// The chat is shutting down.
    Stopped,
}

impl Trouble {
    pub fn retry(why: impl Into<String>) -> Trouble {
        Trouble::Retry {
            why: why.into(),
            after: None,
        }
    }
}

/// Runs `session` until it ends or fails, retrying with backoff (or when
/// the platform said). A session that delivered something resets backoff.
pub async fn run_with_retry<F, Fut>(status: StatusHandle, mut session: F)
where
    F: FnMut(StatusHandle) -> Fut,
    Fut: std::future::Future<Output = (Trouble, bool)>,
{
    let mut backoff = crate::backoff::Backoff::new(crate::backoff::CHAT);
    loop {
        let (trouble, delivered) = session(status.clone()).await;
        if delivered {
            backoff.reset();
        }
        match trouble {
            Trouble::Retry { why, after } => {
                let wait = after.unwrap_or_else(|| backoff.next_wait());
                status.set(
                    State::Waiting,
                    format!("{why} — retrying in {:.0} s", wait.as_secs_f32().max(1.0)),
                );
                tokio::time::sleep(wait).await;
                status.set(State::Connecting, "reconnecting");
            }
            Trouble::Ended(why) => return status.set(State::Ended, why),
            Trouble::Failed(why) => return status.set(State::Failed, why),
            Trouble::Stopped => return,
        }
    }
}

/// Reads a key reference for a chat source; the error names the source.
pub fn secret(key: &KeyRef, source: &str) -> Result<Option<Secret>, String> {
    key.read().map_err(|e| format!("chat source {source}: {e}"))
}

/// A bridge's token and where it is kept. A bridge always has one: the
/// show's reference, or one made and kept for it (`KeyRef::Own`).
fn bridge_token(key: &KeyRef, source: &str) -> Result<(Secret, String), String> {
    match key {
        KeyRef::Own(name) => crate::secrets::own_token(name)
            .map(|(t, in_keyring)| {
                (
                    t,
                    format!(
                        "{}; `showroom key token {name}` prints it",
                        crate::secrets::own_token_place(name, in_keyring)
                    ),
                )
            })
            .map_err(|e| format!("chat source {source}: {e}")),
        k => Ok((
            required(k, source, "a token")?,
            format!("the show's token reference ({k:?})"),
        )),
    }
}

/// A key reference that must give a key; the error names the source.
fn required(key: &KeyRef, source: &str, what: &str) -> Result<Secret, String> {
    secret(key, source)?.ok_or_else(|| format!("chat source {source}: {what} is needed"))
}

/// An HTTP error as text without the URL (it can hold a token).
pub fn http_error(e: reqwest::Error) -> String {
    let timeout = e.is_timeout();
    let connect = e.is_connect();
    let text = redact(&e.without_url().to_string());
    if timeout {
        format!("no answer in time ({text})")
    } else if connect {
        format!("cannot connect ({text})")
    } else {
        text
    }
}

/// `Retry-After` in seconds, if the answer has one.
pub fn retry_after(headers: &reqwest::header::HeaderMap) -> Option<Duration> {
    headers
        .get(reqwest::header::RETRY_AFTER)?
        .to_str()
        .ok()?
        .trim()
        .parse::<u64>()
        .ok()
        .map(Duration::from_secs)
}

/// The shared HTTP client for polling connectors.
pub fn http_client() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(Duration::from_secs(20))
        .connect_timeout(Duration::from_secs(10))
        .user_agent(concat!("showroom/", env!("CARGO_PKG_VERSION")))
        .build()
        .unwrap_or_default()
}

/// Graph API (Facebook, Instagram) errors: what the answer means for us.
pub fn graph_trouble(status: u16, body: &str, headers: &reqwest::header::HeaderMap, what: &str) -> Trouble {
    let v: serde_json::Value = serde_json::from_str(body).unwrap_or_default();
    let e = &v["error"];
    let code = e["code"].as_i64().unwrap_or(0);
    let message = redact(e["message"].as_str().unwrap_or(""));
    let kind = e["type"].as_str().unwrap_or("");
    match code {
        190 | 102 => Trouble::Failed(format!(
            "{what}: the access token was refused ({kind} {code}: {message}) — get a new token and store it again"
        )),
        4 | 17 | 32 | 341 | 613 => Trouble::Retry {
            why: format!("{what}: rate limited ({code}: {message})"),
            after: Some(retry_after(headers).unwrap_or(Duration::from_secs(60))),
        },
        10 | 200..=299 => Trouble::Failed(format!(
            "{what}: permission missing ({code}: {message}) — the token needs the permission named there"
        )),
        100 if status == 400 => Trouble::Failed(format!("{what}: {message} (check the id in the show file)")),
        _ if status == 429 => Trouble::Retry {
            why: format!("{what}: too many requests"),
            after: Some(retry_after(headers).unwrap_or(Duration::from_secs(60))),
        },
        _ => Trouble::retry(format!(
            "{what}: HTTP {status}{}",
            if message.is_empty() {
                String::new()
            } else {
                format!(" ({message})")
            }
        )),
    }
}

/// Starts every source's task on `rt`. Returns how to reach each bridge (a
/// bridge may listen on port 0).
pub fn start(
    rt: &tokio::runtime::Runtime,
    sources: &[SourceConfig],
    ingest: &Ingest,
    statuses: &Arc<Mutex<Vec<SourceStatus>>>,
) -> Vec<bridge::BridgeAccess> {
    let mut bridges = Vec::new();
    for s in sources {
        let status = StatusHandle::new(statuses.clone(), &s.name);
        let ingest = ingest.clone();
        // A source that cannot start shows why in its status line; the
        // others (and the show) go on.
        let started = match &s.kind {
            SourceKind::Bridge { listen, token, guard } => bridge_token(token, &s.name).and_then(|(token, kept)| {
                let listener = rt
                    .block_on(tokio::net::TcpListener::bind(listen))
                    .map_err(|e| format!("cannot listen on {listen}: {e} — choose another listen address"))?;
                let addr = listener.local_addr().map_err(|e| e.to_string())?;
                bridges.push(bridge::BridgeAccess {
                    source: s.name.clone(),
                    addr,
                    token: token.clone(),
                    kept: kept.clone(),
                });
                status.set(
                    State::Live,
                    format!("listening on {addr}; senders need its token, kept in {kept}"),
                );
                rt.spawn(bridge::serve(listener, token, guard.clone(), ingest, status.clone()));
                Ok(())
            }),
            kind => connector(kind.clone(), &s.name, ingest, status.clone()).map(|task| {
                rt.spawn(task);
            }),
        };
        if let Err(e) = started {
            status.set(State::Failed, e);
        }
    }
    bridges
}

type Task = std::pin::Pin<Box<dyn std::future::Future<Output = ()> + Send>>;

/// The chat's task, with the platform's viewer counts beside it if asked.
fn with_viewers(chat: Task, counter: Option<(viewers::Counter, Duration)>, ingest: Ingest) -> Task {
    match counter {
        Some((counter, every)) => Box::pin(async move {
            tokio::join!(chat, viewers::run(counter, every, ingest));
        }),
        None => chat,
    }
}

fn connector(kind: SourceKind, name: &str, ingest: Ingest, status: StatusHandle) -> Result<Task, String> {
    Ok(match kind {
        SourceKind::YouTube {
            base_url,
            live_chat_id,
            video_id,
            api_key,
            token,
            viewers_poll,
        } => {
            let auth = || match (secret(&api_key, name)?, secret(&token, name)?) {
                (Some(k), None) => Ok(youtube::Auth::Key(k)),
                (None, Some(t)) => Ok(youtube::Auth::Bearer(t)),
                _ => Err(format!("chat source {name}: give either api_key or token")),
            };
            let counter = match (&video_id, viewers_poll) {
                (Some(v), Some(every)) => Some((
                    viewers::Counter::YouTube {
                        base_url: base_url.clone(),
                        video_id: v.clone(),
                        auth: auth()?,
                    },
                    every,
                )),
                _ => None,
            };
            let chat = Box::pin(youtube::run(
                youtube::Config {
                    base_url,
                    live_chat_id,
                    video_id,
                    auth: auth()?,
                },
                ingest.clone(),
                status,
            ));
            with_viewers(chat, counter, ingest)
        }
        SourceKind::Facebook {
            graph_url,
            streaming_url,
            live_video_id,
            token,
            viewers_poll,
        } => {
            let token = required(&token, name, "a token")?;
            let counter = viewers_poll.map(|every| {
                (
                    viewers::Counter::Facebook {
                        graph_url: graph_url.clone(),
                        live_video_id: live_video_id.clone(),
                        token: token.clone(),
                    },
                    every,
                )
            });
            let chat = Box::pin(facebook::run(
                facebook::Config {
                    graph_url,
                    streaming_url,
                    live_video_id,
                    token,
                },
                ingest.clone(),
                status,
            ));
            with_viewers(chat, counter, ingest)
        }
        SourceKind::Instagram {
            graph_url,
            user_id,
            token,
            poll,
        } => {
            let token = required(&token, name, "a token")?;
            Box::pin(instagram::run(
                instagram::Config {
                    graph_url,
                    user_id,
                    token,
                    poll,
                },
                ingest,
                status,
            ))
        }
        SourceKind::Twitch {
            url,
            channel,
            login,
            viewers,
        } => {
            let login = match login {
                Some((nick, key)) => Some((nick, required(&key, name, "a token to log in")?)),
                None => None,
            };
            let counter = match (viewers, &login) {
                (Some(v), Some((_, token))) => Some((
                    viewers::Counter::Twitch {
                        api_url: v.api_url,
                        channel: channel.clone(),
                        client_id: v.client_id,
                        token: token.clone(),
                    },
                    v.poll,
                )),
                (Some(_), None) => {
                    return Err(format!(
                        "chat source {name}: Twitch viewer counts need a login (nick and token)"
                    ));
                }
                _ => None,
            };
            let chat = Box::pin(twitch::run(
                twitch::Config { url, channel, login },
                ingest.clone(),
                status,
            ));
            with_viewers(chat, counter, ingest)
        }
        SourceKind::Bambuser {
            base_url,
            show_id,
            token,
        } => {
            let token = required(&token, name, "a token")?;
            Box::pin(bambuser::run(
                bambuser::Config {
                    base_url,
                    show_id,
                    token,
                },
                ingest,
                status,
            ))
        }
        SourceKind::Relay { url, session, channel } => {
            let session = required(&session, name, "the relay session id")?;
            Box::pin(relay::run(relay::Config { url, session, channel }, ingest, status))
        }
        SourceKind::Bridge { .. } => return Err(format!("chat source {name}: a bridge is started by `start`")),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    proptest::proptest! {
        /// Every connector's message reading on any timestamp a platform
        /// (or a broken relay) could send: no panic, and a time always.
        #[test]
        fn timestamps_of_any_shape_never_stop_a_connector(t in "\\PC{0,40}", n in proptest::num::i64::ANY) {
            let yt = json!({"id": "1", "snippet": {"type": "textMessageEvent", "publishedAt": t,
                "displayMessage": "hi", "textMessageDetails": {"messageText": "hi"}},
                "authorDetails": {"channelId": "c", "displayName": "Ann"}});
            let _ = youtube::to_message(&yt);
            for created in [json!(t), json!(n)] {
                let fb = json!({"id": "1", "message": "hi", "from": {"id": "u", "name": "Ann"}, "created_time": created});
                if let Some(m) = facebook::to_message(Platform::Facebook, &fb) {
                    proptest::prop_assert!(m.at_ms > 0);
                }
                let bam = json!({"id": "1", "message": "hi", "author": {"name": "Ann"}, "createdAt": created});
                let _ = bambuser::to_message(&bam);
                let ssn = json!({"chatname": "Ann", "chatmessage": "hi", "type": "tiktok", "timestamp": created});
                let _ = relay::from_ssn(&ssn);
            }
            let _ = bridge::parse_body(&format!(r#"{{"platform":"tiktok","id":"1","author":{{"name":"a"}},"text":"x","at_ms":{}}}"#, serde_json::to_string(&t).unwrap()));
        }
    }
}
