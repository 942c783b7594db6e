//! `[products]` and `[[cues]]` of a show file: the catalog, price locale
//! and graphics template, and the timed graphics cues, checked up front so
//! a show never fails on air because of a typo in a cue.

use super::diagnostics::{Collector, suggest};
use super::model::{Cue, Products};
use showroom_graphics::GraphicsCommand;
use showroom_graphics::overlays::GraphicsSetup;
use showroom_graphics::template::Template;
use std::path::Path;

/// A graphics action at a time after the show starts.
#[derive(Debug, Clone, PartialEq)]
pub struct CueSpec {
    pub at_ms: u64,
    pub command: GraphicsCommand,
}

/// "500ms", "3s", "1m30s", "1h", "2.5s", or a bare number of seconds.
pub fn parse_duration_ms(text: &str) -> Option<u64> {
    let t = text.trim();
    if let Ok(secs) = t.parse::<f64>() {
        return (secs >= 0.0 && secs.is_finite()).then(|| (secs * 1000.0).round() as u64);
    }
    let mut total = 0f64;
    let mut rest = t;
    while !rest.is_empty() {
        let n = rest.find(|c: char| !(c.is_ascii_digit() || c == '.'))?;
        let value: f64 = rest[..n].parse().ok()?;
        rest = &rest[n..];
        let unit_len = rest.find(|c: char| c.is_ascii_digit()).unwrap_or(rest.len());
        let scale = match &rest[..unit_len] {
            "ms" => 1.0,
            "s" => 1000.0,
            "m" => 60_000.0,
            "h" => 3_600_000.0,
            _ => return None,
        };
        total += value * scale;
        rest = &rest[unit_len..];
    }
    Some(total.round() as u64)
}

const HIDE: &[&str] = &["product", "countdown", "lower_third", "banner", "comment"];

/// Resolves `[products]`; catalog rows with problems become warnings (the
/// good rows load), everything else is a located problem.
pub fn setup(
    products: Option<&Products>,
    base: &Path,
    out: &mut Collector,
    warnings: &mut Vec<String>,
) -> GraphicsSetup {
    let mut setup = GraphicsSetup {
        catalog_dir: base.to_path_buf(),
        ..GraphicsSetup::default()
    };
    let Some(p) = products else { return setup };
    if let Some(locale) = &p.locale {
        match crate::products::price::PriceFormatter::new(locale.get_ref()) {
            Ok(_) => setup.locale = locale.get_ref().clone(),
            Err(e) => out.add(
                locale.span(),
                format!("[products] {e}"),
                "use a tag like en-US, de-DE or ja-JP",
            ),
        }
    }
    if let Some(t) = &p.template {
        match Template::load(&base.join(t.get_ref())) {
            Ok(tpl) => {
                for f in tpl.font_files.iter().filter(|f| !f.is_file()) {
                    out.add(
                        t.span(),
                        format!("[products] template: font file {} is missing", f.display()),
                        "font_files are relative to the template file",
                    );
                }
                setup.template = tpl;
            }
            Err(e) => out.add(t.span(), format!("[products] {e}"), "see assets/templates/default.toml"),
        }
    }
    let refresh_every = p.refresh.as_ref().and_then(|r| {
        let ms = parse_duration_ms(r.get_ref()).filter(|ms| *ms >= 1000);
        if ms.is_none() {
            out.add(
                r.span(),
                format!(
                    "[products] refresh \"{}\" is not a duration of 1 s or more",
                    r.get_ref()
                ),
                "write it like \"1m\" (a Shopify store: a minute or more)",
            );
        }
        ms.map(std::time::Duration::from_millis)
    });
    if let (Some(s), None) = (&p.shopify, &p.refresh) {
        out.add(
            s.span(),
            "[products] shopify is only read with `refresh`",
            "add refresh = \"2m\"",
        );
    }
    if let Some(c) = &p.catalog {
        let path = base.join(c.get_ref());
        setup.catalog_dir = path.parent().unwrap_or(base).to_path_buf();
        let currency = p.currency.as_ref().map(|c| c.get_ref().as_str());
        match crate::products::json::load_file(&path, currency) {
            Ok((catalog, problems)) => {
                warnings.extend(problems);
                if catalog.products.is_empty() {
                    out.add(
                        c.span(),
                        format!("[products] catalog {} has no usable product", path.display()),
                        "fix the rows named above, or remove the catalog",
                    );
                }
                setup.catalog = catalog;
                setup.refresh = refresh_every.and_then(|every| {
                    let from = match &p.shopify {
                        Some(store) => {
                            let Some(currency) = currency else {
                                out.add(
                                    store.span(),
                                    "[products] shopify needs the store's currency",
                                    "add currency = \"USD\" (its ISO 4217 code) to [products]",
                                );
                                return None;
                            };
                            crate::products::refresh::RefreshFrom::Shopify {
                                store: store.get_ref().clone(),
                                currency: currency.to_string(),
                            }
                        }
                        None => crate::products::refresh::RefreshFrom::File {
                            path: path.clone(),
                            currency: currency.map(str::to_string),
                        },
                    };
                    Some(crate::products::refresh::Refresh { every, from })
                });
            }
            Err(e) => out.add(
                c.span(),
                format!("[products] {e}"),
                "give a .csv or .json file next to the show",
            ),
        }
    }
    setup
}

/// Resolves `[[cues]]` against the catalog; sorted by time.
pub fn cues(raw: &[Cue], setup: &GraphicsSetup, out: &mut Collector) -> Vec<CueSpec> {
    let codes: Vec<&str> = setup.catalog.products.iter().map(|p| p.code.as_str()).collect();
    let mut cues = Vec::new();
    for c in raw {
        let Some(at_ms) = parse_duration_ms(c.at.get_ref()) else {
            out.add(
                c.at.span(),
                format!("cue: `at = \"{}\"` is not a time", c.at.get_ref()),
                "write it like \"3s\", \"1m30s\" or \"500ms\" (from the start of the show)",
            );
            continue;
        };
        let mut actions: Vec<GraphicsCommand> = Vec::new();
        if let Some(code) = &c.feature {
            let known = setup
                .catalog
                .products
                .iter()
                .any(|p| p.code.eq_ignore_ascii_case(code.get_ref()) || &p.id == code.get_ref());
            if known {
                actions.push(GraphicsCommand::Feature(code.get_ref().clone()));
            } else if codes.is_empty() {
                out.add(
                    code.span(),
                    format!("cue: no product `{}`: the show has no catalog", code.get_ref()),
                    "add [products] catalog = \"catalog.csv\"",
                );
                continue;
            } else {
                out.add(
                    code.span(),
                    format!("cue: no product with code or id `{}`", code.get_ref()),
                    suggest(code.get_ref(), &codes),
                );
                continue;
            }
        }
        if let Some(what) = &c.hide {
            actions.push(match what.get_ref().as_str() {
                "product" => GraphicsCommand::HideProduct,
                "countdown" => GraphicsCommand::StopCountdown,
                "lower_third" => GraphicsCommand::HideLowerThird,
                "banner" => GraphicsCommand::HideBanner,
                "comment" => GraphicsCommand::HideComment,
                other => {
                    out.add(
                        what.span(),
                        format!("cue: cannot hide \"{other}\""),
                        suggest(other, HIDE),
                    );
                    continue;
                }
            });
        }
        if c.next_product == Some(true) {
            actions.push(GraphicsCommand::NextProduct);
        }
        if c.previous_product == Some(true) {
            actions.push(GraphicsCommand::PreviousProduct);
        }
        if let Some(d) = &c.countdown {
            match parse_duration_ms(d.get_ref()).filter(|ms| (1000..=86_400_000).contains(ms)) {
                Some(ms) => actions.push(GraphicsCommand::StartCountdown {
                    seconds: ms / 1000,
                    label: c.label.clone(),
                }),
                None => {
                    out.add(
                        d.span(),
                        format!("cue: countdown \"{}\" is not a duration of 1 s to 24 h", d.get_ref()),
                        "write it like \"5m\" or \"90s\"",
                    );
                    continue;
                }
            }
        }
        if let Some(l) = &c.lower_third {
            actions.push(GraphicsCommand::LowerThird {
                name: l.name.clone(),
                title: l.title.clone(),
            });
        }
        if let Some(b) = &c.banner {
            actions.push(GraphicsCommand::Banner(b.clone()));
        }
        if let Some(m) = &c.comment {
            actions.push(GraphicsCommand::FeatureComment {
                author: m.author.clone(),
                platform: m.platform.clone(),
                text: m.text.clone(),
            });
        }
        match actions.len() {
            1 => cues.push(CueSpec {
                at_ms,
                command: actions.remove(0),
            }),
            0 => out.add(
                c.at.span(),
                "cue: nothing to do",
                "give one of feature, hide, next_product, previous_product, countdown, lower_third, banner, comment",
            ),
            _ => out.add(
                c.at.span(),
                "cue: more than one action",
                "give each [[cues]] table one action; two cues may share a time",
            ),
        }
    }
    cues.sort_by_key(|c| c.at_ms);
    cues
}

#[cfg(test)]
mod tests {
    use super::parse_duration_ms;

    #[test]
    fn durations() {
        assert_eq!(parse_duration_ms("3s"), Some(3000));
        assert_eq!(parse_duration_ms("1m30s"), Some(90_000));
        assert_eq!(parse_duration_ms("500ms"), Some(500));
        assert_eq!(parse_duration_ms("2.5s"), Some(2500));
        assert_eq!(parse_duration_ms("4"), Some(4000));
        assert_eq!(parse_duration_ms("1h"), Some(3_600_000));
        assert_eq!(parse_duration_ms("3 sec"), None);
        assert_eq!(parse_duration_ms("-1"), None);
        assert_eq!(parse_duration_ms("s"), None);
    }
}
