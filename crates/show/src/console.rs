//! `[console]`: the crew console's web server (docs/console.md).

use super::diagnostics::Collector;
use crate::spec::{ConsoleSpec, ConsoleTls};
use serde::Deserialize;
use std::net::SocketAddr;
use std::path::Path;
use toml::Spanned;

/// `[console]` as written.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConsoleSection {
    /// address:port (default 127.0.0.1:8790: this machine only).
    pub listen: Option<Spanned<String>>,
    /// Host names (besides IP addresses and localhost) pages may use.
    pub hosts: Option<Vec<String>>,
    /// "self-signed", or { cert = "cert.pem", key = "key.pem" }; required
    /// off loopback.
    pub tls: Option<Spanned<toml::Value>>,
}

pub fn config(c: &Spanned<ConsoleSection>, base: &Path, out: &mut Collector) -> Option<ConsoleSpec> {
    let section = c.get_ref();
    let listen = match &section.listen {
        None => ConsoleSpec::DEFAULT_LISTEN,
        Some(l) => match l.get_ref().parse::<SocketAddr>() {
            Ok(a) => a,
            Err(_) => {
                out.add(
                    l.span(),
                    format!("[console] listen \"{}\" is not an address:port", l.get_ref()),
                    "e.g. listen = \"127.0.0.1:8790\" (this machine only) or \"0.0.0.0:8790\" with tls = \"self-signed\"",
                );
                return None;
            }
        },
    };
    let tls_hint = "write tls = \"self-signed\" (the studio shows the certificate's fingerprint) or tls = { cert = \"cert.pem\", key = \"key.pem\" }";
    let tls = match &section.tls {
        None => ConsoleTls::None,
        Some(t) => match t.get_ref() {
            toml::Value::String(s) if s == "self-signed" => ConsoleTls::SelfSigned,
            toml::Value::String(s) if s == "none" || s == "off" => ConsoleTls::None,
            toml::Value::Table(table) => {
                let mut file = |name: &str| match table.get(name) {
                    Some(toml::Value::String(p)) => {
                        let path = base.join(p);
                        if path.is_file() {
                            Some(path)
                        } else {
                            out.add(
                                t.span(),
                                format!(
                                    "[console] tls {name} \"{p}\" is not a file (looked at {})",
                                    path.display()
                                ),
                                "give the PEM file's path, relative to the show file",
                            );
                            None
                        }
                    }
                    _ => {
                        out.add(t.span(), format!("[console] tls has no `{name}` path"), tls_hint);
                        None
                    }
                };
                let (cert, key) = (file("cert"), file("key"));
                if let Some(k) = table.keys().find(|k| *k != "cert" && *k != "key") {
                    out.add(t.span(), format!("[console] tls: unknown key `{k}`"), tls_hint);
                    return None;
                }
                ConsoleTls::Files { cert: cert?, key: key? }
            }
            other => {
                out.add(
                    t.span(),
                    format!("[console] tls = {other} is not a way to serve the console"),
                    tls_hint,
                );
                return None;
            }
        },
    };
    if tls == ConsoleTls::None && !listen.ip().is_loopback() {
        let span = section.listen.as_ref().map(|l| l.span()).unwrap_or(c.span());
        out.add(
            span,
            format!(
                "[console] listens on {listen} over plain HTTP: the crew's invites would cross the network in the clear"
            ),
            format!("{tls_hint}, or listen on 127.0.0.1"),
        );
        return None;
    }
    Some(ConsoleSpec {
        listen,
        hosts: section.hosts.clone().unwrap_or_default(),
        tls,
    })
}
