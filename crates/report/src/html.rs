//! `report.html`: the report as one self-contained page — inline style and
//! SVG charts, no script, no font, no picture and no link it would fetch —
//! so it opens offline and can be mailed as one file.

use crate::figures::Report;
use std::fmt::Write;

/// Text for HTML: the five characters that could end or open markup.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Platform colours, as accents beside their names (never text on them).
fn colour(platform: &str) -> &'static str {
    match platform {
        "tiktok" => "#00a3a3",
        "youtube" => "#c4302b",
        "instagram" => "#c13584",
        "facebook" => "#1877f2",
        "twitch" => "#6441a5",
        "amazon" => "#e47911",
        "bambuser" => "#2b2b2b",
        _ => "#6b7280",
    }
}

const W: f64 = 860.0;
const H: f64 = 220.0;
const PAD: f64 = 40.0;

/// The chart's frame: axes, the largest value and the minutes.
fn frame(svg: &mut String, title: &str, minutes: usize, top: u64) {
    let _ = write!(
        svg,
        r##"<svg viewBox="0 0 {W} {H}" width="100%" role="img" aria-label="{title}"><rect x="{PAD}" y="10" width="{}" height="{}" fill="#fafafa" stroke="#c9ced6"/>"##,
        W - 2.0 * PAD,
        H - PAD - 10.0
    );
    let _ = write!(
        svg,
        r##"<text x="{}" y="{}" font-size="12" text-anchor="end">{top}</text><text x="{}" y="{}" font-size="12" text-anchor="end">0</text>"##,
        PAD - 4.0,
        22.0,
        PAD - 4.0,
        H - PAD
    );
    let last = minutes.max(1);
    let _ = write!(
        svg,
        r##"<text x="{PAD}" y="{}" font-size="12">0 min</text><text x="{}" y="{}" font-size="12" text-anchor="end">{last} min</text>"##,
        H - PAD + 16.0,
        W - PAD,
        H - PAD + 16.0
    );
}

/// Where a time (in minutes from the start) is: minute m spans [m, m + 1).
fn x_of(minute: f64, minutes: usize) -> f64 {
    PAD + (W - 2.0 * PAD) * minute / minutes.max(1) as f64
}

fn y_of(v: u64, top: u64) -> f64 {
    (H - PAD) - (H - PAD - 20.0) * v as f64 / top.max(1) as f64
}

/// Comments per minute, a line per platform.
fn comments_chart(r: &Report) -> String {
    let n = r.minutes.len();
    let top = r
        .minutes
        .iter()
        .flat_map(|m| m.comments.values().copied())
        .max()
        .unwrap_or(0);
    let mut svg = String::new();
    frame(&mut svg, "comments per minute per platform", n, top);
    for p in &r.platforms {
        let points: Vec<(f64, f64)> = r
            .minutes
            .iter()
            .map(|m| {
                let v = m.comments.get(p.platform).copied().unwrap_or(0);
                (x_of(m.minute as f64 + 0.5, n), y_of(v, top))
            })
            .collect();
        let line: Vec<String> = points.iter().map(|(x, y)| format!("{x:.1},{y:.1}")).collect();
        let _ = write!(
            svg,
            r##"<polyline fill="none" stroke="{}" stroke-width="2.5" points="{}"/>"##,
            colour(p.platform),
            line.join(" ")
        );
        // A dot per minute: a one-minute show has a line of one point.
        for (x, y) in points {
            let _ = write!(
                svg,
                r##"<circle cx="{x:.1}" cy="{y:.1}" r="3.5" fill="{}"/>"##,
                colour(p.platform)
            );
        }
    }
    svg.push_str("</svg>");
    let legend: Vec<String> = r
        .platforms
        .iter()
        .map(|p| {
            format!(
                r##"<span class="key"><i style="background:{}"></i>{} ({} comments)</span>"##,
                colour(p.platform),
                escape(p.name),
                p.comments
            )
        })
        .collect();
    format!("{svg}<p>{}</p>", legend.join(" "))
}

/// Claims per minute as bars, with each product's time on screen behind.
fn claims_chart(r: &Report) -> String {
    let n = r.minutes.len();
    let top = r.minutes.iter().map(|m| m.claims).max().unwrap_or(0);
    let mut svg = String::new();
    frame(&mut svg, "claims per minute, the product on screen marked", n, top);
    let shades = ["#dbeafe", "#fde68a", "#d1fae5", "#fbcfe8", "#e9d5ff"];
    let codes: Vec<&str> = r.products.iter().map(|p| p.code.as_str()).collect();
    let shade = |code: &str| shades[codes.iter().position(|c| *c == code).unwrap_or(0) % shades.len()];
    for s in &r.on_screen {
        let (a, b) = (x_of(s.from_s / 60.0, n), x_of(s.to_s / 60.0, n));
        let _ = write!(
            svg,
            r##"<rect x="{a:.1}" y="11" width="{:.1}" height="{:.1}" fill="{}"/><text x="{:.1}" y="26" font-size="12">{}</text>"##,
            (b - a).max(1.0),
            H - PAD - 11.0,
            shade(&s.code),
            a + 3.0,
            escape(&s.code)
        );
    }
    let bar = ((W - 2.0 * PAD) / n.max(1) as f64 * 0.6).clamp(2.0, 40.0);
    for m in &r.minutes {
        let (x, y) = (x_of(m.minute as f64 + 0.5, n), y_of(m.claims, top));
        let _ = write!(
            svg,
            r##"<rect x="{:.1}" y="{y:.1}" width="{bar:.1}" height="{:.1}" fill="#0b57d0"/>"##,
            x - bar / 2.0,
            (H - PAD - y).max(0.0)
        );
    }
    svg.push_str("</svg>");
    svg
}

/// "m:ss" of a show time.
fn clock(t_s: f64) -> String {
    let s = t_s.max(0.0) as u64;
    format!("{}:{:02}", s / 60, s % 60)
}

/// A line over the show's time: (colour, points of (seconds, value or a gap)).
type Line = (&'static str, Vec<(f64, Option<f64>)>);

/// Lines over the show's seconds, between `lo` and `hi` (`unit` on the axis).
fn time_chart(title: &str, span_s: f64, lo: f64, hi: f64, unit: &str, lines: &[Line]) -> String {
    let span = span_s.max(1.0);
    let x = |t: f64| PAD + (W - 2.0 * PAD) * (t / span).clamp(0.0, 1.0);
    let y = |v: f64| (H - PAD) - (H - PAD - 20.0) * ((v - lo) / (hi - lo).max(1e-9)).clamp(0.0, 1.0);
    let mut svg = String::new();
    let _ = write!(
        svg,
        r##"<svg viewBox="0 0 {W} {H}" width="100%" role="img" aria-label="{}"><rect x="{PAD}" y="10" width="{}" height="{}" fill="#fafafa" stroke="#c9ced6"/><text x="{}" y="22" font-size="12" text-anchor="end">{hi:.0}</text><text x="{}" y="{}" font-size="12" text-anchor="end">{lo:.0}</text><text x="{PAD}" y="{}" font-size="12">0:00 ({unit})</text><text x="{}" y="{}" font-size="12" text-anchor="end">{}</text>"##,
        escape(title),
        W - 2.0 * PAD,
        H - PAD - 10.0,
        PAD - 4.0,
        PAD - 4.0,
        H - PAD,
        H - PAD + 16.0,
        W - PAD,
        H - PAD + 16.0,
        clock(span)
    );
    for (colour, points) in lines {
        // A gap (None) ends one polyline; a lone point is a dot.
        for run in points.split(|p| p.1.is_none()).filter(|r| !r.is_empty()) {
            let pts: Vec<String> = run
                .iter()
                .map(|(t, v)| format!("{:.1},{:.1}", x(*t), y(v.unwrap_or(lo))))
                .collect();
            if pts.len() == 1 {
                let (t, v) = run[0];
                let _ = write!(
                    svg,
                    r##"<circle cx="{:.1}" cy="{:.1}" r="3" fill="{colour}"/>"##,
                    x(t),
                    y(v.unwrap_or(lo))
                );
            } else {
                let _ = write!(
                    svg,
                    r##"<polyline fill="none" stroke="{colour}" stroke-width="2.5" points="{}"/>"##,
                    pts.join(" ")
                );
            }
        }
    }
    svg.push_str("</svg>");
    svg
}

/// Viewers per minute, a line per platform that said.
fn viewers_chart(r: &Report) -> String {
    let watched: Vec<&crate::figures::PlatformFigures> =
        r.platforms.iter().filter(|p| p.peak_viewers.is_some()).collect();
    let top = watched.iter().filter_map(|p| p.peak_viewers).max().unwrap_or(0) as f64;
    let lines: Vec<Line> = watched
        .iter()
        .map(|p| {
            (
                colour(p.platform),
                r.minutes
                    .iter()
                    .map(|m| {
                        (
                            m.minute as f64 * 60.0 + 30.0,
                            m.viewers.get(p.platform).map(|v| *v as f64),
                        )
                    })
                    .collect(),
            )
        })
        .collect();
    let span = r.minutes.len() as f64 * 60.0;
    let legend: Vec<String> = watched
        .iter()
        .map(|p| {
            format!(
                r##"<span class="key"><i style="background:{}"></i>{} (peak {})</span>"##,
                colour(p.platform),
                escape(p.name),
                p.peak_viewers.unwrap_or(0)
            )
        })
        .collect();
    format!(
        "{}<p>{}</p>",
        time_chart(
            "viewers per minute per platform",
            span,
            0.0,
            top.max(1.0),
            "viewers",
            &lines
        ),
        legend.join(" ")
    )
}

/// Each destination's bitrate over the show, its reconnects and drops.
fn health_section(r: &Report) -> String {
    let span = r.duration_s.unwrap_or(0.0);
    let top = r
        .health
        .iter()
        .flat_map(|d| d.samples.iter().map(|s| s.bitrate_kbps))
        .max()
        .unwrap_or(0) as f64;
    let lines: Vec<Line> = r
        .health
        .iter()
        .map(|d| {
            (
                colour(&d.platform),
                d.samples
                    .iter()
                    .map(|s| (s.t_s, (s.state == "live").then_some(s.bitrate_kbps as f64)))
                    .collect(),
            )
        })
        .collect();
    let mut h = time_chart("bitrate per destination, kb/s", span, 0.0, top.max(1.0), "kb/s", &lines);
    h.push_str(r#"<table><tr><th>Destination</th><th>Canvas</th><th class="n">Mean bitrate</th><th class="n">Reconnects</th><th class="n">Dropped frames</th></tr>"#);
    for d in &r.health {
        let _ = write!(
            h,
            r##"<tr><td><span class="key"><i style="background:{}"></i>{}</span></td><td>{}</td><td class="n">{}</td><td class="n">{}</td><td class="n">{}</td></tr>"##,
            colour(&d.platform),
            escape(&d.id),
            escape(&d.canvas),
            d.mean_kbps.map(|k| format!("{k} kb/s")).unwrap_or_else(|| "—".into()),
            d.reconnects,
            d.dropped_frames
        );
    }
    h.push_str("</table>");
    for c in r.canvases.iter().filter(|c| c.dropped_frames > 0) {
        let _ = write!(
            h,
            r##"<p class="warn">Canvas {} dropped {} frames (the machine could not keep up).</p>"##,
            escape(&c.id),
            c.dropped_frames
        );
    }
    h
}

/// Short-term loudness over the show, against the usual -60..0 LUFS.
fn loudness_section(r: &Report) -> String {
    let span = r.duration_s.unwrap_or(0.0);
    let line: Line = (
        "#0b57d0",
        r.loudness.samples.iter().map(|s| (s.t_s, s.short_term_lufs)).collect(),
    );
    format!(
        "{}<p>Integrated loudness {} (short-term LUFS over the show; gaps are silence).</p>",
        time_chart("short-term loudness, LUFS", span, -60.0, 0.0, "LUFS", &[line]),
        r.loudness
            .integrated_lufs
            .map(|l| format!("{l:.1} LUFS"))
            .unwrap_or_else(|| "— (no sound measured)".into())
    )
}

fn money(a: &[crate::figures::Amount]) -> String {
    if a.is_empty() {
        return "—".into();
    }
    a.iter().map(|a| escape(&a.text)).collect::<Vec<_>>().join(" + ")
}

pub fn page(r: &Report) -> String {
    let title = r.show.as_deref().unwrap_or("Show");
    let mut h = String::new();
    let _ = write!(
        h,
        r##"<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>{t} — report</title><style>
body{{font-family:sans-serif;margin:0 auto;max-width:960px;padding:16px;color:#111418;background:#fff;line-height:1.4}}
h1{{font-size:28px;margin:0 0 4px}} h2{{font-size:20px;margin:24px 0 8px}}
.totals{{display:flex;flex-wrap:wrap;gap:12px}} .totals div{{background:#f1f3f6;border-radius:10px;padding:10px 14px;min-width:120px}}
.totals b{{display:block;font-size:26px}} table{{border-collapse:collapse;width:100%}}
th,td{{text-align:left;padding:6px 4px;border-bottom:1px solid #c9ced6}} td.n,th.n{{text-align:right;font-variant-numeric:tabular-nums}}
.key{{margin-right:14px}} .key i{{display:inline-block;width:12px;height:12px;border-radius:2px;margin-right:4px;vertical-align:middle}}
.muted{{color:#4a5360}} .warn{{background:#fff3cd;color:#7a4b00;padding:8px 12px;border-radius:8px}}
</style></head><body>"##,
        t = escape(title)
    );
    let _ = write!(
        h,
        r##"<h1>{}</h1><p class="muted">{}{} · made by Showroom from the show's logs</p>"##,
        escape(title),
        escape(r.started.as_deref().unwrap_or("start unknown")),
        r.duration_s
            .map(|d| format!(" · {}:{:02}", (d as u64) / 60, (d as u64) % 60))
            .unwrap_or_default()
    );
    if !r.skipped.is_empty() || r.events_missed > 0 {
        let _ = write!(
            h,
            r##"<p class="warn">{} line(s) of the logs could not be read and are left out{}; report.json lists them.</p>"##,
            r.skipped.len(),
            if r.events_missed > 0 {
                format!(", and the event log missed {} events", r.events_missed)
            } else {
                String::new()
            }
        );
    }
    let answer = r
        .questions
        .median_answer_s
        .map(|s| {
            if s < 10.0 {
                format!("{s:.1} s")
            } else {
                format!("{s:.0} s")
            }
        })
        .unwrap_or_else(|| "—".into());
    let _ = write!(
        h,
        r##"<div class="totals"><div>Revenue<b>{}</b></div><div>Claims<b>{}</b></div><div>Units<b>{}</b></div><div>Buyers<b>{}</b></div><div>Average order<b>{}</b></div><div>Comments<b>{}</b></div><div>Commenters<b>{}</b></div>{}<div>Questions answered<b>{} of {}</b></div><div>Median answer<b>{answer}</b></div></div>"##,
        money(&r.sales.revenue),
        r.sales.claims,
        r.sales.units,
        r.sales.buyers,
        money(&r.sales.aov),
        r.comments,
        r.commenters,
        r.peak_viewers
            .map(|v| format!("<div>Peak viewers<b>{v}</b></div>"))
            .unwrap_or_default(),
        r.questions.answered,
        r.questions.asked
    );
    h.push_str("<h2>Products</h2><table><tr><th>Product</th><th class=\"n\">Featured</th><th class=\"n\">On screen</th><th class=\"n\">Claims</th><th class=\"n\">Units</th><th class=\"n\">Revenue</th><th class=\"n\">Waitlist</th><th class=\"n\">Conversion</th><th class=\"n\">Questions</th></tr>");
    for p in &r.products {
        let _ = write!(
            h,
            r##"<tr><td>{} {}</td><td class="n">{}</td><td class="n">{}:{:02}</td><td class="n">{}</td><td class="n">{}</td><td class="n">{}</td><td class="n">{}</td><td class="n">{}</td><td class="n">{}</td></tr>"##,
            escape(&p.code),
            escape(&p.title),
            p.times_featured,
            (p.on_screen_s as u64) / 60,
            (p.on_screen_s as u64) % 60,
            p.claims,
            p.units,
            p.revenue
                .as_ref()
                .map(|a| escape(&a.text))
                .unwrap_or_else(|| "—".into()),
            p.waitlisted_units,
            p.conversion
                .map(|c| format!("{:.0} %", c * 100.0))
                .unwrap_or_else(|| "—".into()),
            p.questions_on_screen
        );
    }
    h.push_str("</table>");
    if r.peak_viewers.is_some() {
        h.push_str("<h2>Viewers</h2>");
        h.push_str(&viewers_chart(r));
    }
    h.push_str("<h2>Comments per minute</h2>");
    h.push_str(&comments_chart(r));
    h.push_str("<h2>Claims over time</h2>");
    h.push_str(&claims_chart(r));
    h.push_str("<h2>Top questions</h2>");
    if r.top_questions.is_empty() {
        h.push_str("<p class=\"muted\">No questions.</p>");
    } else {
        h.push_str("<table><tr><th>Question</th><th class=\"n\">Asked</th><th>First</th><th>Answered</th></tr>");
        for q in &r.top_questions {
            let _ = write!(
                h,
                r##"<tr><td dir="auto">{}</td><td class="n">{}</td><td>{}</td><td>{}</td></tr>"##,
                escape(&q.text),
                q.asked,
                escape(&q.first_at),
                if q.answered { "yes" } else { "no" }
            );
        }
        h.push_str("</table>");
    }
    if !r.health.is_empty() {
        h.push_str("<h2>Stream health</h2>");
        h.push_str(&health_section(r));
    }
    if !r.loudness.samples.is_empty() {
        h.push_str("<h2>Loudness</h2>");
        h.push_str(&loudness_section(r));
    }
    if !r.clips.is_empty() {
        h.push_str(r#"<h2>Clips</h2><table><tr><th>File</th><th>Product</th><th class="n">On air</th><th class="n">Length</th></tr>"#);
        for c in &r.clips {
            let _ = write!(
                h,
                r##"<tr><td>{}</td><td>{} {}</td><td class="n">{} – {}</td><td class="n">{:.0} s</td></tr>"##,
                escape(&c.file),
                escape(&c.code),
                escape(&c.title),
                clock(c.from_s),
                clock(c.to_s),
                c.duration_s
            );
        }
        h.push_str("</table>");
    }
    let _ = write!(
        h,
        r##"<h2>Follow up</h2><p>{} lead(s) in leads.csv: people who asked, were waitlisted, or claimed without an order.</p></body></html>"##,
        r.leads.len()
    );
    h.push('\n');
    h
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chat_text_cannot_open_markup() {
        assert_eq!(
            escape(r#"<img src=x onerror="alert(1)"> & 'x'"#),
            "&lt;img src=x onerror=&quot;alert(1)&quot;&gt; &amp; &#39;x&#39;"
        );
    }
}
