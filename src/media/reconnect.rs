//! The retry policy of a destination: exponential backoff with jitter, so a
//! flapping network is not hammered and several destinations do not retry in
//! lock-step.

use std::time::Duration;

/// First retry after this long.
pub const FIRST_RETRY: Duration = Duration::from_secs(2);
/// Each further attempt waits this much longer.
pub const FACTOR: f64 = 1.5;
/// Never wait longer than this between attempts.
pub const MAX_RETRY: Duration = Duration::from_secs(20);
/// ± this fraction of random jitter.
pub const JITTER: f64 = 0.2;

/// The wait before attempt `attempt` (1-based), jitter from `random` in [0, 1).
pub fn delay(attempt: u32, random: f64) -> Duration {
    let base = FIRST_RETRY.as_secs_f64() * FACTOR.powi(attempt.saturating_sub(1).min(30) as i32);
    let capped = base.min(MAX_RETRY.as_secs_f64());
    let jittered = capped * (1.0 + JITTER * (2.0 * random - 1.0));
    Duration::from_secs_f64(jittered.max(0.1))
}

/// A random number in [0, 1) without a dependency: std's hasher is seeded
/// randomly per process.
pub fn random() -> f64 {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u128(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default()
            .as_nanos(),
    );
    (h.finish() >> 11) as f64 / (1u64 << 53) as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grows_by_the_factor_and_is_capped() {
        assert_eq!(delay(1, 0.5), Duration::from_secs(2));
        assert_eq!(delay(2, 0.5), Duration::from_secs(3));
        assert_eq!(delay(3, 0.5), Duration::from_secs_f64(4.5));
        assert_eq!(delay(40, 0.5), MAX_RETRY);
    }

    #[test]
    fn jitter_stays_within_bounds() {
        for r in [0.0, 0.25, 0.999] {
            let d = delay(1, r).as_secs_f64();
            assert!((1.6..=2.4).contains(&d), "{d}");
        }
        let a: Vec<f64> = (0..20).map(|_| random()).collect();
        assert!(a.iter().all(|x| (0.0..1.0).contains(x)));
        assert!(a.windows(2).any(|w| w[0] != w[1]), "random() is constant");
    }
}
