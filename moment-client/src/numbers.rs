//! Typed business numbers: customer, project, product, account and invoice numbers.
//!
//! In accounting these are identifiers, not quantities: `"00123"` and `"123"` are different
//! numbers, so they are kept as text exactly as Moment sends them (no trimming, no padding).
//! Moment sends `customerNumber`, `projectNumber` and `accountNumber` as JSON strings but
//! `invoiceNumber` as a JSON integer (both verified), so every number type accepts a string
//! **or** an integer and always serializes as a string. A fractional or boolean value is a
//! decode error.

use std::fmt;

use serde::de::{self, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

macro_rules! number_type {
    ($(#[$meta:meta])* $name:ident) => {
        crate::shared::text_key!($(#[$meta])* $name);

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(&self.0)
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                deserializer.deserialize_any(NumberText).map(Self)
            }
        }
    };
}

/// Accepts a JSON string or integer and yields its text.
struct NumberText;

impl Visitor<'_> for NumberText {
    type Value = String;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a number as a string or an integer")
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<String, E> {
        Ok(v.to_owned())
    }

    fn visit_string<E: de::Error>(self, v: String) -> Result<String, E> {
        Ok(v)
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<String, E> {
        Ok(v.to_string())
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<String, E> {
        Ok(v.to_string())
    }
}

number_type!(
    /// A customer number (`customerNumber`). Moment is master for it.
    CustomerNumber
);
number_type!(
    /// A project number (`projectNumber`). Moment is master for it.
    ProjectNumber
);
number_type!(
    /// A product number (item code when a line is linked to a product).
    ProductNumber
);
number_type!(
    /// A bookkeeping account number (`accountNumber`, e.g. `"3000"`).
    AccountNumber
);
number_type!(
    /// An invoice number (`invoiceNumber`). Assigned when an invoice is finalized; the webhook
    /// sends it as an integer.
    InvoiceNumber
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_string_or_integer_and_serializes_as_string() {
        let from_int: InvoiceNumber = serde_json::from_str("1001").unwrap();
        let from_str: InvoiceNumber = serde_json::from_str("\"1001\"").unwrap();
        assert_eq!(from_int, from_str);
        assert_eq!(serde_json::to_string(&from_int).unwrap(), "\"1001\"");
        assert_eq!(from_int, "1001");
    }

    #[test]
    fn keeps_leading_zeros_and_spaces_as_sent() {
        let n: CustomerNumber = serde_json::from_str("\" 00123\"").unwrap();
        assert_eq!(n.as_str(), " 00123");
    }

    #[test]
    fn rejects_fractions_booleans_and_objects() {
        assert!(serde_json::from_str::<AccountNumber>("3000.5").is_err());
        assert!(serde_json::from_str::<AccountNumber>("true").is_err());
        assert!(serde_json::from_str::<AccountNumber>("{}").is_err());
    }

    #[test]
    fn negative_integers_keep_their_sign() {
        let n: ProjectNumber = serde_json::from_str("-5").unwrap();
        assert_eq!(n.to_string(), "-5");
    }
}
