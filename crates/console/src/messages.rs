//! What a console page sends: one JSON object per WebSocket message,
//! `{"action": NAME, ...fields}`, read into an engine command (or one of
//! the console's own: the host's question), with an error naming the
//! field. Checked against the sender's role by [`authorize`].

use crate::chat::state::Action;
use crate::engine::Command;
use crate::engine::rundown::RundownCommand;
use crate::graphics::GraphicsCommand as G;
use crate::roles::{Role, allowed};
use serde_json::{Map, Value};

/// The largest message a page may send.
pub const MAX_MESSAGE: usize = 16 * 1024;

/// A page's request.
#[derive(Debug, Clone)]
pub enum Request {
    Engine(Command),
    /// A moderator pushes chat message `seq` to the host's prompter.
    PushQuestion {
        seq: u64,
    },
    /// The question on the prompter is done with (the host or a moderator).
    ClearQuestion,
    /// A moderator adds a word to the blocked words.
    BlockWord {
        word: String,
    },
    /// Chat message `seq` on the featured-comment card, as its author wrote it.
    CommentOnScreen {
        seq: u64,
    },
    /// The pre-flight check, now: answered to the page that asked.
    Preflight,
}

/// Why a message was not taken: what is wrong, and the field at fault.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{message}")]
pub struct BadMessage {
    pub field: Option<String>,
    pub message: String,
}

fn bad(field: &str, message: impl Into<String>) -> BadMessage {
    BadMessage {
        field: Some(field.to_string()),
        message: message.into(),
    }
}

/// The actions, for errors and the docs.
pub const ACTIONS: &[&str] = &[
    "cut",
    "preview",
    "take",
    "tbar",
    "feature",
    "next_product",
    "previous_product",
    "next_segment",
    "previous_segment",
    "go_to_segment",
    "flash_deal",
    "end_flash_deal",
    "giveaway",
    "draw_giveaway",
    "auction",
    "end_auction",
    "hide_product",
    "countdown",
    "stop_countdown",
    "lower_third",
    "hide_lower_third",
    "banner",
    "hide_banner",
    "comment",
    "hide_comment",
    "reconnect",
    "record",
    "answer",
    "hide",
    "unhide",
    "block",
    "cancel_claim",
    "settle_claim",
    "push_question",
    "clear_question",
    "block_word",
    "preflight",
];

struct Fields<'a>(&'a Map<String, Value>);

impl Fields<'_> {
    fn text(&self, name: &str, max: usize) -> Result<String, BadMessage> {
        match self.0.get(name) {
            None | Some(Value::Null) => Err(bad(name, format!("`{name}` is missing"))),
            Some(Value::String(s)) if s.trim().is_empty() => Err(bad(name, format!("`{name}` is empty"))),
            Some(Value::String(s)) if s.chars().count() > max => {
                Err(bad(name, format!("`{name}` is longer than {max} characters")))
            }
            Some(Value::String(s)) => Ok(s.clone()),
            Some(_) => Err(bad(name, format!("`{name}` must be text"))),
        }
    }
    fn opt_text(&self, name: &str, max: usize) -> Result<Option<String>, BadMessage> {
        match self.0.get(name) {
            None | Some(Value::Null) => Ok(None),
            _ => self.text(name, max).map(Some),
        }
    }
    fn uint(&self, name: &str, max: u64) -> Result<u64, BadMessage> {
        match self.0.get(name) {
            None | Some(Value::Null) => Err(bad(name, format!("`{name}` is missing"))),
            Some(v) => match v.as_u64() {
                Some(n) if n <= max => Ok(n),
                Some(_) => Err(bad(name, format!("`{name}` is more than {max}"))),
                None => Err(bad(name, format!("`{name}` must be a whole number of 0 or more"))),
            },
        }
    }
    fn boolean(&self, name: &str) -> Result<bool, BadMessage> {
        match self.0.get(name) {
            Some(Value::Bool(b)) => Ok(*b),
            None | Some(Value::Null) => Err(bad(name, format!("`{name}` is missing"))),
            Some(_) => Err(bad(name, format!("`{name}` must be true or false"))),
        }
    }
    fn fraction(&self, name: &str) -> Result<f32, BadMessage> {
        match self.0.get(name).and_then(Value::as_f64) {
            Some(v) if (0.0..=1.0).contains(&v) => Ok(v as f32),
            Some(v) => Err(bad(name, format!("`{name}` is {v}: use 0.0 to 1.0"))),
            None => Err(bad(name, format!("`{name}` must be a number from 0.0 to 1.0"))),
        }
    }
}

/// Reads one message.
pub fn parse(text: &str) -> Result<Request, BadMessage> {
    read(text).1
}

/// Reads one message: the `id` its answer repeats (a number, or text of
/// at most 64 bytes; null otherwise) and the request.
pub fn read(text: &str) -> (Value, Result<Request, BadMessage>) {
    if text.len() > MAX_MESSAGE {
        let too_big = BadMessage {
            field: None,
            message: format!("the message is over {} KiB", MAX_MESSAGE / 1024),
        };
        return (Value::Null, Err(too_big));
    }
    let value: Value = match serde_json::from_str(text) {
        Ok(v) => v,
        Err(e) => {
            let not_json = BadMessage {
                field: None,
                message: format!("the message is not JSON: {e}"),
            };
            return (Value::Null, Err(not_json));
        }
    };
    let id = value
        .get("id")
        .filter(|v| v.is_u64() || v.as_str().is_some_and(|s| s.len() <= 64))
        .cloned()
        .unwrap_or(Value::Null);
    (id, request(value))
}

fn request(value: Value) -> Result<Request, BadMessage> {
    let Value::Object(map) = value else {
        return Err(BadMessage {
            field: None,
            message: "the message must be an object: {\"action\": ...}".into(),
        });
    };
    let f = Fields(&map);
    let action = f.text("action", 40)?;
    let engine = |c: Command| Ok(Request::Engine(c));
    let graphics = |g: G| Ok(Request::Engine(Command::Graphics(g)));
    let chat = |a: Action| Ok(Request::Engine(Command::Chat(a)));
    const SEQ: u64 = u64::MAX >> 1;
    match action.as_str() {
        "cut" => engine(Command::TakeScene(f.text("scene", 200)?)),
        "preview" => engine(Command::PreviewScene(f.text("scene", 200)?)),
        "take" => engine(Command::Take(None)),
        "tbar" => engine(Command::TBar(f.fraction("position")?)),
        "feature" => graphics(G::Feature(f.text("code", 200)?)),
        "next_product" => graphics(G::NextProduct),
        "next_segment" => engine(Command::Rundown(RundownCommand::Next)),
        "flash_deal" => {
            let opt = |name: &str| -> Result<Option<u32>, BadMessage> {
                match map.get(name) {
                    None | Some(Value::Null) => Ok(None),
                    _ => f.uint(name, 100_000).map(|n| Some(n as u32)),
                }
            };
            chat(Action::StartDeal(crate::chat::deals::DealRequest {
                product_id: f.text("code", 200)?,
                price: f.text("price", 40)?,
                seconds: f.uint("seconds", 86_400)?,
                cap: opt("cap")?,
                per_buyer: opt("per_buyer")?,
            }))
        }
        "end_flash_deal" => chat(Action::EndDeal(f.uint("deal", SEQ)?)),
        "auction" => chat(Action::StartAuction(crate::chat::auction::AuctionRequest {
            product: f.text("code", 200)?,
            start: f.text("start", 40)?,
            step: match map.get("step") {
                None | Some(Value::Null) => "1".into(),
                _ => f.text("step", 40)?,
            },
            seconds: f.uint("seconds", 86_400)?,
            extend_s: match map.get("extend_s") {
                None | Some(Value::Null) => 10,
                _ => f.uint("extend_s", 600)?,
            },
        })),
        "end_auction" => chat(Action::EndAuction(f.uint("auction", SEQ)?)),
        "giveaway" => chat(Action::StartGiveaway {
            keyword: f.text("keyword", 50)?,
            seconds: f.uint("seconds", 86_400)?,
        }),
        "draw_giveaway" => chat(Action::DrawGiveaway {
            giveaway: f.uint("giveaway", SEQ)?,
            seed: match map.get("seed") {
                None | Some(Value::Null) => None,
                _ => Some(f.uint("seed", u64::MAX)?),
            },
        }),
        "previous_segment" => engine(Command::Rundown(RundownCommand::Previous)),
        // From 1, as the rundown is numbered on the page.
        "go_to_segment" => match f.uint("segment", 1000)? {
            0 => Err(bad("segment", "`segment` counts from 1")),
            n => engine(Command::Rundown(RundownCommand::GoTo(n as usize - 1))),
        },
        "previous_product" => graphics(G::PreviousProduct),
        "hide_product" => graphics(G::HideProduct),
        "countdown" => graphics(G::StartCountdown {
            seconds: match f.uint("seconds", 86400)? {
                0 => return Err(bad("seconds", "`seconds` must be at least 1")),
                s => s,
            },
            label: f.opt_text("label", 200)?,
        }),
        "stop_countdown" => graphics(G::StopCountdown),
        "lower_third" => graphics(G::LowerThird {
            name: f.text("name", 200)?,
            title: f.opt_text("title", 200)?.unwrap_or_default(),
        }),
        "hide_lower_third" => graphics(G::HideLowerThird),
        "banner" => graphics(G::Banner(f.text("text", 500)?)),
        "hide_banner" => graphics(G::HideBanner),
        "comment" => Ok(Request::CommentOnScreen {
            seq: f.uint("seq", SEQ)?,
        }),
        "hide_comment" => graphics(G::HideComment),
        "reconnect" => engine(Command::ReconnectNow(f.opt_text("destination", 200)?)),
        "record" => engine(Command::Record(f.boolean("on")?)),
        "answer" => chat(Action::Answered(f.uint("seq", SEQ)?)),
        "hide" => chat(Action::Hide(f.uint("seq", SEQ)?)),
        "unhide" => chat(Action::Unhide(f.uint("seq", SEQ)?)),
        "block" => chat(Action::Block(f.uint("seq", SEQ)?)),
        "cancel_claim" => chat(Action::CancelClaim(f.uint("id", SEQ)?)),
        "settle_claim" => chat(Action::Claim {
            seq: f.uint("seq", SEQ)?,
            product: f.uint("product", 100_000)? as usize,
            variant: f.uint("variant", 10_000)? as usize,
            quantity: f.uint("quantity", 10_000)? as u32,
        }),
        "push_question" => Ok(Request::PushQuestion {
            seq: f.uint("seq", SEQ)?,
        }),
        "clear_question" => Ok(Request::ClearQuestion),
        "block_word" => Ok(Request::BlockWord {
            word: f.text("word", 100)?.trim().to_string(),
        }),
        "preflight" => Ok(Request::Preflight),
        other => Err(bad(
            "action",
            format!(
                "unknown action `{}`: use one of {}",
                other.chars().take(40).collect::<String>(),
                ACTIONS.join(", ")
            ),
        )),
    }
}

/// Whether `role` may make this request; the refusal says what the role is for.
pub fn authorize(role: Role, request: &Request) -> Result<(), String> {
    let ok = match request {
        Request::Engine(c) => allowed(role, c),
        Request::PushQuestion { .. } => role == Role::Moderator,
        Request::ClearQuestion => matches!(role, Role::Host | Role::Moderator),
        Request::CommentOnScreen { .. } => allowed(
            role,
            &Command::Graphics(G::FeatureComment {
                author: String::new(),
                platform: String::new(),
                text: String::new(),
            }),
        ),
        Request::BlockWord { .. } => allowed(role, &Command::Chat(Action::SetBlockedWords(Vec::new()))),
        // Whoever readies the show: the producer and the host.
        Request::Preflight => matches!(role, Role::Producer | Role::Host),
    };
    if ok {
        Ok(())
    } else {
        Err(format!(
            "a {role} cannot do this (docs/console.md lists what each role may do)"
        ))
    }
}

/// Whether `role` may send action `name` at all (what its page shows).
pub fn role_may(role: Role, name: &str) -> bool {
    let sample = serde_json::json!({
        "action": name, "scene": "s", "position": 0.5, "code": "c", "seconds": 1,
        "name": "n", "title": "t", "text": "t", "author": "a", "platform": "p",
        "on": true, "word": "w", "seq": 1, "id": 1, "product": 0, "variant": 0, "quantity": 1, "segment": 1, "price": "1.00", "deal": 1, "keyword": "win", "giveaway": 1,
        "start": "1.00", "auction": 1,
    });
    parse(&sample.to_string()).is_ok_and(|r| authorize(role, &r).is_ok())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::roles::ROLES;

    #[test]
    fn messages_become_commands_and_bad_ones_name_their_field() {
        assert!(matches!(
            parse(r#"{"action":"cut","scene":"intro"}"#),
            Ok(Request::Engine(Command::TakeScene(s))) if s == "intro"
        ));
        assert!(matches!(
            parse(r#"{"action":"settle_claim","seq":4,"product":0,"variant":1,"quantity":2}"#),
            Ok(Request::Engine(Command::Chat(Action::Claim {
                seq: 4,
                quantity: 2,
                ..
            })))
        ));
        assert!(matches!(
            parse(r#"{"action":"push_question","seq":9}"#),
            Ok(Request::PushQuestion { seq: 9 })
        ));
        for (text, field) in [
            (r#"{"action":"cut"}"#, Some("scene")),
            (r#"{"action":"cut","scene":5}"#, Some("scene")),
            (r#"{"action":"tbar","position":2}"#, Some("position")),
            (r#"{"action":"answer","seq":-1}"#, Some("seq")),
            (r#"{"action":"countdown","seconds":0}"#, Some("seconds")),
            (r#"{"action":"record","on":"yes"}"#, Some("on")),
            (r#"{"action":"launch"}"#, Some("action")),
            (r#"{"scene":"x"}"#, Some("action")),
            ("[1,2]", None),
            ("not json", None),
        ] {
            assert_eq!(parse(text).unwrap_err().field.as_deref(), field, "{text}");
        }
        let huge = format!(r#"{{"action":"banner","text":"{}"}}"#, "x".repeat(MAX_MESSAGE));
        assert!(parse(&huge).unwrap_err().message.contains("KiB"));
    }

    #[test]
    fn a_role_cannot_reach_another_roles_requests() {
        let cut = parse(r#"{"action":"cut","scene":"s"}"#).unwrap();
        assert!(authorize(Role::Producer, &cut).is_ok());
        assert!(
            authorize(Role::Moderator, &cut)
                .unwrap_err()
                .contains("a moderator cannot")
        );
        let push = parse(r#"{"action":"push_question","seq":1}"#).unwrap();
        assert!(authorize(Role::Moderator, &push).is_ok());
        assert!(authorize(Role::Host, &push).is_err());
        assert!(role_may(Role::Producer, "cut") && !role_may(Role::Moderator, "cut"));
        for a in ["next_segment", "previous_segment", "go_to_segment"] {
            assert!(role_may(Role::Producer, a) && !role_may(Role::Moderator, a) && !role_may(Role::Host, a));
        }
        assert!(matches!(
            parse(r#"{"action":"go_to_segment","segment":3}"#),
            Ok(Request::Engine(Command::Rundown(RundownCommand::GoTo(2))))
        ));
        assert!(parse(r#"{"action":"go_to_segment","segment":0}"#).is_err());
        for a in ["flash_deal", "end_flash_deal"] {
            assert!(role_may(Role::Producer, a) && !role_may(Role::Moderator, a), "{a}");
        }
        for a in ["giveaway", "draw_giveaway"] {
            assert!(
                role_may(Role::Producer, a) && role_may(Role::Moderator, a) && !role_may(Role::Host, a),
                "{a}"
            );
        }
        assert!(matches!(
            parse(r#"{"action":"draw_giveaway","giveaway":2,"seed":7}"#),
            Ok(Request::Engine(Command::Chat(Action::DrawGiveaway {
                giveaway: 2,
                seed: Some(7)
            })))
        ));
        assert!(ACTIONS.iter().all(|a| !role_may(Role::Brand, a)));
        assert!(
            ACTIONS.iter().all(|a| ROLES.iter().any(|r| role_may(*r, a))),
            "every action is someone's"
        );
        assert!(role_may(Role::Producer, "preflight") && role_may(Role::Host, "preflight"));
        assert!(!role_may(Role::Moderator, "preflight"));
        let clear = parse(r#"{"action":"clear_question"}"#).unwrap();
        assert!(authorize(Role::Host, &clear).is_ok());
        assert!(authorize(Role::Brand, &clear).is_err());
    }

    proptest::proptest! {
        #[test]
        fn any_text_is_read_or_refused_without_a_panic(s in ".{0,300}") {
            let _ = parse(&s);
        }

        #[test]
        fn any_action_with_any_fields_is_read_or_refused(
            action in proptest::sample::select(ACTIONS.to_vec()),
            key in "[a-z]{1,8}",
            n in proptest::num::i64::ANY,
            f in proptest::num::f64::ANY,
        ) {
            for v in [serde_json::json!(n), serde_json::json!(f), serde_json::json!("x"), serde_json::json!(null), serde_json::json!([1])] {
                let msg = serde_json::json!({ "action": action, key.clone(): v.clone(), "seq": v.clone(), "scene": v });
                let _ = parse(&msg.to_string());
            }
        }
    }
}
