//! Each platform connector against a local server that answers the way the
//! platform does (shapes from its documentation), including its errors:
//! YouTube liveChatEnded and quota, Graph OAuthException, 429 with
//! Retry-After, an SSE disconnect without replay, IRC PING and RECONNECT, a
//! relay that drops the connection; viewer counts from YouTube's videos,
//! Twitch's Helix streams and Facebook's live video. Everything is on
//! 127.0.0.1.

mod support;

use axum::Router;
use axum::extract::{Path, Query};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use futures_util::{SinkExt, StreamExt};
use serde_json::json;
use showroom::chat::connectors::{SourceConfig, SourceKind, SourceStatus, State, TwitchViewers};
use showroom::chat::model::{Badge, Kind, Platform};
use showroom::chat::{Chat, ChatConfig};
use showroom::secrets::{KeyRef, Secret};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio_tungstenite::tungstenite::Message as Ws;

type Seen = Arc<Mutex<Vec<String>>>;

fn catalog() -> showroom::products::catalog::Catalog {
    let (c, problems) = showroom::products::catalog::import_csv(
        "id,code,title,option,price,currency,stock\n\
         shirt,A1,Linen Shirt,Blue / M,39,USD,5\n\
         shirt,A1,,White / M,39,USD,5\n\
         mug,B2,Mug,,18,USD,3\n",
        "t.csv",
        None,
    );
    assert!(problems.is_empty(), "{problems:?}");
    c
}

fn open(name: &str, sources: Vec<SourceConfig>) -> Chat {
    let dir = support::tempdir(name);
    Chat::open(
        &ChatConfig {
            log: dir.join("chat.jsonl"),
            keywords: vec!["sold".into(), "claim".into(), "mine".into()],
            blocked_words: vec![],
            sources,
            shopify: None,
        },
        catalog(),
        None,
    )
    .unwrap()
}

fn token(t: &str) -> KeyRef {
    KeyRef::Inline(Secret::new(t))
}

/// A server on 127.0.0.1 for the test's length; returns its base URL.
fn serve(rt: &tokio::runtime::Runtime, app: Router) -> String {
    let listener = rt.block_on(tokio::net::TcpListener::bind("127.0.0.1:0")).unwrap();
    let addr = listener.local_addr().unwrap();
    rt.spawn(async move { axum::serve(listener, app).await });
    format!("http://{addr}")
}

fn status(chat: &Chat, name: &str) -> SourceStatus {
    chat.statuses().into_iter().find(|s| s.name == name).unwrap()
}

/// Waits (at most 30 s, so a broken connector fails instead of hanging).
fn wait_for(chat: &Chat, what: &str, mut ok: impl FnMut(&Chat) -> bool) {
    let t0 = Instant::now();
    while !ok(chat) {
        assert!(
            t0.elapsed() < Duration::from_secs(30),
            "waited 30 s for {what}; statuses: {:?}; texts: {:?}",
            chat.statuses(),
            texts(chat)
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn texts(chat: &Chat) -> Vec<String> {
    chat.state().entries().iter().map(|e| e.msg.text.clone()).collect()
}

fn ids(chat: &Chat) -> Vec<String> {
    chat.state().entries().iter().map(|e| e.msg.id.clone()).collect()
}

fn no_secret_in_statuses(chat: &Chat, secret: &str) {
    for s in chat.statuses() {
        assert!(!s.detail.contains(secret), "a token leaked into a status: {}", s.detail);
    }
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

fn yt_item(id: &str, kind: &str, text: &str, extra: serde_json::Value) -> serde_json::Value {
    let mut snippet = json!({"type": kind, "displayMessage": text, "publishedAt": "2026-11-27T10:00:00.000Z"});
    for (k, v) in extra.as_object().unwrap() {
        snippet[k] = v.clone();
    }
    json!({"id": id, "snippet": snippet,
        "authorDetails": {"channelId": format!("ch-{id}"), "displayName": format!("viewer {id}"),
            "profileImageUrl": "https://yt3.example/a.jpg", "isChatModerator": id == "y2", "isChatSponsor": false,
            "isChatOwner": false, "isVerified": false}})
}

#[test]
fn youtube_finds_the_chat_follows_page_tokens_and_stops_when_the_chat_ends() {
    let rt = runtime();
    let pages: Seen = Default::default();
    let app = {
        let pages = pages.clone();
        Router::new()
            .route(
                "/videos",
                get(|Query(q): Query<HashMap<String, String>>| async move {
                    assert_eq!(q.get("key").map(String::as_str), Some("yt-key-123"));
                    assert_eq!(q.get("part").map(String::as_str), Some("liveStreamingDetails"));
                    axum::Json(json!({"items": [{"liveStreamingDetails": {"activeLiveChatId": "chat-1"}}]}))
                }),
            )
            .route(
                "/liveChat/messages",
                get(move |Query(q): Query<HashMap<String, String>>| {
                    let pages = pages.clone();
                    async move {
                        assert_eq!(q.get("liveChatId").map(String::as_str), Some("chat-1"));
                        let page = q.get("pageToken").cloned().unwrap_or_default();
                        pages.lock().unwrap().push(page.clone());
                        match page.as_str() {
                            "" => axum::Json(json!({"pollingIntervalMillis": 200, "nextPageToken": "p2", "items": [
                                yt_item("y1", "textMessageEvent", "how much is the mug?", json!({})),
                                yt_item("y2", "superChatEvent", "", json!({"superChatDetails": {"amountDisplayString": "$5.00", "userComment": "love it"}})),
                            ]}))
                            .into_response(),
                            "p2" => axum::Json(json!({"pollingIntervalMillis": 200, "nextPageToken": "p3", "items": [
                                yt_item("y3", "textMessageEvent", "SOLD B2", json!({})),
                                yt_item("y4", "messageDeletedEvent", "", json!({"messageDeletedDetails": {"deletedMessageId": "y1"}})),
                            ]}))
                            .into_response(),
                            _ => (StatusCode::FORBIDDEN, axum::Json(json!({"error": {"code": 403, "message": "The live chat is no longer live.",
                                "errors": [{"message": "The live chat is no longer live.", "domain": "youtube.liveChat", "reason": "liveChatEnded"}]}})))
                                .into_response(),
                        }
                    }
                }),
            )
    };
    let base = serve(&rt, app);
    let chat = open(
        "yt",
        vec![SourceConfig {
            name: "YouTube".into(),
            kind: SourceKind::YouTube {
                base_url: base,
                live_chat_id: None,
                video_id: Some("vid-1".into()),
                api_key: token("yt-key-123"),
                token: KeyRef::None,
                viewers_poll: None,
            },
        }],
    );
    wait_for(&chat, "the chat to end", |c| status(c, "YouTube").state == State::Ended);
    assert!(
        status(&chat, "YouTube").detail.contains("ended"),
        "{:?}",
        status(&chat, "YouTube")
    );
    assert_eq!(*pages.lock().unwrap(), vec!["", "p2", "p3"]);
    let s = chat.state();
    let e: Vec<_> = s.entries().iter().collect();
    assert_eq!(e.len(), 4);
    assert_eq!(e[0].hidden.as_deref(), Some("deleted on the platform"));
    assert_eq!(e[1].msg.kind, Kind::Paid { amount: "$5.00".into() });
    assert_eq!(e[1].msg.text, "love it");
    assert_eq!(e[1].msg.author.badges, vec![Badge::Moderator]);
    assert_eq!(e[1].msg.author.name, "viewer y2");
    assert_eq!(e[2].claim, Some(1));
    assert_eq!(s.ledger.claims()[0].buyer, "viewer y3");
    assert_eq!(s.ledger.left(1, 0), Some(2));
    assert_eq!(e[3].msg.kind, Kind::Deletion { id: "y1".into() });
    drop(s);
    no_secret_in_statuses(&chat, "yt-key-123");
}

#[test]
fn youtube_quota_waits_and_says_so() {
    let rt = runtime();
    let app = Router::new().route(
        "/liveChat/messages",
        get(|| async {
            (
                StatusCode::FORBIDDEN,
                axum::Json(json!({"error": {"code": 403, "message": "quota",
                "errors": [{"domain": "youtube.quota", "reason": "quotaExceeded"}]}})),
            )
        }),
    );
    let base = serve(&rt, app);
    let chat = open(
        "yt-quota",
        vec![SourceConfig {
            name: "YouTube".into(),
            kind: SourceKind::YouTube {
                base_url: base,
                live_chat_id: Some("chat-1".into()),
                video_id: None,
                api_key: KeyRef::None,
                token: token("oauth-tok-9"),
                viewers_poll: None,
            },
        }],
    );
    wait_for(&chat, "the quota wait", |c| {
        status(c, "YouTube").state == State::Waiting
    });
    let s = status(&chat, "YouTube");
    assert!(
        s.detail.contains("quota") && s.detail.contains("retrying in 900 s"),
        "{s:?}"
    );
}

fn sse(events: Vec<serde_json::Value>, then_hang: bool) -> Response {
    let chunks: Vec<Result<String, std::io::Error>> =
        events.into_iter().map(|e| Ok(format!("data: {e}\r\n\r\n"))).collect();
    let stream = futures_util::stream::iter(chunks);
    let body = if then_hang {
        axum::body::Body::from_stream(stream.chain(futures_util::stream::pending()))
    } else {
        axum::body::Body::from_stream(stream)
    };
    ([("content-type", "text/event-stream")], body).into_response()
}

fn fb_comment(id: &str, text: &str, secs: u64) -> serde_json::Value {
    json!({"id": id, "message": text, "created_time": showroom::chat::log::utc(secs * 1000).replace('Z', "+0000"),
        "from": {"id": 100 + secs, "name": format!("fan {id}")}})
}

#[test]
fn facebook_fills_the_gap_after_an_sse_disconnect_and_stops_on_a_refused_token() {
    let rt = runtime();
    let connections = Arc::new(Mutex::new(0));
    let since: Seen = Default::default();
    let app = {
        let (connections, since) = (connections.clone(), since.clone());
        Router::new()
            .route(
                "/{video}/live_comments",
                get(move |Path(video): Path<String>, Query(q): Query<HashMap<String, String>>| {
                    let connections = connections.clone();
                    async move {
                        if q.get("access_token").map(String::as_str) != Some("fb-tok") || video != "live-1" {
                            return (StatusCode::BAD_REQUEST, axum::Json(json!({"error": {"message": "Error validating access token: Session has expired",
                                "type": "OAuthException", "code": 190, "error_subcode": 463, "fbtrace_id": "Axyz"}})))
                                .into_response();
                        }
                        let n = {
                            let mut c = connections.lock().unwrap();
                            *c += 1;
                            *c
                        };
                        if n == 1 {
                            // Two comments, then the stream drops (no replay).
                            sse(vec![fb_comment("c1", "hi from Lyon", 1000), fb_comment("c2", "do you ship to Canada?", 1001)], false)
                        } else {
                            sse(vec![fb_comment("c4", "SOLD B2 x2", 1004)], true)
                        }
                    }
                }),
            )
            .route(
                "/{video}/comments",
                get(move |Query(q): Query<HashMap<String, String>>| {
                    let since = since.clone();
                    async move {
                        since.lock().unwrap().push(q.get("since").cloned().unwrap_or_default());
                        // Newest first, overlapping what the stream already gave.
                        axum::Json(json!({"data": [fb_comment("c3", "said while you were away", 1003), fb_comment("c2", "do you ship to Canada?", 1001)],
                            "paging": {"cursors": {"before": "b", "after": "a"}}}))
                    }
                }),
            )
    };
    let base = serve(&rt, app);
    let source = |name: &str, t: &str| SourceConfig {
        name: name.into(),
        kind: SourceKind::Facebook {
            graph_url: base.clone(),
            streaming_url: base.clone(),
            live_video_id: "live-1".into(),
            token: token(t),
            viewers_poll: None,
        },
    };
    let chat = open(
        "fb",
        vec![
            source("Facebook", "fb-tok"),
            source("Facebook (old token)", "fb-expired-tok"),
        ],
    );
    wait_for(&chat, "four comments", |c| c.state().entries().len() >= 4);
    assert_eq!(ids(&chat), vec!["c1", "c2", "c3", "c4"]);
    assert_eq!(*since.lock().unwrap(), vec!["1001"]);
    let s = chat.state();
    assert_eq!(s.entries()[2].msg.author.id, "1103");
    assert_eq!(s.entries()[2].msg.at_ms, 1_003_000);
    assert!(s.entries()[1].flags.any(), "the shipping question is flagged");
    assert_eq!(s.ledger.claims()[0].quantity, 2);
    drop(s);
    wait_for(&chat, "the refused token", |c| {
        status(c, "Facebook (old token)").state == State::Failed
    });
    let failed = status(&chat, "Facebook (old token)");
    assert!(
        failed.detail.contains("token was refused") && failed.detail.contains("190"),
        "{failed:?}"
    );
    assert_eq!(status(&chat, "Facebook").state, State::Live);
    no_secret_in_statuses(&chat, "fb-expired-tok");
}

#[test]
fn instagram_polls_live_comments_and_honours_retry_after() {
    let rt = runtime();
    let calls: Arc<Mutex<Vec<(String, Instant)>>> = Default::default();
    let app = {
        let (c1, c2) = (calls.clone(), calls.clone());
        Router::new()
            .route(
                "/{user}/live_media",
                get(move |Path(user): Path<String>| {
                    let calls = c1.clone();
                    async move {
                        calls.lock().unwrap().push(("live_media".into(), Instant::now()));
                        assert_eq!(user, "ig-1");
                        axum::Json(json!({"data": [{"id": "media-9", "media_type": "VIDEO", "media_product_type": "LIVE"}]}))
                    }
                }),
            )
            .route(
                "/media-9/comments",
                get(move || {
                    let calls = c2.clone();
                    async move {
                        let n = {
                            let mut c = calls.lock().unwrap();
                            c.push(("comments".into(), Instant::now()));
                            c.iter().filter(|(w, _)| w == "comments").count()
                        };
                        let i1 = json!({"id": "i1", "text": "quelle taille?", "timestamp": "2026-11-27T10:00:00+0000",
                            "username": "ana", "from": {"id": "igsid-1", "username": "ana"}});
                        let i2 = json!({"id": "i2", "text": "je prends", "timestamp": "2026-11-27T10:00:05+0000",
                            "username": "leo", "from": {"id": "igsid-2", "username": "leo"}});
                        match n {
                            1 => axum::Json(json!({"data": [i1]})).into_response(),
                            2 => (StatusCode::FORBIDDEN, [("retry-after", "2")],
                                axum::Json(json!({"error": {"message": "Application request limit reached", "type": "OAuthException", "code": 4}})))
                                .into_response(),
                            _ => axum::Json(json!({"data": [i2, i1]})).into_response(),
                        }
                    }
                }),
            )
    };
    let base = serve(&rt, app);
    let chat = open(
        "ig",
        vec![SourceConfig {
            name: "Instagram".into(),
            kind: SourceKind::Instagram {
                graph_url: base,
                user_id: "ig-1".into(),
                token: token("ig-tok"),
                poll: Duration::from_secs(1),
            },
        }],
    );
    wait_for(&chat, "two comments", |c| c.state().entries().len() >= 2);
    std::thread::sleep(Duration::from_millis(1500));
    assert_eq!(ids(&chat), vec!["i1", "i2"], "each comment once, oldest first");
    let s = chat.state();
    assert_eq!(s.entries()[0].msg.platform, Platform::Instagram);
    assert_eq!(s.entries()[0].msg.author.name, "ana");
    drop(s);
    let calls = calls.lock().unwrap();
    let comments: Vec<Instant> = calls.iter().filter(|(w, _)| w == "comments").map(|(_, t)| *t).collect();
    assert!(
        comments[2].duration_since(comments[1]) >= Duration::from_secs(2),
        "Retry-After: 2 was honoured"
    );
    assert!(
        calls.iter().filter(|(w, _)| w == "live_media").count() >= 2,
        "the live media is looked up again after an error"
    );
}

/// A Twitch-like IRC server over WebSocket. Returns the port and the lines
/// each connection sent.
fn twitch_server(rt: &tokio::runtime::Runtime) -> (u16, Arc<Mutex<Vec<Vec<String>>>>) {
    let listener = rt.block_on(tokio::net::TcpListener::bind("127.0.0.1:0")).unwrap();
    let port = listener.local_addr().unwrap().port();
    let log: Arc<Mutex<Vec<Vec<String>>>> = Default::default();
    let l = log.clone();
    rt.spawn(async move {
        let mut n = 0;
        while let Ok((tcp, _)) = listener.accept().await {
            n += 1;
            let mut ws = tokio_tungstenite::accept_async(tcp).await.unwrap();
            l.lock().unwrap().push(Vec::new());
            let log = l.clone();
            let idx = n - 1;
            tokio::spawn(async move {
                let said = |s: String| log.lock().unwrap()[idx].push(s);
                // Read until JOIN.
                while let Some(Ok(Ws::Text(t))) = ws.next().await {
                    let t = t.to_string();
                    said(t.clone());
                    if t.starts_with("JOIN") {
                        break;
                    }
                }
                let send = |s: &str| Ws::Text(s.to_string().into());
                ws.send(send(":tmi.twitch.tv 001 justinfan :Welcome, GLHF!\r\n:justinfan!justinfan@justinfan.tmi.twitch.tv JOIN #shop")).await.unwrap();
                if idx == 0 {
                    ws.send(send("PING :tmi.twitch.tv")).await.unwrap();
                    // Wait for the PONG before going on.
                    while let Some(Ok(Ws::Text(t))) = ws.next().await {
                        said(t.to_string());
                        if t.starts_with("PONG") {
                            break;
                        }
                    }
                    ws.send(send("@badge-info=;badges=moderator/1,subscriber/6;color=;display-name=Mia;emotes=;id=t1;mod=1;tmi-sent-ts=1764230400000;user-id=77 :mia!mia@mia.tmi.twitch.tv PRIVMSG #shop :SOLD A1 blue M")).await.unwrap();
                    ws.send(send("@display-name=Spam;id=t2;tmi-sent-ts=1764230401000;user-id=78 :spam!spam@spam.tmi.twitch.tv PRIVMSG #shop :buy followers\r\n@login=spam;room-id=1;target-msg-id=t2;tmi-sent-ts=1764230402000 :tmi.twitch.tv CLEARMSG #shop :buy followers")).await.unwrap();
                    ws.send(send(":tmi.twitch.tv RECONNECT")).await.unwrap();
                    // Twitch drops the connection soon after; keep it open to
                    // check the client leaves by itself.
                    while ws.next().await.is_some() {}
                } else {
                    ws.send(send("@display-name=Leo;id=t3;tmi-sent-ts=1764230403000;user-id=79 :leo!leo@leo.tmi.twitch.tv PRIVMSG #shop :is there a size L?")).await.unwrap();
                    while ws.next().await.is_some() {}
                }
            });
        }
    });
    (port, log)
}

#[test]
fn twitch_answers_ping_reconnects_when_asked_and_reads_deletions() {
    let rt = runtime();
    let (port, lines) = twitch_server(&rt);
    let chat = open(
        "twitch",
        vec![SourceConfig {
            name: "Twitch".into(),
            kind: SourceKind::Twitch {
                url: format!("ws://127.0.0.1:{port}"),
                channel: "Shop".into(),
                login: None,
                viewers: None,
            },
        }],
    );
    wait_for(&chat, "three messages", |c| c.state().entries().len() >= 4);
    let lines = lines.lock().unwrap().clone();
    assert_eq!(lines.len(), 2, "one reconnect after RECONNECT");
    for conn in &lines {
        assert_eq!(conn[0], "CAP REQ :twitch.tv/tags twitch.tv/commands");
        assert_eq!(conn[1], "PASS SCHMOOPIIE");
        assert!(conn[2].starts_with("NICK justinfan"), "{conn:?}");
        assert_eq!(conn[3], "JOIN #shop");
    }
    assert_eq!(lines[0][4], "PONG :tmi.twitch.tv");
    let s = chat.state();
    let e: Vec<_> = s.entries().iter().collect();
    assert_eq!(e[0].msg.author.name, "Mia");
    assert_eq!(e[0].msg.author.badges, vec![Badge::Moderator, Badge::Member]);
    assert_eq!(e[0].claim, Some(1), "SOLD A1 blue M is a claim");
    assert_eq!(s.ledger.claims()[0].variant.as_deref(), Some("Blue / M"));
    assert_eq!(e[1].hidden.as_deref(), Some("deleted on the platform"));
    assert_eq!(e[2].msg.kind, Kind::Deletion { id: "t2".into() });
    assert_eq!(e[3].msg.text, "is there a size L?");
    assert!(e[3].flags.any());
}

#[test]
fn bambuser_sends_its_token_follows_the_cursor_and_waits_out_a_429() {
    let rt = runtime();
    let afters: Arc<Mutex<Vec<(String, Instant)>>> = Default::default();
    let app = {
        let afters = afters.clone();
        Router::new().route(
            "/shows/{show}/chat-messages",
            get(move |Path(show): Path<String>, headers: HeaderMap, Query(q): Query<HashMap<String, String>>| {
                let afters = afters.clone();
                async move {
                    if headers.get("authorization").and_then(|h| h.to_str().ok()) != Some("Token bam-key") {
                        return (StatusCode::UNAUTHORIZED, axum::Json(json!({"message": "Invalid API key"}))).into_response();
                    }
                    assert_eq!(show, "show-5");
                    let after = q.get("after").cloned().unwrap_or_default();
                    let n = {
                        let mut a = afters.lock().unwrap();
                        a.push((after.clone(), Instant::now()));
                        a.len()
                    };
                    match (n, after.as_str()) {
                        (1, "") => axum::Json(json!({"results": [{"id": "b1", "message": "hola! cuánto cuesta?", "authorName": "Lu", "userId": "u-lu",
                            "createdAt": "2026-11-27T10:00:00.000Z"}], "next": "cur-1"}))
                        .into_response(),
                        (2, _) => (StatusCode::TOO_MANY_REQUESTS, [("retry-after", "3")], "slow down").into_response(),
                        (_, "cur-1") => axum::Json(json!({"results": [{"id": "b2", "message": "mine B2", "authorName": "Lu", "userId": "u-lu"}], "next": "cur-2"}))
                            .into_response(),
                        _ => axum::Json(json!({"results": [], "next": "cur-2"})).into_response(),
                    }
                }
            }),
        )
    };
    let base = serve(&rt, app);
    let source = |name: &str, t: &str| SourceConfig {
        name: name.into(),
        kind: SourceKind::Bambuser {
            base_url: base.clone(),
            show_id: "show-5".into(),
            token: token(t),
        },
    };
    let chat = open(
        "bambuser",
        vec![
            source("Bambuser", "bam-key"),
            source("Bambuser (wrong key)", "bam-nope"),
        ],
    );
    wait_for(&chat, "two messages", |c| c.state().entries().len() >= 2);
    assert_eq!(ids(&chat), vec!["b1", "b2"]);
    let a = afters.lock().unwrap().clone();
    assert_eq!(a[0].0, "");
    assert_eq!(a[1].0, "cur-1");
    assert_eq!(a[2].0, "cur-1", "the request refused with 429 is asked again");
    assert!(
        a[2].1.duration_since(a[1].1) >= Duration::from_secs(3),
        "Retry-After: 3 was honoured"
    );
    let s = chat.state();
    assert_eq!(s.ledger.claims()[0].code, "B2");
    assert!(s.entries()[0].flags.any(), "¿cuánto cuesta? is a price question");
    drop(s);
    let wrong = status(&chat, "Bambuser (wrong key)");
    assert_eq!(wrong.state, State::Failed, "{wrong:?}");
    assert!(wrong.detail.contains("refused the API key"));
}

#[test]
fn a_relay_that_drops_the_connection_is_rejoined_and_nothing_sent_is_lost() {
    let rt = runtime();
    let listener = rt.block_on(tokio::net::TcpListener::bind("127.0.0.1:0")).unwrap();
    let port = listener.local_addr().unwrap().port();
    let paths: Seen = Default::default();
    let p = paths.clone();
    rt.spawn(async move {
        let mut k = 0u64;
        while let Ok((tcp, _)) = listener.accept().await {
            let p = p.clone();
            // tungstenite's callback type fixes the error type.
            #[allow(clippy::result_large_err)]
            let cb = move |req: &tokio_tungstenite::tungstenite::handshake::server::Request,
                           resp: tokio_tungstenite::tungstenite::handshake::server::Response| {
                p.lock().unwrap().push(req.uri().path().to_string());
                Ok(resp)
            };
            let mut ws = tokio_tungstenite::accept_hdr_async(tcp, cb).await.unwrap();
            // Three messages each connection, then the relay drops us (a real
            // relay does this about once a minute).
            for i in 0..3 {
                let n = k * 3 + i;
                let platform = if n.is_multiple_of(2) { "tiktok" } else { "amazon" };
                let msg = json!({"chatname": format!("buyer{n}"), "chatmessage": format!("message {n}"), "type": platform,
                    "userid": format!("u{n}"), "id": n, "hasDonation": "", "chatimg": "https://p16.tiktokcdn.example/a.jpg"});
                ws.send(Ws::Text(msg.to_string().into())).await.unwrap();
            }
            // A like (not a chat message) and an unrelated command.
            ws.send(Ws::Text(json!({"chatname": "x", "event": "like", "type": "tiktok"}).to_string().into())).await.unwrap();
            ws.send(Ws::Text(json!({"action": "nextpage"}).to_string().into())).await.unwrap();
            tokio::time::sleep(Duration::from_millis(300)).await;
            drop(ws);
            k += 1;
        }
    });
    let chat = open(
        "relay",
        vec![SourceConfig {
            name: "TikTok via relay".into(),
            kind: SourceKind::Relay {
                url: format!("ws://127.0.0.1:{port}"),
                session: token("ssn-session-abc"),
                channel: 4,
            },
        }],
    );
    wait_for(&chat, "nine messages over three connections", |c| {
        c.state().entries().len() >= 9
    });
    let got = texts(&chat);
    for n in 0..9 {
        assert!(got.contains(&format!("message {n}")), "message {n} missing: {got:?}");
    }
    assert!(paths.lock().unwrap().iter().all(|p| p == "/join/ssn-session-abc/4"));
    let s = chat.state();
    assert_eq!(s.entries()[0].msg.platform, Platform::TikTok);
    assert_eq!(s.entries()[1].msg.platform, Platform::Amazon);
    drop(s);
    assert!(status(&chat, "TikTok via relay").messages >= 9);
    no_secret_in_statuses(&chat, "ssn-session-abc");
}

#[test]
fn twitch_logs_in_with_a_token_and_stops_when_twitch_refuses_it() {
    let rt = runtime();
    let listener = rt.block_on(tokio::net::TcpListener::bind("127.0.0.1:0")).unwrap();
    let port = listener.local_addr().unwrap().port();
    let said: Seen = Default::default();
    let s = said.clone();
    rt.spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            let mut ws = tokio_tungstenite::accept_async(tcp).await.unwrap();
            while let Some(Ok(Ws::Text(t))) = ws.next().await {
                s.lock().unwrap().push(t.to_string());
                if t.starts_with("JOIN") {
                    break;
                }
            }
            ws.send(Ws::Text(":tmi.twitch.tv NOTICE * :Login authentication failed".into()))
                .await
                .unwrap();
            while ws.next().await.is_some() {}
        }
    });
    let chat = open(
        "twitch-login",
        vec![SourceConfig {
            name: "Twitch".into(),
            kind: SourceKind::Twitch {
                url: format!("ws://127.0.0.1:{port}"),
                channel: "#MyShop".into(),
                login: Some(("MyBot".into(), token("tw-secret-tok"))),
                viewers: None,
            },
        }],
    );
    wait_for(&chat, "the refused login", |c| {
        status(c, "Twitch").state == State::Failed
    });
    assert!(status(&chat, "Twitch").detail.contains("refused the login token"));
    let lines = said.lock().unwrap().clone();
    assert_eq!(
        lines,
        vec![
            "CAP REQ :twitch.tv/tags twitch.tv/commands",
            "PASS oauth:tw-secret-tok",
            "NICK mybot",
            "JOIN #myshop"
        ]
    );
    no_secret_in_statuses(&chat, "tw-secret-tok");
}

/// The viewer counts of one platform in the chat log, in order.
fn logged_viewers(chat: &Chat, platform: &str) -> Vec<u64> {
    std::fs::read_to_string(chat.log_path())
        .unwrap()
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter(|v| v["t"] == "viewers" && v["platform"] == platform)
        .map(|v| v["count"].as_u64().unwrap())
        .collect()
}

#[test]
fn viewer_counts_come_from_youtube_twitch_and_facebook_answers() {
    let rt = runtime();
    let (irc_port, _) = twitch_server(&rt);
    let asked: Arc<Mutex<HashMap<&'static str, u64>>> = Default::default();
    let next = |asked: &Arc<Mutex<HashMap<&'static str, u64>>>, who: &'static str| {
        let mut a = asked.lock().unwrap();
        let n = a.entry(who).or_default();
        *n += 1;
        *n
    };
    let app = {
        let (a1, a2, a3) = (asked.clone(), asked.clone(), asked.clone());
        Router::new()
            // YouTube: the video's live details; concurrentViewers is a string.
            .route(
                "/videos",
                get(move |Query(q): Query<HashMap<String, String>>| {
                    let n = next(&a1, "youtube");
                    async move {
                        assert_eq!(q.get("key").map(String::as_str), Some("yt-key-v"));
                        assert_eq!(q.get("id").map(String::as_str), Some("vid-9"));
                        // The chat asks once too (for its chat id): the first two answers say 1200.
                        let viewers = if n <= 2 { "1200" } else { "1350" };
                        axum::Json(json!({"kind": "youtube#videoListResponse", "items": [{"kind": "youtube#video", "id": "vid-9",
                            "liveStreamingDetails": {"actualStartTime": "2026-12-03T10:00:00Z", "activeLiveChatId": "chat-9",
                            "concurrentViewers": viewers}}]}))
                    }
                }),
            )
            .route(
                "/liveChat/messages",
                get(|| async { axum::Json(json!({"pollingIntervalMillis": 1000, "items": []})) }),
            )
            // Twitch Helix: the Client-Id and the token, or 401.
            .route(
                "/helix/streams",
                get(move |headers: HeaderMap, Query(q): Query<HashMap<String, String>>| {
                    let n = next(&a2, "twitch");
                    async move {
                        let h = |k: &str| headers.get(k).and_then(|v| v.to_str().ok()).unwrap_or("").to_string();
                        if h("client-id") != "cid-1" || h("authorization") != "Bearer tw-tok-v" {
                            return (StatusCode::UNAUTHORIZED, axum::Json(json!({"error": "Unauthorized", "status": 401, "message": "Invalid OAuth token"}))).into_response();
                        }
                        assert_eq!(q.get("user_login").map(String::as_str), Some("shop"));
                        if n == 1 {
                            // Not live yet: no stream, no count.
                            return axum::Json(json!({"data": [], "pagination": {}})).into_response();
                        }
                        axum::Json(json!({"data": [{"id": "4", "user_id": "9", "user_login": "shop", "type": "live",
                            "title": "Live shopping", "viewer_count": 40 + n, "started_at": "2026-12-03T10:00:00Z"}], "pagination": {}}))
                        .into_response()
                    }
                }),
            )
            // Facebook: the live video's live_views.
            .route(
                "/live-9",
                get(move |Query(q): Query<HashMap<String, String>>| {
                    next(&a3, "facebook");
                    async move {
                        assert_eq!(q.get("fields").map(String::as_str), Some("live_views"));
                        assert_eq!(q.get("access_token").map(String::as_str), Some("fb-tok-v"));
                        axum::Json(json!({"live_views": 77, "id": "live-9"}))
                    }
                }),
            )
            .route(
                "/live-9/live_comments",
                get(|| async { axum::Json(json!({"data": [], "paging": {}})) }),
            )
    };
    let base = serve(&rt, app);
    let poll = Some(Duration::from_millis(300));
    let chat = open(
        "viewers",
        vec![
            SourceConfig {
                name: "YouTube".into(),
                kind: SourceKind::YouTube {
                    base_url: base.clone(),
                    live_chat_id: None,
                    video_id: Some("vid-9".into()),
                    api_key: token("yt-key-v"),
                    token: KeyRef::None,
                    viewers_poll: poll,
                },
            },
            SourceConfig {
                name: "Twitch".into(),
                kind: SourceKind::Twitch {
                    url: format!("ws://127.0.0.1:{irc_port}"),
                    channel: "Shop".into(),
                    login: Some(("bot".into(), token("tw-tok-v"))),
                    viewers: Some(TwitchViewers {
                        api_url: format!("{base}/helix"),
                        client_id: "cid-1".into(),
                        poll: Duration::from_millis(300),
                    }),
                },
            },
            SourceConfig {
                name: "Facebook".into(),
                kind: SourceKind::Facebook {
                    graph_url: base.clone(),
                    streaming_url: base.clone(),
                    live_video_id: "live-9".into(),
                    token: token("fb-tok-v"),
                    viewers_poll: poll,
                },
            },
        ],
    );
    let seen = |c: &Chat, p: Platform| {
        c.state()
            .metrics
            .platforms()
            .into_iter()
            .find(|x| x.platform == p)
            .and_then(|x| x.viewers.zip(x.peak_viewers))
    };
    wait_for(&chat, "three platforms' counts", |c| {
        seen(c, Platform::YouTube) == Some((1350, 1350))
            && seen(c, Platform::Twitch).is_some_and(|(_, peak)| peak >= 43)
            && seen(c, Platform::Facebook) == Some((77, 77))
    });
    let yt = logged_viewers(&chat, "youtube");
    assert_eq!(yt[0], 1200, "the first answer: {yt:?}");
    assert!(yt[1..].iter().all(|n| *n == 1350), "{yt:?}");
    let tw = logged_viewers(&chat, "twitch");
    assert_eq!(tw[..2], [42, 43], "nothing logged while Twitch had no stream: {tw:?}");
    assert!(logged_viewers(&chat, "facebook").iter().all(|n| *n == 77));
    let total = chat.state().metrics.viewers_now().unwrap();
    assert!(total >= 1350 + 43 + 77, "{total}");
    for t in ["yt-key-v", "tw-tok-v", "fb-tok-v"] {
        no_secret_in_statuses(&chat, t);
    }
}

#[test]
fn twitch_viewer_counts_stop_when_helix_refuses_the_token_and_the_chat_goes_on() {
    let rt = runtime();
    let (irc_port, _) = twitch_server(&rt);
    let asked: Seen = Default::default();
    let a = asked.clone();
    let app = Router::new().route(
        "/helix/streams",
        get(move || {
            a.lock().unwrap().push("streams".into());
            async {
                (
                    StatusCode::UNAUTHORIZED,
                    axum::Json(json!({"error": "Unauthorized", "status": 401, "message": "Invalid OAuth token"})),
                )
            }
        }),
    );
    let base = serve(&rt, app);
    let chat = open(
        "viewers-401",
        vec![SourceConfig {
            name: "Twitch".into(),
            kind: SourceKind::Twitch {
                url: format!("ws://127.0.0.1:{irc_port}"),
                channel: "Shop".into(),
                login: Some(("bot".into(), token("tw-bad"))),
                viewers: Some(TwitchViewers {
                    api_url: format!("{base}/helix"),
                    client_id: "cid-1".into(),
                    poll: Duration::from_millis(200),
                }),
            },
        }],
    );
    wait_for(&chat, "the chat's messages", |c| c.state().entries().len() >= 4);
    std::thread::sleep(Duration::from_millis(1000));
    assert_eq!(asked.lock().unwrap().len(), 1, "a refused token is not asked again");
    assert!(logged_viewers(&chat, "twitch").is_empty());
    assert_eq!(status(&chat, "Twitch").state, State::Live, "the chat goes on");
}
