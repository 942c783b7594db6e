//! `[chat]` and its `[[chat.sources]]`, checked into a `ChatConfig`. Tokens
//! are references (keyring / env / file), like stream keys: a token written
//! in the show file is refused.

use super::diagnostics::{Collector, suggest};
use super::model::{ChatSection, ChatSourceDef};
use crate::secrets::KeyRef;
use showroom_chat::ChatConfig;
use showroom_chat::claims::DEFAULT_KEYWORDS;
use showroom_chat::connectors::{SourceConfig, SourceKind, TwitchViewers};
use std::path::Path;
use std::time::Duration;
use toml::Spanned;

const PLATFORMS: &[&str] = &[
    "youtube",
    "facebook",
    "instagram",
    "twitch",
    "bambuser",
    "relay",
    "bridge",
];

pub fn config(c: &ChatSection, show_name: &str, base: &Path, out: &mut Collector) -> ChatConfig {
    let log = match &c.log {
        Some(l) => base.join(l.get_ref()),
        None => base.join(format!("{}-chat.jsonl", crate::session::slug(show_name))),
    };
    let keywords = match &c.keywords {
        Some(k) if k.get_ref().iter().any(|w| !w.trim().is_empty()) => k
            .get_ref()
            .iter()
            .map(|w| w.trim().to_string())
            .filter(|w| !w.is_empty())
            .collect(),
        Some(k) => {
            out.add(
                k.span(),
                "[chat] keywords is empty",
                "list at least one claim word, e.g. [\"sold\"]",
            );
            Vec::new()
        }
        None => DEFAULT_KEYWORDS.iter().map(|w| w.to_string()).collect(),
    };
    let mut sources = Vec::new();
    for (i, s) in c.sources.iter().enumerate() {
        if let Some(src) = source(s, i, show_name, base, out) {
            if sources.iter().any(|o: &SourceConfig| o.name == src.name) {
                out.add(
                    s.span(),
                    format!("[[chat.sources]] name `{}` is used twice", src.name),
                    "give each source its own name = \"...\"",
                );
                continue;
            }
            sources.push(src);
        }
    }
    let shopify = match (&c.shopify_admin, &c.shopify_token) {
        (None, None) => None,
        (Some(_), Some(_)) => {
            let url = url(
                &c.shopify_admin,
                "https://SHOP.myshopify.com",
                &["https"],
                "[chat] shopify_admin",
                out,
            );
            let token = key(&c.shopify_token, "shopify_token", "[chat]", base, out);
            let reserve = match &c.reserve {
                None => Some(Duration::from_secs(24 * 3600)),
                Some(r) => {
                    let d = super::graphics::parse_duration_ms(r.get_ref()).map(Duration::from_millis);
                    if d.is_none() {
                        out.add(
                            r.span(),
                            format!("[chat] reserve \"{}\" is not a duration", r.get_ref()),
                            "e.g. reserve = \"24h\" (how long draft orders hold the stock)",
                        );
                    }
                    d
                }
            };
            match (token, reserve) {
                (Some(token), Some(reserve)) => Some(showroom_chat::orders::ShopifyAdmin { url, token, reserve }),
                _ => None,
            }
        }
        (Some(u), None) => {
            out.add(
                u.span(),
                "[chat] shopify_admin without shopify_token",
                "add shopify_token = { keyring = \"shopify-admin\" } (an Admin API token with write_draft_orders)",
            );
            None
        }
        (None, Some(t)) => {
            out.add(
                t.span(),
                "[chat] shopify_token without shopify_admin",
                "add shopify_admin = \"https://SHOP.myshopify.com\"",
            );
            None
        }
    };
    ChatConfig {
        shopify,
        log,
        keywords,
        blocked_words: c.blocked_words.clone().unwrap_or_default(),
        sources,
    }
}

fn key(v: &Option<Spanned<toml::Value>>, field: &str, what: &str, base: &Path, out: &mut Collector) -> Option<KeyRef> {
    let v = v.as_ref()?;
    match super::validate::key_ref(v.get_ref(), base) {
        Ok(k) => {
            out.on_air(
                v.span(),
                super::on_air::Check::Key {
                    what: format!("{what}: {field}"),
                    key: k.clone(),
                },
            );
            Some(k)
        }
        Err((msg, hint)) => {
            let msg = msg.replace("stream key", "token");
            let hint = if hint.starts_with("never put keys") {
                format!(
                    "never put tokens in show files: store it with `showroom key set NAME` and write {field} = {{ keyring = \"NAME\" }} (or {{ env = \"NAME\" }} / {{ file = \"path\" }})"
                )
            } else {
                hint
            };
            out.add(v.span(), format!("{what}: {field}: {msg}"), hint);
            None
        }
    }
}

fn url(v: &Option<Spanned<String>>, default: &str, schemes: &[&str], what: &str, out: &mut Collector) -> String {
    let Some(u) = v else { return default.to_string() };
    let text = u.get_ref().trim().trim_end_matches('/').to_string();
    if !schemes.iter().any(|s| text.starts_with(&format!("{s}://"))) {
        out.add(
            u.span(),
            format!(
                "{what}: url \"{text}\" must start with {}",
                schemes
                    .iter()
                    .map(|s| format!("{s}://"))
                    .collect::<Vec<_>>()
                    .join(" or ")
            ),
            format!("e.g. {default}"),
        );
    }
    text
}

fn source(
    s: &Spanned<ChatSourceDef>,
    i: usize,
    show_name: &str,
    base: &Path,
    out: &mut Collector,
) -> Option<SourceConfig> {
    let span = s.span();
    let s = s.get_ref();
    let platform = s.platform.get_ref().trim().to_lowercase();
    let what = format!("[[chat.sources]] #{} ({platform})", i + 1);
    let mut need = |v: &Option<String>, field: &str, hint: &str| -> Option<String> {
        match v.as_ref().map(|v| v.trim()).filter(|v| !v.is_empty()) {
            Some(v) => Some(v.to_string()),
            None => {
                out.add(span.clone(), format!("{what}: `{field}` is missing"), hint.to_string());
                None
            }
        }
    };
    let http = &["https", "http"];
    // How often to ask a platform's viewer count: 30 s unless said.
    let viewers_poll = match &s.viewers_poll {
        None => Some(Duration::from_secs(30)),
        Some(p) if p.get_ref().trim() == "off" => None,
        Some(p) => match super::graphics::parse_duration_ms(p.get_ref()).filter(|ms| *ms >= 1000) {
            Some(ms) => Some(Duration::from_millis(ms)),
            None => {
                out.add(
                    p.span(),
                    format!(
                        "{what}: viewers_poll \"{}\" is not a duration of 1 s or more",
                        p.get_ref()
                    ),
                    "e.g. viewers_poll = \"30s\", or \"off\" not to ask",
                );
                return None;
            }
        },
    };
    let kind = match platform.as_str() {
        "youtube" => {
            if s.video_id.is_none() && s.live_chat_id.is_none() {
                need(
                    &None,
                    "video_id",
                    "give video_id = \"...\" (the live video) or live_chat_id = \"...\"",
                )?;
            }
            let api_key = key(&s.api_key, "api_key", &what, base, out);
            let token = key(&s.token, "token", &what, base, out);
            let written = usize::from(s.api_key.is_some()) + usize::from(s.token.is_some());
            let read = usize::from(api_key.is_some()) + usize::from(token.is_some());
            if read < written {
                return None; // already reported
            }
            if api_key.is_some() == token.is_some() {
                out.add(
                    span.clone(),
                    format!("{what}: give either api_key or token"),
                    "api_key = { keyring = \"youtube-key\" } for public broadcasts, token = {...} for an OAuth token",
                );
                return None;
            }
            SourceKind::YouTube {
                base_url: url(&s.url, "https://www.googleapis.com/youtube/v3", http, &what, out),
                live_chat_id: s.live_chat_id.clone(),
                video_id: s.video_id.clone(),
                api_key: api_key.unwrap_or(KeyRef::None),
                token: token.unwrap_or(KeyRef::None),
                // A count needs the video: a chat id alone has none.
                viewers_poll: viewers_poll.filter(|_| s.video_id.is_some()),
            }
        }
        "facebook" => SourceKind::Facebook {
            live_video_id: need(
                &s.live_video_id,
                "live_video_id",
                "the id of the live video (Graph API)",
            )?,
            graph_url: url(&s.url, "https://graph.facebook.com/v19.0", http, &what, out),
            streaming_url: url(
                &s.streaming_url,
                "https://streaming-graph.facebook.com",
                http,
                &what,
                out,
            ),
            token: token(s, span.clone(), &what, base, out)?,
            viewers_poll,
        },
        "instagram" => SourceKind::Instagram {
            user_id: need(
                &s.user_id,
                "user_id",
                "the Instagram professional account id (Graph API)",
            )?,
            graph_url: url(&s.url, "https://graph.facebook.com/v19.0", http, &what, out),
            token: token(s, span.clone(), &what, base, out)?,
            poll: match &s.poll {
                None => Duration::from_secs(3),
                Some(p) => match super::graphics::parse_duration_ms(p.get_ref()).filter(|ms| *ms >= 1000) {
                    Some(ms) => Duration::from_millis(ms),
                    None => {
                        out.add(
                            p.span(),
                            format!("{what}: poll \"{}\" is not a duration of 1 s or more", p.get_ref()),
                            "e.g. poll = \"3s\"",
                        );
                        return None;
                    }
                },
            },
        },
        "twitch" => {
            let channel = need(&s.channel, "channel", "the channel name, e.g. channel = \"myshop\"")?;
            let login = match (&s.nick, key(&s.token, "token", &what, base, out)) {
                (Some(n), Some(t)) => Some((n.clone(), t)),
                (None, None) => None,
                _ => {
                    out.add(
                        span.clone(),
                        format!("{what}: to log in give both nick and token (or neither to read anonymously)"),
                        "nick = \"mybot\", token = { keyring = \"twitch\" }",
                    );
                    return None;
                }
            };
            let client_id = s.client_id.as_deref().map(str::trim).filter(|c| !c.is_empty());
            if client_id.is_some() && login.is_none() {
                out.add(
                    span.clone(),
                    format!("{what}: viewer counts (client_id) need a login: give nick and token too"),
                    "Helix answers a token made for the app whose client_id is given",
                );
                return None;
            }
            let api_url = url(&s.api_url, "https://api.twitch.tv/helix", http, &what, out);
            SourceKind::Twitch {
                channel,
                url: url(&s.url, "wss://irc-ws.chat.twitch.tv:443", &["wss", "ws"], &what, out),
                viewers: client_id.zip(viewers_poll).map(|(c, poll)| TwitchViewers {
                    api_url,
                    client_id: c.to_string(),
                    poll,
                }),
                login,
            }
        }
        "bambuser" => SourceKind::Bambuser {
            show_id: need(&s.show_id, "show_id", "the Bambuser show id")?,
            base_url: url(&s.url, "https://liveshopping-api.bambuser.com/v1", http, &what, out),
            token: token(s, span.clone(), &what, base, out)?,
        },
        "relay" => SourceKind::Relay {
            url: url(&s.url, "wss://io.socialstream.ninja", &["wss", "ws"], &what, out),
            session: match key(&s.session, "session", &what, base, out) {
                Some(k) => k,
                None => {
                    out.add(
                        span.clone(),
                        format!("{what}: `session` is missing"),
                        "the Social Stream Ninja session id, kept like a token: session = { keyring = \"ssn\" }",
                    );
                    return None;
                }
            },
            channel: s.relay_channel.unwrap_or(4),
        },
        "bridge" => SourceKind::Bridge {
            listen: match &s.listen {
                None => std::net::SocketAddr::from(([127, 0, 0, 1], 8765)),
                Some(l) => match l.get_ref().parse() {
                    Ok(a) => a,
                    Err(_) => {
                        out.add(
                            l.span(),
                            format!("{what}: listen \"{}\" is not an address:port", l.get_ref()),
                            "e.g. listen = \"127.0.0.1:8765\"",
                        );
                        return None;
                    }
                },
            },
            // A bridge always needs a token, even on 127.0.0.1: any web page
            // the host opens can reach loopback (docs/security.md). Without
            // one in the show, Showroom makes one and keeps it in the keyring.
            token: match key(&s.token, "token", &what, base, out) {
                Some(KeyRef::None) | None => {
                    let name = s.name.as_deref().unwrap_or("bridge");
                    KeyRef::Own(format!(
                        "bridge-{}-{}",
                        crate::session::slug(show_name),
                        crate::session::slug(name)
                    ))
                }
                Some(k) => k,
            },
            guard: crate::listener::Guard {
                hosts: s.hosts.clone().unwrap_or_default(),
                origins: s.origins.clone().unwrap_or_default(),
            },
        },
        other => {
            let hint = if other.starts_with("tiktok") || other.starts_with("amazon") {
                "TikTok LIVE and Amazon Live have no public chat API: use platform = \"relay\" (Social Stream Ninja) or \"bridge\" (docs/chat.md)".to_string()
            } else {
                suggest(other, PLATFORMS)
            };
            out.add(
                s.platform.span(),
                format!("[[chat.sources]]: unknown platform `{other}`"),
                hint,
            );
            return None;
        }
    };
    Some(SourceConfig {
        name: s.name.clone().unwrap_or_else(|| match platform.as_str() {
            "relay" => "Relay".to_string(),
            "bridge" => "Bridge".to_string(),
            _ => kind
                .platform()
                .map(|p| p.name().to_string())
                .unwrap_or(platform.clone()),
        }),
        kind,
    })
}

fn token(
    s: &ChatSourceDef,
    span: std::ops::Range<usize>,
    what: &str,
    base: &Path,
    out: &mut Collector,
) -> Option<KeyRef> {
    match &s.token {
        None => {
            out.add(
                span,
                format!("{what}: `token` is missing"),
                "store it with `showroom key set NAME` and write token = { keyring = \"NAME\" }",
            );
            None
        }
        t => key(t, "token", what, base, out),
    }
}

#[cfg(test)]
mod tests {
    use showroom_chat::connectors::SourceKind;
    use std::time::Duration;

    const SHOW: &str = "[show]\nname = \"v\"\n[[canvases]]\nid = \"c\"\nwidth = 320\nheight = 180\nfps = 15\n\
        [[sources]]\nid = \"s\"\nkind = \"test-pattern\"\n[[scenes]]\nid = \"m\"\n[[scenes.layers]]\nsource = \"s\"\n\
        place.c = { x = 0, y = 0, width = 320, height = 180 }\n[chat]\nlog = \"chat.jsonl\"\n";

    fn kinds(sources: &str) -> Result<Vec<SourceKind>, String> {
        let dir = std::env::temp_dir();
        crate::parse_str(&format!("{SHOW}{sources}"), "show.toml", &dir)
            .map(|s| s.chat.unwrap().sources.into_iter().map(|c| c.kind).collect())
            .map_err(|e| e.to_string())
    }

    #[test]
    fn viewer_counts_are_asked_every_30_s_unless_the_show_says() {
        let k = kinds(
            "[[chat.sources]]\nplatform = \"youtube\"\nvideo_id = \"v1\"\napi_key = { env = \"YT\" }\n\
             [[chat.sources]]\nplatform = \"youtube\"\nname = \"YT chat\"\nlive_chat_id = \"c1\"\napi_key = { env = \"YT\" }\n\
             [[chat.sources]]\nplatform = \"facebook\"\nlive_video_id = \"l1\"\ntoken = { env = \"FB\" }\nviewers_poll = \"off\"\n\
             [[chat.sources]]\nplatform = \"twitch\"\nchannel = \"shop\"\nnick = \"bot\"\ntoken = { env = \"TW\" }\nclient_id = \"cid\"\nviewers_poll = \"1m\"\n",
        )
        .unwrap();
        assert!(matches!(&k[0], SourceKind::YouTube { viewers_poll: Some(d), .. } if *d == Duration::from_secs(30)));
        assert!(
            matches!(&k[1], SourceKind::YouTube { viewers_poll: None, .. }),
            "a chat id alone has no video to count"
        );
        assert!(matches!(&k[2], SourceKind::Facebook { viewers_poll: None, .. }));
        match &k[3] {
            SourceKind::Twitch { viewers: Some(v), .. } => {
                assert_eq!(
                    (v.api_url.as_str(), v.client_id.as_str(), v.poll),
                    ("https://api.twitch.tv/helix", "cid", Duration::from_secs(60))
                );
            }
            other => panic!("{other:?}"),
        }
        let e =
            kinds("[[chat.sources]]\nplatform = \"twitch\"\nchannel = \"shop\"\nclient_id = \"cid\"\n").unwrap_err();
        assert!(e.contains("viewer counts (client_id) need a login"), "{e}");
        let e = kinds(
            "[[chat.sources]]\nplatform = \"facebook\"\nlive_video_id = \"l1\"\ntoken = { env = \"FB\" }\nviewers_poll = \"often\"\n",
        )
        .unwrap_err();
        assert!(e.contains("viewers_poll \"often\" is not a duration"), "{e}");
    }
}
