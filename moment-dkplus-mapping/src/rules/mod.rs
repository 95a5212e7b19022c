//! The integration rules as pure functions: Moment models in, DK+ write models out, or a
//! [`MappingError`] that lists every problem with what to fix in Moment. No I/O happens here.
//!
//! | rule | function |
//! |---|---|
//! | customers: number mastered by Moment, status → `Blocked`, town in a free address line, cleared fields cleared | [`map_customer`], [`customer_changes`] |
//! | customers: the same legal entity before overwriting | [`same_legal_entity`] |
//! | projects: number mastered by Moment, created once, drift reported | [`map_project`], [`project_drift`] |
//! | invoices: reference, sales person, kennitala, lines, credit notes, totals | [`map_invoice`] |
//! | prices and totals to the cent: the surcharge in the price, discount kept | [`price_for_total`], [`line_total`] |
//! | VAT of every line's DK+ product against Moment's, before posting | [`check_vat`] |
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
mod vat;

pub use customer::{
    IdentityMismatch, MappedCustomer, contact_matches, customer_changes, map_customer, names_agree,
    same_legal_entity,
};
pub use invoice::{
    HOME_CURRENCY, InvoiceInputs, MappedInvoice, MappedLine, RequiredProduct, map_invoice,
};
pub use item_code::{ItemCodeSource, ResolvedItemCode, resolve_item_code};
pub use kennitala::invoice_kennitala;
pub use line::{
    DKPLUS_SIGNIFICANT_DIGITS, MONEY_DECIMALS, line_total, moment_line_total, price_for_total,
    to_cents, with_surcharge,
};
pub use problem::{LineRef, MappingError, MomentObjectRef, Problem};
pub use project::{map_project, project_drift};
pub use reference_data::ReferenceData;
pub use text::{DKPLUS_ITEM_CODE_MAX, DKPLUS_PRODUCT_DESCRIPTION_MAX};
pub use vat::check_vat;
