//! Configuration of a [`DkPlusClient`].

use std::sync::Arc;
use std::time::Duration;

use url::{Host, Url};

use super::retry::RetryPolicy;
use super::sleeper::{Sleeper, TokioSleeper};
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
pub const DEFAULT_MAX_BODY_BYTES: u64 = 16 * 1024 * 1024;

/// Builds a [`DkPlusClient`]. Only the token is required.
///
/// ```no_run
/// use std::time::Duration;
/// use dkplus_client::{DkPlusClient, RetryPolicy};
///
/// # fn main() -> dkplus_client::Result<()> {
/// let client = DkPlusClient::builder()
///     .token(std::env::var("DKPLUS_TOKEN").unwrap_or_default())
///     .timeout(Duration::from_secs(20))
///     .retry_policy(RetryPolicy::default().with_max_retries(5))
///     .min_request_interval(Duration::from_millis(250))
///     .build()?;
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
#[must_use = "call .build() to get a client"]
pub struct DkPlusClientBuilder {
    token: Option<ApiToken>,
    base_url: String,
    timeout: Duration,
    connect_timeout: Duration,
    user_agent: String,
    retry: RetryPolicy,
    max_body_bytes: u64,
    min_request_interval: Option<Duration>,
    allow_insecure_http: bool,
    sleeper: Arc<dyn Sleeper>,
}

impl Default for DkPlusClientBuilder {
    fn default() -> Self {
        Self {
            token: None,
            base_url: DEFAULT_BASE_URL.to_owned(),
            timeout: DEFAULT_TIMEOUT,
            connect_timeout: DEFAULT_CONNECT_TIMEOUT,
            user_agent: concat!("dkplus-client/", env!("CARGO_PKG_VERSION")).to_owned(),
            retry: RetryPolicy::default(),
            max_body_bytes: DEFAULT_MAX_BODY_BYTES,
            min_request_interval: None,
            allow_insecure_http: false,
            sleeper: Arc::new(TokioSleeper),
        }
    }
}

impl DkPlusClientBuilder {
    /// The API token (required).
    pub fn token(mut self, token: impl Into<ApiToken>) -> Self {
        self.token = Some(token.into());
        self
    }

    /// The API root, default `https://api.dkplus.is/api/v1`. Must be `https` unless the host is
    /// loopback or [`danger_accept_insecure_http`](Self::danger_accept_insecure_http) is set.
    pub fn base_url(mut self, base_url: impl Into<String>) -> Self {
        self.base_url = base_url.into();
        self
    }

    /// Limit for one attempt, from connecting to the last body byte (default 30 s).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Limit for establishing a connection (default 10 s, never more than the timeout).
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// The `User-Agent` header (default `dkplus-client/<version>`).
    pub fn user_agent(mut self, user_agent: impl Into<String>) -> Self {
        self.user_agent = user_agent.into();
        self
    }

    /// How failed requests are retried (default [`RetryPolicy::default`]).
    pub fn retry_policy(mut self, policy: RetryPolicy) -> Self {
        self.retry = policy;
        self
    }

    /// Largest answer body accepted (default 16 MiB). A larger answer is refused with
    /// [`Error::BodyTooLarge`] without reading it whole.
    pub fn max_body_bytes(mut self, limit: u64) -> Self {
        self.max_body_bytes = limit;
        self
    }

    /// Spaces requests (including retries, across all clones of the client) at least this far
    /// apart. Off by default; DK+ publishes no limits, and 250 ms is a polite choice for bulk work.
    pub fn min_request_interval(mut self, interval: Duration) -> Self {
        self.min_request_interval = (!interval.is_zero()).then_some(interval);
        self
    }

    /// Allows a plain-`http` base URL on a non-loopback host, which sends the token unencrypted.
    /// Only for test rigs on private networks.
    pub fn danger_accept_insecure_http(mut self, accept: bool) -> Self {
        self.allow_insecure_http = accept;
        self
    }

    /// Replaces how the client waits between retries and for the throttle (tests use this to
    /// record delays instead of waiting them).
    pub fn sleeper(mut self, sleeper: impl Sleeper) -> Self {
        self.sleeper = Arc::new(sleeper);
        self
    }

    /// Builds the client.
    ///
    /// # Errors
    /// [`Error::Config`] when the token is missing or unusable, the base URL does not parse, is
    /// not `http(s)`, or is plain `http` on a non-loopback host without
    /// [`danger_accept_insecure_http`](Self::danger_accept_insecure_http).
    pub fn build(self) -> Result<DkPlusClient> {
        let token = self.token.ok_or_else(|| {
            Error::config("no API token given (DkPlusClient::builder().token(..))")
        })?;
        let auth_header = token.header_value().map_err(Error::config)?;
        let base_url = parse_base_url(&self.base_url, self.allow_insecure_http)?;
        if self.timeout.is_zero() {
            return Err(Error::config("the timeout must be longer than zero"));
        }
        let http = reqwest::Client::builder()
            .timeout(self.timeout)
            .connect_timeout(self.connect_timeout.min(self.timeout))
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
                max_body_bytes: self.max_body_bytes,
                throttle: self.min_request_interval.map(Throttle::new),
                sleeper: self.sleeper,
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
                "base URL {trimmed:?} is plain http on a non-loopback host, which would send the token unencrypted; use https (or danger_accept_insecure_http(true) for a private test rig)"
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
                .danger_accept_insecure_http(true)
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
