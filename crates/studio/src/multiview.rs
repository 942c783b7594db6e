//! The multiview: preview and program large at the top, below them a tile
//! for every source's own picture and every scene, each with a tally border
//! (red: on program, green: on preview) and a label that says the same in
//! words. Click a tile to put it in preview, double-click to cut it to
//! program. The grid's settings are the user's (`views.toml`).
//!
//! Every picture is a compositor texture (no copy). The engine draws the
//! source tiles only while a multiview is on screen, one tile per tick on a
//! GPU and one every third tick on a software renderer.

use super::Studio;
use super::hotkeys::CUT;
use crate::engine::Command;
use crate::engine::stats::Snapshot;
use crate::video::{self, Tally};
use egui::{Rect, pos2, vec2};

/// What a tile shows.
#[derive(Debug, Clone, PartialEq)]
pub enum Tile {
    Preview,
    Program,
    /// Source slot N (its id).
    Source(usize, String),
    /// Scene N (its id).
    Scene(usize, String),
}

/// The scene a source tile puts in preview: the first in which the source
/// is the largest visible layer (on the first canvas), else the first it is
/// in at all.
pub fn scene_for_source(scenes: &[crate::show::SceneSpec], source: usize) -> Option<usize> {
    let area = |l: &crate::show::LayerSpec| {
        l.place
            .first()
            .copied()
            .flatten()
            .map(|r| r.width as u64 * r.height as u64)
    };
    let largest = scenes.iter().position(|s| {
        let mine = s
            .layers
            .iter()
            .filter(|l| l.source == source && !l.hidden)
            .filter_map(area)
            .max();
        let others = s
            .layers
            .iter()
            .filter(|l| l.source != source && !l.hidden)
            .filter_map(area)
            .max()
            .unwrap_or(0);
        mine.is_some_and(|m| m >= others)
    });
    largest.or_else(|| {
        scenes
            .iter()
            .position(|s| s.layers.iter().any(|l| l.source == source && !l.hidden))
    })
}

/// The tally of source `source`: on program if a visible layer of the
/// program scene shows it, else on preview if the preview scene does.
fn source_tally(program: &crate::show::SceneSpec, preview: &crate::show::SceneSpec, source: usize) -> Tally {
    let shows = |s: &crate::show::SceneSpec| s.layers.iter().any(|l| l.source == source && !l.hidden);
    if shows(program) {
        Tally::Program
    } else if shows(preview) {
        Tally::Preview
    } else {
        Tally::Off
    }
}

/// The grid's settings row, then the grid, in `area`.
pub fn grid(studio: &mut Studio, ui: &mut egui::Ui, snap: &Snapshot, area: Rect) {
    let mut layout = studio.views.multiview.clone();
    let row = Rect::from_min_size(area.min, vec2(area.width(), 24.0));
    ui.scope_builder(egui::UiBuilder::new().max_rect(row), |ui| {
        ui.horizontal(|ui| {
            ui.label("Grid");
            ui.add(
                egui::Slider::new(
                    &mut layout.columns,
                    crate::views::MIN_COLUMNS..=crate::views::MAX_COLUMNS,
                )
                .text("columns"),
            );
            ui.checkbox(&mut layout.sources, "Source tiles");
            ui.checkbox(&mut layout.scenes, "Scene tiles");
        });
    });
    if layout != studio.views.multiview {
        studio.views.multiview = layout;
        studio.save_views();
    }
    let area = Rect::from_min_max(pos2(area.left(), row.bottom() + 6.0), area.max);
    tiles(studio, ui, snap, area, true);
}

/// Draws the tiles in `area`; `interactive`: clicks preview and cut.
pub fn tiles(studio: &mut Studio, ui: &mut egui::Ui, snap: &Snapshot, area: Rect, interactive: bool) {
    let gap = 8.0;
    let show = studio.engine().shared_show();
    let c = studio.canvas.min(show.canvases.len() - 1);
    let big_aspect = show.canvases[c].width as f32 / show.canvases[c].height as f32;
    let small_aspect = show.canvases[0].width as f32 / show.canvases[0].height as f32;
    let layout = studio.views.multiview.clone();
    let scene_index = |id: &str| show.scenes.iter().position(|s| s.id == id);
    let (program_scene, preview_scene) = (
        scene_index(&snap.scene).map(|i| studio.engine().scene(i)),
        scene_index(&snap.preview).map(|i| studio.engine().scene(i)),
    );

    let mut small: Vec<Tile> = Vec::new();
    if layout.sources {
        for (i, id) in studio.engine().source_ids().into_iter().enumerate() {
            let has_video = studio.engine().source_spec(i).is_some_and(|s| s.config.has_video());
            if has_video {
                small.push(Tile::Source(i, id));
            }
        }
    }
    if layout.scenes {
        small.extend(
            show.scenes
                .iter()
                .enumerate()
                .map(|(i, s)| Tile::Scene(i, s.id.clone())),
        );
    }

    // Preview and program: half the width each, at most 45 % of the height
    // when there are tiles below.
    let cols = layout.columns.max(1) as usize;
    let rows = small.len().div_ceil(cols);
    let top_h_max = if rows == 0 { area.height() } else { area.height() * 0.45 };
    let half = Rect::from_min_size(area.min, vec2((area.width() - gap) / 2.0, top_h_max));
    let pvw = video::fit(half, big_aspect);
    let pvw = Rect::from_min_size(pos2(half.right() - pvw.width(), area.top()), pvw.size());
    let pgm = Rect::from_min_size(pos2(half.right() + gap, area.top()), pvw.size());
    let top_bottom = pvw.bottom();

    let (program_tex, preview_tex) = super::centre::textures(studio, snap, c);
    let canvas_id = show.canvases[c].id.clone();
    let mut clicked: Option<(Tile, bool)> = None;
    let label_size = (pvw.height() * 0.06).clamp(14.0, 24.0);
    for (tile, rect, tex, tally, label) in [
        (
            Tile::Preview,
            pvw,
            preview_tex,
            Tally::Preview,
            format!("PVW {} · {canvas_id}", snap.preview),
        ),
        (
            Tile::Program,
            pgm,
            program_tex,
            Tally::Program,
            format!("PGM {} · {canvas_id}", snap.scene),
        ),
    ] {
        let name = match tile {
            Tile::Preview => "multiview preview",
            _ => "multiview program",
        };
        let r = super::centre::named(ui, rect, name, egui::Sense::hover());
        video::picture(ui, rect, tex);
        video::tile_label(ui, rect, &label, label_size);
        video::tally_border(ui, rect, tally);
        let _ = r;
    }

    if small.is_empty() {
        return;
    }
    // The tiles: `cols` a row, as large as the rows left allow.
    let below = Rect::from_min_max(pos2(area.left(), top_bottom + gap), area.max);
    let mut tw = (below.width() - gap * (cols as f32 - 1.0)) / cols as f32;
    let th_max = (below.height() - gap * (rows as f32 - 1.0)) / rows as f32;
    if tw / small_aspect > th_max {
        tw = th_max * small_aspect;
    }
    let th = tw / small_aspect;
    let x0 = below.left() + (below.width() - (tw * cols as f32 + gap * (cols as f32 - 1.0))) / 2.0;
    let label_size = (th * 0.13).clamp(12.0, 20.0);
    let textures = studio.textures.as_ref().map(|t| (t.tiles.clone(), t.thumbs.clone()));
    for (n, tile) in small.iter().enumerate() {
        let (col, row) = (n % cols, n / cols);
        let rect = Rect::from_min_size(
            pos2(x0 + col as f32 * (tw + gap), below.top() + row as f32 * (th + gap)),
            vec2(tw, th),
        );
        let (tex, tally, label, lost) = match tile {
            Tile::Source(i, id) => {
                let tally = match (&program_scene, &preview_scene) {
                    (Some(p), Some(q)) => source_tally(p, q, *i),
                    _ => Tally::Off,
                };
                let lost = snap.sources.iter().any(|s| s.id == *id && s.signal_lost);
                (
                    textures.as_ref().and_then(|t| t.0.get(*i).copied()),
                    tally,
                    id.clone(),
                    lost,
                )
            }
            Tile::Scene(i, id) => {
                let tally = if *id == snap.scene {
                    Tally::Program
                } else if *id == snap.preview {
                    Tally::Preview
                } else {
                    Tally::Off
                };
                let label = match studio.keys.scene_key(*i) {
                    Some(k) => format!("{k} {id}"),
                    None => id.clone(),
                };
                (
                    textures.as_ref().and_then(|t| t.1.get(*i).copied()),
                    tally,
                    label,
                    false,
                )
            }
            _ => continue,
        };
        let kind = if matches!(tile, Tile::Source(..)) {
            "source"
        } else {
            "scene"
        };
        let state = match tally {
            Tally::Program => " — on program",
            Tally::Preview => " — on preview",
            Tally::Off => "",
        };
        let name = format!("{kind} tile {label}{state}");
        let sense = if interactive {
            egui::Sense::click()
        } else {
            egui::Sense::hover()
        };
        let r = super::centre::named(ui, rect, &name, sense);
        video::picture(ui, rect, tex);
        let mut text = match tally {
            Tally::Off => label,
            t => format!("{} {label}", t.word()),
        };
        if lost {
            text += " · NO SIGNAL";
        }
        video::tile_label(ui, rect, &text, label_size);
        video::tally_border(ui, rect, tally);
        if interactive {
            let r = r.on_hover_text(match tile {
                Tile::Scene(..) => "click: preview · double-click: cut to program",
                _ => "click: preview the scene it leads · double-click: cut it to program",
            });
            if r.double_clicked() || r.triple_clicked() {
                clicked = Some((tile.clone(), true));
            } else if r.clicked() {
                clicked = Some((tile.clone(), false));
            }
        }
    }
    if let Some((tile, cut)) = clicked {
        let scene = match &tile {
            Tile::Scene(i, _) => Some(*i),
            Tile::Source(i, id) => {
                let scenes: Vec<_> = (0..show.scenes.len()).map(|s| studio.engine().scene(s)).collect();
                let found = scene_for_source(&scenes, *i);
                if found.is_none() {
                    studio.notify(format!("{id} is in no scene: add a layer for it in a scene first"));
                }
                found
            }
            _ => None,
        };
        if let Some(s) = scene {
            let id = show.scenes[s].id.clone();
            if id != snap.preview || !cut {
                studio.command(Command::PreviewScene(id));
            }
            if cut {
                studio.command(Command::Take(Some(CUT)));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::show::{LayerSpec, Rect as R, SceneSpec};

    fn layer(source: usize, w: u32, h: u32) -> LayerSpec {
        LayerSpec {
            source,
            z: 0,
            opacity: 1.0,
            crop: Default::default(),
            place: vec![Some(R {
                x: 0,
                y: 0,
                width: w,
                height: h,
            })],
            style: Default::default(),
            hidden: false,
        }
    }

    #[test]
    fn a_source_tile_previews_the_scene_it_leads() {
        let scenes = vec![
            SceneSpec {
                id: "wide".into(),
                layers: vec![layer(0, 1280, 720), layer(1, 320, 180)],
            },
            SceneSpec {
                id: "close".into(),
                layers: vec![layer(0, 320, 180), layer(1, 1280, 720)],
            },
        ];
        assert_eq!(scene_for_source(&scenes, 0), Some(0));
        assert_eq!(scene_for_source(&scenes, 1), Some(1));
        assert_eq!(scene_for_source(&scenes, 2), None);
        // In a scene but never the largest: the first it is in.
        let scenes = vec![SceneSpec {
            id: "pip".into(),
            layers: vec![layer(0, 1280, 720), layer(1, 320, 180)],
        }];
        assert_eq!(scene_for_source(&scenes, 1), Some(0));
        let p = &scenes[0];
        let q = SceneSpec {
            id: "other".into(),
            layers: vec![layer(2, 100, 100)],
        };
        assert_eq!(source_tally(p, &q, 1), Tally::Program);
        assert_eq!(source_tally(&q, p, 1), Tally::Preview);
        assert_eq!(source_tally(&q, &q, 1), Tally::Off);
    }
}
