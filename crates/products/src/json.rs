//! Our own JSON catalog format (docs/products.md): products with their
//! variants nested. Like the CSV import, every bad product is reported with
//! what to fix while the good ones load.

use super::catalog::{Badge, Catalog, Product, Variant, valid_code};
use super::price::Money;
use serde::Deserialize;
use serde_json::Value;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    currency: Option<String>,
    products: Vec<Value>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct JsonProduct {
    id: String,
    code: String,
    title: String,
    currency: Option<String>,
    #[serde(default)]
    images: Vec<String>,
    url: Option<String>,
    #[serde(default)]
    badges: Vec<String>,
    note: Option<String>,
    variants: Vec<JsonVariant>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct JsonVariant {
    option: Option<String>,
    /// A string ("39.90") keeps the exact decimals; a number is accepted.
    price: Value,
    compare_at: Option<Value>,
    sku: Option<String>,
    stock: Option<u32>,
}

/// A price given as a string ("39.90", exact) or a number.
pub(super) fn amount(v: &Value) -> Option<String> {
    match v {
        Value::String(s) if !s.trim().is_empty() => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// Imports a catalog from JSON text; `file` names it in problems.
pub fn import_json(text: &str, file: &str, currency: Option<&str>) -> (Catalog, Vec<String>) {
    let mut problems = Vec::new();
    let parsed: File = match serde_json::from_str(text) {
        Ok(f) => f,
        Err(e) => {
            problems.push(format!(
                "{file}:{}: {e} — the file must be {{\"products\": [...]}} (see docs/products.md)",
                e.line()
            ));
            return (Catalog::default(), problems);
        }
    };
    let mut catalog = Catalog::default();
    for (n, value) in parsed.products.into_iter().enumerate() {
        let at = format!("{file}: product #{}", n + 1);
        let p: JsonProduct = match serde_json::from_value(value) {
            Ok(p) => p,
            Err(e) => {
                problems.push(format!("{at}: {e} — fix it; the others loaded"));
                continue;
            }
        };
        match product(p, parsed.currency.as_deref().or(currency), &catalog) {
            Ok(p) => catalog.products.push(p),
            Err(e) => problems.push(format!("{at}: {e} — fix it; the others loaded")),
        }
    }
    (catalog, problems)
}

fn product(p: JsonProduct, currency: Option<&str>, so_far: &Catalog) -> Result<Product, String> {
    let named = |e: String| format!("`{}`: {e}", p.id);
    let code = p.code.trim().to_ascii_uppercase();
    if !valid_code(&code) {
        return Err(named(format!(
            "claim code \"{}\" is not 1–4 letters and digits starting with a letter (like A1)",
            p.code
        )));
    }
    if let Some(other) = so_far.products.iter().find(|o| o.code == code || o.id == p.id) {
        return Err(named(format!(
            "its id or claim code is already product `{}`'s — give each product its own",
            other.id
        )));
    }
    let cur = p
        .currency
        .as_deref()
        .or(currency)
        .ok_or_else(|| named("no currency — add \"currency\" to the product or the file".into()))?;
    if p.variants.is_empty() {
        return Err(named("no variants — give it at least one with a price".into()));
    }
    let mut variants = Vec::new();
    for (j, v) in p.variants.iter().enumerate() {
        // Where in the file: the product (above) and its variant.
        let price = amount(&v.price)
            .ok_or_else(|| "price must be a string like \"39.90\"".to_string())
            .and_then(|a| Money::parse(&a, cur).map_err(|e| e.to_string()))
            .map_err(|e| named(format!("variants[{j}].price: {e}")))?;
        let compare_at = match &v.compare_at {
            Some(c) => Some(
                amount(c)
                    .ok_or_else(|| "compare_at must be a string like \"52.00\"".to_string())
                    .and_then(|a| Money::parse(&a, cur).map_err(|e| e.to_string()))
                    .map_err(|e| named(format!("variants[{j}].compare_at: compare-at {e}")))?,
            ),
            None => None,
        };
        variants.push(Variant {
            option: v.option.clone(),
            price,
            compare_at,
            sku: v.sku.clone(),
            stock: v.stock,
        });
    }
    let mut badges = Vec::new();
    for b in &p.badges {
        match b.to_ascii_uppercase().as_str() {
            "NEW" => badges.push(Badge::New),
            "LIMITED" => badges.push(Badge::Limited),
            other => return Err(named(format!("unknown badge \"{other}\" (use NEW or LIMITED)"))),
        }
    }
    Ok(Product {
        id: p.id,
        code,
        title: p.title,
        variants,
        images: p.images,
        url: p.url,
        badges,
        note: p.note,
    })
}

/// Reads a catalog file, CSV or JSON by its extension. Problems with single
/// rows come back with the catalog; an unreadable file is an error.
pub fn load_file(path: &std::path::Path, currency: Option<&str>) -> Result<(Catalog, Vec<String>), String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read catalog {}: {e} — check the path", path.display()))?;
    let label = path.display().to_string();
    match path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase)
        .as_deref()
    {
        Some("csv") => Ok(super::catalog::import_csv_at(&text, &label, currency, path.parent())),
        Some("json") => {
            let (catalog, mut problems) = import_json(&text, &label, currency);
            // Pictures named in the file, checked next to it.
            let dir = path.parent().unwrap_or(std::path::Path::new("."));
            for (i, p) in catalog.products.iter().enumerate() {
                for (k, img) in p.images.iter().enumerate() {
                    if !super::images::is_url(img)
                        && let Err(e) = super::images::check_picture(&dir.join(img))
                    {
                        problems.push(format!(
                            "{label}: product #{}: `{}`: images[{k}]: picture {e} — its card shows no picture",
                            i + 1,
                            p.id
                        ));
                    }
                }
            }
            Ok((catalog, problems))
        }
        _ => Err(format!(
            "catalog {label}: use a .csv or .json file (see docs/products.md)"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn good_products_load_and_bad_ones_are_named() {
        let text = r#"{"currency": "USD", "products": [
            {"id": "shirt", "code": "a1", "title": "Linen Shirt", "badges": ["new"],
             "variants": [{"option": "M", "price": "39.00", "compare_at": "52.00", "stock": 3},
                          {"option": "L", "price": 39, "stock": 0}]},
            {"id": "mug", "code": "B2", "title": "Mug", "variants": [{"price": "12.345"}]},
            {"id": "hat", "code": "C3", "title": "Hat", "variants": [], "colour": "red"},
            {"id": "bag", "code": "A1", "title": "Bag", "variants": [{"price": "10"}]},
            {"id": "cap", "code": "D4", "title": "Cap", "currency": "JPY", "variants": [{"price": "1299"}]}
        ]}"#;
        let (c, problems) = import_json(text, "cat.json", None);
        let ids: Vec<&str> = c.products.iter().map(|p| p.id.as_str()).collect();
        assert_eq!(ids, ["shirt", "cap"]);
        assert_eq!(c.products[0].code, "A1");
        assert_eq!(c.products[0].variants[0].price.minor, 3900);
        assert_eq!(c.products[0].variants[1].price.minor, 3900);
        assert_eq!(c.products[0].badges, [Badge::New]);
        assert_eq!(c.products[1].variants[0].price.minor, 1299);
        assert_eq!(problems.len(), 3, "{problems:#?}");
        assert!(
            problems[0]
                .starts_with("cat.json: product #2: `mug`: variants[0].price: price \"12.345\" has more decimals")
        );
        assert!(problems[1].contains("product #3") && problems[1].contains("colour"));
        assert!(problems[2].contains("product #4") && problems[2].contains("already product `shirt`"));
    }

    #[test]
    fn truncated_json_names_the_line() {
        let (c, problems) = import_json("{\"products\": [\n{\"id\": ", "cat.json", Some("USD"));
        assert!(c.products.is_empty());
        assert!(problems[0].starts_with("cat.json:2: EOF"), "{problems:?}");
    }
}

/// A catalog in our JSON format (what `import_json` reads back).
pub fn export_json(catalog: &Catalog) -> String {
    use serde_json::json;
    let products: Vec<Value> = catalog
        .products
        .iter()
        .map(|p| {
            let mut o = json!({
                "id": p.id,
                "code": p.code,
                "title": p.title,
                "currency": p.variants.first().map(|v| v.price.currency.to_string()),
                "images": p.images,
                "badges": p.badges.iter().map(|b| match b {
                    Badge::New => "NEW",
                    Badge::Limited => "LIMITED",
                }).collect::<Vec<_>>(),
                "variants": p.variants.iter().map(|v| {
                    let mut o = json!({"price": v.price.decimal()});
                    let m = o.as_object_mut().expect("object");
                    if let Some(x) = &v.option { m.insert("option".into(), json!(x)); }
                    if let Some(x) = &v.compare_at { m.insert("compare_at".into(), json!(x.decimal())); }
                    if let Some(x) = &v.sku { m.insert("sku".into(), json!(x)); }
                    if let Some(x) = v.stock { m.insert("stock".into(), json!(x)); }
                    o
                }).collect::<Vec<_>>(),
            });
            let m = o.as_object_mut().expect("object");
            if let Some(u) = &p.url {
                m.insert("url".into(), json!(u));
            }
            if let Some(n) = &p.note {
                m.insert("note".into(), json!(n));
            }
            o
        })
        .collect();
    let mut text = serde_json::to_string_pretty(&json!({ "products": products })).expect("serialises");
    text.push('\n');
    text
}

#[cfg(test)]
mod roundtrip {
    use super::*;

    #[test]
    fn exported_catalogs_read_back_the_same() {
        let csv = "id,code,title,option,price,compare_at,currency,stock,sku,badges,url,note\n\
                   s,A1,Shirt,M,39.00,52.00,USD,3,LS-M,NEW,https://x.example/s,hold it up\n\
                   s,A1,,L,39.00,,USD,,,,,\n\
                   k,B2,Cup,,1299,,JPY,0,,LIMITED,,\n";
        let (c, problems) = super::super::catalog::import_csv(csv, "c.csv", None);
        assert!(problems.is_empty(), "{problems:?}");
        let (back, problems) = import_json(&export_json(&c), "c.json", None);
        assert!(problems.is_empty(), "{problems:?}");
        assert_eq!(back, c);
    }
}
