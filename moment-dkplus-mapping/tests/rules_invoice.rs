//! Table-driven tests of the invoice rules.

mod support;

use moment_client::{FinancialAccountId, InvoiceNumber, InvoiceState};
use moment_dkplus_mapping::rules::{
    InvoiceInputs, ItemCodeSource, MappedInvoice, MappingError, Problem, ReferenceData, map_invoice,
};
use moment_dkplus_mapping::{IntegrationConfig, ItemCodeFallback, TotalMismatch, Warning};
use rust_decimal::Decimal;
use rust_decimal_macros::dec;
use support::*;

fn map_with(
    invoice: &moment_client::Invoice,
    data: &ReferenceData,
    config: &IntegrationConfig,
) -> Result<MappedInvoice, MappingError> {
    let customer = customer();
    map_invoice(
        InvoiceInputs {
            invoice,
            customer: Some(&customer),
            project: None,
            reference_data: data,
        },
        config,
    )
}

fn map(invoice: &moment_client::Invoice) -> Result<MappedInvoice, MappingError> {
    map_with(invoice, &reference_data(), &config())
}

#[test]
fn header_follows_the_contract() {
    let inv = invoice(vec![line("Ráðgjöf nóvember", dec!(10), dec!(15000))]);
    let mapped = map(&inv).unwrap();
    let c = &mapped.create;
    assert_eq!(
        c.reference.as_deref(),
        Some("1042"),
        "Reference = Moment invoice number"
    );
    assert_eq!(mapped.reference, "1042");
    assert_eq!(
        c.customer.number.as_str(),
        "10001",
        "customer number verbatim"
    );
    assert_eq!(
        c.customer.ssn.as_deref(),
        Some(VALID_COMPANY_KT),
        "kennitala without hyphen"
    );
    assert_eq!(c.sales_person.as_ref().map(|s| s.as_str()), Some("vef"));
    assert_eq!(c.project.as_ref().map(|p| p.as_str()), Some("P-100"));
    assert_eq!(c.date, chrono::NaiveDate::from_ymd_opt(2026, 11, 2));
    assert_eq!(c.due_date, chrono::NaiveDate::from_ymd_opt(2026, 11, 16));
    assert_eq!(c.currency.as_deref(), Some("ISK"));
    assert_eq!(c.text1, None);
    assert_eq!(mapped.total, dec!(150000));
    assert!(mapped.warnings.is_empty(), "{:?}", mapped.warnings);
    let body = serde_json::to_value(c).unwrap();
    assert!(
        body.get("Number").is_none(),
        "DK+ assigns the number: {body}"
    );
    assert_eq!(body["Lines"][0]["IncludingVAT"], serde_json::json!(false));
    assert_eq!(body["Lines"][0]["ItemCode"], serde_json::json!("S24"));
}

#[test]
fn surcharge_and_discount_table() {
    // (quantity, unit price, discount %, surcharge %, expected DK+ price, expected DK+ line total)
    let cases = [
        (dec!(10), dec!(15000), None, None, dec!(15000), dec!(150000)),
        (
            dec!(10),
            dec!(15000),
            None,
            Some(dec!(0)),
            dec!(15000),
            dec!(150000),
        ),
        (
            dec!(4),
            dec!(12500),
            None,
            Some(dec!(12.5)),
            dec!(14062.50),
            dec!(56250),
        ),
        (
            dec!(3),
            dec!(99.99),
            None,
            Some(dec!(7.5)),
            dec!(107.49),
            dec!(322.47),
        ),
        (
            dec!(2),
            dec!(1000),
            Some(dec!(10)),
            Some(dec!(20)),
            dec!(1200),
            dec!(2160),
        ),
        (
            dec!(1),
            dec!(0.10),
            None,
            Some(dec!(5)),
            dec!(0.11),
            dec!(0.11),
        ), // 0.105 → 0.11
        (
            dec!(1.5),
            dec!(8000),
            Some(dec!(25)),
            None,
            dec!(8000),
            dec!(9000),
        ),
    ];
    for (q, p, d, s, price, total) in cases {
        let mut l = line("x", q, p);
        l.discount_percent = d;
        l.surcharge_percent = s;
        l.line_total = None;
        let mapped = map(&invoice(vec![l])).unwrap();
        let out = &mapped.create.lines[0];
        assert_eq!(out.quantity, q, "quantity stays as in Moment");
        assert_eq!(out.price, price, "price for {q} × {p} d={d:?} s={s:?}");
        assert_eq!(out.discount, d.filter(|d| !d.is_zero()), "discount kept");
        assert_eq!(
            out.total,
            Some(total),
            "total for {q} × {p} d={d:?} s={s:?}"
        );
    }
}

#[test]
fn surcharge_on_a_negative_credit_line() {
    let mut l = line("Endurgreiðsla", dec!(-2), dec!(1000));
    l.surcharge_percent = Some(dec!(10));
    l.line_total = Some(dec!(-2200));
    let mapped = map(&credit_note(vec![l], Some("1042"))).unwrap();
    let out = &mapped.create.lines[0];
    assert_eq!(
        (out.quantity, out.price, out.total),
        (dec!(-2), dec!(1100), Some(dec!(-2200)))
    );
    assert_eq!(mapped.total, dec!(-2200));
    assert!(mapped.warnings.is_empty(), "{:?}", mapped.warnings);
}

#[test]
fn price_decimals_are_the_fewest_kept_on_a_surcharge_price() {
    let mut l = line("x", dec!(1), dec!(10.01));
    l.surcharge_percent = Some(dec!(15)); // 11.5115, Moment books 11.51
    l.line_total = None;
    let inv = invoice(vec![l]);
    let with = |decimals| {
        let config = IntegrationConfig::builder()
            .sales_person("vef")
            .price_decimals(decimals)
            .build()
            .unwrap();
        map_with(&inv, &reference_data(), &config)
            .unwrap()
            .create
            .lines[0]
            .price
    };
    // 0 decimals (12) would book 12.00: the price keeps the decimals Moment's total needs.
    assert_eq!(with(0), dec!(11.51));
    assert_eq!(with(2), dec!(11.51));
    assert_eq!(with(3), dec!(11.512));
}

#[test]
fn amounts_are_booked_to_the_cent_as_moment_has_them() {
    // (quantity, unit price, surcharge, discount, Moment's line total, expected price, total)
    let cases = [
        // Without a surcharge the price goes unchanged: nothing rounded away.
        (
            dec!(1000000),
            dec!(0.0049),
            None,
            None,
            dec!(4900),
            dec!(0.0049),
            dec!(4900),
        ),
        (
            dec!(400),
            dec!(12.345),
            None,
            None,
            dec!(4938),
            dec!(12.345),
            dec!(4938),
        ),
        // With a surcharge the price keeps the decimals that give Moment's line total.
        (
            dec!(3),
            dec!(1999),
            Some(dec!(12.5)),
            Some(dec!(10)),
            dec!(6071.96),
            dec!(2248.875),
            dec!(6071.96),
        ),
        (
            dec!(1000000),
            dec!(0.0049),
            Some(dec!(10)),
            None,
            dec!(5390),
            dec!(0.00539),
            dec!(5390),
        ),
    ];
    for (q, p, s, d, moment, price, total) in cases {
        let mut l = line("x", q, p);
        l.surcharge_percent = s;
        l.discount_percent = d;
        l.line_total = Some(moment);
        let mapped = map(&invoice(vec![l])).unwrap();
        let out = &mapped.create.lines[0];
        assert_eq!(
            (out.price, out.total),
            (price, Some(total)),
            "{q} × {p} {s:?} {d:?}"
        );
        assert_eq!(mapped.total, total);
    }
}

#[test]
fn a_value_dkplus_cannot_store_exactly_is_refused_on_its_line() {
    // DK+ keeps numbers as doubles: 15 significant digits at most. A price with 19 is refused on
    // its line, naming the field and the value; the other line is fine and not named.
    let precise = line("Ráðgjöf", dec!(1), dec!(0.1234567890123456789));
    let plain = line("Akstur", dec!(2), dec!(5000));
    let error = map(&invoice(vec![plain, precise])).unwrap_err();
    let digits: Vec<_> = error
        .problems
        .iter()
        .filter_map(|p| match p {
            Problem::TooManyDigits { line, field, value } => Some((line.position, *field, *value)),
            _ => None,
        })
        .collect();
    assert_eq!(
        digits,
        [(
            2,
            "unit price (with the surcharge)",
            dec!(0.1234567890123456789)
        )],
        "{error}"
    );
    // 15 digits are stored exactly and go through.
    let fifteen = line("Ráðgjöf", dec!(1), dec!(0.123456789012345));
    let mut mapped = map(&invoice(vec![fifteen])).unwrap();
    assert_eq!(mapped.create.lines.remove(0).price, dec!(0.123456789012345));
}

#[test]
fn a_line_total_moment_does_not_book_is_refused_to_the_cent_or_warned() {
    // 3 × 11 is 33.00 in DK+; Moment says 33.01 and there is no surcharge to adjust.
    let mut l = line("x", dec!(3), dec!(11));
    l.line_total = Some(dec!(33.01));
    let inv = invoice(vec![l]);
    let err = map(&inv).unwrap_err();
    assert!(
        matches!(&err.problems[..], [Problem::LineTotalMismatch { moment, mapped, .. }] if *moment == dec!(33.01) && *mapped == dec!(33.00)),
        "{err}"
    );
    let warn = IntegrationConfig::builder()
        .sales_person("vef")
        .total_mismatch(TotalMismatch::Warn)
        .build()
        .unwrap();
    let mapped = map_with(&inv, &reference_data(), &warn).unwrap();
    assert!(
        mapped
            .warnings
            .iter()
            .any(|w| matches!(w, Warning::LineTotalMismatch { .. }))
    );
}

#[test]
fn a_surcharge_price_is_never_bent_to_reach_a_total_far_from_moments_price() {
    // 2 × 100 + 10 % is 220; a Moment line total of 300 would need a price of 150.
    let mut l = line("x", dec!(2), dec!(100));
    l.surcharge_percent = Some(dec!(10));
    l.line_total = Some(dec!(300));
    let err = map(&invoice(vec![l])).unwrap_err();
    assert!(
        matches!(&err.problems[..], [Problem::LineTotalMismatch { mapped, .. }] if *mapped == dec!(220)),
        "{err}"
    );
}

#[test]
fn the_invoice_total_must_equal_moments_to_the_cent() {
    // 40 lines of 1 × 100.005: DK+ books each line as 100.01 (4 000.40); Moment's total is
    // 4 000.20. No tolerance grows with the number of lines.
    let lines: Vec<_> = (0..40)
        .map(|_| {
            let mut l = line("x", dec!(1), dec!(100.005));
            l.line_total = Some(dec!(100.01));
            l
        })
        .collect();
    let mut inv = invoice(lines);
    inv.total_excluding_vat = Some(dec!(4000.20));
    let err = map(&inv).unwrap_err();
    assert!(
        matches!(&err.problems[..], [Problem::InvoiceTotalMismatch { moment, mapped }] if *moment == dec!(4000.20) && *mapped == dec!(4000.40)),
        "{err}"
    );
    // One cent is enough to refuse.
    let mut inv = invoice(vec![line("x", dec!(1), dec!(100))]);
    inv.total_excluding_vat = Some(dec!(100.01));
    assert!(map(&inv).is_err());
}

#[test]
fn a_foreign_currency_invoice_carries_moments_exchange_rate() {
    let mut inv = invoice(vec![line("x", dec!(1), dec!(100))]);
    inv.currency_code = Some("eur".into());
    inv.currency_rate = Some(dec!(146.35));
    let mapped = map(&inv).unwrap();
    assert_eq!(mapped.create.currency.as_deref(), Some("EUR"));
    assert_eq!(mapped.create.exchange, Some(dec!(146.35)));
    // Without a rate DK+ applies its own: sent without, with a warning.
    inv.currency_rate = None;
    let mapped = map(&inv).unwrap();
    assert_eq!(mapped.create.exchange, None);
    assert!(
        mapped
            .warnings
            .iter()
            .any(|w| matches!(w, Warning::ExchangeRateNotGiven { currency } if currency == "EUR"))
    );
    // A rate that is no rate is refused.
    inv.currency_rate = Some(dec!(0));
    assert!(matches!(
        &map(&inv).unwrap_err().problems[..],
        [Problem::ExchangeRateInvalid { .. }]
    ));
    // The home currency carries no rate.
    let mut isk = invoice(vec![line("x", dec!(1), dec!(100))]);
    isk.currency_rate = Some(dec!(1));
    assert_eq!(map(&isk).unwrap().create.exchange, None);
}

#[test]
fn every_issued_state_is_sent_and_only_drafts_and_unknown_states_are_not() {
    for (state, sent) in [
        (Some(InvoiceState::Finalized), true),
        (Some(InvoiceState::Sent), true),
        (Some(InvoiceState::PartlyPaid), true),
        (Some(InvoiceState::Paid), true),
        (Some(InvoiceState::Overdue), true),
        (Some(InvoiceState::Credited), true),
        (Some(InvoiceState::Draft), false),
        (Some(InvoiceState::Unknown("ARCHIVED".into())), false),
        (None, false),
    ] {
        let mut inv = invoice(vec![line("x", dec!(1), dec!(100))]);
        inv.state = state.clone();
        assert_eq!(map(&inv).is_ok(), sent, "{state:?}");
    }
}

#[test]
fn long_line_texts_continue_in_text2_and_longer_ones_are_refused() {
    let description = "Ráðgjöf vegna innleiðingar verkbókhalds og tímaskráningar í nóvember";
    let mapped = map(&invoice(vec![line(description, dec!(1), dec!(100))])).unwrap();
    let out = &mapped.create.lines[0];
    assert_eq!(
        out.text.as_deref(),
        Some("Ráðgjöf vegna innleiðingar verkbókhalds")
    );
    assert_eq!(out.text2.as_deref(), Some("og tímaskráningar í nóvember"));
    let too_long = "orð ".repeat(25);
    let err = map(&invoice(vec![line(&too_long, dec!(1), dec!(100))])).unwrap_err();
    assert!(
        matches!(
            &err.problems[..],
            [Problem::TextTooLong {
                length: 99,
                max: 80,
                ..
            }]
        ),
        "{err}"
    );
}

#[test]
fn item_code_fallback_table() {
    let data = reference_data();
    // product linked with a number on the line
    let a = with_product(line("a", dec!(1), dec!(1)), 5, Some("RADGJOF"));
    // product linked by id only: number looked up in the reference data
    let b = with_product(line("b", dec!(1), dec!(1)), 5, None);
    // no product: the account's VAT code
    let c = line("c", dec!(1), dec!(1));
    let mapped = map_with(&invoice(vec![a, b, c]), &data, &config()).unwrap();
    let codes: Vec<_> = mapped
        .create
        .lines
        .iter()
        .map(|l| l.item_code.as_str().to_owned())
        .collect();
    assert_eq!(codes, ["RADGJOF", "RADGJOF", "S24"]);
    assert_eq!(mapped.products.len(), 2, "distinct item codes once each");
    assert!(matches!(
        mapped.products[0].source,
        ItemCodeSource::ProductNumber { .. }
    ));
    assert!(matches!(
        mapped.products[1].source,
        ItemCodeSource::AccountVatCode { .. }
    ));
    assert_eq!(
        mapped.products[0].create.description.as_deref(),
        Some("Ráðgjöf")
    );
    assert_eq!(
        mapped.products[1].create.description.as_deref(),
        Some("Sala 3000")
    );
    assert_eq!(mapped.products[1].create.tax_percent, Some(dec!(24)));
}

#[test]
fn missing_product_and_missing_account_vat_code_is_refused_naming_line_and_account() {
    // account 2 has no VAT code and no revenue class
    let l = on_account(line("Akstur", dec!(1), dec!(5000)), 2);
    let err = map(&invoice(vec![line("ok", dec!(1), dec!(1)), l])).unwrap_err();
    assert_eq!(err.problems.len(), 1);
    let text = err.to_string();
    assert!(text.contains("line 2 (\"Akstur\")"), "{text}");
    assert!(text.contains("account 3100 (Sala 3100)"), "{text}");
    assert!(text.contains("invoice 1042"), "{text}");
}

#[test]
fn revenue_class_fallback_is_opt_in() {
    let mut acc = account(2, "3100", None);
    acc.external_revenue_class = Some("VORU-1".into());
    let data = ReferenceData::new().with_accounts([acc]);
    let inv = invoice(vec![on_account(line("x", dec!(1), dec!(1)), 2)]);
    assert!(map_with(&inv, &data, &config()).is_err(), "off by default");
    let opt_in = IntegrationConfig::builder()
        .sales_person("vef")
        .item_code_fallback(ItemCodeFallback::AccountVatCodeThenRevenueClass)
        .build()
        .unwrap();
    let mapped = map_with(&inv, &data, &opt_in).unwrap();
    assert_eq!(mapped.create.lines[0].item_code.as_str(), "VORU-1");
    assert!(matches!(
        mapped.products[0].source,
        ItemCodeSource::AccountRevenueClass { .. }
    ));
}

#[test]
fn vat_code_wins_over_revenue_class() {
    let mut acc = account(3, "3200", Some("U1"));
    acc.external_revenue_class = Some("VORU-1".into());
    let data = ReferenceData::new().with_accounts([acc]);
    let opt_in = IntegrationConfig::builder()
        .sales_person("vef")
        .item_code_fallback(ItemCodeFallback::AccountVatCodeThenRevenueClass)
        .build()
        .unwrap();
    let inv = invoice(vec![on_account(line("x", dec!(1), dec!(1)), 3)]);
    assert_eq!(
        map_with(&inv, &data, &opt_in).unwrap().create.lines[0]
            .item_code
            .as_str(),
        "U1"
    );
}

#[test]
fn item_code_of_25_characters_is_an_error_never_cut() {
    let long = "ABCDEFGHIJKLMNOPQRSTUVWXY";
    assert_eq!(long.len(), 25);
    let err = map(&invoice(vec![with_product(
        line("x", dec!(1), dec!(1)),
        99,
        Some(long),
    )]))
    .unwrap_err();
    match &err.problems[..] {
        [Problem::ItemCodeTooLong { code, length, .. }] => {
            assert_eq!((code.as_str(), *length), (long, 25));
        }
        other => panic!("{other:?}"),
    }
    // exactly 20 is fine
    let ok = map(&invoice(vec![with_product(
        line("x", dec!(1), dec!(1)),
        99,
        Some(&long[..20]),
    )]))
    .unwrap();
    assert_eq!(ok.create.lines[0].item_code.as_str(), &long[..20]);
}

#[test]
fn account_not_returned_by_moment_is_named() {
    let l = on_account(line("x", dec!(1), dec!(1)), 404);
    let err = map(&invoice(vec![l])).unwrap_err();
    assert!(
        matches!(&err.problems[..], [Problem::AccountNotFound { .. }]),
        "{err}"
    );
    let mut no_account = line("y", dec!(1), dec!(1));
    no_account.financial_account = None;
    let err = map(&invoice(vec![no_account])).unwrap_err();
    assert!(
        matches!(
            &err.problems[..],
            [Problem::ItemCodeMissingNoAccount { .. }]
        ),
        "{err}"
    );
    assert!(
        err.to_string()
            .contains("neither a product nor a financial account"),
        "{err}"
    );
}

#[test]
fn kennitala_table() {
    // (organization number in Moment, expected SSN or problem kind)
    let cases: &[(Option<&str>, Result<&str, &str>)] = &[
        (Some("471008-0280"), Ok(VALID_COMPANY_KT)),
        (Some("4710080280"), Ok(VALID_COMPANY_KT)),
        (Some("120373-5609"), Ok(VALID_PERSON_KT)),
        (None, Err("missing")),
        (Some(""), Err("missing")),
        (Some("471008-0281"), Err("invalid")),
        (Some("12345"), Err("invalid")),
    ];
    for (org, expected) in cases {
        let mut c = customer();
        c.organization_number = org.map(Into::into);
        let inv = invoice(vec![line("x", dec!(1), dec!(1))]);
        let got = map_invoice(
            InvoiceInputs {
                invoice: &inv,
                customer: Some(&c),
                project: None,
                reference_data: &reference_data(),
            },
            &config(),
        );
        match (got, expected) {
            (Ok(m), Ok(ssn)) => assert_eq!(m.create.customer.ssn.as_deref(), Some(*ssn)),
            (Err(e), Err("missing")) => {
                assert!(
                    matches!(&e.problems[..], [Problem::KennitalaMissing { .. }]),
                    "{e}"
                );
                assert!(e.to_string().contains("10001 (Norðurljós ehf.)"), "{e}");
            }
            (Err(e), Err("invalid")) => {
                assert!(
                    matches!(&e.problems[..], [Problem::KennitalaInvalid { .. }]),
                    "{e}"
                )
            }
            (got, expected) => panic!("{org:?}: {got:?} vs {expected:?}"),
        }
    }
}

#[test]
fn draft_is_refused() {
    let mut inv = invoice(vec![line("x", dec!(1), dec!(1))]);
    inv.state = Some(InvoiceState::Draft);
    inv.invoice_number = None;
    let err = map(&inv).unwrap_err();
    assert_eq!(err.problems, vec![Problem::InvoiceNotFinalized]);
    assert!(err.to_string().contains("finalize it in Moment"));
}

#[test]
fn every_problem_is_listed_not_just_the_first() {
    let mut c = customer();
    c.organization_number = None;
    let mut bad_qty = line("no quantity", dec!(1), dec!(1));
    bad_qty.quantity = None;
    let mut bad_disc = line("discount", dec!(1), dec!(1));
    bad_disc.discount_percent = Some(dec!(150));
    let no_code = on_account(line("no code", dec!(1), dec!(1)), 2);
    let mut inv = invoice(vec![bad_qty, bad_disc, no_code]);
    inv.invoice_date = None;
    inv.currency_code = Some("KRONUR".into());
    let err = map_invoice(
        InvoiceInputs {
            invoice: &inv,
            customer: Some(&c),
            project: None,
            reference_data: &reference_data(),
        },
        &config(),
    )
    .unwrap_err();
    let kinds: Vec<_> = err
        .problems
        .iter()
        .map(|p| match p {
            Problem::InvoiceDateMissing => "date",
            Problem::KennitalaMissing { .. } => "kennitala",
            Problem::CurrencyCodeInvalid(_) => "currency",
            Problem::LineQuantityMissing { .. } => "quantity",
            Problem::LineValueOutOfRange { .. } => "range",
            Problem::ItemCodeMissing { .. } => "item code",
            other => panic!("unexpected {other:?}"),
        })
        .collect();
    assert_eq!(
        kinds,
        [
            "date",
            "kennitala",
            "currency",
            "quantity",
            "range",
            "item code"
        ]
    );
    assert_eq!(err.to_string().lines().count(), 7, "{err}");
}

#[test]
fn absurd_values_and_control_characters_are_refused() {
    let cases: Vec<(moment_client::InvoiceLine, &str)> = vec![
        (line("x", dec!(2000000000), dec!(1)), "quantity"),
        (line("x", dec!(1), dec!(2000000000000)), "unit price"),
        (
            {
                let mut l = line("x", dec!(1), dec!(1));
                l.discount_percent = Some(dec!(-5));
                l
            },
            "discount percent",
        ),
        (
            {
                let mut l = line("x", dec!(1), dec!(1));
                l.surcharge_percent = Some(dec!(-100));
                l
            },
            "surcharge percent",
        ),
        (
            {
                let mut l = line("x", dec!(1), dec!(1));
                l.surcharge_percent = Some(dec!(5000));
                l
            },
            "surcharge percent",
        ),
    ];
    for (l, field) in cases {
        let err = map(&invoice(vec![l])).unwrap_err();
        assert!(
            matches!(&err.problems[..], [Problem::LineValueOutOfRange { field: f, .. }] if *f == field),
            "{field}: {err}"
        );
    }
    for (what, set_amount) in [
        (
            "surcharge",
            (|l: &mut moment_client::InvoiceLine| l.surcharge_amount = Some(dec!(50)))
                as fn(&mut _),
        ),
        ("discount", |l: &mut moment_client::InvoiceLine| {
            l.discount_amount = Some(dec!(50))
        }),
    ] {
        let mut l = line("x", dec!(1), dec!(1));
        set_amount(&mut l);
        let err = map(&invoice(vec![l.clone()])).unwrap_err();
        assert!(
            matches!(&err.problems[..], [Problem::LineAmountWithoutPercent { what: w, amount, .. }] if *w == what && *amount == dec!(50)),
            "{what}: {err}"
        );
        assert!(
            err.to_string()
                .contains(&format!("enter the {what} as a percent")),
            "{err}"
        );
        // With the percent also given, the amount is not needed.
        l.line_total = None;
        if what == "surcharge" {
            l.surcharge_percent = Some(dec!(5));
        } else {
            l.discount_percent = Some(dec!(5));
        }
        assert!(map(&invoice(vec![l])).is_ok());
    }
    let err = map(&invoice(vec![line("bell\u{7}", dec!(1), dec!(1))])).unwrap_err();
    assert!(
        matches!(&err.problems[..], [Problem::ControlCharacters { .. }]),
        "{err}"
    );
    // line breaks and tabs are text, not control problems
    assert!(map(&invoice(vec![line("two\nlines\tok", dec!(1), dec!(1))])).is_ok());
}

#[test]
fn negative_unit_price_becomes_negative_quantity() {
    let mut deduction = line("Fyrirframgreiðsla", dec!(1), dec!(-5000));
    deduction.line_total = Some(dec!(-5000));
    let mapped = map(&invoice(vec![
        line("Vinna", dec!(2), dec!(10000)),
        deduction,
    ]))
    .unwrap();
    let l = &mapped.create.lines[1];
    assert_eq!(
        (l.quantity, l.price, l.total),
        (dec!(-1), dec!(5000), Some(dec!(-5000)))
    );
    assert_eq!(mapped.total, dec!(15000));
}

#[test]
fn an_invoice_adding_up_below_zero_must_be_a_credit_note() {
    let err = map(&invoice(vec![line("x", dec!(-1), dec!(100))])).unwrap_err();
    assert_eq!(
        err.problems,
        vec![Problem::InvoiceTotalNegative { total: dec!(-100) }]
    );
}

#[test]
fn credit_notes_table() {
    // Moment may store credit lines negated or positive under the credit-note type.
    for (q, p, moment_total) in [
        (dec!(-3), dec!(15000), dec!(-45000)),
        (dec!(3), dec!(-15000), dec!(-45000)),
        (dec!(3), dec!(15000), dec!(45000)),
    ] {
        let mut l = line("Ráðgjöf", q, p);
        l.line_total = Some(moment_total);
        let cn = credit_note(vec![l], Some("1042"));
        let mapped = map(&cn).unwrap();
        let out = &mapped.create.lines[0];
        assert_eq!(
            (out.quantity, out.price),
            (dec!(-3), dec!(15000)),
            "{q} × {p}"
        );
        assert_eq!(mapped.total, dec!(-45000));
        assert_eq!(mapped.reference, "1043", "Reference = credit-note number");
        assert_eq!(
            mapped.create.text1.as_deref(),
            Some("Kreditreikningur vegna reiknings nr. 1042")
        );
        assert!(
            mapped.warnings.is_empty(),
            "{q} × {p}: {:?}",
            mapped.warnings
        );
    }
    let mapped = map(&credit_note(vec![line("x", dec!(-1), dec!(1))], None)).unwrap();
    assert_eq!(mapped.warnings, vec![Warning::CreditNoteWithoutOriginal]);
    assert_eq!(mapped.create.text1, None);
    let custom = IntegrationConfig::builder()
        .sales_person("vef")
        .credit_note_text("Credit for {original}")
        .build()
        .unwrap();
    let mapped = map_with(
        &credit_note(vec![line("x", dec!(-1), dec!(1))], Some("7")),
        &reference_data(),
        &custom,
    )
    .unwrap();
    assert_eq!(mapped.create.text1.as_deref(), Some("Credit for 7"));
}

fn warn_on_mismatch() -> IntegrationConfig {
    IntegrationConfig::builder()
        .sales_person("vef")
        .total_mismatch(moment_dkplus_mapping::TotalMismatch::Warn)
        .build()
        .unwrap()
}

#[test]
fn a_line_total_mismatch_refuses_the_invoice_by_default_or_warns() {
    let mut l = line("x", dec!(2), dec!(1000));
    l.line_total = Some(dec!(2500));
    let mut inv = invoice(vec![l]);
    inv.total_excluding_vat = Some(dec!(2000));
    let line_ref = moment_dkplus_mapping::rules::LineRef {
        position: 1,
        description: Some("x".into()),
    };
    // Default: refused, both figures named, nothing to post.
    let err = map(&inv).unwrap_err();
    assert_eq!(
        err.problems,
        vec![Problem::LineTotalMismatch {
            line: line_ref.clone(),
            moment: dec!(2500),
            mapped: dec!(2000),
        }]
    );
    let text = err.to_string();
    assert!(text.contains("2500") && text.contains("2000"), "{text}");
    // Opt-in: posted with a warning.
    let mapped = map_with(&inv, &reference_data(), &warn_on_mismatch()).unwrap();
    assert_eq!(
        mapped.warnings,
        vec![Warning::LineTotalMismatch {
            line: line_ref,
            moment: dec!(2500),
            mapped: dec!(2000),
            difference: dec!(-500),
        }]
    );
}

#[test]
fn an_invoice_total_mismatch_refuses_the_invoice_by_default_or_warns() {
    let mut inv = invoice(vec![line("x", dec!(1), dec!(1000))]);
    inv.total_excluding_vat = Some(dec!(1100));
    let err = map(&inv).unwrap_err();
    assert_eq!(
        err.problems,
        vec![Problem::InvoiceTotalMismatch {
            moment: dec!(1100),
            mapped: dec!(1000)
        }]
    );
    let mapped = map_with(&inv, &reference_data(), &warn_on_mismatch()).unwrap();
    assert!(matches!(
        &mapped.warnings[..],
        [Warning::InvoiceTotalMismatch { moment, mapped: m, .. }] if *moment == dec!(1100) && *m == dec!(1000)
    ));
}

#[test]
fn a_missing_or_unknown_state_is_refused_not_skipped() {
    for (state, expected) in [
        (None, "missing".to_owned()),
        (
            Some(InvoiceState::Unknown("SENT".into())),
            "\"SENT\"".to_owned(),
        ),
    ] {
        let mut inv = invoice(vec![line("x", dec!(1), dec!(1))]);
        inv.state = state;
        let err = map(&inv).unwrap_err();
        assert_eq!(err.problems, vec![Problem::InvoiceStateUnknown(expected)]);
    }
}

#[test]
fn a_credit_note_is_never_booked_as_a_sale() {
    // Unknown type: refused, naming it.
    let mut inv = invoice(vec![line("x", dec!(2), dec!(10000))]);
    inv.invoice_type = Some(moment_client::InvoiceType::Unknown(
        "KREDITREIKNINGUR".into(),
    ));
    let err = map(&inv).unwrap_err();
    assert_eq!(
        err.problems,
        vec![Problem::InvoiceTypeUnknown("KREDITREIKNINGUR".into())]
    );
    // Typed as an invoice (or untyped) but naming the invoice it credits: refused.
    for kind in [Some(moment_client::InvoiceType::Invoice), None] {
        let mut inv = credit_note(vec![line("x", dec!(2), dec!(10000))], Some("1042"));
        inv.invoice_type = kind;
        let err = map(&inv).unwrap_err();
        assert_eq!(
            err.problems,
            vec![Problem::InvoiceTypeUnclear {
                original: "1042".into()
            }]
        );
    }
    // Untyped without a credited invoice and adding up above zero: an ordinary invoice.
    let mut inv = invoice(vec![line("x", dec!(2), dec!(10000))]);
    inv.invoice_type = None;
    assert_eq!(map(&inv).unwrap().total, dec!(20000));
}

#[test]
fn rounding_within_tolerance_is_not_a_mismatch() {
    // 3 × 99.99 × 1.075 = 322.46775 → Moment says 322.47; DK+ gets 3 × 107.49 = 322.47
    let mut l = line("x", dec!(3), dec!(99.99));
    l.surcharge_percent = Some(dec!(7.5));
    l.line_total = Some(dec!(322.47));
    let mut inv = invoice(vec![l]);
    inv.total_excluding_vat = Some(dec!(322.47));
    assert!(map(&inv).unwrap().warnings.is_empty());
    // 7 × 0.333 + 10 % = 7 × 0.3663 = 2.5641 → Moment 2.56; DK+ 7 × 0.37 = 2.59 (within 7 × ½ cent + 1 cent)
    let mut l = line("x", dec!(7), dec!(0.333));
    l.surcharge_percent = Some(dec!(10));
    l.line_total = Some(dec!(2.56));
    let mut inv = invoice(vec![l]);
    inv.total_excluding_vat = Some(dec!(2.56));
    assert!(map(&inv).unwrap().warnings.is_empty());
}

#[test]
fn long_product_description_is_shortened_with_a_warning() {
    let name = "Ráðgjöf vegna innleiðingar á bókhaldskerfi og þjálfun starfsfólks";
    let data = ReferenceData::new().with_products([product(6, "INNL", name)]);
    let mapped = map_with(
        &invoice(vec![with_product(line("x", dec!(1), dec!(1)), 6, None)]),
        &data,
        &config(),
    )
    .unwrap();
    let p = &mapped.products[0];
    let sent = p.create.description.clone().unwrap();
    assert!(sent.chars().count() <= 40, "{sent}");
    assert!(name.starts_with(&sent));
    assert!(
        matches!(&p.description_truncated, Some(Warning::ProductDescriptionTruncated { full, .. }) if full == name)
    );
    assert!(
        mapped.warnings.is_empty(),
        "reported only when the product is created"
    );
}

#[test]
fn invoice_without_customer_number_or_lines() {
    let mut inv = invoice(vec![]);
    inv.invoice_number = Some(InvoiceNumber::new("55"));
    let err = map_invoice(
        InvoiceInputs {
            invoice: &inv,
            customer: None,
            project: None,
            reference_data: &reference_data(),
        },
        &config(),
    )
    .unwrap_err();
    assert_eq!(
        err.problems,
        vec![Problem::InvoiceCustomerMissing, Problem::InvoiceHasNoLines]
    );
}

#[test]
fn product_vat_percent_comes_from_the_products_account() {
    let mut p = product(7, "HUGB", "Hugbúnaður");
    p.financial_account = Some(moment_client::FinancialAccountRef {
        id: Some(FinancialAccountId::new(9)),
        account_number: None,
        name: None,
    });
    let mut acc = account(9, "3300", Some("S11"));
    acc.current_vat_percentage = Some(dec!(11));
    let data = ReferenceData::new().with_products([p]).with_accounts([acc]);
    let mut l = with_product(line("x", dec!(1), dec!(1)), 7, None);
    l.financial_account = None;
    let mapped = map_with(&invoice(vec![l]), &data, &config()).unwrap();
    assert_eq!(mapped.products[0].create.tax_percent, Some(dec!(11)));
    assert_eq!(mapped.create.lines[0].item_code.as_str(), "HUGB");
    let _: Decimal = mapped.total;
}
