//! Remote control: an obs-websocket 5.x server in the engine's process, so
//! that Stream Deck, Bitfocus Companion, Touch Portal, Streamer.bot and
//! scripts drive a show as they drive OBS (docs/remote-control.md).
//!
//! One more client of the engine: requests become `Engine::execute`
//! commands or read `Engine::snapshot`, and the engine's event stream
//! becomes obs-websocket events. The listener keeps the rules of every
//! listener of the process (`listener`: caps, timeouts, sizes, Host and
//! Origin checks).
//!
//! Threads: one tokio runtime ("remote", two workers) holds the listener,
//! the sessions, the event hub and the volume meters; `Remote::stop` ends
//! them all (each controller is told ExitStarted and closed first).

// The layers below (docs/ARCHITECTURE.md).
use showroom_base::{events, listener, secrets};
use showroom_chat as chat;
use showroom_engine as engine;
use showroom_graphics as graphics;
use showroom_media as media;
use showroom_show as show;

pub mod args;
pub mod auth;
pub mod events_map;
pub mod names;
pub mod protocol;
pub mod requests;
pub mod screenshot;
pub mod session;
pub mod vendor;

use crate::engine::Engine;
use crate::events::Next;
use crate::events_map::{ObsEvent, Tracker};
use crate::listener::{Conn, Counters, Guard, Limits, Refusal};
use crate::protocol::{Encoding, subs};
use axum::extract::State as Ax;
use axum::extract::ws::WebSocketUpgrade;
use axum::extract::ws::rejection::WebSocketUpgradeRejection;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::json;
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::{broadcast, watch};

pub use crate::show::RemoteSpec;

/// Events kept for sessions that fall behind (InputVolumeMeters included).
const EVENT_BUFFER: usize = 1024;
/// How often InputVolumeMeters goes out (as OBS: every 50 ms).
const METERS_EVERY: Duration = Duration::from_millis(50);

#[derive(Debug, thiserror::Error)]
pub enum RemoteError {
    #[error(
        "remote control on {0}: a password is required off this machine — add password = {{ keyring = \"NAME\" }} to [remote] (run `showroom key set NAME` to store it)"
    )]
    NeedsPassword(SocketAddr),
    #[error("remote control: password: {0}")]
    Password(#[from] secrets::SecretError),
    #[error(
        "remote control: cannot listen on {addr}: {err} (is OBS or another show using the port? set listen = \"127.0.0.1:PORT\" in [remote])"
    )]
    Bind { addr: SocketAddr, err: std::io::Error },
    #[error("remote control: cannot start: {0}")]
    Runtime(std::io::Error),
    #[error("remote control: no random numbers for the password's salt: {0}")]
    Random(getrandom::Error),
}

/// One controller, as the studio's connection list shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct SessionInfo {
    pub id: u64,
    pub peer: SocketAddr,
    /// "json" or "msgpack".
    pub encoding: &'static str,
    pub identified: bool,
    pub subscriptions: u64,
    /// Messages it sent.
    pub requests: u64,
    pub since: Instant,
}

/// What the listener's tasks share.
pub struct Shared {
    ctx: requests::Ctx,
    password: Option<auth::Password>,
    events: broadcast::Sender<Arc<ObsEvent>>,
    limits: Limits,
    guard: Guard,
    sessions: Mutex<BTreeMap<u64, SessionInfo>>,
    next_id: AtomicU64,
    closing: watch::Receiver<bool>,
}

impl Shared {
    fn register(&self, info: SessionInfo) {
        self.lock().insert(info.id, info);
    }
    fn unregister(&self, id: u64) {
        self.lock().remove(&id);
    }
    fn update(&self, id: u64, f: impl FnOnce(&mut SessionInfo)) {
        if let Some(i) = self.lock().get_mut(&id) {
            f(i);
        }
    }
    fn lock(&self) -> std::sync::MutexGuard<'_, BTreeMap<u64, SessionInfo>> {
        self.sessions.lock().unwrap_or_else(|e| e.into_inner())
    }
    fn meters_wanted(&self) -> bool {
        self.lock()
            .values()
            .any(|s| s.identified && s.subscriptions & subs::INPUT_VOLUME_METERS != 0)
    }
}

/// The listener's limits (docs/security.md): 32 connections, 1 MiB
/// messages, the listener defaults otherwise.
pub fn limits() -> Limits {
    Limits {
        connections: 32,
        per_address: 32,
        frame_bytes: 1 << 20,
        body_bytes: 64 * 1024,
        ..Limits::default()
    }
}

/// A running remote-control server.
pub struct Remote {
    addr: SocketAddr,
    shared: Arc<Shared>,
    closing: watch::Sender<bool>,
    runtime: Option<tokio::runtime::Runtime>,
}

impl std::fmt::Debug for Remote {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Remote")
            .field("addr", &self.addr)
            .finish_non_exhaustive()
    }
}

impl Remote {
    /// Listens on `spec.listen` (port 0: any free port) and serves until
    /// `stop`.
    pub fn start(engine: Arc<Engine>, spec: &RemoteSpec) -> Result<Remote, RemoteError> {
        let secret = spec.password.read()?;
        if secret.is_none() && !spec.listen.ip().is_loopback() {
            return Err(RemoteError::NeedsPassword(spec.listen));
        }
        let password = match &secret {
            Some(s) => Some(auth::Password::new(s.expose()).map_err(RemoteError::Random)?),
            None => None,
        };
        drop(secret);
        let std_listener =
            std::net::TcpListener::bind(spec.listen).map_err(|err| RemoteError::Bind { addr: spec.listen, err })?;
        std_listener.set_nonblocking(true).map_err(RemoteError::Runtime)?;
        let addr = std_listener.local_addr().map_err(RemoteError::Runtime)?;
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("remote")
            .enable_all()
            .build()
            .map_err(RemoteError::Runtime)?;
        let (events, _) = broadcast::channel(EVENT_BUFFER);
        let (closing_tx, closing) = watch::channel(false);
        let transition = engine.show().transition;
        let shared = Arc::new(Shared {
            ctx: requests::Ctx {
                engine,
                transition: Mutex::new(transition),
                started: Instant::now(),
            },
            password,
            events,
            limits: limits(),
            guard: Guard {
                hosts: spec.hosts.clone(),
                origins: spec.origins.clone(),
            },
            sessions: Mutex::new(BTreeMap::new()),
            next_id: AtomicU64::new(1),
            closing,
        });
        let listener = {
            let _guard = runtime.enter();
            tokio::net::TcpListener::from_std(std_listener).map_err(RemoteError::Runtime)?
        };
        runtime.spawn(hub(shared.clone()));
        runtime.spawn(meters(shared.clone()));
        let app = axum::Router::new()
            .route("/", axum::routing::get(upgrade))
            .fallback(not_found)
            .with_state(shared.clone());
        runtime.spawn(crate::listener::serve(
            listener,
            app,
            shared.limits,
            Arc::new(Counters::default()),
        ));
        tracing::info!(
            "remote control (obs-websocket 5) on ws://{addr} {}",
            if shared.password.is_some() {
                "with a password"
            } else {
                "without a password (this machine only)"
            }
        );
        Ok(Remote {
            addr,
            shared,
            closing: closing_tx,
            runtime: Some(runtime),
        })
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    pub fn has_password(&self) -> bool {
        self.shared.password.is_some()
    }

    /// The controllers connected now.
    pub fn sessions(&self) -> Vec<SessionInfo> {
        self.shared.lock().values().cloned().collect()
    }

    /// Tells every controller the show is ending (ExitStarted), closes
    /// them, and stops listening. The engine is the caller's again after.
    pub fn stop(mut self) {
        self.shutdown();
    }

    fn shutdown(&mut self) {
        let Some(rt) = self.runtime.take() else {
            return;
        };
        let _ = self.closing.send(true);
        let deadline = Instant::now() + Duration::from_secs(2);
        while !self.shared.lock().is_empty() && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(10));
        }
        rt.shutdown_timeout(Duration::from_secs(1));
    }
}

/// Stops the remote control (if any) and then the engine, which is the
/// caller's alone again once the remote has let go of it.
pub fn stop_show(engine: Arc<Engine>, remote: Option<Remote>) -> crate::engine::stats::Snapshot {
    if let Some(r) = remote {
        r.stop();
    }
    match Arc::try_unwrap(engine) {
        Ok(e) => e.stop(),
        Err(shared) => {
            // Someone else still holds it: the last holder's drop ends the show.
            tracing::error!("the engine is still shared at the show's end; it stops when the last holder lets go");
            shared.snapshot()
        }
    }
}

impl Drop for Remote {
    fn drop(&mut self) {
        self.shutdown();
    }
}

/// Follows the engine's events and hands them, translated, to every session.
async fn hub(shared: Arc<Shared>) {
    let engine = &shared.ctx.engine;
    let mut sub = engine.subscribe();
    let snap = engine.snapshot();
    let mut tracker = Tracker::new(
        snap.destinations
            .iter()
            .map(|d| (d.id.clone(), d.state.word().to_string())),
    );
    let mut kind = String::from("fade");
    loop {
        match sub.next().await {
            Next::Event(e) => {
                for o in events_map::translate(&e.event, &mut tracker, &mut kind) {
                    // No session is not an error.
                    let _ = shared.events.send(Arc::new(o));
                }
            }
            Next::Missed(n) => tracing::warn!("remote control: fell behind the show and missed {n} event(s)"),
            Next::Empty => {}
            Next::Closed => break,
        }
    }
}

/// InputVolumeMeters every 50 ms while a session wants it.
async fn meters(shared: Arc<Shared>) {
    let mut tick = tokio::time::interval(METERS_EVERY);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    loop {
        tick.tick().await;
        if !shared.meters_wanted() {
            continue;
        }
        let audio = shared.ctx.engine.audio();
        let inputs: Vec<serde_json::Value> = audio
            .inputs
            .iter()
            .map(|i| {
                let mul = |db: f32| {
                    if db <= -120.0 {
                        0.0
                    } else {
                        10f64.powf(db as f64 / 20.0)
                    }
                };
                let vol = if i.mute { 0.0 } else { 1.0 };
                let ch = [
                    mul(i.levels.rms_db) * vol,
                    mul(i.levels.peak_db) * vol,
                    mul(i.levels.peak_db),
                ];
                json!({
                    "inputName": i.id,
                    "inputUuid": names::uuid("input", &i.id),
                    "inputLevelsMul": [ch, ch],
                })
            })
            .collect();
        let _ = shared.events.send(Arc::new(ObsEvent {
            intent: subs::INPUT_VOLUME_METERS,
            event_type: "InputVolumeMeters".into(),
            data: Some(json!({ "inputs": inputs })),
        }));
    }
}

async fn not_found() -> Response {
    Refusal::new(
        StatusCode::NOT_FOUND,
        "this is Showroom's remote control: connect an obs-websocket 5 client to ws://HOST:PORT/",
    )
    .into_response()
}

/// The client's first subprotocol we speak (OBS goes by the client's order).
fn chosen_protocol(headers: &HeaderMap) -> Option<&'static str> {
    headers
        .get_all("sec-websocket-protocol")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .find_map(|p| match p {
            protocol::JSON_PROTOCOL => Some(protocol::JSON_PROTOCOL),
            protocol::MSGPACK_PROTOCOL => Some(protocol::MSGPACK_PROTOCOL),
            _ => None,
        })
}

async fn upgrade(
    Ax(shared): Ax<Arc<Shared>>,
    axum::Extension(conn): axum::Extension<Conn>,
    headers: HeaderMap,
    ws: Result<WebSocketUpgrade, WebSocketUpgradeRejection>,
) -> Response {
    // Web pages are refused (a page the host opens can reach this
    // machine's ports); a client whose Origin is this server itself
    // (websocket-client sends one) is not a web page.
    let mut guard = shared.guard.clone();
    if let Some(host) = headers.get("host").and_then(|h| h.to_str().ok()) {
        guard.origins.push(format!("http://{host}"));
        guard.origins.push(format!("https://{host}"));
    }
    if let Err(r) = guard.check(&headers) {
        return r.into_response();
    }
    let ws = match crate::listener::websocket(
        ws,
        &shared.limits,
        "connect with an obs-websocket 5 client (a WebSocket upgrade)",
    ) {
        Ok(ws) => ws,
        Err(r) => return r.into_response(),
    };
    let protocol = chosen_protocol(&headers);
    let encoding = Encoding::from_protocol(protocol);
    let ws = match protocol {
        Some(p) => ws.protocols([p]),
        None => ws,
    };
    let info = SessionInfo {
        id: shared.next_id.fetch_add(1, Ordering::Relaxed),
        peer: conn.peer,
        encoding: if encoding == Encoding::MsgPack {
            "msgpack"
        } else {
            "json"
        },
        identified: false,
        subscriptions: 0,
        requests: 0,
        since: Instant::now(),
    };
    ws.on_upgrade(move |socket| async move {
        // The connection keeps its place under the caps while the session lives.
        let _permit = conn.permit;
        session::run(socket, encoding, shared, info).await;
    })
}
