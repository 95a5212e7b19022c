//! [`Intercept`]: a [`DkPlusTarget`] that passes every call through and lets a test change the
//! answers of the writes it cares about — an invoice post that loses its answer, a DK+ that books
//! other figures than it was sent, another writer that creates a customer first — without
//! writing out the whole trait.

use std::sync::Arc;

use async_trait::async_trait;
use dkplus_client::{
    CustomerNumber, CustomerWrite, ItemCode, ProductCreate, ProjectCreate, ProjectNumber,
    SalesInvoice, SalesInvoiceCreate, SalesPerson, SalesPersonNumber,
};

use crate::ports::{DkPlusTarget, InvoiceQuery, PortResult};

type InvoiceHook =
    dyn Fn(&SalesInvoiceCreate, PortResult<SalesInvoice>) -> PortResult<SalesInvoice> + Send + Sync;
type InsteadHook = dyn Fn(&SalesInvoiceCreate) -> Option<PortResult<SalesInvoice>> + Send + Sync;
type CustomerHook = dyn Fn(&CustomerWrite) -> Option<PortResult<()>> + Send + Sync;

/// Wraps a [`DkPlusTarget`]; every call goes to it, and the hooks may change what the engine is
/// told.
///
/// ```
/// # use moment_dkplus_mapping::testing::Intercept;
/// # use moment_dkplus_mapping::ports::{PortError, PortErrorKind, System};
/// # fn wrap(dkplus: dkplus_client::DkPlusClient) {
/// // DK+ books every invoice, and every answer is lost on the way back.
/// let lossy = Intercept::new(dkplus).on_invoice_post(|_sent, _answer| {
///     Err(PortError::new(System::DkPlus, PortErrorKind::OutcomeUnknown, "timed out"))
/// });
/// # let _ = lossy; }
/// ```
pub struct Intercept<D> {
    inner: D,
    instead_of_post: Option<Arc<InsteadHook>>,
    invoice_post: Option<Arc<InvoiceHook>>,
    customer_create: Option<Arc<CustomerHook>>,
}

impl<D> Intercept<D> {
    /// Passes everything through.
    pub fn new(inner: D) -> Self {
        Self {
            inner,
            instead_of_post: None,
            invoice_post: None,
            customer_create: None,
        }
    }

    /// Before each invoice post, `hook` may answer instead of the wrapped target
    /// (`Some(answer)`: nothing reaches DK+, e.g. a connection lost before the post arrived) or
    /// let the post through (`None`).
    #[must_use]
    pub fn instead_of_invoice_post(
        mut self,
        hook: impl Fn(&SalesInvoiceCreate) -> Option<PortResult<SalesInvoice>> + Send + Sync + 'static,
    ) -> Self {
        self.instead_of_post = Some(Arc::new(hook));
        self
    }

    /// After each invoice post reaches the wrapped target, `hook` gets what was sent and the
    /// answer, and returns the answer the engine sees.
    #[must_use]
    pub fn on_invoice_post(
        mut self,
        hook: impl Fn(&SalesInvoiceCreate, PortResult<SalesInvoice>) -> PortResult<SalesInvoice>
        + Send
        + Sync
        + 'static,
    ) -> Self {
        self.invoice_post = Some(Arc::new(hook));
        self
    }

    /// Before each customer create, `hook` may answer instead of the wrapped target
    /// (`Some(answer)`: the create is not passed on) or let it through (`None`).
    #[must_use]
    pub fn on_customer_create(
        mut self,
        hook: impl Fn(&CustomerWrite) -> Option<PortResult<()>> + Send + Sync + 'static,
    ) -> Self {
        self.customer_create = Some(Arc::new(hook));
        self
    }
}

#[async_trait]
impl<D: DkPlusTarget> DkPlusTarget for Intercept<D> {
    async fn verify(&self) -> PortResult<bool> {
        self.inner.verify().await
    }

    async fn sales_person(&self, number: &SalesPersonNumber) -> PortResult<Option<SalesPerson>> {
        self.inner.sales_person(number).await
    }

    async fn customer(
        &self,
        number: &CustomerNumber,
    ) -> PortResult<Option<dkplus_client::Customer>> {
        self.inner.customer(number).await
    }

    async fn create_customer(&self, customer: &CustomerWrite) -> PortResult<()> {
        if let Some(answer) = self
            .customer_create
            .as_ref()
            .and_then(|hook| hook(customer))
        {
            return answer;
        }
        self.inner.create_customer(customer).await
    }

    async fn update_customer(
        &self,
        number: &CustomerNumber,
        changes: &CustomerWrite,
    ) -> PortResult<()> {
        self.inner.update_customer(number, changes).await
    }

    async fn project(&self, number: &ProjectNumber) -> PortResult<Option<dkplus_client::Project>> {
        self.inner.project(number).await
    }

    async fn create_project(&self, project: &ProjectCreate) -> PortResult<()> {
        self.inner.create_project(project).await
    }

    async fn product(&self, item_code: &ItemCode) -> PortResult<Option<dkplus_client::Product>> {
        self.inner.product(item_code).await
    }

    async fn create_product(&self, product: &ProductCreate) -> PortResult<()> {
        self.inner.create_product(product).await
    }

    async fn invoices_by_reference(&self, reference: &str) -> PortResult<Vec<SalesInvoice>> {
        self.inner.invoices_by_reference(reference).await
    }

    async fn create_invoice(&self, invoice: &SalesInvoiceCreate) -> PortResult<SalesInvoice> {
        if let Some(answer) = self.instead_of_post.as_ref().and_then(|hook| hook(invoice)) {
            return answer;
        }
        let answer = self.inner.create_invoice(invoice).await;
        match &self.invoice_post {
            Some(hook) => hook(invoice, answer),
            None => answer,
        }
    }

    async fn list_invoices(&self, query: &InvoiceQuery) -> PortResult<Vec<SalesInvoice>> {
        self.inner.list_invoices(query).await
    }

    async fn search_customers(
        &self,
        text: &str,
        max: u32,
    ) -> PortResult<Vec<dkplus_client::Customer>> {
        self.inner.search_customers(text, max).await
    }

    fn is_dry_run(&self) -> bool {
        self.inner.is_dry_run()
    }
}
