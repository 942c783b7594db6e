//! The audio strip: each input's meter (peak and RMS), gain and mute; the
//! master's meter with short-term and integrated loudness against the
//! target, and the loudness hint.

use super::Studio;
use crate::engine::stats::LevelStats;
use crate::engine::stats::Snapshot;
use crate::engine::{AudioChange, Command};
use egui::{Color32, RichText};

const METER_W: f32 = 130.0;
const FLOOR_DB: f32 = -60.0;

/// A horizontal meter: RMS as the bar, peak as a tick; green, amber
/// over -12 dBFS, red over -3 dBFS.
fn meter(ui: &mut egui::Ui, levels: &LevelStats, label: &str) {
    let (rect, response) = ui.allocate_exact_size(egui::vec2(METER_W, 10.0), egui::Sense::hover());
    let x = |db: f32| rect.left() + rect.width() * ((db - FLOOR_DB) / -FLOOR_DB).clamp(0.0, 1.0);
    let painter = ui.painter_at(rect);
    painter.rect_filled(rect, 2.0, Color32::from_gray(40));
    let colour = if levels.peak_db > -3.0 {
        Color32::from_rgb(230, 60, 60)
    } else if levels.peak_db > -12.0 {
        Color32::from_rgb(230, 170, 40)
    } else {
        Color32::from_rgb(60, 190, 90)
    };
    let bar = egui::Rect::from_min_max(rect.min, egui::pos2(x(levels.rms_db), rect.max.y));
    painter.rect_filled(bar, 2.0, colour);
    let px = x(levels.peak_db);
    painter.line_segment(
        [egui::pos2(px, rect.top()), egui::pos2(px, rect.bottom())],
        egui::Stroke::new(2.0, Color32::WHITE),
    );
    response.on_hover_text(format!(
        "{label}: peak {:.1} dBFS, RMS {:.1} dBFS, {:.1} LUFS momentary",
        levels.peak_db, levels.rms_db, levels.momentary_lufs
    ));
}

pub fn panel(studio: &mut Studio, ui: &mut egui::Ui, snap: &Snapshot) {
    let audio = &snap.audio;
    let mut send = Vec::new();
    egui::Panel::bottom("audio").resizable(false).show(ui, |ui| {
        {
            // Wraps onto a second row rather than scrolling: a meter must
            // never be out of sight.
            ui.horizontal_wrapped(|ui| {
                ui.label(RichText::new("Audio").strong());
                if audio.inputs.is_empty() {
                    ui.label("No source with sound in this show.");
                }
                for input in &audio.inputs {
                    ui.group(|ui| {
                        ui.vertical(|ui| {
                            ui.horizontal(|ui| {
                                ui.label(&input.id);
                                let mute = ui
                                    .selectable_label(input.mute, "Mute")
                                    .on_hover_text(format!("mute {} (its meter keeps moving)", input.id));
                                if mute.clicked() {
                                    send.push((input.id.clone(), AudioChange::Mute(!input.mute)));
                                }
                            });
                            meter(ui, &input.levels, &input.id);
                            let mut gain = input.gain_db;
                            let drag = ui.add(
                                egui::DragValue::new(&mut gain)
                                    .range(-60.0..=24.0)
                                    .speed(0.2)
                                    .suffix(" dB")
                                    .prefix("gain "),
                            );
                            if drag.changed() {
                                send.push((input.id.clone(), AudioChange::GainDb(gain)));
                            }
                        });
                    });
                }
                ui.group(|ui| {
                    ui.vertical(|ui| {
                        ui.label(RichText::new("Master").strong());
                        meter(ui, &audio.master, "master");
                        let integrated = audio
                            .integrated_lufs
                            .map(|v| format!("{v:.1}"))
                            .unwrap_or_else(|| "–".into());
                        ui.label(format!(
                            "{:.1} LUFS short-term · show {integrated} LUFS · target {:.0}",
                            audio.master.short_term_lufs, audio.target_lufs
                        ));
                    });
                });
                if let Some(h) = &audio.hint {
                    ui.label(RichText::new(h).color(crate::theme::WARN));
                }
            });
        }
    });
    for (source, change) in send {
        studio.command(Command::SetAudio { source, change });
    }
}
