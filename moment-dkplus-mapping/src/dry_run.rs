//! [`DryRun`]: a [`DkPlusTarget`] that reads from DK+ but writes nothing, and records what it
//! would have written — for "show me what would be sent" runs against real books.

use std::fmt;
use std::sync::Mutex;

use async_trait::async_trait;
use dkplus_client::{
    CustomerNumber, CustomerWrite, ItemCode, ProductCreate, ProjectCreate, ProjectNumber,
    SalesInvoice, SalesInvoiceCreate, SalesPerson, SalesPersonNumber, WriteRequest,
};
use rust_decimal::Decimal;

use crate::ports::{DkPlusTarget, InvoiceQuery, PortResult};
use crate::sync::ObjectKind;

/// One write a [`DryRun`] did not send: what it was for, and the exact request the DK+ client
/// would have sent — built and checked by the client's own code
/// ([`WriteRequest`]), so a dry run refuses what the client would
/// refuse and shows what it would send.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
#[non_exhaustive]
pub struct PlannedWrite {
    /// The kind of DK+ record written.
    pub kind: ObjectKind,
    /// Its key in DK+: the customer or project number, the item code, or the invoice's reference
    /// (Moment's invoice number).
    pub key: String,
    /// The request.
    pub request: WriteRequest,
}

impl PlannedWrite {
    fn new(kind: ObjectKind, key: impl fmt::Display, request: WriteRequest) -> Self {
        Self {
            kind,
            key: key.to_string(),
            request,
        }
    }

    /// The request line and indented JSON body that would have been sent, e.g.
    /// `("POST /sales/invoice?post=true", "{ … }")`.
    pub fn describe(&self) -> (String, String) {
        (self.request.request_line(), self.request.pretty_body())
    }
}

#[derive(Default)]
struct Planned {
    writes: Vec<PlannedWrite>,
    customers: Vec<CustomerNumber>,
    projects: Vec<ProjectNumber>,
    products: Vec<ItemCode>,
    invoices: Vec<SalesInvoice>,
}

/// Wraps a [`DkPlusTarget`]: every read goes to DK+, every write is recorded instead of sent.
/// Objects it "created" are visible to later reads of the same run, so the plan has no
/// duplicates. Invoices it "posts" get no DK+ number.
pub struct DryRun<D> {
    inner: D,
    planned: Mutex<Planned>,
}

impl<D> DryRun<D> {
    /// Wraps `inner`.
    pub fn new(inner: D) -> Self {
        Self {
            inner,
            planned: Mutex::new(Planned::default()),
        }
    }

    /// The writes that would have been sent, in order.
    pub fn planned(&self) -> Vec<PlannedWrite> {
        self.lock().writes.clone()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Planned> {
        self.planned.lock().unwrap_or_else(|p| p.into_inner())
    }
}

#[async_trait]
impl<D: DkPlusTarget> DkPlusTarget for DryRun<D> {
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
        if self.lock().customers.contains(number) {
            return Ok(Some(dkplus_client::Customer {
                number: Some(number.clone()),
                ..Default::default()
            }));
        }
        self.inner.customer(number).await
    }

    async fn create_customer(&self, customer: &CustomerWrite) -> PortResult<()> {
        let request = WriteRequest::create_customer(customer)?;
        let key = customer
            .number
            .as_ref()
            .map(ToString::to_string)
            .unwrap_or_default();
        let mut planned = self.lock();
        planned.customers.extend(customer.number.clone());
        planned
            .writes
            .push(PlannedWrite::new(ObjectKind::Customer, key, request));
        Ok(())
    }

    async fn update_customer(
        &self,
        number: &CustomerNumber,
        changes: &CustomerWrite,
    ) -> PortResult<()> {
        let request = WriteRequest::update_customer(number, changes)?;
        self.lock()
            .writes
            .push(PlannedWrite::new(ObjectKind::Customer, number, request));
        Ok(())
    }

    async fn project(&self, number: &ProjectNumber) -> PortResult<Option<dkplus_client::Project>> {
        if self.lock().projects.contains(number) {
            return Ok(Some(dkplus_client::Project {
                number: Some(number.clone()),
                ..Default::default()
            }));
        }
        self.inner.project(number).await
    }

    async fn create_project(&self, project: &ProjectCreate) -> PortResult<()> {
        let request = WriteRequest::create_project(project)?;
        let mut planned = self.lock();
        planned.projects.push(project.number.clone());
        planned.writes.push(PlannedWrite::new(
            ObjectKind::Project,
            &project.number,
            request,
        ));
        Ok(())
    }

    async fn product(&self, item_code: &ItemCode) -> PortResult<Option<dkplus_client::Product>> {
        if self.lock().products.contains(item_code) {
            return Ok(Some(dkplus_client::Product {
                item_code: Some(item_code.clone()),
                ..Default::default()
            }));
        }
        self.inner.product(item_code).await
    }

    async fn create_product(&self, product: &ProductCreate) -> PortResult<()> {
        let request = WriteRequest::create_product(product)?;
        let mut planned = self.lock();
        planned.products.push(product.item_code.clone());
        planned.writes.push(PlannedWrite::new(
            ObjectKind::Product,
            &product.item_code,
            request,
        ));
        Ok(())
    }

    async fn invoices_by_reference(&self, reference: &str) -> PortResult<Vec<SalesInvoice>> {
        let mut found = self.inner.invoices_by_reference(reference).await?;
        found.extend(
            self.lock()
                .invoices
                .iter()
                .filter(|i| i.reference.as_deref() == Some(reference))
                .cloned(),
        );
        Ok(found)
    }

    async fn create_invoice(&self, invoice: &SalesInvoiceCreate) -> PortResult<SalesInvoice> {
        let request = WriteRequest::create_invoice(invoice, true)?;
        let total = invoice
            .lines
            .iter()
            .filter_map(|l| l.total)
            .fold(Decimal::ZERO, |sum, t| sum.saturating_add(t));
        let planned_invoice = SalesInvoice {
            reference: invoice.reference.clone(),
            customer_number: Some(invoice.customer.number.clone()),
            customer_ssn: invoice.customer.ssn.clone(),
            invoice_date: invoice.date,
            total_amount: Some(total),
            exchange: invoice.exchange,
            ..Default::default()
        };
        let mut planned = self.lock();
        planned.invoices.push(planned_invoice.clone());
        planned.writes.push(PlannedWrite::new(
            ObjectKind::Invoice,
            invoice.reference.as_deref().unwrap_or_default(),
            request,
        ));
        Ok(planned_invoice)
    }

    async fn list_invoices(&self, query: &InvoiceQuery) -> PortResult<Vec<SalesInvoice>> {
        let mut found = self.inner.list_invoices(query).await?;
        // Planned invoices come after DK+'s own, as new invoices would.
        let full_page = found.len() >= query.per_page as usize;
        if !full_page {
            found.extend(
                self.lock()
                    .invoices
                    .iter()
                    .filter(|i| {
                        query
                            .customer
                            .as_ref()
                            .is_none_or(|c| i.customer_number.as_ref() == Some(c))
                            && query
                                .reference
                                .as_deref()
                                .is_none_or(|r| i.reference.as_deref() == Some(r))
                    })
                    .cloned(),
            );
        }
        Ok(found)
    }

    async fn search_customers(
        &self,
        text: &str,
        max: u32,
    ) -> PortResult<Vec<dkplus_client::Customer>> {
        self.inner.search_customers(text, max).await
    }

    fn is_dry_run(&self) -> bool {
        true
    }
}
