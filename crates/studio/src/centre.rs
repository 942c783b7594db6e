//! The centre of the window: preview and program as large as the window
//! allows (`video::split`), the docks (products, rundown, outputs) in what
//! is left — or the multiview in all of it.

use super::{Layout, Studio};
use crate::engine::stats::Snapshot;
use crate::theme::{ON_AIR, PREVIEW};
use crate::video;
use egui::{Rect, RichText};

/// A dock shown as a tab when the docks are too narrow for columns.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Dock {
    #[default]
    Products,
    Rundown,
    Outputs,
}

/// Columns narrower than this turn into tabs.
const DOCK_COLUMN_MIN: f32 = 240.0;

/// The picture textures of canvas `c`: program, and preview (program
/// itself when both show the same scene and no transition runs: the engine
/// does not render preview then).
pub fn textures(studio: &Studio, snap: &Snapshot, c: usize) -> (Option<egui::TextureId>, Option<egui::TextureId>) {
    match &studio.textures {
        Some(t) => {
            let same = snap.preview == snap.scene && !snap.in_transition;
            (
                t.program.get(c).copied(),
                Some(if same { t.program[c] } else { t.preview[c] }),
            )
        }
        None => (None, None),
    }
}

/// A picture the screen reader (and the tests) can find by name.
pub fn named(ui: &mut egui::Ui, rect: Rect, name: &str, sense: egui::Sense) -> egui::Response {
    let r = ui.allocate_rect(rect, sense);
    let name = name.to_string();
    r.widget_info(|| egui::WidgetInfo::labeled(egui::Role::Image, true, name.clone()));
    r
}

pub fn panel(studio: &mut Studio, ui: &mut egui::Ui, snap: &Snapshot) {
    egui::CentralPanel::default().show(ui, |ui| {
        let area = ui.available_rect_before_wrap();
        if studio.views.multiview.open {
            crate::multiview::grid(studio, ui, snap, area);
            return;
        }
        let c = studio.canvas;
        let canvas = &studio.engine().show().canvases[c];
        let aspect = canvas.width as f32 / canvas.height as f32;
        let split = video::split(area, aspect, studio.layout == Layout::Studio);
        let (program, preview) = textures(studio, snap, c);
        let title_of =
            |r: Rect| Rect::from_min_max(r.min - egui::vec2(0.0, video::TITLE_H), egui::pos2(r.right(), r.top()));
        if let Some(rect) = split.preview {
            let title = if studio.editor.on && snap.preview == snap.scene {
                format!("EDITING — {} (on program: changes are live)", snap.preview)
            } else if studio.editor.on {
                format!("EDITING — {}", snap.preview)
            } else {
                format!("PREVIEW — {}", snap.preview)
            };
            ui.put(
                title_of(rect),
                egui::Label::new(RichText::new(title).color(PREVIEW).strong()).truncate(),
            );
            named(ui, rect, "preview picture", egui::Sense::hover());
            video::picture(ui, rect, preview);
            if studio.views.safe_area {
                video::safe_area(ui, rect);
            }
            if studio.editor.on {
                super::editor::interact(studio, ui, rect);
            }
        }
        let rect = split.program;
        ui.put(
            title_of(rect),
            egui::Label::new(
                RichText::new(format!("PROGRAM — {}", snap.scene))
                    .color(ON_AIR)
                    .strong(),
            )
            .truncate(),
        );
        named(ui, rect, "program picture", egui::Sense::hover());
        video::picture(ui, rect, program);
        video::tally_border(ui, rect.expand(3.0), video::Tally::Program);
        if studio.views.safe_area {
            video::safe_area(ui, rect);
        }
        docks(studio, ui, snap, split.docks);
    });
}

/// Products, the rundown (if the show has one) and the outputs: side by
/// side when they fit, else as tabs.
fn docks(studio: &mut Studio, ui: &mut egui::Ui, snap: &Snapshot, rect: Rect) {
    let mut list = vec![Dock::Products];
    if snap.rundown.is_some() {
        list.push(Dock::Rundown);
    }
    list.push(Dock::Outputs);
    let mut ui = ui.new_child(egui::UiBuilder::new().max_rect(rect));
    let show = |studio: &mut Studio, ui: &mut egui::Ui, d: Dock| {
        egui::ScrollArea::vertical()
            .id_salt(("dock", d as u8))
            .auto_shrink([false, false])
            .show(ui, |ui| match d {
                Dock::Products => super::products::section(studio, ui, snap),
                Dock::Rundown => super::rundown::dock(studio, ui, snap),
                Dock::Outputs => super::panels::outputs(studio, ui, snap),
            });
    };
    if rect.width() >= DOCK_COLUMN_MIN * list.len() as f32 {
        ui.columns(list.len(), |cols| {
            for (col, d) in cols.iter_mut().zip(&list) {
                show(studio, col, *d);
            }
        });
    } else {
        if !list.contains(&studio.dock) {
            studio.dock = Dock::Products;
        }
        ui.horizontal(|ui| {
            for d in &list {
                let name = match d {
                    Dock::Products => "Products",
                    Dock::Rundown => "Rundown",
                    Dock::Outputs => "Outputs",
                };
                ui.selectable_value(&mut studio.dock, *d, name);
            }
        });
        let d = studio.dock;
        show(studio, &mut ui, d);
    }
}
