//! Injected failures for the fake DK+.

use std::time::Duration;

use http::{HeaderValue, StatusCode};

/// How an injected failure answers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    pub(crate) status: StatusCode,
    pub(crate) retry_after: Option<String>,
    pub(crate) body: FailureBody,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum FailureBody {
    Message(String),
    Html,
    Empty,
    Raw(String, String),
}

impl Failure {
    /// An answer with this status and a JSON `{"Message": ...}` body.
    pub fn status(status: u16) -> Self {
        let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        Self {
            status,
            retry_after: None,
            body: FailureBody::Message(format!(
                "Injected failure: {}",
                status.canonical_reason().unwrap_or("error")
            )),
        }
    }

    /// Adds a `Retry-After: <seconds>` header.
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

    /// Answers with this `Message` (DK+'s JSON error body).
    pub fn message(mut self, message: impl Into<String>) -> Self {
        self.body = FailureBody::Message(message.into());
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
}

impl From<u16> for Failure {
    fn from(status: u16) -> Self {
        Self::status(status)
    }
}

/// What happens to the next invoice `POST` with
/// [`store_then_fail_next_invoice`](super::FakeDkPlus::store_then_fail_next_invoice): the invoice
/// is stored, and then the answer is lost.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AfterStore {
    /// The answer is held back this long (longer than the client's timeout → the client times out
    /// after DK+ stored the invoice).
    Delay(Duration),
    /// A gateway error with this status (502 or 504) is returned instead of the invoice.
    Status(u16),
}

/// One queued fault.
#[derive(Debug, Clone)]
pub(crate) enum Fault {
    Fail(Failure),
    Delay(Duration),
}
