//! The Crew panel: the crew console's switch, its address (and the HTTPS
//! certificate's fingerprint off this machine), invites for named people
//! with a role — shown as a link to copy and a QR code to scan — who is
//! connected, and revocation (docs/console.md).

use crate::Studio;
use crate::secrets::Secret;
use showroom_console::{Console, Role, roles::ROLES};
use std::collections::BTreeMap;

/// What the panel keeps between frames.
pub struct Crew {
    pub console: Option<Console>,
    /// Why the console could not start, when it could not.
    pub error: Option<String>,
    /// The links of invites made in this window (a link is shown only here).
    pub links: BTreeMap<u64, Secret>,
    pub role: Role,
    pub name: String,
    /// The invite whose QR code is shown.
    pub qr: Option<u64>,
    pub message: Option<String>,
}

impl Default for Crew {
    fn default() -> Crew {
        Crew {
            console: None,
            error: None,
            links: BTreeMap::new(),
            role: Role::Moderator,
            name: String::new(),
            qr: None,
            message: None,
        }
    }
}

impl Studio {
    /// The crew console, while it runs.
    pub fn console(&self) -> Option<&Console> {
        self.crew.console.as_ref()
    }

    /// Starts (the show's [console], or 127.0.0.1:8790 for this machine)
    /// or stops the crew console; stopping ends every invite.
    pub fn set_console(&mut self, on: bool) {
        match (on, self.crew.console.take()) {
            (false, Some(c)) => {
                // Pages get up to 2 s to hear the end: not on the UI thread.
                let _ = std::thread::Builder::new()
                    .name("console-stop".into())
                    .spawn(move || c.stop());
                self.crew.links.clear();
                self.crew.qr = None;
            }
            (true, None) => {
                let spec = self
                    .engine()
                    .show()
                    .console
                    .clone()
                    .unwrap_or_else(|| crate::show::ConsoleSpec::local(crate::show::ConsoleSpec::DEFAULT_LISTEN));
                let engine = self.engine.clone().expect("the engine runs until the window closes");
                match Console::start(engine, &spec) {
                    Ok(c) => {
                        self.crew.console = Some(c);
                        self.crew.error = None;
                    }
                    Err(e) => self.crew.error = Some(crate::secrets::redact(&e.to_string())),
                }
            }
            (_, c) => self.crew.console = c,
        }
    }

    /// A new invite; its link is kept for the panel to show and copy.
    pub fn invite(&mut self, role: Role, name: &str) -> Result<u64, String> {
        let c = self.crew.console.as_ref().ok_or("start the crew console first")?;
        let i = c.invite(role, name).map_err(|e| e.to_string())?;
        self.crew.links.insert(i.id, i.link);
        self.crew.qr = Some(i.id);
        Ok(i.id)
    }

    /// Ends an invite; its open pages are closed at once.
    pub fn revoke(&mut self, id: u64) -> Result<(), String> {
        let c = self.crew.console.as_ref().ok_or("the crew console is not running")?;
        c.revoke(id).map_err(|e| e.to_string())?;
        self.crew.links.remove(&id);
        if self.crew.qr == Some(id) {
            self.crew.qr = None;
        }
        Ok(())
    }
}

fn qr(ui: &mut egui::Ui, text: &str) {
    let Some((w, dark)) = showroom_console::qr::modules(text) else {
        ui.label("the link is too long for a QR code");
        return;
    };
    let module = 4.0;
    let quiet = 4.0 * module;
    let side = w as f32 * module + 2.0 * quiet;
    let (rect, _) = ui.allocate_exact_size(egui::vec2(side, side), egui::Sense::hover());
    let p = ui.painter();
    p.rect_filled(rect, 0.0, egui::Color32::WHITE);
    for y in 0..w {
        for x in 0..w {
            if dark[y * w + x] {
                let min = rect.min + egui::vec2(quiet + x as f32 * module, quiet + y as f32 * module);
                p.rect_filled(
                    egui::Rect::from_min_size(min, egui::vec2(module, module)),
                    0.0,
                    egui::Color32::BLACK,
                );
            }
        }
    }
}

/// The Crew section of the Outputs panel.
pub fn panel(studio: &mut Studio, ui: &mut egui::Ui) {
    use egui::RichText;
    ui.heading("Crew");
    let mut on = studio.console().is_some();
    if ui
        .checkbox(&mut on, "crew console")
        .on_hover_text("Web pages for moderators, a producer, the host's prompter and the brand, each on their own device (docs/console.md)")
        .changed()
    {
        studio.set_console(on);
    }
    if let Some(e) = &studio.crew.error {
        ui.label(RichText::new(e).color(crate::theme::ERROR));
    }
    let Some(c) = studio.console() else {
        return;
    };
    ui.label(c.url());
    if let Some(f) = c.fingerprint() {
        ui.add(egui::Label::new(RichText::new(format!("certificate SHA-256 {f}")).small()).wrap());
    }
    let crew = c.crew();
    ui.horizontal_wrapped(|ui| {
        egui::ComboBox::from_label("role")
            .selected_text(studio.crew.role.name())
            .show_ui(ui, |ui| {
                for r in ROLES {
                    ui.selectable_value(&mut studio.crew.role, r, r.name());
                }
            });
        ui.add(
            egui::TextEdit::singleline(&mut studio.crew.name)
                .hint_text("name")
                .desired_width(120.0),
        );
        if ui.button("Invite").clicked() {
            let (role, name) = (studio.crew.role, studio.crew.name.clone());
            match studio.invite(role, &name) {
                Ok(id) => {
                    studio.crew.message = Some(format!("invite {id} for {} ({role})", name.trim()));
                    studio.crew.name.clear();
                }
                Err(e) => studio.crew.message = Some(e),
            }
        }
    });
    if let Some(m) = &studio.crew.message {
        ui.label(m.as_str());
    }
    if crew.is_empty() {
        ui.label(RichText::new("nobody invited yet").color(crate::theme::MUTED));
    }
    let mut revoke = None;
    let mut show_qr = None;
    for m in &crew {
        ui.horizontal_wrapped(|ui| {
            ui.label(format!(
                "{} · {} · {}",
                m.name,
                m.role,
                match m.pages {
                    0 => "not connected".to_string(),
                    1 => "connected".to_string(),
                    n => format!("{n} pages"),
                }
            ));
            if let Some(link) = studio.crew.links.get(&m.id) {
                if ui.button("Copy link").clicked() {
                    ui.ctx().copy_text(link.expose().to_string());
                }
                if ui.button("QR").clicked() {
                    show_qr = Some(m.id);
                }
            }
            if ui.button("Revoke").clicked() {
                revoke = Some(m.id);
            }
        });
    }
    if let Some(id) = show_qr {
        studio.crew.qr = if studio.crew.qr == Some(id) { None } else { Some(id) };
    }
    if let Some(id) = revoke
        && let Err(e) = studio.revoke(id)
    {
        studio.crew.message = Some(e);
    }
    if let Some(id) = studio.crew.qr
        && let Some(link) = studio.crew.links.get(&id)
    {
        let link = link.expose().to_string();
        ui.label("Scan with the phone's camera:");
        qr(ui, &link);
    }
}
