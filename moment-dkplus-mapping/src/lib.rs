//! The Moment → DK+ integration: the rules as pure functions and a sync engine that runs them
//! against the two clients.
//!
//! - [`rules`]: Moment models in, DK+ write models out, or a [`rules::MappingError`] that lists
//!   every problem with what to fix in Moment.
//! - [`SyncEngine`]: transfers objects by id, handles webhooks, backfills, verifies the setup;
//!   talks to the systems through [`MomentSource`] and [`DkPlusTarget`].
//! - [`IntegrationConfig`]: what is transferred and how; invalid combinations are refused when
//!   it is built.

pub mod config;
#[macro_use]
mod data;
pub mod dry_run;
mod moment_id;
pub mod ports;
pub mod rules;
pub mod sync;
#[cfg(feature = "testing")]
pub mod testing;
pub mod warning;

pub use config::{
    ConfigError, ConfigProblem, IntegrationConfig, IntegrationConfigBuilder, ItemCodeFallback,
    TextLimits, TotalMismatch, TownLine,
};
pub use dry_run::{DryRun, PlannedWrite};
pub use moment_id::MomentId;
pub use ports::{DkPlusTarget, MomentSource, PortError, PortErrorKind};
pub use sync::{
    CollectingNotifier, FailureReport, Notifier, ObjectKind, ObjectOutcome, OutcomeStatus,
    Retention, SyncEngine, SyncFailure, SyncReport,
};
pub use warning::Warning;

// The README's examples compile as doc tests.
#[cfg(doctest)]
#[doc = include_str!("../../README.md")]
struct ReadmeDoctests;
