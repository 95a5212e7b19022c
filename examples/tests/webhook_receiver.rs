//! The webhook receiver against the fake Moment and fake DK+: the HTTP checks, storage before
//! the answer, recovery after a restart, retries while DK+ is down, duplicate deliveries, the
//! safety-net backfill, and the compiled program end to end.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use axum::http::HeaderName;
use dkplus_client::DkPlusClient;
use moment_client::{CustomerId, InvoiceId, MomentClient};
use moment_dkplus_examples::webhook::safety_net::{MARKER_FILE, SafetyNet};
use moment_dkplus_examples::webhook::secret::SharedSecret;
use moment_dkplus_examples::webhook::server::{ReceiverState, WEBHOOK_PATH, router};
use moment_dkplus_examples::webhook::spool::Spool;
use moment_dkplus_examples::webhook::worker::{
    Handled, QueueReceiver, QueueSender, RetrySchedule, Worker, queue,
};
use moment_dkplus_mapping::testing::{DemoCompany, FakeWorld};
use moment_dkplus_mapping::{CollectingNotifier, IntegrationConfig, SyncEngine};
use tokio::sync::watch;

const SECRET: &str = "test-secret-0123456789abcdef";
const BODY_LIMIT: usize = 4096;

type Engine = SyncEngine<MomentClient, DkPlusClient>;

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

/// An engine without a notifier over the world's fakes (the worker does the notifying).
fn engine(world: &FakeWorld) -> Arc<Engine> {
    Arc::new(SyncEngine::new(
        world.moment.client().unwrap(),
        world.dkplus.client().unwrap(),
        config(),
    ))
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
    dir
}

/// Serves the receiver's routes on a loopback port; returns the webhook URL.
async fn serve(spool: Arc<Spool>, queue: QueueSender) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let app = router(ReceiverState {
        spool,
        queue,
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

/// Waits (up to a generous bound) until `done` holds.
async fn wait_until(what: &str, mut done: impl FnMut() -> bool) {
    for _ in 0..800 {
        if done() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("gave up waiting: {what}");
}

struct Receiver {
    dir: PathBuf,
    spool: Arc<Spool>,
    url: String,
    sender: QueueSender,
    receiver: QueueReceiver,
}

async fn receiver(test: &str) -> Receiver {
    let dir = temp_dir(test);
    let spool = Arc::new(Spool::open(&dir).unwrap());
    let (sender, receiver) = queue();
    let url = serve(spool.clone(), sender.clone()).await;
    Receiver {
        dir,
        spool,
        url,
        sender,
        receiver,
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn an_event_is_on_disk_before_it_is_acknowledged_and_survives_a_restart() {
    let world = demo_world().await;
    let r = receiver("restart").await;

    let (status, text) = post(&with_secret(&r.url), invoice_webhook(&world, 502)).await;
    assert_eq!((status, text.as_str()), (202, "accepted"));
    // Acknowledged and stored; nobody has handled it (the worker "crashed").
    let pending = r.spool.pending().unwrap();
    assert_eq!(pending.len(), 1);
    assert_eq!(r.receiver.len(), 1, "queued for the worker");
    assert!(world.dkplus.invoices().is_empty());
    drop(r.receiver);

    // A new process opens the same spool and finds the event.
    let spool = Arc::new(Spool::open(&r.dir).unwrap());
    assert_eq!(spool.pending().unwrap(), pending);
    let notifier = Arc::new(CollectingNotifier::new());
    let worker = Worker::new(engine(&world), spool.clone(), notifier.clone());
    let Handled::Done(report) = worker.handle(&pending[0]).await else {
        panic!("not handled");
    };
    assert!(report.is_clean(), "{report:#?}");
    assert_eq!(references(&world), ["1002"]);
    assert!(spool.pending().unwrap().is_empty());
    // No failure; a report only for its warnings (the licence's long name was shortened).
    assert!(
        notifier.reports().iter().all(|r| r.failed == 0),
        "{:?}",
        notifier.reports()
    );
    // Handled once more (a duplicate of the id): already gone, nothing posted.
    assert_eq!(worker.handle(&pending[0]).await, Handled::Gone);
    assert_eq!(world.dkplus.count("POST", "/sales/invoice"), 1);
    std::fs::remove_dir_all(&r.dir).unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn bad_requests_are_refused_and_nothing_is_stored() {
    let world = demo_world().await;
    let r = receiver("refused").await;
    let body = invoice_webhook(&world, 501);

    // No secret, a wrong one, one in the wrong parameter.
    assert_eq!(post(&r.url, body.clone()).await.0, 401);
    assert_eq!(
        post(
            &format!("{}?secret=wrong-secret-0123456789", r.url),
            body.clone()
        )
        .await
        .0,
        401
    );
    assert_eq!(
        post(&format!("{}?token={SECRET}", r.url), body.clone())
            .await
            .0,
        401
    );

    // Over the limit: declared, and streamed without a length.
    let big = format!(
        "{{\"event\":\"CREATE_NEW\",\"pad\":\"{}\"}}",
        "x".repeat(BODY_LIMIT)
    );
    let (status, text) = post(&with_secret(&r.url), big).await;
    assert_eq!(status, 413, "{text}");
    let chunks =
        futures_util::stream::iter((0..64).map(|_| Ok::<_, std::io::Error>(vec![b' '; 16 * 1024])));
    // The receiver answers before the client has finished sending; the client may see the
    // 413 or only the closed connection. Either way nothing is stored (checked below).
    let streamed = reqwest::Client::new()
        .post(with_secret(&r.url))
        .body(reqwest::Body::wrap_stream(chunks))
        .send()
        .await;
    if let Ok(response) = streamed {
        assert_eq!(response.status().as_u16(), 413);
    }

    // Not a Moment notification.
    let (status, text) = post(&with_secret(&r.url), "not json").await;
    assert_eq!(status, 400);
    assert!(text.contains("not valid JSON"), "{text}");
    let (status, text) = post(&with_secret(&r.url), r#"{"invoice":{"id":1}}"#).await;
    assert_eq!(status, 400);
    assert!(text.contains("\"event\""), "{text}");

    // A type that is not transferred is acknowledged and dropped.
    let (status, text) = post(
        &with_secret(&r.url),
        r#"{"event":"CREATE_NEW","claim":{"id":77}}"#,
    )
    .await;
    assert_eq!(status, 202);
    assert!(text.contains("ignored"), "{text}");

    // The secret may also come in the header.
    let response = reqwest::Client::new()
        .post(&r.url)
        .header("X-Webhook-Secret", SECRET)
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 202);

    assert_eq!(r.spool.pending().unwrap().len(), 1, "only the last one");
    assert!(world.dkplus.invoices().is_empty());
    std::fs::remove_dir_all(&r.dir).unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn an_event_waits_while_dkplus_is_down_and_goes_through_once_when_it_is_back() {
    let world = demo_world().await;
    let dir = temp_dir("dkplus-down");
    let spool = Arc::new(Spool::open(&dir).unwrap());
    let id = spool
        .store(invoice_webhook(&world, 502).as_bytes())
        .unwrap();
    let notifier = Arc::new(CollectingNotifier::new());
    let worker = Worker::new(engine(&world), spool.clone(), notifier.clone());

    world.dkplus.fail_next(1000, 503);
    for _ in 0..3 {
        let Handled::RetryLater(reason) = worker.handle(&id).await else {
            panic!("DK+ is down");
        };
        assert!(reason.contains("503"), "{reason}");
        assert_eq!(spool.pending().unwrap(), std::slice::from_ref(&id), "kept");
    }
    // One report when the trouble starts, not one per attempt.
    let reports = notifier.reports();
    assert_eq!(reports.len(), 1);
    assert!(reports[0].body.contains("1002"), "{}", reports[0].body);
    assert!(world.dkplus.invoices().is_empty());

    world.dkplus.clear_faults();
    assert!(matches!(worker.handle(&id).await, Handled::Done(_)));
    assert_eq!(references(&world), ["1002"]);
    assert!(spool.pending().unwrap().is_empty());
    std::fs::remove_dir_all(&dir).unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn an_event_whose_post_lost_its_answer_is_not_posted_twice() {
    let world = demo_world().await;
    let dir = temp_dir("lost-answer");
    let spool = Arc::new(Spool::open(&dir).unwrap());
    let id = spool
        .store(invoice_webhook(&world, 501).as_bytes())
        .unwrap();
    let worker = Worker::new(
        engine(&world),
        spool.clone(),
        Arc::new(CollectingNotifier::new()),
    );

    // DK+ books the invoice, then the answer is lost.
    world
        .dkplus
        .store_then_fail_next_invoice(dkplus_client::testing::AfterStore::Status(503));
    let first = worker.handle(&id).await;
    match &first {
        // The engine found it by its reference straight away…
        Handled::Done(report) => assert!(report.is_clean(), "{report:#?}"),
        // …or keeps it until it can tell.
        Handled::RetryLater(_) => {
            assert!(matches!(worker.handle(&id).await, Handled::Done(_)));
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(references(&world), ["1001"], "exactly one invoice");
    assert!(spool.pending().unwrap().is_empty());
    std::fs::remove_dir_all(&dir).unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn duplicate_and_out_of_order_deliveries_post_each_invoice_once() {
    let world = demo_world().await;
    let r = receiver("duplicates").await;
    let worker = Arc::new(
        Worker::new(
            engine(&world),
            r.spool.clone(),
            Arc::new(CollectingNotifier::new()),
        )
        .with_retry(RetrySchedule {
            first: Duration::from_millis(20),
            max: Duration::from_millis(100),
        }),
    );
    let (stop, stopped) = watch::channel(false);
    let running = tokio::spawn(worker.run(r.sender.clone(), r.receiver, stopped));

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
    let url = with_secret(&r.url);
    let answers = futures_util::future::join_all(bodies.into_iter().map(|b| post(&url, b))).await;
    assert!(
        answers.iter().all(|(status, _)| *status == 202),
        "{answers:?}"
    );

    wait_until("the spool is empty", || {
        r.spool.pending().is_ok_and(|p| p.is_empty())
    })
    .await;
    assert_eq!(references(&world), ["1001", "1002", "1003"]);
    assert_eq!(world.dkplus.count("POST", "/sales/invoice"), 3);

    stop.send(true).unwrap();
    running.await.unwrap();
    std::fs::remove_dir_all(&r.dir).unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn a_body_the_receiver_accepted_is_handled_whatever_its_size() {
    // A receiver configured for large bodies accepts a webhook over the 64 KiB default; the
    // worker must not parse it again with a smaller limit and reject what was acknowledged.
    let world = demo_world().await;
    let dir = temp_dir("large");
    let spool = Arc::new(Spool::open(&dir).unwrap());
    let mut event: serde_json::Value = serde_json::from_str(&invoice_webhook(&world, 502)).unwrap();
    event["padding"] = serde_json::Value::String("x".repeat(100 * 1024));
    let body = serde_json::to_vec(&event).unwrap();
    assert!(body.len() > moment_client::webhook::DEFAULT_BODY_LIMIT);
    let id = spool.store(&body).unwrap();
    let worker = Worker::new(
        engine(&world),
        spool.clone(),
        Arc::new(CollectingNotifier::new()),
    );
    let Handled::Done(report) = worker.handle(&id).await else {
        panic!("a body the receiver accepted was not handled");
    };
    assert!(report.is_clean(), "{report:#?}");
    assert_eq!(references(&world), ["1002"]);
    assert!(!dir.join("rejected").join(id.as_str()).exists());
    std::fs::remove_dir_all(&dir).unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn a_stored_body_that_is_not_a_webhook_is_moved_aside() {
    let world = demo_world().await;
    let dir = temp_dir("rejected");
    let spool = Arc::new(Spool::open(&dir).unwrap());
    let id = spool.store(b"{ not a webhook").unwrap();
    let worker = Worker::new(
        engine(&world),
        spool.clone(),
        Arc::new(CollectingNotifier::new()),
    );
    assert!(matches!(worker.handle(&id).await, Handled::Rejected(_)));
    assert!(spool.pending().unwrap().is_empty());
    assert!(dir.join("rejected").join(id.as_str()).exists());
    std::fs::remove_dir_all(&dir).unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn the_safety_net_catches_up_and_reports_a_lasting_failure_once() {
    let world = demo_world().await;
    let dir = temp_dir("safety-net");
    std::fs::create_dir_all(&dir).unwrap();
    let notifier = Arc::new(CollectingNotifier::new());
    let net = SafetyNet::new(
        engine(&world),
        notifier.clone(),
        &dir,
        Duration::from_secs(3600),
        Default::default(),
    );

    let first = net.run_once().await;
    assert_eq!(references(&world), ["1001", "1002", "1003"]);
    assert_eq!(first.counts.failed, 1, "invoice 1004");
    assert_eq!(notifier.reports().len(), 1);
    let marker = std::fs::read_to_string(dir.join(MARKER_FILE)).unwrap();

    // The same failure again: not mailed again, and the start does not move.
    let second = net.run_once().await;
    assert_eq!(second.counts.failed, 1);
    assert_eq!(notifier.reports().len(), 1);
    assert_eq!(
        std::fs::read_to_string(dir.join(MARKER_FILE)).unwrap(),
        marker
    );

    // Fixed in Moment (a kennitala on the customer): no invoice webhook comes, the net sends it.
    assert!(world.moment.update_customer(CustomerId::new(103), |c| {
        c.organization_number = Some("550169-7709".into());
    }));
    let third = net.run_once().await;
    assert!(third.is_clean(), "{third:#?}");
    assert_eq!(references(&world), ["1001", "1002", "1003", "1004"]);
    assert_ne!(
        std::fs::read_to_string(dir.join(MARKER_FILE)).unwrap(),
        marker
    );
    assert!(net.since() > third.started_at - chrono::Duration::minutes(2));
    std::fs::remove_dir_all(&dir).unwrap();
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

fn program_env(world: &FakeWorld, spool: &Path) -> Vec<(String, String)> {
    [
        ("MOMENT_COMPANY", world.moment.company_code()),
        ("MOMENT_API_KEY", world.moment.api_key()),
        ("MOMENT_BASE_URL", world.moment.uri()),
        ("DKPLUS_TOKEN", world.dkplus.token().to_owned()),
        ("DKPLUS_BASE_URL", world.dkplus.uri()),
        ("DKPLUS_SALES_PERSON", "vef".to_owned()),
        ("WEBHOOK_SECRET", SECRET.to_owned()),
        ("WEBHOOK_LISTEN", "127.0.0.1:0".to_owned()),
        ("WEBHOOK_SPOOL_DIR", spool.display().to_string()),
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
    std::fs::create_dir_all(&dir).unwrap();
    let log = std::fs::File::create(dir.join("receiver.log")).unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_webhook_receiver"))
        .env_clear()
        .envs(program_env(&world, &dir.join("spool")))
        .stdout(Stdio::piped())
        .stderr(log)
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let url = tokio::task::spawn_blocking(move || listening_url(stdout))
        .await
        .unwrap();

    let health = reqwest::get(url.replace(WEBHOOK_PATH, "/health"))
        .await
        .unwrap();
    assert_eq!(health.text().await.unwrap(), "ok");
    let (status, _) = post(&url, invoice_webhook(&world, 501)).await;
    assert_eq!(status, 401, "no secret");
    let (status, _) = post(&with_secret(&url), invoice_webhook(&world, 501)).await;
    assert_eq!(status, 202);

    let spool = Spool::open(dir.join("spool")).unwrap();
    wait_until("the invoice is in DK+ and the spool is empty", || {
        references(&world) == ["1001"] && spool.pending().is_ok_and(|p| p.is_empty())
    })
    .await;
    child.kill().unwrap();
    child.wait().unwrap();
    let log = std::fs::read_to_string(dir.join("receiver.log")).unwrap();
    assert!(log.contains("webhook stored"), "{log}");
    assert!(!log.contains(SECRET), "the secret is never logged: {log}");
    assert!(!log.contains(world.dkplus.token()), "{log}");
    std::fs::remove_dir_all(&dir).unwrap();
}
