//! [`MomentClient`]: the entry point, cheap to clone (an `Arc` inside).

mod builder;
pub(crate) mod transport;

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use secrecy::SecretString;
use url::Url;

pub use builder::{
    DEFAULT_BASE_URL, DEFAULT_CONNECT_TIMEOUT, DEFAULT_MAX_RESPONSE_BYTES, DEFAULT_PER_PAGE,
    DEFAULT_TIMEOUT, MomentClientBuilder,
};
pub(crate) use transport::Request;

use crate::error::Result;
use crate::models::{Customer, FinancialAccount, Invoice, Product, Project};
use crate::paging::PageBase;
use crate::resources::ResourceHandler;
use crate::retry::ExponentialBuilder;

/// A client for one Moment company.
///
/// ```no_run
/// use futures_util::TryStreamExt;
/// use moment_client::{InvoiceId, InvoiceState, MomentClient};
///
/// # async fn run() -> moment_client::Result<()> {
/// let client = MomentClient::builder()
///     .company_code("acme")
///     .api_key("…")
///     .build()?;
///
/// if let Some(invoice) = client.invoices().get(InvoiceId(106939080)).await? {
///     println!("{:?} has {} lines", invoice.invoice_number, invoice.lines.len());
/// }
///
/// let finalized: Vec<_> = client
///     .invoices()
///     .list()
///     .state(InvoiceState::Finalized)
///     .stream()
///     .try_collect()
///     .await?;
/// # let _ = finalized;
/// # Ok(())
/// # }
/// ```
#[derive(Clone)]
pub struct MomentClient {
    pub(crate) inner: Arc<Inner>,
}

pub(crate) struct Inner {
    pub(crate) http: reqwest::Client,
    pub(crate) base_url: Url,
    pub(crate) company_code: String,
    pub(crate) api_key: SecretString,
    pub(crate) retry: ExponentialBuilder,
    pub(crate) max_retry_after: Duration,
    pub(crate) page_base: PageBase,
    pub(crate) per_page: u32,
    pub(crate) max_response_bytes: u64,
}

impl fmt::Debug for MomentClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let i = &self.inner;
        f.debug_struct("MomentClient")
            .field("base_url", &i.base_url.as_str())
            .field("company_code", &i.company_code)
            .field("api_key", &"[redacted]")
            .field("retry_policy", &i.retry)
            .field("max_retry_after", &i.max_retry_after)
            .field("page_base", &i.page_base)
            .field("per_page", &i.per_page)
            .field("max_response_bytes", &i.max_response_bytes)
            .finish()
    }
}

impl MomentClient {
    /// Starts building a client.
    pub fn builder() -> MomentClientBuilder {
        MomentClientBuilder::default()
    }

    /// The resolved base URL (`https://app.moment.team/api/1.0/companies/{code}`).
    pub fn base_url(&self) -> &Url {
        &self.inner.base_url
    }

    /// The company code.
    pub fn company_code(&self) -> &str {
        &self.inner.company_code
    }

    /// The page base in use.
    pub fn page_base(&self) -> PageBase {
        self.inner.page_base
    }

    /// The default page size.
    pub fn per_page(&self) -> u32 {
        self.inner.per_page
    }

    /// Customers: `get`, `list`.
    pub fn customers(&self) -> ResourceHandler<'_, Customer> {
        ResourceHandler::new(self)
    }

    /// Projects: `get`, `list`.
    pub fn projects(&self) -> ResourceHandler<'_, Project> {
        ResourceHandler::new(self)
    }

    /// Invoices and credit notes: `get` (with lines), `list`, `lines`.
    pub fn invoices(&self) -> ResourceHandler<'_, Invoice> {
        ResourceHandler::new(self)
    }

    /// Products: `get`, `list`.
    pub fn products(&self) -> ResourceHandler<'_, Product> {
        ResourceHandler::new(self)
    }

    /// Financial (bookkeeping) accounts: `get`, `list`.
    pub fn financial_accounts(&self) -> ResourceHandler<'_, FinancialAccount> {
        ResourceHandler::new(self)
    }

    /// Checks the base URL, the company code and the API key with one small request (the first
    /// page of customers, one item). Call it at start-up: a wrong base URL could otherwise
    /// look like "object not found" to `get`.
    pub async fn verify(&self) -> Result<()> {
        let query = vec![
            ("page".to_owned(), self.inner.page_base.first().to_string()),
            ("size".to_owned(), "1".to_owned()),
        ];
        let request = Request::get(&["customers"], query);
        let fetched = self.fetch(&request).await?;
        crate::paging::decode_page::<serde::de::IgnoredAny>(&request, &fetched).map(|_| ())
    }
}
