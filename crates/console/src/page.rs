//! The pages, embedded in the binary (no CDN, nothing fetched at run time:
//! a console works on a LAN without internet). One HTML page for every
//! role — which view it shows comes from the invite — its script, its
//! style and the bundled fonts (Noto: Latin, Arabic, Hebrew, CJK; the
//! CJK one is fetched by the browser only for text that needs it).
//!
//! Every answer carries a strict Content-Security-Policy (scripts and
//! styles from the console itself, no inline script, no frames), no
//! referrer, and no caching of the page.

use crate::listener::Refusal;
use crate::server::{Shared, check_same_origin};
use axum::extract::{Path, State as Ax};
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use std::sync::Arc;

pub const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' blob:; font-src 'self'; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

const INDEX: &str = include_str!("../page/index.html");
const SCRIPT: &str = include_str!("../page/console.js");
const STYLE: &str = include_str!("../page/console.css");

/// The fonts the page may load, by the name the style uses.
const FONTS: &[(&str, &[u8])] = &[
    ("sans.ttf", include_bytes!("../../../assets/fonts/NotoSans-Regular.ttf")),
    (
        "sans-bold.ttf",
        include_bytes!("../../../assets/fonts/NotoSans-Bold.ttf"),
    ),
    (
        "arabic.ttf",
        include_bytes!("../../../assets/fonts/NotoSansArabic-Regular.ttf"),
    ),
    (
        "hebrew.ttf",
        include_bytes!("../../../assets/fonts/NotoSansHebrew-Regular.ttf"),
    ),
    (
        "cjk.otf",
        include_bytes!("../../../assets/fonts/NotoSansCJKsc-Bold.otf"),
    ),
];

fn answer(content_type: &'static str, body: impl IntoResponse, cache: bool) -> Response {
    let mut r = body.into_response();
    let h = r.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static(if cache { "max-age=3600" } else { "no-store" }),
    );
    r
}

/// The headers every answer carries, refusals included (a layer on the
/// whole router).
pub async fn headers(mut r: Response) -> Response {
    let h = r.headers_mut();
    h.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(CSP));
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    h.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.entry(header::CACHE_CONTROL)
        .or_insert(HeaderValue::from_static("no-store"));
    r
}

fn guarded(shared: &Shared, headers: &HeaderMap, r: impl FnOnce() -> Response) -> Response {
    match check_same_origin(shared, headers, false) {
        Ok(()) => r(),
        Err(refusal) => refusal.into_response(),
    }
}

async fn index(Ax(shared): Ax<Arc<Shared>>, headers: HeaderMap) -> Response {
    guarded(&shared, &headers, || answer("text/html; charset=utf-8", INDEX, false))
}

async fn script(Ax(shared): Ax<Arc<Shared>>, headers: HeaderMap) -> Response {
    guarded(&shared, &headers, || {
        answer("text/javascript; charset=utf-8", SCRIPT, false)
    })
}

async fn style(Ax(shared): Ax<Arc<Shared>>, headers: HeaderMap) -> Response {
    guarded(&shared, &headers, || answer("text/css; charset=utf-8", STYLE, false))
}

async fn font(Ax(shared): Ax<Arc<Shared>>, headers: HeaderMap, Path(name): Path<String>) -> Response {
    guarded(&shared, &headers, || match FONTS.iter().find(|(n, _)| *n == name) {
        Some((n, bytes)) => answer(if n.ends_with(".otf") { "font/otf" } else { "font/ttf" }, *bytes, true),
        None => Refusal::new(axum::http::StatusCode::NOT_FOUND, "no such font").into_response(),
    })
}

pub fn routes() -> axum::Router<Arc<Shared>> {
    axum::Router::new()
        .route("/", axum::routing::get(index))
        .route("/console.js", axum::routing::get(script))
        .route("/console.css", axum::routing::get(style))
        .route("/fonts/{name}", axum::routing::get(font))
}
