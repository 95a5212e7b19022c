//! A typed async client for the DK+ (dkPlus) REST API of DK Hugbúnaður.
//!
//! ```no_run
//! use dkplus_client::{CustomerNumber, DkPlusClient};
//! use futures_util::TryStreamExt;
//!
//! # async fn run() -> dkplus_client::Result<()> {
//! let client = DkPlusClient::new(std::env::var("DKPLUS_TOKEN").unwrap_or_default())?;
//! assert!(client.verify().await?);
//! let customer = client.customers().get(&CustomerNumber::new("1710794709")).await?;
//! let blocked: Vec<_> = client.customers().list().blocked(true).stream().try_collect().await?;
//! # Ok(()) }
//! ```
//!
//! - **Handlers** per resource: [`DkPlusClient::customers`], [`projects`](DkPlusClient::projects),
//!   [`sales_invoices`](DkPlusClient::sales_invoices), [`products`](DkPlusClient::products),
//!   [`sales_persons`](DkPlusClient::sales_persons), [`company`](DkPlusClient::company). Lookups by
//!   key return `Ok(None)` for a missing record; listings page with `send()` and stream with
//!   `stream()`.
//! - **Models** use DK+'s wire names exactly (see [`models`]); money is [`rust_decimal::Decimal`].
//! - **Safety for writes**: inputs are validated before sending ([`validation`]); `POST`s are
//!   never retried; [`Error::may_have_been_applied`] says when a failed write must be checked before
//!   it is repeated.
//! - **Transport**: one connection pool, a default timeout, a body size limit, no redirects,
//!   `https` only (except loopback), retries with backoff and `Retry-After`
//!   on `backon`'s backoff ([`retry`]), an optional request throttle, and `tracing` spans
//!   without the token.
//! - **Testing**: the `testing` feature adds `testing::FakeDkPlus`, a stateful fake DK+ server.
#![cfg_attr(docsrs, feature(doc_cfg))]

mod client;
mod error;
mod ids;
mod kennitala;
pub mod models;
pub mod operations;
pub mod paging;
pub mod resources;
mod shared;
pub mod validation;
mod wire;
mod write;

#[cfg(feature = "testing")]
#[cfg_attr(docsrs, doc(cfg(feature = "testing")))]
pub mod testing;

pub use client::DkPlusClient;
pub use client::builder::{
    DEFAULT_BASE_URL, DEFAULT_CONNECT_TIMEOUT, DEFAULT_MAX_RESPONSE_BYTES, DEFAULT_TIMEOUT,
    DkPlusClientBuilder,
};
pub use client::retry::{self, ExponentialBuilder};
pub use client::token::ApiToken;
pub use error::{BoxError, Error, RequestPhase, Result};
pub use ids::{CustomerNumber, InvoiceNumber, ItemCode, ProjectNumber, SalesPersonNumber};
pub use kennitala::{Kennitala, KennitalaError};
pub use models::*;
pub use paging::{Page, ResultStream};
pub use wire::EnumValue;
pub use write::WriteRequest;

/// Compiles the README's example as a doctest.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
