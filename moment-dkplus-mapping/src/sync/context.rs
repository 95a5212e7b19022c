//! [`Context`]: what every operation of a [`SyncEngine`](super::SyncEngine) shares — the two
//! systems, the configuration, the notifier, the per-key locks — and what it does with a
//! finished report.

use std::sync::{Arc, Mutex};

use chrono::{DateTime, Utc};

use super::cache::KeyedLocks;
use super::failure::SyncFailure;
use super::notify::{FailureReport, Notifier};
use super::outcome::{ObjectOutcome, OutcomeStatus};
use super::report::{ReportBuilder, Retention, SyncReport};
use super::run::Run;
use crate::config::IntegrationConfig;
use crate::ports::{DkPlusTarget, MomentSource, PortErrorKind};
use crate::store::{MemoryStore, RunRecord, Scope, Store};

/// How long the engine waits before it checks a system a second time, when one object's failure
/// says the system cannot be reached.
const OUTAGE_RECHECK_PAUSE: std::time::Duration = std::time::Duration::from_secs(1);

/// The engine's shared state.
pub(crate) struct Context<M, D> {
    pub(crate) moment: M,
    pub(crate) dkplus: D,
    pub(crate) config: IntegrationConfig,
    pub(crate) notifier: Option<Arc<dyn Notifier>>,
    /// One invoice per reference at a time: the look-up and the post belong together.
    pub(crate) invoice_locks: KeyedLocks,
    /// Serialises the look-up and creation of one customer, project or product across
    /// concurrent operations of this engine (a webhook during a backfill).
    pub(crate) create_locks: KeyedLocks,
    /// When the number-series warning was last given: single transfers (webhooks) give it at
    /// most once a day, not once per invoice.
    series_warned_at: Mutex<Option<DateTime<Utc>>>,
    /// What must not be forgotten: the invoice ledger, objects' states, the backfill cursor.
    pub(crate) store: Arc<dyn Store>,
    /// Whose books: the Moment company and the DK+ company the store keys everything by.
    pub(crate) scope: Scope,
    /// This engine's owner id in invoice claims (unique per engine instance).
    pub(crate) owner: String,
    /// The ledger was seeded from DK+'s invoices (checked once per engine).
    pub(crate) seeded: tokio::sync::OnceCell<()>,
    /// How many objects' outcomes could not be written to the store: a catch-up during which
    /// one was lost does not move its cursor, so the object is listed again.
    pub(crate) unrecorded: std::sync::atomic::AtomicU64,
    /// The invoices this engine posted lately (reference, when the post went out), newest
    /// last: each scan of DK+'s recent invoices must show them.
    recent_posts: Mutex<std::collections::VecDeque<(String, DateTime<Utc>)>>,
}

/// How many recent posts an engine keeps for the scan's check.
const RECENT_POSTS: usize = 1024;

impl<M, D> Context<M, D> {
    /// Notes an invoice this engine posted (DK+ answered with its number).
    pub(crate) fn note_posted(&self, reference: &str, at: DateTime<Utc>) {
        let mut recent = self.recent_posts.lock().unwrap_or_else(|p| p.into_inner());
        if recent.len() >= RECENT_POSTS {
            recent.pop_front();
        }
        recent.push_back((reference.to_owned(), at));
    }

    /// An invoice this engine posted between `from` and `until` that `seen` lacks.
    pub(crate) fn missing_from_listing(
        &self,
        from: DateTime<Utc>,
        until: DateTime<Utc>,
        seen: &std::collections::HashSet<String>,
    ) -> Option<String> {
        let recent = self.recent_posts.lock().unwrap_or_else(|p| p.into_inner());
        recent
            .iter()
            .find(|(reference, at)| *at > from && *at <= until && !seen.contains(reference))
            .map(|(reference, _)| reference.clone())
    }

    pub(crate) fn new(moment: M, dkplus: D, config: IntegrationConfig) -> Self {
        Self {
            moment,
            dkplus,
            config,
            notifier: None,
            invoice_locks: KeyedLocks::default(),
            create_locks: KeyedLocks::default(),
            series_warned_at: Mutex::new(None),
            store: Arc::new(MemoryStore::new()),
            scope: Scope::new("default", "default"),
            owner: owner_id(),
            seeded: tokio::sync::OnceCell::new(),
            unrecorded: std::sync::atomic::AtomicU64::new(0),
            recent_posts: Mutex::new(std::collections::VecDeque::new()),
        }
    }
}

/// A claim owner id unique to this engine instance: the host, the process and a counter.
fn owner_id() -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static ENGINES: AtomicU64 = AtomicU64::new(0);
    let host = std::env::var("HOSTNAME").unwrap_or_else(|_| "host".to_owned());
    let started = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or_default();
    format!(
        "{host}/{}/{started:x}/{}",
        std::process::id(),
        ENGINES.fetch_add(1, Ordering::Relaxed)
    )
}

impl<M: MomentSource, D: DkPlusTarget> Context<M, D> {
    /// Notes that the number-series warning was given now.
    pub(crate) fn note_series_warned(&self) {
        *self
            .series_warned_at
            .lock()
            .unwrap_or_else(|p| p.into_inner()) = Some(Utc::now());
    }

    /// `true` when a single transfer should give the number-series warning: not given in the
    /// last day.
    pub(crate) fn series_warning_due(&self) -> bool {
        self.series_warned_at
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .is_none_or(|at| Utc::now() - at >= chrono::Duration::days(1))
    }

    /// `true` when a failure that looks systemic really is: a refused credential is; a system
    /// that could not be reached is when it still cannot be reached, checked twice a second
    /// apart — one lost request must not stop a run.
    pub(crate) async fn confirms_outage(&self, failure: &SyncFailure) -> bool {
        if matches!(failure, SyncFailure::Store(_)) {
            return true;
        }
        let Some(error) = failure.port_error() else {
            return false;
        };
        // A refused token (401) is the whole system. A 403 may be one object the token may not
        // touch: checked like an outage.
        if error.kind == PortErrorKind::Unauthorized && error.status != Some(403) {
            return true;
        }
        for attempt in 0..2 {
            if attempt > 0 {
                tokio::time::sleep(OUTAGE_RECHECK_PAUSE).await;
            }
            let up = match error.system {
                crate::ports::System::DkPlus => {
                    matches!(self.dkplus.verify().await, Ok(true))
                }
                crate::ports::System::Moment => self.moment.verify().await.is_ok(),
            };
            if up {
                return false;
            }
        }
        true
    }

    /// The report of an operation on one object: the object first, then what was created on
    /// the way, and the number-series warning when it is due.
    pub(crate) async fn single(&self, run: &Run<'_, M, D>, outcome: ObjectOutcome) -> SyncReport {
        let report = ReportBuilder::new(Retention::All, None).dry_run(self.dkplus.is_dry_run());
        // The object asked for first, then what was created on the way.
        report.record(outcome);
        run.record_side_outcomes(&report);
        if let Some(warning) = run
            .number_series_warning()
            .filter(|_| self.series_warning_due())
        {
            self.note_series_warned();
            report.warn(warning);
        }
        self.finish_one(report.finish()).await
    }

    /// Keeps a backfill's or catch-up's summary for the status page, then finishes it as [`finish_one`](Self::finish_one) does.
    pub(crate) async fn finish(&self, report: SyncReport) -> SyncReport {
        if !report.dry_run
            && let Err(e) = self
                .store
                .record_run(&self.scope, &RunRecord::of(&report))
                .await
        {
            tracing::warn!(error = %e, "could not keep the run's summary for the status page");
        }
        self.finish_one(report).await
    }

    /// Logs each outcome and hands the report to the notifier when it is worth a person's time.
    pub(crate) async fn finish_one(&self, mut report: SyncReport) -> SyncReport {
        for outcome in &report.outcomes {
            match &outcome.status {
                OutcomeStatus::Failed(failure) => {
                    tracing::warn!(%outcome, retry_later = failure.retry_later(), "not transferred")
                }
                _ => tracing::info!(%outcome, "transferred"),
            }
        }
        if let Some(stopped) = &report.stopped {
            tracing::error!(%stopped, "run stopped");
        }
        // Rendered (with its copy of the report) only when there is someone to send it to.
        if let Some(notifier) = &self.notifier {
            if let Err(e) = notifier.observe(&report).await {
                tracing::error!(error = %e, "recovery or digest not delivered");
            }
            if let Some(failure_report) = FailureReport::for_report(&report, &self.config)
                && let Err(e) = notifier.notify(&failure_report).await
            {
                tracing::error!(error = %e, "failure report not delivered");
                report.notify_error = Some(e.to_string());
            }
        }
        report
    }
}
