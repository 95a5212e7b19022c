//! A typed async client for the REST API of [Moment](https://moment.team), the project,
//! time-tracking and invoicing tool by Milient Software, plus parsing of Moment's webhooks.
//!
//! Moment publishes no schema. This crate is exact where the facts are verified (Basic auth with
//! user `apikey`, the base URL, the webhook body, the financial-account payload) and tolerant
//! where they are guessed: every field except `id` is optional, unknown fields are ignored, a
//! few alternative names are read, and list responses may be a bare array or a
//! `{content, page}` envelope. The project's `docs/moment-api.md` lists every assumed name with
//! its status.
//!
//! * Ids are typed ([`CustomerId`], [`InvoiceId`], ...); business numbers are text
//!   ([`CustomerNumber`], [`InvoiceNumber`], ...); money is [`rust_decimal::Decimal`].
//! * Errors are one [`Error`] enum with `is_not_found()`, `is_retryable()`, `retry_after()`.
//! * [`webhook::parse`] turns a notification body into a [`webhook::WebhookEvent`].
#![cfg_attr(docsrs, feature(doc_cfg))]

mod client;
mod error;
mod ids;
pub mod models;
mod numbers;
pub mod paging;
pub mod resources;
pub mod retry;
pub mod webhook;
mod wire;

#[cfg(feature = "testing")]
#[cfg_attr(docsrs, doc(cfg(feature = "testing")))]
pub mod testing;

pub use client::{
    DEFAULT_BASE_URL, DEFAULT_CONNECT_TIMEOUT, DEFAULT_MAX_RESPONSE_BYTES, DEFAULT_PAGE_SIZE,
    DEFAULT_TIMEOUT, MomentClient, MomentClientBuilder,
};
pub use paging::{ItemStream, ListRequest, Page, PageBase, PageShape, PageStream};
pub use resources::{Resource, ResourceHandler};
pub use retry::{RetryDecision, RetryPolicy};

pub use error::{ApiError, Error, Result};
pub use ids::{CustomerId, FinancialAccountId, InvoiceId, InvoiceLineId, ProductId, ProjectId};
pub use models::{
    Customer, CustomerRef, CustomerStatus, FinancialAccount, FinancialAccountCategory,
    FinancialAccountRef, Invoice, InvoiceLine, InvoiceRef, InvoiceState, InvoiceType, Link,
    Product, ProductRef, Project, ProjectRef, ProjectState,
};
pub use numbers::{AccountNumber, CustomerNumber, InvoiceNumber, ProductNumber, ProjectNumber};
pub use webhook::{WebhookError, WebhookEvent, WebhookEventKind, WebhookObject};
