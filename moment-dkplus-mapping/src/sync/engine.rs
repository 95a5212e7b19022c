//! [`SyncEngine`]: the public operations and what they share.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use futures_util::{Stream, StreamExt};
use moment_client::webhook::{self, WebhookError, WebhookEventKind, WebhookObject};
use moment_client::{Customer, Invoice, Project};

use super::cache::KeyedLocks;
use super::notify::{FailureReport, Notifier};
use super::order::{Sequencer, Turn, posting_order};
use super::outcome::{
    ListingFailure, ObjectKind, ObjectOutcome, OutcomeSink, OutcomeStatus, ReportBuilder,
    Retention, SyncFailure, SyncReport,
};
use super::run::Run;
use crate::config::IntegrationConfig;
use crate::ports::{DkPlusTarget, MomentSource, PortError, PortErrorKind, PortResult};

/// Runs the integration: Moment → DK+ through the two ports, with the rules of
/// [`rules`](crate::rules) and the configuration it was built with.
///
/// Each public operation is one *run*: within a run, Moment's financial accounts, products,
/// customers and projects, DK+'s product and customer existence and the sales-person check are
/// looked up once. Invoices with the same reference never post concurrently within one engine
/// (share one engine between your webhook handler and your backfill).
///
/// ```no_run
/// use moment_dkplus_mapping::{IntegrationConfig, SyncEngine};
/// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
/// let moment = moment_client::MomentClient::builder()
///     .company_code("acme")
///     .api_key(std::env::var("MOMENT_API_KEY")?)
///     .build()?;
/// let dkplus = dkplus_client::DkPlusClient::new(std::env::var("DKPLUS_TOKEN")?)?;
/// let config = IntegrationConfig::builder().sales_person("vef").error_email("bokhald@acme.is").build()?;
/// let engine = SyncEngine::new(moment, dkplus, config);
/// engine.verify().await?;
/// let since = chrono::Utc::now() - chrono::Duration::days(7);
/// let report = engine.backfill(since).await;
/// println!("{}", report.counts);
/// # Ok(()) }
/// ```
pub struct SyncEngine<M, D> {
    pub(crate) moment: M,
    pub(crate) dkplus: D,
    pub(crate) config: IntegrationConfig,
    notifier: Option<Arc<dyn Notifier>>,
    pub(crate) invoice_locks: KeyedLocks,
    /// Serialises the look-up and creation of one customer, project or product across
    /// concurrent operations of this engine (a webhook during a backfill).
    pub(crate) create_locks: KeyedLocks,
    /// When the number-series warning was last given: single transfers (webhooks) give it at
    /// most once a day, not once per invoice.
    series_warned_at: std::sync::Mutex<Option<DateTime<Utc>>>,
}

impl<M, D> std::fmt::Debug for SyncEngine<M, D> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SyncEngine")
            .field("config", &self.config)
            .field("notifier", &self.notifier.is_some())
            .finish_non_exhaustive()
    }
}

/// Why [`SyncEngine::verify`] failed: every problem found.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("the integration is not ready:{}", problems.iter().map(|p| format!("\n  - {p}")).collect::<String>())]
pub struct VerifyError {
    /// Every problem found.
    pub problems: Vec<VerifyProblem>,
}

/// One problem found by [`SyncEngine::verify`].
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum VerifyProblem {
    /// DK+ could not be reached or refused the token.
    #[error("{}", describe_access("DK+", .0, "create a new API token in DK+ under Menu / Settings, tokens"))]
    DkPlusAccess(PortError),
    /// DK+ answered that it cannot reach the company's data.
    #[error(
        "DK+ answered that it has no connection to the company's data; check the company in dkPlus"
    )]
    DkPlusNotConnected,
    /// The sales person does not exist.
    #[error(
        "the sales person {0:?} does not exist in DK+: create it under Sales persons or correct the configuration"
    )]
    SalesPersonUnknown(String),
    /// Moment could not be reached or refused the API key.
    #[error("{}", describe_access("Moment", .0, "check the company code and create a key under Company / API keys in Moment"))]
    MomentAccess(PortError),
}

fn describe_access(system: &str, port_error: &PortError, credential_fix: &str) -> String {
    let error = port_error.message.trim_end().trim_end_matches('.');
    match port_error.kind {
        PortErrorKind::Unauthorized => {
            format!("{system} refused the credentials: {error}; {credential_fix}")
        }
        PortErrorKind::Unavailable => {
            format!("{system} could not be reached: {error}; try again later")
        }
        _ => format!(
            "{system} answered unexpectedly: {error}; check the base URL{}",
            if system == "Moment" {
                " and the company code"
            } else {
                ""
            }
        ),
    }
}

impl<M: MomentSource, D: DkPlusTarget> SyncEngine<M, D> {
    /// An engine over the two systems with a validated configuration.
    pub fn new(moment: M, dkplus: D, config: IntegrationConfig) -> Self {
        Self {
            moment,
            dkplus,
            config,
            notifier: None,
            invoice_locks: KeyedLocks::default(),
            create_locks: KeyedLocks::default(),
            series_warned_at: std::sync::Mutex::new(None),
        }
    }

    /// Hands the report of every operation that had failures — or warnings, unless
    /// `notify_warnings` is off — to `notifier`.
    #[must_use]
    pub fn with_notifier(mut self, notifier: Arc<dyn Notifier>) -> Self {
        self.notifier = Some(notifier);
        self
    }

    /// The configuration.
    pub fn config(&self) -> &IntegrationConfig {
        &self.config
    }

    /// The Moment side.
    pub fn moment(&self) -> &M {
        &self.moment
    }

    /// The DK+ side.
    pub fn dkplus(&self) -> &D {
        &self.dkplus
    }

    /// Checks the configuration against the two systems: the DK+ token works, the sales person
    /// exists (when invoices are on) and Moment accepts the API key. Lists every problem.
    pub async fn verify(&self) -> Result<(), VerifyError> {
        let mut problems = Vec::new();
        match self.dkplus.check_connection().await {
            Ok(true) => {
                if let Some(number) = self
                    .config
                    .sales_person()
                    .filter(|_| self.config.transfer_invoices())
                {
                    match self.dkplus.sales_person(number).await {
                        Ok(Some(_)) => {}
                        Ok(None) => {
                            problems.push(VerifyProblem::SalesPersonUnknown(number.to_string()))
                        }
                        Err(e) => problems.push(VerifyProblem::DkPlusAccess(e)),
                    }
                }
            }
            Ok(false) => problems.push(VerifyProblem::DkPlusNotConnected),
            Err(e) => problems.push(VerifyProblem::DkPlusAccess(e)),
        }
        if let Err(e) = self.moment.check_access().await {
            problems.push(VerifyProblem::MomentAccess(e));
        }
        if problems.is_empty() {
            Ok(())
        } else {
            Err(VerifyError { problems })
        }
    }

    /// Transfers one customer by Moment id: created in DK+, or updated when it differs.
    pub async fn transfer_customer(&self, id: moment_client::CustomerId) -> SyncReport {
        let run = Run::new(self);
        let outcome = run.transfer_customer_by_id(id).await;
        self.single(&run, outcome).await
    }

    /// Transfers one project by Moment id: created in DK+ when missing (DK+ cannot update
    /// projects; differences are warnings).
    pub async fn transfer_project(&self, id: moment_client::ProjectId) -> SyncReport {
        let run = Run::new(self);
        let outcome = run.transfer_project_by_id(id).await;
        self.single(&run, outcome).await
    }

    /// Transfers one invoice or credit note by Moment id and returns the DK+ invoice number in
    /// the outcome. A draft is refused with an error; an invoice already in DK+ (same reference,
    /// customer and total) is reported as already present and not posted again.
    pub async fn transfer_invoice(&self, id: moment_client::InvoiceId) -> SyncReport {
        let run = Run::new(self);
        let outcome = run
            .transfer_invoice_by_id(id, DraftPolicy::Refuse, None)
            .await;
        self.single(&run, outcome).await
    }

    /// Handles the body of a Moment webhook end to end: parses it, fetches the object and
    /// transfers it. Deletions and unknown object types are skipped (DK+ keeps its records);
    /// a draft invoice is skipped until it is finalized.
    ///
    /// # Errors
    /// A [`WebhookError`] when the body is not a Moment webhook (too large, not JSON, no object).
    pub async fn handle_webhook(&self, body: &[u8]) -> Result<SyncReport, WebhookError> {
        let event = webhook::parse(body)?;
        let run = Run::new(self);
        let deleted = event.kind == WebhookEventKind::Delete;
        let outcome = match &event.object {
            WebhookObject::Invoice {
                id, invoice_number, ..
            } if deleted => ObjectOutcome::new(
                ObjectKind::Invoice,
                id.get(),
                invoice_number.as_ref().map(|n| n.to_string()),
            )
            .with(OutcomeStatus::Skipped(
                "deleted in Moment; DK+ invoices are never deleted by the integration".into(),
            )),
            WebhookObject::Customer {
                id,
                customer_number,
                ..
            } if deleted => ObjectOutcome::new(
                ObjectKind::Customer,
                id.get(),
                customer_number.as_ref().map(|n| n.to_string()),
            )
            .with(OutcomeStatus::Skipped(
                "deleted in Moment; the DK+ customer is kept".into(),
            )),
            WebhookObject::Project {
                id, project_number, ..
            } if deleted => ObjectOutcome::new(
                ObjectKind::Project,
                id.get(),
                project_number.as_ref().map(|n| n.to_string()),
            )
            .with(OutcomeStatus::Skipped(
                "deleted in Moment; the DK+ project is kept".into(),
            )),
            WebhookObject::Invoice { id, .. } => {
                run.transfer_invoice_by_id(*id, DraftPolicy::Skip, None)
                    .await
            }
            WebhookObject::Customer { id, .. } => run.transfer_customer_by_id(*id).await,
            WebhookObject::Project { id, .. } => run.transfer_project_by_id(*id).await,
            other => {
                tracing::warn!(
                    object_type = other.object_type(),
                    "webhook for an object type that is not transferred; ignored"
                );
                let report = ReportBuilder::new(Retention::All, None).finish();
                return Ok(report);
            }
        };
        Ok(self.single(&run, outcome).await)
    }

    /// Transfers everything changed in Moment since `since`: customers, then projects, then
    /// invoices and credit notes in every state (drafts wait, issued ones go, unknown states are
    /// reported), each type only when it is on, `concurrency` objects at a time. A failed object
    /// never stops the others — but a failure of a whole system (a refused token, a system that
    /// cannot be reached) stops the run with that one failure instead of the same failure for
    /// every object; DK+ is checked before anything is read. Give the next run
    /// [`SyncReport::next_backfill_since`].
    pub async fn backfill(&self, since: DateTime<Utc>) -> SyncReport {
        self.backfill_with(since, Retention::All, None).await
    }

    /// [`backfill`](Self::backfill) that hands each outcome to `sink` as soon as it is known and
    /// keeps only what `retention` says in the report — for long backfills whose memory must
    /// stay flat, or for progress display.
    pub async fn backfill_with(
        &self,
        since: DateTime<Utc>,
        retention: Retention,
        sink: Option<&dyn OutcomeSink>,
    ) -> SyncReport {
        let report = ReportBuilder::new(retention, sink).dry_run(self.dkplus.is_dry_run());
        let run = Run::new(self);
        if let Err(failure) = self.check_dkplus_first(&run).await {
            report.stop(failure);
            return self.finish(report.finish()).await;
        }
        let concurrency = self.config.concurrency();
        if self.config.transfer_customers() {
            let customers = listed_without_gaps(
                || self.moment.customers_changed_since(since),
                |c: &Customer| (c.id.get(), c.last_modified_date),
                report.started_at(),
            );
            drain(
                self,
                ObjectKind::Customer,
                customers,
                concurrency,
                &report,
                |c: Customer| {
                    let run = &run;
                    async move {
                        run.remember_customer(&c);
                        run.transfer_customer(c).await
                    }
                },
            )
            .await;
        }
        record_side_outcomes(&run, &report);
        if self.config.transfer_projects() && !report.is_stopped() {
            let projects = listed_without_gaps(
                || self.moment.projects_changed_since(since),
                |p: &Project| (p.id.get(), p.last_modified_date),
                report.started_at(),
            );
            drain(
                self,
                ObjectKind::Project,
                projects,
                concurrency,
                &report,
                |p: Project| {
                    let run = &run;
                    async move {
                        run.remember_project(&p);
                        run.transfer_project(p).await
                    }
                },
            )
            .await;
        }
        record_side_outcomes(&run, &report);
        if self.config.transfer_invoices() && !report.is_stopped() {
            let invoices = listed_without_gaps(
                || self.moment.invoices_changed_since(since),
                |i: &Invoice| (i.id.get(), i.last_modified_date),
                report.started_at(),
            );
            if self.config.post_invoices_in_order() {
                // Read the whole listing first: the order is Moment's invoice numbers, not the
                // listing's. Preparation stays concurrent; posts take turns.
                // Beyond the first invoices only the identity is kept (the lines are fetched
                // again when the invoice's turn comes), so a large catch-up stays small in memory.
                let (mut listed, listing_error) = collect_listing(
                    invoices,
                    KEEP_LISTED_INVOICES_WHOLE,
                    |invoice: &mut Invoice| {
                        invoice.lines = Vec::new();
                    },
                )
                .await;
                if let Some(error) = listing_error {
                    report.listing_failed(ListingFailure {
                        kind: ObjectKind::Invoice,
                        error,
                    });
                }
                listed.sort_by(posting_order);
                let sequencer = Sequencer::new();
                let turns = listed
                    .into_iter()
                    .zip(0u64..)
                    .map(|(invoice, index)| Ok((invoice, sequencer.turn(index))));
                drain(
                    self,
                    ObjectKind::Invoice,
                    futures_util::stream::iter(turns),
                    concurrency,
                    &report,
                    |(i, turn): (Invoice, Turn)| {
                        let run = &run;
                        async move { run.transfer_listed_invoice(i, Some(turn)).await }
                    },
                )
                .await;
            } else {
                drain(
                    self,
                    ObjectKind::Invoice,
                    invoices,
                    concurrency,
                    &report,
                    |i: Invoice| {
                        let run = &run;
                        async move { run.transfer_listed_invoice(i, None).await }
                    },
                )
                .await;
            }
        }
        record_side_outcomes(&run, &report);
        if let Some(warning) = run.number_series_warning() {
            self.note_series_warned();
            report.warn(warning);
        }
        self.finish(report.finish()).await
    }

    /// Notes that the number-series warning was given now.
    fn note_series_warned(&self) {
        *self
            .series_warned_at
            .lock()
            .unwrap_or_else(|p| p.into_inner()) = Some(Utc::now());
    }

    /// `true` when a single transfer should give the number-series warning: not given in the
    /// last day.
    fn series_warning_due(&self) -> bool {
        self.series_warned_at
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .is_none_or(|at| Utc::now() - at >= chrono::Duration::days(1))
    }

    /// Checks DK+ before a backfill reads anything: the token works, DK+ reaches the company's
    /// data, and the sales person exists (when invoices are on). A failure here is the run's one
    /// failure.
    async fn check_dkplus_first(&self, run: &Run<'_, M, D>) -> Result<(), SyncFailure> {
        let connected =
            self.dkplus
                .check_connection()
                .await
                .map_err(|error| SyncFailure::DkPlus {
                    what: "connection check".into(),
                    error,
                })?;
        if !connected {
            return Err(SyncFailure::DkPlus {
                what: "connection check".into(),
                error: PortError::new(
                    crate::ports::System::DkPlus,
                    PortErrorKind::Unavailable,
                    "DK+ answered that it has no connection to the company's data; check the company in dkPlus",
                ),
            });
        }
        if self.config.transfer_invoices() {
            run.check_sales_person().await?;
        }
        Ok(())
    }

    async fn single(&self, run: &Run<'_, M, D>, outcome: ObjectOutcome) -> SyncReport {
        let report = ReportBuilder::new(Retention::All, None).dry_run(self.dkplus.is_dry_run());
        // The object asked for first, then what was created on the way.
        report.record(outcome);
        record_side_outcomes(run, &report);
        if let Some(warning) = run
            .number_series_warning()
            .filter(|_| self.series_warning_due())
        {
            self.note_series_warned();
            report.warn(warning);
        }
        self.finish(report.finish()).await
    }

    async fn finish(&self, mut report: SyncReport) -> SyncReport {
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
        let worth_sending =
            !report.is_clean() || (self.config.notify_warnings() && report.counts.warnings > 0);
        if worth_sending
            && let (Some(notifier), Some(failure_report)) = (
                &self.notifier,
                FailureReport::from_report(&report, self.config.error_email()),
            )
            && let Err(e) = notifier.notify(&failure_report).await
        {
            tracing::error!(error = %e, "failure report not delivered");
            report.notify_error = Some(e.to_string());
        }
        report
    }
}

/// What to do with a draft invoice.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum DraftPolicy {
    /// Asked for explicitly: a draft is an error ("finalize it in Moment").
    Refuse,
    /// Webhooks and backfills: a draft is skipped until it is finalized.
    Skip,
}

/// How many times a listing is read again at most to find objects it skipped while it changed.
const MAX_LISTING_PASSES: u32 = 4;

/// A Moment listing read so that nothing is skipped when the listing changes while it is paged:
/// an object that leaves the listing (deleted, or filtered out) makes the ones after it move up a
/// page, so the next page would skip one. The listing is therefore read again, and again while
/// that finds objects the earlier passes missed (at most [`MAX_LISTING_PASSES`] times; a listing
/// that still changes then is a listing failure, so the next run reads it again). An object
/// changed after the run started is new to the listing, not missed by it (the next run's window
/// covers it), so it does not call for another pass. Each object is yielded once.
fn listed_without_gaps<'a, T, S>(
    list: impl Fn() -> S + Send + 'a,
    identity: fn(&T) -> (i64, Option<DateTime<Utc>>),
    run_started: DateTime<Utc>,
) -> futures_util::stream::BoxStream<'a, PortResult<T>>
where
    S: Stream<Item = PortResult<T>> + Send + 'a,
    T: Send + 'a,
{
    struct Pass<S> {
        number: u32,
        items: std::pin::Pin<Box<S>>,
        new: usize,
    }
    let first = Pass {
        number: 1,
        items: Box::pin(list()),
        new: 0,
    };
    let seen = std::collections::HashSet::<i64>::new();
    futures_util::stream::unfold(
        (Some(first), seen, list),
        move |(mut pass, mut seen, list)| async move {
            loop {
                let current = pass.as_mut()?;
                match current.items.next().await {
                    Some(Ok(item)) => {
                        let (id, modified) = identity(&item);
                        if seen.insert(id) {
                            if modified.is_none_or(|m| m < run_started) {
                                current.new += 1;
                            }
                            return Some((Ok(item), (pass, seen, list)));
                        }
                    }
                    Some(Err(error)) => return Some((Err(error), (None, seen, list))),
                    // A first pass always gets a second; later passes only while they find
                    // objects the earlier ones missed.
                    None if current.number > 1 && current.new == 0 => return None,
                    None if current.number >= MAX_LISTING_PASSES => {
                        let error = PortError::new(
                            crate::ports::System::Moment,
                            PortErrorKind::Unavailable,
                            format!(
                                "the listing kept changing while it was read ({MAX_LISTING_PASSES} times); the next run reads it again"
                            ),
                        );
                        return Some((Err(error), (None, seen, list)));
                    }
                    None => {
                        let number = current.number + 1;
                        pass = Some(Pass {
                            number,
                            items: Box::pin(list()),
                            new: 0,
                        });
                    }
                }
            }
        },
    )
    .boxed()
}

/// How many listed invoices an in-order backfill keeps whole while it reads the listing.
const KEEP_LISTED_INVOICES_WHOLE: usize = 1000;

/// Reads a whole listing; stops at the first error and returns it with what was read. Items
/// after the first `keep_whole` are passed through `shrink` before they are kept.
async fn collect_listing<T, S>(
    items: S,
    keep_whole: usize,
    shrink: impl Fn(&mut T),
) -> (Vec<T>, Option<PortError>)
where
    S: Stream<Item = PortResult<T>>,
{
    let mut items = std::pin::pin!(items);
    let mut collected = Vec::new();
    while let Some(item) = items.next().await {
        match item {
            Ok(mut item) => {
                if collected.len() >= keep_whole {
                    shrink(&mut item);
                }
                collected.push(item);
            }
            Err(error) => return (collected, Some(error)),
        }
    }
    (collected, None)
}

/// Records the objects the run created on the way (products, and customers or projects an
/// invoice needed).
fn record_side_outcomes<M: MomentSource, D: DkPlusTarget>(
    run: &Run<'_, M, D>,
    report: &ReportBuilder<'_>,
) {
    for outcome in run.take_side_outcomes() {
        report.record(outcome);
    }
}

/// How long the engine waits before it checks a system a second time, when one object's failure
/// says the system cannot be reached.
const OUTAGE_RECHECK_PAUSE: std::time::Duration = std::time::Duration::from_secs(1);

impl<M: MomentSource, D: DkPlusTarget> SyncEngine<M, D> {
    /// `true` when a failure that looks systemic really is: a refused credential is; a system
    /// that could not be reached is when it still cannot be reached, checked twice a second
    /// apart — one lost request must not stop a run.
    async fn confirms_outage(&self, failure: &SyncFailure) -> bool {
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
                    matches!(self.dkplus.check_connection().await, Ok(true))
                }
                crate::ports::System::Moment => self.moment.check_access().await.is_ok(),
            };
            if up {
                return false;
            }
        }
        true
    }
}

/// Runs `transfer` over a listing with bounded concurrency; a listing error stops the listing
/// (recorded), never the objects already under way. A failure of a whole system (a refused
/// token, a system still unreachable when checked again) stops the run: it becomes the report's
/// one failure, and objects not yet started are counted as not attempted.
async fn drain<M, D, T, S, F, Fut>(
    engine: &SyncEngine<M, D>,
    kind: ObjectKind,
    items: S,
    concurrency: usize,
    report: &ReportBuilder<'_>,
    transfer: F,
) where
    M: MomentSource,
    D: DkPlusTarget,
    S: Stream<Item = PortResult<T>>,
    F: Fn(T) -> Fut,
    Fut: std::future::Future<Output = ObjectOutcome>,
{
    let listing_error = std::sync::Mutex::new(None);
    let outcomes = items
        .take_while(|item| {
            let ok = match item {
                Ok(_) => true,
                Err(e) => {
                    *listing_error.lock().unwrap_or_else(|p| p.into_inner()) = Some(e.clone());
                    false
                }
            };
            std::future::ready(ok)
        })
        .filter_map(|item| std::future::ready(item.ok()))
        .map(|item| {
            let started = (!report.is_stopped()).then(|| transfer(item));
            async move {
                match started {
                    Some(transfer) => Some(transfer.await),
                    None => None,
                }
            }
        })
        .buffer_unordered(concurrency);
    let mut outcomes = std::pin::pin!(outcomes);
    while let Some(outcome) = outcomes.next().await {
        let Some(outcome) = outcome else {
            report.not_attempted();
            continue;
        };
        let systemic = outcome.failure().filter(|f| f.is_systemic());
        match systemic {
            Some(_) if report.is_stopped() => report.not_attempted(),
            Some(failure) if engine.confirms_outage(failure).await => {
                // This object too is left for the next run: nothing was written for it.
                report.stop(failure.clone());
                report.not_attempted();
            }
            _ => report.record(outcome),
        }
    }
    let listing_error = listing_error
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .take();
    if let Some(error) = listing_error {
        report.listing_failed(ListingFailure { kind, error });
    }
}
