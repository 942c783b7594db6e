//! The producer's pictures: each canvas's program (what its encoder was
//! last given) and preview (drawn for the console twice a second while a
//! producer looks: `Engine::want_preview_pictures`) as small JPEGs, made
//! once for all producer pages and only while one is open. Made on a
//! blocking thread, never on the render path.

use crate::server::{Pictures, Shared};
use image::ImageEncoder;
use image::codecs::jpeg::JpegEncoder;
use std::sync::Arc;
use std::time::Duration;

/// How often the pictures are refreshed.
pub const EVERY: Duration = Duration::from_millis(333);
/// The longest side of a picture, in pixels (a phone's pane).
pub const MAX_SIDE: u32 = 480;
pub const QUALITY: u8 = 70;

/// Which picture of a canvas a frame holds (its second byte).
pub const PROGRAM: u8 = 0;
pub const PREVIEW: u8 = 1;

fn step_of(width: u32, height: u32) -> usize {
    width.max(height).div_ceil(MAX_SIDE).max(1) as usize
}

/// One canvas's program picture: `[canvas, PROGRAM]` then a JPEG.
pub fn jpeg(nv12: &[u8], width: u32, height: u32, canvas: u8) -> Option<Vec<u8>> {
    let step = step_of(width, height);
    let rgb = crate::media::frame::nv12_to_rgb(nv12, width as usize, height as usize, step)?;
    encode(&rgb, width, height, step, [canvas, PROGRAM])
}

/// One canvas's preview picture (RGBA rows): `[canvas, PREVIEW]` then a JPEG.
pub fn jpeg_rgba(rgba: &[u8], width: u32, height: u32, canvas: u8) -> Option<Vec<u8>> {
    let (w, h) = (width as usize, height as usize);
    if rgba.len() < w * h * 4 {
        return None;
    }
    let step = step_of(width, height);
    let mut rgb = Vec::with_capacity(w.div_ceil(step) * h.div_ceil(step) * 3);
    for row in (0..h).step_by(step) {
        for col in (0..w).step_by(step) {
            let i = (row * w + col) * 4;
            rgb.extend_from_slice(&rgba[i..i + 3]);
        }
    }
    encode(&rgb, width, height, step, [canvas, PREVIEW])
}

fn encode(rgb: &[u8], width: u32, height: u32, step: usize, head: [u8; 2]) -> Option<Vec<u8>> {
    let (w, h) = (
        (width as usize).div_ceil(step) as u32,
        (height as usize).div_ceil(step) as u32,
    );
    let mut out = head.to_vec();
    JpegEncoder::new_with_quality(&mut out, QUALITY)
        .write_image(rgb, w, h, image::ExtendedColorType::Rgb8)
        .ok()?;
    Some(out)
}

pub async fn run(shared: Arc<Shared>) {
    let mut tick = tokio::time::interval(EVERY);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    let mut closing = shared.closing.clone();
    let mut version = 0;
    let mut previews_on = false;
    loop {
        tokio::select! {
            _ = closing.changed() => break,
            _ = tick.tick() => {}
        }
        let producers = shared.producers_open();
        if producers != previews_on {
            // Preview pictures cost the engine a render: only while a producer looks.
            shared.engine.want_preview_pictures(producers);
            previews_on = producers;
        }
        if !producers {
            continue;
        }
        let s = shared.clone();
        let frames = tokio::task::spawn_blocking(move || {
            s.engine
                .show()
                .canvases
                .iter()
                .enumerate()
                .flat_map(|(i, c)| {
                    let program = s
                        .engine
                        .program_picture(i)
                        .and_then(|nv12| jpeg(&nv12, c.width, c.height, i as u8));
                    let preview = s
                        .engine
                        .preview_picture(i)
                        .and_then(|rgba| jpeg_rgba(&rgba, c.width, c.height, i as u8));
                    [program, preview].into_iter().flatten().map(Arc::from)
                })
                .collect::<Vec<Arc<[u8]>>>()
        })
        .await
        .unwrap_or_default();
        if frames.is_empty() {
            continue;
        }
        version += 1;
        shared.pictures.send_replace(Pictures { version, frames });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_picture_is_small_and_a_jpeg() {
        let (w, h) = (1280u32, 720u32);
        let mut nv12 = vec![200u8; (w * h) as usize];
        nv12.extend(std::iter::repeat_n(128u8, (w * h / 2) as usize));
        let j = jpeg(&nv12, w, h, 1).unwrap();
        assert_eq!(&j[..2], &[1, 0]);
        let img = image::load_from_memory(&j[2..]).unwrap();
        assert_eq!((img.width(), img.height()), (427, 240));
        assert!(jpeg(&nv12[..100], w, h, 0).is_none());
        let rgba = vec![255u8; (w * h * 4) as usize];
        let p = jpeg_rgba(&rgba, w, h, 2).unwrap();
        assert_eq!(&p[..2], &[2, PREVIEW]);
        assert!(jpeg_rgba(&rgba[..10], w, h, 0).is_none());
    }
}
