//! What the example programs in `src/bin/` share: reading the settings from environment
//! variables, printing reports, showing progress, the parts of the webhook receiver, the
//! benchmark workloads, and the `fakes` program's world.
//!
//! The fakes, the demo and the benchmarks need the feature `fakes` (on by default); the other
//! programs build without it, so a production build of the service links no fake:
//! `cargo build --release -p moment-dkplus-examples --no-default-features --bin webhook_receiver`.
//!
//! Each program documents its own usage at the top of its file; start there.

pub mod args;
#[cfg(feature = "fakes")]
pub mod bench;
#[cfg(feature = "fakes")]
pub mod fakes;
pub mod notify;
pub mod progress;
pub mod reconcile;
pub mod report;
pub mod settings;
pub mod setup;
pub mod shutdown;
pub mod webhook;
