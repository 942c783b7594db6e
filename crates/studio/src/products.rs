//! The products panel: the show's catalog with picture, price and stock;
//! a click (or F1–F9) puts a product's card on air, the card on air is
//! highlighted; previous / next, hide, and the flash-deal countdown.

use super::Studio;
use crate::engine::Command;
use crate::engine::stats::Snapshot;
use crate::graphics::GraphicsCommand as G;
use crate::theme::ON_AIR;
use egui::RichText;
use showroom_products::catalog::Product;
use showroom_products::price::PriceFormatter;

/// The countdown the panel starts (a common flash-deal length).
const DEAL_SECONDS: u64 = 5 * 60;
const THUMB: u32 = 40;

/// What the panel makes once, on first show: the product pictures as egui
/// textures and the price formatter (ICU4X data is not built per frame).
pub struct Cache {
    thumbs: Vec<Option<egui::TextureHandle>>,
    prices: PriceFormatter,
}

fn thumb(ctx: &egui::Context, dir: &std::path::Path, p: &Product) -> Option<egui::TextureHandle> {
    let file = p.images.first()?;
    let img = image::open(dir.join(file)).ok()?.thumbnail(THUMB, THUMB).to_rgba8();
    let size = [img.width() as usize, img.height() as usize];
    let color = egui::ColorImage::from_rgba_unmultiplied(size, img.as_raw());
    Some(ctx.load_texture(format!("product {}", p.id), color, egui::TextureOptions::LINEAR))
}

/// "$39.00 · 12 in stock", "$18.50 · sold out"; `stock` is the engine's
/// (refreshed while the show runs).
fn price_line(p: &Product, stock: Option<u32>, prices: &PriceFormatter) -> String {
    let price = p.variants.first().map(|v| prices.format(&v.price)).unwrap_or_default();
    match stock {
        Some(0) => format!("{price} · sold out"),
        Some(n) => format!("{price} · {n} in stock"),
        None => price,
    }
}

pub fn section(studio: &mut Studio, ui: &mut egui::Ui, snap: &Snapshot) {
    ui.heading("Products");
    // The show is shared, not copied: the catalog is read in place.
    let show = studio.engine().shared_show();
    let setup = &show.graphics;
    if setup.catalog.products.is_empty() {
        ui.label("No catalog: add [products] catalog = \"catalog.csv\" to the show file.");
        return;
    }
    let products = &setup.catalog.products;
    let cache = studio.product_panel.take().unwrap_or_else(|| Cache {
        thumbs: products
            .iter()
            .map(|p| thumb(ui.ctx(), &setup.catalog_dir, p))
            .collect(),
        prices: PriceFormatter::new(&setup.locale)
            .or_else(|_| PriceFormatter::new("en-US"))
            .expect("en-US price data is compiled in"),
    });
    let (thumbs, prices) = (&cache.thumbs, &cache.prices);
    let mut send = Vec::new();
    egui::ScrollArea::vertical()
        .id_salt("product list")
        .max_height(ui.available_height() * 0.4)
        .show(ui, |ui| {
            for (i, p) in products.iter().enumerate() {
                let on_air = snap.graphics.featured.as_deref() == Some(p.code.as_str());
                let key = studio.keys.product_key(i);
                ui.horizontal(|ui| {
                    if let Some(Some(t)) = thumbs.get(i) {
                        ui.image((t.id(), egui::vec2(THUMB as f32, THUMB as f32)));
                    }
                    ui.vertical(|ui| {
                        let mut label = match key {
                            Some(k) => format!("{k}  {} · {}", p.code, p.title),
                            None => format!("{} · {}", p.code, p.title),
                        };
                        if on_air {
                            label += " — ON AIR";
                        }
                        let mut text = RichText::new(label);
                        if on_air {
                            text = text.color(ON_AIR).strong();
                        }
                        let hover = match (on_air, key) {
                            (true, _) => "its card is on air".to_string(),
                            (false, Some(k)) => format!("put its card on air [{k}]"),
                            (false, None) => "put its card on air".to_string(),
                        };
                        if ui
                            .add(egui::Button::new(text).selected(on_air))
                            .on_hover_text(hover)
                            .clicked()
                        {
                            send.push(G::Feature(p.code.clone()));
                        }
                        let stock = match snap.graphics.stock.get(i) {
                            Some(s) => *s,
                            None => p.variants.iter().map(|v| v.stock).sum(),
                        };
                        ui.label(RichText::new(price_line(p, stock, prices)).weak());
                    });
                });
            }
        });
    ui.horizontal(|ui| {
        if ui
            .button("Previous")
            .on_hover_text("feature the previous product")
            .clicked()
        {
            send.push(G::PreviousProduct);
        }
        if ui.button("Next").on_hover_text("feature the next product").clicked() {
            send.push(G::NextProduct);
        }
        if ui
            .add_enabled(snap.graphics.featured.is_some(), egui::Button::new("Hide card"))
            .on_hover_text("take the price card off air")
            .clicked()
        {
            send.push(G::HideProduct);
        }
    });
    ui.horizontal(|ui| match snap.graphics.countdown_left_s {
        Some(s) => {
            ui.label(RichText::new(format!("Countdown {:02}:{:02}", s / 60, s % 60)).color(ON_AIR));
            if ui.button("Stop countdown").clicked() {
                send.push(G::StopCountdown);
            }
        }
        None => {
            if ui
                .button("Start 5:00 countdown")
                .on_hover_text("\"Deal ends in 05:00\" on air, ticking down")
                .clicked()
            {
                send.push(G::StartCountdown {
                    seconds: DEAL_SECONDS,
                    label: None,
                });
            }
        }
    });
    studio.product_panel = Some(cache);
    for g in send {
        studio.command(Command::Graphics(g));
    }
    ui.separator();
}
