//! Where a layer lands: canvas-pixel rectangles and crop fractions turned into
//! the normalised coordinates the layer shader draws with.

use crate::show::{Crop, Rect};

#[repr(C)]
#[derive(Clone, Copy, Debug, bytemuck::Pod, bytemuck::Zeroable)]
pub struct LayerUniform {
    pub dst: [f32; 4],
    pub uv: [f32; 4],
    pub opacity: f32,
    pub format: u32,
    pub matrix: u32,
    pub full_range: u32,
}

/// Destination rectangle in NDC (x0, y0, x1, y1): y grows upwards in NDC,
/// downwards in canvas pixels.
pub fn dst_ndc(rect: &Rect, canvas_w: u32, canvas_h: u32) -> [f32; 4] {
    let (w, h) = (canvas_w as f32, canvas_h as f32);
    let x0 = rect.x as f32 / w * 2.0 - 1.0;
    let x1 = (rect.x as f32 + rect.width as f32) / w * 2.0 - 1.0;
    let y0 = 1.0 - rect.y as f32 / h * 2.0;
    let y1 = 1.0 - (rect.y as f32 + rect.height as f32) / h * 2.0;
    [x0, y0, x1, y1]
}

pub fn crop_uv(crop: &Crop) -> [f32; 4] {
    [crop.left, crop.top, 1.0 - crop.right, 1.0 - crop.bottom]
}

/// True when the layer shows its (cropped) source at exactly its pixel size,
/// so each canvas pixel maps to one source pixel.
pub fn is_one_to_one(rect: &Rect, crop: &Crop, source: (u32, u32)) -> bool {
    let w = source.0 as f32 * (1.0 - crop.left - crop.right);
    let h = source.1 as f32 * (1.0 - crop.top - crop.bottom);
    (w - rect.width as f32).abs() < 0.5 && (h - rect.height as f32).abs() < 0.5
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn full_canvas_maps_to_full_ndc() {
        let r = Rect {
            x: 0,
            y: 0,
            width: 1280,
            height: 720,
        };
        assert_eq!(dst_ndc(&r, 1280, 720), [-1.0, 1.0, 1.0, -1.0]);
    }

    #[test]
    fn one_to_one_detection() {
        let r = Rect {
            x: 10,
            y: 10,
            width: 640,
            height: 360,
        };
        assert!(is_one_to_one(&r, &Crop::default(), (640, 360)));
        assert!(!is_one_to_one(&r, &Crop::default(), (1280, 720)));
        let half = Crop {
            left: 0.25,
            right: 0.25,
            top: 0.25,
            bottom: 0.25,
        };
        assert!(is_one_to_one(&r, &half, (1280, 720)));
    }

    #[test]
    fn quarter_rect() {
        let r = Rect {
            x: 640,
            y: 360,
            width: 640,
            height: 360,
        };
        assert_eq!(dst_ndc(&r, 1280, 720), [0.0, 0.0, 1.0, -1.0]);
        let c = Crop {
            left: 0.25,
            right: 0.25,
            top: 0.0,
            bottom: 0.5,
        };
        assert_eq!(crop_uv(&c), [0.25, 0.0, 0.75, 0.5]);
    }
}
