//! The studio's colours. Every text colour is listed with the backgrounds it
//! is drawn on, and a unit test holds each pair to WCAG AA (contrast ratio
//! ≥ 4.5 for text, ≥ 3 for tally borders and focus rings). Platform colours
//! are accents: the background of a chip whose text is black or white,
//! whichever reads better on it.

use egui::{Color32, RichText, Stroke};

/// Panels and windows.
pub const PANEL: Color32 = Color32::from_gray(27);
/// A button at rest.
pub const BUTTON: Color32 = Color32::from_gray(50);
/// A selected button or list row (darker than egui's, so coloured text on
/// it stays legible).
pub const SELECTED_BG: Color32 = Color32::from_rgb(0, 60, 90);
pub const SELECTED_TEXT: Color32 = Color32::from_rgb(192, 222, 255);
/// Ordinary and weak text.
pub const TEXT: Color32 = Color32::from_gray(200);
pub const WEAK: Color32 = Color32::from_gray(150);
/// Program, ON AIR, a live stream: as text.
pub const ON_AIR: Color32 = Color32::from_rgb(255, 130, 130);
/// The ON AIR / REC badge: white on this red.
pub const BADGE_RED: Color32 = Color32::from_rgb(190, 20, 20);
/// Preview, and "fine" states, as text.
pub const PREVIEW: Color32 = Color32::from_rgb(80, 210, 120);
pub const OK: Color32 = PREVIEW;
/// Something to look at (connecting, retrying, a notice).
pub const WARN: Color32 = Color32::from_rgb(240, 180, 60);
/// Something failed.
pub const ERROR: Color32 = Color32::from_rgb(255, 140, 140);
/// Idle, ended, nothing there.
pub const MUTED: Color32 = Color32::from_gray(170);
/// A chat message that needs the host (a question, a claim to check).
pub const FLAG: Color32 = Color32::from_rgb(0xF2, 0xC0, 0x4A);
/// The row of the comment featured on air.
pub const FEATURED_BG: Color32 = Color32::from_rgb(0x3A, 0x2A, 0x10);
/// The keyboard focus ring.
pub const FOCUS: Color32 = Color32::from_rgb(255, 210, 80);
/// Tally borders: the picture is on program / on preview.
pub const TALLY_PROGRAM: Color32 = Color32::from_rgb(230, 40, 40);
pub const TALLY_PREVIEW: Color32 = Color32::from_rgb(40, 200, 80);

/// Text colours and the backgrounds each is drawn on (checked in the tests).
pub const TEXT_ON: &[(&str, Color32, &[Color32])] = &[
    ("text", TEXT, &[PANEL, BUTTON, SELECTED_BG]),
    ("weak", WEAK, &[PANEL]),
    ("on air", ON_AIR, &[PANEL, BUTTON, SELECTED_BG]),
    ("preview", PREVIEW, &[PANEL, BUTTON, SELECTED_BG]),
    ("warn", WARN, &[PANEL, BUTTON, SELECTED_BG]),
    ("error", ERROR, &[PANEL, BUTTON]),
    ("muted", MUTED, &[PANEL, BUTTON, SELECTED_BG]),
    ("flag", FLAG, &[PANEL, BUTTON, SELECTED_BG, FEATURED_BG]),
    ("featured", TEXT, &[FEATURED_BG]),
    ("selected", SELECTED_TEXT, &[SELECTED_BG]),
    ("badge", Color32::WHITE, &[BADGE_RED]),
    ("tile label", Color32::WHITE, &[Color32::BLACK]),
];

/// WCAG 2 contrast ratio of two opaque colours (1 – 21).
pub fn contrast(a: Color32, b: Color32) -> f32 {
    fn channel(c: u8) -> f32 {
        let c = c as f32 / 255.0;
        if c <= 0.04045 {
            c / 12.92
        } else {
            ((c + 0.055) / 1.055).powf(2.4)
        }
    }
    let lum = |c: Color32| 0.2126 * channel(c.r()) + 0.7152 * channel(c.g()) + 0.0722 * channel(c.b());
    let (x, y) = (lum(a), lum(b));
    (x.max(y) + 0.05) / (x.min(y) + 0.05)
}

/// Black or white, whichever reads better on `bg`.
pub fn text_on(bg: Color32) -> Color32 {
    if contrast(Color32::BLACK, bg) >= contrast(Color32::WHITE, bg) {
        Color32::BLACK
    } else {
        Color32::WHITE
    }
}

/// The studio's egui look: egui's dark theme with the text, selection and
/// focus colours above.
pub fn visuals() -> egui::Visuals {
    let mut v = egui::Visuals::dark();
    v.panel_fill = PANEL;
    v.window_fill = PANEL;
    v.widgets.noninteractive.fg_stroke.color = TEXT;
    v.widgets.noninteractive.bg_fill = PANEL;
    v.widgets.inactive.weak_bg_fill = BUTTON;
    v.weak_text_color = Some(WEAK);
    v.selection.bg_fill = SELECTED_BG;
    v.selection.stroke = Stroke::new(1.0, SELECTED_TEXT);
    v.warn_fg_color = WARN;
    v.error_fg_color = ERROR;
    // Keyboard focus (egui draws a focused widget as "active"): a ring
    // that stands out from every background.
    v.widgets.active.bg_stroke = Stroke::new(2.0, FOCUS);
    v.widgets.active.expansion = 1.0;
    v
}

/// Text in a filled badge (ON AIR, REC): white on red.
pub fn badge(text: impl Into<String>) -> RichText {
    RichText::new(text.into())
        .color(Color32::WHITE)
        .background_color(BADGE_RED)
        .strong()
}

/// A platform chip: the platform's colour as the background, the text black
/// or white for contrast. Off (filtered out): muted text, no fill.
pub fn chip(text: &str, accent: Color32, on: bool) -> RichText {
    if on {
        RichText::new(text)
            .color(text_on(accent))
            .background_color(accent)
            .strong()
    } else {
        RichText::new(text).color(MUTED)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_ratio_matches_wcag_examples() {
        assert!((contrast(Color32::BLACK, Color32::WHITE) - 21.0).abs() < 0.01);
        assert!((contrast(Color32::WHITE, Color32::WHITE) - 1.0).abs() < 0.001);
        // #777777 on white is the well-known 4.48.
        assert!((contrast(Color32::from_gray(0x77), Color32::WHITE) - 4.48).abs() < 0.01);
    }

    #[test]
    fn every_text_colour_meets_aa_on_every_background_it_is_drawn_on() {
        let mut failed = Vec::new();
        for (name, fg, bgs) in TEXT_ON {
            for bg in *bgs {
                let r = contrast(*fg, *bg);
                if r < 4.5 {
                    failed.push(format!("{name} {fg:?} on {bg:?}: {r:.2}"));
                }
            }
        }
        // egui's own text in the studio's visuals: labels, buttons at rest,
        // hovered and pressed, selected, text fields, links.
        let v = visuals();
        let w = &v.widgets;
        for (name, fg, bg) in [
            ("label", w.noninteractive.fg_stroke.color, v.panel_fill),
            ("button", w.inactive.fg_stroke.color, w.inactive.weak_bg_fill),
            ("hovered button", w.hovered.fg_stroke.color, w.hovered.weak_bg_fill),
            ("pressed button", w.active.fg_stroke.color, w.active.weak_bg_fill),
            ("selected", v.selection.stroke.color, v.selection.bg_fill),
            ("text field", w.inactive.fg_stroke.color, v.text_edit_bg_color()),
            ("weak", v.weak_text_color(), v.panel_fill),
            ("link", v.hyperlink_color, v.panel_fill),
            ("warning", v.warn_fg_color, v.panel_fill),
            ("error", v.error_fg_color, v.panel_fill),
        ] {
            let r = contrast(fg, bg);
            if r < 4.5 {
                failed.push(format!("egui {name} {fg:?} on {bg:?}: {r:.2}"));
            }
        }
        assert!(failed.is_empty(), "below WCAG AA 4.5:\n{}", failed.join("\n"));
    }

    #[test]
    fn platform_chips_read_on_their_accent_and_off_chips_on_the_panel() {
        use showroom_chat::model::Platform;
        for p in Platform::ALL {
            let accent = crate::chat::colour(p);
            let r = contrast(text_on(accent), accent);
            assert!(r >= 4.5, "{} chip: {r:.2}", p.name());
        }
        assert!(contrast(MUTED, PANEL) >= 4.5);
    }

    #[test]
    fn tally_borders_and_focus_ring_stand_out_from_the_panel() {
        // WCAG 1.4.11: non-text contrast ≥ 3.
        for (name, c) in [
            ("program tally", TALLY_PROGRAM),
            ("preview tally", TALLY_PREVIEW),
            ("focus", FOCUS),
        ] {
            let r = contrast(c, PANEL);
            assert!(r >= 3.0, "{name}: {r:.2}");
        }
        // Keyboard focus (egui draws a focused widget as "active") is the
        // ring, 2 px.
        let focus = visuals().widgets.active.bg_stroke;
        assert_eq!((focus.width, focus.color), (2.0, FOCUS));
        // The two tallies are told apart by more than hue alone: the
        // tile's label names the bus too (tests/studio_ui.rs).
        assert_ne!(TALLY_PROGRAM, TALLY_PREVIEW);
    }
}
