//! Keyboard control for directors: Space cuts, Enter fades, 1–9 put a scene
//! in preview; while editing the layout, Ctrl+Z undoes and Ctrl+Shift+Z or
//! Ctrl+Y redoes. Keys are ignored while a text field has focus (typing a
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

const SCENE_KEYS: [egui::Key; 9] = [
    egui::Key::Num1,
    egui::Key::Num2,
    egui::Key::Num3,
    egui::Key::Num4,
    egui::Key::Num5,
    egui::Key::Num6,
    egui::Key::Num7,
    egui::Key::Num8,
    egui::Key::Num9,
];

/// The key that puts scene `index` in preview, as shown in tooltips.
pub fn scene_key(index: usize) -> Option<String> {
    (index < SCENE_KEYS.len()).then(|| (index + 1).to_string())
}

enum Action {
    Take(TransitionSpec),
    Preview(usize),
    Undo,
    Redo,
}

pub fn handle(studio: &mut Studio, ctx: &egui::Context) {
    if ctx.egui_wants_keyboard_input() || studio.confirm.is_some() {
        return;
    }
    let editing = studio.editor.on;
    let mut actions = Vec::new();
    ctx.input_mut(|i| {
        if i.consume_key(egui::Modifiers::NONE, egui::Key::Space) {
            actions.push(Action::Take(CUT));
        }
        if i.consume_key(egui::Modifiers::NONE, egui::Key::Enter) {
            actions.push(Action::Take(FADE));
        }
        for (n, key) in SCENE_KEYS.iter().enumerate() {
            if i.consume_key(egui::Modifiers::NONE, *key) {
                actions.push(Action::Preview(n));
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
            Action::Take(spec) => studio.command(Command::Take(Some(spec))),
            Action::Preview(n) => match studio.engine().show().scenes.get(n).map(|s| s.id.clone()) {
                Some(id) => studio.command(Command::PreviewScene(id)),
                None => studio.notify(format!("there is no scene {} in this show", n + 1)),
            },
            Action::Undo => super::editor::undo(studio),
            Action::Redo => super::editor::redo(studio),
        }
    }
}
