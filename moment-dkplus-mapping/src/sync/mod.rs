//! The sync engine: runs the rules against Moment and DK+ through the [`ports`](crate::ports).
//!
//! - [`SyncEngine::transfer_customer`], [`transfer_project`](SyncEngine::transfer_project),
//!   [`transfer_invoice`](SyncEngine::transfer_invoice): one object by Moment id.
//! - [`SyncEngine::handle_webhook`]: a Moment webhook body, end to end.
//! - [`SyncEngine::backfill`]: everything changed since a time, with bounded concurrency.
//! - [`SyncEngine::verify`]: the configuration against DK+ and Moment.

mod alert;
mod backfill;
mod cache;
mod catch_up;
mod claim;
mod context;
mod customer;
mod engine;
mod ensure;
mod existing;
mod failure;
mod invoice;
mod known;
mod notify;
mod order;
mod outcome;
pub mod payments;
mod project;
mod report;
mod run;
pub mod telemetry;

pub use alert::{AlertPolicy, AlertSettings};
pub use engine::{SyncEngine, VerifyError, VerifyProblem};
pub use failure::{ExistingInvoice, SyncFailure};
pub use notify::{AlertKind, CollectingNotifier, FailureReport, Notifier, NotifyError};
pub use outcome::{ObjectKind, ObjectOutcome, OutcomeStatus};
pub use report::{Counts, ListingFailure, OutcomeSink, Retention, Stopped, SyncReport};
