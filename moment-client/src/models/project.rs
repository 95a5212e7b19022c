//! Projects (`/projects`).

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::ids::{CustomerId, ProjectId};
use crate::models::refs::CustomerRef;
use crate::numbers::{CustomerNumber, ProjectNumber};
use crate::wire::{self, Conflict, Day, Text, Timestamp, agree, pick, text_enum};

text_enum!(
    /// A project's state. `ACTIVE` is seen in third-party code; the other values are guesses.
    pub enum ProjectState {
        /// Open for work.
        Active => "ACTIVE",
        /// Not in use for now.
        Inactive => "INACTIVE",
        /// Finished / closed.
        Closed => "CLOSED" | "FINISHED" | "COMPLETED",
    }
);

/// A Moment project.
///
/// `id` and `projectNumber` are verified (webhook); `name`, `customerId` and `projectState` are
/// seen in third-party code; the rest are guesses (see `docs/moment-api.md`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", try_from = "ProjectWire")]
pub struct Project {
    /// Moment's id of the project.
    pub id: ProjectId,
    /// The project number (Moment is master for it).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub project_number: Option<ProjectNumber>,
    /// The project name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// The customer the project belongs to (from a nested `customer` object and/or the flat
    /// `customerId` / `customerNumber` / `customerName` fields).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub customer: Option<CustomerRef>,
    /// The project state.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub project_state: Option<ProjectState>,
    /// A comment on the state.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status_comment: Option<String>,
    /// Description.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Start date.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub start_date: Option<NaiveDate>,
    /// End date.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub end_date: Option<NaiveDate>,
    /// When the project was created.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub created_date: Option<DateTime<Utc>>,
    /// When the project was last changed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_modified_date: Option<DateTime<Utc>>,
}

impl Project {
    /// The id of the project's customer, if known.
    pub fn customer_id(&self) -> Option<CustomerId> {
        self.customer.as_ref().and_then(|c| c.id)
    }

    /// The number of the project's customer, if known.
    pub fn customer_number(&self) -> Option<&CustomerNumber> {
        self.customer
            .as_ref()
            .and_then(|c| c.customer_number.as_ref())
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ProjectWire {
    id: ProjectId,
    project_number: Option<ProjectNumber>,
    number: Option<ProjectNumber>,
    name: Option<Text>,
    customer: Option<CustomerRef>,
    customer_id: Option<CustomerId>,
    customer_number: Option<CustomerNumber>,
    customer_name: Option<Text>,
    project_state: Option<ProjectState>,
    state: Option<ProjectState>,
    status_comment: Option<Text>,
    description: Option<Text>,
    start_date: Option<Day>,
    end_date: Option<Day>,
    created_date: Option<Timestamp>,
    last_modified_date: Option<Timestamp>,
}

impl TryFrom<ProjectWire> for Project {
    type Error = Conflict;
    fn try_from(w: ProjectWire) -> Result<Self, Conflict> {
        Ok(Self {
            id: w.id,
            project_number: agree([("projectNumber", w.project_number), ("number", w.number)])?,
            name: wire::text(w.name),
            customer: CustomerRef::merge(
                w.customer,
                ["customerId", "customerNumber", "customerName"],
                w.customer_id,
                w.customer_number,
                wire::text(w.customer_name),
            )?,
            project_state: pick([w.project_state, w.state]),
            status_comment: wire::text(w.status_comment),
            description: wire::text(w.description),
            start_date: wire::day(w.start_date),
            end_date: wire::day(w.end_date),
            created_date: wire::timestamp(w.created_date),
            last_modified_date: wire::timestamp(w.last_modified_date),
        })
    }
}
