//! Import from a Shopify storefront's public `/products.json`: every page
//! (250 products each), with a timeout per request, 429 answered by waiting
//! as long as Retry-After says, and plain-words errors for 401/403/404 and
//! for responses that are not products.json. Pictures are downloaded once
//! next to the catalog so the show works offline.

use super::catalog::{Badge, Catalog, Product, Variant, valid_code};
use super::images;
use super::json::amount;
use super::price::Money;
use serde::Deserialize;
use std::path::PathBuf;
use std::time::Duration;

/// Longest wait a 429's Retry-After is honoured for.
const MAX_RETRY_AFTER: Duration = Duration::from_secs(60);

pub struct Options {
    /// ISO 4217: products.json does not say which currency prices are in.
    pub currency: String,
    pub timeout: Duration,
    /// Pages at most (250 products each).
    pub max_pages: u32,
    /// Tries of one page answered 429.
    pub tries: u32,
    /// Where pictures are downloaded; None: pictures stay URLs.
    pub images_dir: Option<PathBuf>,
}

impl Options {
    pub fn new(currency: &str) -> Options {
        Options {
            currency: currency.to_string(),
            timeout: Duration::from_secs(20),
            max_pages: 40,
            tries: 4,
            images_dir: None,
        }
    }
}

#[derive(Deserialize)]
struct Page {
    products: Vec<serde_json::Value>,
}

#[derive(Deserialize)]
struct ShopifyProduct {
    handle: String,
    title: String,
    #[serde(default)]
    tags: Tags,
    variants: Vec<ShopifyVariant>,
    #[serde(default)]
    images: Vec<ShopifyImage>,
}

/// Storefronts send tags as a list; older exports as one comma-separated string.
#[derive(Deserialize, Default)]
#[serde(untagged)]
enum Tags {
    List(Vec<String>),
    Text(String),
    #[default]
    None,
}

impl Tags {
    fn all(&self) -> Vec<String> {
        match self {
            Tags::List(l) => l.iter().map(|t| t.trim().to_string()).collect(),
            Tags::Text(t) => t.split(',').map(|t| t.trim().to_string()).collect(),
            Tags::None => Vec::new(),
        }
    }
}

#[derive(Deserialize)]
struct ShopifyVariant {
    title: Option<String>,
    price: serde_json::Value,
    compare_at_price: Option<serde_json::Value>,
    sku: Option<String>,
    available: Option<bool>,
    inventory_quantity: Option<i64>,
}

#[derive(Deserialize)]
struct ShopifyImage {
    src: String,
}

/// The storefront's base URL, checked: `https://shop.example.com`.
fn base_url(store: &str) -> Result<String, String> {
    let s = store.trim().trim_end_matches('/');
    let s = s.strip_suffix("/products.json").unwrap_or(s);
    if !images::is_url(s) || s.split("://").nth(1).is_none_or(|h| h.is_empty()) {
        return Err(format!(
            "\"{store}\" is not a shop address — give it like https://shop.example.com"
        ));
    }
    Ok(s.to_string())
}

/// One page, retried while the store answers 429.
fn get_page(
    client: &reqwest::blocking::Client,
    url: &str,
    opts: &Options,
    progress: &mut dyn FnMut(&str),
) -> Result<String, String> {
    let mut tries = 0;
    loop {
        tries += 1;
        let resp = client
            .get(url)
            .header("Accept", "application/json")
            .send()
            .map_err(|e| format!("cannot reach {url}: {}", images::plain(&e)))?;
        let status = resp.status().as_u16();
        match status {
            200..=299 => {
                return resp
                    .text()
                    .map_err(|e| format!("{url}: the answer was cut off: {}", images::plain(&e)));
            }
            429 if tries < opts.tries => {
                let wait = resp
                    .headers()
                    .get("retry-after")
                    .and_then(|v| v.to_str().ok())
                    .and_then(|v| v.trim().parse::<f64>().ok())
                    .map(Duration::from_secs_f64)
                    .unwrap_or(Duration::from_secs(2))
                    .min(MAX_RETRY_AFTER);
                progress(&format!(
                    "the store asks us to slow down (HTTP 429): waiting {:.0} s",
                    wait.as_secs_f64()
                ));
                std::thread::sleep(wait);
            }
            429 => {
                return Err(format!(
                    "{url}: the store kept refusing with HTTP 429 (too many requests) after {tries} tries — wait a few minutes and import again"
                ));
            }
            401 | 403 => {
                return Err(format!(
                    "{url}: HTTP {status} — the store is password-protected or closed to the public; open it (Online Store › Preferences) or export a CSV from the admin instead"
                ));
            }
            404 => {
                return Err(format!(
                    "{url}: HTTP 404 — no products.json there; is it a Shopify storefront? give the shop's own address, like https://shop.example.com"
                ));
            }
            _ => return Err(format!("{url}: HTTP {status} from the store — try again later")),
        }
    }
}

/// Imports every product of the storefront at `store`. Products that cannot
/// be read are named in the problems and skipped; an error stops the import.
pub fn import(store: &str, opts: &Options, progress: &mut dyn FnMut(&str)) -> Result<(Catalog, Vec<String>), String> {
    let base = base_url(store)?;
    Money::parse("0", &opts.currency).map_err(|e| e.to_string())?;
    let client = images::client(opts.timeout).map_err(|e| e.to_string())?;
    let mut raw = Vec::new();
    for page in 1..=opts.max_pages {
        let url = format!("{base}/products.json?limit=250&page={page}");
        let body = get_page(&client, &url, opts, progress)?;
        let parsed: Page = serde_json::from_str(&body).map_err(|e| {
            format!(
                "{url}: not a products.json answer (line {}, column {}: {e}) — the answer was cut off or is not JSON; import again",
                e.line(),
                e.column()
            )
        })?;
        if parsed.products.is_empty() {
            break;
        }
        progress(&format!("page {page}: {} products", parsed.products.len()));
        raw.extend(parsed.products);
        if page == opts.max_pages {
            progress(&format!("stopped after {page} pages"));
        }
    }
    let mut problems = Vec::new();
    let mut catalog = Catalog::default();
    let mut wanted_codes = Vec::new();
    for (n, value) in raw.into_iter().enumerate() {
        let at = format!("{base}: product #{}", n + 1);
        let p: ShopifyProduct = match serde_json::from_value(value) {
            Ok(p) => p,
            Err(e) => {
                problems.push(format!("{at}: {e} — skipped"));
                continue;
            }
        };
        match product(&base, p, opts, &client) {
            Ok((product, code, mut picture_problems)) => {
                problems.append(&mut picture_problems);
                wanted_codes.push(code);
                catalog.products.push(product);
            }
            Err(e) => problems.push(format!("{at}: {e} — skipped")),
        }
    }
    assign_codes(&mut catalog, wanted_codes, &mut problems);
    Ok((catalog, problems))
}

fn product(
    base: &str,
    p: ShopifyProduct,
    opts: &Options,
    client: &reqwest::blocking::Client,
) -> Result<(Product, Option<String>, Vec<String>), String> {
    let named = |e: String| format!("`{}`: {e}", p.handle);
    let mut variants = Vec::new();
    for (j, v) in p.variants.iter().enumerate() {
        // Where in products.json: the product (above) and its variant.
        let at = |e: String| named(format!("variants[{j}].price: {e}"));
        let price = amount(&v.price)
            .ok_or_else(|| at("a variant has no price".into()))
            .and_then(|a| Money::parse(&a, &opts.currency).map_err(|e| at(e.to_string())))?;
        let compare_at = match v.compare_at_price.as_ref().and_then(amount) {
            Some(a) => Some(
                Money::parse(&a, &opts.currency)
                    .map_err(|e| named(format!("variants[{j}].compare_at_price: compare-at {e}")))?,
            ),
            None => None,
        };
        // The public products.json says whether a variant is available, not
        // how many are left (that needs the Admin API).
        let stock = match (v.inventory_quantity, v.available) {
            (Some(q), _) => Some(q.max(0) as u32),
            (None, Some(false)) => Some(0),
            _ => None,
        };
        variants.push(Variant {
            option: v.title.clone().filter(|t| t != "Default Title"),
            price,
            compare_at,
            sku: v.sku.clone().filter(|s| !s.is_empty()),
            stock,
        });
    }
    if variants.is_empty() {
        return Err(named("no variants".into()));
    }
    let tags = p.tags.all();
    let mut badges = Vec::new();
    let mut code = None;
    for t in &tags {
        match t.to_ascii_uppercase().as_str() {
            "NEW" => badges.push(Badge::New),
            "LIMITED" => badges.push(Badge::Limited),
            upper => {
                if let Some(c) = upper.strip_prefix("CODE:") {
                    code = Some(c.trim().to_string());
                }
            }
        }
    }
    let mut problems = Vec::new();
    let mut pictures = Vec::new();
    if let Some(img) = p.images.first() {
        let src = if img.src.starts_with("//") {
            format!("https:{}", img.src)
        } else {
            img.src.clone()
        };
        match &opts.images_dir {
            Some(dir) => match images::fetch(client, &src, dir) {
                Ok(path) => pictures.push(relative_picture(dir, &path)),
                Err(e) => problems.push(format!("{e}; `{}` has no picture", p.handle)),
            },
            None => pictures.push(src),
        }
    }
    Ok((
        Product {
            id: p.handle.clone(),
            code: String::new(),
            title: p.title,
            variants,
            images: pictures,
            url: Some(format!("{base}/products/{}", p.handle)),
            badges,
            note: None,
        },
        code,
        problems,
    ))
}

/// A downloaded picture as the catalog lists it: relative to the catalog
/// file, which sits in the folder above the pictures folder.
fn relative_picture(dir: &std::path::Path, path: &std::path::Path) -> String {
    let folder = dir
        .file_name()
        .map(|f| f.to_string_lossy().into_owned())
        .unwrap_or_default();
    let file = path
        .file_name()
        .map(|f| f.to_string_lossy().into_owned())
        .unwrap_or_default();
    format!("{folder}/{file}")
}

/// Claim codes: a `code:XX` tag on the product wins; the others get A1–A9,
/// B1–B9, ... in catalog order, skipping codes already taken.
fn assign_codes(catalog: &mut Catalog, wanted: Vec<Option<String>>, problems: &mut Vec<String>) {
    let mut taken: Vec<String> = Vec::new();
    for (p, w) in catalog.products.iter_mut().zip(&wanted) {
        if let Some(c) = w {
            if valid_code(c) && !taken.contains(c) {
                p.code = c.clone();
                taken.push(c.clone());
            } else {
                problems.push(format!(
                    "`{}`: tag code:{c} is not a free claim code (1–4 letters and digits starting with a letter); given another",
                    p.id
                ));
            }
        }
    }
    let mut next = (0..)
        .map(|i: u32| {
            let letters = i / 9;
            let digit = i % 9 + 1;
            let first = (b'A' + (letters % 26) as u8) as char;
            match letters / 26 {
                0 => format!("{first}{digit}"),
                n => format!("{}{first}{digit}", (b'A' + ((n - 1) % 26) as u8) as char),
            }
        })
        .filter(|c| !taken.contains(c));
    for p in catalog.products.iter_mut().filter(|p| p.code.is_empty()) {
        p.code = next.next().expect("endless");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shop_addresses() {
        assert_eq!(
            base_url("https://shop.example.com/").unwrap(),
            "https://shop.example.com"
        );
        assert_eq!(
            base_url("http://127.0.0.1:8080/products.json").unwrap(),
            "http://127.0.0.1:8080"
        );
        assert!(
            base_url("shop.example.com")
                .unwrap_err()
                .contains("https://shop.example.com")
        );
    }

    #[test]
    fn codes_are_assigned_in_order_around_tagged_ones() {
        let mk = |id: &str| Product {
            id: id.into(),
            code: String::new(),
            title: id.into(),
            variants: vec![],
            images: vec![],
            url: None,
            badges: vec![],
            note: None,
        };
        let mut c = Catalog {
            products: (0..12).map(|i| mk(&format!("p{i}"))).collect(),
        };
        let mut wanted = vec![None; 12];
        wanted[2] = Some("A1".into());
        wanted[3] = Some("A1".into());
        let mut problems = Vec::new();
        assign_codes(&mut c, wanted, &mut problems);
        let codes: Vec<&str> = c.products.iter().map(|p| p.code.as_str()).collect();
        assert_eq!(
            codes,
            ["A2", "A3", "A1", "A4", "A5", "A6", "A7", "A8", "A9", "B1", "B2", "B3"]
        );
        assert_eq!(problems.len(), 1, "{problems:?}");
    }
}
