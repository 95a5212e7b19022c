//! Typed ids: one `i64` newtype per Moment resource, so an invoice id cannot be passed where a
//! customer id is expected.
//!
//! Moment sends ids as JSON integers (verified in the webhook body and in the captured
//! financial-account payload). On the wire an id is the bare integer (`#[serde(transparent)]`).

use std::fmt;

use serde::{Deserialize, Serialize};

macro_rules! id_type {
    ($(#[$meta:meta])* $name:ident) => {
        $(#[$meta])*
        #[derive(
            Debug, Clone, Copy, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize,
        )]
        #[serde(transparent)]
        pub struct $name(pub i64);

        impl $name {
            /// Wraps a raw id.
            pub const fn new(id: i64) -> Self {
                Self(id)
            }

            /// The raw id.
            pub const fn get(self) -> i64 {
                self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt::Display::fmt(&self.0, f)
            }
        }

        impl From<i64> for $name {
            fn from(id: i64) -> Self {
                Self(id)
            }
        }

        impl From<$name> for i64 {
            fn from(id: $name) -> i64 {
                id.0
            }
        }
    };
}

id_type!(
    /// Id of a Moment customer (`/customers/{id}`).
    CustomerId
);
id_type!(
    /// Id of a Moment project (`/projects/{id}`).
    ProjectId
);
id_type!(
    /// Id of a Moment invoice or credit note (`/invoices/{id}`).
    InvoiceId
);
id_type!(
    /// Id of one line of a Moment invoice.
    InvoiceLineId
);
id_type!(
    /// Id of a Moment product (`/products/{id}`).
    ProductId
);
id_type!(
    /// Id of a Moment financial (bookkeeping) account (`/financialAccounts/{id}`).
    FinancialAccountId
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_transparent_integers() {
        let id: InvoiceId = serde_json::from_str("106939080").unwrap();
        assert_eq!(id, InvoiceId(106_939_080));
        assert_eq!(serde_json::to_string(&id).unwrap(), "106939080");
        assert_eq!(id.to_string(), "106939080");
        assert_eq!(i64::from(id), 106_939_080);
    }

    #[test]
    fn ids_reject_strings_and_fractions() {
        assert!(serde_json::from_str::<CustomerId>("\"12\"").is_err());
        assert!(serde_json::from_str::<CustomerId>("1.5").is_err());
    }
}
