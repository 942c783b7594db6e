//! The one retry policy: exponential backoff with jitter, so a flapping
//! network is not hammered and many retries (destinations, chat
//! connectors, sources, studios on one network) do not fall in step. Each
//! user has its own figures; the rule is the same. A leaf.

use std::time::Duration;

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Policy {
    /// The wait before the first retry.
    pub first: Duration,
    /// Each further retry waits this much longer.
    pub factor: f64,
    /// Never longer than this.
    pub max: Duration,
    /// ± this fraction of random jitter.
    pub jitter: f64,
}

/// A destination's reconnects: 2 s, 3 s, 4.5 s … 20 s.
pub const DESTINATION: Policy = Policy {
    first: Duration::from_secs(2),
    factor: 1.5,
    max: Duration::from_secs(20),
    jitter: 0.2,
};

/// A chat connector's: 1 s, 2 s, 4 s … 60 s (platforms rate-limit).
pub const CHAT: Policy = Policy {
    first: Duration::from_secs(1),
    factor: 2.0,
    max: Duration::from_secs(60),
    jitter: 0.2,
};

/// A source's restarts: 1 s, 2 s, 4 s, 5 s (a camera back should show soon).
pub const SOURCE: Policy = Policy {
    first: Duration::from_secs(1),
    factor: 2.0,
    max: Duration::from_secs(5),
    jitter: 0.1,
};

impl Policy {
    /// The wait before retry `attempt` (1-based), jitter from `random` in [0, 1).
    pub fn delay(&self, attempt: u32, random: f64) -> Duration {
        let base = self.first.as_secs_f64() * self.factor.powi(attempt.saturating_sub(1).min(30) as i32);
        let capped = base.min(self.max.as_secs_f64());
        let jittered = capped * (1.0 + self.jitter * (2.0 * random - 1.0));
        Duration::from_secs_f64(jittered.max(0.1))
    }
}

/// A retry count under a policy.
#[derive(Debug, Clone)]
pub struct Backoff {
    policy: Policy,
    attempt: u32,
}

impl Backoff {
    pub fn new(policy: Policy) -> Backoff {
        Backoff { policy, attempt: 0 }
    }

    /// It worked: the next failure waits the first delay again.
    pub fn reset(&mut self) {
        self.attempt = 0;
    }

    /// The wait before the next retry (each call counts one).
    pub fn next_wait(&mut self) -> Duration {
        self.attempt = self.attempt.saturating_add(1);
        self.policy.delay(self.attempt, random())
    }
}

/// A random number in [0, 1) from the OS (getrandom); 0.5 if it has none.
pub fn random() -> f64 {
    let mut b = [0u8; 8];
    match getrandom::fill(&mut b) {
        Ok(()) => (u64::from_le_bytes(b) >> 11) as f64 / (1u64 << 53) as f64,
        Err(_) => 0.5,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grows_by_the_factor_and_is_capped() {
        assert_eq!(DESTINATION.delay(1, 0.5), Duration::from_secs(2));
        assert_eq!(DESTINATION.delay(2, 0.5), Duration::from_secs(3));
        assert_eq!(DESTINATION.delay(3, 0.5), Duration::from_secs_f64(4.5));
        assert_eq!(DESTINATION.delay(40, 0.5), DESTINATION.max);
        assert_eq!(CHAT.delay(7, 0.5), Duration::from_secs(60));
        assert_eq!(SOURCE.delay(3, 0.5), Duration::from_secs(4));
        assert_eq!(SOURCE.delay(4, 0.5), Duration::from_secs(5));
    }

    #[test]
    fn jitter_stays_within_bounds_and_a_reset_starts_over() {
        for r in [0.0, 0.25, 0.999] {
            let d = DESTINATION.delay(1, r).as_secs_f64();
            assert!((1.6..=2.4).contains(&d), "{d}");
        }
        let a: Vec<f64> = (0..20).map(|_| random()).collect();
        assert!(a.iter().all(|x| (0.0..1.0).contains(x)));
        assert!(a.windows(2).any(|w| w[0] != w[1]), "random() is constant");
        let mut b = Backoff::new(CHAT);
        let first = b.next_wait();
        for _ in 0..10 {
            b.next_wait();
        }
        assert!(b.next_wait() > first * 10);
        b.reset();
        assert!(b.next_wait() <= Duration::from_secs_f64(1.2));
    }
}
