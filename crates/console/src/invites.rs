//! Invites: a named person, a role, and a long random capability token
//! (32 bytes from the OS). Looked up in time that does not depend on where
//! a wrong token differs, revocable at once, ended with the show. Wrong
//! tokens are counted per address: after [`FAILURES`] in [`FAILURE_WINDOW`]
//! that address is refused until the window has passed.

use crate::roles::Role;
use crate::secrets::{Secret, SecretError};
use std::collections::HashMap;
use std::net::IpAddr;
use std::time::{Duration, Instant};

/// Wrong tokens one address may send per window.
pub const FAILURES: u32 = 10;
pub const FAILURE_WINDOW: Duration = Duration::from_secs(60);

#[derive(Debug, Clone, PartialEq)]
pub struct Invite {
    pub id: u64,
    pub name: String,
    pub role: Role,
    pub token: Secret,
    pub created: Instant,
}

#[derive(Debug, thiserror::Error)]
pub enum InviteError {
    #[error("give the person a name (1 to 60 characters), e.g. invite moderator Ana")]
    Name,
    #[error("this invite is not valid (revoked, from another show, or mistyped): ask the studio for a new one")]
    Unknown,
    #[error("too many wrong invites from {0}: wait a minute and try again")]
    TooManyFailures(IpAddr),
    #[error("no invite {0}")]
    NoInvite(u64),
    #[error("cannot make an invite: {0}")]
    Token(#[from] SecretError),
}

/// The show's invites.
#[derive(Debug, Default)]
pub struct Invites {
    list: Vec<Invite>,
    next_id: u64,
    failures: HashMap<IpAddr, (u32, Instant)>,
}

impl Invites {
    pub fn new() -> Invites {
        Invites::default()
    }

    /// A new invite for `name` with `role`.
    pub fn create(&mut self, role: Role, name: &str) -> Result<Invite, InviteError> {
        let name = name.trim();
        if name.is_empty() || name.chars().count() > 60 {
            return Err(InviteError::Name);
        }
        self.next_id += 1;
        let invite = Invite {
            id: self.next_id,
            name: name.to_string(),
            role,
            token: crate::secrets::new_token()?,
            created: Instant::now(),
        };
        self.list.push(invite.clone());
        Ok(invite)
    }

    /// Every invite, oldest first.
    pub fn list(&self) -> &[Invite] {
        &self.list
    }

    /// Ends an invite at once (its open pages are to be disconnected by the
    /// server that holds them).
    pub fn revoke(&mut self, id: u64) -> Result<Invite, InviteError> {
        let i = self
            .list
            .iter()
            .position(|v| v.id == id)
            .ok_or(InviteError::NoInvite(id))?;
        Ok(self.list.remove(i))
    }

    /// Ends every invite (the show's end).
    pub fn end_all(&mut self) {
        self.list.clear();
    }

    /// The invite a token belongs to, from `from`. Every invite is compared
    /// (no early exit), and wrong tokens count against the address.
    pub fn admit(&mut self, token: &str, from: IpAddr, now: Instant) -> Result<&Invite, InviteError> {
        if let Some((n, since)) = self.failures.get(&from)
            && *n >= FAILURES
            && now.duration_since(*since) < FAILURE_WINDOW
        {
            return Err(InviteError::TooManyFailures(from));
        }
        let mut found = None;
        for (i, v) in self.list.iter().enumerate() {
            if crate::secrets::same(v.token.expose().as_bytes(), token.as_bytes()) {
                found = Some(i);
            }
        }
        match found {
            Some(i) => Ok(&self.list[i]),
            None => {
                // Addresses whose window has passed are forgotten.
                if self.failures.len() > 1024 {
                    self.failures
                        .retain(|_, (_, since)| now.duration_since(*since) < FAILURE_WINDOW);
                }
                let entry = self.failures.entry(from).or_insert((0, now));
                if now.duration_since(entry.1) >= FAILURE_WINDOW {
                    *entry = (0, now);
                }
                entry.0 += 1;
                Err(InviteError::Unknown)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_invite_lets_its_holder_in_until_it_is_revoked() {
        let mut inv = Invites::new();
        let ana = inv.create(Role::Moderator, " Ana ").unwrap();
        let bo = inv.create(Role::Producer, "Bo").unwrap();
        assert_eq!(ana.name, "Ana");
        assert_eq!(ana.token.expose().len(), 64);
        assert_ne!(ana.token, bo.token);
        assert!(
            !format!("{ana:?}").contains(ana.token.expose()),
            "a token is never printed"
        );
        let here: IpAddr = "127.0.0.1".parse().unwrap();
        let now = Instant::now();
        assert_eq!(inv.admit(ana.token.expose(), here, now).unwrap().role, Role::Moderator);
        assert_eq!(inv.admit(bo.token.expose(), here, now).unwrap().name, "Bo");
        inv.revoke(ana.id).unwrap();
        assert!(matches!(
            inv.admit(ana.token.expose(), here, now),
            Err(InviteError::Unknown)
        ));
        assert!(matches!(inv.revoke(ana.id), Err(InviteError::NoInvite(_))));
        inv.end_all();
        assert!(inv.admit(bo.token.expose(), here, now).is_err());
        assert!(matches!(inv.create(Role::Host, "  "), Err(InviteError::Name)));
    }

    #[test]
    fn wrong_tokens_are_limited_per_address_and_window() {
        let mut inv = Invites::new();
        let ok = inv.create(Role::Host, "Mia").unwrap();
        let (bad, good): (IpAddr, IpAddr) = ("10.0.0.9".parse().unwrap(), "10.0.0.1".parse().unwrap());
        let t0 = Instant::now();
        for _ in 0..FAILURES {
            assert!(matches!(inv.admit("guess", bad, t0), Err(InviteError::Unknown)));
        }
        // Even the right token is refused from that address for a while…
        assert!(matches!(
            inv.admit(ok.token.expose(), bad, t0),
            Err(InviteError::TooManyFailures(_))
        ));
        // …not from another one, and not after the window.
        assert!(inv.admit(ok.token.expose(), good, t0).is_ok());
        assert!(inv.admit(ok.token.expose(), bad, t0 + FAILURE_WINDOW).is_ok());
    }
}
