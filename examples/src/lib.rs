//! What the example programs in `src/bin/` share: reading the settings from environment
//! variables, printing reports, showing progress, and the parts of the webhook receiver.
//!
//! Each program documents its own usage at the top of its file; start there.

pub mod args;
pub mod notify;
pub mod progress;
pub mod report;
pub mod setup;
pub mod webhook;
