//! The integration rules as pure functions: Moment models in, DK+ write models out, or a
//! [`MappingError`] that lists every problem with what to fix in Moment. No I/O happens here.
//!
//! | rule | function |
//! |---|---|
//! | customers: number mastered by Moment, status → `Blocked`, kennitala as `SSNumber` | [`map_customer`] |
//! | projects: number mastered by Moment, created once, drift reported | [`map_project`], [`project_drift`] |
//! | invoices: reference, sales person, kennitala, lines, credit notes, totals | [`map_invoice`] |
//! | surcharge folded into the unit price, discount kept | [`fold_surcharge`], [`line_total`] |
//! | item code: product number → account VAT code → (opt-in) revenue class | [`resolve_item_code`] |

mod customer;
mod invoice;
mod item_code;
mod kennitala;
mod line;
mod problem;
mod project;
mod reference_data;
mod text;

pub use customer::{MappedCustomer, customer_changes, map_customer};
pub use invoice::{InvoiceInputs, MappedInvoice, RequiredProduct, map_invoice};
pub use item_code::{ItemCodeSource, ResolvedItemCode, resolve_item_code};
pub use kennitala::invoice_kennitala;
pub use line::{
    DKPLUS_SIGNIFICANT_DIGITS, MONEY_DECIMALS, fold_surcharge, line_tolerance, line_total,
};
pub use problem::{LineRef, MappingError, MomentObjectRef, Problem};
pub use project::{map_project, project_drift};
pub use reference_data::ReferenceData;
pub use text::{DKPLUS_ITEM_CODE_MAX, DKPLUS_PRODUCT_DESCRIPTION_MAX};
