//! Text for on-screen graphics: the bundled fonts (assets/fonts, compiled
//! in, so every machine draws the same pixels), shaping and line breaking
//! through cosmic-text (HarfBuzz-style shaping, bidi, fallback across the
//! bundled families), glyphs rasterised by swash and blended into a
//! tiny-skia pixmap.

use cosmic_text::{
    Attrs, Buffer, Color, Fallback, Family, FontSystem, Metrics, Shaping, SwashCache, Weight, Wrap, fontdb,
};
use tiny_skia::{Pixmap, PremultipliedColorU8};
use unicode_script::Script;

/// The bundled fonts (subsets; see assets/fonts/README.md).
const FONTS: &[&[u8]] = &[
    include_bytes!("../../../assets/fonts/NotoSans-Regular.ttf"),
    include_bytes!("../../../assets/fonts/NotoSans-Bold.ttf"),
    include_bytes!("../../../assets/fonts/NotoSansArabic-Regular.ttf"),
    include_bytes!("../../../assets/fonts/NotoSansArabic-Bold.ttf"),
    include_bytes!("../../../assets/fonts/NotoSansHebrew-Regular.ttf"),
    include_bytes!("../../../assets/fonts/NotoSansHebrew-Bold.ttf"),
    include_bytes!("../../../assets/fonts/NotoSansCJKsc-Bold.otf"),
    include_bytes!("../../../assets/fonts/NotoColorEmoji-subset.ttf"),
];

/// The bundled regular-weight fonts the studio window falls back to after
/// egui's own, so chat in Arabic, Hebrew or Chinese is readable there too.
pub fn window_fallbacks() -> [(&'static str, &'static [u8]); 4] {
    [
        ("Noto Sans", FONTS[0]),
        ("Noto Sans Arabic", FONTS[2]),
        ("Noto Sans Hebrew", FONTS[4]),
        ("Noto Sans CJK SC", FONTS[6]),
    ]
}

const LATIN: &str = "Noto Sans";
const CJK: &str = "Noto Sans CJK SC";

/// Only the bundled families: no system font can change the output.
struct Bundled;

impl Fallback for Bundled {
    fn common_fallback(&self) -> &[&'static str] {
        &[LATIN, CJK, "Noto Color Emoji", "Noto Sans Arabic", "Noto Sans Hebrew"]
    }

    fn forbidden_fallback(&self) -> &[&'static str] {
        &[]
    }

    fn script_fallback(&self, script: Script, _locale: &str) -> &[&'static str] {
        match script {
            Script::Arabic => &["Noto Sans Arabic"],
            Script::Hebrew => &["Noto Sans Hebrew"],
            Script::Han | Script::Hiragana | Script::Katakana | Script::Hangul | Script::Bopomofo => &[CJK],
            _ => &[],
        }
    }
}

/// How a run of text looks.
#[derive(Debug, Clone, Copy)]
pub struct TextStyle {
    /// Pixels.
    pub size: f32,
    pub bold: bool,
    /// Straight (not premultiplied) RGBA.
    pub color: [u8; 4],
    /// Lines at most; the last one ends in "…" when the text is longer.
    pub max_lines: usize,
}

/// Text shaped and broken into lines, ready to draw.
pub struct Laid {
    buffer: Buffer,
    pub width: f32,
    pub height: f32,
    color: [u8; 4],
}

/// The font system and glyph cache; made once (loading the fonts takes a
/// few milliseconds) and re-used for every graphic.
pub struct Text {
    fonts: FontSystem,
    glyphs: SwashCache,
}

impl Default for Text {
    fn default() -> Self {
        Self::new()
    }
}

/// Why a template's font could not be used.
#[derive(Debug, thiserror::Error)]
pub enum FontError {
    #[error("cannot read font {}: {err}", path.display())]
    Read {
        path: std::path::PathBuf,
        err: std::io::Error,
    },
    #[error("font family \"{family}\" is not in the bundled fonts or the template's font_files (known: {known})")]
    UnknownFamily { family: String, known: String },
}

impl Text {
    pub fn new() -> Text {
        let mut db = fontdb::Database::new();
        for data in FONTS {
            db.load_font_data(data.to_vec());
        }
        db.set_sans_serif_family(LATIN);
        Text {
            fonts: FontSystem::new_with_locale_and_db_and_fallback("en-US".into(), db, Bundled),
            glyphs: SwashCache::new(),
        }
    }

    /// Shapes `text` into lines at most `max_width` wide; past
    /// `style.max_lines` it is cut and ends in "…".
    pub fn layout(&mut self, text: &str, style: &TextStyle, max_width: f32) -> Laid {
        let laid = self.layout_all(text, style, max_width);
        let max = style.max_lines.max(1);
        let lines: Vec<usize> = laid
            .buffer
            .layout_runs()
            .map(|r| r.glyphs.iter().map(|g| g.end).max().unwrap_or(0))
            .collect();
        if lines.len() <= max {
            return laid;
        }
        // cosmic-text's own ellipsis starts wrapped lines with their break
        // space; cutting the text ourselves keeps the line starts clean.
        let mut prefix = text[..lines[max - 1].min(text.len())].trim_end().to_string();
        loop {
            let candidate = format!("{prefix}…");
            let laid = self.layout_all(&candidate, style, max_width);
            if laid.buffer.layout_runs().count() <= max || prefix.is_empty() {
                return laid;
            }
            prefix.pop();
            let trimmed = prefix.trim_end().len();
            prefix.truncate(trimmed);
        }
    }

    fn layout_all(&mut self, text: &str, style: &TextStyle, max_width: f32) -> Laid {
        let metrics = Metrics::new(style.size, (style.size * 1.25).ceil());
        let mut buffer = Buffer::new(&mut self.fonts, metrics);
        buffer.set_wrap(Wrap::WordOrGlyph);
        buffer.set_size(Some(max_width.max(1.0)), None);
        let weight = if style.bold { Weight::BOLD } else { Weight::NORMAL };
        let attrs = Attrs::new().family(Family::SansSerif).weight(weight);
        buffer.set_text(text, &attrs, Shaping::Advanced, None);
        buffer.shape_until_scroll(&mut self.fonts, false);
        let (mut width, mut height) = (0f32, 0f32);
        for run in buffer.layout_runs() {
            width = width.max(run.line_w);
            height = run.line_top + run.line_height;
        }
        Laid {
            buffer,
            width,
            height,
            color: style.color,
        }
    }

    /// How many characters of `text` no bundled font can draw (they would
    /// show as empty boxes).
    pub fn missing_glyphs(&mut self, text: &str) -> usize {
        let laid = self.layout(
            text,
            &TextStyle {
                size: 20.0,
                bold: false,
                color: [0; 4],
                max_lines: usize::MAX,
            },
            f32::MAX,
        );
        laid.buffer
            .layout_runs()
            .flat_map(|r| r.glyphs.iter())
            .filter(|g| g.glyph_id == 0)
            .count()
    }

    /// Draws laid-out text with its top-left corner at (x, y).
    pub fn draw(&mut self, pixmap: &mut Pixmap, laid: &mut Laid, x: f32, y: f32) {
        let [r, g, b, a] = laid.color;
        let (w, h) = (pixmap.width() as i32, pixmap.height() as i32);
        let pixels = pixmap.pixels_mut();
        let (ox, oy) = (x.round() as i32, y.round() as i32);
        laid.buffer.draw(
            &mut self.fonts,
            &mut self.glyphs,
            Color::rgba(r, g, b, a),
            |gx, gy, gw, gh, c| {
                for py in (oy + gy).max(0)..(oy + gy + gh as i32).min(h) {
                    for px in (ox + gx).max(0)..(ox + gx + gw as i32).min(w) {
                        let i = (py * w + px) as usize;
                        pixels[i] = over(c.as_rgba(), pixels[i]);
                    }
                }
            },
        );
    }
}

/// Straight-alpha `src` over premultiplied `dst`.
fn over(src: [u8; 4], dst: PremultipliedColorU8) -> PremultipliedColorU8 {
    let a = src[3] as u32;
    if a == 0 {
        return dst;
    }
    let inv = 255 - a;
    let mix = |s: u8, d: u8| ((s as u32 * a + d as u32 * inv + 127) / 255) as u8;
    let out_a = (a * 255 + dst.alpha() as u32 * inv + 127) / 255;
    PremultipliedColorU8::from_rgba(
        mix(src[0], dst.red()).min(out_a as u8),
        mix(src[1], dst.green()).min(out_a as u8),
        mix(src[2], dst.blue()).min(out_a as u8),
        out_a as u8,
    )
    .unwrap_or(dst)
}

impl Text {
    /// Adds a template's font files and makes `family` the one text is
    /// drawn with (the bundled families stay as fallback).
    pub fn use_family(&mut self, family: &str, files: &[std::path::PathBuf]) -> Result<(), FontError> {
        for f in files {
            let data = std::fs::read(f).map_err(|err| FontError::Read { path: f.clone(), err })?;
            self.fonts.db_mut().load_font_data(data);
        }
        let known = self
            .fonts
            .db()
            .faces()
            .any(|face| face.families.iter().any(|(name, _)| name == family));
        if !known {
            let mut names: Vec<String> = self
                .fonts
                .db()
                .faces()
                .flat_map(|f| f.families.iter().map(|(n, _)| n.clone()))
                .collect();
            names.dedup();
            return Err(FontError::UnknownFamily {
                family: family.to_string(),
                known: names.join(", "),
            });
        }
        self.fonts.db_mut().set_sans_serif_family(family.to_string());
        Ok(())
    }
}
