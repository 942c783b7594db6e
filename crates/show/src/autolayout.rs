//! A layout for a canvas that a scene does not place anything on, derived
//! from a canvas it does: the portrait version of a landscape scene stacks
//! what stands side by side instead of squeezing it, keeps every picture's
//! aspect ratio, and keeps small overlays near the same corner.

use super::{CanvasSpec, LayerSpec, Rect};

/// Layers covering at least this share of the source canvas are backgrounds.
const BACKGROUND: f64 = 0.9;
/// Layers covering at least this share are main pictures (stacked); smaller ones are overlays.
const MAIN: f64 = 0.15;

/// Fills in `place` for every canvas the scene leaves empty.
pub fn derive(layers: &mut [LayerSpec], canvases: &[CanvasSpec]) {
    let Some(from) = (0..canvases.len()).find(|&c| layers.iter().any(|l| l.place[c].is_some())) else {
        return;
    };
    for to in 0..canvases.len() {
        if layers.iter().any(|l| l.place[to].is_some()) {
            continue;
        }
        let (s, t) = (&canvases[from], &canvases[to]);
        let (sw, sh, tw, th) = (s.width as f64, s.height as f64, t.width as f64, t.height as f64);
        let area = |r: &Rect| (r.width as f64 * r.height as f64) / (sw * sh);
        // Main pictures, left to right (then top to bottom), get stacked.
        let mut mains: Vec<usize> = (0..layers.len())
            .filter(|&i| layers[i].place[from].is_some_and(|r| (MAIN..BACKGROUND).contains(&area(&r))))
            .collect();
        mains.sort_by_key(|&i| {
            let r = layers[i].place[from].unwrap();
            (r.x, r.y)
        });
        let stacked = tw < th && mains.len() > 1;
        if stacked {
            let heights: Vec<f64> = mains
                .iter()
                .map(|&i| {
                    let r = layers[i].place[from].unwrap();
                    r.height as f64 * tw / r.width as f64
                })
                .collect();
            let total: f64 = heights.iter().sum();
            let k = (th / total).min(1.0);
            let mut y = (th - total * k) / 2.0;
            for (n, &i) in mains.iter().enumerate() {
                let (w, h) = (tw * k, heights[n] * k);
                layers[i].place[to] = Some(rect((tw - w) / 2.0, y, w, h));
                y += h;
            }
        }
        for layer in layers.iter_mut() {
            let Some(r) = layer.place[from] else { continue };
            if layer.place[to].is_some() {
                continue;
            }
            let (rw, rh) = (r.width as f64, r.height as f64);
            let a = area(&r);
            layer.place[to] = Some(if a >= MAIN {
                // Backgrounds and single main pictures: as large as fits, centred.
                let k = (tw / rw).min(th / rh);
                rect((tw - rw * k) / 2.0, (th - rh * k) / 2.0, rw * k, rh * k)
            } else {
                // Overlays keep their size relative to the canvas width and
                // stay near the same corner.
                let k = (tw / sw).min(th / sh).max(tw.min(th) / sw.min(sh) * 0.8);
                let (w, h) = ((rw * k).min(tw), (rh * k).min(th));
                let cx = (r.x as f64 + rw / 2.0) / sw;
                let cy = (r.y as f64 + rh / 2.0) / sh;
                let x = (cx * tw - w / 2.0).clamp(0.0, tw - w);
                let y = (cy * th - h / 2.0).clamp(0.0, th - h);
                rect(x, y, w, h)
            });
        }
    }
}

fn rect(x: f64, y: f64, w: f64, h: f64) -> Rect {
    Rect {
        x: x.round() as i32,
        y: y.round() as i32,
        width: (w.round() as u32).max(1),
        height: (h.round() as u32).max(1),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Crop, Style};

    fn canvas(id: &str, width: u32, height: u32) -> CanvasSpec {
        CanvasSpec {
            id: id.into(),
            width,
            height,
            fps: 30,
            video_kbps: None,
            adaptive_bitrate: true,
        }
    }

    fn layer(r: Rect) -> LayerSpec {
        LayerSpec {
            source: 0,
            z: 0,
            opacity: 1.0,
            crop: Crop::default(),
            place: vec![Some(r), None],
            style: Style::default(),
            hidden: false,
        }
    }

    #[test]
    fn side_by_side_becomes_stacked_without_squeezing() {
        let canvases = [canvas("land", 1280, 720), canvas("port", 720, 1280)];
        let mut layers = vec![
            layer(Rect {
                x: 0,
                y: 0,
                width: 640,
                height: 360,
            }),
            layer(Rect {
                x: 640,
                y: 0,
                width: 640,
                height: 360,
            }),
            layer(Rect {
                x: 1100,
                y: 620,
                width: 160,
                height: 80,
            }),
        ];
        derive(&mut layers, &canvases);
        let a = layers[0].place[1].unwrap();
        let b = layers[1].place[1].unwrap();
        let logo = layers[2].place[1].unwrap();
        assert_eq!((a.width, a.height), (720, 405), "{a:?}");
        assert_eq!((b.width, b.height), (720, 405), "{b:?}");
        assert!(b.y >= a.y + a.height as i32 - 1, "not stacked: {a:?} {b:?}");
        assert!(a.y >= 0 && b.y + b.height as i32 <= 1280);
        // The logo keeps its 2:1 shape, stays inside, near the bottom right.
        assert!((logo.width as f64 / logo.height as f64 - 2.0).abs() < 0.05, "{logo:?}");
        assert!(logo.x as u32 + logo.width <= 720 && logo.y as u32 + logo.height <= 1280);
        assert!(logo.x > 360 && logo.y > 640, "{logo:?}");
    }

    #[test]
    fn a_full_canvas_picture_is_letterboxed_not_stretched() {
        let canvases = [canvas("land", 1280, 720), canvas("port", 720, 1280)];
        let mut layers = vec![layer(Rect {
            x: 0,
            y: 0,
            width: 1280,
            height: 720,
        })];
        derive(&mut layers, &canvases);
        let r = layers[0].place[1].unwrap();
        assert_eq!((r.width, r.height, r.x), (720, 405, 0));
        assert_eq!(r.y, 438); // (1280 - 405) / 2 = 437.5, rounded
    }

    #[test]
    fn explicit_places_are_kept() {
        let canvases = [canvas("land", 1280, 720), canvas("port", 720, 1280)];
        let mut l = layer(Rect {
            x: 0,
            y: 0,
            width: 1280,
            height: 720,
        });
        l.place[1] = Some(Rect {
            x: 0,
            y: 0,
            width: 720,
            height: 1280,
        });
        let mut layers = vec![l];
        derive(&mut layers, &canvases);
        assert_eq!(
            layers[0].place[1],
            Some(Rect {
                x: 0,
                y: 0,
                width: 720,
                height: 1280
            })
        );
    }
}
