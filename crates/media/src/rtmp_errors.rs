//! rtmp2sink errors (GStreamer 1.22) in a host's words. rtmp2sink has no
//! signals: every failure is a bus ERROR with domain ResourceError, told
//! apart by code and message (see docs/ARCHITECTURE.md).

use gstreamer as gst;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    /// Plain words for the host.
    pub message: String,
    /// Retrying with the same settings may work (network trouble), or not
    /// (a refused key needs the host to act).
    pub transient: bool,
}

pub fn classify(err: &glib::Error, debug: &str) -> Failure {
    let text = format!("{} {}", err.message(), debug);
    let has = |s: &str| text.contains(s);
    let (message, transient) = if has("'publish' cmd failed") {
        (
            "stream key refused — the platform did not accept the key; copy a fresh one (many platforms change it every stream)",
            false,
        )
    } else if has("'connect' cmd failed") {
        (
            "the server refused the application path in the URL — check the server URL",
            false,
        )
    } else if has("Unacceptable TLS certificate") || has("TLS") && has("certificate") {
        (
            "the server's TLS certificate is not trusted — check the rtmps:// address",
            false,
        )
    } else if has("Error resolving") || has("resolve") {
        (
            "cannot resolve the server name — check the URL and the internet connection",
            true,
        )
    } else if has("timed out") {
        ("the server stopped responding (timed out)", true)
    } else if err.matches(gst::ResourceError::OpenRead) || has("Connection refused") || has("connect") && has("refused")
    {
        ("cannot reach the server (connection refused)", true)
    } else if err.matches(gst::ResourceError::Write) || has("closed") || has("reset") {
        ("connection lost", true)
    } else {
        ("the stream failed", true)
    };
    Failure {
        message: message.to_string(),
        transient,
    }
}

pub use gstreamer::glib;

#[cfg(test)]
mod tests {
    use super::*;

    fn e(code: gst::ResourceError, msg: &str) -> glib::Error {
        glib::Error::new(code, msg)
    }

    #[test]
    fn shapes_from_design_notes() {
        let f = classify(
            &e(
                gst::ResourceError::Failed,
                "Failed to start: 'publish' cmd failed: connection closed remotely",
            ),
            "",
        );
        assert!(f.message.starts_with("stream key refused"));
        assert!(!f.transient);
        assert!(
            classify(&e(gst::ResourceError::Failed, "'connect' cmd failed"), "")
                .message
                .contains("application path")
        );
        assert!(
            classify(&e(gst::ResourceError::Failed, "Unacceptable TLS certificate"), "")
                .message
                .contains("TLS certificate")
        );
        assert!(
            classify(
                &e(gst::ResourceError::OpenRead, "Could not connect: Connection refused"),
                ""
            )
            .message
            .starts_with("cannot reach")
        );
        assert_eq!(
            classify(&e(gst::ResourceError::Write, "Error writing to socket"), "").message,
            "connection lost"
        );
        assert!(
            classify(&e(gst::ResourceError::Write, "Socket I/O timed out"), "")
                .message
                .contains("timed out")
        );
    }
}
