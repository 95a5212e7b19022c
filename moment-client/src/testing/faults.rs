//! Injected faults: failed answers and delays for the next requests.

use std::time::Duration;

use reqwest::header::HeaderValue;
use wiremock::ResponseTemplate;

/// An injected failure: the status, optional `Retry-After`, and the body format.
///
/// ```
/// use moment_client::testing::Failure;
/// let throttled = Failure::status(429).retry_after_secs(2);
/// let proxy_error = Failure::status(502).html();
/// # let _ = (throttled, proxy_error);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    status: u16,
    retry_after: Option<String>,
    body: FailureBody,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum FailureBody {
    Json(Option<String>),
    Html,
    Empty,
    Raw(String, String),
}

impl Failure {
    /// A failure with this status and a small JSON body (`{"status", "error", "message"}`).
    /// A status outside 100–999 cannot be sent and is served as 500.
    pub fn status(status: u16) -> Self {
        let status = if (100..=999).contains(&status) {
            status
        } else {
            500
        };
        Self {
            status,
            retry_after: None,
            body: FailureBody::Json(None),
        }
    }

    /// Adds `Retry-After: <secs>`.
    pub fn retry_after_secs(mut self, secs: u64) -> Self {
        self.retry_after = Some(secs.to_string());
        self
    }

    /// Adds a `Retry-After` header with this exact value (e.g. an HTTP date). A value that
    /// cannot be a header (a line break, ...) is not sent.
    pub fn retry_after(mut self, value: impl Into<String>) -> Self {
        let value = value.into();
        self.retry_after = HeaderValue::from_str(&value).is_ok().then_some(value);
        self
    }

    /// Answers with an HTML error page, as a proxy or load balancer would.
    pub fn html(mut self) -> Self {
        self.body = FailureBody::Html;
        self
    }

    /// Answers with an empty body.
    pub fn empty(mut self) -> Self {
        self.body = FailureBody::Empty;
        self
    }

    /// Answers with this `message` in the JSON error body.
    pub fn message(mut self, message: impl Into<String>) -> Self {
        self.body = FailureBody::Json(Some(message.into()));
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

    pub(crate) fn template(&self) -> ResponseTemplate {
        let mut t = ResponseTemplate::new(self.status);
        if let Some(retry_after) = &self.retry_after {
            t = t.insert_header("Retry-After", retry_after.as_str());
        }
        match &self.body {
            FailureBody::Json(message) => t.set_body_raw(
                serde_json::json!({
                    "status": self.status,
                    "error": "Injected failure",
                    "message": message.clone().unwrap_or_else(|| {
                        format!("Injected failure with HTTP {}", self.status)
                    }),
                })
                .to_string(),
                "application/json",
            ),
            FailureBody::Html => t.set_body_raw(
                format!(
                    "<!DOCTYPE html>\n<html><head><title>{0} Error</title></head>\
                     <body><h1>{0} Error</h1><p>The server could not handle the \
                     request.</p></body></html>",
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
    Fail(Failure),
    Delay(Duration),
}
