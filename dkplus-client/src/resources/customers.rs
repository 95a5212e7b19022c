//! `/Customer`.

use crate::operations as op;
use chrono::{DateTime, Utc};

use crate::client::DkPlusClient;
use crate::client::request::ApiRequest;
use crate::error::{Error, Result};
use crate::ids::{CustomerNumber, SalesPersonNumber};
use crate::models::{Customer, CustomerWrite};
use crate::paging::{Listing, flag, list_builder_common};
use crate::validation;
use crate::wire::dates::format_query_timestamp;

use super::{decode_echo, decode_many, decode_optional};

/// Customer calls, from [`DkPlusClient::customers`].
#[derive(Debug, Clone)]
pub struct Customers {
    client: DkPlusClient,
}

impl Customers {
    pub(crate) fn new(client: DkPlusClient) -> Self {
        Self { client }
    }

    /// `GET /Customer/{number}`; `Ok(None)` when DK+ has no such customer (404).
    pub async fn get(&self, number: &CustomerNumber) -> Result<Option<Customer>> {
        validation::key("number", number.as_str())?;
        let request = ApiRequest::to(&op::CUSTOMER_GET, &[number.as_str()])?;
        decode_optional(self.client.execute_optional(&request).await?)
    }

    /// `GET /Customer/page/{page}/{count}` with filters: one page with `send()`, every page with
    /// `stream()`.
    pub fn list(&self) -> CustomerList {
        CustomerList {
            client: self.client.clone(),
            listing: Listing::new(&op::CUSTOMER_PAGE),
        }
    }

    /// `POST /Customer`. `number` and `name` are required. DK+'s documented answer is empty, so
    /// the result is `Some` only when it echoes the customer (an answer that is not a customer is
    /// logged and read as `None`: the customer was created either way).
    ///
    /// Creating a number that already exists is refused by DK+ with an error (it is not an upsert):
    /// look the customer up first and use [`update`](Self::update) for existing ones.
    pub async fn create(&self, customer: &CustomerWrite) -> Result<Option<Customer>> {
        let request = create_request(customer)?;
        let response = self.client.execute(&request).await?;
        tracing::info!(number = ?customer.number, "created DK+ customer");
        Ok(decode_echo(response))
    }

    /// `PUT /Customer/{number}` with only the fields that are set. `Number` is never sent in the
    /// body; setting `customer.number` to a different number is refused (DK+ cannot renumber).
    pub async fn update(
        &self,
        number: &CustomerNumber,
        customer: &CustomerWrite,
    ) -> Result<Option<Customer>> {
        let request = update_request(number, customer)?;
        let response = self.client.execute(&request).await?;
        Ok(decode_echo(response))
    }

    /// `DELETE /Customer/{number}`. A missing customer is [`Error::NotFound`].
    pub async fn delete(&self, number: &CustomerNumber) -> Result<()> {
        validation::key("number", number.as_str())?;
        let request = ApiRequest::to(&op::CUSTOMER_DELETE, &[number.as_str()])?;
        self.client.execute(&request).await?;
        Ok(())
    }

    /// `GET /Customer/search/{value}/{max}`: free-text search, at most `max` results.
    pub async fn search(&self, value: &str, max: u32) -> Result<Vec<Customer>> {
        validation::key("value", value)?;
        if max == 0 {
            return Err(Error::invalid("max", "must be at least 1"));
        }
        let request = ApiRequest::to(&op::CUSTOMER_SEARCH, &[value.trim(), &max.to_string()])?;
        decode_many(self.client.execute_optional(&request).await?)
    }
}

/// Filters for [`Customers::list`]. Filters are sent with every page.
#[derive(Debug, Clone)]
#[must_use = "call .send() or .stream()"]
pub struct CustomerList {
    client: DkPlusClient,
    listing: Listing,
}

impl CustomerList {
    list_builder_common!(Customer);

    /// Only customers in this group (`group`).
    pub fn group(mut self, group: impl Into<String>) -> Self {
        self.listing.set("group", group.into());
        self
    }

    /// Only customers with this postal code (`zipcode`).
    pub fn zip_code(mut self, zip_code: impl Into<String>) -> Self {
        self.listing.set("zipcode", zip_code.into());
        self
    }

    /// Only customers in this country (`country`).
    pub fn country(mut self, country: impl Into<String>) -> Self {
        self.listing.set("country", country.into());
        self
    }

    /// Only customers of this sales person (`salesperson`).
    pub fn sales_person(mut self, sales_person: &SalesPersonNumber) -> Self {
        self.listing.set("salesperson", sales_person.to_string());
        self
    }

    /// Only customers with this payment term (`paymentterm`).
    pub fn payment_term(mut self, term: impl Into<String>) -> Self {
        self.listing.set("paymentterm", term.into());
        self
    }

    /// Only customers with this payment mode (`paymentmode`).
    pub fn payment_mode(mut self, mode: impl Into<String>) -> Self {
        self.listing.set("paymentmode", mode.into());
        self
    }

    /// Only VAT-exempt (`true`) or VAT-liable (`false`) customers (`novat`).
    pub fn no_vat(mut self, no_vat: bool) -> Self {
        self.listing.set("novat", flag(no_vat));
        self
    }

    /// Only blocked or unblocked customers (`blocked`).
    pub fn blocked(mut self, blocked: bool) -> Self {
        self.listing.set("blocked", flag(blocked));
        self
    }

    /// Only deleted or non-deleted customers (`deleted`).
    pub fn deleted(mut self, deleted: bool) -> Self {
        self.listing.set("deleted", flag(deleted));
        self
    }

    /// Only customers with this e-mail address (`email`).
    pub fn email(mut self, email: impl Into<String>) -> Self {
        self.listing.set("email", email.into());
        self
    }

    /// Only customers modified after this instant (`modifiedAfter`).
    pub fn modified_after(mut self, at: DateTime<Utc>) -> Self {
        self.listing
            .set("modifiedAfter", format_query_timestamp(at));
        self
    }

    /// Only customers modified before this instant (`modifiedBefore`).
    pub fn modified_before(mut self, at: DateTime<Utc>) -> Self {
        self.listing
            .set("modifiedBefore", format_query_timestamp(at));
        self
    }
}

/// The checked request of [`Customers::create`].
pub(crate) fn create_request(customer: &CustomerWrite) -> Result<ApiRequest> {
    validation::customer_create(customer)?;
    ApiRequest::to(&op::CUSTOMER_CREATE, &[])?.json_body(customer)
}

/// The checked request of [`Customers::update`]: `Number` is never sent in the body.
pub(crate) fn update_request(
    number: &CustomerNumber,
    customer: &CustomerWrite,
) -> Result<ApiRequest> {
    validation::key("number", number.as_str())?;
    validation::customer_update(customer)?;
    if let Some(other) = &customer.number
        && other != number
    {
        return Err(Error::invalid(
            "number",
            format!("cannot change customer {number} to number {other}; DK+ has no renumbering"),
        ));
    }
    let body = CustomerWrite {
        number: None,
        ..customer.clone()
    };
    ApiRequest::to(&op::CUSTOMER_UPDATE, &[number.as_str()])?.json_body(&body)
}
