//! `/invoices`, with state / type / customer / project filters and the lines sub-resource.

use crate::client::Request;
use crate::error::Result;
use crate::ids::{CustomerId, InvoiceId, ProjectId};
use crate::models::{Invoice, InvoiceLine, InvoiceState, InvoiceType, Payment, PaymentCreate};
use crate::paging::{ListRequest, PageBody};
use crate::resources::{Resource, ResourceHandler, Sealed};

/// Query parameter names of the invoice filters (guesses; see `docs/moment-api.md`).
pub(crate) mod param {
    pub(crate) const STATE: &str = "state";
    pub(crate) const INVOICE_TYPE: &str = "invoiceType";
    pub(crate) const CUSTOMER_ID: &str = "customerId";
    pub(crate) const PROJECT_ID: &str = "projectId";
}

/// Path of the lines sub-resource (a guess; the fake serves it).
pub(crate) const LINES: &str = "lines";

/// Path of the payments sub-resource (a guess; the fake serves it).
pub(crate) const PAYMENTS: &str = "payments";

/// How many payments of one invoice are asked for at once (`size`); more is an error.
pub const PAYMENTS_PAGE: u32 = 1000;

impl Sealed for Invoice {}

impl Resource for Invoice {
    type Id = InvoiceId;
    const PATH: &'static str = "invoices";
    fn id(&self) -> InvoiceId {
        self.id
    }
}

impl ListRequest<Invoice> {
    /// Only invoices in this state (`state=FINALIZED`; name and values guessed).
    pub fn state(self, state: InvoiceState) -> Self {
        self.set(param::STATE, state.as_wire().to_owned())
    }

    /// Only invoices of this type (`invoiceType=CREDIT_NOTE`; name and values guessed).
    pub fn invoice_type(self, invoice_type: InvoiceType) -> Self {
        self.set(param::INVOICE_TYPE, invoice_type.as_wire().to_owned())
    }

    /// Only invoices of this customer (`customerId`; name guessed).
    pub fn customer(self, customer: CustomerId) -> Self {
        self.set(param::CUSTOMER_ID, customer.to_string())
    }

    /// Only invoices of this project (`projectId`; name guessed).
    pub fn project(self, project: ProjectId) -> Self {
        self.set(param::PROJECT_ID, project.to_string())
    }
}

impl ResourceHandler<'_, Invoice> {
    /// Fetches the lines of an invoice from `GET /invoices/{id}/lines`.
    ///
    /// [`get`](ResourceHandler::get) already returns the invoice **with** its lines when Moment
    /// serves them inline (the assumption this crate makes). Use this only if your Moment
    /// serves lines separately; the path is a guess. `Ok(None)` on 404. Accepts a bare array
    /// or an envelope.
    pub async fn lines(&self, id: InvoiceId) -> Result<Option<Vec<InvoiceLine>>> {
        let id = id.to_string();
        let request = Request::get(&[Invoice::PATH, &id, LINES], Vec::new());
        let body: Option<PageBody<InvoiceLine>> = self.client.get_optional(&request).await?;
        Ok(body.map(|b| b.items))
    }

    /// The payments Moment holds for an invoice, from `GET /invoices/{id}/payments` (path and
    /// names guessed; see `docs/moment-api.md`). `Ok(None)` on 404. Accepts a bare array or an
    /// envelope.
    ///
    /// # Errors
    /// [`Error::IncompleteList`](crate::Error::IncompleteList) when Moment answers with one page
    /// of several (asked for up to [`PAYMENTS_PAGE`](crate::resources::PAYMENTS_PAGE) at once): a part of the payments would
    /// understate what is paid.
    pub async fn payments(&self, id: InvoiceId) -> Result<Option<Vec<Payment>>> {
        let id = id.to_string();
        let request = Request::get(
            &[Invoice::PATH, &id, PAYMENTS],
            vec![("size".to_owned(), PAYMENTS_PAGE.to_string())],
        );
        let Some(body) = self
            .client
            .get_optional::<PageBody<Payment>>(&request)
            .await?
        else {
            return Ok(None);
        };
        let meta = &body.meta;
        let more = meta.last == Some(false)
            || meta.total_pages.is_some_and(|pages| pages > 1)
            || meta
                .total_elements
                .is_some_and(|total| total > body.items.len() as u64);
        if more {
            return Err(crate::Error::IncompleteList {
                path: request.display_path(),
                shown: body.items.len(),
            });
        }
        Ok(Some(body.items))
    }

    /// Registers a payment on an invoice with `POST /invoices/{id}/payments` (path and names
    /// guessed). Never sent twice by the client: when it fails,
    /// [`Error::may_have_been_applied`](crate::Error::may_have_been_applied) says whether to
    /// look for it (by [`PaymentCreate::external_id`]) before sending it again. Moment's 2xx
    /// answer is returned as read; one that is not a payment (empty, HTML, another shape) comes
    /// back as an empty [`Payment`]: the caller cannot tell from it that the payment was taken,
    /// and should look it up.
    pub async fn register_payment(
        &self,
        id: InvoiceId,
        payment: &PaymentCreate,
    ) -> Result<Payment> {
        let id = id.to_string();
        let request = Request::post_json(&[Invoice::PATH, &id, PAYMENTS], payment)?;
        let fetched = self.client.fetch(&request).await?;
        Ok(serde_json::from_slice(&fetched.body).unwrap_or_default())
    }
}
