//! The product catalog and its CSV import. One CSV row per variant; rows
//! with the same `id` are variants of one product, whose product-level
//! fields come from its first row. Headers are matched by name, case and
//! spacing aside, with the aliases of common exports (Shopify's product CSV
//! among them), in any order. Every bad row is reported with its line
//! number and what to fix, while the good rows load.

use super::price::{Money, PriceError};

/// Shown on the card above the title.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Badge {
    New,
    Limited,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Variant {
    /// "M / Blue"; None for a product with one variant.
    pub option: Option<String>,
    pub price: Money,
    /// The price before the discount, if any.
    pub compare_at: Option<Money>,
    pub sku: Option<String>,
    /// None: not tracked.
    pub stock: Option<u32>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Product {
    pub id: String,
    /// The short code viewers comment ("SOLD A1").
    pub code: String,
    pub title: String,
    pub variants: Vec<Variant>,
    pub images: Vec<String>,
    pub url: Option<String>,
    pub badges: Vec<Badge>,
    /// For the host's eyes only.
    pub note: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Catalog {
    pub products: Vec<Product>,
}

/// The columns we read, and the header names that mean them.
const COLUMNS: &[(&str, &[&str])] = &[
    ("id", &["id", "handle", "product id", "product_id"]),
    ("code", &["code", "claim code", "claim_code"]),
    ("title", &["title", "name", "product title"]),
    ("price", &["price", "variant price"]),
    (
        "compare_at",
        &[
            "compare_at",
            "compare at",
            "compare at price",
            "variant compare at price",
        ],
    ),
    ("currency", &["currency"]),
    ("stock", &["stock", "inventory", "variant inventory qty", "quantity"]),
    ("sku", &["sku", "variant sku"]),
    ("option", &["option", "variant", "option1 value"]),
    ("image", &["image", "image src", "image url"]),
    ("url", &["url", "product url", "link"]),
    ("badges", &["badges", "badge", "tags"]),
    ("note", &["note", "host note"]),
];

fn normalise(h: &str) -> String {
    h.trim().to_lowercase().replace(['_', '-'], " ")
}

/// Claim codes: one to four letters and digits, starting with a letter
/// (short to type in a comment).
pub fn valid_code(code: &str) -> bool {
    (1..=4).contains(&code.len())
        && code.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
        && code.chars().all(|c| c.is_ascii_alphanumeric())
}

/// Imports a catalog from CSV text. `file` names it in problems, which read
/// `FILE:LINE: what — how to fix`. `currency` is used where the file has no
/// currency column.
pub fn import_csv(text: &str, file: &str, currency: Option<&str>) -> (Catalog, Vec<String>) {
    import_csv_at(text, file, currency, None)
}

/// `import_csv`, with pictures named in the rows checked in `dir` (the
/// catalog's folder): a missing or unreadable one is a problem with its row
/// and column; the product still loads, without that picture.
pub fn import_csv_at(
    text: &str,
    file: &str,
    currency: Option<&str>,
    dir: Option<&std::path::Path>,
) -> (Catalog, Vec<String>) {
    let mut problems = Vec::new();
    let mut reader = csv::ReaderBuilder::new().flexible(true).from_reader(text.as_bytes());
    let headers = match reader.headers() {
        Ok(h) => h.clone(),
        Err(e) => {
            problems.push(format!(
                "{file}:1: cannot read the header row ({e}) — save the file as UTF-8 CSV"
            ));
            return (Catalog::default(), problems);
        }
    };
    // Column index of each field we know.
    let mut index = std::collections::HashMap::new();
    for (i, h) in headers.iter().enumerate() {
        let h = normalise(h);
        if let Some((field, _)) = COLUMNS
            .iter()
            .find(|(_, names)| names.iter().any(|n| normalise(n) == h))
        {
            index.entry(*field).or_insert(i);
        }
    }
    let mut missing: Vec<&str> = ["id", "title", "price"]
        .into_iter()
        .filter(|f| !index.contains_key(f))
        .collect();
    if currency.is_none() && !index.contains_key("currency") {
        missing.push("currency");
    }
    if !missing.is_empty() {
        problems.push(format!(
            "{file}:1: no column for {} — add it to the header row (columns: {})",
            missing.join(", "),
            COLUMNS.iter().map(|(f, _)| *f).collect::<Vec<_>>().join(", ")
        ));
        return (Catalog::default(), problems);
    }

    let mut catalog = Catalog::default();
    for (n, record) in reader.records().enumerate() {
        let line = n + 2;
        let record = match record {
            Ok(r) => r,
            Err(e) => {
                problems.push(format!("{file}:{line}: unreadable row ({e}) — check its quotes"));
                continue;
            }
        };
        let get = |field: &str| -> Option<String> {
            index
                .get(field)
                .and_then(|&i| record.get(i))
                .map(|v| v.trim().to_string())
                .filter(|v| !v.is_empty())
        };
        // Each problem with the column (1-based) of its field.
        let col = |field: &str| index.get(field).map_or(0, |&i| i + 1);
        let mut row_problems: Vec<(usize, String)> = Vec::new();
        let Some(id) = get("id") else {
            problems.push(format!("{file}:{line}: no id — give every row its product's id"));
            continue;
        };
        let cur = get("currency").or(currency.map(str::to_string)).unwrap_or_default();
        let price = match get("price") {
            Some(p) => Money::parse(&p, &cur)
                .map_err(|e| {
                    let at = if matches!(e, PriceError::Currency { .. }) && get("currency").is_some() {
                        "currency"
                    } else {
                        "price"
                    };
                    row_problems.push((col(at), e.to_string()))
                })
                .ok(),
            None => {
                row_problems.push((col("price"), "no price".to_string()));
                None
            }
        };
        let compare_at = get("compare_at").and_then(|p| {
            Money::parse(&p, &cur)
                .map_err(|e| row_problems.push((col("compare_at"), format!("compare-at {e}"))))
                .ok()
        });
        let stock = get("stock").and_then(|s| {
            s.parse::<u32>()
                .map_err(|_| row_problems.push((col("stock"), format!("stock \"{s}\" is not a whole number of items"))))
                .ok()
        });
        let mut badges = Vec::new();
        for b in get("badges")
            .unwrap_or_default()
            .split([',', ';'])
            .map(str::trim)
            .filter(|b| !b.is_empty())
        {
            match b.to_ascii_uppercase().as_str() {
                "NEW" => badges.push(Badge::New),
                "LIMITED" => badges.push(Badge::Limited),
                // Shopify's tags column carries all sorts of tags: only ours count.
                _ if index.get("badges").is_some_and(|&i| normalise(&headers[i]) == "tags") => {}
                other => row_problems.push((col("badges"), format!("unknown badge \"{other}\" (use NEW or LIMITED)"))),
            }
        }
        if let (Some(dir), Some(img)) = (dir, get("image"))
            && !super::images::is_url(&img)
            && let Err(e) = super::images::check_picture(&dir.join(&img))
        {
            problems.push(format!(
                "{file}:{line}:{}: product `{id}`: picture {e} — its card shows no picture; fix the image column",
                col("image")
            ));
        }
        let existing = catalog.products.iter().position(|p| p.id == id);
        let code = get("code");
        if let Some(c) = &code
            && !valid_code(c)
        {
            row_problems.push((
                col("code"),
                format!("claim code \"{c}\" is not 1–4 letters and digits starting with a letter (like A1)"),
            ));
        }
        let (Some(price), true) = (price, row_problems.is_empty()) else {
            for (c, e) in row_problems {
                let at = if c > 0 { format!("{line}:{c}") } else { line.to_string() };
                problems.push(format!(
                    "{file}:{at}: product `{id}`: {e} — fix the row; the others loaded"
                ));
            }
            continue;
        };
        let variant = Variant {
            option: get("option"),
            price,
            compare_at,
            sku: get("sku"),
            stock,
        };
        match existing {
            Some(i) => {
                let p = &mut catalog.products[i];
                if p.variants[0].price.currency != variant.price.currency {
                    problems.push(format!(
                        "{file}:{line}: product `{id}`: currency {} differs from its first row's {} — one product, one currency",
                        variant.price.currency, p.variants[0].price.currency
                    ));
                    continue;
                }
                if let Some(img) = get("image")
                    && !p.images.contains(&img)
                {
                    p.images.push(img);
                }
                p.variants.push(variant);
            }
            None => {
                let Some(title) = get("title") else {
                    problems.push(format!(
                        "{file}:{line}: product `{id}`: no title — give its first row a title"
                    ));
                    continue;
                };
                let code = code.unwrap_or_default().to_ascii_uppercase();
                if code.is_empty() {
                    problems.push(format!("{file}:{line}: product `{id}`: no claim code — give it one like A1 (viewers comment \"SOLD A1\")"));
                    continue;
                }
                if let Some(other) = catalog.products.iter().find(|p| p.code == code) {
                    problems.push(format!(
                        "{file}:{line}: product `{id}`: claim code {code} is already product `{}`'s — give each product its own",
                        other.id
                    ));
                    continue;
                }
                catalog.products.push(Product {
                    id,
                    code,
                    title,
                    variants: vec![variant],
                    images: get("image").into_iter().collect(),
                    url: get("url"),
                    badges,
                    note: get("note"),
                });
            }
        }
    }
    (catalog, problems)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_become_products_with_variants_and_bad_rows_are_named() {
        let csv = "\
id,code,title,price,compare_at,currency,stock,option,badges,image
shirt,A1,Linen Shirt,39.00,52.00,USD,12,S,NEW,shirt.jpg
shirt,,,39.00,52.00,USD,3,M,,shirt-back.jpg
mug,B2,\"Mug, \"\"large\"\"\",12.5,,USD,,,,
lamp,C3,Lamp,12.999,,USD,1,,,
vase,A1,Vase,20,,USD,1,,,
bowl,D4,Bowl,abc,,USD,1,,,
plate,E5,Plate,10,,USD,-2,,SHINY,
cup,E6,Cup,5,,USD,4,,LIMITED,
neg,F7,Negative,-5.00,,USD,1,,,
huge,G8,Huge,92233720368547758.07,,USD,1,,,
zzz,H9,Odd money,5,,ZZZ,1,,,
";
        let (cat, problems) = import_csv(csv, "catalog.csv", None);
        let ids: Vec<&str> = cat.products.iter().map(|p| p.id.as_str()).collect();
        assert_eq!(ids, ["shirt", "mug", "cup"]);
        let shirt = &cat.products[0];
        assert_eq!(shirt.variants.len(), 2);
        assert_eq!(shirt.variants[1].stock, Some(3));
        assert_eq!(shirt.images, ["shirt.jpg", "shirt-back.jpg"]);
        assert_eq!(
            shirt.variants[0]
                .price
                .percent_off(shirt.variants[0].compare_at.as_ref().unwrap()),
            Some(25)
        );
        assert_eq!(cat.products[1].title, "Mug, \"large\"");
        assert_eq!(cat.products[2].badges, [Badge::Limited]);
        assert_eq!(problems.len(), 8, "{problems:#?}");
        // Row and column of the field at fault (price is column 4).
        assert!(
            problems[0]
                .starts_with("catalog.csv:5:4: product `lamp`: price \"12.999\" has more decimals than USD has (2)")
        );
        assert!(problems[1].starts_with("catalog.csv:6: product `vase`: claim code A1 is already product `shirt`'s"));
        assert!(problems[2].starts_with("catalog.csv:7:4: product `bowl`: price \"abc\" is not a number"));
        assert!(
            problems[3].starts_with("catalog.csv:8:7: product `plate`: stock \"-2\" is not a whole number of items")
        );
        assert!(problems[4].starts_with("catalog.csv:8:9: product `plate`: unknown badge \"SHINY\""));
        assert!(problems[5].starts_with("catalog.csv:10:4: product `neg`: price \"-5.00\" is negative"));
        assert!(
            problems[6].starts_with(
                "catalog.csv:11:4: product `huge`: price \"92233720368547758.07\" is over the largest price"
            )
        );
        assert!(problems[7].starts_with("catalog.csv:12:6: product `zzz`: currency \"ZZZ\" is not an ISO 4217 code"));
    }

    #[test]
    fn shopify_headers_are_understood_and_missing_columns_named() {
        let csv = "Handle,Title,Variant Price,Variant Compare At Price,Variant SKU,Variant Inventory Qty,Tags,Code\n\
                   linen-shirt,Linen Shirt,39.00,,LS-1,5,\"summer, new\",A1\n";
        let (cat, problems) = import_csv(csv, "products_export.csv", Some("EUR"));
        assert!(problems.is_empty(), "{problems:?}");
        let p = &cat.products[0];
        assert_eq!(
            (p.id.as_str(), p.variants[0].sku.as_deref()),
            ("linen-shirt", Some("LS-1"))
        );
        assert_eq!(p.variants[0].price.currency.as_str(), "EUR");
        assert_eq!(p.badges, [Badge::New]);

        let (cat, problems) = import_csv("name,cost\nx,1\n", "c.csv", None);
        assert!(cat.products.is_empty());
        assert!(
            problems[0].starts_with("c.csv:1: no column for id, price, currency — add it to the header row"),
            "{problems:?}"
        );
    }
}
