//! What an invoice costs in DK+ requests: one POST once the ledger knows DK+'s invoices and the
//! store knows its customer, project and products — and never a duplicate for it.

use chrono::{Duration as Days, NaiveDate, Utc};
use dkplus_client::{InvoiceNumber, SalesInvoice};
use moment_client::{Invoice, InvoiceId, InvoiceNumber as MomentNumber};
use moment_dkplus_mapping::IntegrationConfig;
use moment_dkplus_mapping::sync::OutcomeStatus;
use moment_dkplus_mapping::testing::{DemoCompany, FakeWorld};
use rust_decimal_macros::dec;

fn config() -> IntegrationConfig {
    IntegrationConfig::builder()
        .sales_person("vef")
        .build()
        .unwrap()
}

async fn world() -> (FakeWorld, DemoCompany) {
    let world = FakeWorld::start(config()).await.unwrap();
    let demo = DemoCompany::seed(&world);
    (world, demo)
}

/// Copies of the demo's invoice 501 (customer 10001, RADGJOF lines) under new ids and numbers.
fn new_invoices(world: &FakeWorld, count: i64) -> Vec<String> {
    let template: Invoice = world.moment.get(InvoiceId::new(501)).expect("invoice 501");
    (0..count)
        .map(|i| {
            let number = format!("{}", 5000 + i);
            let mut copy = template.clone();
            copy.id = InvoiceId::new(9000 + i);
            copy.invoice_number = Some(MomentNumber::new(number.clone()));
            copy.last_modified_date = None;
            world.moment.insert(copy);
            number
        })
        .collect()
}

fn booked(world: &FakeWorld, reference: &str) -> usize {
    world
        .dkplus
        .invoices()
        .iter()
        .filter(|i| i.reference.as_deref() == Some(reference))
        .count()
}

#[tokio::test]
async fn new_invoices_of_known_customers_cost_one_dkplus_request_each() {
    let (world, demo) = world().await;
    let first = world.engine.catch_up(Utc::now() - Days::days(30)).await;
    assert_eq!(
        first.counts.failed, 1,
        "only the demo's bad invoice: {first:#?}"
    );
    assert!(!demo.valid_invoices.is_empty());

    let since = Utc::now();
    let references = new_invoices(&world, 20);
    let before = world.dkplus.counts();
    let report = world.engine.backfill(since).await;
    assert_eq!(report.counts.failed, 0, "{report:#?}");
    assert_eq!(report.counts.created, 20, "{report:#?}");

    let after = world.dkplus.counts();
    let spent: Vec<(String, u64)> = after
        .iter()
        .map(|(route, n)| (route.clone(), n - before.get(route).copied().unwrap_or(0)))
        .filter(|(_, n)| *n > 0)
        .collect();
    let total: u64 = spent.iter().map(|(_, n)| n).sum();
    // 20 posts, and four requests per run: the connection check, DK+'s recent invoices for the
    // ledger (one page, and the empty one after it) and the sales-person check — no look-up by
    // reference, no customer, project or product read.
    assert_eq!(total, 24, "{spent:?}");
    for reference in &references {
        assert_eq!(booked(&world, reference), 1, "{reference}");
    }
}

#[tokio::test]
async fn an_invoice_someone_else_booked_after_going_live_is_found_not_posted_again() {
    let (world, _demo) = world().await;
    let first = world.engine.catch_up(Utc::now() - Days::days(30)).await;
    assert_eq!(first.counts.failed, 1, "only the demo's bad invoice");

    // Another system books Moment's next invoice in DK+ before the integration sees it.
    let references = new_invoices(&world, 1);
    world.dkplus.add_invoice(SalesInvoice {
        number: Some(InvoiceNumber::new("77001")),
        reference: Some(references[0].clone()),
        customer_number: Some("10001".into()),
        customer_ssn: Some("4710080280".into()),
        invoice_date: NaiveDate::from_ymd_opt(2026, 11, 2),
        total_amount: Some(dec!(317650)),
        ..Default::default()
    });
    let report = world.engine.backfill(Utc::now() - Days::days(30)).await;
    let outcome = report
        .outcomes
        .iter()
        .find(|o| o.moment_id.get() == 9000)
        .expect("an outcome for the new invoice");
    assert_eq!(outcome.status, OutcomeStatus::AlreadyPresent, "{outcome}");
    assert_eq!(outcome.dkplus_number.as_deref(), Some("77001"));
    assert_eq!(booked(&world, &references[0]), 1);
}

#[tokio::test]
async fn a_vat_rate_fixed_in_dkplus_is_read_again_by_the_next_attempt() {
    let (world, _demo) = world().await;
    // DK+'s RADGJOF charges 11 %; Moment charges 24 %: refused.
    world.dkplus.add_product(dkplus_client::Product {
        item_code: Some("RADGJOF".into()),
        description: Some("Ráðgjöf".into()),
        tax_percent: Some(dec!(11)),
        ..Default::default()
    });
    let refused = world.engine.transfer_invoice(InvoiceId::new(501)).await;
    assert!(refused.outcomes[0].failure().is_some(), "{refused:#?}");

    // A person corrects the product in DK+; the retry posts at once, not after the recheck time.
    world.dkplus.add_product(dkplus_client::Product {
        item_code: Some("RADGJOF".into()),
        description: Some("Ráðgjöf".into()),
        tax_percent: Some(dec!(24)),
        ..Default::default()
    });
    let retried = world.engine.transfer_invoice(InvoiceId::new(501)).await;
    assert_eq!(
        retried.outcomes[0].status,
        OutcomeStatus::Created,
        "{retried:#?}"
    );
}

#[tokio::test]
async fn a_customer_changed_in_moment_is_read_from_dkplus_again() {
    let (world, demo) = world().await;
    let first = world.engine.catch_up(Utc::now() - Days::days(30)).await;
    assert_eq!(first.counts.failed, 1, "only the demo's bad invoice");
    let customer = demo.customers_with_kennitala[0];
    let reads = || world.dkplus.count("GET", "/Customer/{number}");

    let before = reads();
    let unchanged = world.engine.transfer_customer(customer).await;
    assert_eq!(unchanged.outcomes[0].status, OutcomeStatus::Unchanged);
    assert_eq!(reads(), before, "unchanged: no DK+ read");

    world
        .moment
        .update::<moment_client::Customer>(customer, |c| c.phone = Some("555 1234".into()));
    let report = world.engine.transfer_customer(customer).await;
    assert_eq!(reads(), before + 1, "changed in Moment: read and compared");
    assert_eq!(
        report.outcomes[0].status,
        OutcomeStatus::Updated,
        "{report:#?}"
    );

    // Another kennitala (DK+ keeps none on the customer): read, and its identity checked again.
    world
        .moment
        .update::<moment_client::Customer>(customer, |c| {
            c.organization_number = Some("5902697199".into())
        });
    let _ = world.engine.transfer_customer(customer).await;
    assert_eq!(
        reads(),
        before + 2,
        "a new kennitala is never taken on trust"
    );
}

#[tokio::test]
async fn a_dkplus_listing_that_hides_a_posted_invoice_sends_every_invoice_to_its_own_look_up() {
    // DK+ shows booked invoices a minute late — longer than the settle time allows for: the
    // ledger's update cannot be trusted, and the engine must notice.
    let config = IntegrationConfig::builder()
        .sales_person("vef")
        .claim_lease(std::time::Duration::from_secs(1))
        .settle_time(std::time::Duration::from_secs(2))
        .build()
        .unwrap();
    let world = FakeWorld::start(config).await.unwrap();
    let _demo = DemoCompany::seed(&world);
    world
        .dkplus
        .set_invoice_visibility_lag(Some(std::time::Duration::from_secs(60)));
    let first = world.engine.transfer_invoice(InvoiceId::new(501)).await;
    assert_eq!(first.outcomes[0].status, OutcomeStatus::Created);
    tokio::time::sleep(std::time::Duration::from_millis(1_500)).await;

    let look_ups = || {
        world
            .dkplus
            .count("GET", "/sales/invoice/reference/{reference}")
    };
    let before = look_ups();
    let second = world.engine.transfer_invoice(InvoiceId::new(502)).await;
    assert_eq!(
        second.outcomes[0].status,
        OutcomeStatus::Created,
        "{second:#?}"
    );
    assert!(
        look_ups() > before,
        "the listing did not show invoice 1001: 1002 must be looked up on its own"
    );
}
