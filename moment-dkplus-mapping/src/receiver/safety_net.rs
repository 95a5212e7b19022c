//! [`SafetyNet`]: a catch-up every so often, for what webhooks alone miss — events Moment did
//! not deliver while the receiver was down, invoices whose fix was made on another object (a
//! kennitala added to the customer sends no invoice webhook), and events given up after too
//! many attempts.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::Utc;
use tokio::sync::watch;

use super::queue::RunGate;
use crate::MomentId;
use crate::ports::{DkPlusTarget, MomentSource};
use crate::sync::{FailureReport, Notifier, Retention, SyncEngine, SyncReport};

/// How far back the first catch-up looks when the store has no cursor yet.
pub const FIRST_LOOK_BACK: chrono::Duration = chrono::Duration::days(1);

/// Runs [`SyncEngine::catch_up_with`] now and every `every`; the store keeps where the next
/// one starts, so several processes (and restarts) share one place.
pub struct SafetyNet<M, D> {
    engine: Arc<SyncEngine<M, D>>,
    notifier: Arc<dyn Notifier>,
    every: Duration,
    gate: RunGate,
    last_reported: Mutex<Vec<MomentId>>,
}

impl<M, D> std::fmt::Debug for SafetyNet<M, D> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SafetyNet")
            .field("every", &self.every)
            .finish_non_exhaustive()
    }
}

impl<M: MomentSource, D: DkPlusTarget> SafetyNet<M, D> {
    /// A safety net over `engine` that takes `gate` (the queue's, see
    /// [`WebhookQueue::gate`](super::WebhookQueue::gate)) while it runs.
    pub fn new(
        engine: Arc<SyncEngine<M, D>>,
        notifier: Arc<dyn Notifier>,
        every: Duration,
        gate: RunGate,
    ) -> Self {
        Self {
            engine,
            notifier,
            every,
            gate,
            last_reported: Mutex::new(Vec::new()),
        }
    }

    /// One catch-up. Sends the failure report only when the set of failed objects changed
    /// since the last report, so a failure waiting for a fix is not mailed every time.
    pub async fn run_once(&self) -> SyncReport {
        let turn = self.gate.lock().await;
        let report = self
            .engine
            .catch_up_with(Utc::now() - FIRST_LOOK_BACK, Retention::ProblemsOnly, None)
            .await;
        drop(turn);
        tracing::info!(counts = %report.counts, "safety-net catch-up finished");
        let mut failed: Vec<MomentId> = report.failures().map(|o| o.moment_id).collect();
        failed.sort();
        let changed = {
            let mut last = self.last_reported.lock().unwrap_or_else(|p| p.into_inner());
            let changed =
                *last != failed || !report.listing_failures.is_empty() || report.stopped.is_some();
            *last = failed;
            changed
        };
        if changed
            && let Some(failure_report) = FailureReport::for_report(&report, self.engine.config())
            && let Err(e) = self.notifier.notify(&failure_report).await
        {
            tracing::error!(error = %e, "failure report not delivered");
        }
        report
    }

    /// Runs a catch-up now and then every `every` until `shutdown` turns `true`.
    pub async fn run(self, mut shutdown: watch::Receiver<bool>) {
        loop {
            tokio::select! {
                _ = shutdown.changed() => break,
                _ = self.run_once() => {}
            }
            tokio::select! {
                _ = shutdown.changed() => break,
                () = tokio::time::sleep(self.every) => {}
            }
        }
    }
}
