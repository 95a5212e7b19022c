//! The invoice peak-memory probe: a backfill of many invoices through the real engine and the
//! embedded SQLite store, against stand-ins at the engine's ports that keep nothing — a Moment
//! that generates each invoice (and its customer, project and products) when asked, and a DK+
//! that books every invoice without keeping it. What the process holds at its peak is then the
//! engine's and the store's working set, which must not grow with the number of invoices.
//!
//! Like the customer probe it runs in a process of its own (the program starts itself with
//! [`INVOICE_PROBE_OPTION`](super::options::INVOICE_PROBE_OPTION)) and reports the peak resident
//! set size (`VmHWM`, Linux only).

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use dkplus_client::{
    CustomerNumber, CustomerWrite, InvoiceNumber, ItemCode, ProductCreate, ProjectCreate,
    ProjectNumber, SalesInvoice, SalesInvoiceCreate, SalesPerson, SalesPersonNumber,
};
use moment_client::{
    Customer, CustomerId, FinancialAccount, FinancialAccountId, Invoice, InvoiceId, Product,
    ProductId, Project, ProjectId,
};
use moment_dkplus_mapping::ports::{InvoiceQuery, PortResult, ResultStream};
use moment_dkplus_mapping::store::Scope;
use moment_dkplus_mapping::{DkPlusTarget, IntegrationConfig, MomentSource, Retention, SyncEngine};

use super::backfill::{BenchError, SALES_PERSON};
use super::memory::{PROBE_CONCURRENCY, peak_rss_kib, temporary_store};
use super::workload::{Workload, customer, financial_accounts};

/// What one invoice probe measured.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InvoiceProbe {
    /// Invoices Moment listed.
    pub invoices: usize,
    /// Invoices DK+ booked.
    pub booked: u64,
    /// Invoices the engine reported as failed.
    pub failed: usize,
    /// Posts whose invoice number was not above the one posted before (0 when every invoice
    /// was posted once, in Moment's order).
    pub out_of_order: u64,
    /// Wall-clock time of the backfill.
    pub elapsed: Duration,
    /// The process's peak resident set size in KiB, where the system tells it.
    pub peak_rss_kib: Option<u64>,
}

impl InvoiceProbe {
    /// The one line a probe process prints.
    pub fn to_line(&self) -> String {
        format!(
            "invoice-probe invoices={} booked={} failed={} out_of_order={} elapsed_ms={} peak_rss_kib={}",
            self.invoices,
            self.booked,
            self.failed,
            self.out_of_order,
            self.elapsed.as_millis(),
            self.peak_rss_kib
                .map_or_else(|| "unknown".to_owned(), |k| k.to_string())
        )
    }

    /// Reads [`to_line`](Self::to_line)'s output back.
    pub fn from_line(line: &str) -> Option<Self> {
        let mut fields = line.trim().split(' ');
        if fields.next() != Some("invoice-probe") {
            return None;
        }
        let mut probe = Self {
            invoices: 0,
            booked: 0,
            failed: 0,
            out_of_order: 0,
            elapsed: Duration::ZERO,
            peak_rss_kib: None,
        };
        for field in fields {
            let (name, value) = field.split_once('=')?;
            match name {
                "invoices" => probe.invoices = value.parse().ok()?,
                "booked" => probe.booked = value.parse().ok()?,
                "failed" => probe.failed = value.parse().ok()?,
                "out_of_order" => probe.out_of_order = value.parse().ok()?,
                "elapsed_ms" => probe.elapsed = Duration::from_millis(value.parse().ok()?),
                "peak_rss_kib" => probe.peak_rss_kib = value.parse().ok(),
                _ => return None,
            }
        }
        Some(probe)
    }
}

/// The 0-based index of a generated object from its Moment id.
fn index(id: i64) -> Option<usize> {
    usize::try_from(id.checked_sub(1)?).ok()
}

/// A Moment that generates the workload's objects when asked and keeps none.
struct GeneratedMoment {
    workload: Workload,
}

#[async_trait]
impl MomentSource for GeneratedMoment {
    async fn verify(&self) -> PortResult<()> {
        Ok(())
    }

    async fn customer(&self, id: CustomerId) -> PortResult<Option<Customer>> {
        Ok(index(id.get())
            .filter(|&i| i < self.workload.customers)
            .map(customer))
    }

    async fn project(&self, id: ProjectId) -> PortResult<Option<Project>> {
        Ok(index(id.get())
            .filter(|&i| i < self.workload.customers)
            .map(|i| self.workload.project(i)))
    }

    async fn invoice(&self, id: InvoiceId) -> PortResult<Option<Invoice>> {
        Ok(index(id.get())
            .filter(|&i| i < self.workload.invoices)
            .map(|i| self.workload.invoice(i)))
    }

    async fn product(&self, id: ProductId) -> PortResult<Option<Product>> {
        Ok(index(id.get())
            .filter(|&i| i < self.workload.products)
            .map(|i| self.workload.product(i)))
    }

    async fn financial_account(
        &self,
        id: FinancialAccountId,
    ) -> PortResult<Option<FinancialAccount>> {
        Ok(financial_accounts().into_iter().find(|a| a.id == id))
    }

    async fn financial_accounts(&self) -> PortResult<Vec<FinancialAccount>> {
        Ok(financial_accounts())
    }

    fn customers_changed_since(&self, _since: DateTime<Utc>) -> ResultStream<'_, Customer> {
        Box::pin(futures_util::stream::empty())
    }

    fn projects_changed_since(&self, _since: DateTime<Utc>) -> ResultStream<'_, Project> {
        Box::pin(futures_util::stream::empty())
    }

    fn invoices_changed_since(&self, _since: DateTime<Utc>) -> ResultStream<'_, Invoice> {
        let now = Utc::now();
        Box::pin(futures_util::stream::iter((0..self.workload.invoices).map(
            move |i| {
                let mut invoice = self.workload.invoice(i);
                invoice.last_modified_date = Some(now - chrono::Duration::hours(1));
                Ok(invoice)
            },
        )))
    }
}

/// A DK+ that has the sales person, knows no customer, project, product or invoice, and books
/// every invoice it is sent without keeping it.
#[derive(Default)]
struct CountingDkPlus {
    booked: Arc<AtomicU64>,
    /// The last invoice number posted, and how many posts were not above the one before.
    last: AtomicU64,
    out_of_order: Arc<AtomicU64>,
}

#[async_trait]
impl DkPlusTarget for CountingDkPlus {
    async fn verify(&self) -> PortResult<bool> {
        Ok(true)
    }

    async fn sales_person(&self, number: &SalesPersonNumber) -> PortResult<Option<SalesPerson>> {
        Ok(Some(SalesPerson {
            number: Some(number.clone()),
            ..SalesPerson::default()
        }))
    }

    async fn customer(
        &self,
        _number: &CustomerNumber,
    ) -> PortResult<Option<dkplus_client::Customer>> {
        Ok(None)
    }

    async fn create_customer(&self, _customer: &CustomerWrite) -> PortResult<()> {
        Ok(())
    }

    async fn update_customer(
        &self,
        _number: &CustomerNumber,
        _changes: &CustomerWrite,
    ) -> PortResult<()> {
        Ok(())
    }

    async fn project(&self, _number: &ProjectNumber) -> PortResult<Option<dkplus_client::Project>> {
        Ok(None)
    }

    async fn create_project(&self, _project: &ProjectCreate) -> PortResult<()> {
        Ok(())
    }

    async fn product(&self, _code: &ItemCode) -> PortResult<Option<dkplus_client::Product>> {
        Ok(None)
    }

    async fn create_product(&self, _product: &ProductCreate) -> PortResult<()> {
        Ok(())
    }

    async fn invoices_by_reference(&self, _reference: &str) -> PortResult<Vec<SalesInvoice>> {
        Ok(Vec::new())
    }

    async fn create_invoice(&self, invoice: &SalesInvoiceCreate) -> PortResult<SalesInvoice> {
        let number = 100_000 + self.booked.fetch_add(1, Ordering::SeqCst);
        let moment_number = invoice
            .reference
            .as_deref()
            .and_then(|r| r.parse::<u64>().ok())
            .unwrap_or(0);
        if self.last.swap(moment_number, Ordering::SeqCst) >= moment_number {
            self.out_of_order.fetch_add(1, Ordering::SeqCst);
        }
        Ok(SalesInvoice {
            number: Some(InvoiceNumber::new(number.to_string())),
            reference: invoice.reference.clone(),
            ..SalesInvoice::default()
        })
    }

    async fn list_invoices(&self, _query: &InvoiceQuery) -> PortResult<Vec<SalesInvoice>> {
        Ok(Vec::new())
    }

    async fn search_customers(
        &self,
        _text: &str,
        _max: u32,
    ) -> PortResult<Vec<dkplus_client::Customer>> {
        Ok(Vec::new())
    }
}

/// Backfills `invoices` generated invoices (3 lines each, 100 customers, 20 products) in this
/// process, in Moment's number order, with the sync state in a SQLite file, and measures it.
///
/// # Errors
/// [`BenchError::Setup`] when the store or the configuration cannot be set up.
pub async fn probe_invoices(invoices: usize) -> Result<InvoiceProbe, BenchError> {
    let workload = Workload {
        invoices,
        lines_per_invoice: 3,
        ..Workload::default()
    };
    let (store, _file) = temporary_store("invoices").await?;
    let config = IntegrationConfig::builder()
        .sales_person(SALES_PERSON)
        .concurrency(PROBE_CONCURRENCY)
        .build()
        .map_err(|e| BenchError::Setup(e.to_string()))?;
    let dkplus = CountingDkPlus::default();
    let booked = dkplus.booked.clone();
    let out_of_order = dkplus.out_of_order.clone();
    let engine = SyncEngine::new(GeneratedMoment { workload }, dkplus, config)
        .with_store(store, Scope::new("probe", "probe"));
    let started = Instant::now();
    let report = engine
        .backfill_with(
            Utc::now() - chrono::Duration::days(1),
            Retention::ProblemsOnly,
            None,
        )
        .await;
    let elapsed = started.elapsed();
    Ok(InvoiceProbe {
        invoices,
        booked: booked.load(Ordering::SeqCst),
        out_of_order: out_of_order.load(Ordering::SeqCst),
        failed: report.failures().count(),
        elapsed,
        peak_rss_kib: peak_rss_kib(),
    })
}

/// Runs [`probe_invoices`] in a child process of this program and reads its line.
///
/// # Errors
/// A sentence when the child cannot be started or does not answer with a probe line.
pub fn invoice_probe_in_child(invoices: usize) -> Result<InvoiceProbe, String> {
    let program = std::env::current_exe().map_err(|e| format!("cannot find this program: {e}"))?;
    let output = std::process::Command::new(program)
        .args([super::options::INVOICE_PROBE_OPTION, &invoices.to_string()])
        .output()
        .map_err(|e| format!("cannot start the invoice memory probe: {e}"))?;
    let stdout = String::from_utf8_lossy(&output.stdout);
    stdout
        .lines()
        .find_map(InvoiceProbe::from_line)
        .ok_or_else(|| {
            format!(
                "the invoice memory probe for {invoices} invoices gave no result: {}",
                String::from_utf8_lossy(&output.stderr)
            )
        })
}
