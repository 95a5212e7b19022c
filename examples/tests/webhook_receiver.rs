//! The webhook receiver against the fake Moment and fake DK+: the HTTP checks, the store before
//! the answer, recovery after a restart or a crashed worker, retries while DK+ is down, giving
//! up with a report, duplicate deliveries, two receivers on one store, the safety-net catch-up,
//! and the compiled program end to end.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use axum::http::HeaderName;
use chrono::Utc;
use dkplus_client::DkPlusClient;
use moment_client::{CustomerId, InvoiceId, MomentClient};
use moment_dkplus_mapping::receiver::SharedSecret;
use moment_dkplus_mapping::receiver::http::{ReceiverState, WEBHOOK_PATH, router};
use moment_dkplus_mapping::receiver::{
    Handled, QueueInbox, QueueSettings, RetrySchedule, SafetyNet, WebhookQueue,
};
use moment_dkplus_mapping::store::{self, JobState, Scope, Store};
use moment_dkplus_mapping::testing::{DemoCompany, FakeWorld};
use moment_dkplus_mapping::{CollectingNotifier, IntegrationConfig, SyncEngine};
use tokio::sync::watch;

const SECRET: &str = "test-secret-0123456789abcdef";
const BODY_LIMIT: usize = 4096;

type Engine = SyncEngine<MomentClient, DkPlusClient>;
type Queue = WebhookQueue<MomentClient, DkPlusClient>;

fn config() -> IntegrationConfig {
    IntegrationConfig::builder()
        .sales_person("vef")
        .error_email("bokhald@nordurljos.is")
        .build()
        .unwrap()
}

async fn demo_world() -> FakeWorld {
    let world = FakeWorld::start(config()).await.unwrap();
    DemoCompany::seed(&world);
    world
}

fn scope(world: &FakeWorld) -> Scope {
    Scope::new(world.moment.company_code(), "test")
}

/// An engine without a notifier over the world's fakes (the queue does the notifying), its
/// state in `store`.
fn engine(world: &FakeWorld, store: &Arc<dyn Store>) -> Arc<Engine> {
    Arc::new(
        SyncEngine::new(
            world.moment.client().unwrap(),
            world.dkplus.client().unwrap(),
            config(),
        )
        .with_store(store.clone(), scope(world)),
    )
}

/// Retries due at once, so a test need not wait.
fn at_once() -> QueueSettings {
    QueueSettings {
        retry: RetrySchedule {
            first: Duration::ZERO,
            max: Duration::ZERO,
        },
        poll: Duration::from_millis(20),
        ..QueueSettings::default()
    }
}

fn queue(engine: Arc<Engine>, notifier: &Arc<CollectingNotifier>) -> Arc<Queue> {
    Arc::new(WebhookQueue::new(engine, notifier.clone()).with_settings(at_once()))
}

/// A fresh directory under the system's temp dir.
fn temp_dir(test: &str) -> PathBuf {
    static COUNTER: AtomicU32 = AtomicU32::new(0);
    let dir = std::env::temp_dir().join(format!(
        "moment-dkplus-receiver-{test}-{}-{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// The receiver's default store: a SQLite file.
async fn sqlite(dir: &Path) -> Arc<dyn Store> {
    store::open(&format!("sqlite:{}", dir.join("state.db").display()))
        .await
        .unwrap()
}

/// Serves the receiver's routes on a loopback port; returns the webhook URL.
async fn serve(inbox: QueueInbox) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let app = router(ReceiverState {
        inbox,
        secret: SharedSecret::new(SECRET).unwrap(),
        secret_header: HeaderName::from_static("x-webhook-secret"),
        max_body_bytes: BODY_LIMIT,
    });
    tokio::spawn(async move { axum::serve(listener, app).await });
    format!("http://{address}{WEBHOOK_PATH}")
}

async fn post(url: &str, body: impl Into<reqwest::Body>) -> (u16, String) {
    let response = reqwest::Client::new()
        .post(url)
        .header("content-type", "application/json")
        .body(body)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.text().await.unwrap())
}

fn with_secret(url: &str) -> String {
    format!("{url}?secret={SECRET}")
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

fn invoice_webhook(world: &FakeWorld, id: i64) -> String {
    world
        .moment
        .webhook_body_for_invoice(InvoiceId::new(id), "CREATE_NEW")
        .unwrap()
}

async fn jobs(store: &Arc<dyn Store>, world: &FakeWorld, state: JobState) -> usize {
    store.jobs(&scope(world), state).await.unwrap().len()
}

/// Waits (up to a generous bound) until `done` holds.
async fn wait_until<F: std::future::Future<Output = bool>>(
    what: &str,
    mut done: impl FnMut() -> F,
) {
    for _ in 0..800 {
        if done().await {
            return;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("gave up waiting: {what}");
}

#[tokio::test(flavor = "multi_thread")]
async fn an_event_is_stored_before_it_is_acknowledged_and_survives_a_restart() {
    let world = demo_world().await;
    let dir = temp_dir("restart");
    let notifier = Arc::new(CollectingNotifier::new());
    {
        let store = sqlite(&dir).await;
        let first = queue(engine(&world, &store), &notifier);
        let url = serve(first.inbox()).await;
        let (status, text) = post(&with_secret(&url), invoice_webhook(&world, 502)).await;
        assert_eq!((status, text.as_str()), (202, "accepted"));
        // Acknowledged and committed; nobody has handled it (the process "crashed").
        assert_eq!(jobs(&store, &world, JobState::Queued).await, 1);
        assert!(world.dkplus.invoices().is_empty());
    }

    // A new process opens the same store and finds the event.
    let store = sqlite(&dir).await;
    let second = queue(engine(&world, &store), &notifier);
    let Some((_, Handled::Done(report))) = second.handle_next().await.unwrap() else {
        panic!("not handled");
    };
    assert!(report.is_clean(), "{report:#?}");
    assert_eq!(references(&world), ["1002"]);
    assert_eq!(jobs(&store, &world, JobState::Done).await, 1);
    assert_eq!(second.handle_next().await.unwrap(), None, "nothing left");
    // No failure; a report only for its warnings (the licence's long name was shortened).
    assert!(
        notifier.reports().iter().all(|r| r.failed == 0),
        "{:?}",
        notifier.reports()
    );
    // Delivered once more by Moment: handled again, nothing posted again.
    second
        .inbox()
        .enqueue(&invoice_webhook(&world, 502))
        .await
        .unwrap();
    assert!(matches!(
        second.handle_next().await.unwrap(),
        Some((_, Handled::Done(_)))
    ));
    assert_eq!(world.dkplus.count("POST", "/sales/invoice"), 1);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn bad_requests_are_refused_and_nothing_is_stored() {
    let world = demo_world().await;
    let store: Arc<dyn Store> = Arc::new(store::MemoryStore::new());
    let q = queue(engine(&world, &store), &Arc::new(CollectingNotifier::new()));
    let url = serve(q.inbox()).await;
    let body = invoice_webhook(&world, 501);

    // No secret, a wrong one, one in the wrong parameter.
    assert_eq!(post(&url, body.clone()).await.0, 401);
    assert_eq!(
        post(
            &format!("{url}?secret=wrong-secret-0123456789"),
            body.clone()
        )
        .await
        .0,
        401
    );
    assert_eq!(
        post(&format!("{url}?token={SECRET}"), body.clone()).await.0,
        401
    );

    // Over the limit: declared, and streamed without a length.
    let big = format!(
        "{{\"event\":\"CREATE_NEW\",\"pad\":\"{}\"}}",
        "x".repeat(BODY_LIMIT)
    );
    let (status, text) = post(&with_secret(&url), big).await;
    assert_eq!(status, 413, "{text}");
    let chunks =
        futures_util::stream::iter((0..64).map(|_| Ok::<_, std::io::Error>(vec![b' '; 16 * 1024])));
    // The receiver answers before the client has finished sending; the client may see the
    // 413 or only the closed connection. Either way nothing is stored (checked below).
    let streamed = reqwest::Client::new()
        .post(with_secret(&url))
        .body(reqwest::Body::wrap_stream(chunks))
        .send()
        .await;
    if let Ok(response) = streamed {
        assert_eq!(response.status().as_u16(), 413);
    }

    // Not a Moment notification.
    let (status, text) = post(&with_secret(&url), "not json").await;
    assert_eq!(status, 400);
    assert!(text.contains("not valid JSON"), "{text}");
    let (status, text) = post(&with_secret(&url), r#"{"invoice":{"id":1}}"#).await;
    assert_eq!(status, 400);
    assert!(text.contains("\"event\""), "{text}");

    // A type that is not transferred is acknowledged and dropped.
    let (status, text) = post(
        &with_secret(&url),
        r#"{"event":"CREATE_NEW","claim":{"id":77}}"#,
    )
    .await;
    assert_eq!(status, 202);
    assert!(text.contains("ignored"), "{text}");

    // The secret may also come in the header.
    let response = reqwest::Client::new()
        .post(&url)
        .header("X-Webhook-Secret", SECRET)
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 202);

    assert_eq!(
        jobs(&store, &world, JobState::Queued).await,
        1,
        "only the last one"
    );
    assert!(world.dkplus.invoices().is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn an_event_waits_while_dkplus_is_down_and_goes_through_once_when_it_is_back() {
    let world = demo_world().await;
    let store: Arc<dyn Store> = Arc::new(store::MemoryStore::new());
    let notifier = Arc::new(CollectingNotifier::new());
    let q = queue(engine(&world, &store), &notifier);
    q.inbox()
        .enqueue(&invoice_webhook(&world, 502))
        .await
        .unwrap();

    world.dkplus.fail_next(1000, 503);
    for attempt in 1..=3 {
        let Some((
            _,
            Handled::RetryLater {
                attempt: n, reason, ..
            },
        )) = q.handle_next().await.unwrap()
        else {
            panic!("DK+ is down");
        };
        assert_eq!(n, attempt);
        assert!(reason.contains("503"), "{reason}");
        assert_eq!(jobs(&store, &world, JobState::Queued).await, 1, "kept");
    }
    // One report when the trouble starts, not one per attempt.
    let reports = notifier.reports();
    assert_eq!(reports.len(), 1);
    assert!(reports[0].body.contains("1002"), "{}", reports[0].body);
    assert!(world.dkplus.invoices().is_empty());

    world.dkplus.clear_faults();
    assert!(matches!(
        q.handle_next().await.unwrap(),
        Some((_, Handled::Done(_)))
    ));
    assert_eq!(references(&world), ["1002"]);
    assert_eq!(jobs(&store, &world, JobState::Done).await, 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn an_event_is_given_up_with_a_report_and_its_invoice_is_still_sent_later() {
    let world = demo_world().await;
    let store: Arc<dyn Store> = Arc::new(store::MemoryStore::new());
    let notifier = Arc::new(CollectingNotifier::new());
    let engine = engine(&world, &store);
    let q = Arc::new(
        WebhookQueue::new(engine.clone(), notifier.clone()).with_settings(QueueSettings {
            max_attempts: 2,
            ..at_once()
        }),
    );
    q.inbox()
        .enqueue(&invoice_webhook(&world, 502))
        .await
        .unwrap();
    world.dkplus.fail_next(1000, 503);
    assert!(matches!(
        q.handle_next().await.unwrap(),
        Some((_, Handled::RetryLater { attempt: 1, .. }))
    ));
    let Some((_, Handled::DeadLettered { reason, .. })) = q.handle_next().await.unwrap() else {
        panic!("not given up after 2 attempts");
    };
    assert!(reason.contains("503"), "{reason}");
    let dead = store.jobs(&scope(&world), JobState::Dead).await.unwrap();
    assert_eq!(dead.len(), 1);
    assert_eq!(dead[0].last_error.as_deref(), Some(reason.as_str()));
    assert_eq!(q.handle_next().await.unwrap(), None);
    // Reported when the trouble started and when it was given up.
    assert_eq!(notifier.reports().len(), 2);

    // The invoice is not forgotten: the store keeps it due, and the safety net sends it.
    world.dkplus.clear_faults();
    let net = SafetyNet::new(
        engine,
        notifier.clone(),
        Duration::from_secs(3600),
        q.gate(),
    );
    let report = net.run_once().await;
    assert!(report.counts.failed <= 1, "{report:#?}");
    assert!(references(&world).contains(&"1002".to_owned()));
    assert_eq!(
        world.dkplus.count("POST", "/sales/invoice"),
        3,
        "1001–1003 once each"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn an_event_whose_post_lost_its_answer_is_not_posted_twice() {
    let world = demo_world().await;
    let store: Arc<dyn Store> = Arc::new(store::MemoryStore::new());
    let q = queue(engine(&world, &store), &Arc::new(CollectingNotifier::new()));
    q.inbox()
        .enqueue(&invoice_webhook(&world, 501))
        .await
        .unwrap();

    // DK+ books the invoice, then the answer is lost.
    world
        .dkplus
        .store_then_fail_next_invoice(dkplus_client::testing::AfterStore::Status(503));
    match q.handle_next().await.unwrap() {
        // The engine found it by its reference straight away…
        Some((_, Handled::Done(report))) => assert!(report.is_clean(), "{report:#?}"),
        // …or keeps it until it can tell.
        Some((_, Handled::RetryLater { .. })) => {
            assert!(matches!(
                q.handle_next().await.unwrap(),
                Some((_, Handled::Done(_)))
            ));
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(references(&world), ["1001"], "exactly one invoice");
    assert_eq!(jobs(&store, &world, JobState::Done).await, 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn duplicate_and_out_of_order_deliveries_to_two_receivers_post_each_invoice_once() {
    let world = demo_world().await;
    let dir = temp_dir("duplicates");
    // Two receivers (two engines, two workers) on one store.
    let store = sqlite(&dir).await;
    let notifier = Arc::new(CollectingNotifier::new());
    let a = queue(engine(&world, &store), &notifier);
    let b = queue(engine(&world, &sqlite(&dir).await), &notifier);
    let urls = [serve(a.inbox()).await, serve(b.inbox()).await];
    let (stop, stopped) = watch::channel(false);
    let running = [
        tokio::spawn(a.clone().run(stopped.clone())),
        tokio::spawn(b.clone().run(stopped)),
    ];

    let customer = world
        .moment
        .webhook_body_for_customer(CustomerId::new(101), "UPDATE")
        .unwrap();
    let bodies = [
        invoice_webhook(&world, 502),
        invoice_webhook(&world, 501),
        invoice_webhook(&world, 502),
        customer,
        invoice_webhook(&world, 503),
        invoice_webhook(&world, 501),
        invoice_webhook(&world, 502),
    ];
    let answers = futures_util::future::join_all(bodies.into_iter().enumerate().map(|(i, b)| {
        let url = with_secret(&urls[i % 2]);
        async move { post(&url, b).await }
    }))
    .await;
    assert!(
        answers.iter().all(|(status, _)| *status == 202),
        "{answers:?}"
    );

    wait_until("every event is handled", || {
        let store = store.clone();
        let world = &world;
        async move { jobs(&store, world, JobState::Done).await == 7 }
    })
    .await;
    assert_eq!(references(&world), ["1001", "1002", "1003"]);
    assert_eq!(world.dkplus.count("POST", "/sales/invoice"), 3);

    stop.send(true).unwrap();
    for task in running {
        task.await.unwrap();
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn an_event_a_crashed_worker_held_is_handed_out_when_its_lease_runs_out() {
    let world = demo_world().await;
    let store: Arc<dyn Store> = Arc::new(store::MemoryStore::new());
    let q = queue(engine(&world, &store), &Arc::new(CollectingNotifier::new()));
    // Received a quarter of an hour ago; another process leased it ten minutes ago for five
    // minutes, then died.
    store
        .enqueue(
            &scope(&world),
            &invoice_webhook(&world, 503),
            Utc::now() - chrono::Duration::minutes(15),
        )
        .await
        .unwrap();
    let held = store
        .lease(
            &scope(&world),
            "crashed-worker",
            Utc::now() - chrono::Duration::minutes(10),
            Duration::from_secs(300),
        )
        .await
        .unwrap()
        .unwrap();
    let Some((id, Handled::Done(_))) = q.handle_next().await.unwrap() else {
        panic!("the expired lease was not taken over");
    };
    assert_eq!(id, held.id);
    assert_eq!(references(&world), ["1003"]);
    // The dead worker cannot complete what it no longer holds.
    assert!(
        !store
            .complete(id, "crashed-worker", Utc::now())
            .await
            .unwrap()
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn an_event_whose_workers_kept_stopping_is_set_aside_with_a_report() {
    let world = demo_world().await;
    let store: Arc<dyn Store> = Arc::new(store::MemoryStore::new());
    let notifier = Arc::new(CollectingNotifier::new());
    let q = Arc::new(
        WebhookQueue::new(engine(&world, &store), notifier.clone()).with_settings(QueueSettings {
            max_attempts: 2,
            ..at_once()
        }),
    );
    store
        .enqueue(
            &scope(&world),
            &invoice_webhook(&world, 503),
            Utc::now() - chrono::Duration::hours(2),
        )
        .await
        .unwrap();
    // Two workers took it up and died while handling it (each lease long expired).
    for minutes_ago in [90, 60] {
        store
            .lease(
                &scope(&world),
                "crashing-worker",
                Utc::now() - chrono::Duration::minutes(minutes_ago),
                Duration::from_secs(60),
            )
            .await
            .unwrap()
            .expect("leased");
    }
    let Some((_, Handled::Rejected(reason))) = q.handle_next().await.unwrap() else {
        panic!("the event was handed out again");
    };
    assert!(reason.contains("never finished"), "{reason}");
    assert_eq!(
        store
            .jobs(&scope(&world), JobState::Dead)
            .await
            .unwrap()
            .len(),
        1
    );
    assert!(references(&world).is_empty(), "not handled a third time");
    let reports = notifier.reports();
    assert_eq!(reports.len(), 1, "a person is told");
    assert!(
        reports[0].body.contains("never finished"),
        "{}",
        reports[0].body
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_body_the_receiver_accepted_is_handled_whatever_its_size() {
    // A receiver configured for large bodies accepts a webhook over the 64 KiB default; the
    // worker must not parse it again with a smaller limit and give up what was acknowledged.
    let world = demo_world().await;
    let store: Arc<dyn Store> = Arc::new(store::MemoryStore::new());
    let q = queue(engine(&world, &store), &Arc::new(CollectingNotifier::new()));
    let mut event: serde_json::Value = serde_json::from_str(&invoice_webhook(&world, 502)).unwrap();
    event["padding"] = serde_json::Value::String("x".repeat(100 * 1024));
    let body = serde_json::to_string(&event).unwrap();
    assert!(body.len() > moment_client::webhook::DEFAULT_BODY_LIMIT);
    q.inbox().enqueue(&body).await.unwrap();
    let Some((_, Handled::Done(report))) = q.handle_next().await.unwrap() else {
        panic!("a body the receiver accepted was not handled");
    };
    assert!(report.is_clean(), "{report:#?}");
    assert_eq!(references(&world), ["1002"]);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_stored_body_that_is_not_a_webhook_is_kept_for_a_person() {
    let world = demo_world().await;
    let store: Arc<dyn Store> = Arc::new(store::MemoryStore::new());
    let notifier = Arc::new(CollectingNotifier::new());
    let q = queue(engine(&world, &store), &notifier);
    q.inbox().enqueue("{ not a webhook").await.unwrap();
    assert!(matches!(
        q.handle_next().await.unwrap(),
        Some((_, Handled::Rejected(_)))
    ));
    let dead = store.jobs(&scope(&world), JobState::Dead).await.unwrap();
    assert_eq!(dead.len(), 1);
    assert_eq!(dead[0].payload, "{ not a webhook");
    assert!(
        dead[0]
            .last_error
            .as_deref()
            .is_some_and(|e| e.starts_with("its stored body is not a Moment webhook")),
        "{dead:?}"
    );
    let reports = notifier.reports();
    assert_eq!(reports.len(), 1, "a person is told");
    assert!(
        reports[0].subject.contains("set aside"),
        "{}",
        reports[0].subject
    );
    assert!(
        reports[0].body.contains("not a Moment webhook"),
        "{}",
        reports[0].body
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn the_safety_net_catches_up_and_reports_a_lasting_failure_once() {
    let world = demo_world().await;
    let store: Arc<dyn Store> = Arc::new(store::MemoryStore::new());
    let notifier = Arc::new(CollectingNotifier::new());
    let net = SafetyNet::new(
        engine(&world, &store),
        notifier.clone(),
        Duration::from_secs(3600),
        Default::default(),
    );

    let first = net.run_once().await;
    assert_eq!(references(&world), ["1001", "1002", "1003"]);
    assert_eq!(first.counts.failed, 1, "invoice 1004");
    assert_eq!(notifier.reports().len(), 1);
    let cursor = store.cursor(&scope(&world)).await.unwrap().unwrap();
    assert!(cursor > first.started_at - chrono::Duration::minutes(2));

    // The same failure again (the store keeps it due): not mailed again.
    let second = net.run_once().await;
    assert_eq!(second.counts.failed, 1, "{second:#?}");
    assert_eq!(notifier.reports().len(), 1);
    // Nor by another process's safety net on the same store (or this one after a restart).
    let other_notifier = Arc::new(CollectingNotifier::new());
    let other = SafetyNet::new(
        engine(&world, &store),
        other_notifier.clone(),
        Duration::from_secs(3600),
        Default::default(),
    );
    let _ = other.run_once().await;
    assert!(
        other_notifier.reports().is_empty(),
        "reported once across processes"
    );

    // Fixed in Moment (a kennitala on the customer): no invoice webhook comes, and Moment does
    // not list the invoice as changed; the store remembers it and the net sends it.
    assert!(world.moment.update_customer(CustomerId::new(103), |c| {
        c.organization_number = Some("550169-7709".into());
    }));
    let third = net.run_once().await;
    assert!(third.is_clean(), "{third:#?}");
    assert_eq!(references(&world), ["1001", "1002", "1003", "1004"]);
    assert!(store.cursor(&scope(&world)).await.unwrap().unwrap() > cursor);
}

/// Reads the receiver's first stdout line ("listening on http://…").
fn listening_url(stdout: std::process::ChildStdout) -> String {
    let mut line = String::new();
    BufReader::new(stdout).read_line(&mut line).unwrap();
    line.trim()
        .strip_prefix("listening on ")
        .unwrap_or_else(|| panic!("unexpected first line {line:?}"))
        .to_owned()
}

/// Starts the receiver program with `env` (its log in `dir/receiver.log`) and returns it with
/// the URL it listens at.
async fn start_receiver(
    env: impl IntoIterator<Item = (String, String)>,
    dir: &Path,
) -> (std::process::Child, String) {
    let log = std::fs::File::create(dir.join("receiver.log")).unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_webhook_receiver"))
        .env_clear()
        .envs(env)
        .stdout(Stdio::piped())
        .stderr(log)
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let url = tokio::task::spawn_blocking(move || listening_url(stdout))
        .await
        .unwrap();
    (child, url)
}

fn program_env(world: &FakeWorld, store_url: &str) -> Vec<(String, String)> {
    [
        ("MOMENT_COMPANY", world.moment.company_code()),
        ("MOMENT_API_KEY", world.moment.api_key()),
        ("MOMENT_BASE_URL", world.moment.uri()),
        ("DKPLUS_TOKEN", world.dkplus.token().to_owned()),
        ("DKPLUS_BASE_URL", world.dkplus.uri()),
        ("DKPLUS_SALES_PERSON", "vef".to_owned()),
        ("WEBHOOK_SECRET", SECRET.to_owned()),
        ("WEBHOOK_LISTEN", "127.0.0.1:0".to_owned()),
        ("STORE_URL", store_url.to_owned()),
        ("DKPLUS_COMPANY", "test".to_owned()),
        ("WEBHOOK_BACKFILL_MINUTES", "0".to_owned()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn the_program_receives_a_webhook_and_transfers_the_invoice() {
    let world = demo_world().await;
    let dir = temp_dir("program");
    let store_url = format!("sqlite:{}", dir.join("state.db").display());
    let (mut child, url) = start_receiver(program_env(&world, &store_url), &dir).await;

    let health = reqwest::get(url.replace(WEBHOOK_PATH, "/health"))
        .await
        .unwrap();
    assert_eq!(health.text().await.unwrap(), "ok");
    let healthz = reqwest::get(url.replace(WEBHOOK_PATH, "/healthz"))
        .await
        .unwrap();
    assert_eq!(healthz.status(), 200);
    // The set-up is checked in the background; ready once Moment and DK+ answered.
    let readyz = url.replace(WEBHOOK_PATH, "/readyz");
    wait_until("the receiver is ready", || {
        let readyz = readyz.clone();
        async move { reqwest::get(&readyz).await.is_ok_and(|r| r.status() == 200) }
    })
    .await;
    let (status, _) = post(&url, invoice_webhook(&world, 501)).await;
    assert_eq!(status, 401, "no secret");
    let (status, _) = post(&with_secret(&url), invoice_webhook(&world, 501)).await;
    assert_eq!(status, 202);

    let store = store::open(&store_url).await.unwrap();
    wait_until("the invoice is in DK+ and the event handled", || {
        let store = store.clone();
        let world = &world;
        async move {
            references(world) == ["1001"] && jobs(&store, world, JobState::Done).await == 1
        }
    })
    .await;
    let ledger = store.ledger(&scope(&world)).await.unwrap();
    assert_eq!(ledger.len(), 1);
    assert_eq!(ledger[0].reference, "1001");
    let metrics = reqwest::get(url.replace(WEBHOOK_PATH, "/metrics"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    for line in [
        "moment_dkplus_ready 1",
        "moment_dkplus_webhook_events{state=\"done\"} 1",
        "moment_dkplus_ledger_invoices{state=\"posted\"} 1",
        "moment_dkplus_objects_due 0",
    ] {
        assert!(metrics.lines().any(|l| l == line), "{line} in\n{metrics}");
    }
    child.kill().unwrap();
    child.wait().unwrap();
    let log = std::fs::read_to_string(dir.join("receiver.log")).unwrap();
    assert!(log.contains("webhook stored"), "{log}");
    assert!(!log.contains(SECRET), "the secret is never logged: {log}");
    assert!(!log.contains(world.dkplus.token()), "{log}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn the_program_mails_a_failure_that_needs_a_person_through_a_real_smtp_server() {
    let smtp_url = std::env::var("TEST_SMTP_URL").expect(
        "TEST_SMTP_URL is not set: this test needs a real SMTP server; run the tests with \
         `bash .ci/test`, which starts one",
    );
    let smtp_dir = std::env::var("TEST_SMTP_DIR").expect("TEST_SMTP_DIR is not set");
    let world = demo_world().await;
    let dir = temp_dir("program-mail");
    let store_url = format!("sqlite:{}", dir.join("state.db").display());
    let sender = format!("receiver-{}@nordurljos.is", std::process::id());
    let mut env = program_env(&world, &store_url);
    env.extend(
        [
            ("SMTP_URL", smtp_url.clone()),
            ("ALERT_FROM", format!("Samstilling <{sender}>")),
            ("ERROR_EMAIL", "bokhald@nordurljos.is".to_owned()),
        ]
        .map(|(k, v)| (k.to_owned(), v)),
    );
    let (mut child, url) = start_receiver(env, &dir).await;
    // Invoice 1004's customer has no kennitala: a failure a person must fix.
    let (status, _) = post(&with_secret(&url), invoice_webhook(&world, 504)).await;
    assert_eq!(status, 202);

    let started = std::time::Instant::now();
    let mail = loop {
        let found = std::fs::read_dir(&smtp_dir)
            .unwrap()
            .flatten()
            .find_map(|entry| {
                let text = std::fs::read_to_string(entry.path()).ok()?;
                let mail: serde_json::Value = serde_json::from_str(&text).ok()?;
                mail["from"]
                    .as_str()
                    .is_some_and(|from| from.contains(&sender))
                    .then_some(mail)
            });
        if let Some(mail) = found {
            break mail;
        }
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "no failure e-mail arrived; the receiver's log:\n{}",
            std::fs::read_to_string(dir.join("receiver.log")).unwrap_or_default()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert!(
        mail["subject"]
            .as_str()
            .unwrap()
            .contains("not transferred"),
        "{mail}"
    );
    assert!(
        mail["text"].as_str().unwrap().contains("kennitala"),
        "{mail}"
    );
    assert_eq!(mail["to"], "bokhald@nordurljos.is");
    child.kill().unwrap();
    child.wait().unwrap();
    let log = std::fs::read_to_string(dir.join("receiver.log")).unwrap();
    assert!(
        !log.contains("smtp-secret-42"),
        "the SMTP password is never logged: {log}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn the_program_listens_at_once_and_says_when_its_set_up_is_wrong() {
    let world = demo_world().await;
    let dir = temp_dir("program-not-ready");
    let store_url = format!("sqlite:{}", dir.join("state.db").display());
    let mut env = program_env(&world, &store_url);
    for (name, value) in &mut env {
        if name == "DKPLUS_TOKEN" {
            *value = "a-token-dkplus-refuses".to_owned();
        }
    }
    env.push(("LOG_FORMAT".to_owned(), "json".to_owned()));
    let (mut child, url) = start_receiver(env, &dir).await;
    // Webhooks are stored even so; readiness says what is wrong.
    let (status, _) = post(&with_secret(&url), invoice_webhook(&world, 501)).await;
    assert_eq!(status, 202);
    let readyz = url.replace(WEBHOOK_PATH, "/readyz");
    wait_until("readiness reports the wrong set-up", || {
        let readyz = readyz.clone();
        async move {
            match reqwest::get(&readyz).await {
                Ok(r) if r.status() == 503 => r
                    .text()
                    .await
                    .is_ok_and(|t| t.starts_with("the set-up is wrong")),
                _ => false,
            }
        }
    })
    .await;
    assert!(child.try_wait().unwrap().is_none(), "still running");
    child.kill().unwrap();
    child.wait().unwrap();
    let log = std::fs::read_to_string(dir.join("receiver.log")).unwrap();
    assert!(
        !log.contains("a-token-dkplus-refuses"),
        "the token is never logged: {log}"
    );
    // LOG_FORMAT=json: one JSON object per line, for a log collector.
    let lines: Vec<&str> = log.lines().filter(|l| !l.trim().is_empty()).collect();
    assert!(!lines.is_empty());
    for line in lines {
        let record: serde_json::Value = serde_json::from_str(line)
            .unwrap_or_else(|e| panic!("not a JSON log line ({e}): {line}"));
        assert!(record.get("level").is_some(), "{line}");
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

const ADMIN: &str = "admin-secret-0123456789abcdef";

/// A browser session in headless Chromium over the WebDriver chromedriver serves.
async fn browser() -> fantoccini::Client {
    let webdriver = std::env::var("TEST_WEBDRIVER_URL").expect(
        "TEST_WEBDRIVER_URL is not set: this test needs headless Chromium behind chromedriver; \
         run the tests with `bash .ci/test`, which installs and starts them",
    );
    let binary = std::env::var("TEST_CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
    let profile = temp_dir("chromium-profile");
    let capabilities = serde_json::json!({
        "goog:chromeOptions": {
            "binary": binary,
            "args": [
                "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--disable-quic", "--no-first-run", "--disable-background-networking",
                "--disable-component-update", "--disable-sync",
                format!("--user-data-dir={}", profile.display()),
            ]
        }
    });
    let serde_json::Value::Object(capabilities) = capabilities else {
        unreachable!()
    };
    // chromedriver is on loopback: plain HTTP, no TLS stack.
    fantoccini::ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
        .capabilities(capabilities)
        .connect(&webdriver)
        .await
        .expect("chromedriver starts a headless Chromium")
}

/// Every sample of a Prometheus text exposition, as (name with labels, value); panics on a line
/// that is not one.
fn prometheus_samples(text: &str) -> Vec<(String, f64)> {
    text.lines()
        .filter(|line| !line.is_empty() && !line.starts_with('#'))
        .map(|line| {
            let (series, value) = line
                .rsplit_once(' ')
                .unwrap_or_else(|| panic!("not a sample: {line:?}"));
            let value: f64 = match value {
                "+Inf" => f64::INFINITY,
                other => other
                    .parse()
                    .unwrap_or_else(|_| panic!("not a number in {line:?}")),
            };
            let name_ok = series.split('{').next().is_some_and(|n| {
                !n.is_empty()
                    && n.chars()
                        .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':')
            });
            assert!(name_ok, "not a metric name in {line:?}");
            if let Some(labels) = series.split_once('{').map(|(_, l)| l) {
                assert!(labels.ends_with('}'), "labels not closed in {line:?}");
            }
            (series.to_owned(), value)
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn the_status_page_shows_a_failure_in_chromium_and_its_retry_sends_it_after_the_fix() {
    let world = FakeWorld::start(config()).await.unwrap();
    let demo = DemoCompany::seed(&world);
    let dir = temp_dir("status-page");
    let store_url = format!("sqlite:{}", dir.join("state.db").display());
    // The settings in a TOML file, the webhook secret from the environment (which wins).
    let mut env = program_env(&world, &store_url);
    let file = dir.join("receiver.toml");
    let mut toml = String::new();
    env.retain(|(name, value)| {
        if name == "WEBHOOK_SECRET" {
            return true;
        }
        // The safety net runs at start: its catch-up is a run the page lists.
        let value = if name == "WEBHOOK_BACKFILL_MINUTES" {
            "60"
        } else {
            value.as_str()
        };
        toml.push_str(&format!("{} = {:?}\n", name.to_lowercase(), value));
        false
    });
    toml.push_str(&format!(
        "admin_secret = {ADMIN:?}\nshutdown_grace_seconds = 3\n"
    ));
    std::fs::write(&file, toml).unwrap();
    env.push(("CONFIG_FILE".into(), file.display().to_string()));
    let (child, url) = start_receiver(env, &dir).await;
    let base = url.replace(WEBHOOK_PATH, "");

    // Invoice 1004's customer has no kennitala: it needs a person.
    let failing = demo.failing_invoice.get();
    let (status, _) = post(&with_secret(&url), invoice_webhook(&world, failing)).await;
    assert_eq!(status, 202);
    let store = store::open(&store_url).await.unwrap();
    wait_until("the invoice is recorded as needing a person", || {
        let store = store.clone();
        let scope = scope(&world);
        async move {
            store
                .object_state(&scope, moment_dkplus_mapping::ObjectKind::Invoice, failing)
                .await
                .unwrap()
                .is_some_and(|o| o.last_status == "needs_person")
        }
    })
    .await;

    // Without signing in: no data, and no retry.
    let client = reqwest::Client::new();
    let json = client
        .get(format!("{base}/status.json"))
        .send()
        .await
        .unwrap();
    assert_eq!(json.status(), 401);
    let forged = client
        .post(format!("{base}/status/retry"))
        .form(&[
            ("csrf", "00"),
            ("kind", "invoice"),
            ("id", &failing.to_string()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), 401);
    // Signed in, but a form that did not come from the page (no valid CSRF token): refused.
    // (A retry is queued as an UPDATE event; Moment's own deliveries here are CREATE_NEW.)
    let retries_queued = || async {
        let mut n = 0;
        for state in [
            JobState::Queued,
            JobState::Leased,
            JobState::Done,
            JobState::Dead,
        ] {
            n += store
                .jobs(&scope(&world), state)
                .await
                .unwrap()
                .iter()
                .filter(|job| job.payload.contains("\"UPDATE\""))
                .count();
        }
        n
    };
    let no_redirects = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let signed_in = no_redirects
        .post(format!("{base}/status/login"))
        .form(&[("secret", ADMIN)])
        .send()
        .await
        .unwrap();
    assert_eq!(signed_in.status(), 303);
    let cookie = signed_in.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"),
        "{cookie}"
    );
    let session = cookie.split(';').next().unwrap().to_owned();
    let cross_site = no_redirects
        .post(format!("{base}/status/retry"))
        .header("cookie", &session)
        .form(&[
            ("csrf", "0badc0de"),
            ("kind", "invoice"),
            ("id", &failing.to_string()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(cross_site.status(), 403);
    assert_eq!(retries_queued().await, 0, "nothing was queued");
    let report: serde_json::Value = client
        .get(format!("{base}/status.json?show=needs_person"))
        .bearer_auth(ADMIN)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(report["objects"][0]["moment_id"], failing, "{report:#}");
    assert!(
        report["objects"][0]["reason"]
            .as_str()
            .unwrap()
            .contains("kennitala")
    );

    let browser = browser().await;
    let outcome = async {
        use fantoccini::Locator;
        browser.goto(&format!("{base}/status")).await?;
        let secret = browser.find(Locator::Id("secret")).await?;
        secret.send_keys("wrong-secret-guess-1234").await?;
        browser.find(Locator::Id("sign-in")).await?.click().await?;
        let message = browser
            .wait()
            .at_most(Duration::from_secs(10))
            .for_element(Locator::Id("message"))
            .await?
            .text()
            .await?;
        assert!(message.contains("not the admin secret"), "{message}");
        browser
            .find(Locator::Id("secret"))
            .await?
            .send_keys(ADMIN)
            .await?;
        browser.find(Locator::Id("sign-in")).await?.click().await?;

        let row_id = format!("invoice-{failing}");
        // Each click loads a page: wait for what it shows rather than read the old one.
        let row = browser
            .wait()
            .at_most(Duration::from_secs(10))
            .for_element(Locator::Id(&row_id))
            .await?;
        let text = row.text().await?;
        assert!(text.contains("kennitala"), "the reason is shown: {text}");
        assert!(
            text.contains("Fix what the reason says"),
            "what to do is shown: {text}"
        );
        assert_eq!(row.attr("class").await?.as_deref(), Some("needs_person"));

        // The bookkeeper adds the kennitala in Moment, then presses Retry.
        world
            .moment
            .update_customer(demo.customer_without_kennitala, |c| {
                c.organization_number = Some("560907-1330".into())
            });
        row.find(Locator::Css("button.retry"))
            .await?
            .click()
            .await?;
        let notice = browser
            .wait()
            .at_most(Duration::from_secs(10))
            .for_element(Locator::Id("notice"))
            .await?
            .text()
            .await?;
        assert!(
            notice.contains("queued to be transferred again"),
            "{notice}"
        );

        let mut state = String::new();
        for _ in 0..200 {
            browser.goto(&format!("{base}/status?show=all")).await?;
            state = browser
                .find(Locator::Id(&row_id))
                .await?
                .attr("class")
                .await?
                .unwrap_or_default();
            if state == "done" {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        assert_eq!(state, "done", "the retried invoice went through");
        let runs = browser.find(Locator::Id("runs")).await?.text().await?;
        assert!(runs.contains("1 failed"), "the catch-up at start: {runs}");

        // The reconciliation of November: everything Moment issued is in DK+ now.
        browser
            .goto(&format!(
                "{base}/status/reconcile?from=2026-11-01&to=2026-11-30"
            ))
            .await?;
        let verdict = browser
            .wait()
            .at_most(Duration::from_secs(10))
            .for_element(Locator::Id("verdict"))
            .await?
            .text()
            .await?;
        assert_eq!(verdict, "Everything matches.");
        let payments = browser.find(Locator::Id("payments")).await?.text().await?;
        assert!(
            payments.contains("1004") && payments.contains("open"),
            "{payments}"
        );
        assert!(
            payments.contains("393.886,00"),
            "Icelandic amounts: {payments}"
        );
        Ok::<_, fantoccini::error::CmdError>(())
    }
    .await;
    browser.close().await.unwrap();
    outcome.unwrap();
    assert!(
        references(&world).contains(&"1004".to_owned()),
        "{:?}",
        references(&world)
    );

    // The metrics are Prometheus text with this process's counters and latency histogram.
    let metrics = client
        .get(format!("{base}/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let samples = prometheus_samples(&metrics);
    let value = |series: &str| {
        samples
            .iter()
            .find(|(s, _)| s == series)
            .map(|(_, v)| *v)
            .unwrap_or_else(|| panic!("{series} in\n{metrics}"))
    };
    assert!(value("moment_dkplus_outcomes_total{kind=\"invoice\",status=\"needs_person\"}") >= 1.0);
    assert!(value("moment_dkplus_outcomes_total{kind=\"invoice\",status=\"created\"}") >= 1.0);
    assert!(
        samples.iter().any(
            |(s, v)| s.starts_with("moment_dkplus_api_request_seconds_bucket{")
                && s.contains("system=\"dkplus\"")
                && s.contains("le=\"+Inf\"")
                && *v >= 1.0
        ),
        "{metrics}"
    );
    assert!(
        samples.iter().any(
            |(s, _)| s.starts_with("moment_dkplus_api_request_seconds_count{")
                && s.contains("system=\"moment\"")
        ),
        "{metrics}"
    );
    assert!(
        metrics.contains("# TYPE moment_dkplus_api_request_seconds histogram"),
        "{metrics}"
    );

    // A stop ends within the grace, and the last line says what is left in the queue.
    let started = std::time::Instant::now();
    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let mut child = child;
    let exit = tokio::task::spawn_blocking(move || child.wait().unwrap())
        .await
        .unwrap();
    assert!(exit.success(), "{exit:?}");
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
    let log = std::fs::read_to_string(dir.join("receiver.log")).unwrap();
    let last = log.lines().last().unwrap_or_default();
    assert!(
        last.contains("stopped: 0 event(s) wait in the queue and 0 are held by a receiver"),
        "{last}"
    );
    assert!(!log.contains(ADMIN), "the admin secret is never logged");
}
