//! The parts of a webhook receiver that do not depend on a web framework: the durable
//! [`queue`] of received events (stored before Moment is answered, handled by one worker at a
//! time across processes, retried, dead-lettered) and the [`SafetyNet`] that catches up
//! periodically for what webhooks miss.
//!
//! The HTTP side checks the secret and the size, parses the body with
//! [`moment_client::webhook::parse_with_limit`], stores it with [`QueueInbox::enqueue`] and
//! only then answers `202`.

pub mod queue;
pub mod safety_net;

pub use queue::{Handled, QueueInbox, QueueSettings, RetrySchedule, RunGate, WebhookQueue};
pub use safety_net::SafetyNet;
