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
