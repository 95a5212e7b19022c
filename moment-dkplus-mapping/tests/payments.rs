//! Paid status back to Moment, end to end against the fake Moment and the fake DK+: payments
//! in parts over several runs, credit notes, two processes at once, and Moment or DK+ failing
//! mid-run — each payment registered once, never more than DK+ shows as settled.

use std::sync::Arc;
use std::time::Duration;

use chrono::{Duration as Days, Utc};
use moment_client::InvoiceId;
use moment_dkplus_mapping::store::{MemoryStore, Scope, Store};
use moment_dkplus_mapping::testing::{DemoCompany, FakeWorld};
use moment_dkplus_mapping::{IntegrationConfig, SyncEngine};
use rust_decimal::Decimal;
use rust_decimal_macros::dec;

fn config() -> IntegrationConfig {
    IntegrationConfig::builder()
        .sales_person("vef")
        .claim_lease(Duration::from_secs(1))
        .settle_time(Duration::from_secs(2))
        .build()
        .unwrap()
}

type Engine = SyncEngine<moment_client::MomentClient, dkplus_client::DkPlusClient>;

/// An engine over the world's fakes on `store` (as another process would be).
fn engine(world: &FakeWorld, store: &Arc<dyn Store>) -> Engine {
    SyncEngine::new(
        world.moment.client().unwrap(),
        world.dkplus.client().unwrap(),
        config(),
    )
    .with_store(store.clone(), Scope::new("acme", "dk"))
}

/// The demo company transferred: 1001 (393.886 with VAT), 1002 and credit note 1003 in DK+.
async fn transferred() -> (FakeWorld, Arc<dyn Store>) {
    let world = FakeWorld::start(config()).await.unwrap();
    DemoCompany::seed(&world);
    let store: Arc<dyn Store> = Arc::new(MemoryStore::new());
    let report = engine(&world, &store)
        .backfill(Utc::now() - Days::days(30))
        .await;
    assert_eq!(report.counts.failed, 1, "1004 needs a kennitala");
    (world, store)
}

fn dkplus_invoice(world: &FakeWorld, reference: &str) -> (String, Decimal) {
    let invoice = world
        .dkplus
        .invoices()
        .into_iter()
        .find(|i| i.reference.as_deref() == Some(reference))
        .expect("booked");
    (
        invoice.number.unwrap().to_string(),
        invoice.total_amount_with_tax.unwrap(),
    )
}

/// What Moment holds for invoice `id`: (external id, amount) of each payment.
fn moment_payments(world: &FakeWorld, id: i64) -> Vec<(String, Decimal)> {
    world
        .moment
        .payments(InvoiceId::new(id))
        .into_iter()
        .map(|p| {
            (
                p.external_id.unwrap_or_default(),
                p.amount.unwrap_or_default(),
            )
        })
        .collect()
}

#[tokio::test]
async fn an_invoice_paid_in_two_parts_over_two_runs_gets_two_payments_once_each() {
    let (world, store) = transferred().await;
    let engine = engine(&world, &store);
    let (n1001, total) = dkplus_invoice(&world, "1001");

    let report = engine.sync_payments().await;
    assert!(
        report.registered.is_empty() && report.is_clean(),
        "{report:#?}"
    );

    assert!(world.dkplus.settle_invoice(&n1001, dec!(100000)));
    let report = engine.sync_payments().await;
    assert_eq!(report.registered.len(), 1, "{report:#?}");
    assert_eq!(report.registered[0].amount, dec!(100000));
    // Nothing new: nothing registered.
    assert!(engine.sync_payments().await.registered.is_empty());

    assert!(world.dkplus.settle_invoice(&n1001, total));
    let report = engine.sync_payments().await;
    assert_eq!(report.registered.len(), 1, "{report:#?}");
    assert_eq!(report.registered[0].amount, total - dec!(100000));
    assert_eq!(report.registered[0].sequence, 2);
    assert!(engine.sync_payments().await.registered.is_empty());

    assert_eq!(
        moment_payments(&world, 501),
        [
            ("dkplus:1001:1".to_owned(), dec!(100000)),
            ("dkplus:1001:2".to_owned(), total - dec!(100000)),
        ]
    );
    let sum: Decimal = moment_payments(&world, 501).iter().map(|(_, a)| a).sum();
    assert_eq!(sum, total, "never more than DK+ settled");
}

#[tokio::test]
async fn a_credit_note_nets_against_its_invoice_and_gets_no_payment() {
    let (world, store) = transferred().await;
    let engine = engine(&world, &store);
    let (n1001, total) = dkplus_invoice(&world, "1001");
    let (n1003, credit) = dkplus_invoice(&world, "1003");
    assert!(credit < Decimal::ZERO);
    // The credit note is matched to 1001 in DK+: both show it settled.
    assert!(world.dkplus.settle_invoice(&n1003, credit));
    assert!(world.dkplus.settle_invoice(&n1001, credit.abs()));
    let report = engine.sync_payments().await;
    assert!(
        report.registered.is_empty(),
        "a credit is not a payment: {report:#?}"
    );

    // The customer pays the rest.
    assert!(world.dkplus.settle_invoice(&n1001, total));
    let report = engine.sync_payments().await;
    assert_eq!(report.registered.len(), 1, "{report:#?}");
    assert_eq!(report.registered[0].amount, total - credit.abs());
    assert!(
        moment_payments(&world, 503).is_empty(),
        "no payment on the credit note"
    );
}

#[tokio::test]
async fn two_processes_syncing_at_once_register_each_payment_once() {
    let (world, store) = transferred().await;
    let (n1001, total) = dkplus_invoice(&world, "1001");
    let (n1002, total_1002) = dkplus_invoice(&world, "1002");
    assert!(world.dkplus.settle_invoice(&n1001, total));
    assert!(world.dkplus.settle_invoice(&n1002, dec!(1000)));
    world.moment.set_latency(Some(Duration::from_millis(30)));
    let (one, two) = (engine(&world, &store), engine(&world, &store));
    let (a, b) = tokio::join!(one.sync_payments(), two.sync_payments());
    assert_eq!(a.registered.len() + b.registered.len(), 2, "{a:#?}\n{b:#?}");
    assert_eq!(moment_payments(&world, 501).len(), 1);
    assert_eq!(moment_payments(&world, 502).len(), 1);
    // Both again, after more of 1002 is paid: one more payment, once.
    assert!(world.dkplus.settle_invoice(&n1002, total_1002));
    let (a, b) = tokio::join!(one.sync_payments(), two.sync_payments());
    assert_eq!(a.registered.len() + b.registered.len(), 1, "{a:#?}\n{b:#?}");
    let amounts: Vec<Decimal> = moment_payments(&world, 502)
        .iter()
        .map(|(_, a)| *a)
        .collect();
    assert_eq!(amounts, [dec!(1000), total_1002 - dec!(1000)]);
}

#[tokio::test]
async fn a_lost_answer_from_moment_is_looked_up_not_sent_again() {
    let (world, store) = transferred().await;
    let engine = engine(&world, &store);
    let (n1001, total) = dkplus_invoice(&world, "1001");
    assert!(world.dkplus.settle_invoice(&n1001, total));

    // Moment stores the payment, and its answer is lost.
    world.moment.store_then_fail_next_payment();
    let report = engine.sync_payments().await;
    assert!(report.registered.is_empty());
    assert_eq!(report.waiting, ["1001"], "unclear, not failed: {report:#?}");
    assert_eq!(moment_payments(&world, 501).len(), 1);
    // Within the settle time it waits.
    let report = engine.sync_payments().await;
    assert_eq!(report.waiting, ["1001"], "{report:#?}");
    // After it, Moment's payments show it: recorded, not sent again.
    tokio::time::sleep(Duration::from_millis(2100)).await;
    let report = engine.sync_payments().await;
    assert_eq!(report.registered.len(), 1, "{report:#?}");
    assert!(report.registered[0].found_in_moment);
    assert_eq!(moment_payments(&world, 501).len(), 1, "registered once");
    assert!(engine.sync_payments().await.registered.is_empty());
}

#[tokio::test]
async fn moment_or_dkplus_down_mid_run_loses_nothing_and_doubles_nothing() {
    let (world, store) = transferred().await;
    let engine = engine(&world, &store);
    let (n1001, total) = dkplus_invoice(&world, "1001");
    let (n1002, total_1002) = dkplus_invoice(&world, "1002");
    assert!(world.dkplus.settle_invoice(&n1001, total));
    assert!(world.dkplus.settle_invoice(&n1002, total_1002));

    // DK+ down: nothing is read, nothing registered.
    world.dkplus.fail_next(10, 503);
    let report = engine.sync_payments().await;
    assert!(
        report.stopped.is_some() && report.registered.is_empty(),
        "{report:#?}"
    );
    world.dkplus.clear_faults();

    // Moment down (every request answered 503, also after the client's retries): the run
    // stops at the first invoice, nothing is registered, nothing is lost.
    world.moment.fail_next(50, 503);
    let report = engine.sync_payments().await;
    assert!(
        report.stopped.is_some() && report.registered.is_empty(),
        "{report:#?}"
    );
    world.moment.clear_faults();
    // Back: each invoice paid once in Moment.
    let report = engine.sync_payments().await;
    assert_eq!(report.registered.len(), 2, "{report:#?}");
    assert!(engine.sync_payments().await.registered.is_empty());
    assert_eq!(
        moment_payments(&world, 501),
        [("dkplus:1001:1".to_owned(), total)]
    );
    assert_eq!(
        moment_payments(&world, 502),
        [("dkplus:1002:1".to_owned(), total_1002)]
    );
}

#[tokio::test]
async fn a_payment_a_person_registered_in_moment_is_not_registered_again() {
    let (world, store) = transferred().await;
    let engine = engine(&world, &store);
    let (n1001, total) = dkplus_invoice(&world, "1001");
    world.moment.add_payment(
        InvoiceId::new(501),
        dec!(50000),
        chrono::NaiveDate::from_ymd_opt(2026, 11, 20).unwrap(),
    );
    assert!(world.dkplus.settle_invoice(&n1001, total));
    let report = engine.sync_payments().await;
    assert_eq!(report.registered.len(), 1, "{report:#?}");
    assert_eq!(report.registered[0].amount, total - dec!(50000));
    let sum: Decimal = moment_payments(&world, 501).iter().map(|(_, a)| a).sum();
    assert_eq!(sum, total, "Moment never shows more paid than DK+");
}

#[tokio::test]
async fn a_lost_answer_is_counted_even_when_moment_drops_the_external_id() {
    let (world, store) = transferred().await;
    let engine = engine(&world, &store);
    let (n1001, total) = dkplus_invoice(&world, "1001");
    assert!(world.dkplus.settle_invoice(&n1001, total));
    world.moment.drop_payment_external_ids(true);
    world.moment.store_then_fail_next_payment();
    let report = engine.sync_payments().await;
    assert!(report.registered.is_empty(), "{report:#?}");
    tokio::time::sleep(Duration::from_millis(2100)).await;
    for _ in 0..2 {
        let report = engine.sync_payments().await;
        assert!(report.registered.is_empty(), "{report:#?}");
    }
    assert_eq!(moment_payments(&world, 501).len(), 1, "never sent twice");
}

#[tokio::test]
async fn a_settled_credit_note_moment_cannot_trace_holds_back_its_customers_payments() {
    let (world, store) = transferred().await;
    let engine = engine(&world, &store);
    let (n1001, _) = dkplus_invoice(&world, "1001");
    let (n1003, credit) = dkplus_invoice(&world, "1003");
    // Moment no longer says which invoice 1003 credits.
    world
        .moment
        .update_invoice(InvoiceId::new(503), |i| i.credited_invoice = None);
    assert!(world.dkplus.settle_invoice(&n1003, credit));
    assert!(world.dkplus.settle_invoice(&n1001, credit.abs()));
    let report = engine.sync_payments().await;
    assert!(
        report.registered.is_empty(),
        "a credit is never taken for cash: {report:#?}"
    );
    assert_eq!(report.failed.len(), 1, "{report:#?}");
    assert_eq!(report.failed[0].0, "1001");
    assert!(moment_payments(&world, 501).is_empty());
}

/// A credit note booked in DK+ by hand for customer 10001, settled.
fn manual_credit_note(number: &str) -> dkplus_client::SalesInvoice {
    dkplus_client::SalesInvoice {
        number: Some(dkplus_client::InvoiceNumber::new(number)),
        reference: Some("handvirkt".into()),
        customer_number: Some("10001".into()),
        invoice_date: chrono::NaiveDate::from_ymd_opt(2026, 11, 10),
        total_amount: Some(dec!(-10000)),
        total_amount_with_tax: Some(dec!(-12400)),
        settled_amount: Some(dec!(-12400)),
        settled_type: Some(2),
        ..Default::default()
    }
}

#[tokio::test]
async fn a_settled_credit_note_booked_by_hand_in_dkplus_holds_back_the_customer() {
    let (world, store) = transferred().await;
    let engine = engine(&world, &store);
    let (n1001, total) = dkplus_invoice(&world, "1001");
    world.dkplus.add_invoice(manual_credit_note("95001"));
    assert!(world.dkplus.settle_invoice(&n1001, total));
    let report = engine.sync_payments().await;
    assert!(report.registered.is_empty(), "{report:#?}");
    assert_eq!(report.failed.len(), 1, "{report:#?}");
    assert!(report.failed[0].1.contains("95001"), "{report:#?}");
    // Another customer's invoice is not held back.
    let (n1002, total_1002) = dkplus_invoice(&world, "1002");
    assert!(world.dkplus.settle_invoice(&n1002, total_1002));
    let report = engine.sync_payments().await;
    assert_eq!(report.registered.len(), 1, "{report:#?}");
    assert_eq!(report.registered[0].reference, "1002");
}

#[tokio::test]
async fn a_credit_note_dkplus_held_before_going_live_holds_nothing_back() {
    let world = FakeWorld::start(config()).await.unwrap();
    DemoCompany::seed(&world);
    // In DK+ before the integration went live: seeded into the ledger on the first run.
    world.dkplus.add_invoice(manual_credit_note("80001"));
    let store: Arc<dyn Store> = Arc::new(MemoryStore::new());
    let engine = engine(&world, &store);
    let report = engine.backfill(Utc::now() - Days::days(30)).await;
    assert_eq!(report.counts.failed, 1, "1004 needs a kennitala");
    let (n1001, total) = dkplus_invoice(&world, "1001");
    assert!(world.dkplus.settle_invoice(&n1001, total));
    let report = engine.sync_payments().await;
    assert_eq!(report.registered.len(), 1, "{report:#?}");
    assert_eq!(report.registered[0].amount, total);
}
