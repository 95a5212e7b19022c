//! Typed identifiers for DK+ records.
//!
//! DK+ keys are strings on the wire (`"14656"`, `"1710794709"`, `"sndkost"`). Each kind of key gets
//! its own newtype so that a customer number cannot be passed where an item code is expected. All of
//! them serialize as the bare string (`#[serde(transparent)]`).

use serde::{Deserialize, Serialize};

macro_rules! wire_id {
    ($(#[$meta:meta])* $name:ident) => {
        crate::shared::text_key!(
            $(#[$meta])*
            #[derive(Serialize, Deserialize)]
            #[serde(transparent)]
            $name
        );
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
