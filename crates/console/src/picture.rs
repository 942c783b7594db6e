//! The producer's pictures: each canvas's program (what its encoder was
//! last given) as a small JPEG, a few times a second, made once for all
//! producer pages and only while one is open. Made on a blocking thread,
//! never on the render path.

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

/// One canvas's picture: `[canvas, 0]` then a JPEG, or None before the first frame.
pub fn jpeg(nv12: &[u8], width: u32, height: u32, canvas: u8) -> Option<Vec<u8>> {
    let step = width.max(height).div_ceil(MAX_SIDE).max(1) as usize;
    let rgb = crate::media::frame::nv12_to_rgb(nv12, width as usize, height as usize, step)?;
    let (w, h) = (
        (width as usize).div_ceil(step) as u32,
        (height as usize).div_ceil(step) as u32,
    );
    let mut out = vec![canvas, 0];
    JpegEncoder::new_with_quality(&mut out, QUALITY)
        .write_image(&rgb, w, h, image::ExtendedColorType::Rgb8)
        .ok()?;
    Some(out)
}

pub async fn run(shared: Arc<Shared>) {
    let mut tick = tokio::time::interval(EVERY);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    let mut closing = shared.closing.clone();
    let mut version = 0;
    loop {
        tokio::select! {
            _ = closing.changed() => break,
            _ = tick.tick() => {}
        }
        if !shared.producers_open() {
            continue;
        }
        let s = shared.clone();
        let frames = tokio::task::spawn_blocking(move || {
            s.engine
                .show()
                .canvases
                .iter()
                .enumerate()
                .filter_map(|(i, c)| {
                    let nv12 = s.engine.program_picture(i)?;
                    jpeg(&nv12, c.width, c.height, i as u8).map(Arc::from)
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
    }
}
