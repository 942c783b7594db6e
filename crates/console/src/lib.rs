//! The crew console: a web server in the show's process for the crew's
//! own phones, tablets and laptops (docs/console.md). Moderators, a
//! producer, the host's prompter and the brand each get a page; each
//! person comes in with their own invite, bound to a role.
//!
//! One more client of the engine: every action a page sends is an engine
//! `Command`, checked here against the sender's role before it reaches
//! `Engine::execute` (the page only hides what a role cannot do, the
//! server refuses it), and what pages show is built from the engine's
//! snapshot, its chat and its event stream. The listener keeps the rules
//! of every listener of the process (`listener`: caps, timeouts, sizes,
//! Host and Origin checks).
//!
//! Threads: one tokio runtime ("console", two workers) holds the listener,
//! the pages, the view builder and the picture maker; `Console::stop`
//! ends them all (each page is told the show has ended first).

// The layers below (docs/ARCHITECTURE.md).
use showroom_base::{events, listener, secrets};
use showroom_chat as chat;
use showroom_engine as engine;
use showroom_graphics as graphics;
use showroom_media as media;
use showroom_products as products;
use showroom_show as show;

pub mod invites;
pub mod messages;
pub mod page;
pub mod picture;
pub mod qr;
pub mod roles;
pub mod server;
pub mod session;
pub mod tls;
pub mod view;

pub use crate::show::{ConsoleSpec, ConsoleTls};
pub use invites::{Invite, InviteError, Invites};
pub use roles::{Role, allowed};
pub use server::{Console, ConsoleError, CrewMember, NewInvite, PageInfo};
