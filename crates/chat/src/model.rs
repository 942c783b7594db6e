//! One message model for every platform.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Platform {
    #[serde(rename = "youtube")]
    YouTube,
    Facebook,
    Instagram,
    Twitch,
    Bambuser,
    #[serde(rename = "tiktok")]
    TikTok,
    Amazon,
    /// Any other source feeding the bridge.
    Other,
}

impl Platform {
    pub const ALL: [Platform; 8] = [
        Platform::TikTok,
        Platform::Instagram,
        Platform::Amazon,
        Platform::Bambuser,
        Platform::YouTube,
        Platform::Facebook,
        Platform::Twitch,
        Platform::Other,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Platform::YouTube => "YouTube",
            Platform::Facebook => "Facebook",
            Platform::Instagram => "Instagram",
            Platform::Twitch => "Twitch",
            Platform::Bambuser => "Bambuser",
            Platform::TikTok => "TikTok",
            Platform::Amazon => "Amazon",
            Platform::Other => "Other",
        }
    }

    /// The id used in files ("tiktok").
    pub fn id(self) -> &'static str {
        match self {
            Platform::YouTube => "youtube",
            Platform::Facebook => "facebook",
            Platform::Instagram => "instagram",
            Platform::Twitch => "twitch",
            Platform::Bambuser => "bambuser",
            Platform::TikTok => "tiktok",
            Platform::Amazon => "amazon",
            Platform::Other => "other",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Badge {
    Owner,
    Moderator,
    Member,
    Verified,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Author {
    /// The platform's id for the person (stable across name changes).
    pub id: String,
    pub name: String,
    pub avatar: Option<String>,
    pub badges: Vec<Badge>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum Kind {
    Text,
    /// Gift, donation, super chat: the amount as the platform wrote it.
    Paid {
        amount: String,
    },
    Join,
    /// The platform removed message `id`.
    Deletion {
        id: String,
    },
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Message {
    pub platform: Platform,
    /// The platform's message id (deletions refer to it).
    pub id: String,
    pub author: Author,
    /// The text with emotes as their names (":fire:").
    pub text: String,
    /// Milliseconds since the Unix epoch, as the platform stamped it.
    pub at_ms: u64,
    #[serde(flatten)]
    pub kind: Kind,
}

/// How many watch on a platform, as it said at `at_ms` (YouTube's
/// concurrent viewers, Twitch's viewer count, Facebook's live views, or a
/// bridge's `viewers` item).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ViewerCount {
    pub platform: Platform,
    pub count: u64,
    pub at_ms: u64,
}

/// The longest comment each platform lets a viewer write, in characters
/// (docs/chat.md has the sources). Where no maximum is published, 500.
pub fn platform_max_chars(p: Platform) -> usize {
    match p {
        Platform::TikTok => 150,
        Platform::YouTube => 200,
        Platform::Twitch => 500,
        Platform::Instagram => 2_200,
        Platform::Facebook => 8_000,
        Platform::Amazon | Platform::Bambuser => 500,
        Platform::Other => 2_000,
    }
}

/// Room over a platform's maximum before a text is cut: emotes spelled out
/// as names (":fire:") make a real comment longer than the platform counted.
pub const TEXT_SLACK: usize = 2;
/// Longest name, id, amount and avatar URL kept.
pub const MAX_NAME_CHARS: usize = 100;
pub const MAX_ID_BYTES: usize = 200;
pub const MAX_AMOUNT_CHARS: usize = 64;
pub const MAX_AVATAR_BYTES: usize = 2_048;

/// `s` cut to `max` characters, with "…" where it was cut.
fn cut(s: &mut String, max: usize) {
    if let Some((at, _)) = s.char_indices().nth(max) {
        // A new string: truncating would keep the long one's memory.
        *s = format!("{}…", &s[..at]);
    }
}

fn cut_bytes(s: &mut String, max: usize) {
    if s.len() > max {
        let mut at = max;
        while !s.is_char_boundary(at) {
            at -= 1;
        }
        *s = s[..at].to_string();
    }
}

impl Message {
    /// The message within the limits the chat keeps: the text cut (with
    /// "…") at twice its platform's maximum, names at 100 characters, ids at
    /// 200 bytes, an avatar URL over 2 KB dropped. Every message goes
    /// through this before it is queued, logged or replayed.
    pub fn bounded(mut self) -> Message {
        cut(&mut self.text, platform_max_chars(self.platform) * TEXT_SLACK);
        cut(&mut self.author.name, MAX_NAME_CHARS);
        cut_bytes(&mut self.id, MAX_ID_BYTES);
        cut_bytes(&mut self.author.id, MAX_ID_BYTES);
        if self.author.avatar.as_ref().is_some_and(|a| a.len() > MAX_AVATAR_BYTES) {
            self.author.avatar = None;
        }
        match &mut self.kind {
            Kind::Paid { amount } => cut(amount, MAX_AMOUNT_CHARS),
            Kind::Deletion { id } => cut_bytes(id, MAX_ID_BYTES),
            Kind::Text | Kind::Join => {}
        }
        self
    }

    /// About how many bytes the message takes in memory (what its strings
    /// hold, not just their length).
    pub fn size(&self) -> usize {
        let kind = match &self.kind {
            Kind::Paid { amount } => amount.capacity(),
            Kind::Deletion { id } => id.capacity(),
            Kind::Text | Kind::Join => 0,
        };
        std::mem::size_of::<Message>()
            + self.id.capacity()
            + self.author.id.capacity()
            + self.author.name.capacity()
            + self.author.avatar.as_ref().map_or(0, |a| a.capacity())
            + self.text.capacity()
            + self.author.badges.capacity()
            + kind
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_messages_are_cut_where_the_platform_would_have() {
        let m = Message {
            platform: Platform::TikTok,
            id: "x".repeat(500),
            author: Author {
                id: "a".into(),
                name: "n".repeat(300),
                avatar: Some("h".repeat(5000)),
                badges: vec![],
            },
            text: "é".repeat(10_000),
            at_ms: 0,
            kind: Kind::Text,
        }
        .bounded();
        assert_eq!(m.text.chars().count(), 150 * TEXT_SLACK + 1);
        assert!(m.text.ends_with('…'));
        assert_eq!((m.id.len(), m.author.name.chars().count()), (200, 101));
        assert_eq!(m.author.avatar, None);
        assert!(m.size() < 2_000, "{}", m.size());
        let short = Message {
            text: "SOLD A1".into(),
            ..m.clone()
        }
        .bounded();
        assert_eq!(short.text, "SOLD A1");
    }
}
