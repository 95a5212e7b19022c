//! One measured backfill: a generated company in a fake Moment, an empty fake DK+, both adding
//! the same latency to every answer, the real clients and the real engine between them. After
//! the run it checks that DK+ holds every invoice exactly once, so a fast but wrong run never
//! passes for a result.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::time::{Duration, Instant};

use chrono::Utc;
use dkplus_client::testing::{FakeDkPlus, PostLatency};
use dkplus_client::{DkPlusClient, SalesPerson, SalesPersonNumber};
use moment_client::MomentClient;
use moment_client::testing::FakeMoment;
use moment_dkplus_mapping::sync::Counts;
use moment_dkplus_mapping::{IntegrationConfig, Retention, SyncEngine, SyncReport};

use super::workload::Workload;

/// The sales person the generated invoices are booked on.
pub const SALES_PERSON: &str = "vef";

/// A benchmark run that could not start, or whose result is wrong.
#[derive(Debug, thiserror::Error)]
pub enum BenchError {
    /// A client or the configuration could not be built.
    #[error("could not set the benchmark up: {0}")]
    Setup(String),
    /// The run did not leave DK+ as it must: the figures would mean nothing.
    #[error("the run at concurrency {concurrency} is wrong:{}", problems.iter().map(|p| format!("\n  - {p}")).collect::<String>())]
    Incorrect {
        /// The concurrency of the run.
        concurrency: usize,
        /// What was wrong.
        problems: Vec<String>,
    },
}

/// The figures of one run.
#[derive(Clone, Debug, PartialEq)]
pub struct Measurement {
    /// How many objects were transferred at the same time (1 for the baseline).
    pub concurrency: usize,
    /// Invoices that reached DK+ in this run.
    pub invoices: usize,
    /// Wall-clock time of the whole run (listings, customers, projects, invoices).
    pub elapsed: Duration,
    /// Requests Moment answered.
    pub moment_requests: u64,
    /// Requests DK+ answered, by `METHOD /route`.
    pub dkplus_requests: BTreeMap<String, u64>,
    /// The engine's outcome counts.
    pub counts: Counts,
    /// The delays the fake DK+ drew for invoice posts, added up (zero without a drawn
    /// latency): the least time posting them one after another can take.
    pub post_delays: Duration,
}

impl Measurement {
    /// All requests, to both systems.
    pub fn requests(&self) -> u64 {
        self.moment_requests + self.dkplus_requests()
    }

    /// All requests to DK+.
    pub fn dkplus_requests(&self) -> u64 {
        self.dkplus_requests.values().sum::<u64>()
    }

    /// DK+ requests per transferred invoice, the customers, projects, products and listings
    /// included.
    pub fn dkplus_requests_per_invoice(&self) -> f64 {
        self.dkplus_requests() as f64 / self.invoices.max(1) as f64
    }

    /// Requests per transferred invoice, the customers, projects, products and listings
    /// included.
    pub fn requests_per_invoice(&self) -> f64 {
        self.requests() as f64 / self.invoices.max(1) as f64
    }

    /// Invoices per second over the whole run.
    pub fn invoices_per_second(&self) -> f64 {
        self.invoices as f64 / self.elapsed.as_secs_f64().max(f64::EPSILON)
    }

    /// The ideal bound: every request waits `latency`, `concurrency` of them at a time, and
    /// nothing else takes time (latency × requests ÷ concurrency).
    pub fn ideal(&self, latency: Duration) -> Duration {
        latency.mul_f64(self.requests() as f64 / self.concurrency.max(1) as f64)
    }

    /// How far the run is from the ideal bound: 1.0 is the bound itself.
    pub fn ratio_to_ideal(&self, latency: Duration) -> Option<f64> {
        let ideal = self.ideal(latency).as_secs_f64();
        (ideal > 0.0).then(|| self.elapsed.as_secs_f64() / ideal)
    }
}

impl fmt::Display for Measurement {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "concurrency {}: {} invoices in {:.2} s, {} requests",
            self.concurrency,
            self.invoices,
            self.elapsed.as_secs_f64(),
            self.requests()
        )
    }
}

/// The two fakes, seeded, each adding `latency` to every answer and recording nothing (so memory
/// stays flat), with DK+ knowing the sales person.
pub async fn start_fakes(workload: &Workload, latency: Duration) -> (FakeMoment, FakeDkPlus) {
    let moment = FakeMoment::builder()
        .latency(latency)
        .record_requests(false)
        .start()
        .await;
    workload.seed(&moment);
    (moment, start_dkplus(latency).await)
}

/// An empty fake DK+ adding `latency` to every answer, recording nothing, knowing the sales
/// person.
async fn start_dkplus(latency: Duration) -> FakeDkPlus {
    let dkplus = FakeDkPlus::builder()
        .latency(latency)
        .record_requests(false)
        .start()
        .await;
    dkplus.add_sales_person(SalesPerson {
        number: Some(SalesPersonNumber::new(SALES_PERSON)),
        name_on_sales_orders: Some("Vefsala".into()),
        ..SalesPerson::default()
    });
    dkplus
}

/// How the measured backfill posts its invoices.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Posting {
    /// Posts run concurrently like every other request (`post_invoices_in_order(false)`): the
    /// engine's throughput.
    Concurrent,
    /// The default: prepared concurrently, posted one at a time in Moment's invoice-number order.
    InOrder,
}

/// The engine the benchmark measures: the real clients against the fakes.
///
/// # Errors
/// [`BenchError::Setup`] when a client or the configuration is refused.
pub fn engine(
    moment: &FakeMoment,
    dkplus: &FakeDkPlus,
    concurrency: usize,
    posting: Posting,
) -> Result<SyncEngine<MomentClient, DkPlusClient>, BenchError> {
    let config = IntegrationConfig::builder()
        .sales_person(SALES_PERSON)
        .concurrency(concurrency)
        .post_invoices_in_order(posting == Posting::InOrder)
        .build()
        .map_err(|e| BenchError::Setup(e.to_string()))?;
    let moment_client = moment
        .client()
        .map_err(|e| BenchError::Setup(e.to_string()))?;
    let dkplus_client = dkplus
        .client()
        .map_err(|e| BenchError::Setup(e.to_string()))?;
    Ok(SyncEngine::new(moment_client, dkplus_client, config))
}

/// What one request costs against a fake adding `latency`, when `concurrency` requests are under
/// way at a time: the average round trip of a trivial DK+ request (a sales-person look-up), over
/// `rounds` rounds. This is the latency a backfill really meets — the injected delay plus the
/// timer's granularity, the loopback HTTP exchange and the scheduling of this machine — and so
/// the fair unit for a calibrated ideal bound.
///
/// # Errors
/// [`BenchError`] when the client cannot be built or a request fails.
pub async fn round_trip(
    latency: Duration,
    concurrency: usize,
    rounds: usize,
) -> Result<Duration, BenchError> {
    let dkplus = start_dkplus(latency).await;
    let client = dkplus
        .client()
        .map_err(|e| BenchError::Setup(e.to_string()))?;
    let number = SalesPersonNumber::new(SALES_PERSON);
    let started = Instant::now();
    let tasks = (0..concurrency.max(1)).map(|_| {
        let client = client.clone();
        let number = number.clone();
        async move {
            for _ in 0..rounds {
                client.sales_persons().get(&number).await?;
            }
            Ok::<(), dkplus_client::Error>(())
        }
    });
    futures_util::future::try_join_all(tasks)
        .await
        .map_err(|e| BenchError::Setup(format!("the calibration request failed: {e}")))?;
    Ok(started.elapsed() / u32::try_from(rounds.max(1)).unwrap_or(u32::MAX))
}

/// Runs one backfill of the whole `workload` at `concurrency` against fresh fakes and checks
/// the result.
///
/// # Errors
/// [`BenchError`] when the setup fails or DK+ does not end up with every invoice exactly once.
pub async fn measure_backfill(
    workload: &Workload,
    latency: Duration,
    concurrency: usize,
    posting: Posting,
) -> Result<Measurement, BenchError> {
    measure_backfill_with(workload, latency, concurrency, posting, None).await
}

/// [`measure_backfill`] with DK+'s invoice posts delayed by delays drawn from `post_latency`
/// (a slow tail) instead of `latency`.
///
/// # Errors
/// [`BenchError`] when the setup fails or DK+ does not end up with every invoice exactly once.
pub async fn measure_backfill_with(
    workload: &Workload,
    latency: Duration,
    concurrency: usize,
    posting: Posting,
    post_latency: Option<PostLatency>,
) -> Result<Measurement, BenchError> {
    let (moment, dkplus) = start_fakes(workload, latency).await;
    dkplus.set_invoice_post_latency(post_latency);
    let engine = engine(&moment, &dkplus, concurrency, posting)?;
    let since = Utc::now() - chrono::Duration::days(1);

    let started = Instant::now();
    let report = engine
        .backfill_with(since, Retention::ProblemsOnly, None)
        .await;
    let elapsed = started.elapsed();

    let expected: Vec<usize> = (0..workload.invoices).collect();
    check_dkplus(workload, &dkplus, &expected, Some(&report), concurrency)?;
    Ok(Measurement {
        concurrency,
        invoices: workload.invoices,
        elapsed,
        moment_requests: moment.request_count(),
        dkplus_requests: dkplus.counts(),
        counts: report.counts,
        post_delays: dkplus.invoice_post_delays().1,
    })
}

/// The steady state: after a first backfill of the whole `workload`, as many new invoices of
/// the same customers, projects and products are finalized, and a second backfill (from the
/// first one's end) sends them. Measures that second backfill.
///
/// # Errors
/// [`BenchError`] when the setup fails or DK+ does not end up with every invoice exactly once.
pub async fn measure_steady(
    workload: &Workload,
    latency: Duration,
    concurrency: usize,
) -> Result<Measurement, BenchError> {
    let (moment, dkplus) = start_fakes(workload, latency).await;
    let engine = engine(&moment, &dkplus, concurrency, Posting::InOrder)?;
    let first = engine
        .backfill_with(
            Utc::now() - chrono::Duration::days(1),
            Retention::ProblemsOnly,
            None,
        )
        .await;
    check_dkplus(
        workload,
        &dkplus,
        &(0..workload.invoices).collect::<Vec<_>>(),
        Some(&first),
        concurrency,
    )?;
    let since = Utc::now();
    let new = workload.invoices..2 * workload.invoices;
    for index in new.clone() {
        let mut invoice = workload.invoice(index);
        invoice.last_modified_date = None;
        moment.insert(invoice);
    }
    let (moment_before, dkplus_before) = (moment.request_count(), dkplus.counts());
    let started = Instant::now();
    let report = engine
        .backfill_with(since, Retention::ProblemsOnly, None)
        .await;
    let elapsed = started.elapsed();
    check_dkplus(
        workload,
        &dkplus,
        &(0..2 * workload.invoices).collect::<Vec<_>>(),
        Some(&report),
        concurrency,
    )?;
    let dkplus_requests = dkplus
        .counts()
        .into_iter()
        .map(|(route, n)| {
            let before = dkplus_before.get(&route).copied().unwrap_or(0);
            (route, n - before)
        })
        .filter(|(_, n)| *n > 0)
        .collect();
    Ok(Measurement {
        concurrency,
        invoices: new.len(),
        elapsed,
        moment_requests: moment.request_count() - moment_before,
        dkplus_requests,
        counts: report.counts,
        post_delays: Duration::ZERO,
    })
}

/// Checks that DK+ holds exactly the invoices `expected` (indexes into the workload), each once,
/// for the right customer and total, and that the report (when given) has no failure.
///
/// # Errors
/// [`BenchError::Incorrect`] listing every difference.
pub fn check_dkplus(
    workload: &Workload,
    dkplus: &FakeDkPlus,
    expected: &[usize],
    report: Option<&SyncReport>,
    concurrency: usize,
) -> Result<(), BenchError> {
    let mut problems = Vec::new();
    if let Some(report) = report {
        for outcome in report.failures().take(5) {
            problems.push(format!("failed: {outcome}"));
        }
        for listing in &report.listing_failures {
            problems.push(format!("listing stopped: {listing}"));
        }
    }
    let mut by_reference: BTreeMap<String, Vec<dkplus_client::SalesInvoice>> = BTreeMap::new();
    for invoice in dkplus.invoices() {
        let reference = invoice.reference.clone().unwrap_or_default();
        by_reference.entry(reference).or_default().push(invoice);
    }
    let wanted: BTreeSet<String> = expected
        .iter()
        .map(|&i| workload.invoice_number(i))
        .collect();
    for (reference, found) in &by_reference {
        if !wanted.contains(reference) {
            problems.push(format!("DK+ has an unexpected invoice {reference:?}"));
        } else if found.len() > 1 {
            problems.push(format!(
                "invoice {reference} is in DK+ {} times",
                found.len()
            ));
        }
    }
    for &index in expected {
        let reference = workload.invoice_number(index);
        let Some(found) = by_reference.get(&reference).and_then(|f| f.first()) else {
            problems.push(format!("invoice {reference} is missing in DK+"));
            continue;
        };
        let invoice = workload.invoice(index);
        let customer = workload.invoice_customer(index);
        let customer_number = customer.customer_number.as_ref().map(|n| n.as_str());
        if found.customer_number.as_ref().map(|n| n.as_str()) != customer_number {
            problems.push(format!(
                "invoice {reference} has customer {:?} in DK+, not {customer_number:?}",
                found.customer_number
            ));
        }
        if found.total_amount != invoice.total_excluding_vat {
            problems.push(format!(
                "invoice {reference} has total {:?} in DK+, not {:?}",
                found.total_amount, invoice.total_excluding_vat
            ));
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        problems.truncate(20);
        Err(BenchError::Incorrect {
            concurrency,
            problems,
        })
    }
}
