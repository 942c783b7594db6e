//! TOML → raw model. Each table is deserialised on its own so that one bad
//! table does not hide the problems of the others.

use super::diagnostics::{Collector, suggest};
use super::model::{AudioMaster, Canvas, ChatSection, Cue, Destination, Products, Recording, Scene, ShowMeta, Source};
use serde::de::DeserializeOwned;
use toml::Spanned;
use toml::de::{DeTable, DeValue, ValueDeserializer};

#[derive(Debug, Default)]
pub struct RawShow {
    pub show: ShowMeta,
    pub canvases: Vec<Canvas>,
    pub sources: Vec<Source>,
    pub scenes: Vec<Scene>,
    pub destinations: Vec<Destination>,
    pub recordings: Vec<Recording>,
    pub products: Option<Products>,
    pub cues: Vec<Cue>,
    pub audio: Option<AudioMaster>,
    pub chat: Option<ChatSection>,
    pub remote: Option<Spanned<super::remote::RemoteSection>>,
    pub console: Option<Spanned<super::console::ConsoleSection>>,
    pub rundown: Option<Spanned<super::rundown::RundownSection>>,
    /// Ids of tables that could not be read: references to them are not
    /// reported again (the table's own problem already is).
    pub broken_ids: std::collections::HashSet<String>,
}

const TOP_LEVEL: &[&str] = &[
    "show",
    "canvases",
    "sources",
    "scenes",
    "destinations",
    "recordings",
    "products",
    "cues",
    "audio",
    "chat",
    "remote",
    "console",
    "rundown",
];

/// Parses the text; structural problems go to `out`. Returns what could be read.
pub fn parse(text: &str, out: &mut Collector) -> RawShow {
    let (root, errors) = DeTable::parse_recoverable(text);
    if !errors.is_empty() {
        for e in errors {
            let span = e.span().unwrap_or(0..0);
            out.add(
                span,
                format!("TOML syntax error: {}", first_line(e.message())),
                "fix the syntax (see docs/show-format.md for a complete example)",
            );
        }
        return RawShow::default();
    }
    let mut raw = RawShow::default();
    for (key, value) in root.into_inner() {
        let name = key.get_ref().as_ref();
        match name {
            "show" => {
                if let Some(meta) = one::<ShowMeta>(value, "[show]", out) {
                    raw.show = meta;
                }
            }
            "canvases" => raw.canvases = many(value, "canvases", out, &mut raw.broken_ids),
            "sources" => raw.sources = many(value, "sources", out, &mut raw.broken_ids),
            "scenes" => raw.scenes = many(value, "scenes", out, &mut raw.broken_ids),
            "destinations" => raw.destinations = many(value, "destinations", out, &mut raw.broken_ids),
            "recordings" => raw.recordings = many(value, "recordings", out, &mut raw.broken_ids),
            "products" => raw.products = one::<Products>(value, "[products]", out),
            "cues" => raw.cues = many(value, "cues", out, &mut raw.broken_ids),
            "audio" => raw.audio = one::<AudioMaster>(value, "[audio]", out),
            "chat" => raw.chat = one::<ChatSection>(value, "[chat]", out),
            "remote" => {
                let span = value.span();
                raw.remote = one::<super::remote::RemoteSection>(value, "[remote]", out).map(|r| Spanned::new(span, r));
            }
            "console" => {
                let span = value.span();
                raw.console =
                    one::<super::console::ConsoleSection>(value, "[console]", out).map(|c| Spanned::new(span, c));
            }
            "rundown" => {
                let span = value.span();
                raw.rundown =
                    one::<super::rundown::RundownSection>(value, "[rundown]", out).map(|r| Spanned::new(span, r));
            }
            other => out.add(
                key.span(),
                format!("unknown section `{other}`"),
                suggest(other, TOP_LEVEL),
            ),
        }
    }
    raw
}

fn many<T: DeserializeOwned>(
    value: Spanned<DeValue<'_>>,
    section: &str,
    out: &mut Collector,
    broken: &mut std::collections::HashSet<String>,
) -> Vec<T> {
    let span = value.span();
    match value.into_inner() {
        DeValue::Array(items) => items
            .into_iter()
            .filter_map(|item| {
                let id = item
                    .get_ref()
                    .as_table()
                    .and_then(|t| t.get("id"))
                    .and_then(|v| v.get_ref().as_str().map(str::to_string));
                let parsed = one(item, &format!("[[{section}]]"), out);
                if parsed.is_none()
                    && let Some(id) = id
                {
                    broken.insert(id);
                }
                parsed
            })
            .collect(),
        other => {
            out.add(
                span,
                format!("`{section}` must be a list of tables, found a {}", other.type_str()),
                format!("write each entry as a [[{section}]] table"),
            );
            Vec::new()
        }
    }
}

fn one<T: DeserializeOwned>(value: Spanned<DeValue<'_>>, what: &str, out: &mut Collector) -> Option<T> {
    let span = value.span();
    match T::deserialize(ValueDeserializer::from(value)) {
        Ok(v) => Some(v),
        Err(e) => {
            let (message, hint) = explain_serde(e.message(), what);
            out.add(e.span().unwrap_or(span), message, hint);
            None
        }
    }
}

/// Rewrites serde's messages in the words of a show file, with a hint.
fn explain_serde(message: &str, what: &str) -> (String, String) {
    let message = first_line(message);
    let ticked: Vec<&str> = message.split('`').skip(1).step_by(2).collect();
    if let Some(rest) = message.strip_prefix("unknown field ") {
        let _ = rest;
        let word = ticked.first().copied().unwrap_or("");
        let expected: Vec<&str> = ticked.iter().skip(1).copied().collect();
        return (
            format!("unknown key `{word}` in {what}"),
            if expected.is_empty() {
                "remove it".to_string()
            } else {
                suggest(word, &expected)
            },
        );
    }
    if message.starts_with("unknown variant ") {
        let word = ticked.first().copied().unwrap_or("");
        let expected: Vec<&str> = ticked.iter().skip(1).copied().collect();
        return (format!("unknown value \"{word}\" in {what}"), suggest(word, &expected));
    }
    if message.starts_with("missing field ") {
        let word = ticked.first().copied().unwrap_or("");
        return (
            format!("{what} is missing the key `{word}`"),
            format!("add `{word} = ...` to this table"),
        );
    }
    if message.starts_with("invalid type") || message.starts_with("invalid value") {
        return (
            format!("{message} in {what}"),
            "see docs/show-format.md for the type of each key".to_string(),
        );
    }
    (format!("{message} in {what}"), String::new())
}

fn first_line(s: &str) -> &str {
    s.lines().next().unwrap_or(s).trim()
}
