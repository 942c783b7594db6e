//! HTTPS for a console off this machine (docs/console.md, "Off this
//! machine"): the user's certificate, or one made at start whose SHA-256
//! fingerprint the studio and `showroom run` show, so the crew can compare
//! it with what their browser shows before they accept it.

use crate::show::ConsoleTls;
use sha2::{Digest, Sha256};
use std::sync::Arc;
use tokio_rustls::TlsAcceptor;
use tokio_rustls::rustls;
use tokio_rustls::rustls::pki_types::pem::PemObject;
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer};

#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    #[error("crew console: TLS certificate {path}: {why}")]
    Cert { path: String, why: String },
    #[error("crew console: TLS key {path}: {why}")]
    Key { path: String, why: String },
    #[error("crew console: cannot make a self-signed certificate: {0}")]
    Generate(String),
    #[error("crew console: the certificate and key do not go together: {0}")]
    Config(String),
}

/// What serves HTTPS, and the certificate's fingerprint.
pub struct Tls {
    pub acceptor: TlsAcceptor,
    /// SHA-256 of the certificate, as browsers show it (AB:CD:...).
    pub fingerprint: String,
}

/// SHA-256 of a DER certificate as colon-separated hex.
pub fn fingerprint(der: &[u8]) -> String {
    Sha256::digest(der)
        .iter()
        .map(|b| format!("{b:02X}"))
        .collect::<Vec<_>>()
        .join(":")
}

/// The TLS setup for `tls` (None: plain HTTP). A self-signed certificate
/// names `names` (the addresses and host names the crew will use).
pub fn load(tls: &ConsoleTls, names: &[String]) -> Result<Option<Tls>, TlsError> {
    let (certs, key) = match tls {
        ConsoleTls::None => return Ok(None),
        ConsoleTls::Files { cert, key } => {
            let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(cert)
                .and_then(|i| i.collect::<Result<Vec<_>, _>>())
                .map_err(|e| TlsError::Cert {
                    path: cert.display().to_string(),
                    why: e.to_string(),
                })?;
            if certs.is_empty() {
                return Err(TlsError::Cert {
                    path: cert.display().to_string(),
                    why: "no CERTIFICATE in the file (a PEM file is expected)".into(),
                });
            }
            let k = PrivateKeyDer::from_pem_file(key).map_err(|e| TlsError::Key {
                path: key.display().to_string(),
                why: format!("{e} (a PEM PRIVATE KEY is expected)"),
            })?;
            (certs, k)
        }
        ConsoleTls::SelfSigned => {
            let made =
                rcgen::generate_simple_self_signed(names.to_vec()).map_err(|e| TlsError::Generate(e.to_string()))?;
            let key = PrivateKeyDer::try_from(made.signing_key.serialize_der())
                .map_err(|e| TlsError::Generate(e.to_string()))?;
            (vec![made.cert.der().clone()], key)
        }
    };
    let fingerprint = fingerprint(&certs[0]);
    let config = rustls::ServerConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
        .with_safe_default_protocol_versions()
        .map_err(|e| TlsError::Config(e.to_string()))?
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .map_err(|e| TlsError::Config(e.to_string()))?;
    Ok(Some(Tls {
        acceptor: TlsAcceptor::from(Arc::new(config)),
        fingerprint,
    }))
}
