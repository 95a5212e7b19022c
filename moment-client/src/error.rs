//! The error type of this crate.
//!
//! Every failure is a typed [`Error`] that keeps what is needed to act on it: the HTTP status,
//! Moment's message and the start of the raw body (even when it is HTML, not JSON), the field
//! path of a decode error, the `Retry-After` delay. No variant ever contains the API key.

use std::fmt;
use std::time::Duration;

use reqwest::StatusCode;

use crate::webhook::WebhookError;

/// `Result` with this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// A boxed error from the HTTP stack.
pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// Everything that can go wrong talking to Moment or reading its data.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A client setting is invalid; raised by `MomentClientBuilder::build` or a request builder.
    #[error("invalid Moment client or list-request setting `{setting}`: {reason}")]
    Config {
        /// The setting (`base_url`, `api_key`, `company_code`, ...).
        setting: &'static str,
        /// What is wrong and how to fix it.
        reason: String,
    },
    /// Moment answered with a non-success HTTP status.
    #[error(transparent)]
    Api(Box<ApiError>),
    /// The request did not complete (connect error, connection lost mid-body).
    #[error(
        "could not complete {method} {path} against Moment: {}",
        causes(source.as_ref())
    )]
    Transport {
        /// HTTP method.
        method: String,
        /// Path and query, relative to the company base URL.
        path: String,
        /// The HTTP stack's error.
        #[source]
        source: BoxError,
    },
    /// The request could not be made for a reason a retry does not change: a redirect loop
    /// within Moment's address (more than 5), or a request the HTTP stack refused to build.
    #[error(
        "could not make {method} {path} to Moment: {}; check `base_url` and the company code",
        causes(source.as_ref())
    )]
    Request {
        /// HTTP method.
        method: String,
        /// Path and query, relative to the company base URL.
        path: String,
        /// The HTTP stack's error.
        #[source]
        source: BoxError,
    },
    /// The request timed out (the client's `timeout` or `connect_timeout`).
    #[error("{method} {path} to Moment timed out")]
    Timeout {
        /// HTTP method.
        method: String,
        /// Path and query, relative to the company base URL.
        path: String,
    },
    /// The response body is larger than the configured limit; it was not buffered.
    #[error(
        "Moment's response to {method} {path} is over the limit of {limit} bytes{}; \
         raise `max_response_bytes` or request smaller pages",
        declared.map(|d| format!(" (declared {d} bytes)")).unwrap_or_default()
    )]
    ResponseTooLarge {
        /// HTTP method.
        method: String,
        /// Path and query, relative to the company base URL.
        path: String,
        /// The configured limit in bytes.
        limit: u64,
        /// The size announced in `Content-Length`, if it was announced.
        declared: Option<u64>,
    },
    /// The response is not the JSON this crate expects.
    #[error(
        "could not decode Moment's response to {method} {path} at `{field}`: {source}{}",
        html_hint(content_type.as_deref())
    )]
    Decode {
        /// HTTP method.
        method: String,
        /// Path and query, relative to the company base URL.
        path: String,
        /// Path of the offending field (`lines[0].quantity`), `.` for the whole body.
        field: String,
        /// The response's `Content-Type`.
        content_type: Option<String>,
        /// The JSON error.
        #[source]
        source: serde_json::Error,
    },
    /// Moment answered with a redirect to another origin; it is not followed, so the API key is
    /// never sent anywhere but the configured base URL.
    #[error(
        "Moment redirected {method} {path} (HTTP {status}) to {}; not followed because the API \
         key is only sent to the configured base URL; check `base_url`",
        location.as_deref().unwrap_or("an unnamed location")
    )]
    Redirect {
        /// HTTP method.
        method: String,
        /// Path and query, relative to the company base URL.
        path: String,
        /// The redirect status.
        status: u16,
        /// The `Location` header, if any.
        location: Option<String>,
    },
    /// A list endpoint served the same page twice; the listing stopped instead of looping.
    #[error(
        "Moment served the same items for page {page} of {path} as for the page before; the \
         listing stopped to avoid looping. If this happens on the second page, Moment probably \
         counts pages from {other_base}: set `page_base` accordingly"
    )]
    RepeatedPage {
        /// The list path.
        path: String,
        /// The page number (as sent) that repeated its predecessor.
        page: u64,
        /// The other page base, for the hint.
        other_base: u64,
    },
    /// A list that must be read whole came back as one page of several (e.g. an invoice's
    /// payments): nothing is concluded from a part.
    #[error(
        "Moment answered {path} with one page of several ({shown} items shown); the list must be \
         read whole, so nothing was concluded from it"
    )]
    IncompleteList {
        /// The list path.
        path: String,
        /// How many items the page held.
        shown: usize,
    },
    /// A webhook body was refused.
    #[error(transparent)]
    Webhook(#[from] WebhookError),
}

/// An error and its causes on one line (`error sending request: … : connection refused`), so
/// the root cause shows even where only `Display` is printed.
fn causes(error: &(dyn std::error::Error + 'static)) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let part = cause.to_string();
        if !text.contains(&part) {
            text.push_str(": ");
            text.push_str(&part);
        }
        source = cause.source();
    }
    text
}

fn html_hint(content_type: Option<&str>) -> &'static str {
    match content_type {
        Some(ct) if ct.to_ascii_lowercase().contains("html") => {
            " (Moment answered with HTML, not JSON: check `base_url` and the company code)"
        }
        _ => "",
    }
}

impl Error {
    /// How many bytes of an error answer's body are read and kept in [`ApiError::body`] (the
    /// rest is left unread).
    pub const MAX_BODY_EXCERPT: usize = 4096;

    /// The HTTP status, when Moment answered with an error status or a refused redirect.
    pub fn status(&self) -> Option<StatusCode> {
        match self {
            Self::Api(api) => StatusCode::from_u16(api.status).ok(),
            Self::Redirect { status, .. } => StatusCode::from_u16(*status).ok(),
            _ => None,
        }
    }

    /// `true` for HTTP 404.
    pub fn is_not_found(&self) -> bool {
        self.status() == Some(StatusCode::NOT_FOUND)
    }

    /// `true` for HTTP 401 and 403 (wrong or expired API key, or missing rights).
    pub fn is_unauthorized(&self) -> bool {
        matches!(
            self.status(),
            Some(StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN)
        )
    }

    /// `true` when the request timed out.
    pub fn is_timeout(&self) -> bool {
        matches!(self, Self::Timeout { .. })
    }

    /// `true` when trying the same request again later may succeed: HTTP 408, 425, 429 and
    /// 5xx (except 501 and 505), timeouts, connection errors. The client retries only reads by
    /// itself; a failed write is the caller's to check ([`Error::may_have_been_applied`]).
    pub fn is_retryable(&self) -> bool {
        match self {
            Self::Api(api) => is_retryable_status(api.status),
            Self::Transport { .. } | Self::Timeout { .. } => true,
            _ => false,
        }
    }

    /// The method of the request that failed, when it was sent.
    pub fn method(&self) -> Option<&str> {
        match self {
            Self::Api(api) => Some(&api.method),
            Self::Transport { method, .. }
            | Self::Timeout { method, .. }
            | Self::Request { method, .. }
            | Self::Redirect { method, .. }
            | Self::ResponseTooLarge { method, .. } => Some(method),
            _ => None,
        }
    }

    /// `true` when a write (a `POST`) may have been carried out although no clean answer came
    /// back: a timeout or a broken connection after sending, a 5xx answer, an answer too large
    /// to read. Check (for example by the payment's external id) before sending it again.
    pub fn may_have_been_applied(&self) -> bool {
        if self.method() != Some("POST") {
            return false;
        }
        match self {
            Self::Api(api) => api.status >= 500,
            Self::Transport { .. } | Self::Timeout { .. } | Self::ResponseTooLarge { .. } => true,
            _ => false,
        }
    }

    /// The delay Moment asked for in `Retry-After`, if any.
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            Self::Api(api) => api.retry_after,
            _ => None,
        }
    }

    /// The API error, when Moment answered with an error status.
    pub fn as_api(&self) -> Option<&ApiError> {
        match self {
            Self::Api(api) => Some(api),
            _ => None,
        }
    }
}

/// Statuses worth retrying.
pub(crate) fn is_retryable_status(status: u16) -> bool {
    matches!(status, 408 | 425 | 429)
        || ((500..=599).contains(&status) && !matches!(status, 501 | 505))
}

/// A non-success HTTP answer from Moment.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ApiError {
    /// HTTP status code.
    pub status: u16,
    /// HTTP method of the request.
    pub method: String,
    /// Path and query of the request, relative to the company base URL.
    pub path: String,
    /// The message Moment gave in a JSON body (`message`, `error`, `detail` or `title`).
    pub message: Option<String>,
    /// The start of the raw body (lossy UTF-8), whatever its format.
    pub body: String,
    /// `true` when [`body`](Self::body) holds only the start of a longer body.
    pub body_truncated: bool,
    /// The response's `Content-Type`.
    pub content_type: Option<String>,
    /// The delay asked for in `Retry-After`.
    pub retry_after: Option<Duration>,
}

impl ApiError {
    /// An error answer with an empty body, e.g. for a hand-written fake of Moment in tests;
    /// set the other public fields as needed.
    pub fn new(status: u16, method: impl Into<String>, path: impl Into<String>) -> Self {
        Self {
            status,
            method: method.into(),
            path: path.into(),
            message: None,
            body: String::new(),
            body_truncated: false,
            content_type: None,
            retry_after: None,
        }
    }

    fn reason(&self) -> &'static str {
        StatusCode::from_u16(self.status)
            .ok()
            .and_then(|s| s.canonical_reason())
            .unwrap_or_default()
    }

    fn hint(&self) -> &'static str {
        match self.status {
            401 => {
                " (check the API key: Basic auth with user `apikey`; keys expire and are bound to \
                 an environment)"
            }
            403 => " (the API key's user lacks rights for this company or resource)",
            429 => " (rate limited)",
            _ => "",
        }
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "Moment answered {} {} with HTTP {}",
            self.method, self.path, self.status
        )?;
        let reason = self.reason();
        if !reason.is_empty() {
            write!(f, " {reason}")?;
        }
        f.write_str(self.hint())?;
        if let Some(message) = &self.message {
            write!(f, ": {message}")?;
        } else if html_hint(self.content_type.as_deref()).is_empty() {
            let snippet: String = self.body.split_whitespace().collect::<Vec<_>>().join(" ");
            if !snippet.is_empty() {
                let short: String = snippet.chars().take(200).collect();
                let cut = if short.len() < snippet.len() || self.body_truncated {
                    "…"
                } else {
                    ""
                };
                write!(f, ": {short}{cut}")?;
            }
        } else {
            write!(
                f,
                ": an HTML page ({} bytes shown); check `base_url` and the company code",
                self.body.len()
            )?;
        }
        if let Some(delay) = self.retry_after {
            write!(f, "; retry after {} s", delay.as_secs_f64())?;
        }
        Ok(())
    }
}

impl std::error::Error for ApiError {}

#[cfg(test)]
mod tests {
    use super::*;

    fn api(status: u16) -> ApiError {
        ApiError::new(status, "GET", "/customers/5")
    }

    #[test]
    fn retryable_statuses() {
        for s in [408, 425, 429, 500, 502, 503, 504, 599] {
            assert!(is_retryable_status(s), "{s}");
        }
        for s in [200, 301, 400, 401, 403, 404, 409, 422, 501, 505] {
            assert!(!is_retryable_status(s), "{s}");
        }
    }

    #[test]
    fn display_prefers_the_json_message_and_hides_html() {
        let mut e = api(404);
        e.message = Some("Customer 5 not found".into());
        assert_eq!(
            e.to_string(),
            "Moment answered GET /customers/5 with HTTP 404 Not Found: Customer 5 not found"
        );
        let mut e = api(500);
        e.content_type = Some("text/html; charset=utf-8".into());
        e.body = "<html><body>Oops</body></html>".into();
        assert!(
            e.to_string()
                .ends_with("an HTML page (30 bytes shown); check `base_url` and the company code"),
            "{e}"
        );
        let mut e = api(429);
        e.retry_after = Some(Duration::from_secs(3));
        e.body = "slow   down".into();
        assert_eq!(
            e.to_string(),
            "Moment answered GET /customers/5 with HTTP 429 Too Many Requests (rate limited): \
             slow down; retry after 3 s"
        );
    }

    #[test]
    fn classification_methods() {
        let e = Error::Api(Box::new(api(404)));
        assert!(e.is_not_found() && !e.is_retryable() && !e.is_unauthorized());
        let mut a = api(429);
        a.retry_after = Some(Duration::from_secs(2));
        let e = Error::Api(Box::new(a));
        assert!(e.is_retryable());
        assert_eq!(e.retry_after(), Some(Duration::from_secs(2)));
        assert!(Error::Api(Box::new(api(401))).is_unauthorized());
        assert!(
            !Error::Config {
                setting: "api_key",
                reason: "empty".into()
            }
            .is_retryable()
        );
    }
}
