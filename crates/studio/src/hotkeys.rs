//! Keyboard control for directors: Space cuts, Enter fades, 1–9 put a scene
//! in preview, F1–F9 put a product's card on air, Page Down / Page Up move
//! the rundown (each can be changed in
//! the user's studio.toml); while editing
//! the layout, Ctrl+Z undoes and Ctrl+Shift+Z or Ctrl+Y redoes. Keys are ignored while a text field has focus (typing a
//! stream key must never switch scenes).

use super::Studio;
use crate::engine::Command;
use crate::show::{TransitionKind, TransitionSpec};

/// The fade of the Enter key and the Fade button.
pub const FADE: TransitionSpec = TransitionSpec {
    kind: TransitionKind::Fade,
    duration_ms: 500,
};
pub const CUT: TransitionSpec = TransitionSpec {
    kind: TransitionKind::Cut,
    duration_ms: 0,
};

/// The studio's keys: defaults, or the user's `studio.toml`.
#[derive(Debug, Clone, PartialEq)]
pub struct Keymap {
    pub cut: egui::Key,
    pub fade: egui::Key,
    /// Take with the show's transition (no key by default).
    pub take: Option<egui::Key>,
    /// Scene 1, 2, ... to preview.
    pub scenes: Vec<egui::Key>,
    /// Product 1, 2, ... of the catalog to feature.
    pub products: Vec<egui::Key>,
    /// The rundown's Next and Previous (Page Down / Page Up: what a
    /// presentation clicker sends).
    pub next_segment: egui::Key,
    pub previous_segment: egui::Key,
}

impl Default for Keymap {
    fn default() -> Self {
        use egui::Key::*;
        Keymap {
            cut: Space,
            fade: Enter,
            take: None,
            scenes: vec![Num1, Num2, Num3, Num4, Num5, Num6, Num7, Num8, Num9],
            products: vec![F1, F2, F3, F4, F5, F6, F7, F8, F9],
            next_segment: PageDown,
            previous_segment: PageUp,
        }
    }
}

/// `[hotkeys]` of studio.toml, as written.
#[derive(serde::Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct HotkeysFile {
    cut: Option<String>,
    fade: Option<String>,
    take: Option<String>,
    scenes: Option<Vec<String>>,
    products: Option<Vec<String>>,
    next_segment: Option<String>,
    previous_segment: Option<String>,
}

#[derive(serde::Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct StudioFile {
    #[serde(default)]
    hotkeys: HotkeysFile,
}

/// Where the user's studio settings live: `studio.toml` in the config
/// folder (`$XDG_CONFIG_HOME/showroom/` on Linux).
pub fn settings_path() -> std::path::PathBuf {
    crate::session::config_dir().join("studio.toml")
}

impl Keymap {
    /// Parses studio.toml's text; errors name the file and what to write.
    pub fn parse(text: &str, file: &str) -> Result<Keymap, String> {
        let parsed: StudioFile = toml::from_str(text).map_err(|e| format!("{file}: {}", e.message().trim()))?;
        let h = parsed.hotkeys;
        let key = |field: &str, name: &str| {
            egui::Key::from_name(name).ok_or_else(|| {
                format!(
                    "{file}: [hotkeys] {field} = \"{name}\" is not a key name — use names like Space, Enter, T, F1, 1"
                )
            })
        };
        let mut map = Keymap::default();
        if let Some(n) = &h.cut {
            map.cut = key("cut", n)?;
        }
        if let Some(n) = &h.fade {
            map.fade = key("fade", n)?;
        }
        if let Some(n) = &h.take {
            map.take = Some(key("take", n)?);
        }
        if let Some(n) = &h.next_segment {
            map.next_segment = key("next_segment", n)?;
        }
        if let Some(n) = &h.previous_segment {
            map.previous_segment = key("previous_segment", n)?;
        }
        if let Some(list) = &h.scenes {
            map.scenes = list.iter().map(|n| key("scenes", n)).collect::<Result<_, _>>()?;
        }
        if let Some(list) = &h.products {
            map.products = list.iter().map(|n| key("products", n)).collect::<Result<_, _>>()?;
        }
        // One key, one action.
        let mut seen: Vec<(egui::Key, String)> = Vec::new();
        let named = [
            ("cut".to_string(), Some(map.cut)),
            ("fade".to_string(), Some(map.fade)),
            ("take".to_string(), map.take),
            ("next_segment".to_string(), Some(map.next_segment)),
            ("previous_segment".to_string(), Some(map.previous_segment)),
        ];
        let scenes = map
            .scenes
            .iter()
            .enumerate()
            .map(|(i, k)| (format!("scene {}", i + 1), Some(*k)));
        let products = map
            .products
            .iter()
            .enumerate()
            .map(|(i, k)| (format!("product {}", i + 1), Some(*k)));
        for (what, k) in named.into_iter().chain(scenes).chain(products) {
            let Some(k) = k else { continue };
            if let Some((_, other)) = seen.iter().find(|(s, _)| *s == k) {
                return Err(format!(
                    "{file}: {} is the key for both {other} and {what} — give each its own",
                    k.name()
                ));
            }
            seen.push((k, what));
        }
        Ok(map)
    }

    /// The user's keys; a missing file means the defaults, a broken one the
    /// defaults and the reason (shown to the host).
    pub fn load() -> (Keymap, Option<String>) {
        let path = settings_path();
        match std::fs::read_to_string(&path) {
            Ok(text) => match Keymap::parse(&text, &path.display().to_string()) {
                Ok(map) => (map, None),
                Err(e) => (Keymap::default(), Some(format!("{e}; using the default keys"))),
            },
            Err(_) => (Keymap::default(), None),
        }
    }

    /// The key that puts scene `index` in preview, as shown in tooltips.
    pub fn scene_key(&self, index: usize) -> Option<&'static str> {
        self.scenes.get(index).map(|k| k.symbol_or_name())
    }

    /// The key that features product `index`, as shown in the panel.
    pub fn product_key(&self, index: usize) -> Option<&'static str> {
        self.products.get(index).map(|k| k.symbol_or_name())
    }
}

enum Action {
    /// None: the show's transition.
    Take(Option<TransitionSpec>),
    Preview(usize),
    Feature(usize),
    Segment(crate::engine::rundown::RundownCommand),
    Undo,
    Redo,
}

pub fn handle(studio: &mut Studio, ctx: &egui::Context) {
    if ctx.egui_wants_keyboard_input() || studio.confirm.is_some() {
        return;
    }
    let editing = studio.editor.on;
    let keys = &studio.keys;
    let mut actions = Vec::new();
    ctx.input_mut(|i| {
        if i.consume_key(egui::Modifiers::NONE, keys.cut) {
            actions.push(Action::Take(Some(CUT)));
        }
        if i.consume_key(egui::Modifiers::NONE, keys.fade) {
            actions.push(Action::Take(Some(FADE)));
        }
        if let Some(k) = keys.take
            && i.consume_key(egui::Modifiers::NONE, k)
        {
            actions.push(Action::Take(None));
        }
        for (n, key) in keys.scenes.iter().enumerate() {
            if i.consume_key(egui::Modifiers::NONE, *key) {
                actions.push(Action::Preview(n));
            }
        }
        if i.consume_key(egui::Modifiers::NONE, keys.next_segment) {
            actions.push(Action::Segment(crate::engine::rundown::RundownCommand::Next));
        }
        if i.consume_key(egui::Modifiers::NONE, keys.previous_segment) {
            actions.push(Action::Segment(crate::engine::rundown::RundownCommand::Previous));
        }
        for (n, key) in keys.products.iter().enumerate() {
            if i.consume_key(egui::Modifiers::NONE, *key) {
                actions.push(Action::Feature(n));
            }
        }
        if editing {
            if i.consume_key(egui::Modifiers::COMMAND | egui::Modifiers::SHIFT, egui::Key::Z)
                || i.consume_key(egui::Modifiers::COMMAND, egui::Key::Y)
            {
                actions.push(Action::Redo);
            } else if i.consume_key(egui::Modifiers::COMMAND, egui::Key::Z) {
                actions.push(Action::Undo);
            }
        }
    });
    for action in actions {
        match action {
            Action::Take(spec) => studio.command(Command::Take(spec)),
            Action::Preview(n) => match studio.engine().show().scenes.get(n).map(|s| s.id.clone()) {
                Some(id) => studio.command(Command::PreviewScene(id)),
                None => studio.notify(format!("there is no scene {} in this show", n + 1)),
            },
            Action::Segment(cmd) => studio.command(Command::Rundown(cmd)),
            Action::Feature(n) => {
                let code = studio
                    .engine()
                    .show()
                    .graphics
                    .catalog
                    .products
                    .get(n)
                    .map(|p| p.code.clone());
                match code {
                    Some(code) => studio.command(Command::Graphics(crate::graphics::GraphicsCommand::Feature(code))),
                    None => studio.notify(format!("there is no product {} in this show's catalog", n + 1)),
                }
            }
            Action::Undo => super::editor::undo(studio),
            Action::Redo => super::editor::redo(studio),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_read_from_studio_toml_and_mistakes_are_named() {
        let map = Keymap::parse(
            "[hotkeys]\ncut = \"C\"\ntake = \"T\"\nscenes = [\"F1\", \"F2\"]\nproducts = [\"Q\", \"W\"]\n",
            "studio.toml",
        )
        .unwrap();
        assert_eq!(map.products, vec![egui::Key::Q, egui::Key::W]);
        assert_eq!(map.product_key(0), Some("Q"));
        // Scenes on F-keys clash with the default product keys: said, not guessed.
        let err = Keymap::parse("[hotkeys]\nscenes = [\"F1\"]\n", "studio.toml").unwrap_err();
        assert!(err.contains("F1 is the key for both scene 1 and product 1"), "{err}");
        assert_eq!(map.cut, egui::Key::C);
        assert_eq!(map.fade, egui::Key::Enter);
        assert_eq!(map.take, Some(egui::Key::T));
        assert_eq!(map.scenes, vec![egui::Key::F1, egui::Key::F2]);
        assert_eq!(map.scene_key(1), Some("F2"));
        assert_eq!(Keymap::parse("", "studio.toml").unwrap(), Keymap::default());

        let err = Keymap::parse("[hotkeys]\ncut = \"Spcae\"\n", "studio.toml").unwrap_err();
        assert!(
            err.starts_with("studio.toml: [hotkeys] cut = \"Spcae\" is not a key name"),
            "{err}"
        );
        let err = Keymap::parse("[hotkeys]\nfade = \"1\"\n", "studio.toml").unwrap_err();
        assert_eq!(
            err,
            "studio.toml: 1 is the key for both fade and scene 1 — give each its own"
        );
        let err = Keymap::parse("[hotkeys]\ncutt = \"C\"\n", "studio.toml").unwrap_err();
        assert!(err.contains("unknown field `cutt`"), "{err}");
    }
}
