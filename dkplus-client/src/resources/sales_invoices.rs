//! `/sales/invoice`.

use crate::operations as op;
use chrono::{DateTime, NaiveDate, Utc};

use crate::client::DkPlusClient;
use crate::client::request::ApiRequest;
use crate::error::{Error, Result};
use crate::ids::{CustomerNumber, InvoiceNumber, ProjectNumber, SalesPersonNumber};
use crate::models::{SalesInvoice, SalesInvoiceCreate};
use crate::paging::{Listing, flag, list_builder_common};
use crate::validation;
use crate::wire::dates::format_query_timestamp;

use super::{decode_many, decode_optional};

/// Sales-invoice calls, from [`DkPlusClient::sales_invoices`].
#[derive(Debug, Clone)]
pub struct SalesInvoices {
    client: DkPlusClient,
}

impl SalesInvoices {
    pub(crate) fn new(client: DkPlusClient) -> Self {
        Self { client }
    }

    /// Prepares `POST /sales/invoice`. The invoice is posted (booked) unless
    /// [`unposted`](CreateSalesInvoice::unposted) is called; `send()` sends it.
    ///
    /// This request is **never retried automatically**: DK+ has no idempotency key, so a second
    /// attempt could book a second invoice. When it fails with
    /// [`Error::may_have_been_applied`], look the invoice up with [`by_reference`](Self::by_reference)
    /// before creating it again.
    ///
    /// ```no_run
    /// # use dkplus_client::*;
    /// # use rust_decimal::Decimal;
    /// # async fn run(client: DkPlusClient) -> Result<()> {
    /// let invoice = SalesInvoiceCreate {
    ///     customer: InvoiceCustomer { number: "1710794709".into(), ..Default::default() },
    ///     reference: Some("MOMENT-42".into()),
    ///     lines: vec![SalesInvoiceLineCreate {
    ///         item_code: "RADGJOF".into(),
    ///         quantity: Decimal::from(3),
    ///         price: Decimal::from(14500),
    ///         ..Default::default()
    ///     }],
    ///     ..Default::default()
    /// };
    /// let created = client.sales_invoices().create(&invoice).send().await?;
    /// println!("DK+ invoice {}", created.number.unwrap());
    /// # Ok(()) }
    /// ```
    pub fn create<'a>(&self, invoice: &'a SalesInvoiceCreate) -> CreateSalesInvoice<'a> {
        CreateSalesInvoice {
            client: self.client.clone(),
            invoice,
            post: true,
        }
    }

    /// `GET /sales/invoice/{number}`; `Ok(None)` when DK+ has no such invoice (404).
    pub async fn get(&self, number: &InvoiceNumber) -> Result<Option<SalesInvoice>> {
        validation::key("number", number.as_str())?;
        let request = ApiRequest::to(&op::INVOICE_GET, &[number.as_str()])?;
        decode_optional(self.client.execute_optional(&request).await?)
    }

    /// `GET /sales/invoice/reference/{reference}`: every invoice carrying this `Reference`
    /// (empty when there is none).
    pub async fn by_reference(&self, reference: &str) -> Result<Vec<SalesInvoice>> {
        validation::key("reference", reference)?;
        let request = ApiRequest::to(&op::INVOICE_BY_REFERENCE, &[reference])?;
        decode_many(self.client.execute_optional(&request).await?)
    }

    /// `GET /sales/invoice/page/{page}/{count}` with filters.
    pub fn list(&self) -> SalesInvoiceList {
        SalesInvoiceList {
            client: self.client.clone(),
            listing: Listing::new(&op::INVOICE_PAGE),
        }
    }
}

/// A prepared invoice creation, from [`SalesInvoices::create`].
#[derive(Debug, Clone)]
#[must_use = "call .send() to create the invoice"]
pub struct CreateSalesInvoice<'a> {
    client: DkPlusClient,
    invoice: &'a SalesInvoiceCreate,
    post: bool,
}

impl CreateSalesInvoice<'_> {
    /// Leaves the invoice unposted ("unprinted") in DK, for review there (`post=false`).
    pub fn unposted(mut self) -> Self {
        self.post = false;
        self
    }

    /// Posts (books) the invoice or not (`post=true`, the default, or `post=false`).
    pub fn posted(mut self, post: bool) -> Self {
        self.post = post;
        self
    }

    /// Validates and sends the invoice; returns it as DK+ stored it.
    ///
    /// # Errors
    /// - [`Error::InvalidInput`] before sending, naming the field (missing customer number, no
    ///   lines, an item code over 20 characters, a text over 2000 characters, …);
    /// - [`Error::Api`] with DK+'s `Message` when DK+ refuses it (unknown item code, unknown sales
    ///   person, …);
    /// - [`Error::MissingInvoiceNumber`] when a posted invoice comes back without a `Number`;
    /// - any error where [`Error::may_have_been_applied`] is true: check by reference first.
    pub async fn send(self) -> Result<SalesInvoice> {
        let request = create_request(self.invoice, self.post)?;
        let response = self.client.execute(&request).await?;
        let invoice: SalesInvoice = response.json()?;
        let has_number = invoice
            .number
            .as_ref()
            .is_some_and(|n| !n.as_str().trim().is_empty());
        if self.post && !has_number {
            return Err(Error::MissingInvoiceNumber {
                invoice: Box::new(invoice),
            });
        }
        tracing::info!(
            number = ?invoice.number,
            reference = ?self.invoice.reference,
            posted = self.post,
            "created DK+ sales invoice"
        );
        Ok(invoice)
    }
}

/// Filters for [`SalesInvoices::list`]. Filters are sent with every page.
#[derive(Debug, Clone)]
#[must_use = "call .send() or .stream()"]
pub struct SalesInvoiceList {
    client: DkPlusClient,
    listing: Listing,
}

impl SalesInvoiceList {
    list_builder_common!(SalesInvoice);

    /// Include the lines of each invoice (`includeLines`); without it `lines` is `None`.
    pub fn include_lines(mut self, include: bool) -> Self {
        self.listing.set("includeLines", flag(include));
        self
    }

    /// Only invoices dated on or after this day (`createdAfter`; DK+ compares the invoice date).
    pub fn created_after(mut self, date: NaiveDate) -> Self {
        self.listing
            .set("createdAfter", date.format("%Y-%m-%d").to_string());
        self
    }

    /// Only invoices dated before this day (`createdBefore`).
    pub fn created_before(mut self, date: NaiveDate) -> Self {
        self.listing
            .set("createdBefore", date.format("%Y-%m-%d").to_string());
        self
    }

    /// Only invoices modified after this instant (`modifiedAfter`).
    pub fn modified_after(mut self, at: DateTime<Utc>) -> Self {
        self.listing
            .set("modifiedAfter", format_query_timestamp(at));
        self
    }

    /// Only invoices modified before this instant (`modifiedBefore`).
    pub fn modified_before(mut self, at: DateTime<Utc>) -> Self {
        self.listing
            .set("modifiedBefore", format_query_timestamp(at));
        self
    }

    /// Only invoices due after this day (`dueAfter`).
    pub fn due_after(mut self, date: NaiveDate) -> Self {
        self.listing
            .set("dueAfter", date.format("%Y-%m-%d").to_string());
        self
    }

    /// Only invoices of this customer (`customer`).
    pub fn customer(mut self, customer: &CustomerNumber) -> Self {
        self.listing.set("customer", customer.to_string());
        self
    }

    /// Only invoices on this project (`project`).
    pub fn project(mut self, project: &ProjectNumber) -> Self {
        self.listing.set("project", project.to_string());
        self
    }

    /// Only invoices with this reference (`reference`).
    pub fn reference(mut self, reference: impl Into<String>) -> Self {
        self.listing.set("reference", reference.into());
        self
    }

    /// Only invoices of this sales person (`salesPerson`).
    pub fn sales_person(mut self, sales_person: &SalesPersonNumber) -> Self {
        self.listing.set("salesPerson", sales_person.to_string());
        self
    }

    /// Only invoices whose `RecordID` is greater than this (`recordid`), for incremental reads.
    pub fn record_id_after(mut self, record_id: i64) -> Self {
        self.listing.set("recordid", record_id.to_string());
        self
    }
}

/// The checked request of [`CreateSalesInvoice::send`]: booked (`post=true`) or not.
pub(crate) fn create_request(invoice: &SalesInvoiceCreate, post: bool) -> Result<ApiRequest> {
    validation::invoice_create(invoice)?;
    ApiRequest::to(&op::INVOICE_CREATE, &[])?
        .query("post", flag(post))
        .json_body(invoice)
}
