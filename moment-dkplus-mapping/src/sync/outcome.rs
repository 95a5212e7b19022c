//! What a sync did, object by object: [`ObjectOutcome`], [`SyncFailure`] and [`SyncReport`].

use std::fmt;
use std::sync::Mutex;

use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;

use crate::ports::{PortError, PortErrorKind};
use crate::rules::MappingError;
use crate::warning::Warning;

/// The object types the integration writes to DK+: customers, projects and invoices (each
/// transferred from Moment), and products (created in DK+ for the item codes invoices use).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum ObjectKind {
    /// A customer.
    Customer,
    /// A project.
    Project,
    /// An invoice or credit note.
    Invoice,
    /// A DK+ product (item) created for an item code; its Moment id is the product's, or the
    /// financial account's when the item code came from an account.
    Product,
}

impl fmt::Display for ObjectKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Customer => "customer",
            Self::Project => "project",
            Self::Invoice => "invoice",
            Self::Product => "product",
        })
    }
}

/// An existing DK+ invoice that carries the same reference as the one being sent.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExistingInvoice {
    /// Its DK+ number.
    pub number: Option<String>,
    /// Its customer number.
    pub customer: Option<String>,
    /// Its invoice date.
    pub date: Option<NaiveDate>,
    /// Its total without VAT.
    pub total: Option<Decimal>,
}

impl ExistingInvoice {
    pub(crate) fn of(invoice: &dkplus_client::SalesInvoice) -> Self {
        Self {
            number: invoice.number.as_ref().map(|n| n.to_string()),
            customer: invoice.customer_number.as_ref().map(|n| n.to_string()),
            date: invoice.invoice_date,
            total: invoice.total_amount,
        }
    }
}

impl fmt::Display for ExistingInvoice {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let or_unknown = |v: &Option<String>| v.clone().unwrap_or_else(|| "?".into());
        write!(
            f,
            "DK+ invoice {} (customer {}, dated {}, total without VAT {})",
            or_unknown(&self.number),
            or_unknown(&self.customer),
            self.date
                .map(|d| d.to_string())
                .unwrap_or_else(|| "?".into()),
            self.total
                .map(|t| t.to_string())
                .unwrap_or_else(|| "?".into())
        )
    }
}

/// Why an object was not transferred, with what to do about it.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SyncFailure {
    /// The Moment data breaks a rule; every problem is listed with what to fix in Moment.
    #[error("{0}")]
    Mapping(MappingError),
    /// Moment has no such object (deleted, or a wrong id).
    #[error("Moment has no {kind} with id {id}: it may have been deleted")]
    NotInMoment {
        /// The object type.
        kind: ObjectKind,
        /// The id asked for.
        id: i64,
    },
    /// Moment could not be read.
    #[error("{}", describe_moment(.0))]
    Moment(PortError),
    /// DK+ refused, could not be reached, or gave no usable answer.
    #[error("{}", describe_dkplus(what, error))]
    DkPlus {
        /// What was being done, e.g. "invoice" or "customer 10001 lookup".
        what: String,
        /// The error.
        error: PortError,
    },
    /// A customer, project or product must already exist in DK+ because its transfer is off.
    #[error("{what} {number} does not exist in DK+ and {why}: {fix}")]
    MissingInDkPlus {
        /// "customer", "project" or "product".
        what: &'static str,
        /// Its number or item code.
        number: String,
        /// Why it was not created.
        why: &'static str,
        /// What to do.
        fix: &'static str,
    },
    /// The configured sales person does not exist in DK+.
    #[error(
        "the sales person {0:?} does not exist in DK+: create it under Sales persons in DK+ or \
         correct the sales person number in the integration configuration; no invoice was sent"
    )]
    SalesPersonUnknown(String),
    /// DK+ already has an invoice with this reference that is not this one (another customer
    /// or another total): nothing was posted, a person must look.
    #[error(
        "DK+ already has an invoice with reference {reference} that is not this one (customer \
         {customer}, dated {date}, total without VAT {total}): {}; nothing was posted — check in \
         DK+ whether Moment's invoice number was reused",
        existing.iter().map(ToString::to_string).collect::<Vec<_>>().join("; ")
    )]
    ReferenceConflict {
        /// The reference (Moment's invoice number).
        reference: String,
        /// The customer of the Moment invoice.
        customer: String,
        /// The date of the Moment invoice.
        date: NaiveDate,
        /// The total of the Moment invoice as sent.
        total: Decimal,
        /// What DK+ has.
        existing: Vec<ExistingInvoice>,
    },
    /// More than one DK+ invoice is this invoice (same reference, customer, date and total): it was
    /// booked more than once before; nothing was posted, a person must credit the extra ones.
    #[error(
        "DK+ holds invoice reference {reference} {} times with the same customer, date and total: \
         {}; nothing was posted — credit the duplicates in DK+ so one remains",
        existing.len(),
        existing.iter().map(ToString::to_string).collect::<Vec<_>>().join("; ")
    )]
    DuplicatesInDkPlus {
        /// The reference (Moment's invoice number).
        reference: String,
        /// Every matching DK+ invoice.
        existing: Vec<ExistingInvoice>,
    },
    /// The invoice is in DK+ (same reference, customer and date) with another total: it changed in
    /// Moment after it was booked.
    #[error(
        "invoice {reference} was booked in DK+ as {} with {dkplus_total} without VAT, but Moment's \
         total is now {moment_total}: it changed in Moment after it was booked; nothing was posted \
         — correct DK+ with a credit note and a new invoice, or restore the invoice in Moment",
        dkplus_number.as_deref().unwrap_or("?")
    )]
    ChangedSincePosted {
        /// The reference.
        reference: String,
        /// The DK+ invoice number.
        dkplus_number: Option<String>,
        /// What DK+ booked without VAT.
        dkplus_total: Decimal,
        /// Moment's total without VAT now.
        moment_total: Decimal,
    },
    /// The DK+ customer with this number is another legal entity than Moment's customer.
    #[error(
        "DK+ customer {number} is {dkplus}, not Moment's {moment}: {reason}; nothing was written to \
         it — if it is the same company, correct its name in DK+ to Moment's and the next run \
         updates it; if not, give the customer another number in Moment"
    )]
    CustomerIdentity {
        /// The customer number.
        number: String,
        /// Who DK+'s record is (name, kennitala where DK+ tells it).
        dkplus: String,
        /// Who Moment's customer is.
        moment: String,
        /// The evidence.
        reason: String,
    },
    /// Two Moment customers carry the same customer number.
    #[error(
        "Moment customers [Moment id {first}] and [Moment id {second}] both have the customer number \
         {number}: DK+ keys customers by number, so only the first was transferred; give one of \
         them another number in Moment"
    )]
    DuplicateCustomerNumber {
        /// The number.
        number: String,
        /// The Moment id transferred first.
        first: i64,
        /// The Moment id refused.
        second: i64,
    },
    /// The invoice was posted, the answer was lost, and it cannot be found by its reference yet.
    #[error(
        "the invoice with reference {reference} was sent to DK+ but no clear answer came back \
         ({error}) and DK+ does not show it yet; it was not sent again — the next run looks it up \
         by reference and sends it only if it is still missing"
    )]
    OutcomeUnknown {
        /// The reference.
        reference: String,
        /// The error of the POST.
        error: PortError,
    },
    /// Something the object depends on (its customer, project or a product) failed first.
    #[error("its {dependency} could not be transferred: {}", one_line(failure))]
    Dependency {
        /// What it depends on, e.g. "customer 10001".
        dependency: String,
        /// Why that failed.
        failure: Box<SyncFailure>,
    },
}

/// The error's text without a closing full stop, so a hint can follow it.
fn text(error: &PortError) -> &str {
    error.message.trim_end().trim_end_matches('.')
}

fn describe_moment(error: &PortError) -> String {
    let e = text(error);
    match error.kind {
        PortErrorKind::Unavailable => {
            format!("Moment could not be reached: {e}; a later run tries again")
        }
        PortErrorKind::Unauthorized => format!(
            "Moment refused the API key: {e}; check the company code and the key (Company / API keys in Moment)"
        ),
        PortErrorKind::Rejected => format!("Moment refused the request: {e}"),
        _ => format!("Moment's answer could not be used: {e}"),
    }
}

fn describe_dkplus(what: &str, error: &PortError) -> String {
    let e = text(error);
    match error.kind {
        PortErrorKind::Rejected => format!("DK+ refused the {what}: {e}"),
        PortErrorKind::Unauthorized => format!(
            "DK+ refused the token for the {what}: {e}; create a new API token in DK+ (Menu / Settings, tokens)"
        ),
        PortErrorKind::Unavailable => {
            format!("DK+ could not be reached for the {what}: {e}; a later run tries again")
        }
        PortErrorKind::OutcomeUnknown => format!(
            "DK+ gave no clear answer to the {what}: {e}; a later run checks DK+ before writing again"
        ),
        PortErrorKind::InvalidInput => format!("the {what} was not sent to DK+: {e}"),
        _ => format!("DK+'s answer to the {what} could not be used: {e}"),
    }
}

/// A failure on one line (a mapping failure's problems joined), for outcome lines and the
/// dependency message.
fn one_line(failure: &SyncFailure) -> String {
    match failure {
        SyncFailure::Mapping(error) => format!(
            "cannot be sent to DK+: {}",
            error
                .problems
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join("; ")
        ),
        other => other.to_string().replace('\n', " "),
    }
}

impl SyncFailure {
    /// `true` when a later run may succeed without anyone changing anything (DK+ or Moment
    /// was unreachable, or the outcome of a post is not known yet).
    pub fn retry_later(&self) -> bool {
        match self {
            Self::Moment(e) => e.is_transient(),
            Self::DkPlus { error, .. } => error.is_transient(),
            Self::OutcomeUnknown { .. } => true,
            Self::Dependency { failure, .. } => failure.retry_later(),
            _ => false,
        }
    }

    /// The system error behind the failure, if it is one.
    pub(crate) fn port_error(&self) -> Option<&PortError> {
        match self {
            Self::Moment(e) => Some(e),
            Self::DkPlus { error, .. } => Some(error),
            Self::Dependency { failure, .. } => failure.port_error(),
            _ => None,
        }
    }

    /// `true` when the failure is not about this object but about a whole system: a refused
    /// token or key, or a system that cannot be reached. Every other object would fail the same
    /// way, so a run stops at the first one (see [`SyncReport::stopped`]).
    pub fn is_systemic(&self) -> bool {
        let systemic = |e: &PortError| {
            matches!(
                e.kind,
                PortErrorKind::Unauthorized | PortErrorKind::Unavailable
            )
        };
        match self {
            Self::Moment(e) => systemic(e),
            Self::DkPlus { error, .. } => systemic(error),
            Self::Dependency { failure, .. } => failure.is_systemic(),
            _ => false,
        }
    }
}

/// What happened to one object.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum OutcomeStatus {
    /// Created in DK+ (for invoices: posted).
    Created,
    /// An existing DK+ record was updated.
    Updated,
    /// DK+ already had it exactly so; nothing was written.
    Unchanged,
    /// DK+ already had it (for invoices: found by reference); nothing was written.
    AlreadyPresent,
    /// Not transferred on purpose (type turned off, draft invoice, deleted object, ...).
    Skipped(String),
    /// Not transferred because of a problem; a later run tries again.
    Failed(SyncFailure),
}

impl OutcomeStatus {
    /// A short word for reports.
    pub fn label(&self) -> &'static str {
        match self {
            Self::Created => "created",
            Self::Updated => "updated",
            Self::Unchanged => "unchanged",
            Self::AlreadyPresent => "already in DK+",
            Self::Skipped(_) => "skipped",
            Self::Failed(_) => "FAILED",
        }
    }
}

/// The result for one Moment object.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ObjectOutcome {
    /// The object type.
    pub kind: ObjectKind,
    /// Moment's id of the object.
    pub moment_id: i64,
    /// Moment's number (customer, project or invoice number), when known.
    pub moment_number: Option<String>,
    /// The DK+ number: the same as Moment's for customers and projects; DK+'s own invoice number.
    pub dkplus_number: Option<String>,
    /// What happened.
    pub status: OutcomeStatus,
    /// Things worth a look.
    pub warnings: Vec<Warning>,
    /// `true` in a dry run: the write was planned, not sent ("would be created").
    pub planned: bool,
}

impl ObjectOutcome {
    pub(crate) fn new(kind: ObjectKind, moment_id: i64, moment_number: Option<String>) -> Self {
        Self {
            kind,
            moment_id,
            moment_number,
            dkplus_number: None,
            status: OutcomeStatus::Skipped(String::new()),
            warnings: Vec::new(),
            planned: false,
        }
    }

    /// The word for what happened: "created", or in a dry run "would be created" (for an
    /// invoice "posted" / "would be posted").
    pub fn label(&self) -> &'static str {
        match (&self.status, self.planned, self.kind) {
            (OutcomeStatus::Created, false, ObjectKind::Invoice) => "posted",
            (OutcomeStatus::Created, true, ObjectKind::Invoice) => "would be posted",
            (OutcomeStatus::Created, true, _) => "would be created",
            (OutcomeStatus::Updated, true, _) => "would be updated",
            (status, _, _) => status.label(),
        }
    }

    pub(crate) fn with(mut self, status: OutcomeStatus) -> Self {
        self.status = status;
        self
    }

    /// The failure, if the object failed.
    pub fn failure(&self) -> Option<&SyncFailure> {
        match &self.status {
            OutcomeStatus::Failed(f) => Some(f),
            _ => None,
        }
    }

    /// `true` when the object failed.
    pub fn is_failed(&self) -> bool {
        self.failure().is_some()
    }

    /// `true` when the object itself no longer exists in Moment (not when something it refers
    /// to is missing): no later run will find it again.
    pub fn is_gone_from_moment(&self) -> bool {
        matches!(
            self.failure(),
            Some(SyncFailure::NotInMoment { kind, id }) if *kind == self.kind && *id == self.moment_id
        )
    }
}

impl fmt::Display for ObjectOutcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} {}",
            self.kind,
            self.moment_number.as_deref().unwrap_or("(no number)")
        )?;
        write!(f, " [Moment id {}]", self.moment_id)?;
        if let Some(n) = &self.dkplus_number {
            write!(f, " → DK+ {n}")?;
        }
        write!(f, ": {}", self.label())?;
        match &self.status {
            OutcomeStatus::Skipped(reason) if !reason.is_empty() => write!(f, " ({reason})"),
            // The object is already named: only what went wrong, on one line.
            OutcomeStatus::Failed(failure) => write!(f, " — {}", one_line(failure)),
            _ => Ok(()),
        }
    }
}

/// A listing that could not be completed (for example Moment was down in the middle of a
/// backfill). The objects it did not reach are retried by the next run with the same `since`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ListingFailure {
    /// What was being listed.
    pub kind: ObjectKind,
    /// The error.
    pub error: PortError,
}

impl fmt::Display for ListingFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "listing {}s in Moment stopped: {}",
            self.kind, self.error
        )
    }
}

/// Counts of outcomes by status.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Counts {
    /// Created.
    pub created: usize,
    /// Updated.
    pub updated: usize,
    /// Unchanged.
    pub unchanged: usize,
    /// Already present.
    pub already_present: usize,
    /// Skipped.
    pub skipped: usize,
    /// Failed.
    pub failed: usize,
    /// Warnings over all objects.
    pub warnings: usize,
}

impl Counts {
    fn add(&mut self, outcome: &ObjectOutcome) {
        match outcome.status {
            OutcomeStatus::Created => self.created += 1,
            OutcomeStatus::Updated => self.updated += 1,
            OutcomeStatus::Unchanged => self.unchanged += 1,
            OutcomeStatus::AlreadyPresent => self.already_present += 1,
            OutcomeStatus::Skipped(_) => self.skipped += 1,
            OutcomeStatus::Failed(_) => self.failed += 1,
        }
        self.warnings += outcome.warnings.len();
    }

    /// All objects counted.
    pub fn total(&self) -> usize {
        self.created
            + self.updated
            + self.unchanged
            + self.already_present
            + self.skipped
            + self.failed
    }
}

impl Counts {
    /// The summary line; a dry run's says what would have been written.
    pub fn summary(&self, dry_run: bool) -> String {
        let (created, updated) = if dry_run {
            ("would be created", "would be updated")
        } else {
            ("created", "updated")
        };
        format!(
            "{} {created}, {} {updated}, {} unchanged, {} already in DK+, {} skipped, {} failed, {} warnings",
            self.created,
            self.updated,
            self.unchanged,
            self.already_present,
            self.skipped,
            self.failed,
            self.warnings
        )
    }
}

impl fmt::Display for Counts {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.summary(false))
    }
}

/// Receives each outcome as soon as it is known. [`SyncReport`] keeps them all; implement this
/// to stream outcomes elsewhere (a log, a database, a progress bar) without keeping them in
/// memory during a long backfill.
pub trait OutcomeSink: Send + Sync {
    /// Called once per object, from any task.
    fn record(&self, outcome: &ObjectOutcome);
}

impl<F: Fn(&ObjectOutcome) + Send + Sync> OutcomeSink for F {
    fn record(&self, outcome: &ObjectOutcome) {
        self(outcome)
    }
}

/// Which outcomes a [`SyncReport`] keeps. Counts are always kept.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Retention {
    /// Every outcome (the default).
    #[default]
    All,
    /// Only failed outcomes and outcomes with warnings: memory stays flat in a long backfill.
    ProblemsOnly,
}

/// The result of a sync operation.
#[derive(Clone, Debug, PartialEq, Eq)]
#[must_use = "the report holds each object's outcome, including the DK+ invoice numbers"]
pub struct SyncReport {
    /// When the operation started.
    pub started_at: DateTime<Utc>,
    /// When it finished.
    pub finished_at: DateTime<Utc>,
    /// Counts by status.
    pub counts: Counts,
    /// The outcomes kept (see [`Retention`]), in the order they finished.
    pub outcomes: Vec<ObjectOutcome>,
    /// Listings that stopped early.
    pub listing_failures: Vec<ListingFailure>,
    /// Set when the run stopped early because a whole system failed (a refused token, a system
    /// that cannot be reached): the one failure, instead of the same failure for every object.
    pub stopped: Option<Stopped>,
    /// Warnings about the run as a whole (said once, not per object), e.g. number series out of
    /// step.
    pub warnings: Vec<Warning>,
    /// `true` for a dry run: nothing was written; outcomes say what would have been.
    pub dry_run: bool,
    /// Set when the failure report could not be handed to the notifier.
    pub notify_error: Option<String>,
}

/// Why a run stopped before it was through.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Stopped {
    /// What failed.
    pub failure: SyncFailure,
    /// Objects left for the next run because of the stop — not started, or met the same failure
    /// (nothing was written for them; nothing is lost).
    pub not_attempted: usize,
}

impl fmt::Display for Stopped {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "the run stopped: {}; {} left for the next run — nothing is lost, the next run continues",
            one_line(&self.failure),
            match self.not_attempted {
                0 => "nothing more was".to_owned(),
                1 => "1 object was".to_owned(),
                n => format!("{n} objects were"),
            }
        )
    }
}

impl SyncReport {
    /// `true` when nothing failed, every listing completed and the run was not stopped.
    pub fn is_clean(&self) -> bool {
        self.counts.failed == 0 && self.listing_failures.is_empty() && self.stopped.is_none()
    }

    /// The failed outcomes.
    pub fn failures(&self) -> impl Iterator<Item = &ObjectOutcome> {
        self.outcomes.iter().filter(|o| o.is_failed())
    }

    /// The `since` to give the next backfill: this run's start (minus a minute, for clocks that
    /// disagree) when every object went through (objects deleted from Moment meanwhile aside);
    /// otherwise the same `since` again, so every failed object is listed and tried again —
    /// also those fixed outside the invoice itself (a customer's kennitala, a product in DK+),
    /// which do not make Moment list the invoice as changed. A failure that needs a person
    /// therefore keeps the window open, and is reported on every run, until it is fixed.
    ///
    /// Only failures kept in the report count: with [`Retention::ProblemsOnly`] every failure
    /// is kept.
    pub fn next_backfill_since(&self, since: DateTime<Utc>) -> DateTime<Utc> {
        let must_repeat = !self.listing_failures.is_empty()
            || self.stopped.is_some()
            || self
                .failures()
                .any(|o| o.is_failed() && !o.is_gone_from_moment());
        if must_repeat {
            since
        } else {
            self.started_at - chrono::Duration::minutes(1)
        }
    }
}

/// Collects outcomes into a report while a sync runs.
pub(crate) struct ReportBuilder<'s> {
    started_at: DateTime<Utc>,
    retention: Retention,
    sink: Option<&'s dyn OutcomeSink>,
    inner: Mutex<(Counts, Vec<ObjectOutcome>, Vec<ListingFailure>)>,
    stopped: Mutex<Option<Stopped>>,
    warnings: Mutex<Vec<Warning>>,
    dry_run: bool,
}

impl<'s> ReportBuilder<'s> {
    pub(crate) fn new(retention: Retention, sink: Option<&'s dyn OutcomeSink>) -> Self {
        Self {
            started_at: Utc::now(),
            retention,
            sink,
            inner: Mutex::new((Counts::default(), Vec::new(), Vec::new())),
            stopped: Mutex::new(None),
            warnings: Mutex::new(Vec::new()),
            dry_run: false,
        }
    }

    /// When the run started.
    pub(crate) fn started_at(&self) -> DateTime<Utc> {
        self.started_at
    }

    /// Marks the outcomes of a dry run ("would be created").
    pub(crate) fn dry_run(mut self, dry_run: bool) -> Self {
        self.dry_run = dry_run;
        self
    }

    /// Stops the run at its first systemic failure; `true` when this call stopped it.
    pub(crate) fn stop(&self, failure: SyncFailure) -> bool {
        let mut stopped = self.stopped.lock().unwrap_or_else(|p| p.into_inner());
        if stopped.is_some() {
            return false;
        }
        *stopped = Some(Stopped {
            failure,
            not_attempted: 0,
        });
        true
    }

    /// `true` once the run was stopped.
    pub(crate) fn is_stopped(&self) -> bool {
        self.stopped
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .is_some()
    }

    /// Counts an object the stopped run did not try.
    pub(crate) fn not_attempted(&self) {
        if let Some(stopped) = self
            .stopped
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .as_mut()
        {
            stopped.not_attempted += 1;
        }
    }

    /// A warning about the run as a whole.
    pub(crate) fn warn(&self, warning: Warning) {
        self.warnings
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(warning);
    }

    pub(crate) fn record(&self, mut outcome: ObjectOutcome) {
        outcome.planned = self.dry_run;
        if let Some(sink) = self.sink {
            sink.record(&outcome);
        }
        let keep = match self.retention {
            Retention::All => true,
            Retention::ProblemsOnly => outcome.is_failed() || !outcome.warnings.is_empty(),
        };
        let mut inner = self
            .inner
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        inner.0.add(&outcome);
        if keep {
            inner.1.push(outcome);
        }
    }

    pub(crate) fn listing_failed(&self, failure: ListingFailure) {
        let mut inner = self
            .inner
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        inner.2.push(failure);
    }

    pub(crate) fn finish(self) -> SyncReport {
        let (mut counts, outcomes, listing_failures) = self
            .inner
            .into_inner()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let warnings = self
            .warnings
            .into_inner()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        counts.warnings += warnings.len();
        SyncReport {
            started_at: self.started_at,
            finished_at: Utc::now(),
            counts,
            outcomes,
            listing_failures,
            stopped: self
                .stopped
                .into_inner()
                .unwrap_or_else(|poisoned| poisoned.into_inner()),
            warnings,
            dry_run: self.dry_run,
            notify_error: None,
        }
    }
}
