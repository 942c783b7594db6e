//! Showroom: a live-production studio for live shopping.
//!
//! The program is a workspace of crates by layer (docs/ARCHITECTURE.md):
//! `showroom-base` (events, shutdown, listeners, secrets), `-spec` (the
//! show as data), `-audio`, `-products`, `-media`, `-chat`, `-compositor`,
//! `-graphics`, `-report` (the post-show report from the logs), `-show` (show files), `-engine` (the one door), `-remote`
//! (obs-websocket remote control), `-console` (the crew console: web pages
//! for moderators, producer, host and brand), `-studio` (the window). This crate is the command line on top, and names every
//! layer under its old path (`showroom::chat`, ...) for tests and benches.

pub use showroom_audio as audio;
pub use showroom_base::{backoff, events, hint, listener, secrets, session, shutdown};
pub use showroom_chat as chat;
pub use showroom_compositor as compositor;
pub use showroom_console as console;
pub use showroom_engine as engine;
pub use showroom_graphics as graphics;
pub use showroom_media as media;
pub use showroom_products as products;
pub use showroom_remote as remote;
pub use showroom_report as report;
pub use showroom_show as show;
pub use showroom_spec as spec;
pub use showroom_studio as studio;

pub mod cli;
