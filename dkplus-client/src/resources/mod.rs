//! Resource handlers: one per DK+ resource, returned by the methods of
//! [`DkPlusClient`](crate::DkPlusClient).

mod company;
pub(crate) mod customers;
pub(crate) mod products;
pub(crate) mod projects;
pub(crate) mod sales_invoices;
mod sales_persons;

pub use company::Company;
pub use customers::{CustomerList, Customers};
pub use products::{ProductList, Products};
pub use projects::{ProjectList, Projects};
pub use sales_invoices::{CreateSalesInvoice, SalesInvoiceList, SalesInvoices};
pub use sales_persons::{SalesPersonList, SalesPersons};

use serde::de::DeserializeOwned;

use crate::client::request::ApiResponse;
use crate::error::Result;

/// Decodes an optional answer: no answer, an empty body and `null` all mean "none".
pub(crate) fn decode_optional<T: DeserializeOwned>(
    response: Option<ApiResponse>,
) -> Result<Option<T>> {
    match response {
        Some(r) if !r.is_empty() => r.json().map(Some),
        _ => Ok(None),
    }
}

/// Decodes the record a write may echo. The write succeeded either way, so an answer that is not
/// the expected record (`true`, `"OK"`, an odd shape) gives `None` instead of failing the call.
pub(crate) fn decode_echo<T: DeserializeOwned>(response: ApiResponse) -> Option<T> {
    if response.is_empty() {
        return None;
    }
    match response.json() {
        Ok(record) => Some(record),
        Err(error) => {
            tracing::warn!(%error, "DK+ accepted the write; its answer is not the record");
            None
        }
    }
}

/// Decodes a JSON array that DK+ might also send as a single object.
pub(crate) fn decode_many<T: DeserializeOwned>(response: Option<ApiResponse>) -> Result<Vec<T>> {
    match response {
        Some(r) if !r.is_empty() => {
            let starts_with_object =
                r.body.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'{');
            if starts_with_object {
                r.json::<T>().map(|one| vec![one])
            } else {
                r.json()
            }
        }
        _ => Ok(Vec::new()),
    }
}
