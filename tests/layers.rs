//! The layers import downward only (docs/ARCHITECTURE.md, "Layers"). The
//! workspace makes the compiler refuse a cycle; this test also refuses a
//! dependency that goes sideways or up the table below, so that the
//! layering stays what the architecture document draws. Inside
//! `showroom-base`, whose modules are separate leaves, it reads every
//! `crate::NAME` instead.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// The crates, bottom first. A crate may depend on crates of earlier layers.
const CRATES: &[&[&str]] = &[
    &["base"],
    &["spec"],
    &["audio", "products"],
    &["media", "chat"],
    &["compositor", "graphics", "report"],
    &["show"],
    &["engine"],
    &["remote", "console"],
    &["studio"],
    &["showroom"],
];

/// The modules of `showroom-base`, bottom first.
const BASE: &[&[&str]] = &[
    &["backoff", "disk", "events", "hint", "listener", "session", "shutdown"],
    &["secrets"],
];

fn layer_of(table: &[&[&'static str]]) -> BTreeMap<&'static str, usize> {
    table
        .iter()
        .enumerate()
        .flat_map(|(i, l)| l.iter().map(move |m| (*m, i)))
        .collect()
}

/// The `showroom-*` crates a manifest's `[dependencies]` name.
fn internal_deps(manifest: &Path) -> Vec<String> {
    let text = std::fs::read_to_string(manifest).unwrap();
    let mut section = String::new();
    let mut out = Vec::new();
    for line in text.lines().map(str::trim) {
        if line.starts_with('[') {
            section = line.to_string();
        } else if section == "[dependencies]"
            && let Some(name) = line.strip_prefix("showroom-")
        {
            out.push(name.split([' ', '=']).next().unwrap().to_string());
        }
    }
    out
}

#[test]
fn crates_depend_only_on_the_layers_below_them() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let layer = layer_of(CRATES);
    let mut wrong = BTreeSet::new();
    let mut seen = BTreeSet::new();
    for e in std::fs::read_dir(root.join("crates")).unwrap() {
        let name = e.unwrap().file_name().to_string_lossy().to_string();
        assert!(
            layer.contains_key(name.as_str()),
            "crates/{name} has no layer in this test"
        );
        seen.insert(name);
    }
    for (krate, at) in &layer {
        let manifest = if *krate == "showroom" {
            root.join("Cargo.toml")
        } else {
            root.join("crates").join(krate).join("Cargo.toml")
        };
        assert!(
            *krate == "showroom" || seen.contains(*krate),
            "crates/{krate} is missing"
        );
        for dep in internal_deps(&manifest) {
            match layer.get(dep.as_str()) {
                Some(other) if other < at => {}
                Some(other) => {
                    wrong.insert(format!(
                        "{krate} (layer {at}) depends on showroom-{dep} (layer {other})"
                    ));
                }
                None => {
                    wrong.insert(format!("{krate} depends on showroom-{dep}, which has no layer"));
                }
            }
        }
    }
    assert!(wrong.is_empty(), "dependencies that go up or sideways:\n{}", {
        let v: Vec<_> = wrong.into_iter().collect();
        v.join("\n")
    });
    // The command line sits on top of everything.
    assert_eq!(internal_deps(&root.join("Cargo.toml")).len(), seen.len());
}

#[test]
fn the_leaves_of_base_import_only_the_leaves_below_them() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("crates/base/src");
    let layer = layer_of(BASE);
    let mut wrong = BTreeSet::new();
    for (module, at) in &layer {
        let text = std::fs::read_to_string(src.join(format!("{module}.rs"))).unwrap();
        for line in text.lines().filter(|l| !l.trim_start().starts_with("//")) {
            for (i, _) in line.match_indices("crate::") {
                let name: String = line[i + 7..]
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                    .collect();
                if let Some(&other) = layer.get(name.as_str())
                    && name != *module
                    && other >= *at
                {
                    wrong.insert(format!("{module}.rs names crate::{name}"));
                }
            }
        }
    }
    assert!(wrong.is_empty(), "imports that go up or sideways: {wrong:?}");
    // Every module of base has its layer.
    for e in std::fs::read_dir(&src).unwrap() {
        let name = e
            .unwrap()
            .file_name()
            .to_string_lossy()
            .trim_end_matches(".rs")
            .to_string();
        assert!(
            name == "lib" || layer.contains_key(name.as_str()),
            "base/src/{name} has no layer in this test"
        );
    }
}
