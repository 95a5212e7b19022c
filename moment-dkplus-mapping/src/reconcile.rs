//! Reconciliation: does DK+ hold exactly what Moment invoiced in a period, and what has been
//! paid? [`SyncEngine::reconcile`](crate::SyncEngine::reconcile) reads Moment's issued invoices
//! and credit notes of the period and DK+'s sales invoices of the same dates (in pages, never a
//! request per invoice), pairs them by reference (Moment's invoice number), and returns a
//! [`ReconciliationReport`]. It never writes anything.
//!
//! Moment publishes no invoice-date filter, so its invoices are listed from
//! [`MOMENT_LOOK_BACK`] before the period's first day (an invoice is changed when it is
//! finalized, which is rarely long before its date) and kept when their date is in the period.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};
use futures_util::StreamExt as _;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::ports::{DkPlusTarget, InvoiceQuery, MomentSource, PortError, System};
use crate::sync::ObjectKind;

/// How long before the period Moment's invoices are listed from.
pub const MOMENT_LOOK_BACK: chrono::Duration = chrono::Duration::days(31);

/// DK+ invoices read per page.
const PAGE: u32 = 500;

/// The fields of DK+'s invoices a reconciliation reads.
const FIELDS: [&str; 8] = [
    "Number",
    "Reference",
    "CNumber",
    "InvoiceDate",
    "TotalAmount",
    "TotalAmountWithTax",
    "SettledType",
    "SettledAmount",
];

/// Invoice dates from `from` to `to`, both included.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Period {
    /// The first day.
    pub from: NaiveDate,
    /// The last day.
    pub to: NaiveDate,
}

impl Period {
    /// The period, or what is wrong with it.
    ///
    /// # Errors
    /// A sentence when `to` is before `from`, the period is longer than a year, or a day is
    /// outside the years 2000 to 2100.
    pub fn new(from: NaiveDate, to: NaiveDate) -> Result<Self, String> {
        if to < from {
            return Err(format!("the period ends ({to}) before it starts ({from})"));
        }
        let plausible = |d: NaiveDate| (2000..=2100).contains(&chrono::Datelike::year(&d));
        if !plausible(from) || !plausible(to) {
            return Err(format!(
                "the period {from} to {to} is outside the years 2000 to 2100"
            ));
        }
        if (to - from).num_days() > 366 {
            return Err(format!(
                "the period {from} to {to} is longer than a year: reconcile a year at a time"
            ));
        }
        Ok(Self { from, to })
    }

    /// Whether a day is in the period.
    pub fn contains(&self, day: NaiveDate) -> bool {
        self.from <= day && day <= self.to
    }
}

/// How much of an invoice DK+ shows as paid.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PaymentState {
    /// Nothing settled.
    Open,
    /// Part settled.
    PartlyPaid,
    /// Settled in full.
    Paid,
    /// DK+ did not say (no settled amount or no total).
    Unknown,
}

impl PaymentState {
    /// In words: `open`, `partly paid`, `paid`, `unknown`.
    pub fn label(self) -> &'static str {
        match self {
            Self::Open => "open",
            Self::PartlyPaid => "partly paid",
            Self::Paid => "paid",
            Self::Unknown => "unknown",
        }
    }
}

/// DK+'s payment state of an invoice, decoded as DK+ publishes it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Payment {
    /// `SettledType` as DK+ sent it (an integer; 0 with nothing settled and 2 with the whole
    /// amount settled in DK's examples).
    pub settled_type: Option<i64>,
    /// `SettledAmount`: what is settled so far, with VAT.
    pub settled: Option<Decimal>,
    /// What is still open: the total with VAT less the settled amount.
    pub open: Option<Decimal>,
    /// The state the amounts show.
    pub state: PaymentState,
}

impl Payment {
    /// The payment state of a DK+ invoice.
    pub fn of(invoice: &dkplus_client::SalesInvoice) -> Self {
        let total = invoice.total_amount_with_tax;
        // DK+ may show a credit note's settled amount without its sign: it takes the total's.
        let settled = invoice.settled_amount.map(|s| match total {
            Some(t) if t.is_sign_negative() => -s.abs(),
            _ => s,
        });
        let open = total.zip(settled).map(|(t, s)| t - s);
        let state = match (total, settled) {
            (Some(total), Some(settled)) if settled.is_zero() && !total.is_zero() => {
                PaymentState::Open
            }
            (Some(total), Some(settled)) if settled.abs() >= total.abs() => PaymentState::Paid,
            (Some(_), Some(_)) => PaymentState::PartlyPaid,
            _ => PaymentState::Unknown,
        };
        Self {
            settled_type: invoice.settled_type,
            settled,
            open,
            state,
        }
    }
}

/// A Moment invoice or credit note, as the reconciliation saw it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MomentSide {
    /// Moment's invoice number: the DK+ reference.
    pub reference: String,
    /// Moment's id of it.
    pub moment_id: i64,
    /// Whether it is a credit note.
    pub credit_note: bool,
    /// The DK+ customer number it belongs to.
    pub customer: Option<String>,
    /// The invoice date.
    pub date: Option<NaiveDate>,
    /// The total without VAT, with DK+'s sign (negative for a credit note).
    pub total: Option<Decimal>,
    /// The VAT, with DK+'s sign.
    pub vat: Option<Decimal>,
}

/// A DK+ sales invoice, as the reconciliation saw it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DkPlusSide {
    /// DK+'s invoice number.
    pub number: Option<String>,
    /// Its reference.
    pub reference: Option<String>,
    /// Its customer number.
    pub customer: Option<String>,
    /// Its invoice date.
    pub date: Option<NaiveDate>,
    /// Its total without VAT.
    pub total: Option<Decimal>,
    /// Its VAT (the total with VAT less the total without).
    pub vat: Option<Decimal>,
    /// What is paid.
    pub payment: Payment,
}

impl DkPlusSide {
    fn of(invoice: &dkplus_client::SalesInvoice) -> Self {
        Self {
            number: invoice.number.as_ref().map(ToString::to_string),
            reference: invoice.reference.as_ref().map(|r| r.trim().to_owned()),
            customer: invoice.customer_number.as_ref().map(ToString::to_string),
            date: invoice.invoice_date,
            total: invoice.total_amount,
            vat: invoice
                .total_amount_with_tax
                .zip(invoice.total_amount)
                .map(|(with, without)| with - without),
            payment: Payment::of(invoice),
        }
    }
}

/// What differs between a Moment invoice and its DK+ invoice.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Field {
    /// The customer number.
    Customer,
    /// The invoice date.
    Date,
    /// The total without VAT.
    Total,
    /// The VAT.
    Vat,
}

impl std::fmt::Display for Field {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Customer => "customer",
            Self::Date => "date",
            Self::Total => "total without VAT",
            Self::Vat => "VAT",
        })
    }
}

/// One value that differs, with both sides.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Difference {
    /// The reference.
    pub reference: String,
    /// What differs.
    pub field: Field,
    /// Moment's value, in words (`—` when Moment has none).
    pub moment: String,
    /// DK+'s value, in words.
    pub dkplus: String,
}

/// An invoice found on both sides (its differences, if any, are in
/// [`ReconciliationReport::differences`]).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Matched {
    /// Moment's side.
    pub moment: MomentSide,
    /// DK+'s side, with what is paid.
    pub dkplus: DkPlusSide,
}

/// A reference DK+ holds more than once.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Duplicate {
    /// The reference.
    pub reference: String,
    /// Every DK+ invoice under it.
    pub invoices: Vec<DkPlusSide>,
}

/// The answer to "does DK+ hold exactly what Moment invoiced, and what has been paid?".
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReconciliationReport {
    /// The invoice dates compared.
    pub period: Period,
    /// When it was read.
    pub generated_at: DateTime<Utc>,
    /// Invoices on both sides, with DK+'s payment state.
    pub matched: Vec<Matched>,
    /// Moment invoices DK+ does not hold.
    pub missing_in_dkplus: Vec<MomentSide>,
    /// DK+ invoices with a reference that looks like a Moment invoice number but no issued
    /// Moment invoice under it.
    pub unknown_in_dkplus: Vec<DkPlusSide>,
    /// References DK+ holds more than once.
    pub duplicates: Vec<Duplicate>,
    /// Values that differ between matched invoices.
    pub differences: Vec<Difference>,
}

impl ReconciliationReport {
    /// Whether everything matched: nothing missing, unknown, doubled or different.
    pub fn is_clean(&self) -> bool {
        self.missing_in_dkplus.is_empty()
            && self.unknown_in_dkplus.is_empty()
            && self.duplicates.is_empty()
            && self.differences.is_empty()
    }

    /// Totals of the matched invoices: with VAT, settled, open.
    pub fn payment_totals(&self) -> (Decimal, Decimal, Decimal) {
        let mut totals = (Decimal::ZERO, Decimal::ZERO, Decimal::ZERO);
        for m in &self.matched {
            let with_vat = m.dkplus.total.unwrap_or_default() + m.dkplus.vat.unwrap_or_default();
            totals.0 += with_vat;
            totals.1 += m.dkplus.payment.settled.unwrap_or_default();
            totals.2 += m.dkplus.payment.open.unwrap_or_default();
        }
        totals
    }
}

/// A reconciliation that could not read one side to the end (no partial answer is given).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("the reconciliation could not read {what}: {error}")]
pub struct ReconcileError {
    /// What was being read.
    pub what: String,
    /// The error.
    pub error: PortError,
}

/// An amount as Icelandic bookkeeping writes it: `.` between thousands, `,` before the two
/// decimals, a minus sign in front (`-1.234.567,50`).
pub fn icelandic_amount(amount: Decimal) -> String {
    let rounded = amount.round_dp(2);
    let negative = rounded.is_sign_negative() && !rounded.is_zero();
    let text = format!("{:.2}", rounded.abs());
    let (whole, cents) = text.split_once('.').unwrap_or((&text, "00"));
    let mut grouped = String::new();
    for (i, digit) in whole.chars().enumerate() {
        if i > 0 && (whole.len() - i) % 3 == 0 {
            grouped.push('.');
        }
        grouped.push(digit);
    }
    format!("{}{grouped},{cents}", if negative { "-" } else { "" })
}

/// Something that can reconcile a period (the engine), for the status page.
#[async_trait::async_trait]
pub trait Reconciler: Send + Sync {
    /// See [`SyncEngine::reconcile`](crate::SyncEngine::reconcile).
    async fn reconcile(&self, period: Period) -> Result<ReconciliationReport, ReconcileError>;
}

#[async_trait::async_trait]
impl<M: MomentSource, D: DkPlusTarget> Reconciler for crate::SyncEngine<M, D> {
    async fn reconcile(&self, period: Period) -> Result<ReconciliationReport, ReconcileError> {
        crate::SyncEngine::reconcile(self, period).await
    }
}

/// Whether a DK+ reference looks like one this integration writes: a Moment invoice number (a
/// positive whole number).
pub fn looks_like_ours(reference: &str) -> bool {
    !reference.is_empty()
        && reference.len() <= 18
        && reference.bytes().all(|b| b.is_ascii_digit())
        && !reference.starts_with('0')
}

fn words(value: Option<impl ToString>) -> String {
    value.map_or_else(|| "—".to_owned(), |v| v.to_string())
}

/// Moment's invoice as the reconciliation compares it (`None` for a draft or one outside the
/// period).
fn moment_side(
    invoice: &moment_client::Invoice,
    period: Period,
    customers: &BTreeMap<i64, String>,
) -> Option<MomentSide> {
    if !invoice.state.as_ref().is_some_and(|s| s.is_issued()) {
        return None;
    }
    let date = invoice.invoice_date?;
    if !period.contains(date) {
        return None;
    }
    let reference = invoice
        .invoice_number
        .as_ref()?
        .to_string()
        .trim()
        .to_owned();
    let credit_note = matches!(
        invoice.invoice_type,
        Some(moment_client::InvoiceType::CreditNote)
    );
    let signed = |v: Decimal| if credit_note { -v.abs() } else { v };
    let customer = invoice.customer.as_ref().and_then(|c| {
        c.id.and_then(|id| customers.get(&id.get()).cloned())
            .or_else(|| c.customer_number.as_ref().map(ToString::to_string))
    });
    let total = invoice.total_excluding_vat.map(signed);
    let vat = invoice
        .total_vat
        .or_else(|| {
            invoice
                .total_including_vat
                .zip(invoice.total_excluding_vat)
                .map(|(with, without)| with - without)
        })
        .map(signed);
    Some(MomentSide {
        reference,
        moment_id: invoice.id.get(),
        credit_note,
        customer,
        date: Some(date),
        total,
        vat,
    })
}

fn differences(moment: &MomentSide, dkplus: &DkPlusSide) -> Vec<Difference> {
    let mut found = Vec::new();
    let mut differ = |field: Field, moment_value: String, dkplus_value: String| {
        found.push(Difference {
            reference: moment.reference.clone(),
            field,
            moment: moment_value,
            dkplus: dkplus_value,
        });
    };
    if moment.customer.is_some() && moment.customer != dkplus.customer {
        differ(
            Field::Customer,
            words(moment.customer.as_ref()),
            words(dkplus.customer.as_ref()),
        );
    }
    if moment.date != dkplus.date {
        differ(Field::Date, words(moment.date), words(dkplus.date));
    }
    // To the cent; shown with two decimals (`-37000.00`).
    let cents = |v: Option<Decimal>| v.map(|d| d.round_dp(2));
    let amount = |v: Option<Decimal>| words(cents(v).map(|d| format!("{d:.2}")));
    if moment.total.is_some() && cents(moment.total) != cents(dkplus.total) {
        differ(Field::Total, amount(moment.total), amount(dkplus.total));
    }
    if moment.vat.is_some() && cents(moment.vat) != cents(dkplus.vat) {
        differ(Field::Vat, amount(moment.vat), amount(dkplus.vat));
    }
    found
}

/// Reads every DK+ sales invoice `template` selects, page by page until an empty page; a page
/// that repeats the one before (a paging DK+ does not do) is an error.
pub(crate) async fn all_invoice_pages<D: DkPlusTarget>(
    dkplus: &D,
    template: &InvoiceQuery,
    mut each: impl FnMut(Vec<dkplus_client::SalesInvoice>),
) -> Result<(), PortError> {
    let mut previous: Option<Vec<Option<String>>> = None;
    let mut page = 1;
    loop {
        let query = InvoiceQuery {
            page,
            ..template.clone()
        };
        let invoices = dkplus.list_invoices(&query).await?;
        if invoices.is_empty() {
            return Ok(());
        }
        let numbers: Vec<Option<String>> = invoices
            .iter()
            .map(|i| i.number.as_ref().map(ToString::to_string))
            .collect();
        if previous.as_ref() == Some(&numbers) {
            return Err(PortError::new(
                System::DkPlus,
                crate::ports::PortErrorKind::Other,
                format!("page {page} repeats page {}", page - 1),
            ));
        }
        previous = Some(numbers);
        each(invoices);
        page += 1;
    }
}

/// Compares Moment and DK+ for `period` (see the module documentation).
pub(crate) async fn reconcile<M: MomentSource, D: DkPlusTarget>(
    moment: &M,
    dkplus: &D,
    store: &dyn crate::store::Store,
    scope: &crate::store::Scope,
    period: Period,
) -> Result<ReconciliationReport, ReconcileError> {
    let moment_failed = |what: &str| {
        let what = what.to_owned();
        move |error| ReconcileError { what, error }
    };
    let store_failed = |e: crate::store::StoreError| ReconcileError {
        what: "the sync state store".into(),
        error: PortError::new(
            System::DkPlus,
            crate::ports::PortErrorKind::Other,
            e.to_string(),
        ),
    };
    // The DK+ customer number of each Moment customer the store knows (renumbered ones).
    let mut customers = BTreeMap::new();
    for object in store.objects(scope).await.map_err(store_failed)? {
        if object.kind == ObjectKind::Customer
            && let Some(key) = object.dkplus_key
        {
            customers.insert(object.moment_id, key);
        }
    }
    // The references this integration posted (or found posted) for a Moment invoice. An entry
    // a person must look at (DK+ holds something else under it) is not ours.
    let ledger: BTreeMap<String, Option<i64>> = store
        .ledger(scope)
        .await
        .map_err(store_failed)?
        .into_iter()
        .filter(|e| e.state == crate::store::LedgerState::Posted)
        .map(|e| (e.reference, e.moment_id))
        .collect();
    let posted_by_us = |reference: &str| ledger.get(reference).is_some_and(Option::is_some);

    // Moment's issued invoices of the period.
    let start = period
        .from
        .and_hms_opt(0, 0, 0)
        .map(|t| t.and_utc())
        .unwrap_or_default();
    let since = start.checked_sub_signed(MOMENT_LOOK_BACK).unwrap_or(start);
    let mut in_moment: BTreeMap<String, MomentSide> = BTreeMap::new();
    {
        let mut listed = moment.invoices_changed_since(since);
        while let Some(item) = listed.next().await {
            let mut invoice = item.map_err(moment_failed("Moment's invoices"))?;
            if invoice.total_excluding_vat.is_none()
                && invoice.state.as_ref().is_some_and(|s| s.is_issued())
                && invoice.invoice_date.is_some_and(|d| period.contains(d))
            {
                // Listed without its totals: read it whole.
                if let Some(whole) = moment
                    .invoice(invoice.id)
                    .await
                    .map_err(moment_failed("a Moment invoice"))?
                {
                    invoice = whole;
                }
            }
            if let Some(side) = moment_side(&invoice, period, &customers) {
                in_moment.insert(side.reference.clone(), side);
            }
        }
    }

    // DK+'s sales invoices of the same dates, in pages.
    let template = InvoiceQuery {
        dated_from: Some(period.from),
        dated_before: period.to.succ_opt(),
        include: FIELDS.to_vec(),
        per_page: PAGE,
        ..InvoiceQuery::default()
    };
    let mut in_dkplus: BTreeMap<String, Vec<DkPlusSide>> = BTreeMap::new();
    let mut without_reference = 0usize;
    all_invoice_pages(dkplus, &template, |page| {
        for invoice in &page {
            let side = DkPlusSide::of(invoice);
            match side.reference.clone().filter(|r| !r.is_empty()) {
                Some(reference) => in_dkplus.entry(reference).or_default().push(side),
                None => without_reference += 1,
            }
        }
    })
    .await
    .map_err(|error| ReconcileError {
        what: "DK+'s sales invoices".into(),
        error,
    })?;
    tracing::debug!(
        without_reference,
        "DK+ invoices without a reference are not ours"
    );

    // A copy of a reference dated outside the period is a duplicate too: count every
    // reference over all of DK+'s invoices (numbers and references only, in pages).
    let mut everywhere: BTreeMap<String, usize> = BTreeMap::new();
    let all_dates = InvoiceQuery {
        include: vec!["Number", "Reference"],
        per_page: PAGE,
        ..InvoiceQuery::default()
    };
    all_invoice_pages(dkplus, &all_dates, |page| {
        for invoice in page {
            // Only Moment's invoices of the period and references we posted: a number someone
            // else reused over the years is not ours to count.
            if let Some(reference) = invoice.reference.map(|r| r.trim().to_owned())
                && (in_moment.contains_key(&reference)
                    || (in_dkplus.contains_key(&reference) && posted_by_us(&reference)))
            {
                *everywhere.entry(reference).or_default() += 1;
            }
        }
    })
    .await
    .map_err(|error| ReconcileError {
        what: "DK+'s sales invoices of every date".into(),
        error,
    })?;
    for (reference, count) in &everywhere {
        let in_period = in_dkplus.get(reference).map_or(0, Vec::len);
        if *count > in_period.max(1) {
            let copies = dkplus
                .invoices_by_reference(reference)
                .await
                .map_err(|error| ReconcileError {
                    what: format!("DK+'s invoices with reference {reference}"),
                    error,
                })?;
            in_dkplus.insert(
                reference.clone(),
                copies.iter().map(DkPlusSide::of).collect(),
            );
        }
    }

    let mut report = ReconciliationReport {
        period,
        generated_at: Utc::now(),
        matched: Vec::new(),
        missing_in_dkplus: Vec::new(),
        unknown_in_dkplus: Vec::new(),
        duplicates: Vec::new(),
        differences: Vec::new(),
    };
    for (reference, invoices) in &in_dkplus {
        if invoices.len() > 1 && (looks_like_ours(reference) || in_moment.contains_key(reference)) {
            report.duplicates.push(Duplicate {
                reference: reference.clone(),
                invoices: invoices.clone(),
            });
        }
    }
    for (reference, side) in &in_moment {
        match in_dkplus.get(reference).map(Vec::as_slice) {
            Some([one]) => {
                report.differences.extend(differences(side, one));
                report.matched.push(Matched {
                    moment: side.clone(),
                    dkplus: one.clone(),
                });
            }
            Some(_) => {} // a duplicate, reported above
            None => {
                // Booked under another date (outside the period's listing)?
                let elsewhere = dkplus
                    .invoices_by_reference(reference)
                    .await
                    .map_err(|error| ReconcileError {
                        what: format!("DK+'s invoices with reference {reference}"),
                        error,
                    })?;
                match elsewhere.as_slice() {
                    [] => report.missing_in_dkplus.push(side.clone()),
                    [one] => {
                        let one = DkPlusSide::of(one);
                        report.differences.extend(differences(side, &one));
                        report.matched.push(Matched {
                            moment: side.clone(),
                            dkplus: one,
                        });
                    }
                    many => report.duplicates.push(Duplicate {
                        reference: reference.clone(),
                        invoices: many.iter().map(DkPlusSide::of).collect(),
                    }),
                }
            }
        }
    }
    // DK+ invoices of the period under a reference like ours that Moment did not list.
    for (reference, invoices) in &in_dkplus {
        let ours = posted_by_us(reference) || looks_like_ours(reference);
        if in_moment.contains_key(reference) || !ours {
            continue;
        }
        // The ledger may know its Moment invoice: one dated outside the period is a date
        // difference, not an unknown invoice.
        if let Some(Some(moment_id)) = ledger.get(reference)
            && let Some(invoice) = moment
                .invoice(moment_client::InvoiceId::new(*moment_id))
                .await
                .map_err(moment_failed("a Moment invoice"))?
            && invoice.state.as_ref().is_some_and(|s| s.is_issued())
            && invoice
                .invoice_number
                .as_ref()
                .map(ToString::to_string)
                .as_deref()
                == Some(reference.as_str())
        {
            let wide = Period {
                from: NaiveDate::MIN,
                to: NaiveDate::MAX,
            };
            if let (Some(side), [one]) =
                (moment_side(&invoice, wide, &customers), invoices.as_slice())
            {
                report.differences.extend(differences(&side, one));
                report.matched.push(Matched {
                    moment: side,
                    dkplus: one.clone(),
                });
                continue;
            }
        }
        if invoices.len() == 1 {
            report.unknown_in_dkplus.push(invoices[0].clone());
        }
    }
    // Invoice numbers in numeric order.
    let by_number = |r: &str| (r.len(), r.to_owned());
    report
        .matched
        .sort_by_key(|m| by_number(&m.moment.reference));
    report.differences.sort_by_key(|d| by_number(&d.reference));
    Ok(report)
}
