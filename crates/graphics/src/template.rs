//! Templates are data: colours, fonts, radius, words, animation and the
//! place of every graphic per canvas orientation, read from TOML. A show's
//! template only lists what it changes; the rest comes from the bundled
//! default (assets/templates/default.toml).

use serde::Deserialize;
use std::path::{Path, PathBuf};

/// Why a graphics template was refused; the words name the file, the place
/// and what to write.
#[derive(Debug, thiserror::Error)]
pub enum TemplateError {
    #[error("cannot read template {}: {err} — check the path", path.display())]
    Read { path: PathBuf, err: std::io::Error },
    #[error("template {}: {err}", path.display())]
    In { path: PathBuf, err: Box<TemplateError> },
    /// TOML syntax, on one line.
    #[error("{0}")]
    Toml(String),
    /// A key of the wrong type or an unknown key.
    #[error("{0} — see assets/templates/default.toml")]
    Shape(String),
    #[error("[{canvas}] {place}: give either `y` (top edge) or `bottom`, not both or neither")]
    Edge { canvas: &'static str, place: &'static str },
    #[error("[{canvas}] {place}: x, y, bottom and width are fractions of the canvas, 0.0 to 1.0")]
    Fraction { canvas: &'static str, place: &'static str },
    #[error("[animation] duration_ms: use 0 to 10000")]
    Duration,
}

const DEFAULT: &str = include_str!("../../../assets/templates/default.toml");

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Template {
    pub font_files: Vec<PathBuf>,
    pub family: String,
    pub radius: f32,
    pub qr: bool,
    pub colors: Colors,
    pub words: Words,
    pub animation: Animation,
    pub landscape: Places,
    pub portrait: Places,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Colors {
    pub panel: Hex,
    pub text: Hex,
    pub muted: Hex,
    pub accent: Hex,
    pub badge: Hex,
    pub badge_text: Hex,
    pub stock: Hex,
    pub sold_out: Hex,
    pub qr_dark: Hex,
    pub qr_light: Hex,
}

fn words_leads() -> String {
    "{name} leads".into()
}
fn words_starting_bid() -> String {
    "Starting bid".into()
}
fn words_auction_ends() -> String {
    "ends in".into()
}
fn words_bid() -> String {
    "Comment your bid".into()
}

/// A colour written "#RRGGBB" or "#RRGGBBAA".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Hex(pub [u8; 4]);

impl<'de> Deserialize<'de> for Hex {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        super::paint::parse_hex(&s)
            .map(Hex)
            .ok_or_else(|| serde::de::Error::custom(format!("colour \"{s}\" is not #RRGGBB or #RRGGBBAA")))
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Words {
    pub claim: String,
    pub only_left: String,
    pub sold_out: String,
    pub deal_ends: String,
    pub left_at_price: String,
    /// On the giveaway winner's card.
    pub winner: String,
    /// An auction's line on the card: "{name} leads · Ends in 0:12", or
    /// "Starting bid · Ends in 0:30" (defaults for older templates).
    #[serde(default = "words_leads")]
    pub leads: String,
    #[serde(default = "words_starting_bid")]
    pub starting_bid: String,
    #[serde(default = "words_auction_ends")]
    pub auction_ends: String,
    /// An auction card's call to action, instead of `claim`.
    #[serde(default = "words_bid")]
    pub bid: String,
    pub low_stock: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AnimationKind {
    Slide,
    Fade,
    None,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Animation {
    pub kind: AnimationKind,
    pub duration_ms: u32,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Places {
    pub card: Place,
    pub lower_third: Place,
    pub countdown: Place,
    pub banner: Place,
    pub comment: Place,
}

/// Where a graphic sits, in fractions of the canvas.
#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Place {
    pub x: f32,
    pub width: f32,
    /// Top edge.
    pub y: Option<f32>,
    /// Bottom edge (instead of `y`).
    pub bottom: Option<f32>,
}

impl Place {
    /// Top-left corner in pixels of a graphic `h` pixels tall.
    pub fn origin(&self, canvas: (u32, u32), h: u32) -> (i32, i32) {
        let (cw, ch) = (canvas.0 as f32, canvas.1 as f32);
        let y = match (self.y, self.bottom) {
            (Some(y), _) => y * ch,
            (None, Some(b)) => b * ch - h as f32,
            (None, None) => 0.0,
        };
        ((self.x * cw).round() as i32, y.round() as i32)
    }

    /// Width in pixels.
    pub fn width_px(&self, canvas: (u32, u32)) -> u32 {
        ((self.width * canvas.0 as f32).round() as u32).clamp(16, canvas.0.max(16))
    }
}

impl Template {
    /// The bundled default.
    pub fn default_template() -> Template {
        toml::from_str(DEFAULT).expect("the bundled template is valid (tested)")
    }

    /// Reads a template file over the default. Errors name the file, the
    /// line and what to fix.
    pub fn load(path: &Path) -> Result<Template, TemplateError> {
        let text = std::fs::read_to_string(path).map_err(|err| TemplateError::Read {
            path: path.to_path_buf(),
            err,
        })?;
        let mut t = Self::parse(&text).map_err(|e| TemplateError::In {
            path: path.to_path_buf(),
            err: Box::new(e),
        })?;
        let base = path.parent().unwrap_or(Path::new("."));
        for f in &mut t.font_files {
            *f = base.join(&*f);
        }
        Ok(t)
    }

    /// Parses template text over the default.
    pub fn parse(text: &str) -> Result<Template, TemplateError> {
        let mut merged: toml::Table = toml::from_str(DEFAULT).expect("the bundled template is valid (tested)");
        let user: toml::Table =
            toml::from_str(text).map_err(|e| TemplateError::Toml(e.to_string().trim().replace('\n', " ")))?;
        merge(&mut merged, user);
        let t: Template = toml::Value::Table(merged)
            .try_into()
            .map_err(|e: toml::de::Error| TemplateError::Shape(e.message().to_string()))?;
        for (name, places) in [("landscape", &t.landscape), ("portrait", &t.portrait)] {
            for (what, p) in places.all() {
                if p.y.is_some() == p.bottom.is_some() {
                    return Err(TemplateError::Edge {
                        canvas: name,
                        place: what,
                    });
                }
                let fractions = [Some(p.x), Some(p.width), p.y, p.bottom];
                if fractions.iter().flatten().any(|v| !(0.0..=1.0).contains(v)) || p.width <= 0.0 {
                    return Err(TemplateError::Fraction {
                        canvas: name,
                        place: what,
                    });
                }
            }
        }
        if t.animation.duration_ms > 10_000 {
            return Err(TemplateError::Duration);
        }
        Ok(t)
    }

    /// The places for a canvas of this size.
    pub fn places(&self, canvas: (u32, u32)) -> &Places {
        if canvas.1 > canvas.0 {
            &self.portrait
        } else {
            &self.landscape
        }
    }
}

impl Places {
    fn all(&self) -> [(&'static str, &Place); 5] {
        [
            ("card", &self.card),
            ("lower_third", &self.lower_third),
            ("countdown", &self.countdown),
            ("banner", &self.banner),
            ("comment", &self.comment),
        ]
    }
}

/// Sections merge key by key; a key given replaces the default's whole
/// value (a place given with `y` drops the default's `bottom`).
fn merge(base: &mut toml::Table, over: toml::Table) {
    for (k, v) in over {
        match (base.get_mut(&k), v) {
            (Some(toml::Value::Table(b)), toml::Value::Table(o)) => b.extend(o),
            (_, v) => {
                base.insert(k, v);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_parses_and_overrides_merge() {
        let d = Template::default_template();
        assert_eq!(d.colors.accent, Hex([0xFF, 0x3D, 0x6E, 255]));
        let t =
            Template::parse("[colors]\naccent = \"#00FF00\"\n[landscape]\ncard = { x = 0.1, y = 0.1, width = 0.5 }")
                .unwrap();
        assert_eq!(t.colors.accent, Hex([0, 255, 0, 255]));
        assert_eq!(t.colors.text, d.colors.text, "keys not given keep the default");
        assert_eq!(t.landscape.card.y, Some(0.1));
    }

    #[test]
    fn bad_templates_are_explained() {
        let e = Template::parse("[colors]\naccent = \"red\"").unwrap_err().to_string();
        assert!(e.contains("\"red\" is not #RRGGBB"), "{e}");
        let e = Template::parse("[colours]\naccent = \"#FF0000\"")
            .unwrap_err()
            .to_string();
        assert!(e.contains("colours"), "{e}");
        let e = Template::parse("[portrait]\ncard = { x = 0.1, y = 0.2, bottom = 0.9, width = 0.5 }")
            .unwrap_err()
            .to_string();
        assert!(e.contains("[portrait] card: give either `y`"), "{e}");
        let e = Template::parse("[landscape]\nbanner = { x = 0.0, y = 1.5, width = 1.0 }")
            .unwrap_err()
            .to_string();
        assert!(e.contains("fractions of the canvas"), "{e}");
        let e = Template::parse("radius = ").unwrap_err().to_string();
        assert!(e.contains("line 1"), "{e}");
    }
}
