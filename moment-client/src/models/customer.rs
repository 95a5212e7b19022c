//! Customers (`/customers`).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::ids::CustomerId;
use crate::numbers::CustomerNumber;
use crate::wire::{self, Conflict, Int, Text, Timestamp, agree, pick, text_enum};

text_enum!(
    /// A customer's status in Moment (the four values shown in Moment's customer pages).
    /// Read case-insensitively; written as upper case.
    pub enum CustomerStatus {
        /// The customer can be used.
        Active => "ACTIVE",
        /// A prospect, not yet a customer.
        Potential => "POTENTIAL" | "PROSPECT",
        /// Blocked from new work and invoices.
        Blocked => "BLOCKED",
        /// No longer in use.
        Inactive => "INACTIVE",
    }
);

/// A Moment customer.
///
/// Only `id` is required. `customerNumber` is verified (webhook); `name` is seen in third-party
/// code; every other name is a guess (see `docs/moment-api.md`), read together with a few
/// plausible alternatives. Unknown fields are ignored.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", try_from = "CustomerWire")]
pub struct Customer {
    /// Moment's id of the customer.
    pub id: CustomerId,
    /// The customer number (Moment is master for it).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub customer_number: Option<CustomerNumber>,
    /// The customer's name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Active / potential / blocked / inactive.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<CustomerStatus>,
    /// The organization number as Moment stores it, unchanged (for Icelandic customers the
    /// kennitala, possibly with a dash or spaces).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub organization_number: Option<String>,
    /// Contact e-mail.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// E-mail that invoices are sent to, when different.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub invoice_email: Option<String>,
    /// Phone number.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
    /// First address line (street).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub address_line1: Option<String>,
    /// Second address line.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub address_line2: Option<String>,
    /// Postal code.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub postal_code: Option<String>,
    /// City / postal area.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub city: Option<String>,
    /// Country code as sent (e.g. `IS`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub country_code: Option<String>,
    /// Credit days (payment terms). Moment's DK+ integration does not transfer them.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub credit_days: Option<i64>,
    /// An id the customer has in another system.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub external_id: Option<String>,
    /// When the customer was created.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub created_date: Option<DateTime<Utc>>,
    /// When the customer was last changed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_modified_date: Option<DateTime<Utc>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct CustomerWire {
    id: CustomerId,
    customer_number: Option<CustomerNumber>,
    number: Option<CustomerNumber>,
    name: Option<Text>,
    status: Option<CustomerStatus>,
    customer_status: Option<CustomerStatus>,
    organization_number: Option<Text>,
    organisation_number: Option<Text>,
    org_number: Option<Text>,
    company_registration_number: Option<Text>,
    email: Option<Text>,
    email_address: Option<Text>,
    invoice_email: Option<Text>,
    invoice_email_address: Option<Text>,
    phone: Option<Text>,
    phone_number: Option<Text>,
    telephone: Option<Text>,
    address_line1: Option<Text>,
    address1: Option<Text>,
    street_address: Option<Text>,
    address_line2: Option<Text>,
    address2: Option<Text>,
    postal_code: Option<Text>,
    zip_code: Option<Text>,
    post_code: Option<Text>,
    city: Option<Text>,
    postal_area: Option<Text>,
    country_code: Option<Text>,
    country: Option<Value>,
    address: Option<Value>,
    postal_address: Option<Value>,
    credit_days: Option<Int>,
    credit_time_days: Option<Int>,
    payment_terms_days: Option<Int>,
    external_id: Option<Text>,
    created_date: Option<Timestamp>,
    last_modified_date: Option<Timestamp>,
}

/// Reads an address line from a nested address object (or a plain string for line 1).
fn nested(address: Option<&Value>, keys: &[&str]) -> Option<String> {
    match address {
        Some(Value::Object(_)) => wire::loose_text(address, keys),
        _ => None,
    }
}

impl TryFrom<CustomerWire> for Customer {
    type Error = Conflict;
    fn try_from(w: CustomerWire) -> Result<Self, Conflict> {
        let address = w.address.as_ref().or(w.postal_address.as_ref());
        let address_as_text = match address {
            Some(Value::String(s)) => Some(s.clone()),
            _ => None,
        };
        let t = wire::text;
        Ok(Self {
            id: w.id,
            customer_number: agree([("customerNumber", w.customer_number), ("number", w.number)])?,
            name: t(w.name),
            status: pick([w.status, w.customer_status]),
            organization_number: pick([
                t(w.organization_number),
                t(w.organisation_number),
                t(w.org_number),
                t(w.company_registration_number),
            ]),
            email: pick([t(w.email), t(w.email_address)]),
            invoice_email: pick([t(w.invoice_email), t(w.invoice_email_address)]),
            phone: pick([t(w.phone), t(w.phone_number), t(w.telephone)]),
            address_line1: pick([
                t(w.address_line1),
                t(w.address1),
                t(w.street_address),
                nested(
                    address,
                    &["addressLine1", "address1", "streetAddress", "street"],
                ),
                address_as_text,
            ]),
            address_line2: pick([
                t(w.address_line2),
                t(w.address2),
                nested(address, &["addressLine2", "address2"]),
            ]),
            postal_code: pick([
                t(w.postal_code),
                t(w.zip_code),
                t(w.post_code),
                nested(address, &["postalCode", "zipCode", "postCode", "zip"]),
            ]),
            city: pick([
                t(w.city),
                t(w.postal_area),
                nested(address, &["city", "postalArea", "postalPlace"]),
            ]),
            country_code: pick([
                t(w.country_code),
                wire::loose_text(w.country.as_ref(), &["code", "countryCode", "isoCode"]),
                nested(address, &["countryCode", "country"]),
            ]),
            credit_days: agree([
                ("creditDays", wire::int(w.credit_days)),
                ("creditTimeDays", wire::int(w.credit_time_days)),
                ("paymentTermsDays", wire::int(w.payment_terms_days)),
            ])?,
            external_id: t(w.external_id),
            created_date: wire::timestamp(w.created_date),
            last_modified_date: wire::timestamp(w.last_modified_date),
        })
    }
}
