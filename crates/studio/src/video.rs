//! Where the pictures go: preview and program fill the centre of the window
//! at the canvas's aspect (a landscape canvas as a band across the top with
//! the docks below it, a portrait one as tall panes with the docks beside
//! them), and how one picture is drawn (a compositor texture, no copy) with
//! its tally border, label and the safe-area overlay.

use crate::theme;
use egui::{Color32, Pos2, Rect, Stroke, Vec2, pos2, vec2};

/// Space between the panes and around the docks.
pub const GAP: f32 = 12.0;
/// Height of a pane's title line.
pub const TITLE_H: f32 = 22.0;
/// Program's share of the band's width (preview gets the rest): the
/// director judges what goes out on the larger picture.
pub const PROGRAM_SHARE: f32 = 0.6;
/// What the docks keep at least, below (landscape) or beside (portrait).
pub const DOCK_MIN_H: f32 = 200.0;
pub const DOCK_MIN_W: f32 = 300.0;
/// And at least this share of the height below a landscape band.
pub const DOCK_SHARE_H: f32 = 0.42;

/// The centre, split.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Split {
    /// Preview's picture (None: program only).
    pub preview: Option<Rect>,
    pub program: Rect,
    /// What is left for the docks.
    pub docks: Rect,
}

/// Splits `area` for a canvas of `aspect` (width / height). Pictures keep
/// the aspect exactly; each has `TITLE_H` above it.
pub fn split(area: Rect, aspect: f32, with_preview: bool) -> Split {
    let aspect = aspect.max(0.05);
    let share = if with_preview { PROGRAM_SHARE } else { 1.0 };
    let gaps = if with_preview { GAP } else { 0.0 };
    if aspect >= 1.0 {
        // A band across the top: widths from the share, then limited so the
        // docks keep their height.
        let mut pw = (area.width() - gaps) * share;
        let docks_h = DOCK_MIN_H.max(area.height() * DOCK_SHARE_H);
        let max_h = (area.height() - docks_h - GAP - TITLE_H).max(40.0);
        if pw / aspect > max_h {
            pw = max_h * aspect;
        }
        let qw = if with_preview { pw * (1.0 - share) / share } else { 0.0 };
        let ph = pw / aspect;
        // Centred across the band.
        let x0 = area.left() + ((area.width() - pw - qw - gaps) / 2.0).max(0.0);
        let top = area.top() + TITLE_H;
        let preview = with_preview.then(|| Rect::from_min_size(pos2(x0, top), vec2(qw, qw / aspect)));
        let program = Rect::from_min_size(pos2(x0 + qw + gaps, top), vec2(pw, ph));
        let docks = Rect::from_min_max(pos2(area.left(), top + ph + GAP), area.max);
        Split {
            preview,
            program,
            docks,
        }
    } else {
        // Tall panes on the left: heights from the area, then limited so
        // the docks keep their width.
        let mut ph = area.height() - TITLE_H;
        let ratio = if with_preview { (1.0 - share) / share } else { 0.0 };
        let max_w = (area.width() - DOCK_MIN_W - GAP - gaps).max(40.0);
        if ph * aspect * (1.0 + ratio) > max_w {
            ph = max_w / (aspect * (1.0 + ratio));
        }
        let pw = ph * aspect;
        let qw = pw * ratio;
        let top = area.top() + TITLE_H;
        let preview = with_preview.then(|| Rect::from_min_size(pos2(area.left(), top), vec2(qw, qw / aspect)));
        let program = Rect::from_min_size(pos2(area.left() + qw + gaps, top), vec2(pw, ph));
        let docks = Rect::from_min_max(pos2(program.right() + GAP, area.top()), area.max);
        Split {
            preview,
            program,
            docks,
        }
    }
}

/// The largest rect of `aspect` inside `area`, centred.
pub fn fit(area: Rect, aspect: f32) -> Rect {
    let aspect = aspect.max(0.05);
    let size = if area.width() / area.height().max(1.0) > aspect {
        vec2(area.height() * aspect, area.height())
    } else {
        vec2(area.width(), area.width() / aspect)
    };
    Rect::from_center_size(area.center(), size)
}

/// Draws one picture in `rect`: the texture, or a black frame saying there
/// is no video in this renderer.
pub fn picture(ui: &egui::Ui, rect: Rect, texture: Option<egui::TextureId>) {
    match texture {
        Some(tex) => {
            let uv = Rect::from_min_max(Pos2::ZERO, pos2(1.0, 1.0));
            ui.painter().image(tex, rect, uv, Color32::WHITE);
        }
        None => {
            ui.painter().rect_filled(rect, 0.0, Color32::BLACK);
            ui.painter().text(
                rect.center(),
                egui::Align2::CENTER_CENTER,
                "no video in this renderer",
                egui::FontId::proportional(14.0),
                theme::MUTED,
            );
        }
    }
}

/// The tally of a picture: on program, on preview, or neither.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tally {
    Program,
    Preview,
    Off,
}

impl Tally {
    pub fn colour(self) -> Color32 {
        match self {
            Tally::Program => theme::TALLY_PROGRAM,
            Tally::Preview => theme::TALLY_PREVIEW,
            Tally::Off => Color32::from_gray(70),
        }
    }

    /// What the tile's label says (the colour alone is not enough).
    pub fn word(self) -> &'static str {
        match self {
            Tally::Program => "PGM",
            Tally::Preview => "PVW",
            Tally::Off => "",
        }
    }
}

/// A border of the tally's colour just inside `rect` (thicker on program).
pub fn tally_border(ui: &egui::Ui, rect: Rect, tally: Tally) {
    let width = match tally {
        Tally::Off => 1.0,
        _ => 4.0,
    };
    ui.painter().rect_stroke(
        rect.shrink(width / 2.0),
        0.0,
        Stroke::new(width, tally.colour()),
        egui::StrokeKind::Middle,
    );
}

/// A label on a black strip along the bottom of `rect` (white: AA on black).
pub fn tile_label(ui: &egui::Ui, rect: Rect, text: &str, size: f32) {
    let h = size * 1.5;
    let strip = Rect::from_min_max(pos2(rect.left(), rect.bottom() - h), rect.max);
    ui.painter().rect_filled(strip, 0.0, Color32::BLACK);
    ui.painter().text(
        strip.left_center() + vec2(size * 0.5, 0.0),
        egui::Align2::LEFT_CENTER,
        text,
        egui::FontId::proportional(size),
        Color32::WHITE,
    );
}

/// The 5 % safe area (graphics-safe, as the layout editor snaps to) and a
/// centre cross, over a picture.
pub fn safe_area(ui: &egui::Ui, rect: Rect) {
    let line = Stroke::new(1.0, Color32::from_rgba_unmultiplied(255, 255, 255, 150));
    let inset = vec2(rect.width() * 0.05, rect.height() * 0.05);
    let safe = Rect::from_min_max(rect.min + inset, rect.max - inset);
    let p = ui.painter();
    p.rect_stroke(safe, 0.0, line, egui::StrokeKind::Middle);
    let c = rect.center();
    let arm = rect.width().min(rect.height()) * 0.04;
    p.line_segment([c - Vec2::X * arm, c + Vec2::X * arm], line);
    p.line_segment([c - Vec2::Y * arm, c + Vec2::Y * arm], line);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn area(w: f32, h: f32) -> Rect {
        Rect::from_min_size(pos2(230.0, 40.0), vec2(w, h))
    }

    #[test]
    fn landscape_panes_keep_the_aspect_and_leave_the_docks_below() {
        let a = area(1374.0, 860.0);
        let s = split(a, 16.0 / 9.0, true);
        let (p, q) = (s.program, s.preview.unwrap());
        assert!((p.width() / p.height() - 16.0 / 9.0).abs() < 1e-3);
        assert!((q.width() / q.height() - 16.0 / 9.0).abs() < 1e-3);
        assert!(p.width() >= 800.0, "{p:?}");
        assert!(q.right() + GAP <= p.left() + 0.01);
        assert!(a.contains_rect(p) && a.contains_rect(q));
        assert!(s.docks.height() >= DOCK_MIN_H && s.docks.top() >= p.bottom());
        // Short windows: the panes shrink, the docks keep their height.
        let s = split(area(1374.0, 400.0), 16.0 / 9.0, true);
        assert!(s.docks.height() >= DOCK_MIN_H - 0.01, "{s:?}");
        assert!((s.program.width() / s.program.height() - 16.0 / 9.0).abs() < 1e-3);
        // Program only: the whole width when the height allows.
        let s = split(area(1000.0, 1200.0), 16.0 / 9.0, false);
        assert!(
            s.preview.is_none() && (s.program.width() - 1000.0).abs() < 0.01,
            "{s:?}"
        );
    }

    #[test]
    fn portrait_panes_are_tall_with_the_docks_beside() {
        let a = area(1374.0, 860.0);
        let s = split(a, 9.0 / 16.0, true);
        let p = s.program;
        assert!((p.width() / p.height() - 9.0 / 16.0).abs() < 1e-3);
        assert!((p.height() - (860.0 - TITLE_H)).abs() < 0.01, "{p:?}");
        assert!(s.docks.left() > p.right() && s.docks.width() >= DOCK_MIN_W);
        // Narrow: the docks keep their width, the panes shrink.
        let s = split(area(700.0, 860.0), 9.0 / 16.0, true);
        assert!(s.docks.width() >= DOCK_MIN_W - 0.01, "{s:?}");
    }

    #[test]
    fn fit_letterboxes_and_pillarboxes() {
        let r = fit(Rect::from_min_size(Pos2::ZERO, vec2(400.0, 100.0)), 16.0 / 9.0);
        assert_eq!(r.height(), 100.0);
        assert!((r.width() - 177.78).abs() < 0.01 && (r.center().x - 200.0).abs() < 0.01);
        let r = fit(Rect::from_min_size(Pos2::ZERO, vec2(100.0, 400.0)), 16.0 / 9.0);
        assert_eq!(r.width(), 100.0);
    }
}
