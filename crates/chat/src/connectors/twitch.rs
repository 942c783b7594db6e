//! Twitch chat: IRC over WebSocket (wss://irc-ws.chat.twitch.tv:443) with
//! the IRCv3 tags and commands capabilities. Anonymous read uses a
//! `justinfan` nick; a login uses `PASS oauth:TOKEN`. We answer PING, and
//! on RECONNECT (Twitch is about to drop us) open a new connection at once.

use super::{State, StatusHandle, Trouble, run_with_retry};
use crate::Ingest;
use crate::model::{Author, Badge, Kind, Message, Platform};
use crate::secrets::Secret;
use futures_util::{SinkExt, StreamExt};
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;
use tokio_tungstenite::tungstenite::Message as Ws;

pub struct Config {
    pub url: String,
    pub channel: String,
    /// Nick and OAuth token; anonymous when None.
    pub login: Option<(String, Secret)>,
}

/// One IRC line: tags, prefix nick, command, params (trailing last).
#[derive(Debug, PartialEq)]
pub struct Line<'a> {
    pub tags: HashMap<&'a str, String>,
    pub nick: Option<&'a str>,
    pub command: &'a str,
    pub params: Vec<&'a str>,
}

/// IRCv3 tag value escapes.
fn unescape(v: &str) -> String {
    let mut out = String::with_capacity(v.len());
    let mut chars = v.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('s') => out.push(' '),
            Some(':') => out.push(';'),
            Some('r') => out.push('\r'),
            Some('n') => out.push('\n'),
            Some(c) => out.push(c),
            None => {}
        }
    }
    out
}

pub fn parse_line(line: &str) -> Option<Line<'_>> {
    let mut rest = line.trim_end_matches(['\r', '\n']);
    let mut tags = HashMap::new();
    if let Some(r) = rest.strip_prefix('@') {
        let (t, r) = r.split_once(' ')?;
        for kv in t.split(';') {
            let (k, v) = kv.split_once('=').unwrap_or((kv, ""));
            tags.insert(k, unescape(v));
        }
        rest = r.trim_start();
    }
    let mut nick = None;
    if let Some(r) = rest.strip_prefix(':') {
        let (prefix, r) = r.split_once(' ')?;
        nick = Some(prefix.split('!').next().unwrap_or(prefix));
        rest = r.trim_start();
    }
    let (command, mut rest) = rest.split_once(' ').unwrap_or((rest, ""));
    let mut params = Vec::new();
    while !rest.is_empty() {
        if let Some(trailing) = rest.strip_prefix(':') {
            params.push(trailing);
            break;
        }
        let (p, r) = rest.split_once(' ').unwrap_or((rest, ""));
        params.push(p);
        rest = r.trim_start();
    }
    if command.is_empty() {
        return None;
    }
    Some(Line {
        tags,
        nick,
        command,
        params,
    })
}

fn badges(tags: &HashMap<&str, String>) -> Vec<Badge> {
    let mut out = Vec::new();
    for b in tags.get("badges").map(String::as_str).unwrap_or("").split(',') {
        let badge = match b.split('/').next().unwrap_or("") {
            "broadcaster" => Badge::Owner,
            "moderator" => Badge::Moderator,
            "subscriber" | "founder" => Badge::Member,
            "partner" | "verified" => Badge::Verified,
            _ => continue,
        };
        if !out.contains(&badge) {
            out.push(badge);
        }
    }
    if tags.get("mod").map(String::as_str) == Some("1") && !out.contains(&Badge::Moderator) {
        out.push(Badge::Moderator);
    }
    out
}

/// A chat line as a message (None for lines that carry none).
pub fn to_message(line: &Line) -> Option<Message> {
    let tag = |k: &str| line.tags.get(k).cloned().filter(|v| !v.is_empty());
    let at_ms = tag("tmi-sent-ts")
        .and_then(|t| t.parse().ok())
        .unwrap_or_else(crate::log::now_ms);
    let login = line.nick.unwrap_or("").to_string();
    let author = |login: String| Author {
        id: tag("user-id").unwrap_or_else(|| login.clone()),
        name: tag("display-name").unwrap_or(login),
        avatar: None,
        badges: badges(&line.tags),
    };
    match line.command {
        "PRIVMSG" => {
            let raw = line.params.get(1).copied().unwrap_or("");
            // "/me waves" arrives as \x01ACTION waves\x01.
            let text = raw
                .strip_prefix("\u{1}ACTION ")
                .map(|t| t.trim_end_matches('\u{1}'))
                .unwrap_or(raw)
                .to_string();
            let kind = match tag("bits") {
                Some(bits) => Kind::Paid {
                    amount: format!("{bits} bits"),
                },
                None => Kind::Text,
            };
            Some(Message {
                platform: Platform::Twitch,
                id: tag("id").unwrap_or_else(|| format!("{login}-{at_ms}")),
                author: author(login),
                text,
                at_ms,
                kind,
            })
        }
        "CLEARMSG" => Some(Message {
            platform: Platform::Twitch,
            id: format!("clear-{}", tag("target-msg-id")?),
            author: Author {
                id: tag("login").unwrap_or_default(),
                name: tag("login").unwrap_or_default(),
                avatar: None,
                badges: vec![],
            },
            text: String::new(),
            at_ms,
            kind: Kind::Deletion {
                id: tag("target-msg-id")?,
            },
        }),
        "USERNOTICE" => {
            let what = tag("msg-id").unwrap_or_default();
            let kind = match what.as_str() {
                "sub" | "resub" => Kind::Join,
                "subgift" | "submysterygift" | "anonsubgift" | "anonsubmysterygift" => Kind::Paid {
                    amount: match tag("msg-param-mass-gift-count") {
                        Some(n) => format!("{n} gifted subs"),
                        None => "gifted sub".into(),
                    },
                },
                _ => return None,
            };
            let login = tag("login").unwrap_or(login);
            Some(Message {
                platform: Platform::Twitch,
                id: tag("id").unwrap_or_else(|| format!("{login}-{at_ms}")),
                author: author(login),
                text: line
                    .params
                    .get(1)
                    .map(|t| t.to_string())
                    .or_else(|| tag("system-msg"))
                    .unwrap_or_default(),
                at_ms,
                kind,
            })
        }
        _ => None,
    }
}

pub async fn run(config: Config, ingest: Ingest, status: StatusHandle) {
    let config = Arc::new(config);
    run_with_retry(status, |status| session(config.clone(), ingest.clone(), status)).await
}

async fn session(config: Arc<Config>, ingest: Ingest, status: StatusHandle) -> (Trouble, bool) {
    let (mut ws, _) = match tokio_tungstenite::connect_async(config.url.as_str()).await {
        Ok(c) => c,
        Err(e) => return (Trouble::retry(format!("cannot reach Twitch chat: {e}")), false),
    };
    let channel = config.channel.trim_start_matches('#').to_lowercase();
    let (pass, nick) = match &config.login {
        Some((nick, token)) => (
            format!("oauth:{}", token.expose().trim_start_matches("oauth:")),
            nick.to_lowercase(),
        ),
        None => (
            "SCHMOOPIIE".to_string(),
            format!("justinfan{}", 10_000 + std::process::id() % 80_000),
        ),
    };
    for line in [
        "CAP REQ :twitch.tv/tags twitch.tv/commands".to_string(),
        format!("PASS {pass}"),
        format!("NICK {nick}"),
        format!("JOIN #{channel}"),
    ] {
        if let Err(e) = ws.send(Ws::Text(line.into())).await {
            return (Trouble::retry(format!("Twitch chat: {e}")), false);
        }
    }
    let mut delivered = false;
    loop {
        // Twitch pings about every 5 minutes; silence for 6 means a dead link.
        let frame = match tokio::time::timeout(Duration::from_secs(360), ws.next()).await {
            Ok(Some(Ok(f))) => f,
            Ok(Some(Err(e))) => return (Trouble::retry(format!("the Twitch connection broke: {e}")), delivered),
            Ok(None) => return (Trouble::retry("Twitch closed the connection"), delivered),
            Err(_) => return (Trouble::retry("no word from Twitch for 6 minutes"), delivered),
        };
        let text = match frame {
            Ws::Text(t) => t.to_string(),
            Ws::Ping(p) => {
                let _ = ws.send(Ws::Pong(p)).await;
                continue;
            }
            Ws::Close(_) => return (Trouble::retry("Twitch closed the connection"), delivered),
            _ => continue,
        };
        for raw in text.split("\r\n").filter(|l| !l.is_empty()) {
            let Some(line) = parse_line(raw) else { continue };
            match line.command {
                "PING" => {
                    let arg = line.params.first().copied().unwrap_or("tmi.twitch.tv");
                    if let Err(e) = ws.send(Ws::Text(format!("PONG :{arg}").into())).await {
                        return (Trouble::retry(format!("Twitch chat: {e}")), delivered);
                    }
                }
                "RECONNECT" => {
                    return (
                        Trouble::Retry {
                            why: "Twitch asked us to reconnect".into(),
                            after: Some(Duration::ZERO),
                        },
                        delivered,
                    );
                }
                "NOTICE" if line.params.last().is_some_and(|m| m.contains("authentication failed")) => {
                    return (
                        Trouble::Failed("Twitch refused the login token — store a new one".into()),
                        delivered,
                    );
                }
                "JOIN" | "ROOMSTATE" => status.set(State::Live, format!("reading #{channel}")),
                _ => {
                    if let Some(m) = to_message(&line) {
                        if !ingest.send(m).await {
                            return (Trouble::Stopped, delivered);
                        }
                        status.counted(1);
                        delivered = true;
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn privmsg_with_tags() {
        let raw = "@badge-info=subscriber/12;badges=broadcaster/1,subscriber/12;color=#3FB5BA;display-name=Foo\\sBar;emotes=25:0-4;id=abc-1;mod=1;tmi-sent-ts=1674656103223;user-id=53862903 :foo!foo@foo.tmi.twitch.tv PRIVMSG #chan :Kappa SOLD A1";
        let line = parse_line(raw).unwrap();
        let m = to_message(&line).unwrap();
        assert_eq!(m.text, "Kappa SOLD A1");
        assert_eq!(m.author.name, "Foo Bar");
        assert_eq!(m.author.id, "53862903");
        assert_eq!(m.author.badges, vec![Badge::Owner, Badge::Member, Badge::Moderator]);
        assert_eq!((m.id.as_str(), m.at_ms), ("abc-1", 1_674_656_103_223));
    }

    #[test]
    fn clearmsg_bits_and_plain_lines() {
        let clear = parse_line(
            "@login=ronni;room-id=;target-msg-id=abc-123;tmi-sent-ts=1642720582342 :tmi.twitch.tv CLEARMSG #dallas :HeyGuys",
        )
        .unwrap();
        assert_eq!(
            to_message(&clear).unwrap().kind,
            Kind::Deletion { id: "abc-123".into() }
        );
        let cheer = parse_line("@bits=100;id=x;display-name=B :b!b@b PRIVMSG #c :cheer100 nice").unwrap();
        assert_eq!(
            to_message(&cheer).unwrap().kind,
            Kind::Paid {
                amount: "100 bits".into()
            }
        );
        let ping = parse_line("PING :tmi.twitch.tv").unwrap();
        assert_eq!((ping.command, ping.params.clone()), ("PING", vec!["tmi.twitch.tv"]));
        assert!(to_message(&ping).is_none());
        let me = parse_line("@id=y :c!c@c PRIVMSG #c :\u{1}ACTION waves\u{1}").unwrap();
        assert_eq!(to_message(&me).unwrap().text, "waves");
    }
}
