//! The crew console's core: people with roles, the invites that let them
//! in, and what each role may do (docs/console.md). The web console that
//! serves them is being built on top of this (issue "crew console"); it is
//! not in the studio or the README yet.
//!
//! Every action a console page sends is an engine `Command`, checked here
//! against the sender's role before it reaches `Engine::execute`: the page
//! only hides what a role cannot do, the server refuses it.

// The layers below (docs/ARCHITECTURE.md).
use showroom_base::secrets;
use showroom_chat as chat;
use showroom_engine as engine;
use showroom_graphics as graphics;

pub mod invites;
pub mod messages;
pub mod roles;

pub use invites::{Invite, InviteError, Invites};
pub use roles::{Role, allowed};
