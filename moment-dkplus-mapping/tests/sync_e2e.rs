//! End-to-end tests over HTTP: the real clients against the fake Moment and the fake DK+.

use std::time::Duration;

use chrono::{Duration as Days, Utc};
use dkplus_client::testing::AfterStore;
use moment_client::{CustomerId, InvoiceId, ProjectId};
use moment_dkplus_mapping::sync::{OutcomeStatus, SyncFailure, SyncReport};
use moment_dkplus_mapping::testing::{DemoCompany, FakeWorld};
use moment_dkplus_mapping::{IntegrationConfig, MomentId, SyncEngine, Warning};
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

fn invoice_outcome(report: &SyncReport, id: i64) -> &moment_dkplus_mapping::ObjectOutcome {
    report
        .outcomes
        .iter()
        .find(|o| o.moment_id == MomentId::Invoice(InvoiceId::new(id)))
        .unwrap_or_else(|| panic!("no outcome for invoice {id}: {:#?}", report.outcomes))
}

#[tokio::test]
async fn full_backfill_transfers_the_demo_company() {
    let (world, demo) = world().await;
    let report = world.engine.backfill(since()).await;

    // Invoices: the three valid ones once each, in DK+ with Moment's number as Reference.
    assert_eq!(references(&world), ["1001", "1002", "1003"], "{report:#?}");
    for id in &demo.valid_invoices {
        let outcome = invoice_outcome(&report, id.get());
        assert_eq!(outcome.status, OutcomeStatus::Created, "{outcome}");
        assert!(outcome.dkplus_number.is_some());
    }
    // The invoice whose customer has no kennitala failed before anything was written.
    let failed = invoice_outcome(&report, demo.failing_invoice.get());
    let failure = failed.failure().expect("1004 fails");
    assert!(matches!(failure, SyncFailure::Mapping(_)), "{failure}");
    assert!(failure.to_string().contains("kennitala"), "{failure}");
    assert!(!failure.retry_later());
    // The draft is listed (the backfill lists every state) and waits until it is finalized.
    let draft = invoice_outcome(&report, demo.draft_invoice.get());
    assert!(matches!(draft.status, OutcomeStatus::Skipped(_)), "{draft}");

    // Customers and projects, numbers mastered by Moment.
    let mut customers: Vec<String> = world
        .dkplus
        .customers()
        .iter()
        .filter_map(|c| c.number.as_ref().map(|n| n.to_string()))
        .collect();
    customers.sort();
    assert_eq!(customers, ["10001", "10002", "10003"]);
    let nordurljos = world
        .dkplus
        .customers()
        .into_iter()
        .find(|c| c.number.as_ref().is_some_and(|n| n.as_str() == "10001"))
        .unwrap();
    // DK+'s customer model has no kennitala or town: the town is in the first free address line,
    // the kennitala goes with each invoice (below).
    assert_eq!(nordurljos.address1.as_deref(), Some("Laugavegur 1"));
    assert_eq!(nordurljos.address2.as_deref(), Some("Reykjavík"));
    assert_eq!(world.dkplus.contract_violations(), vec![]);
    let mut projects: Vec<String> = world
        .dkplus
        .projects()
        .iter()
        .filter_map(|p| p.number.as_ref().map(|n| n.to_string()))
        .collect();
    projects.sort();
    assert_eq!(projects, ["P-100", "P-200"]);

    // Products: RADGJOF existed; LEYFI-ARS and the VAT-code fallback S24 were created once.
    assert_eq!(world.dkplus.count("POST", "/Product"), 2);
    let mut products: Vec<String> = world
        .dkplus
        .products()
        .iter()
        .filter_map(|p| p.item_code.as_ref().map(|c| c.to_string()))
        .collect();
    products.sort();
    assert_eq!(products, ["LEYFI-ARS", "RADGJOF", "S24"]);

    // Invoice 1001: surcharge folded into the unit price, quantity kept, sales person set.
    let invoices = world.dkplus.invoices();
    let inv_1001 = invoices
        .iter()
        .find(|i| i.reference.as_deref() == Some("1001"))
        .unwrap();
    assert_eq!(
        inv_1001.sales_person.as_ref().map(|s| s.as_str()),
        Some("vef")
    );
    assert_eq!(inv_1001.project.as_ref().map(|p| p.as_str()), Some("P-100"));
    assert_eq!(inv_1001.customer_ssn.as_deref(), Some("4710080280"));
    let lines = inv_1001.lines.clone().unwrap();
    assert_eq!(lines.len(), 3);
    assert_eq!(
        (lines[1].quantity, lines[1].unit_price),
        (Some(dec!(4)), Some(dec!(20812.50)))
    );
    assert_eq!(lines[2].item_code.as_ref().map(|c| c.as_str()), Some("S24"));
    assert_eq!(inv_1001.total_amount, Some(dec!(317650)));
    // The credit note: negative quantities, the original number in the text.
    let credit = invoices
        .iter()
        .find(|i| i.reference.as_deref() == Some("1003"))
        .unwrap();
    assert_eq!(credit.total_amount, Some(dec!(-37000)));
    assert_eq!(
        credit.text1.as_deref(),
        Some("Kreditreikningur vegna reiknings nr. 1001")
    );

    // The failure report went to the notifier, readable, naming the invoice and the fix.
    let reports = world.notifier.reports();
    assert_eq!(reports.len(), 1);
    assert_eq!(reports[0].to.as_deref(), Some("bokhald@nordurljos.is"));
    assert_eq!(reports[0].failed, 1);
    assert!(
        reports[0].body.contains("Invoice 1004"),
        "{}",
        reports[0].body
    );
    assert!(
        reports[0].body.contains("10003 (Fjallasýn hf.)"),
        "{}",
        reports[0].body
    );
    // The long licence name was shortened for DK+ and said so.
    assert!(report.outcomes.iter().flat_map(|o| &o.warnings).any(|w| matches!(w, Warning::ProductDescriptionTruncated { item_code, .. } if item_code == "LEYFI-ARS")));
}

#[tokio::test]
async fn a_second_backfill_transfers_nothing_new() {
    let (world, _demo) = world().await;
    let first = world.engine.backfill(since()).await;
    let posts = world.dkplus.count("POST", "/sales/invoice");
    let second = world.engine.backfill(since()).await;
    assert_eq!(
        world.dkplus.count("POST", "/sales/invoice"),
        posts,
        "no invoice posted twice"
    );
    assert_eq!(world.dkplus.count("POST", "/Customer"), 3);
    assert_eq!(world.dkplus.count("POST", "/project"), 2);
    assert_eq!(world.dkplus.count("POST", "/Product"), 2);
    assert_eq!(second.counts.created, 0, "{:#?}", second.outcomes);
    assert_eq!(
        second.counts.already_present,
        2 + 3,
        "projects and invoices: {}",
        second.counts
    );
    assert_eq!(second.counts.unchanged, 3, "customers: {}", second.counts);
    assert_eq!(
        world.dkplus.count("PUT", "/Customer/{customer}"),
        0,
        "customers converge: what DK+ keeps is what is compared"
    );
    assert_eq!(world.dkplus.contract_violations(), vec![]);
    assert_eq!(
        second.counts.failed, first.counts.failed,
        "1004 still fails until fixed"
    );
    assert_eq!(references(&world), ["1001", "1002", "1003"]);
}

#[tokio::test]
async fn a_fixed_invoice_goes_through_on_the_next_run() {
    let (world, demo) = world().await;
    let _ = world.engine.backfill(since()).await;
    world
        .moment
        .update_customer(demo.customer_without_kennitala, |c| {
            c.organization_number = Some("560907-1330".into())
        });
    world.moment.update_invoice(demo.failing_invoice, |_| {});
    let report = world.engine.backfill(since()).await;
    assert!(report.is_clean(), "{:#?}", report.outcomes);
    assert_eq!(
        invoice_outcome(&report, demo.failing_invoice.get()).status,
        OutcomeStatus::Created
    );
    assert_eq!(references(&world), ["1001", "1002", "1003", "1004"]);
}

#[tokio::test]
async fn webhook_end_to_end_and_duplicate_delivery() {
    let (world, _demo) = world().await;
    let body = world
        .moment
        .webhook_body_for_invoice(InvoiceId::new(502), "CREATE_NEW")
        .unwrap();
    let report = world.engine.handle_webhook(&event(&body)).await;
    let outcome = invoice_outcome(&report, 502);
    assert_eq!(outcome.status, OutcomeStatus::Created, "{outcome}");
    assert_eq!(outcome.moment_number.as_deref(), Some("1002"));
    // The same webhook again: found by reference, nothing posted.
    let again = world.engine.handle_webhook(&event(&body)).await;
    assert_eq!(
        invoice_outcome(&again, 502).status,
        OutcomeStatus::AlreadyPresent
    );
    assert_eq!(
        invoice_outcome(&again, 502).dkplus_number,
        outcome.dkplus_number
    );
    assert_eq!(references(&world), ["1002"]);
    // Its customer and project were ensured first.
    assert_eq!(world.dkplus.customers().len(), 1);
    assert_eq!(world.dkplus.projects().len(), 1);
}

#[tokio::test]
async fn webhooks_for_customers_projects_drafts_and_deletions() {
    let (world, demo) = world().await;
    let body = world
        .moment
        .webhook_body_for_customer(CustomerId::new(101), "CREATE_NEW")
        .unwrap();
    let report = world.engine.handle_webhook(&event(&body)).await;
    assert_eq!(report.outcomes[0].status, OutcomeStatus::Created);
    let body = world
        .moment
        .webhook_body_for_project(ProjectId::new(201), "CREATE_NEW")
        .unwrap();
    let report = world.engine.handle_webhook(&event(&body)).await;
    assert_eq!(report.outcomes[0].status, OutcomeStatus::Created);
    let body = world
        .moment
        .webhook_body_for_invoice(demo.draft_invoice, "UPDATE")
        .unwrap();
    let report = world.engine.handle_webhook(&event(&body)).await;
    assert!(
        matches!(report.outcomes[0].status, OutcomeStatus::Skipped(_)),
        "{}",
        report.outcomes[0]
    );
    let body = world
        .moment
        .webhook_body_for_invoice(InvoiceId::new(501), "DELETE")
        .unwrap();
    let report = world.engine.handle_webhook(&event(&body)).await;
    assert!(matches!(
        report.outcomes[0].status,
        OutcomeStatus::Skipped(_)
    ));
    assert!(world.dkplus.invoices().is_empty());
    assert!(moment_client::webhook::parse(b"not json").is_err());
}

#[tokio::test]
async fn the_same_invoice_sent_twice_at_once_makes_one_dkplus_invoice() {
    let (world, _demo) = world().await;
    let (a, b) = tokio::join!(
        world.engine.transfer_invoice(InvoiceId::new(501)),
        world.engine.transfer_invoice(InvoiceId::new(501))
    );
    let statuses = [a.outcomes[0].status.clone(), b.outcomes[0].status.clone()];
    assert!(statuses.contains(&OutcomeStatus::Created), "{statuses:?}");
    assert!(
        statuses.contains(&OutcomeStatus::AlreadyPresent),
        "{statuses:?}"
    );
    assert_eq!(references(&world), ["1001"]);
    assert_eq!(world.dkplus.count("POST", "/sales/invoice"), 1);
}

#[tokio::test]
async fn a_post_that_times_out_after_dkplus_stored_the_invoice_is_not_repeated() {
    let world = FakeWorld::start_with(config(), |m| m, |d| d.timeout(Duration::from_millis(400)))
        .await
        .unwrap();
    DemoCompany::seed(&world);
    world
        .dkplus
        .store_then_fail_next_invoice(AfterStore::Delay(Duration::from_secs(3)));
    let report = world.engine.transfer_invoice(InvoiceId::new(502)).await;
    let outcome = &report.outcomes[0];
    assert_eq!(
        outcome.status,
        OutcomeStatus::Created,
        "found by reference after the timeout: {outcome}"
    );
    assert!(outcome.dkplus_number.is_some());
    assert_eq!(world.dkplus.invoices().len(), 1);
    assert_eq!(
        world.dkplus.count("POST", "/sales/invoice"),
        1,
        "never re-posted"
    );
    // A later run sees it as present.
    let again = world.engine.transfer_invoice(InvoiceId::new(502)).await;
    assert_eq!(again.outcomes[0].status, OutcomeStatus::AlreadyPresent);
    assert_eq!(world.dkplus.invoices().len(), 1);
}

#[tokio::test]
async fn a_failed_outcome_is_retried_with_one_call_once_it_is_fixed() {
    let (world, demo) = world().await;
    let failed = world.engine.transfer_invoice(demo.failing_invoice).await;
    let outcome = failed.outcomes[0].clone();
    assert!(outcome.is_failed(), "{outcome}");
    assert_eq!(outcome.moment_id, MomentId::Invoice(demo.failing_invoice));
    // Fixed in Moment: the customer gets its kennitala.
    assert!(
        world
            .moment
            .update::<moment_client::Customer>(moment_client::CustomerId::new(103), |c| c
                .organization_number =
                Some("5902697199".into()),)
    );
    let retried = world.engine.retry(&outcome).await;
    let again = invoice_outcome(&retried, demo.failing_invoice.get());
    assert_eq!(again.status, OutcomeStatus::Created, "{again}");
    // Retried once more: found by reference, not posted twice.
    let twice = world.engine.retry(&outcome).await;
    assert_eq!(
        invoice_outcome(&twice, demo.failing_invoice.get()).status,
        OutcomeStatus::AlreadyPresent
    );
    assert_eq!(world.dkplus.count("POST", "/sales/invoice"), 1);
    // A product is made for an invoice: retrying it alone says to retry the invoice.
    let product = retried
        .outcomes
        .iter()
        .find(|o| o.kind == moment_dkplus_mapping::ObjectKind::Product)
        .expect("the invoice's product was created on the way");
    let report = world.engine.retry(product).await;
    assert!(
        matches!(&report.outcomes[0].status, OutcomeStatus::Skipped(why) if why.contains("retry that invoice")),
        "{}",
        report.outcomes[0]
    );
}

#[tokio::test]
async fn a_gateway_error_after_the_store_is_resolved_by_reference() {
    let (world, _demo) = world().await;
    world
        .dkplus
        .store_then_fail_next_invoice(AfterStore::Status(502));
    let report = world.engine.transfer_invoice(InvoiceId::new(501)).await;
    assert_eq!(
        report.outcomes[0].status,
        OutcomeStatus::Created,
        "{}",
        report.outcomes[0]
    );
    assert_eq!(world.dkplus.invoices().len(), 1);
    assert_eq!(world.dkplus.count("POST", "/sales/invoice"), 1);
}

#[tokio::test]
async fn an_unknown_sales_person_stops_invoices_with_a_clear_error() {
    let (world, demo) = world().await;
    let config = IntegrationConfig::builder()
        .sales_person("XYZ")
        .build()
        .unwrap();
    let engine = SyncEngine::new(
        world.moment.client().unwrap(),
        world.dkplus.client().unwrap(),
        config,
    );
    let err = engine.verify().await.unwrap_err();
    assert!(err.to_string().contains("\"XYZ\""), "{err}");
    let report = engine.transfer_invoice(demo.valid_invoices[0]).await;
    let failure = report.outcomes[0].failure().expect("fails");
    assert_eq!(failure, &SyncFailure::SalesPersonUnknown("XYZ".into()));
    assert!(failure.to_string().contains("no invoice was sent"));
    assert!(world.dkplus.invoices().is_empty());
    // One check per run, not one per invoice.
    let before = world.dkplus.count("GET", "/sales/person/{number}");
    let _ = engine.backfill(since()).await;
    assert_eq!(
        world.dkplus.count("GET", "/sales/person/{number}"),
        before + 1
    );
    assert!(world.dkplus.invoices().is_empty());
}

#[tokio::test]
async fn verify_passes_on_a_good_setup() {
    let (world, _demo) = world().await;
    world.engine.verify().await.unwrap();
}

#[tokio::test]
async fn dkplus_down_for_a_while_then_the_next_run_completes() {
    let (world, _demo) = world().await;
    world.dkplus.fail_next(10_000, 503);
    let down = world.engine.backfill(since()).await;
    assert!(world.dkplus.invoices().is_empty());
    assert_eq!(down.counts.created, 0);
    // One failure that says what is wrong — not the same failure once per object.
    assert_eq!(down.counts.failed, 0, "{:#?}", down.outcomes);
    let stopped = down.stopped.as_ref().expect("the run stopped");
    assert!(stopped.failure.retry_later() && stopped.failure.is_systemic());
    let report = world.notifier.reports().pop().unwrap();
    assert!(
        report.subject.contains("DK+ could not be reached"),
        "{}",
        report.subject
    );
    assert!(
        report.body.contains("the next run continues"),
        "{}",
        report.body
    );
    assert_eq!(report.body.matches("503").count(), 1, "{}", report.body);

    world.dkplus.clear_faults();
    let up = world
        .engine
        .backfill(down.next_backfill_since(since()))
        .await;
    assert_eq!(references(&world), ["1001", "1002", "1003"]);
    assert_eq!(up.counts.failed, 1, "only 1004: {:#?}", up.outcomes);
}

#[tokio::test]
async fn products_are_created_once_across_invoices_and_runs() {
    let (world, _demo) = world().await;
    let _ = world.engine.transfer_invoice(InvoiceId::new(501)).await;
    let _ = world.engine.transfer_invoice(InvoiceId::new(503)).await;
    let _ = world.engine.backfill(since()).await;
    assert_eq!(world.dkplus.count("POST", "/Product"), 2);
}

#[tokio::test]
async fn product_creation_off_makes_a_missing_item_code_an_error() {
    let config = IntegrationConfig::builder()
        .sales_person("vef")
        .create_missing_products(false)
        .build()
        .unwrap();
    let world = FakeWorld::start(config).await.unwrap();
    DemoCompany::seed(&world);
    let report = world.engine.transfer_invoice(InvoiceId::new(502)).await;
    let failure = report.outcomes[0].failure().expect("fails").to_string();
    assert!(
        failure.contains("product LEYFI-ARS does not exist in DK+"),
        "{failure}"
    );
    assert!(world.dkplus.invoices().is_empty());
}

#[tokio::test]
async fn customer_transfer_off_needs_the_customer_in_dkplus() {
    let config = IntegrationConfig::builder()
        .sales_person("vef")
        .transfer_customers(false)
        .build()
        .unwrap();
    let world = FakeWorld::start(config).await.unwrap();
    DemoCompany::seed(&world);
    let report = world.engine.transfer_invoice(InvoiceId::new(502)).await;
    let failure = report.outcomes[0].failure().expect("fails").to_string();
    assert!(
        failure.contains("customer 10002 does not exist in DK+"),
        "{failure}"
    );
    let customer = world.engine.transfer_customer(CustomerId::new(102)).await;
    assert!(matches!(
        customer.outcomes[0].status,
        OutcomeStatus::Skipped(_)
    ));
}

#[tokio::test]
async fn a_draft_asked_for_explicitly_is_refused() {
    let (world, demo) = world().await;
    let report = world.engine.transfer_invoice(demo.draft_invoice).await;
    let failure = report.outcomes[0].failure().expect("fails").to_string();
    assert!(failure.contains("finalize it in Moment"), "{failure}");
    let missing = world.engine.transfer_invoice(InvoiceId::new(999_999)).await;
    assert!(matches!(
        missing.outcomes[0].failure(),
        Some(SyncFailure::NotInMoment { .. })
    ));
}

#[tokio::test]
async fn customer_changes_are_sent_as_updates() {
    let (world, _demo) = world().await;
    let first = world.engine.transfer_customer(CustomerId::new(101)).await;
    assert_eq!(first.outcomes[0].status, OutcomeStatus::Created);
    let same = world.engine.transfer_customer(CustomerId::new(101)).await;
    assert_eq!(same.outcomes[0].status, OutcomeStatus::Unchanged);
    world.moment.update_customer(CustomerId::new(101), |c| {
        c.name = Some("Norðurljós og synir ehf.".into())
    });
    let changed = world.engine.transfer_customer(CustomerId::new(101)).await;
    assert_eq!(changed.outcomes[0].status, OutcomeStatus::Updated);
    let stored = world
        .dkplus
        .customers()
        .into_iter()
        .find(|c| c.number.as_ref().is_some_and(|n| n.as_str() == "10001"))
        .unwrap();
    assert_eq!(stored.name.as_deref(), Some("Norðurljós og synir ehf."));
    let put = world
        .dkplus
        .requests()
        .into_iter()
        .rfind(|r| r.method == "PUT")
        .unwrap();
    assert_eq!(
        put.body_json(),
        serde_json::json!({"Name": "Norðurljós og synir ehf."}),
        "only the change, never the number"
    );
}

#[tokio::test]
async fn a_phone_cleared_in_moment_is_cleared_in_dkplus() {
    let (world, _demo) = world().await;
    let _ = world.engine.transfer_customer(CustomerId::new(101)).await;
    world
        .moment
        .update_customer(CustomerId::new(101), |c| c.phone = None);
    let changed = world.engine.transfer_customer(CustomerId::new(101)).await;
    assert_eq!(changed.outcomes[0].status, OutcomeStatus::Updated);
    let stored = world
        .dkplus
        .customers()
        .into_iter()
        .find(|c| c.number.as_ref().is_some_and(|n| n.as_str() == "10001"))
        .unwrap();
    assert_eq!(stored.phone.as_deref(), Some(""));
    let again = world.engine.transfer_customer(CustomerId::new(101)).await;
    assert_eq!(again.outcomes[0].status, OutcomeStatus::Unchanged);
    assert_eq!(world.dkplus.contract_violations(), vec![]);
}

#[tokio::test]
async fn project_changes_are_warnings_because_dkplus_cannot_update_projects() {
    let (world, _demo) = world().await;
    let _ = world.engine.transfer_project(ProjectId::new(201)).await;
    world
        .moment
        .update_project(ProjectId::new(201), |p| p.name = Some("Nýtt nafn".into()));
    let report = world.engine.transfer_project(ProjectId::new(201)).await;
    let outcome = &report.outcomes[0];
    assert_eq!(outcome.status, OutcomeStatus::AlreadyPresent);
    assert!(
        matches!(
            &outcome.warnings[..],
            [Warning::ProjectDrift { field: "name", .. }]
        ),
        "{:?}",
        outcome.warnings
    );
    assert_eq!(world.dkplus.count("POST", "/project"), 1);
}

#[tokio::test]
async fn an_existing_invoice_with_our_reference_but_another_customer_is_a_conflict() {
    let (world, _demo) = world().await;
    world.dkplus.add_invoice(dkplus_client::SalesInvoice {
        number: Some(dkplus_client::InvoiceNumber::new("77")),
        reference: Some("1002".into()),
        customer_number: Some(dkplus_client::CustomerNumber::new("99999")),
        total_amount: Some(dec!(5)),
        ..Default::default()
    });
    let report = world.engine.transfer_invoice(InvoiceId::new(502)).await;
    let failure = report.outcomes[0].failure().expect("conflict");
    assert!(
        matches!(failure, SyncFailure::ReferenceConflict { .. }),
        "{failure}"
    );
    assert!(failure.to_string().contains("DK+ invoice 77"), "{failure}");
    assert_eq!(world.dkplus.invoices().len(), 1, "nothing posted");
}

#[tokio::test]
async fn number_series_out_of_step_is_a_warning() {
    for (series, expect_warning) in [(5000, true), (1001, false)] {
        let dkplus = dkplus_client::testing::FakeDkPlus::builder()
            .invoice_number_series(series)
            .start()
            .await;
        let moment = moment_client::testing::FakeMoment::start().await;
        let world = FakeWorld::assemble(moment, dkplus, config(), |m| m, |d| d).unwrap();
        DemoCompany::seed(&world);
        let report = world.engine.transfer_invoice(InvoiceId::new(501)).await;
        let outcome = invoice_outcome(&report, 501);
        assert_eq!(
            outcome.dkplus_number.as_deref(),
            Some(series.to_string().as_str())
        );
        let warned = report.warnings.iter().any(|w| {
            matches!(w, Warning::NumberSeriesOutOfStep { count: 1, first_moment, first_dkplus, .. } if first_moment == "1001" && *first_dkplus == series.to_string())
        });
        assert_eq!(warned, expect_warning, "{:?}", report.warnings);
    }
}

#[tokio::test]
async fn a_dry_run_reads_dkplus_but_writes_nothing() {
    let (world, _demo) = world().await;
    let dry = moment_dkplus_mapping::DryRun::new(world.dkplus.client().unwrap());
    let engine = SyncEngine::new(world.moment.client().unwrap(), &dry, config());
    let report = engine.backfill(since()).await;
    assert!(world.dkplus.customers().is_empty());
    assert!(world.dkplus.invoices().is_empty());
    assert_eq!(world.dkplus.count("POST", "/sales/invoice"), 0);
    assert_eq!(
        world.dkplus.count("POST", "/Customer") + world.dkplus.count("POST", "/Product"),
        0
    );
    let planned = dry.planned();
    let kinds: Vec<String> = planned.iter().map(|w| w.describe().0).collect();
    assert_eq!(
        kinds
            .iter()
            .filter(|k| k.starts_with("POST /Customer"))
            .count(),
        3,
        "{kinds:?}"
    );
    assert_eq!(
        kinds
            .iter()
            .filter(|k| k.starts_with("POST /project"))
            .count(),
        2,
        "{kinds:?}"
    );
    assert_eq!(
        kinds
            .iter()
            .filter(|k| k.starts_with("POST /product"))
            .count(),
        2,
        "{kinds:?}"
    );
    assert_eq!(
        kinds
            .iter()
            .filter(|k| k.starts_with("POST /sales/invoice"))
            .count(),
        3,
        "{kinds:?}"
    );
    let invoice_bodies: Vec<String> = planned
        .iter()
        .map(|w| w.describe())
        .filter(|(line, _)| line.starts_with("POST /sales/invoice"))
        .map(|(_, body)| body)
        .collect();
    assert!(
        invoice_bodies
            .iter()
            .any(|b| b.contains("\"Reference\": \"1001\"")),
        "{invoice_bodies:?}"
    );
    // Customers, projects, products and invoices — each said as what would be done.
    assert_eq!(report.counts.created, 3 + 2 + 2 + 3);
    for outcome in &report.outcomes {
        assert!(outcome.planned, "{outcome}");
        let line = outcome.to_string();
        assert!(
            !line.contains(": created") && !line.contains(": posted"),
            "{line}"
        );
    }
    assert!(
        report
            .outcomes
            .iter()
            .any(|o| o.to_string().contains("would be posted"))
    );
    // Running the same plan again in the same dry run sees its own planned writes.
    let again = engine.backfill(since()).await;
    assert_eq!(again.counts.created, 0, "{:#?}", again.outcomes);
}

#[tokio::test]
async fn a_customer_dkplus_already_has_is_not_remapped_for_an_invoice() {
    let (world, _demo) = world().await;
    world.dkplus.add_customer(dkplus_client::Customer {
        number: Some(dkplus_client::CustomerNumber::new("10002")),
        name: Some("Jón Jónsson".into()),
        ..Default::default()
    });
    // A customer-record problem (not an invoice rule) that would stop a customer transfer.
    world.moment.update_customer(CustomerId::new(102), |c| {
        c.country_code = Some("ISL".into())
    });
    let report = world.engine.transfer_invoice(InvoiceId::new(502)).await;
    assert_eq!(
        report.outcomes[0].status,
        OutcomeStatus::Created,
        "{}",
        report.outcomes[0]
    );
    assert_eq!(world.dkplus.count("POST", "/Customer"), 0);
    let customer = world.engine.transfer_customer(CustomerId::new(102)).await;
    assert!(
        customer.outcomes[0]
            .failure()
            .unwrap()
            .to_string()
            .contains("\"ISL\"")
    );
}

#[tokio::test]
async fn concurrent_operations_create_shared_customers_projects_and_products_once() {
    for _ in 0..10 {
        let (world, _demo) = world().await;
        // 1001 and 1003 share customer 10001, project P-100 and product codes.
        let events: Vec<_> = [501, 503, 501, 503]
            .into_iter()
            .map(|id| {
                event(
                    &world
                        .moment
                        .webhook_body_for_invoice(InvoiceId::new(id), "CREATE_NEW")
                        .unwrap(),
                )
            })
            .collect();
        let (a, b, c, d, e) = tokio::join!(
            world.engine.handle_webhook(&events[0]),
            world.engine.handle_webhook(&events[1]),
            world.engine.handle_webhook(&events[2]),
            world.engine.handle_webhook(&events[3]),
            world.engine.transfer_customer(CustomerId::new(101)),
        );
        for report in [a, b, c, d, e] {
            assert!(report.is_clean(), "{:#?}", report.outcomes);
        }
        assert_eq!(references(&world), ["1001", "1003"]);
        assert_eq!(world.dkplus.count("POST", "/Customer"), 1);
        assert_eq!(world.dkplus.count("POST", "/project"), 1);
        assert_eq!(world.dkplus.count("POST", "/sales/invoice"), 2);
    }
}

/// A DK+ where another writer creates each customer just before we do: our create gets 409.
struct RacedDkPlus<'a> {
    inner: dkplus_client::DkPlusClient,
    fake: &'a dkplus_client::testing::FakeDkPlus,
}

#[async_trait::async_trait]
impl moment_dkplus_mapping::DkPlusTarget for RacedDkPlus<'_> {
    async fn verify(&self) -> moment_dkplus_mapping::ports::PortResult<bool> {
        moment_dkplus_mapping::DkPlusTarget::verify(&self.inner).await
    }
    async fn sales_person(
        &self,
        n: &dkplus_client::SalesPersonNumber,
    ) -> moment_dkplus_mapping::ports::PortResult<Option<dkplus_client::SalesPerson>> {
        self.inner.sales_person(n).await
    }
    async fn customer(
        &self,
        n: &dkplus_client::CustomerNumber,
    ) -> moment_dkplus_mapping::ports::PortResult<Option<dkplus_client::Customer>> {
        moment_dkplus_mapping::DkPlusTarget::customer(&self.inner, n).await
    }
    async fn create_customer(
        &self,
        c: &dkplus_client::CustomerWrite,
    ) -> moment_dkplus_mapping::ports::PortResult<()> {
        // Another process of the integration got there first, with the same data.
        self.fake.add_customer(dkplus_client::Customer {
            number: c.number.clone(),
            name: c.name.clone(),
            ..Default::default()
        });
        Err(moment_dkplus_mapping::PortError::new(
            moment_dkplus_mapping::ports::System::DkPlus,
            moment_dkplus_mapping::PortErrorKind::Rejected,
            "DK+ answered 409 Conflict: Customer exists with this Number.",
        )
        .with_status(409))
    }
    async fn update_customer(
        &self,
        n: &dkplus_client::CustomerNumber,
        c: &dkplus_client::CustomerWrite,
    ) -> moment_dkplus_mapping::ports::PortResult<()> {
        self.inner.update_customer(n, c).await
    }
    async fn project(
        &self,
        n: &dkplus_client::ProjectNumber,
    ) -> moment_dkplus_mapping::ports::PortResult<Option<dkplus_client::Project>> {
        moment_dkplus_mapping::DkPlusTarget::project(&self.inner, n).await
    }
    async fn create_project(
        &self,
        p: &dkplus_client::ProjectCreate,
    ) -> moment_dkplus_mapping::ports::PortResult<()> {
        self.inner.create_project(p).await
    }
    async fn product(
        &self,
        c: &dkplus_client::ItemCode,
    ) -> moment_dkplus_mapping::ports::PortResult<Option<dkplus_client::Product>> {
        moment_dkplus_mapping::DkPlusTarget::product(&self.inner, c).await
    }
    async fn create_product(
        &self,
        p: &dkplus_client::ProductCreate,
    ) -> moment_dkplus_mapping::ports::PortResult<()> {
        self.inner.create_product(p).await
    }
    async fn invoices_by_reference(
        &self,
        r: &str,
    ) -> moment_dkplus_mapping::ports::PortResult<Vec<dkplus_client::SalesInvoice>> {
        self.inner.invoices_by_reference(r).await
    }
    async fn create_invoice(
        &self,
        i: &dkplus_client::SalesInvoiceCreate,
    ) -> moment_dkplus_mapping::ports::PortResult<dkplus_client::SalesInvoice> {
        self.inner.create_invoice(i).await
    }
    async fn list_invoices(
        &self,
        q: &moment_dkplus_mapping::ports::InvoiceQuery,
    ) -> moment_dkplus_mapping::ports::PortResult<Vec<dkplus_client::SalesInvoice>> {
        self.inner.list_invoices(q).await
    }
    async fn search_customers(
        &self,
        text: &str,
        max: u32,
    ) -> moment_dkplus_mapping::ports::PortResult<Vec<dkplus_client::Customer>> {
        self.inner.search_customers(text, max).await
    }
}

#[tokio::test]
async fn a_record_created_by_someone_else_meanwhile_is_taken_as_existing() {
    let (world, _demo) = world().await;
    let raced = RacedDkPlus {
        inner: world.dkplus.client().unwrap(),
        fake: &world.dkplus,
    };
    let engine = SyncEngine::new(world.moment.client().unwrap(), raced, config());
    // A customer transfer: the 409 turns into an update of the record the other writer made.
    let report = engine.transfer_customer(CustomerId::new(101)).await;
    assert_eq!(
        report.outcomes[0].status,
        OutcomeStatus::Updated,
        "{}",
        report.outcomes[0]
    );
    let stored = world
        .dkplus
        .customers()
        .into_iter()
        .find(|c| c.number.as_ref().is_some_and(|n| n.as_str() == "10001"))
        .unwrap();
    assert_eq!(stored.name.as_deref(), Some("Norðurljós ehf."));
    // An invoice whose customer is raced the same way still goes through.
    let report = engine.transfer_invoice(InvoiceId::new(502)).await;
    assert_eq!(
        report.outcomes[0].status,
        OutcomeStatus::Created,
        "{}",
        report.outcomes[0]
    );
}

#[tokio::test]
async fn a_backfill_posts_invoices_in_moments_number_order() {
    for _ in 0..5 {
        // DK+'s series is in step with Moment's: posting in Moment's order keeps them equal.
        let dkplus = dkplus_client::testing::FakeDkPlus::builder()
            .invoice_number_series(1001)
            .start()
            .await;
        let moment = moment_client::testing::FakeMoment::start().await;
        let world = FakeWorld::assemble(moment, dkplus, config(), |m| m, |d| d).unwrap();
        DemoCompany::seed(&world);
        let report = world.engine.backfill(since()).await;
        for (moment_id, number) in [(501, "1001"), (502, "1002"), (503, "1003")] {
            let outcome = invoice_outcome(&report, moment_id);
            assert_eq!(outcome.dkplus_number.as_deref(), Some(number), "{outcome}");
            assert!(
                !outcome
                    .warnings
                    .iter()
                    .any(|w| matches!(w, Warning::NumberSeriesOutOfStep { .. })),
                "{outcome}"
            );
        }
    }
}

#[tokio::test]
async fn posting_out_of_order_is_possible_when_turned_off() {
    let config = IntegrationConfig::builder()
        .sales_person("vef")
        .post_invoices_in_order(false)
        .concurrency(8)
        .build()
        .unwrap();
    let world = FakeWorld::start(config).await.unwrap();
    DemoCompany::seed(&world);
    let report = world.engine.backfill(since()).await;
    assert_eq!(
        report.counts.created,
        3 + 2 + 2 + 3,
        "{:#?}",
        report.outcomes
    );
    assert_eq!(references(&world), ["1001", "1002", "1003"]);
}

#[tokio::test]
async fn an_invoice_with_an_unknown_state_is_reported_not_skipped() {
    let (world, _demo) = world().await;
    world.moment.update_invoice(InvoiceId::new(502), |i| {
        i.state = Some(moment_client::InvoiceState::Unknown("ARCHIVED".into()))
    });
    let body = world
        .moment
        .webhook_body_for_invoice(InvoiceId::new(502), "UPDATE")
        .unwrap();
    let report = world.engine.handle_webhook(&event(&body)).await;
    let failure = report.outcomes[0].failure().expect("reported as a failure");
    assert!(failure.to_string().contains("\"ARCHIVED\""), "{failure}");
    assert!(!report.is_clean());
    assert_eq!(world.notifier.reports().len(), 1);
    assert!(world.dkplus.invoices().is_empty());
}

#[tokio::test]
async fn a_product_whose_vat_is_unknown_is_not_created() {
    let (world, _demo) = world().await;
    // Invoice 1002's licence product: its account and the line lose their VAT percentage.
    world
        .moment
        .update_financial_account(moment_client::FinancialAccountId::new(302), |a| {
            a.current_vat_percentage = None
        });
    let report = world.engine.transfer_invoice(InvoiceId::new(502)).await;
    let failure = report.outcomes[0].failure().expect("refused").to_string();
    assert!(failure.contains("product LEYFI-ARS"), "{failure}");
    assert!(failure.contains("VAT percent is not known"), "{failure}");
    assert_eq!(world.dkplus.count("POST", "/Product"), 0);
    assert!(world.dkplus.invoices().is_empty());
}

#[tokio::test]
async fn a_vat_total_that_differs_from_moments_is_refused_before_posting() {
    let (world, _demo) = world().await;
    // Moment says 11 % VAT on the licence (216 000 → 239 760); DK+'s new product gets 11 % too,
    // so first the happy case, then a Moment total that does not match what DK+ would book.
    world.moment.update_invoice(InvoiceId::new(502), |i| {
        i.total_including_vat = Some(rust_decimal::Decimal::new(239_760, 0))
    });
    let report = world.engine.transfer_invoice(InvoiceId::new(502)).await;
    let outcome = &report.outcomes[0];
    assert_eq!(outcome.status, OutcomeStatus::Created, "{outcome}");
    world.moment.update_invoice(InvoiceId::new(501), |i| {
        i.total_including_vat = Some(rust_decimal::Decimal::new(317_650, 0)) // no VAT at all
    });
    let report = world.engine.transfer_invoice(InvoiceId::new(501)).await;
    let failure = report.outcomes[0].failure().expect("refused").to_string();
    assert!(
        failure.contains("317650") && failure.contains("393886"),
        "{failure}"
    );
    assert_eq!(world.dkplus.invoices().len(), 1, "only 1002 was posted");

    // With `TotalMismatch::Warn` it is posted, and the difference is a warning.
    let config = IntegrationConfig::builder()
        .sales_person("vef")
        .total_mismatch(moment_dkplus_mapping::TotalMismatch::Warn)
        .build()
        .unwrap();
    let warn = SyncEngine::new(
        world.moment.client().unwrap(),
        world.dkplus.client().unwrap(),
        config,
    );
    let report = warn.transfer_invoice(InvoiceId::new(501)).await;
    let outcome = &report.outcomes[0];
    assert_eq!(outcome.status, OutcomeStatus::Created, "{outcome}");
    assert!(
        outcome.warnings.iter().any(|w| matches!(
            w,
            Warning::VatTotalMismatch { moment, .. } if *moment == rust_decimal::Decimal::new(317_650, 0)
        )),
        "{outcome:?}"
    );
}

#[tokio::test]
async fn the_backfill_window_stays_open_until_every_failure_is_fixed() {
    let (world, demo) = world().await;
    let since = since();
    let first = world.engine.backfill(since).await;
    // 1004 fails for its customer's kennitala: fixing the customer does not change the invoice,
    // so the next backfill must list the invoice again.
    assert_eq!(first.next_backfill_since(since), since);
    world
        .moment
        .update_customer(demo.customer_without_kennitala, |c| {
            c.organization_number = Some("560907-1330".into())
        });
    let second = world
        .engine
        .backfill(first.next_backfill_since(since))
        .await;
    assert!(second.is_clean(), "{:#?}", second.outcomes);
    assert_eq!(references(&world), ["1001", "1002", "1003", "1004"]);
    assert!(second.next_backfill_since(since) > since);
}
