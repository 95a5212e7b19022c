//! The client: configuration, the request pipeline (throttle, retries, size limit, tracing) and
//! the entry points to the resource handlers.

pub(crate) mod builder;
pub(crate) mod request;
pub mod retry;
pub(crate) mod throttle;
pub(crate) mod token;
mod transport;

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use http::HeaderValue;
use url::Url;

use self::builder::DkPlusClientBuilder;
use self::retry::ExponentialBuilder;
use self::throttle::Throttle;
use self::token::ApiToken;
use crate::error::Result;
use crate::resources::{Company, Customers, Products, Projects, SalesInvoices, SalesPersons};

/// A DK+ API client. Cheap to clone: clones share one connection pool, one throttle and one
/// configuration.
///
/// ```no_run
/// use dkplus_client::{CustomerNumber, DkPlusClient};
///
/// # async fn run() -> dkplus_client::Result<()> {
/// let client = DkPlusClient::new("00000000-0000-0000-0000-000000000000")?;
/// if let Some(customer) = client.customers().get(&CustomerNumber::new("1710794709")).await? {
///     println!("{:?}", customer.name);
/// }
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct DkPlusClient {
    pub(crate) inner: Arc<Inner>,
}

pub(crate) struct Inner {
    pub(crate) http: reqwest::Client,
    pub(crate) auth_header: HeaderValue,
    pub(crate) base_url: Url,
    pub(crate) timeout: Option<Duration>,
    pub(crate) user_agent: String,
    pub(crate) retry: ExponentialBuilder,
    pub(crate) max_retry_after: Duration,
    pub(crate) max_response_bytes: u64,
    pub(crate) throttle: Option<Throttle>,
}

impl fmt::Debug for DkPlusClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let inner = &self.inner;
        f.debug_struct("DkPlusClient")
            .field("base_url", &inner.base_url.as_str())
            .field("token", &"[redacted]")
            .field("timeout", &inner.timeout)
            .field("user_agent", &inner.user_agent)
            .field("retry_policy", &inner.retry)
            .field("max_retry_after", &inner.max_retry_after)
            .field("max_response_bytes", &inner.max_response_bytes)
            .field("throttle", &inner.throttle)
            .finish()
    }
}

impl DkPlusClient {
    /// Checks the set-up with one small request: `Ok(true)` when the token works and DK+ can
    /// reach the company's data ([`Company::connection`]); `Ok(false)` when DK+ answers that it
    /// cannot; a refused token is [`Error::Unauthorized`](crate::Error::Unauthorized). The same
    /// verb as `MomentClient::verify` and the sync engine's `verify`.
    ///
    /// # Errors
    /// Any [`crate::Error`] of the request.
    pub async fn verify(&self) -> Result<bool> {
        self.company().connection().await
    }

    /// A builder with the defaults (production base URL, 30 s timeout, 3 retries, 16 MiB limit).
    pub fn builder() -> DkPlusClientBuilder {
        DkPlusClientBuilder::default()
    }

    /// A client for the production API with default settings.
    ///
    /// # Errors
    /// [`crate::Error::Config`] when the token is empty or not a valid header value.
    pub fn new(token: impl Into<ApiToken>) -> Result<Self> {
        Self::builder().token(token).build()
    }

    /// The API root requests go to.
    pub fn base_url(&self) -> &str {
        self.inner.base_url.as_str()
    }

    /// Customers: get, list, create, update, delete, search.
    pub fn customers(&self) -> Customers {
        Customers::new(self.clone())
    }

    /// Projects (DK "jobs"): get, list, create.
    pub fn projects(&self) -> Projects {
        Projects::new(self.clone())
    }

    /// Sales invoices: create, get, look up by reference, list.
    pub fn sales_invoices(&self) -> SalesInvoices {
        SalesInvoices::new(self.clone())
    }

    /// Products (items): get, list, create, update.
    pub fn products(&self) -> Products {
        Products::new(self.clone())
    }

    /// Sales persons: get, list.
    pub fn sales_persons(&self) -> SalesPersons {
        SalesPersons::new(self.clone())
    }

    /// Company-level calls (connection check).
    pub fn company(&self) -> Company {
        Company::new(self.clone())
    }
}
