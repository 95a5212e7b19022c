//! [`SafetyNet`]: a catch-up every so often, for what webhooks alone miss — events Moment did
//! not deliver while the receiver was down, invoices whose fix was made on another object (a
//! kennitala added to the customer sends no invoice webhook), and events given up after too
//! many attempts.

use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use tokio::sync::watch;

use super::queue::RunGate;
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
}

/// How often the same set of failures is reported again while it lasts.
pub const REMIND_EVERY: chrono::Duration = chrono::Duration::days(1);

/// The key under which the store notes that a set of failures was reported: the failed objects
/// by kind and id, hashed (FNV-1a, stable across builds).
fn report_key(report: &SyncReport) -> String {
    let mut failed: Vec<String> = report
        .failures()
        .map(|o| format!("{}:{}", o.kind, o.moment_id.get()))
        .collect();
    failed.sort();
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in failed.join(",").bytes() {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    format!("safety-net:{hash:016x}")
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
        }
    }

    /// One catch-up. Sends the failure report when its set of failed objects was not reported
    /// in the last [`REMIND_EVERY`] — by this process or any other sharing the store — so a
    /// failure waiting for a fix is mailed once and then once a day, not every time. A stopped
    /// run or a stopped listing is always reported.
    pub async fn run_once(&self) -> SyncReport {
        let turn = self.gate.lock().await;
        let report = self
            .engine
            .catch_up_with(Utc::now() - FIRST_LOOK_BACK, Retention::ProblemsOnly, None)
            .await;
        drop(turn);
        tracing::info!(counts = %report.counts, "safety-net catch-up finished");
        if let Err(e) = self.notifier.observe(&report).await {
            tracing::error!(error = %e, "recovery or digest not delivered");
        }
        let Some(failure_report) = FailureReport::for_report(&report, self.engine.config()) else {
            return report;
        };
        let store = self.engine.store();
        let scope = self.engine.scope();
        let key = report_key(&report);
        let now = Utc::now();
        let always = !report.listing_failures.is_empty() || report.stopped.is_some();
        let recently = match store.notified(scope, &key).await {
            Ok(at) => at.is_some_and(|at| now - at < REMIND_EVERY),
            Err(e) => {
                tracing::warn!(error = %e, "could not read what was reported; reporting");
                false
            }
        };
        if always || !recently {
            match self.notifier.notify(&failure_report).await {
                Ok(()) => {
                    if let Err(e) = store.mark_notified(scope, &key, now).await {
                        tracing::warn!(error = %e, "could not note the report; it may be sent again");
                    }
                }
                Err(e) => tracing::error!(error = %e, "failure report not delivered"),
            }
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
