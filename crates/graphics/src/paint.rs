//! Drawing primitives for graphics on the CPU (tiny-skia): rounded panels,
//! lines, pictures scaled to cover a box, QR codes; and the hand-over of a
//! finished pixmap to the compositor as a straight-alpha RGBA frame.

use crate::media::frame::{Matrix, PixelFormat, VideoFrame};
use tiny_skia::{
    Color, FillRule, FilterQuality, Mask, Paint, PathBuilder, Pixmap, PixmapPaint, Rect, Stroke, Transform,
};

/// "#RRGGBB" or "#RRGGBBAA" → straight RGBA bytes.
pub fn parse_hex(text: &str) -> Option<[u8; 4]> {
    let hex = text.strip_prefix('#')?;
    let byte = |i: usize| u8::from_str_radix(hex.get(i..i + 2)?, 16).ok();
    match hex.len() {
        6 => Some([byte(0)?, byte(2)?, byte(4)?, 255]),
        8 => Some([byte(0)?, byte(2)?, byte(4)?, byte(6)?]),
        _ => None,
    }
}

fn paint(rgba: [u8; 4]) -> Paint<'static> {
    let mut p = Paint::default();
    p.set_color(Color::from_rgba8(rgba[0], rgba[1], rgba[2], rgba[3]));
    p.anti_alias = true;
    p
}

/// A rectangle with rounded corners as a path (cubic quarter circles).
fn rounded_path(x: f32, y: f32, w: f32, h: f32, r: f32) -> Option<tiny_skia::Path> {
    let r = r.clamp(0.0, w.min(h) / 2.0);
    if r <= 0.0 {
        return Some(PathBuilder::from_rect(Rect::from_xywh(x, y, w, h)?));
    }
    // Control-point distance of a cubic that approximates a quarter circle.
    let k = r * 0.552_284_8;
    let mut pb = PathBuilder::new();
    pb.move_to(x + r, y);
    pb.line_to(x + w - r, y);
    pb.cubic_to(x + w - r + k, y, x + w, y + r - k, x + w, y + r);
    pb.line_to(x + w, y + h - r);
    pb.cubic_to(x + w, y + h - r + k, x + w - r + k, y + h, x + w - r, y + h);
    pb.line_to(x + r, y + h);
    pb.cubic_to(x + r - k, y + h, x, y + h - r + k, x, y + h - r);
    pb.line_to(x, y + r);
    pb.cubic_to(x, y + r - k, x + r - k, y, x + r, y);
    pb.close();
    pb.finish()
}

/// Fills a rounded rectangle.
pub fn panel(pixmap: &mut Pixmap, x: f32, y: f32, w: f32, h: f32, radius: f32, rgba: [u8; 4]) {
    if let Some(path) = rounded_path(x, y, w, h, radius) {
        pixmap.fill_path(&path, &paint(rgba), FillRule::Winding, Transform::identity(), None);
    }
}

/// A straight line `width` pixels wide.
pub fn line(pixmap: &mut Pixmap, from: (f32, f32), to: (f32, f32), width: f32, rgba: [u8; 4]) {
    let mut pb = PathBuilder::new();
    pb.move_to(from.0, from.1);
    pb.line_to(to.0, to.1);
    if let Some(path) = pb.finish() {
        let stroke = Stroke {
            width,
            ..Stroke::default()
        };
        pixmap.stroke_path(&path, &paint(rgba), &stroke, Transform::identity(), None);
    }
}

/// Draws `picture` scaled to cover the box (cropping what overflows, never
/// stretching), with rounded corners.
pub fn picture_cover(pixmap: &mut Pixmap, picture: &Pixmap, x: f32, y: f32, w: f32, h: f32, radius: f32) {
    let (pw, ph) = (picture.width() as f32, picture.height() as f32);
    let scale = (w / pw).max(h / ph);
    let (dx, dy) = (x + (w - pw * scale) / 2.0, y + (h - ph * scale) / 2.0);
    let mut clip = Mask::new(pixmap.width(), pixmap.height());
    if let (Some(clip), Some(path)) = (clip.as_mut(), rounded_path(x, y, w, h, radius)) {
        clip.fill_path(&path, FillRule::Winding, true, Transform::identity());
    }
    let paint = PixmapPaint {
        quality: FilterQuality::Bicubic,
        ..PixmapPaint::default()
    };
    pixmap.draw_pixmap(
        0,
        0,
        picture.as_ref(),
        &paint,
        Transform::from_row(scale, 0.0, 0.0, scale, dx, dy),
        clip.as_ref(),
    );
}

/// A QR code for `text`, dark on light with a two-module quiet zone, fitted
/// into a `size`-pixel square at (x, y). Returns false if the text is too
/// long for a QR code.
pub fn qr(pixmap: &mut Pixmap, text: &str, x: f32, y: f32, size: f32, dark: [u8; 4], light: [u8; 4]) -> bool {
    let Ok(code) = qrcode::QrCode::new(text.as_bytes()) else {
        return false;
    };
    let n = code.width();
    let module = (size / (n + 4) as f32).floor().max(1.0);
    let side = module * (n + 4) as f32;
    panel(pixmap, x, y, side, side, module, light);
    let fill = paint(dark);
    for (i, c) in code.to_colors().into_iter().enumerate() {
        if c == qrcode::Color::Dark {
            let (mx, my) = ((i % n) as f32, (i / n) as f32);
            if let Some(r) = Rect::from_xywh(x + (mx + 2.0) * module, y + (my + 2.0) * module, module, module) {
                pixmap.fill_rect(r, &fill, Transform::identity(), None);
            }
        }
    }
    true
}

/// The longest side a product picture is kept at (a card on a 4K canvas
/// shows it smaller).
pub const MAX_PICTURE_PX: u32 = 1024;

/// Why a picture file could not be shown.
#[derive(Debug, thiserror::Error)]
pub enum PictureError {
    #[error("cannot read picture {}: {err}", path.display())]
    Read {
        path: std::path::PathBuf,
        err: image::ImageError,
    },
    #[error("picture {} is empty", .0.display())]
    Empty(std::path::PathBuf),
}

/// A decoded picture file (PNG, JPEG, WebP) as a premultiplied pixmap, at
/// most `MAX_PICTURE_PX` on its longest side.
pub fn load_picture(path: &std::path::Path) -> Result<Pixmap, PictureError> {
    let mut img = image::open(path).map_err(|err| PictureError::Read {
        path: path.to_path_buf(),
        err,
    })?;
    // Kept for the show's length: no bigger than a card can show (a
    // catalog of 4000-pixel photos would otherwise hold gigabytes).
    if img.width().max(img.height()) > MAX_PICTURE_PX {
        img = img.thumbnail(MAX_PICTURE_PX, MAX_PICTURE_PX);
    }
    let rgba = img.to_rgba8();
    let (w, h) = rgba.dimensions();
    let mut pixmap = Pixmap::new(w, h).ok_or_else(|| PictureError::Empty(path.to_path_buf()))?;
    for (dst, src) in pixmap.pixels_mut().iter_mut().zip(rgba.pixels()) {
        *dst = tiny_skia::ColorU8::from_rgba(src[0], src[1], src[2], src[3]).premultiply();
    }
    Ok(pixmap)
}

/// The pixmap as a straight-alpha RGBA frame for the compositor (its layer
/// shader takes straight alpha and premultiplies).
pub fn to_frame(pixmap: &Pixmap) -> VideoFrame {
    let mut data = Vec::with_capacity(pixmap.data().len());
    for p in pixmap.pixels() {
        let c = p.demultiply();
        data.extend_from_slice(&[c.red(), c.green(), c.blue(), c.alpha()]);
    }
    VideoFrame::from_raw(
        PixelFormat::Rgba,
        pixmap.width(),
        pixmap.height(),
        data,
        Matrix::Bt709,
        true,
    )
}
