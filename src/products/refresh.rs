//! Stock and price refresh while a show runs: the catalog file is read
//! again when it changes (a shop system or a moderator's script can write
//! it), or a Shopify storefront's availability is fetched, every `every`.
//! What changed goes to the graphics (the card on air re-draws) and to the
//! event log. A failed refresh is logged and the last stock stays.

use crate::graphics::Overlays;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

#[derive(Debug, Clone, PartialEq)]
pub enum RefreshFrom {
    /// The catalog file, read again when its modification time changes.
    File { path: PathBuf, currency: Option<String> },
    /// A storefront's products.json (availability and prices).
    Shopify { store: String, currency: String },
}

#[derive(Debug, Clone, PartialEq)]
pub struct Refresh {
    pub every: Duration,
    pub from: RefreshFrom,
}

fn modified(path: &std::path::Path) -> Option<SystemTime> {
    std::fs::metadata(path).and_then(|m| m.modified()).ok()
}

/// One refresh: the fresh catalog, or None when nothing could have changed.
fn fetch(
    from: &RefreshFrom,
    last_modified: &mut Option<SystemTime>,
) -> Result<Option<super::catalog::Catalog>, String> {
    match from {
        RefreshFrom::File { path, currency } => {
            let m = modified(path);
            if m == *last_modified {
                return Ok(None);
            }
            let (catalog, problems) = super::json::load_file(path, currency.as_deref())?;
            for p in problems {
                tracing::warn!("stock refresh: {p}");
            }
            *last_modified = m;
            Ok(Some(catalog))
        }
        RefreshFrom::Shopify { store, currency } => {
            let opts = super::shopify::Options::new(currency);
            let (catalog, problems) = super::shopify::import(store, &opts, &mut |_| {})?;
            for p in problems {
                tracing::warn!("stock refresh: {p}");
            }
            Ok(Some(catalog))
        }
    }
}

/// Refreshes until the show stops.
pub fn spawn(
    refresh: Refresh,
    overlays: Arc<Mutex<Overlays>>,
    stop: Arc<AtomicBool>,
    t0: Instant,
) -> std::io::Result<std::thread::JoinHandle<()>> {
    std::thread::Builder::new().name("stock".into()).spawn(move || {
        let mut last_modified = match &refresh.from {
            RefreshFrom::File { path, .. } => modified(path),
            RefreshFrom::Shopify { .. } => None,
        };
        let mut due = Instant::now() + refresh.every;
        while !stop.load(Ordering::Relaxed) {
            if Instant::now() < due {
                std::thread::sleep(Duration::from_millis(50));
                continue;
            }
            due = Instant::now() + refresh.every;
            match fetch(&refresh.from, &mut last_modified) {
                Ok(Some(fresh)) => {
                    let now_ns = t0.elapsed().as_nanos() as u64;
                    let changed = overlays
                        .lock()
                        .unwrap_or_else(|e| e.into_inner())
                        .update_stock(&fresh, now_ns);
                    if !changed.is_empty() {
                        tracing::info!("stock refreshed: {} changed", changed.join(", "));
                    }
                }
                Ok(None) => {}
                Err(e) => tracing::warn!("stock refresh failed (the last stock stays on screen): {e}"),
            }
        }
    })
}
