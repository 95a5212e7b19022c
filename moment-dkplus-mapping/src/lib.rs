//! The Moment → DK+ integration: the rules as pure functions and a sync engine that runs them
//! against the two clients — this is the crate to start with.
//!
//! ```no_run
//! use moment_dkplus_mapping::{IntegrationConfig, SyncEngine};
//!
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let moment = moment_client::MomentClient::builder()
//!     .company_code("acme")
//!     .api_key(std::env::var("MOMENT_API_KEY")?)
//!     .build()?;
//! let dkplus = dkplus_client::DkPlusClient::new(std::env::var("DKPLUS_TOKEN")?)?;
//! let config = IntegrationConfig::builder()
//!     .sales_person("vef")
//!     .error_email("bokhald@acme.is")
//!     .build()?;
//! let engine = SyncEngine::new(moment, dkplus, config);
//! engine.verify().await?;
//!
//! // Everything changed in Moment in the last week; nothing is posted twice.
//! let since = chrono::Utc::now() - chrono::Duration::days(7);
//! let report = engine.backfill(since).await;
//! println!("{}", report.counts);
//! for failed in report.failures() {
//!     println!("{failed}"); // what went wrong and what to fix
//! }
//! # Ok(()) }
//! ```
//!
//! - [`SyncEngine`]: transfers objects by id, handles webhooks (a typed
//!   [`WebhookEvent`](moment_client::WebhookEvent)), backfills, retries a failed outcome, verifies
//!   the set-up; talks to the systems through the ports [`MomentSource`] and [`DkPlusTarget`].
//! - [`rules`]: Moment models in, DK+ write models out, or a [`rules::MappingError`] that lists
//!   every problem with what to fix in Moment.
//! - [`IntegrationConfig`]: what is transferred and how; invalid combinations are refused when
//!   it is built, or when it is read from a file (it is `Deserialize`).
//! - [`SyncReport`], [`FailureReport`], [`Notifier`]: what happened, as text for people and as
//!   data (`Serialize`, with stable `kind` keys) for programs.
//! - [`DryRun`]: read DK+, write nothing, and see each [`PlannedWrite`] as the exact request.
//! - `testing` (feature `testing`): `FakeWorld` — a fake Moment and a fake DK+ wired to an engine —
//!   and a seeded demo company, for your own tests.
//!
//! The guides are in the repository's `docs/`: `architecture.md` (how it fits together and where
//! to plug in), `integration-rules.md` (every rule, its source, its code and its test),
//! `configuration.md`, `errors.md` (every message and what to do), `testing-with-fakes.md`,
//! `dkplus-api.md` and `moment-api.md` (the wire facts), `security.md`, `performance.md`.
#![cfg_attr(docsrs, feature(doc_cfg))]

#[macro_use]
mod data;
pub mod config;
pub mod dry_run;
#[cfg(test)]
mod errors_doc;
mod html;
mod moment_id;
pub mod ports;
pub mod receiver;
pub mod reconcile;
pub mod rules;
#[cfg(feature = "smtp")]
pub mod smtp;
pub mod store;
pub mod sync;
#[cfg(feature = "testing")]
#[cfg_attr(docsrs, doc(cfg(feature = "testing")))]
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
        Operations = "operations.md",
        Performance = "performance.md",
        Security = "security.md",
        StateStore = "state-store.md",
        TestingWithFakes = "testing-with-fakes.md",
    );
}
