//! What happened to one object: [`ObjectOutcome`] with its [`ObjectKind`] and [`OutcomeStatus`].

use std::fmt;

use super::failure::{SyncFailure, one_line};
use crate::moment_id::MomentId;
use crate::warning::Warning;

/// The object types the integration writes to DK+: customers, projects and invoices (each
/// transferred from Moment), and products (created in DK+ for the item codes invoices use).
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "snake_case")]
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

impl ObjectKind {
    /// Every kind.
    pub const ALL: [Self; 4] = [Self::Customer, Self::Project, Self::Invoice, Self::Product];

    /// The kind its name (as displayed and stored: `customer`, `project`, `invoice`,
    /// `product`) names.
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|kind| kind.to_string() == name)
    }
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

/// What happened to one object.
///
/// Serializes as `{"status": "created"}`, `{"status": "skipped", "reason": "…"}` or
/// `{"status": "failed", "failure": {…}}`.
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
    /// The stable machine key: `created`, `updated`, `unchanged`, `already_present`, `skipped`
    /// or `failed`.
    pub fn key(&self) -> &'static str {
        match self {
            Self::Created => "created",
            Self::Updated => "updated",
            Self::Unchanged => "unchanged",
            Self::AlreadyPresent => "already_present",
            Self::Skipped(_) => "skipped",
            Self::Failed(_) => "failed",
        }
    }

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

impl serde::Serialize for OutcomeStatus {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let mut out = serializer.serialize_struct("OutcomeStatus", 2)?;
        out.serialize_field("status", self.key())?;
        match self {
            Self::Skipped(reason) => out.serialize_field("reason", reason)?,
            Self::Failed(failure) => out.serialize_field("failure", failure)?,
            _ => {}
        }
        out.end()
    }
}

/// The result for one Moment object.
///
/// Serializes with its fields, the status flattened in (`"status": "created"`), `label` (the
/// word a report shows) and `message` (the report's line for it).
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(remote = "Self")]
#[non_exhaustive]
pub struct ObjectOutcome {
    /// The object type.
    pub kind: ObjectKind,
    /// Moment's id of the object, typed by what it is.
    pub moment_id: MomentId,
    /// Moment's number (customer, project or invoice number), when known.
    pub moment_number: Option<String>,
    /// The DK+ number: the same as Moment's for customers and projects; DK+'s own invoice number.
    pub dkplus_number: Option<String>,
    /// What happened.
    #[serde(flatten)]
    pub status: OutcomeStatus,
    /// Things worth a look.
    pub warnings: Vec<Warning>,
    /// `true` in a dry run: the write was planned, not sent ("would be created").
    pub planned: bool,
}

impl ObjectOutcome {
    /// Where the object stands after this outcome, as the store keeps it
    /// ([`ObjectState::last_status`](crate::store::ObjectState::last_status)) and the metrics
    /// label it: the status key when it went through; after a failure `failed` (a later attempt
    /// may succeed by itself), `needs_person` or `outcome_unknown`.
    pub fn state_key(&self) -> &'static str {
        match self.failure() {
            None => self.status.key(),
            Some(SyncFailure::OutcomeUnknown { .. } | SyncFailure::Settling { .. }) => {
                "outcome_unknown"
            }
            Some(f) if f.retry_later() => "failed",
            Some(_) => "needs_person",
        }
    }

    pub(crate) fn new(moment_id: impl Into<MomentId>, moment_number: Option<String>) -> Self {
        let moment_id = moment_id.into();
        Self {
            kind: moment_id.object_kind(),
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
            Some(SyncFailure::NotInMoment { kind, id }) if *kind == self.kind && *id == self.moment_id.get()
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

serialize_with_message!(
    ObjectOutcome,
    label: &'static str = |o: &ObjectOutcome| o.label(),
);
