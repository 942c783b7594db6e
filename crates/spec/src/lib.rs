//! The resolved show: pure data that every runtime module reads (canvases,
//! sources, scenes and layers, transitions, destinations, recordings, mix
//! settings, the platform presets). A leaf: it imports nothing of the
//! program but the key references of `secrets`; `show` loads, checks and
//! saves it, and re-exports it, so `crate::show::SceneSpec` still names
//! the same type.

// The layers below (docs/ARCHITECTURE.md).
use showroom_base::secrets;

pub mod audio;
pub mod presets;

pub use presets::Platform;

use crate::secrets::KeyRef;
use serde::Deserialize;
use std::path::PathBuf;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Direction {
    Left,
    Right,
    Up,
    Down,
}

#[derive(Debug, Clone, Copy, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rect {
    pub x: i32,
    pub y: i32,
    pub width: u32,
    pub height: u32,
}

/// Fractions (0.0–1.0) of the source picture cut away on each side.
#[derive(Debug, Clone, Copy, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Crop {
    #[serde(default)]
    pub left: f32,
    #[serde(default)]
    pub right: f32,
    #[serde(default)]
    pub top: f32,
    #[serde(default)]
    pub bottom: f32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Fit {
    #[default]
    Stretch,
    Fit,
    Fill,
}

/// The master bus (`[audio]`).
#[derive(Debug, Clone, PartialEq)]
pub struct AudioSpec {
    pub target_lufs: f32,
    pub ceiling_dbtp: f32,
    /// Headphone monitoring: None off; Some(None) the system's output.
    pub monitor: Option<Option<String>>,
}

impl Default for AudioSpec {
    fn default() -> Self {
        AudioSpec {
            target_lufs: -16.0,
            ceiling_dbtp: -1.0,
            monitor: None,
        }
    }
}

#[derive(Debug, Clone)]
pub struct CanvasSpec {
    pub id: String,
    pub width: u32,
    pub height: u32,
    pub fps: u32,
    /// `None`: chosen from the destinations on this canvas (see `Show::video_kbps`).
    pub video_kbps: Option<u32>,
    /// The bitrate follows what the uplink carries (docs/uplink.md).
    pub adaptive_bitrate: bool,
}

#[derive(Debug, Clone)]
pub struct SourceSpec {
    pub id: String,
    pub config: SourceConfig,
    /// Its place in the mix (sources with sound).
    pub audio: audio::InputSettings,
}

#[derive(Debug, Clone, PartialEq)]
pub enum SourceConfig {
    TestPattern {
        pattern: String,
        width: u32,
        height: u32,
        fps: u32,
        /// Horizontal motion, pixels per frame.
        speed: i32,
        /// 0xRRGGBB for the solid-color pattern.
        color: Option<u32>,
        /// GStreamer's name of the pixel format it arrives in (I420, NV12...).
        format: &'static str,
    },
    Tone {
        frequency: f64,
        volume: f64,
    },
    Media {
        uri: String,
        looping: bool,
        volume: f64,
    },
    Image {
        path: PathBuf,
    },
    Camera {
        device: Option<String>,
    },
    Srt {
        port: u16,
        /// The passphrase callers must give; `KeyRef::None`: unencrypted.
        passphrase: KeyRef,
        latency_ms: Option<u32>,
    },
    /// By name (`showroom devices`); None: the system's default input.
    Microphone {
        device: Option<String>,
    },
}

impl SourceConfig {
    /// The show file's `kind` of this source.
    pub fn kind_name(&self) -> &'static str {
        match self {
            SourceConfig::TestPattern { .. } => "test-pattern",
            SourceConfig::Tone { .. } => "tone",
            SourceConfig::Media { .. } => "media",
            SourceConfig::Image { .. } => "image",
            SourceConfig::Camera { .. } => "camera",
            SourceConfig::Srt { .. } => "srt",
            SourceConfig::Microphone { .. } => "microphone",
        }
    }
    pub fn has_video(&self) -> bool {
        !matches!(self, SourceConfig::Tone { .. } | SourceConfig::Microphone { .. })
    }
    pub fn has_audio(&self) -> bool {
        matches!(
            self,
            SourceConfig::Tone { .. }
                | SourceConfig::Media { .. }
                | SourceConfig::Srt { .. }
                | SourceConfig::Microphone { .. }
        )
    }
}

#[derive(Debug, Clone)]
pub struct SceneSpec {
    pub id: String,
    /// Sorted by z (stable), bottom first.
    pub layers: Vec<LayerSpec>,
}

#[derive(Debug, Clone)]
pub struct LayerSpec {
    /// Index into `Show::sources`.
    pub source: usize,
    pub z: i32,
    pub opacity: f32,
    pub crop: Crop,
    /// Indexed like `Show::canvases`; `None`: not drawn on that canvas.
    pub place: Vec<Option<Rect>>,
    pub style: Style,
    /// Not drawn (a controller turned the scene item off); the show file
    /// has every layer visible.
    pub hidden: bool,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum TransitionKind {
    Cut,
    Fade,
    Slide(Direction),
    Wipe(Direction),
    /// A media source played over the change; scenes switch at `cut` (0–1).
    Stinger {
        source: usize,
        cut: f32,
    },
}

impl TransitionKind {
    /// Its name in the show file and in events.
    pub fn name(&self) -> &'static str {
        match self {
            TransitionKind::Cut => "cut",
            TransitionKind::Fade => "fade",
            TransitionKind::Slide(_) => "slide",
            TransitionKind::Wipe(_) => "wipe",
            TransitionKind::Stinger { .. } => "stinger",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TransitionSpec {
    pub kind: TransitionKind,
    pub duration_ms: u32,
}

impl Default for TransitionSpec {
    fn default() -> Self {
        TransitionSpec {
            kind: TransitionKind::Fade,
            duration_ms: 500,
        }
    }
}

impl Direction {
    /// The way the new scene moves, in texture coordinates (y down).
    pub fn vector(self) -> [f32; 2] {
        match self {
            Direction::Left => [-1.0, 0.0],
            Direction::Right => [1.0, 0.0],
            Direction::Up => [0.0, -1.0],
            Direction::Down => [0.0, 1.0],
        }
    }
}

/// How a layer looks beyond its place: all of it applied on the GPU.
#[derive(Debug, Clone, PartialEq)]
pub struct Style {
    /// Degrees, clockwise.
    pub rotation: f32,
    pub fit: Fit,
    pub mirror: bool,
    pub radius: f32,
    /// Width in pixels (drawn inside the place) and RGBA colour.
    pub border: Option<(f32, [f32; 4])>,
    pub shadow: Option<ShadowStyle>,
    pub brightness: f32,
    pub contrast: f32,
    pub saturation: f32,
    pub gamma: f32,
    pub chroma_key: Option<ChromaKeyStyle>,
}

impl Default for Style {
    fn default() -> Self {
        Style {
            rotation: 0.0,
            fit: Fit::Stretch,
            mirror: false,
            radius: 0.0,
            border: None,
            shadow: None,
            brightness: 0.0,
            contrast: 1.0,
            saturation: 1.0,
            gamma: 1.0,
            chroma_key: None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ShadowStyle {
    pub offset: [f32; 2],
    pub blur: f32,
    /// RGBA, alpha = opacity.
    pub color: [f32; 4],
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ChromaKeyStyle {
    pub color: [f32; 3],
    pub similarity: f32,
    pub smoothness: f32,
    pub spill: f32,
}

#[derive(Debug, Clone)]
pub struct DestinationSpec {
    pub id: String,
    pub platform: Platform,
    /// Index into `Show::canvases`.
    pub canvas: usize,
    /// Server URL without the key.
    pub url: String,
    /// RTMP(S): the stream key. SRT (`srt://host:port`): the passphrase,
    /// or `KeyRef::None` for an unencrypted link.
    pub key: KeyRef,
    pub video_kbps: Option<u32>,
    /// SRT only: the receiver's buffer for retransmissions, in ms (default
    /// `SRT_LATENCY_MS`).
    pub latency_ms: Option<u32>,
    /// Its link decides the canvas's bitrate; the others drop GOPs when slow.
    pub primary: bool,
}

/// SRT's latency when a show sets none: four round trips of a poor
/// hotel or mobile uplink (~120 ms RTT), SRT's own rule of thumb.
pub const SRT_LATENCY_MS: u32 = 500;

/// `[remote]`: the obs-websocket 5 server for controllers.
#[derive(Debug, Clone, PartialEq)]
pub struct RemoteSpec {
    pub listen: std::net::SocketAddr,
    /// `KeyRef::None`: no password (only allowed on loopback).
    pub password: KeyRef,
    /// Host names controllers may use besides IP addresses and localhost.
    pub hosts: Vec<String>,
    /// Web origins allowed (a browser-based controller's).
    pub origins: Vec<String>,
}

impl RemoteSpec {
    /// OBS's default: 127.0.0.1:4455, no password (this machine only).
    pub const DEFAULT_LISTEN: std::net::SocketAddr =
        std::net::SocketAddr::new(std::net::IpAddr::V4(std::net::Ipv4Addr::LOCALHOST), 4455);

    /// A server on `listen` without a password (loopback only) — what
    /// `--remote` and the studio's switch start for a show without [remote].
    pub fn local(listen: std::net::SocketAddr) -> RemoteSpec {
        RemoteSpec {
            listen,
            password: KeyRef::None,
            hosts: Vec::new(),
            origins: Vec::new(),
        }
    }
}

/// `[console]`: the crew console, a web server for the crew's phones,
/// tablets and laptops (docs/console.md).
#[derive(Debug, Clone, PartialEq)]
pub struct ConsoleSpec {
    pub listen: std::net::SocketAddr,
    /// Host names pages may use besides IP addresses and localhost.
    pub hosts: Vec<String>,
    pub tls: ConsoleTls,
}

/// How the console's pages are served: plain HTTP on this machine only;
/// HTTPS off it.
#[derive(Debug, Clone, PartialEq)]
pub enum ConsoleTls {
    /// Plain HTTP (only allowed on loopback).
    None,
    /// A certificate the user provides (PEM files).
    Files { cert: PathBuf, key: PathBuf },
    /// A certificate made at start, whose fingerprint the studio and
    /// `showroom run` show for the crew to compare.
    SelfSigned,
}

impl ConsoleSpec {
    /// 127.0.0.1:8790: this machine only.
    pub const DEFAULT_LISTEN: std::net::SocketAddr =
        std::net::SocketAddr::new(std::net::IpAddr::V4(std::net::Ipv4Addr::LOCALHOST), 8790);

    /// A console on `listen` over plain HTTP (loopback only) — what
    /// `--console` and the studio's switch start for a show without [console].
    pub fn local(listen: std::net::SocketAddr) -> ConsoleSpec {
        ConsoleSpec {
            listen,
            hosts: Vec::new(),
            tls: ConsoleTls::None,
        }
    }
}

#[derive(Debug, Clone)]
pub struct RecordingSpec {
    pub canvas: usize,
    pub path: PathBuf,
}
