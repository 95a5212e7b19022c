//! Receives Moment's webhooks and transfers each changed customer, project and invoice to DK+.
//!
//! ```sh
//! export MOMENT_COMPANY=acme MOMENT_API_KEY=… DKPLUS_TOKEN=… DKPLUS_SALES_PERSON=vef
//! export WEBHOOK_SECRET=$(openssl rand -hex 24) WEBHOOK_LISTEN=0.0.0.0:8080
//! cargo run --bin webhook_receiver
//! ```
//!
//! In Moment (*Setup → Settings → Integrations → New integration*) add one webhook each for
//! Invoices, Customers and Projects with the URL
//! `https://<your host>/webhooks/moment?secret=<WEBHOOK_SECRET>` (serve it over https, e.g.
//! behind a reverse proxy: the secret is in the URL). A proxy may instead send the secret in
//! the `X-Webhook-Secret` header (`WEBHOOK_SECRET_HEADER` renames it).
//!
//! It listens at once and checks the set-up with Moment and DK+ in the background, so no
//! webhook is refused while a system is slow at start. `GET /health` and `GET /healthz` answer
//! `ok` while it runs; `GET /readyz` answers `200 ready` once the set-up is verified and `503`
//! with what is wrong (a refused token, an unknown sales person) otherwise; `GET /metrics` gives
//! Prometheus gauges: readiness, webhook events by state, ledger invoices by state, objects due
//! for another attempt.
//!
//! How it keeps every event it acknowledged:
//! 1. a request without the secret gets `401`, a body over `WEBHOOK_MAX_BODY_BYTES` (64 KiB)
//!    `413` before it is read whole, a body that is not a Moment notification `400`;
//! 2. the body is stored in the store's queue (`STORE_URL`: a SQLite file by default,
//!    PostgreSQL for several receivers) in a committed transaction, and only then answered
//!    `202 Accepted` — within milliseconds, before anything is sent to DK+; when it cannot be
//!    stored the answer is `503`, so Moment can send it again;
//! 3. a worker leases stored events one at a time (never while the safety net runs in this
//!    process) and hands each to the sync engine. When Moment or DK+ cannot be reached, or a
//!    post's outcome is not known yet, the event is tried again after 30 s, doubling up to 15
//!    min; after `WEBHOOK_MAX_ATTEMPTS` (10) it is given up, kept in the store for a person and
//!    reported — its objects stay due in the store and the safety net tries them again. An
//!    event a stopped or crashed receiver held is handed out again when its 5-minute lease
//!    runs out. Duplicate and out-of-order deliveries are harmless: the engine reads the
//!    object's current state, and the store's invoice ledger never lets an invoice be posted
//!    twice, also across receivers;
//! 4. a safety-net catch-up runs at start and every `WEBHOOK_BACKFILL_MINUTES` (default 60,
//!    `0` turns it off) for what webhooks miss; the store keeps where it continues.
//!
//! Several receivers may share one PostgreSQL store (and one URL behind a load balancer): each
//! event is handled by one of them at a time.
//!
//! Failure reports (what to fix in Moment) are e-mailed to `ERROR_EMAIL` from `ALERT_FROM` when
//! `SMTP_URL` names a server (`smtps://user:password@mail.example.is:465`), and logged
//! otherwise — through the alert policy: a failure that needs a person once and then daily, a
//! transient one only when it lasts 30 minutes, shared by every receiver on the store.
//! `RUST_LOG` sets the log level (default `info`). Every variable is listed in
//! `docs/configuration.md`.
//!
//! With `ADMIN_SECRET` set, `GET /status` is the status page (sign in with that secret): every
//! object's sync state, filterable, each failure with its reason and what to do and a Retry
//! button, the recent runs, the backfill cursor and the dead letters; `/status.json` is the
//! same as JSON (also for `Authorization: Bearer <ADMIN_SECRET>`).
//!
//! With `PAYMENTS_TO_MOMENT=on` it registers in Moment, once a day (`PAYMENTS_EVERY_HOURS`),
//! what DK+ shows as paid, each payment once (off by default: Moment publishes no payment API,
//! and the names used are assumed; see `docs/moment-api.md`).
//!
//! Every setting may also come from a TOML file (`--config FILE` or `CONFIG_FILE`), one key per
//! variable (`store_url = "postgres://…"`); a variable that is set wins over the file.
//!
//! Stop it with Ctrl-C or SIGTERM: it stops accepting, lets requests and the event under way
//! finish for up to `SHUTDOWN_GRACE_SECONDS` (8), leaves the rest in the store for the next start
//! (or another receiver), and its last log line says how many events wait in the queue.

use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use moment_dkplus_examples::notify::alerting_notifier;
use moment_dkplus_examples::settings::Settings;
use moment_dkplus_examples::setup::{Setup, init_logging};
use moment_dkplus_examples::shutdown::stop_signal;
use moment_dkplus_examples::webhook::ReceiverSettings;
use moment_dkplus_mapping::receiver::http::{
    Operations, Readiness, ReadyState, ReceiverState, WEBHOOK_PATH, install_metrics,
    operations_router, router,
};
use moment_dkplus_mapping::receiver::status_page::{StatusPage, status_router};
use moment_dkplus_mapping::receiver::{SafetyNet, WebhookQueue};
use moment_dkplus_mapping::store::JobState;
use moment_dkplus_mapping::sync::VerifyProblem;
use moment_dkplus_mapping::{DkPlusTarget, MomentSource, Notifier, SyncEngine};
use tokio::sync::watch;

/// Every setting, with its variable (`--help`).
const HELP: &str = "\
usage: webhook_receiver [--config FILE] [--help]

Receives Moment's webhooks and transfers each changed customer, project and invoice to DK+.
Every setting is an environment variable, or a key of the TOML file --config (or CONFIG_FILE)
names, spelt like the variable in either case; a variable that is set wins over the file:

  MOMENT_COMPANY          yes   Moment company code
  MOMENT_API_KEY          yes   Moment API key (never printed)
  DKPLUS_TOKEN            yes   DK+ API token (never printed)
  DKPLUS_SALES_PERSON     yes   DK+ sales person number on every invoice
  WEBHOOK_SECRET          yes   shared secret, at least 16 letters, digits, '-', '_' or '.'
  WEBHOOK_SECRET_HEADER   no    header that may carry the secret (default X-Webhook-Secret)
  WEBHOOK_LISTEN          no    address to listen on (default 127.0.0.1:8080)
  WEBHOOK_MAX_BODY_BYTES  no    largest body accepted (default 65536)
  WEBHOOK_RETRY_SECONDS   no    first wait before an event is tried again, doubling to 15 min (default 30)
  WEBHOOK_LEASE_SECONDS   no    how long a receiver holds an event (default 600)
  WEBHOOK_MAX_ATTEMPTS    no    attempts before an event is set aside with a report (default 10)
  WEBHOOK_BACKFILL_MINUTES no   minutes between safety-net catch-ups; 0 turns it off (default 60)
  ADMIN_SECRET            no    turns the status page (/status) on: the secret to sign in with (16+ characters)
  SHUTDOWN_GRACE_SECONDS  no    how long a stop waits for requests and the event under way, 0 to 60 (default 8)
  PAYMENTS_TO_MOMENT      no    on: register in Moment what DK+ shows as paid (default off; assumed API names)
  PAYMENTS_EVERY_HOURS    no    hours between payment syncs, 1 to 168 (default 24)
  STORE_URL               no    sqlite:path.db (default sqlite:moment-dkplus.db) or postgres://user:password@host/db
  DKPLUS_COMPANY          no    a name for the DK+ company; keys the store with MOMENT_COMPANY (default default)
  SETTLE_SECONDS          no    wait before an unclear post is looked up again (default 900)
  CLAIM_LEASE_SECONDS     no    how long a process holds an invoice it posts (default 300)
  CONCURRENCY             no    objects a catch-up transfers at a time, 1 to 64 (default 4)
  ERROR_EMAIL             no    who receives failure reports (comma-separated with SMTP_URL)
  SMTP_URL                no    smtps://user:password@host:465 or smtp://host:587; without it reports go to the log
  ALERT_FROM              with SMTP_URL   sender of failure e-mails
  ALERT_REPLY_TO          no    where replies to failure e-mails go
  MOMENT_BASE_URL, DKPLUS_BASE_URL, MOMENT_PAGE_BASE   no   other API addresses; Moment's first page (0 or 1)
  LOG_FORMAT              no    text (default) or json (environment only)
  RUST_LOG                no    log level (default info; environment only)

Routes: POST /webhooks/moment, GET /health, /healthz, /readyz, /metrics; /status and
/status.json with ADMIN_SECRET.
Every setting is described in docs/configuration.md.";

/// Every setting the program reads (a settings file may hold these keys alone).
const VARIABLES: &[&str] = &[
    "MOMENT_COMPANY",
    "MOMENT_API_KEY",
    "DKPLUS_TOKEN",
    "DKPLUS_SALES_PERSON",
    "WEBHOOK_SECRET",
    "WEBHOOK_SECRET_HEADER",
    "WEBHOOK_LISTEN",
    "WEBHOOK_MAX_BODY_BYTES",
    "WEBHOOK_RETRY_SECONDS",
    "WEBHOOK_LEASE_SECONDS",
    "WEBHOOK_MAX_ATTEMPTS",
    "WEBHOOK_BACKFILL_MINUTES",
    "ADMIN_SECRET",
    "SHUTDOWN_GRACE_SECONDS",
    "PAYMENTS_TO_MOMENT",
    "PAYMENTS_EVERY_HOURS",
    "STORE_URL",
    "DKPLUS_COMPANY",
    "SETTLE_SECONDS",
    "CLAIM_LEASE_SECONDS",
    "CONCURRENCY",
    "ERROR_EMAIL",
    "SMTP_URL",
    "ALERT_FROM",
    "ALERT_REPLY_TO",
    "MOMENT_BASE_URL",
    "DKPLUS_BASE_URL",
    "MOMENT_PAGE_BASE",
];

/// Checks the set-up until it works or is found wrong, and says so in `readiness`: wrong
/// credentials or settings are reported (and logged) at once; a system that is down is asked
/// again every 30 s.
async fn verify_in_background<M: MomentSource, D: DkPlusTarget>(
    engine: Arc<SyncEngine<M, D>>,
    readiness: Readiness,
) {
    loop {
        match engine.verify().await {
            Ok(()) => {
                tracing::info!("the set-up with Moment and DK+ is verified");
                readiness.set(ReadyState::Ready);
                return;
            }
            Err(e) => {
                let fatal = e.problems.iter().any(|p| match p {
                    VerifyProblem::DkPlusAccess(err) | VerifyProblem::MomentAccess(err) => {
                        !err.is_transient()
                    }
                    _ => true,
                });
                if fatal {
                    tracing::error!(
                        "{e}; webhooks are stored but cannot be transferred until it is fixed"
                    );
                    readiness.set(ReadyState::Wrong(e.to_string()));
                    return;
                }
                tracing::warn!("{e}; events wait in the store; checking again in 30 s");
                tokio::time::sleep(Duration::from_secs(30)).await;
            }
        }
    }
}

/// What the command line asks for.
enum Command {
    Help,
    Run { config: Option<std::path::PathBuf> },
}

fn command(args: &[String]) -> Result<Command, String> {
    match args {
        [] => Ok(Command::Run { config: None }),
        [flag] if flag == "--help" || flag == "-h" => Ok(Command::Help),
        [flag, file] if flag == "--config" => Ok(Command::Run {
            config: Some(file.into()),
        }),
        [flag] if flag == "--config" => {
            Err("--config needs a file: --config /etc/moment-dkplus.toml".into())
        }
        [other, ..] => Err(format!(
            "unknown argument {other:?}: the settings come from environment variables or --config FILE"
        )),
    }
}

/// How many events wait in the store's queue, and how many are held by a receiver.
async fn left_in_queue(
    store: &dyn moment_dkplus_mapping::store::Store,
    scope: &moment_dkplus_mapping::store::Scope,
) -> String {
    match (
        store.jobs(scope, JobState::Queued).await,
        store.jobs(scope, JobState::Leased).await,
    ) {
        (Ok(queued), Ok(leased)) => format!(
            "{} event(s) wait in the queue and {} are held by a receiver (handed out again when their lease runs out)",
            queued.len(),
            leased.len()
        ),
        (Err(e), _) | (_, Err(e)) => format!("the queue could not be read: {e}"),
    }
}

#[tokio::main]
async fn main() -> ExitCode {
    init_logging("info");
    let args: Vec<String> = std::env::args().skip(1).collect();
    let config = match command(&args) {
        Ok(Command::Help) => {
            println!("{HELP}");
            return ExitCode::SUCCESS;
        }
        Ok(Command::Run { config }) => config,
        Err(e) => {
            eprintln!("{e}\n\n{HELP}");
            return ExitCode::from(2);
        }
    };
    let file = match Settings::load(config.as_deref(), VARIABLES) {
        Ok(file) => file,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(2);
        }
    };
    let lookup = |name: &str| file.get(name);
    let (setup, settings) = match (
        Setup::from_lookup(lookup),
        ReceiverSettings::from_lookup(lookup),
    ) {
        (Ok(setup), Ok(settings)) => (setup, settings),
        (setup, settings) => {
            for e in [setup.err(), settings.err()].into_iter().flatten() {
                eprintln!("{e}");
            }
            return ExitCode::from(2);
        }
    };
    let store = match setup.open_store().await {
        Ok(store) => store,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(2);
        }
    };
    let engine = Arc::new(
        SyncEngine::new(setup.moment, setup.dkplus, setup.config)
            .with_store(store, setup.scope.clone()),
    );

    let notifier: Arc<dyn Notifier> =
        match alerting_notifier(lookup, engine.store().clone(), setup.scope.clone()) {
            Ok(notifier) => notifier,
            Err(e) => {
                eprintln!("{e}");
                return ExitCode::from(2);
            }
        };
    let recorder = install_metrics();
    let queue =
        Arc::new(WebhookQueue::new(engine.clone(), notifier.clone()).with_settings(settings.queue));
    tracing::info!(
        worker = queue.worker(),
        scope = %setup.scope,
        store = %setup.store_url,
        settings_file = file.file().map(|f| f.display().to_string()),
        status_page = settings.admin_secret.is_some(),
        "starting"
    );
    let (stop, stopped) = watch::channel(false);
    let mut worker_task = tokio::spawn(queue.clone().run(stopped.clone()));
    let safety_net_task = settings.backfill_every.map(|every| {
        let net = SafetyNet::new(engine.clone(), notifier.clone(), every, queue.gate());
        tokio::spawn(net.run(stopped.clone()))
    });

    let payments_task = settings.payments_every.map(|every| {
        let engine = engine.clone();
        let mut stopped = stopped.clone();
        tokio::spawn(async move {
            loop {
                let report = engine.sync_payments().await;
                if report.is_clean() {
                    tracing::info!(
                        registered = report.registered.len(),
                        waiting = report.waiting.len(),
                        "payments from DK+ registered in Moment"
                    );
                } else {
                    tracing::warn!(report = %serde_json::to_string(&report).unwrap_or_default(), "the payment sync needs a look");
                }
                tokio::select! {
                    () = tokio::time::sleep(every) => {}
                    _ = stopped.wait_for(|stop| *stop) => return,
                }
            }
        })
    });
    let listener = match tokio::net::TcpListener::bind(settings.listen).await {
        Ok(listener) => listener,
        Err(e) => {
            eprintln!("cannot listen on {} (WEBHOOK_LISTEN): {e}", settings.listen);
            return ExitCode::from(2);
        }
    };
    let address = listener
        .local_addr()
        .map(|a| a.to_string())
        .unwrap_or_else(|_| settings.listen.to_string());
    // The first line on stdout says where it listens (scripts and tests read it).
    println!("listening on http://{address}{WEBHOOK_PATH}");
    // It listens at once and checks the set-up in the background: webhooks are stored (and
    // wait) while Moment or DK+ is slow to answer at start; /readyz says how the check went.
    let readiness = Readiness::default();
    let check = tokio::spawn(verify_in_background(engine.clone(), readiness.clone()));
    let mut app = router(ReceiverState {
        inbox: queue.inbox(),
        secret: settings.secret,
        secret_header: settings.secret_header,
        max_body_bytes: settings.max_body_bytes,
    })
    .merge(operations_router(Operations {
        store: engine.store().clone(),
        scope: setup.scope.clone(),
        readiness,
        recorder,
    }));
    if let Some(admin_secret) = settings.admin_secret {
        app = app.merge(status_router(StatusPage {
            store: engine.store().clone(),
            scope: setup.scope.clone(),
            inbox: queue.inbox(),
            admin_secret,
            reconciler: Some(engine.clone()),
        }));
    }
    let mut stopping = stopped.clone();
    let serve = axum::serve(listener, app).with_graceful_shutdown(async move {
        let _ = stopping.wait_for(|stop| *stop).await;
    });
    let mut serve = std::pin::pin!(serve.into_future());
    // Events are only accepted while a worker handles them: if the worker stops (a panic),
    // the receiver stops too, so Moment's webhooks wait for a process that works.
    let served = tokio::select! {
        served = &mut serve => served.map_err(|e| format!("the server stopped: {e}")),
        ended = &mut worker_task => Err(match ended {
            Err(e) if e.is_panic() => "the worker stopped with a panic; no webhook is accepted without it".to_owned(),
            _ => "the worker stopped; no webhook is accepted without it".to_owned(),
        }),
        () = stop_signal() => {
            tracing::info!(
                grace_s = settings.shutdown_grace.as_secs(),
                "stopping: no new webhooks are accepted; requests and the event under way may finish"
            );
            Ok(())
        }
    };

    let _ = stop.send(true);
    check.abort();
    let finish = async {
        let _ = (&mut serve).await;
        if !worker_task.is_finished() {
            let _ = (&mut worker_task).await;
        }
        if let Some(task) = safety_net_task {
            let _ = task.await;
        }
        if let Some(task) = payments_task {
            let _ = task.await;
        }
    };
    if tokio::time::timeout(settings.shutdown_grace, finish)
        .await
        .is_err()
    {
        tracing::warn!(
            grace_s = settings.shutdown_grace.as_secs(),
            "still busy when the grace ran out; what was under way is handed out again when its lease runs out"
        );
    }
    let left = tokio::time::timeout(
        Duration::from_secs(2),
        left_in_queue(engine.store().as_ref(), &setup.scope),
    )
    .await
    .unwrap_or_else(|_| "the queue could not be read within 2 s".to_owned());
    match served {
        Ok(()) => {
            tracing::info!("stopped: {left}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            tracing::error!("{e}; stopped: {left}");
            eprintln!("{e}");
            ExitCode::from(1)
        }
    }
}
