//! Typed identifiers for DK+ records.
//!
//! DK+ keys are strings on the wire (`"14656"`, `"1710794709"`, `"sndkost"`). Each kind of key gets
//! its own newtype so that a customer number cannot be passed where an item code is expected. All of
//! them serialize as the bare string (`#[serde(transparent)]`).

use std::fmt;

use serde::{Deserialize, Serialize};

macro_rules! wire_id {
    ($(#[$meta:meta])* $name:ident) => {
        $(#[$meta])*
        #[derive(Clone, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(String);

        impl $name {
            /// Wraps a key exactly as DK+ spells it (no trimming, no case change).
            pub fn new(value: impl Into<String>) -> Self {
                Self(value.into())
            }

            /// The key as sent on the wire.
            pub fn as_str(&self) -> &str {
                &self.0
            }

            /// Unwraps the key.
            pub fn into_inner(self) -> String {
                self.0
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, concat!(stringify!($name), "({:?})"), self.0)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl From<&str> for $name {
            fn from(value: &str) -> Self {
                Self(value.to_owned())
            }
        }

        impl From<String> for $name {
            fn from(value: String) -> Self {
                Self(value)
            }
        }

        impl From<&String> for $name {
            fn from(value: &String) -> Self {
                Self(value.clone())
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }

        impl PartialEq<str> for $name {
            fn eq(&self, other: &str) -> bool {
                self.0 == other
            }
        }

        impl PartialEq<&str> for $name {
            fn eq(&self, other: &&str) -> bool {
                self.0 == *other
            }
        }
    };
}

wire_id!(
    /// A DK+ customer number (`Customer.Number`, invoice `CNumber`). Usually the customer's
    /// kennitala written as 10 digits, but DK+ allows any string.
    CustomerNumber
);
wire_id!(
    /// A DK+ project (DK "job") number (`Project.Number`, invoice `Project`).
    ProjectNumber
);
wire_id!(
    /// A DK+ product item code (`Product.ItemCode`, invoice line `ItemCode`). At most 20
    /// characters; DK+ looks item codes up case-insensitively.
    ItemCode
);
wire_id!(
    /// A DK+ sales invoice number, assigned by DK+ when an invoice is created (`Number`).
    InvoiceNumber
);
wire_id!(
    /// A DK+ sales person number (`SalesPerson.Number`, invoice `SalesPerson`/`SalePerson`).
    SalesPersonNumber
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serializes_as_a_bare_string() {
        let number = CustomerNumber::new("1710794709");
        assert_eq!(serde_json::to_string(&number).unwrap(), "\"1710794709\"");
        let back: CustomerNumber = serde_json::from_str("\"1710794709\"").unwrap();
        assert_eq!(back, number);
    }

    #[test]
    fn conversions_and_display_keep_the_value() {
        let code = ItemCode::from("sndkost");
        assert_eq!(code.as_str(), "sndkost");
        assert_eq!(code.to_string(), "sndkost");
        assert_eq!(format!("{code:?}"), "ItemCode(\"sndkost\")");
        assert_eq!(ItemCode::from(String::from("a")), ItemCode::new("a"));
        assert!(InvoiceNumber::new("1") < InvoiceNumber::new("2"));
        assert_eq!(SalesPersonNumber::new("vef"), "vef");
        assert_eq!(ProjectNumber::new("P-1").into_inner(), "P-1");
    }
}
