//! `/sales/person`.

use crate::client::DkPlusClient;
use crate::client::request::ApiRequest;
use crate::error::Result;
use crate::ids::SalesPersonNumber;
use crate::models::SalesPerson;
use crate::operations as op;
use crate::paging::{Listing, list_builder_common};
use crate::validation;

use super::decode_optional;

/// Sales-person calls, from [`DkPlusClient::sales_persons`].
#[derive(Debug, Clone)]
pub struct SalesPersons {
    client: DkPlusClient,
}

impl SalesPersons {
    pub(crate) fn new(client: DkPlusClient) -> Self {
        Self { client }
    }

    /// `GET /sales/person/{number}`; `Ok(None)` when DK+ has no such sales person (404).
    pub async fn get(&self, number: &SalesPersonNumber) -> Result<Option<SalesPerson>> {
        validation::key("number", number.as_str())?;
        let request = ApiRequest::to(&op::SALES_PERSON_GET, &[number.as_str()])?;
        decode_optional(self.client.execute_optional(&request).await?)
    }

    /// `GET /sales/person/page/{page}/{count}`.
    pub fn list(&self) -> SalesPersonList {
        SalesPersonList {
            client: self.client.clone(),
            listing: Listing::new(&op::SALES_PERSON_PAGE),
        }
    }
}

/// Paging for [`SalesPersons::list`].
#[derive(Debug, Clone)]
#[must_use = "call .send() or .stream()"]
pub struct SalesPersonList {
    client: DkPlusClient,
    listing: Listing,
}

impl SalesPersonList {
    list_builder_common!(SalesPerson);
}
