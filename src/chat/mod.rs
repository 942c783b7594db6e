//! Platform chat (groundwork for the chat issue): the one message model
//! every connector fills, and comment selling's claim parser. Connectors,
//! the panel, triage and the claims ledger build on these.

pub mod claims;
pub mod model;
