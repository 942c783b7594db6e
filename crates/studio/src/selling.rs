//! The chat panel's Selling tab: a flash deal, a giveaway or a comment
//! auction started by hand, outside the rundown (docs/chat.md). What is
//! open is read from the chat's state; every button is an engine command
//! (`Command::Chat`), as the typed commands, the remote and the console
//! send them.

use crate::engine::Command;
use crate::engine::stats::Snapshot;
use egui::RichText;
use showroom_chat::ChatView;
use showroom_chat::auction::AuctionRequest;
use showroom_chat::deals::DealRequest;
use showroom_chat::state::Action;
use showroom_products::price::{Money, PriceFormatter};

/// What the tab's fields hold between frames.
pub struct Form {
    /// The product of a deal or an auction (its code); None: the one on air.
    product: Option<String>,
    deal_price: String,
    deal_for: String,
    deal_cap: String,
    deal_per_buyer: String,
    keyword: String,
    giveaway_for: String,
    auction_start: String,
    auction_step: String,
    auction_for: String,
    auction_extend: String,
    prices: Option<PriceFormatter>,
}

impl Default for Form {
    fn default() -> Self {
        Form {
            product: None,
            deal_price: String::new(),
            deal_for: "5m".into(),
            deal_cap: String::new(),
            deal_per_buyer: String::new(),
            keyword: "WIN".into(),
            giveaway_for: "2m".into(),
            auction_start: String::new(),
            auction_step: "1".into(),
            auction_for: "1m".into(),
            auction_extend: "10s".into(),
            prices: None,
        }
    }
}

fn clock(ms: u64) -> String {
    let s = ms.div_ceil(1000);
    format!("{}:{:02}", s / 60, s % 60)
}

/// A typed length ("5m", "90s", "45") in whole seconds, or what to fix.
fn seconds(field: &str, text: &str) -> Result<u64, String> {
    crate::show::graphics::parse_duration_ms(text)
        .filter(|ms| *ms >= 1000)
        .map(|ms| ms / 1000)
        .ok_or_else(|| format!("{field} \"{}\": write a length like 5m or 90s", text.trim()))
}

/// An optional whole number ("" is none), or what to fix.
fn count(field: &str, text: &str) -> Result<Option<u32>, String> {
    match text.trim() {
        "" => Ok(None),
        t => t
            .parse::<u32>()
            .ok()
            .filter(|n| *n > 0)
            .map(Some)
            .ok_or_else(|| format!("{field} \"{t}\": write a whole number of 1 or more, or leave it empty")),
    }
}

impl Form {
    fn money(&self, decimal: &str, currency: &str) -> String {
        match (&self.prices, Money::parse(decimal, currency)) {
            (Some(f), Ok(m)) => f.format(&m),
            _ => format!("{decimal} {currency}"),
        }
    }

    fn deal(&self, code: &str) -> Result<Action, String> {
        Ok(Action::StartDeal(DealRequest {
            product_id: code.to_string(),
            price: self.deal_price.trim().to_string(),
            seconds: seconds("deal length", &self.deal_for)?,
            cap: count("cap", &self.deal_cap)?,
            per_buyer: count("per buyer", &self.deal_per_buyer)?,
        }))
    }

    fn giveaway(&self) -> Result<Action, String> {
        Ok(Action::StartGiveaway {
            keyword: self.keyword.trim().to_string(),
            seconds: seconds("giveaway length", &self.giveaway_for)?,
        })
    }

    fn auction(&self, code: &str) -> Result<Action, String> {
        Ok(Action::StartAuction(AuctionRequest {
            product: code.to_string(),
            start: self.auction_start.trim().to_string(),
            step: self.auction_step.trim().to_string(),
            seconds: seconds("auction length", &self.auction_for)?,
            extend_s: match self.auction_extend.trim() {
                "" | "0" => 0,
                t => seconds("anti-sniping", t)?,
            },
        }))
    }
}

fn field(ui: &mut egui::Ui, label: &str, text: &mut String, hint: &str) {
    ui.horizontal(|ui| {
        let l = ui.label(label);
        ui.add(egui::TextEdit::singleline(text).hint_text(hint).desired_width(110.0))
            .labelled_by(l.id);
    });
}

/// What the tab's buttons asked for this frame.
#[derive(Default)]
pub struct Asked {
    pub actions: Vec<Action>,
    pub commands: Vec<Command>,
    /// What to fix in a form that does not read (nothing is sent).
    pub problem: Option<String>,
}

/// The tab.
pub fn tab(
    ui: &mut egui::Ui,
    form: &mut Form,
    chat: ChatView<'_>,
    snap: &Snapshot,
    locale: &str,
    show_path: &std::path::Path,
) -> Asked {
    let mut asked = Asked::default();
    let (actions, send, problem) = (&mut asked.actions, &mut asked.commands, &mut asked.problem);
    if form.prices.is_none() {
        form.prices = PriceFormatter::new(locale)
            .or_else(|_| PriceFormatter::new("en-US"))
            .ok();
    }
    let now = showroom_chat::log::now_ms();
    let s = chat.state();
    let products: Vec<(String, String)> = s
        .ledger
        .catalog()
        .products
        .iter()
        .map(|p| (p.code.clone(), p.title.clone()))
        .collect();
    let open_deals = s.ledger.open_deals(now);
    let giveaway = s.giveaways.last().map(|g| {
        let blocked = |p: showroom_chat::model::Platform, id: &str| s.is_blocked(p, id);
        (
            g.id,
            g.keyword.clone(),
            g.open_at(now).then(|| g.ends_ms.saturating_sub(now)),
            g.entries.len(),
            g.eligible(blocked).len(),
            g.draws.last().map(|d| format!("{} ({})", d.name, d.platform.name())),
        )
    });
    drop(s);
    let featured = snap.graphics.featured.clone();
    let code = form
        .product
        .clone()
        .or(featured)
        .or_else(|| products.first().map(|p| p.0.clone()));
    egui::ScrollArea::vertical().id_salt("selling").show(ui, |ui| {
        if products.is_empty() {
            ui.label("No catalog: deals and auctions need [products] catalog in the show file.");
        } else {
            ui.horizontal(|ui| {
                let l = ui.label("Product");
                let shown = code.clone().unwrap_or_default();
                egui::ComboBox::from_id_salt("selling product")
                    .selected_text(&shown)
                    .show_ui(ui, |ui| {
                        for (c, title) in &products {
                            if ui
                                .selectable_label(Some(c) == code.as_ref(), format!("{c} · {title}"))
                                .clicked()
                            {
                                form.product = Some(c.clone());
                            }
                        }
                    })
                    .response
                    .labelled_by(l.id);
            });
        }

        ui.separator();
        ui.label(RichText::new("Flash deal").strong());
        for (d, left) in &open_deals {
            ui.horizontal_wrapped(|ui| {
                let mut words = format!(
                    "Deal {} · {} at {} · {} left",
                    d.id,
                    d.code,
                    form.money(&d.price, &d.currency),
                    clock(d.ends_ms.saturating_sub(now))
                );
                if let Some(n) = left {
                    words += &format!(" · {n} left at this price");
                }
                ui.label(RichText::new(words).color(crate::theme::ON_AIR));
                if ui
                    .button("End deal")
                    .on_hover_text("back to the regular price now")
                    .clicked()
                {
                    actions.push(Action::EndDeal(d.id));
                }
            });
        }
        field(ui, "Deal price", &mut form.deal_price, "29.00");
        field(ui, "Deal for", &mut form.deal_for, "5m");
        field(ui, "Cap (units)", &mut form.deal_cap, "no cap");
        field(ui, "Per buyer", &mut form.deal_per_buyer, "no limit");
        if let Some(c) = &code
            && ui
                .button(format!("Start flash deal on {c}"))
                .on_hover_text("the card shows the deal price, its countdown and what is left at it")
                .clicked()
        {
            match form.deal(c) {
                Ok(a) => actions.push(a),
                Err(why) => *problem = Some(why),
            }
        }

        ui.separator();
        ui.label(RichText::new("Giveaway").strong());
        if let Some((id, keyword, open, entries, eligible, winner)) = &giveaway {
            let words = match open {
                Some(left) => format!(
                    "Giveaway {id} · \"{keyword}\" · {entries} entries · {} left",
                    clock(*left)
                ),
                None => format!("Giveaway {id} · \"{keyword}\" closed · {entries} entries, {eligible} eligible"),
            };
            ui.label(words);
            if let Some(w) = winner {
                ui.label(RichText::new(format!("Winner: {w}")).strong());
            }
            ui.horizontal_wrapped(|ui| {
                if open.is_none() {
                    let label = if winner.is_some() { "Re-draw" } else { "Draw winner" };
                    if ui
                        .button(label)
                        .on_hover_text("a new seed, kept in the event log so anyone can re-run the draw")
                        .clicked()
                    {
                        actions.push(Action::DrawGiveaway {
                            giveaway: *id,
                            seed: None,
                        });
                    }
                }
                let path = show_path.with_file_name(format!("giveaway-{id}-entries.csv"));
                if ui
                    .button("Export entries (CSV)")
                    .on_hover_text(format!("writes {}", path.display()))
                    .clicked()
                {
                    send.push(Command::ExportGiveaway(*id, path));
                }
            });
        }
        field(ui, "Keyword", &mut form.keyword, "WIN");
        field(ui, "Entries for", &mut form.giveaway_for, "2m");
        let giveaway_open = giveaway.as_ref().is_some_and(|g| g.2.is_some());
        if ui
            .add_enabled(!giveaway_open, egui::Button::new("Start giveaway"))
            .on_hover_text("one entry per person per platform; no purchase needed")
            .clicked()
        {
            match form.giveaway() {
                Ok(a) => actions.push(a),
                Err(why) => *problem = Some(why),
            }
        }

        ui.separator();
        ui.label(RichText::new("Auction").strong());
        let auction_open = snap.auction.as_ref().is_some_and(|a| a.state == "open");
        if let Some(a) = &snap.auction {
            let price = form.money(&a.price, &a.currency);
            let lead = match (&a.leader, &a.leader_platform) {
                (Some(who), Some(p)) => format!("{price} by {who} ({p})"),
                _ => format!("no bids, starts at {price}"),
            };
            let words = if auction_open {
                format!(
                    "Auction {} · {} · {lead} · {} left · {} bids, {} refused",
                    a.id,
                    a.product,
                    clock(a.left_ms.unwrap_or(0)),
                    a.bids,
                    a.refused
                )
            } else {
                match &a.leader {
                    Some(who) => format!("Auction {} · {} won by {who} at {price}", a.id, a.product),
                    None => format!("Auction {} · {} ended without bids", a.id, a.product),
                }
            };
            ui.horizontal_wrapped(|ui| {
                let text = RichText::new(words);
                ui.label(if auction_open {
                    text.color(crate::theme::ON_AIR)
                } else {
                    text
                });
                if auction_open
                    && ui
                        .button("End auction")
                        .on_hover_text("the leading bid wins now")
                        .clicked()
                {
                    actions.push(Action::EndAuction(a.id));
                }
            });
        }
        field(ui, "Start price", &mut form.auction_start, "10.00");
        field(ui, "Bid step", &mut form.auction_step, "1");
        field(ui, "Auction for", &mut form.auction_for, "1m");
        field(ui, "Anti-sniping", &mut form.auction_extend, "10s");
        if let Some(c) = &code
            && ui
                .add_enabled(!auction_open, egui::Button::new(format!("Start auction on {c}")))
                .on_hover_text("bids like \"BID 25\" from every platform; a bid near the end extends it")
                .clicked()
        {
            match form.auction(c) {
                Ok(a) => actions.push(a),
                Err(why) => *problem = Some(why),
            }
        }
    });
    asked
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_forms_read_lengths_and_limits_or_say_what_to_fix() {
        let mut f = Form {
            deal_price: " 29.00 ".into(),
            deal_cap: "3".into(),
            ..Form::default()
        };
        match f.deal("A1").unwrap() {
            Action::StartDeal(d) => {
                assert_eq!(
                    (d.price.as_str(), d.seconds, d.cap, d.per_buyer),
                    ("29.00", 300, Some(3), None)
                );
            }
            other => panic!("{other:?}"),
        }
        f.deal_per_buyer = "0".into();
        assert!(f.deal("A1").unwrap_err().contains("per buyer \"0\""));
        f.giveaway_for = "soon".into();
        assert!(f.giveaway().unwrap_err().contains("like 5m or 90s"));
        f.auction_start = "10".into();
        match f.auction("B2").unwrap() {
            Action::StartAuction(a) => assert_eq!((a.seconds, a.extend_s, a.step.as_str()), (60, 10, "1")),
            other => panic!("{other:?}"),
        }
        f.auction_extend = "0".into();
        assert!(matches!(f.auction("B2").unwrap(), Action::StartAuction(a) if a.extend_s == 0));
    }
}
