//! [`MomentClientBuilder`]: every setting of a [`MomentClient`], checked once at `build()`.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use reqwest::header::{ACCEPT, HeaderMap, HeaderValue};
use secrecy::{ExposeSecret, SecretString};
use url::{Host, Url};

use crate::client::{Inner, MomentClient};
use crate::error::{Error, Result};
use crate::paging::PageBase;
use crate::retry::{DEFAULT_MAX_RETRY_AFTER, ExponentialBuilder, default_policy};

/// Moment's API base URL; `{companyCode}` is replaced by the company code.
pub const DEFAULT_BASE_URL: &str = "https://app.moment.team/api/1.0/companies/{companyCode}";
/// Default total timeout of one HTTP attempt.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);
/// Default connect timeout.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// Default page size asked for when listing.
pub const DEFAULT_PER_PAGE: u32 = 100;
/// Default limit of a response body: 16 MiB.
pub const DEFAULT_MAX_RESPONSE_BYTES: u64 = 16 * 1024 * 1024;
const PLACEHOLDER: &str = "{companyCode}";

/// Builds a [`MomentClient`]. Only the company code and the API key are required.
///
/// ```no_run
/// use std::time::Duration;
/// use moment_client::{ExponentialBuilder, MomentClient};
///
/// let client = MomentClient::builder()
///     .company_code("acme")
///     .api_key(std::env::var("MOMENT_API_KEY").unwrap_or_default())
///     .timeout(Duration::from_secs(20))
///     .retry_policy(ExponentialBuilder::default().with_max_times(5).with_jitter())
///     .build()?;
/// # Ok::<(), moment_client::Error>(())
/// ```
#[derive(Clone)]
#[must_use]
pub struct MomentClientBuilder {
    company_code: Option<String>,
    api_key: Option<SecretString>,
    base_url: Option<String>,
    timeout: Option<Duration>,
    connect_timeout: Option<Duration>,
    user_agent: Option<String>,
    retry: ExponentialBuilder,
    max_retry_after: Duration,
    page_base: PageBase,
    per_page: u32,
    max_response_bytes: u64,
    allow_insecure_http: bool,
}

impl Default for MomentClientBuilder {
    fn default() -> Self {
        Self {
            company_code: None,
            api_key: None,
            base_url: None,
            timeout: Some(DEFAULT_TIMEOUT),
            connect_timeout: Some(DEFAULT_CONNECT_TIMEOUT),
            user_agent: None,
            retry: default_policy(),
            max_retry_after: DEFAULT_MAX_RETRY_AFTER,
            page_base: PageBase::default(),
            per_page: DEFAULT_PER_PAGE,
            max_response_bytes: DEFAULT_MAX_RESPONSE_BYTES,
            allow_insecure_http: false,
        }
    }
}

impl fmt::Debug for MomentClientBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MomentClientBuilder")
            .field("company_code", &self.company_code)
            .field("api_key", &self.api_key.as_ref().map(|_| "[redacted]"))
            .field("base_url", &self.base_url)
            .field("timeout", &self.timeout)
            .field("connect_timeout", &self.connect_timeout)
            .field("user_agent", &self.user_agent)
            .field("retry_policy", &self.retry)
            .field("max_retry_after", &self.max_retry_after)
            .field("page_base", &self.page_base)
            .field("per_page", &self.per_page)
            .field("max_response_bytes", &self.max_response_bytes)
            .field("allow_insecure_http", &self.allow_insecure_http)
            .finish()
    }
}

impl MomentClientBuilder {
    crate::shared::common_builder_settings!();

    /// The company (database) code: the part after `app.moment.team/` when logged in.
    pub fn company_code(mut self, code: impl Into<String>) -> Self {
        self.company_code = Some(code.into());
        self
    }

    /// The API key (created under *Company → API keys* in Moment). It is sent as the password
    /// of HTTP Basic auth with user `apikey` and never shown in `Debug`, logs or errors.
    pub fn api_key(mut self, key: impl Into<String>) -> Self {
        self.api_key = Some(SecretString::from(key.into()));
        self
    }

    /// The base URL, default [`DEFAULT_BASE_URL`]. `{companyCode}` in it is replaced by the
    /// company code; without the placeholder the URL is used as given (it must then already
    /// point at the company, e.g. `https://host/api/1.0/companies/acme`). Must be `https`
    /// unless it points at a loopback address or [`allow_insecure_http`](Self::allow_insecure_http)
    /// is set.
    pub fn base_url(mut self, url: impl Into<String>) -> Self {
        self.base_url = Some(url.into());
        self
    }

    /// The `User-Agent` header (default `moment-client/<version>`).
    pub fn user_agent(mut self, agent: impl Into<String>) -> Self {
        self.user_agent = Some(agent.into());
        self
    }

    /// How Moment numbers pages (default [`PageBase::Zero`]; see its docs).
    pub fn page_base(mut self, base: PageBase) -> Self {
        self.page_base = base;
        self
    }

    /// The page size asked for when listing (default 100).
    pub fn per_page(mut self, size: u32) -> Self {
        self.per_page = size;
        self
    }

    /// Checks every setting and builds the client.
    pub fn build(self) -> Result<MomentClient> {
        let company_code = check_company_code(self.company_code)?;
        let api_key = check_api_key(self.api_key)?;
        let base_url = resolve_base_url(
            self.base_url.as_deref().unwrap_or(DEFAULT_BASE_URL),
            &company_code,
            self.allow_insecure_http,
        )?;
        if self.per_page == 0 {
            return Err(config("per_page", "must be at least 1"));
        }
        if self.max_response_bytes < 1024 {
            return Err(config(
                "max_response_bytes",
                "must be at least 1024 bytes; a single object is larger than that",
            ));
        }
        let user_agent = self
            .user_agent
            .unwrap_or_else(|| format!("moment-client/{}", env!("CARGO_PKG_VERSION")));
        let user_agent_header = HeaderValue::from_str(&user_agent).map_err(|_| {
            config(
                "user_agent",
                "must be visible ASCII text without line breaks",
            )
        })?;

        let origin = base_url.origin();
        let redirects = reqwest::redirect::Policy::custom(move |attempt| {
            if attempt.previous().len() >= 5 {
                attempt.error("more than 5 redirects")
            } else if attempt.url().origin() == origin {
                attempt.follow()
            } else {
                attempt.stop()
            }
        });
        let mut headers = HeaderMap::new();
        headers.insert(ACCEPT, HeaderValue::from_static("application/json"));
        let mut http = reqwest::Client::builder()
            .default_headers(headers)
            .user_agent(user_agent_header)
            .redirect(redirects)
            .https_only(base_url.scheme() == "https");
        match self.timeout {
            Some(timeout) => http = http.timeout(timeout),
            // On a paused clock no timer may run: idle connections are kept without one.
            None => http = http.pool_idle_timeout(None),
        }
        if let Some(timeout) = self.connect_timeout {
            http = http.connect_timeout(timeout);
        }
        let http = http.build().map_err(|e| {
            config(
                "http_client",
                format!("the HTTP client could not be set up: {e}"),
            )
        })?;

        Ok(MomentClient {
            inner: Arc::new(Inner {
                http,
                base_url,
                company_code,
                api_key,
                retry: self.retry,
                max_retry_after: self.max_retry_after,
                page_base: self.page_base,
                per_page: self.per_page,
                max_response_bytes: self.max_response_bytes,
            }),
        })
    }
}

fn config(setting: &'static str, reason: impl Into<String>) -> Error {
    Error::Config {
        setting,
        reason: reason.into(),
    }
}

fn check_company_code(code: Option<String>) -> Result<String> {
    let code = code.ok_or_else(|| {
        config(
            "company_code",
            "is required: the code after `app.moment.team/` in Moment's address bar",
        )
    })?;
    if code.is_empty() {
        return Err(config("company_code", "is empty"));
    }
    if !code
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
    {
        return Err(config(
            "company_code",
            format!(
                "`{code}` may only contain letters, digits, `-`, `_` and `.` (it is the code \
                 after `app.moment.team/` in Moment's address bar)"
            ),
        ));
    }
    Ok(code)
}

fn check_api_key(key: Option<SecretString>) -> Result<SecretString> {
    let key = key.ok_or_else(|| {
        config(
            "api_key",
            "is required: create one under Company → API keys in Moment",
        )
    })?;
    let raw = key.expose_secret();
    if raw.is_empty() {
        return Err(config("api_key", "is empty"));
    }
    if raw.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(config(
            "api_key",
            "contains whitespace or a line break; paste the key exactly as Moment showed it",
        ));
    }
    Ok(key)
}

fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        Some(Host::Ipv4(ip)) => ip.is_loopback(),
        Some(Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}

fn resolve_base_url(template: &str, company_code: &str, allow_insecure: bool) -> Result<Url> {
    let text = template.replace(PLACEHOLDER, company_code);
    let mut url = Url::parse(&text).map_err(|e| {
        config(
            "base_url",
            format!("`{text}` is not a valid URL ({e}); expected e.g. {DEFAULT_BASE_URL}"),
        )
    })?;
    if url.cannot_be_a_base() || url.host().is_none() {
        return Err(config("base_url", format!("`{text}` has no host")));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(config(
            "base_url",
            "must not contain credentials; set the key with `api_key`",
        ));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(config("base_url", "must not have a query or a fragment"));
    }
    match url.scheme() {
        "https" => {}
        "http" if is_loopback(&url) || allow_insecure => {}
        "http" => {
            return Err(config(
                "base_url",
                format!(
                    "`{text}` uses plain http, which would send the API key unencrypted; use \
                     https (or `allow_insecure_http(true)` for a trusted local network)"
                ),
            ));
        }
        other => {
            return Err(config(
                "base_url",
                format!("scheme `{other}` is not supported; use https"),
            ));
        }
    }
    if let Ok(mut segments) = url.path_segments_mut() {
        segments.pop_if_empty();
    }
    Ok(url)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn builder() -> MomentClientBuilder {
        MomentClientBuilder::default()
            .company_code("acme")
            .api_key("s3cr3t-KEY-value")
    }

    fn setting(result: Result<MomentClient>) -> &'static str {
        match result {
            Err(Error::Config { setting, .. }) => setting,
            other => panic!("expected a config error, got {other:?}"),
        }
    }

    #[test]
    fn default_base_url_uses_the_company_code() {
        let client = builder().build().unwrap();
        assert_eq!(
            client.base_url().as_str(),
            "https://app.moment.team/api/1.0/companies/acme"
        );
        assert_eq!(client.company_code(), "acme");
    }

    #[test]
    fn custom_base_urls() {
        let c = builder()
            .base_url("https://sandbox.example/api/1.0/companies/{companyCode}/")
            .build()
            .unwrap();
        assert_eq!(
            c.base_url().as_str(),
            "https://sandbox.example/api/1.0/companies/acme"
        );
        let c = builder()
            .base_url("http://127.0.0.1:9999/api/1.0/companies/x")
            .build()
            .unwrap();
        assert_eq!(
            c.base_url().as_str(),
            "http://127.0.0.1:9999/api/1.0/companies/x"
        );
        assert!(builder().base_url("http://localhost:1/a").build().is_ok());
        assert!(builder().base_url("http://[::1]:1/a").build().is_ok());
    }

    #[test]
    fn insecure_http_needs_an_explicit_opt_in() {
        let r = builder().base_url("http://moment.internal/api").build();
        assert_eq!(setting(r), "base_url");
        assert!(
            builder()
                .base_url("http://moment.internal/api")
                .allow_insecure_http(true)
                .build()
                .is_ok()
        );
    }

    #[test]
    fn invalid_settings_name_the_setting() {
        assert_eq!(
            setting(MomentClientBuilder::default().api_key("k").build()),
            "company_code"
        );
        assert_eq!(
            setting(builder().company_code("a/b").build()),
            "company_code"
        );
        assert_eq!(setting(builder().company_code("").build()), "company_code");
        assert_eq!(
            setting(MomentClientBuilder::default().company_code("a").build()),
            "api_key"
        );
        assert_eq!(setting(builder().api_key("").build()), "api_key");
        assert_eq!(setting(builder().api_key("key\n").build()), "api_key");
        assert_eq!(setting(builder().base_url("not a url").build()), "base_url");
        assert_eq!(setting(builder().base_url("ftp://x/y").build()), "base_url");
        assert_eq!(
            setting(builder().base_url("https://u:p@x/y").build()),
            "base_url"
        );
        assert_eq!(
            setting(builder().base_url("https://x/y?a=1").build()),
            "base_url"
        );
        assert_eq!(setting(builder().per_page(0).build()), "per_page");
        assert_eq!(
            setting(builder().max_response_bytes(10).build()),
            "max_response_bytes"
        );
        assert_eq!(setting(builder().user_agent("a\nb").build()), "user_agent");
    }

    #[test]
    fn errors_never_echo_the_key() {
        let err = builder().api_key("abc def-SECRET").build().unwrap_err();
        assert!(!err.to_string().contains("SECRET"));
        assert!(!format!("{err:?}").contains("SECRET"));
    }

    #[test]
    fn debug_redacts_the_key() {
        let b = builder();
        let shown = format!("{b:?}");
        assert!(!shown.contains("s3cr3t"), "{shown}");
        assert!(shown.contains("[redacted]"), "{shown}");
        let client = b.build().unwrap();
        let shown = format!("{client:?}");
        assert!(!shown.contains("s3cr3t"), "{shown}");
        assert!(shown.contains("[redacted]"), "{shown}");
    }
}
