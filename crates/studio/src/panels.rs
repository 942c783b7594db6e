//! The studio's panels. Each reads the last snapshot and sends commands
//! through `Studio::command`; none talks to the engine's internals.

use super::hotkeys::{CUT, FADE};
use super::{Confirm, KeyEntry, Layout, Studio};
use crate::engine::Command;
use crate::engine::stats::Snapshot;
use crate::engine::stats::{DestinationState, DestinationStats};
use crate::secrets::KeyRef;
use crate::show::TransitionKind;
use egui::{Color32, RichText};

use crate::theme::{self, ON_AIR, PREVIEW, WARN};
/// How long a notice stays in the status line.
const MESSAGE_SECS: u64 = 8;

fn clock(secs: f64) -> String {
    let s = secs.max(0.0) as u64;
    if s >= 3600 {
        format!("{}:{:02}:{:02}", s / 3600, s / 60 % 60, s % 60)
    } else {
        format!("{:02}:{:02}", s / 60, s % 60)
    }
}

/// Streams that are on (connecting, live or retrying), i.e. not idle/ended.
fn running(d: &DestinationStats) -> bool {
    matches!(
        d.state,
        DestinationState::Connecting
            | DestinationState::Live
            | DestinationState::Reconnecting
            | DestinationState::Failed
            | DestinationState::Rehearsal
    )
}

fn state_colour(state: DestinationState) -> Color32 {
    match state {
        DestinationState::Live => ON_AIR,
        DestinationState::Connecting | DestinationState::Reconnecting | DestinationState::Rehearsal => WARN,
        DestinationState::Failed => theme::ERROR,
        DestinationState::Idle | DestinationState::Stopping | DestinationState::Stopped => theme::MUTED,
    }
}

/// Show name, on-air state and timer, Go Live / End Show, recording, health.
pub fn top_bar(studio: &mut Studio, ui: &mut egui::Ui, snap: &Snapshot) {
    let on_air = snap.destinations.iter().any(running);
    let live_s = snap.destinations.iter().map(|d| d.live_seconds).fold(0.0, f64::max);
    let recording = snap.recordings.iter().find_map(|r| r.recording_s);
    let name = studio.engine().show().name.clone();
    egui::Panel::top("top").show(ui, |ui| {
        ui.horizontal(|ui| {
            ui.heading(&name);
            ui.separator();
            if snap.rehearsal {
                ui.label(RichText::new(crate::engine::REHEARSAL).color(WARN).strong())
                    .on_hover_text("nothing is sent to any platform: every destination is a local sink");
            }
            if on_air && snap.rehearsal {
                ui.label(RichText::new("REHEARSING").color(WARN).strong());
                ui.label(RichText::new(clock(live_s)).monospace());
                if ui.button("End Rehearsal").clicked() {
                    studio.confirm = Some(Confirm::EndShow(None));
                }
            } else if on_air {
                ui.label(theme::badge("ON AIR"));
                ui.label(RichText::new(clock(live_s)).monospace())
                    .on_hover_text("time live (longest of the destinations)");
                if ui
                    .button("End Show")
                    .on_hover_text("end the stream on every platform")
                    .clicked()
                {
                    studio.confirm = Some(Confirm::EndShow(None));
                }
            } else {
                ui.label(RichText::new("OFF AIR").color(theme::MUTED).strong());
                let any = !snap.destinations.is_empty();
                let go_words = if snap.rehearsal { "Start Rehearsal" } else { "Go Live" };
                let go = ui
                    .add_enabled(any, egui::Button::new(RichText::new(go_words).color(ON_AIR).strong()))
                    .on_hover_text("start streaming to every destination")
                    .on_disabled_hover_text("this show has no destinations: add [[destinations]] to the show file");
                if go.clicked() {
                    studio.preflight = (!snap.rehearsal).then(|| studio.engine().preflight(None));
                    studio.confirm = Some(Confirm::GoLive(None));
                }
            }
            ui.separator();
            let has_recordings = !studio.engine().show().recordings.is_empty();
            match recording {
                Some(secs) => {
                    ui.label(theme::badge(format!("REC {}", clock(secs))));
                    if ui.button("Stop recording").clicked() {
                        studio.command(Command::Record(false));
                    }
                }
                None if snap.recordings.iter().any(|r| r.finalizing) => {
                    ui.label(RichText::new("Finalizing recording…").color(theme::MUTED))
                        .on_hover_text("the file is being closed; Record is back once it is");
                }
                None => {
                    let rec = ui
                        .add_enabled(has_recordings, egui::Button::new("Record"))
                        .on_hover_text("record every canvas the show records")
                        .on_disabled_hover_text("this show has no recordings: add [[recordings]] to the show file");
                    if rec.clicked() {
                        studio.command(Command::Record(true));
                    }
                }
            }
            if studio.engine().chat().is_some() {
                ui.separator();
                let mut open = studio.chat_open;
                ui.toggle_value(&mut open, "Chat")
                    .on_hover_text("show or hide the chat panel (chat keeps coming in either way)");
                studio.chat_open = open;
            }
            ui.separator();
            health(studio, ui, snap);
        });
    });
}

fn health(studio: &Studio, ui: &mut egui::Ui, snap: &Snapshot) {
    if let Some(cpu) = studio.health.cpu {
        ui.label(format!("CPU {:.0} %", cpu * 100.0))
            .on_hover_text("the whole process, 100 % = one core");
    }
    for c in &snap.canvases {
        let text = format!("{} {:.0} fps", c.id, c.measured_fps);
        let label = if c.frames_dropped > 0 {
            RichText::new(format!("{text}, {} dropped", c.frames_dropped)).color(WARN)
        } else {
            RichText::new(text)
        };
        ui.label(label).on_hover_text(format!(
            "encoder {}{} at {} kb/s; {} frames sent, {} of them repeats (the wire keeps {} fps); \
             {} ticks not rendered in time, {} new pictures the encoder could not take",
            c.encoder,
            c.x264_speed.as_deref().map(|s| format!(" {s}")).unwrap_or_default(),
            c.video_kbps,
            c.frames_encoded,
            c.repeated_frames,
            c.fps,
            c.late_ticks,
            c.encoder_dropped
        ));
    }
    let q = &snap.quality;
    if q.measuring {
        ui.label("measuring…")
            .on_hover_text("the first seconds of a show measure what this machine can do for it");
    } else if q.level > 0 {
        ui.label(RichText::new(format!("quality −{}", q.level)).color(WARN))
            .on_hover_text(format!(
                "stepped down on its own: {}\n{}",
                q.now,
                q.last_change.clone().unwrap_or_default()
            ));
    }
    ui.label(RichText::new(clock(snap.elapsed_s)).monospace())
        .on_hover_text("time since the show was opened");
}

/// Transition buttons, canvas and layout switches, and the status line.
pub fn controls(studio: &mut Studio, ui: &mut egui::Ui, snap: &Snapshot) {
    let default = studio.engine().show().transition;
    let canvases: Vec<String> = studio.engine().show().canvases.iter().map(|c| c.id.clone()).collect();
    egui::Panel::bottom("controls").show(ui, |ui| {
        ui.horizontal(|ui| {
            let (cut_key, fade_key) = (studio.keys.cut.symbol_or_name(), studio.keys.fade.symbol_or_name());
            let take_key = studio
                .keys
                .take
                .map(|k| format!(" [{}]", k.symbol_or_name()))
                .unwrap_or_default();
            if ui
                .button("Cut")
                .on_hover_text(format!("preview to program at once [{cut_key}]"))
                .clicked()
            {
                studio.command(Command::Take(Some(CUT)));
            }
            if ui
                .button("Fade")
                .on_hover_text(format!("preview to program, 500 ms fade [{fade_key}]"))
                .clicked()
            {
                studio.command(Command::Take(Some(FADE)));
            }
            let name = match default.kind {
                TransitionKind::Cut => "cut".to_string(),
                TransitionKind::Fade => format!("fade {} ms", default.duration_ms),
                TransitionKind::Slide(_) => format!("slide {} ms", default.duration_ms),
                TransitionKind::Wipe(_) => format!("wipe {} ms", default.duration_ms),
                TransitionKind::Stinger { .. } => format!("stinger {} ms", default.duration_ms),
            };
            if ui
                .button(format!("Take ({name})"))
                .on_hover_text(format!("preview to program with the show's transition{take_key}"))
                .clicked()
            {
                studio.command(Command::Take(None));
            }
            // The T-bar: mixes preview into program by hand; at the end the
            // take is done and the bar comes back to the start.
            let mut position = snap.tbar.unwrap_or(0.0);
            let bar = ui
                .add(
                    egui::Slider::new(&mut position, 0.0..=1.0)
                        .show_value(false)
                        .text("T-bar"),
                )
                .on_hover_text("drag to mix preview into program by hand; all the way takes it");
            if bar.changed() {
                studio.command(Command::TBar(position));
            }
            ui.separator();
            for (i, id) in canvases.iter().enumerate() {
                if ui.selectable_label(studio.canvas == i, id.as_str()).clicked() {
                    studio.set_canvas(i);
                }
            }
            ui.separator();
            if ui
                .selectable_label(studio.layout == Layout::Studio, "Preview + Program")
                .clicked()
            {
                studio.layout = Layout::Studio;
            }
            if ui
                .selectable_label(studio.layout == Layout::Solo, "Program only")
                .clicked()
            {
                studio.layout = Layout::Solo;
            }
            ui.separator();
            let mut safe = studio.views.safe_area;
            if ui
                .toggle_value(&mut safe, "Safe area")
                .on_hover_text("the 5 % safe area and a centre cross over preview and program")
                .changed()
            {
                studio.views.safe_area = safe;
                studio.save_views();
            }
            let mut multiview = studio.views.multiview.open;
            if ui
                .toggle_value(&mut multiview, "Multiview")
                .on_hover_text(
                    "every source and scene with preview and program; click a tile to preview, double-click to cut",
                )
                .changed()
            {
                studio.set_multiview(multiview);
            }
            projector_menu(studio, ui, &canvases);
            ui.separator();
            let edit = ui
                .selectable_label(studio.editor.on, "Edit layout")
                .on_hover_text("move and resize the preview scene's layers on the preview picture");
            if edit.clicked() {
                studio.editor.on = !studio.editor.on;
                if studio.editor.on {
                    studio.layout = Layout::Studio;
                }
            }
            if studio.editor.on {
                if ui
                    .add_enabled(studio.editor.can_undo(), egui::Button::new("Undo"))
                    .on_hover_text("Ctrl+Z")
                    .clicked()
                {
                    super::editor::undo(studio);
                }
                if ui
                    .add_enabled(studio.editor.can_redo(), egui::Button::new("Redo"))
                    .on_hover_text("Ctrl+Shift+Z or Ctrl+Y")
                    .clicked()
                {
                    super::editor::redo(studio);
                }
                let n = studio.editor.unsaved.len() + studio.editor.added.len();
                if ui
                    .add_enabled(n > 0, egui::Button::new(format!("Save layout ({n})")))
                    .on_hover_text("write the layers' places into the show file, keeping its comments")
                    .clicked()
                {
                    super::editor::save(studio);
                }
            }
        });
        let warnings = &snap.warnings;
        let message = studio
            .message
            .as_ref()
            .filter(|(_, at)| at.elapsed().as_secs() < MESSAGE_SECS)
            .map(|(m, _)| m.clone());
        if let Some(m) = message {
            ui.label(RichText::new(m).color(WARN));
        }
        for w in warnings {
            ui.label(RichText::new(w).color(WARN));
        }
    });
}

/// Opens projectors, and chooses where they open.
fn projector_menu(studio: &mut Studio, ui: &mut egui::Ui, canvases: &[String]) {
    use crate::projector::{Kind, open};
    use crate::views::Placement;
    ui.menu_button("Projector", |ui| {
        for (i, id) in canvases.iter().enumerate() {
            if ui.button(format!("Program ({id})")).clicked() {
                open(studio, Kind::Program(i));
            }
            if ui.button(format!("Preview ({id})")).clicked() {
                open(studio, Kind::Preview(i));
            }
        }
        if ui.button("Multiview (all tiles)").clicked() {
            open(studio, Kind::Multiview);
        }
        for (i, id) in canvases.iter().enumerate() {
            if ui
                .button(format!("Host monitor ({id})"))
                .on_hover_text(
                    "program with a large on-air tally, the show timer, the product on air and the next question",
                )
                .clicked()
            {
                open(studio, Kind::Host(i));
            }
        }
        ui.separator();
        ui.label("Open on");
        let mut at = studio.views.projector;
        ui.radio_value(&mut at, Placement::Window, "a window");
        for m in 1..=4 {
            ui.radio_value(&mut at, Placement::Monitor(m), format!("monitor {m}, full screen"));
        }
        if at != studio.views.projector {
            studio.views.projector = at;
            studio.save_views();
        }
        ui.label(RichText::new("Esc closes a projector").weak());
    });
}

/// The scenes (live thumbnails; click to preview) and the sources.
pub fn scenes(studio: &mut Studio, ui: &mut egui::Ui, snap: &Snapshot) {
    let scenes: Vec<String> = studio.engine().show().scenes.iter().map(|s| s.id.clone()).collect();
    let thumbs = studio.textures.as_ref().map(|t| t.thumbs.clone());
    let (cw, ch) = {
        let c = &studio.engine().show().canvases[0];
        (c.width as f32, c.height as f32)
    };
    egui::Panel::left("scenes").exact_size(230.0).show(ui, |ui| {
        ui.heading("Scenes");
        egui::ScrollArea::vertical()
            .id_salt("scene list")
            .max_height(ui.available_height() * 0.65)
            .show(ui, |ui| {
                for (i, id) in scenes.iter().enumerate() {
                    let on_program = snap.scene == *id;
                    let on_preview = snap.preview == *id;
                    let mut text = RichText::new(match studio.keys.scene_key(i) {
                        Some(k) => format!("{k}  {id}"),
                        None => id.clone(),
                    });
                    if on_program {
                        text = text.color(ON_AIR).strong();
                    } else if on_preview {
                        text = text.color(PREVIEW).strong();
                    }
                    let mut hover = format!("put `{id}` in preview");
                    if let Some(k) = studio.keys.scene_key(i) {
                        hover += &format!(" [{k}]");
                    }
                    if on_program {
                        hover += " — on program now";
                    }
                    // The live thumbnail above its name; either puts it in preview.
                    let mut clicked = false;
                    if let Some(tex) = thumbs.as_ref().and_then(|t| t.get(i)) {
                        let w = crate::compositor::THUMB_WIDTH as f32;
                        let image = egui::Image::new((*tex, egui::vec2(w, w * ch / cw)));
                        clicked |= ui
                            .add(egui::Button::image(image).selected(on_preview))
                            .on_hover_text(hover.clone())
                            .clicked();
                    }
                    clicked |= ui
                        .add(egui::Button::new(text).selected(on_preview))
                        .on_hover_text(hover)
                        .clicked();
                    if clicked {
                        studio.command(Command::PreviewScene(id.clone()));
                    }
                    ui.add_space(4.0);
                }
            });
        if studio.editor.on {
            ui.separator();
            ui.heading("Properties");
            super::editor::properties(studio, ui);
        }
        ui.separator();
        super::sources::panel(studio, ui, snap);
    });
}

/// Where a destination's key comes from, and a masked field to type a new
/// one when it lives in the OS keyring.
fn key_row(studio: &mut Studio, ui: &mut egui::Ui, destination: &str) {
    let key = studio
        .engine()
        .show()
        .destinations
        .iter()
        .find(|d| d.id == destination)
        .map(|d| d.key.clone());
    match key {
        Some(KeyRef::Keyring(name)) => {
            let editing = studio.key_entry.as_ref().is_some_and(|e| e.destination == destination);
            if editing {
                let mut save = false;
                let mut cancel = false;
                if let Some(entry) = studio.key_entry.as_mut() {
                    let field = ui.add(
                        egui::TextEdit::singleline(&mut entry.text)
                            .password(true)
                            .hint_text("paste the stream key")
                            .desired_width(200.0),
                    );
                    save = field.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter));
                }
                ui.horizontal(|ui| {
                    save |= ui
                        .button("Save key")
                        .on_hover_text(format!("store it in the OS keyring as `{name}`"))
                        .clicked();
                    cancel = ui.button("Cancel").clicked();
                });
                if save {
                    studio.save_key();
                } else if cancel {
                    studio.key_entry = None;
                }
            } else if ui
                .button("Set key…")
                .on_hover_text(format!("type a new stream key; it goes to the OS keyring as `{name}`"))
                .clicked()
            {
                studio.key_entry = Some(KeyEntry {
                    destination: destination.to_string(),
                    name,
                    text: String::new(),
                });
            }
        }
        Some(KeyRef::Env(var)) => {
            ui.label(RichText::new(format!("key from the environment variable {var}")).weak());
        }
        Some(KeyRef::File(path)) => {
            ui.label(RichText::new(format!("key from the file {}", path.display())).weak());
        }
        Some(KeyRef::Inline(_)) => {
            ui.label(RichText::new("key given on the command line").weak());
        }
        Some(KeyRef::None) | Some(KeyRef::Own(_)) | None => {}
    }
}

/// Every destination and recording, with what it is doing and why.
pub fn outputs(studio: &mut Studio, ui: &mut egui::Ui, snap: &Snapshot) {
    {
        ui.heading("Outputs");
        // A canvas the uplink holds below the show's bitrate, and why.
        for u in snap.uplink.iter().filter(|u| u.video_kbps < u.target_kbps) {
            ui.label(
                RichText::new(format!(
                    "{}: {} of {} kb/s — {}",
                    u.canvas,
                    u.video_kbps,
                    u.target_kbps,
                    u.last_decision.as_deref().unwrap_or("the uplink cannot carry more")
                ))
                .color(WARN),
            );
        }
        if snap.destinations.is_empty() {
            ui.label("No destinations: add [[destinations]] to the show file.");
        }
        for d in &snap.destinations {
            ui.group(|ui| {
                ui.horizontal(|ui| {
                    ui.label(RichText::new(&d.id).strong());
                    ui.label(format!("{} · {}", d.platform, d.canvas));
                });
                let mut state = d.state.word().to_string();
                if let Some(s) = d.retry_in_s {
                    state += &format!(" — retrying in {s:.0} s (attempt {})", d.attempt);
                }
                ui.label(RichText::new(state).color(state_colour(d.state)));
                if let Some(e) = &d.error {
                    ui.label(RichText::new(e).color(theme::ERROR));
                }
                if d.state == DestinationState::Live {
                    ui.label(format!(
                        "{:.2} Mb/s · {} dropped · {:.1} s waiting",
                        d.bitrate_bps as f64 / 1e6,
                        d.dropped_frames,
                        d.queue_ms as f64 / 1000.0
                    ));
                }
                if let Some(slow) = &d.slow {
                    ui.label(RichText::new(format!("{slow} — dropping whole GOPs ({})", d.dropped_gops)).color(WARN));
                }
                ui.horizontal(|ui| {
                    if running(d) {
                        if ui
                            .button("End")
                            .on_hover_text(format!("end the stream to {}", d.id))
                            .clicked()
                        {
                            studio.confirm = Some(Confirm::EndShow(Some(d.id.clone())));
                        }
                        if matches!(d.state, DestinationState::Failed | DestinationState::Reconnecting)
                            && ui.button("Reconnect now").clicked()
                        {
                            studio.command(Command::ReconnectNow(Some(d.id.clone())));
                        }
                    } else if ui
                        .button("Go live")
                        .on_hover_text(format!("start streaming to {}", d.id))
                        .clicked()
                    {
                        studio.confirm = Some(Confirm::GoLive(Some(d.id.clone())));
                    }
                });
                key_row(studio, ui, &d.id);
            });
        }
        ui.separator();
        ui.heading("Recordings");
        if studio.engine().show().recordings.is_empty() {
            ui.label("None: add [[recordings]] to the show file.");
        }
        for r in &snap.recordings {
            let state = match r.recording_s {
                Some(s) => format!("recording {}", clock(s)),
                None if r.finalizing => "finalizing…".into(),
                None => "finished".into(),
            };
            ui.label(format!("{} — {state}, {:.1} MB", r.path, r.bytes_written as f64 / 1e6));
            if let Some(e) = &r.error {
                ui.label(RichText::new(e).color(theme::ERROR));
            }
        }
        ui.separator();
        remote(studio, ui);
        ui.separator();
        crate::crew::panel(studio, ui);
    }
}

/// The remote control's switch and the controllers connected to it.
fn remote(studio: &mut Studio, ui: &mut egui::Ui) {
    ui.heading("Remote control");
    let mut on = studio.remote().is_some();
    if ui
        .checkbox(&mut on, "obs-websocket server")
        .on_hover_text("Companion, Stream Deck, Touch Portal and scripts drive the show as they drive OBS (docs/remote-control.md)")
        .changed()
    {
        studio.set_remote(on);
    }
    if let Some(e) = &studio.remote_error {
        ui.label(RichText::new(e).color(theme::ERROR));
    }
    if let Some(r) = studio.remote() {
        ui.label(format!(
            "ws://{} — {}",
            r.addr(),
            if r.has_password() {
                "password required"
            } else {
                "no password: this machine only"
            }
        ));
        let sessions = r.sessions();
        if sessions.is_empty() {
            ui.label(RichText::new("no controller connected").color(theme::MUTED));
        }
        for c in sessions {
            ui.add(
                egui::Label::new(format!(
                    "{} · {}{} · {} messages",
                    c.peer,
                    c.encoding,
                    if c.identified { "" } else { " · identifying" },
                    c.requests
                ))
                .truncate(),
            );
        }
    }
}

/// Going live and ending the show are asked twice: a slip must not put a
/// host on air, or take them off it.
pub fn confirm(studio: &mut Studio, ctx: &egui::Context) {
    let Some(question) = studio.confirm.clone() else { return };
    let n = studio.snapshot().destinations.len();
    let (text, yes, cmd) = match &question {
        Confirm::GoLive(None) => (
            format!("Go live to all {n} destination(s)?"),
            "Yes, go live",
            Command::GoLive(None),
        ),
        Confirm::GoLive(Some(id)) => (
            format!("Go live to {id}?"),
            "Yes, go live",
            Command::GoLive(Some(id.clone())),
        ),
        Confirm::EndShow(None) => (
            "End the show on every platform?".to_string(),
            "Yes, end the show",
            Command::EndShow(None),
        ),
        Confirm::EndShow(Some(id)) => (
            format!("End the stream to {id}?"),
            "Yes, end it",
            Command::EndShow(Some(id.clone())),
        ),
    };
    // A rehearsal puts nobody on air: the same questions, in its words.
    let (text, yes) = match &question {
        _ if !studio.snapshot().rehearsal => (text, yes),
        Confirm::GoLive(_) => (
            "Start the rehearsal? Nothing is sent to any platform.".to_string(),
            "Yes, rehearse",
        ),
        Confirm::EndShow(_) => ("End the rehearsal?".to_string(), "Yes, end it"),
    };
    // Something red in the pre-flight check: Go Live asks again, with it.
    let problems: Vec<String> = match (&question, &studio.preflight) {
        (Confirm::GoLive(None), Some(p)) => p
            .problems()
            .map(|c| match &c.fix {
                Some(f) => format!("{}: {} — {f}", c.what, c.detail),
                None => format!("{}: {}", c.what, c.detail),
            })
            .collect(),
        _ => Vec::new(),
    };
    let (text, yes) = if problems.is_empty() {
        (text, yes)
    } else {
        (
            format!(
                "The pre-flight check found {} problem(s). Go live anyway?",
                problems.len()
            ),
            "Go live anyway",
        )
    };
    let mut answer = None;
    egui::Modal::new(egui::Id::unique("confirm")).show(ctx, |ui| {
        ui.label(RichText::new(text).strong());
        for p in &problems {
            ui.label(RichText::new(crate::secrets::redact(p)).color(WARN));
        }
        ui.horizontal(|ui| {
            if ui.button(yes).clicked() {
                answer = Some(true);
            }
            if ui.button("Cancel").clicked() {
                answer = Some(false);
            }
        });
    });
    match answer {
        Some(true) => {
            studio.confirm = None;
            studio.preflight = None;
            studio.command(cmd);
        }
        Some(false) => studio.confirm = None,
        None => {}
    }
}
