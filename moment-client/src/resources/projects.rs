//! `/projects`, with a customer filter.

use crate::ids::{CustomerId, ProjectId};
use crate::models::Project;
use crate::paging::ListRequest;
use crate::resources::{Resource, Sealed};

/// Query parameter of the customer filter (a guess).
pub(crate) const CUSTOMER_ID: &str = "customerId";

impl Sealed for Project {}

impl Resource for Project {
    type Id = ProjectId;
    const PATH: &'static str = "projects";
    fn id(&self) -> ProjectId {
        self.id
    }
}

impl ListRequest<Project> {
    /// Only projects of this customer (`customerId`; parameter name guessed).
    pub fn customer(self, customer: CustomerId) -> Self {
        self.set(CUSTOMER_ID, customer.to_string())
    }
}
