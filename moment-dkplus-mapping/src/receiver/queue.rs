//! The durable work queue of Moment's webhooks: [`QueueInbox`] stores an event before Moment
//! gets its answer; [`WebhookQueue`] leases stored events one at a time, hands them to the
//! engine, tries again later what could not be done yet, and gives up (dead-letters, with a
//! report) after [`QueueSettings::max_attempts`].
//!
//! The queue lives in the [`Store`]: several processes may share it (on
//! PostgreSQL), each event goes to one worker at a time, and an event a crashed worker held is
//! handed out again when its lease runs out. Handling an event twice is harmless: the engine
//! reads the object's current state and the invoice ledger never lets an invoice be posted
//! twice.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use moment_client::webhook;
use tokio::sync::{Notify, watch};

use crate::ports::{DkPlusTarget, MomentSource};
use crate::store::{Job, JobId, Scope, Store, StoreError, StoreResult};
use crate::sync::{FailureReport, Notifier, SyncEngine, SyncFailure, SyncReport};

/// When an event that could not be handled yet is tried again: `first` after the first
/// attempt, doubling up to `max`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RetrySchedule {
    /// Delay after the first failed attempt.
    pub first: Duration,
    /// Longest delay.
    pub max: Duration,
}

impl Default for RetrySchedule {
    /// 30 seconds, doubling up to 15 minutes.
    fn default() -> Self {
        Self {
            first: Duration::from_secs(30),
            max: Duration::from_secs(15 * 60),
        }
    }
}

impl RetrySchedule {
    /// The delay after attempt number `attempt` (1 is the first).
    pub fn delay(&self, attempt: u32) -> Duration {
        let doublings = attempt.saturating_sub(1).min(20);
        self.first.saturating_mul(1u32 << doublings).min(self.max)
    }
}

/// How the queue works.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct QueueSettings {
    /// When an event is tried again.
    pub retry: RetrySchedule,
    /// Attempts before an event is given up and kept for a person (at least 1). The objects it
    /// names are not forgotten: each failure is in the store, and the next
    /// [`catch_up`](SyncEngine::catch_up) tries them again.
    pub max_attempts: u32,
    /// How long a worker holds an event before another may take it (a crashed worker's events
    /// wait this long; default 10 minutes). At least twice the engine's claim lease.
    pub lease: Duration,
    /// How often an idle worker looks for due events (a stored event wakes the worker of its
    /// own process at once; this finds retries and events stored by other processes).
    pub poll: Duration,
    /// How long handled events are kept before they are deleted.
    pub keep_done: Duration,
}

impl Default for QueueSettings {
    /// Retries after 30 s doubling to 15 min, 10 attempts (about an hour and a half), a 5
    /// minute lease, a look every 2 s, handled events kept 7 days.
    fn default() -> Self {
        Self {
            retry: RetrySchedule::default(),
            max_attempts: 10,
            lease: Duration::from_secs(10 * 60),
            poll: Duration::from_secs(2),
            keep_done: Duration::from_secs(7 * 24 * 60 * 60),
        }
    }
}

/// How handling one stored event ended this time.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum Handled {
    /// Handled: transferred, skipped, or failed for a reason a person must fix (the failure
    /// report was sent). The event is done.
    Done(Box<SyncReport>),
    /// Moment or DK+ could not be reached, or the result of a post is not known yet: the event
    /// is tried again at `due`.
    RetryLater {
        /// The attempt that just ended (1 is the first).
        attempt: u32,
        /// When it is tried again.
        due: DateTime<Utc>,
        /// Why, in words.
        reason: String,
    },
    /// The stored body is not a Moment webhook; it is kept for a person (dead-lettered).
    Rejected(String),
    /// Still not handled after [`QueueSettings::max_attempts`]: given up, kept for a person,
    /// and the failure report sent.
    DeadLettered {
        /// The last attempt's report.
        report: Box<SyncReport>,
        /// Why, in words.
        reason: String,
    },
}

/// Lets one engine run at a time in a process: held by the queue while it handles an event and
/// by the [`SafetyNet`](super::SafetyNet) while it catches up. (Across processes the ledger's
/// claims keep invoices single; the gate only keeps one process's load on DK+ simple.)
pub type RunGate = Arc<tokio::sync::Mutex<()>>;

/// Where the HTTP side puts received events: stores each (before Moment is answered) and wakes
/// the worker. Cheap to clone.
#[derive(Clone)]
pub struct QueueInbox {
    store: Arc<dyn Store>,
    scope: Scope,
    wake: Arc<Notify>,
}

impl std::fmt::Debug for QueueInbox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("QueueInbox")
            .field("scope", &self.scope)
            .finish_non_exhaustive()
    }
}

impl QueueInbox {
    /// Wakes the worker (after an event was handed out again outside the inbox).
    pub fn wake(&self) {
        self.wake.notify_one();
    }

    /// Stores a webhook body (already checked to be a Moment notification) durably and wakes
    /// the worker. Answer Moment only after `Ok`; on `Err` answer `503` so it sends it again.
    ///
    /// # Errors
    /// [`StoreError`] when the store cannot be written.
    pub async fn enqueue(&self, body: &str) -> StoreResult<JobId> {
        let id = self.store.enqueue(&self.scope, body, Utc::now()).await?;
        self.wake.notify_one();
        Ok(id)
    }
}

/// Leases stored events and hands them to the engine. Build the engine without a notifier: the
/// queue decides when a report is sent (once when trouble starts, once when it gives up).
pub struct WebhookQueue<M, D> {
    engine: Arc<SyncEngine<M, D>>,
    notifier: Arc<dyn Notifier>,
    settings: QueueSettings,
    worker: String,
    wake: Arc<Notify>,
    gate: RunGate,
}

impl<M, D> std::fmt::Debug for WebhookQueue<M, D> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WebhookQueue")
            .field("worker", &self.worker)
            .field("settings", &self.settings)
            .finish_non_exhaustive()
    }
}

/// A name for this worker that no other process shares: the host, the process id and a
/// random part (several workers may run in one process).
fn worker_name() -> String {
    static NEXT: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(1);
    let host = std::env::var("HOSTNAME").unwrap_or_else(|_| "host".to_owned());
    let random = std::collections::hash_map::RandomState::new();
    let tag = std::hash::BuildHasher::hash_one(&random, Utc::now());
    let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    format!("{host}-{}-{n}-{:08x}", std::process::id(), tag as u32)
}

impl<M, D> WebhookQueue<M, D>
where
    M: MomentSource + 'static,
    D: DkPlusTarget + 'static,
{
    /// A queue over `engine`'s store and scope, reporting to `notifier`.
    pub fn new(engine: Arc<SyncEngine<M, D>>, notifier: Arc<dyn Notifier>) -> Self {
        Self {
            engine,
            notifier,
            settings: QueueSettings::default(),
            worker: worker_name(),
            wake: Arc::new(Notify::new()),
            gate: RunGate::default(),
        }
    }

    /// Replaces the settings (`max_attempts` of 0 counts as 1). An event's lease is at least
    /// twice the engine's claim lease: a post may take the whole claim lease, and another
    /// worker must not take the event over while it does.
    #[must_use]
    pub fn with_settings(mut self, settings: QueueSettings) -> Self {
        let floor = self.engine.config().claim_lease().saturating_mul(2);
        if settings.lease < floor {
            tracing::warn!(
                lease_s = settings.lease.as_secs(),
                floor_s = floor.as_secs(),
                "an event's lease must outlast a post: raised to twice the claim lease"
            );
        }
        self.settings = QueueSettings {
            max_attempts: settings.max_attempts.max(1),
            lease: settings.lease.max(floor),
            ..settings
        };
        self
    }

    /// The settings.
    pub fn settings(&self) -> &QueueSettings {
        &self.settings
    }

    /// This worker's name, as the store shows it on the events it holds.
    pub fn worker(&self) -> &str {
        &self.worker
    }

    /// The inbox for the HTTP side.
    pub fn inbox(&self) -> QueueInbox {
        QueueInbox {
            store: self.engine.store().clone(),
            scope: self.engine.scope().clone(),
            wake: self.wake.clone(),
        }
    }

    /// The gate to share with a [`SafetyNet`](super::SafetyNet).
    pub fn gate(&self) -> RunGate {
        self.gate.clone()
    }

    fn store(&self) -> &Arc<dyn Store> {
        self.engine.store()
    }

    async fn notify(&self, report: &SyncReport) {
        if let Err(e) = self.notifier.observe(report).await {
            tracing::error!(error = %e, "recovery or digest not delivered");
        }
        if let Some(failure_report) = FailureReport::for_report(report, self.engine.config()) {
            self.send(&failure_report).await;
        }
    }

    async fn send(&self, report: &FailureReport) {
        if let Err(e) = self.notifier.notify(report).await {
            tracing::error!(error = %e, "failure report not delivered");
        }
    }

    /// Dead-letters an event that could not be handled at all and tells a person.
    async fn set_aside(&self, id: JobId, reason: &str) {
        tracing::error!(job = %id, %reason, "webhook event set aside for a person");
        self.finish(
            id,
            self.store()
                .dead_letter(id, &self.worker, reason, Utc::now()),
        )
        .await;
        let now = Utc::now();
        let report = FailureReport {
            to: self.engine.config().error_email().map(str::to_owned),
            subject: "Moment → DK+: a webhook event was set aside".to_owned(),
            body: format!(
                "Webhook event {id} from Moment was set aside and will not be tried again: \
                 {reason}.\n\nIts object is transferred by the next catch-up (backfill) if it \
                 changed in Moment; to make sure, transfer it by id. The event is kept in the \
                 store's queue (state dead) for a person to look at."
            ),
            failed: 1,
            report: SyncReport::empty(now),
            kind: crate::sync::AlertKind::Failure,
        };
        self.send(&report).await;
    }

    /// Leases the next due event and handles it; `Ok(None)` when nothing is due.
    ///
    /// # Errors
    /// [`StoreError`] when the store cannot be read (nothing was handled).
    pub async fn handle_next(&self) -> Result<Option<(JobId, Handled)>, StoreError> {
        let scope = self.engine.scope();
        // The gate first: an event's lease starts only when this worker can handle it.
        let _turn = self.gate.lock().await;
        let Some(job) = self
            .store()
            .lease(scope, &self.worker, Utc::now(), self.settings.lease)
            .await?
        else {
            return Ok(None);
        };
        // Leased more often than it may be tried: the workers that held it stopped while
        // handling it (a crash, a kill). It is not handed out again.
        if job.attempts > self.settings.max_attempts {
            let reason = format!(
                "it was taken up {} times and never finished (the worker stopped while handling it each time)",
                job.attempts - 1
            );
            self.set_aside(job.id, &reason).await;
            return Ok(Some((job.id, Handled::Rejected(reason))));
        }
        let handled = self.handle(&job).await;
        Ok(Some((job.id, handled)))
    }

    /// Handles one leased event, and records in the store what became of it.
    async fn handle(&self, job: &Job) -> Handled {
        let id = job.id;
        let event = match webhook::parse_with_limit(job.payload.as_bytes(), job.payload.len()) {
            Ok(event) => event,
            Err(e) => {
                self.set_aside(id, &format!("its stored body is not a Moment webhook: {e}"))
                    .await;
                return Handled::Rejected(e.to_string());
            }
        };
        let report = self.engine.handle_webhook(&event).await;

        let mut retry: Vec<String> = report
            .failures()
            .filter(|o| o.failure().is_some_and(|f| f.retry_later()))
            .map(|o| o.to_string())
            .collect();
        if let Some(stopped) = &report.stopped
            && stopped.failure.retry_later()
        {
            retry.push(stopped.to_string());
        }
        if retry.is_empty() {
            self.notify(&report).await;
            self.finish(id, self.store().complete(id, &self.worker, Utc::now()))
                .await;
            return Handled::Done(Box::new(report));
        }
        let reason = retry.join("; ");
        let attempt = job.attempts;
        if attempt >= self.settings.max_attempts {
            tracing::error!(job = %id, attempt, %reason, "given up; kept for a person");
            self.notify(&report).await;
            self.finish(
                id,
                self.store()
                    .dead_letter(id, &self.worker, &reason, Utc::now()),
            )
            .await;
            return Handled::DeadLettered {
                report: Box::new(report),
                reason,
            };
        }
        let delay = self.settings.retry.delay(attempt);
        let due = Utc::now() + chrono::Duration::from_std(delay).unwrap_or(chrono::Duration::MAX);
        tracing::warn!(job = %id, attempt, %reason, "not transferred yet; tried again later");
        crate::sync::telemetry::record_event_retry();
        // One report when the trouble starts, not one per attempt — and none for waiting on
        // another process's claim or an unclear post's settle time, which is how several
        // processes work, not trouble.
        let only_waiting = report.failures().all(|o| {
            matches!(
                o.failure(),
                Some(SyncFailure::ClaimedElsewhere { .. } | SyncFailure::Settling { .. })
            )
        }) && report.stopped.is_none();
        if attempt == 1 && !only_waiting {
            self.notify(&report).await;
        }
        self.finish(id, self.store().retry_job(id, &self.worker, due, &reason))
            .await;
        Handled::RetryLater {
            attempt,
            due,
            reason,
        }
    }

    /// Awaits the store's record of an outcome. When it fails, or the lease ran out meanwhile,
    /// the event is handed out again later — harmless, since handling is idempotent.
    async fn finish(
        &self,
        id: JobId,
        recorded: impl std::future::Future<Output = StoreResult<bool>>,
    ) {
        match recorded.await {
            Ok(true) => {}
            Ok(false) => tracing::warn!(
                job = %id,
                "the lease ran out while the event was handled; another worker may handle it again (harmless)"
            ),
            Err(e) => tracing::error!(
                job = %id,
                error = %e,
                "could not record the outcome; the event is handled again when its lease runs out (harmless)"
            ),
        }
    }

    /// Handles due events one after the other until `shutdown` turns `true` (the event under
    /// way is finished first); deletes handled events older than
    /// [`QueueSettings::keep_done`] now and then.
    pub async fn run(self: Arc<Self>, mut shutdown: watch::Receiver<bool>) {
        let mut pruned_at: Option<DateTime<Utc>> = None;
        loop {
            if *shutdown.borrow() {
                break;
            }
            let now = Utc::now();
            if pruned_at.is_none_or(|at| now - at > chrono::Duration::hours(1)) {
                pruned_at = Some(now);
                let before = now
                    - chrono::Duration::from_std(self.settings.keep_done)
                        .unwrap_or(chrono::Duration::MAX);
                if let Err(e) = self.store().prune_jobs(self.engine.scope(), before).await {
                    tracing::warn!(error = %e, "could not delete old handled events");
                }
            }
            let idle = match self.handle_next().await {
                Ok(Some(_)) => continue,
                Ok(None) => self.settings.poll,
                Err(e) => {
                    tracing::error!(error = %e, "could not read the queue; trying again shortly");
                    self.settings.poll.max(Duration::from_secs(1))
                }
            };
            tokio::select! {
                _ = shutdown.changed() => break,
                () = self.wake.notified() => {}
                () = tokio::time::sleep(idle) => {}
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_delays_double_up_to_the_cap() {
        let schedule = RetrySchedule::default();
        let secs: Vec<u64> = (1..=7).map(|a| schedule.delay(a).as_secs()).collect();
        assert_eq!(secs, [30, 60, 120, 240, 480, 900, 900]);
        assert_eq!(schedule.delay(u32::MAX), schedule.max);
        assert_eq!(schedule.delay(0), schedule.first);
    }

    #[test]
    fn worker_names_differ_within_a_process() {
        assert_ne!(worker_name(), worker_name());
    }
}
