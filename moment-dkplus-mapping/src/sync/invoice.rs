//! Invoice transfer, exactly once: look the invoice up by `Reference` before posting, and never
//! post again after an ambiguous failure without looking it up first.

use dkplus_client::SalesInvoice;
use moment_client::{Invoice, InvoiceId};
use rust_decimal::Decimal;

use super::engine::DraftPolicy;
use super::order::Turn;
use tracing::Instrument;

use super::failure::{ExistingInvoice, SyncFailure};
use super::outcome::{ObjectKind, ObjectOutcome, OutcomeStatus};
use super::run::Run;
use crate::ports::{DkPlusTarget, MomentSource};
use crate::rules::{
    InvoiceInputs, MappedInvoice, MappingError, MomentObjectRef, check_vat, map_invoice, to_cents,
};
use crate::warning::Warning;

/// What DK+ already has under an invoice's reference.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Existing {
    /// Nothing with this reference.
    Absent,
    /// This invoice: same reference, customer, date and total.
    Same {
        number: Option<String>,
        warnings: Vec<Warning>,
    },
    /// More than one DK+ invoice is this invoice.
    Duplicates(Vec<ExistingInvoice>),
    /// This invoice (same reference, customer and date) with another total.
    Changed {
        number: Option<String>,
        dkplus_total: Decimal,
    },
    /// Something else carries the reference.
    Conflict(Vec<ExistingInvoice>),
}

/// Digits only: `471008-0280` and `4710080280` are the same kennitala.
fn digits(text: &str) -> String {
    text.chars().filter(char::is_ascii_digit).collect()
}

/// Decides whether invoices DK+ returned for the reference are the one being sent: the same
/// reference, the same customer (by number, or by the kennitala DK+ printed on it — a customer
/// renumbered in Moment keeps its invoices), the same invoice date and the same total without VAT
/// to the cent.
pub(crate) fn classify(candidates: &[SalesInvoice], mapped: &MappedInvoice) -> Existing {
    let same_reference: Vec<&SalesInvoice> = candidates
        .iter()
        .filter(|c| c.reference.as_deref().map(str::trim) == Some(mapped.reference.as_str()))
        .collect();
    // DK+ returned these for the reference but without one: not taken as ours, and not ignored
    // either — they make a conflict unless one with the reference matches.
    let unreferenced: Vec<&SalesInvoice> = candidates
        .iter()
        .filter(|c| c.reference.is_none())
        .collect();
    let by_number = |c: &SalesInvoice| {
        c.customer_number
            .as_ref()
            .is_some_and(|n| n.as_str() == mapped.customer_number.as_str())
    };
    let by_kennitala = |c: &SalesInvoice| {
        c.customer_ssn
            .as_deref()
            .is_some_and(|k| digits(k) == mapped.kennitala.as_str())
    };
    let same_party_and_day = |c: &&SalesInvoice| {
        (by_number(c) || by_kennitala(c)) && c.invoice_date == Some(mapped.date)
    };
    // DK+ keeps doubles: its 300.29999999999995 is Moment's 300.30.
    let same_total = |c: &&SalesInvoice| c.total_amount.is_none_or(|t| to_cents(t) == mapped.total);
    let matching: Vec<&SalesInvoice> = same_reference
        .iter()
        .copied()
        .filter(same_party_and_day)
        .filter(same_total)
        .collect();
    match matching.as_slice() {
        [found] => {
            let number = found.number.as_ref().map(|n| n.to_string());
            let mut warnings = Vec::new();
            if found.total_amount.is_none() {
                warnings.push(Warning::ExistingInvoiceWithoutTotal {
                    dkplus: number.clone().unwrap_or_else(|| "?".into()),
                });
            }
            if !by_number(found) {
                warnings.push(Warning::CustomerRenumbered {
                    dkplus: number.clone().unwrap_or_else(|| "?".into()),
                    was: found
                        .customer_number
                        .as_ref()
                        .map(|n| n.to_string())
                        .unwrap_or_else(|| "?".into()),
                    now: mapped.customer_number.to_string(),
                });
            }
            return Existing::Same { number, warnings };
        }
        [] => {}
        several => {
            return Existing::Duplicates(several.iter().map(|c| ExistingInvoice::of(c)).collect());
        }
    }
    if let Some(changed) = same_reference.iter().find(|c| same_party_and_day(c)) {
        return Existing::Changed {
            number: changed.number.as_ref().map(|n| n.to_string()),
            dkplus_total: to_cents(changed.total_amount.unwrap_or_default()),
        };
    }
    if same_reference.is_empty() && unreferenced.is_empty() {
        return Existing::Absent;
    }
    Existing::Conflict(
        same_reference
            .into_iter()
            .chain(unreferenced)
            .map(ExistingInvoice::of)
            .collect(),
    )
}

/// What an [`Existing`] that is not this invoice means for it.
fn existing_failure(mapped: &MappedInvoice, existing: Existing) -> SyncFailure {
    match existing {
        Existing::Duplicates(existing) => SyncFailure::DuplicatesInDkPlus {
            reference: mapped.reference.clone(),
            existing,
        },
        Existing::Changed {
            number,
            dkplus_total,
        } => SyncFailure::ChangedSincePosted {
            reference: mapped.reference.clone(),
            dkplus_number: number,
            dkplus_total,
            moment_total: mapped.total,
        },
        Existing::Conflict(existing) => conflict(mapped, existing),
        Existing::Absent | Existing::Same { .. } => conflict(mapped, Vec::new()),
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
        if !self.ctx.config.transfer_invoices() {
            return base.with(OutcomeStatus::Skipped(
                "invoice transfer is turned off".into(),
            ));
        }
        match self.ctx.moment.invoice(id).await {
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
            &self.ctx.config,
        )
        .map_err(SyncFailure::Mapping)?;
        outcome.warnings.extend(mapped.warnings.iter().cloned());

        // Already in DK+? Asked before anything is ensured or checked: an invoice booked earlier
        // stays booked whatever changed since (a product's rate, the customer's number), and
        // nothing is created on its way.
        if let Some(done) = self.already_in_dkplus(&mapped, &mut outcome).await? {
            return Ok(done);
        }

        // What the invoice needs in DK+ first: its customer, project and products.
        // The configured sales person first: a wrong one writes nothing at all.
        self.check_sales_person().await?;
        let customer_no_vat = match &customer {
            Some(customer) => self.ensure_dk_customer(customer).await?.no_vat,
            None => false,
        };
        if let Some(number) = &mapped.project_number {
            self.ensure_dk_project(number, invoice.project_id()).await?;
        }
        let mut rates = std::collections::HashMap::new();
        for required in &mapped.products {
            let product = self.ensure_product(required).await?;
            rates.insert(required.create.item_code.clone(), product.tax_percent);
        }
        // The VAT DK+ will charge, from the products it has: checked against Moment's before
        // anything is posted.
        let vat_warnings = check_vat(
            &mapped,
            |code| rates.get(code).copied().flatten(),
            customer_no_vat,
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
        })?;
        outcome.warnings.extend(vat_warnings);

        // In-order posting: wait until every invoice before this one is done. Taken before the
        // reference lock, so a waiting invoice never holds a lock another one needs.
        if let Some(turn) = turn {
            turn.wait().await;
        }
        // One invoice per reference at a time in this engine: the look-up and the post belong
        // together, so it is looked up again under the lock (another task may have posted it
        // since the first look).
        let _guard = self.ctx.invoice_locks.lock(&mapped.reference).await;
        if let Some(done) = self.already_in_dkplus(&mapped, &mut outcome).await? {
            return Ok(done);
        }

        tracing::info!(reference = %mapped.reference, total = %mapped.total, "posting invoice to DK+");
        match self.ctx.dkplus.create_invoice(&mapped.create).await {
            Ok(created) => {
                outcome
                    .warnings
                    .extend(booked_differently(&mapped, &created));
                let number = created.number.as_ref().map(|n| n.to_string());
                Ok(self.posted(outcome, &mapped, number))
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
                match classify(&candidates, &mapped) {
                    Existing::Same { number, warnings } => {
                        outcome.warnings.extend(warnings);
                        Ok(self.posted(outcome, &mapped, number))
                    }
                    Existing::Absent => Err(SyncFailure::OutcomeUnknown {
                        reference: mapped.reference.clone(),
                        error,
                    }),
                    other => Err(existing_failure(&mapped, other)),
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
        outcome.dkplus_number = number;
        outcome.with(OutcomeStatus::Created)
    }
}

/// What DK+ booked differently from what was sent, once it is booked: only a person can correct
/// it now (a credit note), so it is a warning with both figures.
fn booked_differently(mapped: &MappedInvoice, booked: &SalesInvoice) -> Vec<Warning> {
    let mut warnings = Vec::new();
    if let Some(dkplus) = booked.total_amount
        && to_cents(dkplus) != mapped.total
    {
        warnings.push(Warning::InvoiceTotalMismatch {
            moment: mapped.total,
            mapped: to_cents(dkplus),
            difference: to_cents(dkplus) - mapped.total,
        });
    }
    if let (Some(moment), Some(dkplus)) =
        (mapped.moment_total_with_vat, booked.total_amount_with_tax)
        && to_cents(dkplus) != moment
    {
        warnings.push(Warning::VatTotalMismatch {
            moment,
            dkplus: to_cents(dkplus),
        });
    }
    if let (Some(sent), Some(booked)) = (mapped.create.exchange, booked.exchange)
        && sent != booked
    {
        warnings.push(Warning::ExchangeRateChanged { sent, booked });
    }
    warnings
}

fn conflict(mapped: &MappedInvoice, existing: Vec<ExistingInvoice>) -> SyncFailure {
    SyncFailure::ReferenceConflict {
        reference: mapped.reference.clone(),
        customer: mapped.customer_number.to_string(),
        date: mapped.date,
        total: mapped.total,
        existing,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;
    use dkplus_client::{
        CustomerNumber, InvoiceCustomer, InvoiceNumber, Kennitala, SalesInvoiceCreate,
    };
    use rust_decimal_macros::dec;

    fn day(d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, d).unwrap()
    }

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
            kennitala: Kennitala::parse("4710080280").unwrap(),
            date: day(5),
            project_number: None,
            total,
            moment_total_with_vat: None,
            lines: Vec::new(),
            credit_note: false,
            products: Vec::new(),
            warnings: Vec::new(),
        }
    }

    fn existing(
        number: &str,
        reference: Option<&str>,
        customer: &str,
        date: u32,
        total: Option<Decimal>,
    ) -> SalesInvoice {
        SalesInvoice {
            number: Some(InvoiceNumber::new(number)),
            reference: reference.map(Into::into),
            customer_number: Some(CustomerNumber::new(customer)),
            customer_ssn: Some("4710080280".into()).filter(|_| customer == "10001"),
            invoice_date: Some(day(date)),
            total_amount: total,
            ..Default::default()
        }
    }

    fn seen(i: &SalesInvoice) -> ExistingInvoice {
        ExistingInvoice::of(i)
    }

    #[test]
    fn classify_table() {
        let m = mapped(dec!(1500.40));
        let same = |n: &str| Existing::Same {
            number: Some(n.into()),
            warnings: Vec::new(),
        };
        let ours = existing("7", Some("1042"), "10001", 5, Some(dec!(1500.40)));
        let cases: Vec<(Vec<SalesInvoice>, Existing)> = vec![
            (vec![], Existing::Absent),
            // another reference that the look-up returned anyway
            (
                vec![existing(
                    "1",
                    Some("10420"),
                    "10001",
                    5,
                    Some(dec!(1500.40)),
                )],
                Existing::Absent,
            ),
            (vec![ours.clone()], same("7")),
            // DK+'s double for 1500.40 is the same amount.
            (
                vec![existing(
                    "7",
                    Some("1042"),
                    "10001",
                    5,
                    Some(dec!(1500.3999999999999)),
                )],
                same("7"),
            ),
            (
                vec![existing(
                    "7",
                    Some(" 1042 "),
                    "10001",
                    5,
                    Some(dec!(1500.40)),
                )],
                same("7"),
            ),
            // Without a reference it is never taken as ours.
            {
                let none = existing("7", None, "10001", 5, Some(dec!(1500.40)));
                (vec![none.clone()], Existing::Conflict(vec![seen(&none)]))
            },
            (
                vec![
                    existing("6", None, "10001", 5, Some(dec!(1500.40))),
                    ours.clone(),
                ],
                same("7"),
            ),
            (
                vec![
                    existing("8", Some("1042"), "99999", 5, Some(dec!(1500.40))),
                    ours.clone(),
                ],
                same("7"),
            ),
            (
                vec![existing("7", Some("1042"), "10001", 5, None)],
                Existing::Same {
                    number: Some("7".into()),
                    warnings: vec![Warning::ExistingInvoiceWithoutTotal { dkplus: "7".into() }],
                },
            ),
            // Booked twice before: a failure naming both.
            {
                let twin = existing("8", Some("1042"), "10001", 5, Some(dec!(1500.40)));
                (
                    vec![ours.clone(), twin.clone()],
                    Existing::Duplicates(vec![seen(&ours), seen(&twin)]),
                )
            },
            // The same invoice with another total: changed in Moment after it was booked — to
            // the cent, DK+'s whole krónur are no excuse.
            (
                vec![existing("9", Some("1042"), "10001", 5, Some(dec!(1500)))],
                Existing::Changed {
                    number: Some("9".into()),
                    dkplus_total: dec!(1500),
                },
            ),
            // Another customer: the number was reused.
            {
                let other = existing("9", Some("1042"), "10002", 5, Some(dec!(1500.40)));
                (vec![other.clone()], Existing::Conflict(vec![seen(&other)]))
            },
            // Another date, same customer and amount: also a reused number, not this invoice.
            {
                let earlier = existing("9", Some("1042"), "10001", 1, Some(dec!(1500.40)));
                (
                    vec![earlier.clone()],
                    Existing::Conflict(vec![seen(&earlier)]),
                )
            },
            // The customer renumbered in Moment since: recognised by its kennitala.
            {
                let mut renumbered = existing("7", Some("1042"), "20001", 5, Some(dec!(1500.40)));
                renumbered.customer_ssn = Some("471008-0280".into());
                (
                    vec![renumbered],
                    Existing::Same {
                        number: Some("7".into()),
                        warnings: vec![Warning::CustomerRenumbered {
                            dkplus: "7".into(),
                            was: "20001".into(),
                            now: "10001".into(),
                        }],
                    },
                )
            },
        ];
        for (i, (candidates, expected)) in cases.into_iter().enumerate() {
            assert_eq!(classify(&candidates, &m), expected, "case {i}");
        }
    }
}
