//! Paid status back to Moment (opt-in): [`SyncEngine::sync_payments`](crate::SyncEngine::sync_payments)
//! reads what DK+ shows as settled for the invoices the ledger knows and registers in Moment what
//! was paid since the last look — each payment once, never more than DK+ shows as settled.
//!
//! How an invoice's paid amount is found: DK+'s `SettledAmount` of the invoice, less what its
//! credit notes settled (a credit note matched to its invoice settles both in DK+, and Moment
//! already counts the credit note against the invoice: registering it as a payment would count
//! it twice). Credit notes themselves get no payment.
//!
//! How each payment is registered once, across runs and processes: the n-th payment of invoice
//! `1001` is the reference `1001#n` in a ledger of its own (the store's invoice ledger under the
//! scope's DK+ company with `/payments` added). Its claim goes to one process; the payment is
//! sent with the external id `dkplus:1001:n`; the amount registered is kept where the invoice
//! ledger keeps DK+'s number. A payment whose answer was lost is *outcome unknown*: after the
//! settle time Moment's payments of the invoice are read and it is sent again only if no payment
//! carries its external id. The amount of `1001#n` is DK+'s paid amount less the amounts of
//! `1001#1`…`1001#n-1`, all registered before `n` is claimed.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use moment_client::{InvoiceId, PaymentCreate};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::context::Context;
use crate::ports::{DkPlusTarget, InvoiceQuery, MomentSource};
use crate::reconcile::all_invoice_pages;
use crate::store::{Claim, ClaimRequest, LedgerEntry, LedgerState, Scope, Settlement};

/// The fields of DK+'s invoices the payment sync reads.
const FIELDS: [&str; 4] = ["Number", "Reference", "TotalAmountWithTax", "SettledAmount"];

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
        // Our invoices by DK+ number: posted by this integration for a Moment invoice.
        let ours: BTreeMap<String, (String, i64)> = ledger
            .into_iter()
            .filter(|e| e.state == LedgerState::Posted)
            .filter_map(|e| Some((e.dkplus_number?, (e.reference, e.moment_id?))))
            .collect();
        let template = InvoiceQuery {
            include: FIELDS.to_vec(),
            per_page: 500,
            ..InvoiceQuery::default()
        };
        let mut settled: Vec<Settled> = Vec::new();
        let read = all_invoice_pages(&self.dkplus, &template, |page| {
            for invoice in page {
                let Some((reference, moment_id)) = invoice
                    .number
                    .as_ref()
                    .and_then(|n| ours.get(&n.to_string()))
                else {
                    continue;
                };
                settled.push(Settled {
                    reference: reference.clone(),
                    moment_id: *moment_id,
                    total_with_vat: invoice.total_amount_with_tax.unwrap_or_default(),
                    settled: invoice.settled_amount.unwrap_or_default(),
                });
            }
        })
        .await;
        if let Err(e) = read {
            report.stopped = Some(format!("DK+'s invoices could not be read: {e}"));
            return report;
        }

        // What credit notes settled, by the invoice they credit.
        let mut credited: BTreeMap<String, Decimal> = BTreeMap::new();
        for credit in settled
            .iter()
            .filter(|s| s.total_with_vat < Decimal::ZERO && !s.settled.is_zero())
        {
            match self.moment.invoice(InvoiceId::new(credit.moment_id)).await {
                Ok(Some(note)) => {
                    if let Some(original) = note
                        .credited_invoice
                        .as_ref()
                        .and_then(|r| r.invoice_number.as_ref())
                    {
                        *credited.entry(original.to_string()).or_default() += credit.settled.abs();
                    }
                }
                Ok(None) => {}
                Err(e) => {
                    report.stopped = Some(format!(
                        "Moment's credit note {} could not be read: {e}",
                        credit.reference
                    ));
                    return report;
                }
            }
        }

        let scope = payments_scope(&self.scope);
        let payments = match self.store.ledger(&scope).await {
            Ok(entries) => registered_by_invoice(&entries),
            Err(e) => {
                report.stopped = Some(e.to_string());
                return report;
            }
        };
        for invoice in settled.iter().filter(|s| s.total_with_vat > Decimal::ZERO) {
            let credit = credited
                .get(&invoice.reference)
                .copied()
                .unwrap_or_default();
            let paid = (invoice.settled - credit)
                .max(Decimal::ZERO)
                .min(invoice.total_with_vat)
                .round_dp(2);
            let registered = payments.get(&invoice.reference);
            let so_far = registered.map(Registered::total).unwrap_or_default();
            if paid < so_far {
                report
                    .less_paid_in_dkplus
                    .push((invoice.reference.clone(), so_far, paid));
                continue;
            }
            if paid == so_far && registered.is_none_or(|r| r.open.is_none()) {
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

    /// Claims, looks up when an earlier answer was lost, registers, and records payment
    /// `sequence` of `invoice`. `Err` only when a whole system failed (the run stops).
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
        let now = Utc::now();
        let claim = self
            .store
            .claim(
                scope,
                &ClaimRequest {
                    reference: &key,
                    moment_id: invoice.moment_id,
                    owner: &self.owner,
                    now,
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
        let moment_invoice = InvoiceId::new(invoice.moment_id);
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
        // An earlier attempt may have gone through: Moment's payments say.
        if previous.is_some() {
            match self.moment.invoice_payments(moment_invoice).await {
                Ok(found) => {
                    if let Some(payment) = found
                        .unwrap_or_default()
                        .into_iter()
                        .find(|p| p.external_id.as_deref() == Some(id.as_str()))
                    {
                        let amount = payment.amount.unwrap_or(paid - so_far);
                        settle(Settlement::Posted {
                            dkplus_number: Some(amount.to_string()),
                        })
                        .await;
                        report.registered.push(RegisteredPayment {
                            reference: invoice.reference.clone(),
                            moment_id: invoice.moment_id,
                            sequence,
                            amount,
                            paid_in_dkplus: paid,
                            found_in_moment: true,
                        });
                        return Ok(());
                    }
                }
                Err(e) => {
                    let unclear = previous == Some(LedgerState::OutcomeUnknown);
                    settle(if unclear {
                        Settlement::OutcomeUnknown {
                            error: e.to_string(),
                        }
                    } else {
                        Settlement::Failed {
                            error: e.to_string(),
                        }
                    })
                    .await;
                    return if e.is_transient() {
                        Err(format!("Moment's payments could not be read: {e}"))
                    } else {
                        report
                            .failed
                            .push((invoice.reference.clone(), e.to_string()));
                        Ok(())
                    };
                }
            }
        }
        let amount = paid - so_far;
        if amount <= Decimal::ZERO {
            // Found nothing to register after all (a lost answer was found elsewhere).
            settle(Settlement::Failed {
                error: "nothing to register".into(),
            })
            .await;
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
            external_id: id,
            comment: Some(format!(
                "Greitt samkvæmt DK+ (reikningur {}): alls {paid} greitt",
                invoice.reference
            )),
        };
        let sent =
            tokio::time::timeout(lease, self.moment.register_payment(moment_invoice, &create))
                .await;
        match sent {
            Ok(Ok(_)) => {
                settle(Settlement::Posted {
                    dkplus_number: Some(amount.to_string()),
                })
                .await;
                tracing::info!(reference = %invoice.reference, %amount, sequence, "payment registered in Moment");
                report.registered.push(RegisteredPayment {
                    reference: invoice.reference.clone(),
                    moment_id: invoice.moment_id,
                    sequence,
                    amount,
                    paid_in_dkplus: paid,
                    found_in_moment: false,
                });
                Ok(())
            }
            Ok(Err(e)) if e.may_have_been_applied() => {
                settle(Settlement::OutcomeUnknown {
                    error: e.to_string(),
                })
                .await;
                report.waiting.push(invoice.reference.clone());
                Err(format!("Moment gave no clear answer: {e}"))
            }
            Err(_) => {
                settle(Settlement::OutcomeUnknown {
                    error: "Moment did not answer within the claim lease".into(),
                })
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
                    report
                        .failed
                        .push((invoice.reference.clone(), e.to_string()));
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
