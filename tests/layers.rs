//! The layers import downward only (docs/ARCHITECTURE.md, "Layers"): each
//! top-level module of src/ may name only the modules of the layers below
//! it. Until the workspace split makes the compiler keep this, this test
//! does: it reads every `crate::NAME` in each module's files.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// Bottom first. A module may import any module of an earlier layer.
const LAYERS: &[&[&str]] = &[
    &["backoff", "events", "hint", "listener", "session", "shutdown"],
    &["secrets"],
    &["spec"],
    &["audio", "products"],
    &["media", "chat"],
    &["compositor", "graphics"],
    &["show"],
    &["engine"],
    &["studio"],
    &["cli"],
];

fn files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

#[test]
fn modules_import_only_the_layers_below_them() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let layer_of: BTreeMap<&str, usize> = LAYERS
        .iter()
        .enumerate()
        .flat_map(|(i, l)| l.iter().map(move |m| (*m, i)))
        .collect();
    let mut wrong = BTreeSet::new();
    for (module, layer) in &layer_of {
        let mut paths = Vec::new();
        let dir = src.join(module);
        if dir.is_dir() {
            files(&dir, &mut paths);
        } else {
            paths.push(src.join(format!("{module}.rs")));
        }
        for path in paths {
            let text = std::fs::read_to_string(&path).unwrap();
            for line in text.lines().filter(|l| !l.trim_start().starts_with("//")) {
                for (at, _) in line.match_indices("crate::") {
                    let rest = &line[at + 7..];
                    // `crate::{a, b::C}` names each of them.
                    let names: Vec<String> = match rest.strip_prefix('{') {
                        Some(group) => group
                            .split(',')
                            .map(|n| n.trim().split("::").next().unwrap_or("").to_string())
                            .collect(),
                        None => vec![
                            rest.chars()
                                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                                .collect(),
                        ],
                    };
                    for name in names {
                        let Some(&other) = layer_of.get(name.as_str()) else {
                            continue;
                        };
                        if name != *module && other >= *layer {
                            wrong.insert(format!(
                                "{} names crate::{name} (layer {other}, not below {module}'s {layer})",
                                path.strip_prefix(&src).unwrap().display()
                            ));
                        }
                    }
                }
            }
        }
    }
    assert!(wrong.is_empty(), "imports that go up or sideways:\n{}", {
        let v: Vec<_> = wrong.into_iter().collect();
        v.join("\n")
    });
    // Every module of src/ has its layer.
    for e in std::fs::read_dir(&src).unwrap() {
        let name = e
            .unwrap()
            .file_name()
            .to_string_lossy()
            .trim_end_matches(".rs")
            .to_string();
        if name != "lib" && name != "main" {
            assert!(
                layer_of.contains_key(name.as_str()),
                "src/{name} has no layer in this test"
            );
        }
    }
}
