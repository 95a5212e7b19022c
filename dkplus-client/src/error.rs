//! The one error type of this crate.

use std::time::Duration;

use http::StatusCode;

use crate::models::SalesInvoice;

/// `Result` with this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// A boxed transport error from the HTTP stack.
pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// How far a request got before it failed without a clean answer. This decides whether a write may
/// have reached DK+ (see [`Error::outcome_unknown`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum RequestPhase {
    /// No connection was made: DK+ never saw the request.
    Connect,
    /// The request was (or may have been) sent, and no response status arrived.
    AwaitingResponse,
    /// DK+ answered with this status, and reading the body failed.
    ReadingBody {
        /// The status DK+ answered with.
        status: StatusCode,
    },
}

impl std::fmt::Display for RequestPhase {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Connect => f.write_str("while connecting"),
            Self::AwaitingResponse => f.write_str("after sending the request, before any answer"),
            Self::ReadingBody { status } => write!(f, "while reading the {status} answer"),
        }
    }
}

/// Everything that can go wrong talking to DK+.
///
/// No variant ever contains the API token: request headers are not recorded anywhere.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// DK+ answered with an unsuccessful status not covered by a more specific variant (400, 403,
    /// 409, 5xx, an unfollowed 3xx …).
    #[error("DK+ answered {status} to {method} {path}{}", describe(message.as_deref(), body))]
    Api {
        /// HTTP method of the request.
        method: String,
        /// Path of the request below the base URL (no query string).
        path: String,
        /// The HTTP status.
        status: StatusCode,
        /// DK+'s `Message` from a JSON error body, when there was one.
        message: Option<String>,
        /// The start of the raw body as received (HTML, empty, anything), at most
        /// [`Error::MAX_BODY_EXCERPT`] bytes.
        body: String,
        /// The `Retry-After` delay, when the answer had one.
        retry_after: Option<Duration>,
    },

    /// DK+ answered 404 to a request where "not found" is an error (lookups by key return
    /// `Ok(None)` instead).
    #[error("DK+ has nothing at {method} {path} (404 Not Found){}", describe(message.as_deref(), body))]
    NotFound {
        /// HTTP method of the request.
        method: String,
        /// Path of the request below the base URL.
        path: String,
        /// DK+'s `Message`, when there was one.
        message: Option<String>,
        /// The start of the raw body.
        body: String,
    },

    /// DK+ refused the token (401). Check that the token is current and belongs to the company.
    #[error("DK+ refused the API token (401 Unauthorized) for {method} {path}{}", describe(message.as_deref(), body))]
    Unauthorized {
        /// HTTP method of the request.
        method: String,
        /// Path of the request below the base URL.
        path: String,
        /// DK+'s `Message`, when there was one.
        message: Option<String>,
        /// The start of the raw body.
        body: String,
    },

    /// DK+ asked us to slow down (429).
    #[error("DK+ is rate limiting (429 Too Many Requests) {method} {path}{}{}", retry_after.map(|d| format!(", retry after {} s", d.as_secs_f64())).unwrap_or_default(), describe(message.as_deref(), body))]
    RateLimited {
        /// HTTP method of the request.
        method: String,
        /// Path of the request below the base URL.
        path: String,
        /// The `Retry-After` delay, when the answer had one.
        retry_after: Option<Duration>,
        /// DK+'s `Message`, when there was one.
        message: Option<String>,
        /// The start of the raw body.
        body: String,
    },

    /// The request did not complete within the configured timeout.
    #[error("{method} {path} to DK+ timed out {phase}")]
    Timeout {
        /// HTTP method of the request.
        method: String,
        /// Path of the request below the base URL.
        path: String,
        /// How far the request got.
        phase: RequestPhase,
    },

    /// The connection failed (DNS, TLS, refused, reset, closed early …).
    #[error("{method} {path} to DK+ failed {phase}: {}", source_chain(source.as_ref()))]
    Transport {
        /// HTTP method of the request.
        method: String,
        /// Path of the request below the base URL.
        path: String,
        /// How far the request got.
        phase: RequestPhase,
        /// The underlying error.
        #[source]
        source: BoxError,
    },

    /// DK+ answered, but the body does not have the expected shape.
    #[error("could not read DK+'s {status} answer to {method} {path}: at `{field_path}`: {reason}")]
    Decode {
        /// HTTP method of the request.
        method: String,
        /// Path of the request below the base URL.
        path: String,
        /// The HTTP status of the answer (a success status means DK+ did process the request).
        status: StatusCode,
        /// Where in the JSON document decoding failed, e.g. `[3].Lines[0].Quantity` (`.` for the
        /// document itself).
        field_path: String,
        /// What was wrong there.
        reason: String,
        /// The start of the raw body.
        body: String,
    },

    /// The answer is larger than the configured limit; it was not read to the end.
    #[error(
        "DK+'s {status} answer to {method} {path} is larger than the {limit}-byte limit; raise \
         `max_response_bytes` or list with smaller pages"
    )]
    ResponseTooLarge {
        /// HTTP method of the request.
        method: String,
        /// Path of the request below the base URL.
        path: String,
        /// The HTTP status of the answer.
        status: StatusCode,
        /// The configured limit in bytes.
        limit: u64,
        /// The announced `Content-Length`, when there was one.
        declared: Option<u64>,
    },

    /// DK+ answered 2xx to an invoice creation but the answer carries no invoice `Number`. The
    /// invoice was most likely stored: look it up by its `Reference` before trying again.
    #[error(
        "DK+ accepted the invoice but returned no invoice number ({}); look it up by reference \
         before sending it again",
        invoice.reference.as_deref().map(|r| format!("reference {r}")).unwrap_or_else(|| "no reference".into())
    )]
    MissingInvoiceNumber {
        /// The invoice as DK+ returned it.
        invoice: Box<SalesInvoice>,
    },

    /// A paged listing returned the very same full page twice in a row, so paging would never end.
    #[error(
        "DK+ returned the same full page twice for {path} (page {page}); stopped instead of \
         looping — try a smaller page size, or report it to DK"
    )]
    RepeatedPage {
        /// Path of the listing.
        path: String,
        /// The page number that repeated the previous one.
        page: u32,
    },

    /// The input was refused before any request was sent.
    #[error("invalid {field}: {reason}")]
    InvalidInput {
        /// The offending field, e.g. `lines[2].item_code`.
        field: String,
        /// What is wrong and how to fix it.
        reason: String,
    },

    /// The client could not be built (bad base URL, insecure scheme, bad user agent …).
    #[error("invalid DK+ client configuration: {reason}")]
    Config {
        /// What is wrong and how to fix it.
        reason: String,
    },
}

/// The error and its causes, `: `-separated, so "error sending request" shows what was wrong
/// (connection refused, DNS, TLS …).
fn source_chain(error: &(dyn std::error::Error + 'static)) -> String {
    let mut text = error.to_string();
    let mut next = error.source();
    while let Some(cause) = next {
        let cause_text = cause.to_string();
        if !text.contains(&cause_text) {
            text.push_str(": ");
            text.push_str(&cause_text);
        }
        next = cause.source();
    }
    text
}

fn describe(message: Option<&str>, body: &str) -> String {
    match message {
        Some(m) => format!(": {m}"),
        None if body.trim().is_empty() => " (empty body)".to_owned(),
        None => format!(": {}", one_line(body, 200)),
    }
}

fn one_line(text: &str, max_chars: usize) -> String {
    let flat: String = text
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .take(max_chars)
        .collect();
    if text.chars().count() > max_chars {
        format!("{}…", flat.trim_end())
    } else {
        flat.trim_end().to_owned()
    }
}

impl Error {
    /// How many bytes of a raw answer body errors keep.
    pub const MAX_BODY_EXCERPT: usize = 4096;

    pub(crate) fn invalid(field: impl Into<String>, reason: impl Into<String>) -> Self {
        Self::InvalidInput {
            field: field.into(),
            reason: reason.into(),
        }
    }

    pub(crate) fn config(reason: impl Into<String>) -> Self {
        Self::Config {
            reason: reason.into(),
        }
    }

    /// The HTTP status DK+ answered with, when there was an answer.
    pub fn status(&self) -> Option<StatusCode> {
        match self {
            Self::Api { status, .. }
            | Self::Decode { status, .. }
            | Self::ResponseTooLarge { status, .. } => Some(*status),
            Self::NotFound { .. } => Some(StatusCode::NOT_FOUND),
            Self::Unauthorized { .. } => Some(StatusCode::UNAUTHORIZED),
            Self::RateLimited { .. } => Some(StatusCode::TOO_MANY_REQUESTS),
            Self::Timeout { phase, .. } | Self::Transport { phase, .. } => match phase {
                RequestPhase::ReadingBody { status } => Some(*status),
                _ => None,
            },
            Self::MissingInvoiceNumber { .. } => Some(StatusCode::OK),
            _ => None,
        }
    }

    /// The HTTP method of the request that failed, when one was sent or attempted.
    pub fn method(&self) -> Option<&str> {
        match self {
            Self::Api { method, .. }
            | Self::NotFound { method, .. }
            | Self::Unauthorized { method, .. }
            | Self::RateLimited { method, .. }
            | Self::Timeout { method, .. }
            | Self::Transport { method, .. }
            | Self::Decode { method, .. }
            | Self::ResponseTooLarge { method, .. } => Some(method),
            Self::MissingInvoiceNumber { .. } => Some("POST"),
            _ => None,
        }
    }

    /// DK+'s own `Message` from the error body, when it sent one.
    pub fn message(&self) -> Option<&str> {
        match self {
            Self::Api { message, .. }
            | Self::NotFound { message, .. }
            | Self::Unauthorized { message, .. }
            | Self::RateLimited { message, .. } => message.as_deref(),
            _ => None,
        }
    }

    /// The start of the raw answer body, when the error kept one.
    pub fn body(&self) -> Option<&str> {
        match self {
            Self::Api { body, .. }
            | Self::NotFound { body, .. }
            | Self::Unauthorized { body, .. }
            | Self::RateLimited { body, .. }
            | Self::Decode { body, .. } => Some(body),
            _ => None,
        }
    }

    /// True for a 404 answer.
    pub fn is_not_found(&self) -> bool {
        matches!(self, Self::NotFound { .. })
    }

    /// True when the same request may succeed if sent again later: 429, 502, 503, 504, timeouts
    /// and connection failures. This says nothing about whether re-sending a *write* is safe — see
    /// [`Error::outcome_unknown`] and [`Error::was_applied`] for that.
    pub fn is_retryable(&self) -> bool {
        match self {
            Self::RateLimited { .. } | Self::Timeout { .. } | Self::Transport { .. } => true,
            Self::Api { status, .. } => matches!(status.as_u16(), 502..=504),
            _ => false,
        }
    }

    /// The delay DK+ asked for with `Retry-After`, when it did.
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            Self::RateLimited { retry_after, .. } | Self::Api { retry_after, .. } => *retry_after,
            _ => None,
        }
    }

    /// True when a write may or may not have been carried out by DK+ — we got no clean answer:
    ///
    /// - a timeout or a broken connection **after** the request was sent (not while connecting);
    /// - any 5xx answer (DK+ may have stored the record before failing, and 502/504 come from a
    ///   gateway that gave up waiting for it);
    /// - a 5xx answer whose body could not be read.
    ///
    /// False when DK+ certainly did not act (connect failures, 4xx answers including 429, input
    /// refused before sending) **and** false when DK+ certainly did act (a 2xx answer whose body
    /// was unreadable — see [`Error::was_applied`]).
    ///
    /// A sync engine that gets `true` for an invoice POST must look the invoice up by its
    /// `Reference` before posting it again. [`Error::may_have_been_applied`] combines both checks.
    pub fn outcome_unknown(&self) -> bool {
        match self {
            Self::Timeout { phase, .. } | Self::Transport { phase, .. } => match phase {
                RequestPhase::Connect => false,
                RequestPhase::AwaitingResponse => true,
                RequestPhase::ReadingBody { status } => status.is_server_error(),
            },
            Self::Api { status, .. } | Self::ResponseTooLarge { status, .. } => {
                status.is_server_error()
            }
            Self::Decode { status, .. } => status.is_server_error(),
            _ => false,
        }
    }

    /// True when DK+ answered with a success status, so the write **was** carried out, but the
    /// answer could not be used: an unreadable or oversized body, a connection lost while reading
    /// it, or an invoice answer without a number. Never repeat such a write blindly.
    pub fn was_applied(&self) -> bool {
        match self {
            Self::Decode { status, .. } | Self::ResponseTooLarge { status, .. } => {
                status.is_success()
            }
            Self::Timeout { phase, .. } | Self::Transport { phase, .. } => {
                matches!(phase, RequestPhase::ReadingBody { status } if status.is_success())
            }
            Self::MissingInvoiceNumber { .. } => true,
            _ => false,
        }
    }

    /// [`Error::outcome_unknown`] or [`Error::was_applied`]: re-sending this write could create a
    /// duplicate, so check DK+ first.
    pub fn may_have_been_applied(&self) -> bool {
        self.outcome_unknown() || self.was_applied()
    }
}

/// Keeps at most [`Error::MAX_BODY_EXCERPT`] bytes of a body, cut on a character boundary;
/// `more_followed` says that the body went on past what was read.
pub(crate) fn body_excerpt(bytes: &[u8], more_followed: bool) -> String {
    let cut = bytes.len().min(Error::MAX_BODY_EXCERPT);
    let text = String::from_utf8_lossy(bytes.get(..cut).unwrap_or(bytes));
    let mut text = text.into_owned();
    // A multi-byte character split by the cut shows as U+FFFD at the end; drop it.
    if cut < bytes.len() {
        while text.ends_with('\u{FFFD}') {
            text.pop();
        }
        if more_followed {
            text.push_str(&format!(" … (more than {} bytes)", bytes.len()));
        } else {
            text.push_str(&format!(" … ({} bytes in total)", bytes.len()));
        }
    } else if more_followed {
        while text.ends_with('\u{FFFD}') {
            text.pop();
        }
        text.push_str(" … (cut: the rest was not read)");
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    fn api(status: u16, message: Option<&str>, body: &str) -> Error {
        Error::Api {
            method: "POST".into(),
            path: "/sales/invoice".into(),
            status: StatusCode::from_u16(status).unwrap(),
            message: message.map(str::to_owned),
            body: body.into(),
            retry_after: None,
        }
    }

    #[test]
    fn display_shows_status_and_message() {
        let e = api(
            400,
            Some("Item 'X' not found"),
            "{\"Message\":\"Item 'X' not found\"}",
        );
        assert_eq!(
            e.to_string(),
            "DK+ answered 400 Bad Request to POST /sales/invoice: Item 'X' not found"
        );
        let e = api(500, None, "<html>\n<body>Server Error</body></html>");
        assert_eq!(
            e.to_string(),
            "DK+ answered 500 Internal Server Error to POST /sales/invoice: <html> <body>Server Error</body></html>"
        );
        assert!(api(502, None, "").to_string().ends_with("(empty body)"));
    }

    #[test]
    fn classification() {
        assert!(api(503, None, "").is_retryable());
        assert!(!api(500, None, "").is_retryable());
        assert!(api(500, None, "").outcome_unknown());
        assert!(!api(400, None, "").outcome_unknown());
        let connect = Error::Transport {
            method: "POST".into(),
            path: "/x".into(),
            phase: RequestPhase::Connect,
            source: "refused".into(),
        };
        assert!(!connect.outcome_unknown());
        assert!(!connect.was_applied());
        let sent = Error::Timeout {
            method: "POST".into(),
            path: "/x".into(),
            phase: RequestPhase::AwaitingResponse,
        };
        assert!(sent.outcome_unknown());
        let decoded_ok = Error::Decode {
            method: "POST".into(),
            path: "/x".into(),
            status: StatusCode::OK,
            field_path: "Number".into(),
            reason: "bad".into(),
            body: String::new(),
        };
        assert!(!decoded_ok.outcome_unknown());
        assert!(decoded_ok.was_applied());
        assert!(decoded_ok.may_have_been_applied());
        let limited = Error::RateLimited {
            method: "GET".into(),
            path: "/x".into(),
            retry_after: Some(Duration::from_secs(3)),
            message: None,
            body: String::new(),
        };
        assert!(limited.is_retryable());
        assert_eq!(limited.retry_after(), Some(Duration::from_secs(3)));
        assert!(!limited.may_have_been_applied());
    }

    #[test]
    fn body_excerpts_are_bounded() {
        let long = "é".repeat(5000);
        let excerpt = body_excerpt(long.as_bytes(), false);
        assert!(excerpt.len() < Error::MAX_BODY_EXCERPT + 40);
        assert!(excerpt.ends_with("(10000 bytes in total)"));
        assert_eq!(body_excerpt(b"short", false), "short");
        let read = &long.as_bytes()[..Error::MAX_BODY_EXCERPT];
        assert!(body_excerpt(read, true).ends_with("é … (cut: the rest was not read)"));
    }

    #[test]
    fn transport_errors_show_their_causes() {
        #[derive(Debug, thiserror::Error)]
        #[error("error sending request")]
        struct Outer(#[source] std::io::Error);
        let err = Error::Transport {
            method: "GET".into(),
            path: "/company/connection".into(),
            phase: RequestPhase::Connect,
            source: Box::new(Outer(std::io::Error::new(
                std::io::ErrorKind::ConnectionRefused,
                "connection refused",
            ))),
        };
        assert_eq!(
            err.to_string(),
            "GET /company/connection to DK+ failed while connecting: error sending request: connection refused"
        );
        assert_eq!(err.method(), Some("GET"));
    }
}
