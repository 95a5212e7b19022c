//! A payment registered on an invoice. Moment publishes no schema for payments: every name
//! here is a **guess** (see `docs/moment-api.md`), read leniently (`amount` or `paidAmount`,
//! `paymentDate` or `date`, `externalId` or `externalReference`), written with the first.

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// A payment Moment holds for an invoice.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", from = "PaymentWire")]
pub struct Payment {
    /// Moment's id of the payment, when it says.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<i64>,
    /// The amount paid, in the invoice's currency.
    #[serde(
        with = "rust_decimal::serde::float_option",
        skip_serializing_if = "Option::is_none"
    )]
    pub amount: Option<Decimal>,
    /// The day it was paid.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub payment_date: Option<NaiveDate>,
    /// The sender's own key of the payment (the integration's idempotency key).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub external_id: Option<String>,
}

/// The payment as Moment may send it: every guessed name, amounts exact (JSON number or text).
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct PaymentWire {
    #[serde(default)]
    id: Option<crate::wire::Int>,
    #[serde(default)]
    amount: Option<crate::wire::Money>,
    #[serde(default)]
    paid_amount: Option<crate::wire::Money>,
    #[serde(default)]
    payment_date: Option<NaiveDate>,
    #[serde(default)]
    date: Option<NaiveDate>,
    #[serde(default)]
    external_id: Option<String>,
    #[serde(default)]
    external_reference: Option<String>,
}

impl From<PaymentWire> for Payment {
    fn from(w: PaymentWire) -> Self {
        Self {
            id: crate::wire::int(w.id),
            amount: crate::wire::money(w.amount.or(w.paid_amount)),
            payment_date: w.payment_date.or(w.date),
            external_id: w.external_id.or(w.external_reference),
        }
    }
}

/// The body that registers a payment on an invoice.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PaymentCreate {
    /// The amount paid (positive).
    #[serde(with = "rust_decimal::serde::float")]
    pub amount: Decimal,
    /// The day it was paid.
    pub payment_date: NaiveDate,
    /// The sender's own key, so the same payment can be found again.
    pub external_id: String,
    /// A note for people.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_payment_is_read_under_either_name_and_written_with_the_first() {
        let p: Payment = serde_json::from_str(
            r#"{"id":7,"paidAmount":1500.5,"date":"2026-11-20","externalReference":"dkplus:1001:1","other":true}"#,
        )
        .unwrap();
        assert_eq!(p.amount, Some(Decimal::new(15005, 1)));
        assert_eq!(p.external_id.as_deref(), Some("dkplus:1001:1"));
        let written = serde_json::to_value(&p).unwrap();
        assert_eq!(written["paymentDate"], "2026-11-20");
        assert_eq!(written["externalId"], "dkplus:1001:1");
        let empty: Payment = serde_json::from_str("{}").unwrap();
        assert_eq!(empty, Payment::default());
    }

    #[test]
    fn a_new_payment_is_sent_with_an_exact_amount() {
        let body = serde_json::to_string(&PaymentCreate {
            amount: Decimal::new(123_450, 2),
            payment_date: NaiveDate::from_ymd_opt(2026, 11, 20).unwrap(),
            external_id: "dkplus:1001:1".into(),
            comment: None,
        })
        .unwrap();
        assert_eq!(
            body,
            r#"{"amount":1234.5,"paymentDate":"2026-11-20","externalId":"dkplus:1001:1"}"#
        );
    }
}
