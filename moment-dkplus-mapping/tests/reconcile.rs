//! Reconciliation end to end against the fake Moment and the fake DK+: a period with every kind
//! of difference, DK+'s payment state, and a reconciliation that cannot read a side.

use chrono::{Duration as Days, NaiveDate, Utc};
use dkplus_client::{InvoiceNumber, SalesInvoice};
use moment_client::InvoiceId;
use moment_dkplus_mapping::IntegrationConfig;
use moment_dkplus_mapping::reconcile::{Field, PaymentState, Period};
use moment_dkplus_mapping::testing::{DemoCompany, FakeWorld};
use rust_decimal_macros::dec;
use serde_json::Value;

fn config() -> IntegrationConfig {
    IntegrationConfig::builder()
        .sales_person("vef")
        .build()
        .unwrap()
}

fn november() -> Period {
    Period::new(
        NaiveDate::from_ymd_opt(2026, 11, 1).unwrap(),
        NaiveDate::from_ymd_opt(2026, 11, 30).unwrap(),
    )
    .unwrap()
}

/// The demo company, transferred: 1001, 1002 and credit note 1003 are in DK+, 1004 (no
/// kennitala) is not.
async fn transferred() -> (FakeWorld, DemoCompany) {
    let world = FakeWorld::start(config()).await.unwrap();
    let demo = DemoCompany::seed(&world);
    let report = world.engine.backfill(Utc::now() - Days::days(30)).await;
    assert_eq!(report.counts.failed, 1, "{:#?}", report.outcomes);
    (world, demo)
}

fn dkplus_number(world: &FakeWorld, reference: &str) -> String {
    world
        .dkplus
        .invoices()
        .iter()
        .find(|i| i.reference.as_deref() == Some(reference))
        .and_then(|i| i.number.as_ref())
        .map(ToString::to_string)
        .expect("booked")
}

#[tokio::test]
async fn a_transferred_period_matches_and_shows_what_is_paid() {
    let (world, _demo) = transferred().await;
    // Not 1004: it is missing until its customer is fixed.
    let number = dkplus_number(&world, "1001");
    let with_vat = world
        .dkplus
        .invoices()
        .iter()
        .find(|i| i.reference.as_deref() == Some("1001"))
        .and_then(|i| i.total_amount_with_tax)
        .unwrap();
    assert!(world.dkplus.settle_invoice(&number, dec!(100000)));
    world.dkplus.clear_requests();

    let report = world.engine.reconcile(november()).await.unwrap();
    assert_eq!(report.matched.len(), 3, "{report:#?}");
    assert!(report.differences.is_empty(), "{:#?}", report.differences);
    assert!(report.duplicates.is_empty() && report.unknown_in_dkplus.is_empty());
    let missing: Vec<&str> = report
        .missing_in_dkplus
        .iter()
        .map(|m| m.reference.as_str())
        .collect();
    assert_eq!(missing, ["1004"]);
    assert!(!report.is_clean());

    let paid = &report.matched[0];
    assert_eq!(paid.moment.reference, "1001");
    assert_eq!(paid.dkplus.payment.state, PaymentState::PartlyPaid);
    assert_eq!(paid.dkplus.payment.settled, Some(dec!(100000)));
    assert_eq!(paid.dkplus.payment.open, Some(with_vat - dec!(100000)));
    assert_eq!(paid.dkplus.payment.settled_type, Some(1));
    let credit = &report.matched[2];
    assert!(credit.moment.credit_note);
    assert!(credit.moment.total.unwrap() < dec!(0), "DK+'s sign");

    // DK+ was read in pages, never an invoice at a time (1004's one look-up aside).
    let counts = world.dkplus.counts();
    let by_reference: u64 = counts
        .iter()
        .filter(|(route, _)| route.contains("reference"))
        .map(|(_, n)| n)
        .sum();
    assert!(by_reference <= 1, "{counts:#?}");
    assert_eq!(world.dkplus.count("POST", "/sales/invoice"), 0, "read-only");
}

#[tokio::test]
async fn a_period_with_every_kind_of_difference_names_each_with_both_values() {
    let (world, _demo) = transferred().await;
    let n1001 = dkplus_number(&world, "1001");
    let n1003 = dkplus_number(&world, "1003");
    // DK+: 1001 got another customer and date, the credit note another total.
    assert!(world.dkplus.change_invoice(&n1001, |i| {
        i.insert("CNumber".into(), Value::from("10002"));
        i.insert("InvoiceDate".into(), Value::from("2026-11-03T00:00:00"));
    }));
    assert!(world.dkplus.change_invoice(&n1003, |i| {
        i.insert("TotalAmount".into(), Value::from(-36999.0));
    }));
    // Moment: 1002's VAT says 1 króna.
    world.moment.update_invoice(InvoiceId::new(502), |i| {
        i.total_vat = Some(dec!(1));
    });
    // DK+ holds 1002 twice, and a Moment-like reference Moment never issued.
    let booked = |number: &str, reference: &str| SalesInvoice {
        number: Some(InvoiceNumber::new(number)),
        reference: Some(reference.into()),
        customer_number: Some("10002".into()),
        invoice_date: NaiveDate::from_ymd_opt(2026, 11, 5),
        total_amount: Some(dec!(5000)),
        total_amount_with_tax: Some(dec!(6200)),
        settled_amount: Some(dec!(0)),
        settled_type: Some(0),
        ..Default::default()
    };
    world.dkplus.add_invoice(booked("90001", "1002"));
    world.dkplus.add_invoice(booked("90002", "1999"));
    // Not ours (not a Moment number), and outside the period: neither is reported.
    world.dkplus.add_invoice(booked("90003", "PO-77"));
    let mut december = booked("90004", "2001");
    december.invoice_date = NaiveDate::from_ymd_opt(2026, 12, 1);
    world.dkplus.add_invoice(december);

    let report = world.engine.reconcile(november()).await.unwrap();
    let differences: Vec<(&str, Field, &str, &str)> = report
        .differences
        .iter()
        .map(|d| {
            (
                d.reference.as_str(),
                d.field,
                d.moment.as_str(),
                d.dkplus.as_str(),
            )
        })
        .collect();
    assert_eq!(
        differences,
        [
            ("1001", Field::Customer, "10001", "10002"),
            ("1001", Field::Date, "2026-11-02", "2026-11-03"),
            ("1003", Field::Total, "-37000.00", "-36999.00"),
        ],
        "{:#?}",
        report.differences
    );
    assert_eq!(report.duplicates.len(), 1);
    assert_eq!(report.duplicates[0].reference, "1002");
    assert_eq!(report.duplicates[0].invoices.len(), 2);
    let unknown: Vec<_> = report
        .unknown_in_dkplus
        .iter()
        .map(|d| d.reference.as_deref().unwrap())
        .collect();
    assert_eq!(unknown, ["1999"]);
    assert_eq!(
        report
            .missing_in_dkplus
            .iter()
            .map(|m| m.reference.as_str())
            .collect::<Vec<_>>(),
        ["1004"]
    );
    // 1002 is a duplicate, not matched; its VAT is not compared against either copy.
    assert_eq!(report.matched.len(), 2);
    // The report is data.
    let json = serde_json::to_value(&report).unwrap();
    assert_eq!(json["differences"][0]["field"], "customer");
    assert_eq!(json["duplicates"][0]["reference"], "1002");
}

#[tokio::test]
async fn the_vat_moment_states_is_compared_to_the_cent() {
    let (world, _demo) = transferred().await;
    let dk = world
        .dkplus
        .invoices()
        .into_iter()
        .find(|i| i.reference.as_deref() == Some("1001"))
        .unwrap();
    let dk_vat = dk.total_amount_with_tax.unwrap() - dk.total_amount.unwrap();
    world.moment.update_invoice(InvoiceId::new(501), |i| {
        i.total_vat = Some(dk_vat + dec!(0.01));
    });
    let report = world.engine.reconcile(november()).await.unwrap();
    assert_eq!(report.differences.len(), 1, "{:#?}", report.differences);
    assert_eq!(report.differences[0].field, Field::Vat);

    world.moment.update_invoice(InvoiceId::new(501), |i| {
        i.total_vat = Some(dk_vat);
    });
    let report = world.engine.reconcile(november()).await.unwrap();
    assert!(report.differences.is_empty(), "{:#?}", report.differences);
}

#[tokio::test]
async fn a_side_that_cannot_be_read_to_the_end_gives_no_answer() {
    let (world, _demo) = transferred().await;
    world.dkplus.fail_next(10, 503);
    let error = world.engine.reconcile(november()).await.unwrap_err();
    assert!(
        error.to_string().contains("DK+'s sales invoices"),
        "{error}"
    );
    world.dkplus.clear_faults();
    world.moment.fail_next(10, 503);
    let error = world.engine.reconcile(november()).await.unwrap_err();
    assert!(error.to_string().contains("Moment"), "{error}");
}

#[tokio::test]
async fn an_invoice_booked_under_another_date_is_a_date_difference_not_a_missing_one() {
    let (world, _demo) = transferred().await;
    let n1002 = dkplus_number(&world, "1002");
    // DK+ dated it in October: the November listing does not show it.
    assert!(world.dkplus.change_invoice(&n1002, |i| {
        i.insert("InvoiceDate".into(), Value::from("2026-10-31T00:00:00"));
    }));
    let report = world.engine.reconcile(november()).await.unwrap();
    assert!(
        !report
            .missing_in_dkplus
            .iter()
            .any(|m| m.reference == "1002"),
        "{report:#?}"
    );
    assert_eq!(report.differences.len(), 1);
    assert_eq!(
        (
            report.differences[0].field,
            report.differences[0].dkplus.as_str()
        ),
        (Field::Date, "2026-10-31")
    );

    // October's reconciliation sees a DK+ invoice whose Moment invoice is dated in November:
    // the ledger names it, so it is a date difference there too, not an unknown invoice.
    let october = Period::new(
        NaiveDate::from_ymd_opt(2026, 10, 1).unwrap(),
        NaiveDate::from_ymd_opt(2026, 10, 31).unwrap(),
    )
    .unwrap();
    let report = world.engine.reconcile(october).await.unwrap();
    assert!(report.unknown_in_dkplus.is_empty(), "{report:#?}");
    assert_eq!(report.differences.len(), 1, "{report:#?}");
    assert_eq!(report.differences[0].field, Field::Date);
}

#[tokio::test]
async fn a_copy_of_an_invoice_dated_in_another_month_is_a_duplicate() {
    let (world, _demo) = transferred().await;
    // Someone booked 1001 again, dated 1 December.
    world.dkplus.add_invoice(SalesInvoice {
        number: Some(InvoiceNumber::new("90009")),
        reference: Some("1001".into()),
        customer_number: Some("10001".into()),
        invoice_date: NaiveDate::from_ymd_opt(2026, 12, 1),
        total_amount: Some(dec!(317650)),
        ..Default::default()
    });
    let report = world.engine.reconcile(november()).await.unwrap();
    assert_eq!(report.duplicates.len(), 1, "{report:#?}");
    assert_eq!(report.duplicates[0].reference, "1001");
    assert_eq!(report.duplicates[0].invoices.len(), 2);
    assert!(!report.matched.iter().any(|m| m.moment.reference == "1001"));
}

#[test]
fn a_period_is_at_most_a_year_of_plausible_dates() {
    let day = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).unwrap();
    assert!(Period::new(day(2026, 1, 1), day(2026, 12, 31)).is_ok());
    assert!(
        Period::new(day(2025, 1, 1), day(2026, 12, 31))
            .unwrap_err()
            .contains("longer than a year")
    );
    assert!(
        Period::new(day(1999, 12, 1), day(2000, 1, 31))
            .unwrap_err()
            .contains("2000 to 2100")
    );
    assert!(
        Period::new(day(2026, 2, 1), day(2026, 1, 1))
            .unwrap_err()
            .contains("before it starts")
    );
}
