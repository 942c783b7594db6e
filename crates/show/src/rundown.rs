//! `[rundown]`: the run of show, segment by segment (docs/rundown.md).
//! Written in the show file (`[[rundown.segments]]`) or in a file beside
//! it that a brand can edit (`[rundown] file = "rundown.csv"` or `.toml`).
//! Every segment is checked against the show's scenes and catalog up
//! front, so Next never fails on air because of a typo.

use super::diagnostics::{Collector, suggest};
use super::graphics::parse_duration_ms;
use serde::{Deserialize, Serialize};
use showroom_graphics::overlays::GraphicsSetup;
use std::path::{Path, PathBuf};
use toml::Spanned;

/// One segment of the show, resolved.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Segment {
    pub title: String,
    /// Claim codes as the catalog writes them; the first one's card goes up.
    pub products: Vec<String>,
    /// The scene put on program (a cut); None: program stays.
    pub scene: Option<String>,
    pub talking_points: Vec<String>,
    /// How long the segment is planned to run.
    pub planned_ms: Option<u64>,
    /// (name, title)
    pub lower_third: Option<(String, String)>,
    pub banner: Option<String>,
    pub countdown_s: Option<u64>,
    pub countdown_label: Option<String>,
    /// A flash deal on the segment's first product, started with it.
    pub deal: Option<SegmentDeal>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct SegmentDeal {
    /// A decimal in the product's currency ("29.00").
    pub price: String,
    pub seconds: u64,
    pub cap: Option<u32>,
    pub per_buyer: Option<u32>,
}

/// Where the rundown is kept, so the studio saves it where it came from.
#[derive(Debug, Clone, PartialEq)]
pub enum RundownFile {
    /// `[[rundown.segments]]` in the show file itself.
    Inline,
    Toml(PathBuf),
    Csv(PathBuf),
}

#[derive(Debug, Clone, PartialEq)]
pub struct RundownSpec {
    pub segments: Vec<Segment>,
    pub file: RundownFile,
}

/// `[rundown]` as written.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RundownSection {
    /// A rundown file beside the show: .csv or .toml.
    pub file: Option<Spanned<String>>,
    pub segments: Option<Vec<Spanned<SegmentDef>>>,
}

/// One segment as written (the show file's and a rundown TOML file's
/// `[[segments]]`; a CSV row is read into the same shape).
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct SegmentDef {
    pub title: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub products: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scene: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub talking_points: Vec<String>,
    /// Planned length: "4m", "90s".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duration: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lower_third: Option<LowerThird>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub banner: Option<String>,
    /// A countdown started with the segment: "5m".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub countdown: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub countdown_label: Option<String>,
    /// A flash deal on the first product: { price = "29.00", for = "5m",
    /// cap = 20, per_buyer = 1 }.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deal: Option<DealDef>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct DealDef {
    pub price: String,
    #[serde(rename = "for")]
    pub length: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cap: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub per_buyer: Option<u32>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct LowerThird {
    pub name: String,
    #[serde(default)]
    pub title: String,
}

/// A rundown TOML file: `[[segments]]` tables.
#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
struct RundownToml {
    #[serde(default)]
    segments: Vec<SegmentDef>,
}

/// The columns of a rundown CSV file (only `title` is required).
pub const CSV_COLUMNS: &[&str] = &[
    "title",
    "products",
    "scene",
    "duration",
    "talking_points",
    "lower_third",
    "lower_third_title",
    "banner",
    "countdown",
    "countdown_label",
    "deal_price",
    "deal_for",
    "deal_cap",
    "deal_per_buyer",
];

/// The most segments a rundown holds.
pub const MAX_SEGMENTS: usize = 1000;

/// What the show and the catalog offer a segment.
pub struct Known<'a> {
    pub scenes: &'a [&'a str],
    pub graphics: &'a GraphicsSetup,
    /// Flash deals price claims, which come from the chat.
    pub has_chat: bool,
}

/// Resolves `[rundown]`; problems are located at the show file's table (a
/// rundown file's also name its row).
pub fn config(r: &Spanned<RundownSection>, base: &Path, known: &Known, out: &mut Collector) -> Option<RundownSpec> {
    let section = r.get_ref();
    let span = r.span();
    let (defs, file, span) = match (&section.file, &section.segments) {
        (Some(_), Some(_)) => {
            out.add(
                span,
                "[rundown] has both `file` and `segments`",
                "keep the segments in one place: the show file or the rundown file",
            );
            return None;
        }
        (None, None) => {
            out.add(
                span,
                "[rundown] is empty",
                "add [[rundown.segments]] tables, or file = \"rundown.csv\"",
            );
            return None;
        }
        (None, Some(defs)) => (
            defs.iter().map(|d| (None, d.get_ref().clone())).collect::<Vec<_>>(),
            RundownFile::Inline,
            span,
        ),
        (Some(f), None) => {
            let path = base.join(f.get_ref());
            match read_file(&path) {
                Ok((defs, file)) => (defs, file, f.span()),
                Err(e) => {
                    out.add(
                        f.span(),
                        format!("[rundown] {e}"),
                        "give a .csv or .toml file next to the show (docs/rundown.md)",
                    );
                    return None;
                }
            }
        }
    };
    if defs.len() > MAX_SEGMENTS {
        out.add(
            span,
            format!("[rundown] has {} segments, more than {MAX_SEGMENTS}", defs.len()),
            "split the show",
        );
        return None;
    }
    // Each inline segment's problem points at its own table.
    let spans: Vec<std::ops::Range<usize>> = match &section.segments {
        Some(list) => list.iter().map(|d| d.span()).collect(),
        None => Vec::new(),
    };
    let mut segments = Vec::new();
    let mut ok = true;
    for (i, (row, def)) in defs.iter().enumerate() {
        let span = spans.get(i).cloned().unwrap_or_else(|| span.clone());
        let at = match (row, &file) {
            (Some(row), RundownFile::Csv(p)) => format!("{} row {row}", p.display()),
            _ => format!("segment {} (\"{}\")", i + 1, def.title),
        };
        match resolve(def, known) {
            Ok(s) => segments.push(s),
            Err((message, hint)) => {
                ok = false;
                out.add(span, format!("[rundown] {at}: {message}"), hint);
            }
        }
    }
    (ok && !segments.is_empty()).then_some(RundownSpec { segments, file })
}

/// A rundown file's segments, with each CSV row's line number.
/// Segments as written, each with its CSV line (None: from TOML).
type Rows = Vec<(Option<u64>, SegmentDef)>;

fn read_file(path: &Path) -> Result<(Rows, RundownFile), String> {
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .unwrap_or("")
        .to_ascii_lowercase();
    let text = std::fs::read_to_string(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    match ext.as_str() {
        "toml" => {
            let parsed: RundownToml =
                toml::from_str(&text).map_err(|e| format!("{}: {}", path.display(), e.message()))?;
            Ok((
                parsed.segments.into_iter().map(|d| (None, d)).collect(),
                RundownFile::Toml(path.to_path_buf()),
            ))
        }
        "csv" => Ok((read_csv(&text, path)?, RundownFile::Csv(path.to_path_buf()))),
        _ => Err(format!("{}: a rundown file ends in .csv or .toml", path.display())),
    }
}

fn read_csv(text: &str, path: &Path) -> Result<Rows, String> {
    let mut r = csv::ReaderBuilder::new().flexible(false).from_reader(text.as_bytes());
    let headers: Vec<String> = r
        .headers()
        .map_err(|e| format!("{}: {e}", path.display()))?
        .iter()
        .map(|h| h.trim().to_ascii_lowercase())
        .collect();
    for h in &headers {
        if !CSV_COLUMNS.contains(&h.as_str()) {
            return Err(format!(
                "{}: unknown column `{h}` ({})",
                path.display(),
                suggest(h, CSV_COLUMNS)
            ));
        }
    }
    if !headers.iter().any(|h| h == "title") {
        return Err(format!("{}: no `title` column", path.display()));
    }
    let mut defs = Vec::new();
    for record in r.records() {
        let record = record.map_err(|e| format!("{}: {e}", path.display()))?;
        let line = record.position().map_or(0, |p| p.line());
        let get = |name: &str| {
            headers
                .iter()
                .position(|h| h == name)
                .and_then(|i| record.get(i))
                .map(str::trim)
                .filter(|v| !v.is_empty())
                .map(str::to_string)
        };
        let number = |name: &str| -> Result<Option<u32>, String> {
            get(name)
                .map(|v| {
                    v.parse::<u32>()
                        .map_err(|_| format!("{} row {line}: {name} \"{v}\" is not a whole number", path.display()))
                })
                .transpose()
        };
        let deal = match get("deal_price") {
            None => None,
            Some(price) => Some(DealDef {
                price,
                length: get("deal_for").unwrap_or_default(),
                cap: number("deal_cap")?,
                per_buyer: number("deal_per_buyer")?,
            }),
        };
        let lower_third = get("lower_third").map(|name| LowerThird {
            name,
            title: get("lower_third_title").unwrap_or_default(),
        });
        defs.push((
            Some(line),
            SegmentDef {
                title: get("title").unwrap_or_default(),
                products: get("products")
                    .map(|p| {
                        p.split([' ', ';', ','])
                            .filter(|c| !c.is_empty())
                            .map(str::to_string)
                            .collect()
                    })
                    .unwrap_or_default(),
                scene: get("scene"),
                talking_points: get("talking_points")
                    .map(|t| {
                        t.split('|')
                            .map(str::trim)
                            .filter(|p| !p.is_empty())
                            .map(str::to_string)
                            .collect()
                    })
                    .unwrap_or_default(),
                duration: get("duration"),
                lower_third,
                banner: get("banner"),
                countdown: get("countdown"),
                countdown_label: get("countdown_label"),
                deal,
            },
        ));
    }
    Ok(defs)
}

/// One segment against the show's scenes and catalog.
pub fn resolve(def: &SegmentDef, known: &Known) -> Result<Segment, (String, String)> {
    let title = def.title.trim();
    if title.is_empty() {
        return Err(("the segment has no title".into(), "give each segment a title".into()));
    }
    let catalog = &known.graphics.catalog.products;
    let codes: Vec<&str> = catalog.iter().map(|p| p.code.as_str()).collect();
    let mut products = Vec::new();
    for asked in &def.products {
        let found = catalog
            .iter()
            .find(|p| p.code.eq_ignore_ascii_case(asked) || &p.id == asked);
        match found {
            Some(p) => products.push(p.code.clone()),
            None if catalog.is_empty() => {
                return Err((
                    format!("no product `{asked}`: the show has no catalog"),
                    "add [products] catalog = \"catalog.csv\"".into(),
                ));
            }
            None => return Err((format!("no product with code or id `{asked}`"), suggest(asked, &codes))),
        }
    }
    if let Some(scene) = &def.scene
        && !known.scenes.contains(&scene.as_str())
    {
        return Err((format!("no scene `{scene}`"), suggest(scene, known.scenes)));
    }
    let planned_ms = match &def.duration {
        None => None,
        Some(d) => Some(parse_duration_ms(d).filter(|ms| *ms >= 1000).ok_or_else(|| {
            (
                format!("duration \"{d}\" is not a length of 1 s or more"),
                "write it like \"4m\" or \"90s\"".to_string(),
            )
        })?),
    };
    let countdown_s = match &def.countdown {
        None => None,
        Some(d) => Some(
            parse_duration_ms(d)
                .filter(|ms| (1000..=86_400_000).contains(ms))
                .map(|ms| ms / 1000)
                .ok_or_else(|| {
                    (
                        format!("countdown \"{d}\" is not a duration of 1 s to 24 h"),
                        "write it like \"5m\" or \"90s\"".to_string(),
                    )
                })?,
        ),
    };
    let deal = match &def.deal {
        None => None,
        Some(d) => Some(deal(d, products.first(), known)?),
    };
    if def.banner.as_deref().is_some_and(|b| b.trim().is_empty()) {
        return Err(("the banner is empty".into(), "give it words, or leave it out".into()));
    }
    Ok(Segment {
        title: title.to_string(),
        products,
        scene: def.scene.clone(),
        talking_points: def.talking_points.clone(),
        planned_ms,
        lower_third: def.lower_third.as_ref().map(|l| (l.name.clone(), l.title.clone())),
        banner: def.banner.clone(),
        countdown_s,
        countdown_label: def.countdown_label.clone(),
        deal,
    })
}

fn deal(d: &DealDef, product: Option<&String>, known: &Known) -> Result<SegmentDeal, (String, String)> {
    let Some(code) = product else {
        return Err((
            "a flash deal needs a product".into(),
            "give the segment products = [\"CODE\"]: the deal is on the first".into(),
        ));
    };
    if !known.has_chat {
        return Err((
            "a flash deal prices the claims made in chat, and the show has no [chat]".into(),
            "add [chat] with the platforms' chat sources".into(),
        ));
    }
    let p = known.graphics.catalog.products.iter().find(|p| &p.code == code);
    let currency = p
        .and_then(|p| p.variants.first())
        .map(|v| v.price.currency.to_string())
        .unwrap_or_default();
    let price = crate::products::price::Money::parse(&d.price, &currency).map_err(|e| {
        (
            format!("flash deal price \"{}\": {e}", d.price),
            format!("write it like \"29.00\" ({currency})"),
        )
    })?;
    if price.minor <= 0 {
        return Err((
            "the flash deal's price must be more than zero".into(),
            "give a price".into(),
        ));
    }
    let seconds = parse_duration_ms(&d.length)
        .filter(|ms| (1000..=86_400_000).contains(ms))
        .map(|ms| ms / 1000)
        .ok_or_else(|| {
            (
                format!("flash deal for \"{}\" is not a length of 1 s to 24 h", d.length),
                "write it like for = \"5m\"".to_string(),
            )
        })?;
    if d.cap == Some(0) || d.per_buyer == Some(0) {
        return Err((
            "a flash deal's cap or per_buyer of 0 sells nothing".into(),
            "leave it out, or give 1 or more".into(),
        ));
    }
    Ok(SegmentDeal {
        price: price.decimal(),
        seconds,
        cap: d.cap,
        per_buyer: d.per_buyer,
    })
}

/// A segment as written again (for saving).
pub fn written(s: &Segment) -> SegmentDef {
    let secs = |ms: u64| {
        if ms.is_multiple_of(60_000) {
            format!("{}m", ms / 60_000)
        } else if ms.is_multiple_of(1000) {
            format!("{}s", ms / 1000)
        } else {
            format!("{ms}ms")
        }
    };
    SegmentDef {
        title: s.title.clone(),
        products: s.products.clone(),
        scene: s.scene.clone(),
        talking_points: s.talking_points.clone(),
        duration: s.planned_ms.map(secs),
        lower_third: s.lower_third.as_ref().map(|(name, title)| LowerThird {
            name: name.clone(),
            title: title.clone(),
        }),
        banner: s.banner.clone(),
        countdown: s.countdown_s.map(|c| secs(c * 1000)),
        countdown_label: s.countdown_label.clone(),
        deal: s.deal.as_ref().map(|d| DealDef {
            price: d.price.clone(),
            length: secs(d.seconds * 1000),
            cap: d.cap,
            per_buyer: d.per_buyer,
        }),
    }
}

/// Why a rundown could not be saved.
#[derive(Debug, thiserror::Error)]
pub enum SaveError {
    #[error("cannot read {path}: {source}")]
    Read { path: PathBuf, source: std::io::Error },
    #[error("cannot write {path}: {source}")]
    Write { path: PathBuf, source: std::io::Error },
    #[error("{0}")]
    Format(String),
}

/// Writes `segments` back where the rundown came from: its CSV or TOML
/// file, or the show file's `[[rundown.segments]]` (the rest of the show
/// file kept as written). Written to a temporary file and renamed, so a
/// crash never leaves half a rundown. Returns the file written.
pub fn save(show_file: &Path, file: &RundownFile, segments: &[Segment]) -> Result<PathBuf, SaveError> {
    let defs: Vec<SegmentDef> = segments.iter().map(written).collect();
    let (path, text) = match file {
        RundownFile::Csv(p) => (p.clone(), to_csv(&defs)?),
        RundownFile::Toml(p) => (
            p.clone(),
            toml::to_string_pretty(&RundownToml { segments: defs }).map_err(|e| SaveError::Format(e.to_string()))?,
        ),
        RundownFile::Inline => {
            let old = std::fs::read_to_string(show_file).map_err(|source| SaveError::Read {
                path: show_file.to_path_buf(),
                source,
            })?;
            let mut doc: toml_edit::DocumentMut = old
                .parse()
                .map_err(|e: toml_edit::TomlError| SaveError::Format(e.to_string()))?;
            let fresh: toml_edit::DocumentMut = toml::to_string_pretty(&RundownToml { segments: defs })
                .map_err(|e| SaveError::Format(e.to_string()))?
                .parse()
                .map_err(|e: toml_edit::TomlError| SaveError::Format(e.to_string()))?;
            let segments = fresh
                .get("segments")
                .cloned()
                .unwrap_or_else(|| toml_edit::Item::ArrayOfTables(Default::default()));
            let rundown = doc
                .entry("rundown")
                .or_insert_with(|| toml_edit::Item::Table(toml_edit::Table::new()));
            let Some(table) = rundown.as_table_mut() else {
                return Err(SaveError::Format("the show file's `rundown` is not a table".into()));
            };
            table.insert("segments", segments);
            (show_file.to_path_buf(), doc.to_string())
        }
    };
    let tmp = path.with_extension("saving");
    std::fs::write(&tmp, text)
        .and_then(|()| std::fs::rename(&tmp, &path))
        .map_err(|source| SaveError::Write {
            path: path.clone(),
            source,
        })?;
    Ok(path)
}

fn to_csv(defs: &[SegmentDef]) -> Result<String, SaveError> {
    let fmt = |e: csv::Error| SaveError::Format(e.to_string());
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(CSV_COLUMNS).map_err(fmt)?;
    for d in defs {
        let (lt, lt_title) = d
            .lower_third
            .as_ref()
            .map(|l| (l.name.clone(), l.title.clone()))
            .unwrap_or_default();
        w.write_record([
            d.title.clone(),
            d.products.join(" "),
            d.scene.clone().unwrap_or_default(),
            d.duration.clone().unwrap_or_default(),
            d.talking_points.join(" | "),
            lt,
            lt_title,
            d.banner.clone().unwrap_or_default(),
            d.countdown.clone().unwrap_or_default(),
            d.countdown_label.clone().unwrap_or_default(),
            d.deal.as_ref().map(|d| d.price.clone()).unwrap_or_default(),
            d.deal.as_ref().map(|d| d.length.clone()).unwrap_or_default(),
            d.deal
                .as_ref()
                .and_then(|d| d.cap)
                .map(|n| n.to_string())
                .unwrap_or_default(),
            d.deal
                .as_ref()
                .and_then(|d| d.per_buyer)
                .map(|n| n.to_string())
                .unwrap_or_default(),
        ])
        .map_err(fmt)?;
    }
    let bytes = w.into_inner().map_err(|e| SaveError::Format(e.to_string()))?;
    String::from_utf8(bytes).map_err(|e| SaveError::Format(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn setup() -> GraphicsSetup {
        let (catalog, _) = crate::products::catalog::import_csv(
            "id,code,title,option,price,currency,stock\nmug,B2,Mug,,18,USD,3\nhat,C1,Hat,,25,USD,\n",
            "t.csv",
            None,
        );
        GraphicsSetup {
            catalog,
            ..GraphicsSetup::default()
        }
    }

    #[test]
    fn csv_rows_resolve_and_name_their_row() {
        let g = setup();
        let known = Known {
            scenes: &["host", "table"],
            graphics: &g,
            has_chat: true,
        };
        let text = "title,products,scene,duration,talking_points\nOpen,,host,1m,\nMugs,b2,table,4m,Hand-thrown | Dishwasher safe\n";
        let defs = read_csv(text, Path::new("r.csv")).unwrap();
        assert_eq!(defs[1].0, Some(3));
        let s = resolve(&defs[1].1, &known).unwrap();
        assert_eq!(s.products, vec!["B2"]);
        assert_eq!(s.planned_ms, Some(240_000));
        assert_eq!(s.talking_points, vec!["Hand-thrown", "Dishwasher safe"]);
        let bad = read_csv("title,product\nx,B2\n", Path::new("r.csv")).unwrap_err();
        assert!(
            bad.contains("unknown column `product`") && bad.contains("products"),
            "{bad}"
        );
        let def = SegmentDef {
            title: "x".into(),
            scene: Some("hots".into()),
            ..SegmentDef::default()
        };
        let (msg, hint) = resolve(&def, &known).unwrap_err();
        assert_eq!(msg, "no scene `hots`");
        assert!(hint.contains("host"), "{hint}");
    }

    #[test]
    fn a_saved_rundown_reads_back_the_same() {
        let g = setup();
        let known = Known {
            scenes: &["host"],
            graphics: &g,
            has_chat: true,
        };
        let dir = std::env::temp_dir().join(format!("showroom-rundown-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let segments = vec![
            Segment {
                title: "Mugs, hand-thrown".into(),
                products: vec!["B2".into()],
                scene: Some("host".into()),
                talking_points: vec!["one".into(), "two".into()],
                planned_ms: Some(90_000),
                lower_third: Some(("Ana".into(), "Potter".into())),
                banner: Some("Free shipping".into()),
                countdown_s: Some(300),
                countdown_label: None,
                deal: Some(SegmentDeal {
                    price: "12.00".into(),
                    seconds: 300,
                    cap: Some(10),
                    per_buyer: Some(1),
                }),
            },
            Segment {
                title: "Hats".into(),
                products: vec!["C1".into()],
                ..Segment::default()
            },
        ];
        for file in [
            RundownFile::Csv(dir.join("r.csv")),
            RundownFile::Toml(dir.join("r.toml")),
        ] {
            let path = save(Path::new("unused"), &file, &segments).unwrap();
            let (defs, back) = read_file(&path).unwrap();
            assert_eq!(back, file);
            let again: Vec<Segment> = defs.iter().map(|(_, d)| resolve(d, &known).unwrap()).collect();
            assert_eq!(again, segments);
        }
        let show = dir.join("show.toml");
        std::fs::write(
            &show,
            "# my show\n[show]\nname = \"x\"\n\n[rundown]\n[[rundown.segments]]\ntitle = \"old\"\n",
        )
        .unwrap();
        save(&show, &RundownFile::Inline, &segments).unwrap();
        let text = std::fs::read_to_string(&show).unwrap();
        assert!(text.starts_with("# my show\n[show]\nname = \"x\""), "{text}");
        assert!(!text.contains("old") && text.contains("Mugs, hand-thrown"), "{text}");
        let _ = std::fs::remove_dir_all(&dir);
    }
}
