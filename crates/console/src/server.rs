//! The console's server: the listener, the invites, the pages connected
//! now, and what they share (the host's question, who handled what).

use crate::engine::Engine;
use crate::invites::{Invite, InviteError, Invites};
use crate::listener::{Conn, Counters, Guard, Limits, Refusal};
use crate::roles::{ROLES, Role};
use crate::secrets::Secret;
use crate::show::{ConsoleSpec, ConsoleTls};
use axum::extract::State as Ax;
use axum::extract::ws::WebSocketUpgrade;
use axum::extract::ws::rejection::WebSocketUpgradeRejection;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use std::collections::{BTreeMap, HashMap};
use std::net::{IpAddr, SocketAddr};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};
use tokio::sync::{Notify, broadcast, watch};

#[derive(Debug, thiserror::Error)]
pub enum ConsoleError {
    #[error(
        "crew console: cannot listen on {addr}: {err} (is another show using the port? set listen = \"127.0.0.1:PORT\" in [console])"
    )]
    Bind { addr: SocketAddr, err: std::io::Error },
    #[error(
        "crew console on {0}: off this machine it is served over HTTPS — add tls = \"self-signed\" (or tls = {{ cert = \"cert.pem\", key = \"key.pem\" }}) to [console]"
    )]
    NeedsTls(SocketAddr),
    #[error("{0}")]
    Tls(#[from] crate::tls::TlsError),
    #[error("crew console: cannot start: {0}")]
    Runtime(std::io::Error),
    #[error("{0}")]
    Invite(#[from] InviteError),
}

/// One open page, as the Crew panel lists it.
#[derive(Debug, Clone, PartialEq)]
pub struct PageInfo {
    pub id: u64,
    pub invite: u64,
    pub name: String,
    pub role: Role,
    pub peer: SocketAddr,
    pub since: Instant,
    /// Messages it sent.
    pub messages: u64,
}

/// An invite and how many of its pages are open.
#[derive(Debug, Clone, PartialEq)]
pub struct CrewMember {
    pub id: u64,
    pub name: String,
    pub role: Role,
    pub pages: usize,
}

/// A new invite: its link carries the token (in the URL's fragment, which
/// browsers do not send to the server). Show it to the person, never log it.
#[derive(Debug, Clone)]
pub struct NewInvite {
    pub id: u64,
    pub name: String,
    pub role: Role,
    pub link: Secret,
}

/// The question a moderator pushed to the host's prompter.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Question {
    pub seq: u64,
    pub platform: String,
    pub author: String,
    pub text: String,
    /// Who pushed it.
    pub by: String,
}

/// The state JSON of each role, built once for all its pages.
#[derive(Debug, Clone, Default)]
pub struct Views {
    pub version: [u64; 4],
    pub json: [Arc<str>; 4],
}

/// The newest program picture of each canvas, as JPEG.
#[derive(Debug, Clone, Default)]
pub struct Pictures {
    pub version: u64,
    /// One per canvas: `[canvas index, 0]` then the JPEG.
    pub frames: Vec<Arc<[u8]>>,
}

/// What the console's tasks share.
pub struct Shared {
    pub(crate) engine: Arc<Engine>,
    invites: Mutex<Invites>,
    pages: Mutex<BTreeMap<u64, PageInfo>>,
    next_page: AtomicU64,
    /// Invite ids as they are revoked (their pages close).
    pub(crate) revoked: broadcast::Sender<u64>,
    /// What one page did, for the others (`{"type":"notice",...}`).
    pub(crate) notices: broadcast::Sender<Arc<str>>,
    pub(crate) question: Mutex<Option<Question>>,
    /// (what, message seq or claim id) → who did it: an action done once
    /// is not done twice, and the second asker is told who did it.
    pub(crate) handled: Mutex<HashMap<(&'static str, u64), String>>,
    pub(crate) views: watch::Sender<Views>,
    pub(crate) pictures: watch::Sender<Pictures>,
    /// Something the views show changed outside the engine's events.
    pub(crate) dirty: Notify,
    pub(crate) limits: Limits,
    pub(crate) guard: Guard,
    pub(crate) scheme: &'static str,
    pub(crate) closing: watch::Receiver<bool>,
    /// Wall-clock ms when the show started (the pages' show timer).
    pub(crate) started_ms: u64,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl Shared {
    pub(crate) fn admit(&self, token: &str, from: IpAddr) -> Result<Invite, InviteError> {
        lock(&self.invites).admit(token, from, Instant::now()).cloned()
    }
    pub(crate) fn register(&self, invite: &Invite, peer: SocketAddr) -> u64 {
        let id = self.next_page.fetch_add(1, Ordering::Relaxed);
        lock(&self.pages).insert(
            id,
            PageInfo {
                id,
                invite: invite.id,
                name: invite.name.clone(),
                role: invite.role,
                peer,
                since: Instant::now(),
                messages: 0,
            },
        );
        id
    }
    pub(crate) fn unregister(&self, id: u64) {
        lock(&self.pages).remove(&id);
    }
    pub(crate) fn count_message(&self, id: u64) {
        if let Some(p) = lock(&self.pages).get_mut(&id) {
            p.messages += 1;
        }
    }
    pub(crate) fn invite_alive(&self, id: u64) -> bool {
        lock(&self.invites).list().iter().any(|i| i.id == id)
    }
    pub(crate) fn producers_open(&self) -> bool {
        lock(&self.pages).values().any(|p| p.role == Role::Producer)
    }
    pub(crate) fn any_page(&self) -> bool {
        !lock(&self.pages).is_empty()
    }
    pub(crate) fn question(&self) -> MutexGuard<'_, Option<Question>> {
        lock(&self.question)
    }
    pub(crate) fn handled(&self) -> MutexGuard<'_, HashMap<(&'static str, u64), String>> {
        lock(&self.handled)
    }
    pub(crate) fn notify(&self, notice: serde_json::Value) {
        let _ = self.notices.send(notice.to_string().into());
    }
}

/// The listener's limits (docs/security.md): 64 pages, 1 MiB frames (a
/// page's message is read up to 16 KiB, `messages::MAX_MESSAGE`).
pub fn limits() -> Limits {
    Limits {
        connections: 64,
        per_address: 32,
        frame_bytes: 1 << 20,
        body_bytes: 16 * 1024,
        ..Limits::default()
    }
}

/// A running crew console.
pub struct Console {
    addr: SocketAddr,
    /// The address put in links (a LAN address when listening on all).
    link_host: String,
    fingerprint: Option<String>,
    shared: Arc<Shared>,
    closing: watch::Sender<bool>,
    runtime: Option<tokio::runtime::Runtime>,
}

impl std::fmt::Debug for Console {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Console")
            .field("addr", &self.addr)
            .finish_non_exhaustive()
    }
}

/// This machine's address on the network the default route goes through
/// (no packet is sent: a UDP socket is only pointed at a documentation
/// address); None without a network.
fn lan_address() -> Option<IpAddr> {
    let s = std::net::UdpSocket::bind("0.0.0.0:0").ok()?;
    s.connect("192.0.2.1:9").ok()?;
    let ip = s.local_addr().ok()?.ip();
    (!ip.is_unspecified()).then_some(ip)
}

impl Console {
    /// Listens on `spec.listen` (port 0: any free port) and serves until
    /// `stop`.
    pub fn start(engine: Arc<Engine>, spec: &ConsoleSpec) -> Result<Console, ConsoleError> {
        if spec.tls == ConsoleTls::None && !spec.listen.ip().is_loopback() {
            return Err(ConsoleError::NeedsTls(spec.listen));
        }
        let std_listener =
            std::net::TcpListener::bind(spec.listen).map_err(|err| ConsoleError::Bind { addr: spec.listen, err })?;
        std_listener.set_nonblocking(true).map_err(ConsoleError::Runtime)?;
        let addr = std_listener.local_addr().map_err(ConsoleError::Runtime)?;
        let link_ip = if addr.ip().is_unspecified() {
            lan_address().unwrap_or(addr.ip())
        } else {
            addr.ip()
        };
        let link_host = match link_ip {
            IpAddr::V6(v6) => format!("[{v6}]:{}", addr.port()),
            IpAddr::V4(v4) => format!("{v4}:{}", addr.port()),
        };
        let mut names = vec![link_ip.to_string(), "localhost".to_string(), "127.0.0.1".to_string()];
        names.extend(spec.hosts.iter().cloned());
        let tls = crate::tls::load(&spec.tls, &names)?;
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("console")
            .enable_all()
            .build()
            .map_err(ConsoleError::Runtime)?;
        let (closing_tx, closing) = watch::channel(false);
        let now_ms = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_millis() as u64)
            .unwrap_or(0);
        let started_ms = now_ms.saturating_sub((engine.snapshot().elapsed_s * 1000.0) as u64);
        let shared = Arc::new(Shared {
            engine,
            invites: Mutex::new(Invites::new()),
            pages: Mutex::new(BTreeMap::new()),
            next_page: AtomicU64::new(1),
            revoked: broadcast::channel(64).0,
            notices: broadcast::channel(256).0,
            question: Mutex::new(None),
            handled: Mutex::new(HashMap::new()),
            views: watch::channel(Views::default()).0,
            pictures: watch::channel(Pictures::default()).0,
            dirty: Notify::new(),
            limits: limits(),
            guard: Guard {
                hosts: spec.hosts.clone(),
                origins: Vec::new(),
            },
            scheme: if tls.is_some() { "https" } else { "http" },
            closing,
            started_ms,
        });
        let listener = {
            let _guard = runtime.enter();
            tokio::net::TcpListener::from_std(std_listener).map_err(ConsoleError::Runtime)?
        };
        runtime.spawn(crate::view::run(shared.clone()));
        runtime.spawn(crate::picture::run(shared.clone()));
        let app = crate::page::routes()
            .route("/ws", axum::routing::get(upgrade))
            .fallback(not_found)
            .layer(axum::middleware::map_response(crate::page::headers))
            .with_state(shared.clone());
        let counters = Arc::new(Counters::default());
        let fingerprint = tls.as_ref().map(|t| t.fingerprint.clone());
        match tls {
            None => runtime.spawn(crate::listener::serve(listener, app, shared.limits, counters)),
            Some(t) => runtime.spawn(crate::listener::serve_tls(
                listener,
                app,
                shared.limits,
                counters,
                t.acceptor,
            )),
        };
        tracing::info!("crew console on {}://{link_host}/", shared.scheme);
        Ok(Console {
            addr,
            link_host,
            fingerprint,
            shared,
            closing: closing_tx,
            runtime: Some(runtime),
        })
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The console's address for people: `http://127.0.0.1:8790/`.
    pub fn url(&self) -> String {
        format!("{}://{}/", self.shared.scheme, self.link_host)
    }

    /// SHA-256 of the HTTPS certificate, for the crew to compare.
    pub fn fingerprint(&self) -> Option<&str> {
        self.fingerprint.as_deref()
    }

    /// A new invite for `name` with `role`.
    pub fn invite(&self, role: Role, name: &str) -> Result<NewInvite, ConsoleError> {
        let i = lock(&self.shared.invites).create(role, name)?;
        Ok(NewInvite {
            id: i.id,
            name: i.name,
            role: i.role,
            link: Secret::new(format!("{}#{}", self.url(), i.token.expose())),
        })
    }

    /// Ends an invite at once; its open pages are closed.
    pub fn revoke(&self, id: u64) -> Result<Invite, ConsoleError> {
        let i = lock(&self.shared.invites).revoke(id)?;
        let _ = self.shared.revoked.send(id);
        Ok(i)
    }

    /// Every invite with how many of its pages are open.
    pub fn crew(&self) -> Vec<CrewMember> {
        let pages = lock(&self.shared.pages);
        lock(&self.shared.invites)
            .list()
            .iter()
            .map(|i| CrewMember {
                id: i.id,
                name: i.name.clone(),
                role: i.role,
                pages: pages.values().filter(|p| p.invite == i.id).count(),
            })
            .collect()
    }

    /// The pages open now.
    pub fn pages(&self) -> Vec<PageInfo> {
        lock(&self.shared.pages).values().cloned().collect()
    }

    /// Tells every page the show has ended, closes them, ends every
    /// invite and stops listening. The engine is the caller's again after.
    pub fn stop(mut self) {
        self.shutdown();
    }

    fn shutdown(&mut self) {
        let Some(rt) = self.runtime.take() else {
            return;
        };
        lock(&self.shared.invites).end_all();
        let _ = self.closing.send(true);
        let deadline = Instant::now() + Duration::from_secs(2);
        while !lock(&self.shared.pages).is_empty() && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(10));
        }
        rt.shutdown_timeout(Duration::from_secs(1));
    }
}

impl Drop for Console {
    fn drop(&mut self) {
        self.shutdown();
    }
}

/// Roles in [`ROLES`] order, for per-role tables.
pub(crate) fn role_at(i: usize) -> Role {
    ROLES[i]
}

async fn not_found() -> Response {
    Refusal::new(
        StatusCode::NOT_FOUND,
        "this is Showroom's crew console: open the link of your invite",
    )
    .into_response()
}

/// The Host rule of every listener, and: a request with an Origin must
/// come from the console's own pages; a WebSocket must have one.
pub(crate) fn check_same_origin(shared: &Shared, headers: &HeaderMap, need_origin: bool) -> Result<(), Refusal> {
    let mut guard = shared.guard.clone();
    if let Some(host) = headers.get("host").and_then(|h| h.to_str().ok()) {
        guard.origins.push(format!("{}://{host}", shared.scheme));
    }
    guard.check(headers)?;
    if need_origin && headers.get("origin").is_none() {
        return Err(Refusal::new(
            StatusCode::FORBIDDEN,
            "the console's WebSocket is for its own pages: open the invite link in a browser",
        )
        .field("Origin"));
    }
    Ok(())
}

async fn upgrade(
    Ax(shared): Ax<Arc<Shared>>,
    axum::Extension(conn): axum::Extension<Conn>,
    headers: HeaderMap,
    ws: Result<WebSocketUpgrade, WebSocketUpgradeRejection>,
) -> Response {
    if let Err(r) = check_same_origin(&shared, &headers, true) {
        return r.into_response();
    }
    let ws = match crate::listener::websocket(ws, &shared.limits, "this is the console's WebSocket") {
        Ok(ws) => ws,
        Err(r) => return r.into_response(),
    };
    ws.on_upgrade(move |socket| async move {
        // The connection keeps its place under the caps while the page is open.
        let _permit = conn.permit.clone();
        crate::session::run(socket, shared, conn.peer).await;
    })
}
