//! What the example programs in `src/bin/` share: reading the settings from environment
//! variables, printing reports, showing progress, the parts of the webhook receiver, the
//! benchmark workloads, and the `fakes` program's world.
//!
//! Each program documents its own usage at the top of its file; start there.

pub mod args;
pub mod bench;
pub mod fakes;
pub mod notify;
pub mod progress;
pub mod report;
pub mod setup;
pub mod shutdown;
pub mod webhook;
