//! Retries: the policy as data ([`RetryPolicy`]), and the one loop that applies it ([`run`]) —
//! to the client's API calls and to the upload engine's part PUTs alike, so that both follow
//! the same rules. A caller describes one attempt ([`Attempts`]); the loop counts attempts,
//! keeps the budget of time without progress, waits with jitter or the server's
//! `Retry-After`, and stops.

use std::time::Duration;

/// When and how long to wait before sending a request again.
///
/// The wait before retry `n` (1-based) is drawn uniformly from
/// `0 ..= min(max_backoff, initial_backoff × 2^(n-1))` ("full jitter"), or is the server's
/// `Retry-After` when it sent one — unless that is longer than `max_retry_after`, which ends
/// the retries at once (the error then carries the server's delay).
///
/// Retrying stops after `max_attempts` attempts in all, or once the next attempt would start
/// more than `max_stalled` after the last sign of progress: the start of the call, an answer
/// of any kind from the server, or — for a part PUT over a transport that reports it — bytes
/// moving. A slow attempt that makes progress therefore never uses up the budget; a run of
/// attempts that time out or stall does.
///
/// ```
/// use std::time::Duration;
/// use lakefs_client::RetryPolicy;
///
/// let policy = RetryPolicy::default()
///     .max_attempts(6)
///     .initial_backoff(Duration::from_millis(50))
///     .max_stalled(Duration::from_secs(120));
/// assert_eq!(policy.get_max_attempts(), 6);
/// assert_eq!(RetryPolicy::none().get_max_attempts(), 1);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[must_use]
pub struct RetryPolicy {
    max_attempts: u32,
    initial_backoff: Duration,
    max_backoff: Duration,
    max_retry_after: Duration,
    max_stalled: Duration,
}

impl Default for RetryPolicy {
    /// 5 attempts, backoff from 200 ms up to 10 s per wait (close to lakectl's own policy of 4
    /// retries from 200 ms), a server's `Retry-After` honoured up to 60 s, and at most 5
    /// minutes without progress — enough for five API attempts that each time out after the
    /// client's 60 s, or ten part attempts that each stall for the engine's 30 s.
    fn default() -> Self {
        Self {
            max_attempts: 5,
            initial_backoff: Duration::from_millis(200),
            max_backoff: Duration::from_secs(10),
            max_retry_after: Duration::from_secs(60),
            max_stalled: Duration::from_secs(300),
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

    /// The largest bound of any one jittered wait.
    pub fn max_backoff(mut self, backoff: Duration) -> Self {
        self.max_backoff = backoff;
        self
    }

    /// The longest `Retry-After` honoured; a server asking for more ends the retries.
    pub fn max_retry_after(mut self, wait: Duration) -> Self {
        self.max_retry_after = wait;
        self
    }

    /// No retry starts once this long has passed without progress.
    pub fn max_stalled(mut self, stalled: Duration) -> Self {
        self.max_stalled = stalled;
        self
    }

    /// Attempts in all.
    #[must_use]
    pub fn get_max_attempts(&self) -> u32 {
        self.max_attempts
    }

    /// The bound of one jittered wait.
    #[must_use]
    pub fn get_max_backoff(&self) -> Duration {
        self.max_backoff
    }

    /// The longest server-requested wait honoured.
    #[must_use]
    pub fn get_max_retry_after(&self) -> Duration {
        self.max_retry_after
    }

    /// The budget of time without progress.
    #[must_use]
    pub fn get_max_stalled(&self) -> Duration {
        self.max_stalled
    }

    /// The longest any one wait can be: the larger of `max_backoff` and `max_retry_after`.
    #[must_use]
    pub fn longest_wait(&self) -> Duration {
        self.max_backoff.max(self.max_retry_after)
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

    /// How long to wait before retry `retry` (1-based), given the time since the last
    /// progress and a server-requested delay; `None` means stop retrying. `unit` is a uniform
    /// draw from `[0, 1)` (the jitter).
    #[must_use]
    pub(crate) fn next_wait(
        &self,
        retry: u32,
        stalled: Duration,
        retry_after: Option<Duration>,
        unit: f64,
    ) -> Option<Duration> {
        if retry >= self.max_attempts {
            return None;
        }
        let wait = match retry_after {
            Some(server) if server > self.max_retry_after => return None,
            Some(server) => server,
            None => self.backoff_ceiling(retry).mul_f64(unit.clamp(0.0, 1.0)),
        };
        (stalled.saturating_add(wait) <= self.max_stalled).then_some(wait)
    }

    /// Starts the bookkeeping of one call's retries.
    pub(crate) fn start(&self) -> Retrying<'_> {
        Retrying {
            policy: self,
            attempts: 0,
            last_progress: tokio::time::Instant::now(),
        }
    }
}

/// The retries of one call (an API call, or one part's PUTs), under a [`RetryPolicy`]:
/// attempts made, and the time since the last progress. Private to [`run`].
#[derive(Debug)]
pub(crate) struct Retrying<'a> {
    policy: &'a RetryPolicy,
    attempts: u32,
    last_progress: tokio::time::Instant,
}

impl Retrying<'_> {
    /// Counts an attempt about to be made; its 1-based number.
    pub(crate) fn attempt(&mut self) -> u32 {
        self.attempts += 1;
        self.attempts
    }

    /// The attempts made so far.
    #[must_use]
    #[cfg(test)]
    pub(crate) fn attempts(&self) -> u32 {
        self.attempts
    }

    /// Something moved: an answer arrived, or bytes were sent. The stall budget starts again.
    pub(crate) fn progressed(&mut self) {
        self.last_progress = tokio::time::Instant::now();
    }

    /// Gives back an attempt that is not to be counted (for example one refused because its
    /// presigned URL had expired, which a fresh URL fixes).
    pub(crate) fn forgive(&mut self) {
        self.attempts = self.attempts.saturating_sub(1);
    }

    /// After a failed attempt that may be retried: how long to wait before the next one, or
    /// `None` to stop.
    pub(crate) fn next_wait(&self, retry_after: Option<Duration>) -> Option<Duration> {
        self.policy.next_wait(
            self.attempts,
            self.last_progress.elapsed(),
            retry_after,
            fastrand::f64(),
        )
    }
}

/// What one attempt came to.
#[derive(Debug)]
pub enum Outcome<T, E> {
    /// Finished: the answer, or a failure that no retry can mend.
    Done(Result<T, E>),
    /// Failed in a way another attempt may mend, after the server's delay if it asked for one.
    Retry {
        /// The failure, returned if no attempt follows.
        error: E,
        /// The server's `Retry-After`.
        retry_after: Option<Duration>,
    },
    /// Failed in a way already mended (a fresh URL for one that expired): again at once, not
    /// counted as a retry.
    Again,
}

/// One attempt, as the loop sees it: its number, and whether it made progress.
#[derive(Debug)]
pub struct Attempt {
    number: u32,
    progressed: bool,
}

impl Attempt {
    /// The attempt's 1-based number (attempts given back with [`Outcome::Again`] not counted).
    #[must_use]
    pub fn number(&self) -> u32 {
        self.number
    }

    /// Something moved — an answer of any kind arrived, or bytes were sent: the budget of
    /// time without progress starts again.
    pub fn progressed(&mut self) {
        self.progressed = true;
    }
}

/// The attempts of one call, described for [`run`].
pub trait Attempts {
    /// The answer.
    type Output;
    /// The failure.
    type Error;

    /// Makes one attempt.
    fn attempt(
        &mut self,
        attempt: &mut Attempt,
    ) -> impl std::future::Future<Output = Outcome<Self::Output, Self::Error>> + Send;

    /// Called before waiting `wait` to retry after `error` (attempt `number` failed): a place
    /// to log or report it.
    fn before_retry(&mut self, error: &Self::Error, number: u32, wait: Duration) {
        let _ = (error, number, wait);
    }
}

/// The retry loop: makes attempts until one is [`Outcome::Done`], or the policy stops — after
/// `max_attempts`, when the server asks for a longer delay than it allows, or when the next
/// attempt would start more than `max_stalled` after the last progress — and then returns the
/// last failure.
///
/// ```
/// use std::time::Duration;
/// use lakefs_client::retry::{self, Attempt, Attempts, Outcome};
/// use lakefs_client::RetryPolicy;
///
/// struct Flaky(u32);
/// impl Attempts for Flaky {
///     type Output = &'static str;
///     type Error = &'static str;
///     async fn attempt(&mut self, attempt: &mut Attempt) -> Outcome<Self::Output, Self::Error> {
///         attempt.progressed();
///         self.0 += 1;
///         if self.0 < 3 {
///             Outcome::Retry { error: "busy", retry_after: None }
///         } else {
///             Outcome::Done(Ok("done"))
///         }
///     }
/// }
/// # tokio::runtime::Builder::new_current_thread().enable_all().start_paused(true).build().unwrap().block_on(async {
/// let policy = RetryPolicy::default().initial_backoff(Duration::from_millis(1));
/// assert_eq!(retry::run(&policy, &mut Flaky(0)).await, Ok("done"));
/// assert_eq!(retry::run(&RetryPolicy::none(), &mut Flaky(0)).await, Err("busy"));
/// # });
/// ```
///
/// # Errors
/// The failure of the last attempt.
pub async fn run<A: Attempts + Send>(
    policy: &RetryPolicy,
    attempts: &mut A,
) -> Result<A::Output, A::Error> {
    let mut retrying = policy.start();
    loop {
        let mut attempt = Attempt {
            number: retrying.attempt(),
            progressed: false,
        };
        let outcome = attempts.attempt(&mut attempt).await;
        if attempt.progressed {
            retrying.progressed();
        }
        match outcome {
            Outcome::Done(result) => return result,
            Outcome::Again => retrying.forgive(),
            Outcome::Retry { error, retry_after } => {
                let Some(wait) = retrying.next_wait(retry_after) else {
                    return Err(error);
                };
                attempts.before_retry(&error, attempt.number, wait);
                tokio::time::sleep(wait).await;
            }
        }
    }
}

/// Parses a `Retry-After` header: delay-seconds or an HTTP date (one in the past is no
/// delay). `None` for anything else, huge numbers included.
pub fn parse_retry_after(value: &http::HeaderValue) -> Option<Duration> {
    let text = value.to_str().ok()?.trim();
    if text.bytes().all(|b| b.is_ascii_digit()) && !text.is_empty() {
        return text.parse::<u64>().ok().map(Duration::from_secs);
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
            .max_retry_after(Duration::from_secs(1))
            .max_stalled(Duration::from_secs(1));
        assert!(policy.next_wait(1, Duration::ZERO, None, 0.5).is_some());
        assert!(policy.next_wait(2, Duration::ZERO, None, 0.5).is_some());
        assert_eq!(policy.next_wait(3, Duration::ZERO, None, 0.5), None);
        // A server delay past the longest honoured one ends the retries.
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
        // Time without progress counts, not time since the first attempt.
        assert_eq!(
            policy.next_wait(
                1,
                Duration::from_millis(900),
                Some(Duration::from_millis(300)),
                0.0
            ),
            None
        );
        assert!(policy
            .next_wait(
                1,
                Duration::from_millis(600),
                Some(Duration::from_millis(300)),
                0.0
            )
            .is_some());
    }

    #[tokio::test(start_paused = true)]
    async fn progress_restarts_the_stall_budget() {
        let policy = RetryPolicy::default()
            .max_attempts(10)
            .initial_backoff(Duration::ZERO)
            .max_stalled(Duration::from_secs(90));
        let mut retrying = policy.start();
        retrying.attempt();
        tokio::time::advance(Duration::from_secs(61)).await; // a slow attempt that answered
        retrying.progressed();
        assert!(retrying.next_wait(None).is_some());
        retrying.attempt();
        tokio::time::advance(Duration::from_secs(61)).await; // one that stalled
        assert!(retrying.next_wait(None).is_some());
        retrying.attempt();
        tokio::time::advance(Duration::from_secs(30)).await; // and another
        assert_eq!(retrying.next_wait(None), None, "91 s without progress");
        assert_eq!(retrying.attempts(), 3);
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
            let policy = RetryPolicy::default().max_attempts(50).max_stalled(Duration::MAX);
            let wait = policy.next_wait(retry, Duration::ZERO, None, unit).unwrap();
            prop_assert!(wait <= policy.backoff_ceiling(retry));
            prop_assert!(wait <= policy.get_max_backoff());
        }
    }
}
