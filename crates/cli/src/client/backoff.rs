//! Reconnect delays: exponential backoff with full jitter, capped.

use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};
use std::time::Duration;

/// Delays between reconnect attempts.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Backoff {
    /// The first ceiling.
    pub(crate) base: Duration,
    /// The largest ceiling.
    pub(crate) cap: Duration,
}

impl Default for Backoff {
    fn default() -> Backoff {
        Backoff {
            base: Duration::from_millis(250),
            cap: Duration::from_secs(10),
        }
    }
}

impl Backoff {
    /// The delay before attempt `attempt` (1-based): uniform in [0, min(cap, base·2^(n-1))],
    /// so many clients cut off together do not return together ("full jitter").
    pub(crate) fn delay(&self, attempt: u32) -> Duration {
        let ceiling = self
            .base
            .saturating_mul(1u32 << attempt.saturating_sub(1).min(16))
            .min(self.cap);
        let mut h = RandomState::new().build_hasher();
        h.write_u32(attempt);
        let unit = (h.finish() >> 11) as f64 / (1u64 << 53) as f64;
        ceiling.mul_f64(unit)
    }
}

#[cfg(test)]
// Tests report a failed expectation by panicking.
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    #[test]
    fn delays_grow_and_stay_under_the_cap() {
        let b = Backoff::default();
        for attempt in 1..40 {
            let d = b.delay(attempt);
            assert!(d <= b.cap);
            assert!(d <= b.base.saturating_mul(1 << (attempt - 1).min(16)));
        }
    }
}
