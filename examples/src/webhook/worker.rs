//! [`Worker`]: hands stored webhook bodies to the sync engine one at a time, keeps the ones
//! that must be tried again, and sends failure reports.
//!
//! One at a time, and never while the [safety net](super::safety_net) runs (they share a
//! [`RunGate`]): the engine would cope with concurrent runs (it creates a customer, project or
//! product once and takes a DK+ "exists" answer as success), but one at a time keeps DK+'s
//! load and the order of invoice numbers simple, and webhooks are few; the answer to Moment
//! does not wait for this queue.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use moment_client::webhook;
use moment_dkplus_mapping::{
    DkPlusTarget, FailureReport, MomentSource, Notifier, SyncEngine, SyncReport,
};
use tokio::sync::{mpsc, watch};

use super::spool::{EntryId, Spool};

/// Sends stored entries to the worker.
pub type QueueSender = mpsc::UnboundedSender<EntryId>;
/// The worker's end of the queue.
pub type QueueReceiver = mpsc::UnboundedReceiver<EntryId>;

/// A new, empty queue of stored entries.
pub fn queue() -> (QueueSender, QueueReceiver) {
    mpsc::unbounded_channel()
}

/// When an entry that could not be handled yet is tried again: `first` after the first
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

/// How handling a stored entry ended this time.
#[derive(Clone, Debug, PartialEq)]
pub enum Handled {
    /// Handled: transferred, skipped, or failed for a reason a person must fix (the failure
    /// report was sent). The entry is removed.
    Done(Box<SyncReport>),
    /// Moment or DK+ could not be reached, or the result of a post is not known yet: the entry
    /// stays and is tried again.
    RetryLater(String),
    /// The stored body is not a Moment webhook; it was moved to `rejected/`.
    Rejected(String),
    /// The entry was already handled (no longer in the spool).
    Gone,
}

/// Lets one engine run at a time: held by the worker while it handles an entry and by the
/// safety net while it backfills.
pub type RunGate = Arc<tokio::sync::Mutex<()>>;

/// Hands stored entries to the engine.
pub struct Worker<M, D> {
    engine: Arc<SyncEngine<M, D>>,
    spool: Arc<Spool>,
    notifier: Arc<dyn Notifier>,
    retry: RetrySchedule,
    attempts: Mutex<HashMap<EntryId, u32>>,
    gate: RunGate,
}

impl<M, D> std::fmt::Debug for Worker<M, D> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Worker")
            .field("spool", &self.spool)
            .field("retry", &self.retry)
            .finish_non_exhaustive()
    }
}

async fn blocking<T: Send + 'static>(
    job: impl FnOnce() -> std::io::Result<T> + Send + 'static,
) -> std::io::Result<T> {
    tokio::task::spawn_blocking(job)
        .await
        .unwrap_or_else(|e| Err(std::io::Error::other(e)))
}

impl<M, D> Worker<M, D>
where
    M: MomentSource + 'static,
    D: DkPlusTarget + 'static,
{
    /// A worker over `engine` (built without a notifier: the worker decides when to notify).
    pub fn new(
        engine: Arc<SyncEngine<M, D>>,
        spool: Arc<Spool>,
        notifier: Arc<dyn Notifier>,
    ) -> Self {
        Self {
            engine,
            spool,
            notifier,
            retry: RetrySchedule::default(),
            attempts: Mutex::new(HashMap::new()),
            gate: RunGate::default(),
        }
    }

    /// The gate to share with a [`SafetyNet`](super::safety_net::SafetyNet).
    pub fn gate(&self) -> RunGate {
        self.gate.clone()
    }

    /// Replaces the retry schedule.
    #[must_use]
    pub fn with_retry(mut self, retry: RetrySchedule) -> Self {
        self.retry = retry;
        self
    }

    fn attempts(&self) -> std::sync::MutexGuard<'_, HashMap<EntryId, u32>> {
        self.attempts.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Sends the report when it needs a person (the engine's one rule,
    /// [`FailureReport::for_report`]).
    async fn notify(&self, report: &SyncReport) {
        if let Some(failure_report) = FailureReport::for_report(report, self.engine.config())
            && let Err(e) = self.notifier.notify(&failure_report).await
        {
            tracing::error!(error = %e, "failure report not delivered");
        }
    }

    /// Handles one stored entry: runs the engine on it, then removes it, keeps it for another
    /// attempt, or moves it aside.
    pub async fn handle(&self, id: &EntryId) -> Handled {
        let spool = self.spool.clone();
        let read_id = id.clone();
        let body = match blocking(move || spool.read(&read_id)).await {
            Ok(body) => body,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                self.attempts().remove(id);
                return Handled::Gone;
            }
            Err(e) => {
                tracing::error!(entry = %id, error = %e, "could not read a stored webhook");
                return Handled::RetryLater(format!("could not read the stored body: {e}"));
            }
        };
        // Parsed once here, as the receiver parsed it before storing it: the receiver already
        // held it to its configured size limit, so the stored size is the limit now.
        let event = match webhook::parse_with_limit(&body, body.len()) {
            Ok(event) => event,
            Err(e) => {
                tracing::error!(entry = %id, error = %e, "stored webhook is unreadable; moved to rejected/");
                let spool = self.spool.clone();
                let reject_id = id.clone();
                if let Err(io) = blocking(move || spool.reject(&reject_id)).await {
                    tracing::error!(entry = %id, error = %io, "could not move it aside");
                }
                self.attempts().remove(id);
                return Handled::Rejected(e.to_string());
            }
        };
        let turn = self.gate.lock().await;
        let report = self.engine.handle_webhook(&event).await;
        drop(turn);
        let retry: Vec<String> = report
            .failures()
            .filter(|o| o.failure().is_some_and(|f| f.retry_later()))
            .map(|o| o.to_string())
            .collect();
        if !retry.is_empty() {
            let attempt = {
                let mut attempts = self.attempts();
                let n = attempts.entry(id.clone()).or_insert(0);
                *n += 1;
                *n
            };
            tracing::warn!(entry = %id, attempt, "not transferred yet; will try again: {}", retry.join("; "));
            // One report when the trouble starts, not one per attempt.
            if attempt == 1 {
                self.notify(&report).await;
            }
            return Handled::RetryLater(retry.join("; "));
        }
        self.notify(&report).await;
        let spool = self.spool.clone();
        let done_id = id.clone();
        if let Err(e) = blocking(move || spool.complete(&done_id)).await {
            // Handling it again is harmless: the engine finds the objects in DK+.
            tracing::error!(entry = %id, error = %e, "handled, but could not remove it from the spool");
        }
        self.attempts().remove(id);
        Handled::Done(Box::new(report))
    }

    /// The delay before entry `id` is tried again.
    fn next_delay(&self, id: &EntryId) -> Duration {
        let attempt = self.attempts().get(id).copied().unwrap_or(1);
        self.retry.delay(attempt)
    }

    /// Handles entries from `receiver` one after the other until `shutdown` turns `true` (the
    /// entry under way is finished first). Entries to retry are put back on `sender` after
    /// their delay, and are found in the spool at the next start in any case.
    pub async fn run(
        self: Arc<Self>,
        sender: QueueSender,
        mut receiver: QueueReceiver,
        mut shutdown: watch::Receiver<bool>,
    ) {
        loop {
            let id = tokio::select! {
                _ = shutdown.changed() => break,
                next = receiver.recv() => match next {
                    Some(id) => id,
                    None => break,
                },
            };
            if let Handled::RetryLater(_) = self.handle(&id).await {
                let delay = self.next_delay(&id);
                let sender = sender.clone();
                tokio::spawn(async move {
                    tokio::time::sleep(delay).await;
                    let _ = sender.send(id);
                });
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
}
