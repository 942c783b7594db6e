//! The show file model, as deserialised from TOML. Fields that later checks
//! point at are `Spanned` so every problem can name its FILE:LINE:COL.

use super::presets::Platform;
pub use crate::spec::{Crop, Direction, Fit, Rect};
use serde::Deserialize;
use std::collections::BTreeMap;
use toml::Spanned;

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ShowMeta {
    pub name: Option<String>,
    /// The scene on program when the show starts (default: the first scene).
    pub scene: Option<Spanned<String>>,
    /// The transition used by "take" unless another is asked for.
    pub transition: Option<Spanned<TransitionDef>>,
    /// A PNG shown in place of a source that lost its picture (default: the
    /// bundled "signal lost"): a relay's "we'll be right back" with the
    /// show's branding.
    pub slate: Option<Spanned<String>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TransitionName {
    Cut,
    Fade,
    Slide,
    Wipe,
    Stinger,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TransitionDef {
    pub kind: TransitionName,
    /// Milliseconds (default 500; a cut ignores it).
    pub duration: Option<u32>,
    /// slide / wipe: where the new scene moves to (default left).
    pub direction: Option<Direction>,
    /// stinger: the media source played over the change.
    pub stinger: Option<String>,
    /// stinger: when the scenes switch, as a fraction of the duration (default 0.5).
    pub cut: Option<f32>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Canvas {
    pub id: Spanned<String>,
    pub width: Spanned<u32>,
    pub height: Spanned<u32>,
    #[serde(default = "default_fps")]
    pub fps: Spanned<u32>,
    /// H.264 bitrate in kb/s; default: the lowest default of the destinations
    /// on this canvas, or one chosen from the size.
    pub video_bitrate: Option<Spanned<u32>>,
    /// Step the bitrate down while the uplink cannot carry it, and back up
    /// (default true; docs/uplink.md).
    pub adaptive_bitrate: Option<bool>,
}

fn default_fps() -> Spanned<u32> {
    Spanned::new(0..0, 30)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum SourceKind {
    TestPattern,
    Tone,
    Media,
    Image,
    Camera,
    Srt,
    /// A microphone through the system's audio (cpal).
    Microphone,
}

impl SourceKind {
    pub fn name(self) -> &'static str {
        match self {
            SourceKind::TestPattern => "test-pattern",
            SourceKind::Tone => "tone",
            SourceKind::Media => "media",
            SourceKind::Image => "image",
            SourceKind::Camera => "camera",
            SourceKind::Srt => "srt",
            SourceKind::Microphone => "microphone",
        }
    }
    pub fn has_video(self) -> bool {
        !matches!(self, SourceKind::Tone | SourceKind::Microphone)
    }
}

/// One flat struct for every kind (rather than a tagged enum) so that serde
/// keeps the spans of every field and `check` can say which field does not
/// belong to which kind.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Source {
    pub id: Spanned<String>,
    pub kind: Spanned<SourceKind>,
    /// test-pattern: GStreamer videotestsrc pattern name (smpte, ball, ...).
    pub pattern: Option<Spanned<String>>,
    /// test-pattern: picture size and rate.
    pub width: Option<Spanned<u32>>,
    pub height: Option<Spanned<u32>>,
    pub fps: Option<Spanned<u32>>,
    /// test-pattern: horizontal motion in pixels per frame (a moving picture
    /// shows at a glance that the stream is live).
    pub speed: Option<Spanned<i32>>,
    /// test-pattern: the colour of `pattern = "solid-color"`, as "#RRGGBB".
    pub color: Option<Spanned<String>>,
    /// test-pattern: the pixel format it arrives in, like a camera's
    /// ("i420", "nv12", "yuy2", "uyvy", "rgba", "bgra"), to check a
    /// capture format's path through the compositor.
    pub format: Option<Spanned<String>>,
    /// tone: frequency in Hz.
    pub frequency: Option<Spanned<f64>>,
    /// tone, media: linear volume 0.0–1.0.
    pub volume: Option<Spanned<f64>>,
    /// image, media: a file, relative to the show file.
    pub path: Option<Spanned<String>>,
    /// media: a URI instead of a path (file://, http(s)://, rtsp://...).
    pub uri: Option<Spanned<String>>,
    /// media: restart at the end (default true).
    #[serde(rename = "loop")]
    pub looping: Option<Spanned<bool>>,
    /// camera: device path or name (default: the first camera).
    pub device: Option<Spanned<String>>,
    /// srt: the UDP port to listen on for a phone's SRT camera app (or a
    /// studio sending to this relay).
    pub port: Option<Spanned<u16>>,
    /// srt: where the passphrase comes from ({ keyring = "NAME" }, { env =
    /// "NAME" } or { file = "path" }); callers must use the same one.
    pub key: Option<Spanned<toml::Value>>,
    /// srt: the receive buffer for retransmissions, in milliseconds.
    pub latency_ms: Option<Spanned<u32>>,
    /// Sources with sound: mixer settings.
    pub audio: Option<Spanned<AudioDef>>,
}

/// A source's place in the mix.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AudioDef {
    pub gain_db: Option<f32>,
    pub mute: Option<bool>,
    /// -1.0 (left) – 1.0 (right).
    pub pan: Option<f32>,
    /// Milliseconds, -500 – 500: positive delays this source.
    pub offset_ms: Option<i32>,
    /// true: the speech chain with its defaults; false: none; or a table
    /// naming each stage.
    pub voice: Option<toml::Value>,
}

/// `[audio]`: the master bus.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AudioMaster {
    /// Loudness the host is told to aim for, LUFS (default -16).
    pub target_lufs: Option<Spanned<f32>>,
    /// The limiter's ceiling, dBTP (default -1).
    pub ceiling_dbtp: Option<Spanned<f32>>,
    /// Headphone monitoring: true (the system's output) or an output's name.
    pub monitor: Option<Spanned<toml::Value>>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Layer {
    pub source: Spanned<String>,
    /// Higher z is drawn on top; equal z keeps file order.
    #[serde(default)]
    pub z: i32,
    #[serde(default = "default_opacity")]
    pub opacity: Spanned<f32>,
    pub crop: Option<Spanned<Crop>>,
    /// Position and size per canvas id, in canvas pixels. A layer without a
    /// place for a canvas is not drawn on that canvas — unless the scene places
    /// nothing at all on that canvas: then a layout is derived (autolayout.rs).
    #[serde(default)]
    pub place: BTreeMap<String, Spanned<Rect>>,
    /// Clockwise rotation in degrees, around the centre of the place.
    #[serde(default)]
    pub rotation: f32,
    /// How the picture fills its place: stretch (default), fit (letterbox), fill (crop).
    pub fit: Option<Spanned<Fit>>,
    /// Flip left-right (a selfie camera).
    #[serde(default)]
    pub mirror: bool,
    /// Corner radius in canvas pixels.
    #[serde(default)]
    pub radius: f32,
    pub border: Option<Spanned<Border>>,
    pub shadow: Option<Spanned<Shadow>>,
    /// Colour correction.
    pub color: Option<Spanned<ColorAdjust>>,
    pub chroma_key: Option<Spanned<ChromaKey>>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Border {
    pub width: f32,
    #[serde(default = "white")]
    pub color: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Shadow {
    #[serde(default)]
    pub x: f32,
    #[serde(default = "shadow_y")]
    pub y: f32,
    #[serde(default = "shadow_blur")]
    pub blur: f32,
    #[serde(default = "black")]
    pub color: String,
    #[serde(default = "half")]
    pub opacity: f32,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ColorAdjust {
    /// Added to every channel, -1.0–1.0.
    #[serde(default)]
    pub brightness: f32,
    /// Around mid-grey, 0.0–4.0 (1.0 = unchanged).
    #[serde(default = "one")]
    pub contrast: f32,
    /// 0.0 (grey) – 4.0 (1.0 = unchanged).
    #[serde(default = "one")]
    pub saturation: f32,
    /// 0.1–10.0 (1.0 = unchanged; above 1 brightens mid-tones).
    #[serde(default = "one")]
    pub gamma: f32,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChromaKey {
    /// The backdrop colour, "#RRGGBB" (default green).
    #[serde(default = "green")]
    pub color: String,
    /// How far from the key colour (in CbCr) still counts as backdrop, 0.0–1.0.
    #[serde(default = "similarity")]
    pub similarity: f32,
    /// Width of the soft edge, 0.0–1.0.
    #[serde(default = "smoothness")]
    pub smoothness: f32,
    /// How much of the key colour's cast is removed from the subject, 0.0–1.0.
    #[serde(default = "spill")]
    pub spill: f32,
}

fn white() -> String {
    "#FFFFFF".into()
}
fn black() -> String {
    "#000000".into()
}
fn green() -> String {
    "#00FF00".into()
}
fn shadow_y() -> f32 {
    8.0
}
fn shadow_blur() -> f32 {
    16.0
}
fn half() -> f32 {
    0.5
}
fn one() -> f32 {
    1.0
}
fn similarity() -> f32 {
    0.25
}
fn smoothness() -> f32 {
    0.1
}
fn spill() -> f32 {
    0.5
}

fn default_opacity() -> Spanned<f32> {
    Spanned::new(0..0, 1.0)
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scene {
    pub id: Spanned<String>,
    #[serde(default)]
    pub layers: Vec<Layer>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Destination {
    pub id: Spanned<String>,
    pub platform: Spanned<Platform>,
    pub canvas: Spanned<String>,
    /// Server URL without the stream key, e.g. rtmps://live-upload.instagram.com:443/rtmp/
    pub url: Spanned<String>,
    /// Where the stream key comes from: { keyring = "NAME" }, { env = "NAME" }
    /// or { file = "path" }.
    /// A key written here is refused by `check`.
    pub key: Option<Spanned<toml::Value>>,
    pub video_bitrate: Option<Spanned<u32>>,
    /// SRT destinations (url = "srt://host:port"): the receiver's buffer for
    /// retransmissions, in milliseconds.
    pub latency_ms: Option<Spanned<u32>>,
    /// This destination's link decides its canvas's bitrate (default: every
    /// destination of the canvas together).
    pub primary: Option<bool>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Recording {
    pub canvas: Spanned<String>,
    /// .mkv (Matroska) or .mp4 (fragmented MP4); `{canvas}` is replaced by the
    /// canvas id. Relative to the show file.
    pub path: Spanned<String>,
}

/// `[products]`: the catalog next to the show and how cards look.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Products {
    /// A CSV or JSON catalog file, relative to the show file.
    pub catalog: Option<Spanned<String>>,
    /// ISO 4217 currency for a catalog without a currency column.
    pub currency: Option<Spanned<String>>,
    /// The language tag prices are written for (default en-US).
    pub locale: Option<Spanned<String>>,
    /// A graphics template file (see assets/templates/default.toml).
    pub template: Option<Spanned<String>>,
    /// How often stock and prices are refreshed while the show runs: from
    /// the catalog file when it changes, or from `shopify`.
    pub refresh: Option<Spanned<String>>,
    /// A Shopify storefront whose availability refreshes the stock.
    pub shopify: Option<Spanned<String>>,
}

/// `[chat]`: the platforms' chat, moderation and comment selling.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChatSection {
    /// The chat log file (JSONL), relative to the show file.
    pub log: Option<Spanned<String>>,
    /// Words that make a comment a claim (default sold, claim, mine).
    pub keywords: Option<Spanned<Vec<String>>>,
    pub blocked_words: Option<Vec<String>>,
    /// https://SHOP.myshopify.com: claims become draft orders there.
    pub shopify_admin: Option<Spanned<String>>,
    /// An Admin API token reference (write_draft_orders).
    pub shopify_token: Option<Spanned<toml::Value>>,
    /// How long draft orders hold the stock ("24h").
    pub reserve: Option<Spanned<String>>,
    #[serde(default)]
    pub sources: Vec<Spanned<ChatSourceDef>>,
}

/// `[[chat.sources]]`: one platform's chat.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChatSourceDef {
    /// youtube, facebook, instagram, twitch, bambuser, relay or bridge.
    pub platform: Spanned<String>,
    /// The name in the status list (default: the platform).
    pub name: Option<String>,
    /// The API base URL (or the WebSocket URL for twitch and relay).
    pub url: Option<Spanned<String>>,
    /// Facebook: the streaming (SSE) base URL.
    pub streaming_url: Option<Spanned<String>>,
    pub channel: Option<String>,
    pub nick: Option<String>,
    pub video_id: Option<String>,
    pub live_chat_id: Option<String>,
    pub live_video_id: Option<String>,
    pub user_id: Option<String>,
    pub show_id: Option<String>,
    pub token: Option<Spanned<toml::Value>>,
    pub api_key: Option<Spanned<toml::Value>>,
    pub session: Option<Spanned<toml::Value>>,
    /// Bridge: where to listen (default 127.0.0.1:8765).
    pub listen: Option<Spanned<String>>,
    /// Bridge: host names clients may use besides IP addresses and localhost.
    pub hosts: Option<Vec<String>>,
    /// Bridge: `Origin`s allowed (a browser extension's); web pages never are.
    pub origins: Option<Vec<String>>,
    /// Instagram: how often to poll ("3s").
    pub poll: Option<Spanned<String>>,
    /// Relay: the channel to read (default 4, SSN's chat feed).
    pub relay_channel: Option<u32>,
    /// YouTube, Facebook, Twitch: how often to ask the viewer count
    /// ("30s", the default; "off" never asks).
    pub viewers_poll: Option<Spanned<String>>,
    /// Twitch: the client id of the app the token was made for (viewer
    /// counts come from Helix with it).
    pub client_id: Option<String>,
    /// Twitch: the Helix API base URL.
    pub api_url: Option<Spanned<String>>,
}

/// `[[cues]]`: one graphics action at a time after the show starts.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Cue {
    /// "3s", "1m30s", "500ms".
    pub at: Spanned<String>,
    pub feature: Option<Spanned<String>>,
    /// "product", "countdown", "lower_third", "banner" or "comment".
    pub hide: Option<Spanned<String>>,
    pub next_product: Option<bool>,
    pub previous_product: Option<bool>,
    /// How long the countdown runs: "5m".
    pub countdown: Option<Spanned<String>>,
    /// The countdown's words (default: the template's "Deal ends in").
    pub label: Option<String>,
    pub lower_third: Option<LowerThirdDef>,
    pub banner: Option<String>,
    pub comment: Option<CommentDef>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LowerThirdDef {
    pub name: String,
    #[serde(default)]
    pub title: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CommentDef {
    pub author: String,
    pub platform: String,
    pub text: String,
}
