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
