//! Why an object was not transferred: [`SyncFailure`], with what to do about it.

use std::fmt;

use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;

use super::outcome::ObjectKind;
use crate::ports::{PortError, PortErrorKind};
use crate::rules::MappingError;
use crate::store::StoreError;

/// An existing DK+ invoice that carries the same reference as the one being sent.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
#[non_exhaustive]
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
///
/// Serializes as `{"kind": "duplicates_in_dkplus", "details": {…}, "message": "…",
/// "retry_later": false}`.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error, serde::Serialize, strum::VariantNames)]
#[serde(
    remote = "Self",
    tag = "kind",
    content = "details",
    rename_all = "snake_case"
)]
#[strum(serialize_all = "snake_case")]
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
    /// The invoice's number was already posted to DK+ for another Moment invoice.
    #[error(
        "invoice number {reference} was already posted to DK+ (as {dkplus_number}) for Moment \
         invoice [Moment id {posted_for}]: two Moment invoices share the number; give this one \
         its own number in Moment, or credit the other"
    )]
    InvoiceNumberTaken {
        /// The reference (Moment's invoice number).
        reference: String,
        /// The Moment id of the invoice posted under it.
        posted_for: i64,
        /// That invoice's DK+ number (empty when not known).
        dkplus_number: String,
    },
    /// The invoice was posted, the answer was lost, and it cannot be found by its reference yet.
    #[error(
        "the invoice with reference {reference} was sent to DK+ but no clear answer came back \
         ({error}) and DK+ does not show it yet; it was not sent again — after the settle time it \
         is looked up by reference again and sent only if it is still missing"
    )]
    OutcomeUnknown {
        /// The reference.
        reference: String,
        /// The error of the POST.
        error: PortError,
    },
    /// An earlier post of the invoice had no clear answer; it is left alone for the settle time.
    #[error(
        "the invoice with reference {reference} was sent to DK+ at {since} without a clear \
         answer; it is not sent again before {until}, when it is looked up by reference and sent \
         only if DK+ still does not show it (or a person confirms that DK+ does not have it)"
    )]
    Settling {
        /// The reference.
        reference: String,
        /// When the unclear post was sent.
        since: DateTime<Utc>,
        /// When it is looked up again.
        until: DateTime<Utc>,
    },
    /// Another process holds the invoice's reference right now.
    #[error(
        "another process is sending the invoice with reference {reference} (its claim holds \
         until {until}); this one left it alone — a later run finds it in DK+ or takes over"
    )]
    ClaimedElsewhere {
        /// The reference.
        reference: String,
        /// When the other process's claim runs out.
        until: DateTime<Utc>,
    },
    /// The sync state store could not be read or written.
    #[error("{0}; nothing was posted without it — a later run tries again")]
    Store(StoreError),
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
pub(crate) fn one_line(failure: &SyncFailure) -> String {
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
            Self::OutcomeUnknown { .. }
            | Self::Settling { .. }
            | Self::ClaimedElsewhere { .. }
            | Self::Store(_) => true,
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
    /// way, so a run stops at the first one (see [`SyncReport::stopped`](super::SyncReport::stopped)).
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
            // Without the store no invoice may be posted: every other object would fail too.
            Self::Store(_) => true,
            Self::Dependency { failure, .. } => failure.is_systemic(),
            _ => false,
        }
    }
}

serialize_with_message!(
    SyncFailure,
    retry_later: bool = |f: &SyncFailure| f.retry_later(),
);
