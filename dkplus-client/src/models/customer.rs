//! Customers (`/Customer`).

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::Gender;
use crate::ids::{CustomerNumber, SalesPersonNumber};

/// A DK+ customer as read from `GET /Customer/{number}` and the customer listings.
///
/// Every field is optional: DK+ leaves fields out (and `include=` trims them).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct Customer {
    /// Customer number, usually the kennitala as 10 digits.
    #[serde(
        rename = "Number",
        deserialize_with = "crate::wire::ids::id_opt::deserialize"
    )]
    pub number: Option<CustomerNumber>,
    /// DK+ internal record id.
    #[serde(
        rename = "RecordID",
        deserialize_with = "crate::wire::int::int_opt::deserialize"
    )]
    pub record_id: Option<i64>,
    /// Name.
    #[serde(rename = "Name")]
    pub name: Option<String>,
    /// Alias / short name.
    #[serde(rename = "Alias")]
    pub alias: Option<String>,
    /// First address line (street).
    #[serde(rename = "Address1")]
    pub address1: Option<String>,
    /// Second address line (DK+ examples put the town here).
    #[serde(rename = "Address2")]
    pub address2: Option<String>,
    /// Third address line.
    #[serde(rename = "Address3")]
    pub address3: Option<String>,
    /// Postal code.
    #[serde(rename = "ZipCode")]
    pub zip_code: Option<String>,
    /// ISO-3166 alpha-2 country code (`IS`; DK+ sometimes writes it lowercase).
    #[serde(rename = "CountryCode")]
    pub country_code: Option<String>,
    /// Country of origin code.
    #[serde(rename = "OriginCountryCode")]
    pub origin_country_code: Option<String>,
    /// Phone number.
    #[serde(rename = "Phone")]
    pub phone: Option<String>,
    /// Local phone number.
    #[serde(rename = "PhoneLocal")]
    pub phone_local: Option<String>,
    /// Mobile phone number.
    #[serde(rename = "PhoneMobile")]
    pub phone_mobile: Option<String>,
    /// Fax number.
    #[serde(rename = "PhoneFax")]
    pub phone_fax: Option<String>,
    /// E-mail address.
    #[serde(rename = "Email")]
    pub email: Option<String>,
    /// Customer group number.
    #[serde(rename = "Group")]
    pub group: Option<String>,
    /// Default sales person.
    #[serde(
        rename = "SalesPerson",
        deserialize_with = "crate::wire::ids::id_opt::deserialize"
    )]
    pub sales_person: Option<SalesPersonNumber>,
    /// Customer discount in percent (0–100).
    #[serde(rename = "Discount", with = "crate::wire::decimal::decimal_opt")]
    pub discount: Option<Decimal>,
    /// Whether item receivers are used (wire name misspelt by DK+).
    #[serde(
        rename = "UseItemRecivers",
        deserialize_with = "crate::wire::boolean::bool_opt::deserialize"
    )]
    pub use_item_receivers: Option<bool>,
    /// Payment term code, e.g. `d20` or `stgr`.
    #[serde(rename = "PaymentTerm")]
    pub payment_term: Option<String>,
    /// Payment mode code, e.g. `ib` or `rafr`.
    #[serde(rename = "PaymentMode")]
    pub payment_mode: Option<String>,
    /// Currency code, e.g. `ISK`.
    #[serde(rename = "CurrencyCode")]
    pub currency_code: Option<String>,
    /// True for a VAT-exempt customer.
    #[serde(
        rename = "NoVat",
        deserialize_with = "crate::wire::boolean::bool_opt::deserialize"
    )]
    pub no_vat: Option<bool>,
    /// Accounts-receivable ledger code, e.g. `0001`.
    #[serde(rename = "LedgerCode")]
    pub ledger_code: Option<String>,
    /// True when sales to the customer are blocked.
    #[serde(
        rename = "Blocked",
        deserialize_with = "crate::wire::boolean::bool_opt::deserialize"
    )]
    pub blocked: Option<bool>,
    /// True when the customer is marked deleted.
    #[serde(
        rename = "Deleted",
        deserialize_with = "crate::wire::boolean::bool_opt::deserialize"
    )]
    pub deleted: Option<bool>,
    /// Gender (or company).
    #[serde(rename = "Gender")]
    pub gender: Option<Gender>,
    /// Price group (1–3).
    #[serde(
        rename = "PriceGroup",
        deserialize_with = "crate::wire::int::int_opt::deserialize"
    )]
    pub price_group: Option<i32>,
    /// Billing fee.
    #[serde(rename = "BillingFee", with = "crate::wire::decimal::decimal_opt")]
    pub billing_fee: Option<Decimal>,
    /// Current balance (read-only).
    #[serde(rename = "BalanceAmount", with = "crate::wire::decimal::decimal_opt")]
    pub balance_amount: Option<Decimal>,
    /// Last modification time (UTC).
    #[serde(rename = "Modified", with = "crate::wire::dates::timestamp_opt")]
    pub modified: Option<DateTime<Utc>>,
    /// Credit conditions.
    #[serde(rename = "Conditions")]
    pub conditions: Option<CustomerConditions>,
    /// Invoice delivery channels.
    #[serde(rename = "SendTo")]
    pub send_to: Option<CustomerSendTo>,
    /// Contact persons.
    #[serde(rename = "Contacts")]
    pub contacts: Option<Vec<CustomerContact>>,
}

/// Credit conditions of a customer (`Conditions`).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct CustomerConditions {
    /// Credit limit.
    #[serde(rename = "CreditLimit", with = "crate::wire::decimal::decimal_opt")]
    pub credit_limit: Option<Decimal>,
    /// Maximum credit.
    #[serde(rename = "CreditMax", with = "crate::wire::decimal::decimal_opt")]
    pub credit_max: Option<Decimal>,
    /// Sales disabled.
    #[serde(
        rename = "DisableSale",
        deserialize_with = "crate::wire::boolean::bool_opt::deserialize"
    )]
    pub disable_sale: Option<bool>,
    /// Retail sales disabled.
    #[serde(
        rename = "DisableRetail",
        deserialize_with = "crate::wire::boolean::bool_opt::deserialize"
    )]
    pub disable_retail: Option<bool>,
}

/// How invoices reach a customer (`SendTo`).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct CustomerSendTo {
    /// Print invoices.
    #[serde(
        rename = "Printer",
        deserialize_with = "crate::wire::boolean::bool_opt::deserialize"
    )]
    pub printer: Option<bool>,
    /// Print payment claims.
    #[serde(
        rename = "ClaimToPrinter",
        deserialize_with = "crate::wire::boolean::bool_opt::deserialize"
    )]
    pub claim_to_printer: Option<bool>,
    /// Send invoices by e-mail.
    #[serde(
        rename = "Email",
        deserialize_with = "crate::wire::boolean::bool_opt::deserialize"
    )]
    pub email: Option<bool>,
    /// Send electronic (EDI) invoices.
    #[serde(
        rename = "EDIInvoice",
        deserialize_with = "crate::wire::boolean::bool_opt::deserialize"
    )]
    pub edi_invoice: Option<bool>,
    /// Send through a publishing system.
    #[serde(
        rename = "PublishingSystem",
        deserialize_with = "crate::wire::boolean::bool_opt::deserialize"
    )]
    pub publishing_system: Option<bool>,
}

/// A contact person of a customer (`Contacts[]`).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct CustomerContact {
    /// Contact number.
    #[serde(rename = "Number")]
    pub number: Option<String>,
    /// Name.
    #[serde(rename = "Name")]
    pub name: Option<String>,
    /// Title.
    #[serde(rename = "Title")]
    pub title: Option<String>,
    /// Kennitala.
    #[serde(rename = "SSNumber")]
    pub ss_number: Option<String>,
    /// Phone number.
    #[serde(rename = "Phone")]
    pub phone: Option<String>,
    /// Mobile phone number.
    #[serde(rename = "PhoneMobile")]
    pub phone_mobile: Option<String>,
    /// E-mail address.
    #[serde(rename = "Email")]
    pub email: Option<String>,
    /// Department.
    #[serde(rename = "Department")]
    pub department: Option<String>,
    /// Last modification time (UTC).
    #[serde(rename = "Modified", with = "crate::wire::dates::timestamp_opt")]
    pub modified: Option<DateTime<Utc>>,
}

/// The body for creating (`POST /Customer`) or partially updating (`PUT /Customer/{number}`)
/// a customer. Only the fields that are set are sent; `Some("")` clears a text field in DK+.
///
/// Creating requires `number` and `name`; updating never sends `number`. DK+'s published customer
/// model has no kennitala and no town: send the kennitala on each invoice
/// ([`crate::InvoiceCustomer::ssn`]) and the town in a free address line.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct CustomerWrite {
    /// Customer number (required on create; never sent on update, where the number is in the path).
    #[serde(rename = "Number", skip_serializing_if = "Option::is_none")]
    pub number: Option<CustomerNumber>,
    /// Name (required on create).
    #[serde(rename = "Name", skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Alias / short name.
    #[serde(rename = "Alias", skip_serializing_if = "Option::is_none")]
    pub alias: Option<String>,
    /// First address line (street).
    #[serde(rename = "Address1", skip_serializing_if = "Option::is_none")]
    pub address1: Option<String>,
    /// Second address line (DK+ examples put the town here).
    #[serde(rename = "Address2", skip_serializing_if = "Option::is_none")]
    pub address2: Option<String>,
    /// Third address line.
    #[serde(rename = "Address3", skip_serializing_if = "Option::is_none")]
    pub address3: Option<String>,
    /// Postal code.
    #[serde(rename = "ZipCode", skip_serializing_if = "Option::is_none")]
    pub zip_code: Option<String>,
    /// ISO-3166 alpha-2 country code.
    #[serde(rename = "CountryCode", skip_serializing_if = "Option::is_none")]
    pub country_code: Option<String>,
    /// Phone number.
    #[serde(rename = "Phone", skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
    /// Local phone number.
    #[serde(rename = "PhoneLocal", skip_serializing_if = "Option::is_none")]
    pub phone_local: Option<String>,
    /// Mobile phone number.
    #[serde(rename = "PhoneMobile", skip_serializing_if = "Option::is_none")]
    pub phone_mobile: Option<String>,
    /// E-mail address.
    #[serde(rename = "Email", skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// Block sales to the customer.
    #[serde(rename = "Blocked", skip_serializing_if = "Option::is_none")]
    pub blocked: Option<bool>,
    /// Payment term code.
    #[serde(rename = "PaymentTerm", skip_serializing_if = "Option::is_none")]
    pub payment_term: Option<String>,
    /// Payment mode code.
    #[serde(rename = "PaymentMode", skip_serializing_if = "Option::is_none")]
    pub payment_mode: Option<String>,
    /// Default sales person.
    #[serde(rename = "SalesPerson", skip_serializing_if = "Option::is_none")]
    pub sales_person: Option<SalesPersonNumber>,
    /// VAT-exempt customer.
    #[serde(rename = "NoVat", skip_serializing_if = "Option::is_none")]
    pub no_vat: Option<bool>,
    /// Customer group number.
    #[serde(rename = "Group", skip_serializing_if = "Option::is_none")]
    pub group: Option<String>,
    /// Currency code.
    #[serde(rename = "CurrencyCode", skip_serializing_if = "Option::is_none")]
    pub currency_code: Option<String>,
    /// Accounts-receivable ledger code.
    #[serde(rename = "LedgerCode", skip_serializing_if = "Option::is_none")]
    pub ledger_code: Option<String>,
    /// Customer discount in percent (0–100).
    #[serde(
        rename = "Discount",
        with = "crate::wire::decimal::decimal_opt",
        skip_serializing_if = "Option::is_none"
    )]
    pub discount: Option<Decimal>,
}
