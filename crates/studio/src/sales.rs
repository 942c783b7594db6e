//! The small Sales panel atop the chat panel's Claims tab: what the show
//! has sold and heard so far, from the snapshot's live metrics
//! (docs/report.md, "Live").

use crate::engine::stats::{LiveMetrics, MoneyFigure};
use egui::RichText;
use showroom_products::price::{Money, PriceFormatter};

fn money(prices: Option<&PriceFormatter>, figures: &[MoneyFigure]) -> String {
    if figures.is_empty() {
        return "nothing yet".into();
    }
    figures
        .iter()
        .map(|f| match (prices, Money::parse(&f.amount, &f.currency)) {
            (Some(p), Ok(m)) => p.format(&m),
            _ => format!("{} {}", f.amount, f.currency),
        })
        .collect::<Vec<_>>()
        .join(" + ")
}

/// "Sales $57.50 · 2 claims, 2 units · 2 buyers · average $28.75" and
/// "7 comments from 6 people (3 in the last minute) · 1 of 2 questions
/// answered, median 12 s".
pub fn lines(m: &LiveMetrics, prices: Option<&PriceFormatter>) -> [String; 2] {
    let mut sales = format!(
        "Sales {} · {} claims, {} units · {} buyers",
        money(prices, &m.revenue),
        m.claims,
        m.units,
        m.buyers
    );
    if !m.aov.is_empty() {
        sales += &format!(" · average {}", money(prices, &m.aov));
    }
    if m.waitlisted_units > 0 {
        sales += &format!(" · {} waitlisted", m.waitlisted_units);
    }
    let mut chat = format!(
        "{} comments from {} people ({} in the last minute) · {} of {} questions answered",
        m.comments, m.commenters, m.comments_last_minute, m.answered, m.questions
    );
    if let Some(s) = m.median_answer_s {
        chat += &format!(", median {s:.0} s");
    }
    if let Some(v) = m.viewers {
        // "· 1,240 watching (TikTok 1,100, YouTube 140)"
        let each: Vec<String> = m
            .platforms
            .iter()
            .filter_map(|p| Some(format!("{} {}", p.name, thousands(p.viewers?))))
            .collect();
        chat += &format!(" · {} watching ({})", thousands(v), each.join(", "));
    }
    [sales, chat]
}

/// 1240 → "1,240".
fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

pub fn panel(ui: &mut egui::Ui, m: Option<&LiveMetrics>, prices: Option<&PriceFormatter>) {
    let Some(m) = m else { return };
    let [sales, chat] = lines(m, prices);
    ui.label(RichText::new(sales).strong());
    ui.label(RichText::new(chat).small());
    ui.separator();
}
