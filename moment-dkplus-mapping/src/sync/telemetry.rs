//! What the engine counts for the service's `/metrics`, through the `metrics` facade: nothing
//! is kept unless the application installs a recorder (feature `server` has one,
//! [`receiver::http::install_metrics`](crate::receiver)).

use super::outcome::ObjectOutcome;

/// Counter of objects handled, labelled by `kind` (`customer`, `project`, `invoice`,
/// `product`) and `status` ([`ObjectOutcome::state_key`]: `created`, …, `failed`,
/// `needs_person`, `outcome_unknown`).
pub const OUTCOMES_TOTAL: &str = "moment_dkplus_outcomes_total";

/// Counter of webhook events put back in the queue to be tried again.
pub const EVENT_RETRIES_TOTAL: &str = "moment_dkplus_webhook_retries_total";

/// Counts one outcome under [`OUTCOMES_TOTAL`].
pub(crate) fn record_outcome(outcome: &ObjectOutcome) {
    metrics::counter!(
        OUTCOMES_TOTAL,
        "kind" => outcome.kind.to_string(),
        "status" => outcome.state_key()
    )
    .increment(1);
}

/// Counts one event put back in the queue.
pub(crate) fn record_event_retry() {
    metrics::counter!(EVENT_RETRIES_TOTAL).increment(1);
}
