//! Shopping actions for controllers: `CallVendorRequest` with vendorName
//! `showroom` (docs/remote-control.md lists each request and its fields).

use crate::args::{Args, Reply};
use crate::engine::Command;
use crate::graphics::GraphicsCommand as G;
use crate::protocol::status;
use crate::requests::Ctx;
use serde_json::{Value, json};

pub const VENDOR: &str = "showroom";

/// The vendor requests, for the docs and errors.
pub const REQUESTS: &[&str] = &[
    "GetProducts",
    "FeatureProduct",
    "NextProduct",
    "PreviousProduct",
    "HideProduct",
    "StartCountdown",
    "StopCountdown",
    "ShowLowerThird",
    "HideLowerThird",
    "ShowBanner",
    "HideBanner",
    "ShowComment",
    "HideComment",
    "GetClaimsSummary",
    "GetDestinations",
    "GetRundown",
    "NextSegment",
    "PreviousSegment",
    "GoToSegment",
    "StartFlashDeal",
    "EndFlashDeal",
    "StartGiveaway",
    "DrawGiveaway",
    "StartAuction",
    "EndAuction",
    "GetAuction",
    "GetPreflight",
];

pub fn call(ctx: &Ctx, args: Args<'_>) -> Result<Reply, Reply> {
    let vendor = args.str("vendorName")?;
    let request = args.str("requestType")?;
    if vendor != VENDOR {
        return Err(Reply::fail(
            status::RESOURCE_NOT_FOUND,
            format!("No vendor was found by that name (Showroom's is `{VENDOR}`)."),
        ));
    }
    let data = Args::new(args.opt_object("requestData")?);
    let answer = |response: Value| {
        Reply::data(json!({ "vendorName": VENDOR, "requestType": request, "responseData": response }))
    };
    let graphics = |g: G| -> Result<Reply, Reply> {
        ctx.engine
            .execute(Command::Graphics(g))
            .map_err(|e| crate::requests::command_error(&e))?;
        Ok(answer(json!({})))
    };
    let rundown = |r: crate::engine::rundown::RundownCommand| -> Result<Reply, Reply> {
        ctx.engine
            .execute(Command::Rundown(r))
            .map_err(|e| crate::requests::command_error(&e))?;
        Ok(answer(rundown_state(ctx)))
    };
    use crate::engine::rundown::RundownCommand as R;
    match request {
        "GetRundown" => Ok(answer(rundown_state(ctx))),
        "StartGiveaway" | "DrawGiveaway" => {
            let action = if request == "StartGiveaway" {
                crate::chat::state::Action::StartGiveaway {
                    keyword: data.str("keyword")?.to_string(),
                    seconds: data.num("seconds", 1.0, 86400.0)? as u64,
                }
            } else {
                crate::chat::state::Action::DrawGiveaway {
                    giveaway: data.num("giveaway", 1.0, 1e9)? as u64,
                    seed: data.opt_num("seed", 0.0, 9.007_199_254_740_991e15)?.map(|n| n as u64),
                }
            };
            let outcome = ctx
                .engine
                .execute(Command::Chat(action))
                .map_err(|e| crate::requests::command_error(&e))?;
            // A draw is a job: its result (the winner) is in the job's event.
            Ok(answer(match outcome {
                crate::engine::Outcome::Job(id) => json!({ "job": id }),
                crate::engine::Outcome::Done => json!({}),
            }))
        }
        "StartFlashDeal" | "EndFlashDeal" => {
            let action = if request == "StartFlashDeal" {
                crate::chat::state::Action::StartDeal(crate::chat::deals::DealRequest {
                    product_id: data.str("code")?.to_string(),
                    price: data.str("price")?.to_string(),
                    seconds: data.num("seconds", 1.0, 86400.0)? as u64,
                    cap: data.opt_num("cap", 1.0, 100_000.0)?.map(|n| n as u32),
                    per_buyer: data.opt_num("perBuyer", 1.0, 100_000.0)?.map(|n| n as u32),
                })
            } else {
                crate::chat::state::Action::EndDeal(data.num("deal", 1.0, 1e9)? as u64)
            };
            ctx.engine
                .execute(Command::Chat(action))
                .map_err(|e| crate::requests::command_error(&e))?;
            Ok(answer(json!({})))
        }
        "StartAuction" | "EndAuction" => {
            let action = if request == "StartAuction" {
                crate::chat::state::Action::StartAuction(crate::chat::auction::AuctionRequest {
                    product: data.str("code")?.to_string(),
                    start: data.str("start")?.to_string(),
                    step: data.opt_str("step")?.unwrap_or("1").to_string(),
                    seconds: data.num("seconds", 5.0, 86400.0)? as u64,
                    extend_s: data.opt_num("extendSeconds", 0.0, 600.0)?.unwrap_or(10.0) as u64,
                })
            } else {
                crate::chat::state::Action::EndAuction(data.num("auction", 1.0, 1e9)? as u64)
            };
            ctx.engine
                .execute(Command::Chat(action))
                .map_err(|e| crate::requests::command_error(&e))?;
            Ok(answer(json!({})))
        }
        // The latest auction as the snapshot has it (null: none yet).
        "GetAuction" => Ok(answer(json!({ "auction": ctx.engine.snapshot().auction }))),
        // The pre-flight check, now (docs/preflight.md); `ok`: nothing red.
        "GetPreflight" => {
            let p = ctx.engine.preflight(None);
            Ok(answer(json!({ "ok": p.ok(), "checks": p.checks })))
        }
        "NextSegment" => rundown(R::Next),
        "PreviousSegment" => rundown(R::Previous),
        // `segment` counts from 1, as the rundown is numbered on screen.
        "GoToSegment" => rundown(R::GoTo(data.num("segment", 1.0, 1000.0)? as usize - 1)),
        "GetProducts" => Ok(answer(products(ctx))),
        "FeatureProduct" => graphics(G::Feature(data.str("code")?.to_string())),
        "NextProduct" => graphics(G::NextProduct),
        "PreviousProduct" => graphics(G::PreviousProduct),
        "HideProduct" => graphics(G::HideProduct),
        "StartCountdown" => graphics(G::StartCountdown {
            seconds: data.num("seconds", 1.0, 86400.0)? as u64,
            label: data.opt_str("label")?.map(str::to_string),
        }),
        "StopCountdown" => graphics(G::StopCountdown),
        "ShowLowerThird" => graphics(G::LowerThird {
            name: data.str("name")?.to_string(),
            title: data.opt_str("title")?.unwrap_or("").to_string(),
        }),
        "HideLowerThird" => graphics(G::HideLowerThird),
        "ShowBanner" => graphics(G::Banner(data.str("text")?.to_string())),
        "HideBanner" => graphics(G::HideBanner),
        "ShowComment" => graphics(G::FeatureComment {
            author: data.str("author")?.to_string(),
            platform: data.opt_str("platform")?.unwrap_or("").to_string(),
            text: data.str("text")?.to_string(),
        }),
        "HideComment" => graphics(G::HideComment),
        "GetClaimsSummary" => {
            let chat = ctx.engine.chat().ok_or_else(|| {
                Reply::fail(
                    status::INVALID_RESOURCE_STATE,
                    "This show has no chat: add [chat] to the show file.",
                )
            })?;
            let (claimed, waitlisted, cancelled) = chat.state().claim_counts();
            Ok(answer(
                json!({ "claimed": claimed, "waitlisted": waitlisted, "cancelled": cancelled }),
            ))
        }
        "GetDestinations" => {
            let s = ctx.engine.snapshot();
            let list: Vec<Value> = s
                .destinations
                .iter()
                .map(|d| {
                    json!({
                        "destination": d.id, "platform": d.platform, "canvas": d.canvas,
                        "state": d.state.word(), "error": d.error, "bitrateBps": d.bitrate_bps,
                        "bytesSent": d.bytes_sent, "liveSeconds": d.live_seconds,
                    })
                })
                .collect();
            Ok(answer(json!({ "destinations": list })))
        }
        other => Err(Reply::fail(
            status::RESOURCE_NOT_FOUND,
            format!(
                "No request was found by that name (`{other}`; Showroom's are {}).",
                REQUESTS.join(", ")
            ),
        )),
    }
}

/// The segments, and where the rundown is (`current`/`next` from 1).
fn rundown_state(ctx: &Ctx) -> Value {
    let status = ctx.engine.snapshot().rundown.unwrap_or_default();
    let segments: Vec<Value> = ctx
        .engine
        .rundown()
        .iter()
        .map(|s| {
            json!({
                "title": s.title, "products": s.products, "scene": s.scene,
                "talkingPoints": s.talking_points, "plannedSeconds": s.planned_ms.map(|ms| ms as f64 / 1e3),
            })
        })
        .collect();
    json!({
        "segments": segments,
        "current": status.current.as_ref().map(|c| c.index + 1),
        "next": status.next.as_ref().map(|c| c.index + 1),
        "elapsedSeconds": status.elapsed_s,
        "overSeconds": status.over_s,
    })
}

fn products(ctx: &Ctx) -> Value {
    let show = ctx.engine.show();
    let crate::engine::stats::GraphicsStats { stock, featured, .. } = ctx.engine.snapshot().graphics;
    let list: Vec<Value> = show
        .graphics
        .catalog
        .products
        .iter()
        .enumerate()
        .map(|(i, p)| {
            let price = p.variants.first().map(|v| v.price.minor);
            let currency = p.variants.first().map(|v| v.price.currency.to_string());
            json!({
                "code": p.code, "id": p.id, "title": p.title,
                "priceMinor": price, "currency": currency,
                "stock": stock.get(i).copied().flatten(),
                "featured": featured.as_deref() == Some(p.code.as_str()),
            })
        })
        .collect();
    json!({ "products": list })
}
