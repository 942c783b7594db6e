//! Sources in the studio: their state, the selected one's properties, and
//! "Add source…": a camera or microphone the engine finds, a media file, an
//! image, a phone over SRT or a test pattern, started while the show runs and put on top
//! of the scene in preview. "Save layout" writes it into the show file.

use super::Studio;
use crate::engine::Command;
use crate::engine::stats::Snapshot;
use crate::media::devices::DeviceInfo;
use crate::show::{Rect, SourceConfig};
use crate::theme::WARN;
use egui::RichText;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NewKind {
    Camera,
    Microphone,
    Media,
    Image,
    Phone,
    TestPattern,
}

impl NewKind {
    const ALL: [NewKind; 6] = [
        NewKind::Camera,
        NewKind::Microphone,
        NewKind::Media,
        NewKind::Image,
        NewKind::Phone,
        NewKind::TestPattern,
    ];

    fn label(self) -> &'static str {
        match self {
            NewKind::Camera => "Camera",
            NewKind::Microphone => "Microphone",
            NewKind::Media => "Media file",
            NewKind::Image => "Image",
            NewKind::Phone => "Phone (SRT)",
            NewKind::TestPattern => "Test pattern",
        }
    }

    fn id_stem(self) -> &'static str {
        match self {
            NewKind::Camera => "camera",
            NewKind::Microphone => "mic",
            NewKind::Media => "clip",
            NewKind::Image => "image",
            NewKind::Phone => "phone",
            NewKind::TestPattern => "pattern",
        }
    }
}

/// The "Add source" window's fields.
pub struct AddSource {
    pub kind: NewKind,
    pub id: String,
    pub path: String,
    pub port: u16,
    pub pattern: String,
    device: usize,
    /// Cameras found when the window opened.
    cameras: Vec<DeviceInfo>,
    /// Microphones found when the window opened, and the one chosen.
    microphones: Vec<String>,
    microphone: usize,
    pub error: Option<String>,
}

impl AddSource {
    fn new(studio: &Studio) -> AddSource {
        let cameras = crate::media::devices::list();
        let mut a = AddSource {
            kind: NewKind::Image,
            id: String::new(),
            path: String::new(),
            port: 9000,
            pattern: "smpte".into(),
            device: 0,
            cameras,
            microphones: crate::audio::capture::list(),
            microphone: 0,
            error: None,
        };
        a.id = free_id(studio, a.kind);
        a
    }

    /// The `[[sources]]` table body for what is filled in.
    fn body(&self) -> Result<String, String> {
        let mut t = toml::Table::new();
        t.insert("id".into(), self.id.trim().into());
        let kind = match self.kind {
            NewKind::Camera => "camera",
            NewKind::Microphone => "microphone",
            NewKind::Media => "media",
            NewKind::Image => "image",
            NewKind::Phone => "srt",
            NewKind::TestPattern => "test-pattern",
        };
        t.insert("kind".into(), kind.into());
        match self.kind {
            NewKind::Camera => {
                let cam = self
                    .cameras
                    .get(self.device)
                    .ok_or("no camera was found: plug one in, then open Add source again")?;
                if let Some(d) = &cam.device {
                    t.insert("device".into(), d.clone().into());
                }
            }
            NewKind::Microphone => {
                let mic = self
                    .microphones
                    .get(self.microphone)
                    .ok_or("no microphone was found: plug one in, then open Add source again")?;
                t.insert("device".into(), mic.clone().into());
            }
            NewKind::Media | NewKind::Image => {
                if self.path.trim().is_empty() {
                    return Err("give the file's path (absolute, or relative to the show file)".into());
                }
                t.insert("path".into(), self.path.trim().into());
            }
            NewKind::Phone => {
                t.insert("port".into(), (self.port as i64).into());
            }
            NewKind::TestPattern => {
                t.insert("pattern".into(), self.pattern.clone().into());
            }
        }
        toml::to_string(&t).map_err(|e| e.to_string())
    }
}

/// `stem-N` not used by any source yet.
fn free_id(studio: &Studio, kind: NewKind) -> String {
    let ids = studio.engine().source_ids();
    (1..)
        .map(|n| format!("{}-{n}", kind.id_stem()))
        .find(|id| !ids.contains(id))
        .expect("endless")
}

/// What a source reads, in a few words.
fn describe(config: &SourceConfig) -> String {
    match config {
        SourceConfig::TestPattern {
            pattern, width, height, ..
        } => format!("test pattern `{pattern}`, {width}×{height}"),
        SourceConfig::Tone { frequency, .. } => format!("tone, {frequency} Hz"),
        SourceConfig::Media { uri, looping, .. } => {
            format!("media {uri}{}", if *looping { ", looping" } else { ", plays once" })
        }
        SourceConfig::Image { path } => format!("image {}", path.display()),
        SourceConfig::Camera { device } => format!("camera {}", device.as_deref().unwrap_or("(the first one)")),
        SourceConfig::Srt { port, .. } => format!("phone over SRT, listening on UDP port {port}"),
        SourceConfig::Microphone { device } => {
            format!("microphone {}", device.as_deref().unwrap_or("(the system's default)"))
        }
    }
}

/// The sources list with each one's state; click one for its properties.
pub fn panel(studio: &mut Studio, ui: &mut egui::Ui, snap: &Snapshot) {
    ui.horizontal(|ui| {
        ui.heading("Sources");
        if ui
            .button("Add source…")
            .on_hover_text("a camera, media file, image, phone (SRT) or test pattern, on top of the scene in preview")
            .clicked()
        {
            studio.add_source = Some(AddSource::new(studio));
        }
    });
    for (i, s) in snap.sources.iter().enumerate() {
        let (word, colour) = if let Some(e) = &s.error {
            (format!("{}: {e}", s.id), crate::theme::ERROR)
        } else if s.signal_lost {
            (format!("{}: no signal", s.id), WARN)
        } else if s.ended {
            (format!("{}: played to its end", s.id), crate::theme::MUTED)
        } else {
            (format!("{}: ok", s.id), crate::theme::TEXT)
        };
        let selected = studio.source_selected == Some(i);
        if ui
            .add(
                egui::Button::new(RichText::new(word).color(colour))
                    .selected(selected)
                    .frame(false),
            )
            .on_hover_text("show its properties")
            .clicked()
        {
            studio.source_selected = (!selected).then_some(i);
        }
        if selected && let Some(spec) = studio.engine().source_spec(i) {
            ui.indent("source properties", |ui| {
                ui.label(describe(&spec.config));
                ui.label(format!("frames received: {}; restarts: {}", s.frames, s.restarts));
            });
        }
    }
}

/// The "Add source" window, while open.
pub fn window(studio: &mut Studio, ctx: &egui::Context) {
    let Some(mut form) = studio.add_source.take() else {
        return;
    };
    let scene = studio.snapshot().preview.clone();
    let mut open = true;
    let mut add = false;
    let mut cancel = false;
    egui::Window::new("Add source")
        .collapsible(false)
        .resizable(false)
        .open(&mut open)
        .show(ctx, |ui| {
            ui.horizontal_wrapped(|ui| {
                for k in NewKind::ALL {
                    if ui.selectable_label(form.kind == k, k.label()).clicked() && form.kind != k {
                        form.kind = k;
                        form.id = free_id(studio, k);
                        form.error = None;
                    }
                }
            });
            ui.horizontal(|ui| {
                ui.label("Id");
                ui.text_edit_singleline(&mut form.id);
            });
            match form.kind {
                NewKind::Camera if form.cameras.is_empty() => {
                    ui.label("No camera found. Plug one in, then open Add source again.");
                }
                NewKind::Camera => {
                    let names: Vec<String> = form.cameras.iter().map(|c| c.name.clone()).collect();
                    egui::ComboBox::from_label("Camera")
                        .selected_text(names.get(form.device).cloned().unwrap_or_default())
                        .show_ui(ui, |ui| {
                            for (i, n) in names.iter().enumerate() {
                                ui.selectable_value(&mut form.device, i, n);
                            }
                        });
                }
                NewKind::Microphone if form.microphones.is_empty() => {
                    ui.label("No microphone found. Plug one in, then open Add source again.");
                }
                NewKind::Microphone => {
                    let names = form.microphones.clone();
                    egui::ComboBox::from_label("Microphone")
                        .selected_text(names.get(form.microphone).cloned().unwrap_or_default())
                        .show_ui(ui, |ui| {
                            for (i, n) in names.iter().enumerate() {
                                ui.selectable_value(&mut form.microphone, i, n);
                            }
                        });
                    ui.label(
                        RichText::new("With the speech chain on (high-pass, noise suppression, gate, compressor).")
                            .weak(),
                    );
                }
                NewKind::Media | NewKind::Image => {
                    ui.horizontal(|ui| {
                        ui.label("File");
                        ui.add(
                            egui::TextEdit::singleline(&mut form.path)
                                .hint_text("path, absolute or relative to the show file")
                                .desired_width(260.0),
                        );
                    });
                }
                NewKind::Phone => {
                    ui.horizontal(|ui| {
                        ui.label("UDP port");
                        ui.add(egui::DragValue::new(&mut form.port).range(1024..=65535));
                    });
                    ui.label(
                        RichText::new(format!(
                            "In the phone's SRT camera app: srt://THIS-COMPUTER:{} (caller mode)",
                            form.port
                        ))
                        .weak(),
                    );
                }
                NewKind::TestPattern => {
                    egui::ComboBox::from_label("Pattern")
                        .selected_text(form.pattern.clone())
                        .show_ui(ui, |ui| {
                            for p in crate::show::validate::PATTERNS {
                                ui.selectable_value(&mut form.pattern, p.to_string(), *p);
                            }
                        });
                }
            }
            ui.label(RichText::new(format!("It goes on top of scene `{scene}` (in preview).")).weak());
            if let Some(e) = &form.error {
                ui.label(RichText::new(e).color(crate::theme::ERROR));
            }
            ui.horizontal(|ui| {
                add = ui.button("Add").clicked();
                cancel = ui.button("Cancel").clicked();
            });
        });
    if cancel || !open {
        return;
    }
    if add {
        match add_to_scene(studio, &form, &scene) {
            Ok(id) => {
                studio.notify(format!(
                    "added `{id}` to scene `{scene}`: place it, then Save layout keeps it in the show file"
                ));
                return;
            }
            Err(e) => form.error = Some(e),
        }
    }
    studio.add_source = Some(form);
}

/// Checks the form like a show file's source, starts it in the engine and
/// notes it (with its place on every canvas) for "Save layout".
fn add_to_scene(studio: &mut Studio, form: &AddSource, scene: &str) -> Result<String, String> {
    let body = form.body()?;
    let base = studio.engine().show().base_dir.clone();
    let spec = crate::show::validate::source_from_toml(&body, &base)?;
    // Centred at half the canvas, keeping its own shape ("fit"): the host
    // moves it with Edit layout.
    let place: Vec<Option<Rect>> = studio
        .engine()
        .show()
        .canvases
        .iter()
        .map(|c| {
            Some(Rect {
                x: (c.width / 4) as i32,
                y: (c.height / 4) as i32,
                width: c.width / 2,
                height: c.height / 2,
            })
        })
        .collect();
    let canvases: Vec<String> = studio.engine().show().canvases.iter().map(|c| c.id.clone()).collect();
    let id = spec.id.clone();
    let has_video = spec.config.has_video();
    studio
        .engine()
        .execute(Command::AddSource {
            source: spec,
            scene: scene.to_string(),
            place: place.clone(),
        })
        .map_err(|e| e.to_string())?;
    studio.stale = true;
    if !has_video {
        // Sound only: in the mix (the audio strip), nothing to place; the
        // editor's Save keeps it.
        studio.editor.on = true;
        studio.layout = super::Layout::Studio;
        studio.editor.added.push(crate::show::save::AddedSource {
            body,
            id: id.clone(),
            scene: scene.to_string(),
            layer: false,
        });
        return Ok(id);
    }
    // Straight into the layout editor with it selected: the host places it.
    studio.editor.on = true;
    studio.layout = super::Layout::Studio;
    studio.editor.selected = studio.engine().source_ids().iter().position(|s| *s == id);
    studio.editor.added.push(crate::show::save::AddedSource {
        body,
        id: id.clone(),
        scene: scene.to_string(),
        layer: true,
    });
    for (canvas, rect) in canvases.into_iter().zip(place) {
        let (index, rect) = match studio.engine().show().canvas_index(&canvas) {
            Some(i) => (i, rect.expect("placed on every canvas")),
            None => continue,
        };
        studio.editor.unsaved.push(crate::show::save::PlaceChange {
            scene: scene.to_string(),
            source: id.clone(),
            canvas,
            value: crate::show::save::LayerValue::Place(index, rect),
        });
    }
    Ok(id)
}
