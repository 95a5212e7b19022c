//! One handler per Moment resource: `client.customers()`, `client.invoices()`, ...
//!
//! Each resource file says where the resource lives (`PATH`) and which extra filters it has.

mod customers;
mod financial_accounts;
mod handler;
mod invoices;
mod products;
mod projects;

use std::fmt;

use serde::de::DeserializeOwned;

pub use handler::ResourceHandler;
pub use invoices::PAYMENTS_PAGE;

mod sealed {
    pub trait Sealed {}
}
pub(crate) use sealed::Sealed;

/// A Moment resource this crate can read (implemented by the models; sealed).
pub trait Resource: DeserializeOwned + Send + 'static + Sealed {
    /// The id type of the resource.
    type Id: Copy + Into<i64> + fmt::Display + Send + Sync + 'static;
    /// The collection path under the company base URL (`customers`).
    const PATH: &'static str;
    /// The id of this object.
    fn id(&self) -> Self::Id;
}
