//! The peak-memory probe: a backfill of many customers through the real clients and the real
//! engine, against two stand-ins that store nothing — a Moment that generates each page of
//! customers when it is asked for, and a DK+ that knows no customer and counts the ones created.
//! Whatever the process holds at its peak is then the engine's and the clients' doing: with
//! streamed listings and bounded run caches it must not grow with the number of customers.
//!
//! Each probe runs in a process of its own (the program starts itself with
//! [`MEMORY_PROBE_OPTION`](super::options::MEMORY_PROBE_OPTION)) and reports the peak resident
//! set size the kernel measured for it (`VmHWM`, Linux only).

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use chrono::Utc;
use dkplus_client::DkPlusClient;
use moment_client::MomentClient;
use moment_dkplus_mapping::{IntegrationConfig, Retention, SyncEngine};

use super::backfill::BenchError;
use super::workload::customer;

/// The backfill concurrency of the probe.
pub const PROBE_CONCURRENCY: usize = 16;

/// What one probe measured.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Probe {
    /// Customers Moment listed.
    pub customers: usize,
    /// Customers DK+ was asked to create.
    pub created: u64,
    /// Customers the engine reported as failed.
    pub failed: usize,
    /// Wall-clock time of the backfill.
    pub elapsed: Duration,
    /// The process's peak resident set size in KiB, where the system tells it.
    pub peak_rss_kib: Option<u64>,
}

impl Probe {
    /// The one line a probe process prints.
    pub fn to_line(&self) -> String {
        format!(
            "probe customers={} created={} failed={} elapsed_ms={} peak_rss_kib={}",
            self.customers,
            self.created,
            self.failed,
            self.elapsed.as_millis(),
            self.peak_rss_kib
                .map_or_else(|| "unknown".to_owned(), |k| k.to_string())
        )
    }

    /// Reads [`to_line`](Self::to_line)'s output back.
    pub fn from_line(line: &str) -> Option<Self> {
        let mut probe = Self {
            customers: 0,
            created: 0,
            failed: 0,
            elapsed: Duration::ZERO,
            peak_rss_kib: None,
        };
        let mut fields = line.trim().split(' ');
        if fields.next() != Some("probe") {
            return None;
        }
        for field in fields {
            let (name, value) = field.split_once('=')?;
            match name {
                "customers" => probe.customers = value.parse().ok()?,
                "created" => probe.created = value.parse().ok()?,
                "failed" => probe.failed = value.parse().ok()?,
                "elapsed_ms" => probe.elapsed = Duration::from_millis(value.parse().ok()?),
                "peak_rss_kib" => probe.peak_rss_kib = value.parse().ok(),
                _ => return None,
            }
        }
        Some(probe)
    }
}

/// A SQLite store in a file of its own, deleted (with its journal) when the guard is dropped.
pub struct TemporaryStore(std::path::PathBuf);

impl Drop for TemporaryStore {
    fn drop(&mut self) {
        for suffix in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{suffix}", self.0.display()));
        }
    }
}

/// Opens a SQLite store in a fresh file under the temp dir, named after `what`.
///
/// # Errors
/// [`BenchError::Setup`] when it cannot be opened.
pub async fn temporary_store(
    what: &str,
) -> Result<(Arc<dyn moment_dkplus_mapping::store::Store>, TemporaryStore), BenchError> {
    let file = std::env::temp_dir().join(format!(
        "moment-dkplus-probe-{what}-{}.db",
        std::process::id()
    ));
    let guard = TemporaryStore(file.clone());
    // Leftovers of an earlier process with the same id go first.
    drop(TemporaryStore(file.clone()));
    let store = moment_dkplus_mapping::store::open(&format!("sqlite:{}", file.display()))
        .await
        .map_err(|e| BenchError::Setup(e.to_string()))?;
    Ok((store, guard))
}

/// The peak resident set size of this process in KiB (`VmHWM` in `/proc/self/status`), or
/// `None` where the system does not tell it.
pub fn peak_rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmHWM:"))
        .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
}

fn query_number(uri: &Uri, name: &str) -> Option<usize> {
    uri.query()?
        .split('&')
        .filter_map(|pair| pair.split_once('='))
        .find(|(key, _)| *key == name)
        .and_then(|(_, value)| value.parse().ok())
}

fn json(status: StatusCode, body: String) -> Response {
    (status, [(header::CONTENT_TYPE, "application/json")], body).into_response()
}

/// `GET …/customers?page=P&size=S` (pages counted from 0): customers `P × S` up to the total,
/// generated for this answer only.
async fn customer_page(State(total): State<usize>, uri: Uri) -> Response {
    let page = query_number(&uri, "page").unwrap_or(0);
    let size = query_number(&uri, "size").unwrap_or(20).max(1);
    let start = page.saturating_mul(size).min(total);
    let end = start.saturating_add(size).min(total);
    let items: Vec<_> = (start..end).map(customer).collect();
    match serde_json::to_string(&items) {
        Ok(body) => json(StatusCode::OK, body),
        Err(e) => json(
            StatusCode::INTERNAL_SERVER_ERROR,
            serde_json::json!({ "message": e.to_string() }).to_string(),
        ),
    }
}

async fn unknown_customer() -> Response {
    json(
        StatusCode::NOT_FOUND,
        serde_json::json!({ "Message": "Customer not found." }).to_string(),
    )
}

async fn connected() -> Response {
    json(StatusCode::OK, "true".to_owned())
}

async fn no_customers() -> Response {
    json(StatusCode::OK, "[]".to_owned())
}

async fn create_customer(State(created): State<Arc<AtomicU64>>) -> StatusCode {
    created.fetch_add(1, Ordering::Relaxed);
    StatusCode::OK
}

async fn serve(app: Router) -> Result<SocketAddr, BenchError> {
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0))
        .await
        .map_err(|e| BenchError::Setup(format!("no loopback port: {e}")))?;
    let address = listener
        .local_addr()
        .map_err(|e| BenchError::Setup(format!("no loopback port: {e}")))?;
    tokio::spawn(async move {
        if let Err(e) = axum::serve(listener, app).await {
            eprintln!("a benchmark stand-in server stopped: {e}");
        }
    });
    Ok(address)
}

/// Runs one customer backfill of `customers` in this process and measures it.
///
/// # Errors
/// [`BenchError::Setup`] when a stand-in or client cannot start.
pub async fn probe(customers: usize) -> Result<Probe, BenchError> {
    let moment_address = serve(
        Router::new()
            .route("/api/1.0/companies/{company}/customers", get(customer_page))
            .with_state(customers),
    )
    .await?;
    let created = Arc::new(AtomicU64::new(0));
    let dkplus_address = serve(
        Router::new()
            .route("/api/v1/company/connection", get(connected))
            .route("/api/v1/Customer/{number}", get(unknown_customer))
            .route("/api/v1/Customer/search/{value}/{max}", get(no_customers))
            .route("/api/v1/Customer", post(create_customer))
            .with_state(Arc::clone(&created)),
    )
    .await?;

    let setup = |e: &dyn std::fmt::Display| BenchError::Setup(e.to_string());
    let moment = MomentClient::builder()
        .company_code("bench")
        .api_key("bench-moment-key")
        .base_url(format!(
            "http://{moment_address}/api/1.0/companies/{{companyCode}}"
        ))
        .build()
        .map_err(|e| setup(&e))?;
    let dkplus = DkPlusClient::builder()
        .token("bench-dkplus-token")
        .base_url(format!("http://{dkplus_address}/api/v1"))
        .build()
        .map_err(|e| setup(&e))?;
    let config = IntegrationConfig::builder()
        .transfer_projects(false)
        .transfer_invoices(false)
        .concurrency(PROBE_CONCURRENCY)
        .build()
        .map_err(|e| setup(&e))?;
    // The embedded store on disk, as in production: what the engine remembers of each customer
    // is the store's, not the process's.
    let (store, _file) = temporary_store("customers").await?;
    let engine = SyncEngine::new(moment, dkplus, config).with_store(
        store,
        moment_dkplus_mapping::store::Scope::new("probe", "probe"),
    );

    let started = Instant::now();
    let report = engine
        .backfill_with(
            Utc::now() - chrono::Duration::days(1),
            Retention::ProblemsOnly,
            None,
        )
        .await;
    let elapsed = started.elapsed();
    Ok(Probe {
        customers: report.counts.total(),
        created: created.load(Ordering::Relaxed),
        failed: report.counts.failed
            + report.listing_failures.len()
            + usize::from(report.stopped.is_some()),
        elapsed,
        peak_rss_kib: peak_rss_kib(),
    })
}

/// Runs [`probe`] in a fresh process (this program, started with
/// [`MEMORY_PROBE_OPTION`](super::options::MEMORY_PROBE_OPTION)), so its peak is its own.
///
/// # Errors
/// A sentence saying why the probe process did not report.
pub fn probe_in_child(customers: usize) -> Result<Probe, String> {
    let program = std::env::current_exe().map_err(|e| format!("cannot find this program: {e}"))?;
    let output = std::process::Command::new(program)
        .arg(super::options::MEMORY_PROBE_OPTION)
        .arg(customers.to_string())
        .output()
        .map_err(|e| format!("cannot start the probe process: {e}"))?;
    let stdout = String::from_utf8_lossy(&output.stdout);
    stdout
        .lines()
        .rev()
        .find_map(Probe::from_line)
        .filter(|_| output.status.success())
        .ok_or_else(|| {
            format!(
                "the probe for {customers} customers did not report ({}): {}",
                output.status,
                String::from_utf8_lossy(&output.stderr).trim()
            )
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn probe_lines_read_back() {
        let probe = Probe {
            customers: 100_000,
            created: 100_000,
            failed: 0,
            elapsed: Duration::from_millis(1234),
            peak_rss_kib: Some(20_480),
        };
        assert_eq!(Probe::from_line(&probe.to_line()), Some(probe.clone()));
        let unknown = Probe {
            peak_rss_kib: None,
            ..probe
        };
        assert_eq!(Probe::from_line(&unknown.to_line()), Some(unknown));
        assert_eq!(Probe::from_line("something else"), None);
        assert_eq!(Probe::from_line("probe customers=x"), None);
    }
}
