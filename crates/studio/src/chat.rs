//! The chat panel: every platform's messages merged, with per-platform
//! colour and tag, filters by platform and kind, search; the host queue
//! (questions, asks about price / size / shipping / availability, purchase
//! intent, claims to check); the claims ledger; hidden messages, blocked
//! users and words. One click puts a message on the featured-comment card,
//! one click takes it off.
//!
//! The list is virtualised (`show_rows`): only visible rows are laid out, so
//! tens of thousands of messages cost the same per frame as twenty. The
//! filtered list is kept between frames and only new messages are scanned.

use super::Studio;
use crate::engine::Command;
use crate::graphics::GraphicsCommand as G;
use crate::theme;
use egui::{Color32, RichText};
use showroom_chat::ChatView;
use showroom_chat::connectors::State;
use showroom_chat::ledger::Status;
use showroom_chat::model::{Kind, Platform};
use showroom_chat::state::{Action, ChatState, Entry};
use showroom_products::price::PriceFormatter;

/// Wide enough for a name and a short comment on one line; at a 1366 px
/// laptop screen it leaves the preview and program panes 270 px each.
pub const PANEL_WIDTH: f32 = 300.0;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Tab {
    #[default]
    All,
    Queue,
    Claims,
    Moderation,
    /// Flash deals, giveaways and auctions by hand (crates/studio/src/selling.rs).
    Selling,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum KindFilter {
    #[default]
    Any,
    Text,
    Paid,
    Joins,
}

#[derive(Default)]
pub struct View {
    pub tab: Tab,
    /// Platforms hidden by the filter.
    pub off: Vec<Platform>,
    pub kind: KindFilter,
    pub search: String,
    pub selected: Option<u64>,
    /// The message on the featured-comment card.
    pub featured: Option<u64>,
    /// The blocked-words editor's text.
    words: Option<String>,
    /// Moderator's claim for an unclear comment: product, variant, quantity.
    claim_form: Option<(usize, usize, u32)>,
    cache: Filtered,
    /// Money as the cards write it (the Sales panel), made once.
    prices: Option<PriceFormatter>,
}

/// The filtered message list and what it was made from.
#[derive(Default)]
struct Filtered {
    key: (Tab, Vec<Platform>, KindFilter, String),
    version: u64,
    /// The newest sequence number scanned (All tab: only newer are scanned).
    scanned: u64,
    seqs: Vec<u64>,
}

pub fn colour(p: Platform) -> Color32 {
    match p {
        Platform::TikTok => Color32::from_rgb(0xFE, 0x2C, 0x55),
        Platform::Instagram => Color32::from_rgb(0xC1, 0x35, 0x84),
        Platform::Amazon => Color32::from_rgb(0xFF, 0x99, 0x00),
        Platform::Bambuser => Color32::from_rgb(0x4B, 0x5B, 0xDB),
        Platform::YouTube => Color32::from_rgb(0xFF, 0x00, 0x00),
        Platform::Facebook => Color32::from_rgb(0x18, 0x77, 0xF2),
        Platform::Twitch => Color32::from_rgb(0x91, 0x46, 0xFF),
        Platform::Other => Color32::GRAY,
    }
}

/// The short tag shown before each message ("TT", "IG").
pub fn tag(p: Platform) -> &'static str {
    match p {
        Platform::TikTok => "TT",
        Platform::Instagram => "IG",
        Platform::Amazon => "AMZ",
        Platform::Bambuser => "BAM",
        Platform::YouTube => "YT",
        Platform::Facebook => "FB",
        Platform::Twitch => "TW",
        Platform::Other => "…",
    }
}

fn passes(view: &View, query: &str, e: &Entry) -> bool {
    if view.off.contains(&e.msg.platform) {
        return false;
    }
    let kind_ok = match view.kind {
        KindFilter::Any => true,
        KindFilter::Text => matches!(e.msg.kind, Kind::Text),
        KindFilter::Paid => matches!(e.msg.kind, Kind::Paid { .. }),
        KindFilter::Joins => matches!(e.msg.kind, Kind::Join),
    };
    if !kind_ok {
        return false;
    }
    // `query` is lower-cased once by the caller, not per message.
    query.is_empty() || e.msg.text.to_lowercase().contains(query) || e.msg.author.name.to_lowercase().contains(query)
}

fn in_tab(tab: Tab, e: &Entry) -> bool {
    match tab {
        Tab::All => !matches!(e.msg.kind, Kind::Deletion { .. }),
        Tab::Queue => e.flags.any() && !e.answered && e.hidden.is_none(),
        Tab::Moderation => e.hidden.is_some(),
        Tab::Claims | Tab::Selling => false,
    }
}

/// Brings the filtered list up to date with the state.
fn refresh(view: &mut View, s: &ChatState) {
    let key = (view.tab, view.off.clone(), view.kind, view.search.clone());
    let first = s.entries().front().map(|e| e.seq).unwrap_or(0);
    // Membership in All depends only on what a message is, never on later
    // moderation: scan only the new ones. The other tabs are rebuilt.
    let incremental = view.cache.key == key && view.tab == Tab::All;
    if view.cache.key == key && view.cache.version == s.version {
        return;
    }
    if !incremental {
        view.cache.seqs.clear();
        view.cache.scanned = 0;
    }
    let from = view.cache.scanned;
    let query = view.search.trim().to_lowercase();
    let new: Vec<u64> = s
        .entries()
        .iter()
        .rev()
        .take_while(|e| e.seq > from)
        .filter(|e| in_tab(view.tab, e) && passes(view, &query, e))
        .map(|e| e.seq)
        .collect();
    view.cache.seqs.extend(new.into_iter().rev());
    // Messages dropped from memory leave the list too.
    let gone = view.cache.seqs.partition_point(|q| *q < first);
    view.cache.seqs.drain(..gone);
    view.cache.scanned = s.entries().back().map(|e| e.seq).unwrap_or(0);
    view.cache.key = key;
    view.cache.version = s.version;
}

pub fn panel(studio: &mut Studio, ui: &mut egui::Ui) {
    if studio.engine().chat().is_none() || !studio.chat_open {
        return;
    }
    egui::Panel::right("chat").exact_size(PANEL_WIDTH).show(ui, |ui| {
        let mut view = std::mem::take(&mut studio.chat_view);
        let mut form = std::mem::take(&mut studio.selling);
        let mut send = Vec::new();
        let mut actions = Vec::new();
        let mut problem = None;
        if let Some(chat) = studio.engine().chat() {
            header(ui, chat);
            tabs(ui, &mut view, chat);
            match view.tab {
                Tab::Selling => {
                    let asked = super::selling::tab(
                        ui,
                        &mut form,
                        chat,
                        studio.snapshot(),
                        &studio.engine().show().graphics.locale,
                        studio.show_path(),
                    );
                    actions.extend(asked.actions);
                    send.extend(asked.commands);
                    problem = asked.problem;
                }
                Tab::Claims => {
                    if view.prices.is_none() {
                        let locale = &studio.engine().show().graphics.locale;
                        view.prices = PriceFormatter::new(locale)
                            .or_else(|_| PriceFormatter::new("en-US"))
                            .ok();
                    }
                    super::sales::panel(ui, studio.snapshot().metrics.as_ref(), view.prices.as_ref());
                    claims(
                        ui,
                        chat,
                        &mut actions,
                        &mut send,
                        &studio.snapshot().jobs,
                        studio.show_path(),
                    )
                }
                _ => {
                    if view.tab == Tab::Moderation {
                        moderation(ui, &mut view, chat, &mut actions);
                    }
                    filters(ui, &mut view);
                    list(ui, &mut view, chat);
                    selected(ui, &mut view, chat, &mut actions, &mut send);
                }
            }
        }
        studio.chat_view = view;
        studio.selling = form;
        if let Some(why) = problem {
            studio.notify(why);
        }
        for cmd in send {
            studio.command(cmd);
        }
        // Through the engine, like every other client's.
        for a in actions {
            studio.command(Command::Chat(a));
        }
    });
}

fn header(ui: &mut egui::Ui, chat: ChatView<'_>) {
    ui.horizontal(|ui| {
        ui.heading("Chat");
        let total = chat.state().total();
        ui.label(format!("{total} messages"));
    });
    for s in chat.statuses() {
        let colour = match s.state {
            State::Live => theme::OK,
            State::Connecting | State::Ended => theme::MUTED,
            State::Waiting => theme::WARN,
            State::Failed => theme::ERROR,
        };
        let dot = s.state.word();
        ui.horizontal(|ui| {
            ui.label(RichText::new(dot).color(colour).strong());
            ui.label(format!("{} · {}", s.name, s.messages));
            // One line, cut to the panel (the whole on hover).
            ui.add(egui::Label::new(RichText::new(&s.detail).small().weak()).truncate())
                .on_hover_text(&s.detail);
        });
    }
    for b in chat.bridge_access() {
        bridge_token(ui, b);
    }
    if let Some(e) = chat.disk_error() {
        ui.colored_label(theme::ERROR, format!("Chat log: {e}"));
    }
}

/// A bridge's address and token, for pointing a relay or script at it: the
/// token is hidden until asked for, and copied with the URL.
fn bridge_token(ui: &mut egui::Ui, b: &showroom_chat::connectors::bridge::BridgeAccess) {
    let id = egui::Id::unique(("bridge-token", &b.source));
    let mut shown = ui.data(|d| d.get_temp::<bool>(id)).unwrap_or(false);
    // Wrapped: the panel is narrow, and nothing in it may widen it.
    ui.horizontal_wrapped(|ui| {
        ui.label(RichText::new(format!("{} token", b.source)).small());
        let text = if shown {
            b.token.expose().to_string()
        } else {
            "••••••••".to_string()
        };
        ui.add(egui::Label::new(RichText::new(text).small().monospace()).wrap())
            .on_hover_text(format!("kept in {}", b.kept));
        if ui.small_button(if shown { "Hide" } else { "Show" }).clicked() {
            shown = !shown;
        }
        if ui
            .small_button("Copy token")
            .on_hover_text("senders use Authorization: Bearer TOKEN (or ?token=TOKEN)")
            .clicked()
        {
            ui.ctx().copy_text(b.token.expose().to_string());
        }
        if ui
            .small_button("Copy URL")
            .on_hover_text("the WebSocket URL with its token, for a relay")
            .clicked()
        {
            ui.ctx()
                .copy_text(format!("ws://{}/v1/ws?token={}", b.addr, b.token.expose()));
        }
    });
    ui.data_mut(|d| d.insert_temp(id, shown));
}

fn tabs(ui: &mut egui::Ui, view: &mut View, chat: ChatView<'_>) {
    let (queue, claims) = {
        let s = chat.state();
        (s.queue().count(), s.ledger.claims().len())
    };
    // Wrapped: five tabs do not fit the panel's width on one line.
    ui.horizontal_wrapped(|ui| {
        ui.selectable_value(&mut view.tab, Tab::All, "All");
        ui.selectable_value(&mut view.tab, Tab::Queue, format!("Host queue ({queue})"));
        ui.selectable_value(&mut view.tab, Tab::Claims, format!("Claims ({claims})"));
        ui.selectable_value(&mut view.tab, Tab::Moderation, "Hidden");
        ui.selectable_value(&mut view.tab, Tab::Selling, "Selling");
    });
    ui.separator();
}

fn filters(ui: &mut egui::Ui, view: &mut View) {
    ui.horizontal_wrapped(|ui| {
        for p in Platform::ALL {
            let on = !view.off.contains(&p);
            let text = theme::chip(tag(p), colour(p), on);
            if ui
                .selectable_label(on, text)
                .on_hover_text(format!("show {} messages", p.name()))
                .clicked()
            {
                if on {
                    view.off.push(p);
                } else {
                    view.off.retain(|o| *o != p);
                }
            }
        }
        egui::ComboBox::new("chat kind", "Kind")
            .selected_text(match view.kind {
                KindFilter::Any => "All kinds",
                KindFilter::Text => "Comments",
                KindFilter::Paid => "Gifts & paid",
                KindFilter::Joins => "Joins",
            })
            .show_ui(ui, |ui| {
                ui.selectable_value(&mut view.kind, KindFilter::Any, "All kinds");
                ui.selectable_value(&mut view.kind, KindFilter::Text, "Comments");
                ui.selectable_value(&mut view.kind, KindFilter::Paid, "Gifts & paid");
                ui.selectable_value(&mut view.kind, KindFilter::Joins, "Joins");
            });
    });
    ui.add(
        egui::TextEdit::singleline(&mut view.search)
            .hint_text("Search messages and names")
            .desired_width(f32::INFINITY),
    );
}

/// One line: tag, name, text (cut to fit; the whole on hover).
fn row_text(e: &Entry) -> (String, String) {
    let body = match &e.msg.kind {
        Kind::Paid { amount } => format!("[{amount}] {}", e.msg.text),
        Kind::Join => format!("joined {}", e.msg.text),
        _ => e.msg.text.clone(),
    };
    let mut note = String::new();
    if e.flags.any() {
        note = format!(" [{}]", e.flags.describe());
    }
    if e.claim.is_some() {
        note = " [claim]".into();
    }
    if let Some(h) = &e.hidden {
        note = format!(" [hidden: {h}]");
    }
    (format!("{}: {body}", e.msg.author.name), note)
}

fn list(ui: &mut egui::Ui, view: &mut View, chat: ChatView<'_>) {
    let s = chat.state();
    refresh(view, &s);
    let row_h = ui.text_style_height(&egui::TextStyle::Body) + 6.0;
    let rows = view.cache.seqs.len();
    let height = (ui.available_height() - 170.0).max(120.0);
    if rows == 0 {
        ui.label(match view.tab {
            Tab::Queue => "No questions waiting.",
            Tab::Moderation => "Nothing hidden.",
            _ => "No messages yet.",
        });
    }
    egui::ScrollArea::vertical()
        .id_salt(("chat list", view.tab as u8))
        .max_height(height)
        .auto_shrink([false, true])
        .stick_to_bottom(view.tab == Tab::All)
        .show_rows(ui, row_h, rows, |ui, range| {
            for seq in &view.cache.seqs[range] {
                let Some(e) = s.entry(*seq) else { continue };
                let (text, note) = row_text(e);
                ui.horizontal(|ui| {
                    ui.set_height(row_h - 4.0);
                    ui.label(theme::chip(tag(e.msg.platform), colour(e.msg.platform), true));
                    let mut label = RichText::new(format!("{text}{note}"));
                    if e.hidden.is_some() {
                        label = label.weak().strikethrough();
                    } else if e.flags.any() && !e.answered {
                        label = label.color(theme::FLAG);
                    }
                    if view.featured == Some(e.seq) {
                        label = label.background_color(theme::FEATURED_BG);
                    }
                    let r = ui
                        .add(egui::Button::selectable(view.selected == Some(e.seq), label).truncate())
                        .on_hover_text(format!(
                            "{} on {}: {}",
                            e.msg.author.name,
                            e.msg.platform.name(),
                            e.msg.text
                        ));
                    if r.clicked() {
                        view.selected = Some(e.seq);
                        view.claim_form = None;
                    }
                });
            }
        });
}

fn selected(
    ui: &mut egui::Ui,
    view: &mut View,
    chat: ChatView<'_>,
    actions: &mut Vec<Action>,
    send: &mut Vec<Command>,
) {
    let Some(seq) = view.selected else { return };
    let s = chat.state();
    let Some(e) = s.entry(seq) else {
        view.selected = None;
        return;
    };
    ui.separator();
    ui.label(RichText::new(format!("{} · {}", e.msg.author.name, e.msg.platform.name())).strong());
    ui.label(&e.msg.text);
    if let Some(why) = &e.check {
        ui.colored_label(theme::FLAG, format!("Claim to check: {why}"));
    }
    ui.horizontal_wrapped(|ui| {
        if view.featured == Some(seq) {
            if ui.button("Take off screen").clicked() {
                send.push(Command::Graphics(G::HideComment));
                view.featured = None;
            }
        } else if ui.button("Put on screen").clicked() {
            send.push(Command::Graphics(G::FeatureComment {
                author: e.msg.author.name.clone(),
                platform: e.msg.platform.name().to_string(),
                text: e.msg.text.clone(),
            }));
            view.featured = Some(seq);
        }
        if e.flags.any() && !e.answered && ui.button("Answered").clicked() {
            actions.push(Action::Answered(seq));
        }
        if e.hidden.is_some() {
            if ui.button("Unhide").clicked() {
                actions.push(Action::Unhide(seq));
            }
        } else if ui.button("Hide").clicked() {
            actions.push(Action::Hide(seq));
        }
        if ui
            .button("Block author")
            .on_hover_text("hide everything this person has written and will write")
            .clicked()
        {
            actions.push(Action::Block(seq));
        }
        if e.claim.is_none() && ui.button("Claim…").clicked() {
            view.claim_form = Some((0, 0, 1));
        }
    });
    if let (Some((mut p, mut v, mut q)), None) = (view.claim_form, e.claim) {
        let (p, v, q) = (&mut p, &mut v, &mut q);
        let products = &s.ledger.catalog().products;
        if products.is_empty() {
            ui.label("The show has no catalog to claim from.");
            return;
        }
        let mut cleared = false;
        ui.horizontal_wrapped(|ui| {
            egui::ComboBox::new("claim product", "Product")
                .selected_text(
                    products
                        .get(*p)
                        .map(|x| format!("{} {}", x.code, x.title))
                        .unwrap_or_default(),
                )
                .show_ui(ui, |ui| {
                    for (i, x) in products.iter().enumerate() {
                        if ui.selectable_value(p, i, format!("{} {}", x.code, x.title)).clicked() {
                            *v = 0;
                        }
                    }
                });
            let variants = &products[(*p).min(products.len() - 1)].variants;
            if variants.len() > 1 {
                egui::ComboBox::new("claim variant", "Variant")
                    .selected_text(variants.get(*v).and_then(|x| x.option.clone()).unwrap_or_default())
                    .show_ui(ui, |ui| {
                        for (i, x) in variants.iter().enumerate() {
                            ui.selectable_value(v, i, x.option.clone().unwrap_or_default());
                        }
                    });
            }
            ui.add(egui::DragValue::new(q).range(1..=99).prefix("× "));
            if ui.button("Claim").clicked() {
                actions.push(Action::Claim {
                    seq,
                    product: *p,
                    variant: *v,
                    quantity: *q,
                });
                cleared = true;
            }
        });
        view.claim_form = if cleared { None } else { Some((*p, *v, *q)) };
    }
}

fn claims(
    ui: &mut egui::Ui,
    chat: ChatView<'_>,
    actions: &mut Vec<Action>,
    send: &mut Vec<Command>,
    jobs: &[crate::engine::jobs::JobStatus],
    show_path: &std::path::Path,
) {
    let s = chat.state();
    let (claimed, waiting, cancelled) = s.claim_counts();
    ui.label(format!(
        "{claimed} claimed · {waiting} waitlisted · {cancelled} cancelled"
    ));
    // Stock left per product as the ledger has it.
    ui.horizontal_wrapped(|ui| {
        for (pi, p) in s.ledger.catalog().products.iter().enumerate() {
            let left: Option<i64> = (0..p.variants.len())
                .map(|v| s.ledger.left(pi, v))
                .try_fold(0, |acc, l| l.map(|l| acc + l.max(0)));
            if let Some(left) = left {
                ui.label(RichText::new(format!("{} {left} left", p.code)).small());
            }
        }
    });
    let path = show_path.with_file_name(format!(
        "{}-claims.csv",
        show_path.file_stem().and_then(|s| s.to_str()).unwrap_or("show")
    ));
    let mut export = false;
    if ui
        .button("Export claims (CSV)")
        .on_hover_text(format!("writes {}", path.display()))
        .clicked()
    {
        export = true;
    }
    let height = (ui.available_height() - 20.0).max(120.0);
    egui::ScrollArea::vertical()
        .id_salt("claims")
        .max_height(height)
        .stick_to_bottom(true)
        .show(ui, |ui| {
            for c in s.ledger.claims() {
                ui.horizontal(|ui| {
                    ui.label(RichText::new(tag(c.platform)).color(colour(c.platform)).strong());
                    let what = match &c.variant {
                        Some(v) => format!("{} {v}", c.code),
                        None => c.code.clone(),
                    };
                    let status = match c.status {
                        Status::Claimed => RichText::new("claimed").color(theme::OK),
                        Status::Waitlisted => RichText::new("waitlist").color(theme::WARN),
                        Status::Cancelled => RichText::new("cancelled").weak(),
                    };
                    ui.label(format!("#{} {} · {what} × {}", c.id, c.buyer, c.quantity));
                    ui.label(status);
                    if let Some(order) = s.ordered.get(&c.id) {
                        ui.label(RichText::new(order).small());
                    }
                    if c.status != Status::Cancelled && ui.small_button("Cancel").clicked() {
                        actions.push(Action::CancelClaim(c.id));
                    }
                });
            }
        });
    drop(s);
    // Exports and draft orders are engine jobs: their state is in the snapshot.
    let last = |kind: &str| jobs.iter().rev().find(|j| j.kind == kind);
    let running = |kind: &str| last(kind).is_some_and(|j| j.state == crate::engine::jobs::JobState::Running);
    if chat.has_shop() {
        let busy = running("draft_orders");
        let button = ui.add_enabled(
            !busy,
            egui::Button::new(if busy {
                "Creating draft orders…"
            } else {
                "Create Shopify draft orders"
            }),
        );
        if button
            .on_hover_text("one draft order per buyer for the claimed lines not yet ordered; the stock is reserved")
            .clicked()
        {
            send.push(Command::DraftOrders);
        }
    }
    if export && !running("claims_csv") {
        send.push(Command::ExportClaims(path));
    }
    // The latest result of either, in words.
    let note = jobs
        .iter()
        .rev()
        .find(|j| j.kind == "claims_csv" || j.kind == "draft_orders")
        .and_then(|j| match j.state {
            crate::engine::jobs::JobState::Running => None,
            crate::engine::jobs::JobState::Done => j.summary.clone(),
            crate::engine::jobs::JobState::Failed => j.summary.as_ref().map(|s| format!("Failed: {s}")),
        });
    if let Some(note) = note {
        ui.label(note);
    }
}

fn moderation(ui: &mut egui::Ui, view: &mut View, chat: ChatView<'_>, actions: &mut Vec<Action>) {
    let s = chat.state();
    ui.label(RichText::new("Blocked users").strong());
    if s.blocked_users.is_empty() {
        ui.label("None.");
    }
    for (p, id, name) in &s.blocked_users {
        ui.horizontal(|ui| {
            ui.label(RichText::new(tag(*p)).color(colour(*p)));
            ui.label(name);
            if ui.small_button("Unblock").clicked() {
                actions.push(Action::Unblock(*p, id.clone()));
            }
        });
    }
    ui.label(RichText::new("Blocked words").strong());
    let words = view.words.get_or_insert_with(|| s.blocked_words.join(", "));
    ui.horizontal(|ui| {
        ui.add(
            egui::TextEdit::singleline(words)
                .hint_text("words, separated by commas")
                .desired_width(240.0),
        );
        if ui.button("Save words").clicked() {
            let list = words
                .split(',')
                .map(|w| w.trim().to_string())
                .filter(|w| !w.is_empty())
                .collect();
            actions.push(Action::SetBlockedWords(list));
        }
    });
    ui.separator();
}
