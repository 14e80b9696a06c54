//! Reconnect delays: exponential backoff with full jitter, capped, with an optional limit on
//! attempts. An abnormal close never turns into a busy loop: every attempt after a failure
//! waits at least [`Backoff::floor`], and the attempt count only starts over once a
//! connection has stayed up for [`Backoff::stable_after`].

use std::time::Duration;

/// Delays between reconnect attempts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Backoff {
    /// The ceiling of the first delay.
    pub base: Duration,
    /// The largest ceiling.
    pub cap: Duration,
    /// Give up after this many failed attempts in a row (`None`: never give up).
    pub max_attempts: Option<u32>,
    /// The shortest delay, whatever the jitter draws.
    pub floor: Duration,
    /// How long a connection must stay up before the attempt count starts over.
    pub stable_after: Duration,
}

impl Default for Backoff {
    fn default() -> Backoff {
        Backoff {
            base: Duration::from_millis(500),
            cap: Duration::from_secs(30),
            max_attempts: None,
            floor: Duration::from_millis(50),
            stable_after: Duration::from_secs(10),
        }
    }
}

impl Backoff {
    /// The upper bound of the delay before attempt `attempt` (1-based):
    /// `min(cap, base · 2^(attempt-1))`.
    pub fn ceiling(&self, attempt: u32) -> Duration {
        self.base
            .saturating_mul(1u32 << attempt.saturating_sub(1).min(20))
            .min(self.cap)
    }

    /// The delay before attempt `attempt`: uniform in `[0, ceiling]` ("full jitter", so
    /// clients cut off together do not come back together), and at least `floor`.
    pub fn delay(&self, attempt: u32) -> Duration {
        self.delay_with(attempt, js_sys::Math::random())
    }

    /// [`Backoff::delay`] with the random draw `unit` in `[0, 1)` given.
    pub fn delay_with(&self, attempt: u32, unit: f64) -> Duration {
        let unit = if unit.is_finite() {
            unit.clamp(0.0, 1.0)
        } else {
            0.0
        };
        let ceiling = self.ceiling(attempt);
        ceiling.mul_f64(unit).max(self.floor)
    }

    /// Whether attempt `attempt` is one too many.
    pub fn gives_up(&self, attempt: u32) -> bool {
        self.max_attempts.is_some_and(|max| attempt > max)
    }
}
