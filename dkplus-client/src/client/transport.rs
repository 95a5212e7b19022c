//! Sending an [`ApiRequest`]: throttle, attempt, classify, retry; bounded body reading; tracing.

use std::time::{Duration, SystemTime};

use backon::Retryable;
use bytes::Bytes;
use http::header::{ACCEPT, AUTHORIZATION, CONTENT_TYPE, LOCATION, RETRY_AFTER};
use http::{HeaderMap, Method, StatusCode};
use tracing::Instrument;
use url::Url;

use super::DkPlusClient;
use super::request::{ApiRequest, ApiResponse};
use super::retry::{parse_retry_after, retry_delay};
use crate::error::{Error, RequestPhase, Result, body_excerpt};
use crate::shared::{self, BodyError, ERROR_BODY_READ, read_excerpt};

/// What one attempt produced: an answer with any status, or an error without one.
struct Answer {
    status: StatusCode,
    headers: HeaderMap,
    /// The whole body of a success; of any other answer only its start.
    body: Bytes,
    /// More of an unsuccessful answer's body followed and was not read.
    cut: bool,
}

impl DkPlusClient {
    /// Sends the request (retrying as the policy allows) and returns the 2xx answer; any other
    /// status becomes an [`Error`].
    pub(crate) async fn execute(&self, request: &ApiRequest) -> Result<ApiResponse> {
        let url = self.url_for(request)?;
        let path = self.display_path(&url);
        let span = tracing::info_span!(
            "dkplus.request",
            method = %request.method,
            path = %path,
            attempt = tracing::field::Empty,
            status = tracing::field::Empty,
        );
        self.execute_with_retries(request, url, path)
            .instrument(span)
            .await
    }

    /// Like [`execute`](Self::execute), but a 404 that means "no such record" is `Ok(None)`.
    /// A 404 that means "no such endpoint" (an HTML page, or ASP.NET's "No HTTP resource was
    /// found" — a wrong base URL) stays an error, so a misconfiguration never reads as "missing".
    pub(crate) async fn execute_optional(
        &self,
        request: &ApiRequest,
    ) -> Result<Option<ApiResponse>> {
        match self.execute(request).await {
            Ok(response) => Ok(Some(response)),
            Err(Error::NotFound { message, body, .. })
                if !is_route_miss(message.as_deref(), &body) =>
            {
                Ok(None)
            }
            Err(other) => Err(other),
        }
    }

    async fn execute_with_retries(
        &self,
        request: &ApiRequest,
        url: Url,
        path: String,
    ) -> Result<ApiResponse> {
        let inner = &self.inner;
        let span = tracing::Span::current();
        let mut attempt: u32 = 0;
        let send = || {
            attempt += 1;
            span.record("attempt", attempt);
            self.attempt_once(request, url.clone(), &path)
        };
        send.retry(inner.retry)
            .adjust(|error, backoff| {
                retry_delay(&request.method, error, backoff, inner.max_retry_after)
            })
            .notify(|error, delay| {
                crate::shared::record_retry("dkplus");
                tracing::info!(error = %error, delay_ms = delay.as_millis() as u64, "retrying DK+ request");
            })
            .await
    }

    /// One attempt: waits for the throttle, sends, and turns the answer into a response or an
    /// error.
    async fn attempt_once(
        &self,
        request: &ApiRequest,
        url: Url,
        path: &str,
    ) -> Result<ApiResponse> {
        if let Some(throttle) = &self.inner.throttle {
            throttle.wait().await;
        }
        let started = std::time::Instant::now();
        let answer = self.attempt(request, url, path).await;
        crate::shared::record_attempt(
            "dkplus",
            started,
            answer.as_ref().ok().map(|a| a.status.as_u16()),
        );
        let answer = answer?;
        tracing::Span::current().record("status", answer.status.as_u16());
        if !answer.status.is_success() {
            let retry_after = answer
                .headers
                .get(RETRY_AFTER)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| parse_retry_after(v, SystemTime::now()));
            return Err(status_error(&request.method, path, answer, retry_after));
        }
        tracing::debug!(
            status = answer.status.as_u16(),
            bytes = answer.body.len(),
            "DK+ answered"
        );
        Ok(ApiResponse {
            method: request.method.clone(),
            path: path.to_owned(),
            status: answer.status,
            body: answer.body,
        })
    }

    async fn attempt(&self, request: &ApiRequest, url: Url, path: &str) -> Result<Answer> {
        let inner = &self.inner;
        let method_name = request.method.to_string();
        let mut builder = inner
            .http
            .request(request.method.clone(), url)
            .header(AUTHORIZATION, inner.auth_header.clone())
            .header(ACCEPT, "application/json");
        if let Some(body) = &request.body {
            builder = builder
                .header(CONTENT_TYPE, "application/json")
                .body(body.clone());
        }
        let response = builder
            .send()
            .await
            .map_err(|e| transport_error(&method_name, path, e, None))?;
        let status = response.status();
        let headers = response.headers().clone();
        if !status.is_success() {
            // An error answer is read only as far as its message can reach: a 16 MiB HTML error
            // page is never buffered to keep 4 KiB of it.
            let (body, cut) = read_excerpt(response, ERROR_BODY_READ).await;
            return Ok(Answer {
                status,
                headers,
                body,
                cut,
            });
        }
        let body = read_limited(response, inner.max_response_bytes, &method_name, path).await?;
        Ok(Answer {
            status,
            headers,
            body,
            cut: false,
        })
    }

    fn url_for(&self, request: &ApiRequest) -> Result<Url> {
        request.check_published()?;
        let mut url = self.inner.base_url.clone();
        {
            let mut segments = url
                .path_segments_mut()
                .map_err(|()| Error::config("base URL cannot take a path"))?;
            segments.pop_if_empty();
            for segment in &request.segments {
                segments.push(segment);
            }
        }
        if !request.query.is_empty() {
            let mut pairs = url.query_pairs_mut();
            for (key, value) in &request.query {
                pairs.append_pair(key, value);
            }
        }
        Ok(url)
    }

    /// The request path below the base URL (percent-encoded, without the query).
    fn display_path(&self, url: &Url) -> String {
        let base = self.inner.base_url.path().trim_end_matches('/');
        let full = url.path();
        full.strip_prefix(base).unwrap_or(full).to_owned()
    }
}

/// Reads a success body under `limit` (see [`shared::read_limited`]), as this crate's errors.
async fn read_limited(
    response: reqwest::Response,
    limit: u64,
    method: &str,
    path: &str,
) -> Result<Bytes> {
    let status = response.status();
    shared::read_limited(response, limit)
        .await
        .map_err(|error| match error {
            BodyError::TooLarge { declared } => Error::ResponseTooLarge {
                method: method.to_owned(),
                path: path.to_owned(),
                status,
                limit,
                declared,
            },
            BodyError::Read(e) => transport_error(method, path, e, Some(status)),
            BodyError::Other(source) => Error::Transport {
                method: method.to_owned(),
                path: path.to_owned(),
                phase: RequestPhase::ReadingBody { status },
                source,
            },
        })
}

fn transport_error(
    method: &str,
    path: &str,
    error: reqwest::Error,
    status: Option<StatusCode>,
) -> Error {
    let phase = match status {
        Some(status) => RequestPhase::ReadingBody { status },
        None if error.is_connect() || error.is_builder() => RequestPhase::Connect,
        None => RequestPhase::AwaitingResponse,
    };
    if error.is_timeout() {
        return Error::Timeout {
            method: method.to_owned(),
            path: path.to_owned(),
            phase,
        };
    }
    Error::Transport {
        method: method.to_owned(),
        path: path.to_owned(),
        phase,
        source: Box::new(error.without_url()),
    }
}

/// Maps a non-2xx answer to the matching error variant.
fn status_error(
    method: &Method,
    path: &str,
    answer: Answer,
    retry_after: Option<Duration>,
) -> Error {
    let body = body_excerpt(&answer.body, answer.cut);
    let mut message = dk_message(&answer.body);
    let method = method.to_string();
    let path = path.to_owned();
    match answer.status {
        StatusCode::UNAUTHORIZED => Error::Unauthorized {
            method,
            path,
            message,
            body,
        },
        StatusCode::NOT_FOUND => Error::NotFound {
            method,
            path,
            message,
            body,
        },
        StatusCode::TOO_MANY_REQUESTS => Error::RateLimited {
            method,
            path,
            retry_after,
            message,
            body,
        },
        status => {
            if status.is_redirection() && message.is_none() {
                let target = answer
                    .headers
                    .get(LOCATION)
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or("an unnamed location");
                message = Some(format!(
                    "redirect to {target} not followed (the token is never sent to another address); check the base URL"
                ));
            }
            Error::Api {
                method,
                path,
                status,
                message,
                body,
                retry_after,
            }
        }
    }
}

/// DK+'s error text: ASP.NET's `Message`, plus `ExceptionMessage` and `ModelState` details when
/// present.
pub(crate) fn dk_message(body: &[u8]) -> Option<String> {
    let value: serde_json::Value = serde_json::from_slice(body).ok()?;
    let object = value.as_object()?;
    let text = |key: &str| {
        object
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(key))
            .and_then(|(_, v)| v.as_str())
            .map(str::trim)
            .filter(|s| !s.is_empty())
    };
    let mut parts: Vec<String> = Vec::new();
    if let Some(message) = text("Message") {
        parts.push(message.to_owned());
    }
    if let Some(detail) = text("ExceptionMessage") {
        parts.push(detail.to_owned());
    }
    if let Some(state) = object.get("ModelState").and_then(|v| v.as_object()) {
        for (field, problems) in state {
            let problems: Vec<&str> = match problems {
                serde_json::Value::Array(items) => {
                    items.iter().filter_map(|p| p.as_str()).collect()
                }
                serde_json::Value::String(s) => vec![s.as_str()],
                _ => Vec::new(),
            };
            if !problems.is_empty() {
                parts.push(format!("{field}: {}", problems.join("; ")));
            }
        }
    }
    (!parts.is_empty()).then(|| parts.join(" — "))
}

/// True for a 404 that names a missing endpoint rather than a missing record.
fn is_route_miss(message: Option<&str>, body: &str) -> bool {
    let html = body.trim_start().starts_with('<');
    let no_route = message.is_some_and(|m| m.starts_with("No HTTP resource was found"));
    html || no_route
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_are_read_from_aspnet_bodies() {
        assert_eq!(
            dk_message(br#"{"Message":"Cannot be deleted!"}"#).as_deref(),
            Some("Cannot be deleted!")
        );
        assert_eq!(
            dk_message(br#"{"Message":"The request is invalid.","ModelState":{"model.Lines[0].Quantity":["Bad number"]}}"#).as_deref(),
            Some("The request is invalid. — model.Lines[0].Quantity: Bad number")
        );
        assert_eq!(
            dk_message(
                br#"{"Message":"An error has occurred.","ExceptionMessage":"Item X not found"}"#
            )
            .as_deref(),
            Some("An error has occurred. — Item X not found")
        );
        assert_eq!(dk_message(b"<html>oops</html>"), None);
        assert_eq!(dk_message(b""), None);
        assert_eq!(dk_message(b"[1,2]"), None);
    }

    #[test]
    fn route_misses_are_told_apart_from_missing_records() {
        assert!(is_route_miss(
            Some("No HTTP resource was found that matches the request URI"),
            ""
        ));
        assert!(is_route_miss(None, "<!DOCTYPE html><html>404</html>"));
        assert!(!is_route_miss(None, ""));
        assert!(!is_route_miss(
            Some("Customer not found"),
            "{\"Message\":\"Customer not found\"}"
        ));
    }
}
