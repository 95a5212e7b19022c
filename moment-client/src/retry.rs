//! When to try a failed request again, and after how long.
//!
//! The decision is one pure function, [`RetryPolicy::decide`]: given the error and the next
//! exponential-backoff delay it answers [`RetryDecision::Stop`] or
//! [`RetryDecision::RetryAfter`]. The backoff sequence itself (exponential, capped, with
//! jitter) and the sleeping come from the [`backon`] crate; this module only adds Moment's
//! rules on top: retry only transient errors, honour `Retry-After`, and give up when the server
//! asks for a longer wait than the policy allows.

use std::time::Duration;

use backon::ExponentialBuilder;
use chrono::{DateTime, Utc};

use crate::error::Error;

/// How the client retries transient failures (HTTP 408/425/429/5xx, timeouts, connection
/// errors). Every request the client sends is a read, so a retry never duplicates anything.
///
/// ```
/// use std::time::Duration;
/// use moment_client::RetryPolicy;
///
/// let policy = RetryPolicy::default()
///     .with_max_retries(5)
///     .with_initial_delay(Duration::from_millis(200))
///     .with_max_retry_after(Duration::from_secs(30));
/// assert_eq!(policy.max_retries(), 5);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetryPolicy {
    max_retries: u32,
    initial_delay: Duration,
    max_delay: Duration,
    max_retry_after: Duration,
    jitter: bool,
}

impl Default for RetryPolicy {
    /// 3 retries; backoff from 500 ms doubling up to 8 s, with jitter; `Retry-After` honoured
    /// up to 60 s.
    fn default() -> Self {
        Self {
            max_retries: 3,
            initial_delay: Duration::from_millis(500),
            max_delay: Duration::from_secs(8),
            max_retry_after: Duration::from_secs(60),
            jitter: true,
        }
    }
}

/// The outcome of [`RetryPolicy::decide`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RetryDecision {
    /// Give up and return the error.
    Stop,
    /// Send the request again after this delay.
    RetryAfter(Duration),
}

impl RetryDecision {
    /// The delay, when the decision is to retry.
    pub fn delay(self) -> Option<Duration> {
        match self {
            Self::Stop => None,
            Self::RetryAfter(d) => Some(d),
        }
    }
}

impl RetryPolicy {
    /// A policy that never retries.
    pub fn none() -> Self {
        Self {
            max_retries: 0,
            ..Self::default()
        }
    }

    /// Sets how many times a request is retried after the first attempt.
    pub fn with_max_retries(mut self, retries: u32) -> Self {
        self.max_retries = retries;
        self
    }

    /// Sets the first backoff delay (it doubles on every retry).
    pub fn with_initial_delay(mut self, delay: Duration) -> Self {
        self.initial_delay = delay;
        self
    }

    /// Sets the largest backoff delay (before jitter).
    pub fn with_max_delay(mut self, delay: Duration) -> Self {
        self.max_delay = delay;
        self
    }

    /// Sets the longest `Retry-After` the client waits for; when Moment asks for longer, the
    /// request fails at once with the error (whose [`Error::retry_after`] tells the wait).
    pub fn with_max_retry_after(mut self, delay: Duration) -> Self {
        self.max_retry_after = delay;
        self
    }

    /// Turns random jitter on or off (on by default; it spreads the retries of many clients).
    pub fn with_jitter(mut self, jitter: bool) -> Self {
        self.jitter = jitter;
        self
    }

    /// How many times a request is retried after the first attempt.
    pub fn max_retries(&self) -> u32 {
        self.max_retries
    }

    /// The longest `Retry-After` honoured.
    pub fn max_retry_after(&self) -> Duration {
        self.max_retry_after
    }

    /// Decides about one failed attempt. `next_backoff` is the next delay of the backoff
    /// sequence, `None` when the retries are used up. Pure: no clock, no IO.
    ///
    /// * not a transient error → stop;
    /// * retries used up → stop;
    /// * `Retry-After` longer than [`max_retry_after`](Self::max_retry_after) → stop;
    /// * `Retry-After` present → wait for it (or for the backoff, whichever is longer);
    /// * otherwise → wait for the backoff.
    pub fn decide(&self, error: &Error, next_backoff: Option<Duration>) -> RetryDecision {
        if !error.is_retryable() {
            return RetryDecision::Stop;
        }
        let Some(backoff) = next_backoff else {
            return RetryDecision::Stop;
        };
        match error.retry_after() {
            Some(asked) if asked > self.max_retry_after => RetryDecision::Stop,
            Some(asked) => RetryDecision::RetryAfter(asked.max(backoff)),
            None => RetryDecision::RetryAfter(backoff),
        }
    }

    /// The backoff sequence, as a `backon` builder.
    pub(crate) fn backoff(&self) -> ExponentialBuilder {
        let builder = ExponentialBuilder::default()
            .with_min_delay(self.initial_delay)
            .with_max_delay(self.max_delay)
            .with_factor(2.0)
            .with_max_times(usize::try_from(self.max_retries).unwrap_or(usize::MAX));
        if self.jitter {
            builder.with_jitter()
        } else {
            builder
        }
    }
}

/// Reads a `Retry-After` value: whole (or decimal) seconds, or an HTTP date (a date in the past
/// means "now"). `now` is passed in so the function stays pure.
pub(crate) fn parse_retry_after(value: &str, now: DateTime<Utc>) -> Option<Duration> {
    let value = value.trim();
    if let Ok(secs) = value.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    if let Ok(secs) = value.parse::<f64>() {
        return Duration::try_from_secs_f64(secs).ok();
    }
    let at = DateTime::parse_from_rfc2822(value)
        .ok()?
        .with_timezone(&Utc);
    Some((at - now).to_std().unwrap_or(Duration::ZERO))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ApiError;

    fn api(status: u16, retry_after: Option<u64>) -> Error {
        Error::Api(Box::new(ApiError {
            status,
            method: "GET".into(),
            path: "/invoices".into(),
            message: None,
            body: String::new(),
            body_truncated: false,
            content_type: None,
            retry_after: retry_after.map(Duration::from_secs),
        }))
    }

    const B: Option<Duration> = Some(Duration::from_secs(1));

    #[test]
    fn decision_table() {
        let p = RetryPolicy::default();
        let secs = |s| RetryDecision::RetryAfter(Duration::from_secs(s));
        // (error, next backoff) → decision
        assert_eq!(p.decide(&api(500, None), B), secs(1));
        assert_eq!(p.decide(&api(503, None), B), secs(1));
        assert_eq!(p.decide(&api(429, None), B), secs(1));
        assert_eq!(p.decide(&api(429, Some(5)), B), secs(5));
        assert_eq!(p.decide(&api(503, Some(0)), B), secs(1));
        assert_eq!(p.decide(&api(429, Some(60)), B), secs(60));
        assert_eq!(p.decide(&api(429, Some(61)), B), RetryDecision::Stop);
        assert_eq!(p.decide(&api(500, None), None), RetryDecision::Stop);
        assert_eq!(p.decide(&api(429, Some(1)), None), RetryDecision::Stop);
        for status in [400, 401, 403, 404, 409, 422, 501] {
            assert_eq!(
                p.decide(&api(status, None), B),
                RetryDecision::Stop,
                "{status}"
            );
        }
        let config = Error::Config {
            setting: "base_url",
            reason: String::new(),
        };
        assert_eq!(p.decide(&config, B), RetryDecision::Stop);
    }

    #[test]
    fn backoff_sequence_doubles_is_capped_and_stops() {
        use backon::BackoffBuilder;
        let p = RetryPolicy::default()
            .with_max_retries(5)
            .with_initial_delay(Duration::from_secs(1))
            .with_max_delay(Duration::from_secs(4))
            .with_jitter(false);
        let delays: Vec<u64> = p.backoff().build().map(|d| d.as_secs()).collect();
        assert_eq!(delays, [1, 2, 4, 4, 4]);
        assert_eq!(RetryPolicy::none().backoff().build().next(), None);
    }

    #[test]
    fn jitter_never_shortens_the_delay() {
        use backon::BackoffBuilder;
        let p = RetryPolicy::default()
            .with_max_retries(50)
            .with_initial_delay(Duration::from_secs(1))
            .with_max_delay(Duration::from_secs(1));
        for d in p.backoff().build() {
            assert!(
                d >= Duration::from_secs(1) && d <= Duration::from_secs(2),
                "{d:?}"
            );
        }
    }

    #[test]
    fn retry_after_forms() {
        let now = DateTime::parse_from_rfc3339("2015-10-21T07:28:00Z")
            .unwrap()
            .with_timezone(&Utc);
        assert_eq!(
            parse_retry_after("120", now),
            Some(Duration::from_secs(120))
        );
        assert_eq!(parse_retry_after(" 2 ", now), Some(Duration::from_secs(2)));
        assert_eq!(
            parse_retry_after("1.5", now),
            Some(Duration::from_millis(1500))
        );
        assert_eq!(
            parse_retry_after("Wed, 21 Oct 2015 07:28:30 GMT", now),
            Some(Duration::from_secs(30))
        );
        assert_eq!(
            parse_retry_after("Wed, 21 Oct 2015 07:00:00 GMT", now),
            Some(Duration::ZERO)
        );
        assert_eq!(parse_retry_after("soon", now), None);
        assert_eq!(parse_retry_after("-3", now), None);
    }
}
