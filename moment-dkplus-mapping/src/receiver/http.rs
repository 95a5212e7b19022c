//! The HTTP side of the receiver (feature `server`): an axum [`Router`] that checks the shared
//! secret and the size, stores the body in the store's queue, and only then answers — to embed
//! in a service's own axum app:
//!
//! ```no_run
//! # use moment_dkplus_mapping::receiver::{QueueInbox, SharedSecret};
//! # use moment_dkplus_mapping::receiver::http::{ReceiverState, router};
//! # fn app(inbox: QueueInbox) -> axum::Router {
//! let webhooks = router(ReceiverState {
//!     inbox,
//!     secret: SharedSecret::new("a-long-random-shared-secret").unwrap(),
//!     secret_header: axum::http::HeaderName::from_static("x-webhook-secret"),
//!     max_body_bytes: 64 * 1024,
//! });
//! axum::Router::new().merge(webhooks) // … and the service's own routes
//! # }
//! ```
//!
//! Tower layers trace every request, end one that takes longer than [`REQUEST_TIMEOUT`], and
//! refuse a body over the limit before it is read whole.

use std::time::Duration;

use axum::Router;
use axum::body::to_bytes;
use axum::extract::DefaultBodyLimit;
use axum::extract::{Request, State};
use axum::http::header::CONTENT_LENGTH;
use axum::http::{HeaderName, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use moment_client::webhook::{self, WebhookObject};
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;

use super::QueueInbox;
use super::secret::SharedSecret;

/// The longest a webhook request may take (storing an event takes milliseconds; a store that
/// does not answer in this time gets Moment's delivery refused, and Moment sends it again).
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(15);

/// The path Moment posts to.
pub const WEBHOOK_PATH: &str = "/webhooks/moment";
/// A path that answers `200 ok` (for load balancers and uptime checks).
pub const HEALTH_PATH: &str = "/health";

/// What the request handler needs.
#[derive(Clone, Debug)]
pub struct ReceiverState {
    /// Where bodies are stored before they are acknowledged.
    pub inbox: QueueInbox,
    /// The secret every request must carry.
    pub secret: SharedSecret,
    /// The header that may carry the secret.
    pub secret_header: HeaderName,
    /// The largest body accepted.
    pub max_body_bytes: usize,
}

/// The receiver's routes: `POST` [`WEBHOOK_PATH`] and `GET` [`HEALTH_PATH`], with the tower
/// layers.
pub fn router(state: ReceiverState) -> Router {
    let limit = state.max_body_bytes;
    Router::new()
        .route(WEBHOOK_PATH, post(receive))
        .route(HEALTH_PATH, get(|| async { "ok" }))
        .with_state(state)
        .layer(DefaultBodyLimit::max(limit))
        .layer(TimeoutLayer::with_status_code(
            StatusCode::SERVICE_UNAVAILABLE,
            REQUEST_TIMEOUT,
        ))
        .layer(TraceLayer::new_for_http())
}

fn answer(status: StatusCode, text: impl Into<String>) -> Response {
    (status, text.into()).into_response()
}

/// Checks the secret before reading the body, refuses a body over the limit before
/// buffering it, stores the event durably, and only then answers `202 Accepted`.
async fn receive(State(state): State<ReceiverState>, request: Request) -> Response {
    let header = request
        .headers()
        .get(&state.secret_header)
        .and_then(|v| v.to_str().ok());
    if !state.secret.accepts(header, request.uri().query()) {
        tracing::warn!("webhook refused: missing or wrong secret");
        return answer(StatusCode::UNAUTHORIZED, "missing or wrong webhook secret");
    }
    let too_large = || {
        answer(
            StatusCode::PAYLOAD_TOO_LARGE,
            format!("webhook body over {} bytes", state.max_body_bytes),
        )
    };
    let declared = request
        .headers()
        .get(CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > state.max_body_bytes as u64) {
        return too_large();
    }
    let body = match to_bytes(request.into_body(), state.max_body_bytes).await {
        Ok(body) => body,
        Err(_) => return too_large(),
    };
    let event = match webhook::parse_with_limit(&body, state.max_body_bytes) {
        Ok(event) => event,
        Err(e) => {
            tracing::warn!(error = %e, "webhook refused: not a Moment notification");
            return answer(StatusCode::BAD_REQUEST, e.to_string());
        }
    };
    if let WebhookObject::Unknown { object_type, .. } = &event.object {
        tracing::debug!(%object_type, "webhook for an object type that is not transferred");
        return answer(
            StatusCode::ACCEPTED,
            format!("ignored: {object_type} is not transferred to DK+"),
        );
    }
    // A body serde_json accepted is UTF-8.
    let Ok(text) = std::str::from_utf8(&body) else {
        return answer(StatusCode::BAD_REQUEST, "the body is not UTF-8 text");
    };
    match state.inbox.enqueue(text).await {
        Ok(id) => {
            tracing::info!(
                job = %id,
                event = event.event_name(),
                object = event.object_type(),
                id = event.object_id(),
                "webhook stored"
            );
            answer(StatusCode::ACCEPTED, "accepted")
        }
        Err(e) => {
            tracing::error!(error = %e, "could not store a webhook; answered 503 so Moment sends it again");
            answer(
                StatusCode::SERVICE_UNAVAILABLE,
                "could not store the event; send it again",
            )
        }
    }
}

/// Where a service says it is alive.
pub const HEALTHZ_PATH: &str = "/healthz";
/// Where a service says whether its set-up was verified (load balancers send traffic then).
pub const READYZ_PATH: &str = "/readyz";
/// Prometheus metrics, in the text format.
pub const METRICS_PATH: &str = "/metrics";

/// Whether the service's set-up (tokens, keys, the sales person) was verified: set by the
/// service when its check in the background ends; read by [`READYZ_PATH`] and the metrics.
#[derive(Clone, Debug, Default)]
pub struct Readiness(std::sync::Arc<std::sync::Mutex<ReadyState>>);

/// What the background check found so far.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum ReadyState {
    /// Still checking (the service already accepts webhooks: they wait in the store).
    #[default]
    Verifying,
    /// The set-up works.
    Ready,
    /// The set-up is wrong, in words (what to fix); webhooks are still stored.
    Wrong(String),
}

impl Readiness {
    /// Records what the check found.
    pub fn set(&self, state: ReadyState) {
        *self.0.lock().unwrap_or_else(|p| p.into_inner()) = state;
    }

    /// What the check found so far.
    pub fn get(&self) -> ReadyState {
        self.0.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }
}

/// What the operations routes read.
#[derive(Clone)]
pub struct Operations {
    /// The store whose queue, ledger and objects the metrics count.
    pub store: std::sync::Arc<dyn crate::store::Store>,
    /// Whose books.
    pub scope: crate::store::Scope,
    /// The set-up check's state.
    pub readiness: Readiness,
    /// This process's counters and histograms ([`install_metrics`]), rendered after the
    /// store's gauges; `None` serves the gauges alone.
    pub recorder: Option<PrometheusHandle>,
}

/// The upper bounds, in seconds, of the API latency histogram's buckets.
pub const LATENCY_BUCKETS: [f64; 10] = [0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0];

/// Installs this process's metrics recorder (once; later calls return the same handle; called
/// within a Tokio runtime, it also folds samples in every few seconds): the
/// engine's outcome and retry counters and both clients' request-latency histograms
/// (`moment_dkplus_api_request_seconds`, buckets [`LATENCY_BUCKETS`]) are kept from then on and
/// rendered by [`METRICS_PATH`]. `None` when the application installed another recorder of
/// the `metrics` facade first (its own exporter then has them).
pub fn install_metrics() -> Option<PrometheusHandle> {
    static HANDLE: std::sync::OnceLock<Option<PrometheusHandle>> = std::sync::OnceLock::new();
    HANDLE
        .get_or_init(|| {
            let recorder = PrometheusBuilder::new()
                .set_buckets_for_metric(
                    Matcher::Full(dkplus_client::retry::REQUEST_SECONDS.to_owned()),
                    &LATENCY_BUCKETS,
                )
                .ok()?
                .build_recorder();
            let handle = recorder.handle();
            metrics::set_global_recorder(recorder).ok()?;
            describe();
            // Samples are folded into the histograms on each render; without a scraper they
            // would pile up, so fold them every few seconds too.
            if let Ok(runtime) = tokio::runtime::Handle::try_current() {
                let upkeep = handle.clone();
                runtime.spawn(async move {
                    loop {
                        tokio::time::sleep(std::time::Duration::from_secs(5)).await;
                        upkeep.run_upkeep();
                    }
                });
            }
            Some(handle)
        })
        .clone()
}

/// Gives each metric its help text.
fn describe() {
    use crate::sync::telemetry::{EVENT_RETRIES_TOTAL, OUTCOMES_TOTAL};
    use dkplus_client::retry::{REQUEST_SECONDS, RETRIES_TOTAL};
    metrics::describe_histogram!(
        REQUEST_SECONDS,
        metrics::Unit::Seconds,
        "Duration of each request to DK+ or Moment, by system and answer class."
    );
    metrics::describe_counter!(
        RETRIES_TOTAL,
        "Requests to DK+ or Moment sent again after a transient failure, by system."
    );
    metrics::describe_counter!(
        OUTCOMES_TOTAL,
        "Objects handled by this process, by kind and state (outcome_unknown: a post whose answer was lost)."
    );
    metrics::describe_counter!(
        EVENT_RETRIES_TOTAL,
        "Webhook events put back in the queue to be tried again."
    );
}

/// `GET` [`HEALTHZ_PATH`] (alive: `200 ok`), [`READYZ_PATH`] (`200 ready` once the set-up was
/// verified, `503` with what is wrong or that it is still being checked) and [`METRICS_PATH`]
/// (Prometheus text: readiness, webhook events by state, ledger invoices by state, objects due
/// for another attempt; then this process's counters and latency histograms when
/// [`Operations::recorder`] is set). Serve them where only operators reach them.
pub fn operations_router(operations: Operations) -> Router {
    Router::new()
        .route(HEALTHZ_PATH, get(|| async { "ok" }))
        .route(READYZ_PATH, get(readyz))
        .route(METRICS_PATH, get(metrics))
        .with_state(operations)
        .layer(TimeoutLayer::with_status_code(
            StatusCode::SERVICE_UNAVAILABLE,
            REQUEST_TIMEOUT,
        ))
}

async fn readyz(State(ops): State<Operations>) -> Response {
    match ops.readiness.get() {
        ReadyState::Ready => answer(StatusCode::OK, "ready"),
        ReadyState::Verifying => answer(
            StatusCode::SERVICE_UNAVAILABLE,
            "verifying the set-up with Moment and DK+",
        ),
        ReadyState::Wrong(problem) => answer(
            StatusCode::SERVICE_UNAVAILABLE,
            format!("the set-up is wrong: {problem}"),
        ),
    }
}

async fn metrics(State(ops): State<Operations>) -> Response {
    use crate::store::{JobState, LedgerState};
    use std::fmt::Write as _;
    let mut out = String::new();
    let ready = u8::from(ops.readiness.get() == ReadyState::Ready);
    let _ = writeln!(
        out,
        "# HELP moment_dkplus_ready Whether the set-up was verified (1) or not yet or wrongly (0).\n# TYPE moment_dkplus_ready gauge\nmoment_dkplus_ready {ready}"
    );
    let _ = writeln!(
        out,
        "# HELP moment_dkplus_webhook_events Webhook events in the store's queue, by state.\n# TYPE moment_dkplus_webhook_events gauge"
    );
    for state in [
        JobState::Queued,
        JobState::Leased,
        JobState::Done,
        JobState::Dead,
    ] {
        match ops.store.jobs(&ops.scope, state).await {
            Ok(jobs) => {
                let _ = writeln!(
                    out,
                    "moment_dkplus_webhook_events{{state=\"{}\"}} {}",
                    state.key(),
                    jobs.len()
                );
            }
            Err(e) => return answer(StatusCode::SERVICE_UNAVAILABLE, format!("{e}")),
        }
    }
    let ledger = match ops.store.ledger(&ops.scope).await {
        Ok(ledger) => ledger,
        Err(e) => return answer(StatusCode::SERVICE_UNAVAILABLE, format!("{e}")),
    };
    let _ = writeln!(
        out,
        "# HELP moment_dkplus_ledger_invoices Invoices in the ledger, by state.\n# TYPE moment_dkplus_ledger_invoices gauge"
    );
    for state in [
        LedgerState::Claimed,
        LedgerState::Posting,
        LedgerState::Posted,
        LedgerState::OutcomeUnknown,
        LedgerState::Failed,
        LedgerState::NeedsPerson,
    ] {
        let count = ledger.iter().filter(|e| e.state == state).count();
        let _ = writeln!(
            out,
            "moment_dkplus_ledger_invoices{{state=\"{}\"}} {count}",
            state.key()
        );
    }
    match ops.store.due_objects(&ops.scope, chrono::Utc::now()).await {
        Ok(due) => {
            let _ = writeln!(
                out,
                "# HELP moment_dkplus_objects_due Objects an earlier run could not transfer, due for another attempt.\n# TYPE moment_dkplus_objects_due gauge\nmoment_dkplus_objects_due {}",
                due.len()
            );
        }
        Err(e) => return answer(StatusCode::SERVICE_UNAVAILABLE, format!("{e}")),
    }
    if let Some(recorder) = &ops.recorder {
        out.push_str(&recorder.render());
    }
    (
        StatusCode::OK,
        [(
            axum::http::header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        out,
    )
        .into_response()
}
