//! Serde helpers for DK+'s wire conventions: lenient dates with "no date" sentinels, money as JSON
//! numbers read into [`rust_decimal::Decimal`], integers read leniently, enums written as DK+
//! publishes them, and empty strings standing for "no value".

pub(crate) mod boolean;
pub(crate) mod dates;
pub(crate) mod decimal;
pub(crate) mod enums;
pub(crate) mod ids;
pub(crate) mod int;

pub use enums::EnumValue;
