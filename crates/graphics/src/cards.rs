//! The graphics themselves, drawn on the CPU into pixmaps sized for one
//! canvas: the price card, lower third, countdown, banner and featured
//! comment. Each is re-drawn only when what it shows changes.

use super::paint::{line, panel, picture_cover, qr};
use super::template::{Place, Template};
use super::text::{Laid, Text, TextStyle};
use tiny_skia::Pixmap;

/// What a price card shows, already formatted.
pub struct CardData<'a> {
    pub title: &'a str,
    pub price: String,
    pub compare_at: Option<String>,
    /// Whole percent off the compare-at price.
    pub discount: Option<u32>,
    /// `None`: stock not tracked.
    pub stock: Option<u32>,
    pub code: &'a str,
    pub badges: Vec<&'static str>,
    pub picture: Option<&'a Pixmap>,
    pub url: Option<&'a str>,
    /// A flash deal's line: "Deal ends in 4:59 · 7 left at this price".
    pub deal: Option<String>,
    /// The call to action instead of the claim words (an auction's "Comment
    /// your bid").
    pub call: Option<String>,
}

/// Design pixels → canvas pixels: templates are drawn for a 1080-pixel
/// short side.
pub fn unit(canvas: (u32, u32)) -> f32 {
    canvas.0.min(canvas.1) as f32 / 1080.0
}

fn style(size: f32, bold: bool, color: [u8; 4], max_lines: usize) -> TextStyle {
    TextStyle {
        size,
        bold,
        color,
        max_lines,
    }
}

/// A new transparent pixmap (sizes are clamped to at least one pixel).
fn canvas_for(w: f32, h: f32) -> Pixmap {
    Pixmap::new(w.ceil().max(1.0) as u32, h.ceil().max(1.0) as u32).expect("non-zero size")
}

/// A rounded pill behind a short text; returns its width.
fn pill(text: &mut Text, pm: &mut Pixmap, laid: &mut Laid, x: f32, y: f32, pad: (f32, f32), bg: [u8; 4]) -> f32 {
    let (w, h) = (laid.width + 2.0 * pad.0, laid.height + 2.0 * pad.1);
    panel(pm, x, y, w, h, h / 2.0, bg);
    text.draw(pm, laid, x + pad.0, y + pad.1);
    w
}

pub fn price_card(text: &mut Text, t: &Template, canvas: (u32, u32), d: &CardData) -> Pixmap {
    let u = unit(canvas);
    let c = &t.colors;
    let w = t.places(canvas).card.width_px(canvas) as f32;
    let (pad, gap) = (24.0 * u, 20.0 * u);
    let pic = d.picture.map(|_| 200.0 * u);
    let qr_side = d.url.filter(|_| t.qr).map(|_| 150.0 * u);
    let x0 = pad + pic.map_or(0.0, |s| s + gap);
    let tw = (w - x0 - pad - qr_side.map_or(0.0, |q| q + gap)).max(40.0 * u);

    let mut badges: Vec<Laid> = d
        .badges
        .iter()
        .map(|b| text.layout(b, &style(20.0 * u, true, c.badge_text.0, 1), tw))
        .collect();
    let mut title = text.layout(d.title, &style(38.0 * u, true, c.text.0, 2), tw);
    let mut price = text.layout(&d.price, &style(50.0 * u, true, c.accent.0, 1), tw);
    let mut compare = d
        .compare_at
        .as_ref()
        .map(|p| text.layout(p, &style(30.0 * u, false, c.muted.0, 1), tw));
    // The discount leads the badge row, where it never crowds the price.
    if let Some(p) = d.discount {
        badges.insert(
            0,
            text.layout(&format!("-{p}%"), &style(20.0 * u, true, c.badge_text.0, 1), tw),
        );
    }
    let stock_words = match d.stock {
        Some(0) => Some((t.words.sold_out.clone(), c.sold_out.0)),
        Some(n) if n <= t.words.low_stock => Some((t.words.only_left.replace("{n}", &n.to_string()), c.stock.0)),
        _ => None,
    };
    let mut stock = stock_words.map(|(s, col)| text.layout(&s, &style(28.0 * u, true, col, 1), tw));
    let mut deal = d
        .deal
        .as_ref()
        .map(|s| text.layout(s, &style(28.0 * u, true, c.badge.0, 2), tw));
    let mut claim = text.layout(
        &d.call
            .clone()
            .unwrap_or_else(|| t.words.claim.replace("{code}", d.code)),
        &style(28.0 * u, true, c.text.0, 1),
        tw,
    );

    let badge_h = badges.first().map_or(0.0, |b| b.height + 8.0 * u + 10.0 * u);
    let text_h = badge_h
        + title.height
        + 6.0 * u
        + price.height
        + 6.0 * u
        + stock.as_ref().map_or(0.0, |s| s.height)
        + deal.as_ref().map_or(0.0, |s| s.height + 4.0 * u)
        + claim.height;
    let h = 2.0 * pad + text_h.max(pic.unwrap_or(0.0)).max(qr_side.unwrap_or(0.0));
    let mut pm = canvas_for(w, h);
    let radius = t.radius * u;
    panel(&mut pm, 0.0, 0.0, w, h, radius, c.panel.0);
    if let (Some(p), Some(side)) = (d.picture, pic) {
        picture_cover(&mut pm, p, pad, pad, side, side, radius * 0.6);
    }
    if let (Some(url), Some(side)) = (d.url, qr_side) {
        qr(&mut pm, url, w - pad - side, pad, side, c.qr_dark.0, c.qr_light.0);
    }
    let mut y = pad;
    let mut x = x0;
    for b in &mut badges {
        x += pill(text, &mut pm, b, x, y, (10.0 * u, 4.0 * u), c.badge.0) + 8.0 * u;
    }
    y += badge_h;
    text.draw(&mut pm, &mut title, x0, y);
    y += title.height + 6.0 * u;
    let row_h = price.height;
    text.draw(&mut pm, &mut price, x0, y);
    let x = x0 + price.width + 16.0 * u;
    if let Some(cmp) = &mut compare {
        let cy = y + (row_h - cmp.height) / 2.0;
        text.draw(&mut pm, cmp, x, cy);
        let mid = cy + cmp.height * 0.55;
        line(
            &mut pm,
            (x - 2.0 * u, mid),
            (x + cmp.width + 2.0 * u, mid),
            3.0 * u,
            c.muted.0,
        );
    }
    y += row_h + 6.0 * u;
    if let Some(s) = &mut deal {
        text.draw(&mut pm, s, x0, y);
        y += s.height + 4.0 * u;
    }
    if let Some(s) = &mut stock {
        text.draw(&mut pm, s, x0, y);
        y += s.height;
    }
    text.draw(&mut pm, &mut claim, x0, y);
    pm
}

pub fn lower_third(text: &mut Text, t: &Template, canvas: (u32, u32), name: &str, title: &str) -> Pixmap {
    let u = unit(canvas);
    let c = &t.colors;
    let w = t.places(canvas).lower_third.width_px(canvas) as f32;
    let (pad, bar) = (22.0 * u, 10.0 * u);
    let tw = w - 2.0 * pad - bar - 12.0 * u;
    let mut name = text.layout(name, &style(46.0 * u, true, c.text.0, 1), tw);
    let mut title = text.layout(title, &style(30.0 * u, false, c.muted.0, 1), tw);
    let h = 2.0 * pad + name.height + title.height;
    let mut pm = canvas_for(w, h);
    panel(&mut pm, 0.0, 0.0, w, h, t.radius * u, c.panel.0);
    panel(&mut pm, pad, pad, bar, h - 2.0 * pad, bar / 2.0, c.accent.0);
    let x = pad + bar + 12.0 * u;
    text.draw(&mut pm, &mut name, x, pad);
    text.draw(&mut pm, &mut title, x, pad + name.height);
    pm
}

/// "Deal ends in 04:59".
pub fn countdown(text: &mut Text, t: &Template, canvas: (u32, u32), label: &str, remaining_s: u64) -> Pixmap {
    let u = unit(canvas);
    let c = &t.colors;
    let w = t.places(canvas).countdown.width_px(canvas) as f32;
    let pad = 18.0 * u;
    let clock = if remaining_s >= 3600 {
        format!(
            "{}:{:02}:{:02}",
            remaining_s / 3600,
            remaining_s / 60 % 60,
            remaining_s % 60
        )
    } else {
        format!("{:02}:{:02}", remaining_s / 60, remaining_s % 60)
    };
    let mut time = text.layout(&clock, &style(52.0 * u, true, c.accent.0, 1), w - 2.0 * pad);
    let tw = (w - 3.0 * pad - time.width).max(10.0 * u);
    let mut label = text.layout(label, &style(30.0 * u, true, c.text.0, 1), tw);
    let h = 2.0 * pad + time.height.max(label.height);
    let mut pm = canvas_for(w, h);
    panel(&mut pm, 0.0, 0.0, w, h, t.radius * u, c.panel.0);
    let label_y = (h - label.height) / 2.0;
    text.draw(&mut pm, &mut label, pad, label_y);
    let (time_x, time_y) = (w - pad - time.width, (h - time.height) / 2.0);
    text.draw(&mut pm, &mut time, time_x, time_y);
    pm
}

/// The show's mode: white capitals on red, as wide as the words.
pub fn mark(text: &mut Text, t: &Template, canvas: (u32, u32), words: &str) -> Pixmap {
    let u = unit(canvas);
    let pad = 14.0 * u;
    let max = canvas.0 as f32 * 0.4 - 2.0 * pad;
    let mut line = text.layout(words, &style(34.0 * u, true, [255, 255, 255, 255], 1), max);
    let (w, h) = (line.width + 2.0 * pad, line.height + 1.2 * pad);
    // As wide as its place, the badge centred in it (the rest transparent).
    let full = canvas.0 as f32 * 0.4;
    let x = ((full - w) / 2.0).max(0.0);
    let mut pm = canvas_for(full, h);
    panel(&mut pm, x, 0.0, w, h, t.radius * u, [0xC8, 0x10, 0x2E, 0xFF]);
    text.draw(&mut pm, &mut line, x + pad, 0.6 * pad);
    pm
}

/// Widest picture a graphic may be (the GPU's texture limit, with room).
const MAX_WIDTH: f32 = 8000.0;

/// A banner whose text fits is drawn as is; a longer one becomes a ticker:
/// a strip holding the text twice, one `cycle` apart, that the compositor
/// scrolls through a banner-wide window. Returns the picture and the cycle
/// in pixels for a ticker.
pub fn banner_or_ticker(text: &mut Text, t: &Template, canvas: (u32, u32), words: &str) -> (Pixmap, Option<u32>) {
    let u = unit(canvas);
    let c = &t.colors;
    let w = t.places(canvas).banner.width_px(canvas) as f32;
    let pad = 16.0 * u;
    let style = style(36.0 * u, true, c.text.0, 1);
    let mut one_line = text.layout(words, &style, MAX_WIDTH - w);
    if one_line.width <= w - 2.0 * pad {
        return (banner(text, t, canvas, words), None);
    }
    let gap = 120.0 * u;
    let cycle = (one_line.width + gap).ceil();
    let h = one_line.height + 2.0 * pad;
    let mut pm = canvas_for(cycle + w, h);
    panel(&mut pm, 0.0, 0.0, cycle + w, h, 0.0, c.accent.0);
    let mut second = text.layout(words, &style, MAX_WIDTH - w);
    text.draw(&mut pm, &mut one_line, pad, pad);
    text.draw(&mut pm, &mut second, pad + cycle, pad);
    (pm, Some(cycle as u32))
}

pub fn banner(text: &mut Text, t: &Template, canvas: (u32, u32), words: &str) -> Pixmap {
    let u = unit(canvas);
    let c = &t.colors;
    let place: &Place = &t.places(canvas).banner;
    let w = place.width_px(canvas) as f32;
    let pad = 16.0 * u;
    let mut laid = text.layout(words, &style(36.0 * u, true, c.text.0, 1), w - 2.0 * pad);
    let h = laid.height + 2.0 * pad;
    let mut pm = canvas_for(w, h);
    // Full-width banners are square-cornered: they meet the canvas edges.
    let radius = if place.width >= 1.0 { 0.0 } else { t.radius * u };
    panel(&mut pm, 0.0, 0.0, w, h, radius, c.accent.0);
    let x = (w - laid.width) / 2.0;
    text.draw(&mut pm, &mut laid, x, pad);
    pm
}

/// The colour a platform is known by (its chip on the comment card).
pub fn platform_color(platform: &str) -> [u8; 4] {
    match platform.to_ascii_lowercase().as_str() {
        "youtube" => [0xFF, 0x00, 0x33, 255],
        "tiktok" => [0x25, 0xF4, 0xEE, 255],
        "instagram" => [0xE1, 0x30, 0x6C, 255],
        "facebook" => [0x18, 0x77, 0xF2, 255],
        "twitch" => [0x91, 0x46, 0xFF, 255],
        "amazon" => [0xFF, 0x99, 0x00, 255],
        "bambuser" => [0x1E, 0xD7, 0x60, 255],
        _ => [0x80, 0x88, 0x94, 255],
    }
}

pub fn comment(text: &mut Text, t: &Template, canvas: (u32, u32), author: &str, platform: &str, body: &str) -> Pixmap {
    let u = unit(canvas);
    let c = &t.colors;
    let w = t.places(canvas).comment.width_px(canvas) as f32;
    let pad = 20.0 * u;
    let tw = w - 2.0 * pad;
    let mut chip = text.layout(platform, &style(22.0 * u, true, [0x11, 0x14, 0x18, 255], 1), tw / 2.0);
    let chip_w = chip.width + 20.0 * u;
    let mut author = text.layout(author, &style(30.0 * u, true, c.text.0, 1), tw - chip_w - 12.0 * u);
    let mut body = text.layout(body, &style(32.0 * u, false, c.text.0, 3), tw);
    let row = author.height.max(chip.height + 8.0 * u);
    let h = 2.0 * pad + row + 6.0 * u + body.height;
    let mut pm = canvas_for(w, h);
    panel(&mut pm, 0.0, 0.0, w, h, t.radius * u, c.panel.0);
    let chip_h = chip.height + 8.0 * u;
    pill(
        text,
        &mut pm,
        &mut chip,
        pad,
        pad + (row - chip_h) / 2.0,
        (10.0 * u, 4.0 * u),
        platform_color(platform),
    );
    let author_y = pad + (row - author.height) / 2.0;
    text.draw(&mut pm, &mut author, pad + chip_w + 12.0 * u, author_y);
    text.draw(&mut pm, &mut body, pad, pad + row + 6.0 * u);
    pm
}
