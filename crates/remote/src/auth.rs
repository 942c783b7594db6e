//! The obs-websocket 5 authentication: the server keeps
//! `secret = base64(sha256(password + salt))` (the password itself is not
//! kept), sends `salt` and a fresh `challenge` per session in Hello, and
//! expects `base64(sha256(secret + challenge))` back in Identify.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

/// The server's side of a password.
pub struct Password {
    salt: String,
    secret: Zeroizing<String>,
}

impl std::fmt::Debug for Password {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Password(****)")
    }
}

fn sha_b64(a: &str, b: &str) -> String {
    let mut h = Sha256::new();
    h.update(a.as_bytes());
    h.update(b.as_bytes());
    B64.encode(h.finalize())
}

/// 32 random bytes, base64.
pub fn random_b64() -> Result<String, getrandom::Error> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes)?;
    Ok(B64.encode(bytes))
}

impl Password {
    pub fn new(password: &str) -> Result<Password, getrandom::Error> {
        let salt = random_b64()?;
        let secret = Zeroizing::new(sha_b64(password, &salt));
        Ok(Password { salt, secret })
    }

    pub fn salt(&self) -> &str {
        &self.salt
    }

    /// Whether `answer` is right for `challenge`, in time that does not
    /// depend on where it differs.
    pub fn check(&self, challenge: &str, answer: &str) -> bool {
        let want = Zeroizing::new(sha_b64(&self.secret, challenge));
        crate::secrets::same(want.as_bytes(), answer.as_bytes())
    }
}

/// What a client computes (tests, and the docs' worked example).
pub fn answer(password: &str, salt: &str, challenge: &str) -> String {
    sha_b64(&sha_b64(password, salt), challenge)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_clients_answer_is_accepted_and_nothing_else() {
        let p = Password::new("supersecret").unwrap();
        let challenge = random_b64().unwrap();
        assert!(p.check(&challenge, &answer("supersecret", p.salt(), &challenge)));
        assert!(!p.check(&challenge, &answer("supersecreT", p.salt(), &challenge)));
        assert!(!p.check(&challenge, ""));
        assert!(!format!("{p:?}").contains("supersecret"));
    }
}
