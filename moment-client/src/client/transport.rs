//! Sending one request: URL building, Basic auth, retries, the body size limit, error mapping
//! and tracing. Nothing here ever formats the API key.

use std::time::SystemTime;

use backon::Retryable;
use bytes::Bytes;
use reqwest::header::{CONTENT_TYPE, LOCATION, RETRY_AFTER};
use reqwest::{Method, Response, StatusCode};
use secrecy::ExposeSecret;
use serde::de::DeserializeOwned;
use tracing::Instrument;
use url::Url;

use crate::client::MomentClient;
use crate::error::{ApiError, Error, Result};
use crate::retry::{parse_retry_after, retry_delay};
use crate::shared::{self, BodyError, ERROR_BODY_READ, read_excerpt};

/// A request, described as data: a read (sent again on retry) or a write with a JSON body
/// (never sent again by the client: the caller decides, after checking).
#[derive(Debug, Clone)]
pub(crate) struct Request {
    segments: Vec<String>,
    query: Vec<(String, String)>,
    body: Option<Bytes>,
}

/// A successful response body.
pub(crate) struct Fetched {
    pub(crate) body: Bytes,
    pub(crate) content_type: Option<String>,
}

impl Request {
    pub(crate) fn get(segments: &[&str], query: Vec<(String, String)>) -> Self {
        Self {
            segments: segments.iter().map(|s| (*s).to_owned()).collect(),
            query,
            body: None,
        }
    }

    /// A `POST` of `body` as JSON.
    pub(crate) fn post_json(segments: &[&str], body: &impl serde::Serialize) -> Result<Self> {
        let body = serde_json::to_vec(body).map_err(|e| Error::Config {
            setting: "request body",
            reason: format!("it could not be written as JSON: {e}"),
        })?;
        Ok(Self {
            segments: segments.iter().map(|s| (*s).to_owned()).collect(),
            query: Vec::new(),
            body: Some(Bytes::from(body)),
        })
    }

    pub(crate) fn method(&self) -> &'static str {
        if self.body.is_some() { "POST" } else { "GET" }
    }

    fn http_method(&self) -> Method {
        if self.body.is_some() {
            Method::POST
        } else {
            Method::GET
        }
    }

    /// Path and query relative to the company base URL, for errors and logs.
    pub(crate) fn display_path(&self) -> String {
        let mut path = String::new();
        for s in &self.segments {
            path.push('/');
            path.extend(url::form_urlencoded::byte_serialize(s.as_bytes()));
        }
        if !self.query.is_empty() {
            let query = url::form_urlencoded::Serializer::new(String::new())
                .extend_pairs(&self.query)
                .finish();
            path.push('?');
            path.push_str(&query);
        }
        path
    }

    fn url(&self, base: &Url) -> Url {
        let mut url = base.clone();
        if let Ok(mut path) = url.path_segments_mut() {
            path.pop_if_empty().extend(&self.segments);
        }
        if !self.query.is_empty() {
            url.query_pairs_mut().extend_pairs(&self.query);
        }
        url
    }
}

impl MomentClient {
    /// Sends `request` with retries and returns the body of a 2xx answer.
    pub(crate) async fn fetch(&self, request: &Request) -> Result<Fetched> {
        let path = request.display_path();
        let span = tracing::debug_span!("moment.request", method = request.method(), path = %path);
        let inner = &self.inner;
        let mut attempt = 0u32;
        let send = || {
            attempt += 1;
            self.attempt(request, attempt)
        };
        send.retry(inner.retry)
            // A write is never sent again here (`retry_delay` retries only idempotent methods).
            .adjust(|error, backoff| {
                retry_delay(&request.http_method(), error, backoff, inner.max_retry_after)
            })
            .notify(|error, delay| {
                crate::shared::record_retry("moment");
                tracing::warn!(%error, delay_ms = delay.as_millis() as u64, "retrying Moment request");
            })
            .instrument(span)
            .await
    }

    /// Sends `request` and decodes the JSON answer; a 404 becomes `None`.
    pub(crate) async fn get_optional<T: DeserializeOwned>(
        &self,
        request: &Request,
    ) -> Result<Option<T>> {
        match self.fetch(request).await {
            Ok(fetched) => decode(request, &fetched).map(Some),
            Err(e) if e.is_not_found() => Ok(None),
            Err(e) => Err(e),
        }
    }

    async fn attempt(&self, request: &Request, attempt: u32) -> Result<Fetched> {
        let inner = &self.inner;
        let started = std::time::Instant::now();
        let mut builder = inner
            .http
            .request(request.http_method(), request.url(&inner.base_url))
            .basic_auth("apikey", Some(inner.api_key.expose_secret()));
        if let Some(body) = &request.body {
            builder = builder
                .header(CONTENT_TYPE, "application/json")
                .body(body.clone());
        }
        let response = builder.send().await;
        crate::shared::record_attempt(
            "moment",
            started,
            response.as_ref().ok().map(|r| r.status().as_u16()),
        );
        let response = response.map_err(|source| transport(request, source))?;
        let status = response.status();
        tracing::debug!(attempt, status = status.as_u16(), "Moment answered");
        let content_type = response
            .headers()
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        if status.is_success() {
            let body = read_limited(response, inner.max_response_bytes, request).await?;
            return Ok(Fetched { body, content_type });
        }
        if status.is_redirection() {
            return Err(Error::Redirect {
                method: request.method().to_owned(),
                path: request.display_path(),
                status: status.as_u16(),
                location: response
                    .headers()
                    .get(LOCATION)
                    .and_then(|v| v.to_str().ok())
                    .map(str::to_owned),
            });
        }
        Err(api_error(request, status, content_type, response).await)
    }
}

fn transport(request: &Request, source: reqwest::Error) -> Error {
    let (method, path) = (request.method().to_owned(), request.display_path());
    if source.is_timeout() {
        return Error::Timeout { method, path };
    }
    if source.is_redirect() || source.is_builder() {
        return Error::Request {
            method,
            path,
            source: Box::new(source.without_url()),
        };
    }
    Error::Transport {
        method,
        path,
        source: Box::new(source.without_url()),
    }
}

/// Reads a success body under `limit` (see [`shared::read_limited`]), as this crate's errors.
async fn read_limited(response: Response, limit: u64, request: &Request) -> Result<Bytes> {
    shared::read_limited(response, limit)
        .await
        .map_err(|error| match error {
            BodyError::TooLarge { declared } => Error::ResponseTooLarge {
                method: request.method().to_owned(),
                path: request.display_path(),
                limit,
                declared,
            },
            BodyError::Read(e) => transport(request, e),
            BodyError::Other(source) => Error::Transport {
                method: request.method().to_owned(),
                path: request.display_path(),
                source,
            },
        })
}

/// Builds the error of a non-success answer, keeping the start of the body whatever its format.
async fn api_error(
    request: &Request,
    status: StatusCode,
    content_type: Option<String>,
    response: Response,
) -> Error {
    let retry_after = response
        .headers()
        .get(RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| parse_retry_after(v, SystemTime::now()));
    // Read only as far as a message can reach (a large error page is never buffered); keep a
    // 4 KiB excerpt of it.
    let (raw, more) = read_excerpt(response, ERROR_BODY_READ).await;
    let message = if more { None } else { json_message(&raw) };
    let kept = raw.get(..Error::MAX_BODY_EXCERPT).unwrap_or(&raw);
    let truncated = more || kept.len() < raw.len();
    let mut body = String::from_utf8_lossy(kept).into_owned();
    if truncated {
        // A character cut in two shows as U+FFFD at the end; drop it.
        while body.ends_with('\u{FFFD}') {
            body.pop();
        }
    }
    Error::Api(Box::new(ApiError {
        status: status.as_u16(),
        method: request.method().to_owned(),
        path: request.display_path(),
        message,
        body,
        body_truncated: truncated,
        content_type,
        retry_after,
    }))
}

/// The human message of a JSON error body (`message`, `error_description`, `detail`, `error`,
/// `title`), if the body is JSON and has one.
fn json_message(raw: &[u8]) -> Option<String> {
    let value: serde_json::Value = serde_json::from_slice(raw).ok()?;
    let object = value.as_object()?;
    ["message", "error_description", "detail", "error", "title"]
        .iter()
        .find_map(|key| match object.get(*key)? {
            serde_json::Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_owned()),
            _ => None,
        })
}

/// Decodes a JSON body, naming the field that failed.
pub(crate) fn decode<T: DeserializeOwned>(request: &Request, fetched: &Fetched) -> Result<T> {
    let failed = |field: String, source: serde_json::Error| Error::Decode {
        method: request.method().to_owned(),
        path: request.display_path(),
        field,
        content_type: fetched.content_type.clone(),
        source,
    };
    let mut de = serde_json::Deserializer::from_slice(&fetched.body);
    let value = serde_path_to_error::deserialize(&mut de)
        .map_err(|e| failed(e.path().to_string(), e.into_inner()))?;
    de.end().map_err(|e| failed(".".to_owned(), e))?;
    Ok(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_and_display_paths_escape_segments_and_keep_the_query() {
        let base = Url::parse("https://h/api/1.0/companies/acme").unwrap();
        let r = Request::get(
            &["customers", "5"],
            vec![
                ("query".into(), "a&b c".into()),
                ("page".into(), "0".into()),
            ],
        );
        assert_eq!(
            r.url(&base).as_str(),
            "https://h/api/1.0/companies/acme/customers/5?query=a%26b+c&page=0"
        );
        assert_eq!(r.display_path(), "/customers/5?query=a%26b+c&page=0");
    }

    #[test]
    fn json_messages() {
        assert_eq!(
            json_message(br#"{"error":"Not Found","message":"No invoice 5"}"#).as_deref(),
            Some("No invoice 5")
        );
        assert_eq!(json_message(br#"{"error":"Bad"}"#).as_deref(), Some("Bad"));
        assert_eq!(json_message(br#"{"message":"  "}"#), None);
        assert_eq!(json_message(b"<html>"), None);
    }
}
