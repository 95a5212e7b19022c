//! VAT, checked before an invoice is posted: DK+ takes each line's VAT from the line's product
//! (`TaxPercent`), or none for a customer marked `NoVat`, so an existing DK+ product with another
//! rate than Moment charged would book the wrong VAT. The engine reads the products and the
//! customer while it ensures them, then asks [`check_vat`] before the post.

use dkplus_client::ItemCode;
use rust_decimal::Decimal;

use super::line::to_cents;
use super::{MappedInvoice, Problem};
use crate::config::TotalMismatch;
use crate::warning::Warning;

/// Checks the VAT DK+ will charge on every line against the VAT Moment charged, and the total
/// including VAT against Moment's to the cent.
///
/// `dkplus_rate` gives the `TaxPercent` of a DK+ product (`None` when DK+ did not say);
/// `customer_no_vat` is the DK+ customer's `NoVat`.
///
/// # Errors
/// Every line whose rate differs ([`Problem::VatRateMismatch`], always refused: a wrong VAT
/// code is a set-up error), and a total that differs ([`Problem::VatTotalMismatch`], refused
/// unless `policy` is [`TotalMismatch::Warn`], which turns it into a warning).
pub fn check_vat(
    mapped: &MappedInvoice,
    dkplus_rate: impl Fn(&ItemCode) -> Option<Decimal>,
    customer_no_vat: bool,
    policy: TotalMismatch,
) -> Result<Vec<Warning>, Vec<Problem>> {
    let mut problems = Vec::new();
    let mut warnings = Vec::new();
    let mut expected = Some(Decimal::ZERO);
    for line in &mapped.lines {
        let rate = if customer_no_vat {
            Some(Decimal::ZERO)
        } else {
            dkplus_rate(&line.item_code)
        };
        if let (Some(dkplus), Some(moment)) = (rate, line.moment_vat_percent)
            && dkplus != moment
        {
            problems.push(Problem::VatRateMismatch {
                line: line.line.clone(),
                item_code: line.item_code.to_string(),
                dkplus,
                moment,
                customer_no_vat,
            });
        }
        expected = match (expected, rate) {
            (Some(sum), Some(rate)) => line
                .total
                .checked_mul(Decimal::ONE_HUNDRED + rate)
                .and_then(|v| v.checked_div(Decimal::ONE_HUNDRED))
                .and_then(|gross| sum.checked_add(to_cents(gross))),
            _ => None,
        };
    }
    match (expected, mapped.moment_total_with_vat) {
        (Some(dkplus), Some(moment)) if dkplus != moment => match policy {
            TotalMismatch::Refuse => problems.push(Problem::VatTotalMismatch { moment, dkplus }),
            _ => warnings.push(Warning::VatTotalMismatch { moment, dkplus }),
        },
        (None, Some(_)) => warnings.push(Warning::VatNotChecked),
        _ => {}
    }
    if problems.is_empty() {
        Ok(warnings)
    } else {
        Err(problems)
    }
}
