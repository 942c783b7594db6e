//! Stock and price refresh while a show runs: the catalog file is read
//! again when it changes (a shop system or a moderator's script can write
//! it), or a Shopify storefront's availability is fetched, every `every`.
//! What it finds goes to the stock's one owner (the claims ledger with
//! `[chat]`, else the graphics): docs/products.md, "Stock". A failed
//! refresh is logged and the last stock stays. The first refresh is at the
//! start, so a figure changed while the show was closed counts at once.

use crate::shutdown::Shutdown;
use std::path::PathBuf;
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

/// Where refreshed catalogs go.
pub type StockSink = Box<dyn FnMut(super::catalog::Catalog) + Send>;

/// Refreshes until the show stops.
pub fn spawn(refresh: Refresh, mut sink: StockSink, stop: Shutdown) -> std::io::Result<std::thread::JoinHandle<()>> {
    std::thread::Builder::new().name("stock".into()).spawn(move || {
        let mut last_modified = None;
        let mut due = Instant::now();
        while !stop.wait_until(due) {
            due = Instant::now() + refresh.every;
            match fetch(&refresh.from, &mut last_modified) {
                Ok(Some(fresh)) => sink(fresh),
                Ok(None) => {}
                Err(e) => tracing::warn!("stock refresh failed (the last stock stays on screen): {e}"),
            }
        }
    })
}
