//! The plumbing both API clients share: one piece of code compiled into `dkplus-client` (here)
//! and into `moment-client` (which includes this file by path), so that the two retry, read
//! bodies, name their settings and inject faults in their fakes identically, and cannot drift.
//!
//! Only what is the same for both APIs lives here. Each vendor's rules stay in its crate: which
//! errors are transient ([`Transient`]), how an error answer reads, what its keys accept on the
//! wire, what a fake's error body looks like.

use std::time::{Duration, SystemTime};

use backon::ExponentialBuilder;
use bytes::{Bytes, BytesMut};
use http::Method;
use http_body_util::{BodyExt, LengthLimitError, Limited};

/// An error the retry rule can judge: whether the same request may succeed later, and how long
/// the server asked to wait (`Retry-After`).
pub trait Transient {
    /// `true` when a later attempt may succeed without anyone changing anything.
    fn is_retryable(&self) -> bool;
    /// The wait the server asked for, when it did.
    fn retry_after(&self) -> Option<Duration>;
}

/// What each client's public `retry` module offers (the same items in both).
pub(crate) mod retry_items {
    pub use super::{
        DEFAULT_MAX_RETRY_AFTER, REQUEST_SECONDS, RETRIES_TOTAL, Transient, default_policy,
        retry_delay,
    };
    pub use backon::ExponentialBuilder;
}

/// Implements [`Transient`] for a client's error type with its own `is_retryable` and
/// `retry_after` methods (each API's rule).
macro_rules! transient_by_own_rule {
    ($error:ty) => {
        impl crate::shared::Transient for $error {
            fn is_retryable(&self) -> bool {
                <$error>::is_retryable(self)
            }

            fn retry_after(&self) -> Option<std::time::Duration> {
                <$error>::retry_after(self)
            }
        }
    };
}
pub(crate) use transient_by_own_rule;

/// The default backoff: `backon`'s exponential backoff (up to 3 retries after 1 s, 2 s and 4 s)
/// with jitter, which lengthens each wait by up to as much again.
pub fn default_policy() -> ExponentialBuilder {
    ExponentialBuilder::default().with_jitter()
}

/// The default longest `Retry-After` waited for.
pub const DEFAULT_MAX_RETRY_AFTER: Duration = Duration::from_secs(30);

/// The wait before the next attempt of `method` after it failed with `error`, or `None` to give
/// up: only idempotent methods are retried, and only transient errors; a `Retry-After` longer
/// than the backoff is waited for, one longer than `max_retry_after` ends the retries.
/// `next_backoff` is the backoff's next delay (`None` when the retries are used up). Pure: no
/// clock, no randomness, no IO.
pub fn retry_delay<E: Transient>(
    method: &Method,
    error: &E,
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

/// The name of the histogram of API request durations, in seconds, labelled by `system`
/// (`dkplus`, `moment`) and `outcome` (`2xx`, `4xx`, `5xx`, `error` when no answer came).
/// Recorded through the `metrics` facade: nothing is kept unless the application installs a
/// recorder (the service's `/metrics` does).
pub const REQUEST_SECONDS: &str = "moment_dkplus_api_request_seconds";

/// The name of the counter of API requests sent again after a transient failure, labelled by
/// `system`.
pub const RETRIES_TOTAL: &str = "moment_dkplus_api_retries_total";

/// Records one attempt's duration under [`REQUEST_SECONDS`].
pub(crate) fn record_attempt(
    system: &'static str,
    started: std::time::Instant,
    status: Option<u16>,
) {
    let outcome = match status {
        Some(200..=299) => "2xx",
        Some(300..=399) => "3xx",
        Some(400..=499) => "4xx",
        Some(_) => "5xx",
        None => "error",
    };
    metrics::histogram!(REQUEST_SECONDS, "system" => system, "outcome" => outcome)
        .record(started.elapsed().as_secs_f64());
}

/// Counts one retry under [`RETRIES_TOTAL`].
pub(crate) fn record_retry(system: &'static str) {
    metrics::counter!(RETRIES_TOTAL, "system" => system).increment(1);
}

/// Why a success body could not be read.
#[derive(Debug)]
pub(crate) enum BodyError {
    /// It is longer than the limit (announced or counted); it was not read to the end.
    TooLarge {
        /// The announced `Content-Length`, when there was one.
        declared: Option<u64>,
    },
    /// The connection failed while reading it.
    Read(reqwest::Error),
    /// Anything else the body stream reported.
    Other(Box<dyn std::error::Error + Send + Sync + 'static>),
}

/// Reads a success body, refusing it once it passes `limit` bytes: by `Content-Length` before
/// reading, and by counting while it streams, so a body without a length cannot exhaust memory.
pub(crate) async fn read_limited(
    response: reqwest::Response,
    limit: u64,
) -> Result<Bytes, BodyError> {
    let declared = response.content_length();
    if declared.is_some_and(|length| length > limit) {
        return Err(BodyError::TooLarge { declared });
    }
    let body = http::Response::from(response).into_body();
    let limit = usize::try_from(limit).unwrap_or(usize::MAX);
    match Limited::new(body, limit).collect().await {
        Ok(collected) => Ok(collected.to_bytes()),
        Err(e) if e.is::<LengthLimitError>() => Err(BodyError::TooLarge { declared }),
        Err(e) => Err(match e.downcast::<reqwest::Error>() {
            Ok(e) => BodyError::Read(*e),
            Err(other) => BodyError::Other(other),
        }),
    }
}

/// How much of an error answer is read: enough for the message of a long validation error
/// (a line-by-line `ModelState`, a stack trace); of it, the error keeps a 4 KiB excerpt.
pub(crate) const ERROR_BODY_READ: usize = 64 * 1024;

/// Reads at most `max` bytes of an error answer and leaves the rest unread (a large error page
/// is never buffered); a failure while reading keeps what arrived (the status says more than
/// the body). `true` when more followed.
pub(crate) async fn read_excerpt(mut response: reqwest::Response, max: usize) -> (Bytes, bool) {
    let mut body = BytesMut::new();
    while let Ok(Some(chunk)) = response.chunk().await {
        body.extend_from_slice(&chunk);
        if body.len() > max {
            body.truncate(max);
            return (body.freeze(), true);
        }
    }
    (body.freeze(), false)
}

/// The settings both client builders have, with the same names, types, defaults and meaning.
/// The builder needs the fields `timeout` and `connect_timeout` (`Option<Duration>`), `retry`
/// (`ExponentialBuilder`), `max_retry_after` (`Duration`), `max_response_bytes` (`u64`) and
/// `allow_insecure_http` (`bool`).
macro_rules! common_builder_settings {
    () => {
        /// Limit for one attempt, from connecting to the last body byte (default 30 s).
        pub fn timeout(mut self, timeout: std::time::Duration) -> Self {
            self.timeout = Some(timeout);
            self
        }

        /// Limit for establishing a connection (default 10 s).
        pub fn connect_timeout(mut self, timeout: std::time::Duration) -> Self {
            self.connect_timeout = Some(timeout);
            self
        }

        /// No request timeout, no connect timeout and no idle-connection timer: only for tests
        /// on tokio's paused clock, where a timer would fire as soon as the runtime waits for
        /// the network — so the time that passes is exactly the client's own waits.
        pub fn without_timeouts(mut self) -> Self {
            self.timeout = None;
            self.connect_timeout = None;
            self
        }

        /// The backoff between retries (default [`retry::default_policy`](crate::retry::default_policy):
        /// up to 3 retries after 1 s, 2 s and 4 s, with jitter);
        /// `ExponentialBuilder::default().with_max_times(0)` turns retrying off. What is retried
        /// is this API's rule ([`retry::retry_delay`](crate::retry::retry_delay) with its
        /// errors' [`Transient`](crate::retry::Transient)).
        pub fn retry_policy(mut self, policy: backon::ExponentialBuilder) -> Self {
            self.retry = policy;
            self
        }

        /// The longest `Retry-After` the client waits for (default 30 s); when the server asks
        /// for longer, the request fails at once with the error, whose `retry_after()` tells the
        /// wait.
        pub fn max_retry_after(mut self, limit: std::time::Duration) -> Self {
            self.max_retry_after = limit;
            self
        }

        /// Largest answer body accepted (default 16 MiB); a larger one is refused with
        /// [`Error::ResponseTooLarge`](crate::Error::ResponseTooLarge) without reading it whole.
        /// Of an error answer only the first 4 KiB are ever read.
        pub fn max_response_bytes(mut self, limit: u64) -> Self {
            self.max_response_bytes = limit;
            self
        }

        /// Allows a plain-`http` base URL on a non-loopback host, which sends the credentials
        /// unencrypted. Only for test rigs on a private network.
        pub fn allow_insecure_http(mut self, allow: bool) -> Self {
            self.allow_insecure_http = allow;
            self
        }
    };
}
pub(crate) use common_builder_settings;

/// The item access both clients' `Page<T>` has: `len`, `is_empty`, `into_items` and
/// `IntoIterator`, over its `items` field.
macro_rules! page_items {
    ($page:ident) => {
        impl<T> $page<T> {
            /// Number of items on this page.
            pub fn len(&self) -> usize {
                self.items.len()
            }

            /// `true` when the page has no items.
            pub fn is_empty(&self) -> bool {
                self.items.is_empty()
            }

            /// The items.
            pub fn into_items(self) -> Vec<T> {
                self.items
            }
        }

        impl<T> IntoIterator for $page<T> {
            type Item = T;
            type IntoIter = std::vec::IntoIter<T>;
            fn into_iter(self) -> Self::IntoIter {
                self.items.into_iter()
            }
        }
    };
}
pub(crate) use page_items;

/// A key or number kept as text exactly as the API sends it (no trimming, no case change): a
/// newtype with `new`, `as_str`, `into_inner`, `Display`, `AsRef<str>`, the `From` conversions
/// and comparison with `&str`. Its serde form is each API's own (given with the attributes, or
/// written beside it).
macro_rules! text_key {
    ($(#[$meta:meta])* $name:ident) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(String);

        impl $name {
            /// Wraps a key exactly as written (no trimming, no case change).
            pub fn new(value: impl Into<String>) -> Self {
                Self(value.into())
            }

            /// The key as text.
            pub fn as_str(&self) -> &str {
                &self.0
            }

            /// Unwraps the key.
            pub fn into_inner(self) -> String {
                self.0
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }

        impl From<&str> for $name {
            fn from(value: &str) -> Self {
                Self(value.to_owned())
            }
        }

        impl From<String> for $name {
            fn from(value: String) -> Self {
                Self(value)
            }
        }

        impl From<&String> for $name {
            fn from(value: &String) -> Self {
                Self(value.clone())
            }
        }

        impl From<$name> for String {
            fn from(value: $name) -> String {
                value.0
            }
        }

        impl PartialEq<str> for $name {
            fn eq(&self, other: &str) -> bool {
                self.0 == other
            }
        }

        impl PartialEq<&str> for $name {
            fn eq(&self, other: &&str) -> bool {
                self.0 == *other
            }
        }
    };
}
pub(crate) use text_key;

/// The fault injection both fakes share.
#[cfg(feature = "testing")]
pub(crate) mod faults {
    use std::time::Duration;

    use http::{HeaderValue, StatusCode};

    /// An injected failure: the status, an optional `Retry-After` and the body, with the same
    /// builder methods in both fakes (the fake renders the body as its API does).
    #[derive(Debug, Clone, PartialEq, Eq)]
    pub struct Failure {
        pub(crate) status: StatusCode,
        pub(crate) retry_after: Option<String>,
        pub(crate) body: FailureBody,
    }

    /// The body of an injected failure.
    #[derive(Debug, Clone, PartialEq, Eq)]
    pub(crate) enum FailureBody {
        /// The API's JSON error body, with this message or the fake's default one.
        Message(Option<String>),
        /// An HTML error page, as a proxy or gateway sends.
        Html,
        /// No body.
        Empty,
        /// This content type and body.
        Raw(String, String),
    }

    impl Failure {
        /// An answer with this status and the API's JSON error body. A status outside 100–999
        /// cannot be sent and is served as 500.
        pub fn status(status: u16) -> Self {
            Self {
                status: StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
                retry_after: None,
                body: FailureBody::Message(None),
            }
        }

        /// Adds `Retry-After: <seconds>`.
        pub fn retry_after_secs(mut self, seconds: u64) -> Self {
            self.retry_after = Some(seconds.to_string());
            self
        }

        /// Adds a `Retry-After` header with this exact value (e.g. an HTTP date). A value that
        /// cannot be a header (a line break, ...) is not sent.
        pub fn retry_after(mut self, value: impl Into<String>) -> Self {
            let value = value.into();
            self.retry_after = HeaderValue::from_str(&value).is_ok().then_some(value);
            self
        }

        /// Answers with this message in the API's JSON error body.
        pub fn message(mut self, message: impl Into<String>) -> Self {
            self.body = FailureBody::Message(Some(message.into()));
            self
        }

        /// Answers with an HTML error page instead of JSON, as a proxy or gateway would.
        pub fn html(mut self) -> Self {
            self.body = FailureBody::Html;
            self
        }

        /// Answers with an empty body.
        pub fn empty(mut self) -> Self {
            self.body = FailureBody::Empty;
            self
        }

        /// Answers with this body and content type (a content type that cannot be a header is
        /// replaced by `text/plain`).
        pub fn body(mut self, content_type: impl Into<String>, body: impl Into<String>) -> Self {
            let mut content_type = content_type.into();
            if HeaderValue::from_str(&content_type).is_err() {
                content_type = "text/plain".to_owned();
            }
            self.body = FailureBody::Raw(content_type, body.into());
            self
        }

        /// The response the fake sends: the status, the `Retry-After` header and the body,
        /// with `message` rendering the API's JSON error body.
        pub(crate) fn template(
            &self,
            message: impl FnOnce(StatusCode, Option<&str>) -> serde_json::Value,
        ) -> wiremock::ResponseTemplate {
            let mut t = wiremock::ResponseTemplate::new(self.status.as_u16());
            if let Some(retry_after) = &self.retry_after {
                t = t.insert_header("Retry-After", retry_after.as_str());
            }
            match &self.body {
                FailureBody::Message(text) => t.set_body_raw(
                    message(self.status, text.as_deref()).to_string(),
                    "application/json; charset=utf-8",
                ),
                FailureBody::Html => t.set_body_raw(
                    format!(
                        "<!DOCTYPE html>\n<html><head><title>{0}</title></head><body><h1>{0}</h1>\
                         <p>The server could not handle the request.</p></body></html>",
                        self.status
                    ),
                    "text/html; charset=utf-8",
                ),
                FailureBody::Empty => t,
                FailureBody::Raw(content_type, body) => {
                    t.set_body_raw(body.clone(), content_type.as_str())
                }
            }
        }
    }

    impl From<u16> for Failure {
        fn from(status: u16) -> Self {
            Self::status(status)
        }
    }

    /// What happens to one upcoming request.
    #[derive(Debug, Clone)]
    pub(crate) enum Fault {
        /// It is answered with this failure.
        Fail(Failure),
        /// It is answered normally, after this delay.
        Delay(Duration),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A transient error with an optional `Retry-After`, or a permanent one.
    struct Sample(bool, Option<u64>);

    impl Transient for Sample {
        fn is_retryable(&self) -> bool {
            self.0
        }
        fn retry_after(&self) -> Option<Duration> {
            self.1.map(Duration::from_secs)
        }
    }

    #[test]
    fn the_retry_rule_table() {
        let secs = |s| Some(Duration::from_secs(s));
        let cap = DEFAULT_MAX_RETRY_AFTER;
        let get = |e: &Sample, backoff| retry_delay(&Method::GET, e, backoff, cap);
        // (error, next backoff) → the wait, or None to stop
        assert_eq!(get(&Sample(true, None), secs(1)), secs(1));
        assert_eq!(get(&Sample(true, Some(5)), secs(1)), secs(5));
        assert_eq!(get(&Sample(true, Some(0)), secs(2)), secs(2));
        assert_eq!(get(&Sample(true, Some(30)), secs(1)), secs(30));
        assert_eq!(get(&Sample(true, Some(31)), secs(1)), None);
        assert_eq!(get(&Sample(true, None), None), None);
        assert_eq!(get(&Sample(false, None), secs(1)), None);
        for method in [Method::POST, Method::PATCH] {
            assert_eq!(
                retry_delay(&method, &Sample(true, None), secs(1), cap),
                None
            );
        }
        for method in [Method::HEAD, Method::PUT, Method::DELETE] {
            assert_eq!(
                retry_delay(&method, &Sample(true, None), secs(1), cap),
                secs(1)
            );
        }
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
    fn retry_after_is_read_as_seconds_or_an_http_date() {
        let now = httpdate::parse_http_date("Wed, 21 Oct 2015 07:27:00 GMT").unwrap();
        let parse = |v| parse_retry_after(v, now);
        assert_eq!(parse("120"), Some(Duration::from_secs(120)));
        assert_eq!(parse(" 2 "), Some(Duration::from_secs(2)));
        assert_eq!(parse(" 1.5 "), Some(Duration::from_millis(1500)));
        assert_eq!(
            parse("Wed, 21 Oct 2015 07:28:00 GMT"),
            Some(Duration::from_secs(60))
        );
        assert_eq!(parse("Wed, 21 Oct 2015 07:00:00 GMT"), Some(Duration::ZERO));
        assert_eq!(parse("soon"), None);
        assert_eq!(parse("-5"), None);
        assert_eq!(parse("inf"), None);
    }
}
