//! What DK+ already has under an invoice's reference, and what that means for the invoice: the
//! same invoice (done), doubles, a changed invoice or something else under the reference. Pure
//! decisions on DK+'s answers; the invoice pipeline in `invoice.rs` asks them.

use dkplus_client::SalesInvoice;
use rust_decimal::Decimal;

use super::failure::{ExistingInvoice, SyncFailure};
use crate::rules::{MappedInvoice, to_cents};
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
pub(crate) fn existing_failure(mapped: &MappedInvoice, existing: Existing) -> SyncFailure {
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

/// What DK+ booked differently from what was sent, once it is booked: only a person can correct
/// it now (a credit note), so it is a warning with both figures.
pub(crate) fn booked_differently(mapped: &MappedInvoice, booked: &SalesInvoice) -> Vec<Warning> {
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
