//! The two systems as the sync engine sees them: [`MomentSource`] and [`DkPlusTarget`].
//!
//! The engine talks to Moment and DK+ only through these traits. They are implemented for
//! [`moment_client::MomentClient`] and [`dkplus_client::DkPlusClient`]; implement them yourself to
//! plug in a cache, a different transport, or an in-memory fake.

use std::fmt;
use std::pin::Pin;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use futures_util::{Stream, StreamExt, TryStreamExt};

use chrono::NaiveDate;
use dkplus_client::{
    CustomerNumber, CustomerWrite, DkPlusClient, ItemCode, ProductCreate, ProjectCreate,
    ProjectNumber, SalesInvoice, SalesInvoiceCreate, SalesPerson, SalesPersonNumber,
};
use moment_client::{
    Customer, CustomerId, FinancialAccount, FinancialAccountId, Invoice, InvoiceId, MomentClient,
    Payment, PaymentCreate, Product, ProductId, Project, ProjectId,
};

/// A boxed, sendable stream of results, as the listing methods return (the same name as the two
/// clients' streams).
pub type ResultStream<'a, T> = Pin<Box<dyn Stream<Item = PortResult<T>> + Send + 'a>>;

/// Which system an error came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum System {
    /// Moment.
    Moment,
    /// DK+.
    DkPlus,
}

impl fmt::Display for System {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Moment => "Moment",
            Self::DkPlus => "DK+",
        })
    }
}

/// What kind of failure a call to one of the systems had; decides what the engine does next.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum PortErrorKind {
    /// The system could not be reached or asked us to wait (timeouts, 429, 502–504, broken
    /// connections before anything was sent). A later run will try again.
    Unavailable,
    /// The system refused the request (4xx). Trying again without changing something won't help.
    Rejected,
    /// The credentials were refused (401/403).
    Unauthorized,
    /// A write may have been carried out although no clean answer came back (a timeout after
    /// sending, a 5xx, an unreadable success answer). The engine checks before writing again.
    OutcomeUnknown,
    /// The request was refused by the client before it was sent (a value DK+ cannot store, a
    /// text over its limit): nothing reached the system.
    InvalidInput,
    /// Anything else: an answer that could not be read, a configuration error.
    Other,
}

/// An error from one of the two systems, stripped to what the engine needs. Its message never
/// holds a token or API key (the clients guarantee that for theirs).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error, serde::Serialize)]
#[error("{message}")]
#[non_exhaustive]
pub struct PortError {
    /// Which system.
    pub system: System,
    /// What kind of failure.
    pub kind: PortErrorKind,
    /// The HTTP status, when there was an answer.
    pub status: Option<u16>,
    /// The error's description (for DK+ including its `Message`).
    pub message: String,
}

impl PortError {
    /// A new error.
    pub fn new(system: System, kind: PortErrorKind, message: impl Into<String>) -> Self {
        Self {
            system,
            kind,
            status: None,
            message: message.into(),
        }
    }

    /// Sets the HTTP status.
    #[must_use]
    pub fn with_status(mut self, status: u16) -> Self {
        self.status = Some(status);
        self
    }

    /// `true` when a later attempt may succeed without anyone changing anything.
    pub fn is_transient(&self) -> bool {
        matches!(
            self.kind,
            PortErrorKind::Unavailable | PortErrorKind::OutcomeUnknown
        )
    }

    /// `true` when a write may have been carried out: check before writing again.
    pub fn may_have_been_applied(&self) -> bool {
        self.kind == PortErrorKind::OutcomeUnknown
    }
}

impl From<dkplus_client::Error> for PortError {
    fn from(err: dkplus_client::Error) -> Self {
        let status = err.status().map(|s| s.as_u16());
        let write = err.method().is_some_and(|m| !matches!(m, "GET" | "HEAD"));
        let kind = if matches!(err, dkplus_client::Error::InvalidInput { .. }) {
            PortErrorKind::InvalidInput
        } else if write && err.may_have_been_applied() {
            PortErrorKind::OutcomeUnknown
        } else if matches!(status, Some(401 | 403)) {
            PortErrorKind::Unauthorized
        } else if err.is_retryable() || (!write && status.is_some_and(|s| s >= 500)) {
            PortErrorKind::Unavailable
        } else if status.is_some_and(|s| (400..500).contains(&s)) {
            PortErrorKind::Rejected
        } else {
            PortErrorKind::Other
        };
        Self {
            system: System::DkPlus,
            kind,
            status,
            message: err.to_string(),
        }
    }
}

impl From<moment_client::Error> for PortError {
    fn from(err: moment_client::Error) -> Self {
        let status = err.status().map(|s| s.as_u16());
        let kind = if err.may_have_been_applied() {
            PortErrorKind::OutcomeUnknown
        } else if err.is_unauthorized() {
            PortErrorKind::Unauthorized
        } else if err.is_retryable() {
            PortErrorKind::Unavailable
        } else if status.is_some_and(|s| (400..500).contains(&s)) {
            PortErrorKind::Rejected
        } else {
            PortErrorKind::Other
        };
        Self {
            system: System::Moment,
            kind,
            status,
            message: err.to_string(),
        }
    }
}

/// Result of a port call.
pub type PortResult<T> = Result<T, PortError>;

/// One page of DK+'s sales-invoice listing, with the published filters the engine uses.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct InvoiceQuery {
    /// Only this customer's invoices (`customer`).
    pub customer: Option<CustomerNumber>,
    /// Only invoices with this reference (`reference`).
    pub reference: Option<String>,
    /// Only invoices dated on or after this day (`createdAfter`: DK+ compares the invoice date).
    pub dated_from: Option<NaiveDate>,
    /// Only invoices dated before this day (`createdBefore`).
    pub dated_before: Option<NaiveDate>,
    /// Only invoices changed in DK+ after this instant (`modifiedAfter`; a new invoice counts
    /// as changed when it is booked).
    pub modified_after: Option<DateTime<Utc>>,
    /// Only these fields (`include`; wire names); empty for every field.
    pub include: Vec<&'static str>,
    /// The 1-based page.
    pub page: u32,
    /// Records per page.
    pub per_page: u32,
}

impl InvoiceQuery {
    /// The first page of up to `per_page` invoices of a customer, with only `include`.
    pub fn of_customer(customer: &CustomerNumber, per_page: u32, include: &[&'static str]) -> Self {
        Self {
            customer: Some(customer.clone()),
            include: include.to_vec(),
            page: 1,
            per_page,
            ..Self::default()
        }
    }
}

/// What the engine reads from Moment. Every lookup returns `Ok(None)` when the object does not
/// exist.
#[async_trait]
pub trait MomentSource: Send + Sync {
    /// Checks that Moment answers and the API key is accepted.
    async fn verify(&self) -> PortResult<()>;
    /// One customer.
    async fn customer(&self, id: CustomerId) -> PortResult<Option<Customer>>;
    /// One project.
    async fn project(&self, id: ProjectId) -> PortResult<Option<Project>>;
    /// One invoice **with its lines**.
    async fn invoice(&self, id: InvoiceId) -> PortResult<Option<Invoice>>;
    /// One product.
    async fn product(&self, id: ProductId) -> PortResult<Option<Product>>;
    /// One financial account.
    async fn financial_account(
        &self,
        id: FinancialAccountId,
    ) -> PortResult<Option<FinancialAccount>>;
    /// All financial accounts (used when a line names its account by number only).
    async fn financial_accounts(&self) -> PortResult<Vec<FinancialAccount>>;
    /// Customers changed at or after `since`, streamed page by page.
    fn customers_changed_since(&self, since: DateTime<Utc>) -> ResultStream<'_, Customer>;
    /// Projects changed at or after `since`.
    fn projects_changed_since(&self, since: DateTime<Utc>) -> ResultStream<'_, Project>;
    /// Invoices and credit notes changed at or after `since`, **in every state** (the rules decide
    /// per invoice: drafts wait, issued invoices go, unknown states are reported), in a stable
    /// order. Items may come without their lines; the engine then fetches each with
    /// [`MomentSource::invoice`].
    fn invoices_changed_since(&self, since: DateTime<Utc>) -> ResultStream<'_, Invoice>;
    /// The payments Moment holds for an invoice (`None`: no such invoice). Only the payment
    /// sync reads them; a source that does not serve payments says so (the default).
    async fn invoice_payments(&self, id: InvoiceId) -> PortResult<Option<Vec<Payment>>> {
        let _ = id;
        Err(PortError::new(
            System::Moment,
            PortErrorKind::Other,
            "this Moment source does not serve payments",
        ))
    }
    /// Registers a payment on an invoice — the one write to Moment, made only by the opt-in
    /// payment sync. A failure that [`may_have_been_applied`](PortError::may_have_been_applied)
    /// must be looked for (by its external id) before it is sent again.
    async fn register_payment(
        &self,
        id: InvoiceId,
        payment: &PaymentCreate,
    ) -> PortResult<Payment> {
        let _ = (id, payment);
        Err(PortError::new(
            System::Moment,
            PortErrorKind::Other,
            "this Moment source does not take payments",
        ))
    }
}

/// What the engine reads from and writes to DK+. Lookups return `Ok(None)` for a missing record.
#[async_trait]
pub trait DkPlusTarget: Send + Sync {
    /// Checks the token: `Ok(true)` when DK+ reaches its company data.
    async fn verify(&self) -> PortResult<bool>;
    /// One sales person.
    async fn sales_person(&self, number: &SalesPersonNumber) -> PortResult<Option<SalesPerson>>;
    /// One customer.
    async fn customer(
        &self,
        number: &CustomerNumber,
    ) -> PortResult<Option<dkplus_client::Customer>>;
    /// Creates a customer.
    async fn create_customer(&self, customer: &CustomerWrite) -> PortResult<()>;
    /// Updates the fields set in `changes` (never the number).
    async fn update_customer(
        &self,
        number: &CustomerNumber,
        changes: &CustomerWrite,
    ) -> PortResult<()>;
    /// One project.
    async fn project(&self, number: &ProjectNumber) -> PortResult<Option<dkplus_client::Project>>;
    /// Creates a project.
    async fn create_project(&self, project: &ProjectCreate) -> PortResult<()>;
    /// One product.
    async fn product(&self, item_code: &ItemCode) -> PortResult<Option<dkplus_client::Product>>;
    /// Creates a product.
    async fn create_product(&self, product: &ProductCreate) -> PortResult<()>;
    /// The sales invoices carrying this `Reference`.
    async fn invoices_by_reference(&self, reference: &str) -> PortResult<Vec<SalesInvoice>>;
    /// Creates and posts a sales invoice; the answer carries the DK+-assigned number. Must not be
    /// retried automatically: the engine decides after a failure.
    async fn create_invoice(&self, invoice: &SalesInvoiceCreate) -> PortResult<SalesInvoice>;
    /// One page of the sales-invoice listing.
    async fn list_invoices(&self, query: &InvoiceQuery) -> PortResult<Vec<SalesInvoice>>;
    /// Customers whose number, name or e-mail contains `text` (at most `max`).
    async fn search_customers(
        &self,
        text: &str,
        max: u32,
    ) -> PortResult<Vec<dkplus_client::Customer>>;
    /// `true` when writes are only planned, not sent (a dry run): outcomes then say "would be".
    fn is_dry_run(&self) -> bool {
        false
    }
}

#[async_trait]
impl MomentSource for MomentClient {
    async fn verify(&self) -> PortResult<()> {
        Ok(MomentClient::verify(self).await?)
    }

    async fn invoice_payments(&self, id: InvoiceId) -> PortResult<Option<Vec<Payment>>> {
        Ok(self.invoices().payments(id).await?)
    }

    async fn register_payment(
        &self,
        id: InvoiceId,
        payment: &PaymentCreate,
    ) -> PortResult<Payment> {
        Ok(self.invoices().register_payment(id, payment).await?)
    }

    async fn customer(&self, id: CustomerId) -> PortResult<Option<Customer>> {
        Ok(self.customers().get(id).await?)
    }

    async fn project(&self, id: ProjectId) -> PortResult<Option<Project>> {
        Ok(self.projects().get(id).await?)
    }

    async fn invoice(&self, id: InvoiceId) -> PortResult<Option<Invoice>> {
        Ok(self.invoices().get(id).await?)
    }

    async fn product(&self, id: ProductId) -> PortResult<Option<Product>> {
        Ok(self.products().get(id).await?)
    }

    async fn financial_account(
        &self,
        id: FinancialAccountId,
    ) -> PortResult<Option<FinancialAccount>> {
        Ok(self.financial_accounts().get(id).await?)
    }

    async fn financial_accounts(&self) -> PortResult<Vec<FinancialAccount>> {
        Ok(MomentClient::financial_accounts(self)
            .list()
            .collect_all()
            .await?)
    }

    fn customers_changed_since(&self, since: DateTime<Utc>) -> ResultStream<'_, Customer> {
        self.customers()
            .list()
            .modified_since(since)
            .stream()
            .map_err(PortError::from)
            .boxed()
    }

    fn projects_changed_since(&self, since: DateTime<Utc>) -> ResultStream<'_, Project> {
        self.projects()
            .list()
            .modified_since(since)
            .stream()
            .map_err(PortError::from)
            .boxed()
    }

    fn invoices_changed_since(&self, since: DateTime<Utc>) -> ResultStream<'_, Invoice> {
        self.invoices()
            .list()
            .modified_since(since)
            .sort("id,asc")
            .stream()
            .map_err(PortError::from)
            .boxed()
    }
}

#[async_trait]
impl DkPlusTarget for DkPlusClient {
    async fn verify(&self) -> PortResult<bool> {
        Ok(DkPlusClient::verify(self).await?)
    }

    async fn sales_person(&self, number: &SalesPersonNumber) -> PortResult<Option<SalesPerson>> {
        Ok(self.sales_persons().get(number).await?)
    }

    async fn customer(
        &self,
        number: &CustomerNumber,
    ) -> PortResult<Option<dkplus_client::Customer>> {
        Ok(self.customers().get(number).await?)
    }

    async fn create_customer(&self, customer: &CustomerWrite) -> PortResult<()> {
        self.customers().create(customer).await?;
        Ok(())
    }

    async fn update_customer(
        &self,
        number: &CustomerNumber,
        changes: &CustomerWrite,
    ) -> PortResult<()> {
        self.customers().update(number, changes).await?;
        Ok(())
    }

    async fn project(&self, number: &ProjectNumber) -> PortResult<Option<dkplus_client::Project>> {
        Ok(self.projects().get(number).await?)
    }

    async fn create_project(&self, project: &ProjectCreate) -> PortResult<()> {
        self.projects().create(project).await?;
        Ok(())
    }

    async fn product(&self, item_code: &ItemCode) -> PortResult<Option<dkplus_client::Product>> {
        Ok(self.products().get(item_code).await?)
    }

    async fn create_product(&self, product: &ProductCreate) -> PortResult<()> {
        self.products().create(product).await?;
        Ok(())
    }

    async fn invoices_by_reference(&self, reference: &str) -> PortResult<Vec<SalesInvoice>> {
        Ok(self.sales_invoices().by_reference(reference).await?)
    }

    async fn create_invoice(&self, invoice: &SalesInvoiceCreate) -> PortResult<SalesInvoice> {
        Ok(self.sales_invoices().create(invoice).send().await?)
    }

    async fn list_invoices(&self, query: &InvoiceQuery) -> PortResult<Vec<SalesInvoice>> {
        let mut list = self
            .sales_invoices()
            .list()
            .page(query.page.max(1))
            .per_page(query.per_page.max(1));
        if let Some(customer) = &query.customer {
            list = list.customer(customer);
        }
        if let Some(reference) = &query.reference {
            list = list.reference(reference.clone());
        }
        if let Some(day) = query.dated_from {
            list = list.created_after(day);
        }
        if let Some(day) = query.dated_before {
            list = list.created_before(day);
        }
        if let Some(at) = query.modified_after {
            list = list.modified_after(at);
        }
        if !query.include.is_empty() {
            list = list.include(&query.include);
        }
        Ok(list.send().await?.items)
    }

    async fn search_customers(
        &self,
        text: &str,
        max: u32,
    ) -> PortResult<Vec<dkplus_client::Customer>> {
        Ok(self.customers().search(text, max).await?)
    }
}

// Shared references and smart pointers work wherever the value does.
macro_rules! forward {
    ($($ptr:ty),*) => {$(
        #[async_trait]
        impl<T: MomentSource + ?Sized> MomentSource for $ptr {
            async fn verify(&self) -> PortResult<()> { (**self).verify().await }
            async fn customer(&self, id: CustomerId) -> PortResult<Option<Customer>> { (**self).customer(id).await }
            async fn project(&self, id: ProjectId) -> PortResult<Option<Project>> { (**self).project(id).await }
            async fn invoice(&self, id: InvoiceId) -> PortResult<Option<Invoice>> { (**self).invoice(id).await }
            async fn product(&self, id: ProductId) -> PortResult<Option<Product>> { (**self).product(id).await }
            async fn financial_account(&self, id: FinancialAccountId) -> PortResult<Option<FinancialAccount>> { (**self).financial_account(id).await }
            async fn financial_accounts(&self) -> PortResult<Vec<FinancialAccount>> { (**self).financial_accounts().await }
            fn customers_changed_since(&self, since: DateTime<Utc>) -> ResultStream<'_, Customer> { (**self).customers_changed_since(since) }
            fn projects_changed_since(&self, since: DateTime<Utc>) -> ResultStream<'_, Project> { (**self).projects_changed_since(since) }
            fn invoices_changed_since(&self, since: DateTime<Utc>) -> ResultStream<'_, Invoice> { (**self).invoices_changed_since(since) }
            async fn invoice_payments(&self, id: InvoiceId) -> PortResult<Option<Vec<Payment>>> { (**self).invoice_payments(id).await }
            async fn register_payment(&self, id: InvoiceId, payment: &PaymentCreate) -> PortResult<Payment> { (**self).register_payment(id, payment).await }
        }

        #[async_trait]
        impl<T: DkPlusTarget + ?Sized> DkPlusTarget for $ptr {
            async fn verify(&self) -> PortResult<bool> { (**self).verify().await }
            async fn sales_person(&self, number: &SalesPersonNumber) -> PortResult<Option<SalesPerson>> { (**self).sales_person(number).await }
            async fn customer(&self, number: &CustomerNumber) -> PortResult<Option<dkplus_client::Customer>> { (**self).customer(number).await }
            async fn create_customer(&self, customer: &CustomerWrite) -> PortResult<()> { (**self).create_customer(customer).await }
            async fn update_customer(&self, number: &CustomerNumber, changes: &CustomerWrite) -> PortResult<()> { (**self).update_customer(number, changes).await }
            async fn project(&self, number: &ProjectNumber) -> PortResult<Option<dkplus_client::Project>> { (**self).project(number).await }
            async fn create_project(&self, project: &ProjectCreate) -> PortResult<()> { (**self).create_project(project).await }
            async fn product(&self, item_code: &ItemCode) -> PortResult<Option<dkplus_client::Product>> { (**self).product(item_code).await }
            async fn create_product(&self, product: &ProductCreate) -> PortResult<()> { (**self).create_product(product).await }
            async fn invoices_by_reference(&self, reference: &str) -> PortResult<Vec<SalesInvoice>> { (**self).invoices_by_reference(reference).await }
            async fn create_invoice(&self, invoice: &SalesInvoiceCreate) -> PortResult<SalesInvoice> { (**self).create_invoice(invoice).await }
            async fn list_invoices(&self, query: &InvoiceQuery) -> PortResult<Vec<SalesInvoice>> { (**self).list_invoices(query).await }
            async fn search_customers(&self, text: &str, max: u32) -> PortResult<Vec<dkplus_client::Customer>> { (**self).search_customers(text, max).await }
            fn is_dry_run(&self) -> bool { (**self).is_dry_run() }
        }
    )*};
}

forward!(std::sync::Arc<T>, &T, Box<T>);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn port_error_kinds() {
        let e = PortError::new(System::DkPlus, PortErrorKind::OutcomeUnknown, "timed out")
            .with_status(504);
        assert!(e.may_have_been_applied() && e.is_transient());
        assert_eq!(e.to_string(), "timed out");
        let e = PortError::new(System::Moment, PortErrorKind::Rejected, "400");
        assert!(!e.may_have_been_applied() && !e.is_transient());
    }

    #[test]
    fn dkplus_errors_map_to_kinds() {
        use dkplus_client::Error;
        use http::StatusCode;
        let api = |method: &str, status: u16| Error::Api {
            method: method.into(),
            path: "/x".into(),
            status: StatusCode::from_u16(status).unwrap(),
            message: None,
            body: String::new(),
            retry_after: None,
        };
        let decode = |method: &str| Error::Decode {
            method: method.into(),
            path: "/x".into(),
            status: StatusCode::OK,
            field_path: ".".into(),
            reason: "bad".into(),
            body: String::new(),
        };
        let cases = [
            (api("POST", 500), PortErrorKind::OutcomeUnknown),
            (api("POST", 502), PortErrorKind::OutcomeUnknown),
            (api("GET", 500), PortErrorKind::Unavailable),
            (api("GET", 503), PortErrorKind::Unavailable),
            (api("POST", 400), PortErrorKind::Rejected),
            (api("GET", 403), PortErrorKind::Unauthorized),
            (decode("POST"), PortErrorKind::OutcomeUnknown),
            (decode("GET"), PortErrorKind::Other),
            (
                Error::InvalidInput {
                    field: "lines[0].price".into(),
                    reason: "more than 15 significant digits".into(),
                },
                PortErrorKind::InvalidInput,
            ),
        ];
        for (error, kind) in cases {
            let text = error.to_string();
            let port = PortError::from(error);
            assert_eq!(port.kind, kind, "{text}");
            assert_eq!(port.system, System::DkPlus);
            assert_eq!(port.message, text);
        }
    }
}
