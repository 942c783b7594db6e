//! The scene editor, for brands building scenes before the show: on the
//! preview pane, click a layer to select it, drag it to move, drag a corner
//! handle to resize; edges snap to the canvas edges, its centre lines and
//! the safe area. Every change goes to the engine at once (`SetLayer`), can
//! be undone and redone, and "Save layout" writes the places into the show
//! file, keeping its comments and order.

use super::Studio;
use crate::engine::{Command, LayerChange};
use crate::show::Rect;
use crate::show::save::{LayerValue, PlaceChange};
use egui::{Color32, Pos2, Stroke};

/// Snap distance, in canvas pixels.
pub const SNAP: i32 = 12;
/// The safe area: this share of the canvas is kept clear at each side
/// (platform buttons and captions sit there).
pub const SAFE: f32 = 0.05;
/// Handle size on screen, in points.
const HANDLE: f32 = 8.0;

/// One change: what a layer property was, and became.
#[derive(Debug, Clone, PartialEq)]
pub struct Edit {
    pub scene: String,
    pub source: String,
    pub before: LayerValue,
    pub after: LayerValue,
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Grab {
    Move,
    /// A corner: (moves left edge, moves top edge).
    Corner(bool, bool),
}

#[derive(Debug, Clone)]
struct Drag {
    source: usize,
    grab: Grab,
    start: Rect,
    /// Pointer at the start, in canvas pixels.
    from: (f32, f32),
}

#[derive(Default)]
pub struct Editor {
    pub on: bool,
    /// Source index of the selected layer.
    pub selected: Option<usize>,
    drag: Option<Drag>,
    undo: Vec<Edit>,
    redo: Vec<Edit>,
    /// Changes not yet written to the show file.
    pub unsaved: Vec<PlaceChange>,
    /// Sources added in the studio, not yet written to the show file.
    pub added: Vec<crate::show::save::AddedSource>,
}

/// Lines an edge or centre snaps to along one axis of `size` pixels.
fn guides(size: u32) -> [i32; 5] {
    let s = size as f32;
    [
        0,
        (s * SAFE).round() as i32,
        (s / 2.0).round() as i32,
        (s * (1.0 - SAFE)).round() as i32,
        size as i32,
    ]
}

/// Moves `start` (position `pos`, length `len`) so its start, centre or end
/// lies on the nearest guide within `SNAP`; the start edge first.
fn snap_move(pos: i32, len: i32, size: u32) -> i32 {
    let mut best: Option<(i32, i32)> = None;
    for g in guides(size) {
        for offset in [0, len / 2, len] {
            let d = g - (pos + offset);
            if d.abs() <= SNAP && best.is_none_or(|(b, _)| d.abs() < b) {
                best = Some((d.abs(), pos + d));
            }
        }
    }
    best.map(|(_, p)| p).unwrap_or(pos)
}

/// Snaps one free edge at `edge` to the nearest guide within `SNAP`.
fn snap_edge(edge: i32, size: u32) -> i32 {
    guides(size)
        .into_iter()
        .filter(|g| (g - edge).abs() <= SNAP)
        .min_by_key(|g| (g - edge).abs())
        .unwrap_or(edge)
}

/// A dragged rectangle, snapped. Moving keeps the size; resizing keeps the
/// opposite corner and at least 16×16 pixels.
fn dragged(start: Rect, grab: Grab, dx: i32, dy: i32, canvas: (u32, u32)) -> Rect {
    match grab {
        Grab::Move => Rect {
            x: snap_move(start.x + dx, start.width as i32, canvas.0),
            y: snap_move(start.y + dy, start.height as i32, canvas.1),
            ..start
        },
        Grab::Corner(left, top) => {
            let (mut x0, mut y0) = (start.x, start.y);
            let (mut x1, mut y1) = (start.x + start.width as i32, start.y + start.height as i32);
            if left {
                x0 = snap_edge(x0 + dx, canvas.0).min(x1 - 16);
            } else {
                x1 = snap_edge(x1 + dx, canvas.0).max(x0 + 16);
            }
            if top {
                y0 = snap_edge(y0 + dy, canvas.1).min(y1 - 16);
            } else {
                y1 = snap_edge(y1 + dy, canvas.1).max(y0 + 16);
            }
            Rect {
                x: x0,
                y: y0,
                width: (x1 - x0) as u32,
                height: (y1 - y0) as u32,
            }
        }
    }
}

fn to_screen(pane: egui::Rect, canvas: (u32, u32), r: Rect) -> egui::Rect {
    let sx = pane.width() / canvas.0 as f32;
    let sy = pane.height() / canvas.1 as f32;
    egui::Rect::from_min_size(
        Pos2::new(pane.min.x + r.x as f32 * sx, pane.min.y + r.y as f32 * sy),
        egui::vec2(r.width as f32 * sx, r.height as f32 * sy),
    )
}

/// The topmost layer under screen point `p`: (source, place).
fn layer_at(placed: &[(usize, Rect)], pane: egui::Rect, canvas: (u32, u32), p: Pos2) -> Option<(usize, Rect)> {
    placed
        .iter()
        .rev()
        .find(|(_, r)| to_screen(pane, canvas, *r).contains(p))
        .copied()
}

impl Editor {
    pub fn can_undo(&self) -> bool {
        !self.undo.is_empty()
    }

    pub fn can_redo(&self) -> bool {
        !self.redo.is_empty()
    }
}

/// Sends a layer property to the engine and notes it for saving.
fn apply(studio: &mut Studio, scene: &str, source: &str, value: LayerValue) {
    let canvas_id = match value {
        LayerValue::Place(c, _) => studio.engine().show().canvases[c].id.clone(),
        _ => String::new(),
    };
    let change = match value {
        LayerValue::Place(_, rect) => LayerChange::Place {
            canvas: canvas_id.clone(),
            rect,
        },
        LayerValue::Opacity(v) => LayerChange::Opacity(v),
        LayerValue::Rotation(v) => LayerChange::Rotation(v),
        LayerValue::Radius(v) => LayerChange::Radius(v),
        LayerValue::Mirror(v) => LayerChange::Mirror(v),
    };
    studio.command(Command::SetLayer {
        scene: scene.to_string(),
        source: source.to_string(),
        change,
    });
    let unsaved = &mut studio.editor.unsaved;
    match unsaved
        .iter_mut()
        .find(|c| c.scene == scene && c.source == source && c.value.same_property(&value))
    {
        Some(c) => c.value = value,
        None => unsaved.push(PlaceChange {
            scene: scene.to_string(),
            source: source.to_string(),
            canvas: canvas_id,
            value,
        }),
    }
}

/// Applies a change from the properties panel as one undo step per
/// property being adjusted (a slider drag is many changes, one step).
pub fn change(studio: &mut Studio, scene: &str, source: &str, before: LayerValue, after: LayerValue) {
    apply(studio, scene, source, after);
    let editor = &mut studio.editor;
    match editor.undo.last_mut() {
        Some(last)
            if last.scene == scene
                && last.source == source
                && last.after.same_property(&after)
                && editor.redo.is_empty() =>
        {
            last.after = after;
        }
        _ => {
            editor.undo.push(Edit {
                scene: scene.to_string(),
                source: source.to_string(),
                before,
                after,
            });
            editor.redo.clear();
        }
    }
}

pub fn undo(studio: &mut Studio) {
    if let Some(e) = studio.editor.undo.pop() {
        apply(studio, &e.scene, &e.source, e.before);
        studio.editor.redo.push(e);
    }
}

pub fn redo(studio: &mut Studio) {
    if let Some(e) = studio.editor.redo.pop() {
        apply(studio, &e.scene, &e.source, e.after);
        studio.editor.undo.push(e);
    }
}

/// The selected layer's properties: opacity, rotation, corner radius, mirror.
pub fn properties(studio: &mut Studio, ui: &mut egui::Ui) {
    let Some(source) = studio.editor.selected else {
        ui.label("Click a layer on the preview to select it.");
        return;
    };
    let scene_id = studio.snapshot().preview.clone();
    let Some(index) = studio.engine().show().scenes.iter().position(|s| s.id == scene_id) else {
        return;
    };
    let Some(layer) = studio
        .engine()
        .scene(index)
        .layers
        .into_iter()
        .find(|l| l.source == source)
    else {
        studio.editor.selected = None;
        return;
    };
    let Some(source_id) = studio.engine().source_ids().get(source).cloned() else {
        return;
    };
    ui.label(egui::RichText::new(format!("Layer: {source_id}")).strong());
    // Narrow enough for the scenes panel, which keeps its width (the
    // preview must not move under the pointer while a layer is dragged).
    ui.spacing_mut().slider_width = 110.0;
    let (mut opacity, mut rotation, mut radius, mut mirror) = (
        layer.opacity,
        layer.style.rotation,
        layer.style.radius,
        layer.style.mirror,
    );
    if ui
        .add(egui::Slider::new(&mut opacity, 0.0..=1.0).text("opacity"))
        .changed()
    {
        change(
            studio,
            &scene_id,
            &source_id,
            LayerValue::Opacity(layer.opacity),
            LayerValue::Opacity(opacity),
        );
    }
    if ui
        .add(egui::Slider::new(&mut rotation, -180.0..=180.0).text("rotation °"))
        .changed()
    {
        change(
            studio,
            &scene_id,
            &source_id,
            LayerValue::Rotation(layer.style.rotation),
            LayerValue::Rotation(rotation),
        );
    }
    if ui
        .add(egui::Slider::new(&mut radius, 0.0..=200.0).text("corner radius"))
        .changed()
    {
        change(
            studio,
            &scene_id,
            &source_id,
            LayerValue::Radius(layer.style.radius),
            LayerValue::Radius(radius),
        );
    }
    if ui.checkbox(&mut mirror, "mirror").changed() {
        change(
            studio,
            &scene_id,
            &source_id,
            LayerValue::Mirror(layer.style.mirror),
            LayerValue::Mirror(mirror),
        );
    }
}

/// Writes every unsaved place into the show file.
pub fn save(studio: &mut Studio) {
    let changes = std::mem::take(&mut studio.editor.unsaved);
    let added = std::mem::take(&mut studio.editor.added);
    if changes.is_empty() && added.is_empty() {
        studio.notify("no layout changes to save".into());
        return;
    }
    let path = studio.show_path().to_path_buf();
    match crate::show::save::save_layout(&path, &added, &changes) {
        Ok(()) => studio.notify(format!(
            "saved {} layout change(s){} to {}",
            changes.len(),
            match added.len() {
                0 => String::new(),
                n => format!(" and {n} new source(s)"),
            },
            path.display()
        )),
        Err(e) => {
            studio.editor.unsaved = changes;
            studio.editor.added = added;
            studio.notify(format!("the layout was not saved: {e}"));
        }
    }
}

/// Overlays and input on the preview pane at `pane` while editing.
pub fn interact(studio: &mut Studio, ui: &mut egui::Ui, pane: egui::Rect) {
    let c = studio.canvas;
    let canvas = {
        let spec = &studio.engine().show().canvases[c];
        (spec.width, spec.height)
    };
    let preview_id = studio.snapshot().preview.clone();
    let Some(scene_index) = studio.engine().show().scenes.iter().position(|s| s.id == preview_id) else {
        return;
    };
    let scene = studio.engine().scene(scene_index);
    let source_ids = studio.engine().source_ids();
    let painter = ui.painter_at(pane);
    // Safe area and centre lines.
    let guide = Stroke::new(1.0, Color32::from_rgba_unmultiplied(255, 255, 255, 60));
    let safe = to_screen(
        pane,
        canvas,
        Rect {
            x: (canvas.0 as f32 * SAFE) as i32,
            y: (canvas.1 as f32 * SAFE) as i32,
            width: (canvas.0 as f32 * (1.0 - 2.0 * SAFE)) as u32,
            height: (canvas.1 as f32 * (1.0 - 2.0 * SAFE)) as u32,
        },
    );
    painter.rect_stroke(safe, 0.0, guide, egui::StrokeKind::Inside);
    painter.vline(pane.center().x, pane.y_range(), guide);
    painter.hline(pane.x_range(), pane.center().y, guide);

    let placed: Vec<(usize, Rect)> = scene
        .layers
        .iter()
        .filter_map(|l| l.place.get(c).copied().flatten().map(|r| (l.source, r)))
        .collect();
    for (source, r) in &placed {
        let selected = studio.editor.selected == Some(*source);
        let (width, colour) = if selected {
            (2.0, Color32::YELLOW)
        } else {
            (1.0, Color32::LIGHT_BLUE)
        };
        let screen = to_screen(pane, canvas, *r);
        painter.rect_stroke(screen, 0.0, Stroke::new(width, colour), egui::StrokeKind::Inside);
        if selected {
            for corner in [
                screen.left_top(),
                screen.right_top(),
                screen.left_bottom(),
                screen.right_bottom(),
            ] {
                painter.rect_filled(
                    egui::Rect::from_center_size(corner, egui::vec2(HANDLE, HANDLE)),
                    0.0,
                    colour,
                );
            }
            painter.text(
                screen.left_top() + egui::vec2(4.0, 4.0),
                egui::Align2::LEFT_TOP,
                &source_ids[*source],
                egui::FontId::proportional(12.0),
                colour,
            );
        }
    }

    let response = ui.interact(pane, ui.scope_id().with("scene editor"), egui::Sense::click_and_drag());
    response.widget_info(|| egui::WidgetInfo::labeled(egui::Role::Canvas, true, "layout editor"));
    let to_canvas = |p: Pos2| {
        (
            (p.x - pane.min.x) / pane.width() * canvas.0 as f32,
            (p.y - pane.min.y) / pane.height() * canvas.1 as f32,
        )
    };
    // Where the button went down, not where the drag was first noticed
    // (a few points later).
    if response.drag_started()
        && let Some(p) = ui
            .input(|i| i.pointer.press_origin())
            .or(response.interact_pointer_pos())
    {
        // A handle of the selected layer first, then the topmost layer under the pointer.
        let handle = studio.editor.selected.and_then(|s| {
            let (_, r) = placed.iter().find(|(src, _)| *src == s)?;
            let screen = to_screen(pane, canvas, *r);
            [
                (screen.left_top(), Grab::Corner(true, true)),
                (screen.right_top(), Grab::Corner(false, true)),
                (screen.left_bottom(), Grab::Corner(true, false)),
                (screen.right_bottom(), Grab::Corner(false, false)),
            ]
            .into_iter()
            .find(|(corner, _)| corner.distance(p) <= HANDLE)
            .map(|(_, g)| (s, *r, g))
        });
        let hit = handle.or_else(|| layer_at(&placed, pane, canvas, p).map(|(s, r)| (s, r, Grab::Move)));
        if let Some((source, start, grab)) = hit {
            studio.editor.selected = Some(source);
            studio.editor.drag = Some(Drag {
                source,
                grab,
                start,
                from: to_canvas(p),
            });
        }
    }
    if response.clicked()
        && let Some(p) = response.interact_pointer_pos()
    {
        studio.editor.selected = layer_at(&placed, pane, canvas, p).map(|(s, _)| s);
    }
    if let Some(drag) = studio.editor.drag.clone() {
        let source = source_ids[drag.source].clone();
        if let Some(p) = response.interact_pointer_pos().or(ui.ctx().pointer_latest_pos()) {
            let now = to_canvas(p);
            let (dx, dy) = (
                (now.0 - drag.from.0).round() as i32,
                (now.1 - drag.from.1).round() as i32,
            );
            let rect = dragged(drag.start, drag.grab, dx, dy, canvas);
            apply(studio, &preview_id, &source, LayerValue::Place(c, rect));
            if response.drag_stopped() || !ui.ctx().input(|i| i.pointer.any_down()) {
                studio.editor.drag = None;
                if rect != drag.start {
                    studio.editor.undo.push(Edit {
                        scene: preview_id.clone(),
                        source,
                        before: LayerValue::Place(c, drag.start),
                        after: LayerValue::Place(c, rect),
                    });
                    studio.editor.redo.clear();
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CANVAS: (u32, u32) = (1280, 720);

    fn r(x: i32, y: i32, width: u32, height: u32) -> Rect {
        Rect { x, y, width, height }
    }

    #[test]
    fn moving_snaps_edges_and_centres_to_the_guides() {
        let start = r(100, 100, 200, 100);
        // Free: far from every guide.
        assert_eq!(dragged(start, Grab::Move, 150, 100, CANVAS), r(250, 200, 200, 100));
        // Left edge 5 px from the canvas edge: snaps to 0.
        assert_eq!(dragged(start, Grab::Move, -95, 100, CANVAS), r(0, 200, 200, 100));
        // Centre near the canvas centre (640): snaps there.
        assert_eq!(dragged(start, Grab::Move, 445, 100, CANVAS), r(540, 200, 200, 100));
        // Right edge near the safe area's right side (1216).
        assert_eq!(dragged(start, Grab::Move, 910, 100, CANVAS).x, 1016);
        // Bottom edge near the horizontal centre line (360).
        assert_eq!(dragged(start, Grab::Move, 150, 150, CANVAS).y, 260);
    }

    #[test]
    fn resizing_moves_one_corner_snaps_it_and_keeps_a_minimum() {
        let start = r(100, 100, 200, 100);
        assert_eq!(
            dragged(start, Grab::Corner(false, false), 50, 30, CANVAS),
            r(100, 100, 250, 130)
        );
        // The bottom-right corner near the canvas corner snaps to it.
        assert_eq!(
            dragged(start, Grab::Corner(false, false), 975, 515, CANVAS),
            r(100, 100, 1180, 620)
        );
        // Dragging the top-left corner past the other one stops 16 px short.
        assert_eq!(
            dragged(start, Grab::Corner(true, true), 500, 500, CANVAS),
            r(284, 184, 16, 16)
        );
    }
}
