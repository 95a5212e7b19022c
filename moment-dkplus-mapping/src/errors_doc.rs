//! `docs/errors.md` cannot drift from the code: one sample of every failure, problem, warning,
//! verify problem and configuration problem is rendered, and each message must match one of the
//! documented message templates. A new variant without a sample, or a message the page does not
//! document, fails the test and names it.

use std::collections::BTreeSet;

use chrono::NaiveDate;
use rust_decimal::Decimal;
use strum::VariantNames;

use crate::config::ConfigProblem;
use crate::ports::{PortError, PortErrorKind, System};
use crate::rules::{LineRef, MappingError, MomentObjectRef, Problem};
use crate::sync::{ExistingInvoice, ObjectKind, SyncFailure, VerifyProblem};
use crate::warning::Warning;

const ERRORS_MD: &str = include_str!("../../docs/errors.md");

fn line() -> LineRef {
    LineRef {
        position: 2,
        description: Some("Ráðgjöf".into()),
    }
}

fn amount(value: i64) -> Decimal {
    Decimal::new(value, 2)
}

fn error(system: System, kind: PortErrorKind) -> PortError {
    let text = match system {
        System::DkPlus => {
            "DK+ answered POST /sales/invoice with HTTP 400 Bad Request: Item 'X' not found"
        }
        System::Moment => "Moment answered GET /customers/7 with HTTP 503 Service Unavailable",
    };
    PortError::new(system, kind, text)
}

const KINDS: [PortErrorKind; 6] = [
    PortErrorKind::Unavailable,
    PortErrorKind::Rejected,
    PortErrorKind::Unauthorized,
    PortErrorKind::OutcomeUnknown,
    PortErrorKind::InvalidInput,
    PortErrorKind::Other,
];

fn existing() -> Vec<ExistingInvoice> {
    vec![ExistingInvoice {
        number: Some("100042".into()),
        customer: Some("10001".into()),
        date: NaiveDate::from_ymd_opt(2026, 11, 5),
        total: Some(amount(150_040)),
    }]
}

fn problems() -> Vec<Problem> {
    let l = line;
    vec![
        Problem::CustomerNumberMissing,
        Problem::CustomerNameMissing,
        Problem::KennitalaMissing {
            customer: "10003 (Fjallasýn hf.)".into(),
        },
        Problem::KennitalaInvalid {
            customer: "10003 (Fjallasýn hf.)".into(),
            value: "471008-0281".into(),
            reason: "kennitala check digit is wrong (found 8, expected 2)".into(),
        },
        Problem::CountryCodeInvalid("ISL".into()),
        Problem::ControlCharacters {
            field: "the customer name".into(),
        },
        Problem::TextTooLong {
            field: "the customer name".into(),
            fix: "shorten it in Moment, or raise TextLimits::customer_name",
            length: 52,
            max: 40,
        },
        Problem::ProjectNumberMissing,
        Problem::ProjectNameMissing,
        Problem::InvoiceNotFinalized,
        Problem::InvoiceStateUnknown("\"ARCHIVED\"".into()),
        Problem::InvoiceTypeUnknown("CREDIT_INVOICE".into()),
        Problem::InvoiceTypeUnclear {
            original: "1001".into(),
        },
        Problem::LineTotalMismatch {
            line: l(),
            moment: amount(30_030),
            mapped: amount(30_029),
        },
        Problem::InvoiceTotalMismatch {
            moment: amount(30_030),
            mapped: amount(30_029),
        },
        Problem::VatRateMismatch {
            line: l(),
            item_code: "RADGJOF".into(),
            dkplus: Decimal::from(11),
            moment: Decimal::from(24),
            customer_no_vat: false,
        },
        Problem::VatRateMismatch {
            line: l(),
            item_code: "RADGJOF".into(),
            dkplus: Decimal::ZERO,
            moment: Decimal::from(24),
            customer_no_vat: true,
        },
        Problem::VatTotalMismatch {
            moment: amount(37_237),
            dkplus: amount(37_236),
        },
        Problem::InvoiceNumberMissing,
        Problem::InvoiceDateMissing,
        Problem::InvoiceCustomerMissing,
        Problem::InvoiceCustomerNumberMissing,
        Problem::InvoiceHasNoLines,
        Problem::InvoiceProjectNumberMissing,
        Problem::CurrencyCodeInvalid("EURO".into()),
        Problem::ExchangeRateInvalid {
            currency: "EUR".into(),
            rate: Decimal::ZERO,
        },
        Problem::InvoiceTotalNegative {
            total: amount(-10_000),
        },
        Problem::LineQuantityMissing { line: l() },
        Problem::LineUnitPriceMissing { line: l() },
        Problem::LineValueOutOfRange {
            line: l(),
            field: "quantity",
            value: Decimal::from(2_000_000_000),
            range: "-1 000 000 000 to 1 000 000 000",
        },
        Problem::ItemCodeMissing {
            line: l(),
            account: "account 3000 (Sala)".into(),
        },
        Problem::ItemCodeMissingNoAccount { line: l() },
        Problem::LineAmountWithoutPercent {
            line: l(),
            what: "discount",
            amount: amount(50_000),
        },
        Problem::LineTooLargeToCompute { line: l() },
        Problem::TooManyDigits {
            line: l(),
            field: "unit price",
            value: Decimal::new(1_234_567_890_123_456, 3),
        },
        Problem::AccountNotFound {
            line: l(),
            account: "id 17".into(),
        },
        Problem::ItemCodeTooLong {
            line: l(),
            code: "RADGJOF-SERFRAEDINGUR".into(),
            length: 21,
            source_field: "product number of product 17 (Ráðgjöf)".into(),
        },
        Problem::ItemCodeInvalid {
            line: l(),
            code: "RAD\tGJOF".into(),
            source_field: "product number of product 17 (Ráðgjöf)".into(),
        },
    ]
}

fn failures() -> Vec<SyncFailure> {
    let mut all = vec![
        SyncFailure::Mapping(MappingError {
            object: MomentObjectRef::Invoice {
                id: 504,
                number: Some("1004".into()),
            },
            problems: vec![Problem::InvoiceHasNoLines],
        }),
        SyncFailure::NotInMoment {
            kind: ObjectKind::Invoice,
            id: 999,
        },
        SyncFailure::MissingInDkPlus {
            what: "customer",
            number: "10001".into(),
            why: "customer transfer is turned off",
            fix: "create the customer in DK+ or turn on customer transfer",
        },
        SyncFailure::SalesPersonUnknown("XYZ".into()),
        SyncFailure::ReferenceConflict {
            reference: "1042".into(),
            customer: "10001".into(),
            date: NaiveDate::from_ymd_opt(2026, 11, 5).unwrap_or_default(),
            total: amount(150_040),
            existing: existing(),
        },
        SyncFailure::DuplicatesInDkPlus {
            reference: "1042".into(),
            existing: existing(),
        },
        SyncFailure::ChangedSincePosted {
            reference: "1042".into(),
            dkplus_number: Some("100042".into()),
            dkplus_total: amount(150_040),
            moment_total: amount(160_040),
        },
        SyncFailure::CustomerIdentity {
            number: "10001".into(),
            dkplus: "Annað ehf.".into(),
            moment: "Norðurljós ehf.".into(),
            reason: "the names differ and DK+ has another kennitala".into(),
        },
        SyncFailure::InvoiceNumberTaken {
            reference: "1001".into(),
            posted_for: 501,
            dkplus_number: "100001".into(),
        },
        SyncFailure::DuplicateCustomerNumber {
            number: "10001".into(),
            first: 101,
            second: 108,
        },
        SyncFailure::OutcomeUnknown {
            reference: "1042".into(),
            error: error(System::DkPlus, PortErrorKind::OutcomeUnknown),
        },
        SyncFailure::Settling {
            reference: "1042".into(),
            since: chrono::DateTime::from_timestamp(1_800_000_000, 0).unwrap_or_default(),
            until: chrono::DateTime::from_timestamp(1_800_000_900, 0).unwrap_or_default(),
        },
        SyncFailure::ClaimedElsewhere {
            reference: "1042".into(),
            until: chrono::DateTime::from_timestamp(1_800_000_300, 0).unwrap_or_default(),
        },
        SyncFailure::Store(crate::store::StoreError::new(
            "claiming an invoice: database is locked",
        )),
        SyncFailure::Dependency {
            dependency: "customer 10001".into(),
            failure: Box::new(SyncFailure::SalesPersonUnknown("XYZ".into())),
        },
    ];
    for kind in KINDS {
        all.push(SyncFailure::Moment(error(System::Moment, kind)));
        all.push(SyncFailure::DkPlus {
            what: "new customer 10001".into(),
            error: error(System::DkPlus, kind),
        });
    }
    all
}

fn warnings() -> Vec<Warning> {
    vec![
        Warning::ProjectDrift {
            project: "P-100".into(),
            field: "name",
            moment: "Nýtt heiti".into(),
            dkplus: "Gamalt heiti".into(),
        },
        Warning::NumberSeriesOutOfStep {
            count: 3,
            first_moment: "1001".into(),
            first_dkplus: "100001".into(),
            last_moment: "1003".into(),
            last_dkplus: "100003".into(),
        },
        Warning::CustomerRenumbered {
            dkplus: "100042".into(),
            was: "10001".into(),
            now: "20001".into(),
        },
        Warning::CustomerPossiblyRenumbered {
            number: "20001".into(),
            existing: "10001".into(),
            name: "Norðurljós ehf.".into(),
        },
        Warning::ExchangeRateChanged {
            sent: Decimal::new(1495, 1),
            booked: Decimal::new(1501, 1),
        },
        Warning::LineTotalMismatch {
            line: line(),
            moment: amount(30_030),
            mapped: amount(30_029),
            difference: amount(-1),
        },
        Warning::InvoiceTotalMismatch {
            moment: amount(30_030),
            mapped: amount(30_029),
            difference: amount(-1),
        },
        Warning::VatTotalMismatch {
            moment: amount(37_237),
            dkplus: amount(37_236),
        },
        Warning::VatNotChecked,
        Warning::ProductDescriptionTruncated {
            item_code: "RADGJOF".into(),
            full: "Ráðgjöf sérfræðings í verkbókhaldi og innleiðingu".into(),
            sent: "Ráðgjöf sérfræðings í verkbókhaldi og in".into(),
        },
        Warning::CustomerKennitalaInvalid {
            customer: "10003 (Fjallasýn hf.)".into(),
            value: "471008-0281".into(),
            reason: "kennitala check digit is wrong (found 8, expected 2)".into(),
        },
        Warning::CustomerKennitalaMissing {
            customer: "10003 (Fjallasýn hf.)".into(),
        },
        Warning::CustomerStatusUnknown {
            customer: "10003 (Fjallasýn hf.)".into(),
            status: "PAUSED".into(),
        },
        Warning::PaymentTermNotMapped {
            customer: "10003 (Fjallasýn hf.)".into(),
            credit_days: 45,
        },
        Warning::ExchangeRateNotGiven {
            currency: "EUR".into(),
        },
        Warning::CreditNoteWithoutOriginal,
        Warning::ExistingInvoiceWithoutTotal {
            dkplus: "100042".into(),
        },
    ]
}

fn verify_problems() -> Vec<VerifyProblem> {
    let mut all = vec![
        VerifyProblem::DkPlusNotConnected,
        VerifyProblem::SalesPersonUnknown("XYZ".into()),
    ];
    for kind in [
        PortErrorKind::Unauthorized,
        PortErrorKind::Unavailable,
        PortErrorKind::Other,
    ] {
        all.push(VerifyProblem::DkPlusAccess(error(System::DkPlus, kind)));
        all.push(VerifyProblem::MomentAccess(error(System::Moment, kind)));
    }
    all
}

fn config_problems() -> Vec<ConfigProblem> {
    vec![
        ConfigProblem::NothingToTransfer,
        ConfigProblem::SalesPersonMissing,
        ConfigProblem::SalesPersonBlank,
        ConfigProblem::ErrorEmailInvalid("x@localhost".into()),
        ConfigProblem::PriceDecimalsTooMany(11),
        ConfigProblem::TextLimitZero,
        ConfigProblem::ConcurrencyOutOfRange(0),
        ConfigProblem::PaymentTermInvalid {
            credit_days: -1,
            code: "m30".into(),
        },
        ConfigProblem::CreditNoteTextTooLong(1950),
        ConfigProblem::CreditNoteTextWithoutPlaceholder,
        ConfigProblem::ItemClassUnknown("ServiceItm".into()),
        ConfigProblem::ClaimLeaseOutOfRange {
            lease_seconds: 900,
            settle_seconds: 600,
        },
    ]
}

/// The message templates of `docs/errors.md`: the first cell of every table row, when it is
/// code (`` `…` ``, or with more backticks when the message holds one).
fn documented_templates() -> Vec<String> {
    let mut templates = Vec::new();
    for row in ERRORS_MD.lines().filter(|l| l.starts_with("| `")) {
        let cell = &row[2..];
        let ticks = cell.chars().take_while(|c| *c == '`').count();
        let fence = "`".repeat(ticks);
        let Some(end) = cell[ticks..].find(&fence) else {
            continue;
        };
        let template = cell[ticks..ticks + end].trim().replace("\\|", "|");
        // A header cell such as `{reason}` says nothing by itself: it would match anything.
        if literal_letters(&template) >= 10 {
            templates.push(template);
        }
    }
    templates
}

/// How many letters a template has outside its placeholders.
fn literal_letters(template: &str) -> usize {
    let mut depth = 0;
    template
        .chars()
        .filter(|c| {
            match c {
                '{' => depth += 1,
                '}' => depth -= 1,
                _ => {}
            }
            depth == 0 && c.is_alphabetic()
        })
        .count()
}

/// A template as a pattern: `{placeholder}` matches any text, `[part]` may be there with or
/// without its brackets, or not at all; everything else is literal.
fn matches(template: &str, message: &str) -> bool {
    fn pattern(template: &str) -> String {
        let mut out = String::new();
        let mut chars = template.chars().peekable();
        while let Some(c) = chars.next() {
            match c {
                '{' => {
                    for inner in chars.by_ref() {
                        if inner == '}' {
                            break;
                        }
                    }
                    out.push_str("(?s:.+?)");
                }
                '[' => {
                    let mut depth = 1;
                    let mut inner = String::new();
                    for c in chars.by_ref() {
                        match c {
                            '[' => depth += 1,
                            ']' => depth -= 1,
                            _ => {}
                        }
                        if depth == 0 {
                            break;
                        }
                        inner.push(c);
                    }
                    let inner = pattern(&inner);
                    out.push_str(&format!("(?:\\[{inner}\\]|{inner}|)"));
                }
                other => out.push_str(&regex_lite::escape(&other.to_string())),
            }
        }
        out
    }
    regex_lite::Regex::new(&format!("^{}$", pattern(template))).is_ok_and(|re| re.is_match(message))
}

/// Checks one enum: every variant has a sample, and every sample's message is documented.
fn check<T: serde::Serialize + std::fmt::Display>(name: &str, variants: &[&str], samples: &[T]) {
    let templates = documented_templates();
    let mut covered = BTreeSet::new();
    let mut undocumented = Vec::new();
    for sample in samples {
        let data = serde_json::to_value(sample).unwrap_or_default();
        let kind = data["kind"].as_str().unwrap_or_default().to_owned();
        covered.insert(kind.clone());
        let message = sample.to_string();
        if !templates.iter().any(|t| matches(t, &message)) {
            undocumented.push(format!("{kind}: {message}"));
        }
    }
    let missing: Vec<_> = variants.iter().filter(|v| !covered.contains(**v)).collect();
    assert!(
        missing.is_empty(),
        "{name} variants without a sample in errors_doc.rs: {missing:?}"
    );
    assert!(
        undocumented.is_empty(),
        "{name} messages that docs/errors.md does not document:\n{}",
        undocumented.join("\n")
    );
}

#[test]
fn every_problem_message_is_in_the_errors_page() {
    check("Problem", Problem::VARIANTS, &problems());
}

#[test]
fn every_failure_message_is_in_the_errors_page() {
    // A mapping failure is its problems under a heading; the problems are checked above.
    let samples: Vec<_> = failures()
        .into_iter()
        .filter(|f| !matches!(f, SyncFailure::Mapping(_)))
        .collect();
    let variants: Vec<&str> = SyncFailure::VARIANTS
        .iter()
        .copied()
        .filter(|v| *v != "mapping")
        .collect();
    check("SyncFailure", &variants, &samples);
    assert!(
        failures()
            .iter()
            .any(|f| matches!(f, SyncFailure::Mapping(_)))
    );
}

#[test]
fn every_warning_message_is_in_the_errors_page() {
    check("Warning", Warning::VARIANTS, &warnings());
}

#[test]
fn every_verify_message_is_in_the_errors_page() {
    check("VerifyProblem", VerifyProblem::VARIANTS, &verify_problems());
}

#[test]
fn every_configuration_message_is_in_the_errors_page() {
    check("ConfigProblem", ConfigProblem::VARIANTS, &config_problems());
}

#[test]
fn the_template_matcher_is_strict() {
    assert!(matches(
        "price decimals is {n}; use 0 to 10",
        "price decimals is 11; use 0 to 10"
    ));
    assert!(!matches(
        "price decimals is {n}; use 0 to 10",
        "price decimals is 11; use 0 to 12"
    ));
    assert!(matches(
        "listing {customer|project}s[ again] stopped",
        "listing customers stopped"
    ));
    assert!(matches(
        "customers [Moment id {a}] and [Moment id {b}]",
        "customers [Moment id 1] and [Moment id 2]"
    ));
    assert!(!matches(
        "the invoice has no lines",
        "the invoice has no lines: add one"
    ));
}
