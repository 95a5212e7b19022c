//! The sync engine: runs the rules against Moment and DK+ through the [`ports`](crate::ports).
//!
//! - [`SyncEngine::transfer_customer`], [`transfer_project`](SyncEngine::transfer_project),
//!   [`transfer_invoice`](SyncEngine::transfer_invoice): one object by Moment id.
//! - [`SyncEngine::handle_webhook`]: a Moment webhook body, end to end.
//! - [`SyncEngine::backfill`]: everything changed since a time, with bounded concurrency.
//! - [`SyncEngine::verify`]: the configuration against DK+ and Moment.

mod cache;
mod customer;
mod engine;
mod invoice;
mod notify;
mod order;
mod outcome;
mod project;
mod run;

pub use engine::{SyncEngine, VerifyError, VerifyProblem};
pub use notify::{CollectingNotifier, FailureReport, Notifier, NotifyError};
pub use outcome::{
    Counts, ExistingInvoice, ListingFailure, ObjectKind, ObjectOutcome, OutcomeSink, OutcomeStatus,
    Retention, Stopped, SyncFailure, SyncReport,
};
