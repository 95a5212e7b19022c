//! Catching up with the store's memory: the backfill from the store's cursor, the objects a
//! failure left for another attempt, and a person's word on an unclear post.

use chrono::{DateTime, Utc};

use super::engine::{DraftPolicy, SyncEngine};
use super::failure::SyncFailure;
use super::outcome::ObjectKind;
use super::report::{OutcomeSink, ReportBuilder, Retention, SyncReport};
use super::run::Run;
use crate::ports::{DkPlusTarget, MomentSource};
use crate::store::StoreError;

impl<M: MomentSource, D: DkPlusTarget> SyncEngine<M, D> {
    /// Catches up with Moment, keeping its place in the store: a backfill from the store's
    /// cursor (`first_since` on the first run), then every object an earlier run could not
    /// transfer — also one fixed outside itself (a customer's kennitala, a product in DK+),
    /// which Moment does not list as changed — and then the cursor moves to this run's start
    /// once the listings were read to the end. Failed objects stay in the store until they go
    /// through, so nothing is forgotten when the cursor moves on. Several processes may catch
    /// up at once: the cursor only moves forward.
    pub async fn catch_up(&self, first_since: DateTime<Utc>) -> SyncReport {
        self.catch_up_with(first_since, Retention::All, None).await
    }

    /// [`catch_up`](Self::catch_up) that hands each outcome to `sink` as soon as it is known and
    /// keeps only what `retention` says in the report.
    pub async fn catch_up_with(
        &self,
        first_since: DateTime<Utc>,
        retention: Retention,
        sink: Option<&dyn OutcomeSink>,
    ) -> SyncReport {
        let since = match self.ctx.store.cursor(&self.ctx.scope).await {
            Ok(cursor) => cursor.unwrap_or(first_since),
            Err(error) => return self.stopped_by_store(error).await,
        };
        self.catch_up_from(since, retention, sink).await
    }

    /// [`catch_up_with`](Self::catch_up_with) from `since` whatever the store's cursor says
    /// (to look further back than the cursor, e.g. after fixing data in Moment); the cursor
    /// still only moves forward.
    pub async fn catch_up_from(
        &self,
        since: DateTime<Utc>,
        retention: Retention,
        sink: Option<&dyn OutcomeSink>,
    ) -> SyncReport {
        let ctx = &self.ctx;
        let unrecorded = ctx.unrecorded.load(std::sync::atomic::Ordering::SeqCst);
        let cursor = match ctx.store.cursor(&ctx.scope).await {
            Ok(cursor) => cursor,
            Err(error) => return self.stopped_by_store(error).await,
        };
        let mut report = self.backfill_with(since, retention, sink).await;
        if report.stopped.is_some() || report.dry_run {
            return report;
        }
        let due = match ctx.store.due_objects(&ctx.scope, Utc::now()).await {
            Ok(due) => due,
            Err(error) => {
                report.absorb(self.stopped_by_store(error).await);
                return report;
            }
        };
        // What this run's backfill already tried is not tried twice.
        let again: Vec<_> = due
            .into_iter()
            .filter(|o| o.updated_at < report.started_at)
            .collect();
        if !again.is_empty() {
            tracing::info!(
                count = again.len(),
                "trying again what earlier runs could not transfer"
            );
            report.absorb(self.transfer_again(&again, retention, sink).await);
        }
        // The cursor moves only over what this run read and recorded: not past a listing that
        // stopped, an outcome the store did not take, or a window before `since` that this run
        // did not list (a later start than the cursor's).
        let all_recorded = ctx.unrecorded.load(std::sync::atomic::Ordering::SeqCst) == unrecorded;
        let covers_cursor = cursor.is_none_or(|at| since <= at);
        if !covers_cursor {
            tracing::info!(%since, "started after the store's cursor: the cursor stays where it is");
        }
        if report.listing_failures.is_empty()
            && report.stopped.is_none()
            && all_recorded
            && covers_cursor
        {
            let next = report.started_at - chrono::Duration::minutes(1);
            if let Err(error) = ctx.store.set_cursor(&ctx.scope, next, true).await {
                tracing::error!(%error, "could not move the backfill cursor; the next run starts from the same place");
            }
        }
        report
    }

    /// A person confirms that an invoice whose post had no clear answer is not in DK+: the next
    /// run posts it (after one more look-up) without waiting for the settle time. `Ok(false)`
    /// when the reference has no unclear post.
    ///
    /// # Errors
    /// [`StoreError`] when the store cannot be written.
    pub async fn confirm_not_posted(&self, reference: &str) -> Result<bool, StoreError> {
        self.ctx
            .store
            .confirm_not_posted(&self.ctx.scope, reference, Utc::now())
            .await
    }

    /// Transfers objects by id again, one after the other, in one report.
    async fn transfer_again(
        &self,
        objects: &[crate::store::ObjectState],
        retention: Retention,
        sink: Option<&dyn OutcomeSink>,
    ) -> SyncReport {
        let ctx = &self.ctx;
        let report = ReportBuilder::new(retention, sink).dry_run(ctx.dkplus.is_dry_run());
        let run = Run::new(ctx);
        for object in objects {
            let outcome = match object.kind {
                ObjectKind::Customer => run.transfer_customer_by_id(object.moment_id.into()).await,
                ObjectKind::Project => run.transfer_project_by_id(object.moment_id.into()).await,
                ObjectKind::Invoice => {
                    run.transfer_invoice_by_id(object.moment_id.into(), DraftPolicy::Skip, None)
                        .await
                }
                // Products are made when an invoice that uses them is sent.
                _ => continue,
            };
            let systemic = outcome.failure().is_some_and(SyncFailure::is_systemic);
            report.record(outcome);
            run.record_side_outcomes(&report);
            if systemic {
                break;
            }
        }
        ctx.finish(report.finish()).await
    }

    /// The report of a run the store stopped before it began.
    async fn stopped_by_store(&self, error: StoreError) -> SyncReport {
        let report = ReportBuilder::new(Retention::All, None).dry_run(self.ctx.dkplus.is_dry_run());
        report.stop(SyncFailure::Store(error));
        self.ctx.finish(report.finish()).await
    }
}
