//! Logs go to stderr through a writer that redacts every registered stream key.

use std::io::Write;

struct Redacting;

impl Write for Redacting {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let text = String::from_utf8_lossy(buf);
        std::io::stderr().write_all(crate::secrets::redact(&text).as_bytes())?;
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        std::io::stderr().flush()
    }
}

/// Panics print through the same redaction: a crash report never shows a key.
fn redacting_panic_hook() {
    std::panic::set_hook(Box::new(|info| {
        let msg = info
            .payload()
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| info.payload().downcast_ref::<String>().cloned())
            .unwrap_or_default();
        let at = info
            .location()
            .map(|l| format!(" at {}:{}", l.file(), l.line()))
            .unwrap_or_default();
        eprintln!("showroom crashed: {}{at}", crate::secrets::redact(&msg));
    }));
}

pub fn init() {
    redacting_panic_hook();
    let filter = tracing_subscriber::EnvFilter::try_from_env("SHOWROOM_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("showroom=info"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_target(false)
        .with_writer(|| Redacting)
        .try_init();
}
