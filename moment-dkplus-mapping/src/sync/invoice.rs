//! Invoice transfer, exactly once: look the invoice up by `Reference` before posting, and never
//! post again after an ambiguous failure without looking it up first.

use dkplus_client::SalesInvoice;
use moment_client::{Invoice, InvoiceId};
use rust_decimal::Decimal;

use super::engine::DraftPolicy;
use super::order::Turn;
use tracing::Instrument;

use super::outcome::{ExistingInvoice, ObjectKind, ObjectOutcome, OutcomeStatus, SyncFailure};
use super::run::Run;
use crate::ports::{DkPlusTarget, MomentSource};
use crate::rules::{InvoiceInputs, MappedInvoice, map_invoice};
use crate::warning::Warning;

/// What DK+ already has under an invoice's reference.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Existing {
    /// Nothing with this reference.
    Absent,
    /// This invoice: same reference, customer and total.
    Same {
        number: Option<String>,
        warning: Option<Warning>,
    },
    /// Something else carries the reference.
    Conflict(Vec<ExistingInvoice>),
}

/// Extra leeway when comparing with a total DK+ computed itself: it may round each line and the
/// total to whole units of the currency, so one unit for the total and half a unit per line.
fn leeway(mapped: &MappedInvoice) -> Decimal {
    let lines = Decimal::from(mapped.create.lines.len());
    Decimal::ONE.saturating_add(lines.saturating_mul(Decimal::new(5, 1)))
}

/// Decides whether an invoice DK+ returned for the reference is the one being sent.
pub(crate) fn classify(candidates: &[SalesInvoice], mapped: &MappedInvoice) -> Existing {
    let same_reference: Vec<&SalesInvoice> = candidates
        .iter()
        .filter(|c| c.reference.as_deref().map(str::trim) == Some(mapped.reference.as_str()))
        .collect();
    // DK+ returned these for the reference but without one: not taken as ours, and not ignored
    // either — they make a conflict unless one with the reference matches.
    let unreferenced = candidates.iter().filter(|c| c.reference.is_none());
    let tolerance = mapped.total_tolerance.saturating_add(leeway(mapped));
    let matching = same_reference.iter().find(|c| {
        let customer_ok = c
            .customer_number
            .as_ref()
            .is_some_and(|n| n.as_str() == mapped.customer_number.as_str());
        let total_ok = c
            .total_amount
            .is_none_or(|t| t.saturating_sub(mapped.total).abs() <= tolerance);
        customer_ok && total_ok
    });
    match matching {
        Some(found) => {
            let number = found.number.as_ref().map(|n| n.to_string());
            let warning =
                found
                    .total_amount
                    .is_none()
                    .then(|| Warning::ExistingInvoiceWithoutTotal {
                        dkplus: number.clone().unwrap_or_else(|| "?".into()),
                    });
            Existing::Same { number, warning }
        }
        None if same_reference.is_empty() && unreferenced.clone().next().is_none() => {
            Existing::Absent
        }
        None => Existing::Conflict(
            same_reference
                .into_iter()
                .chain(unreferenced)
                .map(|c| ExistingInvoice {
                    number: c.number.as_ref().map(|n| n.to_string()),
                    customer: c.customer_number.as_ref().map(|n| n.to_string()),
                    total: c.total_amount,
                })
                .collect(),
        ),
    }
}

impl<M: MomentSource, D: DkPlusTarget> Run<'_, M, D> {
    pub(crate) async fn transfer_invoice_by_id(
        &self,
        id: InvoiceId,
        drafts: DraftPolicy,
        turn: Option<&Turn>,
    ) -> ObjectOutcome {
        let base = ObjectOutcome::new(ObjectKind::Invoice, id.get(), None);
        if !self.engine.config.transfer_invoices() {
            return base.with(OutcomeStatus::Skipped(
                "invoice transfer is turned off".into(),
            ));
        }
        match self.engine.moment.invoice(id).await {
            Ok(Some(invoice)) => self.transfer_invoice(invoice, drafts, turn).await,
            Ok(None) => base.with(OutcomeStatus::Failed(SyncFailure::NotInMoment {
                kind: ObjectKind::Invoice,
                id: id.get(),
            })),
            Err(e) => base.with(OutcomeStatus::Failed(SyncFailure::Moment(e))),
        }
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
            ObjectKind::Invoice,
            invoice.id.get(),
            invoice.invoice_number.as_ref().map(|n| n.to_string()),
        );
        // Only an explicit draft waits; a missing or unknown state is refused by the rules, so
        // it is reported instead of silently skipped.
        if drafts == DraftPolicy::Skip && invoice.is_draft() {
            return outcome.with(OutcomeStatus::Skipped(
                "not finalized in Moment; it is sent when finalized".into(),
            ));
        }
        match self.send_invoice(&invoice, outcome.clone(), turn).await {
            Ok(done) => done,
            Err(failure) => outcome.with(OutcomeStatus::Failed(failure)),
        }
    }

    async fn send_invoice(
        &self,
        invoice: &Invoice,
        mut outcome: ObjectOutcome,
        turn: Option<&Turn>,
    ) -> Result<ObjectOutcome, SyncFailure> {
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
        let data = self.reference_data(invoice).await?;
        let mapped = map_invoice(
            InvoiceInputs {
                invoice,
                customer: customer.as_ref(),
                project: project.as_ref(),
                reference_data: &data,
            },
            &self.engine.config,
        )
        .map_err(SyncFailure::Mapping)?;
        outcome.warnings.extend(mapped.warnings.iter().cloned());

        // What the invoice needs in DK+ first: its customer, project and products.
        // The configured sales person first: a wrong one writes nothing at all.
        self.check_sales_person().await?;
        if let Some(customer) = &customer {
            self.ensure_dk_customer(customer).await?;
        }
        if let Some(number) = &mapped.project_number {
            self.ensure_dk_project(number, invoice.project_id()).await?;
        }
        for required in &mapped.products {
            if let Some(warning) = self.ensure_product(required).await? {
                outcome.warnings.push(warning);
            }
        }

        // In-order posting: wait until every invoice before this one is done. Taken before the
        // reference lock, so a waiting invoice never holds a lock another one needs.
        if let Some(turn) = turn {
            turn.wait().await;
        }
        // One invoice per reference at a time in this engine: the look-up and the post belong together.
        let _guard = self.engine.invoice_locks.lock(&mapped.reference).await;
        if let Some(done) = self.already_in_dkplus(&mapped, &mut outcome).await? {
            return Ok(done);
        }

        tracing::info!(reference = %mapped.reference, total = %mapped.total, "posting invoice to DK+");
        match self.engine.dkplus.create_invoice(&mapped.create).await {
            Ok(created) => {
                let number = created.number.as_ref().map(|n| n.to_string());
                if let (Some(moment), Some(dkplus)) =
                    (mapped.moment_total_with_vat, created.total_amount_with_tax)
                {
                    let tolerance = mapped.total_tolerance.saturating_add(leeway(&mapped));
                    if dkplus.saturating_sub(moment).abs() > tolerance {
                        outcome
                            .warnings
                            .push(Warning::VatTotalMismatch { moment, dkplus });
                    }
                }
                Ok(self.posted(outcome, &mapped, number))
            }
            Err(error) if error.may_have_been_applied() => {
                tracing::warn!(reference = %mapped.reference, %error, "no clear answer to the invoice post; looking it up by reference");
                let candidates = self
                    .engine
                    .dkplus
                    .invoices_by_reference(&mapped.reference)
                    .await
                    .map_err(|_| SyncFailure::OutcomeUnknown {
                        reference: mapped.reference.clone(),
                        error: error.clone(),
                    })?;
                match classify(&candidates, &mapped) {
                    Existing::Same { number, warning } => {
                        outcome.warnings.extend(warning);
                        Ok(self.posted(outcome, &mapped, number))
                    }
                    Existing::Absent => Err(SyncFailure::OutcomeUnknown {
                        reference: mapped.reference.clone(),
                        error,
                    }),
                    Existing::Conflict(existing) => Err(conflict(&mapped, existing)),
                }
            }
            Err(error) => Err(SyncFailure::DkPlus {
                what: "invoice".into(),
                error,
            }),
        }
    }

    /// Looks the invoice up by reference; `Some(outcome)` when it is already there.
    async fn already_in_dkplus(
        &self,
        mapped: &MappedInvoice,
        outcome: &mut ObjectOutcome,
    ) -> Result<Option<ObjectOutcome>, SyncFailure> {
        let candidates = self
            .engine
            .dkplus
            .invoices_by_reference(&mapped.reference)
            .await
            .map_err(|error| SyncFailure::DkPlus {
                what: format!("invoice look-up by reference {}", mapped.reference),
                error,
            })?;
        match classify(&candidates, mapped) {
            Existing::Absent => Ok(None),
            Existing::Same { number, warning } => {
                let mut done = outcome.clone();
                done.warnings.extend(warning);
                done.dkplus_number = number;
                Ok(Some(done.with(OutcomeStatus::AlreadyPresent)))
            }
            Existing::Conflict(existing) => Err(conflict(mapped, existing)),
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
            outcome.warnings.push(Warning::NumberSeriesOutOfStep {
                moment: mapped.reference.clone(),
                dkplus: n.clone(),
            });
        }
        outcome.dkplus_number = number;
        outcome.with(OutcomeStatus::Created)
    }
}

fn conflict(mapped: &MappedInvoice, existing: Vec<ExistingInvoice>) -> SyncFailure {
    SyncFailure::ReferenceConflict {
        reference: mapped.reference.clone(),
        customer: mapped.customer_number.to_string(),
        total: mapped.total,
        existing,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use dkplus_client::{CustomerNumber, InvoiceCustomer, InvoiceNumber, SalesInvoiceCreate};
    use rust_decimal_macros::dec;

    fn mapped(total: Decimal) -> MappedInvoice {
        MappedInvoice {
            create: SalesInvoiceCreate {
                customer: InvoiceCustomer {
                    number: CustomerNumber::new("10001"),
                    ..Default::default()
                },
                ..Default::default()
            },
            reference: "1042".into(),
            customer_number: CustomerNumber::new("10001"),
            project_number: None,
            total,
            total_tolerance: dec!(0.02),
            moment_total_with_vat: None,
            products: Vec::new(),
            warnings: Vec::new(),
        }
    }

    fn existing(
        number: &str,
        reference: Option<&str>,
        customer: &str,
        total: Option<Decimal>,
    ) -> SalesInvoice {
        SalesInvoice {
            number: Some(InvoiceNumber::new(number)),
            reference: reference.map(Into::into),
            customer_number: Some(CustomerNumber::new(customer)),
            total_amount: total,
            ..Default::default()
        }
    }

    #[test]
    fn classify_table() {
        let m = mapped(dec!(1500.40));
        let same = |n: &str| Existing::Same {
            number: Some(n.into()),
            warning: None,
        };
        let cases: Vec<(Vec<SalesInvoice>, Existing)> = vec![
            (vec![], Existing::Absent),
            // another reference that the look-up returned anyway
            (
                vec![existing("1", Some("10420"), "10001", Some(dec!(1500.40)))],
                Existing::Absent,
            ),
            (
                vec![existing("7", Some("1042"), "10001", Some(dec!(1500.40)))],
                same("7"),
            ),
            (
                vec![existing("7", Some(" 1042 "), "10001", Some(dec!(1500)))],
                same("7"),
            ), // DK+ rounded to whole krónur
            (
                vec![existing("7", None, "10001", Some(dec!(1500.40)))],
                Existing::Conflict(vec![ExistingInvoice {
                    number: Some("7".into()),
                    customer: Some("10001".into()),
                    total: Some(dec!(1500.40)),
                }]),
            ),
            (
                vec![
                    existing("6", None, "10001", Some(dec!(1500.40))),
                    existing("7", Some("1042"), "10001", Some(dec!(1500.40))),
                ],
                same("7"),
            ),
            (
                vec![
                    existing("8", Some("1042"), "99999", Some(dec!(1500.40))),
                    existing("7", Some("1042"), "10001", Some(dec!(1500.40))),
                ],
                same("7"),
            ),
            (
                vec![existing("7", Some("1042"), "10001", None)],
                Existing::Same {
                    number: Some("7".into()),
                    warning: Some(Warning::ExistingInvoiceWithoutTotal { dkplus: "7".into() }),
                },
            ),
            (
                vec![existing("9", Some("1042"), "10001", Some(dec!(1600)))],
                Existing::Conflict(vec![ExistingInvoice {
                    number: Some("9".into()),
                    customer: Some("10001".into()),
                    total: Some(dec!(1600)),
                }]),
            ),
            (
                vec![existing("9", Some("1042"), "10002", Some(dec!(1500.40)))],
                Existing::Conflict(vec![ExistingInvoice {
                    number: Some("9".into()),
                    customer: Some("10002".into()),
                    total: Some(dec!(1500.40)),
                }]),
            ),
        ];
        for (i, (candidates, expected)) in cases.into_iter().enumerate() {
            assert_eq!(classify(&candidates, &m), expected, "case {i}");
        }
    }
}
