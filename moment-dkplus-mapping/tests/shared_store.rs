//! Several engines (replicas, a cron backfill beside the receiver) on one store and one DK+:
//! every invoice is posted exactly once — on each store: shared memory, a SQLite file and
//! PostgreSQL.

mod stores;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use dkplus_client::testing::AfterStore;
use moment_client::{InvoiceId, MomentClient};
use moment_dkplus_mapping::ports::{PortError, PortErrorKind, System};
use moment_dkplus_mapping::store::{LedgerState, Scope, Store};
use moment_dkplus_mapping::sync::{OutcomeStatus, SyncFailure, SyncReport};
use moment_dkplus_mapping::testing::{DemoCompany, FakeWorld, Intercept};
use moment_dkplus_mapping::{DryRun, IntegrationConfig, SyncEngine};
use stores::{ALL, Kind, open, unique_scope};

const SETTLE: Duration = Duration::from_secs(4);

fn config() -> IntegrationConfig {
    IntegrationConfig::builder()
        .sales_person("vef")
        .claim_lease(Duration::from_secs(2))
        .settle_time(SETTLE)
        .build()
        .unwrap()
}

type Engine = SyncEngine<MomentClient, dkplus_client::DkPlusClient>;

/// An engine of its own (a replica) over the world's fakes and the shared store.
fn replica(world: &FakeWorld, store: &Arc<dyn Store>, scope: &Scope) -> Engine {
    SyncEngine::new(
        world.moment.client().unwrap(),
        world.dkplus.client().unwrap(),
        config(),
    )
    .with_store(store.clone(), scope.clone())
}

async fn demo(
    kind: Kind,
    test: &str,
) -> (
    FakeWorld,
    DemoCompany,
    Arc<dyn Store>,
    Scope,
    Option<stores::TempFile>,
) {
    let world = FakeWorld::start(config()).await.unwrap();
    let demo = DemoCompany::seed(&world);
    let (store, file) = open(kind, test).await;
    (world, demo, store, unique_scope(test), file)
}

/// DK+'s invoices by reference.
fn booked(world: &FakeWorld) -> BTreeMap<String, usize> {
    let mut by_reference = BTreeMap::new();
    for invoice in world.dkplus.invoices() {
        *by_reference
            .entry(invoice.reference.unwrap_or_default())
            .or_insert(0) += 1;
    }
    by_reference
}

fn assert_each_once(world: &FakeWorld, demo: &DemoCompany, kind: Kind) {
    let booked = booked(world);
    assert_eq!(
        booked.len(),
        demo.valid_invoices.len(),
        "{kind:?}: every valid invoice in DK+: {booked:?}"
    );
    assert!(
        booked.values().all(|n| *n == 1),
        "{kind:?}: an invoice posted twice: {booked:?}"
    );
}

fn since() -> chrono::DateTime<Utc> {
    Utc::now() - chrono::Duration::days(30)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_engines_backfilling_at_once_post_each_invoice_once() {
    for kind in ALL {
        let (world, demo, store, scope, _file) = demo(kind, "two-backfills").await;
        let (a, b) = (
            replica(&world, &store, &scope),
            replica(&world, &store, &scope),
        );
        let (first, second) = tokio::join!(a.backfill(since()), b.backfill(since()));
        // What one left to the other (its claim) or could not finish is done by a later run.
        let last = a.backfill(since()).await;
        assert_each_once(&world, &demo, kind);
        for report in [&first, &second, &last] {
            assert!(
                report
                    .outcomes
                    .iter()
                    .all(|o| !matches!(o.failure(), Some(SyncFailure::DuplicatesInDkPlus { .. }))),
                "{kind:?}"
            );
        }
        let posted = store.ledger(&scope).await.unwrap();
        let numbers: Vec<_> = posted
            .iter()
            .filter(|e| e.state == LedgerState::Posted)
            .map(|e| e.dkplus_number.clone())
            .collect();
        assert_eq!(
            numbers.len(),
            demo.valid_invoices.len(),
            "{kind:?}: {posted:#?}"
        );
        assert!(numbers.iter().all(Option::is_some), "{kind:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_webhook_on_one_replica_during_a_backfill_on_another_posts_once() {
    for kind in ALL {
        let (world, demo, store, scope, _file) = demo(kind, "webhook-and-backfill").await;
        let (receiver, cron) = (
            replica(&world, &store, &scope),
            replica(&world, &store, &scope),
        );
        let events: Vec<_> = demo
            .valid_invoices
            .iter()
            .map(|id| {
                let body = world
                    .moment
                    .webhook_body_for_invoice(*id, "CREATE_NEW")
                    .unwrap();
                moment_client::webhook::parse(body.as_bytes()).unwrap()
            })
            .collect();
        let webhooks = async {
            let mut reports = Vec::new();
            for event in &events {
                reports.push(receiver.handle_webhook(event).await);
            }
            reports
        };
        let (_hooks, _backfill) = tokio::join!(webhooks, cron.backfill(since()));
        let _ = cron.backfill(since()).await;
        assert_each_once(&world, &demo, kind);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lost_answer_on_one_engine_while_another_runs_posts_once() {
    for kind in ALL {
        let (world, demo, store, scope, _file) = demo(kind, "lost-elsewhere").await;
        let (a, b) = (
            replica(&world, &store, &scope),
            replica(&world, &store, &scope),
        );
        // A's post of 1002 is booked, and its answer is held back past A's client timeout.
        world
            .dkplus
            .store_then_fail_next_invoice(AfterStore::Status(502));
        let id = InvoiceId::new(502);
        let (first, second) = tokio::join!(a.transfer_invoice(id), b.transfer_invoice(id));
        let statuses = [&first, &second].map(|r| r.outcomes[0].status.clone());
        assert!(
            statuses.iter().all(|s| !matches!(
                s,
                OutcomeStatus::Failed(SyncFailure::DuplicatesInDkPlus { .. })
            )),
            "{kind:?}: {statuses:?}"
        );
        assert_eq!(
            world.dkplus.count("POST", "/sales/invoice"),
            1,
            "{kind:?}: {statuses:?}"
        );
        // Later runs of either find it done.
        let again = b.transfer_invoice(id).await;
        assert!(
            matches!(
                again.outcomes[0].status,
                OutcomeStatus::AlreadyPresent | OutcomeStatus::Created
            ),
            "{kind:?}: {}",
            again.outcomes[0]
        );
        assert_eq!(world.dkplus.count("POST", "/sales/invoice"), 1, "{kind:?}");
        let _ = &demo;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_post_dkplus_shows_only_later_is_not_posted_again_before_it_settles() {
    for kind in ALL {
        let (world, _demo, store, scope, _file) = demo(kind, "late").await;
        let (receiver, retry) = (
            replica(&world, &store, &scope),
            replica(&world, &store, &scope),
        );
        // DK+ stores the invoice, the gateway answers 502, and look-ups show it only 2 s later.
        world
            .dkplus
            .set_invoice_visibility_lag(Some(Duration::from_secs(2)));
        world
            .dkplus
            .store_then_fail_next_invoice(AfterStore::Status(502));
        let id = InvoiceId::new(501);
        let first = receiver.transfer_invoice(id).await;
        assert!(
            matches!(
                first.outcomes[0].failure(),
                Some(SyncFailure::OutcomeUnknown { .. })
            ),
            "{kind:?}: {}",
            first.outcomes[0]
        );
        // The receiver's retry, and another replica, right away: nothing is posted again.
        for engine in [&retry, &receiver] {
            let report: SyncReport = engine.transfer_invoice(id).await;
            assert!(
                matches!(
                    report.outcomes[0].failure(),
                    Some(SyncFailure::Settling { .. })
                ),
                "{kind:?}: {}",
                report.outcomes[0]
            );
        }
        assert_eq!(world.dkplus.count("POST", "/sales/invoice"), 1, "{kind:?}");
        // Once settled, it is looked up, found, and recorded: still one invoice.
        tokio::time::sleep(SETTLE + Duration::from_millis(200)).await;
        let settled = retry.transfer_invoice(id).await;
        assert_eq!(
            settled.outcomes[0].status,
            OutcomeStatus::AlreadyPresent,
            "{kind:?}: {}",
            settled.outcomes[0]
        );
        assert_eq!(world.dkplus.count("POST", "/sales/invoice"), 1, "{kind:?}");
        assert_eq!(world.dkplus.invoices().len(), 1, "{kind:?}");
        let entry = store.ledger_entry(&scope, "1001").await.unwrap().unwrap();
        assert_eq!(entry.state, LedgerState::Posted, "{kind:?}");
    }
}

#[tokio::test]
async fn going_live_against_a_dkplus_that_holds_the_invoices_posts_none_of_them() {
    for kind in ALL {
        // Moment's own integration booked 1001–1003 in DK+ before.
        let (world, demo, store, scope, _file) = demo(kind, "going-live").await;
        let before = replica(&world, &store, &scope);
        let _ = before.backfill(since()).await;
        let posts = world.dkplus.count("POST", "/sales/invoice");
        // An invoice booked in DK+ by hand, with a reference Moment does not have: only seeding
        // puts it in the ledger.
        world.dkplus.add_invoice(dkplus_client::SalesInvoice {
            number: Some(dkplus_client::InvoiceNumber::new("55555")),
            reference: Some("HAND-1".into()),
            customer_number: Some("10001".into()),
            ..Default::default()
        });
        // A new store (first run of this integration): its ledger is seeded from DK+ first.
        let (fresh, _file2) = open(kind, "going-live-fresh").await;
        let fresh_scope = unique_scope("going-live-fresh");
        let engine = replica(&world, &fresh, &fresh_scope);
        let report = engine.backfill(since()).await;
        assert_eq!(
            world.dkplus.count("POST", "/sales/invoice"),
            posts,
            "{kind:?}: nothing posted again"
        );
        let ledger = fresh.ledger(&fresh_scope).await.unwrap();
        assert!(
            ledger.len() >= demo.valid_invoices.len()
                && ledger.iter().all(|e| e.state == LedgerState::Posted),
            "{kind:?}: {ledger:#?}"
        );
        assert!(report.counts.created == 0, "{kind:?}: {:?}", report.counts);
        let by_hand = ledger.iter().find(|e| e.reference == "HAND-1");
        assert_eq!(
            by_hand.and_then(|e| e.dkplus_number.as_deref()),
            Some("55555"),
            "{kind:?}: seeded from DK+'s own invoices"
        );
        assert!(
            fresh
                .flag(&fresh_scope, "ledger_seeded_from_dkplus")
                .await
                .unwrap()
                .is_some(),
            "{kind:?}"
        );
    }
}

#[tokio::test]
async fn a_dry_run_leaves_the_shared_ledger_untouched() {
    for kind in ALL {
        let (world, _demo, store, scope, _file) = demo(kind, "dry").await;
        let dry = SyncEngine::new(
            world.moment.client().unwrap(),
            DryRun::new(world.dkplus.client().unwrap()),
            config(),
        )
        .with_store(store.clone(), scope.clone());
        let report = dry.backfill(since()).await;
        assert!(report.dry_run);
        assert!(store.ledger(&scope).await.unwrap().is_empty(), "{kind:?}");
        // A real run afterwards posts everything.
        let real = replica(&world, &store, &scope);
        let _ = real.backfill(since()).await;
        assert!(!world.dkplus.invoices().is_empty(), "{kind:?}");
    }
}

#[tokio::test]
async fn catching_up_keeps_its_place_and_tries_again_what_failed_until_it_goes_through() {
    for kind in ALL {
        let (world, demo, store, scope, _file) = demo(kind, "catch-up").await;
        let engine = replica(&world, &store, &scope);
        let first = engine.catch_up(since()).await;
        assert!(
            first.failures().count() == 1,
            "{kind:?}: {:#?}",
            first.outcomes
        );
        let cursor = store
            .cursor(&scope)
            .await
            .unwrap()
            .expect("the cursor moved");
        assert!(cursor > since(), "{kind:?}");
        // The failing invoice's customer gets its kennitala; the invoice itself is unchanged in
        // Moment, so no listing shows it again — the store remembers it.
        assert!(
            world
                .moment
                .update::<moment_client::Customer>(moment_client::CustomerId::new(103), |c| c
                    .organization_number =
                    Some("5902697199".into()),)
        );
        let second = engine.catch_up(since()).await;
        let retried = second
            .outcomes
            .iter()
            .find(|o| o.moment_id.get() == demo.failing_invoice.get())
            .unwrap_or_else(|| panic!("{kind:?}: the failed invoice was tried again"));
        assert_eq!(
            retried.status,
            OutcomeStatus::Created,
            "{kind:?}: {retried}"
        );
        assert!(second.is_clean(), "{kind:?}: {:#?}", second.outcomes);
        // Nothing is left to try; nothing is posted twice.
        let third = engine.catch_up(since()).await;
        assert_eq!(third.counts.created, 0, "{kind:?}: {:?}", third.counts);
        assert!(booked(&world).values().all(|n| *n == 1), "{kind:?}");
        assert_eq!(
            booked(&world).len(),
            demo.valid_invoices.len() + 1,
            "{kind:?}"
        );
    }
}

#[tokio::test]
async fn a_person_may_release_an_unclear_post() {
    for kind in ALL {
        let (world, _demo, store, scope, _file) = demo(kind, "release").await;
        // The first post never reaches DK+, and no answer comes back: its outcome is unknown.
        let lost_once = std::sync::atomic::AtomicBool::new(true);
        let dkplus =
            Intercept::new(world.dkplus.client().unwrap()).instead_of_invoice_post(move |_| {
                lost_once
                    .swap(false, std::sync::atomic::Ordering::SeqCst)
                    .then(|| {
                        Err(PortError::new(
                            System::DkPlus,
                            PortErrorKind::OutcomeUnknown,
                            "POST /sales/invoice to DK+ timed out after sending the request",
                        ))
                    })
            });
        let engine = SyncEngine::new(world.moment.client().unwrap(), dkplus, config())
            .with_store(store.clone(), scope.clone());
        let id = InvoiceId::new(502);
        let report = engine.transfer_invoice(id).await;
        let Some(SyncFailure::OutcomeUnknown { reference, .. }) = report.outcomes[0].failure()
        else {
            panic!(
                "{kind:?}: expected an unknown outcome, got {}",
                report.outcomes[0]
            );
        };
        // Settling: not posted again …
        assert!(matches!(
            engine.transfer_invoice(id).await.outcomes[0].failure(),
            Some(SyncFailure::Settling { .. })
        ));
        // … until a person who checked DK+ releases it.
        assert!(
            engine.confirm_not_posted(reference).await.unwrap(),
            "{kind:?}"
        );
        let again = engine.transfer_invoice(id).await;
        assert_eq!(again.outcomes[0].status, OutcomeStatus::Created, "{kind:?}");
        assert_eq!(world.dkplus.invoices().len(), 1, "{kind:?}");
    }
}

#[tokio::test]
async fn a_catch_up_from_a_later_date_leaves_the_cursor_where_it_was() {
    for kind in ALL {
        let (world, _demo, store, scope, _file) = demo(kind, "later-start").await;
        let engine = replica(&world, &store, &scope);
        let first = engine.catch_up(since()).await;
        assert_eq!(first.failures().count(), 1, "{kind:?}");
        let cursor = store.cursor(&scope).await.unwrap().expect("moved");
        // Looking only at the last minute must not skip what lies between the cursor and it.
        let later = Utc::now() + chrono::Duration::minutes(5);
        let _ = engine
            .catch_up_from(later, moment_dkplus_mapping::Retention::All, None)
            .await;
        assert_eq!(
            store.cursor(&scope).await.unwrap(),
            Some(cursor),
            "{kind:?}"
        );
    }
}

#[tokio::test]
async fn a_second_moment_invoice_with_a_posted_number_is_refused_while_dkplus_hides_the_first() {
    for kind in ALL {
        let (world, _demo, store, scope, _file) = demo(kind, "shared-number").await;
        world
            .dkplus
            .set_invoice_visibility_lag(Some(Duration::from_secs(60)));
        let engine = replica(&world, &store, &scope);
        let first = engine.transfer_invoice(InvoiceId::new(501)).await;
        assert_eq!(first.outcomes[0].status, OutcomeStatus::Created, "{kind:?}");
        // Another Moment invoice carries the same number (and the same customer and total).
        let mut twin: moment_client::Invoice = world.moment.get(InvoiceId::new(501)).unwrap();
        twin.id = InvoiceId::new(777);
        world.moment.insert(twin);
        let second = engine.transfer_invoice(InvoiceId::new(777)).await;
        let failure = second.outcomes[0].failure().expect("refused");
        assert!(
            matches!(
                failure,
                SyncFailure::InvoiceNumberTaken {
                    posted_for: 501,
                    ..
                }
            ),
            "{kind:?}: {failure}"
        );
        assert_eq!(world.dkplus.invoices().len(), 1, "{kind:?}: posted once");
    }
}
