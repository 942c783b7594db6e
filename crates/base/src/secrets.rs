//! Stream keys: where they come from and how they are kept out of show files,
//! logs, status lines and errors.
//!
//! A show file only holds a *reference*: `{ keyring = "NAME" }` (the OS
//! keyring: Secret Service on Linux, Keychain, Credential Manager),
//! `{ env = "NAME" }` or `{ file = "path" }` (the fallbacks where no keyring
//! is reachable). Every key that is resolved is registered here, and `redact`
//! replaces it wherever text leaves the process.

use std::fmt;
use std::path::PathBuf;
use std::sync::RwLock;

/// Why a key or token could not be read or kept. The words say where it was
/// looked for and what to do, never the key.
#[derive(Debug, thiserror::Error)]
pub enum SecretError {
    #[error("no stream key is stored in the OS keyring under `{0}` — run `showroom key set {0}` and paste the key")]
    NotInKeyring(String),
    /// `detail` is the platform's message, redacted.
    #[error(
        "the OS keyring is not reachable ({0}) — start your desktop's keyring (Secret Service), or use key = {{ env = \"NAME\" }} or key = {{ file = \"path\" }} instead"
    )]
    KeyringUnreachable(String),
    #[error("OS keyring entry `{name}`: {detail}")]
    Keyring { name: String, detail: String },
    #[error("the keyring entry `{0}` is empty")]
    EmptyKeyringEntry(String),
    #[error("the stream key variable {0} is not set — export {0}=<your key> before starting")]
    EnvNotSet(String),
    #[error("the stream key file {} is empty", .0.display())]
    EmptyFile(PathBuf),
    #[error("cannot read the stream key file {}: {err}", path.display())]
    ReadFile { path: PathBuf, err: std::io::Error },
    #[error("the stream key file {} can be read by other users — run chmod 600 on it", .0.display())]
    NotPrivate(PathBuf),
    #[error("cannot make a token: {0}")]
    Random(getrandom::Error),
    #[error("the token file {}: {err}", path.display())]
    TokenFile { path: PathBuf, err: std::io::Error },
    /// The key of one destination; the name leads the message.
    #[error("destination `{destination}`: {err}")]
    Destination { destination: String, err: Box<SecretError> },
}

#[derive(Clone, PartialEq)]
pub enum KeyRef {
    /// The URL is complete (custom servers without a key).
    None,
    /// An entry in the OS keyring (service "showroom", user NAME).
    Keyring(String),
    /// An environment variable holding the key.
    Env(String),
    /// A file holding the key; it must not be readable by other users.
    File(PathBuf),
    /// A key given on the command line (`--to`); never written anywhere.
    Inline(Secret),
    /// A token this program makes for itself (a listener's token): kept in
    /// the OS keyring under NAME, made on first use; where no keyring is
    /// reachable, in a private file under the state folder.
    Own(String),
}

impl fmt::Debug for KeyRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            KeyRef::None => write!(f, "none"),
            KeyRef::Keyring(n) => write!(f, "keyring:{n}"),
            KeyRef::Env(n) => write!(f, "env:{n}"),
            KeyRef::File(p) => write!(f, "file:{}", p.display()),
            KeyRef::Inline(_) => write!(f, "inline:****"),
            KeyRef::Own(n) => write!(f, "own:{n}"),
        }
    }
}

/// A secret string whose Debug/Display never show it.
#[derive(Clone, PartialEq)]
pub struct Secret(String);

impl Secret {
    pub fn new(s: impl Into<String>) -> Secret {
        let s = s.into();
        register(&s);
        Secret(s)
    }
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("****")
    }
}
impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("****")
    }
}

static KNOWN: RwLock<Vec<String>> = RwLock::new(Vec::new());

/// Remembers a secret so that `redact` hides it. Very short strings are not
/// registered: hiding every "a" would make all text unreadable.
pub fn register(secret: &str) {
    if secret.len() < 4 {
        return;
    }
    let mut known = KNOWN.write().unwrap_or_else(|e| e.into_inner());
    if !known.iter().any(|k| k == secret) {
        known.push(secret.to_string());
        // Longest first, so a key that contains another is hidden whole.
        known.sort_by_key(|k| std::cmp::Reverse(k.len()));
    }
}

/// Replaces every registered secret in `text` by `****`.
pub fn redact(text: &str) -> String {
    let known = KNOWN.read().unwrap_or_else(|e| e.into_inner());
    let mut out = text.to_string();
    for k in known.iter() {
        if out.contains(k.as_str()) {
            out = out.replace(k.as_str(), "****");
        }
    }
    out
}

/// The keyring service name all Showroom entries live under.
pub const KEYRING_SERVICE: &str = "showroom";

fn keyring_entry(name: &str) -> Result<keyring::Entry, SecretError> {
    keyring::Entry::new(KEYRING_SERVICE, name).map_err(|e| keyring_error(name, e))
}

fn keyring_error(name: &str, e: keyring::Error) -> SecretError {
    match e {
        keyring::Error::NoEntry => SecretError::NotInKeyring(name.to_string()),
        keyring::Error::PlatformFailure(_) | keyring::Error::NoStorageAccess(_) => {
            SecretError::KeyringUnreachable(redact(&e.to_string()))
        }
        other => SecretError::Keyring {
            name: name.to_string(),
            detail: redact(&other.to_string()),
        },
    }
}

/// Stores a key in the OS keyring (used by `showroom key set` and the studio window).
pub fn store_in_keyring(name: &str, key: &str) -> Result<(), SecretError> {
    register(key);
    keyring_entry(name)?
        .set_password(key)
        .map_err(|e| keyring_error(name, e))
}

/// Removes a key from the OS keyring.
pub fn delete_from_keyring(name: &str) -> Result<(), SecretError> {
    keyring_entry(name)?
        .delete_credential()
        .map_err(|e| keyring_error(name, e))
}

impl KeyRef {
    /// Reads the key for `destination`; errors start with its name.
    pub fn resolve(&self, destination: &str) -> Result<Option<Secret>, SecretError> {
        self.read().map_err(|e| SecretError::Destination {
            destination: destination.to_string(),
            err: Box::new(e),
        })
    }

    /// Reads the key. Errors say where the key was looked for, never the key.
    pub fn read(&self) -> Result<Option<Secret>, SecretError> {
        match self {
            KeyRef::None => Ok(None),
            KeyRef::Keyring(name) => {
                let key = keyring_entry(name).and_then(|e| e.get_password().map_err(|err| keyring_error(name, err)))?;
                if key.trim().is_empty() {
                    return Err(SecretError::EmptyKeyringEntry(name.clone()));
                }
                Ok(Some(Secret::new(key.trim())))
            }
            KeyRef::Inline(s) => Ok(Some(s.clone())),
            KeyRef::Own(name) => own_token(name).map(|(s, _)| Some(s)),
            KeyRef::Env(name) => match std::env::var(name) {
                Ok(v) if !v.trim().is_empty() => Ok(Some(Secret::new(v.trim()))),
                _ => Err(SecretError::EnvNotSet(name.clone())),
            },
            KeyRef::File(path) => {
                check_private(path)?;
                match std::fs::read_to_string(path) {
                    Ok(v) if !v.trim().is_empty() => Ok(Some(Secret::new(v.trim()))),
                    Ok(_) => Err(SecretError::EmptyFile(path.clone())),
                    Err(err) => Err(SecretError::ReadFile {
                        path: path.clone(),
                        err,
                    }),
                }
            }
        }
    }
}

/// Compares a secret with what a client sent, in time that does not
/// depend on where the first difference is (tokens, password answers).
pub fn same(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// A new random token: 32 bytes from the OS, as 64 hex digits.
pub fn new_token() -> Result<Secret, SecretError> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(SecretError::Random)?;
    Ok(Secret::new(
        bytes.iter().map(|b| format!("{b:02x}")).collect::<String>(),
    ))
}

/// Where a token made by [`own_token`] is kept, in words for the user.
pub fn own_token_place(name: &str, in_keyring: bool) -> String {
    if in_keyring {
        format!("the OS keyring (service {KEYRING_SERVICE}, entry {name})")
    } else {
        own_token_file(name).display().to_string()
    }
}

fn own_token_file(name: &str) -> PathBuf {
    crate::session::state_dir().join("tokens").join(name)
}

/// The token kept under `name`, made on first use. Returns it and whether
/// it lives in the OS keyring (else in a file only its owner can read). A
/// token kept in the file while no keyring was reachable moves into the
/// keyring once one is, unchanged: clients keep working.
pub fn own_token(name: &str) -> Result<(Secret, bool), SecretError> {
    let path = own_token_file(name);
    let named = |err: std::io::Error| SecretError::TokenFile {
        path: path.clone(),
        err,
    };
    let from_file = || -> Result<Option<Secret>, SecretError> {
        if !path.exists() {
            return Ok(None);
        }
        check_private(&path)?;
        let t = std::fs::read_to_string(&path).map_err(named)?;
        Ok((!t.trim().is_empty()).then(|| Secret::new(t.trim())))
    };
    let in_keyring = keyring_entry(name).and_then(|e| match e.get_password() {
        Ok(t) if !t.trim().is_empty() => Ok(Secret::new(t.trim())),
        Ok(_) | Err(keyring::Error::NoEntry) => {
            let t = match from_file()? {
                Some(t) => t,
                None => new_token()?,
            };
            e.set_password(t.expose()).map_err(|err| keyring_error(name, err))?;
            let _ = std::fs::remove_file(&path);
            Ok(t)
        }
        Err(err) => Err(keyring_error(name, err)),
    });
    if let Ok(t) = in_keyring {
        return Ok((t, true));
    }
    if let Some(t) = from_file()? {
        return Ok((t, false));
    }
    let t = new_token()?;
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(named)?;
    }
    crate::session::write_atomic_mode(&path, t.expose().as_bytes(), Some(0o600)).map_err(named)?;
    Ok((t, false))
}

#[cfg(unix)]
fn check_private(path: &std::path::Path) -> Result<(), SecretError> {
    use std::os::unix::fs::PermissionsExt;
    if let Ok(meta) = std::fs::metadata(path)
        && meta.permissions().mode() & 0o077 != 0
    {
        return Err(SecretError::NotPrivate(path.to_path_buf()));
    }
    Ok(())
}

#[cfg(not(unix))]
fn check_private(_path: &std::path::Path) -> Result<(), SecretError> {
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redacts_registered_keys_everywhere() {
        let s = Secret::new("live_abc123XYZ");
        let msg = format!("rtmp://host/app/{} failed for live_abc123XYZ", s.expose());
        let red = redact(&msg);
        assert!(!red.contains("live_abc123XYZ"), "{red}");
        assert_eq!(red, "rtmp://host/app/**** failed for ****");
        assert_eq!(format!("{s:?} {s}"), "**** ****");
    }
}
