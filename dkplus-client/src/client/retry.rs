//! When to try a request again, as a pure function of what happened.
//!
//! [`RetryPolicy::decide`] sees the method, the attempt number, the outcome and a jitter sample and
//! returns [`RetryDecision::Stop`] or [`RetryDecision::RetryAfter`]. No clock, no randomness, no IO,
//! so every rule is a one-line test.
//!
//! The rules:
//! - only `GET`, `HEAD`, `PUT` and `DELETE` are retried: they are idempotent (a partial `PUT` sets
//!   the same fields again). `POST` and `PATCH` are **never** retried automatically, because DK+
//!   has no idempotency key and a second invoice `POST` books a second invoice;
//! - retried outcomes: 429, 502, 503, 504, connection failures and timeouts;
//! - the delay is exponential (`initial_backoff × 2^(attempt−1)`, capped at `max_backoff`) with
//!   "equal jitter": half of it fixed, half random, so delays never collapse to zero;
//! - a `Retry-After` from DK+ replaces the computed delay. When it asks for longer than
//!   `max_retry_after`, we stop and hand the error (with its `retry_after`) to the caller rather
//!   than block for that long.

use std::time::Duration;

use chrono::{DateTime, Utc};
use http::{Method, StatusCode};

/// What happened on one attempt, as far as retrying is concerned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum AttemptOutcome {
    /// DK+ answered with this status (and maybe a `Retry-After`).
    Status {
        /// The HTTP status.
        status: StatusCode,
        /// The parsed `Retry-After`, if any.
        retry_after: Option<Duration>,
    },
    /// No connection could be made; the request never left.
    ConnectFailed,
    /// The request timed out.
    TimedOut,
    /// The connection broke after the request was sent.
    ConnectionLost,
}

/// The verdict of [`RetryPolicy::decide`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RetryDecision {
    /// Return the outcome to the caller.
    Stop,
    /// Wait this long, then send the request again.
    RetryAfter(Duration),
}

/// How the client retries failed requests. See the module documentation for the rules.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct RetryPolicy {
    /// Retries after the first attempt (0 disables retrying).
    pub max_retries: u32,
    /// Delay before the first retry, before jitter.
    pub initial_backoff: Duration,
    /// Upper bound of the computed delay.
    pub max_backoff: Duration,
    /// Longest `Retry-After` we wait for; a longer one ends the retries.
    pub max_retry_after: Duration,
    /// Randomise half of each computed delay.
    pub jitter: bool,
}

impl Default for RetryPolicy {
    /// 3 retries, 500 ms doubling up to 10 s with jitter, `Retry-After` honoured up to 30 s.
    fn default() -> Self {
        Self {
            max_retries: 3,
            initial_backoff: Duration::from_millis(500),
            max_backoff: Duration::from_secs(10),
            max_retry_after: Duration::from_secs(30),
            jitter: true,
        }
    }
}

impl RetryPolicy {
    /// Never retry.
    pub fn none() -> Self {
        Self {
            max_retries: 0,
            ..Self::default()
        }
    }

    /// Sets the number of retries.
    pub fn with_max_retries(mut self, max_retries: u32) -> Self {
        self.max_retries = max_retries;
        self
    }

    /// Sets the first delay and the cap of the exponential backoff.
    pub fn with_backoff(mut self, initial: Duration, max: Duration) -> Self {
        self.initial_backoff = initial;
        self.max_backoff = max;
        self
    }

    /// Sets the longest `Retry-After` that is waited for.
    pub fn with_max_retry_after(mut self, max: Duration) -> Self {
        self.max_retry_after = max;
        self
    }

    /// Turns jitter on or off (off gives exact, predictable delays).
    pub fn with_jitter(mut self, jitter: bool) -> Self {
        self.jitter = jitter;
        self
    }

    /// True for the methods this policy may repeat.
    pub fn is_retryable_method(method: &Method) -> bool {
        matches!(
            *method,
            Method::GET | Method::HEAD | Method::PUT | Method::DELETE
        )
    }

    /// Decides whether attempt number `attempt` (1 = the first try) is followed by another.
    /// `jitter_sample` is a number in `[0, 1)`; it is ignored when jitter is off.
    pub fn decide(
        &self,
        method: &Method,
        attempt: u32,
        outcome: &AttemptOutcome,
        jitter_sample: f64,
    ) -> RetryDecision {
        if attempt > self.max_retries || !Self::is_retryable_method(method) {
            return RetryDecision::Stop;
        }
        let retry_after = match outcome {
            AttemptOutcome::Status {
                status,
                retry_after,
            } => {
                if !matches!(status.as_u16(), 429 | 502 | 503 | 504) {
                    return RetryDecision::Stop;
                }
                *retry_after
            }
            AttemptOutcome::ConnectFailed
            | AttemptOutcome::TimedOut
            | AttemptOutcome::ConnectionLost => None,
        };
        if let Some(wait) = retry_after {
            return if wait <= self.max_retry_after {
                RetryDecision::RetryAfter(wait)
            } else {
                RetryDecision::Stop
            };
        }
        RetryDecision::RetryAfter(self.backoff(attempt, jitter_sample))
    }

    /// The computed delay after attempt `attempt` (1-based), jitter applied.
    pub fn backoff(&self, attempt: u32, jitter_sample: f64) -> Duration {
        let exponent = attempt.saturating_sub(1).min(31);
        let base = self
            .initial_backoff
            .saturating_mul(1u32 << exponent)
            .min(self.max_backoff);
        if !self.jitter {
            return base;
        }
        let sample = if jitter_sample.is_finite() {
            jitter_sample.clamp(0.0, 1.0)
        } else {
            0.0
        };
        let half = base / 2;
        half + half.mul_f64(sample)
    }
}

/// Parses a `Retry-After` header: delay-seconds or an HTTP date (relative to `now`).
pub(crate) fn parse_retry_after(value: &str, now: DateTime<Utc>) -> Option<Duration> {
    let trimmed = value.trim();
    if let Ok(seconds) = trimmed.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    if let Ok(seconds) = trimmed.parse::<f64>()
        && seconds.is_finite()
        && seconds >= 0.0
    {
        return Duration::try_from_secs_f64(seconds).ok();
    }
    let at = DateTime::parse_from_rfc2822(trimmed).ok()?;
    let delta = at.with_timezone(&Utc) - now;
    Some(delta.to_std().unwrap_or(Duration::ZERO))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn status(code: u16) -> AttemptOutcome {
        AttemptOutcome::Status {
            status: StatusCode::from_u16(code).unwrap(),
            retry_after: None,
        }
    }

    fn exact() -> RetryPolicy {
        RetryPolicy::default().with_jitter(false)
    }

    #[test]
    fn idempotent_methods_retry_transient_statuses() {
        for method in [Method::GET, Method::PUT, Method::DELETE] {
            for code in [429, 502, 503, 504] {
                assert!(
                    matches!(
                        exact().decide(&method, 1, &status(code), 0.0),
                        RetryDecision::RetryAfter(_)
                    ),
                    "{method} {code}"
                );
            }
        }
    }

    #[test]
    fn other_statuses_stop() {
        for code in [200, 400, 401, 404, 409, 500, 501] {
            assert_eq!(
                exact().decide(&Method::GET, 1, &status(code), 0.0),
                RetryDecision::Stop,
                "{code}"
            );
        }
    }

    #[test]
    fn post_and_patch_are_never_retried() {
        for outcome in [
            status(503),
            status(429),
            AttemptOutcome::ConnectFailed,
            AttemptOutcome::TimedOut,
            AttemptOutcome::ConnectionLost,
        ] {
            assert_eq!(
                exact().decide(&Method::POST, 1, &outcome, 0.0),
                RetryDecision::Stop
            );
            assert_eq!(
                exact().decide(&Method::PATCH, 1, &outcome, 0.0),
                RetryDecision::Stop
            );
        }
    }

    #[test]
    fn connection_problems_retry_for_gets() {
        for outcome in [
            AttemptOutcome::ConnectFailed,
            AttemptOutcome::TimedOut,
            AttemptOutcome::ConnectionLost,
        ] {
            assert_eq!(
                exact().decide(&Method::GET, 1, &outcome, 0.0),
                RetryDecision::RetryAfter(Duration::from_millis(500))
            );
        }
    }

    #[test]
    fn backoff_doubles_and_caps() {
        let p = exact();
        let delays: Vec<_> = (1..=7).map(|n| p.backoff(n, 0.0)).collect();
        assert_eq!(
            delays,
            [500, 1000, 2000, 4000, 8000, 10000, 10000].map(Duration::from_millis)
        );
        assert_eq!(p.backoff(u32::MAX, 0.0), Duration::from_secs(10));
    }

    #[test]
    fn jitter_keeps_half_and_randomises_half() {
        let p = RetryPolicy::default();
        assert_eq!(p.backoff(2, 0.0), Duration::from_millis(500));
        assert_eq!(p.backoff(2, 0.5), Duration::from_millis(750));
        assert_eq!(p.backoff(2, 1.0), Duration::from_millis(1000));
        assert_eq!(p.backoff(2, f64::NAN), Duration::from_millis(500));
    }

    #[test]
    fn stops_after_max_retries() {
        let p = exact().with_max_retries(2);
        assert!(matches!(
            p.decide(&Method::GET, 2, &status(503), 0.0),
            RetryDecision::RetryAfter(_)
        ));
        assert_eq!(
            p.decide(&Method::GET, 3, &status(503), 0.0),
            RetryDecision::Stop
        );
        assert_eq!(
            RetryPolicy::none().decide(&Method::GET, 1, &status(503), 0.0),
            RetryDecision::Stop
        );
    }

    #[test]
    fn retry_after_is_honoured_up_to_the_cap() {
        let p = exact();
        let with = |secs| AttemptOutcome::Status {
            status: StatusCode::TOO_MANY_REQUESTS,
            retry_after: Some(Duration::from_secs(secs)),
        };
        assert_eq!(
            p.decide(&Method::GET, 1, &with(7), 0.9),
            RetryDecision::RetryAfter(Duration::from_secs(7))
        );
        assert_eq!(
            p.decide(&Method::GET, 1, &with(30), 0.9),
            RetryDecision::RetryAfter(Duration::from_secs(30))
        );
        assert_eq!(
            p.decide(&Method::GET, 1, &with(31), 0.9),
            RetryDecision::Stop
        );
    }

    #[test]
    fn parses_retry_after_forms() {
        let now = DateTime::parse_from_rfc3339("2015-10-21T07:27:00Z")
            .unwrap()
            .with_timezone(&Utc);
        assert_eq!(
            parse_retry_after("120", now),
            Some(Duration::from_secs(120))
        );
        assert_eq!(
            parse_retry_after(" 1.5 ", now),
            Some(Duration::from_millis(1500))
        );
        assert_eq!(
            parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", now),
            Some(Duration::from_secs(60))
        );
        assert_eq!(
            parse_retry_after("Wed, 21 Oct 2015 07:00:00 GMT", now),
            Some(Duration::ZERO)
        );
        assert_eq!(parse_retry_after("soon", now), None);
        assert_eq!(parse_retry_after("-5", now), None);
    }
}
