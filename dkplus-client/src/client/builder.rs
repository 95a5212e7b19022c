//! Configuration of a [`DkPlusClient`].

use std::sync::Arc;
use std::time::Duration;

use url::{Host, Url};

use super::retry::{DEFAULT_MAX_RETRY_AFTER, ExponentialBuilder, default_policy};
use super::throttle::Throttle;
use super::token::ApiToken;
use super::{DkPlusClient, Inner};
use crate::error::{Error, Result};

/// DK+'s production API root.
pub const DEFAULT_BASE_URL: &str = "https://api.dkplus.is/api/v1";
/// Default limit for one request, connect to last body byte.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);
/// Default limit for establishing a connection.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// Default largest answer body read into memory.
pub const DEFAULT_MAX_RESPONSE_BYTES: u64 = 16 * 1024 * 1024;

/// Builds a [`DkPlusClient`]. Only the token is required.
///
/// ```no_run
/// use std::time::Duration;
/// use dkplus_client::{DkPlusClient, ExponentialBuilder};
///
/// # fn main() -> dkplus_client::Result<()> {
/// let client = DkPlusClient::builder()
///     .token(std::env::var("DKPLUS_TOKEN").unwrap_or_default())
///     .timeout(Duration::from_secs(20))
///     .retry_policy(ExponentialBuilder::default().with_max_times(5).with_jitter())
///     .min_request_interval(Duration::from_millis(250))
///     .build()?;
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
#[must_use = "call .build() to get a client"]
pub struct DkPlusClientBuilder {
    token: Option<ApiToken>,
    base_url: String,
    timeout: Option<Duration>,
    connect_timeout: Option<Duration>,
    user_agent: String,
    retry: ExponentialBuilder,
    max_retry_after: Duration,
    max_response_bytes: u64,
    min_request_interval: Option<Duration>,
    allow_insecure_http: bool,
}

impl Default for DkPlusClientBuilder {
    fn default() -> Self {
        Self {
            token: None,
            base_url: DEFAULT_BASE_URL.to_owned(),
            timeout: Some(DEFAULT_TIMEOUT),
            connect_timeout: Some(DEFAULT_CONNECT_TIMEOUT),
            user_agent: concat!("dkplus-client/", env!("CARGO_PKG_VERSION")).to_owned(),
            retry: default_policy(),
            max_retry_after: DEFAULT_MAX_RETRY_AFTER,
            max_response_bytes: DEFAULT_MAX_RESPONSE_BYTES,
            min_request_interval: None,
            allow_insecure_http: false,
        }
    }
}

impl DkPlusClientBuilder {
    crate::shared::common_builder_settings!();

    /// The API token (required).
    pub fn token(mut self, token: impl Into<ApiToken>) -> Self {
        self.token = Some(token.into());
        self
    }

    /// The API root, default `https://api.dkplus.is/api/v1`. Must be `https` unless the host is
    /// loopback or [`allow_insecure_http`](Self::allow_insecure_http) is set.
    pub fn base_url(mut self, base_url: impl Into<String>) -> Self {
        self.base_url = base_url.into();
        self
    }

    /// The `User-Agent` header (default `dkplus-client/<version>`).
    pub fn user_agent(mut self, user_agent: impl Into<String>) -> Self {
        self.user_agent = user_agent.into();
        self
    }

    /// Spaces requests (including retries, across all clones of the client) at least this far
    /// apart. Off by default; DK+ publishes no limits, and 250 ms is a polite choice for bulk work.
    pub fn min_request_interval(mut self, interval: Duration) -> Self {
        self.min_request_interval = (!interval.is_zero()).then_some(interval);
        self
    }

    /// Builds the client.
    ///
    /// # Errors
    /// [`Error::Config`] when the token is missing or unusable, the base URL does not parse, is
    /// not `http(s)`, or is plain `http` on a non-loopback host without
    /// [`allow_insecure_http`](Self::allow_insecure_http).
    pub fn build(self) -> Result<DkPlusClient> {
        let token = self.token.ok_or_else(|| {
            Error::config("no API token given (DkPlusClient::builder().token(..))")
        })?;
        let auth_header = token.header_value().map_err(Error::config)?;
        let base_url = parse_base_url(&self.base_url, self.allow_insecure_http)?;
        if self.timeout.is_some_and(|t| t.is_zero()) {
            return Err(Error::config("the timeout must be longer than zero"));
        }
        let mut http = reqwest::Client::builder();
        match self.timeout {
            Some(timeout) => http = http.timeout(timeout),
            // On a paused clock no timer may run: idle connections are kept without one.
            None => http = http.pool_idle_timeout(None),
        }
        if let Some(connect) = self.connect_timeout {
            http = http.connect_timeout(self.timeout.map_or(connect, |t| connect.min(t)));
        }
        let http = http
            .user_agent(self.user_agent.clone())
            // Never carry the token to another host: redirects are answered as errors.
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| Error::config(format!("could not set up the HTTP client: {e}")))?;
        Ok(DkPlusClient {
            inner: Arc::new(Inner {
                http,
                auth_header,
                base_url,
                timeout: self.timeout,
                user_agent: self.user_agent,
                retry: self.retry,
                max_retry_after: self.max_retry_after,
                max_response_bytes: self.max_response_bytes,
                throttle: self.min_request_interval.map(Throttle::new),
            }),
        })
    }
}

fn parse_base_url(raw: &str, allow_insecure_http: bool) -> Result<Url> {
    let trimmed = raw.trim().trim_end_matches('/');
    let url = Url::parse(trimmed)
        .map_err(|e| Error::config(format!("base URL {trimmed:?} does not parse: {e}")))?;
    if url.query().is_some() || url.fragment().is_some() {
        return Err(Error::config(format!(
            "base URL {trimmed:?} must not have a query or fragment"
        )));
    }
    if url.cannot_be_a_base() {
        return Err(Error::config(format!(
            "base URL {trimmed:?} is not a base URL"
        )));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(Error::config(
            "base URL must not contain credentials; pass the token with .token(..)",
        ));
    }
    match url.scheme() {
        "https" => {}
        "http" if allow_insecure_http || is_loopback(&url) => {}
        "http" => {
            return Err(Error::config(format!(
                "base URL {trimmed:?} is plain http on a non-loopback host, which would send the token unencrypted; use https (or allow_insecure_http(true) for a private test rig)"
            )));
        }
        other => {
            return Err(Error::config(format!(
                "base URL scheme must be https, not {other:?}"
            )));
        }
    }
    Ok(url)
}

fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(Host::Ipv4(ip)) => ip.is_loopback(),
        Some(Host::Ipv6(ip)) => ip.is_loopback(),
        Some(Host::Domain(name)) => name.eq_ignore_ascii_case("localhost"),
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config_reason(result: Result<DkPlusClient>) -> String {
        match result {
            Err(Error::Config { reason }) => reason,
            other => panic!("expected a config error, got {other:?}"),
        }
    }

    #[test]
    fn https_and_loopback_http_are_accepted() {
        for url in [
            "https://api.dkplus.is/api/v1",
            "https://api.dkplus.is/api/v1/",
            "http://127.0.0.1:8080/api/v1",
            "http://[::1]:8080/api/v1",
            "http://localhost/api/v1",
        ] {
            assert!(
                DkPlusClient::builder()
                    .token("t")
                    .base_url(url)
                    .build()
                    .is_ok(),
                "{url}"
            );
        }
    }

    #[test]
    fn insecure_or_odd_urls_are_refused() {
        let reason = config_reason(
            DkPlusClient::builder()
                .token("t")
                .base_url("http://dk.example.com/api/v1")
                .build(),
        );
        assert!(reason.contains("plain http"), "{reason}");
        assert!(
            DkPlusClient::builder()
                .token("t")
                .base_url("http://dk.example.com/api/v1")
                .allow_insecure_http(true)
                .build()
                .is_ok()
        );
        for url in [
            "ftp://x/api",
            "not a url",
            "https://u:p@x/api",
            "https://x/api?a=1",
        ] {
            config_reason(DkPlusClient::builder().token("t").base_url(url).build());
        }
    }

    #[test]
    fn token_is_required_and_checked() {
        assert!(config_reason(DkPlusClient::builder().build()).contains("token"));
        let reason = config_reason(DkPlusClient::builder().token("bad\ntoken-secret").build());
        assert!(!reason.contains("secret"));
    }

    #[test]
    fn debug_output_never_shows_the_token() {
        let builder = DkPlusClient::builder().token("super-secret-token");
        assert!(!format!("{builder:?}").contains("super-secret-token"));
        let client = builder.build().unwrap();
        let debug = format!("{client:?}");
        assert!(!debug.contains("super-secret-token"), "{debug}");
        assert!(debug.contains("api.dkplus.is"));
    }
}
