//! Show files: the model (`model`), reading TOML with located problems
//! (`parse`, `diagnostics`), checks (`validate`) and platform presets.
//! The engine only ever sees the resolved, checked `Show` below.

pub mod audio;
pub mod autolayout;
pub mod chat;
pub mod diagnostics;
pub mod graphics;
pub mod model;
pub mod on_air;
pub mod parse;
pub mod presets;
pub mod save;
pub mod validate;

pub use diagnostics::{CheckError, Problem};
pub use model::{Crop, Direction, Fit, Rect};
pub use presets::Platform;

use crate::secrets::KeyRef;
use std::path::{Path, PathBuf};

#[derive(Debug, Clone)]
pub struct Show {
    pub name: String,
    /// Directory of the show file; relative paths in the show resolve here.
    pub base_dir: PathBuf,
    pub canvases: Vec<CanvasSpec>,
    pub sources: Vec<SourceSpec>,
    pub scenes: Vec<SceneSpec>,
    /// Index into `scenes` of the scene on program at start.
    pub start_scene: usize,
    /// What "take" does unless told otherwise.
    pub transition: TransitionSpec,
    pub destinations: Vec<DestinationSpec>,
    pub recordings: Vec<RecordingSpec>,
    /// Catalog, price locale and graphics template (`[products]`).
    pub graphics: crate::graphics::overlays::GraphicsSetup,
    /// Timed graphics actions (`[[cues]]`), by time.
    pub cues: Vec<graphics::CueSpec>,
    /// Problems that do not stop the show (catalog rows that did not load).
    pub warnings: Vec<String>,
    pub audio: AudioSpec,
    /// Platform chat (`[chat]`), if the show has it.
    pub chat: Option<crate::chat::ChatConfig>,
    /// What `check` verifies on this machine (keys, recording folders).
    pub on_air: Vec<on_air::Deferred>,
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
}

#[derive(Debug, Clone)]
pub struct SourceSpec {
    pub id: String,
    pub config: SourceConfig,
    /// Its place in the mix (sources with sound).
    pub audio: crate::audio::InputSettings,
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
    pub key: KeyRef,
    pub video_kbps: Option<u32>,
}

#[derive(Debug, Clone)]
pub struct RecordingSpec {
    pub canvas: usize,
    pub path: PathBuf,
}

impl Show {
    pub fn canvas_index(&self, id: &str) -> Option<usize> {
        self.canvases.iter().position(|c| c.id == id)
    }

    /// The bitrate of a canvas's one encoder: the canvas's own setting, else the
    /// lowest wish of its destinations (one encode serves them all, so it must
    /// suit the strictest), else a default for the size.
    pub fn video_kbps(&self, canvas: usize) -> u32 {
        let c = &self.canvases[canvas];
        if let Some(k) = c.video_kbps {
            return k;
        }
        self.destinations
            .iter()
            .filter(|d| d.canvas == canvas)
            .map(|d| d.video_kbps.unwrap_or(presets::preset(d.platform).default_kbps))
            .min()
            .unwrap_or_else(|| presets::default_kbps_for_size(c.width, c.height))
    }
}

/// Reads and checks a show file. On failure the error lists every problem found.
pub fn load(path: &Path) -> Result<Show, CheckError> {
    let label = path.display().to_string();
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) => {
            return Err(CheckError {
                warnings: Vec::new(),
                file: label,
                problems: vec![Problem {
                    line: 1,
                    col: 1,
                    message: format!("cannot read the show file: {e}"),
                    hint: "check the path and that the file is readable UTF-8 text".into(),
                }],
            });
        }
    };
    let base = path
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("."));
    parse_str(&text, &label, &base)
}

/// Checks show text; `label` names the file in messages, `base_dir` resolves paths.
pub fn parse_str(text: &str, label: &str, base_dir: &Path) -> Result<Show, CheckError> {
    let mut out = diagnostics::Collector::new(text);
    let raw = parse::parse(text, &mut out);
    let mut show = validate::validate(raw, base_dir, &mut out);
    show.on_air = std::mem::take(&mut out.on_air);
    if out.is_empty() {
        Ok(show)
    } else {
        let mut e = out.into_error(label);
        // The catalog's own reasons, whatever else is wrong.
        e.warnings = show.warnings;
        Err(e)
    }
}
