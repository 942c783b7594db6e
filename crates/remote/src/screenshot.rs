//! GetSourceScreenshot: the program picture of a canvas (what its encoder
//! was last given), scaled "to inner" as OBS does and written as PNG or
//! JPEG in a data URI. Showroom draws each scene only where it is shown,
//! so the scene asked for must be the one on program.

use crate::args::{Args, Reply};
use crate::protocol::status;
use crate::requests::Ctx;
use base64::Engine as _;
use image::codecs::jpeg::JpegEncoder;
use image::{ImageEncoder, RgbImage};
use serde_json::json;

pub const FORMATS: &[&str] = &["png", "jpg", "jpeg"];

/// The size that fits in (w, h) keeping the aspect (either may be None).
fn fit(src: (u32, u32), w: Option<u32>, h: Option<u32>) -> (u32, u32) {
    let (sw, sh) = (src.0 as f64, src.1 as f64);
    let scale = match (w, h) {
        (None, None) => 1.0,
        (Some(w), None) => w as f64 / sw,
        (None, Some(h)) => h as f64 / sh,
        (Some(w), Some(h)) => (w as f64 / sw).min(h as f64 / sh),
    };
    (
        ((sw * scale).round() as u32).max(1),
        ((sh * scale).round() as u32).max(1),
    )
}

pub fn screenshot(ctx: &Ctx, args: Args<'_>, source: String, canvas: usize) -> Result<Reply, Reply> {
    let format = args.str("imageFormat")?.to_ascii_lowercase();
    if !FORMATS.contains(&format.as_str()) {
        return Err(Reply::fail(
            status::INVALID_REQUEST_FIELD,
            format!("The image format `{format}` is not one of {}.", FORMATS.join(", ")),
        ));
    }
    let width = args.opt_num("imageWidth", 8.0, 4096.0)?.map(|v| v as u32);
    let height = args.opt_num("imageHeight", 8.0, 4096.0)?.map(|v| v as u32);
    let quality = args.opt_num("imageCompressionQuality", -1.0, 100.0)?.unwrap_or(-1.0);
    let program = ctx.engine.snapshot().scene;
    if source != program {
        return Err(Reply::fail(
            status::INVALID_RESOURCE_STATE,
            format!(
                "Showroom takes screenshots of what is on program: ask for the scene `{program}` (not `{source}`)."
            ),
        ));
    }
    let c = &ctx.engine.show().canvases[canvas];
    let (cw, ch) = (c.width, c.height);
    let nv12 = ctx.engine.program_picture(canvas).ok_or_else(|| {
        Reply::fail(
            status::NOT_READY,
            "No picture has been drawn yet: try again in a moment.",
        )
    })?;
    let rgb = crate::media::frame::nv12_to_rgb(&nv12, cw as usize, ch as usize, 1)
        .and_then(|p| RgbImage::from_raw(cw, ch, p))
        .ok_or_else(|| {
            Reply::fail(
                status::REQUEST_PROCESSING_FAILED,
                "The program picture could not be read.",
            )
        })?;
    let (w, h) = fit((cw, ch), width, height);
    let img = if (w, h) == (cw, ch) {
        rgb
    } else {
        image::imageops::resize(&rgb, w, h, image::imageops::FilterType::Triangle)
    };
    let mut bytes = Vec::new();
    let written = if format == "png" {
        image::codecs::png::PngEncoder::new(&mut bytes).write_image(img.as_raw(), w, h, image::ExtendedColorType::Rgb8)
    } else {
        let q = if quality < 0.0 {
            90
        } else {
            quality.clamp(1.0, 100.0) as u8
        };
        JpegEncoder::new_with_quality(&mut bytes, q).write_image(img.as_raw(), w, h, image::ExtendedColorType::Rgb8)
    };
    written.map_err(|e| {
        Reply::fail(
            status::REQUEST_PROCESSING_FAILED,
            format!("The picture could not be written: {e}"),
        )
    })?;
    let mime = if format == "png" { "png" } else { "jpeg" };
    let data = base64::engine::general_purpose::STANDARD.encode(&bytes);
    Ok(Reply::data(
        json!({ "imageData": format!("data:image/{mime};base64,{data}") }),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_scale_to_inner_keeping_the_aspect() {
        assert_eq!(fit((1280, 720), None, None), (1280, 720));
        assert_eq!(fit((1280, 720), Some(640), None), (640, 360));
        assert_eq!(fit((1280, 720), Some(640), Some(100)), (178, 100));
    }
}
