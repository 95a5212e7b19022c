//! The books are right: amounts, identity, nothing missed, nothing hidden — end to end against
//! the fake Moment and the fake DK+, each case one a real company meets.

use chrono::{Duration as Days, NaiveDate, Utc};
use dkplus_client::testing::FakeDkPlus;
use dkplus_client::{InvoiceNumber, SalesInvoice};
use moment_client::testing::FakeMoment;
use moment_client::{Customer, CustomerId, CustomerNumber, Invoice, InvoiceId, InvoiceState};
use moment_dkplus_mapping::sync::{ObjectKind, OutcomeStatus, SyncFailure, SyncReport};
use moment_dkplus_mapping::testing::{DemoCompany, FakeWorld, Intercept};
use moment_dkplus_mapping::{IntegrationConfig, ObjectOutcome, SyncEngine, Warning};
use rust_decimal_macros::dec;

/// A webhook body parsed as the receiver parses it, at the edge.
fn event(body: &str) -> moment_client::WebhookEvent {
    moment_client::webhook::parse(body.as_bytes()).expect("a Moment webhook")
}

fn config() -> IntegrationConfig {
    IntegrationConfig::builder()
        .sales_person("vef")
        .error_email("bokhald@nordurljos.is")
        .build()
        .unwrap()
}

fn since() -> chrono::DateTime<Utc> {
    Utc::now() - Days::days(30)
}

async fn world() -> (FakeWorld, DemoCompany) {
    let world = FakeWorld::start(config()).await.unwrap();
    let demo = DemoCompany::seed(&world);
    (world, demo)
}

fn outcome(report: &SyncReport, kind: ObjectKind, id: i64) -> &ObjectOutcome {
    report
        .outcomes
        .iter()
        .find(|o| o.kind == kind && o.moment_id.get() == id)
        .unwrap_or_else(|| panic!("no outcome for {kind} {id}: {:#?}", report.outcomes))
}

fn references(world: &FakeWorld) -> Vec<String> {
    let mut refs: Vec<String> = world
        .dkplus
        .invoices()
        .iter()
        .filter_map(|i| i.reference.clone())
        .collect();
    refs.sort();
    refs
}

/// A DK+ invoice as if booked earlier: invoice 1001 of the demo (customer 10001, 2 November,
/// 317 650 without VAT) under `number`.
fn booked_1001(number: &str) -> SalesInvoice {
    SalesInvoice {
        number: Some(InvoiceNumber::new(number)),
        reference: Some("1001".into()),
        customer_number: Some("10001".into()),
        customer_ssn: Some("4710080280".into()),
        invoice_date: NaiveDate::from_ymd_opt(2026, 11, 2),
        total_amount: Some(dec!(317650)),
        ..Default::default()
    }
}

#[tokio::test]
async fn an_invoice_that_leaves_the_listing_while_it_is_paged_costs_no_other_invoice() {
    let moment = FakeMoment::start().await;
    let world = FakeWorld::assemble(
        moment,
        FakeDkPlus::start().await,
        config(),
        |m| m.per_page(2),
        |d| d,
    )
    .unwrap();
    DemoCompany::seed(&world);
    // A draft before the others, deleted in Moment right after the first page was read: the
    // invoices after it move up a page.
    let mut draft: Invoice = world.moment.invoice(InvoiceId::new(505)).unwrap();
    draft.id = InvoiceId::new(500);
    world.moment.add_invoice(draft);
    world
        .moment
        .leave_listing_after_next_page::<Invoice>(InvoiceId::new(500));
    let report = world.engine.backfill(since()).await;
    assert_eq!(references(&world), ["1001", "1002", "1003"], "{report:#?}");
    assert_eq!(
        outcome(&report, ObjectKind::Invoice, 502).status,
        OutcomeStatus::Created
    );
}

#[tokio::test]
async fn every_state_an_invoice_reaches_after_finalizing_is_booked_and_unknown_ones_are_reported() {
    let (world, _demo) = world().await;
    world
        .moment
        .update_invoice(InvoiceId::new(501), |i| i.state = Some(InvoiceState::Paid));
    world
        .moment
        .update_invoice(InvoiceId::new(502), |i| i.state = Some(InvoiceState::Sent));
    world.moment.update_invoice(InvoiceId::new(503), |i| {
        i.state = Some(InvoiceState::Unknown("ARCHIVED".into()))
    });
    let since = since();
    let report = world.engine.backfill(since).await;
    assert_eq!(references(&world), ["1001", "1002"]);
    let unknown = outcome(&report, ObjectKind::Invoice, 503);
    let failure = unknown.failure().expect("reported, not skipped");
    assert!(failure.to_string().contains("ARCHIVED"), "{failure}");
    // The window does not move past it.
    assert_eq!(report.next_backfill_since(since), since);
}

#[tokio::test]
async fn an_existing_dkplus_product_with_another_vat_rate_stops_the_invoice_before_posting() {
    let (world, _demo) = world().await;
    // DK+'s RADGJOF charges 11 %; Moment charged 24 % (account 3000) on invoice 1001's lines.
    world.dkplus.add_product(dkplus_client::Product {
        item_code: Some("RADGJOF".into()),
        description: Some("Ráðgjöf".into()),
        tax_percent: Some(dec!(11)),
        ..Default::default()
    });
    let report = world.engine.transfer_invoice(InvoiceId::new(501)).await;
    let failure = report.outcomes[0].failure().expect("refused").to_string();
    assert!(failure.contains("RADGJOF"), "{failure}");
    assert!(
        failure.contains("11 %") && failure.contains("24 %"),
        "{failure}"
    );
    assert!(world.dkplus.invoices().is_empty());
}

#[tokio::test]
async fn an_invoice_booked_twice_in_dkplus_is_a_failure_naming_every_number() {
    let (world, _demo) = world().await;
    world.dkplus.add_invoice(booked_1001("90001"));
    world.dkplus.add_invoice(booked_1001("90002"));
    let report = world.engine.transfer_invoice(InvoiceId::new(501)).await;
    let failure = report.outcomes[0].failure().expect("a failure");
    assert!(
        matches!(failure, SyncFailure::DuplicatesInDkPlus { .. }),
        "{failure}"
    );
    let text = failure.to_string();
    assert!(text.contains("90001") && text.contains("90002"), "{text}");
    assert_eq!(world.dkplus.invoices().len(), 2, "nothing posted");
}

#[tokio::test]
async fn a_reused_invoice_number_on_another_date_is_a_conflict_not_already_there() {
    let (world, _demo) = world().await;
    let mut last_year = booked_1001("80001");
    last_year.invoice_date = NaiveDate::from_ymd_opt(2025, 11, 2);
    world.dkplus.add_invoice(last_year);
    let report = world.engine.transfer_invoice(InvoiceId::new(501)).await;
    let failure = report.outcomes[0].failure().expect("a conflict");
    assert!(
        matches!(failure, SyncFailure::ReferenceConflict { .. }),
        "{failure}"
    );
    assert!(failure.to_string().contains("2025-11-02"), "{failure}");
}

#[tokio::test]
async fn a_total_changed_in_moment_after_posting_is_reported_not_hidden() {
    let (world, _demo) = world().await;
    let first = world.engine.transfer_invoice(InvoiceId::new(501)).await;
    assert_eq!(first.outcomes[0].status, OutcomeStatus::Created);
    // A few krónur more on the travel line after it was booked.
    world.moment.update_invoice(InvoiceId::new(501), |i| {
        i.lines[2].unit_price = Some(dec!(12405));
        i.lines[2].line_total = Some(dec!(12405));
        i.total_excluding_vat = Some(dec!(317655));
    });
    let again = world.engine.transfer_invoice(InvoiceId::new(501)).await;
    let failure = again.outcomes[0].failure().expect("reported");
    assert!(
        matches!(failure, SyncFailure::ChangedSincePosted { .. }),
        "{failure}"
    );
    let text = failure.to_string();
    assert!(text.contains("317650") && text.contains("317655"), "{text}");
    assert_eq!(references(&world), ["1001"]);
}

#[tokio::test]
async fn a_dkplus_customer_of_another_company_is_never_overwritten_nor_invoiced() {
    let (world, _demo) = world().await;
    // DK+'s customer 10001 is another company, as its invoices' kennitala shows.
    world.dkplus.add_customer(dkplus_client::Customer {
        number: Some("10001".into()),
        name: Some("Fjallasýn hf.".into()),
        ..Default::default()
    });
    world.dkplus.add_invoice(SalesInvoice {
        number: Some(InvoiceNumber::new("70001")),
        reference: Some("X-1".into()),
        customer_number: Some("10001".into()),
        customer_ssn: Some("1203735609".into()),
        ..Default::default()
    });
    let report = world.engine.transfer_customer(CustomerId::new(101)).await;
    let failure = report.outcomes[0].failure().expect("refused");
    assert!(
        matches!(failure, SyncFailure::CustomerIdentity { .. }),
        "{failure}"
    );
    let text = failure.to_string();
    assert!(
        text.contains("Fjallasýn") && text.contains("Norðurljós"),
        "{text}"
    );
    assert!(
        text.contains("1203735609") && text.contains("4710080280"),
        "{text}"
    );
    assert_eq!(world.dkplus.count("PUT", "/Customer/{customer}"), 0);

    // With customers off, the invoice would land on the other company's ledger: refused.
    let config = IntegrationConfig::builder()
        .sales_person("vef")
        .transfer_customers(false)
        .build()
        .unwrap();
    let engine = SyncEngine::new(
        world.moment.client().unwrap(),
        world.dkplus.client().unwrap(),
        config,
    );
    let report = engine.transfer_invoice(InvoiceId::new(501)).await;
    let failure = report.outcomes[0].failure().expect("refused").to_string();
    assert!(failure.contains("Fjallasýn"), "{failure}");
    assert!(references(&world).iter().all(|r| r != "1001"));
}

#[tokio::test]
async fn a_renamed_customer_with_the_same_kennitala_is_updated() {
    let (world, _demo) = world().await;
    world.dkplus.add_customer(dkplus_client::Customer {
        number: Some("10001".into()),
        name: Some("Gamla nafnið ehf.".into()),
        ..Default::default()
    });
    world.dkplus.add_invoice(SalesInvoice {
        number: Some(InvoiceNumber::new("70001")),
        customer_number: Some("10001".into()),
        customer_ssn: Some("471008-0280".into()),
        ..Default::default()
    });
    let report = world.engine.transfer_customer(CustomerId::new(101)).await;
    assert_eq!(
        report.outcomes[0].status,
        OutcomeStatus::Updated,
        "{report:#?}"
    );
}

#[tokio::test]
async fn two_moment_customers_with_one_number_are_reported_and_only_one_is_written() {
    let (world, _demo) = world().await;
    world.moment.add_customer(Customer {
        id: CustomerId::new(104),
        customer_number: Some(CustomerNumber::new("10001")),
        name: Some("Tvífari ehf.".into()),
        organization_number: Some("120373-5609".into()),
        ..Default::default()
    });
    let report = world.engine.backfill(since()).await;
    let duplicate: Vec<_> = report
        .failures()
        .filter(|o| {
            matches!(
                o.failure(),
                Some(SyncFailure::DuplicateCustomerNumber { .. })
            )
        })
        .collect();
    assert_eq!(duplicate.len(), 1, "{:#?}", report.outcomes);
    assert_eq!(world.dkplus.count("POST", "/Customer"), 3);
    assert_eq!(world.dkplus.count("PUT", "/Customer/{customer}"), 0);
}

#[tokio::test]
async fn a_customer_renumbered_in_moment_keeps_its_booked_invoices_recognised() {
    let (world, _demo) = world().await;
    let first = world.engine.backfill(since()).await;
    assert_eq!(references(&world), ["1001", "1002", "1003"], "{first:#?}");
    // Moment renumbers Norðurljós; its invoices now name 20001.
    world.moment.update_customer(CustomerId::new(101), |c| {
        c.customer_number = Some(CustomerNumber::new("20001"))
    });
    for id in [501, 503] {
        world.moment.update_invoice(InvoiceId::new(id), |i| {
            if let Some(c) = i.customer.as_mut() {
                c.customer_number = Some(CustomerNumber::new("20001"));
            }
        });
    }
    let second = world.engine.backfill(since()).await;
    let inv = outcome(&second, ObjectKind::Invoice, 501);
    assert_eq!(inv.status, OutcomeStatus::AlreadyPresent, "{inv}");
    assert!(
        inv.warnings
            .iter()
            .any(|w| matches!(w, Warning::CustomerRenumbered { was, now, .. } if was == "10001" && now == "20001")),
        "{inv:?}"
    );
    let customer = outcome(&second, ObjectKind::Customer, 101);
    assert!(
        customer
            .warnings
            .iter()
            .any(|w| matches!(w, Warning::CustomerPossiblyRenumbered { existing, .. } if existing == "10001")),
        "{customer:?}"
    );
    assert_eq!(
        references(&world),
        ["1001", "1002", "1003"],
        "nothing booked twice"
    );
}

#[tokio::test]
async fn a_refused_token_is_one_failure_and_nothing_is_transferred() {
    let world = FakeWorld::start_with(config(), |m| m, |d| d.token("not-the-token"))
        .await
        .unwrap();
    DemoCompany::seed(&world);
    let report = world.engine.backfill(since()).await;
    assert_eq!(report.counts.total(), 0, "{:#?}", report.outcomes);
    let stopped = report.stopped.as_ref().expect("stopped");
    assert!(stopped.failure.to_string().contains("token"), "{stopped}");
    let mails = world.notifier.reports();
    assert_eq!(mails.len(), 1);
    assert!(
        mails[0].subject.contains("DK+ refused the token"),
        "{}",
        mails[0].subject
    );
    assert_eq!(
        mails[0]
            .body
            .matches("Authorization has been denied")
            .count(),
        1,
        "{}",
        mails[0].body
    );
    assert!(world.dkplus.invoices().is_empty() && world.dkplus.customers().is_empty());
}

#[tokio::test]
async fn dkplus_going_down_mid_run_stops_the_run_once_and_the_next_run_continues() {
    let (world, _demo) = world().await;
    // The checks at the start pass (connection, sales person); everything after them fails.
    world.dkplus.delay_next(2, std::time::Duration::ZERO);
    world.dkplus.fail_next(10_000, 503);
    let since = since();
    let down = world.engine.backfill(since).await;
    let stopped = down.stopped.as_ref().expect("stopped");
    assert!(stopped.failure.is_systemic() && stopped.failure.retry_later());
    assert_eq!(
        down.counts.failed, 0,
        "one failure, not one per object: {down:#?}"
    );
    assert!(down.outcomes.is_empty(), "{:#?}", down.outcomes);
    assert!(stopped.not_attempted > 0, "{stopped}");
    assert_eq!(down.next_backfill_since(since), since);
    world.dkplus.clear_faults();
    let up = world.engine.backfill(down.next_backfill_since(since)).await;
    assert_eq!(references(&world), ["1001", "1002", "1003"], "{up:#?}");
}

#[tokio::test]
async fn products_created_for_item_codes_are_reported_like_customers_and_projects() {
    let (world, _demo) = world().await;
    let report = world.engine.backfill(since()).await;
    let mut products: Vec<_> = report
        .outcomes
        .iter()
        .filter(|o| o.kind == ObjectKind::Product)
        .map(|o| (o.dkplus_number.clone().unwrap(), o.status.clone()))
        .collect();
    products.sort_by(|a, b| a.0.cmp(&b.0));
    assert_eq!(
        products,
        [
            ("LEYFI-ARS".to_owned(), OutcomeStatus::Created),
            ("S24".to_owned(), OutcomeStatus::Created)
        ]
    );
    // A webhook's invoice reports the customer and project it created on the way too.
    let fresh = FakeWorld::start(config()).await.unwrap();
    DemoCompany::seed(&fresh);
    let world = fresh;
    let body = world
        .moment
        .webhook_body_for_invoice(InvoiceId::new(502), "CREATE_NEW")
        .unwrap();
    let report = world.engine.handle_webhook(&event(&body)).await;
    let kinds: Vec<_> = report.outcomes.iter().map(|o| o.kind).collect();
    assert_eq!(
        kinds,
        [
            ObjectKind::Invoice,
            ObjectKind::Customer,
            ObjectKind::Project,
            ObjectKind::Product
        ],
        "{:#?}",
        report.outcomes
    );
}

#[tokio::test]
async fn number_series_out_of_step_is_said_once_per_run_with_the_first_and_last_numbers() {
    let (world, _demo) = world().await;
    let report = world.engine.backfill(since()).await;
    let series: Vec<_> = report
        .warnings
        .iter()
        .filter(|w| matches!(w, Warning::NumberSeriesOutOfStep { .. }))
        .collect();
    assert_eq!(series.len(), 1, "{:?}", report.warnings);
    let text = series[0].to_string();
    assert!(
        text.contains("3 invoices") && text.contains("1001") && text.contains("1003"),
        "{text}"
    );
    assert!(text.contains("next invoice number"), "{text}");
    assert!(report.outcomes.iter().all(|o| {
        o.warnings
            .iter()
            .all(|w| !matches!(w, Warning::NumberSeriesOutOfStep { .. }))
    }));
    // Exactly one line of it in the e-mail.
    let mail = world.notifier.reports().pop().unwrap();
    assert_eq!(
        mail.body.matches("number series are out of step").count(),
        1
    );
}

#[tokio::test]
async fn an_invoice_already_booked_is_recognised_before_anything_is_ensured_or_checked() {
    let (world, _demo) = world().await;
    let first = world.engine.backfill(since()).await;
    assert_eq!(references(&world), ["1001", "1002", "1003"], "{first:#?}");
    // Customers off and the customer renumbered in Moment: the booked invoice is still found
    // (by the kennitala on it) before the missing customer 20001 could fail it.
    world.moment.update_customer(CustomerId::new(101), |c| {
        c.customer_number = Some(CustomerNumber::new("20001"))
    });
    world.moment.update_invoice(InvoiceId::new(501), |i| {
        if let Some(c) = i.customer.as_mut() {
            c.customer_number = Some(CustomerNumber::new("20001"));
        }
    });
    // DK+'s product rate changed since: an invoice booked before is not re-checked.
    world.dkplus.add_product(dkplus_client::Product {
        item_code: Some("RADGJOF".into()),
        tax_percent: Some(dec!(11)),
        ..Default::default()
    });
    let config = IntegrationConfig::builder()
        .sales_person("vef")
        .transfer_customers(false)
        .build()
        .unwrap();
    let engine = SyncEngine::new(
        world.moment.client().unwrap(),
        world.dkplus.client().unwrap(),
        config,
    );
    let report = engine.transfer_invoice(InvoiceId::new(501)).await;
    assert_eq!(
        report.outcomes[0].status,
        OutcomeStatus::AlreadyPresent,
        "{report:#?}"
    );
    assert_eq!(report.outcomes.len(), 1, "nothing created on the way");
}

#[tokio::test]
async fn one_name_for_two_people_is_told_apart_by_the_kennitala() {
    let (world, _demo) = world().await;
    // DK+'s customer 10002 is another Jón Jónsson: his invoices carry another kennitala.
    world.dkplus.add_customer(dkplus_client::Customer {
        number: Some("10002".into()),
        name: Some("Jón Jónsson".into()),
        ..Default::default()
    });
    world.dkplus.add_invoice(SalesInvoice {
        number: Some(InvoiceNumber::new("70002")),
        customer_number: Some("10002".into()),
        customer_ssn: Some("4710080280".into()),
        ..Default::default()
    });
    let report = world.engine.transfer_customer(CustomerId::new(102)).await;
    assert!(
        matches!(
            report.outcomes[0].failure(),
            Some(SyncFailure::CustomerIdentity { .. })
        ),
        "{report:#?}"
    );
}

#[tokio::test]
async fn webhooks_tell_the_number_series_is_out_of_step_once_a_day_not_per_invoice() {
    let (world, _demo) = world().await;
    let mut warned = 0;
    for id in [501, 502, 503] {
        let body = world
            .moment
            .webhook_body_for_invoice(InvoiceId::new(id), "CREATE_NEW")
            .unwrap();
        let report = world.engine.handle_webhook(&event(&body)).await;
        warned += report
            .warnings
            .iter()
            .filter(|w| matches!(w, Warning::NumberSeriesOutOfStep { .. }))
            .count();
    }
    assert_eq!(references(&world), ["1001", "1002", "1003"]);
    assert_eq!(warned, 1);
}

#[tokio::test]
async fn a_dry_run_report_never_says_created_or_transferred() {
    let (world, _demo) = world().await;
    let dry = moment_dkplus_mapping::DryRun::new(world.dkplus.client().unwrap());
    let notifier = std::sync::Arc::new(moment_dkplus_mapping::CollectingNotifier::new());
    let engine = SyncEngine::new(world.moment.client().unwrap(), &dry, config())
        .with_notifier(notifier.clone());
    let report = engine.backfill(since()).await;
    assert!(report.dry_run);
    let mail = notifier.reports().pop().expect("a report: 1004 fails");
    assert!(mail.subject.contains("dry run"), "{}", mail.subject);
    assert!(!mail.subject.contains("transferred"), "{}", mail.subject);
    let summary = report.counts.summary(true);
    assert!(
        summary.starts_with("10 would be created, 0 would be updated"),
        "{summary}"
    );
    assert!(
        mail.body.contains("would be created") && mail.body.contains("dry run"),
        "{}",
        mail.body
    );
}

#[tokio::test]
async fn figures_dkplus_booked_differently_from_what_was_sent_are_warned_with_both() {
    // DK+ computes the booked totals itself (VAT from its products); when its answer shows
    // other figures than the invoice sent, the invoice is booked and only a person can correct
    // it: a warning with both figures for each, never silence.
    let (world, _demo) = world().await;
    // Moment's own total including VAT, as DK+ computes it from its products (11 %).
    assert!(world.moment.update::<Invoice>(InvoiceId::new(502), |i| {
        i.total_including_vat = Some(dec!(239760));
    }));
    let dkplus = Intercept::new(world.dkplus.client().unwrap()).on_invoice_post(|_, answer| {
        answer.map(|mut booked| {
            booked.total_amount = booked.total_amount.map(|t| t + dec!(0.01));
            booked.total_amount_with_tax = booked.total_amount_with_tax.map(|t| t + dec!(1));
            booked
        })
    });
    let engine = SyncEngine::new(world.moment.client().unwrap(), dkplus, config());
    let report = engine.transfer_invoice(InvoiceId::new(502)).await;
    let invoice = outcome(&report, ObjectKind::Invoice, 502);
    assert_eq!(invoice.status, OutcomeStatus::Created, "{invoice}");
    let booked = &world.dkplus.invoices()[0];
    let vat = invoice
        .warnings
        .iter()
        .find_map(|w| match w {
            Warning::VatTotalMismatch { moment, dkplus } => Some((*moment, *dkplus)),
            _ => None,
        })
        .unwrap_or_else(|| panic!("the VAT total DK+ booked is compared: {invoice:?}"));
    assert_eq!(booked.total_amount_with_tax, Some(dec!(239760)));
    assert_eq!(vat, (dec!(239760), dec!(239761)), "{invoice}");
    assert!(
        invoice.warnings.iter().any(|w| matches!(
            w,
            Warning::InvoiceTotalMismatch { difference, .. } if *difference == dec!(0.01)
        )),
        "{invoice}"
    );
}
