//! Where a layer lands and how it is drawn: canvas-pixel places, fit modes,
//! crop and mirror turned into the numbers the layer shader draws with.

use crate::spec::{Crop, Fit, Rect, Style};

/// The layer shader's uniform block (shaders/layer.wgsl `Layer`): all vec4
/// so the Rust and WGSL layouts cannot drift apart.
#[repr(C)]
#[derive(Clone, Copy, Debug, bytemuck::Pod, bytemuck::Zeroable)]
pub struct LayerUniform {
    /// canvas width, height; content centre x, y (canvas px).
    pub geom0: [f32; 4],
    /// content half width, half height; margin around it (shadow); rotation (radians).
    pub geom1: [f32; 4],
    /// Source texture coordinates: u0, v0, u1, v1 (u0 > u1 mirrors).
    pub uv: [f32; 4],
    /// opacity, corner radius, border width, colour correction on (0/1).
    pub misc: [f32; 4],
    pub border_color: [f32; 4],
    pub shadow_color: [f32; 4],
    /// shadow dx, dy, blur, enabled (0/1).
    pub shadow: [f32; 4],
    /// brightness, contrast, saturation, gamma.
    pub adjust: [f32; 4],
    /// key rgb, enabled (0/1).
    pub key_color: [f32; 4],
    /// similarity, smoothness, spill, unused.
    pub key: [f32; 4],
    /// format (0 RGBA, 1 I420, 2 NV12, 3 YUY2, 4 UYVY), matrix (0 BT.601, 1 BT.709), full range, alpha forced opaque.
    pub format: [u32; 4],
    /// Level of detail (mip level sampled; 0 = full size), unused ×3.
    pub down: [f32; 4],
}

/// Content rectangle (canvas px: x, y, w, h) and texture coordinates of a
/// layer, after crop, fit mode and mirror.
pub fn content(rect: &Rect, crop: &Crop, style: &Style, source: (u32, u32)) -> ([f32; 4], [f32; 4]) {
    let (rx, ry, rw, rh) = (rect.x as f32, rect.y as f32, rect.width as f32, rect.height as f32);
    let mut uv = [crop.left, crop.top, 1.0 - crop.right, 1.0 - crop.bottom];
    let sw = (source.0 as f32 * (uv[2] - uv[0])).max(1.0);
    let sh = (source.1 as f32 * (uv[3] - uv[1])).max(1.0);
    let mut out = [rx, ry, rw, rh];
    match style.fit {
        Fit::Stretch => {}
        Fit::Fit => {
            let s = (rw / sw).min(rh / sh);
            let (cw, ch) = (sw * s, sh * s);
            out = [rx + (rw - cw) / 2.0, ry + (rh - ch) / 2.0, cw, ch];
        }
        Fit::Fill => {
            let s = (rw / sw).max(rh / sh);
            // The part of the (cropped) source that is visible, as a fraction.
            let (fw, fh) = (rw / s / sw, rh / s / sh);
            let (du, dv) = (uv[2] - uv[0], uv[3] - uv[1]);
            let (cu, cv) = ((uv[0] + uv[2]) / 2.0, (uv[1] + uv[3]) / 2.0);
            uv = [
                cu - du * fw / 2.0,
                cv - dv * fh / 2.0,
                cu + du * fw / 2.0,
                cv + dv * fh / 2.0,
            ];
        }
    }
    if style.mirror {
        uv.swap(0, 2);
    }
    (out, uv)
}

/// True when the layer shows its source at exactly its pixel size, upright:
/// each canvas pixel is one source pixel, so nearest sampling is exact.
pub fn is_one_to_one(content: &[f32; 4], uv: &[f32; 4], style: &Style, source: (u32, u32)) -> bool {
    let w = source.0 as f32 * (uv[2] - uv[0]).abs();
    let h = source.1 as f32 * (uv[3] - uv[1]).abs();
    style.rotation.rem_euclid(360.0) == 0.0
        && (w - content[2]).abs() < 0.5
        && (h - content[3]).abs() < 0.5
        && content[0].fract() == 0.0
        && content[1].fract() == 0.0
}

/// The shader features a layer needs (layer.wgsl `FEATURES` bits).
pub fn features(style: &Style) -> u32 {
    let mut f = 0;
    if style.radius > 0.0 || style.border.is_some() || style.shadow.is_some() {
        f |= 1;
    }
    if style.shadow.is_some() {
        f |= 2;
    }
    if style.chroma_key.is_some() {
        f |= 4;
    }
    if adjusts(style) {
        f |= 8;
    }
    f
}

/// Colour correction other than identity.
pub fn adjusts(style: &Style) -> bool {
    style.brightness != 0.0 || style.contrast != 1.0 || style.saturation != 1.0 || style.gamma != 1.0
}

/// Pixels around the content the quad must cover (shadow, anti-aliasing).
pub fn margin(style: &Style) -> f32 {
    if features(style) & 3 == 0 {
        return 0.0;
    }
    let shadow = style
        .shadow
        .map(|s| s.offset[0].abs().max(s.offset[1].abs()) + s.blur)
        .unwrap_or(0.0);
    shadow + 1.0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn style(fit: Fit) -> Style {
        Style {
            fit,
            ..Style::default()
        }
    }

    #[test]
    fn stretch_fit_and_fill() {
        let r = Rect {
            x: 0,
            y: 0,
            width: 400,
            height: 400,
        };
        let c = Crop::default();
        let (rect, uv) = content(&r, &c, &style(Fit::Stretch), (800, 400));
        assert_eq!((rect, uv), ([0.0, 0.0, 400.0, 400.0], [0.0, 0.0, 1.0, 1.0]));
        // 2:1 source fitted in a square: letterboxed, centred.
        let (rect, uv) = content(&r, &c, &style(Fit::Fit), (800, 400));
        assert_eq!((rect, uv), ([0.0, 100.0, 400.0, 200.0], [0.0, 0.0, 1.0, 1.0]));
        // Filled: the middle half of the source width.
        let (rect, uv) = content(&r, &c, &style(Fit::Fill), (800, 400));
        assert_eq!((rect, uv), ([0.0, 0.0, 400.0, 400.0], [0.25, 0.0, 0.75, 1.0]));
    }

    #[test]
    fn crop_and_mirror() {
        let r = Rect {
            x: 10,
            y: 10,
            width: 640,
            height: 360,
        };
        let half = Crop {
            left: 0.25,
            right: 0.25,
            top: 0.25,
            bottom: 0.25,
        };
        let (rect, uv) = content(&r, &half, &Style::default(), (1280, 720));
        assert_eq!(uv, [0.25, 0.25, 0.75, 0.75]);
        assert!(is_one_to_one(&rect, &uv, &Style::default(), (1280, 720)));
        let mirrored = Style {
            mirror: true,
            ..Style::default()
        };
        let (_, uv) = content(&r, &half, &mirrored, (1280, 720));
        assert_eq!(uv, [0.75, 0.25, 0.25, 0.75]);
        let rotated = Style {
            rotation: 90.0,
            ..Style::default()
        };
        assert!(!is_one_to_one(&rect, &uv, &rotated, (1280, 720)));
    }
}
