//! When to try a request again, and after how long.
//!
//! The backoff — how many retries, the exponential delays, the jitter — is [`backon`]'s
//! [`ExponentialBuilder`], set with
//! [`DkPlusClientBuilder::retry_policy`](crate::DkPlusClientBuilder::retry_policy) (the same
//! type and the same default in both of this workspace's clients: up to 3 retries after about
//! 1 s, 2 s and 4 s, each lengthened by a random jitter of up to as much again). On top of it,
//! [`retry_delay`] is DK+'s rule, one pure function:
//!
//! - only idempotent methods (`GET`, `HEAD`, `PUT`, `DELETE`, …) are retried (a partial `PUT`
//!   sets the same fields again). `POST` and `PATCH` are **never** retried, because DK+ has no
//!   idempotency key and a second invoice `POST` books a second invoice;
//! - retried outcomes ([`Error::is_retryable`]): 429, 502, 503, 504, connection failures and
//!   timeouts;
//! - a `Retry-After` is honoured: the wait is the longer of it and the backoff. When it asks
//!   for longer than `max_retry_after`, the retries end and the caller gets the error (with its
//!   [`Error::retry_after`]) rather than a client blocked for that long.

pub(crate) use crate::shared::parse_retry_after;
pub use crate::shared::retry_items::*;

use crate::error::Error;

// This API's rule is the error's own: see [`Error::is_retryable`] and [`Error::retry_after`].
crate::shared::transient_by_own_rule!(Error);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::RequestPhase;
    use http::{Method, StatusCode};
    use std::time::Duration;

    const BACKOFF: Option<Duration> = Some(Duration::from_secs(1));
    const CAP: Duration = DEFAULT_MAX_RETRY_AFTER;

    fn status(code: u16, retry_after: Option<u64>) -> Error {
        let retry_after = retry_after.map(Duration::from_secs);
        match code {
            429 => Error::RateLimited {
                method: "GET".into(),
                path: "/x".into(),
                retry_after,
                message: None,
                body: String::new(),
            },
            _ => Error::Api {
                method: "GET".into(),
                path: "/x".into(),
                status: StatusCode::from_u16(code).unwrap(),
                message: None,
                body: String::new(),
                retry_after,
            },
        }
    }

    fn connection(phase: RequestPhase, timed_out: bool) -> Error {
        if timed_out {
            Error::Timeout {
                method: "GET".into(),
                path: "/x".into(),
                phase,
            }
        } else {
            Error::Transport {
                method: "GET".into(),
                path: "/x".into(),
                phase,
                source: "reset".into(),
            }
        }
    }

    fn delay(method: Method, error: &Error) -> Option<Duration> {
        retry_delay(&method, error, BACKOFF, CAP)
    }

    #[test]
    fn idempotent_methods_retry_transient_statuses() {
        for method in [Method::GET, Method::HEAD, Method::PUT, Method::DELETE] {
            for code in [429, 502, 503, 504] {
                assert_eq!(
                    delay(method.clone(), &status(code, None)),
                    BACKOFF,
                    "{method} {code}"
                );
            }
        }
    }

    #[test]
    fn other_statuses_stop() {
        for code in [400, 401, 403, 404, 409, 500, 501] {
            assert_eq!(delay(Method::GET, &status(code, None)), None, "{code}");
        }
    }

    #[test]
    fn post_and_patch_are_never_retried() {
        let outcomes = [
            status(503, None),
            status(429, None),
            connection(RequestPhase::Connect, false),
            connection(RequestPhase::AwaitingResponse, true),
            connection(RequestPhase::AwaitingResponse, false),
        ];
        for error in &outcomes {
            assert_eq!(delay(Method::POST, error), None, "{error}");
            assert_eq!(delay(Method::PATCH, error), None, "{error}");
        }
    }

    #[test]
    fn connection_problems_retry_for_gets() {
        for error in [
            connection(RequestPhase::Connect, false),
            connection(RequestPhase::AwaitingResponse, true),
            connection(RequestPhase::AwaitingResponse, false),
        ] {
            assert_eq!(delay(Method::GET, &error), BACKOFF, "{error}");
        }
    }

    #[test]
    fn the_retries_end_when_the_backoff_does() {
        assert_eq!(
            retry_delay(&Method::GET, &status(503, None), None, CAP),
            None
        );
        assert_eq!(
            retry_delay(&Method::GET, &status(429, Some(1)), None, CAP),
            None
        );
    }

    #[test]
    fn retry_after_is_honoured_up_to_the_cap_and_never_shortens_the_backoff() {
        let secs = |s| Some(Duration::from_secs(s));
        assert_eq!(delay(Method::GET, &status(429, Some(7))), secs(7));
        assert_eq!(delay(Method::GET, &status(503, Some(30))), secs(30));
        assert_eq!(delay(Method::GET, &status(503, Some(0))), secs(1));
        assert_eq!(delay(Method::GET, &status(429, Some(31))), None);
    }
}
