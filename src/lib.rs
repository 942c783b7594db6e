//! Showroom: a live-production studio for live shopping.
//!
//! `show` reads and checks show files; `engine` runs a show (sources →
//! `compositor` → `media` encoders → destinations and recordings); `secrets`
//! keeps stream keys out of files and logs; `studio` is the window; `cli`
//! is the command line.

pub mod audio;
pub mod backoff;
pub mod chat;
pub mod cli;
pub mod compositor;
pub mod engine;
pub mod events;
pub mod graphics;
pub mod hint;
pub mod listener;
pub mod media;
pub mod products;
pub mod secrets;
pub mod session;
pub mod show;
pub mod shutdown;
pub mod spec;
pub mod studio;
