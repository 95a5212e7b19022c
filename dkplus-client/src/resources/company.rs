//! `/company`.

use crate::client::DkPlusClient;
use crate::client::request::ApiRequest;
use crate::error::Result;
use crate::operations as op;
use crate::wire::boolean::bool_opt;

/// Company-level calls, from [`DkPlusClient::company`].
#[derive(Debug, Clone)]
pub struct Company {
    client: DkPlusClient,
}

impl Company {
    pub(crate) fn new(client: DkPlusClient) -> Self {
        Self { client }
    }

    /// `GET /company/connection`: whether DK+ can reach the company's DK data. `Ok(true)` also
    /// proves the token works; a bad token is [`crate::Error::Unauthorized`].
    pub async fn connection(&self) -> Result<bool> {
        let response = self
            .client
            .execute(&ApiRequest::to(&op::COMPANY_CONNECTION, &[])?)
            .await?;
        if response.is_empty() {
            return Ok(false);
        }
        #[derive(serde::Deserialize)]
        struct Answer(#[serde(deserialize_with = "bool_opt::deserialize")] Option<bool>);
        let Answer(connected) = response.json()?;
        Ok(connected.unwrap_or(false))
    }
}
