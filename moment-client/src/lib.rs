#![doc = include_str!("../README.md")]
//!
//! ## Modules
//!
//! * [`models`]: the typed objects; [`webhook`]: notification parsing; [`paging`]: pages and
//!   list requests; [`retry`]: the retry policy; [`resources`]: the per-resource handlers;
//!   `testing` (feature `testing`): the fake Moment API.
#![cfg_attr(docsrs, feature(doc_cfg))]

// The plumbing both API clients share, kept in one file so that they cannot drift.
mod client;
mod error;
mod ids;
pub mod models;
mod numbers;
pub mod paging;
pub mod resources;
pub mod retry;
#[path = "../../dkplus-client/src/shared.rs"]
mod shared;
pub mod webhook;
mod wire;

#[cfg(feature = "testing")]
#[cfg_attr(docsrs, doc(cfg(feature = "testing")))]
pub mod testing;

pub use client::{
    DEFAULT_BASE_URL, DEFAULT_CONNECT_TIMEOUT, DEFAULT_MAX_RESPONSE_BYTES, DEFAULT_PER_PAGE,
    DEFAULT_TIMEOUT, MomentClient, MomentClientBuilder,
};
pub use paging::{ListRequest, Page, PageBase, PageShape, ResultStream};
pub use resources::{Resource, ResourceHandler};
pub use retry::ExponentialBuilder;

pub use error::{ApiError, BoxError, Error, Result};
pub use ids::{CustomerId, FinancialAccountId, InvoiceId, InvoiceLineId, ProductId, ProjectId};
pub use models::{
    Customer, CustomerRef, CustomerStatus, FinancialAccount, FinancialAccountCategory,
    FinancialAccountRef, Invoice, InvoiceLine, InvoiceRef, InvoiceState, InvoiceType, Link,
    Payment, PaymentCreate, Product, ProductRef, Project, ProjectRef, ProjectState,
};
pub use numbers::{AccountNumber, CustomerNumber, InvoiceNumber, ProductNumber, ProjectNumber};
pub use webhook::{WebhookError, WebhookEvent, WebhookEventKind, WebhookObject};
