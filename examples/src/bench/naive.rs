//! The naive baseline: what an integration without run caches or concurrency does. It lists the
//! finalized invoices, then transfers them one after the other with
//! [`SyncEngine::transfer_invoice`], each call a run of its own on a fresh engine with nothing
//! remembered: every invoice fetches its customer, project, products and accounts from Moment
//! again and checks the sales person, customer, project, every product and DK+'s invoices again.
//!
//! [`SyncEngine::transfer_invoice`]: moment_dkplus_mapping::SyncEngine::transfer_invoice

use std::time::{Duration, Instant};

use chrono::Utc;
use futures_util::StreamExt;
use moment_dkplus_mapping::sync::Counts;
use moment_dkplus_mapping::{MomentSource, ObjectKind, OutcomeStatus};

use super::backfill::{BenchError, Measurement, Posting, check_dkplus, engine, start_fakes};
use super::workload::Workload;

/// Transfers the first `invoices` invoices of `workload` the naive way and checks the result.
///
/// # Errors
/// [`BenchError`] when the setup fails, the listing fails, or DK+ does not end up with each of
/// those invoices exactly once.
pub async fn measure_naive(
    workload: &Workload,
    latency: Duration,
    invoices: usize,
) -> Result<Measurement, BenchError> {
    let (moment, dkplus) = start_fakes(workload, latency).await;
    let lister = engine(&moment, &dkplus, 1, Posting::InOrder)?;
    let since = Utc::now() - chrono::Duration::days(1);
    let mut counts = Counts::default();
    let mut problems = Vec::new();
    let mut transferred = Vec::new();

    let started = Instant::now();
    let mut listing = lister.moment().invoices_changed_since(since).take(invoices);
    while let Some(item) = listing.next().await {
        let invoice = match item {
            Ok(invoice) => invoice,
            Err(error) => {
                problems.push(format!("listing stopped: {error}"));
                break;
            }
        };
        // The generated invoice `index` has Moment id `index + 1`.
        let index = usize::try_from(invoice.id.get() - 1).unwrap_or(usize::MAX);
        transferred.push(index);
        // A run of its own: a fresh engine, with nothing remembered from the last invoice.
        let report = engine(&moment, &dkplus, 1, Posting::InOrder)?
            .transfer_invoice(invoice.id)
            .await;
        // The invoice; customers, projects and products created on the way come after it.
        for outcome in report
            .outcomes
            .iter()
            .filter(|o| o.kind == ObjectKind::Invoice)
        {
            match &outcome.status {
                OutcomeStatus::Created => counts.created += 1,
                _ => problems.push(format!("not created: {outcome}")),
            }
        }
    }
    drop(listing);
    let elapsed = started.elapsed();

    if !problems.is_empty() {
        problems.truncate(20);
        return Err(BenchError::Incorrect {
            concurrency: 1,
            problems,
        });
    }
    check_dkplus(workload, &dkplus, &transferred, None, 1)?;
    Ok(Measurement {
        concurrency: 1,
        invoices: transferred.len(),
        elapsed,
        moment_requests: moment.request_count(),
        dkplus_requests: dkplus.counts(),
        counts,
        post_delays: Duration::ZERO,
    })
}
