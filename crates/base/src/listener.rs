//! The rules every listener of the process keeps — the chat bridge today,
//! remote control and the crew console when they come (docs/security.md):
//!
//! - **Caps**: connections per listener and per client address; beyond them
//!   a connection is answered `503` with a JSON reason and closed.
//! - **Open files**: the process raises its soft `RLIMIT_NOFILE` to the hard
//!   limit once, and all listeners together never hold more connections
//!   than the limit less [`FD_RESERVE`], which stays for media, destinations
//!   and recordings. Running out of descriptors must never reach GLib.
//! - **Timeouts**: request headers within [`Limits::header_timeout`] (idle
//!   keep-alive connections included), a body within
//!   [`Limits::body_timeout`]; WebSocket sessions are pinged and closed when
//!   silent, and a client that does not read its answers is dropped.
//! - **Sizes**: bodies and WebSocket messages are limited, and the limit is
//!   in the refusal.
//! - **No trust in loopback**: `Host` must be an IP literal, `localhost` or a
//!   name the show allows (DNS rebinding); a request with an `Origin` the
//!   show does not allow is refused (browsers), and nothing answers CORS.
//!
//! Every refusal is JSON: `{"error": "...", "field": "..."}`.

use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use hyper_util::rt::{TokioIo, TokioTimer};
use serde_json::json;
use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;
use tokio::io::AsyncWriteExt;
use tower_service::Service;

/// Descriptors kept for everything that is not a listener's connection.
pub const FD_RESERVE: u64 = 512;

/// What one listener allows. The defaults are documented in docs/security.md.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Limits {
    /// Open connections to this listener, all clients together.
    pub connections: usize,
    /// Open connections from one client address.
    pub per_address: usize,
    /// Time for a request's headers (and for the next request on an idle
    /// keep-alive connection).
    pub header_timeout: Duration,
    /// Time for a request's body, once its headers are in.
    pub body_timeout: Duration,
    /// A WebSocket that sends nothing (not even a pong) this long is closed.
    pub idle_timeout: Duration,
    /// Time a client gets to take an answer before it is dropped.
    pub write_timeout: Duration,
    /// Largest request body.
    pub body_bytes: usize,
    /// Largest WebSocket message.
    pub frame_bytes: usize,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            connections: 256,
            per_address: 64,
            header_timeout: Duration::from_secs(10),
            body_timeout: Duration::from_secs(30),
            idle_timeout: Duration::from_secs(90),
            write_timeout: Duration::from_secs(10),
            body_bytes: 1 << 20,
            frame_bytes: 1 << 20,
        }
    }
}

/// A refusal: status, what was wrong, and the field (or header) at fault.
#[derive(Debug, Clone, PartialEq)]
pub struct Refusal {
    pub status: StatusCode,
    pub error: String,
    pub field: Option<String>,
}

impl Refusal {
    pub fn new(status: StatusCode, error: impl Into<String>) -> Refusal {
        Refusal {
            status,
            error: error.into(),
            field: None,
        }
    }
    pub fn field(mut self, field: impl Into<String>) -> Refusal {
        self.field = Some(field.into());
        self
    }
    pub fn json(&self) -> serde_json::Value {
        match &self.field {
            Some(f) => json!({"error": self.error, "field": f}),
            None => json!({"error": self.error}),
        }
    }
}

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        (self.status, axum::Json(self.json())).into_response()
    }
}

/// Who may talk to a listener besides a client with its token: which `Host`
/// names (besides IP literals and `localhost`) and which `Origin`s.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Guard {
    pub hosts: Vec<String>,
    pub origins: Vec<String>,
}

impl Guard {
    /// The `Host` and `Origin` rules, for every request and WebSocket upgrade.
    pub fn check(&self, headers: &HeaderMap) -> Result<(), Refusal> {
        let host = headers
            .get("host")
            .ok_or_else(|| Refusal::new(StatusCode::BAD_REQUEST, "the request has no Host header").field("Host"))?
            .to_str()
            .map_err(|_| Refusal::new(StatusCode::BAD_REQUEST, "the Host header is not text").field("Host"))?;
        if !self.host_allowed(host) {
            return Err(Refusal::new(
                StatusCode::MISDIRECTED_REQUEST,
                format!(
                    "Host `{}` is not this machine's address: use 127.0.0.1, localhost or an IP address (or add the name to the source's hosts = [...])",
                    host.chars().take(100).collect::<String>()
                ),
            )
            .field("Host"));
        }
        if let Some(origin) = headers.get("origin") {
            let origin = origin.to_str().unwrap_or("");
            if !self.origins.iter().any(|o| o.eq_ignore_ascii_case(origin)) {
                return Err(Refusal::new(
                    StatusCode::FORBIDDEN,
                    format!(
                        "requests from web pages are refused (Origin `{}`); a relay or script sends no Origin, a browser extension's origin can be added to origins = [...]",
                        origin.chars().take(100).collect::<String>()
                    ),
                )
                .field("Origin"));
            }
        }
        Ok(())
    }

    fn host_allowed(&self, host: &str) -> bool {
        let name = match host.strip_prefix('[') {
            // [v6]:port
            Some(rest) => {
                return rest.split_once(']').is_some_and(|(ip, port)| {
                    ip.parse::<std::net::Ipv6Addr>().is_ok() && (port.is_empty() || port.starts_with(':'))
                });
            }
            None => host.rsplit_once(':').map_or(host, |(h, port)| {
                if port.bytes().all(|b| b.is_ascii_digit()) {
                    h
                } else {
                    host
                }
            }),
        };
        // An address typed as digits cannot be rebound by DNS.
        name.parse::<IpAddr>().is_ok()
            || name.eq_ignore_ascii_case("localhost")
            || self.hosts.iter().any(|h| h.eq_ignore_ascii_case(name))
    }
}

/// A WebSocket upgrade held to `limits.frame_bytes`, or the refusal that
/// says what the door expects (`expected`: "connect with an obs-websocket 5
/// client", ...) and why the request was not one.
pub fn websocket(
    ws: Result<axum::extract::ws::WebSocketUpgrade, axum::extract::ws::rejection::WebSocketUpgradeRejection>,
    limits: &Limits,
    expected: &str,
) -> Result<axum::extract::ws::WebSocketUpgrade, Refusal> {
    match ws {
        Ok(ws) => Ok(ws
            .max_message_size(limits.frame_bytes)
            .max_frame_size(limits.frame_bytes)),
        Err(e) => Err(Refusal::new(e.status(), format!("{expected} ({})", e.body_text()))),
    }
}

/// Figures of one listener, for its status line and tests.
#[derive(Debug, Default)]
pub struct Counters {
    pub open: AtomicUsize,
    pub accepted: AtomicU64,
    pub refused: AtomicU64,
}

/// Connections open on all listeners of the process.
static OPEN_ALL: AtomicUsize = AtomicUsize::new(0);
static NOFILE: OnceLock<u64> = OnceLock::new();

/// Raises the soft open-file limit to the hard one (once) and returns it.
pub fn open_file_limit() -> u64 {
    *NOFILE.get_or_init(|| {
        #[cfg(unix)]
        // SAFETY: getrlimit/setrlimit only read and write the struct given.
        unsafe {
            let mut r = libc::rlimit {
                rlim_cur: 0,
                rlim_max: 0,
            };
            if libc::getrlimit(libc::RLIMIT_NOFILE, &mut r) == 0 {
                if r.rlim_cur < r.rlim_max {
                    let want = libc::rlimit {
                        rlim_cur: r.rlim_max,
                        rlim_max: r.rlim_max,
                    };
                    if libc::setrlimit(libc::RLIMIT_NOFILE, &want) == 0 {
                        r.rlim_cur = r.rlim_max;
                    }
                }
                return r.rlim_cur;
            }
        }
        1024
    })
}

/// How many connections all listeners together may hold.
pub fn connection_budget() -> usize {
    open_file_limit().saturating_sub(FD_RESERVE).max(16) as usize
}

/// One admitted connection; dropping it frees its place.
#[derive(Debug)]
pub struct Permit {
    ip: IpAddr,
    per_address: Arc<Mutex<HashMap<IpAddr, usize>>>,
    counters: Arc<Counters>,
}

impl Drop for Permit {
    fn drop(&mut self) {
        OPEN_ALL.fetch_sub(1, Ordering::SeqCst);
        self.counters.open.fetch_sub(1, Ordering::SeqCst);
        let mut map = self.per_address.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(n) = map.get_mut(&self.ip) {
            *n -= 1;
            if *n == 0 {
                map.remove(&self.ip);
            }
        }
    }
}

struct Gate {
    limits: Limits,
    per_address: Arc<Mutex<HashMap<IpAddr, usize>>>,
    counters: Arc<Counters>,
}

impl Gate {
    fn admit(&self, ip: IpAddr) -> Result<Permit, String> {
        let mut map = self.per_address.lock().unwrap_or_else(|e| e.into_inner());
        let from_here = map.get(&ip).copied().unwrap_or(0);
        if from_here >= self.limits.per_address {
            return Err(format!(
                "too many connections from {ip} ({} is the most per address); close some and try again",
                self.limits.per_address
            ));
        }
        if self.counters.open.load(Ordering::SeqCst) >= self.limits.connections {
            return Err(format!(
                "too many connections ({} is the most); try again later",
                self.limits.connections
            ));
        }
        let budget = connection_budget();
        if OPEN_ALL.fetch_add(1, Ordering::SeqCst) >= budget {
            OPEN_ALL.fetch_sub(1, Ordering::SeqCst);
            return Err(format!(
                "too many connections to this program ({budget} fit in its open-file limit with {FD_RESERVE} kept for the show); try again later"
            ));
        }
        self.counters.open.fetch_add(1, Ordering::SeqCst);
        *map.entry(ip).or_insert(0) += 1;
        Ok(Permit {
            ip,
            per_address: self.per_address.clone(),
            counters: self.counters.clone(),
        })
    }
}

/// The connection a request came on: its client and its place under the caps
/// (a WebSocket session keeps it for as long as it lives).
#[derive(Debug, Clone)]
pub struct Conn {
    pub peer: SocketAddr,
    pub permit: Arc<Permit>,
}

/// Refusals being written at once; beyond this a connection is just closed.
const REFUSING: usize = 64;

/// Serves `router` on `listener` under `limits` until the listener fails.
/// Requests carry a [`Conn`] extension.
pub async fn serve(listener: tokio::net::TcpListener, router: axum::Router, limits: Limits, counters: Arc<Counters>) {
    serve_with(listener, router, limits, counters, None).await
}

/// [`serve`] over TLS: the handshake must be done within
/// `limits.header_timeout`, and a connection that fails it is closed.
pub async fn serve_tls(
    listener: tokio::net::TcpListener,
    router: axum::Router,
    limits: Limits,
    counters: Arc<Counters>,
    tls: tokio_rustls::TlsAcceptor,
) {
    serve_with(listener, router, limits, counters, Some(tls)).await
}

async fn serve_with(
    listener: tokio::net::TcpListener,
    router: axum::Router,
    limits: Limits,
    counters: Arc<Counters>,
    tls: Option<tokio_rustls::TlsAcceptor>,
) {
    open_file_limit();
    let gate = Arc::new(Gate {
        limits,
        per_address: Arc::default(),
        counters: counters.clone(),
    });
    let refusing = Arc::new(AtomicUsize::new(0));
    loop {
        let (stream, peer) = match listener.accept().await {
            Ok(s) => s,
            Err(e) => {
                // Out of descriptors (EMFILE) or a connection reset before it
                // was taken: wait a little instead of spinning.
                tracing::warn!("listener: accept failed: {e}");
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        match gate.admit(peer.ip()) {
            Ok(permit) => {
                counters.accepted.fetch_add(1, Ordering::Relaxed);
                let conn = Conn {
                    peer,
                    permit: Arc::new(permit),
                };
                let router = router.clone();
                match &tls {
                    None => {
                        tokio::spawn(serve_connection(stream, conn, router, limits));
                    }
                    Some(tls) => {
                        let tls = tls.clone();
                        tokio::spawn(async move {
                            let _ = stream.set_nodelay(true);
                            match tokio::time::timeout(limits.header_timeout, tls.accept(stream)).await {
                                Ok(Ok(stream)) => serve_connection(stream, conn, router, limits).await,
                                Ok(Err(e)) => tracing::debug!("listener: TLS handshake with {} failed: {e}", conn.peer),
                                Err(_) => tracing::debug!("listener: no TLS handshake from {} in time", conn.peer),
                            }
                        });
                    }
                }
            }
            Err(why) => {
                counters.refused.fetch_add(1, Ordering::Relaxed);
                if refusing.fetch_add(1, Ordering::SeqCst) >= REFUSING {
                    refusing.fetch_sub(1, Ordering::SeqCst);
                    drop(stream);
                    continue;
                }
                let refusing = refusing.clone();
                tokio::spawn(async move {
                    let _ = tokio::time::timeout(Duration::from_secs(2), refuse(stream, &why)).await;
                    refusing.fetch_sub(1, Ordering::SeqCst);
                });
            }
        }
    }
}

async fn refuse(mut stream: tokio::net::TcpStream, why: &str) {
    let body = json!({"error": why}).to_string();
    let head = format!(
        "HTTP/1.1 503 Service Unavailable\r\ncontent-type: application/json\r\ncontent-length: {}\r\nretry-after: 5\r\nconnection: close\r\n\r\n",
        body.len()
    );
    let _ = stream.write_all(head.as_bytes()).await;
    let _ = stream.write_all(body.as_bytes()).await;
    let _ = stream.shutdown().await;
}

/// A connection's byte stream: TCP, or TLS over it.
trait Stream: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static {
    fn no_delay(&self) {}
}
impl Stream for tokio::net::TcpStream {
    fn no_delay(&self) {
        let _ = self.set_nodelay(true);
    }
}
impl Stream for tokio_rustls::server::TlsStream<tokio::net::TcpStream> {}

async fn serve_connection(stream: impl Stream, conn: Conn, router: axum::Router, limits: Limits) {
    stream.no_delay();
    let service = hyper::service::service_fn(move |mut req: hyper::Request<hyper::body::Incoming>| {
        req.extensions_mut().insert(conn.clone());
        let mut router = router.clone();
        // A Router is always ready.
        async move { router.call(req).await }
    });
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(limits.header_timeout)
        .max_buf_size(64 * 1024);
    let _ = http
        .serve_connection(TokioIo::new(stream), service)
        .with_upgrades()
        .await;
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(*k, v.parse().unwrap());
        }
        h
    }

    #[test]
    fn hosts_that_dns_could_rebind_are_refused() {
        let g = Guard {
            hosts: vec!["studio.lan".into()],
            origins: vec!["chrome-extension://abc".into()],
        };
        for ok in [
            "127.0.0.1:8765",
            "localhost:8765",
            "[::1]:8765",
            "192.168.1.20",
            "studio.lan:80",
        ] {
            assert!(g.check(&headers(&[("host", ok)])).is_ok(), "{ok}");
        }
        for bad in ["evil.example:8765", "127.0.0.1.nip.io:8765", "localhost.evil:1", "[::1"] {
            let r = g.check(&headers(&[("host", bad)])).unwrap_err();
            assert_eq!(r.field.as_deref(), Some("Host"), "{bad}");
        }
        assert!(g.check(&headers(&[])).is_err());
        let r = g
            .check(&headers(&[("host", "127.0.0.1:1"), ("origin", "https://evil.example")]))
            .unwrap_err();
        assert_eq!((r.status, r.field.as_deref()), (StatusCode::FORBIDDEN, Some("Origin")));
        assert!(
            g.check(&headers(&[
                ("host", "127.0.0.1:1"),
                ("origin", "chrome-extension://abc")
            ]))
            .is_ok()
        );
    }

    #[test]
    fn caps_per_address_and_in_total() {
        let gate = Gate {
            limits: Limits {
                connections: 3,
                per_address: 2,
                ..Limits::default()
            },
            per_address: Arc::default(),
            counters: Arc::default(),
        };
        let a: IpAddr = "127.0.0.2".parse().unwrap();
        let b: IpAddr = "127.0.0.3".parse().unwrap();
        let p1 = gate.admit(a).unwrap();
        let _p2 = gate.admit(a).unwrap();
        assert!(gate.admit(a).unwrap_err().contains("from 127.0.0.2"));
        let _p3 = gate.admit(b).unwrap();
        assert!(gate.admit(b).unwrap_err().contains("3 is the most"));
        drop(p1);
        assert!(gate.admit(b).is_ok());
    }
}
