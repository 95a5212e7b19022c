//! A typed async client for the DK+ (dkPlus) REST API of DK Hugbúnaður.
//!
//! Work in progress: identifiers, kennitala, models and the error type.

// The request layer that uses the crate-internal helpers lands in the next commit.
#![allow(dead_code)]

mod error;
mod ids;
mod kennitala;
pub mod models;
pub mod validation;
mod wire;

pub use error::{BoxError, Error, RequestPhase, Result};
pub use ids::{CustomerNumber, InvoiceNumber, ItemCode, ProjectNumber, SalesPersonNumber};
pub use kennitala::{Kennitala, KennitalaError};
pub use models::*;
pub use wire::EnumValue;
