//! A DK+ call described as data: method, path segments, query and JSON body. Handlers build these;
//! the transport sends them (again, when retrying, from the same description).

use bytes::Bytes;
use http::{Method, StatusCode};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::error::{Error, Result, body_excerpt};
use crate::operations::Operation;

/// One call to DK+: a published [`Operation`] with its path arguments, query and body.
#[derive(Debug, Clone)]
pub(crate) struct ApiRequest {
    pub(crate) operation: &'static Operation,
    pub(crate) method: Method,
    /// Path below the base URL, one entry per segment, not yet percent-encoded.
    pub(crate) segments: Vec<String>,
    pub(crate) query: Vec<(&'static str, String)>,
    pub(crate) body: Option<Bytes>,
}

impl ApiRequest {
    /// A request for `operation`, its `{placeholders}` filled with `args` in order.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] when the number of arguments does not match the path (a bug in
    /// this crate, reported instead of sending a wrong path).
    pub(crate) fn to(operation: &'static Operation, args: &[&str]) -> Result<Self> {
        let segments = operation.segments(args).ok_or_else(|| {
            Error::invalid(
                "path",
                format!(
                    "{} takes other path arguments than {args:?}",
                    operation.path
                ),
            )
        })?;
        let method = Method::from_bytes(operation.method.as_bytes())
            .map_err(|e| Error::invalid("method", e.to_string()))?;
        Ok(Self {
            operation,
            method,
            segments,
            query: Vec::new(),
            body: None,
        })
    }

    pub(crate) fn query(mut self, key: &'static str, value: impl Into<String>) -> Self {
        self.query.push((key, value.into()));
        self
    }

    pub(crate) fn json_body<T: Serialize>(mut self, body: &T) -> Result<Self> {
        let bytes = serde_json::to_vec(body).map_err(|e| Error::invalid("body", e.to_string()))?;
        self.body = Some(Bytes::from(bytes));
        Ok(self)
    }

    /// The path below the API root, percent-encoded as it is sent (`/Customer/10%2F01`).
    pub(crate) fn encoded_path(&self) -> String {
        let Ok(mut url) = url::Url::parse("http://path.invalid/") else {
            return format!("/{}", self.segments.join("/"));
        };
        if let Ok(mut segments) = url.path_segments_mut() {
            segments.pop_if_empty();
            for segment in &self.segments {
                segments.push(segment);
            }
        }
        url.path().to_owned()
    }

    /// Refuses a query parameter the operation does not publish: DK+ would ignore it silently
    /// (an unfiltered listing instead of a filtered one).
    pub(crate) fn check_published(&self) -> Result<()> {
        self.unpublished_query()
    }

    fn unpublished_query(&self) -> Result<()> {
        match self
            .query
            .iter()
            .find(|(key, _)| !self.operation.takes_query(key))
        {
            Some((key, _)) => Err(Error::invalid(
                *key,
                format!(
                    "is not a query parameter DK+ publishes for {} {}; DK+ would ignore it",
                    self.operation.method, self.operation.path
                ),
            )),
            None => Ok(()),
        }
    }
}

/// A successful (2xx) answer.
#[derive(Debug, Clone)]
pub(crate) struct ApiResponse {
    pub(crate) method: Method,
    /// The percent-encoded path below the base URL, for messages.
    pub(crate) path: String,
    pub(crate) status: StatusCode,
    pub(crate) body: Bytes,
}

impl ApiResponse {
    /// Decodes the body, naming the JSON path of the first problem.
    pub(crate) fn json<T: DeserializeOwned>(&self) -> Result<T> {
        if self.body.iter().all(u8::is_ascii_whitespace) {
            return Err(self.decode_error(".".to_owned(), "the body is empty".to_owned()));
        }
        let mut de = serde_json::Deserializer::from_slice(&self.body);
        serde_path_to_error::deserialize(&mut de)
            .map_err(|e| self.decode_error(e.path().to_string(), e.inner().to_string()))
    }

    /// True when the body is empty or JSON `null`.
    pub(crate) fn is_empty(&self) -> bool {
        let text = String::from_utf8_lossy(&self.body);
        let trimmed = text.trim();
        trimmed.is_empty() || trimmed == "null"
    }

    fn decode_error(&self, field_path: String, reason: String) -> Error {
        Error::Decode {
            method: self.method.to_string(),
            path: self.path.clone(),
            status: self.status,
            field_path,
            reason,
            body: body_excerpt(&self.body, false),
        }
    }
}
