//! Paid status back to Moment (opt-in): [`SyncEngine::sync_payments`](crate::SyncEngine::sync_payments)
//! reads what DK+ shows as settled for the invoices the ledger knows and registers in Moment what
//! was paid since the last look — each payment once, never more than DK+ shows as settled.
//!
//! How an invoice's paid amount is found: DK+'s `SettledAmount` of the invoice, less what its
//! credit notes settled (a credit note matched to its invoice settles both in DK+, and Moment
//! already counts the credit note against the invoice: registering it as a payment would count
//! it twice). Credit notes themselves get no payment. The invoices are read first and the credit
//! notes after, so a credit matched in between is subtracted rather than paid; a settled credit
//! note that cannot be traced to its invoice (not ours, or Moment does not name its invoice)
//! holds back every payment of its customer for a person.
//!
//! How much is registered: DK+'s paid amount less **every** payment Moment already holds for the
//! invoice (ours, a person's, another add-on's), read just before each registration. So Moment
//! never shows more paid than DK+, whatever was registered by hand, and a payment whose answer
//! was lost is counted once it shows in Moment, whether or not Moment kept its external id.
//!
//! How each payment is registered once, across runs and processes: the n-th payment of invoice
//! `1001` is the reference `1001#n` in a ledger of its own (the store's invoice ledger under the
//! scope's DK+ company with `/payments` added). Its claim goes to one process; the payment is
//! sent with the external id `dkplus:1001:n`; the amount registered is kept where the invoice
//! ledger keeps DK+'s number. A payment whose answer was lost is *outcome unknown*: it is looked
//! up in Moment's payments after the settle time, never sent again before.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Utc};
use moment_client::{InvoiceId, PaymentCreate};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::context::Context;
use crate::ports::{DkPlusTarget, InvoiceQuery, MomentSource};
use crate::reconcile::all_invoice_pages;
use crate::store::{Claim, ClaimRequest, LedgerEntry, LedgerState, Scope, Settlement};

/// The fields of DK+'s invoices the payment sync reads.
const FIELDS: [&str; 5] = [
    "Number",
    "Reference",
    "CNumber",
    "TotalAmountWithTax",
    "SettledAmount",
];

/// The scope of the payments ledger of an invoice scope.
pub fn payments_scope(scope: &Scope) -> Scope {
    Scope::new(
        scope.moment_company.clone(),
        format!("{}/payments", scope.dkplus_company),
    )
}

/// The external id a payment is registered under in Moment.
pub fn external_id(reference: &str, sequence: u32) -> String {
    format!("dkplus:{reference}:{sequence}")
}

/// A payment registered in Moment.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RegisteredPayment {
    /// The invoice's reference (Moment's invoice number).
    pub reference: String,
    /// Moment's id of the invoice.
    pub moment_id: i64,
    /// Which payment of the invoice it is (1, 2, …).
    pub sequence: u32,
    /// The amount registered.
    pub amount: Decimal,
    /// What DK+ showed as paid, in all, when it was registered.
    pub paid_in_dkplus: Decimal,
    /// `true` when it was found already in Moment (an earlier answer was lost).
    pub found_in_moment: bool,
}

impl RegisteredPayment {
    fn of(invoice: &Settled, sequence: u32, amount: Decimal, paid: Decimal, found: bool) -> Self {
        Self {
            reference: invoice.reference.clone(),
            moment_id: invoice.moment_id,
            sequence,
            amount,
            paid_in_dkplus: paid,
            found_in_moment: found,
        }
    }
}

/// What one payment sync did.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PaymentReport {
    /// When it started.
    pub started_at: Option<DateTime<Utc>>,
    /// Payments registered (or found registered) in Moment.
    pub registered: Vec<RegisteredPayment>,
    /// Invoices left for the next run: another process holds them, or a payment's outcome is
    /// not known yet (its settle time runs).
    pub waiting: Vec<String>,
    /// Invoices whose payment could not be registered, with why (tried again next run).
    pub failed: Vec<(String, String)>,
    /// Invoices DK+ shows as less paid than Moment was told (a payment reversed in DK+): a
    /// person must look; nothing is taken back from Moment.
    pub less_paid_in_dkplus: Vec<(String, Decimal, Decimal)>,
    /// Why the run stopped before it looked at every invoice, when it did.
    pub stopped: Option<String>,
}

impl PaymentReport {
    /// Whether nothing needs a person or another run.
    pub fn is_clean(&self) -> bool {
        self.failed.is_empty() && self.less_paid_in_dkplus.is_empty() && self.stopped.is_none()
    }
}

/// What DK+ shows of one of our invoices.
struct Settled {
    reference: String,
    moment_id: i64,
    customer: Option<String>,
    total_with_vat: Decimal,
    settled: Decimal,
}

/// The payments of one invoice so far, from the payments ledger.
#[derive(Default)]
struct Registered {
    /// The registered amounts by sequence.
    amounts: BTreeMap<u32, Decimal>,
    /// A sequence not registered (claimed, unclear, failed): the next to settle.
    open: Option<u32>,
}

impl Registered {
    fn total(&self) -> Decimal {
        self.amounts.values().copied().sum()
    }

    /// The sequence the next payment takes.
    fn next(&self) -> u32 {
        self.open
            .unwrap_or_else(|| self.amounts.keys().max().map_or(1, |n| n + 1))
    }
}

fn registered_by_invoice(entries: &[LedgerEntry]) -> BTreeMap<String, Registered> {
    let mut by_invoice: BTreeMap<String, Registered> = BTreeMap::new();
    for entry in entries {
        let Some((reference, sequence)) = entry.reference.rsplit_once('#') else {
            continue;
        };
        let Ok(sequence) = sequence.parse::<u32>() else {
            continue;
        };
        let registered = by_invoice.entry(reference.to_owned()).or_default();
        match (entry.state, entry.dkplus_number.as_deref().map(str::parse)) {
            (LedgerState::Posted, Some(Ok(amount))) => {
                registered.amounts.insert(sequence, amount);
            }
            _ => {
                registered.open = Some(registered.open.map_or(sequence, |o| o.min(sequence)));
            }
        }
    }
    by_invoice
}

impl<M: MomentSource, D: DkPlusTarget> Context<M, D> {
    /// See the module documentation.
    pub(crate) async fn sync_payments(&self) -> PaymentReport {
        let mut report = PaymentReport {
            started_at: Some(Utc::now()),
            ..PaymentReport::default()
        };
        let ledger = match self.store.ledger(&self.scope).await {
            Ok(ledger) => ledger,
            Err(e) => {
                report.stopped = Some(e.to_string());
                return report;
            }
        };
        // Our invoices by DK+ number: posted by this integration for a Moment invoice. DK+'s
        // own invoices from before going live (seeded, without a Moment invoice) are known too.
        let mut ours: BTreeMap<String, (String, i64)> = BTreeMap::new();
        let mut before_going_live: BTreeSet<String> = BTreeSet::new();
        for entry in ledger
            .into_iter()
            .filter(|e| e.state == LedgerState::Posted)
        {
            match (entry.dkplus_number, entry.moment_id) {
                (Some(number), Some(moment_id)) => {
                    ours.insert(number, (entry.reference, moment_id));
                }
                (Some(number), None) => {
                    before_going_live.insert(number);
                }
                _ => {}
            }
        }
        let template = InvoiceQuery {
            include: FIELDS.to_vec(),
            per_page: 500,
            ..InvoiceQuery::default()
        };
        let mut invoices: Vec<Settled> = Vec::new();
        let read = all_invoice_pages(&self.dkplus, &template, |page| {
            for invoice in page {
                let Some((reference, moment_id)) = invoice
                    .number
                    .as_ref()
                    .and_then(|n| ours.get(&n.to_string()))
                else {
                    continue;
                };
                let total = invoice.total_amount_with_tax.unwrap_or_default();
                if total > Decimal::ZERO {
                    invoices.push(Settled {
                        reference: reference.clone(),
                        moment_id: *moment_id,
                        customer: invoice.customer_number.as_ref().map(ToString::to_string),
                        total_with_vat: total,
                        settled: invoice.settled_amount.unwrap_or_default(),
                    });
                }
            }
        })
        .await;
        if let Err(e) = read {
            report.stopped = Some(format!("DK+'s invoices could not be read: {e}"));
            return report;
        }

        let scope = payments_scope(&self.scope);
        let payments = match self.store.ledger(&scope).await {
            Ok(entries) => registered_by_invoice(&entries),
            Err(e) => {
                report.stopped = Some(e.to_string());
                return report;
            }
        };
        // Only invoices with something new settled are looked at further.
        let so_far = |reference: &str| {
            payments
                .get(reference)
                .map(Registered::total)
                .unwrap_or_default()
        };
        let candidates: Vec<&Settled> = invoices
            .iter()
            .filter(|i| {
                i.settled > so_far(&i.reference)
                    || payments.get(&i.reference).is_some_and(|r| r.open.is_some())
                    || i.settled < so_far(&i.reference)
            })
            .collect();

        // The credit notes of those invoices' customers, read now — after the invoices, so a
        // credit matched meanwhile is subtracted (too little registered, never too much).
        let mut credited: BTreeMap<String, Decimal> = BTreeMap::new();
        let mut held_back: BTreeMap<Option<String>, String> = BTreeMap::new();
        let customers: BTreeSet<Option<String>> =
            candidates.iter().map(|i| i.customer.clone()).collect();
        for customer in customers {
            if let Err(why) = self
                .credits_of(
                    customer.as_deref(),
                    &ours,
                    &before_going_live,
                    &mut credited,
                )
                .await
            {
                held_back.insert(customer, why);
            }
        }

        for invoice in candidates {
            let so_far = so_far(&invoice.reference);
            let credit = credited
                .get(&invoice.reference)
                .copied()
                .unwrap_or_default();
            let paid = (invoice.settled - credit)
                .max(Decimal::ZERO)
                .min(invoice.total_with_vat)
                .round_dp(2);
            let registered = payments.get(&invoice.reference);
            if paid < so_far {
                report
                    .less_paid_in_dkplus
                    .push((invoice.reference.clone(), so_far, paid));
                continue;
            }
            if paid == so_far && registered.is_none_or(|r| r.open.is_none()) {
                continue;
            }
            if let Some(why) = held_back.get(&invoice.customer) {
                report.failed.push((
                    invoice.reference.clone(),
                    format!(
                        "not registered: {why}, and it may have settled this invoice; the next \
                         run tries again"
                    ),
                ));
                continue;
            }
            let sequence = registered.map_or(1, Registered::next);
            if let Err(stop) = self
                .register(&scope, invoice, paid, so_far, sequence, &mut report)
                .await
            {
                report.stopped = Some(stop);
                return report;
            }
        }
        report
    }

    /// Adds what `customer`'s settled credit notes settled to `credited`, by the invoice each
    /// credits; `Err` with why when one cannot be traced to its invoice (then none of the
    /// customer's invoices may be taken as paid).
    async fn credits_of(
        &self,
        customer: Option<&str>,
        ours: &BTreeMap<String, (String, i64)>,
        before_going_live: &BTreeSet<String>,
        credited: &mut BTreeMap<String, Decimal>,
    ) -> Result<(), String> {
        let Some(customer) = customer else {
            return Err("DK+ shows no customer on the invoice".to_owned());
        };
        let number = dkplus_client::CustomerNumber::new(customer);
        let query = InvoiceQuery::of_customer(&number, 500, &FIELDS);
        let mut notes = Vec::new();
        all_invoice_pages(&self.dkplus, &query, |page| {
            notes.extend(page.into_iter().filter(|i| {
                i.total_amount_with_tax.is_some_and(|t| t < Decimal::ZERO)
                    && i.settled_amount.is_some_and(|s| !s.is_zero())
            }));
        })
        .await
        .map_err(|e| format!("customer {customer}'s credit notes could not be read ({e})"))?;
        for note in notes {
            let number = note
                .number
                .as_ref()
                .map(ToString::to_string)
                .unwrap_or_default();
            let settled = note.settled_amount.unwrap_or_default().abs();
            let Some((reference, moment_id)) = ours.get(&number) else {
                if before_going_live.contains(&number) {
                    continue;
                }
                return Err(format!(
                    "DK+ credit note {number} (not sent by this integration) is settled"
                ));
            };
            let original = self
                .moment
                .invoice(InvoiceId::new(*moment_id))
                .await
                .map_err(|e| format!("Moment's credit note {reference} could not be read ({e})"))?
                .and_then(|n| n.credited_invoice)
                .and_then(|r| r.invoice_number)
                .map(|n| n.to_string());
            match original {
                Some(original) => *credited.entry(original).or_default() += settled,
                None => {
                    return Err(format!(
                        "credit note {reference} is settled in DK+ but Moment does not say which \
                         invoice it credits"
                    ));
                }
            }
        }
        Ok(())
    }

    /// Claims payment `sequence` of `invoice`, reads what Moment already holds for it,
    /// registers what is still open, and records it. `Err` only when a whole system failed
    /// (the run stops).
    async fn register(
        &self,
        scope: &Scope,
        invoice: &Settled,
        paid: Decimal,
        so_far: Decimal,
        sequence: u32,
        report: &mut PaymentReport,
    ) -> Result<(), String> {
        let key = format!("{}#{sequence}", invoice.reference);
        let id = external_id(&invoice.reference, sequence);
        let claim = self
            .store
            .claim(
                scope,
                &ClaimRequest {
                    reference: &key,
                    moment_id: invoice.moment_id,
                    owner: &self.owner,
                    now: Utc::now(),
                    lease: self.config.claim_lease(),
                    settle: self.config.settle_time(),
                },
            )
            .await
            .map_err(|e| e.to_string())?;
        let previous = match claim {
            Claim::Granted { previous } => previous,
            Claim::Posted { .. } => return Ok(()),
            _ => {
                report.waiting.push(invoice.reference.clone());
                return Ok(());
            }
        };
        let unclear = previous == Some(LedgerState::OutcomeUnknown);
        let key_ref = key.as_str();
        let settle = |settlement: Settlement| async move {
            if let Err(e) = self
                .store
                .settle(scope, key_ref, &self.owner, Utc::now(), &settlement)
                .await
            {
                tracing::warn!(error = %e, reference = key_ref, "could not record a payment's outcome; it is looked up after the settle time");
            }
        };
        // Unclear stays unclear (looked up again after the settle time); otherwise nothing
        // reached Moment.
        let not_done = |error: String| {
            if unclear {
                Settlement::OutcomeUnknown { error }
            } else {
                Settlement::Failed { error }
            }
        };
        let person = |report: &mut PaymentReport, why: String| {
            report.failed.push((invoice.reference.clone(), why));
        };
        let moment_invoice = InvoiceId::new(invoice.moment_id);

        // What Moment holds already: ours (an earlier answer lost), a person's, another add-on's.
        let held = match self.moment.invoice_payments(moment_invoice).await {
            Ok(Some(held)) => held,
            Ok(None) => {
                let why = "Moment's payments of the invoice cannot be read (404): nothing is \
                           registered without knowing them — check the payment API names in \
                           docs/moment-api.md"
                    .to_owned();
                settle(not_done(why.clone())).await;
                person(report, why);
                return Ok(());
            }
            Err(e) => {
                settle(not_done(e.to_string())).await;
                return if e.is_transient() || e.kind == crate::ports::PortErrorKind::Unauthorized {
                    Err(format!("Moment's payments could not be read: {e}"))
                } else {
                    person(report, e.to_string());
                    Ok(())
                };
            }
        };
        if let Some(found) = held
            .iter()
            .find(|p| p.external_id.as_deref() == Some(id.as_str()))
        {
            let Some(amount) = found.amount else {
                let why = format!("Moment shows payment {id} without an amount");
                settle(Settlement::NeedsPerson { error: why.clone() }).await;
                person(report, why);
                return Ok(());
            };
            settle(Settlement::Posted {
                dkplus_number: Some(amount.to_string()),
            })
            .await;
            report
                .registered
                .push(RegisteredPayment::of(invoice, sequence, amount, paid, true));
            return Ok(());
        }
        if held.iter().any(|p| p.amount.is_none()) {
            let why = "Moment shows a payment without an amount: what is still open cannot be told"
                .to_owned();
            settle(not_done(why.clone())).await;
            person(report, why);
            return Ok(());
        }
        let in_moment: Decimal = held.iter().filter_map(|p| p.amount).sum();
        // What our own ledger recorded counts too: a Moment list that is cut short (paged) or
        // late can only make too little be registered.
        let amount = (paid - in_moment.max(so_far)).round_dp(2);
        if amount <= Decimal::ZERO {
            let why = format!("nothing to register: Moment shows {in_moment} paid, DK+ {paid}");
            settle(not_done(why)).await;
            if in_moment > paid {
                report
                    .less_paid_in_dkplus
                    .push((invoice.reference.clone(), in_moment, paid));
            }
            return Ok(());
        }
        let lease = self.config.claim_lease();
        match self
            .store
            .start_post(scope, key_ref, &self.owner, Utc::now(), lease)
            .await
        {
            Ok(true) => {}
            Ok(false) => {
                report.waiting.push(invoice.reference.clone());
                return Ok(());
            }
            Err(e) => return Err(e.to_string()),
        }
        let create = PaymentCreate {
            amount,
            payment_date: Utc::now().date_naive(),
            external_id: id.clone(),
            comment: Some(format!(
                "Greitt samkvæmt DK+ (reikningur {}): alls {paid} greitt",
                invoice.reference
            )),
        };
        let sent =
            tokio::time::timeout(lease, self.moment.register_payment(moment_invoice, &create))
                .await;
        let unknown = |error: String| Settlement::OutcomeUnknown { error };
        match sent {
            // Taken only when the answer shows this payment; anything else is looked up.
            Ok(Ok(answer))
                if answer.external_id.as_deref() == Some(id.as_str())
                    || answer.amount == Some(amount) =>
            {
                settle(Settlement::Posted {
                    dkplus_number: Some(answer.amount.unwrap_or(amount).to_string()),
                })
                .await;
                tracing::info!(reference = %invoice.reference, %amount, sequence, "payment registered in Moment");
                report.registered.push(RegisteredPayment::of(
                    invoice, sequence, amount, paid, false,
                ));
                Ok(())
            }
            Ok(Ok(_)) => {
                settle(unknown(
                    "Moment answered, but not with this payment; looked up later".into(),
                ))
                .await;
                report.waiting.push(invoice.reference.clone());
                Ok(())
            }
            // A 5xx for this payment: unclear for it alone; the others go on.
            Ok(Err(e)) if e.may_have_been_applied() && e.status.is_some() => {
                settle(unknown(e.to_string())).await;
                report.waiting.push(invoice.reference.clone());
                Ok(())
            }
            Ok(Err(e)) if e.may_have_been_applied() => {
                settle(unknown(e.to_string())).await;
                report.waiting.push(invoice.reference.clone());
                Err(format!("Moment gave no clear answer: {e}"))
            }
            Err(_) => {
                settle(unknown(
                    "Moment did not answer within the claim lease".into(),
                ))
                .await;
                report.waiting.push(invoice.reference.clone());
                Err("Moment did not answer".into())
            }
            Ok(Err(e)) => {
                settle(Settlement::Failed {
                    error: e.to_string(),
                })
                .await;
                if e.is_transient() || e.kind == crate::ports::PortErrorKind::Unauthorized {
                    Err(format!("Moment refused or could not be reached: {e}"))
                } else {
                    person(report, e.to_string());
                    Ok(())
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(reference: &str, state: LedgerState, amount: Option<&str>) -> LedgerEntry {
        let mut e = LedgerEntry::new(reference, state, Utc::now());
        e.dkplus_number = amount.map(str::to_owned);
        e
    }

    #[test]
    fn registered_payments_add_up_and_an_open_one_is_next() {
        let entries = [
            entry("1001#1", LedgerState::Posted, Some("100.00")),
            entry("1001#2", LedgerState::Posted, Some("50.50")),
            entry("1002#1", LedgerState::OutcomeUnknown, None),
            entry("1003#1", LedgerState::Posted, Some("7")),
            entry("not-a-payment", LedgerState::Posted, Some("1")),
        ];
        let by_invoice = registered_by_invoice(&entries);
        assert_eq!(by_invoice["1001"].total(), Decimal::new(15050, 2));
        assert_eq!(by_invoice["1001"].next(), 3);
        assert_eq!(
            by_invoice["1002"].next(),
            1,
            "the unclear one is settled first"
        );
        assert_eq!(by_invoice["1002"].total(), Decimal::ZERO);
        assert_eq!(by_invoice.len(), 3);
        assert_eq!(external_id("1001", 2), "dkplus:1001:2");
    }
}
