//! On-screen graphics drawn on the CPU: golden PNGs of every graphic for a
//! landscape and a portrait canvas (discounted, nearly sold out and sold-out
//! cards, right-to-left and CJK titles, emoji), and the bundled fonts'
//! coverage of the scripts a show is promised.
//! Regenerate after an intended change: SHOWROOM_UPDATE_GOLDEN=1 cargo test --test graphics
//! (then look at the images in tests/golden/graphics/ before committing them).

use showroom::graphics::cards::{self, CardData};
use showroom::graphics::paint;
use showroom::graphics::template::Template;
use showroom::graphics::text::Text;
use showroom::products::price::{Money, PriceFormatter};
use std::path::{Path, PathBuf};
use tiny_skia::Pixmap;

const TOLERANCE: i32 = 3;
const CANVASES: [((u32, u32), &str); 2] = [((1920, 1080), "landscape"), ((1080, 1920), "portrait")];

fn golden_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden/graphics")
}

fn straight_rgba(pm: &Pixmap) -> Vec<u8> {
    pm.pixels()
        .iter()
        .flat_map(|p| {
            let c = p.demultiply();
            [c.red(), c.green(), c.blue(), c.alpha()]
        })
        .collect()
}

fn write_png(path: &Path, w: u32, h: u32, rgba: &[u8]) {
    let file = std::fs::File::create(path).unwrap();
    let mut enc = png::Encoder::new(std::io::BufWriter::new(file), w, h);
    enc.set_color(png::ColorType::Rgba);
    enc.set_depth(png::BitDepth::Eight);
    enc.write_header().unwrap().write_image_data(rgba).unwrap();
}

fn read_png(path: &Path) -> (u32, u32, Vec<u8>) {
    let dec = png::Decoder::new(std::io::BufReader::new(std::fs::File::open(path).unwrap()));
    let mut reader = dec.read_info().unwrap();
    let mut buf = vec![0; reader.output_buffer_size()];
    let info = reader.next_frame(&mut buf).unwrap();
    buf.truncate(info.buffer_size());
    (info.width, info.height, buf)
}

/// Compares with the golden (or writes it when updating); returns problems.
fn check_golden(name: &str, pm: &Pixmap) -> Option<String> {
    let path = golden_dir().join(format!("{name}.png"));
    let rgba = straight_rgba(pm);
    if std::env::var_os("SHOWROOM_UPDATE_GOLDEN").is_some() {
        std::fs::create_dir_all(golden_dir()).unwrap();
        write_png(&path, pm.width(), pm.height(), &rgba);
        return None;
    }
    if !path.exists() {
        return Some(format!("{name}: no golden at {}", path.display()));
    }
    let (w, h, want) = read_png(&path);
    if (w, h) != (pm.width(), pm.height()) {
        return Some(format!(
            "{name}: {}×{} drawn, golden is {w}×{h}",
            pm.width(),
            pm.height()
        ));
    }
    let off = rgba
        .iter()
        .zip(&want)
        .filter(|(a, b)| (**a as i32 - **b as i32).abs() > TOLERANCE)
        .count();
    if off > 0 {
        let actual = std::env::temp_dir().join(format!("showroom-actual-{name}.png"));
        write_png(&actual, w, h, &rgba);
        return Some(format!(
            "{name}: {off} channel values differ by more than {TOLERANCE}; drawn: {}",
            actual.display()
        ));
    }
    None
}

fn usd(text: &str) -> Money {
    Money::parse(text, "USD").unwrap()
}

struct Case {
    name: &'static str,
    title: &'static str,
    price: String,
    compare_at: Option<String>,
    discount: Option<u32>,
    stock: Option<u32>,
    badges: Vec<&'static str>,
    url: Option<&'static str>,
}

fn card_cases() -> Vec<Case> {
    let en = PriceFormatter::new("en-US").unwrap();
    let ja = PriceFormatter::new("ja-JP").unwrap();
    let he = PriceFormatter::new("he-IL").unwrap();
    let (price, was) = (usd("39.00"), usd("52.00"));
    vec![
        Case {
            name: "card-discounted",
            title: "Linen Shirt",
            price: en.format(&price),
            compare_at: Some(en.format(&was)),
            discount: price.percent_off(&was),
            stock: Some(12),
            badges: vec!["NEW"],
            url: Some("https://shop.example.com/products/linen-shirt"),
        },
        Case {
            name: "card-nearly-sold-out",
            title: "Trail Runner Sneakers with an extra long name that has to wrap and then end in an ellipsis",
            price: en.format(&usd("89.00")),
            compare_at: None,
            discount: None,
            stock: Some(2),
            badges: vec!["LIMITED"],
            url: None,
        },
        Case {
            name: "card-sold-out",
            title: "Hand-glazed Ceramic Mug",
            price: en.format(&usd("18.50")),
            compare_at: None,
            discount: None,
            stock: Some(0),
            badges: vec![],
            url: Some("https://shop.example.com/products/ceramic-mug"),
        },
        Case {
            name: "card-rtl",
            title: "חולצת פשתן לקיץ",
            price: he.format(&Money::parse("149.90", "ILS").unwrap()),
            compare_at: None,
            discount: None,
            stock: None,
            badges: vec![],
            url: None,
        },
        Case {
            name: "card-cjk",
            title: "亚麻衬衫 リネンシャツ 린넨 셔츠",
            price: ja.format(&Money::parse("4980", "JPY").unwrap()),
            compare_at: None,
            discount: None,
            stock: Some(3),
            badges: vec!["NEW"],
            url: None,
        },
    ]
}

#[test]
fn every_graphic_matches_its_golden_on_both_canvases() {
    let t = Template::default_template();
    let mut text = Text::new();
    let picture =
        paint::load_picture(&Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/demo/linen-shirt.png")).unwrap();
    let mut problems = Vec::new();
    for (size, canvas) in CANVASES {
        for c in card_cases() {
            let data = CardData {
                title: c.title,
                price: c.price.clone(),
                compare_at: c.compare_at.clone(),
                discount: c.discount,
                stock: c.stock,
                code: "A1",
                badges: c.badges.clone(),
                picture: Some(&picture),
                url: c.url,
                deal: None,
                call: None,
            };
            let pm = cards::price_card(&mut text, &t, size, &data);
            // Placement: the card fits its canvas.
            let (x, y) = t.places(size).card.origin(size, pm.height());
            assert!(
                x >= 0 && y >= 0 && x as u32 + pm.width() <= size.0,
                "{} off {canvas}",
                c.name
            );
            problems.extend(check_golden(&format!("{}-{canvas}", c.name), &pm));
        }
        let others = [
            (
                "lower-third",
                cards::lower_third(&mut text, &t, size, "Mia Chen", "Host · Ceramics & Linen"),
            ),
            ("countdown", cards::countdown(&mut text, &t, size, "Deal ends in", 299)),
            (
                "banner",
                cards::banner(&mut text, &t, size, "Free shipping on every order today"),
            ),
            (
                "ticker",
                cards::banner_or_ticker(
                    &mut text,
                    &t,
                    size,
                    "Free shipping on every order today · Comment SOLD and the code on the card to claim yours · New drops every Friday",
                )
                .0,
            ),
            (
                "comment",
                cards::comment(
                    &mut text,
                    &t,
                    size,
                    "Ελένη Σμирнова",
                    "YouTube",
                    "Love this shirt 😍🔥 does it come in blue?",
                ),
            ),
        ];
        for (name, pm) in others {
            problems.extend(check_golden(&format!("{name}-{canvas}"), &pm));
        }
    }
    assert!(problems.is_empty(), "{problems:#?}");
}

#[test]
fn bundled_fonts_cover_the_promised_scripts() {
    let mut text = Text::new();
    for sample in [
        "Linen Shirt — $39.00 €1.299,00 ₹1,29,999.00",
        "Льняная рубашка",
        "Λινό πουκάμισο",
        "قميص كتان",
        "חולצת פשתן",
        "亚麻衬衫",
        "リネンシャツ",
        "린넨 셔츠",
        "😍🔥👍🛍️",
    ] {
        assert_eq!(text.missing_glyphs(sample), 0, "no glyph for part of {sample:?}");
    }
    // A script the bundle does not carry is detected, not drawn silently.
    assert!(text.missing_glyphs("नमस्ते") > 0);
}

#[test]
fn a_template_family_that_does_not_exist_is_named() {
    let mut text = Text::new();
    let e = text.use_family("Brand Sans", &[]).unwrap_err().to_string();
    assert!(e.contains("\"Brand Sans\"") && e.contains("Noto Sans"), "{e}");
    text.use_family("Noto Sans", &[]).unwrap();
}
