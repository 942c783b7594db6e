//! Platform chat: connectors fill one message model; one writer thread
//! triages each message, settles claims against stock, appends it all to the
//! log (fsynced per batch) and only then acknowledges. The panel reads the
//! shared state; moderator actions go through the same writer so the log
//! holds them in order. An action never waits for the disk: it is checked
//! against the state at once, queued ahead of messages, and its outcome is
//! a [`Pending`] the caller may wait on (tests) or drop (the engine, whose
//! subscribers hear it as events).
//!
//!   connectors ─► Ingest ─► writer: decide → apply → log (fsync) → ack
//!                                        │
//!                                  ChatState (panel, queue, ledger) ─► card stock

// The layers below (docs/ARCHITECTURE.md).
use showroom_base::{backoff, events, listener, secrets, session};
use showroom_products as products;

pub mod auction;
pub mod claims;
pub mod connectors;
pub mod deals;
pub mod giveaway;
pub mod ledger;
pub mod log;
pub mod metrics;
pub mod model;
pub mod orders;
pub mod state;
pub mod triage;

use crate::products::catalog::Catalog;
use connectors::{SourceConfig, SourceStatus};
use log::Record;
use model::Message;
use state::{Action, ActionError, ChatState};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};
use tokio::sync::{mpsc, oneshot};

/// `[chat]` in the show file, checked.
#[derive(Debug, Clone, PartialEq)]
pub struct ChatConfig {
    /// The chat log (messages, moderation, claims), JSONL.
    pub log: PathBuf,
    /// Words that make a comment a claim.
    pub keywords: Vec<String>,
    pub blocked_words: Vec<String>,
    pub sources: Vec<SourceConfig>,
    /// Where claims become draft orders, if set.
    pub shopify: Option<orders::ShopifyAdmin>,
}

/// Messages buffered between connectors and the writer. Connectors wait
/// when it is full (backpressure), so memory stays bounded in a flood.
const CHANNEL: usize = 16_384;
/// Most inputs written with one fsync.
const BATCH: usize = 4096;

enum Input {
    Message {
        msg: Box<Message>,
        received: Instant,
        ack: Option<oneshot::Sender<bool>>,
        /// Its bytes under `IN_FLIGHT_BYTES`, given back once it is applied.
        _held: Option<tokio::sync::OwnedSemaphorePermit>,
    },
    /// A platform's viewer count.
    Viewers {
        count: model::ViewerCount,
        ack: Option<oneshot::Sender<bool>>,
    },
    /// Moderator actions are waiting (in their own queue, served first).
    Wake,
    /// Time passes: an open auction's clock and end.
    Tick,
    /// A stock refresh: the store's figures (the ledger owns what is left).
    Restock(Box<Catalog>),
    Stop,
}

/// A moderator action on its way to the writer.
struct Acting {
    action: Action,
    reply: Option<oneshot::Sender<Result<(), ActionError>>>,
}

/// Queues actions for the writer, ahead of any messages waiting.
#[derive(Clone)]
struct Actor {
    actions: std::sync::mpsc::Sender<Acting>,
    wake: mpsc::Sender<Input>,
}

impl Actor {
    fn submit(
        &self,
        action: Action,
        reply: Option<oneshot::Sender<Result<(), ActionError>>>,
    ) -> Result<(), ActionError> {
        self.actions
            .send(Acting { action, reply })
            .map_err(|_| ActionError::Stopped)?;
        // A full channel means the writer has work queued: it serves the
        // actions first when it takes its next batch, so no wake is needed.
        match self.wake.try_send(Input::Wake) {
            Err(mpsc::error::TrySendError::Closed(_)) => Err(ActionError::Stopped),
            _ => Ok(()),
        }
    }
}

/// Sends refreshed catalogs to the chat's ledger (from a thread outside
/// the runtime).
#[derive(Clone)]
pub struct Restocker(mpsc::Sender<Input>);

impl Restocker {
    /// False when the chat has stopped.
    pub fn send(&self, fresh: Catalog) -> bool {
        self.0.blocking_send(Input::Restock(Box::new(fresh))).is_ok()
    }
}

/// The outcome of an action not yet written: wait for it, or drop it.
#[derive(Debug)]
pub struct Pending(oneshot::Receiver<Result<(), ActionError>>);

impl Pending {
    /// Waits until the action is in the log, or says why it was not done.
    pub fn wait(self) -> Result<(), ActionError> {
        self.0.blocking_recv().map_err(|_| ActionError::Stopped)?
    }

    /// The verdict if it comes within `limit` (None: still being decided;
    /// the outcome comes as events). An action checked against the state
    /// before an earlier one was applied (two auctions typed back to back)
    /// is refused here by the chat's own, in-order decision.
    pub fn wait_for(mut self, limit: std::time::Duration) -> Option<Result<(), ActionError>> {
        let until = std::time::Instant::now() + limit;
        loop {
            match self.0.try_recv() {
                Ok(verdict) => return Some(verdict),
                Err(oneshot::error::TryRecvError::Closed) => return Some(Err(ActionError::Stopped)),
                Err(oneshot::error::TryRecvError::Empty) if std::time::Instant::now() >= until => return None,
                Err(oneshot::error::TryRecvError::Empty) => std::thread::sleep(std::time::Duration::from_millis(1)),
            }
        }
    }
}

/// Bytes of messages queued for the writer, all connectors together. With
/// the count bound of the channel, a flood of long messages waits instead
/// of growing memory.
pub const IN_FLIGHT_BYTES: usize = 32 << 20;

/// Where connectors push messages. Cheap to clone.
#[derive(Clone)]
pub struct Ingest {
    tx: mpsc::Sender<Input>,
    budget: Arc<tokio::sync::Semaphore>,
}

impl Ingest {
    fn permits(msg: &Message) -> u32 {
        msg.size().min(IN_FLIGHT_BYTES) as u32
    }

    async fn hold(&self, msg: &Message) -> Option<tokio::sync::OwnedSemaphorePermit> {
        self.budget.clone().acquire_many_owned(Self::permits(msg)).await.ok()
    }

    /// Queues a message; false when the chat has stopped.
    pub async fn send(&self, msg: Message) -> bool {
        let msg = msg.bounded();
        let held = self.hold(&msg).await;
        self.tx
            .send(Input::Message {
                msg: Box::new(msg),
                received: Instant::now(),
                ack: None,
                _held: held,
            })
            .await
            .is_ok()
    }

    /// Queues a viewer count; false when the chat has stopped.
    pub async fn viewers(&self, count: model::ViewerCount) -> bool {
        self.tx.send(Input::Viewers { count, ack: None }).await.is_ok()
    }

    /// Queues a viewer count; the receiver answers once it is on disk.
    pub async fn viewers_acked(&self, count: model::ViewerCount) -> Option<oneshot::Receiver<bool>> {
        let (ack, rx) = oneshot::channel();
        self.tx.send(Input::Viewers { count, ack: Some(ack) }).await.ok()?;
        Some(rx)
    }

    /// Queues a message; the receiver answers once it is on disk (true; a
    /// repeat of one already logged is also true) or could not be written
    /// (false, or dropped).
    pub async fn send_acked(&self, msg: Message) -> Option<oneshot::Receiver<bool>> {
        let msg = msg.bounded();
        let held = self.hold(&msg).await;
        let (ack, rx) = oneshot::channel();
        self.tx
            .send(Input::Message {
                msg: Box::new(msg),
                received: Instant::now(),
                ack: Some(ack),
                _held: held,
            })
            .await
            .ok()?;
        Some(rx)
    }
}

/// Figures for the status line and the benchmark.
#[derive(Debug, Default, Clone)]
pub struct ChatStats {
    /// Latency from a connector receiving a message to it being in the
    /// model, for the most recent messages (ms).
    pub recent_latency_ms: Vec<f32>,
    /// Messages written to the log.
    pub persisted: u64,
    /// The last write error, if the log cannot be written (shown in red).
    pub disk_error: Option<String>,
}

const LATENCY_WINDOW: usize = 10_000;

pub struct Chat {
    state: Arc<Mutex<ChatState>>,
    stats: Arc<Mutex<ChatStats>>,
    statuses: Arc<Mutex<Vec<SourceStatus>>>,
    tx: mpsc::Sender<Input>,
    actor: Actor,
    budget: Arc<tokio::sync::Semaphore>,
    writer: Option<std::thread::JoinHandle<()>>,
    runtime: Option<tokio::runtime::Runtime>,
    bridges: Vec<connectors::bridge::BridgeAccess>,
    log_path: PathBuf,
    shopify: Option<orders::ShopifyAdmin>,
    /// Problems found on open (log lines that could not be read).
    pub warnings: Vec<String>,
}

/// Why the chat could not open.
#[derive(Debug, thiserror::Error)]
pub enum ChatError {
    #[error(transparent)]
    Log(#[from] log::LogError),
    #[error("chat: cannot start its {what}: {err}")]
    Start { what: &'static str, err: std::io::Error },
}

/// Told when stock, flash deals or the auction change: the catalog with
/// the stock left, and what is on sale (each open deal with its units left
/// at the deal price, the open auction).
pub type StockSink = Box<dyn Fn(&Catalog, &state::OnSale) + Send>;

impl Chat {
    /// Opens the log (replaying it), starts the writer and every source.
    pub fn open(config: &ChatConfig, catalog: Catalog, on_stock: Option<StockSink>) -> Result<Chat, ChatError> {
        Self::open_with(config, catalog, on_stock, None)
    }

    /// `open`, telling `events` each message, claim and queue change once
    /// it is on disk.
    pub fn open_with(
        config: &ChatConfig,
        catalog: Catalog,
        on_stock: Option<StockSink>,
        events: Option<crate::events::Emitter>,
    ) -> Result<Chat, ChatError> {
        let keywords: Vec<&str> = config.keywords.iter().map(String::as_str).collect();
        let mut state = ChatState::new(ledger::Ledger::new(catalog), &keywords, config.blocked_words.clone());
        let mut stock_changed = false;
        let mut opened = log::Log::open(&config.log, |r| stock_changed |= state.apply(r))?;
        // An auction the last run left open goes on with the time it had.
        let mut resumed = Vec::new();
        for r in state.decide_resume(log::now_ms()) {
            opened.log.stage(&r)?;
            resumed.extend(event_of(&r));
            stock_changed |= state.apply(r);
        }
        opened.log.commit()?;
        if let Some(e) = &events {
            resumed.into_iter().for_each(|ev| e.emit(ev));
        }
        if stock_changed && let Some(sink) = &on_stock {
            sink(&state.ledger.catalog_with_stock(), &state.on_sale(log::now_ms()));
        }
        let state = Arc::new(Mutex::new(state));
        let stats = Arc::new(Mutex::new(ChatStats::default()));
        let statuses = Arc::new(Mutex::new(Vec::new()));
        let (tx, rx) = mpsc::channel(CHANNEL);
        let (actions, acting) = std::sync::mpsc::channel();
        let actor = Actor {
            actions,
            wake: tx.clone(),
        };
        let budget = Arc::new(tokio::sync::Semaphore::new(IN_FLIGHT_BYTES));
        let writer = {
            let (state, stats, log) = (state.clone(), stats.clone(), opened.log);
            std::thread::Builder::new()
                .name("chat-writer".into())
                .spawn(move || write_loop(rx, acting, log, state, stats, on_stock, events))
                .map_err(|err| ChatError::Start {
                    what: "writer thread",
                    err,
                })?
        };
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("chat")
            .enable_all()
            .build()
            .map_err(|err| ChatError::Start { what: "runtime", err })?;
        let mut chat = Chat {
            state,
            stats,
            statuses,
            tx,
            actor,
            budget,
            writer: Some(writer),
            runtime: None,
            bridges: Vec::new(),
            log_path: config.log.clone(),
            shopify: config.shopify.clone(),
            warnings: opened.warnings,
        };
        chat.bridges = connectors::start(&runtime, &config.sources, &chat.ingest(), &chat.statuses);
        // Time passes for an auction even when nobody comments.
        let ticks = chat.tx.clone();
        runtime.spawn(async move {
            let mut every = tokio::time::interval(std::time::Duration::from_millis(250));
            every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                every.tick().await;
                if ticks.send(Input::Tick).await.is_err() {
                    return;
                }
            }
        });
        chat.runtime = Some(runtime);
        Ok(chat)
    }

    pub fn ingest(&self) -> Ingest {
        Ingest {
            tx: self.tx.clone(),
            budget: self.budget.clone(),
        }
    }

    /// The panel's view. Hold it briefly: the writer waits on it.
    pub fn state(&self) -> MutexGuard<'_, ChatState> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The state for a reader on another thread (the engine's pulse).
    pub fn shared_state(&self) -> Arc<Mutex<ChatState>> {
        self.state.clone()
    }

    /// Why the log cannot be written, if it cannot (cheap: read per frame).
    pub fn disk_error(&self) -> Option<String> {
        self.stats.lock().unwrap_or_else(|e| e.into_inner()).disk_error.clone()
    }

    /// A copy of the figures, latencies included (for benchmarks and tests).
    pub fn stats(&self) -> ChatStats {
        self.stats.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    pub fn statuses(&self) -> Vec<SourceStatus> {
        self.statuses.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// Where each bridge listens (in the order of the show's sources).
    pub fn bridges(&self) -> Vec<SocketAddr> {
        self.bridges.iter().map(|b| b.addr).collect()
    }

    /// Each bridge's address and token, for the studio's chat panel (and a
    /// client the user points at it).
    pub fn bridge_access(&self) -> &[connectors::bridge::BridgeAccess] {
        &self.bridges
    }

    pub fn log_path(&self) -> &std::path::Path {
        &self.log_path
    }

    /// Queues a moderator action and returns at once: an action that
    /// cannot be done (a message no longer in memory, a claim already
    /// cancelled) is refused here with the reason. The writer decides again
    /// in order with everything else; `Pending` tells that outcome.
    pub fn act(&self, action: Action) -> Result<Pending, ActionError> {
        self.state().decide_action(action.clone())?;
        let (reply, rx) = oneshot::channel();
        self.actor.submit(action, Some(reply))?;
        Ok(Pending(rx))
    }

    /// Where a stock refresh sends the store's figures: the claims ledger
    /// owns the stock shown, so both come together there.
    pub fn restocker(&self) -> Restocker {
        Restocker(self.tx.clone())
    }

    /// What clients of the engine may see of the chat (they act through
    /// engine commands).
    pub fn view(&self) -> ChatView<'_> {
        ChatView(self)
    }

    /// Whether claims can become Shopify draft orders (`[chat] shopify_admin`).
    pub fn has_shop(&self) -> bool {
        self.shopify.is_some()
    }

    /// A job that makes Shopify draft orders for the claims not yet in one
    /// and logs them; run it off the window's thread (it talks to the shop).
    /// It returns a summary for the user, or why nothing was made.
    pub fn draft_orders_job(&self) -> Result<impl FnOnce() -> Result<String, String> + Send + 'static, ActionError> {
        let admin = self.shopify.clone().ok_or(ActionError::NoShop)?;
        let (claims, ordered) = {
            let s = self.state();
            (s.ledger.claims().to_vec(), s.ordered.keys().copied().collect())
        };
        let actor = self.actor.clone();
        Ok(move || match orders::create(&admin, &claims, &ordered, log::now_ms()) {
            Ok(outcome) => {
                let summary = outcome.summary();
                if !outcome.created.is_empty() {
                    let (reply, rx) = oneshot::channel();
                    let logged = actor.submit(Action::Ordered(outcome.created), Some(reply)).is_ok()
                        && matches!(rx.blocking_recv(), Ok(Ok(())));
                    if !logged {
                        return Err(format!("{summary} — but the chat log could not record them"));
                    }
                }
                Ok(summary)
            }
            Err(e) => Err(format!("Draft orders: {e}")),
        })
    }

    /// A job that draws giveaway `giveaway` (checked here first) and
    /// returns the winner's name and platform once the draw is in the log.
    pub fn draw_job(
        &self,
        giveaway: u64,
        seed: Option<u64>,
    ) -> Result<impl FnOnce() -> Result<(String, String), String> + Send + 'static, ActionError> {
        let action = Action::DrawGiveaway { giveaway, seed };
        self.state().decide_action(action.clone())?;
        let (actor, state) = (self.actor.clone(), self.state.clone());
        Ok(move || {
            let (reply, rx) = oneshot::channel();
            actor.submit(action, Some(reply)).map_err(|e| e.to_string())?;
            match rx.blocking_recv() {
                Ok(Ok(())) => {}
                Ok(Err(e)) => return Err(e.to_string()),
                Err(_) => return Err(ActionError::Stopped.to_string()),
            }
            let s = state.lock().unwrap_or_else(|e| e.into_inner());
            let draw = s
                .giveaways
                .iter()
                .find(|g| g.id == giveaway)
                .and_then(|g| g.draws.last())
                .ok_or_else(|| format!("giveaway {giveaway} was not drawn"))?;
            Ok((draw.name.clone(), draw.platform.name().to_string()))
        })
    }

    /// A job that writes giveaway `giveaway`'s entries as CSV to `path`.
    pub fn export_giveaway_job(
        &self,
        giveaway: u64,
        path: PathBuf,
    ) -> impl FnOnce() -> Result<String, String> + Send + 'static {
        let state = self.state.clone();
        move || {
            let (csv, n) = {
                let s = state.lock().unwrap_or_else(|e| e.into_inner());
                let g = s
                    .giveaways
                    .iter()
                    .find(|g| g.id == giveaway)
                    .ok_or_else(|| format!("there is no giveaway {giveaway}"))?;
                let blocked =
                    |p: model::Platform, u: &str| s.blocked_users.iter().any(|(bp, bu, _)| *bp == p && bu == u);
                (giveaway::to_csv(g, blocked)?, g.entries.len())
            };
            crate::session::write_atomic(&path, csv.as_bytes())
                .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
            Ok(format!("{n} giveaway entries written to {}", path.display()))
        }
    }

    /// A job that writes the claims as CSV (for invoicing) to `path`,
    /// whole or not at all; it returns a summary for the user.
    pub fn export_claims_job(&self, path: PathBuf) -> impl FnOnce() -> Result<String, String> + Send + 'static {
        let state = self.state.clone();
        move || {
            let (csv, n) = {
                let s = state.lock().unwrap_or_else(|e| e.into_inner());
                (s.ledger.to_csv()?, s.ledger.claims().len())
            };
            crate::session::write_atomic(&path, csv.as_bytes())
                .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
            Ok(format!("{n} claims written to {}", path.display()))
        }
    }
}

/// The chat as clients of the engine see it: read only. What they change,
/// they change through the engine's commands (docs/ARCHITECTURE.md).
#[derive(Clone, Copy)]
pub struct ChatView<'a>(&'a Chat);

/// The chat state, read only.
pub struct StateRef<'a>(MutexGuard<'a, ChatState>);

impl std::ops::Deref for StateRef<'_> {
    type Target = ChatState;
    fn deref(&self) -> &ChatState {
        &self.0
    }
}

impl<'a> ChatView<'a> {
    /// See [`Chat::state`]: hold it briefly.
    pub fn state(&self) -> StateRef<'a> {
        StateRef(self.0.state())
    }
    pub fn disk_error(&self) -> Option<String> {
        self.0.disk_error()
    }
    pub fn stats(&self) -> ChatStats {
        self.0.stats()
    }
    pub fn statuses(&self) -> Vec<SourceStatus> {
        self.0.statuses()
    }
    pub fn bridges(&self) -> Vec<SocketAddr> {
        self.0.bridges()
    }
    pub fn bridge_access(&self) -> &'a [connectors::bridge::BridgeAccess] {
        self.0.bridge_access()
    }
    pub fn log_path(&self) -> &'a std::path::Path {
        self.0.log_path()
    }
    pub fn has_shop(&self) -> bool {
        self.0.has_shop()
    }
}

impl Drop for Chat {
    fn drop(&mut self) {
        if let Some(rt) = self.runtime.take() {
            rt.shutdown_timeout(Duration::from_secs(1));
        }
        let _ = self.tx.blocking_send(Input::Stop);
        if let Some(w) = self.writer.take() {
            let _ = w.join();
        }
    }
}

fn write_loop(
    mut rx: mpsc::Receiver<Input>,
    acting: std::sync::mpsc::Receiver<Acting>,
    mut log: log::Log,
    state: Arc<Mutex<ChatState>>,
    stats: Arc<Mutex<ChatStats>>,
    on_stock: Option<StockSink>,
    events: Option<crate::events::Emitter>,
) {
    let mut batch = Vec::with_capacity(BATCH);
    let mut queue_len = state.lock().unwrap_or_else(|e| e.into_inner()).queue().count();
    let mut latencies = Vec::new();
    loop {
        let Some(first) = rx.blocking_recv() else { return };
        batch.push(first);
        while batch.len() < BATCH {
            match rx.try_recv() {
                Ok(i) => batch.push(i),
                Err(_) => break,
            }
        }
        latencies.clear();
        // Each record is serialised into the batch, then applied (by value).
        let mut staged = Ok(());
        // What subscribers hear once the batch is on disk (each message only
        // when someone besides the event log listens: the log skips them).
        let mut told = Vec::new();
        let messages_heard = events.as_ref().is_some_and(|e| e.followed());
        let mut record = |r: Record, s: &mut ChatState, log: &mut log::Log| {
            if let Err(e) = log.stage(&r) {
                staged = Err(e);
            }
            if events.is_some() && (messages_heard || !matches!(r, Record::Message { .. })) {
                told.extend(event_of(&r));
            }
            s.apply(r)
        };
        let mut stop = false;
        let mut acks = Vec::new();
        let mut held = Vec::new();
        let mut replies = Vec::new();
        let mut stock_changed = false;
        let mut messages = 0u64;
        {
            let mut s = state.lock().unwrap_or_else(|e| e.into_inner());
            // Moderator actions first: a flood of messages never holds them.
            while let Ok(Acting { action, reply }) = acting.try_recv() {
                let what = action.name();
                match s.decide_action(action) {
                    Ok(new) => {
                        for r in new {
                            stock_changed |= record(r, &mut s, &mut log);
                        }
                        replies.extend(reply.map(|r| (r, Ok(()))));
                    }
                    Err(e) => {
                        // Checked when queued, refused now (something came
                        // in between): whoever follows the stream hears why.
                        if let Some(ev) = &events {
                            ev.emit(crate::events::Event::ChatRefused {
                                action: what.into(),
                                error: e.to_string(),
                            });
                        }
                        replies.extend(reply.map(|r| (r, Err(e))));
                    }
                }
            }
            for input in batch.drain(..) {
                match input {
                    Input::Message {
                        msg,
                        received,
                        ack,
                        _held,
                    } => {
                        // Its bytes count until the batch is on disk.
                        held.push(_held);
                        let new = s.decide_message(*msg);
                        messages += u64::from(!new.is_empty());
                        for r in new {
                            stock_changed |= record(r, &mut s, &mut log);
                        }
                        latencies.push(received.elapsed().as_secs_f32() * 1000.0);
                        acks.extend(ack);
                    }
                    Input::Viewers { count, ack } => {
                        stock_changed |= record(Record::Viewers(count), &mut s, &mut log);
                        acks.extend(ack);
                    }
                    Input::Wake | Input::Tick => {}
                    Input::Restock(fresh) => {
                        stock_changed |= s.ledger.take_prices(&fresh);
                        for r in s.decide_restock(&fresh) {
                            stock_changed |= record(r, &mut s, &mut log);
                        }
                    }
                    Input::Stop => stop = true,
                }
            }
            // Time: an auction's clock, and its end once its time is up.
            for r in s.decide_tick(log::now_ms()) {
                stock_changed |= record(r, &mut s, &mut log);
            }
            if stock_changed && let Some(sink) = &on_stock {
                sink(&s.ledger.catalog_with_stock(), &s.on_sale(log::now_ms()));
            }
            let now = s.queue().count();
            if now != queue_len {
                queue_len = now;
                told.push(crate::events::Event::Queue { length: now });
            }
        }
        // Committed even if a record failed to serialise: the rest are good.
        let committed = log.commit();
        let written = staged.and(committed);
        drop(held);
        {
            let mut st = stats.lock().unwrap_or_else(|e| e.into_inner());
            st.recent_latency_ms.extend_from_slice(&latencies);
            let excess = st.recent_latency_ms.len().saturating_sub(LATENCY_WINDOW);
            st.recent_latency_ms.drain(..excess);
            match &written {
                Ok(()) => {
                    st.persisted += messages;
                    st.disk_error = None;
                }
                Err(e) => {
                    tracing::error!("{e}");
                    st.disk_error = Some(e.to_string());
                }
            }
        }
        let ok = written.is_ok();
        if let (true, Some(ev)) = (ok, &events) {
            for e in told {
                ev.emit(e);
            }
        }
        for a in acks {
            let _ = a.send(ok);
        }
        for (reply, r) in replies {
            let _ = reply.send(match (&written, r) {
                (Err(e), _) => Err(ActionError::Log(e.to_string())),
                (Ok(()), r) => r,
            });
        }
        if stop {
            return;
        }
    }
}

/// What a record means for the event stream (before it is applied).
fn event_of(r: &Record) -> Option<crate::events::Event> {
    use crate::events::Event;
    Some(match r {
        Record::Message { msg, flags, hidden, .. } => Event::ChatMessage {
            platform: msg.platform.id().to_string(),
            id: msg.id.clone(),
            author: msg.author.name.clone(),
            text: msg.text.clone(),
            queued: triage::Flags(*flags).any() && hidden.is_none(),
            hidden: hidden.is_some(),
        },
        Record::Claim(c) => Event::Claim {
            id: c.id,
            code: c.code.clone(),
            buyer: c.buyer.clone(),
            quantity: c.quantity,
            status: c.status.name().to_string(),
        },
        Record::ClaimStatus { id, status } => Event::ClaimStatus {
            id: *id,
            status: status.name().to_string(),
        },
        Record::Answered { seq, .. } => moderation("answered", Some(*seq), None),
        Record::Hide { seq, why } => moderation("hidden", Some(*seq), Some(why.clone())),
        Record::Unhide { seq } => moderation("unhidden", Some(*seq), None),
        Record::Block { platform, name, .. } => {
            moderation("blocked", None, Some(format!("{name} on {}", platform.name())))
        }
        Record::Unblock { platform, user_id } => {
            moderation("unblocked", None, Some(format!("{user_id} on {}", platform.name())))
        }
        Record::BlockedWords { words } => moderation("blocked_words", None, Some(words.join(", "))),
        // The card's stock change is the overlays' `stock` event.
        Record::Stock { .. } => return None,
        Record::Giveaway {
            id,
            keyword,
            starts_ms,
            ends_ms,
        } => Event::Giveaway {
            id: *id,
            keyword: keyword.clone(),
            seconds: (ends_ms - starts_ms) / 1000,
        },
        // Entries are counted in the snapshot, not told one by one.
        Record::Entry { .. } => return None,
        Record::GiveawayDraw { giveaway, draw } => Event::GiveawayWinner {
            id: *giveaway,
            winner: draw.name.clone(),
            platform: draw.platform.name().to_string(),
            seed: draw.seed,
            eligible: draw.eligible,
        },
        Record::Deal(d) => Event::Deal {
            id: d.id,
            product: d.code.clone(),
            price: d.price.clone(),
            currency: d.currency.clone(),
            seconds: (d.ends_ms - d.starts_ms) / 1000,
            cap: d.cap,
            per_buyer: d.per_buyer,
        },
        // The card's return to the regular price is the overlays' `deal_ended`.
        Record::DealEnd { .. } => return None,
        Record::Auction(a) => Event::Auction {
            id: a.id,
            product: a.code.clone(),
            start: a.start.clone(),
            step: a.step.clone(),
            currency: a.currency.clone(),
            seconds: (a.ends_ms - a.starts_ms) / 1000,
            extend_s: a.extend_s,
        },
        Record::Bid { auction, bid, ends_ms } => Event::Bid {
            auction: *auction,
            amount: bid.amount.clone(),
            bidder: bid.name.clone(),
            platform: bid.platform.name().to_string(),
            left_s: ends_ms.saturating_sub(bid.at_ms).div_ceil(1000),
        },
        Record::BidRefused { auction, refused } => Event::BidRefused {
            auction: *auction,
            bidder: refused.name.clone(),
            platform: refused.platform.name().to_string(),
            text: refused.text.clone(),
            why: refused.why.clone(),
        },
        Record::AuctionClock { .. } => return None,
        Record::AuctionResume {
            auction,
            at_ms,
            ends_ms,
        } => Event::AuctionResumed {
            auction: *auction,
            left_s: ends_ms.saturating_sub(*at_ms).div_ceil(1000),
        },
        Record::AuctionEnd { auction, ended } => Event::AuctionEnded {
            auction: *auction,
            how: ended.how.clone(),
            winner: ended.name.clone(),
            price: ended.price.clone(),
            claim: ended.claim,
        },
        Record::Viewers(v) => Event::Viewers {
            platform: v.platform.id().to_string(),
            count: v.count,
        },
        Record::DraftOrder { claims, name, .. } => {
            let ids: Vec<String> = claims.iter().map(|c| format!("#{c}")).collect();
            moderation(
                "draft_order",
                None,
                Some(format!("{name} for claims {}", ids.join(", "))),
            )
        }
    })
}

fn moderation(action: &str, seq: Option<u64>, detail: Option<String>) -> crate::events::Event {
    crate::events::Event::Moderation {
        action: action.into(),
        seq,
        detail,
    }
}

/// One line for a status display: "chat 1234 msgs, 3 queued, 5 claimed,
/// 2 waitlisted" plus any source not live.
pub fn status_line(chat: ChatView<'_>) -> String {
    let (total, queued, (claimed, waiting, _)) = {
        let s = chat.state();
        (s.total(), s.queue().count(), s.claim_counts())
    };
    let mut line = format!("chat {total} msgs, {queued} queued, {claimed} claimed, {waiting} waitlisted");
    for s in chat.statuses() {
        if s.state != connectors::State::Live {
            line.push_str(&format!(" | {} {}: {}", s.name, s.state.word(), s.detail));
        }
    }
    if let Some(e) = chat.disk_error() {
        line.push_str(&format!(" | CHAT LOG NOT WRITTEN: {e}"));
    }
    line
}

/// The 99th percentile of `values` (0 when empty).
pub fn p99(values: &[f32]) -> f32 {
    if values.is_empty() {
        return 0.0;
    }
    let mut v = values.to_vec();
    v.sort_by(f32::total_cmp);
    v[((v.len() as f32 * 0.99).ceil() as usize).clamp(1, v.len()) - 1]
}
