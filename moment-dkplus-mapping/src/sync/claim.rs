//! The invoice ledger's steps in a run: seeding it from DK+ once, asking it first, claiming a
//! reference, recording that the post is about to go out, and recording what became of it.
//! The rules themselves are [`crate::store::ledger`]'s.

use chrono::{DateTime, Utc};

use moment_client::InvoiceId;

use super::failure::SyncFailure;
use super::known::Record;
use super::outcome::{ObjectKind, ObjectOutcome, OutcomeStatus};
use super::run::Run;
use crate::ports::{DkPlusTarget, InvoiceQuery, MomentSource};
use crate::rules::MappedInvoice;
use crate::store::{
    Claim, ClaimRequest, LedgerState, ObjectState, Seeding, Settlement, StoreError,
};

/// The flag that says the ledger of a scope was seeded from DK+'s invoices.
const SEEDED: &str = "ledger_seeded_from_dkplus";

/// The flag that says when DK+'s invoices were last read into the ledger.
const SCANNED: &str = "dkplus_invoices_scanned";

/// How many DK+ invoices one page of a ledger read asks for.
const SEED_PAGE: u32 = 500;

fn store(error: StoreError) -> SyncFailure {
    SyncFailure::Store(error)
}

/// What makes an invoice the one DK+ booked: customer, kennitala, date and total to the cent.
pub(crate) fn fingerprint(mapped: &MappedInvoice) -> String {
    format!(
        "customer={};kennitala={};date={};total={}",
        mapped.customer_number,
        mapped.kennitala.as_str(),
        mapped.date,
        mapped.total
    )
}

/// What the ledger says of an invoice before DK+ is asked.
pub(crate) enum LedgerView {
    /// Posted, and Moment's invoice is what was posted: done, nothing to ask DK+.
    Posted(ObjectOutcome),
    /// In the ledger in another way: DK+ is asked by reference.
    Known,
    /// Not in the ledger at all.
    Unknown,
}

/// The answer to a claim.
pub(crate) enum Claimed {
    /// This engine holds the reference; `previous` is the ledger's state before (`None`: the
    /// reference was new to the ledger).
    Granted { previous: Option<LedgerState> },
    /// The ledger says DK+ has it.
    Done(ObjectOutcome),
}

impl<M: MomentSource, D: DkPlusTarget> Run<'_, M, D> {
    /// Seeds the ledger from the invoices DK+ already holds, once per scope, before the first
    /// claim: going live against a DK+ that Moment's own integration filled must not post any
    /// of them again. Idempotent; several processes may seed at once.
    pub(crate) async fn ensure_ledger_seeded(&self) -> Result<(), SyncFailure> {
        let ctx = self.ctx;
        if ctx.dkplus.is_dry_run() {
            // A dry run writes nothing, not even to the ledger.
            return Ok(());
        }
        ctx.seeded
            .get_or_try_init(|| async {
                if ctx
                    .store
                    .flag(&ctx.scope, SEEDED)
                    .await
                    .map_err(store)?
                    .is_some()
                {
                    return Ok(());
                }
                let started = Utc::now();
                let (read, new) = self
                    .read_dkplus_into_ledger(None, Seeding::Complete)
                    .await?;
                tracing::info!(
                    invoices = read.len(),
                    new,
                    "ledger seeded from DK+'s invoices"
                );
                ctx.store
                    .set_flag(&ctx.scope, SEEDED, started)
                    .await
                    .map_err(store)
            })
            .await
            .map(|_| ())
    }

    /// Brings the ledger up to date with DK+ when this run has not done so for the settle time
    /// less the claim lease: seeded (once per scope), then every invoice DK+ shows as changed
    /// since the last such scan — less the settle time, which exceeds DK+'s delay before a
    /// booked invoice shows — noted in it, in pages. `true` when the ledger then knows every
    /// reference DK+ holds, so an invoice it does not know needs no look-up of its own before
    /// its post; `false` in a dry run, when DK+ could not be read, or when DK+'s listing did not
    /// show an invoice this engine posted (DK+ then does not behave as the scan assumes: every
    /// invoice is looked up on its own).
    pub(crate) async fn ledger_is_current(&self) -> bool {
        if self.ctx.dkplus.is_dry_run() {
            return false;
        }
        let fresh_for = self
            .ctx
            .config
            .settle_time()
            .saturating_sub(self.ctx.config.claim_lease());
        let mut verdict = self.cache.ledger_current.lock().await;
        if let Some((at, current)) = *verdict
            && at.elapsed() < fresh_for
        {
            return current;
        }
        let checked_at = std::time::Instant::now();
        let current = match self.scan_dkplus_invoices().await {
            Ok(()) => true,
            Err(failure) => {
                tracing::warn!(%failure, "the invoice ledger is not up to date with DK+; looking every invoice up on its own");
                false
            }
        };
        *verdict = Some((checked_at, current));
        current
    }

    async fn scan_dkplus_invoices(&self) -> Result<(), SyncFailure> {
        let ctx = self.ctx;
        self.ensure_ledger_seeded().await?;
        let last = match ctx.store.flag(&ctx.scope, SCANNED).await.map_err(store)? {
            Some(at) => at,
            None => ctx
                .store
                .flag(&ctx.scope, SEEDED)
                .await
                .map_err(store)?
                .unwrap_or(DateTime::<Utc>::UNIX_EPOCH),
        };
        let margin =
            chrono::Duration::from_std(ctx.config.settle_time()).unwrap_or(chrono::Duration::MAX);
        let from = last
            .checked_sub_signed(margin)
            .unwrap_or(DateTime::<Utc>::UNIX_EPOCH);
        let started = Utc::now();
        let (seen, new) = self
            .read_dkplus_into_ledger(Some(from), Seeding::NewOnly)
            .await?;
        tracing::debug!(invoices = seen.len(), new, since = %from, "DK+'s recent invoices noted in the ledger");
        // The scan's own check: every invoice this engine posted in the window, long enough ago
        // for DK+ to show it, must be in the listing.
        let shown_within = chrono::Duration::from_std(
            ctx.config
                .settle_time()
                .saturating_sub(ctx.config.claim_lease()),
        )
        .unwrap_or(chrono::Duration::MAX);
        let missing = ctx.missing_from_listing(from, started - shown_within, &seen);
        if let Some(reference) = missing {
            return Err(SyncFailure::DkPlus {
                what: format!(
                    "listing of DK+'s recently changed invoices (it does not show invoice {reference}, which this integration posted)"
                ),
                error: crate::ports::PortError::new(
                    crate::ports::System::DkPlus,
                    crate::ports::PortErrorKind::Other,
                    "the listing is incomplete",
                ),
            });
        }
        ctx.store
            .set_flag(&ctx.scope, SCANNED, started)
            .await
            .map_err(store)
    }

    /// Reads DK+'s invoices (all, or those changed after `modified_after`) page by page until an
    /// empty page, and notes their references in the ledger as posted, with their DK+ numbers,
    /// as `seeding` says. Returns the references read and how many entries were written.
    async fn read_dkplus_into_ledger(
        &self,
        modified_after: Option<DateTime<Utc>>,
        seeding: Seeding,
    ) -> Result<(std::collections::HashSet<String>, usize), SyncFailure> {
        let ctx = self.ctx;
        let failed = |error| SyncFailure::DkPlus {
            what: "listing of DK+'s invoices (for the invoice ledger)".into(),
            error,
        };
        let mut known = Vec::new();
        let mut previous_page: Option<Vec<Option<String>>> = None;
        let mut page = 1;
        loop {
            let query = InvoiceQuery {
                include: vec!["Number", "Reference"],
                modified_after,
                page,
                per_page: SEED_PAGE,
                ..InvoiceQuery::default()
            };
            let invoices = ctx.dkplus.list_invoices(&query).await.map_err(failed)?;
            if invoices.is_empty() {
                break;
            }
            // DK+ may cap the page size below what was asked: pages are read until one is
            // empty, and one that repeats the last (a paging DK+ does not do) stops the read.
            let numbers: Vec<Option<String>> = invoices
                .iter()
                .map(|i| i.number.as_ref().map(ToString::to_string))
                .collect();
            if previous_page.as_ref() == Some(&numbers) {
                return Err(failed(crate::ports::PortError::new(
                    crate::ports::System::DkPlus,
                    crate::ports::PortErrorKind::Other,
                    format!("page {page} repeats page {}", page - 1),
                )));
            }
            previous_page = Some(numbers);
            known.extend(invoices.into_iter().filter_map(|invoice| {
                let reference = invoice.reference?.trim().to_owned();
                (!reference.is_empty()).then(|| (reference, invoice.number.map(|n| n.to_string())))
            }));
            page += 1;
        }
        let seen = known.iter().map(|(r, _)| r.clone()).collect();
        if known.is_empty() {
            return Ok((seen, 0));
        }
        let new = ctx
            .store
            .seed_ledger(&ctx.scope, &known, Utc::now(), seeding)
            .await
            .map_err(store)?;
        Ok((seen, new))
    }

    /// The ledger's word on an invoice before anything is read from DK+: posted (and Moment's
    /// invoice is still what was posted: same customer, kennitala, date and total), known in
    /// another way (an earlier attempt, an unclear post, an invoice DK+ held — compared in DK+),
    /// or not known at all.
    pub(crate) async fn ledger_view(
        &self,
        id: InvoiceId,
        mapped: &MappedInvoice,
        outcome: &ObjectOutcome,
    ) -> Result<LedgerView, SyncFailure> {
        let ctx = self.ctx;
        let entry = ctx
            .store
            .ledger_entry(&ctx.scope, &mapped.reference)
            .await
            .map_err(store)?;
        let Some(entry) = entry else {
            return Ok(LedgerView::Unknown);
        };
        if entry.state != LedgerState::Posted {
            return Ok(LedgerView::Known);
        }
        let last = ctx
            .store
            .object_state(&ctx.scope, ObjectKind::Invoice, id.get())
            .await
            .map_err(store)?;
        if last.and_then(|s| s.fingerprint) != Some(fingerprint(mapped)) {
            return Ok(LedgerView::Known);
        }
        let mut done = outcome.clone();
        done.dkplus_number = entry.dkplus_number;
        Ok(LedgerView::Posted(done.with(OutcomeStatus::AlreadyPresent)))
    }

    /// Forgets what the store knew of the invoice's customer, project and products in DK+ (after
    /// a VAT check failed on them, DK+ refused the invoice or booked it differently): the next
    /// attempt reads them from DK+ again.
    pub(crate) async fn forget_vat_facts(&self, mapped: &MappedInvoice) {
        self.forget(Record::Customer(&mapped.customer_number)).await;
        if let Some(project) = &mapped.project_number {
            self.forget(Record::Project(project)).await;
        }
        for product in &mapped.products {
            self.forget(Record::Product(&product.create.item_code))
                .await;
        }
    }

    /// Records what became of an object: its status, its DK+ key, the fingerprint of what DK+
    /// has (when known) and — after a failure — that a later run should try it again.
    pub(crate) async fn remember(&self, outcome: &ObjectOutcome, fingerprint: Option<String>) {
        let ctx = self.ctx;
        if ctx.dkplus.is_dry_run() {
            return;
        }
        let now = Utc::now();
        let failure = outcome.failure();
        let state = ObjectState {
            kind: outcome.kind,
            moment_id: outcome.moment_id.get(),
            dkplus_key: outcome.dkplus_number.clone(),
            last_status: outcome.state_key().to_owned(),
            fingerprint: fingerprint.filter(|_| failure.is_none()),
            last_error: failure.map(ToString::to_string),
            // Every failure is tried again by the next catch-up until it goes through — also
            // one fixed outside the object (a customer's kennitala, a product in DK+), which
            // does not make Moment list the object as changed. An object gone from Moment is
            // not.
            next_attempt_at: (failure.is_some() && !outcome.is_gone_from_moment()).then_some(now),
            updated_at: now,
        };
        if let Err(e) = ctx.store.record_object(&ctx.scope, &state).await {
            ctx.unrecorded
                .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            tracing::warn!(%outcome, error = %e, "could not record the object's state; the backfill cursor stays where it is");
        }
    }

    /// Notes in the ledger an invoice found in DK+ without a claim, so later runs need not ask
    /// DK+ again (a claim another process holds is left alone).
    pub(crate) async fn note_found(&self, mapped: &MappedInvoice, found: &ObjectOutcome) {
        let ctx = self.ctx;
        if ctx.dkplus.is_dry_run() {
            return;
        }
        let entry = [(mapped.reference.clone(), found.dkplus_number.clone())];
        if let Err(e) = ctx
            .store
            .seed_ledger(&ctx.scope, &entry, Utc::now(), Seeding::Complete)
            .await
        {
            tracing::warn!(reference = %mapped.reference, error = %e, "could not note a found invoice in the ledger");
        }
    }

    /// Claims the invoice's reference for this engine: granted (with the ledger's state before,
    /// if any), done when the ledger says it is posted, and a failure to retry later when another
    /// process holds it or an unclear post is settling. A dry run claims nothing.
    pub(crate) async fn claim(
        &self,
        moment_id: i64,
        mapped: &MappedInvoice,
        outcome: &ObjectOutcome,
    ) -> Result<Claimed, SyncFailure> {
        let ctx = self.ctx;
        if ctx.dkplus.is_dry_run() {
            // A dry run posts nothing, so it claims nothing: the ledger is left as it is.
            return Ok(Claimed::Granted {
                previous: Some(LedgerState::Claimed),
            });
        }
        let request = ClaimRequest {
            reference: &mapped.reference,
            moment_id,
            owner: &ctx.owner,
            now: Utc::now(),
            lease: ctx.config.claim_lease(),
            settle: ctx.config.settle_time(),
        };
        match ctx.store.claim(&ctx.scope, &request).await.map_err(store)? {
            Claim::Granted { previous } => Ok(Claimed::Granted { previous }),
            Claim::Posted {
                moment_id: Some(other),
                dkplus_number,
            } if other != moment_id => Err(SyncFailure::InvoiceNumberTaken {
                reference: mapped.reference.clone(),
                posted_for: other,
                dkplus_number: dkplus_number.unwrap_or_default(),
            }),
            Claim::Posted { dkplus_number, .. } => {
                let mut done = outcome.clone();
                done.dkplus_number = dkplus_number;
                Ok(Claimed::Done(done.with(OutcomeStatus::AlreadyPresent)))
            }
            Claim::HeldElsewhere { until, .. } => Err(SyncFailure::ClaimedElsewhere {
                reference: mapped.reference.clone(),
                until,
            }),
            Claim::Settling { since, until } => Err(SyncFailure::Settling {
                reference: mapped.reference.clone(),
                since,
                until,
            }),
        }
    }

    /// Records that the post is about to be sent, with a fresh lease; returns the instant the
    /// lease runs out, taken before the store was asked (the engine stops waiting for DK+ then,
    /// so nothing is sent after another process may take the invoice over). A failure when this
    /// engine's claim ran out (another process took the reference over): it must not post.
    pub(crate) async fn start_post(
        &self,
        mapped: &MappedInvoice,
    ) -> Result<tokio::time::Instant, SyncFailure> {
        let ctx = self.ctx;
        let lease = ctx.config.claim_lease();
        let deadline = tokio::time::Instant::now() + lease;
        if ctx.dkplus.is_dry_run() {
            return Ok(deadline);
        }
        let now = Utc::now();
        if ctx
            .store
            .start_post(&ctx.scope, &mapped.reference, &ctx.owner, now, lease)
            .await
            .map_err(store)?
        {
            Ok(deadline)
        } else {
            Err(SyncFailure::ClaimedElsewhere {
                reference: mapped.reference.clone(),
                until: now,
            })
        }
    }

    /// Records what became of a claimed invoice, releasing the claim.
    pub(crate) async fn record_claimed(
        &self,
        mapped: &MappedInvoice,
        result: &Result<ObjectOutcome, SyncFailure>,
    ) {
        if self.ctx.dkplus.is_dry_run() {
            return;
        }
        let settlement = match result {
            Ok(outcome) => Settlement::Posted {
                dkplus_number: outcome.dkplus_number.clone(),
            },
            // Not this engine's claim any more: the holder records.
            Err(SyncFailure::ClaimedElsewhere { .. }) => return,
            Err(failure @ SyncFailure::OutcomeUnknown { .. }) => Settlement::OutcomeUnknown {
                error: failure.to_string(),
            },
            // Another Moment invoice's entry: not this invoice's to settle.
            Err(SyncFailure::InvoiceNumberTaken { .. }) => return,
            Err(
                failure @ (SyncFailure::DuplicatesInDkPlus { .. }
                | SyncFailure::ChangedSincePosted { .. }
                | SyncFailure::ReferenceConflict { .. }),
            ) => Settlement::NeedsPerson {
                error: failure.to_string(),
            },
            Err(failure) => Settlement::Failed {
                error: failure.to_string(),
            },
        };
        let ctx = self.ctx;
        match ctx
            .store
            .settle(
                &ctx.scope,
                &mapped.reference,
                &ctx.owner,
                Utc::now(),
                &settlement,
            )
            .await
        {
            Ok(true) => {}
            Ok(false) => tracing::warn!(
                reference = %mapped.reference,
                "the invoice's claim was taken over before its outcome was recorded; the new holder looks it up"
            ),
            // The claim runs out and the next holder waits for the settle time, then looks the
            // invoice up: nothing is posted twice.
            Err(e) => {
                tracing::error!(reference = %mapped.reference, error = %e, "could not record the invoice's outcome")
            }
        }
    }
}
