//! The Moment → DK+ integration: the rules as pure functions and a sync engine that runs them
//! against the two clients.
//!
//! - [`rules`]: Moment models in, DK+ write models out, or a [`rules::MappingError`] that lists
//!   every problem with what to fix in Moment.
//! - [`SyncEngine`]: transfers objects by id, handles webhooks, backfills, verifies the setup;
//!   talks to the systems through [`MomentSource`] and [`DkPlusTarget`].
//! - [`IntegrationConfig`]: what is transferred and how; invalid combinations are refused when
//!   it is built.

#[macro_use]
mod data;
pub mod config;
pub mod dry_run;
#[cfg(test)]
mod errors_doc;
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

// The README's examples and the Rust code in `docs/` compile (and run) as doc tests, so the
// guides cannot drift from the code.
#[cfg(doctest)]
#[doc = include_str!("../../README.md")]
struct ReadmeDoctests;

#[cfg(doctest)]
mod docs_doctests {
    macro_rules! doc_file {
        ($($name:ident = $file:literal),+ $(,)?) => {
            $(
                #[doc = include_str!(concat!("../../docs/", $file))]
                struct $name;
            )+
        };
    }
    doc_file!(
        Architecture = "architecture.md",
        Configuration = "configuration.md",
        Dependencies = "dependencies.md",
        DkPlusApi = "dkplus-api.md",
        Errors = "errors.md",
        IntegrationRules = "integration-rules.md",
        MomentApi = "moment-api.md",
        Performance = "performance.md",
        Security = "security.md",
        TestingWithFakes = "testing-with-fakes.md",
    );
}
