//! Show files: the model (`model`), reading TOML with located problems
//! (`parse`, `diagnostics`), checks (`validate`) and platform presets.
//! The engine only ever sees the resolved, checked `Show` below.

// The layers below (docs/ARCHITECTURE.md).
use showroom_base::{hint, listener, secrets, session};
use showroom_media as media;
use showroom_products as products;
use showroom_spec as spec;

pub mod audio;
pub mod autolayout;
pub mod chat;
pub mod console;
pub mod diagnostics;
pub mod graphics;
pub mod model;
pub mod on_air;
pub mod parse;
pub mod remote;
pub mod rundown;
pub mod save;
pub mod validate;

pub use crate::spec::presets;
pub use crate::spec::*;
pub use diagnostics::{CheckError, Problem};

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
    pub graphics: showroom_graphics::overlays::GraphicsSetup,
    /// Timed graphics actions (`[[cues]]`), by time.
    pub cues: Vec<graphics::CueSpec>,
    /// Problems that do not stop the show (catalog rows that did not load).
    pub warnings: Vec<String>,
    pub audio: AudioSpec,
    /// Platform chat (`[chat]`), if the show has it.
    pub chat: Option<showroom_chat::ChatConfig>,
    /// The remote-control server (`[remote]`), if the show has one.
    pub remote: Option<RemoteSpec>,
    /// The crew console (`[console]`), if the show has one.
    pub console: Option<ConsoleSpec>,
    /// The run of show (`[rundown]`), if the show has one.
    pub rundown: Option<rundown::RundownSpec>,
    /// What `check` verifies on this machine (keys, recording folders).
    pub on_air: Vec<on_air::Deferred>,
    /// `[show] slate`: the PNG shown over a layer whose source lost its
    /// picture; None: the bundled "signal lost".
    pub slate: Option<PathBuf>,
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
