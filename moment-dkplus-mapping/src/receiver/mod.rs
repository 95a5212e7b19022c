//! A webhook receiver as a library: the durable [`queue`] of received events (stored before
//! Moment is answered, handled by one worker at a time across processes, retried,
//! dead-lettered), the [`SafetyNet`] that catches up periodically for what webhooks miss, the
//! [`SharedSecret`] every request must carry, and — with the feature `server` — the axum
//! router of the HTTP side ([`http`]), which checks the secret and the size, parses the body
//! with [`moment_client::webhook::parse_with_limit`], stores it with [`QueueInbox::enqueue`]
//! and only then answers `202`.

#[cfg(feature = "server")]
pub mod http;
pub mod queue;
pub mod safety_net;
pub mod secret;
pub mod status;
#[cfg(feature = "server")]
pub mod status_page;

pub use queue::{Handled, QueueInbox, QueueSettings, RetrySchedule, RunGate, WebhookQueue};
pub use safety_net::SafetyNet;
pub use secret::{SecretError, SharedSecret};
