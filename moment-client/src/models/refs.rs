//! Links from one Moment object to another (`"customer": {"id": .., "customerNumber": ..}`).
//!
//! The webhook body proves the nested shape for customers and projects (`id` integer, number as
//! string). Moment's documented "includes" feature returns nested fields flattened in camel case
//! (`customer.name` → `customerName`), so every parent model also reads the flat forms
//! (`customerId`, `customerNumber`, `customerName`, ...) and merges them into the link; two
//! different values for the same part refuse the object.

use serde::{Deserialize, Serialize};

use crate::ids::{CustomerId, FinancialAccountId, InvoiceId, ProductId, ProjectId};
use crate::numbers::{AccountNumber, CustomerNumber, InvoiceNumber, ProductNumber, ProjectNumber};
use crate::wire::{self, Conflict, Text, agree};

macro_rules! reference {
    (
        $(#[$meta:meta])*
        $name:ident via $wire:ident = $wire_str:literal {
            id: $id:ty,
            $(#[$nmeta:meta])* $number:ident: $num:ty = $num_wire:literal
                $(| $alt:ident = $alt_wire:literal)*,
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
        #[serde(rename_all = "camelCase", try_from = $wire_str)]
        pub struct $name {
            /// Id of the linked object.
            #[serde(skip_serializing_if = "Option::is_none")]
            pub id: Option<$id>,
            $(#[$nmeta])*
            #[serde(skip_serializing_if = "Option::is_none", rename = $num_wire)]
            pub $number: Option<$num>,
            /// Name of the linked object, when Moment includes it.
            #[serde(skip_serializing_if = "Option::is_none")]
            pub name: Option<String>,
        }

        #[derive(Deserialize)]
        struct $wire {
            id: Option<$id>,
            #[serde(rename = $num_wire)]
            $number: Option<$num>,
            $( #[serde(rename = $alt_wire)] $alt: Option<$num>, )*
            name: Option<Text>,
        }

        impl TryFrom<$wire> for $name {
            type Error = Conflict;
            fn try_from(w: $wire) -> Result<Self, Conflict> {
                Ok(Self {
                    id: w.id,
                    $number: agree([($num_wire, w.$number) $(, ($alt_wire, w.$alt))*])?,
                    name: wire::text(w.name),
                })
            }
        }

        impl $name {
            /// Merges a nested link with the flat fields of its parent (`customerId`, ...).
            pub(crate) fn merge(
                nested: Option<Self>,
                names: [&'static str; 3],
                id: Option<$id>,
                number: Option<$num>,
                name: Option<String>,
            ) -> Result<Option<Self>, Conflict> {
                if id.is_none() && number.is_none() && name.is_none() {
                    return Ok(nested);
                }
                let nested = nested.unwrap_or_default();
                Ok(Some(Self {
                    id: agree([("nested id", nested.id), (names[0], id)])?,
                    $number: agree([
                        (concat!("nested ", $num_wire), nested.$number),
                        (names[1], number),
                    ])?,
                    name: wire::pick([nested.name, name]),
                }))
            }
        }
    };
}

reference!(
    /// A link to a customer: `{"id": 62788973, "customerNumber": "10001"}` (shape verified in the
    /// invoice webhook).
    CustomerRef via CustomerRefWire = "CustomerRefWire" {
        id: CustomerId,
        /// The customer number (`customerNumber`; `number` is read as an alternative).
        customer_number: CustomerNumber = "customerNumber" | number = "number",
    }
);

reference!(
    /// A link to a project: `{"id": 62788980, "projectNumber": "1"}` (shape verified in the
    /// invoice webhook).
    ProjectRef via ProjectRefWire = "ProjectRefWire" {
        id: ProjectId,
        /// The project number (`projectNumber`; `number` is read as an alternative).
        project_number: ProjectNumber = "projectNumber" | number = "number",
    }
);

reference!(
    /// A link to a product from an invoice line (field names guessed by analogy with
    /// [`CustomerRef`]).
    ProductRef via ProductRefWire = "ProductRefWire" {
        id: ProductId,
        /// The product number (`productNumber`; `number` is read as an alternative).
        product_number: ProductNumber = "productNumber" | number = "number",
    }
);

reference!(
    /// A link to a financial (bookkeeping) account (names follow the verified
    /// `financialAccounts` payload: `id`, `accountNumber`, `name`).
    FinancialAccountRef via FinancialAccountRefWire = "FinancialAccountRefWire" {
        id: FinancialAccountId,
        /// The account number (`accountNumber`; `number` is read as an alternative).
        account_number: AccountNumber = "accountNumber" | number = "number",
    }
);

/// A link to another invoice, e.g. the original invoice of a credit note (field names guessed).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", try_from = "InvoiceRefWire")]
pub struct InvoiceRef {
    /// Id of the linked invoice.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<InvoiceId>,
    /// Its invoice number (`invoiceNumber`; `number` is read as an alternative).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub invoice_number: Option<InvoiceNumber>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct InvoiceRefWire {
    id: Option<InvoiceId>,
    invoice_number: Option<InvoiceNumber>,
    number: Option<InvoiceNumber>,
}

impl TryFrom<InvoiceRefWire> for InvoiceRef {
    type Error = Conflict;
    fn try_from(w: InvoiceRefWire) -> Result<Self, Conflict> {
        Ok(Self {
            id: w.id,
            invoice_number: agree([("invoiceNumber", w.invoice_number), ("number", w.number)])?,
        })
    }
}

impl InvoiceRef {
    /// Merges a nested link with flat fields of its parent (`creditedInvoiceId`, ...).
    pub(crate) fn merge(
        nested: Option<Self>,
        names: [&'static str; 2],
        id: Option<InvoiceId>,
        number: Option<InvoiceNumber>,
    ) -> Result<Option<Self>, Conflict> {
        if id.is_none() && number.is_none() {
            return Ok(nested);
        }
        let nested = nested.unwrap_or_default();
        Ok(Some(Self {
            id: agree([("nested id", nested.id), (names[0], id)])?,
            invoice_number: agree([
                ("nested invoiceNumber", nested.invoice_number),
                (names[1], number),
            ])?,
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn customer_ref_from_the_webhook_shape() {
        let r: CustomerRef =
            serde_json::from_str(r#"{"id":62788973,"customerNumber":"10001"}"#).unwrap();
        assert_eq!(r.id, Some(CustomerId(62_788_973)));
        assert_eq!(
            r.customer_number.as_ref().map(|n| n.as_str()),
            Some("10001")
        );
        assert_eq!(r.name, None);
    }

    #[test]
    fn number_alternative_must_agree() {
        let ok: ProjectRef = serde_json::from_str(r#"{"projectNumber":"7","number":7}"#).unwrap();
        assert_eq!(ok.project_number, Some(ProjectNumber::from("7")));
        let err = serde_json::from_str::<ProjectRef>(r#"{"projectNumber":"7","number":"8"}"#)
            .unwrap_err();
        assert!(err.to_string().contains("disagree"), "{err}");
    }

    #[test]
    fn merge_fills_missing_parts_and_refuses_conflicts() {
        let nested = CustomerRef {
            id: Some(CustomerId(1)),
            ..CustomerRef::default()
        };
        let names = ["customerId", "customerNumber", "customerName"];
        let merged = CustomerRef::merge(
            Some(nested.clone()),
            names,
            None,
            Some("10001".into()),
            Some("Acme".into()),
        )
        .unwrap()
        .unwrap();
        assert_eq!(merged.id, Some(CustomerId(1)));
        assert_eq!(merged.customer_number, Some("10001".into()));
        assert_eq!(merged.name.as_deref(), Some("Acme"));
        assert!(CustomerRef::merge(Some(nested), names, Some(CustomerId(2)), None, None).is_err());
        assert_eq!(CustomerRef::merge(None, names, None, None, None), Ok(None));
    }

    #[test]
    fn serializes_without_absent_parts() {
        let r = FinancialAccountRef {
            id: Some(FinancialAccountId(5)),
            account_number: Some("3000".into()),
            name: None,
        };
        assert_eq!(
            serde_json::to_string(&r).unwrap(),
            r#"{"id":5,"accountNumber":"3000"}"#
        );
    }
}
