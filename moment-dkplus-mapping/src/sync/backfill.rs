//! Backfills: every object changed in Moment since a time, listed without gaps, transferred
//! with bounded concurrency (invoices posted in Moment's number order by default), stopped once
//! when a whole system fails.

use chrono::{DateTime, Utc};
use futures_util::{Stream, StreamExt};
use moment_client::{Customer, Invoice, InvoiceId, InvoiceNumber, Project};

use super::context::Context;
use super::engine::{DraftPolicy, SyncEngine};
use super::failure::SyncFailure;
use super::order::{Sequencer, Turn, posting_order};
use super::outcome::{ObjectKind, ObjectOutcome};
use super::report::{ListingFailure, OutcomeSink, ReportBuilder, Retention, SyncReport};
use super::run::Run;
use crate::ports::{DkPlusTarget, MomentSource, PortError, PortErrorKind, PortResult};

impl<M: MomentSource, D: DkPlusTarget> SyncEngine<M, D> {
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
        let report = ReportBuilder::new(retention, sink).dry_run(self.ctx.dkplus.is_dry_run());
        let run = Run::new(&self.ctx);
        if let Err(failure) = run.check_dkplus_first().await {
            report.stop(failure);
            return self.ctx.finish(report.finish()).await;
        }
        let concurrency = self.ctx.config.concurrency();
        if self.ctx.config.transfer_customers() {
            let customers = listed_without_gaps(
                || self.ctx.moment.customers_changed_since(since),
                |c: &Customer| (c.id.get(), c.last_modified_date),
                report.started_at(),
            );
            drain(
                &self.ctx,
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
        run.record_side_outcomes(&report);
        if self.ctx.config.transfer_projects() && !report.is_stopped() {
            let projects = listed_without_gaps(
                || self.ctx.moment.projects_changed_since(since),
                |p: &Project| (p.id.get(), p.last_modified_date),
                report.started_at(),
            );
            drain(
                &self.ctx,
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
        run.record_side_outcomes(&report);
        if self.ctx.config.transfer_invoices() && !report.is_stopped() {
            let invoices = listed_without_gaps(
                || self.ctx.moment.invoices_changed_since(since),
                |i: &Invoice| (i.id.get(), i.last_modified_date),
                report.started_at(),
            );
            if self.ctx.config.post_invoices_in_order() {
                // Read the whole listing first: the order is Moment's invoice numbers, not the
                // listing's. Preparation stays concurrent; posts take turns.
                // Beyond the first invoices only the identity is kept (the invoice is read
                // again when its turn comes), so a large catch-up stays small in memory.
                let (mut listed, listing_error) =
                    collect_listing(invoices, KEEP_LISTED_INVOICES_WHOLE).await;
                if let Some(error) = listing_error {
                    report.listing_failed(ListingFailure {
                        kind: ObjectKind::Invoice,
                        error,
                    });
                }
                listed.sort_by(Listed::posting_order);
                let sequencer = Sequencer::new();
                let turns = listed
                    .into_iter()
                    .zip(0u64..)
                    .map(|(invoice, index)| Ok((invoice, sequencer.turn(index))));
                drain(
                    &self.ctx,
                    ObjectKind::Invoice,
                    futures_util::stream::iter(turns),
                    concurrency,
                    &report,
                    |(listed, turn): (Listed, Turn)| {
                        let run = &run;
                        async move {
                            match listed {
                                Listed::Whole(invoice) => {
                                    run.transfer_listed_invoice(*invoice, Some(turn)).await
                                }
                                Listed::Identity { id, .. } => {
                                    run.transfer_invoice_by_id(id, DraftPolicy::Skip, Some(&turn))
                                        .await
                                }
                            }
                        }
                    },
                )
                .await;
            } else {
                drain(
                    &self.ctx,
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
        run.record_side_outcomes(&report);
        if let Some(warning) = run.number_series_warning() {
            self.ctx.note_series_warned();
            report.warn(warning);
        }
        self.ctx.finish(report.finish()).await
    }
}

impl<M: MomentSource, D: DkPlusTarget> Run<'_, M, D> {
    /// Checks DK+ before a backfill reads anything: the token works, DK+ reaches the company's
    /// data, and the sales person exists (when invoices are on). A failure here is the run's one
    /// failure.
    pub(crate) async fn check_dkplus_first(&self) -> Result<(), SyncFailure> {
        let connected = self
            .ctx
            .dkplus
            .verify()
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
        if self.ctx.config.transfer_invoices() {
            self.check_sales_person().await?;
        }
        Ok(())
    }
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

/// An invoice of an ordered backfill: kept whole for the first ones, as its identity (its id
/// and number, for the order) beyond — a few dozen bytes, so 100,000 invoices fit in a few MiB.
pub(crate) enum Listed {
    /// The invoice as listed.
    Whole(Box<Invoice>),
    /// Only what orders it; the invoice is read again when its turn comes.
    Identity {
        id: InvoiceId,
        number: Option<InvoiceNumber>,
    },
}

impl Listed {
    fn number(&self) -> Option<&str> {
        match self {
            Self::Whole(invoice) => invoice.invoice_number.as_ref().map(InvoiceNumber::as_str),
            Self::Identity { number, .. } => number.as_ref().map(InvoiceNumber::as_str),
        }
    }

    fn id(&self) -> i64 {
        match self {
            Self::Whole(invoice) => invoice.id.get(),
            Self::Identity { id, .. } => id.get(),
        }
    }

    /// Moment's invoice-number order ([`posting_order`]).
    fn posting_order(a: &Self, b: &Self) -> std::cmp::Ordering {
        posting_order((a.number(), a.id()), (b.number(), b.id()))
    }
}

/// Reads a whole invoice listing; stops at the first error and returns it with what was read.
/// The first `keep_whole` invoices are kept whole, the others as their identity.
async fn collect_listing<S>(invoices: S, keep_whole: usize) -> (Vec<Listed>, Option<PortError>)
where
    S: Stream<Item = PortResult<Invoice>>,
{
    let mut invoices = std::pin::pin!(invoices);
    let mut collected = Vec::new();
    while let Some(item) = invoices.next().await {
        match item {
            Ok(invoice) if collected.len() < keep_whole => {
                collected.push(Listed::Whole(Box::new(invoice)));
            }
            Ok(invoice) => collected.push(Listed::Identity {
                id: invoice.id,
                number: invoice.invoice_number,
            }),
            Err(error) => return (collected, Some(error)),
        }
    }
    (collected, None)
}

/// Runs `transfer` over a listing with bounded concurrency; a listing error stops the listing
/// (recorded), never the objects already under way. A failure of a whole system (a refused
/// token, a system still unreachable when checked again) stops the run: it becomes the report's
/// one failure, and objects not yet started are counted as not attempted.
async fn drain<M, D, T, S, F, Fut>(
    ctx: &Context<M, D>,
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
            Some(failure) if ctx.confirms_outage(failure).await => {
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
