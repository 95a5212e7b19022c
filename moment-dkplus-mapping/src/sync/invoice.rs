//! One invoice from Moment to DK+, exactly once. The whole path reads top-down in
//! [`Run::send_invoice`]:
//!
//! load → map → look up (ledger, then DK+) → ensure → check VAT → wait for its turn → lock and
//! claim → look up again → record the post → post → reconcile the answer → record the outcome.
//!
//! An invoice is looked up by `Reference` before anything is posted, and never posted again after
//! an ambiguous failure without looking it up first. What a DK+ answer means for the invoice is
//! decided in `existing.rs`; the customer, project and products are made sure of in `ensure.rs`.

use std::collections::HashMap;

use dkplus_client::{ItemCode, SalesInvoice};
use moment_client::{Customer, Invoice, InvoiceId, Project};
use rust_decimal::Decimal;
use tracing::Instrument;

use super::claim::{Claimed, LedgerView, fingerprint};
use super::engine::DraftPolicy;
use super::existing::{Existing, booked_differently, classify, existing_failure};
use super::failure::SyncFailure;
use super::order::Turn;
use super::outcome::{ObjectKind, ObjectOutcome, OutcomeStatus};
use super::run::Run;
use crate::ports::{DkPlusTarget, MomentSource, PortError, PortErrorKind, System};
use crate::rules::{InvoiceInputs, MappedInvoice, MappingError, MomentObjectRef, ReferenceData};
use crate::rules::{check_vat, map_invoice};
use crate::warning::Warning;

/// What the rules need from Moment besides the invoice itself.
struct Loaded {
    customer: Option<Customer>,
    project: Option<Project>,
    reference_data: ReferenceData,
}

/// What DK+ has for the invoice once its customer, project and products are made sure of.
struct Ensured {
    customer_no_vat: bool,
    rates: HashMap<ItemCode, Option<Decimal>>,
}

impl<M: MomentSource, D: DkPlusTarget> Run<'_, M, D> {
    pub(crate) async fn transfer_invoice_by_id(
        &self,
        id: InvoiceId,
        drafts: DraftPolicy,
        turn: Option<&Turn>,
    ) -> ObjectOutcome {
        let base = ObjectOutcome::new(id, None);
        if !self.ctx.config.transfer_invoices() {
            return base.with(OutcomeStatus::Skipped(
                "invoice transfer is turned off".into(),
            ));
        }
        let failed = match self.ctx.moment.invoice(id).await {
            Ok(Some(invoice)) => return self.transfer_invoice(invoice, drafts, turn).await,
            Ok(None) => base.with(OutcomeStatus::Failed(SyncFailure::NotInMoment {
                kind: ObjectKind::Invoice,
                id: id.get(),
            })),
            Err(e) => base.with(OutcomeStatus::Failed(SyncFailure::Moment(e))),
        };
        self.remember(&failed, None).await;
        failed
    }

    /// An invoice from a listing: fetched again when the listing left out its lines. With a
    /// `turn`, it is posted only when every invoice before it in Moment's order is done; the
    /// turn ends when this returns.
    pub(crate) async fn transfer_listed_invoice(
        &self,
        invoice: Invoice,
        turn: Option<Turn>,
    ) -> ObjectOutcome {
        if invoice.lines.is_empty() {
            return self
                .transfer_invoice_by_id(invoice.id, DraftPolicy::Skip, turn.as_ref())
                .await;
        }
        self.transfer_invoice(invoice, DraftPolicy::Skip, turn.as_ref())
            .await
    }

    async fn transfer_invoice(
        &self,
        invoice: Invoice,
        drafts: DraftPolicy,
        turn: Option<&Turn>,
    ) -> ObjectOutcome {
        let span = tracing::info_span!("invoice", moment_id = invoice.id.get());
        self.transfer_invoice_in_span(invoice, drafts, turn)
            .instrument(span)
            .await
    }

    async fn transfer_invoice_in_span(
        &self,
        invoice: Invoice,
        drafts: DraftPolicy,
        turn: Option<&Turn>,
    ) -> ObjectOutcome {
        let outcome = ObjectOutcome::new(
            invoice.id,
            invoice.invoice_number.as_ref().map(|n| n.to_string()),
        );
        // Only an explicit draft waits; a missing or unknown state is refused by the rules, so
        // it is reported instead of silently skipped.
        if drafts == DraftPolicy::Skip && invoice.is_draft() {
            return outcome.with(OutcomeStatus::Skipped(
                "not finalized in Moment; it is sent when finalized".into(),
            ));
        }
        let (done, fingerprint) = match self.send_invoice(&invoice, outcome.clone(), turn).await {
            Ok((done, fingerprint)) => (done, Some(fingerprint)),
            Err(failure) => (outcome.with(OutcomeStatus::Failed(failure)), None),
        };
        self.remember(&done, fingerprint).await;
        done
    }

    /// The pipeline, in the order it runs; with the outcome, the fingerprint of what DK+ has.
    async fn send_invoice(
        &self,
        invoice: &Invoice,
        mut outcome: ObjectOutcome,
        turn: Option<&Turn>,
    ) -> Result<(ObjectOutcome, String), SyncFailure> {
        let loaded = self.load(invoice).await?;
        let mapped = self.map(invoice, &loaded)?;
        outcome.warnings.extend(mapped.warnings.iter().cloned());
        let done = self
            .send_mapped(invoice, &loaded, &mapped, outcome, turn)
            .await?;
        Ok((done, fingerprint(&mapped)))
    }

    /// The pipeline after mapping: look up → ensure → check VAT → turn → lock and claim → post
    /// under the claim.
    async fn send_mapped(
        &self,
        invoice: &Invoice,
        loaded: &Loaded,
        mapped: &MappedInvoice,
        mut outcome: ObjectOutcome,
        turn: Option<&Turn>,
    ) -> Result<ObjectOutcome, SyncFailure> {
        // Already in DK+? Asked before anything is ensured or checked — the ledger first, then
        // DK+ by reference: an invoice booked earlier stays booked whatever changed since (a
        // product's rate, the customer's number), and nothing is created on its way. A
        // reference the ledger does not know, once the ledger is up to date with DK+, is not in
        // DK+: it needs no look-up of its own.
        let current = self.ledger_is_current().await;
        let known = match self.ledger_view(invoice.id, mapped, &outcome).await? {
            LedgerView::Posted(done) => return Ok(done),
            LedgerView::Unknown => false,
            LedgerView::Known => true,
        };
        if (known || !current)
            && let Some(done) = self.already_in_dkplus(mapped, &outcome).await?
        {
            self.note_found(mapped, &done).await;
            return Ok(done);
        }

        let ensured = self
            .ensure(invoice, mapped, loaded.customer.as_ref())
            .await?;
        match self.check_vat(invoice, mapped, &ensured) {
            Ok(warnings) => outcome.warnings.extend(warnings),
            Err(failure) => {
                // What DK+ said of the customer or a product may have been fixed there by the
                // next attempt: it reads DK+ again.
                self.forget_vat_facts(mapped).await;
                return Err(failure);
            }
        }

        // In-order posting: wait until every invoice before this one is done. Taken before the
        // reference lock, so a waiting invoice never holds a lock another one needs.
        if let Some(turn) = turn {
            turn.wait().await;
        }
        // One invoice per reference at a time: in this engine a lock, across processes a claim
        // in the ledger. Whatever happens after the claim is recorded in the ledger.
        let _guard = self.ctx.invoice_locks.lock(&mapped.reference).await;
        self.ensure_ledger_seeded().await?;
        let previous = match self.claim(invoice.id.get(), mapped, &outcome).await? {
            Claimed::Granted { previous } => previous,
            Claimed::Done(done) => return Ok(done),
        };
        // Under the claim, look the invoice up again unless nothing can have posted it: a
        // reference new to an up-to-date ledger had no earlier post by any process sharing the
        // store, and DK+ held no invoice with it when the ledger was brought up to date.
        let look_up = !(current && previous.is_none());
        let result = self.post_claimed(mapped, outcome, look_up, turn).await;
        self.record_claimed(mapped, &result).await;
        result
    }

    /// Under the claim: look the invoice up again when something may have posted it (another
    /// process, or a crashed holder), record that the post goes out, post, end the invoice's
    /// turn (the next invoice may post while this answer is reconciled), and reconcile the
    /// answer.
    async fn post_claimed(
        &self,
        mapped: &MappedInvoice,
        outcome: ObjectOutcome,
        look_up: bool,
        turn: Option<&Turn>,
    ) -> Result<ObjectOutcome, SyncFailure> {
        if look_up && let Some(done) = self.already_in_dkplus(mapped, &outcome).await? {
            return Ok(done);
        }
        let deadline = self.start_post(mapped).await?;
        // The post ends with the lease the ledger recorded (counted from before the store
        // was asked): a send after it could race another process's look-up. Too little of it
        // left, and nothing is sent — a later run takes the invoice over.
        let lease = self.ctx.config.claim_lease();
        if deadline.saturating_duration_since(tokio::time::Instant::now()) < lease / 4 {
            tracing::warn!(reference = %mapped.reference, "the claim ran short before the post could be sent; not sent");
            return Err(SyncFailure::ClaimedElsewhere {
                reference: mapped.reference.clone(),
                until: chrono::Utc::now(),
            });
        }
        tracing::info!(reference = %mapped.reference, total = %mapped.total, "posting invoice to DK+");
        let answer =
            tokio::time::timeout_at(deadline, self.ctx.dkplus.create_invoice(&mapped.create))
                .await
                .unwrap_or_else(|_| {
                    Err(PortError::new(
                        System::DkPlus,
                        PortErrorKind::OutcomeUnknown,
                        format!(
                            "the post to DK+ did not finish within the claim's lease ({} s); it may have been booked",
                            lease.as_secs()
                        ),
                    ))
                });
        if let Some(turn) = turn {
            turn.end();
        }
        self.reconcile(answer, mapped, outcome).await
    }

    /// Load: the invoice's customer and project (when the invoice does not carry the project
    /// number) and the accounts and products its lines point to, each read once per run.
    async fn load(&self, invoice: &Invoice) -> Result<Loaded, SyncFailure> {
        let customer =
            match invoice.customer_id() {
                Some(id) => Some(self.moment_customer(id).await?.ok_or(
                    SyncFailure::NotInMoment {
                        kind: ObjectKind::Customer,
                        id: id.get(),
                    },
                )?),
                None => None,
            };
        let project = match (invoice.project_number(), invoice.project_id()) {
            (None, Some(id)) => self.moment_project(id).await?,
            _ => None,
        };
        let reference_data = self.reference_data(invoice).await?;
        Ok(Loaded {
            customer,
            project,
            reference_data,
        })
    }

    /// Map: the pure rules, listing every problem at once.
    fn map(&self, invoice: &Invoice, loaded: &Loaded) -> Result<MappedInvoice, SyncFailure> {
        map_invoice(
            InvoiceInputs {
                invoice,
                customer: loaded.customer.as_ref(),
                project: loaded.project.as_ref(),
                reference_data: &loaded.reference_data,
            },
            &self.ctx.config,
        )
        .map_err(SyncFailure::Mapping)
    }

    /// Ensure: what the invoice needs in DK+ first — the configured sales person (checked first:
    /// a wrong one writes nothing at all), its customer, project and products.
    async fn ensure(
        &self,
        invoice: &Invoice,
        mapped: &MappedInvoice,
        customer: Option<&Customer>,
    ) -> Result<Ensured, SyncFailure> {
        self.check_sales_person().await?;
        let customer_no_vat = match customer {
            Some(customer) => self.ensure_dk_customer(customer).await?.no_vat,
            None => false,
        };
        if let Some(number) = &mapped.project_number {
            self.ensure_dk_project(number, invoice.project_id()).await?;
        }
        let mut rates = HashMap::new();
        for required in &mapped.products {
            let product = self.ensure_product(required).await?;
            rates.insert(required.create.item_code.clone(), product.tax_percent);
        }
        Ok(Ensured {
            customer_no_vat,
            rates,
        })
    }

    /// Check VAT: the VAT DK+ will charge, from the products it has, against Moment's — before
    /// anything is posted.
    fn check_vat(
        &self,
        invoice: &Invoice,
        mapped: &MappedInvoice,
        ensured: &Ensured,
    ) -> Result<Vec<Warning>, SyncFailure> {
        check_vat(
            mapped,
            |code| ensured.rates.get(code).copied().flatten(),
            ensured.customer_no_vat,
            self.ctx.config.total_mismatch(),
        )
        .map_err(|problems| {
            SyncFailure::Mapping(MappingError {
                object: MomentObjectRef::Invoice {
                    id: invoice.id.get(),
                    number: Some(mapped.reference.clone()),
                },
                problems,
            })
        })
    }

    /// Look up: the invoice by reference; `Some(outcome)` when it is already there.
    async fn already_in_dkplus(
        &self,
        mapped: &MappedInvoice,
        outcome: &ObjectOutcome,
    ) -> Result<Option<ObjectOutcome>, SyncFailure> {
        let candidates = self
            .ctx
            .dkplus
            .invoices_by_reference(&mapped.reference)
            .await
            .map_err(|error| SyncFailure::DkPlus {
                what: format!("invoice look-up by reference {}", mapped.reference),
                error,
            })?;
        match classify(&candidates, mapped) {
            Existing::Absent => Ok(None),
            Existing::Same { number, warnings } => {
                let mut done = outcome.clone();
                done.warnings.extend(warnings);
                done.dkplus_number = number;
                Ok(Some(done.with(OutcomeStatus::AlreadyPresent)))
            }
            other => Err(existing_failure(mapped, other)),
        }
    }

    /// Reconcile: what DK+'s answer to the post means. Booked: compared with what was sent. No
    /// clear answer (the post may have been applied): looked up by reference before anything
    /// else is decided, so it is never posted twice. Refused: a failure that says why.
    async fn reconcile(
        &self,
        answer: Result<SalesInvoice, PortError>,
        mapped: &MappedInvoice,
        mut outcome: ObjectOutcome,
    ) -> Result<ObjectOutcome, SyncFailure> {
        match answer {
            Ok(booked) => {
                let differences = booked_differently(mapped, &booked);
                if !differences.is_empty() {
                    // What the store remembered of the customer or a product may be stale.
                    self.forget_vat_facts(mapped).await;
                }
                outcome.warnings.extend(differences);
                let number = booked.number.as_ref().map(|n| n.to_string());
                Ok(self.posted(outcome, mapped, number))
            }
            Err(error) if error.may_have_been_applied() => {
                tracing::warn!(reference = %mapped.reference, %error, "no clear answer to the invoice post; looking it up by reference");
                let candidates = self
                    .ctx
                    .dkplus
                    .invoices_by_reference(&mapped.reference)
                    .await
                    .map_err(|_| SyncFailure::OutcomeUnknown {
                        reference: mapped.reference.clone(),
                        error: error.clone(),
                    })?;
                match classify(&candidates, mapped) {
                    Existing::Same { number, warnings } => {
                        outcome.warnings.extend(warnings);
                        Ok(self.posted(outcome, mapped, number))
                    }
                    Existing::Absent => Err(SyncFailure::OutcomeUnknown {
                        reference: mapped.reference.clone(),
                        error,
                    }),
                    other => Err(existing_failure(mapped, other)),
                }
            }
            Err(error) => {
                // Refused: a customer, project or product the store remembered may be gone or
                // changed in DK+; the next attempt reads them again.
                self.forget_vat_facts(mapped).await;
                Err(SyncFailure::DkPlus {
                    what: "invoice".into(),
                    error,
                })
            }
        }
    }

    fn posted(
        &self,
        mut outcome: ObjectOutcome,
        mapped: &MappedInvoice,
        number: Option<String>,
    ) -> ObjectOutcome {
        if let Some(n) = &number
            && n.trim() != mapped.reference
        {
            // Said once per run, with the first and last numbers (see `Run::number_series`).
            self.note_number_series(&mapped.reference, n.trim());
        }
        if !self.ctx.dkplus.is_dry_run() {
            self.ctx.note_posted(&mapped.reference, chrono::Utc::now());
        }
        outcome.dkplus_number = number;
        outcome.with(OutcomeStatus::Created)
    }
}
