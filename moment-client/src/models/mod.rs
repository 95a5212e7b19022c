//! Typed models of Moment's resources.
//!
//! Conventions: camelCase wire names; every field optional unless verified (`id` always is);
//! unknown fields ignored; ids are `i64` newtypes, business numbers string newtypes, money
//! [`rust_decimal::Decimal`]. Where Moment's JSON name is a guess, a few plausible
//! alternatives are read too; alternatives that carry different amounts refuse the object.
//! Models serialize with their primary names only (the fake Moment API uses this).

mod customer;
mod financial_account;
mod invoice;
mod link;
mod payment;
mod product;
mod project;
pub(crate) mod refs;

pub use customer::{Customer, CustomerStatus};
pub use financial_account::{FinancialAccount, FinancialAccountCategory};
pub use invoice::{Invoice, InvoiceLine, InvoiceState, InvoiceType};
pub use link::Link;
pub use payment::{Payment, PaymentCreate};
pub use product::Product;
pub use project::{Project, ProjectState};
pub use refs::{CustomerRef, FinancialAccountRef, InvoiceRef, ProductRef, ProjectRef};
