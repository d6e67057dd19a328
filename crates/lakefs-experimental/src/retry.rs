//! Retry policy: exponential backoff with full jitter, bounded by attempts and total time.

use std::time::Duration;

/// When and how long to wait before sending a request again.
///
/// The wait before retry `n` (1-based) is drawn uniformly from
/// `0 ..= min(max_backoff, initial_backoff × 2^(n-1))` ("full jitter"), or is the server's
/// `Retry-After` when it sent one. Retrying stops after `max_attempts` attempts in all, or
/// when the next wait would end after `max_elapsed` since the first attempt.
///
/// ```
/// use std::time::Duration;
/// use lakefs_experimental::RetryPolicy;
///
/// let policy = RetryPolicy::default()
///     .max_attempts(6)
///     .initial_backoff(Duration::from_millis(50))
///     .max_elapsed(Duration::from_secs(30));
/// assert_eq!(policy.get_max_attempts(), 6);
/// assert_eq!(RetryPolicy::none().get_max_attempts(), 1);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[must_use]
pub struct RetryPolicy {
    max_attempts: u32,
    initial_backoff: Duration,
    max_backoff: Duration,
    max_elapsed: Duration,
}

impl Default for RetryPolicy {
    /// 5 attempts, backoff from 200 ms up to 10 s per wait, 60 s in all (close to lakectl's
    /// own policy of 4 retries from 200 ms).
    fn default() -> Self {
        Self {
            max_attempts: 5,
            initial_backoff: Duration::from_millis(200),
            max_backoff: Duration::from_secs(10),
            max_elapsed: Duration::from_secs(60),
        }
    }
}

impl RetryPolicy {
    /// Never retry: one attempt.
    pub fn none() -> Self {
        Self {
            max_attempts: 1,
            ..Self::default()
        }
    }

    /// Attempts in all, the first included (at least 1).
    pub fn max_attempts(mut self, attempts: u32) -> Self {
        self.max_attempts = attempts.max(1);
        self
    }

    /// The bound of the first wait.
    pub fn initial_backoff(mut self, backoff: Duration) -> Self {
        self.initial_backoff = backoff;
        self
    }

    /// The largest bound of any one wait.
    pub fn max_backoff(mut self, backoff: Duration) -> Self {
        self.max_backoff = backoff;
        self
    }

    /// No retry starts after this much time since the first attempt.
    pub fn max_elapsed(mut self, elapsed: Duration) -> Self {
        self.max_elapsed = elapsed;
        self
    }

    /// Attempts in all.
    #[must_use]
    pub fn get_max_attempts(&self) -> u32 {
        self.max_attempts
    }

    /// The bound of one wait.
    #[must_use]
    pub fn get_max_backoff(&self) -> Duration {
        self.max_backoff
    }

    /// The total time budget.
    #[must_use]
    pub fn get_max_elapsed(&self) -> Duration {
        self.max_elapsed
    }

    /// The upper bound of the wait before retry `retry` (1-based): `initial × 2^(retry-1)`,
    /// capped at `max_backoff`.
    #[must_use]
    pub fn backoff_ceiling(&self, retry: u32) -> Duration {
        let factor = 2u32.saturating_pow(retry.saturating_sub(1));
        self.initial_backoff
            .checked_mul(factor)
            .unwrap_or(self.max_backoff)
            .min(self.max_backoff)
    }

    /// How long to wait before retry `retry` (1-based), given how much time has passed and a
    /// server-requested delay; `None` means stop retrying. `unit` is a uniform draw from
    /// `[0, 1)` (the jitter).
    #[must_use]
    pub fn next_wait(
        &self,
        retry: u32,
        elapsed: Duration,
        retry_after: Option<Duration>,
        unit: f64,
    ) -> Option<Duration> {
        if retry >= self.max_attempts {
            return None;
        }
        let wait = match retry_after {
            Some(server) => server,
            None => self.backoff_ceiling(retry).mul_f64(unit.clamp(0.0, 1.0)),
        };
        (elapsed.saturating_add(wait) <= self.max_elapsed).then_some(wait)
    }
}

/// Parses a `Retry-After` header: delay-seconds or an HTTP date.
pub(crate) fn parse_retry_after(value: &http::HeaderValue) -> Option<Duration> {
    let text = value.to_str().ok()?.trim();
    if let Ok(seconds) = text.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let when = httpdate::parse_http_date(text).ok()?;
    Some(
        when.duration_since(std::time::SystemTime::now())
            .unwrap_or(Duration::ZERO),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn ceiling_doubles_and_caps() {
        let policy = RetryPolicy::default()
            .initial_backoff(Duration::from_millis(100))
            .max_backoff(Duration::from_millis(700));
        let ceilings: Vec<_> = (1..=5)
            .map(|n| policy.backoff_ceiling(n).as_millis())
            .collect();
        assert_eq!(ceilings, [100, 200, 400, 700, 700]);
        assert_eq!(policy.backoff_ceiling(200), Duration::from_millis(700));
    }

    #[test]
    fn stops_after_max_attempts_and_budget() {
        let policy = RetryPolicy::default()
            .max_attempts(3)
            .max_elapsed(Duration::from_secs(1));
        assert!(policy.next_wait(1, Duration::ZERO, None, 0.5).is_some());
        assert!(policy.next_wait(2, Duration::ZERO, None, 0.5).is_some());
        assert_eq!(policy.next_wait(3, Duration::ZERO, None, 0.5), None);
        // A server delay past the budget ends the retries.
        assert_eq!(
            policy.next_wait(1, Duration::ZERO, Some(Duration::from_secs(2)), 0.5),
            None
        );
        assert_eq!(
            policy.next_wait(1, Duration::ZERO, Some(Duration::from_millis(300)), 0.9),
            Some(Duration::from_millis(300))
        );
        assert_eq!(
            RetryPolicy::none().next_wait(1, Duration::ZERO, None, 0.0),
            None
        );
    }

    #[test]
    fn retry_after_seconds_and_dates() {
        let seconds = http::HeaderValue::from_static("7");
        assert_eq!(parse_retry_after(&seconds), Some(Duration::from_secs(7)));
        let past = http::HeaderValue::from_static("Wed, 21 Oct 2015 07:28:00 GMT");
        assert_eq!(parse_retry_after(&past), Some(Duration::ZERO));
        let future =
            httpdate::fmt_http_date(std::time::SystemTime::now() + Duration::from_secs(120));
        let wait = parse_retry_after(&http::HeaderValue::from_str(&future).unwrap()).unwrap();
        assert!(
            wait > Duration::from_secs(100) && wait <= Duration::from_secs(120),
            "{wait:?}"
        );
        assert_eq!(
            parse_retry_after(&http::HeaderValue::from_static("soon")),
            None
        );
    }

    proptest! {
        #[test]
        fn jittered_wait_never_exceeds_its_ceiling(retry in 1u32..40, unit in 0.0f64..1.0) {
            let policy = RetryPolicy::default().max_attempts(50).max_elapsed(Duration::MAX);
            let wait = policy.next_wait(retry, Duration::ZERO, None, unit).unwrap();
            prop_assert!(wait <= policy.backoff_ceiling(retry));
            prop_assert!(wait <= policy.get_max_backoff());
        }
    }
}
