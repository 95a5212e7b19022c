//! What a sync did as a whole: [`SyncReport`], its [`Counts`], a [`Stopped`] run, the listings
//! that stopped early ([`ListingFailure`]); and how outcomes are collected while it runs.

use std::fmt;
use std::sync::Mutex;

use chrono::{DateTime, Utc};

use super::failure::{SyncFailure, one_line};
use super::outcome::{ObjectKind, ObjectOutcome, OutcomeStatus};
use crate::ports::PortError;
use crate::warning::Warning;

/// A listing that could not be completed (for example Moment was down in the middle of a
/// backfill). The objects it did not reach are retried by the next run with the same `since`.
///
/// Serializes with its fields and `message`.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(remote = "Self")]
#[non_exhaustive]
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
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[non_exhaustive]
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

    fn merge(&mut self, other: &Counts) {
        self.created += other.created;
        self.updated += other.updated;
        self.unchanged += other.unchanged;
        self.already_present += other.already_present;
        self.skipped += other.skipped;
        self.failed += other.failed;
        self.warnings += other.warnings;
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
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Retention {
    /// Every outcome (the default).
    #[default]
    All,
    /// Only failed outcomes and outcomes with warnings: memory stays flat in a long backfill.
    ProblemsOnly,
}

/// The result of a sync operation.
///
/// Serializes as data (`serde_json::to_string(&report)`): times in RFC 3339, the counts, each
/// outcome with its typed Moment id, status, failure and warnings — each failure and warning
/// with a stable `kind` key beside its `message`.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
#[must_use = "the report holds each object's outcome, including the DK+ invoice numbers"]
#[non_exhaustive]
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
///
/// Serializes with its fields and `message`.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(remote = "Self")]
#[non_exhaustive]
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
    /// A report of nothing done, started and finished at `at`: a starting point for tests of
    /// your own report handling (the engine builds its reports itself).
    pub fn empty(at: DateTime<Utc>) -> Self {
        Self {
            started_at: at,
            finished_at: at,
            counts: Counts::default(),
            outcomes: Vec::new(),
            listing_failures: Vec::new(),
            stopped: None,
            warnings: Vec::new(),
            dry_run: false,
            notify_error: None,
        }
    }

    /// `true` when nothing failed, every listing completed and the run was not stopped.
    pub fn is_clean(&self) -> bool {
        self.counts.failed == 0 && self.listing_failures.is_empty() && self.stopped.is_none()
    }

    /// The failed outcomes.
    pub fn failures(&self) -> impl Iterator<Item = &ObjectOutcome> {
        self.outcomes.iter().filter(|o| o.is_failed())
    }

    /// Adds the outcomes and warnings of another report of the same run (objects tried again
    /// after the listing).
    pub(crate) fn absorb(&mut self, other: SyncReport) {
        self.counts.merge(&other.counts);
        self.outcomes.extend(other.outcomes);
        self.listing_failures.extend(other.listing_failures);
        if self.stopped.is_none() {
            self.stopped = other.stopped;
        }
        self.warnings.extend(other.warnings);
        self.finished_at = self.finished_at.max(other.finished_at);
        if self.notify_error.is_none() {
            self.notify_error = other.notify_error;
        }
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
        if !self.dry_run {
            super::telemetry::record_outcome(&outcome);
        }
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

serialize_with_message!(ListingFailure);
serialize_with_message!(Stopped);
