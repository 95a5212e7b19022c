//! [`DryRun`]: a [`DkPlusTarget`] that reads from DK+ but writes nothing, and records what it
//! would have written — for "show me what would be sent" runs against real books.

use std::sync::Mutex;

use async_trait::async_trait;
use dkplus_client::{
    CustomerNumber, CustomerWrite, ItemCode, ProductCreate, ProjectCreate, ProjectNumber,
    SalesInvoice, SalesInvoiceCreate, SalesPerson, SalesPersonNumber,
};
use rust_decimal::Decimal;

use crate::ports::{DkPlusTarget, InvoiceQuery, PortResult};

/// One write a [`DryRun`] did not send.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum PlannedWrite {
    /// `POST /Customer`.
    CreateCustomer(CustomerWrite),
    /// `PUT /Customer/{number}` with only the changed fields.
    UpdateCustomer(CustomerNumber, CustomerWrite),
    /// `POST /project`.
    CreateProject(ProjectCreate),
    /// `POST /Product`.
    CreateProduct(ProductCreate),
    /// `POST /sales/invoice?post=true`.
    CreateInvoice(SalesInvoiceCreate),
}

impl PlannedWrite {
    /// The request line and JSON body that would have been sent.
    pub fn describe(&self) -> (String, String) {
        let json = |v: &dyn erased::Json| v.to_json();
        match self {
            Self::CreateCustomer(c) => ("POST /Customer".into(), json(c)),
            Self::UpdateCustomer(n, c) => (format!("PUT /Customer/{n}"), json(c)),
            Self::CreateProject(p) => ("POST /project".into(), json(p)),
            Self::CreateProduct(p) => ("POST /Product".into(), json(p)),
            Self::CreateInvoice(i) => ("POST /sales/invoice?post=true".into(), json(i)),
        }
    }
}

mod erased {
    pub(super) trait Json {
        fn to_json(&self) -> String;
    }
    impl<T: serde::Serialize> Json for T {
        fn to_json(&self) -> String {
            serde_json::to_string_pretty(self)
                .unwrap_or_else(|e| format!("(not serializable: {e})"))
        }
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
    async fn check_connection(&self) -> PortResult<bool> {
        self.inner.check_connection().await
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
        let mut planned = self.lock();
        planned.customers.extend(customer.number.clone());
        planned
            .writes
            .push(PlannedWrite::CreateCustomer(customer.clone()));
        Ok(())
    }

    async fn update_customer(
        &self,
        number: &CustomerNumber,
        changes: &CustomerWrite,
    ) -> PortResult<()> {
        self.lock().writes.push(PlannedWrite::UpdateCustomer(
            number.clone(),
            changes.clone(),
        ));
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
        let mut planned = self.lock();
        planned.projects.push(project.number.clone());
        planned
            .writes
            .push(PlannedWrite::CreateProject(project.clone()));
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
        let mut planned = self.lock();
        planned.products.push(product.item_code.clone());
        planned
            .writes
            .push(PlannedWrite::CreateProduct(product.clone()));
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
        planned
            .writes
            .push(PlannedWrite::CreateInvoice(invoice.clone()));
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
