//! Writing layer changes made in the studio back into the show file,
//! keeping everything else as the brand wrote it: comments, order, spacing
//! (toml_edit edits the document in place).

use super::Rect;
use std::path::Path;

/// One property of a layer, as the show file writes it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum LayerValue {
    /// `place.CANVAS = { x, y, width, height }`; the canvas by index.
    Place(usize, Rect),
    Opacity(f32),
    Rotation(f32),
    Radius(f32),
    Mirror(bool),
}

impl LayerValue {
    /// Two values of the same property (and canvas) replace each other.
    pub fn same_property(&self, other: &LayerValue) -> bool {
        match (self, other) {
            (LayerValue::Place(a, _), LayerValue::Place(b, _)) => a == b,
            _ => std::mem::discriminant(self) == std::mem::discriminant(other),
        }
    }
}

/// A new value for the first layer of `scene` showing `source` (the same
/// layer `Command::SetLayer` changes).
#[derive(Debug, Clone, PartialEq)]
pub struct PlaceChange {
    pub scene: String,
    pub source: String,
    /// Canvas ids, indexed like the show's canvases (for `Place`).
    pub canvas: String,
    pub value: LayerValue,
}

/// Why the layout could not be saved. Each names what was not found or
/// what to fix in the show file.
#[derive(Debug, thiserror::Error)]
pub enum SaveError {
    #[error("the show file no longer parses ({0}); fix it, then save again")]
    NoLongerParses(toml_edit::TomlError),
    #[error("the show file has no [[scenes]] any more")]
    NoScenes,
    #[error("scene `{0}` is no longer in the show file")]
    SceneGone(String),
    #[error("scene `{0}` has no [[scenes.layers]] in the show file")]
    NoLayers(String),
    #[error("scene `{0}`: `layers` is not a list of tables")]
    LayersNotTables(String),
    #[error("scene `{scene}` has no layer showing `{source_id}` in the show file")]
    LayerGone { scene: String, source_id: String },
    #[error("scene `{scene}`, layer `{source_id}`: `place` is not a table")]
    PlaceNotTable { scene: String, source_id: String },
    #[error("source `{source_id}`: {err}")]
    SourceBody {
        source_id: String,
        err: toml_edit::TomlError,
    },
    #[error("`sources` in the show file is not a list of [[sources]] tables")]
    SourcesNotTables,
    #[error("the show file has a source `{0}` already")]
    SourceExists(String),
    #[error("cannot read {}: {err}", path.display())]
    Read {
        path: std::path::PathBuf,
        err: std::io::Error,
    },
    #[error("cannot write {}: {err}", path.display())]
    Write {
        path: std::path::PathBuf,
        err: std::io::Error,
    },
}

/// `text` with `changes` applied. Errors name what was not found.
pub fn apply_places(text: &str, changes: &[PlaceChange]) -> Result<String, SaveError> {
    let mut doc: toml_edit::DocumentMut = text.parse().map_err(SaveError::NoLongerParses)?;
    for c in changes {
        let scenes = doc
            .get_mut("scenes")
            .and_then(|s| s.as_array_of_tables_mut())
            .ok_or(SaveError::NoScenes)?;
        let scene = scenes
            .iter_mut()
            .find(|t| t.get("id").and_then(|v| v.as_str()) == Some(c.scene.as_str()))
            .ok_or_else(|| SaveError::SceneGone(c.scene.clone()))?;
        let layers = scene
            .get_mut("layers")
            .and_then(|l| l.as_array_of_tables_mut())
            .ok_or_else(|| SaveError::NoLayers(c.scene.clone()))?;
        let layer = layers
            .iter_mut()
            .find(|t| t.get("source").and_then(|v| v.as_str()) == Some(c.source.as_str()))
            .ok_or_else(|| SaveError::LayerGone {
                scene: c.scene.clone(),
                source_id: c.source.clone(),
            })?;
        let (key, value): (&str, toml_edit::Value) = match c.value {
            LayerValue::Opacity(v) => ("opacity", round(v).into()),
            LayerValue::Rotation(v) => ("rotation", round(v).into()),
            LayerValue::Radius(v) => ("radius", round(v).into()),
            LayerValue::Mirror(v) => ("mirror", v.into()),
            LayerValue::Place(_, r) => {
                set_place(layer, c, r)?;
                continue;
            }
        };
        set_keeping_comment(layer, key, value);
    }
    Ok(doc.to_string())
}

/// `place.CANVAS = { x, y, width, height }` in a layer's table.
fn set_place(layer: &mut toml_edit::Table, c: &PlaceChange, r: Rect) -> Result<(), SaveError> {
    {
        let mut rect = toml_edit::InlineTable::new();
        rect.insert("x", (r.x as i64).into());
        rect.insert("y", (r.y as i64).into());
        rect.insert("width", (r.width as i64).into());
        rect.insert("height", (r.height as i64).into());
        let place = layer.entry("place").or_insert_with(|| {
            // Written as `place.CANVAS = { ... }`, like the documented example.
            let mut t = toml_edit::Table::new();
            t.set_dotted(true);
            toml_edit::Item::Table(t)
        });
        let place = place.as_table_like_mut().ok_or_else(|| SaveError::PlaceNotTable {
            scene: c.scene.clone(),
            source_id: c.source.clone(),
        })?;
        match place.get_mut(&c.canvas).and_then(|i| i.as_value_mut()) {
            // Keep the comment after the old value.
            Some(old) => {
                let decor = old.decor().clone();
                *old = toml_edit::Value::InlineTable(rect);
                *old.decor_mut() = decor;
            }
            None => {
                place.insert(&c.canvas, toml_edit::value(rect));
            }
        }
    }
    Ok(())
}

/// Two decimals are plenty for a hand-set slider, and keep the file tidy.
fn round(v: f32) -> f64 {
    (v as f64 * 100.0).round() / 100.0
}

/// Sets `key` in `table`, keeping the comment after the value it replaces.
fn set_keeping_comment(table: &mut toml_edit::Table, key: &str, value: toml_edit::Value) {
    match table.get_mut(key).and_then(|i| i.as_value_mut()) {
        Some(old) => {
            let decor = old.decor().clone();
            *old = value;
            *old.decor_mut() = decor;
        }
        None => {
            table.insert(key, toml_edit::Item::Value(value));
        }
    }
}

/// Applies `changes` to the show file at `path`, written atomically (a
/// crash leaves the old file or the new one, never half of each).
/// A source added in the studio: its `[[sources]]` table body, and the
/// scene whose layers gain it.
#[derive(Debug, Clone, PartialEq)]
pub struct AddedSource {
    pub body: String,
    pub id: String,
    pub scene: String,
    /// It has a picture, so a layer in `scene` shows it.
    pub layer: bool,
}

/// `text` with a new `[[sources]]` table and a layer showing it appended to
/// `scene` (its place comes with the place changes saved alongside).
pub fn append_source(text: &str, added: &AddedSource) -> Result<String, SaveError> {
    let mut doc: toml_edit::DocumentMut = text.parse().map_err(SaveError::NoLongerParses)?;
    let body: toml_edit::DocumentMut = added.body.parse().map_err(|err| SaveError::SourceBody {
        source_id: added.id.clone(),
        err,
    })?;
    let mut table = body.as_table().clone();
    table.set_implicit(false);
    let sources = doc
        .entry("sources")
        .or_insert_with(|| toml_edit::Item::ArrayOfTables(Default::default()))
        .as_array_of_tables_mut()
        .ok_or(SaveError::SourcesNotTables)?;
    if sources
        .iter()
        .any(|t| t.get("id").and_then(|v| v.as_str()) == Some(added.id.as_str()))
    {
        return Err(SaveError::SourceExists(added.id.clone()));
    }
    sources.push(table);
    if !added.layer {
        return Ok(doc.to_string());
    }
    let scene = doc
        .get_mut("scenes")
        .and_then(|s| s.as_array_of_tables_mut())
        .and_then(|s| {
            s.iter_mut()
                .find(|t| t.get("id").and_then(|v| v.as_str()) == Some(added.scene.as_str()))
        })
        .ok_or_else(|| SaveError::SceneGone(added.scene.clone()))?;
    let mut layer = toml_edit::Table::new();
    layer.insert("source", toml_edit::value(added.id.as_str()));
    layer.insert("fit", toml_edit::value("fit"));
    scene
        .entry("layers")
        .or_insert_with(|| toml_edit::Item::ArrayOfTables(Default::default()))
        .as_array_of_tables_mut()
        .ok_or_else(|| SaveError::LayersNotTables(added.scene.clone()))?
        .push(layer);
    Ok(doc.to_string())
}

/// Writes added sources, then every place change, into the show file at
/// once (atomically).
pub fn save_layout(path: &Path, added: &[AddedSource], changes: &[PlaceChange]) -> Result<(), SaveError> {
    let mut text = read(path)?;
    for a in added {
        text = append_source(&text, a)?;
    }
    let new = apply_places(&text, changes)?;
    write(path, &new)
}

pub fn save_places(path: &Path, changes: &[PlaceChange]) -> Result<(), SaveError> {
    let text = read(path)?;
    let new = apply_places(&text, changes)?;
    write(path, &new)
}

fn read(path: &Path) -> Result<String, SaveError> {
    std::fs::read_to_string(path).map_err(|err| SaveError::Read {
        path: path.to_path_buf(),
        err,
    })
}

fn write(path: &Path, text: &str) -> Result<(), SaveError> {
    crate::session::write_atomic(path, text.as_bytes()).map_err(|err| SaveError::Write {
        path: path.to_path_buf(),
        err,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const SHOW: &str = r#"# Brand X spring show
[[canvases]]
id = "landscape"   # 16:9
width = 1280
height = 720

[[scenes]]
id = "main"

# the host, full frame
[[scenes.layers]]
source = "cam"
place.landscape = { x = 0, y = 0, width = 1280, height = 720 } # full
z = 0

[[scenes.layers]]
source = "logo"
z = 1
"#;

    fn change(source: &str, canvas: &str, x: i32) -> PlaceChange {
        PlaceChange {
            scene: "main".into(),
            source: source.into(),
            canvas: canvas.into(),
            value: LayerValue::Place(
                0,
                Rect {
                    x,
                    y: 10,
                    width: 320,
                    height: 180,
                },
            ),
        }
    }

    #[test]
    fn properties_are_set_or_added_in_the_layer() {
        let mut opacity = change("cam", "landscape", 0);
        opacity.value = LayerValue::Opacity(0.456);
        let mut mirror = change("logo", "landscape", 0);
        mirror.value = LayerValue::Mirror(true);
        let mut z_like = change("cam", "landscape", 0);
        z_like.value = LayerValue::Radius(12.0);
        let out = apply_places(SHOW, &[opacity, mirror, z_like]).unwrap();
        assert!(out.contains("opacity = 0.46"), "{out}");
        assert!(out.contains("mirror = true"), "{out}");
        assert!(out.contains("radius = 12"), "{out}");
        assert!(out.contains("# the host, full frame"), "{out}");
        let back: toml::Table = toml::from_str(&out).unwrap();
        assert!(back["scenes"][0]["layers"][1]["mirror"].as_bool().unwrap());
    }

    #[test]
    fn places_change_and_everything_else_stays() {
        let out = apply_places(SHOW, &[change("cam", "landscape", 40), change("logo", "portrait", 8)]).unwrap();
        // Comments, order and other keys as they were.
        for line in [
            "# Brand X spring show",
            "id = \"landscape\"   # 16:9",
            "# the host, full frame",
            "z = 0",
            "z = 1",
        ] {
            assert!(out.contains(line), "lost `{line}`:\n{out}");
        }
        assert!(
            out.contains("place.landscape = { x = 40, y = 10, width = 320, height = 180 } # full"),
            "{out}"
        );
        assert!(
            out.contains("place.portrait = { x = 8, y = 10, width = 320, height = 180 }"),
            "{out}"
        );
        // Nothing else moved: the only differing lines are those two.
        let differing = SHOW.lines().zip(out.lines()).filter(|(a, b)| a != b).count();
        assert!(differing <= 3, "{out}");
    }

    #[test]
    fn what_is_gone_from_the_file_is_named() {
        let mut c = change("cam", "landscape", 0);
        c.scene = "outro".into();
        assert_eq!(
            apply_places(SHOW, &[c]).unwrap_err().to_string(),
            "scene `outro` is no longer in the show file"
        );
        assert!(
            apply_places(SHOW, &[change("badge", "landscape", 0)])
                .unwrap_err()
                .to_string()
                .contains("no layer showing `badge`")
        );
        assert!(
            apply_places("[[scenes]\n", &[])
                .unwrap_err()
                .to_string()
                .contains("no longer parses")
        );
    }

    #[test]
    fn an_added_source_and_its_layer_are_appended_keeping_the_rest() {
        let added = AddedSource {
            body: "id = \"phone-1\"\nkind = \"srt\"\nport = 9000\n".into(),
            id: "phone-1".into(),
            scene: "main".into(),
            layer: true,
        };
        let text = append_source(SHOW, &added).unwrap();
        assert!(text.starts_with("# Brand X spring show"), "{text}");
        assert!(
            text.contains("[[sources]]\nid = \"phone-1\"\nkind = \"srt\"\nport = 9000"),
            "{text}"
        );
        assert!(
            text.contains("[[scenes.layers]]\nsource = \"phone-1\"\nfit = \"fit\""),
            "{text}"
        );
        let change = PlaceChange {
            scene: "main".into(),
            source: "phone-1".into(),
            canvas: "landscape".into(),
            value: LayerValue::Place(
                0,
                Rect {
                    x: 10,
                    y: 20,
                    width: 300,
                    height: 200,
                },
            ),
        };
        let text = apply_places(&text, &[change]).unwrap();
        assert!(
            text.contains("place.landscape = { x = 10, y = 20, width = 300, height = 200 }"),
            "{text}"
        );
        assert!(
            append_source(&text, &added)
                .unwrap_err()
                .to_string()
                .contains("a source `phone-1` already")
        );
        let elsewhere = AddedSource {
            scene: "gone".into(),
            ..added
        };
        assert!(
            append_source(SHOW, &elsewhere)
                .unwrap_err()
                .to_string()
                .contains("scene `gone`")
        );
    }
}
