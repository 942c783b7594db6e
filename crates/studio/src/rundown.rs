//! The Rundown panel: the show's segments in order, the one on air
//! highlighted with its talking points and its time against plan; Next /
//! Previous (Page Down / Page Up), Go to, reorder, edit and save. Every
//! change is an engine command (`Command::Rundown`); Save writes the
//! segments back where they came from (crates/show/src/rundown.rs).

use super::Studio;
use crate::engine::Command;
use crate::engine::rundown::RundownCommand;
use crate::engine::stats::Snapshot;
use crate::show::rundown::Segment;
use crate::theme::ON_AIR;
use egui::RichText;

/// What the panel keeps between frames.
#[derive(Default)]
pub struct Panel {
    /// The segment being edited and its fields as typed.
    editing: Option<Editing>,
    /// The rundown version last saved (or loaded).
    saved_version: Option<u64>,
}

struct Editing {
    index: usize,
    title: String,
    /// One talking point per line.
    points: String,
    duration: String,
}

fn clock(ms: u64) -> String {
    let s = ms / 1000;
    format!("{}:{:02}", s / 60, s % 60)
}

/// Applies the typed fields to a segment, or says what to fix.
fn edited(seg: &Segment, e: &Editing) -> Result<Segment, String> {
    let title = e.title.trim();
    if title.is_empty() {
        return Err("a segment needs a title".into());
    }
    let planned_ms = match e.duration.trim() {
        "" => None,
        d => Some(
            crate::show::graphics::parse_duration_ms(d)
                .filter(|ms| *ms >= 1000)
                .ok_or_else(|| format!("planned length \"{d}\": write it like 4m or 90s"))?,
        ),
    };
    Ok(Segment {
        title: title.to_string(),
        talking_points: e
            .points
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .map(str::to_string)
            .collect(),
        planned_ms,
        ..seg.clone()
    })
}

/// The rundown dock (shows with a `[rundown]` only).
pub fn dock(studio: &mut Studio, ui: &mut egui::Ui, snap: &Snapshot) {
    let Some(status) = snap.rundown.clone() else { return };
    let mut send = Vec::new();
    let mut save = false;
    let mut problem = None;
    let segments = studio.engine().rundown();
    let saved = *studio.rundown_panel.saved_version.get_or_insert(status.version);
    {
        ui.heading("Rundown");
        let over = status.over_s.is_some_and(|o| o > 0.0);
        let words = RichText::new(status.words());
        ui.label(if over { words.color(ON_AIR) } else { words });
        let keys = (
            studio.keys.previous_segment.symbol_or_name(),
            studio.keys.next_segment.symbol_or_name(),
        );
        ui.horizontal(|ui| {
            if ui
                .button("Previous segment")
                .on_hover_text(format!("back to the segment before [{}]", keys.0))
                .clicked()
            {
                send.push(RundownCommand::Previous);
            }
            if ui
                .button("Next segment")
                .on_hover_text(format!("its scene, card and graphics on air together [{}]", keys.1))
                .clicked()
            {
                send.push(RundownCommand::Next);
            }
        });
        let current = status.current.as_ref().map(|c| c.index);
        egui::ScrollArea::vertical()
            .id_salt("segment list")
            .max_height(ui.available_height() - 40.0)
            .show(ui, |ui| {
                for (i, s) in segments.iter().enumerate() {
                    let on_air = current == Some(i);
                    ui.group(|ui| {
                        let mut label = format!("{}. {}", i + 1, s.title);
                        if let Some(ms) = s.planned_ms {
                            label += &format!(" ({})", clock(ms));
                        }
                        if on_air {
                            label += " — ON AIR";
                        }
                        let text = RichText::new(label);
                        ui.add(egui::Label::new(if on_air { text.color(ON_AIR).strong() } else { text }).truncate());
                        let what: Vec<String> = s
                            .scene
                            .iter()
                            .map(|sc| format!("scene {sc}"))
                            .chain(s.products.iter().cloned())
                            .collect();
                        if !what.is_empty() {
                            ui.label(RichText::new(what.join(" · ")).weak());
                        }
                        if on_air {
                            for p in &s.talking_points {
                                ui.label(format!("• {p}"));
                            }
                        }
                        ui.horizontal_wrapped(|ui| {
                            if ui
                                .add_enabled(!on_air, egui::Button::new("Go"))
                                .on_hover_text(format!("go to \"{}\" now", s.title))
                                .clicked()
                            {
                                send.push(RundownCommand::GoTo(i));
                            }
                            if ui.add_enabled(i > 0, egui::Button::new("Up")).clicked() {
                                let mut list = segments.clone();
                                list.swap(i, i - 1);
                                send.push(RundownCommand::Set(list));
                            }
                            if ui
                                .add_enabled(i + 1 < segments.len(), egui::Button::new("Down"))
                                .clicked()
                            {
                                let mut list = segments.clone();
                                list.swap(i, i + 1);
                                send.push(RundownCommand::Set(list));
                            }
                            if ui.button("Edit").clicked() {
                                studio.rundown_panel.editing = Some(Editing {
                                    index: i,
                                    title: s.title.clone(),
                                    points: s.talking_points.join("\n"),
                                    duration: s.planned_ms.map(clock_words).unwrap_or_default(),
                                });
                            }
                        });
                        if let Some(e) = &mut studio.rundown_panel.editing
                            && e.index == i
                        {
                            let l = ui.label("Title");
                            ui.text_edit_singleline(&mut e.title).labelled_by(l.id);
                            let l = ui.label("Talking points (one per line)");
                            ui.text_edit_multiline(&mut e.points).labelled_by(l.id);
                            let l = ui.label("Planned length");
                            ui.text_edit_singleline(&mut e.duration).labelled_by(l.id);
                            let (mut apply, mut cancel) = (false, false);
                            ui.horizontal(|ui| {
                                apply = ui.button("Apply").clicked();
                                cancel = ui.button("Cancel").clicked();
                            });
                            if apply {
                                match edited(s, e) {
                                    Ok(seg) => {
                                        let mut list = segments.clone();
                                        list[i] = seg;
                                        send.push(RundownCommand::Set(list));
                                        cancel = true;
                                    }
                                    Err(why) => problem = Some(why),
                                }
                            }
                            if cancel {
                                studio.rundown_panel.editing = None;
                            }
                        }
                    });
                }
            });
        ui.horizontal(|ui| {
            let unsaved = status.version != saved;
            if ui
                .add_enabled(unsaved, egui::Button::new("Save rundown"))
                .on_hover_text("write the segments back to the rundown's file")
                .clicked()
            {
                save = true;
            }
            if unsaved {
                ui.label(RichText::new("unsaved changes").weak());
            }
        });
    }
    if let Some(why) = problem {
        studio.notify(why);
    }
    for cmd in send {
        studio.command(Command::Rundown(cmd));
    }
    if save {
        let file = studio.engine().show().rundown.as_ref().map(|r| r.file.clone());
        let Some(file) = file else { return };
        let segments = studio.engine().rundown();
        match crate::show::rundown::save(studio.show_path(), &file, &segments) {
            Ok(path) => {
                studio.rundown_panel.saved_version = Some(status.version);
                studio.notify(format!("rundown saved to {}", path.display()));
            }
            Err(e) => studio.notify(format!("the rundown was not saved: {e}")),
        }
    }
}

/// A planned length as the edit field shows it: "4m", "90s".
fn clock_words(ms: u64) -> String {
    if ms.is_multiple_of(60_000) {
        format!("{}m", ms / 60_000)
    } else {
        format!("{}s", ms / 1000)
    }
}
