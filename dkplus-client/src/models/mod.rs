//! Request and response models, with the exact wire names DK+ uses.
//!
//! Read models (`Customer`, `Project`, `SalesInvoice`, `Product`, `SalesPerson`) are lenient:
//! unknown fields are ignored, missing fields are `None`, dates are read in every format DK+ uses
//! (its "no date" sentinels become `None`), enums are read as integers or names, and money is a
//! [`rust_decimal::Decimal`]. Write models send only the fields that are set.

mod customer;
mod enums;
mod product;
mod project;
mod sales_invoice;
mod sales_person;

pub use customer::{Customer, CustomerConditions, CustomerContact, CustomerSendTo, CustomerWrite};
pub use enums::{
    CostMethod, DiscountType, Gender, ItemClass, JobBillingMode, JobStatus, JobType, SaleType,
};
pub use product::{Product, ProductCreate, ProductUpdate};
pub use project::{Project, ProjectCreate};
pub use sales_invoice::{
    InvoiceCustomer, InvoiceOptions, SalesInvoice, SalesInvoiceCreate, SalesInvoiceLine,
    SalesInvoiceLineCreate,
};
pub use sales_person::SalesPerson;
