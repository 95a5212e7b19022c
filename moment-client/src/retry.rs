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

pub(crate) use crate::shared::parse_retry_after;
pub use crate::shared::retry_items::*;

use crate::error::Error;

// This API's rule is the error's own: see [`Error::is_retryable`] and [`Error::retry_after`].
crate::shared::transient_by_own_rule!(Error);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ApiError;
    use reqwest::Method;
    use std::time::Duration;

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
}
