//! Projectors: program or preview of any canvas, the multiview, or the
//! host's confidence monitor, in a window of their own or full screen on a
//! chosen monitor (remembered in `views.toml`). Esc or closing the window
//! ends one. Each is an egui viewport drawing the compositor's textures, so
//! a projector costs a window's drawing, not a copy of the picture.

use super::Studio;
use crate::engine::stats::{DestinationState, Snapshot};
use crate::theme;
use crate::video;
use crate::views::Placement;
use egui::{Color32, Rect, pos2, vec2};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Program(usize),
    Preview(usize),
    Multiview,
    /// The host's confidence monitor of canvas N: program, a large on-air
    /// tally, the show timer, the product on air and the next question.
    Host(usize),
}

pub struct Projector {
    pub kind: Kind,
    pub placement: Placement,
    id: egui::ViewportId,
}

impl Projector {
    pub fn title(&self, canvases: &[String]) -> String {
        let canvas = |c: usize| canvases.get(c).cloned().unwrap_or_default();
        match self.kind {
            Kind::Program(c) => format!("Projector — program ({})", canvas(c)),
            Kind::Preview(c) => format!("Projector — preview ({})", canvas(c)),
            Kind::Multiview => "Projector — multiview".into(),
            Kind::Host(c) => format!("Host monitor ({})", canvas(c)),
        }
    }
}

/// Opens a projector of `kind` where projectors last opened (one of each
/// kind: asking again brings the open one back).
pub fn open(studio: &mut Studio, kind: Kind) {
    if studio.projectors.iter().any(|p| p.kind == kind) {
        return;
    }
    let n = studio.next_projector;
    studio.next_projector += 1;
    studio.projectors.push(Projector {
        kind,
        placement: studio.views.projector,
        id: egui::ViewportId::from_hash_of(("projector", n)),
    });
}

/// Draws every open projector; closes those whose window was closed or
/// that got Esc.
pub fn show_all(studio: &mut Studio, ctx: &egui::Context, snap: &Snapshot) {
    if studio.projectors.is_empty() {
        return;
    }
    let canvases: Vec<String> = studio.engine().show().canvases.iter().map(|c| c.id.clone()).collect();
    let projectors = std::mem::take(&mut studio.projectors);
    let mut kept = Vec::new();
    let embedded = ctx.embed_viewports();
    // Embedded: Esc closes the newest projector only.
    let esc = embedded && ctx.input(|i| i.key_pressed(egui::Key::Escape));
    let newest = projectors.len() - 1;
    for (i, p) in projectors.into_iter().enumerate() {
        let title = p.title(&canvases);
        let mut builder = egui::ViewportBuilder::default()
            .with_title(title.as_str())
            .with_inner_size([960.0, 540.0]);
        if let Placement::Monitor(m) = p.placement {
            builder = builder.with_monitor(m.saturating_sub(1) as usize);
        }
        let kind = p.kind;
        let close = ctx.show_viewport_immediate(p.id, builder, |ui, _class| {
            let mut close = false;
            if embedded {
                // Inside the main window (a backend without windows of its
                // own): a button, since Esc belongs to the main window too.
                close |= ui.button(format!("Close {title}")).clicked();
            }
            let area = ui.available_rect_before_wrap();
            let area = if embedded {
                Rect::from_min_size(area.min, vec2(area.width().max(480.0), area.height().max(270.0)))
            } else {
                area
            };
            ui.painter().rect_filled(area, 0.0, Color32::BLACK);
            draw(studio, ui, snap, kind, area);
            if !embedded {
                close |= ui.input(|i| i.key_pressed(egui::Key::Escape) || i.viewport().close_requested());
            }
            close
        });
        if !(close || esc && i == newest) {
            kept.push(p);
        }
    }
    // Projectors opened while drawing (none today) come after.
    kept.append(&mut studio.projectors);
    studio.projectors = kept;
}

fn draw(studio: &mut Studio, ui: &mut egui::Ui, snap: &Snapshot, kind: Kind, area: Rect) {
    let show = studio.engine().shared_show();
    let aspect = |c: usize| {
        let c = &show.canvases[c.min(show.canvases.len() - 1)];
        c.width as f32 / c.height as f32
    };
    match kind {
        Kind::Program(c) | Kind::Preview(c) => {
            let (program, preview) = super::centre::textures(studio, snap, c);
            let rect = video::fit(area, aspect(c));
            let (tex, name) = match kind {
                Kind::Program(_) => (program, "projector program picture"),
                _ => (preview, "projector preview picture"),
            };
            super::centre::named(ui, rect, name, egui::Sense::hover());
            video::picture(ui, rect, tex);
        }
        Kind::Multiview => super::multiview::tiles(studio, ui, snap, area, true),
        Kind::Host(c) => host(studio, ui, snap, c, area, aspect(c)),
    }
}

/// The host's confidence monitor.
fn host(studio: &mut Studio, ui: &mut egui::Ui, snap: &Snapshot, c: usize, area: Rect, aspect: f32) {
    let live = snap
        .destinations
        .iter()
        .any(|d| matches!(d.state, DestinationState::Live | DestinationState::Rehearsal));
    let live_s = snap.destinations.iter().map(|d| d.live_seconds).fold(0.0, f64::max);
    let bar_h = (area.height() * 0.12).clamp(40.0, 120.0);
    let text_size = bar_h * 0.55;
    // The tally: the whole bar red with ON AIR, or grey.
    let bar = Rect::from_min_size(area.min, vec2(area.width(), bar_h));
    let (fill, words, colour) = match (live, snap.rehearsal) {
        (true, true) => (theme::BUTTON, "REHEARSING", theme::WARN),
        (true, false) => (theme::BADGE_RED, "ON AIR", Color32::WHITE),
        (false, _) => (theme::PANEL, "OFF AIR", theme::MUTED),
    };
    ui.painter().rect_filled(bar, 0.0, fill);
    let pad = bar_h * 0.3;
    let text = |words: String, size: f32, colour: Color32| {
        egui::Label::new(egui::RichText::new(words).size(size).color(colour)).truncate()
    };
    let half = |r: Rect, right: bool| {
        let r = r.shrink2(vec2(pad, 0.0));
        let w = r.width() / 2.0;
        Rect::from_min_size(
            pos2(if right { r.left() + w } else { r.left() }, r.top()),
            vec2(w, r.height()),
        )
    };
    ui.put(half(bar, false), text(words.into(), text_size, colour));
    let clock = clock(if live { live_s } else { snap.elapsed_s });
    ui.scope_builder(egui::UiBuilder::new().max_rect(half(bar, true)), |ui| {
        ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
            ui.label(egui::RichText::new(clock).monospace().size(text_size).color(colour));
        });
    });
    // Below: the product on air and the next question, as large as fits.
    let info_h = bar_h * 1.4;
    let info = Rect::from_min_max(pos2(area.left(), area.bottom() - info_h), area.max);
    let product = on_air_product(studio, snap);
    let question = studio.engine().chat().and_then(|chat| {
        let s = chat.state();
        s.queue()
            .next()
            .map(|e| format!("Q {}: {}", e.msg.author.name, e.msg.text))
    });
    let line = info_h / 2.0;
    let row = |n: f32| Rect::from_min_size(info.min + vec2(pad, line * n), vec2(info.width() - 2.0 * pad, line));
    ui.put(
        row(0.0),
        text(
            product.unwrap_or_else(|| "no product on air".into()),
            line * 0.6,
            Color32::WHITE,
        ),
    );
    ui.put(
        row(1.0),
        text(
            question.unwrap_or_else(|| "no question waiting".into()),
            line * 0.6,
            theme::FLAG,
        ),
    );
    let picture = Rect::from_min_max(
        pos2(area.left(), bar.bottom() + 4.0),
        pos2(area.right(), info.top() - 4.0),
    );
    let rect = video::fit(picture, aspect);
    let (program, _) = super::centre::textures(studio, snap, c);
    super::centre::named(
        ui,
        rect,
        &format!("host monitor program picture — {words}"),
        egui::Sense::hover(),
    );
    video::picture(ui, rect, program);
}

/// "A1 · Linen shirt · $39.00" for the card on air.
fn on_air_product(studio: &mut Studio, snap: &Snapshot) -> Option<String> {
    let code = snap.graphics.featured.as_deref()?;
    let show = studio.engine().shared_show();
    let setup = &show.graphics;
    let p = setup.catalog.products.iter().find(|p| p.code == code)?;
    let prices = studio.prices.get_or_insert_with(|| {
        showroom_products::price::PriceFormatter::new(&setup.locale)
            .or_else(|_| showroom_products::price::PriceFormatter::new("en-US"))
            .expect("en-US price data is compiled in")
    });
    let price = p.variants.first().map(|v| prices.format(&v.price)).unwrap_or_default();
    Some(format!("{} · {} · {price}", p.code, p.title))
}

fn clock(secs: f64) -> String {
    let s = secs.max(0.0) as u64;
    format!("{}:{:02}:{:02}", s / 3600, s / 60 % 60, s % 60)
}
