//! `/project`. DK+ has no endpoint to update a project.

use crate::operations as op;
use chrono::{DateTime, Utc};

use crate::client::DkPlusClient;
use crate::client::request::ApiRequest;
use crate::error::{Error, Result};
use crate::ids::{CustomerNumber, ProjectNumber};
use crate::models::{JobStatus, JobType, Project, ProjectCreate};
use crate::paging::{Listing, list_builder_common};
use crate::validation;
use crate::wire::dates::format_query_timestamp;

use super::decode_optional;

/// Project calls, from [`DkPlusClient::projects`].
#[derive(Debug, Clone)]
pub struct Projects {
    client: DkPlusClient,
}

impl Projects {
    pub(crate) fn new(client: DkPlusClient) -> Self {
        Self { client }
    }

    /// `GET /project/{number}`; `Ok(None)` when DK+ has no such project (404).
    pub async fn get(&self, number: &ProjectNumber) -> Result<Option<Project>> {
        validation::key("number", number.as_str())?;
        let request = ApiRequest::to(&op::PROJECT_GET, &[number.as_str()])?;
        decode_optional(self.client.execute_optional(&request).await?)
    }

    /// `GET /project/page/{page}/{count}` with filters.
    pub fn list(&self) -> ProjectList {
        ProjectList {
            client: self.client.clone(),
            listing: Listing::new(&op::PROJECT_PAGE),
        }
    }

    /// `POST /project`; returns the project as DK+ stored it. When DK+ answers with an empty body
    /// the project is read back with a `GET`.
    pub async fn create(&self, project: &ProjectCreate) -> Result<Project> {
        let request = create_request(project)?;
        let response = self.client.execute(&request).await?;
        tracing::info!(number = %project.number, "created DK+ project");
        if !response.is_empty() {
            return response.json();
        }
        match self.get(&project.number).await? {
            Some(stored) => Ok(stored),
            None => Err(Error::Decode {
                method: "POST".to_owned(),
                path: "/project".to_owned(),
                status: response.status,
                field_path: ".".to_owned(),
                reason: format!(
                    "DK+ accepted project {} with an empty answer and could not read it back yet",
                    project.number
                ),
                body: String::new(),
            }),
        }
    }
}

/// Filters for [`Projects::list`]. Filters are sent with every page.
#[derive(Debug, Clone)]
#[must_use = "call .send() or .stream()"]
pub struct ProjectList {
    client: DkPlusClient,
    listing: Listing,
}

impl ProjectList {
    list_builder_common!(Project);

    /// Only projects billed to this customer (`customer`).
    pub fn customer(mut self, customer: &CustomerNumber) -> Self {
        self.listing.set("customer", customer.to_string());
        self
    }

    /// Only projects in this group (`group`).
    pub fn group(mut self, group: impl Into<String>) -> Self {
        self.listing.set("group", group.into());
        self
    }

    /// Only projects with this dimension 1 value (`dim1`).
    pub fn dim1(mut self, value: impl Into<String>) -> Self {
        self.listing.set("dim1", value.into());
        self
    }

    /// Only projects with this dimension 2 value (`dim2`).
    pub fn dim2(mut self, value: impl Into<String>) -> Self {
        self.listing.set("dim2", value.into());
        self
    }

    /// Only projects with this dimension 3 value (`dim3`).
    pub fn dim3(mut self, value: impl Into<String>) -> Self {
        self.listing.set("dim3", value.into());
        self
    }

    /// Only projects of this kind (`type`, sent as the integer).
    pub fn job_type(mut self, job_type: &JobType) -> Self {
        let value = job_type
            .as_int()
            .map(|i| i.to_string())
            .or_else(|| job_type.as_name().map(str::to_owned))
            .unwrap_or_default();
        self.listing.set("type", value);
        self
    }

    /// Only projects with this status (`status`, sent as the integer).
    pub fn status(mut self, status: &JobStatus) -> Self {
        let value = status
            .as_int()
            .map(|i| i.to_string())
            .or_else(|| status.as_name().map(str::to_owned))
            .unwrap_or_default();
        self.listing.set("status", value);
        self
    }

    /// Only projects modified after this instant (`modifiedAfter`).
    pub fn modified_after(mut self, at: DateTime<Utc>) -> Self {
        self.listing
            .set("modifiedAfter", format_query_timestamp(at));
        self
    }

    /// Only projects modified before this instant (`modifiedBefore`).
    pub fn modified_before(mut self, at: DateTime<Utc>) -> Self {
        self.listing
            .set("modifiedBefore", format_query_timestamp(at));
        self
    }
}

/// The checked request of [`Projects::create`].
pub(crate) fn create_request(project: &ProjectCreate) -> Result<ApiRequest> {
    validation::project_create(project)?;
    ApiRequest::to(&op::PROJECT_CREATE, &[])?.json_body(project)
}
