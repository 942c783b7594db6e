//! `[remote]`: the remote-control server (obs-websocket 5) of the show.

use super::diagnostics::Collector;
use crate::secrets::KeyRef;
use crate::spec::RemoteSpec;
use serde::Deserialize;
use std::net::SocketAddr;
use std::path::Path;
use toml::Spanned;

/// `[remote]` as written.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RemoteSection {
    /// address:port (default 127.0.0.1:4455, as OBS).
    pub listen: Option<Spanned<String>>,
    /// { keyring = "NAME" } / { env = "NAME" } / { file = "path" }; required
    /// off loopback.
    pub password: Option<Spanned<toml::Value>>,
    /// Host names (besides IP addresses and localhost) controllers may use.
    pub hosts: Option<Vec<String>>,
    /// Web origins allowed (a browser-based controller's).
    pub origins: Option<Vec<String>>,
}

pub fn config(r: &Spanned<RemoteSection>, base: &Path, out: &mut Collector) -> Option<RemoteSpec> {
    let section = r.get_ref();
    let listen = match &section.listen {
        None => RemoteSpec::DEFAULT_LISTEN,
        Some(l) => match l.get_ref().parse::<SocketAddr>() {
            Ok(a) => a,
            Err(_) => {
                out.add(
                    l.span(),
                    format!("[remote] listen \"{}\" is not an address:port", l.get_ref()),
                    "e.g. listen = \"127.0.0.1:4455\" (this machine only) or \"0.0.0.0:4455\" with a password",
                );
                return None;
            }
        },
    };
    let password = match &section.password {
        None => KeyRef::None,
        Some(p) => match super::validate::key_ref(p.get_ref(), base) {
            Ok(k) => {
                out.on_air(
                    p.span(),
                    super::on_air::Check::Key {
                        what: "[remote] password".into(),
                        key: k.clone(),
                    },
                );
                k
            }
            Err((msg, hint)) => {
                let msg = msg.replace("a stream key is written", "a password is written");
                let hint = if hint.starts_with("never put keys") {
                    "never put passwords in show files: store it with `showroom key set NAME` and write password = { keyring = \"NAME\" } (or { env = \"NAME\" } / { file = \"path\" })".to_string()
                } else {
                    hint
                };
                out.add(p.span(), format!("[remote] password: {msg}"), hint);
                return None;
            }
        },
    };
    if password == KeyRef::None && !listen.ip().is_loopback() {
        let span = section.listen.as_ref().map(|l| l.span()).unwrap_or(r.span());
        out.add(
            span,
            format!("[remote] listens on {listen} without a password: anyone on the network could run the show"),
            "add password = { keyring = \"remote\" } (run `showroom key set remote`), or listen on 127.0.0.1",
        );
        return None;
    }
    Some(RemoteSpec {
        listen,
        password,
        hosts: section.hosts.clone().unwrap_or_default(),
        origins: section.origins.clone().unwrap_or_default(),
    })
}
