//! Invoices and credit notes: one posted DK+ sales invoice per finalized Moment invoice.

use std::collections::BTreeSet;

use chrono::NaiveDate;
use dkplus_client::validation::MAX_INVOICE_TEXT_CHARS;
use dkplus_client::{
    CustomerNumber, InvoiceCustomer, ItemCode, Kennitala, ProductCreate, ProjectNumber,
    SalesInvoiceCreate, SalesInvoiceLineCreate,
};
use moment_client::{Customer, Invoice, InvoiceLine, InvoiceType, Project};
use rust_decimal::Decimal;

use super::item_code::resolve_item_code;
use super::kennitala::invoice_kennitala;
use super::line::{
    DKPLUS_SIGNIFICANT_DIGITS, line_total, moment_line_total, price_for_total, significant_digits,
    to_cents, with_surcharge,
};
use super::text::{
    DKPLUS_PRODUCT_DESCRIPTION_MAX, check_text, cut_chars, excerpt, non_blank, printable,
    split_line_text,
};
use super::{ItemCodeSource, LineRef, MappingError, MomentObjectRef, Problem, ReferenceData};
use crate::config::{IntegrationConfig, TotalMismatch};
use crate::moment_id::MomentId;
use crate::warning::Warning;

/// Largest quantity accepted on a line (absolute value).
const MAX_QUANTITY: Decimal = Decimal::from_parts(1_000_000_000, 0, 0, false, 0);
/// Largest unit price accepted on a line (absolute value): 10^12.
const MAX_UNIT_PRICE: Decimal = Decimal::from_parts(3_567_587_328, 232, 0, false, 0);
/// Largest surcharge accepted, in percent.
const MAX_SURCHARGE: Decimal = Decimal::from_parts(1000, 0, 0, false, 0);

/// What [`map_invoice`] needs: the invoice with its lines, its customer's full record (for the
/// kennitala), its project (for the number, when the invoice only links the id), and the
/// accounts and products its lines point to.
#[derive(Clone, Copy, Debug)]
pub struct InvoiceInputs<'a> {
    /// The Moment invoice or credit note, with its lines.
    pub invoice: &'a Invoice,
    /// The invoice's customer as Moment returns it; `None` when the invoice has none.
    pub customer: Option<&'a Customer>,
    /// The invoice's project, when it has one and it was loaded.
    pub project: Option<&'a Project>,
    /// Financial accounts and products the lines point to.
    pub reference_data: &'a ReferenceData,
}

/// An item code the invoice uses, and how to create it as a DK+ product if DK+ lacks it.
#[derive(Clone, Debug, PartialEq)]
pub struct RequiredProduct {
    /// The product to create when missing: item code, description (product or account name,
    /// at most 40 characters), VAT percent from the account when known, item class.
    pub create: ProductCreate,
    /// Where the item code came from.
    pub source: ItemCodeSource,
    /// Moment's id of the product the code came from, else of the financial account.
    pub moment_id: MomentId,
    /// Set when the description had to be shortened to DK+'s 40 characters; reported only if
    /// the product is actually created.
    pub description_truncated: Option<Warning>,
}

/// The currency of the books: amounts in it need no exchange rate.
pub const HOME_CURRENCY: &str = "ISK";

/// One mapped line: what DK+ will book for it and the VAT Moment charged on it, for the checks
/// made once the DK+ products are known.
#[derive(Clone, Debug, PartialEq)]
pub struct MappedLine {
    /// The line.
    pub line: LineRef,
    /// Its item code (the DK+ product that decides its VAT).
    pub item_code: ItemCode,
    /// The line total DK+ will book, without VAT, to the cent.
    pub total: Decimal,
    /// The VAT percent Moment charged on the line (the line's, else its financial account's),
    /// when Moment says.
    pub moment_vat_percent: Option<Decimal>,
}

/// An invoice ready for DK+.
#[derive(Clone, Debug, PartialEq)]
pub struct MappedInvoice {
    /// The body of `POST /sales/invoice`.
    pub create: SalesInvoiceCreate,
    /// The DK+ `Reference`: Moment's invoice number.
    pub reference: String,
    /// The DK+ customer number.
    pub customer_number: CustomerNumber,
    /// The customer's kennitala (sent as `Customer.SSN`; DK+ prints it on the invoice).
    pub kennitala: Kennitala,
    /// The invoice date.
    pub date: NaiveDate,
    /// The DK+ project number, when the invoice has a project.
    pub project_number: Option<ProjectNumber>,
    /// The total without VAT DK+ will book (the sum of the line totals), equal to Moment's to
    /// the cent unless `TotalMismatch::Warn` let a difference through (with a warning).
    pub total: Decimal,
    /// Moment's total including VAT, with the sign DK+ will show (negative for a credit note),
    /// to compare with the total DK+ books once it has added VAT from its products.
    pub moment_total_with_vat: Option<Decimal>,
    /// Every line, in order.
    pub lines: Vec<MappedLine>,
    /// Whether this is a credit note.
    pub credit_note: bool,
    /// Every distinct item code of the lines, in line order.
    pub products: Vec<RequiredProduct>,
    /// Things worth a look that did not stop the invoice.
    pub warnings: Vec<Warning>,
}

/// Maps an issued Moment invoice (or credit note) to a DK+ sales invoice.
///
/// Rules (see `docs/integration-rules.md`): drafts and invoices in a state the integration does
/// not know are refused; `Reference` = Moment's invoice number (DK+ assigns its own number); the
/// customer must have a valid kennitala, sent as `Customer.SSN`; the configured sales person is
/// set; a foreign-currency invoice carries Moment's exchange rate; each line keeps its quantity
/// and gets Moment's unit price — with a surcharge folded in at the precision that makes DK+'s
/// line total equal Moment's —, its discount percent, `IncludingVAT = false`, an item code from
/// [`resolve_item_code`] and its description in `Text` (continued in `Text2`); a credit note is
/// sent with negative quantities and the credited invoice's number in `Text1`. Every line total
/// and the invoice total must equal Moment's to the cent (else refused, or a warning under
/// `TotalMismatch::Warn`).
///
/// # Errors
/// A [`MappingError`] with **every** problem found (header and all lines), each saying what to
/// fix in Moment. Nothing has been written anywhere when it is returned.
pub fn map_invoice(
    inputs: InvoiceInputs<'_>,
    config: &IntegrationConfig,
) -> Result<MappedInvoice, MappingError> {
    let invoice = inputs.invoice;
    let mut problems = Vec::new();
    let mut warnings = Vec::new();

    // Header.
    if invoice.is_draft() {
        problems.push(Problem::InvoiceNotFinalized);
    } else if !invoice.is_issued() {
        problems.push(Problem::InvoiceStateUnknown(match &invoice.state {
            Some(state) => format!("\"{}\"", printable(state.as_wire())),
            None => "missing".to_owned(),
        }));
    }
    let reference = invoice
        .invoice_number
        .as_ref()
        .map(|n| n.as_str().trim().to_owned())
        .filter(|n| !n.is_empty());
    if reference.is_none() && !invoice.is_draft() {
        problems.push(Problem::InvoiceNumberMissing);
    }
    if invoice.invoice_date.is_none() {
        problems.push(Problem::InvoiceDateMissing);
    }
    let (customer_number, kennitala) = match inputs.customer {
        None => {
            problems.push(Problem::InvoiceCustomerMissing);
            (None, None)
        }
        Some(customer) => {
            let number = customer
                .customer_number
                .as_ref()
                .or_else(|| invoice.customer_number())
                .map(|n| n.as_str())
                .filter(|n| !n.trim().is_empty());
            if number.is_none() {
                problems.push(Problem::InvoiceCustomerNumberMissing);
            }
            check_text(number, || "the customer number".into(), &mut problems);
            let kennitala = invoice_kennitala(customer)
                .map_err(|p| problems.push(p))
                .ok();
            (number.map(CustomerNumber::new), kennitala)
        }
    };
    let project_number = if invoice.project.is_some() || inputs.project.is_some() {
        let number = invoice
            .project_number()
            .or_else(|| inputs.project.and_then(|p| p.project_number.as_ref()))
            .map(|n| n.as_str())
            .filter(|n| !n.trim().is_empty());
        if number.is_none() {
            problems.push(Problem::InvoiceProjectNumberMissing);
        }
        check_text(number, || "the project number".into(), &mut problems);
        number.map(ProjectNumber::new)
    } else {
        None
    };
    let currency = match non_blank(invoice.currency_code.as_deref()) {
        Some(code) if code.len() == 3 && code.chars().all(|c| c.is_ascii_alphabetic()) => {
            Some(code.to_ascii_uppercase())
        }
        Some(code) => {
            problems.push(Problem::CurrencyCodeInvalid(code.to_owned()));
            None
        }
        None => None,
    };
    // A foreign-currency invoice is booked at the rate Moment invoiced with, so the books in
    // ISK hold what Moment's invoice says. Without a rate DK+ applies its own of the day.
    let exchange = match (&currency, invoice.currency_rate) {
        (Some(code), _) if code == HOME_CURRENCY => None,
        (Some(_), Some(rate))
            if rate > Decimal::ZERO && significant_digits(rate) <= DKPLUS_SIGNIFICANT_DIGITS =>
        {
            Some(rate)
        }
        (Some(code), Some(rate)) => {
            problems.push(Problem::ExchangeRateInvalid {
                currency: code.clone(),
                rate,
            });
            None
        }
        (Some(code), None) => {
            warnings.push(Warning::ExchangeRateNotGiven {
                currency: code.clone(),
            });
            None
        }
        (None, _) => None,
    };
    if invoice.lines.is_empty() {
        problems.push(Problem::InvoiceHasNoLines);
    }

    // Lines.
    let mut lines = Vec::with_capacity(invoice.lines.len());
    let mut mapped_lines = Vec::with_capacity(invoice.lines.len());
    let mut products: Vec<RequiredProduct> = Vec::new();
    let mut seen_codes = BTreeSet::new();
    let mut total = Decimal::ZERO;
    let mut moment_lines_total = Some(Decimal::ZERO);
    for (index, line) in invoice.lines.iter().enumerate() {
        let line_ref = LineRef {
            position: index + 1,
            description: line
                .description
                .as_deref()
                .map(excerpt)
                .filter(|d| !d.is_empty()),
        };
        let Some(mapped) = map_line(
            line,
            &line_ref,
            &inputs,
            config,
            &mut problems,
            &mut warnings,
        ) else {
            continue;
        };
        if seen_codes.insert(mapped.line.item_code.clone()) {
            products.push(required_product(&mapped, line, config));
        }
        total = total.saturating_add(mapped.total);
        moment_lines_total = moment_lines_total
            .zip(line.line_total)
            .and_then(|(a, b)| a.checked_add(b));
        mapped_lines.push(MappedLine {
            line: line_ref,
            item_code: mapped.line.item_code.clone(),
            total: mapped.total,
            moment_vat_percent: mapped.moment_vat_percent,
        });
        lines.push(mapped.line);
    }

    let all_lines_mapped = lines.len() == invoice.lines.len();

    // Credit notes go to DK+ with negative quantities. Moment may store a credit note's lines
    // with negated amounts or as positive amounts under the credit-note type: both end up
    // negative here.
    let credited = invoice
        .credited_invoice
        .as_ref()
        .and_then(|r| r.invoice_number.as_ref());
    let credit_note = match &invoice.invoice_type {
        Some(InvoiceType::CreditNote) => true,
        Some(InvoiceType::Invoice) | None => {
            // An invoice that names the invoice it credits is most likely a credit note whose
            // type was not recognised: never book it as a sale.
            if let Some(original) = credited {
                problems.push(Problem::InvoiceTypeUnclear {
                    original: printable(original.as_str()).into_owned(),
                });
            }
            false
        }
        Some(other) => {
            problems.push(Problem::InvoiceTypeUnknown(
                printable(other.as_wire()).into_owned(),
            ));
            false
        }
    };
    let mut text1 = None;
    if credit_note {
        if total > Decimal::ZERO {
            for line in &mut lines {
                line.quantity = -line.quantity;
                line.total = line.total.map(|t| -t);
            }
            for line in &mut mapped_lines {
                line.total = -line.total;
            }
            total = -total;
        }
        match credited {
            Some(original) => {
                check_text(
                    Some(original.as_str()),
                    || "the credited invoice's number".into(),
                    &mut problems,
                );
                let text = config
                    .credit_note_text()
                    .replace("{original}", original.as_str());
                let length = text.chars().count();
                if length > MAX_INVOICE_TEXT_CHARS {
                    problems.push(Problem::TextTooLong {
                        field: "the credit note text (with the credited invoice's number)".into(),
                        fix: "check the credited invoice's number in Moment, or shorten the configured credit-note text",
                        length,
                        max: MAX_INVOICE_TEXT_CHARS,
                    });
                }
                text1 = Some(text);
            }
            None => warnings.push(Warning::CreditNoteWithoutOriginal),
        }
    } else if all_lines_mapped && total < Decimal::ZERO {
        problems.push(Problem::InvoiceTotalNegative { total });
    }

    // The invoice total: what DK+ books (the sum of its rounded lines) must equal Moment's total
    // without VAT to the cent (sign-insensitive for credit notes, whose totals Moment may keep
    // as positive amounts).
    let moment_total = invoice
        .total_excluding_vat
        .or(moment_lines_total.filter(|_| !invoice.lines.is_empty()));
    // Only a complete invoice can be compared: a line with its own problem is missing here.
    if let (Some(moment_total), true) = (moment_total, all_lines_mapped) {
        let comparable = to_cents(if credit_note && moment_total > Decimal::ZERO {
            -moment_total
        } else {
            moment_total
        });
        if total != comparable {
            match config.total_mismatch() {
                TotalMismatch::Refuse => problems.push(Problem::InvoiceTotalMismatch {
                    moment: comparable,
                    mapped: total,
                }),
                _ => warnings.push(Warning::InvoiceTotalMismatch {
                    moment: comparable,
                    mapped: total,
                    difference: total - comparable,
                }),
            }
        }
    }

    check_text(
        invoice.invoice_number.as_ref().map(|n| n.as_str()),
        || "the invoice number".into(),
        &mut problems,
    );

    let (Some(reference), Some(customer_number), Some(kennitala), Some(date), true) = (
        reference,
        customer_number,
        kennitala,
        invoice.invoice_date,
        problems.is_empty(),
    ) else {
        return Err(MappingError {
            object: MomentObjectRef::Invoice {
                id: invoice.id.get(),
                number: invoice.invoice_number.as_ref().map(|n| n.to_string()),
            },
            problems,
        });
    };

    let create = SalesInvoiceCreate {
        customer: InvoiceCustomer {
            number: customer_number.clone(),
            ssn: Some(kennitala.as_str().to_owned()),
            ..InvoiceCustomer::default()
        },
        sales_person: config.sales_person().cloned(),
        reference: Some(reference.clone()),
        date: Some(date),
        due_date: invoice.due_date,
        project: project_number.clone(),
        text1,
        currency,
        exchange,
        lines,
        ..SalesInvoiceCreate::default()
    };
    Ok(MappedInvoice {
        create,
        reference,
        customer_number,
        kennitala,
        date,
        project_number,
        total,
        moment_total_with_vat: invoice.total_including_vat.map(|t| {
            to_cents(if credit_note && t > Decimal::ZERO {
                -t
            } else {
                t
            })
        }),
        lines: mapped_lines,
        credit_note,
        products,
        warnings,
    })
}

struct LineToSend {
    line: SalesInvoiceLineCreate,
    total: Decimal,
    moment_vat_percent: Option<Decimal>,
    source: ItemCodeSource,
    resolved_product: Option<moment_client::Product>,
    resolved_account: Option<moment_client::FinancialAccount>,
}

fn in_range(value: Decimal, max: Decimal) -> bool {
    value.abs() <= max
}

/// Maps one line; pushes its problems and returns `None` when it cannot be mapped.
fn map_line(
    line: &InvoiceLine,
    line_ref: &LineRef,
    inputs: &InvoiceInputs<'_>,
    config: &IntegrationConfig,
    problems: &mut Vec<Problem>,
    warnings: &mut Vec<Warning>,
) -> Option<LineToSend> {
    let before = problems.len();
    let out_of_range = |field, value, range| Problem::LineValueOutOfRange {
        line: line_ref.clone(),
        field,
        value,
        range,
    };
    check_text(
        line.description.as_deref(),
        || format!("{line_ref} description"),
        problems,
    );

    let quantity = line.quantity;
    match quantity {
        None => problems.push(Problem::LineQuantityMissing {
            line: line_ref.clone(),
        }),
        Some(q) if !in_range(q, MAX_QUANTITY) => problems.push(out_of_range(
            "quantity",
            q,
            "-1 000 000 000 to 1 000 000 000",
        )),
        Some(_) => {}
    }
    let unit_price = line.unit_price;
    match unit_price {
        None => problems.push(Problem::LineUnitPriceMissing {
            line: line_ref.clone(),
        }),
        Some(p) if !in_range(p, MAX_UNIT_PRICE) => problems.push(out_of_range(
            "unit price",
            p,
            "-1 000 000 000 000 to 1 000 000 000 000",
        )),
        Some(_) => {}
    }
    let discount = line.discount_percent.filter(|d| !d.is_zero());
    if let Some(d) = discount
        && (d < Decimal::ZERO || d > Decimal::ONE_HUNDRED)
    {
        problems.push(out_of_range("discount percent", d, "0 to 100"));
    }
    let surcharge = line.surcharge_percent.filter(|s| !s.is_zero());
    if let Some(s) = surcharge
        && (s <= -Decimal::ONE_HUNDRED || s > MAX_SURCHARGE)
    {
        problems.push(out_of_range(
            "surcharge percent",
            s,
            "above -100 and at most 1000",
        ));
    }
    // Amount-style discount or surcharge: Moment's meaning (per unit or per line) is not
    // known, so such a line is refused rather than guessed, unless the percentage is also given.
    for (what, percent, amount) in [
        ("discount", discount, line.discount_amount),
        ("surcharge", surcharge, line.surcharge_amount),
    ] {
        if let (None, Some(amount)) = (percent, amount.filter(|a| !a.is_zero())) {
            problems.push(Problem::LineAmountWithoutPercent {
                line: line_ref.clone(),
                what,
                amount,
            });
        }
    }

    let resolved = resolve_item_code(
        line,
        line_ref,
        inputs.reference_data,
        config.item_code_fallback(),
    )
    .map_err(|p| problems.push(p))
    .ok();

    if problems.len() > before {
        return None;
    }
    let (Some(quantity), Some(unit_price), Some(resolved)) = (quantity, unit_price, resolved)
    else {
        return None;
    };
    let too_large = || Problem::LineTooLargeToCompute {
        line: line_ref.clone(),
    };
    // What Moment books for the line: its own line total, else its price computed exactly.
    let Some(moment_total) = line
        .line_total
        .or_else(|| moment_line_total(quantity, unit_price, surcharge, discount))
    else {
        problems.push(too_large());
        return None;
    };
    // Moment may keep a credit note's line totals as positive amounts.
    let target = to_cents(
        if inputs.invoice.is_credit_note()
            && moment_total.is_sign_negative() != (quantity * unit_price).is_sign_negative()
        {
            -moment_total
        } else {
            moment_total
        },
    );
    // Without a surcharge Moment's price goes unchanged. With one, the price carries it at the
    // precision that makes DK+'s line total Moment's.
    let price = match surcharge {
        None => Some(unit_price),
        Some(_) => {
            let Some(exact) = with_surcharge(unit_price, surcharge) else {
                problems.push(too_large());
                return None;
            };
            price_for_total(quantity, exact, discount, target, config.price_decimals())
                .filter(|price| {
                    // Only a price within Moment's own rounding of the exact price: a price far
                    // from it would hide a misread field behind a matching total.
                    let half_unit =
                        Decimal::new(5, config.price_decimals().saturating_add(1).min(28));
                    (*price - exact).abs() <= half_unit
                })
                .or_else(|| {
                    // No price reaches Moment's total: refused below, or sent rounded with a
                    // warning under `TotalMismatch::Warn`.
                    Some(exact.round_dp_with_strategy(
                        config.price_decimals(),
                        rust_decimal::RoundingStrategy::MidpointAwayFromZero,
                    ))
                })
        }
    };
    let Some(price) = price else {
        problems.push(too_large());
        return None;
    };
    // DK+ receives non-negative prices: a negative price becomes a negative quantity.
    let (quantity, price) = if price < Decimal::ZERO {
        (-quantity, -price)
    } else {
        (quantity, price)
    };
    let Some(total) = line_total(quantity, price, discount) else {
        problems.push(too_large());
        return None;
    };
    // DK+ keeps numbers as doubles: refuse what it could not store exactly.
    let before_digits = problems.len();
    for (field, value) in [
        ("quantity", quantity),
        ("unit price (with the surcharge)", price),
        ("line total", total),
    ] {
        if significant_digits(value) > DKPLUS_SIGNIFICANT_DIGITS {
            problems.push(Problem::TooManyDigits {
                line: line_ref.clone(),
                field,
                value,
            });
        }
    }
    if problems.len() > before_digits {
        return None;
    }
    if total != target {
        match config.total_mismatch() {
            TotalMismatch::Refuse => {
                problems.push(Problem::LineTotalMismatch {
                    line: line_ref.clone(),
                    moment: target,
                    mapped: total,
                });
                return None;
            }
            _ => warnings.push(Warning::LineTotalMismatch {
                line: line_ref.clone(),
                moment: target,
                mapped: total,
                difference: total - target,
            }),
        }
    }
    let (text, text2) = match non_blank(line.description.as_deref()) {
        None => (None, None),
        Some(description) => match split_line_text(description, config.text_limits().line_text) {
            Ok(parts) => parts,
            Err(length) => {
                problems.push(Problem::TextTooLong {
                    field: format!("{line_ref} description"),
                    fix: "shorten the line's description in Moment (it continues in DK+'s second line text, but no further)",
                    length,
                    max: 2 * config.text_limits().line_text,
                });
                return None;
            }
        },
    };
    let item_code: ItemCode = resolved.code;
    let moment_vat_percent = line.vat_percent.or_else(|| {
        resolved
            .account
            .as_ref()
            .and_then(|a| a.current_vat_percentage)
    });
    Some(LineToSend {
        line: SalesInvoiceLineCreate {
            item_code,
            quantity,
            price,
            text,
            text2,
            discount,
            including_vat: Some(false),
            total: Some(total),
            ..SalesInvoiceLineCreate::default()
        },
        total,
        moment_vat_percent,
        source: resolved.source,
        resolved_product: resolved.product,
        resolved_account: resolved.account,
    })
}

fn required_product(
    mapped: &LineToSend,
    line: &InvoiceLine,
    config: &IntegrationConfig,
) -> RequiredProduct {
    let code = mapped.line.item_code.clone();
    let full = mapped
        .resolved_product
        .as_ref()
        .and_then(|p| non_blank(p.name.as_deref()).or(non_blank(p.description.as_deref())))
        .or_else(|| {
            mapped
                .resolved_account
                .as_ref()
                .and_then(|a| non_blank(a.name.as_deref()))
        })
        .or_else(|| non_blank(line.description.as_deref()))
        .unwrap_or(code.as_str())
        .replace(['\n', '\r', '\t'], " ");
    let (description, cut) = cut_chars(&full, DKPLUS_PRODUCT_DESCRIPTION_MAX);
    let description_truncated = cut.then(|| Warning::ProductDescriptionTruncated {
        item_code: code.to_string(),
        full: full.clone(),
        sent: description.clone(),
    });
    // The rate Moment charged on the line — the same one the VAT check compares with.
    let tax_percent = mapped.moment_vat_percent;
    RequiredProduct {
        create: ProductCreate {
            item_code: code,
            description: Some(description),
            tax_percent,
            item_class: config.new_product_item_class().cloned(),
            ..ProductCreate::default()
        },
        source: mapped.source.clone(),
        moment_id: mapped
            .resolved_product
            .as_ref()
            .map(|p| MomentId::Product(p.id))
            .or_else(|| {
                mapped
                    .resolved_account
                    .as_ref()
                    .map(|a| MomentId::FinancialAccount(a.id))
            })
            // An item code always comes from a product or an account (see `item_code`).
            .unwrap_or(MomentId::FinancialAccount(Default::default())),
        description_truncated,
    }
}
