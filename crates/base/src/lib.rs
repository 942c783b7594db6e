//! The leaves every layer may use: the event stream, the one shutdown
//! signal, the backoff policy, the rules every listener follows, session
//! paths and the secrets store. None of them knows a show.

pub mod backoff;
pub mod disk;
pub mod events;
pub mod hint;
pub mod listener;
pub mod secrets;
pub mod session;
pub mod shutdown;
