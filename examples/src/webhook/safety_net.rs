//! [`SafetyNet`]: a backfill every so often, for what webhooks alone miss — events Moment did
//! not deliver while the receiver was down, and invoices whose fix was made on another object
//! (a kennitala added to the customer sends no invoice webhook).

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, Utc};
use moment_dkplus_mapping::{
    DkPlusTarget, FailureReport, MomentId, MomentSource, Notifier, Retention, SyncEngine,
    SyncReport,
};
use tokio::sync::watch;

use super::worker::RunGate;

/// The file in the spool directory that remembers where the next backfill starts.
pub const MARKER_FILE: &str = "backfill-since";

/// How far back the first backfill looks when there is no marker yet.
pub const FIRST_LOOK_BACK: chrono::Duration = chrono::Duration::days(1);

/// Runs a backfill every `every`, starting where the last clean one began.
pub struct SafetyNet<M, D> {
    engine: Arc<SyncEngine<M, D>>,
    notifier: Arc<dyn Notifier>,
    marker: PathBuf,
    every: Duration,
    gate: RunGate,
    last_reported: Mutex<Vec<MomentId>>,
}

impl<M, D> std::fmt::Debug for SafetyNet<M, D> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SafetyNet")
            .field("marker", &self.marker)
            .field("every", &self.every)
            .finish_non_exhaustive()
    }
}

impl<M: MomentSource, D: DkPlusTarget> SafetyNet<M, D> {
    /// A safety net over `engine` that keeps its marker in `dir` and takes `gate` (the
    /// worker's, see [`Worker::gate`](super::worker::Worker::gate)) while it backfills.
    pub fn new(
        engine: Arc<SyncEngine<M, D>>,
        notifier: Arc<dyn Notifier>,
        dir: &Path,
        every: Duration,
        gate: RunGate,
    ) -> Self {
        Self {
            engine,
            notifier,
            marker: dir.join(MARKER_FILE),
            every,
            gate,
            last_reported: Mutex::new(Vec::new()),
        }
    }

    /// Where the next backfill starts: the marker, or [`FIRST_LOOK_BACK`] before now.
    pub fn since(&self) -> DateTime<Utc> {
        std::fs::read_to_string(&self.marker)
            .ok()
            .and_then(|text| DateTime::parse_from_rfc3339(text.trim()).ok())
            .map(|t| t.with_timezone(&Utc))
            .unwrap_or_else(|| Utc::now() - FIRST_LOOK_BACK)
    }

    fn remember(&self, since: DateTime<Utc>) -> std::io::Result<()> {
        let temporary = self.marker.with_extension("new");
        std::fs::write(&temporary, since.to_rfc3339())?;
        std::fs::rename(&temporary, &self.marker)
    }

    /// One backfill. Sends the failure report only when the set of failed objects changed
    /// since the last report, so a failure waiting for a fix is not mailed every time.
    pub async fn run_once(&self) -> SyncReport {
        let turn = self.gate.lock().await;
        let since = self.since();
        let report = self
            .engine
            .backfill_with(since, Retention::ProblemsOnly, None)
            .await;
        drop(turn);
        if let Err(e) = self.remember(report.next_backfill_since(since)) {
            tracing::error!(error = %e, marker = %self.marker.display(), "could not save where the next backfill starts");
        }
        tracing::info!(since = %since, counts = %report.counts, "safety-net backfill finished");
        let mut failed: Vec<MomentId> = report.failures().map(|o| o.moment_id).collect();
        failed.sort();
        let changed = {
            let mut last = self.last_reported.lock().unwrap_or_else(|p| p.into_inner());
            let changed = *last != failed || !report.listing_failures.is_empty();
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

    /// Runs a backfill now and then every `every` until `shutdown` turns `true`.
    pub async fn run(self, mut shutdown: watch::Receiver<bool>) {
        loop {
            tokio::select! {
                _ = shutdown.changed() => break,
                _ = self.run_once() => {}
            }
            tokio::select! {
                _ = shutdown.changed() => break,
                _ = tokio::time::sleep(self.every) => {}
            }
        }
    }
}
