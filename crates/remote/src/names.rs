//! How the show's things are named to controllers: ids as names, and UUIDs
//! made from them (the same every time the show opens, so a Companion
//! button made yesterday finds its scene today).

use sha2::{Digest, Sha256};

/// A UUID (version 8, "custom") from a kind ("scene", "input", "canvas",
/// "transition") and an id.
pub fn uuid(kind: &str, id: &str) -> String {
    let mut h = Sha256::new();
    h.update(kind.as_bytes());
    h.update([0]);
    h.update(id.as_bytes());
    let d = h.finalize();
    let mut b = [0u8; 16];
    b.copy_from_slice(&d[..16]);
    b[6] = (b[6] & 0x0f) | 0x80;
    b[8] = (b[8] & 0x3f) | 0x80;
    let hex: String = b.iter().map(|x| format!("{x:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &hex[0..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..32]
    )
}

/// The input kinds (the show file's source kinds).
pub const INPUT_KINDS: &[&str] = &["test-pattern", "tone", "media", "image", "camera", "srt", "microphone"];

/// The quietest gain the mix takes (a volume below it is set to it).
pub const MIN_GAIN_DB: f64 = -60.0;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uuids_are_stable_well_formed_and_differ_by_kind() {
        let a = uuid("scene", "main");
        assert_eq!(a, uuid("scene", "main"));
        assert_ne!(a, uuid("input", "main"));
        assert_eq!(a.len(), 36);
        assert_eq!(&a[14..15], "8");
        assert!(a.chars().all(|c| c.is_ascii_hexdigit() || c == '-'));
    }
}
