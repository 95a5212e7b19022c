//! Property tests of the rules: line totals agree with Moment's to the cent, and the
//! mapping never panics whatever the input.

mod support;

use moment_client::{Customer, Invoice, InvoiceLine, InvoiceState, InvoiceType};
use moment_dkplus_mapping::Warning;
use moment_dkplus_mapping::rules::{InvoiceInputs, map_customer, map_invoice};
use proptest::prelude::*;
use rust_decimal::{Decimal, RoundingStrategy};
use support::*;

fn decimal(range: std::ops::RangeInclusive<i64>, scale: u32) -> impl Strategy<Value = Decimal> {
    range.prop_map(move |n| Decimal::new(n, scale))
}

fn any_decimal() -> impl Strategy<Value = Decimal> {
    prop_oneof![
        (any::<i64>(), 0u32..=28).prop_map(|(n, s)| Decimal::new(n, s)),
        Just(Decimal::MAX),
        Just(Decimal::MIN),
        Just(Decimal::ZERO),
    ]
}

fn any_text() -> impl Strategy<Value = Option<String>> {
    proptest::option::of(".{0,60}")
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// Moment computes the line total exactly and rounds it to cents; the mapped line (with the
    /// surcharge folded into a rounded unit price) must agree within the documented tolerance, so
    /// no mismatch warning is raised.
    #[test]
    fn mapped_line_totals_equal_moments_within_rounding(
        quantity in decimal(-100_000..=100_000, 2),
        unit_price in decimal(0..=100_000_000, 2),
        discount in proptest::option::of(decimal(0..=10_000, 2)),
        surcharge in proptest::option::of(decimal(0..=5_000, 2)),
    ) {
        let exact = quantity * unit_price
            * (Decimal::ONE_HUNDRED + surcharge.unwrap_or_default()) / Decimal::ONE_HUNDRED
            * (Decimal::ONE_HUNDRED - discount.unwrap_or_default()) / Decimal::ONE_HUNDRED;
        let moment_total = exact.round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero);
        let mut l = line("x", quantity, unit_price);
        l.discount_percent = discount;
        l.surcharge_percent = surcharge;
        l.line_total = Some(moment_total);
        let mut inv = invoice(vec![l]);
        if moment_total < Decimal::ZERO {
            inv.invoice_type = Some(InvoiceType::CreditNote);
        }
        inv.total_excluding_vat = Some(moment_total);
        let c = customer();
        let data = reference_data();
        let mapped = map_invoice(
            InvoiceInputs { invoice: &inv, customer: Some(&c), project: None, reference_data: &data },
            &config(),
        ).expect("valid line maps");
        let mismatches: Vec<&Warning> = mapped.warnings.iter()
            .filter(|w| matches!(w, Warning::LineTotalMismatch { .. } | Warning::InvoiceTotalMismatch { .. }))
            .collect();
        prop_assert!(mismatches.is_empty(), "{:?}", mismatches);
        let sent = &mapped.create.lines[0];
        prop_assert_eq!(sent.total, Some(mapped.total));
        // What DK+ will compute from what we send equals the total we expect.
        let dk = sent.quantity * sent.price * (Decimal::ONE_HUNDRED - sent.discount.unwrap_or_default()) / Decimal::ONE_HUNDRED;
        prop_assert_eq!(dk.round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero), mapped.total);
        prop_assert!(sent.price >= Decimal::ZERO);
    }

    /// Arbitrary (also absurd) values never panic: the result is a mapping or a typed error.
    #[test]
    fn invoice_mapping_never_panics(
        lines in proptest::collection::vec(
            (proptest::option::of(any_decimal()), proptest::option::of(any_decimal()),
             proptest::option::of(any_decimal()), proptest::option::of(any_decimal()),
             proptest::option::of(any_decimal()), any_text(), proptest::option::of("[A-Z0-9 ]{0,30}")),
            0..6),
        credit in any::<bool>(),
        draft in any::<bool>(),
        org in any_text(),
        total in proptest::option::of(any_decimal()),
    ) {
        let lines: Vec<InvoiceLine> = lines.into_iter().map(|(q, p, d, s, t, text, product)| {
            let mut l = line("x", Decimal::ONE, Decimal::ONE);
            l.quantity = q;
            l.unit_price = p;
            l.discount_percent = d;
            l.surcharge_percent = s;
            l.line_total = t;
            l.description = text;
            if let Some(number) = product { l = with_product(l, 5, Some(&number)); }
            l
        }).collect();
        let mut inv: Invoice = invoice(lines);
        inv.total_excluding_vat = total;
        if credit { inv.invoice_type = Some(InvoiceType::CreditNote); }
        if draft { inv.state = Some(InvoiceState::Draft); }
        let mut c: Customer = customer();
        c.organization_number = org;
        let data = reference_data();
        let result = map_invoice(
            InvoiceInputs { invoice: &inv, customer: Some(&c), project: None, reference_data: &data },
            &config(),
        );
        if let Err(e) = &result {
            prop_assert!(!e.problems.is_empty());
            prop_assert!(!e.to_string().is_empty());
        }
        let _ = map_customer(&c, &config());
    }
}
