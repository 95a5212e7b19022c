//! When to try a failed request again, and after how long.
//!
//! The backoff — how many retries, the exponential delays, the jitter — is [`backon`]'s
//! [`ExponentialBuilder`], set with
//! [`MomentClientBuilder::retry_policy`](crate::MomentClientBuilder::retry_policy) (the same
//! type and the same default in both of this workspace's clients: up to 3 retries after about
//! 1 s, 2 s and 4 s, each lengthened by a random jitter of up to as much again). On top of it,
//! [`retry_delay`] is Moment's rule, one pure function:
//!
//! - only idempotent methods are retried (every request this client sends is a `GET`);
//! - retried outcomes ([`Error::is_retryable`]): 408, 425, 429, any 5xx but 501 and 505,
//!   timeouts and connection failures;
//! - a `Retry-After` is honoured: the wait is the longer of it and the backoff. When it asks for
//!   longer than `max_retry_after`, the retries end and the caller gets the error (with its
//!   [`Error::retry_after`]).

use std::time::{Duration, SystemTime};

pub use backon::ExponentialBuilder;
use reqwest::Method;

use crate::error::Error;

/// The default backoff: `backon`'s exponential backoff (3 retries, 1 s doubling) with jitter.
pub fn default_policy() -> ExponentialBuilder {
    ExponentialBuilder::default().with_jitter()
}

/// The default longest `Retry-After` waited for.
pub const DEFAULT_MAX_RETRY_AFTER: Duration = Duration::from_secs(30);

/// The wait before the next attempt of `method` after it failed with `error`, or `None` to give
/// up. `next_backoff` is the backoff's next delay (`None` when the retries are used up). Pure:
/// no clock, no randomness, no IO.
pub fn retry_delay(
    method: &Method,
    error: &Error,
    next_backoff: Option<Duration>,
    max_retry_after: Duration,
) -> Option<Duration> {
    let backoff = next_backoff.filter(|_| method.is_idempotent() && error.is_retryable())?;
    match error.retry_after() {
        Some(asked) if asked > max_retry_after => None,
        asked => Some(asked.map_or(backoff, |asked| asked.max(backoff))),
    }
}

/// Reads a `Retry-After` value: seconds (decimals allowed) or an HTTP date, relative to `now`
/// (a date in the past means "now").
pub(crate) fn parse_retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    let value = value.trim();
    if let Ok(seconds) = value.parse::<f64>() {
        return Duration::try_from_secs_f64(seconds).ok();
    }
    let at = httpdate::parse_http_date(value).ok()?;
    Some(at.duration_since(now).unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ApiError;

    const BACKOFF: Option<Duration> = Some(Duration::from_secs(1));
    const CAP: Duration = DEFAULT_MAX_RETRY_AFTER;

    fn api(status: u16, retry_after: Option<u64>) -> Error {
        let mut error = ApiError::new(status, "GET", "/invoices");
        error.retry_after = retry_after.map(Duration::from_secs);
        Error::Api(Box::new(error))
    }

    fn get(error: &Error, backoff: Option<Duration>) -> Option<Duration> {
        retry_delay(&Method::GET, error, backoff, CAP)
    }

    #[test]
    fn decision_table() {
        let secs = |s| Some(Duration::from_secs(s));
        // (error, next backoff) → the wait, or None to stop
        assert_eq!(get(&api(500, None), BACKOFF), secs(1));
        assert_eq!(get(&api(503, None), BACKOFF), secs(1));
        assert_eq!(get(&api(408, None), BACKOFF), secs(1));
        assert_eq!(get(&api(429, None), BACKOFF), secs(1));
        assert_eq!(get(&api(429, Some(5)), BACKOFF), secs(5));
        assert_eq!(get(&api(503, Some(0)), BACKOFF), secs(1));
        assert_eq!(get(&api(429, Some(30)), BACKOFF), secs(30));
        assert_eq!(get(&api(429, Some(31)), BACKOFF), None);
        assert_eq!(get(&api(500, None), None), None);
        assert_eq!(get(&api(429, Some(1)), None), None);
        for status in [400, 401, 403, 404, 409, 422, 501, 505] {
            assert_eq!(get(&api(status, None), BACKOFF), None, "{status}");
        }
        let config = Error::Config {
            setting: "base_url",
            reason: String::new(),
        };
        assert_eq!(get(&config, BACKOFF), None);
        let timeout = Error::Timeout {
            method: "GET".into(),
            path: "/invoices".into(),
        };
        assert_eq!(get(&timeout, BACKOFF), secs(1));
        // A write would never be retried (this client sends none).
        assert_eq!(
            retry_delay(&Method::POST, &api(503, None), BACKOFF, CAP),
            None
        );
    }

    #[test]
    fn the_default_backoff_doubles_from_one_second_three_times() {
        use backon::BackoffBuilder;
        let delays: Vec<u64> = ExponentialBuilder::default()
            .build()
            .map(|d| d.as_secs())
            .collect();
        assert_eq!(delays, [1, 2, 4]);
        // Jitter only lengthens a delay, by at most as much again.
        for (delay, base) in default_policy().build().zip([1u64, 2, 4]) {
            assert!(
                delay >= Duration::from_secs(base) && delay <= Duration::from_secs(2 * base),
                "{delay:?}"
            );
        }
    }

    #[test]
    fn retry_after_forms() {
        let now = httpdate::parse_http_date("Wed, 21 Oct 2015 07:28:00 GMT").unwrap();
        let parse = |v| parse_retry_after(v, now);
        assert_eq!(parse("120"), Some(Duration::from_secs(120)));
        assert_eq!(parse(" 2 "), Some(Duration::from_secs(2)));
        assert_eq!(parse("1.5"), Some(Duration::from_millis(1500)));
        assert_eq!(
            parse("Wed, 21 Oct 2015 07:28:30 GMT"),
            Some(Duration::from_secs(30))
        );
        assert_eq!(parse("Wed, 21 Oct 2015 07:00:00 GMT"), Some(Duration::ZERO));
        assert_eq!(parse("soon"), None);
        assert_eq!(parse("-3"), None);
    }
}
